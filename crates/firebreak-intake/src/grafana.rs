//! Grafana alerting's webhook contact point (unified alerting, payload
//! `"version": "1"`), and Grafana's optional HMAC signing of it.
//!
//! This module owns reading what a Grafana webhook contact point POSTs.
//! Unlike Alertmanager's, this payload is often templated by users (custom
//! payload templates, hand-edited titles), so parsing is lenient: unknown
//! fields are ignored, missing or wrongly typed optional fields take their
//! empty value, and only an `alerts` array is needed. When there is none,
//! one alert is made from `title`, `state` and `message` (which also reads
//! the legacy pre-8 Grafana payload: `ruleName`, `ruleUrl`, `imageUrl`).
//!
//! The default payload, as Grafana writes it:
//!
//! ```json
//! {
//!   "receiver": "firebreak", "status": "firing", "orgId": 1,
//!   "alerts": [{
//!     "status": "firing",
//!     "labels": {"alertname": "DiskFull", "grafana_folder": "Infra"},
//!     "annotations": {"summary": "Disk /var is 95% full"},
//!     "startsAt": "2024-05-01T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
//!     "generatorURL": "https://grafana.example/alerting/grafana/abc/view",
//!     "fingerprint": "57c6d9296de2ad39",
//!     "silenceURL": "...", "dashboardURL": "...", "panelURL": "...",
//!     "values": {"A": 95.2, "B": 1}
//!   }],
//!   "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
//!   "externalURL": "https://grafana.example/", "version": "1",
//!   "groupKey": "{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0,
//!   "title": "[FIRING:1] DiskFull Infra", "state": "alerting",
//!   "message": "**Firing** ..."
//! }
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::json::{self, scalar_text};
use crate::normalized::{Link, labels_fingerprint, severity_from_label};
use crate::time::{parse_iso8601, unless_zero};
use crate::{AlertStatus, IntakeError, NormalizedAlert, SourceKind};

/// The header Grafana puts the signature in unless configured otherwise.
pub const DEFAULT_SIGNATURE_HEADER: &str = "X-Grafana-Alert-Signature";

/// A whole notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub receiver: String,
    pub status: String,
    pub org_id: Option<i64>,
    pub alerts: Vec<Alert>,
    pub group_labels: BTreeMap<String, String>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: String,
    pub version: String,
    pub group_key: String,
    pub truncated_alerts: u64,
    pub title: String,
    /// `alerting` or `ok` in Grafana's default payload.
    pub state: String,
    pub message: String,
    /// There was no `alerts` array: the one alert was made from `title`,
    /// `state` and `message`.
    pub synthesized: bool,
}

/// One alert of the notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// `firing` or `resolved`; anything but `resolved` is read as firing.
    pub status: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// The query results by ref ID; non-numeric values are left out.
    pub values: BTreeMap<String, f64>,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    /// As sent, or computed from the labels with [`labels_fingerprint`]
    /// (Grafana's own fingerprint is that function) when missing.
    pub fingerprint: String,
    #[serde(rename = "silenceURL")]
    pub silence_url: String,
    #[serde(rename = "dashboardURL")]
    pub dashboard_url: String,
    #[serde(rename = "panelURL")]
    pub panel_url: String,
    #[serde(rename = "imageURL")]
    pub image_url: String,
}

impl Alert {
    pub fn is_resolved(&self) -> bool {
        self.status.trim().eq_ignore_ascii_case("resolved")
    }
}

fn text(obj: &Map<String, Value>, key: &str) -> String {
    obj.get(key).and_then(scalar_text).unwrap_or_default()
}

