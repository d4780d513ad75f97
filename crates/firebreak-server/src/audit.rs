//! The audit log over the API (admins): the newest entries, and the check
//! of its hash chain. Checkpoints of the chain are in [`crate::checkpoint`].

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{AuditEntry, AuditVerification};
use firebreak_core::auth::Action;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, AuthUser};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(audit_entries))
        .routes(routes!(audit_verify))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// At most this many entries, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

/// The newest audit entries (admins).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery), responses((status = 200, body = [AuditEntry])))]
async fn audit_entries(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    state.ctx(&user).require(Action::Audit)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad("limit", "limit must be between 1 and 1000"));
    }
    Ok(Json(state.store.audit_entries(limit).await?))
}

/// Checks the audit hash chain (admins). `ok` is false and
/// `first_bad_seq` names the first entry that does not hold if the log was
/// tampered with.
#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200, body = AuditVerification)))]
async fn audit_verify(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<AuditVerification>, ApiError> {
    state.ctx(&user).require(Action::Audit)?;
    Ok(Json(state.store.verify_audit().await?))
}
