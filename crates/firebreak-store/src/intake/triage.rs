//! The triage queue's reads: reports waiting per source, their backlog,
//! and how noisy each service is per day.

use chrono::{DateTime, Utc};

use firebreak_api::{Report, ReportSource, ReportStatus};

use crate::filter::Filtered;
use crate::reports::{REPORT_SELECT, VISIBLE, report_from_row};
use crate::row::col;
use crate::{BindReader, Reader, Result, Store, ms, time};

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
        let mut q = Filtered::visible_to(format!("{REPORT_SELECT} WHERE {VISIBLE}"), reader);
        q.param(" AND r.status = ?", status.as_str())
            .and("r.source = ?", filter.source.map(ReportSource::as_str))
            .and("s.name = ?", filter.service.clone())
            .param(
                " ORDER BY r.received_at, r.id LIMIT ?",
                filter.limit.clamp(1, 1000),
            );
        let rows = q.query().fetch_all(&self.read).await?;
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
                let oldest: DateTime<Utc> = col(row, "oldest")?;
                from_row! { row, SourceBacklog { source, untriaged: "n", oldest_received_at = oldest,
                    oldest_age_seconds = (now - oldest).num_seconds().max(0) } }
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
        let sql = format!(
            "SELECT s.name AS service_name, r.received_at / {DAY_MS} AS bucket, COUNT(*) AS n \
             FROM reports r LEFT JOIN services s ON s.id = r.service_id WHERE {VISIBLE}"
        );
        let mut q = Filtered::visible_to(sql, reader);
        q.param(" AND r.received_at >= ?", ms(from))
            .param(" AND r.received_at < ?", ms(to))
            .and("r.source = ?", source.map(ReportSource::as_str))
            .push(&format!(
                " GROUP BY s.name, r.received_at / {DAY_MS} ORDER BY bucket, COALESCE(s.name, '')"
            ));
        let rows = q.query().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                let day = time(col::<i64>(row, "bucket")? * DAY_MS);
                from_row! { row, NoiseRow { service: "service_name", day = day, reports: "n" } }
            })
            .collect()
    }
}
