//! Incidents: declaring them, their phases and gates, severity, people,
//! notes and timeline, over the JSON API ([`api`]) and the web pages
//! ([`web`], [`declare`]). Every change goes through [`crate::actions`].

pub mod api;
pub mod declare;
pub mod glance;
pub mod web;

use firebreak_api::parse_incident_ref;

use crate::error::ApiError;

/// An incident id or reference (`INC-3`) from the path.
pub fn incident_id(raw: &str) -> Result<i64, ApiError> {
    parse_incident_ref(raw).ok_or_else(|| ApiError::NotFound(format!("incident `{raw}`")))
}
