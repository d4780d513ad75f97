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
use utoipa::ToSchema;

use firebreak_intake::generic::MappingError;
use firebreak_intake::{alertmanager, generic, grafana};

use firebreak_api::Problem;

use crate::AppState;
use crate::error::ApiError;
use crate::intake::ingest::AlertResult;
use crate::intake::{Integration, Runtime, WEBHOOK_LIMIT, bearer, intake_problem, read_body};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(alertmanager))
        .routes(routes!(alertmanager_keyed))
        .routes(routes!(grafana))
        .routes(routes!(grafana_keyed))
        .routes(routes!(generic))
        .routes(routes!(generic_keyed))
}

/// How far a signed Grafana timestamp may be from the server's clock.
const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// The answer to a delivery: what happened to each alert, in order.
/// `outcome` is `opened`, `repeated`, `acknowledged`, `resolved` or
/// `ignored`; `disposition` `triage`, `declare`, `silenced` or
/// `maintenance`; `incident` the incident a routing rule declared.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Delivered {
    /// `ok`.
    pub status: &'static str,
    pub alerts: Vec<AlertResult>,
}

/// Defines the two endpoints of one webhook kind with their OpenAPI
/// operations: keyed by bearer (`Authorization: Bearer <integration key>`)
/// and keyed by path (`…/{key}`). They differ only in where the key is and
/// in the 401 they describe.
macro_rules! webhook_endpoints {
    (
        kind: $kind:expr,
        $(#[doc = $bearer_doc:tt])*
        bearer: fn $bearer:ident at $path:tt,
        $(#[doc = $keyed_doc:tt])*
        keyed: fn $keyed:ident at $keyed_path:tt,
        request: $request:tt,
        responses: [$($response:tt)*],
        unauthorized: $bearer_401:tt / $keyed_401:tt $(,)?
    ) => {
        $(#[doc = $bearer_doc])*
        #[utoipa::path(post, path = $path, tag = "intake",
            security(("integration_key" = [])),
            request_body(content = Object, content_type = "application/json",
                description = $request),
            responses(
                $($response)*
                (status = 401, description = $bearer_401, body = Problem, content_type = "application/problem+json"),
            ))]
        pub(crate) async fn $bearer(
            State(state): State<AppState>,
            Extension(rt): Extension<Arc<Runtime>>,
            headers: HeaderMap,
            body: Body,
        ) -> Result<Json<Delivered>, ApiError> {
            let key = bearer(&headers).map(str::to_owned);
            receive(&state, &rt, $kind, key.as_deref(), &headers, body).await
        }

        $(#[doc = $keyed_doc])*
        #[utoipa::path(post, path = $keyed_path, tag = "intake",
            security(()),
            params(("key" = String, Path, description = "The integration key.")),
            request_body(content = Object, content_type = "application/json",
                description = $request),
            responses(
                $($response)*
                (status = 401, description = $keyed_401, body = Problem, content_type = "application/problem+json"),
            ))]
        pub(crate) async fn $keyed(
            State(state): State<AppState>,
            Extension(rt): Extension<Arc<Runtime>>,
            Path(key): Path<String>,
            headers: HeaderMap,
            body: Body,
        ) -> Result<Json<Delivered>, ApiError> {
            receive(&state, &rt, $kind, Some(&key), &headers, body).await
        }
    };
}

webhook_endpoints! {
    kind: Kind::Alertmanager,
    /// Receives an Alertmanager webhook (payload version 4), keyed by bearer.
    ///
    /// Authentication is the integration key of an `alertmanager` integration as
    /// `Authorization: Bearer <integration key>` (not a user token). Each alert
    /// becomes an alert and, when new, a report in the triage queue; 200 comes
    /// only after the commit.
    bearer: fn alertmanager at "/api/v1/intake/alertmanager",
    /// Receives an Alertmanager webhook (payload version 4), keyed by path.
    ///
    /// Authentication is the integration key of an `alertmanager` integration
    /// in the path; no `Authorization` header is needed.
    keyed: fn alertmanager_keyed at "/api/v1/intake/alertmanager/{key}",
    request: "Alertmanager's webhook body, version 4, as Alertmanager sends it (at most 4 MiB).",
    responses: [
        (status = 200, description = "Stored: what became of each alert, in order.", body = Delivered),
        (status = 400, description = "Not JSON, or not an Alertmanager v4 payload; `field` names the path.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 4 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Nothing is known to be stored; retry.", body = Problem, content_type = "application/problem+json"),
    ],
    unauthorized: "Missing, wrong or disabled key, or the key of another kind of integration." / "Wrong or disabled key, or the key of another kind of integration.",
}

webhook_endpoints! {
    kind: Kind::Grafana,
    /// Receives a Grafana webhook contact point's body (version 1), keyed by
    /// bearer.
    ///
    /// Authentication is the integration key of a `grafana` integration as
    /// `Authorization: Bearer <integration key>` (not a user token). When the
    /// integration has an HMAC secret, the `X-Grafana-Alert-Signature` header
    /// (and the configured timestamp header, within 5 minutes) must verify.
    bearer: fn grafana at "/api/v1/intake/grafana",
    /// Receives a Grafana webhook contact point's body (version 1), keyed by
    /// path.
    ///
    /// Authentication is the integration key of a `grafana` integration in the
    /// path. When the integration has an HMAC secret, the
    /// `X-Grafana-Alert-Signature` header (and the configured timestamp
    /// header, within 5 minutes) must verify.
    keyed: fn grafana_keyed at "/api/v1/intake/grafana/{key}",
    request: "Grafana's webhook contact point body, version 1, as Grafana sends it (at most 4 MiB).",
    responses: [
        (status = 200, description = "Stored: what became of each alert, in order.", body = Delivered),
        (status = 400, description = "Not JSON, or not a Grafana webhook payload; `field` names the path.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 4 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Nothing is known to be stored; retry.", body = Problem, content_type = "application/problem+json"),
    ],
    unauthorized: "Missing, wrong or disabled key, the key of another kind of integration, or a signature (or signed timestamp) that does not verify." / "Wrong or disabled key, the key of another kind of integration, or a signature (or signed timestamp) that does not verify.",
}

webhook_endpoints! {
    kind: Kind::Generic,
    /// Receives any JSON document, read through the integration's mapping,
    /// keyed by bearer.
    ///
    /// Authentication is the integration key of a `generic` integration as
    /// `Authorization: Bearer <integration key>` (not a user token). The
    /// document makes one alert.
    bearer: fn generic at "/api/v1/intake/generic",
    /// Receives any JSON document, read through the integration's mapping,
    /// keyed by path.
    ///
    /// Authentication is the integration key of a `generic` integration in the
    /// path. The document makes one alert.
    keyed: fn generic_keyed at "/api/v1/intake/generic/{key}",
    request: "Any JSON document, read through the integration's `Mapping` (at most 4 MiB).",
    responses: [
        (status = 200, description = "Stored: what became of the alert.", body = Delivered),
        (status = 400, description = "Not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 4 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The mapping cannot read the document; `field` names the mapping field (e.g. `title`).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Nothing is known to be stored; retry.", body = Problem, content_type = "application/problem+json"),
    ],
    unauthorized: "Missing, wrong or disabled key, or the key of another kind of integration." / "Wrong or disabled key, or the key of another kind of integration.",
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
