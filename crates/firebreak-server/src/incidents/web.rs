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

use super::glance::{AckState, Glance, TimelineFilter};
use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::web::csrf::url_encoded_forms;
use crate::web::markdown::to_safe_html;
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
    rows: Vec<ListRow>,
    q: ListQuery,
    /// The active filter in words: "open · critical · matching “db”".
    active: String,
    severities: &'static [Severity],
    phases: &'static [Phase],
    kinds: &'static [Kind],
    services: Vec<String>,
    owners: Vec<String>,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
}

/// One incident in the list.
struct ListRow {
    i: Incident,
    age: String,
    /// "yes (alice)", "waiting", or "—" when no page was sent.
    ack: String,
    waiting: bool,
}

/// The list's filters, all kept in the URL.
#[derive(Deserialize, Default, Clone)]
struct ListQuery {
    /// `open` (the default), `closed` or `all`.
    #[serde(default)]
    state: Option<String>,
    /// The older form of `state`: `true` or `false`.
    #[serde(default)]
    open: Option<bool>,
    #[serde(default, deserialize_with = "empty_as_none")]
    phase: Option<Phase>,
    #[serde(default, deserialize_with = "empty_as_none")]
    severity: Option<Severity>,
    #[serde(default, deserialize_with = "empty_as_none")]
    kind: Option<Kind>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

/// An empty form field (a select left at "any") is no filter.
fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

const PAGE_SIZE: i64 = 50;

impl ListQuery {
    fn state(&self) -> &str {
        match (self.state.as_deref(), self.open) {
            (Some(s @ ("open" | "closed" | "all")), _) => s,
            (_, Some(false)) => "closed",
            _ => "open",
        }
    }

    fn mine(&self) -> bool {
        matches!(self.mine.as_deref(), Some("1" | "true" | "on"))
    }

    fn text(v: &Option<String>) -> Option<String> {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.chars().take(super::api::MAX_SEARCH).collect::<String>())
    }

    fn filter(&self, page: i64) -> IncidentFilter {
        IncidentFilter {
            phase: self.phase,
            severity: self.severity,
            kind: self.kind,
            open: match self.state() {
                "open" => Some(true),
                "closed" => Some(false),
                _ => None,
            },
            service: Self::text(&self.service),
            owner: Self::text(&self.owner),
            mine: self.mine().then_some(true),
            q: Self::text(&self.q),
            // One more than a page, to know whether there is a next one.
            limit: Some(PAGE_SIZE + 1),
            offset: Some((page - 1) * PAGE_SIZE),
        }
    }

    /// The filter in words, for the line above the list.
    fn in_words(&self) -> String {
        let mut parts = vec![self.state().to_owned()];
        parts.extend(self.phase.map(|p| p.label().to_owned()));
        parts.extend(self.severity.map(|s| s.to_string()));
        parts.extend(self.kind.map(|k| k.to_string()));
        parts.extend(Self::text(&self.service).map(|s| format!("service {s}")));
        parts.extend(Self::text(&self.owner).map(|o| format!("owned by {o}")));
        if self.mine() {
            parts.push("mine".to_owned());
        }
        parts.extend(Self::text(&self.q).map(|q| format!("matching “{q}”")));
        parts.join(" · ")
    }

    /// This list's URL at another page.
    fn url_at(&self, page: i64) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        pairs.append_pair("state", self.state());
        if let Some(p) = self.phase {
            pairs.append_pair("phase", p.as_str());
        }
        if let Some(s) = self.severity {
            pairs.append_pair("severity", s.as_str());
        }
        if let Some(k) = self.kind {
            pairs.append_pair("kind", k.as_str());
        }
        for (key, v) in [
            ("service", &self.service),
            ("owner", &self.owner),
            ("q", &self.q),
        ] {
            if let Some(v) = Self::text(v) {
                pairs.append_pair(key, &v);
            }
        }
        if self.mine() {
            pairs.append_pair("mine", "1");
        }
        pairs.append_pair("page", &page.to_string());
        format!("/incidents?{}", pairs.finish())
    }
}

async fn incidents_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Flash,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let page_no = q.page.unwrap_or(1).clamp(1, 10_000);
    let c = state.ctx(&s.user);
    let now = state.now();
    let loaded = async {
        let mut incidents = state
            .store
            .list_incidents(&q.filter(page_no), &c.reader())
            .await?;
        let more = incidents.len() as i64 > PAGE_SIZE;
        incidents.truncate(PAGE_SIZE as usize);
        let ids: Vec<i64> = incidents.iter().map(|i| i.id).collect();
        let pages = state.store.page_summaries(&ids).await?;
        let services = state.store.list_services().await?;
        let owners = crate::escalate::assignable_users(&state.store.directory().await?);
        Ok::<_, firebreak_store::StoreError>((incidents, more, pages, services, owners))
    }
    .await;
    let (incidents, more, pages, services, owners) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&s, e.into()),
    };
    let rows = incidents
        .into_iter()
        .map(|i| {
            let summary = pages.get(&i.id).cloned().unwrap_or_default();
            let ack = match (&summary.acknowledged_by, summary.waiting) {
                (_, true) => "waiting".to_owned(),
                (Some(by), false) => format!("yes ({by})"),
                (None, false) => "—".to_owned(),
            };
            ListRow {
                age: crate::web::age((now - i.declared_at).num_seconds()),
                ack,
                waiting: summary.waiting,
                i,
            }
        })
        .collect();
    page(&IncidentsPage {
        layout: Layout::signed_in(&s, f),
        rows,
        active: q.in_words(),
        severities: Severity::ALL,
        phases: Phase::ALL,
        kinds: Kind::ALL,
        services: services.into_iter().map(|s| s.name).collect(),
        owners: owners.into_iter().map(|u| u.name).collect(),
        page: page_no,
        prev: (page_no > 1).then(|| q.url_at(page_no - 1)),
        next: more.then(|| q.url_at(page_no + 1)),
        q,
    })
}

