//! The alert batch writer on SQLite: one connection, the open alerts kept
//! in memory ([`OpenAlerts`]), and a batch written in two round trips with
//! its rows as JSON.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_intake::dedup::{AlertOutcome, Disposition, Existing, Plan};

use super::alerts::{
    AlertDelivery, AlertStatus, INTAKE_AUDIT_ACTION, audit_summaries, batch_keys,
    disposition_from_db, fresh_write, plan, status_from_db,
};
use super::open_key;
use crate::{Result, Store, StoreError, flag, ms};

impl Store {
    /// [`Store::ingest_alerts`] on SQLite, in two round trips to sqlx's
    /// SQLite worker thread, each one statement text that never changes:
    /// `BEGIN IMMEDIATE` and one read (the open alerts of the batch's keys,
    /// as one JSON array; the largest report and alert ids; the audit head),
    /// then every write, the audit entries and `COMMIT`. The rows travel as
    /// JSON arrays read with `jsonb_each` (whose rows `->>` reads without
    /// rendering them back to text).
    ///
    /// Why not the usual transaction and `self.audit`: each statement is a
    /// hand-off between threads, each result row another, and on a busy
    /// server each hand-off waits for a core; the usual path made a batch
    /// several times slower than its SQL. Generated multi-row statements
    /// cost more to parse than to run, and bind one parameter per value.
    /// Under the write lock, taken by the first statement, the ids read are
    /// exact, so new rows get the ids that follow them, and the audit entries
    /// chain onto the head read under the same lock exactly as
    /// `Store::audit` appends them (same hash, same rows).
    pub(super) async fn ingest_alerts_sqlite(
        &self,
        deliveries: &[AlertDelivery],
        now: DateTime<Utc>,
    ) -> Result<Vec<Vec<AlertOutcome>>> {
        const READ: &str = "BEGIN IMMEDIATE; SELECT \
            (SELECT COALESCE(MAX(id), 0) FROM reports) AS max_report, \
            (SELECT COALESCE(MAX(id), 0) FROM intake_alerts) AS max_alert, \
            (SELECT seq FROM audit_head WHERE id = 1) AS audit_seq, \
            (SELECT hash FROM audit_head WHERE id = 1) AS audit_hash, \
            (SELECT data_version FROM pragma_data_version) AS data_version";
        const LOAD: &str = "SELECT id, open_key, report_id, disposition, status, count \
            FROM intake_alerts INDEXED BY intake_alerts_open WHERE open_key IS NOT NULL";
        const WRITE: &str = "INSERT INTO reports (id, source, reporter, title, description, \
            received_at, status, confidential, service_id, created_by) \
            SELECT value ->> 0, 'monitoring', value ->> 1, value ->> 2, value ->> 3, value ->> 4, \
            'untriaged', value ->> 5, value ->> 6, value ->> 7 FROM jsonb_each(?); \
            INSERT INTO intake_alerts (id, integration_id, dedup_key, open_key, status, report_id, \
            title, severity, service_id, labels, links, disposition, rule_name, suppressed_by, \
            count, first_seen, last_seen, starts_at, acknowledged_at, resolved_at) \
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
            value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, \
            value ->> 12, value ->> 13, value ->> 14, value ->> 15, value ->> 15, value ->> 16, \
            value ->> 17, value ->> 18 FROM jsonb_each(?); \
            UPDATE intake_alerts SET count = count + (j.value ->> 1), last_seen = j.value ->> 2 \
            FROM jsonb_each(?) AS j WHERE intake_alerts.id = j.value ->> 0; \
            UPDATE intake_alerts SET disposition = 'declare', suppressed_by = NULL \
            WHERE id IN (SELECT value FROM json_each(?)); \
            UPDATE intake_alerts SET count = count + (j.value ->> 1), last_seen = j.value ->> 2, \
            status = j.value ->> 3, \
            open_key = CASE WHEN j.value ->> 3 = 'resolved' THEN NULL ELSE open_key END, \
            acknowledged_at = CASE WHEN j.value ->> 3 = 'acknowledged' \
              THEN COALESCE(acknowledged_at, j.value ->> 2) ELSE acknowledged_at END, \
            resolved_at = CASE WHEN j.value ->> 3 = 'resolved' THEN j.value ->> 2 \
              ELSE resolved_at END \
            FROM jsonb_each(?) AS j WHERE intake_alerts.id = j.value ->> 0; \
            INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) \
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
            value ->> 6, value ->> 7 FROM jsonb_each(?); \
            UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1; \
            COMMIT";

