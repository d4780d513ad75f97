//! Responsible disclosures: tracking ids, the status-link secret, the
//! receipt in the outbox, messages and files, and confidentiality.

use firebreak_api::disclosure::DisclosureChannel;
use firebreak_api::{ReportFilter, Role};
use firebreak_store::Actor;
use firebreak_store::disclosures::{NewDisclosureMessage, NewDisclosureRecord, RESEARCHER, STAFF};
use firebreak_store::intake::AttachmentWrite;
use firebreak_store::status::BuiltMessage;
use serde_json::json;
use sqlx::Row;

use crate::harness::{Db, actor, at, reader};

contract_tests!(
    disclosures_get_tracking_ids_secret_links_and_a_receipt,
    disclosure_messages_and_files_keep_internal_notes_and_hashes,
    the_change_marker_of_a_restricted_reader_ignores_confidential_changes
);

fn new(title: &str) -> NewDisclosureRecord {
    NewDisclosureRecord {
        channel: DisclosureChannel::Form,
        title: title.into(),
        description: "SQL injection in the search box".into(),
        steps: "1. type ' OR 1=1 --".into(),
        impact: "read every tenant's data".into(),
        asset: "app.example.com".into(),
        researcher_name: Some("Rita".into()),
        researcher_email: Some("rita@example.org".into()),
        credit: true,
        client_addr: Some("203.0.113.9".into()),
        embargo_until: at(90 * 86400),
        attachments: vec![AttachmentWrite {
            filename: Some("poc.txt".into()),
            content_type: "text/plain".into(),
            size: 5,
            sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
            content: Some("aGVsbG8=".into()),
        }],
    }
}

fn receipt(tracking: &str, token: &str) -> Option<BuiltMessage> {
    Some(BuiltMessage {
        channel: json!({"kind": "email", "to": "rita@example.org"}),
        message: json!({"verbatim": {"event": "disclosure_receipt",
            "subject": format!("[{tracking}] received"), "text": format!("link /security/status/{token}")}}),
    })
}

