//! Incidents: declaring, changing, reading, and their timelines.
//!
//! Changes go through [`Store::change_incident`]: it opens a transaction,
//! locks the incident, hands its current state to a pure decision function
//! (the server's, which asks `firebreak-core`), and writes what that function
//! returns (fields, checklist marks, members, note, timeline events and the
//! audit entry) in the same transaction. There is no other way to change an
//! incident.
//!
//! Loading an incident with what it ties to is [`load`]; the metrics
//! page's counts are [`stats`].

pub(crate) mod load;
mod stats;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::{
    GateItem, ImpactFacts, Incident, IncidentFilter, ItemStatus, Kind, MAX_INCIDENT_LIST, Note,
    Phase, Severity, SeverityRule, TimelineEvent, UserRef, incident_ref,
};
use firebreak_core::GateState;

// The condition under which `reader` sees an incident `i`: the one rule in
// `crate::visibility`. `$1` is the reader's user id, `$2` 1 or 0.
use crate::filter::Filtered;
use crate::reports::{set_triaged, untriaged_title};
use crate::row::{col, user_ref};
use crate::visibility::INCIDENT_VISIBLE as VISIBLE;
use crate::{Actor, AnyQuery, Reader, Result, Store, StoreError, Tx, ms};
use load::complete_all;

pub use stats::Stats;

/// The fields of an incident that changes may set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFields {
    pub title: String,
    pub summary: String,
    pub kind: Kind,
    pub severity: Option<Severity>,
    pub suggested_severity: Severity,
    pub severity_rule: SeverityRule,
    pub phase: Phase,
    pub owner_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub service_id: Option<i64>,
    pub facts: ImpactFacts,
}

/// An incident as a change sees it.
#[derive(Debug, Clone)]
pub struct IncidentState {
    pub id: i64,
    pub fields: IncidentFields,
    pub checklist: BTreeMap<GateItem, ItemStatus>,
    pub members: Vec<i64>,
    /// What was already escalated, so each escalation rule fires once.
    pub history: firebreak_core::escalation::History,
    /// Whom it affects and the notices sent: what derives
    /// `customer_communication_sent` where a notice is required.
    pub comms: Option<firebreak_core::comms::CommsGate>,
}

impl IncidentState {
    /// What the gates read of this incident.
    pub fn gate(&self) -> GateState {
        GateState {
            kind: self.fields.kind,
            severity: self.fields.severity,
            owner_set: self.fields.owner_id.is_some(),
            phase: self.fields.phase,
            facts: self.fields.facts,
            items: self.checklist.clone(),
            comms: self.comms.clone(),
        }
    }
}

/// One line of an incident's timeline, to write.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub kind: &'static str,
    pub summary: String,
    pub reason: Option<String>,
    pub details: serde_json::Value,
}

/// A checklist mark to write; `Open` removes the mark.
#[derive(Debug, Clone)]
pub struct ItemWrite {
    pub item: GateItem,
    pub status: ItemStatus,
    pub note: Option<String>,
}

/// What a decision returns: the new fields and everything that goes with
/// them. The phase-entry row is written when `fields.phase` changes.
#[derive(Debug, Clone)]
pub struct IncidentChange {
    pub fields: IncidentFields,
    pub items: Vec<ItemWrite>,
    pub add_members: Vec<i64>,
    pub note: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub escalations: Vec<crate::EscalationWrite>,
    pub audit_action: &'static str,
    pub audit_details: serde_json::Value,
}

impl IncidentChange {
    /// A change that starts from `state` and changes nothing yet.
    pub fn from(state: &IncidentState, audit_action: &'static str) -> IncidentChange {
        IncidentChange {
            fields: state.fields.clone(),
            items: Vec::new(),
            add_members: Vec::new(),
            note: None,
            timeline: Vec::new(),
            escalations: Vec::new(),
            audit_action,
            audit_details: serde_json::json!({}),
        }
    }
}

/// A new incident.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub fields: IncidentFields,
    /// Declared from this report, which must be untriaged.
    pub from_report: Option<i64>,
    pub timeline: Vec<TimelineEntry>,
    pub members: Vec<i64>,
    /// Escalations the declaration calls for (a critical incident pages at
    /// once).
    pub escalations: Vec<crate::EscalationWrite>,
}

