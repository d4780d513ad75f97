//! The JSON API under `/api/v1`, with its OpenAPI document generated from
//! the wire types and these handlers' annotations.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use utoipa::OpenApi;

use firebreak_api::{
    AddMember, AuditEntry, AuditVerification, Classification, CreateService, CreateToken,
    CreateUser, DeclareFromReport, DeclareIncident, DismissReport, GateItem, ImpactFacts, Incident,
    IncidentFilter, LinkReport, MarkItem, NewNote, NewReport, Note, Problem, Report, ReportFilter,
    ReportSource, Service, TimelineEvent, TokenCreated, Transition, UpdateIncident, User,
    parse_incident_ref,
};
use firebreak_core::auth::Action;
use firebreak_core::severity::suggest;
use firebreak_store::{NewUser, secrets};

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};

#[derive(OpenApi)]
#[openapi(
    info(title = "Firebreak API", description = "Incident response: reports, triage, incidents, gates, timelines, and intake from monitoring tools, PagerDuty clients and e-mail."),
    paths(
        me, list_users, create_user, create_token, list_services, create_service, classify,
        list_incidents, declare_incident, get_incident, update_incident, transition, mark_item,
        timeline, list_notes, add_note, add_member, list_reports, submit_report, get_report,
        declare_report, link_report, dismiss_report, audit_entries, audit_verify,
        crate::http::ops::healthz, crate::http::ops::readyz,
        crate::http::oncall_api::list_schedules, crate::http::oncall_api::get_schedule,
        crate::http::oncall_api::put_schedule, crate::http::oncall_api::oncall,
        crate::http::oncall_api::shifts, crate::http::oncall_api::calendar,
        crate::http::oncall_api::list_policies, crate::http::oncall_api::put_policy,
        crate::http::oncall_api::put_service_escalation, crate::http::oncall_api::get_service_escalation,
        crate::http::oncall_api::list_contacts,
        crate::http::oncall_api::add_contact, crate::http::oncall_api::escalations,
        crate::http::oncall_api::escalate, crate::http::oncall_api::acknowledge,
        crate::http::oncall_api::notifications, crate::http::oncall_api::failed_notifications,
        crate::http::oncall_api::list_templates, crate::http::oncall_api::put_template,
        crate::http::oncall_api::doctor,
        crate::intake::webhooks::alertmanager, crate::intake::webhooks::alertmanager_keyed,
        crate::intake::webhooks::grafana, crate::intake::webhooks::grafana_keyed,
        crate::intake::webhooks::generic, crate::intake::webhooks::generic_keyed,
        crate::intake::pagerduty::enqueue, crate::intake::pagerduty::change_enqueue,
        crate::intake::email::inbound, crate::intake::email::inbound_keyed,
        crate::intake::admin::list_integrations, crate::intake::admin::create_integration,
        crate::intake::admin::get_integration, crate::intake::admin::disable_integration,
        crate::intake::admin::set_auto_declare,
        crate::intake::admin::rotate_key, crate::intake::admin::test_payload,
        crate::intake::admin::list_rules, crate::intake::admin::create_rule,
        crate::intake::admin::update_rule, crate::intake::admin::delete_rule,
        crate::intake::admin::list_silences, crate::intake::admin::create_silence,
        crate::intake::admin::expire_silence, crate::intake::admin::list_maintenance,
        crate::intake::admin::create_maintenance, crate::intake::admin::end_maintenance,
        crate::intake::admin::list_alerts, crate::intake::admin::list_changes,
        crate::intake::email::report_messages, crate::intake::email::attachment,
        crate::intake::triage::queue, crate::intake::triage::backlog,
        crate::intake::triage::bulk, crate::intake::triage::noise,
        crate::http::accounts::list_tokens, crate::http::accounts::revoke_token,
        crate::http::accounts::update_user,
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The intake endpoints that tools call take an integration key, not
        // a user token, as their bearer credential (or in the path).
        components.add_security_scheme(
            "integration_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An intake integration's key (32 letters and digits), shown once when \
                         the integration is created or its key rotated. Not a user token.",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route(
            "/api/v1/tokens",
            get(crate::http::accounts::list_tokens).post(create_token),
        )
        .route("/api/v1/services", get(list_services).post(create_service))
        .route("/api/v1/classify", get(classify))
        .route(
            "/api/v1/incidents",
            get(list_incidents).post(declare_incident),
        )
        .route(
            "/api/v1/incidents/{id}",
            get(get_incident).patch(update_incident),
        )
        .route("/api/v1/incidents/{id}/transition", post(transition))
        .route("/api/v1/incidents/{id}/checklist/{item}", post(mark_item))
        .route("/api/v1/incidents/{id}/timeline", get(timeline))
        .route(
            "/api/v1/incidents/{id}/notes",
            get(list_notes).post(add_note),
        )
        .route("/api/v1/incidents/{id}/members", post(add_member))
        .route("/api/v1/reports", get(list_reports).post(submit_report))
        .route("/api/v1/reports/{id}", get(get_report))
        .route("/api/v1/reports/{id}/declare", post(declare_report))
        .route("/api/v1/reports/{id}/link", post(link_report))
        .route("/api/v1/reports/{id}/dismiss", post(dismiss_report))
        .route("/api/v1/audit", get(audit_entries))
        .route("/api/v1/audit/verify", get(audit_verify))
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("route {}", uri.path()))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

fn cx<'a>(state: &'a AppState, user: &'a User) -> Ctx<'a> {
    state.ctx(user)
}

/// An incident id or reference from the path.
fn incident_id(raw: &str) -> Result<i64, ApiError> {
    parse_incident_ref(raw).ok_or_else(|| ApiError::NotFound(format!("incident `{raw}`")))
}

fn report_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::NotFound(format!("report `{raw}`")))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = User), (status = 401, body = Problem)))]
async fn me(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}

