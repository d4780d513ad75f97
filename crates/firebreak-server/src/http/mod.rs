//! Routes: `api` (JSON under `/api/v1`), `web` (pages), and the operational
//! endpoints (`/healthz`, `/readyz`, `/metrics`).

pub mod accounts;
pub mod api;
pub mod oncall_api;
pub mod ops;
pub mod web;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit;
    Router::new()
        .merge(oncall_api::routes())
        .merge(api::routes())
        .merge(accounts::routes())
        .merge(web::routes())
        .merge(ops::routes())
        .merge(crate::intake::routes())
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
