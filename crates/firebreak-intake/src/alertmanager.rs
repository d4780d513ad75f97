//! Prometheus Alertmanager's webhook payload, version 4.
//!
//! This module owns reading what Alertmanager's `webhook_config` receiver
//! POSTs, and turning each alert in it into a [`NormalizedAlert`]. Parsing is
//! strict about what Alertmanager always sends (a wrong version or a missing
//! label set is a misconfigured sender, and saying so beats storing half an
//! alert) but ignores fields it does not know, because Alertmanager has added
//! fields without bumping the version before (`truncatedAlerts`).
//!
//! The payload, as Alertmanager writes it:
//!
//! ```json
//! {
//!   "version": "4",
//!   "groupKey": "{}:{alertname=\"HighLatency\"}",
//!   "truncatedAlerts": 0,
//!   "status": "firing",
//!   "receiver": "firebreak",
//!   "groupLabels": {"alertname": "HighLatency"},
//!   "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
//!   "commonAnnotations": {"summary": "p99 latency above 2s"},
//!   "externalURL": "http://alertmanager:9093",
//!   "alerts": [{
//!     "status": "firing",
//!     "labels": {"alertname": "HighLatency", "severity": "critical"},
//!     "annotations": {"summary": "p99 latency above 2s"},
//!     "startsAt": "2024-05-01T12:00:00.000Z",
//!     "endsAt": "0001-01-01T00:00:00Z",
//!     "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
//!     "fingerprint": "1c4a2b3d4e5f6a7b"
//!   }]
//! }
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::json::{self, null_as_default};
use crate::normalized::{Link, labels_fingerprint, severity_from_label};
use crate::time::{parse_rfc3339, unless_zero};
use crate::{AlertStatus, IntakeError, NormalizedAlert, SourceKind};

/// The only payload version this module reads.
pub const VERSION: &str = "4";

/// Whether a group or an alert is firing or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Firing,
    Resolved,
}

impl From<Status> for AlertStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Firing => AlertStatus::Firing,
            Status::Resolved => AlertStatus::Resolved,
        }
    }
}

/// A whole notification: one alert group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub version: String,
    pub group_key: String,
    /// How many alerts Alertmanager left out because of the receiver's
    /// `max_alerts`.
    pub truncated_alerts: u64,
    pub status: Status,
    pub receiver: String,
    pub group_labels: BTreeMap<String, String>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<Alert>,
}

/// One alert of the group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: Status,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    /// `None` when Alertmanager sent Go's zero time (no end known).
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    pub fingerprint: String,
    /// The sender left `fingerprint` out and [`labels_fingerprint`] computed
    /// it.
    #[serde(skip)]
    pub fingerprint_computed: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawWebhook {
    version: Option<String>,
    group_key: Option<String>,
    #[serde(default)]
    truncated_alerts: u64,
    status: Option<Status>,
    receiver: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    group_labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_default")]
    common_labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_default")]
    common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    external_url: Option<String>,
    alerts: Option<Vec<RawAlert>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    status: Option<Status>,
    labels: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "null_as_default")]
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    fingerprint: Option<String>,
}

fn missing(path: &str) -> IntakeError {
    IntakeError::invalid(path, "missing")
}

/// Parses a webhook body.
///
/// Refused, with the JSON path of the field at fault: a body that is not
/// JSON; a `version` other than `"4"`; a missing `groupKey`, `status`,
/// `receiver` or `alerts`; an empty `alerts`; a `status` other than
/// `firing`/`resolved`; an alert without `labels` (or with an empty label
/// set, which Alertmanager never sends); a missing or non-RFC 3339
/// `startsAt`; a malformed `endsAt`; a `fingerprint` that is not 16 hex
/// digits. A missing `fingerprint` is computed from the labels with
/// [`labels_fingerprint`], the same function Alertmanager uses.
pub fn parse(bytes: &[u8]) -> Result<Webhook, IntakeError> {
    let raw: RawWebhook = json::from_slice(bytes)?;

    let version = raw.version.ok_or_else(|| missing("version"))?;
    if version != VERSION {
        return Err(IntakeError::invalid(
            "version",
            format!("unsupported version {version:?}; expected \"{VERSION}\""),
        ));
    }
    let group_key = raw.group_key.ok_or_else(|| missing("groupKey"))?;
    let status = raw.status.ok_or_else(|| missing("status"))?;
    let receiver = raw.receiver.ok_or_else(|| missing("receiver"))?;
    let raw_alerts = raw.alerts.ok_or_else(|| missing("alerts"))?;
    if raw_alerts.is_empty() {
        return Err(IntakeError::invalid(
            "alerts",
            "must contain at least one alert",
        ));
    }

    let alerts = raw_alerts
        .into_iter()
        .enumerate()
        .map(|(i, raw)| alert(i, raw))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Webhook {
        version,
        group_key,
        truncated_alerts: raw.truncated_alerts,
        status,
        receiver,
        group_labels: raw.group_labels,
        common_labels: raw.common_labels,
        common_annotations: raw.common_annotations,
        external_url: raw.external_url.unwrap_or_default(),
        alerts,
    })
}

