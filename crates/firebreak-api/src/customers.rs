//! Customers, the components they use, and whom an incident affects
//! (issue 11): the shapes of `/api/v1/customers`, `/api/v1/components` and
//! `/api/v1/incidents/{id}/affected|components`.
//!
//! A customer's contacts are where notices go: an email address or a signed
//! webhook. A webhook's secret is never returned after the contact is
//! added (the answer to adding it shows a generated one once).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use firebreak_core::status::{AffectedMode, ComponentStatus, PublicStatus};

/// A customer (a tenant) with its contacts and the components it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub contacts: Vec<CustomerContact>,
    /// The components this customer uses, by id.
    pub component_ids: Vec<i64>,
    /// Whether a private status link exists (its token is shown only once).
    pub has_status_link: bool,
    pub created_at: DateTime<Utc>,
}

/// How a customer contact is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerContactKind {
    Email,
    Webhook,
}

impl CustomerContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerContactKind::Email => "email",
            CustomerContactKind::Webhook => "webhook",
        }
    }
}

impl std::fmt::Display for CustomerContactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a customer is told: an email address or a webhook URL (signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerContact {
    pub id: i64,
    pub customer_id: i64,
    pub label: String,
    pub kind: CustomerContactKind,
    /// The address or the URL (never the webhook's secret).
    pub target: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A new contact: an email address, or a webhook URL with an optional
/// secret (a random one is generated when none is given).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCustomerContact {
    pub label: String,
    pub kind: CustomerContactKind,
    pub target: String,
    #[serde(default)]
    pub secret: Option<String>,
}

/// The answer to adding a contact: the contact, and for a webhook whose
/// secret was generated, that secret (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerContactAdded {
    pub contact: CustomerContact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCustomerComponents {
    pub component_ids: Vec<i64>,
}

/// A customer's private status link, shown once; a new one replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusLink {
    pub url: String,
}

/// A service as a component names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceRef {
    pub id: i64,
    pub name: String,
}

/// A part of a service that customers use, with its state now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Component {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub service: ServiceRef,
    pub status: ComponentStatus,
    /// Shown on the public status page.
    pub public: bool,
    /// Order on pages, lowest first.
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComponent {
    pub name: String,
    /// The service's name.
    pub service: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Shown on the public status page (default true).
    #[serde(default)]
    pub public: Option<bool>,
    /// Order on pages (default: after the others).
    #[serde(default)]
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateComponent {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The service's name.
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub public: Option<bool>,
    #[serde(default)]
    pub position: Option<i64>,
    /// The component's state now (recorded for its uptime history).
    #[serde(default)]
    pub status: Option<ComponentStatus>,
}

/// A component an incident affects, with the state it gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AffectedComponent {
    pub component_id: i64,
    pub name: String,
    pub status: ComponentStatus,
}

/// Whom an incident affects. `customer_ids` is the resolved set: the
/// customers listed (mode `customers`), the customers of the affected
/// components (`components`), every customer (`all`), none (`nobody`, or no
/// mode set yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentAffected {
    pub mode: Option<AffectedMode>,
    pub customer_ids: Vec<i64>,
    pub components: Vec<AffectedComponent>,
    /// Who last set the mode, and when.
    #[serde(default)]
    pub set_by: Option<String>,
    #[serde(default)]
    pub set_at: Option<DateTime<Utc>>,
}

/// `PUT /api/v1/incidents/{id}/affected`: `customer_ids` only with mode
/// `customers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetIncidentAffected {
    pub mode: AffectedMode,
    #[serde(default)]
    pub customer_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentState {
    pub component_id: i64,
    pub status: ComponentStatus,
}

/// `PUT /api/v1/incidents/{id}/components`: the whole set (an empty list
/// clears it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetIncidentComponents {
    pub components: Vec<ComponentState>,
}
