//! The integrations of intake (admins): creating one (with its service
//! user and key), reading, disabling, auto-declare, rotating its key, and
//! trying a sample payload against the routing rules.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use firebreak_api::Problem;
use firebreak_api::intake::{
    CreateIntegration, IntegrationCreated, IntegrationKind, IntegrationView, TestPayload,
};
use firebreak_core::auth::Action;
use firebreak_intake::generic::{self, Explanation};
use firebreak_intake::{NormalizedAlert, alertmanager, grafana, pagerduty};
use firebreak_store::intake::{IntegrationRecord, NewIntegration};

use crate::AppState;
use crate::actions::Ctx;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};
use crate::intake::ingest::{Routed, Routing, route};
use crate::intake::webhooks::mapping_problem;
use crate::intake::wire::{integration_url, integration_view, positive_id};
use crate::intake::{Runtime, intake_problem, load_integration, new_integration_key};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_integrations, create_integration))
        .routes(routes!(get_integration))
        .routes(routes!(disable_integration))
        .routes(routes!(set_auto_declare))
        .routes(routes!(rotate_key))
        .routes(routes!(test_payload))
}

/// Longest integration name.
const MAX_NAME: usize = 48;

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= MAX_NAME
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

pub(super) async fn service_id(cx: &Ctx<'_>, field: &str, name: &str) -> Result<i64, ApiError> {
    cx.store
        .service_by_name(name)
        .await?
        .map(|s| s.id)
        .ok_or_else(|| ApiError::invalid(field, format!("no service named `{name}`")))
}

// ------------------------------------------------------------ integrations

