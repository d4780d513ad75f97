//! Escalation latency benchmark (issue: "every escalation fires on time,
//! once, with its reason").
//!
//! Run: `cargo bench -p firebreak-server --bench escalation`
//! (environment: BENCH_INCIDENTS, default 10000; BENCH_RATE declarations per
//! second, default 200; BENCH_TIMEOUT ack timeout in seconds, default 60, so
//! that all 10,000 deadlines are pending at once).
//!
//! It runs the real server state and worker loop on a SQLite file at
//! synchronous=FULL with the system clock, and a webhook receiver on
//! loopback. It declares critical incidents at a steady rate through the
//! same `actions::declare` the API uses; each pages `lead1` at once and
//! sets an acknowledgment deadline; nobody acknowledges, so at the deadline
//! `backup1` is paged. It reports:
//! - triage → first delivery: from the declaration's commit to the page
//!   arriving at the receiver;
//! - deadline → delivery: from each deadline to the backup page arriving;
//! - the worker's CPU time while nothing is due (no busy polling).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark measures real time.
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use chrono::Utc;
use serde_json::json;

use firebreak_api::{DeclareIncident, ImpactFacts, Kind, Severity};
use firebreak_core::escalation::{Level, Policy, Target};
use firebreak_server::notify::{Notifier, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};
use firebreak_server::{AppState, ServerConfig};
use firebreak_store::{Actor, NewUser, Store};

type Arrivals = Arc<Mutex<HashMap<(String, String), (Instant, chrono::DateTime<Utc>)>>>;

async fn hook(State(arrivals): State<Arrivals>, body: Bytes) -> &'static str {
    let now = (Instant::now(), Utc::now());
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let key = (
        v["incident"]["ref"].as_str().unwrap_or("").to_owned(),
        v["recipient"].as_str().unwrap_or("").to_owned(),
    );
    arrivals.lock().unwrap().entry(key).or_insert(now);
    "ok"
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc (clock ticks of 1/100 s).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{name}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        ms.len(),
        percentile(&ms, 0.50),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n = env("BENCH_INCIDENTS", 10_000) as usize;
    let rate = env("BENCH_RATE", 200);
    let timeout = env("BENCH_TIMEOUT", 60) as i64;

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("bench.db").display()))
        .await
        .unwrap();
    let arrivals: Arrivals = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(arrivals.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let now = Utc::now();
    let system = Actor::local("bench");
    let mut admin = None;
    for name in ["admin", "lead1", "backup1"] {
        let u = store
            .create_user(
                &NewUser {
                    name: name.into(),
                    display_name: name.into(),
                    email: None,
                    role: firebreak_api::Role::Admin,
                    password_hash: None,
                },
                &system,
                now,
            )
            .await
            .unwrap();
        if name == "admin" {
            admin = Some(u);
        } else {
            let r = store.user_ref(name).await.unwrap();
            store
                .add_contact_method(
                    &r,
                    "hook",
                    &json!({"kind": "webhook", "url": hook_url}),
                    0,
                    // Set by the operator: the bench receiver is on loopback.
                    true,
                    &system,
                    now,
                )
                .await
                .unwrap();
        }
    }
    let admin = admin.unwrap();
    let policy = Policy {
        levels: vec![
            Level {
                targets: vec![Target::User("lead1".into())],
                ack_timeout_secs: timeout,
            },
            Level {
                targets: vec![Target::User("backup1".into())],
                ack_timeout_secs: 3600,
            },
        ],
        repeat: 0,
    };
    store
        .put_policy(
            "incident-lead",
            &serde_json::to_value(&policy).unwrap(),
            &system,
            now,
        )
        .await
        .unwrap();

    let mut config = ServerConfig::default();
    config.escalation.incident_lead_policy = Some("incident-lead".into());
    let state = AppState::new(store.clone(), config);
    let workers = Workers::new(
        state.clone(),
        Notifier::new(None, Templates::default()).unwrap(),
        WorkerConfig::default(),
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(workers.run(stopped));

    // Declare at a steady rate; remember when each declaration committed.
    println!(
        "declaring {n} critical incidents at {rate}/s, ack timeout {timeout} s (SQLite, synchronous=FULL)"
    );
    let mut committed: Vec<(String, Instant, chrono::DateTime<Utc>)> = Vec::with_capacity(n);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    for i in 0..n {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let req = DeclareIncident {
            title: format!("bench incident {i}"),
            summary: None,
            kind: Kind::Availability,
            severity: Some(Severity::Critical),
            severity_reason: None,
            facts: Some(ImpactFacts {
                full_outage: true,
                ..ImpactFacts::default()
            }),
            owner: Some("admin".into()),
            lead: None,
            service: None,
        };
        let incident = firebreak_server::actions::declare(&state.ctx(&admin), &req, None)
            .await
            .unwrap();
        committed.push((
            incident.reference.clone(),
            Instant::now(),
            incident.declared_at,
        ));
    }
    let declared_in = start.elapsed();
    println!(
        "declared in {:.1} s ({:.0}/s)",
        declared_in.as_secs_f64(),
        n as f64 / declared_in.as_secs_f64()
    );

    // Wait for every backup page (deadline + delivery), bounded.
    let last_deadline = committed.last().unwrap().1 + Duration::from_secs(timeout as u64);
    let give_up = last_deadline + Duration::from_secs(60);
    loop {
        let got = arrivals
            .lock()
            .unwrap()
            .keys()
            .filter(|(_, who)| who == "backup1")
            .count();
        if got >= n || Instant::now() > give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Idle: nothing due for an hour; the worker must sleep.
    let cpu0 = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle_cpu = cpu_seconds() - cpu0;

    let arrivals = arrivals.lock().unwrap().clone();
    let mut first = Vec::new();
    let mut deadline = Vec::new();
    let mut missing = 0;
    for (reference, at, declared_at) in &committed {
        match arrivals.get(&(reference.clone(), "lead1".into())) {
            Some((t, _)) => first.push(t.saturating_duration_since(*at).as_secs_f64() * 1000.0),
            None => missing += 1,
        }
        // The deadline as stored: the declaration's time plus the timeout.
        let due = *declared_at + chrono::Duration::seconds(timeout);
        match arrivals.get(&(reference.clone(), "backup1".into())) {
            Some((_, t)) => {
                deadline.push((*t - due).num_microseconds().unwrap_or(0) as f64 / 1000.0)
            }
            None => missing += 1,
        }
    }
    report("triage -> first delivery", first);
    report("deadline -> delivery", deadline);
    println!("missing deliveries: {missing}");
    println!("worker CPU while idle for 5 s: {:.3} s", idle_cpu);
    let _ = stop.send(true);
    let _ = worker.await;
}
