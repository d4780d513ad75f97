//! Customer communication: the process's "Customer communication" section
//! as a pure decision, beside [`crate::escalation`].
//!
//! [`obligations`] reads an incident's communication facts (severity, when
//! containment completed and service recovered, whether it is closed, the
//! customer-data and SLA facts, which customers are affected) and the
//! notices already sent, and answers what is due now, what is overdue and
//! what would still block closing. [`remind`] says whether the incident
//! lead is to be reminded of an overdue notice: once per cadence, never on
//! every tick of a worker.
//!
//! The rules, from the process document:
//! - Critical / High: affected customers are notified as soon as
//!   practicable after containment, with a brief description of the
//!   incident and its impact; updates follow until the incident is
//!   resolved (recovered), at the policy's cadence; a post-incident report
//!   may be offered at close (never required).
//! - Medium / Low: the status page or support, as needed (offered, never
//!   required); a formal notice is required when customer data was
//!   accessed or contractual commitments (an SLA) are affected.
//!
//! Who the affected customers' contacts are, and the text, are the
//! server's; this module only says *what kind of notice, when, and why*.
//!
//! The gate: where a notice is required, `customer_communication_sent` is
//! derived from [`Obligations::blocks_close`] ([`CommsGate`], read by
//! [`crate::GateState`]) and cannot be ticked by hand.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::severity::Severity;

/// The kinds of communication the process names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The first notice to affected customers after containment.
    CustomerNotice,
    /// A follow-up to the same customers until recovery.
    Update,
    /// The formal notice of a medium or low incident touching customer
    /// data or an SLA.
    FormalNotice,
    /// A post on the public status page.
    StatusPost,
    /// A summary or post-incident report, offered at close.
    PostIncidentReport,
}

crate::named_enum!(NoticeKind, "notice kind", {
    CustomerNotice => "customer_notice",
    Update => "update",
    FormalNotice => "formal_notice",
    StatusPost => "status_post",
    PostIncidentReport => "post_incident_report",
});

impl NoticeKind {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::CustomerNotice => "Customer notice",
            NoticeKind::Update => "Update",
            NoticeKind::FormalNotice => "Formal notice",
            NoticeKind::StatusPost => "Status page post",
            NoticeKind::PostIncidentReport => "Post-incident report",
        }
    }
}

/// Which customers an incident affects, as far as anyone has said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "customers")]
pub enum Affected {
    /// Nobody has said yet: a notice that falls due is addressed to "the
    /// affected customers", and choosing them is part of what is due.
    NotSet,
    /// No customer is affected (an internal incident): nothing is owed.
    Nobody,
    /// These customers (ids), set by hand or derived from components.
    Customers(Vec<i64>),
    /// Every customer.
    All,
}

impl Affected {
    /// Whether a notice may be owed to someone.
    fn anyone(&self) -> bool {
        match self {
            Affected::Nobody => false,
            Affected::Customers(c) => !c.is_empty(),
            Affected::NotSet | Affected::All => true,
        }
    }
}

/// The policy's timing (the defaults are the process's reading).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommsPolicy {
    /// "As soon as practicable after containment": the first notice is
    /// overdue this long after containment completed (seconds).
    pub notice_within_secs: i64,
    /// Updates to a critical incident's customers, every (seconds).
    pub update_every_critical_secs: i64,
    /// Updates to a high incident's customers, every (seconds).
    pub update_every_high_secs: i64,
    /// A medium or low incident's formal notice is overdue this long after
    /// the fact that requires it was set (seconds).
    pub formal_within_secs: i64,
}

impl Default for CommsPolicy {
    fn default() -> Self {
        CommsPolicy {
            notice_within_secs: 30 * 60,
            update_every_critical_secs: 60 * 60,
            update_every_high_secs: 4 * 60 * 60,
            formal_within_secs: 24 * 60 * 60,
        }
    }
}

impl CommsPolicy {
    /// The update cadence of a severity; `None` where updates are not owed.
    pub fn cadence(&self, severity: Severity) -> Option<Duration> {
        match severity {
            Severity::Critical => Some(Duration::seconds(self.update_every_critical_secs)),
            Severity::High => Some(Duration::seconds(self.update_every_high_secs)),
            Severity::Medium | Severity::Low => None,
        }
    }
}

/// A notice already sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub kind: NoticeKind,
    pub at: DateTime<Utc>,
}

