//! Notices: drafted, edited while a draft, sent once. Sending writes, in
//! one transaction under the incident's lock, the exact subject, body and
//! recipients on the notice, one verbatim outbox row per recipient contact,
//! the `notice.sent` timeline event and the audit entry. A sent notice
//! never changes.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use firebreak_api::comms::{Notice, NoticeKind, NoticeRecipient, PublicStatus};
use firebreak_api::incident_ref;

use super::{Contact, affected_in, contacts_in};
use crate::incidents::TimelineEntry;
use crate::record::{Record, record_in, returned_id};
use crate::{Actor, Result, Store, StoreError, Tx, flag, ms};

/// The outbox idempotency keys of customer notices: `notice:{id}:{contact}`.
pub const NOTICE_KEY_PREFIX: &str = "notice:";

/// A draft's fields, as the server checked and rendered them.
#[derive(Debug, Clone)]
pub struct NoticeWrite {
    pub kind: NoticeKind,
    pub title: String,
    pub impact: String,
    pub actions: String,
    pub next_update_at: Option<DateTime<Utc>>,
    pub subject: String,
    pub body: String,
    pub internal_note: String,
    pub public_status: PublicStatus,
    pub on_status_page: bool,
    pub to_customers: bool,
}

impl Record for Notice {
    const TABLE: &'static str = "notices";
    const SELECT: &'static str = "SELECT id, incident_id, kind, title, impact, actions, next_update_at, \
        subject, body, internal_note, public_status, on_status_page, to_customers, approved_by, \
        recipients, created_by, created_at, updated_at, sent_by, sent_at FROM notices";
    const NOUN: &'static str = "notice";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<Notice> {
        let kind: String = row.try_get("kind")?;
        let kind = kind
            .parse::<NoticeKind>()
            .map_err(|_| StoreError::Other(format!("stored notice kind `{kind}` is not valid")))?;
        let status: String = row.try_get("public_status")?;
        let public_status = status.parse::<PublicStatus>().map_err(|_| {
            StoreError::Other(format!("stored public status `{status}` is not valid"))
        })?;
        let recipients: String = row.try_get("recipients")?;
        let recipients: Vec<NoticeRecipient> = serde_json::from_str(&recipients)
            .map_err(|e| StoreError::Other(format!("stored recipients: {e}")))?;
        from_row! { row, Notice { id, incident_id, kind = kind, title, impact, actions,
        next_update_at, subject, body, internal_note, public_status = public_status,
        on_status_page, to_customers, approved_by, recipients = recipients, created_by,
        created_at, updated_at, sent_by, sent_at } }
    }
}

