//! The escalation policy pages: the list with a form to add a policy, and
//! a policy's page to edit it. Levels are rows of targets (user names, and
//! `schedule:<name>` for whoever is on call there) with a timeout in
//! minutes; "Add a level" shows the form again with one more empty row.
//! Saving goes through the API's [`api::save_policy`].

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use firebreak_core::auth::Action;
use firebreak_core::escalation::{Level, Policy, Target};
use firebreak_store::SessionInfo;

use super::{SetupForm, form_error, split_list, status_of};
use crate::AppState;
use crate::actions::Ctx;
use crate::error::ApiError;
use crate::oncall::api;
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, back, encode, error_page, page, page_with_status,
};

/// A policy as its form holds it.
#[derive(Default)]
pub(super) struct PolicyFields {
    pub name: String,
    pub repeat: String,
    pub levels: Vec<LevelFields>,
}

/// One level's fields; `i` is its number on the form (from 0).
#[derive(Default)]
pub(super) struct LevelFields {
    pub i: usize,
    pub targets: String,
    /// Minutes.
    pub timeout: String,
}

impl LevelFields {
    fn blank(i: usize) -> LevelFields {
        LevelFields {
            i,
            targets: String::new(),
            timeout: "15".into(),
        }
    }
}

/// The target as the form writes it: a user's name, or `schedule:<name>`.
fn target_text(t: &Target) -> String {
    match t {
        Target::User(u) => u.clone(),
        Target::Schedule(s) => format!("schedule:{s}"),
    }
}

/// A target as entered: `schedule:<name>`, `user:<name>` or a user's name.
fn target_of(text: &str) -> Target {
    if let Some(s) = text.strip_prefix("schedule:") {
        Target::Schedule(s.trim().to_owned())
    } else if let Some(u) = text.strip_prefix("user:") {
        Target::User(u.trim().to_owned())
    } else {
        Target::User(text.to_owned())
    }
}

/// Minutes as a form shows them: whole when they are, else with a fraction.
fn minutes_text(secs: i64) -> String {
    if secs % 60 == 0 {
        (secs / 60).to_string()
    } else {
        format!("{}", secs as f64 / 60.0)
    }
}

impl PolicyFields {
    fn blank() -> PolicyFields {
        PolicyFields {
            repeat: "0".into(),
            levels: vec![LevelFields::blank(0)],
            ..PolicyFields::default()
        }
    }

    fn from_form(f: &SetupForm) -> PolicyFields {
        let mut levels = Vec::new();
        while f.has_prefix(&format!("level-{}-", levels.len())) {
            let i = levels.len();
            levels.push(LevelFields {
                i,
                targets: f.get(&format!("level-{i}-targets")),
                timeout: f.get(&format!("level-{i}-timeout")),
            });
        }
        PolicyFields {
            name: f.get("name"),
            repeat: f.get("repeat"),
            levels,
        }
    }

    fn from_policy(name: &str, p: &Policy) -> PolicyFields {
        PolicyFields {
            name: name.to_owned(),
            repeat: p.repeat.to_string(),
            levels: p
                .levels
                .iter()
                .enumerate()
                .map(|(i, l)| LevelFields {
                    i,
                    targets: l
                        .targets
                        .iter()
                        .map(target_text)
                        .collect::<Vec<_>>()
                        .join(", "),
                    timeout: minutes_text(l.ack_timeout_secs),
                })
                .collect(),
        }
    }

    /// The policy in the API's type. Levels left blank at the end are not
    /// part of it; what the form cannot read (a number) is refused naming
    /// the API's field, the policy's rules are the API's.
    fn to_policy(&self) -> Result<Policy, ApiError> {
        let count = self.levels.len()
            - self
                .levels
                .iter()
                .rev()
                .take_while(|l| l.targets.trim().is_empty())
                .count();
        let mut levels = Vec::new();
        for (i, l) in self.levels.iter().take(count).enumerate() {
            let field = format!("levels[{i}].ack_timeout_secs");
            let minutes: f64 = l
                .timeout
                .trim()
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && m.abs() < 1e9)
                .ok_or_else(|| {
                    ApiError::bad(
                        &field,
                        format!("`{}` is not a number of minutes", l.timeout.trim()),
                    )
                })?;
            levels.push(Level {
                targets: split_list(&l.targets)
                    .iter()
                    .map(|t| target_of(t))
                    .collect(),
                ack_timeout_secs: (minutes * 60.0).round() as i64,
            });
        }
        let repeat = match self.repeat.trim() {
            "" => 0,
            r => r.parse().map_err(|_| {
                ApiError::bad("repeat", format!("`{r}` is not a whole number from 0"))
            })?,
        };
        Ok(Policy { levels, repeat })
    }
}

