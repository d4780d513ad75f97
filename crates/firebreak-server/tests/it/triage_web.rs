//! The triage queue at volume on the web: one compact row per report, the
//! forms opened on demand (a menu per row, the declare form under the one
//! report opened), severity prefilled from the alert's label, the bulk
//! form that does nothing by default, the keyboard shortcuts, and
//! confidential reports kept from those who may not see them.

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use firebreak_testkit::web::{first_cookie, no_redirects, page, post_login};
use firebreak_testkit::{assert_contains, assert_lacks};
use serde_json::json;

use crate::harness::{TestApp, spawn};
use crate::intake::{am_alert, am_webhook, integration, service};
use crate::web::{browser, chromedriver, login, submit, text};

/// Alertmanager severity labels the queue maps (and one it does not).
const LABELS: [&str; 6] = ["critical", "error", "warning", "info", "page", "high"];

/// `alerts` alert reports for `payments` (labels from [`LABELS`]) and
/// `others` reports through the API, titled as people and tools title
/// them. The queue's items (report and alert), oldest first.
async fn fill_queue(app: &TestApp, alerts: usize, others: usize) -> Vec<serde_json::Value> {
    service(app, "payments").await;
    service(app, "search").await;
    let (_, url, _) = integration(
        app,
        json!({"name": "prom", "kind": "alertmanager", "service": "payments", "auto_declare": false}),
    )
    .await;
    let body = am_webhook(
        (0..alerts)
            .map(|i| {
                am_alert(
                    json!({"alertname": format!("CheckoutLatencyP99Above2s{i}"), "severity": LABELS[i % LABELS.len()],
                           "instance": format!("checkout-{i}.eu-west-1.internal:9090")}),
                    "firing",
                )
            })
            .collect(),
    );
    let res = app.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    for i in 0..others {
        let (source, svc) = match i % 3 {
            0 => ("support", json!("search")),
            1 => ("monitoring", json!(null)),
            _ => ("email", json!("payments")),
        };
        app.post_expect(
            &app.admin_token,
            "/api/v1/reports",
            json!({"title": format!("Customer {i} reports search results missing after the reindex"),
                   "description": "Since 10:00 UTC, ticket attached; the customer is on the enterprise plan.",
                   "source": source, "service": svc}),
            201,
        )
        .await;
    }
    let queue = app
        .get_list(&app.admin_token, "/api/v1/intake/triage?limit=1000")
        .await;
    assert_eq!(queue.len(), alerts + others);
    queue
}

