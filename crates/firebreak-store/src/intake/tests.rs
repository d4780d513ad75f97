//! Unit tests of the intake module's small helpers.

use super::ingest_postgres::Params;
use super::integrations::key_hint;
use super::list;

#[test]
fn placeholders_are_numbered_in_binding_order() {
    let mut p = Params::default();
    assert_eq!(
        p.rows(2, &[None, Some("'x'"), None]),
        "($1, 'x', $2), ($3, 'x', $4)"
    );
    assert_eq!(p.list(2), "$5, $6");
    assert_eq!(list(3, 3), "$3, $4, $5");
}

#[test]
fn key_hints_are_the_last_four_characters() {
    assert_eq!(key_hint("abcdef"), "cdef");
    assert_eq!(key_hint("ab"), "ab");
}