/// A policy in the list.
pub(super) struct PolicyRow {
    pub name: String,
    pub levels: usize,
    pub repeat: u32,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct ListPage {
    layout: Layout,
    policies: Vec<PolicyRow>,
    form: PolicyFields,
    action: String,
    editing: bool,
}

#[derive(Template)]
#[template(path = "policy.html")]
struct EditPage {
    layout: Layout,
    form: PolicyFields,
    action: String,
    editing: bool,
}

async fn rows(state: &AppState) -> Result<Vec<PolicyRow>, ApiError> {
    Ok(state
        .store
        .policies()
        .await?
        .into_iter()
        .map(|d| {
            let p = serde_json::from_value::<Policy>(d.definition).ok();
            PolicyRow {
                name: d.name,
                levels: p.as_ref().map(|p| p.levels.len()).unwrap_or(0),
                repeat: p.as_ref().map(|p| p.repeat).unwrap_or(0),
            }
        })
        .collect())
}

async fn render(
    state: &AppState,
    s: &SessionInfo,
    editing: Option<&str>,
    form: PolicyFields,
    flash: Flash,
    error: Option<ApiError>,
) -> Response {
    let status = error.as_ref().map(status_of).unwrap_or_default();
    let flash = match &error {
        Some(e) => Flash::error(Some(form_error(e))),
        None => flash,
    };
    let layout = Layout::signed_in(s, flash);
    match editing {
        Some(name) => page_with_status(
            status,
            &EditPage {
                layout,
                form,
                action: format!("/admin/policies/{}", encode(name)),
                editing: true,
            },
        ),
        None => match rows(state).await {
            Ok(policies) => page_with_status(
                status,
                &ListPage {
                    layout,
                    policies,
                    form,
                    action: "/admin/policies".into(),
                    editing: false,
                },
            ),
            Err(e) => error_page(s, e),
        },
    }
}

/// The policies, and the form to add one.
pub(super) async fn list(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    render(&state, &s, None, PolicyFields::blank(), f, None).await
}

/// A policy's page: its form, filled in.
pub(super) async fn edit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    f: Flash,
) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let stored = match state.store.policies().await {
        Ok(defs) => defs.into_iter().find(|d| d.name == name),
        Err(e) => return error_page(&s, e.into()),
    };
    let Some(def) = stored else {
        return error_page(
            &s,
            ApiError::NotFound(format!("escalation policy `{name}`")),
        );
    };
    let policy = match serde_json::from_value::<Policy>(def.definition) {
        Ok(p) => p,
        Err(e) => {
            return error_page(&s, ApiError::Internal(format!("stored policy {name}: {e}")));
        }
    };
    let mut form = PolicyFields::from_policy(&name, &policy);
    if form.levels.is_empty() {
        form.levels.push(LevelFields::blank(0));
    }
    page(&EditPage {
        layout: Layout::signed_in(&s, f),
        form,
        action: format!("/admin/policies/{}", encode(&name)),
        editing: true,
    })
}

/// The list page's form: a new policy (refused when the name is taken).
pub(super) async fn submit_new(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> Response {
    handle(&state, &s, None, &f).await
}

/// A policy's page's form.
pub(super) async fn submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> Response {
    handle(&state, &s, Some(&name), &f).await
}

async fn handle(
    state: &AppState,
    s: &SessionInfo,
    editing: Option<&str>,
    f: &SetupForm,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageServices) {
        return error_page(s, e);
    }
    let mut form = PolicyFields::from_form(f);
    if f.action() == "add-level" {
        form.levels.push(LevelFields::blank(form.levels.len()));
        return render(state, s, editing, form, Flash::default(), None).await;
    }
    match save(&c, editing, &form).await {
        Ok(name) => back(
            &format!("/admin/policies/{}", encode(&name)),
            Ok(format!("Escalation policy {name} saved")),
        ),
        Err(e) => render(state, s, editing, form, Flash::default(), Some(e)).await,
    }
}

async fn save(c: &Ctx<'_>, editing: Option<&str>, form: &PolicyFields) -> Result<String, ApiError> {
    let policy = form.to_policy()?;
    let name = match editing {
        Some(n) => n.to_owned(),
        None => {
            let name = form.name.trim().to_owned();
            if c.store.policies().await?.iter().any(|d| d.name == name) {
                return Err(ApiError::Conflict(format!(
                    "an escalation policy named `{name}` exists: change it on its own page"
                )));
            }
            name
        }
    };
    api::save_policy(c, &name, &policy).await?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_as_written() {
        assert_eq!(target_of("alice"), Target::User("alice".into()));
        assert_eq!(target_of("user:bob"), Target::User("bob".into()));
        assert_eq!(
            target_of("schedule: primary"),
            Target::Schedule("primary".into())
        );
        assert_eq!(target_text(&Target::Schedule("p".into())), "schedule:p");
        assert_eq!(minutes_text(900), "15");
        assert_eq!(minutes_text(90), "1.5");
    }
}
