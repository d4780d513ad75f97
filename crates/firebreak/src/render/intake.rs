//! The text of intake: integrations (and a new key), routing rules,
//! silences, maintenance windows and alerts.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use firebreak_client::{
    AlertView, IntegrationCreated, IntegrationView, MaintenanceView, RuleView, SilenceView,
};

use super::{enabled, indent, joined, list_table, one_line, time};

/// The URL and key of a new or rotated integration key, with the warning
/// that the key is not shown again.
pub fn integration_key(c: &IntegrationCreated) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "url: {}", c.url);
    let _ = writeln!(out, "key: {}", c.key);
    if c.integration.kind == "pagerduty" {
        out.push_str("Send the key as each event's routing_key.\n");
    }
    out.push_str("The key is shown only once; keep it safe.\n");
    out
}

pub fn integration_table(list: &[IntegrationView]) -> String {
    list_table(
        list,
        "no integrations",
        &["ID", "NAME", "KIND", "SERVICE", "STATE", "KEY", "URL"],
        |i| {
            vec![
                i.id.to_string(),
                i.name.clone(),
                i.kind.clone(),
                i.service.clone().unwrap_or_else(|| "-".to_owned()),
                enabled(i.enabled).to_owned(),
                format!("…{}", i.key_hint),
                i.url.clone(),
            ]
        },
    )
}

/// What the integration does with critical and high alerts no rule matches.
pub fn auto_declare(i: &IntegrationView) -> String {
    if i.auto_declare {
        "auto_declare: on (critical and high alerts no rule matches declare an incident and page, when their service is known)".to_owned()
    } else {
        "auto_declare: off (critical and high alerts no rule matches wait in triage and page nobody)".to_owned()
    }
}

pub fn integration_full(i: &IntegrationView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "integration {}  {}", i.id, i.name);
    let _ = writeln!(
        out,
        "  kind: {}   service: {}   state: {}",
        i.kind,
        i.service.as_deref().unwrap_or("-"),
        enabled(i.enabled)
    );
    let _ = writeln!(out, "  acts as: {}", i.user);
    let _ = writeln!(out, "  {}", auto_declare(i));
    let _ = writeln!(
        out,
        "  key: …{} (shown only when created or rotated)",
        i.key_hint
    );
    let _ = writeln!(out, "  url: {}", i.url);
    if i.signed {
        let _ = writeln!(
            out,
            "  signed: yes (HMAC-SHA256{})",
            i.hmac_timestamp_header
                .as_deref()
                .map(|h| format!(", timestamp header {h}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(out, "  created: {}", time(&i.created_at));
    if let Some(at) = &i.disabled_at {
        let _ = writeln!(out, "  disabled: {}", time(at));
    }
    if let Some(mapping) = &i.mapping {
        let _ = writeln!(
            out,
            "  mapping:\n{}",
            indent(
                &serde_json::to_string_pretty(mapping).unwrap_or_default(),
                "    "
            )
            .trim_end()
        );
    }
    out
}

/// Matchers as Alertmanager writes them, or `every alert`.
pub fn matchers(list: &[String]) -> String {
    joined(list, "every alert")
}

/// What a rule does to a matching alert: `service payments, severity
/// critical, declare (security)` or `triage`.
pub fn rule_effect(r: &RuleView) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &r.set_service {
        parts.push(format!("service {s}"));
    }
    if let Some(s) = r.set_severity {
        parts.push(format!("severity {s}"));
    }
    match (r.declare, r.set_kind) {
        (true, Some(k)) => parts.push(format!("declare ({k})")),
        (true, None) => parts.push("declare".to_owned()),
        (false, Some(k)) => parts.push(format!("kind {k}, triage")),
        (false, None) => parts.push("triage".to_owned()),
    }
    parts.join(", ")
}

pub fn rule_table(list: &[RuleView]) -> String {
    list_table(
        list,
        "no routing rules",
        &["ID", "POSITION", "NAME", "STATE", "DOES", "MATCHERS"],
        |r| {
            vec![
                r.id.to_string(),
                r.position.to_string(),
                r.name.clone(),
                enabled(r.enabled).to_owned(),
                rule_effect(r),
                matchers(&r.matchers),
            ]
        },
    )
}

/// `active`, `expired` (ended early by hand), `ended` or `scheduled`.
pub fn silence_state(s: &SilenceView, now: DateTime<Utc>) -> &'static str {
    if s.active {
        "active"
    } else if s.expired_at.is_some() {
        "expired"
    } else if s.ends_at <= now {
        "ended"
    } else {
        "scheduled"
    }
}

pub fn silence_table(list: &[SilenceView], now: DateTime<Utc>) -> String {
    list_table(
        list,
        "no silences",
        &["ID", "STATE", "FROM", "UNTIL", "BY", "MATCHERS", "REASON"],
        |s| {
            vec![
                s.id.to_string(),
                silence_state(s, now).to_owned(),
                time(&s.starts_at),
                time(&s.ends_at),
                s.created_by.clone(),
                matchers(&s.matchers),
                one_line(&s.reason),
            ]
        },
    )
}

/// `active`, `ended` or `scheduled`.
pub fn maintenance_state(m: &MaintenanceView, now: DateTime<Utc>) -> &'static str {
    if m.active {
        "active"
    } else if m.ends_at <= now {
        "ended"
    } else {
        "scheduled"
    }
}

pub fn maintenance_table(list: &[MaintenanceView], now: DateTime<Utc>) -> String {
    list_table(
        list,
        "no maintenance windows",
        &["ID", "SERVICE", "STATE", "FROM", "UNTIL", "BY", "REASON"],
        |m| {
            vec![
                m.id.to_string(),
                m.service.clone(),
                maintenance_state(m, now).to_owned(),
                time(&m.starts_at),
                time(&m.ends_at),
                m.created_by.clone(),
                one_line(&m.reason),
            ]
        },
    )
}

pub fn alert_table(list: &[AlertView]) -> String {
    list_table(
        list,
        "no alerts",
        &[
            "ID",
            "STATUS",
            "INTEGRATION",
            "SEVERITY",
            "SERVICE",
            "COUNT",
            "LAST SEEN",
            "DISPOSITION",
            "REPORT",
            "TITLE",
        ],
        |a| {
            vec![
                a.id.to_string(),
                a.status.clone(),
                a.integration.clone(),
                a.severity.clone().unwrap_or_else(|| "-".to_owned()),
                a.service.clone().unwrap_or_else(|| "-".to_owned()),
                a.count.to_string(),
                time(&a.last_seen),
                a.disposition.clone(),
                a.report_id.to_string(),
                one_line(&a.title),
            ]
        },
    )
}