/// A string map; scalar values are kept as text, others dropped.
fn string_map(obj: &Map<String, Value>, key: &str) -> BTreeMap<String, String> {
    match obj.get(key) {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| scalar_text(v).map(|v| (k.clone(), v)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn time(obj: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    match obj.get(key) {
        Some(Value::String(s)) => parse_iso8601(s).and_then(unless_zero),
        _ => None,
    }
}

fn alert(obj: &Map<String, Value>) -> Alert {
    let labels = string_map(obj, "labels");
    let fingerprint = match text(obj, "fingerprint") {
        fp if fp.trim().is_empty() => labels_fingerprint(&labels),
        fp => fp,
    };
    let values = match obj.get("values") {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| v.as_f64().map(|v| (k.clone(), v)))
            .collect(),
        _ => BTreeMap::new(),
    };
    Alert {
        status: text(obj, "status"),
        labels,
        annotations: string_map(obj, "annotations"),
        starts_at: time(obj, "startsAt"),
        ends_at: time(obj, "endsAt"),
        values,
        generator_url: text(obj, "generatorURL"),
        fingerprint,
        silence_url: text(obj, "silenceURL"),
        dashboard_url: text(obj, "dashboardURL"),
        panel_url: text(obj, "panelURL"),
        image_url: text(obj, "imageURL"),
    }
}

/// One alert from the notification's `title`, `state` and `message` (and
/// the legacy payload's `ruleName`, `ruleUrl`, `imageUrl`), or `None` when
/// there is nothing to make one from.
fn synthesized_alert(obj: &Map<String, Value>) -> Option<Alert> {
    let title = text(obj, "title");
    let state = text(obj, "state");
    let message = text(obj, "message");
    let rule_name = text(obj, "ruleName");
    if [&title, &state, &message, &rule_name]
        .iter()
        .all(|s| s.trim().is_empty())
    {
        return None;
    }

    let name = [&rule_name, &title]
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| "Grafana alert".to_owned());
    let labels = BTreeMap::from([("alertname".to_owned(), name)]);
    let mut annotations = BTreeMap::new();
    for (key, value) in [("summary", &title), ("description", &message)] {
        if !value.trim().is_empty() {
            annotations.insert(key.to_owned(), value.clone());
        }
    }
    // Grafana's state is `ok` once everything resolved; the legacy states
    // `alerting`, `pending`, `no_data` and `paused` are all "not ok".
    let status = if state.trim().eq_ignore_ascii_case("ok") {
        "resolved"
    } else {
        "firing"
    };
    Some(Alert {
        status: status.to_owned(),
        fingerprint: labels_fingerprint(&labels),
        labels,
        annotations,
        starts_at: None,
        ends_at: None,
        values: BTreeMap::new(),
        generator_url: text(obj, "ruleUrl"),
        silence_url: String::new(),
        dashboard_url: String::new(),
        panel_url: String::new(),
        image_url: text(obj, "imageUrl"),
    })
}

/// Parses a webhook body leniently; see the module docs.
///
/// Refused only when the body is not JSON, is not an object, has an
/// `alerts` that is not an array or holds a non-object, or has no alerts and
/// nothing to make one from.
pub fn parse(bytes: &[u8]) -> Result<Webhook, IntakeError> {
    let Value::Object(obj) = json::value(bytes)? else {
        return Err(IntakeError::invalid(".", "must be a JSON object"));
    };

    let mut alerts = match obj.get("alerts") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(o) => Ok(alert(o)),
                other => Err(IntakeError::invalid(
                    format!("alerts[{i}]"),
                    format!("must be an object, not {}", json::type_name(other)),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(IntakeError::invalid(
                "alerts",
                format!("must be an array, not {}", json::type_name(other)),
            ));
        }
    };

    let synthesized = alerts.is_empty();
    if synthesized {
        let alert = synthesized_alert(&obj).ok_or_else(|| {
            IntakeError::invalid(
                "alerts",
                "missing or empty, and there is no title, state or message to make an alert from",
            )
        })?;
        alerts.push(alert);
    }

    Ok(Webhook {
        receiver: text(&obj, "receiver"),
        status: text(&obj, "status"),
        org_id: obj.get("orgId").and_then(Value::as_i64),
        alerts,
        group_labels: string_map(&obj, "groupLabels"),
        common_labels: string_map(&obj, "commonLabels"),
        common_annotations: string_map(&obj, "commonAnnotations"),
        external_url: text(&obj, "externalURL"),
        version: text(&obj, "version"),
        group_key: text(&obj, "groupKey"),
        truncated_alerts: obj
            .get("truncatedAlerts")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        title: text(&obj, "title"),
        state: text(&obj, "state"),
        message: text(&obj, "message"),
        synthesized,
    })
}

/// Turns each alert into a [`NormalizedAlert`].
///
/// - `dedup_key` and `fingerprint`: the alert's fingerprint.
/// - `title`: the `summary` annotation, else the `alertname` label, else the
///   notification's `title`.
/// - `description`: the `description` annotation; for a notification of one
///   alert, else its `message`.
/// - `severity`: the `severity` label through [`severity_from_label`];
///   `service`: the `service` label.
/// - `links`: generator, dashboard, panel, silence and image URLs and the
///   `runbook_url` annotation, when set.
pub fn to_alerts(webhook: &Webhook) -> Vec<NormalizedAlert> {
    let single = webhook.alerts.len() == 1;
    webhook
        .alerts
        .iter()
        .map(|alert| {
            let get = |map: &BTreeMap<String, String>, key: &str| {
                map.get(key)
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            let non_empty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());

            let title = get(&alert.annotations, "summary")
                .or_else(|| get(&alert.labels, "alertname"))
                .or_else(|| non_empty(&webhook.title))
                .unwrap_or_else(|| format!("Grafana alert {}", alert.fingerprint));
            let description = get(&alert.annotations, "description")
                .or_else(|| single.then(|| non_empty(&webhook.message)).flatten())
                .unwrap_or_default();

            let mut links = Vec::new();
            for (href, text) in [
                (&alert.generator_url, "Source"),
                (&alert.dashboard_url, "Dashboard"),
                (&alert.panel_url, "Panel"),
                (&alert.silence_url, "Silence"),
                (&alert.image_url, "Image"),
            ] {
                if !href.trim().is_empty() {
                    links.push(Link::new(href.clone(), text));
                }
            }
            if let Some(runbook) = get(&alert.annotations, "runbook_url") {
                links.push(Link::new(runbook, "Runbook"));
            }

            NormalizedAlert {
                source_kind: SourceKind::Grafana,
                dedup_key: alert.fingerprint.clone(),
                title,
                description,
                severity: alert
                    .labels
                    .get("severity")
                    .and_then(|s| severity_from_label(s)),
                status: if alert.is_resolved() {
                    AlertStatus::Resolved
                } else {
                    AlertStatus::Firing
                },
                labels: alert.labels.clone(),
                service: get(&alert.labels, "service"),
                starts_at: alert.starts_at,
                ends_at: alert.ends_at,
                links,
                fingerprint: Some(alert.fingerprint.clone()),
            }
        })
        .collect()
}

/// Checks Grafana's optional HMAC-SHA256 signature of a webhook.
///
/// Grafana computes `hex(HMAC-SHA256(secret, message))` in lower case and
/// sends it in the configured signature header (by default
/// [`DEFAULT_SIGNATURE_HEADER`]). The signed message is:
///
/// - with a timestamp header configured: the header's value (Unix seconds,
///   as Grafana sets it), a colon, then the raw body: `"1714564800:{...}"`;
/// - otherwise: the raw body alone.
///
/// Pass the timestamp header's value as `timestamp_header` exactly when the
/// contact point is configured with one. The comparison is constant-time.
/// An empty secret never verifies (Grafana refuses to sign with one), nor
/// does a signature that is not 64 hex digits. Whether the timestamp is
/// recent is a separate question: see [`is_timestamp_fresh`].
pub fn verify_signature(
    secret: &[u8],
    timestamp_header: Option<&str>,
    body: &[u8],
    signature_header: &str,
) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Ok(expected) = hex::decode(signature_header.trim()) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    if let Some(timestamp) = timestamp_header {
        mac.update(timestamp.trim().as_bytes());
        mac.update(b":");
    }
    mac.update(body);
    let actual = mac.finalize().into_bytes();
    // `ct_eq` on slices of different lengths is false without comparing.
    actual.as_slice().ct_eq(&expected).into()
}

