//! The service pages: the catalog with a form to add a service (name, owner
//! team, escalation policy, runbook), and a service's page to change its
//! policy and runbook. Both go through the API's functions
//! ([`services::create_service_checked`], [`api::set_service_escalation`]);
//! a new service's policy and runbook are checked before it is created, so
//! a refused form stores nothing.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use firebreak_api::{CreateService, ServiceEscalation};
use firebreak_core::auth::Action;
use firebreak_store::SessionInfo;

use super::{SetupForm, form_error, status_of};
use crate::AppState;
use crate::error::ApiError;
use crate::oncall::api;
use crate::services;
use crate::web::markdown::to_safe_html;
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back, encode, error_page, non_empty, page_with_status,
};

/// A service as its form holds it.
#[derive(Default)]
pub(super) struct ServiceFields {
    pub name: String,
    pub team: String,
    /// Empty: the configured incident-lead policy pages.
    pub policy: String,
    pub runbook: String,
}

impl ServiceFields {
    fn from_form(f: &SetupForm) -> ServiceFields {
        ServiceFields {
            name: f.get("name"),
            team: f.get("team"),
            policy: f.get("policy"),
            runbook: f.get("runbook"),
        }
    }

    fn escalation(&self) -> ServiceEscalation {
        ServiceEscalation {
            escalation_policy: non_empty(&self.policy),
            runbook: self.runbook.clone(),
        }
    }
}

/// A service in the list.
pub(super) struct ServiceRow {
    pub name: String,
    pub team: String,
    pub policy: Option<String>,
    pub has_runbook: bool,
}

#[derive(Template)]
#[template(path = "services.html")]
struct ListPage {
    layout: Layout,
    services: Vec<ServiceRow>,
    policies: Vec<String>,
    form: ServiceFields,
}

#[derive(Template)]
#[template(path = "service.html")]
struct EditPage {
    layout: Layout,
    policies: Vec<String>,
    form: ServiceFields,
    /// The stored runbook, rendered (sanitised).
    runbook_html: Option<String>,
}

async fn policy_names(state: &AppState) -> Result<Vec<String>, ApiError> {
    Ok(state
        .store
        .policies()
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect())
}

async fn list_page(
    state: &AppState,
    s: &SessionInfo,
    form: ServiceFields,
    flash: Flash,
    error: Option<ApiError>,
) -> Response {
    let loaded = async {
        let dir = state.store.directory().await?;
        let services = state
            .store
            .list_services()
            .await?
            .into_iter()
            .map(|sv| {
                let esc = dir.services.get(&sv.name);
                ServiceRow {
                    policy: esc.and_then(|(p, _)| p.clone()),
                    has_runbook: esc.is_some_and(|(_, r)| !r.trim().is_empty()),
                    name: sv.name,
                    team: sv.owner_team,
                }
            })
            .collect();
        Ok::<_, ApiError>((services, dir.policies.into_keys().collect()))
    }
    .await;
    let (services, policies) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(s, e),
    };
    let status = error.as_ref().map(status_of).unwrap_or_default();
    let flash = match &error {
        Some(e) => Flash::error(Some(form_error(e))),
        None => flash,
    };
    page_with_status(
        status,
        &ListPage {
            layout: Layout::signed_in(s, flash),
            services,
            policies,
            form,
        },
    )
}

/// The services, and the form to add one.
pub(super) async fn list(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    list_page(&state, &s, ServiceFields::default(), f, None).await
}

/// Adds a service, with its policy and runbook when given.
pub(super) async fn create(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let form = ServiceFields::from_form(&f);
    let result = async {
        let esc = form.escalation();
        // Checked first so that a refused policy or runbook adds nothing.
        api::check_service_escalation(&c, &esc).await?;
        let req = CreateService {
            name: form.name.trim().to_owned(),
            owner_team: form.team.clone(),
            description: None,
        };
        let created = services::create_service_checked(&c, &req).await?;
        if esc.escalation_policy.is_some() || !esc.runbook.is_empty() {
            api::set_service_escalation(&c, &created.name, &esc).await?;
        }
        Ok::<_, ApiError>(created.name)
    }
    .await;
    match result {
        Ok(name) => back(
            &format!("/admin/services/{}", encode(&name)),
            Ok(format!("Service {name} added")),
        ),
        Err(e) => list_page(&state, &s, form, Flash::default(), Some(e)).await,
    }
}

async fn edit_page(
    state: &AppState,
    s: &SessionInfo,
    name: &str,
    form: Option<ServiceFields>,
    flash: Flash,
    error: Option<ApiError>,
) -> Response {
    let loaded = async {
        let service = state
            .store
            .service_by_name(name)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("service `{name}`")))?;
        let (policy, runbook) = state
            .store
            .service_escalation(name)
            .await?
            .unwrap_or_default();
        Ok::<_, ApiError>((service, policy, runbook, policy_names(state).await?))
    }
    .await;
    let (service, policy, runbook, policies) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(s, e),
    };
    let runbook_html = (!runbook.trim().is_empty()).then(|| to_safe_html(&runbook));
    let form = form.unwrap_or(ServiceFields {
        name: service.name.clone(),
        team: service.owner_team.clone(),
        policy: policy.unwrap_or_default(),
        runbook,
    });
    let status = error.as_ref().map(status_of).unwrap_or_default();
    let flash = match &error {
        Some(e) => Flash::error(Some(form_error(e))),
        None => flash,
    };
    page_with_status(
        status,
        &EditPage {
            layout: Layout::signed_in(s, flash),
            policies,
            form: ServiceFields {
                name: service.name,
                team: service.owner_team,
                ..form
            },
            runbook_html,
        },
    )
}

/// A service's page: its policy and runbook, to change.
pub(super) async fn edit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    f: Flash,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    edit_page(&state, &s, &name, None, f, None).await
}

/// Sets a service's policy and runbook.
pub(super) async fn update(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let form = ServiceFields::from_form(&f);
    match api::set_service_escalation(&c, &name, &form.escalation()).await {
        Ok(()) => back(
            &format!("/admin/services/{}", encode(&name)),
            Ok(format!("Service {name} saved")),
        ),
        Err(e) => edit_page(&state, &s, &name, Some(form), Flash::default(), Some(e)).await,
    }
}
