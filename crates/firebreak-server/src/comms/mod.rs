//! Customer communication (issue 11): what an incident owes its customers
//! (`firebreak_core::comms::obligations` over the store's facts), notices
//! drafted from a template (`draft.rs`), previewed and sent, the JSON API
//! (`api.rs`), the incident's communication page (`web.rs`) and the
//! reminders the worker sends the incident lead (`remind.rs`).
//!
//! Every action checks the permission to change the incident and that the
//! caller may see it (404 otherwise), as `actions` does; the store writes
//! under the incident's row lock. A notice's `internal_note` is shown on
//! the communication page only: it is never in a subject, body, webhook
//! payload, timeline event or anything the status page reads.

pub mod api;
mod draft;
pub mod remind;
pub mod web;

use chrono::{DateTime, Utc};

use firebreak_api::comms::{
    AffectedCustomer, Communication, DraftNotice, DueNotice, Notice, NoticeKind, NoticePreview,
    NoticeRecipient, SendNotice, UpdateNotice,
};
use firebreak_api::{Incident, Kind, Severity, TimelineEvent};
use firebreak_core::auth::{Action, Role, allowed};
use firebreak_core::comms::{CommsPolicy, Obligations, obligations};
use firebreak_core::status::PublicStatus;
use firebreak_store::comms::{CommsRecord, NoticeWrite, notice_payload};

use crate::actions::Ctx;
use crate::error::ApiError;

pub use draft::render;

/// An incident's communication as the page and the API show it.
pub struct Comms {
    pub incident: Incident,
    pub record: CommsRecord,
    pub obligations: Obligations,
    /// The affected components' names: the default public title's words.
    pub components: Vec<String>,
    pub now: DateTime<Utc>,
}

impl Comms {
    pub fn wire(&self) -> Communication {
        Communication {
            incident_id: self.record.incident_id,
            due: due(&self.obligations, self.now),
            notice_required: self.obligations.notice_required,
            blocks_close: self.obligations.blocks_close,
            affected_mode: self.record.mode,
            affected: self.record.affected.clone(),
            recipients: recipients(&self.record),
            unreachable: unreachable(&self.record),
            notices: self.record.notices.clone(),
            needs_approval: self.incident.kind == Kind::Security,
        }
    }
}

/// What is owed, as the wire shows it.
pub fn due(o: &Obligations, now: DateTime<Utc>) -> Vec<DueNotice> {
    o.due
        .iter()
        .map(|d| DueNotice {
            kind: d.kind,
            need: d.need,
            due_at: d.due_at,
            overdue_at: d.overdue_at,
            overdue: d.is_overdue(now),
            why: d.why.clone(),
        })
        .collect()
}

fn recipients(r: &CommsRecord) -> Vec<NoticeRecipient> {
    r.recipients.iter().map(|c| c.recipient.clone()).collect()
}

/// The affected customers no contact of which is a recipient.
pub fn unreachable(r: &CommsRecord) -> Vec<AffectedCustomer> {
    r.affected
        .iter()
        .filter(|a| !r.recipients.iter().any(|c| c.recipient.customer_id == a.id))
        .cloned()
        .collect()
}

/// What a reader without `ReadCustomers` sees in place of a contact's
/// address or URL.
pub const HIDDEN_TARGET: &str = "hidden";

/// Whether `role` may see customers' contact targets.
pub fn reads_contacts(role: Role) -> bool {
    allowed(role, Action::ReadCustomers)
}

/// Hides each recipient's target from a reader who may not read customers:
/// the customer, the contact's label and kind stay.
pub fn redact_recipients(role: Role, list: &mut [NoticeRecipient]) {
    if !reads_contacts(role) {
        for r in list {
            r.target = HIDDEN_TARGET.to_owned();
        }
    }
}

/// [`redact_recipients`] over each notice's recipients.
pub fn redact_notices(role: Role, notices: &mut [Notice]) {
    for n in notices {
        redact_recipients(role, &mut n.recipients);
    }
}

/// Hides the contact targets in the `notice.sent` events' details (the
/// store records whom a notice went to) from a reader who may not read
/// customers.
pub fn redact_timeline(role: Role, events: &mut [TimelineEvent]) {
    if reads_contacts(role) {
        return;
    }
    for e in events.iter_mut().filter(|e| e.kind == "notice.sent") {
        if let Some(list) = e
            .details
            .get_mut("recipients")
            .and_then(|r| r.as_array_mut())
        {
            for r in list {
                if let Some(t) = r.get_mut("target") {
                    *t = serde_json::Value::String(HIDDEN_TARGET.to_owned());
                }
            }
        }
    }
}

/// What the rules say of `record` under `policy`.
pub fn owed(record: &CommsRecord, policy: &CommsPolicy) -> Obligations {
    record
        .facts
        .as_ref()
        .map(|f| obligations(f, policy))
        .unwrap_or_default()
}

