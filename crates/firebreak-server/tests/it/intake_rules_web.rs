//! The routing set-up pages over real HTTP: a rule added in the web routes
//! the next alert sent to the real intake endpoint, a refused form names
//! the field and stores nothing, edited and deleted rules stop routing,
//! the payload test shows the rule that matched; a silence and a
//! maintenance window added in the web keep alerts from declaring until
//! they are ended in the web; roles without the API's permission get 403
//! on every route. Then the payload test in headless Chromium.

use fantoccini::Locator;
use firebreak_testkit::alertmanager::{am_alert, am_webhook};
use firebreak_testkit::web::post_form;
use firebreak_testkit::{assert_contains, assert_lacks};
use serde_json::{Value, json};

use crate::harness::{TestApp, spawn};
use crate::intake::{integration, service};
use crate::web::{browser, chromedriver, login, select, submit, text};

use firebreak_testkit::web::WebSession as Session;

async fn session(app: &TestApp, user: &str, password: &str) -> Session {
    Session::sign_in(app, user, password).await
}

/// A server with services payments and search, and an Alertmanager
/// integration (filing under search, declaring nothing by itself): the
/// server and the integration's URL.
async fn setup() -> (TestApp, String) {
    let app = spawn().await;
    service(&app, "payments").await;
    service(&app, "search").await;
    let (_, url, _) = integration(
        &app,
        json!({"name": "prom", "kind": "alertmanager", "service": "search", "auto_declare": false}),
    )
    .await;
    (app, url)
}

fn firing(labels: Value) -> Value {
    am_webhook(vec![am_alert(labels, "firing")])
}

