//! Alerts: the records a batch writes (one alert per open key, each with
//! its report in the triage queue), the reads of them, and what a batch
//! shares between the two backends' writers: its keys, the dedup plan's
//! input and outcomes, and its audit entries.
//!
//! Statuses and dispositions are enums here; [`status_from_db`] and
//! [`disposition_from_db`] read the stored words, `as_str` writes them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_intake::dedup::{self, AlertOutcome, AlertOutcomeKind, Disposition, Incoming, Plan};

use super::{CHUNK, list, open_key};
use crate::filter::Filtered;
use crate::reports::VISIBLE;
use crate::{Actor, Backend, BindReader, Reader, Result, Store, StoreError};

pub use firebreak_intake::AlertStatus;

/// What an alert says about itself: firing, acknowledged or resolved at
/// its source. The same words as the stored [`AlertStatus`].
pub use firebreak_intake::AlertStatus as AlertSignal;
/// One alert of a delivery, already parsed and routed by the server.
#[derive(Debug, Clone)]
pub struct AlertWrite {
    pub dedup_key: String,
    pub signal: AlertSignal,
    /// The alert's own title, kept on the alert row.
    pub title: String,
    /// The report's title and description, used only when the alert opens.
    pub report_title: String,
    pub report_description: String,
    pub confidential: bool,
    pub severity: Option<String>,
    pub service_id: Option<i64>,
    /// JSON object of the labels; JSON array of the links.
    pub labels: String,
    pub links: String,
    pub disposition: Disposition,
    pub rule_name: Option<String>,
    pub suppressed_by: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
}

/// The alerts of one request, from one integration.
#[derive(Debug, Clone)]
pub struct AlertDelivery {
    pub integration_id: i64,
    pub actor: Actor,
    /// The report's `reporter`: the integration, as people know it.
    pub reporter: String,
    pub alerts: Vec<AlertWrite>,
}

/// An alert as stored, for lists.
#[derive(Debug, Clone)]
pub struct AlertRecord {
    pub id: i64,
    pub integration_id: i64,
    pub integration: String,
    pub dedup_key: String,
    pub status: AlertStatus,
    pub report_id: i64,
    pub title: String,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub labels: String,
    pub links: String,
    pub disposition: Disposition,
    pub rule_name: Option<String>,
    pub suppressed_by: Option<String>,
    pub count: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub starts_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub integration_id: Option<i64>,
    pub status: Option<AlertStatusFilter>,
    pub limit: i64,
}

/// Which alerts by status: open ones (firing or acknowledged), or those of
/// one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatusFilter {
    Open,
    Is(AlertStatus),
}

impl AlertStatusFilter {
    /// `open`, `firing`, `acknowledged` or `resolved`.
    pub fn parse(s: &str) -> Option<AlertStatusFilter> {
        match s {
            "open" => Some(AlertStatusFilter::Open),
            _ => AlertStatus::parse(s).map(AlertStatusFilter::Is),
        }
    }
}

/// A stored alert status.
pub(super) fn status_from_db(s: &str) -> Result<AlertStatus> {
    AlertStatus::parse(s).ok_or_else(|| StoreError::Other(format!("stored alert status `{s}`")))
}

/// A stored disposition.
pub(super) fn disposition_from_db(s: &str) -> Result<Disposition> {
    Disposition::parse(s).ok_or_else(|| StoreError::Other(format!("stored disposition `{s}`")))
}

const ALERT_SELECT: &str = "SELECT a.id, a.integration_id, g.name AS integration_name, a.dedup_key, \
    a.status, a.report_id, a.title, a.severity, s.name AS service_name, a.labels, a.links, \
    a.disposition, a.rule_name, a.suppressed_by, a.count, a.first_seen, a.last_seen, a.starts_at, \
    a.acknowledged_at, a.resolved_at FROM intake_alerts a \
    JOIN intake_integrations g ON g.id = a.integration_id \
    JOIN reports r ON r.id = a.report_id LEFT JOIN services s ON s.id = a.service_id";

fn alert_from_row(row: &sqlx::any::AnyRow) -> Result<AlertRecord> {
    from_row! { row, AlertRecord { id, integration_id, integration: "integration_name", dedup_key,
    status, report_id, title, severity, service: "service_name", labels, links, disposition,
    rule_name, suppressed_by, count, first_seen, last_seen, starts_at, acknowledged_at,
    resolved_at } }
}

impl Store {
    /// Writes the alerts of many deliveries in one transaction and returns,
    /// per delivery, what happened to each of its alerts, in order.
    ///
    /// Per key, in order of arrival: a firing alert with no open alert opens
    /// one (and its report); one with an open alert counts as a repeat; an
    /// acknowledge or resolve applies to the open alert, and is ignored when
    /// there is none; a firing alert after a resolve opens a new one. This
    /// holds within a batch as across batches.
    ///
    /// Either everything is written or nothing is: an error leaves the
    /// database as it was, and every delivery of the batch may be retried.
    pub async fn ingest_alerts(
        &self,
        deliveries: &[AlertDelivery],
        now: DateTime<Utc>,
    ) -> Result<Vec<Vec<AlertOutcome>>> {
        match self.backend {
            Backend::Sqlite => self.ingest_alerts_sqlite(deliveries, now).await,
            Backend::Postgres => self.ingest_alerts_postgres(deliveries, now).await,
        }
    }

