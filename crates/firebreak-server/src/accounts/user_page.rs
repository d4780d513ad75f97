//! One user's admin page (`/admin/users/{name}`): their role and state
//! (the users page's change form), resetting their password, and their
//! contact methods: add, remove, and send a test page whose result has a
//! page of its own.
//!
//! Every form goes through the functions the API's handlers call
//! (`accounts::api::{change_user, reset_password}`,
//! `oncall::api::add_contact_checked`, `oncall::contacts::{remove_contact,
//! send_test_page, test_page}`), so the web refuses what the API refuses, and the
//! outgoing-request policy applies the same way. Every route is for those
//! who manage users: anyone else gets the 403 page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_api::{NewContactMethod, Role, TestPage, User};
use firebreak_core::auth::Action;
use firebreak_store::SessionInfo;

use crate::AppState;
use crate::error::ApiError;
use crate::oncall::contacts;
use crate::web::csrf::{TokenOnly, url_encoded_forms};
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users/{name}", get(user_page))
        .route("/admin/users/{name}/password", post(reset_password))
        .route("/admin/users/{name}/contacts", post(add_contact))
        .route(
            "/admin/users/{name}/contacts/{id}/remove",
            post(remove_contact),
        )
        .route("/admin/users/{name}/contacts/{id}/test", post(test_contact))
        .route("/admin/users/{name}/test-pages/{id}", get(test_page_result))
}

/// The kinds of contact method the add form offers, with their labels.
/// Templated HTTP (SMS gateways) takes templates: the API and CLI add it.
const KINDS: &[(&str, &str)] = &[
    ("email", "Email"),
    ("webhook", "Webhook"),
    ("slack", "Slack"),
    ("teams", "Microsoft Teams"),
];

/// A contact method as the page shows it: secrets never.
struct ContactRow {
    id: i64,
    label: String,
    kind: String,
    target: String,
    signed: bool,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    layout: Layout,
    user: User,
    roles: &'static [Role],
    contacts: Vec<ContactRow>,
    kinds: &'static [(&'static str, &'static str)],
    /// Email when the server can send it (`[smtp]`), else a webhook.
    default_kind: &'static str,
    test_pages: Vec<TestPage>,
}

/// The 403 page for anyone who may not manage users.
fn refused(state: &AppState, s: &SessionInfo) -> Option<Response> {
    state
        .ctx(&s.user)
        .require(Action::ManageUsers)
        .err()
        .map(|e| error_page(s, e))
}

/// The user's page, where the forms go back to; the users page for a name
/// no user can have (it would not make a safe `Location`).
fn user_path(name: &str) -> String {
    if firebreak_store::users::valid_user_name(name) {
        format!("/admin/users/{name}")
    } else {
        "/admin/users".to_owned()
    }
}

