//! The JSON shapes of the intake admin and triage API. Requests refuse
//! unknown fields, as the rest of the API does.
//!
//! The bodies monitoring and paging tools send (Alertmanager, Grafana,
//! PagerDuty Events v2, generic JSON, raw e-mail) are the tools' own formats,
//! read by `firebreak-intake`; they are not defined here. A generic
//! integration's [`Mapping`] and the routing [`Matcher`]s are
//! `firebreak-intake`'s types, re-exported here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use firebreak_core::IntegrationKind;
pub use firebreak_intake::generic::Mapping;
pub use firebreak_intake::rules::Matcher;

use crate::{Kind, Problem, Report, ReportSource, ReportStatus, Severity};

/// `POST /api/v1/intake/integrations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
    /// Declare (and page for) a critical or high alert that no routing rule
    /// matches, when its service is known (the alert's or the
    /// integration's). Default `true`, as PagerDuty pages for high-urgency
    /// services; `false` leaves such alerts in the triage queue.
    #[serde(default)]
    #[schema(default = true)]
    pub auto_declare: Option<bool>,
}

/// `POST /api/v1/intake/integrations/{id}/auto-declare`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAutoDeclare {
    /// Declare (and page for) critical and high alerts no routing rule
    /// matches, when their service is known.
    pub auto_declare: bool,
}

/// An integration. Its key is never shown again after creation or rotation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntegrationView {
    pub id: i64,
    pub name: String,
    /// `alertmanager`, `pagerduty`, `grafana`, `generic` or `email`.
    pub kind: String,
    pub service: Option<String>,
    /// The key's last four characters.
    pub key_hint: String,
    /// The service user it acts as.
    pub user: String,
    pub signed: bool,
    pub hmac_timestamp_header: Option<String>,
    /// The generic integration's mapping.
    #[schema(value_type = Option<Mapping>)]
    pub mapping: Option<serde_json::Value>,
    /// Where the tool sends, with `{key}` in place of the key (PagerDuty:
    /// the key goes in the event's `routing_key`).
    pub url: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Critical and high alerts no routing rule matches declare an incident
    /// (and page) when their service is known.
    pub auto_declare: bool,
}

/// The answer to creating an integration or rotating its key: the only
/// time the key is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntegrationCreated {
    pub integration: IntegrationView,
    pub key: String,
    /// The URL with the key in it (PagerDuty: the events URL; the key is
    /// the routing key).
    pub url: String,
}

/// `POST /api/v1/intake/rules`, `PUT /api/v1/intake/rules/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub name: String,
    /// Lower first; defaults to after the last rule.
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub enabled: bool,
    /// Alertmanager matchers: `severity="critical"`, `env=~"prod|live"`.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["severity=\"critical\"", "env=~\"prod|live\""]))]
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

/// A routing rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// `POST /api/v1/intake/test`: how a sample payload would be read and
/// routed, without storing anything.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestPayload {
    /// `alertmanager`, `pagerduty`, `grafana` or `generic`.
    pub kind: IntegrationKind,
    /// The payload, as the tool would send it.
    #[schema(value_type = Object)]
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceBody {
    /// Alertmanager matchers; at least one must not match the empty value.
    #[schema(value_type = Vec<String>, example = json!(["alertname=\"DiskFull\""]))]
    pub matchers: Vec<Matcher>,
    /// Now by default.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// A silence: matching alerts are logged and visible, never declared.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// `POST /api/v1/intake/maintenance`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceBody {
    pub service: String,
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    /// The status page's title for it: set, the window shows on `/status`
    /// as scheduled maintenance (the `reason` stays internal).
    #[serde(default)]
    pub public_title: Option<String>,
    /// The status page's text for it.
    #[serde(default)]
    pub public_body: Option<String>,
}

