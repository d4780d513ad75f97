//! From escalation decisions to recipients and messages.
//!
//! `firebreak-core` decides *that* the incident lead is paged or leadership
//! notified, and why. This module resolves *who*: the service's escalation
//! policy or the configured incident-lead policy, whoever is on call on a
//! schedule at that moment, the leadership group, the owning team; and
//! *how*: each recipient's contact methods and notification rules. It is
//! pure over a [`Directory`] loaded before the change, so it can run inside
//! the store's transaction.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use firebreak_core::escalation::{
    Audience, Decision, Level, Policy, Rule, Step, Target, next_step,
};
use firebreak_core::oncall::Schedule;
use firebreak_store::{
    ChainRef, Directory, DueTimer, EscalationWrite, OutboxWrite, Recipient, TimelineEntry,
    TimerPlan,
};

/// The escalation part of the policy configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    /// The policy that pages the incident lead for incidents whose service
    /// has no policy of its own.
    #[serde(default)]
    pub incident_lead_policy: Option<String>,
    /// User names notified when a critical incident confirms customer data
    /// access or a full outage.
    #[serde(default)]
    pub leadership: Vec<String>,
    /// A deadline missed by more than this many seconds (the server was
    /// down) says so in its reason.
    #[serde(default = "default_late")]
    pub late_after_secs: i64,
    /// User names told (a notice through their contact methods) whenever a
    /// page reaches nobody: no policy, nobody on call, no contact method.
    #[serde(default)]
    pub fallback: Vec<String>,
}

fn default_late() -> i64 {
    30
}

impl Default for EscalationConfig {
    fn default() -> Self {
        EscalationConfig {
            incident_lead_policy: None,
            leadership: Vec::new(),
            late_after_secs: default_late(),
            fallback: Vec::new(),
        }
    }
}

/// Whether `name` is an integration's service account (`intake.<name>`).
pub fn is_service_account(name: &str) -> bool {
    name.starts_with("intake.")
}

/// The one eligibility rule for an incident's owner and incident lead:
/// an enabled person (not an integration's service account) whose role may
/// respond (`firebreak_core::auth::may_own_incident`) and who can be
/// reached (at least one contact method). Answers the user's id, or why
/// not.
pub fn assignable(dir: &Directory, name: &str) -> Result<i64, String> {
    let Some(u) = dir.users.iter().find(|u| u.name == name && !u.disabled) else {
        return Err(format!("no user named `{name}`"));
    };
    if is_service_account(&u.name) {
        return Err(format!(
            "`{name}` is an integration's service account, not a person"
        ));
    }
    if !firebreak_core::auth::may_own_incident(u.role) {
        return Err(format!(
            "`{name}` has the role `{}`, which may not respond to incidents",
            u.role
        ));
    }
    if !dir.contacts.iter().any(|c| c.user_id == u.id) {
        return Err(format!(
            "`{name}` has no contact method, so nobody could reach them; add one first"
        ));
    }
    Ok(u.id)
}

/// The users who may be made owner or incident lead (for pickers).
pub fn assignable_users(dir: &Directory) -> Vec<firebreak_api::User> {
    dir.users
        .iter()
        .filter(|u| assignable(dir, &u.name).is_ok())
        .cloned()
        .collect()
}

/// What the plan needs to know of the incident.
#[derive(Debug, Clone)]
pub struct IncidentInfo<'a> {
    pub service: Option<&'a str>,
    pub owner_id: Option<i64>,
}

/// The outbox message: what the worker needs to build the notification at
/// delivery time (it reads the incident then, so messages show its current
/// title and phase).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// `page` or `notice`.
    pub event: String,
    pub rule: String,
    pub reason: String,
    pub recipient: String,
    /// The chain an acknowledgment link stops.
    pub ack_key: Option<String>,
    pub level: i64,
}

