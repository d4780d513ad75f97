//! `firebreak doctor` follows every paging path and names what is missing:
//! on a fresh install, everything; after the README's first steps, nothing.
//! The config file's references are also checked at start-up (a warning in
//! the log and on `/readyz`).

use firebreak_testkit::assert_contains;
use std::time::Duration;

use crate::support::{Options, Server};
use firebreak_testkit::WebhookReceiver as Receiver;

/// The config the README's set-up serves with: the repository's own
/// `firebreak.toml`.
const README_CONFIG: &str = include_str!("../../../../firebreak.toml");

/// The README's `schedule put primary` file.
const README_SCHEDULE: &str = r#"{"time_zone": "Europe/Berlin", "layers": [{"name": "daily", "rotation": {"name": "daily",
 "participants": ["alice"], "shift": {"days": 1}, "handoff": "2024-01-01T09:00:00", "time_zone": "Europe/Berlin"}}]}"#;

/// The README's `policy put incident-lead` file.
const README_POLICY: &str =
    r#"{"levels": [{"targets": [{"schedule": "primary"}], "ack_timeout_secs": 300}]}"#;

fn readme_first_steps() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("## Set-up on a fresh machine").unwrap();
    let end = readme.find("## Documentation").unwrap();
    readme[start..end].to_owned()
}

fn readyz(server: &Server) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    firebreak_testkit::block_on(async {
        reqwest::get(format!("{}/readyz", server.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

#[test]
fn doctor_on_a_fresh_install_names_every_missing_link() {
    let server = Server::start();
    let admin = server.as_admin();
    let out = admin.run(&["doctor"]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    for missing in [
        "incident lead: MISSING",
        "incident_lead_policy is not set",
        "no escalation policy exists",
        "nobody has a contact method",
        "leadership: MISSING",
        "leadership is empty",
        "fallback: MISSING",
        "fallback is empty",
        "note: [smtp] is not configured",
    ] {
        assert!(out.stdout.contains(missing), "{missing}:\n{}", out.stdout);
    }
    // The same, as JSON, for scripts and the web.
    let out = admin.run(&["doctor", "--json"]);
    assert_eq!(out.code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    // Not for everyone: it lists every user's ways to be reached.
    server.add_user("rita", "responder");
    let rita = server.token("rita");
    let err = server.as_user(&rita).run(&["doctor"]).fails(1);
    assert_contains(&err, "Forbidden");
    // Start-up named the same gaps: the log and /readyz.
    let ready = readyz(&server);
    assert_eq!(ready["status"], "ready");
    let warnings = ready["warnings"].to_string();
    assert!(
        warnings.contains("incident_lead_policy is not set")
            && warnings.contains("leadership is empty"),
        "{ready}"
    );
}

#[test]
fn after_the_readmes_first_steps_doctor_finds_nothing_missing() {
    // The README and this test take the same steps.
    let readme = readme_first_steps();
    for step in [
        "serve --config firebreak.toml",
        "user add alice --role lead",
        "contact add alice --label pager --channel-json",
        "schedule put primary --file -",
        "\"participants\": [\"alice\"]",
        "policy put incident-lead --file -",
        "{\"schedule\": \"primary\"}",
        "cargo run -q -- doctor",
        "--fact major_feature_unavailable --owner alice",
    ] {
        assert!(readme.contains(step), "README's first steps lack `{step}`");
    }

    let mut hook = Receiver::start();
    let server = Server::start_with(Options {
        config: Some(README_CONFIG.to_owned()),
        ..Options::default()
    });
    // The config names a policy and a user that do not exist yet: the
    // start says so at warn level, and /readyz too.
    let log = server.log();
    assert!(
        log.contains("WARN")
            && log.contains("incident_lead_policy names `incident-lead`, but no escalation policy of that name exists")
            && log.contains("leadership names `alice`: user `alice` does not exist"),
        "{log}"
    );
    let warnings = readyz(&server)["warnings"].to_string();
    assert!(
        warnings.contains("`incident-lead`") && warnings.contains("`alice`"),
        "{warnings}"
    );

    let admin = server.as_admin();
    server.add_user("alice", "lead");
    admin.add_pager("alice", &hook.channel_json());
    admin.put_stdin("schedule", "primary", README_SCHEDULE);
    admin.put_stdin("policy", "incident-lead", README_POLICY);
    let out = admin.run(&["doctor"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("incident lead: OK, pages alice")
            && out.stdout.contains("leadership: OK, pages alice")
            && out.stdout.contains("nothing missing"),
        "{}",
        out.stdout
    );
    assert_eq!(readyz(&server).get("warnings"), None);

    // And the page really goes out.
    admin
        .run(&[
            "report",
            "submit",
            "--title",
            "Checkout returns 500",
            "--source",
            "support",
        ])
        .ok();
    admin
        .run(&[
            "report",
            "declare",
            "1",
            "--kind",
            "availability",
            "--fact",
            "major_feature_unavailable",
            "--owner",
            "alice",
        ])
        .ok();
    let page = hook.page_for("alice", Duration::from_secs(30));
    assert_eq!(page.incident(), "INC-1");

    // A service without a policy of its own pages through the incident
    // lead's; doctor follows it too.
    admin
        .run(&["service", "create", "checkout", "--owner-team", "payments"])
        .ok();
    let out = admin.run(&["doctor"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stdout.contains("service checkout: OK, pages alice"),
        "{}",
        out.stdout
    );
}
