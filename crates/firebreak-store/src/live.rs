//! What changed: one marker that moves whenever anything a live page shows
//! may have changed (an audited write, a timeline event, a report, an
//! alert's repeat, acknowledgment or resolution). Pages that update
//! themselves watch it; it carries no content. A reader who may not see
//! every confidential record gets [`Store::change_marker_for`], built only
//! from what they may see, so it does not even move when a security
//! incident, a confidential report or a disclosure changes.

use sqlx::Row;

use crate::visibility::{INCIDENT_VISIBLE, REPORT_VISIBLE};
use crate::{BindReader, Reader, Result, Store};

/// The audit entries any reader's marker follows: every write but those
/// on incidents, reports, disclosures and advisories, whose changes reach
/// a reader through the visible timeline and reports instead.
const PUBLIC_AUDIT: &str = "target NOT LIKE 'INC-%' AND target NOT LIKE 'report:%' \
    AND target NOT LIKE 'disclosure:%' AND target NOT LIKE 'advisory:%'";

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

    /// The change marker as `reader` may see it: the whole marker for the
    /// security team and admins; for anyone else, built from the writes
    /// they may see (configuration, the timelines of incidents and the
    /// reports visible to them, alerts), so that nothing confidential moves it.
    pub async fn change_marker_for(&self, reader: &Reader) -> Result<String> {
        if reader.sees_all_confidential {
            return self.change_marker().await;
        }
        let sql = format!(
            "SELECT CAST((SELECT MAX(seq) FROM audit_log WHERE {PUBLIC_AUDIT}) AS BIGINT) AS a, \
             CAST((SELECT MAX(te.id) FROM timeline_events te JOIN incidents i \
               ON i.id = te.incident_id WHERE {INCIDENT_VISIBLE}) AS BIGINT) AS t, \
             CAST((SELECT MAX(r.id) FROM reports r WHERE {REPORT_VISIBLE}) AS BIGINT) AS r, \
             CAST((SELECT MAX(r.triaged_at) FROM reports r WHERE {REPORT_VISIBLE}) AS BIGINT) AS rt, \
             CAST((SELECT MAX(last_seen) FROM intake_alerts) AS BIGINT) AS l, \
             CAST((SELECT MAX(acknowledged_at) FROM intake_alerts) AS BIGINT) AS k, \
             CAST((SELECT MAX(resolved_at) FROM intake_alerts) AS BIGINT) AS x, \
             CAST((SELECT SUM(count) FROM intake_alerts) AS BIGINT) AS c"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind_reader(reader)
            .fetch_one(&self.read)
            .await?;
        let mut parts = Vec::with_capacity(8);
        for col in ["a", "t", "r", "rt", "l", "k", "x", "c"] {
            let v: Option<i64> = row.try_get(col)?;
            parts.push(v.unwrap_or(0).to_string());
        }
        Ok(parts.join("."))
    }
}