fn alert(i: usize, raw: RawAlert) -> Result<Alert, IntakeError> {
    let at = |field: &str| format!("alerts[{i}].{field}");

    let status = raw.status.ok_or_else(|| missing(&at("status")))?;
    let labels = raw.labels.ok_or_else(|| missing(&at("labels")))?;
    if labels.is_empty() {
        return Err(IntakeError::invalid(
            at("labels"),
            "must contain at least one label",
        ));
    }

    let starts_at = raw.starts_at.ok_or_else(|| missing(&at("startsAt")))?;
    let starts_at = parse_rfc3339(&starts_at).ok_or_else(|| {
        IntakeError::invalid(
            at("startsAt"),
            format!("{starts_at:?} is not an RFC 3339 timestamp"),
        )
    })?;
    let ends_at = match raw.ends_at {
        None => None,
        Some(s) => {
            let t = parse_rfc3339(&s).ok_or_else(|| {
                IntakeError::invalid(at("endsAt"), format!("{s:?} is not an RFC 3339 timestamp"))
            })?;
            unless_zero(t)
        }
    };

    let (fingerprint, fingerprint_computed) = match raw.fingerprint {
        Some(fp) if !fp.is_empty() => {
            if fp.len() != 16 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(IntakeError::invalid(
                    at("fingerprint"),
                    format!("{fp:?} is not 16 hexadecimal digits"),
                ));
            }
            (fp.to_ascii_lowercase(), false)
        }
        _ => (labels_fingerprint(&labels), true),
    };

    Ok(Alert {
        status,
        labels,
        annotations: raw.annotations,
        starts_at,
        ends_at,
        generator_url: raw.generator_url.unwrap_or_default(),
        fingerprint,
        fingerprint_computed,
    })
}

/// Turns each alert of the group into a [`NormalizedAlert`].
///
/// - `dedup_key` and `fingerprint`: the alert's fingerprint, so a later
///   "resolved" for the same label set finds the report.
/// - `title`: the `summary` annotation, else the `alertname` label, else
///   "Alertmanager alert" and the fingerprint.
/// - `description`: the `description` annotation, else `message` (the older
///   kube-prometheus name), else empty.
/// - `severity`: the `severity` label through [`severity_from_label`].
/// - `service`: the `service` label, if any; routing rules can set it
///   otherwise.
/// - `status`: the alert's own status, not the group's (a "firing" group can
///   carry resolved alerts).
/// - `links`: `generatorURL` and the `runbook_url` annotation, when set.
pub fn to_alerts(webhook: &Webhook) -> Vec<NormalizedAlert> {
    webhook.alerts.iter().map(normalize).collect()
}

