//! The incident page's header: what an on-call engineer needs at a glance
//! (age, acknowledgment, who is paged now, when the next escalation level
//! fires, and what keeps the incident from its next phase), computed from
//! the incident, its escalations and its pending acknowledgment deadlines.
//! Pure: the page handler loads, this module decides what to say.

use chrono::{DateTime, Utc};

use firebreak_api::{ChecklistEntry, Escalation, Incident, ItemStatus, Phase, TimelineEvent};
use firebreak_core::escalation::{Policy, Step, Target, next_step};
use firebreak_store::escalations::PendingDeadline;

use crate::web::age;

/// Whether anyone answered the incident's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckState {
    /// No page was sent (medium and low incidents are not paged by default).
    NotPaged,
    /// Pages are out and nobody has acknowledged yet.
    Waiting,
    /// Someone acknowledged: who and when.
    Acknowledged { by: String, at: DateTime<Utc> },
    /// Every level and repeat was tried and nobody acknowledged.
    Exhausted,
}

/// When the next escalation level fires, and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextEscalation {
    pub at: DateTime<Utc>,
    /// "in 4 min", or "due now" once the deadline has passed.
    pub in_words: String,
    /// "level 2: alice, schedule primary", or "nobody else: the page ends
    /// unacknowledged".
    pub what: String,
}

/// The header of the incident page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glance {
    /// Time since the incident was declared, in words.
    pub age: String,
    pub ack: AckState,
    /// Who the active pages are waiting on, by name.
    pub paging: Vec<String>,
    pub next: Option<NextEscalation>,
    pub next_phase: Option<Phase>,
    /// The current phase's gate items still open, by label.
    pub blockers: Vec<String>,
}

impl Glance {
    pub fn new(
        incident: &Incident,
        escalations: &[Escalation],
        deadlines: &[PendingDeadline],
        now: DateTime<Utc>,
    ) -> Glance {
        Glance {
            age: age((now - incident.declared_at).num_seconds()),
            ack: ack_state(escalations),
            paging: paging_now(escalations),
            next: deadlines.first().map(|d| next_escalation(d, now)),
            next_phase: incident.phase.next(),
            blockers: blockers(incident)
                .into_iter()
                .map(|c| c.label.clone())
                .collect(),
        }
    }

    /// The blockers as one sentence: "Impact contained and Evidence
    /// preserved".
    pub fn blockers_in_words(&self) -> String {
        in_words(&self.blockers)
    }
}

/// "a", "a and b", "a, b and c".
pub fn in_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The current phase's gate items that keep the incident from its next
/// phase: open ones, and waivers this incident no longer allows.
pub fn blockers(incident: &Incident) -> Vec<&ChecklistEntry> {
    if !incident.open {
        return Vec::new();
    }
    incident
        .checklist
        .iter()
        .filter(|c| c.phase == incident.phase)
        .filter(|c| match c.status {
            ItemStatus::Done => false,
            ItemStatus::Waived => !c.waivable,
            ItemStatus::Open => true,
        })
        .collect()
}

fn ack_state(escalations: &[Escalation]) -> AckState {
    let pages = || escalations.iter().filter(|e| e.page);
    if let Some(e) = pages()
        .filter(|e| e.chain_state.as_deref() == Some("acknowledged"))
        .max_by_key(|e| e.acknowledged_at)
    {
        return AckState::Acknowledged {
            by: e
                .acknowledged_by
                .clone()
                .unwrap_or_else(|| "someone".into()),
            at: e.acknowledged_at.unwrap_or(e.at),
        };
    }
    if pages().any(|e| e.chain_state.as_deref() == Some("active")) {
        AckState::Waiting
    } else if pages().any(|e| e.chain_state.as_deref() == Some("exhausted")) {
        AckState::Exhausted
    } else {
        AckState::NotPaged
    }
}

/// The recipients of each active chain's latest level.
fn paging_now(escalations: &[Escalation]) -> Vec<String> {
    let active: Vec<&Escalation> = escalations
        .iter()
        .filter(|e| e.page && e.chain_state.as_deref() == Some("active") && e.state == "routed")
        .collect();
    let mut names: Vec<String> = Vec::new();
    let chains: std::collections::BTreeSet<Option<i64>> =
        active.iter().map(|e| e.chain_id).collect();
    for chain in chains {
        let of_chain: Vec<&&Escalation> = active.iter().filter(|e| e.chain_id == chain).collect();
        let Some(latest) = of_chain.iter().map(|e| (e.at, e.level)).max() else {
            continue;
        };
        for e in of_chain.iter().filter(|e| (e.at, e.level) == latest) {
            let name = e.to_user.as_ref().map_or(&e.to, |u| &u.name);
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

fn next_escalation(d: &PendingDeadline, now: DateTime<Utc>) -> NextEscalation {
    let secs = (d.due_at - now).num_seconds();
    let when = if secs <= 0 {
        "due now".to_owned()
    } else {
        format!("in {}", age(secs))
    };
    let what = match serde_json::from_value::<Policy>(d.policy.clone()) {
        Ok(policy) => {
            let level = usize::try_from(d.level).unwrap_or(0);
            let round = u32::try_from(d.round).unwrap_or(0);
            match next_step(&policy, level, round) {
                Step::Level { level, round } => {
                    let targets = policy
                        .levels
                        .get(level)
                        .map(|l| {
                            l.targets
                                .iter()
                                .map(|t| match t {
                                    Target::User(u) => u.clone(),
                                    Target::Schedule(s) => format!("whoever is on call on {s}"),
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default();
                    let again = if round > 0 {
                        format!(" (repeat {round})")
                    } else {
                        String::new()
                    };
                    format!(
                        "level {}{again} of {}: {}",
                        level + 1,
                        d.policy_name,
                        in_words(&targets)
                    )
                }
                Step::Exhausted => {
                    "nobody else: the page ends unacknowledged and the fallback is told".to_owned()
                }
            }
        }
        Err(_) => format!("the next level of {}", d.policy_name),
    };
    NextEscalation {
        at: d.due_at,
        in_words: when,
        what,
    }
}

/// Which timeline events a filter shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimelineFilter {
    #[default]
    All,
    Notes,
    Escalations,
    Changes,
}

impl TimelineFilter {
    pub const ALL: &'static [TimelineFilter] = &[
        TimelineFilter::All,
        TimelineFilter::Notes,
        TimelineFilter::Escalations,
        TimelineFilter::Changes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineFilter::All => "all",
            TimelineFilter::Notes => "notes",
            TimelineFilter::Escalations => "escalations",
            TimelineFilter::Changes => "changes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimelineFilter::All => "All",
            TimelineFilter::Notes => "Notes",
            TimelineFilter::Escalations => "Escalations",
            TimelineFilter::Changes => "Changes",
        }
    }

    /// The filter an event falls under, besides `All`.
    pub fn of(event: &TimelineEvent) -> TimelineFilter {
        match event.kind.as_str() {
            "note" => TimelineFilter::Notes,
            "escalated"
            | "escalation_exhausted"
            | "escalation_stopped"
            | "acknowledged"
            | "notification_failed"
            | "unrouted"
            | "page" => TimelineFilter::Escalations,
            _ => TimelineFilter::Changes,
        }
    }

    pub fn keeps(self, event: &TimelineEvent) -> bool {
        self == TimelineFilter::All || TimelineFilter::of(event) == self
    }
}

#[cfg(test)]
mod tests;
