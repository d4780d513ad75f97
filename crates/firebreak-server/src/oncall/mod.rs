//! On call and escalation: schedules and who is on call, escalation
//! policies, contact methods (removing them and test pages in
//! [`contacts`]), paging, acknowledgment and the notifications
//! sent, over the JSON API ([`api`]) and the web pages ([`web`]). The
//! escalation engine itself is [`crate::escalate`]; sending is
//! [`crate::notify`].

pub mod api;
pub mod board;
pub mod contacts;
pub mod setup;
pub mod web;
