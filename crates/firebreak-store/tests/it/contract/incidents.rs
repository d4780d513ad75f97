//! Incidents: declaring, changing through `change_incident`, reading,
//! listing, visibility, timelines and notes.

use std::collections::BTreeMap;

use serde_json::json;

use firebreak_api::{
    ChecklistEntry, GateItem, ImpactFacts, Incident, IncidentFilter, ItemStatus, Kind, Phase,
    PhaseEntry, ReportStatus, Role, Severity, SeverityRule, incident_ref,
};
use firebreak_store::incidents::ItemWrite;
use firebreak_store::{Actor, IncidentChange, NewIncident, Reader, StoreError, TimelineEntry};

use crate::harness::{Db, actor, admin, at, fields, json, new_incident, reader, user_ref};

contract_tests!(
    declaring_from_a_report_marks_it_declared,
    a_change_writes_everything_in_one_transaction,
    a_refused_decision_changes_nothing,
    changing_a_missing_incident_is_not_found,
    incident_lists_filter_and_are_newest_first,
    security_incidents_exist_only_for_those_admitted,
    timelines_and_notes_keep_their_order,
    stats_count_open_incidents_and_the_queue,
);

fn entry(incident: &Incident, item: GateItem) -> &ChecklistEntry {
    incident
        .checklist
        .iter()
        .find(|e| e.item == item)
        .unwrap_or_else(|| panic!("{item} is not on the checklist of {}", incident.reference))
}

fn event(kind: &'static str, summary: &str) -> TimelineEntry {
    TimelineEntry {
        kind,
        summary: summary.to_owned(),
        reason: None,
        details: json!({}),
    }
}

