//! A generic JSON webhook, read through an admin-written [`Mapping`].
//!
//! This module owns intake from tools that have no format of their own here:
//! an admin says, with RFC 6901 JSON pointers, where in the tool's JSON the
//! title, severity, dedup key, service, description and status are, and
//! [`apply`] builds a [`NormalizedAlert`] from any payload. [`explain`]
//! shows the admin what each pointer found, for the mapping's test button.
//!
//! ```json
//! {
//!   "title": "/alert/name",
//!   "severity": "/alert/priority",
//!   "severity_map": {"P1": "critical", "P2": "high", "P3": "medium"},
//!   "dedup_key": "/alert/id",
//!   "service": "/service/name",
//!   "description": "/alert/details",
//!   "status": "/alert/state",
//!   "resolved_values": ["closed", "recovered"]
//! }
//! ```

use std::collections::BTreeMap;

use firebreak_core::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{scalar_text, type_name};
use crate::normalized::short_hash;
use crate::{AlertStatus, NormalizedAlert, SourceKind};

/// Where an alert's fields are in a tool's JSON. Every `String` pointer is
/// an RFC 6901 JSON pointer (`""` is the whole document, `/a/0/b~1c` is
/// `a`, its first element, its key `b/c`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "/alert/name",
    "severity": "/alert/priority",
    "severity_map": {"P1": "critical", "P2": "high", "P3": "medium"},
    "dedup_key": "/alert/id",
    "status": "/alert/state",
    "resolved_values": ["closed", "recovered"]
}))]
pub struct Mapping {
    /// Must resolve to a non-empty scalar.
    pub title: String,
    /// The raw severity value, looked up in `severity_map`.
    #[serde(default)]
    pub severity: Option<String>,
    /// Raw severity value (as text) → severity. A raw value missing from the
    /// map is tried as one of Firebreak's names (`critical`, `high`,
    /// `medium`, `low`, any case) and otherwise leaves the severity unset
    /// for triage.
    #[serde(default)]
    pub severity_map: BTreeMap<String, Severity>,
    /// Must resolve when configured. Without it the key is a hash of the
    /// title, so the same title is the same alert.
    #[serde(default)]
    pub dedup_key: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The raw status value, compared with `resolved_values`.
    #[serde(default)]
    pub status: Option<String>,
    /// Status values (compared as text, ignoring ASCII case and surrounding
    /// whitespace) that mean the alert is resolved. Any other value, or none,
    /// means firing.
    #[serde(default)]
    pub resolved_values: Vec<String>,
}

/// Why a mapping or a payload could not make an alert. `field` is the
/// mapping field (`title`, `severity`, ...) and `pointer` its pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("`{field}`: {pointer:?} is not a JSON pointer (RFC 6901): {reason}")]
    InvalidPointer {
        field: String,
        pointer: String,
        reason: String,
    },
    #[error("`{field}`: {reason}")]
    Inconsistent { field: String, reason: String },
    #[error("`{field}`: pointer {pointer:?} did not resolve in the payload")]
    Unresolved { field: String, pointer: String },
    #[error(
        "`{field}`: pointer {pointer:?} resolved to {found}; expected a string, number or boolean"
    )]
    NotScalar {
        field: String,
        pointer: String,
        found: String,
    },
    #[error("`{field}`: pointer {pointer:?} resolved to an empty value")]
    Empty { field: String, pointer: String },
}

/// Checks that `pointer` is an RFC 6901 JSON pointer: empty, or `/` followed
/// by reference tokens in which `~` only appears as `~0` or `~1`.
fn check_pointer(field: &str, pointer: &str) -> Result<(), MappingError> {
    let invalid = |reason: &str| MappingError::InvalidPointer {
        field: field.to_owned(),
        pointer: pointer.to_owned(),
        reason: reason.to_owned(),
    };
    if pointer.is_empty() {
        return Ok(());
    }
    if !pointer.starts_with('/') {
        return Err(invalid("must be empty or start with '/'"));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(invalid("'~' must be followed by '0' or '1'"));
        }
    }
    Ok(())
}

