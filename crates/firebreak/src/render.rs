//! Text for people: tables of incidents and reports, an incident with its
//! checklist grouped by phase, and timelines. Scripts should use `--json`;
//! this layout may change.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use firebreak_api::{
    ChecklistEntry, ContactMethod, Definition, Escalation, Incident, ItemStatus, Notification,
    Phase, Report, Service, TimelineEvent, UserRef,
};
use firebreak_client::{
    AlertView, IntegrationCreated, IntegrationView, MaintenanceView, OnCall, RuleView, ShiftView,
    SilenceView,
};
use firebreak_core::escalation::{Policy, Target};

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

/// A time in a schedule's zone, with UTC after it: `2024-04-01 09:00 CEST
/// (07:00Z)`; UTC alone without a zone.
pub fn zoned(t: &DateTime<Utc>, tz: Option<Tz>) -> String {
    match tz {
        Some(tz) if tz != Tz::UTC => {
            let local = t.with_timezone(&tz);
            let utc = if local.date_naive() == t.date_naive() {
                t.format("%H:%MZ").to_string()
            } else {
                t.format("%Y-%m-%d %H:%MZ").to_string()
            };
            format!("{} ({utc})", local.format("%Y-%m-%d %H:%M %Z"))
        }
        _ => time(t),
    }
}

/// Each schedule's zone, from its stored definition.
pub fn schedule_zones(defs: &[Definition]) -> HashMap<String, Tz> {
    defs.iter()
        .filter_map(|d| {
            let tz = d
                .definition
                .get("time_zone")?
                .as_str()?
                .parse::<Tz>()
                .ok()?;
            Some((d.name.clone(), tz))
        })
        .collect()
}

/// Who is on call per schedule, and who is next.
pub fn oncall(answers: &[OnCall], zones: &HashMap<String, Tz>) -> String {
    if answers.is_empty() {
        return "no schedules\n".to_owned();
    }
    let mut out = String::new();
    for (i, a) in answers.iter().enumerate() {
        let tz = zones.get(&a.schedule).copied();
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "schedule {} at {}", a.schedule, zoned(&a.at, tz));
        match &a.user {
            Some(u) => {
                let _ = writeln!(out, "  on call:    {u}");
                if let Some(start) = &a.shift_start {
                    let _ = writeln!(out, "  since:      {}", zoned(start, tz));
                }
                if let Some(end) = &a.shift_end {
                    let _ = writeln!(out, "  shift ends: {}", zoned(end, tz));
                }
            }
            None => {
                let _ = writeln!(out, "  on call:    nobody");
            }
        }
        match (&a.next_user, &a.next_start) {
            (Some(u), Some(at)) => {
                let _ = writeln!(out, "  next:       {u} from {}", zoned(at, tz));
            }
            (Some(u), None) => {
                let _ = writeln!(out, "  next:       {u}");
            }
            _ => {
                let _ = writeln!(out, "  next:       nobody in the coming 60 days");
            }
        }
    }
    out
}

pub fn shift_table(shifts: &[ShiftView], tz: Option<Tz>) -> String {
    if shifts.is_empty() {
        return "nobody is on call in this range\n".to_owned();
    }
    let rows: Vec<Vec<String>> = shifts
        .iter()
        .map(|s| vec![zoned(&s.start, tz), zoned(&s.end, tz), s.user.clone()])
        .collect();
    table(&["START", "END", "USER"], &rows)
}

pub fn schedule_table(defs: &[Definition]) -> String {
    if defs.is_empty() {
        return "no schedules\n".to_owned();
    }
    let count = |d: &Definition, key: &str| {
        d.definition
            .get(key)
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len)
            .to_string()
    };
    let rows: Vec<Vec<String>> = defs
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                d.definition
                    .get("time_zone")
                    .and_then(|v| v.as_str())
                    .unwrap_or("-")
                    .to_owned(),
                count(d, "layers"),
                count(d, "overrides"),
                time(&d.updated_at),
            ]
        })
        .collect();
    table(
        &["NAME", "TIME ZONE", "LAYERS", "OVERRIDES", "UPDATED"],
        &rows,
    )
}

