//! Value parsers the command groups share: enums by their names (listed in
//! help and errors), impact facts by name, RFC 3339 times and JSON objects.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use firebreak_api::intake::IntegrationKind;
use firebreak_api::{
    GateItem, ImpactFacts, Kind, Phase, ReportSource, ReportStatus, Role, Severity,
};

/// An enum with a fixed table of names, parsed by its own parser.
pub trait Named: Copy + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn parse_name(s: &str) -> Option<Self>;
}

/// The core enums implement `FromStr` from the same name table as `ALL`.
macro_rules! named_from_str {
    ($($ty:ty),+) => {$(
        impl Named for $ty {
            const ALL: &'static [Self] = <$ty>::ALL;
            fn name(self) -> &'static str {
                self.as_str()
            }
            fn parse_name(s: &str) -> Option<Self> {
                s.parse::<$ty>().ok()
            }
        }
    )+};
}

named_from_str!(
    Kind,
    Severity,
    Phase,
    GateItem,
    Role,
    ReportSource,
    ReportStatus,
    IntegrationKind
);

/// A value parser listing the enum's names in help and errors.
pub fn named<T: Named>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|v| PossibleValue::new(v.name())))
        .try_map(|s: String| T::parse_name(&s).ok_or_else(|| format!("`{s}` is not a valid value")))
}

/// The names of the impact facts, from core's table, so a new fact needs
/// no change here; in alphabetical order, as help and errors list them.
pub fn fact_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = ImpactFacts::names().collect();
        names.sort_unstable();
        names
    })
}

pub(super) fn fact_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(fact_names().iter().map(|s| PossibleValue::new(*s)))
}

/// An RFC 3339 time, in UTC.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("`{s}` is not an RFC 3339 time such as 2024-03-31T09:00:00+02:00 or 2024-03-31T07:00:00Z ({e})")
        })
}

/// A JSON object given on the command line; `example` shows one in the
/// error for anything else.
pub(super) fn json_object(s: &str, example: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err(format!("expected a JSON object, like {example}")),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// A channel given as a JSON object.
pub(super) fn parse_json_object(s: &str) -> Result<serde_json::Value, String> {
    json_object(s, r#"{"kind":"email","to":"a@example.com"}"#)
}
