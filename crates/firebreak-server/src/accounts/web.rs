//! The admin users page: the users and their roles, adding a user, and
//! changing one's role or disabling / enabling them (the rules are
//! [`super::api`]'s, shared with the API).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_api::{CreateUser, Role, User};
use firebreak_core::auth::Action;

use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::url_encoded_forms;
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back, error_page, non_empty, page, parse_field,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{name}", post(change_user))
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
    roles: &'static [Role],
}

async fn users_page(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageUsers) {
        return error_page(&s, e);
    }
    match state.store.list_users().await {
        Ok(users) => page(&UsersPage {
            layout: Layout::signed_in(&s, f),
            users,
            roles: Role::ALL,
        }),
        Err(e) => error_page(&s, e.into()),
    }
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    name: String,
    role: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<UserForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        c.require(Action::ManageUsers)?;
        let role: Role = parse_field("role", &f.role)?;
        let req = CreateUser {
            name: f.name.trim().to_owned(),
            role,
            display_name: None,
            email: non_empty(&f.email),
            password: non_empty(&f.password),
        };
        super::api::create_user_checked(&c, &req)
            .await
            .map(|u| format!("User {} added as {}", u.name, u.role))
    }
    .await;
    back("/admin/users", result)
}

#[derive(Deserialize)]
struct UserChangeForm {
    csrf: String,
    /// `role`, `disable` or `enable`.
    change: String,
    #[serde(default)]
    role: String,
    /// Where to go afterwards: `/admin/users` (the default) or this user's
    /// page; anything else is ignored.
    #[serde(default)]
    back: String,
}

/// Sets a user's role, or disables / enables them (admins; the rule is
/// `accounts::change_user`, shared with the API).
async fn change_user(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    CsrfForm(f): CsrfForm<UserChangeForm>,
) -> Response {
    let c = state.ctx(&s.user);
    let result = async {
        let req = match f.change.as_str() {
            "role" => firebreak_api::UpdateUser {
                role: Some(parse_field("role", &f.role)?),
                disabled: None,
            },
            "disable" => firebreak_api::UpdateUser {
                role: None,
                disabled: Some(true),
            },
            "enable" => firebreak_api::UpdateUser {
                role: None,
                disabled: Some(false),
            },
            other => return Err(ApiError::bad("change", format!("unknown change `{other}`"))),
        };
        super::api::change_user(&c, &name, &req)
            .await
            .map(|u| match f.change.as_str() {
                "role" => format!("{} is now {}", u.name, u.role),
                "disable" => format!("{} is disabled; their sessions and tokens stopped", u.name),
                _ => format!("{} is enabled", u.name),
            })
    }
    .await;
    let user_page = format!("/admin/users/{name}");
    let to = if f.back == user_page && firebreak_store::users::valid_user_name(&name) {
        user_page.as_str()
    } else {
        "/admin/users"
    };
    back(to, result)
}

url_encoded_forms!(UserForm, UserChangeForm);
