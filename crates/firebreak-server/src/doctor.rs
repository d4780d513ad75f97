//! Configuration that cannot page, found before it matters.
//!
//! Pure over a [`Directory`] (as [`crate::escalate`] is), the escalation
//! configuration, whether email can be sent, and `now`:
//!
//! - [`schedule_problem`], [`policy_problem`] and [`contact_problem`] refuse
//!   at save time what names nobody (the API answers 422 naming the field);
//! - [`config_warnings`] lists what the config file names that does not
//!   exist, for the start-up log and `/readyz`;
//! - [`report`] follows every paging path, policy → schedule → who is on
//!   call now → contact method → channel, for every service, the incident
//!   lead, leadership and the fallback, and names each missing link (`firebreak doctor`).

use chrono::{DateTime, Utc};

use firebreak_api::{DoctorReport, PagingCheck};
use firebreak_core::escalation::{Policy, Target};
use firebreak_core::oncall::Schedule;
use firebreak_store::Directory;

use crate::escalate::EscalationConfig;
use crate::notify::Channel;

/// Why a user cannot be paged, if they cannot.
pub(crate) fn user_problem(dir: &Directory, name: &str) -> Option<String> {
    match dir.users.iter().find(|u| u.name == name) {
        None => Some(format!("user `{name}` does not exist")),
        Some(u) if u.disabled => Some(format!("user `{name}` is disabled and cannot be paged")),
        Some(_) => None,
    }
}

/// The first participant of `schedule` who cannot be paged: the field path
/// and why.
pub fn schedule_problem(dir: &Directory, schedule: &Schedule) -> Option<(String, String)> {
    for (i, layer) in schedule.layers.iter().enumerate() {
        for (j, user) in layer.rotation.participants.iter().enumerate() {
            if let Some(why) = user_problem(dir, user) {
                return Some((format!("layers[{i}].rotation.participants[{j}]"), why));
            }
        }
    }
    for (k, o) in schedule.overrides.iter().enumerate() {
        if let Some(why) = user_problem(dir, &o.user) {
            return Some((format!("overrides[{k}].user"), why));
        }
    }
    None
}

/// The first target of `policy` that names nothing: the field path and why.
pub fn policy_problem(dir: &Directory, policy: &Policy) -> Option<(String, String)> {
    for (i, level) in policy.levels.iter().enumerate() {
        for (j, target) in level.targets.iter().enumerate() {
            let why = match target {
                Target::User(name) => user_problem(dir, name),
                Target::Schedule(s) if !dir.schedules.contains_key(s) => {
                    Some(format!("schedule `{s}` does not exist"))
                }
                Target::Schedule(_) => None,
            };
            if let Some(why) = why {
                return Some((format!("levels[{i}].targets[{j}]"), why));
            }
        }
    }
    None
}

/// Why a channel can never deliver on this server, if it cannot.
pub fn contact_problem(channel: &Channel, email_configured: bool) -> Option<String> {
    match channel {
        Channel::Email { .. } if !email_configured => Some(
            "email cannot be sent: the server has no [smtp] section configured; add one, or use another channel"
                .to_owned(),
        ),
        _ => None,
    }
}

/// What the config file names that does not exist, or leaves unset so that
/// a page would reach nobody; one line each, for the start-up log and
/// `/readyz`.
pub fn config_warnings(
    dir: &Directory,
    config: &EscalationConfig,
    email_configured: bool,
) -> Vec<String> {
    let config = &crate::settings::effective(config, dir);
    let mut out = Vec::new();
    match &config.incident_lead_policy {
        None => out.push(
            "[escalation] incident_lead_policy is not set: incidents whose service has no policy of its own page nobody".to_owned(),
        ),
        Some(p) if !dir.policies.contains_key(p) => out.push(format!(
            "[escalation] incident_lead_policy names `{p}`, but no escalation policy of that name exists: incidents whose service has no policy of its own page nobody"
        )),
        Some(_) => {}
    }
    if config.leadership.is_empty() {
        out.push(
            "[escalation] leadership is empty: critical incidents that confirm customer data access or a full outage notify nobody".to_owned(),
        );
    }
    for name in &config.leadership {
        if let Some(why) = user_problem(dir, name) {
            out.push(format!("[escalation] leadership names `{name}`: {why}"));
        }
    }
    if config.fallback.is_empty() {
        out.push(
            "[escalation] fallback is empty: a page that reaches nobody is told to nobody either"
                .to_owned(),
        );
    }
    for name in &config.fallback {
        if let Some(why) = user_problem(dir, name) {
            out.push(format!("[escalation] fallback names `{name}`: {why}"));
        }
    }
    if !email_configured {
        let email_contacts = dir
            .contacts
            .iter()
            .filter(|c| c.channel.get("kind").and_then(|k| k.as_str()) == Some("email"))
            .count();
        if email_contacts > 0 {
            out.push(format!(
                "[smtp] is not configured, but {email_contacts} email contact method(s) exist: email pages cannot be sent"
            ));
        }
    }
    out
}

