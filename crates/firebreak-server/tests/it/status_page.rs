//! The public status page: before, during and after an incident in
//! Chromium; the Statuspage JSON checked field by field; the feeds parsed
//! with `feed-rs`; nothing internal on any public surface; served from
//! memory while the database is gone; 304 on revalidation; subscriptions
//! from the form through the SMTP sink to one-click unsubscription.
//!
//! Notices are recorded with `Store::record_sent_notice_for_tests` until
//! the notices of issue 11 (drafted and sent by the lead) are merged.

use std::sync::Arc;

use chrono::Utc;
use fantoccini::Locator;
use serde_json::{Value, json};

use firebreak_core::status::ComponentStatus;
use firebreak_server::notify::{Notifier, SmtpConfig, SmtpSecurity, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};
use firebreak_server::{ServerConfig, SystemClock};
use firebreak_store::Actor;
use firebreak_store::status::SentNotice;
use firebreak_testkit::smtp::{Rcpt, SmtpSink};
use firebreak_testkit::{assert_contains, assert_lacks};

use crate::harness::{Db, TestApp, spawn_with};

/// Written into everything internal: an incident's title, summary and
/// note, and a notice's internal note. It must never reach the public.
const MARKER: &str = "ZQX-INTERNAL-4417";

/// Every public document of the page.
const PUBLIC: &[&str] = &[
    "/status",
    "/status.json",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/status/feed.atom",
    "/status/feed.rss",
];

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: Some("firebreak".into()),
        password: Some(firebreak_server::notify::Secret::new("smtp-pass")),
        from: "Status <status@example.org>".into(),
        timeout_secs: 10,
    }
}

fn configure(c: &mut ServerConfig) {
    c.email_configured = true;
    c.status_page.name = Some("Acme status".into());
}

async fn spawn(db: Db) -> Option<TestApp> {
    spawn_with(db, configure, Arc::new(SystemClock)).await
}

struct World {
    login: i64,
    billing: i64,
}

/// A service with two public components and a hidden one.
async fn world(app: &TestApp) -> World {
    // Incidents are owned by the admin, who must be reachable.
    app.reachable("admin").await;
    let s = &app.store;
    let a = Actor::local("test");
    let svc = s
        .create_service("web", "platform", "", &a, Utc::now())
        .await
        .unwrap();
    let login = s
        .create_component("Login", "Signing in", svc.id, true, &a, Utc::now())
        .await
        .unwrap();
    let billing = s
        .create_component("Billing", "Invoices", svc.id, true, &a, Utc::now())
        .await
        .unwrap();
    s.create_component("Internal queue", "", svc.id, false, &a, Utc::now())
        .await
        .unwrap();
    World {
        login: login.id,
        billing: billing.id,
    }
}

