//! Alert deduplication as a pure state machine.
//!
//! One open alert per key: a firing alert with no open alert of its key
//! opens one; one with an open alert is a repeat of it; an acknowledge or a
//! resolve applies to the open alert, and is ignored when there is none; a
//! firing alert after a resolve opens a new one. [`plan`] runs a batch of
//! alerts (several deliveries, in order of arrival) through that machine,
//! starting from the open alerts the store found for the batch's keys, and
//! says what to write: which open alerts change and how ([`Existing`]),
//! which alerts are new ([`Fresh`]), and, once the new alerts have ids, what
//! happened to each alert of each delivery ([`Plan::outcomes`]).
//!
//! No IO: the store reads the open alerts, calls [`plan`], and writes what
//! the plan says, so the rules can be tested against a plain model
//! (`dedup/tests.rs`).

use std::collections::{BTreeMap, HashMap};

use crate::AlertStatus;

#[cfg(test)]
mod tests;

/// What routing decided for an alert when it arrived. Serialized as its
/// word ([`Disposition::as_str`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// To the triage queue.
    Triage,
    /// A rule declares an incident for it.
    Declare,
    /// A silence covered it.
    Silenced,
    /// A maintenance window of its service covered it.
    Maintenance,
}

impl Disposition {
    pub const ALL: [Disposition; 4] = [
        Disposition::Triage,
        Disposition::Declare,
        Disposition::Silenced,
        Disposition::Maintenance,
    ];

    /// The word stored and shown: `triage`, `declare`, `silenced`,
    /// `maintenance`.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Triage => "triage",
            Disposition::Declare => "declare",
            Disposition::Silenced => "silenced",
            Disposition::Maintenance => "maintenance",
        }
    }

    pub fn parse(s: &str) -> Option<Disposition> {
        Disposition::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Opened while a silence or a maintenance window covered it: a later
    /// repeat that is no longer covered, and that a rule declares, declares
    /// it then.
    pub fn is_suppressed(self) -> bool {
        matches!(self, Disposition::Silenced | Disposition::Maintenance)
    }
}

/// Compares with the word, as stored and shown.
impl PartialEq<&str> for Disposition {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for Disposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one alert of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOutcomeKind {
    /// A new alert and a new report in the triage queue.
    Opened,
    /// The open alert with this key was seen again: count and last_seen.
    Repeated,
    Acknowledged,
    Resolved,
    /// An acknowledge or resolve for a key with no open alert.
    Ignored,
}

impl AlertOutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertOutcomeKind::Opened => "opened",
            AlertOutcomeKind::Repeated => "repeated",
            AlertOutcomeKind::Acknowledged => "acknowledged",
            AlertOutcomeKind::Resolved => "resolved",
            AlertOutcomeKind::Ignored => "ignored",
        }
    }
}

/// One alert of a batch, as deduplication sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The key that makes alerts the same alert (the store's open key:
    /// integration and dedup key).
    pub key: String,
    /// The alert's own dedup key, given back in its outcome.
    pub dedup_key: String,
    pub signal: AlertStatus,
    pub disposition: Disposition,
}

/// An open alert as the batch sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: i64,
    pub report_id: i64,
    pub disposition: Disposition,
    /// Times seen firing before the batch.
    pub count: i64,
    /// Times seen firing in the batch.
    pub count_inc: i64,
    pub acknowledged: bool,
    pub resolved: bool,
    /// Whether it was acknowledged before the batch: an alert whose status
    /// the batch leaves as it was is updated without touching its indexed
    /// columns.
    pub was_acknowledged: bool,
    /// Opened silenced or in maintenance, and declared by a repeat of this
    /// batch (its disposition is now `declare`).
    pub unsuppressed: bool,
}

impl Existing {
    /// An open alert as stored (`status` is firing or acknowledged).
    pub fn open(
        id: i64,
        report_id: i64,
        disposition: Disposition,
        status: AlertStatus,
        count: i64,
    ) -> Existing {
        let acknowledged = status == AlertStatus::Acknowledged;
        Existing {
            id,
            report_id,
            disposition,
            count,
            count_inc: 0,
            acknowledged,
            resolved: false,
            was_acknowledged: acknowledged,
            unsuppressed: false,
        }
    }

    /// Whether the batch changes its status (and so its indexed columns).
    pub fn status_changes(&self) -> bool {
        self.resolved || self.acknowledged != self.was_acknowledged
    }

    /// Its status at the end of the batch.
    pub fn final_status(&self) -> AlertStatus {
        status(self.acknowledged, self.resolved)
    }
}

/// A new alert of the batch, not yet inserted: the `alert`th alert of the
/// `delivery`th delivery opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fresh {
    pub delivery: usize,
    pub alert: usize,
    pub disposition: Disposition,
    pub count: i64,
    pub acknowledged: bool,
    pub resolved: bool,
}

impl Fresh {
    /// Its status at the end of the batch.
    pub fn status(&self) -> AlertStatus {
        status(self.acknowledged, self.resolved)
    }
}

fn status(acknowledged: bool, resolved: bool) -> AlertStatus {
    if resolved {
        AlertStatus::Resolved
    } else if acknowledged {
        AlertStatus::Acknowledged
    } else {
        AlertStatus::Firing
    }
}

/// Where an alert of the batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Existing(usize),
    Fresh(usize),
}

/// An outcome whose ids are known only after the inserts.
#[derive(Debug, Clone)]
struct Pending {
    dedup_key: String,
    outcome: AlertOutcomeKind,
    slot: Option<Slot>,
    count: i64,
    unsuppressed: bool,
}

