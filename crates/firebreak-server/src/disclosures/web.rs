//! The security team's pages: `/disclosures` (the list: tracking id,
//! title, state, severity, next due date with overdue in red, and a red
//! warning when reminders reach nobody) and `/disclosures/{id}` (the
//! record, due dates, the conversation with a reply form and the
//! internal-note checkbox, files, timeline, and the forms of the
//! workflow). The forms call the functions the API calls. To anyone
//! without `read_disclosures` the list is forbidden and every record is
//! missing, the same page as a wrong id.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use firebreak_api::Severity;
use firebreak_api::disclosure::{
    DeclareFromDisclosure, Disclosure, DisclosureDetail, DisclosureReply, DisclosureState,
    MoveDisclosure, SetCvss, SetEmbargo, TriageDisclosure, TriageOutcome,
};
use firebreak_core::auth::{Action, allowed};

use super::{remind, staff};
use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::url_encoded_forms;
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/disclosures", get(list_page))
        .route("/disclosures/{id}", get(detail_page))
        .route("/disclosures/{id}/reply", post(reply))
        .route("/disclosures/{id}/acknowledge", post(acknowledge))
        .route("/disclosures/{id}/triage", post(triage))
        .route("/disclosures/{id}/cvss", post(cvss))
        .route("/disclosures/{id}/embargo", post(embargo))
        .route("/disclosures/{id}/incident", post(declare))
        .route("/disclosures/{id}/state", post(move_state))
}

fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// One row of the list.
struct Row {
    d: Disclosure,
    next_due: Option<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "disclosures.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    state: String,
    states: &'static [DisclosureState],
    nobody_reminded: bool,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    state: String,
}

async fn list_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
    f: Flash,
) -> Response {
    let cx = state.ctx(&s.user);
    let loaded = async {
        let filter = match q.state.trim() {
            "" => None,
            raw => Some(
                raw.parse::<DisclosureState>()
                    .map_err(|e| ApiError::invalid("state", e.to_string()))?,
            ),
        };
        let list = staff::list(&cx, filter).await?;
        let dir = state.store.directory().await?;
        Ok::<_, ApiError>((list, remind::recipients(&dir, &state.config.escalation)))
    }
    .await;
    let (list, recipients) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&s, e),
    };
    let policy = &state.config.disclosure;
    let rows = list
        .iter()
        .map(|r| {
            let d = r.view(policy, cx.now);
            let next_due = d
                .due
                .iter()
                .min_by_key(|x| x.at)
                .map(|x| (x.what.label().to_owned(), time(&x.at), x.overdue));
            Row { d, next_due }
        })
        .collect();
    page(&ListPage {
        layout: Layout::signed_in(&s, f),
        rows,
        state: q.state,
        states: DisclosureState::ALL,
        nobody_reminded: recipients.is_empty(),
    })
}

#[derive(Template)]
#[template(path = "disclosure.html")]
struct DetailPage {
    layout: Layout,
    x: DisclosureDetail,
    can_manage: bool,
    severities: &'static [Severity],
    outcomes: &'static [TriageOutcome],
    embargo_date: String,
}

impl DetailPage {
    fn time(t: &DateTime<Utc>) -> String {
        time(t)
    }

    fn time_opt(t: &Option<DateTime<Utc>>) -> String {
        t.as_ref().map(time).unwrap_or_else(|| "—".to_owned())
    }

    fn score(s: &Option<f64>) -> String {
        s.map(|s| format!("{s:.1}")).unwrap_or_default()
    }

    fn detail(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Object(m) if m.is_empty() => String::new(),
            serde_json::Value::Object(m) => m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}: {s}"),
                    v => format!("{k}: {v}"),
                })
                .collect::<Vec<_>>()
                .join("; "),
            v => v.to_string(),
        }
    }
}

async fn detail_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    f: Flash,
) -> Response {
    let cx = state.ctx(&s.user);
    let loaded = async {
        let d = staff::find(&cx, &id).await?;
        staff::detail(&cx, &d, &state.config.disclosure).await
    }
    .await;
    let x = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&s, e),
    };
    page(&DetailPage {
        layout: Layout::signed_in(&s, f),
        embargo_date: x.disclosure.embargo_until.format("%Y-%m-%d").to_string(),
        x,
        can_manage: allowed(s.user.role, Action::ManageDisclosures),
        severities: Severity::ALL,
        outcomes: &[
            TriageOutcome::Valid,
            TriageOutcome::Duplicate,
            TriageOutcome::NotApplicable,
        ],
    })
}

