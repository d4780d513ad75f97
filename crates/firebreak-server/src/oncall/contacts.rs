//! A user's contact methods beyond adding one (`api::add_contact_checked`):
//! removing one and sending a test page through it, over the JSON API. The
//! rules are the functions here, shared with the web user page
//! (`accounts::user_page`): contact methods and test pages are your own, or
//! (admins) anyone's.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{ContactMethod, Problem, TestPage};

use super::api::may_manage_contacts_of;
use crate::AppState;
use crate::actions::Ctx;
use crate::error::ApiError;
use crate::extract::AuthUser;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(remove_contact_api))
        .routes(routes!(send_test_page_api))
        .routes(routes!(get_test_page_api))
}

/// An id in a path: a number, or the thing does not exist.
pub(crate) fn path_id(what: &str, id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::NotFound(format!("{what} `{id}`")))
}

/// Removes one of a user's contact methods (yourself, or anyone for
/// admins), and its notification rule. Messages already queued through it
/// still go out.
#[utoipa::path(delete, path = "/api/v1/users/{name}/contact-methods/{id}",
    params(("name" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_contact_api(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    remove_contact(&state.ctx(&user), &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The one removal rule, shared with the web user page.
pub(crate) async fn remove_contact(
    c: &Ctx<'_>,
    name: &str,
    id: &str,
) -> Result<ContactMethod, ApiError> {
    may_manage_contacts_of(c, name)?;
    let id = path_id("contact method", id)?;
    let user = c.store.user_ref(name).await?;
    Ok(c.store
        .remove_contact_method(&user, id, &c.actor(), c.now)
        .await?)
}

/// Sends a test page through one of a user's contact methods (yourself, or
/// anyone for admins): a message with no incident (`"event": "test"`),
/// queued in the outbox and tried once. Answers 202 with the test page;
/// `GET …/test-pages/{id}` tells whether it was delivered.
#[utoipa::path(post, path = "/api/v1/users/{name}/contact-methods/{id}/test",
    params(("name" = String, Path), ("id" = i64, Path)),
    responses((status = 202, body = TestPage), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn send_test_page_api(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<TestPage>), ApiError> {
    let page = send_test_page(&state.ctx(&user), &name, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(page)))
}

/// The one test-page rule, shared with the web user page; wakes the
/// workers.
pub(crate) async fn send_test_page(
    c: &Ctx<'_>,
    name: &str,
    id: &str,
) -> Result<TestPage, ApiError> {
    may_manage_contacts_of(c, name)?;
    let id = path_id("contact method", id)?;
    let user = c.store.user_ref(name).await?;
    let page = c
        .store
        .queue_test_page(&user, id, &c.actor(), c.now)
        .await?;
    c.wake.wake();
    Ok(page)
}

/// A test page and how its delivery went: `pending`, `delivered` or
/// `failed` (with the error).
#[utoipa::path(get, path = "/api/v1/users/{name}/test-pages/{id}",
    params(("name" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = TestPage), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_test_page_api(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<TestPage>, ApiError> {
    Ok(Json(test_page(&state.ctx(&user), &name, &id).await?))
}

/// Test page `id` of user `name`, for whoever may manage their contacts.
pub(crate) async fn test_page(c: &Ctx<'_>, name: &str, id: &str) -> Result<TestPage, ApiError> {
    may_manage_contacts_of(c, name)?;
    let id = path_id("test page", id)?;
    let user = c.store.user_ref(name).await?;
    c.store
        .test_page(Some(user.id), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("test page `{id}`")))
}