async fn declaring_from_a_report_marks_it_declared(db: Db) {
    let s = &db.store;
    let lead = db.user("lead", Role::Lead).await;
    let owner = db.user("owner", Role::Responder).await;
    let svc = db.service("payments", "team-money").await;
    let r = db
        .report("Checkout exploited?", false, &admin(), at(1))
        .await;

    let facts = ImpactFacts {
        active_exploitation: true,
        ..ImpactFacts::default()
    };
    let mut f = fields("Exploited checkout bug", Kind::Availability);
    f.severity = Some(Severity::High);
    f.suggested_severity = Severity::High;
    f.severity_rule = SeverityRule::ActiveExploitation;
    f.owner_id = Some(owner.id);
    f.lead_id = Some(lead.id);
    f.service_id = Some(svc.id);
    f.facts = facts;
    let new = NewIncident {
        fields: f,
        from_report: Some(r.id),
        timeline: vec![
            TimelineEntry {
                kind: "declared",
                summary: "Declared from report".into(),
                reason: None,
                details: json!({"report_id": r.id}),
            },
            TimelineEntry {
                kind: "severity_set",
                summary: "Severity set to high".into(),
                reason: Some("under active exploitation".into()),
                details: json!({"severity": "high"}),
            },
        ],
        members: vec![owner.id, lead.id],
        escalations: Vec::new(),
    };
    let inc = s
        .declare_incident(&new, &actor(&lead), at(10))
        .await
        .unwrap();

    assert!(inc.id > 0);
    assert_eq!(inc.reference, incident_ref(inc.id));
    assert_eq!(inc.title, "Exploited checkout bug");
    assert_eq!(inc.summary, "summary of Exploited checkout bug");
    assert_eq!(inc.kind, Kind::Availability);
    assert_eq!(inc.severity, Some(Severity::High));
    assert_eq!(inc.suggested_severity, Severity::High);
    assert_eq!(inc.severity_rule, SeverityRule::ActiveExploitation);
    assert_eq!(inc.phase, Phase::Triage);
    assert!(inc.open);
    assert_eq!(inc.owner, Some(user_ref(&owner)));
    assert_eq!(inc.lead, Some(user_ref(&lead)));
    assert_eq!(inc.service.as_deref(), Some("payments"));
    assert_eq!(inc.facts, facts);
    assert_eq!(inc.declared_by, Some(user_ref(&lead)));
    assert_eq!(inc.declared_at, at(10));
    assert_eq!(inc.updated_at, at(10));
    assert_eq!(
        inc.phase_entries,
        vec![PhaseEntry {
            phase: Phase::Triage,
            entered_at: at(10)
        }]
    );
    assert_eq!(inc.members, vec![user_ref(&lead), user_ref(&owner)]);
    assert_eq!(inc.report_ids, vec![r.id]);

    // A high incident needs customer communication: every item applies.
    let items: Vec<GateItem> = inc.checklist.iter().map(|e| e.item).collect();
    assert_eq!(items, GateItem::ALL.to_vec());
    for e in &inc.checklist {
        assert_eq!(e.phase, e.item.phase(), "{}", e.item);
        assert_eq!(e.label, e.item.label(), "{}", e.item);
        // Customer communication follows the notices sent where one is
        // required: a high incident whose affected customers are not set.
        let derived = e.item.is_derived() || e.item == GateItem::CustomerCommunicationSent;
        assert_eq!(e.derived, derived, "{}", e.item);
    }
    let sev = entry(&inc, GateItem::SeveritySet);
    assert_eq!(sev.status, ItemStatus::Done);
    assert!(!sev.waivable);
    assert_eq!(entry(&inc, GateItem::OwnerSet).status, ItemStatus::Done);
    let contained = entry(&inc, GateItem::ImpactContained);
    assert_eq!(contained.status, ItemStatus::Open);
    assert_eq!(
        (&contained.note, &contained.by, contained.at),
        (&None, &None, None)
    );
    assert!(entry(&inc, GateItem::EvidencePreserved).waivable);
    assert!(!entry(&inc, GateItem::PostmortemDone).waivable);
    assert!(!entry(&inc, GateItem::CustomerCommunicationSent).waivable);

    // The report is declared.
    let lead_reader = reader(&lead, false);
    let report = s.report(r.id, &lead_reader, at(11)).await.unwrap().unwrap();
    assert_eq!(report.status, ReportStatus::Declared);
    assert_eq!(report.incident_id, Some(inc.id));
    assert_eq!(report.incident_ref, Some(inc.reference.clone()));
    assert_eq!(report.triaged_by, Some(user_ref(&lead)));
    assert_eq!(report.triaged_at, Some(at(10)));

    // The first timeline events, in order.
    let timeline = s.timeline(inc.id).await.unwrap();
    let got: Vec<_> = timeline
        .iter()
        .map(|e| {
            (
                e.incident_id,
                e.kind.as_str(),
                e.actor.as_deref(),
                e.at,
                e.summary.as_str(),
                e.reason.as_deref(),
                e.details.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                inc.id,
                "declared",
                Some("lead"),
                at(10),
                "Declared from report",
                None,
                json!({"report_id": r.id})
            ),
            (
                inc.id,
                "severity_set",
                Some("lead"),
                at(10),
                "Severity set to high",
                Some("under active exploitation"),
                json!({"severity": "high"})
            ),
        ]
    );

    // What was returned is what is stored.
    let stored = s.incident(inc.id, &lead_reader).await.unwrap().unwrap();
    assert_eq!(json(&stored), json(&inc));

    let last = s.audit_entries(1).await.unwrap().remove(0);
    assert_eq!(
        (
            last.action.as_str(),
            last.target.as_str(),
            last.actor.as_str()
        ),
        ("incident.declare", inc.reference.as_str(), "lead")
    );
    assert_eq!(last.at, at(10));
    assert_eq!(last.details["from_report"], json!(r.id));
    assert_eq!(last.details["kind"], json!("availability"));
    assert_eq!(last.details["severity"], json!("high"));
    assert_eq!(last.details["title"], json!("Exploited checkout bug"));

    // From a missing report: refused, nothing written.
    let counts = (
        db.count("incidents").await,
        db.count("incident_phases").await,
        db.count("incident_members").await,
        db.count("timeline_events").await,
        db.count("audit_log").await,
    );
    let missing = NewIncident {
        from_report: Some(r.id + 1000),
        ..new.clone()
    };
    match s.declare_incident(&missing, &actor(&lead), at(20)).await {
        Err(StoreError::NotFound(m)) => assert!(m.contains("report"), "{m}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    // From the same report again: it is no longer untriaged.
    match s.declare_incident(&new, &actor(&lead), at(20)).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("declared"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(
        counts,
        (
            db.count("incidents").await,
            db.count("incident_phases").await,
            db.count("incident_members").await,
            db.count("timeline_events").await,
            db.count("audit_log").await,
        )
    );
}

async fn a_change_writes_everything_in_one_transaction(db: Db) {
    let s = &db.store;
    let resp = db.user("resp", Role::Responder).await;
    let newcomer = db.user("newcomer", Role::Viewer).await;
    let inc = db
        .declare("Slow API", Kind::Availability, &admin(), at(0))
        .await;
    // Low-impact, no severity yet: customer communication does not apply.
    assert_eq!(inc.checklist.len(), GateItem::ALL.len() - 1);
    assert_eq!(entry(&inc, GateItem::SeveritySet).status, ItemStatus::Open);

    let mut seen = None;
    let changed = db
        .change(inc.id, &actor(&resp), at(60), |state, c| {
            seen = Some(state.clone());
            c.fields.title = "Slow API in eu-west".into();
            c.fields.severity = Some(Severity::Medium);
            c.fields.suggested_severity = Severity::Medium;
            c.fields.severity_rule = SeverityRule::RegionalDegradation;
            c.fields.facts.regional_degradation = true;
            c.fields.owner_id = Some(resp.id);
            c.fields.phase = Phase::Containment;
            c.items = vec![
                ItemWrite {
                    item: GateItem::ImpactContained,
                    status: ItemStatus::Done,
                    note: Some("traffic shifted".into()),
                },
                ItemWrite {
                    item: GateItem::EvidencePreserved,
                    status: ItemStatus::Waived,
                    note: Some("nothing to keep".into()),
                },
            ];
            c.add_members = vec![newcomer.id, newcomer.id];
            c.note = Some("shifted traffic to us-east".into());
            c.timeline = vec![
                TimelineEntry {
                    kind: "phase_changed",
                    summary: "Moved to containment".into(),
                    reason: Some("owner and severity set".into()),
                    details: json!({"from": "triage", "to": "containment"}),
                },
                event("note_added", "Note added"),
            ];
            c.audit_action = "incident.transition";
            c.audit_details = json!({"to": "containment"});
        })
        .await;

    // The decision saw the incident as declared.
    let seen = seen.expect("decide was called");
    assert_eq!(seen.id, inc.id);
    assert_eq!(seen.fields, fields("Slow API", Kind::Availability));
    assert!(seen.checklist.is_empty());
    assert!(seen.members.is_empty());

    assert_eq!(changed.title, "Slow API in eu-west");
    assert_eq!(changed.severity, Some(Severity::Medium));
    assert_eq!(changed.suggested_severity, Severity::Medium);
    assert_eq!(changed.severity_rule, SeverityRule::RegionalDegradation);
    assert!(changed.facts.regional_degradation);
    assert_eq!(changed.owner, Some(user_ref(&resp)));
    assert_eq!(changed.lead, None);
    assert_eq!(changed.phase, Phase::Containment);
    assert!(changed.open);
    assert_eq!(changed.declared_at, at(0));
    assert_eq!(changed.updated_at, at(60));
    assert_eq!(
        changed.phase_entries,
        vec![
            PhaseEntry {
                phase: Phase::Triage,
                entered_at: at(0)
            },
            PhaseEntry {
                phase: Phase::Containment,
                entered_at: at(60)
            },
        ]
    );
    assert_eq!(
        entry(&changed, GateItem::SeveritySet).status,
        ItemStatus::Done
    );
    assert_eq!(entry(&changed, GateItem::OwnerSet).status, ItemStatus::Done);
    let contained = entry(&changed, GateItem::ImpactContained);
    assert_eq!(contained.status, ItemStatus::Done);
    assert_eq!(contained.note.as_deref(), Some("traffic shifted"));
    assert_eq!(contained.by, Some(user_ref(&resp)));
    assert_eq!(contained.at, Some(at(60)));
    let evidence = entry(&changed, GateItem::EvidencePreserved);
    assert_eq!(evidence.status, ItemStatus::Waived);
    assert_eq!(evidence.note.as_deref(), Some("nothing to keep"));
    assert_eq!(
        entry(&changed, GateItem::FixDeployed).status,
        ItemStatus::Open
    );
    assert_eq!(changed.members, vec![user_ref(&newcomer)]);

    let notes = s.notes(inc.id).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].incident_id, inc.id);
    assert_eq!(notes[0].author, Some(user_ref(&resp)));
    assert_eq!(notes[0].body, "shifted traffic to us-east");
    assert_eq!(notes[0].created_at, at(60));

    let timeline = s.timeline(inc.id).await.unwrap();
    let got: Vec<_> = timeline
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.actor.as_deref(),
                e.at,
                e.reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "phase_changed",
                Some("resp"),
                at(60),
                Some("owner and severity set")
            ),
            ("note_added", Some("resp"), at(60), None),
        ]
    );
    assert_eq!(
        timeline[0].details,
        json!({"from": "triage", "to": "containment"})
    );

    let last = s.audit_entries(1).await.unwrap().remove(0);
    assert_eq!(
        (
            last.action.as_str(),
            last.target.as_str(),
            last.actor.as_str()
        ),
        ("incident.transition", inc.reference.as_str(), "resp")
    );
    assert_eq!(last.details, json!({"to": "containment"}));
    assert_eq!(last.at, at(60));

    // What was returned is what is stored.
    let stored = s
        .incident(inc.id, &reader(&resp, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(json(&stored), json(&changed));

    // A second change sees the first, reopens an item, re-adds a member
    // (a no-op) and stays in its phase.
    let mut seen = None;
    let changed = db
        .change(inc.id, &actor(&resp), at(120), |state, c| {
            seen = Some(state.clone());
            c.items = vec![ItemWrite {
                item: GateItem::EvidencePreserved,
                status: ItemStatus::Open,
                note: None,
            }];
            c.add_members = vec![newcomer.id];
            c.fields.lead_id = Some(resp.id);
        })
        .await;
    let seen = seen.expect("decide was called");
    assert_eq!(seen.fields.phase, Phase::Containment);
    assert_eq!(seen.fields.title, "Slow API in eu-west");
    assert_eq!(seen.fields.owner_id, Some(resp.id));
    assert_eq!(
        seen.checklist,
        BTreeMap::from([
            (GateItem::ImpactContained, ItemStatus::Done),
            (GateItem::EvidencePreserved, ItemStatus::Waived),
        ])
    );
    assert_eq!(seen.members, vec![newcomer.id]);
    assert_eq!(seen.gate().phase, Phase::Containment);

    let evidence = entry(&changed, GateItem::EvidencePreserved);
    assert_eq!(evidence.status, ItemStatus::Open);
    assert_eq!(
        (&evidence.note, &evidence.by, evidence.at),
        (&None, &None, None)
    );
    assert_eq!(
        entry(&changed, GateItem::ImpactContained).status,
        ItemStatus::Done
    );
    assert_eq!(db.count("checklist_items").await, 1);
    assert_eq!(changed.phase_entries.len(), 2);
    assert_eq!(changed.members, vec![user_ref(&newcomer)]);
    assert_eq!(changed.lead, Some(user_ref(&resp)));
    assert_eq!(changed.updated_at, at(120));
    assert_eq!(s.notes(inc.id).await.unwrap().len(), 1);
    assert_eq!(s.timeline(inc.id).await.unwrap().len(), 2);
    assert_eq!(
        db.audit_actions().await.last().map(String::as_str),
        Some("incident.update")
    );

    // Moving back re-enters a phase: a new entry, the old ones kept.
    let changed = db
        .change(inc.id, &actor(&resp), at(180), |_, c| {
            c.fields.phase = Phase::Triage;
        })
        .await;
    assert_eq!(
        changed
            .phase_entries
            .iter()
            .map(|e| (e.phase, e.entered_at))
            .collect::<Vec<_>>(),
        vec![
            (Phase::Triage, at(0)),
            (Phase::Containment, at(60)),
            (Phase::Triage, at(180)),
        ]
    );
}

/// Everything a change could touch, read through the store and directly.
async fn snapshot(db: &Db, id: i64, who: &Reader) -> serde_json::Value {
    let s = &db.store;
    let mut counts = serde_json::Map::new();
    for table in [
        "incidents",
        "incident_phases",
        "incident_members",
        "checklist_items",
        "notes",
        "timeline_events",
        "reports",
        "audit_log",
    ] {
        counts.insert(table.to_owned(), json!(db.count(table).await));
    }
    json!({
        "incident": json(&s.incident(id, who).await.unwrap()),
        "timeline": json(&s.timeline(id).await.unwrap()),
        "notes": json(&s.notes(id).await.unwrap()),
        "audit": json(&s.audit_entries(100_000).await.unwrap()),
        "audit_head": db.int("SELECT seq FROM audit_head WHERE id = 1").await,
        "counts": counts,
    })
}

async fn a_refused_decision_changes_nothing(db: Db) {
    let s = &db.store;
    let resp = db.user("resp", Role::Responder).await;
    let other = db.user("other", Role::Viewer).await;
    let who = reader(&resp, true);
    let inc = db
        .declare("Database failover", Kind::Availability, &admin(), at(0))
        .await;
    db.change(inc.id, &actor(&resp), at(10), |_, c| {
        c.fields.severity = Some(Severity::Low);
        c.fields.owner_id = Some(resp.id);
        c.fields.phase = Phase::Containment;
        c.items = vec![ItemWrite {
            item: GateItem::EvidencePreserved,
            status: ItemStatus::Done,
            note: Some("snapshots taken".into()),
        }];
        c.add_members = vec![resp.id];
        c.note = Some("failover started".into());
        c.timeline = vec![event("phase_changed", "Moved to containment")];
    })
    .await;

    let before = snapshot(&db, inc.id, &who).await;
    assert_eq!(before["counts"]["notes"], json!(1));

    let mut called = false;
    let result = s
        .change_incident(inc.id, &actor(&resp), at(500), |state| {
            called = true;
            assert_eq!(state.fields.phase, Phase::Containment);
            assert_eq!(
                state.checklist.get(&GateItem::EvidencePreserved),
                Some(&ItemStatus::Done)
            );
            // A change is built, then refused: none of it may be written.
            let mut change = IncidentChange::from(state, "incident.transition");
            change.fields.title = "must not be written".into();
            change.fields.phase = Phase::Remediation;
            change.items = vec![ItemWrite {
                item: GateItem::EvidencePreserved,
                status: ItemStatus::Open,
                note: None,
            }];
            change.add_members = vec![other.id];
            change.note = Some("must not be written".into());
            change.timeline = vec![event("phase_changed", "must not be written")];
            if change.fields.phase > state.fields.phase {
                return Err(format!(
                    "cannot leave {}: gate item `impact_contained` is open",
                    state.fields.phase
                ));
            }
            Ok(change)
        })
        .await
        .expect("the store itself did not fail");
    assert!(called);
    match result {
        Err(e) => assert_eq!(
            e,
            "cannot leave containment: gate item `impact_contained` is open"
        ),
        Ok(i) => panic!("expected the decision's error, got {}", i.reference),
    }

    let after = snapshot(&db, inc.id, &who).await;
    assert_eq!(before, after);
    let v = s.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");

    // The store is usable right after the rollback.
    let changed = db
        .change(inc.id, &actor(&resp), at(600), |_, c| {
            c.note = Some("still working".into());
        })
        .await;
    assert_eq!(changed.title, "Database failover");
    assert_eq!(changed.updated_at, at(600));
    assert_eq!(s.notes(inc.id).await.unwrap().len(), 2);
    assert_eq!(
        db.count("audit_log").await,
        before["counts"]["audit_log"].as_i64().unwrap() + 1
    );
}

async fn changing_a_missing_incident_is_not_found(db: Db) {
    let s = &db.store;
    let inc = db
        .declare("Real", Kind::Availability, &admin(), at(0))
        .await;
    let audit = db.count("audit_log").await;
    let missing = inc.id + 1000;
    let mut called = false;
    let result = s
        .change_incident(missing, &admin(), at(1), |state| {
            called = true;
            Ok::<_, String>(IncidentChange::from(state, "incident.update"))
        })
        .await;
    match result {
        Err(StoreError::NotFound(m)) => assert!(m.contains(&incident_ref(missing)), "{m}"),
        Ok(_) => panic!("expected NotFound"),
        Err(other) => panic!("expected NotFound, got {other:?}"),
    }
    assert!(!called, "decide must not run for a missing incident");
    assert_eq!(db.count("audit_log").await, audit);
    assert!(
        s.incident(
            missing,
            &Reader {
                user_id: 1,
                sees_all_confidential: true
            }
        )
        .await
        .unwrap()
        .is_none()
    );
}

async fn incident_lists_filter_and_are_newest_first(db: Db) {
    let sec = db.user("sec", Role::Security).await;
    let all = reader(&sec, true);
    let by = actor(&sec);
    let set = |sev: Severity, phase: Phase| {
        move |_: &firebreak_store::IncidentState, c: &mut IncidentChange| {
            c.fields.severity = Some(sev);
            c.fields.phase = phase;
        }
    };
    let a = db.declare("a", Kind::Availability, &by, at(0)).await;
    db.change(a.id, &by, at(1), set(Severity::High, Phase::Triage))
        .await;
    let b = db.declare("b", Kind::Availability, &by, at(2)).await;
    db.change(b.id, &by, at(3), set(Severity::Low, Phase::Containment))
        .await;
    let c = db.declare("c", Kind::Security, &by, at(4)).await;
    db.change(c.id, &by, at(5), set(Severity::Critical, Phase::Recovery))
        .await;
    let d = db.declare("d", Kind::Availability, &by, at(6)).await;
    let d_closed = db
        .change(d.id, &by, at(7), set(Severity::Medium, Phase::Closed))
        .await;
    assert!(!d_closed.open);
    let e = db.declare("e", Kind::Availability, &by, at(8)).await;

    let filter = |phase, severity, kind, open| IncidentFilter {
        phase,
        severity,
        kind,
        open,
        ..IncidentFilter::default()
    };
    let listed = db
        .store
        .list_incidents(&IncidentFilter::default(), &all)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|i| (i.id, i.open)).collect::<Vec<_>>(),
        vec![
            (e.id, true),
            (d.id, false),
            (c.id, true),
            (b.id, true),
            (a.id, true)
        ]
    );
    assert_eq!(json(&listed[1]), json(&d_closed));

    let cases: Vec<(IncidentFilter, Vec<i64>)> = vec![
        (
            filter(Some(Phase::Triage), None, None, None),
            vec![e.id, a.id],
        ),
        (
            filter(Some(Phase::Containment), None, None, None),
            vec![b.id],
        ),
        (filter(Some(Phase::Remediation), None, None, None), vec![]),
        (filter(None, Some(Severity::High), None, None), vec![a.id]),
        (
            filter(None, Some(Severity::Critical), None, None),
            vec![c.id],
        ),
        (filter(None, None, Some(Kind::Security), None), vec![c.id]),
        (
            filter(None, None, Some(Kind::Availability), None),
            vec![e.id, d.id, b.id, a.id],
        ),
        (
            filter(None, None, None, Some(true)),
            vec![e.id, c.id, b.id, a.id],
        ),
        (filter(None, None, None, Some(false)), vec![d.id]),
        (
            filter(
                Some(Phase::Triage),
                Some(Severity::High),
                Some(Kind::Availability),
                Some(true),
            ),
            vec![a.id],
        ),
        (
            filter(
                None,
                Some(Severity::Critical),
                Some(Kind::Availability),
                None,
            ),
            vec![],
        ),
        (filter(Some(Phase::Closed), None, None, Some(true)), vec![]),
    ];
    for (f, want) in cases {
        assert_eq!(db.listed(&f, &all).await, want, "{f:?}");
    }
}

