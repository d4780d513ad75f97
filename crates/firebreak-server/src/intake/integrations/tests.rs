use super::*;

#[test]
fn integration_names() {
    for ok in ["am", "prod-alertmanager", "a.b_c-1", "0x"] {
        assert!(valid_name(ok), "{ok}");
    }
    for bad in ["", "-x", "Upper", "a b", "a/b", &"x".repeat(49)] {
        assert!(!valid_name(bad), "{bad}");
    }
}