/// Escalation writes and timeline lines for `decisions`.
pub fn plan(
    dir: &Directory,
    config: &EscalationConfig,
    incident: &IncidentInfo<'_>,
    decisions: &[Decision],
    now: DateTime<Utc>,
) -> (Vec<EscalationWrite>, Vec<TimelineEntry>) {
    let config = &crate::settings::effective(config, dir);
    let mut writes = Vec::new();
    let mut lines = Vec::new();
    for d in decisions {
        let (write, line) = match &d.audience {
            Audience::IncidentLead => lead_page(dir, config, incident, d, now),
            Audience::Leadership => notice(
                dir,
                incident,
                d,
                "leadership",
                &config.leadership,
                "no leadership group is configured",
                now,
            ),
            Audience::OwningTeam => team_notice(dir, incident, d, now),
            Audience::User(name) => user_page(dir, incident, d, name, now),
        };
        let mut line = line;
        warn_unreached(&write, &mut line);
        let unrouted = write.page && write.messages.is_empty();
        writes.push(write);
        lines.push(line);
        if unrouted {
            let (w, l) = fallback(dir, config, d, now);
            writes.push(w);
            lines.push(l);
        }
    }
    (writes, lines)
}

/// A page reached nobody: the configured fallback users are told, loudly.
/// Without a fallback (or when it reaches nobody either) the timeline and
/// the escalation record say so.
fn fallback(
    dir: &Directory,
    config: &EscalationConfig,
    d: &Decision,
    now: DateTime<Utc>,
) -> (EscalationWrite, TimelineEntry) {
    let why = format!("nobody was paged ({}): {}", d.rule, d.reason);
    let fd = Decision {
        rule: d.rule,
        audience: d.audience.clone(),
        page: false,
        reason: why,
    };
    let (mut w, mut l) = notice(
        dir,
        &IncidentInfo {
            service: None,
            owner_id: None,
        },
        &fd,
        "fallback",
        &config.fallback,
        "no fallback is configured ([escalation] fallback)",
        now,
    );
    if let Ok(mut v) = serde_json::from_value::<OutboxMessage>(
        w.messages
            .first()
            .map(|m| m.message.clone())
            .unwrap_or_default(),
    ) {
        v.event = "unrouted".into();
        let value = serde_json::to_value(&v).unwrap_or_default();
        for m in &mut w.messages {
            m.message = value.clone();
            if let Some(r) = w
                .recipients
                .iter()
                .find(|r| r.user_id.is_some() && r.user_id == m.user_id)
            {
                m.message["recipient"] = r.name.clone().into();
            }
        }
    }
    l.kind = "unrouted";
    l.summary = if w.messages.is_empty() {
        format!(
            "Warning: nobody was paged, and no fallback could be told: {}",
            names(&w.recipients)
        )
    } else {
        format!(
            "Warning: nobody was paged; told the fallback: {}",
            names(&w.recipients)
        )
    };
    warn_unreached(&w, &mut l);
    (w, l)
}

/// The policy that pages the incident lead for this incident.
fn lead_policy<'a>(
    dir: &'a Directory,
    config: &'a EscalationConfig,
    service: Option<&str>,
) -> Option<(&'a str, &'a serde_json::Value)> {
    let name = service
        .and_then(|s| dir.services.get(s))
        .and_then(|(policy, _)| policy.as_deref())
        .or(config.incident_lead_policy.as_deref())?;
    dir.policies
        .get_key_value(name)
        .map(|(k, v)| (k.as_str(), v))
}

