//! The server-rendered web UI. Every page works without JavaScript; forms
//! post back and redirect (303) to the page they came from, with an error
//! or notice in a short-lived cookie the next page shows once (never text
//! from the URL, which anyone can put in a link). Sessions are cookies holding a random id
//! whose hash is stored; every form carries the session's CSRF token, and
//! every response carries a Content-Security-Policy that allows only our
//! own stylesheet.

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use firebreak_api::{
    CreateUser, DeclareIncident, DismissReport, GateItem, ImpactFacts, Incident, IncidentFilter,
    Kind, MarkItem, MarkStatus, NewReport, Phase, Report, ReportSource, Role, Severity,
    TimelineEvent, UpdateIncident, User, parse_incident_ref,
};
use firebreak_core::auth::{Action, allowed};
use firebreak_store::SessionInfo;
use firebreak_store::secrets;

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::signin::{self, ClientAddr};

const SESSION_COOKIE: &str = "fb_session";
/// The outcome of the last form: `e.<text>` or `n.<text>`, form-encoded.
const FLASH_COOKIE: &str = "fb_flash";
const CLEAR_FLASH: &str = "fb_flash=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/incidents") }))
        .route("/static/app.css", get(stylesheet))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/incidents", get(incidents_page).post(declare))
        .route("/incidents/new", get(declare_page))
        .route("/incidents/{id}", get(incident_page))
        .route("/incidents/{id}/transition", post(transition))
        .route("/incidents/{id}/checklist/{item}", post(mark))
        .route("/incidents/{id}/notes", post(note))
        .route("/incidents/{id}/severity", post(severity))
        .route("/incidents/{id}/assign", post(assign))
        .route("/incidents/{id}/acknowledge", post(acknowledge))
        .route("/incidents/{id}/escalate", post(escalate))
        .route("/oncall", get(oncall_page))
        .route("/triage", get(triage_page))
        .route("/triage/bulk", post(bulk_triage))
        .route("/reports", post(submit_report))
        .route("/reports/new", get(report_page))
        .route("/reports/{id}/declare", post(declare_report))
        .route("/reports/{id}/link", post(link_report))
        .route("/reports/{id}/dismiss", post(dismiss_report))
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{name}", post(change_user))
        .route("/ack/{token}", get(ack_page).post(ack_link))
        .layer(axum::middleware::from_fn(clear_flash))
}

/// A flash message is shown once: any page (not a redirect) answered to a
/// request that carried one clears it.
async fn clear_flash(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let had = cookie_value(req.headers(), FLASH_COOKIE).is_some();
    let mut res = next.run(req).await;
    if had && !res.status().is_redirection() {
        res.headers_mut()
            .append(header::SET_COOKIE, HeaderValue::from_static(CLEAR_FLASH));
    }
    res
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

#[derive(Template)]
#[template(path = "ack.html")]
struct AckPage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    heading: String,
    text: String,
    token: String,
    show_form: bool,
    incident_id: Option<i64>,
}

fn ack_response(
    status: StatusCode,
    heading: &str,
    text: String,
    token: &str,
    show_form: bool,
    incident_id: Option<i64>,
) -> Response {
    let mut res = page(&AckPage {
        nav_user: None,
        csrf: String::new(),
        error: None,
        notice: None,
        heading: heading.to_owned(),
        text,
        token: token.to_owned(),
        show_form,
        incident_id,
    });
    *res.status_mut() = status;
    res
}

/// Checks a link, answering the page to show when it does not hold.
async fn ack_key(state: &AppState, token: &str) -> Result<(String, i64), Response> {
    let secret = match state.ack_secret().await {
        Ok(s) => s.to_owned(),
        Err(e) => return Err(ApiError::from(e).into_response()),
    };
    crate::ack::verify(&secret, token, state.now()).map_err(|e| {
        let status = match e {
            crate::ack::LinkError::Expired => StatusCode::GONE,
            crate::ack::LinkError::Invalid => StatusCode::BAD_REQUEST,
        };
        ack_response(status, "Link not usable", e.to_string(), token, false, None)
    })
}

/// The link in a page: a confirmation, because mail scanners open links
/// with GET and must not acknowledge for the person paged.
async fn ack_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match ack_key(&state, &token).await {
        Err(r) => r,
        Ok(_) => ack_response(
            StatusCode::OK,
            "Acknowledge this page?",
            "Acknowledging stops the escalation: nobody else is paged for it.".into(),
            &token,
            true,
            None,
        ),
    }
}

