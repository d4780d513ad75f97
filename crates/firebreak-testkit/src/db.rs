//! A database per test, thrown away afterwards: a SQLite file in a
//! temporary directory, or a fresh PostgreSQL database made on the server
//! `FIREBREAK_TEST_POSTGRES_URL` names and dropped at the end (with
//! whatever is still connected).
//!
//! Every PostgreSQL database gets a random name (`fbt_<16 hex digits>`), so
//! tests running in parallel, in one binary or several, never share one.
//! Without the variable PostgreSQL tests are skipped with a message, except
//! in CI (`CI` set), where that is a failure: the suite must not silently
//! test only SQLite there.

use std::path::Path;

use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor, Row};

pub use firebreak_store::Backend;

/// The environment variable naming the PostgreSQL server to test against.
pub const PG_ENV: &str = "FIREBREAK_TEST_POSTGRES_URL";

/// The PostgreSQL server URL, or `None` (with a message) when PostgreSQL
/// tests are to be skipped. Under CI a missing URL is a failure.
pub fn postgres_base_url() -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{PG_ENV} is not set, but CI is: the PostgreSQL tests must run in CI. Set \
                     {PG_ENV} to a server URL whose user may create databases, e.g. \
                     postgres://postgres@127.0.0.1:5432/test"
                );
            }
            eprintln!(
                "SKIPPED: the PostgreSQL half of this test, because {PG_ENV} is not set (set \
                 it to e.g. postgres://postgres@127.0.0.1:5432/test to run it)"
            );
            None
        }
    }
}

/// A fresh, empty database of one backend, removed when dropped (or,
/// waiting for it, by [`TestDb::teardown`]).
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    url: String,
    sql: Sql,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres(PgDatabase),
}

impl TestDb {
    /// A fresh database on `backend`; `None` when PostgreSQL is not
    /// configured (see [`postgres_base_url`]).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        sqlx::any::install_default_drivers();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let path = dir.path().join("firebreak.db");
                Some(TestDb {
                    backend,
                    url: format!("sqlite:{}", path.display()),
                    sql: Sql::new(format!("sqlite://{}", path.display())),
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            Backend::Postgres => {
                let db = PgDatabase::create(&postgres_base_url()?).await;
                Some(TestDb {
                    backend,
                    url: db.url.clone(),
                    sql: Sql::new(db.url.clone()),
                    cleanup: Cleanup::Postgres(db),
                })
            }
        }
    }

    /// [`TestDb::new`] for a synchronous test.
    pub fn new_blocking(backend: Backend) -> Option<TestDb> {
        crate::block_on(TestDb::new(backend))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL to open a store on (`sqlite:<file>` or the PostgreSQL URL).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Direct SQL on the database, behind the store's back.
    pub fn sql(&self) -> &Sql {
        &self.sql
    }

    /// The temporary directory the SQLite file is in; `None` on PostgreSQL.
    pub fn dir(&self) -> Option<&Path> {
        match &self.cleanup {
            Cleanup::Sqlite(dir) => Some(dir.path()),
            Cleanup::Postgres(_) => None,
        }
    }

    /// Removes the database now, best effort (a failure is printed, not
    /// raised: the test has its own outcome to report).
    pub async fn teardown(self) {
        match self.cleanup {
            Cleanup::Sqlite(dir) => drop(dir),
            Cleanup::Postgres(mut db) => db.drop_now().await,
        }
    }
}

/// A PostgreSQL database of its own, dropped (with whatever is still
/// connected) at the end.
#[derive(Debug)]
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> PgDatabase {
        let name = format!("fbt_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut admin = connect(admin_url).await;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        admin.close().await.ok();
        let mut url = url::Url::parse(admin_url)
            .unwrap_or_else(|e| panic!("{PG_ENV}={admin_url} is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        PgDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
            dropped: false,
        }
    }

    async fn drop_now(&mut self) {
        if std::mem::replace(&mut self.dropped, true) {
            return;
        }
        let name = &self.name;
        let dropped = async {
            let mut admin = AnyConnection::connect(&self.admin_url).await?;
            admin
                .execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await?;
            admin.close().await
        };
        if let Err(e) = dropped.await {
            eprintln!("warning: could not drop test database {name}: {e}");
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop cannot await, and may run inside a runtime: a thread with a
        // runtime of its own does the work.
        let mut db = PgDatabase {
            admin_url: self.admin_url.clone(),
            name: self.name.clone(),
            url: self.url.clone(),
            dropped: false,
        };
        self.dropped = true;
        let _ = std::thread::spawn(move || crate::block_on(db.drop_now())).join();
    }
}

async fn connect(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// Direct SQL on a test database, for checks and tampering the store's API
/// does not allow. Each call opens a connection of its own.
#[derive(Clone, Debug)]
pub struct Sql {
    url: String,
}

impl Sql {
    pub fn new(url: String) -> Sql {
        Sql { url }
    }

    /// The URL of the database (`sqlite://<file>` or the PostgreSQL URL).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection of its own to the database.
    pub async fn raw(&self) -> AnyConnection {
        connect(&self.url).await
    }

    /// Runs one statement; the number of rows it touched.
    pub async fn exec(&self, sql: &str) -> u64 {
        let mut conn = self.raw().await;
        let done = conn
            .execute(AssertSqlSafe(sql.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.ok();
        done.rows_affected()
    }

    /// Every row a query returns.
    pub async fn rows(&self, sql: &str) -> Vec<sqlx::any::AnyRow> {
        let mut conn = self.raw().await;
        let rows = sqlx::query(AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.ok();
        rows
    }

    /// The first row a query returns.
    async fn one_row(&self, sql: &str) -> sqlx::any::AnyRow {
        let rows = self.rows(sql).await;
        rows.into_iter()
            .next()
            .unwrap_or_else(|| panic!("{sql}: no row"))
    }

    /// The one integer a query returns.
    pub async fn int(&self, sql: &str) -> i64 {
        let row = self.one_row(sql).await;
        row.try_get::<i64, _>(0).expect("an integer")
    }

    /// [`Sql::int`] for a synchronous test.
    pub fn int_blocking(&self, sql: &str) -> i64 {
        crate::block_on(self.int(sql))
    }

    /// The one text (or NULL) a query returns.
    pub async fn text(&self, sql: &str) -> Option<String> {
        let row = self.one_row(sql).await;
        row.try_get::<Option<String>, _>(0).expect("a text or NULL")
    }

    /// The number of rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        self.int(&format!("SELECT COUNT(*) FROM {table}")).await
    }
}
