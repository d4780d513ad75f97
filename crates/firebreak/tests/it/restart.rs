//! "Killing the server (SIGKILL) after a page and restarting after the
//! deadline: the backup is paged once."

use firebreak_testkit::assert_contains;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use firebreak_testkit::WebhookReceiver as Receiver;
use firebreak_testkit::eventually_blocking as eventually;

use crate::support::{Options, Server, write_file};

/// Level 1 pages lead1 and waits this long; level 2 pages backup1.
const ACK_TIMEOUT_SECS: i64 = 3;

/// How long a page may take to arrive. Only a bound for a broken server.
const ARRIVAL: Duration = Duration::from_secs(30);

fn time_of(v: &Value, key: &str) -> DateTime<Utc> {
    v[key]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("no time `{key}` in {v}"))
        .with_timezone(&Utc)
}

/// The std `Instant` of a wall-clock time (the servers run on this machine).
fn instant_of(t: DateTime<Utc>) -> Instant {
    let ahead = (t - Utc::now()).to_std().unwrap_or(Duration::ZERO);
    Instant::now() + ahead
}

#[test]
fn a_sigkilled_server_pages_the_backup_once_after_restart() {
    let mut hook = Receiver::start();
    let mut server = Server::start_with(Options {
        config: Some(
            "[escalation]\nincident_lead_policy = \"lead\"\nlate_after_secs = 1\n".to_owned(),
        ),
        ..Options::default()
    });
    let token = server.token("admin");
    for user in ["lead1", "backup1"] {
        server.add_user(user, "responder");
        let admin = server.as_user(&token);
        let out = admin.add_pager(user, &hook.channel_json());
        assert!(out.contains("webhook") && out.contains(user), "{out}");
    }
    let files = tempfile::tempdir().unwrap();
    let policy = write_file(
        files.path(),
        "lead.json",
        &format!(
            r#"{{"levels": [
                {{"targets": [{{"user": "lead1"}}], "ack_timeout_secs": {ACK_TIMEOUT_SECS}}},
                {{"targets": [{{"user": "backup1"}}], "ack_timeout_secs": {ACK_TIMEOUT_SECS}}}
            ], "repeat": 0}}"#
        ),
    );
    let admin = server.as_user(&token);
    let out = admin
        .run(&["policy", "put", "lead", "--file", &policy])
        .ok();
    assert_contains(&out, "1: lead1 (3 s) → 2: backup1 (3 s)");

    let incident = admin.declare(
        "Checkout returns 500 for everyone",
        "availability",
        &["--severity", "critical", "--reason", "every payment fails"],
    );
    let inc = incident["reference"].as_str().unwrap().to_owned();
    let inc = inc.as_str();
    let declared_at = time_of(&incident, "declared_at");

    // The lead is paged at once.
    let first = hook.page_for("lead1", ARRIVAL);
    assert_eq!(first.incident(), inc);
    assert_eq!(first.body["event"], "page");
    assert!(first.signed, "{first:?}");
    assert_eq!(first.idempotency_key, first.body["idempotency_key"]);
    // The page is on record as sent before the kill, so the kill does not
    // land between the delivery and its record (which would mean a
    // legitimate redelivery, with the same key, after the lease).
    eventually(Duration::from_secs(10), "the page marked sent", || {
        let n = admin
            .run(&["incident", "notifications", inc, "--json"])
            .json();
        (n[0]["state"] == "sent").then_some(())
    });

    server.kill();
    let level1_deadline = declared_at + chrono::Duration::seconds(ACK_TIMEOUT_SECS);
    assert!(
        Utc::now() < level1_deadline,
        "the server was killed only after level 1's deadline: this machine is too slow for the test"
    );
    // The one real wait for time to pass: past the deadline, by more than
    // `late_after_secs`, with nobody running to notice.
    let restart_at = instant_of(level1_deadline + chrono::Duration::milliseconds(2500));
    hook.expect_nothing_until(restart_at, "no server runs");

    server.restart();
    let backup = hook.page_for("backup1", ARRIVAL);
    assert_eq!(backup.incident(), inc);
    assert!(backup.signed);
    let reason = backup.body["reason"].as_str().unwrap();
    assert_contains(reason, "while no server was running");

    let me = server.as_user(&token);
    let escalations = me.run(&["incident", "escalations", inc, "--json"]).json();
    let list = escalations.as_array().unwrap();
    let at_level = |n: i64| -> Vec<&Value> { list.iter().filter(|e| e["level"] == n).collect() };
    assert_eq!(at_level(1).len(), 1, "{escalations:#}");
    assert_eq!(at_level(1)[0]["rule"], "urgent_severity");
    assert_eq!(at_level(1)[0]["to_user"]["name"], "lead1");
    let level2 = at_level(2);
    assert_eq!(
        level2.len(),
        1,
        "exactly one level-2 escalation: {escalations:#}"
    );
    let level2 = level2[0];
    assert_eq!(level2["rule"], "ack_timeout");
    assert_eq!(level2["to_user"]["name"], "backup1");
    assert_eq!(level2["from"], "system");
    let reason2 = level2["reason"].as_str().unwrap();
    assert!(
        reason2.contains("while no server was running") && reason2.contains("level 1"),
        "{reason2}"
    );
    assert_eq!(list.len(), 2, "{escalations:#}");

    // Nobody acknowledges level 2 either: when its timeout passes the
    // chain is exhausted, and nobody else is paged.
    let level2_deadline = time_of(level2, "at") + chrono::Duration::seconds(ACK_TIMEOUT_SECS);
    hook.expect_nothing_until(
        instant_of(level2_deadline + chrono::Duration::seconds(2)),
        "the policy has no level 3 and no repeat",
    );
    let escalations = eventually(Duration::from_secs(15), "the chain exhausted", || {
        let e = me.run(&["incident", "escalations", inc, "--json"]).json();
        e.as_array()
            .unwrap()
            .iter()
            .all(|e| e["chain_state"] == "exhausted")
            .then_some(e)
    });
    assert_eq!(escalations.as_array().unwrap().len(), 2, "{escalations:#}");
    let timeline = me.run(&["incident", "timeline", inc, "--json"]).json();
    let exhausted: Vec<&Value> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalation_exhausted")
        .collect();
    assert_eq!(exhausted.len(), 1, "{timeline:#}");
    assert!(
        exhausted[0]["summary"]
            .as_str()
            .unwrap()
            .contains("nobody acknowledged"),
        "{timeline:#}"
    );

    // One page per person, each its own message.
    let seen = hook.drain();
    let recipients: Vec<&str> = seen.iter().map(|d| d.recipient()).collect();
    assert_eq!(recipients, ["lead1", "backup1"], "{seen:#?}");
    assert_ne!(seen[0].idempotency_key, seen[1].idempotency_key);
    let notifications = me.run(&["incident", "notifications", inc, "--json"]).json();
    let notifications = notifications.as_array().unwrap();
    assert_eq!(notifications.len(), 2, "{notifications:#?}");
    for n in notifications {
        assert_eq!(n["state"], "sent", "{n}");
        assert_eq!(n["attempts"], 1, "{n}");
    }

    // The same story as text.
    let table = me.run(&["incident", "escalations", inc]).ok();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    for column in ["TIME", "LEVEL", "RULE", "TO", "STATE", "REASON"] {
        assert!(lines[0].contains(column), "{table}");
    }
    assert!(
        lines[2].contains("ack_timeout")
            && lines[2].contains("backup1")
            && lines[2].contains("exhausted")
            && lines[2].contains("while no server was running"),
        "{table}"
    );
    let table = me.run(&["incident", "notifications", inc]).ok();
    assert_eq!(table.matches(" sent ").count(), 2, "{table}");
}
