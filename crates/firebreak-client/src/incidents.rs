//! Incidents: declaring, reading and changing them, their checklist,
//! timeline, notes and members, the severity the facts suggest, and their
//! escalations, acknowledgment and notifications.

use firebreak_api::{
    Acknowledged, AddMember, Classification, DeclareIncident, Escalate, Escalation, GateItem,
    ImpactFacts, Incident, IncidentFilter, MarkItem, NewNote, Note, Notification, TimelineEvent,
    Transition, UpdateIncident,
};
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// `GET /api/v1/classify`: the severity the facts suggest.
    pub async fn classify(&self, facts: &ImpactFacts) -> Result<Classification> {
        self.api_query(&["classify"], facts).await
    }

    /// `GET /api/v1/incidents`: incidents you can see, newest first.
    pub async fn list_incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        self.api_query(&["incidents"], filter).await
    }

    /// `POST /api/v1/incidents`.
    pub async fn declare_incident(&self, req: &DeclareIncident) -> Result<Incident> {
        self.api_post(&["incidents"], req).await
    }

    /// `GET /api/v1/incidents/{id}`, by id (`3`) or reference (`INC-3`).
    pub async fn incident(&self, id_or_ref: &str) -> Result<Incident> {
        self.api_get(&["incidents", id_or_ref]).await
    }

    /// `PATCH /api/v1/incidents/{id}`.
    pub async fn update_incident(&self, id_or_ref: &str, req: &UpdateIncident) -> Result<Incident> {
        self.api_send(Method::PATCH, &["incidents", id_or_ref], req)
            .await
    }

    /// `POST /api/v1/incidents/{id}/transition`.
    pub async fn transition(&self, id_or_ref: &str, req: &Transition) -> Result<Incident> {
        self.api_post(&["incidents", id_or_ref, "transition"], req)
            .await
    }

    /// `POST /api/v1/incidents/{id}/checklist/{item}`.
    pub async fn mark_item(
        &self,
        id_or_ref: &str,
        item: GateItem,
        req: &MarkItem,
    ) -> Result<Incident> {
        let rest = ["incidents", id_or_ref, "checklist", item.as_str()];
        self.api_post(&rest, req).await
    }

    /// `GET /api/v1/incidents/{id}/timeline`: the whole timeline.
    pub async fn timeline(&self, id_or_ref: &str) -> Result<Vec<TimelineEvent>> {
        self.api_get(&["incidents", id_or_ref, "timeline"]).await
    }

    /// `GET /api/v1/incidents/{id}/notes`.
    pub async fn notes(&self, id_or_ref: &str) -> Result<Vec<Note>> {
        self.api_get(&["incidents", id_or_ref, "notes"]).await
    }

    /// `POST /api/v1/incidents/{id}/notes`.
    pub async fn add_note(&self, id_or_ref: &str, req: &NewNote) -> Result<Note> {
        self.api_post(&["incidents", id_or_ref, "notes"], req).await
    }

    /// `POST /api/v1/incidents/{id}/members`.
    pub async fn add_member(&self, id_or_ref: &str, req: &AddMember) -> Result<Incident> {
        self.api_post(&["incidents", id_or_ref, "members"], req)
            .await
    }

    /// `GET /api/v1/incidents/{id}/escalations`: oldest first.
    pub async fn escalations(&self, id_or_ref: &str) -> Result<Vec<Escalation>> {
        self.api_get(&["incidents", id_or_ref, "escalations"]).await
    }

    /// `POST /api/v1/incidents/{id}/escalate`: escalates by hand.
    pub async fn escalate(&self, id_or_ref: &str, req: &Escalate) -> Result<Incident> {
        self.api_post(&["incidents", id_or_ref, "escalate"], req)
            .await
    }

    /// `POST /api/v1/incidents/{id}/acknowledge`: stops the escalation of
    /// the incident's active pages.
    pub async fn acknowledge(&self, id_or_ref: &str) -> Result<Acknowledged> {
        self.api_act(&["incidents", id_or_ref, "acknowledge"]).await
    }

    /// `GET /api/v1/incidents/{id}/notifications`: the messages sent (or
    /// being sent) for an incident.
    pub async fn notifications(&self, id_or_ref: &str) -> Result<Vec<Notification>> {
        self.api_get(&["incidents", id_or_ref, "notifications"])
            .await
    }

    /// `GET /api/v1/notifications/failed`: messages that failed for good
    /// (admins).
    pub async fn failed_notifications(&self) -> Result<Vec<Notification>> {
        self.api_get(&["notifications", "failed"]).await
    }
}
