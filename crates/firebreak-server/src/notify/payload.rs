//! The bodies of the webhook, Slack and Teams channels: pure functions of a
//! message, so their shapes are snapshot-tested without a network.

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::notify::templates::message_label;
use crate::notify::{Message, Rendered};

/// The JSON body of a [`crate::notify::Channel::Webhook`] delivery. Public
/// so receivers written in Rust (and the tests) can parse it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPayload {
    pub idempotency_key: String,
    pub event: String,
    pub incident: WebhookIncident,
    pub reason: String,
    pub ack_url: Option<String>,
    pub runbook_url: Option<String>,
    /// The name of the person the message is for.
    pub recipient: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookIncident {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub severity: Option<String>,
    pub kind: String,
    pub phase: String,
    pub url: String,
}

impl WebhookPayload {
    pub fn new(msg: &Message) -> WebhookPayload {
        WebhookPayload {
            idempotency_key: msg.idempotency_key.clone(),
            event: msg.event.clone(),
            incident: WebhookIncident {
                reference: msg.incident_ref.clone(),
                title: msg.incident_title.clone(),
                severity: msg.severity.clone(),
                kind: msg.kind.clone(),
                phase: msg.phase.clone(),
                url: msg.incident_url.clone(),
            },
            reason: msg.reason.clone(),
            ack_url: msg.ack_url.clone(),
            runbook_url: msg.runbook_url.clone(),
            recipient: msg.recipient_name.clone(),
            created_at: msg.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

/// Links worth a button, in order: the incident, acknowledging, the
/// runbook. Empty URLs are left out (Slack refuses a whole message over
/// one empty button URL).
fn links(msg: &Message) -> Vec<(&'static str, &'static str, &str)> {
    let mut links = vec![("open_incident", "Open incident", msg.incident_url.as_str())];
    if let Some(url) = &msg.ack_url {
        links.push(("acknowledge", "Acknowledge", url));
    }
    if let Some(url) = &msg.runbook_url {
        links.push(("runbook", "Runbook", url));
    }
    links.retain(|(_, _, url)| !url.trim().is_empty());
    links
}

/// A Slack incoming-webhook message: `text` is the notification fallback
/// (the rendered subject), `blocks` the Block Kit layout with link buttons.
pub(crate) fn slack(msg: &Message, rendered: &Rendered) -> Value {
    let field = |name: &str, value: &str| json!({"type": "mrkdwn", "text": format!("*{name}*\n{}", slack_escape(value))});
    let buttons: Vec<Value> = links(msg)
        .into_iter()
        .map(|(action_id, label, url)| {
            let mut button = json!({
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": label},
                "url": url,
            });
            if action_id == "acknowledge" {
                button["style"] = json!("primary");
            }
            button
        })
        .collect();
    let mut blocks = vec![
        json!({
            "type": "header",
            // Slack refuses header text over 150 characters.
            "text": {"type": "plain_text", "text": truncate(&rendered.subject, 150), "emoji": true},
        }),
        json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": slack_escape(&msg.reason)},
        }),
        json!({
            "type": "section",
            "fields": [
                field("Incident", &format!("{} {}", msg.incident_ref, msg.incident_title)),
                field("Severity", msg.severity.as_deref().unwrap_or("not set")),
                field("Kind", &msg.kind),
                field("Phase", &msg.phase),
                field("For", &msg.recipient_name),
            ],
        }),
    ];
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": slack_escape(&format!(
                "Firebreak · {} · {} · {}",
                message_label(msg),
                msg.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                msg.idempotency_key,
            )),
        }],
    }));
    json!({"text": slack_escape(&rendered.subject), "blocks": blocks})
}

