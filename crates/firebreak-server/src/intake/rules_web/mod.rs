//! The web pages of alert routing: routing rules with a "test a payload"
//! panel (`/admin/routing`), silences (`/admin/silences`) and maintenance
//! windows (`/admin/maintenance`).
//!
//! The forms are fields, not JSON: matchers are one per line in
//! Alertmanager's syntax, times are `2026-03-02 09:00` in UTC. What a form
//! holds is turned into the API's request body here and handed to the very
//! handler the API route runs (`intake::routing::create_rule`, …,
//! `intake::integrations::test_payload`), so the web refuses exactly what
//! the API refuses, under the same permission, and drops the same routing
//! cache. A refused form is shown again with what was entered and the
//! error naming the field, as the form labels it and as the API names it.
//!
//! Who may do what is the API's: rules and maintenance windows are for
//! those who manage services (admins and leads); silences and the payload
//! test for whoever triages. The pages need triage (a viewer gets 403) and
//! show only the forms the role may use.

mod quiet;
mod rules;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::Deserialize;

use firebreak_intake::rules::Matcher;

use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::url_encoded_forms;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/routing", get(rules::list).post(rules::create))
        .route("/admin/routing/test", get(rules::to_list).post(rules::test))
        .route("/admin/routing/{id}", get(rules::edit).post(rules::update))
        .route("/admin/routing/{id}/delete", post(rules::delete))
        .route(
            "/admin/silences",
            get(quiet::silences).post(quiet::create_silence),
        )
        .route("/admin/silences/{id}/expire", post(quiet::expire_silence))
        .route(
            "/admin/maintenance",
            get(quiet::maintenance).post(quiet::create_maintenance),
        )
        .route("/admin/maintenance/{id}/end", post(quiet::end_maintenance))
}

/// A form of these pages: its token, and every other field by name.
#[derive(Deserialize)]
pub(super) struct RulesForm {
    csrf: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

url_encoded_forms!(RulesForm);

impl RulesForm {
    /// The field's text, empty when the form did not send it.
    fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    /// Whether a checkbox was ticked.
    fn checked(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }
}

/// What a refused form shows: the field as the form labels it and as the
/// API names it, then what is wrong.
fn form_error(e: &ApiError) -> String {
    if let ApiError::Internal(detail) = e {
        tracing::error!(error = %detail, "internal error in a routing form");
        return "Something went wrong on our side; it has been logged.".to_owned();
    }
    let detail = e.to_string();
    match e.problem().field {
        Some(field) => format!("{} (`{field}`): {detail}", label_of(&field)),
        None => detail,
    }
}

/// The form's label for an API field: `matchers[1]` is "Matchers, line 2".
fn label_of(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("matchers[")
        && let Some(n) = rest.trim_end_matches(']').parse::<usize>().ok()
    {
        return format!("Matchers, line {}", n + 1);
    }
    if field.starts_with("payload") {
        return "Sample payload".into();
    }
    match field {
        "name" => "Name",
        "position" => "Position",
        "matchers" => "Matchers",
        "set_service" | "service" => "Service",
        "set_kind" => "Kind",
        "set_severity" => "Severity",
        "starts_at" => "From",
        "ends_at" => "Until",
        "duration" => "Duration",
        "reason" => "Comment",
        "kind" => "Payload format",
        "integration" => "Integration",
        "mapping" => "Mapping",
        other => other,
    }
    .to_owned()
}

/// The matchers of a text field, one per line (blank lines skipped), each
/// refused with its line named as the API names it (`matchers[0]`).
fn parse_matchers(text: &str) -> Result<Vec<Matcher>, ApiError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            line.parse::<Matcher>()
                .map_err(|e| ApiError::bad(&format!("matchers[{i}]"), e.to_string()))
        })
        .collect()
}

/// A time as entered, in UTC: `2026-03-02 09:00` (a `T`, or seconds,
/// allowed, as on the schedule form), or an error naming `field`.
fn parse_utc(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    let t = text
        .trim()
        .trim_end_matches("UTC")
        .trim_end_matches('Z')
        .trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .map(|n| n.and_utc())
    .ok_or_else(|| {
        ApiError::bad(
            field,
            format!("`{t}` is not a date and time in UTC such as 2026-03-02 09:00"),
        )
    })
}

/// A duration as entered: `90m`, `2h`, `1d`, `1h30m`, or plain minutes.
fn parse_duration(field: &str, text: &str) -> Result<Duration, ApiError> {
    let t = text.trim().to_ascii_lowercase().replace(' ', "");
    let refuse = || {
        ApiError::bad(
            field,
            format!(
                "`{}` is not a duration such as 30m, 2h, 1d or 1h30m",
                text.trim()
            ),
        )
    };
    if t.is_empty() {
        return Err(refuse());
    }
    if let Ok(minutes) = t.parse::<i64>() {
        return (1..=525_600)
            .contains(&minutes)
            .then(|| Duration::minutes(minutes))
            .ok_or_else(refuse);
    }
    let mut total = 0i64;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| refuse())?;
        digits.clear();
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(refuse()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(refuse)?;
    }
    if !digits.is_empty() || total <= 0 || total > 366 * 86_400 {
        return Err(refuse());
    }
    Ok(Duration::seconds(total))
}

/// A time as the pages show it: `2026-03-02 09:00 UTC`.
fn shown(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_are_read_one_per_line_and_refused_by_line() {
        let m = parse_matchers("severity=\"critical\"\n\n env=~prod|live \n").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].to_string(), "env=~\"prod|live\"");
        let e = parse_matchers("a=b\nnot a matcher").unwrap_err();
        assert_eq!(e.problem().field.as_deref(), Some("matchers[1]"));
        assert!(form_error(&e).starts_with("Matchers, line 2 (`matchers[1]`)"));
        assert!(parse_matchers("x=~\"(\"").is_err());
    }

    #[test]
    fn times_are_utc_and_durations_have_units() {
        let t = parse_utc("starts_at", "2026-03-02 09:00").unwrap();
        assert_eq!(shown(t), "2026-03-02 09:00 UTC");
        assert_eq!(parse_utc("x", "2026-03-02T09:00 UTC").unwrap(), t);
        assert_eq!(
            parse_utc("ends_at", "tomorrow")
                .unwrap_err()
                .problem()
                .field
                .as_deref(),
            Some("ends_at")
        );
        assert_eq!(parse_duration("d", "90").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("d", "1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("d", "2 d").unwrap(), Duration::days(2));
        for bad in ["", "h", "5x", "0", "3h5", "99999999999999999999d", "-5"] {
            assert!(parse_duration("d", bad).is_err(), "{bad}");
        }
    }
}
