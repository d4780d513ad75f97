//! The web UI in Debian's headless Chromium, driven through chromedriver:
//! what a responder does with a browser, and that pages escape what people
//! type.

use firebreak_testkit::assert_contains;
use firebreak_testkit::web::{first_cookie, no_redirects, post_form, post_login};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::harness::{TestApp, spawn};

/// A chromedriver process, killed when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn chromedriver() -> Driver {
    chromedriver_with(&[])
}

/// A chromedriver whose browsers run with `env` set (e.g. `TZ`, the zone
/// the browser reports to scripts).
pub(crate) fn chromedriver_with(env: &[(&str, &str)]) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver must be installed (Debian package chromium-driver); .ci/run installs it",
        );
    // chromedriver says when it listens; read until then instead of sleeping.
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("chromedriver exited before it started")
            .unwrap();
        if line.contains("started successfully") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: tempfile::tempdir().unwrap(),
    }
}

pub(crate) async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/lib/chromium/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,2000",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("connect to chromedriver")
}

pub(crate) async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The URL the browser is at.
async fn current_url(c: &Client) -> String {
    c.current_url().await.unwrap().to_string()
}

/// The element `css` selects on the current page.
async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.find(Locator::Css(css)).await.unwrap()
}

pub(crate) async fn fill(c: &Client, css: &str, value: &str) {
    element(c, css).await.send_keys(value).await.unwrap();
}

pub(crate) async fn click(c: &Client, css: &str) {
    element(c, css).await.click().await.unwrap();
}

/// Clicks a submit button and waits until the browser has left the page:
/// the old document's root goes stale once the new one replaces it.
pub(crate) async fn submit(c: &Client, css: &str) {
    let root = c.find(Locator::Css("html")).await.unwrap();
    click(c, css).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while root.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "clicking {css} did not load a new page"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) async fn select(c: &Client, css: &str, value: &str) {
    element(c, css).await.select_by_value(value).await.unwrap();
}

pub(crate) async fn login(c: &Client, app: &TestApp, user: &str, password: &str) {
    c.goto(&format!("{}/incidents", app.url)).await.unwrap();
    // Not signed in: sent to the sign-in page.
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    fill(c, "input[name=username]", user).await;
    fill(c, "input[name=password]", password).await;
    submit(c, "#login").await;
    c.wait()
        .for_element(Locator::Css("header nav"))
        .await
        .unwrap();
}

