//! The vocabulary of reports: where a report came from ([`ReportSource`])
//! and where it stands in triage ([`ReportStatus`]), each with the one
//! table of names the API, the database, the web pages and the CLI use.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::named_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    Support,
    Monitoring,
    Disclosure,
    Email,
    Manual,
    Api,
}

named_enum!(ReportSource, "report source", {
    Support => "support",
    Monitoring => "monitoring",
    Disclosure => "disclosure",
    Email => "email",
    Manual => "manual",
    Api => "api",
});

impl ReportSource {
    /// The source named `s`, if there is one.
    pub fn parse(s: &str) -> Option<ReportSource> {
        s.parse().ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Untriaged,
    Declared,
    Linked,
    Dismissed,
}

named_enum!(ReportStatus, "report status", {
    Untriaged => "untriaged",
    Declared => "declared",
    Linked => "linked",
    Dismissed => "dismissed",
});

impl ReportStatus {
    /// The status named `s`, if there is one.
    pub fn parse(s: &str) -> Option<ReportStatus> {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_are_the_wire_names() {
        for s in ReportSource::ALL {
            let wire = serde_json::to_value(s).unwrap();
            assert_eq!(wire, s.as_str());
            assert_eq!(ReportSource::parse(s.as_str()), Some(*s));
        }
        for s in ReportStatus::ALL {
            let wire = serde_json::to_value(s).unwrap();
            assert_eq!(wire, s.as_str());
            assert_eq!(ReportStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ReportSource::parse("pager"), None);
        assert_eq!(ReportStatus::parse("Untriaged"), None);
    }
}
