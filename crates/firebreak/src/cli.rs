//! The command line, as clap derive types. The command and flag names are a
//! contract (scripts and docs/cli.md use them): change them only together
//! with the docs.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use firebreak_api::intake::{IntegrationKind, Mapping, Matcher};
use firebreak_api::{GateItem, Kind, Phase, ReportSource, ReportStatus, Role, Severity};

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
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Reports and the triage queue, over the API.
    #[command(subcommand)]
    Report(ReportCommand),
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

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The URL people reach the server at, used in links.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Also accept inbound email over SMTP on this address (off by default).
    #[arg(long, value_name = "ADDR")]
    pub smtp_listen: Option<String>,
    /// Open a private range or host for users' contact methods, as
    /// `[outgoing] allow` (repeat the flag; replaces the file's list).
    #[arg(long = "outgoing-allow", value_name = "CIDR|HOST")]
    pub outgoing_allow: Vec<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add(UserAddArgs),
    /// Change a user's role (audited; the last enabled admin keeps theirs).
    SetRole(UserSetRoleArgs),
    /// Disable a user: their sessions end and their tokens stop at once.
    Disable(UserNameArgs),
    /// Enable a disabled user again.
    Enable(UserNameArgs),
}

#[derive(Debug, Args)]
pub struct UserSetRoleArgs {
    pub name: String,
    #[arg(value_parser = named::<Role>())]
    pub role: Role,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct UserNameArgs {
    pub name: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// User name: letters, digits and . _ - @.
    pub name: String,
    #[arg(long, value_parser = named::<Role>())]
    pub role: Role,
    /// Read the password (at least 12 characters) from one line of stdin.
    /// Without it the user can sign in only with a token.
    #[arg(long)]
    pub password_stdin: bool,
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it, alone, on stdout.
    Create(TokenCreateArgs),
    /// List API tokens (never their secrets), of one user or of everyone.
    List(TokenListArgs),
    /// Revoke an API token by its id: it stops working at once.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Only this user's tokens.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id, as `token list` shows it.
    pub id: i64,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The user the token acts as.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// A label for the token, for example the script that uses it.
    #[arg(long, value_name = "LABEL")]
    pub name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit hash chain; exit 1 and name the first bad entry
    /// if it was tampered with, or, with `--checkpoint`, if the log is
    /// shorter than or differs from the checkpoint.
    Verify(AuditVerifyArgs),
    /// Print a signed checkpoint of the audit log's head, to keep somewhere
    /// else (signed with the audit key file, created if missing).
    Checkpoint(DbArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// A checkpoint printed by `firebreak audit checkpoint`: the log must
    /// still reach it and agree with it.
    #[arg(long, value_name = "TEXT")]
    pub checkpoint: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
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

/// One intake record (integration, rule, silence, maintenance window) by id.
#[derive(Debug, Args)]
pub struct IntakeIdArgs {
    /// Its id, as `list` shows it.
    #[arg(value_parser = clap::value_parser!(i64).range(1..))]
    pub id: i64,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Create an integration and print its URL and key (shown only once).
    Create(Box<IntegrationCreateArgs>),
    /// List the integrations.
    List(ListArgs),
    /// Show one integration.
    Show(IntakeIdArgs),
    /// Give the integration a new key (shown only once); the old one stops working.
    RotateKey(IntakeIdArgs),
    /// Disable the integration: its key stops working; its alerts and reports stay.
    Disable(IntakeIdArgs),
    /// Turn auto_declare on or off: whether critical and high alerts no rule
    /// matches declare an incident (and page) when their service is known.
    AutoDeclare(AutoDeclareArgs),
}

#[derive(Debug, Args)]
pub struct AutoDeclareArgs {
    /// Its id, as `list` shows it.
    #[arg(value_parser = clap::value_parser!(i64).range(1..))]
    pub id: i64,
    /// `on` or `off`.
    #[arg(value_name = "on|off", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub setting: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct IntegrationCreateArgs {
    /// Lower-case letters, digits, `-`, `_` and `.`; at most 48.
    pub name: String,
    /// What it receives.
    #[arg(long, value_parser = named::<IntegrationKind>())]
    pub kind: IntegrationKind,
    /// The service its reports are filed under when an alert names no known service.
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// For `generic` (and required there): where an alert's fields are in
    /// the tool's JSON, as a JSON object of JSON pointers:
    /// `{"title":"/alert/name","dedup_key":"/alert/id"}`.
    #[arg(long, value_name = "JSON", value_parser = parse_mapping, required_if_eq("kind", "generic"))]
    pub mapping: Option<Mapping>,
    /// For `grafana`: the contact point's HMAC secret; requests must then be signed.
    #[arg(long, value_name = "SECRET")]
    pub hmac_secret: Option<String>,
    /// For `grafana`: the timestamp header the contact point signs with.
    #[arg(long, value_name = "HEADER", requires = "hmac_secret")]
    pub hmac_timestamp_header: Option<String>,
    /// Declare (and page for) critical and high alerts that no routing rule
    /// matches, when their service is known: `on` (the default) or `off`.
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub auto_declare: Option<bool>,
    #[command(flatten)]
    pub client: ClientArgs,
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        other => Err(format!("`{other}` is not `on` or `off`")),
    }
}

#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// List the routing rules, in the order they are tried.
    List(ListArgs),
    /// Add a routing rule.
    Add(RuleAddArgs),
    /// Remove a routing rule (the audit log keeps its definition).
    Remove(IntakeIdArgs),
}

#[derive(Debug, Args)]
pub struct RuleAddArgs {
    /// The rule's name (1 to 100 characters).
    pub name: String,
    /// An Alertmanager matcher on the alert's labels: `severity="critical"`,
    /// `env=~"prod|live"`, `team!="qa"`. Repeat for more; all must hold.
    /// Without any, the rule matches every alert.
    #[arg(long = "matcher", value_name = "MATCHER", value_parser = parse_matcher)]
    pub matchers: Vec<Matcher>,
    /// File matching alerts under this service.
    #[arg(long, value_name = "SERVICE")]
    pub set_service: Option<String>,
    /// The kind of incident to declare.
    #[arg(long, value_name = "KIND", value_parser = named::<Kind>())]
    pub set_kind: Option<Kind>,
    /// Give matching alerts this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = named::<Severity>())]
    pub set_severity: Option<Severity>,
    /// Declare an incident from a matching alert at once, instead of leaving
    /// a report in the triage queue.
    #[arg(long)]
    pub declare: bool,
    /// Where the rule goes: lower first [default: after the last rule].
    #[arg(long, value_name = "N")]
    pub position: Option<i64>,
    /// Add the rule switched off.
    #[arg(long)]
    pub disabled: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum SilenceCommand {
    /// List the silences, newest first.
    List(ListArgs),
    /// Silence matching alerts until a given time.
    Add(SilenceAddArgs),
    /// End a silence now.
    Expire(IntakeIdArgs),
}

#[derive(Debug, Args)]
pub struct SilenceAddArgs {
    /// An Alertmanager matcher on the alert's labels: `alertname="DiskFull"`,
    /// `instance=~"db-.*"`. Repeat for more; all must hold, and at least one
    /// must not match the empty value.
    #[arg(long = "matcher", value_name = "MATCHER", value_parser = parse_matcher, required = true)]
    pub matchers: Vec<Matcher>,
    /// Start, RFC 3339 [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<DateTime<Utc>>,
    /// End, RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: DateTime<Utc>,
    /// Why; recorded with the silence.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// List the maintenance windows.
    List(ListArgs),
    /// Add a maintenance window for a service.
    Add(MaintenanceAddArgs),
    /// End a maintenance window now.
    End(IntakeIdArgs),
}

#[derive(Debug, Args)]
pub struct MaintenanceAddArgs {
    /// The service under maintenance.
    #[arg(long, value_name = "SERVICE")]
    pub service: String,
    /// Start, RFC 3339 [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<DateTime<Utc>>,
    /// End, RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: DateTime<Utc>,
    /// Why; recorded with the window.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// List alerts, newest first.
    List(AlertListArgs),
}

/// The statuses `alert list --status` takes.
pub const ALERT_STATUSES: &[&str] = &["open", "firing", "acknowledged", "resolved"];

#[derive(Debug, Args)]
pub struct AlertListArgs {
    /// `open` is firing or acknowledged.
    #[arg(long, value_parser = PossibleValuesParser::new(ALERT_STATUSES))]
    pub status: Option<String>,
    /// Only the alerts of this integration (its id).
    #[arg(long, value_name = "ID")]
    pub integration: Option<i64>,
    /// At most this many (1 to 1000) [default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub limit: Option<i64>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// An Alertmanager matcher given on the command line.
fn parse_matcher(s: &str) -> Result<Matcher, String> {
    s.parse::<Matcher>().map_err(|e| e.to_string())
}

/// A generic integration's mapping, as a JSON object.
fn parse_mapping(s: &str) -> Result<Mapping, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(v @ serde_json::Value::Object(_)) => {
            serde_json::from_value(v).map_err(|e| format!("not a mapping: {e}"))
        }
        Ok(_) => Err(
            "expected a JSON object, like {\"title\":\"/alert/name\",\"dedup_key\":\"/alert/id\"}"
                .to_owned(),
        ),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// An RFC 3339 time, in UTC.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("`{s}` is not an RFC 3339 time such as 2024-03-31T09:00:00+02:00 or 2024-03-31T07:00:00Z ({e})")
        })
}

