//! The public status page's vocabulary: a component's state, an incident's
//! public status, and how an incident's affected customers are chosen.
//! One source for the API, the web pages, the CLI and the status page
//! (whose JSON speaks Atlassian Statuspage's words).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::named_enum;

/// A component's state, in Statuspage's words, mildest first: the order is
/// how bad it is (`Ord`), so a page's worst component is the `max`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

named_enum!(ComponentStatus, "component status", {
    Operational => "operational",
    UnderMaintenance => "under_maintenance",
    DegradedPerformance => "degraded_performance",
    PartialOutage => "partial_outage",
    MajorOutage => "major_outage",
});

impl ComponentStatus {
    /// Words for people: "Degraded performance".
    pub fn label(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "Operational",
            ComponentStatus::UnderMaintenance => "Under maintenance",
            ComponentStatus::DegradedPerformance => "Degraded performance",
            ComponentStatus::PartialOutage => "Partial outage",
            ComponentStatus::MajorOutage => "Major outage",
        }
    }
}

/// An incident's status on the status page (Statuspage's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

named_enum!(PublicStatus, "public status", {
    Investigating => "investigating",
    Identified => "identified",
    Monitoring => "monitoring",
    Resolved => "resolved",
});

impl PublicStatus {
    pub fn label(self) -> &'static str {
        match self {
            PublicStatus::Investigating => "Investigating",
            PublicStatus::Identified => "Identified",
            PublicStatus::Monitoring => "Monitoring",
            PublicStatus::Resolved => "Resolved",
        }
    }

    /// The word a phase suggests for a new update (the author may change it).
    pub fn suggested(phase: crate::Phase) -> PublicStatus {
        use crate::Phase;
        match phase {
            Phase::Triage => PublicStatus::Investigating,
            Phase::Containment | Phase::Remediation => PublicStatus::Identified,
            Phase::Recovery => PublicStatus::Monitoring,
            Phase::PostIncident | Phase::Closed => PublicStatus::Resolved,
        }
    }
}

/// How an incident's affected customers were chosen (stored in
/// `incident_affected.mode`; no row: not chosen yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AffectedMode {
    /// No customer is affected (an internal incident).
    Nobody,
    /// The customers listed by hand (a single-tenant issue is one).
    Customers,
    /// The customers who use the incident's affected components.
    Components,
    /// Every customer.
    All,
}

named_enum!(AffectedMode, "affected mode", {
    Nobody => "nobody",
    Customers => "customers",
    Components => "components",
    All => "all",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_component_is_the_max_and_names_round_trip() {
        let all = ComponentStatus::ALL;
        assert_eq!(all.iter().max(), Some(&ComponentStatus::MajorOutage));
        assert!(ComponentStatus::UnderMaintenance < ComponentStatus::DegradedPerformance);
        for s in all {
            assert_eq!(s.as_str().parse::<ComponentStatus>(), Ok(*s));
        }
        assert!("down".parse::<ComponentStatus>().is_err());
        for m in AffectedMode::ALL {
            assert_eq!(m.as_str().parse::<AffectedMode>(), Ok(*m));
        }
    }
}
