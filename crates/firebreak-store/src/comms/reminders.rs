//! Reminders of overdue notices to the incident lead: one `comms_reminders`
//! row per incident and kind, claimed with a conditional write so two
//! workers (two servers on one PostgreSQL database) never both remind. The
//! claim, the outbox rows and the timeline line are one transaction; like
//! a timer firing, it is the worker's own follow-up and is not audited.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::comms::NoticeKind;

use crate::escalations::OutboxWrite;
use crate::incidents::TimelineEntry;
use crate::row::col;
use crate::{Actor, Result, Store, ms};

impl Store {
    /// When the lead of incident `id` was last reminded, per kind of notice.
    pub async fn comms_reminders(&self, id: i64) -> Result<HashMap<NoticeKind, DateTime<Utc>>> {
        let rows =
            sqlx::query("SELECT kind, reminded_at FROM comms_reminders WHERE incident_id = $1")
                .bind(id)
                .fetch_all(&self.read)
                .await?;
        let mut out = HashMap::new();
        for r in rows {
            let kind: String = r.try_get("kind")?;
            if let Ok(kind) = kind.parse::<NoticeKind>() {
                out.insert(kind, col(&r, "reminded_at")?);
            }
        }
        Ok(out)
    }

    /// Reminds the lead of incident `id` of an overdue notice of `kind`:
    /// claims the reminder (it was last sent at `last`, as read before) and
    /// queues `messages` with the timeline line `entry`. `false` when
    /// another worker claimed it first: nothing is written.
    pub async fn remind_comms(
        &self,
        id: i64,
        kind: NoticeKind,
        last: Option<DateTime<Utc>>,
        messages: &[OutboxWrite],
        entry: &TimelineEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let claimed = match last {
            None => sqlx::query(
                "INSERT INTO comms_reminders (incident_id, kind, reminded_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (incident_id, kind) DO NOTHING",
            )
            .bind(id)
            .bind(kind.as_str())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?,
            Some(last) => sqlx::query(
                "UPDATE comms_reminders SET reminded_at = $1 WHERE incident_id = $2 AND kind = $3 \
                 AND reminded_at = $4",
            )
            .bind(ms(now))
            .bind(id)
            .bind(kind.as_str())
            .bind(ms(last))
            .execute(&mut *tx)
            .await?,
        };
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        for m in messages {
            sqlx::query(
                "INSERT INTO outbox (idempotency_key, incident_id, user_id, channel, message, state, \
                 attempts, next_attempt_at, created_at, admin_set) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&m.idempotency_key)
            .bind(id)
            .bind(m.user_id)
            .bind(m.channel.to_string())
            .bind(m.message.to_string())
            .bind(ms(now))
            .bind(i64::from(m.admin_set))
            .execute(&mut *tx)
            .await?;
        }
        crate::incidents::timeline(&mut tx, id, &Actor::system(), entry, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
