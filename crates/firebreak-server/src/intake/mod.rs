//! Intake over HTTP and SMTP: monitoring tools, paging tools and e-mail
//! become reports in the triage queue.
//!
//! This module owns the endpoints that tools call as they are
//! (Alertmanager's webhook, PagerDuty's Events API v2, Grafana's webhook, a
//! generic JSON webhook, raw e-mail), the admin API around them
//! (integrations, routing rules, silences, maintenance windows) and the
//! triage queue's additions (filters, backlog per source, bulk triage, the
//! noise view). Payloads are parsed by `firebreak-intake`; rows are written
//! by `firebreak_store::intake`; incidents are declared only through
//! [`crate::actions::declare`].
//!
//! Each integration acts through its own service user (`intake.<name>`,
//! created with it, disabled so that it can never sign in): reports name it
//! as their creator, and a rule's declaration runs `actions::declare` as that
//! user, so the timeline and the audit log say which integration did what.
//!
//! Alerts reach the database through one writer per server ([`ingest`]):
//! concurrent requests queue, the writer takes everything queued (up to
//! [`ingest::MAX_BATCH_ALERTS`]) into one transaction, and each request is
//! answered only after the commit that holds its alerts. With SQLite at
//! `synchronous=FULL` that is one fsync for many requests, and nothing
//! acknowledged can be lost.

pub(crate) mod alerts;
pub(crate) mod email;
mod ingest;
pub(crate) mod integrations;
pub(crate) mod pagerduty;
pub(crate) mod routing;
pub(crate) mod rules_web;
mod setup_samples;
pub(crate) mod setup_web;
pub mod smtp;
pub(crate) mod triage;
pub(crate) mod webhooks;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, header};
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;

use firebreak_api::User;
use firebreak_intake::IntakeError;
use firebreak_intake::generic::Mapping;
use firebreak_store::intake::IntegrationRecord;
use firebreak_store::secrets::secret_hash;

use crate::AppState;
use crate::error::ApiError;

pub use ingest::MAX_BATCH_ALERTS;

/// Largest Alertmanager, Grafana or generic webhook body.
pub const WEBHOOK_LIMIT: usize = 4 * 1024 * 1024;
/// Largest PagerDuty event, as PagerDuty documents it.
pub const PAGERDUTY_LIMIT: usize = 512 * 1024;
/// Largest raw e-mail, over HTTP or SMTP.
pub const EMAIL_LIMIT: usize = 10 * 1024 * 1024;
/// Largest attachment kept; bigger ones are recorded by size and SHA-256.
pub const ATTACHMENT_LIMIT: usize = 5 * 1024 * 1024;
/// Limits of intake, set in the `[intake]` table of the config file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeConfig {
    /// Longest silence, in seconds (default 7 days): a longer one is
    /// refused, naming `ends_at`.
    pub max_silence_secs: i64,
    /// Attachments of one e-mail recorded (default 20); the message says
    /// how many more it had.
    pub email_max_attachments: usize,
    /// Total bytes of attachment content kept per e-mail (default 10 MiB);
    /// past it, attachments keep only their size and SHA-256.
    pub email_max_attachment_bytes: usize,
    /// SMTP connections served at once (default 32); more are answered
    /// `421` and closed.
    pub smtp_max_connections: usize,
    /// Seconds an SMTP connection may wait without sending a line (default
    /// 300, RFC 5321's minimum) before it is answered `421` and closed.
    pub smtp_idle_secs: u64,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            max_silence_secs: 7 * 24 * 3600,
            email_max_attachments: 20,
            email_max_attachment_bytes: 10 * 1024 * 1024,
            smtp_max_connections: 32,
            smtp_idle_secs: 300,
        }
    }
}

/// Length of an integration key: PagerDuty's routing-key length, for every
/// kind, so one key format serves every endpoint.
pub const KEY_LEN: usize = firebreak_intake::pagerduty::ROUTING_KEY_LEN;

/// How long a looked-up key or the routing rules are reused before they are
/// read again. Changes made through this server take effect at once; those
/// made through another instance within these times.
const KEY_TTL: Duration = Duration::from_secs(5);
const ROUTING_TTL: Duration = Duration::from_secs(2);

/// The intake routes. The runtime (the writer and the caches) belongs to
/// the router, so each server gets its own and drops it with the router:
/// [`crate::http::router`] layers one [`Runtime`] over the API and the web
/// pages alike, so a rule changed in the web drops the same routing cache.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(webhooks::routes())
        .merge(pagerduty::routes())
        .merge(email::routes())
        .merge(integrations::routes())
        .merge(routing::routes())
        .merge(alerts::routes())
        .merge(triage::routes())
}

/// An integration as the handlers use it: the record, its service user and
/// its parsed mapping.
#[derive(Debug, Clone)]
pub(crate) struct Integration {
    pub record: IntegrationRecord,
    pub user: User,
    pub mapping: Option<Mapping>,
}

/// Per-router state: the group-commit writer and two small caches.
#[derive(Default)]
pub(crate) struct Runtime {
    writer: OnceLock<mpsc::Sender<ingest::Job>>,
    /// Key hash → integration, with the time it was read.
    keys: Mutex<HashMap<String, (Instant, Arc<Integration>)>>,
    routing: Mutex<Option<(Instant, Arc<ingest::Routing>)>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    /// The enabled integration of `kind` that `key` belongs to; 401
    /// otherwise (unknown, disabled, or of another kind).
    pub(crate) async fn authenticate(
        &self,
        state: &AppState,
        kind: &str,
        key: Option<&str>,
    ) -> Result<Arc<Integration>, ApiError> {
        let key = key.map(str::trim).filter(|k| !k.is_empty());
        let Some(key) = key else {
            return Err(ApiError::Unauthorized);
        };
        match self.integration_by_key(state, key).await? {
            Some(i) if i.record.kind == kind && i.record.is_enabled() => Ok(i),
            _ => Err(ApiError::Unauthorized),
        }
    }

