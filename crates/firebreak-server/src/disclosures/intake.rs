//! The one way a disclosure comes in: [`submit`], used by the public form,
//! the email path and staff's `POST /api/v1/disclosures`. It checks every
//! field (a refusal is a problem body naming it), sets the public-disclosure
//! date from the policy, and stores the record with, in the same
//! transaction, the receipt to the researcher (when an email address is
//! given: the tracking id, the status link, the promised due dates and the
//! embargo date) and a word to each member of the security team (admins
//! and security users with an email address).

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use firebreak_api::disclosure::{MAX_SHORT, MAX_TEXT, MAX_TITLE};
use firebreak_core::auth::{Action, allowed};
use firebreak_core::disclosure::{
    DisclosureChannel, DisclosureFacts, DisclosurePolicy, DisclosureState, DueDate, due_dates,
};
use firebreak_store::Actor;
use firebreak_store::disclosures::{NewDisclosureRecord, RECEIPT_KEY};
use firebreak_store::intake::AttachmentWrite;
use firebreak_store::status::BuiltMessage;

use crate::AppState;
use crate::error::ApiError;
use crate::notify::{Channel, Verbatim};

/// A disclosure as it arrives, before checks.
#[derive(Debug, Clone, Default)]
pub struct SubmitInput {
    pub channel: Option<DisclosureChannel>,
    /// Empty: the first line of the description.
    pub title: String,
    pub description: String,
    pub steps: String,
    pub impact: String,
    pub asset: String,
    pub researcher_name: Option<String>,
    pub researcher_email: Option<String>,
    pub credit: bool,
    /// The form's client address (kept for abuse handling only).
    pub client_addr: Option<IpAddr>,
    /// Files, content base64 with its SHA-256 (see
    /// [`crate::disclosures::intake::attachment`]). A file whose content is
    /// `None` was over the size limit (email path): only its hash is kept.
    pub attachments: Vec<AttachmentWrite>,
    /// Hang the disclosure on this report (an inbound email's, source
    /// `disclosure`) instead of a new one.
    pub on_report: Option<i64>,
}

/// A stored disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub id: i64,
    pub report_id: i64,
    pub tracking_id: String,
    /// The researcher's status link: shown once, only its hash is kept.
    pub status_url: String,
    /// A receipt was queued to the researcher's email address.
    pub receipt_queued: bool,
}

/// An attachment to store: its SHA-256 and base64 content.
pub fn attachment(filename: Option<&str>, content_type: &str, bytes: &[u8]) -> AttachmentWrite {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    AttachmentWrite {
        filename: filename
            .map(|f| crate::intake::one_line(f, 255))
            .filter(|f| !f.is_empty()),
        content_type: {
            let t = crate::intake::one_line(content_type, 255);
            if t.is_empty() {
                "application/octet-stream".to_owned()
            } else {
                t
            }
        },
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: hex::encode(Sha256::digest(bytes)),
        content: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
    }
}

/// The researcher's status link for `token`.
pub fn status_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/security/status/{token}",
        state.config.public_url.trim_end_matches('/')
    )
}

fn text_field(field: &str, value: &str, max: usize, required: bool) -> Result<String, ApiError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(ApiError::invalid(field, format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::invalid(
            field,
            format!("{field} contains control characters"),
        ));
    }
    Ok(v.replace("\r\n", "\n"))
}

fn short_field(field: &str, value: &str) -> Result<String, ApiError> {
    let v = text_field(field, value, MAX_SHORT, false)?;
    if v.contains('\n') || v.contains('\r') {
        return Err(ApiError::invalid(field, format!("{field} is one line")));
    }
    Ok(v)
}

/// Checks an email address: one `local@domain`, no name, no spaces.
pub fn check_email(field: &str, value: &str) -> Result<String, ApiError> {
    let v = short_field(field, value)?;
    let ok = !v.contains(['<', '>', ' ', ','])
        && v.parse::<lettre::Address>().is_ok()
        && v.rsplit_once('@').is_some_and(|(_, d)| d.contains('.'));
    if !ok {
        return Err(ApiError::invalid(
            field,
            format!("`{v}` is not an email address (name@example.com)"),
        ));
    }
    Ok(v)
}

/// The title: the given one, or the description's first line cut to
/// [`MAX_TITLE`] characters.
fn title_of(title: &str, description: &str) -> Result<String, ApiError> {
    let t = title.trim();
    if !t.is_empty() {
        let t = short_field("title", t)?;
        if t.chars().count() > MAX_TITLE {
            return Err(ApiError::invalid(
                "title",
                format!("title is longer than {MAX_TITLE} characters"),
            ));
        }
        return Ok(t);
    }
    let first = description
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut t: String = first.chars().take(MAX_TITLE).collect();
    if first.chars().count() > MAX_TITLE {
        t = t.chars().take(MAX_TITLE - 1).collect();
        t.push('…');
    }
    Ok(t)
}