#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = [User])))]
async fn list_users(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<User>>, ApiError> {
    cx(&state, &user).require(Action::Read)?;
    Ok(Json(state.store.list_users().await?))
}

/// Creates a user (admins only).
#[utoipa::path(post, path = "/api/v1/users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let c = cx(&state, &user);
    c.require(Action::ManageUsers)?;
    let created = create_user_checked(&c, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Validates and creates a user; shared with the web page.
pub async fn create_user_checked(c: &Ctx<'_>, req: &CreateUser) -> Result<User, ApiError> {
    if !firebreak_store::users::valid_user_name(&req.name) {
        return Err(ApiError::invalid(
            "name",
            "a user name is 1–64 of letters, digits and . _ - @",
        ));
    }
    let password_hash = match req.password.as_deref() {
        Some(p) => {
            firebreak_core::password::check_password(p)
                .map_err(|e| ApiError::invalid("password", e.to_string()))?;
            Some(crate::signin::hash_password(p).await.map_err(|e| match e {
                crate::signin::PasswordError::Busy => ApiError::Unavailable(e.to_string()),
                e => ApiError::Internal(e.to_string()),
            })?)
        }
        None => None,
    };
    let display_name = match req.display_name.as_deref() {
        Some(d) => actions::title("display_name", d)?,
        None => req.name.clone(),
    };
    let email = match req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) if !e.contains('@') || e.len() > 254 || e.chars().any(char::is_whitespace) => {
            return Err(ApiError::invalid("email", "not an email address"));
        }
        other => other.map(str::to_owned),
    };
    let new = NewUser {
        name: req.name.clone(),
        display_name,
        email,
        role: req.role,
        password_hash,
    };
    Ok(c.store.create_user(&new, &c.actor(), c.now).await?)
}

