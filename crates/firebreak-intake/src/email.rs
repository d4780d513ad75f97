//! Inbound e-mail: security researchers' reports and anything else sent to
//! the incident mailbox.
//!
//! This module owns reading a raw RFC 5322 message into [`InboundEmail`]
//! (addresses, threading ids, a plain-text body, attachments with their
//! SHA-256 for evidence), and recognising the subject line the process
//! document asks researchers to use: "Security – Responsible disclosure".

use chrono::{DateTime, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::IntakeError;

/// An address from a From or To header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// The display name, if any (`"Ada Lovelace" <ada@example.org>`).
    pub name: Option<String>,
    pub address: String,
}

/// A file attached to the message (including inline images and forwarded
/// messages, which are evidence too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub filename: Option<String>,
    /// `type/subtype` in lower case, `application/octet-stream` when the
    /// part did not say.
    pub content_type: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes`, for the evidence record.
    pub sha256: String,
}

/// What the server needs from an inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundEmail {
    pub from: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub subject: Option<String>,
    /// Without the angle brackets.
    pub message_id: Option<String>,
    /// The first id of In-Reply-To (RFC 5322 allows several; mail clients
    /// write one).
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub date: Option<DateTime<Utc>>,
    /// The text/plain body parts joined by blank lines; failing those, the
    /// first HTML part with its tags stripped; failing that, empty.
    pub text: String,
    pub attachments: Vec<Attachment>,
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|addr| {
            let address = addr.address()?.trim();
            (!address.is_empty()).then(|| Mailbox {
                name: addr
                    .name()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
                address: address.to_owned(),
            })
        })
        .collect()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = if let Some(list) = value.as_text_list() {
        list.iter().map(|s| s.to_string()).collect()
    } else if let Some(text) = value.as_text() {
        vec![text.to_owned()]
    } else {
        Vec::new()
    };
    ids.into_iter()
        .map(|id| id.trim().trim_matches(['<', '>']).to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

fn attachment(part: &MessagePart<'_>) -> Attachment {
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        })
        .unwrap_or_else(|| match part.body {
            PartType::Message(_) => "message/rfc822".to_owned(),
            _ => "application/octet-stream".to_owned(),
        })
        .to_ascii_lowercase();
    let bytes = part.contents().to_vec();
    Attachment {
        filename: part
            .attachment_name()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        content_type,
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
    }
}

/// Parses a raw message.
///
/// Refused only when the bytes hold no message headers at all: everything
/// else (no From, no body, odd charsets) still reaches a human, who is better
/// placed to judge it than a parser.
pub fn parse_email(raw: &[u8]) -> Result<InboundEmail, IntakeError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| IntakeError::Email("no message headers found".to_owned()))?;
    if message.headers().is_empty() {
        return Err(IntakeError::Email("no message headers found".to_owned()));
    }

    let plain: Vec<&str> = message
        .text_bodies()
        .filter_map(|part| match &part.body {
            PartType::Text(text) => Some(text.as_ref()),
            _ => None,
        })
        .collect();
    let text = if plain.iter().any(|t| !t.trim().is_empty()) {
        plain.join("\n\n")
    } else {
        message
            .html_bodies()
            .find_map(|part| match &part.body {
                PartType::Html(html) => Some(strip_html(html)),
                _ => None,
            })
            .unwrap_or_default()
    };

    Ok(InboundEmail {
        from: mailboxes(message.from()).into_iter().next(),
        to: message
            .header_values(mail_parser::HeaderName::To)
            .filter_map(HeaderValue::as_address)
            .flat_map(|a| mailboxes(Some(a)))
            .collect(),
        subject: message.subject().map(str::to_owned),
        message_id: message
            .message_id()
            .map(|id| id.trim().trim_matches(['<', '>']).to_owned())
            .filter(|id| !id.is_empty()),
        in_reply_to: ids(message.in_reply_to()).into_iter().next(),
        references: ids(message.references()),
        date: message
            .date()
            .and_then(|d| DateTime::<Utc>::from_timestamp(d.to_timestamp(), 0)),
        text,
        attachments: message.attachments().map(attachment).collect(),
    })
}

/// Crudely turns HTML into text: drops `<script>` and `<style>` blocks and
/// comments, turns line-breaking tags into newlines, drops the other tags,
/// decodes the common entities, and trims the lines. Good enough for a
/// human to read a report; not a renderer.
fn strip_html(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    // Every index below is at an ASCII byte ('<', '>' or a tag's end), so
    // slicing `html` there never splits a character.
    while i < html.len() {
        let Some(open) = html[i..].find('<').map(|o| i + o) else {
            out.push_str(&html[i..]);
            break;
        };
        out.push_str(&html[i..open]);

        let rest = &lower[open..];
        let skip_to = |end: &str| rest.find(end).map_or(html.len(), |e| open + e + end.len());
        i = if rest.starts_with("<!--") {
            skip_to("-->")
        } else if rest.starts_with("<script") {
            skip_to("</script>")
        } else if rest.starts_with("<style") {
            skip_to("</style>")
        } else {
            let name: String = rest[1..]
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if matches!(
                name.as_str(),
                "br" | "p"
                    | "div"
                    | "li"
                    | "tr"
                    | "h1"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
                    | "blockquote"
                    | "pre"
                    | "table"
            ) {
                out.push('\n');
            }
            skip_to(">")
        };
    }

    let decoded = decode_entities(&out);
    let mut text = String::with_capacity(decoded.len());
    let mut blank = true;
    for line in decoded.lines().map(str::trim) {
        if line.is_empty() {
            if !blank {
                text.push('\n');
            }
            blank = true;
        } else {
            text.push_str(line);
            text.push('\n');
            blank = false;
        }
    }
    text.trim_end().to_owned()
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Entities are short; looking further for the ';' would make a run
        // of bare '&' quadratic.
        let entity = rest
            .bytes()
            .take(12)
            .position(|b| b == b';')
            .map(|semi| (&rest[1..semi], semi));
        let decoded = entity.and_then(|(name, semi)| {
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let code = if let Some(hex) =
                        name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        name.strip_prefix('#').and_then(|d| d.parse().ok())
                    };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Characters accepted as the dash in "Security – Responsible disclosure":
/// hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash
/// and minus sign. Mail clients and keyboards substitute these for one
/// another freely.
const DASHES: &[char] = &[
    '-', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2212}',
];

/// `s` without the ASCII `prefix`, compared ignoring ASCII case.
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// `s` without one leading `Re:`, `Fwd:` or `Fw:` (any case, spaces allowed
/// before the colon).
fn strip_reply_prefix(s: &str) -> Option<&str> {
    ["re", "fwd", "fw"].iter().find_map(|p| {
        strip_prefix_ignore_case(s, p)
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix(':'))
    })
}

/// Whether `subject` is the process's responsible-disclosure subject line,
/// "Security – Responsible disclosure".
///
/// Accepted variations: any letter case; any of hyphen-minus `-`, hyphen
/// U+2010, non-breaking hyphen U+2011, figure dash U+2012, en dash U+2013,
/// em dash U+2014 or minus sign U+2212 as the dash; any whitespace, or none,
/// around the dash; any whitespace between "Responsible" and "disclosure";
/// whitespace around the whole; and any number of `Re:`, `RE:`, `Fwd:`,
/// `FW:`, `Fw:` prefixes, with or without spaces, as replies and forwards
/// add them.
///
/// The dash is required and nothing may follow "disclosure": the line is
/// the one the process document asks for, and "Security responsible
/// disclosure program question" or "Security – Responsible disclosure
/// policy" are questions about the programme, not reports. Messages that do
/// not match still arrive as ordinary inbound e-mail for a human to triage.
pub fn is_responsible_disclosure(subject: &str) -> bool {
    let mut rest = subject.trim();
    while let Some(stripped) = strip_reply_prefix(rest) {
        rest = stripped.trim_start();
    }

    let Some(rest) = strip_prefix_ignore_case(rest, "security") else {
        return false;
    };
    let mut chars = rest.trim_start().chars();
    if !chars.next().is_some_and(|c| DASHES.contains(&c)) {
        return false;
    }
    let Some(rest) = strip_prefix_ignore_case(chars.as_str().trim_start(), "responsible") else {
        return false;
    };
    if !rest.starts_with(char::is_whitespace) {
        return false;
    }
    strip_prefix_ignore_case(rest.trim_start(), "disclosure")
        .is_some_and(|rest| rest.trim_end().is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn responsible_disclosure_subjects() {
        let cases: &[(&str, bool)] = &[
            ("Security – Responsible disclosure", true),
            ("Security — Responsible disclosure", true),
            ("Security - Responsible disclosure", true),
            ("Security − Responsible disclosure", true),
            ("Security ‒ Responsible disclosure", true),
            ("Security ‐ Responsible disclosure", true),
            ("RE: security - responsible disclosure", true),
            ("Fwd: Re: SECURITY—Responsible Disclosure", true),
            ("Security–responsible disclosure", true),
            ("Security –Responsible disclosure", true),
            ("security-   responsible   disclosure", true),
            ("  Security – Responsible disclosure  ", true),
            ("Security – Responsible\tdisclosure", true),
            ("Security\u{a0}–\u{a0}Responsible\u{a0}disclosure", true),
            ("Re:Re:Fw:FW:fwd: Security – Responsible disclosure", true),
            ("Re : RE:  Fwd :Security – Responsible disclosure", true),
            ("SECURITY – RESPONSIBLE DISCLOSURE", true),
            // Negatives.
            ("Security responsible disclosure program question", false),
            ("Security responsible disclosure", false),
            ("Security – Responsible disclosure policy question", false),
            ("Security – Responsible disclosures", false),
            ("Security – Irresponsible disclosure", false),
            ("Security –– Responsible disclosure", false),
            ("Security – Responsibledisclosure", false),
            ("Security: Responsible disclosure", false),
            ("Security _ Responsible disclosure", false),
            ("Responsible disclosure", false),
            ("Security", false),
            ("Security –", false),
            ("Out of office: Security – Responsible disclosure", false),
            ("Re: ", false),
            ("", false),
            ("Securities – Responsible disclosure", false),
            ("[EXT] Security – Responsible disclosure", false),
            ("Réponse: Security – Responsible disclosure", false),
        ];
        for (subject, expected) in cases {
            assert_eq!(is_responsible_disclosure(subject), *expected, "{subject:?}");
        }
    }

    const PLAIN: &str = "From: \"Ada Researcher\" <ada@example.org>\r\n\
To: security@firebreak.example, \"Ops\" <ops@firebreak.example>\r\n\
Subject: =?UTF-8?Q?Security_=E2=80=93_Responsible_disclosure?=\r\n\
Date: Wed, 01 May 2024 12:00:00 +0200\r\n\
Message-ID: <report-1@example.org>\r\n\
In-Reply-To: <ack-7@firebreak.example>\r\n\
References: <first@example.org> <ack-7@firebreak.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
The login form is vulnerable to SQL injection.\r\n\
Steps: ...\r\n\
--b2\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>The login form is <b>vulnerable</b></p>\r\n\
--b2--\r\n\
--b1\r\n\
Content-Type: text/plain; name=\"poc.txt\"\r\n\
Content-Disposition: attachment; filename=\"poc.txt\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JyBPUiAxPTEgLS0=\r\n\
--b1--\r\n";

    #[test]
    fn parses_a_report() {
        let email = parse_email(PLAIN.as_bytes()).unwrap();
        let from = email.from.as_ref().unwrap();
        assert_eq!(from.address, "ada@example.org");
        assert_eq!(from.name.as_deref(), Some("Ada Researcher"));
        let to: Vec<_> = email.to.iter().map(|m| m.address.as_str()).collect();
        assert_eq!(to, ["security@firebreak.example", "ops@firebreak.example"]);
        assert_eq!(
            email.subject.as_deref(),
            Some("Security – Responsible disclosure")
        );
        assert!(is_responsible_disclosure(email.subject.as_deref().unwrap()));
        assert_eq!(email.message_id.as_deref(), Some("report-1@example.org"));
        assert_eq!(
            email.in_reply_to.as_deref(),
            Some("ack-7@firebreak.example")
        );
        assert_eq!(
            email.references,
            ["first@example.org", "ack-7@firebreak.example"]
        );
        assert_eq!(
            email.date,
            crate::time::parse_rfc3339("2024-05-01T10:00:00Z")
        );
        assert!(
            email
                .text
                .starts_with("The login form is vulnerable to SQL injection.")
        );
        assert!(!email.text.contains("<p>"));
        assert_eq!(email.attachments.len(), 1);
        let a = &email.attachments[0];
        assert_eq!(a.filename.as_deref(), Some("poc.txt"));
        assert_eq!(a.content_type, "text/plain");
        assert_eq!(a.bytes, b"' OR 1=1 --");
        // sha256sum of the decoded attachment, computed independently.
        assert_eq!(
            a.sha256,
            "f31c00c8808fcfbd376f84628b61badd1652fbb0541355745b2e2495e08b5293"
        );
    }

    #[test]
    fn html_only_bodies_are_stripped() {
        let raw = "From: a@example.org\r\n\
Subject: hi\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><head><style>p { color: red }</style><script>alert(1)</script></head>\
<body><!-- hidden --><p>Hello&nbsp;&amp; welcome</p><div>Line&#32;two &lt;3 &#x263A;</div>\
<p>Tom &amp Jerry</p></body></html>\r\n";
        let email = parse_email(raw.as_bytes()).unwrap();
        // Block tags open and close a paragraph: one blank line between.
        assert_eq!(
            email.text,
            "Hello & welcome\n\nLine two <3 ☺\n\nTom &amp Jerry"
        );
    }

    #[test]
    fn minimal_and_odd_messages() {
        let email = parse_email(b"Subject: only a subject\r\n\r\n").unwrap();
        assert_eq!(email.from, None);
        assert!(email.to.is_empty());
        assert_eq!(email.text, "");
        assert!(email.attachments.is_empty());

        // Truncated in the middle of a multipart body still yields what was
        // there.
        let email = parse_email(&PLAIN.as_bytes()[..PLAIN.len() / 2]).unwrap();
        assert_eq!(email.message_id.as_deref(), Some("report-1@example.org"));
    }

    #[test]
    fn no_headers_is_an_error() {
        assert!(matches!(parse_email(b""), Err(IntakeError::Email(_))));
    }

    #[test]
    fn entity_decoding_edges() {
        assert_eq!(decode_entities("a & b"), "a & b");
        assert_eq!(decode_entities("&#1114112;"), "&#1114112;");
        assert_eq!(
            decode_entities("&verylongentityname;"),
            "&verylongentityname;"
        );
        assert_eq!(decode_entities("x&"), "x&");
        assert_eq!(strip_html("<p>unterminated <b"), "unterminated");
        assert_eq!(strip_html("é<br>ü"), "é\nü");
    }
}
