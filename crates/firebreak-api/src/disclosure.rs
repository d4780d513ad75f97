//! Responsible disclosure (issue 12): the staff's view of a disclosure and
//! its requests, and the researcher's view through the secret status link.
//!
//! The staff types ([`Disclosure`], [`DisclosureMessage`], …) are read only
//! by the security team and admins. The researcher's view
//! ([`ResearcherView`]) holds only what the researcher may see: never an
//! internal note, the client address, the incident or who on the staff did
//! what.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use firebreak_core::disclosure::{
    Awaiting, DisclosureChannel, DisclosureState, DueDate, TriageOutcome,
};

use crate::Severity;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest description, steps, impact or message, in characters.
pub const MAX_TEXT: usize = 20_000;
/// Longest affected asset, researcher name or email, in characters.
pub const MAX_SHORT: usize = 300;

/// A file added to a disclosure, kept with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DisclosureAttachment {
    pub id: i64,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Whether the content was kept (within the size limit).
    pub stored: bool,
    /// `researcher` or the staff user's name.
    pub added_by: String,
    /// The message it came with, if any.
    pub message_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A message between the researcher and staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DisclosureMessage {
    pub id: i64,
    /// `researcher` or `staff`.
    pub author: String,
    /// The staff user who wrote it (staff view only).
    pub user: Option<String>,
    pub body: String,
    /// A staff note the researcher never sees.
    pub internal: bool,
    pub created_at: DateTime<Utc>,
}

/// One entry of a disclosure's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DisclosureEvent {
    pub id: i64,
    /// e.g. `disclosure.received`, `disclosure.state`, `disclosure.cvss`,
    /// `disclosure.embargo`, `disclosure.message`, `disclosure.reminder`.
    pub kind: String,
    pub actor: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A disclosure as the security team reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Disclosure {
    pub id: i64,
    /// `VULN-2026-0007`.
    pub tracking_id: String,
    /// The report in the triage queue behind it (source `disclosure`).
    pub report_id: i64,
    pub channel: DisclosureChannel,
    pub state: DisclosureState,
    pub title: String,
    pub description: String,
    pub steps: String,
    pub impact: String,
    pub asset: String,
    pub researcher_name: Option<String>,
    pub researcher_email: Option<String>,
    /// The researcher agrees to be credited.
    pub credit: bool,
    pub triage_outcome: Option<TriageOutcome>,
    pub triage_reason: Option<String>,
    pub duplicate_of: Option<String>,
    pub severity: Option<Severity>,
    pub cvss_vector: Option<String>,
    /// The CVSS base score, one decimal (9.8).
    pub cvss_score: Option<f64>,
    pub incident_id: Option<i64>,
    pub embargo_until: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub triaged_at: Option<DateTime<Utc>>,
    pub fixing_at: Option<DateTime<Utc>>,
    pub fixed_at: Option<DateTime<Utc>>,
    pub disclosed_at: Option<DateTime<Utc>>,
    /// What it waits for, with due dates (overdue ones flagged).
    pub due: Vec<DueView>,
    pub updated_at: DateTime<Utc>,
}

/// A due date as shown: what, when, and whether it is past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DueView {
    pub what: Awaiting,
    pub at: DateTime<Utc>,
    pub overdue: bool,
}

/// A disclosure with its messages, files and timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DisclosureDetail {
    #[serde(flatten)]
    pub disclosure: Disclosure,
    pub messages: Vec<DisclosureMessage>,
    pub attachments: Vec<DisclosureAttachment>,
    pub timeline: Vec<DisclosureEvent>,
}

/// What the researcher sees through the status link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResearcherView {
    pub tracking_id: String,
    pub state: DisclosureState,
    pub title: String,
    pub received_at: DateTime<Utc>,
    pub embargo_until: DateTime<Utc>,
    pub severity: Option<Severity>,
    pub cvss_vector: Option<String>,
    pub cvss_score: Option<f64>,
    /// Due dates the researcher is promised (acknowledgment, triage, fix,
    /// public disclosure).
    pub due: Vec<DueView>,
    /// The conversation without internal notes; staff messages are signed
    /// "security team", never with a person's name.
    pub messages: Vec<DisclosureMessage>,
    pub attachments: Vec<DisclosureAttachment>,
}

/// A disclosure entered by staff (e.g. one reported by phone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisclosure {
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub steps: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub asset: String,
    #[serde(default)]
    pub researcher_name: Option<String>,
    /// Where the acknowledgment and replies go.
    #[serde(default)]
    pub researcher_email: Option<String>,
    #[serde(default)]
    pub credit: bool,
}

/// The answer to a new disclosure: the record and its status link, shown
/// once (only its hash is stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreatedDisclosure {
    pub disclosure: Disclosure,
    pub status_url: String,
}

/// A staff reply (to the researcher, or an internal note).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureReply {
    pub body: String,
    /// An internal note: not shown or sent to the researcher.
    #[serde(default)]
    pub internal: bool,
}

/// The triage verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageDisclosure {
    pub outcome: TriageOutcome,
    /// Required for `not_applicable`; told to the researcher.
    #[serde(default)]
    pub reason: Option<String>,
    /// The other disclosure's tracking id, for `duplicate`.
    #[serde(default)]
    pub duplicate_of: Option<String>,
}

/// A CVSS vector to score (v3.1 or v4.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCvss {
    /// e.g. `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`.
    pub vector: String,
}

/// A new public-disclosure date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEmbargo {
    pub embargo_until: DateTime<Utc>,
    /// Told to the researcher.
    pub reason: String,
}

/// A move along the workflow: `acknowledged`, `fixed` or `disclosed`
/// (`triaged` has its own request, `fixing` is declaring the incident).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveDisclosure {
    pub state: DisclosureState,
    /// Told to the researcher when given.
    #[serde(default)]
    pub message: Option<String>,
}

/// An advisory: drafted from a disclosure, public once published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Advisory {
    pub id: i64,
    pub disclosure_id: i64,
    /// The advisory's public id, in its URL (`/security/advisories/{slug}`).
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Affected versions or assets.
    pub affected: String,
    pub severity: Option<Severity>,
    pub cvss_vector: Option<String>,
    pub cvss_score: Option<f64>,
    pub fix: String,
    /// Whom it credits (only when the researcher agreed).
    pub credit: Option<String>,
    /// `draft` or `published`.
    pub state: String,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An advisory's editable fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryEdit {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub affected: Option<String>,
    #[serde(default)]
    pub fix: Option<String>,
    /// Empty string: no credit.
    #[serde(default)]
    pub credit: Option<String>,
}

/// Declares the security incident that fixes a valid disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareFromDisclosure {
    /// The incident's severity; default: the disclosure's (from its CVSS
    /// score), or high when it has none.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// User name of the incident lead.
    #[serde(default)]
    pub lead: Option<String>,
}

/// A disclosure's list filter.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureFilter {
    #[serde(default)]
    pub state: Option<DisclosureState>,
}
