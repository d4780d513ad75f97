//! What escalation decisions read and admins configure: schedules,
//! escalation policies, services' policies and runbooks, contact methods
//! and their notification rules, message templates and server settings,
//! loaded together as the [`Directory`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use firebreak_api::{ContactMethod, Definition, NotificationRule, User, UserRef};

use super::json_text;
use crate::record::{Record, returned_id};
use crate::row::col;
use crate::{Actor, Result, Store, StoreError, ms};

/// Everything escalation decisions read: small, slowly changing tables,
/// loaded before a change so that the decision inside the transaction stays
/// a pure function.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub users: Vec<User>,
    pub schedules: BTreeMap<String, serde_json::Value>,
    pub policies: BTreeMap<String, serde_json::Value>,
    pub contacts: Vec<ContactMethod>,
    pub rules: Vec<NotificationRule>,
    /// Service name → (escalation policy name, runbook).
    pub services: BTreeMap<String, (Option<String>, String)>,
    /// Escalation settings changed in the web over the file's defaults.
    pub settings: BTreeMap<String, super::Setting>,
}

impl Record for ContactMethod {
    const TABLE: &'static str = "contact_methods";
    const SELECT: &'static str =
        "SELECT id, user_id, label, channel, admin_set, created_by FROM contact_methods";
    const NOUN: &'static str = "contact method";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<ContactMethod> {
        from_row! { row, ContactMethod { id, user_id, label, channel, admin_set, created_by } }
    }
}

impl Store {
    /// Loads what escalation decisions read.
    pub async fn directory(&self) -> Result<Directory> {
        let users = self.list_users().await?;
        let by_name = |all: Vec<Definition>| -> BTreeMap<String, serde_json::Value> {
            all.into_iter().map(|d| (d.name, d.definition)).collect()
        };
        let schedules = by_name(self.schedules().await?);
        let policies = by_name(self.policies().await?);
        let contacts = self.contact_methods(None).await?;
        let rules = sqlx::query(
            "SELECT id, user_id, contact_method_id, delay_secs FROM notification_rules ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| from_row! { r, NotificationRule { id, user_id, contact_method_id, delay_secs } })
        .collect::<Result<Vec<_>>>()?;
        let mut services = BTreeMap::new();
        for r in sqlx::query("SELECT name, escalation_policy, runbook FROM services")
            .fetch_all(&self.read)
            .await?
        {
            services.insert(col(&r, "name")?, escalation_of(&r)?);
        }
        let settings = self.escalation_settings().await?;
        Ok(Directory {
            settings,
            users,
            schedules,
            policies,
            contacts,
            rules,
            services,
        })
    }

    async fn put_definition(
        &self,
        table: &'static str,
        what: &str,
        name: &str,
        definition: &serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "INSERT INTO {table} (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .bind(json_text(definition))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        self.commit_audited(
            tx,
            actor,
            &format!("{what}.put"),
            &format!("{what}:{name}"),
            definition.clone(),
            now,
        )
        .await
    }

