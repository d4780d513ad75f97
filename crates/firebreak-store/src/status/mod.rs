//! The public status page's reads: one [`Store::status_snapshot`] gives
//! everything `/status`, its JSON and its feeds show, as plain rows; the
//! server computes states and renders from it, purely.
//!
//! Only public wording leaves this module: components (name, description),
//! the title, body and public status of sent notices marked for the status
//! page, and maintenance windows' public title and body. An incident's own
//! title, summary, notes and timeline are never read here, nor a notice's
//! internal note. A confidential incident (a security incident, or one tied
//! to a confidential report) shows nothing of itself, not even through the
//! status it gives its components, until a notice with approved wording was
//! sent for the status page.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use crate::row::col;
use crate::{Result, Store, ms};

/// How far back the page's history and uptime bars reach.
pub const HISTORY_DAYS: i64 = 90;

/// An incident's phase words in which it is still unresolved.
const UNRESOLVED: &str = "('triage', 'containment', 'remediation', 'recovery')";

/// A notice that may be shown: sent, for the status page, and for a
/// confidential incident only with approved wording. `n` the notice, `i`
/// its incident.
macro_rules! public_notice {
    () => {
        concat!(
            "n.sent_at IS NOT NULL AND n.on_status_page = 1 AND (n.approved_by IS NOT NULL OR NOT ",
            confidential_group!("n.incident_id"),
            ")"
        )
    };
}

/// Incident `i` may show on the page (and give its components their
/// status): not confidential, or with a public notice sent.
macro_rules! incident_public {
    () => {
        concat!(
            "(NOT ",
            confidential_group!("i.id"),
            " OR EXISTS (SELECT 1 FROM notices n WHERE n.incident_id = i.id AND ",
            public_notice!(),
            "))"
        )
    };
}

mod fixtures;
mod subscribers;

pub use fixtures::SentNotice;

pub use subscribers::{
    BuiltMessage, CONFIRM_KEY_PREFIX, NewSubscriber, StatusSubscriber, SubscribeOutcome,
    SubscriberKind, UPDATE_KEY_PREFIX, UpdateMail,
};

/// When incident `i` was resolved: it entered post-incident or closed after
/// its last entry into an unresolved phase (NULL while unresolved).
const RESOLVED_AT: &str = "(SELECT MIN(p.entered_at) FROM incident_phases p WHERE p.incident_id = i.id \
     AND p.phase IN ('post_incident', 'closed') AND p.entered_at >= \
     (SELECT MAX(q.entered_at) FROM incident_phases q WHERE q.incident_id = i.id \
      AND q.phase IN ('triage', 'containment', 'remediation', 'recovery')))";

/// A public component as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusComponent {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub service_id: i64,
    /// The component's own status: the last one set outside any incident
    /// (a `ComponentStatus` word). What incidents give it comes from the
    /// spans of those that may show, so a confidential incident's effect
    /// on `components.status` never reaches the page.
    pub status: String,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change of a component's own status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub component_id: i64,
    pub status: String,
    pub at: DateTime<Utc>,
}

/// The status an incident gives a component, from its start until it is
/// resolved (`until` None: still unresolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSpan {
    pub incident_id: i64,
    pub component_id: i64,
    pub status: String,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// An incident with at least one public update. No title: its name on the
/// page is its latest update's title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusIncident {
    pub id: i64,
    /// The severity word, for Statuspage's `impact` (None: not set).
    pub severity: Option<String>,
    pub declared_at: DateTime<Utc>,
    /// When it entered recovery (Statuspage's `monitoring_at`).
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A sent public notice: the public fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub id: i64,
    pub incident_id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A `PublicStatus` word.
    pub public_status: String,
    pub sent_at: DateTime<Utc>,
}

/// A maintenance window with public wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMaintenance {
    pub id: i64,
    pub service_id: i64,
    pub title: String,
    pub body: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Everything the public status page shows, read at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusSnapshot {
    pub components: Vec<StatusComponent>,
    /// Changes made outside incidents since the history began, and each
    /// component's last one before it (its status when the history begins).
    pub changes: Vec<StatusChange>,
    pub spans: Vec<IncidentSpan>,
    pub incidents: Vec<StatusIncident>,
    pub updates: Vec<StatusUpdate>,
    pub maintenances: Vec<StatusMaintenance>,
}

