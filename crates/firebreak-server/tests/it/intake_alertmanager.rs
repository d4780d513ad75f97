//! Debian's `prometheus-alertmanager`, configured as a new user would (a
//! webhook receiver pointing at the integration's URL), started on loopback:
//! alerts posted to its API v2 arrive as reports, repeats do not make new
//! ones, and their resolution resolves them.
//!
//! Alertmanager is an outside process, so this test waits for it by polling
//! (its readiness endpoint, then Firebreak's alerts) with a deadline, never
//! by fixed sleeps. Without the binary the test fails in CI and is skipped
//! elsewhere, saying why.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use firebreak_testkit::eventually;

use crate::harness::TestApp;
use crate::intake::checkout_integration;

fn alertmanager_binary() -> Option<PathBuf> {
    let path = PathBuf::from(
        std::env::var("FIREBREAK_TEST_ALERTMANAGER")
            .unwrap_or_else(|_| "/usr/bin/prometheus-alertmanager".to_owned()),
    );
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "{} is not there: install Debian's `prometheus-alertmanager` (or set \
         FIREBREAK_TEST_ALERTMANAGER to an Alertmanager binary)",
        path.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    eprintln!("SKIPPED: the real Alertmanager test, because {why}");
    None
}

/// A port free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn alerts(app: &TestApp) -> Vec<Value> {
    app.get_list(&app.admin_token, "/api/v1/intake/alerts?limit=100")
        .await
}

#[tokio::test]
async fn alertmanager_delivers_firing_and_resolved_alerts_as_reports() {
    let Some(binary) = alertmanager_binary() else {
        return;
    };
    let (app, _, hook_url) = checkout_integration("alertmanager", "alertmanager").await;

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: firebreak\n  group_by: ['alertname']\n  group_wait: 1s\n  \
             group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: firebreak\n    \
             webhook_configs:\n      - url: {hook_url}\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let am = format!("http://127.0.0.1:{port}");
    let storage = dir.path().join("data");
    let mut child = tokio::process::Command::new(&binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .arg(format!("--storage.path={}", storage.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let http = reqwest::Client::new();
    eventually(Duration::from_secs(20), "Alertmanager to be ready", || {
        let http = http.clone();
        let url = format!("{am}/-/ready");
        async move {
            http.get(url)
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ())
        }
    })
    .await;

    let alert = |instance: &str, ends_at: Option<String>| {
        let mut a = json!({
            "labels": {"alertname": "CheckoutLatency", "severity": "critical", "instance": instance},
            "annotations": {"summary": format!("Checkout p99 above 2s on {instance}")},
            "generatorURL": "http://prometheus.example/graph",
        });
        if let Some(t) = ends_at {
            a["endsAt"] = json!(t);
        }
        a
    };
    let post = |alerts: Vec<Value>| {
        let http = http.clone();
        let url = format!("{am}/api/v2/alerts");
        async move {
            let res = http.post(url).json(&alerts).send().await.unwrap();
            assert_eq!(res.status(), 200, "{:?}", res.text().await);
        }
    };

    // One firing alert, posted three times: one report.
    for _ in 0..3 {
        post(vec![alert("api-1", None)]).await;
    }
    let first = eventually(
        Duration::from_secs(20),
        "the first alert to arrive",
        || async { alerts(&app).await.into_iter().next() },
    )
    .await;
    assert_eq!(first["status"], "firing");
    assert_eq!(first["labels"]["instance"], "api-1");
    let report_id = first["report_id"].as_i64().unwrap();
    let (_, report) = app
        .get(&app.admin_token, &format!("/api/v1/reports/{report_id}"))
        .await;
    assert_eq!(report["source"], "monitoring");
    assert_eq!(report["title"], "Checkout p99 above 2s on api-1");
    assert_eq!(report["service"], "checkout");

    // A second alert joins the group: Alertmanager sends the group again,
    // the first alert with it; that is a repeat, not a new report.
    post(vec![alert("api-2", None)]).await;
    let both = eventually(
        Duration::from_secs(20),
        "the second alert to arrive",
        || async {
            let a = alerts(&app).await;
            (a.len() == 2).then_some(a)
        },
    )
    .await;
    let api1: Vec<&Value> = both
        .iter()
        .filter(|a| a["labels"]["instance"] == "api-1")
        .collect();
    assert_eq!(api1.len(), 1);
    assert_eq!(api1[0]["report_id"], report_id);
    assert!(api1[0]["count"].as_i64().unwrap() >= 2, "{both:?}");

    // Both end: Alertmanager sends them resolved, and they resolve here.
    let now = Utc::now().to_rfc3339();
    post(vec![
        alert("api-1", Some(now.clone())),
        alert("api-2", Some(now)),
    ])
    .await;
    let resolved = eventually(Duration::from_secs(30), "the alerts to resolve", || async {
        let a = alerts(&app).await;
        a.iter().all(|x| x["status"] == "resolved").then_some(a)
    })
    .await;
    assert_eq!(resolved.len(), 2, "no duplicates: {resolved:?}");
    let (_, queue) = app
        .get(
            &app.admin_token,
            "/api/v1/intake/triage?source=monitoring&service=checkout",
        )
        .await;
    assert_eq!(queue.as_array().unwrap().len(), 2, "{queue}");
    assert!(app.store.verify_audit().await.unwrap().ok);

    child.kill().await.ok();
}
