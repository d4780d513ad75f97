//! Routing rules, silences and maintenance windows over alert labels.
//!
//! This module owns deciding, from an alert's labels and the time, which
//! admin-written rule routes it (setting its service, kind and severity, and
//! whether it declares an incident), whether a silence mutes it, and whether
//! its service is in maintenance. Matchers use Alertmanager's syntax and
//! semantics so that admins can copy them from their Alertmanager config:
//!
//! - `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`; the
//!   value may also be written unquoted;
//! - regexes are anchored: they must match the whole value, as if written
//!   `^(?:regex)$`;
//! - a label the alert does not have has the empty value, so `team!="x"`
//!   matches an alert without `team`, and `team=""` matches only those.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use firebreak_core::{Kind, Severity};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::NormalizedAlert;

/// Why a matcher, rule or silence is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("invalid matcher {matcher:?}: {reason}")]
    BadMatcher { matcher: String, reason: String },
    #[error("invalid silence: {0}")]
    BadSilence(String),
}

fn bad(matcher: &str, reason: impl Into<String>) -> RuleError {
    RuleError::BadMatcher {
        matcher: matcher.to_owned(),
        reason: reason.into(),
    }
}

/// How a matcher compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    Eq,
    NotEq,
    Regex,
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::NotEq => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// One condition on one label.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// The anchored regex, for `=~` and `!~`.
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

impl Matcher {
    /// A matcher from its parts; fails only on a bad label name or regex.
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Self, RuleError> {
        let text = || format!("{name}{}{value:?}", op.as_str());
        if !is_label_name(name) {
            return Err(bad(&text(), format!("{name:?} is not a label name")));
        }
        let regex = match op {
            MatchOp::Eq | MatchOp::NotEq => None,
            MatchOp::Regex | MatchOp::NotRegex => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|err| bad(&text(), format!("bad regex: {err}")))?,
            ),
        };
        Ok(Matcher {
            name: name.to_owned(),
            op,
            value: value.to_owned(),
            regex,
        })
    }

    /// Whether the value `value` (empty for a missing label) satisfies the
    /// matcher.
    pub fn matches_value(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Eq, _) => value == self.value,
            (MatchOp::NotEq, _) => value != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            // `new` always compiles the regex of a regex matcher.
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    /// Whether this matcher narrows what it matches: a non-empty equality,
    /// or a regex that does not match every one of a few unrelated probe
    /// values (a catch-all such as `.+` or `.*` matches them all).
    pub fn narrows(&self) -> bool {
        const PROBES: [&str; 3] = ["x", "0", "firebreak-probe/7f3a Z"];
        match self.op {
            MatchOp::Eq => !self.value.is_empty(),
            MatchOp::Regex => !PROBES.iter().all(|p| self.matches_value(p)),
            MatchOp::NotEq | MatchOp::NotRegex => false,
        }
    }

    /// Whether the labels satisfy the matcher; a missing label is empty.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_value(labels.get(&self.name).map_or("", String::as_str))
    }
}

/// Prometheus' label name syntax, plus the colon Alertmanager's matcher
/// parser also accepts.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Reads a double-quoted value with `\"`, `\\`, `\n` and `\t` escapes;
/// returns it and what follows the closing quote.
fn quoted<'a>(s: &'a str, matcher: &str) -> Result<(String, &'a str), RuleError> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, other)) => {
                    return Err(bad(matcher, format!("unknown escape \\{other}")));
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(bad(matcher, "unterminated quoted value"))
}

impl FromStr for Matcher {
    type Err = RuleError;

    /// Parses `name="value"`, `name!="value"`, `name=~"regex"`,
    /// `name!~"regex"`, with optional spaces around the operator and an
    /// optionally unquoted value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let name_end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(text.len());
        let name = &text[..name_end];
        if name.is_empty() {
            return Err(bad(s, "expected a label name"));
        }
        let rest = text[name_end..].trim_start();
        let (op, rest) = [
            ("=~", MatchOp::Regex),
            ("!~", MatchOp::NotRegex),
            ("!=", MatchOp::NotEq),
            ("=", MatchOp::Eq),
        ]
        .into_iter()
        .find_map(|(token, op)| rest.strip_prefix(token).map(|r| (op, r)))
        .ok_or_else(|| bad(s, "expected one of =, !=, =~, !~ after the label name"))?;
        let rest = rest.trim_start();

