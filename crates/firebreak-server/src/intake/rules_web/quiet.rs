//! The silences page and the maintenance windows page: what is active (and
//! what is over), a form to add one, and a button to end one early.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};

use firebreak_api::intake::{MaintenanceBody, SilenceBody};
use firebreak_core::auth::{Action, allowed};
use firebreak_store::SessionInfo;

use super::{RulesForm, form_error, parse_duration, parse_matchers, parse_utc, shown};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};
use crate::intake::wire::{maintenance_view, silence_view};
use crate::intake::{Runtime, routing};
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, non_empty, page_with_status};

/// How many ended silences and windows the pages show.
const ENDED_SHOWN: usize = 50;

/// When a silence or window starts and ends, as a form holds it.
#[derive(Default)]
pub(super) struct Span {
    /// Empty: now.
    pub starts: String,
    /// Empty: `duration` after the start.
    pub ends: String,
    pub duration: String,
}

impl Span {
    fn from_form(f: &RulesForm) -> Span {
        Span {
            starts: f.get("starts"),
            ends: f.get("ends"),
            duration: f.get("duration"),
        }
    }

    /// The start (`None`: now, as the API takes it) and the end.
    fn times(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(Option<DateTime<Utc>>, DateTime<Utc>), ApiError> {
        let starts = match non_empty(&self.starts) {
            None => None,
            Some(t) => Some(parse_utc("starts_at", &t)?),
        };
        let ends = match (non_empty(&self.ends), non_empty(&self.duration)) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad(
                    "ends_at",
                    "give an end time or a duration, not both",
                ));
            }
            (Some(t), None) => parse_utc("ends_at", &t)?,
            (None, Some(d)) => starts
                .unwrap_or(now)
                .checked_add_signed(parse_duration("duration", &d)?)
                .ok_or_else(|| {
                    ApiError::bad("duration", "the end would be past the year 262143")
                })?,
            (None, None) => {
                return Err(ApiError::bad(
                    "ends_at",
                    "give an end time or a duration such as 2h",
                ));
            }
        };
        Ok((starts, ends))
    }
}

/// A silence or a maintenance window in a list.
pub(super) struct QuietRow {
    pub id: i64,
    /// The matchers, or the service.
    pub what: Vec<String>,
    pub starts: String,
    pub ends: String,
    pub reason: String,
    /// A maintenance window's status-page title (silences: none).
    pub public_title: Option<String>,
    pub created_by: String,
    /// `active`, `scheduled`, `expired early` or `ended`.
    pub state: &'static str,
    /// Whether it can still be ended early.
    pub open: bool,
}

fn state_of(
    now: DateTime<Utc>,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    early: bool,
) -> (&'static str, bool) {
    if now >= ends {
        (if early { "ended early" } else { "ended" }, false)
    } else if now < starts {
        ("scheduled", true)
    } else {
        ("active", true)
    }
}

#[derive(Template)]
#[template(path = "silences.html")]
struct SilencesPage {
    layout: Layout,
    open: Vec<QuietRow>,
    ended: Vec<QuietRow>,
    matchers: String,
    span: Span,
    reason: String,
    max_silence: String,
}

#[derive(Template)]
#[template(path = "maintenance.html")]
struct MaintenancePage {
    layout: Layout,
    open: Vec<QuietRow>,
    ended: Vec<QuietRow>,
    /// Whether the viewer may add and end windows.
    can_manage: bool,
    services: Vec<String>,
    service: String,
    span: Span,
    reason: String,
}

fn split(rows: Vec<QuietRow>) -> (Vec<QuietRow>, Vec<QuietRow>) {
    let (open, mut ended): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.open);
    ended.truncate(ENDED_SHOWN);
    (open, ended)
}

fn flash_of(error: Option<&ApiError>, flash: Flash) -> Flash {
    match error {
        Some(e) => Flash::error(Some(form_error(e))),
        None => flash,
    }
}

/// `604800` as "7 days".
fn human(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} days", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hours", s / 3_600),
        s => format!("{} minutes", s / 60),
    }
}

// --------------------------------------------------------------- silences

async fn silences_page(
    state: &AppState,
    s: &SessionInfo,
    entered: Option<(String, Span, String)>,
    flash: Flash,
    error: Option<ApiError>,
) -> Response {
    let now = state.ctx(&s.user).now;
    let list = match state.store.silences(None).await {
        Ok(l) => l,
        Err(e) => return error_page(s, e.into()),
    };
    let rows = list
        .iter()
        .map(|r| {
            let v = silence_view(r, now);
            let (label, open) = state_of(now, v.starts_at, v.ends_at, v.expired_at.is_some());
            QuietRow {
                id: v.id,
                what: v.matchers,
                starts: shown(v.starts_at),
                ends: shown(v.ends_at),
                reason: v.reason,
                public_title: None,
                created_by: v.created_by,
                state: label,
                open,
            }
        })
        .collect();
    let (open, ended) = split(rows);
    let (matchers, span, reason) = entered.unwrap_or_else(|| {
        (
            String::new(),
            Span {
                starts: String::new(),
                ends: String::new(),
                duration: "2h".into(),
            },
            String::new(),
        )
    });
    let status = error.as_ref().map(|e| e.status().0).unwrap_or_default();
    page_with_status(
        status,
        &SilencesPage {
            layout: Layout::signed_in(s, flash_of(error.as_ref(), flash)),
            open,
            ended,
            matchers,
            span,
            reason,
            max_silence: human(state.config.intake.max_silence_secs),
        },
    )
}

