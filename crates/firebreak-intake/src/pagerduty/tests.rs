//! PagerDuty Events v2 parsing and validation, in PagerDuty's words.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;

use super::*;

const KEY: &str = "R0123456789abcdef0123456789ABCDE";

fn trigger() -> Value {
    json!({
        "payload": {
            "summary": "Example alert on host1.example.com",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
            "severity": "info",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "deploy",
            "custom_details": {"ping time": "1500ms", "load avg": 0.75}
        },
        "routing_key": KEY,
        "dedup_key": "samplekeyhere",
        "images": [{
            "src": "https://img.example/graph.png",
            "href": "https://example.com/",
            "alt": "Example text"
        }],
        "links": [{"href": "https://example.com/", "text": "Link text"}],
        "event_action": "trigger",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com"
    })
}

fn parse_value(v: &Value) -> Result<Event, Vec<String>> {
    parse_event(&serde_json::to_vec(v).unwrap())
}

#[test]
fn parses_the_documented_trigger() {
    let event = parse_value(&trigger()).unwrap();
    assert_eq!(event.event_action, EventAction::Trigger);
    assert_eq!(event.dedup_key.as_deref(), Some("samplekeyhere"));
    let p = event.payload.as_ref().unwrap();
    assert_eq!(p.severity, EventSeverity::Info);
    assert_eq!(
        p.timestamp,
        crate::time::parse_rfc3339("2015-07-17T08:42:58.315Z")
    );
    assert_eq!(p.component.as_deref(), Some("postgres"));
    assert_eq!(event.images.len(), 1);
    assert_eq!(event.links[0].text.as_deref(), Some("Link text"));
    assert_eq!(
        event.client_url.as_deref(),
        Some("https://monitoring.example.com")
    );
}

#[test]
fn normalizes_a_trigger() {
    let event = parse_value(&trigger()).unwrap();
    let alert = to_alert(&event, "unused");
    assert_eq!(alert.source_kind, SourceKind::Pagerduty);
    assert_eq!(alert.dedup_key, "samplekeyhere");
    assert_eq!(alert.title, "Example alert on host1.example.com");
    assert!(alert.description.contains("1500ms"));
    assert_eq!(alert.severity, Some(Severity::Low));
    assert_eq!(alert.status, AlertStatus::Firing);
    assert_eq!(alert.labels["component"], "postgres");
    assert_eq!(alert.labels["severity"], "info");
    assert_eq!(alert.links.len(), 3);
    assert_eq!(
        alert.links[2].text.as_deref(),
        Some("Sample Monitoring Service")
    );
}

#[test]
fn trigger_without_dedup_key_uses_the_generated_one() {
    let mut v = trigger();
    v.as_object_mut().unwrap().remove("dedup_key");
    let event = parse_value(&v).unwrap();
    assert_eq!(event.dedup_key, None);
    assert_eq!(to_alert(&event, "fresh-uuid").dedup_key, "fresh-uuid");
}

#[test]
fn severity_mapping() {
    let cases = [
        ("critical", Severity::Critical),
        ("error", Severity::High),
        ("warning", Severity::Medium),
        ("info", Severity::Low),
    ];
    for (word, expected) in cases {
        let mut v = trigger();
        v["payload"]["severity"] = json!(word);
        let event = parse_value(&v).unwrap();
        assert_eq!(to_alert(&event, "k").severity, Some(expected), "{word}");
    }
}

#[test]
fn acknowledge_and_resolve() {
    for (action, status) in [
        ("acknowledge", AlertStatus::Acknowledged),
        ("resolve", AlertStatus::Resolved),
    ] {
        let v = json!({"routing_key": KEY, "dedup_key": "dedupkeyhere", "event_action": action});
        let event = parse_value(&v).unwrap();
        assert_eq!(event.payload, None);
        let alert = to_alert(&event, "unused");
        assert_eq!(alert.status, status);
        assert_eq!(alert.dedup_key, "dedupkeyhere");
        assert_eq!(alert.severity, None);
    }
    // PagerDuty ignores the payload of a resolve, even a broken one.
    let v = json!({"routing_key": KEY, "dedup_key": "k", "event_action": "resolve",
                   "payload": {"severity": "nope"}});
    assert!(parse_value(&v).is_ok());
}

