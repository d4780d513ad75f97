//! What changed: one marker that moves whenever anything a live page shows
//! may have changed (an audited write, a timeline event, a report, an
//! alert's repeat, acknowledgment or resolution). Pages that update
//! themselves watch it; it carries no content, so it tells a reader
//! nothing about records they may not see beyond "something changed".

use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// The current change marker. Cheap: maxima of primary keys and
    /// indexed times.
    pub async fn change_marker(&self) -> Result<String> {
        let row = sqlx::query(
            "SELECT CAST((SELECT MAX(seq) FROM audit_log) AS BIGINT) AS a, \
             CAST((SELECT MAX(id) FROM timeline_events) AS BIGINT) AS t, \
             CAST((SELECT MAX(id) FROM reports) AS BIGINT) AS r, \
             CAST((SELECT MAX(last_seen) FROM intake_alerts) AS BIGINT) AS l, \
             CAST((SELECT MAX(acknowledged_at) FROM intake_alerts) AS BIGINT) AS k, \
             CAST((SELECT MAX(resolved_at) FROM intake_alerts) AS BIGINT) AS x, \
             CAST((SELECT SUM(count) FROM intake_alerts) AS BIGINT) AS c",
        )
        .fetch_one(&self.read)
        .await?;
        let mut parts = Vec::with_capacity(7);
        for col in ["a", "t", "r", "l", "k", "x", "c"] {
            let v: Option<i64> = row.try_get(col)?;
            parts.push(v.unwrap_or(0).to_string());
        }
        Ok(parts.join("."))
    }
}