async fn ack_link(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let (key, user_id) = match ack_key(&state, &token).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let actor = match state.store.user_by_id(user_id).await {
        Ok(Some(u)) => firebreak_store::Actor::user(u.id, &u.name),
        _ => firebreak_store::Actor {
            user_id: None,
            name: "acknowledgment link".into(),
        },
    };
    match state
        .store
        .acknowledge(None, Some(&key), &actor, state.now())
        .await
    {
        Ok((incident, 0)) => ack_response(
            StatusCode::OK,
            "Nothing to acknowledge",
            "This page was already acknowledged, or its escalation has finished.".into(),
            &token,
            false,
            Some(incident),
        ),
        Ok((incident, _)) => ack_response(
            StatusCode::OK,
            "Acknowledged",
            format!(
                "The page is acknowledged by {}; its escalation stopped.",
                actor.name
            ),
            &token,
            false,
            Some(incident),
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// A page response with the security headers every page carries.
fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => with_headers(Html(html).into_response()),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

fn with_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A signed-in browser user; anyone else is sent to the sign-in page.
pub struct WebUser(pub SessionInfo);

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let to_login = || Redirect::to(&format!("/login?next={}", encode(&next))).into_response();
        let Some(id) = session_cookie(&parts.headers) else {
            return Err(to_login());
        };
        match state.store.session(&id, state.now()).await {
            Ok(Some(s)) => Ok(WebUser(s)),
            Ok(None) => Err(to_login()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Refuses a form whose CSRF token is not the session's.
fn csrf_refused(session: &SessionInfo, token: &str) -> Option<Response> {
    if bool::from(session.csrf_token.as_bytes().ct_eq(token.as_bytes())) {
        None
    } else {
        Some(with_headers(
            (StatusCode::FORBIDDEN, "The form has expired or did not come from this site. Go back, reload and try again.")
                .into_response(),
        ))
    }
}

/// Refuses a sign-in posted from another site (login CSRF): browsers send
/// `Sec-Fetch-Site`, and `Origin` on POST.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, h)| h == host),
        _ => true,
    }
}

/// Where to go after a form: back to `to`, with the outcome in the flash
/// cookie.
fn back(to: &str, outcome: Result<String, ApiError>) -> Response {
    let flash = match outcome {
        Ok(notice) if notice.is_empty() => None,
        Ok(notice) => Some(('n', notice)),
        Err(ApiError::Internal(e)) => {
            tracing::error!(error = %e, "internal error in a form");
            Some((
                'e',
                "Something went wrong on our side; it has been logged.".to_owned(),
            ))
        }
        Err(e) => {
            let mut msg = e.to_string();
            let p = e.problem();
            if let Some(g) = p.gate {
                msg = format!("{msg} (gate: {g})");
            }
            Some(('e', msg))
        }
    };
    let mut res = Redirect::to(to).into_response();
    if let Some((kind, text)) = flash {
        // Cookies hold about 4 KB: long notices are cut.
        let text: String = text.chars().take(1000).collect();
        let cookie = format!(
            "{FLASH_COOKIE}={kind}.{}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60",
            encode(&text)
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The outcome of the last form, from the flash cookie `back` set. Text in
/// the query string (`?error=…`) is never shown: anyone can write a link.
#[derive(Default)]
struct Flash {
    error: Option<String>,
    notice: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Flash {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut f = Flash::default();
        if let Some(v) = cookie_value(&parts.headers, FLASH_COOKIE)
            && let Some((kind, text)) = v.split_once('.')
        {
            let text = percent_decoded(&text.replace('+', " "));
            match kind {
                "e" => f.error = Some(text),
                "n" => f.notice = Some(text),
                _ => {}
            }
        }
        Ok(f)
    }
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    next: String,
}

async fn login_page(
    f: Flash,
    q: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let next = q.map(|Query(q)| q.next).unwrap_or_default();
    page(&LoginPage {
        nav_user: None,
        csrf: String::new(),
        error: f.error,
        notice: f.notice,
        next: next.unwrap_or_default(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `%XX` sequences decoded (others left as they are), as a browser would.
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Only same-site paths are followed after sign-in: one leading `/` (not
/// `//` nor `/\`), no backslash, control or white-space character, both as
/// given and after percent-decoding (browsers drop tabs and newlines from
/// URLs, so `/%09/evil.example` would become `//evil.example`).
fn safe_next(next: &str) -> &str {
    fn local(p: &str) -> bool {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p
                .chars()
                .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    }
    let decoded = percent_decoded(next);
    if local(next) && local(&decoded) {
        next
    } else {
        "/incidents"
    }
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return with_headers((StatusCode::FORBIDDEN, "cross-site sign-in refused").into_response());
    }
    let Ok(Form(form)) = form else {
        return back(
            "/login",
            Err(ApiError::bad("username", "fill in user name and password")),
        );
    };
    let fail = || {
        back(
            &format!("/login?next={}", encode(&form.next)),
            Err(ApiError::Invalid {
                detail: "wrong user name or password".into(),
                field: None,
            }),
        )
    };
    let now = state.now();
    // Throttled per address and account; hashing runs on a bounded pool.
    if let Err(wait) = state.signin.check(addr, &form.username, now) {
        let msg = format!(
            "Too many failed sign-ins. Try again in {}.",
            age(wait.as_secs().try_into().unwrap_or(i64::MAX))
        );
        return login_refused(
            StatusCode::TOO_MANY_REQUESTS,
            wait.as_secs(),
            msg,
            &form.next,
        );
    }
    let (user, hash) = match state.store.user_for_login(&form.username).await {
        Ok(Some((user, hash))) => (Some(user), hash),
        _ => (None, None),
    };
    // Without a user or hash this checks a dummy hash, in the same time,
    // so user names cannot be probed.
    let verified = match signin::verify_password(&form.password, hash.as_deref()).await {
        Ok(ok) => ok,
        Err(busy) => {
            return login_refused(
                StatusCode::SERVICE_UNAVAILABLE,
                5,
                busy.to_string(),
                &form.next,
            );
        }
    };
    let user = match user {
        Some(user) if verified && !user.disabled => user,
        user => {
            state.signin.failed(addr, &form.username, now);
            let reason = match &user {
                None => "unknown user",
                Some(u) if u.disabled => "disabled user",
                Some(_) if hash.is_none() => "no password set",
                Some(_) => "wrong password",
            };
            let name: String = form.username.chars().take(64).collect();
            let audited = state
                .store
                .record(
                    &firebreak_store::Actor {
                        user_id: user.as_ref().map(|u| u.id),
                        name: name.clone(),
                    },
                    "session.login_failed",
                    &format!("user:{name}"),
                    serde_json::json!({"reason": reason, "address": addr.map(|a| a.to_string())}),
                    now,
                )
                .await;
            if let Err(e) = audited {
                tracing::error!(error = %e, "cannot audit a failed sign-in");
            }
            return fail();
        }
    };
    state.signin.succeeded(&form.username);
    let session_id = secrets::random_secret();
    let csrf = secrets::random_secret();
    let expires = now + chrono::Duration::hours(state.config.session_hours);
    if let Err(e) = state
        .store
        .create_session(&session_id, &user, &csrf, now, expires)
        .await
    {
        return ApiError::from(e).into_response();
    }
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        state.config.session_hours * 3600
    );
    let mut res = Redirect::to(safe_next(&form.next)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// The sign-in page again with `msg`, answered with `status` (429 or 503)
/// and `Retry-After`.
fn login_refused(status: StatusCode, retry_after_secs: u64, msg: String, next: &str) -> Response {
    let mut res = page(&LoginPage {
        nav_user: None,
        csrf: String::new(),
        error: Some(msg),
        notice: None,
        next: next.to_owned(),
    });
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after_secs.max(1)),
    );
    res
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    if let Some(id) = session_cookie(&headers)
        && let Err(e) = state.store.end_session(&id, &s.user, state.now()).await
    {
        tracing::error!(error = %e, "cannot end a session");
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("fb_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

fn cx<'a>(state: &'a AppState, s: &'a SessionInfo) -> Ctx<'a> {
    state.ctx(&s.user)
}

fn error_page(user: &SessionInfo, e: ApiError) -> Response {
    #[derive(Template)]
    #[template(path = "error.html")]
    struct ErrorPage {
        nav_user: Option<User>,
        csrf: String,
        error: Option<String>,
        notice: Option<String>,
        title: String,
    }
    let (status, title) = e.status();
    let detail = match &e {
        ApiError::Internal(_) => None,
        e => Some(e.to_string()),
    };
    let mut res = page(&ErrorPage {
        nav_user: Some(user.user.clone()),
        csrf: user.csrf_token.clone(),
        error: detail,
        notice: None,
        title: title.to_owned(),
    });
    *res.status_mut() = status;
    res
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    incidents: Vec<Incident>,
    severities: &'static [Severity],
}

#[derive(Deserialize, Default)]
struct ListQuery {
    phase: Option<Phase>,
    severity: Option<Severity>,
    kind: Option<Kind>,
    open: Option<bool>,
}

async fn incidents_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Flash,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = cx(&state, &s);
    let filter = IncidentFilter {
        phase: q.phase,
        severity: q.severity,
        kind: q.kind,
        open: q.open,
    };
    match state.store.list_incidents(&filter, &c.reader()).await {
        Ok(incidents) => page(&IncidentsPage {
            nav_user: Some(s.user.clone()),
            csrf: s.csrf_token.clone(),
            error: f.error,
            notice: f.notice,
            incidents,
            severities: Severity::ALL,
        }),
        Err(e) => error_page(&s, e.into()),
    }
}

/// The gate of one phase as the page shows it.
struct GateView {
    phase: Phase,
    current: bool,
    items: Vec<firebreak_api::ChecklistEntry>,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    i: Incident,
    gates: Vec<GateView>,
    timeline: Vec<TimelineEvent>,
    phases: &'static [Phase],
    next_phase: Option<Phase>,
    severities: &'static [Severity],
    users: Vec<User>,
    can_respond: bool,
    can_note: bool,
    escalations: Vec<firebreak_api::Escalation>,
    active_pages: bool,
    failed_notifications: usize,
    runbook: Option<String>,
    /// Pages that reached nobody (who they were for), and whether a
    /// fallback was told.
    unrouted: Vec<String>,
    fallback_told: bool,
}

async fn incident_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    f: Flash,
) -> Response {
    let c = cx(&state, &s);
    let Some(id) = parse_incident_ref(&id) else {
        return error_page(&s, ApiError::NotFound(format!("incident `{id}`")));
    };
    let incident = match c.incident(id).await {
        Ok(i) => i,
        Err(e) => return error_page(&s, e),
    };
    let loaded = async {
        let timeline = state.store.timeline(id).await?;
        let users = crate::escalate::assignable_users(&state.store.directory().await?);
        let escalations = state.store.escalations(id).await?;
        let notifications = state.store.notifications(Some(id)).await?;
        let runbook = match &incident.service {
            Some(name) => state
                .store
                .service_escalation(name)
                .await?
                .map(|(_, r)| r)
                .filter(|r| !r.trim().is_empty()),
            None => None,
        };
        Ok::<_, firebreak_store::StoreError>((timeline, users, escalations, notifications, runbook))
    }
    .await;
    let (timeline, users, escalations, notifications, runbook) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&s, e.into()),
    };
    let gates = Phase::ALL
        .iter()
        .filter(|p| **p != Phase::Closed)
        .map(|p| GateView {
            phase: *p,
            current: *p == incident.phase,
            items: incident
                .checklist
                .iter()
                .filter(|c| c.phase == *p)
                .cloned()
                .collect(),
        })
        .collect();
    let unrouted: Vec<String> = escalations
        .iter()
        .filter(|e| e.page && e.state == "unrouted")
        .map(|e| match &e.to_user {
            Some(u) => format!("{} has no contact method", u.name),
            None => e.to.clone(),
        })
        .collect();
    let fallback_told = escalations
        .iter()
        .any(|e| e.audience == "fallback" && e.state == "routed");
    page(&IncidentPage {
        unrouted,
        fallback_told,
        nav_user: Some(s.user.clone()),
        csrf: s.csrf_token.clone(),
        error: f.error,
        notice: f.notice,
        next_phase: incident.phase.next(),
        i: incident,
        gates,
        timeline,
        phases: Phase::ALL,
        severities: Severity::ALL,
        users,
        can_respond: allowed(s.user.role, Action::Respond),
        can_note: allowed(s.user.role, Action::AddNote),
        active_pages: escalations
            .iter()
            .any(|e| e.chain_state.as_deref() == Some("active")),
        escalations,
        failed_notifications: notifications.iter().filter(|n| n.state == "failed").count(),
        runbook,
    })
}

async fn acknowledge(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = actions::acknowledge(&c, id).await.map(|a| match a.chains {
        0 => "Nothing was waiting for an acknowledgment".to_owned(),
        n => format!("Acknowledged; {n} escalation(s) stopped"),
    });
    back(&format!("/incidents/{id}"), result)
}

#[derive(Deserialize)]
struct EscalateForm {
    csrf: String,
    to: String,
    #[serde(default)]
    reason: String,
}

async fn escalate(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<EscalateForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = actions::escalate_manual(&c, id, &f.to, &f.reason)
        .await
        .map(|_| format!("Escalated to {}", f.to));
    back(&format!("/incidents/{id}"), result)
}

#[derive(Template)]
#[template(path = "oncall.html")]
struct OnCallPage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    answers: Vec<firebreak_api::OnCallAnswer>,
}

async fn oncall_page(State(state): State<AppState>, WebUser(s): WebUser) -> Response {
    let now = state.now();
    match state.store.schedules().await {
        Ok(defs) => {
            let answers = defs
                .into_iter()
                .filter_map(|d| {
                    serde_json::from_value::<firebreak_core::oncall::Schedule>(d.definition).ok()
                })
                .map(|sch| crate::http::oncall_api::answer(&sch, now))
                .collect();
            page(&OnCallPage {
                nav_user: Some(s.user.clone()),
                csrf: s.csrf_token.clone(),
                error: None,
                notice: None,
                answers,
            })
        }
        Err(e) => error_page(&s, e.into()),
    }
}

const FACT_NAMES: &[(&str, &str)] = &[
    (
        "customer_data_accessed",
        "Unauthorized access to customer data confirmed",
    ),
    ("full_outage", "Platform unavailable to all users"),
    (
        "active_exploitation",
        "Vulnerability under active exploitation",
    ),
    ("major_feature_unavailable", "Major feature unavailable"),
    ("isolated_finding", "Isolated finding"),
    ("single_tenant", "Single tenant affected"),
    ("regional_degradation", "Degradation in one region"),
    ("customer_blocked", "A customer is blocked"),
    ("cross_team_needed", "Fix needs cross-team coordination"),
    ("sla_affected", "SLA or contract affected"),
];

fn facts_from(names: &[String]) -> Result<ImpactFacts, ApiError> {
    let mut f = ImpactFacts::default();
    for n in names {
        let slot = match n.as_str() {
            "customer_data_accessed" => &mut f.customer_data_accessed,
            "full_outage" => &mut f.full_outage,
            "active_exploitation" => &mut f.active_exploitation,
            "major_feature_unavailable" => &mut f.major_feature_unavailable,
            "isolated_finding" => &mut f.isolated_finding,
            "single_tenant" => &mut f.single_tenant,
            "regional_degradation" => &mut f.regional_degradation,
            "customer_blocked" => &mut f.customer_blocked,
            "cross_team_needed" => &mut f.cross_team_needed,
            "sla_affected" => &mut f.sla_affected,
            other => return Err(ApiError::bad("fact", format!("unknown fact `{other}`"))),
        };
        *slot = true;
    }
    Ok(f)
}

#[derive(Template)]
#[template(path = "declare.html")]
struct DeclarePage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    severities: &'static [Severity],
    fact_names: &'static [(&'static str, &'static str)],
    users: Vec<User>,
    default_security: bool,
}

async fn declare_page(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    let users = match state.store.directory().await {
        Ok(d) => crate::escalate::assignable_users(&d),
        Err(e) => return error_page(&s, e.into()),
    };
    page(&DeclarePage {
        nav_user: Some(s.user.clone()),
        csrf: s.csrf_token.clone(),
        error: f.error,
        notice: f.notice,
        severities: Severity::ALL,
        fact_names: FACT_NAMES,
        users,
        default_security: s.user.role == Role::Security,
    })
}

/// A declare form (direct or from a report). Repeated `fact` fields need
/// a sequence, which `serde_urlencoded` cannot give, so the body is parsed
/// by hand.
#[derive(Default)]
struct DeclareForm {
    csrf: String,
    title: String,
    summary: String,
    kind: String,
    severity: String,
    severity_reason: String,
    owner: String,
    facts: Vec<String>,
}

fn declare_form(body: &[u8]) -> DeclareForm {
    let mut f = DeclareForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "csrf" => f.csrf = v,
            "title" => f.title = v,
            "summary" => f.summary = v,
            "kind" => f.kind = v,
            "severity" => f.severity = v,
            "severity_reason" => f.severity_reason = v,
            "owner" => f.owner = v,
            "fact" => f.facts.push(v),
            _ => {}
        }
    }
    f
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn declare_request(f: &DeclareForm) -> Result<DeclareIncident, ApiError> {
    let kind: Kind = f
        .kind
        .parse()
        .map_err(|e: firebreak_core::ParseEnumError| ApiError::bad("kind", e.to_string()))?;
    let severity = match non_empty(&f.severity) {
        Some(s) => Some(
            s.parse::<Severity>()
                .map_err(|e| ApiError::bad("severity", e.to_string()))?,
        ),
        None => None,
    };
    Ok(DeclareIncident {
        title: f.title.clone(),
        summary: non_empty(&f.summary),
        kind,
        severity,
        severity_reason: non_empty(&f.severity_reason),
        facts: Some(facts_from(&f.facts)?),
        owner: non_empty(&f.owner),
        lead: None,
        service: None,
    })
}

async fn declare(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: axum::body::Bytes,
) -> Response {
    let f = declare_form(&body);
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async { actions::declare(&c, &declare_request(&f)?, None).await }.await;
    match result {
        Ok(i) => back(
            &format!("/incidents/{}", i.id),
            Ok(format!("{} declared", i.reference)),
        ),
        Err(e) => back("/incidents/new", Err(e)),
    }
}

#[derive(Deserialize)]
struct TransitionForm {
    csrf: String,
    to: String,
    #[serde(default)]
    reason: String,
}

async fn transition(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<TransitionForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let to = format!("/incidents/{id}");
    let c = cx(&state, &s);
    let result = async {
        let phase: Phase =
            f.to.parse()
                .map_err(|e: firebreak_core::ParseEnumError| ApiError::bad("to", e.to_string()))?;
        let reason = non_empty(&f.reason);
        actions::transition(&c, id, phase, reason.as_deref())
            .await
            .map(|i| format!("Moved to {}", i.phase.label()))
    }
    .await;
    back(&to, result)
}

#[derive(Deserialize)]
struct MarkForm {
    csrf: String,
    status: String,
    #[serde(default)]
    text: String,
}

async fn mark(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((id, item)): Path<(i64, String)>,
    Form(f): Form<MarkForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        let item: GateItem = item
            .parse()
            .map_err(|e: firebreak_core::ParseEnumError| ApiError::bad("item", e.to_string()))?;
        let text = non_empty(&f.text);
        let req = match f.status.as_str() {
            "done" => MarkItem {
                status: MarkStatus::Done,
                note: text,
                reason: None,
            },
            "waived" => MarkItem {
                status: MarkStatus::Waived,
                note: None,
                reason: text,
            },
            _ => return Err(ApiError::bad("status", "status is done or waived")),
        };
        actions::mark(&c, id, item, &req)
            .await
            .map(|_| format!("{} marked {}", item.label(), f.status))
    }
    .await;
    back(&format!("/incidents/{id}"), result)
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: String,
    body: String,
}

async fn note(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = actions::note(&c, id, &f.body)
        .await
        .map(|_| "Note added".to_owned());
    back(&format!("/incidents/{id}"), result)
}

#[derive(Deserialize)]
struct SeverityForm {
    csrf: String,
    severity: String,
    #[serde(default)]
    reason: String,
}

async fn severity(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<SeverityForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        let sev: Severity = f
            .severity
            .parse()
            .map_err(|e: firebreak_core::ParseEnumError| {
                ApiError::bad("severity", e.to_string())
            })?;
        let req = UpdateIncident {
            severity: Some(sev),
            reason: non_empty(&f.reason),
            ..UpdateIncident::default()
        };
        actions::update(&c, id, &req)
            .await
            .map(|_| format!("Severity is {sev}"))
    }
    .await;
    back(&format!("/incidents/{id}"), result)
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    lead: String,
}

async fn assign(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let req = UpdateIncident {
        owner: non_empty(&f.owner),
        lead: non_empty(&f.lead),
        ..UpdateIncident::default()
    };
    let result = actions::update(&c, id, &req)
        .await
        .map(|_| "Assigned".to_owned());
    back(&format!("/incidents/{id}"), result)
}

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    reports: Vec<Report>,
    /// The alert behind each report that has one, by report id.
    alerts: std::collections::HashMap<i64, firebreak_api::intake::AlertBrief>,
    can_triage: bool,
    severities: &'static [Severity],
    fact_names: &'static [(&'static str, &'static str)],
    users: Vec<User>,
    /// The filters: a source and a service name, or "" for any.
    source: String,
    service: String,
    sources: &'static [ReportSource],
    services: Vec<String>,
    /// Per source: untriaged reports and how long the oldest has waited.
    backlog: Vec<(String, i64, String)>,
    /// The noise view: the last [`NOISE_DAYS`] days (oldest first), and per
    /// service its reports on each day and in all.
    noise_days: Vec<String>,
    noise: Vec<(String, Vec<i64>, i64)>,
}

/// Days the triage page's noise view covers.
const NOISE_DAYS: i64 = 7;

impl TriagePage {
    fn age(&self, seconds: &i64) -> String {
        age(*seconds)
    }

    /// One line on the alert behind a report, or "" when none is.
    fn alert_line(&self, report: &i64) -> String {
        let Some(a) = self.alerts.get(report) else {
            return String::new();
        };
        let mut line = format!(
            "Alert from {}: {}, seen {} time{}, last {}",
            a.integration,
            a.status,
            a.count,
            if a.count == 1 { "" } else { "s" },
            a.last_seen.format("%Y-%m-%d %H:%M UTC")
        );
        if let Some(sev) = &a.severity {
            line.push_str(&format!(", severity {sev}"));
        }
        line.push_str(&format!(" · {}", a.disposition));
        if let Some(by) = &a.suppressed_by {
            line.push_str(&format!(" ({by})"));
        }
        line
    }
}

/// The triage page's query: the filters.
#[derive(Deserialize, Default)]
struct TriageParams {
    source: Option<String>,
    service: Option<String>,
}

/// A short human age: "3 min", "2 h 5 min", "4 d 1 h".
fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

async fn triage_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Flash,
    q: Result<Query<TriageParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = cx(&state, &s);
    let reader = c.reader();
    let source = q.source.filter(|v| !v.is_empty());
    let service = q.service.filter(|v| !v.is_empty());
    let loaded = async {
        let filter = firebreak_store::intake::TriageFilter {
            status: None,
            source: match source.as_deref() {
                None => None,
                Some(v) => Some(ReportSource::parse(v).ok_or_else(|| {
                    ApiError::bad("source", format!("`{v}` is not a report source"))
                })?),
            },
            service: service.clone(),
            limit: 200,
        };
        let (reports, alerts) = crate::intake::triage::queue_with_alerts(&c, &filter).await?;
        let backlog = state
            .store
            .triage_backlog(&reader, c.now)
            .await?
            .into_iter()
            .map(|b| {
                (
                    b.source.as_str().to_owned(),
                    b.untriaged,
                    age(b.oldest_age_seconds),
                )
            })
            .collect();
        let (from, to) = crate::intake::triage::noise_window(c.now, NOISE_DAYS);
        let days: Vec<String> = (0..NOISE_DAYS)
            .map(|d| {
                (from + chrono::Duration::days(d))
                    .format("%m-%d")
                    .to_string()
            })
            .collect();
        let mut noise: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
        for row in state.store.report_noise(from, to, None, &reader).await? {
            let day = (row.day.with_timezone(&chrono::Utc) - from).num_days();
            let counts = noise
                .entry(row.service.unwrap_or_else(|| "(no service)".to_owned()))
                .or_insert_with(|| vec![0; days.len()]);
            if let Some(n) = usize::try_from(day).ok().and_then(|d| counts.get_mut(d)) {
                *n += row.reports;
            }
        }
        let noise = noise
            .into_iter()
            .map(|(svc, counts)| {
                let total = counts.iter().sum();
                (svc, counts, total)
            })
            .collect();
        let services = state
            .store
            .list_services()
            .await?
            .into_iter()
            .map(|svc| svc.name)
            .collect();
        let users = crate::escalate::assignable_users(&state.store.directory().await?);
        Ok::<_, ApiError>((reports, alerts, backlog, days, noise, services, users))
    }
    .await;
    let (reports, alerts, backlog, noise_days, noise, services, users) = match loaded {
        Ok(l) => l,
        Err(e) => return error_page(&s, e),
    };
    page(&TriagePage {
        nav_user: Some(s.user.clone()),
        csrf: s.csrf_token.clone(),
        error: f.error,
        notice: f.notice,
        reports,
        alerts,
        can_triage: allowed(s.user.role, Action::Triage),
        severities: Severity::ALL,
        fact_names: FACT_NAMES,
        users,
        source: source.unwrap_or_default(),
        service: service.unwrap_or_default(),
        sources: ReportSource::ALL,
        services,
        backlog,
        noise_days,
        noise,
    })
}

/// The triage page's bulk form: the checked reports, linked or dismissed.
#[derive(Deserialize)]
struct BulkForm {
    csrf: String,
    action: String,
    #[serde(default)]
    report: Vec<i64>,
    #[serde(default)]
    incident: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// The page's filters, to come back to them.
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

/// Failed reports named in a bulk action's notice; the rest are counted.
const BULK_FAILURES_SHOWN: usize = 5;

async fn bulk_triage(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    form: Result<axum_extra::extract::Form<BulkForm>, axum_extra::extract::FormRejection>,
) -> Response {
    let f = match form {
        Ok(axum_extra::extract::Form(f)) => f,
        Err(e) => {
            return back(
                "/triage",
                Err(ApiError::bad(
                    "report",
                    format!("the form could not be read: {e}"),
                )),
            );
        }
    };
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        let action = match f.action.as_str() {
            "link" => firebreak_api::intake::BulkAction::Link,
            "dismiss" => firebreak_api::intake::BulkAction::Dismiss,
            other => {
                return Err(ApiError::invalid(
                    "action",
                    format!("`{other}` is not link or dismiss"),
                ));
            }
        };
        if f.report.is_empty() {
            return Err(ApiError::invalid("reports", "tick at least one report"));
        }
        let req = firebreak_api::intake::BulkTriage {
            action,
            reports: f.report.clone(),
            incident: f.incident.clone(),
            reason: f.reason.clone(),
        };
        let out = crate::intake::triage::bulk_triage(&c, &req).await?;
        let verb = match action {
            firebreak_api::intake::BulkAction::Link => "linked",
            firebreak_api::intake::BulkAction::Dismiss => "dismissed",
        };
        let mut notice = format!(
            "{} report{} {verb}",
            out.done.len(),
            if out.done.len() == 1 { "" } else { "s" }
        );
        for failed in out.failed.iter().take(BULK_FAILURES_SHOWN) {
            let why = failed
                .problem
                .detail
                .as_deref()
                .unwrap_or(&failed.problem.title);
            notice.push_str(&format!("; report {}: {why}", failed.report));
        }
        if out.failed.len() > BULK_FAILURES_SHOWN {
            notice.push_str(&format!(
                "; {} more refused",
                out.failed.len() - BULK_FAILURES_SHOWN
            ));
        }
        Ok(notice)
    }
    .await;
    let mut to = "/triage".to_owned();
    for (name, value) in [("source", &f.source), ("service", &f.service)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            let sep = if to.contains('?') { '&' } else { '?' };
            to.push_str(&format!("{sep}{name}={}", encode(v)));
        }
    }
    back(&to, result)
}

