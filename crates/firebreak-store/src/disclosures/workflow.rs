//! The security team's changes to a disclosure: acknowledge, triage, score,
//! move the embargo, link the declared incident, mark fixed and disclosed;
//! and the reminders the worker sends the team.
//!
//! Each change is one transaction under the disclosure's row lock (so two
//! staff racing cannot both move it): the rule in `firebreak_core` decides,
//! the `*_at` column is set, a `disclosure_events` row and the audit entry
//! are written and, when the researcher is told, their message is queued
//! in the outbox in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use firebreak_api::Severity;
use firebreak_core::disclosure::{
    Awaiting, DisclosureState, TriageOutcome, embargo_change_refused, may_triage,
    transition_refused,
};

use crate::escalations::OutboxWrite;
use crate::row::col;
use crate::status::BuiltMessage;
use crate::{Actor, Result, Store, StoreError, Tx, ms};

use super::{DisclosureRecord, SELECT, STAFF, disclosure_event, queue, record};

/// One change of a disclosure.
#[derive(Debug, Clone, PartialEq)]
pub enum DisclosureChange {
    /// A move along the workflow: `acknowledged`, `fixed` or `disclosed`,
    /// with an optional message to the researcher (kept on the record).
    Move {
        to: DisclosureState,
        message: Option<String>,
    },
    /// The triage verdict; `duplicate_of` is the other disclosure's
    /// tracking id.
    Triage {
        outcome: TriageOutcome,
        reason: Option<String>,
        duplicate_of: Option<String>,
    },
    /// A scored CVSS vector and the severity its score maps to.
    Cvss {
        vector: String,
        score_tenths: i64,
        severity: Severity,
    },
    /// A new public-disclosure date, with the reason told to the researcher.
    Embargo {
        until: DateTime<Utc>,
        reason: String,
    },
    /// The security incident declared from it: the disclosure is `fixing`.
    Incident { incident_id: i64 },
}

impl DisclosureChange {
    /// The timeline kind and audit action of the change.
    pub fn kind(&self) -> &'static str {
        match self {
            DisclosureChange::Move { .. } => "disclosure.state",
            DisclosureChange::Triage { .. } => "disclosure.triage",
            DisclosureChange::Cvss { .. } => "disclosure.cvss",
            DisclosureChange::Embargo { .. } => "disclosure.embargo",
            DisclosureChange::Incident { .. } => "disclosure.incident",
        }
    }
}

/// Builds the message the researcher is sent about a change, from the
/// record as changed (`None`: nothing is sent).
pub type Notify<'a> =
    &'a (dyn Fn(&DisclosureRecord, &DisclosureChange) -> Option<BuiltMessage> + Sync);

fn refused(why: String) -> StoreError {
    StoreError::Conflict(why)
}

