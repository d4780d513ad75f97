use super::*;
use chrono::TimeZone;

fn alert(labels: &[(&str, &str)]) -> NormalizedAlert {
    NormalizedAlert {
        source_kind: firebreak_intake::SourceKind::Alertmanager,
        dedup_key: "k".into(),
        title: "t".into(),
        description: String::new(),
        severity: None,
        status: AlertStatus::Firing,
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        service: None,
        starts_at: None,
        ends_at: None,
        links: Vec::new(),
        fingerprint: None,
    }
}

fn record_times() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2030, 1, 2, 0, 0, 0).unwrap(),
    )
}

fn routing() -> Routing {
    let (start, end) = record_times();
    let rule: Rule = serde_json::from_value(serde_json::json!({
        "name": "prod-critical",
        "matchers": ["severity=\"critical\"", "env=\"prod\""],
        "set_service": "payments",
        "set_severity": "critical",
        "declare": true,
    }))
    .unwrap();
    let rule_record = RuleRecord {
        id: 1,
        position: 0,
        name: rule.name.clone(),
        definition: String::new(),
        enabled: true,
        created_at: start,
        updated_at: start,
    };
    let silence = Silence {
        matchers: vec!["alertname=\"Noisy\"".parse().unwrap()],
        starts_at: start,
        ends_at: end,
        reason: "known".into(),
        created_by: "alice".into(),
    };
    let silence_record = SilenceRecord {
        id: 7,
        matchers: String::new(),
        starts_at: start,
        ends_at: end,
        reason: "known".into(),
        created_by: "alice".into(),
        created_at: start,
        expired_at: None,
    };
    let window = MaintenanceWindow {
        service: "search".into(),
        starts_at: start,
        ends_at: end,
    };
    let window_record = MaintenanceRecord {
        id: 3,
        service_id: 2,
        service: "search".into(),
        starts_at: start,
        ends_at: end,
        reason: "reindex".into(),
        created_by: "bob".into(),
        created_at: start,
        public_title: None,
        public_body: None,
    };
    Routing {
        rules: vec![(rule_record, rule)],
        silences: vec![(silence_record, silence)],
        maintenance: vec![(window_record, window)],
        services: [("payments".to_owned(), 1), ("search".to_owned(), 2)]
            .into_iter()
            .collect(),
    }
}

#[test]
fn routing_decides_service_and_disposition() {
    let r = routing();
    let (start, end) = record_times();
    let during = start + chrono::Duration::hours(1);

    let routed = route(
        alert(&[("severity", "critical"), ("env", "prod")]),
        None,
        false,
        &r,
        during,
    );
    assert_eq!(routed.disposition, "declare");
    assert_eq!(routed.rule.as_deref(), Some("prod-critical"));
    assert_eq!(routed.service.as_deref(), Some("payments"));
    assert_eq!(routed.service_id, Some(1));
    assert_eq!(routed.alert.severity, Some(Severity::Critical));

    // A silence wins over the rule's declaration.
    let routed = route(
        alert(&[
            ("severity", "critical"),
            ("env", "prod"),
            ("alertname", "Noisy"),
        ]),
        None,
        false,
        &r,
        during,
    );
    assert_eq!(routed.disposition, "silenced");
    assert_eq!(routed.silenced_by.as_ref().map(|s| s.id), Some(7));
    // ... but only while it lasts.
    let routed = route(
        alert(&[
            ("severity", "critical"),
            ("env", "prod"),
            ("alertname", "Noisy"),
        ]),
        None,
        false,
        &r,
        end,
    );
    assert_eq!(routed.disposition, "declare");

    // The integration's service, and its maintenance window.
    let routed = route(
        alert(&[("severity", "warning")]),
        Some("search"),
        false,
        &r,
        during,
    );
    assert_eq!(routed.disposition, "maintenance");
    assert_eq!(routed.service.as_deref(), Some("search"));
    // An unknown service label falls back to the integration's service.
    let mut a = alert(&[]);
    a.service = Some("nope".into());
    let routed = route(a, Some("payments"), false, &r, during);
    assert_eq!(routed.service.as_deref(), Some("payments"));
    assert_eq!(routed.disposition, "triage");
    let routed = route(alert(&[]), None, false, &r, during);
    assert_eq!(routed.service, None);
}

#[test]
fn urgent_alerts_no_rule_matches_declare_when_the_integration_auto_declares() {
    let r = routing();
    let (_, end) = record_times();
    let after = end + chrono::Duration::hours(1);
    let mut a = alert(&[("severity", "critical")]);
    a.severity = Some(Severity::Critical);
    let routed = route(a.clone(), Some("payments"), true, &r, after);
    assert_eq!(routed.rule, None);
    assert_eq!(routed.disposition, "declare");
    // Off: triage; no known service: triage; not urgent: triage.
    assert_eq!(
        route(a.clone(), Some("payments"), false, &r, after).disposition,
        "triage"
    );
    assert_eq!(
        route(a.clone(), None, true, &r, after).disposition,
        "triage"
    );
    a.severity = Some(Severity::Medium);
    assert_eq!(
        route(a, Some("payments"), true, &r, after).disposition,
        "triage"
    );
}
