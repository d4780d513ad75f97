//! Escalation settings an admin or lead changes in the web or API, over
//! the configuration file's `[escalation]` values: the incident-lead policy,
//! the leadership group and the fallback. The file stays the default (a
//! setting reset takes its value again); a change is audited and takes
//! effect at once, without a restart.
//!
//! [`effective`] is the one place where the two meet: every decision that
//! reads these values (paging, timeouts, the on-call page, the doctor and
//! the start-up warnings) asks it, over the [`Directory`] it already loaded,
//! so a change inside a transaction sees the same values the page showed.

pub mod api;
pub mod web;

use serde_json::Value;

use firebreak_api::SettingView;
use firebreak_core::auth::Action;
use firebreak_store::Directory;

use crate::actions::Ctx;
use crate::error::ApiError;
use crate::escalate::EscalationConfig;

/// A setting that can be changed over the file's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    IncidentLeadPolicy,
    Leadership,
    Fallback,
}

impl Key {
    pub const ALL: [Key; 3] = [Key::IncidentLeadPolicy, Key::Leadership, Key::Fallback];

    /// The key's name: the `[escalation]` key of the configuration file.
    pub fn name(self) -> &'static str {
        match self {
            Key::IncidentLeadPolicy => "incident_lead_policy",
            Key::Leadership => "leadership",
            Key::Fallback => "fallback",
        }
    }

    pub fn parse(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What the setting is for, in words.
    pub fn label(self) -> &'static str {
        match self {
            Key::IncidentLeadPolicy => "Incident-lead policy",
            Key::Leadership => "Leadership group",
            Key::Fallback => "Fallback",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Key::IncidentLeadPolicy => {
                "The escalation policy that pages the incident lead for critical and high \
                 incidents whose service has no policy of its own (and incidents with no service)."
            }
            Key::Leadership => {
                "People notified when a critical incident confirms customer data access or a \
                 full outage."
            }
            Key::Fallback => {
                "People told whenever a page reaches nobody (no policy, nobody on call, no \
                 contact method)."
            }
        }
    }

    /// The file's value of this key, as JSON.
    fn file_value(self, file: &EscalationConfig) -> Value {
        match self {
            Key::IncidentLeadPolicy => file
                .incident_lead_policy
                .as_ref()
                .map_or(Value::Null, |p| Value::String(p.clone())),
            Key::Leadership => names_json(&file.leadership),
            Key::Fallback => names_json(&file.fallback),
        }
    }
}

fn names_json(names: &[String]) -> Value {
    Value::Array(names.iter().cloned().map(Value::String).collect())
}

/// The escalation configuration in force: the file's, with the settings
/// changed in the web over it. A stored value that no longer reads (it
/// cannot, as [`set`] checks it) leaves the file's value.
pub fn effective(file: &EscalationConfig, dir: &Directory) -> EscalationConfig {
    let mut cfg = file.clone();
    for key in Key::ALL {
        let Some(s) = dir.settings.get(key.name()) else {
            continue;
        };
        match key {
            Key::IncidentLeadPolicy => match &s.value {
                Value::Null => cfg.incident_lead_policy = None,
                Value::String(p) => cfg.incident_lead_policy = Some(p.clone()),
                _ => {}
            },
            Key::Leadership | Key::Fallback => {
                if let Some(names) = string_list(&s.value) {
                    if key == Key::Leadership {
                        cfg.leadership = names;
                    } else {
                        cfg.fallback = names;
                    }
                }
            }
        }
    }
    cfg
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|n| n.as_str().map(str::to_owned))
        .collect()
}

/// Checks `value` for `key` against what exists: the policy must exist; the
/// people must exist, be enabled and be people (not an integration's
/// service account), each named once. Answers the value to store, names
/// trimmed.
pub fn check(dir: &Directory, key: Key, value: &Value) -> Result<Value, ApiError> {
    match key {
        Key::IncidentLeadPolicy => match value {
            Value::Null => Ok(Value::Null),
            Value::String(p) => {
                let p = p.trim();
                if p.is_empty() {
                    return Ok(Value::Null);
                }
                if !dir.policies.contains_key(p) {
                    return Err(ApiError::invalid(
                        "value",
                        format!("no escalation policy is named `{p}`"),
                    ));
                }
                Ok(Value::String(p.to_owned()))
            }
            _ => Err(ApiError::bad(
                "value",
                "incident_lead_policy takes a policy name or null",
            )),
        },
        Key::Leadership | Key::Fallback => {
            let Some(names) = string_list(value) else {
                return Err(ApiError::bad(
                    "value",
                    format!("{} takes a list of user names", key.name()),
                ));
            };
            let mut out: Vec<String> = Vec::new();
            for n in names {
                let n = n.trim().to_owned();
                if n.is_empty() || out.contains(&n) {
                    continue;
                }
                if crate::escalate::is_service_account(&n) {
                    return Err(ApiError::invalid(
                        "value",
                        format!("`{n}` is an integration's service account, not a person"),
                    ));
                }
                if let Some(why) = crate::doctor::user_problem(dir, &n) {
                    return Err(ApiError::invalid("value", why));
                }
                out.push(n);
            }
            Ok(names_json(&out))
        }
    }
}

/// Every setting as it stands.
pub fn views(file: &EscalationConfig, dir: &Directory) -> Vec<SettingView> {
    Key::ALL.into_iter().map(|k| view(file, dir, k)).collect()
}

/// One setting as it stands.
pub fn view(file: &EscalationConfig, dir: &Directory, key: Key) -> SettingView {
    let file_value = key.file_value(file);
    match dir.settings.get(key.name()) {
        Some(s) => SettingView {
            key: key.name().to_owned(),
            value: s.value.clone(),
            source: "web".to_owned(),
            file_value,
            updated_by: Some(s.updated_by.clone()),
            updated_at: Some(s.updated_at),
        },
        None => SettingView {
            key: key.name().to_owned(),
            value: file_value.clone(),
            source: "file".to_owned(),
            file_value,
            updated_by: None,
            updated_at: None,
        },
    }
}

/// Changes a setting (admins and leads: `manage_services`). `null` for the
/// incident-lead policy means "no policy" over whatever the file says;
/// [`reset`] goes back to the file's value.
pub async fn set(cx: &Ctx<'_>, key: &str, value: &Value) -> Result<SettingView, ApiError> {
    cx.require(Action::ManageServices)?;
    let key = parse_key(key)?;
    let dir = cx.store.directory().await?;
    let value = check(&dir, key, value)?;
    cx.store
        .put_setting(key.name(), Some(&value), &cx.actor(), cx.now)
        .await?;
    after(cx, key).await
}

/// Sets `key` back to the configuration file's value.
pub async fn reset(cx: &Ctx<'_>, key: &str) -> Result<SettingView, ApiError> {
    cx.require(Action::ManageServices)?;
    let key = parse_key(key)?;
    cx.store
        .put_setting(key.name(), None, &cx.actor(), cx.now)
        .await?;
    after(cx, key).await
}

fn parse_key(key: &str) -> Result<Key, ApiError> {
    Key::parse(key).ok_or_else(|| ApiError::NotFound(format!("setting `{key}`")))
}

async fn after(cx: &Ctx<'_>, key: Key) -> Result<SettingView, ApiError> {
    let dir = cx.store.directory().await?;
    Ok(view(cx.escalation, &dir, key))
}

#[cfg(test)]
mod tests;