/// A Teams incoming-webhook message carrying one Adaptive Card (1.4, the
/// newest version every Teams client renders).
pub(crate) fn teams(msg: &Message, rendered: &Rendered) -> Value {
    let actions: Vec<Value> = links(msg)
        .into_iter()
        .map(|(_, label, url)| json!({"type": "Action.OpenUrl", "title": label, "url": url}))
        .collect();
    let mut headline = json!({
        "type": "TextBlock",
        "text": teams_escape(&rendered.subject),
        "weight": "Bolder",
        "size": "Medium",
        "wrap": true,
    });
    if matches!(msg.event.as_str(), "page" | "escalation") {
        headline["color"] = json!("Attention");
    }
    let fact = |title: &str, value: &str| json!({"title": title, "value": teams_escape(value)});
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    headline,
                    {"type": "TextBlock", "text": teams_escape(&msg.reason), "wrap": true},
                    {"type": "FactSet", "facts": [
                        fact("Incident", &format!("{} {}", msg.incident_ref, msg.incident_title)),
                        fact("Severity", msg.severity.as_deref().unwrap_or("not set")),
                        fact("Kind", &msg.kind),
                        fact("Phase", &msg.phase),
                        fact("For", &msg.recipient_name),
                    ]},
                    {
                        "type": "TextBlock",
                        "text": format!(
                            "Firebreak · {} · {}",
                            msg.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                            msg.idempotency_key,
                        ),
                        "isSubtle": true,
                        "size": "Small",
                        "wrap": true,
                    },
                ],
                "actions": actions,
                "msteams": {"width": "Full"},
            },
        }],
    })
}

