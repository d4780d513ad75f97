//! Intake: integrations, alerts deduplicated into the triage queue, routing
//! rules, silences, maintenance windows, change events and inbound e-mail.
//!
//! This module owns the tables of migration `0003_intake`. It knows nothing
//! of wire formats: the server parses payloads (with `firebreak-intake`),
//! decides routing, and hands the store plain records to write.
//!
//! Alerts are written in batches ([`Store::ingest_alerts`]): one transaction
//! for many deliveries (HTTP requests), with multi-row statements, so that
//! the server's group-commit writer pays for one commit and a handful of
//! statements per batch instead of per alert. Every batch appends one audit
//! entry per integration it touched, listing what it opened and resolved.
//!
//! One open alert per (integration, dedup key): the column `open_key` holds
//! `"<integration id>:<dedup key>"` while the alert is open and NULL once it
//! is resolved. On PostgreSQL, where several servers write, a unique index
//! on it keeps that rule and row locks order the writers. On SQLite, where
//! the intake writer is the one process and connection that writes alerts,
//! the writer keeps the open alerts' keys in memory ([`OpenAlerts`]) and the
//! column has no unique index: that index cost a write to a random page per
//! new alert (migration `0004_intake_open_alerts`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::{Report, ReportSource, ReportStatus};

use crate::reports::{REPORT_SELECT, VISIBLE, report_from_row};
use crate::secrets::secret_hash;
use crate::{Actor, Backend, Reader, Result, Store, StoreError, Tx, flag, ms, time};

/// Rows per multi-row statement: well under SQLite's 32,766 parameters
/// (19 per alert row) and PostgreSQL's 65,535.
const CHUNK: usize = 200;

// ------------------------------------------------------------ integrations

/// An integration as stored. The key itself is never stored: only its
/// SHA-256 and its last four characters, to tell keys apart.
#[derive(Clone)]
pub struct IntegrationRecord {
    pub id: i64,
    pub name: String,
    /// `alertmanager`, `pagerduty`, `grafana`, `generic` or `email`.
    pub kind: String,
    pub service_id: Option<i64>,
    pub service: Option<String>,
    pub key_hint: String,
    /// The generic webhook's mapping, as JSON.
    pub mapping: Option<String>,
    /// Grafana's HMAC secret. Kept in clear: verifying an HMAC needs it.
    pub hmac_secret: Option<String>,
    pub hmac_timestamp_header: Option<String>,
    /// The integration's own service user, through which it acts.
    pub user_id: i64,
    pub user_name: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Declares critical and high alerts that no routing rule matched when
    /// their service is known.
    pub auto_declare: bool,
}

impl std::fmt::Debug for IntegrationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("service", &self.service)
            .field("key_hint", &self.key_hint)
            .field(
                "hmac_secret",
                &self.hmac_secret.as_ref().map(|_| "<hidden>"),
            )
            .field("user_name", &self.user_name)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

impl IntegrationRecord {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user_id, &self.user_name)
    }

    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// An integration to create. `key` is the secret in clear; the store keeps
/// its SHA-256.
#[derive(Clone)]
pub struct NewIntegration {
    pub name: String,
    pub kind: String,
    pub service_id: Option<i64>,
    pub key: String,
    pub mapping: Option<String>,
    pub hmac_secret: Option<String>,
    pub hmac_timestamp_header: Option<String>,
    pub auto_declare: bool,
}

impl std::fmt::Debug for NewIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewIntegration")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("service_id", &self.service_id)
            .finish_non_exhaustive()
    }
}

/// The user name of an integration's service user.
pub fn integration_user_name(integration: &str) -> String {
    format!("intake.{integration}")
}

fn key_hint(key: &str) -> String {
    let n = key.chars().count();
    key.chars().skip(n.saturating_sub(4)).collect()
}

const INTEGRATION_SELECT: &str = "SELECT g.id, g.name, g.kind, g.service_id, s.name AS service_name, \
    g.key_hint, g.mapping, g.hmac_secret, g.hmac_timestamp_header, g.user_id, u.name AS user_name, \
    g.created_at, g.disabled_at, g.auto_declare FROM intake_integrations g JOIN users u ON u.id = g.user_id \
    LEFT JOIN services s ON s.id = g.service_id";

fn integration_from_row(row: &sqlx::any::AnyRow) -> Result<IntegrationRecord> {
    Ok(IntegrationRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        service_id: row.try_get("service_id")?,
        service: row.try_get("service_name")?,
        key_hint: row.try_get("key_hint")?,
        mapping: row.try_get("mapping")?,
        hmac_secret: row.try_get("hmac_secret")?,
        hmac_timestamp_header: row.try_get("hmac_timestamp_header")?,
        user_id: row.try_get("user_id")?,
        user_name: row.try_get("user_name")?,
        created_at: time(row.try_get("created_at")?),
        disabled_at: row.try_get::<Option<i64>, _>("disabled_at")?.map(time),
        auto_declare: row.try_get::<i64, _>("auto_declare")? != 0,
    })
}

// ------------------------------------------------------------------ alerts

/// What an alert says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertSignal {
    Firing,
    Acknowledged,
    Resolved,
}

/// One alert of a delivery, already parsed and routed by the server.
#[derive(Debug, Clone)]
pub struct AlertWrite {
    pub dedup_key: String,
    pub signal: AlertSignal,
    /// The alert's own title, kept on the alert row.
    pub title: String,
    /// The report's title and description, used only when the alert opens.
    pub report_title: String,
    pub report_description: String,
    pub confidential: bool,
    pub severity: Option<String>,
    pub service_id: Option<i64>,
    /// JSON object of the labels; JSON array of the links.
    pub labels: String,
    pub links: String,
    /// `triage`, `declare`, `silenced` or `maintenance`.
    pub disposition: String,
    pub rule_name: Option<String>,
    pub suppressed_by: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
}

/// The alerts of one request, from one integration.
#[derive(Debug, Clone)]
pub struct AlertDelivery {
    pub integration_id: i64,
    pub actor: Actor,
    /// The report's `reporter`: the integration, as people know it.
    pub reporter: String,
    pub alerts: Vec<AlertWrite>,
}

/// What happened to one alert of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOutcomeKind {
    /// A new alert and a new report in the triage queue.
    Opened,
    /// The open alert with this key was seen again: count and last_seen.
    Repeated,
    Acknowledged,
    Resolved,
    /// An acknowledge or resolve for a key with no open alert.
    Ignored,
}

impl AlertOutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertOutcomeKind::Opened => "opened",
            AlertOutcomeKind::Repeated => "repeated",
            AlertOutcomeKind::Acknowledged => "acknowledged",
            AlertOutcomeKind::Resolved => "resolved",
            AlertOutcomeKind::Ignored => "ignored",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertOutcome {
    pub dedup_key: String,
    pub outcome: AlertOutcomeKind,
    pub alert_id: Option<i64>,
    pub report_id: Option<i64>,
    /// How many times the alert has been seen firing, after this one.
    pub count: i64,
    pub disposition: Option<String>,
    /// A repeat of an alert that was opened under a silence or maintenance
    /// window, now that none covers it and a rule declares it: its
    /// disposition is now `declare`, and the incident is to be declared.
    pub unsuppressed: bool,
}

/// An alert as stored, for lists.
#[derive(Debug, Clone)]
pub struct AlertRecord {
    pub id: i64,
    pub integration_id: i64,
    pub integration: String,
    pub dedup_key: String,
    pub status: String,
    pub report_id: i64,
    pub title: String,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub labels: String,
    pub links: String,
    pub disposition: String,
    pub rule_name: Option<String>,
    pub suppressed_by: Option<String>,
    pub count: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub starts_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub integration_id: Option<i64>,
    /// `firing`, `acknowledged`, `resolved`; `open` for the first two.
    pub status: Option<String>,
    pub limit: i64,
}

const ALERT_SELECT: &str = "SELECT a.id, a.integration_id, g.name AS integration_name, a.dedup_key, \
    a.status, a.report_id, a.title, a.severity, s.name AS service_name, a.labels, a.links, \
    a.disposition, a.rule_name, a.suppressed_by, a.count, a.first_seen, a.last_seen, a.starts_at, \
    a.acknowledged_at, a.resolved_at FROM intake_alerts a \
    JOIN intake_integrations g ON g.id = a.integration_id \
    JOIN reports r ON r.id = a.report_id LEFT JOIN services s ON s.id = a.service_id";

fn alert_from_row(row: &sqlx::any::AnyRow) -> Result<AlertRecord> {
    let opt_time = |name: &str| -> Result<Option<DateTime<Utc>>> {
        Ok(row.try_get::<Option<i64>, _>(name)?.map(time))
    };
    Ok(AlertRecord {
        id: row.try_get("id")?,
        integration_id: row.try_get("integration_id")?,
        integration: row.try_get("integration_name")?,
        dedup_key: row.try_get("dedup_key")?,
        status: row.try_get("status")?,
        report_id: row.try_get("report_id")?,
        title: row.try_get("title")?,
        severity: row.try_get("severity")?,
        service: row.try_get("service_name")?,
        labels: row.try_get("labels")?,
        links: row.try_get("links")?,
        disposition: row.try_get("disposition")?,
        rule_name: row.try_get("rule_name")?,
        suppressed_by: row.try_get("suppressed_by")?,
        count: row.try_get("count")?,
        first_seen: time(row.try_get("first_seen")?),
        last_seen: time(row.try_get("last_seen")?),
        starts_at: opt_time("starts_at")?,
        acknowledged_at: opt_time("acknowledged_at")?,
        resolved_at: opt_time("resolved_at")?,
    })
}

/// An open alert as the batch sees it.
#[derive(Debug, Clone)]
struct Existing {
    id: i64,
    report_id: i64,
    disposition: String,
    count: i64,
    count_inc: i64,
    acknowledged: bool,
    resolved: bool,
    /// Whether it was acknowledged before the batch: an alert whose status
    /// the batch leaves as it was is updated without touching its indexed
    /// columns.
    was_acknowledged: bool,
    /// Opened silenced or in maintenance, and declared by a repeat of this
    /// batch (its disposition is now `declare`).
    unsuppressed: bool,
}

