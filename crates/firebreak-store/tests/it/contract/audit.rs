//! The audit hash chain: every write appends, verification finds edits and
//! removals and names the first bad entry.

use serde_json::json;

use firebreak_api::{AuditEntry, AuditVerification, Kind, Role};
use firebreak_store::audit::{GENESIS, entry_hash};
use firebreak_store::secrets::{hash_password, new_token, random_secret};
use firebreak_store::{Actor, NewUser};

use crate::harness::{Db, actor, admin, at, fields, new_incident, user_ref};

contract_tests!(
    every_write_appends_to_one_chain,
    an_empty_log_verifies,
    an_edited_entry_is_named,
    an_edit_with_a_recomputed_hash_is_found_at_the_next_link,
    a_rewritten_last_entry_is_named,
    a_deleted_last_entry_is_noticed,
    a_deleted_middle_entry_is_named,
    a_deleted_first_entry_is_named,
    an_entry_added_behind_the_stores_back_is_named,
);

/// Five audited writes of different kinds.
async fn history(db: &Db) -> i64 {
    let alice = db.user("alice", Role::Responder).await;
    db.store
        .create_service("payments", "team", "", &admin(), at(1))
        .await
        .unwrap();
    let r = db.report("Report", false, &actor(&alice), at(2)).await;
    let inc = db
        .declare("Incident", Kind::Availability, &actor(&alice), at(3))
        .await;
    db.store
        .link_report(r.id, inc.id, &actor(&alice), at(4))
        .await
        .unwrap();
    let n = db.count("audit_log").await;
    assert_eq!(n, 5);
    let v = db.store.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    n
}

/// Verifies the log and asserts what [`assert_bad`] does of the outcome.
async fn assert_verifies_bad(db: &Db, seq: i64, entries: i64, problem: &str) {
    let v = db.store.verify_audit().await.unwrap();
    assert_bad(&v, seq, entries, problem);
}

/// The hash of entry `e` with `details` instead of its own.
fn rehash(e: &AuditEntry, details: &str) -> String {
    entry_hash(
        e.seq,
        e.at.timestamp_millis(),
        &e.actor,
        &e.action,
        &e.target,
        details,
        &e.prev_hash,
    )
}

fn assert_bad(v: &AuditVerification, seq: i64, entries: i64, problem: &str) {
    assert!(!v.ok, "{v:?}");
    assert_eq!(v.first_bad_seq, Some(seq), "{v:?}");
    assert_eq!(v.entries, entries, "{v:?}");
    let p = v.problem.as_deref().unwrap_or_default();
    assert!(
        p.contains(problem),
        "problem {p:?} should mention {problem:?}"
    );
}

