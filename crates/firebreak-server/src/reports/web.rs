//! The report pages: the report form, and triaging one report from the
//! triage page (declare from it, link it, dismiss it).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_api::{DismissReport, NewReport, ReportSource, parse_incident_ref};

use super::triage_page::back_to_queue;
use crate::AppState;
use crate::actions;
use crate::error::ApiError;
use crate::incidents::declare::{DeclareForm, declare_request};
use crate::web::csrf::url_encoded_forms;
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, non_empty, page};
use firebreak_core::auth::Action;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", post(submit_report))
        .route("/reports/new", get(report_page))
        .route("/reports/{id}/declare", post(declare_report))
        .route("/reports/{id}/link", post(link_report))
        .route("/reports/{id}/dismiss", post(dismiss_report))
        .merge(super::triage_page::routes())
}

#[derive(Template)]
#[template(path = "report_new.html")]
struct ReportPage {
    layout: Layout,
    sources: &'static [ReportSource],
}

async fn report_page(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::SubmitReport) {
        return error_page(&s, e);
    }
    page(&ReportPage {
        layout: Layout::signed_in(&s, f),
        sources: ReportSource::ALL,
    })
}

#[derive(Deserialize)]
struct ReportForm {
    csrf: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    reporter: String,
    #[serde(default)]
    confidential: Option<String>,
}

async fn submit_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<ReportForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        let source = match non_empty(&f.source) {
            Some(src) => Some(
                ReportSource::parse(&src)
                    .ok_or_else(|| ApiError::bad("source", format!("unknown source `{src}`")))?,
            ),
            None => None,
        };
        let req = NewReport {
            title: f.title.clone(),
            description: non_empty(&f.description),
            source,
            reporter: non_empty(&f.reporter),
            confidential: Some(f.confidential.is_some()),
            service: None,
        };
        crate::disclosures::intake::submit_report(&state, &c, &req, ReportSource::Manual).await
    }
    .await;
    match result {
        // The queue, with the new report open under its row.
        Ok(r) => back(
            &format!("/triage?open={0}#report-{0}", r.id),
            Ok(format!("Report {} is in the triage queue", r.id)),
        ),
        Err(e) => back("/reports/new", Err(e)),
    }
}

async fn declare_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DeclareForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        let report = c.report(id).await?;
        let mut req = declare_request(&f)?;
        if req.title.trim().is_empty() {
            req.title = report.title.clone();
        }
        if req.summary.is_none() {
            req.summary = non_empty(&report.description);
        }
        actions::declare(&c, &req, Some(id)).await
    }
    .await;
    match result {
        Ok(i) => back(
            &format!("/incidents/{}", i.id),
            Ok(format!("{} declared from report {id}", i.reference)),
        ),
        // Back to the queue with the report's declare form open again.
        Err(e) => back(&format!("/triage?open={id}#report-{id}"), Err(e)),
    }
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    incident: String,
    /// The queue's filters, to come back to them.
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

async fn link_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<LinkForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        let incident = parse_incident_ref(&f.incident).ok_or_else(|| {
            ApiError::invalid(
                "incident",
                format!("`{}` is not an incident reference", f.incident),
            )
        })?;
        actions::link_report(&c, id, incident).await.map(|r| {
            format!(
                "Report {} linked to {}",
                r.id,
                r.incident_ref.unwrap_or_default()
            )
        })
    }
    .await;
    back(&back_to_queue(&f.source, &f.service), result)
}

#[derive(Deserialize)]
struct DismissForm {
    csrf: String,
    reason: String,
    /// The queue's filters, to come back to them.
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

async fn dismiss_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DismissForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = actions::dismiss_report(
        &c,
        id,
        &DismissReport {
            reason: f.reason.clone(),
        },
    )
    .await
    .map(|r| format!("Report {} dismissed", r.id));
    back(&back_to_queue(&f.source, &f.service), result)
}

url_encoded_forms!(ReportForm, LinkForm, DismissForm);
