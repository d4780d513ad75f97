//! The admin pages of customers (`/admin/customers`, `/admin/customers/{id}`)
//! and components (`/admin/components`, `/admin/components/{id}`), and the
//! incident page's "Affected customers" panel with its two forms
//! (`/incidents/{id}/affected`, `/incidents/{id}/components`).
//!
//! Every form goes through the functions the API calls (this module's
//! parent and `actions::affected`), so the web refuses what the API
//! refuses. A generated webhook secret and a new private status link are
//! shown once, on the page answering the form (200), never in the flash
//! cookie.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use firebreak_api::customers::{
    AddCustomerContact, AffectedMode, Component, ComponentState, ComponentStatus, CreateComponent,
    CreateCustomer, Customer, CustomerContactKind, SetIncidentAffected, SetIncidentComponents,
    UpdateComponent, UpdateCustomer,
};
use firebreak_api::{User, parse_incident_ref};
use firebreak_core::auth::{Action, allowed};
use firebreak_store::SessionInfo;

use super::path_id;
use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::WebForm;
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, back_to_incident, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/customers",
            get(customers_page).post(create_customer),
        )
        .route(
            "/admin/customers/{id}",
            get(customer_page).post(update_customer),
        )
        .route("/admin/customers/{id}/delete", post(delete_customer))
        .route("/admin/customers/{id}/contacts", post(add_contact))
        .route(
            "/admin/customers/{id}/contacts/{contact}/remove",
            post(remove_contact),
        )
        .route("/admin/customers/{id}/components", post(set_components))
        .route("/admin/customers/{id}/status-link", post(status_link))
        .route(
            "/admin/components",
            get(components_page).post(create_component),
        )
        .route(
            "/admin/components/{id}",
            get(component_page).post(update_component),
        )
        .route("/admin/components/{id}/status", post(component_status))
        .route("/incidents/{id}/affected", post(set_affected))
        .route("/incidents/{id}/components", post(set_incident_components))
}

/// A form read as its name-value pairs: repeated fields (checkboxes, a
/// multiple select) and fields named after records (`status-3`).
pub struct Fields {
    csrf: String,
    pairs: Vec<(String, String)>,
}

impl Fields {
    /// The field's text, trimmed; empty when the form did not send it.
    fn get(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every value of a repeated field.
    fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The field, or `None` when it is empty.
    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }
}

impl WebForm for Fields {
    fn csrf(&self) -> Option<&str> {
        Some(&self.csrf)
    }

    async fn read(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        let bytes = axum::body::to_bytes(req.into_body(), state.config.body_limit)
            .await
            .map_err(|_| {
                (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response()
            })?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        let csrf = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Ok(Fields { csrf, pairs })
    }
}

/// Ids of a repeated field; a value that is not one is refused naming it.
fn ids(field: &str, values: &[&str]) -> Result<Vec<i64>, ApiError> {
    values
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::bad(field, format!("`{v}` is not an id")))
        })
        .collect()
}

/// The 403 page unless the user may take `action`.
fn refused(state: &AppState, s: &SessionInfo, action: Action) -> Option<Response> {
    state
        .ctx(&s.user)
        .require(action)
        .err()
        .map(|e| error_page(s, e))
}

fn customer_path(id: i64) -> String {
    format!("/admin/customers/{id}")
}

/// The components' names, joined, or "none".
fn names_of(ids: &[i64], all: &[Component]) -> String {
    let names: Vec<&str> = ids
        .iter()
        .filter_map(|id| all.iter().find(|c| c.id == *id).map(|c| c.name.as_str()))
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

struct CustomerRow {
    id: i64,
    name: String,
    contacts: usize,
    components: String,
    has_status_link: bool,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    layout: Layout,
    rows: Vec<CustomerRow>,
    can_manage: bool,
}

async fn customers_page(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Some(r) = refused(&state, &s, Action::ReadCustomers) {
        return r;
    }
    let loaded = async {
        let list = super::list_customers(&state.ctx(&s.user)).await?;
        let components = state.store.list_components().await?;
        Ok::<_, ApiError>((list, components))
    }
    .await;
    let (list, components) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&s, e),
    };
    page(&CustomersPage {
        layout: Layout::signed_in(&s, f),
        rows: list
            .into_iter()
            .map(|c| CustomerRow {
                components: names_of(&c.component_ids, &components),
                id: c.id,
                name: c.name,
                contacts: c.contacts.len(),
                has_status_link: c.has_status_link,
            })
            .collect(),
        can_manage: allowed(s.user.role, Action::ManageCustomers),
    })
}