/// A JSON object given on the command line.
fn parse_json_object(s: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err(
            "expected a JSON object, like {\"kind\":\"email\",\"to\":\"a@example.com\"}".to_owned(),
        ),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

#[derive(Debug, Args)]
pub struct DeclareArgs {
    #[arg(long)]
    pub title: String,
    #[arg(long, value_parser = named::<Kind>())]
    pub kind: Kind,
    /// Defaults to the severity the facts suggest.
    #[arg(long, value_parser = named::<Severity>())]
    pub severity: Option<Severity>,
    /// Why, when the severity differs from the one the facts suggest.
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub summary: Option<String>,
    /// Owner's user name.
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// Incident lead's user name.
    #[arg(long, value_name = "USER")]
    pub lead: Option<String>,
    /// Service name from the catalog.
    #[arg(long)]
    pub service: Option<String>,
    /// An impact fact that holds (repeat, or separate with commas).
    #[arg(long = "fact", value_name = "NAME", value_delimiter = ',', value_parser = fact_parser())]
    pub facts: Vec<String>,
    #[command(flatten)]
    pub client: ClientArgs,
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
    /// Owner's user name.
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// Incident lead's user name.
    #[arg(long, value_name = "USER")]
    pub lead: Option<String>,
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
    #[arg(long, value_parser = named::<Kind>())]
    pub kind: Kind,
    /// Defaults to the severity the facts suggest.
    #[arg(long, value_parser = named::<Severity>())]
    pub severity: Option<Severity>,
    /// Why, when the severity differs from the one the facts suggest.
    #[arg(long)]
    pub reason: Option<String>,
    /// Owner's user name.
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// Incident lead's user name.
    #[arg(long, value_name = "USER")]
    pub lead: Option<String>,
    /// The incident's title [default: the report's].
    #[arg(long)]
    pub title: Option<String>,
    /// An impact fact that holds (repeat, or separate with commas).
    #[arg(long = "fact", value_name = "NAME", value_delimiter = ',', value_parser = fact_parser())]
    pub facts: Vec<String>,
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

/// An enum with a fixed table of names, parsed by its own parser.
pub trait Named: Copy + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn parse_name(s: &str) -> Option<Self>;
}

/// The core enums implement `FromStr` from the same name table.
macro_rules! named_from_str {
    ($($ty:ty),+) => {$(
        impl Named for $ty {
            const ALL: &'static [Self] = <$ty>::ALL;
            fn name(self) -> &'static str {
                self.as_str()
            }
            fn parse_name(s: &str) -> Option<Self> {
                s.parse::<$ty>().ok()
            }
        }
    )+};
}

