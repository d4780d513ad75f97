//! The worker's reminder step: for each open incident, each required
//! notice that is overdue reminds the incident lead through the outbox (their
//! contact methods, as a page to a user would reach them) when
//! `firebreak_core::comms::remind` says so: from the moment it is overdue,
//! then once per cadence (the severity's, or the notice window). The claim
//! in `comms_reminders` keeps two servers from both reminding. Without a
//! lead nobody is reminded: the incident page shows the overdue notice in
//! red.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use firebreak_core::comms::{CommsPolicy, remind};
use firebreak_store::{Directory, Recipient, Store, StoreError, TimelineEntry};

use crate::escalate::{self, OutboxMessage};

/// Reminds the leads of overdue notices; how many reminders were queued.
pub async fn step(
    store: &Store,
    policy: &CommsPolicy,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut dir: Option<Directory> = None;
    let mut queued = 0;
    for id in store.open_incident_ids().await? {
        let record = store.communication(id).await?;
        let owed = super::owed(&record, policy);
        if !owed.due.iter().any(|d| d.is_overdue(now)) {
            continue;
        }
        let Some(lead) = record.lead_id else { continue };
        let Some(facts) = &record.facts else { continue };
        let every = policy
            .cadence(facts.severity)
            .unwrap_or_else(|| Duration::seconds(policy.notice_within_secs))
            .max(Duration::minutes(1));
        let last = store.comms_reminders(id).await?;
        for due in owed.due.iter().filter(|d| d.is_overdue(now)) {
            let previous = last.get(&due.kind).copied();
            if !remind(due, previous, every, now) {
                continue;
            }
            if dir.is_none() {
                dir = Some(store.directory().await?);
            }
            let Some(dir) = dir.as_ref() else { continue };
            let name = dir
                .users
                .iter()
                .find(|u| u.id == lead)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| format!("user {lead}"));
            let message = OutboxMessage {
                event: "comms_reminder".into(),
                rule: "customer-communication".into(),
                reason: format!(
                    "{} overdue since {}: {}.",
                    due.kind.label(),
                    due.overdue_at.format("%Y-%m-%d %H:%M UTC"),
                    due.why
                ),
                recipient: name.clone(),
                ack_key: None,
                level: 0,
            };
            let prefix = format!(
                "comms-reminder:{id}:{}:{}",
                due.kind,
                now.timestamp_millis()
            );
            let who = [Recipient {
                user_id: Some(lead),
                name: name.clone(),
            }];
            let messages = escalate::messages(dir, &who, &message, &prefix);
            let entry = TimelineEntry {
                kind: "comms.reminder",
                summary: format!(
                    "{name} reminded: {} overdue ({})",
                    due.kind.label(),
                    due.why
                ),
                reason: None,
                details: json!({
                    "kind": due.kind, "overdue_at": due.overdue_at, "lead": name,
                    "messages": messages.len(),
                }),
            };
            if store
                .remind_comms(id, due.kind, previous, &messages, &entry, now)
                .await?
            {
                queued += 1;
            }
        }
    }
    Ok(queued)
}
