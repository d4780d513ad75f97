//! Reports and the triage queue.

use firebreak_api::{Kind, Report, ReportFilter, ReportSource, ReportStatus, Role, incident_ref};
use firebreak_store::{NewReportRecord, Reader, Store, StoreError};

use crate::harness::{Db, actor, admin, at, entry, fields, new_incident, reader, user_ref};

contract_tests!(
    reports_are_created_untriaged,
    the_triage_queue_is_oldest_first,
    linking_a_report_triages_it,
    a_report_is_triaged_only_once,
    confidential_reports_exist_only_for_those_admitted,
);

async fn reports_are_created_untriaged(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Support).await;
    let svc = db.service("payments", "team-money").await;
    let r = s
        .create_report(
            &NewReportRecord {
                source: ReportSource::Monitoring,
                reporter: "pager@example.com".into(),
                title: "Checkout errors".into(),
                description: "5xx on /checkout".into(),
                confidential: false,
                service_id: Some(svc.id),
            },
            &actor(&alice),
            at(10),
        )
        .await
        .unwrap();
    assert!(r.id > 0);
    assert_eq!(r.source, ReportSource::Monitoring);
    assert_eq!(r.reporter, "pager@example.com");
    assert_eq!(r.title, "Checkout errors");
    assert_eq!(r.description, "5xx on /checkout");
    assert_eq!(r.received_at, at(10));
    assert_eq!(r.age_seconds, 0);
    assert_eq!(r.status, ReportStatus::Untriaged);
    assert_eq!(r.incident_id, None);
    assert_eq!(r.incident_ref, None);
    assert_eq!(r.triaged_by, None);
    assert_eq!(r.triaged_at, None);
    assert_eq!(r.dismiss_reason, None);
    assert!(!r.confidential);
    assert_eq!(r.service.as_deref(), Some("payments"));

    let other = db.user("other", Role::Viewer).await;
    let read = read_report(s, r.id, &reader(&other, false), 100).await;
    assert_eq!(read.age_seconds, 90);
    assert_eq!(read.title, r.title);
    assert_eq!(read.service.as_deref(), Some("payments"));
    // The age is never negative, even if the clock went back.
    let read = read_report(s, r.id, &reader(&other, false), 0).await;
    assert_eq!(read.age_seconds, 0);
    assert!(
        s.report(r.id + 1000, &reader(&other, true), at(100))
            .await
            .unwrap()
            .is_none()
    );

    let created = db.audit_of("report.create").await;
    assert_eq!(
        created,
        vec![(
            "report.create".to_owned(),
            format!("report:{}", r.id),
            "alice".to_owned()
        )]
    );
}

async fn the_triage_queue_is_oldest_first(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Responder).await;
    let me = reader(&alice, false);
    let by = actor(&alice);
    // Created out of order of arrival.
    let newest = db.report("newest", false, &by, at(20)).await;
    let oldest = db.report("oldest", false, &by, at(0)).await;
    let middle = db.report("middle", false, &by, at(10)).await;
    let monitoring = s
        .create_report(
            &NewReportRecord {
                source: ReportSource::Monitoring,
                reporter: "alerts".into(),
                title: "monitoring".into(),
                description: String::new(),
                confidential: false,
                service_id: None,
            },
            &by,
            at(5),
        )
        .await
        .unwrap();
    // Same arrival: the one stored first comes first.
    let tie_a = db.report("tie-a", false, &by, at(30)).await;
    let tie_b = db.report("tie-b", false, &by, at(30)).await;

    let queue = s
        .list_reports(&ReportFilter::default(), &me, at(100))
        .await
        .unwrap();
    let got: Vec<(i64, &str, i64)> = queue
        .iter()
        .map(|r| (r.id, r.title.as_str(), r.age_seconds))
        .collect();
    assert_eq!(
        got,
        vec![
            (oldest.id, "oldest", 100),
            (monitoring.id, "monitoring", 95),
            (middle.id, "middle", 90),
            (newest.id, "newest", 80),
            (tie_a.id, "tie-a", 70),
            (tie_b.id, "tie-b", 70),
        ]
    );
    assert!(queue.iter().all(|r| r.status == ReportStatus::Untriaged));

    let by_source = s
        .list_reports(
            &ReportFilter {
                status: None,
                source: Some(ReportSource::Monitoring),
            },
            &me,
            at(100),
        )
        .await
        .unwrap();
    assert_eq!(
        by_source.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![monitoring.id]
    );

    // Triaged reports leave the queue and are listed under their status.
    s.dismiss_report(middle.id, "duplicate", &by, at(50))
        .await
        .unwrap();
    let queue: Vec<i64> = s
        .list_reports(&ReportFilter::default(), &me, at(100))
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        queue,
        vec![oldest.id, monitoring.id, newest.id, tie_a.id, tie_b.id]
    );
    let dismissed = s
        .list_reports(
            &ReportFilter {
                status: Some(ReportStatus::Dismissed),
                source: None,
            },
            &me,
            at(100),
        )
        .await
        .unwrap();
    assert_eq!(dismissed.len(), 1);
    assert_eq!(dismissed[0].id, middle.id);
    assert_eq!(dismissed[0].status, ReportStatus::Dismissed);
    assert_eq!(dismissed[0].dismiss_reason.as_deref(), Some("duplicate"));
    assert_eq!(dismissed[0].triaged_by, Some(user_ref(&alice)));
    assert_eq!(dismissed[0].triaged_at, Some(at(50)));
    assert!(
        s.list_reports(
            &ReportFilter {
                status: Some(ReportStatus::Linked),
                source: None,
            },
            &me,
            at(100),
        )
        .await
        .unwrap()
        .is_empty()
    );
}

