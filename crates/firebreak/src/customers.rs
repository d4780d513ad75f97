//! Commands over the API: `customer …`, `component …`, `incident affected`
//! and `incident components`. Customers and components are named by name
//! or id (names are never only digits, so the two cannot be confused).

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use firebreak_api::customers::{
    AddCustomerContact, AffectedMode, ComponentState, ComponentStatus, CreateComponent,
    CreateCustomer, CustomerContactKind, SetIncidentAffected, SetIncidentComponents,
    UpdateComponent, UpdateCustomer,
};
use firebreak_api::parse_incident_ref;
use firebreak_client::Client;

use crate::cli::{AffectedArgs, ComponentCommand, CustomerCommand, IncidentComponentsArgs};
use crate::remote::{call, client, print};
use crate::render;

/// The id of the customer named `name_or_id`.
async fn customer_id(c: &Client, name_or_id: &str) -> Result<i64> {
    if let Ok(id) = name_or_id.parse::<i64>() {
        return Ok(id);
    }
    let all = c.customers().await?;
    match all.iter().find(|k| k.name == name_or_id) {
        Some(k) => Ok(k.id),
        None => bail!("no customer named `{name_or_id}` (see `firebreak customer list`)"),
    }
}

/// The id of the component named `name_or_id`, from `all`.
fn component_id(all: &[firebreak_api::customers::Component], name_or_id: &str) -> Result<i64> {
    if let Ok(id) = name_or_id.parse::<i64>() {
        return Ok(id);
    }
    match all.iter().find(|k| k.name == name_or_id) {
        Some(k) => Ok(k.id),
        None => bail!("no component named `{name_or_id}` (see `firebreak component list`)"),
    }
}

fn incident_id(raw: &str) -> Result<i64> {
    parse_incident_ref(raw).with_context(|| format!("`{raw}` is not an incident id (42 or INC-42)"))
}

pub async fn customer(cmd: CustomerCommand) -> Result<ExitCode> {
    match cmd {
        CustomerCommand::List(a) => {
            let c = client(&a.client)?;
            let list = c.customers().await?;
            let components = c.components().await?;
            print(&a.client, &list, |l| render::customer_table(l, &components))
        }
        CustomerCommand::Show(a) => {
            let c = client(&a.client)?;
            let id = customer_id(&c, &a.customer).await?;
            let k = c.customer(id).await?;
            let components = c.components().await?;
            print(&a.client, &k, |k| render::customer_full(k, &components))
        }
        CustomerCommand::Create(a) => {
            let req = CreateCustomer {
                name: a.name,
                description: a.description,
            };
            call(
                &a.client,
                async |c| c.create_customer(&req).await,
                |k| format!("customer {} created: {}", k.id, k.name),
            )
            .await
        }
        CustomerCommand::Update(a) => {
            let c = client(&a.client)?;
            let id = customer_id(&c, &a.customer).await?;
            let req = UpdateCustomer {
                name: a.name,
                description: a.description,
            };
            let k = c.update_customer(id, &req).await?;
            print(&a.client, &k, |k| {
                format!("customer {} updated: {}", k.id, k.name)
            })
        }
        CustomerCommand::Delete(a) => {
            let c = client(&a.client)?;
            let id = customer_id(&c, &a.customer).await?;
            c.delete_customer(id).await?;
            print(&a.client, &serde_json::json!({"deleted": id}), |_| {
                format!("customer {id} deleted")
            })
        }
        CustomerCommand::AddContact(a) => {
            let c = client(&a.client)?;
            let id = customer_id(&c, &a.customer).await?;
            let (kind, target) = match (a.email, a.webhook) {
                (Some(e), None) => (CustomerContactKind::Email, e),
                (None, Some(w)) => (CustomerContactKind::Webhook, w),
                _ => bail!("give either --email or --webhook"),
            };
            let req = AddCustomerContact {
                label: a.label,
                kind,
                target,
                secret: a.secret,
            };
            let added = c.add_customer_contact(id, &req).await?;
            print(&a.client, &added, render::contact_added)
        }
        CustomerCommand::RemoveContact(a) => {
            let c = client(&a.client)?;
            let id = customer_id(&c, &a.customer).await?;
            c.remove_customer_contact(id, a.contact_id).await?;
            print(
                &a.client,
                &serde_json::json!({"removed": a.contact_id}),
                |_| format!("contact {} removed", a.contact_id),
            )
        }
        CustomerCommand::SetComponents(a) => {
            let c = client(&a.client)?;
            let id = customer_id(&c, &a.customer).await?;
            let all = c.components().await?;
            let ids = a
                .components
                .iter()
                .map(|n| component_id(&all, n.trim()))
                .collect::<Result<Vec<_>>>()?;
            let k = c.set_customer_components(id, &ids).await?;
            print(&a.client, &k, |k| {
                format!(
                    "{} uses: {}",
                    k.name,
                    render::component_names(&k.component_ids, &all)
                )
            })
        }
        CustomerCommand::StatusLink(a) => {
            let c = client(&a.client)?;
            let id = customer_id(&c, &a.customer).await?;
            let link = c.new_customer_status_link(id).await?;
            print(&a.client, &link, |l| {
                format!(
                    "url: {}\nThe link is shown only once and replaces the previous one; \
                     anyone who has it sees this customer's status page.",
                    l.url
                )
            })
        }
    }
}