        let value = if rest.starts_with('"') {
            let (value, after) = quoted(rest, s)?;
            if !after.trim().is_empty() {
                return Err(bad(
                    s,
                    format!("unexpected {:?} after the value", after.trim()),
                ));
            }
            value
        } else {
            if rest.contains('"') {
                return Err(bad(s, "unbalanced quote in the value"));
            }
            rest.trim_end().to_owned()
        };
        Matcher::new(name, op, &value).map_err(|err| match err {
            RuleError::BadMatcher { reason, .. } => bad(s, reason),
            other => other,
        })
    }
}

impl fmt::Display for Matcher {
    /// The canonical form, which parses back to an equal matcher.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut escaped = String::with_capacity(self.value.len());
        for c in self.value.chars() {
            match c {
                '"' => escaped.push_str("\\\""),
                '\\' => escaped.push_str("\\\\"),
                '\n' => escaped.push_str("\\n"),
                '\t' => escaped.push_str("\\t"),
                c => escaped.push(c),
            }
        }
        write!(f, "{}{}\"{escaped}\"", self.name, self.op.as_str())
    }
}

impl Serialize for Matcher {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a matcher list as Alertmanager writes one:
/// `{severity="critical", env=~"prod|staging"}`; the braces are optional and
/// commas inside quoted values do not split.
pub fn parse_matchers(s: &str) -> Result<Vec<Matcher>, RuleError> {
    let mut inner = s.trim();
    if let Some(stripped) = inner.strip_prefix('{') {
        inner = stripped
            .strip_suffix('}')
            .ok_or_else(|| bad(s, "missing closing '}'"))?;
    }

    let mut items = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);

    let last = items.len() - 1;
    items
        .into_iter()
        .enumerate()
        // A trailing comma, or an empty list, leaves one empty item.
        .filter(|(i, item)| !(*i == last && item.trim().is_empty()))
        .map(|(_, item)| item.parse())
        .collect()
}

/// Whether every matcher matches; an empty list matches everything.
pub fn all_match(matchers: &[Matcher], labels: &BTreeMap<String, String>) -> bool {
    matchers.iter().all(|m| m.matches(labels))
}

/// An admin's routing rule: alerts whose labels match get these settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// All must match. An empty list matches every alert (a catch-all last
    /// rule).
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    #[serde(default)]
    pub set_service: Option<String>,
    /// The kind of incident to open, if one is declared.
    #[serde(default)]
    pub set_kind: Option<Kind>,
    #[serde(default)]
    pub set_severity: Option<Severity>,
    /// Declare an incident at once rather than leaving a report for triage.
    #[serde(default)]
    pub declare: bool,
}

impl Rule {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        all_match(&self.matchers, labels)
    }

    /// Sets the alert's service and severity where the rule says to. Kind
    /// and `declare` are for whoever opens the incident.
    pub fn apply_to(&self, alert: &mut NormalizedAlert) {
        if let Some(service) = &self.set_service {
            alert.service = Some(service.clone());
        }
        if let Some(severity) = self.set_severity {
            alert.severity = Some(severity);
        }
    }
}

/// The first rule, in order, whose matchers all match the labels.
pub fn first_matching_rule<'a>(
    rules: &'a [Rule],
    labels: &BTreeMap<String, String>,
) -> Option<&'a Rule> {
    rules.iter().find(|rule| rule.matches(labels))
}

/// A silence: alerts it matches while active are recorded but page no one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silence {
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
}

