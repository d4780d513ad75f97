//! Accessibility and layout of every page of the web UI, in headless
//! Chromium over realistic data (incidents of each severity, a critical
//! one paged, acknowledged by nobody, with notes and a runbook; a triage
//! queue with alerts; schedules), signed in as admin.
//!
//! On each page, at 375 px and 1,440 px wide, axe-core (npm's `axe-core`:
//! test tooling only, never shipped or committed) runs and any violation of
//! impact serious or critical fails the test, naming the rule and the
//! elements. The same visit checks what axe does not: every control's edge
//! has 3:1 contrast with what surrounds it (WCAG 1.4.11, which axe leaves
//! out), the skip link comes first and leads to `#main`, the navigation
//! marks the current page with `aria-current`, nothing scrolls sideways on a
//! phone, and at 1,920 px the page uses the width. Screenshots of each page
//! at both widths land in `target/screenshots/a11y-<page>-<width>.png`.
//!
//! axe is read from `FIREBREAK_AXE_JS` (default [`AXE_DEFAULT`], where
//! `.ci/run` installs it) and injected with WebDriver's execute script,
//! which Chromium runs outside the page's Content-Security-Policy (the
//! page itself allows no inline script).

use std::path::PathBuf;
use std::sync::Arc;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use firebreak_server::SystemClock;
use firebreak_server::notify::{Notifier, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};
use firebreak_testkit::WebhookReceiver;

use crate::harness::{Db, TestApp, spawn_with};
use crate::web::{browser, chromedriver, fill, login, submit};

/// Where `.ci/run` installs axe-core.
const AXE_DEFAULT: &str = "/opt/firebreak-test-npm/node_modules/axe-core/axe.min.js";

/// The widths every page is checked and photographed at: a phone and a
/// laptop.
const WIDTHS: [u32; 2] = [375, 1440];

/// One page of the web UI to check.
pub(crate) struct Page {
    /// The screenshot's name.
    pub(crate) name: &'static str,
    pub(crate) path: String,
    /// The navigation link marked `aria-current="page"` there, if any.
    current: Option<&'static str>,
}

fn page(name: &'static str, path: impl Into<String>, current: Option<&'static str>) -> Page {
    Page {
        name,
        path: path.into(),
        current,
    }
}

/// Every page a signed-in admin can open, over the data [`seed`] made.
/// A new page of the web UI is one line here.
pub(crate) fn pages(d: &Seeded) -> Vec<Page> {
    vec![
        page("incidents", "/incidents", Some("/incidents")),
        page("incidents-open", "/incidents?open=true", Some("/incidents")),
        page(
            "incident-critical",
            format!("/incidents/{}", d.critical),
            Some("/incidents"),
        ),
        page(
            "incident-security",
            format!("/incidents/{}", d.security),
            Some("/incidents"),
        ),
        page(
            "communication-critical",
            format!("/incidents/{}/communication", d.critical),
            Some("/incidents"),
        ),
        page(
            "communication-security",
            format!("/incidents/{}/communication", d.security),
            Some("/incidents"),
        ),
        page("declare", "/incidents/new", Some("/incidents/new")),
        page("triage", "/triage", Some("/triage")),
        page("report-new", "/reports/new", Some("/reports/new")),
        page("oncall", "/oncall", Some("/oncall")),
        page("users", "/admin/users", Some("/admin/users")),
        page("user", "/admin/users/newhire", Some("/admin/users")),
        page(
            "user-test-page",
            d.test_page_path.clone(),
            Some("/admin/users"),
        ),
        page("home-getting-started", "/", None),
        page("setup", "/admin", Some("/admin")),
        page("settings", "/admin/settings", Some("/admin")),
        page("not-found", "/no/such/page", None),
        page("setup-schedules", "/admin/schedules", Some("/admin")),
        page("setup-schedule", "/admin/schedules/primary", Some("/admin")),
        page("setup-policies", "/admin/policies", Some("/admin")),
        page(
            "setup-policy",
            "/admin/policies/incident-lead",
            Some("/admin"),
        ),
        page("setup-services", "/admin/services", Some("/admin")),
        page("setup-service", "/admin/services/checkout", Some("/admin")),
        page("integrations", "/admin/integrations", Some("/admin")),
        page("routing", "/admin/routing", Some("/admin")),
        page("routing-rule", "/admin/routing/1", Some("/admin")),
        page("silences", "/admin/silences", Some("/admin")),
        page("maintenance", "/admin/maintenance", Some("/admin")),
        page("customers", "/admin/customers", Some("/admin")),
        page(
            "customer",
            format!("/admin/customers/{}", d.customer),
            Some("/admin"),
        ),
        page("components", "/admin/components", Some("/admin")),
        page(
            "component",
            format!("/admin/components/{}", d.component),
            Some("/admin"),
        ),
        page("ack", d.ack_path.clone(), None),
        page("ack-invalid", "/ack/not-a-valid-link", None),
        page("error-not-found", "/incidents/999999", Some("/incidents")),
        page("status", "/status", None),
        page("status-link-invalid", "/status/unsubscribe/1.bad", None),
        page("security", "/security", None),
        page("disclosures", "/disclosures", Some("/disclosures")),
        page(
            "disclosure",
            format!("/disclosures/{}", d.disclosure),
            Some("/disclosures"),
        ),
        page(
            "disclosure-advisory",
            format!("/disclosures/{}/advisory", d.disclosure),
            Some("/disclosures"),
        ),
        page(
            "incident-disclosure",
            format!("/incidents/{}", d.disclosure_incident),
            Some("/incidents"),
        ),
        page("security-advisories", "/security/advisories", None),
        page(
            "security-acknowledgments",
            "/security/acknowledgments",
            None,
        ),
        page(
            "security-status-invalid",
            "/security/status/not-a-link",
            None,
        ),
    ]
}

