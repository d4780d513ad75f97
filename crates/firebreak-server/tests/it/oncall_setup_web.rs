//! The on-call set-up pages (schedules, escalation policies, services) over
//! real HTTP on a fixed clock: what a form saves is what the API's PUT
//! would have stored, a preview saves nothing, a refused form is shown
//! again naming the field and stores nothing, forms need the session's
//! token, and a role that may not manage services gets 403 everywhere.
//! Then the three forms in a row in headless Chromium.

use chrono::{TimeZone, Utc};
use fantoccini::Locator;
use firebreak_testkit::web::post_form;
use firebreak_testkit::{assert_contains, assert_lacks};
use serde_json::{Value, json};

use crate::harness::{Db, ManualClock, TestApp, spawn_with};
use crate::web::{browser, chromedriver, fill, login, submit, text};

/// Monday 2 March 2026, 10:00 UTC: 19:00 in Tokyo (JST, +9).
fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

/// A server on a fixed clock with responders aiko and ben.
async fn setup(db: Db) -> Option<TestApp> {
    let app = spawn_with(db, |_| {}, ManualClock::new(t0())).await?;
    app.user("aiko", "responder").await;
    app.user("ben", "responder").await;
    Some(app)
}

use firebreak_testkit::web::WebSession as Session;

async fn session(app: &TestApp, user: &str, password: &str) -> Session {
    Session::sign_in(app, user, password).await
}

async fn admin(app: &TestApp) -> Session {
    Session::admin(app).await
}

/// The tokyo schedule's form: a daily rotation of aiko and ben handing off
/// at 09:00 Tokyo time since Sunday 1 March, and ben standing in on
/// Tuesday 3 March from 09:00 to 21:00.
fn tokyo_form<'a>(zone: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "tokyo"),
        ("zone", zone),
        ("layer-0-name", "daily"),
        ("layer-0-start", "2026-03-01 09:00"),
        ("layer-0-length", "1"),
        ("layer-0-unit", "days"),
        ("layer-0-members", "aiko,\nben"),
        ("override-0-user", "ben"),
        ("override-0-from", "2026-03-03 09:00"),
        ("override-0-until", "2026-03-03 21:00"),
        ("override-1-user", ""),
        ("override-1-from", ""),
        ("override-1-until", ""),
        ("action", action),
    ]
}

/// What a PUT of the same schedule through the API stores.
fn tokyo_json(name: &str) -> Value {
    json!({"name": name, "time_zone": "Asia/Tokyo",
        "layers": [{"name": "daily", "rotation": {"name": "daily", "participants": ["aiko", "ben"],
            "shift": {"days": 1}, "handoff": "2026-03-01T09:00:00", "time_zone": "Asia/Tokyo"}}],
        "overrides": [{"user": "ben", "start": "2026-03-03T00:00:00Z", "end": "2026-03-03T12:00:00Z"}]})
}

