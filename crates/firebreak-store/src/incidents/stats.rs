//! Counts for the metrics page.

use sqlx::Row;

use super::VISIBLE;
use crate::visibility::REPORT_VISIBLE;
use crate::{Result, Store};

/// Counts for the metrics page.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Open incidents by severity (`none` for not yet set).
    pub open_by_severity: Vec<(String, i64)>,
    pub untriaged_reports: i64,
}

impl Store {
    /// Counts for the metrics page. Without `include_confidential`, records
    /// that are confidential (see [`crate::visibility`]) are left out, as
    /// for a reader who sees no confidential record.
    pub async fn stats(&self, include_confidential: bool) -> Result<Stats> {
        // Reader 0 is nobody: no member of anything.
        let sql = format!(
            "SELECT COALESCE(i.severity, 'none') AS severity, COUNT(*) AS n FROM incidents i \
             WHERE i.phase <> 'closed' AND {VISIBLE} GROUP BY COALESCE(i.severity, 'none') ORDER BY 1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(0_i64)
            .bind(i64::from(include_confidential))
            .fetch_all(&self.read)
            .await?;
        let open_by_severity = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("severity")?,
                    r.try_get::<i64, _>("n")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let sql = format!(
            "SELECT COUNT(*) AS n FROM reports r WHERE r.status = 'untriaged' AND {REPORT_VISIBLE}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(0_i64)
            .bind(i64::from(include_confidential))
            .fetch_one(&self.read)
            .await?;
        Ok(Stats {
            open_by_severity,
            untriaged_reports: row.try_get("n")?,
        })
    }
}
