//! Customers (tenants), their contacts and the components they use, and
//! whom an incident affects (issue 11). Components are in [`components`],
//! an incident's affected customers and components in [`affected`].
//!
//! A contact's `channel` is a `notify::Channel` as JSON (an email address or
//! a signed webhook); its secret never leaves the store through
//! [`Customer`], only through [`Store::customer_contact_channels`], which the
//! server reads to address notices. A customer's private status link is a
//! random token shown once; only its SHA-256 is stored.

pub mod affected;
pub mod components;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::customers::{Customer, CustomerContact, CustomerContactKind};

use crate::record::returned_id;
use crate::row::col;
use crate::secrets::{random_secret, secret_hash};
use crate::{Actor, Result, Store, StoreError, Tx, ms};

/// A contact with its channel as stored (secret included): what a notice is
/// addressed to.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactChannel {
    pub id: i64,
    pub customer_id: i64,
    pub label: String,
    pub channel: serde_json::Value,
}

const CUSTOMER_SELECT: &str =
    "SELECT id, name, description, status_token_hash, created_at FROM customers";
const CONTACT_SELECT: &str =
    "SELECT id, customer_id, label, channel, created_at FROM customer_contacts";

/// `Conflict` when `table` has a row named `name` other than `except`.
pub(crate) async fn name_free(
    tx: &mut Tx,
    table: &'static str,
    noun: &str,
    name: &str,
    except: Option<i64>,
) -> Result<()> {
    // Names differing only in case would be two customers people cannot
    // tell apart (and the CLI's name lookup could pick the wrong one).
    let sql = format!("SELECT id, name FROM {table} WHERE LOWER(name) = LOWER($1)");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_all(&mut **tx)
        .await?;
    for row in rows {
        if Some(row.try_get::<i64, _>("id")?) != except {
            let existing: String = row.try_get("name")?;
            return Err(StoreError::Conflict(format!(
                "{noun} `{existing}` already exists (names differ from each other in more than case)"
            )));
        }
    }
    Ok(())
}

/// The contact's kind and target read from its channel JSON.
fn contact_from_row(row: &sqlx::any::AnyRow) -> Result<CustomerContact> {
    let channel: serde_json::Value = col(row, "channel")?;
    let (kind, target) = match channel.get("kind").and_then(|k| k.as_str()) {
        Some("webhook") => (CustomerContactKind::Webhook, channel.get("url")),
        _ => (CustomerContactKind::Email, channel.get("to")),
    };
    Ok(CustomerContact {
        id: col(row, "id")?,
        customer_id: col(row, "customer_id")?,
        label: col(row, "label")?,
        kind,
        target: target
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned(),
        created_at: col(row, "created_at")?,
    })
}

fn customer_from_row(
    row: &sqlx::any::AnyRow,
    contacts: &mut BTreeMap<i64, Vec<CustomerContact>>,
    components: &mut BTreeMap<i64, Vec<i64>>,
) -> Result<Customer> {
    let id: i64 = col(row, "id")?;
    let hash: Option<String> = col(row, "status_token_hash")?;
    Ok(Customer {
        id,
        name: col(row, "name")?,
        description: col(row, "description")?,
        contacts: contacts.remove(&id).unwrap_or_default(),
        component_ids: components.remove(&id).unwrap_or_default(),
        has_status_link: hash.is_some(),
        created_at: col(row, "created_at")?,
    })
}

/// Customers after `clause` (`$1` bound to `arg` when given), with their
/// contacts and components, on `conn`.
async fn customers_on(
    conn: &mut sqlx::AnyConnection,
    clause: &str,
    arg: Option<i64>,
) -> Result<Vec<Customer>> {
    let where_id = |col: &str| match arg {
        Some(_) => format!("WHERE {col} = $1"),
        None => String::new(),
    };
    let bind = |q: crate::AnyQuery<'static>| match arg {
        Some(a) => q.bind(a),
        None => q,
    };
    let sql = format!("{CONTACT_SELECT} {} ORDER BY id", where_id("customer_id"));
    let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?;
    let mut contacts: BTreeMap<i64, Vec<CustomerContact>> = BTreeMap::new();
    for row in &rows {
        let c = contact_from_row(row)?;
        contacts.entry(c.customer_id).or_default().push(c);
    }
    let sql = format!(
        "SELECT customer_id, component_id FROM customer_components {} \
         ORDER BY customer_id, component_id",
        where_id("customer_id")
    );
    let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?;
    let mut components: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in &rows {
        components
            .entry(col(row, "customer_id")?)
            .or_default()
            .push(col(row, "component_id")?);
    }
    let sql = format!("{CUSTOMER_SELECT} {clause}");
    let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| customer_from_row(r, &mut contacts, &mut components))
        .collect()
}

