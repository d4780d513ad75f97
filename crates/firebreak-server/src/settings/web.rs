//! `/admin/settings`: the escalation settings in the web, for admins and
//! leads, changed through [`super::set`] and [`super::reset`] (the API's
//! rules), with the warnings of what still cannot page shown in red above.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use firebreak_core::auth::Action;

use super::Key;
use crate::AppState;
use crate::web::csrf::WebForm;
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(settings_page))
        .route("/admin/settings/{key}", post(change))
}

/// One setting on the page, with the choices its form offers.
struct Row {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    /// Whether the value is a list of people (checkboxes) or one policy.
    people: bool,
    /// The value in force, in words.
    shown: String,
    /// `file` or `web`.
    source: String,
    file_shown: String,
    changed: Option<String>,
    /// The choices: (value, label, chosen).
    choices: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    rows: Vec<Row>,
    warnings: Vec<String>,
}

fn words(v: &Value) -> String {
    match v {
        Value::Null => "none".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "nobody".to_owned(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

async fn settings_page(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let dir = match state.store.directory().await {
        Ok(d) => d,
        Err(e) => return error_page(&s, e.into()),
    };
    let file = &state.config.escalation;
    let people: Vec<&str> = dir
        .users
        .iter()
        .filter(|u| !u.disabled && !crate::escalate::is_service_account(&u.name))
        .map(|u| u.name.as_str())
        .collect();
    let rows = Key::ALL
        .into_iter()
        .map(|key| {
            let v = super::view(file, &dir, key);
            let is_people = key != Key::IncidentLeadPolicy;
            let choices = if is_people {
                let chosen: Vec<&str> = v
                    .value
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                people
                    .iter()
                    .map(|p| ((*p).to_owned(), (*p).to_owned(), chosen.contains(p)))
                    .collect()
            } else {
                let current = v.value.as_str().unwrap_or("");
                std::iter::once((String::new(), "none".to_owned(), current.is_empty()))
                    .chain(
                        dir.policies
                            .keys()
                            .map(|p| (p.clone(), p.clone(), p == current)),
                    )
                    .collect()
            };
            Row {
                key: key.name(),
                label: key.label(),
                help: key.help(),
                people: is_people,
                shown: words(&v.value),
                file_shown: words(&v.file_value),
                changed: v.updated_by.as_ref().zip(v.updated_at).map(|(by, at)| {
                    format!("changed by {by} at {}", at.format("%Y-%m-%d %H:%M UTC"))
                }),
                source: v.source,
                choices,
            }
        })
        .collect();
    let warnings = crate::doctor::config_warnings(&dir, file, state.config.email_configured);
    page(&SettingsPage {
        layout: Layout::signed_in(&s, f),
        rows,
        warnings,
    })
}

/// A setting's form: the chosen values (a repeated field for people), or
/// `reset` to go back to the file's value.
#[derive(Deserialize)]
struct SettingForm {
    /// Missing, the form is refused as not from this site (403).
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    value: Vec<String>,
    #[serde(default)]
    reset: Option<String>,
}

impl WebForm for SettingForm {
    fn csrf(&self) -> Option<&str> {
        Some(&self.csrf)
    }

    async fn read(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, axum::response::Response> {
        use axum::extract::FromRequest;
        use axum::response::IntoResponse;
        axum_extra::extract::Form::<SettingForm>::from_request(req, state)
            .await
            .map(|axum_extra::extract::Form(f)| f)
            .map_err(IntoResponse::into_response)
    }
}

async fn change(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(key): Path<String>,
    CsrfForm(f): CsrfForm<SettingForm>,
) -> Response {
    let cx = state.ctx(&s.user);
    let result = async {
        let view = if f.reset.is_some() {
            super::reset(&cx, &key).await?
        } else {
            let value = match Key::parse(&key) {
                Some(Key::IncidentLeadPolicy) => f
                    .value
                    .first()
                    .map(|p| p.trim())
                    .filter(|p| !p.is_empty())
                    .map_or(Value::Null, |p| Value::String(p.to_owned())),
                _ => Value::Array(f.value.iter().cloned().map(Value::String).collect()),
            };
            super::set(&cx, &key, &value).await?
        };
        let label = Key::parse(&key).map_or("Setting", Key::label);
        Ok(if view.source == "file" {
            format!(
                "{label} is the configuration file's again: {}",
                words(&view.value)
            )
        } else {
            format!("{label} is now {}", words(&view.value))
        })
    }
    .await;
    back("/admin/settings", result)
}
