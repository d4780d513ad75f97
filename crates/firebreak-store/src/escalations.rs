//! Escalation records, durable timers and the notification outbox.
//!
//! The server decides (with `firebreak-core`) what to escalate and to whom;
//! this module writes it: an escalation chain per page, a row per
//! escalation, a timer row per acknowledgment deadline, and an outbox row per
//! message, all in the transaction of the change that caused them. Timers
//! and outbox rows are claimed by workers with row locks on PostgreSQL
//! (`FOR UPDATE SKIP LOCKED`) or under SQLite's single writer, and acted on
//! in the same transaction that marks them done, so a deadline fires once
//! however many servers share the database.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use firebreak_api::{
    ContactMethod, Definition, Escalation, Notification, NotificationRule, User, UserRef,
    incident_ref,
};
use firebreak_core::escalation::History;

use crate::incidents::{TimelineEntry, add_member, timeline};
use crate::{Actor, Backend, Result, Store, StoreError, Tx, flag, ms, time};

/// Everything escalation decisions read: small, slowly changing tables,
/// loaded before a change so that the decision inside the transaction stays
/// a pure function.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub users: Vec<User>,
    pub schedules: BTreeMap<String, serde_json::Value>,
    pub policies: BTreeMap<String, serde_json::Value>,
    pub contacts: Vec<ContactMethod>,
    pub rules: Vec<NotificationRule>,
    /// Service name → (escalation policy name, runbook).
    pub services: BTreeMap<String, (Option<String>, String)>,
}

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

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub idempotency_key: String,
    pub incident_id: Option<i64>,
    pub user_id: Option<i64>,
    pub channel: serde_json::Value,
    pub message: serde_json::Value,
    pub attempts: i64,
    /// Copied from the contact method when the message was queued.
    pub admin_set: bool,
}

/// How a delivery attempt went.
#[derive(Debug, Clone)]
pub enum DeliveryOutcome {
    Sent,
    /// Failed; retry at `retry_at`, or give up when `None`.
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}

fn parse_json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or(serde_json::Value::Null)
}