impl Mapping {
    /// The configured pointers, by mapping field name.
    fn pointers(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("title", Some(self.title.as_str())),
            ("severity", self.severity.as_deref()),
            ("dedup_key", self.dedup_key.as_deref()),
            ("service", self.service.as_deref()),
            ("description", self.description.as_deref()),
            ("status", self.status.as_deref()),
        ]
    }

    /// Checks every pointer's syntax, and that `severity_map` and
    /// `resolved_values` are not set without the pointer they apply to.
    pub fn validate(&self) -> Result<(), MappingError> {
        for (field, pointer) in self.pointers() {
            if let Some(pointer) = pointer {
                check_pointer(field, pointer)?;
            }
        }
        if self.severity.is_none() && !self.severity_map.is_empty() {
            return Err(MappingError::Inconsistent {
                field: "severity_map".to_owned(),
                reason: "set without a `severity` pointer to read the value from".to_owned(),
            });
        }
        if self.status.is_none() && !self.resolved_values.is_empty() {
            return Err(MappingError::Inconsistent {
                field: "resolved_values".to_owned(),
                reason: "set without a `status` pointer to read the value from".to_owned(),
            });
        }
        Ok(())
    }

    fn severity_of(&self, raw: &str) -> Option<Severity> {
        self.severity_map.get(raw).copied().or_else(|| {
            Severity::ALL
                .iter()
                .copied()
                .find(|s| s.as_str().eq_ignore_ascii_case(raw.trim()))
        })
    }

    fn is_resolved(&self, raw: &str) -> bool {
        self.resolved_values
            .iter()
            .any(|v| v.trim().eq_ignore_ascii_case(raw.trim()))
    }
}

/// What one pointer resolved to, for [`explain`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldTrace {
    pub field: &'static str,
    pub pointer: Option<String>,
    /// The JSON value the pointer found, if it found one.
    pub resolved: Option<Value>,
    /// What was made of it, in words for the admin.
    pub outcome: String,
}

/// [`explain`]'s answer: the trace of every field, and the alert or the
/// error [`apply`] gives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub fields: Vec<FieldTrace>,
    pub alert: Option<NormalizedAlert>,
    pub error: Option<String>,
}

/// A pointer's scalar value as text: `Ok(None)` when it did not resolve or
/// found `null`.
fn resolve(payload: &Value, field: &str, pointer: &str) -> Result<Option<String>, MappingError> {
    match payload.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => scalar_text(value)
            .map(Some)
            .ok_or_else(|| MappingError::NotScalar {
                field: field.to_owned(),
                pointer: pointer.to_owned(),
                found: type_name(value).to_owned(),
            }),
    }
}

/// Like [`resolve`], but an unresolved or blank value is an error.
fn require(payload: &Value, field: &str, pointer: &str) -> Result<String, MappingError> {
    match resolve(payload, field, pointer)? {
        None => Err(MappingError::Unresolved {
            field: field.to_owned(),
            pointer: pointer.to_owned(),
        }),
        Some(s) if s.trim().is_empty() => Err(MappingError::Empty {
            field: field.to_owned(),
            pointer: pointer.to_owned(),
        }),
        Some(s) => Ok(s),
    }
}

/// Like [`resolve`] for an optional field: not configured, unresolved and
/// blank are all `None`, because a tool's "resolved" message often carries
/// less than its "firing" one and refusing it would leave the report open.
fn optional(
    payload: &Value,
    field: &str,
    pointer: Option<&str>,
) -> Result<Option<String>, MappingError> {
    let Some(pointer) = pointer else {
        return Ok(None);
    };
    Ok(resolve(payload, field, pointer)?.filter(|s| !s.trim().is_empty()))
}