/// The silences, and the form to add one (whoever triages).
pub(super) async fn silences(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Flash,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::Triage) {
        return error_page(&s, e);
    }
    silences_page(&state, &s, None, f, None).await
}

/// Adds a silence through the API's handler.
pub(super) async fn create_silence(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<RulesForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    if let Err(e) = cx.require(Action::Triage) {
        return error_page(&s, e);
    }
    let matchers = f.get("matchers");
    let span = Span::from_form(&f);
    let reason = f.get("reason");
    let body = async {
        let (starts_at, ends_at) = span.times(cx.now)?;
        Ok::<_, ApiError>(SilenceBody {
            matchers: parse_matchers(&matchers)?,
            starts_at,
            ends_at,
            reason: reason.clone(),
        })
    }
    .await;
    let result = match body {
        Ok(body) => routing::create_silence(
            State(state.clone()),
            Extension(rt),
            AuthUser(s.user.clone()),
            ApiJson(body),
        )
        .await
        .map(|(_, v)| v.0),
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => back(
            "/admin/silences",
            Ok(format!(
                "Silence {} added, until {}",
                v.id,
                shown(v.ends_at)
            )),
        ),
        Err(e) => {
            silences_page(
                &state,
                &s,
                Some((matchers, span, reason)),
                Flash::default(),
                Some(e),
            )
            .await
        }
    }
}

/// Ends a silence now, through the API's handler.
pub(super) async fn expire_silence(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm<RulesForm>,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::Triage) {
        return error_page(&s, e);
    }
    let result = routing::expire_silence(
        State(state.clone()),
        Extension(rt),
        AuthUser(s.user.clone()),
        Path(id),
    )
    .await;
    back(
        "/admin/silences",
        result.map(|v| format!("Silence {} expired", v.0.id)),
    )
}

// ------------------------------------------------------------ maintenance

async fn maintenance_page(
    state: &AppState,
    s: &SessionInfo,
    entered: Option<(String, Span, String)>,
    flash: Flash,
    error: Option<ApiError>,
) -> Response {
    let now = state.ctx(&s.user).now;
    let loaded = async {
        let list = state.store.maintenance_windows(None).await?;
        let services: Vec<String> = state
            .store
            .list_services()
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect();
        Ok::<_, ApiError>((list, services))
    }
    .await;
    let (list, services) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(s, e),
    };
    let mut rows: Vec<QuietRow> = list
        .iter()
        .map(|m| {
            let v = maintenance_view(m, now);
            let (label, open) = state_of(now, v.starts_at, v.ends_at, false);
            QuietRow {
                id: v.id,
                what: vec![v.service],
                starts: shown(v.starts_at),
                ends: shown(v.ends_at),
                reason: v.reason,
                public_title: v.public_title,
                created_by: v.created_by,
                state: label,
                open,
            }
        })
        .collect();
    // Latest first.
    rows.sort_by(|a, b| b.starts.cmp(&a.starts).then(b.id.cmp(&a.id)));
    let (open, ended) = split(rows);
    let (service, span, reason) = entered.unwrap_or_else(|| {
        (
            String::new(),
            Span {
                starts: String::new(),
                ends: String::new(),
                duration: "2h".into(),
            },
            String::new(),
        )
    });
    let status = error.as_ref().map(|e| e.status().0).unwrap_or_default();
    page_with_status(
        status,
        &MaintenancePage {
            layout: Layout::signed_in(s, flash_of(error.as_ref(), flash)),
            open,
            ended,
            can_manage: allowed(s.user.role, Action::ManageServices),
            services,
            service,
            span,
            reason,
        },
    )
}

/// The maintenance windows (whoever triages sees them), and the form to
/// add one (admins and leads).
pub(super) async fn maintenance(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Flash,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::Triage) {
        return error_page(&s, e);
    }
    maintenance_page(&state, &s, None, f, None).await
}

/// Adds a maintenance window through the API's handler.
pub(super) async fn create_maintenance(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<RulesForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    if let Err(e) = cx.require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let service = f.get("service");
    let span = Span::from_form(&f);
    let reason = f.get("reason");
    let result = match span.times(cx.now) {
        Ok((starts_at, ends_at)) => routing::create_maintenance(
            State(state.clone()),
            Extension(rt),
            AuthUser(s.user.clone()),
            ApiJson(MaintenanceBody {
                service: service.trim().to_owned(),
                starts_at,
                ends_at,
                reason: reason.clone(),
                public_title: Some(f.get("public_title")).filter(|t| !t.trim().is_empty()),
                public_body: Some(f.get("public_body")).filter(|t| !t.trim().is_empty()),
            }),
        )
        .await
        .map(|(_, v)| v.0),
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => back(
            "/admin/maintenance",
            Ok(format!(
                "Maintenance window on {} added, until {}",
                v.service,
                shown(v.ends_at)
            )),
        ),
        Err(e) => {
            maintenance_page(
                &state,
                &s,
                Some((service, span, reason)),
                Flash::default(),
                Some(e),
            )
            .await
        }
    }
}

/// Ends a maintenance window now, through the API's handler.
pub(super) async fn end_maintenance(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm<RulesForm>,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let result = routing::end_maintenance(
        State(state.clone()),
        Extension(rt),
        AuthUser(s.user.clone()),
        Path(id),
    )
    .await;
    back(
        "/admin/maintenance",
        result.map(|v| format!("Maintenance window on {} ended", v.0.service)),
    )
}
