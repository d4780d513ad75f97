//! Integrations: the senders of alerts, change events and e-mail, each with
//! a hashed key and a disabled service user through which it acts.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::record::{Record, name_free, returned_id, updated};
use crate::secrets::secret_hash;
use crate::{Actor, Result, Store, StoreError, ms};
use firebreak_api::User;

/// An integration as stored. The key itself is never stored: only its
/// SHA-256 and its last four characters, to tell keys apart.
#[derive(Clone)]
pub struct IntegrationRecord {
    pub id: i64,
    pub name: String,
    /// `alertmanager`, `pagerduty`, `grafana`, `generic` or `email`.
    pub kind: String,
    pub service_id: Option<i64>,
    pub service: Option<String>,
    pub key_hint: String,
    /// The generic webhook's mapping, as JSON.
    pub mapping: Option<String>,
    /// Grafana's HMAC secret. Kept in clear: verifying an HMAC needs it.
    pub hmac_secret: Option<String>,
    pub hmac_timestamp_header: Option<String>,
    /// The integration's own service user, through which it acts.
    pub user_id: i64,
    pub user_name: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Declares critical and high alerts that no routing rule matched when
    /// their service is known.
    pub auto_declare: bool,
}

impl std::fmt::Debug for IntegrationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("service", &self.service)
            .field("key_hint", &self.key_hint)
            .field(
                "hmac_secret",
                &self.hmac_secret.as_ref().map(|_| "<hidden>"),
            )
            .field("user_name", &self.user_name)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

impl IntegrationRecord {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user_id, &self.user_name)
    }

    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// An integration to create. `key` is the secret in clear; the store keeps
/// its SHA-256.
#[derive(Clone)]
pub struct NewIntegration {
    pub name: String,
    pub kind: String,
    pub service_id: Option<i64>,
    pub key: String,
    pub mapping: Option<String>,
    pub hmac_secret: Option<String>,
    pub hmac_timestamp_header: Option<String>,
    pub auto_declare: bool,
}

impl std::fmt::Debug for NewIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewIntegration")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("service_id", &self.service_id)
            .finish_non_exhaustive()
    }
}

/// The user name of an integration's service user.
pub fn integration_user_name(integration: &str) -> String {
    format!("intake.{integration}")
}

pub(super) fn key_hint(key: &str) -> String {
    let n = key.chars().count();
    key.chars().skip(n.saturating_sub(4)).collect()
}

impl Record for IntegrationRecord {
    const SELECT: &'static str = "SELECT g.id, g.name, g.kind, g.service_id, \
        s.name AS service_name, g.key_hint, g.mapping, g.hmac_secret, g.hmac_timestamp_header, \
        g.user_id, u.name AS user_name, g.created_at, g.disabled_at, g.auto_declare \
        FROM intake_integrations g JOIN users u ON u.id = g.user_id \
        LEFT JOIN services s ON s.id = g.service_id";
    const TABLE: &'static str = "intake_integrations";
    const ID: &'static str = "g.id";
    const NOUN: &'static str = "integration";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<IntegrationRecord> {
        from_row! { row, IntegrationRecord { id, name, kind, service_id, service: "service_name",
        key_hint, mapping, hmac_secret, hmac_timestamp_header, user_id, user_name, created_at,
        disabled_at, auto_declare } }
    }
}

impl Store {
    /// Creates an integration and its service user (disabled: it can never
    /// sign in, but actions name it).
    pub async fn create_integration(
        &self,
        new: &NewIntegration,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        name_free::<IntegrationRecord>(&mut tx, &new.name, None).await?;
        let user_name = integration_user_name(&new.name);
        name_free::<User>(&mut tx, &user_name, None).await?;
        let user = sqlx::query(
            "INSERT INTO users (name, display_name, email, role, password_hash, disabled, created_at) \
             VALUES ($1, $2, NULL, 'responder', NULL, 1, $3) RETURNING id",
        )
        .bind(&user_name)
        .bind(format!("Intake: {} ({})", new.name, new.kind))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let user_id: i64 = user.try_get("id")?;
        let row = sqlx::query(
            "INSERT INTO intake_integrations (name, kind, service_id, key_hash, key_hint, mapping, \
             hmac_secret, hmac_timestamp_header, user_id, created_at, auto_declare) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(&new.name)
        .bind(&new.kind)
        .bind(new.service_id)
        .bind(secret_hash(&new.key))
        .bind(key_hint(&new.key))
        .bind(new.mapping.as_deref())
        .bind(new.hmac_secret.as_deref())
        .bind(new.hmac_timestamp_header.as_deref())
        .bind(user_id)
        .bind(ms(now))
        .bind(i64::from(new.auto_declare))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        self.commit_record(
            tx,
            id,
            "integration.create",
            serde_json::json!({
                "name": new.name, "kind": new.kind, "service_id": new.service_id,
                "user": user_name, "signed": new.hmac_secret.is_some(),
                "auto_declare": new.auto_declare,
            }),
            actor,
            now,
        )
        .await
    }

    pub async fn integrations(&self) -> Result<Vec<IntegrationRecord>> {
        self.records("ORDER BY g.name", None::<i64>).await
    }

    pub async fn integration(&self, id: i64) -> Result<Option<IntegrationRecord>> {
        self.first_record("WHERE g.id = $1", id).await
    }

    /// The integration a key belongs to, enabled or not; looked up by the
    /// key's SHA-256.
    pub async fn integration_by_key(&self, key: &str) -> Result<Option<IntegrationRecord>> {
        self.first_record("WHERE g.key_hash = $1", secret_hash(key))
            .await
    }

    /// The oldest enabled integration of `kind` (the SMTP listener's).
    pub async fn first_integration_of_kind(&self, kind: &str) -> Result<Option<IntegrationRecord>> {
        let clause = "WHERE g.kind = $1 AND g.disabled_at IS NULL ORDER BY g.id LIMIT 1";
        self.first_record(clause, kind.to_owned()).await
    }

    /// Disables an integration: its key stops working at once. Its alerts
    /// and reports stay.
    pub async fn disable_integration(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE intake_integrations SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT id FROM intake_integrations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match exists {
                None => StoreError::NotFound(format!("integration {id}")),
                Some(_) => StoreError::Conflict(format!("integration {id} is already disabled")),
            });
        }
        self.commit_record(
            tx,
            id,
            "integration.disable",
            serde_json::json!({}),
            actor,
            now,
        )
        .await
    }

    /// Turns an integration's `auto_declare` on or off.
    pub async fn set_integration_auto_declare(
        &self,
        id: i64,
        auto_declare: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE intake_integrations SET auto_declare = $1 WHERE id = $2")
            .bind(i64::from(auto_declare))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        updated::<IntegrationRecord>(&done, id)?;
        self.commit_record(
            tx,
            id,
            "integration.auto_declare",
            serde_json::json!({"auto_declare": auto_declare}),
            actor,
            now,
        )
        .await
    }

    /// Replaces an integration's key; the old one stops working at once.
    pub async fn rotate_integration_key(
        &self,
        id: i64,
        new_key: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE intake_integrations SET key_hash = $1, key_hint = $2 WHERE id = $3",
        )
        .bind(secret_hash(new_key))
        .bind(key_hint(new_key))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        updated::<IntegrationRecord>(&done, id)?;
        self.commit_record(
            tx,
            id,
            "integration.rotate_key",
            serde_json::json!({"key_hint": key_hint(new_key)}),
            actor,
            now,
        )
        .await
    }
}
