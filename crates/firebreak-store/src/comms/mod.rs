//! Customer communication (issue 11): what the rules in
//! `firebreak_core::comms` read of an incident, whom it affects and where
//! they are told, and the notices (`notices.rs`) and reminders
//! (`reminders.rs`) that pay what it owes.
//!
//! The affected customers resolve from `incident_affected`: `customers` is
//! the rows of `incident_customers`, `components` the customers using the
//! incident's `incident_components` (through `customer_components`), `all`
//! every customer, `nobody` none; no row is "not set". Their recipients are
//! the customers' `customer_contacts`.

mod notices;
mod reminders;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::comms::{AffectedCustomer, AffectedMode, Notice, NoticeKind, NoticeRecipient};
use firebreak_api::{ImpactFacts, Kind, Phase, Severity};
use firebreak_core::comms::{Affected, CommsFacts, CommsGate, Sent};

use crate::incidents::load::placeholders;
use crate::row::col;
use crate::{Result, Store, StoreError};

pub use notices::{NOTICE_KEY_PREFIX, NoticeWrite, notice_payload};

/// A contact a notice goes to, with the channel its outbox row uses.
#[derive(Debug, Clone)]
pub struct Contact {
    pub recipient: NoticeRecipient,
    /// A `notify::Channel` as JSON.
    pub channel: serde_json::Value,
}

/// Everything the communication page and the worker read of an incident.
#[derive(Debug, Clone)]
pub struct CommsRecord {
    pub incident_id: i64,
    pub title: String,
    pub summary: String,
    pub kind: Kind,
    pub phase: Phase,
    pub lead_id: Option<i64>,
    /// `None` when the incident has no severity yet (nothing is owed).
    pub facts: Option<CommsFacts>,
    pub mode: Option<AffectedMode>,
    pub affected: Vec<AffectedCustomer>,
    pub recipients: Vec<Contact>,
    /// Newest first.
    pub notices: Vec<Notice>,
}

/// The public word of what a channel is, and its target without secrets.
fn describe(channel: &serde_json::Value) -> (String, String) {
    let kind = channel
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("unknown")
        .to_owned();
    let target = match kind.as_str() {
        "email" => channel.get("to"),
        _ => channel.get("url"),
    }
    .and_then(|t| t.as_str())
    .unwrap_or("")
    .to_owned();
    (kind, target)
}

/// Whether a notice of `kind` goes to the affected customers (rather than
/// only the status page).
fn reaches_customers(kind: NoticeKind) -> bool {
    matches!(
        kind,
        NoticeKind::CustomerNotice | NoticeKind::Update | NoticeKind::FormalNotice
    )
}

/// The customer ids in a sent notice's stored recipients (JSON).
fn customers_of(recipients: Option<&str>) -> Vec<i64> {
    recipients
        .and_then(|r| serde_json::from_str::<Vec<serde_json::Value>>(r).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.get("customer_id").and_then(serde_json::Value::as_i64))
        .collect()
}

