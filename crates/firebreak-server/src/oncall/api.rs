//! The JSON API of on-call and escalation: schedules and who is on call, escalation
//! policies, contact methods, an incident's escalations, manual escalation,
//! acknowledgment, and the notifications sent.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use firebreak_api::{
    Acknowledged, ContactMethod, Definition, Escalate, Escalation, MessageTemplate,
    NewContactMethod, Notification, OnCallAnswer, ServiceEscalation, ShiftView, TemplateBody,
};
use firebreak_core::auth::Action;
use firebreak_core::escalation::Policy;
use firebreak_core::oncall::Schedule;

use crate::AppState;
use crate::actions::{self, Ctx};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::incidents::incident_id;
use crate::notify::{Channel, NotifyError, SetBy};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedules))
        .routes(routes!(put_schedule, get_schedule))
        .routes(routes!(shifts))
        .routes(routes!(calendar))
        .routes(routes!(oncall))
        .routes(routes!(list_policies))
        .routes(routes!(put_policy))
        .routes(routes!(put_service_escalation, get_service_escalation))
        .routes(routes!(list_contacts, add_contact))
        .routes(routes!(escalations))
        .routes(routes!(escalate))
        .routes(routes!(acknowledge))
        .routes(routes!(notifications))
        .routes(routes!(failed_notifications))
        .routes(routes!(list_templates))
        .routes(routes!(put_template))
        .routes(routes!(doctor))
        .merge(super::contacts::routes())
}

/// Follows every paging path now (admins): each service's policy (or the
/// incident-lead policy), the incident-lead policy, and leadership, through
/// schedules and who is on call to contact methods and their channels,
/// naming each missing link.
#[utoipa::path(get, path = "/api/v1/doctor", responses((status = 200, body = firebreak_api::DoctorReport)))]
pub async fn doctor(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<firebreak_api::DoctorReport>, ApiError> {
    state.ctx(&user).require(Action::Audit)?;
    let dir = state.store.directory().await?;
    Ok(Json(crate::doctor::report(
        &dir,
        &state.config.escalation,
        state.config.email_configured,
        state.now(),
    )))
}

/// The templates every notification's subject and text come from.
#[utoipa::path(get, path = "/api/v1/message-templates", responses((status = 200, body = [MessageTemplate])))]
pub async fn list_templates(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<MessageTemplate>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    let saved = state.store.message_templates().await?;
    let d = crate::notify::Templates::default();
    Ok(Json(
        [("subject", d.subject), ("text", d.text)]
            .into_iter()
            .map(|(name, default)| MessageTemplate {
                name: name.to_owned(),
                custom: saved.contains_key(name),
                body: saved.get(name).cloned().unwrap_or(default),
            })
            .collect(),
    ))
}

/// Replaces a template (admins). It is compiled and tried on a sample
/// message first; a template that does not render is refused, naming the
/// line.
#[utoipa::path(put, path = "/api/v1/message-templates/{name}", params(("name" = String, Path)), request_body = TemplateBody,
    responses((status = 204), (status = 422, body = firebreak_api::Problem)))]
pub async fn put_template(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<TemplateBody>,
) -> Result<StatusCode, ApiError> {
    let c = state.ctx(&user);
    c.require(Action::ManageUsers)?;
    let mut t = crate::notify::Templates::default();
    match name.as_str() {
        "subject" => t.subject = req.body.clone(),
        "text" => t.text = req.body.clone(),
        _ => return Err(ApiError::NotFound(format!("template `{name}`"))),
    }
    if req.body.len() > 20_000 {
        return Err(ApiError::invalid(
            "body",
            "a template is at most 20 000 bytes",
        ));
    }
    // Bounded (fuel, output size, time) and off the request thread.
    crate::notify::off_thread("template", move || t.validate())
        .await
        .map_err(|e| ApiError::invalid("body", e.to_string()))?;
    state
        .store
        .put_message_template(&name, &req.body, &c.actor(), c.now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn valid_name(field: &str, name: &str) -> Result<(), ApiError> {
    if firebreak_store::users::valid_user_name(name) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "a name is 1–64 of letters, digits and . _ - @",
        ))
    }
}

#[utoipa::path(get, path = "/api/v1/schedules", responses((status = 200, body = [Definition])))]
pub async fn list_schedules(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Definition>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    Ok(Json(state.store.schedules().await?))
}

