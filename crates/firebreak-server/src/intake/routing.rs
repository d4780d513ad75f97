//! The routing admin API: routing rules and maintenance windows (admins
//! and leads) and silences (whoever triages), each a create with its
//! audit entry and the routing cache dropped.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use firebreak_api::Problem;
use firebreak_api::intake::{
    MaintenanceBody, MaintenanceView, RuleBody, RuleView, SilenceBody, SilenceView,
};
use firebreak_core::auth::Action;
use firebreak_intake::rules::{Rule, Silence};
use firebreak_store::intake::{MaintenanceWrite, RuleWrite, SilenceWrite};

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};
use crate::intake::wire::{maintenance_view, positive_id, rule_view, silence_view};
use crate::intake::{Runtime, one_line};

use super::integrations::service_id;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(update_rule, delete_rule))
        .routes(routes!(list_silences, create_silence))
        .routes(routes!(expire_silence))
        .routes(routes!(list_maintenance, create_maintenance))
        .routes(routes!(end_maintenance))
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
    // The status page's wording: optional, and kept apart from the reason.
    let public_title = actions::text("public_title", req.public_title.as_deref(), false)?;
    let public_body = match &public_title {
        Some(_) => actions::text("public_body", req.public_body.as_deref(), false)?,
        None if req
            .public_body
            .as_deref()
            .is_some_and(|b| !b.trim().is_empty()) =>
        {
            return Err(ApiError::invalid(
                "public_title",
                "a public text needs a public title",
            ));
        }
        None => None,
    };
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
                public_title,
                public_body,
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
