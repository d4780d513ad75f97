//! Subscriptions to the status page: email (double opt-in: a confirmation
//! link is mailed through the outbox) or webhook (a signing secret shown
//! once, and a signed ping carrying the confirmation link), each for every
//! component or some. Links are HMACs of the subscriber's id under the
//! server's link secret ([`crate::ack::secret`]), so no token is stored.
//!
//! Every update mail carries RFC 8058 one-click unsubscription
//! (`List-Unsubscribe` and `List-Unsubscribe-Post` headers) and a visible
//! link: `POST /status/unsubscribe/<token>` unsubscribes with no sign-in
//! and no CSRF token (the token authenticates it); `GET` of the same
//! address shows a page with the button. Subscribing is rate limited per
//! client address ([`Limiter`]).
//!
//! The fan-out ([`fanout`], a step of the workers) queues one message per
//! public notice and confirmed subscriber it concerns, exactly once across
//! servers (see `Store::queue_status_updates`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use firebreak_api::status::{Subscribe, Subscribed};
use firebreak_store::status::{
    BuiltMessage, NewSubscriber, StatusSubscriber, SubscribeOutcome, SubscriberKind, UpdateMail,
};
use firebreak_store::{Actor, StoreError, secrets};

use crate::AppState;
use crate::error::ApiError;
use crate::notify::{Channel, SetBy, Verbatim};
use crate::signin::ClientAddr;

/// Subscription requests one client address may make per window.
pub const SUBSCRIBES_PER_WINDOW: u32 = 10;
/// Confirmations and unsubscriptions one address may make per window.
pub const LINKS_PER_WINDOW: u32 = 60;
/// The rate limit's window.
pub const WINDOW: Duration = Duration::minutes(10);
const MAX_KEYS: usize = 50_000;

/// A window's start and the requests counted in it, per address and
/// purpose.
type Windows = HashMap<(IpAddr, &'static str), (DateTime<Utc>, u32)>;

/// Requests per client address and purpose in fixed windows, in memory
/// (per server, like the sign-in throttle).
#[derive(Debug, Default)]
pub struct Limiter {
    entries: Mutex<Windows>,
}

impl Limiter {
    /// Counts a request; `Err(seconds to wait)` past `limit` in the window.
    pub fn hit(
        &self,
        addr: Option<IpAddr>,
        purpose: &'static str,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<(), i64> {
        let Some(addr) = addr else { return Ok(()) };
        let mut map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_KEYS {
            map.retain(|_, (start, _)| now - *start < WINDOW);
        }
        let e = map.entry((addr, purpose)).or_insert((now, 0));
        if now - e.0 >= WINDOW {
            *e = (now, 0);
        }
        if e.1 >= limit {
            return Err((e.0 + WINDOW - now).num_seconds().max(1));
        }
        e.1 += 1;
        Ok(())
    }
}

fn mac(secret: &str, payload: &str) -> String {
    match <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(payload.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    Unsubscribe,
}

impl Purpose {
    fn word(self) -> &'static str {
        match self {
            Purpose::Confirm => "status-confirm",
            Purpose::Unsubscribe => "status-unsubscribe",
        }
    }
}

/// The token of a subscriber's link: `<id>.<HMAC of purpose and id>`.
pub fn token(secret: &str, purpose: Purpose, id: i64) -> String {
    format!("{id}.{}", mac(secret, &format!("{}:{id}", purpose.word())))
}

/// The subscriber id a token names, if its signature holds.
pub fn verify(secret: &str, purpose: Purpose, token: &str) -> Option<i64> {
    let (id, sig) = token.split_once('.')?;
    let id: i64 = id.parse().ok()?;
    let expected = mac(secret, &format!("{}:{id}", purpose.word()));
    (!expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sig.as_bytes()))).then_some(id)
}

/// The links of a subscriber's messages.
#[derive(Debug, Clone)]
pub struct Links {
    pub page: String,
    pub base: String,
    pub secret: String,
}