/// One user at the end of a path: the links to them, whether a message
/// reaches them, and what is missing.
fn follow_user(
    dir: &Directory,
    name: &str,
    email_configured: bool,
    at: &str,
    check: &mut PagingCheck,
) -> bool {
    if let Some(why) = user_problem(dir, name) {
        check.missing.push(format!("{at}{why}"));
        return false;
    }
    let Some(user) = dir.users.iter().find(|u| u.name == name) else {
        return false;
    };
    // The contact methods a page uses: the notification rules', or every
    // contact method for users without rules (as escalate.rs sends).
    let rule_contacts: Vec<i64> = dir
        .rules
        .iter()
        .filter(|r| r.user_id == user.id)
        .map(|r| r.contact_method_id)
        .collect();
    let contacts: Vec<_> = dir
        .contacts
        .iter()
        .filter(|c| {
            c.user_id == user.id && (rule_contacts.is_empty() || rule_contacts.contains(&c.id))
        })
        .collect();
    if contacts.is_empty() {
        check.missing.push(format!(
            "{at}`{name}` has no contact method (`firebreak contact add {name} …`)"
        ));
        return false;
    }
    let mut usable = 0;
    for c in contacts {
        match serde_json::from_value::<Channel>(c.channel.clone()) {
            Err(e) => check.missing.push(format!(
                "{at}`{name}`'s contact method `{}` is not a valid channel: {e}",
                c.label
            )),
            Ok(channel) => match contact_problem(&channel, email_configured) {
                Some(why) => check.missing.push(format!(
                    "{at}`{name}`'s contact method `{}` ({}): {why}",
                    c.label,
                    channel.kind()
                )),
                None => {
                    usable += 1;
                    check
                        .path
                        .push(format!("{at}`{name}` by {} `{}`", channel.kind(), c.label));
                }
            },
        }
    }
    if usable > 0 && !check.reaches.iter().any(|r| r == name) {
        check.reaches.push(name.to_owned());
    }
    usable > 0
}

/// Whether a page to `name` reaches them now over at least one usable
/// contact method (as [`report`] follows it); why not, when it does not.
/// The reason names no contact method: the on-call page shows it to every
/// role, and only admins may read other people's contact methods.
pub fn reachability(dir: &Directory, name: &str, email_configured: bool) -> Result<(), String> {
    if let Some(why) = user_problem(dir, name) {
        return Err(why);
    }
    let mut scratch = PagingCheck {
        subject: String::new(),
        path: Vec::new(),
        reaches: Vec::new(),
        missing: Vec::new(),
    };
    if follow_user(dir, name, email_configured, "", &mut scratch) {
        return Ok(());
    }
    let has_any = dir
        .users
        .iter()
        .find(|u| u.name == name)
        .is_some_and(|u| dir.contacts.iter().any(|c| c.user_id == u.id));
    Err(if has_any {
        format!("none of `{name}`'s contact methods can deliver a page on this server")
    } else {
        format!("`{name}` has no contact method")
    })
}

/// Follows an escalation policy level by level.
fn follow_policy(
    dir: &Directory,
    name: &str,
    email_configured: bool,
    now: DateTime<Utc>,
    check: &mut PagingCheck,
) {
    let Some(raw) = dir.policies.get(name) else {
        check
            .missing
            .push(format!("escalation policy `{name}` does not exist"));
        return;
    };
    let policy = match serde_json::from_value::<Policy>(raw.clone()) {
        Ok(p) => p,
        Err(e) => {
            check
                .missing
                .push(format!("escalation policy `{name}` cannot be read: {e}"));
            return;
        }
    };
    if let Err(e) = policy.validate() {
        check
            .missing
            .push(format!("escalation policy `{name}` is not valid: {e}"));
        return;
    }
    for (i, level) in policy.levels.iter().enumerate() {
        let at = format!("level {}: ", i + 1);
        let mut reached = false;
        for target in &level.targets {
            match target {
                Target::User(user) => {
                    check.path.push(format!("{at}user `{user}`"));
                    reached |= follow_user(dir, user, email_configured, &at, check);
                }
                Target::Schedule(s) => {
                    let schedule = dir
                        .schedules
                        .get(s)
                        .map(|v| serde_json::from_value::<Schedule>(v.clone()));
                    match schedule {
                        None => check
                            .missing
                            .push(format!("{at}schedule `{s}` does not exist")),
                        Some(Err(e)) => check
                            .missing
                            .push(format!("{at}schedule `{s}` cannot be read: {e}")),
                        Some(Ok(schedule)) => match schedule.on_call_at(now) {
                            None => check
                                .missing
                                .push(format!("{at}nobody is on call on schedule `{s}` now")),
                            Some(on) => {
                                check.path.push(format!(
                                    "{at}schedule `{s}`: `{}` is on call now",
                                    on.user
                                ));
                                reached |= follow_user(dir, &on.user, email_configured, &at, check);
                            }
                        },
                    }
                }
            }
        }
        if !reached {
            check.missing.push(format!(
                "level {} of policy `{name}` pages nobody now",
                i + 1
            ));
        }
    }
}

