//! Reports and the triage queue. A report is never deleted: it is declared
//! as an incident, linked to one, or dismissed with a reason.

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::{Report, ReportFilter, ReportSource, incident_ref};

use crate::incidents::{TimelineEntry, timeline};
use crate::intake::TriageFilter;
use crate::record::returned_id;
use crate::row::{col, user_ref};
use crate::{Actor, Reader, Result, Store, StoreError, flag, ms};

/// A report to store.
#[derive(Debug, Clone)]
pub struct NewReportRecord {
    pub source: ReportSource,
    pub reporter: String,
    pub title: String,
    pub description: String,
    pub confidential: bool,
    pub service_id: Option<i64>,
}

/// `confidential` is the effective flag: the report's own, or its
/// incident's group (see [`crate::visibility`]).
pub(crate) const REPORT_SELECT: &str = concat!(
    "SELECT r.id, r.source, r.reporter, r.title, r.description, r.received_at, \
    r.status, r.incident_id, r.triaged_by, t.name AS triaged_by_name, r.triaged_at, r.dismiss_reason, \
    CAST(CASE WHEN ",
    report_confidential!(),
    " THEN 1 ELSE 0 END AS BIGINT) AS confidential, s.name AS service_name FROM reports r \
    LEFT JOIN users t ON t.id = r.triaged_by LEFT JOIN services s ON s.id = r.service_id"
);

/// Which reports a reader sees: the one rule in [`crate::visibility`].
pub(crate) use crate::visibility::REPORT_VISIBLE as VISIBLE;

pub(crate) fn report_from_row(row: &sqlx::any::AnyRow, now: DateTime<Utc>) -> Result<Report> {
    let received_at: DateTime<Utc> = col(row, "received_at")?;
    let incident_id: Option<i64> = col(row, "incident_id")?;
    let triaged_by = user_ref(col(row, "triaged_by")?, col(row, "triaged_by_name")?);
    from_row! { row, Report { id, source, reporter, title, description, received_at = received_at,
    age_seconds = (now - received_at).num_seconds().max(0), status, incident_id = incident_id,
    incident_ref = incident_id.map(incident_ref), triaged_by = triaged_by, triaged_at,
    dismiss_reason, confidential, service: "service_name" } }
}

impl Store {
    pub async fn create_report(
        &self,
        new: &NewReportRecord,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Report> {
        let mut tx = self.begin().await?;
        let id = insert_report(&mut tx, new, actor, now).await?;
        self.commit_audited(
            tx,
            actor,
            "report.create",
            &format!("report:{id}"),
            serde_json::json!({"source": new.source, "confidential": new.confidential}),
            now,
        )
        .await?;
        let sql = format!("{REPORT_SELECT} WHERE r.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&self.write)
            .await?;
        report_from_row(&row, now)
    }

    /// The report if `reader` may see it.
    pub async fn report(
        &self,
        id: i64,
        reader: &Reader,
        now: DateTime<Utc>,
    ) -> Result<Option<Report>> {
        let sql = format!("{REPORT_SELECT} WHERE {VISIBLE}");
        let row = self.visible_one(sql, "r.id", id, reader).await?;
        row.map(|r| report_from_row(&r, now)).transpose()
    }

    /// Reports `reader` may see; by default the triage queue (untriaged),
    /// oldest first.
    pub async fn list_reports(
        &self,
        filter: &ReportFilter,
        reader: &Reader,
        now: DateTime<Utc>,
    ) -> Result<Vec<Report>> {
        let filter = TriageFilter {
            status: filter.status,
            source: filter.source,
            service: None,
            limit: 1000,
        };
        self.triage_queue(&filter, reader, now).await
    }

    /// Links an untriaged report to an incident, with a timeline event on it.
    pub async fn link_report(
        &self,
        report_id: i64,
        incident_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let title = untriaged_title(self, &mut tx, report_id).await?;
        let exists = sqlx::query("SELECT id FROM incidents WHERE id = $1")
            .bind(incident_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(incident_ref(incident_id)));
        }
        set_triaged(&mut tx, report_id, "linked", incident_id, actor, now).await?;
        let entry = TimelineEntry {
            kind: "report_linked",
            summary: format!("Report {report_id} linked: {title}"),
            reason: None,
            details: serde_json::json!({"report_id": report_id}),
        };
        timeline(&mut tx, incident_id, actor, &entry, now).await?;
        self.commit_audited(
            tx,
            actor,
            "report.link",
            &format!("report:{report_id}"),
            serde_json::json!({"incident": incident_ref(incident_id)}),
            now,
        )
        .await
    }

    /// Dismisses an untriaged report with a reason.
    pub async fn dismiss_report(
        &self,
        report_id: i64,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        untriaged_title(self, &mut tx, report_id).await?;
        sqlx::query(
            "UPDATE reports SET status = 'dismissed', dismiss_reason = $1, triaged_by = $2, triaged_at = $3 WHERE id = $4",
        )
        .bind(reason)
        .bind(actor.user_id)
        .bind(ms(now))
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
        self.commit_audited(
            tx,
            actor,
            "report.dismiss",
            &format!("report:{report_id}"),
            serde_json::json!({"reason": reason}),
            now,
        )
        .await
    }
}

/// Inserts an untriaged report created by `actor`; returns its id.
pub(crate) async fn insert_report(
    tx: &mut crate::Tx,
    new: &NewReportRecord,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO reports (source, reporter, title, description, received_at, status, \
         confidential, service_id, created_by) \
         VALUES ($1, $2, $3, $4, $5, 'untriaged', $6, $7, $8) RETURNING id",
    )
    .bind(new.source.as_str())
    .bind(&new.reporter)
    .bind(&new.title)
    .bind(&new.description)
    .bind(ms(now))
    .bind(flag(new.confidential))
    .bind(new.service_id)
    .bind(actor.user_id)
    .fetch_one(&mut **tx)
    .await?;
    returned_id(&row)
}

/// Marks a report triaged as `status` (`linked`, `declared`), tied to
/// `incident_id`.
pub(crate) async fn set_triaged(
    tx: &mut crate::Tx,
    report_id: i64,
    status: &'static str,
    incident_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE reports SET status = $1, incident_id = $2, triaged_by = $3, triaged_at = $4 \
         WHERE id = $5",
    )
    .bind(status)
    .bind(incident_id)
    .bind(actor.user_id)
    .bind(ms(now))
    .bind(report_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Locks the report and returns its title if it is still untriaged.
pub(crate) async fn untriaged_title(
    store: &Store,
    tx: &mut crate::Tx,
    report_id: i64,
) -> Result<String> {
    let sql = format!(
        "SELECT status, title FROM reports WHERE id = $1{}",
        store.for_update()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(report_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Err(StoreError::NotFound(format!("report {report_id}")));
    };
    let status: String = row.try_get("status")?;
    if status != "untriaged" {
        return Err(StoreError::Conflict(format!(
            "report {report_id} is already {status}"
        )));
    }
    Ok(row.try_get("title")?)
}
