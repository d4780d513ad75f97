//! The Firebreak server: the JSON API under `/api/v1`, the server-rendered
//! web UI, health and metrics endpoints, all over one [`Store`].
//!
//! This crate is the only one that knows HTTP. It is organised by feature:
//! each of [`incidents`], [`reports`], [`oncall`], [`accounts`],
//! [`signin`], [`intake`] (and the API-only [`services`] and [`audit`])
//! holds its JSON API handlers (`api`, listed once with their OpenAPI
//! operations) and its web pages (`web`). [`http`] assembles the router and
//! the OpenAPI document, [`web`] holds what every page shares (sessions,
//! CSRF, the page frame). Handlers parse and render; every change goes
//! through [`actions`], which asks `firebreak-core` and writes through the
//! store.

pub mod accounts;
pub mod ack;
pub mod actions;
pub mod audit;
pub mod checkpoint;
pub mod comms;
pub mod customers;
pub mod disclosures;
pub mod doctor;
pub mod error;
pub mod escalate;
pub mod extract;
pub mod http;
pub mod incidents;
pub mod intake;
pub mod notify;
pub mod oncall;
pub mod reports;
pub mod services;
pub mod settings;
pub mod setup;
pub mod signin;
pub mod status;
pub mod web;
pub mod workers;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;

use firebreak_api::Role;
use firebreak_store::{Actor, NewUser, Store, secrets};

/// Where "now" comes from: the system clock in production, a settable one in
/// tests of timers.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one place the server reads the wall clock (`clippy.toml`).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The URL people reach the server at; used in links.
    pub public_url: String,
    /// Mark cookies `Secure`. On by default when `public_url` is https.
    pub secure_cookies: bool,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// How long a browser session lasts.
    pub session_hours: i64,
    /// The escalation policy configuration.
    pub escalation: escalate::EscalationConfig,
    /// Where user-set contact methods may send (`[outgoing] allow`).
    pub outgoing: notify::OutgoingPolicy,
    /// An `[smtp]` section is configured, so email contact methods can be
    /// sent; without one they are refused when added.
    pub email_configured: bool,
    /// Limits of intake: silences, inbound e-mail, the SMTP listener.
    pub intake: intake::IntakeConfig,
    /// When set, `/metrics` needs `Authorization: Bearer <token>` and counts
    /// confidential records too; when not, it is open and leaves them out.
    pub metrics_token: Option<notify::Secret>,
    /// `[comms]`: when customer notices are due and updates follow.
    pub comms: firebreak_core::comms::CommsPolicy,
    /// `[status_page]`: the public status page's name.
    pub status_page: status::StatusPageConfig,
    /// `[disclosure]`: the responsible-disclosure policy (targets, embargo,
    /// CVSS bands, form limits, security.txt fields).
    pub disclosure: firebreak_core::disclosure::DisclosurePolicy,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            public_url: "http://127.0.0.1:8080".to_owned(),
            secure_cookies: false,
            body_limit: 64 * 1024,
            session_hours: 12,
            escalation: escalate::EscalationConfig::default(),
            outgoing: notify::OutgoingPolicy::default(),
            email_configured: false,
            intake: intake::IntakeConfig::default(),
            metrics_token: None,
            comms: firebreak_core::comms::CommsPolicy::default(),
            status_page: status::StatusPageConfig::default(),
            disclosure: firebreak_core::disclosure::DisclosurePolicy::default(),
        }
    }
}

/// Wakes every worker loop that subscribed. A wake-up sent while a loop is
/// busy is not lost: the loop sees it the next time it waits.
#[derive(Debug)]
pub struct Waker(tokio::sync::watch::Sender<u64>);

impl Default for Waker {
    fn default() -> Self {
        Waker(tokio::sync::watch::channel(0).0)
    }
}

impl Waker {
    pub fn wake(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Shared by every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    pub clock: Arc<dyn Clock>,
    /// Wakes the background workers when a change created work for them.
    pub wake: Arc<Waker>,
    /// Failed sign-ins per client address and account (in memory).
    pub signin: Arc<signin::Throttle>,
    /// The acknowledgment-link secret, read from the database once (its GET
    /// would otherwise open a write transaction per link shown).
    pub ack_secret: Arc<tokio::sync::OnceCell<String>>,
    /// The change marker live pages watch ([`web::live`]).
    pub live: Arc<web::live::Live>,
    /// The public status page, rendered in memory ([`status`]).
    pub status: Arc<status::StatusCache>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            wake: Arc::new(Waker::default()),
            signin: Arc::new(signin::Throttle::default()),
            ack_secret: Arc::new(tokio::sync::OnceCell::new()),
            live: Arc::new(web::live::Live::default()),
            status: Arc::new(status::StatusCache::default()),
        }
    }

    /// The acknowledgment-link secret ([`ack::secret`]), cached after the
    /// first read.
    pub async fn ack_secret(&self) -> Result<&str, firebreak_store::StoreError> {
        self.ack_secret
            .get_or_try_init(|| ack::secret(&self.store))
            .await
            .map(String::as_str)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The context of one user's action, now.
    pub fn ctx<'a>(&'a self, user: &'a firebreak_api::User) -> actions::Ctx<'a> {
        actions::Ctx {
            store: &self.store,
            user,
            now: self.now(),
            escalation: &self.config.escalation,
            wake: &self.wake,
        }
    }
}

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let live = Arc::clone(&state.live);
    // The status page renders in the background, once per change.
    let status = status::spawn_refresher(state.clone());
    let app = http::router(state);
    // The client's address feeds the sign-in throttle.
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        // Live pages' streams would hold the shutdown until they end.
        live.close();
    })
    .await;
    status.abort();
    served
}

/// What the config file names that does not exist, or leaves unset so
/// that a page would reach nobody (see [`doctor::config_warnings`]): logged
/// at warn level at start-up and shown by `/readyz`.
pub async fn config_warnings(state: &AppState) -> Result<Vec<String>, firebreak_store::StoreError> {
    let dir = state.store.directory().await?;
    Ok(doctor::config_warnings(
        &dir,
        &state.config.escalation,
        state.config.email_configured,
    ))
}

/// On an empty database, creates user `admin` with a random password and
/// returns the password, to be printed once. Otherwise `None`.
pub async fn bootstrap_admin(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Option<String>, firebreak_store::StoreError> {
    if store.user_count().await? > 0 {
        return Ok(None);
    }
    let password = secrets::random_secret();
    let user = NewUser {
        name: "admin".to_owned(),
        display_name: "Administrator".to_owned(),
        email: None,
        role: Role::Admin,
        password_hash: Some(secrets::hash_password(&password)?),
    };
    match store.create_user(&user, &Actor::system(), now).await {
        Ok(_) => Ok(Some(password)),
        // Another server sharing the database created it first.
        Err(firebreak_store::StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