#[tokio::test]
async fn every_page_passes_axe_at_phone_and_laptop_widths() {
    let axe = axe_source();
    let hook = WebhookReceiver::start();
    let app = spawn_with(
        Db::Sqlite,
        |c| {
            c.escalation.incident_lead_policy = Some("incident-lead".into());
            c.escalation.leadership = vec!["cto".into()];
        },
        Arc::new(SystemClock),
    )
    .await
    .expect("SQLite is always there");
    let seeded = seed(&app, &hook).await;

    let driver = chromedriver();
    let c = browser(&driver).await;
    let mut failures = Vec::new();

    // Signed out: the sign-in page, and again after a wrong password.
    c.goto(&format!("{}/login", app.url)).await.unwrap();
    check(&c, &axe, &page("login", "/login", None), &mut failures).await;
    fill(&c, "input[name=username]", "admin").await;
    fill(&c, "input[name=password]", "not the password at all").await;
    submit(&c, "#login").await;
    check(
        &c,
        &axe,
        &page("login-error", "/login", None),
        &mut failures,
    )
    .await;

    login(&c, &app, "admin", &app.admin_password).await;
    for p in pages(&seeded) {
        c.goto(&format!("{}{}", app.url, p.path)).await.unwrap();
        check(&c, &axe, &p, &mut failures).await;
    }
    c.close().await.unwrap();
    assert!(
        failures.is_empty(),
        "accessibility or layout failures:\n\n{}",
        failures.join("\n\n")
    );
}

/// axe-core's script, from `FIREBREAK_AXE_JS` or [`AXE_DEFAULT`].
fn axe_source() -> String {
    let path = std::env::var("FIREBREAK_AXE_JS").unwrap_or_else(|_| AXE_DEFAULT.to_owned());
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core must be installed at {path} ({e}): `npm install --prefix \
             /opt/firebreak-test-npm axe-core@4`, as .ci/run does, or set FIREBREAK_AXE_JS"
        )
    })
}

