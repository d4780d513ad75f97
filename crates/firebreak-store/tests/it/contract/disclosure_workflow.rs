//! The security team's changes to a disclosure: the workflow's rules, the
//! researcher told through the outbox in the same transaction, timeline
//! and audit, two staff racing, and reminders claimed once per interval.

use firebreak_api::Role;
use firebreak_api::Severity;
use firebreak_api::disclosure::{Awaiting, DisclosureChannel, DisclosureState, TriageOutcome};
use firebreak_store::disclosures::{DisclosureChange, DisclosureRecord, NewDisclosureRecord};
use firebreak_store::status::BuiltMessage;
use firebreak_store::{Actor, OutboxWrite, StoreError};
use serde_json::json;
use sqlx::Row;

use crate::harness::{Db, actor, at};

contract_tests!(
    the_workflow_moves_forward_and_tells_the_researcher,
    triage_rules_refuse_bad_verdicts,
    embargo_changes_need_a_reason_and_a_future_date,
    two_staff_racing_move_it_once,
    reminders_are_claimed_once_per_interval
);

fn new(title: &str) -> NewDisclosureRecord {
    NewDisclosureRecord {
        channel: DisclosureChannel::Api,
        title: title.into(),
        description: "XSS".into(),
        steps: String::new(),
        impact: String::new(),
        asset: String::new(),
        researcher_name: None,
        researcher_email: Some("rita@example.org".into()),
        credit: false,
        client_addr: None,
        embargo_until: at(90 * 86400),
        attachments: Vec::new(),
    }
}

fn tell(d: &DisclosureRecord, c: &DisclosureChange) -> Option<BuiltMessage> {
    let to = d.researcher_email.clone()?;
    Some(BuiltMessage {
        channel: json!({"kind": "email", "to": to}),
        message: json!({"verbatim": {"event": "disclosure_update",
            "subject": format!("[{}] {}", d.tracking_id, c.kind()), "text": d.state.as_str(),
            "payload": {}}}),
    })
}

fn mv(to: DisclosureState) -> DisclosureChange {
    DisclosureChange::Move { to, message: None }
}

fn triage(outcome: TriageOutcome, reason: Option<&str>, dup: Option<&str>) -> DisclosureChange {
    DisclosureChange::Triage {
        outcome,
        reason: reason.map(str::to_owned),
        duplicate_of: dup.map(str::to_owned),
    }
}

