use chrono::{TimeZone, Utc};
use serde_json::json;

use firebreak_api::{ContactMethod, Role, User};

use super::*;

fn user(id: i64, name: &str) -> User {
    User {
        id,
        name: name.into(),
        display_name: name.into(),
        email: None,
        role: Role::Admin,
        disabled: false,
        created_at: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    }
}

fn done(steps: &[Step]) -> Vec<&'static str> {
    steps.iter().filter(|s| s.done).map(|s| s.id).collect()
}

#[test]
fn an_empty_install_has_every_step_to_do() {
    let dir = Directory {
        users: vec![user(1, "admin"), user(2, "intake.prom")],
        ..Directory::default()
    };
    let steps = checklist(&dir, &EscalationConfig::default(), FirstRunFacts::default());
    assert_eq!(
        steps.iter().map(|s| s.id).collect::<Vec<_>>(),
        [
            "people",
            "contact",
            "test-page",
            "schedule",
            "policy",
            "lead-policy",
            "monitoring"
        ]
    );
    // The integration's service account is not a person.
    assert_eq!(done(&steps), Vec::<&str>::new());
}

#[test]
fn each_step_is_ticked_by_what_exists() {
    let mut dir = Directory {
        users: vec![user(1, "admin"), user(2, "ana")],
        contacts: vec![ContactMethod {
            id: 1,
            user_id: 2,
            label: "phone".into(),
            channel: json!({"kind": "webhook"}),
            admin_set: true,
            created_by: Some(1),
        }],
        ..Directory::default()
    };
    dir.schedules.insert("primary".into(), json!({}));
    let facts = FirstRunFacts {
        test_pages_delivered: 1,
        integrations: 0,
    };
    let cfg = EscalationConfig {
        // Names a policy that does not exist: not done.
        incident_lead_policy: Some("incident-lead".into()),
        ..EscalationConfig::default()
    };
    assert_eq!(
        done(&checklist(&dir, &cfg, facts)),
        ["people", "contact", "test-page", "schedule"]
    );
    dir.policies.insert("incident-lead".into(), json!({}));
    let all = checklist(
        &dir,
        &cfg,
        FirstRunFacts {
            integrations: 1,
            ..facts
        },
    );
    assert!(all.iter().all(|s| s.done), "{all:?}");
}
