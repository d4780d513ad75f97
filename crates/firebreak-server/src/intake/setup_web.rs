//! The integrations page (`/admin/integrations`), for those who may manage
//! integrations through the API (`Action::ManageUsers`: admins): the list,
//! a form to create one, and per integration a test alert, a new key and
//! disabling.
//!
//! Every change goes through the API's own functions
//! (`integrations::create_checked`, `rotate_checked`, `disable_checked`),
//! so the page refuses exactly what the API refuses. A new integration's
//! key (and a rotated one) is shown once, on the page answering the form
//! (200, not a redirect: the key must not travel in the flash cookie); the
//! store keeps only its hash. URLs are built from the configured
//! `public_url`, as the API's are.
//!
//! "Send a test alert" hands a sample alert in the integration's own
//! format ([`super::setup_samples`]) to the same ingest path the tool's
//! requests take, as that integration: routing rules, silences, maintenance
//! windows and deduplication all apply, and a report lands in the triage
//! queue. The page says what became of it.
//!
//! They share the intake runtime with the API (the one alert writer and the
//! key cache that a rotation or a disabling must clear): [`crate::http`]
//! layers one [`Runtime`] over the API and the web pages alike.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use firebreak_api::intake::{CreateIntegration, IntegrationCreated, IntegrationKind};
use firebreak_core::auth::Action;
use firebreak_intake::generic::Mapping;
use firebreak_store::SessionInfo;

use super::ingest::AlertResult;
use super::integrations::{create_checked, disable_checked, rotate_checked};
use super::setup_samples::{KINDS, can_test, config_example, kind_of, test_alerts};
use super::wire::positive_id;
use super::{Runtime, load_integration};
use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::{TokenOnly, url_encoded_forms};
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back, error_page, non_empty, page_with_status, parse_field,
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/integrations", get(list).post(create))
        .route("/admin/integrations/{id}/rotate", post(rotate))
        .route("/admin/integrations/{id}/disable", post(disable))
        .route("/admin/integrations/{id}/test-alert", post(test_alert))
}

/// The create form's fields.
#[derive(Deserialize)]
pub(super) struct IntegrationForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    service: String,
    /// A checkbox: sent (as `on`) only when ticked.
    #[serde(default)]
    auto_declare: Option<String>,
    #[serde(default)]
    mapping: String,
    #[serde(default)]
    hmac_secret: String,
}

url_encoded_forms!(IntegrationForm);

/// The create form as shown: what was entered, or the defaults.
pub(super) struct Fields {
    pub name: String,
    pub kind: String,
    pub service: String,
    pub auto_declare: bool,
    pub mapping: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            name: String::new(),
            kind: IntegrationKind::Alertmanager.as_str().to_owned(),
            service: String::new(),
            auto_declare: true,
            mapping: String::new(),
        }
    }
}

impl Fields {
    fn from_form(f: &IntegrationForm) -> Fields {
        Fields {
            name: f.name.trim().to_owned(),
            kind: f.kind.clone(),
            service: f.service.clone(),
            auto_declare: f.auto_declare.is_some(),
            mapping: f.mapping.clone(),
        }
    }

    /// The API's request, refusing a field that cannot be one.
    fn request(&self, f: &IntegrationForm) -> Result<CreateIntegration, ApiError> {
        let kind: IntegrationKind = parse_field("kind", self.kind.trim())?;
        let mapping = match non_empty(&self.mapping) {
            None => None,
            Some(text) => Some(serde_json::from_str::<Mapping>(&text).map_err(|e| {
                ApiError::bad(
                    "mapping",
                    format!("the mapping is not a mapping's JSON: {e}"),
                )
            })?),
        };
        Ok(CreateIntegration {
            name: self.name.clone(),
            kind,
            service: non_empty(&self.service),
            mapping,
            hmac_secret: non_empty(&f.hmac_secret),
            hmac_timestamp_header: None,
            auto_declare: Some(self.auto_declare),
        })
    }
}

/// An integration in the list.
pub(super) struct Row {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub service: Option<String>,
    pub auto_declare: bool,
    pub enabled: bool,
    pub created: String,
    pub key_hint: String,
    pub testable: bool,
}