async fn user_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    f: Flash,
) -> Response {
    if let Some(r) = refused(&state, &s) {
        return r;
    }
    let loaded = async {
        let user = state
            .store
            .user_by_name(&name)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("user `{name}`")))?;
        let contacts = state.store.contact_methods(Some(user.id)).await?;
        let test_pages = state.store.test_pages_of(user.id, 5).await?;
        Ok::<_, ApiError>((user, contacts, test_pages))
    }
    .await;
    let (user, contacts, test_pages) = match loaded {
        Ok(l) => l,
        Err(e) => return error_page(&s, e),
    };
    let contacts = contacts
        .into_iter()
        .map(|mut cm| {
            let signed = cm.channel.get("secret").is_some_and(|v| !v.is_null());
            crate::oncall::api::hide_secrets(&mut cm.channel);
            let field = |k: &str| {
                cm.channel
                    .get(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            ContactRow {
                id: cm.id,
                kind: field("kind").unwrap_or_else(|| "unknown".into()),
                target: field("to")
                    .or_else(|| field("url"))
                    .or_else(|| field("webhook_url"))
                    .unwrap_or_default(),
                label: cm.label,
                signed,
            }
        })
        .collect();
    page(&UserPage {
        layout: Layout::signed_in(&s, f),
        user,
        roles: Role::ALL,
        contacts,
        kinds: KINDS,
        default_kind: if state.config.email_configured {
            "email"
        } else {
            "webhook"
        },
        test_pages,
    })
}

/// The error of a form on this page, its message starting with the field
/// as the form labels it.
fn named(e: ApiError) -> ApiError {
    let label = |field: &str| match field {
        "label" => "Label",
        "kind" => "Kind",
        "password" => "New password",
        "channel.secret" => "Signing secret",
        "delay_secs" => "Delay",
        f if f.starts_with("channel") => "Target",
        _ => "",
    };
    match e {
        ApiError::Invalid {
            detail,
            field: Some(field),
        } if !label(&field).is_empty() => ApiError::Invalid {
            detail: format!("{}: {detail}", label(&field)),
            field: Some(field),
        },
        ApiError::BadRequest {
            detail,
            field: Some(field),
        } if !label(&field).is_empty() => ApiError::BadRequest {
            detail: format!("{}: {detail}", label(&field)),
            field: Some(field),
        },
        e => e,
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    #[serde(default)]
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Response {
    if let Some(r) = refused(&state, &s) {
        return r;
    }
    let result = super::api::reset_password(&state.ctx(&s.user), &name, &f.password)
        .await
        .map(|ended| match ended {
            0 => format!("{name}'s password is reset"),
            1 => format!("{name}'s password is reset; their session ended"),
            n => format!("{name}'s password is reset; their {n} sessions ended"),
        })
        .map_err(named);
    back(&user_path(&name), result)
}

#[derive(Deserialize)]
struct ContactForm {
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    secret: String,
}

/// The API's channel for the form's kind, target and secret.
fn channel_of(f: &ContactForm) -> Result<serde_json::Value, ApiError> {
    let target = f.target.trim();
    let secret = f.secret.trim();
    if !secret.is_empty() && f.kind != "webhook" {
        return Err(ApiError::invalid(
            "channel.secret",
            "only webhooks are signed with a secret; leave it empty",
        ));
    }
    Ok(match f.kind.as_str() {
        "email" => serde_json::json!({"kind": "email", "to": target}),
        "webhook" if secret.is_empty() => serde_json::json!({"kind": "webhook", "url": target}),
        "webhook" => serde_json::json!({"kind": "webhook", "url": target, "secret": secret}),
        k @ ("slack" | "teams") => serde_json::json!({"kind": k, "webhook_url": target}),
        other => {
            return Err(ApiError::invalid(
                "kind",
                format!("unknown kind `{other}`: email, webhook, slack or teams"),
            ));
        }
    })
}

async fn add_contact(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    CsrfForm(f): CsrfForm<ContactForm>,
) -> Response {
    if let Some(r) = refused(&state, &s) {
        return r;
    }
    let result = async {
        let req = NewContactMethod {
            label: f.label.clone(),
            channel: channel_of(&f)?,
            delay_secs: None,
        };
        crate::oncall::api::add_contact_checked(&state, &state.ctx(&s.user), &name, &req)
            .await
            .map(|cm| format!("Contact method “{}” added", cm.label))
    }
    .await
    .map_err(named);
    back(&user_path(&name), result)
}

async fn remove_contact(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((name, id)): Path<(String, String)>,
    CsrfForm(_f): CsrfForm<TokenOnly>,
) -> Response {
    if let Some(r) = refused(&state, &s) {
        return r;
    }
    let result = contacts::remove_contact(&state.ctx(&s.user), &name, &id)
        .await
        .map(|cm| format!("Contact method “{}” removed", cm.label));
    back(&user_path(&name), result)
}

/// Queues a test page and shows its result page.
async fn test_contact(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((name, id)): Path<(String, String)>,
    CsrfForm(_f): CsrfForm<TokenOnly>,
) -> Response {
    if let Some(r) = refused(&state, &s) {
        return r;
    }
    match contacts::send_test_page(&state.ctx(&s.user), &name, &id).await {
        Ok(t) => Redirect::to(&format!("{}/test-pages/{}", user_path(&name), t.id)).into_response(),
        Err(e) => back(&user_path(&name), Err(e)),
    }
}

#[derive(Template)]
#[template(path = "test_page.html")]
struct TestPagePage {
    layout: Layout,
    t: TestPage,
}

async fn test_page_result(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((name, id)): Path<(String, String)>,
    f: Flash,
) -> Response {
    if let Some(r) = refused(&state, &s) {
        return r;
    }
    match contacts::test_page(&state.ctx(&s.user), &name, &id).await {
        Ok(t) => page(&TestPagePage {
            layout: Layout::signed_in(&s, f),
            t,
        }),
        Err(e) => error_page(&s, e),
    }
}

url_encoded_forms!(PasswordForm, ContactForm);
