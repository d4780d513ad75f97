//! The home page (`/`) and the set-up hub (`/admin`). On an install that
//! is not set up yet, the home page of an admin or lead is the
//! getting-started checklist; once every step is done (or for anyone who
//! cannot set up), it is the incident list. `/admin` always shows the
//! checklist and every set-up page.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use firebreak_core::auth::{Action, allowed};
use firebreak_store::SessionInfo;

use super::Step;
use crate::AppState;
use crate::error::ApiError;
use crate::web::{Flash, Layout, WebUser, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/admin", get(hub))
}

/// A step as shown: with its link only where the viewer may follow it.
struct Shown {
    step: Step,
    link: bool,
}

/// A set-up page the hub links to.
struct Area {
    href: &'static str,
    title: &'static str,
    about: &'static str,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    /// The home page of an install not set up yet, or the hub.
    first_run: bool,
    steps: Vec<Shown>,
    done: usize,
    areas: Vec<Area>,
}

const AREAS: &[(&str, &str, &str, Action)] = &[
    (
        "/admin/users",
        "People",
        "Users, roles, contact methods and test pages.",
        Action::ManageUsers,
    ),
    (
        "/admin/schedules",
        "On-call schedules",
        "Rotations, layers and overrides, previewed before saving.",
        Action::ManageServices,
    ),
    (
        "/admin/policies",
        "Escalation policies",
        "Levels, targets, timeouts and repeats.",
        Action::ManageServices,
    ),
    (
        "/admin/services",
        "Services",
        "Owner team, escalation policy and runbook.",
        Action::ManageServices,
    ),
    (
        "/admin/customers",
        "Customers",
        "Contacts, the components each uses, private status links.",
        Action::ManageCustomers,
    ),
    (
        "/admin/components",
        "Components",
        "The parts of services customers use, and their state.",
        Action::ManageCustomers,
    ),
    (
        "/admin/settings",
        "Escalation settings",
        "The incident-lead policy, leadership and the fallback.",
        Action::ManageServices,
    ),
    (
        "/admin/integrations",
        "Integrations",
        "Monitoring tools that send alerts: URL, key, test alert.",
        Action::ManageUsers,
    ),
    (
        "/admin/routing",
        "Routing rules",
        "What an alert does on arrival, with a live payload test.",
        Action::ManageServices,
    ),
    (
        "/admin/silences",
        "Silences",
        "Quiet matching alerts for a while.",
        Action::Triage,
    ),
    (
        "/admin/maintenance",
        "Maintenance windows",
        "Quiet a service's alerts during planned work.",
        Action::ManageServices,
    ),
];

async fn steps(state: &AppState, s: &SessionInfo) -> Result<Vec<Shown>, ApiError> {
    let dir = state.store.directory().await?;
    let facts = state.store.first_run_facts().await?;
    let config = crate::settings::effective(&state.config.escalation, &dir);
    let role = s.user.role;
    Ok(super::checklist(&dir, &config, facts)
        .into_iter()
        .map(|step| {
            let needs = AREAS
                .iter()
                .find(|(href, ..)| *href == step.href)
                .map_or(Action::ManageServices, |a| a.3);
            Shown {
                link: allowed(role, needs),
                step,
            }
        })
        .collect())
}

fn setup_page(s: &SessionInfo, f: Flash, first_run: bool, steps: Vec<Shown>) -> Response {
    let role = s.user.role;
    page(&SetupPage {
        layout: Layout::signed_in(s, f),
        first_run,
        done: steps.iter().filter(|x| x.step.done).count(),
        steps,
        areas: AREAS
            .iter()
            .filter(|a| allowed(role, a.3))
            .map(|&(href, title, about, _)| Area { href, title, about })
            .collect(),
    })
}

/// The home page: the checklist while an admin or lead has steps left,
/// else the incident list.
async fn home(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if !allowed(s.user.role, Action::ManageServices) {
        return Redirect::to("/incidents").into_response();
    }
    match steps(&state, &s).await {
        Ok(steps) if steps.iter().all(|x| x.step.done) => {
            Redirect::to("/incidents").into_response()
        }
        Ok(steps) => setup_page(&s, f, true, steps),
        Err(e) => error_page(&s, e),
    }
}

/// The set-up hub (admins and leads).
async fn hub(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    match steps(&state, &s).await {
        Ok(steps) => setup_page(&s, f, false, steps),
        Err(e) => error_page(&s, e),
    }
}
