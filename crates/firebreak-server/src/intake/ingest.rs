//! From parsed alerts to stored reports: routing (rules, silences,
//! maintenance windows), the group-commit writer, and the declarations
//! routing rules ask for.
//!
//! The writer is one task per server. Requests hand it their alerts and
//! wait; it takes every request queued (up to [`MAX_BATCH_ALERTS`] alerts)
//! into one store transaction and answers each request after the commit.
//! Under load a batch holds as many requests as arrived during the previous
//! commit, so the cost of the commit (an fsync with SQLite at
//! `synchronous=FULL`) is shared; a lone request is written at once, with
//! no waiting for company.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use firebreak_api::{DeclareIncident, Kind, Severity, incident_ref};
use firebreak_intake::rules::{MaintenanceWindow, Matcher, Rule, Silence};
use firebreak_intake::{AlertStatus, NormalizedAlert};
use firebreak_store::intake::{
    AlertDelivery, AlertOutcome, AlertOutcomeKind, AlertWrite, Disposition, MaintenanceRecord,
    RoutingSnapshot, RuleRecord, SilenceRecord,
};
use firebreak_store::{Backend, Store, StoreError};

use crate::error::ApiError;
use crate::intake::{Integration, ROUTING_TTL, Runtime, clip, one_line};
use crate::{AppState, actions};

/// Most alerts written in one transaction.
pub const MAX_BATCH_ALERTS: usize = 2_000;
/// Requests waiting for the writer before new ones wait to be queued.
const QUEUE: usize = 8_192;
/// Longest dedup key stored as it is; longer ones are stored as a hash.
const DEDUP_KEY_MAX: usize = 255;

/// The routing configuration, parsed, as of when it was read.
#[derive(Debug, Default)]
pub(crate) struct Routing {
    pub rules: Vec<(RuleRecord, Rule)>,
    pub silences: Vec<(SilenceRecord, Silence)>,
    pub maintenance: Vec<(MaintenanceRecord, MaintenanceWindow)>,
    pub services: BTreeMap<String, i64>,
}

impl Routing {
    /// Parses what the store holds. Rows that no longer parse (written by a
    /// newer version, say) are skipped with a warning rather than stopping
    /// intake.
    pub fn from_snapshot(snapshot: RoutingSnapshot) -> Routing {
        let rules = snapshot
            .rules
            .into_iter()
            .filter_map(|r| match serde_json::from_str::<Rule>(&r.definition) {
                Ok(rule) => Some((r, rule)),
                Err(e) => {
                    tracing::warn!(rule = r.id, error = %e, "stored routing rule does not parse; skipped");
                    None
                }
            })
            .collect();
        let silences = snapshot
            .silences
            .into_iter()
            .filter_map(|s| match serde_json::from_str::<Vec<Matcher>>(&s.matchers) {
                Ok(matchers) => {
                    let silence = Silence {
                        matchers,
                        starts_at: s.starts_at,
                        ends_at: s.ends_at,
                        reason: s.reason.clone(),
                        created_by: s.created_by.clone(),
                    };
                    Some((s, silence))
                }
                Err(e) => {
                    tracing::warn!(silence = s.id, error = %e, "stored silence does not parse; skipped");
                    None
                }
            })
            .collect();
        let maintenance = snapshot
            .maintenance
            .into_iter()
            .map(|m| {
                let window = MaintenanceWindow {
                    service: m.service.clone(),
                    starts_at: m.starts_at,
                    ends_at: m.ends_at,
                };
                (m, window)
            })
            .collect();
        Routing {
            rules,
            silences,
            maintenance,
            services: snapshot.services,
        }
    }
}

/// What routing made of one alert.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Routed {
    /// The alert after the rule's settings.
    pub alert: NormalizedAlert,
    pub rule: Option<String>,
    /// The kind of incident the rule would open (availability by default).
    pub kind: Kind,
    /// The service the report is filed under, when it is a known one.
    pub service: Option<String>,
    #[serde(skip)]
    pub service_id: Option<i64>,
    pub silenced_by: Option<Suppression>,
    pub maintenance: Option<Suppression>,
    /// Serialized as `triage`, `declare`, `silenced` or `maintenance`.
    pub disposition: Disposition,
}

