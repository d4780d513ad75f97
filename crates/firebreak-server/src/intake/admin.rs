//! The intake admin API: integrations (admins), routing rules and
//! maintenance windows (admins and leads), silences (whoever triages),
//! trying a sample payload against the rules, and reading alerts and change
//! events.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use firebreak_api::Problem;
use firebreak_api::intake::{
    AlertQuery, AlertView, ChangeQuery, ChangeView, CreateIntegration, IntegrationCreated,
    IntegrationKind, IntegrationView, MaintenanceBody, MaintenanceView, RuleBody, RuleView,
    SilenceBody, SilenceView, TestPayload,
};
use firebreak_core::auth::Action;
use firebreak_intake::generic::{self, Explanation};
use firebreak_intake::rules::{Rule, Silence};
use firebreak_intake::{NormalizedAlert, alertmanager, grafana, pagerduty};
use firebreak_store::intake::{
    AlertFilter, AlertStatusFilter, MaintenanceWrite, NewIntegration, RuleWrite, SilenceWrite,
};

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::intake::ingest::{Routed, Routing, route};
use crate::intake::webhooks::mapping_problem;
use crate::intake::wire::{
    alert_view, change_view, integration_url, integration_view, maintenance_view, positive_id,
    rule_view, silence_view,
};
use crate::intake::{Runtime, intake_problem, load_integration, new_integration_key, one_line};

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

async fn service_id(cx: &Ctx<'_>, field: &str, name: &str) -> Result<i64, ApiError> {
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
        Some(name) => Some(service_id(&cx, "service", name).await?),
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
    Ok((
        StatusCode::CREATED,
        Json(IntegrationCreated {
            integration: integration_view(&record, &state.config.public_url),
            key,
            url,
        }),
    ))
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
    cx.require(Action::ManageUsers)?;
    let id = positive_id("integration", &id)?;
    let r = state
        .store
        .disable_integration(id, &cx.actor(), cx.now)
        .await?;
    rt.forget_keys();
    Ok(Json(integration_view(&r, &state.config.public_url)))
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
    cx.require(Action::ManageUsers)?;
    let id = positive_id("integration", &id)?;
    let key = new_integration_key();
    let r = state
        .store
        .rotate_integration_key(id, &key, &cx.actor(), cx.now)
        .await?;
    rt.forget_keys();
    let view = integration_view(&r, &state.config.public_url);
    let kind: IntegrationKind = serde_json::from_value(serde_json::Value::String(r.kind.clone()))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(IntegrationCreated {
        url: integration_url(kind, &state.config.public_url, &key),
        integration: view,
        key,
    }))
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

// ------------------------------------------------------------------ rules

/// The routing rules, in `position` order.
#[utoipa::path(get, path = "/api/v1/intake/rules", tag = "intake",
    responses(
        (status = 200, description = "Success.", body = [RuleView]),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_rules(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<RuleView>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    let rules = state.store.intake_rules().await?;
    Ok(Json(rules.iter().filter_map(rule_view).collect()))
}

async fn rule_write(cx: &Ctx<'_>, req: &RuleBody) -> Result<RuleWrite, ApiError> {
    let name = one_line(&req.name, 200);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name",
            "`name` must be 1 to 100 characters",
        ));
    }
    if let Some(service) = &req.set_service {
        service_id(cx, "set_service", service).await?;
    }
    let rule = Rule {
        name: name.clone(),
        matchers: req.matchers.clone(),
        set_service: req.set_service.clone(),
        set_kind: req.set_kind,
        set_severity: req.set_severity,
        declare: req.declare,
    };
    let position = match req.position {
        Some(p) => p,
        None => {
            cx.store
                .intake_rules()
                .await?
                .iter()
                .map(|r| r.position)
                .max()
                .unwrap_or(0)
                + 10
        }
    };
    Ok(RuleWrite {
        position,
        name,
        definition: serde_json::to_string(&rule).map_err(|e| ApiError::Internal(e.to_string()))?,
        enabled: req.enabled,
    })
}

