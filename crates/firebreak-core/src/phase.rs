//! The phases of an incident and the gates between them.
//!
//! An incident moves triage → containment → remediation → recovery →
//! post-incident → closed. Leaving a phase needs its gate: a list of items
//! each done (with a note) or waived (with a reason), or, for triage, facts
//! of the incident itself (severity and owner set). A move back needs a
//! reason and reopens the items of the phases it goes back through, so a
//! recurrence is contained, fixed and recovered again.
//!
//! The one invariant: an incident is never in a phase whose earlier gates
//! are open. Every change (a move, a checklist mark, a change of kind,
//! severity, facts or owner) is checked against [`GateState::check_invariant`]
//! before it is written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::comms::CommsGate;
use crate::named_enum;
use crate::severity::{ImpactFacts, Kind, Severity};

/// The phases of the process's internal response workflow, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Triage,
    Containment,
    Remediation,
    Recovery,
    PostIncident,
    Closed,
}

named_enum!(Phase, "phase", {
    Triage => "triage",
    Containment => "containment",
    Remediation => "remediation",
    Recovery => "recovery",
    PostIncident => "post_incident",
    Closed => "closed",
});

impl Phase {
    /// Whether an incident in this phase may still be escalated (by hand or
    /// by any rule): a closed incident pages nobody.
    pub fn escalates(self) -> bool {
        self != Phase::Closed
    }

    /// The phase after this one, if any.
    pub fn next(self) -> Option<Phase> {
        let i = Phase::ALL.iter().position(|p| *p == self)?;
        Phase::ALL.get(i + 1).copied()
    }

    /// A human label for pages and tables.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Triage => "Triage",
            Phase::Containment => "Containment",
            Phase::Remediation => "Remediation",
            Phase::Recovery => "Recovery",
            Phase::PostIncident => "Post-incident",
            Phase::Closed => "Closed",
        }
    }
}

/// One item of a phase's gate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GateItem {
    SeveritySet,
    OwnerSet,
    ImpactContained,
    EvidencePreserved,
    FixDeployed,
    DeploymentVerified,
    ServiceRestored,
    DataIntegrityConfirmed,
    AccessConfirmed,
    PostmortemDone,
    CustomerCommunicationSent,
    FollowUpsTracked,
}

named_enum!(GateItem, "checklist item", {
    SeveritySet => "severity_set",
    OwnerSet => "owner_set",
    ImpactContained => "impact_contained",
    EvidencePreserved => "evidence_preserved",
    FixDeployed => "fix_deployed",
    DeploymentVerified => "deployment_verified",
    ServiceRestored => "service_restored",
    DataIntegrityConfirmed => "data_integrity_confirmed",
    AccessConfirmed => "access_confirmed",
    PostmortemDone => "postmortem_done",
    CustomerCommunicationSent => "customer_communication_sent",
    FollowUpsTracked => "follow_ups_tracked",
});

impl GateItem {
    /// The phase this item gates: it must be settled to leave that phase.
    pub fn phase(self) -> Phase {
        use GateItem::*;
        match self {
            SeveritySet | OwnerSet => Phase::Triage,
            ImpactContained | EvidencePreserved => Phase::Containment,
            FixDeployed | DeploymentVerified => Phase::Remediation,
            ServiceRestored | DataIntegrityConfirmed | AccessConfirmed => Phase::Recovery,
            PostmortemDone | CustomerCommunicationSent | FollowUpsTracked => Phase::PostIncident,
        }
    }

    /// Derived items follow the incident's own fields and cannot be marked.
    pub fn is_derived(self) -> bool {
        matches!(self, GateItem::SeveritySet | GateItem::OwnerSet)
    }

    /// A human label for pages and tables.
    pub fn label(self) -> &'static str {
        use GateItem::*;
        match self {
            SeveritySet => "Severity set",
            OwnerSet => "Owner assigned",
            ImpactContained => "Impact contained",
            EvidencePreserved => "Evidence preserved",
            FixDeployed => "Fix deployed",
            DeploymentVerified => "Deployment verified",
            ServiceRestored => "Service restored",
            DataIntegrityConfirmed => "Data integrity confirmed",
            AccessConfirmed => "Access confirmed",
            PostmortemDone => "Post-mortem done",
            CustomerCommunicationSent => "Customer communication sent",
            FollowUpsTracked => "Follow-up actions tracked",
        }
    }
}

/// Where a gate item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    #[default]
    Open,
    Done,
    Waived,
}

named_enum!(ItemStatus, "item status", { Open => "open", Done => "done", Waived => "waived" });

/// What someone does to a checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemAction {
    Done,
    Waive,
}