impl Links {
    pub fn new(state: &AppState, secret: &str) -> Links {
        Links {
            page: super::meta(state).url,
            base: state.config.public_url.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
        }
    }

    pub fn confirm(&self, id: i64) -> String {
        format!(
            "{}/status/confirm/{}",
            self.base,
            token(&self.secret, Purpose::Confirm, id)
        )
    }

    pub fn unsubscribe(&self, id: i64) -> String {
        format!(
            "{}/status/unsubscribe/{}",
            self.base,
            token(&self.secret, Purpose::Unsubscribe, id)
        )
    }
}

fn channel(s: &StatusSubscriber) -> serde_json::Value {
    let c = if s.kind == "webhook" {
        Channel::Webhook {
            url: s.target.clone(),
            secret: s.secret.clone(),
        }
    } else {
        Channel::Email {
            to: s.target.clone(),
        }
    };
    serde_json::to_value(&c).unwrap_or_default()
}

fn verbatim(v: &Verbatim) -> serde_json::Value {
    serde_json::json!({ "verbatim": v })
}

/// The confirmation message of a new (or returning) subscriber.
pub fn confirmation(links: &Links, name: &str, s: &StatusSubscriber) -> BuiltMessage {
    let confirm = links.confirm(s.id);
    let v = Verbatim {
        event: "subscription_confirm".to_owned(),
        subject: format!("Confirm your subscription to {name}"),
        text: format!(
            "Someone, hopefully you, asked to receive the updates of {name} ({page}) at this \
             address.\n\nTo confirm, open this link and press the button:\n{confirm}\n\n\
             If you did not ask for this, ignore this message: nothing will be sent without \
             confirmation.\n",
            page = links.page
        ),
        payload: serde_json::json!({
            "type": "subscription_confirm",
            "page": {"name": name, "url": links.page},
            "subscriber_id": s.id,
            "confirm_url": confirm,
        }),
        unsubscribe_url: None,
    };
    BuiltMessage {
        channel: channel(s),
        message: verbatim(&v),
    }
}

/// An update message: the notice's public title and body, the page's
/// link and the unsubscribe link. Nothing else of the incident.
pub fn update_message(links: &Links, name: &str, m: &UpdateMail) -> BuiltMessage {
    let unsubscribe = links.unsubscribe(m.subscriber.id);
    let status: firebreak_core::status::PublicStatus = m
        .notice
        .public_status
        .parse()
        .unwrap_or(firebreak_core::status::PublicStatus::Investigating);
    let link = format!("{}#incident-{}", links.page, m.notice.incident_id);
    let v = Verbatim {
        event: "status_update".to_owned(),
        subject: format!("[{name}] {}: {}", status.label(), m.notice.title),
        text: format!(
            "{title}\nStatus: {label}\n\n{body}\n\nFollow it on the status page: {link}\n\n\
             --\nYou receive this because you subscribed to {name}.\n\
             Unsubscribe: {unsubscribe}\n",
            title = m.notice.title,
            label = status.label(),
            body = m.notice.body,
        ),
        payload: serde_json::json!({
            "type": "status_update",
            "page": {"name": name, "url": links.page},
            "incident": {"id": m.notice.incident_id.to_string(), "shortlink": link},
            "update": {
                "id": m.notice.id.to_string(),
                "status": status.as_str(),
                "title": m.notice.title,
                "body": m.notice.body,
                "created_at": m.notice.sent_at.to_rfc3339(),
            },
            "unsubscribe_url": unsubscribe,
        }),
        unsubscribe_url: Some(unsubscribe),
    };
    BuiltMessage {
        channel: channel(&m.subscriber),
        message: verbatim(&v),
    }
}

/// The workers' fan-out step: queues the update messages due.
pub async fn fanout(state: &AppState, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let secret = state.ack_secret().await?.to_owned();
    let links = Links::new(state, &secret);
    let name = super::meta(state).name;
    state
        .store
        .queue_status_updates(now, |m| update_message(&links, &name, m))
        .await
}

