//! The getting-started checklist: what a new install still needs before a
//! page can reach someone, each step linking to the page that does it and
//! ticked from what exists (never from a box someone ticks). [`checklist`]
//! is pure over the [`Directory`], the escalation settings in force and
//! the [`FirstRunFacts`]; [`web`] shows it on the home page of an install
//! that is not set up yet, and on `/admin`, the set-up hub.

pub mod web;

use firebreak_store::{Directory, FirstRunFacts};

use crate::escalate::{EscalationConfig, is_service_account};

/// One step of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// A stable id (`people`, `contact`, `test-page`, `schedule`, `policy`,
    /// `lead-policy`, `monitoring`), the element id's suffix.
    pub id: &'static str,
    pub title: &'static str,
    /// Why it matters, or what is there now.
    pub detail: String,
    /// The page that does it.
    pub href: &'static str,
    pub done: bool,
}

/// The steps, in the order a new user takes them. `config` is the
/// escalation configuration in force (file and settings).
pub fn checklist(dir: &Directory, config: &EscalationConfig, facts: FirstRunFacts) -> Vec<Step> {
    let people: Vec<_> = dir
        .users
        .iter()
        .filter(|u| !u.disabled && !is_service_account(&u.name))
        .collect();
    let reachable = people
        .iter()
        .filter(|u| dir.contacts.iter().any(|c| c.user_id == u.id))
        .count();
    let lead_policy = config
        .incident_lead_policy
        .as_deref()
        .filter(|p| dir.policies.contains_key(*p));
    let count = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    vec![
        Step {
            id: "people",
            title: "Add the people who respond",
            detail: if people.len() > 1 {
                format!("{} so far.", count(people.len(), "person", "people"))
            } else {
                "Only you so far: add the responders and incident leads, with their roles."
                    .to_owned()
            },
            href: "/admin/users",
            done: people.len() > 1,
        },
        Step {
            id: "contact",
            title: "Give them a way to be paged",
            detail: if reachable > 0 {
                format!(
                    "{} can be reached (a contact method: webhook, email, Slack, Teams).",
                    count(reachable, "person", "people")
                )
            } else {
                "Nobody can be paged yet: add a contact method (webhook, email, Slack, Teams) \
                 on a person's page."
                    .to_owned()
            },
            href: "/admin/users",
            done: reachable > 0,
        },
        Step {
            id: "test-page",
            title: "Send a test page",
            detail: if facts.test_pages_delivered > 0 {
                format!(
                    "{} delivered.",
                    count(
                        usize::try_from(facts.test_pages_delivered).unwrap_or(usize::MAX),
                        "test page",
                        "test pages"
                    )
                )
            } else {
                "Press “Send test page” beside a contact method and see it arrive.".to_owned()
            },
            href: "/admin/users",
            done: facts.test_pages_delivered > 0,
        },
        Step {
            id: "schedule",
            title: "Make an on-call schedule",
            detail: if dir.schedules.is_empty() {
                "Who is on call, in which time zone, and when shifts change.".to_owned()
            } else {
                format!("{}.", count(dir.schedules.len(), "schedule", "schedules"))
            },
            href: "/admin/schedules",
            done: !dir.schedules.is_empty(),
        },
        Step {
            id: "policy",
            title: "Make an escalation policy",
            detail: if dir.policies.is_empty() {
                "Who is paged first, and who next when nobody acknowledges.".to_owned()
            } else {
                format!("{}.", count(dir.policies.len(), "policy", "policies"))
            },
            href: "/admin/policies",
            done: !dir.policies.is_empty(),
        },
        Step {
            id: "lead-policy",
            title: "Choose who pages the incident lead",
            detail: match lead_policy {
                Some(p) => {
                    format!("Critical and high incidents page the incident lead through “{p}”.")
                }
                None => "Until a policy is chosen, a critical incident without a service policy \
                         pages nobody."
                    .to_owned(),
            },
            href: "/admin/settings",
            done: lead_policy.is_some(),
        },
        Step {
            id: "monitoring",
            title: "Connect a monitoring tool",
            detail: if facts.integrations > 0 {
                format!(
                    "{} connected.",
                    count(
                        usize::try_from(facts.integrations).unwrap_or(usize::MAX),
                        "integration",
                        "integrations"
                    )
                )
            } else {
                "Alertmanager, PagerDuty Events, Grafana or any JSON webhook: alerts land in \
                 the triage queue."
                    .to_owned()
            },
            href: "/admin/integrations",
            done: facts.integrations > 0,
        },
    ]
}

#[cfg(test)]
mod tests;
