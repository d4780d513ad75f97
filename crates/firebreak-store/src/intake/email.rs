//! Inbound e-mail: messages threaded onto the report they reply to (or
//! opening a new one), and their attachments kept as evidence.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::ReportSource;
use firebreak_api::intake::{AttachmentView, EmailView};

use super::list;
use crate::reports::{NewReportRecord, insert_report};
use crate::row::col;
use crate::{Actor, Result, Store, ms};

/// An attachment to keep as evidence. `content` is base64, or `None` when
/// the file was over the size limit and only its hash is kept.
#[derive(Debug, Clone)]
pub struct AttachmentWrite {
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub content: Option<String>,
}

/// An inbound message, parsed by the server.
#[derive(Debug, Clone)]
pub struct EmailWrite {
    pub integration_id: Option<i64>,
    pub actor: Actor,
    /// Without angle brackets; the server makes one from the message's hash
    /// when it had none, so a retried delivery is still recognised.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub from_address: Option<String>,
    pub subject: String,
    pub body: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub raw_sha256: String,
    pub raw_size: i64,
    /// For a message that starts a thread: the report to open.
    pub report_source: ReportSource,
    pub report_title: String,
    pub report_description: String,
    pub reporter: String,
    pub confidential: bool,
    pub service_id: Option<i64>,
    pub attachments: Vec<AttachmentWrite>,
}

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailOutcome {
    pub report_id: i64,
    pub email_id: i64,
    /// It replied to a message already stored and joined its report.
    pub threaded: bool,
    /// The same Message-ID was stored before: nothing was written.
    pub duplicate: bool,
    pub attachment_ids: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct AttachmentRecord {
    pub id: i64,
    pub report_id: i64,
    pub email_id: i64,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Whether the content was kept (within the size limit).
    pub stored: bool,
    pub created_at: DateTime<Utc>,
}

fn attachment_from_row(row: &sqlx::any::AnyRow) -> Result<AttachmentRecord> {
    from_row! { row, AttachmentRecord { id, report_id, email_id, filename, content_type, size,
    sha256, stored, created_at } }
}

/// An attachment as the API shows it.
fn attachment_view(row: &sqlx::any::AnyRow) -> Result<AttachmentView> {
    from_row! { row, AttachmentView { id, filename, content_type, size, sha256, stored } }
}

const ATTACHMENT_SELECT: &str = "SELECT id, report_id, email_id, filename, content_type, size, sha256, \
    CASE WHEN content IS NULL THEN 0 ELSE 1 END AS stored, created_at FROM intake_attachments";

impl Store {
    /// Stores an inbound message: on the report of the message it replies
    /// to when one is stored (Message-ID, In-Reply-To, References), else on
    /// a new report; its attachments as evidence. A Message-ID already
    /// stored is a redelivery: nothing is written.
    pub async fn ingest_email(
        &self,
        mail: &EmailWrite,
        now: DateTime<Utc>,
    ) -> Result<EmailOutcome> {
        let mut tx = self.begin().await?;
        let dup =
            sqlx::query("SELECT id, report_id FROM intake_email_messages WHERE message_id = $1")
                .bind(&mail.message_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = dup {
            let email_id: i64 = row.try_get("id")?;
            let report_id: i64 = row.try_get("report_id")?;
            let ids =
                sqlx::query("SELECT id FROM intake_attachments WHERE email_id = $1 ORDER BY id")
                    .bind(email_id)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<Result<Vec<i64>, _>>()?;
            tx.rollback().await?;
            return Ok(EmailOutcome {
                report_id,
                email_id,
                threaded: false,
                duplicate: true,
                attachment_ids: ids,
            });
        }

        // The thread: the direct parent first, then the references from
        // the newest back.
        let mut parents: Vec<&str> = Vec::new();
        if let Some(p) = mail.in_reply_to.as_deref() {
            parents.push(p);
        }
        for r in mail.references.iter().rev() {
            if !parents.contains(&r.as_str()) {
                parents.push(r);
            }
        }
        parents.truncate(100);
        let mut thread_report: Option<i64> = None;
        if !parents.is_empty() {
            // A confidential message (a disclosure) joins only a thread whose
            // report is confidential already: stored on a public report, its
            // readers would be wider than the security team. Otherwise it
            // starts a new confidential report.
            let only_confidential = if mail.confidential {
                concat!(" AND ", report_confidential!())
            } else {
                ""
            };
            let sql = format!(
                "SELECT e.message_id, e.report_id FROM intake_email_messages e \
                 JOIN reports r ON r.id = e.report_id WHERE e.message_id IN ({}){only_confidential}",
                list(1, parents.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in &parents {
                q = q.bind(*p);
            }
            let found: HashMap<String, i64> = q
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("message_id")?, r.try_get("report_id")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            thread_report = parents.iter().find_map(|p| found.get(*p).copied());
        }

        let (report_id, threaded) = match thread_report {
            Some(id) => (id, true),
            None => {
                let report = NewReportRecord {
                    source: mail.report_source,
                    reporter: mail.reporter.clone(),
                    title: mail.report_title.clone(),
                    description: mail.report_description.clone(),
                    confidential: mail.confidential,
                    service_id: mail.service_id,
                };
                (
                    insert_report(&mut tx, &report, &mail.actor, now).await?,
                    false,
                )
            }
        };
        let row = sqlx::query(
            "INSERT INTO intake_email_messages (integration_id, report_id, message_id, in_reply_to, \
             from_address, subject, body, sent_at, received_at, raw_sha256, raw_size) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(mail.integration_id)
        .bind(report_id)
        .bind(&mail.message_id)
        .bind(mail.in_reply_to.as_deref())
        .bind(mail.from_address.as_deref())
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(mail.sent_at.map(ms))
        .bind(ms(now))
        .bind(&mail.raw_sha256)
        .bind(mail.raw_size)
        .fetch_one(&mut *tx)
        .await?;
        let email_id: i64 = row.try_get("id")?;
        let mut attachment_ids = Vec::with_capacity(mail.attachments.len());
        for a in &mail.attachments {
            let row = sqlx::query(
                "INSERT INTO intake_attachments (report_id, email_id, filename, content_type, size, \
                 sha256, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(report_id)
            .bind(email_id)
            .bind(a.filename.as_deref())
            .bind(&a.content_type)
            .bind(a.size)
            .bind(&a.sha256)
            .bind(a.content.as_deref())
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?;
            attachment_ids.push(row.try_get::<i64, _>("id")?);
        }
        self.commit_audited(tx,
            &mail.actor,
            if threaded {
                "intake.email_reply"
            } else {
                "intake.email"
            },
            &format!("report:{report_id}"),
            serde_json::json!({
                "email_id": email_id, "message_id": mail.message_id,
                "raw_sha256": mail.raw_sha256, "source": mail.report_source,
                "confidential": mail.confidential,
                "attachments": mail.attachments.iter()
                    .map(|a| serde_json::json!({"sha256": a.sha256, "size": a.size, "stored": a.content.is_some()}))
                    .collect::<Vec<_>>(),
            }),
            now,
        ).await?;
        Ok(EmailOutcome {
            report_id,
            email_id,
            threaded,
            duplicate: false,
            attachment_ids,
        })
    }

    /// The messages of a report, oldest first, with their attachments'
    /// metadata, as the API shows them. The caller checks that the report
    /// is visible.
    pub async fn report_emails(&self, report_id: i64) -> Result<Vec<EmailView>> {
        let rows = self
            .rows_with(
            "SELECT id, report_id, message_id, in_reply_to, from_address, subject, body, sent_at, \
             received_at, raw_sha256, raw_size FROM intake_email_messages WHERE report_id = $1 ORDER BY id",
                report_id,
            )
            .await?;
        let sql = format!("{ATTACHMENT_SELECT} WHERE report_id = $1 ORDER BY id");
        let attachments = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(report_id)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|a| Ok((col(a, "email_id")?, attachment_view(a)?)))
            .collect::<Result<Vec<(i64, AttachmentView)>>>()?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                let attachments = attachments.iter().filter(|(email, _)| *email == id);
                from_row! { row, EmailView { id, message_id, in_reply_to, from: "from_address",
                subject, body, sent_at, received_at, raw_sha256, raw_size,
                attachments = attachments.map(|(_, a)| a.clone()).collect() } }
            })
            .collect()
    }

    /// An attachment's metadata and content (base64, when it was kept). The
    /// caller checks that its report is visible.
    pub async fn attachment(&self, id: i64) -> Result<Option<(AttachmentRecord, Option<String>)>> {
        let row = sqlx::query(
            "SELECT id, report_id, email_id, filename, content_type, size, sha256, \
             CASE WHEN content IS NULL THEN 0 ELSE 1 END AS stored, created_at, content \
             FROM intake_attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((attachment_from_row(&row)?, row.try_get("content")?))),
        }
    }
}
