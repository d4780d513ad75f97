//! The common shape every intake format is turned into, and the small pieces
//! of meaning the formats share: how a label set is fingerprinted and how a
//! tool's severity word maps onto the process's severities.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use firebreak_core::Severity;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which intake format an alert came in through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Alertmanager,
    Pagerduty,
    Grafana,
    Generic,
}

impl SourceKind {
    /// The name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Alertmanager => "alertmanager",
            SourceKind::Pagerduty => "pagerduty",
            SourceKind::Grafana => "grafana",
            SourceKind::Generic => "generic",
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the alert stands at its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Firing,
    Resolved,
    /// Only PagerDuty events carry this: someone is working on it upstream.
    Acknowledged,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
            AlertStatus::Acknowledged => "acknowledged",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        [
            AlertStatus::Firing,
            AlertStatus::Resolved,
            AlertStatus::Acknowledged,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A link the source attached to the alert (graph, runbook, dashboard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Link {
    pub(crate) fn new(href: impl Into<String>, text: &str) -> Self {
        Link {
            href: href.into(),
            text: Some(text.to_owned()),
        }
    }
}

/// One alert in the shape the server stores as a report.
///
/// `dedup_key` is unique per source: two alerts with the same
/// `(source_kind, dedup_key)` are the same problem seen again (or resolved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedAlert {
    pub source_kind: SourceKind,
    pub dedup_key: String,
    pub title: String,
    pub description: String,
    /// `None` when the source said nothing the process's scale can express;
    /// triage assigns one.
    pub severity: Option<Severity>,
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    pub service: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub links: Vec<Link>,
    /// The fingerprint as the source sent it (or as computed from the labels
    /// when the source left it out), kept for cross-referencing upstream.
    pub fingerprint: Option<String>,
}

/// Maps a severity word used by monitoring tools onto the process's scale.
///
/// Case and surrounding whitespace are ignored. The table:
///
/// | words | severity |
/// | --- | --- |
/// | `critical`, `crit`, `fatal`, `emergency` | Critical |
/// | `high`, `error`, `err`, `major` | High |
/// | `medium`, `warning`, `warn`, `minor` | Medium |
/// | `low`, `info`, `informational`, `notice` | Low |
///
/// Anything else (including kube-prometheus's `none`) gives `None`: guessing
/// a severity would skip the triage step that is supposed to assign it.
pub fn severity_from_label(value: &str) -> Option<Severity> {
    let word = value.trim().to_ascii_lowercase();
    match word.as_str() {
        "critical" | "crit" | "fatal" | "emergency" => Some(Severity::Critical),
        "high" | "error" | "err" | "major" => Some(Severity::High),
        "medium" | "warning" | "warn" | "minor" => Some(Severity::Medium),
        "low" | "info" | "informational" | "notice" => Some(Severity::Low),
        _ => None,
    }
}

/// The fingerprint Alertmanager gives a label set, as 16 lowercase hex
/// digits.
///
/// This is the exact algorithm of Prometheus' `model.LabelSet.Fingerprint`
/// (which Alertmanager puts in the webhook's `fingerprint` and Grafana copies):
/// 64-bit FNV-1a over the label names in byte order, each name followed by
/// the byte 0xFF, its value, and 0xFF again; printed with `%016x`. Using the
/// same function means an alert whose sender left the fingerprint out still
/// deduplicates with the same alert sent with one.
pub fn labels_fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    const SEPARATOR: u8 = 0xFF;

    fn add(mut hash: u64, bytes: &[u8]) -> u64 {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(PRIME);
        }
        hash
    }

    // A BTreeMap iterates in byte order of the keys, which is Go's
    // `sort.Strings` order for the label names.
    let hash = labels.iter().fold(OFFSET, |hash, (name, value)| {
        let hash = add(hash, name.as_bytes());
        let hash = add(hash, &[SEPARATOR]);
        let hash = add(hash, value.as_bytes());
        add(hash, &[SEPARATOR])
    });
    format!("{hash:016x}")
}

/// The first 16 hex digits of the SHA-256 of `parts` joined by NUL bytes:
/// a stable key for things that carry no identifier of their own.
pub(crate) fn short_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update([0u8]);
        }
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = hex::encode(digest);
    out.truncate(16);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn fingerprint_matches_prometheus_test_vectors() {
        // The vectors of prometheus/common's model/signature_test.go.
        let cases: &[(&[(&str, &str)], u64)] = &[
            (&[], 14_695_981_039_346_656_037),
            (
                &[("name", "garland, briggs"), ("fear", "love is not enough")],
                5_799_056_148_416_392_346,
            ),
            (
                &[("first-label", "first-label-value")],
                5_146_282_821_936_882_169,
            ),
            (
                &[
                    ("first-label", "first-label-value"),
                    ("second-label", "second-label-value"),
                ],
                3_195_800_080_984_914_717,
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                labels_fingerprint(&labels(pairs)),
                format!("{expected:016x}"),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn fingerprint_is_order_independent_and_sensitive_to_values() {
        let a = labels(&[("alertname", "HighLatency"), ("env", "prod")]);
        let b = labels(&[("env", "prod"), ("alertname", "HighLatency")]);
        let c = labels(&[("alertname", "HighLatency"), ("env", "staging")]);
        assert_eq!(labels_fingerprint(&a), labels_fingerprint(&b));
        assert_ne!(labels_fingerprint(&a), labels_fingerprint(&c));
        assert_eq!(labels_fingerprint(&a).len(), 16);
    }

    #[test]
    fn severity_words() {
        let cases = [
            ("critical", Some(Severity::Critical)),
            (" CRITICAL ", Some(Severity::Critical)),
            ("error", Some(Severity::High)),
            ("high", Some(Severity::High)),
            ("warning", Some(Severity::Medium)),
            ("Warn", Some(Severity::Medium)),
            ("info", Some(Severity::Low)),
            ("low", Some(Severity::Low)),
            ("none", None),
            ("", None),
            ("p1", None),
        ];
        for (word, expected) in cases {
            assert_eq!(severity_from_label(word), expected, "{word:?}");
        }
    }

    #[test]
    fn short_hash_separates_parts() {
        assert_ne!(short_hash(&["ab", "c"]), short_hash(&["a", "bc"]));
        assert_eq!(short_hash(&["x"]).len(), 16);
    }
}
