//! Customers, contacts, components and whom an incident affects.

use firebreak_api::Kind;
use firebreak_api::customers::{AffectedMode, ComponentStatus, CustomerContactKind};
use firebreak_store::StoreError;
use firebreak_store::customers::components::ComponentChanges;

use crate::harness::{Db, admin, at};

contract_tests!(
    customers_have_contacts_components_and_a_status_link,
    an_incidents_affected_set_is_resolved_and_on_its_timeline,
    resolving_an_incident_gives_its_components_back
);

async fn customers_have_contacts_components_and_a_status_link(db: Db) {
    let s = &db.store;
    let svc = db.service("api", "team-edge").await;
    let acme = s
        .create_customer("Acme Corp", "the first", &admin(), at(0))
        .await
        .unwrap();
    assert_eq!(acme.name, "Acme Corp");
    assert!(acme.contacts.is_empty() && !acme.has_status_link);
    match s.create_customer("Acme Corp", "", &admin(), at(1)).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("Acme Corp"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Names that differ only in case are one name.
    match s.create_customer("ACME corp", "", &admin(), at(1)).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("`Acme Corp`"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    let globex = s
        .create_customer("Globex", "", &admin(), at(1))
        .await
        .unwrap();
    assert_eq!(
        s.list_customers()
            .await
            .unwrap()
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Acme Corp", "Globex"]
    );
    let renamed = s
        .update_customer(globex.id, Some("Globex Inc"), None, &admin(), at(2))
        .await
        .unwrap();
    assert_eq!(renamed.name, "Globex Inc");
    assert!(matches!(
        s.update_customer(globex.id, Some("Acme Corp"), None, &admin(), at(2))
            .await,
        Err(StoreError::Conflict(_))
    ));

    let mail = s
        .add_customer_contact(
            acme.id,
            "ops",
            serde_json::json!({"kind": "email", "to": "ops@acme.example"}),
            &admin(),
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(mail.kind, CustomerContactKind::Email);
    assert_eq!(mail.target, "ops@acme.example");
    let hook = s
        .add_customer_contact(
            acme.id,
            "hook",
            serde_json::json!({"kind": "webhook", "url": "https://acme.example/h", "secret": "s3"}),
            &admin(),
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(hook.target, "https://acme.example/h");
    let channels = s.customer_contact_channels(&[acme.id]).await.unwrap();
    assert_eq!(channels.len(), 2);
    assert_eq!(channels[1].channel["secret"], "s3");
    assert!(
        s.customer_contact_channels(&[globex.id])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.remove_customer_contact(globex.id, mail.id, &admin(), at(4))
            .await,
        Err(StoreError::NotFound(_))
    ));
    s.remove_customer_contact(acme.id, mail.id, &admin(), at(4))
        .await
        .unwrap();
    let acme_now = s.customer(acme.id).await.unwrap().unwrap();
    assert_eq!(acme_now.contacts, vec![hook.clone()]);

    let web = s
        .create_component("Web app", "the site", svc.id, true, &admin(), at(5))
        .await
        .unwrap();
    assert_eq!(web.status, ComponentStatus::Operational);
    assert_eq!(web.service.name, "api");
    let db_c = s
        .create_component("Database", "", svc.id, false, &admin(), at(5))
        .await
        .unwrap();
    assert!(db_c.position > web.position);
    assert!(matches!(
        s.create_component("Web app", "", svc.id, true, &admin(), at(5))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.create_component("WEB APP", "", svc.id, true, &admin(), at(5))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.create_component("Other", "", 999, true, &admin(), at(5))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let moved = s
        .update_component(
            db_c.id,
            &ComponentChanges {
                position: Some(0),
                public: Some(true),
                ..Default::default()
            },
            &admin(),
            at(6),
        )
        .await
        .unwrap();
    assert!(moved.public && moved.position == 0);
    assert_eq!(
        s.list_components()
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        [db_c.id, web.id]
    );
    let down = s
        .set_component_status(web.id, ComponentStatus::PartialOutage, &admin(), at(7))
        .await
        .unwrap();
    assert_eq!(down.status, ComponentStatus::PartialOutage);
    let history = s.component_status_history(web.id, at(0)).await.unwrap();
    assert_eq!(
        history,
        vec![
            (ComponentStatus::Operational, None, at(5)),
            (ComponentStatus::PartialOutage, None, at(7)),
        ]
    );

    let acme_now = s
        .set_customer_components(acme.id, &[web.id, web.id, db_c.id], &admin(), at(8))
        .await
        .unwrap();
    assert_eq!(acme_now.component_ids, {
        let mut v = vec![web.id, db_c.id];
        v.sort();
        v
    });
    assert!(matches!(
        s.set_customer_components(acme.id, &[12345], &admin(), at(8))
            .await,
        Err(StoreError::NotFound(_))
    ));

    let token = s
        .new_customer_status_link(acme.id, &admin(), at(9))
        .await
        .unwrap();
    assert!(token.len() >= 40);
    let found = s.customer_by_status_token(&token).await.unwrap().unwrap();
    assert_eq!(found.id, acme.id);
    assert!(found.has_status_link);
    let token2 = s
        .new_customer_status_link(acme.id, &admin(), at(10))
        .await
        .unwrap();
    assert_ne!(token, token2);
    assert!(s.customer_by_status_token(&token).await.unwrap().is_none());
    assert!(s.customer_by_status_token("nope").await.unwrap().is_none());

    s.delete_customer(globex.id, &admin(), at(11))
        .await
        .unwrap();
    assert!(s.customer(globex.id).await.unwrap().is_none());
    let actions = db.audit_actions().await;
    for a in [
        "customer.create",
        "customer.update",
        "customer.contact.add",
        "customer.contact.remove",
        "component.create",
        "component.update",
        "component.status",
        "customer.components",
        "customer.status_link",
        "customer.delete",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} not audited: {actions:?}"
        );
    }
}

async fn an_incidents_affected_set_is_resolved_and_on_its_timeline(db: Db) {
    let s = &db.store;
    let svc = db.service("api", "team-edge").await;
    let a = s.create_customer("A", "", &admin(), at(0)).await.unwrap();
    let b = s.create_customer("B", "", &admin(), at(0)).await.unwrap();
    let c = s.create_customer("C", "", &admin(), at(0)).await.unwrap();
    let web = s
        .create_component("Web", "", svc.id, true, &admin(), at(0))
        .await
        .unwrap();
    let mail = s
        .create_component("Mail", "", svc.id, true, &admin(), at(0))
        .await
        .unwrap();
    s.set_customer_components(a.id, &[web.id], &admin(), at(0))
        .await
        .unwrap();
    s.set_customer_components(b.id, &[web.id, mail.id], &admin(), at(0))
        .await
        .unwrap();
    let inc = db
        .declare("outage", Kind::Availability, &admin(), at(1))
        .await;

    let none = s.incident_affected(inc.id).await.unwrap();
    assert_eq!(none.mode, None);
    assert!(none.customer_ids.is_empty() && none.components.is_empty());

    let set = s
        .set_incident_affected(
            inc.id,
            AffectedMode::Customers,
            &[c.id, a.id, a.id],
            &admin(),
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(set.mode, Some(AffectedMode::Customers));
    assert_eq!(set.customer_ids, vec![a.id, c.id]);
    assert!(matches!(
        s.set_incident_affected(inc.id, AffectedMode::Customers, &[999], &admin(), at(2))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.set_incident_affected(999, AffectedMode::All, &[], &admin(), at(2))
            .await,
        Err(StoreError::NotFound(_))
    ));
    // A customer an incident names cannot be deleted.
    assert!(matches!(
        s.delete_customer(c.id, &admin(), at(2)).await,
        Err(StoreError::Conflict(_))
    ));

    let comp = s
        .set_incident_components(
            inc.id,
            &[(mail.id, ComponentStatus::MajorOutage)],
            &admin(),
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(comp.components.len(), 1);
    assert_eq!(
        s.component(mail.id).await.unwrap().unwrap().status,
        ComponentStatus::MajorOutage
    );
    let derived = s
        .set_incident_affected(inc.id, AffectedMode::Components, &[a.id], &admin(), at(4))
        .await
        .unwrap();
    assert_eq!(derived.customer_ids, vec![b.id]);
    let all = s
        .set_incident_affected(inc.id, AffectedMode::All, &[], &admin(), at(5))
        .await
        .unwrap();
    assert_eq!(all.customer_ids, vec![a.id, b.id, c.id]);
    // Not named any more: deletable.
    s.delete_customer(c.id, &admin(), at(5)).await.unwrap();
    let nobody = s
        .set_incident_affected(inc.id, AffectedMode::Nobody, &[], &admin(), at(6))
        .await
        .unwrap();
    assert!(nobody.customer_ids.is_empty());

    // Taking a component out returns it to operational.
    s.set_incident_components(
        inc.id,
        &[(web.id, ComponentStatus::DegradedPerformance)],
        &admin(),
        at(7),
    )
    .await
    .unwrap();
    assert_eq!(
        s.component(mail.id).await.unwrap().unwrap().status,
        ComponentStatus::Operational
    );
    let history = s.component_status_history(mail.id, at(0)).await.unwrap();
    assert_eq!(
        history,
        vec![
            (ComponentStatus::Operational, None, at(0)),
            (ComponentStatus::MajorOutage, Some(inc.id), at(3)),
            (ComponentStatus::Operational, Some(inc.id), at(7)),
        ]
    );

    // A component already in the state the incident gives it: the
    // incident's row is still recorded; saving the same set again is not.
    s.set_component_status(mail.id, ComponentStatus::PartialOutage, &admin(), at(8))
        .await
        .unwrap();
    for t in [9, 10] {
        s.set_incident_components(
            inc.id,
            &[
                (web.id, ComponentStatus::DegradedPerformance),
                (mail.id, ComponentStatus::PartialOutage),
            ],
            &admin(),
            at(t),
        )
        .await
        .unwrap();
    }
    let history = s.component_status_history(mail.id, at(8)).await.unwrap();
    assert_eq!(
        history,
        vec![
            // The state the period starts in, then its changes.
            (ComponentStatus::Operational, Some(inc.id), at(7)),
            (ComponentStatus::PartialOutage, None, at(8)),
            (ComponentStatus::PartialOutage, Some(inc.id), at(9)),
        ]
    );

    let timeline = s.timeline(inc.id).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "affected.set").count(),
        4,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "components.set").count(),
        4,
        "{kinds:?}"
    );
    assert!(
        timeline
            .iter()
            .any(|e| e.summary == "Affected customers set to: A, C"),
        "{timeline:?}"
    );
    let actions = db.audit_actions().await;
    assert_eq!(
        actions.iter().filter(|a| *a == "incident.affected").count(),
        4
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "incident.components")
            .count(),
        4
    );
}

/// Resolving an incident (post-incident or closed) returns its components
/// to the worst state another unresolved incident gives them, or
/// operational, on their history and the incident's timeline; moving it
/// back takes them again.
async fn resolving_an_incident_gives_its_components_back(db: Db) {
    use firebreak_api::Phase;
    let s = &db.store;
    let svc = s
        .create_service("shop", "web", "", &admin(), at(0))
        .await
        .unwrap();
    let web = s
        .create_component("Web", "", svc.id, true, &admin(), at(0))
        .await
        .unwrap();
    let api = s
        .create_component("API", "", svc.id, true, &admin(), at(0))
        .await
        .unwrap();
    let first = db
        .declare("first", Kind::Availability, &admin(), at(1))
        .await;
    let second = db
        .declare("second", Kind::Availability, &admin(), at(2))
        .await;
    s.set_incident_components(
        first.id,
        &[
            (web.id, ComponentStatus::MajorOutage),
            (api.id, ComponentStatus::PartialOutage),
        ],
        &admin(),
        at(3),
    )
    .await
    .unwrap();
    s.set_incident_components(
        second.id,
        &[(api.id, ComponentStatus::DegradedPerformance)],
        &admin(),
        at(4),
    )
    .await
    .unwrap();
    let status = |id| async move { s.component(id).await.unwrap().unwrap().status };
    assert_eq!(status(web.id).await, ComponentStatus::MajorOutage);
    assert_eq!(status(api.id).await, ComponentStatus::DegradedPerformance);

    db.change(first.id, &admin(), at(10), |_, c| {
        c.fields.phase = Phase::PostIncident
    })
    .await;
    assert_eq!(status(web.id).await, ComponentStatus::Operational);
    // The second incident still gives the API its state.
    assert_eq!(status(api.id).await, ComponentStatus::DegradedPerformance);
    let timeline = s.timeline(first.id).await.unwrap();
    let settled = timeline
        .iter()
        .find(|e| e.kind == "components.settled")
        .expect("a components.settled event");
    assert!(
        settled.summary.contains("Web (operational)"),
        "{}",
        settled.summary
    );
    let history = s.component_status_history(web.id, at(0)).await.unwrap();
    assert_eq!(
        history.last().map(|h| (h.0, h.1)),
        Some((ComponentStatus::Operational, Some(first.id)))
    );

    // Moved back to recovery: the incident takes its components again.
    db.change(first.id, &admin(), at(20), |_, c| {
        c.fields.phase = Phase::Recovery
    })
    .await;
    assert_eq!(status(web.id).await, ComponentStatus::MajorOutage);
    assert_eq!(status(api.id).await, ComponentStatus::PartialOutage);

    db.change(second.id, &admin(), at(30), |_, c| {
        c.fields.phase = Phase::Closed
    })
    .await;
    assert_eq!(status(api.id).await, ComponentStatus::PartialOutage);
}
