//! The JSON shapes of the intake admin and triage API. Requests refuse
//! unknown fields, as the rest of the API does. (They live here rather than
//! in `firebreak-api` while intake is new; they move there when the client
//! and CLI grow intake commands.)

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use firebreak_api::{Kind, Report, ReportSource, ReportStatus, Severity};
use firebreak_intake::generic::Mapping;
use firebreak_intake::rules::Matcher;
use firebreak_store::intake::{
    AlertRecord, AttachmentRecord, ChangeEventRecord, EmailRecord, IntegrationRecord,
    MaintenanceRecord, RuleRecord, SilenceRecord,
};

use crate::error::ApiError;

/// An id from the path; anything else is a missing record.
pub fn positive_id(what: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::NotFound(format!("{what} `{raw}`")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    Alertmanager,
    Pagerduty,
    Grafana,
    Generic,
    Email,
}

impl IntegrationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::Alertmanager => "alertmanager",
            IntegrationKind::Pagerduty => "pagerduty",
            IntegrationKind::Grafana => "grafana",
            IntegrationKind::Generic => "generic",
            IntegrationKind::Email => "email",
        }
    }

    /// Where the tool sends, with `{key}` where the key goes.
    pub fn url(self, public_url: &str, key: &str) -> String {
        let base = public_url.trim_end_matches('/');
        match self {
            IntegrationKind::Pagerduty => format!("{base}/v2/enqueue"),
            IntegrationKind::Email => format!("{base}/api/v1/inbound/email/{key}"),
            other => format!("{base}/api/v1/intake/{}/{key}", other.as_str()),
        }
    }
}

/// `POST /api/v1/intake/integrations`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegration {
    /// Lower-case letters, digits, `-`, `_` and `.`; at most 48.
    pub name: String,
    pub kind: IntegrationKind,
    /// The service its reports are filed under when an alert names no known
    /// service.
    #[serde(default)]
    pub service: Option<String>,
    /// Required for `generic`, refused otherwise.
    #[serde(default)]
    pub mapping: Option<Mapping>,
    /// Grafana only: the contact point's HMAC secret.
    #[serde(default)]
    pub hmac_secret: Option<String>,
    /// Grafana only: the timestamp header the contact point signs with.
    #[serde(default)]
    pub hmac_timestamp_header: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntegrationView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub service: Option<String>,
    /// The key's last four characters.
    pub key_hint: String,
    /// The service user it acts as.
    pub user: String,
    pub signed: bool,
    pub hmac_timestamp_header: Option<String>,
    pub mapping: Option<serde_json::Value>,
    /// Where the tool sends, with `{key}` in place of the key (PagerDuty:
    /// the key goes in the event's `routing_key`).
    pub url: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl IntegrationView {
    pub fn new(r: &IntegrationRecord, public_url: &str) -> IntegrationView {
        let kind = match r.kind.as_str() {
            "pagerduty" => IntegrationKind::Pagerduty,
            "grafana" => IntegrationKind::Grafana,
            "generic" => IntegrationKind::Generic,
            "email" => IntegrationKind::Email,
            _ => IntegrationKind::Alertmanager,
        };
        IntegrationView {
            id: r.id,
            name: r.name.clone(),
            kind: r.kind.clone(),
            service: r.service.clone(),
            key_hint: r.key_hint.clone(),
            user: r.user_name.clone(),
            signed: r.hmac_secret.is_some(),
            hmac_timestamp_header: r.hmac_timestamp_header.clone(),
            mapping: r
                .mapping
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            url: kind.url(public_url, "{key}"),
            enabled: r.is_enabled(),
            created_at: r.created_at,
            disabled_at: r.disabled_at,
        }
    }
}

/// The answer to creating an integration or rotating its key: the only
/// time the key is shown.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrationCreated {
    pub integration: IntegrationView,
    pub key: String,
    /// The URL with the key in it (PagerDuty: the events URL; the key is
    /// the routing key).
    pub url: String,
}

