//! The services catalog.

use firebreak_store::StoreError;

use crate::harness::{Db, admin, at, entry};

contract_tests!(services_are_created_listed_and_unique);

async fn services_are_created_listed_and_unique(db: Db) {
    let s = &db.store;
    assert!(s.list_services().await.unwrap().is_empty());

    let payments = s
        .create_service("payments", "team-money", "Card payments", &admin(), at(0))
        .await
        .unwrap();
    assert!(payments.id > 0);
    assert_eq!(payments.name, "payments");
    assert_eq!(payments.owner_team, "team-money");
    assert_eq!(payments.description, "Card payments");
    assert_eq!(payments.created_at, at(0));

    let api = s
        .create_service("api", "team-edge", "", &admin(), at(1))
        .await
        .unwrap();
    assert_ne!(api.id, payments.id);
    assert_eq!(api.description, "");

    // Sorted by name.
    assert_eq!(
        s.list_services().await.unwrap(),
        vec![api.clone(), payments.clone()]
    );
    assert_eq!(
        s.service_by_name("payments").await.unwrap(),
        Some(payments.clone())
    );
    assert_eq!(s.service_by_name("nope").await.unwrap(), None);

    match s
        .create_service("payments", "team-other", "again", &admin(), at(2))
        .await
    {
        Err(StoreError::Conflict(m)) => assert!(m.contains("payments"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(s.list_services().await.unwrap().len(), 2);
    assert_eq!(s.service_by_name("payments").await.unwrap(), Some(payments));

    assert_eq!(
        db.audit_trail().await,
        vec![
            entry("service.create", "service:payments", "local:test"),
            entry("service.create", "service:api", "local:test"),
        ]
    );
}