async fn security_incidents_exist_only_for_those_admitted(db: Db) {
    let s = &db.store;
    let sec = db.user("sec", Role::Security).await;
    let resp = db.user("resp", Role::Responder).await;
    let outsider = db.user("outsider", Role::Viewer).await;
    let all = IncidentFilter::default();
    let security_only = IncidentFilter {
        kind: Some(Kind::Security),
        ..IncidentFilter::default()
    };

    let outage = db
        .declare("Outage", Kind::Availability, &admin(), at(0))
        .await;
    let breach = db
        .declare("Breach", Kind::Security, &actor(&sec), at(1))
        .await;

    // A normal reader: the breach does not exist.
    let resp_r = reader(&resp, false);
    assert!(s.incident(breach.id, &resp_r).await.unwrap().is_none());
    assert!(s.incident(outage.id, &resp_r).await.unwrap().is_some());
    assert_eq!(db.listed(&all, &resp_r).await, vec![outage.id]);
    assert!(db.listed(&security_only, &resp_r).await.is_empty());

    // The security team sees it.
    let sec_r = reader(&sec, true);
    let seen = s.incident(breach.id, &sec_r).await.unwrap().unwrap();
    assert_eq!(seen.title, "Breach");
    assert_eq!(db.listed(&all, &sec_r).await, vec![breach.id, outage.id]);

    // Added as a member, the responder sees it; the outsider still does not.
    let with_member = db
        .change(breach.id, &actor(&sec), at(5), |_, c| {
            c.add_members = vec![resp.id];
            c.audit_action = "incident.member_add";
        })
        .await;
    assert_eq!(with_member.members, vec![user_ref(&resp)]);
    let seen = s.incident(breach.id, &resp_r).await.unwrap().unwrap();
    assert_eq!(json(&seen), json(&with_member));
    assert_eq!(db.listed(&all, &resp_r).await, vec![breach.id, outage.id]);
    assert_eq!(db.listed(&security_only, &resp_r).await, vec![breach.id]);
    let outsider_r = reader(&outsider, false);
    assert!(s.incident(breach.id, &outsider_r).await.unwrap().is_none());
    assert_eq!(db.listed(&all, &outsider_r).await, vec![outage.id]);

    // Declared with members: they see it from the start.
    let breach2 = db
        .declare_new(
            new_incident(
                fields("Second breach", Kind::Security),
                None,
                vec![outsider.id],
            ),
            &actor(&sec),
            at(6),
        )
        .await;
    assert!(s.incident(breach2.id, &outsider_r).await.unwrap().is_some());
    assert!(s.incident(breach2.id, &resp_r).await.unwrap().is_none());
    assert_eq!(
        db.listed(&all, &outsider_r).await,
        vec![breach2.id, outage.id]
    );

    // An incident that becomes a security incident disappears for others.
    db.change(outage.id, &actor(&sec), at(7), |_, c| {
        c.fields.kind = Kind::Security;
    })
    .await;
    assert!(s.incident(outage.id, &outsider_r).await.unwrap().is_none());
    assert_eq!(db.listed(&all, &outsider_r).await, vec![breach2.id]);
    assert_eq!(db.listed(&all, &resp_r).await, vec![breach.id]);
    assert_eq!(
        db.listed(&all, &sec_r).await,
        vec![breach2.id, breach.id, outage.id]
    );
}

