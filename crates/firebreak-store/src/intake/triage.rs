//! The triage queue's reads: reports waiting per source, their backlog,
//! and how noisy each service is per day.

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::{Report, ReportSource, ReportStatus};

use crate::reports::{REPORT_SELECT, VISIBLE, report_from_row};
use crate::{BindReader, Reader, Result, Store, StoreError, ms, time};

/// Which reports the triage queue lists.
#[derive(Debug, Clone, Default)]
pub struct TriageFilter {
    /// Defaults to untriaged.
    pub status: Option<ReportStatus>,
    pub source: Option<ReportSource>,
    /// A service name.
    pub service: Option<String>,
    pub limit: i64,
}

/// The untriaged backlog of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceBacklog {
    pub source: ReportSource,
    pub untriaged: i64,
    pub oldest_received_at: DateTime<Utc>,
    pub oldest_age_seconds: i64,
}

/// Reports received for one service on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoiseRow {
    pub service: Option<String>,
    /// The UTC day, as midnight.
    pub day: DateTime<Utc>,
    pub reports: i64,
}

const DAY_MS: i64 = 86_400_000;

impl Store {
    /// The triage queue (or reports of another status) that `reader` may
    /// see, filtered by source and service, oldest first.
    pub async fn triage_queue(
        &self,
        filter: &TriageFilter,
        reader: &Reader,
        now: DateTime<Utc>,
    ) -> Result<Vec<Report>> {
        let status = filter.status.unwrap_or(ReportStatus::Untriaged);
        let mut sql = format!("{REPORT_SELECT} WHERE {VISIBLE} AND r.status = $3");
        let mut n = 3;
        if filter.source.is_some() {
            n += 1;
            sql.push_str(&format!(" AND r.source = ${n}"));
        }
        if filter.service.is_some() {
            n += 1;
            sql.push_str(&format!(" AND s.name = ${n}"));
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY r.received_at, r.id LIMIT ${n}"));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind_reader(reader)
            .bind(status.as_str());
        if let Some(source) = filter.source {
            q = q.bind(source.as_str());
        }
        if let Some(service) = &filter.service {
            q = q.bind(service.clone());
        }
        q = q.bind(filter.limit.clamp(1, 1000));
        let rows = q.fetch_all(&self.read).await?;
        rows.iter().map(|r| report_from_row(r, now)).collect()
    }

    /// Per source: how many reports wait in the triage queue and how old the
    /// oldest is, as `reader` sees the queue.
    pub async fn triage_backlog(
        &self,
        reader: &Reader,
        now: DateTime<Utc>,
    ) -> Result<Vec<SourceBacklog>> {
        let sql = format!(
            "SELECT r.source, COUNT(*) AS n, MIN(r.received_at) AS oldest FROM reports r \
             WHERE r.status = 'untriaged' AND {VISIBLE} GROUP BY r.source ORDER BY r.source"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind_reader(reader)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                let source: String = row.try_get("source")?;
                let oldest = time(row.try_get("oldest")?);
                Ok(SourceBacklog {
                    source: ReportSource::parse(&source)
                        .ok_or_else(|| StoreError::Other(format!("stored source `{source}`")))?,
                    untriaged: row.try_get("n")?,
                    oldest_received_at: oldest,
                    oldest_age_seconds: (now - oldest).num_seconds().max(0),
                })
            })
            .collect()
    }

    /// Reports received per service per UTC day in `[from, to)`, as `reader`
    /// sees them; of one source when `source` is set.
    pub async fn report_noise(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        source: Option<ReportSource>,
        reader: &Reader,
    ) -> Result<Vec<NoiseRow>> {
        let mut sql = format!(
            "SELECT s.name AS service_name, r.received_at / {DAY_MS} AS bucket, COUNT(*) AS n \
             FROM reports r LEFT JOIN services s ON s.id = r.service_id \
             WHERE {VISIBLE} AND r.received_at >= $3 AND r.received_at < $4"
        );
        if source.is_some() {
            sql.push_str(" AND r.source = $5");
        }
        sql.push_str(&format!(
            " GROUP BY s.name, r.received_at / {DAY_MS} ORDER BY bucket, COALESCE(s.name, '')"
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind_reader(reader)
            .bind(ms(from))
            .bind(ms(to));
        if let Some(source) = source {
            q = q.bind(source.as_str());
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(NoiseRow {
                    service: row.try_get("service_name")?,
                    day: time(row.try_get::<i64, _>("bucket")? * DAY_MS),
                    reports: row.try_get("n")?,
                })
            })
            .collect()
    }
}
