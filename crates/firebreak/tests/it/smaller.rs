//! The smaller findings of issue 8 (item 15) that the binary itself handles.

use crate::support::{run, run_with_stdin};
use firebreak_testkit::assert_contains;

#[test]
fn local_admin_commands_refuse_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let data = data_dir.to_str().unwrap();
    let db = data_dir.join("firebreak.db");
    let add_rita = [
        "user",
        "add",
        "rita",
        "--role",
        "responder",
        "--data-dir",
        data,
    ];
    for args in [
        vec!["token", "create", "--user", "admin", "--data-dir", data],
        add_rita.to_vec(),
        vec!["audit", "verify", "--data-dir", data],
        vec!["audit", "checkpoint", "--data-dir", data],
    ] {
        let err = run(&args).fails(1);
        assert!(err.contains(&db.display().to_string()), "{args:?}: {err}");
        assert!(!db.exists(), "{args:?} created {}", db.display());
        assert!(
            !data_dir.exists(),
            "{args:?} created {}",
            data_dir.display()
        );
    }
    // `migrate` (like `serve`) creates it; then the commands work.
    run(&["migrate", "--data-dir", data]).ok();
    let out = run(&add_rita).ok();
    assert_contains(&out, "rita");
    // A token for a disabled user would be refused at every request.
    run(&["user", "disable", "rita", "--data-dir", data]).ok();
    let err = run(&["token", "create", "--user", "rita", "--data-dir", data]).fails(1);
    assert_contains(&err, "`rita` is disabled");
}

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
    assert_contains(&err, "one character");
    let err = add("common", "Password1234").fails(1);
    assert_contains(&err, "common password");
    add("fine", "a long enough password").ok();
}