/// The report ids of queue items.
fn ids_of(queue: &[serde_json::Value]) -> Vec<i64> {
    queue
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

/// The report of the first item whose alert has severity label `label`.
fn with_label(queue: &[serde_json::Value], label: &str) -> i64 {
    queue
        .iter()
        .find(|item| item["alert"]["severity"] == label)
        .map(|item| item["id"].as_i64().unwrap())
        .unwrap()
}

/// A signed-in session's cookie.
async fn session(app: &TestApp, user: &str, password: &str) -> String {
    let res = post_login(app, &no_redirects(), user, password, Some("/triage")).await;
    assert_eq!(res.status(), 303);
    first_cookie(&res)
}

#[tokio::test]
async fn the_triage_queue_with_200_untriaged_reports_is_one_row_each_under_300_kb() {
    let app = spawn().await;
    let queue = fill_queue(&app, 60, 140).await;
    let ids = ids_of(&queue);
    let cookie = session(&app, "admin", &app.admin_password).await;
    let (status, html) = page(&app, &no_redirects(), &cookie, "/triage").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("data-report-id=").count(), 200, "one row each");
    assert_eq!(html.matches("<tr class=\"report\"").count(), 200);
    for id in [ids[0], ids[199]] {
        assert_contains(&html, format!("id=\"report-{id}\""));
    }
    assert!(
        html.len() < 300_000,
        "the queue of 200 is {} bytes",
        html.len()
    );
    // No declare form up front: each row's link and dismiss forms sit in
    // its menu, the declare form appears under the one report opened.
    assert_eq!(html.matches("/declare\"").count(), 0);
    assert_eq!(html.matches("<details class=\"act\">").count(), 200);
    assert_eq!(html.matches("/dismiss\"").count(), 200);
    // The alert's severity label, on the process's scale (`error` is
    // high, `warning` medium, `info` low); `page` names none.
    let badges = |sev: &str| {
        html.matches(&format!(
            "<td><span class=\"sev sev-{sev}\">{sev}</span></td>"
        ))
        .count()
    };
    assert_eq!(
        [
            badges("critical"),
            badges("high"),
            badges("medium"),
            badges("low")
        ],
        [10, 20, 10, 10]
    );
    assert_eq!(html.matches("<td class=\"none\">–</td>").count(), 150);
    // The keyboard note and the severity mapping are on the page.
    assert_contains(&html, "id=\"keyboard\"");
    assert_contains(&html, "medium, warning, warn, minor → medium");
    // The bulk form comes after the list, and does nothing by default.
    let list_end = html.find("</table>\n").unwrap();
    let bulk = html.find("id=\"bulk\"").unwrap();
    let queue_at = html.find("id=\"triage-queue\"").unwrap();
    assert!(queue_at < bulk && list_end < bulk);
    assert_contains(
        &html,
        "<option value=\"\" selected>choose an action…</option>",
    );

    // Opened: an alert report labelled `warning` (medium on the process's
    // scale) gets the declare form with medium prefilled, and only it.
    let warning = with_label(&queue, "medium");
    let (_, opened) = page(
        &app,
        &no_redirects(),
        &cookie,
        &format!("/triage?open={warning}"),
    )
    .await;
    assert_eq!(opened.matches("/declare\"").count(), 1);
    assert_contains(&opened, format!("action=\"/reports/{warning}/declare\""));
    assert_contains(&opened, "<option value=\"medium\" selected>medium</option>");
    assert_eq!(
        opened.matches(" selected>").count(),
        2,
        "medium and the bulk's no-action"
    );
    assert_contains(&opened, "the alert's severity label: medium.");
    // A report without an alert prefills nothing.
    let plain = queue
        .iter()
        .find(|item| item["alert"].is_null())
        .map(|item| item["id"].as_i64().unwrap())
        .unwrap();
    let (_, opened) = page(
        &app,
        &no_redirects(),
        &cookie,
        &format!("/triage?open={plain}"),
    )
    .await;
    assert_contains(&opened, format!("action=\"/reports/{plain}/declare\""));
    assert_eq!(
        opened.matches(" selected>").count(),
        1,
        "the bulk's no-action"
    );
}

#[tokio::test]
async fn the_queue_and_its_opened_report_keep_confidential_reports_from_a_responder() {
    let app = spawn().await;
    app.user("responder1", "responder").await;
    let open = app
        .post_expect(
            &app.admin_token,
            "/api/v1/reports",
            json!({"title": "Checkout slow", "source": "support"}),
            201,
        )
        .await;
    let secret = app
        .post_expect(
            &app.admin_token,
            "/api/v1/reports",
            json!({"title": "Researcher: SSRF in the image proxy", "source": "disclosure"}),
            201,
        )
        .await;
    assert_eq!(secret["confidential"], true);
    let admin = session(&app, "admin", &app.admin_password).await;
    let (_, html) = page(&app, &no_redirects(), &admin, "/triage").await;
    assert_contains(&html, "SSRF in the image proxy");
    assert_eq!(html.matches("data-report-id=").count(), 2);

    let responder = session(&app, "responder1", "a long enough password").await;
    for path in [
        "/triage".to_owned(),
        format!("/triage?open={}", secret["id"]),
        "/triage?source=disclosure".to_owned(),
    ] {
        let (status, html) = page(&app, &no_redirects(), &responder, &path).await;
        assert_eq!(status, 200, "{path}");
        assert_lacks(&html, "SSRF");
        assert_lacks(&html, format!("/reports/{}/", secret["id"]));
        assert_lacks(&html, "/declare\"");
    }
    let (_, html) = page(
        &app,
        &no_redirects(),
        &responder,
        &format!("/triage?open={}", open["id"]),
    )
    .await;
    assert_eq!(html.matches("data-report-id=").count(), 1);
    assert_contains(&html, format!("action=\"/reports/{}/declare\"", open["id"]));
}

