//! Disclosures by email. A new mail with the process's disclosure subject
//! becomes a disclosure record through [`super::intake::submit`], hung on
//! the one confidential report the email intake already made for it (never
//! two), with the mail's parts mapped to the form's fields: sections headed
//! "Steps to reproduce", "Impact" and "Affected" (or "Asset") go to those
//! fields, the rest is the description; the From address is the
//! researcher's email; the attachments are the disclosure's files with
//! their SHA-256.
//!
//! A mail whose subject names a tracking id (`VULN-2026-0007`) and whose
//! From is that disclosure's researcher email threads in as the
//! researcher's message (attachments too; a redelivery, by Message-ID, is
//! stored once). Naming a tracking id from another address attaches
//! nothing to that disclosure: the mail is a new disclosure of its own.

use firebreak_api::disclosure::{MAX_SHORT, MAX_TEXT};
use firebreak_core::disclosure::{DisclosureChannel, DisclosurePolicy};
use firebreak_intake::email::InboundEmail;
use firebreak_store::Actor;
use firebreak_store::disclosures::{DisclosureRecord, NewDisclosureMessage, RESEARCHER};
use firebreak_store::intake::AttachmentWrite;

use super::intake::{SubmitInput, attachment, check_email, submit};
use crate::AppState;
use crate::error::ApiError;
use crate::intake::{clip, one_line};

/// The form's fields found in a mail body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    pub description: String,
    pub steps: String,
    pub impact: String,
    pub asset: String,
}

#[derive(Clone, Copy)]
enum Part {
    Description,
    Steps,
    Impact,
    Asset,
}

/// Which field a line heads, if it is a heading: a short line such as
/// `Steps to reproduce:`, `## Impact` or `Affected asset`, alone on its
/// line, optionally with text after the colon.
fn heading(line: &str) -> Option<(Part, &str)> {
    let l = line.trim().trim_start_matches('#').trim();
    let (head, rest) = match l.split_once(':') {
        Some((h, r)) => (h.trim(), r.trim()),
        None => (l, ""),
    };
    let h = head.to_ascii_lowercase();
    let h = h
        .trim_end_matches(['*', '_'])
        .trim_start_matches(['*', '_']);
    let part = match h {
        "description" | "summary" | "details" => Part::Description,
        "steps to reproduce" | "steps" | "reproduction" | "how to reproduce"
        | "reproduction steps" | "proof of concept" | "poc" => Part::Steps,
        "impact" => Part::Impact,
        "affected" | "affected asset" | "affected assets" | "asset" | "assets"
        | "affected system" | "affected url" | "affected version" | "affected versions" => {
            Part::Asset
        }
        _ => return None,
    };
    Some((part, rest))
}

/// Maps a mail body onto the form's fields; a body without headings is
/// all description.
pub fn sections(text: &str) -> Sections {
    let mut buf: [Vec<&str>; 4] = Default::default();
    let mut at = Part::Description;
    for line in text.lines() {
        if let Some((part, rest)) = heading(line) {
            at = part;
            if !rest.is_empty() {
                buf[at as usize].push(rest);
            }
            continue;
        }
        buf[at as usize].push(line);
    }
    let join = |v: &Vec<&str>| v.join("\n").trim().to_owned();
    let mut s = Sections {
        description: join(&buf[Part::Description as usize]),
        steps: join(&buf[Part::Steps as usize]),
        impact: join(&buf[Part::Impact as usize]),
        asset: join(&buf[Part::Asset as usize]),
    };
    if s.description.is_empty() {
        s.description = text.trim().to_owned();
    }
    s
}

/// The mail's attachments as the disclosure's files: at most the policy's
/// number, content kept when within its size (else the hash only).
pub fn files(mail: &InboundEmail, policy: &DisclosurePolicy) -> Vec<AttachmentWrite> {
    mail.attachments
        .iter()
        .take(policy.attachments_max)
        .map(|a| {
            let mut f = attachment(a.filename.as_deref(), &a.content_type, &a.bytes);
            if a.bytes.len() > policy.attachment_max_bytes {
                f.content = None;
            }
            f
        })
        .collect()
}

fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The disclosure a reply mail threads into: its subject names the
/// tracking id and its From is the researcher's address.
pub async fn replied_to(
    state: &AppState,
    mail: &InboundEmail,
) -> Result<Option<DisclosureRecord>, ApiError> {
    let subject = mail.subject.as_deref().unwrap_or_default();
    let Some(tracking) = firebreak_core::disclosure::find_tracking_id(subject) else {
        return Ok(None);
    };
    let Some(from) = mail.from.as_ref().map(|m| m.address.as_str()) else {
        return Ok(None);
    };
    let rec = state.store.disclosure_by_tracking_id(&tracking).await?;
    Ok(rec.filter(|r| {
        r.researcher_email
            .as_deref()
            .is_some_and(|e| same_address(e, from))
    }))
}

/// Stores a reply mail as the researcher's message; `(message id,
/// attachment ids, duplicate)`.
pub async fn thread_in(
    state: &AppState,
    rec: &DisclosureRecord,
    mail: &InboundEmail,
    message_id: &str,
) -> Result<(i64, Vec<i64>, bool), ApiError> {
    let body = clip(mail.text.trim(), MAX_TEXT);
    let msg = NewDisclosureMessage {
        author: RESEARCHER,
        body: if body.is_empty() {
            "(files added)".to_owned()
        } else {
            body
        },
        internal: false,
        email_message_id: Some(message_id.to_owned()),
        attachments: files(mail, &state.config.disclosure),
    };
    let actor = Actor {
        user_id: None,
        name: RESEARCHER.to_owned(),
    };
    let key = firebreak_store::secrets::secret_hash(message_id);
    let notify =
        super::intake::researcher_replied(state, rec.id, &rec.tracking_id, &key[..16]).await?;
    let added = state
        .store
        .add_disclosure_message(rec.id, &msg, notify, &actor, state.now())
        .await?;
    Ok((added.message_id, added.attachment_ids, added.duplicate))
}

/// Makes the disclosure record of a new disclosure mail, on the report the
/// email intake stored for it (`report_id`). Does nothing when that report
/// already has one (a redelivery).
pub async fn record(
    state: &AppState,
    report_id: i64,
    mail: &InboundEmail,
    actor: &Actor,
) -> Result<(), ApiError> {
    if state.store.disclosure_of_report(report_id).await?.is_some() {
        return Ok(());
    }
    let s = sections(&mail.text);
    let mut description = clip(&s.description, MAX_TEXT);
    if description.trim().is_empty() {
        description = one_line(mail.subject.as_deref().unwrap_or("(no text)"), MAX_SHORT);
    }
    if description.trim().is_empty() {
        description = "(no text)".to_owned();
    }
    let email = mail
        .from
        .as_ref()
        .and_then(|m| check_email("researcher_email", &m.address).ok());
    let name = mail
        .from
        .as_ref()
        .and_then(|m| m.name.as_deref())
        .map(|n| one_line(n, MAX_SHORT))
        .filter(|n| !n.is_empty());
    let input = SubmitInput {
        channel: Some(DisclosureChannel::Email),
        title: String::new(),
        description,
        steps: clip(&s.steps, MAX_TEXT),
        impact: clip(&s.impact, MAX_TEXT),
        asset: one_line(&s.asset, MAX_SHORT),
        researcher_name: name,
        researcher_email: email,
        credit: false,
        client_addr: None,
        attachments: files(mail, &state.config.disclosure),
        on_report: Some(report_id),
    };
    submit(state, input, actor, state.now()).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_sections_map_to_fields() {
        let s = sections(
            "Hello,\nI found an XSS.\n\nSteps to reproduce:\n1. open /x\n2. see alert\n\n\
             ## Impact\nSession theft\nAffected: www.example.org\n",
        );
        assert_eq!(s.description, "Hello,\nI found an XSS.");
        assert_eq!(s.steps, "1. open /x\n2. see alert");
        assert_eq!(s.impact, "Session theft");
        assert_eq!(s.asset, "www.example.org");
        let plain = sections("Just a text.\nNo headings.");
        assert_eq!(plain.description, "Just a text.\nNo headings.");
        assert_eq!(plain.steps, "");
        let only = sections("Impact: all of it");
        assert_eq!(only.impact, "all of it");
        assert_eq!(only.description, "Impact: all of it");
    }
}
