//! PagerDuty's Events API v2: alert events (`/v2/enqueue`) and change events
//! (`/v2/change/enqueue`).
//!
//! This module owns accepting what a tool configured to page through
//! PagerDuty sends, so that tool can point at Firebreak unchanged. It
//! validates the way PagerDuty does and reports problems in PagerDuty's
//! words, because such tools log PagerDuty's answer verbatim and their users
//! search for those strings. A refused event is answered with HTTP 400 and
//! [`InvalidEventResponse`]:
//!
//! ```json
//! {"status": "invalid event", "message": "Event object is invalid",
//!  "errors": ["'payload.summary' is missing or blank"]}
//! ```
//!
//! Every problem is collected, not just the first, as PagerDuty does.
//!
//! Severity maps onto the process's scale as `critical` → Critical,
//! `error` → High, `warning` → Medium, `info` → Low: PagerDuty's four levels
//! in order onto ours, so a tool's "critical" pages as our "critical".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use firebreak_core::Severity;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::json::type_name;
use crate::normalized::Link;
use crate::time::parse_iso8601;
use crate::{AlertStatus, NormalizedAlert, SourceKind};

/// Length of an integration ("routing") key.
pub const ROUTING_KEY_LEN: usize = 32;
/// Longest `dedup_key` PagerDuty accepts, in characters.
pub const DEDUP_KEY_MAX: usize = 255;
/// Longest `payload.summary` PagerDuty accepts, in characters.
pub const SUMMARY_MAX: usize = 1024;

/// What an alert event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    Trigger,
    Acknowledge,
    Resolve,
}

/// PagerDuty's severity levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSeverity {
    Critical,
    Error,
    Warning,
    Info,
}

impl EventSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSeverity::Critical => "critical",
            EventSeverity::Error => "error",
            EventSeverity::Warning => "warning",
            EventSeverity::Info => "info",
        }
    }

    /// The process's severity for this level; see the module docs.
    pub fn to_severity(self) -> Severity {
        match self {
            EventSeverity::Critical => Severity::Critical,
            EventSeverity::Error => Severity::High,
            EventSeverity::Warning => Severity::Medium,
            EventSeverity::Info => Severity::Low,
        }
    }
}

/// An alert event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub routing_key: String,
    pub event_action: EventAction,
    /// Required for `acknowledge` and `resolve`; PagerDuty generates one for
    /// a `trigger` without it.
    pub dedup_key: Option<String>,
    /// Present exactly for `trigger`: PagerDuty ignores the payload of
    /// acknowledge and resolve events, and so does this module.
    pub payload: Option<Payload>,
    pub images: Vec<Image>,
    pub links: Vec<EventLink>,
    pub client: Option<String>,
    pub client_url: Option<String>,
}

/// The PD-CEF payload of a trigger event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payload {
    pub summary: String,
    pub source: String,
    pub severity: EventSeverity,
    pub timestamp: Option<DateTime<Utc>>,
    pub component: Option<String>,
    pub group: Option<String>,
    pub class: Option<String>,
    pub custom_details: Option<Value>,
}

/// An image attached to a trigger event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub src: String,
    pub href: Option<String>,
    pub alt: Option<String>,
}

/// A link attached to an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventLink {
    pub href: String,
    pub text: Option<String>,
}

/// A change event: context for responders, never a page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeEvent {
    pub routing_key: String,
    pub payload: ChangePayload,
    pub links: Vec<EventLink>,
}

/// The payload of a change event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePayload {
    pub summary: String,
    pub source: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub custom_details: Option<Value>,
}

/// PagerDuty's body for HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PagerDutyInvalidEvent)]
pub struct InvalidEventResponse {
    /// `invalid event`.
    pub status: &'static str,
    /// `Event object is invalid`.
    pub message: &'static str,
    /// Every problem found, in PagerDuty's words.
    pub errors: Vec<String>,
}

impl InvalidEventResponse {
    pub fn new(errors: Vec<String>) -> Self {
        InvalidEventResponse {
            status: "invalid event",
            message: "Event object is invalid",
            errors,
        }
    }
}

/// PagerDuty's body for HTTP 202 to an alert event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PagerDutyAccepted)]
pub struct AcceptedResponse {
    /// `success`.
    pub status: &'static str,
    /// `Event processed`.
    pub message: &'static str,
    /// The event's `dedup_key`, or the one generated for it.
    pub dedup_key: String,
}

impl AcceptedResponse {
    pub fn new(dedup_key: impl Into<String>) -> Self {
        AcceptedResponse {
            status: "success",
            message: "Event processed",
            dedup_key: dedup_key.into(),
        }
    }
}