/// A key shown once: after creating an integration or rotating its key.
pub(super) struct Shown {
    pub id: i64,
    pub name: String,
    /// "created" or "given a new key".
    pub what: &'static str,
    pub url: String,
    pub key: String,
    pub example: String,
}

/// What a test alert became.
pub(super) struct Tested {
    pub name: String,
    pub outcome: String,
    pub report_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    services: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    form: Fields,
    shown: Option<Shown>,
    tested: Option<Tested>,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Extra {
    form: Option<Fields>,
    shown: Option<Shown>,
    tested: Option<Tested>,
    error: Option<ApiError>,
}

async fn list_page(state: &AppState, s: &SessionInfo, flash: Flash, extra: Extra) -> Response {
    let loaded = async {
        let rows = state
            .store
            .integrations()
            .await?
            .into_iter()
            .map(|r| Row {
                testable: r.is_enabled() && kind_of(&r.kind).is_some_and(can_test),
                enabled: r.is_enabled(),
                id: r.id,
                created: r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                key_hint: r.key_hint,
                name: r.name,
                kind: r.kind,
                service: r.service,
                auto_declare: r.auto_declare,
            })
            .collect::<Vec<_>>();
        let services = state
            .store
            .list_services()
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<_>>();
        Ok::<_, ApiError>((rows, services))
    };
    let (rows, services) = match loaded.await {
        Ok(x) => x,
        Err(e) => return error_page(s, e),
    };
    let status = extra
        .error
        .as_ref()
        .map(|e| e.status().0)
        .unwrap_or_default();
    let flash = match &extra.error {
        Some(e) => Flash::error(Some(form_error(e))),
        None => flash,
    };
    page_with_status(
        status,
        &ListPage {
            layout: Layout::signed_in(s, flash),
            rows,
            services,
            kinds: KINDS
                .iter()
                .map(|(k, label)| (k.as_str(), *label))
                .collect(),
            form: extra.form.unwrap_or_default(),
            shown: extra.shown,
            tested: extra.tested,
        },
    )
}

/// A refused form's message: the field as the form labels it and as the
/// API names it, then what is wrong.
fn form_error(e: &ApiError) -> String {
    if let ApiError::Internal(detail) = e {
        tracing::error!(error = %detail, "internal error in the integrations form");
        return "Something went wrong on our side; it has been logged.".to_owned();
    }
    let detail = e.to_string();
    let label = |field: &str| match field.split('.').next().unwrap_or_default() {
        "name" => "Name",
        "kind" => "Kind",
        "service" => "Service",
        "mapping" => "Mapping",
        "hmac_secret" => "Signing secret",
        _ => "Form",
    };
    match e.problem().field {
        Some(field) => format!("{} (`{field}`): {detail}", label(&field)),
        None => detail,
    }
}

/// The list with a new key shown once, answering the form itself (200):
/// the key never travels in the flash cookie.
async fn key_once_page(
    state: &AppState,
    s: &SessionInfo,
    created: IntegrationCreated,
    what: &'static str,
) -> Response {
    let extra = Extra {
        shown: Some(shown(state, created, what)),
        ..Extra::default()
    };
    list_page(state, s, Flash::default(), extra).await
}

fn shown(state: &AppState, c: IntegrationCreated, what: &'static str) -> Shown {
    let kind = kind_of(&c.integration.kind).unwrap_or(IntegrationKind::Alertmanager);
    Shown {
        example: config_example(kind, &state.config.public_url, &c.url, &c.key),
        id: c.integration.id,
        name: c.integration.name,
        what,
        url: c.url,
        key: c.key,
    }
}

/// The integrations, and the form to create one.
pub(super) async fn list(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageUsers) {
        return error_page(&s, e);
    }
    list_page(&state, &s, f, Extra::default()).await
}

