//! The arguments of the escalation commands: `oncall`, `schedule …`,
//! `policy …`, `service …` and `contact …`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use super::values::{parse_json_object, parse_time};
use super::{ClientArgs, ListArgs, NameArgs};

#[derive(Debug, Args)]
pub struct OncallArgs {
    /// Only this schedule [default: every schedule].
    #[arg(long, value_name = "NAME")]
    pub schedule: Option<String>,
    /// The instant to ask about, RFC 3339 (`2024-03-31T09:00:00+02:00`) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Create or replace a schedule from a JSON file (`-` for stdin).
    Put(PutArgs),
    /// List schedules.
    List(ListArgs),
    /// Show a schedule's definition.
    Show(NameArgs),
    /// The schedule's final on-call timeline over a range.
    Shifts(ShiftsArgs),
    /// A user's shifts on the schedule as an iCalendar feed (the coming 90 days).
    Calendar(CalendarArgs),
}

#[derive(Debug, Args)]
pub struct PutArgs {
    pub name: String,
    /// The JSON definition; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ShiftsArgs {
    pub name: String,
    /// Start of the range, RFC 3339 [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<DateTime<Utc>>,
    /// End of the range, RFC 3339 [default: two weeks after --from].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    pub name: String,
    /// The user whose shifts to list.
    pub user: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create or replace an escalation policy from a JSON file (`-` for stdin).
    Put(PutArgs),
    /// List escalation policies.
    List(ListArgs),
    /// Show one escalation policy.
    Show(NameArgs),
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Add a service to the catalog.
    Create(ServiceCreateArgs),
    /// List the services in the catalog.
    List(ListArgs),
    /// Set the service's escalation policy and runbook. Both are replaced:
    /// one left out is cleared.
    Escalation(ServiceEscalationArgs),
}

#[derive(Debug, Args)]
pub struct ServiceCreateArgs {
    pub name: String,
    /// The team that owns the service.
    #[arg(long, value_name = "TEAM")]
    pub owner_team: String,
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("setting")
        .required(true)
        .multiple(true)
        .args(["policy", "runbook_file", "clear"])
))]
pub struct ServiceEscalationArgs {
    /// Service name.
    pub name: String,
    /// The escalation policy that pages for the service's incidents
    /// [default: none, so the configured incident-lead policy applies].
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<String>,
    /// Markdown runbook (the escalation path); `-` reads standard input
    /// [default: empty].
    #[arg(long, value_name = "FILE")]
    pub runbook_file: Option<PathBuf>,
    /// Remove the service's policy and runbook.
    #[arg(long, conflicts_with_all = ["policy", "runbook_file"])]
    pub clear: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Add a way to reach a user when they are paged.
    Add(ContactAddArgs),
    /// List a user's contact methods.
    List(ContactListArgs),
}

#[derive(Debug, Args)]
pub struct ContactAddArgs {
    /// The user to reach (yourself, or anyone for admins).
    pub user: String,
    /// A name for the method, e.g. `phone` or `pager webhook`.
    #[arg(long)]
    pub label: String,
    /// The channel, as JSON: `{"kind":"email","to":"a@example.com"}`,
    /// `{"kind":"webhook","url":"https://…","secret":"…"}`,
    /// `{"kind":"slack","webhook_url":"…"}`, `{"kind":"teams","webhook_url":"…"}`
    /// or `{"kind":"http",…}`.
    #[arg(long, value_name = "JSON", value_parser = parse_json_object)]
    pub channel_json: serde_json::Value,
    /// Use this method this many seconds after a page (0–86400) [default: 0].
    #[arg(long, value_name = "N")]
    pub delay_secs: Option<i64>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ContactListArgs {
    pub user: String,
    #[command(flatten)]
    pub client: ClientArgs,
}