async fn outbox_subjects(db: &Db) -> Vec<String> {
    db.rows("SELECT message FROM outbox ORDER BY id")
        .await
        .iter()
        .map(|r| {
            let m: String = r.try_get("message").unwrap();
            let v: serde_json::Value = serde_json::from_str(&m).unwrap();
            v["verbatim"]["subject"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn the_workflow_moves_forward_and_tells_the_researcher(db: Db) {
    let s = &db.store;
    let sam = db.user("sam", Role::Security).await;
    let staff = actor(&sam);
    let d = s
        .create_disclosure(&new("a"), &|_, _| None, &Actor::system(), at(0))
        .await
        .unwrap();
    let ack = s
        .change_disclosure(
            d.id,
            &mv(DisclosureState::Acknowledged),
            &tell,
            &staff,
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(ack.state, DisclosureState::Acknowledged);
    assert_eq!(ack.acknowledged_at, Some(at(10)));
    // Fixed before triage is refused, nothing written.
    let e = s
        .change_disclosure(d.id, &mv(DisclosureState::Fixed), &tell, &staff, at(11))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    let t = s
        .change_disclosure(
            d.id,
            &triage(TriageOutcome::Valid, None, None),
            &tell,
            &staff,
            at(20),
        )
        .await
        .unwrap();
    assert_eq!(t.triage_outcome, Some(TriageOutcome::Valid));
    assert_eq!(t.triaged_at, Some(at(20)));
    let c = s
        .change_disclosure(
            d.id,
            &DisclosureChange::Cvss {
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                score_tenths: 98,
                severity: Severity::Critical,
            },
            &|_, _| None,
            &staff,
            at(30),
        )
        .await
        .unwrap();
    assert_eq!(c.cvss_score(), Some(9.8));
    assert_eq!(c.severity, Some(Severity::Critical));
    let f = s
        .change_disclosure(
            d.id,
            &DisclosureChange::Move {
                to: DisclosureState::Fixed,
                message: Some("patched in 2.3.1".into()),
            },
            &tell,
            &staff,
            at(40),
        )
        .await
        .unwrap();
    assert_eq!(f.fixed_at, Some(at(40)));
    let msgs = s.disclosure_messages(d.id, false).await.unwrap();
    assert_eq!(
        msgs.last().map(|m| m.body.as_str()),
        Some("patched in 2.3.1")
    );
    s.change_disclosure(d.id, &mv(DisclosureState::Disclosed), &tell, &staff, at(50))
        .await
        .unwrap();
    let e = s
        .change_disclosure(d.id, &mv(DisclosureState::Disclosed), &tell, &staff, at(51))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");

    assert_eq!(
        outbox_subjects(&db).await,
        [
            format!("[{}] disclosure.state", d.tracking_id),
            format!("[{}] disclosure.triage", d.tracking_id),
            format!("[{}] disclosure.state", d.tracking_id),
            format!("[{}] disclosure.state", d.tracking_id),
        ]
    );
    let kinds: Vec<String> = s
        .disclosure_events(d.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "disclosure.received",
            "disclosure.state",
            "disclosure.triage",
            "disclosure.cvss",
            "disclosure.state",
            "disclosure.state"
        ]
    );
    let audit = db.audit_actions().await;
    for a in ["disclosure.state", "disclosure.triage", "disclosure.cvss"] {
        assert!(audit.contains(&a.to_owned()), "{a} audited: {audit:?}");
    }
}

async fn triage_rules_refuse_bad_verdicts(db: Db) {
    let s = &db.store;
    let sam = db.user("sam", Role::Security).await;
    let staff = actor(&sam);
    let a = s
        .create_disclosure(&new("a"), &|_, _| None, &Actor::system(), at(0))
        .await
        .unwrap();
    let b = s
        .create_disclosure(&new("b"), &|_, _| None, &Actor::system(), at(1))
        .await
        .unwrap();
    for bad in [
        triage(TriageOutcome::NotApplicable, None, None),
        triage(TriageOutcome::NotApplicable, Some("  "), None),
        triage(TriageOutcome::Duplicate, None, None),
        triage(TriageOutcome::Duplicate, None, Some(&b.tracking_id)),
        triage(TriageOutcome::Duplicate, None, Some("VULN-1999-0001")),
    ] {
        let e = s
            .change_disclosure(b.id, &bad, &tell, &staff, at(5))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{bad:?}: {e:?}");
    }
    assert_eq!(db.rows("SELECT id FROM outbox").await.len(), 0);
    let dup = s
        .change_disclosure(
            b.id,
            &triage(TriageOutcome::Duplicate, None, Some(&a.tracking_id)),
            &tell,
            &staff,
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(dup.duplicate_of.as_deref(), Some(a.tracking_id.as_str()));
    // No chains and no cycles: the original cannot become a duplicate of
    // its duplicate, and a third report names the original, not b.
    let c = s
        .create_disclosure(&new("c"), &|_, _| None, &Actor::system(), at(2))
        .await
        .unwrap();
    for (who, of) in [
        (a.id, &b.tracking_id),
        (c.id, &b.tracking_id),
        (a.id, &c.tracking_id),
    ] {
        let e = s
            .change_disclosure(
                who,
                &triage(TriageOutcome::Duplicate, None, Some(of)),
                &tell,
                &staff,
                at(6),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{who} of {of}: {e:?}");
    }
    let lower = a.tracking_id.to_lowercase();
    let c_dup = s
        .change_disclosure(
            c.id,
            &triage(TriageOutcome::Duplicate, None, Some(&lower)),
            &tell,
            &staff,
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(c_dup.duplicate_of.as_deref(), Some(a.tracking_id.as_str()));
    // A duplicate is not fixed, and no incident is linked to it.
    let e = s
        .change_disclosure(
            b.id,
            &DisclosureChange::Incident { incident_id: 1 },
            &tell,
            &staff,
            at(7),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    // It can be triaged again (corrected) until it is being fixed.
    let na = s
        .change_disclosure(
            b.id,
            &triage(TriageOutcome::NotApplicable, Some("out of scope"), None),
            &tell,
            &staff,
            at(8),
        )
        .await
        .unwrap();
    assert_eq!(na.triage_reason.as_deref(), Some("out of scope"));
    assert_eq!(na.duplicate_of, None);
}

async fn embargo_changes_need_a_reason_and_a_future_date(db: Db) {
    let s = &db.store;
    let sam = db.user("sam", Role::Security).await;
    let staff = actor(&sam);
    let d = s
        .create_disclosure(&new("a"), &|_, _| None, &Actor::system(), at(0))
        .await
        .unwrap();
    let emb = |until, reason: &str| DisclosureChange::Embargo {
        until,
        reason: reason.into(),
    };
    for bad in [emb(at(200 * 86400), " "), emb(at(5), "past")] {
        let e = s
            .change_disclosure(d.id, &bad, &tell, &staff, at(10))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    }
    let got = s
        .change_disclosure(
            d.id,
            &emb(at(120 * 86400), "vendor needs time"),
            &tell,
            &staff,
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(got.embargo_until, at(120 * 86400));
    let events = s.disclosure_events(d.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind, "disclosure.embargo");
    assert_eq!(last.detail["reason"], json!("vendor needs time"));
    assert_eq!(outbox_subjects(&db).await.len(), 1);
}

async fn two_staff_racing_move_it_once(db: Db) {
    let s = db.store.clone();
    let sam = db.user("sam", Role::Security).await;
    let d = s
        .create_disclosure(&new("a"), &|_, _| None, &Actor::system(), at(0))
        .await
        .unwrap();
    let other = db.second_store().await;
    let change = mv(DisclosureState::Acknowledged);
    let who = actor(&sam);
    let (a, b) = tokio::join!(
        s.change_disclosure(d.id, &change, &tell, &who, at(5)),
        other.change_disclosure(d.id, &change, &tell, &who, at(6)),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(db.rows("SELECT id FROM outbox").await.len(), 1);
    let states = s
        .disclosure_events(d.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "disclosure.state")
        .count();
    assert_eq!(states, 1);
    other.close().await;
}

async fn reminders_are_claimed_once_per_interval(db: Db) {
    let s = &db.store;
    let d = s
        .create_disclosure(&new("a"), &|_, _| None, &Actor::system(), at(0))
        .await
        .unwrap();
    let msg = |key: &str| OutboxWrite {
        idempotency_key: key.into(),
        user_id: None,
        channel: json!({"kind": "email", "to": "sec@example.com"}),
        message: json!({"event": "disclosure_reminder"}),
        delay_secs: 0,
        admin_set: false,
    };
    assert!(s.disclosure_reminders(d.id).await.unwrap().is_empty());
    assert!(
        s.remind_disclosure(
            d.id,
            Awaiting::Acknowledge,
            None,
            &[msg("k1")],
            json!({}),
            at(100)
        )
        .await
        .unwrap()
    );
    // A second worker that read the same (empty) state claims nothing.
    assert!(
        !s.remind_disclosure(
            d.id,
            Awaiting::Acknowledge,
            None,
            &[msg("k1b")],
            json!({}),
            at(101)
        )
        .await
        .unwrap()
    );
    let last = s.disclosure_reminders(d.id).await.unwrap();
    assert_eq!(last, [(Awaiting::Acknowledge, at(100))]);
    assert!(
        s.remind_disclosure(
            d.id,
            Awaiting::Acknowledge,
            Some(at(100)),
            &[msg("k2")],
            json!({}),
            at(200)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.remind_disclosure(
            d.id,
            Awaiting::Acknowledge,
            Some(at(100)),
            &[msg("k2b")],
            json!({}),
            at(201)
        )
        .await
        .unwrap()
    );
    assert_eq!(db.rows("SELECT id FROM outbox").await.len(), 2);
    let reminders = s
        .disclosure_events(d.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "disclosure.reminder")
        .count();
    assert_eq!(reminders, 2);
    assert_eq!(s.open_disclosures().await.unwrap().len(), 1);
}
