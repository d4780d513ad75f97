//! Intake: integrations, alert batches deduplicated into reports, routing
//! configuration, change events, inbound e-mail and the triage queue's
//! additions.

use firebreak_api::{ReportSource, ReportStatus, Role};
use firebreak_store::intake::{
    AlertDelivery, AlertFilter, AlertOutcomeKind, AlertSignal, AlertStatus, AlertStatusFilter,
    AlertWrite, AttachmentWrite, ChangeEventWrite, Disposition, EmailWrite, IntegrationRecord,
    MaintenanceWrite, NewIntegration, RuleWrite, SilenceWrite, TriageFilter, integration_user_name,
};
use firebreak_store::{Actor, Reader, StoreError};

use crate::harness::{Db, actor, admin, at, entry, new_incident, reader};

contract_tests!(
    integrations_have_a_service_user_and_a_hashed_key,
    alerts_open_repeat_acknowledge_resolve_and_reopen,
    large_batches_link_every_alert_to_its_own_report,
    a_failed_batch_writes_nothing,
    two_stores_on_one_database_agree_on_open_alerts,
    a_silenced_alert_is_declared_by_a_repeat_once_no_longer_silenced,
    an_open_alert_resolved_and_fired_again_in_one_batch_opens_a_new_one,
    routing_configuration_is_kept_and_audited,
    change_events_are_recorded_per_service,
    email_threads_onto_reports_and_keeps_evidence,
    triage_filters_backlog_and_noise_respect_confidentiality,
    confidentiality_follows_the_records_a_record_is_tied_to,
);

const KEY: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

async fn integration(db: &Db, name: &str, kind: &str, key: &str) -> IntegrationRecord {
    db.store
        .create_integration(
            &NewIntegration {
                name: name.to_owned(),
                kind: kind.to_owned(),
                service_id: None,
                key: key.to_owned(),
                mapping: None,
                hmac_secret: None,
                hmac_timestamp_header: None,
                auto_declare: true,
            },
            &admin(),
            at(0),
        )
        .await
        .unwrap()
}

fn alert(key: &str, signal: AlertSignal) -> AlertWrite {
    AlertWrite {
        dedup_key: key.to_owned(),
        signal,
        title: format!("alert {key}"),
        report_title: format!("Alert {key}"),
        report_description: format!("description of {key}"),
        confidential: false,
        severity: Some("critical".to_owned()),
        service_id: None,
        labels: format!("{{\"alertname\":\"{key}\"}}"),
        links: "[]".to_owned(),
        disposition: Disposition::Triage,
        rule_name: None,
        suppressed_by: None,
        starts_at: Some(at(-60)),
    }
}

fn delivery(i: &IntegrationRecord, alerts: Vec<AlertWrite>) -> AlertDelivery {
    AlertDelivery {
        integration_id: i.id,
        actor: i.actor(),
        reporter: format!("{} integration `{}`", i.kind, i.name),
        alerts,
    }
}

/// One delivery of one alert, alone in its batch: its outcome.
async fn ingest_one(
    s: &firebreak_store::Store,
    i: &IntegrationRecord,
    w: AlertWrite,
    t: i64,
) -> firebreak_store::intake::AlertOutcome {
    s.ingest_alerts(&[delivery(i, vec![w])], at(t))
        .await
        .unwrap()
        .remove(0)
        .remove(0)
}

fn all_reader() -> Reader {
    Reader {
        user_id: 0,
        sees_all_confidential: true,
    }
}