impl Store {
    /// Locks disclosure `id` for the rest of `tx` and reads it.
    async fn lock_disclosure(&self, tx: &mut Tx, id: i64) -> Result<DisclosureRecord> {
        let sql = format!(
            "SELECT id FROM disclosures WHERE id = $1{}",
            self.for_update()
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("disclosure {id}")))?;
        read_in(tx, id).await
    }

    /// Applies `change` to disclosure `id` under its row lock, with its
    /// timeline event, audit entry and (from `notify`) the researcher's
    /// message in the outbox; the record as changed. A change the workflow
    /// refuses is a [`StoreError::Conflict`] saying why.
    pub async fn change_disclosure(
        &self,
        id: i64,
        change: &DisclosureChange,
        notify: Notify<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<DisclosureRecord> {
        let mut tx = self.begin().await?;
        let d = self.lock_disclosure(&mut tx, id).await?;
        let at = ms(now);
        let detail = match change {
            DisclosureChange::Move { to, message } => {
                if !matches!(
                    to,
                    DisclosureState::Acknowledged
                        | DisclosureState::Fixed
                        | DisclosureState::Disclosed
                ) {
                    return Err(refused(format!(
                        "`{to}` is not set by a move: triage has its own request and `fixing` \
                         is declaring the incident"
                    )));
                }
                if let Some(why) = transition_refused(d.state, *to, d.triage_outcome) {
                    return Err(refused(why));
                }
                if *to == DisclosureState::Fixed
                    && let Some(incident_id) = d.incident_id
                {
                    // The fix is the incident's remediation: the incident
                    // must have passed that gate (be in recovery or later).
                    let row = sqlx::query("SELECT phase FROM incidents WHERE id = $1")
                        .bind(incident_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let phase: String = row.try_get("phase")?;
                    if matches!(phase.as_str(), "triage" | "containment" | "remediation") {
                        return Err(refused(format!(
                            "INC-{incident_id}, declared from this disclosure, is in {phase}: \
                             the disclosure is fixed once the incident's fix is deployed and \
                             verified (the incident in recovery or later)"
                        )));
                    }
                }
                let column = match to {
                    DisclosureState::Acknowledged => "acknowledged_at",
                    DisclosureState::Fixed => "fixed_at",
                    _ => "disclosed_at",
                };
                let sql = format!(
                    "UPDATE disclosures SET state = $1, {column} = $2, updated_at = $2 WHERE id = $3"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(to.as_str())
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if let Some(body) = message.as_deref().filter(|m| !m.trim().is_empty()) {
                    staff_message(&mut tx, id, body, actor, now).await?;
                }
                json!({"from": d.state, "to": to, "message": message})
            }
            DisclosureChange::Triage {
                outcome,
                reason,
                duplicate_of,
            } => {
                if !may_triage(d.state) {
                    return Err(refused(format!(
                        "the disclosure is {}: it can be triaged only before it is being fixed",
                        d.state
                    )));
                }
                if *outcome == TriageOutcome::NotApplicable
                    && reason.as_deref().is_none_or(|r| r.trim().is_empty())
                {
                    return Err(refused(
                        "a disclosure not applicable needs a reason: the researcher is told"
                            .to_owned(),
                    ));
                }
                let dup_id = match (outcome, duplicate_of.as_deref()) {
                    (TriageOutcome::Duplicate, Some(t)) => {
                        let other = sqlx::query(
                            "SELECT d.id, d.triage_outcome, o.tracking_id AS original \
                             FROM disclosures d LEFT JOIN disclosures o ON o.id = d.duplicate_of \
                             WHERE d.tracking_id = $1",
                        )
                        .bind(t.trim().to_ascii_uppercase())
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| refused(format!("no disclosure is tracked as {t}")))?;
                        let other_id: i64 = other.try_get("id")?;
                        if other_id == id {
                            return Err(refused(
                                "a disclosure cannot be a duplicate of itself".to_owned(),
                            ));
                        }
                        // One record is worked: a duplicate names the
                        // original, never another duplicate (no chains, no
                        // cycles).
                        let other_outcome: Option<String> = other.try_get("triage_outcome")?;
                        if other_outcome.as_deref() == Some("duplicate") {
                            let original: Option<String> = other.try_get("original")?;
                            return Err(refused(format!(
                                "{t} is itself a duplicate{}: name the original instead",
                                original.map(|o| format!(" of {o}")).unwrap_or_default()
                            )));
                        }
                        let duplicates_of_this = sqlx::query(
                            "SELECT COUNT(*) AS n FROM disclosures WHERE duplicate_of = $1 \
                             AND triage_outcome = 'duplicate'",
                        )
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                        let n: i64 = duplicates_of_this.try_get("n")?;
                        if n > 0 {
                            return Err(refused(format!(
                                "{n} other disclosure(s) are duplicates of this one: it is the \
                                 original and cannot become a duplicate itself"
                            )));
                        }
                        Some(other_id)
                    }
                    (TriageOutcome::Duplicate, None) => {
                        return Err(refused(
                            "a duplicate names the other disclosure's tracking id".to_owned(),
                        ));
                    }
                    _ => None,
                };
                if d.state != DisclosureState::Triaged
                    && let Some(why) =
                        transition_refused(d.state, DisclosureState::Triaged, Some(*outcome))
                {
                    return Err(refused(why));
                }
                sqlx::query(
                    "UPDATE disclosures SET state = 'triaged', triage_outcome = $1, \
                     triage_reason = $2, duplicate_of = $3, triaged_at = $4, updated_at = $4 \
                     WHERE id = $5",
                )
                .bind(outcome.as_str())
                .bind(reason.as_deref().map(str::trim).filter(|r| !r.is_empty()))
                .bind(dup_id)
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                json!({"from": d.state, "outcome": outcome, "reason": reason,
                    "duplicate_of": duplicate_of})
            }
            DisclosureChange::Cvss {
                vector,
                score_tenths,
                severity,
            } => {
                if d.state == DisclosureState::Disclosed {
                    return Err(refused(
                        "the disclosure is public: its score is history".to_owned(),
                    ));
                }
                sqlx::query(
                    "UPDATE disclosures SET cvss_vector = $1, cvss_score_tenths = $2, \
                     severity = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(vector)
                .bind(*score_tenths)
                .bind(severity.as_str())
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if let Some(incident_id) = d.incident_id {
                    let entry = crate::incidents::TimelineEntry {
                        kind: "disclosure.cvss",
                        summary: format!(
                            "{} scored CVSS {:.1} ({severity}): {vector}",
                            d.tracking_id,
                            *score_tenths as f64 / 10.0
                        ),
                        reason: None,
                        details: json!({"tracking_id": d.tracking_id, "vector": vector,
                            "score": *score_tenths as f64 / 10.0, "severity": severity}),
                    };
                    crate::incidents::timeline(&mut tx, incident_id, actor, &entry, now).await?;
                }
                json!({"vector": vector, "score": *score_tenths as f64 / 10.0,
                    "severity": severity, "previous_vector": d.cvss_vector,
                    "previous_severity": d.severity})
            }
            DisclosureChange::Embargo { until, reason } => {
                if let Some((_, why)) = embargo_change_refused(d.state, *until, reason, now) {
                    return Err(refused(why));
                }
                sqlx::query(
                    "UPDATE disclosures SET embargo_until = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(ms(*until))
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                json!({"from": d.embargo_until, "to": until, "reason": reason.trim()})
            }
            DisclosureChange::Incident { incident_id } => {
                if let Some(why) =
                    transition_refused(d.state, DisclosureState::Fixing, d.triage_outcome)
                {
                    return Err(refused(why));
                }
                sqlx::query(
                    "UPDATE disclosures SET state = 'fixing', incident_id = $1, fixing_at = $2, \
                     updated_at = $2 WHERE id = $3",
                )
                .bind(*incident_id)
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                json!({"from": d.state, "to": DisclosureState::Fixing, "incident_id": incident_id})
            }
        };
        let after = read_in(&mut tx, id).await?;
        if let Some(built) = notify(&after, change) {
            // Unique per change (two changes may share a millisecond).
            let key = format!(
                "disclosure:{id}:{}:{at}:{}",
                change.kind(),
                crate::secrets::random_secret()
            );
            queue(&mut tx, &key, &built, now).await?;
        }
        disclosure_event(&mut tx, id, change.kind(), actor, detail.clone(), now).await?;
        self.commit_audited(
            tx,
            actor,
            change.kind(),
            &format!("disclosure:{id}"),
            json!({"tracking_id": after.tracking_id, "change": detail}),
            now,
        )
        .await?;
        Ok(after)
    }

    /// The disclosure an incident was declared from, if any.
    pub async fn disclosure_of_incident(
        &self,
        incident_id: i64,
    ) -> Result<Option<DisclosureRecord>> {
        let sql = format!("{SELECT} WHERE d.incident_id = $1 ORDER BY d.id LIMIT 1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(record)
            .transpose()
    }

    /// The disclosures still open (not yet disclosed), oldest first.
    pub async fn open_disclosures(&self) -> Result<Vec<DisclosureRecord>> {
        let sql = format!("{SELECT} WHERE d.state <> 'disclosed' ORDER BY d.id");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(record)
            .collect()
    }

    /// When each kind of reminder last went out for disclosure `id`.
    pub async fn disclosure_reminders(&self, id: i64) -> Result<Vec<(Awaiting, DateTime<Utc>)>> {
        let rows =
            sqlx::query("SELECT kind, last_at FROM disclosure_reminders WHERE disclosure_id = $1")
                .bind(id)
                .fetch_all(&self.read)
                .await?;
        let mut out = Vec::new();
        for r in rows {
            let kind: String = r.try_get("kind")?;
            if let Ok(kind) = kind.parse::<Awaiting>() {
                out.push((kind, col(&r, "last_at")?));
            }
        }
        Ok(out)
    }

    /// Reminds the security team that disclosure `id` waits for `kind`:
    /// claims the reminder (last sent at `last`, as read before), queues
    /// `messages` and appends a `disclosure.reminder` event, in one
    /// transaction. `false` when another worker claimed it first: nothing
    /// is written. The messages' idempotency keys name the interval, so a
    /// second server never sends the same reminder twice.
    pub async fn remind_disclosure(
        &self,
        id: i64,
        kind: Awaiting,
        last: Option<DateTime<Utc>>,
        messages: &[OutboxWrite],
        detail: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let claimed = match last {
            None => {
                sqlx::query(
                    "INSERT INTO disclosure_reminders (disclosure_id, kind, last_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (disclosure_id, kind) DO NOTHING",
                )
                .bind(id)
                .bind(kind.as_str())
                .bind(ms(now))
                .execute(&mut *tx)
                .await?
            }
            Some(last) => {
                sqlx::query(
                    "UPDATE disclosure_reminders SET last_at = $1 WHERE disclosure_id = $2 \
                 AND kind = $3 AND last_at = $4",
                )
                .bind(ms(now))
                .bind(id)
                .bind(kind.as_str())
                .bind(ms(last))
                .execute(&mut *tx)
                .await?
            }
        };
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        for m in messages {
            sqlx::query(
                "INSERT INTO outbox (idempotency_key, user_id, channel, message, state, \
                 attempts, next_attempt_at, created_at, admin_set) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $6) \
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&m.idempotency_key)
            .bind(m.user_id)
            .bind(m.channel.to_string())
            .bind(m.message.to_string())
            .bind(ms(now))
            .bind(i64::from(m.admin_set))
            .execute(&mut *tx)
            .await?;
        }
        disclosure_event(
            &mut tx,
            id,
            "disclosure.reminder",
            &Actor::system(),
            json!({"kind": kind, "messages": messages.len(), "detail": detail}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Reads disclosure `id` inside `tx`.
async fn read_in(tx: &mut Tx, id: i64) -> Result<DisclosureRecord> {
    let sql = format!("{SELECT} WHERE d.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("disclosure {id}")))?;
    record(&row)
}

/// Keeps a staff message that went with a change on the record.
async fn staff_message(
    tx: &mut Tx,
    id: i64,
    body: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO disclosure_messages (disclosure_id, author, user_id, body, internal, \
         created_at) VALUES ($1, $2, $3, $4, 0, $5)",
    )
    .bind(id)
    .bind(STAFF)
    .bind(actor.user_id)
    .bind(body.trim())
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