/// The users a level's targets resolve to at `now`; unresolvable targets are
/// kept as descriptions so the escalation record says what went wrong.
pub fn resolve(dir: &Directory, targets: &[Target], now: DateTime<Utc>) -> Vec<Recipient> {
    let mut out: Vec<Recipient> = Vec::new();
    for t in targets {
        let r = match t {
            Target::User(name) => user(dir, name),
            Target::Schedule(s) => match dir
                .schedules
                .get(s)
                .and_then(|v| serde_json::from_value::<Schedule>(v.clone()).ok())
            {
                None => Recipient {
                    user_id: None,
                    name: format!("schedule `{s}` does not exist"),
                },
                Some(schedule) => match schedule.on_call_at(now) {
                    Some(on) => user(dir, &on.user),
                    None => Recipient {
                        user_id: None,
                        name: format!("nobody on call on schedule `{s}`"),
                    },
                },
            },
        };
        if !out
            .iter()
            .any(|o| o.user_id.is_some() && o.user_id == r.user_id)
        {
            out.push(r);
        }
    }
    out
}

fn user(dir: &Directory, name: &str) -> Recipient {
    match dir.users.iter().find(|u| u.name == name && !u.disabled) {
        Some(u) => Recipient {
            user_id: Some(u.id),
            name: u.name.clone(),
        },
        None => Recipient {
            user_id: None,
            name: format!("user `{name}` does not exist"),
        },
    }
}

/// One outbox row per notification rule of each recipient (or per contact
/// method at once, for users without rules).
pub(crate) fn messages(
    dir: &Directory,
    recipients: &[Recipient],
    message: &OutboxMessage,
    key_prefix: &str,
) -> Vec<OutboxWrite> {
    let mut out = Vec::new();
    for r in recipients {
        let Some(uid) = r.user_id else { continue };
        let rules: Vec<(i64, i64)> = dir
            .rules
            .iter()
            .filter(|rule| rule.user_id == uid)
            .map(|rule| (rule.contact_method_id, rule.delay_secs))
            .collect();
        let plan: Vec<(i64, i64)> = if rules.is_empty() {
            dir.contacts
                .iter()
                .filter(|c| c.user_id == uid)
                .map(|c| (c.id, 0))
                .collect()
        } else {
            rules
        };
        for (cm, delay) in plan {
            let Some(contact) = dir.contacts.iter().find(|c| c.id == cm) else {
                continue;
            };
            let mut m = message.clone();
            m.recipient = r.name.clone();
            out.push(OutboxWrite {
                idempotency_key: format!("{key_prefix}-u{uid}-c{cm}-d{delay}"),
                user_id: Some(uid),
                channel: contact.channel.clone(),
                message: serde_json::to_value(&m).unwrap_or_default(),
                delay_secs: delay,
                admin_set: contact.admin_set,
            });
        }
    }
    out
}

/// Says on the timeline line who was reached by nothing: a recipient
/// without contact methods gets no message, and silence would hide it.
fn warn_unreached(w: &EscalationWrite, line: &mut TimelineEntry) {
    let unreached: Vec<&str> = w
        .recipients
        .iter()
        .filter(|r| r.user_id.is_some() && !w.messages.iter().any(|m| m.user_id == r.user_id))
        .map(|r| r.name.as_str())
        .collect();
    if !unreached.is_empty() {
        line.summary.push_str(&format!(
            "; warning: {} {} no contact method, so nothing was sent to them",
            unreached.join(", "),
            if unreached.len() == 1 { "has" } else { "have" }
        ));
    }
}

fn names(rs: &[Recipient]) -> String {
    if rs.is_empty() {
        return "nobody".to_owned();
    }
    rs.iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn random_key() -> String {
    firebreak_store::secrets::random_secret()
}

fn line(d: &Decision, summary: String, recipients: &[Recipient], level: i64) -> TimelineEntry {
    TimelineEntry {
        kind: "escalated",
        summary,
        reason: Some(d.reason.clone()),
        details: json!({"rule": d.rule, "level": level + 1, "to": recipients.iter().map(|r| r.name.clone()).collect::<Vec<_>>()}),
    }
}

/// One level of a page chain, to write.
struct LevelPage<'a> {
    chain: ChainRef,
    ack_key: &'a str,
    level_index: usize,
    round: u32,
    level: &'a Level,
    rule: Rule,
    reason: &'a str,
}

