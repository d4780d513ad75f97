//! Escalation: the process's "Escalation" section as a pure decision.
//!
//! [`decide`] reads an incident before and after a change, and what was
//! already sent for it, and returns the escalations the process asks for,
//! each with the rule that fired and a sentence saying why. [`next_step`]
//! says where an unacknowledged page goes when its level's timeout passes.
//! Who the recipients are (which policy, who is on call) is resolved by the
//! server; this module only says *to whom, by role* and *why*.
//!
//! The rules, from the process document:
//! - Critical / High: the incident lead is paged at once; if they do not
//!   answer, the next level of the policy (the backup), and so on.
//! - Critical with customer data or a full outage confirmed: leadership is
//!   notified, once per incident.
//! - Medium / Low: handled within the team (the owning team is notified, no
//!   page); escalated to the incident lead when impact grows (severity
//!   raised), a customer is blocked, or cross-team coordination is needed.
//! - Anyone may escalate by hand at any time, with a reason.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::named_enum;
use crate::severity::{ImpactFacts, Severity};

/// Why an escalation happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Triage set critical or high: the incident lead is paged at once.
    UrgentSeverity,
    /// A level's acknowledgment timeout passed: the next level is paged.
    AckTimeout,
    /// Critical with customer data confirmed: leadership is notified.
    LeadershipCustomerData,
    /// Critical with a full outage confirmed: leadership is notified.
    LeadershipFullOutage,
    /// Medium or low: the owning team is notified, no page.
    TeamNotice,
    /// Severity raised ("impact grows"): escalated to the incident lead.
    SeverityRaised,
    /// A customer is blocked: escalated to the incident lead.
    CustomerBlocked,
    /// The fix needs cross-team coordination: escalated to the incident lead.
    CrossTeam,
    /// Someone escalated by hand.
    Manual,
}

named_enum!(Rule, "escalation rule", {
    UrgentSeverity => "urgent_severity",
    AckTimeout => "ack_timeout",
    LeadershipCustomerData => "leadership_customer_data",
    LeadershipFullOutage => "leadership_full_outage",
    TeamNotice => "team_notice",
    SeverityRaised => "severity_raised",
    CustomerBlocked => "customer_blocked",
    CrossTeam => "cross_team",
    Manual => "manual",
});

/// Who an escalation goes to, by role in the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "to", content = "name")]
pub enum Audience {
    /// The incident lead: the service's escalation policy, else the
    /// configured incident-lead policy. Starts an acknowledgment chain.
    IncidentLead,
    /// The leadership group from the policy configuration.
    Leadership,
    /// The team owning the incident's service (its policy's first level),
    /// notified without a page.
    OwningTeam,
    /// One named user (manual escalations).
    User(String),
}

/// One escalation the process asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub rule: Rule,
    pub audience: Audience,
    /// A page needs acknowledging and escalates on timeout; a notice does not.
    pub page: bool,
    pub reason: String,
}

/// What the rules read of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct View {
    pub severity: Option<Severity>,
    pub facts: ImpactFacts,
}

/// What was already sent for the incident, so each escalation happens once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct History {
    /// A page to the incident lead is active (not yet acknowledged), or was
    /// acknowledged: the lead knows.
    pub lead_engaged: bool,
    pub leadership_notified: bool,
    pub team_notified: bool,
}

/// The escalations a change from `before` to `after` calls for.
pub fn decide(before: &View, after: &View, history: &History) -> Vec<Decision> {
    let mut out = Vec::new();
    let newly = |f: fn(&ImpactFacts) -> bool| f(&after.facts) && !f(&before.facts);
    if let Some(sev) = after.severity {
        let raised = before.severity.is_some_and(|b| sev > b);
        if !history.lead_engaged {
            let lead = if sev.is_urgent() && !before.severity.is_some_and(Severity::is_urgent) {
                Some(match before.severity {
                    Some(b) => (
                        Rule::SeverityRaised,
                        format!(
                            "severity raised from {b} to {sev} (impact grows): the incident lead is paged at once"
                        ),
                    ),
                    None => (
                        Rule::UrgentSeverity,
                        format!(
                            "triaged as {sev}: critical and high incidents page the incident lead at once"
                        ),
                    ),
                })
            } else if !sev.is_urgent() && raised {
                before.severity.map(|b| {
                    (
                        Rule::SeverityRaised,
                        format!("severity raised from {b} to {sev} (impact grows): escalated to the incident lead"),
                    )
                })
            } else if !sev.is_urgent() && newly(|f| f.customer_blocked) {
                Some((
                    Rule::CustomerBlocked,
                    "a customer is blocked: escalated to the incident lead".to_owned(),
                ))
            } else if !sev.is_urgent() && newly(|f| f.cross_team_needed) {
                Some((
                    Rule::CrossTeam,
                    "the fix needs cross-team coordination: escalated to the incident lead"
                        .to_owned(),
                ))
            } else {
                None
            };
            if let Some((rule, reason)) = lead {
                out.push(Decision {
                    rule,
                    audience: Audience::IncidentLead,
                    page: true,
                    reason,
                });
            }
        }
        if !sev.is_urgent() && before.severity.is_none() && !history.team_notified {
            out.push(Decision {
                rule: Rule::TeamNotice,
                audience: Audience::OwningTeam,
                page: false,
                reason: format!("triaged as {sev}: handled within the owning team"),
            });
        }
        if sev == Severity::Critical && !history.leadership_notified {
            let leadership = if after.facts.customer_data_accessed {
                Some((
                    Rule::LeadershipCustomerData,
                    "critical incident with unauthorized access to customer data confirmed",
                ))
            } else if after.facts.full_outage {
                Some((
                    Rule::LeadershipFullOutage,
                    "critical incident with a full outage confirmed",
                ))
            } else {
                None
            };
            if let Some((rule, why)) = leadership {
                out.push(Decision {
                    rule,
                    audience: Audience::Leadership,
                    page: false,
                    reason: format!("{why}: leadership is notified"),
                });
            }
        }
    }
    out
}

