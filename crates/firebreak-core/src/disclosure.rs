//! Responsible disclosure as the process states it, read with ISO/IEC 29147
//! (receipt, verification, remediation, release): a researcher's report is
//! received and told its tracking id and status link at once, acknowledged
//! by a person, triaged (valid, a duplicate, or not applicable), fixed
//! through a security incident, and disclosed after the embargo with an
//! advisory. Everything here is pure: the server asks these functions what
//! is allowed and what is due, and stores the answers.
//!
//! The CVSS scoring that gives a disclosure its severity is [`crate::cvss`];
//! [`SeverityBands`] maps its score to Firebreak's severity.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::named_enum;
use crate::severity::Severity;

/// Where a disclosure is in its workflow.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureState {
    /// Stored; the researcher was sent the tracking id and status link.
    Received,
    /// A person has read it and told the researcher so.
    Acknowledged,
    /// Judged: valid, a duplicate of another disclosure, or not applicable.
    Triaged,
    /// A security incident was declared from it and is being worked.
    Fixing,
    /// The fix is out.
    Fixed,
    /// Made public (an advisory may be published).
    Disclosed,
}

named_enum!(DisclosureState, "disclosure state", {
    Received => "received",
    Acknowledged => "acknowledged",
    Triaged => "triaged",
    Fixing => "fixing",
    Fixed => "fixed",
    Disclosed => "disclosed",
});

impl DisclosureState {
    /// How the researcher's status page and the staff list name the state.
    pub fn label(self) -> &'static str {
        match self {
            DisclosureState::Received => "Received",
            DisclosureState::Acknowledged => "Acknowledged",
            DisclosureState::Triaged => "Triaged",
            DisclosureState::Fixing => "Fix in progress",
            DisclosureState::Fixed => "Fixed",
            DisclosureState::Disclosed => "Disclosed",
        }
    }
}

/// The verdict of triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriageOutcome {
    /// A real vulnerability: it goes on to be fixed.
    Valid,
    /// Already reported: `duplicate_of` names the other disclosure.
    Duplicate,
    /// Not a vulnerability of ours, or out of scope (with a reason).
    NotApplicable,
}

named_enum!(TriageOutcome, "triage outcome", {
    Valid => "valid",
    Duplicate => "duplicate",
    NotApplicable => "not_applicable",
});

/// How a disclosure arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureChannel {
    /// The public form at `/security`.
    Form,
    /// An email with the process's subject line.
    Email,
    /// Entered by staff through the API, CLI or web.
    Api,
}

named_enum!(DisclosureChannel, "disclosure channel", {
    Form => "form",
    Email => "email",
    Api => "api",
});

/// Why a move from `from` to `to` is refused, or `None` when it is allowed.
/// `outcome` is the triage verdict already recorded (for moves out of
/// `triaged`). The workflow only goes forward, one step at a time, except
/// that a report may be triaged straight from `received` (reading it is
/// acknowledging it) and a fix may be recorded without a separate
/// `fixing` step when no incident was needed. Duplicates and reports not
/// applicable end at `triaged`.
pub fn transition_refused(
    from: DisclosureState,
    to: DisclosureState,
    outcome: Option<TriageOutcome>,
) -> Option<String> {
    use DisclosureState::*;
    if from == to {
        return Some(format!("the disclosure is already {to}"));
    }
    let ok = match (from, to) {
        (Received, Acknowledged) | (Received, Triaged) | (Acknowledged, Triaged) => true,
        (Triaged, Fixing) | (Triaged, Fixed) => outcome == Some(TriageOutcome::Valid),
        (Fixing, Fixed) | (Fixed, Disclosed) => true,
        _ => false,
    };
    if ok {
        return None;
    }
    if from == Triaged && matches!(to, Fixing | Fixed) {
        let why = outcome.map_or("has no triage outcome".to_owned(), |o| {
            format!("was triaged as `{o}`")
        });
        return Some(format!(
            "the disclosure {why}: only a valid one is fixed (triage it again as valid first)"
        ));
    }
    Some(format!(
        "a disclosure moves received → acknowledged → triaged → fixing → fixed → disclosed; \
         `{from}` cannot become `{to}`"
    ))
}

/// Whether a disclosure in `state` may be (re)triaged: before it is being
/// fixed. A triage verdict can be corrected until then.
pub fn may_triage(state: DisclosureState) -> bool {
    matches!(
        state,
        DisclosureState::Received | DisclosureState::Acknowledged | DisclosureState::Triaged
    )
}

