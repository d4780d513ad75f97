//! Escalation: on-call schedules and their shifts and calendars, who is on
//! call, escalation policies, the service catalog with each service's
//! escalation settings, and users' contact methods.

use chrono::{DateTime, Utc};
use firebreak_api::{ContactMethod, CreateService, Definition, NewContactMethod, Service};
use reqwest::Method;
use serde::Serialize;

use crate::{Client, OnCall, Result, ServiceEscalation, ShiftView};

impl Client {
    /// `GET /api/v1/services`.
    pub async fn services(&self) -> Result<Vec<Service>> {
        self.api_get(&["services"]).await
    }

    /// `POST /api/v1/services`.
    pub async fn create_service(&self, req: &CreateService) -> Result<Service> {
        self.api_post(&["services"], req).await
    }

    /// `PUT /api/v1/services/{name}/escalation`: sets the service's policy
    /// and runbook, both at once.
    pub async fn set_service_escalation(
        &self,
        service: &str,
        req: &ServiceEscalation,
    ) -> Result<()> {
        let rest = ["services", service, "escalation"];
        self.execute_empty(self.with_body(Method::PUT, &rest, req)?)
            .await
    }

    /// `GET /api/v1/schedules`: every schedule, as stored.
    pub async fn schedules(&self) -> Result<Vec<Definition>> {
        self.api_get(&["schedules"]).await
    }

    /// `GET /api/v1/schedules/{name}`.
    pub async fn schedule(&self, name: &str) -> Result<Definition> {
        self.api_get(&["schedules", name]).await
    }

    /// `PUT /api/v1/schedules/{name}`: creates or replaces a schedule.
    /// `schedule` is a [`Schedule`](crate::Schedule) or its JSON (whose
    /// `name` must be `name`); the server validates it.
    pub async fn put_schedule<S: Serialize + ?Sized>(
        &self,
        name: &str,
        schedule: &S,
    ) -> Result<Definition> {
        self.api_send(Method::PUT, &["schedules", name], schedule)
            .await
    }

    /// `GET /api/v1/schedules/{name}/shifts`: the final timeline between
    /// `from` (the server's default: now) and `to` (default: two weeks on).
    pub async fn shifts(
        &self,
        name: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<ShiftView>> {
        #[derive(Serialize)]
        struct Q {
            #[serde(skip_serializing_if = "Option::is_none")]
            from: Option<DateTime<Utc>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            to: Option<DateTime<Utc>>,
        }
        self.api_query(&["schedules", name, "shifts"], &Q { from, to })
            .await
    }

    /// `GET /api/v1/schedules/{name}/calendar/{user}`: the user's shifts as
    /// an iCalendar feed (text).
    pub async fn calendar(&self, name: &str, user: &str) -> Result<String> {
        let segments = ["api", "v1", "schedules", name, "calendar", user];
        let res = self.response(self.request(Method::GET, &segments)?).await?;
        res.text().await.map_err(|e| self.transport_error(&e))
    }

    /// `GET /api/v1/oncall`: who is on call at `at` (the server's now when
    /// `None`), on one schedule or on every one.
    pub async fn oncall(
        &self,
        schedule: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> Result<Vec<OnCall>> {
        #[derive(Serialize)]
        struct Q<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            schedule: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            at: Option<DateTime<Utc>>,
        }
        self.api_query(&["oncall"], &Q { schedule, at }).await
    }

    /// `GET /api/v1/escalation-policies`.
    pub async fn policies(&self) -> Result<Vec<Definition>> {
        self.api_get(&["escalation-policies"]).await
    }

    /// `PUT /api/v1/escalation-policies/{name}`: creates or replaces a
    /// policy. `policy` is a [`Policy`](crate::Policy) or its JSON.
    pub async fn put_policy<P: Serialize + ?Sized>(
        &self,
        name: &str,
        policy: &P,
    ) -> Result<Definition> {
        self.api_send(Method::PUT, &["escalation-policies", name], policy)
            .await
    }

    /// `GET /api/v1/users/{name}/contact-methods`.
    pub async fn contact_methods(&self, user: &str) -> Result<Vec<ContactMethod>> {
        self.api_get(&["users", user, "contact-methods"]).await
    }

    /// `POST /api/v1/users/{name}/contact-methods`: yourself, or (admins)
    /// anyone.
    pub async fn add_contact_method(
        &self,
        user: &str,
        req: &NewContactMethod,
    ) -> Result<ContactMethod> {
        self.api_post(&["users", user, "contact-methods"], req)
            .await
    }
}