#[derive(Template)]
#[template(path = "report_new.html")]
struct ReportPage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    sources: &'static [ReportSource],
}

async fn report_page(WebUser(s): WebUser, f: Flash) -> Response {
    page(&ReportPage {
        nav_user: Some(s.user.clone()),
        csrf: s.csrf_token.clone(),
        error: f.error,
        notice: f.notice,
        sources: ReportSource::ALL,
    })
}

#[derive(Deserialize)]
struct ReportForm {
    csrf: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    reporter: String,
    #[serde(default)]
    confidential: Option<String>,
}

async fn submit_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Form(f): Form<ReportForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        let source = match non_empty(&f.source) {
            Some(src) => Some(
                ReportSource::parse(&src)
                    .ok_or_else(|| ApiError::bad("source", format!("unknown source `{src}`")))?,
            ),
            None => None,
        };
        let req = NewReport {
            title: f.title.clone(),
            description: non_empty(&f.description),
            source,
            reporter: non_empty(&f.reporter),
            confidential: Some(f.confidential.is_some()),
            service: None,
        };
        actions::submit_report(&c, &req, ReportSource::Manual).await
    }
    .await;
    match result {
        Ok(r) => back(
            "/triage",
            Ok(format!("Report {} is in the triage queue", r.id)),
        ),
        Err(e) => back("/reports/new", Err(e)),
    }
}