/// `1: alice, schedule primary (300 s) → 2: bob (600 s), repeated 1 time`.
pub fn policy_summary(definition: &serde_json::Value) -> String {
    let Ok(policy) = serde_json::from_value::<Policy>(definition.clone()) else {
        return "(not a valid policy)".to_owned();
    };
    let levels: Vec<String> = policy
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let targets: Vec<String> = l
                .targets
                .iter()
                .map(|t| match t {
                    Target::User(u) => u.clone(),
                    Target::Schedule(s) => format!("on call on {s}"),
                })
                .collect();
            format!(
                "{}: {} ({} s)",
                i + 1,
                targets.join(", "),
                l.ack_timeout_secs
            )
        })
        .collect();
    let mut out = levels.join(" → ");
    match policy.repeat {
        0 => {}
        1 => out.push_str(", repeated once"),
        n => {
            let _ = write!(out, ", repeated {n} times");
        }
    }
    out
}

pub fn policy_table(defs: &[Definition]) -> String {
    if defs.is_empty() {
        return "no escalation policies\n".to_owned();
    }
    let rows: Vec<Vec<String>> = defs
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                time(&d.updated_at),
                policy_summary(&d.definition),
            ]
        })
        .collect();
    table(&["NAME", "UPDATED", "LEVELS (ACK TIMEOUT)"], &rows)
}

pub fn service_table(list: &[Service]) -> String {
    if list.is_empty() {
        return "no services\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.owner_team.clone(),
                one_line(&s.description),
            ]
        })
        .collect();
    table(&["NAME", "OWNER TEAM", "DESCRIPTION"], &rows)
}

/// Where a channel goes, without its secrets: Slack and Teams webhook URLs
/// are credentials themselves.
pub fn channel_target(channel: &serde_json::Value) -> String {
    let field = |k: &str| channel.get(k).and_then(|v| v.as_str()).unwrap_or("-");
    match field("kind") {
        "email" => field("to").to_owned(),
        "webhook" | "http" => field("url").to_owned(),
        "slack" | "teams" => "[webhook URL hidden]".to_owned(),
        _ => "-".to_owned(),
    }
}

pub fn contact_table(list: &[ContactMethod]) -> String {
    if list.is_empty() {
        return "no contact methods\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.label.clone(),
                c.channel
                    .get("kind")
                    .and_then(|v| v.as_str())
                    .unwrap_or("-")
                    .to_owned(),
                channel_target(&c.channel),
            ]
        })
        .collect();
    table(&["ID", "LABEL", "KIND", "TO"], &rows)
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
    if list.is_empty() {
        return "no escalations\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            vec![
                time(&e.at),
                e.level.to_string(),
                e.rule.clone(),
                e.to.clone(),
                escalation_state(e),
                one_line(&e.reason),
            ]
        })
        .collect();
    table(&["TIME", "LEVEL", "RULE", "TO", "STATE", "REASON"], &rows)
}

pub fn notification_table(list: &[Notification]) -> String {
    if list.is_empty() {
        return "no notifications\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|n| {
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
        })
        .collect();
    table(
        &[
            "CREATED", "USER", "CHANNEL", "STATE", "ATTEMPTS", "SENT", "ERROR",
        ],
        &rows,
    )
}

/// The URL and key of a new or rotated integration key, with the warning
/// that the key is not shown again.
pub fn integration_key(c: &IntegrationCreated) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "url: {}", c.url);
    let _ = writeln!(out, "key: {}", c.key);
    if c.integration.kind == "pagerduty" {
        out.push_str("Send the key as each event's routing_key.\n");
    }
    out.push_str("The key is shown only once; keep it safe.\n");
    out
}

fn enabled(on: bool) -> &'static str {
    if on { "enabled" } else { "disabled" }
}

pub fn integration_table(list: &[IntegrationView]) -> String {
    if list.is_empty() {
        return "no integrations\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|i| {
            vec![
                i.id.to_string(),
                i.name.clone(),
                i.kind.clone(),
                i.service.clone().unwrap_or_else(|| "-".to_owned()),
                enabled(i.enabled).to_owned(),
                format!("…{}", i.key_hint),
                i.url.clone(),
            ]
        })
        .collect();
    table(
        &["ID", "NAME", "KIND", "SERVICE", "STATE", "KEY", "URL"],
        &rows,
    )
}

/// What the integration does with critical and high alerts no rule matches.
pub fn auto_declare(i: &IntegrationView) -> String {
    if i.auto_declare {
        "auto_declare: on (critical and high alerts no rule matches declare an incident and page, when their service is known)".to_owned()
    } else {
        "auto_declare: off (critical and high alerts no rule matches wait in triage and page nobody)".to_owned()
    }
}

