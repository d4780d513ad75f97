//! The public status page's JSON, in the shapes of Atlassian Statuspage's
//! public API v2 (`summary.json`, `status.json`, `components.json`,
//! `incidents/unresolved.json`, `incidents.json`,
//! `scheduled-maintenances.json`), so aggregators and widgets written for
//! Statuspage read Firebreak's `/status.json` and `/api/v2/*.json` as they
//! are. Ids are strings, times RFC 3339, absent values `null`, as there.
//! Only public wording appears here: a component's name and description,
//! and the title and body of sent public notices.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `page`: which status page this is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpPage {
    pub id: String,
    pub name: String,
    pub url: String,
    pub time_zone: String,
    pub updated_at: DateTime<Utc>,
}

/// `status`: the page's overall state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpStatus {
    /// `none`, `minor`, `major`, `critical` or `maintenance`.
    pub indicator: String,
    /// "All Systems Operational", "Partial System Outage", …
    pub description: String,
}

/// A component (Statuspage's fields; groups are not used: `group` is
/// false, `group_id` null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpComponent {
    pub id: String,
    pub name: String,
    /// `operational`, `degraded_performance`, `partial_outage`,
    /// `major_outage` or `under_maintenance`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub position: i64,
    pub description: Option<String>,
    pub showcase: bool,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
    pub group_id: Option<String>,
    pub page_id: String,
    pub group: bool,
    pub only_show_if_degraded: bool,
}

/// A component an update names (a short form of [`SpComponent`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpAffectedComponent {
    pub code: String,
    pub name: String,
    pub old_status: String,
    pub new_status: String,
}

/// One public update of an incident: a sent public notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpIncidentUpdate {
    pub id: String,
    /// `investigating`, `identified`, `monitoring`, `resolved` (incidents)
    /// or `scheduled`, `in_progress`, `completed` (maintenance).
    pub status: String,
    pub body: String,
    pub incident_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub display_at: DateTime<Utc>,
    pub affected_components: Option<Vec<SpAffectedComponent>>,
    pub deliver_notifications: bool,
    pub custom_tweet: Option<String>,
    pub tweet_id: Option<String>,
}

/// An incident as the status page shows it: its name is its latest public
/// notice's title, never the incident's own (internal) title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpIncident {
    pub id: String,
    pub name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// `none`, `minor`, `major` or `critical`.
    pub impact: String,
    pub shortlink: String,
    pub started_at: DateTime<Utc>,
    pub page_id: String,
    pub incident_updates: Vec<SpIncidentUpdate>,
    pub components: Vec<SpComponent>,
}

/// A scheduled maintenance: a maintenance window given public wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpMaintenance {
    pub id: String,
    pub name: String,
    /// `scheduled`, `in_progress` or `completed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Always `maintenance`.
    pub impact: String,
    pub shortlink: String,
    pub started_at: DateTime<Utc>,
    pub page_id: String,
    pub incident_updates: Vec<SpIncidentUpdate>,
    pub components: Vec<SpComponent>,
    pub scheduled_for: DateTime<Utc>,
    pub scheduled_until: DateTime<Utc>,
}

/// `/status.json`, `/api/v2/summary.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpSummary {
    pub page: SpPage,
    pub components: Vec<SpComponent>,
    pub incidents: Vec<SpIncident>,
    pub scheduled_maintenances: Vec<SpMaintenance>,
    pub status: SpStatus,
}

/// `/api/v2/status.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpStatusDoc {
    pub page: SpPage,
    pub status: SpStatus,
}

/// `/api/v2/components.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpComponents {
    pub page: SpPage,
    pub components: Vec<SpComponent>,
}

/// `/api/v2/incidents.json`, `/api/v2/incidents/unresolved.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpIncidents {
    pub page: SpPage,
    pub incidents: Vec<SpIncident>,
}

/// `/api/v2/scheduled-maintenances.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpMaintenances {
    pub page: SpPage,
    pub scheduled_maintenances: Vec<SpMaintenance>,
}

/// `POST /api/v2/subscribers`: subscribe an email address or a webhook URL
/// to the status page's updates (all components when `components` is
/// empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Component ids.
    #[serde(default)]
    pub components: Vec<i64>,
}

/// What a subscription request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Subscribed {
    pub id: i64,
    /// `confirmation_sent`, `already_confirmed` or `confirmation_pending`
    /// (a confirmation went out less than an hour ago).
    pub outcome: String,
    /// A webhook's signing secret, shown once, when it was created.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
}