#[derive(Template)]
#[template(path = "status_message.html")]
pub struct MessagePage {
    pub name: String,
    pub heading: String,
    pub text: String,
    /// A form with one button: its action and label.
    pub button: Option<(String, String)>,
}

fn message(status: StatusCode, page: MessagePage) -> Response {
    let mut res = crate::web::page_with_status(status, &page);
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

fn too_many(wait: i64, browser: bool, name: String) -> Response {
    let mut res = if browser {
        message(
            StatusCode::TOO_MANY_REQUESTS,
            MessagePage {
                name,
                heading: "Too many requests".to_owned(),
                text: format!(
                    "Too many subscription requests from your address. Try again in {wait} seconds."
                ),
                button: None,
            },
        )
    } else {
        let body = serde_json::json!({
            "type": "https://firebreak.dev/problems/too-many-requests",
            "title": "Too many requests",
            "status": 429,
            "detail": format!("too many subscription requests from this address; retry in {wait} s"),
        });
        let mut res = (StatusCode::TOO_MANY_REQUESTS, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    };
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Checks a request and subscribes it.
async fn subscribe(
    state: &AppState,
    addr: Option<IpAddr>,
    req: Subscribe,
) -> Result<Subscribed, ApiError> {
    let now = state.now();
    let (kind, target, field) = match (&req.email, &req.webhook_url) {
        (Some(e), None) => (SubscriberKind::Email, e.trim().to_owned(), "email"),
        (None, Some(u)) => (SubscriberKind::Webhook, u.trim().to_owned(), "webhook_url"),
        _ => {
            return Err(ApiError::invalid(
                "email",
                "give either an email address or a webhook URL",
            ));
        }
    };
    if target.is_empty() || target.len() > 500 {
        return Err(ApiError::invalid(field, "must be 1 to 500 characters"));
    }
    let secret = (kind == SubscriberKind::Webhook).then(secrets::random_secret);
    let ch = match kind {
        SubscriberKind::Email => Channel::Email { to: target.clone() },
        SubscriberKind::Webhook => Channel::Webhook {
            url: target.clone(),
            secret: secret.clone(),
        },
    };
    ch.check(SetBy::User, &state.config.outgoing)
        .await
        .map_err(|e| ApiError::invalid(field, e.to_string()))?;
    if req.components.len() > 200 {
        return Err(ApiError::invalid("components", "at most 200 components"));
    }
    let new = NewSubscriber {
        kind,
        target,
        secret: secret.clone(),
        components: req.components.clone(),
    };
    let link_secret = state.ack_secret().await?.to_owned();
    let links = Links::new(state, &link_secret);
    let name = super::meta(state).name;
    let actor = Actor {
        user_id: None,
        name: format!(
            "public:{}",
            addr.map_or_else(|| "unknown".to_owned(), |a| a.to_string())
        ),
    };
    let outcome = state
        .store
        .subscribe_status(&new, &actor, now, |s| confirmation(&links, &name, s))
        .await
        .map_err(|e| match e {
            StoreError::NotFound(what) => {
                ApiError::invalid("components", format!("{what} is not on the status page"))
            }
            other => other.into(),
        })?;
    state.wake.wake();
    Ok(match outcome {
        SubscribeOutcome::ConfirmationSent { id, created } => Subscribed {
            id,
            outcome: "confirmation_sent".to_owned(),
            secret: if created { secret } else { None },
        },
        SubscribeOutcome::ConfirmationPending { id } => Subscribed {
            id,
            outcome: "confirmation_pending".to_owned(),
            secret: None,
        },
        SubscribeOutcome::AlreadyConfirmed { id } => Subscribed {
            id,
            outcome: "already_confirmed".to_owned(),
            secret: None,
        },
    })
}

/// `POST /status/subscribe`: the page's form (`email`, `component`
/// repeated).
async fn subscribe_form(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Bytes,
) -> Response {
    let name = super::meta(&state).name;
    if let Err(wait) =
        state
            .status
            .limiter
            .hit(addr, "subscribe", SUBSCRIBES_PER_WINDOW, state.now())
    {
        return too_many(wait, true, name);
    }
    let mut req = Subscribe {
        email: None,
        webhook_url: None,
        components: Vec::new(),
    };
    for (k, v) in form_urlencoded::parse(&body) {
        match &*k {
            "email" => req.email = Some(v.into_owned()),
            "component" => {
                if let Ok(id) = v.parse() {
                    req.components.push(id);
                }
            }
            _ => {}
        }
    }
    let page = |status, heading: &str, text: String| {
        message(
            status,
            MessagePage {
                name: name.clone(),
                heading: heading.to_owned(),
                text,
                button: None,
            },
        )
    };
    match subscribe(&state, addr, req).await {
        Ok(s) => match s.outcome.as_str() {
            "already_confirmed" => page(
                StatusCode::OK,
                "Already subscribed",
                "This address is already subscribed to the updates.".to_owned(),
            ),
            "confirmation_pending" => page(
                StatusCode::OK,
                "Check your inbox",
                "A confirmation link was sent to this address less than an hour ago: open it to \
                 confirm."
                    .to_owned(),
            ),
            _ => page(
                StatusCode::OK,
                "Check your inbox",
                "We sent a confirmation link to this address. Updates start once you confirm."
                    .to_owned(),
            ),
        },
        Err(e) => {
            let (status, _) = e.status();
            let text = match &e {
                ApiError::Internal(_) | ApiError::Unavailable(_) => {
                    "Something went wrong on our side; please try again later.".to_owned()
                }
                e => e.to_string(),
            };
            if matches!(e, ApiError::Internal(_) | ApiError::Unavailable(_)) {
                tracing::error!(error = ?e, "status page: subscribing");
            }
            page(status, "Not subscribed", text)
        }
    }
}

/// Subscribes an email address (a confirmation link is mailed) or a
/// webhook URL (its signing secret is in the answer, once; a signed ping
/// carries the confirmation link). No sign-in; rate limited per client
/// address.
#[utoipa::path(post, path = "/api/v1/status/subscribers", tag = "status", security(()),
    request_body = Subscribe,
    responses(
        (status = 200, description = "Subscribed, or already: see `outcome`.", body = Subscribed),
        (status = 400, description = "Malformed JSON or an unknown field.", body = firebreak_api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad address, a private or loopback webhook URL, or an unknown component, named in `field`.", body = firebreak_api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many subscription requests from this address (`Retry-After`).", body = firebreak_api::Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn subscribe_json(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Bytes,
) -> Response {
    if let Err(wait) =
        state
            .status
            .limiter
            .hit(addr, "subscribe", SUBSCRIBES_PER_WINDOW, state.now())
    {
        return too_many(wait, false, String::new());
    }
    let req: Subscribe = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return ApiError::bad("body", e.to_string()).into_response(),
    };
    match subscribe(&state, addr, req).await {
        Ok(s) => (StatusCode::OK, axum::Json(s)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The subscriber a link names, or the page saying it does not work.
async fn linked(
    state: &AppState,
    addr: Option<IpAddr>,
    purpose: Purpose,
    token: &str,
) -> Result<(i64, String), Response> {
    let name = super::meta(state).name;
    if let Err(wait) = state
        .status
        .limiter
        .hit(addr, "link", LINKS_PER_WINDOW, state.now())
    {
        return Err(too_many(wait, true, name));
    }
    let secret = match state.ack_secret().await {
        Ok(s) => s.to_owned(),
        Err(e) => return Err(ApiError::from(e).into_response()),
    };
    match verify(&secret, purpose, token) {
        Some(id) => Ok((id, name)),
        None => Err(message(
            StatusCode::NOT_FOUND,
            MessagePage {
                name,
                heading: "This link does not work".to_owned(),
                text: "The link is not valid. Copy it whole from the message.".to_owned(),
                button: None,
            },
        )),
    }
}

async fn confirm_get(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    let (_, name) = match linked(&state, addr, Purpose::Confirm, &token).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    message(
        StatusCode::OK,
        MessagePage {
            name,
            heading: "Confirm your subscription".to_owned(),
            text: "Press the button to start receiving the status page's updates.".to_owned(),
            button: Some((format!("/status/confirm/{token}"), "Confirm".to_owned())),
        },
    )
}

async fn confirm_post(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    let (id, name) = match linked(&state, addr, Purpose::Confirm, &token).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let actor = Actor {
        user_id: None,
        name: format!("status_subscriber:{id}"),
    };
    match state
        .store
        .confirm_status_subscriber(id, &actor, state.now())
        .await
    {
        Ok(true) => message(
            StatusCode::OK,
            MessagePage {
                name,
                heading: "Subscription confirmed".to_owned(),
                text: "You will receive the status page's updates. Every message has a link to \
                       unsubscribe."
                    .to_owned(),
                button: None,
            },
        ),
        Ok(false) => message(
            StatusCode::NOT_FOUND,
            MessagePage {
                name,
                heading: "Nothing to confirm".to_owned(),
                text: "This subscription no longer exists: subscribe again on the status page."
                    .to_owned(),
                button: None,
            },
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn unsubscribe_get(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    let (_, name) = match linked(&state, addr, Purpose::Unsubscribe, &token).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    message(
        StatusCode::OK,
        MessagePage {
            name,
            heading: "Unsubscribe".to_owned(),
            text: "Press the button to stop receiving the status page's updates.".to_owned(),
            button: Some((
                format!("/status/unsubscribe/{token}"),
                "Unsubscribe".to_owned(),
            )),
        },
    )
}

/// RFC 8058 one-click unsubscription: one POST, authenticated by the
/// token alone (any body, no cookie).
async fn unsubscribe_post(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    let (id, name) = match linked(&state, addr, Purpose::Unsubscribe, &token).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let actor = Actor {
        user_id: None,
        name: format!("status_subscriber:{id}"),
    };
    match state
        .store
        .unsubscribe_status(id, &actor, state.now())
        .await
    {
        Ok(_) => message(
            StatusCode::OK,
            MessagePage {
                name,
                heading: "Unsubscribed".to_owned(),
                text: "You will receive no more updates. You can subscribe again on the status \
                       page."
                    .to_owned(),
                button: None,
            },
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status/subscribe", post(subscribe_form))
        .route(
            "/status/confirm/{token}",
            get(confirm_get).post(confirm_post),
        )
        .route(
            "/status/unsubscribe/{token}",
            get(unsubscribe_get).post(unsubscribe_post),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_only_themselves() {
        let t = token("s3cret", Purpose::Unsubscribe, 42);
        assert_eq!(verify("s3cret", Purpose::Unsubscribe, &t), Some(42));
        assert_eq!(verify("s3cret", Purpose::Confirm, &t), None);
        assert_eq!(verify("other", Purpose::Unsubscribe, &t), None);
        let forged = t.replacen("42.", "43.", 1);
        assert_eq!(verify("s3cret", Purpose::Unsubscribe, &forged), None);
        assert_eq!(verify("s3cret", Purpose::Unsubscribe, "garbage"), None);
    }

    #[test]
    fn the_limiter_counts_per_address_and_window() {
        let l = Limiter::default();
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(l.hit(Some(a), "x", 3, now).is_ok());
        }
        assert!(l.hit(Some(a), "x", 3, now).is_err());
        assert!(l.hit(Some(b), "x", 3, now).is_ok());
        assert!(l.hit(Some(a), "x", 3, now + WINDOW).is_ok());
    }
}
