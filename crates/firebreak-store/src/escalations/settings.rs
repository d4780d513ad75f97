//! Escalation settings changed in the web over the configuration file's
//! defaults (`incident_lead_policy`, `leadership`, `fallback`): one row per
//! key that someone set, read with the [`Directory`](super::Directory) so
//! a decision inside a transaction sees the same values as the page that
//! shows them. The server says which keys exist and what their values
//! mean; the store keeps JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::json_text;
use crate::{Actor, Result, Store, ms};

/// A setting someone changed, and who and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub value: serde_json::Value,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Every setting changed over the file's defaults, by key.
    pub async fn escalation_settings(&self) -> Result<BTreeMap<String, Setting>> {
        sqlx::query(
            "SELECT key, value, updated_by, updated_at FROM escalation_settings \
             WHERE value IS NOT NULL",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            let s = from_row! { r, Setting { value, updated_by, updated_at } }?;
            Ok((crate::row::col(r, "key")?, s))
        })
        .collect()
    }

    /// Sets `key` to `value` (validated by the caller), or back to the
    /// file's default with `None` (the row stays, its value NULL); audited as `setting.put` or
    /// `setting.reset` on `setting:<key>`.
    pub async fn put_setting(
        &self,
        key: &str,
        value: Option<&serde_json::Value>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO escalation_settings (key, value, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET \
             value = excluded.value, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value.map(json_text))
        .bind(&actor.name)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let action = if value.is_some() {
            "setting.put"
        } else {
            "setting.reset"
        };
        self.commit_audited(
            tx,
            actor,
            action,
            &format!("setting:{key}"),
            serde_json::json!({ "value": value }),
            now,
        )
        .await
    }
}
