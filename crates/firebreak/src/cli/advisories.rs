//! The arguments of `advisory …`: a disclosure's advisory, drafted,
//! edited and published (security team and admins).

use clap::{Args, Subcommand};

use super::{ClientArgs, ListArgs};

#[derive(Debug, Subcommand)]
pub enum AdvisoryCommand {
    /// Draft the advisory of a disclosure from it (title, summary, affected,
    /// severity with the CVSS vector, credit when the researcher agreed).
    Draft(AdvisoryOfArgs),
    /// A disclosure's advisory, draft or published.
    Show(AdvisoryOfArgs),
    /// Change an advisory's fields (the severity follows the disclosure's).
    Edit(AdvisoryEditArgs),
    /// Publish an advisory at /security/advisories (once its disclosure is
    /// disclosed).
    Publish(AdvisoryIdArgs),
    /// Every advisory, drafts included, newest first.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AdvisoryOfArgs {
    /// The disclosure's id.
    pub disclosure: i64,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct AdvisoryIdArgs {
    /// The advisory's id.
    pub advisory: i64,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct AdvisoryEditArgs {
    /// The advisory's id.
    pub advisory: i64,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub summary: Option<String>,
    /// Affected versions or assets.
    #[arg(long)]
    pub affected: Option<String>,
    /// The fixed version, or what users must do.
    #[arg(long)]
    pub fix: Option<String>,
    /// Whom to credit (only when the researcher agreed); "" for no one.
    #[arg(long)]
    pub credit: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}
