//! Acknowledging from the CLI stops the escalation; escalating by hand
//! pages whom it names. The policy comes from the incident's service, set
//! with `service escalation`.

use firebreak_testkit::assert_contains;
use firebreak_testkit::json::any_with;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Server, write_file};
use firebreak_testkit::WebhookReceiver as Receiver;

const ARRIVAL: Duration = Duration::from_secs(30);

#[test]
fn acknowledging_from_the_cli_stops_the_escalation() {
    let mut hook = Receiver::start();
    let server = Server::start();
    let admin = server.as_admin();
    for user in ["oncall1", "oncall2", "dba1"] {
        server.add_user(user, "responder");
        admin.add_pager(user, &hook.channel_json());
    }
    let contacts = admin.run(&["contact", "list", "oncall1", "--json"]).json();
    assert_eq!(contacts[0]["label"], "pager");
    assert_eq!(contacts[0]["channel"]["kind"], "webhook");

    // The policy, from standard input.
    let out = admin.put_stdin(
        "policy",
        "checkout-oncall",
        r#"{"levels": [
                {"targets": [{"user": "oncall1"}], "ack_timeout_secs": 5},
                {"targets": [{"user": "oncall2"}], "ack_timeout_secs": 5}
            ]}"#,
    );
    assert_contains(&out, "checkout-oncall");
    let policies = admin.run(&["policy", "list", "--json"]).json();
    assert_eq!(policies[0]["name"], "checkout-oncall");
    let listed = admin.run(&["policy", "list"]).ok();
    assert_contains(&listed, "1: oncall1 (5 s) → 2: oncall2 (5 s)");

    admin
        .run(&["service", "create", "checkout", "--owner-team", "payments"])
        .ok();
    let files = tempfile::tempdir().unwrap();
    let runbook = write_file(
        files.path(),
        "runbook.md",
        "# Checkout\n\n1. Page the payments on-call.\n2. Then the DBA.\n",
    );
    let out = admin
        .run(&[
            "service",
            "escalation",
            "checkout",
            "--policy",
            "checkout-oncall",
            "--runbook-file",
            &runbook,
        ])
        .ok();
    assert_contains(&out, "`checkout-oncall`");
    let err = admin
        .run(&["service", "escalation", "checkout", "--policy", "nope"])
        .fails(1);
    assert!(
        err.contains("nope") && err.contains("escalation_policy"),
        "{err}"
    );

    let incident = admin.declare(
        "Card payments declined",
        "availability",
        &[
            "--severity",
            "high",
            "--reason",
            "a third of card payments fail",
            "--service",
            "checkout",
        ],
    );
    let inc = incident["reference"].as_str().unwrap().to_owned();
    let inc = inc.as_str();

    let page = hook.page_for("oncall1", ARRIVAL);
    assert_eq!(page.incident(), inc);
    assert!(page.body["runbook_url"].is_string(), "{page:?}");

    let out = admin.run(&["incident", "ack", inc]).ok();
    assert!(
        out.contains("acknowledged") && out.contains("1 page chain"),
        "{out}"
    );
    let declared_at =
        chrono::DateTime::parse_from_rfc3339(incident["declared_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
    let level1_deadline = declared_at + chrono::Duration::seconds(5);
    assert!(
        chrono::Utc::now() < level1_deadline,
        "acknowledged only after level 1's deadline: this machine is too slow for the test"
    );
    let again = admin.run(&["incident", "ack", inc, "--json"]).json();
    assert_eq!(again["chains"], 0);
    let out = admin.run(&["incident", "ack", inc]).ok();
    assert_contains(&out, "no active page");

    // Level 1's deadline passes, with margin: nobody else is paged.
    let wait = (level1_deadline + chrono::Duration::seconds(2) - chrono::Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    hook.expect_nothing_until(Instant::now() + wait, "the page was acknowledged");
    let escalations = admin
        .run(&["incident", "escalations", inc, "--json"])
        .json();
    let list = escalations.as_array().unwrap();
    assert_eq!(list.len(), 1, "{escalations:#}");
    assert_eq!(list[0]["level"], 1);
    assert_eq!(list[0]["chain_state"], "acknowledged");
    assert_eq!(list[0]["acknowledged_by"], "admin");
    let table = admin.run(&["incident", "escalations", inc]).ok();
    assert_contains(&table, "acknowledged by admin");
    let timeline = admin.run(&["incident", "timeline", inc, "--json"]).json();
    assert!(any_with(&timeline, "kind", "acknowledged"), "{timeline:#}");

    // Escalating by hand pages the one named, with the reason.
    let out = admin
        .run(&[
            "incident",
            "escalate",
            inc,
            "--to",
            "dba1",
            "--reason",
            "replication lag on the payments database",
        ])
        .ok();
    assert_contains(&out, "dba1");
    let manual = hook.page_for("dba1", ARRIVAL);
    assert!(
        manual.body["reason"]
            .as_str()
            .unwrap()
            .contains("replication lag"),
        "{manual:?}"
    );
    let escalations = admin
        .run(&["incident", "escalations", inc, "--json"])
        .json();
    let last: &Value = escalations.as_array().unwrap().last().unwrap();
    assert_eq!(last["rule"], "manual");
    assert_eq!(last["to_user"]["name"], "dba1");
    assert_eq!(last["from"], "admin");

    // Refusals name what is wrong.
    let err = admin
        .run(&[
            "incident",
            "escalate",
            inc,
            "--to",
            "nobody-here",
            "--reason",
            "x",
        ])
        .fails(1);
    assert_contains(&err, "(field: to)");
    let err = admin.run(&["incident", "ack", "INC-999"]).fails(1);
    assert!(err.starts_with("error: "), "{err}");

    let table = admin.run(&["incident", "notifications", inc]).ok();
    assert!(
        table.contains("oncall1") && table.contains("dba1") && !table.contains("oncall2"),
        "{table}"
    );
    let recipients: Vec<String> = hook
        .drain()
        .iter()
        .map(|d| d.recipient().to_owned())
        .collect();
    assert_eq!(recipients, ["oncall1", "dba1"]);
}

/// A page whose first delivery failed is retried with backoff. Once the
/// page is acknowledged, the retry must not go out: it would page someone
/// about an incident already being handled.
///
/// `Store::acknowledge` cancels the chain's undelivered messages, retries
/// included.
#[test]
fn an_acknowledged_page_is_not_retried() {
    let mut hook = Receiver::refusing_first(1);
    let server = Server::start_with(crate::support::Options {
        config: Some("[escalation]\nincident_lead_policy = \"solo\"\n".to_owned()),
        ..crate::support::Options::default()
    });
    let admin = server.as_admin();
    server.add_user("oncall1", "responder");
    admin.add_pager("oncall1", &hook.channel_json());
    admin.put_stdin(
        "policy",
        "solo",
        r#"{"levels": [{"targets": [{"user": "oncall1"}], "ack_timeout_secs": 600}]}"#,
    );
    let incident = admin.declare(
        "Search is down",
        "availability",
        &["--severity", "high", "--reason", "no results for anyone"],
    );
    let inc = incident["reference"].as_str().unwrap().to_owned();

    // The first attempt is refused; oncall1 hears about it another way and
    // acknowledges.
    let refused = hook.page_for("oncall1", ARRIVAL);
    assert!(!refused.accepted);
    let out = admin.run(&["incident", "ack", &inc]).ok();
    assert_contains(&out, "1 page chain");

    // The first retry is due 2.5–7.5 s after the failure.
    hook.expect_nothing_until(
        Instant::now() + Duration::from_secs(10),
        "the page was acknowledged before its retry",
    );
    let notifications = admin
        .run(&["incident", "notifications", &inc, "--json"])
        .json();
    assert_eq!(notifications[0]["state"], "cancelled", "{notifications:#}");
}
