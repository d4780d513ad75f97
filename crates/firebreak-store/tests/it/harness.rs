//! Fresh databases for the contract tests, and the small helpers the tests
//! share.

use std::convert::Infallible;
use std::future::Future;

use chrono::{DateTime, Duration, TimeZone, Utc};
use firebreak_testkit::TestDb;
use firebreak_testkit::db::Sql;

use firebreak_api::{
    Incident, IncidentFilter, Kind, Report, ReportSource, Role, Service, User, UserRef,
};
use firebreak_store::incidents::IncidentFields;
use firebreak_store::{
    Actor, Backend, IncidentChange, IncidentState, NewIncident, NewReportRecord, NewUser, Reader,
    Store,
};

/// A migrated store on a fresh database, and a way to reach that database
/// behind the store's back (`Db` derefs to the testkit's [`Sql`]).
#[derive(Clone, Debug)]
pub struct Db {
    pub store: Store,
    sql: Sql,
}

impl std::ops::Deref for Db {
    type Target = Sql;

    fn deref(&self) -> &Sql {
        &self.sql
    }
}

/// A fresh database and what is needed to throw it away.
pub struct Fresh {
    pub db: Db,
    test_db: TestDb,
}

impl Fresh {
    /// A fresh, migrated database on `backend`; `None` when PostgreSQL is
    /// not configured (see `firebreak_testkit::db::postgres_base_url`).
    pub async fn new(backend: Backend) -> Option<Fresh> {
        let test_db = TestDb::new(backend).await?;
        let store = Store::open(test_db.url())
            .await
            .unwrap_or_else(|e| panic!("open a fresh {backend:?} store: {e}"));
        assert_eq!(store.backend(), backend);
        Some(Fresh {
            db: Db {
                store,
                sql: test_db.sql().clone(),
            },
            test_db,
        })
    }

    /// Closes the store and removes the database, best effort.
    pub async fn teardown(self) {
        self.db.store.close().await;
        self.test_db.teardown().await;
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
    /// A second store on the same database, as another server process
    /// would open it.
    pub async fn second_store(&self) -> Store {
        Store::connect(self.sql.url())
            .await
            .expect("open a second store on the test database")
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

    /// The entries of the audit log with `action`, oldest first.
    pub async fn audit_of(&self, action: &str) -> Vec<(String, String, String)> {
        let mut trail = self.audit_trail().await;
        trail.retain(|e| e.0 == action);
        trail
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

    /// Creates service `name` of `team`, with no description, at `at(0)`.
    pub async fn service(&self, name: &str, team: &str) -> Service {
        self.store
            .create_service(name, team, "", &admin(), at(0))
            .await
            .expect("create service")
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
                &new_incident(fields(title, kind), None, Vec::new()),
                by,
                now,
            )
            .await
            .expect("declare incident")
    }

    /// Declares `new` (see [`new_incident`]).
    pub async fn declare_new(&self, new: NewIncident, by: &Actor, now: DateTime<Utc>) -> Incident {
        self.store
            .declare_incident(&new, by, now)
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

/// A new incident with no timeline entries or escalations of its own.
pub fn new_incident(
    fields: IncidentFields,
    from_report: Option<i64>,
    members: Vec<i64>,
) -> NewIncident {
    NewIncident {
        fields,
        from_report,
        timeline: Vec::new(),
        members,
        escalations: Vec::new(),
    }
}

/// An entry of [`Db::audit_trail`]: (action, target, actor).
pub fn entry(
    action: impl Into<String>,
    target: impl Into<String>,
    actor: impl Into<String>,
) -> (String, String, String) {
    (action.into(), target.into(), actor.into())
}

/// A value as JSON, to compare API types that have no `PartialEq`.
pub fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serializable")
}