impl Existing {
    /// Whether the batch changes its status (and so its indexed columns).
    fn status_changes(&self) -> bool {
        self.resolved || self.acknowledged != self.was_acknowledged
    }

    /// Its status at the end of the batch.
    fn final_status(&self) -> &'static str {
        if self.resolved {
            "resolved"
        } else if self.acknowledged {
            "acknowledged"
        } else {
            "firing"
        }
    }
}

/// A new alert of the batch, not yet inserted.
#[derive(Debug)]
struct Fresh<'a> {
    delivery: &'a AlertDelivery,
    write: &'a AlertWrite,
    count: i64,
    acknowledged: bool,
    resolved: bool,
}

impl Fresh<'_> {
    /// Its status at the end of the batch.
    fn status(&self) -> &'static str {
        if self.resolved {
            "resolved"
        } else if self.acknowledged {
            "acknowledged"
        } else {
            "firing"
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Existing(usize),
    Fresh(usize),
}

/// An outcome whose ids are known only after the inserts.
struct Pending {
    dedup_key: String,
    outcome: AlertOutcomeKind,
    slot: Option<Slot>,
    count: i64,
    unsuppressed: bool,
}

/// Placeholders for the large generated statements of a batch.
///
/// sqlx binds a `$N` parameter on SQLite by asking SQLite for each
/// parameter's name, which SQLite finds with a linear scan: binding is
/// quadratic in the number of parameters, and was most of the CPU time of a
/// 200-row insert. Anonymous `?` parameters have no name to look up, so on
/// SQLite these statements use `?`, each once and in binding order;
/// PostgreSQL gets `$1…$n` in the same order. Callers bind values in the
/// order the placeholders were taken. The statements vary with the batch,
/// so they are not kept in sqlx's statement cache (`persistent(false)`),
/// where they would only push out the statements that repeat.
struct Params {
    anonymous: bool,
    n: usize,
}

impl Params {
    fn new(backend: Backend) -> Params {
        Params {
            anonymous: backend == Backend::Sqlite,
            n: 0,
        }
    }

    fn next(&mut self) -> String {
        self.n += 1;
        if self.anonymous {
            "?".to_owned()
        } else {
            format!("${}", self.n)
        }
    }

    /// `p, p, …` for `n` parameters.
    fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `(p, …), (…)` for `rows` rows of `columns`: `None` is a parameter,
    /// `Some(sql)` a literal.
    fn rows(&mut self, rows: usize, columns: &[Option<&str>]) -> String {
        let mut out = String::with_capacity(rows * columns.len() * 5);
        for r in 0..rows {
            if r > 0 {
                out.push_str(", ");
            }
            out.push('(');
            for (c, column) in columns.iter().enumerate() {
                if c > 0 {
                    out.push_str(", ");
                }
                match column {
                    Some(literal) => out.push_str(literal),
                    None => out.push_str(&self.next()),
                }
            }
            out.push(')');
        }
        out
    }
}

