//! The frame around every page: who is signed in, what the navigation
//! offers them, the form token, and the one-time error or notice.
//! `templates/base.html` reads it; every page template takes a `layout`.

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
}

/// The navigation links that depend on permissions.
#[derive(Default)]
pub struct Nav {
    /// The users page (`Action::ManageUsers`).
    pub users: bool,
}

impl Layout {
    /// The frame for a signed-in user's page.
    pub fn signed_in(s: &SessionInfo, flash: Flash) -> Layout {
        Layout {
            nav: Nav {
                users: allowed(s.user.role, Action::ManageUsers),
            },
            nav_user: Some(s.user.clone()),
            csrf: s.csrf_token.clone(),
            error: flash.error,
            notice: flash.notice,
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
        }
    }
}