/// What the rules read of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommsFacts {
    pub severity: Severity,
    pub declared_at: DateTime<Utc>,
    /// When containment completed (the containment phase was left).
    pub contained_at: Option<DateTime<Utc>>,
    /// When service was recovered (the recovery phase was left): updates
    /// stop here.
    pub recovered_at: Option<DateTime<Utc>>,
    /// The incident is closed.
    pub closed: bool,
    /// When unauthorized access to customer data was confirmed, if it was.
    pub customer_data_accessed_at: Option<DateTime<Utc>>,
    /// When an SLA or other contractual commitment was marked affected.
    pub sla_affected_at: Option<DateTime<Utc>>,
    pub affected: Affected,
    /// Every notice sent, in any order.
    pub sent: Vec<Sent>,
    /// Affected customers who can be told (they have a contact) and whom
    /// no notice to customers has reached yet: customers added to the
    /// affected set after the first notice went out. They are owed a
    /// notice of their own, and closing waits for it.
    pub untold: Vec<i64>,
}

/// Whether a communication is owed or only offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The process requires it: unsent, it blocks closing.
    Required,
    /// The process offers it ("may be offered", "as needed").
    Offered,
}

/// One communication the process asks for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub kind: NoticeKind,
    pub need: Need,
    /// When it falls (or fell) due.
    pub due_at: DateTime<Utc>,
    /// When it is overdue: the lead is reminded from then on.
    pub overdue_at: DateTime<Utc>,
    /// A sentence saying why, for the incident page and the reminder.
    pub why: String,
}

impl Due {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.need == Need::Required && now >= self.overdue_at
    }
}

/// What is owed for an incident.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Obligations {
    /// Due now or later, soonest first (only what has fallen due or will,
    /// given what has happened so far).
    pub due: Vec<Due>,
    /// Whether a notice is required at all for this incident: where it is,
    /// `customer_communication_sent` is derived from [`Self::blocks_close`]
    /// and cannot be ticked by hand.
    pub notice_required: bool,
    /// A required notice is unsent: closing is refused.
    pub blocks_close: bool,
}

fn last_sent(sent: &[Sent], kinds: &[NoticeKind]) -> Option<DateTime<Utc>> {
    sent.iter()
        .filter(|s| kinds.contains(&s.kind))
        .map(|s| s.at)
        .max()
}

/// What the process asks for, for an incident with these facts: each due
/// communication with when it falls due and when it is overdue (compare
/// with the clock through [`Due::is_overdue`]).
pub fn obligations(f: &CommsFacts, p: &CommsPolicy) -> Obligations {
    let mut out = Obligations::default();
    if !f.affected.anyone() {
        return out;
    }
    match f.severity {
        Severity::Critical | Severity::High => urgent(f, p, &mut out),
        Severity::Medium | Severity::Low => routine(f, p, &mut out),
    }
    out.due.sort_by_key(|d| d.due_at);
    out
}

/// Critical and high: a notice after containment, updates until recovery,
/// a report offered at close.
fn urgent(f: &CommsFacts, p: &CommsPolicy, out: &mut Obligations) {
    out.notice_required = true;
    let Some(contained) = f.contained_at else {
        // Nothing is owed before containment; the notice will be.
        out.blocks_close = true;
        return;
    };
    let first = last_sent(&f.sent, &[NoticeKind::CustomerNotice]);
    let Some(first) = first else {
        out.blocks_close = true;
        out.due.push(Due {
            kind: NoticeKind::CustomerNotice,
            need: Need::Required,
            due_at: contained,
            overdue_at: contained + Duration::seconds(p.notice_within_secs),
            why: format!(
                "{} incident contained: tell the affected customers what happened and its impact",
                f.severity
            ),
        });
        return;
    };
    if !f.untold.is_empty() {
        out.blocks_close = true;
        out.due
            .push(untold_due(f, p, NoticeKind::CustomerNotice, first));
    }
    if let (Some(cadence), None) = (p.cadence(f.severity), f.recovered_at) {
        let last = last_sent(&f.sent, &[NoticeKind::CustomerNotice, NoticeKind::Update])
            .unwrap_or(contained);
        let next = last + cadence;
        out.due.push(Due {
            kind: NoticeKind::Update,
            need: Need::Required,
            due_at: next,
            overdue_at: next,
            why: format!(
                "updates every {} until the incident is recovered",
                human(cadence)
            ),
        });
        // An update due and unsent does not block closing: a closed
        // incident is recovered, and recovery ends the updates.
    }
    if f.closed && last_sent(&f.sent, &[NoticeKind::PostIncidentReport]).is_none() {
        out.due.push(Due {
            kind: NoticeKind::PostIncidentReport,
            need: Need::Offered,
            due_at: f.recovered_at.unwrap_or(contained),
            overdue_at: f.recovered_at.unwrap_or(contained),
            why: "a summary or post-incident report may be offered".to_owned(),
        });
    }
}

