//! The service catalog over the API: the services incidents, reports,
//! alerts and escalation policies name. (A service's escalation policy and
//! runbook are in [`crate::oncall::api`].)

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{CreateService, Service};
use firebreak_core::auth::Action;

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_services, create_service))
}

#[utoipa::path(get, path = "/api/v1/services", responses((status = 200, body = [Service])))]
async fn list_services(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Service>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    Ok(Json(state.store.list_services().await?))
}

#[utoipa::path(post, path = "/api/v1/services", request_body = CreateService, responses((status = 201, body = Service)))]
async fn create_service(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateService>,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    let s = create_service_checked(&state.ctx(&user), &req).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// Adds a service (managers of services): a valid, free name and an owner
/// team. The API and the web set-up pages create through here.
pub(crate) async fn create_service_checked(
    c: &Ctx<'_>,
    req: &CreateService,
) -> Result<Service, ApiError> {
    c.require(Action::ManageServices)?;
    if !firebreak_store::users::valid_user_name(&req.name) {
        return Err(ApiError::invalid(
            "name",
            "a service name is 1–64 of letters, digits and . _ - @",
        ));
    }
    let team = actions::title("owner_team", &req.owner_team)?;
    let description =
        actions::text("description", req.description.as_deref(), false)?.unwrap_or_default();
    Ok(c.store
        .create_service(&req.name, &team, &description, &c.actor(), c.now)
        .await?)
}
