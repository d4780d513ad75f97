//! Status page subscribers: email addresses (double opt-in) and webhook
//! URLs, each for every component or some. Their links are HMACs of the
//! id, made by the server; no token is stored. One row per (kind, target):
//! subscribing again changes the components and re-sends a confirmation
//! at most once an hour while unconfirmed.
//!
//! Update messages are outbox rows keyed `status-update:<notice>:<subscriber>`
//! and inserted with `ON CONFLICT DO NOTHING`: one per public notice and
//! subscriber, however many servers run the fan-out.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::{StatusUpdate, update};
use crate::row::col;
use crate::{Actor, Result, Store, StoreError, Tx, ms};

/// The outbox keys of confirmations start with this, then `<id>:`.
pub const CONFIRM_KEY_PREFIX: &str = "status-confirm:";
/// The outbox keys of update messages: `status-update:<notice>:<subscriber>`.
pub const UPDATE_KEY_PREFIX: &str = "status-update:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberKind {
    Email,
    Webhook,
}

impl SubscriberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberKind::Email => "email",
            SubscriberKind::Webhook => "webhook",
        }
    }
}

/// A subscriber as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSubscriber {
    pub id: i64,
    /// `email` or `webhook`.
    pub kind: String,
    pub target: String,
    pub secret: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A subscription request, checked by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscriber {
    pub kind: SubscriberKind,
    pub target: String,
    /// A webhook's signing secret (used only when the row is created).
    pub secret: Option<String>,
    /// Component ids; empty: every component.
    pub components: Vec<i64>,
}

/// What subscribing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A confirmation was queued (`created`: the row is new).
    ConfirmationSent { id: i64, created: bool },
    /// A confirmation went out less than an hour ago: none was queued.
    ConfirmationPending { id: i64 },
    /// Already confirmed: nothing was queued.
    AlreadyConfirmed { id: i64 },
}

/// An outbox message the server built: its channel and message JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltMessage {
    pub channel: serde_json::Value,
    pub message: serde_json::Value,
}

/// One update to send: a public notice and a subscriber it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMail {
    pub notice: StatusUpdate,
    pub subscriber: StatusSubscriber,
}

const SUBSCRIBER_SELECT: &str = "SELECT id, kind, target, secret, confirmed_at, unsubscribed_at, \
     created_at FROM status_subscribers";

fn subscriber(row: &sqlx::any::AnyRow) -> Result<StatusSubscriber> {
    Ok(StatusSubscriber {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        target: col(row, "target")?,
        secret: col(row, "secret")?,
        confirmed_at: col(row, "confirmed_at")?,
        unsubscribed_at: col(row, "unsubscribed_at")?,
        created_at: col(row, "created_at")?,
    })
}