/// The gate of one phase as the page shows it.
struct GateView {
    phase: Phase,
    current: bool,
    /// Every item satisfied: shown as passed.
    passed: bool,
    items: Vec<firebreak_api::ChecklistEntry>,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    layout: Layout,
    i: Incident,
    glance: Glance,
    gates: Vec<GateView>,
    timeline: Vec<TimelineEvent>,
    /// The timeline filter shown, and the choices.
    show: TimelineFilter,
    filters: &'static [TimelineFilter],
    oldest_first: bool,
    phases: &'static [Phase],
    severities: &'static [Severity],
    users: Vec<User>,
    can_respond: bool,
    can_note: bool,
    escalations: Vec<firebreak_api::Escalation>,
    active_pages: bool,
    failed_notifications: usize,
    /// The service's runbook as sanitised HTML.
    runbook: Option<String>,
    /// Pages that reached nobody (who they were for), and whether a
    /// fallback was told.
    unrouted: Vec<String>,
    fallback_told: bool,
    /// What the incident owes its customers (issue 11).
    comms: Option<crate::comms::web::CommsBox>,
    /// Whom it affects (the "Affected customers" panel).
    affected: crate::customers::web::AffectedPanel,
    /// The disclosure it was declared from, for readers of disclosures.
    disclosure: Option<DisclosureBox>,
}

/// The responsible disclosure an incident was declared from, with its CVSS
/// vector and score (shown only to roles that may read disclosures).
struct DisclosureBox {
    id: i64,
    tracking_id: String,
    state: &'static str,
    cvss_vector: Option<String>,
    cvss_score: Option<f64>,
    severity: Option<Severity>,
    embargo_until: String,
}

async fn disclosure_box(
    state: &AppState,
    role: firebreak_api::Role,
    id: i64,
) -> Option<DisclosureBox> {
    if !allowed(role, Action::ReadDisclosures) {
        return None;
    }
    let d = state.store.disclosure_of_incident(id).await.ok()??;
    Some(DisclosureBox {
        id: d.id,
        tracking_id: d.tracking_id.clone(),
        state: d.state.label(),
        cvss_vector: d.cvss_vector.clone(),
        cvss_score: d.cvss_score(),
        severity: d.severity,
        embargo_until: d.embargo_until.format("%Y-%m-%d").to_string(),
    })
}

/// The incident page's query: which timeline events, in which order.
#[derive(Deserialize, Default)]
struct IncidentQuery {
    show: Option<TimelineFilter>,
    order: Option<String>,
}

async fn incident_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    q: Result<Query<IncidentQuery>, axum::extract::rejection::QueryRejection>,
    f: Flash,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = state.ctx(&s.user);
    let Some(id) = parse_incident_ref(&id) else {
        return error_page(&s, ApiError::NotFound(format!("incident `{id}`")));
    };
    let incident = match c.incident(id).await {
        Ok(i) => i,
        Err(e) => return error_page(&s, e),
    };
    let loaded = async {
        let mut timeline = state.store.timeline(id).await?;
        crate::comms::redact_timeline(s.user.role, &mut timeline);
        let users = crate::escalate::assignable_users(&state.store.directory().await?);
        let escalations = state.store.escalations(id).await?;
        let deadlines = state.store.pending_deadlines(id).await?;
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
        Ok::<_, firebreak_store::StoreError>((
            timeline,
            users,
            escalations,
            deadlines,
            notifications,
            runbook,
        ))
    }
    .await;
    let (mut timeline, users, escalations, deadlines, notifications, runbook) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&s, e.into()),
    };
    let affected = match crate::customers::web::affected_panel(&state, &s.user, id).await {
        Ok(a) => a,
        Err(e) => return error_page(&s, e),
    };
    let glance = Glance::new(&incident, &escalations, &deadlines, state.now());
    let gates = Phase::ALL
        .iter()
        .filter(|p| **p != Phase::Closed)
        .map(|p| {
            let items: Vec<_> = incident
                .checklist
                .iter()
                .filter(|c| c.phase == *p)
                .cloned()
                .collect();
            GateView {
                phase: *p,
                current: *p == incident.phase && incident.open,
                passed: *p < incident.phase,
                items,
            }
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
    let show = q.show.unwrap_or_default();
    let oldest_first = q.order.as_deref() == Some("oldest");
    timeline.retain(|e| show.keeps(e));
    if !oldest_first {
        timeline.reverse();
    }
    let comms = crate::comms::web::comms_box(&state, &c, id).await;
    let disclosure = disclosure_box(&state, s.user.role, id).await;
    page(&IncidentPage {
        comms,
        disclosure,
        affected,
        unrouted,
        fallback_told,
        layout: Layout::signed_in(&s, f),
        glance,
        i: incident,
        gates,
        timeline,
        show,
        filters: TimelineFilter::ALL,
        oldest_first,
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
        runbook: runbook.map(|r| to_safe_html(&r)),
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
