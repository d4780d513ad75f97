//! The admin-editable message templates (minijinja) and what they see.
//!
//! The subject and the text body of every message come from here: email
//! uses both, Slack and Teams use the subject as their headline and
//! fallback, the Http channel can use both as `{{ subject }}` and
//! `{{ text }}`. Templates are checked when they are saved
//! ([`Templates::validate`] compiles them and renders a sample message,
//! so a misspelt variable is caught then, with its line); if one still
//! fails while sending, the default is used, because a page with the
//! default wording beats no page.

use std::collections::BTreeMap;

use chrono::{SecondsFormat, TimeZone, Utc};
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use crate::notify::{Message, NotifyError, Rendered};

/// The subject line and plain-text body of a message, as minijinja
/// templates. Variables: every field of [`Message`] (`created_at` as RFC
/// 3339 text) and `event_label`, a readable form of `event`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Templates {
    pub subject: String,
    pub text: String,
}

pub(crate) const DEFAULT_SUBJECT: &str = "[Firebreak] {{ event_label }}: {{ incident_ref }} {{ incident_title }}\
{% if severity %} ({{ severity }}){% endif %}";

pub(crate) const DEFAULT_TEXT: &str = "\
{{ event_label }}: {{ incident_ref }} {{ incident_title }}

Hello {{ recipient_name }},

{{ reason }}

Severity: {{ severity or \"not set\" }}
Kind:     {{ kind }}
Phase:    {{ phase }}

Open the incident: {{ incident_url }}
{% if ack_url %}Acknowledge:       {{ ack_url }}
{% endif %}{% if runbook_url %}Runbook:           {{ runbook_url }}
{% endif %}
--
Sent by Firebreak at {{ created_at }} (message {{ idempotency_key }}).
";

impl Default for Templates {
    fn default() -> Self {
        Templates {
            subject: DEFAULT_SUBJECT.to_owned(),
            text: DEFAULT_TEXT.to_owned(),
        }
    }
}

impl Templates {
    /// Compiles both templates and renders a sample message with them. The
    /// error names the template ("subject" or "text") and the line.
    pub fn validate(&self) -> Result<(), NotifyError> {
        let ctx = context(&sample_message());
        render_one("subject", &self.subject, &ctx)?;
        render_one("text", &self.text, &ctx)?;
        Ok(())
    }

    /// Renders `msg`. The subject is one line: line breaks become spaces.
    pub fn render(&self, msg: &Message) -> Result<Rendered, NotifyError> {
        let ctx = context(msg);
        let subject = render_one("subject", &self.subject, &ctx)?;
        let text = render_one("text", &self.text, &ctx)?;
        Ok(Rendered {
            subject: one_line(&subject),
            text,
        })
    }

    /// [`Templates::render`], falling back to the defaults (logged) when a
    /// template fails on this message.
    pub fn render_or_default(&self, msg: &Message) -> Rendered {
        match self.render(msg) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "notification template failed; using the default");
                let fallback = Templates::default();
                match fallback.render(msg) {
                    Ok(r) => r,
                    // The defaults are tested; this is a last resort that
                    // still says what happened.
                    Err(_) => Rendered {
                        subject: one_line(&format!(
                            "[Firebreak] {} {}",
                            msg.incident_ref, msg.incident_title
                        )),
                        text: format!("{}\n\n{}\n", msg.reason, msg.incident_url),
                    },
                }
            }
        }
    }
}

/// How much work one template may do in one render (minijinja fuel: about
/// one unit per instruction). The default text template needs a few
/// hundred; a loop over a `range` of thousands runs out.
pub const RENDER_FUEL: u64 = 50_000;

/// The largest output of one template, in bytes.
pub const RENDER_MAX_BYTES: usize = 64 * 1024;

/// The environment every notification template runs in: no HTML escaping
/// (these are text, JSON and form bodies; use `tojson` and `urlencode`),
/// printing an undefined variable is an error (a typo should not send an
/// empty field), testing one with `if` is not. Every render is bounded:
/// [`RENDER_FUEL`] of work and [`RENDER_MAX_BYTES`] of output.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(RENDER_FUEL));
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // Keep a body's last line break; the builder fails only on bad
    // delimiters, which are the defaults here.
    if let Ok(syntax) = SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    env.add_filter("urlencode", urlencode);
    env
}

