//! Responsible disclosure (issue 12): the researcher-facing side (the
//! public `/security` form, the secret status link, security.txt, published
//! advisories and acknowledgments) and the security team's side (API,
//! pages and CLI to reply, acknowledge, triage, score, set the embargo,
//! declare the incident, mark fixed and disclosed, and publish advisories),
//! with reminders through the outbox.
//!
//! Everything but the public pages needs `read_disclosures` or
//! `manage_disclosures`; to anyone else a disclosure does not exist.

pub mod advisories;
pub mod advisory_web;
pub mod api;
pub mod email;
pub mod intake;
pub mod limits;
pub mod public;
pub mod published;
pub mod remind;
pub mod staff;
pub mod web;
