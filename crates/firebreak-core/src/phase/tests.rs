use super::*;
use proptest::prelude::*;

fn ready(kind: Kind, severity: Severity) -> GateState {
    GateState::new(kind, Some(severity), true)
}

#[test]
fn leaving_triage_needs_severity_and_owner() {
    let s = GateState::new(Kind::Availability, None, false);
    assert_eq!(
        s.check_transition(Phase::Containment, None),
        Err(TransitionError::GateOpen {
            phase: Phase::Triage,
            item: GateItem::SeveritySet
        })
    );
    let s = GateState::new(Kind::Availability, Some(Severity::Low), false);
    assert_eq!(
        s.check_transition(Phase::Containment, None),
        Err(TransitionError::GateOpen {
            phase: Phase::Triage,
            item: GateItem::OwnerSet
        })
    );
    assert_eq!(
        ready(Kind::Availability, Severity::Low).check_transition(Phase::Containment, None),
        Ok(TransitionKind::Forward)
    );
}

#[test]
fn gates_per_phase_follow_kind_and_severity() {
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        for sev in Severity::ALL {
            let s = ready(*kind, *sev);
            let gates: Vec<String> = Phase::ALL
                .iter()
                .map(|p| {
                    let items: Vec<String> = s
                        .gate(*p)
                        .iter()
                        .map(|(i, _)| {
                            let w = if s.waiver_refused(*i).is_some() {
                                "!"
                            } else {
                                ""
                            };
                            format!("{i}{w}")
                        })
                        .collect();
                    format!("{}=[{}]", p, items.join(","))
                })
                .collect();
            rows.push(format!("{kind}/{sev}: {}", gates.join(" ")));
        }
    }
    expect_test::expect![[r#"
        security/low: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved!] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done,follow_ups_tracked] closed=[]
        security/medium: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved!] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done,follow_ups_tracked] closed=[]
        security/high: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved!] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done!,customer_communication_sent!,follow_ups_tracked] closed=[]
        security/critical: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved!] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done!,customer_communication_sent!,follow_ups_tracked] closed=[]
        availability/low: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done,follow_ups_tracked] closed=[]
        availability/medium: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done,follow_ups_tracked] closed=[]
        availability/high: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done!,customer_communication_sent!,follow_ups_tracked] closed=[]
        availability/critical: triage=[severity_set!,owner_set!] containment=[impact_contained,evidence_preserved] remediation=[fix_deployed,deployment_verified] recovery=[service_restored,data_integrity_confirmed,access_confirmed] post_incident=[postmortem_done!,customer_communication_sent!,follow_ups_tracked] closed=[]"#]]
    .assert_eq(&rows.join("\n"));
}

#[test]
fn evidence_waiver_is_refused_for_security_and_allowed_for_availability() {
    let sec = ready(Kind::Security, Severity::Critical);
    assert!(matches!(
        sec.check_item(GateItem::EvidencePreserved, ItemAction::Waive, Some("n/a")),
        Err(ChecklistError::NotWaivable { .. })
    ));
    let avail = ready(Kind::Availability, Severity::Critical);
    assert_eq!(
        avail.check_item(GateItem::EvidencePreserved, ItemAction::Waive, Some("n/a")),
        Ok(())
    );
    assert_eq!(
        avail.check_item(GateItem::EvidencePreserved, ItemAction::Waive, Some("  ")),
        Err(ChecklistError::ReasonRequired(GateItem::EvidencePreserved))
    );
}

#[test]
fn postmortem_waiver_only_for_medium_and_low() {
    for (sev, ok) in [
        (Severity::Low, true),
        (Severity::Medium, true),
        (Severity::High, false),
        (Severity::Critical, false),
    ] {
        let s = ready(Kind::Availability, sev);
        let r = s.check_item(GateItem::PostmortemDone, ItemAction::Waive, Some("small"));
        assert_eq!(r.is_ok(), ok, "{sev}");
    }
}

#[test]
fn moving_back_needs_a_reason_and_reopens_later_gates() {
    let mut s = ready(Kind::Availability, Severity::High);
    for item in [
        GateItem::ImpactContained,
        GateItem::EvidencePreserved,
        GateItem::FixDeployed,
        GateItem::DeploymentVerified,
    ] {
        s.apply_item(item, ItemAction::Done);
    }
    let k = s.check_transition(Phase::Recovery, None).unwrap();
    s.apply_transition(Phase::Recovery, &k);
    assert_eq!(
        s.check_transition(Phase::Containment, None),
        Err(TransitionError::ReasonRequired {
            from: Phase::Recovery,
            to: Phase::Containment
        })
    );
    let k = s
        .check_transition(Phase::Containment, Some("recurred"))
        .unwrap();
    assert_eq!(
        k,
        TransitionKind::Backward {
            reopened: vec![
                GateItem::ImpactContained,
                GateItem::EvidencePreserved,
                GateItem::FixDeployed,
                GateItem::DeploymentVerified
            ]
        }
    );
    s.apply_transition(Phase::Containment, &k);
    assert_eq!(s.status(GateItem::ImpactContained), ItemStatus::Open);
    assert_eq!(s.check_invariant(), Ok(()));
}

