//! Kinds and severities of incidents, as the process's classification table
//! defines them, and the severity suggested by the facts of an incident's
//! impact.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::named_enum;

/// What an incident is about, from the process's "Scope".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Suspected or confirmed unauthorized access, data breach, abuse, or a
    /// vulnerability affecting customer data or system integrity.
    Security,
    /// Outage or severe degradation of the service affecting customers.
    Availability,
}

named_enum!(Kind, "kind", { Security => "security", Availability => "availability" });

/// Severity from the process's classification table. Ordered so that
/// `Critical > High > Medium > Low`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

named_enum!(Severity, "severity", {
    Low => "low", Medium => "medium", High => "high", Critical => "critical",
});

impl Severity {
    /// The process's description of this severity.
    pub fn description(self) -> &'static str {
        match self {
            Severity::Critical => "Active breach or full service outage",
            Severity::High => "Significant security issue or major partial outage",
            Severity::Medium => "Isolated finding or limited degradation",
            Severity::Low => "Minor issue, no or limited customer impact",
        }
    }

    /// The process's examples of this severity.
    pub fn example(self) -> &'static str {
        match self {
            Severity::Critical => {
                "Confirmed unauthorized access to customer data; platform unavailable to all users"
            }
            Severity::High => "Vulnerability under active exploitation; major feature unavailable",
            Severity::Medium => "Single-tenant issue; elevated error rates in one region",
            Severity::Low => "Non-sensitive config exposure; brief connectivity blip",
        }
    }

    /// Critical and High incidents are prioritized and escalated at once.
    pub fn is_urgent(self) -> bool {
        self >= Severity::High
    }
}

/// What is known about an incident's impact. The suggestion reads these; the
/// escalation and communication rules read them too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImpactFacts {
    /// Unauthorized access to customer data is confirmed.
    pub customer_data_accessed: bool,
    /// The platform is unavailable to all users.
    pub full_outage: bool,
    /// A vulnerability is under active exploitation.
    pub active_exploitation: bool,
    /// A major feature is unavailable.
    pub major_feature_unavailable: bool,
    /// An isolated security finding.
    pub isolated_finding: bool,
    /// Only a single tenant is affected.
    pub single_tenant: bool,
    /// Degradation (for example elevated error rates) in one region.
    pub regional_degradation: bool,
    /// A customer is blocked by the incident.
    pub customer_blocked: bool,
    /// The fix needs cross-team coordination.
    pub cross_team_needed: bool,
    /// Contractual commitments (for example an SLA) are affected.
    pub sla_affected: bool,
}

/// Which row of the classification table produced a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeverityRule {
    CustomerDataAccessed,
    FullOutage,
    ActiveExploitation,
    MajorFeatureUnavailable,
    IsolatedFinding,
    SingleTenant,
    RegionalDegradation,
    NoSignificantImpact,
}

named_enum!(SeverityRule, "severity rule", {
    CustomerDataAccessed => "customer_data_accessed",
    FullOutage => "full_outage",
    ActiveExploitation => "active_exploitation",
    MajorFeatureUnavailable => "major_feature_unavailable",
    IsolatedFinding => "isolated_finding",
    SingleTenant => "single_tenant",
    RegionalDegradation => "regional_degradation",
    NoSignificantImpact => "no_significant_impact",
});

impl SeverityRule {
    /// A sentence saying why the rule fired.
    pub fn explanation(self) -> &'static str {
        match self {
            SeverityRule::CustomerDataAccessed => {
                "confirmed unauthorized access to customer data is an active breach (critical)"
            }
            SeverityRule::FullOutage => "the platform is unavailable to all users (critical)",
            SeverityRule::ActiveExploitation => {
                "a vulnerability under active exploitation is a significant security issue (high)"
            }
            SeverityRule::MajorFeatureUnavailable => {
                "a major feature unavailable is a major partial outage (high)"
            }
            SeverityRule::IsolatedFinding => "an isolated finding (medium)",
            SeverityRule::SingleTenant => "a single-tenant issue is limited degradation (medium)",
            SeverityRule::RegionalDegradation => {
                "degradation in one region is limited degradation (medium)"
            }
            SeverityRule::NoSignificantImpact => "no or limited customer impact (low)",
        }
    }
}

/// A suggested severity and the rule that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    pub severity: Severity,
    pub rule: SeverityRule,
}

