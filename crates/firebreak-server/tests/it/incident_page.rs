//! The incident page at a glance (issue 10, item 3) and the
//! acknowledgment link's page (item 7), over real HTTP with the manual
//! clock: what the header says about acknowledgment, who is paged, the
//! next escalation and what blocks the next phase; the timeline's order
//! and filters; Markdown runbooks made safe; closed incidents offer no
//! escalation.

use chrono::Duration;
use serde_json::json;

use firebreak_testkit::assert_contains;
use firebreak_testkit::web::{csrf_in, first_cookie, no_redirects, page, post_form, post_login};

use crate::escalation::{Now, setup};
use crate::harness::TestApp;

/// A signed-in web session: the client and its cookie.
async fn session(app: &TestApp) -> (reqwest::Client, String) {
    let http = no_redirects();
    let res = post_login(app, &http, "admin", &app.admin_password, None).await;
    assert_eq!(res.status(), 303);
    let cookie = first_cookie(&res);
    (http, cookie)
}

async fn html(app: &TestApp, http: &reqwest::Client, cookie: &str, path: &str) -> String {
    let (status, html) = page(app, http, cookie, path).await;
    assert_eq!(status, 200, "{path}: {html}");
    html
}

/// The text of the element with `id` (up to its closing `end` tag), tags
/// removed and white space folded.
fn text_by_id(html: &str, id: &str, end: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let from = start + html[start..].find('>').unwrap() + 1;
    let to = from + html[from..].find(end).unwrap_or(html.len() - from);
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html[from..to].chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_header_says_ack_state_who_is_paged_the_next_escalation_and_what_blocks() {
    let s = setup(0).await;
    let t0 = s.clock.now_();
    let id = s
        .declare(
            json!({"title": "Checkout down", "kind": "availability", "severity": "critical",
                        "facts": {"full_outage": true}, "owner": "admin"}),
        )
        .await;
    s.step().await;
    s.clock.set(t0 + Duration::seconds(60));
    let (http, cookie) = session(&s.app).await;
    let path = format!("/incidents/{id}");
    let page = html(&s.app, &http, &cookie, &path).await;

    assert_eq!(text_by_id(&page, "ack-state", "</dd>"), "not yet");
    assert_eq!(text_by_id(&page, "paging-now", "</dd>"), "lead1");
    let next = text_by_id(&page, "next-escalation", "</dd>");
    assert!(
        next.starts_with("in 4 min (at 10:05 UTC): level 2 of incident-lead: backup1"),
        "{next}"
    );
    assert_contains(text_by_id(&page, "age", "</span>"), "1 min");
    assert_eq!(text_by_id(&page, "owner", "</dd>"), "admin");
    // In triage with severity and owner set, nothing blocks: one button.
    assert_contains(
        text_by_id(&page, "next-phase", "</div>"),
        "Nothing blocks the move to Containment",
    );
    assert!(page.contains("id=\"advance-submit\""));
    // The header comes before the details and the timeline.
    let glance = page.find("id=\"glance\"").unwrap();
    assert!(glance < page.find("id=\"escalations\"").unwrap());
    assert!(glance < page.find("id=\"timeline\"").unwrap());

    // The one button moves it; then the open gate items are named.
    let csrf = csrf_in(&page);
    let res = post_form(
        &s.app,
        &http,
        &cookie,
        &format!("/incidents/{id}/transition"),
        &[("csrf", &csrf), ("to", "containment")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = html(&s.app, &http, &cookie, &path).await;
    assert_eq!(
        text_by_id(&page, "next-phase", "</div>"),
        "To move to Remediation: Impact contained and Evidence preserved are still open."
    );
    assert!(!page.contains("id=\"advance-submit\""));
    // Only the current phase's items are actionable.
    assert!(page.contains("id=\"done-impact_contained\""));
    assert!(!page.contains("id=\"done-fix_deployed\""));

    // Acknowledged: by whom and when; nobody is paged and nothing pending.
    s.clock.set(t0 + Duration::seconds(120));
    let res = post_form(
        &s.app,
        &http,
        &cookie,
        &format!("/incidents/{id}/acknowledge"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = html(&s.app, &http, &cookie, &path).await;
    assert_eq!(
        text_by_id(&page, "ack-state", "</dd>"),
        "yes, by admin at 10:02 UTC"
    );
    assert_eq!(text_by_id(&page, "paging-now", "</dd>"), "nobody");
    assert_eq!(
        text_by_id(&page, "next-escalation", "</dd>"),
        "none pending"
    );
}

#[tokio::test]
async fn the_timeline_is_newest_first_and_filters_by_kind() {
    let s = setup(0).await;
    let t0 = s.clock.now_();
    let id = s
        .declare(
            json!({"title": "Slow search", "kind": "availability", "severity": "medium",
                        "facts": {"isolated_finding": true}, "owner": "admin"}),
        )
        .await;
    let t = s.app.admin_token.clone();
    s.clock.set(t0 + Duration::seconds(30));
    s.app
        .post_expect(
            &t,
            &format!("/api/v1/incidents/{id}/notes"),
            json!({"body": "first-note-marker"}),
            201,
        )
        .await;
    s.clock.set(t0 + Duration::seconds(60));
    s.app
        .post_expect(
            &t,
            &format!("/api/v1/incidents/{id}/notes"),
            json!({"body": "second-note-marker"}),
            201,
        )
        .await;
    let (http, cookie) = session(&s.app).await;
    let all = html(&s.app, &http, &cookie, &format!("/incidents/{id}")).await;
    let timeline = text_by_id(&all, "timeline", "</ol>");
    let (first, second) = (
        timeline.find("first-note-marker").unwrap(),
        timeline.find("second-note-marker").unwrap(),
    );
    assert!(second < first, "newest first: {timeline}");
    assert_contains(&timeline, "Declared");

    let oldest = html(
        &s.app,
        &http,
        &cookie,
        &format!("/incidents/{id}?order=oldest"),
    )
    .await;
    let timeline = text_by_id(&oldest, "timeline", "</ol>");
    assert!(
        timeline.find("first-note-marker").unwrap() < timeline.find("second-note-marker").unwrap()
    );

    let notes = html(
        &s.app,
        &http,
        &cookie,
        &format!("/incidents/{id}?show=notes"),
    )
    .await;
    let timeline = text_by_id(&notes, "timeline", "</ol>");
    assert_contains(&timeline, "first-note-marker");
    assert!(!timeline.contains("Declared"), "{timeline}");
    let changes = html(
        &s.app,
        &http,
        &cookie,
        &format!("/incidents/{id}?show=changes"),
    )
    .await;
    let timeline = text_by_id(&changes, "timeline", "</ol>");
    assert!(!timeline.contains("note-marker"), "{timeline}");
    assert_contains(&timeline, "Declared");
    // A filter nobody knows is the whole timeline, not an error.
    let odd = html(
        &s.app,
        &http,
        &cookie,
        &format!("/incidents/{id}?show=bogus"),
    )
    .await;
    assert_contains(text_by_id(&odd, "timeline", "</ol>"), "first-note-marker");
}

#[tokio::test]
async fn runbooks_render_as_sanitised_markdown() {
    let s = setup(0).await;
    let t = s.app.admin_token.clone();
    let runbook = "## Restart\n\n1. `systemctl restart api`\n2. <script>alert('runbook-xss')</script>\n\n[bad](javascript:alert(1))";
    s.app
        .post_expect(
            &t,
            "/api/v1/services",
            json!({"name": "api", "owner_team": "platform"}),
            201,
        )
        .await;
    let (st, b) = s
        .app
        .put(
            &t,
            "/api/v1/services/api/escalation",
            json!({"escalation_policy": "incident-lead", "runbook": runbook}),
        )
        .await;
    assert_eq!(st, 204, "{b}");
    let id = s
        .declare(
            json!({"title": "API errors", "kind": "availability", "severity": "medium",
                        "facts": {"isolated_finding": true}, "owner": "admin", "service": "api"}),
        )
        .await;
    let (http, cookie) = session(&s.app).await;
    let page = html(&s.app, &http, &cookie, &format!("/incidents/{id}")).await;
    let at = page.find("id=\"runbook\"").expect("the runbook");
    let section = &page[at..at + page[at..].find("</section>").unwrap()];
    assert_contains(section, "<h2>Restart</h2>");
    assert_contains(section, "<code>systemctl restart api</code>");
    assert!(!section.contains("<script"), "{section}");
    assert!(!section.contains("javascript:"), "{section}");
}

#[tokio::test]
async fn the_ack_link_page_names_the_page_and_says_when_it_is_used() {
    let s = setup(0).await;
    let id = s
        .declare(json!({"title": "Queue backlog-title-marker", "kind": "availability", "severity": "high",
                        "facts": {"major_feature_unavailable": true}, "owner": "admin"}))
        .await;
    s.step().await;
    let page = s
        .hook
        .all()
        .into_iter()
        .find(|r| r.body["recipient"] == "lead1")
        .unwrap();
    let ack_url = page.body["ack_url"].as_str().unwrap().to_owned();
    let before = s.app.http.get(&ack_url).send().await.unwrap();
    assert_eq!(before.status(), 200);
    let before = before.text().await.unwrap();
    assert_eq!(
        text_by_id(&before, "ack-incident", "</dd>"),
        format!("INC-{id}: Queue backlog-title-marker")
    );
    assert_contains(text_by_id(&before, "ack-severity", "</dd>"), "high");
    assert_eq!(text_by_id(&before, "ack-for", "</dd>"), "lead1");
    assert!(before.contains("id=\"ack-submit\""));

    assert_eq!(
        s.app.http.post(&ack_url).send().await.unwrap().status(),
        200
    );
    // Used: said before any button, and no button.
    let after = s.app.http.get(&ack_url).send().await.unwrap();
    assert_eq!(after.status(), 200);
    let after = after.text().await.unwrap();
    assert_eq!(
        text_by_id(&after, "ack-heading", "</h1>"),
        "Already acknowledged"
    );
    assert_contains(text_by_id(&after, "ack-text", "</p>"), "by lead1");
    assert!(!after.contains("id=\"ack-submit\""), "{after}");
}

#[tokio::test]
async fn the_ack_link_page_of_a_security_incident_hides_its_title() {
    let s = setup(0).await;
    s.declare(
        json!({"title": "secret-title-marker", "kind": "security", "severity": "critical",
                     "facts": {"customer_data_accessed": true}, "owner": "admin"}),
    )
    .await;
    s.step().await;
    let page = s
        .hook
        .all()
        .into_iter()
        .find(|r| r.body["recipient"] == "lead1" && r.body["ack_url"].is_string())
        .unwrap();
    let ack_url = page.body["ack_url"].as_str().unwrap().to_owned();
    let html = s
        .app
        .http
        .get(&ack_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("secret-title-marker"), "{html}");
    assert_contains(text_by_id(&html, "ack-incident", "</dd>"), "confidential");
}

/// The titles of a list answer, in order.
fn titles(list: &[serde_json::Value]) -> Vec<&str> {
    list.iter().map(|i| i["title"].as_str().unwrap()).collect()
}

async fn declare_plain(app: &TestApp, title: &str, kind: &str, severity: &str) -> i64 {
    let facts = if kind == "security" {
        json!({"isolated_finding": true})
    } else {
        json!({"single_tenant": true})
    };
    let b = app
        .post_expect(
            &app.admin_token,
            "/api/v1/incidents",
            json!({"title": title, "kind": kind, "severity": severity, "facts": facts}),
            201,
        )
        .await;
    b["id"].as_i64().unwrap()
}

async fn lists_filter_search_and_page(app: &TestApp) {
    let t = app.admin_token.clone();
    let a = declare_plain(app, "Database failover", "availability", "medium").await;
    declare_plain(app, "Checkout 100% errors", "availability", "medium").await;
    let c = declare_plain(app, "Login slow", "availability", "medium").await;
    let d = declare_plain(app, "Search lag", "availability", "medium").await;
    declare_plain(app, "hidden-search-marker leak", "security", "medium").await;
    app.post_expect(
        &t,
        &format!("/api/v1/incidents/{c}/notes"),
        json!({"body": "the DB_pool is exhausted"}),
        201,
    )
    .await;
    app.post_expect(
        &t,
        &format!("/api/v1/incidents/{d}/notes"),
        json!({"body": "dbxpool is fine"}),
        201,
    )
    .await;

    // Search: titles and notes, any case; `%` and `_` are literal.
    let find = async |q: &str| {
        let l = app
            .get_list(&t, &format!("/api/v1/incidents?q={}", urlencode(q)))
            .await;
        titles(&l)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(find("DATABASE").await, vec!["Database failover"]);
    assert_eq!(find("db_pool").await, vec!["Login slow"]);
    assert_eq!(find("100%").await, vec!["Checkout 100% errors"]);

    // Mine: what the caller owns or leads.
    app.reachable("admin").await;
    app.patch_expect(
        &t,
        &format!("/api/v1/incidents/{a}"),
        json!({"owner": "admin"}),
        200,
    )
    .await;
    let mine = app.get_list(&t, "/api/v1/incidents?mine=true").await;
    assert_eq!(titles(&mine), vec!["Database failover"]);
    let owned = app.get_list(&t, "/api/v1/incidents?owner=admin").await;
    assert_eq!(titles(&owned), vec!["Database failover"]);

    // Pages: newest first, `limit` at a time.
    let first = app.get_list(&t, "/api/v1/incidents?limit=2").await;
    let next = app.get_list(&t, "/api/v1/incidents?limit=2&offset=2").await;
    assert_eq!(
        titles(&first),
        vec!["hidden-search-marker leak", "Search lag"]
    );
    assert_eq!(titles(&next), vec!["Login slow", "Checkout 100% errors"]);

    // Out of bounds: refused, naming the field.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
    ] {
        let (s, b) = app.get(&t, &format!("/api/v1/incidents?{query}")).await;
        assert_eq!(s, 400, "{query}: {b}");
        assert_eq!(b["field"], field, "{b}");
    }
    let long = "x".repeat(201);
    let (s, b) = app.get(&t, &format!("/api/v1/incidents?q={long}")).await;
    assert_eq!((s, b["field"].as_str()), (400, Some("q")), "{b}");

    // A security incident is found only by those who may see it.
    let viewer = app.user("viewer1", "viewer").await;
    let seen = app
        .get_list(&viewer, "/api/v1/incidents?q=hidden-search-marker")
        .await;
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(find("hidden-search-marker").await.len(), 1);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

crate::harness::on_both_databases!(
    incident_lists_filter_search_and_page_on_sqlite,
    incident_lists_filter_search_and_page_on_postgres,
    |app| lists_filter_search_and_page(&app).await
);

#[tokio::test]
async fn the_web_list_shows_open_incidents_by_default_with_filters_in_the_url() {
    let app = crate::harness::spawn().await;
    let t = app.admin_token.clone();
    let open = declare_plain(&app, "open-one-marker", "availability", "medium").await;
    let closed = declare_plain(&app, "closed-one-marker", "availability", "medium").await;
    // Close the second through the API: every gate marked on the way.
    app.reachable("admin").await;
    app.patch_expect(
        &t,
        &format!("/api/v1/incidents/{closed}"),
        json!({"owner": "admin"}),
        200,
    )
    .await;
    for (to, items) in [
        ("containment", vec![]),
        (
            "remediation",
            vec!["impact_contained", "evidence_preserved"],
        ),
        ("recovery", vec!["fix_deployed", "deployment_verified"]),
        (
            "post_incident",
            vec![
                "service_restored",
                "data_integrity_confirmed",
                "access_confirmed",
            ],
        ),
        ("closed", vec!["postmortem_done", "follow_ups_tracked"]),
    ] {
        for item in items {
            app.post_expect(
                &t,
                &format!("/api/v1/incidents/{closed}/checklist/{item}"),
                json!({"status": "done"}),
                200,
            )
            .await;
        }
        let (s, b) = app
            .post(
                &t,
                &format!("/api/v1/incidents/{closed}/transition"),
                json!({"to": to}),
            )
            .await;
        assert_eq!(s, 200, "{to}: {b}");
    }
    let (http, cookie) = session(&app).await;
    let list = html(&app, &http, &cookie, "/incidents").await;
    assert_contains(&list, "open-one-marker");
    assert!(!list.contains("closed-one-marker"), "open by default");
    assert_contains(text_by_id(&list, "active-filter", "</p>"), "open");
    let all = html(&app, &http, &cookie, "/incidents?state=all").await;
    assert_contains(&all, "closed-one-marker");
    let found = html(&app, &http, &cookie, "/incidents?state=all&q=closed-one").await;
    assert_contains(&found, "closed-one-marker");
    assert!(!found.contains("open-one-marker"));
    assert_contains(text_by_id(&found, "active-filter", "</p>"), "closed-one");
    // Columns for lead, acknowledgment and age.
    for col in ["<th>Lead</th>", "<th>Ack</th>", "<th>Age</th>"] {
        assert_contains(&list, col);
    }
    assert!(list.contains(&format!("href=\"/incidents/{open}\"")));
}

/// Reads from an event stream until one whole `change` event came; its data.
async fn next_change(res: &mut reqwest::Response, buf: &mut String) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.contains("event: change") {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap_or_default();
                return data.to_owned();
            }
            continue;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no change event: {buf}"
        );
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), res.chunk())
            .await
            .expect("the stream went quiet")
            .unwrap()
            .expect("the stream ended");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn the_event_stream_says_when_something_changed_and_only_to_the_signed_in() {
    let app = crate::harness::spawn().await;
    let id = declare_plain(&app, "live-one", "availability", "medium").await;
    let (http, cookie) = session(&app).await;
    let mut res = http
        .get(format!("{}/events", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    let first = next_change(&mut res, &mut buf).await;
    assert!(!first.is_empty());
    app.post_expect(
        &app.admin_token,
        &format!("/api/v1/incidents/{id}/notes"),
        json!({"body": "a change"}),
        201,
    )
    .await;
    let second = next_change(&mut res, &mut buf).await;
    assert_ne!(first, second, "the marker moved");
    // The stream carries the marker only: no titles or notes.
    assert!(!buf.contains("live-one") && !second.contains("change"));

    // Not signed in: sent to sign in, no stream.
    let anon = no_redirects()
        .get(format!("{}/events", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 303);
}

#[tokio::test]
async fn the_incident_page_updates_itself_in_a_browser() {
    let app = crate::harness::spawn().await;
    let id = declare_plain(&app, "live-browser", "availability", "medium").await;
    let driver = crate::web::chromedriver();
    let c = crate::web::browser(&driver).await;
    crate::web::login(&c, &app, "admin", &app.admin_password).await;
    c.goto(&format!("{}/incidents/{id}", app.url))
        .await
        .unwrap();
    // A mark on this document: a reload would lose it.
    c.execute("window.__sameDocument = true;", vec![])
        .await
        .unwrap();
    // Let the page connect to the event stream and take its first marker.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.post_expect(
        &app.admin_token,
        &format!("/api/v1/incidents/{id}/notes"),
        json!({"body": "note-from-elsewhere-marker"}),
        201,
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        // Read in one step: the element is replaced when the page updates.
        let tl = c
            .execute(
                "const t = document.getElementById('timeline'); return t ? t.textContent : '';",
                vec![],
            )
            .await
            .unwrap();
        let tl = tl.as_str().unwrap_or_default().to_owned();
        if tl.contains("note-from-elsewhere-marker") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page did not update: {tl}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let same = c
        .execute("return window.__sameDocument === true;", vec![])
        .await
        .unwrap();
    assert_eq!(same, serde_json::Value::Bool(true), "updated in place");
    c.close().await.unwrap();
}

/// Open live pages do not hold a server's shutdown: their streams end as
/// soon as it begins, not when they would have (25 s later).
#[tokio::test]
async fn open_event_streams_end_when_the_server_shuts_down() {
    let app = crate::harness::spawn().await;
    let (http, cookie) = session(&app).await;
    // A second server on the same state, whose shutdown this test controls.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(firebreak_server::serve(
        listener,
        app.state.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    let mut res = http
        .get(format!("{url}/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut buf = String::new();
    next_change(&mut res, &mut buf).await;
    let asked = std::time::Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("the server stopped while a live page was open")
        .unwrap()
        .unwrap();
    assert!(asked.elapsed() < std::time::Duration::from_secs(5));
}
