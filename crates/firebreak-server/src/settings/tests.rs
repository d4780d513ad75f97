use chrono::{TimeZone, Utc};
use serde_json::json;

use firebreak_api::{Role, User};
use firebreak_store::Setting;

use super::*;

fn user(id: i64, name: &str, disabled: bool) -> User {
    User {
        id,
        name: name.into(),
        display_name: name.into(),
        email: None,
        role: Role::Lead,
        disabled,
        created_at: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    }
}

fn dir() -> Directory {
    let mut d = Directory {
        users: vec![
            user(1, "ana", false),
            user(2, "bo", true),
            user(3, "intake.prom", false),
        ],
        ..Directory::default()
    };
    d.policies.insert("incident-lead".into(), json!({}));
    d
}

fn set(d: &mut Directory, key: Key, value: serde_json::Value) {
    d.settings.insert(
        key.name().into(),
        Setting {
            value,
            updated_by: "ana".into(),
            updated_at: Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
        },
    );
}

#[test]
fn the_file_is_the_default_and_a_setting_wins_over_it() {
    let file = EscalationConfig {
        incident_lead_policy: Some("from-file".into()),
        leadership: vec!["cto".into()],
        ..EscalationConfig::default()
    };
    let mut d = dir();
    assert_eq!(effective(&file, &d), file);
    let v = view(&file, &d, Key::Leadership);
    assert_eq!(
        (v.source.as_str(), v.value.clone()),
        ("file", json!(["cto"]))
    );

    set(&mut d, Key::IncidentLeadPolicy, json!("incident-lead"));
    set(&mut d, Key::Leadership, json!(["ana"]));
    set(&mut d, Key::Fallback, json!(["ana"]));
    let cfg = effective(&file, &d);
    assert_eq!(cfg.incident_lead_policy.as_deref(), Some("incident-lead"));
    assert_eq!(cfg.leadership, vec!["ana".to_owned()]);
    assert_eq!(cfg.fallback, vec!["ana".to_owned()]);
    assert_eq!(cfg.late_after_secs, file.late_after_secs);
    let v = view(&file, &d, Key::Leadership);
    assert_eq!(v.source, "web");
    assert_eq!(v.file_value, json!(["cto"]));
    assert_eq!(v.updated_by.as_deref(), Some("ana"));

    // "No policy" set in the web wins over the file's policy.
    set(&mut d, Key::IncidentLeadPolicy, serde_json::Value::Null);
    assert_eq!(effective(&file, &d).incident_lead_policy, None);
}

#[test]
fn a_value_must_name_what_exists() {
    let d = dir();
    assert_eq!(
        check(&d, Key::IncidentLeadPolicy, &json!(" incident-lead ")).unwrap(),
        json!("incident-lead")
    );
    assert_eq!(
        check(&d, Key::IncidentLeadPolicy, &json!("")).unwrap(),
        serde_json::Value::Null
    );
    for (key, bad) in [
        (Key::IncidentLeadPolicy, json!("nope")),
        (Key::IncidentLeadPolicy, json!(["incident-lead"])),
        (Key::Leadership, json!(["ghost"])),
        (Key::Leadership, json!(["bo"])),
        (Key::Fallback, json!(["intake.prom"])),
        (Key::Fallback, json!("ana")),
    ] {
        let e = check(&d, key, &bad).unwrap_err();
        assert_eq!(
            e.problem().field.as_deref(),
            Some("value"),
            "{key:?} {bad}: {e}"
        );
    }
    assert_eq!(
        check(&d, Key::Leadership, &json!(["ana", " ana", ""])).unwrap(),
        json!(["ana"])
    );
}

#[test]
fn keys_are_the_files_names() {
    for k in Key::ALL {
        assert_eq!(Key::parse(k.name()), Some(k));
    }
    assert_eq!(Key::parse("late_after_secs"), None);
}