/// Creates an API token for yourself, or (admins) for another user. The
/// token is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", request_body = CreateToken, responses((status = 201, body = TokenCreated)))]
async fn create_token(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let c = cx(&state, &user);
    let owner = match req.user.as_deref() {
        Some(name) if name != user.name => {
            c.require(Action::ManageUsers)?;
            state
                .store
                .user_ref(name)
                .await
                .map_err(|_| ApiError::invalid("user", format!("no user named `{name}`")))?
        }
        _ => firebreak_api::UserRef {
            id: user.id,
            name: user.name.clone(),
        },
    };
    let name = match req.name.as_deref() {
        Some(n) => actions::title("name", n)?,
        None => "api".to_owned(),
    };
    let token = secrets::new_token();
    let id = state
        .store
        .create_token(&owner, &name, &token, &c.actor(), c.now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id,
            name,
            user: owner,
            token,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/services", responses((status = 200, body = [Service])))]
async fn list_services(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Service>>, ApiError> {
    cx(&state, &user).require(Action::Read)?;
    Ok(Json(state.store.list_services().await?))
}

#[utoipa::path(post, path = "/api/v1/services", request_body = CreateService, responses((status = 201, body = Service)))]
async fn create_service(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateService>,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    let c = cx(&state, &user);
    c.require(Action::ManageServices)?;
    if !firebreak_store::users::valid_user_name(&req.name) {
        return Err(ApiError::invalid(
            "name",
            "a service name is 1–64 of letters, digits and . _ - @",
        ));
    }
    let team = actions::title("owner_team", &req.owner_team)?;
    let description =
        actions::text("description", req.description.as_deref(), false)?.unwrap_or_default();
    let s = state
        .store
        .create_service(&req.name, &team, &description, &c.actor(), c.now)
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
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
    let c = cx(&state, &user);
    c.require(Action::Read)?;
    Ok(Json(
        state.store.list_incidents(&filter, &c.reader()).await?,
    ))
}

/// Declares an incident.
#[utoipa::path(post, path = "/api/v1/incidents", request_body = DeclareIncident,
    responses((status = 201, body = Incident), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn declare_incident(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<DeclareIncident>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let incident = actions::declare(&cx(&state, &user), &req, None).await?;
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
    Ok(Json(cx(&state, &user).incident(incident_id(&id)?).await?))
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
        actions::update(&cx(&state, &user), incident_id(&id)?, &req).await?,
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
            &cx(&state, &user),
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
        actions::mark(&cx(&state, &user), incident_id(&id)?, item, &req).await?,
    ))
}

/// The whole timeline: who, when, what and why.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", params(("id" = String, Path)), responses((status = 200, body = [TimelineEvent])))]
async fn timeline(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineEvent>>, ApiError> {
    let incident = cx(&state, &user).incident(incident_id(&id)?).await?;
    Ok(Json(state.store.timeline(incident.id).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/notes", params(("id" = String, Path)), responses((status = 200, body = [Note])))]
async fn list_notes(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Note>>, ApiError> {
    let incident = cx(&state, &user).incident(incident_id(&id)?).await?;
    Ok(Json(state.store.notes(incident.id).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/notes", params(("id" = String, Path)), request_body = NewNote, responses((status = 201, body = Note)))]
async fn add_note(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let incident = actions::note(&cx(&state, &user), incident_id(&id)?, &req.body).await?;
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
        actions::add_member(&cx(&state, &user), incident_id(&id)?, &req.user).await?,
    ))
}

/// The triage queue (untriaged reports, oldest first) or reports by status.
#[utoipa::path(get, path = "/api/v1/reports", params(ReportFilter), responses((status = 200, body = [Report])))]
async fn list_reports(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(filter): ApiQuery<ReportFilter>,
) -> Result<Json<Vec<Report>>, ApiError> {
    let c = cx(&state, &user);
    c.require(Action::Read)?;
    Ok(Json(
        state
            .store
            .list_reports(&filter, &c.reader(), c.now)
            .await?,
    ))
}

/// Submits a report to the triage queue.
#[utoipa::path(post, path = "/api/v1/reports", request_body = NewReport, responses((status = 201, body = Report), (status = 400, body = Problem)))]
async fn submit_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<NewReport>,
) -> Result<(StatusCode, Json<Report>), ApiError> {
    let report = actions::submit_report(&cx(&state, &user), &req, ReportSource::Api).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", params(("id" = i64, Path)), responses((status = 200, body = Report), (status = 404, body = Problem)))]
async fn get_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(cx(&state, &user).report(report_id(&id)?).await?))
}

/// Declares an incident from an untriaged report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/declare", params(("id" = i64, Path)), request_body = DeclareFromReport,
    responses((status = 201, body = Incident), (status = 409, body = Problem)))]
async fn declare_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeclareFromReport>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let c = cx(&state, &user);
    let id = report_id(&id)?;
    let report = c.report(id).await?;
    let declare = DeclareIncident {
        title: req.title.clone().unwrap_or(report.title),
        summary: Some(report.description),
        kind: req.kind,
        severity: req.severity,
        severity_reason: req.severity_reason.clone(),
        facts: req.facts,
        owner: req.owner.clone(),
        lead: req.lead.clone(),
        service: report.service,
    };
    let incident = actions::declare(&c, &declare, Some(id)).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

/// Links an untriaged report to an existing incident.
#[utoipa::path(post, path = "/api/v1/reports/{id}/link", params(("id" = i64, Path)), request_body = LinkReport, responses((status = 200, body = Report)))]
async fn link_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LinkReport>,
) -> Result<Json<Report>, ApiError> {
    let incident = parse_incident_ref(&req.incident).ok_or_else(|| {
        ApiError::invalid(
            "incident",
            format!("`{}` is not an incident id or reference", req.incident),
        )
    })?;
    Ok(Json(
        actions::link_report(&cx(&state, &user), report_id(&id)?, incident).await?,
    ))
}

/// Dismisses an untriaged report, with a reason. Nothing is deleted.
#[utoipa::path(post, path = "/api/v1/reports/{id}/dismiss", params(("id" = i64, Path)), request_body = DismissReport, responses((status = 200, body = Report)))]
async fn dismiss_report(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DismissReport>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(
        actions::dismiss_report(&cx(&state, &user), report_id(&id)?, &req).await?,
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// At most this many entries, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

/// The newest audit entries (admins).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery), responses((status = 200, body = [AuditEntry])))]
async fn audit_entries(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    cx(&state, &user).require(Action::Audit)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad("limit", "limit must be between 1 and 1000"));
    }
    Ok(Json(state.store.audit_entries(limit).await?))
}

/// Checks the audit hash chain (admins). `ok` is false and
/// `first_bad_seq` names the first entry that does not hold if the log was
/// tampered with.
#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200, body = AuditVerification)))]
async fn audit_verify(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<AuditVerification>, ApiError> {
    cx(&state, &user).require(Action::Audit)?;
    Ok(Json(state.store.verify_audit().await?))
}
