//! A typed async client of the Firebreak JSON API (`/api/v1`).
//!
//! One method per route of the server's API (`http::api_routes`), taking and
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

use url::Url;

mod admin;
mod advisories;
mod comms;
mod customers;
mod disclosures;
mod escalation;
mod incidents;
mod intake;
mod reports;
mod transport;

use transport::chain;

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
pub(crate) const MAX_QUOTED_BODY: usize = 300;

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
}

#[cfg(test)]
mod tests;
