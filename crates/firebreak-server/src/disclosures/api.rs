//! The security team's JSON API under `/api/v1/disclosures`. Every route
//! needs `read_disclosures` (changes also `manage_disclosures`); to anyone
//! else the collection is forbidden and every item is missing (404, the
//! same body as a wrong id).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::Problem;
use firebreak_api::disclosure::{
    DeclareFromDisclosure, Disclosure, DisclosureDetail, DisclosureFilter, DisclosureReply,
    MoveDisclosure, SetCvss, SetEmbargo, TriageDisclosure,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};

use super::staff;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_disclosures))
        .routes(routes!(get_disclosure))
        .routes(routes!(get_file))
        .routes(routes!(post_message))
        .routes(routes!(acknowledge))
        .routes(routes!(triage))
        .routes(routes!(set_cvss))
        .routes(routes!(set_embargo))
        .routes(routes!(move_state))
        .routes(routes!(declare_incident))
}

/// Every disclosure, newest first; `?state=` filters (403 without
/// `read_disclosures`).
#[utoipa::path(get, path = "/api/v1/disclosures", params(("state" = Option<String>, Query)),
    responses((status = 200, body = [Disclosure]), (status = 403, body = Problem)))]
async fn list_disclosures(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(filter): ApiQuery<DisclosureFilter>,
) -> Result<Json<Vec<Disclosure>>, ApiError> {
    let cx = state.ctx(&user);
    let list = staff::list(&cx, filter.state).await?;
    let policy = &state.config.disclosure;
    Ok(Json(list.iter().map(|d| d.view(policy, cx.now)).collect()))
}

/// A disclosure (by id or tracking id) with its messages, internal notes
/// included, files, timeline and due dates.
#[utoipa::path(get, path = "/api/v1/disclosures/{id}", params(("id" = String, Path)),
    responses((status = 200, body = DisclosureDetail), (status = 404, body = Problem)))]
async fn get_disclosure(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<DisclosureDetail>, ApiError> {
    let cx = state.ctx(&user);
    let d = staff::find(&cx, &id).await?;
    Ok(Json(
        staff::detail(&cx, &d, &state.config.disclosure).await?,
    ))
}

/// A file of the disclosure (its bytes; `x-content-sha256` has its hash).
#[utoipa::path(get, path = "/api/v1/disclosures/{id}/files/{file}",
    params(("id" = String, Path), ("file" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn get_file(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let cx = state.ctx(&user);
    let d = staff::find(&cx, &id).await?;
    let missing = || ApiError::NotFound(format!("file `{file}`"));
    let file_id = file
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(missing)?;
    let (meta, content) = state
        .store
        .disclosure_attachment(d.id, file_id)
        .await?
        .ok_or_else(missing)?;
    let Some(content) = content else {
        return Err(ApiError::Conflict(format!(
            "file {file_id} was over the size limit: only its SHA-256 ({}) was kept",
            meta.sha256
        )));
    };
    let bytes = STANDARD
        .decode(content.as_bytes())
        .map_err(|e| ApiError::Internal(format!("stored disclosure file {file_id}: {e}")))?;
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"{}-file-{file_id}.bin\"",
            d.tracking_id
        ))
        .unwrap_or(HeaderValue::from_static("attachment")),
    );
    if let Ok(v) = HeaderValue::from_str(&meta.sha256) {
        h.insert("x-content-sha256", v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

/// A reply to the researcher (emailed when they gave an address), or an
/// internal note (`internal: true`) they never see.
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/messages", params(("id" = String, Path)),
    request_body = DisclosureReply,
    responses((status = 201, body = DisclosureDetail), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn post_message(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DisclosureReply>,
) -> Result<(StatusCode, Json<DisclosureDetail>), ApiError> {
    let cx = state.ctx(&user);
    let d = staff::reply(&cx, &id, &req).await?;
    Ok((
        StatusCode::CREATED,
        Json(staff::detail(&cx, &d, &state.config.disclosure).await?),
    ))
}

fn view(state: &AppState, d: &firebreak_store::disclosures::DisclosureRecord) -> Json<Disclosure> {
    Json(d.view(&state.config.disclosure, state.now()))
}

/// Acknowledges the disclosure (the researcher is told).
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/acknowledge", params(("id" = String, Path)),
    responses((status = 200, body = Disclosure), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn acknowledge(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Disclosure>, ApiError> {
    let cx = state.ctx(&user);
    let d = staff::acknowledge(&cx, &id).await?;
    Ok(view(&state, &d))
}

/// Records the triage verdict: valid, duplicate (`duplicate_of` names the
/// other disclosure's tracking id) or not applicable (with a `reason`).
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/triage", params(("id" = String, Path)),
    request_body = TriageDisclosure,
    responses((status = 200, body = Disclosure), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn triage(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TriageDisclosure>,
) -> Result<Json<Disclosure>, ApiError> {
    let cx = state.ctx(&user);
    let d = staff::triage(&cx, &id, &req).await?;
    Ok(view(&state, &d))
}

/// Scores a CVSS v3.x or v4.0 vector and sets the severity its score maps
/// to. An invalid vector is a 422 whose `field` names the metric at fault.
#[utoipa::path(put, path = "/api/v1/disclosures/{id}/cvss", params(("id" = String, Path)),
    request_body = SetCvss,
    responses((status = 200, body = Disclosure), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_cvss(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SetCvss>,
) -> Result<Json<Disclosure>, ApiError> {
    let cx = state.ctx(&user);
    let d = staff::set_cvss(&cx, &id, &req, &state.config.disclosure).await?;
    Ok(view(&state, &d))
}

/// Moves the public-disclosure date, with a reason the researcher is told.
#[utoipa::path(put, path = "/api/v1/disclosures/{id}/embargo", params(("id" = String, Path)),
    request_body = SetEmbargo,
    responses((status = 200, body = Disclosure), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn set_embargo(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SetEmbargo>,
) -> Result<Json<Disclosure>, ApiError> {
    let cx = state.ctx(&user);
    let d = staff::set_embargo(&cx, &id, &req).await?;
    Ok(view(&state, &d))
}

/// Moves the disclosure to `acknowledged`, `fixed` or `disclosed` (with an
/// optional message to the researcher).
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/state", params(("id" = String, Path)),
    request_body = MoveDisclosure,
    responses((status = 200, body = Disclosure), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn move_state(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MoveDisclosure>,
) -> Result<Json<Disclosure>, ApiError> {
    let cx = state.ctx(&user);
    let d = staff::move_to(&cx, &id, &req).await?;
    Ok(view(&state, &d))
}

/// Declares the security incident that fixes a valid disclosure (from its
/// report; severity from the disclosure's unless given); the disclosure is
/// then `fixing`.
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/incident", params(("id" = String, Path)),
    request_body = DeclareFromDisclosure,
    responses((status = 201, body = Disclosure), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn declare_incident(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeclareFromDisclosure>,
) -> Result<(StatusCode, Json<Disclosure>), ApiError> {
    let cx = state.ctx(&user);
    let (d, _) = staff::declare(&cx, &id, &req).await?;
    Ok((StatusCode::CREATED, view(&state, &d)))
}
