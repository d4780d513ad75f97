//! What Prometheus Alertmanager sends: the alerts and version-4 webhook
//! bodies intake tests post to an integration's URL.

use serde_json::{Value, json};

/// One Alertmanager alert of a webhook.
pub fn am_alert(labels: Value, status: &str) -> Value {
    json!({
        "status": status,
        "labels": labels,
        "annotations": {"summary": format!("{} is {status}", labels["alertname"].as_str().unwrap_or("alert")), "description": "p99 above 2s"},
        "startsAt": "2026-03-02T10:00:00Z",
        "endsAt": if status == "resolved" { "2026-03-02T10:05:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
    })
}

/// An Alertmanager webhook (version 4) around `alerts`: `resolved` when
/// every alert is, else `firing`.
pub fn am_webhook(alerts: Vec<Value>) -> Value {
    let status = if alerts.iter().all(|a| a["status"] == "resolved") {
        "resolved"
    } else {
        "firing"
    };
    json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"HighLatency\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "firebreak",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    })
}