/// `$start, $start+1, …` for `n` parameters (small statements).
fn list(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// --------------------------------------------------- rules and silences

/// A routing rule as stored; `definition` is the JSON of
/// `firebreak_intake::rules::Rule`.
#[derive(Debug, Clone)]
pub struct RuleRecord {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub definition: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A rule to store.
#[derive(Debug, Clone)]
pub struct RuleWrite {
    pub position: i64,
    pub name: String,
    pub definition: String,
    pub enabled: bool,
}

#[derive(Debug, Clone)]
pub struct SilenceRecord {
    pub id: i64,
    /// JSON array of matcher strings (`name="value"`, …).
    pub matchers: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SilenceWrite {
    pub matchers: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct MaintenanceRecord {
    pub id: i64,
    pub service_id: i64,
    pub service: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MaintenanceWrite {
    pub service_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// Everything routing needs, read at once: enabled rules in order, silences
/// and maintenance windows not yet over, and the services by name.
#[derive(Debug, Clone, Default)]
pub struct RoutingSnapshot {
    pub rules: Vec<RuleRecord>,
    pub silences: Vec<SilenceRecord>,
    pub maintenance: Vec<MaintenanceRecord>,
    pub services: BTreeMap<String, i64>,
}

fn rule_from_row(row: &sqlx::any::AnyRow) -> Result<RuleRecord> {
    Ok(RuleRecord {
        id: row.try_get("id")?,
        position: row.try_get("position")?,
        name: row.try_get("name")?,
        definition: row.try_get("definition")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        created_at: time(row.try_get("created_at")?),
        updated_at: time(row.try_get("updated_at")?),
    })
}

fn silence_from_row(row: &sqlx::any::AnyRow) -> Result<SilenceRecord> {
    Ok(SilenceRecord {
        id: row.try_get("id")?,
        matchers: row.try_get("matchers")?,
        starts_at: time(row.try_get("starts_at")?),
        ends_at: time(row.try_get("ends_at")?),
        reason: row.try_get("reason")?,
        created_by: row.try_get("created_by")?,
        created_at: time(row.try_get("created_at")?),
        expired_at: row.try_get::<Option<i64>, _>("expired_at")?.map(time),
    })
}

fn maintenance_from_row(row: &sqlx::any::AnyRow) -> Result<MaintenanceRecord> {
    Ok(MaintenanceRecord {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        service: row.try_get("service_name")?,
        starts_at: time(row.try_get("starts_at")?),
        ends_at: time(row.try_get("ends_at")?),
        reason: row.try_get("reason")?,
        created_by: row.try_get("created_by")?,
        created_at: time(row.try_get("created_at")?),
    })
}

const RULE_SELECT: &str =
    "SELECT id, position, name, definition, enabled, created_at, updated_at FROM intake_rules";
const SILENCE_SELECT: &str = "SELECT id, matchers, starts_at, ends_at, reason, created_by, created_at, \
    expired_at FROM intake_silences";
const MAINTENANCE_SELECT: &str = "SELECT m.id, m.service_id, s.name AS service_name, m.starts_at, \
    m.ends_at, m.reason, m.created_by, m.created_at FROM intake_maintenance m \
    JOIN services s ON s.id = m.service_id";

// ----------------------------------------------------------- change events

#[derive(Debug, Clone)]
pub struct ChangeEventWrite {
    pub integration_id: i64,
    pub service_id: Option<i64>,
    pub summary: String,
    pub source: Option<String>,
    pub happened_at: Option<DateTime<Utc>>,
    /// JSON: custom details and links.
    pub details: String,
}

#[derive(Debug, Clone)]
pub struct ChangeEventRecord {
    pub id: i64,
    pub integration: String,
    pub service: Option<String>,
    pub summary: String,
    pub source: Option<String>,
    pub happened_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub details: String,
}

// ------------------------------------------------------------------ e-mail

/// An attachment to keep as evidence. `content` is base64, or `None` when
/// the file was over the size limit and only its hash is kept.
#[derive(Debug, Clone)]
pub struct AttachmentWrite {
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub content: Option<String>,
}

/// An inbound message, parsed by the server.
#[derive(Debug, Clone)]
pub struct EmailWrite {
    pub integration_id: Option<i64>,
    pub actor: Actor,
    /// Without angle brackets; the server makes one from the message's hash
    /// when it had none, so a retried delivery is still recognised.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub from_address: Option<String>,
    pub subject: String,
    pub body: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub raw_sha256: String,
    pub raw_size: i64,
    /// For a message that starts a thread: the report to open.
    pub report_source: ReportSource,
    pub report_title: String,
    pub report_description: String,
    pub reporter: String,
    pub confidential: bool,
    pub service_id: Option<i64>,
    pub attachments: Vec<AttachmentWrite>,
}

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailOutcome {
    pub report_id: i64,
    pub email_id: i64,
    /// It replied to a message already stored and joined its report.
    pub threaded: bool,
    /// The same Message-ID was stored before: nothing was written.
    pub duplicate: bool,
    pub attachment_ids: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct EmailRecord {
    pub id: i64,
    pub report_id: i64,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub from_address: Option<String>,
    pub subject: String,
    pub body: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub raw_sha256: String,
    pub raw_size: i64,
    pub attachments: Vec<AttachmentRecord>,
}

#[derive(Debug, Clone)]
pub struct AttachmentRecord {
    pub id: i64,
    pub report_id: i64,
    pub email_id: i64,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Whether the content was kept (within the size limit).
    pub stored: bool,
    pub created_at: DateTime<Utc>,
}

fn attachment_from_row(row: &sqlx::any::AnyRow) -> Result<AttachmentRecord> {
    Ok(AttachmentRecord {
        id: row.try_get("id")?,
        report_id: row.try_get("report_id")?,
        email_id: row.try_get("email_id")?,
        filename: row.try_get("filename")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        stored: row.try_get::<i64, _>("stored")? != 0,
        created_at: time(row.try_get("created_at")?),
    })
}

const ATTACHMENT_SELECT: &str = "SELECT id, report_id, email_id, filename, content_type, size, sha256, \
    CASE WHEN content IS NULL THEN 0 ELSE 1 END AS stored, created_at FROM intake_attachments";

// ------------------------------------------------------------------ triage

/// Which reports the triage queue lists.
#[derive(Debug, Clone, Default)]
pub struct TriageFilter {
    /// Defaults to untriaged.
    pub status: Option<ReportStatus>,
    pub source: Option<ReportSource>,
    /// A service name.
    pub service: Option<String>,
    pub limit: i64,
}

/// The untriaged backlog of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceBacklog {
    pub source: ReportSource,
    pub untriaged: i64,
    pub oldest_received_at: DateTime<Utc>,
    pub oldest_age_seconds: i64,
}

/// Reports received for one service on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoiseRow {
    pub service: Option<String>,
    /// The UTC day, as midnight.
    pub day: DateTime<Utc>,
    pub reports: i64,
}

const DAY_MS: i64 = 86_400_000;

impl Store {
    // -------------------------------------------------------- integrations

    /// Creates an integration and its service user (disabled: it can never
    /// sign in, but actions name it).
    pub async fn create_integration(
        &self,
        new: &NewIntegration,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        let exists = sqlx::query("SELECT id FROM intake_integrations WHERE name = $1")
            .bind(&new.name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "integration `{}` already exists",
                new.name
            )));
        }
        let user_name = integration_user_name(&new.name);
        let taken = sqlx::query("SELECT id FROM users WHERE name = $1")
            .bind(&user_name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "user `{user_name}` already exists"
            )));
        }
        let user = sqlx::query(
            "INSERT INTO users (name, display_name, email, role, password_hash, disabled, created_at) \
             VALUES ($1, $2, NULL, 'responder', NULL, 1, $3) RETURNING id",
        )
        .bind(&user_name)
        .bind(format!("Intake: {} ({})", new.name, new.kind))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let user_id: i64 = user.try_get("id")?;
        let row = sqlx::query(
            "INSERT INTO intake_integrations (name, kind, service_id, key_hash, key_hint, mapping, \
             hmac_secret, hmac_timestamp_header, user_id, created_at, auto_declare) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(&new.name)
        .bind(&new.kind)
        .bind(new.service_id)
        .bind(secret_hash(&new.key))
        .bind(key_hint(&new.key))
        .bind(new.mapping.as_deref())
        .bind(new.hmac_secret.as_deref())
        .bind(new.hmac_timestamp_header.as_deref())
        .bind(user_id)
        .bind(ms(now))
        .bind(i64::from(new.auto_declare))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        self.audit(
            &mut tx,
            actor,
            "integration.create",
            &format!("integration:{id}"),
            serde_json::json!({
                "name": new.name, "kind": new.kind, "service_id": new.service_id,
                "user": user_name, "signed": new.hmac_secret.is_some(),
                "auto_declare": new.auto_declare,
            }),
            now,
        )
        .await?;
        let record = integration_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn integrations(&self) -> Result<Vec<IntegrationRecord>> {
        let sql = format!("{INTEGRATION_SELECT} ORDER BY g.name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(integration_from_row).collect()
    }

    pub async fn integration(&self, id: i64) -> Result<Option<IntegrationRecord>> {
        let sql = format!("{INTEGRATION_SELECT} WHERE g.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(integration_from_row).transpose()
    }

    /// The integration a key belongs to, enabled or not; looked up by the
    /// key's SHA-256.
    pub async fn integration_by_key(&self, key: &str) -> Result<Option<IntegrationRecord>> {
        let sql = format!("{INTEGRATION_SELECT} WHERE g.key_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_hash(key))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(integration_from_row).transpose()
    }

    /// The oldest enabled integration of `kind` (the SMTP listener's).
    pub async fn first_integration_of_kind(&self, kind: &str) -> Result<Option<IntegrationRecord>> {
        let sql = format!(
            "{INTEGRATION_SELECT} WHERE g.kind = $1 AND g.disabled_at IS NULL ORDER BY g.id LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(integration_from_row).transpose()
    }

    /// Disables an integration: its key stops working at once. Its alerts
    /// and reports stay.
    pub async fn disable_integration(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE intake_integrations SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT id FROM intake_integrations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match exists {
                None => StoreError::NotFound(format!("integration {id}")),
                Some(_) => StoreError::Conflict(format!("integration {id} is already disabled")),
            });
        }
        self.audit(
            &mut tx,
            actor,
            "integration.disable",
            &format!("integration:{id}"),
            serde_json::json!({}),
            now,
        )
        .await?;
        let record = integration_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Turns an integration's `auto_declare` on or off.
    pub async fn set_integration_auto_declare(
        &self,
        id: i64,
        auto_declare: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE intake_integrations SET auto_declare = $1 WHERE id = $2")
            .bind(i64::from(auto_declare))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("integration {id}")));
        }
        self.audit(
            &mut tx,
            actor,
            "integration.auto_declare",
            &format!("integration:{id}"),
            serde_json::json!({"auto_declare": auto_declare}),
            now,
        )
        .await?;
        let record = integration_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Replaces an integration's key; the old one stops working at once.
    pub async fn rotate_integration_key(
        &self,
        id: i64,
        new_key: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<IntegrationRecord> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE intake_integrations SET key_hash = $1, key_hint = $2 WHERE id = $3",
        )
        .bind(secret_hash(new_key))
        .bind(key_hint(new_key))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("integration {id}")));
        }
        self.audit(
            &mut tx,
            actor,
            "integration.rotate_key",
            &format!("integration:{id}"),
            serde_json::json!({"key_hint": key_hint(new_key)}),
            now,
        )
        .await?;
        let record = integration_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    // -------------------------------------------------------------- alerts

    /// Writes the alerts of many deliveries in one transaction and returns,
    /// per delivery, what happened to each of its alerts, in order.
    ///
    /// Per key, in order of arrival: a firing alert with no open alert opens
    /// one (and its report); one with an open alert counts as a repeat; an
    /// acknowledge or resolve applies to the open alert, and is ignored when
    /// there is none; a firing alert after a resolve opens a new one. This
    /// holds within a batch as across batches.
    ///
    /// Either everything is written or nothing is: an error leaves the
    /// database as it was, and every delivery of the batch may be retried.
    pub async fn ingest_alerts(
        &self,
        deliveries: &[AlertDelivery],
        now: DateTime<Utc>,
    ) -> Result<Vec<Vec<AlertOutcome>>> {
        match self.backend {
            Backend::Sqlite => self.ingest_alerts_sqlite(deliveries, now).await,
            Backend::Postgres => self.ingest_alerts_postgres(deliveries, now).await,
        }
    }

    /// [`Store::ingest_alerts`] on SQLite, in two round trips to sqlx's
    /// SQLite worker thread, each one statement text that never changes:
    /// `BEGIN IMMEDIATE` and one read (the open alerts of the batch's keys,
    /// as one JSON array; the largest report and alert ids; the audit head),
    /// then every write, the audit entries and `COMMIT`. The rows travel as
    /// JSON arrays read with `jsonb_each` (whose rows `->>` reads without
    /// rendering them back to text).
    ///
    /// Why not the usual transaction and `self.audit`: each statement is a
    /// hand-off between threads, each result row another, and on a busy
    /// server each hand-off waits for a core; the usual path made a batch
    /// several times slower than its SQL. Generated multi-row statements
    /// cost more to parse than to run, and bind one parameter per value.
    /// Under the write lock, taken by the first statement, the ids read are
    /// exact, so new rows get the ids that follow them, and the audit entries
    /// chain onto the head read under the same lock exactly as
    /// `Store::audit` appends them (same hash, same rows).
    async fn ingest_alerts_sqlite(
        &self,
        deliveries: &[AlertDelivery],
        now: DateTime<Utc>,
    ) -> Result<Vec<Vec<AlertOutcome>>> {
        const READ: &str = "BEGIN IMMEDIATE; SELECT \
            (SELECT COALESCE(MAX(id), 0) FROM reports) AS max_report, \
            (SELECT COALESCE(MAX(id), 0) FROM intake_alerts) AS max_alert, \
            (SELECT seq FROM audit_head WHERE id = 1) AS audit_seq, \
            (SELECT hash FROM audit_head WHERE id = 1) AS audit_hash, \
            (SELECT data_version FROM pragma_data_version) AS data_version";
        const LOAD: &str = "SELECT id, open_key, report_id, disposition, status, count \
            FROM intake_alerts INDEXED BY intake_alerts_open WHERE open_key IS NOT NULL";
        const WRITE: &str = "INSERT INTO reports (id, source, reporter, title, description, \
            received_at, status, confidential, service_id, created_by) \
            SELECT value ->> 0, 'monitoring', value ->> 1, value ->> 2, value ->> 3, value ->> 4, \
            'untriaged', value ->> 5, value ->> 6, value ->> 7 FROM jsonb_each(?); \
            INSERT INTO intake_alerts (id, integration_id, dedup_key, open_key, status, report_id, \
            title, severity, service_id, labels, links, disposition, rule_name, suppressed_by, \
            count, first_seen, last_seen, starts_at, acknowledged_at, resolved_at) \
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
            value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, \
            value ->> 12, value ->> 13, value ->> 14, value ->> 15, value ->> 15, value ->> 16, \
            value ->> 17, value ->> 18 FROM jsonb_each(?); \
            UPDATE intake_alerts SET count = count + (j.value ->> 1), last_seen = j.value ->> 2 \
            FROM jsonb_each(?) AS j WHERE intake_alerts.id = j.value ->> 0; \
            UPDATE intake_alerts SET disposition = 'declare', suppressed_by = NULL \
            WHERE id IN (SELECT value FROM json_each(?)); \
            UPDATE intake_alerts SET count = count + (j.value ->> 1), last_seen = j.value ->> 2, \
            status = j.value ->> 3, \
            open_key = CASE WHEN j.value ->> 3 = 'resolved' THEN NULL ELSE open_key END, \
            acknowledged_at = CASE WHEN j.value ->> 3 = 'acknowledged' \
              THEN COALESCE(acknowledged_at, j.value ->> 2) ELSE acknowledged_at END, \
            resolved_at = CASE WHEN j.value ->> 3 = 'resolved' THEN j.value ->> 2 \
              ELSE resolved_at END \
            FROM jsonb_each(?) AS j WHERE intake_alerts.id = j.value ->> 0; \
            INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) \
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
            value ->> 6, value ->> 7 FROM jsonb_each(?); \
            UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1; \
            COMMIT";

        let now_ms = ms(now);
        let keys = batch_keys(deliveries);
        // Before the connection: the only order in which the two are taken.
        let mut open_alerts = self.open_alerts.lock().await;
        let mut guard = ConnectionGuard {
            conn: self.write.acquire().await?,
            settled: false,
        };
        let conn = &mut guard.conn;
        // Taken now, put back only once the batch is applied to the map: a
        // batch that fails, or whose future is dropped halfway, leaves the
        // map to be read again.
        let known = open_alerts.version.take();
        let generation = self
            .write_generation
            .load(std::sync::atomic::Ordering::SeqCst);
        let outcome = async {
            // `fetch_all`: `fetch_one` stops at the result of `BEGIN`.
            let rows = sqlx::query(READ).fetch_all(&mut **conn).await?;
            let row = rows
                .first()
                .ok_or_else(|| StoreError::Other("the batch read returned no row".to_owned()))?;
            let max_report: i64 = row.try_get("max_report")?;
            let max_alert: i64 = row.try_get("max_alert")?;
            let mut audit_seq: i64 = row.try_get("audit_seq")?;
            let mut audit_hash: String = row.try_get("audit_hash")?;
            let version = (generation, row.try_get::<i64, _>("data_version")?);
            if known != Some(version) {
                let rows = sqlx::query(LOAD).fetch_all(&mut **conn).await?;
                let mut by_key = HashMap::with_capacity(rows.len());
                for row in &rows {
                    let status: String = row.try_get("status")?;
                    by_key.insert(
                        row.try_get("open_key")?,
                        OpenAlert {
                            id: row.try_get("id")?,
                            report_id: row.try_get("report_id")?,
                            disposition: row.try_get("disposition")?,
                            acknowledged: status == "acknowledged",
                            count: row.try_get("count")?,
                        },
                    );
                }
                open_alerts.by_key = by_key;
            }
            let (open_keys, open): (Vec<String>, Vec<(String, Existing)>) = keys
                .iter()
                .filter_map(|k| {
                    let e = open_alerts.by_key.get(k)?.existing();
                    Some((k.clone(), (k.clone(), e)))
                })
                .unzip();

            let plan = plan(deliveries, open);
            let ids: Vec<(i64, i64)> = (1..=i64::try_from(plan.fresh.len()).unwrap_or(i64::MAX))
                .map(|i| (max_alert + i, max_report + i))
                .collect();
            let out = plan.outcomes(&ids);

            let mut reports = Vec::with_capacity(plan.fresh.len());
            let mut alerts = Vec::with_capacity(plan.fresh.len());
            for (f, (alert_id, report_id)) in plan.fresh.iter().zip(&ids) {
                let w = f.write;
                reports.push(vec![
                    J::Int(*report_id),
                    J::Text(&f.delivery.reporter),
                    J::Text(&w.report_title),
                    J::Text(&w.report_description),
                    J::Int(now_ms),
                    J::Int(flag(w.confidential)),
                    J::opt_int(w.service_id),
                    J::opt_int(f.delivery.actor.user_id),
                ]);
                alerts.push(vec![
                    J::Int(*alert_id),
                    J::Int(f.delivery.integration_id),
                    J::Text(&w.dedup_key),
                    match f.resolved {
                        true => J::Null,
                        false => J::Owned(open_key(f.delivery.integration_id, &w.dedup_key)),
                    },
                    J::Text(f.status()),
                    J::Int(*report_id),
                    J::Text(&w.title),
                    J::opt_text(w.severity.as_deref()),
                    J::opt_int(w.service_id),
                    J::Text(&w.labels),
                    J::Text(&w.links),
                    J::Text(&w.disposition),
                    J::opt_text(w.rule_name.as_deref()),
                    J::opt_text(w.suppressed_by.as_deref()),
                    J::Int(f.count),
                    J::Int(now_ms),
                    J::opt_int(w.starts_at.map(ms)),
                    J::opt_int(f.acknowledged.then_some(now_ms)),
                    J::opt_int(f.resolved.then_some(now_ms)),
                ]);
            }
            // Repeats leave the status (and every indexed column) as it
            // was: they are a cheaper `UPDATE` of their own.
            let mut repeats = Vec::with_capacity(plan.existing.len());
            let mut changes = Vec::new();
            let unsuppressed = plan.unsuppressed();
            for e in &plan.existing {
                if e.status_changes() {
                    changes.push(vec![
                        J::Int(e.id),
                        J::Int(e.count_inc),
                        J::Int(now_ms),
                        J::Text(e.final_status()),
                    ]);
                } else {
                    repeats.push(vec![J::Int(e.id), J::Int(e.count_inc), J::Int(now_ms)]);
                }
            }
            let mut entries = Vec::new();
            for (integration_id, summary) in audit_summaries(deliveries, &out) {
                let seq = audit_seq + 1;
                let target = format!("integration:{integration_id}");
                let details = summary.details().to_string();
                let hash = crate::audit::entry_hash(
                    seq,
                    now_ms,
                    &summary.actor.name,
                    INTAKE_AUDIT_ACTION,
                    &target,
                    &details,
                    &audit_hash,
                );
                entries.push(vec![
                    J::Int(seq),
                    J::Int(now_ms),
                    J::Owned(summary.actor.name.clone()),
                    J::Text(INTAKE_AUDIT_ACTION),
                    J::Owned(target),
                    J::Owned(details),
                    J::Owned(audit_hash.clone()),
                    J::Owned(hash.clone()),
                ]);
                audit_seq = seq;
                audit_hash = hash;
            }
            sqlx::query(WRITE)
                .bind(to_json(&reports)?)
                .bind(to_json(&alerts)?)
                .bind(to_json(&repeats)?)
                .bind(to_json(&unsuppressed)?)
                .bind(to_json(&changes)?)
                .bind(to_json(&entries)?)
                .bind(audit_seq)
                .bind(audit_hash)
                .execute(&mut **conn)
                .await?;
            open_alerts.apply(&open_keys, &plan, &ids);
            open_alerts.version = Some(version);
            self.checkpoint_soon();
            Ok(out)
        }
        .await;
        if outcome.is_err() {
            // Whether the batch was committed is not known for sure: the
            // next batch reads the open alerts afresh (`version` is None).
            // The transaction may be open: end it, or (the guard does) throw
            // the connection away rather than hand it back to the pool
            // mid-transaction.
            let rolled_back = sqlx::query("ROLLBACK").execute(&mut *guard.conn).await;
            if let Err(e) = rolled_back
                && !e.to_string().contains("no transaction is active")
            {
                return outcome;
            }
        }
        guard.settled = true;
        outcome
    }

    /// [`Store::ingest_alerts`] on PostgreSQL: one transaction, the open
    /// alerts locked, new rows inserted with `RETURNING`.
    async fn ingest_alerts_postgres(
        &self,
        deliveries: &[AlertDelivery],
        now: DateTime<Utc>,
    ) -> Result<Vec<Vec<AlertOutcome>>> {
        let now_ms = ms(now);
        let keys = batch_keys(deliveries);
        let mut tx = self.begin().await?;
        let mut open = Vec::new();
        for chunk in keys.chunks(CHUNK * 4) {
            let sql = format!(
                "SELECT a.id, a.open_key, a.report_id, a.disposition, a.status, a.count \
                 FROM intake_alerts a WHERE a.open_key IN ({}){}",
                Params::new(self.backend).list(chunk.len()),
                self.for_update()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for row in q.fetch_all(&mut *tx).await? {
                open.extend(existing_from_row(&row)?);
            }
        }
        let plan = plan(deliveries, open);
        // Open alerts first: one resolved in this batch frees its key for a
        // new alert of the same key, which the unique index would refuse
        // while the old one still held it.
        for ((status, inc), alert_ids) in &plan.groups {
            for chunk in alert_ids.chunks(CHUNK * 4) {
                let sql = update_sql(&mut Params::new(self.backend), status, chunk.len());
                let q = bind_update(
                    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false),
                    status,
                    *inc,
                    now_ms,
                    chunk,
                );
                q.execute(&mut *tx).await?;
            }
        }
        let mut ids = Vec::with_capacity(plan.fresh.len());
        for chunk in plan.fresh.chunks(CHUNK) {
            let report_ids = insert_reports(self.backend, &mut tx, chunk, now_ms).await?;
            let alert_ids =
                insert_alerts(self.backend, &mut tx, chunk, &report_ids, now_ms).await?;
            ids.extend(alert_ids.into_iter().zip(report_ids));
        }
        let unsuppressed = plan.unsuppressed();
        for chunk in unsuppressed.chunks(CHUNK * 4) {
            let sql = format!(
                "UPDATE intake_alerts SET disposition = 'declare', suppressed_by = NULL \
                 WHERE id IN ({})",
                Params::new(self.backend).list(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        let out = plan.outcomes(&ids);
        for (integration_id, summary) in audit_summaries(deliveries, &out) {
            self.audit(
                &mut tx,
                &summary.actor,
                INTAKE_AUDIT_ACTION,
                &format!("integration:{integration_id}"),
                summary.details(),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Alerts whose reports `reader` may see, newest first.
    pub async fn intake_alerts(
        &self,
        filter: &AlertFilter,
        reader: &Reader,
    ) -> Result<Vec<AlertRecord>> {
        let mut sql = format!("{ALERT_SELECT} WHERE {VISIBLE}");
        let mut n = 2;
        if filter.integration_id.is_some() {
            n += 1;
            sql.push_str(&format!(" AND a.integration_id = ${n}"));
        }
        match filter.status.as_deref() {
            None => {}
            Some("open") => sql.push_str(" AND a.open_key IS NOT NULL"),
            Some(_) => {
                n += 1;
                sql.push_str(&format!(" AND a.status = ${n}"));
            }
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY a.id DESC LIMIT ${n}"));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(reader.user_id)
            .bind(i64::from(reader.sees_all_confidential));
        if let Some(id) = filter.integration_id {
            q = q.bind(id);
        }
        if let Some(status) = filter.status.as_deref().filter(|s| *s != "open") {
            q = q.bind(status.to_owned());
        }
        q = q.bind(filter.limit.clamp(1, 1000));
        let rows = q.fetch_all(&self.read).await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// The alerts behind these reports (those `reader` may see).
    pub async fn alerts_for_reports(
        &self,
        report_ids: &[i64],
        reader: &Reader,
    ) -> Result<Vec<AlertRecord>> {
        let mut out = Vec::new();
        for chunk in report_ids.chunks(CHUNK * 4) {
            let sql = format!(
                "{ALERT_SELECT} WHERE {VISIBLE} AND a.report_id IN ({}) ORDER BY a.id",
                list(3, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(reader.user_id)
                .bind(i64::from(reader.sees_all_confidential));
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.read).await? {
                out.push(alert_from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// Alerts a rule said to declare whose reports are still untriaged: a
    /// declaration that did not happen (the process stopped between the
    /// commit and the declaration, or the declaration failed).
    pub async fn undeclared_alerts(&self, limit: i64) -> Result<Vec<(i64, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT a.id, a.report_id, a.integration_id FROM intake_alerts a \
             JOIN reports r ON r.id = a.report_id \
             WHERE a.disposition = 'declare' AND r.status = 'untriaged' ORDER BY a.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("report_id")?,
                    r.try_get("integration_id")?,
                ))
            })
            .collect()
    }

    /// One alert by id, if its report is visible to `reader`.
    pub async fn intake_alert(&self, id: i64, reader: &Reader) -> Result<Option<AlertRecord>> {
        let sql = format!("{ALERT_SELECT} WHERE {VISIBLE} AND a.id = $3");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(reader.user_id)
            .bind(i64::from(reader.sees_all_confidential))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    // ------------------------------------------------------------- routing

    /// Enabled rules in order, silences and maintenance windows not over at
    /// `now`, and the services by name.
    pub async fn routing_snapshot(&self, now: DateTime<Utc>) -> Result<RoutingSnapshot> {
        let sql = format!("{RULE_SELECT} WHERE enabled = 1 ORDER BY position, id");
        let rules = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(rule_from_row)
            .collect::<Result<Vec<_>>>()?;
        let sql = format!("{SILENCE_SELECT} WHERE ends_at > $1 ORDER BY id");
        let silences = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(silence_from_row)
            .collect::<Result<Vec<_>>>()?;
        let sql = format!("{MAINTENANCE_SELECT} WHERE m.ends_at > $1 ORDER BY m.id");
        let maintenance = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(maintenance_from_row)
            .collect::<Result<Vec<_>>>()?;
        let mut services = BTreeMap::new();
        for row in sqlx::query("SELECT id, name FROM services")
            .fetch_all(&self.read)
            .await?
        {
            services.insert(row.try_get("name")?, row.try_get("id")?);
        }
        Ok(RoutingSnapshot {
            rules,
            silences,
            maintenance,
            services,
        })
    }

    pub async fn intake_rules(&self) -> Result<Vec<RuleRecord>> {
        let sql = format!("{RULE_SELECT} ORDER BY position, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(rule_from_row).collect()
    }

    pub async fn create_intake_rule(
        &self,
        rule: &RuleWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<RuleRecord> {
        let mut tx = self.begin().await?;
        rule_name_free(&mut tx, &rule.name, None).await?;
        let row = sqlx::query(
            "INSERT INTO intake_rules (position, name, definition, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(rule.position)
        .bind(&rule.name)
        .bind(&rule.definition)
        .bind(flag(rule.enabled))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        self.audit(
            &mut tx,
            actor,
            "intake_rule.create",
            &format!("intake_rule:{id}"),
            rule_details(rule),
            now,
        )
        .await?;
        let record = rule_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn update_intake_rule(
        &self,
        id: i64,
        rule: &RuleWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<RuleRecord> {
        let mut tx = self.begin().await?;
        rule_name_free(&mut tx, &rule.name, Some(id)).await?;
        let done = sqlx::query(
            "UPDATE intake_rules SET position = $1, name = $2, definition = $3, enabled = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(rule.position)
        .bind(&rule.name)
        .bind(&rule.definition)
        .bind(flag(rule.enabled))
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("routing rule {id}")));
        }
        self.audit(
            &mut tx,
            actor,
            "intake_rule.update",
            &format!("intake_rule:{id}"),
            rule_details(rule),
            now,
        )
        .await?;
        let record = rule_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Deletes a rule; the audit entry keeps its last definition.
    pub async fn delete_intake_rule(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let old = rule_in(&mut tx, id).await?;
        sqlx::query("DELETE FROM intake_rules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.audit(
            &mut tx,
            actor,
            "intake_rule.delete",
            &format!("intake_rule:{id}"),
            serde_json::json!({"name": old.name, "definition": old.definition}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Silences that end after `since` (all of them when `None`), newest
    /// first.
    pub async fn silences(&self, since: Option<DateTime<Utc>>) -> Result<Vec<SilenceRecord>> {
        let sql = format!("{SILENCE_SELECT} WHERE ends_at > $1 ORDER BY id DESC LIMIT 1000");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since.map_or(i64::MIN, ms))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(silence_from_row).collect()
    }

    pub async fn create_silence(
        &self,
        silence: &SilenceWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<SilenceRecord> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO intake_silences (matchers, starts_at, ends_at, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&silence.matchers)
        .bind(ms(silence.starts_at))
        .bind(ms(silence.ends_at))
        .bind(&silence.reason)
        .bind(&actor.name)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        self.audit(
            &mut tx,
            actor,
            "silence.create",
            &format!("silence:{id}"),
            serde_json::json!({
                "matchers": silence.matchers, "starts_at": ms(silence.starts_at),
                "ends_at": ms(silence.ends_at), "reason": silence.reason,
            }),
            now,
        )
        .await?;
        let record = silence_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Ends a silence now (it is kept, with its window cut short).
    pub async fn expire_silence(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<SilenceRecord> {
        let mut tx = self.begin().await?;
        let old = silence_in(&mut tx, id).await?;
        if old.ends_at <= now {
            return Err(StoreError::Conflict(format!(
                "silence {id} is already over"
            )));
        }
        sqlx::query("UPDATE intake_silences SET ends_at = $1, expired_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.audit(
            &mut tx,
            actor,
            "silence.expire",
            &format!("silence:{id}"),
            serde_json::json!({"was_ending": ms(old.ends_at)}),
            now,
        )
        .await?;
        let record = silence_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn maintenance_windows(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<MaintenanceRecord>> {
        let sql =
            format!("{MAINTENANCE_SELECT} WHERE m.ends_at > $1 ORDER BY m.id DESC LIMIT 1000");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since.map_or(i64::MIN, ms))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(maintenance_from_row).collect()
    }

    pub async fn create_maintenance(
        &self,
        window: &MaintenanceWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceRecord> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO intake_maintenance (service_id, starts_at, ends_at, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(window.service_id)
        .bind(ms(window.starts_at))
        .bind(ms(window.ends_at))
        .bind(&window.reason)
        .bind(&actor.name)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        self.audit(
            &mut tx,
            actor,
            "maintenance.create",
            &format!("maintenance:{id}"),
            serde_json::json!({
                "service_id": window.service_id, "starts_at": ms(window.starts_at),
                "ends_at": ms(window.ends_at), "reason": window.reason,
            }),
            now,
        )
        .await?;
        let record = maintenance_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Ends a maintenance window now.
    pub async fn end_maintenance(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceRecord> {
        let mut tx = self.begin().await?;
        let old = maintenance_in(&mut tx, id).await?;
        if old.ends_at <= now {
            return Err(StoreError::Conflict(format!(
                "maintenance window {id} is already over"
            )));
        }
        sqlx::query("UPDATE intake_maintenance SET ends_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.audit(
            &mut tx,
            actor,
            "maintenance.end",
            &format!("maintenance:{id}"),
            serde_json::json!({"was_ending": ms(old.ends_at)}),
            now,
        )
        .await?;
        let record = maintenance_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    // ------------------------------------------------------- change events

    pub async fn record_change_event(
        &self,
        event: &ChangeEventWrite,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO intake_change_events (integration_id, service_id, summary, source, \
             happened_at, received_at, details) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(event.integration_id)
        .bind(event.service_id)
        .bind(&event.summary)
        .bind(event.source.as_deref())
        .bind(event.happened_at.map(ms))
        .bind(ms(now))
        .bind(&event.details)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        self.audit(
            &mut tx,
            actor,
            "intake.change_event",
            &format!("change_event:{id}"),
            serde_json::json!({"integration_id": event.integration_id, "service_id": event.service_id}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Change events, newest first; of one service when `service_id` is set.
    pub async fn change_events(
        &self,
        service_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ChangeEventRecord>> {
        let mut sql =
            "SELECT c.id, g.name AS integration_name, s.name AS service_name, c.summary, \
             c.source, c.happened_at, c.received_at, c.details FROM intake_change_events c \
             JOIN intake_integrations g ON g.id = c.integration_id \
             LEFT JOIN services s ON s.id = c.service_id"
                .to_owned();
        if service_id.is_some() {
            sql.push_str(" WHERE c.service_id = $2");
        }
        sql.push_str(" ORDER BY c.id DESC LIMIT $1");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit.clamp(1, 1000));
        if let Some(id) = service_id {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(ChangeEventRecord {
                    id: row.try_get("id")?,
                    integration: row.try_get("integration_name")?,
                    service: row.try_get("service_name")?,
                    summary: row.try_get("summary")?,
                    source: row.try_get("source")?,
                    happened_at: row.try_get::<Option<i64>, _>("happened_at")?.map(time),
                    received_at: time(row.try_get("received_at")?),
                    details: row.try_get("details")?,
                })
            })
            .collect()
    }

    // -------------------------------------------------------------- e-mail

    /// Stores an inbound message: on the report of the message it replies
    /// to when one is stored (Message-ID, In-Reply-To, References), else on
    /// a new report; its attachments as evidence. A Message-ID already
    /// stored is a redelivery: nothing is written.
    pub async fn ingest_email(
        &self,
        mail: &EmailWrite,
        now: DateTime<Utc>,
    ) -> Result<EmailOutcome> {
        let mut tx = self.begin().await?;
        let dup =
            sqlx::query("SELECT id, report_id FROM intake_email_messages WHERE message_id = $1")
                .bind(&mail.message_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = dup {
            let email_id: i64 = row.try_get("id")?;
            let report_id: i64 = row.try_get("report_id")?;
            let ids =
                sqlx::query("SELECT id FROM intake_attachments WHERE email_id = $1 ORDER BY id")
                    .bind(email_id)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<Result<Vec<i64>, _>>()?;
            tx.rollback().await?;
            return Ok(EmailOutcome {
                report_id,
                email_id,
                threaded: false,
                duplicate: true,
                attachment_ids: ids,
            });
        }

        // The thread: the direct parent first, then the references from
        // the newest back.
        let mut parents: Vec<&str> = Vec::new();
        if let Some(p) = mail.in_reply_to.as_deref() {
            parents.push(p);
        }
        for r in mail.references.iter().rev() {
            if !parents.contains(&r.as_str()) {
                parents.push(r);
            }
        }
        parents.truncate(100);
        let mut thread_report: Option<i64> = None;
        if !parents.is_empty() {
            // A confidential message (a disclosure) joins only a thread whose
            // report is confidential already: stored on a public report, its
            // readers would be wider than the security team. Otherwise it
            // starts a new confidential report.
            let only_confidential = if mail.confidential {
                concat!(" AND ", report_confidential!())
            } else {
                ""
            };
            let sql = format!(
                "SELECT e.message_id, e.report_id FROM intake_email_messages e \
                 JOIN reports r ON r.id = e.report_id WHERE e.message_id IN ({}){only_confidential}",
                list(1, parents.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in &parents {
                q = q.bind(*p);
            }
            let found: HashMap<String, i64> = q
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("message_id")?, r.try_get("report_id")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            thread_report = parents.iter().find_map(|p| found.get(*p).copied());
        }

        let (report_id, threaded) = match thread_report {
            Some(id) => (id, true),
            None => {
                let row = sqlx::query(
                    "INSERT INTO reports (source, reporter, title, description, received_at, status, \
                     confidential, service_id, created_by) \
                     VALUES ($1, $2, $3, $4, $5, 'untriaged', $6, $7, $8) RETURNING id",
                )
                .bind(mail.report_source.as_str())
                .bind(&mail.reporter)
                .bind(&mail.report_title)
                .bind(&mail.report_description)
                .bind(ms(now))
                .bind(flag(mail.confidential))
                .bind(mail.service_id)
                .bind(mail.actor.user_id)
                .fetch_one(&mut *tx)
                .await?;
                (row.try_get::<i64, _>("id")?, false)
            }
        };
        let row = sqlx::query(
            "INSERT INTO intake_email_messages (integration_id, report_id, message_id, in_reply_to, \
             from_address, subject, body, sent_at, received_at, raw_sha256, raw_size) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(mail.integration_id)
        .bind(report_id)
        .bind(&mail.message_id)
        .bind(mail.in_reply_to.as_deref())
        .bind(mail.from_address.as_deref())
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(mail.sent_at.map(ms))
        .bind(ms(now))
        .bind(&mail.raw_sha256)
        .bind(mail.raw_size)
        .fetch_one(&mut *tx)
        .await?;
        let email_id: i64 = row.try_get("id")?;
        let mut attachment_ids = Vec::with_capacity(mail.attachments.len());
        for a in &mail.attachments {
            let row = sqlx::query(
                "INSERT INTO intake_attachments (report_id, email_id, filename, content_type, size, \
                 sha256, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(report_id)
            .bind(email_id)
            .bind(a.filename.as_deref())
            .bind(&a.content_type)
            .bind(a.size)
            .bind(&a.sha256)
            .bind(a.content.as_deref())
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?;
            attachment_ids.push(row.try_get::<i64, _>("id")?);
        }
        self.audit(
            &mut tx,
            &mail.actor,
            if threaded {
                "intake.email_reply"
            } else {
                "intake.email"
            },
            &format!("report:{report_id}"),
            serde_json::json!({
                "email_id": email_id, "message_id": mail.message_id,
                "raw_sha256": mail.raw_sha256, "source": mail.report_source,
                "confidential": mail.confidential,
                "attachments": mail.attachments.iter()
                    .map(|a| serde_json::json!({"sha256": a.sha256, "size": a.size, "stored": a.content.is_some()}))
                    .collect::<Vec<_>>(),
            }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(EmailOutcome {
            report_id,
            email_id,
            threaded,
            duplicate: false,
            attachment_ids,
        })
    }

    /// The messages of a report, oldest first, with their attachments'
    /// metadata. The caller checks that the report is visible.
    pub async fn report_emails(&self, report_id: i64) -> Result<Vec<EmailRecord>> {
        let rows = sqlx::query(
            "SELECT id, report_id, message_id, in_reply_to, from_address, subject, body, sent_at, \
             received_at, raw_sha256, raw_size FROM intake_email_messages WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(&self.read)
        .await?;
        let sql = format!("{ATTACHMENT_SELECT} WHERE report_id = $1 ORDER BY id");
        let attachments = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(report_id)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(attachment_from_row)
            .collect::<Result<Vec<_>>>()?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                Ok(EmailRecord {
                    id,
                    report_id: row.try_get("report_id")?,
                    message_id: row.try_get("message_id")?,
                    in_reply_to: row.try_get("in_reply_to")?,
                    from_address: row.try_get("from_address")?,
                    subject: row.try_get("subject")?,
                    body: row.try_get("body")?,
                    sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(time),
                    received_at: time(row.try_get("received_at")?),
                    raw_sha256: row.try_get("raw_sha256")?,
                    raw_size: row.try_get("raw_size")?,
                    attachments: attachments
                        .iter()
                        .filter(|a| a.email_id == id)
                        .cloned()
                        .collect(),
                })
            })
            .collect()
    }

    /// An attachment's metadata and content (base64, when it was kept). The
    /// caller checks that its report is visible.
    pub async fn attachment(&self, id: i64) -> Result<Option<(AttachmentRecord, Option<String>)>> {
        let row = sqlx::query(
            "SELECT id, report_id, email_id, filename, content_type, size, sha256, \
             CASE WHEN content IS NULL THEN 0 ELSE 1 END AS stored, created_at, content \
             FROM intake_attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((attachment_from_row(&row)?, row.try_get("content")?))),
        }
    }

    // -------------------------------------------------------------- triage

    /// The triage queue (or reports of another status) that `reader` may
    /// see, filtered by source and service, oldest first.
    pub async fn triage_queue(
        &self,
        filter: &TriageFilter,
        reader: &Reader,
        now: DateTime<Utc>,
    ) -> Result<Vec<Report>> {
        let status = filter.status.unwrap_or(ReportStatus::Untriaged);
        let mut sql = format!("{REPORT_SELECT} WHERE {VISIBLE} AND r.status = $3");
        let mut n = 3;
        if filter.source.is_some() {
            n += 1;
            sql.push_str(&format!(" AND r.source = ${n}"));
        }
        if filter.service.is_some() {
            n += 1;
            sql.push_str(&format!(" AND s.name = ${n}"));
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY r.received_at, r.id LIMIT ${n}"));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(reader.user_id)
            .bind(i64::from(reader.sees_all_confidential))
            .bind(status.as_str());
        if let Some(source) = filter.source {
            q = q.bind(source.as_str());
        }
        if let Some(service) = &filter.service {
            q = q.bind(service.clone());
        }
        q = q.bind(filter.limit.clamp(1, 1000));
        let rows = q.fetch_all(&self.read).await?;
        rows.iter().map(|r| report_from_row(r, now)).collect()
    }

    /// Per source: how many reports wait in the triage queue and how old the
    /// oldest is, as `reader` sees the queue.
    pub async fn triage_backlog(
        &self,
        reader: &Reader,
        now: DateTime<Utc>,
    ) -> Result<Vec<SourceBacklog>> {
        let sql = format!(
            "SELECT r.source, COUNT(*) AS n, MIN(r.received_at) AS oldest FROM reports r \
             WHERE r.status = 'untriaged' AND {VISIBLE} GROUP BY r.source ORDER BY r.source"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(reader.user_id)
            .bind(i64::from(reader.sees_all_confidential))
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                let source: String = row.try_get("source")?;
                let oldest = time(row.try_get("oldest")?);
                Ok(SourceBacklog {
                    source: ReportSource::parse(&source)
                        .ok_or_else(|| StoreError::Other(format!("stored source `{source}`")))?,
                    untriaged: row.try_get("n")?,
                    oldest_received_at: oldest,
                    oldest_age_seconds: (now - oldest).num_seconds().max(0),
                })
            })
            .collect()
    }

    /// Reports received per service per UTC day in `[from, to)`, as `reader`
    /// sees them; of one source when `source` is set.
    pub async fn report_noise(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        source: Option<ReportSource>,
        reader: &Reader,
    ) -> Result<Vec<NoiseRow>> {
        let mut sql = format!(
            "SELECT s.name AS service_name, r.received_at / {DAY_MS} AS bucket, COUNT(*) AS n \
             FROM reports r LEFT JOIN services s ON s.id = r.service_id \
             WHERE {VISIBLE} AND r.received_at >= $3 AND r.received_at < $4"
        );
        if source.is_some() {
            sql.push_str(" AND r.source = $5");
        }
        sql.push_str(&format!(
            " GROUP BY s.name, r.received_at / {DAY_MS} ORDER BY bucket, COALESCE(s.name, '')"
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(reader.user_id)
            .bind(i64::from(reader.sees_all_confidential))
            .bind(ms(from))
            .bind(ms(to));
        if let Some(source) = source {
            q = q.bind(source.as_str());
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(NoiseRow {
                    service: row.try_get("service_name")?,
                    day: time(row.try_get::<i64, _>("bucket")? * DAY_MS),
                    reports: row.try_get("n")?,
                })
            })
            .collect()
    }
}

/// The write connection of a batch that manages its own transaction. If
/// the batch does not settle (committed, or rolled back) — its future was
/// dropped halfway, or the rollback failed — the connection is closed
/// rather than handed back to the pool inside an open transaction.
struct ConnectionGuard {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    settled: bool,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if !self.settled {
            self.conn.close_on_drop();
        }
    }
}

/// SQLite: every open alert by its `open_key`, as the intake writer knows
/// it. Loaded from the database on the first batch, and again whenever
/// another process has written to the file since (`PRAGMA data_version`
/// moves) or a batch failed (its outcome is not known for sure); updated
/// after each commit. Only [`Store::ingest_alerts`] writes open alerts, and
/// it holds this lock from before its transaction begins until after it
/// ends, so the map and the table agree whenever the lock is free.
#[derive(Default)]
pub(crate) struct OpenAlerts {
    /// The write connection's generation and `data_version` when the map
    /// was last brought up to date; None when it must be read again.
    version: Option<(u64, i64)>,
    by_key: HashMap<String, OpenAlert>,
}

/// Counts only: a `Store` printed for debugging must not print every open
/// alert.
impl std::fmt::Debug for OpenAlerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAlerts")
            .field("version", &self.version)
            .field("open", &self.by_key.len())
            .finish()
    }
}

#[derive(Debug, Clone)]
struct OpenAlert {
    id: i64,
    report_id: i64,
    disposition: String,
    acknowledged: bool,
    count: i64,
}

impl OpenAlert {
    fn existing(&self) -> Existing {
        Existing {
            id: self.id,
            report_id: self.report_id,
            disposition: self.disposition.clone(),
            acknowledged: self.acknowledged,
            was_acknowledged: self.acknowledged,
            unsuppressed: false,
            count: self.count,
            count_inc: 0,
            resolved: false,
        }
    }
}

impl OpenAlerts {
    /// The map after `plan` was committed; `keys` are the keys of
    /// `plan.existing`, in order, and `ids` the new alerts' (alert, report)
    /// ids.
    fn apply(&mut self, keys: &[String], plan: &Plan<'_>, ids: &[(i64, i64)]) {
        for (key, e) in keys.iter().zip(&plan.existing) {
            if e.resolved {
                self.by_key.remove(key);
            } else if let Some(open) = self.by_key.get_mut(key) {
                open.count = e.count + e.count_inc;
                open.acknowledged = e.acknowledged;
                open.disposition.clone_from(&e.disposition);
            }
        }
        // After the removals: a key resolved and fired again in one batch
        // has a new open alert.
        for (f, (alert_id, report_id)) in plan.fresh.iter().zip(ids) {
            if !f.resolved {
                self.by_key.insert(
                    open_key(f.delivery.integration_id, &f.write.dedup_key),
                    OpenAlert {
                        id: *alert_id,
                        report_id: *report_id,
                        disposition: f.write.disposition.clone(),
                        acknowledged: f.acknowledged,
                        count: f.count,
                    },
                );
            }
        }
    }
}

/// A value of a row sent to SQLite as JSON (see `ingest_alerts_sqlite`).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum J<'a> {
    Int(i64),
    Text(&'a str),
    Owned(String),
    Null,
}

impl<'a> J<'a> {
    fn opt_int(v: Option<i64>) -> J<'a> {
        v.map_or(J::Null, J::Int)
    }

    fn opt_text(v: Option<&'a str>) -> J<'a> {
        v.map_or(J::Null, J::Text)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(format!("encoding a batch: {e}")))
}

/// The audit action of an alert batch.
const INTAKE_AUDIT_ACTION: &str = "intake.alerts";

/// The open keys of a batch, sorted and without repeats.
fn batch_keys(deliveries: &[AlertDelivery]) -> Vec<String> {
    let mut keys: Vec<String> = deliveries
        .iter()
        .flat_map(|d| {
            d.alerts
                .iter()
                .map(move |a| open_key(d.integration_id, &a.dedup_key))
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// An open alert read by a batch, with its key; `None` for the row of a
/// batch read that found none.
fn existing_from_row(row: &sqlx::any::AnyRow) -> Result<Option<(String, Existing)>> {
    let Some(id) = row.try_get::<Option<i64>, _>("id")? else {
        return Ok(None);
    };
    let status: String = row.try_get("status")?;
    Ok(Some((
        row.try_get("open_key")?,
        Existing {
            id,
            report_id: row.try_get("report_id")?,
            disposition: row.try_get("disposition")?,
            acknowledged: status == "acknowledged",
            was_acknowledged: status == "acknowledged",
            unsuppressed: false,
            count: row.try_get("count")?,
            count_inc: 0,
            resolved: false,
        },
    )))
}

/// Dispositions of alerts opened while a silence or a maintenance window
/// covered them: a later repeat that no longer is covered, and that a rule
/// declares, declares it then.
const SUPPRESSED: [&str; 2] = ["silenced", "maintenance"];

/// What a batch will write, decided before writing anything.
struct Plan<'a> {
    existing: Vec<Existing>,
    fresh: Vec<Fresh<'a>>,
    pending: Vec<Vec<Pending>>,
    /// Open alerts' ids by (final status, count increment): one `UPDATE`
    /// each.
    groups: BTreeMap<(&'static str, i64), Vec<i64>>,
}

/// Runs every alert of the batch through the per-key state machine, in
/// order, from the open alerts found.
fn plan(deliveries: &[AlertDelivery], open: Vec<(String, Existing)>) -> Plan<'_> {
    let mut existing = Vec::with_capacity(open.len());
    let mut state: HashMap<String, Slot> = HashMap::with_capacity(open.len() * 2);
    for (key, e) in open {
        state.insert(key, Slot::Existing(existing.len()));
        existing.push(e);
    }
    let mut fresh: Vec<Fresh<'_>> = Vec::new();
    let mut pending: Vec<Vec<Pending>> = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        let mut outs = Vec::with_capacity(d.alerts.len());
        for a in &d.alerts {
            let key = open_key(d.integration_id, &a.dedup_key);
            let slot = state.get(&key).copied();
            let (outcome, slot, count, unsuppressed) = match (slot, a.signal) {
                (None, AlertSignal::Firing) => {
                    let slot = Slot::Fresh(fresh.len());
                    fresh.push(Fresh {
                        delivery: d,
                        write: a,
                        count: 1,
                        acknowledged: false,
                        resolved: false,
                    });
                    state.insert(key, slot);
                    (AlertOutcomeKind::Opened, Some(slot), 1, false)
                }
                (None, AlertSignal::Acknowledged | AlertSignal::Resolved) => {
                    (AlertOutcomeKind::Ignored, None, 0, false)
                }
                (Some(slot), signal) => {
                    let mut unsuppressed = false;
                    let (count, acknowledged, resolved) = match slot {
                        Slot::Existing(i) => {
                            let e = &mut existing[i];
                            if signal == AlertSignal::Firing {
                                e.count_inc += 1;
                                if SUPPRESSED.contains(&e.disposition.as_str())
                                    && a.disposition == "declare"
                                {
                                    e.disposition = "declare".to_owned();
                                    e.unsuppressed = true;
                                    unsuppressed = true;
                                }
                            }
                            (e.count + e.count_inc, &mut e.acknowledged, &mut e.resolved)
                        }
                        Slot::Fresh(i) => {
                            let f = &mut fresh[i];
                            if signal == AlertSignal::Firing {
                                f.count += 1;
                            }
                            (f.count, &mut f.acknowledged, &mut f.resolved)
                        }
                    };
                    let outcome = match signal {
                        AlertSignal::Firing => AlertOutcomeKind::Repeated,
                        AlertSignal::Acknowledged => {
                            *acknowledged = true;
                            AlertOutcomeKind::Acknowledged
                        }
                        AlertSignal::Resolved => {
                            *resolved = true;
                            state.remove(&key);
                            AlertOutcomeKind::Resolved
                        }
                    };
                    (outcome, Some(slot), count, unsuppressed)
                }
            };
            outs.push(Pending {
                dedup_key: a.dedup_key.clone(),
                outcome,
                slot,
                count,
                unsuppressed,
            });
        }
        pending.push(outs);
    }
    let mut groups: BTreeMap<(&'static str, i64), Vec<i64>> = BTreeMap::new();
    for e in &existing {
        groups
            .entry((e.final_status(), e.count_inc))
            .or_default()
            .push(e.id);
    }
    Plan {
        existing,
        fresh,
        pending,
        groups,
    }
}

impl Plan<'_> {
    /// The open alerts this batch declares after a silence or maintenance
    /// window held them back.
    fn unsuppressed(&self) -> Vec<i64> {
        self.existing
            .iter()
            .filter(|e| e.unsuppressed)
            .map(|e| e.id)
            .collect()
    }

    /// The outcomes, given the (alert id, report id) of each new alert.
    fn outcomes(&self, fresh_ids: &[(i64, i64)]) -> Vec<Vec<AlertOutcome>> {
        self.pending
            .iter()
            .map(|outs| {
                outs.iter()
                    .map(|p| {
                        let (alert_id, report_id, disposition) = match p.slot {
                            None => (None, None, None),
                            Some(Slot::Existing(i)) => {
                                let e = &self.existing[i];
                                (Some(e.id), Some(e.report_id), Some(e.disposition.clone()))
                            }
                            Some(Slot::Fresh(i)) => {
                                let (alert, report) = fresh_ids[i];
                                (
                                    Some(alert),
                                    Some(report),
                                    Some(self.fresh[i].write.disposition.clone()),
                                )
                            }
                        };
                        AlertOutcome {
                            dedup_key: p.dedup_key.clone(),
                            outcome: p.outcome,
                            alert_id,
                            report_id,
                            count: p.count,
                            disposition,
                            unsuppressed: p.unsuppressed,
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// One audit summary per integration of the batch, in id order.
fn audit_summaries(
    deliveries: &[AlertDelivery],
    out: &[Vec<AlertOutcome>],
) -> Vec<(i64, IntegrationSummary)> {
    let mut by_integration: BTreeMap<i64, IntegrationSummary> = BTreeMap::new();
    for (d, outs) in deliveries.iter().zip(out) {
        let s = by_integration
            .entry(d.integration_id)
            .or_insert_with(|| IntegrationSummary::new(d.actor.clone()));
        s.deliveries += 1;
        for o in outs {
            s.add(o);
        }
    }
    by_integration.into_iter().collect()
}

fn open_key(integration_id: i64, dedup_key: &str) -> String {
    format!("{integration_id}:{dedup_key}")
}

/// What one batch did for one integration, for its audit entry.
struct IntegrationSummary {
    actor: Actor,
    deliveries: i64,
    opened: Vec<i64>,
    repeated: i64,
    acknowledged: Vec<i64>,
    resolved: Vec<i64>,
    ignored: i64,
}

impl IntegrationSummary {
    fn new(actor: Actor) -> Self {
        IntegrationSummary {
            actor,
            deliveries: 0,
            opened: Vec::new(),
            repeated: 0,
            acknowledged: Vec::new(),
            resolved: Vec::new(),
            ignored: 0,
        }
    }

    fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "deliveries": self.deliveries, "opened_reports": self.opened,
            "repeated": self.repeated, "acknowledged": self.acknowledged,
            "resolved": self.resolved, "ignored": self.ignored,
        })
    }

    fn add(&mut self, o: &AlertOutcome) {
        match o.outcome {
            AlertOutcomeKind::Opened => self.opened.extend(o.report_id),
            AlertOutcomeKind::Repeated => self.repeated += 1,
            AlertOutcomeKind::Acknowledged => self.acknowledged.extend(o.alert_id),
            AlertOutcomeKind::Resolved => self.resolved.extend(o.alert_id),
            AlertOutcomeKind::Ignored => self.ignored += 1,
        }
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// `UPDATE` of open alerts to their state at the end of the batch; bind
/// with [`bind_update`].
fn update_sql(p: &mut Params, status: &str, ids: usize) -> String {
    let mut sql = format!(
        "UPDATE intake_alerts SET count = count + {}, last_seen = {}",
        p.next(),
        p.next()
    );
    match status {
        "resolved" => sql.push_str(&format!(
            ", status = 'resolved', open_key = NULL, resolved_at = {}",
            p.next()
        )),
        "acknowledged" => sql.push_str(&format!(
            ", status = 'acknowledged', acknowledged_at = COALESCE(acknowledged_at, {})",
            p.next()
        )),
        _ => {}
    }
    sql.push_str(&format!(" WHERE id IN ({})", p.list(ids)));
    sql
}

fn bind_update<'q>(
    mut q: AnyQuery<'q>,
    status: &str,
    inc: i64,
    now_ms: i64,
    ids: &[i64],
) -> AnyQuery<'q> {
    q = q.bind(inc).bind(now_ms);
    if status != "firing" {
        q = q.bind(now_ms);
    }
    for id in ids {
        q = q.bind(*id);
    }
    q
}

/// The columns of `intake_alerts` a new alert gets, in [`bind_alert`]'s
/// order.
const ALERT_COLUMNS: &str = "integration_id, dedup_key, open_key, status, report_id, title, \
    severity, service_id, labels, links, disposition, rule_name, suppressed_by, count, \
    first_seen, last_seen, starts_at, acknowledged_at, resolved_at";

/// A new report's values after its id: source, reporter, title,
/// description, received_at, (status), confidential, service_id,
/// created_by.
fn bind_report<'q>(q: AnyQuery<'q>, f: &Fresh<'q>, now_ms: i64) -> AnyQuery<'q> {
    q.bind(ReportSource::Monitoring.as_str())
        .bind(f.delivery.reporter.as_str())
        .bind(f.write.report_title.as_str())
        .bind(f.write.report_description.as_str())
        .bind(now_ms)
        .bind(flag(f.write.confidential))
        .bind(f.write.service_id)
        .bind(f.delivery.actor.user_id)
}

/// A new alert's values in [`ALERT_COLUMNS`] order.
fn bind_alert<'q>(q: AnyQuery<'q>, f: &Fresh<'q>, report_id: i64, now_ms: i64) -> AnyQuery<'q> {
    let w = f.write;
    q.bind(f.delivery.integration_id)
        .bind(w.dedup_key.as_str())
        .bind((!f.resolved).then(|| open_key(f.delivery.integration_id, &w.dedup_key)))
        .bind(f.status())
        .bind(report_id)
        .bind(w.title.as_str())
        .bind(w.severity.as_deref())
        .bind(w.service_id)
        .bind(w.labels.as_str())
        .bind(w.links.as_str())
        .bind(w.disposition.as_str())
        .bind(w.rule_name.as_deref())
        .bind(w.suppressed_by.as_deref())
        .bind(f.count)
        .bind(now_ms)
        .bind(now_ms)
        .bind(w.starts_at.map(ms))
        .bind(f.acknowledged.then_some(now_ms))
        .bind(f.resolved.then_some(now_ms))
}

/// Inserts the reports of new alerts in one statement and returns their ids
/// in the order of `chunk` (PostgreSQL).
///
/// PostgreSQL calls the identity sequence row by row, in the order of the
/// `VALUES` rows, but does not promise to return them in that order, so the
/// ids are sorted. Each returned row's title and description are compared
/// with the row meant to get that id; a mismatch fails the batch (it is
/// retried) rather than mislink an alert.
async fn insert_reports(
    backend: Backend,
    tx: &mut Tx,
    chunk: &[Fresh<'_>],
    now_ms: i64,
) -> Result<Vec<i64>> {
    let p = None;
    let sql = format!(
        "INSERT INTO reports (source, reporter, title, description, received_at, status, \
         confidential, service_id, created_by) VALUES {} RETURNING id, title, description",
        Params::new(backend).rows(chunk.len(), &[p, p, p, p, p, Some("'untriaged'"), p, p, p])
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
    for f in chunk {
        q = bind_report(q, f, now_ms);
    }
    let mut rows = q
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("id")?,
                r.try_get::<String, _>("title")?,
                r.try_get::<String, _>("description")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    rows.sort_by_key(|r| r.0);
    if rows.len() != chunk.len()
        || rows.iter().zip(chunk).any(|((_, title, description), f)| {
            *title != f.write.report_title || *description != f.write.report_description
        })
    {
        return Err(StoreError::Other(
            "the database returned report ids out of row order".to_owned(),
        ));
    }
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Inserts new alerts pointing at their reports (PostgreSQL); their ids in
/// the order of `chunk`, matched through the report id, which is unique per
/// alert.
async fn insert_alerts(
    backend: Backend,
    tx: &mut Tx,
    chunk: &[Fresh<'_>],
    report_ids: &[i64],
    now_ms: i64,
) -> Result<Vec<i64>> {
    let sql = format!(
        "INSERT INTO intake_alerts ({ALERT_COLUMNS}) VALUES {} RETURNING id, report_id",
        Params::new(backend).rows(chunk.len(), &[None; 19])
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
    for (f, report_id) in chunk.iter().zip(report_ids) {
        q = bind_alert(q, f, *report_id, now_ms);
    }
    let by_report: HashMap<i64, i64> = q
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("report_id")?, r.try_get("id")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    report_ids
        .iter()
        .map(|r| {
            by_report
                .get(r)
                .copied()
                .ok_or_else(|| StoreError::Other(format!("no alert returned for report {r}")))
        })
        .collect()
}

async fn integration_in(tx: &mut Tx, id: i64) -> Result<IntegrationRecord> {
    let sql = format!("{INTEGRATION_SELECT} WHERE g.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("integration {id}")))?;
    integration_from_row(&row)
}

async fn rule_in(tx: &mut Tx, id: i64) -> Result<RuleRecord> {
    let sql = format!("{RULE_SELECT} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("routing rule {id}")))?;
    rule_from_row(&row)
}

async fn rule_name_free(tx: &mut Tx, name: &str, except: Option<i64>) -> Result<()> {
    let row = sqlx::query("SELECT id FROM intake_rules WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(row) if Some(row.try_get::<i64, _>("id")?) != except => Err(StoreError::Conflict(
            format!("routing rule `{name}` already exists"),
        )),
        _ => Ok(()),
    }
}

fn rule_details(rule: &RuleWrite) -> serde_json::Value {
    serde_json::json!({
        "name": rule.name, "position": rule.position, "enabled": rule.enabled,
        "definition": rule.definition,
    })
}

async fn silence_in(tx: &mut Tx, id: i64) -> Result<SilenceRecord> {
    let sql = format!("{SILENCE_SELECT} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("silence {id}")))?;
    silence_from_row(&row)
}

async fn maintenance_in(tx: &mut Tx, id: i64) -> Result<MaintenanceRecord> {
    let sql = format!("{MAINTENANCE_SELECT} WHERE m.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("maintenance window {id}")))?;
    maintenance_from_row(&row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_anonymous_on_sqlite_and_numbered_on_postgres() {
        let mut p = Params::new(Backend::Postgres);
        assert_eq!(
            p.rows(2, &[None, Some("'x'"), None]),
            "($1, 'x', $2), ($3, 'x', $4)"
        );
        assert_eq!(p.list(2), "$5, $6");
        let mut p = Params::new(Backend::Sqlite);
        assert_eq!(
            p.rows(2, &[None, Some("'x'"), None]),
            "(?, 'x', ?), (?, 'x', ?)"
        );
        assert_eq!(p.list(2), "?, ?");
        assert_eq!(list(3, 3), "$3, $4, $5");
    }

    #[test]
    fn key_hints_are_the_last_four_characters() {
        assert_eq!(key_hint("abcdef"), "cdef");
        assert_eq!(key_hint("ab"), "ab");
    }
}
