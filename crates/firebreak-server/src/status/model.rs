//! The status page as data, computed purely from the store's snapshot at
//! a time: each component's state now and per day, the overall state, the
//! incidents with their public updates, the maintenance windows. The HTML
//! page, the Statuspage JSON and the feeds are all drawn from one
//! [`Page`], so they agree.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use firebreak_api::status::{
    SpComponent, SpIncident, SpIncidentUpdate, SpMaintenance, SpPage, SpStatus, SpSummary,
};
use firebreak_core::status::{ComponentStatus, PublicStatus};
use firebreak_store::status::{
    HISTORY_DAYS, IncidentSpan, StatusIncident, StatusMaintenance, StatusSnapshot, StatusUpdate,
};

/// Who the page is: its name and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMeta {
    pub name: String,
    /// The page's address, `<public_url>/status`.
    pub url: String,
}

/// One day of a component's uptime bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    /// None: the component did not exist yet.
    pub status: Option<ComponentStatus>,
}

impl Day {
    /// The class of its bar segment.
    pub fn class(&self) -> &'static str {
        self.status.map_or("none", |s| s.as_str())
    }

    /// What the day says to a screen reader and in its tooltip.
    pub fn text(&self) -> String {
        match self.status {
            None => format!("{}: no data", self.date),
            Some(s) => format!("{}: {}", self.date, s.label()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: ComponentStatus,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The last [`HISTORY_DAYS`] days, oldest first.
    pub days: Vec<Day>,
    /// Days with data that were operational (or under maintenance), in
    /// percent with one decimal.
    pub uptime: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub id: i64,
    pub status: PublicStatus,
    pub title: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: i64,
    /// The latest update's title.
    pub name: String,
    pub status: PublicStatus,
    /// `none`, `minor`, `major` or `critical`.
    pub impact: &'static str,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Newest first.
    pub updates: Vec<Update>,
    /// Ids of the public components it affects.
    pub components: Vec<i64>,
}

impl Incident {
    pub fn resolved(&self) -> bool {
        self.resolved_at.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceState {
    Scheduled,
    InProgress,
    Completed,
}

impl MaintenanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceState::Scheduled => "scheduled",
            MaintenanceState::InProgress => "in_progress",
            MaintenanceState::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MaintenanceState::Scheduled => "Scheduled",
            MaintenanceState::InProgress => "In progress",
            MaintenanceState::Completed => "Completed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub state: MaintenanceState,
    pub components: Vec<i64>,
}

/// The page's overall state: Statuspage's indicator and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overall {
    pub indicator: &'static str,
    pub description: &'static str,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub meta: PageMeta,
    pub now: DateTime<Utc>,
    /// The latest change the page shows (Statuspage's `updated_at`).
    pub updated_at: DateTime<Utc>,
    pub overall: Overall,
    pub components: Vec<Component>,
    /// Unresolved first, then resolved ones, newest first.
    pub incidents: Vec<Incident>,
    pub maintenances: Vec<Maintenance>,
}

impl Page {
    pub fn active(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter().filter(|i| !i.resolved())
    }

    pub fn history(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter().filter(|i| i.resolved())
    }

    pub fn upcoming(&self) -> impl Iterator<Item = &Maintenance> {
        self.maintenances
            .iter()
            .filter(|m| m.state != MaintenanceState::Completed)
    }
}

fn status_word(s: &str) -> ComponentStatus {
    s.parse().unwrap_or(ComponentStatus::Operational)
}

fn public_word(s: &str) -> PublicStatus {
    s.parse().unwrap_or(PublicStatus::Investigating)
}

/// Statuspage's impact from the incident's severity.
fn impact(severity: Option<&str>) -> &'static str {
    match severity {
        Some("critical") => "critical",
        Some("high") => "major",
        Some("medium") => "minor",
        _ => "none",
    }
}

fn impact_rank(i: &str) -> u8 {
    match i {
        "critical" => 3,
        "major" => 2,
        "minor" => 1,
        _ => 0,
    }
}

/// The overall state from the worst component and the worst unresolved
/// incident's impact.
pub fn overall(worst: ComponentStatus, worst_impact: &str) -> Overall {
    let from_component = match worst {
        ComponentStatus::Operational => "none",
        ComponentStatus::UnderMaintenance => "maintenance",
        ComponentStatus::DegradedPerformance => "minor",
        ComponentStatus::PartialOutage => "major",
        ComponentStatus::MajorOutage => "critical",
    };
    let indicator = if impact_rank(worst_impact) > impact_rank(from_component) {
        match worst_impact {
            "critical" => "critical",
            "major" => "major",
            _ => "minor",
        }
    } else {
        from_component
    };
    let description = match indicator {
        "none" => "All Systems Operational",
        "maintenance" => "Service Under Maintenance",
        "minor" => "Minor Service Outage",
        "major" => "Partial System Outage",
        _ => "Major System Outage",
    };
    Overall {
        indicator,
        description,
    }
}

fn maintenance_state(m: &StatusMaintenance, now: DateTime<Utc>) -> MaintenanceState {
    if now < m.starts_at {
        MaintenanceState::Scheduled
    } else if now < m.ends_at {
        MaintenanceState::InProgress
    } else {
        MaintenanceState::Completed
    }
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The worst status a component had over `[from, to)`: its own status at
/// `from` and every change within, incidents' spans overlapping, and
/// maintenance windows of its service in progress.
fn worst_between(
    own: &[(DateTime<Utc>, ComponentStatus)],
    spans: &[&IncidentSpan],
    windows: &[&StatusMaintenance],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ComponentStatus {
    let at_start = own
        .iter()
        .rev()
        .find(|(at, _)| *at <= from)
        .map_or(ComponentStatus::Operational, |(_, s)| *s);
    let within = own
        .iter()
        .filter(|(at, _)| *at > from && *at < to)
        .map(|(_, s)| *s);
    let incidents = spans
        .iter()
        .filter(|s| s.from < to && s.until.is_none_or(|u| u > from))
        .map(|s| status_word(&s.status));
    let maintenance = windows
        .iter()
        .filter(|m| m.starts_at < to && m.ends_at > from)
        .map(|_| ComponentStatus::UnderMaintenance);
    std::iter::once(at_start)
        .chain(within)
        .chain(incidents)
        .chain(maintenance)
        .max()
        .unwrap_or(ComponentStatus::Operational)
}

fn component(
    c: &firebreak_store::status::StatusComponent,
    snap: &StatusSnapshot,
    now: DateTime<Utc>,
) -> Component {
    let own: Vec<(DateTime<Utc>, ComponentStatus)> = snap
        .changes
        .iter()
        .filter(|ch| ch.component_id == c.id)
        .map(|ch| (ch.at, status_word(&ch.status)))
        .collect();
    let spans: Vec<&IncidentSpan> = snap
        .spans
        .iter()
        .filter(|s| s.component_id == c.id)
        .collect();
    let windows: Vec<&StatusMaintenance> = snap
        .maintenances
        .iter()
        .filter(|m| m.service_id == c.service_id)
        .collect();
    // Now: the component's own status (the row is the truth, whatever the
    // history holds), unresolved incidents, maintenance in progress.
    let status = std::iter::once(status_word(&c.status))
        .chain(
            spans
                .iter()
                .filter(|s| s.until.is_none())
                .map(|s| status_word(&s.status)),
        )
        .chain(
            windows
                .iter()
                .filter(|m| maintenance_state(m, now) == MaintenanceState::InProgress)
                .map(|_| ComponentStatus::UnderMaintenance),
        )
        .max()
        .unwrap_or(ComponentStatus::Operational);
    let today = now.date_naive();
    let created = c.created_at.date_naive();
    let mut days = Vec::with_capacity(HISTORY_DAYS as usize);
    for back in (0..HISTORY_DAYS).rev() {
        let date = today - Duration::days(back);
        let status = if date < created {
            None
        } else {
            let from = day_start(date).max(c.created_at);
            let to = (day_start(date) + Duration::days(1)).min(now);
            let own_or_now: Vec<(DateTime<Utc>, ComponentStatus)> = if own.is_empty() {
                vec![(c.created_at, status_word(&c.status))]
            } else {
                own.clone()
            };
            Some(if date == today {
                worst_between(&own_or_now, &spans, &windows, from, to).max(status)
            } else {
                worst_between(&own_or_now, &spans, &windows, from, to)
            })
        };
        days.push(Day { date, status });
    }
    let known = days.iter().filter(|d| d.status.is_some()).count();
    let good = days
        .iter()
        .filter(|d| {
            matches!(
                d.status,
                Some(ComponentStatus::Operational | ComponentStatus::UnderMaintenance)
            )
        })
        .count();
    let uptime = if known == 0 {
        "100.0".to_owned()
    } else {
        format!("{:.1}", good as f64 * 100.0 / known as f64)
    };
    Component {
        id: c.id,
        name: c.name.clone(),
        description: c.description.clone(),
        status,
        position: c.position,
        created_at: c.created_at,
        // The last change the page shows of it: set by hand, or by an
        // incident that may show starting or ending.
        updated_at: spans
            .iter()
            .flat_map(|s| [Some(s.from), s.until])
            .flatten()
            .filter(|t| *t <= now)
            .fold(c.updated_at, DateTime::max),
        days,
        uptime,
    }
}

/// The incidents of `incidents` with their updates and components.
pub fn incidents(
    incidents: &[StatusIncident],
    updates: &[StatusUpdate],
    spans: &[IncidentSpan],
) -> Vec<Incident> {
    let mut by_incident: HashMap<i64, Vec<Update>> = HashMap::new();
    for u in updates {
        by_incident.entry(u.incident_id).or_default().push(Update {
            id: u.id,
            status: public_word(&u.public_status),
            title: u.title.clone(),
            body: u.body.clone(),
            at: u.sent_at,
        });
    }
    let mut out: Vec<Incident> = incidents
        .iter()
        .filter_map(|i| {
            let mut ups = by_incident.remove(&i.id)?;
            ups.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
            let latest = ups.first()?;
            let status = if i.resolved_at.is_some() {
                PublicStatus::Resolved
            } else {
                latest.status
            };
            let mut components: Vec<i64> = spans
                .iter()
                .filter(|s| s.incident_id == i.id)
                .map(|s| s.component_id)
                .collect();
            components.sort_unstable();
            components.dedup();
            Some(Incident {
                id: i.id,
                name: latest.title.clone(),
                status,
                impact: impact(i.severity.as_deref()),
                started_at: i.declared_at,
                updated_at: latest.at.max(i.resolved_at.unwrap_or(latest.at)),
                monitoring_at: i.monitoring_at,
                resolved_at: i.resolved_at,
                updates: ups,
                components,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.resolved()
            .cmp(&b.resolved())
            .then(b.updated_at.cmp(&a.updated_at))
            .then(b.id.cmp(&a.id))
    });
    out
}

/// The page at `now` from `snap`.
pub fn page(meta: PageMeta, snap: &StatusSnapshot, now: DateTime<Utc>) -> Page {
    let components: Vec<Component> = snap
        .components
        .iter()
        .map(|c| component(c, snap, now))
        .collect();
    let incidents = incidents(&snap.incidents, &snap.updates, &snap.spans);
    let maintenances: Vec<Maintenance> = snap
        .maintenances
        .iter()
        .map(|m| Maintenance {
            id: m.id,
            title: m.title.clone(),
            body: m.body.clone(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            created_at: m.created_at,
            state: maintenance_state(m, now),
            components: snap
                .components
                .iter()
                .filter(|c| c.service_id == m.service_id)
                .map(|c| c.id)
                .collect(),
        })
        .collect();
    let worst = components
        .iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(ComponentStatus::Operational);
    let worst_impact = incidents
        .iter()
        .filter(|i| !i.resolved())
        .map(|i| i.impact)
        .max_by_key(|i| impact_rank(i))
        .unwrap_or("none");
    let updated_at = components
        .iter()
        .map(|c| c.updated_at)
        .chain(incidents.iter().map(|i| i.updated_at))
        .chain(maintenances.iter().map(|m| m.created_at))
        .max()
        // Nothing to show yet: today, so the bytes stay put all day.
        .unwrap_or_else(|| day_start(now.date_naive()));
    Page {
        meta,
        now,
        updated_at,
        overall: overall(worst, worst_impact),
        components,
        incidents,
        maintenances,
    }
}

// ---- Statuspage's JSON -------------------------------------------------

/// The page id every document names.
pub const PAGE_ID: &str = "firebreak";

pub fn sp_page(p: &Page) -> SpPage {
    SpPage {
        id: PAGE_ID.to_owned(),
        name: p.meta.name.clone(),
        url: p.meta.url.clone(),
        time_zone: "Etc/UTC".to_owned(),
        updated_at: p.updated_at,
    }
}

pub fn sp_status(p: &Page) -> SpStatus {
    SpStatus {
        indicator: p.overall.indicator.to_owned(),
        description: p.overall.description.to_owned(),
    }
}

pub fn sp_component(c: &Component) -> SpComponent {
    SpComponent {
        id: c.id.to_string(),
        name: c.name.clone(),
        status: c.status.as_str().to_owned(),
        created_at: c.created_at,
        updated_at: c.updated_at,
        position: c.position,
        description: (!c.description.is_empty()).then(|| c.description.clone()),
        showcase: true,
        start_date: Some(c.created_at.date_naive().to_string()),
        group_id: None,
        page_id: PAGE_ID.to_owned(),
        group: false,
        only_show_if_degraded: false,
    }
}

pub fn sp_components(p: &Page) -> Vec<SpComponent> {
    p.components.iter().map(sp_component).collect()
}

fn components_of(p: &Page, ids: &[i64]) -> Vec<SpComponent> {
    p.components
        .iter()
        .filter(|c| ids.contains(&c.id))
        .map(sp_component)
        .collect()
}

pub fn sp_incident(p: &Page, i: &Incident) -> SpIncident {
    let id = i.id.to_string();
    SpIncident {
        id: id.clone(),
        name: i.name.clone(),
        status: i.status.as_str().to_owned(),
        created_at: i.started_at,
        updated_at: i.updated_at,
        monitoring_at: i.monitoring_at,
        resolved_at: i.resolved_at,
        impact: i.impact.to_owned(),
        shortlink: format!("{}#incident-{}", p.meta.url, i.id),
        started_at: i.started_at,
        page_id: PAGE_ID.to_owned(),
        incident_updates: i
            .updates
            .iter()
            .map(|u| SpIncidentUpdate {
                id: u.id.to_string(),
                status: u.status.as_str().to_owned(),
                body: u.body.clone(),
                incident_id: id.clone(),
                created_at: u.at,
                updated_at: u.at,
                display_at: u.at,
                affected_components: None,
                deliver_notifications: true,
                custom_tweet: None,
                tweet_id: None,
            })
            .collect(),
        components: components_of(p, &i.components),
    }
}

pub fn sp_maintenance(p: &Page, m: &Maintenance) -> SpMaintenance {
    let id = format!("m{}", m.id);
    let update = SpIncidentUpdate {
        id: format!("{id}-1"),
        status: m.state.as_str().to_owned(),
        body: m.body.clone(),
        incident_id: id.clone(),
        created_at: m.created_at,
        updated_at: m.created_at,
        display_at: m.created_at,
        affected_components: None,
        deliver_notifications: true,
        custom_tweet: None,
        tweet_id: None,
    };
    SpMaintenance {
        id: id.clone(),
        name: m.title.clone(),
        status: m.state.as_str().to_owned(),
        created_at: m.created_at,
        updated_at: m.created_at,
        monitoring_at: None,
        resolved_at: (m.state == MaintenanceState::Completed).then_some(m.ends_at),
        impact: "maintenance".to_owned(),
        shortlink: format!("{}#maintenance-{}", p.meta.url, m.id),
        started_at: m.starts_at,
        page_id: PAGE_ID.to_owned(),
        incident_updates: vec![update],
        components: components_of(p, &m.components),
        scheduled_for: m.starts_at,
        scheduled_until: m.ends_at,
    }
}

pub fn sp_summary(p: &Page) -> SpSummary {
    SpSummary {
        page: sp_page(p),
        components: sp_components(p),
        incidents: p.active().map(|i| sp_incident(p, i)).collect(),
        scheduled_maintenances: p.upcoming().map(|m| sp_maintenance(p, m)).collect(),
        status: sp_status(p),
    }
}

#[cfg(test)]
mod tests;
