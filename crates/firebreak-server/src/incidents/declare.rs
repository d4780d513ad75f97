//! Declaring an incident on the web: the declare page, its form (also the
//! triage page's declare-from-report form) and the impact facts it offers.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};

use firebreak_api::{DeclareIncident, ImpactFacts, Kind, Role, Severity, User};

use firebreak_core::auth::Action;

use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::web::csrf::WebForm;
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back, error_page, non_empty, page, parse_field,
};

/// The impact facts the declare and triage forms offer, as checkbox name
/// and label: core's one list.
pub const FACT_NAMES: &[(&str, &str)] = ImpactFacts::LABELS;

fn facts_from(names: &[String]) -> Result<ImpactFacts, ApiError> {
    ImpactFacts::from_names(names).map_err(|e| ApiError::bad("fact", e.to_string()))
}

#[derive(Template)]
#[template(path = "declare.html")]
struct DeclarePage {
    layout: Layout,
    severities: &'static [Severity],
    fact_names: &'static [(&'static str, &'static str)],
    users: Vec<User>,
    default_security: bool,
}

pub async fn declare_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Flash,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::Triage) {
        return error_page(&s, e);
    }
    let users = match state.store.directory().await {
        Ok(d) => crate::escalate::assignable_users(&d),
        Err(e) => return error_page(&s, e.into()),
    };
    page(&DeclarePage {
        layout: Layout::signed_in(&s, f),
        severities: Severity::ALL,
        fact_names: FACT_NAMES,
        users,
        default_security: s.user.role == Role::Security,
    })
}

/// A declare form (direct or from a report). Repeated `fact` fields need
/// a sequence, which `serde_urlencoded` cannot give, so the body is parsed
/// by hand.
#[derive(Default)]
pub struct DeclareForm {
    csrf: String,
    title: String,
    summary: String,
    kind: String,
    severity: String,
    severity_reason: String,
    owner: String,
    facts: Vec<String>,
}

fn declare_form(body: &[u8]) -> DeclareForm {
    let mut f = DeclareForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "csrf" => f.csrf = v,
            "title" => f.title = v,
            "summary" => f.summary = v,
            "kind" => f.kind = v,
            "severity" => f.severity = v,
            "severity_reason" => f.severity_reason = v,
            "owner" => f.owner = v,
            "fact" => f.facts.push(v),
            _ => {}
        }
    }
    f
}

pub fn declare_request(f: &DeclareForm) -> Result<DeclareIncident, ApiError> {
    let kind: Kind = parse_field("kind", &f.kind)?;
    let severity = match non_empty(&f.severity) {
        Some(s) => Some(
            s.parse::<Severity>()
                .map_err(|e| ApiError::bad("severity", e.to_string()))?,
        ),
        None => None,
    };
    Ok(DeclareIncident {
        title: f.title.clone(),
        summary: non_empty(&f.summary),
        kind,
        severity,
        severity_reason: non_empty(&f.severity_reason),
        facts: Some(facts_from(&f.facts)?),
        owner: non_empty(&f.owner),
        lead: None,
        service: None,
    })
}

pub async fn declare(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<DeclareForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async { actions::declare(&c, &declare_request(&f)?, None).await }.await;
    match result {
        Ok(i) => back(
            &format!("/incidents/{}", i.id),
            Ok(format!("{} declared", i.reference)),
        ),
        Err(e) => back("/incidents/new", Err(e)),
    }
}

impl WebForm for DeclareForm {
    fn csrf(&self) -> Option<&str> {
        Some(&self.csrf)
    }

    /// Any body is read (fields it lacks are empty): the CSRF check refuses
    /// what is not a declare form.
    async fn read(req: Request, state: &AppState) -> Result<Self, Response> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(declare_form(&body))
    }
}

#[cfg(test)]
mod tests;
