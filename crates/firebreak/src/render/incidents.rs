//! The text of incidents: tables, an incident with its checklist by phase
//! and its timeline, and its escalations and notifications.

use std::fmt::Write;

use firebreak_api::{
    ChecklistEntry, Escalation, Incident, ItemStatus, Notification, Phase, TimelineEvent,
};

use super::{indent, joined, list_table, one_line, time, user};

/// The severity, or `unset (suggested: …)`.
pub fn severity(i: &Incident) -> String {
    match i.severity {
        Some(s) => s.to_string(),
        None => format!("unset (suggested: {})", i.suggested_severity),
    }
}

pub fn incident_table(list: &[Incident]) -> String {
    list_table(
        list,
        "no incidents",
        &[
            "REF", "SEVERITY", "KIND", "PHASE", "OWNER", "DECLARED", "TITLE",
        ],
        |i| {
            vec![
                i.reference.clone(),
                i.severity.map_or("-".to_owned(), |s| s.to_string()),
                i.kind.to_string(),
                i.phase.to_string(),
                user(i.owner.as_ref()).to_owned(),
                time(&i.declared_at),
                i.title.clone(),
            ]
        },
    )
}

/// The incident's fields, a few lines.
pub fn incident_header(i: &Incident) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", i.reference, i.title);
    let _ = writeln!(
        out,
        "  kind: {}   severity: {}   phase: {}{}",
        i.kind,
        severity(i),
        i.phase,
        if i.open { "" } else { " (closed)" }
    );
    let _ = writeln!(
        out,
        "  owner: {}   lead: {}   service: {}",
        user(i.owner.as_ref()),
        user(i.lead.as_ref()),
        i.service.as_deref().unwrap_or("-")
    );
    out
}

/// An incident, its checklist grouped by phase, and its whole timeline.
pub fn incident_full(i: &Incident, events: &[TimelineEvent]) -> String {
    let mut out = incident_header(i);
    let _ = writeln!(
        out,
        "  suggested severity: {} ({})",
        i.suggested_severity,
        i.severity_rule.explanation()
    );
    let _ = writeln!(out, "  impact facts: {}", joined(&fact_list(i), "none"));
    let _ = writeln!(
        out,
        "  declared: {} by {}",
        time(&i.declared_at),
        user(i.declared_by.as_ref())
    );
    let members: Vec<&str> = i.members.iter().map(|m| m.name.as_str()).collect();
    let _ = writeln!(out, "  members: {}", joined(&members, "-"));
    if !i.report_ids.is_empty() {
        let reports: Vec<String> = i.report_ids.iter().map(i64::to_string).collect();
        let _ = writeln!(out, "  reports: {}", reports.join(", "));
    }
    if !i.summary.is_empty() {
        let _ = write!(out, "\nSummary\n{}", indent(&i.summary, "  "));
    }
    out.push_str("\nChecklist\n");
    out.push_str(&checklist(i.phase, &i.checklist));
    out.push_str("\nTimeline\n");
    out.push_str(&indent(&timeline(events), "  "));
    out
}

/// The facts that hold, in alphabetical order.
fn fact_list(i: &Incident) -> Vec<&'static str> {
    let mut facts = i.facts.holding();
    facts.sort_unstable();
    facts
}

/// The checklist by phase, in process order, marking the current phase.
pub fn checklist(current: Phase, entries: &[ChecklistEntry]) -> String {
    let mut out = String::new();
    let width = entries
        .iter()
        .map(|e| e.item.as_str().len())
        .max()
        .unwrap_or(0);
    for phase in Phase::ALL {
        let items: Vec<&ChecklistEntry> = entries.iter().filter(|e| e.phase == *phase).collect();
        if items.is_empty() {
            continue;
        }
        let marker = if *phase == current {
            "  <- current phase"
        } else {
            ""
        };
        let _ = writeln!(out, "  {}{marker}", phase.label());
        for e in items {
            let mark = match e.status {
                ItemStatus::Done => "[x]",
                ItemStatus::Waived => "[~]",
                ItemStatus::Open => "[ ]",
            };
            let mut line = format!("    {mark} {:<width$}  {}", e.item.as_str(), e.label);
            if e.status != ItemStatus::Open {
                let _ = write!(line, " ({}", e.status);
                if let Some(by) = &e.by {
                    let _ = write!(line, " by {}", by.name);
                }
                if let Some(at) = &e.at {
                    let _ = write!(line, " at {}", time(at));
                }
                line.push(')');
                if let Some(note) = &e.note {
                    let _ = write!(line, ": {}", one_line(note));
                }
            } else if !e.waivable && !e.derived {
                line.push_str("  (cannot be waived)");
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

pub fn timeline(events: &[TimelineEvent]) -> String {
    if events.is_empty() {
        return "no events\n".to_owned();
    }
    let mut out = String::new();
    for e in events {
        let _ = writeln!(
            out,
            "{}  {:<12}  {:<16}  {}",
            time(&e.at),
            e.actor.as_deref().unwrap_or("-"),
            e.kind,
            one_line(&e.summary)
        );
        if let Some(reason) = &e.reason {
            let _ = writeln!(out, "{:>22}reason: {}", "", one_line(reason));
        }
    }
    out
}

/// The state column of an escalation: a page's chain state (and who
/// acknowledged it), or `notice`.
fn escalation_state(e: &Escalation) -> String {
    if e.state == "unrouted" {
        return if e.page {
            "UNROUTED: nobody was paged".to_owned()
        } else {
            "unrouted: nobody was told".to_owned()
        };
    }
    if !e.page {
        return "notice".to_owned();
    }
    match (e.chain_state.as_deref(), &e.acknowledged_by) {
        (Some("acknowledged"), Some(by)) => format!("acknowledged by {by}"),
        (Some(state), _) => state.to_owned(),
        (None, _) => "-".to_owned(),
    }
}

pub fn escalation_table(list: &[Escalation]) -> String {
    list_table(
        list,
        "no escalations",
        &["TIME", "LEVEL", "RULE", "TO", "STATE", "REASON"],
        |e| {
            vec![
                time(&e.at),
                e.level.to_string(),
                e.rule.clone(),
                e.to.clone(),
                escalation_state(e),
                one_line(&e.reason),
            ]
        },
    )
}

pub fn notification_table(list: &[Notification]) -> String {
    list_table(
        list,
        "no notifications",
        &[
            "CREATED", "USER", "CHANNEL", "STATE", "ATTEMPTS", "SENT", "ERROR",
        ],
        |n| {
            vec![
                time(&n.created_at),
                user(n.user.as_ref()).to_owned(),
                n.channel.clone(),
                n.state.clone(),
                n.attempts.to_string(),
                n.sent_at.as_ref().map_or_else(|| "-".to_owned(), time),
                n.last_error
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), one_line),
            ]
        },
    )
}