async fn load_schedule(state: &AppState, name: &str) -> Result<Schedule, ApiError> {
    let defs = state.store.schedules().await?;
    let def = defs
        .into_iter()
        .find(|d| d.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("schedule `{name}`")))?;
    serde_json::from_value(def.definition)
        .map_err(|e| ApiError::Internal(format!("stored schedule {name}: {e}")))
}

#[utoipa::path(get, path = "/api/v1/schedules/{name}", params(("name" = String, Path)), responses((status = 200, body = Definition)))]
pub async fn get_schedule(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
) -> Result<Json<Definition>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    let defs = state.store.schedules().await?;
    defs.into_iter()
        .find(|d| d.name == name)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("schedule `{name}`")))
}

/// Creates or replaces a schedule: layers of rotations, and overrides. The
/// body's `name` must match the path.
#[utoipa::path(put, path = "/api/v1/schedules/{name}", params(("name" = String, Path)), request_body = Object,
    responses((status = 200, body = Definition), (status = 400, body = firebreak_api::Problem), (status = 422, body = firebreak_api::Problem)))]
pub async fn put_schedule(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiJson(schedule): ApiJson<Schedule>,
) -> Result<Json<Definition>, ApiError> {
    save_schedule(&state.ctx(&user), &name, &schedule)
        .await
        .map(Json)
}

/// Whether `schedule` may be stored as `name` (managers of services): the
/// name, the body's name matching it, the schedule's own rules, and every
/// participant an enabled user. The API and the web set-up pages check
/// through here; nothing is stored.
pub(crate) async fn check_schedule(
    c: &Ctx<'_>,
    name: &str,
    schedule: &Schedule,
) -> Result<(), ApiError> {
    c.require(Action::ManageServices)?;
    valid_name("name", name)?;
    if schedule.name != name {
        return Err(ApiError::invalid(
            "name",
            format!("the body names `{}` but the path `{name}`", schedule.name),
        ));
    }
    schedule
        .validate()
        .map_err(|e| ApiError::invalid("schedule", e.to_string()))?;
    // A participant who does not exist (or is disabled) would be on call
    // and page nobody.
    let dir = c.store.directory().await?;
    if let Some((field, why)) = crate::doctor::schedule_problem(&dir, schedule) {
        return Err(ApiError::invalid(&field, why));
    }
    Ok(())
}