/// Checks the files against the policy: at most `attachments_max`, each at
/// most `attachment_max_bytes` (a file kept by hash only is not counted
/// against the size).
pub fn check_attachments(
    field: &str,
    files: &[AttachmentWrite],
    policy: &DisclosurePolicy,
) -> Result<(), ApiError> {
    if files.len() > policy.attachments_max {
        return Err(ApiError::invalid(
            field,
            format!("at most {} files", policy.attachments_max),
        ));
    }
    for f in files {
        let over = usize::try_from(f.size).map_or(true, |s| s > policy.attachment_max_bytes);
        if f.content.is_some() && over {
            return Err(ApiError::invalid(
                field,
                format!(
                    "{} is larger than {} bytes",
                    f.filename.as_deref().unwrap_or("a file"),
                    policy.attachment_max_bytes
                ),
            ));
        }
    }
    Ok(())
}

/// A date as the researcher reads it.
pub fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn promised(due: &[DueDate]) -> String {
    due.iter()
        .map(|d| format!("- {}: by {}\n", d.what.label(), day(d.at)))
        .collect()
}

fn email_message(to: &str, v: &Verbatim) -> BuiltMessage {
    BuiltMessage {
        channel: serde_json::to_value(Channel::Email { to: to.to_owned() }).unwrap_or_default(),
        message: serde_json::json!({ "verbatim": v }),
    }
}

/// The receipt to the researcher.
fn receipt(to: &str, tracking: &str, title: &str, url: &str, due: &[DueDate]) -> BuiltMessage {
    let v = Verbatim {
        event: "disclosure_receipt".to_owned(),
        subject: format!("[{tracking}] We received your report"),
        text: format!(
            "Thank you for your report \"{title}\".\n\n\
             Tracking id: {tracking}\n\n\
             Follow it, read our replies and answer them, and add files at your private status \
             link (keep it to yourself: anyone with it can read your report):\n{url}\n\n\
             What we promise:\n{promised}\n\
             You can also reply to this email: keep {tracking} in the subject.\n\n\
             -- \nThe security team\n",
            promised = promised(due),
        ),
        payload: serde_json::json!({
            "type": "disclosure_receipt",
            "tracking_id": tracking,
            "status_url": url,
            "due": due,
        }),
        unsubscribe_url: None,
    };
    email_message(to, &v)
}

/// The word to a member of the security team (no report content: the
/// team reads it in Firebreak).
fn team_notice(
    state: &AppState,
    to: &str,
    tracking: &str,
    channel: DisclosureChannel,
) -> BuiltMessage {
    let base = state.config.public_url.trim_end_matches('/');
    let v = Verbatim {
        event: "disclosure_new".to_owned(),
        subject: format!("[{tracking}] New vulnerability report"),
        text: format!(
            "A new vulnerability report, {tracking}, arrived by {channel}.\n\n\
             Read and acknowledge it in Firebreak: {base}/disclosures\n"
        ),
        payload: serde_json::json!({
            "type": "disclosure_new",
            "tracking_id": tracking,
            "channel": channel,
        }),
        unsubscribe_url: None,
    };
    email_message(to, &v)
}

/// A report submitted to the triage queue with source `disclosure` (API
/// or the web's report form): it becomes a disclosure record like any
/// other, with a tracking id and reminders, on one confidential report
/// (the reporter given is the researcher's name; no receipt goes out, as
/// there is no researcher address). Other sources are the caller's.
pub async fn submit_report(
    state: &AppState,
    cx: &crate::actions::Ctx<'_>,
    req: &firebreak_api::NewReport,
    default_source: firebreak_api::ReportSource,
) -> Result<firebreak_api::Report, ApiError> {
    if req.source.unwrap_or(default_source) != firebreak_api::ReportSource::Disclosure {
        return crate::actions::submit_report(cx, req, default_source).await;
    }
    cx.require(firebreak_core::auth::Action::SubmitReport)?;
    let title = crate::actions::title("title", &req.title)?;
    let description = req
        .description
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| title.clone());
    let input = SubmitInput {
        channel: Some(DisclosureChannel::Api),
        title,
        description,
        steps: String::new(),
        impact: String::new(),
        asset: String::new(),
        researcher_name: req.reporter.clone(),
        researcher_email: None,
        credit: false,
        client_addr: None,
        attachments: Vec::new(),
        on_report: None,
    };
    let s = submit(state, input, &cx.actor(), cx.now).await?;
    cx.wake.wake();
    cx.report(s.report_id).await
}

/// The security team's addresses: every enabled user who may read
/// disclosures (admins and the security role) with an email address.
pub async fn team(state: &AppState) -> Result<Vec<String>, ApiError> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled && allowed(u.role, Action::ReadDisclosures))
        .filter_map(|u| u.email)
        .filter(|e| !e.trim().is_empty())
        .collect())
}

