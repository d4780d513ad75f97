//! Intake over real HTTP (and SMTP): webhooks deduplicated into the triage
//! queue, PagerDuty's Events API driven by PagerDuty's own Python client
//! library, routing rules that declare and page, silences and maintenance
//! windows that do not, confidential disclosures by e-mail, the triage
//! queue's additions, and bad input that changes nothing.

use firebreak_testkit::assert_contains;
use firebreak_testkit::json::strs_of;
use std::process::Command;

use chrono::{Duration, Utc};
use firebreak_testkit::{smtp_send, smtp_send_to};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::{TestApp, on_both_databases, spawn};

// ------------------------------------------------------------------ helpers

/// A server with service `checkout` and an integration `name` of `kind`
/// for it that declares nothing: the server, the key and the full URL.
pub async fn checkout_integration(name: &str, kind: &str) -> (TestApp, String, String) {
    let app = spawn().await;
    service(&app, "checkout").await;
    let (key, url, _) = integration(
        &app,
        json!({"name": name, "kind": kind, "service": "checkout", "auto_declare": false}),
    )
    .await;
    (app, key, url)
}

/// Creates an integration; its key and full URL.
pub async fn integration(app: &TestApp, body: Value) -> (String, String, Value) {
    let b = app
        .post_expect(&app.admin_token, "/api/v1/intake/integrations", body, 201)
        .await;
    (
        b["key"].as_str().unwrap().to_owned(),
        b["url"].as_str().unwrap().to_owned(),
        b["integration"].clone(),
    )
}

pub async fn service(app: &TestApp, name: &str) {
    app.post_expect(
        &app.admin_token,
        "/api/v1/services",
        json!({"name": name, "owner_team": "team", "description": ""}),
        201,
    )
    .await;
}

pub use firebreak_testkit::alertmanager::{am_alert, am_webhook};

/// POSTs `body` with no credentials but what the URL carries.
async fn post_json(app: &TestApp, url: &str, body: &Value) -> (u16, String, Value) {
    post_bytes(
        app,
        url,
        "application/json",
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

async fn post_bytes(
    app: &TestApp,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, String, Value) {
    app.post_bytes_to(url, None, content_type, body).await
}

async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    app.get_expect(token, path, 200).await
}

/// What every piece of intake state counts, to show that refused input
/// changed nothing.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let reports = get_ok(app, &app.admin_token, "/api/v1/intake/triage?limit=1000")
        .await
        .as_array()
        .unwrap()
        .len() as i64;
    let alerts = get_ok(app, &app.admin_token, "/api/v1/intake/alerts?limit=1000")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["count"].as_i64().unwrap())
        .sum::<i64>();
    let audit = app.store.audit_entries(1_000_000).await.unwrap().len() as i64;
    let changes = get_ok(app, &app.admin_token, "/api/v1/intake/changes")
        .await
        .as_array()
        .unwrap()
        .len() as i64;
    vec![reports, alerts, audit, changes]
}

// --------------------------------------------------------------- webhooks

