//! Reports and their triage: the JSON API ([`api`]), the report form and
//! the triage page ([`web`], [`triage_page`]). Alert-backed additions to the
//! queue (filters, backlog, bulk triage, noise) are shared with
//! [`crate::intake::triage`].

pub mod api;
pub mod triage_page;
pub mod web;
