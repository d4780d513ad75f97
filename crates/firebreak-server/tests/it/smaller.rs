//! The smaller findings of issue 8 (item 15): one test each.

use serde_json::json;

use crate::harness::spawn;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sign_in_follows_only_a_same_site_next() {
    let app = spawn().await;
    let http = no_redirects();
    for (next, to) in [
        ("/incidents/3", "/incidents/3"),
        ("/%09/evil.example", "/incidents"),
        ("/\t/evil.example", "/incidents"),
        ("/\n/evil.example", "/incidents"),
        (" //evil.example", "/incidents"),
        ("/%2F/evil.example", "/incidents"),
        ("/%5Cevil.example", "/incidents"),
        ("//evil.example", "/incidents"),
        ("/\\evil.example", "/incidents"),
        ("https://evil.example", "/incidents"),
    ] {
        let res = http
            .post(format!("{}/login", app.url))
            .form(&[
                ("username", "admin"),
                ("password", app.admin_password.as_str()),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{next:?}");
        assert_eq!(res.headers()["location"], to, "next={next:?}");
    }
}

#[tokio::test]
async fn weak_passwords_are_refused() {
    let app = spawn().await;
    for (password, why) in [
        ("aaaaaaaaaaaaaaaa", "one character"),
        ("Password1234", "common password"),
        ("123456789012", "run"),
        ("short", "12 characters"),
    ] {
        let (s, p) = app
            .post(
                &app.admin_token,
                "/api/v1/users",
                json!({"name": "weak", "role": "viewer", "password": password}),
            )
            .await;
        assert_eq!(s, 422, "{password}: {p}");
        assert_eq!(p["field"], "password");
        assert!(p["detail"].as_str().unwrap().contains(why), "{p}");
    }
    let (s, p) = app
        .post(
            &app.admin_token,
            "/api/v1/users",
            json!({"name": "fine", "role": "viewer", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
}
