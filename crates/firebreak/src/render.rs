//! Text for people: tables of incidents and reports, an incident with its
//! checklist grouped by phase, and timelines. Scripts should use `--json`;
//! this layout may change.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use firebreak_api::{ChecklistEntry, Incident, ItemStatus, Phase, Report, TimelineEvent, UserRef};

pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

pub fn user(u: Option<&UserRef>) -> &str {
    u.map_or("-", |u| u.name.as_str())
}

/// The severity, or `unset (suggested: …)`.
pub fn severity(i: &Incident) -> String {
    match i.severity {
        Some(s) => s.to_string(),
        None => format!("unset (suggested: {})", i.suggested_severity),
    }
}

/// Columns padded to their widest cell; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header_row: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header_row).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let width = widths.get(i).copied().unwrap_or(0);
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn incident_table(list: &[Incident]) -> String {
    if list.is_empty() {
        return "no incidents\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|i| {
            vec![
                i.reference.clone(),
                i.severity.map_or("-".to_owned(), |s| s.to_string()),
                i.kind.to_string(),
                i.phase.to_string(),
                user(i.owner.as_ref()).to_owned(),
                time(&i.declared_at),
                i.title.clone(),
            ]
        })
        .collect();
    table(
        &[
            "REF", "SEVERITY", "KIND", "PHASE", "OWNER", "DECLARED", "TITLE",
        ],
        &rows,
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
    let facts = fact_list(i);
    let _ = writeln!(
        out,
        "  impact facts: {}",
        if facts.is_empty() {
            "none".to_owned()
        } else {
            facts.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "  declared: {} by {}",
        time(&i.declared_at),
        user(i.declared_by.as_ref())
    );
    let members: Vec<&str> = i.members.iter().map(|m| m.name.as_str()).collect();
    let _ = writeln!(
        out,
        "  members: {}",
        if members.is_empty() {
            "-".to_owned()
        } else {
            members.join(", ")
        }
    );
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

fn fact_list(i: &Incident) -> Vec<String> {
    match serde_json::to_value(i.facts) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(_, v)| v.as_bool() == Some(true))
            .map(|(k, _)| k)
            .collect(),
        _ => Vec::new(),
    }
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

pub fn report_table(list: &[Report]) -> String {
    if list.is_empty() {
        return "no reports\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.status.as_str().to_owned(),
                r.source.as_str().to_owned(),
                age(r.age_seconds),
                r.reporter.clone(),
                r.incident_ref.clone().unwrap_or_else(|| "-".to_owned()),
                if r.confidential {
                    format!("{} [confidential]", r.title)
                } else {
                    r.title.clone()
                },
            ]
        })
        .collect();
    table(
        &[
            "ID", "STATUS", "SOURCE", "AGE", "REPORTER", "INCIDENT", "TITLE",
        ],
        &rows,
    )
}

pub fn report_full(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "report {}  {}", r.id, r.title);
    let _ = writeln!(
        out,
        "  status: {}   source: {}   reporter: {}   received: {} ({} ago)",
        r.status.as_str(),
        r.source.as_str(),
        r.reporter,
        time(&r.received_at),
        age(r.age_seconds)
    );
    if let Some(inc) = &r.incident_ref {
        let _ = writeln!(out, "  incident: {inc}");
    }
    if let Some(by) = &r.triaged_by {
        let at = r.triaged_at.as_ref().map(time).unwrap_or_default();
        let _ = writeln!(out, "  triaged by {} {at}", by.name);
    }
    if let Some(reason) = &r.dismiss_reason {
        let _ = writeln!(out, "  dismissed: {}", one_line(reason));
    }
    if r.confidential {
        out.push_str("  confidential\n");
    }
    if let Some(s) = &r.service {
        let _ = writeln!(out, "  service: {s}");
    }
    if !r.description.is_empty() {
        let _ = writeln!(out, "\n{}", indent(&r.description, "  "));
    }
    out
}

/// `45s`, `12m`, `3h`, `2d`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn indent(s: &str, prefix: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        out.push_str(prefix);
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_all_but_the_last_column() {
        let rows = vec![vec!["INC-1".to_owned(), "a long title".to_owned()]];
        assert_eq!(
            table(&["REF", "TITLE"], &rows),
            "REF    TITLE\nINC-1  a long title\n"
        );
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(age(5), "5s");
        assert_eq!(age(125), "2m");
        assert_eq!(age(7300), "2h");
        assert_eq!(age(200_000), "2d");
        assert_eq!(age(-3), "0s");
    }
}
