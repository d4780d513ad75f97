//! The JSON API of incidents under `/api/v1/incidents`, and the severity
//! table's suggestion (`/api/v1/classify`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{
    AddMember, Classification, DeclareIncident, GateItem, ImpactFacts, Incident, IncidentFilter,
    MAX_INCIDENT_LIST, MarkItem, NewNote, Note, Problem, TimelineEvent, Transition, UpdateIncident,
};
use firebreak_core::auth::Action;
use firebreak_core::severity::suggest;

use super::incident_id;
use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(classify))
        .routes(routes!(list_incidents, declare_incident))
        .routes(routes!(get_incident, update_incident))
        .routes(routes!(transition))
        .routes(routes!(mark_item))
        .routes(routes!(timeline))
        .routes(routes!(list_notes, add_note))
        .routes(routes!(add_member))
}

/// The severity the process's table suggests for the given impact facts
/// (query parameters, each `true` or `false`).
#[utoipa::path(get, path = "/api/v1/classify", params(
    ("customer_data_accessed" = Option<bool>, Query), ("full_outage" = Option<bool>, Query),
    ("active_exploitation" = Option<bool>, Query), ("major_feature_unavailable" = Option<bool>, Query),
    ("isolated_finding" = Option<bool>, Query), ("single_tenant" = Option<bool>, Query),
    ("regional_degradation" = Option<bool>, Query), ("customer_blocked" = Option<bool>, Query),
    ("cross_team_needed" = Option<bool>, Query), ("sla_affected" = Option<bool>, Query)),
    responses((status = 200, body = Classification), (status = 400, body = Problem)))]
async fn classify(
    AuthUser(_user): AuthUser,
    ApiQuery(facts): ApiQuery<ImpactFacts>,
) -> Json<Classification> {
    let s = suggest(&facts);
    Json(Classification {
        severity: s.severity,
        rule: s.rule,
        explanation: s.rule.explanation().to_owned(),
        description: s.severity.description().to_owned(),
        example: s.severity.example().to_owned(),
    })
}

/// Incidents you can see, newest first.
#[utoipa::path(get, path = "/api/v1/incidents", params(IncidentFilter), responses((status = 200, body = [Incident])))]
async fn list_incidents(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(filter): ApiQuery<IncidentFilter>,
) -> Result<Json<Vec<Incident>>, ApiError> {
    let c = state.ctx(&user);
    c.require(Action::Read)?;
    check_filter(&filter)?;
    Ok(Json(
        state.store.list_incidents(&filter, &c.reader()).await?,
    ))
}

/// The longest search text a list takes.
pub const MAX_SEARCH: usize = 200;

/// Refuses a list filter out of bounds, naming the field.
fn check_filter(f: &IncidentFilter) -> Result<(), ApiError> {
    if f.limit
        .is_some_and(|l| !(1..=MAX_INCIDENT_LIST).contains(&l))
    {
        return Err(ApiError::bad(
            "limit",
            format!("`limit` is from 1 to {MAX_INCIDENT_LIST}"),
        ));
    }
    if f.offset.is_some_and(|o| o < 0) {
        return Err(ApiError::bad("offset", "`offset` is 0 or more"));
    }
    if f.q.as_ref().is_some_and(|q| q.chars().count() > MAX_SEARCH) {
        return Err(ApiError::bad(
            "q",
            format!("`q` is at most {MAX_SEARCH} characters"),
        ));
    }
    Ok(())
}

/// Declares an incident.
#[utoipa::path(post, path = "/api/v1/incidents", request_body = DeclareIncident,
    responses((status = 201, body = Incident), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn declare_incident(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<DeclareIncident>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let incident = actions::declare(&state.ctx(&user), &req, None).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

/// One incident, by id or reference (`INC-3`).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", params(("id" = String, Path)),
    responses((status = 200, body = Incident), (status = 404, body = Problem)))]
async fn get_incident(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(state.ctx(&user).incident(incident_id(&id)?).await?))
}

/// Changes severity, kind, impact facts, owner, lead, service, title or
/// summary. Severity and kind changes need a `reason`.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", params(("id" = String, Path)), request_body = UpdateIncident,
    responses((status = 200, body = Incident), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_incident(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateIncident>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        actions::update(&state.ctx(&user), incident_id(&id)?, &req).await?,
    ))
}

/// Moves the incident to another phase. Forward moves pass the gates; a
/// refusal names the open gate item. Moving back needs a reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/transition", params(("id" = String, Path)), request_body = Transition,
    responses((status = 200, body = Incident), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn transition(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Transition>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        actions::transition(
            &state.ctx(&user),
            incident_id(&id)?,
            req.to,
            req.reason.as_deref(),
        )
        .await?,
    ))
}

/// Marks a checklist item done (with a note) or waived (with a reason).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/checklist/{item}", params(("id" = String, Path), ("item" = GateItem, Path)),
    request_body = MarkItem, responses((status = 200, body = Incident), (status = 422, body = Problem)))]
async fn mark_item(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((id, item)): Path<(String, String)>,
    ApiJson(req): ApiJson<MarkItem>,
) -> Result<Json<Incident>, ApiError> {
    let item: GateItem = item
        .parse()
        .map_err(|e: firebreak_core::ParseEnumError| ApiError::bad("item", e.to_string()))?;
    Ok(Json(
        actions::mark(&state.ctx(&user), incident_id(&id)?, item, &req).await?,
    ))
}

/// The whole timeline: who, when, what and why.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", params(("id" = String, Path)), responses((status = 200, body = [TimelineEvent])))]
async fn timeline(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineEvent>>, ApiError> {
    let incident = state.ctx(&user).incident(incident_id(&id)?).await?;
    let mut events = state.store.timeline(incident.id).await?;
    crate::comms::redact_timeline(user.role, &mut events);
    Ok(Json(events))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/notes", params(("id" = String, Path)), responses((status = 200, body = [Note])))]
async fn list_notes(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Note>>, ApiError> {
    let incident = state.ctx(&user).incident(incident_id(&id)?).await?;
    Ok(Json(state.store.notes(incident.id).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/notes", params(("id" = String, Path)), request_body = NewNote, responses((status = 201, body = Note)))]
async fn add_note(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let incident = actions::note(&state.ctx(&user), incident_id(&id)?, &req.body).await?;
    let note = state
        .store
        .notes(incident.id)
        .await?
        .into_iter()
        .rev()
        .find(|n| n.author.as_ref().is_some_and(|a| a.id == user.id))
        .ok_or_else(|| ApiError::Internal("note not found after insert".into()))?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// Adds a person to the incident (on a security incident, this lets them see it).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/members", params(("id" = String, Path)), request_body = AddMember, responses((status = 200, body = Incident)))]
async fn add_member(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddMember>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        actions::add_member(&state.ctx(&user), incident_id(&id)?, &req.user).await?,
    ))
}