/// Everything the gates read of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateState {
    pub kind: Kind,
    pub severity: Option<Severity>,
    pub owner_set: bool,
    pub phase: Phase,
    pub facts: ImpactFacts,
    /// Marked items; an item not here is open.
    pub items: BTreeMap<GateItem, ItemStatus>,
    /// The incident's customer communication, when known: where it makes a
    /// notice required, `customer_communication_sent` is derived from the
    /// notices sent. `None`: the item is a manual one, as before issue 11.
    pub comms: Option<CommsGate>,
}

/// How a permitted move goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionKind {
    Forward,
    /// A move back; these items were settled and are open again.
    Backward {
        reopened: Vec<GateItem>,
    },
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the incident is already in {0}")]
    SamePhase(Phase),
    #[error("moving back from {from} to {to} needs a reason")]
    ReasonRequired { from: Phase, to: Phase },
    #[error("cannot leave {phase}: gate item `{item}` is open")]
    GateOpen { phase: Phase, item: GateItem },
}

/// Why a checklist mark is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecklistError {
    #[error(
        "`{0}` follows the incident's own fields or records (the notices sent) and cannot be marked"
    )]
    Derived(GateItem),
    #[error("`{0}` does not apply to this incident")]
    NotApplicable(GateItem),
    #[error("`{item}` cannot be waived: {why}")]
    NotWaivable { item: GateItem, why: &'static str },
    #[error("waiving `{0}` needs a reason")]
    ReasonRequired(GateItem),
    #[error("`{0}` is already done")]
    AlreadyDone(GateItem),
}

/// A gate left open behind the incident's phase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gate item `{item}` of {phase} would be open while the incident is in {current}")]
pub struct OpenGate {
    pub phase: Phase,
    pub item: GateItem,
    pub current: Phase,
}

const ALL_ITEMS: &[GateItem] = GateItem::ALL;

impl GateState {
    /// A new incident: in triage, nothing marked.
    pub fn new(kind: Kind, severity: Option<Severity>, owner_set: bool) -> GateState {
        GateState {
            kind,
            severity,
            owner_set,
            phase: Phase::Triage,
            facts: ImpactFacts::default(),
            items: BTreeMap::new(),
            comms: None,
        }
    }

    /// `(notice_required, blocks_close)` by the communication rules, when
    /// the incident's communication is known and it has a severity.
    fn comms_outcome(&self) -> Option<(bool, bool)> {
        let (comms, severity) = (self.comms.as_ref()?, self.severity?);
        Some(comms.outcome(
            severity,
            self.facts.customer_data_accessed,
            self.facts.sla_affected,
        ))
    }

    /// Whether `customer_communication_sent` follows the notices sent (a
    /// notice is required) rather than a hand mark.
    pub fn communication_derived(&self) -> bool {
        self.comms_outcome().is_some_and(|(required, _)| required)
    }

    /// Whether `item` follows the incident's own fields or records and
    /// cannot be marked: severity and owner set always, customer
    /// communication where a notice is required.
    pub fn derived(&self, item: GateItem) -> bool {
        item.is_derived()
            || (item == GateItem::CustomerCommunicationSent && self.communication_derived())
    }

    /// Customer communication is required for critical and high incidents,
    /// and for any incident where customer data or contractual commitments
    /// (an SLA) are affected.
    pub fn communication_required(&self) -> bool {
        self.severity.is_some_and(Severity::is_urgent)
            || self.facts.customer_data_accessed
            || self.facts.sla_affected
    }

    /// Whether `item` is part of this incident's gates.
    pub fn applies(&self, item: GateItem) -> bool {
        match item {
            GateItem::CustomerCommunicationSent => {
                self.communication_required() || self.communication_derived()
            }
            _ => true,
        }
    }

