//! The integrations page over real HTTP: creating one shows its URL and key
//! once and that key works for the tool; a refused form names the field and
//! stores nothing; a new key refuses the old one; disabling refuses every
//! key; "Send a test alert" puts a report in the triage queue and says so;
//! a role that may not manage integrations gets 403 on every route. Then
//! the same in headless Chromium.

use fantoccini::Locator;
use firebreak_testkit::web::post_form;
use firebreak_testkit::{assert_contains, assert_lacks};
use serde_json::{Value, json};

use crate::a11y::screenshot;
use crate::harness::{TestApp, on_both_databases, spawn};
use crate::intake::{am_alert, am_webhook, integration, service};
use crate::web::{browser, chromedriver, fill, login, select, submit, text};

use firebreak_testkit::web::WebSession as Session;

async fn session(app: &TestApp, user: &str, password: &str) -> Session {
    Session::sign_in(app, user, password).await
}

async fn admin(app: &TestApp) -> Session {
    Session::admin(app).await
}

/// Posting a button's form on the integrations page.
trait Press {
    /// Posts a button's form to `path`, expecting a redirect to the list,
    /// then opens the list with the one-time message the redirect left.
    async fn press(&self, app: &TestApp, path: &str) -> String;
}

impl Press for Session {
    async fn press(&self, app: &TestApp, path: &str) -> String {
        let (status, location, html) = self.post_following(app, path, &[]).await;
        assert_eq!(status, 303, "{path}");
        assert_eq!(location, "/admin/integrations");
        html
    }
}

/// The `value` of the input with `id` on the page, unescaped.
fn input_value(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let tag_end = at + html[at..].find('>').unwrap();
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_end];
    assert!(tag.contains("readonly"), "#{id} is read-only: {tag}");
    let v = tag.find("value=\"").unwrap() + "value=\"".len();
    let raw = &tag[v..v + tag[v..].find('"').unwrap()];
    raw.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#x3d;", "=")
        .replace("&amp;", "&")
}

/// The integrations the API lists.
async fn listed(app: &TestApp) -> Vec<Value> {
    app.get_list(&app.admin_token, "/api/v1/intake/integrations")
        .await
}