fn level_page(dir: &Directory, p: LevelPage<'_>, now: DateTime<Utc>) -> EscalationWrite {
    let LevelPage {
        chain,
        ack_key,
        level_index,
        round,
        level,
        rule,
        reason,
    } = p;
    let recipients = resolve(dir, &level.targets, now);
    let message = OutboxMessage {
        event: "page".into(),
        rule: rule.as_str().into(),
        reason: reason.into(),
        recipient: String::new(),
        ack_key: Some(ack_key.to_owned()),
        level: level_index as i64 + 1,
    };
    let prefix = format!("fb-{ack_key}-l{level_index}-r{round}");
    EscalationWrite {
        chain,
        level: level_index as i64,
        round: i64::from(round),
        rule: rule.as_str().into(),
        reason: reason.into(),
        audience: "incident_lead".into(),
        page: true,
        messages: messages(dir, &recipients, &message, &prefix),
        recipients,
        timer_due: Some(now + Duration::seconds(level.ack_timeout_secs)),
    }
}

fn lead_page(
    dir: &Directory,
    config: &EscalationConfig,
    incident: &IncidentInfo<'_>,
    d: &Decision,
    now: DateTime<Utc>,
) -> (EscalationWrite, TimelineEntry) {
    let policy = lead_policy(dir, config, incident.service).and_then(|(name, v)| {
        serde_json::from_value::<Policy>(v.clone())
            .ok()
            .filter(|p| p.validate().is_ok())
            .map(|p| (name, v, p))
    });
    let first = policy
        .as_ref()
        .and_then(|(_, _, p)| p.levels.first().cloned());
    let (Some((name, raw, _)), Some(first)) = (policy, first) else {
        let r = vec![Recipient {
            user_id: None,
            name: "no escalation policy is configured for the incident lead".into(),
        }];
        let w = EscalationWrite {
            chain: ChainRef::None,
            level: 0,
            round: 0,
            rule: d.rule.as_str().into(),
            reason: d.reason.clone(),
            audience: "incident_lead".into(),
            page: true,
            recipients: r.clone(),
            messages: Vec::new(),
            timer_due: None,
        };
        let l = line(d, "Warning: the incident lead should be paged, but no escalation policy is configured; nobody was paged".into(), &r, 0);
        return (w, l);
    };
    let ack_key = random_key();
    let chain = ChainRef::New {
        policy_name: name.to_owned(),
        policy: raw.clone(),
        ack_key: ack_key.clone(),
    };
    let page = LevelPage {
        chain,
        ack_key: &ack_key,
        level_index: 0,
        round: 0,
        level: &first,
        rule: d.rule,
        reason: &d.reason,
    };
    let w = level_page(dir, page, now);
    let l = line(
        d,
        format!(
            "Paged the incident lead ({}) by policy `{name}`, level 1",
            names(&w.recipients)
        ),
        &w.recipients,
        0,
    );
    (w, l)
}

fn notice(
    dir: &Directory,
    _incident: &IncidentInfo<'_>,
    d: &Decision,
    audience: &str,
    user_names: &[String],
    missing: &str,
    _now: DateTime<Utc>,
) -> (EscalationWrite, TimelineEntry) {
    let mut recipients: Vec<Recipient> = user_names.iter().map(|n| user(dir, n)).collect();
    if recipients.is_empty() {
        recipients.push(Recipient {
            user_id: None,
            name: missing.to_owned(),
        });
    }
    let message = OutboxMessage {
        event: "notice".into(),
        rule: d.rule.as_str().into(),
        reason: d.reason.clone(),
        recipient: String::new(),
        ack_key: None,
        level: 1,
    };
    let prefix = format!("fb-{}-{}", d.rule, random_key());
    let w = EscalationWrite {
        chain: ChainRef::None,
        level: 0,
        round: 0,
        rule: d.rule.as_str().into(),
        reason: d.reason.clone(),
        audience: audience.into(),
        page: false,
        messages: messages(dir, &recipients, &message, &prefix),
        recipients,
        timer_due: None,
    };
    let who = match audience {
        "leadership" => "leadership",
        "fallback" => "the fallback",
        _ => "the owning team",
    };
    let summary = if user_names.is_empty() {
        format!("Could not notify {who}: {missing}")
    } else {
        format!("Notified {who}: {}", names(&w.recipients))
    };
    let l = line(d, summary, &w.recipients, 0);
    (w, l)
}