/// Creates an integration and shows its URL and key, once.
pub(super) async fn create(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<IntegrationForm>,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageUsers) {
        return error_page(&s, e);
    }
    let form = Fields::from_form(&f);
    let result = async {
        let req = form.request(&f)?;
        create_checked(&state, &c, &req).await
    }
    .await;
    match result {
        Ok(created) => key_once_page(&state, &s, created, "created").await,
        Err(e) => {
            list_page(
                &state,
                &s,
                Flash::default(),
                Extra {
                    form: Some(form),
                    error: Some(e),
                    ..Extra::default()
                },
            )
            .await
        }
    }
}

/// A new key, shown once; the old one stops working.
pub(super) async fn rotate(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<TokenOnly>,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageUsers) {
        return error_page(&s, e);
    }
    let result = async {
        let id = positive_id("integration", &id)?;
        rotate_checked(&state, &rt, &c, id).await
    }
    .await;
    match result {
        Ok(created) => key_once_page(&state, &s, created, "given a new key").await,
        Err(e) => error_page(&s, e),
    }
}

/// Disables an integration: its key stops working; its reports stay.
pub(super) async fn disable(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<TokenOnly>,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageUsers) {
        return error_page(&s, e);
    }
    let result = async {
        let id = positive_id("integration", &id)?;
        disable_checked(&rt, &c, id).await
    }
    .await;
    match result {
        Ok(r) => back(
            "/admin/integrations",
            Ok(format!(
                "Integration {} disabled: its key no longer works.",
                r.name
            )),
        ),
        Err(e @ ApiError::NotFound(_)) => error_page(&s, e),
        Err(e) => back("/admin/integrations", Err(e)),
    }
}

/// What the page says a test alert became.
fn outcome_text(r: &AlertResult) -> String {
    let report = r
        .report_id
        .map(|id| format!("report #{id}"))
        .unwrap_or_else(|| "no report".to_owned());
    let disposition = r.disposition.as_deref().unwrap_or("triage");
    let fate = match disposition {
        "silenced" => " A silence matched it: it is logged, not declared, and nobody is paged.",
        "maintenance" => {
            " Its service is in a maintenance window: it is logged, not declared, and nobody is paged."
        }
        "declare" => " A routing rule declares alerts like it.",
        _ => " It waits in the triage queue; nobody is paged.",
    };
    let head = match r.outcome {
        "opened" => format!("Accepted: {report} created."),
        "repeated" => format!(
            "Accepted: folded into {report}, where the same test alert is still open (seen {} times).",
            r.count
        ),
        other => format!("Accepted ({other}): {report}."),
    };
    let incident = match &r.incident {
        Some(i) => format!(" Incident {i} was declared from it."),
        None => String::new(),
    };
    format!("{head}{fate}{incident}")
}

/// Sends the integration's test alert through the real ingest path and
/// shows what became of it.
pub(super) async fn test_alert(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<TokenOnly>,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageUsers) {
        return error_page(&s, e);
    }
    let result = async {
        let id = positive_id("integration", &id)?;
        let record = state
            .store
            .integration(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("integration {id}")))?;
        if !record.is_enabled() {
            return Err(ApiError::Conflict(format!(
                "integration {} is disabled: its alerts are refused",
                record.name
            )));
        }
        let kind = kind_of(&record.kind)
            .ok_or_else(|| ApiError::Internal(format!("integration kind `{}`", record.kind)))?;
        let alerts = test_alerts(kind, &record.name, &s.user.name, c.now)?.ok_or_else(|| {
            ApiError::Conflict(format!(
                "an {} integration has no test alert: send it a message",
                record.kind
            ))
        })?;
        let integration = load_integration(&state, record).await?;
        let results = rt.ingest(&state, &integration, alerts).await?;
        Ok::<_, ApiError>((integration.record.name.clone(), results))
    }
    .await;
    match result {
        Ok((name, results)) => {
            let first = results.first();
            let tested = Tested {
                name,
                outcome: first.map(outcome_text).unwrap_or_else(|| {
                    "The test alert made no alert (nothing was stored).".to_owned()
                }),
                report_id: first.and_then(|r| r.report_id),
            };
            list_page(
                &state,
                &s,
                Flash::default(),
                Extra {
                    tested: Some(tested),
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e @ ApiError::NotFound(_)) => error_page(&s, e),
        Err(e) => back("/admin/integrations", Err(e)),
    }
}