/// What a customer's private page adds: the customer's name and their
/// incidents with the notices sent about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerStatus {
    pub customer_id: i64,
    pub name: String,
    pub incidents: Vec<StatusIncident>,
    pub updates: Vec<StatusUpdate>,
    /// The components of those incidents.
    pub spans: Vec<IncidentSpan>,
}

fn incident(row: &sqlx::any::AnyRow) -> Result<StatusIncident> {
    from_row! { row, StatusIncident { id, severity, declared_at, monitoring_at, resolved_at } }
}

fn update(row: &sqlx::any::AnyRow) -> Result<StatusUpdate> {
    from_row! { row, StatusUpdate { id, incident_id, kind, title, body, public_status, sent_at } }
}

fn span(row: &sqlx::any::AnyRow) -> Result<IncidentSpan> {
    from_row! { row, IncidentSpan {
        incident_id, component_id, status, from: "declared_at", until: "resolved_at",
    } }
}

/// The columns of [`StatusIncident`] from incidents `i`.
fn incident_select() -> String {
    format!(
        "SELECT i.id, i.severity, i.declared_at, \
         (SELECT MAX(p.entered_at) FROM incident_phases p WHERE p.incident_id = i.id \
          AND p.phase = 'recovery') AS monitoring_at, \
         CASE WHEN i.phase IN {UNRESOLVED} THEN NULL ELSE {RESOLVED_AT} END AS resolved_at \
         FROM incidents i"
    )
}

fn span_select() -> String {
    format!(
        "SELECT ic.incident_id, ic.component_id, ic.status, i.declared_at, \
         CASE WHEN i.phase IN {UNRESOLVED} THEN NULL ELSE {RESOLVED_AT} END AS resolved_at \
         FROM incident_components ic JOIN incidents i ON i.id = ic.incident_id \
         JOIN components c ON c.id = ic.component_id AND c.public = 1"
    )
}