    async fn definitions(&self, table: &'static str) -> Result<Vec<Definition>> {
        let sql = format!("SELECT name, definition, updated_at FROM {table} ORDER BY name");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| from_row! { r, Definition { name, definition, updated_at } })
            .collect()
    }

    /// Creates or replaces an on-call schedule (validated by the caller).
    pub async fn put_schedule(
        &self,
        name: &str,
        definition: &serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_definition("schedules", "schedule", name, definition, actor, now)
            .await
    }

    pub async fn schedules(&self) -> Result<Vec<Definition>> {
        self.definitions("schedules").await
    }

    /// Creates or replaces an escalation policy (validated by the caller).
    pub async fn put_policy(
        &self,
        name: &str,
        definition: &serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_definition(
            "escalation_policies",
            "policy",
            name,
            definition,
            actor,
            now,
        )
        .await
    }

    pub async fn policies(&self) -> Result<Vec<Definition>> {
        self.definitions("escalation_policies").await
    }

    /// Sets a service's escalation policy and runbook.
    pub async fn set_service_escalation(
        &self,
        service: &str,
        policy: Option<&str>,
        runbook: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let done =
            sqlx::query("UPDATE services SET escalation_policy = $1, runbook = $2 WHERE name = $3")
                .bind(policy)
                .bind(runbook)
                .bind(service)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("service `{service}`")));
        }
        self.commit_audited(
            tx,
            actor,
            "service.escalation",
            &format!("service:{service}"),
            serde_json::json!({"policy": policy, "runbook_length": runbook.len()}),
            now,
        )
        .await
    }

    /// Adds a contact method, and a rule to use it `delay_secs` after a page.
    /// `admin_set` says an admin (or a local command) set its target, which
    /// may then be a private address; the actor is recorded as its creator.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_contact_method(
        &self,
        user: &UserRef,
        label: &str,
        channel: &serde_json::Value,
        delay_secs: i64,
        admin_set: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ContactMethod> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO contact_methods (user_id, label, channel, created_at, admin_set, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.id)
        .bind(label)
        .bind(json_text(channel))
        .bind(ms(now))
        .bind(i64::from(admin_set))
        .bind(actor.user_id)
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        sqlx::query(
            "INSERT INTO notification_rules (user_id, contact_method_id, delay_secs, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user.id)
        .bind(id)
        .bind(delay_secs)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        // The channel may hold a webhook secret: the audit records its kind only.
        let kind = channel
            .get("kind")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        self.commit_audited(tx,
            actor,
            "contact.add",
            &format!("user:{}", user.name),
            serde_json::json!({"id": id, "label": label, "kind": kind, "delay_secs": delay_secs, "admin_set": admin_set}),
            now,
        ).await?;
        Ok(ContactMethod {
            id,
            user_id: user.id,
            label: label.to_owned(),
            channel: channel.clone(),
            admin_set,
            created_by: actor.user_id,
        })
    }

    /// Contact methods of one user, or of everyone.
    pub async fn contact_methods(&self, user_id: Option<i64>) -> Result<Vec<ContactMethod>> {
        match user_id {
            Some(id) => {
                self.records("WHERE user_id = $1 ORDER BY id", Some(id))
                    .await
            }
            None => self.records("ORDER BY id", None::<i64>).await,
        }
    }

    /// A server-wide setting, created with `init` the first time. Safe when
    /// several servers start at once: the first insert wins, the others read
    /// it.
    pub async fn setting_or_init(
        &self,
        key: &str,
        init: impl FnOnce() -> String,
    ) -> Result<String> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(init())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        col(&row, "value")
    }

    /// The message templates an admin changed, by name (`subject`, `text`).
    pub async fn message_templates(&self) -> Result<BTreeMap<String, String>> {
        let rows = sqlx::query("SELECT name, body FROM message_templates")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| Ok((col(r, "name")?, col(r, "body")?)))
            .collect()
    }

    /// Replaces a message template (validated by the caller).
    pub async fn put_message_template(
        &self,
        name: &str,
        body: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO message_templates (name, body, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(body)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        self.commit_audited(
            tx,
            actor,
            "template.put",
            &format!("template:{name}"),
            serde_json::json!({"body": body}),
            now,
        )
        .await
    }

    /// One service's escalation policy and runbook, without loading the
    /// whole directory.
    pub async fn service_escalation(&self, name: &str) -> Result<Option<(Option<String>, String)>> {
        let row = sqlx::query("SELECT escalation_policy, runbook FROM services WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(escalation_of).transpose()
    }
}

/// A service's escalation policy and runbook.
fn escalation_of(row: &sqlx::any::AnyRow) -> Result<(Option<String>, String)> {
    Ok((col(row, "escalation_policy")?, col(row, "runbook")?))
}
