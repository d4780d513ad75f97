//! Intake administration through the CLI: an integration created with
//! `firebreak integration create` receives an Alertmanager webhook at the
//! URL it printed, until its key is rotated or it is disabled; silences,
//! routing rules and maintenance windows are added, listed and ended; bad
//! flags are refused before any request.

use chrono::{Duration, SecondsFormat, Utc};
use firebreak_testkit::{assert_contains, assert_lacks};
use serde_json::{Value, json};

use firebreak_testkit::alertmanager::{am_alert, am_webhook};

use crate::support::{As, Run, Server, run};

/// POSTs `body` as JSON with no credentials but what the URL carries, as
/// Alertmanager does; the status and the body.
fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    firebreak_testkit::block_on(async {
        let res = reqwest::Client::new()
            .post(url)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

/// The value of the `name: value` line of `out`.
fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no `{name}:` line in:\n{out}"))
        .trim()
}

/// The id after `word` in `out` (`silence 3 added` → 3).
fn id_after(out: &str, word: &str) -> String {
    let rest = out
        .split_once(&format!("{word} "))
        .unwrap_or_else(|| panic!("no `{word} ` in:\n{out}"))
        .1;
    let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
    assert!(!id.is_empty(), "no id after `{word}` in:\n{out}");
    id
}

/// An RFC 3339 time `hours` from now.
fn in_hours(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The table row of `out` whose first column is `id`.
fn row<'a>(out: &'a str, id: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("no row {id} in:\n{out}"))
}

/// `integration create <name> --kind alertmanager <flags…>`.
fn create_alertmanager(admin: &As<'_>, name: &str, flags: &[&str]) -> Run {
    let mut args = vec!["integration", "create", name, "--kind", "alertmanager"];
    args.extend(flags);
    admin.run(&args)
}

fn service(admin: &As<'_>, name: &str) {
    admin
        .run(&["service", "create", name, "--owner-team", "payments"])
        .ok();
}

