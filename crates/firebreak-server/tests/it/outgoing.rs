//! Issue 8, items 11 and 12: no contact method can turn the server against
//! its own network (SSRF), and no template can stall the worker.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use firebreak_server::notify::{Notifier, OutgoingPolicy, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};
use firebreak_store::Actor;

use crate::harness::{Db, ManualClock, TestApp, spawn_with};
use firebreak_testkit::WebhookReceiver as Receiver;

async fn app_with(allow: &[&str]) -> (TestApp, Arc<ManualClock>, Workers) {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap());
    let policy = OutgoingPolicy::new(allow).unwrap();
    let app = spawn_with(Db::Sqlite, move |c| c.outgoing = policy, clock.clone())
        .await
        .unwrap();
    let workers = Workers::new(
        app.state.clone(),
        Notifier::new(None, Templates::default()).unwrap(),
        WorkerConfig::default(),
    )
    .await
    .unwrap();
    (app, clock, workers)
}

/// Declares an incident and pages `users` by hand; returns its id.
async fn page(app: &TestApp, users: &[&str]) -> i64 {
    // An owner must be reachable.
    app.reachable("admin").await;
    let (s, b) = app
        .post(
            &app.admin_token,
            "/api/v1/incidents",
            json!({"title": "Checkout slow", "kind": "availability", "severity": "low", "owner": "admin"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_i64().unwrap();
    for u in users {
        app.post_expect(
            &app.admin_token,
            &format!("/api/v1/incidents/{id}/escalate"),
            json!({"to": u, "reason": "need a hand"}),
            200,
        )
        .await;
    }
    id
}

async fn notifications(app: &TestApp, id: i64) -> Vec<Value> {
    let b = app
        .get_expect(
            &app.admin_token,
            &format!("/api/v1/incidents/{id}/notifications"),
            200,
        )
        .await;
    b.as_array().unwrap().clone()
}

fn to<'a>(n: &'a [Value], user: &str) -> Vec<&'a Value> {
    n.iter().filter(|m| m["user"]["name"] == user).collect()
}

/// A receiver that answers 500 with a body that must never be stored.
async fn leaky_receiver() -> String {
    let app = Router::new().route(
        "/hook",
        post(|| async {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "ami-id: SECRET-METADATA-TOKEN",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn users_cannot_point_their_contact_methods_at_the_servers_network() {
    let (app, clock, workers) = app_with(&[]).await;
    let hook = Receiver::refusing_first(0);
    let viewer = app.user("v1", "viewer").await;
    // Refused at save time, naming the field, for every private target.
    let port = hook
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    for channel in [
        json!({"kind": "webhook", "url": hook.url}),
        json!({"kind": "webhook", "url": "http://169.254.169.254/latest/meta-data/"}),
        json!({"kind": "webhook", "url": format!("http://[::1]:{port}/hook")}),
        json!({"kind": "slack", "webhook_url": "http://10.0.0.7/services/x"}),
        json!({"kind": "webhook", "url": format!("http://localhost:{port}/hook")}),
        json!({"kind": "http", "method": "POST", "url": format!("http://127.0.0.1:{port}/{{{{ incident_ref }}}}"), "body": "{{ subject }}"}),
    ] {
        let b = app
            .post_expect(
                &viewer,
                "/api/v1/users/v1/contact-methods",
                json!({"label": "mine", "channel": channel}),
                422,
            )
            .await;
        assert!(
            b["field"] == "channel.url" || b["field"] == "channel.webhook_url",
            "{b}"
        );
        assert!(
            b["detail"].as_str().unwrap().contains("only an admin"),
            "{b}"
        );
    }

    // Rows that got past the save-time check (stored before it, or a name
    // that resolves elsewhere later) are refused when delivering: a name
    // after DNS resolution, a literal address before connecting.
    app.user("u1", "responder").await;
    let u1 = app.store.user_ref("u1").await.unwrap();
    for url in [format!("http://localhost:{port}/hook"), hook.url.clone()] {
        app.store
            .add_contact_method(
                &u1,
                "sneaky",
                &json!({"kind": "webhook", "url": url}),
                0,
                false,
                &Actor::user(u1.id, "u1"),
                clock.now_(),
            )
            .await
            .unwrap();
    }
    // An admin may set any target, for anyone: an on-premises receiver.
    app.user("u2", "responder").await;
    let b = app
        .post_expect(
            &app.admin_token,
            "/api/v1/users/u2/contact-methods",
            json!({"label": "on-prem", "channel": {"kind": "webhook", "url": hook.url}}),
            201,
        )
        .await;
    assert_eq!(b["admin_set"], true);
    // And a receiver that answers with a body: only the status is kept.
    app.user("u3", "responder").await;
    let leaky = leaky_receiver().await;
    app.post_expect(
        &app.admin_token,
        "/api/v1/users/u3/contact-methods",
        json!({"label": "leaky", "channel": {"kind": "webhook", "url": leaky}}),
        201,
    )
    .await;

    let id = page(&app, &["u1", "u2", "u3"]).await;
    workers.run_once(clock.now_()).await.unwrap();
    let n = notifications(&app, id).await;
    let refused = to(&n, "u1");
    assert_eq!(refused.len(), 2, "{n:?}");
    for m in refused {
        assert_eq!(m["state"], "failed", "{m}");
        assert!(
            m["last_error"]
                .as_str()
                .unwrap()
                .starts_with("refused: the target"),
            "{m}"
        );
    }
    assert_eq!(to(&n, "u2")[0]["state"], "sent", "{n:?}");
    let received = hook.all();
    assert_eq!(received.len(), 1, "only the admin-set target was reached");
    assert_eq!(received[0].body["recipient"], "u2");
    let leak = to(&n, "u3")[0];
    assert_eq!(
        leak["last_error"], "HTTP 500 Internal Server Error",
        "{leak}"
    );
    assert!(!leak.to_string().contains("SECRET-METADATA"));
}

#[tokio::test]
async fn the_allow_list_opens_a_range_for_everyone() {
    let (app, clock, workers) = app_with(&["127.0.0.1/8"]).await;
    let hook = Receiver::refusing_first(0);
    let viewer = app.user("v1", "viewer").await;
    let b = app
        .post_expect(
            &viewer,
            "/api/v1/users/v1/contact-methods",
            json!({"label": "mine", "channel": {"kind": "webhook", "url": hook.url}}),
            201,
        )
        .await;
    assert_eq!(b["admin_set"], false);
    // Still not link-local: the list opens what it names, nothing more.
    app.post_expect(
        &viewer,
        "/api/v1/users/v1/contact-methods",
        json!({"label": "meta", "channel": {"kind": "webhook", "url": "http://169.254.169.254/"}}),
        422,
    )
    .await;
    let id = page(&app, &["v1"]).await;
    workers.run_once(clock.now_()).await.unwrap();
    let n = notifications(&app, id).await;
    assert_eq!(to(&n, "v1")[0]["state"], "sent", "{n:?}");
    assert_eq!(hook.all().len(), 1);
}

/// Nested loops that would run for minutes without a bound.
const HOSTILE: &str =
    "{% for i in range(17000) %}{% for j in range(17000) %}x{% endfor %}{% endfor %}";

#[tokio::test]
async fn a_hostile_template_fails_alone_and_delays_no_other_page() {
    let (app, clock, workers) = app_with(&["127.0.0.1/8"]).await;
    let hook = Receiver::refusing_first(0);
    let token = app.user("evil", "responder").await;
    app.user("good", "responder").await;
    let hostile = json!({"kind": "http", "method": "POST", "url": hook.url, "body": HOSTILE,
        "content_type": "text/plain"});
    // Refused at save time: the check is bounded too.
    let (s, b) = app
        .post(
            &token,
            "/api/v1/users/evil/contact-methods",
            json!({"label": "sms", "channel": hostile}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(
        b["detail"].as_str().unwrap().contains("too much work"),
        "{b}"
    );
    // So is an admin's message template.
    let (s, b) = app
        .http
        .put(format!("{}/api/v1/message-templates/text", app.url))
        .bearer_auth(&app.admin_token)
        .json(&json!({"body": HOSTILE}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(s, 422, "{:?}", b.text().await);
    // One stored before the bound existed still fails alone when sent.
    let evil = app.store.user_ref("evil").await.unwrap();
    app.store
        .add_contact_method(
            &evil,
            "sms",
            &hostile,
            0,
            false,
            &Actor::local("test"),
            clock.now_(),
        )
        .await
        .unwrap();
    app.post_expect(
        &app.admin_token,
        "/api/v1/users/good/contact-methods",
        json!({"label": "hook", "channel": {"kind": "webhook", "url": hook.url}}),
        201,
    )
    .await;
    let id = page(&app, &["evil", "good"]).await;
    // Guard against a hang only; the assertions below are about outcomes.
    tokio::time::timeout(
        std::time::Duration::from_secs(120),
        workers.run_once(clock.now_()),
    )
    .await
    .expect("the worker step finished")
    .unwrap();
    let n = notifications(&app, id).await;
    assert_eq!(to(&n, "good")[0]["state"], "sent", "{n:?}");
    assert_eq!(hook.all().len(), 1);
    assert_eq!(hook.all()[0].body["recipient"], "good");
    let bad = to(&n, "evil")[0];
    assert_eq!(bad["state"], "failed", "{bad}");
    assert!(
        bad["last_error"]
            .as_str()
            .unwrap()
            .contains("the template does too much work"),
        "{bad}"
    );
}

trait Now {
    fn now_(&self) -> chrono::DateTime<Utc>;
}

impl Now for ManualClock {
    fn now_(&self) -> chrono::DateTime<Utc> {
        firebreak_server::Clock::now(self)
    }
}