async fn integrations_have_a_service_user_and_a_hashed_key(db: Db) {
    let s = &db.store;
    let svc = db.service("payments", "team-money").await;
    let created = s
        .create_integration(
            &NewIntegration {
                name: "prom".into(),
                kind: "alertmanager".into(),
                service_id: Some(svc.id),
                key: KEY.into(),
                mapping: None,
                hmac_secret: Some("grafana-secret".into()),
                hmac_timestamp_header: None,
                auto_declare: true,
            },
            &admin(),
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(created.name, "prom");
    assert_eq!(created.kind, "alertmanager");
    assert_eq!(created.service.as_deref(), Some("payments"));
    assert_eq!(created.key_hint, "2345");
    assert_eq!(created.user_name, integration_user_name("prom"));
    assert_eq!(created.created_at, at(5));
    assert!(created.is_enabled());
    // The secret is not in the Debug output.
    assert!(!format!("{created:?}").contains("grafana-secret"));

    // Its service user can never sign in.
    let user = s.user_by_id(created.user_id).await.unwrap().unwrap();
    assert!(user.disabled);
    assert_eq!(user.role, Role::Responder);
    assert_eq!(user.name, "intake.prom");

    // Only the key's hash is stored.
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM intake_integrations WHERE key_hash = '{}'",
            firebreak_store::secrets::secret_hash(KEY)
        ))
        .await,
        1
    );
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM intake_integrations WHERE key_hash LIKE '%{KEY}%' OR key_hint = '{KEY}'"
        ))
        .await,
        0
    );
    let found = s.integration_by_key(KEY).await.unwrap().unwrap();
    assert_eq!(found.id, created.id);
    assert_eq!(found.hmac_secret.as_deref(), Some("grafana-secret"));
    assert!(s.integration_by_key("wrong").await.unwrap().is_none());

    match s
        .create_integration(
            &NewIntegration {
                name: "prom".into(),
                kind: "grafana".into(),
                service_id: None,
                key: "another-key".into(),
                mapping: None,
                hmac_secret: None,
                hmac_timestamp_header: None,
                auto_declare: true,
            },
            &admin(),
            at(6),
        )
        .await
    {
        Err(StoreError::Conflict(m)) => assert!(m.contains("prom"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }

    let rotated = s
        .rotate_integration_key(
            created.id,
            "NEWKEY0000000000000000000000abcd",
            &admin(),
            at(7),
        )
        .await
        .unwrap();
    assert_eq!(rotated.key_hint, "abcd");
    assert!(s.integration_by_key(KEY).await.unwrap().is_none());
    assert!(
        s.integration_by_key("NEWKEY0000000000000000000000abcd")
            .await
            .unwrap()
            .is_some()
    );

    let disabled = s
        .disable_integration(created.id, &admin(), at(8))
        .await
        .unwrap();
    assert_eq!(disabled.disabled_at, Some(at(8)));
    match s.disable_integration(created.id, &admin(), at(9)).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }
    match s
        .disable_integration(created.id + 100, &admin(), at(9))
        .await
    {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(s.integrations().await.unwrap().len(), 1);

    let actions = db.audit_actions().await;
    assert!(
        actions.ends_with(&[
            "integration.create".to_owned(),
            "integration.rotate_key".to_owned(),
            "integration.disable".to_owned(),
        ]),
        "{actions:?}"
    );
    assert!(s.verify_audit().await.unwrap().ok);
}

async fn alerts_open_repeat_acknowledge_resolve_and_reopen(db: Db) {
    let s = &db.store;
    let am = integration(&db, "am", "alertmanager", KEY).await;
    let other = integration(&db, "am2", "alertmanager", "other-key").await;
    use AlertSignal::*;

    // One batch of two deliveries: a new alert, its repeat, another
    // integration's alert with the same key (a different alert), and an
    // acknowledge and a resolve of keys that are not open.
    let out = s
        .ingest_alerts(
            &[
                delivery(&am, vec![alert("a", Firing), alert("a", Firing)]),
                delivery(
                    &other,
                    vec![
                        alert("a", Firing),
                        alert("x", Acknowledged),
                        alert("y", Resolved),
                    ],
                ),
            ],
            at(10),
        )
        .await
        .unwrap();
    let kinds = |o: &[firebreak_store::intake::AlertOutcome]| {
        o.iter().map(|o| (o.outcome, o.count)).collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&out[0]),
        vec![
            (AlertOutcomeKind::Opened, 1),
            (AlertOutcomeKind::Repeated, 2)
        ]
    );
    assert_eq!(
        kinds(&out[1]),
        vec![
            (AlertOutcomeKind::Opened, 1),
            (AlertOutcomeKind::Ignored, 0),
            (AlertOutcomeKind::Ignored, 0)
        ]
    );
    let a_alert = out[0][0].alert_id.unwrap();
    let a_report = out[0][0].report_id.unwrap();
    assert_eq!(out[0][1].alert_id, Some(a_alert));
    assert_eq!(out[0][1].report_id, Some(a_report));
    assert_eq!(out[0][0].disposition, Some(Disposition::Triage));
    assert_ne!(out[1][0].report_id, Some(a_report));
    assert_eq!(out[1][1].alert_id, None);

    // Each open alert is a report in the triage queue.
    let viewer = db.user("viewer", Role::Viewer).await;
    let report = s
        .report(a_report, &reader(&viewer, false), at(20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.source, ReportSource::Monitoring);
    assert_eq!(report.title, "Alert a");
    assert_eq!(report.description, "description of a");
    assert_eq!(report.reporter, "alertmanager integration `am`");
    assert_eq!(report.status, ReportStatus::Untriaged);
    assert_eq!(report.received_at, at(10));
    assert_eq!(db.count("reports").await, 2);

    // Later batches: repeat, acknowledge, repeat, resolve.
    let out = s
        .ingest_alerts(
            &[delivery(
                &am,
                vec![
                    alert("a", Firing),
                    alert("a", Acknowledged),
                    alert("a", Firing),
                ],
            )],
            at(30),
        )
        .await
        .unwrap();
    assert_eq!(
        kinds(&out[0]),
        vec![
            (AlertOutcomeKind::Repeated, 3),
            (AlertOutcomeKind::Acknowledged, 3),
            (AlertOutcomeKind::Repeated, 4)
        ]
    );
    let rows = s
        .intake_alerts(
            &AlertFilter {
                integration_id: Some(am.id),
                status: None,
                limit: 10,
            },
            &all_reader(),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.id, a_alert);
    assert_eq!(row.status, AlertStatus::Acknowledged);
    assert_eq!(row.count, 4);
    assert_eq!(row.first_seen, at(10));
    assert_eq!(row.last_seen, at(30));
    assert_eq!(row.acknowledged_at, Some(at(30)));
    assert_eq!(row.resolved_at, None);
    assert_eq!(row.severity.as_deref(), Some("critical"));
    assert_eq!(row.starts_at, Some(at(-60)));
    assert_eq!(row.integration, "am");

    let out = s
        .ingest_alerts(&[delivery(&am, vec![alert("a", Resolved)])], at(40))
        .await
        .unwrap();
    assert_eq!(kinds(&out[0]), vec![(AlertOutcomeKind::Resolved, 4)]);
    assert_eq!(out[0][0].alert_id, Some(a_alert));

    // A trigger after the resolve opens a new alert and a new report; then,
    // within one batch, it resolves and fires again.
    let out = s
        .ingest_alerts(
            &[delivery(
                &am,
                vec![alert("a", Firing), alert("a", Resolved), alert("a", Firing)],
            )],
            at(50),
        )
        .await
        .unwrap();
    assert_eq!(
        kinds(&out[0]),
        vec![
            (AlertOutcomeKind::Opened, 1),
            (AlertOutcomeKind::Resolved, 1),
            (AlertOutcomeKind::Opened, 1)
        ]
    );
    let second = out[0][0].alert_id.unwrap();
    let third = out[0][2].alert_id.unwrap();
    assert!(second != a_alert && third != second);
    assert_ne!(out[0][0].report_id, out[0][2].report_id);
    assert_eq!(out[0][1].alert_id, Some(second));

    let statuses: Vec<(i64, AlertStatus, i64)> = s
        .intake_alerts(
            &AlertFilter {
                integration_id: Some(am.id),
                status: None,
                limit: 10,
            },
            &all_reader(),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.status, a.count))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (third, AlertStatus::Firing, 1),
            (second, AlertStatus::Resolved, 1),
            (a_alert, AlertStatus::Resolved, 4),
        ]
    );
    let open: Vec<i64> = s
        .intake_alerts(
            &AlertFilter {
                integration_id: None,
                status: Some(AlertStatusFilter::Open),
                limit: 10,
            },
            &all_reader(),
        )
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(open.len(), 2);
    assert!(open.contains(&third));
    // At most one open alert per (integration, key), whatever happened.
    assert_eq!(
        db.int("SELECT COUNT(*) FROM intake_alerts WHERE open_key IS NOT NULL AND dedup_key = 'a'")
            .await,
        2
    );
    assert_eq!(db.count("reports").await, 4);

    // One audit entry per integration per batch, naming the integration's
    // user and what it opened.
    let trail = db.audit_of("intake.alerts").await;
    let batch = |i: &IntegrationRecord, user: &str| {
        entry("intake.alerts", format!("integration:{}", i.id), user)
    };
    let (am_batch, other_batch) = (batch(&am, "intake.am"), batch(&other, "intake.am2"));
    assert_eq!(
        trail,
        vec![
            am_batch.clone(),
            other_batch,
            am_batch.clone(),
            am_batch.clone(),
            am_batch,
        ]
    );
    let last = s.audit_entries(1).await.unwrap().remove(0);
    assert_eq!(last.details["opened_reports"].as_array().unwrap().len(), 2);
    assert_eq!(last.details["resolved"], serde_json::json!([second]));
    assert!(s.verify_audit().await.unwrap().ok);
}

