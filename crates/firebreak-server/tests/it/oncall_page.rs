//! The on-call page over real HTTP, on a fixed clock: now, next and the
//! coming week of a schedule in its own zone and the viewer's, and whom a
//! page for each service reaches, with the warning when it reaches nobody.
//! Then the same page in headless Chromium at phone and desktop widths.

use chrono::{TimeZone, Utc};
use fantoccini::Locator;
use firebreak_testkit::assert_contains;
use firebreak_testkit::web::{first_cookie, no_redirects, page, post_login};
use serde_json::json;

use crate::harness::{Db, ManualClock, TestApp, spawn_with};
use crate::web::{browser, chromedriver_with, login, submit, text};

/// Monday 2 March 2026, 10:00 UTC: 19:00 in Tokyo (JST, +9), 11:00 in
/// Berlin (CET, +1; summer time starts on 29 March).
fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

/// A server on a fixed clock with:
/// - `tokyo`, a daily rotation of aiko and ben handing off at 09:00 Tokyo
///   time since Sunday 1 March (so ben is on call now, aiko from Tuesday
///   09:00 JST);
/// - `later`, a rotation that starts on Thursday: nobody is on call now;
/// - aiko reachable (a contact method), ben not;
/// - services `payments` (policy: aiko, then the tokyo schedule),
///   `checkout` (policy: the tokyo schedule, i.e. ben), `search` (policy:
///   the later schedule) and `billing` (no policy, none configured).
async fn setup(db: Db) -> Option<TestApp> {
    let app = spawn_with(db, |_| {}, ManualClock::new(t0())).await?;
    let t = app.admin_token.clone();
    app.user("aiko", "responder").await;
    app.user("ben", "responder").await;
    app.reachable("aiko").await;
    let rotation = |schedule: &str, name: &str, handoff: &str| {
        json!({"name": schedule, "time_zone": "Asia/Tokyo", "layers": [{"name": name, "rotation": {"name": name,
            "participants": ["aiko", "ben"], "shift": {"days": 1}, "handoff": handoff,
            "time_zone": "Asia/Tokyo"}}]})
    };
    app.put_expect(
        &t,
        "/api/v1/schedules/tokyo",
        rotation("tokyo", "daily", "2026-03-01T09:00:00"),
        200,
    )
    .await;
    app.put_expect(
        &t,
        "/api/v1/schedules/later",
        rotation("later", "from-thursday", "2026-03-05T09:00:00"),
        200,
    )
    .await;
    for (name, policy) in [
        (
            "pay",
            json!({"levels": [
                {"targets": [{"user": "aiko"}], "ack_timeout_secs": 300},
                {"targets": [{"schedule": "tokyo"}], "ack_timeout_secs": 900}], "repeat": 1}),
        ),
        (
            "tokyo-oncall",
            json!({"levels": [{"targets": [{"schedule": "tokyo"}], "ack_timeout_secs": 600}]}),
        ),
        (
            "later-oncall",
            json!({"levels": [{"targets": [{"schedule": "later"}], "ack_timeout_secs": 600}]}),
        ),
    ] {
        app.put_expect(
            &t,
            &format!("/api/v1/escalation-policies/{name}"),
            policy,
            200,
        )
        .await;
    }
    for (service, policy) in [
        ("payments", Some("pay")),
        ("checkout", Some("tokyo-oncall")),
        ("search", Some("later-oncall")),
        ("billing", None),
    ] {
        app.post_expect(
            &t,
            "/api/v1/services",
            json!({"name": service, "owner_team": "platform"}),
            201,
        )
        .await;
        if let Some(p) = policy {
            let (s, b) = app
                .put(
                    &t,
                    &format!("/api/v1/services/{service}/escalation"),
                    json!({"escalation_policy": p}),
                )
                .await;
            assert_eq!(s, 204, "{b}");
        }
    }
    Some(app)
}

/// The part of `html` from the element with `id` to the end of its
/// `</article>` (or `</table>`).
fn section<'a>(html: &'a str, id: &str, end: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in {html}"));
    let stop = start + html[start..].find(end).expect("the element ends");
    &html[start..stop]
}

async fn oncall_html(app: &TestApp, query: &str) -> (u16, String) {
    let http = no_redirects();
    let res = post_login(app, &http, "admin", &app.admin_password, None).await;
    assert_eq!(res.status(), 303);
    let cookie = first_cookie(&res);
    page(app, &http, &cookie, &format!("/oncall{query}")).await
}

