//! Routing configuration: rules (which alerts declare, which go to triage),
//! silences and maintenance windows, and the snapshot of all three that
//! the server routes each alert with.
//!
//! The three are kept alike: each write is one transaction that changes
//! the row, appends an audit entry naming it and reads the row back
//! (`Store::commit_record`); a silence and a maintenance window end early
//! the same way (`Store::end_window_now`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::record::{Record, name_free, record_in, returned_id, updated};
use crate::{Actor, Result, Store, StoreError, flag, ms};

/// A routing rule as stored; `definition` is the JSON of
/// `firebreak_intake::rules::Rule`.
#[derive(Debug, Clone)]
pub struct RuleRecord {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub definition: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A rule to store.
#[derive(Debug, Clone)]
pub struct RuleWrite {
    pub position: i64,
    pub name: String,
    pub definition: String,
    pub enabled: bool,
}

#[derive(Debug, Clone)]
pub struct SilenceRecord {
    pub id: i64,
    /// JSON array of matcher strings (`name="value"`, …).
    pub matchers: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SilenceWrite {
    pub matchers: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct MaintenanceRecord {
    pub id: i64,
    pub service_id: i64,
    pub service: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The status page's wording (None: not shown publicly).
    pub public_title: Option<String>,
    pub public_body: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MaintenanceWrite {
    pub service_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    /// Shown on the status page as scheduled maintenance when set.
    pub public_title: Option<String>,
    pub public_body: Option<String>,
}

/// Everything routing needs, read at once: enabled rules in order, silences
/// and maintenance windows not yet over, and the services by name.
#[derive(Debug, Clone, Default)]
pub struct RoutingSnapshot {
    pub rules: Vec<RuleRecord>,
    pub silences: Vec<SilenceRecord>,
    pub maintenance: Vec<MaintenanceRecord>,
    pub services: BTreeMap<String, i64>,
}

/// A silence or a maintenance window: a record with an end.
trait Window: Record {
    fn ends_at(&self) -> DateTime<Utc>;
}

impl Record for RuleRecord {
    const SELECT: &'static str =
        "SELECT id, position, name, definition, enabled, created_at, updated_at FROM intake_rules";
    const TABLE: &'static str = "intake_rules";
    const NOUN: &'static str = "routing rule";
    const TARGET: &'static str = "intake_rule";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<RuleRecord> {
        from_row! { row, RuleRecord { id, position, name, definition, enabled, created_at,
        updated_at } }
    }
}

impl Record for SilenceRecord {
    const SELECT: &'static str = "SELECT id, matchers, starts_at, ends_at, reason, created_by, \
        created_at, expired_at FROM intake_silences";
    const TABLE: &'static str = "intake_silences";
    const NOUN: &'static str = "silence";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<SilenceRecord> {
        from_row! { row, SilenceRecord { id, matchers, starts_at, ends_at, reason, created_by,
        created_at, expired_at } }
    }
}

impl Window for SilenceRecord {
    fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }
}

impl Record for MaintenanceRecord {
    const SELECT: &'static str = "SELECT m.id, m.service_id, s.name AS service_name, \
        m.starts_at, m.ends_at, m.reason, m.created_by, m.created_at, m.public_title, \
        m.public_body FROM intake_maintenance m \
        JOIN services s ON s.id = m.service_id";
    const TABLE: &'static str = "intake_maintenance";
    const ID: &'static str = "m.id";
    const NOUN: &'static str = "maintenance window";
    const TARGET: &'static str = "maintenance";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<MaintenanceRecord> {
        from_row! { row, MaintenanceRecord { id, service_id, service: "service_name", starts_at,
        ends_at, reason, created_by, created_at, public_title, public_body } }
    }
}

impl Window for MaintenanceRecord {
    fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }
}