#[test]
fn custom_details_may_be_any_json() {
    for details in [
        json!("just text"),
        json!([1, 2]),
        json!(42),
        json!({"a": {"b": null}}),
    ] {
        let mut v = trigger();
        v["payload"]["custom_details"] = details.clone();
        let event = parse_value(&v).unwrap();
        assert_eq!(event.payload.unwrap().custom_details, Some(details));
    }
}

/// Each mutation of the documented trigger must produce exactly these
/// errors.
#[test]
fn invalid_events_are_reported_in_pagerdutys_words() {
    type Mutation = fn(&mut Value);
    let cases: &[(&str, Mutation, &[&str])] = &[
        (
            "missing summary",
            |v| {
                v["payload"].as_object_mut().unwrap().remove("summary");
            },
            &["'payload.summary' is missing or blank"],
        ),
        (
            "blank summary",
            |v| v["payload"]["summary"] = json!("   "),
            &["'payload.summary' is missing or blank"],
        ),
        (
            "summary too long",
            |v| v["payload"]["summary"] = json!("x".repeat(1025)),
            &["'payload.summary' is too long (maximum is 1024 characters)"],
        ),
        (
            "summary not a string",
            |v| v["payload"]["summary"] = json!(7),
            &["'payload.summary' is invalid (must be a string, not a number)"],
        ),
        (
            "missing source",
            |v| v["payload"]["source"] = Value::Null,
            &["'payload.source' is missing or blank"],
        ),
        (
            "upper-case severity",
            |v| v["payload"]["severity"] = json!("CRITICAL"),
            &[
                "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
            ],
        ),
        (
            "missing severity",
            |v| {
                v["payload"].as_object_mut().unwrap().remove("severity");
            },
            &["'payload.severity' is missing or blank"],
        ),
        (
            "bad timestamp",
            |v| v["payload"]["timestamp"] = json!("last tuesday"),
            &["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"],
        ),
        (
            "missing payload",
            |v| {
                v.as_object_mut().unwrap().remove("payload");
            },
            &[
                "'payload' is missing or blank",
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank",
            ],
        ),
        (
            "payload not an object",
            |v| v["payload"] = json!("text"),
            &[
                "'payload' is invalid (must be an object, not a string)",
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank",
            ],
        ),
        (
            "short routing key with a dash",
            |v| v["routing_key"] = json!("e+23rschqsESqk9Q6_-g"),
            &[
                "Length of 'routing_key' is incorrect (should be 32 characters)",
                "'routing_key' cannot contain non-alphanumeric characters.",
            ],
        ),
        (
            "missing routing key",
            |v| {
                v.as_object_mut().unwrap().remove("routing_key");
            },
            &["'routing_key' is missing or blank"],
        ),
        (
            "bad action",
            |v| v["event_action"] = json!("Trigger"),
            &[
                "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')",
            ],
        ),
        (
            "missing action",
            |v| {
                v.as_object_mut().unwrap().remove("event_action");
            },
            &["'event_action' is missing or blank"],
        ),
        (
            "dedup key too long",
            |v| v["dedup_key"] = json!("k".repeat(256)),
            &["'dedup_key' is too long (maximum is 255 characters)"],
        ),
        (
            "image without src",
            |v| v["images"] = json!([{"alt": "x"}]),
            &["'images[0].src' is missing or blank"],
        ),
        (
            "link without href",
            |v| v["links"] = json!([{"href": "https://a.example"}, {"text": "x"}]),
            &["'links[1].href' is missing or blank"],
        ),
        (
            "links not an array",
            |v| v["links"] = json!({"href": "x"}),
            &["'links' is invalid (must be an array, not an object)"],
        ),
        (
            "image not an object",
            |v| v["images"] = json!(["https://img.example/a.png"]),
            &["'images[0]' is invalid (must be an object, not a string)"],
        ),
        (
            "client not a string",
            |v| v["client"] = json!(true),
            &["'client' is invalid (must be a string, not a boolean)"],
        ),
    ];
    for (name, mutate, expected) in cases {
        let mut v = trigger();
        mutate(&mut v);
        let errors = parse_value(&v).expect_err(name);
        assert_eq!(errors, *expected, "{name}");
    }
}

