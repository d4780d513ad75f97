//! Text for people: tables of incidents and reports, an incident with its
//! checklist grouped by phase, and timelines. Scripts should use `--json`;
//! this layout may change.
//!
//! This module holds the pieces every command group's text is made of
//! (times, tables, short forms); each group's text is in a module of its
//! own, re-exported here.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use firebreak_api::UserRef;

mod customers;
mod comms;
mod escalation;
mod incidents;
mod intake;
mod reports;

pub use customers::*;
pub use comms::*;
pub use escalation::*;
pub use incidents::*;
pub use intake::*;
pub use reports::*;

pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// `from <start> until <end>`.
pub fn period(start: &DateTime<Utc>, end: &DateTime<Utc>) -> String {
    format!("from {} until {}", time(start), time(end))
}

pub fn user(u: Option<&UserRef>) -> &str {
    u.map_or("-", |u| u.name.as_str())
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

/// The items joined with `, `, or `none` when there are none.
pub fn joined<S: AsRef<str>>(items: &[S], none: &str) -> String {
    if items.is_empty() {
        return none.to_owned();
    }
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    items.join(", ")
}

/// A table of `list`, a row per item, or the line `none` (`no incidents`)
/// when the list is empty.
pub fn list_table<T>(
    list: &[T],
    none: &str,
    headers: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> String {
    if list.is_empty() {
        return format!("{none}\n");
    }
    let rows: Vec<Vec<String>> = list.iter().map(row).collect();
    table(headers, &rows)
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

fn enabled(on: bool) -> &'static str {
    if on { "enabled" } else { "disabled" }
}

#[cfg(test)]
mod tests;