#[test]
fn an_integration_receives_alerts_at_its_printed_url_until_its_key_changes() {
    let server = Server::start();
    let admin = server.as_admin();
    service(&admin, "payments");

    // This test follows alerts through the triage queue.
    let out = create_alertmanager(
        &admin,
        "prom-prod",
        &["--service", "payments", "--auto-declare", "off"],
    )
    .ok();
    assert_contains(
        &out,
        "prom-prod (alertmanager) created; it acts as intake.prom-prod",
    );
    assert_contains(&out, "auto_declare: off");
    assert_contains(&out, "shown only once");
    let id = id_after(&out, "integration");
    let key = line(&out, "key").to_owned();
    let url = line(&out, "url").to_owned();
    assert_eq!(key.len(), 32, "{out}");
    assert_eq!(
        url,
        format!("{}/api/v1/intake/alertmanager/{key}", server.url)
    );

    // The key is shown once: lists and the record show its last four only.
    let list = admin.run(&["integration", "list"]).ok();
    assert_lacks(&list, &key);
    let listed = row(&list, &id);
    assert!(listed.contains("prom-prod"), "{list}");
    assert!(listed.contains("alertmanager"), "{list}");
    assert!(listed.contains("payments"), "{list}");
    assert!(listed.contains("enabled"), "{list}");
    assert!(listed.contains(&format!("…{}", &key[28..])), "{list}");
    let shown = admin.run(&["integration", "show", &id]).ok();
    assert_contains(&shown, "acts as: intake.prom-prod");
    assert_contains(&shown, "auto_declare: off");
    assert_lacks(&shown, &key);

    // Nothing yet.
    assert_eq!(admin.run(&["alert", "list"]).ok(), "no alerts\n");

    let latency = || {
        am_webhook(vec![am_alert(
            json!({"alertname": "HighLatency", "severity": "critical", "instance": "api-1"}),
            "firing",
        )])
    };
    let (status, body) = post_json(&url, &latency());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alerts"][0]["outcome"], "opened", "{body}");

    let alerts = admin.run(&["alert", "list"]).ok();
    let alert_id = body["alerts"][0]["alert_id"].to_string();
    let shown = row(&alerts, &alert_id);
    for want in ["firing", "prom-prod", "HighLatency is firing", "triage"] {
        assert!(shown.contains(want), "{want} in\n{alerts}");
    }
    let json = admin
        .run(&[
            "alert",
            "list",
            "--status",
            "firing",
            "--integration",
            &id,
            "--json",
        ])
        .json();
    assert_eq!(json.as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json[0]["integration"], "prom-prod");
    assert_eq!(json[0]["count"], 1);
    assert_eq!(
        admin.run(&["alert", "list", "--status", "resolved"]).ok(),
        "no alerts\n"
    );

    // A new key: the old URL is refused, the new one works.
    let out = admin.run(&["integration", "rotate-key", &id]).ok();
    assert_contains(&out, "the old one no longer works");
    assert_contains(&out, "shown only once");
    let new_key = line(&out, "key").to_owned();
    let new_url = line(&out, "url").to_owned();
    assert_ne!(new_key, key);
    assert_eq!(
        new_url,
        format!("{}/api/v1/intake/alertmanager/{new_key}", server.url)
    );
    let (status, body) = post_json(&url, &latency());
    assert_eq!(status, 401, "{body}");
    let (status, body) = post_json(&new_url, &latency());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alerts"][0]["outcome"], "repeated", "{body}");
    let json = admin.run(&["alert", "list", "--json"]).json();
    assert_eq!(json[0]["count"], 2, "{json}");

    // Disabled: no key works any more.
    let out = admin.run(&["integration", "disable", &id]).ok();
    assert_contains(&out, "prom-prod disabled");
    let (status, _) = post_json(&new_url, &latency());
    assert_eq!(status, 401);
    let shown = admin.run(&["integration", "show", &id, "--json"]).json();
    assert_eq!(shown["enabled"], false, "{shown}");

    // The server's refusals are printed, with exit code 1.
    let err = admin.run(&["integration", "disable", &id]).fails(1);
    assert!(err.starts_with("error: "), "{err}");
    let err = admin.run(&["integration", "show", "999"]).fails(1);
    assert_contains(&err, "integration 999");
    let err = admin
        .run(&["integration", "create", "prom-prod", "--kind", "grafana"])
        .fails(1);
    assert!(err.starts_with("error: "), "{err}");
    // Only admins manage integrations.
    server.add_user("rita", "responder");
    let rita_token = server.token("rita");
    let err = server
        .as_user(&rita_token)
        .run(&["integration", "list"])
        .fails(1);
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn silences_rules_and_maintenance_windows_are_added_listed_and_ended() {
    let server = Server::start();
    let admin = server.as_admin();
    service(&admin, "payments");
    let created = create_alertmanager(&admin, "am", &["--json"]).json();
    let url = created["url"].as_str().unwrap().to_owned();
    assert_eq!(created["integration"]["name"], "am");

    // A silence.
    let until = in_hours(2);
    let out = admin
        .run(&[
            "silence",
            "add",
            "--matcher",
            r#"alertname="DiskFull""#,
            "--matcher",
            r#"env=~"prod|live""#,
            "--until",
            &until,
            "--reason",
            "disk swap, JIRA-12",
        ])
        .ok();
    let silence = id_after(&out, "silence");
    assert_contains(&out, r#"alertname="DiskFull", env=~"prod|live""#);
    assert_contains(&out, until.replace('T', " "));
    let list = admin.run(&["silence", "list"]).ok();
    let listed = row(&list, &silence);
    for want in [
        "active",
        "admin",
        "alertname=\"DiskFull\"",
        "disk swap, JIRA-12",
    ] {
        assert!(listed.contains(want), "{want} in\n{list}");
    }
    // It holds: a matching alert is logged, silenced.
    let disk = am_webhook(vec![am_alert(
        json!({"alertname": "DiskFull", "env": "prod"}),
        "firing",
    )]);
    let (status, body) = post_json(&url, &disk);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alerts"][0]["disposition"], "silenced", "{body}");
    let alerts = admin.run(&["alert", "list"]).ok();
    assert_contains(&alerts, "silenced");

    let out = admin.run(&["silence", "expire", &silence]).ok();
    assert!(
        out.starts_with(&format!("silence {silence} expired at ")),
        "{out}"
    );
    let list = admin.run(&["silence", "list", "--json"]).json();
    assert_eq!(list[0]["active"], false, "{list}");
    assert!(list[0]["expired_at"].is_string(), "{list}");
    assert!(
        row(&admin.run(&["silence", "list"]).ok(), &silence).contains("expired"),
        "expired state"
    );
    let err = admin.run(&["silence", "expire", &silence]).fails(1);
    assert!(err.starts_with("error: "), "{err}");

    // The server checks what clap cannot: every matcher matching the empty
    // value, an end before the start.
    let err = admin
        .run(&[
            "silence",
            "add",
            "--matcher",
            r#"a=~".*""#,
            "--until",
            &until,
            "--reason",
            "x",
        ])
        .fails(1);
    assert_contains(&err, "(field: matchers)");
    let err = admin
        .run(&[
            "silence",
            "add",
            "--matcher",
            r#"a="b""#,
            "--from",
            &in_hours(3),
            "--until",
            &until,
            "--reason",
            "x",
        ])
        .fails(1);
    assert_contains(&err, "(field: ends_at)");

    // A routing rule.
    assert_eq!(admin.run(&["rule", "list"]).ok(), "no routing rules\n");
    let mut args = vec!["rule", "add", "db-critical", "--matcher", r#"team="db""#];
    args.extend(
        "--set-service payments --set-kind availability --set-severity critical --declare"
            .split(' '),
    );
    let out = admin.run(&args).ok();
    let rule = id_after(&out, "rule");
    assert_contains(&out, "`db-critical` added at position 10");
    let list = admin.run(&["rule", "list"]).ok();
    let listed = row(&list, &rule);
    for want in [
        "db-critical",
        "enabled",
        "team=\"db\"",
        "service payments",
        "severity critical",
        "declare (availability)",
    ] {
        assert!(listed.contains(want), "{want} in\n{list}");
    }
    let out = admin
        .run(&["rule", "add", "catch-all", "--position", "50", "--disabled"])
        .ok();
    assert_contains(&out, "at position 50 (disabled): every alert → triage");
    let json = admin.run(&["rule", "list", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json[0]["matchers"], json!(["team=\"db\""]));
    assert_eq!(json[0]["set_severity"], "critical");
    assert_eq!(json[0]["declare"], true);
    assert_eq!(json[1]["enabled"], false);

    let out = admin.run(&["rule", "remove", &rule]).ok();
    assert_eq!(out, format!("rule {rule} removed\n"));
    let list = admin.run(&["rule", "list"]).ok();
    assert_lacks(&list, "db-critical");
    assert_contains(&list, "catch-all");
    let err = admin.run(&["rule", "remove", &rule]).fails(1);
    assert!(err.starts_with("error: "), "{err}");

    // A maintenance window.
    let out = admin
        .run(&[
            "maintenance",
            "add",
            "--service",
            "payments",
            "--until",
            &until,
            "--reason",
            "database upgrade",
            "--public-title",
            "Payments upgrade",
            "--public-body",
            "Payments may be slow for an hour.",
        ])
        .ok();
    let window = id_after(&out, "maintenance window");
    assert_contains(&out, "for payments added");
    let list = admin.run(&["maintenance", "list"]).ok();
    let listed = row(&list, &window);
    for want in ["payments", "active", "database upgrade"] {
        assert!(listed.contains(want), "{want} in\n{list}");
    }
    let out = admin.run(&["maintenance", "end", &window]).ok();
    assert!(
        out.starts_with(&format!(
            "maintenance window {window} for payments ended at "
        )),
        "{out}"
    );
    let list = admin.run(&["maintenance", "list"]).ok();
    assert!(row(&list, &window).contains("ended"), "{list}");
    let err = admin
        .run(&[
            "maintenance",
            "add",
            "--service",
            "nosuch",
            "--until",
            &until,
            "--reason",
            "x",
        ])
        .fails(1);
    assert_contains(&err, "no service named `nosuch`");
    assert_contains(&err, "(field: service)");
}

/// Bad flags fail with exit code 2 and a message naming the flag, before
/// any request: nothing listens at the URL, so a request would fail
/// differently.
#[test]
fn bad_flags_are_refused_before_any_request() {
    let nowhere = ["--url", "http://127.0.0.1:9", "--token", "t"];
    let refused = |args: &[&str], says: &[&str]| {
        let mut all = args.to_vec();
        all.extend(nowhere);
        let err = run(&all).fails(2);
        assert_lacks(&err, "cannot reach");
        for want in says {
            assert!(err.contains(want), "{args:?}: `{want}` in\n{err}");
        }
    };
    refused(
        &["integration", "create", "x", "--kind", "nagios"],
        &["'nagios'", "--kind", "alertmanager", "pagerduty", "email"],
    );
    refused(
        &[
            "silence",
            "add",
            "--matcher",
            r#"alertname="DiskFull""#,
            "--until",
            "tomorrow",
            "--reason",
            "r",
        ],
        &["'tomorrow'", "--until", "RFC 3339"],
    );
    refused(
        &[
            "maintenance",
            "add",
            "--service",
            "payments",
            "--until",
            "2030-13-01T00:00:00Z",
            "--reason",
            "r",
        ],
        &["--until", "RFC 3339"],
    );
    refused(
        &[
            "integration",
            "create",
            "x",
            "--kind",
            "generic",
            "--mapping",
            r#"{"title":"#,
        ],
        &["--mapping", "not valid JSON"],
    );
    refused(
        &["integration", "create", "x", "--kind", "generic"],
        &["--mapping"],
    );
    refused(
        &["rule", "add", "r", "--matcher", "severity critical"],
        &["--matcher", "severity critical"],
    );
    refused(
        &["alert", "list", "--status", "silenced"],
        &["'silenced'", "--status", "firing"],
    );
    // A server that cannot be reached is exit code 1, for comparison.
    let mut all = vec!["alert", "list"];
    all.extend(nowhere);
    let err = run(&all).fails(1);
    assert_contains(&err, "cannot reach");
}