/// Customer `id` in the transaction; `NotFound` names it.
pub(crate) async fn customer_in(tx: &mut Tx, id: i64) -> Result<Customer> {
    customers_on(tx, "WHERE id = $1", Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))
}

fn target(c: &Customer) -> String {
    format!("customer:{}", c.name)
}

impl Store {
    /// Every customer, by name.
    pub async fn list_customers(&self) -> Result<Vec<Customer>> {
        let mut conn = self.read.acquire().await?;
        customers_on(&mut conn, "ORDER BY name", None).await
    }

    pub async fn customer(&self, id: i64) -> Result<Option<Customer>> {
        let mut conn = self.read.acquire().await?;
        Ok(customers_on(&mut conn, "WHERE id = $1", Some(id))
            .await?
            .into_iter()
            .next())
    }

    pub async fn customer_by_name(&self, name: &str) -> Result<Option<Customer>> {
        let row = sqlx::query("SELECT id FROM customers WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        match row {
            Some(row) => self.customer(row.try_get("id")?).await,
            None => Ok(None),
        }
    }

    /// The customer whose private status link carries `token`.
    pub async fn customer_by_status_token(&self, token: &str) -> Result<Option<Customer>> {
        let row = sqlx::query("SELECT id FROM customers WHERE status_token_hash = $1")
            .bind(secret_hash(token))
            .fetch_optional(&self.read)
            .await?;
        match row {
            Some(row) => self.customer(row.try_get("id")?).await,
            None => Ok(None),
        }
    }

