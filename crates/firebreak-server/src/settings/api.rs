//! `GET /api/v1/settings`, `PUT` and `DELETE /api/v1/settings/{key}`: the
//! escalation settings over the configuration file's values.

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{SetSetting, SettingView};
use firebreak_core::auth::Action;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(put, reset))
}

/// Every escalation setting: its value, and whether it is the file's or
/// was changed (by whom, when). Admins and leads.
#[utoipa::path(get, path = "/api/v1/settings", responses((status = 200, body = [SettingView])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<SettingView>>, ApiError> {
    state.ctx(&user).require(Action::ManageServices)?;
    let dir = state.store.directory().await?;
    Ok(Json(super::views(&state.config.escalation, &dir)))
}

/// Changes a setting, at once and audited. `incident_lead_policy` takes an
/// existing policy's name (or null: no policy); `leadership` and `fallback`
/// take lists of enabled users' names.
#[utoipa::path(put, path = "/api/v1/settings/{key}", params(("key" = String, Path)), request_body = SetSetting,
    responses((status = 200, body = SettingView), (status = 404, body = firebreak_api::Problem),
        (status = 422, body = firebreak_api::Problem)))]
pub async fn put(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<SetSetting>,
) -> Result<Json<SettingView>, ApiError> {
    super::set(&state.ctx(&user), &key, &req.value)
        .await
        .map(Json)
}

/// Sets a setting back to the configuration file's value (audited).
#[utoipa::path(delete, path = "/api/v1/settings/{key}", params(("key" = String, Path)),
    responses((status = 200, body = SettingView), (status = 404, body = firebreak_api::Problem)))]
pub async fn reset(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(key): Path<String>,
) -> Result<Json<SettingView>, ApiError> {
    super::reset(&state.ctx(&user), &key).await.map(Json)
}