impl Silence {
    /// Alertmanager's rules for a silence (it ends after it starts, has at
    /// least one matcher, and not every matcher matches the empty value),
    /// and one more: at least one matcher must *narrow* the silence, an
    /// equality (`name="value"`) or a regex that does not match any value
    /// at all. Negative matchers never narrow: `alertname!~"^$"` or
    /// `severity=~".+"` would otherwise mute every alert, critical ones
    /// included, for as long as the silence lasts.
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.ends_at <= self.starts_at {
            return Err(RuleError::BadSilence(
                "ends_at must be after starts_at".to_owned(),
            ));
        }
        if self.matchers.is_empty() {
            return Err(RuleError::BadSilence(
                "at least one matcher is required".to_owned(),
            ));
        }
        if self.matchers.iter().all(|m| m.matches_value("")) {
            return Err(RuleError::BadSilence(
                "at least one matcher must not match the empty value".to_owned(),
            ));
        }
        if !self.matchers.iter().any(Matcher::narrows) {
            return Err(RuleError::BadSilence(
                "at least one matcher must name what to silence: an equality \
                 (alertname=\"DiskFull\") or a regex that does not match every value; \
                 negative matchers and catch-alls like =~\".+\" would mute every alert"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// Active from `starts_at` (inclusive) to `ends_at` (exclusive).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether this silence mutes an alert with these labels now. A silence
    /// without matchers mutes nothing: [`Silence::validate`] refuses it, and
    /// one that slipped through must not mute every alert.
    pub fn silences(&self, labels: &BTreeMap<String, String>, now: DateTime<Utc>) -> bool {
        self.is_active(now) && !self.matchers.is_empty() && all_match(&self.matchers, labels)
    }
}

/// The first silence that mutes an alert with these labels now.
pub fn silenced_by<'a>(
    silences: &'a [Silence],
    labels: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Option<&'a Silence> {
    silences.iter().find(|s| s.silences(labels, now))
}

/// A planned maintenance of one service: its alerts are expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    pub service: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl MaintenanceWindow {
    /// Active from `starts_at` (inclusive) to `ends_at` (exclusive).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether the window is active now for `service` (compared exactly).
    pub fn covers(&self, service: &str, now: DateTime<Utc>) -> bool {
        self.service == service && self.is_active(now)
    }
}

/// The first maintenance window covering `service` now; an alert with no
/// service is never in maintenance.
pub fn in_maintenance<'a>(
    windows: &'a [MaintenanceWindow],
    service: Option<&str>,
    now: DateTime<Utc>,
) -> Option<&'a MaintenanceWindow> {
    let service = service?;
    windows.iter().find(|w| w.covers(service, now))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn t(s: &str) -> DateTime<Utc> {
        crate::time::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn parses_matchers() {
        let cases: &[(&str, &str, MatchOp, &str)] = &[
            (
                r#"severity="critical""#,
                "severity",
                MatchOp::Eq,
                "critical",
            ),
            (
                r#"env=~"prod|staging""#,
                "env",
                MatchOp::Regex,
                "prod|staging",
            ),
            (r#"team!="x""#, "team", MatchOp::NotEq, "x"),
            (r#"job!~"node.*""#, "job", MatchOp::NotRegex, "node.*"),
            (r#"  a = "b"  "#, "a", MatchOp::Eq, "b"),
            ("a=b", "a", MatchOp::Eq, "b"),
            ("a!=", "a", MatchOp::NotEq, ""),
            (r#"a="""#, "a", MatchOp::Eq, ""),
            (
                r#"a="say \"hi\" \\ ok""#,
                "a",
                MatchOp::Eq,
                r#"say "hi" \ ok"#,
            ),
            (r#"a="x,y=z""#, "a", MatchOp::Eq, "x,y=z"),
            (r#"__name__:x="é""#, "__name__:x", MatchOp::Eq, "é"),
        ];
        for (text, name, op, value) in cases {
            let m: Matcher = text.parse().unwrap();
            assert_eq!(
                (m.name.as_str(), m.op, m.value.as_str()),
                (*name, *op, *value),
                "{text}"
            );
            // The canonical form parses back to the same matcher.
            assert_eq!(m.to_string().parse::<Matcher>().unwrap(), m, "{text}");
        }
    }

    #[test]
    fn bad_matchers_name_the_matcher() {
        let cases = [
            r#"="x""#,
            r#"1abc="x""#,
            r#"a "x""#,
            r#"a=="x""#,
            r#"a=~"(""#,
            r#"a="x"y"#,
            r#"a="unterminated"#,
            r#"a="bad \q escape""#,
            r#"a=x"y"#,
            "a",
            "",
        ];
        for text in cases {
            let err = text.parse::<Matcher>().unwrap_err();
            assert!(
                matches!(&err, RuleError::BadMatcher { matcher, .. } if matcher == text),
                "{text}: {err}"
            );
            assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
        }
    }

    #[test]
    fn matching_semantics() {
        let l = labels(&[("severity", "critical"), ("env", "prod"), ("team", "db")]);
        let cases: &[(&str, bool)] = &[
            (r#"severity="critical""#, true),
            (r#"severity="Critical""#, false),
            (r#"env=~"prod|staging""#, true),
            // Anchored: a partial match is no match.
            (r#"env=~"pro""#, false),
            (r#"env=~"prod-.*|prod""#, true),
            (r#"env!~"prod|staging""#, false),
            (r#"team!="x""#, true),
            (r#"team!="db""#, false),
            // Missing labels are empty.
            (r#"owner!="x""#, true),
            (r#"owner="""#, true),
            (r#"owner=~".*""#, true),
            (r#"owner=~".+""#, false),
            (r#"team="""#, false),
        ];
        for (text, expected) in cases {
            let m: Matcher = text.parse().unwrap();
            assert_eq!(m.matches(&l), *expected, "{text}");
        }
    }

    #[test]
    fn matcher_lists() {
        let ms = parse_matchers(r#"{severity="critical", env=~"prod|staging",}"#).unwrap();
        assert_eq!(ms.len(), 2);
        let ms = parse_matchers(r#"a="x,y", b!="\"q,\"""#).unwrap();
        assert_eq!(ms[0].value, "x,y");
        assert_eq!(ms[1].value, "\"q,\"");
        assert!(parse_matchers("{}").unwrap().is_empty());
        assert!(parse_matchers("").unwrap().is_empty());
        let err = parse_matchers(r#"{a="x", b=~"(", c="y"}"#).unwrap_err();
        assert!(err.to_string().contains(r#"b=~\"(\""#), "{err}");
        assert!(parse_matchers(r#"{a="x""#).is_err());
        assert!(parse_matchers(r#"a="x",,b="y""#).is_err());
    }

    fn rule(name: &str, matchers: &str) -> Rule {
        Rule {
            name: name.to_owned(),
            matchers: parse_matchers(matchers).unwrap(),
            set_service: None,
            set_kind: None,
            set_severity: None,
            declare: false,
        }
    }

    #[test]
    fn first_matching_rule_in_order() {
        let rules = vec![
            rule("db pages", r#"team="db", severity="critical""#),
            rule("prod", r#"env=~"prod|production""#),
            rule("catch-all", ""),
        ];
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("team", "db"), ("severity", "critical"), ("env", "prod")],
                "db pages",
            ),
            (
                &[("team", "db"), ("severity", "warning"), ("env", "prod")],
                "prod",
            ),
            (&[("env", "production")], "prod"),
            (&[("env", "staging")], "catch-all"),
            (&[], "catch-all"),
        ];
        for (pairs, expected) in cases {
            let got = first_matching_rule(&rules, &labels(pairs)).unwrap();
            assert_eq!(got.name, *expected, "{pairs:?}");
        }
        assert!(first_matching_rule(&rules[..2], &labels(&[])).is_none());
    }

    #[test]
    fn rules_deserialize_and_apply() {
        let rule: Rule = serde_json::from_value(serde_json::json!({
            "name": "payments critical",
            "matchers": ["service=\"payments\"", "severity=~\"critical|error\""],
            "set_service": "payments-api",
            "set_kind": "availability",
            "set_severity": "critical",
            "declare": true
        }))
        .unwrap();
        assert_eq!(rule.set_kind, Some(Kind::Availability));
        assert!(rule.declare);
        let json = serde_json::to_value(&rule).unwrap();
        assert_eq!(json["matchers"][1], "severity=~\"critical|error\"");

        let mut alert = crate::generic::apply(
            &serde_json::from_value(serde_json::json!({"title": "/t"})).unwrap(),
            &serde_json::json!({"t": "x"}),
        )
        .unwrap();
        rule.apply_to(&mut alert);
        assert_eq!(alert.service.as_deref(), Some("payments-api"));
        assert_eq!(alert.severity, Some(Severity::Critical));

        let bad = serde_json::from_value::<Rule>(serde_json::json!({
            "name": "x", "matchers": ["a=~\"(\""]
        }));
        assert!(bad.unwrap_err().to_string().contains("a=~\\\"(\\\""));
        let unknown =
            serde_json::from_value::<Rule>(serde_json::json!({"name": "x", "declares": true}));
        assert!(unknown.is_err());
    }

    fn silence(matchers: &str, from: &str, to: &str) -> Silence {
        Silence {
            matchers: parse_matchers(matchers).unwrap(),
            starts_at: t(from),
            ends_at: t(to),
            reason: "planned failover".to_owned(),
            created_by: "ops@example.org".to_owned(),
        }
    }

    #[test]
    fn silences_over_time() {
        let s = silence(
            r#"alertname="HighLatency", env="prod""#,
            "2024-05-01T12:00:00Z",
            "2024-05-01T14:00:00Z",
        );
        assert!(s.validate().is_ok());
        let l = labels(&[("alertname", "HighLatency"), ("env", "prod"), ("x", "y")]);
        let other = labels(&[("alertname", "HighLatency"), ("env", "staging")]);
        let cases: &[(&str, bool, bool)] = &[
            ("2024-05-01T11:59:59Z", false, false),
            ("2024-05-01T12:00:00Z", true, true),
            ("2024-05-01T13:30:00Z", true, true),
            ("2024-05-01T14:00:00Z", false, false),
        ];
        for (now, active, silenced) in cases {
            assert_eq!(s.is_active(t(now)), *active, "{now}");
            assert_eq!(s.silences(&l, t(now)), *silenced, "{now}");
            assert!(!s.silences(&other, t(now)), "{now}");
        }
        let all = [s.clone()];
        assert_eq!(silenced_by(&all, &l, t("2024-05-01T13:00:00Z")), Some(&s));
        assert_eq!(silenced_by(&all, &other, t("2024-05-01T13:00:00Z")), None);
    }

    #[test]
    fn silence_validation() {
        let from = "2024-05-01T12:00:00Z";
        let to = "2024-05-01T14:00:00Z";
        let cases: &[(Silence, bool)] = &[
            (silence(r#"a="x""#, from, to), true),
            (silence(r#"a="x""#, to, from), false),
            (silence(r#"a="x""#, from, from), false),
            (silence("", from, to), false),
            (silence(r#"a=~".*""#, from, to), false),
            (silence(r#"a!="x""#, from, to), false),
            (silence(r#"a!="x", b="y""#, from, to), true),
            // Muting everything by other means is refused too.
            (silence(r#"alertname!~"^$""#, from, to), false),
            (silence(r#"severity=~".+""#, from, to), false),
            (silence(r#"severity=~".+", a!="x""#, from, to), false),
            (silence(r#"a=~"(?s).+|""#, from, to), false),
            // A regex that names something narrows.
            (silence(r#"instance=~"db-.*""#, from, to), true),
            (
                silence(r#"severity=~"warning|info", a!="x""#, from, to),
                true,
            ),
        ];
        for (s, ok) in cases {
            assert_eq!(s.validate().is_ok(), *ok, "{:?}", s.matchers);
        }
        // An empty silence that skipped validation still mutes nothing.
        assert!(!silence("", from, to).silences(&labels(&[]), t("2024-05-01T13:00:00Z")));
    }

    #[test]
    fn maintenance_windows() {
        let windows = vec![
            MaintenanceWindow {
                service: "checkout".to_owned(),
                starts_at: t("2024-05-01T22:00:00Z"),
                ends_at: t("2024-05-02T02:00:00Z"),
            },
            MaintenanceWindow {
                service: "search".to_owned(),
                starts_at: t("2024-05-01T00:00:00Z"),
                ends_at: t("2024-05-01T01:00:00Z"),
            },
        ];
        let cases: &[(Option<&str>, &str, bool)] = &[
            (Some("checkout"), "2024-05-01T23:00:00Z", true),
            (Some("checkout"), "2024-05-02T02:00:00Z", false),
            (Some("checkout"), "2024-05-01T21:59:59Z", false),
            (Some("Checkout"), "2024-05-01T23:00:00Z", false),
            (Some("search"), "2024-05-01T00:30:00Z", true),
            (Some("search"), "2024-05-01T23:00:00Z", false),
            (None, "2024-05-01T23:00:00Z", false),
        ];
        for (service, now, expected) in cases {
            assert_eq!(
                in_maintenance(&windows, *service, t(now)).is_some(),
                *expected,
                "{service:?} {now}"
            );
        }
    }
}
