//! The worker's disclosure reminders: for each open disclosure, what
//! `firebreak_core::disclosure::reminders_due` says is due (an overdue
//! acknowledgment, triage or fix, an embargo end within the policy's
//! window), at most once per kind per interval. Each reminder is one
//! transaction: the claim in `disclosure_reminders`, one verbatim outbox
//! message per contact method of each recipient, and a
//! `disclosure.reminder` event. The outbox keys name the interval, so two
//! servers never send the same reminder twice.
//!
//! Recipients: every enabled user with the `security` role; when none can
//! be reached, the `[escalation] fallback` users. When that reaches nobody
//! either, the disclosures page says so in red ([`recipients`] is empty).

use chrono::{DateTime, Utc};
use serde_json::json;

use firebreak_api::Role;
use firebreak_core::disclosure::{DisclosurePolicy, reminders_due};
use firebreak_store::{Directory, OutboxWrite, Store, StoreError};

use crate::escalate::EscalationConfig;

/// Who disclosure reminders reach: (user id, name) of every enabled
/// security-team user with a contact method, or else of the fallback
/// users with one. Empty: reminders reach nobody.
pub fn recipients(dir: &Directory, escalation: &EscalationConfig) -> Vec<(i64, String)> {
    let reachable = |id: i64| dir.contacts.iter().any(|c| c.user_id == id);
    let team: Vec<(i64, String)> = dir
        .users
        .iter()
        .filter(|u| !u.disabled && u.role == Role::Security && reachable(u.id))
        .map(|u| (u.id, u.name.clone()))
        .collect();
    if !team.is_empty() {
        return team;
    }
    let config = crate::settings::effective(escalation, dir);
    dir.users
        .iter()
        .filter(|u| !u.disabled && config.fallback.contains(&u.name) && reachable(u.id))
        .map(|u| (u.id, u.name.clone()))
        .collect()
}

/// Queues the due reminders; how many were sent.
pub async fn step(
    store: &Store,
    policy: &DisclosurePolicy,
    escalation: &EscalationConfig,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut dir: Option<Directory> = None;
    let mut sent = 0;
    let every_ms = policy.remind_every_secs.max(60) * 1000;
    for d in store.open_disclosures().await? {
        let last = store.disclosure_reminders(d.id).await?;
        let due = reminders_due(&d.facts(), policy, &last, now);
        if due.is_empty() {
            continue;
        }
        if dir.is_none() {
            dir = Some(store.directory().await?);
        }
        let Some(dir) = dir.as_ref() else { continue };
        let who = recipients(dir, escalation);
        let dates = d.due(policy, now);
        for kind in due {
            let at = dates.iter().find(|x| x.what == kind).map(|x| x.at);
            let when = at
                .map(|a| a.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            let subject = match kind {
                firebreak_core::disclosure::Awaiting::Embargo => {
                    format!("[{}] public disclosure on {when}", d.tracking_id)
                }
                _ => format!("[{}] {} overdue since {when}", d.tracking_id, kind.label()),
            };
            let text = format!(
                "Disclosure {} ({}) waits for: {} (due {when}).\nState: {}\n\
                 Open it in Firebreak: /disclosures/{}\n",
                d.tracking_id,
                d.title,
                kind.label(),
                d.state.label(),
                d.id
            );
            let interval = now.timestamp_millis() / every_ms;
            let mut messages = Vec::new();
            for (uid, name) in &who {
                for c in dir.contacts.iter().filter(|c| c.user_id == *uid) {
                    messages.push(OutboxWrite {
                        idempotency_key: format!(
                            "disclosure-reminder:{}:{kind}:{interval}:u{uid}-c{}",
                            d.id, c.id
                        ),
                        user_id: Some(*uid),
                        channel: c.channel.clone(),
                        message: json!({"verbatim": {
                            "event": "disclosure_reminder",
                            "subject": subject,
                            "text": text,
                            "payload": {"event": "disclosure_reminder",
                                "disclosure_id": d.id, "tracking_id": d.tracking_id,
                                "awaiting": kind, "due_at": at, "recipient": name},
                        }}),
                        delay_secs: 0,
                        admin_set: c.admin_set,
                    });
                }
            }
            let previous = last.iter().find(|(k, _)| *k == kind).map(|(_, t)| *t);
            let detail = json!({
                "due_at": at,
                "recipients": who.iter().map(|(_, n)| n).collect::<Vec<_>>(),
                "reached_nobody": who.is_empty(),
            });
            if store
                .remind_disclosure(d.id, kind, previous, &messages, detail, now)
                .await?
            {
                sent += 1;
            }
        }
    }
    Ok(sent)
}
