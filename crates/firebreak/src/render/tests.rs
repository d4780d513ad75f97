//! The text for people: tables, times in a zone, policies, rules and
//! states read as intended.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};

use firebreak_client::{RuleView, SilenceView};

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
