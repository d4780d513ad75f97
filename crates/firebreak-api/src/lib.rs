//! Wire types of the Firebreak HTTP API.
//!
//! The server serializes these, the client and the CLI deserialize them, and
//! the OpenAPI document is generated from them, so the three cannot disagree.
//! Requests refuse unknown fields: a misspelt field is an error, not a
//! silently ignored value. Times are RFC 3339 in UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub mod comms;
pub mod customers;
pub mod disclosure;
pub mod intake;
pub mod status;

pub use firebreak_core::{
    GateItem, ImpactFacts, ItemStatus, Kind, Phase, ReportSource, ReportStatus, Role, Severity,
    SeverityRule, Suggestion,
};

/// The human reference of an incident id, `INC-<n>`.
pub fn incident_ref(id: i64) -> String {
    format!("INC-{id}")
}

/// Parses `42`, `INC-42` or `inc-42` into an incident id.
pub fn parse_incident_ref(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = match s.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("inc-") => &s[4..],
        _ => s,
    };
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

/// A user as other records name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// At least 12 characters. Without one the user can sign in only with a
    /// token.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// A label for the token, for example the script that uses it.
    #[serde(default)]
    pub name: Option<String>,
    /// Admins may create a token for another user, by name.
    #[serde(default)]
    pub user: Option<String>,
}

/// A new API token. The token is shown here once and stored only hashed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenCreated {
    pub id: i64,
    pub name: String,
    pub user: UserRef,
    pub token: String,
}

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub user: UserRef,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set once the token is revoked; it then authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Changes a user (admins only). A disabled user's sessions end and their
/// tokens stop working at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// Sets a user's password (admins only). The same rules as a new user's
/// password; the user's browser sessions end.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub password: String,
}