async fn the_page_shows_now_next_and_the_week_in_both_zones(db: Db) {
    let Some(app) = setup(db).await else { return };

    // No zone given: the schedule's zone, and UTC beside it.
    let (status, html) = oncall_html(&app, "").await;
    assert_eq!(status, 200, "{html}");
    let tokyo = section(&html, "schedule-tokyo", "</article>");
    assert_contains(tokyo, "<p class=\"who now\">ben</p>");
    assert_contains(
        tokyo,
        "since <time datetime=\"2026-03-02T00:00:00Z\">Mon 2 Mar 09:00 JST</time><span class=\"viewer-time\">Mon 2 Mar 00:00 UTC</span>",
    );
    assert_contains(
        tokyo,
        "until <time datetime=\"2026-03-03T00:00:00Z\">Tue 3 Mar 09:00 JST</time><span class=\"viewer-time\">Tue 3 Mar 00:00 UTC</span>",
    );
    assert_contains(tokyo, "<p class=\"who next\">aiko</p>");
    assert_contains(
        tokyo,
        "takes over <time datetime=\"2026-03-03T00:00:00Z\">Tue 3 Mar 09:00 JST</time>",
    );

    // The viewer in Berlin: the same instants, on Berlin's clock.
    let (status, html) = oncall_html(&app, "?tz=Europe/Berlin").await;
    assert_eq!(status, 200, "{html}");
    assert_contains(&html, "value=\"Europe/Berlin\"");
    let tokyo = section(&html, "schedule-tokyo", "</article>");
    assert_contains(
        tokyo,
        "since <time datetime=\"2026-03-02T00:00:00Z\">Mon 2 Mar 09:00 JST</time><span class=\"viewer-time\">Mon 2 Mar 01:00 CET</span>",
    );
    assert_contains(
        tokyo,
        "takes over <time datetime=\"2026-03-03T00:00:00Z\">Tue 3 Mar 09:00 JST</time><span class=\"viewer-time\">Tue 3 Mar 01:00 CET</span>",
    );
    // The summary table keeps its cells (`td.now` holds the name alone).
    let summary = section(&html, "oncall", "</table>");
    assert_contains(summary, "<td class=\"now\" data-label=\"Now\">ben</td>");
    assert_contains(summary, "<td class=\"next\" data-label=\"Next\">aiko</td>");

    // The coming week: eight stretches, ben's from its start this morning,
    // alternating, the last one running on past the week.
    let rows: Vec<&str> = tokyo.split("<tr class=\"shift").skip(1).collect();
    assert_eq!(rows.len(), 8, "{tokyo}");
    assert_contains(rows[0], " current\"");
    assert_contains(rows[0], "ben <span class=\"tag\">now</span>");
    assert_contains(rows[0], "Mon 2 Mar 09:00 JST");
    for (i, row) in rows.iter().enumerate() {
        let who = if i % 2 == 0 { "ben" } else { "aiko" };
        assert_contains(*row, format!("<td class=\"user\">{who}"));
    }
    assert_contains(
        rows[1],
        "Tue 3 Mar 09:00 JST</time><span class=\"viewer-time\">Tue 3 Mar 01:00 CET</span>",
    );
    assert_contains(
        rows[1],
        "Wed 4 Mar 09:00 JST</time><span class=\"viewer-time\">Wed 4 Mar 01:00 CET</span>",
    );
    assert_contains(rows[7], "Mon 9 Mar 19:00 JST");
    assert_contains(rows[7], "and on");
    assert!(!rows[6].contains("and on"), "{}", rows[6]);

    // Nobody on the later schedule yet; its first shift is Thursday's.
    let later = section(&html, "schedule-later", "</article>");
    assert_contains(later, "<p class=\"who now nobody\">nobody</p>");
    assert_contains(later, "<p class=\"who next\">aiko</p>");
    assert_contains(
        later,
        "Thu 5 Mar 09:00 JST</time><span class=\"viewer-time\">Thu 5 Mar 01:00 CET</span>",
    );
}

async fn who_to_page_names_the_person_or_warns(db: Db) {
    let Some(app) = setup(db).await else { return };
    let (_, html) = oncall_html(&app, "?tz=Europe/Berlin").await;

    // payments: aiko first, reachable; ben on call on tokyo behind her, who
    // has no contact method: said, loud.
    let payments = section(&html, "service-payments", "</article>");
    assert_contains(payments, "Page now: <strong class=\"pagee\">aiko</strong>");
    assert_contains(payments, "policy <strong>pay</strong>");
    assert_contains(
        payments,
        "Waits 5 min for an acknowledgment, then pages level 2.",
    );
    assert_contains(
        payments,
        "Waits 15 min for an acknowledgment, then starts again from the first level (1 more time).",
    );
    assert_contains(
        payments,
        "<span class=\"name\">ben</span> <span class=\"via\">on call on tokyo until <time datetime=\"2026-03-03T00:00:00Z\">Tue 3 Mar 09:00 JST</time>",
    );
    assert_contains(payments, "role=\"alert\"");
    assert_contains(payments, "Level 2: `ben` has no contact method.");
    assert!(!payments.contains("reaches nobody"), "{payments}");

    // checkout: its first level is ben, whom no page reaches.
    let checkout = section(&html, "service-checkout", "</article>");
    assert_contains(checkout, "role=\"alert\"");
    assert_contains(
        checkout,
        "A page for checkout reaches nobody now: its first level reaches no one.",
    );
    assert_contains(checkout, "Level 1: `ben` has no contact method.");
    assert_contains(
        checkout,
        "Page now: <strong class=\"nobody\">nobody</strong>",
    );
    assert_contains(checkout, "class=\"level reaches-nobody\" data-level=\"1\"");

    // search: nobody is on call on its schedule now.
    let search = section(&html, "service-search", "</article>");
    assert_contains(search, "role=\"alert\"");
    assert_contains(search, "A page for search reaches nobody now");
    assert_contains(search, "nobody is on call on schedule `later` now");

    // billing: no policy, and no incident-lead policy configured.
    let billing = section(&html, "service-billing", "</article>");
    assert_contains(billing, "role=\"alert\"");
    assert_contains(
        billing,
        "A page for billing reaches nobody: the service has no escalation policy and no incident-lead policy is configured.",
    );

    // Incidents with no service: the incident-lead policy, unset.
    let none = section(&html, "service-none", "</article>");
    assert_contains(none, "[escalation] incident_lead_policy is not set");

    // Once ben can be paged, checkout's warning goes.
    app.reachable("ben").await;
    let (_, html) = oncall_html(&app, "").await;
    let checkout = section(&html, "service-checkout", "</article>");
    assert!(!checkout.contains("role=\"alert\""), "{checkout}");
    assert_contains(checkout, "Page now: <strong class=\"pagee\">ben</strong>");
}

