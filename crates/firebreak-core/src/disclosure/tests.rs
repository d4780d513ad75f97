use chrono::TimeZone;

use super::*;

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("valid")
        + Duration::hours(h)
}

fn facts(state: DisclosureState) -> DisclosureFacts {
    DisclosureFacts {
        state,
        outcome: None,
        severity: None,
        received_at: t(0),
        triaged_at: None,
        embargo_until: t(90 * 24),
    }
}

#[test]
fn the_workflow_goes_forward_one_step_at_a_time() {
    use DisclosureState::*;
    let valid = Some(TriageOutcome::Valid);
    for (from, to, outcome, ok) in [
        (Received, Acknowledged, None, true),
        (Received, Triaged, None, true),
        (Acknowledged, Triaged, None, true),
        (Triaged, Fixing, valid, true),
        (Triaged, Fixed, valid, true),
        (Fixing, Fixed, valid, true),
        (Fixed, Disclosed, valid, true),
        (Triaged, Fixing, Some(TriageOutcome::Duplicate), false),
        (Triaged, Fixing, Some(TriageOutcome::NotApplicable), false),
        (Triaged, Fixing, None, false),
        (Received, Fixing, None, false),
        (Received, Disclosed, None, false),
        (Fixed, Fixing, valid, false),
        (Disclosed, Fixed, valid, false),
        (Acknowledged, Acknowledged, None, false),
    ] {
        assert_eq!(
            transition_refused(from, to, outcome).is_none(),
            ok,
            "{from} -> {to} ({outcome:?})"
        );
    }
    let why = transition_refused(Triaged, Fixing, Some(TriageOutcome::Duplicate)).expect("refused");
    assert!(why.contains("duplicate"), "{why}");
}

#[test]
fn tracking_ids_have_four_digits_at_least_and_are_found_in_subjects() {
    assert_eq!(tracking_id(2026, 7), "VULN-2026-0007");
    assert_eq!(tracking_id(2026, 12345), "VULN-2026-12345");
    for (subject, id) in [
        ("Re: [VULN-2026-0007] Your report", "VULN-2026-0007"),
        ("re: [vuln-2026-0007] your report", "VULN-2026-0007"),
        ("AW: [Vuln-2026-0007]", "VULN-2026-0007"),
        ("VULN-26-0007 VULN-2027-00123", "VULN-2027-00123"),
    ] {
        assert_eq!(find_tracking_id(subject).as_deref(), Some(id), "{subject}");
    }
    assert_eq!(find_tracking_id("VULN-2026-07"), None);
    assert_eq!(find_tracking_id("no id here"), None);
}

#[test]
fn scores_map_to_severity_by_the_default_bands() {
    let b = SeverityBands::default();
    assert_eq!(b.severity(98), Severity::Critical);
    assert_eq!(b.severity(90), Severity::Critical);
    assert_eq!(b.severity(89), Severity::High);
    assert_eq!(b.severity(70), Severity::High);
    assert_eq!(b.severity(69), Severity::Medium);
    assert_eq!(b.severity(40), Severity::Medium);
    assert_eq!(b.severity(39), Severity::Low);
    assert_eq!(b.severity(0), Severity::Low);
    assert!(b.invalid().is_none());
    let bad = SeverityBands {
        critical: 7.0,
        high: 7.0,
        medium: 4.0,
    };
    assert!(bad.invalid().is_some());
}

