//! Background work: escalation timers and the notification outbox.
//!
//! Each worker exposes one step, `run_once(now)`, that tests call with the
//! time they choose; its loop ([`run`]) is a thin `select!` over that step,
//! a sleep until the next deadline in the database, a wake-up from a change
//! that queued work, and shutdown. When nothing is due the loop sleeps.
//!
//! Timers fire in the transaction that marks them fired, under row locks on
//! PostgreSQL: several servers sharing a database fire each deadline once.
//! Messages are leased while being sent: a server that dies mid-delivery
//! lets another retry when the lease runs out; receivers drop repeats by the
//! message's idempotency key.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

use firebreak_store::{Backend, DeliveryOutcome, OutboxItem, Reader, StoreError};

use crate::AppState;
use crate::escalate::{self, OutboxMessage};
use crate::notify::{Channel, Message, Notifier, SetBy, Templates, Verbatim};

/// Settings of the workers.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
    /// First retry delay; doubles per attempt, with jitter.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a claimed message is reserved for one delivery.
    pub lease: Duration,
    /// Messages claimed per step.
    pub batch: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            max_attempts: 8,
            retry_base: Duration::seconds(5),
            retry_max: Duration::minutes(15),
            lease: Duration::seconds(60),
            batch: 64,
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub timers_fired: usize,
    pub messages_attempted: usize,
    /// Reminders of overdue customer notices queued to incident leads.
    pub comms_reminders: usize,
    /// Disclosure reminders sent to the security team.
    pub disclosure_reminders: usize,
    pub next_due: Option<DateTime<Utc>>,
}

/// The workers of one server.
#[derive(Clone)]
pub struct Workers {
    state: AppState,
    notifier: Arc<Notifier>,
    config: WorkerConfig,
    ack_secret: Arc<String>,
    /// When the reminder step last looked at open incidents' notices.
    comms_checked: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
}

/// How often the reminder step reads the open incidents (reminders fall
/// due at minutes' granularity; the loop may step every 2 s).
const COMMS_EVERY_SECS: i64 = 30;

impl Workers {
    pub async fn new(
        state: AppState,
        notifier: Notifier,
        config: WorkerConfig,
    ) -> Result<Workers, StoreError> {
        let ack_secret = state.ack_secret().await?.to_owned();
        // The one outgoing policy: the configuration's allow-list.
        let notifier = notifier
            .with_outgoing(state.config.outgoing.clone())
            .map_err(|e| StoreError::Other(format!("notifier: {e}")))?;
        Ok(Workers {
            state,
            notifier: Arc::new(notifier),
            config,
            ack_secret: Arc::new(ack_secret),
            comms_checked: Arc::default(),
        })
    }