/// Builds an alert from `payload` through `mapping`.
///
/// `title` must resolve to a non-empty scalar, and so must `dedup_key` when
/// configured; the other pointers may fail to resolve (the field is then
/// unset). A pointer that finds an array or object is an error: the admin
/// pointed at the wrong level. The raw values of `severity`, `service` and
/// `status` are also put in `labels` under those names, so routing rules can
/// match on them.
pub fn apply(mapping: &Mapping, payload: &Value) -> Result<NormalizedAlert, MappingError> {
    mapping.validate()?;

    let title = require(payload, "title", &mapping.title)?;
    let dedup_key = match &mapping.dedup_key {
        Some(pointer) => require(payload, "dedup_key", pointer)?,
        None => short_hash(&[&title]),
    };
    let raw_severity = optional(payload, "severity", mapping.severity.as_deref())?;
    let service = optional(payload, "service", mapping.service.as_deref())?;
    let description = optional(payload, "description", mapping.description.as_deref())?;
    let raw_status = optional(payload, "status", mapping.status.as_deref())?;

    let mut labels = BTreeMap::new();
    for (name, value) in [
        ("severity", &raw_severity),
        ("service", &service),
        ("status", &raw_status),
    ] {
        if let Some(value) = value {
            labels.insert(name.to_owned(), value.clone());
        }
    }

    Ok(NormalizedAlert {
        source_kind: SourceKind::Generic,
        dedup_key,
        title,
        description: description.unwrap_or_default(),
        severity: raw_severity.as_deref().and_then(|s| mapping.severity_of(s)),
        status: match raw_status.as_deref() {
            Some(s) if mapping.is_resolved(s) => AlertStatus::Resolved,
            _ => AlertStatus::Firing,
        },
        labels,
        service,
        starts_at: None,
        ends_at: None,
        links: Vec::new(),
        fingerprint: None,
    })
}

