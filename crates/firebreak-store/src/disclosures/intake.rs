//! Storing a new disclosure with every message it starts (the receipt to
//! the researcher and the word to the security team) in one transaction,
//! on a new report or on the report an inbound email already made.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use firebreak_api::ReportSource;
use firebreak_core::disclosure::{tracking_id, tracking_year};

use super::{
    CreatedDisclosure, NewDisclosureRecord, RESEARCHER, disclosure_event, insert_attachments, queue,
};
use crate::record::returned_id;
use crate::reports::{NewReportRecord, insert_report};
use crate::secrets::{random_secret, secret_hash};
use crate::status::BuiltMessage;
use crate::{Actor, Result, Store, StoreError, flag, ms};

/// The outbox key suffix of the researcher's receipt: a message built
/// under it counts as the receipt on the `disclosure.received` event.
pub const RECEIPT_KEY: &str = "receipt";

/// Builds the outbox messages of a new disclosure from its tracking id and
/// status-link secret: `(key, message)` pairs.
pub type BuildMessages<'a> = dyn Fn(&str, &str) -> Vec<(String, BuiltMessage)> + Sync + 'a;

impl Store {
    /// Stores a new disclosure like [`Store::create_disclosure`], with two
    /// differences: `on_report` names a report already stored (an inbound
    /// email's, source `disclosure`) to hang it on instead of a new one
    /// (made confidential if it was not), and `messages` may build several
    /// outbox messages from the tracking id and the status-link secret, each
    /// queued under `disclosure:{id}:{key}` in the same transaction. The
    /// one keyed [`RECEIPT_KEY`] is the researcher's receipt.
    ///
    /// A report that already has a disclosure is a conflict.
    pub async fn create_disclosure_with(
        &self,
        new: &NewDisclosureRecord,
        on_report: Option<i64>,
        messages: &BuildMessages<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<CreatedDisclosure> {
        let mut tx = self.begin().await?;
        let report_id = match on_report {
            Some(id) => {
                let row = sqlx::query("SELECT source FROM reports WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("report {id}")))?;
                let source: String = row.try_get("source")?;
                if source != ReportSource::Disclosure.as_str() {
                    return Err(StoreError::Conflict(format!(
                        "report {id} is not a disclosure report"
                    )));
                }
                let taken = sqlx::query("SELECT id FROM disclosures WHERE report_id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Conflict(format!(
                        "report {id} already has a disclosure"
                    )));
                }
                sqlx::query("UPDATE reports SET confidential = 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                let reporter = match (&new.researcher_name, &new.researcher_email) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (Some(n), None) => n.clone(),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "anonymous researcher".to_owned(),
                };
                insert_report(
                    &mut tx,
                    &NewReportRecord {
                        source: ReportSource::Disclosure,
                        reporter,
                        title: new.title.clone(),
                        description: new.description.clone(),
                        confidential: true,
                        service_id: None,
                    },
                    actor,
                    now,
                )
                .await?
            }
        };
        let year = tracking_year(now);
        let row = sqlx::query(
            "INSERT INTO disclosure_counters (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = disclosure_counters.last + 1 RETURNING last",
        )
        .bind(i64::from(year))
        .fetch_one(&mut *tx)
        .await?;
        let seq: i64 = row.try_get("last")?;
        let tracking = tracking_id(year, seq);
        let token = random_secret();
        let row = sqlx::query(
            "INSERT INTO disclosures (report_id, tracking_id, token_hash, channel, state, title, \
             description, steps, impact, asset, researcher_name, researcher_email, credit, \
             embargo_until, received_at, client_addr, updated_at) \
             VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14) \
             RETURNING id",
        )
        .bind(report_id)
        .bind(&tracking)
        .bind(secret_hash(&token))
        .bind(new.channel.as_str())
        .bind(&new.title)
        .bind(&new.description)
        .bind(&new.steps)
        .bind(&new.impact)
        .bind(&new.asset)
        .bind(new.researcher_name.as_deref())
        .bind(new.researcher_email.as_deref())
        .bind(flag(new.credit))
        .bind(ms(new.embargo_until))
        .bind(ms(now))
        .bind(new.client_addr.as_deref())
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        let by = if actor.user_id.is_some() {
            actor.name.as_str()
        } else {
            RESEARCHER
        };
        let files = insert_attachments(&mut tx, id, None, &new.attachments, by, now).await?;
        let mut receipt_sent = false;
        for (key, built) in messages(&tracking, &token) {
            receipt_sent |= key == RECEIPT_KEY;
            queue(&mut tx, &format!("disclosure:{id}:{key}"), &built, now).await?;
        }
        disclosure_event(
            &mut tx,
            id,
            "disclosure.received",
            actor,
            json!({
                "tracking_id": tracking,
                "channel": new.channel,
                "attachments": files.len(),
                "receipt_sent": receipt_sent,
                "embargo_until": new.embargo_until,
            }),
            now,
        )
        .await?;
        self.commit_audited(
            tx,
            actor,
            "disclosure.create",
            &format!("disclosure:{id}"),
            json!({"tracking_id": tracking, "channel": new.channel, "report_id": report_id}),
            now,
        )
        .await?;
        Ok(CreatedDisclosure {
            id,
            report_id,
            tracking_id: tracking,
            token,
        })
    }
}