/// Incident `id`'s communication, for someone who may read it.
pub async fn communication(cx: &Ctx<'_>, id: i64, policy: &CommsPolicy) -> Result<Comms, ApiError> {
    let incident = cx.incident(id).await?;
    let mut record = cx.store.communication(id).await?;
    if !reads_contacts(cx.user.role) {
        for c in &mut record.recipients {
            c.recipient.target = HIDDEN_TARGET.to_owned();
            c.channel = serde_json::Value::Null;
        }
        redact_notices(cx.user.role, &mut record.notices);
    }
    let obligations = owed(&record, policy);
    let components = cx
        .store
        .incident_affected(id)
        .await?
        .components
        .into_iter()
        .map(|c| c.name)
        .collect();
    Ok(Comms {
        incident,
        record,
        obligations,
        components,
        now: cx.now,
    })
}

/// The kind a new draft takes: the first communication due, else what
/// the rules will ask for next (the first customer notice, then updates,
/// for critical and high; a formal notice where required, else a status
/// post, for medium and low).
fn default_kind(c: &Comms) -> NoticeKind {
    if let Some(d) = c.obligations.due.first() {
        return d.kind;
    }
    let sent = |k: NoticeKind| {
        c.record
            .notices
            .iter()
            .any(|n| n.kind == k && n.sent_at.is_some())
    };
    match c.incident.severity {
        Some(Severity::Critical | Severity::High) if sent(NoticeKind::CustomerNotice) => {
            NoticeKind::Update
        }
        Some(Severity::Critical | Severity::High) => NoticeKind::CustomerNotice,
        _ if c.obligations.notice_required && !sent(NoticeKind::FormalNotice) => {
            NoticeKind::FormalNotice
        }
        _ => NoticeKind::StatusPost,
    }
}

/// The fields a new draft would have: the template, for the page's form
/// and for what a draft request leaves unset.
pub fn template(c: &Comms, policy: &CommsPolicy) -> DraftNotice {
    let kind = default_kind(c);
    let security = c.incident.kind == Kind::Security;
    let next_update_at = c
        .incident
        .severity
        .and_then(|s| policy.cadence(s))
        .filter(|_| c.incident.open)
        .map(|every| c.now + every);
    DraftNotice {
        kind: Some(kind),
        title: Some(draft::default_title(security, &c.components)),
        impact: Some(draft::default_impact(security).to_owned()),
        actions: Some(draft::default_actions(c.incident.phase).to_owned()),
        next_update_at,
        internal_note: Some(String::new()),
        public_status: Some(PublicStatus::suggested(c.incident.phase)),
        on_status_page: Some(!security),
        to_customers: Some(kind != NoticeKind::StatusPost),
    }
}

/// Drafts a notice; what the request leaves unset comes from the template.
pub async fn draft_notice(
    cx: &Ctx<'_>,
    id: i64,
    req: &DraftNotice,
    policy: &CommsPolicy,
) -> Result<Notice, ApiError> {
    cx.require(Action::Respond)?;
    let c = communication(cx, id, policy).await?;
    let t = template(&c, policy);
    let kind = req.kind.or(t.kind).unwrap_or(NoticeKind::CustomerNotice);
    let fields = draft::Fields {
        kind,
        title: req.title.clone().or(t.title).unwrap_or_default(),
        impact: req.impact.clone().or(t.impact).unwrap_or_default(),
        actions: req.actions.clone().or(t.actions).unwrap_or_default(),
        next_update_at: req.next_update_at.or(t.next_update_at),
        internal_note: req.internal_note.clone().unwrap_or_default(),
        public_status: req
            .public_status
            .or(t.public_status)
            .unwrap_or(PublicStatus::Investigating),
        on_status_page: req.on_status_page.or(t.on_status_page).unwrap_or(false),
        // Every kind but a status post goes to customers.
        to_customers: req.to_customers.unwrap_or(kind != NoticeKind::StatusPost),
    };
    not_past(fields.next_update_at, cx.now)?;
    let w = draft::checked(fields)?;
    Ok(cx.store.create_notice(id, &w, &cx.actor(), cx.now).await?)
}

/// Refuses a next update time before `now` (422 naming `next_update_at`).
fn not_past(next_update_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), ApiError> {
    match next_update_at {
        Some(t) if t < now => Err(ApiError::invalid(
            "next_update_at",
            "`next_update_at` is in the past: choose a later time",
        )),
        _ => Ok(()),
    }
}

/// A draft, for someone who may change the incident.
async fn draft_of(cx: &Ctx<'_>, id: i64, notice_id: i64) -> Result<Notice, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let mut n = cx.store.notice(id, notice_id).await?;
    redact_recipients(cx.user.role, &mut n.recipients);
    Ok(n)
}

