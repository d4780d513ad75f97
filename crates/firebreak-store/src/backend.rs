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

/// Counts the SQLite write pool's connections as they are opened: the
/// intake writer's `PRAGMA data_version` is only comparable within one
/// connection, so a new connection means its map must be read again.
pub(crate) type WriteGeneration = std::sync::Arc<std::sync::atomic::AtomicU64>;

pub(crate) async fn connect(url: &str) -> Result<(Backend, AnyPool, AnyPool, WriteGeneration)> {
    let generation = WriteGeneration::default();
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
            Ok((backend, pool.clone(), pool, generation))
        }
        Backend::Sqlite => {
            // One writer: SQLite has one write lock anyway, and queueing in
            // the pool is cheaper than spinning on SQLITE_BUSY. Readers get
            // their own connections; WAL lets them read while it writes.
            // The write connection is kept for the life of the pool: the
            // intake writer compares its `PRAGMA data_version` from batch to
            // batch, which only means something on one connection (and
            // `generation` says when the connection was replaced anyway).
            let counter = generation.clone();
            let write = sqlite_pool(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(move |conn, _meta| {
                    let counter = counter.clone();
                    Box::pin(async move {
                        sqlite_pragmas(conn).await?;
                        conn.execute(WRITER_AUTOCHECKPOINT).await?;
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok(())
                    })
                })
                .connect_with(options.clone())
                .await?;
            let read = sqlite_pool(8).connect_with(options).await?;
            Ok((backend, write, read, generation))
        }
    }
}

/// The write connection lets the write-ahead log grow to 4,000 pages before
/// it checkpoints by itself, in its own commit (SQLite's default is 1,000).
/// The background checkpointer normally copies the log well before that.
const WRITER_AUTOCHECKPOINT: &str = "PRAGMA wal_autocheckpoint = 4000;";

/// Pause between two background checkpoints.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(50);

/// SQLite: a task that copies the write-ahead log into the database file
/// (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks the writer) when
/// kicked, at most every [`CHECKPOINT_PAUSE`]. Without it the write
/// connection does that work inside the commit of whichever batch crosses
/// SQLite's threshold, and that batch's requests wait for it. It does
/// nothing while nobody kicks it, and stops when the last sender (the last
/// `Store` clone) is gone.
pub(crate) fn checkpointer(pool: AnyPool) -> tokio::sync::mpsc::Sender<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %e, "background checkpoint failed");
            }
            tokio::time::sleep(CHECKPOINT_PAUSE).await;
        }
    });
    tx
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // A local file needs no ping before each use; the ping is one more
        // hand-off to the connection's thread for every batch of intake.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| Box::pin(async move { sqlite_pragmas(conn).await }))
}

async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> std::result::Result<(), sqlx::Error> {
    // FULL: a write acknowledged to a client survives a power cut.
    // MEMORY: statement journals (multi-row statements keep one to undo a
    // failed statement) stay off the disk.
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = MEMORY;",
    )
    .await?;
    Ok(())
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
