//! The security team's side of responsible disclosure (issue 12): the
//! workflow through the API with the researcher told by email (real SMTP
//! sink), CVSS refusals naming the metric, the incident declared from a
//! disclosure, reminders once per interval on a manual clock, and that no
//! other role learns a disclosure exists from any endpoint, page or metric.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use firebreak_api::disclosure::DisclosureChannel;
use firebreak_server::notify::{Notifier, OutgoingPolicy, SmtpConfig, SmtpSecurity, Templates};
use firebreak_server::workers::{Outcome, WorkerConfig, Workers};
use firebreak_store::Actor;
use firebreak_store::disclosures::{NewDisclosureMessage, NewDisclosureRecord, STAFF};
use firebreak_store::intake::AttachmentWrite;
use firebreak_testkit::WebhookReceiver as Receiver;
use firebreak_testkit::smtp::{Mails, Rcpt, SmtpSink};
use firebreak_testkit::web::WebSession;

use crate::harness::{Db, ManualClock, TestApp, spawn_with};

const MARKER: &str = "ZZ-VULN-MARKER-91c2";
const NOTE: &str = "ZZ-INTERNAL-NOTE-44ab";
const PASSWORD: &str = "a long enough password";

struct World {
    app: TestApp,
    clock: Arc<ManualClock>,
    workers: Workers,
    mails: Mails,
    /// The security team's token.
    sam: String,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

async fn world(db: Db) -> Option<World> {
    let clock = ManualClock::new(t0());
    let policy = OutgoingPolicy::new(&["127.0.0.1"]).unwrap();
    let app = spawn_with(db, move |c| c.outgoing = policy, clock.clone()).await?;
    let sink = SmtpSink::start(Rcpt::Accept).await;
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(sink.port),
        security: SmtpSecurity::None,
        username: Some("firebreak".into()),
        password: Some(firebreak_server::notify::Secret::new("smtp-pass")),
        from: "Firebreak <firebreak@example.org>".into(),
        timeout_secs: 10,
    };
    let workers = Workers::new(
        app.state.clone(),
        Notifier::new(Some(smtp), Templates::default()).unwrap(),
        WorkerConfig::default(),
    )
    .await
    .unwrap();
    let sam = app.user("sam", "security").await;
    Some(World {
        app,
        clock,
        workers,
        mails: sink.mails,
        sam,
    })
}

impl World {
    fn now(&self) -> DateTime<Utc> {
        firebreak_server::Clock::now(&*self.clock)
    }

    fn advance(&self, d: Duration) {
        self.clock.set(self.now() + d);
    }

    async fn step(&self) -> Outcome {
        self.workers.run_once(self.now()).await.unwrap()
    }

    fn mail_texts(&self) -> Vec<String> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .map(|m| String::from_utf8_lossy(&m.data).into_owned())
            .collect()
    }

    /// A disclosure from the form, with a file and an internal note; its
    /// id and tracking id.
    async fn disclosure(&self, title: &str, embargo_days: i64) -> (i64, String) {
        let s = &self.app.store;
        let now = self.now();
        let d = s
            .create_disclosure(
                &NewDisclosureRecord {
                    channel: DisclosureChannel::Form,
                    title: title.into(),
                    description: format!("{MARKER} stored XSS"),
                    steps: "paste <script>".into(),
                    impact: "session theft".into(),
                    asset: "app.example.com".into(),
                    researcher_name: Some("Rita".into()),
                    researcher_email: Some("rita@example.org".into()),
                    credit: true,
                    client_addr: None,
                    embargo_until: now + Duration::days(embargo_days),
                    attachments: vec![AttachmentWrite {
                        filename: Some("poc.txt".into()),
                        content_type: "text/plain".into(),
                        size: 5,
                        sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                            .into(),
                        content: Some("aGVsbG8=".into()),
                    }],
                },
                &|_, _| None,
                &Actor::system(),
                now,
            )
            .await
            .unwrap();
        s.add_disclosure_message(
            d.id,
            &NewDisclosureMessage {
                author: STAFF,
                body: NOTE.into(),
                internal: true,
                email_message_id: None,
                attachments: Vec::new(),
            },
            None,
            &Actor::system(),
            now,
        )
        .await
        .unwrap();
        (d.id, d.tracking_id)
    }
}

