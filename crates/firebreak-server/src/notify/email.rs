//! Email through an SMTP server (lettre, a pooled async transport).
//!
//! The `Message-ID` is derived from the idempotency key, so a retried send
//! of the same message carries the same id and mail clients and archives
//! can fold the copies together.

use std::fmt;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::notify::{CONNECT_TIMEOUT, Delivered, DeliveryError, Message, NotifyError, Rendered};

/// A secret setting: shown as `[hidden]` by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[hidden]")
    }
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on localhost or a trusted network.
    None,
    /// Connect in plain text, then require STARTTLS (port 587).
    #[default]
    StartTls,
    /// TLS from the first byte ("SMTPS", port 465).
    Tls,
}

/// The `[smtp]` section of the configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults by `security`: 25, 587 (starttls), 465 (tls).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// The sender, e.g. `Firebreak <firebreak@example.org>`.
    pub from: String,
    /// The longest one send may take, connection included.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    15
}

impl SmtpConfig {
    /// The port in use: `port`, or the usual one for `security`.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        })
    }
}

/// The built SMTP side of a [`crate::notify::Notifier`].
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of our `Message-ID`s: the sender's domain.
    id_domain: String,
    total_timeout: Duration,
    describe: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe)
    }
}

impl Mailer {
    pub(crate) fn new(config: SmtpConfig) -> Result<Mailer, NotifyError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NotifyError::Setup(
                "the SMTP transport must be built inside a Tokio runtime".to_owned(),
            ));
        }
        let host = config.host.trim().to_owned();
        if host.is_empty() {
            return Err(invalid("smtp.host", "must not be empty"));
        }
        if config.timeout_secs == 0 {
            return Err(invalid("smtp.timeout_secs", "must be at least 1"));
        }
        let from = parse_mailbox("smtp.from", &config.from)?;
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(&host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(&host)?),
        };
        let port = config.effective_port();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            // lettre applies this to connecting; the whole send is bounded
            // by `total_timeout` below.
            .timeout(Some(CONNECT_TIMEOUT));
        match (config.username, config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user, password.expose().to_owned()));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(invalid("smtp.password", "is required with smtp.username"));
            }
            (None, Some(_)) => {
                return Err(invalid("smtp.username", "is required with smtp.password"));
            }
        }
        let id_domain = from.email.domain().to_owned();
        Ok(Mailer {
            transport: builder.build(),
            from,
            id_domain,
            total_timeout: Duration::from_secs(config.timeout_secs),
            describe: format!("SMTP {host}:{port} ({:?})", config.security),
        })
    }

    pub(crate) async fn send(
        &self,
        to: &str,
        msg: &Message,
        rendered: &Rendered,
        now: DateTime<Utc>,
    ) -> Result<Delivered, DeliveryError> {
        let to = parse_mailbox("to", to)?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject.clone())
            .date(SystemTime::from(now))
            .message_id(Some(message_id(&msg.idempotency_key, &self.id_domain)))
            .header(XFirebreakIncident(msg.incident_ref.clone()))
            .header(XFirebreakEvent(msg.event.clone()))
            // RFC 3834: tells vacation responders not to answer.
            .header(AutoSubmitted("auto-generated".to_owned()))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(rendered.text.clone()),
            )
            .map_err(|e| DeliveryError::permanent(format!("building the email: {e}")))?;
        self.transmit(email).await
    }

    /// Sends a customer notice or status-page mail with its exact subject
    /// and text, and for a subscriber the RFC 8058 one-click unsubscribe
    /// headers (`List-Unsubscribe` with the URL, `List-Unsubscribe-Post`).
    pub(crate) async fn send_verbatim(
        &self,
        to: &str,
        idempotency_key: &str,
        verbatim: &crate::notify::Verbatim,
        now: DateTime<Utc>,
    ) -> Result<Delivered, DeliveryError> {
        let to = parse_mailbox("to", to)?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(verbatim.subject.replace(['\r', '\n'], " "))
            .date(SystemTime::from(now))
            .message_id(Some(message_id(idempotency_key, &self.id_domain)))
            .header(XFirebreakEvent(verbatim.event.clone()))
            .header(AutoSubmitted("auto-generated".to_owned()));
        if let Some(url) = &verbatim.unsubscribe_url {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost("List-Unsubscribe=One-Click".to_owned()));
        }
        let email = builder
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(verbatim.text.clone()),
            )
            .map_err(|e| DeliveryError::permanent(format!("building the email: {e}")))?;
        self.transmit(email).await
    }

    async fn transmit(&self, email: lettre::Message) -> Result<Delivered, DeliveryError> {
        match tokio::time::timeout(self.total_timeout, self.transport.send(email)).await {
            Err(_) => Err(DeliveryError::retryable(format!(
                "SMTP: no answer within {} s",
                self.total_timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(smtp_error(&e)),
            Ok(Ok(response)) => Ok(Delivered {
                detail: format!(
                    "SMTP {} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ),
            }),
        }
    }
}

/// Permanent (5xx) answers are final; transient (4xx) ones, timeouts and
/// connection or TLS trouble are worth another try.
fn smtp_error(e: &lettre::transport::smtp::Error) -> DeliveryError {
    let mut message = format!("SMTP: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    DeliveryError {
        retryable: !e.is_permanent(),
        message,
        retry_after: None,
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, NotifyError> {
    TlsParameters::new(host.to_owned())
        .map_err(|e| NotifyError::Setup(format!("SMTP TLS for {host}: {e}")))
}

pub(crate) fn parse_mailbox(field: &str, address: &str) -> Result<Mailbox, NotifyError> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| invalid(field, &format!("not an email address: {e}")))
}

fn invalid(field: &str, detail: &str) -> NotifyError {
    NotifyError::Invalid {
        field: field.to_owned(),
        detail: detail.to_owned(),
    }
}

/// `<firebreak.KEY@domain>`, with the key as is when it is safe in a
/// Message-ID, else its SHA-256: the same key always gives the same id.
pub(crate) fn message_id(idempotency_key: &str, domain: &str) -> String {
    let safe = !idempotency_key.is_empty()
        && idempotency_key.len() <= 128
        && idempotency_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+' | b'='))
        && !idempotency_key.starts_with('.')
        && !idempotency_key.ends_with('.')
        && !idempotency_key.contains("..");
    let local = if safe {
        idempotency_key.to_owned()
    } else {
        hex::encode(&Sha256::digest(idempotency_key.as_bytes())[..16])
    };
    format!("<firebreak.{local}@{domain}>")
}

/// A custom header whose value lettre encodes (RFC 2047) and folds, so a
/// line break in an incident reference cannot inject headers.
macro_rules! text_header {
    ($name:ident, $header:literal) => {
        #[derive(Clone, Debug)]
        struct $name(String);

        impl Header for $name {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($header)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($name(s.to_owned()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.replace(['\r', '\n'], " "))
            }
        }
    };
}

text_header!(XFirebreakIncident, "X-Firebreak-Incident");
text_header!(XFirebreakEvent, "X-Firebreak-Event");
text_header!(AutoSubmitted, "Auto-Submitted");
text_header!(ListUnsubscribe, "List-Unsubscribe");
text_header!(ListUnsubscribePost, "List-Unsubscribe-Post");

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn message_ids_are_stable_and_safe() {
        let ids = [
            message_id("outbox-17-attempt", "example.org"),
            message_id("outbox-17-attempt", "example.org"),
            message_id("weird <key>\r\nBcc: x", "example.org"),
            message_id("", "example.org"),
        ];
        expect![[r#"
            <firebreak.outbox-17-attempt@example.org>
            <firebreak.outbox-17-attempt@example.org>
            <firebreak.3c12fad60255acca5c6fbe9f89d40c79@example.org>
            <firebreak.e3b0c44298fc1c149afbf4c8996fb924@example.org>"#]]
        .assert_eq(&ids.join("\n"));
    }

    #[test]
    fn smtp_config_from_toml_shape() {
        let c: SmtpConfig = serde_json::from_value(serde_json::json!({
            "host": "smtp.example.org",
            "username": "firebreak",
            "password": "hunter2",
            "from": "Firebreak <firebreak@example.org>",
        }))
        .unwrap();
        assert_eq!(c.security, SmtpSecurity::StartTls);
        assert_eq!(c.effective_port(), 587);
        assert_eq!(c.timeout_secs, 15);
        assert!(!format!("{c:?}").contains("hunter2"));
        let tls: SmtpSecurity = serde_json::from_str(r#""tls""#).unwrap();
        assert_eq!(tls, SmtpSecurity::Tls);
        assert!(
            serde_json::from_value::<SmtpConfig>(serde_json::json!({
                "host": "h", "from": "a@b.example", "pasword": "x"
            }))
            .is_err()
        );
    }

    #[tokio::test]
    async fn bad_smtp_settings_are_named() {
        let base = SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(2525),
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "firebreak@example.org".into(),
            timeout_secs: 15,
        };
        assert!(Mailer::new(base.clone()).is_ok());
        let errors: Vec<String> = [
            SmtpConfig {
                from: "nobody".into(),
                ..base.clone()
            },
            SmtpConfig {
                username: Some("u".into()),
                ..base.clone()
            },
            SmtpConfig {
                host: " ".into(),
                ..base.clone()
            },
        ]
        .into_iter()
        .map(|c| Mailer::new(c).unwrap_err().to_string())
        .collect();
        expect![[r#"
            smtp.from: not an email address: Invalid input
            smtp.password: is required with smtp.username
            smtp.host: must not be empty"#]]
        .assert_eq(&errors.join("\n"));
    }
}