/// The notices of incident `id`, newest first.
pub(super) async fn list_in(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Vec<Notice>> {
    let sql = format!("{} WHERE incident_id = $1 ORDER BY id DESC", Notice::SELECT);
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(Notice::from_row)
        .collect()
}

/// The JSON body a webhook contact receives: the notice's public fields.
pub fn notice_payload(n: &Notice, sent_at: DateTime<Utc>) -> serde_json::Value {
    json!({
        "event": "customer_notice",
        "notice": {
            "id": n.id,
            "kind": n.kind,
            "title": n.title,
            "impact": n.impact,
            "actions": n.actions,
            "public_status": n.public_status,
            "next_update_at": n.next_update_at,
            "sent_at": sent_at,
        },
        "subject": n.subject,
        "text": n.body,
    })
}

impl Store {
    /// Locks incident `id` (the row lock `change_incident` takes), so a
    /// notice and a change of the incident do not interleave.
    async fn lock_incident(&self, tx: &mut Tx, id: i64) -> Result<()> {
        let sql = format!(
            "SELECT id FROM incidents WHERE id = $1{}",
            self.for_update()
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(incident_ref(id)))?;
        Ok(())
    }

    /// Notice `notice_id` of incident `incident_id`.
    pub async fn notice(&self, incident_id: i64, notice_id: i64) -> Result<Notice> {
        let sql = format!("{} WHERE id = $1 AND incident_id = $2", Notice::SELECT);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(notice_id)
            .bind(incident_id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("notice {notice_id}")))?;
        Notice::from_row(&row)
    }

    /// The notices of incident `id`, newest first.
    pub async fn notices(&self, id: i64) -> Result<Vec<Notice>> {
        let mut conn = self.read.acquire().await?;
        list_in(&mut conn, id).await
    }

    /// A draft notice. Audited as `notice.draft`.
    pub async fn create_notice(
        &self,
        incident_id: i64,
        w: &NoticeWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Notice> {
        let mut tx = self.begin().await?;
        self.lock_incident(&mut tx, incident_id).await?;
        let row = sqlx::query(
            "INSERT INTO notices (incident_id, kind, title, impact, actions, next_update_at, subject, \
             body, internal_note, public_status, on_status_page, to_customers, approved_by, recipients, \
             created_by, created_at, updated_at, sent_by, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, NULL, '[]', $13, $14, $14, NULL, NULL) RETURNING id",
        )
        .bind(incident_id)
        .bind(w.kind.as_str())
        .bind(&w.title)
        .bind(&w.impact)
        .bind(&w.actions)
        .bind(w.next_update_at.map(ms))
        .bind(&w.subject)
        .bind(&w.body)
        .bind(&w.internal_note)
        .bind(w.public_status.as_str())
        .bind(flag(w.on_status_page))
        .bind(flag(w.to_customers))
        .bind(&actor.name)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        self.commit_record(
            tx,
            id,
            "notice.draft",
            json!({"incident": incident_ref(incident_id), "kind": w.kind, "title": w.title}),
            actor,
            now,
        )
        .await
    }

    /// Changes a draft; a sent notice is a conflict. Audited as
    /// `notice.update`.
    pub async fn update_notice(
        &self,
        incident_id: i64,
        notice_id: i64,
        w: &NoticeWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Notice> {
        let mut tx = self.begin().await?;
        self.lock_incident(&mut tx, incident_id).await?;
        let current: Notice = record_in(&mut tx, notice_id).await?;
        if current.incident_id != incident_id {
            return Err(StoreError::NotFound(format!("notice {notice_id}")));
        }
        if current.sent_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "notice {notice_id} was sent and never changes: draft a new one"
            )));
        }
        sqlx::query(
            "UPDATE notices SET kind = $1, title = $2, impact = $3, actions = $4, next_update_at = $5, \
             subject = $6, body = $7, internal_note = $8, public_status = $9, on_status_page = $10, \
             to_customers = $11, updated_at = $12 WHERE id = $13 AND sent_at IS NULL",
        )
        .bind(w.kind.as_str())
        .bind(&w.title)
        .bind(&w.impact)
        .bind(&w.actions)
        .bind(w.next_update_at.map(ms))
        .bind(&w.subject)
        .bind(&w.body)
        .bind(&w.internal_note)
        .bind(w.public_status.as_str())
        .bind(flag(w.on_status_page))
        .bind(flag(w.to_customers))
        .bind(ms(now))
        .bind(notice_id)
        .execute(&mut *tx)
        .await?;
        self.commit_record(
            tx,
            notice_id,
            "notice.update",
            json!({"incident": incident_ref(incident_id), "kind": w.kind, "title": w.title}),
            actor,
            now,
        )
        .await
    }

    /// Sends draft `notice_id` as it stands: to the contacts of the
    /// incident's affected customers (resolved now, in the transaction)
    /// when it is addressed to customers, and to the status page when it is
    /// marked so. `approved_by` is stored with it (the server requires it
    /// for a security incident). Refused (conflict) when it was sent, or
    /// when it is addressed to customers and nobody would receive it.
    pub async fn send_notice(
        &self,
        incident_id: i64,
        notice_id: i64,
        approved_by: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Notice> {
        let mut tx = self.begin().await?;
        self.lock_incident(&mut tx, incident_id).await?;
        let n: Notice = record_in(&mut tx, notice_id).await?;
        if n.incident_id != incident_id {
            return Err(StoreError::NotFound(format!("notice {notice_id}")));
        }
        if n.sent_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "notice {notice_id} was already sent"
            )));
        }
        let contacts: Vec<Contact> = if n.to_customers {
            let (mode, affected) = affected_in(&mut tx, incident_id).await?;
            if mode.is_none() {
                return Err(StoreError::Conflict(
                    "the affected customers are not set: choose them before sending".into(),
                ));
            }
            let contacts = contacts_in(&mut tx, &affected).await?;
            if contacts.is_empty() {
                return Err(StoreError::Conflict(
                    "nobody would receive this notice: the affected customers have no contacts"
                        .into(),
                ));
            }
            contacts
        } else {
            Vec::new()
        };
        let recipients: Vec<NoticeRecipient> =
            contacts.iter().map(|c| c.recipient.clone()).collect();
        let recipients_json = serde_json::to_string(&recipients)
            .map_err(|e| StoreError::Other(format!("recipients: {e}")))?;
        let done = sqlx::query(
            "UPDATE notices SET sent_at = $1, sent_by = $2, recipients = $3, approved_by = $4, \
             updated_at = $1 WHERE id = $5 AND sent_at IS NULL",
        )
        .bind(ms(now))
        .bind(&actor.name)
        .bind(&recipients_json)
        .bind(approved_by)
        .bind(notice_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "notice {notice_id} was already sent"
            )));
        }
        let payload = notice_payload(&n, now);
        let message = json!({"verbatim": {
            "event": "customer_notice",
            "subject": n.subject,
            "text": n.body,
            "payload": payload,
        }});
        for c in &contacts {
            sqlx::query(
                "INSERT INTO outbox (idempotency_key, incident_id, channel, message, state, attempts, \
                 next_attempt_at, created_at, admin_set) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, 0)",
            )
            .bind(format!(
                "{NOTICE_KEY_PREFIX}{notice_id}:{}",
                c.recipient.contact_id
            ))
            .bind(incident_id)
            .bind(c.channel.to_string())
            .bind(message.to_string())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        let to = match (recipients.len(), n.on_status_page) {
            (0, true) => "posted on the status page".to_owned(),
            (k, true) => format!("sent to {k} contact(s) and posted on the status page"),
            (k, false) => format!("sent to {k} contact(s)"),
        };
        let entry = TimelineEntry {
            kind: "notice.sent",
            summary: format!("{} {to}: {}", n.kind.label(), n.subject),
            reason: None,
            details: json!({
                "notice_id": notice_id,
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "recipients": recipients,
                "on_status_page": n.on_status_page,
                "approved_by": approved_by,
            }),
        };
        crate::incidents::timeline(&mut tx, incident_id, actor, &entry, now).await?;
        self.commit_record(
            tx,
            notice_id,
            "notice.send",
            json!({
                "incident": incident_ref(incident_id), "kind": n.kind,
                "recipients": recipients.len(), "on_status_page": n.on_status_page,
                "approved_by": approved_by,
            }),
            actor,
            now,
        )
        .await
    }
}
