//! The store contract suite: one binary, every contract test run against a
//! fresh SQLite file and a fresh PostgreSQL database.
//!
//! PostgreSQL comes from `FIREBREAK_TEST_POSTGRES_URL` (a server URL whose
//! user may `CREATE DATABASE`; every test gets its own database, dropped at
//! the end). Without it the PostgreSQL half is skipped with a message, unless
//! `CI` is set, where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod contract;
mod harness;
mod schema;
