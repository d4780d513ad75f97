//! A user's admin page and its API twins, over real HTTP: the page shows
//! the user's contact methods (never their secrets); adding one with bad
//! input names the field and stores nothing; removing one; resetting a
//! password ends the user's sessions and only the new password signs in; a
//! test page goes through the outbox with the workers running and its
//! result page says delivered, or failed with the error; anyone who may not
//! manage users gets 403 on every route of the page. Then the API routes:
//! reset-password, removing a contact method, sending a test page and
//! reading it, with problem bodies naming the field, on both databases.

use std::time::Duration;

use firebreak_server::notify::{Notifier, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};
use firebreak_testkit::web::post_form;
use firebreak_testkit::{WebhookReceiver, assert_contains, assert_lacks, eventually};
use serde_json::{Value, json};

use crate::harness::{TestApp, on_both_databases, spawn};

use firebreak_testkit::web::WebSession as Session;

async fn sign_in(app: &TestApp, user: &str, password: &str) -> Option<Session> {
    Session::try_sign_in(app, user, password).await
}

async fn admin(app: &TestApp) -> Session {
    sign_in(app, "admin", &app.admin_password)
        .await
        .expect("the admin signs in")
}

async fn contacts_of(app: &TestApp, user: &str) -> Vec<Value> {
    app.get_list(
        &app.admin_token,
        &format!("/api/v1/users/{user}/contact-methods"),
    )
    .await
}

/// Workers running in the background, as `serve` runs them; stopped when
/// dropped.
struct Running(tokio::sync::watch::Sender<bool>);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

async fn run_workers(app: &TestApp) -> Running {
    let notifier = Notifier::new(None, Templates::default()).unwrap();
    let workers = Workers::new(app.state.clone(), notifier, WorkerConfig::default())
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(workers.run(stopped));
    Running(stop)
}

