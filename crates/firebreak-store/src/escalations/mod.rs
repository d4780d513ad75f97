//! Escalation records, durable timers and the notification outbox.
//!
//! The server decides (with `firebreak-core`) what to escalate and to whom;
//! this module writes it: an escalation chain per page, a row per
//! escalation, a timer row per acknowledgment deadline, and an outbox row per
//! message, all in the transaction of the change that caused them. Timers
//! and outbox rows are claimed by workers with row locks on PostgreSQL
//! (`FOR UPDATE SKIP LOCKED`) or under SQLite's single writer, and acted on
//! in the same transaction that marks them done, so a deadline fires once
//! however many servers share the database.
//!
//! The rooms: [`directory`] (what decisions read and admins configure),
//! [`pages`] (writing escalations, acknowledging), [`timers`] (deadlines
//! that fire once), [`outbox`] (messages and their delivery) and
//! [`settings`] (escalation settings changed in the web) and [`testpages`]
//! (test pages, and removing contact methods).

pub mod directory;
pub mod outbox;
pub mod pages;
pub mod settings;
pub mod testpages;
pub mod timers;

pub use directory::Directory;
pub use outbox::{DeliveryOutcome, OutboxItem};
pub use pages::{AckChain, ChainRef, EscalationWrite, OutboxWrite, PageSummary, Recipient};
pub use settings::Setting;
pub use timers::{DueTimer, PendingDeadline, TimerPlan};

fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}