/// One level of an escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub targets: Vec<Target>,
    /// Seconds to wait for an acknowledgment before the next level.
    pub ack_timeout_secs: i64,
}

/// Whom a level pages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// A user, by name.
    User(String),
    /// Whoever is on call on a schedule, by name, when the level fires.
    Schedule(String),
}

/// An escalation policy: ordered levels, and how many times to run through
/// them again when nobody acknowledges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub levels: Vec<Level>,
    #[serde(default)]
    pub repeat: u32,
}

/// Why a policy is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("a policy needs at least one level")]
    NoLevels,
    #[error("level {0} has no targets")]
    NoTargets(usize),
    #[error("level {0}: ack_timeout_secs must be between 1 and 86400")]
    BadTimeout(usize),
    #[error("repeat must be at most 10")]
    TooManyRepeats,
}

impl Policy {
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.levels.is_empty() {
            return Err(PolicyError::NoLevels);
        }
        for (i, level) in self.levels.iter().enumerate() {
            if level.targets.is_empty() {
                return Err(PolicyError::NoTargets(i + 1));
            }
            if !(1..=86_400).contains(&level.ack_timeout_secs) {
                return Err(PolicyError::BadTimeout(i + 1));
            }
        }
        if self.repeat > 10 {
            return Err(PolicyError::TooManyRepeats);
        }
        Ok(())
    }
}

/// Where an unacknowledged page goes when its level times out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Page this level (0-based) in this round (0 is the first run through).
    Level { level: usize, round: u32 },
    /// Every level and repeat was tried: nobody acknowledged.
    Exhausted,
}

