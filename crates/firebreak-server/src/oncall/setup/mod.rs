//! The set-up pages of on call, for those who manage services (admins and
//! leads): schedules ([`schedules`]), escalation policies ([`policies`]) and
//! services ([`services`]), each a list with a form to add one and a page to
//! edit one.
//!
//! The forms are fields, not JSON. What they hold is turned into the
//! API's types here, and checked and stored by the very functions the API's
//! handlers call (`oncall::api::save_schedule`, `save_policy`,
//! `set_service_escalation`, `services::create_service_checked`), so the web
//! refuses exactly what the API refuses. A refused form is shown again with
//! what was entered and the error naming the field, both as the form labels
//! it and as the API names it.

mod policies;
mod schedules;
mod services;

use std::collections::HashMap;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::url_encoded_forms;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/schedules",
            get(schedules::list).post(schedules::submit_new),
        )
        .route(
            "/admin/schedules/{name}",
            get(schedules::edit).post(schedules::submit),
        )
        .route(
            "/admin/policies",
            get(policies::list).post(policies::submit_new),
        )
        .route(
            "/admin/policies/{name}",
            get(policies::edit).post(policies::submit),
        )
        .route(
            "/admin/services",
            get(services::list).post(services::create),
        )
        .route(
            "/admin/services/{name}",
            get(services::edit).post(services::update),
        )
}

/// A set-up form: its token, and every other field by name (layers, levels
/// and overrides are numbered: `layer-0-start`, `level-1-targets`).
#[derive(Deserialize)]
pub(super) struct SetupForm {
    csrf: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

url_encoded_forms!(SetupForm);

impl SetupForm {
    /// The field's text, empty when the form did not send it.
    fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    /// Whether the form sent any field starting with `prefix`.
    fn has_prefix(&self, prefix: &str) -> bool {
        self.fields.keys().any(|k| k.starts_with(prefix))
    }

    /// The button pressed (`action`).
    fn action(&self) -> String {
        self.get("action")
    }
}

/// What a refused form shows: the field as the form labels it and as the
/// API names it, then what is wrong.
fn form_error(e: &ApiError) -> String {
    if let ApiError::Internal(detail) = e {
        tracing::error!(error = %detail, "internal error in a set-up form");
        return "Something went wrong on our side; it has been logged.".to_owned();
    }
    let detail = e.to_string();
    match e.problem().field {
        Some(field) => format!("{} (`{field}`): {detail}", label_of(&field)),
        None => detail,
    }
}

/// The status a refused form is answered with.
fn status_of(e: &ApiError) -> StatusCode {
    e.status().0
}

/// The form's label for an API field path: `layers[0].rotation.handoff` is
/// "Layer 1 rotation start".
fn label_of(path: &str) -> String {
    let mut parts = path.split('.');
    let head = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let (base, index) = match head.split_once('[') {
        Some((b, i)) => (b, i.trim_end_matches(']').parse::<usize>().ok()),
        None => (head, None),
    };
    let n = index.map(|i| i + 1).unwrap_or(0);
    let last = rest
        .last()
        .map(|l| l.split('[').next().unwrap_or_default())
        .unwrap_or_default();
    match (base, index.is_some(), last) {
        ("name", false, _) => "Name".into(),
        ("time_zone", false, _) => "Time zone".into(),
        ("schedule", false, _) => "Schedule".into(),
        ("layers", true, "participants") => format!("Layer {n} members"),
        ("layers", true, "handoff") => format!("Layer {n} rotation start"),
        ("layers", true, "shift") => format!("Layer {n} shift length"),
        ("layers", true, _) => format!("Layer {n} name"),
        ("overrides", true, "user") => format!("Override {n} user"),
        ("overrides", true, "start") => format!("Override {n} from"),
        ("overrides", true, "end") => format!("Override {n} until"),
        ("levels", true, "ack_timeout_secs") => format!("Level {n} timeout"),
        ("levels", true, _) => format!("Level {n} targets"),
        ("levels", false, _) => "Levels".into(),
        ("repeat", false, _) => "Repeat".into(),
        ("owner_team", false, _) => "Owner team".into(),
        ("escalation_policy", false, _) => "Escalation policy".into(),
        ("runbook", false, _) => "Runbook".into(),
        _ => path.to_owned(),
    }
}

/// The entries of a list field: separated by commas or new lines, trimmed,
/// blanks dropped.
fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_form_field() {
        assert_eq!(
            label_of("layers[1].rotation.participants[0]"),
            "Layer 2 members"
        );
        assert_eq!(
            label_of("layers[0].rotation.handoff"),
            "Layer 1 rotation start"
        );
        assert_eq!(label_of("overrides[0].end"), "Override 1 until");
        assert_eq!(label_of("levels[2].targets[1]"), "Level 3 targets");
        assert_eq!(label_of("time_zone"), "Time zone");
        assert_eq!(label_of("whatever"), "whatever");
    }

    #[test]
    fn lists_split_on_commas_and_lines() {
        assert_eq!(split_list(" a, b\n\nc ,"), vec!["a", "b", "c"]);
        assert!(split_list(" , \n").is_empty());
    }
}