/// The tracking id of the `seq`th disclosure received in `year`:
/// `VULN-2026-0007`.
pub fn tracking_id(year: i32, seq: i64) -> String {
    format!("VULN-{year}-{seq:04}")
}

/// The year a tracking id is numbered in for a disclosure received `at`.
pub fn tracking_year(at: DateTime<Utc>) -> i32 {
    at.year()
}

/// The first tracking id (`VULN-2026-0007`) in `s`, as found in an email
/// subject, in capitals: mail clients and people write it in any case
/// (`Re: [vuln-2026-0007]`), and a reply must thread in all the same.
pub fn find_tracking_id(s: &str) -> Option<String> {
    let upper = s.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let mut from = 0;
    while let Some(pos) = upper[from..].find("VULN-") {
        let start = from + pos;
        let rest = &bytes[start + 5..];
        let year = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if year == 4 && rest.get(4) == Some(&b'-') {
            let seq = rest[5..].iter().take_while(|b| b.is_ascii_digit()).count();
            if seq >= 4 {
                return Some(upper[start..start + 5 + 5 + seq].to_owned());
            }
        }
        from = start + 5;
    }
    None
}

/// Response targets for one severity, in seconds from receipt (acknowledge,
/// triage) and from the valid triage (fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub acknowledge_secs: i64,
    pub triage_secs: i64,
    pub fix_secs: i64,
}

/// CVSS score bands: the lowest score of each severity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SeverityBands {
    /// 9.0 and above: critical.
    pub critical: f64,
    /// 7.0 and above: high.
    pub high: f64,
    /// 4.0 and above: medium; below: low.
    pub medium: f64,
}

// Bands are compared as numbers; a NaN band never passes
// [`SeverityBands::invalid`], so equality is an equivalence on valid ones.
impl Eq for SeverityBands {}

impl Default for SeverityBands {
    fn default() -> Self {
        SeverityBands {
            critical: 9.0,
            high: 7.0,
            medium: 4.0,
        }
    }
}

impl SeverityBands {
    /// The severity of a CVSS base score (`score_tenths` = score × 10).
    pub fn severity(&self, score_tenths: i64) -> Severity {
        let at_least = |band: f64| score_tenths >= (band * 10.0).round() as i64;
        if at_least(self.critical) {
            Severity::Critical
        } else if at_least(self.high) {
            Severity::High
        } else if at_least(self.medium) {
            Severity::Medium
        } else {
            Severity::Low
        }
    }

    /// Why these bands are unusable, or `None`: each between 0 and 10 and
    /// critical > high > medium.
    pub fn invalid(&self) -> Option<String> {
        let in_range = |v: f64| (0.0..=10.0).contains(&v);
        if !(in_range(self.critical) && in_range(self.high) && in_range(self.medium)) {
            return Some("each band is a score between 0.0 and 10.0".to_owned());
        }
        if !(self.critical > self.high && self.high > self.medium) {
            return Some("the bands must fall: critical > high > medium".to_owned());
        }
        None
    }
}

/// The disclosure policy (`[disclosure]` in the config file). The defaults
/// are the process's terms read with common practice: acknowledge within
/// days, fix critical issues within weeks, disclose after 90 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisclosurePolicy {
    /// The policy text shown on `/security` (Markdown). Empty: the default
    /// text, which states the process's terms, safe harbour included.
    pub policy_text: String,
    /// Days from receipt to the default public-disclosure date.
    pub embargo_days: i64,
    /// Reminders before the embargo ends start this long before it (seconds).
    pub embargo_remind_before_secs: i64,
    /// At most one reminder of each kind per disclosure per interval (seconds).
    pub remind_every_secs: i64,
    pub critical: Targets,
    pub high: Targets,
    pub medium: Targets,
    pub low: Targets,
    /// CVSS score → severity.
    pub bands: SeverityBands,
    /// Form submissions accepted per client address per hour.
    pub form_per_hour: u32,
    /// Largest attachment kept, in bytes (a larger one is refused on the form).
    pub attachment_max_bytes: usize,
    /// Most attachments on one submission or reply.
    pub attachments_max: usize,
    /// security.txt `Preferred-Languages`.
    pub preferred_languages: String,
    /// security.txt `Encryption` (a URI of the team's key), when set.
    pub encryption: Option<String>,
    /// security.txt `Contact` lines beyond the `/security` form (e.g.
    /// `mailto:security@example.com`).
    pub contact: Vec<String>,
}

const DAY: i64 = 24 * 3600;