async fn create_customer(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let req = CreateCustomer {
        name: f.get("name"),
        description: f.opt("description"),
    };
    match super::create_customer(&state.ctx(&s.user), &req).await {
        Ok(c) => back(
            &customer_path(c.id),
            Ok(format!("Customer “{}” added", c.name)),
        ),
        Err(e) => back("/admin/customers", Err(e)),
    }
}

/// Something shown once on the page answering a form.
struct Shown {
    title: String,
    label: String,
    value: String,
    about: String,
}

struct ComponentChoice {
    id: i64,
    name: String,
    service: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    layout: Layout,
    c: Customer,
    components: Vec<ComponentChoice>,
    can_manage: bool,
    shown: Option<Shown>,
}

async fn customer_view(
    state: &AppState,
    s: &SessionInfo,
    raw: &str,
    f: Flash,
    shown: Option<Shown>,
) -> Response {
    if let Some(r) = refused(state, s, Action::ReadCustomers) {
        return r;
    }
    let loaded = async {
        let id = path_id("customer", raw)?;
        let c = super::customer(&state.ctx(&s.user), id).await?;
        let all = state.store.list_components().await?;
        Ok::<_, ApiError>((c, all))
    }
    .await;
    let (c, all) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(s, e),
    };
    let components = all
        .into_iter()
        .map(|k| ComponentChoice {
            checked: c.component_ids.contains(&k.id),
            id: k.id,
            name: k.name,
            service: k.service.name,
        })
        .collect();
    page(&CustomerPage {
        layout: Layout::signed_in(s, f),
        c,
        components,
        can_manage: allowed(s.user.role, Action::ManageCustomers),
        shown,
    })
}

async fn customer_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    f: Flash,
) -> Response {
    customer_view(&state, &s, &id, f, None).await
}

/// Runs `act` on customer `raw` and goes back to its page with the outcome.
async fn on_customer<F, Fut>(s: &SessionInfo, raw: &str, act: F) -> Response
where
    F: FnOnce(i64) -> Fut,
    Fut: Future<Output = Result<String, ApiError>>,
{
    match path_id("customer", raw) {
        Ok(id) => back(&customer_path(id), act(id).await),
        Err(e) => error_page(s, e),
    }
}

async fn update_customer(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let req = UpdateCustomer {
        name: Some(f.get("name")),
        description: Some(f.get("description")),
    };
    on_customer(&s, &raw, async |id| {
        super::update_customer(&state.ctx(&s.user), id, &req)
            .await
            .map(|c| format!("Customer “{}” saved", c.name))
    })
    .await
}

async fn delete_customer(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(_f): CsrfForm<Fields>,
) -> Response {
    let id = match path_id("customer", &raw) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    let c = state.ctx(&s.user);
    match super::delete_customer(&c, id).await {
        Ok(()) => back("/admin/customers", Ok("Customer deleted".to_owned())),
        Err(e) => back(&customer_path(id), Err(e)),
    }
}

async fn add_contact(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let id = match path_id("customer", &raw) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    let kind = match f.get("kind").as_str() {
        "webhook" => CustomerContactKind::Webhook,
        _ => CustomerContactKind::Email,
    };
    let req = AddCustomerContact {
        label: f.get("label"),
        kind,
        target: f.get("target"),
        secret: f.opt("secret"),
    };
    match super::add_contact(&state, &state.ctx(&s.user), id, &req).await {
        Ok(added) => match added.secret {
            Some(secret) => {
                let shown = Shown {
                    title: format!("Contact “{}” added", added.contact.label),
                    label: "Signing secret".to_owned(),
                    value: secret,
                    about: "Give this secret to the customer: each webhook notice is signed \
                            with it. It is shown only this once."
                        .to_owned(),
                };
                customer_view(&state, &s, &raw, Flash::default(), Some(shown)).await
            }
            None => back(
                &customer_path(id),
                Ok(format!("Contact “{}” added", added.contact.label)),
            ),
        },
        Err(e) => back(&customer_path(id), Err(e)),
    }
}

async fn remove_contact(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((raw, contact)): Path<(String, String)>,
    CsrfForm(_f): CsrfForm<Fields>,
) -> Response {
    on_customer(&s, &raw, async |id| {
        let contact = path_id("contact", &contact)?;
        super::remove_contact(&state.ctx(&s.user), id, contact).await?;
        Ok("Contact removed".to_owned())
    })
    .await
}

async fn set_components(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    on_customer(&s, &raw, async |id| {
        let chosen = ids("component_ids", &f.all("component"))?;
        let c = super::set_components(&state.ctx(&s.user), id, &chosen).await?;
        Ok(format!("The components “{}” uses are saved", c.name))
    })
    .await
}