/// A test page: one message through one contact method, with no incident,
/// to see that it arrives. Its state is its outbox message's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TestPage {
    pub id: i64,
    /// The user whose contact method it went to.
    pub user: String,
    pub contact_method_id: i64,
    /// The contact method's label when the test page was sent.
    pub contact_label: String,
    /// The channel's kind: `email`, `webhook`, `slack`, `teams` or `http`.
    pub channel: String,
    /// Who asked for it.
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    /// `pending` (queued, being sent or to be retried), `delivered` or
    /// `failed`.
    pub state: String,
    pub attempts: i64,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A service from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Service {
    pub id: i64,
    pub name: String,
    pub owner_team: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateService {
    pub name: String,
    pub owner_team: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// When an incident entered a phase. Re-entering after a move back adds a
/// new entry; these feed the time-to-contain and time-to-recover metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PhaseEntry {
    pub phase: Phase,
    pub entered_at: DateTime<Utc>,
}

/// One item of an incident's gates, as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistEntry {
    pub item: GateItem,
    /// The phase this item gates.
    pub phase: Phase,
    pub label: String,
    pub status: ItemStatus,
    /// Whether the item may be waived for this incident.
    pub waivable: bool,
    /// Derived items follow the incident's fields (severity, owner) or, where
    /// a notice is required, the notices sent (customer communication).
    pub derived: bool,
    /// The note (when done) or reason (when waived).
    pub note: Option<String>,
    pub by: Option<UserRef>,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    pub id: i64,
    /// `INC-<id>`.
    pub reference: String,
    pub title: String,
    pub summary: String,
    pub kind: Kind,
    pub severity: Option<Severity>,
    /// What the impact facts suggested when severity was last set.
    pub suggested_severity: Severity,
    pub severity_rule: SeverityRule,
    pub phase: Phase,
    pub open: bool,
    pub owner: Option<UserRef>,
    pub lead: Option<UserRef>,
    pub service: Option<String>,
    pub facts: ImpactFacts,
    pub declared_by: Option<UserRef>,
    pub declared_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub phase_entries: Vec<PhaseEntry>,
    pub checklist: Vec<ChecklistEntry>,
    /// People added to the incident; on a security incident they are the
    /// only ones besides the security team and admins who can see it.
    pub members: Vec<UserRef>,
    /// Reports declared as or linked to this incident.
    pub report_ids: Vec<i64>,
    /// A security incident, or one tied to a confidential report: only the
    /// security team, admins and its members see it, and messages to
    /// anyone else carry only its reference and a link.
    #[serde(default)]
    pub confidential: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareIncident {
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    pub kind: Kind,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Needed when `severity` differs from the one the facts suggest.
    #[serde(default)]
    pub severity_reason: Option<String>,
    #[serde(default)]
    pub facts: Option<ImpactFacts>,
    /// User name of the owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// User name of the incident lead.
    #[serde(default)]
    pub lead: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
}

/// Changes to an incident. Absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncident {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<ImpactFacts>,
    /// User name of the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// User name of the incident lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Why: needed to change severity or kind, and to choose a severity
    /// other than the suggested one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub to: Phase,
    /// Needed to move back.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Marks a checklist item done (with an optional note) or waived (with a
/// reason).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkItem {
    pub status: MarkStatus,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarkStatus {
    Done,
    Waived,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Note {
    pub id: i64,
    pub incident_id: i64,
    pub author: Option<UserRef>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// User name.
    pub user: String,
}

/// One entry of an incident's timeline: who, when, what and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimelineEvent {
    pub id: i64,
    pub incident_id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub kind: String,
    pub summary: String,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub id: i64,
    pub source: ReportSource,
    pub reporter: String,
    pub title: String,
    pub description: String,
    pub received_at: DateTime<Utc>,
    /// Seconds since the report was received, at the time of the answer.
    pub age_seconds: i64,
    pub status: ReportStatus,
    pub incident_id: Option<i64>,
    pub incident_ref: Option<String>,
    pub triaged_by: Option<UserRef>,
    pub triaged_at: Option<DateTime<Utc>>,
    pub dismiss_reason: Option<String>,
    /// Confidential reports (responsible disclosures) are visible only to the
    /// security team and admins.
    pub confidential: bool,
    pub service: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Defaults to `api`.
    #[serde(default)]
    pub source: Option<ReportSource>,
    /// Who reported it; defaults to the submitting user.
    #[serde(default)]
    pub reporter: Option<String>,
    /// Defaults to true for `disclosure` reports, false otherwise.
    #[serde(default)]
    pub confidential: Option<bool>,
    #[serde(default)]
    pub service: Option<String>,
}

/// Declares an incident from a report. The title defaults to the report's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareFromReport {
    #[serde(default)]
    pub title: Option<String>,
    pub kind: Kind,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub severity_reason: Option<String>,
    #[serde(default)]
    pub facts: Option<ImpactFacts>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub lead: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkReport {
    /// Incident id or reference (`INC-3`).
    pub incident: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissReport {
    pub reason: String,
}

/// Filters for listing incidents.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// `true`: only incidents not closed; `false`: only closed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// Only incidents of this service (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only incidents this user (by name) owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `true`: only incidents the caller owns or leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<bool>,
    /// Text to find, case-insensitively, in titles, summaries and notes
    /// (of incidents the caller may see).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// At most this many, newest first (1 to 500; 500 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Skip this many of the newest first (for pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// The most incidents one list returns.
pub const MAX_INCIDENT_LIST: i64 = 500;

/// Filters for listing reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportFilter {
    /// Defaults to `untriaged`: the triage queue, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ReportStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ReportSource>,
}

/// The severity the facts suggest, with the process's words for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Classification {
    pub severity: Severity,
    pub rule: SeverityRule,
    pub explanation: String,
    pub description: String,
    pub example: String,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of checking the audit hash chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerification {
    pub ok: bool,
    pub entries: i64,
    /// The first entry that does not match, if any.
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}

/// An RFC 9457 problem body, as every error is sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request field at fault, as a JSON pointer-like path or a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For gate refusals: the checklist item that is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    /// On `/readyz`: configuration that would page nobody (a policy or
    /// leadership user the config file names that does not exist, …).
    /// Ready all the same; `firebreak doctor` checks the whole path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One paging path as `GET /api/v1/doctor` followed it: from what pages
/// (a service, the incident lead, leadership) to the people it reaches now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PagingCheck {
    /// What pages through this path: `service checkout`, `incident lead`,
    /// `leadership`.
    pub subject: String,
    /// The links followed, in order.
    pub path: Vec<String>,
    /// The users a page would reach now, over at least one usable contact
    /// method.
    pub reaches: Vec<String>,
    /// Each missing link, named; empty when the whole path holds.
    pub missing: Vec<String>,
}

/// What `GET /api/v1/doctor` found: every paging path, and whether each
/// reaches someone through links that all hold.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DoctorReport {
    /// True when no check has a missing link.
    pub ok: bool,
    pub checks: Vec<PagingCheck>,
    /// Remarks that do not stop a page (no schedules yet, no `[smtp]`
    /// while nobody has an email contact).
    pub notes: Vec<String>,
}

