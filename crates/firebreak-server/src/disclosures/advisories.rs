//! Advisories, the security team's side (issue 12, item 6): the JSON API
//! under `/api/v1/disclosures/{id}/advisory` and `/api/v1/advisories`, and
//! the functions the staff page ([`super::advisory_web`]) calls, so the web
//! refuses what the API refuses.
//!
//! A draft is as confidential as its disclosure: to anyone without
//! `read_disclosures` every advisory URL answers exactly like a missing one
//! (404), and the list answers 403 (it reveals nothing). Published
//! advisories are public through [`super::published`] only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::disclosure::{Advisory, AdvisoryEdit, MAX_SHORT, MAX_TEXT, MAX_TITLE};
use firebreak_api::{Problem, User};
use firebreak_core::auth::{Action, allowed};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_advisory, draft_advisory))
        .routes(routes!(list_advisories))
        .routes(routes!(edit_advisory))
        .routes(routes!(publish_advisory))
}

/// The id in a path, or the same 404 as a missing record.
pub fn path_ref(noun: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| missing(noun, raw))
}

fn missing(noun: &str, raw: &str) -> ApiError {
    ApiError::NotFound(format!("{noun} `{raw}`"))
}

/// A user without `read_disclosures` learns nothing: `noun` `raw` is
/// missing for them, whether it exists or not.
fn readable(user: &User, noun: &str, raw: &str) -> Result<(), ApiError> {
    if allowed(user.role, Action::ReadDisclosures) {
        Ok(())
    } else {
        Err(missing(noun, raw))
    }
}

/// [`readable`], then `manage_disclosures` (403 when only that is
/// lacking, which no role is today: both belong to the same roles).
fn manageable(user: &User, noun: &str, raw: &str) -> Result<(), ApiError> {
    readable(user, noun, raw)?;
    if allowed(user.role, Action::ManageDisclosures) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "role `{}` may not {}",
            user.role,
            Action::ManageDisclosures
        )))
    }
}

fn store_error(e: firebreak_store::StoreError, noun: &str, raw: &str) -> ApiError {
    match e {
        firebreak_store::StoreError::NotFound(_) => missing(noun, raw),
        e => e.into(),
    }
}

/// Drafts the advisory of disclosure `raw_id` (see
/// [`firebreak_store::Store::draft_advisory`]).
pub async fn draft(state: &AppState, user: &User, raw_id: &str) -> Result<Advisory, ApiError> {
    manageable(user, "disclosure", raw_id)?;
    let id = path_ref("disclosure", raw_id)?;
    let actor = firebreak_store::Actor::user(user.id, &user.name);
    let a = state
        .store
        .draft_advisory(id, &actor, state.now())
        .await
        .map_err(|e| store_error(e, "disclosure", raw_id))?;
    Ok(a.view())
}

/// The advisory of disclosure `raw_id`: 404 when none was drafted.
pub async fn of_disclosure(
    state: &AppState,
    user: &User,
    raw_id: &str,
) -> Result<Option<firebreak_store::disclosures::advisories::AdvisoryRecord>, ApiError> {
    readable(user, "disclosure", raw_id)?;
    let id = path_ref("disclosure", raw_id)?;
    if state.store.disclosure(id).await?.is_none() {
        return Err(missing("disclosure", raw_id));
    }
    Ok(state.store.advisory_of_disclosure(id).await?)
}

/// Why an edit is refused, naming the field, or `Ok`.
pub fn check_edit(e: &AdvisoryEdit) -> Result<(), ApiError> {
    let too_long = |field: &str, v: &Option<String>, max: usize| -> Result<(), ApiError> {
        match v {
            Some(v) if v.chars().count() > max => Err(ApiError::invalid(
                field,
                format!("`{field}` is at most {max} characters"),
            )),
            _ => Ok(()),
        }
    };
    if let Some(t) = &e.title
        && t.trim().is_empty()
    {
        return Err(ApiError::invalid("title", "`title` must not be empty"));
    }
    too_long("title", &e.title, MAX_TITLE)?;
    too_long("summary", &e.summary, MAX_TEXT)?;
    too_long("fix", &e.fix, MAX_TEXT)?;
    too_long("affected", &e.affected, MAX_SHORT)?;
    too_long("credit", &e.credit, MAX_SHORT)?;
    Ok(())
}

