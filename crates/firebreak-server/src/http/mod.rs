//! The router: every feature's JSON API routes (listed once, with their
//! OpenAPI operations, in [`api_routes`]), every feature's web pages
//! ([`crate::web::routes`]), the operational endpoints ([`ops`]) and the
//! layers every response passes through.

pub mod openapi;
pub mod ops;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::ApiError;

/// Every route of the JSON API (and of the tools' intake endpoints), by
/// feature, each with its OpenAPI operation: the one list of them.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(crate::accounts::api::routes())
        .merge(crate::services::routes())
        .merge(crate::customers::api::routes())
        .merge(crate::incidents::api::routes())
        .merge(crate::comms::api::routes())
        .merge(crate::reports::api::routes())
        .merge(crate::audit::routes())
        .merge(crate::oncall::api::routes())
        .merge(crate::intake::routes())
        .merge(crate::settings::api::routes())
        .merge(crate::status::api_routes())
        .merge(crate::disclosures::api::routes())
        .merge(ops::routes())
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api_routes().into_openapi()
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit;
    let (api, doc) = api_routes().split_for_parts();
    let doc = Arc::new(doc);
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { Json(doc) }
            }),
        )
        .route("/metrics", get(ops::metrics_page))
        .merge(crate::web::routes())
        // Public, no session: served from memory.
        .merge(crate::status::routes())
        // Public, no session: the researcher's side of disclosures.
        .merge(crate::disclosures::public::routes(&state.config.disclosure))
        .fallback(not_found)
        // One intake runtime (writer, key and routing caches) for the API
        // and the web pages of this router.
        .layer(axum::Extension(Arc::new(crate::intake::Runtime::default())))
        .layer(DefaultBodyLimit::max(limit))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(ops::count_requests))
        .with_state(state)
}

/// No route: a problem body for the API and clients that do not ask for
/// HTML, a page in the site's frame for a browser.
async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let path = uri.path();
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if browser && !path.starts_with("/api/") {
        crate::web::not_found_page(path)
    } else {
        ApiError::NotFound(format!("route {path}")).into_response()
    }
}

#[cfg(test)]
mod tests;