/// Sends one firing alert to the real intake endpoint: what the endpoint
/// answered for it, and the alert as stored.
async fn send(app: &TestApp, url: &str, labels: Value) -> (Value, Value) {
    let (status, _, b) = app
        .post_bytes_to(
            url,
            None,
            "application/json",
            serde_json::to_vec(&firing(labels)).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let answer = b["alerts"][0].clone();
    let alerts = app
        .get_list(&app.admin_token, "/api/v1/intake/alerts?limit=1000")
        .await;
    let stored = alerts
        .into_iter()
        .find(|a| a["id"] == answer["alert_id"])
        .expect("the alert is stored");
    (answer, stored)
}

async fn rules(app: &TestApp) -> Vec<Value> {
    app.get_list(&app.admin_token, "/api/v1/intake/rules").await
}

const RULE: &[(&str, &str)] = &[
    ("name", "prod-payments"),
    ("position", ""),
    (
        "matchers",
        "env=~\"prod|production\"\r\n\r\n team = payments \r\n",
    ),
    ("service", "payments"),
    ("severity", "low"),
    ("kind", ""),
    ("enabled", "on"),
];

#[tokio::test]
async fn a_rule_added_in_the_web_routes_real_alerts_until_disabled_and_deleted() {
    let (app, url) = setup().await;
    let s = session(&app, "admin", &app.admin_password).await;

    // Refused forms name the field and store nothing.
    let mut bad = RULE.to_vec();
    bad[2] = ("matchers", "env=prod\nseverity=~\"(\"");
    let (status, _, html) = s.post(&app, "/admin/routing", &bad).await;
    assert_eq!(status, 400, "{html}");
    assert_contains(&html, "Matchers, line 2 (`matchers[1]`)");
    assert_contains(&html, "bad regex");
    // The form is shown again with what was entered.
    assert_contains(&html, "severity=~&#34;(&#34;");
    let mut bad = RULE.to_vec();
    bad[3] = ("service", "nope");
    let (status, _, html) = s.post(&app, "/admin/routing", &bad).await;
    assert_eq!(status, 422, "{html}");
    assert_contains(&html, "Service (`set_service`)");
    let mut bad = RULE.to_vec();
    bad[0] = ("name", "  ");
    let (status, _, html) = s.post(&app, "/admin/routing", &bad).await;
    assert_eq!(status, 422, "{html}");
    assert_contains(&html, "Name (`name`)");
    let mut bad = RULE.to_vec();
    bad[1] = ("position", "first");
    let (status, _, html) = s.post(&app, "/admin/routing", &bad).await;
    assert_eq!(status, 400, "{html}");
    assert_contains(&html, "Position (`position`)");
    assert!(rules(&app).await.is_empty());

    // Added: what the API would have stored.
    let (status, location, _) = s.post(&app, "/admin/routing", RULE).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/routing");
    let list = rules(&app).await;
    assert_eq!(list.len(), 1);
    let rule = &list[0];
    assert_eq!(
        rule["matchers"],
        json!(["env=~\"prod|production\"", "team=\"payments\""])
    );
    assert_eq!(rule["set_service"], "payments");
    assert_eq!(rule["set_severity"], "low");
    assert_eq!(rule["enabled"], true);
    assert_eq!(rule["declare"], false);
    let id = rule["id"].as_i64().unwrap();
    let (status, html) = s.get(&app, "/admin/routing").await;
    assert_eq!(status, 200);
    assert_contains(&html, "service payments; severity low; to the triage queue");

    // The very next alert is routed by it (no cache in the way).
    let (answer, stored) = send(
        &app,
        &url,
        json!({"alertname": "CardDeclines", "severity": "critical", "env": "prod", "team": "payments"}),
    )
    .await;
    assert_eq!(answer["disposition"], "triage");
    assert_eq!(stored["rule"], "prod-payments", "{stored}");
    assert_eq!(stored["service"], "payments");
    assert_eq!(stored["severity"], "low");
    // One that does not match keeps the integration's service.
    let (_, stored) = send(
        &app,
        &url,
        json!({"alertname": "CardDeclines", "severity": "critical", "env": "staging", "team": "payments"}),
    )
    .await;
    assert_eq!(stored["rule"], Value::Null);
    assert_eq!(stored["service"], "search");

    // The payload test shows the rule that matched, and names a bad field.
    let sample = firing(json!({"alertname": "Other", "env": "production", "team": "payments"}));
    let (status, _, html) = s
        .post(
            &app,
            "/admin/routing/test",
            &[("kind", "alertmanager"), ("payload", &sample.to_string())],
        )
        .await;
    assert_eq!(status, 200);
    let result = html.split("id=\"routing-test-result\"").nth(1).unwrap();
    assert_contains(result, "prod-payments");
    assert_contains(result, "payments");
    assert_contains(result, "triage");
    let (_, _, html) = s
        .post(
            &app,
            "/admin/routing/test",
            &[
                ("kind", "alertmanager"),
                ("payload", "{\"version\": \"4\"}"),
            ],
        )
        .await;
    let result = html.split("id=\"routing-test-result\"").nth(1).unwrap();
    assert_contains(result, "payload.groupKey");
    let (_, _, html) = s
        .post(
            &app,
            "/admin/routing/test",
            &[("kind", "alertmanager"), ("payload", "{not json")],
        )
        .await;
    assert_contains(
        html.split("id=\"routing-test-result\"").nth(1).unwrap(),
        "Sample payload (`payload`): not JSON",
    );
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70 * 1024));
    let res = post_form(
        &app,
        &s.http,
        &s.cookie,
        "/admin/routing/test",
        &[
            ("csrf", s.csrf.as_str()),
            ("kind", "alertmanager"),
            ("payload", &big),
        ],
    )
    .await;
    assert!(
        [413, 200].contains(&res.status().as_u16()),
        "{}",
        res.status()
    );
    if res.status() == 200 {
        assert_contains(res.text().await.unwrap(), "at most 64 KiB");
    }

    // Edited: disabled, it routes nothing.
    let (status, html) = s.get(&app, &format!("/admin/routing/{id}")).await;
    assert_eq!(status, 200);
    assert_contains(&html, "team=&#34;payments&#34;");
    let mut edit = RULE.to_vec();
    edit.retain(|(k, _)| *k != "enabled");
    let (status, _, html) = s.post(&app, &format!("/admin/routing/{id}"), &edit).await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(rules(&app).await[0]["enabled"], false);
    let (_, stored) = send(
        &app,
        &url,
        json!({"alertname": "AfterDisable", "env": "prod", "team": "payments"}),
    )
    .await;
    assert_eq!(stored["rule"], Value::Null);
    // A refused edit changes nothing.
    let mut bad = RULE.to_vec();
    bad[2] = ("matchers", "9lives=yes");
    let (status, _, html) = s.post(&app, &format!("/admin/routing/{id}"), &bad).await;
    assert_eq!(status, 400);
    assert_contains(&html, "Matchers, line 1");
    assert_eq!(rules(&app).await[0]["enabled"], false);
    let (status, _) = s.get(&app, "/admin/routing/999").await;
    assert_eq!(status, 404);

    // Deleted.
    let (status, _, _) = s
        .post(&app, &format!("/admin/routing/{id}/delete"), &[])
        .await;
    assert_eq!(status, 303);
    assert!(rules(&app).await.is_empty());
    let (_, html) = s.get(&app, "/admin/routing").await;
    assert_contains(&html, "No routing rules yet");
    assert!(app.store.verify_audit().await.unwrap().ok);
}