pub fn integration_full(i: &IntegrationView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "integration {}  {}", i.id, i.name);
    let _ = writeln!(
        out,
        "  kind: {}   service: {}   state: {}",
        i.kind,
        i.service.as_deref().unwrap_or("-"),
        enabled(i.enabled)
    );
    let _ = writeln!(out, "  acts as: {}", i.user);
    let _ = writeln!(out, "  {}", auto_declare(i));
    let _ = writeln!(
        out,
        "  key: …{} (shown only when created or rotated)",
        i.key_hint
    );
    let _ = writeln!(out, "  url: {}", i.url);
    if i.signed {
        let _ = writeln!(
            out,
            "  signed: yes (HMAC-SHA256{})",
            i.hmac_timestamp_header
                .as_deref()
                .map(|h| format!(", timestamp header {h}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(out, "  created: {}", time(&i.created_at));
    if let Some(at) = &i.disabled_at {
        let _ = writeln!(out, "  disabled: {}", time(at));
    }
    if let Some(mapping) = &i.mapping {
        let _ = writeln!(
            out,
            "  mapping:\n{}",
            indent(
                &serde_json::to_string_pretty(mapping).unwrap_or_default(),
                "    "
            )
            .trim_end()
        );
    }
    out
}

/// Matchers as Alertmanager writes them, or `every alert`.
pub fn matchers(list: &[String]) -> String {
    if list.is_empty() {
        "every alert".to_owned()
    } else {
        list.join(", ")
    }
}

/// What a rule does to a matching alert: `service payments, severity
/// critical, declare (security)` or `triage`.
pub fn rule_effect(r: &RuleView) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &r.set_service {
        parts.push(format!("service {s}"));
    }
    if let Some(s) = r.set_severity {
        parts.push(format!("severity {s}"));
    }
    match (r.declare, r.set_kind) {
        (true, Some(k)) => parts.push(format!("declare ({k})")),
        (true, None) => parts.push("declare".to_owned()),
        (false, Some(k)) => parts.push(format!("kind {k}, triage")),
        (false, None) => parts.push("triage".to_owned()),
    }
    parts.join(", ")
}

pub fn rule_table(list: &[RuleView]) -> String {
    if list.is_empty() {
        return "no routing rules\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.position.to_string(),
                r.name.clone(),
                enabled(r.enabled).to_owned(),
                rule_effect(r),
                matchers(&r.matchers),
            ]
        })
        .collect();
    table(
        &["ID", "POSITION", "NAME", "STATE", "DOES", "MATCHERS"],
        &rows,
    )
}

/// `active`, `expired` (ended early by hand), `ended` or `scheduled`.
pub fn silence_state(s: &SilenceView, now: DateTime<Utc>) -> &'static str {
    if s.active {
        "active"
    } else if s.expired_at.is_some() {
        "expired"
    } else if s.ends_at <= now {
        "ended"
    } else {
        "scheduled"
    }
}

pub fn silence_table(list: &[SilenceView], now: DateTime<Utc>) -> String {
    if list.is_empty() {
        return "no silences\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                silence_state(s, now).to_owned(),
                time(&s.starts_at),
                time(&s.ends_at),
                s.created_by.clone(),
                matchers(&s.matchers),
                one_line(&s.reason),
            ]
        })
        .collect();
    table(
        &["ID", "STATE", "FROM", "UNTIL", "BY", "MATCHERS", "REASON"],
        &rows,
    )
}

/// `active`, `ended` or `scheduled`.
pub fn maintenance_state(m: &MaintenanceView, now: DateTime<Utc>) -> &'static str {
    if m.active {
        "active"
    } else if m.ends_at <= now {
        "ended"
    } else {
        "scheduled"
    }
}

pub fn maintenance_table(list: &[MaintenanceView], now: DateTime<Utc>) -> String {
    if list.is_empty() {
        return "no maintenance windows\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.service.clone(),
                maintenance_state(m, now).to_owned(),
                time(&m.starts_at),
                time(&m.ends_at),
                m.created_by.clone(),
                one_line(&m.reason),
            ]
        })
        .collect();
    table(
        &["ID", "SERVICE", "STATE", "FROM", "UNTIL", "BY", "REASON"],
        &rows,
    )
}