async fn large_batches_link_every_alert_to_its_own_report(db: Db) {
    let s = &db.store;
    let a = integration(&db, "a", "alertmanager", KEY).await;
    let b = integration(&db, "b", "alertmanager", "b-key").await;
    // More rows than one multi-row statement holds, from two integrations,
    // mixed with repeats.
    let mut deliveries = Vec::new();
    for d in 0..7 {
        let (i, tag) = if d % 2 == 0 { (&a, "a") } else { (&b, "b") };
        let alerts = (0..100)
            .map(|n| {
                alert(
                    &format!("{tag}-{}", (d * 100 + n) % 450),
                    AlertSignal::Firing,
                )
            })
            .collect();
        deliveries.push(delivery(i, alerts));
    }
    let out = s.ingest_alerts(&deliveries, at(1)).await.unwrap();
    let opened = out
        .iter()
        .flatten()
        .filter(|o| o.outcome == AlertOutcomeKind::Opened)
        .count();
    let mut distinct = std::collections::BTreeSet::new();
    for (d, outs) in deliveries.iter().zip(&out) {
        for (w, o) in d.alerts.iter().zip(outs) {
            distinct.insert((d.integration_id, w.dedup_key.clone()));
            assert_eq!(o.dedup_key, w.dedup_key);
        }
    }
    assert_eq!(opened, distinct.len());
    assert_eq!(db.count("reports").await as usize, distinct.len());
    // Every alert points at the report made from it.
    assert_eq!(
        db.int(
            "SELECT COUNT(*) FROM intake_alerts a JOIN reports r ON r.id = a.report_id \
             WHERE r.title = 'Alert ' || a.dedup_key"
        )
        .await as usize,
        distinct.len()
    );
    for o in out.iter().flatten() {
        let report = s
            .report(o.report_id.unwrap(), &all_reader(), at(2))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.title, format!("Alert {}", o.dedup_key));
    }
}

