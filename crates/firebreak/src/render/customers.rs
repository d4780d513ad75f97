//! The text of customers, components and whom an incident affects.

use std::fmt::Write;

use firebreak_api::customers::{Component, Customer, CustomerContactAdded, IncidentAffected};
use firebreak_api::incident_ref;

use super::{joined, list_table, time};

/// The names of the components `ids`, or `none`.
pub fn component_names(ids: &[i64], all: &[Component]) -> String {
    let names: Vec<String> = ids
        .iter()
        .map(|id| {
            all.iter()
                .find(|c| c.id == *id)
                .map_or_else(|| format!("#{id}"), |c| c.name.clone())
        })
        .collect();
    joined(&names, "none")
}

pub fn customer_table(list: &[Customer], components: &[Component]) -> String {
    list_table(
        list,
        "no customers",
        &["ID", "NAME", "CONTACTS", "LINK", "COMPONENTS"],
        |c| {
            vec![
                c.id.to_string(),
                c.name.clone(),
                c.contacts.len().to_string(),
                if c.has_status_link { "yes" } else { "no" }.to_owned(),
                component_names(&c.component_ids, components),
            ]
        },
    )
}

pub fn customer_full(c: &Customer, components: &[Component]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "customer {}  {}", c.id, c.name);
    if !c.description.is_empty() {
        let _ = writeln!(out, "  {}", c.description);
    }
    let _ = writeln!(
        out,
        "  components: {}",
        component_names(&c.component_ids, components)
    );
    let _ = writeln!(
        out,
        "  private status link: {}",
        if c.has_status_link { "yes" } else { "none" }
    );
    let _ = writeln!(out, "  created: {}", time(&c.created_at));
    if c.contacts.is_empty() {
        out.push_str("  contacts: none\n");
    } else {
        out.push_str("  contacts:\n");
        for k in &c.contacts {
            let _ = writeln!(out, "    {}  {} ({}): {}", k.id, k.label, k.kind, k.target);
        }
    }
    out
}

pub fn contact_added(a: &CustomerContactAdded) -> String {
    let k = &a.contact;
    let mut out = format!(
        "contact {} added: {} ({}): {}\n",
        k.id, k.label, k.kind, k.target
    );
    if let Some(secret) = &a.secret {
        let _ = writeln!(out, "secret: {secret}");
        out.push_str("The webhook's signing secret is shown only once; give it to the customer.\n");
    }
    out
}

pub fn component_table(list: &[Component]) -> String {
    list_table(
        list,
        "no components",
        &["ID", "NAME", "SERVICE", "STATUS", "PUBLIC", "POSITION"],
        |c| {
            vec![
                c.id.to_string(),
                c.name.clone(),
                c.service.name.clone(),
                c.status.as_str().to_owned(),
                if c.public { "yes" } else { "no" }.to_owned(),
                c.position.to_string(),
            ]
        },
    )
}

/// Whom incident `id` affects, naming the customers from `customers`.
pub fn affected(id: i64, a: &IncidentAffected, customers: &[Customer]) -> String {
    let mut out = String::new();
    let mode = a.mode.map_or("not set yet", |m| m.as_str());
    let _ = writeln!(out, "{}: affected customers: {mode}", incident_ref(id));
    let names: Vec<String> = a
        .customer_ids
        .iter()
        .map(|cid| {
            customers
                .iter()
                .find(|c| c.id == *cid)
                .map_or_else(|| format!("#{cid}"), |c| c.name.clone())
        })
        .collect();
    let _ = writeln!(out, "  customers: {}", joined(&names, "none"));
    let comps: Vec<String> = a
        .components
        .iter()
        .map(|c| format!("{}={}", c.name, c.status))
        .collect();
    let _ = writeln!(out, "  components: {}", joined(&comps, "none"));
    out
}
