//! The triage queue's additions: filters by source and service (with the
//! alert behind each report), the untriaged backlog per source with the age
//! of its oldest report, bulk link and dismiss (each report through
//! `actions`, as one would), and the noise view: reports per service per
//! day. Every read applies the confidentiality rule: a reader counts and
//! lists only what they may see.

use std::collections::{BTreeSet, HashMap};

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, DurationRound, Utc};

use firebreak_api::intake::{
    AlertBrief, BacklogView, BulkAction, BulkFailure, BulkOutcome, BulkTriage, NoiseDay,
    NoiseQuery, NoiseView, TriageItem, TriageQuery,
};
use firebreak_api::{DismissReport, Problem, Report, parse_incident_ref};
use firebreak_core::auth::Action;
use firebreak_store::intake::TriageFilter;

use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::intake::wire::alert_brief;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(backlog))
        .routes(routes!(bulk))
        .routes(routes!(noise))
}

/// Most reports in one bulk request.
const MAX_BULK: usize = 500;

/// The triage queue, oldest first, each report with the alert behind it.
///
/// Untriaged reports by default; filtered by status, source and service.
/// Confidential reports appear only to those who may see them.
#[utoipa::path(get, path = "/api/v1/intake/triage", tag = "intake", params(TriageQuery),
    responses(
        (status = 200, description = "Success.", body = [TriageItem]),
        (status = 400, description = "An unknown or malformed query parameter, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn queue(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<TriageQuery>,
) -> Result<Json<Vec<TriageItem>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let filter = TriageFilter {
        status: q.status,
        source: q.source,
        service: q.service.clone(),
        limit: q.limit.unwrap_or(200),
    };
    let (reports, mut alerts) = queue_with_alerts(&cx, &filter).await?;
    Ok(Json(
        reports
            .into_iter()
            .map(|report| TriageItem {
                alert: alerts.remove(&report.id),
                report,
            })
            .collect(),
    ))
}

/// The reports of the triage queue `cx`'s user may see, and the alert
/// behind each that has one, by report id (the API's queue and the web
/// triage page).
pub(crate) async fn queue_with_alerts(
    cx: &actions::Ctx<'_>,
    filter: &TriageFilter,
) -> Result<(Vec<Report>, HashMap<i64, AlertBrief>), ApiError> {
    let reader = cx.reader();
    let reports = cx.store.triage_queue(filter, &reader, cx.now).await?;
    let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
    let alerts = cx
        .store
        .alerts_for_reports(&ids, &reader)
        .await?
        .iter()
        .map(|a| (a.report_id, alert_brief(a)))
        .collect();
    Ok((reports, alerts))
}

/// The noise view's window: the UTC days from `days - 1` days before
/// `now`'s day to the end of `now`'s day, as (from, to).
pub(crate) fn noise_window(now: DateTime<Utc>, days: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.duration_trunc(Duration::days(1)).unwrap_or(now);
    (today - Duration::days(days - 1), today + Duration::days(1))
}

/// The untriaged backlog per source, with the age of its oldest report.
#[utoipa::path(get, path = "/api/v1/intake/triage/backlog", tag = "intake",
    responses(
        (status = 200, description = "Success.", body = [BacklogView]),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn backlog(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<BacklogView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let rows = state.store.triage_backlog(&cx.reader(), cx.now).await?;
    Ok(Json(
        rows.into_iter()
            .map(|b| BacklogView {
                source: b.source,
                untriaged: b.untriaged,
                oldest_received_at: b.oldest_received_at,
                oldest_age_seconds: b.oldest_age_seconds,
            })
            .collect(),
    ))
}

/// Links or dismisses many reports. Each goes through `actions` on its own:
/// those that cannot be triaged (already triaged, not visible) are listed
/// with their problem and the others are done.
#[utoipa::path(post, path = "/api/v1/intake/triage/bulk", tag = "intake", request_body = BulkTriage,
    responses(
        (status = 200, description = "What was done and what was refused, with why.", body = BulkOutcome),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not triage.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the server's `body_limit` (64 KiB by default).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reports or more than 500, a missing or unknown `incident` for `link`, a missing `reason` for `dismiss`.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn bulk(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<BulkTriage>,
) -> Result<Json<BulkOutcome>, ApiError> {
    let cx = state.ctx(&user);
    bulk_triage(&cx, &req).await.map(Json)
}

/// Links or dismisses many reports, each through `actions` on its own (the
/// API's bulk endpoint and the web triage page's bulk form).
pub(crate) async fn bulk_triage(
    cx: &actions::Ctx<'_>,
    req: &BulkTriage,
) -> Result<BulkOutcome, ApiError> {
    cx.require(Action::Triage)?;
    if req.reports.is_empty() || req.reports.len() > MAX_BULK {
        return Err(ApiError::invalid(
            "reports",
            format!("`reports` must list 1 to {MAX_BULK} report ids"),
        ));
    }
    let ids: BTreeSet<i64> = req.reports.iter().copied().collect();
    let mut outcome = BulkOutcome {
        done: Vec::new(),
        failed: Vec::new(),
    };
    match req.action {
        BulkAction::Link => {
            let raw = req
                .incident
                .as_deref()
                .filter(|i| !i.trim().is_empty())
                .ok_or_else(|| ApiError::invalid("incident", "linking needs an `incident`"))?;
            let incident = parse_incident_ref(raw).ok_or_else(|| {
                ApiError::invalid("incident", format!("`{raw}` is not an incident"))
            })?;
            // Refuse the whole request when the incident is not there, rather
            // than failing every report the same way.
            cx.incident(incident).await.map_err(|e| match e {
                ApiError::NotFound(what) => {
                    ApiError::invalid("incident", format!("{what} not found"))
                }
                e => e,
            })?;
            for id in ids {
                match actions::link_report(cx, id, incident).await {
                    Ok(_) => outcome.done.push(id),
                    Err(e) => outcome.failed.push(BulkFailure {
                        report: id,
                        problem: e.problem(),
                    }),
                }
            }
        }
        BulkAction::Dismiss => {
            let reason = actions::text("reason", req.reason.as_deref(), true)?.unwrap_or_default();
            let dismiss = DismissReport { reason };
            for id in ids {
                match actions::dismiss_report(cx, id, &dismiss).await {
                    Ok(_) => outcome.done.push(id),
                    Err(e) => outcome.failed.push(BulkFailure {
                        report: id,
                        problem: e.problem(),
                    }),
                }
            }
        }
    }
    Ok(outcome)
}

/// Reports per service per UTC day, for the last `days` days.
#[utoipa::path(get, path = "/api/v1/intake/noise", tag = "intake", params(NoiseQuery),
    responses(
        (status = 200, description = "Success.", body = NoiseView),
        (status = 400, description = "`days` outside 1 to 366, or an unknown or malformed query parameter, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn noise(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<NoiseQuery>,
) -> Result<Json<NoiseView>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let days = q.days.unwrap_or(14);
    if !(1..=366).contains(&days) {
        return Err(ApiError::bad("days", "`days` must be 1 to 366"));
    }
    let (from, to) = noise_window(cx.now, days);
    let rows = state
        .store
        .report_noise(from, to, q.source, &cx.reader())
        .await?;
    Ok(Json(NoiseView {
        from,
        to,
        rows: rows
            .into_iter()
            .map(|r| NoiseDay {
                day: r.day.with_timezone(&Utc).format("%Y-%m-%d").to_string(),
                service: r.service,
                reports: r.reports,
            })
            .collect(),
    }))
}
