//! The routing rules page: the rules in evaluation order, a form to add
//! one, a page to edit one, a button to delete one, and the "test a
//! payload" panel, which answers what `POST /api/v1/intake/test` answers.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use firebreak_api::intake::{IntegrationKind, RuleBody, RuleView, TestPayload};
use firebreak_core::auth::{Action, allowed};
use firebreak_core::{Kind, Severity};
use firebreak_store::SessionInfo;

use super::{RulesForm, form_error, parse_matchers};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};
use crate::intake::wire::{positive_id, rule_view};
use crate::intake::{Runtime, integrations, routing};
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back, error_page, non_empty, page_with_status, parse_field,
};

/// A rule as its form holds it.
pub(super) struct RuleFields {
    pub name: String,
    pub position: String,
    pub enabled: bool,
    /// One matcher per line.
    pub matchers: String,
    /// Empty: the rule leaves the service alone.
    pub service: String,
    pub kind: String,
    pub severity: String,
    pub declare: bool,
}

impl Default for RuleFields {
    fn default() -> Self {
        RuleFields {
            name: String::new(),
            position: String::new(),
            enabled: true,
            matchers: String::new(),
            service: String::new(),
            kind: String::new(),
            severity: String::new(),
            declare: false,
        }
    }
}

impl RuleFields {
    fn from_form(f: &RulesForm) -> RuleFields {
        RuleFields {
            name: f.get("name"),
            position: f.get("position"),
            enabled: f.checked("enabled"),
            matchers: f.get("matchers"),
            service: f.get("service"),
            kind: f.get("kind"),
            severity: f.get("severity"),
            declare: f.checked("declare"),
        }
    }

    fn from_view(r: &RuleView) -> RuleFields {
        RuleFields {
            name: r.name.clone(),
            position: r.position.to_string(),
            enabled: r.enabled,
            matchers: r.matchers.join("\n"),
            service: r.set_service.clone().unwrap_or_default(),
            kind: r
                .set_kind
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            severity: r
                .set_severity
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            declare: r.declare,
        }
    }

    /// The API's body; a field the form cannot turn into one is refused
    /// with its name.
    fn body(&self) -> Result<RuleBody, ApiError> {
        let position =
            match non_empty(&self.position) {
                None => None,
                Some(p) => Some(p.parse::<i64>().map_err(|_| {
                    ApiError::bad("position", format!("`{p}` is not a whole number"))
                })?),
            };
        Ok(RuleBody {
            name: self.name.clone(),
            position,
            enabled: self.enabled,
            matchers: parse_matchers(&self.matchers)?,
            set_service: non_empty(&self.service),
            set_kind: match non_empty(&self.kind) {
                None => None,
                Some(k) => Some(parse_field::<Kind>("set_kind", &k)?),
            },
            set_severity: match non_empty(&self.severity) {
                None => None,
                Some(s) => Some(parse_field::<Severity>("set_severity", &s)?),
            },
            declare: self.declare,
        })
    }
}

/// The payload test's form.
pub(super) struct TestFields {
    pub kind: String,
    /// An integration id, or empty.
    pub integration: String,
    pub payload: String,
}

impl Default for TestFields {
    fn default() -> Self {
        TestFields {
            kind: "alertmanager".into(),
            integration: String::new(),
            payload: SAMPLE.into(),
        }
    }
}

/// A realistic Alertmanager webhook (version 4) with one firing alert.
const SAMPLE: &str = r#"{
  "version": "4",
  "groupKey": "{}:{alertname=\"CheckoutLatencyHigh\"}",
  "status": "firing",
  "receiver": "firebreak",
  "groupLabels": {"alertname": "CheckoutLatencyHigh"},
  "commonLabels": {"alertname": "CheckoutLatencyHigh", "severity": "critical", "env": "prod", "service": "checkout"},
  "commonAnnotations": {"summary": "p99 latency of checkout over 2 s for 10 minutes"},
  "externalURL": "http://alertmanager.example:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "CheckoutLatencyHigh", "severity": "critical", "env": "prod", "service": "checkout", "instance": "checkout-7f9c:8080"},
      "annotations": {"summary": "p99 latency of checkout over 2 s for 10 minutes"},
      "startsAt": "2026-03-02T09:50:00Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example:9090/graph?g0.expr=checkout_latency",
      "fingerprint": "5b2f3c1d9e8a7b6c"
    }
  ]
}"#;

/// One alert of a tested payload, as routing leaves it.
pub(super) struct TestedAlert {
    pub title: String,
    pub dedup_key: String,
    pub rule: Option<String>,
    pub service: Option<String>,
    pub kind: String,
    pub severity: Option<String>,
    pub status: String,
    /// `triage`, `declare`, `silenced` or `maintenance`.
    pub disposition: String,
    /// What the disposition means, in words.
    pub meaning: String,
    pub silenced_by: Option<String>,
    pub maintenance: Option<String>,
}

/// What the payload test answered.
pub(super) struct TestOutcome {
    pub error: Option<String>,
    pub alerts: Vec<TestedAlert>,
    /// For a generic integration: the mapping's error, if any.
    pub mapping_error: Option<String>,
}