/// Renders `source` as the template called `name`, mapping errors to
/// [`NotifyError::Template`] with the line.
pub(crate) fn render_one(name: &str, source: &str, ctx: &Value) -> Result<String, NotifyError> {
    let mut env = environment();
    let template_error = |e: minijinja::Error| NotifyError::Template {
        template: name.to_owned(),
        line: e.line(),
        detail: match e.detail() {
            Some(d) => format!("{}: {d}", e.kind()),
            None => e.kind().to_string(),
        },
    };
    if source.len() > RENDER_MAX_BYTES {
        return Err(NotifyError::Template {
            template: name.to_owned(),
            line: None,
            detail: format!("a template is at most {RENDER_MAX_BYTES} bytes"),
        });
    }
    env.add_template_owned(name.to_owned(), source.to_owned())
        .map_err(template_error)?;
    let template = env.get_template(name).map_err(template_error)?;
    let mut out = CappedWriter::default();
    match template.render_captured_to(ctx.clone(), &mut out) {
        Ok(_) => {}
        Err(_) if out.overflowed => {
            return Err(NotifyError::Template {
                template: name.to_owned(),
                line: None,
                detail: format!("the output is larger than {RENDER_MAX_BYTES} bytes"),
            });
        }
        Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => {
            return Err(NotifyError::Template {
                template: name.to_owned(),
                line: e.line(),
                detail: "the template does too much work (ran out of fuel; a loop too long?)"
                    .to_owned(),
            });
        }
        Err(e) => return Err(template_error(e)),
    }
    String::from_utf8(out.buf).map_err(|_| NotifyError::Template {
        template: name.to_owned(),
        line: None,
        detail: "the output is not UTF-8".to_owned(),
    })
}