async fn status_link(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(_f): CsrfForm<Fields>,
) -> Response {
    let id = match path_id("customer", &raw) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    match super::status_link(&state, &state.ctx(&s.user), id).await {
        Ok(url) => {
            let shown = Shown {
                title: "New private status link".to_owned(),
                label: "Link".to_owned(),
                value: url,
                about: "Anyone with this link sees this customer's status page, its \
                        incidents included. It is shown only this once; the previous link \
                        no longer works."
                    .to_owned(),
            };
            customer_view(&state, &s, &raw, Flash::default(), Some(shown)).await
        }
        Err(e) => back(&customer_path(id), Err(e)),
    }
}

#[derive(Template)]
#[template(path = "components.html")]
struct ComponentsPage {
    layout: Layout,
    rows: Vec<Component>,
    services: Vec<String>,
    statuses: &'static [ComponentStatus],
    can_manage: bool,
    can_set_status: bool,
}

async fn components_page(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Some(r) = refused(&state, &s, Action::ReadCustomers) {
        return r;
    }
    let loaded = async {
        let rows = state.store.list_components().await?;
        let services = state.store.list_services().await?;
        Ok::<_, firebreak_store::StoreError>((rows, services))
    }
    .await;
    let (rows, services) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&s, e.into()),
    };
    page(&ComponentsPage {
        layout: Layout::signed_in(&s, f),
        rows,
        services: services.into_iter().map(|s| s.name).collect(),
        statuses: ComponentStatus::ALL,
        can_manage: allowed(s.user.role, Action::ManageCustomers),
        can_set_status: allowed(s.user.role, Action::Respond),
    })
}

async fn create_component(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let req = CreateComponent {
        name: f.get("name"),
        service: f.get("service"),
        description: f.opt("description"),
        public: Some(!f.get("public").is_empty()),
        position: None,
    };
    let result = super::create_component(&state.ctx(&s.user), &req)
        .await
        .map(|c| format!("Component “{}” added", c.name));
    back("/admin/components", result)
}

#[derive(Template)]
#[template(path = "component.html")]
struct ComponentPage {
    layout: Layout,
    c: Component,
    services: Vec<String>,
    can_manage: bool,
}

async fn component_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    f: Flash,
) -> Response {
    if let Some(r) = refused(&state, &s, Action::ReadCustomers) {
        return r;
    }
    let loaded = async {
        let id = path_id("component", &raw)?;
        let c = super::component(&state.ctx(&s.user), id).await?;
        let services = state.store.list_services().await?;
        Ok::<_, ApiError>((c, services))
    }
    .await;
    match loaded {
        Ok((c, services)) => page(&ComponentPage {
            layout: Layout::signed_in(&s, f),
            c,
            services: services.into_iter().map(|s| s.name).collect(),
            can_manage: allowed(s.user.role, Action::ManageCustomers),
        }),
        Err(e) => error_page(&s, e),
    }
}

async fn update_component(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let id = match path_id("component", &raw) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    let result = async {
        let position = match f.opt("position") {
            Some(p) => Some(p.parse::<i64>().map_err(|_| {
                ApiError::invalid("position", "Position: a whole number, lowest first")
            })?),
            None => None,
        };
        let req = UpdateComponent {
            name: Some(f.get("name")),
            description: Some(f.get("description")),
            service: Some(f.get("service")),
            public: Some(!f.get("public").is_empty()),
            position,
            status: None,
        };
        super::update_component(&state.ctx(&s.user), id, &req)
            .await
            .map(|c| format!("Component “{}” saved", c.name))
    }
    .await;
    back(&format!("/admin/components/{id}"), result)
}

async fn component_status(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let result = async {
        let id = path_id("component", &raw)?;
        let status: ComponentStatus = crate::web::parse_field("status", &f.get("status"))?;
        let req = UpdateComponent {
            status: Some(status),
            ..UpdateComponent::default()
        };
        super::update_component(&state.ctx(&s.user), id, &req)
            .await
            .map(|c| format!("{}: {}", c.name, c.status.label().to_lowercase()))
    }
    .await;
    back("/admin/components", result)
}

/// A customer offered in the panel's list.
pub struct CustomerChoice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

/// A component in the panel, with the state this incident gives it (none:
/// not affected).
pub struct AffectedChoice {
    pub id: i64,
    pub name: String,
    pub status: Option<ComponentStatus>,
}

