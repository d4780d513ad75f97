//! What a new user's walk through the set-up pages and an attack on them
//! found (issue 10): each finding, one test.

use chrono::{Duration, Utc};
use firebreak_testkit::assert_contains;
use firebreak_testkit::web::{first_cookie, no_redirects, page, post_login};
use serde_json::json;

use crate::harness::spawn;
use crate::intake::integration;

/// An integration's service user acts only through its integration's key:
/// it cannot be enabled, re-roled or given a password (which would let
/// someone sign in as the integration), and no user may take its name.
#[tokio::test]
async fn an_integrations_service_user_never_signs_in() {
    let app = spawn().await;
    integration(&app, json!({"name": "prom", "kind": "alertmanager"})).await;
    let path = "/api/v1/users/intake.prom";
    for (body, field) in [
        (json!({"disabled": false}), "disabled"),
        (json!({"role": "admin"}), "role"),
    ] {
        let (s, p) = app.patch(&app.admin_token, path, body).await;
        assert_eq!(s, 422, "{p}");
        assert_eq!(p["field"], field, "{p}");
    }
    let (s, p) = app
        .post(
            &app.admin_token,
            "/api/v1/users/intake.prom/reset-password",
            json!({"password": "a long enough password"}),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["field"], "password", "{p}");
    let (s, p) = app
        .post(
            &app.admin_token,
            "/api/v1/users",
            json!({"name": "intake.other", "role": "admin", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["field"], "name", "{p}");
    // Still disabled, and it cannot sign in.
    let users = app.get_list(&app.admin_token, "/api/v1/users").await;
    let u = users
        .iter()
        .find(|u| u["name"] == "intake.prom")
        .expect("the service user is listed");
    assert_eq!(u["disabled"], true, "{u}");
    let http = no_redirects();
    let res = post_login(&app, &http, "intake.prom", "a long enough password", None).await;
    assert_ne!(
        res.headers()
            .get("location")
            .map(|l| l.to_str().unwrap_or("")),
        Some("/")
    );
    // The pages offer no form that would be refused.
    let res = post_login(&app, &http, "admin", &app.admin_password, None).await;
    let cookie = first_cookie(&res);
    let (_, html) = page(&app, &http, &cookie, "/admin/users/intake.prom").await;
    assert_contains(&html, "id=\"service-user-note\"");
    assert!(
        !html.contains("/admin/users/intake.prom/password"),
        "{html}"
    );
    assert!(
        !html.contains("action=\"/admin/users/intake.prom\""),
        "{html}"
    );
    let (_, html) = page(&app, &http, &cookie, "/admin/users").await;
    assert!(
        !html.contains("action=\"/admin/users/intake.prom\""),
        "{html}"
    );
}

/// `.` and `..` would be path segments in every URL naming the user.
#[tokio::test]
async fn dot_names_are_refused() {
    let app = spawn().await;
    for name in [".", "..", "..."] {
        let (s, p) = app
            .post(
                &app.admin_token,
                "/api/v1/users",
                json!({"name": name, "role": "viewer", "password": "a long enough password"}),
            )
            .await;
        assert_eq!(s, 422, "{name}: {p}");
        assert_eq!(p["field"], "name", "{p}");
    }
}

/// A responder may set silences, but not one that mutes every alert
/// (Alertmanager's own rule lets `alertname!~"^$"` through).
#[tokio::test]
async fn a_silence_must_name_what_it_silences() {
    let app = spawn().await;
    let responder = app.user("rita", "responder").await;
    let until = (Utc::now() + Duration::hours(1)).to_rfc3339();
    for matchers in [
        json!(["alertname!~\"^$\""]),
        json!(["severity=~\".+\""]),
        json!(["severity=~\".*\"", "alertname!=\"x\""]),
    ] {
        let (s, p) = app
            .post(
                &responder,
                "/api/v1/intake/silences",
                json!({"matchers": matchers, "ends_at": until, "reason": "everything"}),
            )
            .await;
        assert_eq!(s, 422, "{matchers}: {p}");
        assert_eq!(p["field"], "matchers", "{p}");
    }
    let (s, p) = app
        .post(
            &responder,
            "/api/v1/intake/silences",
            json!({"matchers": ["instance=~\"db-.*\""], "ends_at": until, "reason": "db work"}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
}

/// After an upgrade a browser must not keep the old script or stylesheet
/// for an hour: both are revalidated by their ETag.
#[tokio::test]
async fn static_files_are_revalidated_by_etag() {
    let app = spawn().await;
    let http = no_redirects();
    for path in ["/static/app.js", "/static/app.css"] {
        let res = http.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert!(!res.text().await.unwrap().is_empty());
        let again = http
            .get(format!("{}{path}", app.url))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        let other = http
            .get(format!("{}{path}", app.url))
            .header("if-none-match", "\"0000000000000000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200, "{path}");
    }
}

/// An address no route answers: a page for a browser, a problem body for
/// the API.
#[tokio::test]
async fn an_unknown_address_is_a_page_for_a_browser() {
    let app = spawn().await;
    let http = no_redirects();
    let res = http
        .get(format!("{}/nonexistent", app.url))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_contains(res.text().await.unwrap(), "Nothing lives at /nonexistent.");
    let res = http
        .get(format!("{}/api/v1/nonexistent", app.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

/// Without `[smtp]` the contact form starts on a webhook, the kind that
/// can be sent; the settings page calls an unset value the default.
#[tokio::test]
async fn a_new_install_offers_what_it_can_send() {
    let app = spawn().await;
    let s = firebreak_testkit::web::WebSession::admin(&app).await;
    let (_, html) = s.get(&app, "/admin/users/admin").await;
    assert_contains(&html, "<option value=\"webhook\" selected>");
    let (_, html) = s.get(&app, "/admin/settings").await;
    assert_contains(&html, "<span class=\"tag\">default</span>");
}

/// Test pages share the outbox with real pages: one on its way per contact
/// method, at most 20 an hour per user (a review finding: any user could
/// queue thousands ahead of real pages).
#[tokio::test]
async fn test_pages_cannot_flood_the_outbox() {
    let app = spawn().await;
    let viewer = app.user("vera", "viewer").await;
    let mut ids = Vec::new();
    for n in 0..21 {
        let (s, c) = app
            .post(
                &viewer,
                "/api/v1/users/vera/contact-methods",
                json!({"label": format!("hook {n}"), "channel": {"kind": "webhook", "url": format!("https://pager.example/{n}")}}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    // No workers run here: every test page stays on its way.
    let test = |id: i64| format!("/api/v1/users/vera/contact-methods/{id}/test");
    let (s, p) = app.post(&viewer, &test(ids[0]), json!({})).await;
    assert_eq!(s, 202, "{p}");
    let (s, p) = app.post(&viewer, &test(ids[0]), json!({})).await;
    assert_eq!(s, 409, "{p}");
    assert_contains(p["detail"].as_str().unwrap_or(""), "still on its way");
    for id in &ids[1..20] {
        let (s, p) = app.post(&viewer, &test(*id), json!({})).await;
        assert_eq!(s, 202, "{p}");
    }
    let (s, p) = app.post(&viewer, &test(ids[20]), json!({})).await;
    assert_eq!(s, 409, "{p}");
    assert_contains(
        p["detail"].as_str().unwrap_or(""),
        "20 test pages in the last hour",
    );
}

/// A start near chrono's last year plus a duration is refused, not a panic
/// (a review finding).
#[tokio::test]
async fn a_silence_ending_past_the_calendar_is_refused() {
    let app = spawn().await;
    let s = firebreak_testkit::web::WebSession::admin(&app).await;
    let (status, _, html) = s
        .post_following(
            &app,
            "/admin/silences",
            &[
                ("matchers", "alertname=\"DiskFull\""),
                ("starts", "+262142-12-31 23:00"),
                ("duration", "2d"),
                ("reason", "far"),
            ],
        )
        .await;
    assert_ne!(status, 500);
    assert_contains(&html, "262143");
    let silences = app
        .get_list(&app.admin_token, "/api/v1/intake/silences")
        .await;
    assert!(silences.is_empty(), "{silences:?}");
}
