//! The dedup state machine against a plain model: random sequences of
//! trigger (or repeat), acknowledge and resolve events over a few keys, cut
//! into random batches, must leave the same open alerts and give the same
//! outcomes as handling the events one at a time.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// An open alert, as the store keeps it between batches.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Open {
    id: i64,
    count: i64,
    acknowledged: bool,
    disposition: Disposition,
}

/// Report ids are alert ids plus this, so each side can make them.
const REPORT: i64 = 1000;

/// The reference: each event on its own, against a map of open alerts.
#[derive(Default)]
struct Model {
    open: BTreeMap<String, Open>,
    last_id: i64,
}

impl Model {
    fn event(&mut self, e: &Incoming) -> AlertOutcome {
        let Some(open) = self.open.get_mut(&e.key) else {
            if e.signal != AlertStatus::Firing {
                return AlertOutcome {
                    dedup_key: e.dedup_key.clone(),
                    outcome: AlertOutcomeKind::Ignored,
                    alert_id: None,
                    report_id: None,
                    count: 0,
                    disposition: None,
                    unsuppressed: false,
                };
            }
            self.last_id += 1;
            let id = self.last_id;
            self.open.insert(
                e.key.clone(),
                Open {
                    id,
                    count: 1,
                    acknowledged: false,
                    disposition: e.disposition,
                },
            );
            return AlertOutcome {
                dedup_key: e.dedup_key.clone(),
                outcome: AlertOutcomeKind::Opened,
                alert_id: Some(id),
                report_id: Some(id + REPORT),
                count: 1,
                disposition: Some(e.disposition),
                unsuppressed: false,
            };
        };
        let mut unsuppressed = false;
        let outcome = match e.signal {
            AlertStatus::Firing => {
                open.count += 1;
                if open.disposition.is_suppressed() && e.disposition == Disposition::Declare {
                    open.disposition = Disposition::Declare;
                    unsuppressed = true;
                }
                AlertOutcomeKind::Repeated
            }
            AlertStatus::Acknowledged => {
                open.acknowledged = true;
                AlertOutcomeKind::Acknowledged
            }
            AlertStatus::Resolved => AlertOutcomeKind::Resolved,
        };
        let out = AlertOutcome {
            dedup_key: e.dedup_key.clone(),
            outcome,
            alert_id: Some(open.id),
            report_id: Some(open.id + REPORT),
            count: open.count,
            disposition: Some(open.disposition),
            unsuppressed,
        };
        if e.signal == AlertStatus::Resolved {
            self.open.remove(&e.key);
        }
        out
    }
}

/// The machine under test: [`plan`] per batch, from the open alerts of the
/// batch's keys, applied afterwards as the store applies it.
#[derive(Default)]
struct Machine {
    open: BTreeMap<String, Open>,
    last_id: i64,
}

impl Machine {
    fn batch(&mut self, batch: &[Vec<Incoming>]) -> Vec<Vec<AlertOutcome>> {
        let found: Vec<(String, Existing)> = self
            .open
            .iter()
            .filter(|(k, _)| batch.iter().flatten().any(|e| &e.key == *k))
            .map(|(k, o)| {
                let status = match o.acknowledged {
                    true => AlertStatus::Acknowledged,
                    false => AlertStatus::Firing,
                };
                let e = Existing::open(o.id, o.id + REPORT, o.disposition, status, o.count);
                (k.clone(), e)
            })
            .collect();
        let keys: Vec<String> = found.iter().map(|(k, _)| k.clone()).collect();
        let plan = plan(batch.iter().map(|d| d.iter().cloned()), found);
        let ids: Vec<(i64, i64)> = plan
            .fresh
            .iter()
            .map(|_| {
                self.last_id += 1;
                (self.last_id, self.last_id + REPORT)
            })
            .collect();
        for (key, e) in keys.iter().zip(&plan.existing) {
            if e.resolved {
                self.open.remove(key);
            } else {
                self.open.insert(
                    key.clone(),
                    Open {
                        id: e.id,
                        count: e.count + e.count_inc,
                        acknowledged: e.acknowledged,
                        disposition: e.disposition,
                    },
                );
            }
        }
        for (f, (id, _)) in plan.fresh.iter().zip(&ids) {
            if !f.resolved {
                self.open.insert(
                    batch[f.delivery][f.alert].key.clone(),
                    Open {
                        id: *id,
                        count: f.count,
                        acknowledged: f.acknowledged,
                        disposition: f.disposition,
                    },
                );
            }
        }
        // Every open alert's group is the update the store will run.
        for e in &plan.existing {
            assert!(plan.groups[&(e.final_status(), e.count_inc)].contains(&e.id));
        }
        plan.outcomes(&ids)
    }
}

fn signal() -> impl Strategy<Value = AlertStatus> {
    prop_oneof![
        2 => Just(AlertStatus::Firing),
        1 => Just(AlertStatus::Acknowledged),
        1 => Just(AlertStatus::Resolved),
    ]
}

fn event(dispositions: &'static [Disposition]) -> impl Strategy<Value = Incoming> {
    (0..3u8, signal(), proptest::sample::select(dispositions)).prop_map(|(k, signal, d)| Incoming {
        key: format!("1:k{k}"),
        dedup_key: format!("k{k}"),
        signal,
        disposition: d,
    })
}

/// Batches of deliveries of events.
type Batches = Vec<Vec<Vec<Incoming>>>;

fn batches(dispositions: &'static [Disposition], size: usize) -> impl Strategy<Value = Batches> {
    let delivery = proptest::collection::vec(event(dispositions), 1..=size);
    let batch = proptest::collection::vec(delivery, 1..=size);
    proptest::collection::vec(batch, 1..8)
}

/// Runs both sides; the first difference, if any.
fn compare(batches: &Batches) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    let mut machine = Machine::default();
    for (n, batch) in batches.iter().enumerate() {
        let expected: Vec<Vec<AlertOutcome>> = batch
            .iter()
            .map(|d| d.iter().map(|e| model.event(e)).collect())
            .collect();
        let got = machine.batch(batch);
        prop_assert_eq!(&got, &expected, "outcomes of batch {}", n);
        prop_assert_eq!(&machine.open, &model.open, "open alerts after batch {}", n);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any events, any batching: batching changes nothing. (Dispositions
    /// that do not change once an alert is open.)
    #[test]
    fn batches_agree_with_one_event_at_a_time(
        b in batches(&[Disposition::Triage, Disposition::Declare], 4)
    ) {
        compare(&b)?;
    }

    /// One alert per batch, every disposition: a repeat that a rule
    /// declares, of an alert opened silenced or in maintenance, declares it
    /// once.
    #[test]
    fn single_alert_batches_agree_on_every_disposition(
        b in batches(&Disposition::ALL, 1)
    ) {
        compare(&b)?;
    }
}

#[test]
fn dispositions_round_trip_their_words() {
    for d in Disposition::ALL {
        assert_eq!(Disposition::parse(d.as_str()), Some(d));
        assert_eq!(d.to_string(), d.as_str());
    }
    assert_eq!(Disposition::parse("other"), None);
}