/// What kept an alert from declaring: a silence or a maintenance window.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Suppression {
    pub id: i64,
    pub reason: String,
}

/// Routes one alert: the first matching rule sets service, severity and
/// kind; the service is the rule's or the alert's when it is a known
/// service, else the integration's; a matching silence or a maintenance
/// window of the service keeps the report from declaring (it is logged and
/// visible all the same). Without a matching rule, a critical or high
/// alert whose service is known declares when the integration's
/// `auto_declare` is on (its default).
pub(crate) fn route(
    mut alert: NormalizedAlert,
    integration_service: Option<&str>,
    auto_declare: bool,
    routing: &Routing,
    now: DateTime<Utc>,
) -> Routed {
    let rule = routing
        .rules
        .iter()
        .find(|(_, r)| r.matches(&alert.labels))
        .map(|(_, r)| r);
    if let Some(rule) = rule {
        rule.apply_to(&mut alert);
    }
    let known = |name: &str| routing.services.get(name).map(|id| (name.to_owned(), *id));
    let (service, service_id) = alert
        .service
        .as_deref()
        .and_then(known)
        .or_else(|| integration_service.and_then(known))
        .map_or((None, None), |(n, id)| (Some(n), Some(id)));
    let silenced_by = routing
        .silences
        .iter()
        .find(|(_, s)| s.silences(&alert.labels, now))
        .map(|(r, s)| Suppression {
            id: r.id,
            reason: s.reason.clone(),
        });
    let maintenance = service.as_deref().and_then(|svc| {
        routing
            .maintenance
            .iter()
            .find(|(_, w)| w.covers(svc, now))
            .map(|(r, _)| Suppression {
                id: r.id,
                reason: r.reason.clone(),
            })
    });
    let declare = match rule {
        Some(r) => r.declare,
        None => {
            auto_declare && service.is_some() && alert.severity.is_some_and(Severity::is_urgent)
        }
    };
    let disposition = if silenced_by.is_some() {
        Disposition::Silenced
    } else if maintenance.is_some() {
        Disposition::Maintenance
    } else if declare {
        Disposition::Declare
    } else {
        Disposition::Triage
    };
    Routed {
        kind: rule.and_then(|r| r.set_kind).unwrap_or(Kind::Availability),
        rule: rule.map(|r| r.name.clone()),
        alert,
        service,
        service_id,
        silenced_by,
        maintenance,
        disposition,
    }
}

/// The store record of a routed alert.
fn alert_write(r: &Routed, integration: &Integration) -> AlertWrite {
    let a = &r.alert;
    let dedup_key = if a.dedup_key.len() > DEDUP_KEY_MAX {
        format!(
            "sha256:{}",
            firebreak_store::secrets::secret_hash(&a.dedup_key)
        )
    } else {
        a.dedup_key.clone()
    };
    let mut title = one_line(&a.title, actions::MAX_TITLE);
    if title.is_empty() {
        title = one_line(&format!("Alert {dedup_key}"), actions::MAX_TITLE);
    }
    AlertWrite {
        signal: a.status,
        report_title: title.clone(),
        report_description: describe(r, integration, &dedup_key),
        title,
        dedup_key,
        confidential: r.kind == Kind::Security,
        severity: a.severity.map(|s| s.as_str().to_owned()),
        service_id: r.service_id,
        labels: serde_json::to_string(&a.labels).unwrap_or_else(|_| "{}".to_owned()),
        links: serde_json::to_string(&a.links).unwrap_or_else(|_| "[]".to_owned()),
        disposition: r.disposition,
        rule_name: r.rule.clone(),
        suppressed_by: r
            .silenced_by
            .as_ref()
            .map(|s| format!("silence {}: {}", s.id, s.reason))
            .or_else(|| {
                r.maintenance
                    .as_ref()
                    .map(|m| format!("maintenance {}: {}", m.id, m.reason))
            }),
        starts_at: a.starts_at,
    }
}