/// Creates or replaces a schedule after [`check_schedule`], answering it as
/// stored.
pub(crate) async fn save_schedule(
    c: &Ctx<'_>,
    name: &str,
    schedule: &Schedule,
) -> Result<Definition, ApiError> {
    check_schedule(c, name, schedule).await?;
    let value = serde_json::to_value(schedule).map_err(|e| ApiError::Internal(e.to_string()))?;
    c.store
        .put_schedule(name, &value, &c.actor(), c.now)
        .await?;
    c.store
        .schedules()
        .await?
        .into_iter()
        .find(|d| d.name == name)
        .ok_or_else(|| ApiError::Internal("schedule vanished".into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OnCallQuery {
    /// One schedule; all when absent.
    schedule: Option<String>,
    /// RFC 3339 instant; now when absent.
    at: Option<DateTime<Utc>>,
}

/// Who is on call now (or `at`), per schedule.
#[utoipa::path(get, path = "/api/v1/oncall", params(OnCallQuery), responses((status = 200, body = [OnCallAnswer])))]
pub async fn oncall(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<OnCallQuery>,
) -> Result<Json<Vec<OnCallAnswer>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    let at = q.at.unwrap_or_else(|| state.now());
    let defs = state.store.schedules().await?;
    if let Some(name) = &q.schedule
        && !defs.iter().any(|d| &d.name == name)
    {
        return Err(ApiError::NotFound(format!("schedule `{name}`")));
    }
    let mut out = Vec::new();
    for d in defs
        .into_iter()
        .filter(|d| q.schedule.as_ref().is_none_or(|n| *n == d.name))
    {
        let Ok(schedule) = serde_json::from_value::<Schedule>(d.definition) else {
            continue;
        };
        out.push(answer(&schedule, at));
    }
    Ok(Json(out))
}

/// The on-call answer for one schedule at `at`.
pub fn answer(schedule: &Schedule, at: DateTime<Utc>) -> OnCallAnswer {
    let now = schedule.on_call_at(at);
    let upcoming = schedule.shifts_between(at, at + Duration::days(60));
    let next = upcoming
        .iter()
        .find(|s| Some(&s.user) != now.as_ref().map(|n| &n.user) && s.start > at);
    OnCallAnswer {
        schedule: schedule.name.clone(),
        at,
        user: now.as_ref().map(|n| n.user.clone()),
        shift_start: now.as_ref().map(|n| n.shift_start),
        shift_end: now.as_ref().map(|n| n.shift_end),
        next_user: next.map(|s| s.user.clone()),
        next_start: next.map(|s| s.start),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// The final on-call timeline between `from` (default now) and `to`
/// (default two weeks later).
#[utoipa::path(get, path = "/api/v1/schedules/{name}/shifts", params(("name" = String, Path), RangeQuery), responses((status = 200, body = [ShiftView])))]
pub async fn shifts(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<Vec<ShiftView>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    let schedule = load_schedule(&state, &name).await?;
    let from = q.from.unwrap_or_else(|| state.now());
    let to = q.to.unwrap_or(from + Duration::days(14));
    if to <= from || to - from > Duration::days(366) {
        return Err(ApiError::bad(
            "to",
            "`to` must be after `from`, at most a year later",
        ));
    }
    Ok(Json(
        schedule
            .shifts_between(from, to)
            .into_iter()
            .map(|s| ShiftView {
                user: s.user,
                start: s.start,
                end: s.end,
            })
            .collect(),
    ))
}

/// A user's shifts on a schedule as an iCalendar feed (the coming 90 days).
#[utoipa::path(get, path = "/api/v1/schedules/{name}/calendar/{user}", params(("name" = String, Path), ("user" = String, Path)), responses((status = 200, content_type = "text/calendar")))]
pub async fn calendar(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path((name, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    state.ctx(&me).require(Action::Read)?;
    let schedule = load_schedule(&state, &name).await?;
    let now = state.now();
    // The window starts at midnight so event UIDs stay stable through the day.
    let from = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or(now);
    let ics = firebreak_core::oncall::ics_for_user(
        &schedule,
        &user,
        from,
        from + Duration::days(90),
        now,
    );
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        ics,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/escalation-policies", responses((status = 200, body = [Definition])))]
pub async fn list_policies(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Definition>>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    Ok(Json(state.store.policies().await?))
}

/// Creates or replaces an escalation policy: ordered levels of targets
/// (users or schedules) with acknowledgment timeouts, and a repeat count.
#[utoipa::path(put, path = "/api/v1/escalation-policies/{name}", params(("name" = String, Path)), request_body = Policy,
    responses((status = 200, body = Definition), (status = 422, body = firebreak_api::Problem)))]
pub async fn put_policy(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiJson(policy): ApiJson<Policy>,
) -> Result<Json<Definition>, ApiError> {
    save_policy(&state.ctx(&user), &name, &policy)
        .await
        .map(Json)
}

/// Creates or replaces an escalation policy (managers of services): the
/// name, the policy's own rules, and every target an enabled user or an
/// existing schedule; answers it as stored. The API and the web set-up
/// pages save through here.
pub(crate) async fn save_policy(
    c: &Ctx<'_>,
    name: &str,
    policy: &Policy,
) -> Result<Definition, ApiError> {
    c.require(Action::ManageServices)?;
    valid_name("name", name)?;
    policy
        .validate()
        .map_err(|e| ApiError::invalid("levels", e.to_string()))?;
    // A target that names no user or schedule would page nobody.
    let dir = c.store.directory().await?;
    if let Some((field, why)) = crate::doctor::policy_problem(&dir, policy) {
        return Err(ApiError::invalid(&field, why));
    }
    let value = serde_json::to_value(policy).map_err(|e| ApiError::Internal(e.to_string()))?;
    c.store.put_policy(name, &value, &c.actor(), c.now).await?;
    let defs = c.store.policies().await?;
    defs.into_iter()
        .find(|d| d.name == name)
        .ok_or_else(|| ApiError::Internal("policy vanished".into()))
}

/// A service's escalation policy and runbook.
#[utoipa::path(get, path = "/api/v1/services/{name}/escalation", params(("name" = String, Path)), responses((status = 200, body = ServiceEscalation)))]
pub async fn get_service_escalation(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
) -> Result<Json<ServiceEscalation>, ApiError> {
    state.ctx(&user).require(Action::Read)?;
    let (policy, runbook) = state
        .store
        .service_escalation(&name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("service `{name}`")))?;
    Ok(Json(ServiceEscalation {
        escalation_policy: policy,
        runbook,
    }))
}

/// Sets a service's escalation policy and runbook.
#[utoipa::path(put, path = "/api/v1/services/{name}/escalation", params(("name" = String, Path)), request_body = ServiceEscalation, responses((status = 204)))]
pub async fn put_service_escalation(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<ServiceEscalation>,
) -> Result<StatusCode, ApiError> {
    set_service_escalation(&state.ctx(&user), &name, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether `req` may be a service's escalation (managers of services): the
/// policy exists, the runbook is not too long. Nothing is stored.
pub(crate) async fn check_service_escalation(
    c: &Ctx<'_>,
    req: &ServiceEscalation,
) -> Result<(), ApiError> {
    c.require(Action::ManageServices)?;
    if let Some(p) = &req.escalation_policy
        && !c.store.policies().await?.iter().any(|d| &d.name == p)
    {
        return Err(ApiError::invalid(
            "escalation_policy",
            format!("no escalation policy named `{p}`"),
        ));
    }
    if req.runbook.len() > 100_000 {
        return Err(ApiError::invalid(
            "runbook",
            "a runbook is at most 100 000 bytes",
        ));
    }
    Ok(())
}

/// Sets a service's escalation policy and runbook after
/// [`check_service_escalation`].
pub(crate) async fn set_service_escalation(
    c: &Ctx<'_>,
    name: &str,
    req: &ServiceEscalation,
) -> Result<(), ApiError> {
    check_service_escalation(c, req).await?;
    c.store
        .set_service_escalation(
            name,
            req.escalation_policy.as_deref(),
            &req.runbook,
            &c.actor(),
            c.now,
        )
        .await?;
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/users/{name}/contact-methods", params(("name" = String, Path)), responses((status = 200, body = [ContactMethod])))]
pub async fn list_contacts(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
) -> Result<Json<Vec<ContactMethod>>, ApiError> {
    may_manage_contacts_of(&state.ctx(&user), &name)?;
    let target = state.store.user_ref(&name).await?;
    let mut list = state.store.contact_methods(Some(target.id)).await?;
    for cm in &mut list {
        hide_secrets(&mut cm.channel);
    }
    Ok(Json(list))
}

/// Secrets are shown once, in the answer that creates the contact method:
/// lists show `"<hidden>"` for webhook and HTTP secrets and the password of
/// basic authentication, and only the site of Slack and Teams webhook URLs
/// (their path is the credential).
pub(crate) fn hide_secrets(channel: &mut serde_json::Value) {
    const HIDDEN: &str = "<hidden>";
    let Some(obj) = channel.as_object_mut() else {
        return;
    };
    if let Some(secret) = obj.get_mut("secret").filter(|v| !v.is_null()) {
        *secret = HIDDEN.into();
    }
    if let Some(password) = obj
        .get_mut("basic_auth")
        .and_then(|v| v.as_array_mut())
        .and_then(|pair| pair.get_mut(1))
    {
        *password = HIDDEN.into();
    }
    let kind = obj.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
    if matches!(kind, "slack" | "teams")
        && let Some(url) = obj.get_mut("webhook_url")
    {
        let site = url
            .as_str()
            .and_then(|u| u.split_once("://"))
            .map(|(scheme, rest)| {
                let host = rest.split('/').next().unwrap_or_default();
                format!("{scheme}://{host}/{HIDDEN}")
            })
            .unwrap_or_else(|| HIDDEN.to_owned());
        *url = site.into();
    }
}

/// Adds a way to reach a user (yourself, or anyone for admins), used after
/// `delay_secs` of a page.
#[utoipa::path(post, path = "/api/v1/users/{name}/contact-methods", params(("name" = String, Path)), request_body = NewContactMethod,
    responses((status = 201, body = ContactMethod), (status = 422, body = firebreak_api::Problem)))]
pub async fn add_contact(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<NewContactMethod>,
) -> Result<(StatusCode, Json<ContactMethod>), ApiError> {
    let cm = add_contact_checked(&state, &state.ctx(&user), &name, &req).await?;
    Ok((StatusCode::CREATED, Json(cm)))
}

/// Adds a contact method to user `name` (yourself, or anyone for admins)
/// after every check: the label, the channel (with the outgoing-request
/// policy for targets users set for themselves), the delay. The API and the
/// web user page add through here.
pub(crate) async fn add_contact_checked(
    state: &AppState,
    c: &Ctx<'_>,
    name: &str,
    req: &NewContactMethod,
) -> Result<ContactMethod, ApiError> {
    may_manage_contacts_of(c, name)?;
    let user = c.user;
    let target = state.store.user_ref(name).await?;
    let label = actions::title("label", &req.label)?;
    let channel: Channel = serde_json::from_value(req.channel.clone())
        .map_err(|e| ApiError::bad("channel", e.to_string()))?;
    // An admin may set any target (an on-premises gateway); a user setting
    // their own may not point it at the server's own network.
    let admin_set = firebreak_core::auth::allowed(user.role, Action::ManageUsers);
    channel
        .check(SetBy::from_admin_set(admin_set), &state.config.outgoing)
        .await
        .map_err(|e| match e {
            NotifyError::Invalid { field, detail } => {
                ApiError::invalid(&format!("channel.{field}"), detail)
            }
            e => ApiError::invalid("channel", e.to_string()),
        })?;
    if let Some(why) = crate::doctor::contact_problem(&channel, state.config.email_configured) {
        return Err(ApiError::invalid("channel", why));
    }
    let delay = req.delay_secs.unwrap_or(0);
    if !(0..=86_400).contains(&delay) {
        return Err(ApiError::invalid(
            "delay_secs",
            "delay_secs is between 0 and 86400",
        ));
    }
    let cm = state
        .store
        .add_contact_method(
            &target,
            &label,
            &req.channel,
            delay,
            admin_set,
            &c.actor(),
            c.now,
        )
        .await?;
    Ok(cm)
}

/// The one rule for a user's contact methods and test pages: your own, or
/// (admins) anyone's.
pub(crate) fn may_manage_contacts_of(c: &Ctx<'_>, name: &str) -> Result<(), ApiError> {
    if name != c.user.name {
        c.require(Action::ManageUsers)?;
    }
    Ok(())
}

/// Every escalation of an incident: from, to, level, rule, reason, time.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/escalations", params(("id" = String, Path)), responses((status = 200, body = [Escalation])))]
pub async fn escalations(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Escalation>>, ApiError> {
    let incident = state.ctx(&user).incident(incident_id(&id)?).await?;
    Ok(Json(state.store.escalations(incident.id).await?))
}

/// Escalates by hand: `to` is `incident_lead`, `leadership` or a user name.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/escalate", params(("id" = String, Path)), request_body = Escalate, responses((status = 200, body = firebreak_api::Incident)))]
pub async fn escalate(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Escalate>,
) -> Result<Json<firebreak_api::Incident>, ApiError> {
    Ok(Json(
        actions::escalate_manual(&state.ctx(&user), incident_id(&id)?, &req.to, &req.reason)
            .await?,
    ))
}

/// Acknowledges the incident's active pages: their escalation stops.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/acknowledge", params(("id" = String, Path)), responses((status = 200, body = Acknowledged)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Acknowledged>, ApiError> {
    Ok(Json(
        actions::acknowledge(&state.ctx(&user), incident_id(&id)?).await?,
    ))
}

/// The messages sent (or being sent) for an incident.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/notifications", params(("id" = String, Path)), responses((status = 200, body = [Notification])))]
pub async fn notifications(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Notification>>, ApiError> {
    let incident = state.ctx(&user).incident(incident_id(&id)?).await?;
    Ok(Json(state.store.notifications(Some(incident.id)).await?))
}

/// Messages that failed for good (admins).
#[utoipa::path(get, path = "/api/v1/notifications/failed", responses((status = 200, body = [Notification])))]
pub async fn failed_notifications(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Notification>>, ApiError> {
    state.ctx(&user).require(Action::Audit)?;
    Ok(Json(state.store.notifications(None).await?))
}
