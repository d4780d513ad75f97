//! The incident's communication page (`/incidents/{id}/communication`):
//! what is due and overdue (red) and why, the affected customers and their
//! contacts, a draft form prefilled from the template, each draft's preview
//! (exactly what would be sent, and to whom) with its send form (and the
//! approval checkbox on a security incident), and the sent notices with
//! their recipients and exact text. The forms call the functions the API
//! calls, so the web refuses what the API refuses. And the compact box the
//! incident page shows ([`CommsBox`]).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use firebreak_api::comms::{
    DraftNotice, DueNotice, Need, Notice, NoticeKind, NoticePreview, NoticeRecipient, PublicStatus,
    SendNotice, UpdateNotice,
};
use firebreak_api::{Incident, Kind};
use firebreak_core::auth::{Action, allowed};

use super::Comms;
use crate::AppState;
use crate::error::ApiError;
use crate::incidents::incident_id;
use crate::web::csrf::url_encoded_forms;
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/{id}/communication", get(comms_page))
        .route("/incidents/{id}/communication/notices", post(draft))
        .route(
            "/incidents/{id}/communication/notices/{notice_id}",
            post(edit),
        )
        .route(
            "/incidents/{id}/communication/notices/{notice_id}/send",
            post(send),
        )
}

/// The incident page's box: what is due or overdue, with a link.
#[derive(Debug, Clone, Default)]
pub struct CommsBox {
    pub due: Vec<DueNotice>,
    pub notice_required: bool,
    pub blocks_close: bool,
    pub overdue: bool,
    pub sent: usize,
    /// A required notice is overdue and there is no lead to remind.
    pub nobody_reminded: bool,
    /// The affected customers' names that have no contact.
    pub unreachable: Vec<String>,
}

impl CommsBox {
    pub fn of(c: &Comms) -> CommsBox {
        let due = super::due(&c.obligations, c.now);
        let overdue = due.iter().any(|d| d.overdue);
        CommsBox {
            overdue,
            notice_required: c.obligations.notice_required,
            blocks_close: c.obligations.blocks_close,
            sent: c
                .record
                .notices
                .iter()
                .filter(|n| n.sent_at.is_some())
                .count(),
            nobody_reminded: overdue && c.incident.lead.is_none(),
            unreachable: super::unreachable(&c.record)
                .into_iter()
                .map(|a| a.name)
                .collect(),
            due,
        }
    }
}

/// The box for the incident page; `None` when it cannot be read (the page
/// still shows).
pub async fn comms_box(
    state: &AppState,
    cx: &crate::actions::Ctx<'_>,
    id: i64,
) -> Option<CommsBox> {
    super::communication(cx, id, &state.config.comms)
        .await
        .ok()
        .map(|c| CommsBox::of(&c))
}

struct DraftView {
    n: Notice,
    preview: NoticePreview,
}

#[derive(Template)]
#[template(path = "communication.html")]
struct CommsPage {
    layout: Layout,
    i: Incident,
    due: Vec<DueNotice>,
    notice_required: bool,
    blocks_close: bool,
    mode: Option<String>,
    affected: Vec<firebreak_api::comms::AffectedCustomer>,
    recipients: Vec<NoticeRecipient>,
    unreachable: Vec<firebreak_api::comms::AffectedCustomer>,
    drafts: Vec<DraftView>,
    sent: Vec<Notice>,
    template: DraftNotice,
    kinds: &'static [NoticeKind],
    statuses: &'static [PublicStatus],
    can_respond: bool,
    security: bool,
    no_lead: bool,
}

impl CommsPage {
    fn need(n: &Need) -> &'static str {
        match n {
            Need::Required => "required",
            Need::Offered => "offered",
        }
    }

    fn time(t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    fn time_opt(t: &Option<DateTime<Utc>>) -> String {
        t.as_ref().map(Self::time).unwrap_or_default()
    }
}

fn page_path(id: i64) -> String {
    format!("/incidents/{id}/communication")
}

