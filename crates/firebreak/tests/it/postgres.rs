//! "Two instances on PostgreSQL: no escalation fires twice or is missed."
//!
//! Two `firebreak serve` processes share one PostgreSQL database; incidents
//! are declared through both in turn, and every level of every page chain
//! must reach the receiver exactly once.
//!
//! PostgreSQL comes from `FIREBREAK_TEST_POSTGRES_URL`, a server URL whose
//! user may `CREATE DATABASE`; the test makes its own database and drops it
//! at the end. Without the variable the test is skipped, except in CI
//! (`CI` set), where that is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use firebreak_testkit::WebhookReceiver as Receiver;
use firebreak_testkit::eventually_blocking as eventually;
use firebreak_testkit::{Backend, TestDb};

use crate::support::{Admin, As, Options, Server};

/// Incidents declared; each pages level 1 and then level 2.
const INCIDENTS: usize = 40;
const ACK_TIMEOUT_SECS: u64 = 2;
/// A bound for a broken server, not an expected duration.
const ALL_PAGES: Duration = Duration::from_secs(120);

/// A fresh PostgreSQL database; `None` (the test skipped) without
/// `FIREBREAK_TEST_POSTGRES_URL` outside CI.
fn fresh_database() -> Option<TestDb> {
    TestDb::new_blocking(Backend::Postgres)
}

/// One number from the database.
fn count(db: &TestDb, sql: &str) -> i64 {
    db.sql().int_blocking(sql)
}

#[test]
fn two_servers_on_one_postgres_database_page_every_level_once() {
    let Some(db) = fresh_database() else {
        return;
    };
    let mut hook = Receiver::start();
    let options = Options {
        database_url: Some(db.url().to_owned()),
        config: Some("[escalation]\nincident_lead_policy = \"pair\"\n".to_owned()),
        admin: Admin::Created,
    };
    let first = Server::start_with(options.clone());
    assert!(first.admin_password.is_some());
    // The second finds users: it creates no admin and prints no password
    // (the harness fails the start if it does).
    let second = Server::start_with(Options {
        admin: Admin::Existing,
        ..options
    });
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users"), 1);

    let token = first.token("admin");
    let servers: [As<'_>; 2] = [first.as_user(&token), second.as_user(&token)];
    for user in ["level1", "level2"] {
        first.add_user(user, "responder");
        servers[0].add_pager(user, &hook.channel_json());
    }
    servers[1].put_stdin(
        "policy",
        "pair",
        &format!(
            r#"{{"levels": [
                    {{"targets": [{{"user": "level1"}}], "ack_timeout_secs": {ACK_TIMEOUT_SECS}}},
                    {{"targets": [{{"user": "level2"}}], "ack_timeout_secs": {ACK_TIMEOUT_SECS}}}
                ]}}"#
        ),
    );

    let started = Instant::now();
    let mut refs = Vec::new();
    for i in 0..INCIDENTS {
        let server = &servers[i % 2];
        let incident = server.declare(
            &format!("Region {i} unreachable"),
            "availability",
            &[
                "--severity",
                "critical",
                "--reason",
                "load test of escalation",
            ],
        );
        refs.push(incident["reference"].as_str().unwrap().to_owned());
    }
    let declared = started.elapsed();

    let pairs = |all: &[firebreak_testkit::Delivery]| -> BTreeSet<(String, String)> {
        all.iter()
            .map(|d| (d.incident().to_owned(), d.recipient().to_owned()))
            .collect()
    };
    hook.wait_for(ALL_PAGES, "a page per level per incident", |all| {
        pairs(all).len() >= 2 * INCIDENTS
    });
    let all_paged = started.elapsed();
    // The last level-2 timeouts pass (both servers look at the database at
    // least every 2 s): the chains end, and nothing arrives twice.
    hook.expect_nothing_until(
        Instant::now() + Duration::from_secs(ACK_TIMEOUT_SECS + 4),
        "every level was paged already",
    );
    let seen = hook.drain();
    eprintln!(
        "{INCIDENTS} incidents declared in {declared:?}; all {} pages in after {all_paged:?}",
        2 * INCIDENTS
    );

    let keys: BTreeMap<&str, usize> = seen.iter().fold(BTreeMap::new(), |mut m, d| {
        *m.entry(d.idempotency_key.as_str()).or_default() += 1;
        m
    });
    let repeated: Vec<(&&str, &usize)> = keys.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    assert_eq!(keys.len(), pairs(&seen).len());
    assert_eq!(seen.len(), 2 * INCIDENTS, "{seen:#?}");
    assert!(seen.iter().all(|d| d.signed));
    let expected: BTreeSet<(String, String)> = refs
        .iter()
        .flat_map(|r| [(r.clone(), "level1".into()), (r.clone(), "level2".into())])
        .collect();
    assert_eq!(pairs(&seen), expected);

    // The servers' own record agrees: two escalations per incident, one
    // per level, and every chain exhausted.
    let mut total = 0;
    for (i, inc) in refs.iter().enumerate() {
        let server = &servers[(i + 1) % 2];
        let escalations = eventually(Duration::from_secs(15), "the chain exhausted", || {
            let e = server
                .run(&["incident", "escalations", inc, "--json"])
                .json();
            e.as_array()
                .unwrap()
                .iter()
                .all(|e| e["chain_state"] == "exhausted")
                .then_some(e)
        });
        let list = escalations.as_array().unwrap();
        let levels: Vec<i64> = list.iter().map(|e| e["level"].as_i64().unwrap()).collect();
        assert_eq!(levels, [1, 2], "{inc}: {escalations:#}");
        assert_eq!(list[1]["rule"], "ack_timeout", "{inc}");
        assert_eq!(list[1]["to_user"]["name"], "level2", "{inc}");
        total += list.len();
    }
    assert_eq!(total, 2 * INCIDENTS);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1"
        ),
        2 * INCIDENTS as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM timers WHERE fired_at IS NULL"),
        0
    );
    // Dropped in reverse order: the servers stop before the database goes.
}

#[test]
fn two_servers_started_at_once_on_an_empty_database_make_one_admin() {
    let Some(db) = fresh_database() else {
        return;
    };
    let options = Options {
        database_url: Some(db.url().to_owned()),
        config: None,
        admin: Admin::Either,
    };
    // Both see an empty database; hashing the password takes long enough
    // that both get to creating `admin`.
    let servers: Vec<Server> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..2)
            .map(|_| s.spawn(|| Server::start_with(options.clone())))
            .collect();
        starts.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let passwords = servers
        .iter()
        .filter(|s| s.admin_password.is_some())
        .count();
    assert_eq!(passwords, 1, "exactly one server prints the admin password");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users"), 1);
    let token = servers[0].token("admin");
    for server in &servers {
        let list = server
            .as_user(&token)
            .run(&["incident", "list", "--json"])
            .json();
        assert_eq!(list, serde_json::json!([]));
    }
}