/// One escalation: who was escalated to, by which rule, why and when.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Escalation {
    pub id: i64,
    pub incident_id: i64,
    /// The page chain this escalation belongs to (pages only).
    pub chain_id: Option<i64>,
    /// 1-based level of the policy.
    pub level: i64,
    pub rule: String,
    pub reason: String,
    /// `incident_lead`, `leadership`, `owning_team`, `user`, or `fallback`
    /// (told that a page reached nobody).
    pub audience: String,
    /// Who or what escalated: a user, or `system` for rules and timers.
    pub from: String,
    pub to: String,
    pub to_user: Option<UserRef>,
    pub page: bool,
    pub at: DateTime<Utc>,
    /// The chain's state: `active`, `acknowledged`, `exhausted`, or `closed`
    /// (the incident closed before anyone acknowledged).
    pub chain_state: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    /// `routed`: a message was queued for this recipient. `unrouted`: it
    /// reached nobody (no policy, nobody on call, no such user, or no
    /// contact method); for a page, nobody was paged, and the configured
    /// fallback (`[escalation] fallback`) was told.
    pub state: String,
}

/// A manual escalation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    /// `incident_lead`, `leadership`, or a user name.
    pub to: String,
    pub reason: String,
}

/// Acknowledging an incident's pages stops their escalation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Acknowledged {
    pub incident_id: i64,
    /// How many active page chains this acknowledgment stopped.
    pub chains: i64,
}

/// One message in the notification outbox.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub idempotency_key: String,
    pub incident_id: Option<i64>,
    pub escalation_id: Option<i64>,
    pub user: Option<UserRef>,
    /// The channel kind: `email`, `webhook`, `slack`, `teams`, `http`.
    pub channel: String,
    /// `pending`, `sending`, `sent`, `failed`, `cancelled`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A named definition (schedule or escalation policy) as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Definition {
    pub name: String,
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}

/// A way to reach a user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactMethod {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    /// The channel configuration, e.g. `{"kind": "email", "to": "a@example.com"}`.
    #[schema(value_type = Object)]
    pub channel: serde_json::Value,
    /// Set by an admin: its target may be a loopback, link-local or private
    /// address (an on-premises gateway). Targets users set for themselves
    /// may not, unless `[outgoing] allow` opens them.
    #[serde(default)]
    pub admin_set: bool,
    /// The user who added it (none for local commands and older rows).
    #[serde(default)]
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContactMethod {
    pub label: String,
    #[schema(value_type = Object)]
    pub channel: serde_json::Value,
    /// Notify through this method this many seconds after a page (default
    /// 0: at once). Acknowledging before then cancels it.
    #[serde(default)]
    pub delay_secs: Option<i64>,
}

/// When a user is notified through one of their contact methods.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationRule {
    pub id: i64,
    pub user_id: i64,
    pub contact_method_id: i64,
    pub delay_secs: i64,
}

/// Who is on call on one schedule at an instant, and who is next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OnCallAnswer {
    pub schedule: String,
    /// The instant asked about.
    pub at: DateTime<Utc>,
    /// Nobody when no layer covers the instant.
    pub user: Option<String>,
    pub shift_start: Option<DateTime<Utc>>,
    pub shift_end: Option<DateTime<Utc>>,
    /// The next person on call after `user` (within 60 days).
    pub next_user: Option<String>,
    pub next_start: Option<DateTime<Utc>>,
}

/// One stretch of a schedule's final on-call timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShiftView {
    pub user: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A service's escalation settings. `PUT` replaces both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceEscalation {
    /// The policy that pages for this service's incidents; none falls back
    /// to the configured incident-lead policy.
    #[serde(default)]
    pub escalation_policy: Option<String>,
    /// Markdown: the escalation path, "so on-call knows who to contact".
    #[serde(default)]
    pub runbook: String,
}

/// A message template: `subject` or `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageTemplate {
    pub name: String,
    pub body: String,
    /// Whether an admin changed it (false: the built-in default).
    pub custom: bool,
}

/// The body of `PUT /api/v1/message-templates/{name}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// A minijinja template over the message's fields.
    pub body: String,
}

#[cfg(test)]
mod tests;

/// An escalation setting: its value now, and whether it comes from the
/// configuration file (the default) or was changed in the web or API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettingView {
    /// `incident_lead_policy`, `leadership` or `fallback` (the names of the
    /// `[escalation]` keys in the configuration file).
    pub key: String,
    /// The value in force: a policy name or null, or a list of user names.
    pub value: serde_json::Value,
    /// `file` (the configuration file's value, the default) or `web`.
    pub source: String,
    /// The configuration file's value, taken again when the setting is reset.
    pub file_value: serde_json::Value,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// `PUT /api/v1/settings/{key}`: the new value, or null to go back to the
/// configuration file's value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSetting {
    pub value: serde_json::Value,
}
