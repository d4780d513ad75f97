//! A disclosure's advisory drafted, edited, refused and then published
//! through the CLI. The disclosure is written with SQL: the commands that
//! create and move disclosures are another part of issue 12.

use crate::support::{Server, sql};
use firebreak_testkit::assert_contains;

#[test]
fn an_advisory_is_drafted_edited_and_published_through_the_cli() {
    let server = Server::start();
    let admin = server.as_admin();
    let db = server.db_path();
    sql(
        &db,
        "INSERT INTO reports (id, source, reporter, title, description, received_at, status, \
         confidential) VALUES (900, 'disclosure', 'Rita', 'SQL injection in search', \
         'The search box.\n\nMore.', 0, 'new', 1)",
    );
    sql(
        &db,
        "INSERT INTO disclosures (id, report_id, tracking_id, token_hash, channel, state, title, \
         description, steps, impact, asset, researcher_name, credit, severity, cvss_vector, \
         cvss_score_tenths, embargo_until, received_at, updated_at) VALUES (7, 900, \
         'VULN-2026-0042', 'x', 'form', 'fixed', 'SQL injection in search', \
         'The search box leaks rows.\n\nMore.', '', '', 'shop 2.1', 'Rita', 1, 'critical', \
         'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 98, 0, 0, 0)",
    );

    let out = admin.run(&["advisory", "draft", "7"]).ok();
    assert_contains(&out, "(draft) of disclosure 7: vuln-2026-0042");
    assert_contains(&out, "severity: critical 9.8");
    assert_contains(&out, "credit:   Rita");
    assert_contains(&out, "The search box leaks rows.");
    let a = admin.run(&["advisory", "show", "7", "--json"]).json();
    let id = a["id"].as_i64().unwrap().to_string();
    let out = admin
        .run(&["advisory", "edit", &id, "--fix", "Upgrade to 2.2"])
        .ok();
    assert_contains(&out, "fix:      Upgrade to 2.2");
    let err = admin
        .run(&["advisory", "edit", &id, "--title", ""])
        .fails(1);
    assert_contains(&err, "title");
    let err = admin.run(&["advisory", "publish", &id]).fails(1);
    assert_contains(&err, "`fixed`");
    sql(
        &db,
        "UPDATE disclosures SET state = 'disclosed' WHERE id = 7",
    );
    let out = admin.run(&["advisory", "publish", &id]).ok();
    assert_contains(&out, "published at /security/advisories/vuln-2026-0042");
    let out = admin.run(&["advisories", "list"]).ok();
    assert_contains(&out, "published");
    assert_contains(&out, "SQL injection in search");

    // A viewer learns nothing.
    server.add_user("vic", "viewer");
    let viewer = server.token("vic");
    let err = server
        .as_user(&viewer)
        .run(&["advisory", "show", "7"])
        .fails(1);
    assert_contains(&err, "not found");
}