/// The step after `level` in `round` timed out.
pub fn next_step(policy: &Policy, level: usize, round: u32) -> Step {
    if level + 1 < policy.levels.len() {
        Step::Level {
            level: level + 1,
            round,
        }
    } else if round < policy.repeat {
        Step::Level {
            level: 0,
            round: round + 1,
        }
    } else {
        Step::Exhausted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(sev: Option<Severity>, f: impl FnOnce(&mut ImpactFacts)) -> View {
        let mut facts = ImpactFacts::default();
        f(&mut facts);
        View {
            severity: sev,
            facts,
        }
    }

    fn summary(ds: &[Decision]) -> Vec<String> {
        ds.iter()
            .map(|d| {
                format!(
                    "{} -> {:?}{}",
                    d.rule,
                    d.audience,
                    if d.page { " (page)" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn the_process_rules_as_a_table() {
        use Severity::*;
        let none = History::default();
        let engaged = History {
            lead_engaged: true,
            ..History::default()
        };
        let all = History {
            lead_engaged: true,
            leadership_notified: true,
            team_notified: true,
        };
        let cases: Vec<(&str, View, View, History, Vec<&str>)> = vec![
            (
                "triage critical pages the lead",
                view(None, |_| {}),
                view(Some(Critical), |_| {}),
                none,
                vec!["urgent_severity -> IncidentLead (page)"],
            ),
            (
                "triage high pages the lead",
                view(None, |_| {}),
                view(Some(High), |_| {}),
                none,
                vec!["urgent_severity -> IncidentLead (page)"],
            ),
            (
                "critical with customer data also notifies leadership",
                view(None, |_| {}),
                view(Some(Critical), |f| f.customer_data_accessed = true),
                none,
                vec![
                    "urgent_severity -> IncidentLead (page)",
                    "leadership_customer_data -> Leadership",
                ],
            ),
            (
                "confirming a full outage later notifies leadership only",
                view(Some(Critical), |_| {}),
                view(Some(Critical), |f| f.full_outage = true),
                engaged,
                vec!["leadership_full_outage -> Leadership"],
            ),
            (
                "leadership is notified once per incident",
                view(Some(Critical), |f| f.full_outage = true),
                view(Some(Critical), |f| {
                    f.full_outage = true;
                    f.customer_data_accessed = true
                }),
                all,
                vec![],
            ),
            (
                "high with customer data is not leadership's",
                view(None, |_| {}),
                view(Some(High), |f| f.customer_data_accessed = true),
                none,
                vec!["urgent_severity -> IncidentLead (page)"],
            ),
            (
                "triage medium notifies the team, no page",
                view(None, |_| {}),
                view(Some(Medium), |_| {}),
                none,
                vec!["team_notice -> OwningTeam"],
            ),
            (
                "triage low notifies the team",
                view(None, |_| {}),
                view(Some(Low), |_| {}),
                none,
                vec!["team_notice -> OwningTeam"],
            ),
            (
                "a blocked customer escalates medium to the lead",
                view(Some(Medium), |_| {}),
                view(Some(Medium), |f| f.customer_blocked = true),
                none,
                vec!["customer_blocked -> IncidentLead (page)"],
            ),
            (
                "cross-team work escalates low to the lead",
                view(Some(Low), |_| {}),
                view(Some(Low), |f| f.cross_team_needed = true),
                none,
                vec!["cross_team -> IncidentLead (page)"],
            ),
            (
                "low raised to medium escalates to the lead",
                view(Some(Low), |_| {}),
                view(Some(Medium), |_| {}),
                none,
                vec!["severity_raised -> IncidentLead (page)"],
            ),
            (
                "medium raised to high pages the lead",
                view(Some(Medium), |_| {}),
                view(Some(High), |_| {}),
                none,
                vec!["severity_raised -> IncidentLead (page)"],
            ),
            (
                "a lead already engaged is not paged again",
                view(Some(High), |_| {}),
                view(Some(Critical), |_| {}),
                engaged,
                vec![],
            ),
            (
                "lowering severity escalates nothing",
                view(Some(High), |_| {}),
                view(Some(Medium), |_| {}),
                engaged,
                vec![],
            ),
            (
                "a blocked customer on a high incident adds nothing",
                view(Some(High), |_| {}),
                view(Some(High), |f| f.customer_blocked = true),
                engaged,
                vec![],
            ),
            (
                "no severity yet, nothing to decide",
                view(None, |_| {}),
                view(None, |f| f.customer_blocked = true),
                none,
                vec![],
            ),
            (
                "the facts staying blocked do not escalate twice",
                view(Some(Medium), |f| f.customer_blocked = true),
                view(Some(Medium), |f| f.customer_blocked = true),
                none,
                vec![],
            ),
        ];
        for (name, before, after, history, expected) in cases {
            assert_eq!(
                summary(&decide(&before, &after, &history)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn every_decision_says_why() {
        let d = decide(
            &View::default(),
            &view(Some(Severity::Critical), |f| {
                f.customer_data_accessed = true
            }),
            &History::default(),
        );
        assert_eq!(
            d[0].reason,
            "triaged as critical: critical and high incidents page the incident lead at once"
        );
        assert_eq!(
            d[1].reason,
            "critical incident with unauthorized access to customer data confirmed: leadership is notified"
        );
    }

    #[test]
    fn steps_go_to_the_backup_then_repeat_then_stop() {
        let level = |s| Level {
            targets: vec![Target::User("a".into())],
            ack_timeout_secs: s,
        };
        let p = Policy {
            levels: vec![level(300), level(300)],
            repeat: 1,
        };
        assert_eq!(next_step(&p, 0, 0), Step::Level { level: 1, round: 0 });
        assert_eq!(next_step(&p, 1, 0), Step::Level { level: 0, round: 1 });
        assert_eq!(next_step(&p, 1, 1), Step::Exhausted);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(
            Policy {
                levels: vec![],
                repeat: 0
            }
            .validate(),
            Err(PolicyError::NoLevels)
        );
        assert_eq!(
            Policy {
                levels: vec![level(0)],
                repeat: 0
            }
            .validate(),
            Err(PolicyError::BadTimeout(1))
        );
    }

    #[test]
    fn policies_read_from_json() {
        let p: Policy = serde_json::from_str(
            r#"{"levels":[{"targets":[{"schedule":"primary"}],"ack_timeout_secs":300},{"targets":[{"user":"bob"}],"ack_timeout_secs":600}],"repeat":2}"#,
        )
        .unwrap();
        assert_eq!(
            p.levels[0].targets,
            vec![Target::Schedule("primary".into())]
        );
        assert!(serde_json::from_str::<Policy>(r#"{"levels":[],"bogus":1}"#).is_err());
    }
}