/// Declares an incident whose title, summary and a note carry [`MARKER`].
async fn declare(app: &TestApp, kind: &str) -> i64 {
    let t = &app.admin_token;
    let inc = app
        .post_expect(
            t,
            "/api/v1/incidents",
            json!({"title": format!("Login DB failover {MARKER}"), "summary": format!("root cause {MARKER}"),
                   "kind": kind, "severity": "high", "owner": "admin", "severity_reason": "as seen"}),
            201,
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    app.post_expect(
        t,
        &format!("/api/v1/incidents/{id}/notes"),
        json!({"body": format!("note {MARKER}")}),
        201,
    )
    .await;
    id
}

/// Walks incident `id` through the gates to post-incident (resolved).
async fn resolve(app: &TestApp, id: i64) {
    let t = &app.admin_token;
    let steps: &[(&str, &[&str])] = &[
        ("containment", &[]),
        ("remediation", &["impact_contained", "evidence_preserved"]),
        ("recovery", &["fix_deployed", "deployment_verified"]),
        (
            "post_incident",
            &[
                "service_restored",
                "data_integrity_confirmed",
                "access_confirmed",
            ],
        ),
    ];
    for (to, items) in steps {
        for item in *items {
            let (st, b) = app
                .post(
                    t,
                    &format!("/api/v1/incidents/{id}/checklist/{item}"),
                    json!({"status": "done", "note": "done"}),
                )
                .await;
            let not_applicable = st == 422
                && b["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("does not apply");
            assert!(st == 200 || not_applicable, "{item}: {b}");
        }
        app.post_expect(
            t,
            &format!("/api/v1/incidents/{id}/transition"),
            json!({"to": to}),
            200,
        )
        .await;
    }
}

/// Drafts and sends a status page post through the notices API, with
/// [`MARKER`] in its internal note. `impact` is the body's impact text.
async fn notice(app: &TestApp, id: i64, title: &str, impact: &str, status: &str) -> i64 {
    post_notice(app, id, title, impact, status, false).await
}

async fn post_notice(
    app: &TestApp,
    id: i64,
    title: &str,
    impact: &str,
    status: &str,
    approved: bool,
) -> i64 {
    let t = &app.admin_token;
    let n = app
        .post_expect(
            t,
            &format!("/api/v1/incidents/{id}/notices"),
            json!({"kind": "status_post", "title": title, "impact": impact,
                   "actions": "We keep you posted.", "internal_note": format!("internal {MARKER}"),
                   "public_status": status, "on_status_page": true, "to_customers": false}),
            201,
        )
        .await;
    let nid = n["id"].as_i64().unwrap();
    app.post_expect(
        t,
        &format!("/api/v1/incidents/{id}/notices/{nid}/send"),
        json!({"approved": approved}),
        200,
    )
    .await;
    nid
}

async fn notice_with(
    app: &TestApp,
    id: i64,
    title: &str,
    body: &str,
    status: &str,
    on_status_page: bool,
    approved_by: Option<&str>,
) -> i64 {
    app.store
        .record_sent_notice_for_tests(
            &SentNotice {
                incident_id: id,
                kind: "update",
                title,
                body,
                internal_note: &format!("internal {MARKER}"),
                public_status: status,
                on_status_page,
                to_customers: !on_status_page,
                approved_by,
            },
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap()
}

async fn refresh(app: &TestApp) {
    firebreak_server::status::refresh(&app.state).await.unwrap();
}

async fn fetch(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = app
        .http
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let (st, _, body) = fetch(app, path).await;
    assert_eq!(st, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Every public document answers 200 and none carries [`MARKER`].
async fn nothing_internal_is_public(app: &TestApp) {
    for path in PUBLIC {
        let (st, _, body) = fetch(app, path).await;
        assert_eq!(st, 200, "{path}");
        assert_lacks(&body, MARKER);
    }
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(k: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = k.iter().map(|s| (*s).to_owned()).collect();
    k.sort();
    k
}

const COMPONENT_KEYS: &[&str] = &[
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
];
const INCIDENT_KEYS: &[&str] = &[
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
];
const UPDATE_KEYS: &[&str] = &[
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
];

/// The summary's shape, field by field, as Statuspage's.
fn check_summary_shape(s: &Value) {
    assert_eq!(
        keys(s),
        sorted(&[
            "page",
            "status",
            "components",
            "incidents",
            "scheduled_maintenances"
        ])
    );
    assert_eq!(
        keys(&s["page"]),
        sorted(&["id", "name", "url", "time_zone", "updated_at"])
    );
    assert_eq!(keys(&s["status"]), sorted(&["indicator", "description"]));
    assert!(
        ["none", "minor", "major", "critical", "maintenance"]
            .contains(&s["status"]["indicator"].as_str().unwrap())
    );
    for c in s["components"].as_array().unwrap() {
        assert_eq!(keys(c), sorted(COMPONENT_KEYS));
        assert!(c["id"].is_string() && c["position"].is_i64() && c["group"].is_boolean());
    }
    for i in s["incidents"].as_array().unwrap() {
        assert_eq!(keys(i), sorted(INCIDENT_KEYS));
        assert!(i["id"].is_string());
        for u in i["incident_updates"].as_array().unwrap() {
            assert_eq!(keys(u), sorted(UPDATE_KEYS));
        }
        for c in i["components"].as_array().unwrap() {
            assert_eq!(keys(c), sorted(COMPONENT_KEYS));
        }
    }
    for m in s["scheduled_maintenances"].as_array().unwrap() {
        let mut k = INCIDENT_KEYS.to_vec();
        k.extend(["scheduled_for", "scheduled_until"]);
        assert_eq!(keys(m), sorted(&k));
    }
    // Times are RFC 3339.
    chrono::DateTime::parse_from_rfc3339(s["page"]["updated_at"].as_str().unwrap()).unwrap();
}

fn feeds_parse(atom: &str, rss: &str) -> (feed_rs::model::Feed, feed_rs::model::Feed) {
    let a = feed_rs::parser::parse(atom.as_bytes()).expect("Atom parses");
    assert_eq!(a.feed_type, feed_rs::model::FeedType::Atom);
    let r = feed_rs::parser::parse(rss.as_bytes()).expect("RSS parses");
    assert_eq!(r.feed_type, feed_rs::model::FeedType::RSS2);
    (a, r)
}

/// The JSON and feeds over one incident's life, on both databases.
async fn an_incidents_life_in_json_and_feeds(app: TestApp) {
    let w = world(&app).await;
    refresh(&app).await;
    let s = json_of(&app, "/status.json").await;
    check_summary_shape(&s);
    assert_eq!(s["status"]["indicator"], "none");
    assert_eq!(s["status"]["description"], "All Systems Operational");
    assert_eq!(s["page"]["name"], "Acme status");
    let names: Vec<&str> = s["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Login", "Billing"], "the hidden one stays hidden");

    // During: a major outage with a public update.
    let id = declare(&app, "availability").await;
    app.store
        .set_incident_components(
            id,
            &[(w.login, ComponentStatus::MajorOutage)],
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    refresh(&app).await;
    // Components set but no public update yet: the outage shows, the
    // incident does not (it has nothing public to say).
    let s = json_of(&app, "/api/v2/summary.json").await;
    assert_eq!(s["status"]["indicator"], "critical");
    assert_eq!(s["incidents"].as_array().unwrap().len(), 0);
    notice(
        &app,
        id,
        "Sign-in failures",
        "We are investigating failed sign-ins.",
        "investigating",
    )
    .await;
    refresh(&app).await;
    let s = json_of(&app, "/api/v2/summary.json").await;
    check_summary_shape(&s);
    assert_eq!(s, json_of(&app, "/status.json").await);
    assert_eq!(s["status"]["description"], "Major System Outage");
    let login = &s["components"][0];
    assert_eq!(login["status"], "major_outage");
    assert_eq!(s["components"][1]["status"], "operational");
    let inc = &s["incidents"][0];
    assert_eq!(inc["name"], "Sign-in failures");
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["impact"], "major");
    assert_eq!(inc["resolved_at"], Value::Null);
    assert_eq!(inc["components"][0]["name"], "Login");
    assert_contains(
        inc["incident_updates"][0]["body"].as_str().unwrap(),
        "We are investigating failed sign-ins.",
    );
    let unresolved = json_of(&app, "/api/v2/incidents/unresolved.json").await;
    assert_eq!(unresolved["incidents"].as_array().unwrap().len(), 1);
    let st = json_of(&app, "/api/v2/status.json").await;
    assert_eq!(keys(&st), sorted(&["page", "status"]));
    assert_eq!(st["status"]["indicator"], "critical");
    let comps = json_of(&app, "/api/v2/components.json").await;
    assert_eq!(comps["components"][0]["status"], "major_outage");
    nothing_internal_is_public(&app).await;

    // After: resolved, in the history, the component operational again.
    notice(
        &app,
        id,
        "Sign-in restored",
        "Sign-in works again.",
        "resolved",
    )
    .await;
    resolve(&app, id).await;
    refresh(&app).await;
    let s = json_of(&app, "/status.json").await;
    check_summary_shape(&s);
    assert_eq!(s["status"]["indicator"], "none");
    assert_eq!(s["components"][0]["status"], "operational");
    assert_eq!(s["incidents"].as_array().unwrap().len(), 0);
    let all = json_of(&app, "/api/v2/incidents.json").await;
    let inc = &all["incidents"][0];
    assert_eq!(inc["status"], "resolved");
    assert!(inc["resolved_at"].is_string());
    assert_eq!(inc["name"], "Sign-in restored");
    assert_eq!(inc["incident_updates"].as_array().unwrap().len(), 2);
    assert_eq!(
        inc["incident_updates"][0]["status"], "resolved",
        "newest first"
    );
    // Today's bar segment keeps the outage.
    let (_, _, html) = fetch(&app, "/status").await;
    assert_contains(&html, "Past incidents");
    assert_contains(&html, "Sign-in restored");
    assert_contains(&html, "d d-major_outage");

    let (_, _, atom) = fetch(&app, "/status/feed.atom").await;
    let (_, _, rss) = fetch(&app, "/status/feed.rss").await;
    let (a, r) = feeds_parse(&atom, &rss);
    assert_eq!(a.entries.len(), 2);
    assert_eq!(r.entries.len(), 2);
    assert_eq!(
        a.entries[0].title.as_ref().unwrap().content,
        "Resolved: Sign-in restored"
    );
    assert!(
        a.entries[1]
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap()
            .contains("investigating failed sign-ins")
    );
    nothing_internal_is_public(&app).await;
}

#[tokio::test]
async fn an_incidents_life_in_json_and_feeds_sqlite() {
    an_incidents_life_in_json_and_feeds(spawn(Db::Sqlite).await.unwrap()).await;
}

#[tokio::test]
async fn an_incidents_life_in_json_and_feeds_postgres() {
    if let Some(app) = spawn(Db::Postgres).await {
        an_incidents_life_in_json_and_feeds(app).await;
    }
}

/// A security incident with a component set shows nothing of itself until
/// a notice with approved wording is sent for the status page.
#[tokio::test]
async fn a_security_incident_shows_nothing_without_approved_wording() {
    let app = spawn(Db::Sqlite).await.unwrap();
    let w = world(&app).await;
    let id = declare(&app, "security").await;
    app.store
        .set_incident_components(
            id,
            &[(w.billing, ComponentStatus::PartialOutage)],
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    // Sent, but never approved: not public either.
    notice_with(
        &app,
        id,
        "Billing data exposure",
        "unapproved",
        "identified",
        true,
        None,
    )
    .await;
    refresh(&app).await;
    let s = json_of(&app, "/status.json").await;
    assert_eq!(s["status"]["indicator"], "none");
    assert_eq!(s["components"][1]["status"], "operational");
    assert_eq!(s["incidents"].as_array().unwrap().len(), 0);
    for path in PUBLIC {
        let (_, _, body) = fetch(&app, path).await;
        assert_lacks(&body, "Billing data exposure");
        assert_lacks(&body, "partial_outage");
        assert_lacks(&body, MARKER);
    }
    let (_, _, html) = fetch(&app, "/status").await;
    assert_lacks(&html, "d d-partial_outage");

    // With approved wording it appears, in that wording only.
    post_notice(
        &app,
        id,
        "Billing is degraded",
        "Some invoices are delayed.",
        "identified",
        true,
    )
    .await;
    refresh(&app).await;
    let s = json_of(&app, "/status.json").await;
    assert_eq!(s["components"][1]["status"], "partial_outage");
    assert_eq!(s["incidents"][0]["name"], "Billing is degraded");
    assert_eq!(
        s["incidents"][0]["incident_updates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    nothing_internal_is_public(&app).await;
}

/// 304 on revalidation, by ETag and by date; a change changes the ETag.
#[tokio::test]
async fn revalidation_answers_304_until_something_changes() {
    let app = spawn(Db::Sqlite).await.unwrap();
    let w = world(&app).await;
    refresh(&app).await;
    for path in PUBLIC {
        let (st, h, _) = fetch(&app, path).await;
        assert_eq!(st, 200);
        let etag = h["etag"].to_str().unwrap().to_owned();
        let modified = h["last-modified"].to_str().unwrap().to_owned();
        let res = app
            .http
            .get(format!("{}{path}", app.url))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 304, "{path}");
        assert!(res.bytes().await.unwrap().is_empty());
        let res = app
            .http
            .get(format!("{}{path}", app.url))
            .header("If-Modified-Since", &modified)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 304, "{path}");
        let res = app
            .http
            .get(format!("{}{path}", app.url))
            .header("If-None-Match", "\"other\"")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
    }
    let (_, h, _) = fetch(&app, "/status").await;
    let before = h["etag"].to_str().unwrap().to_owned();
    // Nothing changed: a new render keeps the bytes and their validators.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    refresh(&app).await;
    let (_, h, _) = fetch(&app, "/status").await;
    assert_eq!(h["etag"].to_str().unwrap(), before);
    app.store
        .set_component_status(
            w.login,
            ComponentStatus::DegradedPerformance,
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    // The background refresher sees the change marker move.
    firebreak_testkit::eventually(
        std::time::Duration::from_secs(10),
        "the page to show the change",
        || {
            let app = &app;
            let before = before.clone();
            async move {
                let (_, h, body) = fetch(app, "/status").await;
                (h["etag"].to_str().unwrap() != before && body.contains("Degraded performance"))
                    .then_some(())
            }
        },
    )
    .await;
    let res = app
        .http
        .get(format!("{}/status", app.url))
        .header("If-None-Match", &before)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

/// With the database gone, every public document still answers 200 with
/// the last state, and a failed refresh keeps it.
async fn the_page_outlives_its_database(app: TestApp, kill: impl AsyncFnOnce(&TestApp)) {
    let w = world(&app).await;
    app.store
        .set_component_status(
            w.billing,
            ComponentStatus::PartialOutage,
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    refresh(&app).await;
    let (_, _, before) = fetch(&app, "/status").await;
    kill(&app).await;
    assert!(firebreak_server::status::refresh(&app.state).await.is_err());
    for path in PUBLIC {
        let (st, _, body) = fetch(&app, path).await;
        assert_eq!(st, 200, "{path}");
        if *path == "/status" {
            assert_eq!(body, before);
            assert_contains(&body, "Partial outage");
        }
    }
    // Past the refresher's next minute, still there.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (st, _, body) = fetch(&app, "/status").await;
    assert_eq!(st, 200);
    assert_eq!(body, before);
}

#[tokio::test]
async fn the_page_outlives_an_unreadable_sqlite_file() {
    let app = spawn(Db::Sqlite).await.unwrap();
    the_page_outlives_its_database(app, async |app: &TestApp| {
        let url = app.store_url();
        let path = url.trim_start_matches("sqlite:").split('?').next().unwrap();
        std::fs::write(path, b"not a database any more").unwrap();
        let _ = std::fs::remove_file(format!("{path}-wal"));
        // Open connections keep the old file; close them, as a crash of
        // the disk would.
        app.store.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_page_outlives_a_dropped_postgres_database() {
    let Some(app) = spawn(Db::Postgres).await else {
        return;
    };
    the_page_outlives_its_database(app, async |app: &TestApp| {
        let url = app.store_url();
        let (base, name) = url.rsplit_once('/').unwrap();
        let name = name.split('?').next().unwrap().to_owned();
        let mut admin =
            <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{base}/postgres"))
                .await
                .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    })
    .await;
}

/// A customer's private page shows their incidents' notices; the public
/// page does not; an unknown link is a 404.
#[tokio::test]
async fn a_customers_private_page_shows_their_incidents() {
    let app = spawn(Db::Sqlite).await.unwrap();
    let _w = world(&app).await;
    let a = Actor::local("test");
    let acme = app
        .store
        .create_customer("Acme Corp", "", &a, Utc::now())
        .await
        .unwrap();
    let other = app
        .store
        .create_customer("Other Inc", "", &a, Utc::now())
        .await
        .unwrap();
    let token = app
        .store
        .new_customer_status_link(acme.id, &a, Utc::now())
        .await
        .unwrap();
    let other_token = app
        .store
        .new_customer_status_link(other.id, &a, Utc::now())
        .await
        .unwrap();
    // Seen before the incident: kept in memory until the next render.
    refresh(&app).await;
    let (st, _, early) = fetch(&app, &format!("/status/c/{token}")).await;
    assert_eq!(st, 200);
    assert_contains(&early, "No incident has affected Acme Corp");
    let id = declare(&app, "availability").await;
    app.store
        .set_incident_affected(
            id,
            firebreak_core::status::AffectedMode::Customers,
            &[acme.id],
            &a,
            Utc::now(),
        )
        .await
        .unwrap();
    notice_with(
        &app,
        id,
        "Your exports are delayed",
        "Exports for your tenant run late.",
        "identified",
        false,
        None,
    )
    .await;
    refresh(&app).await;
    let (st, h, html) = fetch(&app, &format!("/status/c/{token}")).await;
    assert_eq!(st, 200);
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_contains(&html, "Incidents affecting Acme Corp");
    assert_contains(&html, "Your exports are delayed");
    assert_lacks(&html, MARKER);
    let (_, _, theirs) = fetch(&app, &format!("/status/c/{other_token}")).await;
    assert_lacks(&theirs, "Your exports are delayed");
    let (_, _, public) = fetch(&app, "/status").await;
    assert_lacks(&public, "Your exports are delayed");
    let (st, _, _) = fetch(&app, "/status/c/not-a-token").await;
    assert_eq!(st, 404);
}

/// A worker over an SMTP sink for the app.
async fn workers(app: &TestApp, port: u16) -> Workers {
    let notifier = Notifier::new(Some(smtp_config(port)), Templates::default()).unwrap();
    Workers::new(app.state.clone(), notifier, WorkerConfig::default())
        .await
        .unwrap()
}

fn parse(mail: &firebreak_testkit::smtp::Mail) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(&mail.data)
        .unwrap()
}

fn link_in(text: &str, path: &str) -> String {
    let at = text
        .find(path)
        .unwrap_or_else(|| panic!("{path} in {text}"));
    let start = text[..at].rfind("http").unwrap();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Subscribing twice mails one confirmation; a confirmed address is told
/// so without a mail; the fan-out queues each update once; a bad address
/// and a private webhook are refused naming the field; too many requests
/// get a 429 problem.
#[tokio::test]
async fn subscriptions_confirm_once_fan_out_once_and_are_rate_limited_sqlite() {
    subscriptions_confirm_once_fan_out_once_and_are_rate_limited(spawn(Db::Sqlite).await.unwrap())
        .await;
}

#[tokio::test]
async fn subscriptions_confirm_once_fan_out_once_and_are_rate_limited_postgres() {
    if let Some(app) = spawn(Db::Postgres).await {
        subscriptions_confirm_once_fan_out_once_and_are_rate_limited(app).await;
    }
}

async fn subscriptions_confirm_once_fan_out_once_and_are_rate_limited(app: TestApp) {
    let w = world(&app).await;
    let sink = SmtpSink::start(Rcpt::Accept).await;
    let workers = workers(&app, sink.port).await;
    let sub = |body: Value| {
        let app = &app;
        async move {
            let res = app
                .http
                .post(format!("{}/api/v1/status/subscribers", app.url))
                .json(&body)
                .send()
                .await
                .unwrap();
            firebreak_testkit::app::decode(res).await
        }
    };
    let (st, a) = sub(json!({"email": "ann@example.net", "components": [w.billing]})).await;
    assert_eq!(
        (st, a["outcome"].as_str()),
        (200, Some("confirmation_sent"))
    );
    let (_, again) = sub(json!({"email": "ann@example.net", "components": [w.billing]})).await;
    assert_eq!(again["outcome"], "confirmation_pending");
    workers.run_once(Utc::now()).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "one confirmation for two requests");
    let text = parse(&mails[0]).body_text(0).unwrap().into_owned();
    let confirm = link_in(&text, "/status/confirm/");
    let res = app.http.post(&confirm).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (_, third) = sub(json!({"email": "ann@example.net"})).await;
    assert_eq!(third["outcome"], "already_confirmed");

    // Refusals name the field.
    let (st, p) = sub(json!({"email": "not an address"})).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("email")));
    let (st, p) = sub(json!({"webhook_url": "http://127.0.0.1:9/hook"})).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("webhook_url")), "{p}");
    let (st, p) = sub(json!({"email": "x@example.net", "components": [99999]})).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("components")));
    let (st, p) = sub(json!({"email": "x@example.net", "extra": 1})).await;
    assert_eq!(st, 400, "{p}");

    // A webhook subscriber gets its secret once.
    let (st, hook) = sub(json!({"webhook_url": "https://hooks.example.net/status"})).await;
    assert_eq!(st, 200);
    assert!(hook["secret"].as_str().unwrap().len() > 20);
    let (_, hook2) = sub(json!({"webhook_url": "https://hooks.example.net/status"})).await;
    assert_eq!(hook2["secret"], Value::Null);

    // The fan-out: ann (billing only) hears of a billing incident once,
    // however often it runs, and never of a login one.
    let billing = declare(&app, "availability").await;
    app.store
        .set_incident_components(
            billing,
            &[(w.billing, ComponentStatus::DegradedPerformance)],
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    let login = declare(&app, "availability").await;
    app.store
        .set_incident_components(
            login,
            &[(w.login, ComponentStatus::MajorOutage)],
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    notice(
        &app,
        billing,
        "Invoices are slow",
        "Invoices take minutes.",
        "identified",
    )
    .await;
    notice(
        &app,
        login,
        "Sign-in down",
        "Nobody can sign in.",
        "investigating",
    )
    .await;
    let queued = firebreak_server::status::subscribe::fanout(&app.state, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        queued, 1,
        "ann's billing update; the webhook is unconfirmed"
    );
    assert_eq!(
        firebreak_server::status::subscribe::fanout(&app.state, Utc::now())
            .await
            .unwrap(),
        0
    );
    workers.run_once(Utc::now()).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    let update = parse(&mails[1]);
    assert_eq!(
        update.subject(),
        Some("[Acme status] Identified: Invoices are slow")
    );
    let body = update.body_text(0).unwrap().into_owned();
    assert_contains(&body, "Invoices take minutes.");
    assert_lacks(&body, MARKER);
    assert_lacks(String::from_utf8_lossy(&mails[1].data).as_ref(), MARKER);

    // Too many subscription requests from one address.
    let mut last = 0;
    for i in 0..12 {
        let (st, p) = sub(json!({"email": format!("n{i}@example.net")})).await;
        last = st;
        if st == 429 {
            assert_eq!(p["status"], 429);
            break;
        }
    }
    assert_eq!(last, 429);
    let res = app
        .http
        .post(format!("{}/status/subscribe", app.url))
        .form(&[("email", "late@example.net")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_contains(res.text().await.unwrap(), "Too many");
}

/// In Chromium: the page before (all operational), during (a major outage
/// with its public update) and after (resolved, in the history) an
/// incident; subscribing through the form, confirming through the link
/// from the SMTP sink, receiving the update with RFC 8058 headers, and
/// unsubscribing with one plain POST without a cookie. Screenshots of
/// `/status` at 375 and 1440 px land in `target/screenshots/`.
#[tokio::test]
async fn in_the_browser_before_during_after_and_a_subscription() {
    use crate::web::{browser, chromedriver, click, fill, submit, text};
    let app = spawn(Db::Sqlite).await.unwrap();
    let w = world(&app).await;
    let sink = SmtpSink::start(Rcpt::Accept).await;
    let workers = workers(&app, sink.port).await;
    refresh(&app).await;
    let driver = chromedriver();
    let c = browser(&driver).await;
    let status_url = format!("{}/status", app.url);

    // Before.
    c.goto(&status_url).await.unwrap();
    assert_eq!(text(&c, "#overall").await, "All Systems Operational");
    assert_eq!(
        text(&c, &format!("#component-{} .cstatus", w.login)).await,
        "Operational"
    );
    assert_contains(&text(&c, "#active").await, "No incidents right now.");

    // Subscribing through the form, to Login only.
    fill(&c, "#sub-email", "bo@example.net").await;
    click(&c, &format!("input[name=component][value=\"{}\"]", w.login)).await;
    submit(&c, "#sub-submit").await;
    assert_eq!(text(&c, "#message-heading").await, "Check your inbox");
    workers.run_once(Utc::now()).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["bo@example.net"]);
    let confirm = link_in(&parse(&mails[0]).body_text(0).unwrap(), "/status/confirm/");
    c.goto(&confirm).await.unwrap();
    submit(&c, "#message-button").await;
    assert_eq!(text(&c, "#message-heading").await, "Subscription confirmed");

    // During.
    let id = declare(&app, "availability").await;
    app.store
        .set_incident_components(
            id,
            &[(w.login, ComponentStatus::MajorOutage)],
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    notice(
        &app,
        id,
        "Sign-in failures",
        "We are investigating failed sign-ins.",
        "investigating",
    )
    .await;
    refresh(&app).await;
    c.goto(&status_url).await.unwrap();
    assert_eq!(text(&c, "#overall").await, "Major System Outage");
    assert_eq!(
        text(&c, &format!("#component-{} .cstatus", w.login)).await,
        "Major outage"
    );
    let active = text(&c, "#active").await;
    assert_contains(&active, "Sign-in failures");
    assert_contains(&active, "We are investigating failed sign-ins.");
    let source = c.source().await.unwrap();
    assert_lacks(&source, MARKER);
    screenshots(&app).await;

    // The update mail, with one-click unsubscription.
    workers.run_once(Utc::now()).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 2, "the update");
    let update = parse(&mails[1]);
    let unsubscribe = update
        .header("List-Unsubscribe")
        .and_then(|h| h.as_text())
        .map(|s| s.trim_matches(|c| c == '<' || c == '>').to_owned())
        .or_else(|| {
            update
                .header("List-Unsubscribe")
                .and_then(|h| h.as_address())
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_owned)
        })
        .expect("List-Unsubscribe");
    assert_eq!(
        update
            .header("List-Unsubscribe-Post")
            .and_then(|h| h.as_text()),
        Some("List-Unsubscribe=One-Click")
    );
    let body = update.body_text(0).unwrap().into_owned();
    assert_contains(&body, "We are investigating failed sign-ins.");
    assert_contains(&body, &unsubscribe);
    assert_lacks(&body, MARKER);

    // After.
    notice(
        &app,
        id,
        "Sign-in restored",
        "Sign-in works again.",
        "resolved",
    )
    .await;
    resolve(&app, id).await;
    refresh(&app).await;
    c.goto(&status_url).await.unwrap();
    assert_eq!(text(&c, "#overall").await, "All Systems Operational");
    assert_contains(&text(&c, "#history").await, "Sign-in restored");
    assert_contains(&text(&c, "#active").await, "No incidents right now.");
    let outage_days = c
        .find_all(Locator::Css(&format!(
            "#component-{} .bar .d-major_outage",
            w.login
        )))
        .await
        .unwrap();
    assert_eq!(outage_days.len(), 1, "today keeps the outage");

    workers.run_once(Utc::now()).await.unwrap();
    assert_eq!(sink.mails().len(), 3, "the resolution");

    // One plain POST, no cookie, no CSRF token: unsubscribed.
    let res = reqwest::Client::new()
        .post(&unsubscribe)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    // Nothing more after unsubscribing.
    notice(&app, id, "Postmortem", "Published.", "resolved").await;
    workers.run_once(Utc::now()).await.unwrap();
    assert_eq!(sink.mails().len(), 3);
    c.close().await.unwrap();
}

/// `/status` photographed at a phone's and a laptop's width (no sign-in
/// needed): `target/screenshots/status-<width>.png`.
async fn screenshots(app: &TestApp) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    for width in [375, 1440] {
        let out = dir.join(format!("status-{width}.png"));
        let profile = tempfile::tempdir().unwrap();
        let st = tokio::process::Command::new("/usr/lib/chromium/chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                &format!("--user-data-dir={}", profile.path().display()),
                &format!("--window-size={width},2400"),
                &format!("--screenshot={}", out.display()),
                &format!("{}/status", app.url),
            ])
            .output()
            .await
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        assert!(out.exists());
    }
}

/// A maintenance window given public wording shows as scheduled
/// maintenance, in that wording only; one without stays internal.
#[tokio::test]
async fn maintenance_windows_with_public_wording_are_scheduled_maintenance() {
    let app = spawn(Db::Sqlite).await.unwrap();
    let _w = world(&app).await;
    let t = &app.admin_token;
    let from = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let until = (Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let p = app
        .post_expect(
            t,
            "/api/v1/intake/maintenance",
            json!({"service": "web", "starts_at": from, "ends_at": until, "reason": "x",
                   "public_body": "text without a title"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "public_title");
    let m = app
        .post_expect(
            t,
            "/api/v1/intake/maintenance",
            json!({"service": "web", "starts_at": from, "ends_at": until,
                   "reason": format!("reindex {MARKER}"),
                   "public_title": "Database upgrade", "public_body": "Read-only for ten minutes."}),
            201,
        )
        .await;
    assert_eq!(m["public_title"], "Database upgrade");
    app.post_expect(
        t,
        "/api/v1/intake/maintenance",
        json!({"service": "web", "starts_at": from, "ends_at": until, "reason": "quiet one"}),
        201,
    )
    .await;
    refresh(&app).await;
    let s = json_of(&app, "/status.json").await;
    check_summary_shape(&s);
    let list = s["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "Database upgrade");
    assert_eq!(list[0]["status"], "scheduled");
    assert_eq!(list[0]["impact"], "maintenance");
    assert_eq!(list[0]["components"].as_array().unwrap().len(), 2);
    assert_eq!(s["status"]["indicator"], "none", "not started yet");
    let (_, _, html) = fetch(&app, "/status").await;
    assert_contains(&html, "Scheduled maintenance");
    assert_contains(&html, "Read-only for ten minutes.");
    assert_lacks(&html, "quiet one");
    nothing_internal_is_public(&app).await;
    // The maintenance page says which windows show on the status page.
    let web = firebreak_testkit::web::WebSession::admin(&app).await;
    let (code, page) = web.get(&app, "/admin/maintenance").await;
    assert_eq!(code, 200);
    assert_contains(&page, "On the status page: “Database upgrade”");
    assert_eq!(
        page.matches("On the status page:").count(),
        1,
        "only the public window"
    );
}

/// The JSON documents and the subscription API are in the OpenAPI document.
#[tokio::test]
async fn the_status_api_is_in_the_openapi_document() {
    let app = spawn(Db::Sqlite).await.unwrap();
    let doc = app.get_expect("", "/api/v1/openapi.json", 200).await;
    for (path, method) in [
        ("/status.json", "get"),
        ("/api/v2/summary.json", "get"),
        ("/api/v2/status.json", "get"),
        ("/api/v2/components.json", "get"),
        ("/api/v2/incidents.json", "get"),
        ("/api/v2/incidents/unresolved.json", "get"),
        ("/api/v2/scheduled-maintenances.json", "get"),
        ("/api/v1/status/subscribers", "post"),
    ] {
        assert!(
            doc["paths"][path].get(method).is_some(),
            "openapi lacks {method} {path}"
        );
    }
    for schema in ["SpSummary", "SpIncident", "Subscribe", "Subscribed"] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
}

/// A webhook subscriber: the URL passes the outgoing policy (here opened
/// for loopback), a ping carries the confirmation link, the receiver
/// confirms with one POST, and updates arrive as `status_update` bodies
/// with nothing internal.
#[tokio::test]
async fn a_webhook_subscriber_confirms_from_the_ping_and_receives_updates() {
    let mut hook = firebreak_testkit::WebhookReceiver::start();
    let app = spawn_with(
        Db::Sqlite,
        |c| {
            configure(c);
            c.outgoing = firebreak_server::notify::OutgoingPolicy::new(&["127.0.0.1/8"]).unwrap();
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let w = world(&app).await;
    let sink = SmtpSink::start(Rcpt::Accept).await;
    let workers = workers(&app, sink.port).await;
    let res = app
        .http
        .post(format!("{}/api/v1/status/subscribers", app.url))
        .json(&json!({"webhook_url": hook.url, "components": [w.login]}))
        .send()
        .await
        .unwrap();
    let (st, sub) = firebreak_testkit::app::decode(res).await;
    assert_eq!(st, 200, "{sub}");
    assert!(sub["secret"].is_string());
    workers.run_once(Utc::now()).await.unwrap();
    let ping = hook.drain();
    assert_eq!(ping.len(), 1);
    assert_eq!(ping[0].body["type"], "subscription_confirm");
    let confirm = ping[0].body["confirm_url"].as_str().unwrap().to_owned();
    let res = reqwest::Client::new().post(&confirm).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);

    let id = declare(&app, "availability").await;
    app.store
        .set_incident_components(
            id,
            &[(w.login, ComponentStatus::PartialOutage)],
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    notice(
        &app,
        id,
        "Slow sign-in",
        "Sign-in takes a minute.",
        "identified",
    )
    .await;
    workers.run_once(Utc::now()).await.unwrap();
    let got: Vec<_> = hook
        .drain()
        .into_iter()
        .filter(|d| d.body["type"] != "subscription_confirm")
        .collect();
    assert_eq!(got.len(), 1, "{got:#?}");
    let body = &got[0].body;
    assert_eq!(body["type"], "status_update");
    assert_eq!(body["update"]["title"], "Slow sign-in");
    assert_eq!(body["update"]["status"], "identified");
    assert!(
        body["unsubscribe_url"]
            .as_str()
            .unwrap()
            .contains("/status/unsubscribe/")
    );
    assert_lacks(body.to_string(), MARKER);
    assert!(got[0].idempotency_key.starts_with("status-update:"));
}