named_from_str!(Kind, Severity, Phase, GateItem, Role);

impl Named for ReportSource {
    const ALL: &'static [Self] = ReportSource::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn parse_name(s: &str) -> Option<Self> {
        ReportSource::parse(s)
    }
}

impl Named for ReportStatus {
    const ALL: &'static [Self] = &[
        ReportStatus::Untriaged,
        ReportStatus::Declared,
        ReportStatus::Linked,
        ReportStatus::Dismissed,
    ];
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn parse_name(s: &str) -> Option<Self> {
        ReportStatus::parse(s)
    }
}

impl Named for IntegrationKind {
    const ALL: &'static [Self] = &[
        IntegrationKind::Alertmanager,
        IntegrationKind::Pagerduty,
        IntegrationKind::Grafana,
        IntegrationKind::Generic,
        IntegrationKind::Email,
    ];
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn parse_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// A value parser listing the enum's names in help and errors.
pub fn named<T: Named>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|v| PossibleValue::new(v.name())))
        .try_map(|s: String| T::parse_name(&s).ok_or_else(|| format!("`{s}` is not a valid value")))
}

/// The names of the impact facts, from the wire type itself, so a new fact
/// needs no change here.
pub fn fact_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(
        || match serde_json::to_value(firebreak_api::ImpactFacts::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        },
    )
}