/// A rule in the list.
pub(super) struct RuleRow {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub enabled: bool,
    pub matchers: Vec<String>,
    pub actions: Vec<String>,
}

impl RuleRow {
    fn of(r: RuleView) -> RuleRow {
        let mut actions = Vec::new();
        if let Some(s) = &r.set_service {
            actions.push(format!("service {s}"));
        }
        if let Some(s) = r.set_severity {
            actions.push(format!("severity {s}"));
        }
        if let Some(k) = r.set_kind {
            actions.push(format!("kind {k}"));
        }
        actions.push(if r.declare {
            "declare an incident".to_owned()
        } else {
            "to the triage queue".to_owned()
        });
        RuleRow {
            id: r.id,
            position: r.position,
            name: r.name,
            enabled: r.enabled,
            matchers: r.matchers,
            actions,
        }
    }
}

/// What the rule form offers.
pub(super) struct Choices {
    pub services: Vec<String>,
    pub kinds: Vec<&'static str>,
    pub severities: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "routing.html")]
struct ListPage {
    layout: Layout,
    rules: Vec<RuleRow>,
    choices: Choices,
    form: RuleFields,
    /// Whether the viewer may add, change and delete rules.
    can_manage: bool,
    test: TestFields,
    /// `(id, "name (kind)")`, for admins only (they manage integrations).
    integrations: Vec<(i64, String)>,
    kinds: Vec<&'static str>,
    outcome: Option<TestOutcome>,
    payload_limit_kib: usize,
}

#[derive(Template)]
#[template(path = "routing_rule.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    choices: Choices,
    form: RuleFields,
}

async fn choices(state: &AppState) -> Result<Choices, ApiError> {
    Ok(Choices {
        services: state
            .store
            .list_services()
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect(),
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        severities: Severity::ALL.iter().map(|s| s.as_str()).collect(),
    })
}

const TEST_KINDS: &[&str] = &["alertmanager", "grafana", "pagerduty", "generic"];

async fn list_page(
    state: &AppState,
    s: &SessionInfo,
    form: RuleFields,
    test: TestFields,
    outcome: Option<TestOutcome>,
    flash: Flash,
    error: Option<ApiError>,
) -> Response {
    let admin = allowed(s.user.role, Action::ManageUsers);
    let loaded = async {
        let rules = state
            .store
            .intake_rules()
            .await?
            .iter()
            .filter_map(rule_view)
            .map(RuleRow::of)
            .collect();
        let integrations = if admin {
            state
                .store
                .integrations()
                .await?
                .into_iter()
                .filter(|i| i.kind != "email" && i.is_enabled())
                .map(|i| (i.id, format!("{} ({})", i.name, i.kind)))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((rules, integrations, choices(state).await?))
    }
    .await;
    let (rules, integrations, choices) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(s, e),
    };
    let status = error.as_ref().map(|e| e.status().0).unwrap_or_default();
    let flash = match &error {
        Some(e) => Flash::error(Some(form_error(e))),
        None => flash,
    };
    page_with_status(
        status,
        &ListPage {
            layout: Layout::signed_in(s, flash),
            rules,
            choices,
            form,
            can_manage: allowed(s.user.role, Action::ManageServices),
            test,
            integrations,
            kinds: TEST_KINDS.to_vec(),
            outcome,
            payload_limit_kib: state.config.body_limit / 1024,
        },
    )
}

/// The rules, the form to add one, and the payload test (whoever triages).
pub(super) async fn list(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::Triage) {
        return error_page(&s, e);
    }
    list_page(
        &state,
        &s,
        RuleFields::default(),
        TestFields::default(),
        None,
        f,
        None,
    )
    .await
}

/// `GET /admin/routing/test`: the panel lives on the routing page.
pub(super) async fn to_list() -> Response {
    Redirect::to("/admin/routing#test-payload").into_response()
}

/// Adds a rule through the API's handler.
pub(super) async fn create(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<RulesForm>,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let form = RuleFields::from_form(&f);
    let result = match form.body() {
        Ok(body) => routing::create_rule(
            State(state.clone()),
            Extension(rt),
            AuthUser(s.user.clone()),
            ApiJson(body),
        )
        .await
        .map(|(_, view)| view.0),
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => back("/admin/routing", Ok(format!("Rule {} added", r.name))),
        Err(e) => {
            list_page(
                &state,
                &s,
                form,
                TestFields::default(),
                None,
                Flash::default(),
                Some(e),
            )
            .await
        }
    }
}

async fn edit_page(
    state: &AppState,
    s: &SessionInfo,
    id: &str,
    form: Option<RuleFields>,
    flash: Flash,
    error: Option<ApiError>,
) -> Response {
    let loaded = async {
        let id = positive_id("routing rule", id)?;
        let rule = state
            .store
            .intake_rules()
            .await?
            .iter()
            .find(|r| r.id == id)
            .and_then(rule_view)
            .ok_or_else(|| ApiError::NotFound(format!("routing rule `{id}`")))?;
        Ok::<_, ApiError>((rule, choices(state).await?))
    }
    .await;
    let (rule, choices) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(s, e),
    };
    let status = error.as_ref().map(|e| e.status().0).unwrap_or_default();
    let flash = match &error {
        Some(e) => Flash::error(Some(form_error(e))),
        None => flash,
    };
    page_with_status(
        status,
        &EditPage {
            layout: Layout::signed_in(s, flash),
            id: rule.id,
            form: form.unwrap_or_else(|| RuleFields::from_view(&rule)),
            choices,
        },
    )
}

