//! The arguments of `report …`: submitting reports and triaging them.

use clap::{Args, Subcommand};

use firebreak_api::{ReportSource, ReportStatus};

use super::values::named;
use super::{ClassArgs, ClientArgs, FactArgs, PeopleArgs};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Submit a report to the triage queue.
    Submit(SubmitArgs),
    /// List reports: the triage queue (untriaged, oldest first) by default.
    List(ReportListArgs),
    /// Show one report.
    Show(ReportIdArgs),
    /// Declare an incident from an untriaged report.
    Declare(ReportDeclareArgs),
    /// Link an untriaged report to an existing incident.
    Link(LinkArgs),
    /// Dismiss an untriaged report, with a reason.
    Dismiss(DismissArgs),
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[arg(long)]
    pub title: String,
    #[arg(long)]
    pub description: Option<String>,
    /// Where the report came from [default: api].
    #[arg(long, value_parser = named::<ReportSource>())]
    pub source: Option<ReportSource>,
    /// Who reported it [default: you].
    #[arg(long)]
    pub reporter: Option<String>,
    /// Visible only to the security team and admins (always so for disclosures).
    #[arg(long)]
    pub confidential: bool,
    /// Service name from the catalog.
    #[arg(long)]
    pub service: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ReportListArgs {
    #[arg(long, value_parser = named::<ReportSource>())]
    pub source: Option<ReportSource>,
    /// [default: untriaged]
    #[arg(long, value_parser = named::<ReportStatus>())]
    pub status: Option<ReportStatus>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ReportIdArgs {
    /// Report id.
    pub id: i64,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ReportDeclareArgs {
    /// Report id.
    pub id: i64,
    #[command(flatten)]
    pub class: ClassArgs,
    #[command(flatten)]
    pub people: PeopleArgs,
    /// The incident's title [default: the report's].
    #[arg(long)]
    pub title: Option<String>,
    #[command(flatten)]
    pub facts: FactArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Report id.
    pub id: i64,
    /// Incident id or reference (`INC-3`).
    #[arg(long, value_name = "INC-n")]
    pub incident: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DismissArgs {
    /// Report id.
    pub id: i64,
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub client: ClientArgs,
}
