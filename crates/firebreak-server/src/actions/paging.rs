//! Paging by hand and acknowledging: escalating an incident to a person,
//! its lead or leadership, and stopping its pages (from the API, the web
//! page or an acknowledgment link, through one function).

use chrono::{DateTime, Utc};

use firebreak_api::Incident;
use firebreak_core::auth::Action;
use firebreak_store::{Actor, Store};

use crate::error::ApiError;
use crate::escalate::{self, IncidentInfo};
use firebreak_core::escalation::{Audience, Decision, Rule};

use super::{Ctx, text};

/// Escalates by hand: to the incident lead (a page by policy), to
/// leadership, or to one user (a page).
pub async fn escalate_manual(
    cx: &Ctx<'_>,
    id: i64,
    to: &str,
    reason: &str,
) -> Result<Incident, ApiError> {
    cx.require(Action::Respond)?;
    let incident = cx.incident(id).await?;
    if !incident.phase.escalates() {
        return Err(ApiError::invalid(
            "phase",
            format!(
                "{} is {}: a closed incident cannot be escalated",
                incident.reference,
                incident.phase.label()
            ),
        ));
    }
    let reason = text("reason", Some(reason), true)?.unwrap_or_default();
    let audience = match to.trim() {
        "incident_lead" => Audience::IncidentLead,
        "leadership" => Audience::Leadership,
        name => {
            cx.user_id("to", name).await?;
            Audience::User(name.to_owned())
        }
    };
    let decision = Decision {
        rule: Rule::Manual,
        audience,
        page: true,
        reason: format!("{} escalated by hand: {reason}", cx.user.name),
    };
    let dir = cx.store.directory().await?;
    let info = IncidentInfo {
        service: incident.service.as_deref(),
        owner_id: incident.owner.as_ref().map(|o| o.id),
    };
    let (writes, lines) = escalate::plan(
        &dir,
        cx.escalation,
        &info,
        std::slice::from_ref(&decision),
        cx.now,
    );
    cx.store
        .escalate(id, &writes, &lines, &cx.actor(), cx.now)
        .await?;
    cx.wake.wake();
    cx.incident(id).await
}

/// Acknowledges an incident's active pages: their escalation stops.
pub async fn acknowledge(cx: &Ctx<'_>, id: i64) -> Result<firebreak_api::Acknowledged, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    acknowledge_pages(cx.store, AckTarget::Incident(id), &cx.actor(), cx.now).await
}

/// What an acknowledgment stops: an incident's active pages, or the page
/// an acknowledgment link was sent for.
#[derive(Debug, Clone, Copy)]
pub enum AckTarget<'a> {
    Incident(i64),
    /// The chain's acknowledgment key, from a verified link.
    Link(&'a str),
}

/// The one write of an acknowledgment, for the API, the web page and
/// acknowledgment links (whose link is its own authority, so no permission
/// is asked here): the pages' escalation stops, recorded as `actor`'s.
pub async fn acknowledge_pages(
    store: &Store,
    target: AckTarget<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<firebreak_api::Acknowledged, ApiError> {
    let (incident, key) = match target {
        AckTarget::Incident(id) => (Some(id), None),
        AckTarget::Link(key) => (None, Some(key)),
    };
    let (incident_id, chains) = store.acknowledge(incident, key, actor, now).await?;
    Ok(firebreak_api::Acknowledged {
        incident_id,
        chains,
    })
}
