//! The on-call pages: who is on call now, next and this week, and whom a
//! page for each service reaches ([`board`] works that out); acknowledging
//! and escalating an incident by hand; and the acknowledgment link a page carries (a
//! confirmation page, then the acknowledgment).

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::board;
use crate::AppState;
use crate::actions::{self, AckTarget};
use crate::error::ApiError;
use crate::web::csrf::{TokenOnly, url_encoded_forms};
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back_to_incident, error_page, page_with_status,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oncall", get(oncall_page))
        .route("/incidents/{id}/acknowledge", post(acknowledge))
        .route("/incidents/{id}/escalate", post(escalate))
        .route("/ack/{token}", get(ack_page).post(ack_link))
}

#[derive(Template)]
#[template(path = "oncall.html")]
struct OnCallPage {
    layout: Layout,
    /// The viewer's zone (the `tz` query, or UTC).
    viewer_tz: String,
    schedules: Vec<board::ScheduleView>,
    /// Schedules whose stored definition cannot be read.
    unreadable: Vec<String>,
    services: Vec<board::ServiceView>,
}

/// Who is on call on every schedule, now, next and the coming week, in the
/// schedule's zone and the viewer's (`?tz=Area/City`, UTC without it); and
/// whom a page for each service reaches now ([`board`]).
async fn oncall_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    RawQuery(query): RawQuery,
) -> Response {
    let now = state.now();
    let tz_param = query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "tz")
            .map(|(_, v)| v.into_owned())
    });
    let (viewer, zone_error) = match board::viewer_zone(tz_param.as_deref()) {
        Ok(tz) => (tz, None),
        Err(e) => (chrono_tz::Tz::UTC, Some(e)),
    };
    let dir = match state.store.directory().await {
        Ok(d) => d,
        Err(e) => return error_page(&s, e.into()),
    };
    let services = match state.store.list_services().await {
        Ok(l) => l,
        Err(e) => return error_page(&s, e.into()),
    };
    let mut schedules = Vec::new();
    let mut unreadable = Vec::new();
    for (name, raw) in &dir.schedules {
        match serde_json::from_value::<firebreak_core::oncall::Schedule>(raw.clone()) {
            Ok(sch) => schedules.push(board::schedule_view(&sch, viewer, now)),
            Err(_) => unreadable.push(name.clone()),
        }
    }
    let owners: Vec<(String, String)> = services
        .into_iter()
        .map(|sv| (sv.name, sv.owner_team))
        .collect();
    let services = board::services_view(
        &dir,
        &owners,
        &state.config.escalation,
        state.config.email_configured,
        viewer,
        now,
    );
    let status = if zone_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page_with_status(
        status,
        &OnCallPage {
            layout: Layout::signed_in(&s, Flash::error(zone_error)),
            viewer_tz: viewer.name().to_owned(),
            schedules,
            unreadable,
            services,
        },
    )
}

async fn acknowledge(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<TokenOnly>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = actions::acknowledge(&c, id).await.map(|a| match a.chains {
        0 => "Nothing was waiting for an acknowledgment".to_owned(),
        n => format!("Acknowledged; {n} escalation(s) stopped"),
    });
    back_to_incident(id, result)
}

#[derive(Deserialize)]
struct EscalateForm {
    csrf: String,
    to: String,
    #[serde(default)]
    reason: String,
}

url_encoded_forms!(EscalateForm);

async fn escalate(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EscalateForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = actions::escalate_manual(&c, id, &f.to, &f.reason)
        .await
        .map(|_| format!("Escalated to {}", f.to));
    back_to_incident(id, result)
}

#[derive(Template)]
#[template(path = "ack.html")]
struct AckPage {
    layout: Layout,
    heading: String,
    text: String,
    token: String,
    show_form: bool,
    incident_id: Option<i64>,
    /// What the page was about, shown before any button.
    about: Option<AckAbout>,
}

/// The incident and person an acknowledgment link is for. A confidential
/// incident's title is not shown: the link may have been passed on.
struct AckAbout {
    reference: String,
    title: Option<String>,
    kind: String,
    severity: Option<String>,
    service: Option<String>,
    for_user: Option<String>,
}

