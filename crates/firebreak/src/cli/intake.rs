//! The arguments of the intake commands: `integration …`, `rule …`,
//! `silence …`, `maintenance …` and `alert list`, and the parsers of their
//! values (matchers, a generic integration's mapping, `on`/`off`).

use chrono::{DateTime, Utc};
use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};

use firebreak_api::intake::{IntegrationKind, Mapping, Matcher};
use firebreak_api::{Kind, Severity};

use super::values::{json_object, named, parse_time};
use super::{ClientArgs, ListArgs};

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
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Why; recorded with the silence.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// When a silence or maintenance window holds.
#[derive(Debug, Args)]
pub struct PeriodArgs {
    /// Start, RFC 3339 [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<DateTime<Utc>>,
    /// End, RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: DateTime<Utc>,
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
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Why; recorded with the window.
    #[arg(long)]
    pub reason: String,
    /// Show the window on the public status page under this title.
    #[arg(long, value_name = "TITLE")]
    pub public_title: Option<String>,
    /// The status page's text for the window (with --public-title).
    #[arg(long, value_name = "TEXT", requires = "public_title")]
    pub public_body: Option<String>,
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
    let v = json_object(s, r#"{"title":"/alert/name","dedup_key":"/alert/id"}"#)?;
    serde_json::from_value(v).map_err(|e| format!("not a mapping: {e}"))
}
