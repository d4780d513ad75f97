//! Issue 8, item 14 from the command line: tokens are listed and revoked,
//! users change role and are disabled, each taking effect at once.

use crate::support::Server;
use firebreak_testkit::assert_contains;

#[test]
fn tokens_are_revoked_and_users_disabled_from_the_command_line() {
    let server = Server::start();
    server.add_user("alice", "responder");
    let first = server.token("alice");
    let second = server.token("alice");
    server.as_user(&first).run(&["incident", "list"]).ok();

    let list = server
        .local(&["token", "list", "--user", "alice", "--json"])
        .json();
    let tokens = list.as_array().unwrap();
    assert_eq!(tokens.len(), 2, "{list}");
    assert!(!list.to_string().contains(&first), "no secrets listed");
    // Newest first: the first token is the last row.
    let first_id = tokens[1]["id"].as_i64().unwrap().to_string();
    let out = server.local(&["token", "revoke", &first_id]).ok();
    assert_contains(&out, "revoked token");
    let err = server.as_user(&first).run(&["incident", "list"]).fails(1);
    assert!(err.contains("401") || err.contains("nauthorized"), "{err}");
    server.as_user(&second).run(&["incident", "list"]).ok();
    let text = server.local(&["token", "list", "--user", "alice"]).ok();
    assert_contains(&text, "revoked");
    let err = server.local(&["token", "revoke", "9999"]).fails(1);
    assert_contains(&err, "no token with id 9999");

    let out = server.local(&["user", "set-role", "alice", "lead"]).ok();
    assert_contains(&out, "alice (lead, enabled)");
    let out = server.local(&["user", "disable", "alice"]).ok();
    assert_contains(&out, "disabled");
    server.as_user(&second).run(&["incident", "list"]).fails(1);
    server.local(&["user", "enable", "alice"]).ok();
    server.as_user(&second).run(&["incident", "list"]).ok();

    let err = server.local(&["user", "disable", "admin"]).fails(1);
    assert_contains(&err, "last enabled admin");
    let err = server
        .local(&["user", "set-role", "nobody", "lead"])
        .fails(1);
    assert_contains(&err, "no user named `nobody`");
    // Every change was appended to the audit chain, which still holds.
    server.local(&["audit", "verify"]).ok();
}