async fn insert_outbox(tx: &mut Tx, key: &str, built: &BuiltMessage, now: i64) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO outbox (idempotency_key, channel, message, state, attempts, \
         next_attempt_at, created_at, admin_set) VALUES ($1, $2, $3, 'pending', 0, $4, $4, 0) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(key)
    .bind(built.channel.to_string())
    .bind(built.message.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

impl Store {
    /// Subscriber `id`.
    pub async fn status_subscriber(&self, id: i64) -> Result<Option<StatusSubscriber>> {
        let sql = format!("{SUBSCRIBER_SELECT} WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(subscriber)
            .transpose()
    }

    /// Subscribes `new` (see the module): `confirmation` builds the
    /// confirmation message for the subscriber's id. Audited as
    /// `status.subscribe` by `actor` (the client's address).
    pub async fn subscribe_status(
        &self,
        new: &NewSubscriber,
        actor: &Actor,
        now: DateTime<Utc>,
        confirmation: impl FnOnce(&StatusSubscriber) -> BuiltMessage,
    ) -> Result<SubscribeOutcome> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "{SUBSCRIBER_SELECT} WHERE kind = $1 AND target = $2{}",
            self.for_update()
        );
        let found = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(new.kind.as_str())
            .bind(&new.target)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(subscriber)
            .transpose()?;
        for c in &new.components {
            let exists = sqlx::query("SELECT id FROM components WHERE id = $1 AND public = 1")
                .bind(c)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("component {c}")));
            }
        }
        let (sub, created) = match found {
            Some(s) if s.confirmed_at.is_some() && s.unsubscribed_at.is_none() => {
                return Ok(SubscribeOutcome::AlreadyConfirmed { id: s.id });
            }
            Some(s) => {
                // Unconfirmed, or unsubscribed and back: opt in again.
                sqlx::query(
                    "UPDATE status_subscribers SET unsubscribed_at = NULL, confirmed_at = NULL \
                     WHERE id = $1",
                )
                .bind(s.id)
                .execute(&mut *tx)
                .await?;
                (s, false)
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO status_subscribers (kind, target, secret, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(new.kind.as_str())
                .bind(&new.target)
                .bind(new.secret.clone())
                .bind(ms(now))
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = row.try_get("id")?;
                let s = StatusSubscriber {
                    id,
                    kind: new.kind.as_str().to_owned(),
                    target: new.target.clone(),
                    secret: new.secret.clone(),
                    confirmed_at: None,
                    unsubscribed_at: None,
                    created_at: now,
                };
                (s, true)
            }
        };
        sqlx::query("DELETE FROM status_subscriber_components WHERE subscriber_id = $1")
            .bind(sub.id)
            .execute(&mut *tx)
            .await?;
        for c in &new.components {
            sqlx::query(
                "INSERT INTO status_subscriber_components (subscriber_id, component_id) \
                 VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(sub.id)
            .bind(c)
            .execute(&mut *tx)
            .await?;
        }
        let prefix = format!("{CONFIRM_KEY_PREFIX}{}:%", sub.id);
        let recent: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox WHERE idempotency_key LIKE $1 AND created_at > $2",
        )
        .bind(&prefix)
        .bind(ms(now - Duration::hours(1)))
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        let outcome = if recent > 0 && !created {
            SubscribeOutcome::ConfirmationPending { id: sub.id }
        } else {
            let key = format!("{CONFIRM_KEY_PREFIX}{}:{}", sub.id, ms(now));
            insert_outbox(&mut tx, &key, &confirmation(&sub), ms(now)).await?;
            SubscribeOutcome::ConfirmationSent {
                id: sub.id,
                created,
            }
        };
        self.commit_audited(
            tx,
            actor,
            "status.subscribe",
            &format!("status_subscriber:{}", sub.id),
            serde_json::json!({"kind": sub.kind, "components": new.components}),
            now,
        )
        .await?;
        Ok(outcome)
    }

    /// Confirms subscriber `id` (its link was followed). False: no such
    /// subscriber, or unsubscribed. Confirming twice changes nothing.
    pub async fn confirm_status_subscriber(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.begin().await?;
        let mut tx = tx;
        let done = sqlx::query(
            "UPDATE status_subscribers SET confirmed_at = $2 \
             WHERE id = $1 AND confirmed_at IS NULL AND unsubscribed_at IS NULL",
        )
        .bind(id)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let sql = format!("{SUBSCRIBER_SELECT} WHERE id = $1");
            let s = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(subscriber)
                .transpose()?;
            return Ok(s.is_some_and(|s| s.unsubscribed_at.is_none()));
        }
        self.commit_audited(
            tx,
            actor,
            "status.confirm",
            &format!("status_subscriber:{id}"),
            serde_json::json!({}),
            now,
        )
        .await?;
        Ok(true)
    }

    /// Unsubscribes subscriber `id`. False: no such subscriber. Twice
    /// changes nothing.
    pub async fn unsubscribe_status(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE status_subscribers SET unsubscribed_at = $2 \
             WHERE id = $1 AND unsubscribed_at IS NULL",
        )
        .bind(id)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT id FROM status_subscribers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            return Ok(exists.is_some());
        }
        self.commit_audited(
            tx,
            actor,
            "status.unsubscribe",
            &format!("status_subscriber:{id}"),
            serde_json::json!({}),
            now,
        )
        .await?;
        Ok(true)
    }

    /// The fan-out step: for each public notice sent since `now - 1 day`
    /// and each confirmed subscriber it concerns (a subscriber of some
    /// components: the incident gives one of them a status), queues the
    /// message `build` makes, once (key `status-update:<notice>:<subscriber>`,
    /// `ON CONFLICT DO NOTHING`). Returns how many were queued.
    pub async fn queue_status_updates(
        &self,
        now: DateTime<Utc>,
        build: impl Fn(&UpdateMail) -> BuiltMessage,
    ) -> Result<usize> {
        let sql = format!(
            "SELECT n.id, n.incident_id, n.kind, n.title, n.body, n.public_status, n.sent_at, \
             s.id AS s_id, s.kind AS s_kind, s.target AS s_target, s.secret AS s_secret, \
             s.confirmed_at AS s_confirmed_at, s.created_at AS s_created_at \
             FROM notices n JOIN status_subscribers s ON s.confirmed_at IS NOT NULL \
               AND s.unsubscribed_at IS NULL \
             WHERE {} AND n.sent_at >= $1 \
             AND (NOT EXISTS (SELECT 1 FROM status_subscriber_components sc WHERE sc.subscriber_id = s.id) \
                  OR EXISTS (SELECT 1 FROM status_subscriber_components sc JOIN incident_components ic \
                     ON ic.component_id = sc.component_id \
                     WHERE sc.subscriber_id = s.id AND ic.incident_id = n.incident_id)) \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key = \
                 '{UPDATE_KEY_PREFIX}' || CAST(n.id AS TEXT) || ':' || CAST(s.id AS TEXT)) \
             ORDER BY n.id, s.id LIMIT 1000",
            public_notice!()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now - Duration::days(1)))
            .fetch_all(&self.read)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut mails = Vec::with_capacity(rows.len());
        for row in &rows {
            mails.push(UpdateMail {
                notice: update(row)?,
                subscriber: StatusSubscriber {
                    id: col(row, "s_id")?,
                    kind: col(row, "s_kind")?,
                    target: col(row, "s_target")?,
                    secret: col(row, "s_secret")?,
                    confirmed_at: col(row, "s_confirmed_at")?,
                    unsubscribed_at: None,
                    created_at: col(row, "s_created_at")?,
                },
            });
        }
        let mut tx = self.begin().await?;
        let mut queued = 0;
        for mail in &mails {
            let key = format!(
                "{UPDATE_KEY_PREFIX}{}:{}",
                mail.notice.id, mail.subscriber.id
            );
            queued += insert_outbox(&mut tx, &key, &build(mail), ms(now)).await? as usize;
        }
        tx.commit().await?;
        Ok(queued)
    }
}
