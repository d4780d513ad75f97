//! The arguments of `disclosure …`: the security team's side of
//! responsible disclosure. A disclosure is named by its id or tracking id
//! (`VULN-2026-0007`).

use clap::{Args, Subcommand};

use super::ClientArgs;

#[derive(Debug, Subcommand)]
pub enum DisclosureCommand {
    /// Disclosures, newest first, with their next due date.
    List(DisclosureListArgs),
    /// Enter a disclosure reported to staff (e.g. by phone).
    Create(DisclosureCreateArgs),
    /// One disclosure: the record, due dates, messages, files, timeline.
    Show(DisclosureRefArgs),
    /// Reply to the researcher (emailed when they gave an address), or add
    /// an internal note.
    Reply(DisclosureReplyArgs),
    /// Acknowledge (the researcher is told).
    Ack(DisclosureRefArgs),
    /// Record the triage verdict.
    Triage(DisclosureTriageArgs),
    /// Score a CVSS v3.x or v4.0 vector; the severity follows.
    Cvss(DisclosureCvssArgs),
    /// Move the public-disclosure date (a reason is required).
    Embargo(DisclosureEmbargoArgs),
    /// Move to acknowledged, fixed or disclosed.
    State(DisclosureStateArgs),
    /// Declare the security incident that fixes it.
    Declare(DisclosureDeclareArgs),
}

#[derive(Debug, Args)]
pub struct DisclosureListArgs {
    /// received, acknowledged, triaged, fixing, fixed or disclosed.
    #[arg(long)]
    pub state: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureRefArgs {
    /// Id or tracking id.
    pub disclosure: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureReplyArgs {
    pub disclosure: String,
    pub body: String,
    /// An internal note the researcher never sees.
    #[arg(long)]
    pub internal: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureTriageArgs {
    pub disclosure: String,
    /// valid, duplicate or not_applicable.
    pub outcome: String,
    /// Required for not_applicable; told to the researcher.
    #[arg(long)]
    pub reason: Option<String>,
    /// The other disclosure's tracking id, for duplicate.
    #[arg(long)]
    pub duplicate_of: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureCvssArgs {
    pub disclosure: String,
    /// e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
    pub vector: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureEmbargoArgs {
    pub disclosure: String,
    /// The new date, `2026-09-30` (UTC) or RFC 3339.
    pub until: String,
    /// Why (told to the researcher).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureStateArgs {
    pub disclosure: String,
    /// acknowledged, fixed or disclosed.
    pub state: String,
    /// Told to the researcher.
    #[arg(long)]
    pub message: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureDeclareArgs {
    pub disclosure: String,
    /// The incident's severity [default: the disclosure's].
    #[arg(long)]
    pub severity: Option<String>,
    /// User name of the incident lead.
    #[arg(long)]
    pub lead: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DisclosureCreateArgs {
    #[arg(long)]
    pub title: String,
    #[arg(long)]
    pub description: String,
    #[arg(long, default_value = "")]
    pub steps: String,
    #[arg(long, default_value = "")]
    pub impact: String,
    #[arg(long, default_value = "")]
    pub asset: String,
    /// The researcher's name.
    #[arg(long)]
    pub name: Option<String>,
    /// The researcher's email: the acknowledgment and replies go there.
    #[arg(long)]
    pub email: Option<String>,
    /// The researcher agrees to be credited.
    #[arg(long)]
    pub credit: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}