impl Store {
    /// Everything the public status page shows at `now` (see the module).
    pub async fn status_snapshot(&self, now: DateTime<Utc>) -> Result<StatusSnapshot> {
        let since = ms(now - Duration::days(HISTORY_DAYS));
        let components = sqlx::query(
            "SELECT c.id, c.name, c.description, c.service_id, c.position, c.created_at, \
             COALESCE((SELECT s.status FROM component_status_changes s WHERE s.component_id = c.id \
               AND s.incident_id IS NULL ORDER BY s.at DESC, s.id DESC LIMIT 1), 'operational') AS status, \
             COALESCE((SELECT MAX(s.at) FROM component_status_changes s WHERE s.component_id = c.id \
               AND s.incident_id IS NULL), c.created_at) AS updated_at \
             FROM components c WHERE c.public = 1 ORDER BY c.position, c.id",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|row| {
            Ok(StatusComponent {
                id: col(row, "id")?,
                name: col(row, "name")?,
                description: col(row, "description")?,
                service_id: col(row, "service_id")?,
                status: col(row, "status")?,
                position: col(row, "position")?,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

        let changes = sqlx::query(
            "SELECT s.component_id, s.status, s.at FROM component_status_changes s \
             JOIN components c ON c.id = s.component_id AND c.public = 1 \
             WHERE s.incident_id IS NULL AND (s.at >= $1 OR s.id = (SELECT MAX(d.id) \
               FROM component_status_changes d WHERE d.component_id = s.component_id \
               AND d.incident_id IS NULL AND d.at < $1)) \
             ORDER BY s.at, s.id",
        )
        .bind(since)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|row| {
            Ok(StatusChange {
                component_id: col(row, "component_id")?,
                status: col(row, "status")?,
                at: col(row, "at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

        // Spans of incidents that may show, unresolved or resolved within
        // the history.
        let sql = format!(
            "SELECT * FROM ({}) x WHERE x.resolved_at IS NULL OR x.resolved_at >= $1",
            span_select() + " WHERE " + incident_public!()
        );
        let spans = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(span)
            .collect::<Result<Vec<_>>>()?;

        let sql = format!(
            "SELECT * FROM ({} WHERE EXISTS (SELECT 1 FROM notices n WHERE n.incident_id = i.id AND {})) x \
             WHERE x.resolved_at IS NULL OR x.resolved_at >= $1 ORDER BY x.declared_at DESC, x.id DESC",
            incident_select(),
            public_notice!()
        );
        let incidents = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(incident)
            .collect::<Result<Vec<_>>>()?;

        let ids: std::collections::HashSet<i64> = incidents.iter().map(|i| i.id).collect();
        let sql = format!(
            "SELECT n.id, n.incident_id, n.kind, n.title, n.body, n.public_status, n.sent_at \
             FROM notices n JOIN incidents i ON i.id = n.incident_id WHERE {} \
             AND (i.phase IN {UNRESOLVED} OR {RESOLVED_AT} >= $1) \
             ORDER BY n.sent_at DESC, n.id DESC",
            public_notice!()
        );
        let updates = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(update)
            .collect::<Result<Vec<StatusUpdate>>>()?
            .into_iter()
            .filter(|u| ids.contains(&u.incident_id))
            .collect();

        let maintenances = sqlx::query(
            "SELECT id, service_id, public_title, public_body, starts_at, ends_at, created_at \
             FROM intake_maintenance WHERE public_title IS NOT NULL AND ends_at >= $1 \
             ORDER BY starts_at, id",
        )
        .bind(since)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|row| {
            Ok(StatusMaintenance {
                id: col(row, "id")?,
                service_id: col(row, "service_id")?,
                title: col(row, "public_title")?,
                body: row
                    .try_get::<Option<String>, _>("public_body")?
                    .unwrap_or_default(),
                starts_at: col(row, "starts_at")?,
                ends_at: col(row, "ends_at")?,
                created_at: col(row, "created_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

        Ok(StatusSnapshot {
            components,
            changes,
            spans,
            incidents,
            updates,
            maintenances,
        })
    }

    /// The customer whose private status link has SHA-256 `token_hash`, with
    /// the incidents that affect them (explicitly, through the components
    /// they use, or as all customers) and the notices sent about those
    /// (for the status page or to customers; for a confidential incident,
    /// only approved ones). None: no such customer.
    pub async fn customer_status(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerStatus>> {
        let Some(row) = sqlx::query("SELECT id, name FROM customers WHERE status_token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let customer_id: i64 = row.try_get("id")?;
        let name: String = row.try_get("name")?;
        let since = ms(now - Duration::days(HISTORY_DAYS));
        let affects = "EXISTS (SELECT 1 FROM incident_affected a WHERE a.incident_id = i.id AND ( \
             a.mode = 'all' \
             OR (a.mode = 'customers' AND EXISTS (SELECT 1 FROM incident_customers ic2 \
                 WHERE ic2.incident_id = i.id AND ic2.customer_id = $2)) \
             OR (a.mode = 'components' AND EXISTS (SELECT 1 FROM incident_components ic3 \
                 JOIN customer_components cc ON cc.component_id = ic3.component_id \
                 WHERE ic3.incident_id = i.id AND cc.customer_id = $2))))";
        let sent = concat!(
            "n.sent_at IS NOT NULL AND (n.on_status_page = 1 OR n.to_customers = 1) AND \
             (n.approved_by IS NOT NULL OR NOT ",
            confidential_group!("n.incident_id"),
            ")"
        );
        let sql = format!(
            "SELECT * FROM ({} WHERE {affects} AND EXISTS (SELECT 1 FROM notices n \
             WHERE n.incident_id = i.id AND {sent})) x \
             WHERE x.resolved_at IS NULL OR x.resolved_at >= $1 ORDER BY x.declared_at DESC, x.id DESC",
            incident_select()
        );
        let incidents = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .bind(customer_id)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(incident)
            .collect::<Result<Vec<_>>>()?;
        let ids: std::collections::HashSet<i64> = incidents.iter().map(|i| i.id).collect();
        let sql = format!(
            "SELECT n.id, n.incident_id, n.kind, n.title, n.body, n.public_status, n.sent_at \
             FROM notices n WHERE {sent} ORDER BY n.sent_at DESC, n.id DESC"
        );
        let updates = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(update)
            .collect::<Result<Vec<StatusUpdate>>>()?
            .into_iter()
            .filter(|u| ids.contains(&u.incident_id))
            .collect();
        let spans = sqlx::query(sqlx::AssertSqlSafe(span_select()))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(span)
            .collect::<Result<Vec<IncidentSpan>>>()?
            .into_iter()
            .filter(|s| ids.contains(&s.incident_id))
            .collect();
        Ok(Some(CustomerStatus {
            customer_id,
            name,
            incidents,
            updates,
            spans,
        }))
    }
}
