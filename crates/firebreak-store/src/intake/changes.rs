//! Change events: deploys and other changes that integrations report
//! (PagerDuty's change events), kept per service beside its alerts.

use chrono::{DateTime, Utc};

use firebreak_api::intake::ChangeView;

use crate::filter::Filtered;
use crate::record::returned_id;
use crate::{Actor, Result, Store, ms};

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
        let id = returned_id(&row)?;
        self.commit_audited(tx,
            actor,
            "intake.change_event",
            &format!("change_event:{id}"),
            serde_json::json!({"integration_id": event.integration_id, "service_id": event.service_id}),
            now,
        ).await?;
        Ok(id)
    }

    /// Change events, newest first, as the API shows them; of one service when `service_id` is set.
    pub async fn change_events(
        &self,
        service_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ChangeView>> {
        let mut q = Filtered::new(
            "SELECT c.id, g.name AS integration_name, s.name AS service_name, c.summary, \
             c.source, c.happened_at, c.received_at, c.details FROM intake_change_events c \
             JOIN intake_integrations g ON g.id = c.integration_id \
             LEFT JOIN services s ON s.id = c.service_id WHERE 1 = 1"
                .to_owned(),
        );
        q.and("c.service_id = ?", service_id)
            .param(" ORDER BY c.id DESC LIMIT ?", limit.clamp(1, 1000));
        let rows = q.query().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                from_row! { row, ChangeView { id, integration: "integration_name",
                service: "service_name", summary, source, happened_at, received_at, details } }
            })
            .collect()
    }
}
