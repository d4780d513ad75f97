use chrono::{Duration, TimeZone};
use firebreak_api::UserRef;

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap()
}

fn page(chain: i64, level: i64, to: &str, state: &str, at_min: i64) -> Escalation {
    Escalation {
        id: 0,
        incident_id: 1,
        chain_id: Some(chain),
        level,
        rule: "urgent_severity".into(),
        reason: "critical".into(),
        audience: "incident_lead".into(),
        from: "system".into(),
        to: to.into(),
        to_user: Some(UserRef {
            id: 1,
            name: to.into(),
        }),
        page: true,
        at: t0() + Duration::minutes(at_min),
        chain_state: Some(state.into()),
        acknowledged_at: None,
        acknowledged_by: None,
        state: "routed".into(),
    }
}

fn deadline(level: i64, round: i64, due_min: i64) -> PendingDeadline {
    PendingDeadline {
        chain_id: 1,
        due_at: t0() + Duration::minutes(due_min),
        level,
        round,
        policy_name: "incident-lead".into(),
        policy: serde_json::json!({
            "levels": [
                {"targets": [{"schedule": "primary"}], "ack_timeout_secs": 300},
                {"targets": [{"user": "alice"}, {"user": "bob"}], "ack_timeout_secs": 300}
            ],
            "repeat": 1
        }),
    }
}

#[test]
fn lists_read_as_words() {
    assert_eq!(in_words(&[]), "");
    assert_eq!(in_words(&["a".into()]), "a");
    assert_eq!(in_words(&["a".into(), "b".into()]), "a and b");
    assert_eq!(
        in_words(&["a".into(), "b".into(), "c".into()]),
        "a, b and c"
    );
}

#[test]
fn the_active_chains_latest_level_is_who_is_paged() {
    let escalations = vec![
        page(1, 1, "lead1", "active", 0),
        page(1, 2, "alice", "active", 5),
        page(1, 2, "bob", "active", 5),
        page(2, 1, "carol", "acknowledged", 0),
    ];
    assert_eq!(paging_now(&escalations), vec!["alice", "bob"]);
    assert_eq!(ack_state(&escalations[..3]), AckState::Waiting);
}

#[test]
fn acknowledgment_names_who_and_when() {
    let mut e = page(1, 1, "lead1", "acknowledged", 0);
    e.acknowledged_by = Some("lead1".into());
    e.acknowledged_at = Some(t0() + Duration::minutes(2));
    assert_eq!(
        ack_state(&[e]),
        AckState::Acknowledged {
            by: "lead1".into(),
            at: t0() + Duration::minutes(2)
        }
    );
    assert_eq!(ack_state(&[]), AckState::NotPaged);
    assert_eq!(
        ack_state(&[page(1, 1, "x", "exhausted", 0)]),
        AckState::Exhausted
    );
    assert!(paging_now(&[page(1, 1, "x", "exhausted", 0)]).is_empty());
}

#[test]
fn the_next_escalation_says_when_and_whom() {
    let n = next_escalation(&deadline(0, 0, 4), t0());
    assert_eq!(n.in_words, "in 4 min");
    assert_eq!(n.what, "level 2 of incident-lead: alice and bob");
    let n = next_escalation(&deadline(1, 0, 4), t0());
    assert_eq!(
        n.what,
        "level 1 (repeat 1) of incident-lead: whoever is on call on primary"
    );
    let n = next_escalation(&deadline(1, 1, -1), t0());
    assert_eq!(n.in_words, "due now");
    assert!(n.what.contains("ends unacknowledged"), "{}", n.what);
}

#[test]
fn timeline_filters_sort_events() {
    let ev = |kind: &str| TimelineEvent {
        id: 1,
        incident_id: 1,
        at: t0(),
        actor: None,
        kind: kind.into(),
        summary: String::new(),
        reason: None,
        details: serde_json::Value::Null,
    };
    assert!(TimelineFilter::Notes.keeps(&ev("note")));
    assert!(!TimelineFilter::Notes.keeps(&ev("phase_changed")));
    assert!(TimelineFilter::Escalations.keeps(&ev("acknowledged")));
    assert!(TimelineFilter::Changes.keeps(&ev("severity_changed")));
    assert!(TimelineFilter::All.keeps(&ev("anything")));
}