/// Slack's mrkdwn treats `&`, `<` and `>` as control characters.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Adaptive Card text is markdown: links (`[a](b)`), emphasis, code, lists
/// and headings. A backslash before an ASCII punctuation character shows
/// the character itself, so titles and reasons are shown as written. Only
/// what makes markup is escaped: emphasis and code characters, `<` and `>`,
/// the `]` that closes a link's text, and a list or heading marker that
/// starts a line; `[Firebreak]` stays as it is.
fn teams_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        out.push_str(&line[..line.len() - body.len()]);
        // A marker at the start of a line: `-`, `+`, `#`, `1.`, `1)`.
        let digits = body.chars().take_while(char::is_ascii_digit).count();
        let marker = if body.starts_with(['-', '+', '#']) {
            Some(0)
        } else if digits > 0 && body[digits..].starts_with(['.', ')']) {
            Some(digits)
        } else {
            None
        };
        for (i, c) in body.char_indices() {
            let link_end = c == ']' && body[i + 1..].starts_with('(');
            if Some(i) == marker
                || link_end
                || matches!(c, '\\' | '*' | '_' | '`' | '~' | '<' | '>')
            {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::notify::Templates;
    use crate::notify::templates::sample_message;

    fn pretty(v: &impl Serialize) -> String {
        serde_json::to_string_pretty(v).unwrap()
    }

    #[test]
    fn webhook_body() {
        expect![[r#"
            {
              "idempotency_key": "sample-0001",
              "event": "page",
              "incident": {
                "ref": "INC-42",
                "title": "Checkout unavailable",
                "severity": "Critical",
                "kind": "availability",
                "phase": "triage",
                "url": "https://firebreak.example/incidents/INC-42"
              },
              "reason": "Paged by rule critical-to-lead: a Critical incident needs its incident lead.",
              "ack_url": "https://firebreak.example/ack/sample",
              "runbook_url": "https://wiki.example/runbooks/checkout",
              "recipient": "Ada Lovelace",
              "created_at": "2025-03-01T12:00:00Z"
            }"#]]
        .assert_eq(&pretty(&WebhookPayload::new(&sample_message())));
    }

    #[test]
    fn slack_body() {
        let msg = Message {
            reason: "Rule <a&b> fired".into(),
            runbook_url: None,
            ..sample_message()
        };
        let rendered = Templates::default().render(&msg).unwrap();
        expect![[r#"
            {
              "blocks": [
                {
                  "text": {
                    "emoji": true,
                    "text": "[Firebreak] Paged: INC-42 Checkout unavailable (Critical)",
                    "type": "plain_text"
                  },
                  "type": "header"
                },
                {
                  "text": {
                    "text": "Rule &lt;a&amp;b&gt; fired",
                    "type": "mrkdwn"
                  },
                  "type": "section"
                },
                {
                  "fields": [
                    {
                      "text": "*Incident*\nINC-42 Checkout unavailable",
                      "type": "mrkdwn"
                    },
                    {
                      "text": "*Severity*\nCritical",
                      "type": "mrkdwn"
                    },
                    {
                      "text": "*Kind*\navailability",
                      "type": "mrkdwn"
                    },
                    {
                      "text": "*Phase*\ntriage",
                      "type": "mrkdwn"
                    },
                    {
                      "text": "*For*\nAda Lovelace",
                      "type": "mrkdwn"
                    }
                  ],
                  "type": "section"
                },
                {
                  "elements": [
                    {
                      "action_id": "open_incident",
                      "text": {
                        "text": "Open incident",
                        "type": "plain_text"
                      },
                      "type": "button",
                      "url": "https://firebreak.example/incidents/INC-42"
                    },
                    {
                      "action_id": "acknowledge",
                      "style": "primary",
                      "text": {
                        "text": "Acknowledge",
                        "type": "plain_text"
                      },
                      "type": "button",
                      "url": "https://firebreak.example/ack/sample"
                    }
                  ],
                  "type": "actions"
                },
                {
                  "elements": [
                    {
                      "text": "Firebreak · Paged · 2025-03-01T12:00:00Z · sample-0001",
                      "type": "mrkdwn"
                    }
                  ],
                  "type": "context"
                }
              ],
              "text": "[Firebreak] Paged: INC-42 Checkout unavailable (Critical)"
            }"#]]
        .assert_eq(&pretty(&slack(&msg, &rendered)));
    }

    #[test]
    fn teams_body() {
        let msg = sample_message();
        let rendered = Templates::default().render(&msg).unwrap();
        expect![[r#"
            {
              "attachments": [
                {
                  "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "actions": [
                      {
                        "title": "Open incident",
                        "type": "Action.OpenUrl",
                        "url": "https://firebreak.example/incidents/INC-42"
                      },
                      {
                        "title": "Acknowledge",
                        "type": "Action.OpenUrl",
                        "url": "https://firebreak.example/ack/sample"
                      },
                      {
                        "title": "Runbook",
                        "type": "Action.OpenUrl",
                        "url": "https://wiki.example/runbooks/checkout"
                      }
                    ],
                    "body": [
                      {
                        "color": "Attention",
                        "size": "Medium",
                        "text": "[Firebreak] Paged: INC-42 Checkout unavailable (Critical)",
                        "type": "TextBlock",
                        "weight": "Bolder",
                        "wrap": true
                      },
                      {
                        "text": "Paged by rule critical-to-lead: a Critical incident needs its incident lead.",
                        "type": "TextBlock",
                        "wrap": true
                      },
                      {
                        "facts": [
                          {
                            "title": "Incident",
                            "value": "INC-42 Checkout unavailable"
                          },
                          {
                            "title": "Severity",
                            "value": "Critical"
                          },
                          {
                            "title": "Kind",
                            "value": "availability"
                          },
                          {
                            "title": "Phase",
                            "value": "triage"
                          },
                          {
                            "title": "For",
                            "value": "Ada Lovelace"
                          }
                        ],
                        "type": "FactSet"
                      },
                      {
                        "isSubtle": true,
                        "size": "Small",
                        "text": "Firebreak · 2025-03-01T12:00:00Z · sample-0001",
                        "type": "TextBlock",
                        "wrap": true
                      }
                    ],
                    "msteams": {
                      "width": "Full"
                    },
                    "type": "AdaptiveCard",
                    "version": "1.4"
                  },
                  "contentType": "application/vnd.microsoft.card.adaptive",
                  "contentUrl": null
                }
              ],
              "type": "message"
            }"#]].assert_eq(&pretty(&teams(&msg, &rendered)));
    }

    #[test]
    fn titles_are_shown_as_written_not_as_markup() {
        let msg = Message {
            incident_title: "<!channel> [click](https://evil.example) *now* & <@U1>".into(),
            reason: "- [x](https://evil.example)\n1. _a_ `b`".into(),
            ..sample_message()
        };
        let rendered = Templates::default().render(&msg).unwrap();
        let s = slack(&msg, &rendered);
        let text = s["text"].as_str().unwrap();
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(
            text.contains("&lt;!channel&gt; [click](https://evil.example) *now* &amp; &lt;@U1&gt;"),
            "{text}"
        );
        let t = teams(&msg, &rendered);
        let body = &t["attachments"][0]["content"]["body"];
        let headline = body[0]["text"].as_str().unwrap();
        assert!(
            headline.contains(r"\<!channel\> [click\](https://evil.example) \*now\* & \<@U1\>"),
            "{headline}"
        );
        assert_eq!(
            body[1]["text"].as_str().unwrap(),
            "\\- [x\\](https://evil.example)\n1\\. \\_a\\_ \\`b\\`"
        );
        let incident = body[2]["facts"][0]["value"].as_str().unwrap();
        assert!(incident.contains(r"[click\]("), "{incident}");
    }

    #[test]
    fn long_headlines_are_cut_for_slack() {
        let t = truncate(&"x".repeat(200), 150);
        assert_eq!(t.chars().count(), 150);
        assert!(t.ends_with('…'));
        assert_eq!(truncate("short", 150), "short");
    }
}
