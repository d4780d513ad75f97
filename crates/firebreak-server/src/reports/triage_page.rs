//! The triage page: the queue with the alert behind each report, filters
//! by source and service, the backlog per source, the noise of the last
//! days per service, and the bulk form (link or dismiss the ticked
//! reports).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_api::{Report, ReportSource, Severity, User};
use firebreak_core::auth::{Action, allowed};

use crate::AppState;
use crate::error::ApiError;
use crate::incidents::declare::FACT_NAMES;
use crate::web::csrf::WebForm;
use crate::web::{CsrfForm, Flash, Layout, WebUser, age, back, encode, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/triage", get(triage_page))
        .route("/triage/bulk", post(bulk_triage))
}

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePage {
    layout: Layout,
    reports: Vec<Report>,
    /// The alert behind each report that has one, by report id.
    alerts: std::collections::HashMap<i64, firebreak_api::intake::AlertBrief>,
    can_triage: bool,
    severities: &'static [Severity],
    fact_names: &'static [(&'static str, &'static str)],
    users: Vec<User>,
    /// The filters: a source and a service name, or "" for any.
    source: String,
    service: String,
    sources: &'static [ReportSource],
    services: Vec<String>,
    /// Per source: untriaged reports and how long the oldest has waited.
    backlog: Vec<(String, i64, String)>,
    /// The noise view: the last [`NOISE_DAYS`] days (oldest first), and per
    /// service its reports on each day and in all.
    noise_days: Vec<String>,
    noise: Vec<(String, Vec<i64>, i64)>,
}

/// Days the triage page's noise view covers.
const NOISE_DAYS: i64 = 7;

impl TriagePage {
    fn age(&self, seconds: &i64) -> String {
        age(*seconds)
    }

    /// One line on the alert behind a report, or "" when none is.
    fn alert_line(&self, report: &i64) -> String {
        let Some(a) = self.alerts.get(report) else {
            return String::new();
        };
        let mut line = format!(
            "Alert from {}: {}, seen {} time{}, last {}",
            a.integration,
            a.status,
            a.count,
            if a.count == 1 { "" } else { "s" },
            a.last_seen.format("%Y-%m-%d %H:%M UTC")
        );
        if let Some(sev) = &a.severity {
            line.push_str(&format!(", severity {sev}"));
        }
        line.push_str(&format!(" · {}", a.disposition));
        if let Some(by) = &a.suppressed_by {
            line.push_str(&format!(" ({by})"));
        }
        line
    }
}

/// The triage page's query: the filters.
#[derive(Deserialize, Default)]
struct TriageParams {
    source: Option<String>,
    service: Option<String>,
}

async fn triage_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Flash,
    q: Result<Query<TriageParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = state.ctx(&s.user);
    let reader = c.reader();
    let source = q.source.filter(|v| !v.is_empty());
    let service = q.service.filter(|v| !v.is_empty());
    let loaded = async {
        let filter = firebreak_store::intake::TriageFilter {
            status: None,
            source: match source.as_deref() {
                None => None,
                Some(v) => Some(ReportSource::parse(v).ok_or_else(|| {
                    ApiError::bad("source", format!("`{v}` is not a report source"))
                })?),
            },
            service: service.clone(),
            limit: 200,
        };
        let (reports, alerts) = crate::intake::triage::queue_with_alerts(&c, &filter).await?;
        let backlog = state
            .store
            .triage_backlog(&reader, c.now)
            .await?
            .into_iter()
            .map(|b| {
                (
                    b.source.as_str().to_owned(),
                    b.untriaged,
                    age(b.oldest_age_seconds),
                )
            })
            .collect();
        let (from, to) = crate::intake::triage::noise_window(c.now, NOISE_DAYS);
        let days: Vec<String> = (0..NOISE_DAYS)
            .map(|d| {
                (from + chrono::Duration::days(d))
                    .format("%m-%d")
                    .to_string()
            })
            .collect();
        let mut noise: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
        for row in state.store.report_noise(from, to, None, &reader).await? {
            let day = (row.day.with_timezone(&chrono::Utc) - from).num_days();
            let counts = noise
                .entry(row.service.unwrap_or_else(|| "(no service)".to_owned()))
                .or_insert_with(|| vec![0; days.len()]);
            if let Some(n) = usize::try_from(day).ok().and_then(|d| counts.get_mut(d)) {
                *n += row.reports;
            }
        }
        let noise = noise
            .into_iter()
            .map(|(svc, counts)| {
                let total = counts.iter().sum();
                (svc, counts, total)
            })
            .collect();
        let services = state
            .store
            .list_services()
            .await?
            .into_iter()
            .map(|svc| svc.name)
            .collect();
        let users = crate::escalate::assignable_users(&state.store.directory().await?);
        Ok::<_, ApiError>((reports, alerts, backlog, days, noise, services, users))
    }
    .await;
    let (reports, alerts, backlog, noise_days, noise, services, users) = match loaded {
        Ok(l) => l,
        Err(e) => return error_page(&s, e),
    };
    page(&TriagePage {
        layout: Layout::signed_in(&s, f),
        reports,
        alerts,
        can_triage: allowed(s.user.role, Action::Triage),
        severities: Severity::ALL,
        fact_names: FACT_NAMES,
        users,
        source: source.unwrap_or_default(),
        service: service.unwrap_or_default(),
        sources: ReportSource::ALL,
        services,
        backlog,
        noise_days,
        noise,
    })
}

