//! The webhook endpoints: Alertmanager (payload version 4), Grafana
//! (version 1, optionally HMAC-signed) and the generic JSON webhook read
//! through its integration's mapping.
//!
//! Each takes its integration key in the path
//! (`/api/v1/intake/alertmanager/{key}`) or as `Authorization: Bearer
//! {key}` (`/api/v1/intake/alertmanager`). A wrong, disabled or other-kind
//! key is 401; a body over [`WEBHOOK_LIMIT`] 413; a body the parser refuses
//! 400 (422 for a generic payload the mapping cannot read), each a problem
//! body naming the field, and none of them writes anything. 200 comes only
//! after the commit; 503 means nothing is known to be stored and the sender
//! should retry (Alertmanager does).

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Serialize;

use firebreak_intake::generic::MappingError;
use firebreak_intake::{alertmanager, generic, grafana};

use crate::AppState;
use crate::error::ApiError;
use crate::intake::ingest::AlertResult;
use crate::intake::{Integration, Runtime, WEBHOOK_LIMIT, bearer, intake_problem, read_body};

/// How far a signed Grafana timestamp may be from the server's clock.
const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// The answer to a delivery: what happened to each alert, in order.
#[derive(Debug, Serialize)]
pub(crate) struct Delivered {
    pub status: &'static str,
    pub alerts: Vec<AlertResult>,
}

pub(super) async fn alertmanager(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Delivered>, ApiError> {
    let key = bearer(&headers).map(str::to_owned);
    receive(
        &state,
        &rt,
        Kind::Alertmanager,
        key.as_deref(),
        &headers,
        body,
    )
    .await
}

pub(super) async fn alertmanager_keyed(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Delivered>, ApiError> {
    receive(&state, &rt, Kind::Alertmanager, Some(&key), &headers, body).await
}

pub(super) async fn grafana(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Delivered>, ApiError> {
    let key = bearer(&headers).map(str::to_owned);
    receive(&state, &rt, Kind::Grafana, key.as_deref(), &headers, body).await
}

pub(super) async fn grafana_keyed(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Delivered>, ApiError> {
    receive(&state, &rt, Kind::Grafana, Some(&key), &headers, body).await
}

pub(super) async fn generic(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Delivered>, ApiError> {
    let key = bearer(&headers).map(str::to_owned);
    receive(&state, &rt, Kind::Generic, key.as_deref(), &headers, body).await
}

pub(super) async fn generic_keyed(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Delivered>, ApiError> {
    receive(&state, &rt, Kind::Generic, Some(&key), &headers, body).await
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Alertmanager,
    Grafana,
    Generic,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Alertmanager => "alertmanager",
            Kind::Grafana => "grafana",
            Kind::Generic => "generic",
        }
    }
}

async fn receive(
    state: &AppState,
    rt: &Runtime,
    kind: Kind,
    key: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Json<Delivered>, ApiError> {
    let integration = rt.authenticate(state, kind.as_str(), key).await?;
    let bytes = read_body(headers, body, WEBHOOK_LIMIT).await?;
    let alerts = match kind {
        Kind::Alertmanager => {
            let webhook = alertmanager::parse(&bytes).map_err(|e| intake_problem(&e))?;
            alertmanager::to_alerts(&webhook)
        }
        Kind::Grafana => {
            check_signature(state, &integration, headers, &bytes)?;
            let webhook = grafana::parse(&bytes).map_err(|e| intake_problem(&e))?;
            grafana::to_alerts(&webhook)
        }
        Kind::Generic => {
            let payload: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest {
                    detail: format!("body is not valid JSON: {e}"),
                    field: None,
                })?;
            let mapping = integration.mapping.as_ref().ok_or_else(|| {
                ApiError::Internal(format!(
                    "generic integration {} has no mapping",
                    integration.record.id
                ))
            })?;
            vec![generic::apply(mapping, &payload).map_err(|e| mapping_problem(&e))?]
        }
    };
    let results = rt.ingest(state, &integration, alerts).await?;
    Ok(Json(Delivered {
        status: "ok",
        alerts: results,
    }))
}

/// A payload the mapping could not read, naming the mapping field.
pub(crate) fn mapping_problem(e: &MappingError) -> ApiError {
    let field = match e {
        MappingError::InvalidPointer { field, .. }
        | MappingError::Inconsistent { field, .. }
        | MappingError::Unresolved { field, .. }
        | MappingError::NotScalar { field, .. }
        | MappingError::Empty { field, .. } => field.clone(),
    };
    ApiError::Invalid {
        detail: e.to_string(),
        field: Some(field),
    }
}

/// Grafana's HMAC signature, when the integration has a secret: the
/// signature header (and the timestamp header, when one is configured,
/// within five minutes of now) must verify, else 401.
fn check_signature(
    state: &AppState,
    integration: &Integration,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(secret) = &integration.record.hmac_secret else {
        return Ok(());
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature = header(grafana::DEFAULT_SIGNATURE_HEADER).ok_or(ApiError::Unauthorized)?;
    let timestamp = match &integration.record.hmac_timestamp_header {
        None => None,
        Some(name) => {
            let ts = header(name).ok_or(ApiError::Unauthorized)?;
            if !grafana::is_timestamp_fresh(
                ts,
                state.now(),
                chrono::Duration::seconds(SIGNATURE_TOLERANCE_SECS),
            ) {
                return Err(ApiError::Unauthorized);
            }
            Some(ts)
        }
    };
    if grafana::verify_signature(secret.as_bytes(), timestamp, body, signature) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}
