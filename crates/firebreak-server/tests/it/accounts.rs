//! Issue 8, items 13 and 14: sign-in throttling and its audit, and tokens,
//! roles and disabled users over the API and the web users page.

use firebreak_testkit::assert_contains;
use firebreak_testkit::json::strs_of;
use firebreak_testkit::web::{csrf_in, no_redirects, page, post_form, post_login};
use serde_json::{Value, json};

use crate::harness::{TestApp, on_both_databases, spawn};

async fn sign_in(
    app: &TestApp,
    http: &reqwest::Client,
    user: &str,
    password: &str,
) -> reqwest::Response {
    post_login(app, http, user, password, Some("/incidents")).await
}

/// The session cookie (`name=value`) a successful sign-in set.
fn session_of(res: &reqwest::Response) -> String {
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("fb_session="))
        .expect("a session cookie");
    cookie.split(';').next().unwrap().to_owned()
}

/// The actions of the audit entries on `target`, newest first.
async fn actions_on(app: &TestApp, target: &str) -> Vec<String> {
    audit_actions(app)
        .await
        .iter()
        .filter(|e| e["target"] == target)
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn audit_actions(app: &TestApp) -> Vec<Value> {
    app.get_list(&app.admin_token, "/api/v1/audit?limit=500")
        .await
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_and_failures_and_logouts_are_audited() {
    let app = spawn().await;
    app.user("ada", "responder").await;
    let http = no_redirects();
    for _ in 0..5 {
        let res = sign_in(&app, &http, "ada", "not the password at all").await;
        assert_eq!(res.status(), 303);
        // No session: the only cookie is the one-time flash message.
        assert!(
            res.headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("fb_session=")),
            "{:?}",
            res.headers()
        );
    }
    // Locked now: even the right password waits, told how long.
    let res = sign_in(&app, &http, "ada", "a long enough password").await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("fb_session=")),
        "no session while locked"
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins")
    );
    // Another account is not locked by ada's failures.
    app.user("bob", "responder").await;
    let res = sign_in(&app, &http, "bob", "a long enough password").await;
    assert_eq!(res.status(), 303);
    let cookie = session_of(&res);
    let (s, html) = page(&app, &http, &cookie, "/incidents").await;
    assert_eq!(s, 200);
    let csrf = csrf_in(&html);
    let res = post_form(&app, &http, &cookie, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);

    let audit = audit_actions(&app).await;
    let failed: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "session.login_failed")
        .collect();
    assert_eq!(failed.len(), 5, "{audit:?}");
    assert_eq!(failed[0]["target"], "user:ada");
    assert_eq!(failed[0]["details"]["reason"], "wrong password");
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "session.logout" && e["target"] == "user:bob"),
        "{audit:?}"
    );
}

on_both_databases!(
    disabling_a_user_stops_their_token_and_session_at_once,
    disabling_a_user_stops_their_token_and_session_at_once_on_postgres,
    |app| disabling_stops_tokens_and_sessions(app).await
);