/// The triage page's bulk form: the checked reports, linked or dismissed.
#[derive(Deserialize)]
struct BulkForm {
    csrf: String,
    action: String,
    #[serde(default)]
    report: Vec<i64>,
    #[serde(default)]
    incident: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// The page's filters, to come back to them.
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

/// Failed reports named in a bulk action's notice; the rest are counted.
const BULK_FAILURES_SHOWN: usize = 5;

async fn bulk_triage(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(form): CsrfForm<BulkBody>,
) -> Response {
    let f = match form {
        Ok(f) => f,
        Err(e) => {
            return back(
                "/triage",
                Err(ApiError::bad(
                    "report",
                    format!("the form could not be read: {e}"),
                )),
            );
        }
    };
    let c = state.ctx(&s.user);
    let result = async {
        let action = match f.action.as_str() {
            "link" => firebreak_api::intake::BulkAction::Link,
            "dismiss" => firebreak_api::intake::BulkAction::Dismiss,
            other => {
                return Err(ApiError::invalid(
                    "action",
                    format!("`{other}` is not link or dismiss"),
                ));
            }
        };
        if f.report.is_empty() {
            return Err(ApiError::invalid("reports", "tick at least one report"));
        }
        let req = firebreak_api::intake::BulkTriage {
            action,
            reports: f.report.clone(),
            incident: f.incident.clone(),
            reason: f.reason.clone(),
        };
        let out = crate::intake::triage::bulk_triage(&c, &req).await?;
        let verb = match action {
            firebreak_api::intake::BulkAction::Link => "linked",
            firebreak_api::intake::BulkAction::Dismiss => "dismissed",
        };
        let mut notice = format!(
            "{} report{} {verb}",
            out.done.len(),
            if out.done.len() == 1 { "" } else { "s" }
        );
        for failed in out.failed.iter().take(BULK_FAILURES_SHOWN) {
            let why = failed
                .problem
                .detail
                .as_deref()
                .unwrap_or(&failed.problem.title);
            notice.push_str(&format!("; report {}: {why}", failed.report));
        }
        if out.failed.len() > BULK_FAILURES_SHOWN {
            notice.push_str(&format!(
                "; {} more refused",
                out.failed.len() - BULK_FAILURES_SHOWN
            ));
        }
        Ok(notice)
    }
    .await;
    let mut to = "/triage".to_owned();
    for (name, value) in [("source", &f.source), ("service", &f.service)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            let sep = if to.contains('?') { '&' } else { '?' };
            to.push_str(&format!("{sep}{name}={}", encode(v)));
        }
    }
    back(&to, result)
}

/// The bulk form, or why it could not be read (answered on the triage
/// page, not as a bare error: its report list is a repeated field).
type BulkBody = Result<BulkForm, axum_extra::extract::FormRejection>;

impl WebForm for BulkBody {
    fn csrf(&self) -> Option<&str> {
        self.as_ref().ok().map(|f| f.csrf.as_str())
    }

    async fn read(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, axum::response::Response> {
        use axum::extract::FromRequest;
        Ok(
            axum_extra::extract::Form::<BulkForm>::from_request(req, state)
                .await
                .map(|axum_extra::extract::Form(f)| f),
        )
    }
}