/// Collects problems while reading fields, in PagerDuty's wording.
struct Checker {
    errors: Vec<String>,
}

impl Checker {
    fn new() -> Self {
        Checker { errors: Vec::new() }
    }

    /// An optional string: absent and `null` are `None`.
    fn string(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.errors.push(format!(
                    "'{path}' is invalid (must be a string, not {})",
                    type_name(other)
                ));
                None
            }
        }
    }

    /// A required string that may not be blank.
    fn required(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        let present = obj.get(key).is_some_and(|v| !v.is_null());
        match self.string(obj, key, path) {
            Some(s) if !s.trim().is_empty() => Some(s),
            Some(_) => {
                self.errors.push(format!("'{path}' is missing or blank"));
                None
            }
            // A wrong type was reported by `string`.
            None if present => None,
            None => {
                self.errors.push(format!("'{path}' is missing or blank"));
                None
            }
        }
    }

    fn max_len(&mut self, value: Option<String>, path: &str, max: usize) -> Option<String> {
        let s = value?;
        if s.chars().count() > max {
            self.errors.push(format!(
                "'{path}' is too long (maximum is {max} characters)"
            ));
            return None;
        }
        Some(s)
    }

    fn routing_key(&mut self, obj: &Map<String, Value>) -> Option<String> {
        let key = self.required(obj, "routing_key", "routing_key")?;
        let before = self.errors.len();
        if key.chars().count() != ROUTING_KEY_LEN {
            self.errors.push(format!(
                "Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LEN} characters)"
            ));
        }
        if !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.errors
                .push("'routing_key' cannot contain non-alphanumeric characters.".to_owned());
        }
        (self.errors.len() == before).then_some(key)
    }

    fn timestamp(&mut self, obj: &Map<String, Value>, path: &str) -> Option<DateTime<Utc>> {
        let raw = self.string(obj, "timestamp", path)?;
        let parsed = parse_iso8601(&raw);
        if parsed.is_none() {
            self.errors.push(format!(
                "'{path}' is invalid (must be an ISO 8601 timestamp)"
            ));
        }
        parsed
    }

    fn custom_details(&mut self, obj: &Map<String, Value>) -> Option<Value> {
        obj.get("custom_details").filter(|v| !v.is_null()).cloned()
    }

    /// An optional array of objects; yields each object with its path.
    fn objects<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
    ) -> Vec<(String, &'a Map<String, Value>)> {
        match obj.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let path = format!("{key}[{i}]");
                    match item {
                        Value::Object(o) => Some((path, o)),
                        other => {
                            self.errors.push(format!(
                                "'{path}' is invalid (must be an object, not {})",
                                type_name(other)
                            ));
                            None
                        }
                    }
                })
                .collect(),
            Some(other) => {
                self.errors.push(format!(
                    "'{key}' is invalid (must be an array, not {})",
                    type_name(other)
                ));
                Vec::new()
            }
        }
    }

    fn links(&mut self, obj: &Map<String, Value>) -> Vec<EventLink> {
        self.objects(obj, "links")
            .into_iter()
            .filter_map(|(path, link)| {
                let href = self.required(link, "href", &format!("{path}.href"));
                let text = self.string(link, "text", &format!("{path}.text"));
                Some(EventLink { href: href?, text })
            })
            .collect()
    }

    fn images(&mut self, obj: &Map<String, Value>) -> Vec<Image> {
        self.objects(obj, "images")
            .into_iter()
            .filter_map(|(path, image)| {
                let src = self.required(image, "src", &format!("{path}.src"));
                let href = self.string(image, "href", &format!("{path}.href"));
                let alt = self.string(image, "alt", &format!("{path}.alt"));
                Some(Image {
                    src: src?,
                    href,
                    alt,
                })
            })
            .collect()
    }

    /// The payload object, or an error naming it.
    fn payload<'a>(&mut self, obj: &'a Map<String, Value>) -> Option<&'a Map<String, Value>> {
        match obj.get("payload") {
            Some(Value::Object(p)) => Some(p),
            None | Some(Value::Null) => {
                self.errors.push("'payload' is missing or blank".to_owned());
                None
            }
            Some(other) => {
                self.errors.push(format!(
                    "'payload' is invalid (must be an object, not {})",
                    type_name(other)
                ));
                None
            }
        }
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<String>> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            // Every path that yields `None` records why; the fallback only
            // guards against a future path that forgets to.
            _ if !self.errors.is_empty() => Err(self.errors),
            _ => Err(vec!["Event object is invalid".to_owned()]),
        }
    }
}

