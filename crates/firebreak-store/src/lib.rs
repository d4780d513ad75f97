//! Persistence for Firebreak: one [`Store`] over SQLite or PostgreSQL.
//!
//! This crate is the only one that knows SQL. The backend is chosen at run
//! time from the URL; the SQL is written once, in the subset both speak
//! (`$1` placeholders, `RETURNING`, integer milliseconds for times, 0/1 for
//! flags), and runs through sqlx's `Any` driver. The few real differences
//! (row locks on PostgreSQL, one writer connection and WAL on SQLite) are in
//! [`backend`].
//!
//! Every write is one transaction that also appends to the audit hash chain
//! ([`audit`]) and, for incidents, to the timeline. No sqlx type leaves the
//! crate: errors are [`StoreError`].
//!
//! The shapes every module shares live in one place each: reading a row
//! into a struct ([`row`]: `Column` converts the stored forms, `from_row!`
//! fills the fields), lists filtered by optional conditions ([`filter`]),
//! and the end of a write to a record: audit, read back, commit
//! ([`record`]).

#[macro_use]
mod visibility;
#[macro_use]
mod row;
pub mod audit;
mod backend;
pub mod comms;
pub mod customers;
pub mod disclosures;
pub mod escalations;
mod filter;
pub mod firstrun;
pub mod incidents;
pub mod intake;
pub mod live;
mod record;
pub mod reports;
pub mod secrets;
pub mod services;
pub mod status;
pub mod users;

use chrono::{DateTime, TimeZone, Utc};

pub use backend::Backend;
pub use escalations::Setting;
pub use escalations::{
    ChainRef, DeliveryOutcome, Directory, DueTimer, EscalationWrite, OutboxItem, OutboxWrite,
    Recipient, TimerPlan,
};
pub use firstrun::FirstRunFacts;
pub use incidents::{IncidentChange, IncidentState, NewIncident, TimelineEntry};
pub use reports::NewReportRecord;
pub use users::{NewUser, SessionInfo};

/// A store error. `Conflict` and `NotFound` carry a message fit for users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(format!("migration failed: {e}"))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who made a change, as the timeline and the audit log name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(id: i64, name: &str) -> Actor {
        Actor {
            user_id: Some(id),
            name: name.to_owned(),
        }
    }

    /// A local admin command run against the database directly.
    pub fn local(command: &str) -> Actor {
        Actor {
            user_id: None,
            name: format!("local:{command}"),
        }
    }

    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".to_owned(),
        }
    }
}

/// Who is reading: decides which confidential records exist for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    pub user_id: i64,
    /// Security team and admins see every confidential record.
    pub sees_all_confidential: bool,
}

/// A query whose first two parameters say who reads: `$1` the reader's
/// user id, `$2` 1 when they see every confidential record (the
/// parameters of the visibility rules in [`visibility`]).
pub(crate) trait BindReader {
    fn bind_reader(self, reader: &Reader) -> Self;
}

/// A query on either backend.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

impl BindReader for AnyQuery<'_> {
    fn bind_reader(self, reader: &Reader) -> Self {
        self.bind(reader.user_id)
            .bind(i64::from(reader.sees_all_confidential))
    }
}

/// The store: a handle to one database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    write: sqlx::AnyPool,
    read: sqlx::AnyPool,
    /// SQLite: the intake writer's open alerts (see [`intake`]).
    open_alerts: std::sync::Arc<tokio::sync::Mutex<intake::OpenAlerts>>,
    /// SQLite: how many write connections have been opened.
    write_generation: backend::WriteGeneration,
    /// SQLite: asks the background checkpointer to run (see
    /// [`backend::checkpointer`]); None on PostgreSQL.
    checkpoints: Option<std::sync::Arc<tokio::sync::mpsc::Sender<()>>>,
}

impl Store {
    /// Opens the database at `url` (`sqlite:PATH`, a plain path, or
    /// `postgres://…`), creating a SQLite file if needed, and applies
    /// migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        let (backend, write, read, write_generation) = backend::connect(url).await?;
        let checkpoints = match backend {
            Backend::Sqlite => Some(std::sync::Arc::new(backend::checkpointer(read.clone()))),
            Backend::Postgres => None,
        };
        Ok(Store {
            backend,
            write,
            read,
            open_alerts: Default::default(),
            write_generation,
            checkpoints,
        })
    }

    /// Applies the migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.write)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.write)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// SQLite: after a large write, lets the background checkpointer copy
    /// the write-ahead log into the database, off the writer's path. Cheap:
    /// a kick while one is pending is dropped.
    pub(crate) fn checkpoint_soon(&self) {
        if let Some(tx) = &self.checkpoints {
            let _ = tx.try_send(());
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write never fails halfway.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// The suffix that locks selected rows for the rest of the transaction.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }
}

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Milliseconds since the epoch, as stored.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time back as a `DateTime`. Out-of-range values (never written by
/// Firebreak) become the epoch rather than a panic.
pub(crate) fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub(crate) fn flag(v: bool) -> i64 {
    i64::from(v)
}
