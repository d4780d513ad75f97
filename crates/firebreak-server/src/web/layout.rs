//! The frame around every page: who is signed in, what the navigation
//! offers them and which of its links is the current page, the form token,
//! and the one-time error or notice. `templates/base.html` reads it; every
//! page template takes a `layout`.
//!
//! The current section comes from the request's path, in one place:
//! [`remember_path`] (a middleware over every web route) keeps the path for
//! the request it serves, and [`Layout::signed_in`] reads it, so no page
//! handler has to say which section it belongs to.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use firebreak_api::User;
use firebreak_core::auth::{Action, allowed};
use firebreak_store::SessionInfo;

use super::Flash;

/// What `base.html` shows around a page.
pub struct Layout {
    /// The signed-in user, or `None` on the sign-in and link pages.
    pub nav_user: Option<User>,
    /// The session's CSRF token, for every form on the page.
    pub csrf: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    /// The navigation links the user's role may follow (from the
    /// permission table, not role names).
    pub nav: Nav,
    /// The navigation section the page belongs to, marked
    /// `aria-current="page"` in the navigation.
    pub section: Option<Section>,
}

/// The navigation links that depend on permissions.
#[derive(Default)]
pub struct Nav {
    /// The users page (`Action::ManageUsers`).
    pub users: bool,
    /// The set-up hub (`Action::ManageServices`).
    pub setup: bool,
    /// The declare page (`Action::Triage`).
    pub declare: bool,
    /// The report page (`Action::SubmitReport`).
    pub report: bool,
    /// The disclosures pages (`Action::ReadDisclosures`).
    pub disclosures: bool,
}

/// A navigation link of the page frame.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// The page shown is this link's (or one under it).
    pub current: bool,
}

/// The sections the navigation links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Incidents,
    Triage,
    OnCall,
    Declare,
    Report,
    Users,
    Setup,
    Disclosures,
}

impl Section {
    /// The section a page's path belongs to: `/incidents/7` is under
    /// Incidents, `/incidents/new` is Declare; `/admin/users` and the
    /// pages under it are Users, every other page under `/admin` Set-up.
    pub fn of_path(path: &str) -> Option<Section> {
        let under = |root: &str| {
            path == root
                || path
                    .strip_prefix(root)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        Some(match path {
            "/incidents/new" => Section::Declare,
            "/reports/new" => Section::Report,
            _ if under("/incidents") => Section::Incidents,
            _ if under("/triage") => Section::Triage,
            _ if under("/oncall") => Section::OnCall,
            _ if under("/disclosures") => Section::Disclosures,
            _ if under("/admin/users") => Section::Users,
            _ if under("/admin") => Section::Setup,
            _ => return None,
        })
    }
}

impl Layout {
    /// The frame for a signed-in user's page.
    pub fn signed_in(s: &SessionInfo, flash: Flash) -> Layout {
        Layout {
            nav: Nav {
                users: allowed(s.user.role, Action::ManageUsers),
                setup: allowed(s.user.role, Action::ManageServices),
                declare: allowed(s.user.role, Action::Triage),
                report: allowed(s.user.role, Action::SubmitReport),
                disclosures: allowed(s.user.role, Action::ReadDisclosures),
            },
            nav_user: Some(s.user.clone()),
            csrf: s.csrf_token.clone(),
            error: flash.error,
            notice: flash.notice,
            section: PAGE_PATH.try_with(|p| Section::of_path(p)).ok().flatten(),
        }
    }

    /// The frame for a page anyone may open: no navigation, no forms of a
    /// session.
    pub fn anonymous(flash: Flash) -> Layout {
        Layout {
            nav_user: None,
            csrf: String::new(),
            error: flash.error,
            notice: flash.notice,
            nav: Nav::default(),
            section: None,
        }
    }

    /// The navigation's links, in order, those the user may follow.
    pub fn links(&self) -> Vec<NavLink> {
        let all = [
            ("/incidents", "Incidents", Section::Incidents, true),
            ("/triage", "Triage queue", Section::Triage, true),
            ("/oncall", "On call", Section::OnCall, true),
            (
                "/incidents/new",
                "Declare",
                Section::Declare,
                self.nav.declare,
            ),
            ("/reports/new", "Report", Section::Report, self.nav.report),
            (
                "/disclosures",
                "Disclosures",
                Section::Disclosures,
                self.nav.disclosures,
            ),
            ("/admin/users", "Users", Section::Users, self.nav.users),
            ("/admin", "Set-up", Section::Setup, self.nav.setup),
        ];
        all.into_iter()
            .filter(|(_, _, _, shown)| *shown)
            .map(|(href, label, section, _)| NavLink {
                href,
                label,
                current: self.section == Some(section),
            })
            .collect()
    }
}

tokio::task_local! {
    /// The path of the request being answered, for [`Layout::signed_in`].
    static PAGE_PATH: String;
}

/// Keeps the request's path while its page is made, so the frame can mark
/// the current section without each handler naming it.
pub async fn remember_path(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    PAGE_PATH.scope(path, next.run(req)).await
}