/// The body as a JSON object, or PagerDuty-style errors.
fn object(bytes: &[u8]) -> Result<Map<String, Value>, Vec<String>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(other) => Err(vec![format!(
            "Event object is invalid (must be a JSON object, not {})",
            type_name(&other)
        )]),
        Err(err) => Err(vec![format!("Event object is not valid JSON: {err}")]),
    }
}

/// Parses and validates an alert event (`/v2/enqueue`).
///
/// Checked as PagerDuty checks: `routing_key` present, 32 characters and
/// alphanumeric; `event_action` one of `trigger`, `acknowledge`, `resolve`;
/// `dedup_key` at most 255 characters and required for acknowledge and
/// resolve; for trigger, `payload.summary` (at most 1024 characters),
/// `payload.source` and `payload.severity` (one of `critical`, `error`,
/// `warning`, `info`, in lower case) present and not blank, `payload.timestamp`
/// ISO 8601 when present, each `images[].src` and `links[].href` present.
/// `custom_details` may be any JSON. The errors are PagerDuty's strings; see
/// [`InvalidEventResponse`].
pub fn parse_event(bytes: &[u8]) -> Result<Event, Vec<String>> {
    let obj = object(bytes)?;
    let mut c = Checker::new();

    let routing_key = c.routing_key(&obj);

    let present = obj.get("event_action").is_some_and(|v| !v.is_null());
    let event_action = match c.string(&obj, "event_action", "event_action").as_deref() {
        Some("trigger") => Some(EventAction::Trigger),
        Some("acknowledge") => Some(EventAction::Acknowledge),
        Some("resolve") => Some(EventAction::Resolve),
        Some(s) if s.trim().is_empty() => {
            c.errors
                .push("'event_action' is missing or blank".to_owned());
            None
        }
        Some(_) => {
            c.errors.push(
                "'event_action' is invalid (must be one of the following: 'trigger', \
                 'acknowledge' or 'resolve')"
                    .to_owned(),
            );
            None
        }
        None if present => None,
        None => {
            c.errors
                .push("'event_action' is missing or blank".to_owned());
            None
        }
    };

    let dedup_key = c
        .string(&obj, "dedup_key", "dedup_key")
        .filter(|s| !s.trim().is_empty());
    let dedup_key = c.max_len(dedup_key, "dedup_key", DEDUP_KEY_MAX);
    if matches!(
        event_action,
        Some(EventAction::Acknowledge | EventAction::Resolve)
    ) && dedup_key.is_none()
        && !c.errors.iter().any(|e| e.contains("'dedup_key'"))
    {
        c.errors.push("'dedup_key' is missing or blank".to_owned());
    }

    let (payload, images, links, client, client_url) = if event_action == Some(EventAction::Trigger)
    {
        let payload = trigger_payload(&mut c, &obj);
        let images = c.images(&obj);
        let links = c.links(&obj);
        let client = c.string(&obj, "client", "client");
        let client_url = c.string(&obj, "client_url", "client_url");
        (payload, images, links, client, client_url)
    } else {
        (None, Vec::new(), Vec::new(), None, None)
    };

    let event = match (routing_key, event_action) {
        (Some(routing_key), Some(event_action)) => Some(Event {
            routing_key,
            event_action,
            dedup_key,
            payload,
            images,
            links,
            client,
            client_url,
        }),
        _ => None,
    };
    c.finish(event)
}

fn trigger_payload(c: &mut Checker, obj: &Map<String, Value>) -> Option<Payload> {
    let Some(p) = c.payload(obj) else {
        // Say which fields are missing too, as a sender fixing the event
        // needs all three.
        for field in ["summary", "source", "severity"] {
            c.errors
                .push(format!("'payload.{field}' is missing or blank"));
        }
        return None;
    };

    let summary = c.required(p, "summary", "payload.summary");
    let summary = c.max_len(summary, "payload.summary", SUMMARY_MAX);
    let source = c.required(p, "source", "payload.source");
    let severity = match c.required(p, "severity", "payload.severity").as_deref() {
        Some("critical") => Some(EventSeverity::Critical),
        Some("error") => Some(EventSeverity::Error),
        Some("warning") => Some(EventSeverity::Warning),
        Some("info") => Some(EventSeverity::Info),
        Some(_) => {
            c.errors.push(
                "'payload.severity' is invalid (must be one of the following: 'critical', \
                 'warning', 'error' or 'info')"
                    .to_owned(),
            );
            None
        }
        None => None,
    };
    let timestamp = c.timestamp(p, "payload.timestamp");
    let component = c.string(p, "component", "payload.component");
    let group = c.string(p, "group", "payload.group");
    let class = c.string(p, "class", "payload.class");
    let custom_details = c.custom_details(p);

    Some(Payload {
        summary: summary?,
        source: source?,
        severity: severity?,
        timestamp,
        component,
        group,
        class,
        custom_details,
    })
}