/// POSTs an Alertmanager webhook to `url` with no other credentials: the
/// status.
async fn send_alert(app: &TestApp, url: &str, alertname: &str) -> u16 {
    let body = am_webhook(vec![am_alert(
        json!({"alertname": alertname, "severity": "warning"}),
        "firing",
    )]);
    app.http
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_new_integration_shows_its_url_and_key_once_and_the_key_works() {
    let app = spawn().await;
    service(&app, "checkout").await;
    let s = admin(&app).await;
    let (status, _, html) = s
        .post(
            &app,
            "/admin/integrations",
            &[
                ("name", "prom-prod"),
                ("kind", "alertmanager"),
                ("service", "checkout"),
                ("mapping", ""),
                ("hmac_secret", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{html}");
    let url = input_value(&html, "integration-url");
    let key = input_value(&html, "integration-key");
    assert_eq!(key.len(), 32);
    assert!(url.starts_with(&app.url), "{url}");
    assert_eq!(url, format!("{}/api/v1/intake/alertmanager/{key}", app.url));
    // The example is Alertmanager's receiver, with the key.
    let at = html.find("id=\"integration-example\"").unwrap();
    let example = &html[at..at + html[at..].find("</pre>").unwrap()];
    assert_contains(example, "webhook_configs:");
    assert_contains(example, format!("credentials: {key}"));
    assert_contains(
        example,
        format!("url: {}/api/v1/intake/alertmanager\n", app.url),
    );

    // Stored as the API would store it (the checkbox was not ticked).
    let list = listed(&app).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "prom-prod");
    assert_eq!(list[0]["kind"], "alertmanager");
    assert_eq!(list[0]["service"], "checkout");
    assert_eq!(list[0]["auto_declare"], false);

    // The tool can use what the page showed.
    assert_eq!(send_alert(&app, &url, "HighLatency").await, 200);
    let bearer = app
        .http
        .post(format!("{}/api/v1/intake/alertmanager", app.url))
        .bearer_auth(&key)
        .json(&am_webhook(vec![am_alert(
            json!({"alertname": "Other", "severity": "warning"}),
            "firing",
        )]))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);

    // Never again: the list shows the hint only.
    let (status, list) = s.get(&app, "/admin/integrations").await;
    assert_eq!(status, 200);
    assert_contains(&list, "prom-prod");
    assert_contains(&list, &key[28..]);
    assert_lacks(&list, &key);
    assert_lacks(&list, "id=\"integration-key\"");
    let id = list_id(&app, "prom-prod").await;
    for button in ["test-alert", "rotate", "disable"] {
        assert_contains(&list, format!("id=\"{button}-{id}\""));
    }

    // A ticked checkbox turns auto-declare on.
    let (status, _, _) = s
        .post(
            &app,
            "/admin/integrations",
            &[
                ("name", "grafana-1"),
                ("kind", "grafana"),
                ("service", ""),
                ("auto_declare", "on"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let g = listed(&app)
        .await
        .into_iter()
        .find(|i| i["name"] == "grafana-1")
        .unwrap();
    assert_eq!(g["auto_declare"], true);
    assert_eq!(g["service"], Value::Null);
}

/// The id of the integration named `name`.
async fn list_id(app: &TestApp, name: &str) -> i64 {
    listed(app)
        .await
        .into_iter()
        .find(|i| i["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_refused_form_names_the_field_and_stores_nothing() {
    let app = spawn().await;
    let s = admin(&app).await;
    for (fields, status, field) in [
        (vec![("name", ""), ("kind", "alertmanager")], 422, "name"),
        (
            vec![("name", "Bad Name"), ("kind", "alertmanager")],
            422,
            "name",
        ),
        (vec![("name", "x"), ("kind", "nagios")], 400, "kind"),
        (vec![("name", "x"), ("kind", "")], 400, "kind"),
        (vec![("name", "x"), ("kind", "generic")], 422, "mapping"),
        (
            vec![("name", "x"), ("kind", "generic"), ("mapping", "{not json")],
            400,
            "mapping",
        ),
        (
            vec![("name", "x"), ("kind", "alertmanager"), ("service", "nope")],
            422,
            "service",
        ),
        (
            vec![("name", "x"), ("kind", "pagerduty"), ("hmac_secret", "s")],
            422,
            "hmac_secret",
        ),
    ] {
        let (got, _, html) = s.post(&app, "/admin/integrations", &fields).await;
        assert_eq!(got, status, "{fields:?}: {html}");
        assert_contains(&html, format!("(`{field}`)"));
        // No key shown, and the form keeps what was entered.
        assert_lacks(&html, "id=\"integration-key\"");
        let name = fields[0].1;
        assert_contains(
            &html,
            format!("id=\"integration-name\" name=\"name\" value=\"{name}\""),
        );
    }
    assert!(listed(&app).await.is_empty());
    // A name taken is refused too.
    integration(&app, json!({"name": "taken", "kind": "alertmanager"})).await;
    let (got, _, html) = s
        .post(
            &app,
            "/admin/integrations",
            &[("name", "taken"), ("kind", "grafana")],
        )
        .await;
    assert_eq!(got, 409, "{html}");
    assert_eq!(listed(&app).await.len(), 1);
}

#[tokio::test]
async fn a_new_key_refuses_the_old_and_disabling_refuses_any() {
    let app = spawn().await;
    let (old_key, old_url, view) =
        integration(&app, json!({"name": "prom", "kind": "alertmanager"})).await;
    let id = view["id"].as_i64().unwrap();
    assert_eq!(send_alert(&app, &old_url, "A").await, 200);
    let s = admin(&app).await;
    let (status, _, html) = s
        .post(&app, &format!("/admin/integrations/{id}/rotate"), &[])
        .await;
    assert_eq!(status, 200, "{html}");
    assert_contains(&html, "Integration prom given a new key");
    let key = input_value(&html, "integration-key");
    let url = input_value(&html, "integration-url");
    assert_ne!(key, old_key);
    assert!(url.starts_with(&app.url) && url.ends_with(&key), "{url}");
    assert_eq!(send_alert(&app, &old_url, "B").await, 401);
    assert_eq!(send_alert(&app, &url, "C").await, 200);

    let html = s
        .press(&app, &format!("/admin/integrations/{id}/disable"))
        .await;
    assert_eq!(send_alert(&app, &url, "D").await, 401);
    assert_contains(&html, "Integration prom disabled: its key no longer works.");
    assert_contains(&html, "<td data-label=\"State\">disabled</td>");
    for button in ["test-alert", "rotate", "disable"] {
        assert_lacks(&html, format!("id=\"{button}-{id}\""));
    }
    assert_eq!(listed(&app).await[0]["enabled"], false);
    // Disabled twice: refused, said on the page.
    let html = s
        .press(&app, &format!("/admin/integrations/{id}/disable"))
        .await;
    assert_contains(&html, "class=\"error\"");
    // A test alert of a disabled integration is refused, and stores nothing.
    let html = s
        .press(&app, &format!("/admin/integrations/{id}/test-alert"))
        .await;
    assert_contains(&html, "integration prom is disabled");
    assert!(test_reports(&app).await.is_empty());
    // No such integration: 404.
    for action in ["rotate", "disable", "test-alert"] {
        let (status, _, _) = s
            .post(&app, &format!("/admin/integrations/999/{action}"), &[])
            .await;
        assert_eq!(status, 404, "{action}");
        let (status, _, _) = s
            .post(&app, &format!("/admin/integrations/x/{action}"), &[])
            .await;
        assert_eq!(status, 404, "{action}");
    }
}

/// The reports of the triage queue whose title starts "Firebreak test
/// alert".
async fn test_reports(app: &TestApp) -> Vec<Value> {
    app.get_list(&app.admin_token, "/api/v1/intake/triage?limit=1000")
        .await
        .into_iter()
        .filter(|r| {
            r["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Firebreak test alert"))
        })
        .collect()
}

on_both_databases!(
    a_test_alert_lands_in_the_triage_queue_for_every_kind_sqlite,
    a_test_alert_lands_in_the_triage_queue_for_every_kind_postgres,
    |app| test_alert_for_every_kind(&app).await
);

async fn test_alert_for_every_kind(app: &TestApp) {
    service(app, "checkout").await;
    let s = admin(app).await;
    let mut seen = 0;
    for (name, body) in [
        (
            "prom",
            json!({"name": "prom", "kind": "alertmanager", "service": "checkout"}),
        ),
        (
            "graf",
            json!({"name": "graf", "kind": "grafana", "service": "checkout"}),
        ),
        (
            "pd",
            json!({"name": "pd", "kind": "pagerduty", "service": "checkout"}),
        ),
        (
            "hooks",
            json!({"name": "hooks", "kind": "generic", "mapping": {"title": "/title"}}),
        ),
    ] {
        let (_, _, view) = integration(app, body).await;
        let id = view["id"].as_i64().unwrap();
        let (status, _, html) = s
            .post(app, &format!("/admin/integrations/{id}/test-alert"), &[])
            .await;
        assert_eq!(status, 200, "{name}: {html}");
        let at = html
            .find("id=\"test-alert-result\"")
            .unwrap_or_else(|| panic!("{name}: no result"));
        let result = &html[at..at + html[at..].find("</section>").unwrap()];
        assert_contains(result, "Accepted: report #");
        assert_contains(result, "created.");
        assert_contains(result, "nobody is paged");
        seen += 1;
        let reports = test_reports(app).await;
        assert_eq!(reports.len(), seen, "{name}: {reports:?}");
        let report = reports
            .iter()
            .find(|r| r["title"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name}: {reports:?}"));
        let rid = report["id"].as_i64().unwrap();
        assert_contains(result, format!("href=\"/triage#report-{rid}\""));
        // A warning: medium, nothing declared (auto-declare is on, but a
        // warning is not urgent).
        assert_eq!(report["alert"]["severity"], "medium", "{report}");
    }
    assert!(
        app.get_list(&app.admin_token, "/api/v1/incidents")
            .await
            .is_empty()
    );

    // The same test alert again folds into the open one's report.
    let id = list_id(app, "prom").await;
    let (status, _, html) = s
        .post(app, &format!("/admin/integrations/{id}/test-alert"), &[])
        .await;
    assert_eq!(status, 200);
    assert_contains(&html, "Accepted: folded into report #");
    assert_eq!(test_reports(app).await.len(), seen);

    // It shows on the triage page.
    let (_, triage) = s.get(app, "/triage").await;
    assert_contains(&triage, "Firebreak test alert from integration prom");
}

#[tokio::test]
async fn a_silence_keeps_the_test_alert_quiet_and_the_page_says_so() {
    let app = spawn().await;
    let (_, _, view) = integration(&app, json!({"name": "prom", "kind": "alertmanager"})).await;
    let id = view["id"].as_i64().unwrap();
    let now = chrono::Utc::now();
    app.post_expect(
        &app.admin_token,
        "/api/v1/intake/silences",
        json!({"matchers": ["firebreak_test=\"true\""], "ends_at": now + chrono::Duration::hours(1),
            "reason": "testing"}),
        201,
    )
    .await;
    let s = admin(&app).await;
    let (status, _, html) = s
        .post(&app, &format!("/admin/integrations/{id}/test-alert"), &[])
        .await;
    assert_eq!(status, 200, "{html}");
    assert_contains(&html, "A silence matched it");
}

#[tokio::test]
async fn a_role_that_may_not_manage_integrations_gets_403_everywhere() {
    let app = spawn().await;
    app.user("lena", "lead").await;
    app.user("rob", "responder").await;
    let (key, url, view) = integration(&app, json!({"name": "prom", "kind": "alertmanager"})).await;
    let id = view["id"].as_i64().unwrap();
    for user in ["lena", "rob"] {
        let s = session(&app, user, "a long enough password").await;
        let (status, html) = s.get(&app, "/admin/integrations").await;
        assert_eq!(status, 403, "{user}");
        assert_lacks(&html, "<form method=\"post\" action=\"/admin/integrations");
        assert_lacks(&html, "href=\"/admin/integrations\"");
        for path in [
            "/admin/integrations".to_owned(),
            format!("/admin/integrations/{id}/rotate"),
            format!("/admin/integrations/{id}/disable"),
            format!("/admin/integrations/{id}/test-alert"),
        ] {
            let (status, _, html) = s
                .post(&app, &path, &[("name", "x"), ("kind", "alertmanager")])
                .await;
            assert_eq!(status, 403, "{user} POST {path}");
            assert_lacks(&html, "integration-key");
        }
    }
    // Nothing changed: one integration, its key works, no test report.
    assert_eq!(listed(&app).await.len(), 1);
    assert_eq!(send_alert(&app, &url, "A").await, 200);
    assert!(test_reports(&app).await.is_empty());
    assert_eq!(key.len(), 32);

    // A forged token is refused too, for the admin.
    let s = admin(&app).await;
    for path in [
        "/admin/integrations".to_owned(),
        format!("/admin/integrations/{id}/rotate"),
        format!("/admin/integrations/{id}/disable"),
        format!("/admin/integrations/{id}/test-alert"),
    ] {
        let res = post_form(
            &app,
            &s.http,
            &s.cookie,
            &path,
            &[("csrf", "forged"), ("name", "y"), ("kind", "alertmanager")],
        )
        .await;
        assert_eq!(res.status(), 403, "{path}");
    }
    assert_eq!(send_alert(&app, &url, "B").await, 200);
    assert_eq!(listed(&app).await.len(), 1);
}

/// An admin connects Alertmanager in the browser, checks the key works,
/// and sends a test alert.
#[tokio::test]
async fn an_admin_connects_alertmanager_and_sends_a_test_alert_in_the_browser() {
    let app = spawn().await;
    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &app, "admin", &app.admin_password).await;
    c.goto(&format!("{}/admin/integrations", app.url))
        .await
        .unwrap();
    fill(&c, "#integration-name", "prometheus").await;
    select(&c, "#integration-kind", "alertmanager").await;
    submit(&c, "#integration-create").await;
    let value = |css: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(css))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap()
        }
    };
    let url = value("#integration-url").await;
    let key = value("#integration-key").await;
    assert!(url.starts_with(&app.url), "{url}");
    assert!(url.ends_with(&key), "{url}");
    assert_contains(text(&c, "#integration-example").await, "webhook_configs:");
    // The URL, the key and the example stay inside a phone's width.
    for width in [375, 1440] {
        screenshot(&c, &format!("integrations-key-once-{width}"), width).await;
        c.set_window_size(width, 900).await.unwrap();
        let sideways = c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            sideways.as_i64(),
            Some(0),
            "the page scrolls sideways at {width} px"
        );
    }
    assert_eq!(send_alert(&app, &url, "HighLatency").await, 200);

    let id = list_id(&app, "prometheus").await;
    submit(&c, &format!("#test-alert-{id}")).await;
    let result = text(&c, "#test-alert-result").await;
    assert_contains(&result, "Accepted: report #");
    assert_lacks(&text(&c, "main").await, &key);
    screenshot(&c, "integrations-test-alert-375", 375).await;
    submit(&c, "#test-alert-report").await;
    assert!(c.current_url().await.unwrap().path().starts_with("/triage"));
    assert_contains(
        text(&c, "main").await,
        "Firebreak test alert from integration prometheus",
    );
    c.close().await.unwrap();
    assert_eq!(test_reports(&app).await.len(), 1);
}
