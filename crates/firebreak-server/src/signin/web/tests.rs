use super::*;

#[test]
fn only_local_paths_are_followed() {
    assert_eq!(safe_next("/incidents/3"), "/incidents/3");
    assert_eq!(safe_next("//evil.example/x"), "/");
    assert_eq!(safe_next("https://evil.example"), "/");
    assert_eq!(safe_next("/\\evil"), "/");
    assert_eq!(safe_next("/%09/evil.example"), "/");
    assert_eq!(safe_next("/\t/evil.example"), "/");
    assert_eq!(safe_next("/%2f/evil.example"), "/");
    assert_eq!(safe_next("/%5cevil.example"), "/");
    assert_eq!(safe_next("/incidents?phase=triage%20x"), "/");
    assert_eq!(safe_next("/incidents?open=true"), "/incidents?open=true");
}
