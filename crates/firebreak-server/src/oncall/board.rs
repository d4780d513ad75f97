//! What the on-call page shows, worked out purely over a [`Directory`], the
//! escalation configuration and `now`: for each schedule, who is on call
//! now, who is next and when they take over, and the coming week's shifts,
//! each time in the schedule's own zone and in the viewer's; and for each
//! service, whom a page would reach now, level by level, with a warning
//! when it would reach nobody or someone no page can reach.
//!
//! It follows the same paths as the escalation engine
//! ([`crate::escalate::resolve`]) and the doctor ([`crate::doctor`]): the
//! service's own policy or the incident-lead policy, schedule targets
//! resolved to whoever is on call now, users reachable over a contact
//! method that can deliver on this server.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use firebreak_core::escalation::{Policy, Target};
use firebreak_core::oncall::{Schedule, Source};
use firebreak_store::Directory;

use crate::doctor::reachability;
use crate::escalate::EscalationConfig;

/// How far ahead the shift list looks.
pub const WEEK: i64 = 7;

/// One instant, for a `<time datetime>` element: in UTC for the attribute,
/// in the schedule's zone, and in the viewer's when that differs.
pub struct Stamp {
    pub iso: String,
    pub local: String,
    pub viewer: Option<String>,
}

/// The zones a page shows times in.
#[derive(Clone, Copy)]
pub struct Zones {
    pub schedule: Tz,
    pub viewer: Tz,
}

impl Zones {
    pub fn stamp(self, at: DateTime<Utc>) -> Stamp {
        Stamp {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            local: format_in(at, self.schedule),
            viewer: (self.viewer != self.schedule).then(|| format_in(at, self.viewer)),
        }
    }
}

/// `Tue 1 Dec 18:00 JST`: the weekday and date say which day a shift is on
/// without a year, the zone's abbreviation (or offset) which clock it is.
fn format_in(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%a %-d %b %H:%M %Z")
        .to_string()
}

/// One schedule's answer.
pub struct ScheduleView {
    pub name: String,
    pub time_zone: String,
    /// Whoever is on call now, and the stretch of their time on call.
    pub now: Option<String>,
    pub since: Option<Stamp>,
    pub until: Option<Stamp>,
    /// The next person, and when they take over.
    pub next: Option<String>,
    pub handover: Option<Stamp>,
    /// The coming week, from now.
    pub shifts: Vec<ShiftRow>,
}

/// One stretch of the coming week.
pub struct ShiftRow {
    pub user: String,
    pub start: Stamp,
    pub end: Stamp,
    /// Under way now.
    pub current: bool,
    /// An override rather than a rotation.
    pub is_override: bool,
    /// It goes on past the end of the week shown.
    pub runs_on: bool,
}

/// Now, next and the coming week of `schedule`, in its zone and `viewer`.
pub fn schedule_view(schedule: &Schedule, viewer: Tz, now: DateTime<Utc>) -> ScheduleView {
    let zones = Zones {
        schedule: schedule.time_zone,
        viewer,
    };
    let answer = super::api::answer(schedule, now);
    let week_end = now + Duration::days(WEEK);
    let shifts = schedule.shifts_between(now, week_end);
    let current = schedule.on_call_at(now);
    // The current stretch runs until the first shift of the list ends (back
    // to back turns of one person joined), which is the hand-over.
    let until = shifts
        .first()
        .filter(|s| s.start <= now && Some(&s.user) == answer.user.as_ref())
        .map(|s| s.end)
        .or(answer.shift_end);
    let rows = shifts
        .iter()
        .map(|s| {
            let is_current = s.start <= now;
            let start = match (&current, is_current) {
                (Some(c), true) if c.user == s.user => c.shift_start,
                _ => s.start,
            };
            ShiftRow {
                user: s.user.clone(),
                start: zones.stamp(start),
                end: zones.stamp(s.end),
                current: is_current,
                is_override: s.source == Source::Override,
                runs_on: s.end >= week_end,
            }
        })
        .collect();
    ScheduleView {
        name: schedule.name.clone(),
        time_zone: schedule.time_zone.name().to_owned(),
        now: answer.user,
        since: answer.shift_start.map(|t| zones.stamp(t)),
        until: until.map(|t| zones.stamp(t)),
        next: answer.next_user,
        handover: answer.next_start.map(|t| zones.stamp(t)),
        shifts: rows,
    }
}