impl Store {
    /// Loads what escalation decisions read.
    pub async fn directory(&self) -> Result<Directory> {
        let users = self.list_users().await?;
        let mut schedules = BTreeMap::new();
        for r in sqlx::query("SELECT name, definition FROM schedules")
            .fetch_all(&self.read)
            .await?
        {
            schedules.insert(
                r.try_get::<String, _>("name")?,
                parse_json(&r.try_get::<String, _>("definition")?),
            );
        }
        let mut policies = BTreeMap::new();
        for r in sqlx::query("SELECT name, definition FROM escalation_policies")
            .fetch_all(&self.read)
            .await?
        {
            policies.insert(
                r.try_get::<String, _>("name")?,
                parse_json(&r.try_get::<String, _>("definition")?),
            );
        }
        let contacts = self.contact_methods(None).await?;
        let rules = sqlx::query(
            "SELECT id, user_id, contact_method_id, delay_secs FROM notification_rules ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(NotificationRule {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                contact_method_id: r.try_get("contact_method_id")?,
                delay_secs: r.try_get("delay_secs")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let mut services = BTreeMap::new();
        for r in sqlx::query("SELECT name, escalation_policy, runbook FROM services")
            .fetch_all(&self.read)
            .await?
        {
            services.insert(
                r.try_get::<String, _>("name")?,
                (
                    r.try_get::<Option<String>, _>("escalation_policy")?,
                    r.try_get::<String, _>("runbook")?,
                ),
            );
        }
        Ok(Directory {
            users,
            schedules,
            policies,
            contacts,
            rules,
            services,
        })
    }

    async fn put_definition(
        &self,
        table: &'static str,
        what: &str,
        name: &str,
        definition: &serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "INSERT INTO {table} (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .bind(json_text(definition))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        self.audit(
            &mut tx,
            actor,
            &format!("{what}.put"),
            &format!("{what}:{name}"),
            definition.clone(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn definitions(&self, table: &'static str) -> Result<Vec<Definition>> {
        let sql = format!("SELECT name, definition, updated_at FROM {table} ORDER BY name");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(Definition {
                    name: r.try_get("name")?,
                    definition: parse_json(&r.try_get::<String, _>("definition")?),
                    updated_at: time(r.try_get("updated_at")?),
                })
            })
            .collect()
    }

    /// Creates or replaces an on-call schedule (validated by the caller).
    pub async fn put_schedule(
        &self,
        name: &str,
        definition: &serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_definition("schedules", "schedule", name, definition, actor, now)
            .await
    }

    pub async fn schedules(&self) -> Result<Vec<Definition>> {
        self.definitions("schedules").await
    }

    /// Creates or replaces an escalation policy (validated by the caller).
    pub async fn put_policy(
        &self,
        name: &str,
        definition: &serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_definition(
            "escalation_policies",
            "policy",
            name,
            definition,
            actor,
            now,
        )
        .await
    }

    pub async fn policies(&self) -> Result<Vec<Definition>> {
        self.definitions("escalation_policies").await
    }

    /// Sets a service's escalation policy and runbook.
    pub async fn set_service_escalation(
        &self,
        service: &str,
        policy: Option<&str>,
        runbook: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let done =
            sqlx::query("UPDATE services SET escalation_policy = $1, runbook = $2 WHERE name = $3")
                .bind(policy)
                .bind(runbook)
                .bind(service)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("service `{service}`")));
        }
        self.audit(
            &mut tx,
            actor,
            "service.escalation",
            &format!("service:{service}"),
            serde_json::json!({"policy": policy, "runbook_length": runbook.len()}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a contact method, and a rule to use it `delay_secs` after a page.
    /// `admin_set` says an admin (or a local command) set its target, which
    /// may then be a private address; the actor is recorded as its creator.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_contact_method(
        &self,
        user: &UserRef,
        label: &str,
        channel: &serde_json::Value,
        delay_secs: i64,
        admin_set: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ContactMethod> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO contact_methods (user_id, label, channel, created_at, admin_set, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.id)
        .bind(label)
        .bind(json_text(channel))
        .bind(ms(now))
        .bind(i64::from(admin_set))
        .bind(actor.user_id)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        sqlx::query(
            "INSERT INTO notification_rules (user_id, contact_method_id, delay_secs, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user.id)
        .bind(id)
        .bind(delay_secs)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        // The channel may hold a webhook secret: the audit records its kind only.
        let kind = channel
            .get("kind")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        self.audit(
            &mut tx,
            actor,
            "contact.add",
            &format!("user:{}", user.name),
            serde_json::json!({"id": id, "label": label, "kind": kind, "delay_secs": delay_secs, "admin_set": admin_set}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ContactMethod {
            id,
            user_id: user.id,
            label: label.to_owned(),
            channel: channel.clone(),
            admin_set,
            created_by: actor.user_id,
        })
    }

    /// Contact methods of one user, or of everyone.
    pub async fn contact_methods(&self, user_id: Option<i64>) -> Result<Vec<ContactMethod>> {
        let rows = match user_id {
            Some(id) => {
                sqlx::query("SELECT id, user_id, label, channel, admin_set, created_by FROM contact_methods WHERE user_id = $1 ORDER BY id")
                    .bind(id)
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                sqlx::query("SELECT id, user_id, label, channel, admin_set, created_by FROM contact_methods ORDER BY id")
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(ContactMethod {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    label: r.try_get("label")?,
                    channel: parse_json(&r.try_get::<String, _>("channel")?),
                    admin_set: r.try_get::<i64, _>("admin_set")? != 0,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }

    /// A server-wide setting, created with `init` the first time. Safe when
    /// several servers start at once: the first insert wins, the others read
    /// it.
    pub async fn setting_or_init(
        &self,
        key: &str,
        init: impl FnOnce() -> String,
    ) -> Result<String> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(init())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.try_get("value")?)
    }

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
            let due = DueTimer {
                timer_id: r.try_get("timer_id")?,
                due_at: time(r.try_get("due_at")?),
                incident_id: r.try_get("incident_id")?,
                incident_title: r.try_get("title")?,
                incident_kind: r.try_get("kind")?,
                incident_severity: r.try_get("severity")?,
                incident_phase: r.try_get("phase")?,
                incident_service: r.try_get("service_name")?,
                chain_id: r.try_get("chain_id")?,
                chain_state: r.try_get("state")?,
                chain_rule: r.try_get("rule")?,
                chain_reason: r.try_get("reason")?,
                ack_key: r.try_get("ack_key")?,
                policy_name: r.try_get("policy_name")?,
                policy: parse_json(&r.try_get::<String, _>("policy")?),
                level: r.try_get("level")?,
                round: r.try_get("round")?,
            };
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
        let rows = sqlx::query(
            "SELECT e.id, e.incident_id, e.chain_id, e.level, e.rule, e.reason, e.audience, e.actor, \
             e.recipient_user_id, u.name AS user_name, e.recipient, e.page, e.created_at, c.state, \
             c.acknowledged_at, c.acknowledged_by, \
             (SELECT COUNT(*) FROM outbox o WHERE o.escalation_id = e.id) AS messages \
             FROM escalations e LEFT JOIN users u ON u.id = e.recipient_user_id \
             LEFT JOIN escalation_chains c ON c.id = e.chain_id WHERE e.incident_id = $1 ORDER BY e.id",
        )
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let uid: Option<i64> = r.try_get("recipient_user_id")?;
                let uname: Option<String> = r.try_get("user_name")?;
                let acked: Option<i64> = r.try_get("acknowledged_at")?;
                Ok(Escalation {
                    id: r.try_get("id")?,
                    incident_id: r.try_get("incident_id")?,
                    chain_id: r.try_get("chain_id")?,
                    level: r.try_get("level")?,
                    rule: r.try_get("rule")?,
                    reason: r.try_get("reason")?,
                    audience: r.try_get("audience")?,
                    from: r.try_get("actor")?,
                    to: r.try_get("recipient")?,
                    to_user: uid.zip(uname).map(|(id, name)| UserRef { id, name }),
                    page: r.try_get::<i64, _>("page")? != 0,
                    at: time(r.try_get("created_at")?),
                    chain_state: r.try_get("state")?,
                    acknowledged_at: acked.map(time),
                    acknowledged_by: r.try_get("acknowledged_by")?,
                    state: if r.try_get::<i64, _>("messages")? > 0 {
                        "routed".to_owned()
                    } else {
                        "unrouted".to_owned()
                    },
                })
            })
            .collect()
    }

    /// Claims up to `limit` messages due for delivery, leasing them for
    /// `lease`: a server that dies mid-delivery lets another retry after the
    /// lease. Each claimed message counts one attempt.
    pub async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        let mut tx = self.begin().await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $1) \
             OR (state = 'sending' AND lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $2{lock}"
        );
        let ids: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let r = sqlx::query(
                "UPDATE outbox SET state = 'sending', lease_until = $1, attempts = attempts + 1 WHERE id = $2 \
                 RETURNING id, idempotency_key, incident_id, user_id, channel, message, attempts, admin_set",
            )
            .bind(ms(now + lease))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            out.push(OutboxItem {
                id: r.try_get("id")?,
                idempotency_key: r.try_get("idempotency_key")?,
                incident_id: r.try_get("incident_id")?,
                user_id: r.try_get("user_id")?,
                channel: parse_json(&r.try_get::<String, _>("channel")?),
                message: parse_json(&r.try_get::<String, _>("message")?),
                attempts: r.try_get("attempts")?,
                admin_set: r.try_get::<i64, _>("admin_set")? != 0,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records a delivery attempt. A message that failed for good puts a
    /// warning on its incident's timeline.
    pub async fn outbox_result(
        &self,
        item: &OutboxItem,
        outcome: &DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        match outcome {
            DeliveryOutcome::Sent => {
                // A message cancelled while on its way did arrive: say so.
                sqlx::query("UPDATE outbox SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2 AND state IN ('sending', 'cancelled')")
                    .bind(ms(now))
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
            }
            DeliveryOutcome::Failed {
                error,
                retry_at: Some(at),
            } => {
                sqlx::query("UPDATE outbox SET state = 'pending', next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND state = 'sending'")
                    .bind(ms(*at))
                    .bind(error)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
            }
            DeliveryOutcome::Failed {
                error,
                retry_at: None,
            } => {
                sqlx::query("UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $1 WHERE id = $2 AND state = 'sending'")
                    .bind(error)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
                if let Some(incident) = item.incident_id {
                    let kind = item
                        .channel
                        .get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or("unknown")
                        .to_owned();
                    let who = match item.user_id {
                        Some(uid) => sqlx::query("SELECT name FROM users WHERE id = $1")
                            .bind(uid)
                            .fetch_optional(&mut *tx)
                            .await?
                            .map(|r| r.try_get::<String, _>("name"))
                            .transpose()?
                            .unwrap_or_else(|| "a recipient".to_owned()),
                        None => "a recipient".to_owned(),
                    };
                    let entry = TimelineEntry {
                        kind: "notification_failed",
                        summary: format!(
                            "Warning: the {kind} notification to {who} failed after {} attempts",
                            item.attempts
                        ),
                        reason: Some(error.clone()),
                        details: serde_json::json!({"outbox_id": item.id, "idempotency_key": item.idempotency_key}),
                    };
                    timeline(&mut tx, incident, &Actor::system(), &entry, now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The messages of an incident, or every failed one when `incident_id`
    /// is `None`.
    pub async fn notifications(&self, incident_id: Option<i64>) -> Result<Vec<Notification>> {
        let base = "SELECT o.id, o.idempotency_key, o.incident_id, o.escalation_id, o.user_id, u.name AS user_name, \
                    o.channel, o.state, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at \
                    FROM outbox o LEFT JOIN users u ON u.id = o.user_id";
        let rows = match incident_id {
            Some(id) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} WHERE o.incident_id = $1 ORDER BY o.id"
                )))
                .bind(id)
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} WHERE o.state = 'failed' ORDER BY o.id DESC LIMIT 500"
                )))
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                let uid: Option<i64> = r.try_get("user_id")?;
                let uname: Option<String> = r.try_get("user_name")?;
                let channel = parse_json(&r.try_get::<String, _>("channel")?);
                let sent: Option<i64> = r.try_get("sent_at")?;
                Ok(Notification {
                    id: r.try_get("id")?,
                    idempotency_key: r.try_get("idempotency_key")?,
                    incident_id: r.try_get("incident_id")?,
                    escalation_id: r.try_get("escalation_id")?,
                    user: uid.zip(uname).map(|(id, name)| UserRef { id, name }),
                    channel: channel
                        .get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or("unknown")
                        .to_owned(),
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    next_attempt_at: time(r.try_get("next_attempt_at")?),
                    last_error: r.try_get("last_error")?,
                    created_at: time(r.try_get("created_at")?),
                    sent_at: sent.map(time),
                })
            })
            .collect()
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

impl Store {
    /// The message templates an admin changed, by name (`subject`, `text`).
    pub async fn message_templates(&self) -> Result<BTreeMap<String, String>> {
        let rows = sqlx::query("SELECT name, body FROM message_templates")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("name")?,
                    r.try_get::<String, _>("body")?,
                ))
            })
            .collect()
    }

    /// Replaces a message template (validated by the caller).
    pub async fn put_message_template(
        &self,
        name: &str,
        body: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO message_templates (name, body, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(body)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        self.audit(
            &mut tx,
            actor,
            "template.put",
            &format!("template:{name}"),
            serde_json::json!({"body": body}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// One service's escalation policy and runbook, without loading the
    /// whole directory.
    pub async fn service_escalation(&self, name: &str) -> Result<Option<(Option<String>, String)>> {
        let row = sqlx::query("SELECT escalation_policy, runbook FROM services WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok((r.try_get("escalation_policy")?, r.try_get("runbook")?)))
            .transpose()
    }
}
