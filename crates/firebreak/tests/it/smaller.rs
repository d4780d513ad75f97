//! The smaller findings of issue 8 (item 15) that the binary itself handles.

use crate::support::{run, run_with_stdin};

#[test]
fn user_add_refuses_weak_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    run(&["migrate", "--data-dir", data]).ok();
    let add = |name: &str, password: &str| {
        run_with_stdin(
            &[
                "user",
                "add",
                name,
                "--role",
                "viewer",
                "--password-stdin",
                "--data-dir",
                data,
            ],
            &format!("{password}\n"),
        )
    };
    let err = add("same", "aaaaaaaaaaaaaaaa").fails(1);
    assert!(err.contains("one character"), "{err}");
    let err = add("common", "Password1234").fails(1);
    assert!(err.contains("common password"), "{err}");
    add("fine", "a long enough password").ok();
}
