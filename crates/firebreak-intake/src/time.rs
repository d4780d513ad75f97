//! Timestamps as the formats write them.

use chrono::{DateTime, NaiveDateTime, Utc};

/// The timestamp Go writes for a `time.Time` that was never set, which
/// Alertmanager and Grafana send as `endsAt` of an alert with no end yet.
pub(crate) const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Parses an RFC 3339 timestamp, as Go's `time.Time` marshals it
/// (`2024-05-01T12:00:00.123456789+02:00`, `...Z`).
pub(crate) fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses an ISO 8601 timestamp as PagerDuty accepts it: RFC 3339, or the
/// offset without a colon that PagerDuty's own examples use
/// (`2015-07-17T08:42:58.315+0000`). A timestamp with no offset at all is
/// taken as UTC, since a sender that omits it almost always means UTC and
/// refusing the event over it would lose the alert.
pub(crate) fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = parse_rfc3339(s) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// `None` for Go's zero time, which means "not set".
pub(crate) fn unless_zero(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (t != go_zero()).then_some(t)
}

fn go_zero() -> DateTime<Utc> {
    // Year 1 is in chrono's range; the fallback is never taken.
    parse_rfc3339(GO_ZERO_TIME).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_forms() {
        let expected = parse_rfc3339("2015-07-17T08:42:58.315Z");
        assert!(expected.is_some());
        for s in [
            "2015-07-17T08:42:58.315Z",
            "2015-07-17T08:42:58.315+00:00",
            "2015-07-17T08:42:58.315+0000",
            "2015-07-17T10:42:58.315+0200",
            "2015-07-17T08:42:58.315",
            " 2015-07-17T08:42:58.315Z ",
        ] {
            assert_eq!(parse_iso8601(s), expected, "{s}");
        }
        for s in ["", "yesterday", "2015-07-17", "2015-13-17T08:42:58Z"] {
            assert_eq!(parse_iso8601(s), None, "{s}");
        }
    }

    #[test]
    fn go_zero_time_is_unset() {
        let zero = parse_rfc3339(GO_ZERO_TIME);
        assert!(zero.is_some());
        assert_eq!(zero.and_then(unless_zero), None);
        let t = parse_rfc3339("2024-05-01T12:00:00.123456789+02:00");
        assert!(t.is_some());
        assert_eq!(t.and_then(unless_zero), t);
    }
}
