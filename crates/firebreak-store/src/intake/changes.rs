//! Change events: deploys and other changes that integrations report
//! (PagerDuty's change events), kept per service beside its alerts.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Actor, Result, Store, ms, time};

#[derive(Debug, Clone)]
pub struct ChangeEventWrite {
    pub integration_id: i64,
    pub service_id: Option<i64>,
    pub summary: String,
    pub source: Option<String>,
    pub happened_at: Option<DateTime<Utc>>,
    /// JSON: custom details and links.
    pub details: String,
}

#[derive(Debug, Clone)]
pub struct ChangeEventRecord {
    pub id: i64,
    pub integration: String,
    pub service: Option<String>,
    pub summary: String,
    pub source: Option<String>,
    pub happened_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub details: String,
}

impl Store {
    pub async fn record_change_event(
        &self,
        event: &ChangeEventWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO intake_change_events (integration_id, service_id, summary, source, \
             happened_at, received_at, details) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(event.integration_id)
        .bind(event.service_id)
        .bind(&event.summary)
        .bind(event.source.as_deref())
        .bind(event.happened_at.map(ms))
        .bind(ms(now))
        .bind(&event.details)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        self.commit_audited(tx,
            actor,
            "intake.change_event",
            &format!("change_event:{id}"),
            serde_json::json!({"integration_id": event.integration_id, "service_id": event.service_id}),
            now,
        ).await?;
        Ok(id)
    }

    /// Change events, newest first; of one service when `service_id` is set.
    pub async fn change_events(
        &self,
        service_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ChangeEventRecord>> {
        let mut sql =
            "SELECT c.id, g.name AS integration_name, s.name AS service_name, c.summary, \
             c.source, c.happened_at, c.received_at, c.details FROM intake_change_events c \
             JOIN intake_integrations g ON g.id = c.integration_id \
             LEFT JOIN services s ON s.id = c.service_id"
                .to_owned();
        if service_id.is_some() {
            sql.push_str(" WHERE c.service_id = $2");
        }
        sql.push_str(" ORDER BY c.id DESC LIMIT $1");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit.clamp(1, 1000));
        if let Some(id) = service_id {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(ChangeEventRecord {
                    id: row.try_get("id")?,
                    integration: row.try_get("integration_name")?,
                    service: row.try_get("service_name")?,
                    summary: row.try_get("summary")?,
                    source: row.try_get("source")?,
                    happened_at: row.try_get::<Option<i64>, _>("happened_at")?.map(time),
                    received_at: time(row.try_get("received_at")?),
                    details: row.try_get("details")?,
                })
            })
            .collect()
    }
}
