//! Delivering one notification message over one channel, now.
//!
//! This module owns the last step of a notification: turning a [`Message`]
//! (what to say, built by the caller) into an email, a signed webhook, a
//! Slack or Teams post, or a templated HTTP request (SMS gateways), sending
//! it once, and saying whether a failure is worth retrying. It has no
//! database access: the outbox and its worker decide when to call
//! [`Notifier::deliver`] and how often, and store the outcome. Every network
//! step has a timeout ([`CONNECT_TIMEOUT`], [`TOTAL_TIMEOUT`]), so one slow
//! receiver cannot hold a worker.

mod email;
mod outgoing;
mod payload;
mod send;
mod signature;
mod templates;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use email::{Secret, SmtpConfig, SmtpSecurity};
pub use outgoing::{OutgoingPolicy, SetBy, is_public};
pub use payload::{WebhookIncident, WebhookPayload};
pub use signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify};
pub use templates::{RENDER_FUEL, RENDER_MAX_BYTES, Templates};

/// How long to wait for a TCP (and TLS) connection to a receiver.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one delivery may take in all: connect, send, answer.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);

/// How long rendering one message's templates may take before the message
/// fails (the render itself is bounded by fuel; this bounds the wait).
pub const RENDER_TIMEOUT: Duration = Duration::from_secs(5);

/// Renders that may run at once on the blocking pool (message deliveries
/// and template checks of the API together).
const RENDER_SLOTS: usize = 4;

static RENDERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(RENDER_SLOTS);

/// Runs `work` (template rendering) on the blocking pool, at most
/// [`RENDER_SLOTS`] at once, waiting at most [`RENDER_TIMEOUT`]: a hostile
/// template delays nothing but its own message or request. Work that
/// overruns the wait still stops at its fuel bound.
pub async fn off_thread<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> Result<T, NotifyError> + Send + 'static,
) -> Result<T, NotifyError> {
    let run = async {
        let _permit = RENDERS
            .acquire()
            .await
            .map_err(|_| NotifyError::Setup("the render pool is closed".to_owned()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| NotifyError::Setup(format!("rendering {what} failed: {e}")))?
    };
    match tokio::time::timeout(RENDER_TIMEOUT, run).await {
        Ok(result) => result,
        Err(_) => Err(NotifyError::Template {
            template: what.to_owned(),
            line: None,
            detail: format!("rendering took longer than {} s", RENDER_TIMEOUT.as_secs()),
        }),
    }
}

/// `User-Agent` of every HTTP request sent from here.
pub const USER_AGENT: &str = concat!("firebreak/", env!("CARGO_PKG_VERSION"));

/// What to say, built by the caller from an incident and an outbox row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Stable per message across retries, so receivers can drop repeats:
    /// sent as `Idempotency-Key` and folded into the email `Message-ID`.
    pub idempotency_key: String,
    /// Why the message exists: "page", "notify", "escalation",
    /// "acknowledged", "test", …
    pub event: String,
    pub incident_ref: String,
    pub incident_title: String,
    pub severity: Option<String>,
    pub kind: String,
    pub phase: String,
    /// Why this message is sent (the rule that fired and its reason).
    pub reason: String,
    pub incident_url: String,
    pub ack_url: Option<String>,
    pub runbook_url: Option<String>,
    pub recipient_name: String,
    pub created_at: DateTime<Utc>,
}

