//! The notification outbox: messages claimed with a lease, their delivery
//! results, and the list of messages sent or failed.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use firebreak_api::Notification;

use crate::incidents::{TimelineEntry, timeline};
use crate::row::{col, user_ref};
use crate::{Actor, Backend, Result, Store, ms};

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub idempotency_key: String,
    pub incident_id: Option<i64>,
    pub user_id: Option<i64>,
    pub channel: serde_json::Value,
    pub message: serde_json::Value,
    pub attempts: i64,
    /// Copied from the contact method when the message was queued.
    pub admin_set: bool,
}

/// How a delivery attempt went.
#[derive(Debug, Clone)]
pub enum DeliveryOutcome {
    Sent,
    /// Failed; retry at `retry_at`, or give up when `None`.
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

impl Store {
    /// Claims up to `limit` messages due for delivery, leasing them for
    /// `lease`: a server that dies mid-delivery lets another retry after the
    /// lease. Each claimed message counts one attempt.
    pub async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        let mut tx = self.begin().await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $1) \
             OR (state = 'sending' AND lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $2{lock}"
        );
        let ids: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let r = sqlx::query(
                "UPDATE outbox SET state = 'sending', lease_until = $1, attempts = attempts + 1 WHERE id = $2 \
                 RETURNING id, idempotency_key, incident_id, user_id, channel, message, attempts, admin_set",
            )
            .bind(ms(now + lease))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            out.push(
                from_row! { &r, OutboxItem { id, idempotency_key, incident_id, user_id,
                channel, message, attempts, admin_set } }?,
            );
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records a delivery attempt. A message that failed for good puts a
    /// warning on its incident's timeline.
    pub async fn outbox_result(
        &self,
        item: &OutboxItem,
        outcome: &DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        match outcome {
            DeliveryOutcome::Sent => {
                // A message cancelled while on its way did arrive: say so.
                sqlx::query("UPDATE outbox SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2 AND state IN ('sending', 'cancelled')")
                    .bind(ms(now))
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
            }
            DeliveryOutcome::Failed {
                error,
                retry_at: Some(at),
            } => {
                sqlx::query("UPDATE outbox SET state = 'pending', next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND state = 'sending'")
                    .bind(ms(*at))
                    .bind(error)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
            }
            DeliveryOutcome::Failed {
                error,
                retry_at: None,
            } => {
                sqlx::query("UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $1 WHERE id = $2 AND state = 'sending'")
                    .bind(error)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
                if let Some(incident) = item.incident_id {
                    let kind = channel_kind(&item.channel);
                    let who = match item.user_id {
                        Some(uid) => sqlx::query("SELECT name FROM users WHERE id = $1")
                            .bind(uid)
                            .fetch_optional(&mut *tx)
                            .await?
                            .map(|r| r.try_get::<String, _>("name"))
                            .transpose()?
                            .unwrap_or_else(|| "a recipient".to_owned()),
                        None => "a recipient".to_owned(),
                    };
                    let entry = TimelineEntry {
                        kind: "notification_failed",
                        summary: format!(
                            "Warning: the {kind} notification to {who} failed after {} attempts",
                            item.attempts
                        ),
                        reason: Some(error.clone()),
                        details: serde_json::json!({"outbox_id": item.id, "idempotency_key": item.idempotency_key}),
                    };
                    timeline(&mut tx, incident, &Actor::system(), &entry, now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The messages of an incident, or every failed one when `incident_id`
    /// is `None`.
    pub async fn notifications(&self, incident_id: Option<i64>) -> Result<Vec<Notification>> {
        let base = "SELECT o.id, o.idempotency_key, o.incident_id, o.escalation_id, o.user_id, u.name AS user_name, \
                    o.channel, o.state, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at \
                    FROM outbox o LEFT JOIN users u ON u.id = o.user_id";
        let rows = match incident_id {
            Some(id) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} WHERE o.incident_id = $1 ORDER BY o.id"
                )))
                .bind(id)
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} WHERE o.state = 'failed' ORDER BY o.id DESC LIMIT 500"
                )))
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                let user = user_ref(col(r, "user_id")?, col(r, "user_name")?);
                let channel = channel_kind(&col(r, "channel")?);
                from_row! { r, Notification { id, idempotency_key, incident_id, escalation_id,
                user = user, channel = channel, state, attempts, next_attempt_at, last_error,
                created_at, sent_at } }
            })
            .collect()
    }
}

/// The kind of a contact channel (`email`, `webhook`, …), as messages name it.
fn channel_kind(channel: &serde_json::Value) -> String {
    channel
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("unknown")
        .to_owned()
}
