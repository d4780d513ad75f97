//! PagerDuty's Events API v2, answered as PagerDuty answers: `POST
//! /v2/enqueue` (alert events) and `POST /v2/change/enqueue` (change events)
//! at the server's root, so a tool or client library is pointed at Firebreak
//! by changing only its base URL. The event's `routing_key` is the
//! integration key.
//!
//! Answers: 202 `{"status":"success","message":"Event processed",
//! "dedup_key":…}`; 400 `{"status":"invalid event","message":"Event object
//! is invalid","errors":[…]}` for an invalid event or a routing key that
//! matches no enabled PagerDuty integration; 413 with the same shape over
//! 512 KB; 503 `{"status":"unavailable",…}` when the database fails
//! (PagerDuty's clients retry 5xx). Nothing is written unless 202.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use firebreak_intake::pagerduty::{
    AcceptedResponse, InvalidEventResponse, parse_change_event, parse_event, to_alert,
};
use firebreak_store::intake::ChangeEventWrite;

use crate::AppState;
use crate::error::ApiError;
use crate::intake::{BodyError, Integration, PAGERDUTY_LIMIT, Runtime, read_body};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enqueue))
        .routes(routes!(change_enqueue))
}

/// Receives a PagerDuty Events API v2 alert event, answered as PagerDuty
/// answers.
///
/// Outside `/api/v1`, at the server's root, so a PagerDuty client is pointed
/// at Firebreak by changing only its base URL. Authentication is the event's
/// `routing_key`: the integration key of an enabled `pagerduty` integration
/// (no `Authorization` header). Refusals are PagerDuty's shapes, not problem
/// bodies, and write nothing.
#[utoipa::path(post, path = "/v2/enqueue", tag = "intake",
    security(()),
    request_body(content = Object, content_type = "application/json",
        description = "A PagerDuty Events API v2 alert event as PagerDuty documents it: `routing_key` (the integration key), `event_action` (`trigger`, `acknowledge` or `resolve`), `dedup_key`, `payload` (`summary`, `source`, `severity`, `timestamp`, `component`, `group`, `class`, `custom_details`), `links`, `images`, `client`, `client_url` (at most 512 KiB)."),
    responses(
        (status = 202, description = "Stored.", body = AcceptedResponse),
        (status = 400, description = "An invalid event, or a `routing_key` that matches no enabled PagerDuty integration.", body = InvalidEventResponse),
        (status = 413, description = "Body over 512 KiB.", body = InvalidEventResponse),
        (status = 503, description = "Not stored; retry.", body = Object,
            example = json!({"status": "unavailable", "message": "The event was not stored; retry later"})),
    ))]
pub(crate) async fn enqueue(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (event, integration) =
        match read_event(&state, &rt, &headers, body, parse_event, |e| &e.routing_key).await {
            Ok(read) => read,
            Err(r) => return r,
        };
    let generated = hex::encode(rand::random::<[u8; 16]>());
    let alert = to_alert(&event, &generated);
    let dedup_key = alert.dedup_key.clone();
    match rt.ingest(&state, &integration, vec![alert]).await {
        Ok(_) => (StatusCode::ACCEPTED, Json(AcceptedResponse::new(dedup_key))).into_response(),
        Err(e) => unavailable(e),
    }
}

/// Receives a PagerDuty Events API v2 change event, answered as PagerDuty
/// answers.
///
/// Outside `/api/v1`, at the server's root. Authentication is the event's
/// `routing_key`: the integration key of an enabled `pagerduty` integration
/// (no `Authorization` header). Refusals are PagerDuty's shapes, not problem
/// bodies, and write nothing.
#[utoipa::path(post, path = "/v2/change/enqueue", tag = "intake",
    security(()),
    request_body(content = Object, content_type = "application/json",
        description = "A PagerDuty Events API v2 change event as PagerDuty documents it: `routing_key` (the integration key), `payload` (`summary`, `source`, `timestamp`, `custom_details`), `links` (at most 512 KiB)."),
    responses(
        (status = 202, description = "Stored.", body = Object,
            example = json!({"status": "success", "message": "Change event processed"})),
        (status = 400, description = "An invalid event, or a `routing_key` that matches no enabled PagerDuty integration.", body = InvalidEventResponse),
        (status = 413, description = "Body over 512 KiB.", body = InvalidEventResponse),
        (status = 503, description = "Not stored; retry.", body = Object,
            example = json!({"status": "unavailable", "message": "The event was not stored; retry later"})),
    ))]
pub(crate) async fn change_enqueue(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (event, integration) =
        match read_event(&state, &rt, &headers, body, parse_change_event, |e| {
            &e.routing_key
        })
        .await
        {
            Ok(read) => read,
            Err(r) => return r,
        };
    let details = json!({
        "custom_details": event.payload.custom_details,
        "links": event.links,
    });
    let write = ChangeEventWrite {
        integration_id: integration.record.id,
        service_id: integration.record.service_id,
        summary: event.payload.summary.clone(),
        source: event.payload.source.clone(),
        happened_at: event.payload.timestamp,
        details: details.to_string(),
    };
    match state
        .store
        .record_change_event(&write, &integration.record.actor(), state.now())
        .await
    {
        Ok(_) => (
            StatusCode::ACCEPTED,
            Json(json!({"status": "success", "message": "Change event processed"})),
        )
            .into_response(),
        Err(e) => unavailable(e.into()),
    }
}

/// Reads and parses an event and finds its integration by routing key; a
/// refusal is PagerDuty's answer.
async fn read_event<E>(
    state: &AppState,
    rt: &Runtime,
    headers: &HeaderMap,
    body: Body,
    parse: fn(&[u8]) -> Result<E, Vec<String>>,
    key: fn(&E) -> &str,
) -> Result<(E, Arc<Integration>), Response> {
    let bytes = read_body(headers, body, PAGERDUTY_LIMIT)
        .await
        .map_err(body_refused)?;
    let event = parse(&bytes).map_err(|errors| invalid(StatusCode::BAD_REQUEST, errors))?;
    let integration = routing_key(state, rt, key(&event)).await?;
    Ok((event, integration))
}

/// The enabled PagerDuty integration of a routing key, or PagerDuty's 400.
async fn routing_key(
    state: &AppState,
    rt: &Runtime,
    key: &str,
) -> Result<Arc<Integration>, Response> {
    match rt.authenticate(state, "pagerduty", Some(key)).await {
        Ok(i) => Ok(i),
        Err(ApiError::Unauthorized) => Err(invalid(
            StatusCode::BAD_REQUEST,
            vec!["'routing_key' does not match an enabled integration".to_owned()],
        )),
        Err(e) => Err(unavailable(e)),
    }
}

fn invalid(status: StatusCode, errors: Vec<String>) -> Response {
    (status, Json(InvalidEventResponse::new(errors))).into_response()
}

fn body_refused(e: BodyError) -> Response {
    match e {
        BodyError::TooLarge(limit) => invalid(
            StatusCode::PAYLOAD_TOO_LARGE,
            vec![format!(
                "Event object is larger than the {} KB limit",
                limit / 1024
            )],
        ),
        BodyError::Broken => invalid(
            StatusCode::BAD_REQUEST,
            vec!["The request body could not be read".to_owned()],
        ),
    }
}

fn unavailable(e: ApiError) -> Response {
    let status = e.status().0;
    tracing::warn!(error = ?e, "PagerDuty event not stored");
    let status = if status.is_server_error() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    };
    (
        status,
        Json(json!({"status": "unavailable", "message": "The event was not stored; retry later"})),
    )
        .into_response()
}