#[test]
fn due_dates_follow_the_state_and_the_severity() {
    let p = DisclosurePolicy::default();
    let f = facts(DisclosureState::Received);
    let due = due_dates(&f, &p);
    let whats: Vec<Awaiting> = due.iter().map(|d| d.what).collect();
    assert_eq!(
        whats,
        [Awaiting::Acknowledge, Awaiting::Triage, Awaiting::Embargo]
    );
    // Unscored: held to the high targets.
    assert_eq!(due[0].at, t(48));
    let crit = DisclosureFacts {
        severity: Some(Severity::Critical),
        ..f.clone()
    };
    assert_eq!(due_dates(&crit, &p)[0].at, t(24));

    let fixing = DisclosureFacts {
        state: DisclosureState::Fixing,
        outcome: Some(TriageOutcome::Valid),
        severity: Some(Severity::Critical),
        triaged_at: Some(t(10)),
        ..f.clone()
    };
    let due = due_dates(&fixing, &p);
    assert_eq!(due[0].what, Awaiting::Fix);
    assert_eq!(due[0].at, t(10 + 14 * 24));

    let dup = DisclosureFacts {
        state: DisclosureState::Triaged,
        outcome: Some(TriageOutcome::Duplicate),
        ..f.clone()
    };
    assert!(due_dates(&dup, &p).is_empty());
    let disclosed = DisclosureFacts {
        state: DisclosureState::Disclosed,
        outcome: Some(TriageOutcome::Valid),
        ..f
    };
    assert!(due_dates(&disclosed, &p).is_empty());
}

#[test]
fn an_overdue_acknowledgment_reminds_once_per_interval() {
    let p = DisclosurePolicy::default();
    let f = facts(DisclosureState::Received);
    assert!(reminders_due(&f, &p, &[], t(47)).is_empty());
    assert_eq!(reminders_due(&f, &p, &[], t(48)), [Awaiting::Acknowledge]);
    let sent = [(Awaiting::Acknowledge, t(48))];
    assert!(reminders_due(&f, &p, &sent, t(60)).is_empty());
    assert!(reminders_due(&f, &p, &sent, t(71)).is_empty());
    assert_eq!(reminders_due(&f, &p, &sent, t(72)), [Awaiting::Acknowledge]);
    let acked = DisclosureFacts {
        state: DisclosureState::Acknowledged,
        ..f
    };
    assert!(!reminders_due(&acked, &p, &[], t(100)).contains(&Awaiting::Acknowledge));
}

#[test]
fn an_embargo_a_week_away_reminds_once_per_interval_until_disclosed() {
    let p = DisclosurePolicy::default();
    let f = DisclosureFacts {
        state: DisclosureState::Fixed,
        outcome: Some(TriageOutcome::Valid),
        triaged_at: Some(t(1)),
        ..facts(DisclosureState::Fixed)
    };
    let week_before = t(83 * 24);
    assert!(reminders_due(&f, &p, &[], week_before - Duration::hours(1)).is_empty());
    assert_eq!(reminders_due(&f, &p, &[], week_before), [Awaiting::Embargo]);
    let sent = [(Awaiting::Embargo, week_before)];
    assert!(reminders_due(&f, &p, &sent, week_before + Duration::hours(23)).is_empty());
    assert_eq!(
        reminders_due(&f, &p, &sent, week_before + Duration::hours(24)),
        [Awaiting::Embargo]
    );
    let disclosed = DisclosureFacts {
        state: DisclosureState::Disclosed,
        ..f
    };
    assert!(reminders_due(&disclosed, &p, &[], week_before).is_empty());
}

#[test]
fn an_embargo_change_needs_a_reason_and_a_future_date() {
    use DisclosureState::*;
    assert_eq!(
        embargo_change_refused(Triaged, t(10), " ", t(0)).map(|r| r.0),
        Some("reason")
    );
    assert_eq!(
        embargo_change_refused(Triaged, t(0), "patch slipped", t(1)).map(|r| r.0),
        Some("embargo_until")
    );
    assert_eq!(
        embargo_change_refused(Disclosed, t(10), "x", t(0)).map(|r| r.0),
        Some("embargo_until")
    );
    assert!(embargo_change_refused(Fixing, t(10), "patch slipped", t(0)).is_none());
}

#[test]
fn the_default_policy_is_valid_and_its_text_states_the_process_terms() {
    let p = DisclosurePolicy::default();
    assert!(p.invalid().is_none());
    let text = default_policy_text(&p);
    for needle in [
        "description, steps to reproduce, and the impact",
        "respond based on severity",
        "90 days",
        "do not pursue legal action",
        "good faith",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    let bad = DisclosurePolicy {
        embargo_days: 0,
        ..DisclosurePolicy::default()
    };
    assert!(bad.invalid().expect("invalid").starts_with("embargo_days"));
}
