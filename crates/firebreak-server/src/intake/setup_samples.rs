//! What the integrations page shows and sends for each kind: a
//! configuration example to paste into the tool, and the test alert the
//! "Send a test alert" button sends.
//!
//! A test alert is a payload in the tool's own format, read by the same
//! parser as the tool's real requests (`firebreak_intake::alertmanager`,
//! `grafana`, `pagerduty`), so what the button shows is what the tool's
//! alerts do. It is a warning (medium), never critical, titled "Firebreak
//! test alert", labelled `firebreak_test=true`: it pages nobody unless a
//! routing rule says so. Its labels are the same each time, so a second
//! test folds into the first one's report while that alert is open.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use firebreak_api::intake::IntegrationKind;
use firebreak_core::Severity;
use firebreak_intake::{
    AlertStatus, NormalizedAlert, SourceKind, alertmanager, grafana, labels_fingerprint, pagerduty,
};

use crate::error::ApiError;
use crate::intake::intake_problem;

/// The title every test alert has.
pub const TEST_TITLE: &str = "Firebreak test alert";

/// The kinds the page offers, with their labels.
pub const KINDS: [(IntegrationKind, &str); 5] = [
    (IntegrationKind::Alertmanager, "Prometheus Alertmanager"),
    (IntegrationKind::Grafana, "Grafana (webhook contact point)"),
    (
        IntegrationKind::Pagerduty,
        "PagerDuty Events API v2 (any tool that speaks it)",
    ),
    (
        IntegrationKind::Generic,
        "Generic JSON webhook (with a mapping)",
    ),
    (IntegrationKind::Email, "E-mail (raw message over HTTP)"),
];

/// The kind a stored integration has (its column holds the wire name).
pub fn kind_of(stored: &str) -> Option<IntegrationKind> {
    stored.parse().ok()
}

/// Whether the page can send a test alert to an integration of `kind`.
pub fn can_test(kind: IntegrationKind) -> bool {
    kind != IntegrationKind::Email
}

/// The labels of a test alert of integration `name`.
fn labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("alertname".to_owned(), "FirebreakTestAlert".to_owned()),
        ("firebreak_test".to_owned(), "true".to_owned()),
        ("integration".to_owned(), name.to_owned()),
        ("severity".to_owned(), "warning".to_owned()),
    ])
}

fn summary(name: &str) -> String {
    format!("{TEST_TITLE} from integration {name}")
}

fn description(by: &str) -> String {
    format!(
        "Sent by {by} with the \"Send a test alert\" button of the integrations page, to check \
         that alerts arrive. Nothing is wrong; dismiss this report."
    )
}

