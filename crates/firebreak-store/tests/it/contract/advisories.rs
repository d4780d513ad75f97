//! Advisories: drafted from a disclosure, edited, published only once the
//! disclosure is disclosed; the public readers see only published ones, and
//! acknowledgments only researchers who agreed to be credited.

use firebreak_api::Role;
use firebreak_api::disclosure::{AdvisoryEdit, DisclosureChannel};
use firebreak_store::disclosures::NewDisclosureRecord;
use firebreak_store::{Actor, StoreError};

use crate::harness::{Db, actor, at};

contract_tests!(
    advisories_are_drafted_edited_and_published_once_disclosed,
    public_readers_show_only_published_advisories_and_agreed_credits
);

fn new(title: &str, name: Option<&str>, credit: bool) -> NewDisclosureRecord {
    NewDisclosureRecord {
        channel: DisclosureChannel::Form,
        title: title.into(),
        description: format!(
            "{title} lead paragraph.\nStill the lead.\n\nDetails nobody publishes."
        ),
        steps: "1. step".into(),
        impact: "impact".into(),
        asset: "app.example.com 2.3".into(),
        researcher_name: name.map(Into::into),
        researcher_email: Some("r@example.org".into()),
        credit,
        client_addr: None,
        embargo_until: at(90 * 86400),
        attachments: Vec::new(),
    }
}

/// Sets a disclosure's state and score behind the store's back (the staff
/// workflow that moves it is another part of issue 12).
async fn set_state(db: &Db, id: i64, state: &str) {
    db.exec(&format!(
        "UPDATE disclosures SET state = '{state}', severity = 'critical', \
         cvss_vector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', cvss_score_tenths = 98 \
         WHERE id = {id}"
    ))
    .await;
}

async fn advisories_are_drafted_edited_and_published_once_disclosed(db: Db) {
    let s = &db.store;
    let sam = db.user("sam", Role::Security).await;
    let me = actor(&sam);
    let d = s
        .create_disclosure(
            &new("Stored XSS", Some("Rita"), true),
            &|_, _| None,
            &Actor::system(),
            at(0),
        )
        .await
        .unwrap();
    let a = s.draft_advisory(d.id, &me, at(10)).await.unwrap();
    assert_eq!(a.slug, d.tracking_id.to_ascii_lowercase());
    assert_eq!(a.tracking_id, d.tracking_id);
    assert_eq!(a.title, "Stored XSS");
    assert_eq!(a.summary, "Stored XSS lead paragraph.\nStill the lead.");
    assert_eq!(a.affected, "app.example.com 2.3");
    assert_eq!(a.fix, "");
    assert_eq!(a.credit.as_deref(), Some("Rita"));
    assert_eq!(a.state, "draft");
    assert_eq!(a.severity, None);
    assert!(a.published_at.is_none());
    // One per disclosure.
    assert!(matches!(
        s.draft_advisory(d.id, &me, at(11)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.draft_advisory(9999, &me, at(11)).await,
        Err(StoreError::NotFound(_))
    ));

    // Edit: the fields given, the score copied from the disclosure.
    set_state(&db, d.id, "fixed").await;
    let e = s
        .edit_advisory(
            a.id,
            &AdvisoryEdit {
                fix: Some("Upgrade to 2.4".into()),
                credit: Some("Rita R.".into()),
                ..Default::default()
            },
            &me,
            at(20),
        )
        .await
        .unwrap();
    assert_eq!(e.fix, "Upgrade to 2.4");
    assert_eq!(e.credit.as_deref(), Some("Rita R."));
    assert_eq!(e.title, "Stored XSS");
    assert_eq!(e.cvss_score_tenths, Some(98));
    assert_eq!(
        e.severity.map(|s| s.to_string()).as_deref(),
        Some("critical")
    );
    assert_eq!(e.updated_at, at(20));

    // Not disclosed yet: refused, naming the state.
    match s.publish_advisory(a.id, &me, at(30)).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("`fixed`"), "{m}"),
        other => panic!("published a fixed disclosure's advisory: {other:?}"),
    }
    assert!(s.published_advisories().await.unwrap().is_empty());

    set_state(&db, d.id, "disclosed").await;
    let p = s.publish_advisory(a.id, &me, at(40)).await.unwrap();
    assert!(p.is_published());
    assert_eq!(p.published_at, Some(at(40)));
    assert!(matches!(
        s.publish_advisory(a.id, &me, at(41)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.advisory(a.id).await.unwrap().unwrap().state, "published");
    assert_eq!(
        s.advisory_of_disclosure(d.id).await.unwrap().map(|a| a.id),
        Some(a.id)
    );
    assert_eq!(s.advisories().await.unwrap().len(), 1);

    let actions: Vec<String> = s
        .disclosure_events(d.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "disclosure.advisory")
        .map(|e| e.detail["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(actions, ["draft", "edit", "publish"]);
    let audit = db.audit_actions().await;
    for action in ["advisory.draft", "advisory.edit", "advisory.publish"] {
        assert!(audit.contains(&action.to_owned()), "{action} in {audit:?}");
    }
}

async fn public_readers_show_only_published_advisories_and_agreed_credits(db: Db) {
    let s = &db.store;
    let me = actor(&db.user("sam", Role::Security).await);
    let create = |t, n, c| async move {
        s.create_disclosure(&new(t, n, c), &|_, _| None, &Actor::system(), at(0))
            .await
            .unwrap()
    };
    let public = create("Public one", Some("Pat"), true).await;
    let shy = create("Shy one", Some("Sandy"), false).await;
    let draft = create("MARKER draft", Some("Dora"), true).await;
    let _undrafted = create("MARKER undrafted", Some("Una"), true).await;
    for d in [&public, &shy] {
        set_state(&db, d.id, "disclosed").await;
    }
    set_state(&db, draft.id, "disclosed").await;
    let pa = s.draft_advisory(public.id, &me, at(1)).await.unwrap();
    let sa = s.draft_advisory(shy.id, &me, at(2)).await.unwrap();
    s.draft_advisory(draft.id, &me, at(3)).await.unwrap();
    // The shy researcher is not credited, and cannot be.
    assert_eq!(sa.credit, None);
    assert!(matches!(
        s.edit_advisory(
            sa.id,
            &AdvisoryEdit {
                credit: Some("Sandy".into()),
                ..Default::default()
            },
            &me,
            at(4)
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    s.publish_advisory(pa.id, &me, at(10)).await.unwrap();
    s.publish_advisory(sa.id, &me, at(20)).await.unwrap();

    let listed: Vec<String> = s
        .published_advisories()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert_eq!(listed, ["Shy one", "Public one"], "newest first");
    assert!(s.published_advisory(&pa.slug).await.unwrap().is_some());
    let draft_slug = draft.tracking_id.to_ascii_lowercase();
    assert!(s.published_advisory(&draft_slug).await.unwrap().is_none());
    assert!(s.published_advisory("").await.unwrap().is_none());

    let acks = s.acknowledgments().await.unwrap();
    assert_eq!(
        acks.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Pat"]
    );
    assert_eq!(acks[0].slug, pa.slug);

    // A published advisory whose disclosure is (somehow) no longer
    // disclosed leaves every public reader.
    set_state(&db, public.id, "fixed").await;
    assert!(s.published_advisory(&pa.slug).await.unwrap().is_none());
    assert!(s.acknowledgments().await.unwrap().is_empty());
}
