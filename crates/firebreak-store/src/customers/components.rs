//! Components: the parts of services customers use, each with its state
//! now. Every change of state appends a `component_status_changes` row (the
//! status page's uptime history); an incident's changes carry its id.

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::customers::{Component, ComponentStatus, ServiceRef};

use super::name_free;
use crate::record::returned_id;
use crate::row::col;
use crate::{Actor, Result, Store, StoreError, Tx, ms};

const SELECT: &str = "SELECT c.id, c.name, c.description, c.service_id, s.name AS service_name, \
     c.status, c.public, c.position, c.created_at, c.updated_at \
     FROM components c JOIN services s ON s.id = c.service_id";

/// What [`Store::update_component`] changes; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub service_id: Option<i64>,
    pub public: Option<bool>,
    pub position: Option<i64>,
}

pub(crate) fn status_word(row: &sqlx::any::AnyRow, name: &str) -> Result<ComponentStatus> {
    let word: String = col(row, name)?;
    word.parse().map_err(|_| crate::row::bad_word(name, &word))
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Component> {
    Ok(Component {
        id: col(row, "id")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        service: ServiceRef {
            id: col(row, "service_id")?,
            name: col(row, "service_name")?,
        },
        status: status_word(row, "status")?,
        public: col(row, "public")?,
        position: col(row, "position")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// Component `id` in the transaction; `NotFound` names it.
pub(crate) async fn component_in(tx: &mut Tx, id: i64) -> Result<Component> {
    let sql = format!("{SELECT} WHERE c.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("component {id}")))?;
    from_row(&row)
}

async fn service_exists(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query("SELECT id FROM services WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("service {id}")))
}

/// Sets a component's state now and appends the change to its history,
/// when the state changes, or (`record`) in any case: an incident that
/// gives a component the state it already has still records that it did.
/// Returns whether the state changed.
pub(crate) async fn change_status(
    tx: &mut Tx,
    component: &Component,
    status: ComponentStatus,
    incident_id: Option<i64>,
    record: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = component.status != status;
    if !changed && !record {
        return Ok(false);
    }
    if changed {
        sqlx::query("UPDATE components SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(component.id)
            .bind(status.as_str())
            .bind(ms(now))
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO component_status_changes (component_id, status, incident_id, actor, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(component.id)
    .bind(status.as_str())
    .bind(incident_id)
    .bind(&actor.name)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(changed)
}

fn target(c: &Component) -> String {
    format!("component:{}", c.name)
}

impl Store {
    /// Every component, in page order (position, then name).
    pub async fn list_components(&self) -> Result<Vec<Component>> {
        let sql = format!("{SELECT} ORDER BY c.position, c.name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn component(&self, id: i64) -> Result<Option<Component>> {
        let sql = format!("{SELECT} WHERE c.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn component_by_name(&self, name: &str) -> Result<Option<Component>> {
        let sql = format!("{SELECT} WHERE c.name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name.to_owned())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Adds a component of service `service_id`, operational, after the
    /// others. Its first state is its history's first row. Audited as
    /// `component.create`.
    pub async fn create_component(
        &self,
        name: &str,
        description: &str,
        service_id: i64,
        public: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Component> {
        let mut tx = self.begin().await?;
        name_free(&mut tx, "components", "component", name, None).await?;
        service_exists(&mut tx, service_id).await?;
        let row = sqlx::query(
            "INSERT INTO components (name, description, service_id, status, public, position, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, \
                     (SELECT COALESCE(MAX(position), 0) + 1 FROM components), $6, $6) \
             RETURNING id",
        )
        .bind(name)
        .bind(description)
        .bind(service_id)
        .bind(ComponentStatus::Operational.as_str())
        .bind(i64::from(public))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        sqlx::query(
            "INSERT INTO component_status_changes (component_id, status, incident_id, actor, at) \
             VALUES ($1, $2, NULL, $3, $4)",
        )
        .bind(id)
        .bind(ComponentStatus::Operational.as_str())
        .bind(&actor.name)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let c = component_in(&mut tx, id).await?;
        self.audit(
            &mut tx,
            actor,
            "component.create",
            &target(&c),
            serde_json::json!({"id": id, "service": c.service.name, "public": public}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Changes a component's name, description, service, visibility or
    /// position. Audited as `component.update`.
    pub async fn update_component(
        &self,
        id: i64,
        changes: &ComponentChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Component> {
        let mut tx = self.begin().await?;
        let old = component_in(&mut tx, id).await?;
        if let Some(name) = &changes.name {
            name_free(&mut tx, "components", "component", name, Some(id)).await?;
        }
        if let Some(service_id) = changes.service_id {
            service_exists(&mut tx, service_id).await?;
        }
        sqlx::query(
            "UPDATE components SET name = COALESCE($2, name), \
             description = COALESCE($3, description), service_id = COALESCE($4, service_id), \
             public = COALESCE($5, public), position = COALESCE($6, position), updated_at = $7 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(changes.name.as_deref())
        .bind(changes.description.as_deref())
        .bind(changes.service_id)
        .bind(changes.public.map(i64::from))
        .bind(changes.position)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let c = component_in(&mut tx, id).await?;
        self.audit(
            &mut tx,
            actor,
            "component.update",
            &target(&c),
            serde_json::json!({
                "id": id, "from": {"name": old.name, "service": old.service.name,
                "public": old.public, "position": old.position},
                "name": changes.name, "service": c.service.name, "public": c.public,
                "position": c.position, "description": changes.description.is_some(),
            }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Sets a component's state now (outside any incident), appending it to
    /// its history. Audited as `component.status`, also when unchanged.
    pub async fn set_component_status(
        &self,
        component_id: i64,
        status: ComponentStatus,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Component> {
        let mut tx = self.begin().await?;
        let old = component_in(&mut tx, component_id).await?;
        change_status(&mut tx, &old, status, None, false, actor, now).await?;
        let c = component_in(&mut tx, component_id).await?;
        self.audit(
            &mut tx,
            actor,
            "component.status",
            &target(&c),
            serde_json::json!({"from": old.status, "to": status}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The history of a component's state since `since`, oldest first:
    /// `(status, incident_id, at)`, with the last change before `since`
    /// first when there is one (the state the period started in).
    pub async fn component_status_history(
        &self,
        component_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<(ComponentStatus, Option<i64>, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT status, incident_id, at FROM component_status_changes \
             WHERE component_id = $1 AND (at >= $2 OR id = (SELECT MAX(id) FROM \
               component_status_changes WHERE component_id = $1 AND at < $2)) \
             ORDER BY at, id",
        )
        .bind(component_id)
        .bind(ms(since))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    status_word(r, "status")?,
                    r.try_get::<Option<i64>, _>("incident_id")?,
                    col(r, "at")?,
                ))
            })
            .collect()
    }
}
