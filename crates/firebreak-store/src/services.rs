//! The services catalog: what incidents and reports are about, and which
//! team owns each.

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::Service;

use crate::record::name_free;
use crate::{Actor, Result, Store, ms, time};

fn service_from_row(row: &sqlx::any::AnyRow) -> Result<Service> {
    Ok(Service {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        owner_team: row.try_get("owner_team")?,
        description: row.try_get("description")?,
        created_at: time(row.try_get("created_at")?),
    })
}

impl Store {
    pub async fn create_service(
        &self,
        name: &str,
        owner_team: &str,
        description: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Service> {
        let mut tx = self.begin().await?;
        name_free(&mut tx, "services", "service", name, None).await?;
        let row = sqlx::query(
            "INSERT INTO services (name, owner_team, description, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, owner_team, description, created_at",
        )
        .bind(name)
        .bind(owner_team)
        .bind(description)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let service = service_from_row(&row)?;
        self.commit_audited(
            tx,
            actor,
            "service.create",
            &format!("service:{name}"),
            serde_json::json!({"owner_team": owner_team}),
            now,
        )
        .await?;
        Ok(service)
    }

    pub async fn list_services(&self) -> Result<Vec<Service>> {
        let rows = sqlx::query(
            "SELECT id, name, owner_team, description, created_at FROM services ORDER BY name",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(service_from_row).collect()
    }

    pub async fn service_by_name(&self, name: &str) -> Result<Option<Service>> {
        let row = sqlx::query(
            "SELECT id, name, owner_team, description, created_at FROM services WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(service_from_row).transpose()
    }
}
