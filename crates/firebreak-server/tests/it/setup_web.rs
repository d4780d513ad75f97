//! Issue 10, items 1 and 2: the escalation settings in the web and API
//! (over the configuration file, audited, in force at once), the home
//! page's getting-started checklist and the set-up hub, with their
//! permissions and CSRF checks.

use firebreak_testkit::assert_contains;
use firebreak_testkit::web::{csrf_in, no_redirects, page, post_form, post_login};
use serde_json::{Value, json};

use crate::harness::{TestApp, on_both_databases, spawn};

/// Signs `user` in over the web; the session cookie.
async fn web_session(app: &TestApp, http: &reqwest::Client, user: &str, password: &str) -> String {
    let res = post_login(app, http, user, password, None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/", "sign-in goes home");
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("fb_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn setting<'a>(all: &'a [Value], key: &str) -> &'a Value {
    all.iter().find(|s| s["key"] == key).expect("the setting")
}

/// A lead `lead1` reachable on a webhook nobody listens on, and a policy
/// `incident-lead` that pages them.
async fn lead_and_policy(app: &TestApp) {
    app.user("lead1", "lead").await;
    app.reachable("lead1").await;
    app.put_expect(
        &app.admin_token,
        "/api/v1/escalation-policies/incident-lead",
        json!({"levels": [{"targets": [{"user": "lead1"}], "ack_timeout_secs": 300}], "repeat": 0}),
        200,
    )
    .await;
}

async fn settings_in_the_web_page_at_once_and_are_audited(app: TestApp) {
    let app = &app;
    lead_and_policy(app).await;
    let http = no_redirects();
    let cookie = web_session(app, &http, "admin", &app.admin_password).await;
    let (s, html) = page(app, &http, &cookie, "/admin/settings").await;
    assert_eq!(s, 200);
    // The default a new user gets pages nobody, and the page says so in red.
    assert_contains(&html, "id=\"settings-warnings\"");
    assert_contains(&html, "incident_lead_policy is not set");
    let csrf = csrf_in(&html);

    // A critical incident declared now pages nobody.
    let declare = |title: &'static str| {
        app.post_expect(
            &app.admin_token,
            "/api/v1/incidents",
            json!({"title": title, "kind": "availability", "severity": "critical",
                "facts": {"full_outage": true}}),
            201,
        )
    };
    let before = declare("Before the setting").await["id"].as_i64().unwrap();
    let lead_pages = |id: i64| async move {
        app.get_list(
            &app.admin_token,
            &format!("/api/v1/incidents/{id}/escalations"),
        )
        .await
        .into_iter()
        .filter(|e| e["audience"] == "incident_lead" && e["to"] == "lead1")
        .count()
    };
    assert_eq!(lead_pages(before).await, 0);

    // A forged form changes nothing; a policy that does not exist is
    // refused, naming it.
    let path = "/admin/settings/incident_lead_policy";
    let res = post_form(
        app,
        &http,
        &cookie,
        path,
        &[("csrf", "forged"), ("value", "incident-lead")],
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = post_form(app, &http, &cookie, path, &[("value", "incident-lead")]).await;
    assert_eq!(res.status(), 403, "no token at all is refused too");
    let res = post_form(
        app,
        &http,
        &cookie,
        path,
        &[("csrf", &csrf), ("value", "nope")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let all = app.get_list(&app.admin_token, "/api/v1/settings").await;
    assert_eq!(setting(&all, "incident_lead_policy")["source"], "file");
    let flash = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let (_, html) = page(
        app,
        &http,
        &format!("{cookie}; {}", flash.split(';').next().unwrap()),
        "/admin/settings",
    )
    .await;
    assert_contains(&html, "no escalation policy is named `nope`");

    // Set in the web: in force for the next incident, no restart.
    let res = post_form(
        app,
        &http,
        &cookie,
        path,
        &[("csrf", &csrf), ("value", "incident-lead")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let all = app.get_list(&app.admin_token, "/api/v1/settings").await;
    let s = setting(&all, "incident_lead_policy");
    assert_eq!(
        (s["value"].clone(), s["source"].clone()),
        (json!("incident-lead"), json!("web"))
    );
    assert_eq!(s["file_value"], Value::Null);
    assert_eq!(s["updated_by"], "admin");
    let after = declare("After the setting").await["id"].as_i64().unwrap();
    assert_eq!(
        lead_pages(after).await,
        1,
        "the lead is paged through the policy set in the web"
    );
    let (_, html) = page(app, &http, &cookie, "/admin/settings").await;
    assert!(!html.contains("incident_lead_policy is not set"));

    // Leadership: people by checkbox (a repeated field).
    let res = post_form(
        app,
        &http,
        &cookie,
        "/admin/settings/leadership",
        &[("csrf", &csrf), ("value", "lead1"), ("value", "admin")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let all = app.get_list(&app.admin_token, "/api/v1/settings").await;
    assert_eq!(
        setting(&all, "leadership")["value"],
        json!(["lead1", "admin"])
    );

    // Reset: the file's value again.
    let res = post_form(
        app,
        &http,
        &cookie,
        path,
        &[("csrf", &csrf), ("reset", "1")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let all = app.get_list(&app.admin_token, "/api/v1/settings").await;
    assert_eq!(setting(&all, "incident_lead_policy")["source"], "file");
    assert_eq!(setting(&all, "incident_lead_policy")["value"], Value::Null);
    let again = declare("After the reset").await["id"].as_i64().unwrap();
    assert_eq!(lead_pages(again).await, 0);

    let audit = app
        .get_list(&app.admin_token, "/api/v1/audit?limit=500")
        .await;
    let on = |target: &str| -> Vec<String> {
        audit
            .iter()
            .filter(|e| e["target"] == target)
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut lead = on("setting:incident_lead_policy");
    lead.sort();
    assert_eq!(lead, ["setting.put", "setting.reset"]);
    assert_eq!(on("setting:leadership"), ["setting.put"]);
}

on_both_databases!(
    settings_in_the_web_sqlite,
    settings_in_the_web_postgres,
    |app| settings_in_the_web_page_at_once_and_are_audited(app).await
);

#[tokio::test]
async fn the_settings_api_checks_roles_keys_and_values() {
    let app = spawn().await;
    lead_and_policy(&app).await;
    let lead = app.user("lead2", "lead").await;
    let responder = app.user("r1", "responder").await;
    app.user("gone", "responder").await;
    app.patch_expect(
        &app.admin_token,
        "/api/v1/users/gone",
        json!({"disabled": true}),
        200,
    )
    .await;

    assert_eq!(app.get(&responder, "/api/v1/settings").await.0, 403);
    let (s, _) = app
        .put(
            &responder,
            "/api/v1/settings/leadership",
            json!({"value": ["lead1"]}),
        )
        .await;
    assert_eq!(s, 403);
    let p = app
        .put_expect(
            &lead,
            "/api/v1/settings/late_after_secs",
            json!({"value": 5}),
            404,
        )
        .await;
    assert_contains(p["detail"].to_string(), "late_after_secs");
    for (key, value, status) in [
        ("leadership", json!(["ghost"]), 422),
        ("leadership", json!(["gone"]), 422),
        ("fallback", json!("lead1"), 400),
        ("incident_lead_policy", json!("missing"), 422),
        ("incident_lead_policy", json!(7), 400),
    ] {
        let p = app
            .put_expect(
                &lead,
                &format!("/api/v1/settings/{key}"),
                json!({"value": value}),
                status,
            )
            .await;
        assert_eq!(p["field"], "value", "{key} {value}: {p}");
    }
    let p = app
        .put_expect(
            &lead,
            "/api/v1/settings/fallback",
            json!({"value": [], "x": 1}),
            400,
        )
        .await;
    assert_contains(p["detail"].to_string(), "x");
    // Nothing was stored by the refusals.
    let all = app.get_list(&lead, "/api/v1/settings").await;
    assert!(all.iter().all(|s| s["source"] == "file"), "{all:?}");

    // Leads may change them.
    let v = app
        .put_expect(
            &lead,
            "/api/v1/settings/fallback",
            json!({"value": ["lead1"]}),
            200,
        )
        .await;
    assert_eq!(
        (v["value"].clone(), v["updated_by"].clone()),
        (json!(["lead1"]), json!("lead2"))
    );
    let (s, v) = app
        .send(
            reqwest::Method::DELETE,
            &lead,
            "/api/v1/settings/fallback",
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["source"], "file");
}

#[tokio::test]
async fn a_new_install_opens_on_the_checklist_until_every_step_is_done() {
    let app = &spawn().await;
    let http = no_redirects();
    let cookie = web_session(app, &http, "admin", &app.admin_password).await;
    let (s, html) = page(app, &http, &cookie, "/").await;
    assert_eq!(s, 200);
    assert_contains(&html, "Getting started");
    assert_contains(&html, "0 of 7 steps done");
    for (id, href) in [
        ("people", "/admin/users"),
        ("contact", "/admin/users"),
        ("test-page", "/admin/users"),
        ("schedule", "/admin/schedules"),
        ("policy", "/admin/policies"),
        ("lead-policy", "/admin/settings"),
        ("monitoring", "/admin/integrations"),
    ] {
        let at = html
            .find(&format!("id=\"step-{id}\" class=\"todo\""))
            .unwrap_or_else(|| panic!("{id} to do"));
        assert_contains(&html[at..at + 400], format!("href=\"{href}\""));
    }

    // Each step ticks by itself from what exists.
    lead_and_policy(app).await;
    app.put_expect(
        &app.admin_token,
        "/api/v1/schedules/primary",
        json!({"name": "primary", "time_zone": "Europe/Berlin",
            "layers": [{"name": "daily", "rotation": {"name": "daily", "participants": ["lead1"],
                "shift": {"days": 1}, "handoff": "2020-01-01T09:00:00", "time_zone": "Europe/Berlin"}}]}),
        200,
    )
    .await;
    let (_, html) = page(app, &http, &cookie, "/").await;
    assert_contains(&html, "4 of 7 steps done");
    for id in ["people", "contact", "schedule", "policy"] {
        assert_contains(&html, format!("id=\"step-{id}\" class=\"done\""));
    }
    app.put_expect(
        &app.admin_token,
        "/api/v1/settings/incident_lead_policy",
        json!({"value": "incident-lead"}),
        200,
    )
    .await;
    app.post_expect(
        &app.admin_token,
        "/api/v1/intake/integrations",
        json!({"name": "prom", "kind": "alertmanager"}),
        201,
    )
    .await;
    let (_, html) = page(app, &http, &cookie, "/").await;
    assert_contains(&html, "6 of 7 steps done");
    assert_contains(&html, "id=\"step-test-page\" class=\"todo\"");
    // The integration's service account is not counted as a person.
    assert_contains(&html, "2 people so far");

    // The hub shows the same checklist and the set-up pages; the navigation
    // marks Set-up.
    let (s, html) = page(app, &http, &cookie, "/admin").await;
    assert_eq!(s, 200);
    assert_contains(&html, "6 of 7 steps done");
    assert_contains(&html, "href=\"/admin/routing\"");
    assert_contains(&html, "<a href=\"/admin\" aria-current=\"page\">Set-up</a>");

    // Someone who cannot set up goes to the incidents, and the hub is
    // refused to them.
    app.user("r1", "responder").await;
    let r = web_session(app, &http, "r1", "a long enough password").await;
    let res = http
        .get(format!("{}/", app.url))
        .header("cookie", &r)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()["location"].to_str().unwrap()
        ),
        (303, "/incidents")
    );
    let (s, _) = page(app, &http, &r, "/admin").await;
    assert_eq!(s, 403);
    let (s, _) = page(app, &http, &r, "/admin/settings").await;
    assert_eq!(s, 403);
    let (_, html) = page(app, &http, &r, "/incidents").await;
    assert!(
        !html.contains("href=\"/admin\""),
        "no Set-up link for a responder"
    );

    // A lead sees the monitoring step without a link it may not follow.
    app.user("lead3", "lead").await;
    let l = web_session(app, &http, "lead3", "a long enough password").await;
    let (s, html) = page(app, &http, &l, "/").await;
    assert_eq!(s, 200);
    let at = html.find("id=\"step-monitoring\"").unwrap();
    assert!(!html[at..at + 400].contains("href=\"/admin/integrations\""));
    assert_contains(&html[at..at + 600], "An admin does this step.");
}
