//! The security team works a disclosure through the CLI; other roles are
//! refused, and errors exit non-zero.

use crate::support::Server;
use firebreak_testkit::assert_contains;

#[test]
fn the_security_team_works_a_disclosure_through_the_cli() {
    let server = Server::start();
    let admin = server.as_admin();
    server.add_user("sam", "security");
    let sam_token = server.token("sam");
    let sam = server.as_user(&sam_token);
    let out = sam
        .run(&[
            "disclosure",
            "create",
            "--title",
            "ZZ-CLI-MARKER open redirect",
            "--description",
            "reported by phone",
            "--email",
            "rita@example.org",
        ])
        .ok();
    assert_contains(&out, "status link (shown only once): ");
    let created = sam.run(&["disclosures", "list", "--json"]).json();
    let tracking = created[0]["tracking_id"].as_str().unwrap().to_owned();
    let out = sam.run(&["disclosures", "list"]).ok();
    assert_contains(&out, "TRACKING");
    assert_contains(&out, &tracking);
    assert_contains(&out, "ZZ-CLI-MARKER");

    let out = sam.run(&["disclosure", "ack", &tracking]).ok();
    assert_contains(&out, "acknowledged");
    sam.run(&["disclosure", "reply", &tracking, "thanks, looking"])
        .ok();
    sam.run(&["disclosure", "reply", &tracking, "ZZ-NOTE", "--internal"])
        .ok();
    let err = sam
        .run(&["disclosure", "triage", &tracking, "not_applicable"])
        .fails(1);
    assert_contains(&err, "reason");
    sam.run(&["disclosure", "triage", &tracking, "valid"]).ok();
    let err = sam
        .run(&[
            "disclosure",
            "cvss",
            &tracking,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        ])
        .fails(1);
    assert_contains(&err, "A");
    let out = sam
        .run(&[
            "disclosure",
            "cvss",
            &tracking,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ])
        .ok();
    assert_contains(&out, "critical (9.8)");
    sam.run(&[
        "disclosure",
        "embargo",
        &tracking,
        "2099-01-31",
        "--reason",
        "vendor needs time",
    ])
    .ok();
    let out = sam.run(&["disclosure", "declare", &tracking]).ok();
    assert_contains(&out, "fixing");
    // Fixed waits for the incident's fix (the incident in recovery or
    // later; the server's tests walk it there): a clear refusal, exit 1.
    let err = sam
        .run(&[
            "disclosure",
            "state",
            &tracking,
            "fixed",
            "--message",
            "2.3.1",
        ])
        .fails(1);
    assert_contains(&err, "recovery");
    let out = sam.run(&["disclosure", "show", &tracking]).ok();
    assert_contains(&out, "state: fixing");
    assert_contains(&out, "ZZ-NOTE");
    assert_contains(&out, "disclosure.embargo");

    // Another role: forbidden list, missing record, non-zero exit.
    server.add_user("rick", "responder");
    let rick_token = server.token("rick");
    let rick = server.as_user(&rick_token);
    let err = rick.run(&["disclosure", "list"]).fails(1);
    assert!(!err.contains("ZZ-CLI-MARKER"), "{err}");
    let err = rick.run(&["disclosure", "show", &tracking]).fails(1);
    assert_contains(&err, "not found");
    let _ = admin;
}