/// The report's description: the alert's own text, then what triage needs
/// to judge it.
fn describe(r: &Routed, integration: &Integration, dedup_key: &str) -> String {
    let a = &r.alert;
    let mut out = String::new();
    if !a.description.trim().is_empty() {
        out.push_str(a.description.trim());
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "Alert from {} integration `{}` (dedup key {dedup_key}).\n",
        integration.record.kind, integration.record.name
    ));
    if let Some(s) = a.severity {
        out.push_str(&format!("Severity: {s}\n"));
    }
    if let Some(t) = a.starts_at {
        out.push_str(&format!("Started: {}\n", t.to_rfc3339()));
    }
    if !a.labels.is_empty() {
        let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("Labels: {}\n", labels.join(", ")));
    }
    for l in &a.links {
        out.push_str(&format!(
            "Link: {} {}\n",
            l.text.as_deref().unwrap_or("link"),
            l.href
        ));
    }
    if let Some(rule) = &r.rule {
        out.push_str(&format!("Routed by rule `{rule}`.\n"));
    }
    if let Some(s) = &r.silenced_by {
        out.push_str(&format!(
            "Silenced by silence {} ({}): logged, not declared, nobody paged.\n",
            s.id, s.reason
        ));
    } else if let Some(m) = &r.maintenance {
        out.push_str(&format!(
            "Service in maintenance (window {}: {}): logged, not declared, nobody paged.\n",
            m.id, m.reason
        ));
    }
    clip(out.trim_end(), actions::MAX_TEXT)
}

/// What a request is told about one of its alerts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AlertResult {
    pub dedup_key: String,
    pub outcome: &'static str,
    pub alert_id: Option<i64>,
    pub report_id: Option<i64>,
    pub count: i64,
    pub disposition: Option<String>,
    /// The incident a routing rule declared from it.
    pub incident: Option<String>,
}

/// A request's alerts, waiting for the writer.
pub(crate) struct Job {
    delivery: AlertDelivery,
    reply: oneshot::Sender<Result<Vec<AlertOutcome>, String>>,
}