#[tokio::test]
async fn oncall_page_shows_now_next_and_the_week_in_both_zones_sqlite() {
    the_page_shows_now_next_and_the_week_in_both_zones(Db::Sqlite).await;
}

#[tokio::test]
async fn oncall_page_shows_now_next_and_the_week_in_both_zones_postgres() {
    the_page_shows_now_next_and_the_week_in_both_zones(Db::Postgres).await;
}

#[tokio::test]
async fn oncall_page_says_who_to_page_per_service_or_warns_sqlite() {
    who_to_page_names_the_person_or_warns(Db::Sqlite).await;
}

#[tokio::test]
async fn oncall_page_says_who_to_page_per_service_or_warns_postgres() {
    who_to_page_names_the_person_or_warns(Db::Postgres).await;
}

#[tokio::test]
async fn an_unknown_viewer_zone_is_a_clear_error_not_a_500() {
    let app = setup(Db::Sqlite).await.unwrap();
    let (status, html) = oncall_html(&app, "?tz=Mars%2FOlympus").await;
    assert_eq!(status, 400, "{html}");
    assert_contains(
        &html,
        "<p class=\"error\" role=\"alert\">Unknown time zone `Mars/Olympus`",
    );
    // The page still answers, in UTC.
    assert_contains(
        &html,
        "<span class=\"viewer-time\">Mon 2 Mar 00:00 UTC</span>",
    );
    let (status, _) = oncall_html(&app, "?tz=%3Cscript%3E").await;
    assert_eq!(status, 400);
}

/// In Chromium: the browser's zone (Asia/Tokyo here) is added on first
/// load by the page's script; the form changes it; screenshots at 375 and
/// 1,440 px.
#[tokio::test]
async fn the_oncall_page_in_a_browser_takes_the_browsers_zone() {
    let app = setup(Db::Sqlite).await.unwrap();
    let driver = chromedriver_with(&[("TZ", "America/New_York")]);
    let c = browser(&driver).await;
    login(&c, &app, "admin", &app.admin_password).await;
    c.goto(&format!("{}/oncall", app.url)).await.unwrap();
    // The script asked again with the browser's zone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("tz=America%2FNew_York")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the zone was not added"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let until = text(&c, "#schedule-tokyo .until").await;
    assert_contains(&until, "Tue 3 Mar 09:00 JST");
    assert_contains(&until, "Mon 2 Mar 19:00 EST");
    assert_eq!(
        text(&c, "#oncall tr[data-schedule='tokyo'] td.now").await,
        "ben"
    );

    // The form sets another zone.
    let input = c.find(Locator::Css("#tz")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("Europe/Berlin").await.unwrap();
    submit(&c, "#tz-submit").await;
    let until = text(&c, "#schedule-tokyo .until").await;
    assert_contains(&until, "Tue 3 Mar 01:00 CET");
    assert_contains(
        &text(&c, "#service-checkout .oncall-warning").await,
        "reaches nobody now",
    );

    // The warning is red.
    let color = c
        .execute(
            "return getComputedStyle(document.querySelector('#service-checkout .oncall-warning')).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(color.as_str().unwrap(), "rgb(179, 38, 30)");

    // Screenshots for a reviewer, in target/screenshots (or
    // FIREBREAK_SCREENSHOTS).
    let dir = std::env::var("FIREBREAK_SCREENSHOTS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots").to_owned()
    });
    std::fs::create_dir_all(&dir).unwrap();
    for (w, h) in [(375, 1600), (1440, 1400)] {
        c.set_window_size(w, h).await.unwrap();
        // The whole page, for a reviewer.
        let full = c
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        c.set_window_size(w, u32::try_from(full).unwrap().max(h))
            .await
            .unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/oncall-{w}.png"), png).unwrap();
        // Nothing wider than the window at either width.
        let wide = c
            .execute(
                "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(wide, json!(false), "the page scrolls sideways at {w} px");
    }
    c.close().await.unwrap();
}
