//! A typed async client of the Firebreak JSON API (`/api/v1`).
//!
//! One method per route of the server's `http::api` module, taking and
//! returning the wire types of `firebreak-api`, so the client, the server and
//! the CLI cannot disagree about a field. Errors keep the server's RFC 9457
//! problem body ([`Error::Api`]) so callers can show the field or gate at
//! fault; nothing the server sends is trusted to have a particular shape
//! beyond what decoding checks.
//!
//! TLS goes through rustls. The binary installs the `ring` crypto provider
//! at start; [`Client::new`] installs it too if no provider is installed yet,
//! so a library user never hits reqwest's "no provider" panic.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use firebreak_api::{
    Acknowledged, AddMember, AuditEntry, AuditVerification, Classification, ContactMethod,
    CreateService, CreateToken, CreateUser, DeclareFromReport, DeclareIncident, Definition,
    DismissReport, Escalate, Escalation, GateItem, Health, ImpactFacts, Incident, IncidentFilter,
    LinkReport, MarkItem, MarkStatus, NewContactMethod, NewNote, NewReport, Note, Notification,
    Problem, Report, ReportFilter, Service, TimelineEvent, TokenCreated, Transition,
    UpdateIncident, User,
};
pub use firebreak_core::escalation::Policy;
pub use firebreak_core::oncall::Schedule;

/// Who is on call on one schedule at an instant, and who is next: one entry
/// of `GET /api/v1/oncall`.
pub use firebreak_api::OnCallAnswer as OnCall;
pub use firebreak_api::{ServiceEscalation, ShiftView};

/// The intake admin API's shapes: integrations, routing rules, silences,
/// maintenance windows and alerts.
pub use firebreak_api::intake::{
    AlertQuery, AlertView, CreateIntegration, IntegrationCreated, IntegrationKind, IntegrationView,
    MaintenanceBody, MaintenanceView, Mapping, Matcher, RuleBody, RuleView, SilenceBody,
    SilenceView,
};

/// Longest piece of a non-problem error body quoted in an error.
const MAX_QUOTED_BODY: usize = 300;

/// What can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status; `problem` is its problem
    /// body, or one made up from the status when the body was not one.
    /// Boxed to keep `Result`s small.
    #[error("{}", describe_problem(.problem))]
    Api { status: u16, problem: Box<Problem> },
    /// The request could not be sent or the answer not received: a bad URL,
    /// the server unreachable, a timeout.
    #[error("{0}")]
    Http(String),
    /// The server answered with a success status but a body that is not
    /// what the route promises.
    #[error("could not decode the server's answer: {0}")]
    Decode(String),
}