/// The test alert of integration `name` of `kind`, sent by user `by`, as
/// the tool's parser reads it. `None` for e-mail, which has no test alert.
pub fn test_alerts(
    kind: IntegrationKind,
    name: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Option<Vec<NormalizedAlert>>, ApiError> {
    let labels = labels(name);
    let starts = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let fingerprint = labels_fingerprint(&labels);
    let annotations = json!({"summary": summary(name), "description": description(by)});
    let body = |v: serde_json::Value| v.to_string().into_bytes();
    Ok(Some(match kind {
        IntegrationKind::Alertmanager => {
            let bytes = body(json!({
                "version": "4",
                "groupKey": "{}:{alertname=\"FirebreakTestAlert\"}",
                "truncatedAlerts": 0,
                "status": "firing",
                "receiver": "firebreak",
                "groupLabels": {"alertname": "FirebreakTestAlert"},
                "commonLabels": labels,
                "commonAnnotations": annotations,
                "externalURL": "",
                "alerts": [{
                    "status": "firing",
                    "labels": labels,
                    "annotations": annotations,
                    "startsAt": starts,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "",
                    "fingerprint": fingerprint,
                }],
            }));
            let w = alertmanager::parse(&bytes).map_err(|e| intake_problem(&e))?;
            alertmanager::to_alerts(&w)
        }
        IntegrationKind::Grafana => {
            let bytes = body(json!({
                "receiver": "firebreak",
                "status": "firing",
                "orgId": 1,
                "alerts": [{
                    "status": "firing",
                    "labels": labels,
                    "annotations": annotations,
                    "startsAt": starts,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "",
                    "fingerprint": fingerprint,
                    "values": null,
                }],
                "groupLabels": {"alertname": "FirebreakTestAlert"},
                "commonLabels": labels,
                "commonAnnotations": annotations,
                "externalURL": "",
                "version": "1",
                "groupKey": "{}:{alertname=\"FirebreakTestAlert\"}",
                "truncatedAlerts": 0,
                "title": format!("[FIRING:1] {TEST_TITLE}"),
                "state": "alerting",
                "message": summary(name),
            }));
            let w = grafana::parse(&bytes).map_err(|e| intake_problem(&e))?;
            grafana::to_alerts(&w)
        }
        IntegrationKind::Pagerduty => {
            // The routing key is checked for its shape only: the alert is
            // handed to the integration directly, not looked up by key.
            let bytes = body(json!({
                "routing_key": "0".repeat(pagerduty::ROUTING_KEY_LEN),
                "event_action": "trigger",
                "dedup_key": format!("firebreak-test-{fingerprint}"),
                "payload": {
                    "summary": summary(name),
                    "source": "firebreak",
                    "severity": "warning",
                    "timestamp": starts,
                    "component": name,
                    "class": "firebreak_test",
                    "custom_details": {"description": description(by)},
                },
            }));
            let event = pagerduty::parse_event(&bytes).map_err(|errors| ApiError::BadRequest {
                detail: errors.join("; "),
                field: Some("payload".to_owned()),
            })?;
            vec![pagerduty::to_alert(&event, "firebreak-test")]
        }
        IntegrationKind::Generic => {
            // A generic integration reads any document through its own
            // mapping, so there is no one document to send: the alert is
            // the one the mapping would give, made directly.
            vec![NormalizedAlert {
                source_kind: SourceKind::Generic,
                dedup_key: format!("firebreak-test-{fingerprint}"),
                title: summary(name),
                description: description(by),
                severity: Some(Severity::Medium),
                status: AlertStatus::Firing,
                labels,
                service: None,
                starts_at: Some(now),
                ends_at: None,
                links: Vec::new(),
                fingerprint: Some(fingerprint),
            }]
        }
        IntegrationKind::Email => return Ok(None),
    }))
}

/// The base of the public URL, without a trailing slash.
fn base(public_url: &str) -> &str {
    public_url.trim_end_matches('/')
}

/// A ready-to-paste configuration for the tool, with the key in it.
pub fn config_example(kind: IntegrationKind, public_url: &str, url: &str, key: &str) -> String {
    let base = base(public_url);
    match kind {
        IntegrationKind::Alertmanager => format!(
            "# alertmanager.yml: a receiver sending to Firebreak, and a route to it.\n\
             route:\n  receiver: firebreak\n\
             receivers:\n  - name: firebreak\n    webhook_configs:\n      \
             - url: {base}/api/v1/intake/alertmanager\n        send_resolved: true\n        \
             http_config:\n          authorization:\n            type: Bearer\n            \
             credentials: {key}\n\
             # Or, without http_config, the URL with the key in it:\n\
             #     - url: {url}\n"
        ),
        IntegrationKind::Grafana => format!(
            "# Grafana: Alerting > Contact points > New contact point, integration \"Webhook\",\n\
             # URL below, HTTP method POST. Or provision it from a file:\n\
             apiVersion: 1\ncontactPoints:\n  - orgId: 1\n    name: firebreak\n    receivers:\n      \
             - uid: firebreak\n        type: webhook\n        settings:\n          \
             url: {url}\n          httpMethod: POST\n"
        ),
        IntegrationKind::Pagerduty => format!(
            "# Any tool with a PagerDuty (Events API v2) integration: set its events URL\n\
             # (or PagerDuty host) to Firebreak and use the key as the routing key.\n\
             Events API URL: {url}\n\
             Routing key:    {key}\n\n\
             # By hand:\n\
             curl -X POST {url} -H 'Content-Type: application/json' -d '{{\"routing_key\": \"{key}\", \
             \"event_action\": \"trigger\", \"payload\": {{\"summary\": \"Disk full on db-1\", \
             \"source\": \"db-1\", \"severity\": \"warning\"}}}}'\n"
        ),
        IntegrationKind::Generic => format!(
            "# Any JSON document, read through this integration's mapping:\n\
             curl -X POST {base}/api/v1/intake/generic -H 'Authorization: Bearer {key}' \
             -H 'Content-Type: application/json' -d @alert.json\n\
             # Or with the key in the URL:\n\
             curl -X POST {url} -H 'Content-Type: application/json' -d @alert.json\n"
        ),
        IntegrationKind::Email => format!(
            "# A raw e-mail message (RFC 5322), as a mail server's pipe or webhook sends it:\n\
             curl -X POST {url} -H 'Content-Type: message/rfc822' --data-binary @message.eml\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn every_test_alert_is_a_firing_warning_titled_as_a_test() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        for (kind, _) in KINDS {
            let alerts = test_alerts(kind, "prom", "admin", now).unwrap();
            if !can_test(kind) {
                assert!(alerts.is_none());
                continue;
            }
            let alerts = alerts.unwrap();
            assert_eq!(alerts.len(), 1, "{kind:?}");
            let a = &alerts[0];
            assert!(a.title.starts_with(TEST_TITLE), "{kind:?}: {}", a.title);
            assert_eq!(a.severity, Some(Severity::Medium), "{kind:?}");
            assert_eq!(a.status, AlertStatus::Firing, "{kind:?}");
            // The same alert each time: a second test folds into the first.
            let again = test_alerts(kind, "prom", "admin", now).unwrap().unwrap();
            assert_eq!(again[0].dedup_key, a.dedup_key, "{kind:?}");
        }
    }

    #[test]
    fn examples_carry_the_url_and_key() {
        for (kind, _) in KINDS {
            let ex = config_example(
                kind,
                "https://fb.example/",
                "https://fb.example/u/KEY1",
                "KEY1",
            );
            assert!(ex.contains("KEY1"), "{kind:?}: {ex}");
            assert!(ex.contains("https://fb.example/"), "{kind:?}");
            assert!(!ex.contains("example//"), "{kind:?}");
        }
    }
}