    /// Alerts whose reports `reader` may see, newest first.
    pub async fn intake_alerts(
        &self,
        filter: &AlertFilter,
        reader: &Reader,
    ) -> Result<Vec<AlertRecord>> {
        let mut q = Filtered::visible_to(format!("{ALERT_SELECT} WHERE {VISIBLE}"), reader);
        q.and("a.integration_id = ?", filter.integration_id);
        match filter.status {
            None => &mut q,
            Some(AlertStatusFilter::Open) => q.push(" AND a.open_key IS NOT NULL"),
            Some(AlertStatusFilter::Is(status)) => q.and("a.status = ?", Some(status.as_str())),
        };
        q.param(" ORDER BY a.id DESC LIMIT ?", filter.limit.clamp(1, 1000));
        let rows = q.query().fetch_all(&self.read).await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// The alerts behind these reports (those `reader` may see).
    pub async fn alerts_for_reports(
        &self,
        report_ids: &[i64],
        reader: &Reader,
    ) -> Result<Vec<AlertRecord>> {
        let mut out = Vec::new();
        for chunk in report_ids.chunks(CHUNK * 4) {
            let sql = format!(
                "{ALERT_SELECT} WHERE {VISIBLE} AND a.report_id IN ({}) ORDER BY a.id",
                list(3, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind_reader(reader);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.read).await? {
                out.push(alert_from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// Alerts a rule said to declare whose reports are still untriaged: a
    /// declaration that did not happen (the process stopped between the
    /// commit and the declaration, or the declaration failed).
    pub async fn undeclared_alerts(&self, limit: i64) -> Result<Vec<(i64, i64, i64)>> {
        let rows = self
            .rows_with(
                "SELECT a.id, a.report_id, a.integration_id FROM intake_alerts a \
             JOIN reports r ON r.id = a.report_id \
             WHERE a.disposition = 'declare' AND r.status = 'untriaged' ORDER BY a.id LIMIT $1",
                limit,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("report_id")?,
                    r.try_get("integration_id")?,
                ))
            })
            .collect()
    }

    /// One alert by id, if its report is visible to `reader`.
    pub async fn intake_alert(&self, id: i64, reader: &Reader) -> Result<Option<AlertRecord>> {
        let sql = format!("{ALERT_SELECT} WHERE {VISIBLE}");
        let row = self.visible_one(sql, "a.id", id, reader).await?;
        row.as_ref().map(alert_from_row).transpose()
    }
}

/// The audit action of an alert batch.
pub(super) const INTAKE_AUDIT_ACTION: &str = "intake.alerts";

/// The open keys of a batch, sorted and without repeats.
pub(super) fn batch_keys(deliveries: &[AlertDelivery]) -> Vec<String> {
    let mut keys: Vec<String> = deliveries
        .iter()
        .flat_map(|d| {
            d.alerts
                .iter()
                .map(move |a| open_key(d.integration_id, &a.dedup_key))
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// One audit summary per integration of the batch, in id order.
pub(super) fn audit_summaries(
    deliveries: &[AlertDelivery],
    out: &[Vec<AlertOutcome>],
) -> Vec<(i64, IntegrationSummary)> {
    let mut by_integration: BTreeMap<i64, IntegrationSummary> = BTreeMap::new();
    for (d, outs) in deliveries.iter().zip(out) {
        let s = by_integration
            .entry(d.integration_id)
            .or_insert_with(|| IntegrationSummary::new(d.actor.clone()));
        s.deliveries += 1;
        for o in outs {
            s.add(o);
        }
    }
    by_integration.into_iter().collect()
}

/// Runs the batch through the dedup state machine from the open alerts
/// found for its keys.
pub(super) fn plan(deliveries: &[AlertDelivery], open: Vec<(String, dedup::Existing)>) -> Plan {
    let incoming = deliveries.iter().map(|d| {
        d.alerts.iter().map(|a| Incoming {
            key: open_key(d.integration_id, &a.dedup_key),
            dedup_key: a.dedup_key.clone(),
            signal: a.signal,
            disposition: a.disposition,
        })
    });
    dedup::plan(incoming, open)
}

/// The delivery and the alert that opened a new alert of the plan.
pub(super) fn fresh_write<'a>(
    deliveries: &'a [AlertDelivery],
    f: &dedup::Fresh,
) -> (&'a AlertDelivery, &'a AlertWrite) {
    let d = &deliveries[f.delivery];
    (d, &d.alerts[f.alert])
}

/// What one batch did for one integration, for its audit entry.
pub(super) struct IntegrationSummary {
    pub(super) actor: Actor,
    deliveries: i64,
    opened: Vec<i64>,
    repeated: i64,
    acknowledged: Vec<i64>,
    resolved: Vec<i64>,
    ignored: i64,
}

impl IntegrationSummary {
    fn new(actor: Actor) -> Self {
        IntegrationSummary {
            actor,
            deliveries: 0,
            opened: Vec::new(),
            repeated: 0,
            acknowledged: Vec::new(),
            resolved: Vec::new(),
            ignored: 0,
        }
    }

    pub(super) fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "deliveries": self.deliveries, "opened_reports": self.opened,
            "repeated": self.repeated, "acknowledged": self.acknowledged,
            "resolved": self.resolved, "ignored": self.ignored,
        })
    }

    fn add(&mut self, o: &AlertOutcome) {
        match o.outcome {
            AlertOutcomeKind::Opened => self.opened.extend(o.report_id),
            AlertOutcomeKind::Repeated => self.repeated += 1,
            AlertOutcomeKind::Acknowledged => self.acknowledged.extend(o.alert_id),
            AlertOutcomeKind::Resolved => self.resolved.extend(o.alert_id),
            AlertOutcomeKind::Ignored => self.ignored += 1,
        }
    }
}