async fn comms_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    f: Flash,
) -> Response {
    let cx = state.ctx(&s.user);
    let c = match async { super::communication(&cx, incident_id(&id)?, &state.config.comms).await }
        .await
    {
        Ok(c) => c,
        Err(e) => return error_page(&s, e),
    };
    let template = super::template(&c, &state.config.comms);
    let (sent, drafts): (Vec<Notice>, Vec<Notice>) = c
        .record
        .notices
        .iter()
        .cloned()
        .partition(|n| n.sent_at.is_some());
    let drafts = drafts
        .into_iter()
        .map(|n| DraftView {
            preview: super::preview_of(&c, &n),
            n,
        })
        .collect();
    let wire = c.wire();
    page(&CommsPage {
        layout: Layout::signed_in(&s, f),
        due: wire.due,
        notice_required: wire.notice_required,
        blocks_close: wire.blocks_close,
        mode: wire.affected_mode.map(|m| m.as_str().to_owned()),
        affected: wire.affected,
        recipients: wire.recipients,
        unreachable: wire.unreachable,
        drafts,
        sent,
        template,
        kinds: NoticeKind::ALL,
        statuses: PublicStatus::ALL,
        can_respond: allowed(s.user.role, Action::Respond),
        security: c.incident.kind == Kind::Security,
        no_lead: c.incident.lead.is_none(),
        i: c.incident,
    })
}

#[derive(Deserialize)]
struct DraftForm {
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    actions: String,
    /// `YYYY-MM-DDTHH:MM` (a `datetime-local` field), UTC; empty: none.
    #[serde(default)]
    next_update_at: String,
    #[serde(default)]
    internal_note: String,
    #[serde(default)]
    public_status: String,
    #[serde(default)]
    on_status_page: Option<String>,
    #[serde(default)]
    to_customers: Option<String>,
}

fn parse_time(field: &str, raw: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("`{field}` is a time like 2026-01-31T14:00 (UTC)"),
            )
        })
}

fn draft_request(f: &DraftForm) -> Result<DraftNotice, ApiError> {
    let kind = f
        .kind
        .parse::<NoticeKind>()
        .map_err(|e| ApiError::invalid("kind", e.to_string()))?;
    let public_status = f
        .public_status
        .parse::<PublicStatus>()
        .map_err(|e| ApiError::invalid("public_status", e.to_string()))?;
    Ok(DraftNotice {
        kind: Some(kind),
        title: Some(f.title.clone()),
        impact: Some(f.impact.clone()),
        actions: Some(f.actions.clone()),
        next_update_at: parse_time("next_update_at", &f.next_update_at)?,
        internal_note: Some(f.internal_note.clone()),
        public_status: Some(public_status),
        on_status_page: Some(f.on_status_page.is_some()),
        to_customers: Some(f.to_customers.is_some()),
    })
}

async fn draft(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<DraftForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let id = match incident_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    let result = async {
        let req = draft_request(&f)?;
        super::draft_notice(&cx, id, &req, &state.config.comms)
            .await
            .map(|n| {
                format!(
                    "Draft {} saved: check its preview below, then send it",
                    n.id
                )
            })
    }
    .await;
    back(&page_path(id), result)
}

async fn edit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((id, notice_id)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<DraftForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let (id, notice_id) = match incident_id(&id)
        .and_then(|id| Ok((id, crate::customers::path_id("notice", &notice_id)?)))
    {
        Ok(ids) => ids,
        Err(e) => return error_page(&s, e),
    };
    let result = async {
        let d = draft_request(&f)?;
        let req = UpdateNotice {
            kind: d.kind,
            title: d.title,
            impact: d.impact,
            actions: d.actions,
            next_update_at: Some(d.next_update_at),
            internal_note: d.internal_note,
            public_status: d.public_status,
            on_status_page: d.on_status_page,
            to_customers: d.to_customers,
        };
        super::update_notice(&cx, id, notice_id, &req)
            .await
            .map(|n| format!("Draft {} changed: check its preview, then send it", n.id))
    }
    .await;
    back(&page_path(id), result)
}

#[derive(Deserialize)]
struct SendForm {
    csrf: String,
    #[serde(default)]
    approved: Option<String>,
}

async fn send(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((id, notice_id)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<SendForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let (id, notice_id) = match incident_id(&id)
        .and_then(|id| Ok((id, crate::customers::path_id("notice", &notice_id)?)))
    {
        Ok(ids) => ids,
        Err(e) => return error_page(&s, e),
    };
    let req = SendNotice {
        approved: f.approved.is_some(),
    };
    let result = super::send_notice(&cx, id, notice_id, &req, &state.config.comms)
        .await
        .map(|n| {
            format!(
                "Notice {} sent to {} contact(s){}",
                n.id,
                n.recipients.len(),
                if n.on_status_page {
                    " and posted on the status page"
                } else {
                    ""
                }
            )
        });
    back(&page_path(id), result)
}

url_encoded_forms!(DraftForm, SendForm);
