//! The text of reports: the triage queue as a table, and one report.

use std::fmt::Write;

use firebreak_api::Report;

use super::{age, indent, list_table, one_line, time};

pub fn report_table(list: &[Report]) -> String {
    list_table(
        list,
        "no reports",
        &[
            "ID", "STATUS", "SOURCE", "AGE", "REPORTER", "INCIDENT", "TITLE",
        ],
        |r| {
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
        },
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
