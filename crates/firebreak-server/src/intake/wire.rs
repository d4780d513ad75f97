//! The server's side of the intake API's JSON shapes: ids from the path,
//! integration URLs, and the conversions from store records. The shapes
//! themselves are `firebreak_api::intake`'s, so the OpenAPI document and
//! the client are generated from the same types.

use chrono::{DateTime, Utc};

use firebreak_api::intake::{
    AlertBrief, AlertView, AttachmentView, IntegrationKind, IntegrationView, MaintenanceView,
    RuleView, SilenceView,
};
use firebreak_store::intake::{
    AlertRecord, AttachmentRecord, IntegrationRecord, MaintenanceRecord, RuleRecord, SilenceRecord,
};

use crate::error::ApiError;

/// An id from the path; anything else is a missing record.
pub fn positive_id(what: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::NotFound(format!("{what} `{raw}`")))
}

/// Where a tool of `kind` sends, with `key` where the key goes.
pub fn integration_url(kind: IntegrationKind, public_url: &str, key: &str) -> String {
    let base = public_url.trim_end_matches('/');
    match kind {
        IntegrationKind::Pagerduty => format!("{base}/v2/enqueue"),
        IntegrationKind::Email => format!("{base}/api/v1/inbound/email/{key}"),
        other => format!("{base}/api/v1/intake/{}/{key}", other.as_str()),
    }
}

pub fn integration_view(r: &IntegrationRecord, public_url: &str) -> IntegrationView {
    let kind = match r.kind.as_str() {
        "pagerduty" => IntegrationKind::Pagerduty,
        "grafana" => IntegrationKind::Grafana,
        "generic" => IntegrationKind::Generic,
        "email" => IntegrationKind::Email,
        _ => IntegrationKind::Alertmanager,
    };
    IntegrationView {
        id: r.id,
        name: r.name.clone(),
        kind: r.kind.clone(),
        service: r.service.clone(),
        key_hint: r.key_hint.clone(),
        user: r.user_name.clone(),
        signed: r.hmac_secret.is_some(),
        hmac_timestamp_header: r.hmac_timestamp_header.clone(),
        mapping: r
            .mapping
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok()),
        url: integration_url(kind, public_url, "{key}"),
        enabled: r.is_enabled(),
        created_at: r.created_at,
        disabled_at: r.disabled_at,
        auto_declare: r.auto_declare,
    }
}

pub fn rule_view(r: &RuleRecord) -> Option<RuleView> {
    let rule: firebreak_intake::rules::Rule = serde_json::from_str(&r.definition).ok()?;
    Some(RuleView {
        id: r.id,
        position: r.position,
        name: r.name.clone(),
        enabled: r.enabled,
        matchers: rule.matchers.iter().map(ToString::to_string).collect(),
        set_service: rule.set_service,
        set_kind: rule.set_kind,
        set_severity: rule.set_severity,
        declare: rule.declare,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

pub fn silence_view(s: &SilenceRecord, now: DateTime<Utc>) -> SilenceView {
    SilenceView {
        id: s.id,
        matchers: serde_json::from_str(&s.matchers).unwrap_or_default(),
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        reason: s.reason.clone(),
        created_by: s.created_by.clone(),
        created_at: s.created_at,
        expired_at: s.expired_at,
        active: s.starts_at <= now && now < s.ends_at,
    }
}

pub fn maintenance_view(m: &MaintenanceRecord, now: DateTime<Utc>) -> MaintenanceView {
    MaintenanceView {
        id: m.id,
        service: m.service.clone(),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        reason: m.reason.clone(),
        created_by: m.created_by.clone(),
        created_at: m.created_at,
        active: m.starts_at <= now && now < m.ends_at,
        public_title: m.public_title.clone(),
        public_body: m.public_body.clone(),
    }
}

pub fn alert_view(a: AlertRecord) -> AlertView {
    AlertView {
        id: a.id,
        integration: a.integration,
        dedup_key: a.dedup_key,
        status: a.status.as_str().to_owned(),
        report_id: a.report_id,
        title: a.title,
        severity: a.severity,
        service: a.service,
        labels: serde_json::from_str(&a.labels).unwrap_or_default(),
        links: serde_json::from_str(&a.links).unwrap_or_default(),
        disposition: a.disposition.as_str().to_owned(),
        rule: a.rule_name,
        suppressed_by: a.suppressed_by,
        count: a.count,
        first_seen: a.first_seen,
        last_seen: a.last_seen,
        starts_at: a.starts_at,
        acknowledged_at: a.acknowledged_at,
        resolved_at: a.resolved_at,
    }
}

pub fn attachment_view(a: AttachmentRecord) -> AttachmentView {
    AttachmentView {
        id: a.id,
        filename: a.filename,
        content_type: a.content_type,
        size: a.size,
        sha256: a.sha256,
        stored: a.stored,
    }
}

pub fn alert_brief(a: &AlertRecord) -> AlertBrief {
    AlertBrief {
        id: a.id,
        integration: a.integration.clone(),
        status: a.status.as_str().to_owned(),
        severity: a.severity.clone(),
        count: a.count,
        last_seen: a.last_seen,
        disposition: a.disposition.as_str().to_owned(),
        suppressed_by: a.suppressed_by.clone(),
    }
}
