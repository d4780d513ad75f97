//! Alert intake as pure functions.
//!
//! This crate owns the first step of the process's "Detection and reporting":
//! turning what monitoring tools, other paging tools and people send us into
//! one shape, [`NormalizedAlert`], that the server stores as a report. It
//! parses the wire formats of Prometheus Alertmanager, PagerDuty's Events API
//! v2, Grafana alerting, an admin-mapped generic JSON webhook and inbound
//! e-mail, and it decides which routing rule, silence or maintenance window
//! applies to an alert's labels. It also decides how a batch of alerts
//! deduplicates against the alerts already open ([`dedup`]), which the
//! store then writes.
//!
//! It does no IO, spawns nothing, reads no clock and knows no HTTP types:
//! callers hand it bytes, and every function that needs "now" takes it as a
//! parameter, so the whole crate can be tested as tables and fuzzed.

pub mod alertmanager;
pub mod dedup;
pub mod email;
pub mod generic;
pub mod grafana;
mod json;
pub mod normalized;
pub mod pagerduty;
pub mod rules;
mod time;

pub use normalized::{
    AlertStatus, Link, NormalizedAlert, SourceKind, labels_fingerprint, severity_from_label,
};

/// Why a payload was refused.
///
/// Every variant says where the fault is, so the answer to the sender (and
/// the audit log) can point at the field rather than at "bad request".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// The body is not well-formed JSON (truncated, not UTF-8, trailing
    /// garbage).
    #[error("body is not valid JSON (line {line}, column {column}): {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is well-formed but a field is missing, has the wrong type or
    /// a value the format does not allow. `path` is the field's JSON path in
    /// the dotted form `alerts[0].labels`; the document itself is `.`.
    #[error("`{path}`: {message}")]
    Invalid { path: String, message: String },
    /// The bytes could not be read as an RFC 5322 message.
    #[error("e-mail could not be parsed: {0}")]
    Email(String),
}

impl IntakeError {
    /// The JSON path of the field at fault, when the fault is in one field.
    pub fn path(&self) -> Option<&str> {
        match self {
            IntakeError::Invalid { path, .. } => Some(path),
            IntakeError::Syntax { .. } | IntakeError::Email(_) => None,
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        IntakeError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}