/// `target/screenshots/` of the workspace, created.
fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Checks the page the browser is on at each of [`WIDTHS`] and at 1,920
/// px, adding what fails to `failures`, and writes its screenshots.
async fn check(c: &Client, axe: &str, p: &Page, failures: &mut Vec<String>) {
    let shown = c.current_url().await.unwrap();
    for width in WIDTHS {
        resize(c, width, 900).await;
        let at = format!("{} ({}) at {width} px", p.name, shown.path());
        for v in axe_violations(c, axe).await {
            failures.push(format!("{at}: axe: {v}"));
        }
        for v in weak_control_edges(c).await {
            failures.push(format!("{at}: control edge under 3:1: {v}"));
        }
        failures.extend(
            frame_problems(c, p)
                .await
                .into_iter()
                .map(|v| format!("{at}: {v}")),
        );
        let overflow = c
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth",
                vec![],
            )
            .await
            .unwrap();
        if overflow.as_i64().unwrap_or(0) > 0 {
            failures.push(format!("{at}: the page scrolls sideways by {overflow} px"));
        }
        screenshot(c, &format!("a11y-{}-{width}", p.name), width).await;
    }
    // A wide screen: the page's main column uses the width (tables and
    // side-by-side sections get room; text keeps its own measure).
    resize(c, 1920, 900).await;
    let main = c
        .execute(
            "return document.querySelector('main').getBoundingClientRect().width",
            vec![],
        )
        .await
        .unwrap();
    if main.as_f64().unwrap_or(0.0) < 1400.0 {
        failures.push(format!(
            "{} at 1920 px: the main column is only {main} px wide",
            p.name
        ));
    }
}

/// axe's serious and critical violations on the page, one line per rule
/// with the elements it names.
async fn axe_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.unwrap();
    let loaded = c
        .execute("return typeof window.axe === 'object'", vec![])
        .await
        .unwrap();
    assert_eq!(loaded, json!(true), "axe did not load into the page");
    let out = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               // Two frames first: the page's own resize handlers run.
               new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))
                 .then(() => axe.run(document, { resultTypes: ["violations"] }))
                 .then(r => done({ ok: r.violations.map(v => ({
                     id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary) })) }))
                 .catch(e => done({ error: String(e) }));"#,
            vec![],
        )
        .await
        .unwrap();
    if let Some(e) = out.get("error") {
        panic!("axe.run failed: {e}");
    }
    let mut found = Vec::new();
    for v in out["ok"].as_array().unwrap() {
        let impact = v["impact"].as_str().unwrap_or("");
        let line = format!(
            "{} ({impact}): {}\n    {}",
            v["id"].as_str().unwrap_or(""),
            v["help"].as_str().unwrap_or(""),
            v["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap_or("").replace('\n', " "))
                .collect::<Vec<_>>()
                .join("\n    ")
        );
        if matches!(impact, "serious" | "critical") {
            found.push(line);
        } else {
            // Moderate and minor findings are shown, not failed on.
            eprintln!("axe, not failing: {line}");
        }
    }
    found
}

