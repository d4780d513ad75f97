//! Pages and notices: writing escalations (chains, rows, acknowledgment
//! timers, outbox messages) in the transaction that caused them, making the
//! people paged about a confidential incident members of it, and
//! acknowledging a page.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use firebreak_api::{Escalation, incident_ref};
use firebreak_core::escalation::History;

use super::json_text;
use crate::incidents::{TimelineEntry, add_member, timeline};
use crate::row::{col, user_ref};
use crate::{Actor, Result, Store, StoreError, Tx, flag, ms};

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxWrite {
    pub idempotency_key: String,
    pub user_id: Option<i64>,
    pub channel: serde_json::Value,
    pub message: serde_json::Value,
    pub delay_secs: i64,
    /// The target was set by an admin (the contact method's `admin_set`):
    /// the notifier may reach private addresses for it.
    pub admin_set: bool,
}

/// A person an escalation reached (or a description when nobody could be
/// resolved, such as "nobody on call on schedule primary").
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: Option<i64>,
    pub name: String,
}

/// A page chain as its acknowledgment link's page shows it.
#[derive(Debug, Clone)]
pub struct AckChain {
    pub incident_id: i64,
    /// `active`, `acknowledged`, `exhausted` or `closed`.
    pub state: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

/// An incident's pages in a word, for lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageSummary {
    /// A page is still waiting for an acknowledgment.
    pub waiting: bool,
    /// Who acknowledged a page, the latest.
    pub acknowledged_by: Option<String>,
}

/// The page chain an escalation belongs to.
#[derive(Debug, Clone)]
pub enum ChainRef {
    /// A notice: no chain, nothing to acknowledge.
    None,
    /// Start a chain.
    New {
        policy_name: String,
        policy: serde_json::Value,
        ack_key: String,
    },
    /// A further level of an existing chain.
    Existing(i64),
}

/// One escalation to write.
#[derive(Debug, Clone)]
pub struct EscalationWrite {
    pub chain: ChainRef,
    /// 0-based level and round of the policy.
    pub level: i64,
    pub round: i64,
    pub rule: String,
    pub reason: String,
    pub audience: String,
    pub page: bool,
    pub recipients: Vec<Recipient>,
    pub messages: Vec<OutboxWrite>,
    /// When this level times out without an acknowledgment.
    pub timer_due: Option<DateTime<Utc>>,
}

