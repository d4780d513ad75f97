//! The smaller findings of issue 8 (item 15): one test each.

use firebreak_testkit::assert_contains;
use firebreak_testkit::web::{csrf_in, first_cookie, no_redirects, page, post_form, post_login};
use serde_json::json;

use crate::harness::spawn;

#[tokio::test]
async fn sign_in_follows_only_a_same_site_next() {
    let app = spawn().await;
    let http = no_redirects();
    // An unsafe `next` falls back to the home page ("/"), which shows the
    // getting-started checklist or redirects to /incidents (issue 10).
    for (next, to) in [
        ("/incidents/3", "/incidents/3"),
        ("/%09/evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        (" //evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
    ] {
        let res = post_login(&app, &http, "admin", &app.admin_password, Some(next)).await;
        assert_eq!(res.status(), 303, "{next:?}");
        assert_eq!(res.headers()["location"], to, "next={next:?}");
    }
}

#[tokio::test]
async fn contact_secrets_are_shown_only_at_creation() {
    let app = spawn().await;
    let path = "/api/v1/users/admin/contact-methods";
    let (status, created) = app
        .post(
            &app.admin_token,
            path,
            json!({"label": "hook", "channel": {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "whsec-very-secret"}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["channel"]["secret"], "whsec-very-secret");
    for channel in [
        json!({"kind": "slack", "webhook_url": "https://hooks.slack.com/services/T0/B0/slack-credential"}),
        json!({"kind": "http", "method": "POST", "url": "http://127.0.0.1:9/sms", "body": "{{ text }}",
               "basic_auth": ["sms", "basic-password"], "secret": "http-secret"}),
    ] {
        app.post_expect(
            &app.admin_token,
            path,
            json!({"label": "x", "channel": channel}),
            201,
        )
        .await;
    }
    let list = app.get_expect(&app.admin_token, path, 200).await;
    let text = list.to_string();
    for secret in [
        "whsec-very-secret",
        "slack-credential",
        "basic-password",
        "http-secret",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(list[0]["channel"]["secret"], "<hidden>");
    assert_eq!(list[0]["channel"]["url"], "http://127.0.0.1:9/hook");
    assert_eq!(
        list[1]["channel"]["webhook_url"],
        "https://hooks.slack.com/<hidden>"
    );
    assert_eq!(list[2]["channel"]["basic_auth"][0], "sms");
    // The stored secret still signs deliveries: only the answer hides it.
    let stored = app.store.contact_methods(None).await.unwrap();
    assert_eq!(stored[0].channel["secret"], "whsec-very-secret");
}

#[tokio::test]
async fn only_admins_test_with_an_integrations_mapping() {
    let app = spawn().await;
    let mapping = json!({"title": "/secret_path_name/title", "dedup_key": "/secret_path_name/id"});
    let (_, _, integration) = crate::intake::integration(
        &app,
        json!({"name": "hooks", "kind": "generic", "mapping": mapping}),
    )
    .await;
    let id = integration["id"].clone();
    let sample = json!({"secret_path_name": {"title": "Checkout 5xx", "id": "A-1"}});
    let responder = app.user("rita", "responder").await;
    let (s, p) = app
        .post(
            &responder,
            "/api/v1/intake/test",
            json!({"kind": "generic", "integration": id, "payload": sample}),
        )
        .await;
    assert_eq!(s, 403, "{p}");
    assert!(!p.to_string().contains("secret_path_name"), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("integration"), "{p}");
    // With a mapping of their own they may still try the integration's routing.
    let (s, b) = app
        .post(
            &responder,
            "/api/v1/intake/test",
            json!({"kind": "generic", "integration": id, "payload": sample,
                   "mapping": {"title": "/secret_path_name/title"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // Admins may use the integration's mapping.
    let b = app
        .post_expect(
            &app.admin_token,
            "/api/v1/intake/test",
            json!({"kind": "generic", "integration": id, "payload": sample}),
            200,
        )
        .await;
    assert_eq!(b["alerts"][0]["alert"]["title"], "Checkout 5xx");
}

#[tokio::test]
async fn silences_longer_than_the_policy_are_refused() {
    let app = spawn().await;
    let now = chrono::Utc::now();
    let silence = |ends: chrono::DateTime<chrono::Utc>| json!({"matchers": ["alertname=\"X\""], "ends_at": ends.to_rfc3339(), "reason": "known"});
    let path = "/api/v1/intake/silences";
    let p = app
        .post_expect(
            &app.admin_token,
            path,
            silence(now + chrono::Duration::days(30)),
            422,
        )
        .await;
    assert_eq!(p["field"], "ends_at");
    assert!(p["detail"].as_str().unwrap().contains("7 d"), "{p}");
    let (s, b) = app
        .post(
            &app.admin_token,
            path,
            silence(now + chrono::Duration::days(6)),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // The policy is the server's setting.
    let app = crate::harness::spawn_configured(|c| c.intake.max_silence_secs = 3600).await;
    let p = app
        .post_expect(
            &app.admin_token,
            path,
            silence(now + chrono::Duration::hours(2)),
            422,
        )
        .await;
    assert!(p["detail"].as_str().unwrap().contains("1 h"), "{p}");
}

/// A message with `n` attachments of `size` bytes each.
fn mail_with_attachments(n: usize, size: usize) -> Vec<u8> {
    use base64::Engine;
    let mut m = String::from(
        "From: Ada <ada@example.org>\r\nTo: security@firebreak.example\r\nSubject: many files\r\n\
         Message-ID: <many@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nSee the files.\r\n",
    );
    for i in 0..n {
        let body = base64::engine::general_purpose::STANDARD.encode(vec![b'a' + i as u8; size]);
        m.push_str(&format!(
            "--XYZ\r\nContent-Type: application/octet-stream; name=\"f{i}.bin\"\r\n\
             Content-Disposition: attachment; filename=\"f{i}.bin\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
        ));
    }
    m.push_str("--XYZ--\r\n");
    m.into_bytes()
}

#[tokio::test]
async fn inbound_email_keeps_a_bounded_number_and_size_of_attachments() {
    let app = crate::harness::spawn_configured(|c| {
        c.intake.email_max_attachments = 3;
        c.intake.email_max_attachment_bytes = 10;
    })
    .await;
    let (_, url, _) =
        crate::intake::integration(&app, json!({"name": "security", "kind": "email"})).await;
    let res = app
        .http
        .post(&url)
        .header("content-type", "message/rfc822")
        .body(mail_with_attachments(5, 6))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let b: serde_json::Value = res.json().await.unwrap();
    let ids = b["attachments"].as_array().unwrap();
    assert_eq!(ids.len(), 3, "{b}");
    let report = b["report_id"].as_i64().unwrap();
    // The first fits the total; the second would pass it: size and hash only.
    let content = |id: &serde_json::Value| {
        app.http
            .get(format!("{}/api/v1/intake/attachments/{id}", app.url))
            .bearer_auth(&app.admin_token)
            .send()
    };
    assert_eq!(content(&ids[0]).await.unwrap().status(), 200);
    assert_eq!(content(&ids[1]).await.unwrap().status(), 409);
    let (_, r) = app
        .get(&app.admin_token, &format!("/api/v1/reports/{report}"))
        .await;
    assert!(
        r["description"]
            .as_str()
            .unwrap()
            .contains("and 2 more attachment(s), not kept"),
        "{r}"
    );
}

#[tokio::test]
async fn the_smtp_listener_caps_connections_and_idle_time() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let app = crate::harness::spawn_configured(|c| {
        c.intake.smtp_max_connections = 1;
        c.intake.smtp_idle_secs = 1;
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(firebreak_server::intake::smtp::serve(
        listener,
        app.state.clone(),
    ));
    async fn first_line(
        stream: tokio::net::TcpStream,
    ) -> (String, BufReader<tokio::net::TcpStream>) {
        let mut r = BufReader::new(stream);
        let mut line = String::new();
        tokio::time::timeout(std::time::Duration::from_secs(10), r.read_line(&mut line))
            .await
            .expect("an answer in time")
            .unwrap();
        (line, r)
    }
    let connect = || tokio::net::TcpStream::connect(("127.0.0.1", port));
    let (greeting, mut first) = first_line(connect().await.unwrap()).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    let (busy, _) = first_line(connect().await.unwrap()).await;
    assert!(busy.starts_with("421"), "a second connection: {busy}");
    // The first one says nothing: it is closed after the idle time.
    let mut line = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        first.read_line(&mut line),
    )
    .await
    .expect("closed in time")
    .unwrap();
    assert!(line.starts_with("421"), "{line}");
    drop(first);
    // Its slot is free again.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (greeting, _) = first_line(connect().await.unwrap()).await;
    assert!(greeting.starts_with("220"), "{greeting}");
}

/// Signs in over plain HTTP; the session cookie (`name=value`).
async fn session(app: &crate::harness::TestApp, http: &reqwest::Client) -> String {
    let res = post_login(app, http, "admin", &app.admin_password, None).await;
    assert_eq!(res.status(), 303);
    first_cookie(&res)
}

#[tokio::test]
async fn messages_in_the_url_are_not_shown_and_flash_messages_show_once() {
    let app = spawn().await;
    let http = no_redirects();
    let cookie = session(&app, &http).await;
    for path in [
        "/incidents?error=Your+session+expired%2C+call+555",
        "/incidents?notice=Your+session+expired%2C+call+555",
        "/triage?error=Your+session+expired%2C+call+555",
        "/incidents/new?notice=Your+session+expired%2C+call+555",
        "/login?error=Your+session+expired%2C+call+555",
    ] {
        let res = http
            .get(format!("{}{path}", app.url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("call 555"), "{path} shows the URL's text");
    }
    // A form's outcome comes back once, in an HttpOnly, SameSite=Strict cookie.
    let (_, page) = page(&app, &http, &cookie, "/incidents/new").await;
    let csrf = csrf_in(&page);
    let res = post_form(
        &app,
        &http,
        &cookie,
        "/incidents",
        &[
            ("csrf", csrf.as_str()),
            ("title", " "),
            ("kind", "availability"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/incidents/new");
    let flash = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("fb_flash="))
        .expect("a flash cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert_contains(&flash, attr);
    }
    let flash_pair = flash.split(';').next().unwrap().to_owned();
    let res = http
        .get(format!("{}{location}", app.url))
        .header("cookie", format!("{cookie}; {flash_pair}"))
        .send()
        .await
        .unwrap();
    let cleared = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("fb_flash=;"));
    assert!(cleared, "the page clears the flash cookie");
    let html = res.text().await.unwrap();
    assert_contains(&html, "must not be empty");
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
        let p = app
            .post_expect(
                &app.admin_token,
                "/api/v1/users",
                json!({"name": "weak", "role": "viewer", "password": password}),
                422,
            )
            .await;
        assert_eq!(p["field"], "password");
        assert!(p["detail"].as_str().unwrap().contains(why), "{p}");
    }
    app.post_expect(
        &app.admin_token,
        "/api/v1/users",
        json!({"name": "fine", "role": "viewer", "password": "a long enough password"}),
        201,
    )
    .await;
}
