//! Customer communication end to end (issue 11, items 2 and 3): notices
//! fall due by the process's rules, reach exactly the affected customers'
//! contacts (real SMTP sink, signed webhook receiver), remind the incident
//! lead once per cadence, and derive `customer_communication_sent`, so
//! closing is refused while a required notice is unsent. Internal notes
//! never leave the incident. Time is a manual clock; the worker's step runs
//! at the instants the tests choose.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use firebreak_api::comms::AffectedMode;
use firebreak_server::notify::{Notifier, OutgoingPolicy, SmtpConfig, SmtpSecurity, Templates};
use firebreak_server::workers::{Outcome, WorkerConfig, Workers};
use firebreak_store::Actor;
use firebreak_testkit::WebhookReceiver as Receiver;
use firebreak_testkit::smtp::{Mails, Rcpt, SmtpSink};
use firebreak_testkit::web::{csrf_in, first_cookie, no_redirects, page, post_form, post_login};

use crate::harness::{Db, ManualClock, TestApp, spawn_with};

const MARKER: &str = "ZZ-INTERNAL-7f3a";

struct World {
    app: TestApp,
    clock: Arc<ManualClock>,
    workers: Workers,
    /// The customers' webhook.
    hook: Receiver,
    /// The lead's webhook.
    lead_hook: Receiver,
    mails: Mails,
    acme: i64,
    globex: i64,
    initech: i64,
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
    let hook = Receiver::start();
    let lead_hook = Receiver::start();
    let t = app.admin_token.clone();
    app.user("lead1", "lead").await;
    app.post_expect(
        &t,
        "/api/v1/users/lead1/contact-methods",
        json!({"label": "hook", "channel": {"kind": "webhook", "url": lead_hook.url}}),
        201,
    )
    .await;
    app.reachable("admin").await;
    let actor = Actor::local("test");
    let mut ids = Vec::new();
    for name in ["acme", "globex", "initech"] {
        let c = app
            .store
            .create_customer(name, "a customer", &actor, t0())
            .await
            .unwrap();
        app.store
            .add_customer_contact(
                c.id,
                "ops mail",
                json!({"kind": "email", "to": format!("ops@{name}.example")}),
                &actor,
                t0(),
            )
            .await
            .unwrap();
        ids.push(c.id);
    }
    // One of the two affected customers also has a signed webhook.
    app.store
        .add_customer_contact(
            ids[0],
            "status hook",
            serde_json::from_str(&hook.channel_json()).unwrap(),
            &actor,
            t0(),
        )
        .await
        .unwrap();
    Some(World {
        app,
        clock,
        workers,
        hook,
        lead_hook,
        mails: sink.mails,
        acme: ids[0],
        globex: ids[1],
        initech: ids[2],
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

    fn token(&self) -> &str {
        &self.app.admin_token
    }

    async fn declare(&self, mut body: Value) -> i64 {
        body["severity_reason"] = json!("the test chooses it");
        let b = self
            .app
            .post_expect(self.token(), "/api/v1/incidents", body, 201)
            .await;
        b["id"].as_i64().unwrap()
    }

    async fn affected(&self, id: i64, mode: AffectedMode, customers: &[i64]) {
        self.app
            .store
            .set_incident_affected(id, mode, customers, &Actor::local("test"), self.now())
            .await
            .unwrap();
    }

    async fn comms(&self, id: i64) -> Value {
        self.app
            .get_expect(
                self.token(),
                &format!("/api/v1/incidents/{id}/communication"),
                200,
            )
            .await
    }

    async fn mark(&self, id: i64, item: &str) {
        self.app
            .post_expect(
                self.token(),
                &format!("/api/v1/incidents/{id}/checklist/{item}"),
                json!({"status": "done"}),
                200,
            )
            .await;
    }

    async fn to(&self, id: i64, phase: &str) -> (u16, Value) {
        self.app
            .post(
                self.token(),
                &format!("/api/v1/incidents/{id}/transition"),
                json!({"to": phase}),
            )
            .await
    }

    /// Marks the manual items of the phases up to `phase` and moves there.
    async fn walk(&self, id: i64, phase: &str) {
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
        let (_, inc) = self
            .app
            .get(self.token(), &format!("/api/v1/incidents/{id}"))
            .await;
        let order = [
            "triage",
            "containment",
            "remediation",
            "recovery",
            "post_incident",
        ];
        let at = order.iter().position(|p| inc["phase"] == *p).unwrap();
        for (to, items) in steps {
            let i = order.iter().position(|p| p == to).unwrap();
            if i <= at {
                continue;
            }
            for item in *items {
                self.mark(id, item).await;
            }
            let (s, b) = self.to(id, to).await;
            assert_eq!(s, 200, "{b}");
            if *to == phase {
                return;
            }
        }
    }

    async fn draft(&self, id: i64, body: Value) -> Value {
        self.app
            .post_expect(
                self.token(),
                &format!("/api/v1/incidents/{id}/notices"),
                body,
                201,
            )
            .await
    }

    async fn send(&self, id: i64, notice: i64, body: Value) -> (u16, Value) {
        self.app
            .post(
                self.token(),
                &format!("/api/v1/incidents/{id}/notices/{notice}/send"),
                body,
            )
            .await
    }

    fn reminders(&self) -> usize {
        self.lead_hook
            .all()
            .iter()
            .filter(|d| d.accepted && d.body["event"] == "comms_reminder")
            .count()
    }

    async fn session(&self) -> (reqwest::Client, String) {
        let http = no_redirects();
        let res = post_login(&self.app, &http, "admin", &self.app.admin_password, None).await;
        (http, first_cookie(&res))
    }

    fn mail_texts(&self) -> Vec<String> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .map(|m| format!("{:?}\n{}", m.to, String::from_utf8_lossy(&m.data)))
            .collect()
    }
}

fn kinds(c: &Value) -> Vec<String> {
    c["due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_critical_incident_tells_exactly_its_affected_customers(db: Db) {
    let Some(w) = world(db).await else { return };
    let id = w
        .declare(
            json!({"title": "Checkout down", "kind": "availability", "severity": "critical",
            "summary": "internal summary", "owner": "admin", "lead": "lead1"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.acme, w.globex])
        .await;

    // Before containment completes nothing is due, but closing would be
    // blocked and the item is derived.
    let c = w.comms(id).await;
    assert_eq!(c["notice_required"], true, "{c}");
    assert_eq!(c["blocks_close"], true);
    assert!(kinds(&c).is_empty(), "{c}");
    let to: Vec<&str> = c["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(to.len(), 3, "{c}");
    assert!(to.contains(&"ops@acme.example") && to.contains(&"ops@globex.example"));
    assert!(!to.iter().any(|t| t.contains("initech")), "{c}");
    let (s, b) = w
        .app
        .post(
            w.token(),
            &format!("/api/v1/incidents/{id}/checklist/customer_communication_sent"),
            json!({"status": "done", "note": "told them"}),
        )
        .await;
    assert_eq!(s, 422, "ticking by hand is refused: {b}");
    assert!(b.to_string().contains("customer_communication_sent"), "{b}");

    // Containment completes: a notice is due to those customers.
    w.walk(id, "remediation").await;
    let contained = w.now();
    let c = w.comms(id).await;
    assert_eq!(kinds(&c), ["customer_notice"], "{c}");
    assert_eq!(c["due"][0]["need"], "required");
    assert_eq!(c["due"][0]["overdue"], false);
    assert_eq!(
        c["due"][0]["overdue_at"],
        json!(
            (contained + Duration::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    );

    // Not sent in time: the lead is reminded, once per cadence.
    assert_eq!(w.step().await.comms_reminders, 0, "not overdue yet");
    w.advance(Duration::minutes(31));
    assert_eq!(w.step().await.comms_reminders, 1);
    assert_eq!(w.step().await.comms_reminders, 0, "once, not every tick");
    w.advance(Duration::minutes(1));
    assert_eq!(w.step().await.comms_reminders, 0, "once, not every tick");
    w.advance(Duration::minutes(20));
    assert_eq!(w.step().await.comms_reminders, 0, "within the cadence");
    assert_eq!(w.reminders(), 1, "{:?}", w.lead_hook.all());
    let reminder = w
        .lead_hook
        .all()
        .into_iter()
        .find(|d| d.body["event"] == "comms_reminder")
        .unwrap();
    assert!(
        reminder.body["reason"]
            .as_str()
            .unwrap()
            .contains("Customer notice overdue"),
        "{}",
        reminder.body
    );
    w.advance(Duration::minutes(41));
    assert_eq!(w.step().await.comms_reminders, 1, "again after the cadence");
    assert_eq!(w.reminders(), 2);
    let (http, cookie) = w.session().await;
    let (s, html) = page(&w.app, &http, &cookie, &format!("/incidents/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"comms-box\""),
        "the incident page shows it"
    );
    assert!(
        html.contains("class=\"comms-box overdue\""),
        "in red when overdue"
    );
    let (s, html) = page(
        &w.app,
        &http,
        &cookie,
        &format!("/incidents/{id}/communication"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("ops@globex.example"),
        "the recipients are listed"
    );
    assert!(html.contains("id=\"due-customer_notice\""), "{html}");

    // The notice: drafted with an internal note, previewed, sent.
    let n = w
        .draft(
            id,
            json!({"kind": "customer_notice", "title": "Checkout errors",
                "impact": "Payments fail for some customers.", "actions": "We rolled back the release.",
                "internal_note": format!("{MARKER} the primary db is corrupt")}),
        )
        .await;
    let nid = n["id"].as_i64().unwrap();
    assert!(!n["body"].as_str().unwrap().contains(MARKER));
    let p = w
        .app
        .post_expect(
            w.token(),
            &format!("/api/v1/incidents/{id}/notices/{nid}/preview"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(p["recipients"].as_array().unwrap().len(), 3, "{p}");
    assert!(!p.to_string().contains(MARKER), "{p}");
    let (s, sent) = w.send(id, nid, json!({})).await;
    assert_eq!(s, 200, "{sent}");
    assert_eq!(sent["recipients"].as_array().unwrap().len(), 3);
    let (s, again) = w.send(id, nid, json!({})).await;
    assert_eq!(s, 409, "a sent notice is sent once: {again}");
    let (s, b) = w
        .app
        .patch(
            w.token(),
            &format!("/api/v1/incidents/{id}/notices/{nid}"),
            json!({"title": "changed"}),
        )
        .await;
    assert_eq!(s, 409, "a sent notice never changes: {b}");
    w.step().await;
    let mails = w.mail_texts();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails.iter().any(|m| m.contains("ops@acme.example")));
    assert!(mails.iter().any(|m| m.contains("ops@globex.example")));
    assert!(!mails.iter().any(|m| m.contains("initech")), "{mails:?}");
    assert!(
        mails.iter().all(|m| m.contains("Payments fail")),
        "{mails:?}"
    );
    assert!(!mails.iter().any(|m| m.contains(MARKER)), "{mails:?}");
    let hooks: Vec<_> = w.hook.all().into_iter().filter(|d| d.accepted).collect();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    // (Signed like other webhooks; the receiver checks the signature's
    // time against the wall clock, which this manual clock is not.)
    assert_eq!(hooks[0].body["notice"]["title"], "Checkout errors");
    assert!(!hooks[0].body.to_string().contains(MARKER));
    let timeline = w
        .app
        .get_expect(w.token(), &format!("/api/v1/incidents/{id}/timeline"), 200)
        .await;
    let event = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "notice.sent")
        .unwrap()
        .clone();
    assert_eq!(event["details"]["recipients"].as_array().unwrap().len(), 3);
    assert!(
        event["details"]["body"]
            .as_str()
            .unwrap()
            .contains("Payments fail")
    );
    assert!(!timeline.to_string().contains(MARKER), "{timeline}");

    // Sent: updates fall due at the cadence until recovery.
    let sent_at = w.now();
    let c = w.comms(id).await;
    assert_eq!(kinds(&c), ["update"], "{c}");
    assert_eq!(
        c["due"][0]["due_at"],
        json!((sent_at + Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(c["blocks_close"], false);
    w.advance(Duration::minutes(61));
    assert_eq!(w.comms(id).await["due"][0]["overdue"], true);
    assert_eq!(w.step().await.comms_reminders, 1, "the update is overdue");
    let u = w
        .draft(
            id,
            json!({"kind": "update", "title": "Checkout errors",
            "impact": "Fewer payments fail.", "actions": "A fix is deploying."}),
        )
        .await;
    let (s, b) = w.send(id, u["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(s, 200, "{b}");
    let c = w.comms(id).await;
    assert_eq!(c["due"][0]["overdue"], false, "{c}");
    w.walk(id, "post_incident").await;
    let c = w.comms(id).await;
    assert!(
        !kinds(&c).contains(&"update".to_owned()),
        "no update after recovery: {c}"
    );
    w.advance(Duration::hours(3));
    assert_eq!(w.step().await.comms_reminders, 0);
    let (_, inc) = w
        .app
        .get(w.token(), &format!("/api/v1/incidents/{id}"))
        .await;
    let item = inc["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "customer_communication_sent")
        .unwrap()
        .clone();
    assert_eq!(item["status"], "done", "{item}");
    assert_eq!(item["derived"], true);
}

#[tokio::test]
async fn a_critical_incident_tells_exactly_its_affected_customers_sqlite() {
    a_critical_incident_tells_exactly_its_affected_customers(Db::Sqlite).await;
}

#[tokio::test]
async fn a_critical_incident_tells_exactly_its_affected_customers_postgres() {
    a_critical_incident_tells_exactly_its_affected_customers(Db::Postgres).await;
}

#[tokio::test]
async fn closing_is_refused_while_a_required_notice_is_unsent() {
    let w = world(Db::Sqlite).await.unwrap();
    // Critical, affected not chosen: a notice is owed to "the affected
    // customers".
    let id = w
        .declare(
            json!({"title": "API errors", "kind": "availability", "severity": "critical",
            "owner": "admin"}),
        )
        .await;
    w.walk(id, "post_incident").await;
    for item in ["postmortem_done", "follow_ups_tracked"] {
        w.mark(id, item).await;
    }
    let (s, b) = w.to(id, "closed").await;
    assert!(s == 409 || s == 422, "{s} {b}");
    assert_eq!(b["gate"], "customer_communication_sent", "{b}");
    let c = w.comms(id).await;
    assert_eq!(c["affected_mode"], Value::Null);
    assert_eq!(c["blocks_close"], true);
    // A notice to customers nobody chose cannot be sent.
    let n = w.draft(id, json!({})).await;
    let (s, b) = w.send(id, n["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("to_customers")), "{b}");
    // Nobody affected: nothing is owed, and the item is a manual one again.
    w.affected(id, AffectedMode::Nobody, &[]).await;
    let c = w.comms(id).await;
    assert_eq!(c["notice_required"], false, "{c}");
    w.mark(id, "customer_communication_sent").await;
    let (s, b) = w.to(id, "closed").await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn a_medium_incident_needs_a_formal_notice_only_with_an_sla_affected() {
    let w = world(Db::Sqlite).await.unwrap();
    let sla = w
        .declare(
            json!({"title": "Slow reports", "kind": "availability", "severity": "medium",
            "owner": "admin", "facts": {"sla_affected": true}}),
        )
        .await;
    w.affected(sla, AffectedMode::Customers, &[w.globex]).await;
    let c = w.comms(sla).await;
    assert!(kinds(&c).contains(&"formal_notice".to_owned()), "{c}");
    assert_eq!(c["blocks_close"], true);
    w.walk(sla, "post_incident").await;
    for item in ["postmortem_done", "follow_ups_tracked"] {
        w.mark(sla, item).await;
    }
    let (s, b) = w.to(sla, "closed").await;
    assert_eq!(b["gate"], "customer_communication_sent", "{s} {b}");
    let n = w
        .draft(sla, json!({"kind": "formal_notice", "title": "Report delays",
            "impact": "Reports were late; your SLA credit applies.", "actions": "Capacity was added."}))
        .await;
    let (s, b) = w.send(sla, n["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = w.to(sla, "closed").await;
    assert_eq!(s, 200, "{b}");

    // Without it: the status post is offered, never required.
    let plain = w
        .declare(
            json!({"title": "Slow search", "kind": "availability", "severity": "medium",
            "owner": "admin"}),
        )
        .await;
    w.affected(plain, AffectedMode::All, &[]).await;
    let c = w.comms(plain).await;
    assert_eq!(c["notice_required"], false, "{c}");
    assert_eq!(kinds(&c), ["status_post"]);
    assert_eq!(c["due"][0]["need"], "offered");
    let post = w
        .draft(
            plain,
            json!({"kind": "status_post", "title": "Search is slow",
            "impact": "Searches take seconds.", "actions": "We added capacity."}),
        )
        .await;
    assert_eq!(
        (&post["to_customers"], &post["on_status_page"]),
        (&json!(false), &json!(true))
    );
    let (s, b) = w.send(plain, post["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert!(
        kinds(&w.comms(plain).await).is_empty(),
        "the offered post was made"
    );
    w.walk(plain, "post_incident").await;
    for item in ["postmortem_done", "follow_ups_tracked"] {
        w.mark(plain, item).await;
    }
    let (s, b) = w.to(plain, "closed").await;
    assert_eq!(s, 200, "{b}");
    let _ = w.initech;
}

#[tokio::test]
async fn a_security_incidents_notice_needs_approval_and_hides_internal_words() {
    let w = world(Db::Sqlite).await.unwrap();
    let id = w
        .declare(
            json!({"title": "Token leak in billing", "kind": "security", "severity": "high",
            "summary": "SECRET-SUMMARY", "owner": "admin"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.acme]).await;
    let n = w.draft(id, json!({"internal_note": MARKER})).await;
    assert_eq!(n["on_status_page"], false, "not public by default: {n}");
    let text = n.to_string();
    assert!(
        !n["title"].as_str().unwrap().contains("Token leak")
            && !n["body"].as_str().unwrap().contains("Token leak")
            && !text.contains("SECRET-SUMMARY"),
        "never prefilled from the internal title or summary: {n}"
    );
    let nid = n["id"].as_i64().unwrap();
    let (s, b) = w.send(id, nid, json!({})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("approved")), "{b}");
    let (s, b) = w.send(id, nid, json!({"approved": false})).await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = w.send(id, nid, json!({"approved": true})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved_by"], "admin");
    w.step().await;
    let mails = w.mail_texts();
    assert!(!mails.is_empty());
    assert!(
        !mails
            .iter()
            .any(|m| m.contains(MARKER) || m.contains("Token leak"))
    );
}

#[tokio::test]
async fn two_workers_on_one_postgres_database_remind_the_lead_once() {
    let Some(w) = world(Db::Postgres).await else {
        return;
    };
    let other = Workers::new(
        w.app.state.clone(),
        Notifier::new(None, Templates::default()).unwrap(),
        WorkerConfig::default(),
    )
    .await
    .unwrap();
    let id = w
        .declare(
            json!({"title": "Login errors", "kind": "availability", "severity": "high",
            "owner": "admin", "lead": "lead1"}),
        )
        .await;
    w.affected(id, AffectedMode::All, &[]).await;
    w.walk(id, "remediation").await;
    w.advance(Duration::minutes(31));
    let now = w.now();
    let (a, b) = tokio::join!(w.workers.run_once(now), other.run_once(now));
    assert_eq!(
        a.unwrap().comms_reminders + b.unwrap().comms_reminders,
        1,
        "one reminder between two servers"
    );
}

#[tokio::test]
async fn a_draft_is_edited_and_previewed_on_the_communication_page() {
    let w = world(Db::Sqlite).await.unwrap();
    let id = w
        .declare(
            json!({"title": "Queue delays", "kind": "availability", "severity": "high",
            "owner": "admin"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.globex]).await;
    let n = w.draft(id, json!({"internal_note": MARKER})).await;
    let nid = n["id"].as_i64().unwrap();
    let (http, cookie) = w.session().await;
    let path = format!("/incidents/{id}/communication");
    let (_, html) = page(&w.app, &http, &cookie, &path).await;
    assert!(html.contains(&format!("id=\"edit-{nid}-title\"")), "{html}");
    let csrf = csrf_in(&html);
    let res = post_form(
        &w.app,
        &http,
        &cookie,
        &format!("{path}/notices/{nid}"),
        &[
            ("csrf", csrf.as_str()),
            ("kind", "customer_notice"),
            ("title", "Queued jobs are late"),
            ("impact", "Jobs start minutes late."),
            ("actions", "We are draining the queue."),
            ("next_update_at", "2026-03-02T15:00"),
            ("public_status", "identified"),
            ("to_customers", "1"),
            ("internal_note", MARKER),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = page(&w.app, &http, &cookie, &path).await;
    assert!(
        html.contains("[Identified] Queued jobs are late"),
        "the preview shows the change"
    );
    assert!(
        html.contains("Next update: by 2026-03-02 15:00 UTC"),
        "{html}"
    );
    assert!(html.contains("ops@globex.example"));
    let (_, p) = w
        .app
        .post(
            w.token(),
            &format!("/api/v1/incidents/{id}/notices/{nid}/preview"),
            json!({}),
        )
        .await;
    assert_eq!(p["subject"], "[Identified] Queued jobs are late");
    assert!(!p.to_string().contains(MARKER));
}

/// A customer added to the affected set after the first notice went out is
/// owed a notice of their own: the communication page says so, closing
/// waits for it, and the next notice to customers reaches them.
#[tokio::test]
async fn customers_added_after_the_first_notice_are_owed_one() {
    let w = world(Db::Sqlite).await.unwrap();
    let id = w
        .declare(
            json!({"title": "API errors", "kind": "availability", "severity": "critical",
            "owner": "admin"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.acme]).await;
    w.walk(id, "remediation").await;
    let n = w
        .draft(id, json!({"kind": "customer_notice", "to_customers": true}))
        .await;
    let (s, b) = w.send(id, n["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(s, 200, "{b}");
    let c = w.comms(id).await;
    assert_eq!(c["blocks_close"], false, "{c}");
    assert!(!kinds(&c).iter().any(|k| k == "customer_notice"), "{c}");

    // Globex is affected too: a notice is owed again, and closing waits.
    w.affected(id, AffectedMode::Customers, &[w.acme, w.globex])
        .await;
    let c = w.comms(id).await;
    assert_eq!(c["blocks_close"], true, "{c}");
    assert!(kinds(&c).iter().any(|k| k == "customer_notice"), "{c}");
    w.walk(id, "post_incident").await;
    for item in ["postmortem_done", "follow_ups_tracked"] {
        w.mark(id, item).await;
    }
    let (s, b) = w.to(id, "closed").await;
    assert!(s == 409 || s == 422, "{s} {b}");
    assert_eq!(b["gate"], "customer_communication_sent", "{b}");

    // The next notice to customers reaches Globex: the incident closes.
    let n = w
        .draft(id, json!({"kind": "customer_notice", "to_customers": true}))
        .await;
    let (s, b) = w.send(id, n["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert!(b.to_string().contains("ops@globex.example"), "{b}");
    let c = w.comms(id).await;
    assert_eq!(c["blocks_close"], false, "{c}");
    let (s, b) = w.to(id, "closed").await;
    assert_eq!(s, 200, "{b}");
}

/// A viewer (no `read_customers`) sees whom a notice went to by customer,
/// contact label and kind, never the address: not in the communication
/// answer, the notices, the timeline's `notice.sent` event nor the pages.
#[tokio::test]
async fn a_viewer_never_sees_a_customer_contact_address() {
    let w = world(Db::Sqlite).await.unwrap();
    const ADDRESS: &str = "zz-marker-contact-91c2@globex.example";
    w.app
        .store
        .add_customer_contact(
            w.globex,
            "marker mail",
            json!({"kind": "email", "to": ADDRESS}),
            &Actor::local("test"),
            w.now(),
        )
        .await
        .unwrap();
    let id = w
        .declare(
            json!({"title": "Queue delays", "kind": "availability", "severity": "high",
            "owner": "admin"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.globex]).await;
    let n = w.draft(id, json!({})).await;
    // The default title never repeats the internal one.
    assert_eq!(n["title"], "Service disruption", "{n}");
    assert!(!n.to_string().contains("Queue delays"), "{n}");
    let nid = n["id"].as_i64().unwrap();
    let (s, b) = w.send(id, nid, json!({})).await;
    assert_eq!(s, 200, "{b}");
    // The admin sees the address.
    assert!(w.comms(id).await.to_string().contains(ADDRESS));

    let viewer = w.app.user("viewer1", "viewer").await;
    for path in [
        format!("/api/v1/incidents/{id}/communication"),
        format!("/api/v1/incidents/{id}/notices"),
        format!("/api/v1/incidents/{id}/timeline"),
    ] {
        let b = w.app.get_expect(&viewer, &path, 200).await;
        let text = b.to_string();
        assert!(!text.contains(ADDRESS), "{path}: {text}");
        assert!(!text.contains("ops@globex.example"), "{path}: {text}");
        assert!(text.contains("marker mail"), "{path}: {text}");
        assert!(text.contains("\"hidden\""), "{path}: {text}");
    }
    let http = no_redirects();
    let res = post_login(&w.app, &http, "viewer1", "a long enough password", None).await;
    let cookie = first_cookie(&res);
    for path in [
        format!("/incidents/{id}"),
        format!("/incidents/{id}/communication"),
    ] {
        let (status, html) = page(&w.app, &http, &cookie, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains(ADDRESS), "{path}: {html}");
        assert!(!html.contains("ops@globex.example"), "{path}");
    }
}

/// A next update time in the past is refused when drafted, changed or
/// sent; a notice id that is not a number is a 404 problem, not plain text.
#[tokio::test]
async fn a_past_next_update_and_a_bad_notice_id_are_refused() {
    let w = world(Db::Sqlite).await.unwrap();
    let id = w
        .declare(
            json!({"title": "Queue delays", "kind": "availability", "severity": "high",
            "owner": "admin"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.globex]).await;
    let past = (w.now() - Duration::hours(1)).to_rfc3339();
    let (s, p) = w
        .app
        .post(
            w.token(),
            &format!("/api/v1/incidents/{id}/notices"),
            json!({"next_update_at": past}),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert!(p.to_string().contains("next_update_at"), "{p}");
    let soon = (w.now() + Duration::minutes(30)).to_rfc3339();
    let n = w.draft(id, json!({"next_update_at": soon})).await;
    let nid = n["id"].as_i64().unwrap();
    let (s, p) = w
        .app
        .send(
            reqwest::Method::PATCH,
            w.token(),
            &format!("/api/v1/incidents/{id}/notices/{nid}"),
            Some(json!({"next_update_at": past})),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert!(p.to_string().contains("next_update_at"), "{p}");
    w.advance(Duration::hours(1));
    let (s, p) = w.send(id, nid, json!({})).await;
    assert_eq!(s, 422, "{p}");
    assert!(
        p.to_string().contains("the next update time has passed"),
        "{p}"
    );

    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/incidents/{id}/notices/abc/send",
            w.app.url
        ))
        .bearer_auth(w.token())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
}

/// An affected customer with no contact is listed as unreachable (API) and
/// warned of on the communication page and the incident page's box; the
/// notice still goes to the reachable ones.
#[tokio::test]
async fn an_affected_customer_without_contacts_is_named_not_dropped() {
    let w = world(Db::Sqlite).await.unwrap();
    let hooli = w
        .app
        .store
        .create_customer("Hooli", "no contacts", &Actor::local("test"), w.now())
        .await
        .unwrap()
        .id;
    let id = w
        .declare(
            json!({"title": "Queue delays", "kind": "availability", "severity": "critical",
            "owner": "admin"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.globex, hooli])
        .await;
    let c = w.comms(id).await;
    assert_eq!(
        c["unreachable"],
        json!([{"id": hooli, "name": "Hooli"}]),
        "{c}"
    );
    let (http, cookie) = w.session().await;
    let (_, html) = page(
        &w.app,
        &http,
        &cookie,
        &format!("/incidents/{id}/communication"),
    )
    .await;
    assert!(
        html.contains("Hooli has no contact: add one before sending."),
        "{html}"
    );
    let n = w.draft(id, json!({})).await;
    let (s, b) = w.send(id, n["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["recipients"].as_array().unwrap().len(), 1, "{b}");
    let (_, html) = page(&w.app, &http, &cookie, &format!("/incidents/{id}")).await;
    assert!(
        html.contains("Hooli has no contact: add one before sending."),
        "{html}"
    );
}

/// The incident page's communication box, photographed at both widths
/// (target/screenshots/): right after the header, sized to its content.
#[tokio::test]
async fn the_incident_pages_communication_box_in_the_browser() {
    use crate::web::{browser, chromedriver, login};
    let w = world(Db::Sqlite).await.unwrap();
    let id = w
        .declare(
            json!({"title": "Queue delays", "kind": "availability", "severity": "critical",
            "owner": "admin"}),
        )
        .await;
    w.affected(id, AffectedMode::Customers, &[w.globex]).await;
    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &w.app, "admin", &w.app.admin_password).await;
    c.goto(&format!("{}/incidents/{id}", w.app.url))
        .await
        .unwrap();
    let html = c.source().await.unwrap();
    let box_at = html.find("id=\"comms-box\"").expect("the box");
    let details_at = html.find("id=\"details\"").expect("the details");
    assert!(box_at < details_at, "the box comes before the details");
    for width in [375, 1440] {
        crate::a11y::screenshot(&c, &format!("incident-comms-box-{width}"), width).await;
    }
}