/// Where a form goes back to: the record, by the id it was reached by.
fn to(id: &str) -> String {
    format!("/disclosures/{}", id.trim())
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

#[derive(Deserialize)]
struct ReplyForm {
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    internal: Option<String>,
}

async fn reply(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ReplyForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let internal = f.internal.is_some();
    let req = DisclosureReply {
        body: f.body,
        internal,
    };
    let result = staff::reply(&cx, &id, &req).await.map(|d| {
        if internal {
            "Internal note added".to_owned()
        } else if d.researcher_email.is_some() {
            "Reply sent to the researcher".to_owned()
        } else {
            "Reply added: the researcher sees it through their status link".to_owned()
        }
    });
    finish(&s, &id, result)
}

/// Back to the record; a record the user may not see is the 404 page.
fn finish(
    s: &firebreak_store::SessionInfo,
    id: &str,
    result: Result<String, ApiError>,
) -> Response {
    match result {
        Err(e @ ApiError::NotFound(_)) => error_page(s, e),
        r => back(&to(id), r),
    }
}

#[derive(Deserialize)]
struct PlainForm {
    csrf: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm<PlainForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let result = staff::acknowledge(&cx, &id)
        .await
        .map(|d| format!("{} acknowledged", d.tracking_id));
    finish(&s, &id, result)
}

#[derive(Deserialize)]
struct TriageForm {
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    duplicate_of: String,
}

async fn triage(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<TriageForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let result = async {
        let outcome = f
            .outcome
            .parse::<TriageOutcome>()
            .map_err(|e| ApiError::invalid("outcome", e.to_string()))?;
        let req = TriageDisclosure {
            outcome,
            reason: opt(&f.reason),
            duplicate_of: opt(&f.duplicate_of),
        };
        staff::triage(&cx, &id, &req)
            .await
            .map(|d| format!("{} triaged as {outcome}", d.tracking_id))
    }
    .await;
    finish(&s, &id, result)
}

#[derive(Deserialize)]
struct CvssForm {
    csrf: String,
    #[serde(default)]
    vector: String,
}

async fn cvss(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<CvssForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let req = SetCvss { vector: f.vector };
    let result = staff::set_cvss(&cx, &id, &req, &state.config.disclosure)
        .await
        .map(|d| {
            format!(
                "Scored {}: {}",
                d.cvss_score()
                    .map(|s| format!("{s:.1}"))
                    .unwrap_or_default(),
                d.severity.map(|s| s.to_string()).unwrap_or_default()
            )
        });
    finish(&s, &id, result)
}

#[derive(Deserialize)]
struct EmbargoForm {
    csrf: String,
    /// `YYYY-MM-DD` (a date field; the date's start, UTC) or
    /// `YYYY-MM-DDTHH:MM`.
    #[serde(default)]
    embargo_until: String,
    #[serde(default)]
    reason: String,
}

fn parse_date(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    let raw = raw.trim();
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            ApiError::invalid(field, format!("`{field}` is a date like 2026-06-30 (UTC)"))
        })
}

async fn embargo(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<EmbargoForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let result = async {
        let req = SetEmbargo {
            embargo_until: parse_date("embargo_until", &f.embargo_until)?,
            reason: f.reason.clone(),
        };
        staff::set_embargo(&cx, &id, &req).await.map(|d| {
            format!(
                "Public-disclosure date of {} is now {}: the researcher is told",
                d.tracking_id,
                d.embargo_until.format("%Y-%m-%d")
            )
        })
    }
    .await;
    finish(&s, &id, result)
}

#[derive(Deserialize)]
struct DeclareForm {
    csrf: String,
    #[serde(default)]
    severity: String,
}

async fn declare(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<DeclareForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let result = async {
        let severity = match f.severity.trim() {
            "" => None,
            raw => Some(
                raw.parse::<Severity>()
                    .map_err(|e| ApiError::invalid("severity", e.to_string()))?,
            ),
        };
        let req = DeclareFromDisclosure {
            severity,
            lead: None,
        };
        staff::declare(&cx, &id, &req)
            .await
            .map(|(_, i)| format!("Security incident {} declared", i.reference))
    }
    .await;
    finish(&s, &id, result)
}

#[derive(Deserialize)]
struct StateForm {
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    message: String,
}

async fn move_state(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<StateForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let result = async {
        let to_state = f
            .state
            .parse::<DisclosureState>()
            .map_err(|e| ApiError::invalid("state", e.to_string()))?;
        let req = MoveDisclosure {
            state: to_state,
            message: opt(&f.message),
        };
        staff::move_to(&cx, &id, &req)
            .await
            .map(|d| format!("{} is {}", d.tracking_id, d.state.label()))
    }
    .await;
    finish(&s, &id, result)
}

url_encoded_forms!(
    ReplyForm,
    PlainForm,
    TriageForm,
    CvssForm,
    EmbargoForm,
    DeclareForm,
    StateForm
);
