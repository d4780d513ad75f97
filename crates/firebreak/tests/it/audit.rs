//! The audit chain's head is anchored by signed checkpoints: a log cut
//! short, with its head fixed up to match, verifies on its own but not
//! against a checkpoint taken before.

use crate::support::{Server, run, sql};
use firebreak_testkit::assert_contains;

#[test]
fn truncating_the_audit_log_is_caught_by_a_checkpoint() {
    let mut server = Server::start();
    // The key that signs checkpoints was created at start, owner-only.
    let key = server.data_dir.join("audit.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    }
    for user in ["alice", "bob"] {
        server.add_user(user, "responder");
    }
    let checkpoint = server.local(&["audit", "checkpoint"]).ok();
    let checkpoint = checkpoint.trim().to_owned();
    assert!(checkpoint.starts_with("fbcp1."), "{checkpoint}");
    let out = server
        .local(&["audit", "verify", "--checkpoint", &checkpoint])
        .ok();
    assert_contains(&out, "holds the checkpoint");

    // A checkpoint edited to claim a shorter log is refused.
    let parts: Vec<&str> = checkpoint.split('.').collect();
    let seq: i64 = parts[1].parse().unwrap();
    let forged = checkpoint.replacen(&format!(".{seq}."), &format!(".{}.", seq - 1), 1);
    let err = server
        .local(&["audit", "verify", "--checkpoint", &forged])
        .fails(1);
    assert_contains(&err, "signature does not hold");

    // Someone with write access to the file removes the newest entry and
    // sets the head back to the one before.
    let db = server.db_path();
    let data_dir = server.data_dir().to_owned();
    server.stop();
    sql(
        &db,
        "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
    );
    sql(
        &db,
        "UPDATE audit_head SET seq = (SELECT MAX(seq) FROM audit_log), \
         hash = (SELECT hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)) WHERE id = 1",
    );
    // The chain alone cannot tell…
    let out = run(&["audit", "verify", "--data-dir", &data_dir]).ok();
    assert!(out.starts_with("audit log OK"), "{out}");
    // …the checkpoint can, and names the problem.
    let verify_with_checkpoint = || {
        run(&[
            "audit",
            "verify",
            "--checkpoint",
            &checkpoint,
            "--data-dir",
            &data_dir,
        ])
        .fails(1)
    };
    let err = verify_with_checkpoint();
    assert!(
        err.contains(&format!("audit log BROKEN at entry {seq}"))
            && err.contains(&format!("checkpoint records entry {seq}"))
            && err.contains("truncated"),
        "{err}"
    );

    // Without the key file a checkpoint cannot be checked; that is said.
    std::fs::remove_file(&key).unwrap();
    let err = verify_with_checkpoint();
    assert!(
        err.contains("audit.key") && err.contains("does not exist"),
        "{err}"
    );
}
