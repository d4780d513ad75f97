//! The smaller findings of issue 8 (item 15) that the binary itself handles.

use crate::support::{run, run_with_stdin};

#[test]
fn local_admin_commands_refuse_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let data = data_dir.to_str().unwrap();
    let db = data_dir.join("firebreak.db");
    for args in [
        vec!["token", "create", "--user", "admin", "--data-dir", data],
        vec![
            "user",
            "add",
            "rita",
            "--role",
            "responder",
            "--data-dir",
            data,
        ],
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
    let out = run(&[
        "user",
        "add",
        "rita",
        "--role",
        "responder",
        "--data-dir",
        data,
    ])
    .ok();
    assert!(out.contains("rita"), "{out}");
    // A token for a disabled user would be refused at every request.
    run(&["user", "disable", "rita", "--data-dir", data]).ok();
    let err = run(&["token", "create", "--user", "rita", "--data-dir", data]).fails(1);
    assert!(err.contains("`rita` is disabled"), "{err}");
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
    assert!(err.contains("one character"), "{err}");
    let err = add("common", "Password1234").fails(1);
    assert!(err.contains("common password"), "{err}");
    add("fine", "a long enough password").ok();
}