async fn declare_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let f = declare_form(&body);
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        let report = c.report(id).await?;
        let mut req = declare_request(&f)?;
        if req.title.trim().is_empty() {
            req.title = report.title.clone();
        }
        if req.summary.is_none() {
            req.summary = non_empty(&report.description);
        }
        actions::declare(&c, &req, Some(id)).await
    }
    .await;
    match result {
        Ok(i) => back(
            &format!("/incidents/{}", i.id),
            Ok(format!("{} declared from report {id}", i.reference)),
        ),
        Err(e) => back("/triage", Err(e)),
    }
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    incident: String,
}

async fn link_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        let incident = parse_incident_ref(&f.incident).ok_or_else(|| {
            ApiError::invalid(
                "incident",
                format!("`{}` is not an incident reference", f.incident),
            )
        })?;
        actions::link_report(&c, id, incident).await.map(|r| {
            format!(
                "Report {} linked to {}",
                r.id,
                r.incident_ref.unwrap_or_default()
            )
        })
    }
    .await;
    back("/triage", result)
}

#[derive(Deserialize)]
struct DismissForm {
    csrf: String,
    reason: String,
}

async fn dismiss_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<DismissForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = actions::dismiss_report(
        &c,
        id,
        &DismissReport {
            reason: f.reason.clone(),
        },
    )
    .await
    .map(|r| format!("Report {} dismissed", r.id));
    back("/triage", result)
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav_user: Option<User>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    users: Vec<User>,
    roles: &'static [Role],
}

