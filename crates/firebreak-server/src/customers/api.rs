//! The JSON API of customers (`/api/v1/customers`), components
//! (`/api/v1/components`) and whom an incident affects
//! (`/api/v1/incidents/{id}/affected`, `/api/v1/incidents/{id}/components`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::Problem;
use firebreak_api::customers::{
    AddCustomerContact, Component, CreateComponent, CreateCustomer, Customer, CustomerContactAdded,
    IncidentAffected, SetCustomerComponents, SetIncidentAffected, SetIncidentComponents,
    StatusLink, UpdateComponent, UpdateCustomer,
};
use firebreak_core::auth::Action;

use super::path_id;
use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};
use crate::incidents::incident_id;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, delete_customer))
        .routes(routes!(add_customer_contact))
        .routes(routes!(remove_customer_contact))
        .routes(routes!(set_customer_components))
        .routes(routes!(new_status_link))
        .routes(routes!(list_components, create_component))
        .routes(routes!(get_component, update_component))
        .routes(routes!(get_affected, put_affected))
        .routes(routes!(put_incident_components))
}

fn customer_id(raw: &str) -> Result<i64, ApiError> {
    path_id("customer", raw)
}

/// Every customer with its contacts (never a webhook's secret) and the
/// components it uses.
#[utoipa::path(get, path = "/api/v1/customers", responses((status = 200, body = [Customer]), (status = 403, body = Problem)))]
async fn list_customers(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Customer>>, ApiError> {
    Ok(Json(super::list_customers(&state.ctx(&user)).await?))
}

#[utoipa::path(post, path = "/api/v1/customers", request_body = CreateCustomer,
    responses((status = 201, body = Customer), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_customer(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateCustomer>,
) -> Result<(StatusCode, Json<Customer>), ApiError> {
    let c = super::create_customer(&state.ctx(&user), &req).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
async fn get_customer(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        super::customer(&state.ctx(&user), customer_id(&id)?).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}", params(("id" = i64, Path)), request_body = UpdateCustomer,
    responses((status = 200, body = Customer), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_customer(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateCustomer>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        super::update_customer(&state.ctx(&user), customer_id(&id)?, &req).await?,
    ))
}

/// Deletes a customer with its contacts; refused (409) while an incident
/// names it.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_customer(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    super::delete_customer(&state.ctx(&user), customer_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an email or webhook contact. A webhook's URL must be public (the
/// outgoing-request policy); a webhook without a secret gets one, shown in
/// this answer only.
#[utoipa::path(post, path = "/api/v1/customers/{id}/contacts", params(("id" = i64, Path)), request_body = AddCustomerContact,
    responses((status = 201, body = CustomerContactAdded), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_customer_contact(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddCustomerContact>,
) -> Result<(StatusCode, Json<CustomerContactAdded>), ApiError> {
    let added = super::add_contact(&state, &state.ctx(&user), customer_id(&id)?, &req).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}/contacts/{contact_id}",
    params(("id" = i64, Path), ("contact_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn remove_customer_contact(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((id, contact)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    super::remove_contact(
        &state.ctx(&user),
        customer_id(&id)?,
        path_id("contact", &contact)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the components a customer uses (the whole set).
#[utoipa::path(put, path = "/api/v1/customers/{id}/components", params(("id" = i64, Path)), request_body = SetCustomerComponents,
    responses((status = 200, body = Customer), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_customer_components(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SetCustomerComponents>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        super::set_components(&state.ctx(&user), customer_id(&id)?, &req.component_ids).await?,
    ))
}

/// A new private status link for the customer, replacing the last one; the
/// URL is shown in this answer only.
#[utoipa::path(post, path = "/api/v1/customers/{id}/status-link", params(("id" = i64, Path)),
    responses((status = 201, body = StatusLink), (status = 404, body = Problem)))]
async fn new_status_link(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<StatusLink>), ApiError> {
    let url = super::status_link(&state, &state.ctx(&user), customer_id(&id)?).await?;
    Ok((StatusCode::CREATED, Json(StatusLink { url })))
}

/// Every component in page order, with its state now.
#[utoipa::path(get, path = "/api/v1/components", responses((status = 200, body = [Component])))]
async fn list_components(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Component>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    Ok(Json(state.store.list_components().await?))
}

#[utoipa::path(post, path = "/api/v1/components", request_body = CreateComponent,
    responses((status = 201, body = Component), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_component(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateComponent>,
) -> Result<(StatusCode, Json<Component>), ApiError> {
    let c = super::create_component(&state.ctx(&user), &req).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/components/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Component), (status = 404, body = Problem)))]
async fn get_component(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Component>, ApiError> {
    Ok(Json(
        super::component(&state.ctx(&user), path_id("component", &id)?).await?,
    ))
}

/// Changes a component; `status` alone needs `respond`, the rest
/// `manage_customers`. A change of state joins the component's history.
#[utoipa::path(patch, path = "/api/v1/components/{id}", params(("id" = i64, Path)), request_body = UpdateComponent,
    responses((status = 200, body = Component), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_component(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateComponent>,
) -> Result<Json<Component>, ApiError> {
    Ok(Json(
        super::update_component(&state.ctx(&user), path_id("component", &id)?, &req).await?,
    ))
}

/// Whom the incident affects: the mode, the customers it resolves to and
/// the affected components.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/affected", params(("id" = String, Path)),
    responses((status = 200, body = IncidentAffected), (status = 404, body = Problem)))]
async fn get_affected(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<IncidentAffected>, ApiError> {
    Ok(Json(
        actions::affected::affected(&state.ctx(&user), incident_id(&id)?).await?,
    ))
}

/// Sets whom the incident affects: `nobody`, `customers` (with
/// `customer_ids`), `components` (the customers of its components) or
/// `all`.
#[utoipa::path(put, path = "/api/v1/incidents/{id}/affected", params(("id" = String, Path)), request_body = SetIncidentAffected,
    responses((status = 200, body = IncidentAffected), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_affected(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SetIncidentAffected>,
) -> Result<Json<IncidentAffected>, ApiError> {
    Ok(Json(
        actions::affected::set_affected(&state.ctx(&user), incident_id(&id)?, &req).await?,
    ))
}

/// Sets the components the incident affects and the state it gives each
/// (the whole set; an empty list clears it).
#[utoipa::path(put, path = "/api/v1/incidents/{id}/components", params(("id" = String, Path)), request_body = SetIncidentComponents,
    responses((status = 200, body = IncidentAffected), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_incident_components(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SetIncidentComponents>,
) -> Result<Json<IncidentAffected>, ApiError> {
    Ok(Json(
        actions::affected::set_components(&state.ctx(&user), incident_id(&id)?, &req).await?,
    ))
}