/// A rule's page, to change it (admins and leads).
pub(super) async fn edit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    f: Flash,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    edit_page(&state, &s, &id, None, f, None).await
}

/// Replaces a rule through the API's handler.
pub(super) async fn update(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RulesForm>,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let form = RuleFields::from_form(&f);
    let result = match form.body() {
        Ok(body) => routing::update_rule(
            State(state.clone()),
            Extension(rt),
            AuthUser(s.user.clone()),
            Path(id.clone()),
            ApiJson(body),
        )
        .await
        .map(|view| view.0),
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => back("/admin/routing", Ok(format!("Rule {} saved", r.name))),
        Err(ApiError::NotFound(what)) => error_page(&s, ApiError::NotFound(what)),
        Err(e) => edit_page(&state, &s, &id, Some(form), Flash::default(), Some(e)).await,
    }
}

/// Deletes a rule through the API's handler.
pub(super) async fn delete(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm<RulesForm>,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let result = routing::delete_rule(
        State(state.clone()),
        Extension(rt),
        AuthUser(s.user.clone()),
        Path(id),
    )
    .await;
    back("/admin/routing", result.map(|_| "Rule deleted".to_owned()))
}

/// Tries a sample payload through the API's test handler (whoever
/// triages); stores nothing.
pub(super) async fn test(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<RulesForm>,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::Triage) {
        return error_page(&s, e);
    }
    let fields = TestFields {
        kind: f.get("kind"),
        integration: f.get("integration"),
        payload: f.get("payload"),
    };
    let outcome = match run_test(&state, &s, &fields).await {
        Ok(v) => outcome_of(&v),
        Err(e) => TestOutcome {
            error: Some(form_error(&e)),
            alerts: Vec::new(),
            mapping_error: None,
        },
    };
    list_page(
        &state,
        &s,
        RuleFields::default(),
        fields,
        Some(outcome),
        Flash::default(),
        None,
    )
    .await
}

async fn run_test(state: &AppState, s: &SessionInfo, f: &TestFields) -> Result<Value, ApiError> {
    let limit = state.config.body_limit;
    if f.payload.len() > limit {
        return Err(ApiError::bad(
            "payload",
            format!(
                "the sample is {} KiB; the API takes at most {} KiB",
                f.payload.len().div_ceil(1024),
                limit / 1024
            ),
        ));
    }
    let kind = parse_field::<IntegrationKind>("kind", f.kind.trim())?;
    let integration = match non_empty(&f.integration) {
        None => None,
        Some(i) => Some(i.parse::<i64>().map_err(|_| {
            ApiError::bad("integration", format!("`{i}` is not an integration id"))
        })?),
    };
    let payload: Value = serde_json::from_str(&f.payload)
        .map_err(|e| ApiError::bad("payload", format!("not JSON: {e}")))?;
    let req = TestPayload {
        kind,
        payload,
        mapping: None,
        integration,
        at: None,
    };
    let answer =
        integrations::test_payload(State(state.clone()), AuthUser(s.user.clone()), ApiJson(req))
            .await?;
    serde_json::to_value(&answer.0).map_err(|e| ApiError::Internal(e.to_string()))
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn suppression(v: &Value) -> Option<String> {
    if v.is_null() {
        return None;
    }
    Some(format!(
        "#{}: {}",
        v["id"],
        v["reason"].as_str().unwrap_or_default()
    ))
}

/// The test's answer (`Tested` as JSON) as the panel shows it.
fn outcome_of(v: &Value) -> TestOutcome {
    let alerts = v["alerts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let disposition = text_of(&r["disposition"]).unwrap_or_default();
            let meaning = match disposition.as_str() {
                "declare" => "declares an incident and pages",
                "silenced" => "silenced: logged in the triage queue, never declared",
                "maintenance" => {
                    "in a maintenance window: logged in the triage queue, never declared"
                }
                _ => "goes to the triage queue",
            }
            .to_owned();
            TestedAlert {
                title: text_of(&r["alert"]["title"]).unwrap_or_default(),
                dedup_key: text_of(&r["alert"]["dedup_key"]).unwrap_or_default(),
                rule: text_of(&r["rule"]),
                service: text_of(&r["service"]),
                kind: text_of(&r["kind"]).unwrap_or_default(),
                severity: text_of(&r["alert"]["severity"]),
                status: text_of(&r["alert"]["status"]).unwrap_or_default(),
                disposition,
                meaning,
                silenced_by: suppression(&r["silenced_by"]),
                maintenance: suppression(&r["maintenance"]),
            }
        })
        .collect();
    TestOutcome {
        error: None,
        alerts,
        mapping_error: text_of(&v["explanation"]["error"]),
    }
}