#[test]
fn resolve_needs_a_dedup_key() {
    let v = json!({"routing_key": KEY, "event_action": "resolve"});
    assert_eq!(
        parse_value(&v).unwrap_err(),
        ["'dedup_key' is missing or blank"]
    );
    let v = json!({"routing_key": KEY, "event_action": "acknowledge", "dedup_key": ""});
    assert_eq!(
        parse_value(&v).unwrap_err(),
        ["'dedup_key' is missing or blank"]
    );
}

#[test]
fn not_json_or_not_an_object() {
    let err = parse_event(b"{\"routing_key\":").unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(
        err[0].starts_with("Event object is not valid JSON"),
        "{err:?}"
    );
    let err = parse_event(b"[]").unwrap_err();
    assert_eq!(
        err,
        ["Event object is invalid (must be a JSON object, not an array)"]
    );
}

#[test]
fn responses_serialize_like_pagerduty() {
    let body = serde_json::to_value(InvalidEventResponse::new(vec![
        "'payload.summary' is missing or blank".to_owned(),
    ]))
    .unwrap();
    assert_eq!(
        body,
        json!({"status": "invalid event", "message": "Event object is invalid",
               "errors": ["'payload.summary' is missing or blank"]})
    );
    let body = serde_json::to_value(AcceptedResponse::new("samplekeyhere")).unwrap();
    assert_eq!(
        body,
        json!({"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"})
    );
}

fn change() -> Value {
    json!({
        "routing_key": KEY,
        "payload": {
            "summary": "Build Success: Increase snapshot create timeout to 30 seconds",
            "timestamp": "2020-07-17T08:42:58.315+0000",
            "source": "acme-build-pipeline-tool-default-i-9999",
            "custom_details": {"build_state": "passed", "build_number": "2", "run_time": "1236s"}
        },
        "links": [{"href": "https://acme.pagerduty.dev/build/2", "text": "View more details in Acme!"}]
    })
}

#[test]
fn parses_the_documented_change_event() {
    let event = parse_change_event(&serde_json::to_vec(&change()).unwrap()).unwrap();
    assert_eq!(
        event.payload.summary,
        "Build Success: Increase snapshot create timeout to 30 seconds"
    );
    assert_eq!(
        event.payload.source.as_deref(),
        Some("acme-build-pipeline-tool-default-i-9999")
    );
    assert!(event.payload.timestamp.is_some());
    assert_eq!(event.links.len(), 1);
}

#[test]
fn invalid_change_events() {
    let mut v = change();
    v["payload"].as_object_mut().unwrap().remove("summary");
    v["routing_key"] = json!("short");
    let errors = parse_change_event(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert_eq!(
        errors,
        [
            "Length of 'routing_key' is incorrect (should be 32 characters)",
            "'payload.summary' is missing or blank",
        ]
    );
    let mut v = change();
    v.as_object_mut().unwrap().remove("payload");
    let errors = parse_change_event(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert_eq!(
        errors,
        [
            "'payload' is missing or blank",
            "'payload.summary' is missing or blank"
        ]
    );
    // Source is optional for change events.
    let mut v = change();
    v["payload"].as_object_mut().unwrap().remove("source");
    assert!(parse_change_event(&serde_json::to_vec(&v).unwrap()).is_ok());
}