/// Medium and low: the status page as needed; a formal notice when
/// customer data or an SLA is affected.
fn routine(f: &CommsFacts, p: &CommsPolicy, out: &mut Obligations) {
    let trigger = match (f.customer_data_accessed_at, f.sla_affected_at) {
        (Some(a), Some(b)) => Some((a.min(b), "customer data and an SLA are affected")),
        (Some(a), None) => Some((a, "customer data was accessed")),
        (None, Some(b)) => Some((b, "an SLA is affected")),
        (None, None) => None,
    };
    if let Some((since, what)) = trigger {
        out.notice_required = true;
        let formal = last_sent(
            &f.sent,
            &[NoticeKind::FormalNotice, NoticeKind::CustomerNotice],
        );
        if let (Some(first), false) = (formal, f.untold.is_empty()) {
            out.blocks_close = true;
            out.due
                .push(untold_due(f, p, NoticeKind::FormalNotice, first.max(since)));
        }
        if formal.is_none() {
            out.blocks_close = true;
            out.due.push(Due {
                kind: NoticeKind::FormalNotice,
                need: Need::Required,
                due_at: since,
                overdue_at: since + Duration::seconds(p.formal_within_secs),
                why: format!("{what}: a formal notice to the affected customers is required"),
            });
        }
    }
    if !f.closed && last_sent(&f.sent, &[NoticeKind::StatusPost]).is_none() {
        out.due.push(Due {
            kind: NoticeKind::StatusPost,
            need: Need::Offered,
            due_at: f.declared_at,
            overdue_at: f.declared_at,
            why: "a post on the status page, as needed".to_owned(),
        });
    }
}

/// What the checklist reads of an incident's communication: whom it
/// affects and which kinds of notice were sent. The times do not matter to
/// whether a notice is required or blocks closing, only to when it is due.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommsGate {
    /// Someone may be affected (not set, all, or a non-empty set).
    pub anyone_affected: bool,
    /// The kinds of notice sent so far.
    pub sent: Vec<NoticeKind>,
    /// Some affected customer who can be told has not been reached by any
    /// notice yet (see [`CommsFacts::untold`]).
    pub untold: bool,
}

impl CommsGate {
    /// `(notice_required, blocks_close)` for an incident of `severity` with
    /// these facts, by [`obligations`] itself (so the gate and the
    /// communication page cannot disagree).
    pub fn outcome(
        &self,
        severity: Severity,
        customer_data_accessed: bool,
        sla_affected: bool,
    ) -> (bool, bool) {
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        let facts = CommsFacts {
            severity,
            declared_at: epoch,
            // The gate is read when leaving post-incident, long after
            // containment: a notice sent is a notice sent.
            contained_at: Some(epoch),
            recovered_at: Some(epoch),
            closed: false,
            customer_data_accessed_at: customer_data_accessed.then_some(epoch),
            sla_affected_at: sla_affected.then_some(epoch),
            affected: if self.anyone_affected {
                Affected::All
            } else {
                Affected::Nobody
            },
            sent: self
                .sent
                .iter()
                .map(|k| Sent {
                    kind: *k,
                    at: epoch,
                })
                .collect(),
            untold: if self.untold { vec![0] } else { Vec::new() },
        };
        let o = obligations(&facts, &CommsPolicy::default());
        (o.notice_required, o.blocks_close)
    }
}

/// A notice owed to the customers [`CommsFacts::untold`] names: due since
/// the first notice went out (when they were added is not known here),
/// overdue after the notice window.
fn untold_due(f: &CommsFacts, p: &CommsPolicy, kind: NoticeKind, since: DateTime<Utc>) -> Due {
    let n = f.untold.len();
    Due {
        kind,
        need: Need::Required,
        due_at: since,
        overdue_at: since + Duration::seconds(p.notice_within_secs),
        why: format!(
            "{n} affected customer{} added after the first notice {} not been told yet",
            if n == 1 { "" } else { "s" },
            if n == 1 { "has" } else { "have" },
        ),
    }
}

/// Whether to remind the incident lead of `due` now, given when they were
/// last reminded of it: from the moment it is overdue, then once per
/// `every` (the severity's cadence, or the notice window), never more.
pub fn remind(
    due: &Due,
    last_reminded: Option<DateTime<Utc>>,
    every: Duration,
    now: DateTime<Utc>,
) -> bool {
    if !due.is_overdue(now) {
        return false;
    }
    match last_reminded {
        Some(at) if at >= due.overdue_at => now >= at + every,
        _ => true,
    }
}

fn human(d: Duration) -> String {
    let m = d.num_minutes();
    if m % 60 == 0 {
        format!("{} h", m / 60)
    } else {
        format!("{m} min")
    }
}

#[cfg(test)]
mod tests;
