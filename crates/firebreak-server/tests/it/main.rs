//! Integration tests of the server: real HTTP on ephemeral ports, real
//! databases (a SQLite file per test; PostgreSQL where marked), and the web
//! pages in Debian's headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests against a server on the system clock read that clock too; tests of
// timers use `ManualClock`.
#![allow(clippy::disallowed_methods)]

mod a11y;
mod accounts;
mod api;
mod comms;
mod customers;
mod disclosure_public;
mod disclosure_release;
mod disclosure_staff;
mod doctor;
mod escalation;
mod first_run;
mod forms;
mod harness;
mod incident_page;
mod intake;
mod intake_alertmanager;
mod intake_rules_web;
mod intake_setup_web;
mod notify;
mod oncall_page;
mod oncall_setup_web;
mod outgoing;
mod paging;
mod people_web;
mod setup_web;
mod smaller;
mod status_page;
mod triage_web;
mod walk_findings;
mod web;