async fn linking_a_report_triages_it(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Responder).await;
    let me = reader(&alice, false);
    let by = actor(&alice);
    let inc = db
        .declare("Checkout down", Kind::Availability, &by, at(0))
        .await;
    let r = db.report("Cannot pay", false, &admin(), at(5)).await;

    s.link_report(r.id, inc.id, &by, at(50)).await.unwrap();
    let linked = s.report(r.id, &me, at(60)).await.unwrap().unwrap();
    assert_eq!(linked.status, ReportStatus::Linked);
    assert_eq!(linked.incident_id, Some(inc.id));
    assert_eq!(linked.incident_ref, Some(incident_ref(inc.id)));
    assert_eq!(linked.triaged_by, Some(user_ref(&alice)));
    assert_eq!(linked.triaged_at, Some(at(50)));
    assert_eq!(linked.dismiss_reason, None);
    assert!(
        s.list_reports(&ReportFilter::default(), &me, at(60))
            .await
            .unwrap()
            .is_empty()
    );

    let inc_now = s.incident(inc.id, &me).await.unwrap().unwrap();
    assert_eq!(inc_now.report_ids, vec![r.id]);
    let timeline = s.timeline(inc.id).await.unwrap();
    assert_eq!(timeline.len(), 1);
    let event = &timeline[0];
    assert_eq!(event.kind, "report_linked");
    assert_eq!(event.incident_id, inc.id);
    assert_eq!(event.actor.as_deref(), Some("alice"));
    assert_eq!(event.at, at(50));
    assert!(event.summary.contains("Cannot pay"), "{}", event.summary);
    assert_eq!(event.details, serde_json::json!({"report_id": r.id}));

    // To a missing incident: refused, and the report stays in the queue.
    let r2 = db.report("Another", false, &admin(), at(6)).await;
    let missing = inc.id + 1000;
    match s.link_report(r2.id, missing, &by, at(70)).await {
        Err(StoreError::NotFound(m)) => assert!(m.contains(&incident_ref(missing)), "{m}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let still = s.report(r2.id, &me, at(70)).await.unwrap().unwrap();
    assert_eq!(still.status, ReportStatus::Untriaged);
    assert_eq!(still.triaged_by, None);
    // A missing report.
    match s.link_report(r2.id + 1000, inc.id, &by, at(70)).await {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(s.timeline(inc.id).await.unwrap().len(), 1);

    let trail = db.audit_trail().await;
    assert_eq!(
        trail.iter().filter(|e| e.0 == "report.link").count(),
        1,
        "{trail:?}"
    );
    assert_eq!(
        trail.last().unwrap(),
        &entry("report.create", format!("report:{}", r2.id), "local:test")
    );
}

async fn a_report_is_triaged_only_once(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Responder).await;
    let me = reader(&alice, false);
    let by = actor(&alice);
    let inc = db.declare("Existing", Kind::Availability, &by, at(0)).await;
    let r = db.report("Spam", false, &by, at(1)).await;

    s.dismiss_report(r.id, "spam", &by, at(2)).await.unwrap();
    let dismissed = s.report(r.id, &me, at(3)).await.unwrap().unwrap();
    assert_eq!(dismissed.status, ReportStatus::Dismissed);
    assert_eq!(dismissed.dismiss_reason.as_deref(), Some("spam"));
    assert_eq!(dismissed.triaged_by, Some(user_ref(&alice)));
    assert_eq!(dismissed.triaged_at, Some(at(2)));

    let audit_before = db.count("audit_log").await;
    let incidents_before = db.count("incidents").await;

    match s.dismiss_report(r.id, "again", &by, at(4)).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("dismissed"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    match s.link_report(r.id, inc.id, &by, at(4)).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("dismissed"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    let declare = s
        .declare_incident(
            &new_incident(
                fields("From spam", Kind::Availability),
                Some(r.id),
                vec![alice.id],
            ),
            &by,
            at(4),
        )
        .await;
    match declare {
        Err(StoreError::Conflict(m)) => assert!(m.contains("dismissed"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }

    // None of the refused triages wrote anything.
    assert_eq!(db.count("incidents").await, incidents_before);
    assert_eq!(db.count("incident_members").await, 0);
    assert_eq!(db.count("timeline_events").await, 0);
    assert_eq!(db.count("audit_log").await, audit_before);
    let after = s.report(r.id, &me, at(5)).await.unwrap().unwrap();
    assert_eq!(after.status, ReportStatus::Dismissed);
    assert_eq!(after.dismiss_reason.as_deref(), Some("spam"));
    assert_eq!(after.incident_id, None);
    assert_eq!(after.triaged_at, Some(at(2)));
    assert!(s.verify_audit().await.unwrap().ok);

    match s.dismiss_report(r.id + 1000, "x", &by, at(6)).await {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Report `id` as `r` reads it at [`at`]`(secs)`; it must be there.
async fn read_report(s: &Store, id: i64, r: &Reader, secs: i64) -> Report {
    s.report(id, r, at(secs)).await.unwrap().unwrap()
}

/// Whether `r` may read report `id` at [`at`]`(secs)`.
async fn sees_report(s: &Store, id: i64, r: &Reader, secs: i64) -> bool {
    s.report(id, r, at(secs)).await.unwrap().is_some()
}

async fn confidential_reports_exist_only_for_those_admitted(db: Db) {
    let s = &db.store;
    let submitter = db.user("submitter", Role::Support).await;
    let other = db.user("other", Role::Responder).await;
    let sec = db.user("sec", Role::Security).await;
    let member = db.user("member", Role::Viewer).await;

    let secret = db
        .report("Disclosure", true, &actor(&submitter), at(0))
        .await;
    assert!(secret.confidential);
    let public = db.report("Public", false, &actor(&submitter), at(1)).await;
    let anonymous_secret = db.report("Mailed in", true, &admin(), at(2)).await;

    let queue_of = |r: firebreak_store::Reader| async move {
        s.list_reports(&ReportFilter::default(), &r, at(10))
            .await
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>()
    };

    // Others: it does not exist.
    let other_reader = reader(&other, false);
    assert!(!sees_report(s, secret.id, &other_reader, 10).await);
    assert!(!sees_report(s, anonymous_secret.id, &other_reader, 10).await);
    assert!(sees_report(s, public.id, &other_reader, 10).await);
    assert_eq!(queue_of(other_reader).await, vec![public.id]);

    // Its creator sees it, but not someone else's confidential report.
    let submitter_reader = reader(&submitter, false);
    let seen = s
        .report(secret.id, &submitter_reader, at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.title, "Disclosure");
    assert!(seen.confidential);
    assert_eq!(queue_of(submitter_reader).await, vec![secret.id, public.id]);

    // Security readers see all of them.
    let sec_reader = reader(&sec, true);
    assert!(sees_report(s, secret.id, &sec_reader, 10).await);
    assert_eq!(
        queue_of(sec_reader).await,
        vec![secret.id, public.id, anonymous_secret.id]
    );

    // Declared as an incident: its members see it too.
    let inc = s
        .declare_incident(
            &new_incident(
                fields("Disclosed bug", Kind::Security),
                Some(secret.id),
                vec![member.id],
            ),
            &actor(&sec),
            at(20),
        )
        .await
        .unwrap();
    let member_sees = read_report(s, secret.id, &reader(&member, false), 30).await;
    assert_eq!(member_sees.status, ReportStatus::Declared);
    assert_eq!(member_sees.incident_id, Some(inc.id));
    let declared = ReportFilter {
        status: Some(ReportStatus::Declared),
        source: None,
    };
    assert_eq!(
        s.list_reports(&declared, &reader(&member, false), at(30))
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![secret.id]
    );
    assert!(!sees_report(s, secret.id, &other_reader, 30).await);
    assert!(
        s.list_reports(&declared, &other_reader, at(30))
            .await
            .unwrap()
            .is_empty()
    );
}
