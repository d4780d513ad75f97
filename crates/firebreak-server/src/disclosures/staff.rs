//! The security team's actions on a disclosure, shared by the JSON API and
//! the web pages: read (by numeric id or tracking id), reply, acknowledge,
//! triage, score, move the embargo, declare the incident, mark fixed and
//! disclosed.
//!
//! To anyone without `read_disclosures` a disclosure does not exist: every
//! lookup answers exactly as for a missing one. The store checks the
//! workflow's rules again under the row lock; this layer checks them first
//! to name the field at fault.

use chrono::{DateTime, Utc};
use serde_json::json;

use firebreak_api::disclosure::{
    DeclareFromDisclosure, DisclosureDetail, DisclosureReply, DisclosureState, MAX_TEXT,
    MoveDisclosure, SetCvss, SetEmbargo, TriageDisclosure, TriageOutcome,
};
use firebreak_api::{DeclareIncident, Kind, Severity};
use firebreak_core::auth::{Action, allowed};
use firebreak_core::disclosure::{DisclosurePolicy, embargo_change_refused, may_triage};
use firebreak_store::disclosures::{
    DisclosureChange, DisclosureRecord, NewDisclosureMessage, STAFF,
};
use firebreak_store::secrets::random_secret;
use firebreak_store::status::BuiltMessage;

use crate::actions::{self, Ctx};
use crate::error::ApiError;

/// The missing-disclosure error: the same for a wrong id and for a reader
/// who may not know it exists.
fn missing(raw: &str) -> ApiError {
    ApiError::NotFound(format!("disclosure `{raw}`"))
}

/// Whether this user may read disclosures at all.
pub fn may_read(cx: &Ctx<'_>) -> bool {
    allowed(cx.user.role, Action::ReadDisclosures)
}

/// The disclosure `raw` names (its id or tracking id), if this user may
/// read disclosures; 404 otherwise, as for a missing one.
pub async fn find(cx: &Ctx<'_>, raw: &str) -> Result<DisclosureRecord, ApiError> {
    if !may_read(cx) {
        return Err(missing(raw));
    }
    let raw_t = raw.trim();
    let found = if raw_t.starts_with("VULN-") {
        cx.store.disclosure_by_tracking_id(raw_t).await?
    } else {
        match raw_t.parse::<i64>() {
            Ok(id) if id > 0 => cx.store.disclosure(id).await?,
            _ => None,
        }
    };
    found.ok_or_else(|| missing(raw))
}

/// As [`find`], for a change: also needs `manage_disclosures`.
async fn find_to_change(cx: &Ctx<'_>, raw: &str) -> Result<DisclosureRecord, ApiError> {
    let d = find(cx, raw).await?;
    cx.require(Action::ManageDisclosures)?;
    Ok(d)
}

/// Every disclosure (or those in `state`), newest first.
pub async fn list(
    cx: &Ctx<'_>,
    state: Option<DisclosureState>,
) -> Result<Vec<DisclosureRecord>, ApiError> {
    cx.require(Action::ReadDisclosures)?;
    Ok(cx.store.disclosures(state).await?)
}

/// The record with its messages (internal notes included), files and
/// timeline.
pub async fn detail(
    cx: &Ctx<'_>,
    d: &DisclosureRecord,
    policy: &DisclosurePolicy,
) -> Result<DisclosureDetail, ApiError> {
    Ok(DisclosureDetail {
        disclosure: d.view(policy, cx.now),
        messages: cx.store.disclosure_messages(d.id, true).await?,
        attachments: cx.store.disclosure_attachments(d.id).await?,
        timeline: cx.store.disclosure_events(d.id).await?,
    })
}

/// A verbatim email to the researcher about their disclosure, when they
/// gave an address. The subject carries the tracking id in brackets so
/// their reply threads in.
pub fn researcher_mail(
    d: &DisclosureRecord,
    event: &str,
    what: &str,
    text: &str,
) -> Option<BuiltMessage> {
    let to = d.researcher_email.as_deref()?.trim();
    if to.is_empty() {
        return None;
    }
    let body = format!(
        "{text}\n\nYour report: {tracking} ({title})\nState: {state}\n\
         Public-disclosure date: {embargo}\n\n\
         Follow it and reply through the status link in our first message, or reply to this \
         email keeping [{tracking}] in the subject.\n\n-- the security team\n",
        tracking = d.tracking_id,
        title = d.title,
        state = d.state.label(),
        embargo = d.embargo_until.format("%Y-%m-%d"),
    );
    Some(BuiltMessage {
        channel: json!({"kind": "email", "to": to}),
        message: json!({"verbatim": {
            "event": event,
            "subject": format!("[{}] {what}", d.tracking_id),
            "text": body,
            "payload": {"tracking_id": d.tracking_id, "state": d.state, "event": event},
        }}),
    })
}