/// `POST /api/v1/intake/rules`, `PUT /api/v1/intake/rules/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub name: String,
    /// Lower first; defaults to after the last rule.
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Alertmanager matchers: `severity="critical"`, `env=~"prod|live"`.
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    #[serde(default)]
    pub set_service: Option<String>,
    #[serde(default)]
    pub set_kind: Option<Kind>,
    #[serde(default)]
    pub set_severity: Option<Severity>,
    #[serde(default)]
    pub declare: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub enabled: bool,
    pub matchers: Vec<String>,
    pub set_service: Option<String>,
    pub set_kind: Option<Kind>,
    pub set_severity: Option<Severity>,
    pub declare: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RuleView {
    pub fn new(r: &RuleRecord) -> Option<RuleView> {
        let rule: firebreak_intake::rules::Rule = serde_json::from_str(&r.definition).ok()?;
        Some(RuleView {
            id: r.id,
            position: r.position,
            name: r.name.clone(),
            enabled: r.enabled,
            matchers: rule.matchers.iter().map(ToString::to_string).collect(),
            set_service: rule.set_service,
            set_kind: rule.set_kind,
            set_severity: rule.set_severity,
            declare: rule.declare,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// `POST /api/v1/intake/test`: how a sample payload would be read and
/// routed, without storing anything.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestPayload {
    /// `alertmanager`, `pagerduty`, `grafana` or `generic`.
    pub kind: IntegrationKind,
    /// The payload, as the tool would send it.
    pub payload: serde_json::Value,
    /// For `generic`: the mapping to try (else the integration's).
    #[serde(default)]
    pub mapping: Option<Mapping>,
    /// Use this integration's mapping and service.
    #[serde(default)]
    pub integration: Option<i64>,
    /// Route as of this time (silences, maintenance); now by default.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/intake/silences`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceBody {
    pub matchers: Vec<Matcher>,
    /// Now by default.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SilenceView {
    pub id: i64,
    pub matchers: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expired_at: Option<DateTime<Utc>>,
    pub active: bool,
}

impl SilenceView {
    pub fn new(s: &SilenceRecord, now: DateTime<Utc>) -> SilenceView {
        SilenceView {
            id: s.id,
            matchers: serde_json::from_str(&s.matchers).unwrap_or_default(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            reason: s.reason.clone(),
            created_by: s.created_by.clone(),
            created_at: s.created_at,
            expired_at: s.expired_at,
            active: s.starts_at <= now && now < s.ends_at,
        }
    }
}

/// `POST /api/v1/intake/maintenance`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceBody {
    pub service: String,
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MaintenanceView {
    pub id: i64,
    pub service: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub active: bool,
}

impl MaintenanceView {
    pub fn new(m: &MaintenanceRecord, now: DateTime<Utc>) -> MaintenanceView {
        MaintenanceView {
            id: m.id,
            service: m.service.clone(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            reason: m.reason.clone(),
            created_by: m.created_by.clone(),
            created_at: m.created_at,
            active: m.starts_at <= now && now < m.ends_at,
        }
    }
}

/// `GET /api/v1/intake/alerts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    #[serde(default)]
    pub integration: Option<i64>,
    /// `open`, `firing`, `acknowledged` or `resolved`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub id: i64,
    pub integration: String,
    pub dedup_key: String,
    pub status: String,
    pub report_id: i64,
    pub title: String,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub labels: serde_json::Value,
    pub links: serde_json::Value,
    pub disposition: String,
    pub rule: Option<String>,
    pub suppressed_by: Option<String>,
    pub count: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub starts_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<AlertRecord> for AlertView {
    fn from(a: AlertRecord) -> Self {
        AlertView {
            id: a.id,
            integration: a.integration,
            dedup_key: a.dedup_key,
            status: a.status,
            report_id: a.report_id,
            title: a.title,
            severity: a.severity,
            service: a.service,
            labels: serde_json::from_str(&a.labels).unwrap_or_default(),
            links: serde_json::from_str(&a.links).unwrap_or_default(),
            disposition: a.disposition,
            rule: a.rule_name,
            suppressed_by: a.suppressed_by,
            count: a.count,
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            starts_at: a.starts_at,
            acknowledged_at: a.acknowledged_at,
            resolved_at: a.resolved_at,
        }
    }
}

/// `GET /api/v1/intake/changes`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuery {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub id: i64,
    pub integration: String,
    pub service: Option<String>,
    pub summary: String,
    pub source: Option<String>,
    pub happened_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub details: serde_json::Value,
}

impl From<ChangeEventRecord> for ChangeView {
    fn from(c: ChangeEventRecord) -> Self {
        ChangeView {
            id: c.id,
            integration: c.integration,
            service: c.service,
            summary: c.summary,
            source: c.source,
            happened_at: c.happened_at,
            received_at: c.received_at,
            details: serde_json::from_str(&c.details).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub id: i64,
    pub filename: Option<String>,
    /// As the sender declared it; downloads are always
    /// `application/octet-stream`.
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Whether the content was kept (else only its hash).
    pub stored: bool,
}

impl From<AttachmentRecord> for AttachmentView {
    fn from(a: AttachmentRecord) -> Self {
        AttachmentView {
            id: a.id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            stored: a.stored,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EmailView {
    pub id: i64,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub from: Option<String>,
    pub subject: String,
    pub body: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub raw_sha256: String,
    pub raw_size: i64,
    pub attachments: Vec<AttachmentView>,
}

impl From<EmailRecord> for EmailView {
    fn from(e: EmailRecord) -> Self {
        EmailView {
            id: e.id,
            message_id: e.message_id,
            in_reply_to: e.in_reply_to,
            from: e.from_address,
            subject: e.subject,
            body: e.body,
            sent_at: e.sent_at,
            received_at: e.received_at,
            raw_sha256: e.raw_sha256,
            raw_size: e.raw_size,
            attachments: e.attachments.into_iter().map(Into::into).collect(),
        }
    }
}

/// `GET /api/v1/intake/triage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageQuery {
    #[serde(default)]
    pub status: Option<ReportStatus>,
    #[serde(default)]
    pub source: Option<ReportSource>,
    /// A service name.
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A report in the queue, with the alert behind it, if any.
#[derive(Debug, Clone, Serialize)]
pub struct TriageItem {
    #[serde(flatten)]
    pub report: Report,
    pub alert: Option<AlertBrief>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertBrief {
    pub id: i64,
    pub integration: String,
    pub status: String,
    pub severity: Option<String>,
    pub count: i64,
    pub last_seen: DateTime<Utc>,
    pub disposition: String,
    pub suppressed_by: Option<String>,
}

impl From<&AlertRecord> for AlertBrief {
    fn from(a: &AlertRecord) -> Self {
        AlertBrief {
            id: a.id,
            integration: a.integration.clone(),
            status: a.status.clone(),
            severity: a.severity.clone(),
            count: a.count,
            last_seen: a.last_seen,
            disposition: a.disposition.clone(),
            suppressed_by: a.suppressed_by.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BacklogView {
    pub source: ReportSource,
    pub untriaged: i64,
    pub oldest_received_at: DateTime<Utc>,
    pub oldest_age_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Link,
    Dismiss,
}

/// `POST /api/v1/intake/triage/bulk`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkTriage {
    pub action: BulkAction,
    /// At most 500 report ids.
    pub reports: Vec<i64>,
    /// For `link`: `INC-3` or `3`.
    #[serde(default)]
    pub incident: Option<String>,
    /// For `dismiss`.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkOutcome {
    pub done: Vec<i64>,
    pub failed: Vec<BulkFailure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkFailure {
    pub report: i64,
    pub problem: firebreak_api::Problem,
}

/// `GET /api/v1/intake/noise`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseQuery {
    /// Days back from today, today included; 14 by default, at most 366.
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub source: Option<ReportSource>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoiseView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub rows: Vec<NoiseDay>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoiseDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub service: Option<String>,
    pub reports: i64,
}
