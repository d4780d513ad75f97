//! Concurrent writers: changes to one incident are serialized, and audit
//! appends from unrelated writes never fork or break the chain.

use std::collections::BTreeSet;
use std::convert::Infallible;

use serde_json::json;
use tokio::task::JoinSet;

use firebreak_api::{Kind, Role};
use firebreak_store::{IncidentChange, TimelineEntry};

use crate::harness::{Db, actor, admin, at, reader};

contract_tests!(
    twenty_concurrent_notes_on_one_incident,
    concurrent_writes_to_different_records_share_one_chain,
    verification_holds_while_writers_append,
);

async fn twenty_concurrent_notes_on_one_incident(db: Db) {
    let alice = db.user("alice", Role::Responder).await;
    let inc = db
        .declare("Busy incident", Kind::Availability, &admin(), at(0))
        .await;
    let audit_before = db.count("audit_log").await;

    let mut tasks = JoinSet::new();
    for i in 0..20i64 {
        let store = db.store.clone();
        let by = actor(&alice);
        let id = inc.id;
        tasks.spawn(async move {
            store
                .change_incident(id, &by, at(10 + i), move |state| {
                    let mut c = IncidentChange::from(state, "incident.note");
                    c.note = Some(format!("note {i}"));
                    c.timeline = vec![TimelineEntry {
                        kind: "note_added",
                        summary: format!("Note {i} added"),
                        reason: None,
                        details: json!({"n": i}),
                    }];
                    c.audit_details = json!({"n": i});
                    Ok::<_, Infallible>(c)
                })
                .await
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let changed = joined
            .expect("task")
            .expect("store")
            .unwrap_or_else(|e| match e {});
        assert_eq!(changed.id, inc.id);
        done += 1;
    }
    assert_eq!(done, 20);

    let notes = db.store.notes(inc.id).await.unwrap();
    assert_eq!(notes.len(), 20);
    let bodies: BTreeSet<String> = notes.iter().map(|n| n.body.clone()).collect();
    let want: BTreeSet<String> = (0..20).map(|i| format!("note {i}")).collect();
    assert_eq!(bodies, want);
    assert!(
        notes
            .iter()
            .all(|n| n.author.as_ref().map(|a| a.id) == Some(alice.id))
    );

    let timeline = db.store.timeline(inc.id).await.unwrap();
    assert_eq!(timeline.len(), 20);
    assert!(timeline.iter().all(|e| e.kind == "note_added"));

    let audit_after = db.count("audit_log").await;
    assert_eq!(audit_after, audit_before + 20);
    let notes_audited = db
        .audit_actions()
        .await
        .iter()
        .filter(|a| *a == "incident.note")
        .count();
    assert_eq!(notes_audited, 20);

    let v = db.store.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.entries, audit_after);

    let current = db
        .store
        .incident(inc.id, &reader(&alice, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.phase_entries.len(), 1);
}

/// Writes that lock nothing in common but the audit head: on PostgreSQL they
/// run in parallel transactions, so only the head's row lock keeps them from
/// appending the same sequence number.
async fn concurrent_writes_to_different_records_share_one_chain(db: Db) {
    let alice = db.user("alice", Role::Responder).await;
    let mut incidents = Vec::new();
    for i in 0..5 {
        let inc = db
            .declare(
                &format!("incident {i}"),
                Kind::Availability,
                &admin(),
                at(i),
            )
            .await;
        incidents.push(inc.id);
    }
    let audit_before = db.count("audit_log").await;

    let mut tasks = JoinSet::new();
    for i in 0..40i64 {
        let store = db.store.clone();
        let by = actor(&alice);
        let incident = incidents[usize::try_from(i % 5).unwrap()];
        tasks.spawn(async move {
            match i % 4 {
                0 => {
                    store
                        .record(
                            &by,
                            "test.ping",
                            &format!("ping:{i}"),
                            json!({"i": i}),
                            at(100 + i),
                        )
                        .await
                }
                1 => store
                    .create_report(
                        &firebreak_store::NewReportRecord {
                            source: firebreak_api::ReportSource::Api,
                            reporter: "load".into(),
                            title: format!("report {i}"),
                            description: String::new(),
                            confidential: false,
                            service_id: None,
                        },
                        &by,
                        at(100 + i),
                    )
                    .await
                    .map(|_| ()),
                _ => store
                    .change_incident(incident, &by, at(100 + i), move |state| {
                        let mut c = IncidentChange::from(state, "incident.note");
                        c.note = Some(format!("note {i}"));
                        Ok::<_, Infallible>(c)
                    })
                    .await
                    .map(|r| {
                        r.unwrap_or_else(|e| match e {});
                    }),
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined
            .expect("task")
            .expect("every concurrent write succeeds");
    }

    let audit_after = db.count("audit_log").await;
    assert_eq!(audit_after, audit_before + 40);
    let seqs: Vec<i64> = {
        let mut entries = db.store.audit_entries(1000).await.unwrap();
        entries.reverse();
        entries.iter().map(|e| e.seq).collect()
    };
    assert_eq!(seqs, (1..=audit_after).collect::<Vec<_>>());
    assert_eq!(
        db.int("SELECT seq FROM audit_head WHERE id = 1").await,
        audit_after
    );
    let v = db.store.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.entries, audit_after);
    assert_eq!(db.count("reports").await, 10);
    assert_eq!(db.count("notes").await, 20);
}

/// Verifying while others write must never report tampering that did not
/// happen.
async fn verification_holds_while_writers_append(db: Db) {
    let alice = db.user("alice", Role::Responder).await;
    let writers = {
        let mut tasks = JoinSet::new();
        for w in 0..2i64 {
            let store = db.store.clone();
            let by = actor(&alice);
            tasks.spawn(async move {
                for i in 0..60 {
                    store
                        .record(&by, "test.ping", &format!("ping:{w}:{i}"), json!({}), at(i))
                        .await
                        .expect("append");
                }
            });
        }
        tasks
    };
    let mut checks = 0;
    let mut writers = writers;
    loop {
        let v = db.store.verify_audit().await.unwrap();
        assert!(
            v.ok,
            "verification while writing, after {checks} good checks: {v:?}"
        );
        checks += 1;
        if writers.is_empty() {
            break;
        }
        while let Some(joined) = writers.try_join_next() {
            joined.expect("writer");
        }
    }
    let v = db.store.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.entries, 121);
    assert!(checks > 1);
}