impl Store {
    /// What was already escalated for an incident, so each rule fires once.
    pub(crate) async fn escalation_history(
        &self,
        tx: &mut Tx,
        incident_id: i64,
    ) -> Result<History> {
        let rows = sqlx::query(
            "SELECT e.audience, c.state FROM escalations e LEFT JOIN escalation_chains c ON c.id = e.chain_id \
             WHERE e.incident_id = $1",
        )
        .bind(incident_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut h = History::default();
        for r in rows {
            let audience: String = r.try_get("audience")?;
            let state: Option<String> = r.try_get("state")?;
            match audience.as_str() {
                "incident_lead" if matches!(state.as_deref(), Some("active" | "acknowledged")) => {
                    h.lead_engaged = true
                }
                "leadership" => h.leadership_notified = true,
                "owning_team" => h.team_notified = true,
                _ => {}
            }
        }
        Ok(h)
    }

    /// Writes escalations in `tx`: chains, rows, timers, outbox messages.
    pub(crate) async fn write_escalations(
        &self,
        tx: &mut Tx,
        incident_id: i64,
        actor: &Actor,
        writes: &[EscalationWrite],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if writes.iter().any(|w| w.page) {
            self.add_paged_members(tx, incident_id, actor, writes, now)
                .await?;
        }
        for w in writes {
            let chain_id = match &w.chain {
                ChainRef::None => None,
                ChainRef::Existing(id) => {
                    sqlx::query(
                        "UPDATE escalation_chains SET level = $1, round = $2 WHERE id = $3",
                    )
                    .bind(w.level)
                    .bind(w.round)
                    .bind(*id)
                    .execute(&mut **tx)
                    .await?;
                    Some(*id)
                }
                ChainRef::New {
                    policy_name,
                    policy,
                    ack_key,
                } => {
                    let row = sqlx::query(
                        "INSERT INTO escalation_chains (incident_id, rule, reason, policy_name, policy, level, round, \
                         state, ack_key, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9) RETURNING id",
                    )
                    .bind(incident_id)
                    .bind(&w.rule)
                    .bind(&w.reason)
                    .bind(policy_name)
                    .bind(json_text(policy))
                    .bind(w.level)
                    .bind(w.round)
                    .bind(ack_key)
                    .bind(ms(now))
                    .fetch_one(&mut **tx)
                    .await?;
                    Some(row.try_get::<i64, _>("id")?)
                }
            };
            let mut first_escalation = None;
            for r in &w.recipients {
                let row = sqlx::query(
                    "INSERT INTO escalations (incident_id, chain_id, level, rule, reason, audience, actor, \
                     recipient_user_id, recipient, page, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(incident_id)
                .bind(chain_id)
                .bind(w.level + 1)
                .bind(&w.rule)
                .bind(&w.reason)
                .bind(&w.audience)
                .bind(&actor.name)
                .bind(r.user_id)
                .bind(&r.name)
                .bind(flag(w.page))
                .bind(ms(now))
                .fetch_one(&mut **tx)
                .await?;
                let id: i64 = row.try_get("id")?;
                first_escalation.get_or_insert(id);
            }
            for m in &w.messages {
                let escalation_id = match m.user_id {
                    Some(uid) => sqlx::query(
                        "SELECT id FROM escalations WHERE incident_id = $1 AND recipient_user_id = $2 \
                         ORDER BY id DESC LIMIT 1",
                    )
                    .bind(incident_id)
                    .bind(uid)
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(|r| r.try_get::<i64, _>("id"))
                    .transpose()?,
                    None => first_escalation,
                };
                sqlx::query(
                    "INSERT INTO outbox (idempotency_key, incident_id, chain_id, escalation_id, user_id, channel, message, \
                     state, attempts, next_attempt_at, created_at, admin_set) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9, $10) \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(&m.idempotency_key)
                .bind(incident_id)
                .bind(chain_id)
                .bind(escalation_id)
                .bind(m.user_id)
                .bind(json_text(&m.channel))
                .bind(json_text(&m.message))
                .bind(ms(now + Duration::seconds(m.delay_secs.max(0))))
                .bind(ms(now))
                .bind(i64::from(m.admin_set))
                .execute(&mut **tx)
                .await?;
            }
            if let (Some(chain_id), Some(due)) = (chain_id, w.timer_due) {
                sqlx::query(
                    "INSERT INTO timers (kind, incident_id, chain_id, level, round, due_at, created_at) \
                     VALUES ('ack_timeout', $1, $2, $3, $4, $5, $6)",
                )
                .bind(incident_id)
                .bind(chain_id)
                .bind(w.level)
                .bind(w.round)
                .bind(ms(due))
                .bind(ms(now))
                .execute(&mut **tx)
                .await?;
            }
            self.audit(
                tx,
                actor,
                "incident.escalate",
                &incident_ref(incident_id),
                serde_json::json!({
                    "rule": w.rule, "audience": w.audience, "level": w.level + 1, "page": w.page,
                    "reason": w.reason, "to": w.recipients.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
                }),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// On a confidential incident, everyone a page reaches becomes a member
    /// (said on the timeline), in the transaction that writes the page: the
    /// person paged must be able to open what they were paged about, and the
    /// visibility rule is what admits them. Notices (leadership, the owning
    /// team) add nobody; their messages carry only the reference.
    async fn add_paged_members(
        &self,
        tx: &mut Tx,
        incident_id: i64,
        actor: &Actor,
        writes: &[EscalationWrite],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = concat!(
            "SELECT CAST(CASE WHEN ",
            confidential_group!("$1"),
            " THEN 1 ELSE 0 END AS BIGINT) AS confidential"
        );
        let confidential: i64 = sqlx::query(sql)
            .bind(incident_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("confidential")?;
        if confidential == 0 {
            return Ok(());
        }
        let mut added: Vec<i64> = Vec::new();
        // Pages, and the fallback told that a page reached nobody: both must
        // be able to open the incident they are told to act on.
        for w in writes.iter().filter(|w| w.page || w.audience == "fallback") {
            for r in &w.recipients {
                let Some(uid) = r.user_id else { continue };
                if added.contains(&uid) {
                    continue;
                }
                let member = sqlx::query(
                    "SELECT 1 AS one FROM incident_members WHERE incident_id = $1 AND user_id = $2",
                )
                .bind(incident_id)
                .bind(uid)
                .fetch_optional(&mut **tx)
                .await?;
                if member.is_some() {
                    continue;
                }
                add_member(tx, incident_id, uid, now).await?;
                added.push(uid);
                let entry = TimelineEntry {
                    kind: "member_added",
                    summary: if w.page {
                        format!(
                            "{} added to the incident: paged about a confidential incident",
                            r.name
                        )
                    } else {
                        format!(
                            "{} added to the incident: told, as the fallback, that a page about a confidential incident reached nobody",
                            r.name
                        )
                    },
                    reason: None,
                    details: serde_json::json!({"user_id": uid, "paged": true}),
                };
                timeline(tx, incident_id, actor, &entry, now).await?;
            }
        }
        Ok(())
    }

    /// Writes escalations for an incident on their own (manual escalations).
    pub async fn escalate(
        &self,
        incident_id: i64,
        writes: &[EscalationWrite],
        timeline_entries: &[TimelineEntry],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.write_escalations(&mut tx, incident_id, actor, writes, now)
            .await?;
        for e in timeline_entries {
            timeline(&mut tx, incident_id, actor, e, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The page chain an acknowledgment link names: its incident, state and
    /// who acknowledged it, for the link's page.
    pub async fn chain_by_ack_key(&self, ack_key: &str) -> Result<Option<AckChain>> {
        let row = sqlx::query(
            "SELECT incident_id, state, acknowledged_at, acknowledged_by FROM escalation_chains \
             WHERE ack_key = $1",
        )
        .bind(ack_key)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            from_row! { &r, AckChain { incident_id, state, acknowledged_at, acknowledged_by } }
        })
        .transpose()
    }

    /// For each of `incident_ids` with pages: whether one is still waiting
    /// for an acknowledgment, and who acknowledged last (one query).
    pub async fn page_summaries(
        &self,
        incident_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, PageSummary>> {
        let mut out = std::collections::HashMap::new();
        if incident_ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT incident_id, state, acknowledged_by, acknowledged_at FROM escalation_chains \
             WHERE incident_id IN ({}) ORDER BY id",
            crate::incidents::load::placeholders(incident_ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in incident_ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.read).await? {
            let e: &mut PageSummary = out.entry(r.try_get("incident_id")?).or_default();
            match r.try_get::<String, _>("state")?.as_str() {
                "active" => e.waiting = true,
                "acknowledged" => e.acknowledged_by = r.try_get("acknowledged_by")?,
                _ => {}
            }
        }
        Ok(out)
    }

    /// Acknowledges an incident's active page chains (or the one chain with
    /// `ack_key`): their timers stop, and messages not yet sent for them are
    /// cancelled. Returns the incident and how many chains were stopped.
    pub async fn acknowledge(
        &self,
        incident_id: Option<i64>,
        ack_key: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(i64, i64)> {
        let mut tx = self.begin().await?;
        let lock = self.for_update();
        let rows = match (incident_id, ack_key) {
            (_, Some(key)) => {
                let sql = format!(
                    "SELECT id, incident_id, state FROM escalation_chains WHERE ack_key = $1{lock}"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(key)
                    .fetch_all(&mut *tx)
                    .await?
            }
            (Some(id), None) => {
                let sql = format!(
                    "SELECT id, incident_id, state FROM escalation_chains WHERE incident_id = $1 AND state = 'active'{lock}"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?
            }
            (None, None) => return Err(StoreError::NotFound("escalation".into())),
        };
        let Some(first) = rows.first() else {
            return match (incident_id, ack_key) {
                (Some(id), None) => Ok((id, 0)),
                _ => Err(StoreError::NotFound("escalation link".into())),
            };
        };
        let incident: i64 = first.try_get("incident_id")?;
        let mut stopped = 0;
        for r in &rows {
            let chain: i64 = r.try_get("id")?;
            let state: String = r.try_get("state")?;
            if state != "active" {
                continue;
            }
            sqlx::query(
                "UPDATE escalation_chains SET state = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3",
            )
            .bind(ms(now))
            .bind(&actor.name)
            .bind(chain)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE timers SET fired_at = $1, outcome = 'acknowledged' WHERE chain_id = $2 AND fired_at IS NULL")
                .bind(ms(now))
                .bind(chain)
                .execute(&mut *tx)
                .await?;
            // Messages not yet delivered for the chain are dropped, retries
            // and leased ones included: a leased message already on its way
            // may still arrive, but is not tried again.
            sqlx::query("UPDATE outbox SET state = 'cancelled' WHERE chain_id = $1 AND state IN ('pending', 'sending')")
                .bind(chain)
                .execute(&mut *tx)
                .await?;
            stopped += 1;
        }
        if stopped > 0 {
            let entry = TimelineEntry {
                kind: "acknowledged",
                summary: format!("Page acknowledged by {}; escalation stopped", actor.name),
                reason: None,
                details: serde_json::json!({"chains": stopped}),
            };
            timeline(&mut tx, incident, actor, &entry, now).await?;
            self.audit(
                &mut tx,
                actor,
                "incident.acknowledge",
                &incident_ref(incident),
                serde_json::json!({"chains": stopped}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok((incident, stopped))
    }

    /// Every escalation of an incident, oldest first.
    pub async fn escalations(&self, incident_id: i64) -> Result<Vec<Escalation>> {
        let rows = self
            .rows_with(
            "SELECT e.id, e.incident_id, e.chain_id, e.level, e.rule, e.reason, e.audience, e.actor, \
             e.recipient_user_id, u.name AS user_name, e.recipient, e.page, e.created_at, c.state, \
             c.acknowledged_at, c.acknowledged_by, \
             (SELECT COUNT(*) FROM outbox o WHERE o.escalation_id = e.id) AS messages \
             FROM escalations e LEFT JOIN users u ON u.id = e.recipient_user_id \
             LEFT JOIN escalation_chains c ON c.id = e.chain_id WHERE e.incident_id = $1 ORDER BY e.id",
                incident_id,
            )
            .await?;
        rows.iter()
            .map(|r| {
                let to_user = user_ref(col(r, "recipient_user_id")?, col(r, "user_name")?);
                let routed = col::<i64>(r, "messages")? > 0;
                let state = if routed { "routed" } else { "unrouted" }.to_owned();
                from_row! { r, Escalation { id, incident_id, chain_id, level, rule, reason, audience,
                    from: "actor", to: "recipient", to_user = to_user, page, at: "created_at",
                    chain_state: "state", acknowledged_at, acknowledged_by, state = state } }
            })
            .collect()
    }
}