async fn every_write_appends_to_one_chain(db: Db) {
    let s = &db.store;
    let root = s
        .create_user(
            &NewUser {
                name: "root".into(),
                display_name: "Root".into(),
                email: None,
                role: Role::Admin,
                password_hash: None,
            },
            &Actor::local("bootstrap"),
            at(1),
        )
        .await
        .unwrap();
    let by_root = actor(&root);
    let alice = s
        .create_user(
            &NewUser {
                name: "alice".into(),
                display_name: "Alice".into(),
                email: Some("alice@example.com".into()),
                role: Role::Responder,
                password_hash: None,
            },
            &by_root,
            at(2),
        )
        .await
        .unwrap();
    let by_alice = actor(&alice);
    s.set_password(
        "alice",
        &hash_password("a long password").unwrap(),
        &by_root,
        at(3),
    )
    .await
    .unwrap();
    s.create_token(&user_ref(&alice), "cli", &new_token(), &by_alice, at(4))
        .await
        .unwrap();
    s.create_session(&random_secret(), &alice, "csrf", at(5), at(9999))
        .await
        .unwrap();
    s.create_service("payments", "team", "", &by_root, at(6))
        .await
        .unwrap();
    let r1 = db.report("one", false, &by_alice, at(7)).await;
    let r2 = db.report("two", true, &by_alice, at(8)).await;
    let r3 = db.report("three", false, &by_alice, at(9)).await;
    s.dismiss_report(r1.id, "spam", &by_alice, at(10))
        .await
        .unwrap();
    let inc = db
        .declare_new(
            new_incident(
                fields("From two", Kind::Security),
                Some(r2.id),
                vec![alice.id],
            ),
            &by_alice,
            at(11),
        )
        .await;
    db.change(inc.id, &by_alice, at(12), |_, c| {
        c.note = Some("a note".into());
        c.audit_action = "incident.note";
        c.audit_details = json!({"length": 6});
    })
    .await;
    s.link_report(r3.id, inc.id, &by_alice, at(13))
        .await
        .unwrap();
    s.record(
        &by_root,
        "audit.export",
        "audit",
        json!({"format": "jsonl"}),
        at(14),
    )
    .await
    .unwrap();

    let inc_ref = inc.reference.clone();
    let want: Vec<(&str, String, &str)> = vec![
        ("user.create", "user:root".into(), "local:bootstrap"),
        ("user.create", "user:alice".into(), "root"),
        ("user.password", "user:alice".into(), "root"),
        ("token.create", "user:alice".into(), "alice"),
        ("session.login", "user:alice".into(), "alice"),
        ("service.create", "service:payments".into(), "root"),
        ("report.create", format!("report:{}", r1.id), "alice"),
        ("report.create", format!("report:{}", r2.id), "alice"),
        ("report.create", format!("report:{}", r3.id), "alice"),
        ("report.dismiss", format!("report:{}", r1.id), "alice"),
        ("incident.declare", inc_ref.clone(), "alice"),
        ("incident.note", inc_ref.clone(), "alice"),
        ("report.link", format!("report:{}", r3.id), "alice"),
        ("audit.export", "audit".into(), "root"),
    ];
    let mut entries = s.audit_entries(1000).await.unwrap();
    entries.reverse();
    let got: Vec<(&str, String, &str)> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.target.clone(), e.actor.as_str()))
        .collect();
    assert_eq!(got, want);
    let n = i64::try_from(want.len()).unwrap();

    // Each entry carries its own time, in order here.
    let times: Vec<_> = entries.iter().map(|e| e.at).collect();
    assert_eq!(times, (1..=n).map(at).collect::<Vec<_>>());

    // Details as written.
    assert_eq!(
        entries[1].details,
        json!({"id": alice.id, "role": "responder", "email": "alice@example.com"})
    );
    assert_eq!(entries[9].details, json!({"reason": "spam"}));
    assert_eq!(entries[11].details, json!({"length": 6}));
    assert_eq!(entries[12].details, json!({"incident": inc_ref}));
    assert_eq!(entries[13].details, json!({"format": "jsonl"}));

    // One chain: consecutive sequence numbers, each entry linked to the one
    // before, each hash over the entry's own fields.
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i64::try_from(i).unwrap() + 1);
        assert_eq!(e.prev_hash, prev, "entry {}", e.seq);
        let recomputed = rehash(e, &e.details.to_string());
        assert_eq!(e.hash, recomputed, "entry {}", e.seq);
        prev = e.hash.clone();
    }
    assert_eq!(db.int("SELECT seq FROM audit_head WHERE id = 1").await, n);

    // The newest first, limited.
    let newest: Vec<i64> = s
        .audit_entries(3)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(newest, vec![n, n - 1, n - 2]);

    let v = s.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.entries, n);
    assert_eq!(v.first_bad_seq, None);
    assert_eq!(v.problem, None);
}

async fn an_empty_log_verifies(db: Db) {
    let v = db.store.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.entries, 0);
    assert_eq!(v.first_bad_seq, None);
    assert!(db.store.audit_entries(10).await.unwrap().is_empty());
}