/// Collects a render's output and refuses more than [`RENDER_MAX_BYTES`].
#[derive(Default)]
struct CappedWriter {
    buf: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > RENDER_MAX_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("template output too large"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The variables of a message, as templates see them.
pub(crate) fn context(msg: &Message) -> Value {
    let mut vars = variables(msg);
    vars.insert("event_label", Value::from(message_label(msg)));
    Value::from(vars)
}

/// [`context`] plus the rendered subject and text and, when set, the
/// channel's secret: what the Http channel's templates see.
pub(crate) fn http_context(msg: &Message, rendered: &Rendered, secret: Option<&str>) -> Value {
    let mut vars = variables(msg);
    vars.insert("event_label", Value::from(message_label(msg)));
    vars.insert("subject", Value::from(rendered.subject.clone()));
    vars.insert("text", Value::from(rendered.text.clone()));
    if let Some(secret) = secret {
        vars.insert("secret", Value::from(secret.to_owned()));
    }
    Value::from(vars)
}

fn variables(msg: &Message) -> BTreeMap<&'static str, Value> {
    let Message {
        idempotency_key,
        event,
        incident_ref,
        incident_title,
        severity,
        kind,
        phase,
        reason,
        incident_url,
        ack_url,
        runbook_url,
        recipient_name,
        created_at,
    } = msg.clone();
    BTreeMap::from([
        ("idempotency_key", Value::from(idempotency_key)),
        ("event", Value::from(event)),
        ("incident_ref", Value::from(incident_ref)),
        ("incident_title", Value::from(incident_title)),
        ("severity", Value::from(severity)),
        ("kind", Value::from(kind)),
        ("phase", Value::from(phase)),
        ("reason", Value::from(reason)),
        ("incident_url", Value::from(incident_url)),
        ("ack_url", Value::from(ack_url)),
        ("runbook_url", Value::from(runbook_url)),
        ("recipient_name", Value::from(recipient_name)),
        (
            "created_at",
            Value::from(created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        ),
    ])
}

/// [`event_label`] of a message: a customer communication reminder names
/// the kind due (its reason starts "Update overdue since …").
pub(crate) fn message_label(msg: &Message) -> String {
    if msg.event == "comms_reminder"
        && let Some((due, _)) = msg.reason.split_once(" overdue since ")
    {
        return format!("{due} overdue");
    }
    event_label(&msg.event)
}

/// A readable word for the event, for subjects and headlines.
pub(crate) fn event_label(event: &str) -> String {
    match event {
        "page" => "Paged".to_owned(),
        "notify" => "Notification".to_owned(),
        "escalation" => "Escalated".to_owned(),
        "acknowledged" => "Acknowledged".to_owned(),
        "resolved" => "Resolved".to_owned(),
        "test" => "Test notification".to_owned(),
        "unrouted" => "Nobody was paged".to_owned(),
        "comms_reminder" => "Customer communication overdue".to_owned(),
        other => {
            let mut chars = other.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => "Notification".to_owned(),
            }
        }
    }
}

/// `application/x-www-form-urlencoded` escaping of one value, for form
/// bodies and query strings: `{{ subject|urlencode }}`.
fn urlencode(value: &Value) -> Result<String, minijinja::Error> {
    if value.is_undefined() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::UndefinedError,
            "urlencode of an undefined value",
        ));
    }
    let text = if value.is_none() {
        String::new()
    } else {
        value.to_string()
    };
    Ok(form_urlencoded::byte_serialize(text.as_bytes()).collect())
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The message templates are checked against when they are saved.
pub(crate) fn sample_message() -> Message {
    Message {
        idempotency_key: "sample-0001".to_owned(),
        event: "page".to_owned(),
        incident_ref: "INC-42".to_owned(),
        incident_title: "Checkout unavailable".to_owned(),
        severity: Some("Critical".to_owned()),
        kind: "availability".to_owned(),
        phase: "triage".to_owned(),
        reason: "Paged by rule critical-to-lead: a Critical incident needs its incident lead."
            .to_owned(),
        incident_url: "https://firebreak.example/incidents/INC-42".to_owned(),
        ack_url: Some("https://firebreak.example/ack/sample".to_owned()),
        runbook_url: Some("https://wiki.example/runbooks/checkout".to_owned()),
        recipient_name: "Ada Lovelace".to_owned(),
        created_at: Utc
            .with_ymd_and_hms(2025, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(templates: &Templates, msg: &Message, expect: Expect) {
        let r = templates.render(msg).unwrap();
        expect.assert_eq(&format!("subject: {}\n---\n{}", r.subject, r.text));
    }

    #[test]
    fn a_comms_reminders_subject_names_the_kind_due() {
        let mut msg = sample_message();
        msg.event = "comms_reminder".into();
        msg.reason = "Update overdue since 2026-03-02 10:30 UTC: the cadence.".into();
        let r = Templates::default().render(&msg).unwrap();
        assert!(r.subject.contains("Update overdue"), "{}", r.subject);
        assert!(!r.subject.contains("Customer notice"), "{}", r.subject);
    }

    #[test]
    fn default_templates_on_a_full_message() {
        check(
            &Templates::default(),
            &sample_message(),
            expect![[r#"
                subject: [Firebreak] Paged: INC-42 Checkout unavailable (Critical)
                ---
                Paged: INC-42 Checkout unavailable

                Hello Ada Lovelace,

                Paged by rule critical-to-lead: a Critical incident needs its incident lead.

                Severity: Critical
                Kind:     availability
                Phase:    triage

                Open the incident: https://firebreak.example/incidents/INC-42
                Acknowledge:       https://firebreak.example/ack/sample
                Runbook:           https://wiki.example/runbooks/checkout

                --
                Sent by Firebreak at 2025-03-01T12:00:00Z (message sample-0001).
            "#]],
        );
    }

    #[test]
    fn default_templates_without_optional_fields() {
        let msg = Message {
            event: "acknowledged".into(),
            severity: None,
            ack_url: None,
            runbook_url: None,
            ..sample_message()
        };
        check(
            &Templates::default(),
            &msg,
            expect![[r#"
                subject: [Firebreak] Acknowledged: INC-42 Checkout unavailable
                ---
                Acknowledged: INC-42 Checkout unavailable

                Hello Ada Lovelace,

                Paged by rule critical-to-lead: a Critical incident needs its incident lead.

                Severity: not set
                Kind:     availability
                Phase:    triage

                Open the incident: https://firebreak.example/incidents/INC-42

                --
                Sent by Firebreak at 2025-03-01T12:00:00Z (message sample-0001).
            "#]],
        );
    }

    #[test]
    fn admin_templates_see_every_field_and_do_not_escape() {
        let templates = Templates {
            subject: "{{ severity|upper }} {{ incident_ref }}\n<{{ event }}>".into(),
            text: "{{ incident_title }} & {{ reason }} | {{ kind }}/{{ phase }} \
                   | {{ recipient_name }} | {{ incident_url }} | {{ ack_url }} \
                   | {{ runbook_url }} | {{ created_at }} | {{ idempotency_key }} \
                   | {{ event_label }}"
                .into(),
        };
        let msg = Message {
            incident_title: "<b>DB</b> \"down\"".into(),
            ..sample_message()
        };
        check(
            &templates,
            &msg,
            expect![[r#"
                subject: CRITICAL INC-42 <page>
                ---
                <b>DB</b> "down" & Paged by rule critical-to-lead: a Critical incident needs its incident lead. | availability/triage | Ada Lovelace | https://firebreak.example/incidents/INC-42 | https://firebreak.example/ack/sample | https://wiki.example/runbooks/checkout | 2025-03-01T12:00:00Z | sample-0001 | Paged"#]],
        );
    }

    #[test]
    fn urlencode_filter_is_form_encoding() {
        let ctx = http_context(
            &Message {
                incident_title: "Disk 100% full & a+b=c / é".into(),
                ..sample_message()
            },
            &Rendered {
                subject: "s".into(),
                text: "t".into(),
            },
            Some("tok"),
        );
        let out = render_one(
            "body",
            "Body={{ incident_title|urlencode }}&S={{ secret|urlencode }}&N={{ none|urlencode }}",
            &ctx,
        )
        .unwrap();
        expect![[r#"Body=Disk+100%25+full+%26+a%2Bb%3Dc+%2F+%C3%A9&S=tok&N="#]].assert_eq(&out);
    }

    #[test]
    fn validate_names_template_and_line() {
        let broken_syntax = Templates {
            subject: Templates::default().subject,
            text: "line one\n{% if severity %}\nno endif\n".into(),
        };
        expect![
            "template text, line 2: syntax error: unexpected end of input, expected end of block"
        ]
        .assert_eq(&broken_syntax.validate().unwrap_err().to_string());

        let misspelt = Templates {
            subject: "{{ incident_ref }} {{ incident_tittle }}".into(),
            text: Templates::default().text,
        };
        expect!["template subject, line 1: undefined value: `incident_tittle` is undefined"]
            .assert_eq(&misspelt.validate().unwrap_err().to_string());

        assert_eq!(Templates::default().validate(), Ok(()));
    }

    #[test]
    fn a_failing_template_falls_back_to_the_default() {
        let templates = Templates {
            subject: "{{ severity.nope.deeper }}".into(),
            text: "ok".into(),
        };
        let r = templates.render_or_default(&sample_message());
        assert_eq!(
            r.subject,
            "[Firebreak] Paged: INC-42 Checkout unavailable (Critical)"
        );
    }

    #[test]
    fn templates_deserialize_with_defaults_and_refuse_unknown_keys() {
        let t: Templates = serde_json::from_str(r#"{"subject":"{{ incident_ref }}"}"#).unwrap();
        assert_eq!(t.text, DEFAULT_TEXT);
        assert!(serde_json::from_str::<Templates>(r#"{"body":"x"}"#).is_err());
    }

    #[test]
    fn event_labels() {
        let labels: Vec<String> = [
            "page",
            "notify",
            "escalation",
            "acknowledged",
            "test",
            "reminder",
            "",
        ]
        .into_iter()
        .map(event_label)
        .collect();
        expect![[r#"["Paged", "Notification", "Escalated", "Acknowledged", "Test notification", "Reminder", "Notification"]"#]]
            .assert_eq(&format!("{labels:?}"));
    }
}