impl Default for DisclosurePolicy {
    fn default() -> Self {
        let t = |ack: i64, triage: i64, fix: i64| Targets {
            acknowledge_secs: ack * DAY,
            triage_secs: triage * DAY,
            fix_secs: fix * DAY,
        };
        DisclosurePolicy {
            policy_text: String::new(),
            embargo_days: 90,
            embargo_remind_before_secs: 7 * DAY,
            remind_every_secs: DAY,
            critical: t(1, 3, 14),
            high: t(2, 5, 30),
            medium: t(3, 10, 60),
            low: t(5, 15, 90),
            bands: SeverityBands::default(),
            form_per_hour: 5,
            attachment_max_bytes: 5 * 1024 * 1024,
            attachments_max: 5,
            preferred_languages: "en".to_owned(),
            encryption: None,
            contact: Vec::new(),
        }
    }
}

impl DisclosurePolicy {
    /// The targets of a severity. A disclosure not yet scored is held to
    /// the high targets: nothing waits for a score to be chased.
    pub fn targets(&self, severity: Option<Severity>) -> Targets {
        match severity {
            Some(Severity::Critical) => self.critical,
            Some(Severity::High) | None => self.high,
            Some(Severity::Medium) => self.medium,
            Some(Severity::Low) => self.low,
        }
    }

    /// The public-disclosure date of a disclosure received `at`.
    pub fn default_embargo(&self, received_at: DateTime<Utc>) -> DateTime<Utc> {
        received_at + Duration::days(self.embargo_days)
    }

    /// Why this policy is unusable, naming the key, or `None`.
    pub fn invalid(&self) -> Option<String> {
        if !(1..=3650).contains(&self.embargo_days) {
            return Some(format!(
                "embargo_days = {}: between 1 and 3650",
                self.embargo_days
            ));
        }
        for (key, secs) in [
            (
                "embargo_remind_before_secs",
                self.embargo_remind_before_secs,
            ),
            ("remind_every_secs", self.remind_every_secs),
        ] {
            if !(60..=365 * DAY).contains(&secs) {
                return Some(format!(
                    "{key} = {secs}: between 60 (a minute) and 31536000 (a year)"
                ));
            }
        }
        for (name, t) in [
            ("critical", self.critical),
            ("high", self.high),
            ("medium", self.medium),
            ("low", self.low),
        ] {
            for (key, secs) in [
                ("acknowledge_secs", t.acknowledge_secs),
                ("triage_secs", t.triage_secs),
                ("fix_secs", t.fix_secs),
            ] {
                if !(60..=3650 * DAY).contains(&secs) {
                    return Some(format!(
                        "{name}.{key} = {secs}: between 60 (a minute) and 315360000 (ten years)"
                    ));
                }
            }
        }
        if let Some(why) = self.bands.invalid() {
            return Some(format!("bands: {why}"));
        }
        if self.form_per_hour == 0 {
            return Some("form_per_hour = 0: at least 1".to_owned());
        }
        if self.attachments_max > 20 {
            return Some("attachments_max: at most 20".to_owned());
        }
        if self.attachment_max_bytes > 50 * 1024 * 1024 {
            return Some("attachment_max_bytes: at most 52428800 (50 MiB)".to_owned());
        }
        None
    }
}

/// What a disclosure is waiting for, with a due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Awaiting {
    /// A person's acknowledgment.
    Acknowledge,
    /// The triage verdict.
    Triage,
    /// The fix.
    Fix,
    /// The public-disclosure date (embargo end) approaches.
    Embargo,
}

named_enum!(Awaiting, "reminder kind", {
    Acknowledge => "acknowledge",
    Triage => "triage",
    Fix => "fix",
    Embargo => "embargo",
});

impl Awaiting {
    pub fn label(self) -> &'static str {
        match self {
            Awaiting::Acknowledge => "Acknowledgment",
            Awaiting::Triage => "Triage",
            Awaiting::Fix => "Fix",
            Awaiting::Embargo => "Public disclosure",
        }
    }
}

/// What the rules need to know of a disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureFacts {
    pub state: DisclosureState,
    pub outcome: Option<TriageOutcome>,
    pub severity: Option<Severity>,
    pub received_at: DateTime<Utc>,
    pub triaged_at: Option<DateTime<Utc>>,
    pub embargo_until: DateTime<Utc>,
}

/// One due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DueDate {
    pub what: Awaiting,
    pub at: DateTime<Utc>,
}

