#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn facts(severity: Severity) -> CommsFacts {
    CommsFacts {
        severity,
        declared_at: t("2026-01-01T10:00:00Z"),
        contained_at: None,
        recovered_at: None,
        closed: false,
        customer_data_accessed_at: None,
        sla_affected_at: None,
        affected: Affected::Customers(vec![1, 2]),
        sent: Vec::new(),
        untold: Vec::new(),
    }
}

fn kinds(o: &Obligations) -> Vec<(NoticeKind, Need)> {
    o.due.iter().map(|d| (d.kind, d.need)).collect()
}

fn sent(kind: NoticeKind, at: &str) -> Sent {
    Sent { kind, at: t(at) }
}

#[test]
fn critical_owes_a_notice_after_containment_then_updates_until_recovery() {
    let p = CommsPolicy::default();
    let mut f = facts(Severity::Critical);
    // Before containment: nothing due yet, but closing would be blocked.
    let o = obligations(&f, &p);
    assert!(o.due.is_empty());
    assert!(o.notice_required && o.blocks_close);

    // Contained at 11:00: the notice is due at once, overdue at 11:30.
    f.contained_at = Some(t("2026-01-01T11:00:00Z"));
    let o = obligations(&f, &p);
    assert_eq!(kinds(&o), [(NoticeKind::CustomerNotice, Need::Required)]);
    let d = &o.due[0];
    assert_eq!(d.due_at, t("2026-01-01T11:00:00Z"));
    assert!(!d.is_overdue(t("2026-01-01T11:29:59Z")));
    assert!(d.is_overdue(t("2026-01-01T11:30:00Z")));
    assert!(o.blocks_close);

    // Sent at 11:10: an update falls due every 60 min from the last one.
    f.sent
        .push(sent(NoticeKind::CustomerNotice, "2026-01-01T11:10:00Z"));
    let o = obligations(&f, &p);
    assert_eq!(kinds(&o), [(NoticeKind::Update, Need::Required)]);
    assert_eq!(o.due[0].due_at, t("2026-01-01T12:10:00Z"));
    assert!(!o.blocks_close);
    f.sent
        .push(sent(NoticeKind::Update, "2026-01-01T12:05:00Z"));
    assert_eq!(obligations(&f, &p).due[0].due_at, t("2026-01-01T13:05:00Z"));

    // Recovered: updates stop. Closed: a report is offered, not required.
    f.recovered_at = Some(t("2026-01-01T12:30:00Z"));
    assert!(obligations(&f, &p).due.is_empty());
    f.closed = true;
    let o = obligations(&f, &p);
    assert_eq!(kinds(&o), [(NoticeKind::PostIncidentReport, Need::Offered)]);
    assert!(!o.due[0].is_overdue(t("2026-02-01T00:00:00Z")));
    assert!(!o.blocks_close);
}

#[test]
fn high_updates_every_four_hours_by_default() {
    let p = CommsPolicy::default();
    let mut f = facts(Severity::High);
    f.contained_at = Some(t("2026-01-01T11:00:00Z"));
    f.sent
        .push(sent(NoticeKind::CustomerNotice, "2026-01-01T11:00:00Z"));
    let o = obligations(&f, &p);
    assert_eq!(o.due[0].due_at, t("2026-01-01T15:00:00Z"));
    assert_eq!(
        o.due[0].why,
        "updates every 4 h until the incident is recovered"
    );
    let faster = CommsPolicy {
        update_every_high_secs: 90 * 60,
        ..CommsPolicy::default()
    };
    assert_eq!(
        obligations(&f, &faster).due[0].due_at,
        t("2026-01-01T12:30:00Z")
    );
}

#[test]
fn medium_needs_a_formal_notice_only_with_customer_data_or_an_sla() {
    let p = CommsPolicy::default();
    let mut f = facts(Severity::Medium);
    f.contained_at = Some(t("2026-01-01T11:00:00Z"));
    // Without either fact: the status page is offered, nothing required.
    let o = obligations(&f, &p);
    assert_eq!(kinds(&o), [(NoticeKind::StatusPost, Need::Offered)]);
    assert!(!o.notice_required && !o.blocks_close);

    // An SLA affected: a formal notice is required before close.
    f.sla_affected_at = Some(t("2026-01-01T12:00:00Z"));
    let o = obligations(&f, &p);
    assert!(o.notice_required && o.blocks_close);
    let formal = o
        .due
        .iter()
        .find(|d| d.kind == NoticeKind::FormalNotice)
        .unwrap();
    assert_eq!(formal.need, Need::Required);
    assert_eq!(formal.overdue_at, t("2026-01-02T12:00:00Z"));
    assert!(formal.why.starts_with("an SLA is affected"));

    // Customer data earlier than the SLA: due from the earlier fact.
    f.customer_data_accessed_at = Some(t("2026-01-01T11:30:00Z"));
    let o = obligations(&f, &p);
    let formal = o
        .due
        .iter()
        .find(|d| d.kind == NoticeKind::FormalNotice)
        .unwrap();
    assert_eq!(formal.due_at, t("2026-01-01T11:30:00Z"));

    // Sent: nothing blocks; the status post stays offered until close.
    f.sent
        .push(sent(NoticeKind::FormalNotice, "2026-01-01T13:00:00Z"));
    let o = obligations(&f, &p);
    assert!(o.notice_required && !o.blocks_close);
    assert_eq!(kinds(&o), [(NoticeKind::StatusPost, Need::Offered)]);
    f.closed = true;
    assert!(obligations(&f, &p).due.is_empty());
}