/// What the researcher is told about a change (nothing for a score or the
/// incident: those are the team's).
fn tell(d: &DisclosureRecord, change: &DisclosureChange) -> Option<BuiltMessage> {
    match change {
        DisclosureChange::Move { to, message } => {
            let (what, text) = match to {
                DisclosureState::Acknowledged => (
                    "Your report was acknowledged",
                    "A member of our security team has read your report and is looking into it.",
                ),
                DisclosureState::Fixed => {
                    ("The issue is fixed", "The issue you reported is fixed.")
                }
                _ => (
                    "The issue is disclosed",
                    "The issue you reported is now public. Thank you for reporting it responsibly.",
                ),
            };
            let text = match message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
                Some(m) => format!("{text}\n\n{m}"),
                None => text.to_owned(),
            };
            researcher_mail(d, &format!("disclosure_{to}"), what, &text)
        }
        DisclosureChange::Triage {
            outcome, reason, ..
        } => {
            let text = match outcome {
                TriageOutcome::Valid => {
                    "We confirmed the issue you reported and are working on a fix.".to_owned()
                }
                TriageOutcome::Duplicate => format!(
                    "The issue you reported was already reported to us ({}).",
                    d.duplicate_of.as_deref().unwrap_or("an earlier report")
                ),
                TriageOutcome::NotApplicable => {
                    "We looked at your report and found it does not apply to us.".to_owned()
                }
            };
            let text = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(r) => format!("{text}\n\nReason: {r}"),
                None => text,
            };
            researcher_mail(d, "disclosure_triaged", "Your report was triaged", &text)
        }
        DisclosureChange::Embargo { until, reason } => researcher_mail(
            d,
            "disclosure_embargo",
            "The public-disclosure date changed",
            &format!(
                "The public-disclosure date of your report is now {}.\n\nReason: {}",
                until.format("%Y-%m-%d"),
                reason.trim()
            ),
        ),
        DisclosureChange::Cvss { .. } | DisclosureChange::Incident { .. } => None,
    }
}

async fn apply(
    cx: &Ctx<'_>,
    d: &DisclosureRecord,
    change: DisclosureChange,
) -> Result<DisclosureRecord, ApiError> {
    let after = cx
        .store
        .change_disclosure(d.id, &change, &tell, &cx.actor(), cx.now)
        .await?;
    cx.wake.wake();
    Ok(after)
}

