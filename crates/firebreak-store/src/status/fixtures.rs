//! For tests only, until the notices of issue 11 (drafted and sent by the
//! incident lead) are merged: records a notice as already sent, with the
//! fields the status page reads. Audited like any write, so the change
//! marker moves.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Actor, Result, Store, flag, ms};

/// A sent notice to record ([`Store::record_sent_notice_for_tests`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNotice<'a> {
    pub incident_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub internal_note: &'a str,
    /// A `PublicStatus` word.
    pub public_status: &'a str,
    pub on_status_page: bool,
    pub to_customers: bool,
    pub approved_by: Option<&'a str>,
}

impl Store {
    /// Records `n` as sent at `now` (tests only; see the module).
    #[doc(hidden)]
    pub async fn record_sent_notice_for_tests(
        &self,
        n: &SentNotice<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO notices (incident_id, kind, title, impact, actions, next_update_at, \
             subject, body, internal_note, public_status, on_status_page, to_customers, \
             approved_by, recipients, created_by, created_at, updated_at, sent_by, sent_at) \
             VALUES ($1, $2, $3, '', '', NULL, $3, $4, $5, $6, $7, $8, $9, '[]', $10, $11, $11, \
             $10, $11) RETURNING id",
        )
        .bind(n.incident_id)
        .bind(n.kind)
        .bind(n.title)
        .bind(n.body)
        .bind(n.internal_note)
        .bind(n.public_status)
        .bind(flag(n.on_status_page))
        .bind(flag(n.to_customers))
        .bind(n.approved_by.map(str::to_owned))
        .bind(&actor.name)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        self.commit_audited(
            tx,
            actor,
            "notice.send",
            &format!("notice:{id}"),
            serde_json::json!({"incident_id": n.incident_id}),
            now,
        )
        .await?;
        Ok(id)
    }
}