    /// Adds a customer; `Conflict` when the name is taken. Audited as
    /// `customer.create`.
    pub async fn create_customer(
        &self,
        name: &str,
        description: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let mut tx = self.begin().await?;
        name_free(&mut tx, "customers", "customer", name, None).await?;
        let row = sqlx::query(
            "INSERT INTO customers (name, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(name)
        .bind(description)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        let c = customer_in(&mut tx, id).await?;
        self.audit(
            &mut tx,
            actor,
            "customer.create",
            &target(&c),
            serde_json::json!({"id": id}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Renames a customer or changes its description. Audited as
    /// `customer.update` with what changed.
    pub async fn update_customer(
        &self,
        id: i64,
        name: Option<&str>,
        description: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let mut tx = self.begin().await?;
        let old = customer_in(&mut tx, id).await?;
        if let Some(name) = name {
            name_free(&mut tx, "customers", "customer", name, Some(id)).await?;
        }
        sqlx::query(
            "UPDATE customers SET name = COALESCE($2, name), \
             description = COALESCE($3, description), updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let c = customer_in(&mut tx, id).await?;
        self.audit(
            &mut tx,
            actor,
            "customer.update",
            &target(&c),
            serde_json::json!({"id": id, "from": {"name": old.name}, "name": name.is_some(),
                "description": description.is_some()}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Deletes a customer with its contacts, its components' list and its
    /// status link. `Conflict` while an incident names it (the incident's
    /// record keeps it). Status subscribers tied to it are unsubscribed.
    /// Audited as `customer.delete` with its name and contacts' labels.
    pub async fn delete_customer(&self, id: i64, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        let c = customer_in(&mut tx, id).await?;
        // The message names no incident: the caller may not see it (a
        // security incident is missing, not forbidden, to most readers).
        let named: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM incident_customers WHERE customer_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if named > 0 {
            return Err(StoreError::Conflict(format!(
                "customer `{}` is named by an incident: it cannot be deleted",
                c.name
            )));
        }
        sqlx::query(
            "UPDATE status_subscribers SET customer_id = NULL, \
             unsubscribed_at = COALESCE(unsubscribed_at, $2) WHERE customer_id = $1",
        )
        .bind(id)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        for sql in [
            "DELETE FROM customer_contacts WHERE customer_id = $1",
            "DELETE FROM customer_components WHERE customer_id = $1",
            "DELETE FROM customers WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        let labels: Vec<&str> = c.contacts.iter().map(|c| c.label.as_str()).collect();
        self.commit_audited(
            tx,
            actor,
            "customer.delete",
            &target(&c),
            serde_json::json!({"id": id, "contacts": labels, "components": c.component_ids}),
            now,
        )
        .await
    }

    /// Adds a contact: `channel` is a `notify::Channel` as JSON, email or
    /// webhook (the server checks it). Audited as `customer.contact.add`
    /// with the label and kind (never the target, which may hold a secret).
    pub async fn add_customer_contact(
        &self,
        customer_id: i64,
        label: &str,
        channel: serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<CustomerContact> {
        let mut tx = self.begin().await?;
        let c = customer_in(&mut tx, customer_id).await?;
        let row = sqlx::query(
            "INSERT INTO customer_contacts (customer_id, label, channel, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(customer_id)
        .bind(label)
        .bind(channel.to_string())
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        let sql = format!("{CONTACT_SELECT} WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let contact = contact_from_row(&row)?;
        self.commit_audited(
            tx,
            actor,
            "customer.contact.add",
            &target(&c),
            serde_json::json!({"id": id, "label": label, "kind": contact.kind}),
            now,
        )
        .await?;
        Ok(contact)
    }

    /// Removes contact `contact_id` of customer `customer_id`; `NotFound`
    /// when it is not that customer's. Audited as `customer.contact.remove`.
    pub async fn remove_customer_contact(
        &self,
        customer_id: i64,
        contact_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<CustomerContact> {
        let mut tx = self.begin().await?;
        let c = customer_in(&mut tx, customer_id).await?;
        let contact = c
            .contacts
            .iter()
            .find(|k| k.id == contact_id)
            .cloned()
            .ok_or_else(|| {
                StoreError::NotFound(format!("contact {contact_id} of customer `{}`", c.name))
            })?;
        sqlx::query("DELETE FROM customer_contacts WHERE id = $1 AND customer_id = $2")
            .bind(contact_id)
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        self.commit_audited(
            tx,
            actor,
            "customer.contact.remove",
            &target(&c),
            serde_json::json!({"id": contact_id, "label": contact.label, "kind": contact.kind}),
            now,
        )
        .await?;
        Ok(contact)
    }

    /// The contacts of `customer_ids` with their channels (secrets
    /// included), by customer then contact: whom a notice goes to.
    pub async fn customer_contact_channels(
        &self,
        customer_ids: &[i64],
    ) -> Result<Vec<ContactChannel>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, label, channel FROM customer_contacts \
             ORDER BY customer_id, id",
        )
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let customer_id: i64 = col(row, "customer_id")?;
            if customer_ids.contains(&customer_id) {
                out.push(ContactChannel {
                    id: col(row, "id")?,
                    customer_id,
                    label: col(row, "label")?,
                    channel: col(row, "channel")?,
                });
            }
        }
        Ok(out)
    }

    /// Sets the components a customer uses (the whole set). `NotFound`
    /// names a component that does not exist. Audited as
    /// `customer.components`.
    pub async fn set_customer_components(
        &self,
        customer_id: i64,
        component_ids: &[i64],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let mut tx = self.begin().await?;
        let old = customer_in(&mut tx, customer_id).await?;
        let mut ids = component_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            components::component_in(&mut tx, *id).await?;
        }
        sqlx::query("DELETE FROM customer_components WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        for id in &ids {
            sqlx::query(
                "INSERT INTO customer_components (customer_id, component_id) VALUES ($1, $2)",
            )
            .bind(customer_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let c = customer_in(&mut tx, customer_id).await?;
        self.audit(
            &mut tx,
            actor,
            "customer.components",
            &target(&c),
            serde_json::json!({"from": old.component_ids, "to": ids}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// A new private status link token for the customer (shown once; its
    /// SHA-256 replaces the previous link's). Audited as
    /// `customer.status_link`.
    pub async fn new_customer_status_link(
        &self,
        customer_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let mut tx = self.begin().await?;
        let c = customer_in(&mut tx, customer_id).await?;
        let token = random_secret();
        sqlx::query("UPDATE customers SET status_token_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(customer_id)
            .bind(secret_hash(&token))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        self.commit_audited(
            tx,
            actor,
            "customer.status_link",
            &target(&c),
            serde_json::json!({"replaced": c.has_status_link}),
            now,
        )
        .await?;
        Ok(token)
    }
}
