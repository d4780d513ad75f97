//! The arguments of `incident …`: declaring, listing, showing and changing
//! incidents, and escalating them by hand.

use clap::{Args, Subcommand};

use firebreak_api::{GateItem, Kind, Phase, Severity};

use super::ClientArgs;
use super::values::{fact_parser, named};

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Declare an incident.
    Declare(DeclareArgs),
    /// List incidents you can see, newest first.
    List(IncidentListArgs),
    /// Show an incident, its checklist by phase, and its whole timeline.
    Show(IncidentIdArgs),
    /// Move an incident to another phase.
    Transition(TransitionArgs),
    /// Mark a checklist item done, or waive it with a reason.
    Check(CheckArgs),
    /// Add a note to the timeline.
    Note(NoteArgs),
    /// Assign the owner and/or the incident lead.
    Assign(AssignArgs),
    /// Change the severity, with a reason.
    Severity(SeverityArgs),
    /// Print the whole timeline.
    Timeline(IncidentIdArgs),
    /// Add a person to the incident (on a security incident, lets them see it).
    Member(MemberArgs),
    /// Acknowledge the incident's pages: their escalation stops.
    Ack(IncidentIdArgs),
    /// Escalate by hand: page the incident lead, notify leadership, or page one user.
    Escalate(EscalateArgs),
    /// Every escalation of the incident: when, level, rule, to whom, state, why.
    Escalations(IncidentIdArgs),
    /// The notifications sent (or being sent) for the incident.
    Notifications(IncidentIdArgs),
    /// Whom the incident affects: show, or set with --all, --nobody,
    /// --from-components or --customer.
    Affected(super::AffectedArgs),
    /// The components the incident affects: show, or set with --component NAME=STATUS.
    Components(super::IncidentComponentsArgs),
}

#[derive(Debug, Args)]
pub struct DeclareArgs {
    #[arg(long)]
    pub title: String,
    #[command(flatten)]
    pub class: ClassArgs,
    #[arg(long)]
    pub summary: Option<String>,
    #[command(flatten)]
    pub people: PeopleArgs,
    /// Service name from the catalog.
    #[arg(long)]
    pub service: Option<String>,
    #[command(flatten)]
    pub facts: FactArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// The kind and severity an incident is declared with (`incident declare`,
/// `report declare`).
#[derive(Debug, Args)]
pub struct ClassArgs {
    #[arg(long, value_parser = named::<Kind>())]
    pub kind: Kind,
    /// Defaults to the severity the facts suggest.
    #[arg(long, value_parser = named::<Severity>())]
    pub severity: Option<Severity>,
    /// Why, when the severity differs from the one the facts suggest.
    #[arg(long)]
    pub reason: Option<String>,
}

/// The impact facts that hold, by name (`incident declare`, `report
/// declare`).
#[derive(Debug, Args)]
pub struct FactArgs {
    /// An impact fact that holds (repeat, or separate with commas).
    #[arg(long = "fact", value_name = "NAME", value_delimiter = ',', value_parser = fact_parser())]
    pub facts: Vec<String>,
}

/// An incident's owner and lead, by user name.
#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// Owner's user name.
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// Incident lead's user name.
    #[arg(long, value_name = "USER")]
    pub lead: Option<String>,
}

#[derive(Debug, Args)]
pub struct IncidentListArgs {
    #[arg(long, value_parser = named::<Phase>())]
    pub phase: Option<Phase>,
    #[arg(long, value_parser = named::<Severity>())]
    pub severity: Option<Severity>,
    #[arg(long, value_parser = named::<Kind>())]
    pub kind: Option<Kind>,
    /// Only incidents not closed.
    #[arg(long, conflicts_with = "closed")]
    pub open: bool,
    /// Only closed incidents.
    #[arg(long)]
    pub closed: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct IncidentIdArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct TransitionArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    #[arg(long, value_parser = named::<Phase>())]
    pub to: Phase,
    /// Why; needed to move back.
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    /// Checklist item.
    #[arg(value_parser = named::<GateItem>())]
    pub item: GateItem,
    /// Mark the item done.
    #[arg(long, conflicts_with = "waive", required_unless_present = "waive")]
    pub done: bool,
    /// Waive the item (needs --reason).
    #[arg(long, requires = "reason")]
    pub waive: bool,
    /// A note on how it was done.
    #[arg(long, conflicts_with = "waive")]
    pub note: Option<String>,
    /// Why the item is waived.
    #[arg(long, conflicts_with = "done")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    /// The note.
    pub text: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").args(["owner", "lead"]).required(true).multiple(true)))]
pub struct AssignArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    #[command(flatten)]
    pub people: PeopleArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct SeverityArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    #[arg(value_parser = named::<Severity>())]
    pub severity: Severity,
    /// Why the severity changes.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct MemberArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    /// User name of the person to add.
    pub user: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct EscalateArgs {
    /// Incident id or reference (`INC-3`).
    pub id: String,
    /// `incident_lead` (a page by policy), `leadership` (a notice to the
    /// configured group), or a user name (a page to that user).
    #[arg(long, value_name = "incident_lead|leadership|USER")]
    pub to: String,
    /// Why; recorded with the escalation.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub client: ClientArgs,
}