/// Suggests a severity from the facts, following the classification table
/// from its most severe row down: the first row whose facts hold wins.
pub fn suggest(facts: &ImpactFacts) -> Suggestion {
    let table: [(bool, Severity, SeverityRule); 7] = [
        (
            facts.customer_data_accessed,
            Severity::Critical,
            SeverityRule::CustomerDataAccessed,
        ),
        (
            facts.full_outage,
            Severity::Critical,
            SeverityRule::FullOutage,
        ),
        (
            facts.active_exploitation,
            Severity::High,
            SeverityRule::ActiveExploitation,
        ),
        (
            facts.major_feature_unavailable,
            Severity::High,
            SeverityRule::MajorFeatureUnavailable,
        ),
        (
            facts.isolated_finding,
            Severity::Medium,
            SeverityRule::IsolatedFinding,
        ),
        (
            facts.single_tenant,
            Severity::Medium,
            SeverityRule::SingleTenant,
        ),
        (
            facts.regional_degradation,
            Severity::Medium,
            SeverityRule::RegionalDegradation,
        ),
    ];
    table
        .iter()
        .find(|(holds, _, _)| *holds)
        .map(|&(_, severity, rule)| Suggestion { severity, rule })
        .unwrap_or(Suggestion {
            severity: Severity::Low,
            rule: SeverityRule::NoSignificantImpact,
        })
}

/// The severity an incident is triaged with: the one chosen, else the
/// facts' suggestion. No incident leaves triage (or is declared) without a
/// severity; every interface declares through this rule.
pub fn triage_severity(chosen: Option<Severity>, facts: &ImpactFacts) -> Severity {
    chosen.unwrap_or_else(|| suggest(facts).severity)
}

/// Whether choosing `chosen` needs a recorded reason: when it differs from
/// the suggestion, or when it changes a severity already set.
pub fn severity_choice_needs_reason(
    current: Option<Severity>,
    suggested: Severity,
    chosen: Severity,
) -> bool {
    match current {
        Some(current) => current != chosen,
        None => suggested != chosen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(names: &[&str]) -> ImpactFacts {
        match ImpactFacts::from_names(names) {
            Ok(f) => f,
            Err(e) => unreachable!("{e}"),
        }
    }

    #[test]
    fn suggestion_follows_the_classification_table() {
        let cases: &[(&[&str], Severity, SeverityRule)] = &[
            (
                &["customer_data_accessed"],
                Severity::Critical,
                SeverityRule::CustomerDataAccessed,
            ),
            (
                &["full_outage"],
                Severity::Critical,
                SeverityRule::FullOutage,
            ),
            (
                &["full_outage", "single_tenant"],
                Severity::Critical,
                SeverityRule::FullOutage,
            ),
            (
                &["active_exploitation"],
                Severity::High,
                SeverityRule::ActiveExploitation,
            ),
            (
                &["major_feature_unavailable"],
                Severity::High,
                SeverityRule::MajorFeatureUnavailable,
            ),
            (
                &["major_feature_unavailable", "customer_data_accessed"],
                Severity::Critical,
                SeverityRule::CustomerDataAccessed,
            ),
            (
                &["isolated_finding"],
                Severity::Medium,
                SeverityRule::IsolatedFinding,
            ),
            (
                &["single_tenant"],
                Severity::Medium,
                SeverityRule::SingleTenant,
            ),
            (
                &["regional_degradation"],
                Severity::Medium,
                SeverityRule::RegionalDegradation,
            ),
            (&[], Severity::Low, SeverityRule::NoSignificantImpact),
            (
                &["customer_blocked", "sla_affected"],
                Severity::Low,
                SeverityRule::NoSignificantImpact,
            ),
        ];
        for (names, severity, rule) in cases {
            let got = suggest(&facts(names));
            assert_eq!(
                got,
                Suggestion {
                    severity: *severity,
                    rule: *rule
                },
                "facts {names:?}"
            );
        }
    }

    #[test]
    fn severities_are_ordered_and_round_trip() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::High > Severity::Medium);
        assert!(Severity::Medium > Severity::Low);
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(*s));
        }
        let err = "severe".parse::<Severity>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`severe` is not a valid severity; expected one of: low medium high critical"
        );
    }

    #[test]
    fn a_reason_is_needed_only_to_depart_from_the_suggestion_or_change() {
        use Severity::*;
        let cases = [
            (None, High, High, false),
            (None, High, Critical, true),
            (Some(High), Critical, High, false),
            (Some(High), High, Critical, true),
        ];
        for (current, suggested, chosen, needs) in cases {
            assert_eq!(
                severity_choice_needs_reason(current, suggested, chosen),
                needs
            );
        }
    }
}