async fn an_edited_entry_is_named(db: Db) {
    let n = history(&db).await;
    let original = db.store.audit_entries(100).await.unwrap();
    let third = original.iter().find(|e| e.seq == 3).unwrap();
    let touched = db
        .exec(r#"UPDATE audit_log SET details = '{"role":"admin"}' WHERE seq = 3"#)
        .await;
    assert_eq!(touched, 1);
    assert_verifies_bad(&db, 3, 2, "entry 3 was changed").await;

    // Put back as it was, the chain holds again.
    db.exec(&format!(
        "UPDATE audit_log SET details = '{}' WHERE seq = 3",
        third.details
    ))
    .await;
    assert!(db.store.verify_audit().await.unwrap().ok, "restored");

    // Other fields count too: the actor of the last entry.
    db.exec(&format!(
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = {n}"
    ))
    .await;
    assert_verifies_bad(&db, n, n - 1, &format!("entry {n} was changed")).await;
}

async fn an_edit_with_a_recomputed_hash_is_found_at_the_next_link(db: Db) {
    let n = history(&db).await;
    let mut entries = db.store.audit_entries(100).await.unwrap();
    entries.reverse();
    let e = &entries[2];
    let details = r#"{"forged":true}"#;
    let hash = rehash(e, details);
    let touched = db
        .exec(&format!(
            "UPDATE audit_log SET details = '{details}', hash = '{hash}' WHERE seq = {}",
            e.seq
        ))
        .await;
    assert_eq!(touched, 1);
    assert_verifies_bad(&db, e.seq + 1, e.seq, "does not link").await;
    assert!(n > e.seq + 1);
}

async fn a_rewritten_last_entry_is_named(db: Db) {
    let n = history(&db).await;
    let e = db.store.audit_entries(1).await.unwrap().remove(0);
    assert_eq!(e.seq, n);
    let details = r#"{"forged":true}"#;
    let hash = rehash(&e, details);
    db.exec(&format!(
        "UPDATE audit_log SET details = '{details}', hash = '{hash}' WHERE seq = {n}"
    ))
    .await;
    // Its hash holds and it links to its predecessor, but the head of the
    // log recorded another hash: the last entry is the bad one.
    assert_verifies_bad(&db, n, n - 1, &format!("entry {n}")).await;
}

async fn a_deleted_last_entry_is_noticed(db: Db) {
    let n = history(&db).await;
    let touched = db
        .exec(&format!("DELETE FROM audit_log WHERE seq = {n}"))
        .await;
    assert_eq!(touched, 1);
    assert_verifies_bad(&db, n, n - 1, "removed").await;
}

async fn a_deleted_middle_entry_is_named(db: Db) {
    history(&db).await;
    let touched = db.exec("DELETE FROM audit_log WHERE seq = 3").await;
    assert_eq!(touched, 1);
    assert_verifies_bad(&db, 3, 2, "entry 3 is missing").await;
}

async fn a_deleted_first_entry_is_named(db: Db) {
    history(&db).await;
    db.exec("DELETE FROM audit_log WHERE seq = 1").await;
    assert_verifies_bad(&db, 1, 0, "entry 1 is missing").await;
}

async fn an_entry_added_behind_the_stores_back_is_named(db: Db) {
    let n = history(&db).await;
    let last = db.store.audit_entries(1).await.unwrap().remove(0);
    // A well-formed entry, linked to the last one, but not recorded by the
    // head: only the store appends.
    let seq = n + 1;
    let at_ms = at(100).timestamp_millis();
    let hash = entry_hash(
        seq,
        at_ms,
        "mallory",
        "user.create",
        "user:mallory",
        "{}",
        &last.hash,
    );
    db.exec(&format!(
        "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) \
         VALUES ({seq}, {at_ms}, 'mallory', 'user.create', 'user:mallory', '{{}}', '{}', '{hash}')",
        last.hash
    ))
    .await;
    assert_verifies_bad(&db, seq, n, "added outside the store").await;
}
