//! The contract every backend of the store keeps. Each module lists its
//! tests once with [`contract_tests!`], which runs each of them on SQLite
//! (`…::sqlite::<name>`) and on PostgreSQL (`…::postgres::<name>`).

/// Expands `name, …` (async functions taking a [`crate::harness::Db`]) into
/// a `#[tokio::test]` per backend, in modules `sqlite` and `postgres`.
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::harness::run(firebreak_store::Backend::Sqlite, super::$name).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::harness::run(firebreak_store::Backend::Postgres, super::$name).await;
                }
            )+
        }
    };
}

mod advisories;
mod audit;
mod concurrency;
mod customers;
mod disclosure_workflow;
mod disclosures;
mod incidents;
mod intake;
mod reports;
mod services;
mod users;