async fn run(c: &Client, app: &TestApp) {
    login(c, app, "admin", &app.admin_password).await;

    // Create a responder.
    c.goto(&format!("{}/admin/users", app.url)).await.unwrap();
    fill(c, "#user-name", "responder1").await;
    select(c, "#user-role", "responder").await;
    fill(c, "#user-password", "a long enough password").await;
    submit(c, "#user-submit").await;
    assert!(
        text(c, ".notice")
            .await
            .contains("User responder1 added as responder")
    );
    // An owner must be reachable: a contact method for responder1.
    app.reachable("responder1").await;

    // A report whose title tries to run script.
    c.goto(&format!("{}/reports/new", app.url)).await.unwrap();
    fill(
        c,
        "#report-title",
        "<script>document.title='pwned'</script> tenant data visible",
    )
    .await;
    fill(
        c,
        "#report-description",
        "A customer saw another tenant's invoices",
    )
    .await;
    select(c, "#report-source", "support").await;
    submit(c, "#report-submit").await;
    assert!(text(c, ".notice").await.contains("triage queue"));
    let report_title = text(c, ".report-title").await;
    assert_eq!(
        report_title,
        "<script>document.title='pwned'</script> tenant data visible"
    );

    // Declare a critical security incident from it.
    let form = "article.report form[action$='/declare']";
    select(c, &format!("{form} select[name=kind]"), "security").await;
    click(c, &format!("{form} input[value=customer_data_accessed]")).await;
    select(c, &format!("{form} select[name=severity]"), "critical").await;
    select(c, &format!("{form} select[name=owner]"), "responder1").await;
    submit(c, &format!("{form} button[type=submit]")).await;
    assert!(text(c, ".notice").await.contains("declared from report"));
    assert_eq!(
        text(c, "#incident-title").await,
        "<script>document.title='pwned'</script> tenant data visible"
    );
    assert_ne!(c.title().await.unwrap(), "pwned");
    assert_eq!(text(c, "#phase").await, "Triage");

    // Into containment; leaving it with open gates is refused, naming the gate.
    submit(c, "#transition-submit").await;
    assert_eq!(text(c, "#phase").await, "Containment");
    submit(c, "#transition-submit").await;
    let err = text(c, ".error").await;
    assert_contains(&err, "impact_contained");

    // Tell the affected tenant from the communication page (issue 11):
    // `customer_communication_sent` follows the notices sent, and a
    // security incident's notice goes out only with the sender's approval.
    let actor = firebreak_store::Actor::local("test");
    let now = chrono::Utc::now();
    let tenant = app
        .store
        .create_customer("tenant-4411", "the tenant", &actor, now)
        .await
        .unwrap();
    app.store
        .add_customer_contact(
            tenant.id,
            "security contact",
            json!({"kind": "webhook", "url": "https://tenant.example/hook"}),
            &actor,
            now,
        )
        .await
        .unwrap();
    app.store
        .set_incident_affected(
            1,
            firebreak_api::comms::AffectedMode::Customers,
            &[tenant.id],
            &actor,
            now,
        )
        .await
        .unwrap();
    c.goto(&format!("{}/incidents/1/communication", app.url))
        .await
        .unwrap();
    submit(c, "#notice-draft-submit").await;
    assert_contains(&text(c, ".notice").await, "Draft 1 saved");
    assert_contains(&text(c, "#draft-1 pre").await, "Status:");
    submit(c, "#send-1").await;
    assert_contains(&text(c, ".error").await, "approv");
    click(c, "#approve-1").await;
    submit(c, "#send-1").await;
    assert_contains(&text(c, ".notice").await, "sent to 1 contact");
    assert_contains(&text(c, "#sent-notices").await, "tenant-4411");
    c.goto(&format!("{}/incidents/1", app.url)).await.unwrap();
    let (_, inc) = app.get(&app.admin_token, "/api/v1/incidents/1").await;
    let item = inc["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "customer_communication_sent")
        .unwrap()
        .clone();
    assert_eq!(
        (&item["status"], &item["derived"]),
        (&json!("done"), &json!(true)),
        "{item}"
    );

    // Work through every gate to closed.
    let mut gates: Vec<(&str, Option<&str>)> = vec![
        ("impact_contained", None),
        ("evidence_preserved", None),
        ("fix_deployed", None),
        ("deployment_verified", None),
        ("service_restored", None),
        ("data_integrity_confirmed", None),
        ("access_confirmed", Some("no access change was needed")),
        ("postmortem_done", None),
        ("follow_ups_tracked", None),
    ];
    let phases = ["Remediation", "Recovery", "Post-incident", "Closed"];
    let per_phase = [2, 2, 3, 2];
    for (phase, n) in phases.iter().zip(per_phase) {
        for (item, waiver) in gates.drain(..n) {
            match waiver {
                Some(reason) => {
                    fill(c, &format!("#waive-reason-{item}"), reason).await;
                    submit(c, &format!("#waive-{item}")).await;
                }
                None => submit(c, &format!("#done-{item}")).await,
            }
            let status = text(c, &format!("#item-{item} .status")).await;
            assert!(status == "done" || status == "waived", "{item}: {status}");
        }
        submit(c, "#transition-submit").await;
        assert_eq!(text(c, "#phase").await, *phase);
    }

    // A closed incident offers no escalation and no next phase.
    assert!(
        c.find(Locator::Css("#escalate-submit")).await.is_err(),
        "a closed incident offers no escalation"
    );
    assert!(c.find(Locator::Css("#advance-submit")).await.is_err());

    // The whole timeline is on the page.
    let timeline = text(c, "#timeline").await;
    for expected in [
        "Declared from report",
        "Severity set to critical",
        "Owner assigned: responder1",
        "Moved from Triage to Containment",
        "Impact contained: done",
        "Access confirmed: waived",
        "reason: no access change was needed",
        "Moved from Post-incident to Closed",
    ] {
        assert!(
            timeline.contains(expected),
            "timeline lacks `{expected}`:\n{timeline}"
        );
    }

    // For people reviewing the UI: `FIREBREAK_SCREENSHOTS=DIR` keeps a picture.
    if let Some(dir) = std::env::var_os("FIREBREAK_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join("incident.png"), png).unwrap();
        c.goto(&format!("{}/incidents", app.url)).await.unwrap();
        std::fs::write(
            std::path::Path::new(&dir).join("incidents.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
    }

    // Every page carries a CSP; check one response's headers directly.
    let res = app.get_anonymous("/login").await;
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
}

#[tokio::test]
async fn a_responder_runs_an_incident_to_closed_in_a_browser() {
    let app = spawn().await;
    let driver = chromedriver();
    let c = browser(&driver).await;
    run(&c, &app).await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn forms_without_the_session_csrf_token_are_refused() {
    let app = spawn().await;
    // Sign in over plain HTTP to get a session cookie.
    let http = no_redirects();
    let res = post_login(
        &app,
        &http,
        "admin",
        &app.admin_password,
        Some("/incidents"),
    )
    .await;
    assert_eq!(res.status(), 303);
    let cookie = first_cookie(&res);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("HttpOnly")
    );
    let res = post_form(
        &app,
        &http,
        &cookie,
        "/reports",
        &[("csrf", "forged"), ("title", "x")],
    )
    .await;
    assert_eq!(res.status(), 403);
    let (_, q) = app.get(&app.admin_token, "/api/v1/reports").await;
    assert!(q.as_array().unwrap().is_empty(), "nothing was stored");
    // A cross-site sign-in is refused too.
    let res = http
        .post(format!("{}/login", app.url))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("username", "admin"),
            ("password", app.admin_password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A wrong password gets no session.
    let res = post_login(&app, &http, "admin", "wrong password here", None).await;
    assert_eq!(res.status(), 303);
    let cookies: Vec<&str> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        !cookies.iter().any(|c| c.starts_with("fb_session=")),
        "{cookies:?}"
    );
    // The error travels in the one-time flash cookie, not in the URL.
    assert!(
        cookies.iter().any(|c| c.starts_with("fb_flash=e.")),
        "{cookies:?}"
    );
    assert!(
        !res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=")
    );
}

#[tokio::test]
async fn a_lead_acknowledges_a_page_and_sees_who_is_on_call() {
    let app = crate::harness::spawn_paging_leads().await;
    let t = app.admin_token.clone();
    app.user("lead1", "lead").await;
    app.reachable("admin").await;
    let schedule = json!({
        "name": "primary", "time_zone": "Europe/Berlin",
        "layers": [{"name": "daily", "rotation": {"name": "daily", "participants": ["lead1"],
            "shift": {"days": 1}, "handoff": "2020-01-01T09:00:00", "time_zone": "Europe/Berlin"}}]
    });
    let res = app
        .http
        .put(format!("{}/api/v1/schedules/primary", app.url))
        .bearer_auth(&t)
        .json(&schedule)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let policy = json!({"levels": [{"targets": [{"schedule": "primary"}], "ack_timeout_secs": 600}], "repeat": 0});
    app.put_expect(&t, "/api/v1/escalation-policies/incident-lead", policy, 200)
        .await;
    let (s, inc) = app
        .post(&t, "/api/v1/incidents", json!({"title": "Payments failing", "kind": "availability", "severity": "critical", "facts": {"full_outage": true}, "owner": "admin"}))
        .await;
    assert_eq!(s, 201, "{inc}");

    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &app, "admin", &app.admin_password).await;
    c.goto(&format!("{}/incidents/{}", app.url, inc["id"]))
        .await
        .unwrap();
    let table = text(&c, "#escalations table").await;
    assert!(
        table.contains("urgent_severity") && table.contains("lead1") && table.contains("active"),
        "{table}"
    );
    submit(&c, "#ack-submit").await;
    assert!(
        text(&c, ".notice")
            .await
            .contains("Acknowledged; 1 escalation(s) stopped")
    );
    let table = text(&c, "#escalations table").await;
    assert_contains(&table, "acknowledged by admin");
    assert!(
        c.find(Locator::Css("#ack-submit")).await.is_err(),
        "nothing left to acknowledge"
    );

    c.goto(&format!("{}/oncall", app.url)).await.unwrap();
    assert_eq!(text(&c, "#oncall td.now").await, "lead1");
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_triage_page_filters_counts_bulk_dismisses_and_shows_noise() {
    use crate::intake::{am_alert, am_webhook, integration, service};
    let app = spawn().await;
    let t = app.admin_token.clone();
    service(&app, "payments").await;
    let (_, url, _) = integration(
        &app,
        json!({"name": "prom", "kind": "alertmanager", "service": "payments", "auto_declare": false}),
    )
    .await;
    let alerts = am_webhook(vec![
        am_alert(
            json!({"alertname": "HighLatency", "severity": "warning"}),
            "firing",
        ),
        am_alert(
            json!({"alertname": "DiskFull", "severity": "critical"}),
            "firing",
        ),
    ]);
    let res = app.http.post(&url).json(&alerts).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.post_expect(&t,
            "/api/v1/reports",
            json!({"title": "Customer cannot log in", "description": "since 10:00", "source": "support"}), 201).await;

    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &app, "admin", &app.admin_password).await;
    c.goto(&format!("{}/triage", app.url)).await.unwrap();
    // The backlog per source, and the alert behind each monitoring report.
    assert_eq!(text(&c, "#backlog-monitoring .count").await, "2");
    assert_eq!(text(&c, "#backlog-support .count").await, "1");
    let lines = c.find_all(Locator::Css(".alert-line")).await.unwrap().len();
    assert_eq!(lines, 2);
    let body = text(&c, "main").await;
    assert_contains(&body, "Alert from prom: firing, seen 1 time");
    assert_contains(&body, "severity critical");
    // The noise view: two reports for payments today, one with no service.
    assert_eq!(
        text(&c, "#noise tr[data-service='payments'] .total").await,
        "2"
    );
    assert_eq!(
        text(&c, "#noise tr[data-service='(no service)'] .total").await,
        "1"
    );

    // Filtered to monitoring: only the two alerts' reports.
    select(&c, "#filter-source", "monitoring").await;
    submit(&c, "#filter-submit").await;
    let cards = c.find_all(Locator::Css("tr.report")).await.unwrap();
    assert_eq!(cards.len(), 2);
    assert_contains(current_url(&c).await, "source=monitoring");

    // Tick both and dismiss them at once.
    for card in c
        .find_all(Locator::Css("tr.report input[type=checkbox]"))
        .await
        .unwrap()
    {
        card.click().await.unwrap();
    }
    select(&c, "#bulk-action", "dismiss").await;
    fill(&c, "#bulk-reason", "known latency, tracked in OPS-7").await;
    submit(&c, "#bulk-submit").await;
    let notice = text(&c, ".notice").await;
    assert_eq!(notice, "2 reports dismissed", "{notice}");
    // Back on the filtered queue.
    assert_contains(current_url(&c).await, "source=monitoring");
    assert!(
        c.find(Locator::Css("#backlog-monitoring")).await.is_err(),
        "the monitoring backlog is empty now"
    );
    assert_eq!(text(&c, "#backlog-support .count").await, "1");
    let queue = app
        .get(&t, "/api/v1/intake/triage?source=monitoring")
        .await
        .1;
    assert_eq!(queue, json!([]));

    // Nothing ticked: refused with a message, nothing changes.
    c.goto(&format!("{}/triage", app.url)).await.unwrap();
    submit(&c, "#bulk-submit").await;
    assert!(
        text(&c, ".error")
            .await
            .contains("tick at least one report")
    );
    c.close().await.unwrap();
}