const INCIDENT_SELECT: &str = concat!(
    "SELECT i.id, i.title, i.summary, i.kind, i.severity, i.suggested_severity, \
    i.severity_rule, i.phase, i.owner_id, i.lead_id, i.service_id, i.facts, i.declared_by, i.declared_at, \
    i.updated_at, o.name AS owner_name, l.name AS lead_name, d.name AS declared_by_name, s.name AS service_name, \
    CAST(CASE WHEN ",
    confidential_group!("i.id"),
    " THEN 1 ELSE 0 END AS BIGINT) AS confidential \
    FROM incidents i LEFT JOIN users o ON o.id = i.owner_id LEFT JOIN users l ON l.id = i.lead_id \
    LEFT JOIN users d ON d.id = i.declared_by LEFT JOIN services s ON s.id = i.service_id"
);

/// A `LIKE` pattern that finds `text` anywhere, case-insensitively (the
/// column is lowered too), with `%`, `_` and `\` in it taken literally.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn fields_from_row(row: &sqlx::any::AnyRow) -> Result<IncidentFields> {
    let facts: String = row.try_get("facts")?;
    let facts = serde_json::from_str(&facts)
        .map_err(|e| StoreError::Other(format!("stored facts: {e}")))?;
    from_row! { row, IncidentFields { title, summary, kind, severity, suggested_severity,
    severity_rule, phase, owner_id, lead_id, service_id, facts = facts } }
}

/// A stored checklist mark: status, note, who and when.
type Mark = (ItemStatus, Option<String>, Option<UserRef>, DateTime<Utc>);

/// Binds the fields as `$1…$11`, in the order of the columns title,
/// summary, kind, severity, suggested_severity, severity_rule, phase,
/// owner_id, lead_id, service_id, facts.
fn bind_fields<'q>(q: AnyQuery<'q>, f: &'q IncidentFields) -> AnyQuery<'q> {
    q.bind(&f.title)
        .bind(&f.summary)
        .bind(f.kind.as_str())
        .bind(f.severity.map(Severity::as_str))
        .bind(f.suggested_severity.as_str())
        .bind(f.severity_rule.as_str())
        .bind(f.phase.as_str())
        .bind(f.owner_id)
        .bind(f.lead_id)
        .bind(f.service_id)
        .bind(facts_json(&f.facts))
}

fn facts_json(facts: &ImpactFacts) -> String {
    serde_json::to_string(facts).unwrap_or_else(|_| "{}".to_owned())
}