/// Whether a signed timestamp (Unix seconds, as Grafana sends it) is within
/// `tolerance` of `now`, either way: the replay window for signed webhooks.
pub fn is_timestamp_fresh(
    timestamp_header: &str,
    now: DateTime<Utc>,
    tolerance: chrono::Duration,
) -> bool {
    let Ok(seconds) = timestamp_header.trim().parse::<i64>() else {
        return false;
    };
    let Some(sent) = DateTime::<Utc>::from_timestamp(seconds, 0) else {
        return false;
    };
    (now - sent).abs() <= tolerance
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use firebreak_core::Severity;
    use serde_json::json;

    use super::*;

    fn sample() -> Value {
        json!({
            "receiver": "firebreak",
            "status": "firing",
            "orgId": 1,
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "DiskFull", "grafana_folder": "Infra",
                               "severity": "warning", "service": "storage"},
                    "annotations": {"summary": "Disk /var is 95% full",
                                    "description": "db-1 /var at 95.2%"},
                    "startsAt": "2024-05-01T12:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "https://grafana.example/alerting/grafana/abc/view?orgId=1",
                    "fingerprint": "57c6d9296de2ad39",
                    "silenceURL": "https://grafana.example/alerting/silence/new?alertmanager=grafana",
                    "dashboardURL": "https://grafana.example/d/dash?orgId=1",
                    "panelURL": "https://grafana.example/d/dash?orgId=1&viewPanel=2",
                    "values": {"A": 95.2, "B": 1},
                    "valueString": "[ var='A' labels={} value=95.2 ]"
                },
                {
                    "status": "resolved",
                    "labels": {"alertname": "DiskFull", "instance": "db-2"},
                    "annotations": {},
                    "startsAt": "2024-05-01T11:00:00Z",
                    "endsAt": "2024-05-01T12:00:00Z",
                    "generatorURL": "",
                    "fingerprint": "a1b2c3d4e5f60718",
                    "values": null
                }
            ],
            "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"alertname": "DiskFull"},
            "commonAnnotations": {},
            "externalURL": "https://grafana.example/",
            "version": "1",
            "groupKey": "{}/{}:{alertname=\"DiskFull\"}",
            "truncatedAlerts": 0,
            "title": "[FIRING:1, RESOLVED:1] DiskFull",
            "state": "alerting",
            "message": "**Firing**\n\nValue: A=95.2"
        })
    }

    fn parse_value(v: &Value) -> Result<Webhook, IntakeError> {
        parse(&serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn parses_the_default_payload() {
        let webhook = parse_value(&sample()).unwrap();
        assert!(!webhook.synthesized);
        assert_eq!(webhook.org_id, Some(1));
        assert_eq!(webhook.version, "1");
        assert_eq!(webhook.alerts.len(), 2);
        let a = &webhook.alerts[0];
        assert_eq!(a.values.get("A"), Some(&95.2));
        assert_eq!(a.ends_at, None);
        assert!(a.starts_at.is_some());
        assert!(webhook.alerts[1].is_resolved());
        assert!(webhook.alerts[1].values.is_empty());
    }

    #[test]
    fn normalizes_each_alert() {
        let alerts = to_alerts(&parse_value(&sample()).unwrap());
        let a = &alerts[0];
        assert_eq!(a.source_kind, SourceKind::Grafana);
        assert_eq!(a.dedup_key, "57c6d9296de2ad39");
        assert_eq!(a.title, "Disk /var is 95% full");
        assert_eq!(a.description, "db-1 /var at 95.2%");
        assert_eq!(a.severity, Some(Severity::Medium));
        assert_eq!(a.service.as_deref(), Some("storage"));
        assert_eq!(a.status, AlertStatus::Firing);
        let texts: Vec<_> = a.links.iter().filter_map(|l| l.text.as_deref()).collect();
        assert_eq!(texts, ["Source", "Dashboard", "Panel", "Silence"]);

        let b = &alerts[1];
        assert_eq!(b.title, "DiskFull");
        // Two alerts: the notification's message belongs to neither.
        assert_eq!(b.description, "");
        assert_eq!(b.status, AlertStatus::Resolved);
        assert!(b.links.is_empty());
    }

    #[test]
    fn lenient_about_types_and_missing_fields() {
        let v = json!({
            "alerts": [{
                "labels": {"alertname": "X", "count": 3, "nested": {"a": 1}},
                "annotations": "not a map",
                "startsAt": 12,
                "fingerprint": null,
                "values": {"A": "high", "B": 2}
            }],
            "orgId": "one",
            "truncatedAlerts": -3
        });
        let webhook = parse_value(&v).unwrap();
        let a = &webhook.alerts[0];
        assert_eq!(a.labels.get("count").map(String::as_str), Some("3"));
        assert!(!a.labels.contains_key("nested"));
        assert!(a.annotations.is_empty());
        assert_eq!(a.starts_at, None);
        assert_eq!(a.fingerprint, labels_fingerprint(&a.labels));
        assert_eq!(a.values.len(), 1);
        assert_eq!(webhook.org_id, None);
        assert_eq!(webhook.truncated_alerts, 0);
        let n = to_alerts(&webhook);
        assert_eq!(n[0].status, AlertStatus::Firing);
        assert_eq!(n[0].title, "X");
    }

    #[test]
    fn falls_back_to_title_state_and_message() {
        let v = json!({"title": "[FIRING:1] Checkout errors", "state": "alerting",
                       "message": "5xx rate is 12%"});
        let webhook = parse_value(&v).unwrap();
        assert!(webhook.synthesized);
        let alerts = to_alerts(&webhook);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].title, "[FIRING:1] Checkout errors");
        assert_eq!(alerts[0].description, "5xx rate is 12%");
        assert_eq!(alerts[0].status, AlertStatus::Firing);

        let v = json!({"title": "[FIRING:1] Checkout errors", "state": "ok", "alerts": []});
        let resolved = to_alerts(&parse_value(&v).unwrap());
        assert_eq!(resolved[0].status, AlertStatus::Resolved);
        // Same title, same key: the "ok" resolves the "alerting".
        assert_eq!(resolved[0].dedup_key, alerts[0].dedup_key);
    }

    #[test]
    fn reads_the_legacy_payload() {
        let v = json!({
            "title": "[Alerting] Load peaking!", "ruleId": 1, "ruleName": "Load peaking!",
            "ruleUrl": "http://grafana.example/d/x?panelId=2", "state": "alerting",
            "imageUrl": "http://images.example/a.png",
            "message": "Load is peaking.",
            "evalMatches": [{"metric": "requests", "tags": {}, "value": 122}]
        });
        let alerts = to_alerts(&parse_value(&v).unwrap());
        assert_eq!(alerts[0].labels["alertname"], "Load peaking!");
        assert_eq!(alerts[0].title, "[Alerting] Load peaking!");
        assert_eq!(alerts[0].links.len(), 2);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"{}", Some("alerts")),
            (b"{\"alerts\": []}", Some("alerts")),
            (b"{\"alerts\": {\"a\": 1}}", Some("alerts")),
            (b"{\"alerts\": [{}, 3]}", Some("alerts[1]")),
            (b"[1]", Some(".")),
            (b"{\"alerts\": [", None),
            (b"", None),
        ];
        for (body, path) in cases {
            let err = parse(body).unwrap_err();
            assert_eq!(err.path(), *path, "{err}");
        }
    }

    #[test]
    fn signature_over_body() {
        // RFC 4231 test case 2.
        let sig = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert!(verify_signature(
            b"Jefe",
            None,
            b"what do ya want for nothing?",
            sig
        ));
        assert!(verify_signature(
            b"Jefe",
            None,
            b"what do ya want for nothing?",
            &sig.to_uppercase()
        ));
        assert!(!verify_signature(
            b"Jefe",
            None,
            b"what do ya want for nothing!",
            sig
        ));
    }

    #[test]
    fn signature_over_timestamp_and_body() {
        let body = br#"{"status":"firing"}"#;
        // Computed independently: HMAC-SHA256("s3cret", "1714564800:" + body).
        let with_ts = "d7e05be01698ce27fa1bbe60eb373149ec4fe0a53a604b012859732feb76e6e9";
        let body_only = "043737fa7d4b65306416549b14537adb753ed11a55b3fb6f50fec5192bbd3851";
        assert!(verify_signature(
            b"s3cret",
            Some("1714564800"),
            body,
            with_ts
        ));
        assert!(verify_signature(b"s3cret", None, body, body_only));
        let cases: &[(&[u8], Option<&str>, &str)] = &[
            (b"s3cret", None, with_ts),
            (b"s3cret", Some("1714564800"), body_only),
            (b"s3cret", Some("1714564801"), with_ts),
            (b"other", Some("1714564800"), with_ts),
            (b"", Some("1714564800"), with_ts),
            (b"s3cret", Some("1714564800"), &with_ts[..62]),
            (b"s3cret", Some("1714564800"), "zz"),
            (b"s3cret", Some("1714564800"), ""),
        ];
        for (secret, ts, sig) in cases {
            assert!(!verify_signature(secret, *ts, body, sig), "{ts:?} {sig}");
        }
    }

    #[test]
    fn timestamp_freshness() {
        let now = DateTime::<Utc>::from_timestamp(1_714_564_800, 0).unwrap();
        let five = chrono::Duration::minutes(5);
        assert!(is_timestamp_fresh("1714564800", now, five));
        assert!(is_timestamp_fresh("1714564500", now, five));
        assert!(is_timestamp_fresh("1714565100", now, five));
        assert!(!is_timestamp_fresh("1714564499", now, five));
        assert!(!is_timestamp_fresh("soon", now, five));
        assert!(!is_timestamp_fresh("99999999999999999", now, five));
    }
}