impl Runtime {
    /// The routing configuration, read at most every [`ROUTING_TTL`].
    pub(crate) async fn routing(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<Arc<Routing>, ApiError> {
        if let Ok(cached) = self.routing.lock()
            && let Some((at, r)) = cached.as_ref()
            && at.elapsed() < ROUTING_TTL
        {
            return Ok(r.clone());
        }
        let snapshot = state.store.routing_snapshot(now).await?;
        let routing = Arc::new(Routing::from_snapshot(snapshot));
        if let Ok(mut cached) = self.routing.lock() {
            *cached = Some((Instant::now(), routing.clone()));
        }
        Ok(routing)
    }

    /// The writer's queue, starting the writer on first use.
    fn writer(&self, state: &AppState) -> mpsc::Sender<Job> {
        self.writer
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel(QUEUE);
                spawn_writer(state.clone(), rx);
                // Declarations a previous run did not get to.
                tokio::spawn(redeclare(state.clone()));
                tx
            })
            .clone()
    }

    /// Routes, stores (through the writer) and, where a rule says so,
    /// declares. Answers once the alerts are committed; a store failure is
    /// 503, which senders retry.
    pub(crate) async fn ingest(
        &self,
        state: &AppState,
        integration: &Integration,
        alerts: Vec<NormalizedAlert>,
    ) -> Result<Vec<AlertResult>, ApiError> {
        let now = state.now();
        let routing = self.routing(state, now).await?;
        let routed: Vec<Routed> = alerts
            .into_iter()
            .map(|a| {
                route(
                    a,
                    integration.record.service.as_deref(),
                    integration.record.auto_declare,
                    &routing,
                    now,
                )
            })
            .collect();
        let delivery = AlertDelivery {
            integration_id: integration.record.id,
            actor: integration.record.actor(),
            reporter: format!(
                "{} integration `{}`",
                integration.record.kind, integration.record.name
            ),
            alerts: routed.iter().map(|r| alert_write(r, integration)).collect(),
        };
        let outcomes = self.write(state, delivery).await?;

        let mut results = Vec::with_capacity(outcomes.len());
        for (r, o) in routed.iter().zip(outcomes) {
            let mut incident = None;
            // A new alert a rule declares, or a repeat of one that a
            // silence or maintenance window held back and no longer does.
            let declares = (o.outcome == AlertOutcomeKind::Opened
                && r.disposition == Disposition::Declare)
                || o.unsuppressed;
            if declares && let Some(report_id) = o.report_id {
                incident = declare(state, integration, r, report_id).await;
            }
            if o.outcome == AlertOutcomeKind::Resolved
                && o.disposition == Some(Disposition::Declare)
                && let Some(report_id) = o.report_id
            {
                note_resolved(state, integration, report_id, &o.dedup_key).await;
            }
            results.push(AlertResult {
                dedup_key: o.dedup_key,
                outcome: o.outcome.as_str(),
                alert_id: o.alert_id,
                report_id: o.report_id,
                count: o.count,
                disposition: o.disposition.map(|d| d.as_str().to_owned()),
                incident,
            });
        }
        Ok(results)
    }

    async fn write(
        &self,
        state: &AppState,
        delivery: AlertDelivery,
    ) -> Result<Vec<AlertOutcome>, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.writer(state)
            .send(Job { delivery, reply })
            .await
            .map_err(|_| ApiError::Unavailable("the intake writer has stopped".to_owned()))?;
        match answer.await {
            Ok(Ok(outcomes)) => Ok(outcomes),
            Ok(Err(e)) => Err(ApiError::Unavailable(format!("storing alerts failed: {e}"))),
            Err(_) => Err(ApiError::Unavailable(
                "the intake writer stopped before answering".to_owned(),
            )),
        }
    }
}

/// Starts the writer. On SQLite it gets a thread (and a small runtime) of
/// its own: sqlx's SQLite driver hands each result row across threads, and a
/// writer queued behind every HTTP task of the server's runtime at each of
/// those hand-offs spent most of a batch waiting to be polled. On
/// PostgreSQL, whose connections belong to the server's runtime, it is a
/// task like any other.
fn spawn_writer(state: AppState, rx: mpsc::Receiver<Job>) {
    if state.store.backend() == Backend::Postgres {
        tokio::spawn(write_batches(state, rx));
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("intake-writer".to_owned())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(write_batches(state, rx)),
                Err(e) => tracing::error!(error = %e, "the intake writer could not start"),
            }
        });
    if let Err(e) = spawned {
        // The receiver is gone with the closure: requests get 503.
        tracing::error!(error = %e, "the intake writer thread could not start");
    }
}