async fn alertmanager_webhooks_deduplicate_and_resolve(app: &TestApp) {
    service(app, "payments").await;
    let (key, url, view) = integration(
        app,
        json!({"name": "prom-prod", "kind": "alertmanager", "service": "payments", "auto_declare": false}),
    )
    .await;
    assert_eq!(key.len(), 32);
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(url, format!("{}/api/v1/intake/alertmanager/{key}", app.url));
    assert_eq!(view["user"], "intake.prom-prod");
    assert_eq!(view["key_hint"], key[28..]);
    // The key is shown once: listing shows its hint only.
    let listed = get_ok(app, &app.admin_token, "/api/v1/intake/integrations").await;
    assert!(!listed.to_string().contains(&key));

    let labels = json!({"alertname": "HighLatency", "severity": "critical", "instance": "api-1"});
    let (s, _, b) = post_json(
        app,
        &url,
        &am_webhook(vec![am_alert(labels.clone(), "firing")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"][0]["outcome"], "opened");
    assert_eq!(b["alerts"][0]["count"], 1);
    assert_eq!(b["alerts"][0]["disposition"], "triage");
    let report_id = b["alerts"][0]["report_id"].as_i64().unwrap();

    // The same alert again, by bearer key this time: a repeat, not a report.
    let res = app
        .http
        .post(format!("{}/api/v1/intake/alertmanager", app.url))
        .bearer_auth(&key)
        .json(&am_webhook(vec![am_alert(labels.clone(), "firing")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["alerts"][0]["outcome"], "repeated");
    assert_eq!(b["alerts"][0]["count"], 2);
    assert_eq!(b["alerts"][0]["report_id"], report_id);

    let report = get_ok(
        app,
        &app.admin_token,
        &format!("/api/v1/reports/{report_id}"),
    )
    .await;
    assert_eq!(report["source"], "monitoring");
    assert_eq!(report["title"], "HighLatency is firing");
    assert_eq!(report["service"], "payments");
    assert_eq!(report["status"], "untriaged");
    let description = report["description"].as_str().unwrap();
    assert!(description.starts_with("p99 above 2s"), "{description}");
    assert_contains(description, "Severity: critical");
    assert_contains(description, "instance=api-1");

    // The triage queue, filtered, with the alert behind the report.
    let queue = get_ok(
        app,
        &app.admin_token,
        "/api/v1/intake/triage?source=monitoring&service=payments",
    )
    .await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["id"], report_id);
    assert_eq!(queue[0]["alert"]["count"], 2);
    assert_eq!(queue[0]["alert"]["status"], "firing");
    assert_eq!(queue[0]["alert"]["integration"], "prom-prod");
    let other = get_ok(
        app,
        &app.admin_token,
        "/api/v1/intake/triage?service=search",
    )
    .await;
    assert_eq!(other, json!([]));

    // Resolved at the source: resolved here.
    let (s, _, b) = post_json(
        app,
        &url,
        &am_webhook(vec![am_alert(labels.clone(), "resolved")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"][0]["outcome"], "resolved");
    let alerts = get_ok(app, &app.admin_token, "/api/v1/intake/alerts").await;
    assert_eq!(alerts[0]["status"], "resolved");
    assert_eq!(alerts[0]["count"], 2);
    assert!(alerts[0]["resolved_at"].is_string());
    assert_eq!(alerts[0]["labels"]["instance"], "api-1");

    // Firing again after the resolve: a new alert and a new report.
    let (s, _, b) = post_json(app, &url, &am_webhook(vec![am_alert(labels, "firing")])).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"][0]["outcome"], "opened");
    assert_ne!(b["alerts"][0]["report_id"], report_id);
    let open = get_ok(app, &app.admin_token, "/api/v1/intake/alerts?status=open").await;
    assert_eq!(open.as_array().unwrap().len(), 1);

    // A group of several alerts, one of them new.
    let (s, _, b) = post_json(
        app,
        &url,
        &am_webhook(vec![
            am_alert(
                json!({"alertname": "HighLatency", "severity": "critical", "instance": "api-1"}),
                "firing",
            ),
            am_alert(
                json!({"alertname": "DiskFull", "severity": "warning", "instance": "db-1"}),
                "firing",
            ),
        ]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let outcomes: Vec<&str> = strs_of(&b["alerts"], "outcome");
    assert_eq!(outcomes, ["repeated", "opened"]);
    assert!(app.store.verify_audit().await.unwrap().ok);
}

on_both_databases!(
    alertmanager_webhooks_deduplicate_and_resolve_on_sqlite,
    alertmanager_webhooks_deduplicate_and_resolve_on_postgres,
    |app| alertmanager_webhooks_deduplicate_and_resolve(&app).await
);

#[tokio::test]
async fn concurrent_deliveries_are_batched_and_each_answered_after_commit() {
    let app = spawn().await;
    let (_, url, _) = integration(&app, json!({"name": "am", "kind": "alertmanager"})).await;
    // 40 requests at once, each with 25 alerts: 20 shared by all, 5 of its own.
    let mut tasks = Vec::new();
    for r in 0..40 {
        let http = app.http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let alerts = (0..25)
                .map(|n| {
                    let instance = if n < 20 {
                        format!("shared-{n}")
                    } else {
                        format!("own-{r}-{n}")
                    };
                    am_alert(json!({"alertname": "Load", "instance": instance}), "firing")
                })
                .collect();
            let res = http
                .post(&url)
                .json(&am_webhook(alerts))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }));
    }
    let mut opened = 0;
    let mut repeated = 0;
    for t in tasks {
        let b = t.await.unwrap();
        for a in b["alerts"].as_array().unwrap() {
            match a["outcome"].as_str().unwrap() {
                "opened" => opened += 1,
                "repeated" => repeated += 1,
                other => panic!("{other}"),
            }
            // Answered after the commit: the report is there.
            assert!(a["report_id"].as_i64().unwrap() > 0);
        }
    }
    assert_eq!(opened, 20 + 40 * 5);
    assert_eq!(repeated, 40 * 25 - opened);
    let alerts = get_ok(&app, &app.admin_token, "/api/v1/intake/alerts?limit=1000").await;
    assert_eq!(alerts.as_array().unwrap().len(), 220);
    let total: i64 = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 1000);
    // Fewer audit entries than requests: requests shared transactions.
    let batches = app
        .store
        .audit_entries(10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "intake.alerts")
        .map(|e| e.details["deliveries"].as_i64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(batches.iter().sum::<i64>(), 40);
    assert!(app.store.verify_audit().await.unwrap().ok);
}

#[tokio::test]
async fn grafana_webhooks_are_checked_against_their_hmac_signature() {
    let app = spawn().await;
    let (key, url, view) = integration(
        &app,
        json!({"name": "grafana", "kind": "grafana", "hmac_secret": "s3cret", "hmac_timestamp_header": "X-Grafana-Alert-Timestamp"}),
    )
    .await;
    assert_eq!(url, format!("{}/api/v1/intake/grafana/{key}", app.url));
    assert_eq!(view["signed"], true);
    let body = serde_json::to_vec(&json!({
        "receiver": "firebreak", "status": "firing", "orgId": 1,
        "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "severity": "warning"},
            "annotations": {"summary": "Disk /var is 95% full"}, "startsAt": "2026-03-02T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "57c6d9296de2ad39",
            "dashboardURL": "https://grafana.example/d/1", "values": {"A": 95.2}}],
        "title": "[FIRING:1] DiskFull", "state": "alerting", "message": "Disk full", "version": "1"
    }))
    .unwrap();
    let ts = Utc::now().timestamp().to_string();
    let sign = |secret: &[u8], ts: &str, body: &[u8]| {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap();
        mac.update(ts.as_bytes());
        mac.update(b":");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    };
    let send = |sig: Option<String>, ts: Option<String>| {
        let mut req = app
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(sig) = sig {
            req = req.header("X-Grafana-Alert-Signature", sig);
        }
        if let Some(ts) = ts {
            req = req.header("X-Grafana-Alert-Timestamp", ts);
        }
        req.send()
    };
    let before = footprint(&app).await;
    let stale = (Utc::now() - Duration::hours(1)).timestamp().to_string();
    for (sig, t) in [
        (None, Some(ts.clone())),
        (Some(sign(b"wrong", &ts, &body)), Some(ts.clone())),
        (Some(sign(b"s3cret", &ts, &body)), None),
        (Some(sign(b"s3cret", &stale, &body)), Some(stale.clone())),
    ] {
        let res = send(sig, t).await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(footprint(&app).await, before);
    let res = send(Some(sign(b"s3cret", &ts, &body)), Some(ts.clone()))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["alerts"][0]["outcome"], "opened");
    assert_eq!(b["alerts"][0]["dedup_key"], "57c6d9296de2ad39");
    let report = get_ok(
        &app,
        &app.admin_token,
        &format!("/api/v1/reports/{}", b["alerts"][0]["report_id"]),
    )
    .await;
    assert_eq!(report["title"], "Disk /var is 95% full");
    assert!(
        report["description"]
            .as_str()
            .unwrap()
            .contains("https://grafana.example/d/1")
    );
}

#[tokio::test]
async fn generic_webhooks_follow_their_mapping_and_mappings_can_be_tried() {
    let app = spawn().await;
    service(&app, "shop").await;
    let mapping = json!({
        "title": "/alert/name", "severity": "/alert/priority",
        "severity_map": {"P1": "critical", "P2": "high"}, "dedup_key": "/alert/id",
        "service": "/service", "status": "/alert/state", "resolved_values": ["closed"]
    });
    // Trying a mapping against a sample payload stores nothing.
    let sample = json!({"alert": {"name": "Checkout 5xx", "priority": "P1", "id": "A-17", "state": "open"}, "service": "shop"});
    let (s, b) = app
        .post(
            &app.admin_token,
            "/api/v1/intake/test",
            json!({"kind": "generic", "mapping": mapping, "payload": sample}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"][0]["alert"]["title"], "Checkout 5xx");
    assert_eq!(b["alerts"][0]["alert"]["severity"], "critical");
    assert_eq!(b["alerts"][0]["service"], "shop");
    // Critical, its service known, no rule: a new integration's default
    // (auto_declare) declares it.
    assert_eq!(b["alerts"][0]["disposition"], "declare");
    let fields: Vec<&str> = strs_of(&b["explanation"]["fields"], "field");
    assert!(fields.contains(&"dedup_key"), "{fields:?}");
    let b = app
        .post_expect(
            &app.admin_token,
            "/api/v1/intake/test",
            json!({"kind": "generic", "mapping": mapping, "payload": {"nothing": 1}}),
            200,
        )
        .await;
    assert_eq!(b["alerts"], json!([]));
    assert!(
        b["explanation"]["error"]
            .as_str()
            .unwrap()
            .contains("title")
    );

    // A generic integration needs a valid mapping.
    let p = app
        .post_expect(
            &app.admin_token,
            "/api/v1/intake/integrations",
            json!({"name": "g", "kind": "generic"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "mapping");
    let p = app
        .post_expect(
            &app.admin_token,
            "/api/v1/intake/integrations",
            json!({"name": "g", "kind": "generic", "mapping": {"title": "no-slash"}}),
            422,
        )
        .await;
    assert_eq!(p["field"], "mapping.title");

    let (_, url, _) = integration(
        &app,
        json!({"name": "shop-hooks", "kind": "generic", "mapping": mapping}),
    )
    .await;
    let (s, _, b) = post_json(&app, &url, &sample).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"][0]["outcome"], "opened");
    assert_eq!(b["alerts"][0]["dedup_key"], "A-17");
    let mut closed = sample.clone();
    closed["alert"]["state"] = json!("closed");
    let (s, _, b) = post_json(&app, &url, &closed).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"][0]["outcome"], "resolved");
    let report = get_ok(
        &app,
        &app.admin_token,
        &format!("/api/v1/reports/{}", b["alerts"][0]["report_id"]),
    )
    .await;
    assert_eq!(report["service"], "shop");

    // A payload the mapping cannot read: 422 naming the mapping field.
    let before = footprint(&app).await;
    let (s, ct, p) = post_json(&app, &url, &json!({"alert": {"id": "A-18"}})).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(ct, "application/problem+json");
    assert_eq!(p["field"], "title");
    assert_eq!(footprint(&app).await, before);
}

// ------------------------------------------------------------- bad input

#[tokio::test]
async fn bad_input_gets_the_right_4xx_and_changes_nothing() {
    let app = spawn().await;
    let (key, url, view) = integration(&app, json!({"name": "am", "kind": "alertmanager"})).await;
    let (pd_key, _, _) = integration(&app, json!({"name": "pd", "kind": "pagerduty"})).await;
    let (mail_key, mail_url, _) = integration(&app, json!({"name": "mail", "kind": "email"})).await;
    let (off_key, _, off) = integration(&app, json!({"name": "off", "kind": "alertmanager"})).await;
    app.post_expect(
        &app.admin_token,
        &format!("/api/v1/intake/integrations/{}/disable", off["id"]),
        json!({}),
        200,
    )
    .await;
    // Something stored, so that "nothing changes" means something.
    let good = am_webhook(vec![am_alert(json!({"alertname": "Up"}), "firing")]);
    let (s, _, _) = post_json(&app, &url, &good).await;
    assert_eq!(s, 200);
    let before = footprint(&app).await;
    let base = format!("{}/api/v1/intake/alertmanager", app.url);
    let good_bytes = serde_json::to_vec(&good).unwrap();

    // (url, body, status, field)
    let mut cases: Vec<(String, Vec<u8>, u16, Option<&str>)> = vec![
        (
            format!("{base}/{}", "x".repeat(32)),
            good_bytes.clone(),
            401,
            None,
        ),
        (format!("{base}/{pd_key}"), good_bytes.clone(), 401, None),
        (format!("{base}/{mail_key}"), good_bytes.clone(), 401, None),
        (format!("{base}/{off_key}"), good_bytes.clone(), 401, None),
        (url.clone(), b"{not json".to_vec(), 400, None),
        (
            url.clone(),
            good_bytes[..good_bytes.len() / 2].to_vec(),
            400,
            None,
        ),
        (url.clone(), Vec::new(), 400, None),
        (url.clone(), b"[]".to_vec(), 400, None),
    ];
    let mut wrong_version = good.clone();
    wrong_version["version"] = json!("3");
    cases.push((
        url.clone(),
        serde_json::to_vec(&wrong_version).unwrap(),
        400,
        Some("version"),
    ));
    let mut no_labels = good.clone();
    no_labels["alerts"][0]["labels"] = json!({});
    cases.push((
        url.clone(),
        serde_json::to_vec(&no_labels).unwrap(),
        400,
        Some("alerts[0].labels"),
    ));
    let mut bad_time = good.clone();
    bad_time["alerts"][0]["startsAt"] = json!("yesterday");
    cases.push((
        url.clone(),
        serde_json::to_vec(&bad_time).unwrap(),
        400,
        Some("alerts[0].startsAt"),
    ));
    // Over the 4 MiB webhook limit.
    let mut huge = good.clone();
    huge["alerts"][0]["annotations"]["description"] = json!("x".repeat(5 * 1024 * 1024));
    cases.push((url.clone(), serde_json::to_vec(&huge).unwrap(), 413, None));
    // E-mail: no headers at all; over the 10 MiB limit.
    cases.push((mail_url.clone(), b"\r\n\r\njust a body".to_vec(), 400, None));
    cases.push((mail_url.clone(), vec![b'a'; 11 * 1024 * 1024], 413, None));

    for (url, body, status, field) in cases {
        let (s, ct, p) = post_bytes(&app, &url, "application/json", body).await;
        assert_eq!(s, status, "{url}: {p}");
        assert_eq!(ct, "application/problem+json", "{url}");
        assert_eq!(p["status"], status);
        if let Some(field) = field {
            assert_eq!(p["field"], field, "{p}");
        }
    }
    // A missing key.
    let (s, _, _) = post_json(&app, &base, &good).await;
    assert_eq!(s, 401);

    // PagerDuty answers in PagerDuty's shapes.
    let pd_url = format!("{}/v2/enqueue", app.url);
    let pd_cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"routing_key": pd_key, "event_action": "trigger"}),
            400,
            "'payload.summary' is missing or blank",
        ),
        (
            json!({"routing_key": pd_key, "event_action": "explode", "dedup_key": "k"}),
            400,
            "'event_action' is invalid",
        ),
        (
            json!({"routing_key": pd_key, "event_action": "resolve"}),
            400,
            "'dedup_key' is missing or blank",
        ),
        (
            json!({"routing_key": "short", "event_action": "resolve", "dedup_key": "k"}),
            400,
            "routing_key",
        ),
        (
            json!({"routing_key": key, "event_action": "trigger", "payload": {"summary": "s", "source": "x", "severity": "info"}}),
            400,
            "does not match an enabled integration",
        ),
        (
            json!({"routing_key": pd_key, "event_action": "trigger", "payload": {"summary": "x".repeat(600 * 1024), "source": "x", "severity": "info"}}),
            413,
            "512 KB",
        ),
    ];
    for (event, status, error) in pd_cases {
        let (s, _, b) = post_json(&app, &pd_url, &event).await;
        assert_eq!(s, status, "{b}");
        assert_eq!(b["status"], "invalid event", "{b}");
        assert_eq!(b["message"], "Event object is invalid");
        let errors = b["errors"].to_string();
        assert!(errors.contains(error), "{errors} should mention {error}");
    }
    let (s, _, b) = post_bytes(
        &app,
        &pd_url,
        "application/json",
        b"{\"routing_key\": ".to_vec(),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["status"], "invalid event");
    let (s, _, b) = post_json(
        &app,
        &format!("{}/v2/change/enqueue", app.url),
        &json!({"routing_key": pd_key, "payload": {}}),
    )
    .await;
    assert_eq!(s, 400, "{b}");

    assert_eq!(footprint(&app).await, before);
    // And the integration that refused nothing still works.
    assert_eq!(view["kind"], "alertmanager");
    let (s, _, _) = post_json(&app, &url, &good).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn only_admins_manage_integrations_and_viewers_only_read() {
    let app = spawn().await;
    let viewer = app.user("viewer1", "viewer").await;
    let responder = app.user("responder1", "responder").await;
    app.post_expect(
        &viewer,
        "/api/v1/intake/integrations",
        json!({"name": "x", "kind": "alertmanager"}),
        403,
    )
    .await;
    app.post_expect(
        &responder,
        "/api/v1/intake/integrations",
        json!({"name": "x", "kind": "alertmanager"}),
        403,
    )
    .await;
    app.get_expect(&responder, "/api/v1/intake/integrations", 403)
        .await;
    app.post_expect(
        &responder,
        "/api/v1/intake/rules",
        json!({"name": "r", "matchers": []}),
        403,
    )
    .await;
    let until = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let b = app
        .post_expect(
            &responder,
            "/api/v1/intake/silences",
            json!({"matchers": ["alertname=\"X\""], "ends_at": until, "reason": "known"}),
            201,
        )
        .await;
    assert_eq!(b["created_by"], "responder1");
    assert_eq!(b["active"], true);
    let (s, _) = app
        .post(
            &viewer,
            "/api/v1/intake/silences",
            json!({"matchers": ["alertname=\"X\""], "ends_at": until, "reason": "known"}),
        )
        .await;
    assert_eq!(s, 403);
    for path in [
        "/api/v1/intake/alerts",
        "/api/v1/intake/triage",
        "/api/v1/intake/triage/backlog",
        "/api/v1/intake/noise",
        "/api/v1/intake/silences",
        "/api/v1/intake/rules",
        "/api/v1/intake/maintenance",
        "/api/v1/intake/changes",
    ] {
        app.get_expect(&viewer, path, 200).await;
    }
    app.get_expect("not-a-token", "/api/v1/intake/alerts", 401)
        .await;
    // Bad query parameters name themselves.
    let p = app
        .get_expect(&viewer, "/api/v1/intake/triage?colour=red", 400)
        .await;
    assert_eq!(p["field"], "colour");
    let p = app
        .get_expect(&viewer, "/api/v1/intake/noise?days=0", 400)
        .await;
    assert_eq!(p["field"], "days");
}

// -------------------------------------------------------------- PagerDuty

/// PagerDuty's own Python client library (`pip install pagerduty`), pointed
/// at Firebreak by base URL, triggers, repeats, acknowledges and resolves an
/// alert and sends a change event. The library accepts only https base URLs,
/// so Firebreak is reached through a TLS front as it would be in production
/// (see [`tls_front`]).
const PAGERDUTY_SCRIPT: &str = r#"
import sys, pagerduty
base, key, ca = sys.argv[1], sys.argv[2], sys.argv[3]
# The library insists on https; `verify` is httpx's own option, to trust
# the test's self-signed certificate.
client = pagerduty.EventsApiV2Client(key, base_url=base, verify=ca)
dedup = client.trigger("Checkout latency above 2s", "prom-eu-1", severity="critical",
    custom_details={"p99_seconds": 2.4}, links=[{"href": "https://grafana.example/d/1", "text": "Dashboard"}])
print("trigger", dedup)
again = client.trigger("Checkout latency above 2s", "prom-eu-1", dedup_key=dedup, severity="critical")
print("repeat", again)
print("acknowledge", client.acknowledge(dedup))
print("resolve", client.resolve(dedup))
client.send_change_event(payload={"summary": "Deployed checkout v42", "source": "ci",
    "timestamp": "2026-03-02T10:00:00Z", "custom_details": {"sha": "abc123"}},
    links=[{"href": "https://ci.example/42", "text": "Build 42"}])
print("change ok")
try:
    client.send_event("trigger", payload={"summary": "no source or severity"})
    print("invalid accepted")
except pagerduty.HttpError as e:
    print("invalid", e.response.status_code)
"#;

/// Whether Python and the `pagerduty` package are there: in CI their
/// absence fails the test; elsewhere it is skipped with the reason.
fn python_with_pagerduty() -> Option<String> {
    let python = std::env::var("FIREBREAK_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = Command::new(&python)
        .args(["-c", "import pagerduty"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(python);
    }
    let why = format!(
        "`{python} -c 'import pagerduty'` failed: install it with `pip install pagerduty` \
         (PagerDuty's Python client library), or set FIREBREAK_TEST_PYTHON to a Python that has it"
    );
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    eprintln!("SKIPPED: the PagerDuty client library test, because {why}");
    None
}

/// A TLS-terminating proxy in front of the app on 127.0.0.1, as a reverse
/// proxy would be in production, with a self-signed certificate made by
/// `openssl`: its https URL and the certificate's path. Without `openssl`
/// it fails in CI and is skipped elsewhere.
async fn tls_front(app: &TestApp, dir: &std::path::Path) -> Option<(String, String)> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !made {
        let why =
            "`openssl req -x509 …` failed: install Debian's `openssl` to make the test certificate";
        if std::env::var_os("CI").is_some() {
            panic!("{why}");
        }
        eprintln!("SKIPPED: the PagerDuty client library test, because {why}");
        return None;
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let private = PrivateKeyDer::from_pem_file(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, private)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = format!("https://{}", listener.local_addr().unwrap());
    let backend = app.url.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let backend = backend.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    Some((front, cert.display().to_string()))
}

#[tokio::test]
async fn pagerduty_client_library_triggers_acknowledges_and_resolves() {
    let Some(python) = python_with_pagerduty() else {
        return;
    };
    let (app, key, url) = checkout_integration("pd", "pagerduty").await;
    assert_eq!(url, format!("{}/v2/enqueue", app.url));
    let dir = tempfile::tempdir().unwrap();
    let Some((base, ca)) = tls_front(&app, dir.path()).await else {
        return;
    };
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-c", PAGERDUTY_SCRIPT, &base, &key, &ca])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let dedup = lines[0].strip_prefix("trigger ").unwrap().to_owned();
    assert_eq!(dedup.len(), 32, "a generated dedup key: {dedup}");
    assert_eq!(lines[1], format!("repeat {dedup}"));
    assert_eq!(lines[2], format!("acknowledge {dedup}"));
    assert_eq!(lines[3], format!("resolve {dedup}"));
    assert_eq!(lines[4], "change ok");
    assert_eq!(lines[5], "invalid 400");

    let alerts = get_ok(&app, &app.admin_token, "/api/v1/intake/alerts").await;
    let alerts = alerts.as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a["dedup_key"], dedup.as_str());
    assert_eq!(a["status"], "resolved");
    assert_eq!(a["count"], 2);
    assert!(a["acknowledged_at"].is_string());
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["labels"]["source"], "prom-eu-1");
    let report = get_ok(
        &app,
        &app.admin_token,
        &format!("/api/v1/reports/{}", a["report_id"]),
    )
    .await;
    assert_eq!(report["title"], "Checkout latency above 2s");
    assert_eq!(report["service"], "checkout");
    assert!(
        report["description"]
            .as_str()
            .unwrap()
            .contains("p99_seconds")
    );
    let changes = get_ok(
        &app,
        &app.admin_token,
        "/api/v1/intake/changes?service=checkout",
    )
    .await;
    assert_eq!(changes[0]["summary"], "Deployed checkout v42");
    assert_eq!(changes[0]["source"], "ci");
    assert_eq!(changes[0]["details"]["custom_details"]["sha"], "abc123");
}

#[tokio::test]
async fn pagerduty_events_follow_pagerdutys_semantics() {
    let app = spawn().await;
    let (key, url, _) = integration(&app, json!({"name": "pd", "kind": "pagerduty"})).await;
    let trigger = |dedup: Option<&str>| {
        let mut e = json!({"routing_key": key, "event_action": "trigger",
            "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "error", "component": "postgres"}});
        if let Some(d) = dedup {
            e["dedup_key"] = json!(d);
        }
        e
    };
    // Without a dedup key every trigger is its own alert.
    let (s, _, a) = post_json(&app, &url, &trigger(None)).await;
    assert_eq!(s, 202, "{a}");
    assert_eq!(a["status"], "success");
    assert_eq!(a["message"], "Event processed");
    let (_, _, b) = post_json(&app, &url, &trigger(None)).await;
    assert_ne!(a["dedup_key"], b["dedup_key"]);
    // With one, triggers fold in; acknowledge and resolve apply to it.
    for _ in 0..3 {
        let (s, _, r) = post_json(&app, &url, &trigger(Some("db-1/disk"))).await;
        assert_eq!(s, 202);
        assert_eq!(r["dedup_key"], "db-1/disk");
    }
    let (s, _, _) = post_json(
        &app,
        &url,
        &json!({"routing_key": key, "event_action": "acknowledge", "dedup_key": "db-1/disk"}),
    )
    .await;
    assert_eq!(s, 202);
    let (s, _, _) = post_json(
        &app,
        &url,
        &json!({"routing_key": key, "event_action": "resolve", "dedup_key": "db-1/disk"}),
    )
    .await;
    assert_eq!(s, 202);
    // A resolve of nothing open is accepted and ignored, as PagerDuty does.
    let (s, _, _) = post_json(
        &app,
        &url,
        &json!({"routing_key": key, "event_action": "resolve", "dedup_key": "never-seen"}),
    )
    .await;
    assert_eq!(s, 202);
    let (s, _, _) = post_json(&app, &url, &trigger(Some("db-1/disk"))).await;
    assert_eq!(s, 202);

    let alerts = get_ok(&app, &app.admin_token, "/api/v1/intake/alerts").await;
    let rows: Vec<(String, String, i64)> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["dedup_key"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
                a["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows[..2],
        [
            ("db-1/disk".to_owned(), "firing".to_owned(), 1),
            ("db-1/disk".to_owned(), "resolved".to_owned(), 3),
        ]
    );
    assert_eq!(rows.len(), 4);
    let acked = &alerts[1];
    assert!(acked["acknowledged_at"].is_string());
    assert_eq!(acked["severity"], "high");
    assert_eq!(acked["labels"]["component"], "postgres");
}

// ------------------------------------------------- rules, silences, windows

#[tokio::test]
async fn rules_declare_and_page_while_silences_and_maintenance_only_log() {
    let app = crate::harness::spawn_paging_leads().await;
    let t = app.admin_token.clone();
    app.user("lead1", "lead").await;
    app.post_expect(
        &t,
        "/api/v1/users/lead1/contact-methods",
        json!({"label": "hook", "channel": {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}}),
        201,
    )
    .await;
    app.put_expect(
        &t,
        "/api/v1/escalation-policies/incident-lead",
        json!({"levels": [{"targets": [{"user": "lead1"}], "ack_timeout_secs": 300}], "repeat": 0}),
        200,
    )
    .await;
    service(&app, "payments").await;
    service(&app, "search").await;
    let (_, url, _) = integration(&app, json!({"name": "prom", "kind": "alertmanager"})).await;

    // A rule: critical alerts on production are payments incidents, now.
    let rule = app.post_expect(&t, "/api/v1/intake/rules", json!({
            "name": "prod-critical", "matchers": ["severity=\"critical\"", "env=~\"prod|production\""],
            "set_service": "payments", "set_severity": "critical", "declare": true
        }), 201).await;
    assert_eq!(
        rule["matchers"],
        json!(["severity=\"critical\"", "env=~\"prod|production\""])
    );
    let p = app
        .post_expect(
            &t,
            "/api/v1/intake/rules",
            json!({"name": "bad", "matchers": ["severity=~\"(\""]}),
            400,
        )
        .await;
    assert_eq!(p["field"], "matchers[0]");
    let p = app
        .post_expect(
            &t,
            "/api/v1/intake/rules",
            json!({"name": "bad", "set_service": "nope"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "set_service");

    // Tried against a sample first.
    let critical = |name: &str| {
        am_webhook(vec![am_alert(
            json!({"alertname": name, "severity": "critical", "env": "prod"}),
            "firing",
        )])
    };
    let b = app
        .post_expect(
            &t,
            "/api/v1/intake/test",
            json!({"kind": "alertmanager", "payload": critical("CheckoutDown")}),
            200,
        )
        .await;
    assert_eq!(b["alerts"][0]["rule"], "prod-critical");
    assert_eq!(b["alerts"][0]["disposition"], "declare");
    assert_eq!(b["alerts"][0]["service"], "payments");
    let (s, p) = app
        .post(
            &t,
            "/api/v1/intake/test",
            json!({"kind": "alertmanager", "payload": {"version": "4"}}),
        )
        .await;
    assert_eq!(s, 400, "{p}");
    assert_eq!(p["field"], "payload.groupKey");
    assert_eq!(footprint(&app).await[0], 0);

    // Sent for real: declared at once, by the integration's user, and the
    // incident lead is paged.
    let (s, _, b) = post_json(&app, &url, &critical("CheckoutDown")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"][0]["disposition"], "declare");
    let incident = b["alerts"][0]["incident"].as_str().unwrap().to_owned();
    let inc = get_ok(&app, &t, &format!("/api/v1/incidents/{incident}")).await;
    assert_eq!(inc["severity"], "critical");
    assert_eq!(inc["service"], "payments");
    assert_eq!(inc["kind"], "availability");
    assert_eq!(inc["declared_by"]["name"], "intake.prom");
    let report = get_ok(
        &app,
        &t,
        &format!("/api/v1/reports/{}", b["alerts"][0]["report_id"]),
    )
    .await;
    assert_eq!(report["status"], "declared");
    assert_eq!(report["incident_ref"], incident.as_str());
    let escalations = get_ok(
        &app,
        &t,
        &format!("/api/v1/incidents/{incident}/escalations"),
    )
    .await;
    let pages = escalations.to_string();
    assert_contains(&pages, "lead1");
    // A repeat does not declare again.
    let (_, _, b) = post_json(&app, &url, &critical("CheckoutDown")).await;
    assert_eq!(b["alerts"][0]["outcome"], "repeated");
    assert_eq!(b["alerts"][0]["incident"], Value::Null);
    // Its resolution is noted on the incident.
    let resolved = am_webhook(vec![am_alert(
        json!({"alertname": "CheckoutDown", "severity": "critical", "env": "prod"}),
        "resolved",
    )]);
    let (_, _, b) = post_json(&app, &url, &resolved).await;
    assert_eq!(b["alerts"][0]["outcome"], "resolved");
    let timeline = get_ok(&app, &t, &format!("/api/v1/incidents/{incident}/timeline")).await;
    assert!(
        timeline.to_string().contains("resolved at its source"),
        "{timeline}"
    );

    // A silence: logged and visible, not declared.
    let until = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let silence = app.post_expect(&t, "/api/v1/intake/silences", json!({"matchers": ["alertname=\"Flapping\""], "ends_at": until, "reason": "known flapping, JIRA-12"}), 201).await;
    let p = app
        .post_expect(
            &t,
            "/api/v1/intake/silences",
            json!({"matchers": ["alertname=~\".*\""], "ends_at": until, "reason": "everything"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "matchers");
    let (_, _, b) = post_json(&app, &url, &critical("Flapping")).await;
    assert_eq!(b["alerts"][0]["disposition"], "silenced");
    assert_eq!(b["alerts"][0]["incident"], Value::Null);
    let report = get_ok(
        &app,
        &t,
        &format!("/api/v1/reports/{}", b["alerts"][0]["report_id"]),
    )
    .await;
    assert_eq!(report["status"], "untriaged");
    assert!(
        report["description"]
            .as_str()
            .unwrap()
            .contains("known flapping, JIRA-12")
    );

    // A maintenance window on the service: the same.
    let w = app
        .post_expect(
            &t,
            "/api/v1/intake/maintenance",
            json!({"service": "payments", "ends_at": until, "reason": "database upgrade"}),
            201,
        )
        .await;
    assert_eq!(w["active"], true);
    let (_, _, b) = post_json(&app, &url, &critical("Other")).await;
    assert_eq!(b["alerts"][0]["disposition"], "maintenance");
    assert_eq!(b["alerts"][0]["incident"], Value::Null);
    let alerts = get_ok(&app, &t, "/api/v1/intake/alerts?status=open").await;
    assert!(alerts.to_string().contains("maintenance"), "{alerts}");

    // Both ended: the next such alert declares again.
    app.post_expect(
        &t,
        &format!("/api/v1/intake/silences/{}/expire", silence["id"]),
        json!({}),
        200,
    )
    .await;
    app.post_expect(
        &t,
        &format!("/api/v1/intake/maintenance/{}/end", w["id"]),
        json!({}),
        200,
    )
    .await;
    let again = am_webhook(vec![am_alert(
        json!({"alertname": "Flapping", "severity": "critical", "env": "production"}),
        "firing",
    )]);
    let (_, _, b) = post_json(&app, &url, &again).await;
    assert_eq!(b["alerts"][0]["disposition"], "declare");
    assert!(b["alerts"][0]["incident"].is_string());
    let incidents = get_ok(&app, &t, "/api/v1/incidents").await;
    assert_eq!(incidents.as_array().unwrap().len(), 2);

    // The alerts opened under the silence and the window still fire: their
    // next repeats declare them (once), as Alertmanager notifies alerts
    // still firing when a silence ends.
    for name in ["Flapping", "Other"] {
        let (_, _, b) = post_json(&app, &url, &critical(name)).await;
        assert_eq!(b["alerts"][0]["outcome"], "repeated", "{name}: {b}");
        assert_eq!(b["alerts"][0]["disposition"], "declare", "{name}: {b}");
        assert!(b["alerts"][0]["incident"].is_string(), "{name}: {b}");
        let (_, _, b) = post_json(&app, &url, &critical(name)).await;
        assert_eq!(b["alerts"][0]["outcome"], "repeated", "{name}: {b}");
        assert_eq!(b["alerts"][0]["incident"], Value::Null, "{name}: {b}");
    }
    let incidents = get_ok(&app, &t, "/api/v1/incidents").await;
    assert_eq!(incidents.as_array().unwrap().len(), 4);
    let alerts = get_ok(&app, &t, "/api/v1/intake/alerts?status=open").await;
    assert!(!alerts.to_string().contains("\"silenced\""), "{alerts}");

    // Rules are edited and removed.
    let (s, r) = app
        .http
        .put(format!("{}/api/v1/intake/rules/{}", app.url, rule["id"]))
        .bearer_auth(&t)
        .json(&json!({"name": "prod-critical", "matchers": ["severity=\"critical\""], "enabled": false}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(s, 200, "{:?}", r.text().await);
    let (_, _, b) = post_json(&app, &url, &critical("AfterDisable")).await;
    assert_eq!(b["alerts"][0]["disposition"], "triage");
    let res = app
        .http
        .delete(format!("{}/api/v1/intake/rules/{}", app.url, rule["id"]))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(get_ok(&app, &t, "/api/v1/intake/rules").await, json!([]));
    assert!(app.store.verify_audit().await.unwrap().ok);
}

// ------------------------------------------------------------------ e-mail

fn mail(
    subject: &str,
    message_id: &str,
    in_reply_to: Option<&str>,
    attachment: Option<&[u8]>,
) -> Vec<u8> {
    let mut m = format!(
        "From: Ada Researcher <ada@example.org>\r\nTo: security@firebreak.example\r\n\
         Subject: {subject}\r\nMessage-ID: <{message_id}>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
    );
    if let Some(parent) = in_reply_to {
        m.push_str(&format!(
            "In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"
        ));
    }
    m.push_str("MIME-Version: 1.0\r\n");
    match attachment {
        None => m.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\nThe export endpoint leaks other tenants' invoices.\r\n"),
        Some(bytes) => {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\nSteps to reproduce attached.\r\n--XYZ\r\n\
                 Content-Type: application/pdf; name=\"poc.pdf\"\r\nContent-Disposition: attachment; filename=\"poc.pdf\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--XYZ--\r\n"
            ));
        }
    }
    m.into_bytes()
}

#[tokio::test]
async fn a_disclosure_email_is_confidential_threaded_and_keeps_its_evidence() {
    let app = spawn().await;
    let viewer = app.user("viewer1", "viewer").await;
    let sec = app.user("sec1", "security").await;
    let (key, url, _) =
        integration(&app, json!({"name": "security-mailbox", "kind": "email"})).await;
    assert_eq!(url, format!("{}/api/v1/inbound/email/{key}", app.url));

    let evidence = b"%PDF-1.4 proof of concept".to_vec();
    let raw = mail(
        "RE: security - responsible disclosure",
        "r1@example.org",
        None,
        Some(&evidence),
    );
    let (s, _, b) = post_bytes(&app, &url, "message/rfc822", raw.clone()).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["disclosure"], true);
    assert_eq!(b["threaded"], false);
    let report_id = b["report_id"].as_i64().unwrap();
    let attachment_id = b["attachments"][0].as_i64().unwrap();

    // A viewer cannot see it, anywhere.
    app.get_expect(&viewer, &format!("/api/v1/reports/{report_id}"), 404)
        .await;
    for path in [
        "/api/v1/reports",
        "/api/v1/intake/triage",
        "/api/v1/intake/triage?source=disclosure",
    ] {
        let list = get_ok(&app, &viewer, path).await;
        assert!(
            !list.to_string().contains("disclosure from"),
            "{path}: {list}"
        );
    }
    assert_eq!(
        get_ok(&app, &viewer, "/api/v1/intake/triage/backlog").await,
        json!([])
    );
    app.get_expect(
        &viewer,
        &format!("/api/v1/intake/reports/{report_id}/messages"),
        404,
    )
    .await;
    let res = app
        .http
        .get(format!(
            "{}/api/v1/intake/attachments/{attachment_id}",
            app.url
        ))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Security sees it, its message and its evidence.
    let report = get_ok(&app, &sec, &format!("/api/v1/reports/{report_id}")).await;
    assert_eq!(report["source"], "disclosure");
    assert_eq!(report["confidential"], true);
    assert_eq!(
        report["title"],
        "Responsible disclosure from ada@example.org"
    );
    assert_eq!(report["reporter"], "ada@example.org");
    let sha = hex::encode(<Sha256 as sha2::Digest>::digest(&evidence));
    assert!(report["description"].as_str().unwrap().contains(&sha));
    let backlog = get_ok(&app, &sec, "/api/v1/intake/triage/backlog").await;
    assert_eq!(backlog[0]["source"], "disclosure");
    let res = app
        .http
        .get(format!(
            "{}/api/v1/intake/attachments/{attachment_id}",
            app.url
        ))
        .bearer_auth(&sec)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(res.headers()["x-content-sha256"], sha.as_str());
    assert_eq!(res.bytes().await.unwrap().to_vec(), evidence);

    // A reply joins the report; a redelivery changes nothing.
    let reply = mail(
        "Re: RE: security - responsible disclosure",
        "r2@example.org",
        Some("r1@example.org"),
        None,
    );
    let (s, _, b) = post_bytes(&app, &url, "message/rfc822", reply).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["threaded"], true);
    assert_eq!(b["report_id"], report_id);
    let (s, _, b) = post_bytes(&app, &url, "message/rfc822", raw).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["duplicate"], true);
    let messages = get_ok(
        &app,
        &sec,
        &format!("/api/v1/intake/reports/{report_id}/messages"),
    )
    .await;
    assert_eq!(messages.as_array().unwrap().len(), 2);
    assert_eq!(messages[0]["attachments"][0]["sha256"], sha.as_str());
    assert_eq!(messages[0]["attachments"][0]["filename"], "poc.pdf");
    assert_eq!(messages[1]["in_reply_to"], "r1@example.org");

    // Other mail is an ordinary e-mail report, visible to all; by bearer key.
    let res = app
        .http
        .post(format!("{}/api/v1/inbound/email", app.url))
        .bearer_auth(&key)
        .body(mail(
            "Question about my invoice",
            "q1@example.org",
            None,
            None,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["disclosure"], false);
    let report = get_ok(
        &app,
        &viewer,
        &format!("/api/v1/reports/{}", b["report_id"]),
    )
    .await;
    assert_eq!(report["source"], "email");
    assert_eq!(report["confidential"], false);
    assert_eq!(report["title"], "Question about my invoice");
}

#[tokio::test]
async fn the_smtp_listener_answers_250_only_once_the_mail_is_stored() {
    let app = spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(firebreak_server::intake::smtp::serve(
        listener,
        app.state.clone(),
    ));
    let message = mail(
        "Security – Responsible disclosure",
        "smtp1@example.org",
        None,
        None,
    );

    // No e-mail integration yet: a temporary refusal, so the mail waits.
    let codes = smtp_send(port, &message).await;
    assert_eq!(codes, vec![220, 250, 250, 250, 354, 451, 221]);
    assert_eq!(footprint(&app).await[0], 0);

    integration(&app, json!({"name": "smtp", "kind": "email"})).await;
    let codes = smtp_send(port, &message).await;
    assert_eq!(codes, vec![220, 250, 250, 250, 354, 250, 221]);
    let sec = app.user("sec1", "security").await;
    let queue = get_ok(&app, &sec, "/api/v1/intake/triage?source=disclosure").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["confidential"], true);
    // Not a message at all: refused for good.
    let codes = smtp_send(port, b"\r\nno headers").await;
    assert_eq!(codes[5], 554);

    // With two mailboxes, the recipient's local part picks the integration
    // of that name (in any case); any other recipient, the oldest.
    integration(&app, json!({"name": "support", "kind": "email"})).await;
    let stored_by = |subject: &'static str| {
        let app = &app;
        async move {
            let reports = get_ok(app, &app.admin_token, "/api/v1/reports").await;
            let id = reports
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["title"] == subject)
                .map(|r| r["id"].clone())
                .unwrap_or_else(|| panic!("no report {subject}: {reports}"));
            let audit = get_ok(app, &app.admin_token, "/api/v1/audit?limit=1000").await;
            audit
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "intake.email" && e["target"] == format!("report:{id}"))
                .map(|e| e["actor"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let to_support = mail("Printer on fire", "smtp2@example.org", None, None);
    let codes = smtp_send_to(port, "Support@firebreak.example", &to_support).await;
    assert_eq!(codes[5], 250);
    let elsewhere = mail("Where is my refund", "smtp3@example.org", None, None);
    let codes = smtp_send_to(port, "billing@firebreak.example", &elsewhere).await;
    assert_eq!(codes[5], 250);
    assert_eq!(stored_by("Printer on fire").await, vec!["intake.support"]);
    assert_eq!(stored_by("Where is my refund").await, vec!["intake.smtp"]);

    // A disabled mailbox refuses its mail instead of filing it elsewhere.
    let list = get_ok(&app, &app.admin_token, "/api/v1/intake/integrations").await;
    let support = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "support")
        .unwrap()["id"]
        .clone();
    app.post_expect(
        &app.admin_token,
        &format!("/api/v1/intake/integrations/{support}/disable"),
        json!({}),
        200,
    )
    .await;
    let late = mail("Printer still on fire", "smtp4@example.org", None, None);
    let codes = smtp_send_to(port, "support@firebreak.example", &late).await;
    assert_eq!(codes[5], 550);
}

// ------------------------------------------------------------------ triage

#[tokio::test]
async fn the_triage_queue_grows_backlog_bulk_triage_and_noise() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    let responder = app.user("responder1", "responder").await;
    service(&app, "payments").await;
    service(&app, "search").await;
    let (_, pay_url, _) = integration(
        &app,
        json!({"name": "pay", "kind": "alertmanager", "service": "payments"}),
    )
    .await;
    let (_, search_url, _) = integration(
        &app,
        json!({"name": "find", "kind": "alertmanager", "service": "search"}),
    )
    .await;
    let mut ids = Vec::new();
    for (url, n) in [(&pay_url, 3), (&search_url, 2)] {
        for i in 0..n {
            let (_, _, b) = post_json(
                &app,
                url,
                &am_webhook(vec![am_alert(
                    json!({"alertname": format!("A{i}")}),
                    "firing",
                )]),
            )
            .await;
            ids.push(b["alerts"][0]["report_id"].as_i64().unwrap());
        }
    }
    app.post_expect(
        &responder,
        "/api/v1/reports",
        json!({"title": "Customer says checkout is slow", "source": "support"}),
        201,
    )
    .await;

    let payments = get_ok(&app, &responder, "/api/v1/intake/triage?service=payments").await;
    assert_eq!(payments.as_array().unwrap().len(), 3);
    let backlog = get_ok(&app, &responder, "/api/v1/intake/triage/backlog").await;
    assert_eq!(backlog[0]["source"], "monitoring");
    assert_eq!(backlog[0]["untriaged"], 5);
    assert!(backlog[0]["oldest_age_seconds"].as_i64().unwrap() >= 0);
    assert_eq!(backlog[1]["source"], "support");

    let noise = get_ok(&app, &responder, "/api/v1/intake/noise?days=7").await;
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let rows: Vec<(String, Value, i64)> = noise["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["day"].as_str().unwrap().to_owned(),
                r["service"].clone(),
                r["reports"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (today.clone(), Value::Null, 1),
            (today.clone(), json!("payments"), 3),
            (today.clone(), json!("search"), 2),
        ]
    );
    let noise = get_ok(&app, &responder, "/api/v1/intake/noise?source=monitoring").await;
    assert_eq!(noise["rows"].as_array().unwrap().len(), 2);

    // Bulk dismiss: the ones that can be are; the others say why.
    let b = app.post_expect(&responder, "/api/v1/intake/triage/bulk", json!({"action": "dismiss", "reports": [ids[3], ids[4], 99999], "reason": "search reindex noise"}), 200).await;
    assert_eq!(b["done"], json!([ids[3], ids[4]]));
    assert_eq!(b["failed"][0]["report"], 99999);
    assert_eq!(b["failed"][0]["problem"]["status"], 404);
    let p = app
        .post_expect(
            &responder,
            "/api/v1/intake/triage/bulk",
            json!({"action": "dismiss", "reports": [ids[0]]}),
            422,
        )
        .await;
    assert_eq!(p["field"], "reason");

    // Bulk link to an incident.
    let inc = app
        .post_expect(
            &t,
            "/api/v1/incidents",
            json!({"title": "Payments degraded", "kind": "availability"}),
            201,
        )
        .await;
    let b = app.post_expect(&responder, "/api/v1/intake/triage/bulk", json!({"action": "link", "reports": [ids[0], ids[1], ids[2], ids[3]], "incident": inc["reference"]}), 200).await;
    assert_eq!(b["done"], json!([ids[0], ids[1], ids[2]]));
    assert_eq!(b["failed"][0]["report"], ids[3]);
    assert_eq!(b["failed"][0]["problem"]["status"], 409);
    let linked = get_ok(
        &app,
        &t,
        &format!("/api/v1/incidents/{}", inc["reference"].as_str().unwrap()),
    )
    .await;
    assert_eq!(linked["report_ids"].as_array().unwrap().len(), 3);
    let p = app
        .post_expect(
            &responder,
            "/api/v1/intake/triage/bulk",
            json!({"action": "link", "reports": [ids[0]], "incident": "INC-999"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "incident");
    let viewer = app.user("viewer1", "viewer").await;
    app.post_expect(
        &viewer,
        "/api/v1/intake/triage/bulk",
        json!({"action": "dismiss", "reports": [ids[0]], "reason": "x"}),
        403,
    )
    .await;

    // What is left: the support report alone.
    let queue = get_ok(&app, &responder, "/api/v1/intake/triage").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["source"], "support");
    assert_eq!(queue[0]["alert"], Value::Null);
    let dismissed = get_ok(
        &app,
        &responder,
        "/api/v1/intake/triage?status=dismissed&service=search",
    )
    .await;
    assert_eq!(dismissed.as_array().unwrap().len(), 2);
    assert_eq!(dismissed[0]["dismiss_reason"], "search reindex noise");
}

#[tokio::test]
async fn webhooks_up_to_their_own_limit_are_taken_past_the_api_body_limit() {
    let app = spawn().await;
    let (_, url, _) = integration(&app, json!({"name": "am", "kind": "alertmanager"})).await;
    // 4,000 alerts: over 1 MiB, far over the JSON API's 64 KiB and within
    // the webhook's 4 MiB.
    let alerts: Vec<Value> = (0..4000)
        .map(|n| {
            am_alert(
                json!({"alertname": "Big", "instance": format!("host-{n}")}),
                "firing",
            )
        })
        .collect();
    let body = am_webhook(alerts);
    assert!(serde_json::to_vec(&body).unwrap().len() > 1024 * 1024);
    let (s, _, b) = post_json(&app, &url, &body).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["alerts"].as_array().unwrap().len(), 4000);
    let open = get_ok(
        &app,
        &app.admin_token,
        "/api/v1/intake/alerts?status=open&limit=1000",
    )
    .await;
    assert_eq!(open.as_array().unwrap().len(), 1000);
    let backlog = get_ok(&app, &app.admin_token, "/api/v1/intake/triage/backlog").await;
    assert_eq!(backlog[0]["untriaged"], 4000);
}

/// A disclosure that replies to an ordinary, public e-mail thread is never
/// stored on that public report: it starts a new confidential report, and
/// nothing of it reaches a viewer of the public thread.
#[tokio::test]
async fn a_disclosure_replying_to_a_public_thread_starts_a_confidential_report() {
    const MARK: &str = "zx-disclosure-mark";
    let app = spawn().await;
    let viewer = app.user("viewer1", "viewer").await;
    let sec = app.user("sec1", "security").await;
    let (_key, url, _) =
        integration(&app, json!({"name": "support-mailbox", "kind": "email"})).await;

    let (s, _, b) = post_bytes(
        &app,
        &url,
        "message/rfc822",
        mail("Question about my invoice", "q1@example.org", None, None),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let public_id = b["report_id"].as_i64().unwrap();

    let (s, _, b) = post_bytes(
        &app,
        &url,
        "message/rfc822",
        mail(
            "Security – Responsible disclosure",
            &format!("{MARK}@example.org"),
            Some("q1@example.org"),
            Some(b"proof of concept"),
        ),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["disclosure"], true);
    assert_eq!(b["threaded"], false, "{b}");
    let secret_id = b["report_id"].as_i64().unwrap();
    assert_ne!(secret_id, public_id);

    // The viewer sees the public thread, with nothing of the disclosure.
    let report = get_ok(&app, &viewer, &format!("/api/v1/reports/{public_id}")).await;
    let messages = get_ok(
        &app,
        &viewer,
        &format!("/api/v1/intake/reports/{public_id}/messages"),
    )
    .await;
    assert_eq!(messages.as_array().unwrap().len(), 1);
    let queue = get_ok(&app, &viewer, "/api/v1/intake/triage?limit=100").await;
    for seen in [&report, &messages, &queue] {
        assert!(!seen.to_string().contains(MARK), "{seen}");
    }
    app.get_expect(&viewer, &format!("/api/v1/reports/{secret_id}"), 404)
        .await;

    // The security team sees the disclosure as its own confidential report.
    let secret = get_ok(&app, &sec, &format!("/api/v1/reports/{secret_id}")).await;
    assert_eq!(secret["confidential"], true);
    assert_eq!(secret["source"], "disclosure");
    let messages = get_ok(
        &app,
        &sec,
        &format!("/api/v1/intake/reports/{secret_id}/messages"),
    )
    .await;
    assert_eq!(messages[0]["in_reply_to"], "q1@example.org");
}

/// A record's readers follow the most confidential record it is tied to,
/// over HTTP: a public alert's report declared as a security incident, and
/// a public incident a confidential report was linked to, reach neither a
/// viewer nor a responder who is not a member, in any list, single read,
/// timeline or count; a member sees them.
async fn confidentiality_follows_tied_records_over_http(app: &TestApp) {
    const MARK: &str = "ZXTIEDMARK";
    let t = app.admin_token.clone();
    let viewer = app.user("viewer1", "viewer").await;
    let outsider = app.user("outsider1", "responder").await;
    let member = app.user("member1", "responder").await;
    let (_, url, _) = integration(app, json!({"name": "prom", "kind": "alertmanager"})).await;
    let labels = json!({"alertname": format!("Breach{MARK}"), "severity": "warning"});
    let (s, _, b) = post_json(app, &url, &am_webhook(vec![am_alert(labels, "firing")])).await;
    assert_eq!(s, 200, "{b}");
    let r1 = b["alerts"][0]["report_id"].as_i64().unwrap();
    let sec = app
        .post_expect(
            &t,
            &format!("/api/v1/reports/{r1}/declare"),
            json!({"kind": "security", "title": format!("Breach {MARK}")}),
            201,
        )
        .await;
    let sec_id = sec["id"].as_i64().unwrap();
    let (s, public) = app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": format!("Outage {MARK}"), "kind": "availability"}),
        )
        .await;
    assert_eq!(s, 201, "{public}");
    let public_id = public["id"].as_i64().unwrap();
    for id in [sec_id, public_id] {
        app.post_expect(
            &t,
            &format!("/api/v1/incidents/{id}/members"),
            json!({"user": "member1"}),
            200,
        )
        .await;
    }
    let r2 = app
        .post_expect(
            &t,
            "/api/v1/reports",
            json!({"title": format!("Disclosure {MARK}"), "confidential": true}),
            201,
        )
        .await;
    let r2 = r2["id"].as_i64().unwrap();
    let (s, b) = app
        .post(
            &t,
            &format!("/api/v1/reports/{r2}/link"),
            json!({"incident": format!("INC-{public_id}")}),
        )
        .await;
    assert!((200..300).contains(&s), "{b}");

    let lists = [
        "/api/v1/incidents".to_owned(),
        "/api/v1/reports".to_owned(),
        "/api/v1/reports?status=declared".to_owned(),
        "/api/v1/reports?status=linked".to_owned(),
        "/api/v1/intake/triage?status=declared".to_owned(),
        "/api/v1/intake/triage?status=linked".to_owned(),
        "/api/v1/intake/triage".to_owned(),
        "/api/v1/intake/triage/backlog".to_owned(),
        "/api/v1/intake/noise".to_owned(),
        "/api/v1/intake/alerts".to_owned(),
    ];
    let singles = [
        format!("/api/v1/reports/{r1}"),
        format!("/api/v1/reports/{r2}"),
        format!("/api/v1/incidents/{sec_id}"),
        format!("/api/v1/incidents/{public_id}"),
        format!("/api/v1/incidents/{public_id}/timeline"),
        format!("/api/v1/incidents/{sec_id}/timeline"),
    ];
    for (who, token) in [("viewer", &viewer), ("outsider", &outsider)] {
        for path in &lists {
            let b = app.get_expect(token, path, 200).await;
            assert!(!b.to_string().contains(MARK), "{who} {path}: {b}");
        }
        for path in &singles {
            app.get_expect(token, path, 404).await;
        }
        let (_, noise) = app.get(token, "/api/v1/intake/noise").await;
        let counted: i64 = noise["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reports"].as_i64().unwrap())
            .sum();
        assert_eq!(counted, 0, "{who}: {noise}");
    }
    // The member sees both incidents and their reports.
    for path in &singles {
        app.get_expect(&member, path, 200).await;
    }
    let (_, inc) = app
        .get(&member, &format!("/api/v1/incidents/{public_id}"))
        .await;
    assert_eq!(inc["confidential"], true);
    assert_eq!(inc["report_ids"], json!([r2]));
    let (_, noise) = app.get(&t, "/api/v1/intake/noise").await;
    let counted: i64 = noise["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reports"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 2, "{noise}");
}

on_both_databases!(
    confidentiality_follows_tied_records_over_http_sqlite,
    confidentiality_follows_tied_records_over_http_postgres,
    |app| confidentiality_follows_tied_records_over_http(&app).await
);

/// Linking a confidential report to a public incident hides that incident
/// from everyone not on it, so only the security team or an admin may do it:
/// a responder who submits a confidential report cannot hide a public
/// outage with it.
#[tokio::test]
async fn only_the_security_team_hides_a_public_incident_by_linking_a_confidential_report() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    let rick = app.user("rick", "responder").await;
    let viewer = app.user("vera", "viewer").await;
    let public = app
        .post_expect(
            &t,
            "/api/v1/incidents",
            json!({"title": "Platform down", "kind": "availability"}),
            201,
        )
        .await;
    let public_id = public["id"].as_i64().unwrap();
    let r = app
        .post_expect(
            &rick,
            "/api/v1/reports",
            json!({"title": "cover", "confidential": true}),
            201,
        )
        .await;
    let r = r["id"].as_i64().unwrap();
    let b = app
        .post_expect(
            &rick,
            &format!("/api/v1/reports/{r}/link"),
            json!({"incident": format!("INC-{public_id}")}),
            403,
        )
        .await;
    assert_eq!(b["field"], "incident", "{b}");
    app.get_expect(&viewer, &format!("/api/v1/incidents/{public_id}"), 200)
        .await;
    // The security team (here an admin) may.
    let (s, b) = app
        .post(
            &t,
            &format!("/api/v1/reports/{r}/link"),
            json!({"incident": format!("INC-{public_id}")}),
        )
        .await;
    assert!((200..300).contains(&s), "{b}");
    app.get_expect(&viewer, &format!("/api/v1/incidents/{public_id}"), 404)
        .await;
}