pub fn alert_table(list: &[AlertView]) -> String {
    if list.is_empty() {
        return "no alerts\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.status.clone(),
                a.integration.clone(),
                a.severity.clone().unwrap_or_else(|| "-".to_owned()),
                a.service.clone().unwrap_or_else(|| "-".to_owned()),
                a.count.to_string(),
                time(&a.last_seen),
                a.disposition.clone(),
                a.report_id.to_string(),
                one_line(&a.title),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "STATUS",
            "INTEGRATION",
            "SEVERITY",
            "SERVICE",
            "COUNT",
            "LAST SEEN",
            "DISPOSITION",
            "REPORT",
            "TITLE",
        ],
        &rows,
    )
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

/// `firebreak doctor`'s text: each path, what it reaches, what is missing.
pub fn doctor(r: &firebreak_api::DoctorReport) -> String {
    let mut out = String::new();
    for c in &r.checks {
        let state = if c.missing.is_empty() {
            format!("OK, pages {}", c.reaches.join(", "))
        } else if c.reaches.is_empty() {
            "MISSING: would page nobody".to_owned()
        } else {
            format!("MISSING links (pages {} only)", c.reaches.join(", "))
        };
        out.push_str(&format!("{}: {state}\n", c.subject));
        for step in &c.path {
            out.push_str(&format!("    {step}\n"));
        }
        for m in &c.missing {
            out.push_str(&format!("  missing: {m}\n"));
        }
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(if r.ok {
        "nothing missing: every paging path reaches someone\n"
    } else {
        "something is missing: the paths above marked MISSING would page nobody, or fewer people than they name\n"
    });
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

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
    fn zoned_times_show_the_local_time_and_utc() {
        let t = DateTime::parse_from_rfc3339("2024-04-01T07:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            zoned(&t, Some(chrono_tz::Europe::Berlin)),
            "2024-04-01 09:00 CEST (07:00Z)"
        );
        let late = DateTime::parse_from_rfc3339("2024-03-31T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            zoned(&late, Some(chrono_tz::Europe::Berlin)),
            "2024-04-01 01:30 CEST (2024-03-31 23:30Z)"
        );
        assert_eq!(zoned(&t, None), "2024-04-01 07:00:00Z");
    }

    #[test]
    fn policies_read_as_one_line() {
        let p = serde_json::json!({"levels": [
            {"targets": [{"user": "alice"}, {"schedule": "primary"}], "ack_timeout_secs": 300},
            {"targets": [{"user": "bob"}], "ack_timeout_secs": 600}
        ], "repeat": 1});
        assert_eq!(
            policy_summary(&p),
            "1: alice, on call on primary (300 s) → 2: bob (600 s), repeated once"
        );
        assert_eq!(
            policy_summary(&serde_json::json!({"x": 1})),
            "(not a valid policy)"
        );
    }

    #[test]
    fn secrets_stay_out_of_contact_tables() {
        let slack = serde_json::json!({"kind": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/secret"});
        assert!(!channel_target(&slack).contains("secret"));
        let hook = serde_json::json!({"kind": "webhook", "url": "https://h/x", "secret": "s3cr3t"});
        assert_eq!(channel_target(&hook), "https://h/x");
    }

    #[test]
    fn rules_say_what_they_do() {
        let at = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut r = RuleView {
            id: 1,
            position: 10,
            name: "db".into(),
            enabled: true,
            matchers: vec![],
            set_service: None,
            set_kind: None,
            set_severity: None,
            declare: false,
            created_at: at,
            updated_at: at,
        };
        assert_eq!(rule_effect(&r), "triage");
        assert_eq!(matchers(&r.matchers), "every alert");
        r.set_service = Some("payments".into());
        r.set_severity = Some(firebreak_api::Severity::High);
        r.set_kind = Some(firebreak_api::Kind::Security);
        r.declare = true;
        assert_eq!(
            rule_effect(&r),
            "service payments, severity high, declare (security)"
        );
    }

    #[test]
    fn silences_are_active_expired_ended_or_scheduled() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let now = t("2026-03-02T10:00:00Z");
        let mut s = SilenceView {
            id: 1,
            matchers: vec!["a=\"b\"".into()],
            starts_at: t("2026-03-02T11:00:00Z"),
            ends_at: t("2026-03-02T12:00:00Z"),
            reason: "r".into(),
            created_by: "alice".into(),
            created_at: now,
            expired_at: None,
            active: false,
        };
        assert_eq!(silence_state(&s, now), "scheduled");
        s.active = true;
        assert_eq!(silence_state(&s, now), "active");
        s.active = false;
        assert_eq!(silence_state(&s, t("2026-03-02T13:00:00Z")), "ended");
        s.expired_at = Some(now);
        assert_eq!(silence_state(&s, now), "expired");
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
