//! What Firebreak's integration tests share, after kanidm's testkit: a
//! throwaway database per test ([`db`]), a clock tests move by hand
//! ([`clock`]), polling with a deadline ([`eventually`]), a webhook
//! receiver ([`webhook`]) and an SMTP sink ([`smtp`]) standing in for
//! people's pagers and mail servers, and a server started in-process on an
//! ephemeral port ([`app`]), and what Alertmanager posts
//! ([`alertmanager`]), signing in to the web pages ([`web`]) and
//! assertions about text ([`checks`]) and JSON arrays ([`json`]).
//!
//! It is a dev-dependency only (`publish = false`). Like a test, it fails
//! loudly: set-up that cannot happen panics with what went wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Test support reads the wall clock where the code under test does (a
// server on the system clock, a webhook signature's freshness).
#![allow(clippy::disallowed_methods)]

pub mod alertmanager;
pub mod app;
pub mod checks;
pub mod clock;
pub mod db;
pub mod eventually;
pub mod json;
pub mod smtp;
pub mod web;
pub mod webhook;

pub use app::{TestApp, spawn_app};
pub use checks::{assert_contains, assert_lacks};
pub use clock::ManualClock;
pub use db::{Backend, TestDb};
pub use eventually::{eventually, eventually_blocking};
pub use smtp::{SmtpSink, smtp_send, smtp_send_to};
pub use webhook::{Delivery, WebhookReceiver};

/// Runs `future` to the end on a runtime of its own, for synchronous tests
/// (the CLI's) that need one async step.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(future)
}
