//! The one place where incidents and reports change.
//!
//! Each action (1) checks the actor's permission and that the record exists
//! for them, (2) asks `firebreak-core` whether the change is allowed and what
//! it implies, and (3) hands the store one change to write in one
//! transaction with its timeline events and audit entry. The JSON API, the
//! web pages and (through the API) the CLI all call these functions; there
//! is no second path.

use chrono::{DateTime, Utc};

use firebreak_api::{Incident, Report, User};
use firebreak_core::auth::{Action, allowed, can_see_confidential};
use firebreak_store::{Actor, Reader, Store};

use crate::error::ApiError;
use crate::escalate::{self, EscalationConfig};

pub mod affected;
mod incident;
mod paging;
mod reports;

pub use incident::{add_member, declare, mark, note, transition, update};
pub use paging::{AckTarget, acknowledge, acknowledge_pages, escalate_manual};
pub use reports::{dismiss_report, link_report, submit_report};

/// Longest title accepted, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest free text (summary, description, note, reason), in characters.
pub const MAX_TEXT: usize = 20_000;

/// Who is acting, and when.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub user: &'a User,
    pub now: DateTime<Utc>,
    pub escalation: &'a EscalationConfig,
    /// Wakes the workers when a change queued work for them.
    pub wake: &'a crate::Waker,
}

impl Ctx<'_> {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.name)
    }

    pub fn reader(&self) -> Reader {
        Reader {
            user_id: self.user.id,
            sees_all_confidential: can_see_confidential(self.user.role, false),
        }
    }

    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if allowed(self.user.role, action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "role `{}` may not {}",
                self.user.role, action
            )))
        }
    }

    /// The incident if it exists for this user: security incidents are
    /// missing, not forbidden, to everyone the rule does not admit.
    pub async fn incident(&self, id: i64) -> Result<Incident, ApiError> {
        self.require(Action::Read)?;
        self.store
            .incident(id, &self.reader())
            .await?
            .ok_or_else(|| ApiError::NotFound(firebreak_api::incident_ref(id)))
    }

    pub async fn report(&self, id: i64) -> Result<Report, ApiError> {
        self.require(Action::Read)?;
        self.store
            .report(id, &self.reader(), self.now)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("report {id}")))
    }

    async fn user_id(&self, field: &str, name: &str) -> Result<i64, ApiError> {
        match self.store.user_by_name(name).await? {
            Some(u) if !u.disabled => Ok(u.id),
            _ => Err(ApiError::invalid(field, format!("no user named `{name}`"))),
        }
    }

    /// The user `name` if they may be made owner or incident lead
    /// ([`escalate::assignable`]); refused naming `field` otherwise.
    fn assignee(
        &self,
        dir: &firebreak_store::Directory,
        field: &str,
        name: &str,
    ) -> Result<i64, ApiError> {
        escalate::assignable(dir, name).map_err(|why| ApiError::invalid(field, why))
    }

    async fn service_id(&self, field: &str, name: &str) -> Result<i64, ApiError> {
        match self.store.service_by_name(name).await? {
            Some(s) => Ok(s.id),
            None => Err(ApiError::invalid(
                field,
                format!("no service named `{name}`"),
            )),
        }
    }
}

/// Checks a required single-line text field.
pub fn title(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` must not be empty"),
        ));
    }
    if v.chars().count() > MAX_TITLE {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` is longer than {MAX_TITLE} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` must be one line"),
        ));
    }
    Ok(v.to_owned())
}

/// Checks free text; `required` refuses empty text.
pub fn text(field: &str, value: Option<&str>, required: bool) -> Result<Option<String>, ApiError> {
    let v = value.map(str::trim).filter(|v| !v.is_empty());
    match v {
        None if required => Err(ApiError::invalid(field, format!("`{field}` is required"))),
        None => Ok(None),
        Some(v) if v.chars().count() > MAX_TEXT => Err(ApiError::invalid(
            field,
            format!("`{field}` is longer than {MAX_TEXT} characters"),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}
