//! Intake: integrations, alerts deduplicated into the triage queue, routing
//! rules, silences, maintenance windows, change events and inbound e-mail.
//!
//! This module owns the tables of migration `0003_intake`. It knows nothing
//! of wire formats: the server parses payloads (with `firebreak-intake`),
//! decides routing, and hands the store plain records to write.
//!
//! Alerts are written in batches ([`Store::ingest_alerts`]): one transaction
//! for many deliveries (HTTP requests), with multi-row statements, so that
//! the server's group-commit writer pays for one commit and a handful of
//! statements per batch instead of per alert. Every batch appends one audit
//! entry per integration it touched, listing what it opened and resolved.
//! What a batch writes is decided by the pure state machine of
//! `firebreak_intake::dedup`; the two backends write it differently
//! ([`ingest_sqlite`], [`ingest_postgres`]).
//!
//! One open alert per (integration, dedup key): the column `open_key` holds
//! `"<integration id>:<dedup key>"` while the alert is open and NULL once it
//! is resolved. On PostgreSQL, where several servers write, a unique index
//! on it keeps that rule and row locks order the writers. On SQLite, where
//! the intake writer is the one process and connection that writes alerts,
//! the writer keeps the open alerts' keys in memory ([`OpenAlerts`]) and the
//! column has no unique index: that index cost a write to a random page per
//! new alert (migration `0004_intake_open_alerts`).
//!
//! The rooms: [`integrations`], [`alerts`] (the records and their reads),
//! [`ingest_sqlite`] and [`ingest_postgres`] (the batch writers),
//! [`routing`] (rules, silences, maintenance windows), [`email`] (inbound
//! messages and attachments), [`triage`] (queue, backlog, noise) and
//! [`changes`] (change events).

pub mod alerts;
pub mod changes;
pub mod email;
mod ingest_postgres;
mod ingest_sqlite;
pub mod integrations;
pub mod routing;
pub mod triage;

#[cfg(test)]
mod tests;

pub use alerts::{
    AlertDelivery, AlertFilter, AlertRecord, AlertSignal, AlertStatus, AlertStatusFilter,
    AlertWrite,
};
pub use changes::ChangeEventWrite;
pub use email::{AttachmentRecord, AttachmentWrite, EmailOutcome, EmailWrite};
pub use firebreak_intake::dedup::{AlertOutcome, AlertOutcomeKind, Disposition};
pub(crate) use ingest_sqlite::OpenAlerts;
pub use integrations::{IntegrationRecord, NewIntegration, integration_user_name};
pub use routing::{
    MaintenanceRecord, MaintenanceWrite, RoutingSnapshot, RuleRecord, RuleWrite, SilenceRecord,
    SilenceWrite,
};
pub use triage::{NoiseRow, SourceBacklog, TriageFilter};

/// Rows per multi-row statement: well under SQLite's 32,766 parameters
/// (19 per alert row) and PostgreSQL's 65,535.
const CHUNK: usize = 200;

/// `$start, $start+1, …` for `n` parameters (small statements).
fn list(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key that holds an alert open: its integration and dedup key.
fn open_key(integration_id: i64, dedup_key: &str) -> String {
    format!("{integration_id}:{dedup_key}")
}