#[test]
fn a_kind_change_can_invalidate_an_earlier_waiver() {
    let mut s = ready(Kind::Availability, Severity::Medium);
    s.apply_item(GateItem::ImpactContained, ItemAction::Done);
    s.apply_item(GateItem::EvidencePreserved, ItemAction::Waive);
    let k = s.check_transition(Phase::Remediation, None).unwrap();
    s.apply_transition(Phase::Remediation, &k);
    let mut candidate = s.clone();
    candidate.kind = Kind::Security;
    assert_eq!(
        candidate.check_invariant(),
        Err(OpenGate {
            phase: Phase::Containment,
            item: GateItem::EvidencePreserved,
            current: Phase::Remediation
        })
    );
}

#[derive(Debug, Clone)]
enum Op {
    Move(Phase, bool),
    Mark(GateItem, bool),
    Severity(Option<Severity>),
    Owner(bool),
    Kind(Kind),
    Facts(ImpactFacts),
    Comms(Option<CommsGate>),
}

fn op() -> impl Strategy<Value = Op> {
    let phase = prop::sample::select(Phase::ALL);
    let item = prop::sample::select(GateItem::ALL);
    let sev = prop::option::of(prop::sample::select(Severity::ALL));
    let kind = prop::sample::select(Kind::ALL);
    prop_oneof![
           4 => (phase, any::<bool>()).prop_map(|(p, r)| Op::Move(p, r)),
           6 => (item, any::<bool>()).prop_map(|(i, w)| Op::Mark(i, w)),
           1 => sev.prop_map(Op::Severity),
           1 => any::<bool>().prop_map(Op::Owner),
           1 => kind.prop_map(Op::Kind),
           1 => (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, c)| Op::Facts(ImpactFacts {
               customer_data_accessed: a,
               sla_affected: b,
               full_outage: c,
               ..ImpactFacts::default()
           })),
           1 => prop::option::of((any::<bool>(), prop::collection::vec(prop::sample::select(&[
               crate::comms::NoticeKind::CustomerNotice,
               crate::comms::NoticeKind::FormalNotice,
               crate::comms::NoticeKind::StatusPost,
           ][..]), 0..2))).prop_map(|c| Op::Comms(c.map(|(anyone_affected, sent)| CommsGate {
    untold: false,
               anyone_affected,
               sent,
           }))),
       ]
}

/// Applies an operation the way the server does: ask, then write only
/// what was allowed.
fn step(s: &mut GateState, op: &Op) {
    match op {
        Op::Move(to, with_reason) => {
            let reason = with_reason.then_some("because");
            if let Ok(k) = s.check_transition(*to, reason) {
                s.apply_transition(*to, &k);
            }
        }
        Op::Mark(item, waive) => {
            let action = if *waive {
                ItemAction::Waive
            } else {
                ItemAction::Done
            };
            if s.check_item(*item, action, Some("noted")).is_ok() {
                s.apply_item(*item, action);
            }
        }
        Op::Severity(v) => change(s, |c| c.severity = *v),
        Op::Owner(v) => change(s, |c| c.owner_set = *v),
        Op::Kind(v) => change(s, |c| c.kind = *v),
        Op::Facts(v) => change(s, |c| c.facts = *v),
        Op::Comms(v) => change(s, |c| c.comms = v.clone()),
    }
}

