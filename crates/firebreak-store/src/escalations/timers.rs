//! Durable timers: acknowledgment deadlines claimed by a worker and acted
//! on in the transaction that marks them fired, so each fires once however
//! many servers share the database.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::pages::EscalationWrite;
use crate::incidents::{TimelineEntry, timeline};
use crate::{Actor, Backend, Result, Store, ms, time};

/// A due timer with its chain and incident, as the worker's decision sees it.
#[derive(Debug, Clone)]
pub struct DueTimer {
    pub timer_id: i64,
    pub due_at: DateTime<Utc>,
    pub incident_id: i64,
    pub incident_title: String,
    pub incident_kind: String,
    pub incident_severity: Option<String>,
    pub incident_phase: String,
    pub incident_service: Option<String>,
    pub chain_id: i64,
    pub chain_state: String,
    pub chain_rule: String,
    pub chain_reason: String,
    pub ack_key: String,
    pub policy_name: String,
    pub policy: serde_json::Value,
    pub level: i64,
    pub round: i64,
}

/// What to do with a due timer.
#[derive(Debug, Clone)]
pub struct TimerPlan {
    pub escalation: Option<EscalationWrite>,
    /// When that escalation reached nobody: the fallback users told so.
    pub fallback: Option<EscalationWrite>,
    /// The chain's new state, if it changes (`exhausted`).
    pub chain_state: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    /// A word for the timer row: `escalated`, `acknowledged`, `exhausted`.
    pub outcome: String,
}

/// An active page chain's next acknowledgment deadline: what the incident
/// page counts down to.
#[derive(Debug, Clone)]
pub struct PendingDeadline {
    pub chain_id: i64,
    pub due_at: DateTime<Utc>,
    /// The 0-based level of the policy waiting for an acknowledgment.
    pub level: i64,
    pub round: i64,
    pub policy_name: String,
    pub policy: serde_json::Value,
}

impl Store {
    /// The unfired acknowledgment deadlines of an incident's active page
    /// chains, earliest first.
    pub async fn pending_deadlines(&self, incident_id: i64) -> Result<Vec<PendingDeadline>> {
        let rows = sqlx::query(
            "SELECT t.chain_id, t.due_at, t.level, t.round, c.policy_name, c.policy \
             FROM timers t JOIN escalation_chains c ON c.id = t.chain_id \
             WHERE t.incident_id = $1 AND t.fired_at IS NULL AND c.state = 'active' \
             ORDER BY t.due_at, t.id",
        )
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                from_row! { r, PendingDeadline { chain_id, due_at, level, round, policy_name, policy } }
            })
            .collect()
    }

    /// Claims up to `limit` due timers and acts on each with `plan`, each in
    /// the transaction that marks it fired: a timer fires exactly once,
    /// whichever server claims it. Returns how many fired.
    pub async fn fire_due_timers(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        plan: impl Fn(&DueTimer) -> TimerPlan,
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        let lock = match self.backend {
            // The chain is locked with the timer, so an acknowledgment (which
            // locks the chain, then its timers) and this worker never wait
            // for each other in opposite orders: the worker skips instead.
            Backend::Postgres => " FOR UPDATE OF t, c SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT t.id AS timer_id, t.due_at, t.level, t.round, t.incident_id, i.title, i.kind, i.severity, i.phase, \
             s.name AS service_name, c.id AS chain_id, c.state, c.rule, c.reason, c.ack_key, c.policy_name, c.policy \
             FROM timers t JOIN incidents i ON i.id = t.incident_id JOIN escalation_chains c ON c.id = t.chain_id \
             LEFT JOIN services s ON s.id = i.service_id \
             WHERE t.fired_at IS NULL AND t.due_at <= $1 ORDER BY t.due_at, t.id LIMIT $2{lock}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        let mut fired = 0;
        for r in &rows {
            let due = from_row! { r, DueTimer { timer_id, due_at, incident_id,
            incident_title: "title", incident_kind: "kind", incident_severity: "severity",
            incident_phase: "phase", incident_service: "service_name", chain_id,
            chain_state: "state", chain_rule: "rule", chain_reason: "reason", ack_key,
            policy_name, policy, level, round } }?;
            let p = plan(&due);
            let actor = Actor::system();
            let writes: Vec<EscalationWrite> = p
                .escalation
                .iter()
                .chain(p.fallback.iter())
                .cloned()
                .collect();
            if !writes.is_empty() {
                self.write_escalations(&mut tx, due.incident_id, &actor, &writes, now)
                    .await?;
            }
            if let Some(state) = &p.chain_state {
                sqlx::query("UPDATE escalation_chains SET state = $1 WHERE id = $2")
                    .bind(state)
                    .bind(due.chain_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for e in &p.timeline {
                timeline(&mut tx, due.incident_id, &actor, e, now).await?;
            }
            sqlx::query("UPDATE timers SET fired_at = $1, outcome = $2 WHERE id = $3")
                .bind(ms(now))
                .bind(&p.outcome)
                .bind(due.timer_id)
                .execute(&mut *tx)
                .await?;
            fired += 1;
        }
        tx.commit().await?;
        Ok(fired)
    }

    /// The earliest moment a worker has something to do: a timer, a message
    /// due, or a lease that runs out.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query(
            "SELECT (SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL) AS t, \
             (SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending') AS o, \
             (SELECT MIN(lease_until) FROM outbox WHERE state = 'sending') AS l",
        )
        .fetch_one(&self.read)
        .await?;
        let t: Option<i64> = row.try_get("t")?;
        let o: Option<i64> = row.try_get("o")?;
        let l: Option<i64> = row.try_get("l")?;
        Ok([t, o, l].into_iter().flatten().min().map(time))
    }
}