/// What each of the mapping's pointers resolves to in `payload`, and what
/// [`apply`] makes of it: the answer to an admin testing a mapping against a
/// sample payload.
pub fn explain(mapping: &Mapping, payload: &Value) -> Explanation {
    let fields = mapping
        .pointers()
        .into_iter()
        .map(|(field, pointer)| {
            let Some(pointer) = pointer else {
                let outcome = match field {
                    "dedup_key" => "not configured; the key is a hash of the title",
                    "status" => "not configured; alerts are always firing",
                    _ => "not configured",
                };
                return FieldTrace {
                    field,
                    pointer: None,
                    resolved: None,
                    outcome: outcome.to_owned(),
                };
            };
            if let Err(err) = check_pointer(field, pointer) {
                return FieldTrace {
                    field,
                    pointer: Some(pointer.to_owned()),
                    resolved: None,
                    outcome: err.to_string(),
                };
            }
            let resolved = payload.pointer(pointer).cloned();
            let outcome = match (&resolved, resolve(payload, field, pointer)) {
                (None, _) => "did not resolve".to_owned(),
                (Some(_), Err(err)) => err.to_string(),
                (Some(_), Ok(None)) => "resolved to null".to_owned(),
                (Some(_), Ok(Some(text))) => match field {
                    "severity" => match mapping.severity_of(&text) {
                        Some(s) => format!("{text:?} maps to severity {s}"),
                        None => format!(
                            "{text:?} is not in severity_map nor a severity name; severity left unset"
                        ),
                    },
                    "status" if mapping.is_resolved(&text) => {
                        format!("{text:?} is a resolved value: resolved")
                    }
                    "status" => format!("{text:?} is not a resolved value: firing"),
                    _ => format!("{text:?}"),
                },
            };
            FieldTrace {
                field,
                pointer: Some(pointer.to_owned()),
                resolved,
                outcome,
            }
        })
        .collect();

    let (alert, error) = match apply(mapping, payload) {
        Ok(alert) => (Some(alert), None),
        Err(err) => (None, Some(err.to_string())),
    };
    Explanation {
        fields,
        alert,
        error,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use serde_json::json;

    use super::*;

    fn mapping() -> Mapping {
        serde_json::from_value(json!({
            "title": "/alert/name",
            "severity": "/alert/priority",
            "severity_map": {"P1": "critical", "P2": "high", "P3": "medium"},
            "dedup_key": "/alert/id",
            "service": "/service/name",
            "description": "/alert/details",
            "status": "/alert/state",
            "resolved_values": ["closed", "Recovered"]
        }))
        .unwrap()
    }

    fn payload() -> Value {
        json!({
            "alert": {
                "id": 48213,
                "name": "Checkout 5xx above 5%",
                "priority": "P1",
                "details": "5xx at 12% for 10 minutes",
                "state": "open"
            },
            "service": {"name": "checkout"}
        })
    }

    #[test]
    fn applies_a_full_mapping() {
        let alert = apply(&mapping(), &payload()).unwrap();
        assert_eq!(alert.source_kind, SourceKind::Generic);
        assert_eq!(alert.dedup_key, "48213");
        assert_eq!(alert.title, "Checkout 5xx above 5%");
        assert_eq!(alert.description, "5xx at 12% for 10 minutes");
        assert_eq!(alert.severity, Some(Severity::Critical));
        assert_eq!(alert.service.as_deref(), Some("checkout"));
        assert_eq!(alert.status, AlertStatus::Firing);
        assert_eq!(alert.labels["severity"], "P1");
        assert_eq!(alert.labels["status"], "open");
    }

    #[test]
    fn status_and_severity_tables() {
        let cases = [
            ("closed", AlertStatus::Resolved),
            (" CLOSED ", AlertStatus::Resolved),
            ("recovered", AlertStatus::Resolved),
            ("open", AlertStatus::Firing),
            ("", AlertStatus::Firing),
        ];
        for (state, expected) in cases {
            let mut p = payload();
            p["alert"]["state"] = json!(state);
            assert_eq!(apply(&mapping(), &p).unwrap().status, expected, "{state:?}");
        }
        let cases = [
            (json!("P2"), Some(Severity::High)),
            (json!("P3"), Some(Severity::Medium)),
            (json!("p1"), None),
            (json!("LOW"), Some(Severity::Low)),
            (json!("P9"), None),
            (json!(2), None),
            (Value::Null, None),
        ];
        for (raw, expected) in cases {
            let mut p = payload();
            p["alert"]["priority"] = raw.clone();
            assert_eq!(apply(&mapping(), &p).unwrap().severity, expected, "{raw}");
        }
    }

    #[test]
    fn minimal_mapping_hashes_the_title() {
        let m: Mapping = serde_json::from_value(json!({"title": "/msg"})).unwrap();
        let a = apply(&m, &json!({"msg": "disk full"})).unwrap();
        let b = apply(&m, &json!({"msg": "disk full", "other": 1})).unwrap();
        let c = apply(&m, &json!({"msg": "disk empty"})).unwrap();
        assert_eq!(a.dedup_key, b.dedup_key);
        assert_ne!(a.dedup_key, c.dedup_key);
        assert_eq!(a.status, AlertStatus::Firing);
        assert_eq!(a.severity, None);
    }

    #[test]
    fn whole_document_and_escaped_pointers() {
        let m: Mapping = serde_json::from_value(json!({
            "title": "/a~1b/m~0n", "dedup_key": "/list/1"
        }))
        .unwrap();
        let p = json!({"a/b": {"m~n": "escaped"}, "list": ["x", true]});
        let alert = apply(&m, &p).unwrap();
        assert_eq!(alert.title, "escaped");
        assert_eq!(alert.dedup_key, "true");
        let m: Mapping = serde_json::from_value(json!({"title": ""})).unwrap();
        assert_eq!(
            apply(&m, &json!("plain text body")).unwrap().title,
            "plain text body"
        );
    }

    #[test]
    fn errors_name_the_field_and_pointer() {
        let cases: &[(Value, &str)] = &[
            (
                json!({"alert": {}}),
                "`title`: pointer \"/alert/name\" did not resolve",
            ),
            (
                json!({"alert": {"name": "  "}}),
                "`title`: pointer \"/alert/name\" resolved to an empty value",
            ),
            (
                json!({"alert": {"name": {"text": "x"}}}),
                "`title`: pointer \"/alert/name\" resolved to an object",
            ),
            (
                json!({"alert": {"name": "x"}}),
                "`dedup_key`: pointer \"/alert/id\" did not resolve",
            ),
            (
                json!({"alert": {"name": "x", "id": 1, "priority": ["P1"]}}),
                "`severity`: pointer \"/alert/priority\" resolved to an array",
            ),
            (
                json!([1, 2]),
                "`title`: pointer \"/alert/name\" did not resolve",
            ),
        ];
        for (p, expected) in cases {
            let err = apply(&mapping(), p).unwrap_err();
            assert!(err.to_string().starts_with(expected), "{err} vs {expected}");
        }
    }

    #[test]
    fn optional_pointers_may_be_missing() {
        let p = json!({"alert": {"id": "a-1", "name": "x"}});
        let alert = apply(&mapping(), &p).unwrap();
        assert_eq!(alert.severity, None);
        assert_eq!(alert.service, None);
        assert_eq!(alert.description, "");
        assert_eq!(alert.status, AlertStatus::Firing);
        assert!(alert.labels.is_empty());
    }

    #[test]
    fn validate_checks_pointers() {
        let bad: &[(Value, &str)] = &[
            (json!({"title": "alert/name"}), "title"),
            (json!({"title": "/a", "severity": "priority"}), "severity"),
            (json!({"title": "/a~2b"}), "title"),
            (json!({"title": "/a~"}), "title"),
            (json!({"title": "/a", "status": "#/state"}), "status"),
            (
                json!({"title": "/a", "severity_map": {"x": "low"}}),
                "severity_map",
            ),
            (
                json!({"title": "/a", "resolved_values": ["ok"]}),
                "resolved_values",
            ),
        ];
        for (m, field) in bad {
            let m: Mapping = serde_json::from_value(m.clone()).unwrap();
            let err = m.validate().unwrap_err();
            assert!(err.to_string().starts_with(&format!("`{field}`")), "{err}");
            // `apply` refuses an invalid mapping the same way.
            assert_eq!(apply(&m, &payload()).unwrap_err(), err);
        }
        assert!(mapping().validate().is_ok());
    }

    #[test]
    fn mapping_rejects_unknown_fields_and_bad_severities() {
        let unknown = serde_json::from_value::<Mapping>(json!({"title": "/a", "titel": "/b"}));
        assert!(unknown.unwrap_err().to_string().contains("titel"));
        let bad = serde_json::from_value::<Mapping>(
            json!({"title": "/a", "severity": "/s", "severity_map": {"P1": "urgent"}}),
        );
        assert!(bad.is_err());
        assert!(serde_json::from_value::<Mapping>(json!({})).is_err());
    }

    #[test]
    fn explain_traces_every_field() {
        let mut p = payload();
        p["alert"]["priority"] = json!("P7");
        p["alert"]["state"] = json!("closed");
        p.as_object_mut().unwrap().remove("service");
        let e = explain(&mapping(), &p);
        assert!(e.error.is_none());
        let outcome = |field: &str| {
            e.fields
                .iter()
                .find(|f| f.field == field)
                .unwrap()
                .outcome
                .clone()
        };
        assert_eq!(outcome("title"), "\"Checkout 5xx above 5%\"");
        assert!(outcome("severity").contains("severity left unset"));
        assert_eq!(outcome("service"), "did not resolve");
        assert!(outcome("status").ends_with("resolved"));
        assert_eq!(e.alert.unwrap().status, AlertStatus::Resolved);

        let m: Mapping = serde_json::from_value(json!({"title": "/nope"})).unwrap();
        let e = explain(&m, &p);
        assert!(e.alert.is_none());
        assert!(e.error.unwrap().contains("/nope"));
        assert_eq!(e.fields[0].outcome, "did not resolve");
        assert!(e.fields[2].outcome.contains("hash of the title"));
    }
}
