//! Responsible disclosures (issue 12): one record behind each report whose
//! source is `disclosure`, its messages with the researcher, its files and
//! its timeline.
//!
//! Everything here is confidential. The store does not check who reads (the
//! server lets only `read_disclosures` through, and the researcher reaches
//! their own record only by the secret of their status link, of which only
//! the SHA-256 is stored), but the report behind each disclosure is stored
//! `confidential`, so the triage queue, counts and metrics that follow
//! [`crate::visibility`] leave it out for everyone else.

pub mod advisories;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use firebreak_api::Severity;
use firebreak_api::disclosure::{
    Disclosure, DisclosureAttachment, DisclosureEvent, DisclosureMessage, DueView,
};
use firebreak_core::disclosure::{
    DisclosureChannel, DisclosureFacts, DisclosurePolicy, DisclosureState, TriageOutcome, due_dates,
};

use crate::intake::AttachmentWrite;
use crate::record::returned_id;
use crate::row::col;
use crate::secrets::secret_hash;
use crate::status::BuiltMessage;
use crate::{Actor, Result, Store, StoreError, Tx, flag, ms};

mod intake;
pub use intake::{BuildMessages, RECEIPT_KEY};
mod workflow;
pub use workflow::{DisclosureChange, Notify};

/// The `author` of a researcher's message.
pub const RESEARCHER: &str = "researcher";
/// The `author` of a staff message.
pub const STAFF: &str = "staff";

/// A disclosure to store, from the form, an email or staff.
#[derive(Debug, Clone)]
pub struct NewDisclosureRecord {
    pub channel: DisclosureChannel,
    pub title: String,
    pub description: String,
    pub steps: String,
    pub impact: String,
    pub asset: String,
    pub researcher_name: Option<String>,
    pub researcher_email: Option<String>,
    pub credit: bool,
    /// The form's client address (abuse handling; never shown to the
    /// researcher).
    pub client_addr: Option<String>,
    pub embargo_until: DateTime<Utc>,
    pub attachments: Vec<AttachmentWrite>,
}

/// A stored disclosure: its id, tracking id and the secret of its status
/// link, returned once (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedDisclosure {
    pub id: i64,
    pub report_id: i64,
    pub tracking_id: String,
    pub token: String,
}

/// A disclosure as stored. [`DisclosureRecord::view`] adds its due dates
/// under a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosureRecord {
    pub id: i64,
    pub tracking_id: String,
    pub report_id: i64,
    pub channel: DisclosureChannel,
    pub state: DisclosureState,
    pub title: String,
    pub description: String,
    pub steps: String,
    pub impact: String,
    pub asset: String,
    pub researcher_name: Option<String>,
    pub researcher_email: Option<String>,
    pub credit: bool,
    pub triage_outcome: Option<TriageOutcome>,
    pub triage_reason: Option<String>,
    /// The other disclosure's tracking id.
    pub duplicate_of: Option<String>,
    pub severity: Option<Severity>,
    pub cvss_vector: Option<String>,
    /// Score × 10.
    pub cvss_score_tenths: Option<i64>,
    pub incident_id: Option<i64>,
    pub embargo_until: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub triaged_at: Option<DateTime<Utc>>,
    pub fixing_at: Option<DateTime<Utc>>,
    pub fixed_at: Option<DateTime<Utc>>,
    pub disclosed_at: Option<DateTime<Utc>>,
    pub client_addr: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl DisclosureRecord {
    /// What the workflow rules need.
    pub fn facts(&self) -> DisclosureFacts {
        DisclosureFacts {
            state: self.state,
            outcome: self.triage_outcome,
            severity: self.severity,
            received_at: self.received_at,
            triaged_at: self.triaged_at,
            embargo_until: self.embargo_until,
        }
    }

    /// The due dates under `policy` at `now`.
    pub fn due(&self, policy: &DisclosurePolicy, now: DateTime<Utc>) -> Vec<DueView> {
        due_dates(&self.facts(), policy)
            .into_iter()
            .map(|d| DueView {
                what: d.what,
                at: d.at,
                overdue: now >= d.at,
            })
            .collect()
    }

    /// The score as shown (9.8).
    pub fn cvss_score(&self) -> Option<f64> {
        self.cvss_score_tenths.map(|t| t as f64 / 10.0)
    }

    /// The staff's view.
    pub fn view(&self, policy: &DisclosurePolicy, now: DateTime<Utc>) -> Disclosure {
        Disclosure {
            id: self.id,
            tracking_id: self.tracking_id.clone(),
            report_id: self.report_id,
            channel: self.channel,
            state: self.state,
            title: self.title.clone(),
            description: self.description.clone(),
            steps: self.steps.clone(),
            impact: self.impact.clone(),
            asset: self.asset.clone(),
            researcher_name: self.researcher_name.clone(),
            researcher_email: self.researcher_email.clone(),
            credit: self.credit,
            triage_outcome: self.triage_outcome,
            triage_reason: self.triage_reason.clone(),
            duplicate_of: self.duplicate_of.clone(),
            severity: self.severity,
            cvss_vector: self.cvss_vector.clone(),
            cvss_score: self.cvss_score(),
            incident_id: self.incident_id,
            embargo_until: self.embargo_until,
            received_at: self.received_at,
            acknowledged_at: self.acknowledged_at,
            triaged_at: self.triaged_at,
            fixing_at: self.fixing_at,
            fixed_at: self.fixed_at,
            disclosed_at: self.disclosed_at,
            due: self.due(policy, now),
            updated_at: self.updated_at,
        }
    }
}