fn normalize(alert: &Alert) -> NormalizedAlert {
    let non_empty = |map: &BTreeMap<String, String>, key: &str| {
        map.get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };

    let title = non_empty(&alert.annotations, "summary")
        .or_else(|| non_empty(&alert.labels, "alertname"))
        .unwrap_or_else(|| format!("Alertmanager alert {}", alert.fingerprint));
    let description = non_empty(&alert.annotations, "description")
        .or_else(|| non_empty(&alert.annotations, "message"))
        .unwrap_or_default();

    let mut links = Vec::new();
    if !alert.generator_url.is_empty() {
        links.push(Link::new(alert.generator_url.clone(), "Source"));
    }
    if let Some(runbook) = non_empty(&alert.annotations, "runbook_url") {
        links.push(Link::new(runbook, "Runbook"));
    }

    NormalizedAlert {
        source_kind: SourceKind::Alertmanager,
        dedup_key: alert.fingerprint.clone(),
        title,
        description,
        severity: alert
            .labels
            .get("severity")
            .and_then(|s| severity_from_label(s)),
        status: alert.status.into(),
        labels: alert.labels.clone(),
        service: non_empty(&alert.labels, "service"),
        starts_at: unless_zero(alert.starts_at),
        ends_at: alert.ends_at,
        links,
        fingerprint: Some(alert.fingerprint.clone()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use firebreak_core::Severity;
    use serde_json::{Value, json};

    use super::*;

    fn sample() -> Value {
        json!({
            "version": "4",
            "groupKey": "{}/{severity=\"critical\"}:{alertname=\"HighLatency\"}",
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "firebreak",
            "groupLabels": {"alertname": "HighLatency"},
            "commonLabels": {"alertname": "HighLatency", "job": "api", "severity": "critical"},
            "commonAnnotations": {"summary": "p99 latency above 2s"},
            "externalURL": "http://alertmanager.example:9093",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "HighLatency",
                        "instance": "api-1:8080",
                        "job": "api",
                        "service": "checkout",
                        "severity": "critical"
                    },
                    "annotations": {
                        "summary": "p99 latency above 2s",
                        "description": "api-1 p99 latency is 3.2s",
                        "runbook_url": "https://runbooks.example/high-latency"
                    },
                    "startsAt": "2024-05-01T12:00:00.123456789Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example:9090/graph?g0.expr=latency",
                    "fingerprint": "b7e8a2c5d1f04e93"
                },
                {
                    "status": "resolved",
                    "labels": {
                        "alertname": "HighLatency",
                        "instance": "api-2:8080",
                        "job": "api",
                        "severity": "critical"
                    },
                    "annotations": {},
                    "startsAt": "2024-05-01T11:40:00+02:00",
                    "endsAt": "2024-05-01T12:05:00Z",
                    "generatorURL": "",
                    "fingerprint": "0d6c1f5e8a9b2c37"
                }
            ]
        })
    }

    fn parse_value(value: &Value) -> Result<Webhook, IntakeError> {
        parse(&serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn parses_the_documented_payload() {
        let webhook = parse_value(&sample()).unwrap();
        assert_eq!(webhook.version, "4");
        assert_eq!(webhook.status, Status::Firing);
        assert_eq!(webhook.receiver, "firebreak");
        assert_eq!(webhook.external_url, "http://alertmanager.example:9093");
        assert_eq!(webhook.alerts.len(), 2);
        let first = &webhook.alerts[0];
        assert_eq!(first.ends_at, None);
        assert_eq!(
            first.starts_at,
            parse_rfc3339("2024-05-01T12:00:00.123456789Z").unwrap()
        );
        assert!(!first.fingerprint_computed);
        let second = &webhook.alerts[1];
        assert_eq!(second.status, Status::Resolved);
        assert_eq!(
            second.starts_at,
            parse_rfc3339("2024-05-01T09:40:00Z").unwrap()
        );
        assert!(second.ends_at.is_some());
    }

    #[test]
    fn normalizes_each_alert() {
        let alerts = to_alerts(&parse_value(&sample()).unwrap());
        assert_eq!(alerts.len(), 2);
        let a = &alerts[0];
        assert_eq!(a.source_kind, SourceKind::Alertmanager);
        assert_eq!(a.dedup_key, "b7e8a2c5d1f04e93");
        assert_eq!(a.title, "p99 latency above 2s");
        assert_eq!(a.description, "api-1 p99 latency is 3.2s");
        assert_eq!(a.severity, Some(Severity::Critical));
        assert_eq!(a.status, AlertStatus::Firing);
        assert_eq!(a.service.as_deref(), Some("checkout"));
        assert_eq!(a.links.len(), 2);
        assert_eq!(a.links[1].href, "https://runbooks.example/high-latency");
        assert_eq!(a.ends_at, None);

        let b = &alerts[1];
        assert_eq!(b.title, "HighLatency");
        assert_eq!(b.description, "");
        assert_eq!(b.status, AlertStatus::Resolved);
        assert_eq!(b.service, None);
        assert!(b.links.is_empty());
    }

    #[test]
    fn missing_fingerprint_is_computed_from_labels() {
        let mut v = sample();
        v["alerts"][0]
            .as_object_mut()
            .unwrap()
            .remove("fingerprint");
        let webhook = parse_value(&v).unwrap();
        let alert = &webhook.alerts[0];
        assert!(alert.fingerprint_computed);
        assert_eq!(alert.fingerprint, labels_fingerprint(&alert.labels));
        assert_eq!(alert.fingerprint.len(), 16);
    }

    #[test]
    fn null_maps_are_empty() {
        let mut v = sample();
        v["groupLabels"] = Value::Null;
        v["alerts"][0]["annotations"] = Value::Null;
        let webhook = parse_value(&v).unwrap();
        assert!(webhook.group_labels.is_empty());
        assert!(webhook.alerts[0].annotations.is_empty());
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let mut v = sample();
        v["somethingNew"] = json!({"x": 1});
        v["alerts"][0]["silencedBy"] = json!([]);
        assert!(parse_value(&v).is_ok());
    }

    /// Each mutation of the sample must be refused naming `path`.
    #[test]
    fn invalid_payloads_name_the_field() {
        type Mutation = fn(&mut Value);
        let cases: &[(&str, Mutation, &str)] = &[
            ("wrong version", |v| v["version"] = json!("3"), "version"),
            ("numeric version", |v| v["version"] = json!(4), "version"),
            (
                "missing version",
                |v| {
                    v.as_object_mut().unwrap().remove("version");
                },
                "version",
            ),
            (
                "missing groupKey",
                |v| {
                    v.as_object_mut().unwrap().remove("groupKey");
                },
                "groupKey",
            ),
            ("bad status", |v| v["status"] = json!("pending"), "status"),
            (
                "missing receiver",
                |v| {
                    v.as_object_mut().unwrap().remove("receiver");
                },
                "receiver",
            ),
            (
                "negative truncatedAlerts",
                |v| v["truncatedAlerts"] = json!(-1),
                "truncatedAlerts",
            ),
            ("alerts not an array", |v| v["alerts"] = json!({}), "alerts"),
            ("empty alerts", |v| v["alerts"] = json!([]), "alerts"),
            (
                "missing alerts",
                |v| {
                    v.as_object_mut().unwrap().remove("alerts");
                },
                "alerts",
            ),
            (
                "alert status",
                |v| v["alerts"][1]["status"] = json!("FIRING"),
                "alerts[1].status",
            ),
            (
                "missing labels",
                |v| {
                    v["alerts"][0].as_object_mut().unwrap().remove("labels");
                },
                "alerts[0].labels",
            ),
            (
                "null labels",
                |v| v["alerts"][1]["labels"] = Value::Null,
                "alerts[1].labels",
            ),
            (
                "empty labels",
                |v| v["alerts"][0]["labels"] = json!({}),
                "alerts[0].labels",
            ),
            (
                "label value not a string",
                |v| v["alerts"][0]["labels"]["severity"] = json!(3),
                "alerts[0].labels.severity",
            ),
            (
                "annotation value not a string",
                |v| v["alerts"][1]["annotations"]["summary"] = json!(["x"]),
                "alerts[1].annotations.summary",
            ),
            (
                "missing startsAt",
                |v| {
                    v["alerts"][0].as_object_mut().unwrap().remove("startsAt");
                },
                "alerts[0].startsAt",
            ),
            (
                "bad startsAt",
                |v| v["alerts"][0]["startsAt"] = json!("yesterday"),
                "alerts[0].startsAt",
            ),
            (
                "numeric endsAt",
                |v| v["alerts"][1]["endsAt"] = json!(1_714_564_800),
                "alerts[1].endsAt",
            ),
            (
                "bad endsAt",
                |v| v["alerts"][1]["endsAt"] = json!("2024-05-01"),
                "alerts[1].endsAt",
            ),
            (
                "bad fingerprint",
                |v| v["alerts"][0]["fingerprint"] = json!("not-hex"),
                "alerts[0].fingerprint",
            ),
            (
                "fingerprint not a string",
                |v| v["alerts"][0]["fingerprint"] = json!(12),
                "alerts[0].fingerprint",
            ),
            ("root is an array", |v| *v = json!([]), "."),
        ];
        for (name, mutate, path) in cases {
            let mut v = sample();
            mutate(&mut v);
            let err = parse_value(&v).expect_err(name);
            assert_eq!(err.path(), Some(*path), "{name}: {err}");
            assert!(err.to_string().contains(path), "{name}: {err}");
        }
    }

    #[test]
    fn malformed_bodies_are_syntax_errors() {
        let body = serde_json::to_vec(&sample()).unwrap();
        for bad in [
            &body[..body.len() / 2],
            b"".as_slice(),
            b"{\"version\": \"4\",}".as_slice(),
            b"\xff\xfe".as_slice(),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, IntakeError::Syntax { .. }), "{err}");
        }
        let mut trailing = body.clone();
        trailing.extend_from_slice(b" {}");
        assert!(matches!(
            parse(&trailing).unwrap_err(),
            IntakeError::Syntax { .. }
        ));
    }
}
