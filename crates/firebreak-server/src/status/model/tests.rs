use chrono::TimeZone;
use firebreak_store::status::{StatusChange, StatusComponent};

use super::*;

fn t(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
}

fn meta() -> PageMeta {
    PageMeta {
        name: "Acme status".into(),
        url: "https://x/status".into(),
    }
}

fn comp(id: i64, status: &str) -> StatusComponent {
    StatusComponent {
        id,
        name: format!("c{id}"),
        description: String::new(),
        service_id: 1,
        status: status.into(),
        position: id,
        created_at: t(1, 0),
        updated_at: t(1, 0),
    }
}

#[test]
fn an_unresolved_incident_makes_its_component_worse_and_sets_the_indicator() {
    let mut snap = StatusSnapshot {
        components: vec![comp(1, "operational"), comp(2, "degraded_performance")],
        ..Default::default()
    };
    let now = t(10, 12);
    let p = page(meta(), &snap, now);
    assert_eq!(p.components[0].status, ComponentStatus::Operational);
    assert_eq!(p.overall.indicator, "minor");

    snap.spans.push(IncidentSpan {
        incident_id: 7,
        component_id: 1,
        status: "major_outage".into(),
        from: t(10, 9),
        until: None,
    });
    let p = page(meta(), &snap, now);
    assert_eq!(p.components[0].status, ComponentStatus::MajorOutage);
    assert_eq!(p.overall.indicator, "critical");
    assert_eq!(p.overall.description, "Major System Outage");
    // Today's bar segment shows it; the day before is fine.
    let days = &p.components[0].days;
    assert_eq!(days.len(), HISTORY_DAYS as usize);
    assert_eq!(days[89].status, Some(ComponentStatus::MajorOutage));
    assert_eq!(days[88].status, Some(ComponentStatus::Operational));
    // Before the component existed: no data.
    assert_eq!(days[0].status, None);

    // Resolved: the component is back, the day keeps the outage.
    snap.spans[0].until = Some(t(10, 11));
    let p = page(meta(), &snap, now);
    assert_eq!(p.components[0].status, ComponentStatus::Operational);
    assert_eq!(
        p.components[0].days[89].status,
        Some(ComponentStatus::MajorOutage)
    );
}

#[test]
fn history_follows_own_status_changes_per_day() {
    let snap = StatusSnapshot {
        components: vec![comp(1, "operational")],
        changes: vec![
            StatusChange {
                component_id: 1,
                status: "partial_outage".into(),
                at: t(5, 10),
            },
            StatusChange {
                component_id: 1,
                status: "operational".into(),
                at: t(6, 2),
            },
        ],
        ..Default::default()
    };
    let p = page(meta(), &snap, t(10, 12));
    let day = |d: u32| {
        p.components[0]
            .days
            .iter()
            .find(|x| x.date == t(d, 0).date_naive())
            .unwrap()
            .status
    };
    assert_eq!(day(4), Some(ComponentStatus::Operational));
    assert_eq!(day(5), Some(ComponentStatus::PartialOutage));
    assert_eq!(day(6), Some(ComponentStatus::PartialOutage));
    assert_eq!(day(7), Some(ComponentStatus::Operational));
    assert!(p.components[0].days[89].text().ends_with("Operational"));
}

#[test]
fn maintenance_in_progress_puts_its_service_under_maintenance() {
    let snap = StatusSnapshot {
        components: vec![comp(1, "operational")],
        maintenances: vec![StatusMaintenance {
            id: 3,
            service_id: 1,
            title: "Database upgrade".into(),
            body: String::new(),
            starts_at: t(10, 10),
            ends_at: t(10, 14),
            created_at: t(9, 0),
        }],
        ..Default::default()
    };
    let before = page(meta(), &snap, t(10, 9));
    assert_eq!(before.maintenances[0].state, MaintenanceState::Scheduled);
    assert_eq!(before.overall.indicator, "none");
    let during = page(meta(), &snap, t(10, 12));
    assert_eq!(
        during.components[0].status,
        ComponentStatus::UnderMaintenance
    );
    assert_eq!(during.overall.indicator, "maintenance");
    let after = page(meta(), &snap, t(10, 15));
    assert_eq!(after.maintenances[0].state, MaintenanceState::Completed);
    assert_eq!(after.upcoming().count(), 0);
}

#[test]
fn incidents_take_their_latest_updates_title_and_resolve_by_phase() {
    let incidents_in = vec![StatusIncident {
        id: 4,
        severity: Some("high".into()),
        declared_at: t(10, 8),
        monitoring_at: None,
        resolved_at: None,
    }];
    let updates = vec![
        StatusUpdate {
            id: 1,
            incident_id: 4,
            kind: "status_post".into(),
            title: "Slow logins".into(),
            body: "Looking".into(),
            public_status: "investigating".into(),
            sent_at: t(10, 9),
        },
        StatusUpdate {
            id: 2,
            incident_id: 4,
            kind: "update".into(),
            title: "Logins failing".into(),
            body: "Found it".into(),
            public_status: "identified".into(),
            sent_at: t(10, 10),
        },
    ];
    let out = incidents(&incidents_in, &updates, &[]);
    assert_eq!(out[0].name, "Logins failing");
    assert_eq!(out[0].status, PublicStatus::Identified);
    assert_eq!(out[0].impact, "major");
    assert_eq!(out[0].updates[0].id, 2, "newest first");
    let mut resolved = incidents_in.clone();
    resolved[0].resolved_at = Some(t(10, 11));
    let out = incidents(&resolved, &updates, &[]);
    assert_eq!(out[0].status, PublicStatus::Resolved);
    // An incident without updates does not show.
    assert!(incidents(&incidents_in, &[], &[]).is_empty());
}

#[test]
fn feeds_escape_text() {
    let snap = StatusSnapshot {
        incidents: vec![StatusIncident {
            id: 1,
            severity: None,
            declared_at: t(10, 8),
            monitoring_at: None,
            resolved_at: None,
        }],
        updates: vec![StatusUpdate {
            id: 1,
            incident_id: 1,
            kind: "status_post".into(),
            title: "<b>&</b>".into(),
            body: "a < b\u{1}".into(),
            public_status: "investigating".into(),
            sent_at: t(10, 9),
        }],
        ..Default::default()
    };
    let p = page(meta(), &snap, t(10, 12));
    let atom = super::super::feeds::atom(&p);
    assert!(atom.contains("&lt;b&gt;&amp;&lt;/b&gt;"));
    assert!(!atom.contains('\u{1}'));
    let rss = super::super::feeds::rss(&p);
    assert!(rss.contains("a &lt; b"));
}
