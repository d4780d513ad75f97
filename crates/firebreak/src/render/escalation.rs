//! The text of escalation: who is on call (in each schedule's zone),
//! shifts, schedules, policies, services, contact methods and `doctor`.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use firebreak_api::{ContactMethod, Definition, Service};
use firebreak_client::{OnCall, ShiftView};
use firebreak_core::escalation::{Policy, Target};

use super::{list_table, one_line, time};

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
    list_table(
        shifts,
        "nobody is on call in this range",
        &["START", "END", "USER"],
        |s| vec![zoned(&s.start, tz), zoned(&s.end, tz), s.user.clone()],
    )
}

pub fn schedule_table(defs: &[Definition]) -> String {
    let count = |d: &Definition, key: &str| {
        d.definition
            .get(key)
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len)
            .to_string()
    };
    list_table(
        defs,
        "no schedules",
        &["NAME", "TIME ZONE", "LAYERS", "OVERRIDES", "UPDATED"],
        |d| {
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
        },
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
    list_table(
        defs,
        "no escalation policies",
        &["NAME", "UPDATED", "LEVELS (ACK TIMEOUT)"],
        |d| {
            vec![
                d.name.clone(),
                time(&d.updated_at),
                policy_summary(&d.definition),
            ]
        },
    )
}

pub fn service_table(list: &[Service]) -> String {
    list_table(
        list,
        "no services",
        &["NAME", "OWNER TEAM", "DESCRIPTION"],
        |s| {
            vec![
                s.name.clone(),
                s.owner_team.clone(),
                one_line(&s.description),
            ]
        },
    )
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
    list_table(
        list,
        "no contact methods",
        &["ID", "LABEL", "KIND", "TO"],
        |c| {
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
        },
    )
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