/// Changes a draft; a sent notice never changes (409).
pub async fn update_notice(
    cx: &Ctx<'_>,
    id: i64,
    notice_id: i64,
    req: &UpdateNotice,
) -> Result<Notice, ApiError> {
    let n = draft_of(cx, id, notice_id).await?;
    if n.sent_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "notice {notice_id} was sent and never changes: draft a new one"
        )));
    }
    if let Some(given) = req.next_update_at {
        not_past(given, cx.now)?;
    }
    let fields = draft::Fields {
        kind: req.kind.unwrap_or(n.kind),
        title: req.title.clone().unwrap_or(n.title),
        impact: req.impact.clone().unwrap_or(n.impact),
        actions: req.actions.clone().unwrap_or(n.actions),
        next_update_at: req.next_update_at.unwrap_or(n.next_update_at),
        internal_note: req.internal_note.clone().unwrap_or(n.internal_note),
        public_status: req.public_status.unwrap_or(n.public_status),
        on_status_page: req.on_status_page.unwrap_or(n.on_status_page),
        to_customers: req
            .to_customers
            .or(req.kind.map(|k| k != NoticeKind::StatusPost))
            .unwrap_or(n.to_customers),
    };
    let w = draft::checked(fields)?;
    Ok(cx
        .store
        .update_notice(id, notice_id, &w, &cx.actor(), cx.now)
        .await?)
}

/// Exactly what sending would send, and to whom, as of now.
pub async fn preview_notice(
    cx: &Ctx<'_>,
    id: i64,
    notice_id: i64,
    policy: &CommsPolicy,
) -> Result<NoticePreview, ApiError> {
    let n = draft_of(cx, id, notice_id).await?;
    let c = communication(cx, id, policy).await?;
    Ok(preview_of(&c, &n))
}

/// The preview of notice `n` of `c`.
pub fn preview_of(c: &Comms, n: &Notice) -> NoticePreview {
    let recipients = match (n.sent_at, n.to_customers) {
        (Some(_), _) => n.recipients.clone(),
        (None, true) => recipients(&c.record),
        (None, false) => Vec::new(),
    };
    NoticePreview {
        subject: n.subject.clone(),
        body: n.body.clone(),
        payload: notice_payload(n, n.sent_at.unwrap_or(c.now)),
        recipients,
        on_status_page: n.on_status_page,
        needs_approval: c.incident.kind == Kind::Security,
    }
}

/// Sends a draft: refused (422) without `approved` on a security incident,
/// or when it is addressed to customers and their set is not chosen or has
/// no contact.
pub async fn send_notice(
    cx: &Ctx<'_>,
    id: i64,
    notice_id: i64,
    req: &SendNotice,
    policy: &CommsPolicy,
) -> Result<Notice, ApiError> {
    let n = draft_of(cx, id, notice_id).await?;
    if n.sent_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "notice {notice_id} was already sent"
        )));
    }
    if n.next_update_at.is_some_and(|t| t < cx.now) {
        return Err(ApiError::invalid(
            "next_update_at",
            "the next update time has passed: change it",
        ));
    }
    let c = communication(cx, id, policy).await?;
    if c.incident.kind == Kind::Security && !req.approved {
        return Err(ApiError::invalid(
            "approved",
            "a security incident's notice is sent only with the sender's explicit approval of its wording (`approved: true`)",
        ));
    }
    if n.to_customers {
        if c.record.mode.is_none() {
            return Err(ApiError::invalid(
                "to_customers",
                "the incident's affected customers are not set: choose them (or nobody) first",
            ));
        }
        if c.record.recipients.is_empty() {
            return Err(ApiError::invalid(
                "to_customers",
                "nobody would receive this notice: the affected customers have no contacts",
            ));
        }
    }
    let approved_by = req.approved.then_some(cx.user.name.as_str());
    let mut sent = cx
        .store
        .send_notice(id, notice_id, approved_by, &cx.actor(), cx.now)
        .await?;
    cx.wake.wake();
    redact_recipients(cx.user.role, &mut sent.recipients);
    Ok(sent)
}

/// The customers as the page lists them.
pub fn affected_names(c: &Comms) -> Vec<AffectedCustomer> {
    c.record.affected.clone()
}

impl From<draft::Fields> for NoticeWrite {
    fn from(f: draft::Fields) -> NoticeWrite {
        let (subject, body) = render(&f);
        NoticeWrite {
            kind: f.kind,
            title: f.title,
            impact: f.impact,
            actions: f.actions,
            next_update_at: f.next_update_at,
            subject,
            body,
            internal_note: f.internal_note,
            public_status: f.public_status,
            on_status_page: f.on_status_page,
            to_customers: f.to_customers,
        }
    }
}