async fn timelines_and_notes_keep_their_order(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Lead).await;
    let bob = db.user("bob", Role::Responder).await;
    let inc = s
        .declare_incident(
            &NewIncident {
                fields: fields("Queue backlog", Kind::Availability),
                from_report: None,
                timeline: vec![event("declared", "Declared")],
                members: Vec::new(),
                escalations: Vec::new(),
            },
            &actor(&alice),
            at(0),
        )
        .await
        .unwrap();
    let other = db
        .declare("Unrelated", Kind::Availability, &admin(), at(1))
        .await;

    db.change(inc.id, &actor(&alice), at(10), |_, c| {
        c.note = Some("first note".into());
        c.timeline = vec![event("note_added", "Note by alice")];
        c.audit_action = "incident.note";
    })
    .await;
    db.change(other.id, &actor(&alice), at(15), |_, c| {
        c.note = Some("elsewhere".into());
        c.timeline = vec![event("note_added", "Note elsewhere")];
    })
    .await;
    db.change(inc.id, &actor(&bob), at(20), |_, c| {
        c.fields.severity = Some(Severity::High);
        c.note = Some("second note".into());
        c.timeline = vec![
            event("note_added", "Note by bob"),
            TimelineEntry {
                kind: "severity_changed",
                summary: "Severity set to high".into(),
                reason: Some("worse than thought".into()),
                details: json!({"from": null, "to": "high"}),
            },
        ];
    })
    .await;
    let r = db.report("Slow jobs", false, &admin(), at(25)).await;
    s.link_report(r.id, inc.id, &actor(&bob), at(30))
        .await
        .unwrap();
    db.change(inc.id, &Actor::system(), at(40), |_, c| {
        c.note = Some("automated reminder".into());
        c.timeline = vec![event("reminder", "No update for 30 minutes")];
    })
    .await;

    let timeline = s.timeline(inc.id).await.unwrap();
    let got: Vec<_> = timeline
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.actor.as_deref(),
                e.at,
                e.summary.as_str(),
                e.reason.as_deref(),
            )
        })
        .collect();
    let report_summary = format!("Report {} linked: Slow jobs", r.id);
    assert_eq!(
        got,
        vec![
            ("declared", Some("alice"), at(0), "Declared", None),
            ("note_added", Some("alice"), at(10), "Note by alice", None),
            ("note_added", Some("bob"), at(20), "Note by bob", None),
            (
                "severity_changed",
                Some("bob"),
                at(20),
                "Severity set to high",
                Some("worse than thought")
            ),
            (
                "report_linked",
                Some("bob"),
                at(30),
                report_summary.as_str(),
                None
            ),
            (
                "reminder",
                Some("system"),
                at(40),
                "No update for 30 minutes",
                None
            ),
        ]
    );
    assert!(timeline.iter().all(|e| e.incident_id == inc.id));
    assert!(timeline.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(timeline[3].details, json!({"from": null, "to": "high"}));
    assert_eq!(timeline[4].details, json!({"report_id": r.id}));

    let notes = s.notes(inc.id).await.unwrap();
    let got: Vec<_> = notes
        .iter()
        .map(|n| {
            (
                n.incident_id,
                n.author.clone(),
                n.body.as_str(),
                n.created_at,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (inc.id, Some(user_ref(&alice)), "first note", at(10)),
            (inc.id, Some(user_ref(&bob)), "second note", at(20)),
            (inc.id, None, "automated reminder", at(40)),
        ]
    );
    assert!(notes.windows(2).all(|w| w[0].id < w[1].id));

    // The other incident has only its own.
    let other_timeline = s.timeline(other.id).await.unwrap();
    assert_eq!(other_timeline.len(), 1);
    assert_eq!(other_timeline[0].summary, "Note elsewhere");
    let other_notes = s.notes(other.id).await.unwrap();
    assert_eq!(other_notes.len(), 1);
    assert_eq!(other_notes[0].body, "elsewhere");
    assert!(
        s.timeline(inc.id + other.id + 1000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.notes(inc.id + other.id + 1000).await.unwrap().is_empty());
}

async fn stats_count_open_incidents_and_the_queue(db: Db) {
    let s = &db.store;
    let empty = s.stats(true).await.unwrap();
    assert!(empty.open_by_severity.is_empty(), "{empty:?}");
    assert_eq!(empty.untriaged_reports, 0);

    let by = admin();
    let severity = |sev: Severity, phase: Phase| {
        move |_: &firebreak_store::IncidentState, c: &mut IncidentChange| {
            c.fields.severity = Some(sev);
            c.fields.phase = phase;
        }
    };
    db.declare("unset", Kind::Availability, &by, at(0)).await;
    for (i, (sev, phase)) in [
        (Severity::High, Phase::Triage),
        (Severity::High, Phase::Recovery),
        (Severity::Low, Phase::Closed),
        (Severity::Critical, Phase::Containment),
    ]
    .into_iter()
    .enumerate()
    {
        let inc = db
            .declare(&format!("incident {i}"), Kind::Security, &by, at(1))
            .await;
        db.change(inc.id, &by, at(2), severity(sev, phase)).await;
    }
    let r1 = db.report("one", false, &by, at(3)).await;
    db.report("two", true, &by, at(4)).await;
    db.report("three", false, &by, at(5)).await;
    s.dismiss_report(r1.id, "noise", &by, at(6)).await.unwrap();

    let stats = s.stats(true).await.unwrap();
    assert_eq!(
        stats.open_by_severity,
        vec![
            ("critical".to_owned(), 1),
            ("high".to_owned(), 2),
            ("none".to_owned(), 1),
        ]
    );
    assert_eq!(stats.untriaged_reports, 2);

    // Without confidential records: the security incidents and the
    // confidential report are left out.
    let public = s.stats(false).await.unwrap();
    assert_eq!(public.open_by_severity, vec![("none".to_owned(), 1)]);
    assert_eq!(public.untriaged_reports, 1);
}

/// Listing incidents takes a fixed number of queries, whatever the number
/// of incidents, in one snapshot. Counted on PostgreSQL, where sqlx reports
/// each statement on the task that runs it (SQLite runs them on its own
/// worker thread), by a subscriber that counts sqlx's query events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_incidents_takes_a_fixed_number_of_queries() {
    crate::harness::run(firebreak_store::Backend::Postgres, |db: Db| async move {
        use tracing::instrument::WithSubscriber;
        let sec = db.user("sec", Role::Security).await;
        let all = reader(&sec, true);
        let by = actor(&sec);
        let mut counts = Vec::new();
        // Once before counting: tracing decides whether sqlx's query events
        // are wanted when their call sites first meet a subscriber (and
        // caches the answer), which on a multi-threaded runtime can race the
        // first counted call.
        db.store
            .list_incidents(&IncidentFilter::default(), &all)
            .with_subscriber(QueryCounter::default())
            .await
            .unwrap();
        for batch in 0..2 {
            for i in 0..30 {
                let inc = db
                    .declare(
                        &format!("incident {batch}-{i}"),
                        Kind::Availability,
                        &by,
                        at(i),
                    )
                    .await;
                db.change(inc.id, &by, at(i), |_, c| {
                    c.fields.severity = Some(Severity::High);
                })
                .await;
            }
            let counter = QueryCounter::default();
            let listed = db
                .store
                .list_incidents(&IncidentFilter::default(), &all)
                .with_subscriber(counter.clone())
                .await
                .unwrap();
            assert_eq!(listed.len(), 30 * (batch + 1));
            assert!(listed.iter().all(|i| !i.phase_entries.is_empty()));
            counts.push(counter.queries());
        }
        assert!(counts[0] > 0, "no query was counted: {counts:?}");
        assert_eq!(counts[0], counts[1], "30 and 60 incidents: {counts:?}");
        assert!(counts[0] <= 8, "{counts:?}");
    })
    .await;
}

/// A `tracing` subscriber that counts sqlx's `sqlx::query` events.
#[derive(Clone, Default)]
struct QueryCounter(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl QueryCounter {
    fn queries(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl tracing::Subscriber for QueryCounter {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "sqlx::query"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