/// The writer: one batch at a time, every queued request in it.
async fn write_batches(state: AppState, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut alerts = first.delivery.alerts.len();
        let mut jobs = vec![first];
        while alerts < MAX_BATCH_ALERTS {
            match rx.try_recv() {
                Ok(job) => {
                    alerts += job.delivery.alerts.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let (deliveries, replies): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|j| (j.delivery, j.reply)).unzip();
        match write_batch(&state.store, &deliveries, state.now()).await {
            Ok(outcomes) => {
                for (reply, out) in replies.into_iter().zip(outcomes) {
                    // The requester may have gone; its alerts are stored.
                    let _ = reply.send(Ok(out));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, requests = deliveries.len(), "storing an alert batch failed");
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }
}

async fn write_batch(
    store: &Store,
    deliveries: &[AlertDelivery],
    now: DateTime<Utc>,
) -> Result<Vec<Vec<AlertOutcome>>, StoreError> {
    store.ingest_alerts(deliveries, now).await
}

/// Declares an incident from an alert's report, as the integration's user.
/// A failure leaves the report in the triage queue (and is retried at the
/// next start); it does not fail the delivery, whose alerts are stored.
async fn declare(
    state: &AppState,
    integration: &Integration,
    r: &Routed,
    report_id: i64,
) -> Option<String> {
    let cx = state.ctx(&integration.user);
    let req = DeclareIncident {
        title: one_line(&r.alert.title, actions::MAX_TITLE),
        summary: Some(clip(&r.alert.description, actions::MAX_TEXT)).filter(|s| !s.is_empty()),
        kind: r.kind,
        severity: r.alert.severity,
        severity_reason: Some(match r.rule.as_deref() {
            Some(rule) => format!(
                "routing rule `{rule}` declares alerts it matches; alert {} from integration `{}`",
                r.alert.dedup_key, integration.record.name
            ),
            None => format!(
                "integration `{}` declares critical and high alerts no rule matches (auto_declare); alert {}",
                integration.record.name, r.alert.dedup_key
            ),
        }),
        facts: None,
        owner: None,
        lead: None,
        service: r.service.clone(),
    };
    match actions::declare(&cx, &req, Some(report_id)).await {
        Ok(incident) => Some(incident.reference),
        Err(e) => {
            tracing::warn!(report = report_id, error = %e, "declaring an incident from an alert failed");
            None
        }
    }
}

/// Notes on a declared incident that its alert resolved at the source.
async fn note_resolved(state: &AppState, integration: &Integration, report_id: i64, key: &str) {
    let cx = state.ctx(&integration.user);
    let Ok(report) = cx.report(report_id).await else {
        return;
    };
    let Some(incident_id) = report.incident_id else {
        return;
    };
    let body = format!(
        "Alert {key} resolved at its source (integration `{}`).",
        integration.record.name
    );
    if let Err(e) = actions::note(&cx, incident_id, &body).await {
        tracing::warn!(incident = %incident_ref(incident_id), error = %e, "noting a resolved alert failed");
    }
}

/// Declares what routing rules asked for but a previous run did not
/// declare (it stopped between the commit and the declaration).
async fn redeclare(state: AppState) {
    let pending = match state.store.undeclared_alerts(1000).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "reading undeclared alerts failed");
            return;
        }
    };
    for (alert_id, report_id, integration_id) in pending {
        let Ok(Some(record)) = state.store.integration(integration_id).await else {
            continue;
        };
        let Ok(integration) = crate::intake::load_integration(&state, record).await else {
            continue;
        };
        let reader = firebreak_store::Reader {
            user_id: integration.user.id,
            sees_all_confidential: true,
        };
        let Ok(Some(alert)) = state.store.intake_alert(alert_id, &reader).await else {
            continue;
        };
        let Ok(report) = state.ctx(&integration.user).report(report_id).await else {
            continue;
        };
        let routed = Routed {
            alert: NormalizedAlert {
                source_kind: firebreak_intake::SourceKind::Generic,
                dedup_key: alert.dedup_key.clone(),
                title: alert.title.clone(),
                description: report.description.clone(),
                severity: alert
                    .severity
                    .as_deref()
                    .and_then(|s| s.parse::<Severity>().ok()),
                status: AlertStatus::Firing,
                labels: serde_json::from_str(&alert.labels).unwrap_or_default(),
                service: alert.service.clone(),
                starts_at: alert.starts_at,
                ends_at: None,
                links: Vec::new(),
                fingerprint: None,
            },
            rule: alert.rule_name.clone(),
            kind: if report.confidential {
                Kind::Security
            } else {
                Kind::Availability
            },
            service: alert.service.clone(),
            service_id: None,
            silenced_by: None,
            maintenance: None,
            disposition: Disposition::Declare,
        };
        declare(&state, &integration, &routed, report_id).await;
    }
}

#[cfg(test)]
mod tests;