/// Creates a routing rule (admins and leads).
#[utoipa::path(post, path = "/api/v1/intake/rules", tag = "intake", request_body = RuleBody,
    responses(
        (status = 201, description = "Created.", body = RuleView),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field or a bad matcher, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin or lead.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A rule of that name exists.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the server's `body_limit` (64 KiB by default).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or an unknown `set_service`.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create_rule(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<RuleView>), ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::ManageServices)?;
    let write = rule_write(&cx, &req).await?;
    let r = state
        .store
        .create_intake_rule(&write, &cx.actor(), cx.now)
        .await?;
    rt.forget_routing();
    let view = rule_view(&r).ok_or_else(|| ApiError::Internal("stored rule".into()))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Replaces a routing rule (admins and leads).
#[utoipa::path(put, path = "/api/v1/intake/rules/{id}", tag = "intake",
    params(("id" = String, Path, description = "The rule id.")),
    request_body = RuleBody,
    responses(
        (status = 200, description = "Success.", body = RuleView),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field or a bad matcher, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin or lead.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another rule has that name.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the server's `body_limit` (64 KiB by default).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or an unknown `set_service`.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn update_rule(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RuleBody>,
) -> Result<Json<RuleView>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::ManageServices)?;
    let id = positive_id("routing rule", &id)?;
    let write = rule_write(&cx, &req).await?;
    let r = state
        .store
        .update_intake_rule(id, &write, &cx.actor(), cx.now)
        .await?;
    rt.forget_routing();
    let view = rule_view(&r).ok_or_else(|| ApiError::Internal("stored rule".into()))?;
    Ok(Json(view))
}

/// Deletes a routing rule; the audit entry keeps its definition (admins
/// and leads).
#[utoipa::path(delete, path = "/api/v1/intake/rules/{id}", tag = "intake",
    params(("id" = String, Path, description = "The rule id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin or lead.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn delete_rule(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::ManageServices)?;
    let id = positive_id("routing rule", &id)?;
    state
        .store
        .delete_intake_rule(id, &cx.actor(), cx.now)
        .await?;
    rt.forget_routing();
    Ok(StatusCode::NO_CONTENT)
}

// --------------------------------------------------------------- silences

/// The silences, newest first.
#[utoipa::path(get, path = "/api/v1/intake/silences", tag = "intake",
    responses(
        (status = 200, description = "Success.", body = [SilenceView]),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_silences(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<SilenceView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let list = state.store.silences(None).await?;
    Ok(Json(list.iter().map(|s| silence_view(s, cx.now)).collect()))
}

/// Creates a silence: matching alerts are logged, never declared.
#[utoipa::path(post, path = "/api/v1/intake/silences", tag = "intake", request_body = SilenceBody,
    responses(
        (status = 201, description = "Created.", body = SilenceView),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field or a bad matcher, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not triage.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the server's `body_limit` (64 KiB by default).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, `ends_at` not after `starts_at` or further than the longest silence allowed (`intake.max_silence_secs`, 7 days by default), or no matcher that requires a value.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create_silence(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<SilenceBody>,
) -> Result<(StatusCode, Json<SilenceView>), ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Triage)?;
    let reason = actions::text("reason", Some(&req.reason), true)?.unwrap_or_default();
    let silence = Silence {
        matchers: req.matchers.clone(),
        starts_at: req.starts_at.unwrap_or(cx.now),
        ends_at: req.ends_at,
        reason: reason.clone(),
        created_by: user.name.clone(),
    };
    silence.validate().map_err(|e| {
        let field = if silence.ends_at <= silence.starts_at {
            "ends_at"
        } else {
            "matchers"
        };
        ApiError::invalid(field, e.to_string())
    })?;
    let max = state.config.intake.max_silence_secs;
    if (silence.ends_at - silence.starts_at).num_seconds() > max {
        return Err(ApiError::invalid(
            "ends_at",
            format!(
                "a silence lasts at most {} (the server's `intake.max_silence_secs`); end it sooner, or use a maintenance window",
                human_secs(max)
            ),
        ));
    }
    let write = SilenceWrite {
        matchers: serde_json::to_string(&silence.matchers)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
        starts_at: silence.starts_at,
        ends_at: silence.ends_at,
        reason,
    };
    let s = state
        .store
        .create_silence(&write, &cx.actor(), cx.now)
        .await?;
    rt.forget_routing();
    Ok((StatusCode::CREATED, Json(silence_view(&s, cx.now))))
}

/// `3600` as "1 h", `604800` as "7 d".
fn human_secs(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3_600 == 0 => format!("{} h", s / 3_600),
        s => format!("{s} s"),
    }
}