async fn disclosures_get_tracking_ids_secret_links_and_a_receipt(db: Db) {
    let s = &db.store;
    let anon = Actor::system();
    let a = s
        .create_disclosure(&new("first"), &receipt, &anon, at(0))
        .await
        .unwrap();
    let b = s
        .create_disclosure(&new("second"), &|_, _| None, &anon, at(1))
        .await
        .unwrap();
    assert_eq!(a.tracking_id, "VULN-2030-0001");
    assert_eq!(b.tracking_id, "VULN-2030-0002");
    assert_ne!(a.token, b.token);
    assert!(a.token.len() >= 40, "{}", a.token);

    let got = s.disclosure_by_token(&a.token).await.unwrap().unwrap();
    assert_eq!(got.id, a.id);
    assert_eq!(got.title, "first");
    assert_eq!(got.state.as_str(), "received");
    assert_eq!(got.embargo_until, at(90 * 86400));
    assert!(s.disclosure_by_token("wrong").await.unwrap().is_none());
    assert!(s.disclosure_by_token("").await.unwrap().is_none());
    assert_eq!(
        s.disclosure_by_tracking_id("VULN-2030-0002")
            .await
            .unwrap()
            .map(|d| d.id),
        Some(b.id)
    );
    assert_eq!(
        s.disclosures(None)
            .await
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>(),
        [b.id, a.id]
    );

    // The receipt is in the outbox once, carrying the secret; the second
    // disclosure built none.
    let rows = db
        .rows("SELECT idempotency_key, message FROM outbox ORDER BY id")
        .await;
    assert_eq!(rows.len(), 1);
    let key: String = rows[0].try_get("idempotency_key").unwrap();
    let message: String = rows[0].try_get("message").unwrap();
    assert_eq!(key, format!("disclosure:{}:receipt", a.id));
    assert!(message.contains(&a.token) && message.contains("VULN-2030-0001"));
    let stored: Vec<String> = db
        .rows("SELECT token_hash FROM disclosures")
        .await
        .iter()
        .map(|r| r.try_get("token_hash").unwrap())
        .collect();
    assert!(!stored.contains(&a.token), "only the hash is stored");

    // The report behind it is a confidential disclosure: a responder's
    // triage queue does not hold it, the security team's does.
    let bob = db.user("bob", Role::Responder).await;
    let sec = db.user("sam", Role::Security).await;
    let queue = |r| async move {
        s.list_reports(&ReportFilter::default(), &r, at(5))
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert!(!queue(reader(&bob, false)).await.contains(&a.report_id));
    assert!(queue(reader(&sec, true)).await.contains(&a.report_id));
    let report = s
        .report(a.report_id, &reader(&sec, true), at(5))
        .await
        .unwrap()
        .unwrap();
    assert!(report.confidential);
    assert_eq!(report.source.as_str(), "disclosure");
    assert_eq!(report.reporter, "Rita <rita@example.org>");

    let events = s.disclosure_events(a.id).await.unwrap();
    assert_eq!(events[0].kind, "disclosure.received");
    assert_eq!(events[0].detail["receipt_sent"], json!(true));
    assert!(
        db.audit_actions()
            .await
            .contains(&"disclosure.create".to_owned())
    );
}

async fn disclosure_messages_and_files_keep_internal_notes_and_hashes(db: Db) {
    let s = &db.store;
    let d = s
        .create_disclosure(&new("x"), &|_, _| None, &Actor::system(), at(0))
        .await
        .unwrap();
    let files = s.disclosure_attachments(d.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename.as_deref(), Some("poc.txt"));
    assert_eq!(files[0].added_by, RESEARCHER);
    assert!(files[0].stored);
    let (f, content) = s
        .disclosure_attachment(d.id, files[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.sha256, files[0].sha256);
    assert_eq!(content.as_deref(), Some("aGVsbG8="));
    assert!(
        s.disclosure_attachment(d.id + 1000, files[0].id)
            .await
            .unwrap()
            .is_none()
    );

    let sam = db.user("sam", Role::Security).await;
    let staff = actor(&sam);
    let reply = |body: &str, internal| NewDisclosureMessage {
        author: STAFF,
        body: body.into(),
        internal,
        email_message_id: None,
        attachments: Vec::new(),
    };
    s.add_disclosure_message(d.id, &reply("thanks, looking", false), None, &staff, at(10))
        .await
        .unwrap();
    s.add_disclosure_message(d.id, &reply("MARKER internal", true), None, &staff, at(11))
        .await
        .unwrap();
    let mail = NewDisclosureMessage {
        author: RESEARCHER,
        body: "more details".into(),
        internal: false,
        email_message_id: Some("abc@researcher".into()),
        attachments: Vec::new(),
    };
    let first = s
        .add_disclosure_message(d.id, &mail, None, &Actor::system(), at(12))
        .await
        .unwrap();
    let again = s
        .add_disclosure_message(d.id, &mail, None, &Actor::system(), at(13))
        .await
        .unwrap();
    assert!(!first.duplicate && again.duplicate);
    assert_eq!(again.message_id, first.message_id);

    let public = s.disclosure_messages(d.id, false).await.unwrap();
    assert_eq!(
        public.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["thanks, looking", "more details"]
    );
    assert_eq!(public[0].user.as_deref(), Some("sam"));
    let all = s.disclosure_messages(d.id, true).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all[1].internal);
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
            "disclosure.message",
            "disclosure.message",
            "disclosure.message"
        ]
    );
    assert!(
        s.add_disclosure_message(9999, &reply("nobody", false), None, &staff, at(20))
            .await
            .is_err()
    );
}

/// A viewer's change marker (what `/events` sends them) does not move
/// when a disclosure arrives or is worked, or a security incident changes;
/// it moves for what they may see. The security team's moves for both.
async fn the_change_marker_of_a_restricted_reader_ignores_confidential_changes(db: Db) {
    let s = &db.store;
    let viewer = db.user("vera", Role::Viewer).await;
    let sec = db.user("sam", Role::Security).await;
    let v = reader(&viewer, false);
    let t = reader(&sec, true);
    let open = db
        .declare(
            "public outage",
            firebreak_api::Kind::Availability,
            &actor(&sec),
            at(0),
        )
        .await;
    let before = (
        s.change_marker_for(&v).await.unwrap(),
        s.change_marker_for(&t).await.unwrap(),
    );
    let d = s
        .create_disclosure(&new("MARKER"), &|_, _| None, &Actor::system(), at(1))
        .await
        .unwrap();
    let note = NewDisclosureMessage {
        author: STAFF,
        body: "internal".into(),
        internal: true,
        email_message_id: None,
        attachments: Vec::new(),
    };
    s.add_disclosure_message(d.id, &note, None, &actor(&sec), at(2))
        .await
        .unwrap();
    db.declare(
        "secret breach",
        firebreak_api::Kind::Security,
        &actor(&sec),
        at(3),
    )
    .await;
    assert_eq!(s.change_marker_for(&v).await.unwrap(), before.0);
    assert_ne!(s.change_marker_for(&t).await.unwrap(), before.1);
    assert_eq!(
        s.change_marker_for(&t).await.unwrap(),
        s.change_marker().await.unwrap()
    );
    // A change the viewer may see moves their marker.
    db.report("printer on fire", false, &actor(&sec), at(4))
        .await;
    let after_report = s.change_marker_for(&v).await.unwrap();
    assert_ne!(after_report, before.0);
    let _ = open;
}