fn fact_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(fact_names().iter().map(|s| PossibleValue::new(s.as_str())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("firebreak").chain(args.iter().copied()))
    }

    #[test]
    fn enum_flags_parse_with_the_enum_names() {
        let cli = parse(&[
            "incident",
            "declare",
            "--title",
            "t",
            "--kind",
            "security",
            "--severity",
            "high",
            "--fact",
            "customer_data_accessed,sla_affected",
        ])
        .unwrap();
        let Command::Incident(IncidentCommand::Declare(d)) = cli.command else {
            panic!()
        };
        assert_eq!(d.kind, Kind::Security);
        assert_eq!(d.severity, Some(Severity::High));
        assert_eq!(d.facts, ["customer_data_accessed", "sla_affected"]);

        let err =
            parse(&["incident", "declare", "--title", "t", "--kind", "secruity"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(
            text.contains("secruity") && text.contains("availability"),
            "{text}"
        );

        let err = parse(&[
            "incident", "declare", "--title", "t", "--kind", "security", "--fact", "bogus",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("full_outage"), "{err}");

        let cli = parse(&[
            "report",
            "list",
            "--source",
            "disclosure",
            "--status",
            "dismissed",
        ])
        .unwrap();
        let Command::Report(ReportCommand::List(l)) = cli.command else {
            panic!()
        };
        assert_eq!(l.source, Some(ReportSource::Disclosure));
        assert_eq!(l.status, Some(ReportStatus::Dismissed));
    }

    #[test]
    fn check_needs_done_or_waive_with_a_reason() {
        assert!(
            parse(&[
                "incident",
                "check",
                "INC-1",
                "impact_contained",
                "--done",
                "--note",
                "n"
            ])
            .is_ok()
        );
        assert!(
            parse(&[
                "incident",
                "check",
                "INC-1",
                "impact_contained",
                "--waive",
                "--reason",
                "r"
            ])
            .is_ok()
        );
        for bad in [
            &["incident", "check", "INC-1", "impact_contained"][..],
            &["incident", "check", "INC-1", "impact_contained", "--waive"],
            &[
                "incident",
                "check",
                "INC-1",
                "impact_contained",
                "--done",
                "--waive",
                "--reason",
                "r",
            ],
            &[
                "incident",
                "check",
                "INC-1",
                "impact_contained",
                "--done",
                "--reason",
                "r",
            ],
            &["incident", "check", "INC-1", "no_such_item", "--done"],
        ] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn list_takes_open_or_closed_not_both() {
        assert!(parse(&["incident", "list", "--open"]).is_ok());
        assert!(parse(&["incident", "list", "--open", "--closed"]).is_err());
    }

    #[test]
    fn times_are_rfc3339_and_end_up_in_utc() {
        let cli = parse(&[
            "oncall",
            "--schedule",
            "primary",
            "--at",
            "2024-03-31T12:00:00+02:00",
        ])
        .unwrap();
        let Command::Oncall(a) = cli.command else {
            panic!()
        };
        assert_eq!(
            a.at.unwrap().to_rfc3339(),
            "2024-03-31T10:00:00+00:00".to_owned()
        );
        assert!(parse(&["oncall"]).is_ok());
        for bad in ["2024-03-31", "tomorrow", "2024-03-31 10:00"] {
            let err = parse(&["oncall", "--at", bad]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().contains("RFC 3339"), "{err}");
        }
        let err = parse(&["schedule", "shifts", "p", "--from", "x"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn contact_channels_are_json_objects() {
        let cli = parse(&[
            "contact",
            "add",
            "alice",
            "--label",
            "mail",
            "--channel-json",
            r#"{"kind":"email","to":"a@example.com"}"#,
            "--delay-secs",
            "60",
        ])
        .unwrap();
        let Command::Contact(ContactCommand::Add(a)) = cli.command else {
            panic!()
        };
        assert_eq!(a.channel_json["to"], "a@example.com");
        assert_eq!(a.delay_secs, Some(60));
        for bad in [r#"{"kind":"#, "[1]", "email"] {
            let err = parse(&[
                "contact",
                "add",
                "alice",
                "--label",
                "l",
                "--channel-json",
                bad,
            ])
            .unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn service_escalation_sets_something_or_clears() {
        assert!(parse(&["service", "escalation", "api", "--policy", "p"]).is_ok());
        assert!(parse(&["service", "escalation", "api", "--runbook-file", "-"]).is_ok());
        assert!(parse(&["service", "escalation", "api", "--clear"]).is_ok());
        assert_eq!(
            parse(&["service", "escalation", "api"])
                .unwrap_err()
                .exit_code(),
            2
        );
        assert!(parse(&["service", "escalation", "api", "--clear", "--policy", "p"]).is_err());
    }

    #[test]
    fn escalate_needs_a_target_and_a_reason() {
        assert!(
            parse(&[
                "incident",
                "escalate",
                "INC-1",
                "--to",
                "leadership",
                "--reason",
                "r"
            ])
            .is_ok()
        );
        assert!(parse(&["incident", "escalate", "INC-1", "--to", "leadership"]).is_err());
        assert!(parse(&["incident", "escalate", "INC-1", "--reason", "r"]).is_err());
        assert!(parse(&["incident", "ack", "INC-1", "--json"]).is_ok());
        assert!(parse(&["schedule", "put", "primary"]).is_err());
        assert!(parse(&["policy", "put", "lead", "--file", "-"]).is_ok());
    }

    #[test]
    fn integration_kinds_parse_by_name() {
        for kind in IntegrationKind::ALL {
            // A new kind fails to compile here until it is in `ALL`.
            match kind {
                IntegrationKind::Alertmanager
                | IntegrationKind::Pagerduty
                | IntegrationKind::Grafana
                | IntegrationKind::Generic
                | IntegrationKind::Email => {}
            }
            let cli = parse(&["integration", "create", "x", "--kind", kind.as_str()]);
            if *kind == IntegrationKind::Generic {
                // A generic integration needs its mapping.
                assert_eq!(cli.unwrap_err().exit_code(), 2);
                continue;
            }
            let Command::Integration(IntegrationCommand::Create(a)) = cli.unwrap().command else {
                panic!()
            };
            assert_eq!(a.kind, *kind);
        }
        let err = parse(&["integration", "create", "x", "--kind", "nagios"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(
            text.contains("nagios") && text.contains("alertmanager"),
            "{text}"
        );
    }

    #[test]
    fn generic_mappings_are_json_objects() {
        let cli = parse(&[
            "integration",
            "create",
            "hooks",
            "--kind",
            "generic",
            "--mapping",
            r#"{"title":"/alert/name","dedup_key":"/alert/id"}"#,
        ])
        .unwrap();
        let Command::Integration(IntegrationCommand::Create(a)) = cli.command else {
            panic!()
        };
        assert_eq!(a.mapping.unwrap().title, "/alert/name");
        for (bad, says) in [
            (r#"{"title":"#, "not valid JSON"),
            ("[1]", "expected a JSON object"),
            (r#"{"title":"/a","bogus":1}"#, "bogus"),
        ] {
            let err = parse(&[
                "integration",
                "create",
                "hooks",
                "--kind",
                "generic",
                "--mapping",
                bad,
            ])
            .unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().contains(says), "{bad}: {err}");
        }
        // A timestamp header only with a secret.
        assert!(
            parse(&[
                "integration",
                "create",
                "g",
                "--kind",
                "grafana",
                "--hmac-timestamp-header",
                "X-Ts"
            ])
            .is_err()
        );
        assert!(
            parse(&[
                "integration",
                "create",
                "g",
                "--kind",
                "grafana",
                "--hmac-secret",
                "s",
                "--hmac-timestamp-header",
                "X-Ts"
            ])
            .is_ok()
        );
    }

    #[test]
    fn rules_take_matchers_and_settings() {
        let cli = parse(&[
            "rule",
            "add",
            "db-critical",
            "--matcher",
            r#"team="db""#,
            "--matcher",
            r#"severity=~"critical|page""#,
            "--set-service",
            "payments",
            "--set-kind",
            "availability",
            "--set-severity",
            "critical",
            "--declare",
            "--position",
            "5",
            "--disabled",
        ])
        .unwrap();
        let Command::Rule(RuleCommand::Add(a)) = cli.command else {
            panic!()
        };
        let matchers: Vec<String> = a.matchers.iter().map(ToString::to_string).collect();
        assert_eq!(matchers, [r#"team="db""#, r#"severity=~"critical|page""#]);
        assert_eq!(a.set_kind, Some(Kind::Availability));
        assert_eq!(a.set_severity, Some(Severity::Critical));
        assert!(a.declare && a.disabled);
        assert_eq!(a.position, Some(5));
        for bad in [
            &["rule", "add", "r", "--matcher", "not a matcher"][..],
            &["rule", "add", "r", "--matcher", r#"env=~"(""#],
            &["rule", "add", "r", "--set-kind", "outage"],
            &["rule", "add", "r", "--set-severity", "sev1"],
            &["rule", "remove", "0"],
            &["rule", "remove", "x"],
        ] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn silences_and_windows_need_an_end_and_a_reason() {
        let cli = parse(&[
            "silence",
            "add",
            "--matcher",
            r#"alertname="DiskFull""#,
            "--until",
            "2030-01-01T02:00:00+02:00",
            "--reason",
            "r",
        ])
        .unwrap();
        let Command::Silence(SilenceCommand::Add(a)) = cli.command else {
            panic!()
        };
        assert_eq!(a.until.to_rfc3339(), "2030-01-01T00:00:00+00:00");
        assert_eq!(a.from, None);
        for bad in [
            &[
                "silence",
                "add",
                "--until",
                "2030-01-01T00:00:00Z",
                "--reason",
                "r",
            ][..],
            &["silence", "add", "--matcher", r#"a="b""#, "--reason", "r"],
            &[
                "silence",
                "add",
                "--matcher",
                r#"a="b""#,
                "--until",
                "2030-01-01T00:00:00Z",
            ],
            &[
                "maintenance",
                "add",
                "--until",
                "2030-01-01T00:00:00Z",
                "--reason",
                "r",
            ],
        ] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
        let err = parse(&[
            "maintenance",
            "add",
            "--service",
            "s",
            "--until",
            "friday",
            "--reason",
            "r",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("RFC 3339") && err.to_string().contains("--until"),
            "{err}"
        );
    }

    #[test]
    fn alert_lists_filter_by_known_statuses() {
        let cli = parse(&[
            "alert",
            "list",
            "--status",
            "firing",
            "--integration",
            "2",
            "--limit",
            "10",
        ])
        .unwrap();
        let Command::Alert(AlertCommand::List(a)) = cli.command else {
            panic!()
        };
        assert_eq!(a.status.as_deref(), Some("firing"));
        assert_eq!((a.integration, a.limit), (Some(2), Some(10)));
        assert!(parse(&["alert", "list", "--status", "silenced"]).is_err());
        assert!(parse(&["alert", "list", "--limit", "0"]).is_err());
    }

    #[test]
    fn assign_needs_someone() {
        assert!(parse(&["incident", "assign", "INC-1"]).is_err());
        assert!(parse(&["incident", "assign", "INC-1", "--lead", "x"]).is_ok());
        assert!(parse(&["incident", "assign", "INC-1", "--owner", "x"]).is_ok());
        assert!(parse(&["incident", "assign", "INC-1", "--owner", "x", "--lead", "y"]).is_ok());
    }

    #[test]
    fn assign_says_either_owner_or_lead_will_do() {
        let err = parse(&["incident", "assign", "INC-1"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--owner") && err.contains("--lead"), "{err}");
        let help = {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            let assign = cmd
                .find_subcommand_mut("incident")
                .and_then(|c| c.find_subcommand_mut("assign"))
                .unwrap();
            assign.render_usage().to_string()
        };
        assert!(help.contains("--lead"), "{help}");
    }
}
