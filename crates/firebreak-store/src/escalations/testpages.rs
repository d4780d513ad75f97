//! Test pages and removing contact methods: the people page's writes on
//! contact methods beyond adding one.
//!
//! A test page is an outbox row like any page (keyed `test-page:…`, with no
//! incident), written with its `test_pages` row and audit entry in one
//! transaction; the worker delivers it. Its state is read from the outbox
//! row, the one record of the delivery.

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::{ContactMethod, TestPage, UserRef};

use super::json_text;
use crate::record::{Record, returned_id};
use crate::row::col;
use crate::{Actor, Result, Store, StoreError, ms};

/// The outbox idempotency keys of test pages start with this.
pub const TEST_PAGE_KEY_PREFIX: &str = "test-page:";

/// The most test pages one user gets in an hour.
pub const TEST_PAGES_PER_HOUR: i64 = 20;

impl Store {
    /// Contact method `id` of `user`; `NotFound` when it is not theirs.
    async fn contact_of(
        &self,
        tx: &mut crate::Tx,
        user: &UserRef,
        id: i64,
    ) -> Result<ContactMethod> {
        let sql = format!("{} WHERE id = $1 AND user_id = $2", ContactMethod::SELECT);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user.id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("contact method {id}")))?;
        ContactMethod::from_row(&row)
    }

    /// Removes contact method `id` of `user` and its notification rule.
    /// Messages already queued through it still go out (the outbox holds
    /// their own copy of the channel); its test pages stay. Audited as
    /// `contact.remove` with the label and kind (never the target, which
    /// may hold a secret).
    pub async fn remove_contact_method(
        &self,
        user: &UserRef,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ContactMethod> {
        let mut tx = self.begin().await?;
        let cm = self.contact_of(&mut tx, user, id).await?;
        sqlx::query("DELETE FROM notification_rules WHERE contact_method_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM contact_methods WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let kind = cm
            .channel
            .get("kind")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        self.commit_audited(
            tx,
            actor,
            "contact.remove",
            &format!("user:{}", user.name),
            serde_json::json!({"id": id, "label": cm.label, "kind": kind}),
            now,
        )
        .await?;
        Ok(cm)
    }

    /// Queues a test page to contact method `contact_id` of `user`: an
    /// outbox message with no incident, due now. Audited as `test_page.send`.
    /// Refused (conflict) while one to the same contact method is on its
    /// way, or after [`TEST_PAGES_PER_HOUR`] to the user in the last hour.
    pub async fn queue_test_page(
        &self,
        user: &UserRef,
        contact_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<TestPage> {
        let mut tx = self.begin().await?;
        let cm = self.contact_of(&mut tx, user, contact_id).await?;
        // Test pages share the outbox with real pages: one on its way per
        // contact method, and a bounded number an hour per user, so nobody
        // can flood the outbox ahead of real pages.
        let row = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN t.contact_method_id = $2 AND o.state IN ('pending', 'sending') \
                                 THEN 1 ELSE 0 END), 0) AS on_its_way, \
               COALESCE(SUM(CASE WHEN t.created_at > $3 THEN 1 ELSE 0 END), 0) AS last_hour \
             FROM test_pages t JOIN outbox o ON o.id = t.outbox_id WHERE t.user_id = $1",
        )
        .bind(user.id)
        .bind(cm.id)
        .bind(ms(now - chrono::Duration::hours(1)))
        .fetch_one(&mut *tx)
        .await?;
        let on_its_way: i64 = row.try_get("on_its_way")?;
        let last_hour: i64 = row.try_get("last_hour")?;
        if on_its_way > 0 {
            return Err(StoreError::Conflict(format!(
                "a test page to `{}` is still on its way: wait for its result",
                cm.label
            )));
        }
        if last_hour >= TEST_PAGES_PER_HOUR {
            return Err(StoreError::Conflict(format!(
                "{} has had {TEST_PAGES_PER_HOUR} test pages in the last hour, the most allowed",
                user.name
            )));
        }
        let key = format!("{TEST_PAGE_KEY_PREFIX}{:016x}", rand::random::<u64>());
        // The shape of the server's `OutboxMessage`.
        let message = serde_json::json!({
            "event": "test",
            "rule": "test-page",
            "reason": format!("A test page, sent by {} to see that this contact method works.", actor.name),
            "recipient": user.name,
            "ack_key": null,
            "level": 0,
        });
        let row = sqlx::query(
            "INSERT INTO outbox (idempotency_key, user_id, channel, message, state, attempts, \
             next_attempt_at, created_at, admin_set) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $6) \
             RETURNING id",
        )
        .bind(&key)
        .bind(user.id)
        .bind(json_text(&cm.channel))
        .bind(json_text(&message))
        .bind(ms(now))
        .bind(i64::from(cm.admin_set))
        .fetch_one(&mut *tx)
        .await?;
        let outbox_id = returned_id(&row)?;
        let row = sqlx::query(
            "INSERT INTO test_pages (user_id, contact_method_id, contact_label, outbox_id, \
             requested_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.id)
        .bind(cm.id)
        .bind(&cm.label)
        .bind(outbox_id)
        .bind(&actor.name)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        let kind = cm
            .channel
            .get("kind")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        self.commit_audited(
            tx,
            actor,
            "test_page.send",
            &format!("user:{}", user.name),
            serde_json::json!({"id": id, "contact_method_id": cm.id, "label": cm.label, "kind": kind}),
            now,
        )
        .await?;
        self.test_page(Some(user.id), id)
            .await?
            .ok_or_else(|| StoreError::Other(format!("test page {id} vanished")))
    }

    /// Test page `id`; with `user_id`, only if it went to that user.
    pub async fn test_page(&self, user_id: Option<i64>, id: i64) -> Result<Option<TestPage>> {
        let rows = self.test_pages_where("t.id = $1", id).await?;
        Ok(rows
            .into_iter()
            .find(|(uid, _)| user_id.is_none_or(|u| u == *uid))
            .map(|(_, t)| t))
    }

    /// The latest test pages of a user, newest first.
    pub async fn test_pages_of(&self, user_id: i64, limit: i64) -> Result<Vec<TestPage>> {
        let mut all = self.test_pages_where("t.user_id = $1", user_id).await?;
        all.truncate(usize::try_from(limit.max(0)).unwrap_or(0));
        Ok(all.into_iter().map(|(_, t)| t).collect())
    }

    async fn test_pages_where(&self, clause: &str, arg: i64) -> Result<Vec<(i64, TestPage)>> {
        let sql = format!(
            "SELECT t.id, t.user_id, u.name AS user_name, t.contact_method_id, t.contact_label, \
             o.channel, t.requested_by, t.created_at, o.state AS outbox_state, o.attempts, \
             o.last_error, o.sent_at FROM test_pages t JOIN users u ON u.id = t.user_id \
             JOIN outbox o ON o.id = t.outbox_id WHERE {clause} ORDER BY t.id DESC LIMIT 200"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(arg)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let channel: serde_json::Value = col(r, "channel")?;
                let kind = channel
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .unwrap_or("unknown")
                    .to_owned();
                let outbox_state: String = r.try_get("outbox_state")?;
                let state = test_page_state(&outbox_state).to_owned();
                let uid: i64 = r.try_get("user_id")?;
                let error: Option<String> = col(r, "last_error")?;
                let page = from_row! { r, TestPage { id, user: "user_name", contact_method_id,
                contact_label, channel = kind, requested_by, created_at, state = state,
                attempts, error = error, delivered_at: "sent_at" } }?;
                Ok((uid, page))
            })
            .collect()
    }
}

/// A test page's state from its outbox row's: `delivered` once sent,
/// `failed` when given up (or cancelled), `pending` before.
fn test_page_state(outbox_state: &str) -> &'static str {
    match outbox_state {
        "sent" => "delivered",
        "pending" | "sending" => "pending",
        _ => "failed",
    }
}
