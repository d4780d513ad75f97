//! The few things SQLite and PostgreSQL do differently: how to connect, how
//! many writers, and the pragmas that make SQLite durable and concurrent.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::{Result, StoreError};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Turns a user's database argument into a URL sqlx understands: a
/// `postgres://` URL stays as it is; `sqlite:PATH` or a bare path becomes a
/// SQLite URL that creates the file if missing.
pub fn normalize_url(url: &str) -> Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() || path.contains("://") {
        return Err(StoreError::BadUrl(format!(
            "`{url}`: expected postgres://…, sqlite:PATH or a file path"
        )));
    }
    let path = path.split('?').next().unwrap_or(path);
    Ok((Backend::Sqlite, format!("sqlite://{path}?mode=rwc")))
}

pub(crate) async fn connect(url: &str) -> Result<(Backend, AnyPool, AnyPool)> {
    sqlx::any::install_default_drivers();
    let (backend, url) = normalize_url(url)?;
    let options =
        AnyConnectOptions::from_str(&url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    match backend {
        Backend::Postgres => {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok((backend, pool.clone(), pool))
        }
        Backend::Sqlite => {
            // One writer: SQLite has one write lock anyway, and queueing in
            // the pool is cheaper than spinning on SQLITE_BUSY. Readers get
            // their own connections; WAL lets them read while it writes.
            let write = sqlite_pool(1).connect_with(options.clone()).await?;
            let read = sqlite_pool(8).connect_with(options).await?;
            Ok((backend, write, read))
        }
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // FULL: a write acknowledged to a client survives a power cut.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        let cases = [
            (
                "postgres://u@h/db",
                Some((Backend::Postgres, "postgres://u@h/db")),
            ),
            (
                "sqlite:/tmp/a.db",
                Some((Backend::Sqlite, "sqlite:///tmp/a.db?mode=rwc")),
            ),
            (
                "sqlite:///tmp/a.db",
                Some((Backend::Sqlite, "sqlite:///tmp/a.db?mode=rwc")),
            ),
            (
                "./data/f.db",
                Some((Backend::Sqlite, "sqlite://./data/f.db?mode=rwc")),
            ),
            ("mysql://x", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = normalize_url(input).ok();
            let want = want.map(|(b, u)| (b, u.to_owned()));
            assert_eq!(got, want, "{input}");
        }
    }
}
