//! The alert batch writer on PostgreSQL, where several servers may write:
//! one transaction, the batch's open alerts locked, generated multi-row
//! statements, new rows' ids from `RETURNING`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::ReportSource;
use firebreak_intake::dedup::{AlertOutcome, Existing, Fresh};

use super::alerts::{
    AlertDelivery, AlertStatus, AlertWrite, INTAKE_AUDIT_ACTION, audit_summaries, batch_keys,
    disposition_from_db, fresh_write, plan, status_from_db,
};
use super::{CHUNK, open_key};
use crate::{AnyQuery, Result, Store, StoreError, Tx, flag, ms};

/// `$1…$n` placeholders for the large generated statements of a batch,
/// numbered in the order they are taken; callers bind values in that order.
/// The statements vary with the batch, so they are not kept in sqlx's
/// statement cache (`persistent(false)`), where they would only push out
/// the statements that repeat.
#[derive(Default)]
pub(super) struct Params {
    n: usize,
}

impl Params {
    fn next(&mut self) -> String {
        self.n += 1;
        format!("${}", self.n)
    }

    /// `p, p, …` for `n` parameters.
    pub(super) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `(p, …), (…)` for `rows` rows of `columns`: `None` is a parameter,
    /// `Some(sql)` a literal.
    pub(super) fn rows(&mut self, rows: usize, columns: &[Option<&str>]) -> String {
        let mut out = String::with_capacity(rows * columns.len() * 5);
        for r in 0..rows {
            if r > 0 {
                out.push_str(", ");
            }
            out.push('(');
            for (c, column) in columns.iter().enumerate() {
                if c > 0 {
                    out.push_str(", ");
                }
                match column {
                    Some(literal) => out.push_str(literal),
                    None => out.push_str(&self.next()),
                }
            }
            out.push(')');
        }
        out
    }
}

impl Store {
    /// [`Store::ingest_alerts`] on PostgreSQL: one transaction, the open
    /// alerts locked, new rows inserted with `RETURNING`.
    pub(super) async fn ingest_alerts_postgres(
        &self,
        deliveries: &[AlertDelivery],
        now: DateTime<Utc>,
    ) -> Result<Vec<Vec<AlertOutcome>>> {
        let now_ms = ms(now);
        let keys = batch_keys(deliveries);
        let mut tx = self.begin().await?;
        let mut open = Vec::new();
        for chunk in keys.chunks(CHUNK * 4) {
            let sql = format!(
                "SELECT a.id, a.open_key, a.report_id, a.disposition, a.status, a.count \
                 FROM intake_alerts a WHERE a.open_key IN ({}){}",
                Params::default().list(chunk.len()),
                self.for_update()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for row in q.fetch_all(&mut *tx).await? {
                open.extend(existing_from_row(&row)?);
            }
        }
        let plan = plan(deliveries, open);
        // Open alerts first: one resolved in this batch frees its key for a
        // new alert of the same key, which the unique index would refuse
        // while the old one still held it.
        for ((status, inc), alert_ids) in &plan.groups {
            for chunk in alert_ids.chunks(CHUNK * 4) {
                let sql = update_sql(&mut Params::default(), *status, chunk.len());
                let q = bind_update(
                    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false),
                    *status,
                    *inc,
                    now_ms,
                    chunk,
                );
                q.execute(&mut *tx).await?;
            }
        }
        let mut ids = Vec::with_capacity(plan.fresh.len());
        for chunk in plan.fresh.chunks(CHUNK) {
            let report_ids = insert_reports(&mut tx, deliveries, chunk, now_ms).await?;
            let alert_ids = insert_alerts(&mut tx, deliveries, chunk, &report_ids, now_ms).await?;
            ids.extend(alert_ids.into_iter().zip(report_ids));
        }
        let unsuppressed = plan.unsuppressed();
        for chunk in unsuppressed.chunks(CHUNK * 4) {
            let sql = format!(
                "UPDATE intake_alerts SET disposition = 'declare', suppressed_by = NULL \
                 WHERE id IN ({})",
                Params::default().list(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        let out = plan.outcomes(&ids);
        for (integration_id, summary) in audit_summaries(deliveries, &out) {
            self.audit(
                &mut tx,
                &summary.actor,
                INTAKE_AUDIT_ACTION,
                &format!("integration:{integration_id}"),
                summary.details(),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// An open alert read by a batch, with its key; `None` for the row of a
/// batch read that found none.
fn existing_from_row(row: &sqlx::any::AnyRow) -> Result<Option<(String, Existing)>> {
    let Some(id) = row.try_get::<Option<i64>, _>("id")? else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get("open_key")?,
        Existing::open(
            id,
            row.try_get("report_id")?,
            disposition_from_db(&row.try_get::<String, _>("disposition")?)?,
            status_from_db(&row.try_get::<String, _>("status")?)?,
            row.try_get("count")?,
        ),
    )))
}

/// `UPDATE` of open alerts to their state at the end of the batch; bind
/// with [`bind_update`].
fn update_sql(p: &mut Params, status: AlertStatus, ids: usize) -> String {
    let mut sql = format!(
        "UPDATE intake_alerts SET count = count + {}, last_seen = {}",
        p.next(),
        p.next()
    );
    match status {
        AlertStatus::Resolved => sql.push_str(&format!(
            ", status = 'resolved', open_key = NULL, resolved_at = {}",
            p.next()
        )),
        AlertStatus::Acknowledged => sql.push_str(&format!(
            ", status = 'acknowledged', acknowledged_at = COALESCE(acknowledged_at, {})",
            p.next()
        )),
        AlertStatus::Firing => {}
    }
    sql.push_str(&format!(" WHERE id IN ({})", p.list(ids)));
    sql
}

fn bind_update<'q>(
    mut q: AnyQuery<'q>,
    status: AlertStatus,
    inc: i64,
    now_ms: i64,
    ids: &[i64],
) -> AnyQuery<'q> {
    q = q.bind(inc).bind(now_ms);
    if status != AlertStatus::Firing {
        q = q.bind(now_ms);
    }
    for id in ids {
        q = q.bind(*id);
    }
    q
}

/// The columns of `intake_alerts` a new alert gets, in [`bind_alert`]'s
/// order.
const ALERT_COLUMNS: &str = "integration_id, dedup_key, open_key, status, report_id, title, \
    severity, service_id, labels, links, disposition, rule_name, suppressed_by, count, \
    first_seen, last_seen, starts_at, acknowledged_at, resolved_at";

/// A new report's values after its id: source, reporter, title,
/// description, received_at, (status), confidential, service_id,
/// created_by.
fn bind_report<'q>(
    q: AnyQuery<'q>,
    d: &'q AlertDelivery,
    w: &'q AlertWrite,
    now_ms: i64,
) -> AnyQuery<'q> {
    q.bind(ReportSource::Monitoring.as_str())
        .bind(d.reporter.as_str())
        .bind(w.report_title.as_str())
        .bind(w.report_description.as_str())
        .bind(now_ms)
        .bind(flag(w.confidential))
        .bind(w.service_id)
        .bind(d.actor.user_id)
}

