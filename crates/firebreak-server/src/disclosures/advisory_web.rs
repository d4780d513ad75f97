//! The staff's advisory page (`/disclosures/{id}/advisory`): draft the
//! advisory from the disclosure, edit it, see it as the public will, and
//! publish it once the disclosure is disclosed. The forms call the
//! functions the API calls ([`super::advisories`]), so the web refuses what
//! the API refuses. To anyone without `read_disclosures` the page is the
//! same 404 as a missing one.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_api::disclosure::AdvisoryEdit;
use firebreak_core::auth::{Action, allowed};
use firebreak_core::disclosure::DisclosureState;
use firebreak_store::disclosures::advisories::AdvisoryRecord;

use super::advisories;
use super::published::AdvisoryView;
use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::url_encoded_forms;
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/disclosures/{id}/advisory", get(advisory_page))
        .route("/disclosures/{id}/advisory/draft", post(draft))
        .route("/disclosures/{id}/advisory/edit", post(edit))
        .route("/disclosures/{id}/advisory/publish", post(publish))
}

#[derive(Template)]
#[template(path = "advisory_edit.html")]
struct AdvisoryEditPage {
    layout: Layout,
    disclosure_id: i64,
    tracking_id: String,
    disclosure_title: String,
    state: DisclosureState,
    credit_agreed: bool,
    a: Option<AdvisoryRecord>,
    preview: Option<AdvisoryView>,
    can_manage: bool,
}

impl AdvisoryEditPage {
    fn disclosed(&self) -> bool {
        self.state == DisclosureState::Disclosed
    }
}

fn page_path(id: i64) -> String {
    format!("/disclosures/{id}/advisory")
}

async fn advisory_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    f: Flash,
) -> Response {
    let result = async {
        let a = advisories::of_disclosure(&state, &s.user, &raw).await?;
        let id = advisories::path_ref("disclosure", &raw)?;
        let d = state
            .store
            .disclosure(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("disclosure `{raw}`")))?;
        Ok::<_, ApiError>((a, d))
    }
    .await;
    let (a, d) = match result {
        Ok(found) => found,
        Err(e) => return error_page(&s, e),
    };
    page(&AdvisoryEditPage {
        layout: Layout::signed_in(&s, f),
        disclosure_id: d.id,
        tracking_id: d.tracking_id,
        disclosure_title: d.title,
        state: d.state,
        credit_agreed: d.credit,
        preview: a.as_ref().map(AdvisoryView::of),
        a,
        can_manage: allowed(s.user.role, Action::ManageDisclosures),
    })
}

#[derive(Deserialize)]
struct PlainForm {
    csrf: String,
}

async fn draft(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(_): CsrfForm<PlainForm>,
) -> Response {
    let id = match advisories::path_ref("disclosure", &raw) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    match advisories::draft(&state, &s.user, &raw).await {
        Ok(a) => back(
            &page_path(id),
            Ok(format!(
                "Advisory {} drafted from the disclosure: check it, then publish it once \
                 the disclosure is disclosed",
                a.slug
            )),
        ),
        Err(e @ ApiError::NotFound(_)) => error_page(&s, e),
        Err(e) => back(&page_path(id), Err(e)),
    }
}

#[derive(Deserialize)]
struct EditForm {
    csrf: String,
    #[serde(default)]
    advisory_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    affected: String,
    #[serde(default)]
    fix: String,
    #[serde(default)]
    credit: String,
}

async fn edit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> Response {
    let id = match advisories::path_ref("disclosure", &raw) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    let result = async {
        let a = owned_advisory(&state, &s, &raw, &f.advisory_id).await?;
        let req = AdvisoryEdit {
            title: Some(f.title.clone()),
            summary: Some(f.summary.clone()),
            affected: Some(f.affected.clone()),
            fix: Some(f.fix.clone()),
            credit: Some(f.credit.clone()),
        };
        advisories::edit(&state, &s.user, &a.id.to_string(), &req)
            .await
            .map(|_| "Advisory saved: the preview below shows it as the public will".to_owned())
    }
    .await;
    match result {
        Err(e @ ApiError::NotFound(_)) => error_page(&s, e),
        other => back(&page_path(id), other),
    }
}

#[derive(Deserialize)]
struct PublishForm {
    csrf: String,
    #[serde(default)]
    advisory_id: String,
}

async fn publish(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<PublishForm>,
) -> Response {
    let id = match advisories::path_ref("disclosure", &raw) {
        Ok(id) => id,
        Err(e) => return error_page(&s, e),
    };
    let result = async {
        let a = owned_advisory(&state, &s, &raw, &f.advisory_id).await?;
        advisories::publish(&state, &s.user, &a.id.to_string())
            .await
            .map(|a| format!("Published at /security/advisories/{}", a.slug))
    }
    .await;
    match result {
        Err(e @ ApiError::NotFound(_)) => error_page(&s, e),
        other => back(&page_path(id), other),
    }
}

url_encoded_forms!(PlainForm, EditForm, PublishForm);

/// The disclosure's advisory, which the form names (a form for another
/// disclosure's advisory is refused like a missing one).
async fn owned_advisory(
    state: &AppState,
    s: &firebreak_store::SessionInfo,
    raw: &str,
    advisory_id: &str,
) -> Result<AdvisoryRecord, ApiError> {
    let a = advisories::of_disclosure(state, &s.user, raw)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("advisory of disclosure `{raw}`")))?;
    if a.id.to_string() != advisory_id.trim() {
        return Err(ApiError::Conflict(
            "the advisory changed since the page was shown; reload it".to_owned(),
        ));
    }
    Ok(a)
}
