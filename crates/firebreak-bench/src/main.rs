//! `firebreak-bench`: the two halves of the intake benchmark that are not
//! `wrk` (see `bench/README.md` and `bench/run.sh`).
//!
//! - `serve` runs Firebreak's HTTP server (the same router `firebreak
//!   serve` runs, with its SQLite defaults: WAL, `synchronous=FULL`) on a
//!   fresh database with one Alertmanager integration, and prints its
//!   webhook path. Escalation workers are not started: nothing here pages.
//! - `load` posts a fixed number of distinct alerts, in batches, to either
//!   Alertmanager's `POST /api/v2/alerts` or Firebreak's webhook, to measure
//!   memory with a known number of open alerts.

use std::io::Write;

/// The same allocator as `firebreak` itself.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

use firebreak_server::{AppState, ServerConfig};
use firebreak_store::intake::NewIntegration;
use firebreak_store::{Actor, Store};

#[derive(Parser)]
#[command(about = "Intake benchmark harness for Firebreak")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Firebreak on a fresh database with one Alertmanager integration.
    Serve {
        /// Directory for the SQLite database; must not hold one already.
        #[arg(long)]
        data_dir: std::path::PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8088")]
        listen: String,
        /// Use this database instead (e.g. postgres://…), fresh.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Post `alerts` distinct alerts in batches of `batch`.
    Load {
        /// The full URL to post to.
        #[arg(long)]
        url: String,
        #[arg(long, value_enum)]
        format: Format,
        #[arg(long, default_value_t = 100_000)]
        alerts: usize,
        #[arg(long, default_value_t = 100)]
        batch: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Makes these alerts distinct from any posted before.
        #[arg(long, default_value = "load")]
        prefix: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Alertmanager's API v2: a JSON array of alerts.
    Postable,
    /// Alertmanager's webhook (version 4), as Alertmanager sends it.
    Webhook,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Cli::parse().command {
        Command::Serve {
            data_dir,
            listen,
            database_url,
        } => serve(&data_dir, &listen, database_url).await,
        Command::Load {
            url,
            format,
            alerts,
            batch,
            concurrency,
            prefix,
        } => load(&url, format, alerts, batch, concurrency, &prefix).await,
    }
}

async fn serve(
    data_dir: &std::path::Path,
    listen: &str,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let url = match database_url {
        Some(u) => u,
        None => {
            let path = data_dir.join("firebreak.db");
            if path.exists() {
                bail!("{} exists: give a fresh --data-dir", path.display());
            }
            format!("sqlite:{}", path.display())
        }
    };
    let store = Store::open(&url).await.context("open the database")?;
    let now = chrono::Utc::now();
    firebreak_server::bootstrap_admin(&store, now).await?;
    let key = firebreak_server::intake::new_integration_key();
    store
        .create_integration(
            &NewIntegration {
                name: "bench".to_owned(),
                kind: "alertmanager".to_owned(),
                service_id: None,
                key: key.clone(),
                mapping: None,
                hmac_secret: None,
                hmac_timestamp_header: None,
                auto_declare: true,
            },
            &Actor::local("bench"),
            now,
        )
        .await?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let config = ServerConfig {
        public_url: format!("http://{addr}"),
        ..ServerConfig::default()
    };
    let state = AppState::new(store, config);
    println!("listening on http://{addr} webhook=/api/v1/intake/alertmanager/{key}");
    std::io::stdout().flush()?;
    firebreak_server::serve(listener, state, shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// One alert, with the labels `bench/alerts.lua` gives alert `k`.
fn alert(prefix: &str, k: usize, format: Format) -> Value {
    let mut a = json!({
        "labels": {
            "alertname": format!("Bench{}", k % 10),
            "service": format!("svc-{}", k % 50),
            "instance": format!("{prefix}-{k}"),
            "severity": "critical",
        },
        "annotations": {"summary": format!("benchmark alert {k} on {prefix}")},
    });
    if let Format::Webhook = format {
        a["status"] = json!("firing");
        a["startsAt"] = json!("2026-01-01T00:00:00Z");
    }
    a
}

fn body(prefix: &str, from: usize, to: usize, format: Format) -> Value {
    let alerts: Vec<Value> = (from..to).map(|k| alert(prefix, k, format)).collect();
    match format {
        Format::Postable => Value::Array(alerts),
        Format::Webhook => json!({
            "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "bench", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://bench", "alerts": alerts,
        }),
    }
}

async fn load(
    url: &str,
    format: Format,
    alerts: usize,
    batch: usize,
    concurrency: usize,
    prefix: &str,
) -> anyhow::Result<()> {
    if batch == 0 || concurrency == 0 {
        bail!("--batch and --concurrency must be positive");
    }
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let http = http.clone();
        let next = next.clone();
        let url = url.to_owned();
        let prefix = prefix.to_owned();
        tasks.push(tokio::spawn(async move {
            loop {
                let from = next.fetch_add(batch, Ordering::Relaxed);
                if from >= alerts {
                    return Ok::<(), anyhow::Error>(());
                }
                let to = (from + batch).min(alerts);
                let res = http
                    .post(&url)
                    .json(&body(&prefix, from, to, format))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("{url} answered {}: {}", res.status(), res.text().await?);
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "loaded {alerts} alerts in {secs:.1}s ({:.0}/s)",
        alerts as f64 / secs
    );
    Ok(())
}