fn ack_response(
    status: StatusCode,
    heading: &str,
    text: String,
    token: &str,
    show_form: bool,
    incident_id: Option<i64>,
) -> Response {
    ack_response_about(status, heading, text, token, show_form, incident_id, None)
}

/// [`ack_response`] naming what the page was about.
fn ack_response_about(
    status: StatusCode,
    heading: &str,
    text: String,
    token: &str,
    show_form: bool,
    incident_id: Option<i64>,
    about: Option<AckAbout>,
) -> Response {
    page_with_status(
        status,
        &AckPage {
            layout: Layout::anonymous(Flash::default()),
            heading: heading.to_owned(),
            text,
            token: token.to_owned(),
            show_form,
            incident_id,
            about,
        },
    )
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
/// with GET and must not acknowledge for the person paged. It names the
/// incident, its severity and service and whom the page was for, and says
/// before any button when the page was already acknowledged or is over.
async fn ack_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let (key, user_id) = match ack_key(&state, &token).await {
        Err(r) => return r,
        Ok(k) => k,
    };
    let loaded = async {
        let Some(chain) = state.store.chain_by_ack_key(&key).await? else {
            return Ok(None);
        };
        let user = state.store.user_by_id(user_id).await?;
        // Read as the system: what is shown of a confidential incident is
        // decided below, not by who holds the link.
        let reader = firebreak_store::Reader {
            user_id,
            sees_all_confidential: true,
        };
        let incident = state.store.incident(chain.incident_id, &reader).await?;
        Ok::<_, firebreak_store::StoreError>(Some((chain, user, incident)))
    }
    .await;
    let (chain, user, incident) = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => {
            return ack_response(
                StatusCode::NOT_FOUND,
                "Link not usable",
                "This link names no page.".into(),
                &token,
                false,
                None,
            );
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let about = incident.as_ref().map(|i| AckAbout {
        reference: i.reference.clone(),
        title: (!i.confidential).then(|| i.title.clone()),
        kind: i.kind.to_string(),
        severity: i.severity.map(|s| s.to_string()),
        service: i.service.clone(),
        for_user: user.as_ref().map(|u| u.name.clone()),
    });
    let (status, heading, text, show_form) = match chain.state.as_str() {
        "active" => (
            StatusCode::OK,
            "Acknowledge this page?",
            "Acknowledging stops the escalation: nobody else is paged for it.".to_owned(),
            true,
        ),
        "acknowledged" => (
            StatusCode::OK,
            "Already acknowledged",
            format!(
                "This page was acknowledged{}{}; nothing more to do here.",
                chain
                    .acknowledged_by
                    .as_deref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default(),
                chain
                    .acknowledged_at
                    .map(|t| format!(" at {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            ),
            false,
        ),
        other => (
            StatusCode::OK,
            "This page is over",
            match other {
                "exhausted" => "Nobody acknowledged it in time and every level was tried; \
                                the escalation has finished."
                    .to_owned(),
                _ => "The incident was closed before anyone acknowledged; \
                      nothing more to do here."
                    .to_owned(),
            },
            false,
        ),
    };
    ack_response_about(
        status,
        heading,
        text,
        &token,
        show_form,
        Some(chain.incident_id),
        about,
    )
}

/// Acknowledges for the person the link was sent to, through the same
/// action as the API's acknowledge ([`actions::acknowledge_pages`]).
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
    let acked =
        actions::acknowledge_pages(&state.store, AckTarget::Link(&key), &actor, state.now()).await;
    match acked {
        Ok(a) if a.chains == 0 => ack_response(
            StatusCode::OK,
            "Nothing to acknowledge",
            "This page was already acknowledged, or its escalation has finished.".into(),
            &token,
            false,
            Some(a.incident_id),
        ),
        Ok(a) => ack_response(
            StatusCode::OK,
            "Acknowledged",
            format!(
                "The page is acknowledged by {}; its escalation stopped.",
                actor.name
            ),
            &token,
            false,
            Some(a.incident_id),
        ),
        Err(e) => e.into_response(),
    }
}
