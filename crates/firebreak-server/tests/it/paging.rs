//! Paging must not fail silently (issue 8, items 1, 2, 4 and 5): a declared
//! incident always has a severity and pages by it, in every interface; an
//! urgent alert from an integration bound to a service declares without a
//! rule; a page that reached nobody says so loudly and tells the fallback;
//! closed incidents are not escalated; only reachable responders own or
//! lead.

use firebreak_testkit::assert_contains;
use firebreak_testkit::web::{csrf_in, first_cookie, no_redirects, page, post_form, post_login};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use firebreak_server::ServerConfig;
use firebreak_server::notify::{Notifier, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};

use crate::harness::{Db, ManualClock, TestApp, spawn_with};
use crate::intake::{am_alert, am_webhook, integration, service};
use firebreak_testkit::WebhookReceiver as Receiver;

struct Setup {
    app: TestApp,
    clock: Arc<ManualClock>,
    workers: Workers,
    hook: Receiver,
}

/// A server whose incident-lead policy pages `lead1` (a webhook contact);
/// `configure` may change the escalation configuration.
async fn setup_with(
    db: Db,
    policy: bool,
    configure: impl FnOnce(&mut ServerConfig),
) -> Option<Setup> {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap());
    let app = spawn_with(
        db,
        |c| {
            c.escalation.incident_lead_policy = Some("incident-lead".into());
            configure(c);
        },
        clock.clone(),
    )
    .await?;
    let hook = Receiver::refusing_first(0);
    app.user("lead1", "lead").await;
    contact(&app, "lead1", &hook.url).await;
    if policy {
        app.put_expect(&app.admin_token, "/api/v1/escalation-policies/incident-lead", json!({"levels": [{"targets": [{"user": "lead1"}], "ack_timeout_secs": 300}], "repeat": 0}), 200).await;
    }
    let notifier = Notifier::new(None, Templates::default()).unwrap();
    let workers = Workers::new(app.state.clone(), notifier, WorkerConfig::default())
        .await
        .unwrap();
    Some(Setup {
        app,
        clock,
        workers,
        hook,
    })
}

async fn setup() -> Setup {
    setup_with(Db::Sqlite, true, |_| {}).await.unwrap()
}

async fn contact(app: &TestApp, user: &str, url: &str) {
    app.post_expect(
        &app.admin_token,
        &format!("/api/v1/users/{user}/contact-methods"),
        json!({"label": "hook", "channel": {"kind": "webhook", "url": url}}),
        201,
    )
    .await;
}

impl Setup {
    async fn step(&self) {
        let now = firebreak_server::Clock::now(&*self.clock);
        self.workers.run_once(now).await.unwrap();
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

    fn pages_to(&self, who: &str) -> usize {
        self.hook
            .all()
            .iter()
            .filter(|r| r.accepted && r.body["recipient"] == who && r.body["event"] == "page")
            .count()
    }
}

/// A signed-in web session: its cookie and CSRF token.
async fn web_session(
    app: &TestApp,
    user: &str,
    password: &str,
) -> (reqwest::Client, String, String) {
    let http = no_redirects();
    let res = post_login(app, &http, user, password, Some("/incidents")).await;
    assert_eq!(res.status(), 303);
    let cookie = first_cookie(&res);
    let page = get_page(app, &http, &cookie, "/incidents/new").await;
    let csrf = csrf_in(&page);
    (http, cookie, csrf)
}

async fn get_page(app: &TestApp, http: &reqwest::Client, cookie: &str, path: &str) -> String {
    let (status, html) = page(app, http, cookie, path).await;
    assert_eq!(status, 200, "{path}");
    html
}

/// The `<select id=…>` element's text.
fn select_of<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("id=\"{id}\"")).unwrap();
    let end = start + page[start..].find("</select>").unwrap();
    &page[start..end]
}

// ------------------------------------------------------------------ item 1