fn change(s: &mut GateState, f: impl FnOnce(&mut GateState)) {
    let mut candidate = s.clone();
    f(&mut candidate);
    if candidate.check_invariant().is_ok() {
        *s = candidate;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn no_sequence_reaches_a_phase_past_an_open_gate(
        kind in prop::sample::select(Kind::ALL),
        ops in prop::collection::vec(op(), 0..80),
    ) {
        let mut s = GateState::new(kind, None, false);
        for op in &ops {
            step(&mut s, op);
            prop_assert_eq!(s.check_invariant(), Ok(()));
            for phase in Phase::ALL.iter().filter(|p| **p < s.phase) {
                for (item, _) in s.gate(*phase) {
                    prop_assert!(s.satisfied(item), "{item} open behind {}", s.phase);
                }
            }
        }
    }
}

#[test]
fn customer_communication_follows_the_notices_where_one_is_required() {
    use crate::comms::NoticeKind::*;
    let mut rows = Vec::new();
    let facts = |data: bool, sla: bool| ImpactFacts {
        customer_data_accessed: data,
        sla_affected: sla,
        ..ImpactFacts::default()
    };
    let cases = [
        (Severity::Critical, facts(false, false), None, "unknown"),
        (
            Severity::Critical,
            facts(false, false),
            Some((false, vec![])),
            "nobody",
        ),
        (
            Severity::Critical,
            facts(false, false),
            Some((true, vec![])),
            "unsent",
        ),
        (
            Severity::High,
            facts(false, false),
            Some((true, vec![StatusPost])),
            "status post",
        ),
        (
            Severity::High,
            facts(false, false),
            Some((true, vec![CustomerNotice])),
            "sent",
        ),
        (
            Severity::Medium,
            facts(false, false),
            Some((true, vec![])),
            "unsent",
        ),
        (
            Severity::Medium,
            facts(false, true),
            Some((true, vec![])),
            "unsent",
        ),
        (
            Severity::Medium,
            facts(false, true),
            Some((false, vec![])),
            "nobody",
        ),
        (
            Severity::Low,
            facts(true, false),
            Some((true, vec![FormalNotice])),
            "sent",
        ),
    ];
    for (sev, f, comms, label) in cases {
        let mut s = ready(Kind::Availability, sev);
        s.facts = f;
        s.comms = comms.map(|(anyone_affected, sent)| CommsGate {
            untold: false,
            anyone_affected,
            sent,
        });
        let mark = s.check_item(GateItem::CustomerCommunicationSent, ItemAction::Done, None);
        let line = if s.applies(GateItem::CustomerCommunicationSent) {
            format!(
                "{:?} derived={} mark={}",
                s.status(GateItem::CustomerCommunicationSent),
                s.derived(GateItem::CustomerCommunicationSent),
                match mark {
                    Ok(()) => "ok".to_owned(),
                    Err(e) => format!("{e:?}"),
                }
            )
        } else {
            "not applicable".to_owned()
        };
        let sla = if f.sla_affected {
            "+sla"
        } else if f.customer_data_accessed {
            "+data"
        } else {
            ""
        };
        rows.push(format!("{sev}{sla} {label}: {line}"));
    }
    expect_test::expect![[r#"
        critical unknown: Open derived=false mark=ok
        critical nobody: Open derived=false mark=ok
        critical unsent: Open derived=true mark=Derived(CustomerCommunicationSent)
        high status post: Open derived=true mark=Derived(CustomerCommunicationSent)
        high sent: Done derived=true mark=Derived(CustomerCommunicationSent)
        medium unsent: not applicable
        medium+sla unsent: Open derived=true mark=Derived(CustomerCommunicationSent)
        medium+sla nobody: Open derived=false mark=ok
        low+data sent: Done derived=true mark=Derived(CustomerCommunicationSent)"#]]
    .assert_eq(&rows.join("\n"));
}

#[test]
fn closing_is_refused_while_a_required_notice_is_unsent() {
    let mut s = ready(Kind::Availability, Severity::Medium);
    s.facts.sla_affected = true;
    s.comms = Some(CommsGate {
        untold: false,
        anyone_affected: true,
        sent: vec![],
    });
    let manual: Vec<GateItem> = GateItem::ALL
        .iter()
        .copied()
        .filter(|i| !s.derived(*i))
        .collect();
    for item in manual {
        s.apply_item(item, ItemAction::Done);
    }
    let k = s.check_transition(Phase::PostIncident, None).unwrap();
    s.apply_transition(Phase::PostIncident, &k);
    assert_eq!(
        s.check_transition(Phase::Closed, None),
        Err(TransitionError::GateOpen {
            phase: Phase::PostIncident,
            item: GateItem::CustomerCommunicationSent
        })
    );
    s.comms = Some(CommsGate {
        untold: false,
        anyone_affected: true,
        sent: vec![crate::comms::NoticeKind::FormalNotice],
    });
    assert_eq!(
        s.check_transition(Phase::Closed, None),
        Ok(TransitionKind::Forward)
    );
}

#[test]
fn a_closed_incident_keeps_the_hand_mark_it_closed_on() {
    let mut s = ready(Kind::Availability, Severity::Critical);
    s.comms = Some(CommsGate {
        untold: false,
        anyone_affected: false,
        sent: vec![],
    });
    let manual: Vec<GateItem> = GateItem::ALL
        .iter()
        .copied()
        .filter(|i| !s.derived(*i))
        .collect();
    assert!(manual.contains(&GateItem::CustomerCommunicationSent));
    for item in manual {
        s.apply_item(item, ItemAction::Done);
    }
    let k = s.check_transition(Phase::Closed, None).unwrap();
    s.apply_transition(Phase::Closed, &k);
    // Customers are said to be affected after it closed: the item becomes
    // derived, and the mark it closed on still counts.
    s.comms = Some(CommsGate {
        untold: false,
        anyone_affected: true,
        sent: vec![],
    });
    assert!(s.derived(GateItem::CustomerCommunicationSent));
    assert_eq!(s.check_invariant(), Ok(()));
    // Moved back, the mark is reopened and a notice is owed again.
    let k = s
        .check_transition(Phase::PostIncident, Some("reopened"))
        .unwrap();
    s.apply_transition(Phase::PostIncident, &k);
    assert_eq!(
        s.status(GateItem::CustomerCommunicationSent),
        ItemStatus::Open
    );
}

#[test]
fn the_whole_path_to_closed_is_reachable() {
    let mut s = ready(Kind::Security, Severity::Critical);
    for item in GateItem::ALL.iter().filter(|i| !i.is_derived()) {
        s.apply_item(*item, ItemAction::Done);
    }
    let k = s.check_transition(Phase::Closed, None).unwrap();
    s.apply_transition(Phase::Closed, &k);
    assert_eq!(s.phase, Phase::Closed);
    assert_eq!(s.check_invariant(), Ok(()));
}
