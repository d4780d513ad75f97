//! Customer communication: what an incident owes its customers, and the
//! notices that pay it (issue 11).
//!
//! A notice's public wording (title, impact, actions, and the subject and
//! body drawn from them) is what customers and the status page read; its
//! `internal_note` stays on the incident's communication page and is in no
//! public field of these types but [`Notice::internal_note`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use firebreak_core::comms::{Need, NoticeKind};
pub use firebreak_core::status::{AffectedMode, PublicStatus};

/// Longest notice title, in characters.
pub const MAX_NOTICE_TITLE: usize = 200;
/// Longest impact, actions or internal note, in characters.
pub const MAX_NOTICE_TEXT: usize = 4_000;

/// One communication the process asks for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DueNotice {
    pub kind: NoticeKind,
    /// `required` blocks closing while unsent; `offered` does not.
    pub need: Need,
    pub due_at: DateTime<Utc>,
    /// From then on the incident lead is reminded.
    pub overdue_at: DateTime<Utc>,
    pub overdue: bool,
    /// Why it is due, in a sentence.
    pub why: String,
}

/// A customer an incident affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AffectedCustomer {
    pub id: i64,
    pub name: String,
}

/// A contact a notice goes (or went) to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NoticeRecipient {
    pub customer_id: i64,
    pub customer: String,
    pub contact_id: i64,
    pub label: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// The address or URL (never a signing secret).
    pub target: String,
}

/// A notice: a draft until `sent_at` is set; then it never changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    pub id: i64,
    pub incident_id: i64,
    pub kind: NoticeKind,
    pub title: String,
    pub impact: String,
    pub actions: String,
    pub next_update_at: Option<DateTime<Utc>>,
    /// The subject sent (for a draft: what would be sent).
    pub subject: String,
    /// The body sent (for a draft: what would be sent).
    pub body: String,
    /// Never sent, never public.
    pub internal_note: String,
    pub public_status: PublicStatus,
    pub on_status_page: bool,
    pub to_customers: bool,
    pub approved_by: Option<String>,
    /// Whom it went to (empty for a draft).
    pub recipients: Vec<NoticeRecipient>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_by: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/incidents/{id}/communication`: what is owed, to whom, and
/// what was sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Communication {
    pub incident_id: i64,
    pub due: Vec<DueNotice>,
    /// A notice is required for this incident: `customer_communication_sent`
    /// follows the notices sent and cannot be ticked by hand.
    pub notice_required: bool,
    /// A required notice is unsent: closing is refused.
    pub blocks_close: bool,
    /// How the affected customers were chosen; `None`: not yet (a notice
    /// that falls due is owed to "the affected customers", and choosing
    /// them is part of the work).
    pub affected_mode: Option<AffectedMode>,
    pub affected: Vec<AffectedCustomer>,
    /// The contacts of the affected customers: where a notice goes.
    pub recipients: Vec<NoticeRecipient>,
    /// The affected customers with no contact: a notice does not reach
    /// them (sending still goes to the others).
    #[serde(default)]
    pub unreachable: Vec<AffectedCustomer>,
    /// Drafts and sent notices, newest first.
    pub notices: Vec<Notice>,
    /// A security incident: its notices need explicit approval to be sent.
    pub needs_approval: bool,
}

/// `POST /api/v1/incidents/{id}/notices`: a draft. Unset fields come from
/// the template (for a security incident, never from its internal title or
/// summary).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftNotice {
    #[serde(default)]
    pub kind: Option<NoticeKind>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub impact: Option<String>,
    /// What we are doing.
    #[serde(default)]
    pub actions: Option<String>,
    #[serde(default)]
    pub next_update_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub internal_note: Option<String>,
    #[serde(default)]
    pub public_status: Option<PublicStatus>,
    /// Default: true, false for a security incident.
    #[serde(default)]
    pub on_status_page: Option<bool>,
    /// Default: true for kinds addressed to customers.
    #[serde(default)]
    pub to_customers: Option<bool>,
}

/// `PATCH /api/v1/incidents/{id}/notices/{notice_id}`: changes a draft.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNotice {
    #[serde(default)]
    pub kind: Option<NoticeKind>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub impact: Option<String>,
    #[serde(default)]
    pub actions: Option<String>,
    /// `null` clears it.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub next_update_at: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    pub internal_note: Option<String>,
    #[serde(default)]
    pub public_status: Option<PublicStatus>,
    #[serde(default)]
    pub on_status_page: Option<bool>,
    #[serde(default)]
    pub to_customers: Option<bool>,
}

mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}

/// `POST …/notices/{notice_id}/send`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendNotice {
    /// Required (true) for a security incident's notice: the sender
    /// approves its public wording.
    #[serde(default)]
    pub approved: bool,
}

/// `POST …/notices/{notice_id}/preview`: exactly what would be sent, and
/// to whom.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticePreview {
    pub subject: String,
    pub body: String,
    /// The JSON body webhook contacts receive.
    pub payload: serde_json::Value,
    pub recipients: Vec<NoticeRecipient>,
    pub on_status_page: bool,
    pub needs_approval: bool,
}
