//! End-to-end tests of the `firebreak` binary: a real server process on a
//! fresh SQLite database, driven entirely through the CLI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod lifecycle;
mod support;