    /// Fires every due timer.
    pub async fn fire_timers(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let dir = self.state.store.directory().await?;
            let cfg = &self.state.config.escalation;
            let n = self
                .state
                .store
                .fire_due_timers(now, 256, |due| escalate::on_timeout(&dir, cfg, due, now))
                .await?;
            total += n;
            if n < 256 {
                return Ok(total);
            }
        }
    }

    /// Attempts every message due, concurrently within a batch.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let items = self
                .state
                .store
                .claim_outbox(now, self.config.lease, self.config.batch)
                .await?;
            let n = items.len();
            if n == 0 {
                return Ok(total);
            }
            let templates = self.templates().await?;
            let results = futures::future::join_all(
                items.iter().map(|item| self.attempt(&templates, item, now)),
            )
            .await;
            for (item, outcome) in items.iter().zip(results) {
                self.state
                    .store
                    .outbox_result(item, &outcome, self.state.now())
                    .await?;
            }
            total += n;
            if (n as i64) < self.config.batch {
                return Ok(total);
            }
        }
    }

    /// One step: fire due timers, then deliver due messages.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Outcome, StoreError> {
        let timers_fired = self.fire_timers(now).await?;
        // Status page subscribers: one message per public update each.
        crate::status::subscribe::fanout(&self.state, now).await?;
        let remind = self.comms_due(now);
        let comms_reminders = if remind {
            crate::comms::remind::step(&self.state.store, &self.state.config.comms, now).await?
        } else {
            0
        };
        let disclosure_reminders = if remind {
            let c = &self.state.config;
            crate::disclosures::remind::step(&self.state.store, &c.disclosure, &c.escalation, now)
                .await?
        } else {
            0
        };
        let messages_attempted = self.deliver_due(now).await?;
        let next_due = self.state.store.next_due().await?;
        Ok(Outcome {
            timers_fired,
            messages_attempted,
            comms_reminders,
            disclosure_reminders,
            next_due,
        })
    }

    /// Whether the reminder step runs at `now`: at most every
    /// [`COMMS_EVERY_SECS`] (or when the clock went back).
    fn comms_due(&self, now: DateTime<Utc>) -> bool {
        let Ok(mut last) = self.comms_checked.lock() else {
            return true;
        };
        let due = last.is_none_or(|at| now < at || now - at >= Duration::seconds(COMMS_EVERY_SECS));
        if due {
            *last = Some(now);
        }
        due
    }

    /// The message templates: the defaults, with what an admin saved.
    pub async fn templates(&self) -> Result<Templates, StoreError> {
        let saved = self.state.store.message_templates().await?;
        let mut t = Templates::default();
        if let Some(s) = saved.get("subject") {
            t.subject = s.clone();
        }
        if let Some(s) = saved.get("text") {
            t.text = s.clone();
        }
        Ok(t)
    }

    async fn attempt(
        &self,
        templates: &Templates,
        item: &OutboxItem,
        now: DateTime<Utc>,
    ) -> DeliveryOutcome {
        let channel: Channel = match serde_json::from_value(item.channel.clone()) {
            Ok(c) => c,
            Err(e) => {
                return self.failed(
                    item,
                    format!("the stored channel is not valid: {e}"),
                    false,
                    None,
                    now,
                );
            }
        };
        // A customer notice or status-page mail: its exact words, stored
        // with the row (`{"verbatim": {...}}`), never rendered from the
        // incident.
        if let Some(v) = item.message.get("verbatim") {
            let verbatim: Verbatim = match serde_json::from_value(v.clone()) {
                Ok(v) => v,
                Err(e) => {
                    return self.failed(
                        item,
                        format!("the stored message is not valid: {e}"),
                        false,
                        None,
                        now,
                    );
                }
            };
            return match self
                .notifier
                .deliver_verbatim(
                    &channel,
                    &item.idempotency_key,
                    &verbatim,
                    now,
                    SetBy::from_admin_set(item.admin_set),
                )
                .await
            {
                Ok(_) => DeliveryOutcome::Sent,
                Err(e) => {
                    let after = e.retry_after.and_then(|d| Duration::from_std(d).ok());
                    self.failed(item, e.message, e.retryable, after, now)
                }
            };
        }
        let message = match self.message(item).await {
            Ok(m) => m,
            Err(e) => {
                return self.failed(
                    item,
                    format!("cannot build the message: {e}"),
                    true,
                    None,
                    now,
                );
            }
        };
        match self
            .notifier
            .deliver_with(
                templates,
                &channel,
                &message,
                now,
                SetBy::from_admin_set(item.admin_set),
            )
            .await
        {
            Ok(_) => DeliveryOutcome::Sent,
            Err(e) => {
                let after = e.retry_after.and_then(|d| Duration::from_std(d).ok());
                self.failed(item, e.message, e.retryable, after, now)
            }
        }
    }

    fn failed(
        &self,
        item: &OutboxItem,
        error: String,
        retryable: bool,
        after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> DeliveryOutcome {
        // A test page is tried once: whoever sent it is waiting for the
        // result, and sends another after fixing the contact method.
        let test_page = item
            .idempotency_key
            .starts_with(firebreak_store::escalations::testpages::TEST_PAGE_KEY_PREFIX);
        let retry_at = (retryable && !test_page && item.attempts < self.config.max_attempts)
            .then(|| now + after.unwrap_or_else(|| backoff(&self.config, item.attempts)));
        tracing::warn!(id = item.id, attempts = item.attempts, retry = retry_at.is_some(), error = %error, "delivery failed");
        DeliveryOutcome::Failed { error, retry_at }
    }

    /// The notification for an outbox row, from the incident as it is now.
    async fn message(&self, item: &OutboxItem) -> Result<Message, StoreError> {
        let stored: OutboxMessage = serde_json::from_value(item.message.clone())
            .map_err(|e| StoreError::Other(format!("stored message: {e}")))?;
        let base = self.state.config.public_url.trim_end_matches('/');
        let Some(incident_id) = item.incident_id else {
            if stored.event == "test" {
                return Ok(test_message(item, stored, base, self.state.now()));
            }
            return Err(StoreError::Other("message without incident".into()));
        };
        let everything = Reader {
            user_id: 0,
            sees_all_confidential: true,
        };
        let incident = self
            .state
            .store
            .incident(incident_id, &everything)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("incident {incident_id}")))?;
        let incident_url = format!("{base}/incidents/{}", incident.id);
        let ack_url = stored.ack_key.as_ref().map(|k| {
            format!(
                "{base}/ack/{}",
                crate::ack::token(
                    &self.ack_secret,
                    k,
                    item.user_id.unwrap_or(0),
                    self.state.now(),
                )
            )
        });
        if withheld(&incident, item) {
            return Ok(Message {
                idempotency_key: item.idempotency_key.clone(),
                event: stored.event,
                incident_ref: incident.reference.clone(),
                incident_title: format!("Confidential incident {}", incident.reference),
                severity: None,
                kind: "confidential".into(),
                phase: "confidential".into(),
                reason:
                    "Details are shown only to the incident's members: follow the link and sign in."
                        .into(),
                ack_url,
                runbook_url: None,
                incident_url,
                recipient_name: stored.recipient,
                created_at: self.state.now(),
            });
        }
        Ok(Message {
            idempotency_key: item.idempotency_key.clone(),
            event: stored.event,
            incident_ref: incident.reference.clone(),
            incident_title: incident.title.clone(),
            severity: incident.severity.map(|s| s.to_string()),
            kind: incident.kind.to_string(),
            phase: incident.phase.to_string(),
            reason: stored.reason,
            ack_url,
            runbook_url: incident
                .service
                .as_ref()
                .map(|_| format!("{incident_url}#runbook")),
            incident_url,
            recipient_name: stored.recipient,
            created_at: self.state.now(),
        })
    }

    /// The loop: a step, then sleep until the next deadline, a wake-up, or
    /// shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut wake = self.state.wake.subscribe();
        // On PostgreSQL other servers add work this one is not woken for:
        // look at the database at least this often.
        let idle = match self.state.store.backend() {
            Backend::Postgres => Duration::seconds(2),
            Backend::Sqlite => Duration::seconds(60),
        };
        loop {
            let now = self.state.now();
            let sleep_for = match self.run_once(now).await {
                Ok(o) => {
                    if o.timers_fired > 0 || o.messages_attempted > 0 {
                        tracing::debug!(?o, "worker step");
                    }
                    match o.next_due {
                        Some(t) => (t - self.state.now()).clamp(Duration::zero(), idle),
                        None => idle,
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "worker step failed; retrying in 1 s");
                    Duration::seconds(1)
                }
            };
            if sleep_for.is_zero() {
                // More is due already (a retry at "now", a timer due this
                // instant): go round again without sleeping.
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(sleep_for.to_std().unwrap_or(StdDuration::from_secs(1))) => {}
                _ = wake.changed() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// A test page's message: no incident (its reference is empty), the
/// recipient's user name, and a link to the server.
fn test_message(
    item: &OutboxItem,
    stored: OutboxMessage,
    base: &str,
    now: DateTime<Utc>,
) -> Message {
    Message {
        idempotency_key: item.idempotency_key.clone(),
        event: stored.event,
        incident_ref: String::new(),
        incident_title: "Test page from Firebreak".into(),
        severity: None,
        kind: "test".into(),
        phase: String::new(),
        reason: stored.reason,
        ack_url: None,
        runbook_url: None,
        incident_url: format!("{base}/"),
        recipient_name: stored.recipient,
        created_at: now,
    }
}

/// Whether a message about `incident` must carry only its reference and a
/// link: the incident is confidential (see the store's visibility rule),
/// and the message goes to something that is not one member's own inbox or
/// phone. Email and templated HTTP (SMS) contact methods of a member get
/// the details; webhooks, Slack and Teams (channels others read), messages
/// to non-members (leadership and team notices) and messages to no user get
/// only the reference.
fn withheld(incident: &firebreak_api::Incident, item: &OutboxItem) -> bool {
    if !incident.confidential {
        return false;
    }
    let personal = matches!(
        item.channel.get("kind").and_then(|k| k.as_str()),
        Some("email" | "http")
    );
    let member = item
        .user_id
        .is_some_and(|uid| incident.members.iter().any(|m| m.id == uid));
    !(personal && member)
}

/// Exponential backoff with ±50% jitter: `base * 2^(attempt-1)`, capped.
pub fn backoff(config: &WorkerConfig, attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let raw = config
        .retry_base
        .num_milliseconds()
        .saturating_mul(1_i64 << exp.min(30));
    let capped = raw.min(config.retry_max.num_milliseconds()).max(1);
    let jitter: f64 = 0.5 + rand::random::<f64>();
    Duration::milliseconds((capped as f64 * jitter) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_cap() {
        let c = WorkerConfig::default();
        for attempt in 1..=12 {
            let d = backoff(&c, attempt).num_milliseconds();
            let nominal = (5_000_i64 << (attempt - 1)).min(900_000);
            assert!(
                d >= nominal / 2 && d <= nominal * 3 / 2,
                "attempt {attempt}: {d} ms"
            );
        }
    }
}
