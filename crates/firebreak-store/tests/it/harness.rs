//! Fresh databases for the contract tests, and the small helpers the tests
//! share.

use std::convert::Infallible;
use std::future::Future;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor, Row};

use firebreak_api::{Incident, IncidentFilter, Kind, Report, ReportSource, Role, User, UserRef};
use firebreak_store::incidents::IncidentFields;
use firebreak_store::{
    Actor, Backend, IncidentChange, IncidentState, NewIncident, NewReportRecord, NewUser, Reader,
    Store,
};

/// The environment variable naming the PostgreSQL server to test against.
pub const PG_ENV: &str = "FIREBREAK_TEST_POSTGRES_URL";

/// The PostgreSQL server URL, or `None` (with a message) when the PostgreSQL
/// half is to be skipped. Under CI a missing URL is a failure: the suite must
/// not silently test only SQLite there.
pub fn postgres_base_url() -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{PG_ENV} is not set, but CI is: the PostgreSQL half of the store contract \
                     suite must run in CI. Set {PG_ENV} to a server URL whose user may create \
                     databases, e.g. postgres://postgres@127.0.0.1:5432/test"
                );
            }
            eprintln!(
                "SKIPPED: the PostgreSQL half of this store contract test, because {PG_ENV} is \
                 not set (set it to e.g. postgres://postgres@127.0.0.1:5432/test to run it)"
            );
            None
        }
    }
}

/// A migrated store on a fresh database, and a way to reach that database
/// behind the store's back.
#[derive(Clone, Debug)]
pub struct Db {
    pub store: Store,
    raw_url: String,
}

