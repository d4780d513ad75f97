//! Operational endpoints: liveness, readiness and Prometheus metrics.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::Health;

use crate::AppState;
use crate::error::ApiError;

/// The documented operational endpoints; `/metrics` (Prometheus' format,
/// not part of the API document) is routed beside them in [`super::router`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The process-wide recorder. Several servers in one process (tests) share
/// it; that is fine for counters.
fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}

/// The `method` label: one of the standard methods, else `other`, so that
/// anonymous requests with invented methods cannot add label values.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Counts requests and their latency by route and status. Every label has
/// a bounded set of values: the route is the matched route template (never
/// the raw path; `unmatched` otherwise), the method [`method_label`], the
/// status a three-digit code.
pub async fn count_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method());
    let started = Instant::now();
    let res = next.run(req).await;
    if recorder().is_some() {
        let status = res.status().as_u16().to_string();
        metrics::counter!("firebreak_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
            .increment(1);
        metrics::histogram!("firebreak_http_request_duration_seconds", "route" => route, "method" => method)
            .record(started.elapsed().as_secs_f64());
    }
    res
}

/// Routes whose request counts alone tell that a disclosure exists or is
/// being worked (the staff's disclosure and advisory routes, the public
/// form and the researcher's status link).
const CONFIDENTIAL_ROUTES: &[&str] = &[
    "route=\"/api/v1/disclosures",
    "route=\"/api/v1/advisories",
    "route=\"/disclosures",
    "route=\"/security",
];

/// The exposition without the series of [`CONFIDENTIAL_ROUTES`], for the
/// open `/metrics` page.
fn without_confidential_routes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if !CONFIDENTIAL_ROUTES.iter().any(|r| line.contains(r)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        warnings: Vec::new(),
    })
}

/// The database answers. `warnings` names what the config file refers to
/// that does not exist (an incident-lead policy, a leadership user), which
/// would page nobody; the server is ready all the same.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Health), (status = 503)))]
pub async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let warnings = crate::config_warnings(&state)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(axum::Json(Health {
        status: "ready".into(),
        warnings,
    }))
}

/// Prometheus text exposition: request counters, and gauges of open
/// incidents by severity and untriaged reports read from the database.
///
/// Without `metrics_token` configured the page is open and counts no
/// confidential record (security incidents, confidential reports, and what
/// is tied to them). With it, the page needs that bearer token and counts
/// everything.
pub async fn metrics_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let include_confidential = match &state.config.metrics_token {
        None => false,
        Some(token) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if given.is_empty() || !bool::from(given.as_bytes().ct_eq(token.expose().as_bytes())) {
                return Err(ApiError::Unauthorized);
            }
            true
        }
    };
    let stats = state.store.stats(include_confidential).await?;
    let mut out = String::new();
    out.push_str("# HELP firebreak_open_incidents Incidents not closed, by severity.\n");
    out.push_str("# TYPE firebreak_open_incidents gauge\n");
    for (severity, n) in &stats.open_by_severity {
        out.push_str(&format!(
            "firebreak_open_incidents{{severity=\"{severity}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP firebreak_untriaged_reports Reports waiting in the triage queue.\n");
    out.push_str("# TYPE firebreak_untriaged_reports gauge\n");
    out.push_str(&format!(
        "firebreak_untriaged_reports {}\n",
        stats.untriaged_reports
    ));
    if let Some(handle) = recorder() {
        let text = handle.render();
        if include_confidential {
            out.push_str(&text);
        } else {
            out.push_str(&without_confidential_routes(&text));
        }
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::without_confidential_routes;

    #[test]
    fn the_open_page_drops_the_series_of_disclosure_routes() {
        let text = "# TYPE firebreak_http_requests_total counter\n\
            firebreak_http_requests_total{route=\"/api/v1/incidents\",method=\"GET\",status=\"200\"} 2\n\
            firebreak_http_requests_total{route=\"/api/v1/disclosures/{id}/incident\",method=\"POST\",status=\"201\"} 1\n\
            firebreak_http_request_duration_seconds_bucket{route=\"/security/status/{token}\",method=\"GET\",le=\"0.005\"} 3\n\
            firebreak_http_requests_total{route=\"/security\",method=\"POST\",status=\"201\"} 1\n\
            firebreak_http_requests_total{route=\"/disclosures/{id}\",method=\"GET\",status=\"200\"} 1\n";
        let open = without_confidential_routes(text);
        assert!(open.contains("/api/v1/incidents"));
        assert!(open.contains("# TYPE"));
        for gone in ["/api/v1/disclosures", "/security", "/disclosures/"] {
            assert!(!open.contains(gone), "{gone}: {open}");
        }
    }
}