pub(crate) const SELECT: &str = "SELECT d.id, d.tracking_id, d.report_id, d.channel, d.state, \
    d.title, d.description, d.steps, d.impact, d.asset, d.researcher_name, d.researcher_email, \
    d.credit, d.triage_outcome, d.triage_reason, o.tracking_id AS duplicate_of, d.severity, \
    d.cvss_vector, d.cvss_score_tenths, d.incident_id, d.embargo_until, d.received_at, \
    d.acknowledged_at, d.triaged_at, d.fixing_at, d.fixed_at, d.disclosed_at, d.client_addr, \
    d.updated_at FROM disclosures d LEFT JOIN disclosures o ON o.id = d.duplicate_of";

pub(crate) fn record(row: &sqlx::any::AnyRow) -> Result<DisclosureRecord> {
    from_row! { row, DisclosureRecord { id, tracking_id, report_id, channel, state, title,
    description, steps, impact, asset, researcher_name, researcher_email, credit, triage_outcome,
    triage_reason, duplicate_of, severity, cvss_vector, cvss_score_tenths, incident_id,
    embargo_until, received_at, acknowledged_at, triaged_at, fixing_at, fixed_at, disclosed_at,
    client_addr, updated_at } }
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.author, u.name AS user_name, m.body, m.internal, \
    m.created_at FROM disclosure_messages m LEFT JOIN users u ON u.id = m.user_id";

fn message(row: &sqlx::any::AnyRow) -> Result<DisclosureMessage> {
    from_row! { row, DisclosureMessage { id, author, user: "user_name", body, internal,
    created_at } }
}

const ATTACHMENT_SELECT: &str = "SELECT id, filename, content_type, size, sha256, \
    CASE WHEN content IS NULL THEN 0 ELSE 1 END AS stored, added_by, message_id, created_at \
    FROM disclosure_attachments";

fn attachment(row: &sqlx::any::AnyRow) -> Result<DisclosureAttachment> {
    from_row! { row, DisclosureAttachment { id, filename, content_type, size, sha256, stored,
    added_by, message_id, created_at } }
}

fn event(row: &sqlx::any::AnyRow) -> Result<DisclosureEvent> {
    from_row! { row, DisclosureEvent { id, kind, actor, detail, at } }
}

/// Appends an entry to disclosure `id`'s timeline in `tx`.
pub(crate) async fn disclosure_event(
    tx: &mut Tx,
    id: i64,
    kind: &str,
    actor: &Actor,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO disclosure_events (disclosure_id, kind, actor, detail, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(kind)
    .bind(&actor.name)
    .bind(detail.to_string())
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues an outbox message in `tx` (at most once per `key`).
pub(crate) async fn queue(
    tx: &mut Tx,
    key: &str,
    built: &BuiltMessage,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (idempotency_key, channel, message, state, attempts, \
         next_attempt_at, created_at, admin_set) VALUES ($1, $2, $3, 'pending', 0, $4, $4, 0) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(key)
    .bind(built.channel.to_string())
    .bind(built.message.to_string())
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores `files` on disclosure `id` (and message `message_id`) in `tx`.
pub(crate) async fn insert_attachments(
    tx: &mut Tx,
    id: i64,
    message_id: Option<i64>,
    files: &[AttachmentWrite],
    added_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(files.len());
    for f in files {
        let row = sqlx::query(
            "INSERT INTO disclosure_attachments (disclosure_id, message_id, filename, \
             content_type, size, sha256, content, added_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(id)
        .bind(message_id)
        .bind(f.filename.as_deref())
        .bind(&f.content_type)
        .bind(f.size)
        .bind(&f.sha256)
        .bind(f.content.as_deref())
        .bind(added_by)
        .bind(ms(now))
        .fetch_one(&mut **tx)
        .await?;
        ids.push(returned_id(&row)?);
    }
    Ok(ids)
}

/// A message to add to a disclosure.
#[derive(Debug, Clone)]
pub struct NewDisclosureMessage {
    /// [`RESEARCHER`] or [`STAFF`].
    pub author: &'static str,
    pub body: String,
    pub internal: bool,
    /// The Message-ID of the email it came in (a redelivery is ignored).
    pub email_message_id: Option<String>,
    pub attachments: Vec<AttachmentWrite>,
}

/// What adding a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedMessage {
    pub message_id: i64,
    pub attachment_ids: Vec<i64>,
    /// The same email was stored before: nothing was written.
    pub duplicate: bool,
}

impl Store {
    /// Stores a new disclosure: its report in the triage queue (source
    /// `disclosure`, confidential), the record with the next tracking id of
    /// the year and a new status-link secret, its files, a `received` event
    /// and the audit entry; and, in the same transaction, the message
    /// `receipt` builds from the tracking id and the secret (the
    /// acknowledgment to the researcher) when it builds one.
    pub async fn create_disclosure(
        &self,
        new: &NewDisclosureRecord,
        receipt: &(dyn Fn(&str, &str) -> Option<BuiltMessage> + Sync),
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<CreatedDisclosure> {
        let messages = |tracking: &str, token: &str| {
            receipt(tracking, token)
                .map(|m| (RECEIPT_KEY.to_owned(), m))
                .into_iter()
                .collect()
        };
        self.create_disclosure_with(new, None, &messages, actor, now)
            .await
    }

    /// Disclosure `id`.
    pub async fn disclosure(&self, id: i64) -> Result<Option<DisclosureRecord>> {
        self.disclosure_where("d.id = $1", id.into()).await
    }

    /// The disclosure behind report `report_id`.
    pub async fn disclosure_of_report(&self, report_id: i64) -> Result<Option<DisclosureRecord>> {
        self.disclosure_where("d.report_id = $1", report_id.into())
            .await
    }

    /// The disclosure tracked as `tracking_id` (`VULN-2026-0007`).
    pub async fn disclosure_by_tracking_id(
        &self,
        tracking_id: &str,
    ) -> Result<Option<DisclosureRecord>> {
        self.disclosure_where("d.tracking_id = $1", tracking_id.into())
            .await
    }

    /// The disclosure whose status-link secret is `token`; `None` for any
    /// other string, so a wrong secret and a missing record look the same.
    pub async fn disclosure_by_token(&self, token: &str) -> Result<Option<DisclosureRecord>> {
        if token.is_empty() || token.len() > 200 {
            return Ok(None);
        }
        self.disclosure_where("d.token_hash = $1", secret_hash(token).into())
            .await
    }

    async fn disclosure_where(&self, clause: &str, arg: Arg) -> Result<Option<DisclosureRecord>> {
        let sql = format!("{SELECT} WHERE {clause}");
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = match arg {
            Arg::Int(i) => q.bind(i),
            Arg::Text(t) => q.bind(t),
        };
        q.fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(record)
            .transpose()
    }

    /// Every disclosure, or those in `state`, newest first.
    pub async fn disclosures(
        &self,
        state: Option<DisclosureState>,
    ) -> Result<Vec<DisclosureRecord>> {
        let rows = match state {
            Some(s) => {
                let sql = format!("{SELECT} WHERE d.state = $1 ORDER BY d.id DESC");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(s.as_str())
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                let sql = format!("{SELECT} ORDER BY d.id DESC");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.iter().map(record).collect()
    }

    /// Disclosure `id`'s messages, oldest first; internal notes only when
    /// `with_internal`.
    pub async fn disclosure_messages(
        &self,
        id: i64,
        with_internal: bool,
    ) -> Result<Vec<DisclosureMessage>> {
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.disclosure_id = $1 AND (m.internal = 0 OR $2 = 1) \
             ORDER BY m.id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(flag(with_internal))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(message)
            .collect()
    }

    /// Disclosure `id`'s files, oldest first.
    pub async fn disclosure_attachments(&self, id: i64) -> Result<Vec<DisclosureAttachment>> {
        let sql = format!("{ATTACHMENT_SELECT} WHERE disclosure_id = $1 ORDER BY id");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(attachment)
            .collect()
    }

    /// File `file_id` of disclosure `id` with its content (base64) when
    /// kept; `None` when it is not that disclosure's.
    pub async fn disclosure_attachment(
        &self,
        id: i64,
        file_id: i64,
    ) -> Result<Option<(DisclosureAttachment, Option<String>)>> {
        let row = sqlx::query(
            "SELECT id, filename, content_type, size, sha256, \
             CASE WHEN content IS NULL THEN 0 ELSE 1 END AS stored, added_by, message_id, \
             created_at, content FROM disclosure_attachments WHERE disclosure_id = $1 AND id = $2",
        )
        .bind(id)
        .bind(file_id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((attachment(&r)?, col(&r, "content")?)))
            .transpose()
    }

    /// Disclosure `id`'s timeline, oldest first.
    pub async fn disclosure_events(&self, id: i64) -> Result<Vec<DisclosureEvent>> {
        sqlx::query(
            "SELECT id, kind, actor, detail, at FROM disclosure_events \
             WHERE disclosure_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(event)
        .collect()
    }

    /// Adds a message (with its files) to disclosure `id`, a
    /// `disclosure.message` event and the audit entry; and, in the same
    /// transaction, each of `notify` under its key (e.g. the staff reply
    /// mailed to the researcher, or the security team told of the
    /// researcher's reply).
    /// An email already stored (same Message-ID) writes nothing.
    pub async fn add_disclosure_message(
        &self,
        id: i64,
        msg: &NewDisclosureMessage,
        notify: impl IntoIterator<Item = (String, BuiltMessage)>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<AddedMessage> {
        let mut tx = self.begin().await?;
        if let Some(mid) = &msg.email_message_id {
            let dup = sqlx::query("SELECT id FROM disclosure_messages WHERE email_message_id = $1")
                .bind(mid)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = dup {
                tx.rollback().await?;
                return Ok(AddedMessage {
                    message_id: row.try_get("id")?,
                    attachment_ids: Vec::new(),
                    duplicate: true,
                });
            }
        }
        let exists = sqlx::query("SELECT id FROM disclosures WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("disclosure {id}")));
        }
        let row = sqlx::query(
            "INSERT INTO disclosure_messages (disclosure_id, author, user_id, body, internal, \
             email_message_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(id)
        .bind(msg.author)
        .bind(actor.user_id)
        .bind(&msg.body)
        .bind(flag(msg.internal))
        .bind(msg.email_message_id.as_deref())
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let message_id = returned_id(&row)?;
        let by = if msg.author == RESEARCHER {
            RESEARCHER
        } else {
            actor.name.as_str()
        };
        let files =
            insert_attachments(&mut tx, id, Some(message_id), &msg.attachments, by, now).await?;
        sqlx::query("UPDATE disclosures SET updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (key, built) in notify {
            queue(&mut tx, &key, &built, now).await?;
        }
        disclosure_event(
            &mut tx,
            id,
            "disclosure.message",
            actor,
            json!({
                "message_id": message_id,
                "author": msg.author,
                "internal": msg.internal,
                "attachments": files.len(),
                "by_email": msg.email_message_id.is_some(),
            }),
            now,
        )
        .await?;
        self.commit_audited(
            tx,
            actor,
            "disclosure.message",
            &format!("disclosure:{id}"),
            json!({"message_id": message_id, "author": msg.author, "internal": msg.internal}),
            now,
        )
        .await?;
        Ok(AddedMessage {
            message_id,
            attachment_ids: files,
            duplicate: false,
        })
    }
}

/// One bound argument of a lookup.
enum Arg {
    Int(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