/// Visible form controls whose edge (border, or their own background) has
/// less than 3:1 contrast with the background around them: WCAG 2.2's
/// non-text contrast (1.4.11), which axe does not check. Native checkboxes
/// and radio buttons are Chromium's own drawing and are left out.
async fn weak_control_edges(c: &Client) -> Vec<String> {
    let out = c
        .execute(
            r#"
            const rgba = (s) => { const m = s.match(/[\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
            const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                                         return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
            const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
            const behind = (el) => { for (let e = el.parentElement; e; e = e.parentElement) {
                                       const bg = rgba(getComputedStyle(e).backgroundColor); if (bg[3] > 0) return bg; }
                                     return [255, 255, 255, 1]; };
            const weak = [];
            for (const el of document.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, button")) {
              const box = el.getBoundingClientRect();
              if (box.width === 0 || box.height === 0) continue;
              const s = getComputedStyle(el), around = behind(el);
              let best = 0;
              if (parseFloat(s.borderTopWidth) > 0 && s.borderTopStyle !== "none") {
                const b = rgba(s.borderTopColor); if (b[3] > 0) best = Math.max(best, ratio(b, around)); }
              const own = rgba(s.backgroundColor);
              if (own[3] > 0) best = Math.max(best, ratio(own, around));
              if (best < 3) weak.push(el.outerHTML.slice(0, 120) + " — " + best.toFixed(2) + ":1");
            }
            return weak;"#,
            vec![],
        )
        .await
        .unwrap();
    out.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_owned())
        .collect()
}

/// The frame's promises: a skip link to `#main` first (out of sight until
/// focused), and the current page's navigation link (only it) marked
/// `aria-current="page"`.
async fn frame_problems(c: &Client, p: &Page) -> Vec<String> {
    let mut problems = Vec::new();
    let first = c
        .execute(
            r#"const f = document.body.querySelector("a[href], button, input:not([type=hidden]), select, textarea");
               if (!f) return null;
               // Hidden until focused, then on screen.
               const hidden = f.getBoundingClientRect().bottom <= 0;
               f.focus();
               const r = f.getBoundingClientRect();
               const shown = r.top >= 0 && r.height > 0;
               f.blur();
               return [f.getAttribute("href"), f.textContent.trim(), hidden, shown,
                       document.querySelector("main").id];"#,
            vec![],
        )
        .await
        .unwrap();
    if first != json!(["#main", "Skip to content", true, true, "main"]) {
        problems.push(format!(
            "the first control is not a skip link to #main, hidden until focused \
             ([href, text, hidden, shown when focused, main's id]): {first}"
        ));
    }
    let mut current = Vec::new();
    for a in c
        .find_all(Locator::Css("header nav a[aria-current='page']"))
        .await
        .unwrap()
    {
        current.push(a.attr("href").await.unwrap().unwrap_or_default());
    }
    let want: Vec<String> = p.current.iter().map(|s| (*s).to_owned()).collect();
    if current != want {
        problems.push(format!("aria-current marks {current:?}, expected {want:?}"));
    }
    problems
}

/// A screenshot of the whole page at `width`: the window is made as tall as
/// the page first.
pub(crate) async fn screenshot(c: &Client, name: &str, width: u32) {
    // The window's height includes the browser's own frame.
    let height = c
        .execute(
            "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight",
            vec![],
        )
        .await
        .unwrap();
    let height = height.as_u64().unwrap_or(900).clamp(600, 10_000) as u32;
    resize(c, width, height).await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    resize(c, width, 900).await;
}

/// Sets the window's size and waits until the page has been laid out at
/// it (the viewport is `width` wide, and a frame has been drawn since).
async fn resize(c: &Client, width: u32, height: u32) {
    c.set_window_size(width, height).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = c
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   requestAnimationFrame(() => requestAnimationFrame(() =>
                     done([window.innerWidth, window.outerHeight])));"#,
                vec![],
            )
            .await
            .unwrap();
        if now == json!([width, height]) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the window did not become {width}×{height}: {now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// What [`seed`] made that pages link to.
pub(crate) struct Seeded {
    /// A critical availability incident: paged, unacknowledged, with notes,
    /// a checklist mark and a runbook.
    critical: i64,
    /// A high security incident.
    security: i64,
    /// The acknowledgment link of the critical incident's page.
    ack_path: String,
    /// The result page of a failed test page to newhire's old pager.
    test_page_path: String,
    /// A customer with contacts and components, affected by the critical
    /// incident, and one of its components.
    pub(crate) customer: i64,
    pub(crate) component: i64,
    /// A scored, triaged disclosure with its incident and a draft advisory.
    disclosure: i64,
    disclosure_incident: i64,
}

/// Data an on-call team would have after a morning: users with contact
/// methods, a schedule and the incident-lead policy, a service with a
/// runbook, incidents of every severity (the critical one paged through
/// the hook), and a triage queue with alerts and reports.
pub(crate) async fn seed(app: &TestApp, hook: &WebhookReceiver) -> Seeded {
    let t = app.admin_token.clone();
    for (name, role) in [
        ("lead1", "lead"),
        ("responder1", "responder"),
        ("cto", "leadership"),
    ] {
        app.user(name, role).await;
    }
    for name in ["admin", "lead1", "responder1", "cto"] {
        app.post_expect(
            &t,
            &format!("/api/v1/users/{name}/contact-methods"),
            json!({"label": "pager", "channel": {"kind": "webhook", "url": hook.url}}),
            201,
        )
        .await;
    }
    // A new hire on no schedule, with two contact methods and a test page
    // to the one that answers nothing: it fails when the workers run below
    // (a delivered one would tick the home page's checklist off).
    app.user("newhire", "responder").await;
    let dead = app
        .post_expect(
            &t,
            "/api/v1/users/newhire/contact-methods",
            json!({"label": "old pager", "channel": {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "whsec_a11y"}}),
            201,
        )
        .await;
    app.post_expect(
        &t,
        "/api/v1/users/newhire/contact-methods",
        json!({"label": "team channel", "channel": {"kind": "slack", "webhook_url": "https://hooks.slack.com/services/T0/B0/xyz"}}),
        201,
    )
    .await;
    let test_page = app
        .post_expect(
            &t,
            &format!("/api/v1/users/newhire/contact-methods/{}/test", dead["id"]),
            json!({}),
            202,
        )
        .await;
    let test_page_path = format!("/admin/users/newhire/test-pages/{}", test_page["id"]);
    app.put_expect(
        &t,
        "/api/v1/schedules/primary",
        json!({"name": "primary", "time_zone": "Europe/Berlin",
            "layers": [{"name": "daily", "rotation": {"name": "daily", "participants": ["lead1", "responder1"],
                "shift": {"days": 1}, "handoff": "2020-01-01T09:00:00", "time_zone": "Europe/Berlin"}}]}),
        200,
    )
    .await;
    app.put_expect(
        &t,
        "/api/v1/escalation-policies/incident-lead",
        json!({"levels": [
            {"targets": [{"schedule": "primary"}], "ack_timeout_secs": 600},
            {"targets": [{"user": "admin"}], "ack_timeout_secs": 600}
        ], "repeat": 0}),
        200,
    )
    .await;
    crate::intake::service(app, "checkout").await;
    let res = app
        .http
        .put(format!("{}/api/v1/services/checkout/escalation", app.url))
        .bearer_auth(&t)
        .json(&json!({"runbook": "1. Check the payment provider's status page.\n2. Roll back the last deploy: `deploy rollback checkout`.\n3. Tell support in #support-incidents."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());

    let declare = |body: Value| async move {
        app.post_expect(&app.admin_token, "/api/v1/incidents", body, 201)
            .await["id"]
            .as_i64()
            .unwrap()
    };
    let critical = declare(json!({"title": "Checkout returns 500 for every customer",
        "summary": "Every payment since 09:40 fails with a 500 from the payment gateway.",
        "kind": "availability", "severity": "critical", "facts": {"full_outage": true},
        "owner": "responder1", "service": "checkout"}))
    .await;
    let security = declare(
        json!({"title": "API key of a partner found in a public repository",
        "kind": "security", "severity": "high", "severity_reason": "the key reads order data",
        "owner": "admin"}),
    )
    .await;
    declare(
        json!({"title": "Search is slow in eu-west", "kind": "availability",
        "facts": {"regional_degradation": true}, "severity": "medium",
        "severity_reason": "only search", "owner": "responder1"}),
    )
    .await;
    declare(
        json!({"title": "Typo on the invoice page", "kind": "availability", "severity": "low",
        "severity_reason": "cosmetic", "owner": "responder1"}),
    )
    .await;
    for note in [
        "Gateway answers 500 to every request; their status page is green.",
        "Rolled back the 09:35 deploy; still failing.",
    ] {
        app.post_expect(
            &t,
            &format!("/api/v1/incidents/{critical}/notes"),
            json!({"body": note}),
            201,
        )
        .await;
    }
    app.post_expect(
        &t,
        &format!("/api/v1/incidents/{critical}/transition"),
        json!({"to": "containment"}),
        200,
    )
    .await;

    // The triage queue: two alerts from monitoring, a customer's report and
    // a confidential one.
    let (_, url, _) = crate::intake::integration(
        app,
        json!({"name": "prometheus", "kind": "alertmanager", "service": "checkout", "auto_declare": false}),
    )
    .await;
    let alerts = crate::intake::am_webhook(vec![
        crate::intake::am_alert(
            json!({"alertname": "HighLatency", "severity": "warning", "service": "checkout"}),
            "firing",
        ),
        crate::intake::am_alert(
            json!({"alertname": "DiskFull", "severity": "critical", "instance": "db-2"}),
            "firing",
        ),
    ]);
    let res = app.http.post(&url).json(&alerts).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    for body in [
        json!({"title": "Customer cannot log in since 10:00", "description": "Ticket 4411: SSO loops back to the login page.", "source": "support"}),
        json!({"title": "Researcher reports an IDOR on /api/orders", "description": "Changing the order id shows another customer's order.", "source": "disclosure", "confidential": true}),
    ] {
        app.post_expect(&t, "/api/v1/reports", body, 201).await;
    }

    // The critical incident pages whoever is on call and tells the cto; the
    // page carries the acknowledgment link.
    let notifier = Notifier::new(None, Templates::default()).unwrap();
    let workers = Workers::new(app.state.clone(), notifier, WorkerConfig::default())
        .await
        .unwrap();
    workers.run_once(chrono::Utc::now()).await.unwrap();
    let page = hook
        .all()
        .into_iter()
        .find(|d| {
            d.body["event"] == "page"
                && d.body["ack_url"].is_string()
                && d.body["incident"]["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with(&format!("/incidents/{critical}")))
        })
        .unwrap_or_else(|| panic!("the critical incident paged with a link: {:#?}", hook.all()));
    let ack_url = url::Url::parse(page.body["ack_url"].as_str().unwrap()).unwrap();
    // Alert routing: a rule (id 1), a silence and a maintenance window,
    // made after the alerts above so that these still reach the queue.
    app.post_expect(
        &t,
        "/api/v1/intake/rules",
        json!({"name": "prod-checkout-critical", "matchers": ["env=~\"prod|production\"", "severity=\"critical\""],
            "set_service": "checkout", "set_severity": "critical", "declare": true}),
        201,
    )
    .await;
    let until = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.post_expect(
        &t,
        "/api/v1/intake/silences",
        json!({"matchers": ["alertname=\"DiskFull\"", "instance=~\"db-.*\""], "ends_at": until,
            "reason": "known: disks are being replaced, JIRA-1234"}),
        201,
    )
    .await;
    app.post_expect(
        &t,
        "/api/v1/intake/maintenance",
        json!({"service": "checkout", "ends_at": until, "reason": "payment gateway migration"}),
        201,
    )
    .await;
    let (customer, component) = crate::customers::seed_customers(app, critical).await;
    // A responsible disclosure, scored, triaged, with its security
    // incident declared and an advisory drafted.
    let d = app
        .post_expect(
            &t,
            "/api/v1/disclosures",
            json!({"title": "Stored XSS in the profile page", "description":
                "The display name is rendered unescaped.\n\nA second paragraph.",
                "steps": "Set the display name to <script>alert(1)</script>.",
                "impact": "Session theft of any viewer.", "asset": "app.example.com",
                "researcher_name": "Rae Researcher", "researcher_email": "rae@example.net",
                "credit": true}),
            201,
        )
        .await;
    let disclosure = d["disclosure"]["id"].as_i64().unwrap();
    app.put_expect(
        &t,
        &format!("/api/v1/disclosures/{disclosure}/cvss"),
        json!({"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N"}),
        200,
    )
    .await;
    app.post_expect(
        &t,
        &format!("/api/v1/disclosures/{disclosure}/triage"),
        json!({"outcome": "valid"}),
        200,
    )
    .await;
    let declared = app
        .post_expect(
            &t,
            &format!("/api/v1/disclosures/{disclosure}/incident"),
            json!({}),
            201,
        )
        .await;
    let disclosure_incident = declared["incident_id"].as_i64().unwrap();
    app.post_expect(
        &t,
        &format!("/api/v1/disclosures/{disclosure}/advisory"),
        json!({}),
        201,
    )
    .await;
    Seeded {
        disclosure,
        disclosure_incident,
        critical,
        security,
        ack_path: ack_url.path().to_owned(),
        test_page_path,
        customer,
        component,
    }
}
