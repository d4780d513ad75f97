//! Users, API tokens, password hashes and browser sessions.

use firebreak_api::{Role, UserRef};
use firebreak_store::secrets::{
    TOKEN_PREFIX, hash_password, new_token, random_secret, secret_hash, verify_password,
};
use firebreak_store::{NewUser, StoreError};

use crate::harness::{Db, actor, admin, at, entry, user_ref};

contract_tests!(
    users_are_created_and_found,
    a_duplicate_user_name_is_a_conflict,
    api_tokens_authenticate_until_revoked,
    the_login_hash_is_retrievable,
    sessions_live_until_they_expire_or_are_deleted,
);

async fn users_are_created_and_found(db: Db) {
    let s = &db.store;
    assert_eq!(s.user_count().await.unwrap(), 0);
    assert!(s.list_users().await.unwrap().is_empty());

    let alice = s
        .create_user(
            &NewUser {
                name: "alice".into(),
                display_name: "Alice Archer".into(),
                email: Some("alice@example.com".into()),
                role: Role::Lead,
                password_hash: None,
            },
            &admin(),
            at(0),
        )
        .await
        .unwrap();
    assert!(alice.id > 0);
    assert_eq!(alice.name, "alice");
    assert_eq!(alice.display_name, "Alice Archer");
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice.role, Role::Lead);
    assert!(!alice.disabled);
    assert_eq!(alice.created_at, at(0));

    let bob = s
        .create_user(
            &NewUser {
                name: "bob".into(),
                display_name: "Bob".into(),
                email: None,
                role: Role::Viewer,
                password_hash: None,
            },
            &admin(),
            at(5),
        )
        .await
        .unwrap();
    let aaron = db.user("aaron", Role::Security).await;
    assert_ne!(alice.id, bob.id);
    assert_ne!(bob.id, aaron.id);
    assert_eq!(bob.email, None);
    assert_eq!(bob.created_at, at(5));

    // What was returned is what was stored.
    assert_eq!(s.user_by_name("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(s.user_by_name("bob").await.unwrap(), Some(bob.clone()));
    assert_eq!(s.user_by_id(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(s.user_by_id(bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(s.user_by_name("carol").await.unwrap(), None);
    assert_eq!(s.user_by_name("ALICE").await.unwrap(), None);
    assert_eq!(s.user_by_id(bob.id + aaron.id + 1000).await.unwrap(), None);

    assert_eq!(
        s.user_ref("bob").await.unwrap(),
        UserRef {
            id: bob.id,
            name: "bob".into()
        }
    );
    match s.user_ref("carol").await {
        Err(StoreError::NotFound(m)) => assert!(m.contains("carol"), "{m}"),
        other => panic!("expected NotFound, got {other:?}"),
    }

    // Sorted by name.
    assert_eq!(
        s.list_users().await.unwrap(),
        vec![aaron.clone(), alice.clone(), bob.clone()]
    );
    assert_eq!(s.user_count().await.unwrap(), 3);

    assert_eq!(
        db.audit_trail().await,
        vec![
            entry("user.create", "user:alice", "local:test"),
            ("user.create".into(), "user:bob".into(), "local:test".into()),
            entry("user.create", "user:aaron", "local:test"),
        ]
    );
}

async fn a_duplicate_user_name_is_a_conflict(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Lead).await;
    let again = s
        .create_user(
            &NewUser {
                name: "alice".into(),
                display_name: "Another Alice".into(),
                email: None,
                role: Role::Admin,
                password_hash: None,
            },
            &admin(),
            at(10),
        )
        .await;
    match again {
        Err(StoreError::Conflict(m)) => assert!(m.contains("alice"), "{m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Nothing of the refused user was written.
    assert_eq!(s.user_count().await.unwrap(), 1);
    assert_eq!(s.user_by_name("alice").await.unwrap(), Some(alice));
    assert_eq!(db.audit_actions().await, vec!["user.create"]);
    assert!(s.verify_audit().await.unwrap().ok);
}

async fn api_tokens_authenticate_until_revoked(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Responder).await;
    let bob = db.user("bob", Role::Viewer).await;

    let token = new_token();
    assert!(token.starts_with(TOKEN_PREFIX));
    let token_id = s
        .create_token(&user_ref(&alice), "ci", &token, &admin(), at(1))
        .await
        .unwrap();
    let bob_token = new_token();
    let bob_token_id = s
        .create_token(&user_ref(&bob), "laptop", &bob_token, &actor(&bob), at(2))
        .await
        .unwrap();
    assert_ne!(token_id, bob_token_id);

    assert_eq!(s.user_by_token(&token).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        s.user_by_token(&bob_token).await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(s.user_by_token(&new_token()).await.unwrap(), None);
    assert_eq!(s.user_by_token("").await.unwrap(), None);
    assert_eq!(
        s.user_by_token(&secret_hash(&token)).await.unwrap(),
        None,
        "the stored hash is not itself a token"
    );

    // Only the hash is stored.
    let hash = secret_hash(&token);
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{hash}' AND id = {token_id} \
             AND user_id = {} AND name = 'ci' AND revoked_at IS NULL",
            alice.id
        ))
        .await,
        1
    );
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{token}'"
        ))
        .await,
        0
    );

    // A revoked token authenticates nobody; other tokens are unaffected.
    let revoked = db
        .exec(&format!(
            "UPDATE api_tokens SET revoked_at = {} WHERE id = {token_id}",
            at(3).timestamp_millis()
        ))
        .await;
    assert_eq!(revoked, 1);
    assert_eq!(s.user_by_token(&token).await.unwrap(), None);
    assert_eq!(
        s.user_by_token(&bob_token).await.unwrap(),
        Some(bob.clone())
    );

    // Nor does the token of a disabled user.
    db.exec(&format!(
        "UPDATE users SET disabled = 1 WHERE id = {}",
        bob.id
    ))
    .await;
    assert_eq!(s.user_by_token(&bob_token).await.unwrap(), None);

    assert_eq!(
        db.audit_trail().await[2..],
        [
            entry("token.create", "user:alice", "local:test"),
            ("token.create".into(), "user:bob".into(), "bob".into()),
        ]
    );
}

