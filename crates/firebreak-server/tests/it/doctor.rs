//! Configuration that cannot page is refused when it is saved, with a
//! problem body naming the field; what the config file names that does not
//! exist is on `/readyz`; `GET /api/v1/doctor` follows every paging path.

use serde_json::{Value, json};

use crate::harness::{TestApp, spawn};
use crate::intake::{integration, service};

/// Puts `body` as the admin.
async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.put(&app.admin_token, path, body).await
}

fn schedule(participants: &[&str], overrides: Value) -> Value {
    json!({
        "name": "primary", "time_zone": "UTC",
        "layers": [{"name": "daily", "rotation": {"name": "daily", "participants": participants,
            "shift": {"days": 1}, "handoff": "2020-01-01T09:00:00", "time_zone": "UTC"}}],
        "overrides": overrides
    })
}

fn assert_refused(status: u16, body: &Value, field: &str, detail: &str) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], field, "{body}");
    assert!(
        body["detail"].as_str().unwrap_or("").contains(detail),
        "{detail}: {body}"
    );
}

#[tokio::test]
async fn configuration_that_cannot_page_is_refused_when_saved() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    app.user("alice", "responder").await;
    // An integration's service user exists, disabled: it can never be paged.
    integration(&app, json!({"name": "prom", "kind": "alertmanager"})).await;

    // Schedules: every participant and override is a user who can be paged.
    let (s, b) = put(
        &app,
        "/api/v1/schedules/primary",
        schedule(&["alice", "bob"], json!([])),
    )
    .await;
    assert_refused(
        s,
        &b,
        "layers[0].rotation.participants[1]",
        "user `bob` does not exist",
    );
    let (s, b) = put(
        &app,
        "/api/v1/schedules/primary",
        schedule(&["intake.prom"], json!([])),
    )
    .await;
    assert_refused(s, &b, "layers[0].rotation.participants[0]", "disabled");
    let (s, b) = put(
        &app,
        "/api/v1/schedules/primary",
        schedule(
            &["alice"],
            json!([{"user": "carol", "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}]),
        ),
    )
    .await;
    assert_refused(s, &b, "overrides[0].user", "user `carol` does not exist");
    let (s, b) = put(
        &app,
        "/api/v1/schedules/primary",
        schedule(&["alice"], json!([])),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // Policies: every target names a user or a schedule that exists.
    let policy =
        |targets: Value| json!({"levels": [{"targets": targets, "ack_timeout_secs": 300}]});
    let (s, b) = put(
        &app,
        "/api/v1/escalation-policies/lead",
        policy(json!([{"schedule": "primary"}, {"schedule": "secondary"}])),
    )
    .await;
    assert_refused(
        s,
        &b,
        "levels[0].targets[1]",
        "schedule `secondary` does not exist",
    );
    let (s, b) = put(
        &app,
        "/api/v1/escalation-policies/lead",
        policy(json!([{"user": "mallory"}])),
    )
    .await;
    assert_refused(
        s,
        &b,
        "levels[0].targets[0]",
        "user `mallory` does not exist",
    );
    let (s, b) = put(
        &app,
        "/api/v1/escalation-policies/lead",
        policy(json!([{"schedule": "primary"}, {"user": "alice"}])),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    // A refused save wrote nothing.
    let (_, list) = app.get(&t, "/api/v1/escalation-policies").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // Services name a policy that exists (as before).
    service(&app, "checkout").await;
    let (s, b) = put(
        &app,
        "/api/v1/services/checkout/escalation",
        json!({"escalation_policy": "nope", "runbook": ""}),
    )
    .await;
    assert_refused(s, &b, "escalation_policy", "nope");

    // Email contacts need [smtp]: without it nothing could be sent.
    let (s, b) = app
        .post(
            &t,
            "/api/v1/users/alice/contact-methods",
            json!({"label": "mail", "channel": {"kind": "email", "to": "alice@example.org"}}),
        )
        .await;
    assert_refused(s, &b, "channel", "[smtp]");
    let (_, contacts) = app.get(&t, "/api/v1/users/alice/contact-methods").await;
    assert_eq!(contacts, json!([]));
}

#[tokio::test]
async fn email_contacts_are_accepted_when_smtp_is_configured() {
    let app = crate::harness::spawn_configured(|c| c.email_configured = true).await;
    app.user("alice", "responder").await;
    app.post_expect(
        &app.admin_token,
        "/api/v1/users/alice/contact-methods",
        json!({"label": "mail", "channel": {"kind": "email", "to": "alice@example.org"}}),
        201,
    )
    .await;
}

#[tokio::test]
async fn doctor_and_readyz_name_what_would_page_nobody() {
    let app = crate::harness::spawn_configured(|c| {
        c.escalation.incident_lead_policy = Some("incident-lead".into());
        c.escalation.leadership = vec!["cto".into()];
        c.escalation.fallback = vec!["lead1".into()];
    })
    .await;
    let t = app.admin_token.clone();
    let ready: Value = app.get_anonymous("/readyz").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let warnings = ready["warnings"].to_string();
    assert!(
        warnings.contains("incident_lead_policy names `incident-lead`")
            && warnings.contains("leadership names `cto`: user `cto` does not exist")
            && warnings.contains("fallback names `lead1`: user `lead1` does not exist"),
        "{ready}"
    );

    let report = app.get_expect(&t, "/api/v1/doctor", 200).await;
    assert_eq!(report["ok"], false);
    let text = report.to_string();
    assert!(
        text.contains("escalation policy `incident-lead` does not exist")
            && text.contains("user `cto` does not exist"),
        "{report}"
    );

    // A lead with no contact method is on call: the path stops at them.
    let lead = app.user("lead1", "lead").await;
    app.user("cto", "leadership").await;
    let (s, b) = put(
        &app,
        "/api/v1/schedules/primary",
        json!({
            "name": "primary", "time_zone": "UTC",
            "layers": [{"name": "daily", "rotation": {"name": "daily", "participants": ["lead1"],
                "shift": {"days": 1}, "handoff": "2020-01-01T09:00:00", "time_zone": "UTC"}}]
        }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = put(
        &app,
        "/api/v1/escalation-policies/incident-lead",
        json!({"levels": [{"targets": [{"schedule": "primary"}], "ack_timeout_secs": 300}]}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (_, report) = app.get(&t, "/api/v1/doctor").await;
    assert_eq!(report["ok"], false);
    let lead_check = &report["checks"][0];
    assert_eq!(lead_check["subject"], "incident lead");
    assert!(
        lead_check["missing"]
            .to_string()
            .contains("`lead1` has no contact method")
            && lead_check["missing"]
                .to_string()
                .contains("level 1 of policy `incident-lead` pages nobody now"),
        "{report}"
    );

    for user in ["lead1", "cto"] {
        app.post_expect(&t,
                &format!("/api/v1/users/{user}/contact-methods"),
                json!({"label": "hook", "channel": {"kind": "webhook", "url": "https://hooks.example.org/x"}}), 201).await;
    }
    let (_, report) = app.get(&t, "/api/v1/doctor").await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checks"][0]["reaches"], json!(["lead1"]));
    let ready: Value = app.get_anonymous("/readyz").await.json().await.unwrap();
    assert_eq!(ready.get("warnings"), None, "{ready}");

    // Admins only.
    app.get_expect(&lead, "/api/v1/doctor", 403).await;
}