fn team_notice(
    dir: &Directory,
    incident: &IncidentInfo<'_>,
    d: &Decision,
    now: DateTime<Utc>,
) -> (EscalationWrite, TimelineEntry) {
    // The owning team is the service's policy's first level; without one,
    // the incident's owner.
    let first_level = incident
        .service
        .and_then(|s| dir.services.get(s))
        .and_then(|(p, _)| p.as_deref())
        .and_then(|p| dir.policies.get(p))
        .and_then(|v| serde_json::from_value::<Policy>(v.clone()).ok())
        .and_then(|p| p.levels.into_iter().next());
    let names_: Vec<String> = match first_level {
        Some(level) => resolve(dir, &level.targets, now)
            .into_iter()
            .filter(|r| r.user_id.is_some())
            .map(|r| r.name)
            .collect(),
        None => incident
            .owner_id
            .and_then(|id| dir.users.iter().find(|u| u.id == id))
            .map(|u| vec![u.name.clone()])
            .unwrap_or_default(),
    };
    notice(
        dir,
        incident,
        d,
        "owning_team",
        &names_,
        "no owning team is known (no service policy, no owner)",
        now,
    )
}

fn user_page(
    dir: &Directory,
    _incident: &IncidentInfo<'_>,
    d: &Decision,
    name: &str,
    now: DateTime<Utc>,
) -> (EscalationWrite, TimelineEntry) {
    // A one-level policy around the named user, so the page can be
    // acknowledged like any other.
    let policy = Policy {
        levels: vec![Level {
            targets: vec![Target::User(name.to_owned())],
            ack_timeout_secs: 600,
        }],
        repeat: 0,
    };
    let ack_key = random_key();
    let raw = serde_json::to_value(&policy).unwrap_or_default();
    let chain = ChainRef::New {
        policy_name: format!("manual:{name}"),
        policy: raw,
        ack_key: ack_key.clone(),
    };
    let level = Level {
        targets: vec![Target::User(name.to_owned())],
        ack_timeout_secs: 600,
    };
    let page = LevelPage {
        chain,
        ack_key: &ack_key,
        level_index: 0,
        round: 0,
        level: &level,
        rule: d.rule,
        reason: &d.reason,
    };
    let mut w = level_page(dir, page, now);
    w.audience = "user".into();
    let l = line(
        d,
        format!("Escalated by hand to {}", names(&w.recipients)),
        &w.recipients,
        0,
    );
    (w, l)
}

