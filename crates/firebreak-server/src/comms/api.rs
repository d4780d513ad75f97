//! The JSON API of customer communication under
//! `/api/v1/incidents/{id}/communication` and `/api/v1/incidents/{id}/notices`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::Problem;
use firebreak_api::comms::{
    Communication, DraftNotice, Notice, NoticePreview, SendNotice, UpdateNotice,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};
use crate::incidents::incident_id;

/// A notice's id from the path: anything but a positive number is a 404
/// problem, as every other id.
fn notice_ref(raw: &str) -> Result<i64, ApiError> {
    crate::customers::path_id("notice", raw)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_communication))
        .routes(routes!(list_notices, draft_notice))
        .routes(routes!(update_notice))
        .routes(routes!(preview_notice))
        .routes(routes!(send_notice))
}

/// What the incident owes its customers now (each due notice with when it
/// is due and overdue, and why), whether closing is blocked, the affected
/// customers and their contacts, and the notices.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/communication", params(("id" = String, Path)),
    responses((status = 200, body = Communication), (status = 404, body = Problem)))]
async fn get_communication(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Communication>, ApiError> {
    let cx = state.ctx(&user);
    let c = super::communication(&cx, incident_id(&id)?, &state.config.comms).await?;
    Ok(Json(c.wire()))
}

/// The incident's notices, drafts and sent, newest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/notices", params(("id" = String, Path)),
    responses((status = 200, body = [Notice]), (status = 404, body = Problem)))]
async fn list_notices(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Notice>>, ApiError> {
    let cx = state.ctx(&user);
    let id = incident_id(&id)?;
    cx.incident(id).await?;
    let mut notices = state.store.notices(id).await?;
    super::redact_notices(user.role, &mut notices);
    Ok(Json(notices))
}

/// Drafts a notice from the template; fields given replace the template's.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notices", params(("id" = String, Path)),
    request_body = DraftNotice,
    responses((status = 201, body = Notice), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn draft_notice(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DraftNotice>,
) -> Result<(StatusCode, Json<Notice>), ApiError> {
    let cx = state.ctx(&user);
    let n = super::draft_notice(&cx, incident_id(&id)?, &req, &state.config.comms).await?;
    Ok((StatusCode::CREATED, Json(n)))
}

/// Changes a draft (a sent notice never changes: 409).
#[utoipa::path(patch, path = "/api/v1/incidents/{id}/notices/{notice_id}",
    params(("id" = String, Path), ("notice_id" = i64, Path)), request_body = UpdateNotice,
    responses((status = 200, body = Notice), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_notice(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((id, notice_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<UpdateNotice>,
) -> Result<Json<Notice>, ApiError> {
    let cx = state.ctx(&user);
    Ok(Json(
        super::update_notice(&cx, incident_id(&id)?, notice_ref(&notice_id)?, &req).await?,
    ))
}

/// Exactly what sending would send (subject, body, webhook payload) and to
/// whom.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notices/{notice_id}/preview",
    params(("id" = String, Path), ("notice_id" = i64, Path)),
    responses((status = 200, body = NoticePreview), (status = 404, body = Problem)))]
async fn preview_notice(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((id, notice_id)): Path<(String, String)>,
) -> Result<Json<NoticePreview>, ApiError> {
    let cx = state.ctx(&user);
    Ok(Json(
        super::preview_notice(
            &cx,
            incident_id(&id)?,
            notice_ref(&notice_id)?,
            &state.config.comms,
        )
        .await?,
    ))
}

/// Sends a draft to the affected customers' contacts (and the status page
/// when marked so). A security incident's notice needs `approved: true`.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notices/{notice_id}/send",
    params(("id" = String, Path), ("notice_id" = i64, Path)), request_body = SendNotice,
    responses((status = 200, body = Notice), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn send_notice(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((id, notice_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<SendNotice>,
) -> Result<Json<Notice>, ApiError> {
    let cx = state.ctx(&user);
    Ok(Json(
        super::send_notice(
            &cx,
            incident_id(&id)?,
            notice_ref(&notice_id)?,
            &req,
            &state.config.comms,
        )
        .await?,
    ))
}