    /// Why `item` may not be waived for this incident, if it may not.
    pub fn waiver_refused(&self, item: GateItem) -> Option<&'static str> {
        match item {
            GateItem::SeveritySet | GateItem::OwnerSet => {
                Some("severity and owner must be set to leave triage")
            }
            GateItem::EvidencePreserved if self.kind == Kind::Security => {
                Some("evidence must be preserved for security incidents")
            }
            GateItem::PostmortemDone if self.severity.is_none_or(Severity::is_urgent) => {
                Some("a post-mortem is required for critical and high incidents")
            }
            GateItem::CustomerCommunicationSent => {
                Some("customer communication is required for this incident")
            }
            _ => None,
        }
    }

    /// The status of `item`, derived items included.
    pub fn status(&self, item: GateItem) -> ItemStatus {
        match item {
            GateItem::SeveritySet => flag(self.severity.is_some()),
            GateItem::OwnerSet => flag(self.owner_set),
            GateItem::CustomerCommunicationSent if self.communication_derived() => {
                flag(self.comms_outcome().is_some_and(|(_, blocks)| !blocks))
            }
            _ => self.items.get(&item).copied().unwrap_or_default(),
        }
    }

    /// Whether `item` lets its phase be left: done, or waived where a waiver
    /// is allowed. A waiver that a later change made invalid (say the kind
    /// became security) no longer counts.
    pub fn satisfied(&self, item: GateItem) -> bool {
        match self.status(item) {
            ItemStatus::Done => true,
            ItemStatus::Waived => self.waiver_refused(item).is_none(),
            ItemStatus::Open => false,
        }
    }

    /// The items of the gate that leaving `phase` needs, with their status.
    pub fn gate(&self, phase: Phase) -> Vec<(GateItem, ItemStatus)> {
        ALL_ITEMS
            .iter()
            .filter(|i| i.phase() == phase && self.applies(**i))
            .map(|i| (*i, self.status(*i)))
            .collect()
    }

    /// The first item that keeps `phase` from being left.
    pub fn first_unsatisfied(&self, phase: Phase) -> Option<GateItem> {
        ALL_ITEMS
            .iter()
            .copied()
            .find(|i| i.phase() == phase && self.applies(*i) && !self.satisfied(*i))
    }

    /// The invariant: every gate before the current phase is satisfied.
    pub fn check_invariant(&self) -> Result<(), OpenGate> {
        for phase in Phase::ALL.iter().copied().filter(|p| *p < self.phase) {
            if let Some(item) = self.first_unsatisfied(phase) {
                return Err(OpenGate {
                    phase,
                    item,
                    current: self.phase,
                });
            }
        }
        Ok(())
    }

    /// Whether a move to `to` is allowed, and how it goes. Forward moves may
    /// skip phases only if every gate on the way is satisfied.
    pub fn check_transition(
        &self,
        to: Phase,
        reason: Option<&str>,
    ) -> Result<TransitionKind, TransitionError> {
        if to == self.phase {
            return Err(TransitionError::SamePhase(to));
        }
        if to < self.phase {
            if reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(TransitionError::ReasonRequired {
                    from: self.phase,
                    to,
                });
            }
            let reopened = ALL_ITEMS
                .iter()
                .copied()
                .filter(|i| {
                    !i.is_derived() && i.phase() >= to && self.status(*i) != ItemStatus::Open
                })
                .collect();
            return Ok(TransitionKind::Backward { reopened });
        }
        for phase in Phase::ALL
            .iter()
            .copied()
            .filter(|p| *p >= self.phase && *p < to)
        {
            if let Some(item) = self.first_unsatisfied(phase) {
                return Err(TransitionError::GateOpen { phase, item });
            }
        }
        Ok(TransitionKind::Forward)
    }

    /// Applies a move that [`GateState::check_transition`] allowed.
    pub fn apply_transition(&mut self, to: Phase, kind: &TransitionKind) {
        if let TransitionKind::Backward { reopened } = kind {
            for item in reopened {
                self.items.remove(item);
            }
        }
        self.phase = to;
    }

    /// Whether marking `item` is allowed.
    pub fn check_item(
        &self,
        item: GateItem,
        action: ItemAction,
        reason: Option<&str>,
    ) -> Result<(), ChecklistError> {
        if self.derived(item) {
            return Err(ChecklistError::Derived(item));
        }
        if !self.applies(item) {
            return Err(ChecklistError::NotApplicable(item));
        }
        if self.status(item) == ItemStatus::Done {
            return Err(ChecklistError::AlreadyDone(item));
        }
        if action == ItemAction::Waive {
            if let Some(why) = self.waiver_refused(item) {
                return Err(ChecklistError::NotWaivable { item, why });
            }
            if reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(ChecklistError::ReasonRequired(item));
            }
        }
        Ok(())
    }

    /// Records a mark that [`GateState::check_item`] allowed.
    pub fn apply_item(&mut self, item: GateItem, action: ItemAction) {
        let status = match action {
            ItemAction::Done => ItemStatus::Done,
            ItemAction::Waive => ItemStatus::Waived,
        };
        self.items.insert(item, status);
    }
}

fn flag(set: bool) -> ItemStatus {
    if set {
        ItemStatus::Done
    } else {
        ItemStatus::Open
    }
}

#[cfg(test)]
mod tests {
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
            anyone_affected: true,
            sent: vec![crate::comms::NoticeKind::FormalNotice],
        });
        assert_eq!(
            s.check_transition(Phase::Closed, None),
            Ok(TransitionKind::Forward)
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
}
