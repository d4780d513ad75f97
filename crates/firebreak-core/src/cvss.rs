//! CVSS: a vulnerability's vector string parsed and scored, so a disclosure
//! gets its severity from the researcher's or the team's CVSS vector (issue
//! 12, item 5). [`crate::disclosure::SeverityBands`] maps the score to
//! Firebreak's severity.
//!
//! Scoring is the RustSec `cvss` crate's (CVSS v3.0, v3.1 and, with its `v4`
//! feature, v4.0). Its parser forgives what a record should not keep (a
//! missing v3 metric, a repeated one, lower-case values) and its errors do
//! not always say which metric is at fault, so [`score`] first checks the
//! vector's shape itself: the `CVSS:x.y/` prefix, `KEY:VALUE` pairs, every
//! mandatory base metric present exactly once with one of its values. Its
//! error then names the metric, and the API's problem body can too.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::disclosure::SeverityBands;
use crate::severity::Severity;

/// The longest vector accepted (a full v4.0 vector with every optional
/// metric is under 300 characters).
pub const MAX_VECTOR_LEN: usize = 512;

/// Which CVSS specification a vector follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum CvssVersion {
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4_0,
}

impl CvssVersion {
    /// The version as written after `CVSS:` in a vector.
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }

    /// The mandatory base metrics of this version, in the specification's
    /// order, with their allowed values.
    fn base_metrics(self) -> &'static [(&'static str, &'static str, &'static [&'static str])] {
        match self {
            CvssVersion::V3_0 | CvssVersion::V3_1 => V3_BASE,
            CvssVersion::V4_0 => V4_BASE,
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// (abbreviation, name, values) of the CVSS v3.x base metrics.
const V3_BASE: &[(&str, &str, &[&str])] = &[
    ("AV", "Attack Vector", &["N", "A", "L", "P"]),
    ("AC", "Attack Complexity", &["L", "H"]),
    ("PR", "Privileges Required", &["N", "L", "H"]),
    ("UI", "User Interaction", &["N", "R"]),
    ("S", "Scope", &["U", "C"]),
    ("C", "Confidentiality", &["H", "L", "N"]),
    ("I", "Integrity", &["H", "L", "N"]),
    ("A", "Availability", &["H", "L", "N"]),
];

/// (abbreviation, name, values) of the CVSS v4.0 base metrics.
const V4_BASE: &[(&str, &str, &[&str])] = &[
    ("AV", "Attack Vector", &["N", "A", "L", "P"]),
    ("AC", "Attack Complexity", &["L", "H"]),
    ("AT", "Attack Requirements", &["N", "P"]),
    ("PR", "Privileges Required", &["N", "L", "H"]),
    ("UI", "User Interaction", &["N", "P", "A"]),
    ("VC", "Vulnerable System Confidentiality", &["H", "L", "N"]),
    ("VI", "Vulnerable System Integrity", &["H", "L", "N"]),
    ("VA", "Vulnerable System Availability", &["H", "L", "N"]),
    ("SC", "Subsequent System Confidentiality", &["H", "L", "N"]),
    ("SI", "Subsequent System Integrity", &["H", "L", "N"]),
    ("SA", "Subsequent System Availability", &["H", "L", "N"]),
];

/// The v4.0 metrics beyond the base ones (threat, environmental,
/// supplemental); their values are checked by the scoring crate.
const V4_OTHER: &[&str] = &[
    "E", "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI",
    "MSA", "S", "AU", "R", "V", "RE", "U",
];

/// A scored CVSS vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cvss {
    pub version: CvssVersion,
    /// The vector as given (surrounding whitespace removed).
    pub vector: String,
    /// The score × 10: 9.8 is 98.
    pub score_tenths: i64,
}

impl Cvss {
    /// The score as written: `9.8`.
    pub fn score_text(&self) -> String {
        format_score(self.score_tenths)
    }

    /// Firebreak's severity for this score under `bands`.
    pub fn severity(&self, bands: &SeverityBands) -> Severity {
        bands.severity(self.score_tenths)
    }
}

/// A score in tenths written with one decimal: 98 → `9.8`, 100 → `10.0`.
pub fn format_score(score_tenths: i64) -> String {
    format!("{}.{}", score_tenths / 10, (score_tenths % 10).abs())
}

/// Why a vector was refused: the metric at fault (its abbreviation, e.g.
/// `A`), when one is, and a sentence saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CvssError {
    pub metric: Option<String>,
    pub message: String,
}

impl CvssError {
    fn metric(metric: &str, message: String) -> Self {
        CvssError {
            metric: Some(metric.to_owned()),
            message,
        }
    }