#[tokio::test]
async fn a_schedule_made_by_form_is_what_a_put_would_store() {
    let app = setup(Db::Sqlite).await.unwrap();
    let s = admin(&app).await;
    let (status, to, _) = s
        .post(&app, "/admin/schedules", &tokyo_form("Asia/Tokyo", "save"))
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/schedules/tokyo"));
    let t = app.admin_token.clone();
    let by_form = app.get_expect(&t, "/api/v1/schedules/tokyo", 200).await;
    app.put_expect(
        &t,
        "/api/v1/schedules/tokyo-api",
        tokyo_json("tokyo-api"),
        200,
    )
    .await;
    let by_api = app.get_expect(&t, "/api/v1/schedules/tokyo-api", 200).await;
    let mut expected = by_api["definition"].clone();
    expected["name"] = json!("tokyo");
    assert_eq!(by_form["definition"], expected);

    // Its page shows it as it was entered, and the list links it.
    let (status, html) = s.get(&app, "/admin/schedules/tokyo").await;
    assert_eq!(status, 200);
    assert_contains(&html, r#"value="2026-03-01 09:00""#);
    assert_contains(&html, r#"value="2026-03-03 21:00""#);
    assert_contains(&html, "aiko, ben</textarea>");
    let (_, list) = s.get(&app, "/admin/schedules").await;
    assert_contains(&list, r#"id="schedule-link-tokyo""#);

    // Adding again under a taken name is refused, the stored one unchanged.
    let (status, _, html) = s
        .post(
            &app,
            "/admin/schedules",
            &tokyo_form("Europe/Berlin", "save"),
        )
        .await;
    assert_eq!(status, 409);
    assert_contains(&html, "a schedule named `tokyo` exists");
    let again = app.get_expect(&t, "/api/v1/schedules/tokyo", 200).await;
    assert_eq!(again["definition"]["time_zone"], "Asia/Tokyo");

    // Its own page saves a change: a second layer added, then saved.
    let mut form = tokyo_form("Asia/Tokyo", "add-layer");
    let (status, _, html) = s.post(&app, "/admin/schedules/tokyo", &form).await;
    assert_eq!(status, 200);
    assert_contains(&html, r#"id="layer-1-members""#);
    form.retain(|(k, _)| *k != "action");
    form.extend([
        ("layer-1-name", "weekend"),
        ("layer-1-start", "2026-03-07 09:00"),
        ("layer-1-length", "2"),
        ("layer-1-unit", "days"),
        ("layer-1-members", "ben"),
        ("action", "save"),
    ]);
    let (status, to, _) = s.post(&app, "/admin/schedules/tokyo", &form).await;
    assert_eq!((status, to.as_str()), (303, "/admin/schedules/tokyo"));
    let saved = app.get_expect(&t, "/api/v1/schedules/tokyo", 200).await;
    assert_eq!(
        saved["definition"]["layers"][1]["rotation"]["shift"],
        json!({"days": 2})
    );
}

#[tokio::test]
async fn a_preview_shows_fourteen_days_in_the_zone_and_saves_nothing() {
    let app = setup(Db::Sqlite).await.unwrap();
    let s = admin(&app).await;
    let (status, _, html) = s
        .post(
            &app,
            "/admin/schedules",
            &tokyo_form("Asia/Tokyo", "preview"),
        )
        .await;
    assert_eq!(status, 200);
    let table = html
        .split(r#"id="schedule-preview-table""#)
        .nth(1)
        .expect("the preview table")
        .split("</table>")
        .next()
        .unwrap();
    // Daily turns from Monday 2 March 09:00 JST (under way) to the one of
    // Monday 16 March: 15 stretches, the override splitting Tuesday's into
    // ben's 09:00-21:00 and aiko's rest, which makes 16.
    assert_eq!(table.matches("<tr>").count() - 1, 16, "{table}");
    assert_contains(table, "Mon 2 Mar 09:00 JST");
    assert_contains(table, "Tue 3 Mar 21:00 JST");
    assert_contains(table, "Mon 16 Mar 09:00 JST");
    assert_contains(table, "Tue 17 Mar 09:00 JST");
    assert_contains(table, "override");
    // The form keeps what was entered.
    assert_contains(&html, r#"value="Asia/Tokyo""#);
    // Nothing was stored.
    app.get_expect(&app.admin_token, "/api/v1/schedules/tokyo", 404)
        .await;
}

#[tokio::test]
async fn a_refused_schedule_is_shown_again_naming_the_field_and_stores_nothing() {
    let app = setup(Db::Sqlite).await.unwrap();
    let s = admin(&app).await;
    for action in ["save", "preview"] {
        let (status, _, html) = s
            .post(
                &app,
                "/admin/schedules",
                &tokyo_form("Mars/Olympus", action),
            )
            .await;
        assert_eq!(status, 400, "{html}");
        assert_contains(&html, "Time zone (`time_zone`)");
        assert_contains(&html, r#"value="Mars/Olympus""#);
        assert_contains(&html, "aiko,\nben</textarea>");
        assert_lacks(&html, "schedule-preview-table");
    }
    // A member who does not exist: the API's check, naming the layer.
    let mut form = tokyo_form("Asia/Tokyo", "save");
    form[6] = ("layer-0-members", "aiko, nobody");
    let (status, _, html) = s.post(&app, "/admin/schedules", &form).await;
    assert_eq!(status, 422);
    assert_contains(
        &html,
        "Layer 1 members (`layers[0].rotation.participants[1]`)",
    );
    // A rotation start the form cannot read.
    form[6] = ("layer-0-members", "aiko");
    form[3] = ("layer-0-start", "next monday");
    let (status, _, html) = s.post(&app, "/admin/schedules", &form).await;
    assert_eq!(status, 400);
    assert_contains(&html, "Layer 1 rotation start");
    app.get_expect(&app.admin_token, "/api/v1/schedules/tokyo", 404)
        .await;
}

#[tokio::test]
async fn a_policy_made_by_form_and_a_target_that_names_nothing() {
    let app = setup(Db::Sqlite).await.unwrap();
    let t = app.admin_token.clone();
    app.put_expect(&t, "/api/v1/schedules/tokyo", tokyo_json("tokyo"), 200)
        .await;
    let s = admin(&app).await;
    let (status, _, html) = s
        .post(
            &app,
            "/admin/policies",
            &[
                ("name", "pay"),
                ("level-0-targets", "aiko"),
                ("level-0-timeout", "5"),
                ("action", "add-level"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_contains(&html, r#"id="level-1-targets""#);
    let (status, to, _) = s
        .post(
            &app,
            "/admin/policies",
            &[
                ("name", "pay"),
                ("level-0-targets", "aiko, schedule:tokyo"),
                ("level-0-timeout", "5"),
                ("level-1-targets", "ben"),
                ("level-1-timeout", "15"),
                ("level-2-targets", ""),
                ("level-2-timeout", "15"),
                ("repeat", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/policies/pay"));
    let list = app.get_list(&t, "/api/v1/escalation-policies").await;
    assert_eq!(
        list[0]["definition"],
        json!({"levels": [
            {"targets": [{"user": "aiko"}, {"schedule": "tokyo"}], "ack_timeout_secs": 300},
            {"targets": [{"user": "ben"}], "ack_timeout_secs": 900}], "repeat": 1})
    );
    let (_, html) = s.get(&app, "/admin/policies/pay").await;
    assert_contains(&html, "aiko, schedule:tokyo</textarea>");
    let (_, html) = s.get(&app, "/admin/policies").await;
    assert_contains(&html, r#"id="policy-link-pay""#);

    // A schedule that does not exist: refused as the API refuses it.
    let (status, _, html) = s
        .post(
            &app,
            "/admin/policies",
            &[
                ("name", "bad"),
                ("level-0-targets", "aiko\nschedule:nope"),
                ("level-0-timeout", "5"),
                ("repeat", "0"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_contains(
        &html,
        "Level 1 targets (`levels[0].targets[1]`): schedule `nope` does not exist",
    );
    assert_contains(&html, "aiko\nschedule:nope</textarea>");
    // A timeout the policy's rules refuse (over a day).
    let (status, _, html) = s
        .post(
            &app,
            "/admin/policies/pay",
            &[
                ("name", "pay"),
                ("level-0-targets", "aiko"),
                ("level-0-timeout", "2000"),
                ("repeat", "0"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_contains(&html, "ack_timeout_secs must be between 1 and 86400");
    let list = app.get_list(&t, "/api/v1/escalation-policies").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["definition"]["repeat"], 1);
}

#[tokio::test]
async fn a_service_with_its_policy_and_runbook() {
    let app = setup(Db::Sqlite).await.unwrap();
    let t = app.admin_token.clone();
    app.put_expect(
        &t,
        "/api/v1/escalation-policies/pay",
        json!({"levels": [{"targets": [{"user": "aiko"}], "ack_timeout_secs": 300}]}),
        200,
    )
    .await;
    let s = admin(&app).await;
    // A policy that does not exist: nothing is created.
    let (status, _, html) = s
        .post(
            &app,
            "/admin/services",
            &[
                ("name", "payments"),
                ("team", "Payments"),
                ("policy", "nope"),
                ("runbook", "x"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_contains(&html, "Escalation policy (`escalation_policy`)");
    assert_contains(&html, r#"value="payments""#);
    assert!(app.get_list(&t, "/api/v1/services").await.is_empty());

    let runbook = "# Payments down\n\n1. Check the *gateway*.\n<script>alert(1)</script>";
    let (status, to, _) = s
        .post(
            &app,
            "/admin/services",
            &[
                ("name", "payments"),
                ("team", "Payments"),
                ("policy", "pay"),
                ("runbook", runbook),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/services/payments"));
    let services = app.get_list(&t, "/api/v1/services").await;
    assert_eq!(services[0]["owner_team"], "Payments");
    let esc = app
        .get_expect(&t, "/api/v1/services/payments/escalation", 200)
        .await;
    assert_eq!(esc, json!({"escalation_policy": "pay", "runbook": runbook}));
    let (_, html) = s.get(&app, "/admin/services/payments").await;
    assert_contains(&html, "<h1>Payments down</h1>");
    assert_contains(&html, "<em>gateway</em>");
    assert_lacks(&html, "<script>alert");
    let (_, html) = s.get(&app, "/admin/services").await;
    assert_contains(&html, r#"id="service-link-payments""#);

    // Its page changes the policy (to none) and the runbook.
    let (status, _, _) = s
        .post(
            &app,
            "/admin/services/payments",
            &[("policy", ""), ("runbook", "Call Aiko.")],
        )
        .await;
    assert_eq!(status, 303);
    let esc = app
        .get_expect(&t, "/api/v1/services/payments/escalation", 200)
        .await;
    assert_eq!(
        esc,
        json!({"escalation_policy": null, "runbook": "Call Aiko."})
    );
    // A taken name is refused.
    let (status, _, _) = s
        .post(
            &app,
            "/admin/services",
            &[
                ("name", "payments"),
                ("team", "Other"),
                ("policy", ""),
                ("runbook", ""),
            ],
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_form_without_the_session_token_is_refused() {
    let app = setup(Db::Sqlite).await.unwrap();
    let s = admin(&app).await;
    let mut form = vec![("csrf", "not-the-token")];
    form.extend(tokyo_form("Asia/Tokyo", "save"));
    let res = post_form(&app, &s.http, &s.cookie, "/admin/schedules", &form).await;
    assert_eq!(res.status(), 403);
    let res = post_form(
        &app,
        &s.http,
        &s.cookie,
        "/admin/services",
        &[("csrf", "x"), ("name", "a"), ("team", "b")],
    )
    .await;
    assert_eq!(res.status(), 403);
    app.get_expect(&app.admin_token, "/api/v1/schedules/tokyo", 404)
        .await;
    assert!(
        app.get_list(&app.admin_token, "/api/v1/services")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_responder_may_not_open_or_post_any_set_up_page() {
    let app = setup(Db::Sqlite).await.unwrap();
    let t = app.admin_token.clone();
    app.put_expect(&t, "/api/v1/schedules/tokyo", tokyo_json("tokyo"), 200)
        .await;
    app.put_expect(
        &t,
        "/api/v1/escalation-policies/pay",
        json!({"levels": [{"targets": [{"user": "aiko"}], "ack_timeout_secs": 300}]}),
        200,
    )
    .await;
    app.post_expect(
        &t,
        "/api/v1/services",
        json!({"name": "payments", "owner_team": "Payments"}),
        201,
    )
    .await;
    let s = session(&app, "aiko", "a long enough password").await;
    for path in [
        "/admin/schedules",
        "/admin/schedules/tokyo",
        "/admin/policies",
        "/admin/policies/pay",
        "/admin/services",
        "/admin/services/payments",
    ] {
        let (status, html) = s.get(&app, path).await;
        assert_eq!(status, 403, "GET {path}");
        assert_contains(&html, "may not manage_services");
        let (status, _, _) = s
            .post(
                &app,
                path,
                &[
                    ("name", "x"),
                    ("zone", "UTC"),
                    ("team", "t"),
                    ("runbook", "r"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(status, 403, "POST {path}");
    }
    let esc = app
        .get_expect(&t, "/api/v1/services/payments/escalation", 200)
        .await;
    assert_eq!(esc["runbook"], "");
    assert_eq!(app.get_list(&t, "/api/v1/schedules").await.len(), 1);
}

/// A lead (who may manage services, not users) sets up a schedule, a
/// policy paging it and a service using the policy, by the forms alone.
#[tokio::test]
async fn a_lead_sets_up_schedule_policy_and_service_in_the_browser() {
    let app = setup(Db::Sqlite).await.unwrap();
    app.user("lena", "lead").await;
    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &app, "lena", "a long enough password").await;

    c.goto(&format!("{}/admin/schedules", app.url))
        .await
        .unwrap();
    fill(&c, "#schedule-name", "primary").await;
    c.find(Locator::Css("#schedule-zone"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, "#schedule-zone", "Europe/Berlin").await;
    fill(&c, "#layer-0-start", "2026-03-02 09:00").await;
    c.find(Locator::Css("#layer-0-length"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, "#layer-0-length", "1").await;
    fill(&c, "#layer-0-members", "aiko, ben").await;
    submit(&c, "#schedule-preview").await;
    assert_contains(text(&c, "#schedule-preview-table").await, "CET");
    submit(&c, "#add-layer").await;
    fill(&c, "#layer-1-start", "2026-03-07 09:00").await;
    fill(&c, "#layer-1-members", "ben").await;
    fill(&c, "#override-0-user", "aiko").await;
    fill(&c, "#override-0-from", "2026-03-03 18:00").await;
    fill(&c, "#override-0-until", "2026-03-04 09:00").await;
    submit(&c, "#schedule-save").await;
    assert_contains(text(&c, "main").await, "Schedule primary saved");
    c.goto(&format!("{}/admin/schedules", app.url))
        .await
        .unwrap();
    submit(&c, "#schedule-link-primary").await;
    assert_eq!(
        c.find(Locator::Css("#layer-1-members"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        "ben"
    );

    c.goto(&format!("{}/admin/policies", app.url))
        .await
        .unwrap();
    fill(&c, "#policy-name", "primary-pager").await;
    fill(&c, "#level-0-targets", "schedule:primary").await;
    submit(&c, "#add-level").await;
    fill(&c, "#level-1-targets", "ben").await;
    c.find(Locator::Css("#policy-repeat"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, "#policy-repeat", "2").await;
    submit(&c, "#policy-save").await;
    assert_contains(
        text(&c, "main").await,
        "Escalation policy primary-pager saved",
    );

    c.goto(&format!("{}/admin/services", app.url))
        .await
        .unwrap();
    fill(&c, "#service-name", "checkout").await;
    fill(&c, "#service-team", "Shop").await;
    c.find(Locator::Css("#service-policy"))
        .await
        .unwrap()
        .select_by_value("primary-pager")
        .await
        .unwrap();
    fill(&c, "#service-runbook", "Restart the *cart*.").await;
    submit(&c, "#service-save").await;
    assert_contains(text(&c, "main").await, "Service checkout added");
    assert_contains(text(&c, ".runbook").await, "Restart the cart.");
    c.close().await.unwrap();

    let t = app.admin_token.clone();
    let sch = app.get_expect(&t, "/api/v1/schedules/primary", 200).await;
    let d = &sch["definition"];
    assert_eq!(
        d["layers"][0]["rotation"]["participants"],
        json!(["aiko", "ben"])
    );
    assert_eq!(d["layers"][1]["rotation"]["shift"], json!({"weeks": 1}));
    assert_eq!(d["overrides"][0]["start"], "2026-03-03T17:00:00Z");
    let pol = app.get_list(&t, "/api/v1/escalation-policies").await;
    assert_eq!(
        pol[0]["definition"]["levels"][0]["targets"],
        json!([{"schedule": "primary"}])
    );
    assert_eq!(pol[0]["definition"]["repeat"], 2);
    let esc = app
        .get_expect(&t, "/api/v1/services/checkout/escalation", 200)
        .await;
    assert_eq!(esc["escalation_policy"], "primary-pager");
}
