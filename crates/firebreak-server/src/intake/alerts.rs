//! Reading intake's records over the API: alerts and change events.

use axum::Json;
use axum::extract::State;

use firebreak_api::Problem;
use firebreak_api::intake::{AlertQuery, AlertView, ChangeQuery, ChangeView};
use firebreak_core::auth::Action;
use firebreak_store::intake::{AlertFilter, AlertStatusFilter};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, AuthUser};
use crate::intake::wire::alert_view;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(list_changes))
}

// ----------------------------------------------------------------- reading

/// Alerts, newest first, of the reports the reader can see.
#[utoipa::path(get, path = "/api/v1/intake/alerts", tag = "intake", params(AlertQuery),
    responses(
        (status = 200, description = "Success.", body = [AlertView]),
        (status = 400, description = "An unknown `status`, or an unknown or malformed query parameter, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            AlertStatusFilter::parse(s).ok_or_else(|| {
                ApiError::bad(
                    "status",
                    "`status` is one of open, firing, acknowledged, resolved",
                )
            })
        })
        .transpose()?;
    let alerts = state
        .store
        .intake_alerts(
            &AlertFilter {
                integration_id: q.integration,
                status,
                limit: q.limit.unwrap_or(100),
            },
            &cx.reader(),
        )
        .await?;
    Ok(Json(alerts.into_iter().map(alert_view).collect()))
}

/// PagerDuty change events, newest first.
#[utoipa::path(get, path = "/api/v1/intake/changes", tag = "intake", params(ChangeQuery),
    responses(
        (status = 200, description = "Success.", body = [ChangeView]),
        (status = 400, description = "An unknown or malformed query parameter, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service of that name.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_changes(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<ChangeQuery>,
) -> Result<Json<Vec<ChangeView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let service = match &q.service {
        Some(name) => Some(
            state
                .store
                .service_by_name(name)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("service `{name}`")))?
                .id,
        ),
        None => None,
    };
    let list = state
        .store
        .change_events(service, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(list))
}
