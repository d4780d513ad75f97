//! The command line, as clap derive types. The command and flag names are a
//! contract (scripts and docs/cli.md use them): change them only together
//! with the docs.
//!
//! This module holds the top level ([`Cli`], [`Command`]) and what every
//! group shares (where the database is, how to reach the server); each
//! command group's arguments are in a module of their own, and the value
//! parsers they share are in [`values`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod advisories;
mod customers;
mod disclosures;
mod escalation;
mod incidents;
mod intake;
mod local;
mod notices;
mod reports;
mod values;

pub use advisories::*;
pub use customers::*;
pub use disclosures::*;
pub use escalation::*;
pub use incidents::*;
pub use intake::*;
pub use local::*;
pub use notices::*;
pub use reports::*;

#[derive(Debug, Parser)]
#[command(
    name = "firebreak",
    version,
    about = "Firebreak incident response: the server, local admin commands and an API client.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: apply migrations, create the first admin, serve HTTP.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Manage users directly in the database.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens directly in the database.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit log directly in the database.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Incidents, over the API.
    #[command(subcommand, visible_alias = "incidents")]
    Incident(IncidentCommand),
    /// Reports and the triage queue, over the API.
    #[command(subcommand)]
    Report(ReportCommand),
    /// An incident's customer communication: what is owed, drafting and
    /// sending notices, over the API.
    #[command(subcommand)]
    Notices(NoticesCommand),
    /// Who is on call, now or at a given time, and who is next.
    Oncall(OncallArgs),
    /// Check that every paging path reaches someone now (admins): policy →
    /// schedule → on call → contact method → channel; exit 1 naming each
    /// missing link.
    Doctor(ListArgs),
    /// On-call schedules, over the API.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Escalation policies, over the API.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Services: the catalog, and each one's escalation policy and runbook.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// How users are reached when paged, over the API.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Intake integrations: where monitoring and paging tools send alerts (admins).
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Intake routing rules: what matching alerts become.
    #[command(subcommand)]
    Rule(RuleCommand),
    /// Silences: matching alerts are logged and visible, never declared.
    #[command(subcommand)]
    Silence(SilenceCommand),
    /// Maintenance windows: a service's alerts are logged and visible, never declared.
    #[command(subcommand)]
    Maintenance(MaintenanceCommand),
    /// Alerts received by intake.
    #[command(subcommand)]
    Alert(AlertCommand),
    /// Customers: their contacts, the components they use, private status links.
    #[command(subcommand, visible_alias = "customers")]
    Customer(CustomerCommand),
    /// Components: the parts of services customers use, and their state.
    #[command(subcommand, visible_alias = "components")]
    Component(ComponentCommand),
    /// Security advisories of disclosures: draft, edit, publish (security
    /// team and admins).
    #[command(subcommand, visible_alias = "advisories")]
    Advisory(AdvisoryCommand),
    /// Responsible disclosures, the security team's side: list, show,
    /// reply, acknowledge, triage, CVSS, embargo, state, declare.
    #[command(subcommand, visible_alias = "disclosures")]
    Disclosure(DisclosureCommand),
}

/// Where the database is. Each setting may also come from the config file
/// or a `FIREBREAK_` environment variable; flags win.
#[derive(Debug, Clone, Default, Args)]
pub struct DbArgs {
    /// Directory of the SQLite database (`<DIR>/firebreak.db`) [default: ./firebreak-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `postgres://…` for PostgreSQL, `sqlite:PATH` or a path for SQLite.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// TOML config file.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_CONFIG")]
    pub config: Option<PathBuf>,
}

/// How to reach the server, and how to print its answer.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Server URL.
    #[arg(
        long,
        value_name = "URL",
        env = "FIREBREAK_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// API token (see `firebreak token create`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FIREBREAK_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Print the server's JSON answer instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A command that takes nothing but the connection.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}

/// A command on one named thing.
#[derive(Debug, Args)]
pub struct NameArgs {
    pub name: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[cfg(test)]
mod tests;
