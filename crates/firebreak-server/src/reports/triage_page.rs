//! The triage page: the queue as one compact row per report (source,
//! title, the alert's severity, repeat count, age, service) with the alert
//! behind each, its link and dismiss forms in a menu opened on demand and
//! the declare form under the one report opened (`?open=<id>`), filters by
//! source and service, the backlog per source, the noise of the last days
//! per service, and the bulk form after the list (link or dismiss the
//! selected reports).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_api::intake::AlertBrief;
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
    /// One row per report, oldest first.
    rows: Vec<Row>,
    /// The queue was cut at [`QUEUE_LIMIT`] reports.
    truncated: bool,
    /// The report whose declare form is open under its row, if it is in
    /// the queue (and so visible to this user).
    open: Option<Report>,
    /// The open report's severity prefilled from its alert's label ("" for
    /// none), and that label.
    prefill_severity: &'static str,
    prefill_label: String,
    /// The queue without any report open, with the page's filters.
    close_href: String,
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

/// Most reports the page lists (the oldest first).
const QUEUE_LIMIT: i64 = 200;

/// One report's row in the queue.
struct Row {
    id: i64,
    source: &'static str,
    title: String,
    confidential: bool,
    service: String,
    age: String,
    /// The alert's repeat count (1 without an alert).
    count: i64,
    /// The alert's severity label as sent ("" without one), and where it
    /// falls on the process's scale ("" when it names no severity).
    label: String,
    severity: &'static str,
    /// One line on the alert behind the report, or "".
    alert_line: String,
    /// The queue with this report open.
    href: String,
    open: bool,
}

/// The alert label's severity on the process's scale: the same table
/// intake uses (`critical`/`crit`/`fatal`/`emergency`, `high`/`error`/
/// `err`/`major`, `medium`/`warning`/`warn`/`minor`, `low`/`info`/
/// `informational`/`notice`), or "" for any other word.
fn label_severity(label: &str) -> &'static str {
    firebreak_intake::severity_from_label(label).map_or("", Severity::as_str)
}

/// The queue's URL with the page's filters and `extra` (`open=<id>`).
fn queue_href(source: &str, service: &str, extra: Option<String>) -> String {
    let mut parts = Vec::new();
    for (name, value) in [("source", source), ("service", service)] {
        if !value.is_empty() {
            parts.push(format!("{name}={}", encode(value)));
        }
    }
    parts.extend(extra);
    if parts.is_empty() {
        "/triage".to_owned()
    } else {
        format!("/triage?{}", parts.join("&"))
    }
}

/// The queue with the filters a form carried back.
pub(super) fn back_to_queue(source: &Option<String>, service: &Option<String>) -> String {
    queue_href(
        source.as_deref().unwrap_or_default(),
        service.as_deref().unwrap_or_default(),
        None,
    )
}

/// The queue's rows, with the report `open` marked.
fn rows(
    reports: &[Report],
    alerts: &std::collections::HashMap<i64, AlertBrief>,
    open: Option<i64>,
    source: &str,
    service: &str,
) -> Vec<Row> {
    reports
        .iter()
        .map(|r| {
            let alert = alerts.get(&r.id);
            let label = alert.and_then(|a| a.severity.clone()).unwrap_or_default();
            Row {
                id: r.id,
                source: r.source.as_str(),
                title: r.title.clone(),
                confidential: r.confidential,
                service: r.service.clone().unwrap_or_default(),
                age: age(r.age_seconds),
                count: alert.map_or(1, |a| a.count),
                severity: label_severity(&label),
                label,
                alert_line: alert.map(alert_line).unwrap_or_default(),
                href: format!(
                    "{}#report-{}",
                    queue_href(source, service, Some(format!("open={}", r.id))),
                    r.id
                ),
                open: open == Some(r.id),
            }
        })
        .collect()
}

impl TriagePage {
    fn age(&self, seconds: &i64) -> String {
        age(*seconds)
    }

    /// The column count of the queue's table.
    fn columns(&self) -> usize {
        if self.can_triage { 8 } else { 6 }
    }
}

/// One line on the alert behind a report.
fn alert_line(a: &AlertBrief) -> String {
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

/// The triage page's query: the filters, and the report opened.
#[derive(Deserialize, Default)]
struct TriageParams {
    source: Option<String>,
    service: Option<String>,
    open: Option<i64>,
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
            limit: QUEUE_LIMIT,
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
    let source = source.unwrap_or_default();
    let service = service.unwrap_or_default();
    let open = q
        .open
        .and_then(|id| reports.iter().find(|r| r.id == id))
        .cloned();
    let prefill_label = open
        .as_ref()
        .and_then(|r| alerts.get(&r.id))
        .and_then(|a| a.severity.clone())
        .unwrap_or_default();
    page(&TriagePage {
        layout: Layout::signed_in(&s, f),
        rows: rows(
            &reports,
            &alerts,
            open.as_ref().map(|r| r.id),
            &source,
            &service,
        ),
        truncated: i64::try_from(reports.len()).is_ok_and(|n| n >= QUEUE_LIMIT),
        open,
        prefill_severity: label_severity(&prefill_label),
        prefill_label,
        close_href: queue_href(&source, &service, None),
        can_triage: allowed(s.user.role, Action::Triage),
        severities: Severity::ALL,
        fact_names: FACT_NAMES,
        users,
        source,
        service,
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
        if f.report.is_empty() {
            return Err(ApiError::invalid("reports", "tick at least one report"));
        }
        // The form's first choice is no action: nothing is done by default.
        let action = match f.action.as_str() {
            "link" => firebreak_api::intake::BulkAction::Link,
            "dismiss" => firebreak_api::intake::BulkAction::Dismiss,
            "" => {
                return Err(ApiError::invalid(
                    "action",
                    "choose an action for the selected reports",
                ));
            }
            other => {
                return Err(ApiError::invalid(
                    "action",
                    format!("`{other}` is not link or dismiss"),
                ));
            }
        };
        if action == firebreak_api::intake::BulkAction::Dismiss
            && f.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(ApiError::invalid(
                "reason",
                "dismissing needs a reason, recorded on each report",
            ));
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
    back(&back_to_queue(&f.source, &f.service), result)
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