#[tokio::test]
async fn declaring_without_a_severity_takes_the_facts_suggestion_and_pages_in_api_and_web() {
    let s = setup().await;
    let t = s.app.admin_token.clone();

    // API: no `severity`, a full outage: critical, and the lead is paged.
    let (st, inc) = s
        .app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "Checkout down", "kind": "availability", "facts": {"full_outage": true}}),
        )
        .await;
    assert_eq!(st, 201, "{inc}");
    assert_eq!(inc["severity"], "critical", "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let esc = s.escalations(id).await;
    assert!(
        esc.iter()
            .any(|e| e["rule"] == "urgent_severity" && e["to"] == "lead1"),
        "{esc:?}"
    );

    // Web: the form's default "(the facts' suggestion)" sends severity "".
    let (http, cookie, csrf) = web_session(&s.app, "admin", &s.app.admin_password).await;
    let res = post_form(
        &s.app,
        &http,
        &cookie,
        "/incidents",
        &[
            ("csrf", csrf.as_str()),
            ("title", "Platform down for all users"),
            ("kind", "availability"),
            ("fact", "full_outage"),
            ("severity", ""),
            ("severity_reason", ""),
            ("owner", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let web_id: i64 = location
        .trim_start_matches("/incidents/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .trim_start_matches("INC-")
        .parse()
        .unwrap_or_else(|_| panic!("{location}"));
    let (_, web_inc) = s.app.get(&t, &format!("/api/v1/incidents/{web_id}")).await;
    assert_eq!(web_inc["severity"], "critical", "{web_inc}");
    let esc = s.escalations(web_id).await;
    assert!(
        esc.iter().any(|e| e["rule"] == "urgent_severity"
            && e["to"] == "lead1"
            && e["state"] == "routed"),
        "{esc:?}"
    );

    s.step().await;
    assert_eq!(s.pages_to("lead1"), 2, "both declarations paged the lead");

    // No facts and no severity: low, the suggestion, never none.
    let (_, low) = s
        .app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "Odd graph", "kind": "availability"}),
        )
        .await;
    assert_eq!(low["severity"], "low", "{low}");
}

#[tokio::test]
async fn a_rule_that_declares_without_a_severity_sets_the_suggestion() {
    let s = setup().await;
    let t = s.app.admin_token.clone();
    let (_, url, _) = integration(
        &s.app,
        json!({"name": "prom", "kind": "alertmanager", "auto_declare": false}),
    )
    .await;
    let (st, b) = s
        .app
        .post(
            &t,
            "/api/v1/intake/rules",
            json!({"name": "everything", "matchers": ["alertname=\"Odd\""], "declare": true}),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    let res = s
        .app
        .http
        .post(&url)
        .json(&am_webhook(vec![am_alert(
            json!({"alertname": "Odd"}),
            "firing",
        )]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let reference = body["alerts"][0]["incident"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    let id: i64 = reference.trim_start_matches("INC-").parse().unwrap();
    let (_, inc) = s.app.get(&t, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(inc["severity"], "low", "{inc}");
}

// ------------------------------------------------------------------ item 2

#[tokio::test]
async fn a_critical_alert_from_a_bound_integration_declares_and_pages_without_a_rule() {
    let s = setup().await;
    let t = s.app.admin_token.clone();
    service(&s.app, "payments").await;
    // The create answer states the default.
    let (_, url, view) = integration(
        &s.app,
        json!({"name": "prom", "kind": "alertmanager", "service": "payments"}),
    )
    .await;
    assert_eq!(view["auto_declare"], true, "{view}");
    let (_, off_url, off) = integration(
        &s.app,
        json!({"name": "quiet", "kind": "alertmanager", "service": "payments", "auto_declare": false}),
    )
    .await;
    assert_eq!(off["auto_declare"], false, "{off}");
    let (_, list) = s.app.get(&t, "/api/v1/intake/integrations").await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "prom" && i["auto_declare"] == true),
        "{list}"
    );

    let send = |url: String, name: &'static str, severity: &'static str| {
        let http = s.app.http.clone();
        async move {
            let res = http
                .post(&url)
                .json(&am_webhook(vec![am_alert(
                    json!({"alertname": name, "severity": severity}),
                    "firing",
                )]))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let b = send(url.clone(), "DiskFull", "critical").await;
    assert_eq!(b["alerts"][0]["disposition"], "declare", "{b}");
    let reference = b["alerts"][0]["incident"]
        .as_str()
        .unwrap_or_else(|| panic!("{b}"));
    let id: i64 = reference.trim_start_matches("INC-").parse().unwrap();
    let (_, inc) = s.app.get(&t, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(inc["severity"], "critical", "{inc}");
    assert_eq!(inc["service"], "payments", "{inc}");
    s.step().await;
    assert_eq!(s.pages_to("lead1"), 1, "the critical alert paged");

    // A warning waits in triage; so does a critical alert of an integration
    // with auto_declare off.
    let b = send(url, "Latency", "warning").await;
    assert_eq!(b["alerts"][0]["disposition"], "triage", "{b}");
    let b = send(off_url.clone(), "DiskFull2", "critical").await;
    assert_eq!(b["alerts"][0]["disposition"], "triage", "{b}");
    assert!(b["alerts"][0]["incident"].is_null(), "{b}");

    // Turned on later, the next critical alert declares at once.
    let off_id = off["id"].as_i64().unwrap();
    let (st, b) = s
        .app
        .post(
            &t,
            &format!("/api/v1/intake/integrations/{off_id}/auto-declare"),
            json!({"auto_declare": "yes"}),
        )
        .await;
    assert_eq!(
        (st, b["field"].as_str()),
        (400, Some("auto_declare")),
        "{b}"
    );
    let (st, b) = s
        .app
        .post(
            &t,
            &format!("/api/v1/intake/integrations/{off_id}/auto-declare"),
            json!({"auto_declare": true}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["auto_declare"], true, "{b}");
    let b = send(off_url, "DiskFull3", "critical").await;
    assert_eq!(b["alerts"][0]["disposition"], "declare", "{b}");
}

// ------------------------------------------------------------------ item 4

async fn nobody_paged_is_loud_on(db: Db) {
    // No escalation policy at all; `admin` is the fallback and reachable.
    let Some(s) = setup_with(db, false, |c| {
        c.escalation.incident_lead_policy = None;
        c.escalation.fallback = vec!["admin".into()];
    })
    .await
    else {
        return;
    };
    let t = s.app.admin_token.clone();
    contact(&s.app, "admin", &s.hook.url).await;
    let (st, inc) = s
        .app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "Checkout down", "kind": "availability", "severity": "critical", "facts": {"full_outage": true}}),
        )
        .await;
    assert_eq!(st, 201, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let esc = s.escalations(id).await;
    let page = esc
        .iter()
        .find(|e| e["rule"] == "urgent_severity" && e["audience"] == "incident_lead")
        .unwrap();
    assert_eq!(page["state"], "unrouted", "{esc:?}");
    let fallback = esc.iter().find(|e| e["audience"] == "fallback").unwrap();
    assert_eq!(fallback["to"], "admin", "{esc:?}");
    assert_eq!(fallback["state"], "routed", "{esc:?}");
    s.step().await;
    let told: Vec<_> = s
        .hook
        .all()
        .into_iter()
        .filter(|r| r.accepted && r.body["event"] == "unrouted" && r.body["recipient"] == "admin")
        .collect();
    assert_eq!(told.len(), 1, "{:?}", s.hook.all());
    assert!(
        told[0].body["reason"]
            .as_str()
            .unwrap()
            .contains("nobody was paged"),
        "{:?}",
        told[0].body
    );

    let (http, cookie, _) = web_session(&s.app, "admin", &s.app.admin_password).await;
    let html = get_page(&s.app, &http, &cookie, &format!("/incidents/{id}")).await;
    let at = html.find("id=\"nobody-paged\"").expect("the red warning");
    assert!(
        at < html.find("id=\"escalations\"").unwrap(),
        "the warning is at the top"
    );
    assert!(html[at..].contains("The configured fallback was told"));
}

#[tokio::test]
async fn a_page_that_reaches_nobody_is_unrouted_warned_and_told_to_the_fallback_on_sqlite() {
    nobody_paged_is_loud_on(Db::Sqlite).await;
}

#[tokio::test]
async fn a_page_that_reaches_nobody_is_unrouted_warned_and_told_to_the_fallback_on_postgres() {
    nobody_paged_is_loud_on(Db::Postgres).await;
}

#[tokio::test]
async fn without_a_fallback_the_warning_says_nobody_could_be_told() {
    let s = setup_with(Db::Sqlite, false, |c| {
        c.escalation.incident_lead_policy = None
    })
    .await
    .unwrap();
    let t = s.app.admin_token.clone();
    let (_, inc) = s
        .app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "Checkout down", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    let esc = s.escalations(id).await;
    assert!(esc.iter().all(|e| e["state"] == "unrouted"), "{esc:?}");
    assert!(
        esc.iter().any(|e| e["audience"] == "fallback"
            && e["to"]
                .as_str()
                .unwrap()
                .contains("no fallback is configured")),
        "{esc:?}"
    );
    let (_, tl) = s
        .app
        .get(&t, &format!("/api/v1/incidents/{id}/timeline"))
        .await;
    assert!(
        tl.as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "unrouted"
                && e["summary"].as_str().unwrap().contains("nobody was paged")),
        "{tl}"
    );
    let (http, cookie, _) = web_session(&s.app, "admin", &s.app.admin_password).await;
    let html = get_page(&s.app, &http, &cookie, &format!("/incidents/{id}")).await;
    let at = html.find("id=\"nobody-paged\"").expect("the red warning");
    assert!(html[at..].contains("No fallback could be told"), "{html}");
    assert_contains(&html, "unrouted: nobody was paged");
}

// ------------------------------------------------------------------ item 5

#[tokio::test]
async fn only_reachable_responders_may_own_or_lead_in_api_and_web() {
    let s = setup().await;
    let t = s.app.admin_token.clone();
    for (name, role) in [
        ("viewer1", "viewer"),
        ("support1", "support"),
        ("boss1", "leadership"),
        ("quiet1", "responder"),
    ] {
        s.app.user(name, role).await;
        if name != "quiet1" {
            contact(&s.app, name, &s.hook.url).await;
        }
    }
    integration(&s.app, json!({"name": "prom", "kind": "alertmanager"})).await;
    for (field, who) in [
        ("owner", "viewer1"),
        ("owner", "support1"),
        ("lead", "boss1"),
        ("owner", "quiet1"),
        ("lead", "intake.prom"),
    ] {
        let (st, b) = s
            .app
            .post(
                &t,
                "/api/v1/incidents",
                json!({"title": "x", "kind": "availability", field: who}),
            )
            .await;
        assert_eq!(st, 422, "{field}={who}: {b}");
        assert_eq!(b["field"], field, "{b}");
    }
    let (st, inc) = s
        .app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "x", "kind": "availability", "owner": "lead1", "lead": "lead1"}),
        )
        .await;
    assert_eq!(st, 201, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    for (field, who) in [
        ("owner", "viewer1"),
        ("lead", "quiet1"),
        ("owner", "intake.prom"),
    ] {
        let (st, b) = s
            .app
            .patch(
                &t,
                &format!("/api/v1/incidents/{id}"),
                json!({field: who, "reason": "handover"}),
            )
            .await;
        assert_eq!(st, 422, "{field}={who}: {b}");
        assert_eq!(b["field"], field, "{b}");
    }

    // The web's pickers offer only those the rule admits.
    let (http, cookie, _) = web_session(&s.app, "admin", &s.app.admin_password).await;
    for (path, ids) in [
        (format!("/incidents/{id}"), ["owner-select", "lead-select"]),
        (
            "/incidents/new".to_owned(),
            ["declare-owner", "declare-owner"],
        ),
    ] {
        let html = get_page(&s.app, &http, &cookie, &path).await;
        for sel in ids {
            let options = select_of(&html, sel);
            assert!(options.contains("lead1"), "{path} {sel}: {options}");
            for no in ["viewer1", "support1", "boss1", "quiet1", "intake.prom"] {
                assert!(!options.contains(no), "{path} {sel} offers {no}: {options}");
            }
        }
    }
}

#[tokio::test]
async fn a_closed_incident_is_not_escalated() {
    let s = setup().await;
    let t = s.app.admin_token.clone();
    let id = closed_incident(&s.app, "low").await;
    let (st, b) = s
        .app
        .post(
            &t,
            &format!("/api/v1/incidents/{id}/escalate"),
            json!({"to": "lead1", "reason": "one more page"}),
        )
        .await;
    assert_eq!(st, 422, "{b}");
    assert_eq!(b["field"], "phase", "{b}");
    let before = s.escalations(id).await.len();
    // Raising the severity of a closed incident fires no rule.
    let (st, b) = s
        .app
        .patch(
            &t,
            &format!("/api/v1/incidents/{id}"),
            json!({"severity": "critical", "reason": "hindsight"}),
        )
        .await;
    assert_eq!(s.escalations(id).await.len(), before, "{st}: {b}");
}

/// An availability incident owned by `lead1`, moved through every gate to
/// closed.
async fn closed_incident(app: &TestApp, severity: &str) -> i64 {
    let t = app.admin_token.clone();
    let (st, inc) = app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "short blip", "kind": "availability", "severity": severity, "owner": "lead1", "severity_reason": "as seen"}),
        )
        .await;
    assert_eq!(st, 201, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    // A blip no customer saw: nothing is owed to customers, so the
    // communication item is ticked by hand (issue 11).
    app.store
        .set_incident_affected(
            id,
            firebreak_api::comms::AffectedMode::Nobody,
            &[],
            &firebreak_store::Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
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
        (
            "closed",
            &[
                "postmortem_done",
                "customer_communication_sent",
                "follow_ups_tracked",
            ],
        ),
    ];
    for (to, items) in steps {
        for item in *items {
            let (st, b) = app
                .post(
                    &t,
                    &format!("/api/v1/incidents/{id}/checklist/{item}"),
                    json!({"status": "done", "note": "done"}),
                )
                .await;
            // Some items apply only to some severities.
            let not_applicable = st == 422
                && b["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("does not apply");
            assert!(st == 200 || not_applicable, "{item}: {b}");
        }
        app.post_expect(
            &t,
            &format!("/api/v1/incidents/{id}/transition"),
            json!({"to": to}),
            200,
        )
        .await;
    }
    id
}

/// The browser: the declare form's default severity pages by the facts,
/// and a page that reached nobody is a red warning at the top. Set
/// `FIREBREAK_SCREENSHOTS=DIR` to keep screenshots at 375 and 1440 px.
#[tokio::test]
async fn in_the_browser_the_suggestion_declares_and_nobody_paged_is_red() {
    use crate::web::{browser, chromedriver, click, fill, login, submit, text};
    let s = setup_with(Db::Sqlite, false, |c| {
        c.escalation.incident_lead_policy = None
    })
    .await
    .unwrap();
    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &s.app, "admin", &s.app.admin_password).await;
    c.goto(&format!("{}/incidents/new", s.app.url))
        .await
        .unwrap();
    fill(&c, "#declare-title", "Platform unavailable").await;
    click(&c, "#fact-full_outage").await;
    submit(&c, "#declare-submit").await;
    let facts = text(&c, "p.facts").await;
    assert_contains(&facts, "critical");
    let warning = text(&c, "#nobody-paged").await;
    assert_contains(&warning, "nobody was paged");
    assert_contains(&warning, "No fallback could be told");
    let color = c
        .execute(
            "return getComputedStyle(document.getElementById('nobody-paged')).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    let color = color.as_str().unwrap().to_owned();
    let rgb: Vec<u32> = color
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert!(rgb[0] > 150 && rgb[1] < 100 && rgb[2] < 100, "red: {color}");
    if let Ok(dir) = std::env::var("FIREBREAK_SCREENSHOTS") {
        for w in [375, 1440] {
            c.set_window_size(w, 1200).await.unwrap();
            let png = c.screenshot().await.unwrap();
            std::fs::write(format!("{dir}/incident-nobody-paged-{w}.png"), png).unwrap();
        }
    }
    c.close().await.unwrap();
}

/// A policy of two levels: `lead1`, then `second` after 300 s.
async fn two_levels(app: &TestApp, second: &str) {
    app.put_expect(
        &app.admin_token,
        "/api/v1/escalation-policies/incident-lead",
        json!({"levels": [
            {"targets": [{"user": "lead1"}], "ack_timeout_secs": 300},
            {"targets": [{"user": second}], "ack_timeout_secs": 300}
        ], "repeat": 0}),
        200,
    )
    .await;
}

#[tokio::test]
async fn a_timeout_whose_next_level_reaches_nobody_tells_the_fallback() {
    let s = setup_with(Db::Sqlite, false, |c| {
        c.escalation.fallback = vec!["admin".into()];
    })
    .await
    .unwrap();
    s.app.user("ghost", "responder").await;
    two_levels(&s.app, "ghost").await;
    contact(&s.app, "admin", &s.hook.url).await;
    let t0 = firebreak_server::Clock::now(&*s.clock);
    let (st, inc) = s
        .app
        .post(
            &s.app.admin_token,
            "/api/v1/incidents",
            json!({"title": "Queue stuck", "kind": "availability", "severity": "high", "facts": {"major_feature_unavailable": true}}),
        )
        .await;
    assert_eq!(st, 201, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    s.step().await;
    assert_eq!(s.pages_to("lead1"), 1);
    s.clock.set(t0 + chrono::Duration::seconds(300));
    s.step().await;
    let esc = s.escalations(id).await;
    let ghost = esc.iter().find(|e| e["to"] == "ghost").unwrap();
    assert_eq!(ghost["state"], "unrouted", "{esc:?}");
    let fallback = esc.iter().find(|e| e["audience"] == "fallback").unwrap();
    assert_eq!(fallback["state"], "routed", "{esc:?}");
    s.step().await;
    assert!(
        s.hook
            .all()
            .iter()
            .any(|r| r.accepted && r.body["event"] == "unrouted" && r.body["recipient"] == "admin"),
        "{:?}",
        s.hook.all()
    );
}

#[tokio::test]
async fn a_closed_incidents_page_stops_at_its_deadline() {
    let s = setup_with(Db::Sqlite, false, |_| {}).await.unwrap();
    s.app.user("backup1", "lead").await;
    contact(&s.app, "backup1", &s.hook.url).await;
    two_levels(&s.app, "backup1").await;
    let t0 = firebreak_server::Clock::now(&*s.clock);
    let id = closed_incident(&s.app, "high").await;
    s.step().await;
    assert_eq!(s.pages_to("lead1"), 1, "paged while it was open");
    s.clock.set(t0 + chrono::Duration::seconds(300));
    s.step().await;
    s.step().await;
    assert_eq!(s.pages_to("backup1"), 0, "closed: no backup page");
    let esc = s.escalations(id).await;
    assert!(esc.iter().all(|e| e["to"] != "backup1"), "{esc:?}");
    assert_eq!(esc[0]["chain_state"], "closed", "{esc:?}");
}

/// The fallback told that a page about a security incident reached nobody
/// becomes a member, as anyone paged about it does, so the incident they are
/// told to act on exists for them.
#[tokio::test]
async fn the_fallback_told_about_a_security_incident_can_open_it() {
    let Some(s) = setup_with(Db::Sqlite, false, |c| {
        c.escalation.incident_lead_policy = None;
        c.escalation.fallback = vec!["fb".into()];
    })
    .await
    else {
        return;
    };
    let t = s.app.admin_token.clone();
    let fb = s.app.user("fb", "lead").await;
    contact(&s.app, "fb", &s.hook.url).await;
    let (st, inc) = s
        .app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "Breach", "kind": "security", "severity": "critical", "facts": {"customer_data_accessed": true}}),
        )
        .await;
    assert_eq!(st, 201, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let esc = s.escalations(id).await;
    assert!(
        esc.iter()
            .any(|e| e["audience"] == "fallback" && e["to"] == "fb" && e["state"] == "routed"),
        "{esc:?}"
    );
    let seen = s
        .app
        .get_expect(&fb, &format!("/api/v1/incidents/{id}"), 200)
        .await;
    assert!(seen["members"].to_string().contains("\"fb\""), "{seen}");
}