/// What the disclosure still waits for, with its due date: acknowledgment
/// and triage from receipt, the fix from a valid triage, and the public
/// disclosure date until disclosed. Duplicates and reports not applicable
/// wait for nothing more.
pub fn due_dates(f: &DisclosureFacts, p: &DisclosurePolicy) -> Vec<DueDate> {
    use DisclosureState::*;
    let t = p.targets(f.severity);
    let mut due = Vec::new();
    if f.state == Received {
        due.push(DueDate {
            what: Awaiting::Acknowledge,
            at: f.received_at + Duration::seconds(t.acknowledge_secs),
        });
    }
    if matches!(f.state, Received | Acknowledged) {
        due.push(DueDate {
            what: Awaiting::Triage,
            at: f.received_at + Duration::seconds(t.triage_secs),
        });
    }
    let valid = f.outcome == Some(TriageOutcome::Valid);
    if matches!(f.state, Triaged | Fixing) && valid {
        let from = f.triaged_at.unwrap_or(f.received_at);
        due.push(DueDate {
            what: Awaiting::Fix,
            at: from + Duration::seconds(t.fix_secs),
        });
    }
    let closed_early = f.state == Triaged && !valid && f.outcome.is_some();
    if f.state != Disclosed && !closed_early {
        due.push(DueDate {
            what: Awaiting::Embargo,
            at: f.embargo_until,
        });
    }
    due
}

/// The reminders due `now`: an overdue acknowledgment, triage or fix, and
/// an embargo end within [`DisclosurePolicy::embargo_remind_before_secs`],
/// each at most once per [`DisclosurePolicy::remind_every_secs`] (`last`
/// says when each kind last went out for this disclosure).
pub fn reminders_due(
    f: &DisclosureFacts,
    p: &DisclosurePolicy,
    last: &[(Awaiting, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Vec<Awaiting> {
    let every = Duration::seconds(p.remind_every_secs);
    due_dates(f, p)
        .into_iter()
        .filter(|d| match d.what {
            Awaiting::Embargo => now >= d.at - Duration::seconds(p.embargo_remind_before_secs),
            _ => now >= d.at,
        })
        .filter(|d| {
            last.iter()
                .filter(|(k, _)| *k == d.what)
                .all(|(_, at)| now - *at >= every)
        })
        .map(|d| d.what)
        .collect()
}

/// Why an embargo change is refused, or `None`: a reason is required, the
/// date must be in the future, and a disclosed record's date is history.
pub fn embargo_change_refused(
    state: DisclosureState,
    until: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> Option<(&'static str, String)> {
    if state == DisclosureState::Disclosed {
        return Some((
            "embargo_until",
            "the disclosure is already public: its date cannot change".to_owned(),
        ));
    }
    if reason.trim().is_empty() {
        return Some((
            "reason",
            "say why the public-disclosure date changes: the researcher is told".to_owned(),
        ));
    }
    if until <= now {
        return Some((
            "embargo_until",
            "the public-disclosure date must be in the future".to_owned(),
        ));
    }
    None
}

/// The default policy text for `/security` (Markdown), stating the
/// process's terms: what to include, acknowledgment by severity, reasonable
/// time before disclosure (the embargo), and safe harbour.
pub fn default_policy_text(p: &DisclosurePolicy) -> String {
    format!(
        "## Reporting a vulnerability\n\n\
         If you believe you have found a security vulnerability in our services, please report \
         it to us here. Please include a description, steps to reproduce, and the impact.\n\n\
         ## What we promise\n\n\
         - We acknowledge every report and respond based on severity: you get a tracking id and \
         a private status link at once, and a person acknowledges your report within {ack} \
         days at the latest.\n\
         - We keep you informed through your status link while we investigate and fix the issue.\n\
         - We ask for reasonable time to address the issue before public disclosure: by default \
         {embargo} days from receipt, which we agree with you and never change without telling \
         you why.\n\
         - With your agreement, we credit you in our advisory and on our acknowledgments page.\n\n\
         ## Safe harbour\n\n\
         We do not pursue legal action against researchers who report in good faith: who avoid \
         privacy violations, destruction of data and interruption of our services, who only \
         interact with accounts they own or have permission to access, and who give us \
         reasonable time to fix the issue before disclosing it.\n",
        ack = ([p.critical, p.high, p.medium, p.low]
            .iter()
            .map(|t| t.acknowledge_secs)
            .max()
            .unwrap_or(DAY)
            + DAY
            - 1)
            / DAY,
        embargo = p.embargo_days,
    )
}

#[cfg(test)]
mod tests;