/// The word to each of the security team that the researcher replied to
/// disclosure `id` (no content: the team reads it in Firebreak), keyed by
/// `key` (unique per reply) and the member.
pub async fn researcher_replied(
    state: &AppState,
    id: i64,
    tracking: &str,
    key: &str,
) -> Result<Vec<(String, BuiltMessage)>, ApiError> {
    let base = state.config.public_url.trim_end_matches('/');
    Ok(team(state)
        .await?
        .iter()
        .enumerate()
        .map(|(i, to)| {
            let v = Verbatim {
                event: "disclosure_researcher_reply".to_owned(),
                subject: format!("[{tracking}] The researcher replied"),
                text: format!(
                    "The researcher replied on {tracking}.\n\n\
                     Read it in Firebreak: {base}/disclosures/{id}\n"
                ),
                payload: serde_json::json!({
                    "type": "disclosure_researcher_reply",
                    "tracking_id": tracking,
                }),
                unsubscribe_url: None,
            };
            (
                format!("disclosure:{id}:researcher-reply:{key}:{i}"),
                email_message(to, &v),
            )
        })
        .collect())
}

/// Checks and stores a new disclosure, queueing its receipt and the
/// security team's notice in the same transaction.
pub async fn submit(
    state: &AppState,
    input: SubmitInput,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Submitted, ApiError> {
    let policy = &state.config.disclosure;
    let description = text_field("description", &input.description, MAX_TEXT, true)?;
    let title = title_of(&input.title, &description)?;
    let steps = text_field("steps", &input.steps, MAX_TEXT, false)?;
    let impact = text_field("impact", &input.impact, MAX_TEXT, false)?;
    let asset = short_field("asset", &input.asset)?;
    let researcher_name = match input.researcher_name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Some(short_field("researcher_name", n)?),
        _ => None,
    };
    let researcher_email = match input.researcher_email.as_deref().map(str::trim) {
        Some(e) if !e.is_empty() => Some(check_email("researcher_email", e)?),
        _ => None,
    };
    check_attachments("attachments", &input.attachments, policy)?;
    let channel = input.channel.unwrap_or(DisclosureChannel::Api);
    let embargo_until = policy.default_embargo(now);
    let due = due_dates(
        &DisclosureFacts {
            state: DisclosureState::Received,
            outcome: None,
            severity: None,
            received_at: now,
            triaged_at: None,
            embargo_until,
        },
        policy,
    );
    let team = team(state).await?;
    let new = NewDisclosureRecord {
        channel,
        title: title.clone(),
        description,
        steps,
        impact,
        asset,
        researcher_name,
        researcher_email: researcher_email.clone(),
        credit: input.credit,
        client_addr: input.client_addr.map(|a| a.to_string()),
        embargo_until,
        attachments: input.attachments,
    };
    let build = |tracking: &str, token: &str| {
        let mut out = Vec::new();
        if let Some(to) = &researcher_email {
            let url = status_url(state, token);
            out.push((
                RECEIPT_KEY.to_owned(),
                receipt(to, tracking, &title, &url, &due),
            ));
        }
        for (i, to) in team.iter().enumerate() {
            out.push((
                format!("team:{i}"),
                team_notice(state, to, tracking, channel),
            ));
        }
        out
    };
    let created = state
        .store
        .create_disclosure_with(&new, input.on_report, &build, actor, now)
        .await?;
    state.wake.wake();
    Ok(Submitted {
        id: created.id,
        report_id: created.report_id,
        tracking_id: created.tracking_id,
        status_url: status_url(state, &created.token),
        receipt_queued: researcher_email.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_from_first_line() {
        assert_eq!(
            title_of("", "\n  XSS in search\nmore").unwrap(),
            "XSS in search"
        );
        assert_eq!(title_of(" Given ", "x").unwrap(), "Given");
        let long = "a".repeat(500);
        let t = title_of("", &long).unwrap();
        assert_eq!(t.chars().count(), MAX_TITLE);
        assert!(title_of(&"b".repeat(MAX_TITLE + 1), "x").is_err());
    }

    #[test]
    fn emails_checked() {
        assert!(check_email("researcher_email", "a@example.com").is_ok());
        for bad in [
            "a",
            "a@b",
            "A <a@example.com>",
            "a b@example.com",
            "a@example.com,b@example.com",
        ] {
            let e = check_email("researcher_email", bad).unwrap_err();
            assert_eq!(
                e.problem().field.as_deref(),
                Some("researcher_email"),
                "{bad}"
            );
        }
    }

    #[test]
    fn attachments_checked() {
        let p = DisclosurePolicy {
            attachment_max_bytes: 4,
            attachments_max: 2,
            ..DisclosurePolicy::default()
        };
        let small = attachment(Some("a.txt"), "text/plain", b"abcd");
        let big = attachment(Some("b.txt"), "text/plain", b"abcde");
        assert!(check_attachments("attachments", std::slice::from_ref(&small), &p).is_ok());
        let e = check_attachments("attachments", std::slice::from_ref(&big), &p).unwrap_err();
        assert!(e.to_string().contains("b.txt"), "{e}");
        assert!(
            check_attachments("attachments", &[small.clone(), small.clone(), small], &p).is_err()
        );
        let hashed_only = AttachmentWrite {
            content: None,
            ..big
        };
        assert!(check_attachments("attachments", &[hashed_only], &p).is_ok());
        assert_eq!(
            attachment(None, "", b"abc").sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