async fn a_failed_batch_writes_nothing(db: Db) {
    let s = &db.store;
    let a = integration(&db, "a", "alertmanager", KEY).await;
    s.ingest_alerts(
        &[delivery(&a, vec![alert("kept", AlertSignal::Firing)])],
        at(1),
    )
    .await
    .unwrap();
    let reports = db.count("reports").await;
    let alerts = db.count("intake_alerts").await;
    let audit = db.count("audit_log").await;

    // The second delivery names an integration that does not exist: the
    // whole batch fails, the first delivery's alerts included.
    let mut ghost = delivery(&a, vec![alert("ghost", AlertSignal::Firing)]);
    ghost.integration_id = a.id + 1000;
    let err = s
        .ingest_alerts(
            &[
                delivery(
                    &a,
                    vec![
                        alert("kept", AlertSignal::Resolved),
                        alert("new", AlertSignal::Firing),
                    ],
                ),
                ghost,
            ],
            at(2),
        )
        .await;
    assert!(err.is_err(), "{err:?}");
    assert_eq!(db.count("reports").await, reports);
    assert_eq!(db.count("intake_alerts").await, alerts);
    assert_eq!(db.count("audit_log").await, audit);
    assert_eq!(
        db.int("SELECT COUNT(*) FROM intake_alerts WHERE status = 'firing'")
            .await,
        1
    );
    assert!(s.verify_audit().await.unwrap().ok);

    // The store writes on afterwards, the failed batch's transaction ended.
    let out = s
        .ingest_alerts(
            &[delivery(&a, vec![alert("after", AlertSignal::Firing)])],
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(out[0][0].outcome, AlertOutcomeKind::Opened);
    // The failed batch's resolve did not happen: "kept" is still open.
    let out = ingest_one(s, &a, alert("kept", AlertSignal::Firing), 3).await;
    assert_eq!((out.outcome, out.count), (AlertOutcomeKind::Repeated, 2));
    db.report("after the failure", false, &admin(), at(4)).await;
    assert_eq!(db.count("reports").await, reports + 2);
    assert!(s.verify_audit().await.unwrap().ok);
}

/// On SQLite the writer keeps open alerts in memory: a second process
/// writing to the same file must not leave the first with a stale view (nor,
/// on PostgreSQL, may two servers disagree).
async fn two_stores_on_one_database_agree_on_open_alerts(db: Db) {
    let first = &db.store;
    let a = integration(&db, "a", "alertmanager", KEY).await;
    let fire = |at_s| {
        let d = [delivery(&a, vec![alert("k", AlertSignal::Firing)])];
        async move { first.ingest_alerts(&d, at(at_s)).await.unwrap() }
    };
    let opened = fire(1).await;
    assert_eq!(opened[0][0].outcome, AlertOutcomeKind::Opened);

    // The second store finds the open alert and resolves it.
    let second = db.second_store().await;
    let out = second
        .ingest_alerts(
            &[delivery(&a, vec![alert("k", AlertSignal::Resolved)])],
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(out[0][0].outcome, AlertOutcomeKind::Resolved);
    assert_eq!(out[0][0].alert_id, opened[0][0].alert_id);

    // The first store sees the resolve: the key fires as a new alert.
    let reopened = fire(3).await;
    assert_eq!(reopened[0][0].outcome, AlertOutcomeKind::Opened);
    assert_ne!(reopened[0][0].alert_id, opened[0][0].alert_id);

    // And the second sees the first's new alert: a repeat of it.
    let out = second
        .ingest_alerts(
            &[delivery(&a, vec![alert("k", AlertSignal::Firing)])],
            at(4),
        )
        .await
        .unwrap();
    assert_eq!(
        (out[0][0].outcome, out[0][0].alert_id, out[0][0].count),
        (AlertOutcomeKind::Repeated, reopened[0][0].alert_id, 2)
    );
    assert_eq!(
        db.int("SELECT COUNT(*) FROM intake_alerts WHERE open_key IS NOT NULL")
            .await,
        1
    );
    assert_eq!(db.count("intake_alerts").await, 2);
    second.close().await;
    assert!(first.verify_audit().await.unwrap().ok);
}

async fn a_silenced_alert_is_declared_by_a_repeat_once_no_longer_silenced(db: Db) {
    let s = &db.store;
    let a = integration(&db, "a", "alertmanager", KEY).await;
    let routed = |disposition: Disposition| {
        let mut w = alert("k", AlertSignal::Firing);
        w.disposition = disposition;
        if disposition == Disposition::Silenced {
            w.suppressed_by = Some("silence 1: deploy".to_owned());
        }
        w
    };
    let send = |w: AlertWrite, t: i64| ingest_one(s, &a, w, t);
    let o = send(routed(Disposition::Silenced), 1).await;
    assert_eq!(
        (o.outcome, o.disposition, o.unsuppressed),
        (AlertOutcomeKind::Opened, Some(Disposition::Silenced), false)
    );
    // Still silenced, or no rule declares it: nothing changes.
    for d in [Disposition::Silenced, Disposition::Triage] {
        let o = send(routed(d), 2).await;
        assert_eq!(
            (o.outcome, o.disposition, o.unsuppressed),
            (
                AlertOutcomeKind::Repeated,
                Some(Disposition::Silenced),
                false
            ),
            "{d}"
        );
    }
    // The silence is over and a rule declares it: this repeat declares.
    let o = send(routed(Disposition::Declare), 3).await;
    assert_eq!(
        (o.outcome, o.disposition, o.unsuppressed, o.count),
        (
            AlertOutcomeKind::Repeated,
            Some(Disposition::Declare),
            true,
            4
        )
    );
    assert_eq!(
        db.text("SELECT disposition FROM intake_alerts WHERE dedup_key = 'k'")
            .await
            .as_deref(),
        Some("declare")
    );
    assert_eq!(
        db.text("SELECT suppressed_by FROM intake_alerts WHERE dedup_key = 'k'")
            .await,
        None
    );
    // Once only, also for a store that reads the alert afresh.
    let o = send(routed(Disposition::Declare), 4).await;
    assert_eq!(
        (o.disposition, o.unsuppressed),
        (Some(Disposition::Declare), false)
    );
    let second = db.second_store().await;
    let o = ingest_one(&second, &a, routed(Disposition::Declare), 5).await;
    assert_eq!(
        (o.outcome, o.disposition, o.unsuppressed),
        (
            AlertOutcomeKind::Repeated,
            Some(Disposition::Declare),
            false
        )
    );
    second.close().await;
}

async fn an_open_alert_resolved_and_fired_again_in_one_batch_opens_a_new_one(db: Db) {
    let s = &db.store;
    let a = integration(&db, "a", "alertmanager", KEY).await;
    let first = s
        .ingest_alerts(
            &[delivery(&a, vec![alert("k", AlertSignal::Firing)])],
            at(1),
        )
        .await
        .unwrap();
    // Two requests of one batch: the resolve, then the key firing again.
    let out = s
        .ingest_alerts(
            &[
                delivery(&a, vec![alert("k", AlertSignal::Resolved)]),
                delivery(&a, vec![alert("k", AlertSignal::Firing)]),
            ],
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(out[0][0].outcome, AlertOutcomeKind::Resolved);
    assert_eq!(out[0][0].alert_id, first[0][0].alert_id);
    assert_eq!(out[1][0].outcome, AlertOutcomeKind::Opened);
    assert_ne!(out[1][0].alert_id, first[0][0].alert_id);
    assert_eq!(
        db.int("SELECT COUNT(*) FROM intake_alerts WHERE open_key IS NOT NULL")
            .await,
        1
    );
    // The next repeat counts on the new alert.
    let out = ingest_one(s, &a, alert("k", AlertSignal::Firing), 3).await;
    assert_eq!((out.outcome, out.count), (AlertOutcomeKind::Repeated, 2));
}

async fn routing_configuration_is_kept_and_audited(db: Db) {
    let s = &db.store;
    let svc = db.service("search", "team-find").await;
    let rule = |name: &str, position: i64| RuleWrite {
        position,
        name: name.to_owned(),
        definition: format!("{{\"name\":\"{name}\"}}"),
        enabled: true,
    };
    let second = s
        .create_intake_rule(&rule("second", 20), &admin(), at(1))
        .await
        .unwrap();
    let first = s
        .create_intake_rule(&rule("first", 10), &admin(), at(2))
        .await
        .unwrap();
    match s
        .create_intake_rule(&rule("first", 30), &admin(), at(3))
        .await
    {
        Err(StoreError::Conflict(m)) => assert!(m.contains("first"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    let names: Vec<String> = s
        .intake_rules()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, vec!["first", "second"]);

    let mut disabled = rule("second-renamed", 5);
    disabled.enabled = false;
    let updated = s
        .update_intake_rule(second.id, &disabled, &admin(), at(4))
        .await
        .unwrap();
    assert_eq!(updated.name, "second-renamed");
    assert!(!updated.enabled);
    assert_eq!(updated.created_at, at(1));
    assert_eq!(updated.updated_at, at(4));
    match s
        .update_intake_rule(second.id, &rule("first", 5), &admin(), at(5))
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }

    let silence = s
        .create_silence(
            &SilenceWrite {
                matchers: "[\"alertname=\\\"Noisy\\\"\"]".into(),
                starts_at: at(0),
                ends_at: at(100),
                reason: "known flapping".into(),
            },
            &Actor::user(1, "alice"),
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(silence.created_by, "alice");
    let window = s
        .create_maintenance(
            &MaintenanceWrite {
                service_id: svc.id,
                starts_at: at(0),
                ends_at: at(100),
                reason: "reindex".into(),
                public_title: None,
                public_body: None,
            },
            &admin(),
            at(7),
        )
        .await
        .unwrap();
    assert_eq!(window.service, "search");

    // Only enabled rules, in order; only silences and windows not over.
    let snap = s.routing_snapshot(at(50)).await.unwrap();
    assert_eq!(
        snap.rules.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    assert_eq!(snap.silences.len(), 1);
    assert_eq!(snap.maintenance.len(), 1);
    assert_eq!(snap.services.get("search"), Some(&svc.id));
    let after = s.routing_snapshot(at(100)).await.unwrap();
    assert!(after.silences.is_empty() && after.maintenance.is_empty());

    let expired = s
        .expire_silence(silence.id, &admin(), at(60))
        .await
        .unwrap();
    assert_eq!(expired.ends_at, at(60));
    assert_eq!(expired.expired_at, Some(at(60)));
    match s.expire_silence(silence.id, &admin(), at(61)).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }
    let ended = s
        .end_maintenance(window.id, &admin(), at(61))
        .await
        .unwrap();
    assert_eq!(ended.ends_at, at(61));
    let snap = s.routing_snapshot(at(62)).await.unwrap();
    assert!(snap.silences.is_empty() && snap.maintenance.is_empty());
    // Kept, for the record.
    assert_eq!(s.silences(None).await.unwrap().len(), 1);
    assert_eq!(s.maintenance_windows(None).await.unwrap().len(), 1);
    assert!(s.silences(Some(at(62))).await.unwrap().is_empty());

    s.delete_intake_rule(first.id, &admin(), at(63))
        .await
        .unwrap();
    match s.delete_intake_rule(first.id, &admin(), at(64)).await {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    let actions = db.audit_actions().await;
    let tail: Vec<&str> = actions.iter().skip(1).map(String::as_str).collect();
    assert_eq!(
        tail,
        vec![
            "intake_rule.create",
            "intake_rule.create",
            "intake_rule.update",
            "silence.create",
            "maintenance.create",
            "silence.expire",
            "maintenance.end",
            "intake_rule.delete",
        ]
    );
}

async fn change_events_are_recorded_per_service(db: Db) {
    let s = &db.store;
    let svc = db.service("checkout", "team-money").await;
    let pd = integration(&db, "pd", "pagerduty", KEY).await;
    for (n, service_id) in [(1, Some(svc.id)), (2, None)] {
        s.record_change_event(
            &ChangeEventWrite {
                integration_id: pd.id,
                service_id,
                summary: format!("deploy {n}"),
                source: Some("ci".into()),
                happened_at: Some(at(n)),
                details: "{}".into(),
            },
            &pd.actor(),
            at(10 + n),
        )
        .await
        .unwrap();
    }
    let all = s.change_events(None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.summary.as_str()).collect::<Vec<_>>(),
        vec!["deploy 2", "deploy 1"]
    );
    let mine = s.change_events(Some(svc.id), 10).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].service.as_deref(), Some("checkout"));
    assert_eq!(mine[0].integration, "pd");
    assert_eq!(mine[0].happened_at, Some(at(1)));
    assert_eq!(mine[0].received_at, at(11));
    assert_eq!(mine[0].source.as_deref(), Some("ci"));
}

fn email(message_id: &str, in_reply_to: Option<&str>, disclosure: bool, by: &Actor) -> EmailWrite {
    EmailWrite {
        integration_id: None,
        actor: by.clone(),
        message_id: message_id.to_owned(),
        in_reply_to: in_reply_to.map(str::to_owned),
        references: Vec::new(),
        from_address: Some("researcher@example.org".into()),
        subject: "Security – Responsible disclosure".into(),
        body: format!("body of {message_id}"),
        sent_at: Some(at(-5)),
        raw_sha256: "00".repeat(32),
        raw_size: 100,
        report_source: if disclosure {
            ReportSource::Disclosure
        } else {
            ReportSource::Email
        },
        report_title: format!("Mail {message_id}"),
        report_description: "desc".into(),
        reporter: "researcher@example.org".into(),
        confidential: disclosure,
        service_id: None,
        attachments: Vec::new(),
    }
}

async fn email_threads_onto_reports_and_keeps_evidence(db: Db) {
    let s = &db.store;
    let mailbox = integration(&db, "mail", "email", KEY).await;
    let by = mailbox.actor();
    let viewer = db.user("viewer", Role::Viewer).await;
    let sec = db.user("sec", Role::Security).await;

    let mut first = email("m1@example.org", None, true, &by);
    first.integration_id = Some(mailbox.id);
    first.attachments = vec![
        AttachmentWrite {
            filename: Some("poc.txt".into()),
            content_type: "text/plain".into(),
            size: 5,
            sha256: "ab".repeat(32),
            content: Some("aGVsbG8=".into()),
        },
        AttachmentWrite {
            filename: Some("huge.bin".into()),
            content_type: "application/octet-stream".into(),
            size: 99_999_999,
            sha256: "cd".repeat(32),
            content: None,
        },
    ];
    let o1 = s.ingest_email(&first, at(1)).await.unwrap();
    assert!(!o1.threaded && !o1.duplicate);
    assert_eq!(o1.attachment_ids.len(), 2);

    // The disclosure does not exist for a viewer; it does for security.
    assert!(
        s.report(o1.report_id, &reader(&viewer, false), at(2))
            .await
            .unwrap()
            .is_none()
    );
    let seen = s
        .report(o1.report_id, &reader(&sec, true), at(2))
        .await
        .unwrap()
        .unwrap();
    assert!(seen.confidential);
    assert_eq!(seen.source, ReportSource::Disclosure);
    assert_eq!(seen.title, "Mail m1@example.org");

    // A reply by In-Reply-To, and one by References only, join the report.
    let o2 = s
        .ingest_email(
            &email("m2@example.org", Some("m1@example.org"), false, &by),
            at(3),
        )
        .await
        .unwrap();
    assert!(o2.threaded);
    assert_eq!(o2.report_id, o1.report_id);
    let mut by_refs = email("m3@example.org", Some("unknown@x"), false, &by);
    by_refs.references = vec!["m1@example.org".into(), "m2@example.org".into()];
    let o3 = s.ingest_email(&by_refs, at(4)).await.unwrap();
    assert!(o3.threaded);
    assert_eq!(o3.report_id, o1.report_id);

    // A redelivery changes nothing.
    let audit = db.count("audit_log").await;
    let again = s.ingest_email(&first, at(5)).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.report_id, o1.report_id);
    assert_eq!(again.attachment_ids, o1.attachment_ids);
    assert_eq!(db.count("audit_log").await, audit);
    assert_eq!(db.count("intake_email_messages").await, 3);

    // An unrelated message starts its own, ordinary report.
    let o4 = s
        .ingest_email(&email("m4@example.org", None, false, &by), at(6))
        .await
        .unwrap();
    assert_ne!(o4.report_id, o1.report_id);
    let plain = s
        .report(o4.report_id, &reader(&viewer, false), at(7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(plain.source, ReportSource::Email);
    assert!(!plain.confidential);

    let messages = s.report_emails(o1.report_id).await.unwrap();
    assert_eq!(
        messages
            .iter()
            .map(|m| m.message_id.as_str())
            .collect::<Vec<_>>(),
        vec!["m1@example.org", "m2@example.org", "m3@example.org"]
    );
    assert_eq!(messages[0].attachments.len(), 2);
    assert!(messages[0].attachments[0].stored);
    assert!(!messages[0].attachments[1].stored);
    assert_eq!(messages[0].attachments[1].sha256, "cd".repeat(32));
    assert_eq!(messages[1].in_reply_to.as_deref(), Some("m1@example.org"));
    let (meta, content) = s.attachment(o1.attachment_ids[0]).await.unwrap().unwrap();
    assert_eq!(meta.report_id, o1.report_id);
    assert_eq!(content.as_deref(), Some("aGVsbG8="));
    let (_, none) = s.attachment(o1.attachment_ids[1]).await.unwrap().unwrap();
    assert_eq!(none, None);

    let trail: Vec<String> = db
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a.starts_with("intake."))
        .collect();
    assert_eq!(
        trail,
        vec![
            "intake.email",
            "intake.email_reply",
            "intake.email_reply",
            "intake.email"
        ]
    );
}

async fn triage_filters_backlog_and_noise_respect_confidentiality(db: Db) {
    let s = &db.store;
    let payments = db.service("payments", "team-money").await;
    let search = db.service("search", "team-find").await;
    let am = integration(&db, "am", "alertmanager", KEY).await;
    let viewer = db.user("viewer", Role::Viewer).await;
    let sec = db.user("sec", Role::Security).await;
    let day = 86_400;

    let with_service = |key: &str, service_id: Option<i64>, confidential: bool| {
        let mut w = alert(key, AlertSignal::Firing);
        w.service_id = service_id;
        w.confidential = confidential;
        w
    };
    s.ingest_alerts(
        &[delivery(
            &am,
            vec![
                with_service("p1", Some(payments.id), false),
                with_service("s1", Some(search.id), false),
            ],
        )],
        at(0),
    )
    .await
    .unwrap();
    s.ingest_alerts(
        &[delivery(
            &am,
            vec![
                with_service("p2", Some(payments.id), false),
                with_service("secret", Some(payments.id), true),
            ],
        )],
        at(day),
    )
    .await
    .unwrap();
    let support = db
        .report("Customer call", false, &actor(&viewer), at(day + 10))
        .await;

    let list = |filter: TriageFilter, r: Reader| async move {
        s.triage_queue(&filter, &r, at(2 * day))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.title)
            .collect::<Vec<_>>()
    };
    let v = reader(&viewer, false);
    let all = reader(&sec, true);
    assert_eq!(
        list(
            TriageFilter {
                limit: 100,
                ..TriageFilter::default()
            },
            v
        )
        .await,
        vec!["Alert p1", "Alert s1", "Alert p2", "Customer call"]
    );
    assert_eq!(
        list(
            TriageFilter {
                service: Some("payments".into()),
                limit: 100,
                ..TriageFilter::default()
            },
            v
        )
        .await,
        vec!["Alert p1", "Alert p2"]
    );
    assert_eq!(
        list(
            TriageFilter {
                service: Some("payments".into()),
                limit: 100,
                ..TriageFilter::default()
            },
            all
        )
        .await,
        vec!["Alert p1", "Alert p2", "Alert secret"]
    );
    assert_eq!(
        list(
            TriageFilter {
                source: Some(ReportSource::Support),
                limit: 100,
                ..TriageFilter::default()
            },
            v
        )
        .await,
        vec!["Customer call"]
    );
    assert_eq!(
        list(
            TriageFilter {
                limit: 1,
                ..TriageFilter::default()
            },
            v
        )
        .await,
        vec!["Alert p1"]
    );

    // The alerts behind the listed reports, as the reader sees them.
    let queue = s
        .triage_queue(
            &TriageFilter {
                limit: 100,
                ..TriageFilter::default()
            },
            &all,
            at(2 * day),
        )
        .await
        .unwrap();
    let ids: Vec<i64> = queue.iter().map(|r| r.id).collect();
    assert_eq!(s.alerts_for_reports(&ids, &all).await.unwrap().len(), 4);
    assert_eq!(s.alerts_for_reports(&ids, &v).await.unwrap().len(), 3);

    // The backlog per source: count and the oldest's age.
    let backlog = s.triage_backlog(&v, at(2 * day)).await.unwrap();
    let got: Vec<(ReportSource, i64, i64)> = backlog
        .iter()
        .map(|b| (b.source, b.untriaged, b.oldest_age_seconds))
        .collect();
    assert_eq!(
        got,
        vec![
            (ReportSource::Monitoring, 3, 2 * day),
            (ReportSource::Support, 1, day - 10)
        ]
    );
    assert_eq!(backlog[0].oldest_received_at, at(0));
    let backlog = s.triage_backlog(&all, at(2 * day)).await.unwrap();
    assert_eq!(backlog[0].untriaged, 4);

    // Triaged reports leave the backlog.
    s.dismiss_report(support.id, "handled by phone", &actor(&sec), at(2 * day))
        .await
        .unwrap();
    assert_eq!(s.triage_backlog(&v, at(2 * day)).await.unwrap().len(), 1);

    // Noise: reports per service per UTC day, dismissed ones included.
    let noise = s
        .report_noise(at(-day), at(3 * day), None, &v)
        .await
        .unwrap();
    let day0 = at(0).date_naive();
    let got: Vec<(chrono::NaiveDate, Option<String>, i64)> = noise
        .iter()
        .map(|n| (n.day.date_naive(), n.service.clone(), n.reports))
        .collect();
    let next = day0.succ_opt().unwrap();
    assert_eq!(
        got,
        vec![
            (day0, Some("payments".into()), 1),
            (day0, Some("search".into()), 1),
            (next, None, 1),
            (next, Some("payments".into()), 1),
        ]
    );
    let noise = s
        .report_noise(at(-day), at(3 * day), Some(ReportSource::Monitoring), &all)
        .await
        .unwrap();
    assert_eq!(noise.iter().map(|n| n.reports).sum::<i64>(), 4, "{noise:?}");
}

/// A record's readers follow the most confidential record it is tied to: a
/// public alert's report declared as a security incident, and a public
/// incident a confidential report was linked to, exist only for the
/// security team, admins and the incident's members, in every list, single
/// read and count. The marker must reach nobody else.
async fn confidentiality_follows_the_records_a_record_is_tied_to(db: Db) {
    use firebreak_api::{IncidentFilter, Kind, ReportFilter};

    const MARK: &str = "ZX-SECRET-MARK";
    let s = &db.store;
    let am = integration(&db, "am", "alertmanager", KEY).await;
    let viewer = db.user("viewer", Role::Viewer).await;
    let outsider = db.user("outsider", Role::Responder).await;
    let member = db.user("member", Role::Responder).await;
    let sec = db.user("sec", Role::Security).await;

    // A public alert whose report is declared as a security incident.
    let mut w = alert("breach", AlertSignal::Firing);
    w.title = format!("alert {MARK}");
    w.report_title = format!("Alert {MARK}");
    let out = ingest_one(s, &am, w, 10).await;
    let (alert_id, r1) = (out.alert_id.unwrap(), out.report_id.unwrap());
    let mut f = crate::harness::fields(&format!("Breach {MARK}"), Kind::Security);
    f.summary = format!("summary {MARK}");
    let sec_incident = db
        .declare_new(
            new_incident(f, Some(r1), vec![member.id]),
            &actor(&sec),
            at(20),
        )
        .await;
    assert!(sec_incident.confidential);

    // A public availability incident, and a confidential report linked to it.
    let public = db
        .declare_new(
            new_incident(
                crate::harness::fields(&format!("Outage {MARK}"), Kind::Availability),
                None,
                vec![member.id],
            ),
            &actor(&sec),
            at(30),
        )
        .await;
    assert!(!public.confidential);
    let r2 = db
        .report(&format!("Disclosure {MARK}"), true, &actor(&sec), at(40))
        .await;
    s.link_report(r2.id, public.id, &actor(&sec), at(50))
        .await
        .unwrap();

    // Untriaged: one public report, one confidential.
    let r3 = db
        .report("Plain report", false, &actor(&viewer), at(60))
        .await;
    db.report(&format!("Mailed {MARK}"), true, &actor(&sec), at(70))
        .await;

    let declared = ReportFilter {
        status: Some(ReportStatus::Declared),
        source: None,
    };
    let linked = ReportFilter {
        status: Some(ReportStatus::Linked),
        source: None,
    };
    for (who, r) in [
        ("viewer", reader(&viewer, false)),
        ("outsider", reader(&outsider, false)),
    ] {
        let mut seen = String::new();
        // Single reads.
        assert!(s.report(r1, &r, at(80)).await.unwrap().is_none(), "{who}");
        assert!(
            s.report(r2.id, &r, at(80)).await.unwrap().is_none(),
            "{who}"
        );
        assert!(
            s.incident(sec_incident.id, &r).await.unwrap().is_none(),
            "{who}"
        );
        assert!(s.incident(public.id, &r).await.unwrap().is_none(), "{who}");
        assert!(
            s.intake_alert(alert_id, &r).await.unwrap().is_none(),
            "{who}"
        );
        // Lists.
        let incidents = s
            .list_incidents(&IncidentFilter::default(), &r)
            .await
            .unwrap();
        assert!(incidents.is_empty(), "{who}: {incidents:?}");
        for filter in [&declared, &linked, &ReportFilter::default()] {
            let reports = s.list_reports(filter, &r, at(80)).await.unwrap();
            seen.push_str(&format!("{reports:?}"));
        }
        for status in [
            ReportStatus::Declared,
            ReportStatus::Linked,
            ReportStatus::Untriaged,
        ] {
            let queue = s
                .triage_queue(
                    &TriageFilter {
                        status: Some(status),
                        limit: 100,
                        ..TriageFilter::default()
                    },
                    &r,
                    at(80),
                )
                .await
                .unwrap();
            seen.push_str(&format!("{queue:?}"));
        }
        let untriaged = s
            .list_reports(&ReportFilter::default(), &r, at(80))
            .await
            .unwrap();
        assert_eq!(
            untriaged.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![r3.id],
            "{who}"
        );
        let alerts = s
            .intake_alerts(
                &AlertFilter {
                    integration_id: None,
                    status: None,
                    limit: 100,
                },
                &r,
            )
            .await
            .unwrap();
        assert!(alerts.is_empty(), "{who}: {alerts:?}");
        assert!(
            s.alerts_for_reports(&[r1, r2.id], &r)
                .await
                .unwrap()
                .is_empty(),
            "{who}"
        );
        // Counts.
        let backlog = s.triage_backlog(&r, at(80)).await.unwrap();
        assert_eq!(
            backlog.iter().map(|b| b.untriaged).sum::<i64>(),
            1,
            "{who}: {backlog:?}"
        );
        let noise = s
            .report_noise(at(-86_400), at(86_400), None, &r)
            .await
            .unwrap();
        assert_eq!(
            noise.iter().map(|n| n.reports).sum::<i64>(),
            1,
            "{who}: {noise:?}"
        );
        assert!(!seen.contains(MARK), "{who} saw the marker: {seen}");
    }

    // The incident's members see both incidents and their reports; the
    // incident linked to a confidential report is confidential itself.
    let m = reader(&member, false);
    let got = s.incident(public.id, &m).await.unwrap().unwrap();
    assert!(got.confidential);
    assert_eq!(got.report_ids, vec![r2.id]);
    assert!(s.incident(sec_incident.id, &m).await.unwrap().is_some());
    let r1_seen = s.report(r1, &m, at(80)).await.unwrap().unwrap();
    assert!(r1_seen.confidential, "declared as a security incident");
    assert!(s.report(r2.id, &m, at(80)).await.unwrap().is_some());
    assert!(s.intake_alert(alert_id, &m).await.unwrap().is_some());
    assert_eq!(
        s.list_incidents(&IncidentFilter::default(), &m)
            .await
            .unwrap()
            .len(),
        2
    );

    // The security team sees everything and counts everything.
    let all = reader(&sec, true);
    let backlog = s.triage_backlog(&all, at(80)).await.unwrap();
    assert_eq!(backlog.iter().map(|b| b.untriaged).sum::<i64>(), 2);
    let noise = s
        .report_noise(at(-86_400), at(86_400), None, &all)
        .await
        .unwrap();
    assert_eq!(noise.iter().map(|n| n.reports).sum::<i64>(), 4);
}
