//! A person's shifts as an RFC 5545 iCalendar feed.

use chrono::{DateTime, Utc};

use crate::oncall::*;

/// `user`'s shifts in `schedule` between `from` and `to` as an RFC 5545
/// iCalendar document, one event per shift of [`Schedule::shifts_between`].
///
/// Each event's UID is derived from the schedule's name, the user and the
/// shift's start, so fetching the same window again gives the same UIDs and
/// calendar clients update events rather than duplicating them. A shift cut
/// by `from` starts at `from`, so its UID depends on the window: feeds should
/// use a window whose start moves rarely (the start of the day, say).
/// `now` is the DTSTAMP of every event.
pub fn ics_for_user(
    schedule: &Schedule,
    user: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let summary = format!("On call: {}", schedule.name);
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(&mut out, "PRODID:-//Firebreak//On-call//EN");
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, "METHOD:PUBLISH");
    for shift in schedule
        .shifts_between(from, to)
        .into_iter()
        .filter(|s| s.user == user)
    {
        let uid = format!(
            "{}-{:016x}@firebreak",
            ics_time(shift.start),
            uid_hash(&schedule.name, user, shift.start)
        );
        let description = match &shift.source {
            Source::Layer(name) => format!("Layer: {name}"),
            Source::Override => "Override".to_owned(),
        };
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{uid}"));
        push_line(&mut out, &format!("DTSTAMP:{}", ics_time(now)));
        push_line(&mut out, &format!("DTSTART:{}", ics_time(shift.start)));
        push_line(&mut out, &format!("DTEND:{}", ics_time(shift.end)));
        push_line(&mut out, &format!("SUMMARY:{}", ics_text(&summary)));
        push_line(&mut out, &format!("DESCRIPTION:{}", ics_text(&description)));
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// A UTC date-time in the RFC 5545 form `YYYYMMDDTHHMMSSZ`.
fn ics_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value escaped as RFC 5545 §3.3.11 asks; other control characters,
/// which TEXT may not hold, are dropped.
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded so no line exceeds 75 octets (RFC 5545
/// §3.1): a fold is CRLF and a space, never inside a UTF-8 character.
fn push_line(out: &mut String, line: &str) {
    let mut octets = 0;
    for c in line.chars() {
        if octets + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            octets = 1;
        }
        out.push(c);
        octets += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// FNV-1a over the length-prefixed parts, so ("ab", "c") and ("a", "bc")
/// differ. Spelled out here because the UID must not change between
/// releases, which std's hasher does not promise.
fn uid_hash(schedule: &str, user: &str, start: DateTime<Utc>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for part in [schedule.as_bytes(), user.as_bytes()] {
        feed(&(part.len() as u64).to_le_bytes());
        feed(part);
    }
    feed(&start.timestamp().to_le_bytes());
    hash
}

#[cfg(test)]
mod tests;