#[tokio::test]
async fn silences_and_maintenance_windows_added_in_the_web_quiet_alerts_until_ended() {
    let (app, url) = setup().await;
    let s = session(&app, "admin", &app.admin_password).await;
    let silences = || app.get_list(&app.admin_token, "/api/v1/intake/silences");

    // Refused: a matcher that matches everything, no end, a bad time, too
    // long; nothing is stored.
    for (fields, field) in [
        (
            vec![
                ("matchers", "alertname=~\".*\""),
                ("duration", "1h"),
                ("reason", "x"),
            ],
            "Matchers (`matchers`)",
        ),
        (
            vec![("matchers", "alertname=Flapping"), ("reason", "x")],
            "Until (`ends_at`)",
        ),
        (
            vec![
                ("matchers", "alertname=Flapping"),
                ("ends", "tomorrow"),
                ("reason", "x"),
            ],
            "Until (`ends_at`)",
        ),
        (
            vec![
                ("matchers", "alertname=Flapping"),
                ("duration", "soon"),
                ("reason", "x"),
            ],
            "Duration (`duration`)",
        ),
        (
            vec![
                ("matchers", "alertname=Flapping"),
                ("duration", "30d"),
                ("reason", "x"),
            ],
            "Until (`ends_at`)",
        ),
        (
            vec![
                ("matchers", "alertname=Flapping"),
                ("duration", "1h"),
                ("reason", " "),
            ],
            "Comment (`reason`)",
        ),
    ] {
        let (status, _, html) = s.post(&app, "/admin/silences", &fields).await;
        assert!(status == 400 || status == 422, "{fields:?}: {status}");
        assert_contains(&html, field);
    }
    assert!(silences().await.is_empty());

    // A silence: the matching alert is logged, not declared.
    let (status, location, html) = s
        .post(
            &app,
            "/admin/silences",
            &[
                ("matchers", "alertname=~\"Flap.*\""),
                ("starts", ""),
                ("ends", ""),
                ("duration", "1h"),
                ("reason", "known flapping, JIRA-12"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(location, "/admin/silences");
    let list = silences().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["active"], true);
    assert_eq!(list[0]["reason"], "known flapping, JIRA-12");
    let id = list[0]["id"].as_i64().unwrap();
    let (_, html) = s.get(&app, "/admin/silences").await;
    assert_contains(&html, format!("id=\"expire-silence-{id}\""));
    assert_contains(&html, "UTC");
    let (answer, _) = send(
        &app,
        &url,
        json!({"alertname": "Flapping", "severity": "critical"}),
    )
    .await;
    assert_eq!(answer["disposition"], "silenced");
    let (answer, _) = send(
        &app,
        &url,
        json!({"alertname": "DiskFull", "severity": "critical"}),
    )
    .await;
    assert_ne!(answer["disposition"], "silenced");

    // Expired in the web: the next such alert is not silenced.
    let (status, _, _) = s
        .post(&app, &format!("/admin/silences/{id}/expire"), &[])
        .await;
    assert_eq!(status, 303);
    assert_eq!(silences().await[0]["active"], false);
    let (answer, _) = send(
        &app,
        &url,
        json!({"alertname": "FlapAgain", "severity": "critical"}),
    )
    .await;
    assert_ne!(answer["disposition"], "silenced");
    let (_, html) = s.get(&app, "/admin/silences").await;
    assert_lacks(&html, format!("id=\"expire-silence-{id}\""));
    assert_contains(&html, "ended early");

    // A maintenance window on search (the integration's service).
    let windows = || app.get_list(&app.admin_token, "/api/v1/intake/maintenance");
    let (status, _, html) = s
        .post(
            &app,
            "/admin/maintenance",
            &[
                ("service", "nope"),
                ("duration", "2h"),
                ("reason", "upgrade"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_contains(&html, "Service (`service`)");
    let (status, _, html) = s
        .post(
            &app,
            "/admin/maintenance",
            &[
                ("service", "search"),
                ("starts", "2026-03-02 10:00"),
                ("ends", "2026-03-02 09:00"),
                ("reason", "upgrade"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_contains(&html, "Until (`ends_at`)");
    assert!(windows().await.is_empty());
    let (status, _, html) = s
        .post(
            &app,
            "/admin/maintenance",
            &[
                ("service", "search"),
                ("starts", ""),
                ("ends", ""),
                ("duration", "2h"),
                ("reason", "index rebuild"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{html}");
    let list = windows().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["active"], true);
    assert_eq!(list[0]["service"], "search");
    let wid = list[0]["id"].as_i64().unwrap();
    let (answer, stored) = send(
        &app,
        &url,
        json!({"alertname": "Slow", "severity": "critical"}),
    )
    .await;
    assert_eq!(answer["disposition"], "maintenance");
    assert_eq!(stored["disposition"], "maintenance");
    let (_, html) = s.get(&app, "/admin/maintenance").await;
    assert_contains(&html, format!("id=\"end-maintenance-{wid}\""));

    // Ended in the web: the next alert is not held by it.
    let (status, _, _) = s
        .post(&app, &format!("/admin/maintenance/{wid}/end"), &[])
        .await;
    assert_eq!(status, 303);
    assert_eq!(windows().await[0]["active"], false);
    let (answer, _) = send(
        &app,
        &url,
        json!({"alertname": "Slower", "severity": "critical"}),
    )
    .await;
    assert_eq!(answer["disposition"], "triage");
    // Ending it again: the API's 409, as the flash message.
    let res = post_form(
        &app,
        &s.http,
        &s.cookie,
        &format!("/admin/maintenance/{wid}/end"),
        &[("csrf", s.csrf.as_str())],
    )
    .await;
    assert_eq!(res.status(), 303);
    let flash = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    assert_contains(&flash, "fb_flash=e.");
    assert!(app.store.verify_audit().await.unwrap().ok);
}

/// Every route, as (method, path).
fn routes(rule: i64, silence: i64, window: i64) -> Vec<(&'static str, String)> {
    vec![
        ("GET", "/admin/routing".into()),
        ("POST", "/admin/routing".into()),
        ("POST", "/admin/routing/test".into()),
        ("GET", format!("/admin/routing/{rule}")),
        ("POST", format!("/admin/routing/{rule}")),
        ("POST", format!("/admin/routing/{rule}/delete")),
        ("GET", "/admin/silences".into()),
        ("POST", "/admin/silences".into()),
        ("POST", format!("/admin/silences/{silence}/expire")),
        ("GET", "/admin/maintenance".into()),
        ("POST", "/admin/maintenance".into()),
        ("POST", format!("/admin/maintenance/{window}/end")),
    ]
}

#[tokio::test]
async fn roles_get_what_the_api_allows_them_and_no_more() {
    let (app, _) = setup().await;
    let t = app.admin_token.clone();
    let rule = app
        .post_expect(
            &t,
            "/api/v1/intake/rules",
            json!({"name": "r", "matchers": ["a=b"]}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let until = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let silence = app
        .post_expect(
            &t,
            "/api/v1/intake/silences",
            json!({"matchers": ["a=\"b\""], "ends_at": until, "reason": "r"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let window = app
        .post_expect(
            &t,
            "/api/v1/intake/maintenance",
            json!({"service": "search", "ends_at": until, "reason": "r"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.user("vera", "viewer").await;
    app.user("ruth", "responder").await;
    let fields: &[(&str, &str)] = &[
        ("name", "x"),
        ("matchers", "a=c"),
        ("service", "search"),
        ("duration", "1h"),
        ("reason", "r"),
        ("kind", "alertmanager"),
        ("payload", "{}"),
    ];

    // A viewer: 403 everywhere.
    let v = session(&app, "vera", "a long enough password").await;
    for (method, path) in routes(rule, silence, window) {
        let status = if method == "GET" {
            v.get(&app, &path).await.0
        } else {
            v.post(&app, &path, fields).await.0
        };
        assert_eq!(status, 403, "{method} {path}");
    }

    // A responder triages: silences and the payload test, not rules or
    // windows, and is offered only those.
    let r = session(&app, "ruth", "a long enough password").await;
    let may = [
        "GET /admin/routing",
        "POST /admin/routing/test",
        "GET /admin/silences",
        "GET /admin/maintenance",
    ];
    for (method, path) in routes(rule, silence, window) {
        let what = format!("{method} {path}");
        if may.contains(&what.as_str()) || path.starts_with("/admin/silences") {
            continue;
        }
        let status = if method == "GET" {
            r.get(&app, &path).await.0
        } else {
            r.post(&app, &path, fields).await.0
        };
        assert_eq!(status, 403, "{what}");
    }
    let (status, html) = r.get(&app, "/admin/routing").await;
    assert_eq!(status, 200);
    assert_lacks(&html, "rule-save");
    assert_lacks(&html, "delete-rule-");
    assert_contains(&html, "routing-test-submit");
    let (status, html) = r.get(&app, "/admin/maintenance").await;
    assert_eq!(status, 200);
    assert_lacks(&html, "maintenance-save");
    assert_lacks(&html, "end-maintenance-");
    let (status, html) = r.get(&app, "/admin/silences").await;
    assert_eq!(status, 200);
    assert_contains(&html, "silence-save");
    let (status, _, _) = r
        .post(&app, &format!("/admin/silences/{silence}/expire"), &[])
        .await;
    assert_eq!(status, 303);

    // Nothing the refused requests asked for happened.
    assert_eq!(app.get_list(&t, "/api/v1/intake/rules").await.len(), 1);
    let windows = app.get_list(&t, "/api/v1/intake/maintenance").await;
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["active"], true);
    assert_eq!(app.get_list(&t, "/api/v1/intake/silences").await.len(), 1);
}

/// The payload panel in Chromium: a lead pastes a payload and sees which
/// rule would route it.
#[tokio::test]
async fn the_payload_test_shows_the_matching_rule_in_the_browser() {
    let (app, _) = setup().await;
    app.post_expect(
        &app.admin_token,
        "/api/v1/intake/rules",
        json!({"name": "db-to-payments", "matchers": ["team=\"db\""], "set_service": "payments", "set_severity": "high"}),
        201,
    )
    .await;
    app.user("lena", "lead").await;
    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &app, "lena", "a long enough password").await;
    c.goto(&format!("{}/admin/routing", app.url)).await.unwrap();
    // Prefilled with an Alertmanager example, which no rule matches.
    submit(&c, "#routing-test-submit").await;
    let result = text(&c, "#routing-test-result").await;
    assert_contains(&result, "none matched");
    assert_contains(&result, "p99 latency of checkout");
    assert_contains(&result, "5b2f3c1d9e8a7b6c");

    select(&c, "#routing-test-kind", "alertmanager").await;
    let area = c.find(Locator::Css("#routing-test-payload")).await.unwrap();
    area.clear().await.unwrap();
    area.send_keys(&firing(json!({"alertname": "ReplicaLag", "team": "db"})).to_string())
        .await
        .unwrap();
    // Live: the result follows the typing, without leaving the page.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !text(&c, "#routing-test-result")
        .await
        .contains("db-to-payments")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the result did not follow the payload: {}",
            text(&c, "#routing-test-result").await
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(c.current_url().await.unwrap().path(), "/admin/routing/test");
    // And the button posts the same form.
    submit(&c, "#routing-test-submit").await;
    let result = text(&c, "#routing-test-result").await;
    assert_contains(&result, "db-to-payments");
    assert_contains(&result, "payments");
    assert_contains(&result, "high");
    assert_contains(&result, "ReplicaLag");
    c.close().await.unwrap();
    // Nothing was stored.
    assert!(
        app.get_list(&app.admin_token, "/api/v1/intake/alerts")
            .await
            .is_empty()
    );
}
