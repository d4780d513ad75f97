//! Issue 10's first acceptance line: from an empty database, the browser
//! signs in as the `admin` a new install prints, completes the
//! getting-started checklist through the web alone, declares a critical
//! incident, and the on-call person's webhook receives the page. No CLI,
//! API call or config file in between: the server runs on the defaults a
//! new user gets (no `[escalation]` section at all), with its workers.
//!
//! Each step's time is printed (`--nocapture`), for the note's "how long
//! it took, step by step" (a machine's figures, not a user's).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use firebreak_server::SystemClock;
use firebreak_server::notify::{Notifier, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};
use firebreak_testkit::WebhookReceiver;

use crate::harness::{Db, spawn_with};
use crate::web::{browser, chromedriver, fill, select, submit};

/// Clears a field and types `value` into it.
async fn type_in(c: &Client, css: &str, value: &str) {
    let e = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

async fn attr(c: &Client, css: &str, name: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn progress(c: &Client, app_url: &str) -> String {
    c.goto(&format!("{app_url}/admin")).await.unwrap();
    c.find(Locator::Css("#checklist-progress"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Times each step of the walk.
struct Steps {
    start: Instant,
    last: Instant,
    lines: Vec<String>,
}

impl Steps {
    fn new() -> Steps {
        let now = Instant::now();
        Steps {
            start: now,
            last: now,
            lines: Vec::new(),
        }
    }

    fn done(&mut self, what: &str) {
        let now = Instant::now();
        self.lines.push(format!(
            "{:>7.2} s  {:>6.2} s  {what}",
            now.duration_since(self.start).as_secs_f64(),
            now.duration_since(self.last).as_secs_f64()
        ));
        self.last = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_an_empty_install_to_a_delivered_page_by_the_web_alone() {
    let hook = WebhookReceiver::start();
    // The defaults a new user gets: no configuration at all.
    let app = spawn_with(Db::Sqlite, |_| {}, Arc::new(SystemClock))
        .await
        .expect("SQLite is always there");
    let workers = Workers::new(
        app.state.clone(),
        Notifier::new(None, Templates::default()).unwrap(),
        WorkerConfig::default(),
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(workers.run(stopped));

    let driver = chromedriver();
    let c = browser(&driver).await;
    let url = app.url.clone();
    let mut steps = Steps::new();

    // Sign in with the password the first start printed: the home page is
    // the checklist, nothing done.
    c.goto(&format!("{url}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    fill(&c, "input[name=username]", "admin").await;
    fill(&c, "input[name=password]", &app.admin_password).await;
    submit(&c, "#login").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/");
    let shown = c.find(Locator::Css("#checklist-progress")).await.unwrap();
    assert_eq!(shown.text().await.unwrap(), "0 of 7 steps done");
    steps.done("signed in; the home page is the checklist (0 of 7)");

    // People: the on-call person.
    c.find(Locator::Css("#step-people a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_in(&c, "#user-name", "alice").await;
    select(&c, "#user-role", "lead").await;
    type_in(&c, "#user-password", "alice's long password").await;
    submit(&c, "#user-submit").await;
    steps.done("added alice, a lead");

    // Her contact method: the webhook receiver (an admin may name a
    // loopback address, as an on-premises gateway would be).
    submit(&c, "#user-link-alice").await;
    select(&c, "#contact-kind", "webhook").await;
    type_in(&c, "#contact-label", "pager").await;
    type_in(&c, "#contact-target", &hook.url).await;
    submit(&c, "#contact-submit").await;
    steps.done("gave alice a webhook contact method");

    // A test page, and its delivery seen on the result page.
    submit(&c, "[id^='test-page-']").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = attr(&c, "#test-result", "data-state").await;
        if state == "delivered" {
            break;
        }
        assert_ne!(state, "failed", "the test page failed");
        assert!(
            Instant::now() < deadline,
            "the test page was not delivered: {state}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.refresh().await.unwrap();
    }
    assert!(
        hook.all()
            .iter()
            .any(|d| d.recipient() == "alice" && d.incident().is_empty()),
        "the receiver got the test page: {:?}",
        hook.all()
    );
    steps.done("sent a test page; the page says delivered");

    // An on-call schedule: alice, every day.
    c.goto(&format!("{url}/admin/schedules")).await.unwrap();
    type_in(&c, "#schedule-name", "primary").await;
    type_in(&c, "#schedule-zone", "Europe/Berlin").await;
    type_in(&c, "#layer-0-name", "daily").await;
    type_in(&c, "#layer-0-start", "2026-01-01 09:00").await;
    type_in(&c, "#layer-0-length", "1").await;
    select(&c, "#layer-0-unit", "days").await;
    type_in(&c, "#layer-0-members", "alice").await;
    submit(&c, "#schedule-save").await;
    assert!(
        c.find(Locator::Css("p.error")).await.is_err(),
        "the schedule was refused"
    );
    steps.done("made schedule primary");

    // The policy that pages whoever is on call.
    c.goto(&format!("{url}/admin/policies")).await.unwrap();
    type_in(&c, "#policy-name", "incident-lead").await;
    type_in(&c, "#level-0-targets", "schedule:primary").await;
    type_in(&c, "#level-0-timeout", "5").await;
    submit(&c, "#policy-save").await;
    assert!(
        c.find(Locator::Css("p.error")).await.is_err(),
        "the policy was refused"
    );
    steps.done("made policy incident-lead");

    // It pages the incident lead: the setting a new install lacks.
    c.goto(&format!("{url}/admin/settings")).await.unwrap();
    assert!(c.find(Locator::Css("#settings-warnings")).await.is_ok());
    select(&c, "#setting-incident_lead_policy-select", "incident-lead").await;
    submit(&c, "#setting-incident_lead_policy-save").await;
    steps.done("chose incident-lead to page the incident lead");

    // A monitoring tool.
    c.goto(&format!("{url}/admin/integrations")).await.unwrap();
    type_in(&c, "#integration-name", "prometheus").await;
    select(&c, "#integration-kind", "alertmanager").await;
    submit(&c, "#integration-create").await;
    let intake_url = attr(&c, "#integration-url", "value").await;
    assert!(intake_url.starts_with(&url), "{intake_url}");
    steps.done("connected Alertmanager (URL and key shown once)");

    assert_eq!(progress(&c, &url).await, "7 of 7 steps done");
    assert!(c.find(Locator::Css("#checklist-complete")).await.is_ok());
    // Set up: home is the incident list now.
    c.goto(&format!("{url}/")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/incidents");

    // A critical incident pages alice, on call.
    c.goto(&format!("{url}/incidents/new")).await.unwrap();
    type_in(&c, "#declare-title", "Checkout down for every customer").await;
    select(&c, "#declare-kind", "availability").await;
    select(&c, "#declare-severity", "critical").await;
    type_in(&c, "#declare-reason", "every payment fails").await;
    submit(&c, "#declare-submit").await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/incidents/")
    );
    steps.done("declared a critical incident");
    let deadline = Instant::now() + Duration::from_secs(20);
    let page = loop {
        if let Some(d) = hook
            .all()
            .into_iter()
            .find(|d| d.recipient() == "alice" && !d.incident().is_empty())
        {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "no page for alice: {:?}",
            hook.all()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(page.body["event"], "page", "{:?}", page.body);
    steps.done("alice's webhook received the page");

    eprintln!(
        "first run, step by step (total, step):\n{}",
        steps.lines.join("\n")
    );
    c.close().await.unwrap();
    stop.send(true).unwrap();
    running.await.unwrap();
}