    /// The integration `key` belongs to, enabled or not, from the cache or
    /// the store.
    pub(crate) async fn integration_by_key(
        &self,
        state: &AppState,
        key: &str,
    ) -> Result<Option<Arc<Integration>>, ApiError> {
        if key.len() > 256 {
            return Ok(None);
        }
        let hash = secret_hash(key);
        if let Some((at, i)) = self.lock_keys().get(&hash)
            && at.elapsed() < KEY_TTL
        {
            return Ok(Some(i.clone()));
        }
        let Some(record) = state.store.integration_by_key(key).await? else {
            return Ok(None);
        };
        let integration = Arc::new(load_integration(state, record).await?);
        let mut keys = self.lock_keys();
        // Bounded: a flood of distinct valid keys is not possible (keys are
        // created by admins), but stale entries are swept anyway.
        if keys.len() > 10_000 {
            keys.retain(|_, (at, _)| at.elapsed() < KEY_TTL);
        }
        keys.insert(hash, (Instant::now(), integration.clone()));
        Ok(Some(integration))
    }

    /// Forgets cached integrations, after an admin change.
    pub(crate) fn forget_keys(&self) {
        self.lock_keys().clear();
    }

    /// Forgets the cached routing rules, after an admin change.
    pub(crate) fn forget_routing(&self) {
        if let Ok(mut r) = self.routing.lock() {
            *r = None;
        }
    }

    fn lock_keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Arc<Integration>)>> {
        // A poisoned cache is still a valid cache: entries are replaced
        // whole.
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The record with its service user and parsed mapping.
pub(crate) async fn load_integration(
    state: &AppState,
    record: IntegrationRecord,
) -> Result<Integration, ApiError> {
    let user = state
        .store
        .user_by_id(record.user_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("integration {} has no user", record.id)))?;
    let mapping = match &record.mapping {
        None => None,
        Some(json) => Some(serde_json::from_str::<Mapping>(json).map_err(|e| {
            ApiError::Internal(format!("stored mapping of integration {}: {e}", record.id))
        })?),
    };
    Ok(Integration {
        record,
        user,
        mapping,
    })
}

pub(crate) use crate::extract::bearer;

/// Why a body could not be read.
pub(crate) enum BodyError {
    TooLarge(usize),
    /// The connection failed or the client stopped sending.
    Broken,
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge(limit) => ApiError::TooLarge(limit),
            BodyError::Broken => ApiError::BadRequest {
                detail: "the request body could not be read".to_owned(),
                field: None,
            },
        }
    }
}

/// Reads a body of at most `limit` bytes; a `Content-Length` over the limit
/// is refused before reading.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        // `to_bytes` reports an over-long body as a length-limit error
        // somewhere in its source chain.
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = source {
            if s.to_string().contains("length limit") {
                return BodyError::TooLarge(limit);
            }
            source = s.source();
        }
        BodyError::Broken
    })
}

/// A parser's refusal as a problem naming the field.
pub(crate) fn intake_problem(e: &IntakeError) -> ApiError {
    match e {
        IntakeError::Invalid { path, .. } => ApiError::BadRequest {
            detail: e.to_string(),
            field: Some(path.clone()),
        },
        IntakeError::Syntax { .. } | IntakeError::Email(_) => ApiError::BadRequest {
            detail: e.to_string(),
            field: None,
        },
    }
}

/// A new integration key: 32 characters from `[A-Za-z0-9]`, uniformly (a
/// byte is used only when below 248, the largest multiple of 62 under 256).
pub fn new_integration_key() -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = String::with_capacity(KEY_LEN);
    while key.len() < KEY_LEN {
        let bytes: [u8; 64] = rand::random();
        for b in bytes {
            if b < 248 && key.len() < KEY_LEN {
                key.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    key
}

/// One line of at most `max` characters: control characters become spaces,
/// runs of whitespace one space.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    let mut space = false;
    let mut n = 0;
    for c in s.trim().chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            if n + 1 >= max {
                break;
            }
            out.push(' ');
            n += 1;
        }
        space = false;
        if n >= max {
            break;
        }
        out.push(c);
        n += 1;
    }
    out
}

/// At most `max` characters, cut at a character boundary, marked when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(12)).collect();
    out.push_str("\n[truncated]");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_32_alphanumerics_and_differ() {
        let a = new_integration_key();
        let b = new_integration_key();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn titles_become_one_bounded_line() {
        assert_eq!(one_line("  a\n\tb  c ", 200), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc");
        assert_eq!(one_line("ab cd", 3), "ab");
        assert_eq!(one_line("é\u{7}é", 10), "é é");
        assert_eq!(one_line("", 10), "");
    }

    #[test]
    fn clipping_marks_the_cut() {
        assert_eq!(clip("short", 100), "short");
        let long = "x".repeat(100);
        let clipped = clip(&long, 50);
        assert_eq!(clipped.chars().count(), 50);
        assert!(clipped.ends_with("[truncated]"));
    }
}