impl Store {
    /// Ends a silence or a maintenance window now with `update` (`$1` now,
    /// `$2` the id); refused when it is over already.
    async fn end_window_now<R: Window>(
        &self,
        id: i64,
        update: &'static str,
        action: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<R> {
        let mut tx = self.begin().await?;
        let old: R = record_in(&mut tx, id).await?;
        if old.ends_at() <= now {
            return Err(StoreError::Conflict(format!(
                "{} {id} is already over",
                R::NOUN
            )));
        }
        sqlx::query(update)
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let details = serde_json::json!({"was_ending": ms(old.ends_at())});
        self.commit_record(tx, id, action, details, actor, now)
            .await
    }

    /// Enabled rules in order, silences and maintenance windows not over at
    /// `now`, and the services by name.
    pub async fn routing_snapshot(&self, now: DateTime<Utc>) -> Result<RoutingSnapshot> {
        let rules = self
            .records("WHERE enabled = 1 ORDER BY position, id", None::<i64>)
            .await?;
        let silences = self
            .records("WHERE ends_at > $1 ORDER BY id", Some(ms(now)))
            .await?;
        let maintenance = self
            .records("WHERE m.ends_at > $1 ORDER BY m.id", Some(ms(now)))
            .await?;
        let mut services = BTreeMap::new();
        for row in sqlx::query("SELECT id, name FROM services")
            .fetch_all(&self.read)
            .await?
        {
            services.insert(row.try_get("name")?, row.try_get("id")?);
        }
        Ok(RoutingSnapshot {
            rules,
            silences,
            maintenance,
            services,
        })
    }

    pub async fn intake_rules(&self) -> Result<Vec<RuleRecord>> {
        self.records("ORDER BY position, id", None::<i64>).await
    }

    pub async fn create_intake_rule(
        &self,
        rule: &RuleWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<RuleRecord> {
        let mut tx = self.begin().await?;
        name_free::<RuleRecord>(&mut tx, &rule.name, None).await?;
        let row = sqlx::query(
            "INSERT INTO intake_rules (position, name, definition, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(rule.position)
        .bind(&rule.name)
        .bind(&rule.definition)
        .bind(flag(rule.enabled))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        self.commit_record(tx, id, "intake_rule.create", rule_details(rule), actor, now)
            .await
    }

    pub async fn update_intake_rule(
        &self,
        id: i64,
        rule: &RuleWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<RuleRecord> {
        let mut tx = self.begin().await?;
        name_free::<RuleRecord>(&mut tx, &rule.name, Some(id)).await?;
        let done = sqlx::query(
            "UPDATE intake_rules SET position = $1, name = $2, definition = $3, enabled = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(rule.position)
        .bind(&rule.name)
        .bind(&rule.definition)
        .bind(flag(rule.enabled))
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        updated::<RuleRecord>(&done, id)?;
        self.commit_record(tx, id, "intake_rule.update", rule_details(rule), actor, now)
            .await
    }

    /// Deletes a rule; the audit entry keeps its last definition.
    pub async fn delete_intake_rule(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let old: RuleRecord = record_in(&mut tx, id).await?;
        sqlx::query("DELETE FROM intake_rules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_audited(
            tx,
            actor,
            "intake_rule.delete",
            &format!("intake_rule:{id}"),
            serde_json::json!({"name": old.name, "definition": old.definition}),
            now,
        )
        .await
    }

    /// Silences that end after `since` (all of them when `None`), newest
    /// first.
    pub async fn silences(&self, since: Option<DateTime<Utc>>) -> Result<Vec<SilenceRecord>> {
        let since = since.map_or(i64::MIN, ms);
        self.records(
            "WHERE ends_at > $1 ORDER BY id DESC LIMIT 1000",
            Some(since),
        )
        .await
    }

    pub async fn create_silence(
        &self,
        silence: &SilenceWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<SilenceRecord> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO intake_silences (matchers, starts_at, ends_at, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&silence.matchers)
        .bind(ms(silence.starts_at))
        .bind(ms(silence.ends_at))
        .bind(&silence.reason)
        .bind(&actor.name)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let details = serde_json::json!({
            "matchers": silence.matchers, "starts_at": ms(silence.starts_at),
            "ends_at": ms(silence.ends_at), "reason": silence.reason,
        });
        let id = returned_id(&row)?;
        self.commit_record(tx, id, "silence.create", details, actor, now)
            .await
    }

    /// Ends a silence now (it is kept, with its window cut short).
    pub async fn expire_silence(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<SilenceRecord> {
        const UPDATE: &str =
            "UPDATE intake_silences SET ends_at = $1, expired_at = $1 WHERE id = $2";
        self.end_window_now(id, UPDATE, "silence.expire", actor, now)
            .await
    }

    pub async fn maintenance_windows(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<MaintenanceRecord>> {
        let since = since.map_or(i64::MIN, ms);
        self.records(
            "WHERE m.ends_at > $1 ORDER BY m.id DESC LIMIT 1000",
            Some(since),
        )
        .await
    }

    pub async fn create_maintenance(
        &self,
        window: &MaintenanceWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceRecord> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO intake_maintenance (service_id, starts_at, ends_at, reason, created_by, \
             created_at, public_title, public_body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(window.service_id)
        .bind(ms(window.starts_at))
        .bind(ms(window.ends_at))
        .bind(&window.reason)
        .bind(&actor.name)
        .bind(ms(now))
        .bind(window.public_title.clone())
        .bind(window.public_body.clone())
        .fetch_one(&mut *tx)
        .await?;
        let details = serde_json::json!({
            "service_id": window.service_id, "starts_at": ms(window.starts_at),
            "ends_at": ms(window.ends_at), "reason": window.reason,
            "public_title": window.public_title, "public_body": window.public_body,
        });
        let id = returned_id(&row)?;
        self.commit_record(tx, id, "maintenance.create", details, actor, now)
            .await
    }

    /// Ends a maintenance window now.
    pub async fn end_maintenance(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceRecord> {
        const UPDATE: &str = "UPDATE intake_maintenance SET ends_at = $1 WHERE id = $2";
        self.end_window_now(id, UPDATE, "maintenance.end", actor, now)
            .await
    }
}

fn rule_details(rule: &RuleWrite) -> serde_json::Value {
    serde_json::json!({
        "name": rule.name, "position": rule.position, "enabled": rule.enabled,
        "definition": rule.definition,
    })
}