        let now_ms = ms(now);
        let keys = batch_keys(deliveries);
        // Before the connection: the only order in which the two are taken.
        let mut open_alerts = self.open_alerts.lock().await;
        let mut guard = ConnectionGuard {
            conn: self.write.acquire().await?,
            settled: false,
        };
        let conn = &mut guard.conn;
        // Taken now, put back only once the batch is applied to the map: a
        // batch that fails, or whose future is dropped halfway, leaves the
        // map to be read again.
        let known = open_alerts.version.take();
        let generation = self
            .write_generation
            .load(std::sync::atomic::Ordering::SeqCst);
        let outcome = async {
            // `fetch_all`: `fetch_one` stops at the result of `BEGIN`.
            let rows = sqlx::query(READ).fetch_all(&mut **conn).await?;
            let row = rows
                .first()
                .ok_or_else(|| StoreError::Other("the batch read returned no row".to_owned()))?;
            let max_report: i64 = row.try_get("max_report")?;
            let max_alert: i64 = row.try_get("max_alert")?;
            let mut audit_seq: i64 = row.try_get("audit_seq")?;
            let mut audit_hash: String = row.try_get("audit_hash")?;
            let version = (generation, row.try_get::<i64, _>("data_version")?);
            if known != Some(version) {
                let rows = sqlx::query(LOAD).fetch_all(&mut **conn).await?;
                let mut by_key = HashMap::with_capacity(rows.len());
                for row in &rows {
                    let status = status_from_db(&row.try_get::<String, _>("status")?)?;
                    by_key.insert(
                        row.try_get("open_key")?,
                        OpenAlert {
                            id: row.try_get("id")?,
                            report_id: row.try_get("report_id")?,
                            disposition: disposition_from_db(
                                &row.try_get::<String, _>("disposition")?,
                            )?,
                            acknowledged: status == AlertStatus::Acknowledged,
                            count: row.try_get("count")?,
                        },
                    );
                }
                open_alerts.by_key = by_key;
            }
            let (open_keys, open): (Vec<String>, Vec<(String, Existing)>) = keys
                .iter()
                .filter_map(|k| {
                    let e = open_alerts.by_key.get(k)?.existing();
                    Some((k.clone(), (k.clone(), e)))
                })
                .unzip();

            let plan = plan(deliveries, open);
            let ids: Vec<(i64, i64)> = (1..=i64::try_from(plan.fresh.len()).unwrap_or(i64::MAX))
                .map(|i| (max_alert + i, max_report + i))
                .collect();
            let out = plan.outcomes(&ids);

            let mut reports = Vec::with_capacity(plan.fresh.len());
            let mut alerts = Vec::with_capacity(plan.fresh.len());
            for (f, (alert_id, report_id)) in plan.fresh.iter().zip(&ids) {
                let (d, w) = fresh_write(deliveries, f);
                reports.push(vec![
                    J::Int(*report_id),
                    J::Text(&d.reporter),
                    J::Text(&w.report_title),
                    J::Text(&w.report_description),
                    J::Int(now_ms),
                    J::Int(flag(w.confidential)),
                    J::opt_int(w.service_id),
                    J::opt_int(d.actor.user_id),
                ]);
                alerts.push(vec![
                    J::Int(*alert_id),
                    J::Int(d.integration_id),
                    J::Text(&w.dedup_key),
                    match f.resolved {
                        true => J::Null,
                        false => J::Owned(open_key(d.integration_id, &w.dedup_key)),
                    },
                    J::Text(f.status().as_str()),
                    J::Int(*report_id),
                    J::Text(&w.title),
                    J::opt_text(w.severity.as_deref()),
                    J::opt_int(w.service_id),
                    J::Text(&w.labels),
                    J::Text(&w.links),
                    J::Text(w.disposition.as_str()),
                    J::opt_text(w.rule_name.as_deref()),
                    J::opt_text(w.suppressed_by.as_deref()),
                    J::Int(f.count),
                    J::Int(now_ms),
                    J::opt_int(w.starts_at.map(ms)),
                    J::opt_int(f.acknowledged.then_some(now_ms)),
                    J::opt_int(f.resolved.then_some(now_ms)),
                ]);
            }
            // Repeats leave the status (and every indexed column) as it
            // was: they are a cheaper `UPDATE` of their own.
            let mut repeats = Vec::with_capacity(plan.existing.len());
            let mut changes = Vec::new();
            let unsuppressed = plan.unsuppressed();
            for e in &plan.existing {
                if e.status_changes() {
                    changes.push(vec![
                        J::Int(e.id),
                        J::Int(e.count_inc),
                        J::Int(now_ms),
                        J::Text(e.final_status().as_str()),
                    ]);
                } else {
                    repeats.push(vec![J::Int(e.id), J::Int(e.count_inc), J::Int(now_ms)]);
                }
            }
            let mut entries = Vec::new();
            for (integration_id, summary) in audit_summaries(deliveries, &out) {
                let seq = audit_seq + 1;
                let target = format!("integration:{integration_id}");
                let details = summary.details().to_string();
                let hash = crate::audit::entry_hash(
                    seq,
                    now_ms,
                    &summary.actor.name,
                    INTAKE_AUDIT_ACTION,
                    &target,
                    &details,
                    &audit_hash,
                );
                entries.push(vec![
                    J::Int(seq),
                    J::Int(now_ms),
                    J::Owned(summary.actor.name.clone()),
                    J::Text(INTAKE_AUDIT_ACTION),
                    J::Owned(target),
                    J::Owned(details),
                    J::Owned(audit_hash.clone()),
                    J::Owned(hash.clone()),
                ]);
                audit_seq = seq;
                audit_hash = hash;
            }
            sqlx::query(WRITE)
                .bind(to_json(&reports)?)
                .bind(to_json(&alerts)?)
                .bind(to_json(&repeats)?)
                .bind(to_json(&unsuppressed)?)
                .bind(to_json(&changes)?)
                .bind(to_json(&entries)?)
                .bind(audit_seq)
                .bind(audit_hash)
                .execute(&mut **conn)
                .await?;
            open_alerts.apply(deliveries, &open_keys, &plan, &ids);
            open_alerts.version = Some(version);
            self.checkpoint_soon();
            Ok(out)
        }
        .await;
        if outcome.is_err() {
            // Whether the batch was committed is not known for sure: the
            // next batch reads the open alerts afresh (`version` is None).
            // The transaction may be open: end it, or (the guard does) throw
            // the connection away rather than hand it back to the pool
            // mid-transaction.
            let rolled_back = sqlx::query("ROLLBACK").execute(&mut *guard.conn).await;
            if let Err(e) = rolled_back
                && !e.to_string().contains("no transaction is active")
            {
                return outcome;
            }
        }
        guard.settled = true;
        outcome
    }
}

