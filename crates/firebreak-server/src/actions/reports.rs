//! Reports into the triage queue, and triaging one: linking it to an
//! incident or dismissing it (declaring from one is
//! [`super::declare`]).

use firebreak_api::{DismissReport, NewReport, Report, ReportSource};
use firebreak_core::auth::Action;
use firebreak_store::NewReportRecord;

use crate::error::ApiError;

use super::{Ctx, text, title};

/// Submits a report to the triage queue.
pub async fn submit_report(
    cx: &Ctx<'_>,
    req: &NewReport,
    default_source: ReportSource,
) -> Result<Report, ApiError> {
    cx.require(Action::SubmitReport)?;
    let title = title("title", &req.title)?;
    let description = text("description", req.description.as_deref(), false)?.unwrap_or_default();
    let source = req.source.unwrap_or(default_source);
    let reporter = match &req.reporter {
        Some(r) => self::title("reporter", r)?,
        None => cx.user.name.clone(),
    };
    let confidential = req.confidential.unwrap_or(false) || source == ReportSource::Disclosure;
    let service_id = match &req.service {
        Some(name) => Some(cx.service_id("service", name).await?),
        None => None,
    };
    let new = NewReportRecord {
        source,
        reporter,
        title,
        description,
        confidential,
        service_id,
    };
    Ok(cx.store.create_report(&new, &cx.actor(), cx.now).await?)
}

/// Links an untriaged report to an incident the user can see.
pub async fn link_report(
    cx: &Ctx<'_>,
    report_id: i64,
    incident_id: i64,
) -> Result<Report, ApiError> {
    cx.require(Action::Triage)?;
    let report = cx.report(report_id).await?;
    let incident = cx.incident(incident_id).await.map_err(|e| match e {
        ApiError::NotFound(what) => ApiError::invalid("incident", format!("{what} not found")),
        e => e,
    })?;
    // A confidential report makes the incident it joins confidential: hiding
    // a public incident from everyone not on it is the security team's call,
    // like declassifying one.
    if report.confidential && !incident.confidential && !cx.reader().sees_all_confidential {
        return Err(ApiError::ForbiddenField {
            field: "incident".to_owned(),
            detail: format!(
                "report {report_id} is confidential: linking it would hide {} from everyone who is not on it; only the security team or an admin may",
                incident.reference
            ),
        });
    }
    cx.store
        .link_report(report_id, incident_id, &cx.actor(), cx.now)
        .await?;
    cx.report(report_id).await
}

/// Dismisses an untriaged report with a reason.
pub async fn dismiss_report(
    cx: &Ctx<'_>,
    report_id: i64,
    req: &DismissReport,
) -> Result<Report, ApiError> {
    cx.require(Action::Triage)?;
    cx.report(report_id).await?;
    let reason = text("reason", Some(&req.reason), true)?.unwrap_or_default();
    cx.store
        .dismiss_report(report_id, &reason, &cx.actor(), cx.now)
        .await?;
    cx.report(report_id).await
}