/// What happened to one alert of a delivery, with the ids of its alert and
/// report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertOutcome {
    pub dedup_key: String,
    pub outcome: AlertOutcomeKind,
    pub alert_id: Option<i64>,
    pub report_id: Option<i64>,
    /// How many times the alert has been seen firing, after this one.
    pub count: i64,
    pub disposition: Option<Disposition>,
    /// A repeat of an alert that was opened under a silence or maintenance
    /// window, now that none covers it and a rule declares it: its
    /// disposition is now `declare`, and the incident is to be declared.
    pub unsuppressed: bool,
}

/// What a batch will write, decided before writing anything.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The open alerts of the batch's keys, in the order given to [`plan`].
    pub existing: Vec<Existing>,
    /// The alerts to insert, in order of arrival.
    pub fresh: Vec<Fresh>,
    pending: Vec<Vec<Pending>>,
    /// Open alerts' ids by (final status, count increment): one `UPDATE`
    /// each.
    pub groups: BTreeMap<(AlertStatus, i64), Vec<i64>>,
}

/// Runs every alert of the batch through the per-key state machine, in
/// order, from the open alerts found (`open`: key and alert).
pub fn plan<D, A>(deliveries: D, open: Vec<(String, Existing)>) -> Plan
where
    D: IntoIterator<Item = A>,
    A: IntoIterator<Item = Incoming>,
{
    let mut existing = Vec::with_capacity(open.len());
    let mut state: HashMap<String, Slot> = HashMap::with_capacity(open.len() * 2);
    for (key, e) in open {
        state.insert(key, Slot::Existing(existing.len()));
        existing.push(e);
    }
    let mut fresh: Vec<Fresh> = Vec::new();
    let mut pending: Vec<Vec<Pending>> = Vec::new();
    for (d, alerts) in deliveries.into_iter().enumerate() {
        let mut outs = Vec::new();
        for (i, a) in alerts.into_iter().enumerate() {
            let slot = state.get(&a.key).copied();
            let (outcome, slot, count, unsuppressed) = match (slot, a.signal) {
                (None, AlertStatus::Firing) => {
                    let slot = Slot::Fresh(fresh.len());
                    fresh.push(Fresh {
                        delivery: d,
                        alert: i,
                        disposition: a.disposition,
                        count: 1,
                        acknowledged: false,
                        resolved: false,
                    });
                    state.insert(a.key, slot);
                    (AlertOutcomeKind::Opened, Some(slot), 1, false)
                }
                (None, AlertStatus::Acknowledged | AlertStatus::Resolved) => {
                    (AlertOutcomeKind::Ignored, None, 0, false)
                }
                (Some(slot), signal) => {
                    let mut unsuppressed = false;
                    let (count, acknowledged, resolved) = match slot {
                        Slot::Existing(i) => {
                            let e = &mut existing[i];
                            if signal == AlertStatus::Firing {
                                e.count_inc += 1;
                                if e.disposition.is_suppressed()
                                    && a.disposition == Disposition::Declare
                                {
                                    e.disposition = Disposition::Declare;
                                    e.unsuppressed = true;
                                    unsuppressed = true;
                                }
                            }
                            (e.count + e.count_inc, &mut e.acknowledged, &mut e.resolved)
                        }
                        Slot::Fresh(i) => {
                            let f = &mut fresh[i];
                            if signal == AlertStatus::Firing {
                                f.count += 1;
                            }
                            (f.count, &mut f.acknowledged, &mut f.resolved)
                        }
                    };
                    let outcome = match signal {
                        AlertStatus::Firing => AlertOutcomeKind::Repeated,
                        AlertStatus::Acknowledged => {
                            *acknowledged = true;
                            AlertOutcomeKind::Acknowledged
                        }
                        AlertStatus::Resolved => {
                            *resolved = true;
                            state.remove(&a.key);
                            AlertOutcomeKind::Resolved
                        }
                    };
                    (outcome, Some(slot), count, unsuppressed)
                }
            };
            outs.push(Pending {
                dedup_key: a.dedup_key,
                outcome,
                slot,
                count,
                unsuppressed,
            });
        }
        pending.push(outs);
    }
    let mut groups: BTreeMap<(AlertStatus, i64), Vec<i64>> = BTreeMap::new();
    for e in &existing {
        groups
            .entry((e.final_status(), e.count_inc))
            .or_default()
            .push(e.id);
    }
    Plan {
        existing,
        fresh,
        pending,
        groups,
    }
}

impl Plan {
    /// The open alerts this batch declares after a silence or maintenance
    /// window held them back.
    pub fn unsuppressed(&self) -> Vec<i64> {
        self.existing
            .iter()
            .filter(|e| e.unsuppressed)
            .map(|e| e.id)
            .collect()
    }

    /// The outcomes per delivery, in order, given the (alert id, report id)
    /// of each new alert (in the order of [`Plan::fresh`]).
    pub fn outcomes(&self, fresh_ids: &[(i64, i64)]) -> Vec<Vec<AlertOutcome>> {
        self.pending
            .iter()
            .map(|outs| {
                outs.iter()
                    .map(|p| {
                        let (alert_id, report_id, disposition) = match p.slot {
                            None => (None, None, None),
                            Some(Slot::Existing(i)) => {
                                let e = &self.existing[i];
                                (Some(e.id), Some(e.report_id), Some(e.disposition))
                            }
                            Some(Slot::Fresh(i)) => {
                                let (alert, report) = fresh_ids.get(i).copied().unzip();
                                (alert, report, Some(self.fresh[i].disposition))
                            }
                        };
                        AlertOutcome {
                            dedup_key: p.dedup_key.clone(),
                            outcome: p.outcome,
                            alert_id,
                            report_id,
                            count: p.count,
                            disposition,
                            unsuppressed: p.unsuppressed,
                        }
                    })
                    .collect()
            })
            .collect()
    }
}