async fn users_page(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = cx(&state, &s).require(Action::ManageUsers) {
        return error_page(&s, e);
    }
    match state.store.list_users().await {
        Ok(users) => page(&UsersPage {
            nav_user: Some(s.user.clone()),
            csrf: s.csrf_token.clone(),
            error: f.error,
            notice: f.notice,
            users,
            roles: Role::ALL,
        }),
        Err(e) => error_page(&s, e.into()),
    }
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    name: String,
    role: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Form(f): Form<UserForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        c.require(Action::ManageUsers)?;
        let role: Role = f
            .role
            .parse()
            .map_err(|e: firebreak_core::ParseEnumError| ApiError::bad("role", e.to_string()))?;
        let req = CreateUser {
            name: f.name.trim().to_owned(),
            role,
            display_name: None,
            email: non_empty(&f.email),
            password: non_empty(&f.password),
        };
        crate::http::api::create_user_checked(&c, &req)
            .await
            .map(|u| format!("User {} added as {}", u.name, u.role))
    }
    .await;
    back("/admin/users", result)
}

#[derive(Deserialize)]
struct UserChangeForm {
    csrf: String,
    /// `role`, `disable` or `enable`.
    change: String,
    #[serde(default)]
    role: String,
}

/// Sets a user's role, or disables / enables them (admins; the rule is
/// `accounts::change_user`, shared with the API).
async fn change_user(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    Form(f): Form<UserChangeForm>,
) -> Response {
    if let Some(r) = csrf_refused(&s, &f.csrf) {
        return r;
    }
    let c = cx(&state, &s);
    let result = async {
        let req = match f.change.as_str() {
            "role" => firebreak_api::UpdateUser {
                role: Some(
                    f.role
                        .parse()
                        .map_err(|e: firebreak_core::ParseEnumError| {
                            ApiError::bad("role", e.to_string())
                        })?,
                ),
                disabled: None,
            },
            "disable" => firebreak_api::UpdateUser {
                role: None,
                disabled: Some(true),
            },
            "enable" => firebreak_api::UpdateUser {
                role: None,
                disabled: Some(false),
            },
            other => return Err(ApiError::bad("change", format!("unknown change `{other}`"))),
        };
        crate::http::accounts::change_user(&c, &name, &req)
            .await
            .map(|u| match f.change.as_str() {
                "role" => format!("{} is now {}", u.name, u.role),
                "disable" => format!("{} is disabled; their sessions and tokens stopped", u.name),
                _ => format!("{} is enabled", u.name),
            })
    }
    .await;
    back("/admin/users", result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_well() {
        assert_eq!(age(5), "5 s");
        assert_eq!(age(125), "2 min");
        assert_eq!(age(7_500), "2 h 5 min");
        assert_eq!(age(86_400 * 3 + 3_600), "3 d 1 h");
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/incidents/3"), "/incidents/3");
        assert_eq!(safe_next("//evil.example/x"), "/incidents");
        assert_eq!(safe_next("https://evil.example"), "/incidents");
        assert_eq!(safe_next("/\\evil"), "/incidents");
        assert_eq!(safe_next("/%09/evil.example"), "/incidents");
        assert_eq!(safe_next("/\t/evil.example"), "/incidents");
        assert_eq!(safe_next("/%2f/evil.example"), "/incidents");
        assert_eq!(safe_next("/%5cevil.example"), "/incidents");
        assert_eq!(safe_next("/incidents?phase=triage%20x"), "/incidents");
        assert_eq!(safe_next("/incidents?open=true"), "/incidents?open=true");
    }

    #[test]
    fn facts_parse_from_checkbox_names() {
        let f = facts_from(&["full_outage".into(), "sla_affected".into()]).unwrap();
        assert!(f.full_outage && f.sla_affected && !f.customer_data_accessed);
        assert!(facts_from(&["nope".into()]).is_err());
    }
}