/// Parses and validates a change event (`/v2/change/enqueue`): `routing_key`
/// as for alert events, `payload.summary` required (at most 1024
/// characters), `payload.source` and `payload.timestamp` optional,
/// `payload.custom_details` any JSON, `links[].href` required.
pub fn parse_change_event(bytes: &[u8]) -> Result<ChangeEvent, Vec<String>> {
    let obj = object(bytes)?;
    let mut c = Checker::new();

    let routing_key = c.routing_key(&obj);
    let payload = match c.payload(&obj) {
        Some(p) => {
            let summary = c.required(p, "summary", "payload.summary");
            let summary = c.max_len(summary, "payload.summary", SUMMARY_MAX);
            let source = c.string(p, "source", "payload.source");
            let timestamp = c.timestamp(p, "payload.timestamp");
            let custom_details = c.custom_details(p);
            summary.map(|summary| ChangePayload {
                summary,
                source,
                timestamp,
                custom_details,
            })
        }
        None => {
            c.errors
                .push("'payload.summary' is missing or blank".to_owned());
            None
        }
    };
    let links = c.links(&obj);

    let event = match (routing_key, payload) {
        (Some(routing_key), Some(payload)) => Some(ChangeEvent {
            routing_key,
            payload,
            links,
        }),
        _ => None,
    };
    c.finish(event)
}

/// Turns an alert event into a [`NormalizedAlert`].
///
/// `generated_dedup_key` is used when a trigger has no `dedup_key`: PagerDuty
/// then makes a fresh UUID, so every such trigger is a new alert, and this
/// crate has no randomness of its own; the caller passes a fresh key (and
/// returns it in [`AcceptedResponse`]).
///
/// For a trigger: `title` is the summary; `description` is `custom_details`
/// (a string as is, anything else as pretty JSON); `labels` hold `source`,
/// `severity` (PagerDuty's word), `component`, `group` and `class` when set;
/// `links` are the event's links, its images' targets and `client_url`.
/// Acknowledge and resolve carry only the key and the new status.
pub fn to_alert(event: &Event, generated_dedup_key: &str) -> NormalizedAlert {
    let dedup_key = event
        .dedup_key
        .clone()
        .unwrap_or_else(|| generated_dedup_key.to_owned());
    let status = match event.event_action {
        EventAction::Trigger => AlertStatus::Firing,
        EventAction::Acknowledge => AlertStatus::Acknowledged,
        EventAction::Resolve => AlertStatus::Resolved,
    };

    let mut alert = NormalizedAlert {
        source_kind: SourceKind::Pagerduty,
        title: format!("PagerDuty alert {dedup_key} {}", status.as_str()),
        dedup_key,
        description: String::new(),
        severity: None,
        status,
        labels: BTreeMap::new(),
        service: None,
        starts_at: None,
        ends_at: None,
        links: Vec::new(),
        fingerprint: None,
    };

    let Some(payload) = &event.payload else {
        return alert;
    };
    alert.title.clone_from(&payload.summary);
    alert.description = match &payload.custom_details {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    alert.severity = Some(payload.severity.to_severity());
    alert.starts_at = payload.timestamp;
    let labels = [
        ("source", Some(&payload.source)),
        ("component", payload.component.as_ref()),
        ("group", payload.group.as_ref()),
        ("class", payload.class.as_ref()),
    ];
    for (name, value) in labels {
        if let Some(value) = value {
            alert.labels.insert(name.to_owned(), value.clone());
        }
    }
    alert
        .labels
        .insert("severity".to_owned(), payload.severity.as_str().to_owned());

    for link in &event.links {
        alert.links.push(Link {
            href: link.href.clone(),
            text: link.text.clone(),
        });
    }
    for image in &event.images {
        alert.links.push(Link {
            href: image.href.clone().unwrap_or_else(|| image.src.clone()),
            text: Some(image.alt.clone().unwrap_or_else(|| "Image".to_owned())),
        });
    }
    if let Some(url) = &event.client_url {
        alert.links.push(Link {
            href: url.clone(),
            text: Some(event.client.clone().unwrap_or_else(|| "Client".to_owned())),
        });
    }
    alert
}

#[cfg(test)]
mod tests;