/// A fresh database and what is needed to throw it away.
pub struct Fresh {
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Fresh {
    /// A fresh, migrated database on `backend`; `None` when PostgreSQL is
    /// not configured (see [`postgres_base_url`]).
    pub async fn new(backend: Backend) -> Option<Fresh> {
        sqlx::any::install_default_drivers();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let path = dir.path().join("firebreak.db");
                let store = Store::open(&format!("sqlite:{}", path.display()))
                    .await
                    .expect("open a fresh SQLite store");
                assert_eq!(store.backend(), Backend::Sqlite);
                Some(Fresh {
                    db: Db {
                        store,
                        raw_url: format!("sqlite://{}", path.display()),
                    },
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_base_url()?;
                let name = format!("fbt_{}", hex::encode(rand::random::<[u8; 8]>()));
                let mut admin = AnyConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("connect to {PG_ENV}={admin_url}: {e}"));
                admin
                    .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("a valid PostgreSQL URL");
                url.set_path(&format!("/{name}"));
                let url = url.to_string();
                let store = Store::open(&url)
                    .await
                    .expect("open a fresh PostgreSQL store");
                assert_eq!(store.backend(), Backend::Postgres);
                Some(Fresh {
                    db: Db {
                        store,
                        raw_url: url,
                    },
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }

    /// Closes the store and removes the database, best effort.
    pub async fn teardown(self) {
        self.db.store.close().await;
        match self.cleanup {
            Cleanup::Sqlite(dir) => drop(dir),
            Cleanup::Postgres { admin_url, name } => {
                let dropped = async {
                    let mut admin = AnyConnection::connect(&admin_url).await?;
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
    }
}

/// Runs one contract test on a fresh database of `backend`, and throws the
/// database away afterwards even when the test fails.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(fresh) = Fresh::new(backend).await else {
        return;
    };
    let outcome = tokio::spawn(test(fresh.db.clone())).await;
    fresh.teardown().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => panic!("the test task did not finish: {e}"),
        }
    }
}

impl Db {
    /// A connection of its own to the store's database, for checks and
    /// tampering the store's API does not allow.
    pub async fn raw(&self) -> AnyConnection {
        AnyConnection::connect(&self.raw_url)
            .await
            .expect("connect to the test database directly")
    }

    /// A second store on the same database, as another server process
    /// would open it.
    pub async fn second_store(&self) -> Store {
        Store::connect(&self.raw_url)
            .await
            .expect("open a second store on the test database")
    }

    /// Runs one statement directly; the number of rows it touched.
    pub async fn exec(&self, sql: &str) -> u64 {
        let mut conn = self.raw().await;
        let done = conn
            .execute(AssertSqlSafe(sql.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.ok();
        done.rows_affected()
    }

    /// The one integer a query returns.
    pub async fn int(&self, sql: &str) -> i64 {
        let mut conn = self.raw().await;
        let row = sqlx::query(AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.ok();
        row.try_get::<i64, _>(0).expect("an integer")
    }

    /// The one text (or NULL) a query returns.
    pub async fn text(&self, sql: &str) -> Option<String> {
        let mut conn = self.raw().await;
        let row = sqlx::query(AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.ok();
        row.try_get::<Option<String>, _>(0).expect("a text or NULL")
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.int(&format!("SELECT COUNT(*) FROM {table}")).await
    }

    /// The audit log, oldest first, as (action, target, actor).
    pub async fn audit_trail(&self) -> Vec<(String, String, String)> {
        let mut entries = self.store.audit_entries(100_000).await.expect("audit");
        entries.reverse();
        entries
            .into_iter()
            .map(|e| (e.action, e.target, e.actor))
            .collect()
    }

    /// The actions of the audit log, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        self.audit_trail().await.into_iter().map(|e| e.0).collect()
    }

    pub async fn user(&self, name: &str, role: Role) -> User {
        self.store
            .create_user(
                &NewUser {
                    name: name.to_owned(),
                    display_name: format!("{name} (display)"),
                    email: Some(format!("{name}@example.com")),
                    role,
                    password_hash: None,
                },
                &admin(),
                at(0),
            )
            .await
            .expect("create user")
    }

    pub async fn report(
        &self,
        title: &str,
        confidential: bool,
        by: &Actor,
        now: DateTime<Utc>,
    ) -> Report {
        self.store
            .create_report(
                &NewReportRecord {
                    source: ReportSource::Support,
                    reporter: "customer@example.com".to_owned(),
                    title: title.to_owned(),
                    description: format!("description of {title}"),
                    confidential,
                    service_id: None,
                },
                by,
                now,
            )
            .await
            .expect("create report")
    }

    /// Declares a plain incident: in triage, no severity, owner or members.
    pub async fn declare(
        &self,
        title: &str,
        kind: Kind,
        by: &Actor,
        now: DateTime<Utc>,
    ) -> Incident {
        self.store
            .declare_incident(
                &NewIncident {
                    fields: fields(title, kind),
                    from_report: None,
                    timeline: Vec::new(),
                    members: Vec::new(),
                    escalations: Vec::new(),
                },
                by,
                now,
            )
            .await
            .expect("declare incident")
    }

    /// Applies a change that `edit` builds from the locked state.
    pub async fn change(
        &self,
        id: i64,
        by: &Actor,
        now: DateTime<Utc>,
        edit: impl FnOnce(&IncidentState, &mut IncidentChange) + Send,
    ) -> Incident {
        let changed = self
            .store
            .change_incident(id, by, now, |state| {
                let mut change = IncidentChange::from(state, "incident.update");
                edit(state, &mut change);
                Ok::<_, Infallible>(change)
            })
            .await
            .expect("change incident");
        match changed {
            Ok(incident) => incident,
            Err(never) => match never {},
        }
    }

    /// The ids of the incidents `reader` lists under `filter`.
    pub async fn listed(&self, filter: &IncidentFilter, reader: &Reader) -> Vec<i64> {
        self.store
            .list_incidents(filter, reader)
            .await
            .expect("list incidents")
            .iter()
            .map(|i| i.id)
            .collect()
    }
}

/// A fixed instant with a millisecond part, so that the round trip through
/// integer milliseconds is checked exactly.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0)
        .single()
        .expect("a valid instant")
        + Duration::milliseconds(250)
}

/// `secs` seconds after [`t0`].
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

/// The actor of set-up writes: a local admin command.
pub fn admin() -> Actor {
    Actor::local("test")
}

pub fn actor(user: &User) -> Actor {
    Actor::user(user.id, &user.name)
}

pub fn reader(user: &User, sees_all_confidential: bool) -> Reader {
    Reader {
        user_id: user.id,
        sees_all_confidential,
    }
}

pub fn user_ref(user: &User) -> UserRef {
    UserRef {
        id: user.id,
        name: user.name.clone(),
    }
}

/// The fields of a new incident: in triage, nothing set.
pub fn fields(title: &str, kind: Kind) -> IncidentFields {
    IncidentFields {
        title: title.to_owned(),
        summary: format!("summary of {title}"),
        kind,
        severity: None,
        suggested_severity: firebreak_api::Severity::Low,
        severity_rule: firebreak_api::SeverityRule::NoSignificantImpact,
        phase: firebreak_api::Phase::Triage,
        owner_id: None,
        lead_id: None,
        service_id: None,
        facts: firebreak_api::ImpactFacts::default(),
    }
}

/// A value as JSON, to compare API types that have no `PartialEq`.
pub fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serializable")
}
