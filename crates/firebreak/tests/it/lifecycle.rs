//! A security incident from report to closed, as a new user would drive it
//! with the CLI; then the audit log, verified and tampered with.

use firebreak_testkit::assert_contains;
use serde_json::Value;

use crate::support::{Server, run, run_with_stdin, sql};

/// A phase, what closes its gate, and the phase that comes next.
type Gate = (&'static str, &'static [(&'static str, Mark)], &'static str);

/// The phases after triage, in order.
const GATES: &[Gate] = &[
    (
        "containment",
        &[
            ("impact_contained", Mark::Done("export endpoint disabled")),
            (
                "evidence_preserved",
                Mark::Done("request logs and DB snapshot kept"),
            ),
        ],
        "remediation",
    ),
    (
        "remediation",
        &[
            (
                "fix_deployed",
                Mark::Done("tenant check added to the export query"),
            ),
            (
                "deployment_verified",
                Mark::Waive("verified by the recovery checks instead"),
            ),
        ],
        "recovery",
    ),
    (
        "recovery",
        &[
            ("service_restored", Mark::Done("export re-enabled")),
            ("data_integrity_confirmed", Mark::Done("no data changed")),
            (
                "access_confirmed",
                Mark::Done("only the one tenant affected"),
            ),
        ],
        "post_incident",
    ),
    (
        "post_incident",
        &[
            ("postmortem_done", Mark::Done("PM-12")),
            (
                "follow_ups_tracked",
                Mark::Waive("follow-ups are in the post-mortem"),
            ),
        ],
        "closed",
    ),
];

#[derive(Clone, Copy)]
enum Mark {
    Done(&'static str),
    Waive(&'static str),
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {v}"))
}

#[test]
fn a_security_incident_from_report_to_closed() {
    let mut server = Server::start();
    let password = server.admin_password.clone().unwrap();
    assert!(password.len() >= 12, "{password}");

    // Local admin commands on the live database (SQLite in WAL mode takes a
    // second process).
    let admin_token = server.local(&["token", "create", "--user", "admin"]).ok();
    assert_eq!(
        admin_token.lines().count(),
        1,
        "token create prints the token alone: {admin_token:?}"
    );
    let admin_token = admin_token.trim().to_owned();
    assert!(admin_token.starts_with("fbk_"), "{admin_token}");

    let out = server.add_user("responder1", "responder");
    assert_contains(&out, "responder1");
    let mut args = vec![
        "user",
        "add",
        "lead1",
        "--role",
        "lead",
        "--password-stdin",
        "--email",
        "lead1@example.com",
    ];
    args.extend(["--data-dir", server.data_dir()]);
    run_with_stdin(&args, "correct horse battery staple\n").ok();
    let mut args = vec![
        "user",
        "add",
        "shorty",
        "--role",
        "viewer",
        "--password-stdin",
    ];
    args.extend(["--data-dir", server.data_dir()]);
    let err = run_with_stdin(&args, "short\n").fails(1);
    assert_contains(&err, "12 characters");
    let err = server
        .local(&["user", "add", "responder1", "--role", "responder"])
        .fails(1);
    assert_contains(&err, "already exists");

    let token = server
        .local(&["token", "create", "--user", "responder1", "--name", "it"])
        .ok();
    let token = token.trim();
    let me = server.as_user(token);
    // Owners and leads must be reachable: a contact method each.
    for user in ["lead1", "responder1"] {
        server.as_user(&admin_token).add_pager(
            user,
            r#"{"kind": "webhook", "url": "http://127.0.0.1:9/hook"}"#,
        );
    }

    // A report arrives and is declared a critical security incident.
    let report = me
        .run(&[
            "report",
            "submit",
            "--title",
            "Invoices visible to another customer",
            "--description",
            "Customer A downloaded customer B's invoices from the export page",
            "--source",
            "support",
            "--reporter",
            "support@example.com",
            "--json",
        ])
        .json();
    let report_id = report["id"].as_i64().unwrap().to_string();
    assert_eq!(str_of(&report, "status"), "untriaged");
    let queue = me.run(&["report", "list"]).ok();
    assert_contains(&queue, "Invoices visible to another customer");

    let incident = me
        .run(&[
            "report",
            "declare",
            &report_id,
            "--kind",
            "security",
            "--severity",
            "critical",
            "--fact",
            "customer_data_accessed",
            "--lead",
            "lead1",
            "--json",
        ])
        .json();
    let inc = str_of(&incident, "reference").to_owned();
    let inc = inc.as_str();
    assert_eq!(str_of(&incident, "severity"), "critical");
    assert_eq!(str_of(&incident, "phase"), "triage");
    assert_eq!(incident["facts"]["customer_data_accessed"], true);

    // No owner yet: the triage gate is open, and the refusal names it.
    let err = me
        .run(&["incident", "transition", inc, "--to", "containment"])
        .fails(1);
    assert!(err.starts_with("error: "), "{err}");
    assert_contains(&err, "(gate: owner_set)");

    let out = me
        .run(&["incident", "assign", inc, "--owner", "responder1"])
        .ok();
    assert_contains(&out, "owner responder1");
    me.run(&["incident", "transition", inc, "--to", "containment"])
        .ok();

    // Evidence cannot be waived on a security incident.
    let err = me
        .run(&[
            "incident",
            "check",
            inc,
            "evidence_preserved",
            "--waive",
            "--reason",
            "no time",
        ])
        .fails(1);
    assert!(
        err.contains("evidence must be preserved") && err.contains("(field: status)"),
        "{err}"
    );
    // Leaving containment with its items open names the first open one.
    let err = me
        .run(&["incident", "transition", inc, "--to", "remediation"])
        .fails(1);
    assert_contains(&err, "(gate: impact_contained)");

    me.run(&["incident", "note", inc, "Paged the on-call DBA"])
        .ok();

    // The customer whose invoices were seen is told, in wording the sender
    // approved: `customer_communication_sent` follows the notices sent
    // (issue 11). An admin adds the customer; the responder says the
    // incident affects it.
    let admin = server.as_user(&admin_token);
    admin
        .run(&[
            "customer",
            "create",
            "customer-b",
            "--description",
            "whose invoices were seen",
        ])
        .ok();
    admin
        .run(&[
            "customer",
            "add-contact",
            "customer-b",
            "--label",
            "security",
            "--email",
            "security@customer-b.example",
        ])
        .ok();
    me.run(&["incident", "affected", inc, "--customer", "customer-b"])
        .ok();
    let owed = me.run(&["notices", "list", inc]).ok();
    assert_contains(&owed, "Affected customers (customers): customer-b");
    let notice = me
        .run(&[
            "notices",
            "draft",
            inc,
            "--kind",
            "customer_notice",
            "--title",
            "Invoice export issue",
            "--impact",
            "Another account could download your invoices.",
            "--actions",
            "The export is fixed.",
            "--json",
        ])
        .json();
    let notice_id = notice["id"].as_i64().unwrap().to_string();
    let err = me.run(&["notices", "send", inc, &notice_id]).fails(1);
    assert!(err.contains("(field: approved)"), "{err}");
    let out = me
        .run(&["notices", "send", inc, &notice_id, "--approve"])
        .ok();
    assert_contains(&out, "sent to 1 contact(s)");
    let owed = me.run(&["notices", "list", inc]).ok();
    assert_contains(&owed, "[Identified] Invoice export issue");
    for (phase, items, next) in GATES {
        let shown = me.run(&["incident", "show", inc, "--json"]).json();
        assert_eq!(str_of(&shown, "phase"), *phase);
        for (item, mark) in *items {
            let out = match mark {
                Mark::Done(note) => {
                    me.run(&["incident", "check", inc, item, "--done", "--note", note])
                }
                Mark::Waive(reason) => me.run(&[
                    "incident", "check", inc, item, "--waive", "--reason", reason,
                ]),
            }
            .ok();
            assert_contains(&out, item);
        }
        let moved = me
            .run(&["incident", "transition", inc, "--to", next, "--json"])
            .json();
        assert_eq!(str_of(&moved, "phase"), *next);
    }

    // The whole story, in `show --json` and the timeline.
    let shown = me.run(&["incident", "show", inc, "--json"]).json();
    assert_eq!(str_of(&shown, "phase"), "closed");
    assert_eq!(shown["open"], false);
    assert_eq!(shown["owner"]["name"], "responder1");
    assert_eq!(shown["lead"]["name"], "lead1");
    let checklist = shown["checklist"].as_array().unwrap();
    assert_eq!(
        checklist.len(),
        12,
        "every item applies to a critical security incident"
    );
    for entry in checklist {
        assert_ne!(entry["status"], "open", "{entry}");
    }
    let timeline = shown["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| str_of(e, "kind")).collect();
    let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
    assert_eq!(kinds.first(), Some(&"declared"), "{kinds:?}");
    assert_eq!(count("severity_changed"), 1, "{kinds:?}");
    assert_eq!(
        count("assigned"),
        2,
        "lead at declaration, owner later: {kinds:?}"
    );
    assert_eq!(count("phase_changed"), 5, "{kinds:?}");
    assert_eq!(count("checklist"), 9, "{kinds:?}");
    assert_eq!(count("notice.sent"), 1, "{kinds:?}");
    assert_eq!(count("note"), 1, "{kinds:?}");
    for phase in [
        "containment",
        "remediation",
        "recovery",
        "post_incident",
        "closed",
    ] {
        assert!(
            timeline
                .iter()
                .any(|e| e["kind"] == "phase_changed" && e["details"]["to"] == phase),
            "no move to {phase}"
        );
    }
    let waived: Vec<&Value> = timeline
        .iter()
        .filter(|e| e["reason"].is_string())
        .collect();
    assert!(
        waived
            .iter()
            .any(|e| e["reason"] == "follow-ups are in the post-mortem"),
        "{waived:?}"
    );
    // Every line is responder1's, but the worker's word that the notice
    // could not reach the test's unreachable customer webhook.
    assert!(
        timeline
            .iter()
            .filter(|e| e["kind"] != "notification_failed")
            .all(|e| e["actor"] == "responder1"),
        "{timeline:?}"
    );

    let text = me.run(&["incident", "show", inc]).ok();
    for want in [
        "Checklist",
        "Post-incident",
        "[~] follow_ups_tracked",
        "[x] evidence_preserved",
        "Timeline",
        "Paged the on-call DBA",
    ] {
        assert!(text.contains(want), "`{want}` missing from:\n{text}");
    }
    let tl = me.run(&["incident", "timeline", inc]).ok();
    assert_eq!(tl.matches("phase_changed").count(), 5, "{tl}");

    // Lists and filters.
    let closed = me.run(&["incident", "list", "--closed", "--json"]).json();
    assert_eq!(closed.as_array().unwrap().len(), 1);
    let open = me.run(&["incident", "list", "--open", "--json"]).json();
    assert_eq!(open.as_array().unwrap().len(), 0);
    let table = me.run(&["incident", "list", "--kind", "security"]).ok();
    assert!(table.contains(inc) && table.contains("critical"), "{table}");
    let declared = me
        .run(&["report", "list", "--status", "declared", "--json"])
        .json();
    assert_eq!(declared[0]["incident_ref"], inc);

    // A second report, linked; a third, dismissed.
    let second = me
        .run(&[
            "report",
            "submit",
            "--title",
            "Same issue, other customer",
            "--json",
        ])
        .json();
    let id = second["id"].as_i64().unwrap().to_string();
    let linked = me
        .run(&["report", "link", &id, "--incident", inc, "--json"])
        .json();
    assert_eq!(str_of(&linked, "status"), "linked");
    let third = me
        .run(&["report", "submit", "--title", "Printer on fire", "--json"])
        .json();
    let id = third["id"].as_i64().unwrap().to_string();
    let out = me
        .run(&["report", "dismiss", &id, "--reason", "not ours"])
        .ok();
    assert_contains(&out, "dismissed");

    // A direct declaration, with the severity changed later.
    let admin = server.as_user(&admin_token);
    let direct = admin.declare(
        "Login latency",
        "availability",
        &["--fact", "regional_degradation", "--severity", "medium"],
    );
    let direct_ref = str_of(&direct, "reference").to_owned();
    let out = admin
        .run(&[
            "incident",
            "severity",
            &direct_ref,
            "high",
            "--reason",
            "second region affected",
        ])
        .ok();
    assert_contains(&out, "high");

    // A wrong token is refused.
    let err = server
        .as_user("fbk_not_a_real_token")
        .run(&["incident", "list"])
        .fails(1);
    assert_contains(&err, "Unauthorized");

    // The audit log holds, until someone edits it.
    let out = server.local(&["audit", "verify"]).ok();
    assert!(
        out.starts_with("audit log OK: ") && out.trim_end().ends_with(" entries"),
        "{out}"
    );
    let db = server.db_path();
    let data_dir = server.data_dir().to_owned();
    server.stop();

    sql(
        &db,
        r#"UPDATE audit_log SET details = '{"x":1}' WHERE seq = 3"#,
    );
    let err = run(&["audit", "verify", "--data-dir", &data_dir]).fails(1);
    assert_contains(&err, "audit log BROKEN at entry 3");
}

#[test]
fn an_unreachable_server_and_bad_usage_are_clear() {
    // Port 9 (discard) on loopback: nothing listens there in a test sandbox.
    let err = run(&[
        "incident",
        "list",
        "--url",
        "http://127.0.0.1:9",
        "--token",
        "x",
    ])
    .fails(1);
    assert_contains(&err, "cannot reach the Firebreak server");

    let err = run(&["incident", "declare", "--title", "t", "--kind", "sekurity"]).fails(2);
    assert!(
        err.contains("sekurity") && err.contains("security"),
        "{err}"
    );
}

/// Issue 8: a declaration without a severity takes the facts' suggestion
/// (and pages by it); owners must be responders who can be reached.
#[test]
fn the_cli_declares_with_the_suggested_severity_and_refuses_unfit_owners() {
    let server = Server::start();
    let admin = server.as_admin();
    let incident = admin.declare(
        "Platform down for all users",
        "availability",
        &["--fact", "full_outage"],
    );
    assert_eq!(str_of(&incident, "severity"), "critical", "{incident}");
    let inc = str_of(&incident, "reference").to_owned();

    server.add_user("viewer1", "viewer");
    let err = admin
        .run(&["incident", "assign", &inc, "--owner", "viewer1"])
        .fails(1);
    assert!(err.contains("owner") && err.contains("viewer"), "{err}");
    // admin has no contact method yet: refused, saying so.
    let err = admin
        .run(&["incident", "assign", &inc, "--owner", "admin"])
        .fails(1);
    assert_contains(&err, "no contact method");
    admin.add_pager(
        "admin",
        r#"{"kind": "webhook", "url": "http://127.0.0.1:9/hook"}"#,
    );
    let out = admin
        .run(&["incident", "assign", &inc, "--owner", "admin"])
        .ok();
    assert_contains(&out, "owner admin");

    // A new integration states its default for urgent alerts.
    let out = admin
        .run(&["integration", "create", "prom", "--kind", "alertmanager"])
        .ok();
    assert_contains(&out, "auto_declare: on");
    let err = admin
        .run(&[
            "integration",
            "create",
            "prom2",
            "--kind",
            "alertmanager",
            "--auto-declare",
            "maybe",
        ])
        .fails(2);
    assert!(err.contains("on") && err.contains("off"), "{err}");
    let id = out
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    let out = admin.run(&["integration", "auto-declare", &id, "off"]).ok();
    assert_contains(&out, "auto_declare: off");
    let shown = admin.run(&["integration", "show", &id]).ok();
    assert_contains(&shown, "auto_declare: off");
}