/// Who a page for one service reaches now.
pub struct ServiceView {
    /// The service, or `None` for incidents with no service.
    pub service: Option<String>,
    pub owner_team: String,
    /// The policy that pages, and where it comes from.
    pub policy: Option<String>,
    pub policy_note: String,
    pub levels: Vec<LevelView>,
    pub repeat: u32,
    /// Why a page would reach nobody, or someone it cannot reach: shown
    /// loud, at the top of the service's entry.
    pub warnings: Vec<String>,
}

impl ServiceView {
    /// The first level's people a page reaches now.
    pub fn first_reached(&self) -> Vec<&str> {
        self.levels
            .first()
            .map(|l| {
                l.people
                    .iter()
                    .filter(|p| p.reachable)
                    .map(|p| p.name.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One level of a policy, resolved now.
pub struct LevelView {
    pub number: usize,
    /// How long it waits for an acknowledgment before the next level.
    pub timeout: String,
    /// Someone on it is reachable now.
    pub reaches: bool,
    pub people: Vec<Person>,
}

/// One target of a level, resolved now.
pub struct Person {
    /// The user, or what the target names when it resolves to nobody.
    pub name: String,
    /// How the level reaches them: `on call on primary` or `named in the policy`.
    pub via: String,
    /// On call (or named) and reachable over a contact method.
    pub reachable: bool,
    /// Why a page does not reach them, shown beside them (`via` says it
    /// when the target resolves to nobody).
    pub problem: Option<String>,
    /// The same, for the service's warning.
    pub warning: Option<String>,
    /// For a schedule target: when their time on call ends.
    pub until: Option<Stamp>,
}

/// What a page for each service (and for incidents with no service)
/// reaches now.
pub fn services_view(
    dir: &Directory,
    owners: &[(String, String)],
    config: &EscalationConfig,
    email_configured: bool,
    viewer: Tz,
    now: DateTime<Utc>,
) -> Vec<ServiceView> {
    let config = &crate::settings::effective(config, dir);
    let mut out: Vec<ServiceView> = dir
        .services
        .iter()
        .map(|(name, (policy, _))| {
            let owner_team = owners
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            let (policy, note) = match (policy, &config.incident_lead_policy) {
                (Some(p), _) => (Some(p.clone()), "the service's own policy".to_owned()),
                (None, Some(p)) => (
                    Some(p.clone()),
                    "no policy of its own: the incident-lead policy".to_owned(),
                ),
                (None, None) => (None, String::new()),
            };
            let mut v = service_view(
                dir,
                Some(name.clone()),
                policy.as_deref(),
                email_configured,
                viewer,
                now,
            );
            v.owner_team = owner_team;
            v.policy_note = note;
            if v.policy.is_none() {
                v.warnings.insert(0, format!(
                    "A page for {name} reaches nobody: the service has no escalation policy and no incident-lead policy is configured."
                ));
            }
            v
        })
        .collect();
    let mut lead = service_view(
        dir,
        None,
        config.incident_lead_policy.as_deref(),
        email_configured,
        viewer,
        now,
    );
    lead.policy_note = "the incident-lead policy ([escalation] incident_lead_policy)".to_owned();
    if lead.policy.is_none() {
        lead.warnings.insert(0,
            "A page for an incident with no service reaches nobody: [escalation] incident_lead_policy is not set.".to_owned(),
        );
    }
    out.push(lead);
    out
}

fn service_view(
    dir: &Directory,
    service: Option<String>,
    policy_name: Option<&str>,
    email_configured: bool,
    viewer: Tz,
    now: DateTime<Utc>,
) -> ServiceView {
    let subject = service.as_deref().map_or_else(
        || "an incident with no service".to_owned(),
        |s| s.to_owned(),
    );
    let mut v = ServiceView {
        service,
        owner_team: String::new(),
        policy: policy_name.map(str::to_owned),
        policy_note: String::new(),
        levels: Vec::new(),
        repeat: 0,
        warnings: Vec::new(),
    };
    let Some(name) = policy_name else {
        return v;
    };
    let policy = match dir
        .policies
        .get(name)
        .map(|raw| serde_json::from_value::<Policy>(raw.clone()))
    {
        None => {
            v.warnings.push(format!(
                "A page for {subject} reaches nobody: escalation policy `{name}` does not exist."
            ));
            return v;
        }
        Some(Err(e)) => {
            v.warnings.push(format!(
                "A page for {subject} reaches nobody: escalation policy `{name}` cannot be read ({e})."
            ));
            return v;
        }
        Some(Ok(p)) => p,
    };
    v.repeat = policy.repeat;
    for (i, level) in policy.levels.iter().enumerate() {
        let people: Vec<Person> = level
            .targets
            .iter()
            .map(|t| person(dir, t, email_configured, viewer, now))
            .collect();
        for p in people.iter().filter(|p| !p.reachable) {
            if let Some(why) = &p.warning {
                v.warnings.push(format!("Level {}: {why}.", i + 1));
            }
        }
        let reaches = people.iter().any(|p| p.reachable);
        if i == 0 && !reaches {
            v.warnings.insert(
                0,
                format!("A page for {subject} reaches nobody now: its first level reaches no one."),
            );
        }
        v.levels.push(LevelView {
            number: i + 1,
            timeout: duration_words(level.ack_timeout_secs),
            reaches,
            people,
        });
    }
    if policy.levels.is_empty() {
        v.warnings.push(format!(
            "A page for {subject} reaches nobody: escalation policy `{name}` has no levels."
        ));
    }
    v
}

fn person(
    dir: &Directory,
    target: &Target,
    email_configured: bool,
    viewer: Tz,
    now: DateTime<Utc>,
) -> Person {
    let (user, via, until) = match target {
        Target::User(u) => (u.clone(), "named in the policy".to_owned(), None),
        Target::Schedule(s) => {
            let schedule = dir
                .schedules
                .get(s)
                .map(|raw| serde_json::from_value::<Schedule>(raw.clone()));
            let on = match schedule {
                None => Err(format!("schedule `{s}` does not exist")),
                Some(Err(e)) => Err(format!("schedule `{s}` cannot be read ({e})")),
                Some(Ok(sch)) => sch
                    .on_call_at(now)
                    .map(|on| {
                        let zones = Zones {
                            schedule: sch.time_zone,
                            viewer,
                        };
                        (on.user, zones.stamp(on.shift_end))
                    })
                    .ok_or_else(|| format!("nobody is on call on schedule `{s}` now")),
            };
            match on {
                Err(why) => {
                    return Person {
                        name: "nobody".to_owned(),
                        via: why.clone(),
                        reachable: false,
                        problem: None,
                        warning: Some(why),
                        until: None,
                    };
                }
                Ok((user, end)) => (user, format!("on call on {s}"), Some(end)),
            }
        }
    };
    let reach = reachability(dir, &user, email_configured);
    Person {
        name: user,
        via,
        reachable: reach.is_ok(),
        warning: reach.clone().err(),
        problem: reach.err(),
        until,
    }
}

/// `5 min`, `1 h 30 min`, `45 s`.
fn duration_words(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

/// The viewer's zone from the `tz` query parameter: UTC when absent, an
/// error to show (and UTC) when it names no zone.
pub fn viewer_zone(tz: Option<&str>) -> Result<Tz, String> {
    match tz.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Tz::UTC),
        Some(t) => t.parse::<Tz>().map_err(|_| {
            let shown: String = t.chars().take(64).collect();
            format!(
                "Unknown time zone `{shown}`: give an IANA zone name such as Europe/Berlin or America/New_York. Times below are in UTC."
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(300), "5 min");
        assert_eq!(duration_words(5400), "1 h 30 min");
        assert_eq!(duration_words(45), "45 s");
        assert_eq!(duration_words(3600), "1 h");
    }

    #[test]
    fn the_viewer_zone_is_utc_unless_a_known_zone_is_given() {
        assert_eq!(viewer_zone(None), Ok(Tz::UTC));
        assert_eq!(viewer_zone(Some(" ")), Ok(Tz::UTC));
        assert_eq!(viewer_zone(Some("Asia/Tokyo")), Ok(Tz::Asia__Tokyo));
        let e = viewer_zone(Some("Mars/Olympus")).unwrap_err();
        assert!(e.contains("Unknown time zone `Mars/Olympus`"), "{e}");
    }
}