fn field(b: &Value) -> &str {
    b["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_team_works_a_disclosure_and_the_researcher_is_told() {
    let Some(w) = world(Db::Sqlite).await else {
        return;
    };
    let app = &w.app;
    let (id, tracking) = w.disclosure(&format!("{MARKER} XSS in search"), 90).await;
    let sam = &w.sam;

    let list = app.get_list(sam, "/api/v1/disclosures").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["tracking_id"], json!(tracking));
    assert_eq!(
        app.get_list(sam, "/api/v1/disclosures?state=fixed")
            .await
            .len(),
        0
    );
    let (s, b) = app.get(sam, "/api/v1/disclosures?state=bogus").await;
    assert_eq!(s, 400, "{b}");

    let by_id = app
        .get_expect(sam, &format!("/api/v1/disclosures/{id}"), 200)
        .await;
    let by_tracking = app
        .get_expect(sam, &format!("/api/v1/disclosures/{tracking}"), 200)
        .await;
    assert_eq!(by_id, by_tracking);
    assert!(by_id.to_string().contains(NOTE), "staff see internal notes");
    assert_eq!(by_id["due"][0]["what"], "acknowledge");
    let file = by_id["attachments"][0]["id"].as_i64().unwrap();
    let res = app
        .http
        .get(format!("{}/api/v1/disclosures/{id}/files/{file}", app.url))
        .bearer_auth(sam)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"hello");

    // Acknowledge: the researcher is mailed, the subject carries the id.
    let d = app
        .post_expect(
            sam,
            &format!("/api/v1/disclosures/{id}/acknowledge"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(d["state"], "acknowledged");
    let (s, b) = app
        .post(
            sam,
            &format!("/api/v1/disclosures/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "{b}");

    // A reply is mailed; an internal note is not.
    app.post_expect(
        sam,
        &format!("/api/v1/disclosures/{id}/messages"),
        json!({"body": "Thanks, we reproduced it."}),
        201,
    )
    .await;
    app.post_expect(
        sam,
        &format!("/api/v1/disclosures/{id}/messages"),
        json!({"body": "ZZ-SECOND-NOTE internal", "internal": true}),
        201,
    )
    .await;
    let (s, b) = app
        .post(
            sam,
            &format!("/api/v1/disclosures/{id}/messages"),
            json!({"body": "  "}),
        )
        .await;
    assert_eq!((s, field(&b)), (422, "body"), "{b}");

    // Triage: refusals name the field.
    let tri = format!("/api/v1/disclosures/{id}/triage");
    let (s, b) = app
        .post(sam, &tri, json!({"outcome": "not_applicable"}))
        .await;
    assert_eq!((s, field(&b)), (422, "reason"), "{b}");
    let (s, b) = app.post(sam, &tri, json!({"outcome": "duplicate"})).await;
    assert_eq!((s, field(&b)), (422, "duplicate_of"), "{b}");
    let (s, b) = app
        .post(
            sam,
            &tri,
            json!({"outcome": "duplicate", "duplicate_of": tracking}),
        )
        .await;
    assert_eq!((s, field(&b)), (422, "duplicate_of"), "{b}");
    let d = app
        .post_expect(sam, &tri, json!({"outcome": "valid"}), 200)
        .await;
    assert_eq!(d["triage_outcome"], "valid");

    // CVSS: a missing metric is refused naming it; a full vector scores.
    let cvss = format!("/api/v1/disclosures/{id}/cvss");
    let (s, b) = app
        .put(
            sam,
            &cvss,
            json!({"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"}),
        )
        .await;
    assert_eq!((s, field(&b)), (422, "A"), "{b}");
    let d = app
        .put_expect(
            sam,
            &cvss,
            json!({"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
            200,
        )
        .await;
    assert_eq!(d["cvss_score"], json!(9.8));
    assert_eq!(d["severity"], "critical");

    // Embargo: a reason is required; the researcher is told the new date.
    let emb = format!("/api/v1/disclosures/{id}/embargo");
    let later = (w.now() + Duration::days(120)).to_rfc3339();
    let (s, b) = app
        .put(sam, &emb, json!({"embargo_until": later, "reason": " "}))
        .await;
    assert_eq!((s, field(&b)), (422, "reason"), "{b}");
    let past = (w.now() - Duration::days(1)).to_rfc3339();
    let (s, b) = app
        .put(sam, &emb, json!({"embargo_until": past, "reason": "x"}))
        .await;
    assert_eq!((s, field(&b)), (422, "embargo_until"), "{b}");
    app.put_expect(
        sam,
        &emb,
        json!({"embargo_until": later, "reason": "the vendor ships in May"}),
        200,
    )
    .await;

    // State moves: triaged is refused here, fixed needs the order.
    let st = format!("/api/v1/disclosures/{id}/state");
    let (s, b) = app.post(sam, &st, json!({"state": "triaged"})).await;
    assert_eq!((s, field(&b)), (422, "state"), "{b}");
    let (s, b) = app.post(sam, &st, json!({"state": "disclosed"})).await;
    assert_eq!(s, 409, "{b}");

    // Declaring the incident: a security incident at the disclosure's
    // severity, linked; the disclosure is fixing.
    let d = app
        .post_expect(
            sam,
            &format!("/api/v1/disclosures/{id}/incident"),
            json!({}),
            201,
        )
        .await;
    assert_eq!(d["state"], "fixing");
    let inc = d["incident_id"].as_i64().unwrap();
    let incident = app
        .get_expect(sam, &format!("/api/v1/incidents/{inc}"), 200)
        .await;
    assert_eq!(incident["kind"], "security");
    assert_eq!(incident["severity"], "critical");
    let (s, b) = app
        .post(
            sam,
            &format!("/api/v1/disclosures/{id}/incident"),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "{b}");

    // A new score reaches the incident's timeline.
    app.put_expect(
        sam,
        &format!("/api/v1/disclosures/{id}/cvss"),
        json!({"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}),
        200,
    )
    .await;
    let tl = app
        .get_expect(sam, &format!("/api/v1/incidents/{inc}/timeline"), 200)
        .await;
    assert!(
        tl.as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "disclosure.cvss"
                && e["summary"].as_str().unwrap().contains("9.1")),
        "{tl}"
    );

    // Fixed only once the incident's fix is deployed and verified.
    let (s, b) = app
        .post(
            sam,
            &st,
            json!({"state": "fixed", "message": "Fixed in 2.3.1."}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("in triage"), "{b}");
    let pager = Receiver::start();
    app.post_expect(
        &app.admin_token,
        "/api/v1/users/sam/contact-methods",
        json!({"label": "hook", "channel": {"kind": "webhook", "url": pager.url}}),
        201,
    )
    .await;
    app.patch_expect(
        sam,
        &format!("/api/v1/incidents/{inc}"),
        json!({"owner": "sam"}),
        200,
    )
    .await;
    for (phase, items) in [
        ("containment", &[][..]),
        (
            "remediation",
            &["impact_contained", "evidence_preserved"][..],
        ),
        ("recovery", &["fix_deployed", "deployment_verified"][..]),
    ] {
        for item in items {
            app.post_expect(
                sam,
                &format!("/api/v1/incidents/{inc}/checklist/{item}"),
                json!({"status": "done"}),
                200,
            )
            .await;
        }
        app.post_expect(
            sam,
            &format!("/api/v1/incidents/{inc}/transition"),
            json!({"to": phase}),
            200,
        )
        .await;
    }
    app.post_expect(
        sam,
        &st,
        json!({"state": "fixed", "message": "Fixed in 2.3.1."}),
        200,
    )
    .await;
    let d = app
        .post_expect(sam, &st, json!({"state": "disclosed"}), 200)
        .await;
    assert_eq!(d["state"], "disclosed");

    // The timeline holds every change.
    let detail = app
        .get_expect(sam, &format!("/api/v1/disclosures/{id}"), 200)
        .await;
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "disclosure.state",
        "disclosure.triage",
        "disclosure.cvss",
        "disclosure.embargo",
        "disclosure.incident",
        "disclosure.message",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }

    // The researcher's mails went out through the outbox.
    w.step().await;
    let mails = w.mail_texts();
    let subject = |s: &str| mails.iter().filter(|m| m.contains(s)).count();
    assert_eq!(
        subject(&format!("[{tracking}] Your report was acknowledged")),
        1,
        "{mails:?}"
    );
    assert_eq!(
        subject(&format!("[{tracking}] A reply from the security team")),
        1
    );
    assert_eq!(subject(&format!("[{tracking}] Your report was triaged")), 1);
    assert_eq!(
        subject(&format!("[{tracking}] The public-disclosure date changed")),
        1
    );
    assert_eq!(subject(&format!("[{tracking}] The issue is fixed")), 1);
    assert_eq!(subject(&format!("[{tracking}] The issue is disclosed")), 1);
    assert!(mails.iter().any(|m| m.contains("the vendor ships in May")));
    assert!(
        !mails
            .iter()
            .any(|m| m.contains(NOTE) || m.contains("ZZ-SECOND-NOTE"))
    );
    assert!(mails.iter().all(|m| m.contains("rita@example.org")));
}

#[tokio::test]
async fn reminders_go_out_once_per_interval() {
    let Some(w) = world(Db::Sqlite).await else {
        return;
    };
    let hook = Receiver::start();
    w.app
        .post_expect(
            &w.app.admin_token,
            "/api/v1/users/sam/contact-methods",
            json!({"label": "hook", "channel": {"kind": "webhook", "url": hook.url}}),
            201,
        )
        .await;
    let (id, _) = w.disclosure("overdue", 90).await;
    assert_eq!(w.step().await.disclosure_reminders, 0, "nothing due yet");
    // Not acknowledged within the (unscored: high) target of two days.
    w.advance(Duration::days(2) + Duration::minutes(1));
    assert_eq!(w.step().await.disclosure_reminders, 1);
    assert_eq!(
        w.step().await.disclosure_reminders,
        0,
        "once, not every tick"
    );
    w.advance(Duration::hours(2));
    assert_eq!(
        w.step().await.disclosure_reminders,
        0,
        "within the interval"
    );
    w.advance(Duration::days(1));
    assert_eq!(w.step().await.disclosure_reminders, 1, "again after a day");
    w.app
        .post_expect(
            &w.sam,
            &format!("/api/v1/disclosures/{id}/acknowledge"),
            json!({}),
            200,
        )
        .await;

    // An embargo a week away reminds once per interval too.
    let (_, tracking) = w.disclosure("embargo soon", 6).await;
    w.advance(Duration::minutes(1));
    // The first one's triage is due at five days: not yet.
    let n = w.step().await.disclosure_reminders;
    assert_eq!(n, 1, "the embargo reminder");
    w.advance(Duration::minutes(1));
    assert_eq!(w.step().await.disclosure_reminders, 0);
    w.advance(Duration::hours(23));
    assert_eq!(w.step().await.disclosure_reminders, 0);
    w.advance(Duration::hours(2));
    // A day later: the embargo again (the first one's triage is not due).
    assert_eq!(w.step().await.disclosure_reminders, 1);
    firebreak_testkit::eventually(
        std::time::Duration::from_secs(10),
        "the reminders reach sam's webhook",
        || async {
            let all = hook.all();
            let embargo = all
                .iter()
                .filter(|m| m.body.to_string().contains(&tracking))
                .count();
            (all.len() >= 4 && embargo == 2).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn reminders_reaching_nobody_are_shown_in_red() {
    let Some(w) = world(Db::Sqlite).await else {
        return;
    };
    w.disclosure("nobody hears", 90).await;
    let web = WebSession::sign_in(&w.app, "sam", PASSWORD).await;
    let (_, page) = web.get(&w.app, "/disclosures").await;
    assert!(page.contains("reminders reach nobody"), "{page}");
}

/// Everyone but the security team and admins: the disclosure, its file,
/// its report and the incident declared from it do not exist.
async fn nobody_else_learns_it_exists(db: Db) {
    let Some(w) = world(db).await else {
        return;
    };
    let app = &w.app;
    let (id, tracking) = w.disclosure(&format!("{MARKER} RCE"), 90).await;
    app.post_expect(
        &w.sam,
        &format!("/api/v1/disclosures/{id}/triage"),
        json!({"outcome": "valid"}),
        200,
    )
    .await;
    let d = app
        .post_expect(
            &w.sam,
            &format!("/api/v1/disclosures/{id}/incident"),
            json!({}),
            201,
        )
        .await;
    let inc = d["incident_id"].as_i64().unwrap();
    let file = app
        .get_expect(&w.sam, &format!("/api/v1/disclosures/{id}"), 200)
        .await["attachments"][0]["id"]
        .as_i64()
        .unwrap();
    // Admin sees it too.
    assert!(
        app.get_list(&app.admin_token, "/api/v1/disclosures")
            .await
            .iter()
            .any(|d| d["id"] == json!(id))
    );

    let (_, missing) = app.get(&w.sam, "/api/v1/disclosures/999999").await;
    for role in ["viewer", "responder", "support", "lead", "leadership"] {
        let name = format!("u-{role}");
        let t = app.user(&name, role).await;
        let (s, b) = app.get(&t, "/api/v1/disclosures").await;
        assert_eq!(s, 403, "{role}: {b}");
        assert!(!b.to_string().contains(MARKER));
        for path in [
            format!("/api/v1/disclosures/{id}"),
            format!("/api/v1/disclosures/{tracking}"),
            format!("/api/v1/disclosures/{id}/files/{file}"),
        ] {
            let (s, b) = app.get(&t, &path).await;
            assert_eq!(s, 404, "{role} {path}: {b}");
            assert_eq!(b["title"], missing["title"], "{role} {path}");
            assert_eq!(b["type"], missing["type"], "{role} {path}");
            assert!(!b.to_string().contains(MARKER));
        }
        for (path, body) in [
            (
                format!("/api/v1/disclosures/{id}/triage"),
                json!({"outcome": "valid"}),
            ),
            (format!("/api/v1/disclosures/{id}/acknowledge"), json!({})),
            (
                format!("/api/v1/disclosures/{id}/messages"),
                json!({"body": "x"}),
            ),
        ] {
            let (s, b) = app.post(&t, &path, body).await;
            assert_eq!(s, 404, "{role} {path}: {b}");
        }
        let (s, _) = app.get(&t, &format!("/api/v1/incidents/{inc}")).await;
        assert_eq!(s, 404, "{role}: the security incident is hidden");
        for path in ["/api/v1/reports", "/api/v1/incidents"] {
            let (_, b) = app.get(&t, path).await;
            assert!(!b.to_string().contains(MARKER), "{role} {path}: {b}");
        }
        let web = WebSession::sign_in(app, &name, PASSWORD).await;
        for path in [
            "/disclosures".to_owned(),
            format!("/disclosures/{id}"),
            format!("/disclosures/{tracking}"),
            "/triage".to_owned(),
            "/incidents".to_owned(),
            "/".to_owned(),
        ] {
            let (s, body) = web.get(app, &path).await;
            assert!(!body.contains(MARKER), "{role} {path}");
            if !path.contains(&tracking) {
                assert!(!body.contains(&tracking), "{role} {path}");
            }
            if path.starts_with("/disclosures") {
                assert!(s == 403 || s == 404, "{role} {path}: {s}");
            }
        }
        assert!(
            !web.get(app, "/").await.1.contains("href=\"/disclosures\""),
            "{role}: no nav entry"
        );
    }
    let metrics = app.get_anonymous("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains(MARKER) && !metrics.contains(&tracking));

    // The security team sees it on its pages.
    let web = WebSession::sign_in(app, "sam", PASSWORD).await;
    let (s, body) = web.get(app, "/disclosures").await;
    assert_eq!(s, 200);
    assert!(body.contains(&tracking) && body.contains("href=\"/disclosures\""));
    let (s, body) = web.get(app, &format!("/disclosures/{tracking}")).await;
    assert_eq!(s, 200);
    assert!(body.contains(MARKER) && body.contains(NOTE));
    // The incident declared from it names the disclosure (and its CVSS)
    // to the security team.
    let (s, body) = web.get(app, &format!("/incidents/{inc}")).await;
    assert_eq!(s, 200);
    assert!(body.contains("id=\"disclosure-box\""), "{body}");
    assert!(body.contains(&format!("href=\"/disclosures/{id}\"")));
}

#[tokio::test]
async fn nobody_else_learns_it_exists_sqlite() {
    nobody_else_learns_it_exists(Db::Sqlite).await;
}

#[tokio::test]
async fn nobody_else_learns_it_exists_postgres() {
    nobody_else_learns_it_exists(Db::Postgres).await;
}

#[tokio::test]
async fn staff_enter_a_disclosure_reported_by_phone() {
    let Some(w) = world(Db::Sqlite).await else {
        return;
    };
    let b = w
        .app
        .post_expect(
            &w.sam,
            "/api/v1/disclosures",
            json!({"title": "Open redirect", "description": "reported by phone",
                "researcher_email": "phone@example.org"}),
            201,
        )
        .await;
    assert_eq!(b["disclosure"]["channel"], "api");
    assert!(
        b["disclosure"]["tracking_id"]
            .as_str()
            .unwrap()
            .starts_with("VULN-")
    );
    assert!(
        b["status_url"]
            .as_str()
            .unwrap()
            .contains("/security/status/"),
        "{b}"
    );
    let (s, b) = w
        .app
        .post(
            &w.sam,
            "/api/v1/disclosures",
            json!({"title": "x", "description": " "}),
        )
        .await;
    assert_eq!((s, field(&b)), (422, "description"), "{b}");
    let t = w.app.user("rick", "responder").await;
    let (s, _) = w
        .app
        .post(
            &t,
            "/api/v1/disclosures",
            json!({"title": "x", "description": "y"}),
        )
        .await;
    assert_eq!(s, 403);
}