fn body_text(field: &str, v: &str, required: bool) -> Result<Option<String>, ApiError> {
    if v.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` is longer than {MAX_TEXT} characters"),
        ));
    }
    actions::text(field, Some(v), required)
}

/// A staff reply (mailed to the researcher when they gave an address) or
/// an internal note.
pub async fn reply(
    cx: &Ctx<'_>,
    raw: &str,
    req: &DisclosureReply,
) -> Result<DisclosureRecord, ApiError> {
    let d = find_to_change(cx, raw).await?;
    let body = body_text("body", &req.body, true)?.unwrap_or_default();
    let notify = if req.internal {
        None
    } else {
        researcher_mail(
            &d,
            "disclosure_reply",
            "A reply from the security team",
            &body,
        )
        .map(|m| (format!("disclosure:{}:reply:{}", d.id, random_secret()), m))
    };
    cx.store
        .add_disclosure_message(
            d.id,
            &NewDisclosureMessage {
                author: STAFF,
                body,
                internal: req.internal,
                email_message_id: None,
                attachments: Vec::new(),
            },
            notify,
            &cx.actor(),
            cx.now,
        )
        .await?;
    cx.wake.wake();
    find(cx, raw).await
}

/// Acknowledges: a person has read it (the researcher is told).
pub async fn acknowledge(cx: &Ctx<'_>, raw: &str) -> Result<DisclosureRecord, ApiError> {
    let d = find_to_change(cx, raw).await?;
    apply(
        cx,
        &d,
        DisclosureChange::Move {
            to: DisclosureState::Acknowledged,
            message: None,
        },
    )
    .await
}

/// Moves it to `acknowledged`, `fixed` or `disclosed`.
pub async fn move_to(
    cx: &Ctx<'_>,
    raw: &str,
    req: &MoveDisclosure,
) -> Result<DisclosureRecord, ApiError> {
    let d = find_to_change(cx, raw).await?;
    if !matches!(
        req.state,
        DisclosureState::Acknowledged | DisclosureState::Fixed | DisclosureState::Disclosed
    ) {
        return Err(ApiError::invalid(
            "state",
            format!(
                "`{}` is not set by a move: use acknowledged, fixed or disclosed (triage has its \
                 own request; fixing is declaring the incident)",
                req.state
            ),
        ));
    }
    let message = match &req.message {
        Some(m) => body_text("message", m, false)?,
        None => None,
    };
    apply(
        cx,
        &d,
        DisclosureChange::Move {
            to: req.state,
            message,
        },
    )
    .await
}

/// Records the triage verdict.
pub async fn triage(
    cx: &Ctx<'_>,
    raw: &str,
    req: &TriageDisclosure,
) -> Result<DisclosureRecord, ApiError> {
    let d = find_to_change(cx, raw).await?;
    if !may_triage(d.state) {
        return Err(ApiError::Conflict(format!(
            "{} is {}: it can be triaged only before it is being fixed",
            d.tracking_id, d.state
        )));
    }
    let reason = match &req.reason {
        Some(r) => body_text("reason", r, false)?,
        None => None,
    };
    if req.outcome == TriageOutcome::NotApplicable && reason.is_none() {
        return Err(ApiError::invalid(
            "reason",
            "a disclosure not applicable needs a reason: the researcher is told",
        ));
    }
    let duplicate_of = match (req.outcome, req.duplicate_of.as_deref().map(str::trim)) {
        (TriageOutcome::Duplicate, Some(t)) if !t.is_empty() => {
            let other = cx.store.disclosure_by_tracking_id(t).await?;
            match other {
                None => {
                    return Err(ApiError::invalid(
                        "duplicate_of",
                        format!("no disclosure is tracked as `{t}`"),
                    ));
                }
                Some(o) if o.id == d.id => {
                    return Err(ApiError::invalid(
                        "duplicate_of",
                        "a disclosure cannot be a duplicate of itself",
                    ));
                }
                Some(o) => Some(o.tracking_id),
            }
        }
        (TriageOutcome::Duplicate, _) => {
            return Err(ApiError::invalid(
                "duplicate_of",
                "a duplicate names the other disclosure's tracking id (VULN-…)",
            ));
        }
        (_, Some(t)) if !t.is_empty() => {
            return Err(ApiError::invalid(
                "duplicate_of",
                "only a duplicate names another disclosure",
            ));
        }
        _ => None,
    };
    apply(
        cx,
        &d,
        DisclosureChange::Triage {
            outcome: req.outcome,
            reason,
            duplicate_of,
        },
    )
    .await
}

/// Scores a CVSS vector and sets the severity its score maps to under the
/// policy's bands. An invalid vector is refused naming the metric at fault.
pub async fn set_cvss(
    cx: &Ctx<'_>,
    raw: &str,
    req: &SetCvss,
    policy: &DisclosurePolicy,
) -> Result<DisclosureRecord, ApiError> {
    let d = find_to_change(cx, raw).await?;
    if req.vector.len() > 400 {
        return Err(ApiError::invalid("vector", "the CVSS vector is too long"));
    }
    let scored = firebreak_core::cvss::score(&req.vector).map_err(|e| match &e.metric {
        Some(m) => ApiError::invalid(m, format!("vector: {e}")),
        None => ApiError::invalid("vector", e.to_string()),
    })?;
    let severity = policy.bands.severity(scored.score_tenths);
    apply(
        cx,
        &d,
        DisclosureChange::Cvss {
            vector: scored.vector,
            score_tenths: scored.score_tenths,
            severity,
        },
    )
    .await
}

/// Moves the public-disclosure date (a reason is required; the researcher
/// is told).
pub async fn set_embargo(
    cx: &Ctx<'_>,
    raw: &str,
    req: &SetEmbargo,
) -> Result<DisclosureRecord, ApiError> {
    let d = find_to_change(cx, raw).await?;
    body_text("reason", &req.reason, false)?;
    if let Some((field, why)) =
        embargo_change_refused(d.state, req.embargo_until, &req.reason, cx.now)
    {
        return Err(if d.state == DisclosureState::Disclosed {
            ApiError::Conflict(why)
        } else {
            ApiError::invalid(field, why)
        });
    }
    apply(
        cx,
        &d,
        DisclosureChange::Embargo {
            until: req.embargo_until,
            reason: req.reason.trim().to_owned(),
        },
    )
    .await
}

/// Declares the security incident that fixes a valid disclosure, from its
/// report (so it follows the incident process and its gates), and links
/// it: the disclosure is `fixing`.
pub async fn declare(
    cx: &Ctx<'_>,
    raw: &str,
    req: &DeclareFromDisclosure,
) -> Result<(DisclosureRecord, firebreak_api::Incident), ApiError> {
    let d = find_to_change(cx, raw).await?;
    if let Some(why) = firebreak_core::disclosure::transition_refused(
        d.state,
        DisclosureState::Fixing,
        d.triage_outcome,
    ) {
        return Err(ApiError::Conflict(why));
    }
    let severity = req.severity.or(d.severity).unwrap_or(Severity::High);
    let score = d
        .cvss_score()
        .map(|s| format!(" (CVSS {s:.1}, {})", d.cvss_vector.as_deref().unwrap_or("")))
        .unwrap_or_default();
    let title: String = format!("{}: {}", d.tracking_id, d.title)
        .chars()
        .take(actions::MAX_TITLE)
        .collect();
    let incident = actions::declare(
        cx,
        &DeclareIncident {
            title,
            summary: Some(format!(
                "Declared from responsible disclosure {}{score}.",
                d.tracking_id
            )),
            kind: Kind::Security,
            severity: Some(severity),
            severity_reason: Some(format!(
                "the severity of disclosure {}{score}",
                d.tracking_id
            )),
            facts: None,
            owner: None,
            lead: req.lead.clone(),
            service: None,
        },
        Some(d.report_id),
    )
    .await?;
    let after = apply(
        cx,
        &d,
        DisclosureChange::Incident {
            incident_id: incident.id,
        },
    )
    .await?;
    Ok((after, incident))
}

/// Whether a due date is past, for pages.
pub fn overdue(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= at
}