/// Affected customers with a contact (`contacts`) whom no sent notice to
/// customers reached, once at least one has gone out (before that, the
/// first notice is what is owed).
fn untold(notices: &[Notice], contacts: &[Contact]) -> Vec<i64> {
    let told: Vec<i64> = notices
        .iter()
        .filter(|n| n.sent_at.is_some() && reaches_customers(n.kind))
        .flat_map(|n| n.recipients.iter().map(|r| r.customer_id))
        .collect();
    if told.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<i64> = contacts
        .iter()
        .map(|c| c.recipient.customer_id)
        .filter(|c| !told.contains(c))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn parse_mode(word: &str) -> Result<AffectedMode> {
    word.parse()
        .map_err(|_| StoreError::Other(format!("stored affected mode `{word}` is not valid")))
}

/// What the checklist reads of incidents `ids`: whether anyone is affected
/// and the kinds of notice sent, in one query on `conn` (a row per
/// incident, then a row per notice sent, with `kind` set).
pub(crate) async fn comms_gates(
    conn: &mut sqlx::AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, CommsGate>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let n = ids.len();
    let first = placeholders(n);
    let nth = |k: usize| {
        (k * n + 1..=(k + 1) * n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (second, third) = (nth(1), nth(2));
    // Rows: one per incident (its affected mode and counts), one per notice
    // sent (its kind and recipients), and one per affected customer who has
    // a contact (`kind` = 'reach', the id in `recipients`): enough to say
    // whether someone affected has not been told yet.
    let sql = format!(
        "SELECT i.id AS incident_id, a.mode AS mode, \
         CAST((SELECT COUNT(*) FROM incident_customers c WHERE c.incident_id = i.id) AS BIGINT) AS listed, \
         CAST((SELECT COUNT(*) FROM incident_components ic JOIN customer_components cc \
               ON cc.component_id = ic.component_id WHERE ic.incident_id = i.id) AS BIGINT) AS using_components, \
         CAST(NULL AS TEXT) AS kind, CAST(NULL AS TEXT) AS recipients \
         FROM incidents i LEFT JOIN incident_affected a ON a.incident_id = i.id WHERE i.id IN ({first}) \
         UNION ALL \
         SELECT n.incident_id, CAST(NULL AS TEXT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), n.kind, n.recipients \
         FROM notices n WHERE n.sent_at IS NOT NULL AND n.incident_id IN ({second}) \
         UNION ALL \
         SELECT a.incident_id, CAST(NULL AS TEXT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), \
                CAST('reach' AS TEXT), CAST(c.id AS TEXT) \
         FROM incident_affected a JOIN customers c ON \
           a.mode = 'all' \
           OR (a.mode = 'customers' AND EXISTS (SELECT 1 FROM incident_customers x \
               WHERE x.incident_id = a.incident_id AND x.customer_id = c.id)) \
           OR (a.mode = 'components' AND EXISTS (SELECT 1 FROM incident_components x \
               JOIN customer_components cc ON cc.component_id = x.component_id \
               WHERE x.incident_id = a.incident_id AND cc.customer_id = c.id)) \
         WHERE a.incident_id IN ({third}) \
           AND EXISTS (SELECT 1 FROM customer_contacts k WHERE k.customer_id = c.id)"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids.iter().chain(ids).chain(ids) {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut sent = Vec::new();
    let mut reach: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut told: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in rows {
        let id: i64 = r.try_get("incident_id")?;
        if let Some(kind) = r.try_get::<Option<String>, _>("kind")? {
            let recipients: Option<String> = r.try_get("recipients")?;
            if kind == "reach" {
                if let Some(c) = recipients.and_then(|c| c.parse().ok()) {
                    reach.entry(id).or_default().push(c);
                }
                continue;
            }
            if let Ok(k) = kind.parse::<NoticeKind>()
                && reaches_customers(k)
            {
                told.entry(id)
                    .or_default()
                    .extend(customers_of(recipients.as_deref()));
            }
            sent.push((id, kind));
            continue;
        }
        let mode: Option<String> = r.try_get("mode")?;
        let listed: i64 = r.try_get("listed")?;
        let using: i64 = r.try_get("using_components")?;
        let anyone = match mode.as_deref().map(parse_mode).transpose()? {
            None | Some(AffectedMode::All) => true,
            Some(AffectedMode::Nobody) => false,
            Some(AffectedMode::Customers) => listed > 0,
            Some(AffectedMode::Components) => using > 0,
        };
        out.insert(
            id,
            CommsGate {
                anyone_affected: anyone,
                sent: Vec::new(),
                untold: false,
            },
        );
    }
    for (id, kind) in sent {
        if let (Some(g), Ok(kind)) = (out.get_mut(&id), kind.parse::<NoticeKind>()) {
            g.sent.push(kind);
        }
    }
    for (id, g) in out.iter_mut() {
        let told = told.get(id).map(Vec::as_slice).unwrap_or_default();
        g.untold = !told.is_empty()
            && reach
                .get(id)
                .is_some_and(|r| r.iter().any(|c| !told.contains(c)));
    }
    Ok(out)
}

/// The affected customers of incident `id` and how they were chosen.
pub(crate) async fn affected_in(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<(Option<AffectedMode>, Vec<AffectedCustomer>)> {
    let mode: Option<String> =
        sqlx::query("SELECT mode FROM incident_affected WHERE incident_id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("mode"))
            .transpose()?;
    let mode = mode.as_deref().map(parse_mode).transpose()?;
    let sql = match mode {
        None | Some(AffectedMode::Nobody) => return Ok((mode, Vec::new())),
        Some(AffectedMode::Customers) => {
            "SELECT c.id, c.name FROM incident_customers ic JOIN customers c ON c.id = ic.customer_id \
             WHERE ic.incident_id = $1 ORDER BY c.name"
        }
        Some(AffectedMode::Components) => {
            "SELECT DISTINCT c.id, c.name FROM incident_components ic \
             JOIN customer_components cc ON cc.component_id = ic.component_id \
             JOIN customers c ON c.id = cc.customer_id WHERE ic.incident_id = $1 ORDER BY c.name"
        }
        Some(AffectedMode::All) => {
            "SELECT c.id, c.name FROM customers c WHERE $1 = $1 ORDER BY c.name"
        }
    };
    let rows = sqlx::query(sql).bind(id).fetch_all(&mut *conn).await?;
    let customers = rows
        .iter()
        .map(|r| from_row! { r, AffectedCustomer { id, name } })
        .collect::<Result<Vec<_>>>()?;
    Ok((mode, customers))
}

/// The contacts of `customers`, by customer name then contact id.
pub(crate) async fn contacts_in(
    conn: &mut sqlx::AnyConnection,
    customers: &[AffectedCustomer],
) -> Result<Vec<Contact>> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = customers.iter().map(|c| c.id).collect();
    let sql = format!(
        "SELECT k.id, k.customer_id, k.label, k.channel, c.name FROM customer_contacts k \
         JOIN customers c ON c.id = k.customer_id WHERE k.customer_id IN ({}) ORDER BY c.name, k.id",
        placeholders(ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        q = q.bind(*id);
    }
    let mut out = Vec::new();
    for r in q.fetch_all(&mut *conn).await? {
        let channel: serde_json::Value = col(&r, "channel")?;
        let (kind, target) = describe(&channel);
        out.push(Contact {
            recipient: NoticeRecipient {
                customer_id: r.try_get("customer_id")?,
                customer: r.try_get("name")?,
                contact_id: r.try_get("id")?,
                label: r.try_get("label")?,
                channel: kind,
                target,
            },
            channel,
        });
    }
    Ok(out)
}

/// When containment and recovery were last completed, from the phase
/// entries in order: a move back before a phase forgets its completion.
fn completions(
    entries: &[(Phase, DateTime<Utc>)],
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let (mut contained, mut recovered) = (None, None);
    let mut current = Phase::Triage;
    for (phase, at) in entries {
        if current <= Phase::Containment && *phase > Phase::Containment {
            contained = Some(*at);
        }
        if *phase <= Phase::Containment {
            contained = None;
        }
        if current <= Phase::Recovery && *phase > Phase::Recovery {
            recovered = Some(*at);
        }
        if *phase <= Phase::Recovery {
            recovered = None;
        }
        current = *phase;
    }
    (contained, recovered)
}

/// When `flag` of the facts was last set, from the timeline's
/// `facts_changed` events (`details.from` / `details.to`); the declaration
/// when it was set from the start.
fn set_at(
    now_set: bool,
    declared_at: DateTime<Utc>,
    changes: &[(DateTime<Utc>, serde_json::Value)],
    flag: &str,
) -> Option<DateTime<Utc>> {
    if !now_set {
        return None;
    }
    let became = changes.iter().rev().find(|(_, d)| {
        let get = |side: &str| {
            d.get(side)
                .and_then(|f| f.get(flag))
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        get("to") && !get("from")
    });
    Some(became.map(|(at, _)| *at).unwrap_or(declared_at))
}

impl Store {
    /// What incident `id` owes its customers, whom it affects, where they
    /// are told and the notices so far, read in one snapshot. The caller
    /// checks that the reader may see the incident.
    pub async fn communication(&self, id: i64) -> Result<CommsRecord> {
        let mut tx = self.read.begin().await?;
        let row = sqlx::query(
            "SELECT id, title, summary, kind, severity, phase, lead_id, facts, declared_at \
             FROM incidents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(firebreak_api::incident_ref(id)))?;
        let severity: Option<Severity> = col(&row, "severity")?;
        let phase: Phase = col(&row, "phase")?;
        let facts: String = row.try_get("facts")?;
        let facts: ImpactFacts = serde_json::from_str(&facts)
            .map_err(|e| StoreError::Other(format!("stored facts: {e}")))?;
        let declared_at: DateTime<Utc> = col(&row, "declared_at")?;
        let entries = sqlx::query(
            "SELECT phase, entered_at FROM incident_phases WHERE incident_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((col(r, "phase")?, col(r, "entered_at")?)))
        .collect::<Result<Vec<(Phase, DateTime<Utc>)>>>()?;
        let changes = sqlx::query(
            "SELECT at, details FROM timeline_events WHERE incident_id = $1 AND kind = 'facts_changed' \
             ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((col(r, "at")?, col(r, "details")?)))
        .collect::<Result<Vec<(DateTime<Utc>, serde_json::Value)>>>()?;
        let (mode, affected) = affected_in(&mut tx, id).await?;
        let recipients = contacts_in(&mut tx, &affected).await?;
        let notices = notices::list_in(&mut tx, id).await?;
        tx.commit().await?;
        let (contained_at, recovered_at) = completions(&entries);
        let facts = severity.map(|severity| CommsFacts {
            severity,
            declared_at,
            contained_at,
            recovered_at,
            closed: phase == Phase::Closed,
            customer_data_accessed_at: set_at(
                facts.customer_data_accessed,
                declared_at,
                &changes,
                "customer_data_accessed",
            ),
            sla_affected_at: set_at(facts.sla_affected, declared_at, &changes, "sla_affected"),
            affected: match mode {
                None => Affected::NotSet,
                Some(AffectedMode::Nobody) => Affected::Nobody,
                Some(AffectedMode::All) => Affected::All,
                Some(_) => Affected::Customers(affected.iter().map(|c| c.id).collect()),
            },
            sent: notices
                .iter()
                .filter_map(|n| n.sent_at.map(|at| Sent { kind: n.kind, at }))
                .collect(),
            untold: untold(&notices, &recipients),
        });
        Ok(CommsRecord {
            incident_id: id,
            title: row.try_get("title")?,
            summary: row.try_get("summary")?,
            kind: col(&row, "kind")?,
            phase,
            lead_id: row.try_get("lead_id")?,
            facts,
            mode,
            affected,
            recipients,
            notices,
        })
    }

    /// Open incidents, for the reminder step.
    pub async fn open_incident_ids(&self) -> Result<Vec<i64>> {
        sqlx::query("SELECT id FROM incidents WHERE phase <> 'closed' ORDER BY id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok(r.try_get::<i64, _>("id")?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn completions_follow_the_last_pass_through_each_phase() {
        let t = |m: i64| Utc.timestamp_opt(m * 60, 0).unwrap();
        let e = [
            (Phase::Triage, t(0)),
            (Phase::Containment, t(1)),
            (Phase::Remediation, t(2)),
            (Phase::Recovery, t(3)),
            (Phase::PostIncident, t(4)),
        ];
        assert_eq!(completions(&e), (Some(t(2)), Some(t(4))));
        let mut back = e.to_vec();
        back.push((Phase::Containment, t(5)));
        assert_eq!(completions(&back), (None, None));
        back.push((Phase::Recovery, t(6)));
        assert_eq!(completions(&back), (Some(t(6)), None));
    }
}