/// Every paging path, followed now.
pub fn report(
    dir: &Directory,
    config: &EscalationConfig,
    email_configured: bool,
    now: DateTime<Utc>,
) -> DoctorReport {
    let config = &crate::settings::effective(config, dir);
    let mut checks = Vec::new();
    let mut notes = Vec::new();
    let nobody_reachable = !dir
        .users
        .iter()
        .any(|u| !u.disabled && dir.contacts.iter().any(|c| c.user_id == u.id));

    // The incident lead, for incidents whose service has no policy.
    let mut lead = PagingCheck {
        subject: "incident lead".to_owned(),
        path: Vec::new(),
        reaches: Vec::new(),
        missing: Vec::new(),
    };
    match &config.incident_lead_policy {
        None => {
            lead.missing.push(
                "[escalation] incident_lead_policy is not set: incidents without a service policy page nobody".to_owned(),
            );
            if dir.policies.is_empty() {
                lead.missing
                    .push("no escalation policy exists (`firebreak policy put`)".to_owned());
            }
            if nobody_reachable {
                lead.missing
                    .push("nobody has a contact method (`firebreak contact add`)".to_owned());
            }
        }
        Some(p) => {
            lead.path
                .push(format!("[escalation] incident_lead_policy: policy `{p}`"));
            follow_policy(dir, p, email_configured, now, &mut lead);
        }
    }
    checks.push(lead);

    // Each service: its own policy, or the incident lead's.
    for (service, (policy, _)) in &dir.services {
        let mut c = PagingCheck {
            subject: format!("service {service}"),
            path: Vec::new(),
            reaches: Vec::new(),
            missing: Vec::new(),
        };
        match policy.as_deref().or(config.incident_lead_policy.as_deref()) {
            None => c.missing.push(format!(
                "service `{service}` has no escalation policy (`firebreak service escalation {service} --policy …`) and [escalation] incident_lead_policy is not set"
            )),
            Some(p) => {
                c.path.push(if policy.is_some() {
                    format!("the service's policy `{p}`")
                } else {
                    format!("no policy of its own: the incident-lead policy `{p}`")
                });
                follow_policy(dir, p, email_configured, now, &mut c);
            }
        }
        checks.push(c);
    }

    // Leadership, notified of the worst incidents.
    let mut leaders = PagingCheck {
        subject: "leadership".to_owned(),
        path: Vec::new(),
        reaches: Vec::new(),
        missing: Vec::new(),
    };
    if config.leadership.is_empty() {
        leaders.missing.push(
            "[escalation] leadership is empty: critical incidents that confirm customer data access or a full outage notify nobody".to_owned(),
        );
    }
    for name in &config.leadership {
        leaders
            .path
            .push(format!("[escalation] leadership: `{name}`"));
        follow_user(dir, name, email_configured, "", &mut leaders);
    }
    checks.push(leaders);

    // The fallback, told when a page reaches nobody.
    let mut fallback = PagingCheck {
        subject: "fallback".to_owned(),
        path: Vec::new(),
        reaches: Vec::new(),
        missing: Vec::new(),
    };
    if config.fallback.is_empty() {
        fallback.missing.push(
            "[escalation] fallback is empty: a page that reaches nobody is told to nobody either"
                .to_owned(),
        );
    }
    for name in &config.fallback {
        fallback
            .path
            .push(format!("[escalation] fallback: `{name}`"));
        follow_user(dir, name, email_configured, "", &mut fallback);
    }
    checks.push(fallback);

    if dir.services.is_empty() {
        notes.push(
            "no services exist: every incident pages through the incident-lead policy".to_owned(),
        );
    }
    if dir.schedules.is_empty() {
        notes.push("no on-call schedules exist: policies can only page named users".to_owned());
    }
    if !email_configured {
        notes.push("[smtp] is not configured: email contact methods cannot be sent".to_owned());
    }
    DoctorReport {
        ok: checks.iter().all(|c| c.missing.is_empty()),
        checks,
        notes,
    }
}