/// A new alert's values in [`ALERT_COLUMNS`] order.
fn bind_alert<'q>(
    q: AnyQuery<'q>,
    (d, w): (&'q AlertDelivery, &'q AlertWrite),
    f: &Fresh,
    report_id: i64,
    now_ms: i64,
) -> AnyQuery<'q> {
    q.bind(d.integration_id)
        .bind(w.dedup_key.as_str())
        .bind((!f.resolved).then(|| open_key(d.integration_id, &w.dedup_key)))
        .bind(f.status().as_str())
        .bind(report_id)
        .bind(w.title.as_str())
        .bind(w.severity.as_deref())
        .bind(w.service_id)
        .bind(w.labels.as_str())
        .bind(w.links.as_str())
        .bind(w.disposition.as_str())
        .bind(w.rule_name.as_deref())
        .bind(w.suppressed_by.as_deref())
        .bind(f.count)
        .bind(now_ms)
        .bind(now_ms)
        .bind(w.starts_at.map(ms))
        .bind(f.acknowledged.then_some(now_ms))
        .bind(f.resolved.then_some(now_ms))
}

/// Inserts the reports of new alerts in one statement and returns their ids
/// in the order of `chunk` (PostgreSQL).
///
/// PostgreSQL calls the identity sequence row by row, in the order of the
/// `VALUES` rows, but does not promise to return them in that order, so the
/// ids are sorted. Each returned row's title and description are compared
/// with the row meant to get that id; a mismatch fails the batch (it is
/// retried) rather than mislink an alert.
async fn insert_reports(
    tx: &mut Tx,
    deliveries: &[AlertDelivery],
    chunk: &[Fresh],
    now_ms: i64,
) -> Result<Vec<i64>> {
    let p = None;
    let sql = format!(
        "INSERT INTO reports (source, reporter, title, description, received_at, status, \
         confidential, service_id, created_by) VALUES {} RETURNING id, title, description",
        Params::default().rows(chunk.len(), &[p, p, p, p, p, Some("'untriaged'"), p, p, p])
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
    for f in chunk {
        let (d, w) = fresh_write(deliveries, f);
        q = bind_report(q, d, w, now_ms);
    }
    let mut rows = q
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("id")?,
                r.try_get::<String, _>("title")?,
                r.try_get::<String, _>("description")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    rows.sort_by_key(|r| r.0);
    if rows.len() != chunk.len()
        || rows.iter().zip(chunk).any(|((_, title, description), f)| {
            let (_, w) = fresh_write(deliveries, f);
            *title != w.report_title || *description != w.report_description
        })
    {
        return Err(StoreError::Other(
            "the database returned report ids out of row order".to_owned(),
        ));
    }
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Inserts new alerts pointing at their reports (PostgreSQL); their ids in
/// the order of `chunk`, matched through the report id, which is unique per
/// alert.
async fn insert_alerts(
    tx: &mut Tx,
    deliveries: &[AlertDelivery],
    chunk: &[Fresh],
    report_ids: &[i64],
    now_ms: i64,
) -> Result<Vec<i64>> {
    let sql = format!(
        "INSERT INTO intake_alerts ({ALERT_COLUMNS}) VALUES {} RETURNING id, report_id",
        Params::default().rows(chunk.len(), &[None; 19])
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
    for (f, report_id) in chunk.iter().zip(report_ids) {
        q = bind_alert(q, fresh_write(deliveries, f), f, *report_id, now_ms);
    }
    let by_report: HashMap<i64, i64> = q
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("report_id")?, r.try_get("id")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    report_ids
        .iter()
        .map(|r| {
            by_report
                .get(r)
                .copied()
                .ok_or_else(|| StoreError::Other(format!("no alert returned for report {r}")))
        })
        .collect()
}
