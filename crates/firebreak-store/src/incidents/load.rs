//! Loading incidents: an incident row completed with its checklist marks,
//! phase entries, members and reports, for a page of incidents in four
//! queries whatever its size.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;

use firebreak_api::{ChecklistEntry, GateItem, Incident, Phase, PhaseEntry, UserRef, incident_ref};

use super::{IncidentState, Mark, fields_from_row};
use crate::row::{col, user_ref};
use crate::{Result, StoreError};

/// What an incident row needs from other tables, loaded for a page of
/// incidents at once.
#[derive(Default)]
struct Related {
    marks: BTreeMap<GateItem, Mark>,
    phase_entries: Vec<PhaseEntry>,
    members: Vec<UserRef>,
    report_ids: Vec<i64>,
    comms: Option<firebreak_core::comms::CommsGate>,
}

/// `$1, $2, …, $n`, for an `IN` list of `n` ids.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `sql` (with `{ids}` standing for the placeholder list) once for all
/// of `ids`.
async fn rows_for(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    ids: &[i64],
) -> Result<Vec<sqlx::any::AnyRow>> {
    let sql = sql.replace("{ids}", &placeholders(ids.len()));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Fills in the checklist, phase entries, members and reports of every
/// incident in `rows` with four queries, whatever the number of rows, on
/// `conn` (so a caller's transaction sees one snapshot).
pub(super) async fn complete_all(
    conn: &mut sqlx::AnyConnection,
    rows: &[sqlx::any::AnyRow],
) -> Result<Vec<Incident>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = rows
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut related: HashMap<i64, Related> =
        ids.iter().map(|id| (*id, Related::default())).collect();
    for r in rows_for(
        conn,
        "SELECT c.incident_id, c.item, c.status, c.note, c.actor_id, c.at, u.name AS actor_name \
         FROM checklist_items c LEFT JOIN users u ON u.id = c.actor_id \
         WHERE c.incident_id IN ({ids})",
        &ids,
    )
    .await?
    {
        let by = user_ref(col(&r, "actor_id")?, col(&r, "actor_name")?);
        let mark = (col(&r, "status")?, col(&r, "note")?, by, col(&r, "at")?);
        entry(&mut related, col(&r, "incident_id")?)?
            .marks
            .insert(col(&r, "item")?, mark);
    }
    for r in rows_for(
        conn,
        "SELECT incident_id, phase, entered_at FROM incident_phases \
         WHERE incident_id IN ({ids}) ORDER BY id",
        &ids,
    )
    .await?
    {
        entry(&mut related, r.try_get("incident_id")?)?
            .phase_entries
            .push(from_row! { &r, PhaseEntry { phase, entered_at } }?);
    }
    for r in rows_for(
        conn,
        "SELECT m.incident_id, u.id, u.name FROM incident_members m JOIN users u ON u.id = m.user_id \
         WHERE m.incident_id IN ({ids}) ORDER BY u.name",
        &ids,
    )
    .await?
    {
        entry(&mut related, r.try_get("incident_id")?)?
            .members
            .push(from_row! { &r, UserRef { id, name } }?);
    }
    for r in rows_for(
        conn,
        "SELECT incident_id, id FROM reports WHERE incident_id IN ({ids}) ORDER BY id",
        &ids,
    )
    .await?
    {
        entry(&mut related, r.try_get("incident_id")?)?
            .report_ids
            .push(r.try_get::<i64, _>("id")?);
    }
    for (id, gate) in crate::comms::comms_gates(conn, &ids).await? {
        entry(&mut related, id)?.comms = Some(gate);
    }
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            let r = related.remove(&id).unwrap_or_default();
            build(row, r)
        })
        .collect()
}

/// The related rows of incident `id` in a page being loaded.
fn entry(related: &mut HashMap<i64, Related>, id: i64) -> Result<&mut Related> {
    related
        .get_mut(&id)
        .ok_or_else(|| StoreError::Other(format!("a row for incident {id} nobody asked for")))
}

/// One incident from its row and what [`complete_all`] loaded for it.
fn build(row: &sqlx::any::AnyRow, related: Related) -> Result<Incident> {
    let id: i64 = row.try_get("id")?;
    let fields = fields_from_row(row)?;
    let Related {
        marks,
        phase_entries,
        members,
        report_ids,
        comms,
    } = related;
    let state = IncidentState {
        id,
        fields: fields.clone(),
        checklist: marks.iter().map(|(k, v)| (*k, v.0)).collect(),
        members: Vec::new(),
        history: Default::default(),
        comms,
    };
    let gate = state.gate();
    let checklist = GateItem::ALL
        .iter()
        .filter(|i| gate.applies(**i))
        .map(|item| {
            let derived = gate.derived(*item);
            // A derived item's status is the incident's; a hand mark from
            // before it was derived says nothing.
            let mark = marks.get(item).filter(|_| !derived);
            ChecklistEntry {
                item: *item,
                phase: item.phase(),
                label: item.label().to_owned(),
                status: gate.status(*item),
                waivable: gate.waiver_refused(*item).is_none(),
                derived,
                note: mark.and_then(|m| m.1.clone()),
                by: mark.and_then(|m| m.2.clone()),
                at: mark.map(|m| m.3),
            }
        })
        .collect();
    let f = fields;
    let owner = user_ref(f.owner_id, col(row, "owner_name")?);
    let lead = user_ref(f.lead_id, col(row, "lead_name")?);
    let declared_by = user_ref(col(row, "declared_by")?, col(row, "declared_by_name")?);
    from_row! { row, Incident { id = id, reference = incident_ref(id), title = f.title,
    summary = f.summary, kind = f.kind, severity = f.severity,
    suggested_severity = f.suggested_severity, severity_rule = f.severity_rule,
    phase = f.phase, open = f.phase != Phase::Closed, owner = owner, lead = lead,
    service: "service_name", facts = f.facts, declared_by = declared_by, declared_at,
    updated_at, phase_entries = phase_entries, checklist = checklist, members = members,
    report_ids = report_ids, confidential } }
}