/// Ends a silence now.
#[utoipa::path(post, path = "/api/v1/intake/silences/{id}/expire", tag = "intake",
    params(("id" = String, Path, description = "The silence id.")),
    responses(
        (status = 200, description = "Success.", body = SilenceView),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not triage.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already over.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn expire_silence(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<SilenceView>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Triage)?;
    let id = positive_id("silence", &id)?;
    let s = state.store.expire_silence(id, &cx.actor(), cx.now).await?;
    rt.forget_routing();
    Ok(Json(silence_view(&s, cx.now)))
}

// ------------------------------------------------------------ maintenance

/// The maintenance windows.
#[utoipa::path(get, path = "/api/v1/intake/maintenance", tag = "intake",
    responses(
        (status = 200, description = "Success.", body = [MaintenanceView]),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_maintenance(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<MaintenanceView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let list = state.store.maintenance_windows(None).await?;
    Ok(Json(
        list.iter().map(|m| maintenance_view(m, cx.now)).collect(),
    ))
}

/// Creates a maintenance window: the service's alerts are logged, never
/// declared (admins and leads).
#[utoipa::path(post, path = "/api/v1/intake/maintenance", tag = "intake", request_body = MaintenanceBody,
    responses(
        (status = 201, description = "Created.", body = MaintenanceView),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin or lead.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the server's `body_limit` (64 KiB by default).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown service, no reason, or `ends_at` not after `starts_at`.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create_maintenance(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<MaintenanceBody>,
) -> Result<(StatusCode, Json<MaintenanceView>), ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::ManageServices)?;
    let service_id = service_id(&cx, "service", &req.service).await?;
    let reason = actions::text("reason", Some(&req.reason), true)?.unwrap_or_default();
    let starts_at = req.starts_at.unwrap_or(cx.now);
    if req.ends_at <= starts_at {
        return Err(ApiError::invalid(
            "ends_at",
            "`ends_at` must be after `starts_at`",
        ));
    }
    let m = state
        .store
        .create_maintenance(
            &MaintenanceWrite {
                service_id,
                starts_at,
                ends_at: req.ends_at,
                reason,
            },
            &cx.actor(),
            cx.now,
        )
        .await?;
    rt.forget_routing();
    Ok((StatusCode::CREATED, Json(maintenance_view(&m, cx.now))))
}

/// Ends a maintenance window now (admins and leads).
#[utoipa::path(post, path = "/api/v1/intake/maintenance/{id}/end", tag = "intake",
    params(("id" = String, Path, description = "The maintenance window id.")),
    responses(
        (status = 200, description = "Success.", body = MaintenanceView),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin or lead.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already over.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn end_maintenance(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<MaintenanceView>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::ManageServices)?;
    let id = positive_id("maintenance window", &id)?;
    let m = state.store.end_maintenance(id, &cx.actor(), cx.now).await?;
    rt.forget_routing();
    Ok(Json(maintenance_view(&m, cx.now)))
}

// ----------------------------------------------------------------- reading

/// Alerts, newest first, of the reports the reader can see.
#[utoipa::path(get, path = "/api/v1/intake/alerts", tag = "intake", params(AlertQuery),
    responses(
        (status = 200, description = "Success.", body = [AlertView]),
        (status = 400, description = "An unknown `status`, or an unknown or malformed query parameter, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            AlertStatusFilter::parse(s).ok_or_else(|| {
                ApiError::bad(
                    "status",
                    "`status` is one of open, firing, acknowledged, resolved",
                )
            })
        })
        .transpose()?;
    let alerts = state
        .store
        .intake_alerts(
            &AlertFilter {
                integration_id: q.integration,
                status,
                limit: q.limit.unwrap_or(100),
            },
            &cx.reader(),
        )
        .await?;
    Ok(Json(alerts.into_iter().map(alert_view).collect()))
}

/// PagerDuty change events, newest first.
#[utoipa::path(get, path = "/api/v1/intake/changes", tag = "intake", params(ChangeQuery),
    responses(
        (status = 200, description = "Success.", body = [ChangeView]),
        (status = 400, description = "An unknown or malformed query parameter, named in `field`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service of that name.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_changes(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<ChangeQuery>,
) -> Result<Json<Vec<ChangeView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let service = match &q.service {
        Some(name) => Some(
            state
                .store
                .service_by_name(name)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("service `{name}`")))?
                .id,
        ),
        None => None,
    };
    let list = state
        .store
        .change_events(service, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(list.into_iter().map(change_view).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integration_names() {
        for ok in ["am", "prod-alertmanager", "a.b_c-1", "0x"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-x", "Upper", "a b", "a/b", &"x".repeat(49)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
