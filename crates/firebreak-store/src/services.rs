//! The services catalog: what incidents and reports are about, and which
//! team owns each.

use chrono::{DateTime, Utc};

use firebreak_api::Service;

use crate::record::{Record, name_free, returned_id};
use crate::{Actor, Result, Store, ms};

impl Record for Service {
    const TABLE: &'static str = "services";
    const SELECT: &'static str =
        "SELECT id, name, owner_team, description, created_at FROM services";
    const NOUN: &'static str = "service";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<Service> {
        from_row! { row, Service { id, name, owner_team, description, created_at } }
    }

    fn audit_target(&self, _id: i64) -> String {
        format!("service:{}", self.name)
    }
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
        name_free::<Service>(&mut tx, name, None).await?;
        let row = sqlx::query(
            "INSERT INTO services (name, owner_team, description, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(owner_team)
        .bind(description)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let details = serde_json::json!({"owner_team": owner_team});
        let id = returned_id(&row)?;
        self.commit_record(tx, id, "service.create", details, actor, now)
            .await
    }

    pub async fn list_services(&self) -> Result<Vec<Service>> {
        self.records("ORDER BY name", None::<i64>).await
    }

    pub async fn service_by_name(&self, name: &str) -> Result<Option<Service>> {
        self.first_record("WHERE name = $1", name.to_owned()).await
    }
}