/// What to do when a page's acknowledgment deadline passes.
pub fn on_timeout(
    dir: &Directory,
    config: &EscalationConfig,
    due: &DueTimer,
    now: DateTime<Utc>,
) -> TimerPlan {
    let config = &crate::settings::effective(config, dir);
    if due.chain_state != "active" {
        return TimerPlan {
            escalation: None,
            fallback: None,
            chain_state: None,
            timeline: Vec::new(),
            outcome: due.chain_state.clone(),
        };
    }
    // A closed incident pages nobody: its chain stops at the next deadline.
    if due
        .incident_phase
        .parse::<firebreak_core::Phase>()
        .is_ok_and(|p| !p.escalates())
    {
        return TimerPlan {
            escalation: None,
            fallback: None,
            chain_state: Some("closed".into()),
            timeline: vec![TimelineEntry {
                kind: "escalation_stopped",
                summary: format!(
                    "Escalation by policy `{}` stopped: the incident is closed",
                    due.policy_name
                ),
                reason: None,
                details: json!({"chain_id": due.chain_id}),
            }],
            outcome: "closed".into(),
        };
    }
    let policy = match serde_json::from_value::<Policy>(due.policy.clone()) {
        Ok(p) if p.validate().is_ok() => p,
        _ => {
            return TimerPlan {
                escalation: None,
                fallback: None,
                chain_state: Some("exhausted".into()),
                timeline: vec![TimelineEntry {
                    kind: "escalation_exhausted",
                    summary: format!(
                        "Warning: the stored policy `{}` is not valid; escalation stopped",
                        due.policy_name
                    ),
                    reason: None,
                    details: json!({"chain_id": due.chain_id}),
                }],
                outcome: "invalid_policy".into(),
            };
        }
    };
    let level = usize::try_from(due.level).unwrap_or(0);
    let round = u32::try_from(due.round).unwrap_or(0);
    let timeout = policy
        .levels
        .get(level)
        .map(|l| l.ack_timeout_secs)
        .unwrap_or(0);
    let late = (now - due.due_at).num_seconds();
    let late_note = if late > config.late_after_secs {
        format!(
            " (the deadline passed at {} while no server was running; fired {late} s late, at start)",
            due.due_at.format("%Y-%m-%d %H:%M:%S UTC")
        )
    } else {
        String::new()
    };
    match next_step(&policy, level, round) {
        Step::Level {
            level: next,
            round: next_round,
        } => {
            let Some(lv) = policy.levels.get(next) else {
                return TimerPlan {
                    escalation: None,
                    fallback: None,
                    chain_state: Some("exhausted".into()),
                    timeline: Vec::new(),
                    outcome: "exhausted".into(),
                };
            };
            let what = if next_round > round {
                format!("repeating the policy (round {})", next_round + 1)
            } else {
                format!("paging level {} (the backup)", next + 1)
            };
            let reason = format!(
                "no acknowledgment within {timeout} s at level {}: {what}{late_note}",
                level + 1
            );
            let page = LevelPage {
                chain: ChainRef::Existing(due.chain_id),
                ack_key: &due.ack_key,
                level_index: next,
                round: next_round,
                level: lv,
                rule: Rule::AckTimeout,
                reason: &reason,
            };
            let w = level_page(dir, page, now);
            let entry = TimelineEntry {
                kind: "escalated",
                summary: format!(
                    "Paged level {} ({}) by policy `{}`",
                    next + 1,
                    names(&w.recipients),
                    due.policy_name
                ),
                reason: Some(reason.clone()),
                details: json!({"rule": Rule::AckTimeout, "level": next + 1, "round": next_round + 1, "late_secs": late.max(0)}),
            };
            let mut entry = entry;
            warn_unreached(&w, &mut entry);
            let mut timeline = vec![entry];
            let fallback = if w.messages.is_empty() {
                let d = Decision {
                    rule: Rule::AckTimeout,
                    audience: Audience::IncidentLead,
                    page: true,
                    reason: reason.clone(),
                };
                let (fw, fl) = fallback(dir, config, &d, now);
                timeline.push(fl);
                Some(fw)
            } else {
                None
            };
            TimerPlan {
                fallback,
                escalation: Some(w),
                chain_state: None,
                timeline,
                outcome: "escalated".into(),
            }
        }
        Step::Exhausted => TimerPlan {
            escalation: None,
            fallback: None,
            chain_state: Some("exhausted".into()),
            timeline: vec![TimelineEntry {
                kind: "escalation_exhausted",
                summary: format!(
                    "Warning: nobody acknowledged the page after every level of policy `{}`{}",
                    due.policy_name,
                    if policy.repeat > 0 {
                        format!(" and {} repeats", policy.repeat)
                    } else {
                        String::new()
                    }
                ),
                reason: Some(format!("{}{late_note}", due.chain_reason)),
                details: json!({"chain_id": due.chain_id}),
            }],
            outcome: "exhausted".into(),
        },
    }
}