/// The integrations (admins only).
#[utoipa::path(get, path = "/api/v1/intake/integrations", tag = "intake",
    responses(
        (status = 200, description = "Success.", body = [IntegrationView]),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_integrations(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<IntegrationView>>, ApiError> {
    state.ctx(&user).require(Action::ManageUsers)?;
    let list = state.store.integrations().await?;
    Ok(Json(
        list.iter()
            .map(|r| integration_view(r, &state.config.public_url))
            .collect(),
    ))
}

/// One integration (admins only).
#[utoipa::path(get, path = "/api/v1/intake/integrations/{id}", tag = "intake",
    params(("id" = String, Path, description = "The integration id.")),
    responses(
        (status = 200, description = "Success.", body = IntegrationView),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_integration(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<IntegrationView>, ApiError> {
    state.ctx(&user).require(Action::ManageUsers)?;
    let id = positive_id("integration", &id)?;
    let r = state
        .store
        .integration(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("integration {id}")))?;
    Ok(Json(integration_view(&r, &state.config.public_url)))
}

/// Creates an integration and shows its key, once.
#[utoipa::path(post, path = "/api/v1/intake/integrations", tag = "intake", request_body = CreateIntegration,
    responses(
        (status = 201, description = "Created; the only time the key is shown.", body = IntegrationCreated),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field or kind, a malformed mapping, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name (or its service user's name) is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the server's `body_limit` (64 KiB by default).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, an unknown service, a mapping missing for `generic` or given for another kind or that does not validate, an HMAC secret for a kind other than `grafana`.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create_integration(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateIntegration>,
) -> Result<(StatusCode, Json<IntegrationCreated>), ApiError> {
    let cx = state.ctx(&user);
    let created = create_checked(&state, &cx, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Checks and creates an integration, for the API and the web alike: the
/// caller's permission, then every field, then the row with a new key.
pub(crate) async fn create_checked(
    state: &AppState,
    cx: &Ctx<'_>,
    req: &CreateIntegration,
) -> Result<IntegrationCreated, ApiError> {
    cx.require(Action::ManageUsers)?;
    if !valid_name(&req.name) {
        return Err(ApiError::invalid(
            "name",
            format!(
                "`name` must be 1 to {MAX_NAME} lower-case letters, digits, `-`, `_` or `.`, starting with a letter or digit"
            ),
        ));
    }
    let service_id = match &req.service {
        Some(name) => Some(service_id(cx, "service", name).await?),
        None => None,
    };
    let mapping = match (req.kind, &req.mapping) {
        (IntegrationKind::Generic, None) => {
            return Err(ApiError::invalid(
                "mapping",
                "a generic integration needs a `mapping`",
            ));
        }
        (IntegrationKind::Generic, Some(m)) => {
            m.validate().map_err(|e| match mapping_problem(&e) {
                ApiError::Invalid { detail, field } => ApiError::Invalid {
                    detail,
                    field: field.map(|f| format!("mapping.{f}")),
                },
                other => other,
            })?;
            Some(serde_json::to_string(m).map_err(|e| ApiError::Internal(e.to_string()))?)
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "mapping",
                "only a generic integration takes a `mapping`",
            ));
        }
        (_, None) => None,
    };
    if req.kind != IntegrationKind::Grafana
        && (req.hmac_secret.is_some() || req.hmac_timestamp_header.is_some())
    {
        return Err(ApiError::invalid(
            "hmac_secret",
            "only a grafana integration takes an HMAC secret",
        ));
    }
    if let Some(secret) = &req.hmac_secret
        && (secret.is_empty() || secret.len() > 256)
    {
        return Err(ApiError::invalid(
            "hmac_secret",
            "`hmac_secret` must be 1 to 256 bytes",
        ));
    }
    if let Some(h) = &req.hmac_timestamp_header {
        if req.hmac_secret.is_none() {
            return Err(ApiError::invalid(
                "hmac_timestamp_header",
                "a timestamp header needs an `hmac_secret`",
            ));
        }
        if axum::http::HeaderName::from_bytes(h.as_bytes()).is_err() {
            return Err(ApiError::invalid(
                "hmac_timestamp_header",
                format!("`{h}` is not a header name"),
            ));
        }
    }
    let key = new_integration_key();
    let record = state
        .store
        .create_integration(
            &NewIntegration {
                name: req.name.clone(),
                kind: req.kind.as_str().to_owned(),
                service_id,
                key: key.clone(),
                mapping,
                hmac_secret: req.hmac_secret.clone(),
                hmac_timestamp_header: req.hmac_timestamp_header.clone(),
                auto_declare: req.auto_declare.unwrap_or(true),
            },
            &cx.actor(),
            cx.now,
        )
        .await?;
    let url = integration_url(req.kind, &state.config.public_url, &key);
    Ok(IntegrationCreated {
        integration: integration_view(&record, &state.config.public_url),
        key,
        url,
    })
}

/// Disables an integration: its key stops working; its alerts and reports
/// stay (admins only).
#[utoipa::path(post, path = "/api/v1/intake/integrations/{id}/disable", tag = "intake",
    params(("id" = String, Path, description = "The integration id.")),
    responses(
        (status = 200, description = "Success.", body = IntegrationView),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already disabled.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn disable_integration(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<IntegrationView>, ApiError> {
    let cx = state.ctx(&user);
    let id = positive_id("integration", &id)?;
    let r = disable_checked(&rt, &cx, id).await?;
    Ok(Json(integration_view(&r, &state.config.public_url)))
}

/// Disables an integration, for the API and the web alike; its key stops
/// working on this server at once.
pub(crate) async fn disable_checked(
    rt: &Runtime,
    cx: &Ctx<'_>,
    id: i64,
) -> Result<IntegrationRecord, ApiError> {
    cx.require(Action::ManageUsers)?;
    let r = cx
        .store
        .disable_integration(id, &cx.actor(), cx.now)
        .await?;
    rt.forget_keys();
    Ok(r)
}

/// Turns `auto_declare` on or off: whether critical and high alerts no rule
/// matches declare an incident when their service is known (admins only).
#[utoipa::path(post, path = "/api/v1/intake/integrations/{id}/auto-declare", tag = "intake",
    params(("id" = String, Path, description = "The integration id.")),
    request_body = firebreak_api::intake::SetAutoDeclare,
    responses(
        (status = 200, description = "Success.", body = IntegrationView),
        (status = 400, description = "A malformed body.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn set_auto_declare(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<firebreak_api::intake::SetAutoDeclare>,
) -> Result<Json<IntegrationView>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::ManageUsers)?;
    let id = positive_id("integration", &id)?;
    let r = state
        .store
        .set_integration_auto_declare(id, req.auto_declare, &cx.actor(), cx.now)
        .await?;
    // Loaded integrations are cached by key: read this one again.
    rt.forget_keys();
    Ok(Json(integration_view(&r, &state.config.public_url)))
}

/// A new key; the old one stops working at once.
#[utoipa::path(post, path = "/api/v1/intake/integrations/{id}/rotate-key", tag = "intake",
    params(("id" = String, Path, description = "The integration id.")),
    responses(
        (status = 200, description = "The new key, shown this once.", body = IntegrationCreated),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn rotate_key(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<IntegrationCreated>, ApiError> {
    let cx = state.ctx(&user);
    let id = positive_id("integration", &id)?;
    Ok(Json(rotate_checked(&state, &rt, &cx, id).await?))
}

/// Gives an integration a new key, for the API and the web alike; the old
/// one stops working on this server at once.
pub(crate) async fn rotate_checked(
    state: &AppState,
    rt: &Runtime,
    cx: &Ctx<'_>,
    id: i64,
) -> Result<IntegrationCreated, ApiError> {
    cx.require(Action::ManageUsers)?;
    let key = new_integration_key();
    let r = cx
        .store
        .rotate_integration_key(id, &key, &cx.actor(), cx.now)
        .await?;
    rt.forget_keys();
    let view = integration_view(&r, &state.config.public_url);
    let kind: IntegrationKind = serde_json::from_value(serde_json::Value::String(r.kind.clone()))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(IntegrationCreated {
        url: integration_url(kind, &state.config.public_url, &key),
        integration: view,
        key,
    })
}

// --------------------------------------------------------------- testing

/// How a sample payload is read and routed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Tested {
    /// Each alert the payload makes, as routing leaves it: `alert` (the
    /// normalized alert after the rule's settings), `rule`, `kind`,
    /// `service`, `silenced_by` and `maintenance` (`{"id", "reason"}`), and
    /// `disposition` (`triage`, `declare`, `silenced` or `maintenance`).
    #[schema(value_type = Vec<Object>)]
    alerts: Vec<Routed>,
    /// For `generic`: what each pointer found (`fields`), and the `alert`
    /// or the `error` the mapping gives.
    #[schema(value_type = Option<Object>)]
    explanation: Option<Explanation>,
}

/// Parses and routes a sample payload as if it had been sent, as of `at`,
/// and stores nothing.
#[utoipa::path(post, path = "/api/v1/intake/test", tag = "intake", request_body = TestPayload,
    responses(
        (status = 200, description = "Success.", body = Tested),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field, or a payload the format's parser refuses; `field` names it (`payload.…`).", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not triage, or a non-admin asked to use a generic `integration`'s mapping.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the server's `body_limit` (64 KiB by default).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown `integration`, no mapping for `generic`, or `kind` `email`.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn test_payload(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<TestPayload>,
) -> Result<Json<Tested>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Triage)?;
    let at = req.at.unwrap_or(cx.now);
    let integration = match req.integration {
        None => None,
        Some(id) => {
            let record =
                state.store.integration(id).await?.ok_or_else(|| {
                    ApiError::invalid("integration", format!("no integration {id}"))
                })?;
            Some(load_integration(&state, record).await?)
        }
    };
    let body = serde_json::to_vec(&req.payload).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut explanation = None;
    let alerts: Vec<NormalizedAlert> = match req.kind {
        IntegrationKind::Alertmanager => {
            let w = alertmanager::parse(&body).map_err(|e| prefixed(intake_problem(&e)))?;
            alertmanager::to_alerts(&w)
        }
        IntegrationKind::Grafana => {
            let w = grafana::parse(&body).map_err(|e| prefixed(intake_problem(&e)))?;
            grafana::to_alerts(&w)
        }
        IntegrationKind::Pagerduty => {
            let event = pagerduty::parse_event(&body).map_err(|errors| ApiError::BadRequest {
                detail: errors.join("; "),
                field: Some("payload".to_owned()),
            })?;
            vec![pagerduty::to_alert(&event, "generated-when-sent")]
        }
        IntegrationKind::Generic => {
            let own = integration.as_ref().and_then(|i| i.mapping.clone());
            // An integration's mapping is its admins' configuration: the
            // explanation would show it, so only admins test with it.
            if req.mapping.is_none() && own.is_some() && cx.require(Action::ManageUsers).is_err() {
                return Err(ApiError::Forbidden(format!(
                    "role `{}` may not test with `integration` {}'s mapping; give your own `mapping`",
                    user.role,
                    req.integration.unwrap_or_default()
                )));
            }
            let mapping = req.mapping.clone().or(own).ok_or_else(|| {
                ApiError::invalid("mapping", "give a `mapping` or a generic `integration`")
            })?;
            let e = generic::explain(&mapping, &req.payload);
            let alerts = e.alert.clone().into_iter().collect();
            explanation = Some(e);
            alerts
        }
        IntegrationKind::Email => {
            return Err(ApiError::invalid(
                "kind",
                "e-mail is not routed by rules; send a message to see where it lands",
            ));
        }
    };
    let routing = Routing::from_snapshot(state.store.routing_snapshot(at).await?);
    let service = integration.as_ref().and_then(|i| i.record.service.clone());
    let alerts = alerts
        .into_iter()
        .map(|a| {
            route(
                a,
                service.as_deref(),
                integration.as_ref().is_none_or(|i| i.record.auto_declare),
                &routing,
                at,
            )
        })
        .collect();
    Ok(Json(Tested {
        alerts,
        explanation,
    }))
}

/// A parser's refusal of the sample, pointing into `payload`.
fn prefixed(e: ApiError) -> ApiError {
    match e {
        ApiError::BadRequest { detail, field } => ApiError::BadRequest {
            detail,
            field: Some(match field {
                Some(f) => format!("payload.{f}"),
                None => "payload".to_owned(),
            }),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests;
