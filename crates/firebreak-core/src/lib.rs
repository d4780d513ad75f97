//! The incident-response process as types and pure functions.
//!
//! This crate owns the rules of the user's process document: what the
//! severities mean, which severity the facts suggest, the phases an incident
//! moves through and the gates between them, and who may do what. It knows
//! nothing of HTTP, SQL or the clock: every function that needs "now" takes
//! it as a parameter, so the rules can be tested as tables.
//!
//! It also holds the vocabulary every interface shares (API, web pages, CLI
//! and the local admin commands), so each word has one source: the impact
//! facts' names and labels ([`facts`]), report sources and statuses
//! ([`report`]), integration kinds ([`integration`]), and the rules for user
//! names, e-mail addresses ([`users`]) and passwords ([`password`]).

pub mod auth;
pub mod comms;
pub mod cvss;
pub mod disclosure;
pub mod escalation;
pub mod facts;
pub mod integration;
pub mod oncall;
pub mod password;
pub mod phase;
pub mod report;
pub mod severity;
pub mod status;
pub mod users;

pub use auth::{Action, Role};
pub use facts::UnknownFact;
pub use integration::IntegrationKind;
pub use phase::{
    ChecklistError, GateItem, GateState, ItemAction, ItemStatus, OpenGate, Phase, TransitionError,
    TransitionKind,
};
pub use report::{ReportSource, ReportStatus};
pub use severity::{ImpactFacts, Kind, Severity, SeverityRule, Suggestion};

/// An error for a value that does not name one of an enum's variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what}; expected one of: {expected}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Implements `as_str`, `Display` and `FromStr` for a fieldless enum from one
/// table of names, so the wire names, the database names and the parser
/// cannot drift apart.
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The name used on the wire, in the database and in the CLI.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::ParseEnumError {
                        what: $what,
                        value: s.to_owned(),
                        expected: concat!($($name, " "),+).trim_ascii_end(),
                    }),
                }
            }
        }
    };
}
pub(crate) use named_enum;
