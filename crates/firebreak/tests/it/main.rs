//! End-to-end tests of the `firebreak` binary: real server processes on a
//! fresh SQLite database (or a PostgreSQL one), driven entirely through the
//! CLI, with a webhook receiver standing in for people's pagers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod ack;
mod advisories;
mod audit;
mod config;
mod customers;
mod disclosures;
mod doctor;
mod intake;
mod lifecycle;
mod oncall;
mod postgres;
mod restart;
mod smaller;
mod support;
