//! The incident pages: the list, one incident (gates, timeline,
//! escalations), and its forms (phase, checklist, note, severity,
//! assignment). Declaring is in [`super::declare`]; acknowledging and
//! escalating by hand in [`crate::oncall::web`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_api::{
    GateItem, Incident, IncidentFilter, Kind, MarkItem, MarkStatus, Phase, Severity, TimelineEvent,
    UpdateIncident, User, parse_incident_ref,
};
use firebreak_core::auth::{Action, allowed};

use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::web::csrf::url_encoded_forms;
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back_to_incident, error_page, non_empty, page, parse_field,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/incidents",
            get(incidents_page).post(super::declare::declare),
        )
        .route("/incidents/new", get(super::declare::declare_page))
        .route("/incidents/{id}", get(incident_page))
        .route("/incidents/{id}/transition", post(transition))
        .route("/incidents/{id}/checklist/{item}", post(mark))
        .route("/incidents/{id}/notes", post(note))
        .route("/incidents/{id}/severity", post(severity))
        .route("/incidents/{id}/assign", post(assign))
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    layout: Layout,
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
    let c = state.ctx(&s.user);
    let filter = IncidentFilter {
        phase: q.phase,
        severity: q.severity,
        kind: q.kind,
        open: q.open,
    };
    match state.store.list_incidents(&filter, &c.reader()).await {
        Ok(incidents) => page(&IncidentsPage {
            layout: Layout::signed_in(&s, f),
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
    layout: Layout,
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
    let c = state.ctx(&s.user);
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
        layout: Layout::signed_in(&s, f),
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
    CsrfForm(f): CsrfForm<TransitionForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        let phase: Phase = parse_field("to", &f.to)?;
        let reason = non_empty(&f.reason);
        actions::transition(&c, id, phase, reason.as_deref())
            .await
            .map(|i| format!("Moved to {}", i.phase.label()))
    }
    .await;
    back_to_incident(id, result)
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
    CsrfForm(f): CsrfForm<MarkForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        let item: GateItem = parse_field("item", &item)?;
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
    back_to_incident(id, result)
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
    CsrfForm(f): CsrfForm<NoteForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = actions::note(&c, id, &f.body)
        .await
        .map(|_| "Note added".to_owned());
    back_to_incident(id, result)
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
    CsrfForm(f): CsrfForm<SeverityForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        let sev: Severity = parse_field("severity", &f.severity)?;
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
    back_to_incident(id, result)
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
    CsrfForm(f): CsrfForm<AssignForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let req = UpdateIncident {
        owner: non_empty(&f.owner),
        lead: non_empty(&f.lead),
        ..UpdateIncident::default()
    };
    let result = actions::update(&c, id, &req)
        .await
        .map(|_| "Assigned".to_owned());
    back_to_incident(id, result)
}

url_encoded_forms!(TransitionForm, MarkForm, NoteForm, SeverityForm, AssignForm);
