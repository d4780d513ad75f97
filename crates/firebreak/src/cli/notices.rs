//! The arguments of `notices …`: an incident's customer communication.

use clap::{Args, Subcommand};

use super::ClientArgs;

#[derive(Debug, Subcommand)]
pub enum NoticesCommand {
    /// What the incident owes its customers, to whom, and its notices.
    List(NoticesListArgs),
    /// Draft a notice from the template (unset fields come from it).
    Draft(NoticeDraftArgs),
    /// Send a draft to the affected customers' contacts.
    Send(NoticeSendArgs),
}

#[derive(Debug, Args)]
pub struct NoticesListArgs {
    /// Incident id or reference (`INC-3`).
    pub incident: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct NoticeDraftArgs {
    /// Incident id or reference (`INC-3`).
    pub incident: String,
    /// customer_notice, update, formal_notice, status_post or
    /// post_incident_report [default: what the rules ask next].
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub impact: Option<String>,
    /// What we are doing.
    #[arg(long)]
    pub actions: Option<String>,
    /// Never sent: stays on the incident.
    #[arg(long)]
    pub internal_note: Option<String>,
    /// investigating, identified, monitoring or resolved [default: the
    /// phase's word].
    #[arg(long)]
    pub public_status: Option<String>,
    /// Post it on the status page too.
    #[arg(long)]
    pub status_page: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct NoticeSendArgs {
    /// Incident id or reference (`INC-3`).
    pub incident: String,
    /// The draft's id.
    pub notice: i64,
    /// Approve the wording (required for a security incident).
    #[arg(long)]
    pub approve: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}