impl Error {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The problem body of an API error.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Api { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

/// `title: detail (field: x) (gate: y)`, the way the CLI prints a problem.
pub fn describe_problem(p: &Problem) -> String {
    let mut out = p.title.clone();
    if let Some(detail) = p.detail.as_deref().filter(|d| !d.is_empty()) {
        out.push_str(": ");
        out.push_str(detail);
    }
    if let Some(field) = &p.field {
        out.push_str(&format!(" (field: {field})"));
    }
    if let Some(gate) = &p.gate {
        out.push_str(&format!(" (gate: {gate})"));
    }
    out
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A client of one Firebreak server, acting as the owner of one token.
/// Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never print it.
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Client {
    /// A client of the server at `base_url` (`http://host:port`, optionally
    /// with a path prefix) sending `token` as a bearer token. An empty token
    /// sends none, which only `healthz` accepts.
    pub fn new(base_url: &str, token: &str) -> Result<Client> {
        let mut base = Url::parse(base_url.trim())
            .map_err(|e| Error::Http(format!("invalid server URL `{base_url}`: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::Http(format!(
                "invalid server URL `{base_url}`: expected http://… or https://…"
            )));
        }
        // Routes are appended as path segments, so drop a trailing slash
        // and any query or fragment.
        base.set_query(None);
        base.set_fragment(None);
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Fails only if another thread installed one meanwhile: fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("firebreak-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Http(format!("cannot set up the HTTP client: {}", chain(&e))))?;
        let token = Some(token.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Client { http, base, token })
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /healthz`: the process is up. Needs no token.
    pub async fn healthz(&self) -> Result<firebreak_api::Health> {
        self.get(&["healthz"]).await
    }

    /// `GET /readyz`: the database answers. Needs no token.
    pub async fn readyz(&self) -> Result<firebreak_api::Health> {
        self.get(&["readyz"]).await
    }

    /// `GET /api/v1/doctor`: every paging path, and each missing link
    /// (admins).
    pub async fn doctor(&self) -> Result<firebreak_api::DoctorReport> {
        self.get(&["api", "v1", "doctor"]).await
    }

    /// `GET /api/v1/openapi.json`: the OpenAPI document.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.get(&["api", "v1", "openapi.json"]).await
    }

    /// `GET /api/v1/me`: the owner of the token.
    pub async fn me(&self) -> Result<User> {
        self.get(&["api", "v1", "me"]).await
    }

    /// `GET /api/v1/users`.
    pub async fn users(&self) -> Result<Vec<User>> {
        self.get(&["api", "v1", "users"]).await
    }

    /// `POST /api/v1/users` (admins).
    pub async fn create_user(&self, req: &CreateUser) -> Result<User> {
        self.send(Method::POST, &["api", "v1", "users"], req).await
    }

    /// `POST /api/v1/tokens`: a token for yourself or (admins) another user.
    pub async fn create_token(&self, req: &CreateToken) -> Result<TokenCreated> {
        self.send(Method::POST, &["api", "v1", "tokens"], req).await
    }

    /// `GET /api/v1/services`.
    pub async fn services(&self) -> Result<Vec<Service>> {
        self.get(&["api", "v1", "services"]).await
    }

    /// `POST /api/v1/services`.
    pub async fn create_service(&self, req: &CreateService) -> Result<Service> {
        self.send(Method::POST, &["api", "v1", "services"], req)
            .await
    }

    /// `GET /api/v1/classify`: the severity the facts suggest.
    pub async fn classify(&self, facts: &ImpactFacts) -> Result<Classification> {
        self.get_query(&["api", "v1", "classify"], facts).await
    }

    /// `GET /api/v1/incidents`: incidents you can see, newest first.
    pub async fn list_incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        self.get_query(&["api", "v1", "incidents"], filter).await
    }

    /// `POST /api/v1/incidents`.
    pub async fn declare_incident(&self, req: &DeclareIncident) -> Result<Incident> {
        self.send(Method::POST, &["api", "v1", "incidents"], req)
            .await
    }

    /// `GET /api/v1/incidents/{id}`, by id (`3`) or reference (`INC-3`).
    pub async fn incident(&self, id_or_ref: &str) -> Result<Incident> {
        self.get(&["api", "v1", "incidents", id_or_ref]).await
    }

    /// `PATCH /api/v1/incidents/{id}`.
    pub async fn update_incident(&self, id_or_ref: &str, req: &UpdateIncident) -> Result<Incident> {
        self.send(Method::PATCH, &["api", "v1", "incidents", id_or_ref], req)
            .await
    }

    /// `POST /api/v1/incidents/{id}/transition`.
    pub async fn transition(&self, id_or_ref: &str, req: &Transition) -> Result<Incident> {
        self.send(
            Method::POST,
            &["api", "v1", "incidents", id_or_ref, "transition"],
            req,
        )
        .await
    }

    /// `POST /api/v1/incidents/{id}/checklist/{item}`.
    pub async fn mark_item(
        &self,
        id_or_ref: &str,
        item: GateItem,
        req: &MarkItem,
    ) -> Result<Incident> {
        self.send(
            Method::POST,
            &[
                "api",
                "v1",
                "incidents",
                id_or_ref,
                "checklist",
                item.as_str(),
            ],
            req,
        )
        .await
    }

    /// `GET /api/v1/incidents/{id}/timeline`: the whole timeline.
    pub async fn timeline(&self, id_or_ref: &str) -> Result<Vec<TimelineEvent>> {
        self.get(&["api", "v1", "incidents", id_or_ref, "timeline"])
            .await
    }

    /// `GET /api/v1/incidents/{id}/notes`.
    pub async fn notes(&self, id_or_ref: &str) -> Result<Vec<Note>> {
        self.get(&["api", "v1", "incidents", id_or_ref, "notes"])
            .await
    }

    /// `POST /api/v1/incidents/{id}/notes`.
    pub async fn add_note(&self, id_or_ref: &str, req: &NewNote) -> Result<Note> {
        self.send(
            Method::POST,
            &["api", "v1", "incidents", id_or_ref, "notes"],
            req,
        )
        .await
    }

    /// `POST /api/v1/incidents/{id}/members`.
    pub async fn add_member(&self, id_or_ref: &str, req: &AddMember) -> Result<Incident> {
        self.send(
            Method::POST,
            &["api", "v1", "incidents", id_or_ref, "members"],
            req,
        )
        .await
    }

    /// `GET /api/v1/reports`: the triage queue, or reports by status.
    pub async fn reports(&self, filter: &ReportFilter) -> Result<Vec<Report>> {
        self.get_query(&["api", "v1", "reports"], filter).await
    }

    /// `POST /api/v1/reports`.
    pub async fn submit_report(&self, req: &NewReport) -> Result<Report> {
        self.send(Method::POST, &["api", "v1", "reports"], req)
            .await
    }

    /// `GET /api/v1/reports/{id}`.
    pub async fn report(&self, id: i64) -> Result<Report> {
        self.get(&["api", "v1", "reports", &id.to_string()]).await
    }

    /// `POST /api/v1/reports/{id}/declare`: declares an incident from it.
    pub async fn declare_report(&self, id: i64, req: &DeclareFromReport) -> Result<Incident> {
        self.send(
            Method::POST,
            &["api", "v1", "reports", &id.to_string(), "declare"],
            req,
        )
        .await
    }

    /// `POST /api/v1/reports/{id}/link`.
    pub async fn link_report(&self, id: i64, req: &LinkReport) -> Result<Report> {
        self.send(
            Method::POST,
            &["api", "v1", "reports", &id.to_string(), "link"],
            req,
        )
        .await
    }

    /// `POST /api/v1/reports/{id}/dismiss`.
    pub async fn dismiss_report(&self, id: i64, req: &DismissReport) -> Result<Report> {
        self.send(
            Method::POST,
            &["api", "v1", "reports", &id.to_string(), "dismiss"],
            req,
        )
        .await
    }

    /// `GET /api/v1/audit`: the newest entries (admins); the server's
    /// default limit when `limit` is `None`.
    pub async fn audit(&self, limit: Option<i64>) -> Result<Vec<AuditEntry>> {
        #[derive(Serialize)]
        struct Q {
            #[serde(skip_serializing_if = "Option::is_none")]
            limit: Option<i64>,
        }
        self.get_query(&["api", "v1", "audit"], &Q { limit }).await
    }

    /// `GET /api/v1/audit/verify`: checks the hash chain (admins).
    pub async fn audit_verify(&self) -> Result<AuditVerification> {
        self.get(&["api", "v1", "audit", "verify"]).await
    }

    /// `GET /api/v1/schedules`: every schedule, as stored.
    pub async fn schedules(&self) -> Result<Vec<Definition>> {
        self.get(&["api", "v1", "schedules"]).await
    }

    /// `GET /api/v1/schedules/{name}`.
    pub async fn schedule(&self, name: &str) -> Result<Definition> {
        self.get(&["api", "v1", "schedules", name]).await
    }

    /// `PUT /api/v1/schedules/{name}`: creates or replaces a schedule.
    /// `schedule` is a [`Schedule`] or its JSON (whose `name` must be
    /// `name`); the server validates it.
    pub async fn put_schedule<S: Serialize + ?Sized>(
        &self,
        name: &str,
        schedule: &S,
    ) -> Result<Definition> {
        self.send(Method::PUT, &["api", "v1", "schedules", name], schedule)
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
        self.get_query(&["api", "v1", "schedules", name, "shifts"], &Q { from, to })
            .await
    }

    /// `GET /api/v1/schedules/{name}/calendar/{user}`: the user's shifts as
    /// an iCalendar feed (text).
    pub async fn calendar(&self, name: &str, user: &str) -> Result<String> {
        let req = self.request(
            Method::GET,
            &["api", "v1", "schedules", name, "calendar", user],
        )?;
        let res = req.send().await.map_err(|e| self.transport_error(&e))?;
        if !res.status().is_success() {
            return Err(api_error(res).await);
        }
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
        self.get_query(&["api", "v1", "oncall"], &Q { schedule, at })
            .await
    }

    /// `GET /api/v1/escalation-policies`.
    pub async fn policies(&self) -> Result<Vec<Definition>> {
        self.get(&["api", "v1", "escalation-policies"]).await
    }

    /// `PUT /api/v1/escalation-policies/{name}`: creates or replaces a
    /// policy. `policy` is a [`Policy`] or its JSON.
    pub async fn put_policy<P: Serialize + ?Sized>(
        &self,
        name: &str,
        policy: &P,
    ) -> Result<Definition> {
        self.send(
            Method::PUT,
            &["api", "v1", "escalation-policies", name],
            policy,
        )
        .await
    }

    /// `PUT /api/v1/services/{name}/escalation`: sets the service's policy
    /// and runbook, both at once.
    pub async fn set_service_escalation(
        &self,
        service: &str,
        req: &ServiceEscalation,
    ) -> Result<()> {
        let body = encode(req)?;
        let req = self
            .request(
                Method::PUT,
                &["api", "v1", "services", service, "escalation"],
            )?
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        self.execute_empty(req).await
    }

    /// `GET /api/v1/users/{name}/contact-methods`.
    pub async fn contact_methods(&self, user: &str) -> Result<Vec<ContactMethod>> {
        self.get(&["api", "v1", "users", user, "contact-methods"])
            .await
    }

    /// `POST /api/v1/users/{name}/contact-methods`: yourself, or (admins)
    /// anyone.
    pub async fn add_contact_method(
        &self,
        user: &str,
        req: &NewContactMethod,
    ) -> Result<ContactMethod> {
        self.send(
            Method::POST,
            &["api", "v1", "users", user, "contact-methods"],
            req,
        )
        .await
    }

    /// `GET /api/v1/incidents/{id}/escalations`: oldest first.
    pub async fn escalations(&self, id_or_ref: &str) -> Result<Vec<Escalation>> {
        self.get(&["api", "v1", "incidents", id_or_ref, "escalations"])
            .await
    }

    /// `POST /api/v1/incidents/{id}/escalate`: escalates by hand.
    pub async fn escalate(&self, id_or_ref: &str, req: &Escalate) -> Result<Incident> {
        self.send(
            Method::POST,
            &["api", "v1", "incidents", id_or_ref, "escalate"],
            req,
        )
        .await
    }

    /// `POST /api/v1/incidents/{id}/acknowledge`: stops the escalation of
    /// the incident's active pages.
    pub async fn acknowledge(&self, id_or_ref: &str) -> Result<Acknowledged> {
        let req = self.request(
            Method::POST,
            &["api", "v1", "incidents", id_or_ref, "acknowledge"],
        )?;
        self.execute(req).await
    }

    /// `GET /api/v1/incidents/{id}/notifications`: the messages sent (or
    /// being sent) for an incident.
    pub async fn notifications(&self, id_or_ref: &str) -> Result<Vec<Notification>> {
        self.get(&["api", "v1", "incidents", id_or_ref, "notifications"])
            .await
    }

    /// `GET /api/v1/notifications/failed`: messages that failed for good
    /// (admins).
    pub async fn failed_notifications(&self) -> Result<Vec<Notification>> {
        self.get(&["api", "v1", "notifications", "failed"]).await
    }

    /// `GET /api/v1/intake/integrations` (admins).
    pub async fn integrations(&self) -> Result<Vec<IntegrationView>> {
        self.get(&["api", "v1", "intake", "integrations"]).await
    }

    /// `POST /api/v1/intake/integrations` (admins): the answer holds the
    /// key, which is never shown again.
    pub async fn create_integration(&self, req: &CreateIntegration) -> Result<IntegrationCreated> {
        self.send(Method::POST, &["api", "v1", "intake", "integrations"], req)
            .await
    }

    /// `GET /api/v1/intake/integrations/{id}` (admins).
    pub async fn integration(&self, id: i64) -> Result<IntegrationView> {
        self.get(&["api", "v1", "intake", "integrations", &id.to_string()])
            .await
    }

    /// `POST /api/v1/intake/integrations/{id}/rotate-key` (admins): a new
    /// key, shown this once; the old one stops working.
    pub async fn rotate_integration_key(&self, id: i64) -> Result<IntegrationCreated> {
        let req = self.request(
            Method::POST,
            &[
                "api",
                "v1",
                "intake",
                "integrations",
                &id.to_string(),
                "rotate-key",
            ],
        )?;
        self.execute(req).await
    }

    /// `POST /api/v1/intake/integrations/{id}/auto-declare` (admins).
    pub async fn set_integration_auto_declare(
        &self,
        id: i64,
        auto_declare: bool,
    ) -> Result<IntegrationView> {
        self.send(
            Method::POST,
            &[
                "api",
                "v1",
                "intake",
                "integrations",
                &id.to_string(),
                "auto-declare",
            ],
            &firebreak_api::intake::SetAutoDeclare { auto_declare },
        )
        .await
    }

    /// `POST /api/v1/intake/integrations/{id}/disable` (admins): its key
    /// stops working; its alerts and reports stay.
    pub async fn disable_integration(&self, id: i64) -> Result<IntegrationView> {
        let req = self.request(
            Method::POST,
            &[
                "api",
                "v1",
                "intake",
                "integrations",
                &id.to_string(),
                "disable",
            ],
        )?;
        self.execute(req).await
    }

    /// `GET /api/v1/intake/rules`: the routing rules, in `position` order.
    pub async fn rules(&self) -> Result<Vec<RuleView>> {
        self.get(&["api", "v1", "intake", "rules"]).await
    }

    /// `POST /api/v1/intake/rules` (admins and leads).
    pub async fn create_rule(&self, req: &RuleBody) -> Result<RuleView> {
        self.send(Method::POST, &["api", "v1", "intake", "rules"], req)
            .await
    }

    /// `PUT /api/v1/intake/rules/{id}` (admins and leads): replaces the rule.
    pub async fn update_rule(&self, id: i64, req: &RuleBody) -> Result<RuleView> {
        self.send(
            Method::PUT,
            &["api", "v1", "intake", "rules", &id.to_string()],
            req,
        )
        .await
    }

    /// `DELETE /api/v1/intake/rules/{id}` (admins and leads).
    pub async fn delete_rule(&self, id: i64) -> Result<()> {
        let req = self.request(
            Method::DELETE,
            &["api", "v1", "intake", "rules", &id.to_string()],
        )?;
        self.execute_empty(req).await
    }

    /// `GET /api/v1/intake/silences`: newest first.
    pub async fn silences(&self) -> Result<Vec<SilenceView>> {
        self.get(&["api", "v1", "intake", "silences"]).await
    }

    /// `POST /api/v1/intake/silences`.
    pub async fn create_silence(&self, req: &SilenceBody) -> Result<SilenceView> {
        self.send(Method::POST, &["api", "v1", "intake", "silences"], req)
            .await
    }

    /// `POST /api/v1/intake/silences/{id}/expire`: ends it now.
    pub async fn expire_silence(&self, id: i64) -> Result<SilenceView> {
        let req = self.request(
            Method::POST,
            &["api", "v1", "intake", "silences", &id.to_string(), "expire"],
        )?;
        self.execute(req).await
    }

    /// `GET /api/v1/intake/maintenance`: the maintenance windows.
    pub async fn maintenance_windows(&self) -> Result<Vec<MaintenanceView>> {
        self.get(&["api", "v1", "intake", "maintenance"]).await
    }

    /// `POST /api/v1/intake/maintenance` (admins and leads).
    pub async fn create_maintenance(&self, req: &MaintenanceBody) -> Result<MaintenanceView> {
        self.send(Method::POST, &["api", "v1", "intake", "maintenance"], req)
            .await
    }

    /// `POST /api/v1/intake/maintenance/{id}/end` (admins and leads): ends
    /// it now.
    pub async fn end_maintenance(&self, id: i64) -> Result<MaintenanceView> {
        let req = self.request(
            Method::POST,
            &["api", "v1", "intake", "maintenance", &id.to_string(), "end"],
        )?;
        self.execute(req).await
    }

    /// `GET /api/v1/intake/alerts`: alerts, newest first, of the reports you
    /// can see.
    pub async fn alerts(&self, query: &AlertQuery) -> Result<Vec<AlertView>> {
        self.get_query(&["api", "v1", "intake", "alerts"], query)
            .await
    }

    /// The URL of a route: the base URL with `segments` appended, each
    /// percent-encoded, so an id can never change the route.
    fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Http(format!("`{}` cannot take a path", self.base)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    fn request(&self, method: Method, segments: &[&str]) -> Result<RequestBuilder> {
        let mut req = self
            .http
            .request(method, self.url(segments)?)
            .header(ACCEPT, "application/json, application/problem+json");
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        Ok(req)
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        self.execute(self.request(Method::GET, segments)?).await
    }

    async fn get_query<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        query: &Q,
    ) -> Result<T> {
        self.execute(self.request(Method::GET, segments)?.query(query))
            .await
    }

    async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        let body = encode(body)?;
        let req = self
            .request(method, segments)?
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        self.execute(req).await
    }

    async fn execute<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let res = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = res.status();
        if status.is_success() {
            let bytes = res.bytes().await.map_err(|e| self.transport_error(&e))?;
            return serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()));
        }
        Err(api_error(res).await)
    }

    /// For routes that answer `204 No Content`.
    async fn execute_empty(&self, req: RequestBuilder) -> Result<()> {
        let res = req.send().await.map_err(|e| self.transport_error(&e))?;
        if res.status().is_success() {
            return Ok(());
        }
        Err(api_error(res).await)
    }

    fn transport_error(&self, e: &reqwest::Error) -> Error {
        if e.is_connect() {
            Error::Http(format!(
                "cannot reach the Firebreak server at {}: {} (is it running? check --url or FIREBREAK_URL)",
                self.base.as_str().trim_end_matches('/'),
                root_cause(e)
            ))
        } else if e.is_timeout() {
            Error::Http(format!(
                "the Firebreak server at {} did not answer in time",
                self.base.as_str().trim_end_matches('/')
            ))
        } else {
            Error::Http(format!("request to {} failed: {}", self.base, chain(e)))
        }
    }
}

fn encode<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| Error::Http(format!("cannot encode the request: {e}")))
}

/// The error of a failed response: its problem body, or one made from the
/// status and the start of whatever body came instead.
async fn api_error(res: Response) -> Error {
    let status = res.status();
    let code = status.as_u16();
    let bytes = res.bytes().await.unwrap_or_default();
    let problem = serde_json::from_slice::<Problem>(&bytes).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        let detail = if text.is_empty() {
            None
        } else {
            let mut quoted: String = text.chars().take(MAX_QUOTED_BODY).collect();
            if quoted.len() < text.len() {
                quoted.push('…');
            }
            Some(quoted)
        };
        Problem {
            type_: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("HTTP error").to_owned(),
            status: code,
            detail,
            field: None,
            gate: None,
        }
    });
    Error::Api {
        status: code,
        problem: Box::new(problem),
    }
}

/// An error and its sources, joined with `: `.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The innermost cause of an error, for "connection refused".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn routes_are_appended_to_the_base_and_ids_are_escaped() {
        let c = Client::new("http://h:1/prefix/?x=1#f", "t").unwrap();
        let url = c
            .url(&["api", "v1", "incidents", "INC-1/../../x", "timeline"])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://h:1/prefix/api/v1/incidents/INC-1%2F..%2F..%2Fx/timeline"
        );
        let c = Client::new("http://h:1", "").unwrap();
        assert_eq!(c.url(&["healthz"]).unwrap().as_str(), "http://h:1/healthz");
        assert!(c.token.is_none());
    }

    #[test]
    fn query_times_are_encoded() {
        let c = Client::new("http://h:1", "t").unwrap();
        #[derive(Serialize)]
        struct Q {
            at: DateTime<Utc>,
        }
        let at = DateTime::parse_from_rfc3339("2024-03-31T12:00:00+02:00")
            .unwrap()
            .with_timezone(&Utc);
        let req = c
            .request(Method::GET, &["api", "v1", "oncall"])
            .unwrap()
            .query(&Q { at })
            .build()
            .unwrap();
        assert_eq!(
            req.url().as_str(),
            "http://h:1/api/v1/oncall?at=2024-03-31T10%3A00%3A00Z"
        );
    }

    #[test]
    fn alert_filters_left_out_are_not_sent() {
        let c = Client::new("http://h:1", "t").unwrap();
        let build = |q: &AlertQuery| {
            c.request(Method::GET, &["api", "v1", "intake", "alerts"])
                .unwrap()
                .query(q)
                .build()
                .unwrap()
                .url()
                .to_string()
        };
        assert_eq!(
            build(&AlertQuery::default()),
            "http://h:1/api/v1/intake/alerts"
        );
        let q = AlertQuery {
            integration: Some(3),
            status: Some("firing".to_owned()),
            limit: Some(5),
        };
        assert_eq!(
            build(&q),
            "http://h:1/api/v1/intake/alerts?integration=3&status=firing&limit=5"
        );
    }

    #[test]
    fn bad_urls_are_refused() {
        for bad in ["", "h:1", "ftp://h/", "mailto:a@b"] {
            assert!(
                matches!(Client::new(bad, "t"), Err(Error::Http(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_token_is_not_printed() {
        let c = Client::new("http://h:1", "fbk_secret").unwrap();
        assert!(!format!("{c:?}").contains("fbk_secret"));
    }

    #[test]
    fn problems_read_as_one_line() {
        let p = Problem {
            type_: "about:blank".into(),
            title: "Gate open".into(),
            status: 409,
            detail: Some("cannot leave triage".into()),
            field: None,
            gate: Some("owner_set".into()),
        };
        assert_eq!(
            describe_problem(&p),
            "Gate open: cannot leave triage (gate: owner_set)"
        );
        let e = Error::Api {
            status: 409,
            problem: Box::new(p),
        };
        assert_eq!(e.status(), Some(409));
        assert_eq!(
            e.to_string(),
            "Gate open: cannot leave triage (gate: owner_set)"
        );
    }
}
