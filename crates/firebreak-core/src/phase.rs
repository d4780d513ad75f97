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
                // A closed incident keeps a hand mark made while the item
                // was a manual one (before issue 11, or while nobody was
                // affected): it closed on it, and closed it stays.
                let kept =
                    self.phase == Phase::Closed && self.items.get(&item) == Some(&ItemStatus::Done);
                flag(kept || self.comms_outcome().is_some_and(|(_, blocks)| !blocks))
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
mod tests;