/// A message whose words were written by a person (or drawn from their
/// public wording) and must go out exactly as they are: a customer notice,
/// a status-page update, a subscription confirmation. No template renders
/// it and nothing is read from the incident at delivery time, so no
/// internal field can reach a customer. Goes by email (subject and text,
/// with one-click unsubscribe headers when `unsubscribe_url` is set) or by
/// signed webhook (`payload`); other channels refuse it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verbatim {
    /// `customer_notice`, `status_update`, `subscription_confirm`, …; the
    /// email's `X-Firebreak-Event`.
    pub event: String,
    pub subject: String,
    pub text: String,
    /// The JSON body a webhook receives.
    #[serde(default)]
    pub payload: serde_json::Value,
    /// RFC 8058: `List-Unsubscribe: <url>` and
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` on the email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
}

/// Where to send a message. Stored as JSON, e.g.
/// `{"kind":"webhook","url":"https://…","secret":"…"}`.
///
/// `Debug` hides secrets and the Slack and Teams webhook URLs, which are
/// credentials themselves.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// An email through the configured SMTP server.
    Email { to: String },
    /// A JSON POST of [`WebhookPayload`], signed with HMAC-SHA256 when a
    /// secret is set (see [`sign`]).
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
    },
    /// A Slack incoming webhook (Block Kit message).
    Slack { webhook_url: String },
    /// A Microsoft Teams incoming webhook (Adaptive Card).
    Teams { webhook_url: String },
    /// Any HTTP API, SMS gateways included: `method`, `url`, the header
    /// values and `body` are minijinja templates over the message, its
    /// rendered `subject` and `text`, and `secret` when set.
    Http {
        method: String,
        url: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
        /// User name and password, sent as HTTP basic authentication.
        /// Literal, not templates.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        basic_auth: Option<(String, String)>,
        /// A token the templates can use as `{{ secret }}`, e.g. in an
        /// `Authorization` header; kept out of `Debug`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
    },
}

impl Channel {
    /// The `kind` tag: "email", "webhook", "slack", "teams" or "http".
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Email { .. } => "email",
            Channel::Webhook { .. } => "webhook",
            Channel::Slack { .. } => "slack",
            Channel::Teams { .. } => "teams",
            Channel::Http { .. } => "http",
        }
    }

    /// [`Channel::validate`], then, for a target a user sets for
    /// themselves ([`SetBy::User`]), the literal part of the outgoing
    /// policy (an IP address or `localhost` outside the allow-list). Runs
    /// the template checks off the request thread, bounded.
    pub async fn check(&self, set_by: SetBy, policy: &OutgoingPolicy) -> Result<(), NotifyError> {
        let channel = self.clone();
        off_thread("channel", move || channel.validate()).await?;
        if set_by == SetBy::Admin {
            return Ok(());
        }
        let (field, url) = match self {
            Channel::Email { .. } => return Ok(()),
            Channel::Webhook { url, .. } => ("url", url.clone()),
            Channel::Slack { webhook_url } | Channel::Teams { webhook_url } => {
                ("webhook_url", webhook_url.clone())
            }
            Channel::Http { .. } => {
                let channel = self.clone();
                let url = off_thread("channel", move || {
                    let sample = templates::sample_message();
                    let rendered = Templates::default().render_or_default(&sample);
                    send::render_http(&channel, &sample, &rendered).map(|r| r.url.to_string())
                })
                .await?;
                ("url", url)
            }
        };
        let parsed = send::check_url(field, &url)?;
        policy.check_url(field, &parsed)
    }

    /// Checks what can be checked before sending: addresses and URLs parse,
    /// URLs are http or https, the Http channel's templates compile and
    /// render a sample message. For a settings form.
    pub fn validate(&self) -> Result<(), NotifyError> {
        match self {
            Channel::Email { to } => email::parse_mailbox("to", to).map(drop),
            Channel::Webhook { url, .. } => send::check_url("url", url).map(drop),
            Channel::Slack { webhook_url } | Channel::Teams { webhook_url } => {
                send::check_url("webhook_url", webhook_url).map(drop)
            }
            Channel::Http { .. } => {
                let sample = templates::sample_message();
                let rendered = Templates::default().render_or_default(&sample);
                send::render_http(self, &sample, &rendered).map(drop)
            }
        }
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HIDDEN: &str = "[hidden]";
        let hidden = |s: &Option<String>| s.as_ref().map(|_| HIDDEN);
        match self {
            Channel::Email { to } => f.debug_struct("Email").field("to", to).finish(),
            Channel::Webhook { url, secret } => f
                .debug_struct("Webhook")
                .field("url", url)
                .field("secret", &hidden(secret))
                .finish(),
            Channel::Slack { .. } => f
                .debug_struct("Slack")
                .field("webhook_url", &HIDDEN)
                .finish(),
            Channel::Teams { .. } => f
                .debug_struct("Teams")
                .field("webhook_url", &HIDDEN)
                .finish(),
            Channel::Http {
                method,
                url,
                headers,
                body,
                content_type,
                basic_auth,
                secret,
            } => f
                .debug_struct("Http")
                .field("method", method)
                .field("url", url)
                .field("headers", &headers.keys().collect::<Vec<_>>())
                .field("body", body)
                .field("content_type", content_type)
                .field(
                    "basic_auth",
                    &basic_auth.as_ref().map(|(user, _)| (user, HIDDEN)),
                )
                .field("secret", &hidden(secret))
                .finish(),
        }
    }
}

/// A message accepted by the receiver (an HTTP 2xx, an SMTP 250).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// What the receiver answered, for the outbox row and the log, e.g.
    /// `HTTP 200 OK` or `SMTP 250 OK: queued`.
    pub detail: String,
}

/// A delivery that did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    /// Worth trying again later: timeouts, connection errors, HTTP 5xx, 408
    /// and 429, SMTP 4xx. Not: other HTTP 4xx, SMTP 5xx, bad addresses and
    /// templates.
    pub retryable: bool,
    /// What went wrong, without secrets (URLs are left out of transport
    /// errors: Slack and Teams URLs are credentials).
    pub message: String,
    /// When the receiver asked to wait (`Retry-After` on 429 and 503).
    pub retry_after: Option<Duration>,
}

impl DeliveryError {
    pub fn retryable(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            retryable: true,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            retryable: false,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// A configuration that cannot work: a template that does not compile, an
/// SMTP setting that does not parse, a URL that is not http(s).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// `template` names the template ("subject", "text", or an Http
    /// channel's "url", "body", "headers.Authorization", …).
    #[error("template {template}{}: {detail}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Template {
        template: String,
        line: Option<usize>,
        detail: String,
    },
    /// A setting that does not parse, named by its key.
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    /// The HTTP client or the SMTP transport could not be built.
    #[error("{0}")]
    Setup(String),
}

impl From<NotifyError> for DeliveryError {
    /// A configuration error does not heal by waiting.
    fn from(e: NotifyError) -> DeliveryError {
        DeliveryError::permanent(e.to_string())
    }
}

/// Sends messages: holds the HTTP client, the SMTP transport (a pool) and
/// the compiled templates. Cheap to share behind an `Arc`; build one per
/// process.
pub struct Notifier {
    /// For targets an admin set: any address, the system proxy if any.
    http: reqwest::Client,
    /// For targets users set: the outgoing policy's resolver, no proxy
    /// (a proxy would resolve names where the policy cannot look).
    http_user: reqwest::Client,
    outgoing: OutgoingPolicy,
    smtp: Option<email::Mailer>,
    templates: Templates,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("smtp", &self.smtp)
            .field("templates", &self.templates)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// Checks the templates and the SMTP settings and builds the clients.
    /// Must be called inside a Tokio runtime when `smtp` is set (the SMTP
    /// pool runs a cleanup task); outside one it returns an error.
    pub fn new(smtp: Option<SmtpConfig>, templates: Templates) -> Result<Notifier, NotifyError> {
        templates.validate()?;
        // reqwest and lettre use rustls; the binary installs ring at start,
        // tests and other embedders may not have.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let outgoing = OutgoingPolicy::default();
        let http = http_client(None)?;
        let http_user = http_client(Some(&outgoing))?;
        let smtp = smtp.map(email::Mailer::new).transpose()?;
        Ok(Notifier {
            http,
            http_user,
            outgoing,
            smtp,
            templates,
        })
    }

    /// The same notifier under another outgoing policy (the allow-list of
    /// the configuration's `[outgoing]` table).
    pub fn with_outgoing(mut self, outgoing: OutgoingPolicy) -> Result<Notifier, NotifyError> {
        self.http_user = http_client(Some(&outgoing))?;
        self.outgoing = outgoing;
        Ok(self)
    }

    /// The outgoing policy in use.
    pub fn outgoing(&self) -> &OutgoingPolicy {
        &self.outgoing
    }

    /// The templates in use.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// Sends `msg` over `channel` once, as a target the operator set
    /// ([`SetBy::Admin`]). `now` stamps the webhook signature and the email
    /// `Date`.
    pub async fn deliver(
        &self,
        channel: &Channel,
        msg: &Message,
        now: DateTime<Utc>,
    ) -> Result<Delivered, DeliveryError> {
        self.deliver_with(&self.templates, channel, msg, now, SetBy::Admin)
            .await
    }

    /// [`Notifier::deliver`] with other templates (the ones an admin saved
    /// in the database, read by the worker for each batch), under the
    /// outgoing policy for whoever set the target. Templates are rendered
    /// off the caller's thread, bounded ([`off_thread`]).
    pub async fn deliver_with(
        &self,
        templates: &Templates,
        channel: &Channel,
        msg: &Message,
        now: DateTime<Utc>,
        set_by: SetBy,
    ) -> Result<Delivered, DeliveryError> {
        let result = match self.prepare(templates, channel, msg).await {
            Ok(prepared) => self.send(prepared, channel, msg, now, set_by).await,
            Err(e) => Err(e.into()),
        };
        match &result {
            Ok(d) => tracing::debug!(
                channel = channel.kind(),
                key = %msg.idempotency_key,
                detail = %d.detail,
                "notification delivered"
            ),
            Err(e) => tracing::warn!(
                channel = channel.kind(),
                key = %msg.idempotency_key,
                retryable = e.retryable,
                error = %e.message,
                "notification not delivered"
            ),
        }
        result
    }
}

impl Notifier {
    /// The HTTP client for a target set by an admin (no policy) or by a
    /// user (the outgoing policy's client and checks).
    fn outbound(&self, set_by: SetBy) -> send::Outbound<'_> {
        match set_by {
            SetBy::Admin => send::Outbound {
                client: &self.http,
                policy: None,
            },
            SetBy::User => send::Outbound {
                client: &self.http_user,
                policy: Some(&self.outgoing),
            },
        }
    }

    /// Delivers a [`Verbatim`] message once, by email or signed webhook.
    pub async fn deliver_verbatim(
        &self,
        channel: &Channel,
        idempotency_key: &str,
        verbatim: &Verbatim,
        now: DateTime<Utc>,
        set_by: SetBy,
    ) -> Result<Delivered, DeliveryError> {
        let out = self.outbound(set_by);
        let result = match channel {
            Channel::Email { to } => match &self.smtp {
                Some(mailer) => {
                    mailer
                        .send_verbatim(to, idempotency_key, verbatim, now)
                        .await
                }
                None => Err(DeliveryError::permanent(
                    "email channel, but no SMTP server is configured",
                )),
            },
            Channel::Webhook { url, secret } => {
                send::signed_json(
                    &out,
                    url,
                    secret.as_deref(),
                    idempotency_key,
                    &verbatim.payload,
                    now,
                )
                .await
            }
            other => Err(DeliveryError::permanent(format!(
                "a {} goes by email or webhook, not {}",
                verbatim.event.replace('_', " "),
                other.kind()
            ))),
        };
        match &result {
            Ok(d) => {
                tracing::debug!(channel = channel.kind(), key = %idempotency_key, detail = %d.detail, "verbatim message delivered")
            }
            Err(e) => {
                tracing::warn!(channel = channel.kind(), key = %idempotency_key, retryable = e.retryable, error = %e.message, "verbatim message not delivered")
            }
        }
        result
    }
}

/// Everything a delivery needs that templates produce, rendered before any
/// network step.
enum Prepared {
    Email(Rendered),
    Webhook,
    Json(serde_json::Value),
    Http(send::HttpRequest),
}

impl Notifier {
    async fn prepare(
        &self,
        templates: &Templates,
        channel: &Channel,
        msg: &Message,
    ) -> Result<Prepared, NotifyError> {
        let (templates, channel, msg) = (templates.clone(), channel.clone(), msg.clone());
        off_thread("message", move || {
            let rendered = templates.render_or_default(&msg);
            Ok(match &channel {
                Channel::Email { .. } => Prepared::Email(rendered),
                Channel::Webhook { .. } => Prepared::Webhook,
                Channel::Slack { .. } => Prepared::Json(payload::slack(&msg, &rendered)),
                Channel::Teams { .. } => Prepared::Json(payload::teams(&msg, &rendered)),
                Channel::Http { .. } => {
                    Prepared::Http(send::render_http(&channel, &msg, &rendered)?)
                }
            })
        })
        .await
    }

    async fn send(
        &self,
        prepared: Prepared,
        channel: &Channel,
        msg: &Message,
        now: DateTime<Utc>,
        set_by: SetBy,
    ) -> Result<Delivered, DeliveryError> {
        let out = self.outbound(set_by);
        match (prepared, channel) {
            (Prepared::Email(rendered), Channel::Email { to }) => match &self.smtp {
                Some(mailer) => mailer.send(to, msg, &rendered, now).await,
                None => Err(DeliveryError::permanent(
                    "email channel, but no SMTP server is configured",
                )),
            },
            (Prepared::Webhook, Channel::Webhook { url, secret }) => {
                send::webhook(&out, url, secret.as_deref(), msg, now).await
            }
            (
                Prepared::Json(body),
                Channel::Slack { webhook_url } | Channel::Teams { webhook_url },
            ) => send::post_json(&out, "webhook_url", webhook_url, &body, now).await,
            (Prepared::Http(request), Channel::Http { basic_auth, .. }) => {
                send::http(&out, request, basic_auth.as_ref(), now).await
            }
            _ => Err(DeliveryError::permanent(
                "the channel changed while sending",
            )),
        }
    }
}

/// The HTTP client: timeouts, no redirects, and for user-set targets the
/// outgoing policy's resolver and no proxy.
fn http_client(policy: Option<&OutgoingPolicy>) -> Result<reqwest::Client, NotifyError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .user_agent(USER_AGENT)
        // A receiver that redirects is misconfigured; following would
        // turn POSTs into GETs, carry signatures to other hosts and, for
        // user-set targets, go around the outgoing policy.
        .redirect(reqwest::redirect::Policy::none());
    if let Some(policy) = policy {
        builder = builder.no_proxy().dns_resolver(policy.resolver());
    }
    builder
        .build()
        .map_err(|e| NotifyError::Setup(format!("HTTP client: {e}")))
}

/// The subject and text body rendered from [`Templates`] for one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worker shares one notifier between tasks and spawns deliveries.
    #[test]
    fn notifier_and_deliveries_can_cross_tasks() {
        fn is_send_sync<T: Send + Sync>() {}
        fn is_send<T: Send>(_: &T) {}
        is_send_sync::<Notifier>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = runtime.enter();
        let notifier = Notifier::new(None, Templates::default()).unwrap();
        let msg = templates::sample_message();
        let channel = Channel::Email {
            to: "a@b.example".into(),
        };
        let delivery = notifier.deliver(&channel, &msg, msg.created_at);
        is_send(&delivery);
    }

    #[test]
    fn channels_round_trip_as_tagged_json() {
        let http: Channel = serde_json::from_str(
            r#"{"kind":"http","method":"POST","url":"https://sms.example/send",
                "headers":{"Authorization":"Bearer {{ secret }}"},
                "body":"{}","content_type":"application/json","secret":"s3"}"#,
        )
        .unwrap();
        assert_eq!(http.kind(), "http");
        let again: Channel = serde_json::from_value(serde_json::to_value(&http).unwrap()).unwrap();
        assert_eq!(again, http);

        let twilio: Channel = serde_json::from_str(
            r#"{"kind":"http","method":"POST","url":"https://x.example/",
                "basic_auth":["AC1","tok"]}"#,
        )
        .unwrap();
        assert!(matches!(
            twilio,
            Channel::Http {
                basic_auth: Some(_),
                ..
            }
        ));

        let slack: Channel =
            serde_json::from_str(r#"{"kind":"slack","webhook_url":"https://hooks.slack.com/x"}"#)
                .unwrap();
        assert_eq!(slack.kind(), "slack");
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        for bad in [
            r#"{"kind":"email","to":"a@b.example","cc":"c@d.example"}"#,
            r#"{"kind":"webhook","url":"https://x.example","secrett":"s"}"#,
            r#"{"kind":"pager","number":"1"}"#,
            r#"{"to":"a@b.example"}"#,
        ] {
            assert!(serde_json::from_str::<Channel>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let channels = [
            Channel::Webhook {
                url: "https://x.example/hook".into(),
                secret: Some("whsec-123".into()),
            },
            Channel::Slack {
                webhook_url: "https://hooks.slack.com/services/T/B/tok-123".into(),
            },
            Channel::Teams {
                webhook_url: "https://example.webhook.office.com/tok-123".into(),
            },
            Channel::Http {
                method: "POST".into(),
                url: "https://x.example".into(),
                headers: BTreeMap::from([("Authorization".into(), "Bearer tok-123".into())]),
                body: String::new(),
                content_type: None,
                basic_auth: Some(("AC1".into(), "tok-123".into())),
                secret: Some("whsec-123".into()),
            },
        ];
        for c in channels {
            let shown = format!("{c:?}");
            assert!(!shown.contains("123"), "{shown}");
        }
    }

    #[test]
    fn validate_checks_urls_and_templates() {
        let ok = Channel::Webhook {
            url: "https://x.example/hook".into(),
            secret: None,
        };
        assert_eq!(ok.validate(), Ok(()));
        let ftp = Channel::Slack {
            webhook_url: "ftp://x.example/".into(),
        };
        assert!(ftp.validate().is_err());
        let bad_template = Channel::Http {
            method: "POST".into(),
            url: "https://x.example/".into(),
            headers: BTreeMap::new(),
            body: "To=1\nBody={{ subject | urlencode }\n".into(),
            content_type: None,
            basic_auth: None,
            secret: None,
        };
        let err = bad_template.validate().unwrap_err();
        assert!(
            matches!(&err, NotifyError::Template { template, line: Some(2), .. } if template == "body"),
            "{err:?}"
        );
        let bad_email = Channel::Email {
            to: "not an address".into(),
        };
        assert!(bad_email.validate().is_err());
    }
}
