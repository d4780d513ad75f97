//! Accounts over the API: who you are, users (create, list, change role,
//! disable or enable) and API tokens (create, list, revoke). The rules (who
//! may, the last admin, sessions ended on disable, audit entries) live in
//! the store's `update_user` / `revoke_token` and core's permission table,
//! shared with the web users page and the CLI.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{
    CreateToken, CreateUser, Problem, ResetPassword, TokenCreated, TokenInfo, UpdateUser, User,
};
use firebreak_core::auth::{Action, allowed};
use firebreak_store::{NewUser, secrets};

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(reset_password_api))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = User), (status = 401, body = Problem)))]
async fn me(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}

#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = [User])))]
async fn list_users(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<User>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    Ok(Json(state.store.list_users().await?))
}

/// Creates a user (admins only).
#[utoipa::path(post, path = "/api/v1/users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let c = state.ctx(&user);
    c.require(Action::ManageUsers)?;
    let created = create_user_checked(&c, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Validates and creates a user; shared with the web page.
pub async fn create_user_checked(c: &Ctx<'_>, req: &CreateUser) -> Result<User, ApiError> {
    if !firebreak_store::users::valid_user_name(&req.name) {
        return Err(ApiError::invalid(
            "name",
            "a user name is 1–64 of letters, digits and . _ - @",
        ));
    }
    if crate::escalate::is_service_account(&req.name) {
        return Err(ApiError::invalid(
            "name",
            "names starting with `intake.` belong to integrations' service users",
        ));
    }
    let password_hash = match req.password.as_deref() {
        Some(p) => {
            firebreak_core::password::check_password(p)
                .map_err(|e| ApiError::invalid("password", e.to_string()))?;
            Some(crate::signin::hash_password(p).await.map_err(|e| match e {
                crate::signin::PasswordError::Busy => ApiError::Unavailable(e.to_string()),
                e => ApiError::Internal(e.to_string()),
            })?)
        }
        None => None,
    };
    let display_name = match req.display_name.as_deref() {
        Some(d) => actions::title("display_name", d)?,
        None => req.name.clone(),
    };
    let email = match req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) if !e.contains('@') || e.len() > 254 || e.chars().any(char::is_whitespace) => {
            return Err(ApiError::invalid("email", "not an email address"));
        }
        other => other.map(str::to_owned),
    };
    let new = NewUser {
        name: req.name.clone(),
        display_name,
        email,
        role: req.role,
        password_hash,
    };
    Ok(c.store.create_user(&new, &c.actor(), c.now).await?)
}

/// Creates an API token for yourself, or (admins) for another user. The
/// token is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", request_body = CreateToken, responses((status = 201, body = TokenCreated)))]
async fn create_token(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let c = state.ctx(&user);
    let owner = match req.user.as_deref() {
        Some(name) if name != user.name => {
            c.require(Action::ManageUsers)?;
            state
                .store
                .user_ref(name)
                .await
                .map_err(|_| ApiError::invalid("user", format!("no user named `{name}`")))?
        }
        _ => firebreak_api::UserRef {
            id: user.id,
            name: user.name.clone(),
        },
    };
    let name = match req.name.as_deref() {
        Some(n) => actions::title("name", n)?,
        None => "api".to_owned(),
    };
    let token = secrets::new_token();
    let id = state
        .store
        .create_token(&owner, &name, &token, &c.actor(), c.now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id,
            name,
            user: owner,
            token,
        }),
    ))
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
    refuse_service_account(
        name,
        if req.role.is_some() {
            "role"
        } else {
            "disabled"
        },
    )?;
    Ok(c.store
        .update_user(name, req.role, req.disabled, &c.actor(), c.now)
        .await?)
}

/// An integration's service user (`intake.<name>`) never signs in and
/// keeps the role its integration gave it: it acts only through its
/// integration's key, and the audit log names it as that integration.
fn refuse_service_account(name: &str, field: &str) -> Result<(), ApiError> {
    if crate::escalate::is_service_account(name) {
        return Err(ApiError::invalid(
            field,
            format!(
                "`{name}` is an integration's service user: it cannot sign in or change role; \
                 disable or re-key the integration instead"
            ),
        ));
    }
    Ok(())
}

/// Sets a user's password (admins), under the rules of a new user's
/// password. The user's browser sessions end; their API tokens stay.
#[utoipa::path(post, path = "/api/v1/users/{name}/reset-password", params(("name" = String, Path)),
    request_body = ResetPassword,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn reset_password_api(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<ResetPassword>,
) -> Result<StatusCode, ApiError> {
    reset_password(&state.ctx(&user), &name, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The one password-reset rule: admins only, the password rules of a new
/// user, sessions ended. Answers how many sessions ended.
pub(crate) async fn reset_password(
    c: &Ctx<'_>,
    name: &str,
    password: &str,
) -> Result<u64, ApiError> {
    c.require(Action::ManageUsers)?;
    c.store.user_ref(name).await?;
    refuse_service_account(name, "password")?;
    firebreak_core::password::check_password(password)
        .map_err(|e| ApiError::invalid("password", e.to_string()))?;
    let hash = crate::signin::hash_password(password)
        .await
        .map_err(|e| match e {
            crate::signin::PasswordError::Busy => ApiError::Unavailable(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        })?;
    Ok(c.store
        .reset_password(name, &hash, &c.actor(), c.now)
        .await?)
}