    fn general(message: impl Into<String>) -> Self {
        CvssError {
            metric: None,
            message: message.into(),
        }
    }
}

/// Parses and scores a CVSS v3.0, v3.1 or v4.0 vector
/// (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H` → 9.8). For v4.0 the
/// score is of every metric given (CVSS-B for a base vector, CVSS-BT or
/// -BTE with threat or environmental metrics). A refused vector's error
/// names the metric at fault.
pub fn score(vector: &str) -> Result<Cvss, CvssError> {
    let vector = vector.trim();
    if vector.is_empty() {
        return Err(CvssError::general(
            "the CVSS vector is empty; give one such as CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ));
    }
    if vector.len() > MAX_VECTOR_LEN {
        return Err(CvssError::general(format!(
            "the CVSS vector is longer than {MAX_VECTOR_LEN} characters"
        )));
    }
    let version = check(vector)?;
    let value = match version {
        CvssVersion::V3_0 | CvssVersion::V3_1 => cvss::v3::Base::from_str(vector)
            .map_err(crate_error)?
            .score()
            .value(),
        CvssVersion::V4_0 => cvss::v4::Vector::from_str(vector)
            .map_err(crate_error)?
            .score()
            .value(),
    };
    if !(0.0..=10.0).contains(&value) {
        return Err(CvssError::general(format!(
            "the CVSS vector scored {value}, outside 0.0–10.0"
        )));
    }
    Ok(Cvss {
        version,
        vector: vector.to_owned(),
        score_tenths: (value * 10.0).round() as i64,
    })
}

/// The vector's shape, checked before scoring: returns its version.
fn check(vector: &str) -> Result<CvssVersion, CvssError> {
    let mut parts = vector.split('/');
    let prefix = parts.next().unwrap_or_default();
    let version = match prefix {
        "CVSS:3.0" => CvssVersion::V3_0,
        "CVSS:3.1" => CvssVersion::V3_1,
        "CVSS:4.0" => CvssVersion::V4_0,
        _ => {
            return Err(CvssError::general(format!(
                "the CVSS vector must start with CVSS:3.1/, CVSS:3.0/ or CVSS:4.0/, not `{}`",
                shorten(prefix)
            )));
        }
    };
    let base = version.base_metrics();
    let mut seen: Vec<&str> = Vec::new();
    for part in parts {
        let Some((key, value)) = part.split_once(':') else {
            return Err(CvssError::general(format!(
                "`{}` in the CVSS vector is not a METRIC:VALUE pair",
                shorten(part)
            )));
        };
        if value.contains(':') || key.is_empty() || value.is_empty() {
            return Err(CvssError::general(format!(
                "`{}` in the CVSS vector is not a METRIC:VALUE pair",
                shorten(part)
            )));
        }
        if seen.contains(&key) {
            return Err(CvssError::metric(
                key,
                format!("metric {key} appears more than once in the CVSS vector"),
            ));
        }
        if let Some((_, name, values)) = base.iter().find(|(k, _, _)| *k == key) {
            if !values.contains(&value) {
                return Err(CvssError::metric(
                    key,
                    format!(
                        "metric {key} ({name}) has the value `{}`; CVSS {version} allows {}",
                        shorten(value),
                        values.join(", ")
                    ),
                ));
            }
        } else if version == CvssVersion::V4_0 && V4_OTHER.contains(&key) {
            // Checked by the scoring crate below; its error names it.
        } else if version != CvssVersion::V4_0 && V3_NOT_SCORED.contains(&key) {
            return Err(CvssError::metric(
                key,
                format!(
                    "metric {key} is a temporal or environmental metric; only the base \
                     metrics of a CVSS {version} vector are scored here, so leave it out"
                ),
            ));
        } else {
            return Err(CvssError::metric(
                key,
                format!("`{}` is not a CVSS {version} metric", shorten(key)),
            ));
        }
        seen.push(key);
    }
    for (key, name, _) in base {
        if !seen.contains(key) {
            return Err(CvssError::metric(
                key,
                format!("the CVSS {version} vector lacks the mandatory metric {key} ({name})"),
            ));
        }
    }
    Ok(version)
}

/// The v3.x temporal and environmental metrics, which the scoring crate
/// does not score.
const V3_NOT_SCORED: &[&str] = &[
    "E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
];

/// The scoring crate's error as ours, naming the metric where it does.
fn crate_error(e: cvss::Error) -> CvssError {
    let message = format!("the CVSS vector is invalid: {e}");
    match &e {
        cvss::Error::InvalidMetricV4 { metric_type, .. }
        | cvss::Error::DuplicateMetricV4 { metric_type }
        | cvss::Error::MissingMandatoryMetricV4 { metric_type } => {
            CvssError::metric(metric_type.name(), message)
        }
        cvss::Error::InvalidMetric { metric_type, .. } => {
            CvssError::metric(metric_type.name(), message)
        }
        cvss::Error::UnknownMetric { name } => CvssError::metric(&shorten(name), message),
        _ => CvssError::general(message),
    }
}

/// Text quoted back in an error, cut to a readable length.
fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

    #[test]
    fn the_issue_example_scores_9_8_and_is_critical() {
        let c = score(CRITICAL).unwrap();
        assert_eq!(c.version, CvssVersion::V3_1);
        assert_eq!(c.vector, CRITICAL);
        assert_eq!(c.score_tenths, 98);
        assert_eq!(c.score_text(), "9.8");
        assert_eq!(c.severity(&SeverityBands::default()), Severity::Critical);
    }

    #[test]
    fn a_missing_metric_is_named() {
        let e = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("A"));
        assert!(e.to_string().contains("A (Availability)"), "{e}");

        let e = score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("SA"));
    }

    #[test]
    fn a_bad_value_is_named() {
        let e = score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("AV"));
        assert!(e.to_string().contains("`X`"), "{e}");
        // Values are case-sensitive in the specification.
        let e = score("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("AV"));
        // A v3 value that v4 does not have.
        let e =
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("UI"));
        // A v4 threat metric with a bad value: the crate's error, named.
        let e = score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q")
            .unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("E"));
    }

    #[test]
    fn a_repeated_metric_is_named() {
        let e = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/C:L").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("C"));
        assert!(e.to_string().contains("more than once"), "{e}");
    }

    #[test]
    fn unknown_prefixes_and_metrics_are_refused() {
        for bad in [
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C",
            "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1",
        ] {
            let e = score(bad).unwrap_err();
            if bad == "CVSS:3.1" {
                assert_eq!(e.metric.as_deref(), Some("AV"), "{bad}");
            } else {
                assert_eq!(e.metric, None, "{bad}");
                assert!(e.to_string().contains("must start with"), "{bad}: {e}");
            }
        }
        let e = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("ZZ"));
        let e = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F").unwrap_err();
        assert_eq!(e.metric.as_deref(), Some("E"));
        let e = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/").unwrap_err();
        assert_eq!(e.metric, None);
        assert!(score("").is_err());
        assert!(score(&"CVSS:3.1/".repeat(100)).is_err());
    }

    /// FIRST's published examples: the CVSS v3.1 "Examples" document
    /// (each CVE's base vector and score), and for v4.0 the extremes and
    /// the common vectors (network RCE 9.3, local privilege escalation 8.5,
    /// low impact 6.9) as FIRST's v4.0 calculator scores them.
    #[test]
    fn first_examples_score_as_published() {
        let table: &[(&str, i64)] = &[
            // v3.1 examples document.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 61), // CVE-2013-1937
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 64), // CVE-2013-0375
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 31), // CVE-2014-3566
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 99), // CVE-2012-1516
            ("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 42), // CVE-2009-0783
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 88), // CVE-2012-0384
            ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 78), // CVE-2015-1098
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 75), // CVE-2014-0160
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 98), // CVE-2014-6271
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 68), // CVE-2008-1447
            ("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 68), // CVE-2014-2005
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 58), // CVE-2010-0467
            ("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 93), // CVE-2013-6014
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 58), // CVE-2012-1342
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 54), // CVE-2014-9253
            ("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 88), // CVE-2011-1265
            ("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 46), // CVE-2014-2019
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 74), // CVE-2014-0224
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 96), // CVE-2012-5376
            // 3.0 vectors score the same.
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 61),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0),
            // v4.0.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                100,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                93,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
                69,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                85,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H",
                79,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0,
            ),
        ];
        for (vector, tenths) in table {
            let c = score(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
            assert_eq!(c.score_tenths, *tenths, "{vector}");
        }
    }

    #[test]
    fn v4_threat_metrics_change_the_score() {
        let base =
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        let unreported =
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U").unwrap();
        assert!(unreported.score_tenths < base.score_tenths);
        assert_eq!(unreported.version, CvssVersion::V4_0);
    }

    #[test]
    fn scores_are_written_with_one_decimal() {
        assert_eq!(format_score(0), "0.0");
        assert_eq!(format_score(98), "9.8");
        assert_eq!(format_score(100), "10.0");
    }

    #[test]
    fn the_bands_map_scores() {
        let bands = SeverityBands::default();
        for (vector, sev) in [
            (
                "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                Severity::High,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                Severity::Medium,
            ),
            (
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
                Severity::Low,
            ),
        ] {
            assert_eq!(score(vector).unwrap().severity(&bands), sev, "{vector}");
        }
    }
}
