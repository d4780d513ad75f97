//! The process's escalation rules end to end in one server: pages, backups
//! on timeout, leadership once, medium incidents escalating, acknowledgment,
//! and the outbox's retries. Time is a manual clock; the workers' step runs
//! at the instants the tests choose.

use firebreak_testkit::assert_contains;
use firebreak_testkit::json::{any_with, strs_of};
use firebreak_testkit::web::text_of;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use firebreak_server::notify::{Notifier, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};

use crate::harness::{Db, ManualClock, TestApp, spawn_with};
use firebreak_testkit::WebhookReceiver as Receiver;

pub(crate) struct Setup {
    pub(crate) app: TestApp,
    pub(crate) clock: Arc<ManualClock>,
    workers: Workers,
    pub(crate) hook: Receiver,
}

pub(crate) async fn setup_on(db: Db, fail_first: usize) -> Option<Setup> {
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    let clock = ManualClock::new(t0);
    let app = spawn_with(
        db,
        |c| {
            c.escalation.incident_lead_policy = Some("incident-lead".into());
            c.escalation.leadership = vec!["cto".into()];
        },
        clock.clone(),
    )
    .await?;
    let hook = Receiver::refusing_first(fail_first);
    let t = app.admin_token.clone();
    for (name, role) in [
        ("lead1", "lead"),
        ("backup1", "lead"),
        ("cto", "leadership"),
    ] {
        app.user(name, role).await;
        app.post_expect(
            &t,
            &format!("/api/v1/users/{name}/contact-methods"),
            json!({"label": "hook", "channel": {"kind": "webhook", "url": hook.url}}),
            201,
        )
        .await;
    }
    // The tests make admin the owner, who must be reachable.
    let (s, b) = app
        .post(
            &t,
            "/api/v1/users/admin/contact-methods",
            json!({"label": "hook", "channel": {"kind": "webhook", "url": hook.url}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    app.put_expect(
        &t,
        "/api/v1/escalation-policies/incident-lead",
        json!({"levels": [
            {"targets": [{"user": "lead1"}], "ack_timeout_secs": 300},
            {"targets": [{"user": "backup1"}], "ack_timeout_secs": 300}
        ], "repeat": 0}),
        200,
    )
    .await;
    let notifier = Notifier::new(None, Templates::default()).unwrap();
    let config = WorkerConfig {
        retry_base: Duration::seconds(10),
        ..WorkerConfig::default()
    };
    let workers = Workers::new(app.state.clone(), notifier, config)
        .await
        .unwrap();
    Some(Setup {
        app,
        clock,
        workers,
        hook,
    })
}

pub(crate) async fn setup(fail_first: usize) -> Setup {
    setup_on(Db::Sqlite, fail_first).await.unwrap()
}

impl Setup {
    pub(crate) async fn step(&self) -> firebreak_server::workers::Outcome {
        self.workers.run_once(self.clock.now_()).await.unwrap()
    }

    async fn escalations(&self, id: i64) -> Vec<Value> {
        let (s, b) = self
            .app
            .get(
                &self.app.admin_token,
                &format!("/api/v1/incidents/{id}/escalations"),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b.as_array().unwrap().clone()
    }

    pub(crate) async fn declare(&self, body: Value) -> i64 {
        let (s, b) = self
            .app
            .post(&self.app.admin_token, "/api/v1/incidents", body)
            .await;
        assert_eq!(s, 201, "{b}");
        b["id"].as_i64().unwrap()
    }
}

pub(crate) trait Now {
    fn now_(&self) -> chrono::DateTime<Utc>;
}

impl Now for ManualClock {
    fn now_(&self) -> chrono::DateTime<Utc> {
        firebreak_server::Clock::now(self)
    }
}

fn pages_to(received: &[firebreak_testkit::Delivery], who: &str) -> usize {
    received
        .iter()
        .filter(|r| r.accepted && r.body["recipient"] == who)
        .count()
}

#[tokio::test]
async fn a_critical_incident_pages_the_lead_then_the_backup_with_reasons() {
    let s = setup(0).await;
    let t0 = s.clock.now_();
    let id = s.declare(json!({"title": "Checkout down for everyone", "kind": "availability", "severity": "critical", "facts": {"full_outage": true}, "owner": "admin"})).await;
    let o = s.step().await;
    assert_eq!(
        o.messages_attempted, 2,
        "lead1 paged and leadership notified at once: {o:?}"
    );
    assert_eq!(
        o.next_due,
        Some(t0 + Duration::seconds(300)),
        "the worker sleeps until the ack deadline"
    );
    assert_eq!(pages_to(&s.hook.all(), "lead1"), 1);
    assert_eq!(pages_to(&s.hook.all(), "cto"), 1);

    // Nothing is due before the deadline.
    s.clock.set(t0 + Duration::seconds(299));
    assert_eq!(s.step().await.timers_fired, 0);
    assert_eq!(pages_to(&s.hook.all(), "backup1"), 0);

    s.clock.set(t0 + Duration::seconds(300));
    let o = s.step().await;
    assert_eq!((o.timers_fired, o.messages_attempted), (1, 1), "{o:?}");
    let got = s.hook.all();
    assert_eq!(pages_to(&got, "backup1"), 1);
    let backup_page = got
        .iter()
        .find(|r| r.body["recipient"] == "backup1")
        .unwrap();
    assert!(
        backup_page.body["ack_url"]
            .as_str()
            .unwrap()
            .contains("/ack/")
    );
    assert!(
        backup_page.body["reason"]
            .as_str()
            .unwrap()
            .contains("no acknowledgment within 300 s at level 1")
    );

    let esc = s.escalations(id).await;
    let summary: Vec<(i64, &str, &str, &str)> = esc
        .iter()
        .map(|e| {
            (
                e["level"].as_i64().unwrap(),
                e["rule"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["audience"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "urgent_severity", "lead1", "incident_lead"),
            (1, "leadership_full_outage", "cto", "leadership"),
            (2, "ack_timeout", "backup1", "incident_lead"),
        ]
    );
    assert_eq!(
        esc[0]["at"],
        json!(t0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(
        esc[2]["at"],
        json!((t0 + Duration::seconds(300)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(
        esc[0]["reason"],
        "triaged as critical: critical and high incidents page the incident lead at once"
    );
    assert_eq!(esc[2]["from"], "system");

    let (_, tl) = s
        .app
        .get(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/timeline"),
        )
        .await;
    let lines: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![
            "Paged the incident lead (lead1) by policy `incident-lead`, level 1",
            "Notified leadership: cto",
            "Paged level 2 (backup1) by policy `incident-lead`",
        ]
    );

    // The last level times out: the chain is exhausted, and says so.
    s.clock.set(t0 + Duration::seconds(600));
    let o = s.step().await;
    assert_eq!((o.timers_fired, o.messages_attempted), (1, 0));
    assert_eq!(o.next_due, None, "nothing left to do: the worker sleeps");
    let (_, tl) = s
        .app
        .get(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/timeline"),
        )
        .await;
    assert_eq!(
        tl.as_array().unwrap().last().unwrap()["kind"],
        "escalation_exhausted"
    );
}

#[tokio::test]
async fn leadership_is_notified_once_per_incident() {
    let s = setup(0).await;
    let id = s.declare(json!({"title": "Tenant data exposed", "kind": "security", "severity": "critical", "severity_reason": "attacker activity seen, access not yet confirmed", "owner": "admin"})).await;
    s.step().await;
    assert_eq!(
        pages_to(&s.hook.all(), "cto"),
        0,
        "no customer data confirmed yet"
    );
    for facts in [
        json!({"customer_data_accessed": true}),
        json!({"customer_data_accessed": true, "full_outage": true}),
    ] {
        let (st, b) = s
            .app
            .patch(
                &s.app.admin_token,
                &format!("/api/v1/incidents/{id}"),
                json!({"facts": facts}),
            )
            .await;
        assert_eq!(st, 200, "{b}");
        s.step().await;
    }
    assert_eq!(pages_to(&s.hook.all(), "cto"), 1);
    let leadership: Vec<Value> = s
        .escalations(id)
        .await
        .into_iter()
        .filter(|e| e["audience"] == "leadership")
        .collect();
    assert_eq!(leadership.len(), 1);
    assert_eq!(leadership[0]["rule"], "leadership_customer_data");
}

#[tokio::test]
async fn a_medium_incident_whose_customer_is_blocked_escalates_to_the_lead() {
    let s = setup(0).await;
    let id = s.declare(json!({"title": "Slow exports for one tenant", "kind": "availability", "severity": "medium", "facts": {"single_tenant": true}, "owner": "admin"})).await;
    s.step().await;
    assert_eq!(
        pages_to(&s.hook.all(), "lead1"),
        0,
        "medium: handled within the team, no page"
    );
    let (st, b) = s
        .app
        .patch(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}"),
            json!({"facts": {"single_tenant": true, "customer_blocked": true}}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    s.step().await;
    assert_eq!(pages_to(&s.hook.all(), "lead1"), 1);
    let esc = s.escalations(id).await;
    let lead: Vec<&Value> = esc
        .iter()
        .filter(|e| e["audience"] == "incident_lead")
        .collect();
    assert_eq!(lead.len(), 1);
    assert_eq!(lead[0]["rule"], "customer_blocked");
    assert_eq!(
        lead[0]["reason"],
        "a customer is blocked: escalated to the incident lead"
    );
    assert_eq!(
        esc[0]["audience"], "owning_team",
        "triage notified the owning team first: {esc:?}"
    );
}

#[tokio::test]
async fn acknowledging_stops_the_chain_and_links_work_once() {
    let s = setup(0).await;
    let t0 = s.clock.now_();
    let id = s.declare(json!({"title": "API errors", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}, "owner": "admin"})).await;
    s.step().await;
    let page = s
        .hook
        .all()
        .into_iter()
        .find(|r| r.body["recipient"] == "lead1")
        .unwrap();
    let ack_url = page.body["ack_url"].as_str().unwrap().to_owned();
    // The link shows a confirmation page; only the POST acknowledges (mail
    // scanners follow links with GET).
    let page = s.app.http.get(&ack_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Acknowledge"));
    assert_eq!(s.escalations(id).await[0]["chain_state"], "active");
    let res = s.app.http.post(&ack_url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("acknowledged"));
    let esc = s.escalations(id).await;
    assert_eq!(esc[0]["chain_state"], "acknowledged");
    assert_eq!(esc[0]["acknowledged_by"], "lead1");
    // Once: a second use changes nothing and says so.
    let again = text_of(s.app.http.post(&ack_url)).await;
    assert_contains(&again, "already");
    // A forged link is refused.
    let forged = format!("{}x", ack_url);
    assert_eq!(s.app.http.post(&forged).send().await.unwrap().status(), 400);
    // No backup after the timeout.
    s.clock.set(t0 + Duration::seconds(900));
    s.step().await;
    assert_eq!(pages_to(&s.hook.all(), "backup1"), 0);
    let (_, tl) = s
        .app
        .get(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/timeline"),
        )
        .await;
    assert!(any_with(&tl, "kind", "acknowledged"));
}

/// An acknowledgment link expires 24 h after the page by the server's own
/// clock (the one its deadlines and the link check use), not the host's.
#[tokio::test]
async fn acknowledgment_links_expire_by_the_servers_clock() {
    let s = setup(0).await;
    // A server clock well past the host's: a link signed with the host's
    // time would still look fresh here.
    let t0 = Utc.with_ymd_and_hms(2099, 3, 2, 10, 0, 0).unwrap();
    s.clock.set(t0);
    s.declare(json!({"title": "API errors", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}, "owner": "admin"})).await;
    s.step().await;
    let page = s
        .hook
        .all()
        .into_iter()
        .find(|r| r.body["recipient"] == "lead1")
        .unwrap();
    let ack_url = page.body["ack_url"].as_str().unwrap().to_owned();
    s.clock.set(t0 + Duration::hours(23));
    assert_eq!(s.app.http.get(&ack_url).send().await.unwrap().status(), 200);
    s.clock.set(t0 + Duration::hours(25));
    let res = s.app.http.post(&ack_url).send().await.unwrap();
    assert_eq!(res.status(), 410, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn acknowledging_through_the_api_stops_the_backup() {
    let s = setup(0).await;
    let t0 = s.clock.now_();
    let id = s.declare(json!({"title": "Queue backlog", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}, "owner": "admin"})).await;
    s.step().await;
    let (st, b) = s
        .app
        .post(
            &s.app.admin_token,
            &format!("/api/v1/incidents/INC-{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!((st, b["chains"].as_i64()), (200, Some(1)), "{b}");
    s.clock.set(t0 + Duration::seconds(301));
    let o = s.step().await;
    assert_eq!(o.timers_fired, 0);
    assert_eq!(pages_to(&s.hook.all(), "backup1"), 0);
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_the_message_once_by_key() {
    let s = setup(3).await;
    let id = s.declare(json!({"title": "Login failures", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}, "owner": "admin"})).await;
    let mut attempts = 0;
    for _ in 0..6 {
        let o = s.step().await;
        attempts += o.messages_attempted;
        match o.next_due {
            Some(t) if pages_to(&s.hook.all(), "lead1") == 0 => s.clock.set(t),
            _ => break,
        }
    }
    assert_eq!(attempts, 4, "three refusals, then success");
    let all = s.hook.all();
    assert_eq!(all.len(), 4);
    let keys: std::collections::BTreeSet<&str> =
        all.iter().map(|r| r.idempotency_key.as_str()).collect();
    assert_eq!(
        keys.len(),
        1,
        "every attempt carried the same idempotency key"
    );
    assert_eq!(
        s.hook
            .accepted_per_key()
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![1]
    );
    let (_, n) = s
        .app
        .get(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/notifications"),
        )
        .await;
    assert_eq!(n[0]["state"], "sent");
    assert_eq!(n[0]["attempts"], 4);
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_marked_failed_and_warns_on_the_incident() {
    let s = setup(1000).await;
    let id = s.declare(json!({"title": "Disk full", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}, "owner": "admin"})).await;
    for _ in 0..20 {
        let o = s.step().await;
        match o.next_due {
            // Skip over the ack deadline's timer too: it is past the retries.
            Some(t) => s.clock.set(t),
            None => break,
        }
    }
    let (_, n) = s
        .app
        .get(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/notifications"),
        )
        .await;
    let lead = n
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["name"] == "lead1")
        .unwrap()
        .clone();
    assert_eq!(lead["state"], "failed");
    assert_eq!(lead["attempts"], 8);
    assert!(
        lead["last_error"].as_str().unwrap().contains("500"),
        "{lead}"
    );
    let (_, tl) = s
        .app
        .get(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/timeline"),
        )
        .await;
    let warning = tl
        .as_array()
        .unwrap()
        .iter()
        // The backup, paged at the ack deadline, may fail for good first:
        // look for the lead's warning by name.
        .find(|e| {
            e["kind"] == "notification_failed"
                && e["summary"].as_str().unwrap().contains(" to lead1 ")
        })
        .unwrap()
        .clone();
    assert!(
        warning["summary"]
            .as_str()
            .unwrap()
            .starts_with("Warning: the webhook notification to lead1 failed after 8 attempts"),
        "{warning}"
    );
    let (st, failed) = s
        .app
        .get(&s.app.admin_token, "/api/v1/notifications/failed")
        .await;
    assert_eq!(st, 200);
    assert!(!failed.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn two_workers_on_one_postgres_database_fire_each_deadline_once() {
    let Some(a) = setup_on(Db::Postgres, 0).await else {
        return;
    };
    // A second server's worth of workers: its own pool on the same database.
    let url = a.app.store_url();
    let store_b = firebreak_store::Store::open(&url).await.unwrap();
    let mut state_b = firebreak_server::AppState::new(store_b, (*a.app.state.config).clone());
    state_b.clock = a.clock.clone();
    let workers_b = Workers::new(
        state_b,
        Notifier::new(None, Templates::default()).unwrap(),
        WorkerConfig::default(),
    )
    .await
    .unwrap();
    let t0 = a.clock.now_();
    let n = 30;
    for i in 0..n {
        a.declare(json!({"title": format!("incident {i}"), "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}, "owner": "admin"})).await;
    }
    for at in [t0, t0 + Duration::seconds(300)] {
        a.clock.set(at);
        let (x, y) = tokio::join!(a.workers.run_once(at), workers_b.run_once(at));
        let (x, y) = (x.unwrap(), y.unwrap());
        // Both may have done some of the work; together they did all of it once.
        let (x2, y2) = tokio::join!(a.workers.run_once(at), workers_b.run_once(at));
        assert_eq!(x2.unwrap().timers_fired + y2.unwrap().timers_fired, 0);
        if at > t0 {
            assert_eq!(x.timers_fired + y.timers_fired, n, "{x:?} {y:?}");
        }
    }
    let per_key = a.hook.accepted_per_key();
    assert_eq!(per_key.len(), 2 * n, "one page per incident per level");
    assert!(per_key.values().all(|c| *c == 1), "{per_key:?}");
    assert_eq!(pages_to(&a.hook.all(), "lead1"), n);
    assert_eq!(pages_to(&a.hook.all(), "backup1"), n);
}

#[tokio::test]
async fn an_admin_changes_the_message_template_and_pages_use_it() {
    let s = setup(0).await;
    let t = s.app.admin_token.clone();
    // A templated HTTP channel that posts the rendered subject as JSON.
    let channel = json!({"kind": "http", "method": "POST", "url": s.hook.url, "headers": {},
        "body": "{\"subject\": {{ subject|tojson }}}", "content_type": "application/json"});
    s.app.user("sms1", "responder").await;
    let (st, b) = s
        .app
        .post(
            &t,
            "/api/v1/users/sms1/contact-methods",
            json!({"label": "sms", "channel": channel}),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    let put = |body: &str| {
        s.app
            .http
            .put(format!("{}/api/v1/message-templates/subject", s.app.url))
            .bearer_auth(&t)
            .json(&json!({"body": body}))
            .send()
    };
    let bad = put("PAGE {{ incident_reff }}").await.unwrap();
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["field"], "body");
    assert!(
        problem["detail"].as_str().unwrap().contains("line 1"),
        "{problem}"
    );
    assert_eq!(
        put("PAGE {{ incident_ref }} for {{ recipient_name }}")
            .await
            .unwrap()
            .status(),
        204
    );
    let (_, list) = s.app.get(&t, "/api/v1/message-templates").await;
    assert_eq!(list[0]["custom"], true);
    let id = s.declare(json!({"title": "x", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}, "owner": "admin"})).await;
    let (st, _) = s
        .app
        .post(
            &t,
            &format!("/api/v1/incidents/{id}/escalate"),
            json!({"to": "sms1", "reason": "needs the SMS on-call"}),
        )
        .await;
    assert_eq!(st, 200);
    s.step().await;
    let got = s.hook.all();
    let sms = got
        .iter()
        .find(|r| r.body.get("subject").is_some())
        .expect("the templated channel was used");
    assert_eq!(sms.body["subject"], format!("PAGE INC-{id} for sms1"));
}

#[tokio::test]
async fn paging_someone_without_contact_methods_is_said_on_the_timeline() {
    let s = setup(0).await;
    s.app.user("carol", "responder").await;
    let id = s
        .declare(json!({"title": "x", "kind": "availability", "severity": "low", "owner": "admin"}))
        .await;
    let (st, b) = s
        .app
        .post(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/escalate"),
            json!({"to": "carol", "reason": "she knows the billing system"}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    let (_, tl) = s
        .app
        .get(
            &s.app.admin_token,
            &format!("/api/v1/incidents/{id}/timeline"),
        )
        .await;
    // The page reached nobody: its line, then the warning that says so.
    let events = tl.as_array().unwrap();
    let warning = events.last().unwrap().clone();
    assert_eq!(warning["kind"], "unrouted", "{warning}");
    let last = events[events.len() - 2].clone();
    assert_eq!(
        last["summary"],
        "Escalated by hand to carol; warning: carol has no contact method, so nothing was sent to them"
    );
    assert_eq!(
        last["reason"],
        "admin escalated by hand: she knows the billing system"
    );
}

/// Paging someone about a security incident makes them a member, on the
/// timeline, so they can open it; a message to anything that is not a
/// member's own inbox or phone (a webhook, leadership who are not members)
/// carries only the reference and a link, never the title.
#[tokio::test]
async fn paging_about_a_security_incident_adds_a_member_and_channels_get_only_the_reference() {
    const MARK: &str = "ZX-PAGE-MARK";
    let s = setup(0).await;
    let t0 = s.clock.now_();
    let t = s.app.admin_token.clone();
    // lead1 also has a personal channel (templated HTTP, as an SMS gateway).
    let sms = json!({"kind": "http", "method": "POST", "url": s.hook.url, "headers": {},
        "body": "{\"recipient\": {{ recipient_name|tojson }}, \"channel\": \"sms\", \"title\": {{ incident_title|tojson }}}",
        "content_type": "application/json"});
    let (st, b) = s
        .app
        .post(
            &t,
            "/api/v1/users/lead1/contact-methods",
            json!({"label": "sms", "channel": sms}),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    let id = s
        .declare(json!({"title": format!("Tenant data exposed {MARK}"), "kind": "security",
            "severity": "critical", "severity_reason": "confirmed", "facts": {"customer_data_accessed": true},
            "owner": "admin"}))
        .await;
    s.step().await;
    let got = s.hook.all();
    // lead1's webhook and SMS, and the CTO's leadership notice.
    assert_eq!(pages_to(&got, "lead1"), 2, "{got:?}");
    assert_eq!(pages_to(&got, "cto"), 1, "{got:?}");
    let sms: Vec<_> = got.iter().filter(|r| r.body["channel"] == "sms").collect();
    assert_eq!(sms.len(), 1);
    assert!(
        sms[0].body["title"].as_str().unwrap().contains(MARK),
        "a member's own phone gets the title: {:?}",
        sms[0].body
    );
    for r in got.iter().filter(|r| r.body["channel"] != "sms") {
        let text = r.body.to_string();
        assert!(!text.contains(MARK), "the title reached a channel: {text}");
        assert_contains(&text, format!("INC-{id}"));
        assert_contains(&text, format!("/incidents/{id}"));
    }

    // lead1 became a member, said on the timeline; the CTO did not.
    let inc = s
        .app
        .get_expect(&t, &format!("/api/v1/incidents/{id}"), 200)
        .await;
    let members: Vec<&str> = strs_of(&inc["members"], "name");
    assert!(members.contains(&"lead1"), "{members:?}");
    assert!(!members.contains(&"cto"), "{members:?}");
    let (_, timeline) = s
        .app
        .get(&t, &format!("/api/v1/incidents/{id}/timeline"))
        .await;
    assert!(
        timeline.as_array().unwrap().iter().any(
            |e| e["kind"] == "member_added" && e["summary"].as_str().unwrap().contains("lead1")
        ),
        "{timeline}"
    );

    // The backup paged when nobody acknowledges becomes a member too.
    s.clock.set(t0 + Duration::seconds(300));
    s.step().await;
    let got = s.hook.all();
    assert_eq!(pages_to(&got, "backup1"), 1, "{got:?}");
    assert!(
        !got.iter()
            .any(|r| r.body["recipient"] == "backup1" && r.body.to_string().contains(MARK))
    );
    let (_, inc) = s.app.get(&t, &format!("/api/v1/incidents/{id}")).await;
    assert!(any_with(&inc["members"], "name", "backup1"), "{inc}");
}