async fn disabling_stops_tokens_and_sessions(app: TestApp) {
    let token = app.user("r1", "responder").await;
    let http = no_redirects();
    let res = sign_in(&app, &http, "r1", "a long enough password").await;
    assert_eq!(res.status(), 303);
    let cookie = session_of(&res);
    assert_eq!(app.get(&token, "/api/v1/me").await.0, 200);
    assert_eq!(page(&app, &http, &cookie, "/incidents").await.0, 200);

    // Only admins change users.
    app.patch_expect(&token, "/api/v1/users/r1", json!({"role": "admin"}), 403)
        .await;
    let b = app
        .patch_expect(
            &app.admin_token,
            "/api/v1/users/r1",
            json!({"disabled": true}),
            200,
        )
        .await;
    assert_eq!(b["disabled"], true);
    assert_eq!(app.get(&token, "/api/v1/me").await.0, 401);
    let (s, _) = page(&app, &http, &cookie, "/incidents").await;
    assert_eq!(s, 303, "the session is signed out");
    // Enabled again: the token works; the ended session stays ended.
    let b = app
        .patch_expect(
            &app.admin_token,
            "/api/v1/users/r1",
            json!({"disabled": false, "role": "viewer"}),
            200,
        )
        .await;
    assert_eq!(b["role"], "viewer");
    let (s, me) = app.get(&token, "/api/v1/me").await;
    assert_eq!((s, &me["role"]), (200, &json!("viewer")));
    assert_eq!(page(&app, &http, &cookie, "/incidents").await.0, 303);
    // The last enabled admin stays one.
    for (user, change, status) in [
        ("admin", json!({"disabled": true}), 409),
        ("admin", json!({"role": "lead"}), 409),
        ("r1", json!({"colour": "red"}), 400),
    ] {
        let path = format!("/api/v1/users/{user}");
        app.patch_expect(&app.admin_token, &path, change, status)
            .await;
    }

    let actions = actions_on(&app, "user:r1").await;
    for a in ["user.disable", "user.enable", "user.role"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

on_both_databases!(
    users_list_and_revoke_their_own_tokens,
    users_list_and_revoke_their_own_tokens_on_postgres,
    |app| list_and_revoke(app).await
);

async fn list_and_revoke(app: TestApp) {
    let first = app.user("r2", "responder").await;
    let other = app.user("r3", "responder").await;
    let b = app
        .post_expect(&first, "/api/v1/tokens", json!({"name": "laptop"}), 201)
        .await;
    let laptop = b["token"].as_str().unwrap().to_owned();
    let laptop_id = b["id"].as_i64().unwrap();
    let (s, list) = app.get(&first, "/api/v1/tokens").await;
    assert_eq!(s, 200, "{list}");
    let names: Vec<&str> = strs_of(&list, "name");
    assert!(names.contains(&"laptop"), "{names:?}");
    assert!(
        !list.to_string().contains(&laptop),
        "no secrets in the list"
    );
    // Someone else's token does not exist for you.
    let (s, _) = app
        .http
        .delete(format!("{}/api/v1/tokens/{laptop_id}", app.url))
        .bearer_auth(&other)
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(s, 404);
    assert_eq!(app.get(&laptop, "/api/v1/me").await.0, 200);
    let res = app
        .http
        .delete(format!("{}/api/v1/tokens/{laptop_id}", app.url))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().await.unwrap();
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    assert_eq!(app.get(&laptop, "/api/v1/me").await.0, 401);
    // The other token of the same user still works.
    assert_eq!(app.get(&first, "/api/v1/me").await.0, 200);
    // Admins see anyone's tokens.
    let list = app
        .get_expect(&app.admin_token, "/api/v1/tokens?user=r2", 200)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    app.get_expect(&other, "/api/v1/tokens?user=r2", 403).await;
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|e| e["action"] == "token.revoke" && e["details"]["token_id"] == laptop_id)
    );
}

#[tokio::test]
async fn admins_disable_and_change_users_on_the_web_users_page() {
    let app = spawn().await;
    let token = app.user("r4", "responder").await;
    let http = no_redirects();
    let res = sign_in(&app, &http, "admin", &app.admin_password).await;
    assert_eq!(res.status(), 303);
    let cookie = session_of(&res);
    let (s, html) = page(&app, &http, &cookie, "/admin/users").await;
    assert_eq!(s, 200);
    assert_contains(&html, "action=\"/admin/users/r4\"");
    let csrf = csrf_in(&html);
    let post = |form: Vec<(&'static str, String)>| {
        http.post(format!("{}/admin/users/r4", app.url))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    // Without the session's CSRF token nothing changes.
    let res = post(vec![
        ("csrf", "forged".into()),
        ("change", "disable".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.get(&token, "/api/v1/me").await.0, 200);
    let res = post(vec![("csrf", csrf.clone()), ("change", "disable".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(app.get(&token, "/api/v1/me").await.0, 401);
    let res = post(vec![
        ("csrf", csrf.clone()),
        ("change", "role".into()),
        ("role", "lead".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let u = app.store.user_by_name("r4").await.unwrap().unwrap();
    assert_eq!((u.role.as_str(), u.disabled), ("lead", true));
    let (_, html) = page(&app, &http, &cookie, "/admin/users").await;
    assert_contains(&html, "value=\"enable\"");
}