pub async fn component(cmd: ComponentCommand) -> Result<ExitCode> {
    match cmd {
        ComponentCommand::List(a) => {
            call(
                &a.client,
                async |c| c.components().await,
                |l| render::component_table(l),
            )
            .await
        }
        ComponentCommand::Create(a) => {
            let req = CreateComponent {
                name: a.name,
                service: a.service,
                description: a.description,
                public: Some(!a.private),
                position: a.position,
            };
            call(
                &a.client,
                async |c| c.create_component(&req).await,
                |k| {
                    format!(
                        "component {} created: {} ({})",
                        k.id, k.name, k.service.name
                    )
                },
            )
            .await
        }
        ComponentCommand::Update(a) => {
            let c = client(&a.client)?;
            let id = component_id(&c.components().await?, &a.component)?;
            let req = UpdateComponent {
                name: a.name,
                description: a.description,
                service: a.service,
                public: a.public,
                position: a.position,
                status: None,
            };
            let k = c.update_component(id, &req).await?;
            print(&a.client, &k, |k| {
                format!("component {} updated: {}", k.id, k.name)
            })
        }
        ComponentCommand::SetStatus(a) => {
            let c = client(&a.client)?;
            let id = component_id(&c.components().await?, &a.component)?;
            let req = UpdateComponent {
                status: Some(a.status),
                ..UpdateComponent::default()
            };
            let k = c.update_component(id, &req).await?;
            print(&a.client, &k, |k| {
                format!("{}: {}", k.name, k.status.label().to_lowercase())
            })
        }
    }
}

pub async fn affected(a: AffectedArgs) -> Result<ExitCode> {
    let c = client(&a.client)?;
    let id = incident_id(&a.id)?;
    let mode = if a.all {
        Some(AffectedMode::All)
    } else if a.nobody {
        Some(AffectedMode::Nobody)
    } else if a.from_components {
        Some(AffectedMode::Components)
    } else if !a.customers.is_empty() {
        Some(AffectedMode::Customers)
    } else {
        None
    };
    let answer = match mode {
        None => c.incident_affected(id).await?,
        Some(mode) => {
            let mut ids = Vec::new();
            for n in &a.customers {
                ids.push(customer_id(&c, n.trim()).await?);
            }
            let req = SetIncidentAffected {
                mode,
                customer_ids: (mode == AffectedMode::Customers).then_some(ids),
            };
            c.set_incident_affected(id, &req).await?
        }
    };
    // Names for people; a role that may not read customers sees ids.
    let customers = if a.client.json {
        Vec::new()
    } else {
        c.customers().await.unwrap_or_default()
    };
    print(&a.client, &answer, |x| render::affected(id, x, &customers))
}

/// `NAME=STATUS` into the component's id and the status.
fn component_state(
    all: &[firebreak_api::customers::Component],
    arg: &str,
) -> Result<ComponentState> {
    let Some((name, status)) = arg.rsplit_once('=') else {
        bail!("`{arg}` is not NAME=STATUS (e.g. `API=major_outage`)");
    };
    let status: ComponentStatus = status.trim().parse().map_err(|_| {
        let names: Vec<&str> = ComponentStatus::ALL.iter().map(|s| s.as_str()).collect();
        anyhow::anyhow!(
            "`{status}` is not a component status: one of {}",
            names.join(", ")
        )
    })?;
    Ok(ComponentState {
        component_id: component_id(all, name.trim())?,
        status,
    })
}

pub async fn incident_components(a: IncidentComponentsArgs) -> Result<ExitCode> {
    let c = client(&a.client)?;
    let id = incident_id(&a.id)?;
    let answer = if a.components.is_empty() && !a.clear {
        c.incident_affected(id).await?
    } else {
        let all = c.components().await?;
        let components = a
            .components
            .iter()
            .map(|s| component_state(&all, s))
            .collect::<Result<Vec<_>>>()?;
        c.set_incident_components(id, &SetIncidentComponents { components })
            .await?
    };
    let customers = if a.client.json {
        Vec::new()
    } else {
        c.customers().await.unwrap_or_default()
    };
    print(&a.client, &answer, |x| render::affected(id, x, &customers))
}