#[tokio::test]
async fn the_user_page_lists_adds_and_removes_contact_methods_through_the_apis_rules() {
    let app = spawn().await;
    app.user("alice", "responder").await;
    let a = admin(&app).await;

    // The users page links each user to their page.
    let (s, html) = a.get(&app, "/admin/users").await;
    assert_eq!(s, 200);
    assert_contains(
        &html,
        r#"<a id="user-link-alice" href="/admin/users/alice">"#,
    );
    let (s, html) = a.get(&app, "/admin/users/alice").await;
    assert_eq!(s, 200, "{html}");
    assert_contains(&html, "No contact methods yet");
    for id in [
        "contact-kind",
        "contact-label",
        "contact-target",
        "contact-submit",
    ] {
        assert_contains(&html, format!("id=\"{id}\""));
    }
    assert_contains(&html, r#"<option value="webhook""#);

    // Bad input: the error names the field, nothing is stored.
    for (fields, named) in [
        (
            [
                ("kind", "webhook"),
                ("label", "pager"),
                ("target", "not a url"),
                ("secret", ""),
            ],
            "Target:",
        ),
        (
            [
                ("kind", "webhook"),
                ("label", " "),
                ("target", "https://pager.example/hook"),
                ("secret", ""),
            ],
            "Label:",
        ),
        (
            [
                ("kind", "pigeon"),
                ("label", "pager"),
                ("target", "https://pager.example/hook"),
                ("secret", ""),
            ],
            "Kind:",
        ),
        (
            [
                ("kind", "email"),
                ("label", "mail"),
                ("target", "alice@example.com"),
                ("secret", "s3cret"),
            ],
            "Signing secret:",
        ),
    ] {
        let (s, location, html) = a
            .post_following(&app, "/admin/users/alice/contacts", &fields)
            .await;
        assert_eq!((s, location.as_str()), (303, "/admin/users/alice"));
        assert_contains(&html, named);
        assert!(contacts_of(&app, "alice").await.is_empty(), "{fields:?}");
    }

    // A signed webhook: listed, its secret never shown.
    let (s, _, html) = a
        .post_following(
            &app,
            "/admin/users/alice/contacts",
            &[
                ("kind", "webhook"),
                ("label", "phone pager"),
                ("target", "https://pager.example/hook"),
                ("secret", "whsec_do_not_show"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    assert_contains(&html, "Contact method “phone pager” added");
    assert_contains(&html, "https://pager.example/hook");
    assert_contains(&html, "webhook (signed)");
    assert_lacks(&html, "whsec_do_not_show");
    let list = contacts_of(&app, "alice").await;
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_i64().unwrap();
    assert_contains(&html, format!("id=\"test-page-{id}\""));
    // Slack's URL is its credential: only its site is shown.
    a.post_following(
        &app,
        "/admin/users/alice/contacts",
        &[
            ("kind", "slack"),
            ("label", "team channel"),
            (
                "target",
                "https://hooks.slack.com/services/T0/B0/secretpath",
            ),
            ("secret", ""),
        ],
    )
    .await;
    let (_, html) = a.get(&app, "/admin/users/alice").await;
    assert_contains(&html, "team channel");
    assert_lacks(&html, "secretpath");

    // Removing one leaves the other, and is audited.
    let (s, _, html) = a
        .post_following(
            &app,
            &format!("/admin/users/alice/contacts/{id}/remove"),
            &[],
        )
        .await;
    assert_eq!(s, 303);
    assert_contains(&html, "Contact method “phone pager” removed");
    let list = contacts_of(&app, "alice").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["label"], "team channel");
    let audit = app
        .get_list(&app.admin_token, "/api/v1/audit?limit=50")
        .await;
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "contact.remove" && e["target"] == "user:alice"),
        "{audit:?}"
    );
    // Removing it again: not found, nothing changes.
    let (_, _, html) = a
        .post_following(
            &app,
            &format!("/admin/users/alice/contacts/{id}/remove"),
            &[],
        )
        .await;
    assert_contains(&html, "not found");

    // The change form comes back to the user page when asked to.
    let (s, location, html) = a
        .post_following(
            &app,
            "/admin/users/alice",
            &[
                ("change", "role"),
                ("role", "lead"),
                ("back", "/admin/users/alice"),
            ],
        )
        .await;
    assert_eq!((s, location.as_str()), (303, "/admin/users/alice"));
    assert_contains(&html, "alice is now lead");
    let (_, location, _) = a
        .post_following(
            &app,
            "/admin/users/alice",
            &[
                ("change", "role"),
                ("role", "lead"),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(location, "/admin/users");

    // An unknown user is the 404 page.
    let (s, html) = a.get(&app, "/admin/users/nobody").await;
    assert_eq!(s, 404);
    assert_contains(&html, "not found");
}

#[tokio::test]
async fn resetting_a_password_ends_the_users_sessions_and_only_the_new_one_signs_in() {
    let app = spawn().await;
    app.user("alice", "responder").await;
    let old = "a long enough password";
    let alice = sign_in(&app, "alice", old).await.expect("alice signs in");
    let a = admin(&app).await;

    // Too short: refused naming the field; the old password still works.
    let (s, _, html) = a
        .post_following(
            &app,
            "/admin/users/alice/password",
            &[("password", "short")],
        )
        .await;
    assert_eq!(s, 303);
    assert_contains(&html, "New password:");
    assert!(sign_in(&app, "alice", old).await.is_some());

    let new = "correct horse battery staple";
    let (s, _, html) = a
        .post_following(&app, "/admin/users/alice/password", &[("password", new)])
        .await;
    assert_eq!(s, 303);
    assert_contains(&html, "password is reset; their 2 sessions ended");
    // Her open session ended.
    let res = alice
        .http
        .get(format!("{}/incidents", app.url))
        .header("cookie", &alice.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "her session ended");
    assert!(
        sign_in(&app, "alice", old).await.is_none(),
        "the old password fails"
    );
    assert!(
        sign_in(&app, "alice", new).await.is_some(),
        "the new one signs in"
    );
    let audit = app
        .get_list(&app.admin_token, "/api/v1/audit?limit=50")
        .await;
    let reset = audit
        .iter()
        .find(|e| e["action"] == "user.password_reset")
        .unwrap_or_else(|| panic!("{audit:?}"));
    assert_eq!(reset["target"], "user:alice");
    assert!(reset["details"]["sessions_ended"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn anyone_who_may_not_manage_users_gets_403_on_every_route_of_the_user_page() {
    let app = spawn().await;
    app.user("alice", "responder").await;
    app.user("lee", "lead").await;
    let hook = WebhookReceiver::start();
    let cm = app
        .post_expect(
            &app.admin_token,
            "/api/v1/users/alice/contact-methods",
            json!({"label": "pager", "channel": {"kind": "webhook", "url": hook.url}}),
            201,
        )
        .await;
    let id = cm["id"].as_i64().unwrap();
    let tp = app
        .post_expect(
            &app.admin_token,
            &format!("/api/v1/users/alice/contact-methods/{id}/test"),
            json!({}),
            202,
        )
        .await;
    let tp = tp["id"].as_i64().unwrap();
    for who in ["alice", "lee"] {
        let s = sign_in(&app, who, "a long enough password").await.unwrap();
        for path in [
            "/admin/users/alice".to_owned(),
            format!("/admin/users/alice/test-pages/{tp}"),
        ] {
            assert_eq!(s.get(&app, &path).await.0, 403, "{who} GET {path}");
        }
        for (path, fields) in [
            (
                "/admin/users/alice/password".to_owned(),
                vec![("password", "another long password")],
            ),
            (
                "/admin/users/alice/contacts".to_owned(),
                vec![
                    ("kind", "webhook"),
                    ("label", "x"),
                    ("target", "https://x.example/"),
                    ("secret", ""),
                ],
            ),
            (format!("/admin/users/alice/contacts/{id}/remove"), vec![]),
            (format!("/admin/users/alice/contacts/{id}/test"), vec![]),
        ] {
            let (status, _, _) = s.post_following(&app, &path, &fields).await;
            assert_eq!(status, 403, "{who} POST {path}");
        }
    }
    // Nothing changed: one contact method, one test page, the old password.
    assert_eq!(contacts_of(&app, "alice").await.len(), 1);
    assert!(
        sign_in(&app, "alice", "a long enough password")
            .await
            .is_some()
    );
    let audit = app
        .get_list(&app.admin_token, "/api/v1/audit?limit=100")
        .await;
    assert_eq!(
        audit
            .iter()
            .filter(|e| e["action"] == "test_page.send")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_test_page_is_delivered_through_the_outbox_and_its_page_says_so() {
    let app = spawn().await;
    app.user("alice", "responder").await;
    let mut hook = WebhookReceiver::start();
    let _workers = run_workers(&app).await;
    let a = admin(&app).await;
    a.post_following(
        &app,
        "/admin/users/alice/contacts",
        &[
            ("kind", "webhook"),
            ("label", "pager"),
            ("target", &hook.url),
            ("secret", ""),
        ],
    )
    .await;
    a.post_following(
        &app,
        "/admin/users/alice/contacts",
        &[
            ("kind", "webhook"),
            ("label", "dead"),
            ("target", "http://127.0.0.1:9/"),
            ("secret", ""),
        ],
    )
    .await;
    let list = contacts_of(&app, "alice").await;
    let (good, dead) = (
        list[0]["id"].as_i64().unwrap(),
        list[1]["id"].as_i64().unwrap(),
    );
    assert_eq!(
        app.store
            .first_run_facts()
            .await
            .unwrap()
            .test_pages_delivered,
        0
    );

    let res = post_form(
        &app,
        &a.http,
        &a.cookie,
        &format!("/admin/users/alice/contacts/{good}/test"),
        &[("csrf", &a.csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let result = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        result.starts_with("/admin/users/alice/test-pages/"),
        "{result}"
    );
    let html = eventually(
        Duration::from_secs(10),
        "the test page's result",
        || async {
            let (_, html) = a.get(&app, &result).await;
            (!html.contains(r#"data-state="pending""#)).then_some(html)
        },
    )
    .await;
    assert_contains(&html, r#"data-state="delivered""#);
    hook.wait_for(Duration::from_secs(10), "the test page", |all| {
        all.iter().any(|d| d.recipient() == "alice")
    });
    let d = hook
        .all()
        .into_iter()
        .find(|d| d.recipient() == "alice")
        .unwrap();
    assert_eq!(d.body["event"], "test");
    assert!(d.incident().is_empty(), "{:#?}", d.body);
    assert_contains(&html, r#"id="test-result""#);
    assert_contains(&html, "Delivered.");
    assert_eq!(
        app.store
            .first_run_facts()
            .await
            .unwrap()
            .test_pages_delivered,
        1
    );

    // An unreachable target fails, once, with the error shown; the
    // checklist does not count it.
    let res = post_form(
        &app,
        &a.http,
        &a.cookie,
        &format!("/admin/users/alice/contacts/{dead}/test"),
        &[("csrf", &a.csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let result = res.headers()["location"].to_str().unwrap().to_owned();
    let html = eventually(Duration::from_secs(15), "the page says failed", || async {
        let (_, html) = a.get(&app, &result).await;
        html.contains(r#"data-state="failed""#).then_some(html)
    })
    .await;
    assert_contains(&html, "Failed.");
    assert_contains(&html, r#"id="test-error""#);
    assert_lacks(&html, "Error: <code id=\"test-error\">unknown");
    assert_eq!(
        app.store
            .first_run_facts()
            .await
            .unwrap()
            .test_pages_delivered,
        1
    );
    // The user page lists both results.
    let (_, html) = a.get(&app, "/admin/users/alice").await;
    assert_contains(&html, "delivered");
    assert_contains(&html, "failed");
}

/// The problem body of an answer: its status, content type and field.
async fn problem(res: reqwest::Response) -> (u16, String, Value) {
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    (status, ct, res.json().await.unwrap())
}

on_both_databases!(
    the_people_api_resets_passwords_removes_contacts_and_sends_test_pages,
    the_people_api_resets_passwords_removes_contacts_and_sends_test_pages_on_postgres,
    |app| people_api(app).await
);

async fn people_api(app: TestApp) {
    let alice = app.user("alice", "responder").await;
    app.user("bob", "responder").await;
    let mut hook = WebhookReceiver::start();
    let t = app.admin_token.clone();
    let url = |p: &str| format!("{}{p}", app.url);

    // Reset a password: admins only; a short one is refused naming it.
    let res = app
        .http
        .post(url("/api/v1/users/bob/reset-password"))
        .bearer_auth(&t)
        .json(&json!({"password": "short"}))
        .send()
        .await
        .unwrap();
    let (s, ct, p) = problem(res).await;
    assert_eq!((s, ct.as_str()), (422, "application/problem+json"));
    assert_eq!(p["field"], "password");
    let (s, p) = app
        .post(
            &alice,
            "/api/v1/users/bob/reset-password",
            json!({"password": "a brand new password"}),
        )
        .await;
    assert_eq!(s, 403, "{p}");
    let (s, _) = app
        .post(
            &t,
            "/api/v1/users/nobody/reset-password",
            json!({"password": "a brand new password"}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, p) = app
        .post(
            &t,
            "/api/v1/users/bob/reset-password",
            json!({"password": "a brand new password", "extra": 1}),
        )
        .await;
    assert_eq!(s, 400, "{p}");
    let (s, _) = app
        .post(
            &t,
            "/api/v1/users/bob/reset-password",
            json!({"password": "a brand new password"}),
        )
        .await;
    assert_eq!(s, 204);
    assert!(sign_in(&app, "bob", "a brand new password").await.is_some());

    // alice's own contact method (an admin sets it: a user's own target
    // may not be loopback): she may test and remove it, not bob's.
    let cm = app
        .post_expect(
            &t,
            "/api/v1/users/alice/contact-methods",
            json!({"label": "lab pager", "channel": {"kind": "webhook", "url": hook.url}}),
            201,
        )
        .await;
    let id = cm["id"].as_i64().unwrap();
    let bobs = app
        .post_expect(
            &t,
            "/api/v1/users/bob/contact-methods",
            json!({"label": "pager", "channel": {"kind": "webhook", "url": "https://pager.example/bob"}}),
            201,
        )
        .await;
    let bobs = bobs["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &alice,
            &format!("/api/v1/users/bob/contact-methods/{bobs}/test"),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .send(
            reqwest::Method::DELETE,
            &alice,
            &format!("/api/v1/users/bob/contact-methods/{bobs}"),
            None,
        )
        .await;
    assert_eq!(s, 403);
    // bob's method is not alice's: 404 through her path.
    let (s, _) = app
        .post(
            &t,
            &format!("/api/v1/users/alice/contact-methods/{bobs}/test"),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post(
            &t,
            "/api/v1/users/alice/contact-methods/abc/test",
            json!({}),
        )
        .await;
    assert_eq!(s, 404);

    let (s, tp) = app
        .post(
            &alice,
            &format!("/api/v1/users/alice/contact-methods/{id}/test"),
            json!({}),
        )
        .await;
    assert_eq!(s, 202, "{tp}");
    assert_eq!(tp["state"], "pending");
    assert_eq!(tp["user"], "alice");
    assert_eq!(tp["contact_label"], "lab pager");
    assert_eq!(tp["channel"], "webhook");
    assert_eq!(tp["requested_by"], "alice");
    let tp_path = format!("/api/v1/users/alice/test-pages/{}", tp["id"]);
    let notifier = Notifier::new(None, Templates::default()).unwrap();
    let workers = Workers::new(app.state.clone(), notifier, WorkerConfig::default())
        .await
        .unwrap();
    workers.run_once(chrono::Utc::now()).await.unwrap();
    hook.wait_for(Duration::from_secs(10), "the test page", |all| {
        all.iter().any(|d| d.body["event"] == "test")
    });
    let got = app.get_expect(&alice, &tp_path, 200).await;
    assert_eq!(got["state"], "delivered", "{got}");
    assert!(got["delivered_at"].is_string());
    assert_eq!(
        app.store
            .first_run_facts()
            .await
            .unwrap()
            .test_pages_delivered,
        1
    );
    // Through bob's path, or by bob: not there / not allowed.
    let (s, _) = app
        .get(&t, &format!("/api/v1/users/bob/test-pages/{}", tp["id"]))
        .await;
    assert_eq!(s, 404);
    let bob = app.user("carol", "responder").await;
    let (s, _) = app.get(&bob, &tp_path).await;
    assert_eq!(s, 403);

    // Remove: 204, then 404; the test page stays readable.
    let path = format!("/api/v1/users/alice/contact-methods/{id}");
    let (s, _) = app.send(reqwest::Method::DELETE, &alice, &path, None).await;
    assert_eq!(s, 204);
    let res = app
        .http
        .delete(url(&path))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let (s, ct, _) = problem(res).await;
    assert_eq!((s, ct.as_str()), (404, "application/problem+json"));
    assert_eq!(
        app.get_expect(&alice, &tp_path, 200).await["state"],
        "delivered"
    );

    // The four routes are in the OpenAPI document, with the test page's
    // schema.
    let doc = app.get_expect(&t, "/api/v1/openapi.json", 200).await;
    for (p, method) in [
        ("/api/v1/users/{name}/reset-password", "post"),
        ("/api/v1/users/{name}/contact-methods/{id}", "delete"),
        ("/api/v1/users/{name}/contact-methods/{id}/test", "post"),
        ("/api/v1/users/{name}/test-pages/{id}", "get"),
    ] {
        assert!(
            doc["paths"][p][method].is_object(),
            "{method} {p} missing from the OpenAPI document"
        );
    }
    let props = doc["components"]["schemas"]["TestPage"]["properties"]
        .as_object()
        .expect("the TestPage schema");
    for f in [
        "id",
        "user",
        "contact_method_id",
        "state",
        "error",
        "delivered_at",
    ] {
        assert!(props.contains_key(f), "TestPage lacks {f}");
    }
    assert!(doc["components"]["schemas"]["ResetPassword"].is_object());
}