/// The incident page's "Affected customers" panel.
pub struct AffectedPanel {
    /// The mode's word (`customers`), empty when not set yet.
    pub mode: String,
    /// Whom it affects, in words.
    pub summary: String,
    pub customers: Vec<CustomerChoice>,
    pub components: Vec<AffectedChoice>,
    /// The affected components in words: `Web (major outage)`.
    pub components_now: Vec<String>,
    pub statuses: &'static [ComponentStatus],
    pub modes: &'static [(&'static str, &'static str)],
    /// May change the incident (the forms are shown).
    pub can_edit: bool,
}

const MODES: &[(&str, &str)] = &[
    ("nobody", "Nobody (internal)"),
    ("customers", "These customers"),
    ("components", "Customers of the affected components"),
    ("all", "All customers"),
];

/// The panel for incident `id`, which the user can see. Customer names are
/// shown to those who may read customers; others see how many.
pub async fn affected_panel(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<AffectedPanel, ApiError> {
    let a = state.store.incident_affected(id).await?;
    let can_read = allowed(user.role, Action::ReadCustomers);
    let all = if can_read {
        state.store.list_customers().await?
    } else {
        Vec::new()
    };
    let components = state.store.list_components().await?;
    let names: Vec<&str> = all
        .iter()
        .filter(|c| a.customer_ids.contains(&c.id))
        .map(|c| c.name.as_str())
        .collect();
    let who = if !can_read {
        match a.customer_ids.len() {
            1 => "1 customer".to_owned(),
            n => format!("{n} customers"),
        }
    } else if names.is_empty() {
        "none yet".to_owned()
    } else {
        names.join(", ")
    };
    let summary = match a.mode {
        None => "Not set yet.".to_owned(),
        Some(AffectedMode::Nobody) => "Nobody: an internal incident.".to_owned(),
        Some(AffectedMode::Customers) => format!("These customers: {who}."),
        Some(AffectedMode::Components) => {
            format!("The customers of the affected components: {who}.")
        }
        Some(AffectedMode::All) => format!("All customers ({who})."),
    };
    let selected = match a.mode {
        Some(AffectedMode::Customers) => a.customer_ids.clone(),
        _ => Vec::new(),
    };
    let components_now = a
        .components
        .iter()
        .map(|c| format!("{} ({})", c.name, c.status.label().to_lowercase()))
        .collect();
    Ok(AffectedPanel {
        components_now,
        mode: a.mode.map(|m| m.as_str().to_owned()).unwrap_or_default(),
        summary,
        customers: all
            .into_iter()
            .map(|c| CustomerChoice {
                selected: selected.contains(&c.id),
                id: c.id,
                name: c.name,
            })
            .collect(),
        components: components
            .into_iter()
            .map(|c| AffectedChoice {
                status: a
                    .components
                    .iter()
                    .find(|x| x.component_id == c.id)
                    .map(|x| x.status),
                id: c.id,
                name: c.name,
            })
            .collect(),
        statuses: ComponentStatus::ALL,
        modes: MODES,
        can_edit: allowed(user.role, Action::Respond),
    })
}

/// The incident's id, or the error page.
fn incident_of(s: &SessionInfo, raw: &str) -> Result<i64, Box<Response>> {
    parse_incident_ref(raw).ok_or_else(|| {
        Box::new(error_page(
            s,
            ApiError::NotFound(format!("incident `{raw}`")),
        ))
    })
}

async fn set_affected(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let id = match incident_of(&s, &raw) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let result = async {
        let mode: AffectedMode = crate::web::parse_field("mode", &f.get("mode"))?;
        let chosen = ids("customer_ids", &f.all("customer"))?;
        let req = SetIncidentAffected {
            mode,
            customer_ids: (mode == AffectedMode::Customers).then_some(chosen),
        };
        crate::actions::affected::set_affected(&state.ctx(&s.user), id, &req).await?;
        Ok("Affected customers saved".to_owned())
    }
    .await;
    back_to_incident(id, result)
}

async fn set_incident_components(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let id = match incident_of(&s, &raw) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let result = async {
        let mut components = Vec::new();
        for (k, v) in &f.pairs {
            let Some(cid) = k.strip_prefix("status-") else {
                continue;
            };
            if v.trim().is_empty() {
                continue;
            }
            let component_id = cid
                .parse::<i64>()
                .map_err(|_| ApiError::bad("components", format!("`{k}` is not a component")))?;
            let status: ComponentStatus = crate::web::parse_field("components", v.trim())?;
            components.push(ComponentState {
                component_id,
                status,
            });
        }
        crate::actions::affected::set_components(
            &state.ctx(&s.user),
            id,
            &SetIncidentComponents { components },
        )
        .await?;
        Ok("Affected components saved".to_owned())
    }
    .await;
    back_to_incident(id, result)
}
