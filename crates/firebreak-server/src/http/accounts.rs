//! Account administration over the API: listing and revoking API tokens,
//! changing a user's role and disabling or enabling them. The rules (who
//! may, the last admin, sessions ended on disable, audit entries) live in
//! the store's `update_user` / `revoke_token` and core's permission table,
//! shared with the web users page and the CLI.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, patch};
use serde::Deserialize;
use utoipa::IntoParams;

use firebreak_api::{TokenInfo, UpdateUser, User};
use firebreak_core::auth::{Action, allowed};

use crate::AppState;
use crate::actions::Ctx;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/users/{name}", patch(update_user))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    /// Admins: the tokens of this user instead of your own.
    pub user: Option<String>,
}

/// Your API tokens (admins: `?user=NAME` for someone else's), newest
/// first, without their secrets.
#[utoipa::path(get, path = "/api/v1/tokens", params(TokenQuery), responses((status = 200, body = [TokenInfo])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let c = state.ctx(&user);
    let owner = match q.user.as_deref() {
        Some(name) if name != user.name => {
            c.require(Action::ManageUsers)?;
            state.store.user_ref(name).await?.id
        }
        _ => user.id,
    };
    Ok(Json(state.store.list_tokens(Some(owner)).await?))
}

/// Revokes an API token: your own, or (admins) anyone's. It stops working
/// at once. Revoking a revoked token changes nothing.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = TokenInfo), (status = 404, body = firebreak_api::Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<TokenInfo>, ApiError> {
    let c = state.ctx(&user);
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("token `{id}`")))?;
    Ok(Json(revoke(&c, id).await?))
}

/// The one revocation rule: admins any token, others their own.
pub async fn revoke(c: &Ctx<'_>, id: i64) -> Result<TokenInfo, ApiError> {
    let owner = (!allowed(c.user.role, Action::ManageUsers)).then_some(c.user.id);
    Ok(c.store.revoke_token(id, owner, &c.actor(), c.now).await?)
}

/// Changes a user's role or disables / enables them (admins only). A
/// disabled user's sessions end and tokens stop at once; the last enabled
/// admin cannot be demoted or disabled.
#[utoipa::path(patch, path = "/api/v1/users/{name}", params(("name" = String, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 403, body = firebreak_api::Problem),
        (status = 404, body = firebreak_api::Problem), (status = 409, body = firebreak_api::Problem)))]
pub async fn update_user(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> Result<Json<User>, ApiError> {
    let c = state.ctx(&user);
    Ok(Json(change_user(&c, &name, &req).await?))
}

/// The one user-change rule, shared with the web users page.
pub async fn change_user(c: &Ctx<'_>, name: &str, req: &UpdateUser) -> Result<User, ApiError> {
    c.require(Action::ManageUsers)?;
    if req.role.is_none() && req.disabled.is_none() {
        return Err(ApiError::invalid("role", "set `role` and/or `disabled`"));
    }
    Ok(c.store
        .update_user(name, req.role, req.disabled, &c.actor(), c.now)
        .await?)
}
