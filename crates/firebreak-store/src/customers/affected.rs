//! Whom an incident affects: the mode (nobody, listed customers, the
//! customers of its components, all), the customers listed, and the
//! components it affects with the state it gives them.
//!
//! Both writes change an incident, so each writes a timeline event and an
//! audit entry in its transaction, after locking the incident row; the
//! server calls them only from `actions` (permission and confidentiality
//! are checked there). Setting the components also sets each component's
//! state and appends it to its history with the incident's id.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::customers::{
    AffectedComponent, AffectedMode, ComponentStatus, IncidentAffected,
};
use firebreak_api::incident_ref;

use super::components::{change_status, component_in, status_word};
use crate::incidents::{TimelineEntry, timeline};
use crate::row::col;
use crate::{Actor, Result, Store, StoreError, Tx, ms};

/// Locks incident `id` for the rest of the transaction; `NotFound` when
/// there is none.
async fn lock_incident(store: &Store, tx: &mut Tx, id: i64) -> Result<()> {
    let sql = format!(
        "SELECT id FROM incidents WHERE id = $1{}",
        store.for_update()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(incident_ref(id)))
}

/// Whom incident `id` affects, read on `conn`.
async fn affected_on(conn: &mut sqlx::AnyConnection, id: i64) -> Result<IncidentAffected> {
    let row = sqlx::query("SELECT mode, set_by, at FROM incident_affected WHERE incident_id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let (mode, set_by, set_at) = match row {
        Some(row) => {
            let word: String = col(&row, "mode")?;
            let mode: AffectedMode = word
                .parse()
                .map_err(|_| crate::row::bad_word("mode", &word))?;
            (
                Some(mode),
                Some(col(&row, "set_by")?),
                Some(col(&row, "at")?),
            )
        }
        None => (None, None, None),
    };
    let rows = sqlx::query(
        "SELECT ic.component_id, c.name, ic.status FROM incident_components ic \
         JOIN components c ON c.id = ic.component_id WHERE ic.incident_id = $1 \
         ORDER BY c.position, c.name",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let components = rows
        .iter()
        .map(|r| {
            Ok(AffectedComponent {
                component_id: col(r, "component_id")?,
                name: col(r, "name")?,
                status: status_word(r, "status")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let sql = match mode {
        None | Some(AffectedMode::Nobody) => None,
        Some(AffectedMode::Customers) => Some(
            "SELECT customer_id AS id FROM incident_customers WHERE incident_id = $1 \
             ORDER BY customer_id",
        ),
        Some(AffectedMode::Components) => Some(
            "SELECT DISTINCT cc.customer_id AS id FROM customer_components cc \
             JOIN incident_components ic ON ic.component_id = cc.component_id \
             WHERE ic.incident_id = $1 ORDER BY cc.customer_id",
        ),
        Some(AffectedMode::All) => Some("SELECT id FROM customers WHERE id > $1 ORDER BY id"),
    };
    let customer_ids = match sql {
        Some(sql) => sqlx::query(sql)
            .bind(if mode == Some(AffectedMode::All) {
                0
            } else {
                id
            })
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| col(r, "id"))
            .collect::<Result<Vec<i64>>>()?,
        None => Vec::new(),
    };
    Ok(IncidentAffected {
        mode,
        customer_ids,
        components,
        set_by,
        set_at,
    })
}

/// The names of `ids` (customers or components) in `table`, in order.
async fn names(tx: &mut Tx, table: &'static str, ids: &[i64]) -> Result<Vec<String>> {
    let sql = format!("SELECT id, name FROM {table} ORDER BY name");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        if ids.contains(&id) {
            out.push(col(r, "name")?);
        }
    }
    Ok(out)
}

fn words(names: &[String]) -> String {
    if names.is_empty() {
        "none yet".to_owned()
    } else {
        names.join(", ")
    }
}

impl Store {
    /// Whom incident `id` affects (no mode when not set yet). The caller
    /// has checked that the reader may see the incident.
    pub async fn incident_affected(&self, id: i64) -> Result<IncidentAffected> {
        let mut conn = self.read.acquire().await?;
        affected_on(&mut conn, id).await
    }

    /// Sets whom incident `id` affects: `customer_ids` are kept only with
    /// mode `customers` (`NotFound` names one that does not exist). Writes
    /// the timeline event `affected.set` and the audit entry
    /// `incident.affected`.
    pub async fn set_incident_affected(
        &self,
        incident_id: i64,
        mode: AffectedMode,
        customer_ids: &[i64],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IncidentAffected> {
        let mut tx = self.begin().await?;
        lock_incident(self, &mut tx, incident_id).await?;
        let before = affected_on(&mut tx, incident_id).await?;
        let ids: Vec<i64> = match mode {
            AffectedMode::Customers => {
                let set: BTreeSet<i64> = customer_ids.iter().copied().collect();
                set.into_iter().collect()
            }
            _ => Vec::new(),
        };
        for id in &ids {
            super::customer_in(&mut tx, *id).await?;
        }
        sqlx::query(
            "INSERT INTO incident_affected (incident_id, mode, set_by, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (incident_id) DO UPDATE SET mode = $2, set_by = $3, at = $4",
        )
        .bind(incident_id)
        .bind(mode.as_str())
        .bind(&actor.name)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM incident_customers WHERE incident_id = $1")
            .bind(incident_id)
            .execute(&mut *tx)
            .await?;
        for id in &ids {
            sqlx::query(
                "INSERT INTO incident_customers (incident_id, customer_id) VALUES ($1, $2)",
            )
            .bind(incident_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let after = affected_on(&mut tx, incident_id).await?;
        let resolved = names(&mut tx, "customers", &after.customer_ids).await?;
        let summary = match mode {
            AffectedMode::Nobody => "Affected customers: nobody (an internal incident)".to_owned(),
            AffectedMode::Customers => format!("Affected customers set to: {}", words(&resolved)),
            AffectedMode::Components => format!(
                "Affected customers: those who use the affected components ({})",
                words(&resolved)
            ),
            AffectedMode::All => "Affected customers: all customers".to_owned(),
        };
        let details = serde_json::json!({
            "mode": mode, "customer_ids": after.customer_ids,
            "from": {"mode": before.mode, "customer_ids": before.customer_ids},
        });
        let entry = TimelineEntry {
            kind: "affected.set",
            summary,
            reason: None,
            details: details.clone(),
        };
        timeline(&mut tx, incident_id, actor, &entry, now).await?;
        self.audit(
            &mut tx,
            actor,
            "incident.affected",
            &incident_ref(incident_id),
            details,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets the components incident `id` affects and the state it gives
    /// each (the whole set; an empty list clears it). Each component's state
    /// now becomes the one given (appended to its history with the
    /// incident's id); a component taken out of the set returns to the worst
    /// state another open incident gives it, or operational. Writes the
    /// timeline event `components.set` and the audit entry
    /// `incident.components`.
    pub async fn set_incident_components(
        &self,
        incident_id: i64,
        components: &[(i64, ComponentStatus)],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IncidentAffected> {
        let mut tx = self.begin().await?;
        lock_incident(self, &mut tx, incident_id).await?;
        let before = affected_on(&mut tx, incident_id).await?;
        // One state per component: the last given wins.
        let wanted: BTreeMap<i64, ComponentStatus> = components.iter().copied().collect();
        let mut current = BTreeMap::new();
        for id in wanted.keys() {
            current.insert(*id, component_in(&mut tx, *id).await?);
        }
        sqlx::query("DELETE FROM incident_components WHERE incident_id = $1")
            .bind(incident_id)
            .execute(&mut *tx)
            .await?;
        for (id, status) in &wanted {
            sqlx::query(
                "INSERT INTO incident_components (incident_id, component_id, status) \
                 VALUES ($1, $2, $3)",
            )
            .bind(incident_id)
            .bind(id)
            .bind(status.as_str())
            .execute(&mut *tx)
            .await?;
            // New to this incident, or a new state for it: on the record
            // with the incident's id even when the component was already in
            // that state.
            let record = !before
                .components
                .iter()
                .any(|b| b.component_id == *id && b.status == *status);
            if let Some(c) = current.get(id) {
                change_status(&mut tx, c, *status, Some(incident_id), record, actor, now).await?;
            }
        }
        for gone in before
            .components
            .iter()
            .filter(|c| !wanted.contains_key(&c.component_id))
        {
            let rows = sqlx::query(
                "SELECT ic.status FROM incident_components ic \
                 JOIN incidents i ON i.id = ic.incident_id \
                 WHERE ic.component_id = $1 AND i.phase NOT IN ('post_incident', 'closed')",
            )
            .bind(gone.component_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut status = ComponentStatus::Operational;
            for r in &rows {
                status = status.max(status_word(r, "status")?);
            }
            let c = component_in(&mut tx, gone.component_id).await?;
            change_status(&mut tx, &c, status, Some(incident_id), false, actor, now).await?;
        }
        let after = affected_on(&mut tx, incident_id).await?;
        let listed: Vec<String> = after
            .components
            .iter()
            .map(|c| format!("{} ({})", c.name, c.status.label().to_lowercase()))
            .collect();
        let summary = if listed.is_empty() {
            "Affected components cleared".to_owned()
        } else {
            format!("Affected components set to: {}", listed.join(", "))
        };
        let details = serde_json::json!({
            "components": after.components.iter()
                .map(|c| serde_json::json!({"component_id": c.component_id, "status": c.status}))
                .collect::<Vec<_>>(),
            "from": before.components.iter()
                .map(|c| serde_json::json!({"component_id": c.component_id, "status": c.status}))
                .collect::<Vec<_>>(),
        });
        let entry = TimelineEntry {
            kind: "components.set",
            summary,
            reason: None,
            details: details.clone(),
        };
        timeline(&mut tx, incident_id, actor, &entry, now).await?;
        self.audit(
            &mut tx,
            actor,
            "incident.components",
            &incident_ref(incident_id),
            details,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