async fn the_login_hash_is_retrievable(db: Db) {
    let s = &db.store;
    let password = "correct horse battery staple";
    let hash = hash_password(password).unwrap();
    let alice = s
        .create_user(
            &NewUser {
                name: "alice".into(),
                display_name: "Alice".into(),
                email: None,
                role: Role::Admin,
                password_hash: Some(hash.clone()),
            },
            &admin(),
            at(0),
        )
        .await
        .unwrap();
    let bob = db.user("bob", Role::Support).await;

    let (user, stored) = s.user_for_login("alice").await.unwrap().unwrap();
    assert_eq!(user, alice);
    assert_eq!(stored.as_deref(), Some(hash.as_str()));
    assert!(verify_password(password, stored.as_deref().unwrap()));
    assert!(!verify_password(
        "wrong password",
        stored.as_deref().unwrap()
    ));

    // A user without a password signs in only with a token.
    assert_eq!(s.user_for_login("bob").await.unwrap(), Some((bob, None)));
    assert_eq!(s.user_for_login("nobody").await.unwrap(), None);

    let new_hash = hash_password("another long password").unwrap();
    s.set_password("bob", &new_hash, &admin(), at(9))
        .await
        .unwrap();
    let (_, stored) = s.user_for_login("bob").await.unwrap().unwrap();
    assert_eq!(stored.as_deref(), Some(new_hash.as_str()));
    // Alice's is untouched.
    let (_, stored) = s.user_for_login("alice").await.unwrap().unwrap();
    assert_eq!(stored.as_deref(), Some(hash.as_str()));

    match s.set_password("nobody", &new_hash, &admin(), at(10)).await {
        Err(StoreError::NotFound(m)) => assert!(m.contains("nobody"), "{m}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(
        db.audit_actions().await,
        vec!["user.create", "user.create", "user.password"]
    );
    assert_eq!(db.audit_trail().await[2].1, "user:bob");
}

async fn sessions_live_until_they_expire_or_are_deleted(db: Db) {
    let s = &db.store;
    let alice = db.user("alice", Role::Responder).await;
    let bob = db.user("bob", Role::Responder).await;

    let sid = random_secret();
    let csrf = random_secret();
    s.create_session(&sid, &alice, &csrf, at(0), at(3600))
        .await
        .unwrap();

    let live = s.session(&sid, at(60)).await.unwrap().unwrap();
    assert_eq!(live.user, alice);
    assert_eq!(live.csrf_token, csrf);
    assert_eq!(live.expires_at, at(3600));
    assert!(s.session(&sid, at(3599)).await.unwrap().is_some());
    // Expired at its expiry instant and after.
    assert!(s.session(&sid, at(3600)).await.unwrap().is_none());
    assert!(s.session(&sid, at(7200)).await.unwrap().is_none());
    // Unknown ids find nothing; nor does the stored hash used as an id.
    assert!(s.session(&random_secret(), at(60)).await.unwrap().is_none());
    assert!(
        s.session(&secret_hash(&sid), at(60))
            .await
            .unwrap()
            .is_none()
    );

    // Only the hash of the id is stored.
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM sessions WHERE id_hash = '{}'",
            secret_hash(&sid)
        ))
        .await,
        1
    );
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM sessions WHERE id_hash = '{sid}'"
        ))
        .await,
        0
    );

    // A new session clears out expired ones.
    let sid2 = random_secret();
    s.create_session(&sid2, &alice, "csrf-2", at(4000), at(8000))
        .await
        .unwrap();
    assert_eq!(db.count("sessions").await, 1);
    assert_eq!(
        s.session(&sid2, at(4001))
            .await
            .unwrap()
            .unwrap()
            .csrf_token,
        "csrf-2"
    );

    // Deleting ends it at once; deleting an unknown session is fine.
    s.delete_session(&sid2).await.unwrap();
    assert!(s.session(&sid2, at(4002)).await.unwrap().is_none());
    assert_eq!(db.count("sessions").await, 0);
    s.delete_session(&random_secret()).await.unwrap();

    // A disabled user's session is dead.
    let sid3 = random_secret();
    s.create_session(&sid3, &bob, "csrf-3", at(5000), at(9000))
        .await
        .unwrap();
    assert!(s.session(&sid3, at(5001)).await.unwrap().is_some());
    db.exec(&format!(
        "UPDATE users SET disabled = 1 WHERE id = {}",
        bob.id
    ))
    .await;
    assert!(s.session(&sid3, at(5002)).await.unwrap().is_none());

    let logins = db.audit_of("session.login").await;
    assert_eq!(
        logins,
        vec![
            ("session.login".into(), "user:alice".into(), "alice".into()),
            ("session.login".into(), "user:alice".into(), "alice".into()),
            ("session.login".into(), "user:bob".into(), "bob".into()),
        ]
    );
}
