//! The arguments of `customer …`, `component …`, and `incident affected`
//! and `incident components`: customers with their contacts and
//! components, and whom an incident affects.

use clap::{Args, Subcommand};

use firebreak_api::customers::ComponentStatus;

use super::ClientArgs;
use super::values::{Named, named};

impl Named for ComponentStatus {
    const ALL: &'static [Self] = ComponentStatus::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn parse_name(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// List customers with their contacts and components.
    List(super::ListArgs),
    /// Show one customer.
    Show(CustomerArgs),
    /// Add a customer (admins and leads).
    Create(CustomerCreateArgs),
    /// Rename a customer or change its description.
    Update(CustomerUpdateArgs),
    /// Delete a customer and its contacts (refused while an incident names it).
    Delete(CustomerArgs),
    /// Add a contact: an email address or a signed webhook.
    AddContact(AddContactArgs),
    /// Remove a contact by its id (see `customer show`).
    RemoveContact(RemoveContactArgs),
    /// Set the components the customer uses (the whole set; none clears it).
    SetComponents(SetComponentsArgs),
    /// Make a new private status link (shown once; replaces the last one).
    StatusLink(CustomerArgs),
}

#[derive(Debug, Args)]
pub struct CustomerArgs {
    /// Customer name or id.
    pub customer: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct CustomerCreateArgs {
    pub name: String,
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").args(["name", "description"]).required(true).multiple(true)))]
pub struct CustomerUpdateArgs {
    /// Customer name or id.
    pub customer: String,
    /// The new name.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").args(["email", "webhook"]).required(true)))]
pub struct AddContactArgs {
    /// Customer name or id.
    pub customer: String,
    /// What the contact is called (`ops`, `status webhook`).
    #[arg(long)]
    pub label: String,
    /// An email address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// A webhook URL (public addresses only); notices are POSTed, signed.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// The webhook's signing secret; a random one is made (and shown once) when absent.
    #[arg(long, requires = "webhook")]
    pub secret: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct RemoveContactArgs {
    /// Customer name or id.
    pub customer: String,
    /// The contact's id.
    pub contact_id: i64,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct SetComponentsArgs {
    /// Customer name or id.
    pub customer: String,
    /// A component it uses, by name or id (repeat, or separate with commas).
    #[arg(long = "component", value_name = "NAME_OR_ID", value_delimiter = ',')]
    pub components: Vec<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum ComponentCommand {
    /// List components in page order with their state.
    List(super::ListArgs),
    /// Add a component of a service (admins and leads).
    Create(ComponentCreateArgs),
    /// Change a component's name, description, service, visibility or position.
    Update(ComponentUpdateArgs),
    /// Set a component's state now (outside an incident).
    SetStatus(ComponentStatusArgs),
}

#[derive(Debug, Args)]
pub struct ComponentCreateArgs {
    pub name: String,
    /// The service it belongs to.
    #[arg(long)]
    pub service: String,
    #[arg(long)]
    pub description: Option<String>,
    /// Keep it off the public status page.
    #[arg(long)]
    pub private: bool,
    /// Order on pages, lowest first (default: after the others).
    #[arg(long)]
    pub position: Option<i64>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change")
    .args(["name", "description", "service", "public", "position"]).required(true).multiple(true)))]
pub struct ComponentUpdateArgs {
    /// Component name or id.
    pub component: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long)]
    pub service: Option<String>,
    /// Shown on the public status page.
    #[arg(long, value_name = "true|false")]
    pub public: Option<bool>,
    #[arg(long)]
    pub position: Option<i64>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ComponentStatusArgs {
    /// Component name or id.
    pub component: String,
    #[arg(value_parser = named::<ComponentStatus>())]
    pub status: ComponentStatus,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `incident affected`: with no choice, shows whom the incident affects.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").args(["all", "nobody", "from_components", "customers"])))]
pub struct AffectedArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    /// Every customer is affected.
    #[arg(long)]
    pub all: bool,
    /// No customer is affected (an internal incident).
    #[arg(long)]
    pub nobody: bool,
    /// The customers who use the incident's affected components.
    #[arg(long)]
    pub from_components: bool,
    /// An affected customer, by name or id (repeat, or separate with commas).
    #[arg(long = "customer", value_name = "NAME_OR_ID", value_delimiter = ',')]
    pub customers: Vec<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `incident components`: with no choice, shows the affected components.
#[derive(Debug, Args)]
pub struct IncidentComponentsArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    /// An affected component and the state it is in: `NAME=STATUS` (repeat);
    /// the list replaces the incident's set.
    #[arg(
        long = "component",
        value_name = "NAME=STATUS",
        conflicts_with = "clear"
    )]
    pub components: Vec<String>,
    /// The incident affects no component any more.
    #[arg(long)]
    pub clear: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}