/// Presses `key` in the page (on whatever has focus).
async fn press(c: &Client, key: &str) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
}

/// Whether the boolean DOM property `prop` of the element `css` is set.
async fn is(c: &Client, css: &str, prop: &str) -> bool {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .prop(prop)
        .await
        .unwrap()
        .as_deref()
        == Some("true")
}

async fn screenshot(c: &Client, name: &str, width: u32) {
    c.set_window_size(width, 1000).await.unwrap();
    // The list (or the report opened) in view, not the page's top.
    c.execute(
        "const e = document.querySelector('tr.report.current, #open-report, #keyboard'); \
         if (e) e.scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
}

#[tokio::test]
async fn a_responder_triages_the_queue_from_the_keyboard() {
    let app = spawn().await;
    let queue = fill_queue(&app, 8, 12).await;
    let ids = ids_of(&queue);
    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &app, "admin", &app.admin_password).await;
    c.goto(&format!("{}/triage", app.url)).await.unwrap();
    assert_eq!(
        c.find_all(Locator::Css("tr.report")).await.unwrap().len(),
        20
    );
    for w in [1440, 375] {
        screenshot(&c, "triage", w).await;
    }
    c.set_window_size(1440, 1000).await.unwrap();

    // j selects the first report, x ticks it, j j moves two down.
    press(&c, "j").await;
    press(&c, "x").await;
    assert!(is(&c, &format!("#select-{}", ids[0]), "checked").await);
    assert_eq!(text(&c, "#bulk-count").await, "1 selected");
    press(&c, "j").await;
    press(&c, "j").await;
    press(&c, "k").await;
    // o opens the second report's menu; Escape closes it.
    press(&c, "o").await;
    let menu = format!("#report-{} details.act", ids[1]);
    assert!(is(&c, &menu, "open").await, "o opens the row's forms");
    for w in [1440, 375] {
        screenshot(&c, "triage-menu", w).await;
    }
    c.set_window_size(1440, 1000).await.unwrap();
    press(&c, &Key::Escape.to_string()).await;
    assert!(!is(&c, &menu, "open").await, "Escape closes them");
    // d opens it again with the dismiss reason focused; Enter dismisses.
    press(&c, "d").await;
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some(format!("dismiss-reason-{}", ids[1]).as_str())
    );
    focused.send_keys("flapping probe").await.unwrap();
    let root = c.find(Locator::Css("html")).await.unwrap();
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while root.tag_name().await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "Enter did not submit");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        text(&c, ".notice").await,
        format!("Report {} dismissed", ids[1])
    );
    let (_, r) = app
        .get(&app.admin_token, &format!("/api/v1/reports/{}", ids[1]))
        .await;
    assert_eq!(r["status"], "dismissed");
    assert_eq!(r["dismiss_reason"], "flapping probe");

    // The bulk form does nothing without a chosen action, and dismissing
    // needs a reason: both refused, nothing changes.
    c.find(Locator::Css(&format!("#select-{}", ids[0])))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "#bulk-submit").await;
    assert_contains(text(&c, ".error").await, "choose an action");
    c.find(Locator::Css(&format!("#select-{}", ids[0])))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#bulk-action"))
        .await
        .unwrap()
        .select_by_value("dismiss")
        .await
        .unwrap();
    submit(&c, "#bulk-submit").await;
    assert_contains(text(&c, ".error").await, "dismissing needs a reason");
    let left = app
        .get_list(&app.admin_token, "/api/v1/intake/triage")
        .await;
    assert_eq!(left.len(), 19);

    // i opens the current (first) report's declare form under its row,
    // severity prefilled from its alert's label.
    let expected = match queue[0]["alert"]["severity"].as_str() {
        Some("critical") => "critical",
        Some("error" | "high") => "high",
        Some("warning") => "medium",
        Some("info") => "low",
        _ => "",
    };
    press(&c, "j").await;
    press(&c, "i").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("article.report form[action$='/declare']"))
        .await
        .unwrap();
    let sev = c
        .find(Locator::Css("article.report select[name=severity]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(sev.as_deref(), Some(expected));
    for w in [1440, 375] {
        screenshot(&c, "triage-open", w).await;
    }
    c.close().await.unwrap();
}