impl Store {
    /// Declares an incident, in triage, with its first timeline events.
    pub async fn declare_incident(
        &self,
        new: &NewIncident,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Incident> {
        let mut tx = self.begin().await?;
        let f = &new.fields;
        let row = bind_fields(
            sqlx::query(
                "INSERT INTO incidents (title, summary, kind, severity, suggested_severity, severity_rule, phase, \
                 owner_id, lead_id, service_id, facts, declared_by, declared_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
            ),
            f,
        )
        .bind(actor.user_id)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        enter_phase(&mut tx, id, f.phase, now).await?;
        for member in &new.members {
            add_member(&mut tx, id, *member, now).await?;
        }
        if let Some(report_id) = new.from_report {
            untriaged_title(self, &mut tx, report_id).await?;
            set_triaged(&mut tx, report_id, "declared", id, actor, now).await?;
        }
        for entry in &new.timeline {
            timeline(&mut tx, id, actor, entry, now).await?;
        }
        self.audit(
            &mut tx,
            actor,
            "incident.declare",
            &incident_ref(id),
            serde_json::json!({
                "title": f.title, "kind": f.kind, "severity": f.severity,
                "from_report": new.from_report,
            }),
            now,
        )
        .await?;
        self.write_escalations(&mut tx, id, actor, &new.escalations, now)
            .await?;
        tx.commit().await?;
        self.incident_unchecked(id).await
    }

    /// Changes an incident: `decide` sees its locked current state and
    /// returns the change, or its own error, which leaves everything as it
    /// was.
    pub async fn change_incident<E>(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: impl FnOnce(&IncidentState) -> Result<IncidentChange, E>,
    ) -> Result<Result<Incident, E>> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "SELECT i.id, i.title, i.summary, i.kind, i.severity, i.suggested_severity, i.severity_rule, \
             i.phase, i.owner_id, i.lead_id, i.service_id, i.facts FROM incidents i WHERE i.id = $1{}",
            self.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(incident_ref(id)));
        };
        let fields = fields_from_row(&row)?;
        let mut checklist = BTreeMap::new();
        for row in sqlx::query("SELECT item, status FROM checklist_items WHERE incident_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
        {
            checklist.insert(col(&row, "item")?, col(&row, "status")?);
        }
        let members = sqlx::query("SELECT user_id FROM incident_members WHERE incident_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>("user_id"))
            .collect::<Result<Vec<_>, _>>()?;
        let history = self.escalation_history(&mut tx, id).await?;
        let comms = crate::comms::comms_gates(&mut tx, &[id]).await?.remove(&id);
        let state = IncidentState {
            id,
            fields,
            checklist,
            members,
            history,
            comms,
        };
        let change = match decide(&state) {
            Ok(change) => change,
            Err(e) => return Ok(Err(e)),
        };
        let f = &change.fields;
        bind_fields(
            sqlx::query(
                "UPDATE incidents SET title = $1, summary = $2, kind = $3, severity = $4, suggested_severity = $5, \
                 severity_rule = $6, phase = $7, owner_id = $8, lead_id = $9, service_id = $10, facts = $11, \
                 updated_at = $12 WHERE id = $13",
            ),
            f,
        )
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if f.phase != state.fields.phase {
            enter_phase(&mut tx, id, f.phase, now).await?;
        }
        for w in &change.items {
            sqlx::query("DELETE FROM checklist_items WHERE incident_id = $1 AND item = $2")
                .bind(id)
                .bind(w.item.as_str())
                .execute(&mut *tx)
                .await?;
            if w.status != ItemStatus::Open {
                sqlx::query(
                    "INSERT INTO checklist_items (incident_id, item, status, note, actor_id, at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(w.item.as_str())
                .bind(w.status.as_str())
                .bind(w.note.as_deref())
                .bind(actor.user_id)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            }
        }
        for member in &change.add_members {
            if !state.members.contains(member) {
                add_member(&mut tx, id, *member, now).await?;
            }
        }
        if let Some(body) = &change.note {
            sqlx::query("INSERT INTO notes (incident_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(actor.user_id)
                .bind(body)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
        }
        for entry in &change.timeline {
            timeline(&mut tx, id, actor, entry, now).await?;
        }
        self.write_escalations(&mut tx, id, actor, &change.escalations, now)
            .await?;
        self.commit_audited(
            tx,
            actor,
            change.audit_action,
            &incident_ref(id),
            change.audit_details.clone(),
            now,
        )
        .await?;
        Ok(Ok(self.incident_unchecked(id).await?))
    }

    /// The incident if `reader` may see it; `None` if it does not exist for
    /// them.
    pub async fn incident(&self, id: i64, reader: &Reader) -> Result<Option<Incident>> {
        let sql = format!("{INCIDENT_SELECT} WHERE {VISIBLE}");
        let row = self.visible_one(sql, "i.id", id, reader).await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.complete(&row).await?)),
        }
    }

    /// The incident regardless of who asks: for the store's own use after a
    /// change that was already checked.
    async fn incident_unchecked(&self, id: i64) -> Result<Incident> {
        let sql = format!("{INCIDENT_SELECT} WHERE i.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&self.write)
            .await?;
        self.complete(&row).await
    }

    /// Incidents `reader` may see, newest first.
    pub async fn list_incidents(
        &self,
        filter: &IncidentFilter,
        reader: &Reader,
    ) -> Result<Vec<Incident>> {
        let mut q = Filtered::visible_to(format!("{INCIDENT_SELECT} WHERE {VISIBLE}"), reader);
        q.and("i.phase = ?", filter.phase.map(Phase::as_str))
            .and("i.severity = ?", filter.severity.map(Severity::as_str))
            .and("i.kind = ?", filter.kind.map(Kind::as_str));
        match filter.open {
            Some(true) => q.push(" AND i.phase <> 'closed'"),
            Some(false) => q.push(" AND i.phase = 'closed'"),
            None => &mut q,
        };
        q.and("s.name = ?", filter.service.as_deref())
            .and("o.name = ?", filter.owner.as_deref());
        if filter.mine == Some(true) {
            // `$1` is the reader's id.
            q.push(" AND (i.owner_id = $1 OR i.lead_id = $1)");
        }
        let text = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
        q.and(
            "(LOWER(i.title) LIKE ? ESCAPE '\\' OR LOWER(i.summary) LIKE ? ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM notes nt WHERE nt.incident_id = i.id \
             AND LOWER(nt.body) LIKE ? ESCAPE '\\'))",
            text.map(like_pattern),
        );
        let limit = filter
            .limit
            .unwrap_or(MAX_INCIDENT_LIST)
            .clamp(1, MAX_INCIDENT_LIST);
        let offset = filter.offset.unwrap_or(0).max(0);
        // Numbers checked above, not text from the caller.
        q.push(&format!(
            " ORDER BY i.id DESC LIMIT {limit} OFFSET {offset}"
        ));
        let q = q.query();
        // One snapshot for the page and everything tied to it: a read
        // transaction (on PostgreSQL at REPEATABLE READ, where each statement
        // would otherwise see its own), and five queries whatever its size.
        let mut tx = self.read.begin().await?;
        if self.backend == crate::backend::Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let rows = q.fetch_all(&mut *tx).await?;
        let out = complete_all(&mut tx, &rows).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Fills in checklist, phase entries, members and reports of one
    /// incident (the same four queries as a page of them).
    async fn complete(&self, row: &sqlx::any::AnyRow) -> Result<Incident> {
        let mut conn = self.read.acquire().await?;
        let mut all = complete_all(&mut conn, std::slice::from_ref(row)).await?;
        all.pop()
            .ok_or_else(|| StoreError::Other("an incident row went missing".to_owned()))
    }

    /// The whole timeline of an incident, oldest first. The caller has
    /// checked that the reader may see the incident.
    pub async fn timeline(&self, incident_id: i64) -> Result<Vec<TimelineEvent>> {
        let rows = self
            .rows_with(
            "SELECT id, incident_id, at, actor, kind, summary, reason, details FROM timeline_events \
             WHERE incident_id = $1 ORDER BY id",
                incident_id,
            )
            .await?;
        rows.iter()
            .map(|r| {
                from_row! { r, TimelineEvent { id, incident_id, at, actor, kind, summary, reason,
                details } }
            })
            .collect()
    }

    /// The notes of an incident, oldest first.
    pub async fn notes(&self, incident_id: i64) -> Result<Vec<Note>> {
        let rows = self
            .rows_with(
            "SELECT n.id, n.incident_id, n.author_id, u.name AS author_name, n.body, n.created_at FROM notes n \
             LEFT JOIN users u ON u.id = n.author_id WHERE n.incident_id = $1 ORDER BY n.id",
                incident_id,
            )
            .await?;
        rows.iter()
            .map(|r| {
                let author = user_ref(col(r, "author_id")?, col(r, "author_name")?);
                from_row! { r, Note { id, incident_id, author = author, body, created_at } }
            })
            .collect()
    }
}

/// Records that an incident entered `phase`.
async fn enter_phase(
    tx: &mut Tx,
    incident_id: i64,
    phase: Phase,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO incident_phases (incident_id, phase, entered_at) VALUES ($1, $2, $3)")
        .bind(incident_id)
        .bind(phase.as_str())
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn add_member(
    tx: &mut Tx,
    incident_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO incident_members (incident_id, user_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (incident_id, user_id) DO NOTHING",
    )
    .bind(incident_id)
    .bind(user_id)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn timeline(
    tx: &mut Tx,
    incident_id: i64,
    actor: &Actor,
    entry: &TimelineEntry,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO timeline_events (incident_id, at, actor, kind, summary, reason, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(incident_id)
    .bind(ms(now))
    .bind(&actor.name)
    .bind(entry.kind)
    .bind(&entry.summary)
    .bind(entry.reason.as_deref())
    .bind(entry.details.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
