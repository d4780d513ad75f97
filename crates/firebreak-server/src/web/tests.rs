use super::*;

#[test]
fn ages_read_well() {
    assert_eq!(age(5), "5 s");
    assert_eq!(age(125), "2 min");
    assert_eq!(age(7_500), "2 h 5 min");
    assert_eq!(age(86_400 * 3 + 3_600), "3 d 1 h");
}
