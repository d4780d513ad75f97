//! Incident references and the refusal of unknown request fields.

use super::*;

#[test]
fn incident_refs_parse() {
    assert_eq!(parse_incident_ref("INC-12"), Some(12));
    assert_eq!(parse_incident_ref("inc-3"), Some(3));
    assert_eq!(parse_incident_ref("7"), Some(7));
    assert_eq!(parse_incident_ref("INC-"), None);
    assert_eq!(parse_incident_ref("INC-0"), None);
    assert_eq!(parse_incident_ref("x-1"), None);
    assert_eq!(parse_incident_ref("é"), None);
    assert_eq!(incident_ref(5), "INC-5");
}

#[test]
fn requests_refuse_unknown_fields() {
    let err = serde_json::from_str::<Transition>(r#"{"to":"containment","bogus":1}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `bogus`"), "{err}");
}
