//! Starts a server in-process on a listener bound to port 0, over a fresh
//! database (`firebreak_testkit::spawn_app`), and the set-up and checks the
//! server's tests share.

use std::sync::Arc;

use firebreak_server::{Clock, ServerConfig, SystemClock};

pub use firebreak_testkit::db::Backend as Db;
pub use firebreak_testkit::{ManualClock, TestApp};

/// A server on SQLite.
pub async fn spawn() -> TestApp {
    spawn_on(Db::Sqlite).await.expect("SQLite is always there")
}

/// A server on the chosen database; `None` when PostgreSQL is not
/// configured outside CI.
pub async fn spawn_on(db: Db) -> Option<TestApp> {
    spawn_with(db, |_| {}, Arc::new(SystemClock)).await
}

/// A server on SQLite and the system clock, with its configuration
/// adjusted.
pub async fn spawn_configured(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    spawn_with(Db::Sqlite, configure, Arc::new(SystemClock))
        .await
        .expect("SQLite is always there")
}

/// A server on SQLite whose incidents page their lead through the
/// `incident-lead` policy.
pub async fn spawn_paging_leads() -> TestApp {
    spawn_configured(|c| c.escalation.incident_lead_policy = Some("incident-lead".into())).await
}

/// A server with its configuration adjusted and the given clock.
pub async fn spawn_with(
    db: Db,
    configure: impl FnOnce(&mut ServerConfig),
    clock: Arc<dyn Clock>,
) -> Option<TestApp> {
    firebreak_testkit::spawn_app(db, configure, clock).await
}

/// Two tests of one scenario: `$sqlite` on SQLite, and `$postgres` on
/// PostgreSQL when it is configured (see `firebreak_testkit::db`). `$run`
/// is the scenario, given the server as `$app`.
macro_rules! on_both_databases {
    ($sqlite:ident, $postgres:ident, |$app:ident| $run:expr) => {
        #[tokio::test]
        async fn $sqlite() {
            let $app = crate::harness::spawn().await;
            $run;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some($app) = crate::harness::spawn_on(crate::harness::Db::Postgres).await {
                $run;
            }
        }
    };
}
pub(crate) use on_both_databases;