/// The write connection of a batch that manages its own transaction. If
/// the batch does not settle (committed, or rolled back) — its future was
/// dropped halfway, or the rollback failed — the connection is closed
/// rather than handed back to the pool inside an open transaction.
struct ConnectionGuard {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    settled: bool,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if !self.settled {
            self.conn.close_on_drop();
        }
    }
}

/// SQLite: every open alert by its `open_key`, as the intake writer knows
/// it. Loaded from the database on the first batch, and again whenever
/// another process has written to the file since (`PRAGMA data_version`
/// moves) or a batch failed (its outcome is not known for sure); updated
/// after each commit. Only [`Store::ingest_alerts`] writes open alerts, and
/// it holds this lock from before its transaction begins until after it
/// ends, so the map and the table agree whenever the lock is free.
#[derive(Default)]
pub(crate) struct OpenAlerts {
    /// The write connection's generation and `data_version` when the map
    /// was last brought up to date; None when it must be read again.
    version: Option<(u64, i64)>,
    by_key: HashMap<String, OpenAlert>,
}

/// Counts only: a `Store` printed for debugging must not print every open
/// alert.
impl std::fmt::Debug for OpenAlerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAlerts")
            .field("version", &self.version)
            .field("open", &self.by_key.len())
            .finish()
    }
}

#[derive(Debug, Clone)]
struct OpenAlert {
    id: i64,
    report_id: i64,
    disposition: Disposition,
    acknowledged: bool,
    count: i64,
}

impl OpenAlert {
    fn existing(&self) -> Existing {
        let status = match self.acknowledged {
            true => AlertStatus::Acknowledged,
            false => AlertStatus::Firing,
        };
        Existing::open(
            self.id,
            self.report_id,
            self.disposition,
            status,
            self.count,
        )
    }
}

impl OpenAlerts {
    /// The map after `plan` was committed; `keys` are the keys of
    /// `plan.existing`, in order, and `ids` the new alerts' (alert, report)
    /// ids.
    fn apply(
        &mut self,
        deliveries: &[AlertDelivery],
        keys: &[String],
        plan: &Plan,
        ids: &[(i64, i64)],
    ) {
        for (key, e) in keys.iter().zip(&plan.existing) {
            if e.resolved {
                self.by_key.remove(key);
            } else if let Some(open) = self.by_key.get_mut(key) {
                open.count = e.count + e.count_inc;
                open.acknowledged = e.acknowledged;
                open.disposition = e.disposition;
            }
        }
        // After the removals: a key resolved and fired again in one batch
        // has a new open alert.
        for (f, (alert_id, report_id)) in plan.fresh.iter().zip(ids) {
            if !f.resolved {
                let (d, w) = fresh_write(deliveries, f);
                self.by_key.insert(
                    open_key(d.integration_id, &w.dedup_key),
                    OpenAlert {
                        id: *alert_id,
                        report_id: *report_id,
                        disposition: f.disposition,
                        acknowledged: f.acknowledged,
                        count: f.count,
                    },
                );
            }
        }
    }
}

/// A value of a row sent to SQLite as JSON (see `ingest_alerts_sqlite`).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum J<'a> {
    Int(i64),
    Text(&'a str),
    Owned(String),
    Null,
}

impl<'a> J<'a> {
    fn opt_int(v: Option<i64>) -> J<'a> {
        v.map_or(J::Null, J::Int)
    }

    fn opt_text(v: Option<&'a str>) -> J<'a> {
        v.map_or(J::Null, J::Text)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(format!("encoding a batch: {e}")))
}
