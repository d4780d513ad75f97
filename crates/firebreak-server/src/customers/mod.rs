//! Customers, their contacts and the components they use (issue 11): the
//! checks every interface shares ([`create_customer`], [`add_contact`], …:
//! permission, names, contact channels under the outgoing-request policy),
//! the JSON API ([`api`]) and the admin pages ([`web`]). Whom an incident
//! affects changes through `actions::affected`, like every incident change.

pub mod api;
pub mod web;

use firebreak_api::customers::{
    AddCustomerContact, Component, CreateComponent, CreateCustomer, Customer, CustomerContactAdded,
    CustomerContactKind, UpdateComponent, UpdateCustomer,
};
use firebreak_core::auth::Action;
use firebreak_store::customers::components::ComponentChanges;

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::notify::{Channel, NotifyError, SetBy};

/// Longest customer or component name, in characters.
pub const MAX_NAME: usize = 100;

/// A customer's or component's name: one line of 1–100 characters, not
/// only digits (the CLI takes a name or an id) and without `=` (the CLI's
/// `NAME=STATUS`).
pub fn name(field: &str, value: &str) -> Result<String, ApiError> {
    let v = actions::title(field, value)?;
    if v.chars().count() > MAX_NAME {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` is longer than {MAX_NAME} characters"),
        ));
    }
    if v.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` must not be only digits"),
        ));
    }
    if v.contains('=') {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` must not contain `=`"),
        ));
    }
    Ok(v)
}

fn description(value: Option<&str>) -> Result<String, ApiError> {
    Ok(actions::text("description", value, false)?.unwrap_or_default())
}

/// A path's id: anything but a positive integer names nothing.
pub fn path_id(noun: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::NotFound(format!("{noun} `{raw}`")))
}

pub async fn list_customers(c: &Ctx<'_>) -> Result<Vec<Customer>, ApiError> {
    c.require(Action::ReadCustomers)?;
    Ok(c.store.list_customers().await?)
}

pub async fn customer(c: &Ctx<'_>, id: i64) -> Result<Customer, ApiError> {
    c.require(Action::ReadCustomers)?;
    c.store
        .customer(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("customer {id}")))
}

pub async fn create_customer(c: &Ctx<'_>, req: &CreateCustomer) -> Result<Customer, ApiError> {
    c.require(Action::ManageCustomers)?;
    let name = name("name", &req.name)?;
    let description = description(req.description.as_deref())?;
    Ok(c.store
        .create_customer(&name, &description, &c.actor(), c.now)
        .await?)
}

pub async fn update_customer(
    c: &Ctx<'_>,
    id: i64,
    req: &UpdateCustomer,
) -> Result<Customer, ApiError> {
    c.require(Action::ManageCustomers)?;
    let name = req.name.as_deref().map(|n| name("name", n)).transpose()?;
    let description = req
        .description
        .as_deref()
        .map(|d| description(Some(d)))
        .transpose()?;
    Ok(c.store
        .update_customer(
            id,
            name.as_deref(),
            description.as_deref(),
            &c.actor(),
            c.now,
        )
        .await?)
}

pub async fn delete_customer(c: &Ctx<'_>, id: i64) -> Result<(), ApiError> {
    c.require(Action::ManageCustomers)?;
    Ok(c.store.delete_customer(id, &c.actor(), c.now).await?)
}

/// Longest contact target (address or URL) accepted, in characters.
pub const MAX_TARGET: usize = 2_000;

/// Highest component position accepted (the lowest is 0).
pub const MAX_POSITION: i64 = 1_000_000;

fn position(p: Option<i64>) -> Result<Option<i64>, ApiError> {
    match p {
        Some(p) if !(0..=MAX_POSITION).contains(&p) => Err(ApiError::invalid(
            "position",
            format!("`position` is from 0 to {MAX_POSITION}"),
        )),
        p => Ok(p),
    }
}

/// Longest webhook secret accepted, in characters.
const MAX_SECRET: usize = 200;

/// Adds a contact after every check: the label, the address or URL (a
/// webhook's URL under the outgoing-request policy for targets users set:
/// no loopback or private addresses unless `[outgoing] allow` opens them).
/// A webhook without a secret gets a random one, returned this once.
pub async fn add_contact(
    state: &AppState,
    c: &Ctx<'_>,
    customer_id: i64,
    req: &AddCustomerContact,
) -> Result<CustomerContactAdded, ApiError> {
    c.require(Action::ManageCustomers)?;
    let label = actions::title("label", &req.label)?;
    let target = req.target.trim().to_owned();
    if target.is_empty() {
        return Err(ApiError::invalid("target", "`target` must not be empty"));
    }
    if target.chars().count() > MAX_TARGET {
        return Err(ApiError::invalid(
            "target",
            format!("`target` is longer than {MAX_TARGET} characters"),
        ));
    }
    let (channel, generated) = match req.kind {
        CustomerContactKind::Email => {
            if req.secret.is_some() {
                return Err(ApiError::invalid(
                    "secret",
                    "an email contact has no secret",
                ));
            }
            (Channel::Email { to: target }, None)
        }
        CustomerContactKind::Webhook => {
            let given = req.secret.as_deref().map(str::trim);
            let secret = match given {
                Some(s) if s.is_empty() || s.chars().count() > MAX_SECRET => {
                    return Err(ApiError::invalid(
                        "secret",
                        format!("a webhook secret is 1–{MAX_SECRET} characters"),
                    ));
                }
                Some(s) => s.to_owned(),
                None => firebreak_store::secrets::random_secret(),
            };
            let generated = given.is_none().then(|| secret.clone());
            (
                Channel::Webhook {
                    url: target,
                    secret: Some(secret),
                },
                generated,
            )
        }
    };
    channel
        .check(SetBy::User, &state.config.outgoing)
        .await
        .map_err(|e| match e {
            NotifyError::Invalid { detail, .. } => ApiError::invalid("target", detail),
            e => ApiError::invalid("target", e.to_string()),
        })?;
    let json = serde_json::to_value(&channel).map_err(|e| ApiError::Internal(e.to_string()))?;
    let contact = c
        .store
        .add_customer_contact(customer_id, &label, json, &c.actor(), c.now)
        .await?;
    Ok(CustomerContactAdded {
        contact,
        secret: generated,
    })
}

pub async fn remove_contact(
    c: &Ctx<'_>,
    customer_id: i64,
    contact_id: i64,
) -> Result<(), ApiError> {
    c.require(Action::ManageCustomers)?;
    c.store
        .remove_customer_contact(customer_id, contact_id, &c.actor(), c.now)
        .await?;
    Ok(())
}

/// Every id of `ids` names a component, or 422 naming `field`.
async fn known_components(c: &Ctx<'_>, field: &str, ids: &[i64]) -> Result<(), ApiError> {
    let all = c.store.list_components().await?;
    match ids.iter().find(|id| !all.iter().any(|k| k.id == **id)) {
        Some(id) => Err(ApiError::invalid(field, format!("no component {id}"))),
        None => Ok(()),
    }
}

pub async fn set_components(
    c: &Ctx<'_>,
    customer_id: i64,
    ids: &[i64],
) -> Result<Customer, ApiError> {
    c.require(Action::ManageCustomers)?;
    customer(c, customer_id).await?;
    known_components(c, "component_ids", ids).await?;
    Ok(c.store
        .set_customer_components(customer_id, ids, &c.actor(), c.now)
        .await?)
}

/// A new private status link (replacing the last): the URL, shown once.
pub async fn status_link(
    state: &AppState,
    c: &Ctx<'_>,
    customer_id: i64,
) -> Result<String, ApiError> {
    c.require(Action::ManageCustomers)?;
    let token = c
        .store
        .new_customer_status_link(customer_id, &c.actor(), c.now)
        .await?;
    Ok(format!(
        "{}/status/c/{token}",
        state.config.public_url.trim_end_matches('/')
    ))
}

async fn service_id(c: &Ctx<'_>, name: &str) -> Result<i64, ApiError> {
    match c.store.service_by_name(name.trim()).await? {
        Some(s) => Ok(s.id),
        None => Err(ApiError::invalid(
            "service",
            format!("no service named `{name}`"),
        )),
    }
}

pub async fn component(c: &Ctx<'_>, id: i64) -> Result<Component, ApiError> {
    c.require(Action::Read)?;
    c.store
        .component(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("component {id}")))
}

pub async fn create_component(c: &Ctx<'_>, req: &CreateComponent) -> Result<Component, ApiError> {
    c.require(Action::ManageCustomers)?;
    let name = name("name", &req.name)?;
    let description = description(req.description.as_deref())?;
    let service = service_id(c, &req.service).await?;
    let req_position = position(req.position)?;
    let mut made = c
        .store
        .create_component(
            &name,
            &description,
            service,
            req.public.unwrap_or(true),
            &c.actor(),
            c.now,
        )
        .await?;
    if let Some(position) = req_position.and(req.position) {
        made = c
            .store
            .update_component(
                made.id,
                &ComponentChanges {
                    position: Some(position),
                    ..Default::default()
                },
                &c.actor(),
                c.now,
            )
            .await?;
    }
    Ok(made)
}

/// Changes a component. A change of `status` alone needs `respond` (a
/// responder records an outage); anything else needs `manage_customers`.
pub async fn update_component(
    c: &Ctx<'_>,
    id: i64,
    req: &UpdateComponent,
) -> Result<Component, ApiError> {
    let other = req.name.is_some()
        || req.description.is_some()
        || req.service.is_some()
        || req.public.is_some()
        || req.position.is_some();
    if other {
        c.require(Action::ManageCustomers)?;
    }
    if req.status.is_some() {
        c.require(Action::Respond)?;
    }
    position(req.position)?;
    let mut current = component(c, id).await?;
    if other {
        let changes = ComponentChanges {
            name: req.name.as_deref().map(|n| name("name", n)).transpose()?,
            description: req
                .description
                .as_deref()
                .map(|d| description(Some(d)))
                .transpose()?,
            service_id: match &req.service {
                Some(s) => Some(service_id(c, s).await?),
                None => None,
            },
            public: req.public,
            position: req.position,
        };
        current = c
            .store
            .update_component(id, &changes, &c.actor(), c.now)
            .await?;
    }
    if let Some(status) = req.status {
        current = c
            .store
            .set_component_status(id, status, &c.actor(), c.now)
            .await?;
    }
    Ok(current)
}