/// Edits advisory `raw_id`.
pub async fn edit(
    state: &AppState,
    user: &User,
    raw_id: &str,
    req: &AdvisoryEdit,
) -> Result<Advisory, ApiError> {
    manageable(user, "advisory", raw_id)?;
    let id = path_ref("advisory", raw_id)?;
    check_edit(req)?;
    let actor = firebreak_store::Actor::user(user.id, &user.name);
    match state
        .store
        .edit_advisory(id, req, &actor, state.now())
        .await
    {
        Ok(a) => Ok(a.view()),
        Err(firebreak_store::StoreError::Conflict(m)) if m.contains("credit") => {
            Err(ApiError::invalid("credit", m))
        }
        Err(e) => Err(store_error(e, "advisory", raw_id)),
    }
}

/// Publishes advisory `raw_id` (409 naming the state unless its
/// disclosure is `disclosed`).
pub async fn publish(state: &AppState, user: &User, raw_id: &str) -> Result<Advisory, ApiError> {
    manageable(user, "advisory", raw_id)?;
    let id = path_ref("advisory", raw_id)?;
    let actor = firebreak_store::Actor::user(user.id, &user.name);
    let a = state
        .store
        .publish_advisory(id, &actor, state.now())
        .await
        .map_err(|e| store_error(e, "advisory", raw_id))?;
    Ok(a.view())
}

/// Drafts the disclosure's advisory from it: title, the description's
/// first paragraph as summary, the asset as affected, severity with vector
/// and score, an empty fix, and the researcher's name as credit when they
/// agreed. 409 when it has one.
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/advisory", params(("id" = String, Path)),
    responses((status = 201, body = Advisory), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn draft_advisory(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Advisory>), ApiError> {
    Ok((StatusCode::CREATED, Json(draft(&state, &user, &id).await?)))
}

/// The disclosure's advisory, draft or published.
#[utoipa::path(get, path = "/api/v1/disclosures/{id}/advisory", params(("id" = String, Path)),
    responses((status = 200, body = Advisory), (status = 404, body = Problem)))]
async fn get_advisory(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Advisory>, ApiError> {
    of_disclosure(&state, &user, &id)
        .await?
        .map(|a| Json(a.view()))
        .ok_or_else(|| ApiError::NotFound(format!("advisory of disclosure `{id}`")))
}

/// Every advisory, drafts included, newest first.
#[utoipa::path(get, path = "/api/v1/advisories",
    responses((status = 200, body = [Advisory]), (status = 403, body = Problem)))]
async fn list_advisories(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Advisory>>, ApiError> {
    state.ctx(&user).require(Action::ReadDisclosures)?;
    let all = state.store.advisories().await?;
    Ok(Json(all.iter().map(|a| a.view()).collect()))
}

/// Changes the fields given. The severity, vector and score follow the
/// disclosure's; a credit needs the researcher's agreement (422 on
/// `credit` otherwise), an empty one removes it.
#[utoipa::path(patch, path = "/api/v1/advisories/{id}", params(("id" = String, Path)),
    request_body = AdvisoryEdit,
    responses((status = 200, body = Advisory), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn edit_advisory(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AdvisoryEdit>,
) -> Result<Json<Advisory>, ApiError> {
    Ok(Json(edit(&state, &user, &id, &req).await?))
}

/// Publishes the advisory at `/security/advisories/{slug}` and in the
/// Atom feed: only once its disclosure is `disclosed` (409 naming the
/// state otherwise).
#[utoipa::path(post, path = "/api/v1/advisories/{id}/publish", params(("id" = String, Path)),
    responses((status = 200, body = Advisory), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn publish_advisory(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Advisory>, ApiError> {
    Ok(Json(publish(&state, &user, &id).await?))
}