/// A maintenance window: the service's alerts are logged and visible, never
/// declared.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceView {
    pub id: i64,
    pub service: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub active: bool,
    /// Shown on the status page when set.
    #[serde(default)]
    pub public_title: Option<String>,
    #[serde(default)]
    pub public_body: Option<String>,
}

/// `GET /api/v1/intake/alerts`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// An integration id.
    #[serde(default)]
    pub integration: Option<i64>,
    /// `open`, `firing`, `acknowledged` or `resolved`.
    #[serde(default)]
    pub status: Option<String>,
    /// 100 by default.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// An alert: one per open dedup key, counting its repeats.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    pub id: i64,
    pub integration: String,
    pub dedup_key: String,
    pub status: String,
    pub report_id: i64,
    pub title: String,
    pub severity: Option<String>,
    pub service: Option<String>,
    /// Label name → value.
    #[schema(value_type = Object)]
    pub labels: serde_json::Value,
    /// `[{"href", "text"?}]`.
    #[schema(value_type = Vec<Object>)]
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

/// `GET /api/v1/intake/changes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// A service name.
    #[serde(default)]
    pub service: Option<String>,
    /// 100 by default.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A PagerDuty change event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangeView {
    pub id: i64,
    pub integration: String,
    pub service: Option<String>,
    pub summary: String,
    pub source: Option<String>,
    pub happened_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    /// `{"custom_details", "links"}` as the event had them.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// An e-mail attachment kept as evidence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// An inbound e-mail of a report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// `GET /api/v1/intake/triage`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TriageQuery {
    /// `untriaged` by default.
    #[serde(default)]
    pub status: Option<ReportStatus>,
    #[serde(default)]
    pub source: Option<ReportSource>,
    /// A service name.
    #[serde(default)]
    pub service: Option<String>,
    /// 200 by default.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A report in the queue, with the alert behind it, if any.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TriageItem {
    #[serde(flatten)]
    pub report: Report,
    pub alert: Option<AlertBrief>,
}

/// The alert behind a report in the triage queue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// The untriaged reports of one source.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BacklogView {
    pub source: ReportSource,
    pub untriaged: i64,
    pub oldest_received_at: DateTime<Utc>,
    pub oldest_age_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Link,
    Dismiss,
}

/// `POST /api/v1/intake/triage/bulk`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// What a bulk triage did: the reports done, and those refused with why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkOutcome {
    pub done: Vec<i64>,
    pub failed: Vec<BulkFailure>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkFailure {
    pub report: i64,
    pub problem: Problem,
}

/// `GET /api/v1/intake/noise`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoiseQuery {
    /// Days back from today, today included; 14 by default, at most 366.
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub source: Option<ReportSource>,
}

/// Reports per service per UTC day, from `from` (inclusive) to `to`
/// (exclusive).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoiseView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub rows: Vec<NoiseDay>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoiseDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub service: Option<String>,
    pub reports: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integration_kinds_serialize_as_their_names() {
        for k in [
            IntegrationKind::Alertmanager,
            IntegrationKind::Pagerduty,
            IntegrationKind::Grafana,
            IntegrationKind::Generic,
            IntegrationKind::Email,
        ] {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, serde_json::Value::String(k.as_str().to_owned()));
        }
    }

    #[test]
    fn rule_bodies_default_to_enabled_and_refuse_unknown_fields() {
        let rule: RuleBody =
            serde_json::from_str(r#"{"name":"db","matchers":["team=\"db\""]}"#).unwrap();
        assert!(rule.enabled);
        assert_eq!(rule.matchers.len(), 1);
        let err = serde_json::from_str::<RuleBody>(r#"{"name":"db","bogus":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `bogus`"), "{err}");
    }

    #[test]
    fn bad_matchers_are_refused_while_reading() {
        let err = serde_json::from_str::<SilenceBody>(
            r#"{"matchers":["not a matcher"],"ends_at":"2026-01-01T00:00:00Z","reason":"x"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a matcher"), "{err}");
    }
}
