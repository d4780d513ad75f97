//! The JSON API of reports under `/api/v1/reports`: the triage queue,
//! submitting, and triaging one report (declare, link, dismiss).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{
    DeclareFromReport, DeclareIncident, DismissReport, Incident, LinkReport, NewReport, Problem,
    Report, ReportFilter, ReportSource, parse_incident_ref,
};
use firebreak_core::auth::Action;

use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports, submit_report))
        .routes(routes!(get_report))
        .routes(routes!(declare_report))
        .routes(routes!(link_report))
        .routes(routes!(dismiss_report))
}

fn report_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::NotFound(format!("report `{raw}`")))
}

/// The triage queue (untriaged reports, oldest first) or reports by status.
#[utoipa::path(get, path = "/api/v1/reports", params(ReportFilter), responses((status = 200, body = [Report])))]
async fn list_reports(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(filter): ApiQuery<ReportFilter>,
) -> Result<Json<Vec<Report>>, ApiError> {
    let c = state.ctx(&user);
    c.require(Action::Read)?;
    Ok(Json(
        state
            .store
            .list_reports(&filter, &c.reader(), c.now)
            .await?,
    ))
}

/// Submits a report to the triage queue.
#[utoipa::path(post, path = "/api/v1/reports", request_body = NewReport, responses((status = 201, body = Report), (status = 400, body = Problem)))]
async fn submit_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<NewReport>,
) -> Result<(StatusCode, Json<Report>), ApiError> {
    let report = crate::disclosures::intake::submit_report(
        &state,
        &state.ctx(&user),
        &req,
        ReportSource::Api,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(report)))
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", params(("id" = i64, Path)), responses((status = 200, body = Report), (status = 404, body = Problem)))]
async fn get_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(state.ctx(&user).report(report_id(&id)?).await?))
}

/// Declares an incident from an untriaged report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/declare", params(("id" = i64, Path)), request_body = DeclareFromReport,
    responses((status = 201, body = Incident), (status = 409, body = Problem)))]
async fn declare_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeclareFromReport>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let c = state.ctx(&user);
    let id = report_id(&id)?;
    let report = c.report(id).await?;
    let declare = DeclareIncident {
        title: req.title.clone().unwrap_or(report.title),
        summary: Some(report.description),
        kind: req.kind,
        severity: req.severity,
        severity_reason: req.severity_reason.clone(),
        facts: req.facts,
        owner: req.owner.clone(),
        lead: req.lead.clone(),
        service: report.service,
    };
    let incident = actions::declare(&c, &declare, Some(id)).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

/// Links an untriaged report to an existing incident.
#[utoipa::path(post, path = "/api/v1/reports/{id}/link", params(("id" = i64, Path)), request_body = LinkReport, responses((status = 200, body = Report)))]
async fn link_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LinkReport>,
) -> Result<Json<Report>, ApiError> {
    let incident = parse_incident_ref(&req.incident).ok_or_else(|| {
        ApiError::invalid(
            "incident",
            format!("`{}` is not an incident id or reference", req.incident),
        )
    })?;
    Ok(Json(
        actions::link_report(&state.ctx(&user), report_id(&id)?, incident).await?,
    ))
}

/// Dismisses an untriaged report, with a reason. Nothing is deleted.
#[utoipa::path(post, path = "/api/v1/reports/{id}/dismiss", params(("id" = i64, Path)), request_body = DismissReport, responses((status = 200, body = Report)))]
async fn dismiss_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DismissReport>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(
        actions::dismiss_report(&state.ctx(&user), report_id(&id)?, &req).await?,
    ))
}