#[test]
fn nobody_affected_owes_nothing_and_not_set_still_owes() {
    let p = CommsPolicy::default();
    for affected in [Affected::Nobody, Affected::Customers(Vec::new())] {
        let mut f = facts(Severity::Critical);
        f.contained_at = Some(t("2026-01-01T11:00:00Z"));
        f.affected = affected;
        let o = obligations(&f, &p);
        assert_eq!(o, Obligations::default(), "{:?}", f.affected);
    }
    for affected in [Affected::NotSet, Affected::All] {
        let mut f = facts(Severity::Critical);
        f.contained_at = Some(t("2026-01-01T11:00:00Z"));
        f.affected = affected;
        assert!(obligations(&f, &p).blocks_close, "{:?}", f.affected);
    }
}

#[test]
fn the_lead_is_reminded_once_per_cadence_from_the_moment_it_is_overdue() {
    let mut f = facts(Severity::Critical);
    f.contained_at = Some(t("2026-01-01T11:00:00Z"));
    let o = obligations(&f, &CommsPolicy::default());
    let d = &o.due[0];
    let every = Duration::hours(1);
    // Not before it is overdue (11:30).
    assert!(!remind(d, None, every, t("2026-01-01T11:29:00Z")));
    assert!(remind(d, None, every, t("2026-01-01T11:30:00Z")));
    // Reminded at 11:31: not again on the next ticks, again at 12:31.
    let at = Some(t("2026-01-01T11:31:00Z"));
    for tick in ["11:31:01", "11:45:00", "12:30:59"] {
        let now = t(&format!("2026-01-01T{tick}Z"));
        assert!(!remind(d, at, every, now), "{tick}");
    }
    assert!(remind(d, at, every, t("2026-01-01T12:31:00Z")));
    // A reminder of an earlier obligation does not count for this one.
    assert!(remind(
        d,
        Some(t("2026-01-01T11:00:00Z")),
        every,
        t("2026-01-01T11:30:00Z")
    ));
    // Offered communications are never overdue, so never reminded.
    f.closed = true;
    f.recovered_at = Some(t("2026-01-01T12:00:00Z"));
    f.sent
        .push(sent(NoticeKind::CustomerNotice, "2026-01-01T11:40:00Z"));
    let o = obligations(&f, &CommsPolicy::default());
    assert_eq!(o.due[0].kind, NoticeKind::PostIncidentReport);
    assert!(!remind(&o.due[0], None, every, t("2027-01-01T00:00:00Z")));
}

#[test]
fn the_policy_reads_from_config_with_defaults_and_refuses_unknown_keys() {
    let p: CommsPolicy = serde_json::from_str(r#"{"update_every_critical_secs": 1800}"#).unwrap();
    assert_eq!(p.update_every_critical_secs, 1800);
    assert_eq!(p.update_every_high_secs, 4 * 3600);
    assert!(serde_json::from_str::<CommsPolicy>(r#"{"update_every": 1}"#).is_err());
}

/// A customer added to the affected set after the first notice is owed a
/// notice of their own, and closing waits for it; once told, only the
/// cadence's updates remain.
#[test]
fn customers_added_after_the_first_notice_are_owed_one() {
    let p = CommsPolicy::default();
    let mut f = facts(Severity::Critical);
    f.contained_at = Some(t("2026-01-01T11:00:00Z"));
    f.sent = vec![sent(NoticeKind::CustomerNotice, "2026-01-01T11:10:00Z")];
    let told = obligations(&f, &p);
    assert!(!told.blocks_close);
    assert_eq!(kinds(&told), vec![(NoticeKind::Update, Need::Required)]);

    f.untold = vec![3];
    let o = obligations(&f, &p);
    assert!(o.blocks_close);
    let owed = o
        .due
        .iter()
        .find(|d| d.kind == NoticeKind::CustomerNotice)
        .expect("a notice to the new customer");
    assert_eq!(owed.need, Need::Required);
    assert_eq!(owed.overdue_at, t("2026-01-01T11:40:00Z"));
    assert!(
        owed.why.contains("1 affected customer added"),
        "{}",
        owed.why
    );
    assert!(
        CommsGate {
            anyone_affected: true,
            sent: vec![NoticeKind::CustomerNotice],
            untold: true
        }
        .outcome(Severity::Critical, false, false)
        .1
    );
    assert!(
        !CommsGate {
            anyone_affected: true,
            sent: vec![NoticeKind::CustomerNotice],
            untold: false
        }
        .outcome(Severity::Critical, false, false)
        .1
    );

    // Medium with an SLA: the formal notice again, for the new customers.
    let mut m = facts(Severity::Medium);
    m.sla_affected_at = Some(t("2026-01-01T10:30:00Z"));
    m.sent = vec![sent(NoticeKind::FormalNotice, "2026-01-01T12:00:00Z")];
    assert!(!obligations(&m, &p).blocks_close);
    m.untold = vec![4, 5];
    let o = obligations(&m, &p);
    assert!(o.blocks_close);
    assert!(
        o.due
            .iter()
            .any(|d| d.kind == NoticeKind::FormalNotice && d.why.contains("2 affected customers"))
    );
}
