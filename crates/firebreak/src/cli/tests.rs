//! The command line's parsing: flags, values and their errors, without
//! running a command.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::CommandFactory;

use firebreak_api::intake::IntegrationKind;
use firebreak_api::{Kind, ReportSource, ReportStatus, Severity};

use super::*;

#[test]
fn the_command_line_is_consistent() {
    Cli::command().debug_assert();
}

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("firebreak").chain(args.iter().copied()))
}

#[test]
fn enum_flags_parse_with_the_enum_names() {
    let cli = parse(&[
        "incident",
        "declare",
        "--title",
        "t",
        "--kind",
        "security",
        "--severity",
        "high",
        "--fact",
        "customer_data_accessed,sla_affected",
    ])
    .unwrap();
    let Command::Incident(IncidentCommand::Declare(d)) = cli.command else {
        panic!()
    };
    assert_eq!(d.class.kind, Kind::Security);
    assert_eq!(d.class.severity, Some(Severity::High));
    assert_eq!(d.facts.facts, ["customer_data_accessed", "sla_affected"]);

    let err = parse(&["incident", "declare", "--title", "t", "--kind", "secruity"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(
        text.contains("secruity") && text.contains("availability"),
        "{text}"
    );

    let err = parse(&[
        "incident", "declare", "--title", "t", "--kind", "security", "--fact", "bogus",
    ])
    .unwrap_err();
    assert!(err.to_string().contains("full_outage"), "{err}");

    let cli = parse(&[
        "report",
        "list",
        "--source",
        "disclosure",
        "--status",
        "dismissed",
    ])
    .unwrap();
    let Command::Report(ReportCommand::List(l)) = cli.command else {
        panic!()
    };
    assert_eq!(l.source, Some(ReportSource::Disclosure));
    assert_eq!(l.status, Some(ReportStatus::Dismissed));
}

#[test]
fn check_needs_done_or_waive_with_a_reason() {
    assert!(
        parse(&[
            "incident",
            "check",
            "INC-1",
            "impact_contained",
            "--done",
            "--note",
            "n"
        ])
        .is_ok()
    );
    assert!(
        parse(&[
            "incident",
            "check",
            "INC-1",
            "impact_contained",
            "--waive",
            "--reason",
            "r"
        ])
        .is_ok()
    );
    for bad in [
        &["incident", "check", "INC-1", "impact_contained"][..],
        &["incident", "check", "INC-1", "impact_contained", "--waive"],
        &[
            "incident",
            "check",
            "INC-1",
            "impact_contained",
            "--done",
            "--waive",
            "--reason",
            "r",
        ],
        &[
            "incident",
            "check",
            "INC-1",
            "impact_contained",
            "--done",
            "--reason",
            "r",
        ],
        &["incident", "check", "INC-1", "no_such_item", "--done"],
    ] {
        assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
    }
}

#[test]
fn list_takes_open_or_closed_not_both() {
    assert!(parse(&["incident", "list", "--open"]).is_ok());
    assert!(parse(&["incident", "list", "--open", "--closed"]).is_err());
}

#[test]
fn times_are_rfc3339_and_end_up_in_utc() {
    let cli = parse(&[
        "oncall",
        "--schedule",
        "primary",
        "--at",
        "2024-03-31T12:00:00+02:00",
    ])
    .unwrap();
    let Command::Oncall(a) = cli.command else {
        panic!()
    };
    assert_eq!(
        a.at.unwrap().to_rfc3339(),
        "2024-03-31T10:00:00+00:00".to_owned()
    );
    assert!(parse(&["oncall"]).is_ok());
    for bad in ["2024-03-31", "tomorrow", "2024-03-31 10:00"] {
        let err = parse(&["oncall", "--at", bad]).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{bad}");
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }
    let err = parse(&["schedule", "shifts", "p", "--from", "x"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn contact_channels_are_json_objects() {
    let cli = parse(&[
        "contact",
        "add",
        "alice",
        "--label",
        "mail",
        "--channel-json",
        r#"{"kind":"email","to":"a@example.com"}"#,
        "--delay-secs",
        "60",
    ])
    .unwrap();
    let Command::Contact(ContactCommand::Add(a)) = cli.command else {
        panic!()
    };
    assert_eq!(a.channel_json["to"], "a@example.com");
    assert_eq!(a.delay_secs, Some(60));
    for bad in [r#"{"kind":"#, "[1]", "email"] {
        let err = parse(&[
            "contact",
            "add",
            "alice",
            "--label",
            "l",
            "--channel-json",
            bad,
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2, "{bad}");
    }
}

#[test]
fn service_escalation_sets_something_or_clears() {
    assert!(parse(&["service", "escalation", "api", "--policy", "p"]).is_ok());
    assert!(parse(&["service", "escalation", "api", "--runbook-file", "-"]).is_ok());
    assert!(parse(&["service", "escalation", "api", "--clear"]).is_ok());
    assert_eq!(
        parse(&["service", "escalation", "api"])
            .unwrap_err()
            .exit_code(),
        2
    );
    assert!(parse(&["service", "escalation", "api", "--clear", "--policy", "p"]).is_err());
}

#[test]
fn escalate_needs_a_target_and_a_reason() {
    assert!(
        parse(&[
            "incident",
            "escalate",
            "INC-1",
            "--to",
            "leadership",
            "--reason",
            "r"
        ])
        .is_ok()
    );
    assert!(parse(&["incident", "escalate", "INC-1", "--to", "leadership"]).is_err());
    assert!(parse(&["incident", "escalate", "INC-1", "--reason", "r"]).is_err());
    assert!(parse(&["incident", "ack", "INC-1", "--json"]).is_ok());
    assert!(parse(&["schedule", "put", "primary"]).is_err());
    assert!(parse(&["policy", "put", "lead", "--file", "-"]).is_ok());
}

#[test]
fn integration_kinds_parse_by_name() {
    for kind in IntegrationKind::ALL {
        // A new kind fails to compile here until it is in `ALL`.
        match kind {
            IntegrationKind::Alertmanager
            | IntegrationKind::Pagerduty
            | IntegrationKind::Grafana
            | IntegrationKind::Generic
            | IntegrationKind::Email => {}
        }
        let cli = parse(&["integration", "create", "x", "--kind", kind.as_str()]);
        if *kind == IntegrationKind::Generic {
            // A generic integration needs its mapping.
            assert_eq!(cli.unwrap_err().exit_code(), 2);
            continue;
        }
        let Command::Integration(IntegrationCommand::Create(a)) = cli.unwrap().command else {
            panic!()
        };
        assert_eq!(a.kind, *kind);
    }
    let err = parse(&["integration", "create", "x", "--kind", "nagios"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(
        text.contains("nagios") && text.contains("alertmanager"),
        "{text}"
    );
}

#[test]
fn generic_mappings_are_json_objects() {
    let cli = parse(&[
        "integration",
        "create",
        "hooks",
        "--kind",
        "generic",
        "--mapping",
        r#"{"title":"/alert/name","dedup_key":"/alert/id"}"#,
    ])
    .unwrap();
    let Command::Integration(IntegrationCommand::Create(a)) = cli.command else {
        panic!()
    };
    assert_eq!(a.mapping.unwrap().title, "/alert/name");
    for (bad, says) in [
        (r#"{"title":"#, "not valid JSON"),
        ("[1]", "expected a JSON object"),
        (r#"{"title":"/a","bogus":1}"#, "bogus"),
    ] {
        let err = parse(&[
            "integration",
            "create",
            "hooks",
            "--kind",
            "generic",
            "--mapping",
            bad,
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2, "{bad}");
        assert!(err.to_string().contains(says), "{bad}: {err}");
    }
    // A timestamp header only with a secret.
    assert!(
        parse(&[
            "integration",
            "create",
            "g",
            "--kind",
            "grafana",
            "--hmac-timestamp-header",
            "X-Ts"
        ])
        .is_err()
    );
    assert!(
        parse(&[
            "integration",
            "create",
            "g",
            "--kind",
            "grafana",
            "--hmac-secret",
            "s",
            "--hmac-timestamp-header",
            "X-Ts"
        ])
        .is_ok()
    );
}

#[test]
fn rules_take_matchers_and_settings() {
    let cli = parse(&[
        "rule",
        "add",
        "db-critical",
        "--matcher",
        r#"team="db""#,
        "--matcher",
        r#"severity=~"critical|page""#,
        "--set-service",
        "payments",
        "--set-kind",
        "availability",
        "--set-severity",
        "critical",
        "--declare",
        "--position",
        "5",
        "--disabled",
    ])
    .unwrap();
    let Command::Rule(RuleCommand::Add(a)) = cli.command else {
        panic!()
    };
    let matchers: Vec<String> = a.matchers.iter().map(ToString::to_string).collect();
    assert_eq!(matchers, [r#"team="db""#, r#"severity=~"critical|page""#]);
    assert_eq!(a.set_kind, Some(Kind::Availability));
    assert_eq!(a.set_severity, Some(Severity::Critical));
    assert!(a.declare && a.disabled);
    assert_eq!(a.position, Some(5));
    for bad in [
        &["rule", "add", "r", "--matcher", "not a matcher"][..],
        &["rule", "add", "r", "--matcher", r#"env=~"(""#],
        &["rule", "add", "r", "--set-kind", "outage"],
        &["rule", "add", "r", "--set-severity", "sev1"],
        &["rule", "remove", "0"],
        &["rule", "remove", "x"],
    ] {
        assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
    }
}

#[test]
fn silences_and_windows_need_an_end_and_a_reason() {
    let cli = parse(&[
        "silence",
        "add",
        "--matcher",
        r#"alertname="DiskFull""#,
        "--until",
        "2030-01-01T02:00:00+02:00",
        "--reason",
        "r",
    ])
    .unwrap();
    let Command::Silence(SilenceCommand::Add(a)) = cli.command else {
        panic!()
    };
    assert_eq!(a.period.until.to_rfc3339(), "2030-01-01T00:00:00+00:00");
    assert_eq!(a.period.from, None);
    for bad in [
        &[
            "silence",
            "add",
            "--until",
            "2030-01-01T00:00:00Z",
            "--reason",
            "r",
        ][..],
        &["silence", "add", "--matcher", r#"a="b""#, "--reason", "r"],
        &[
            "silence",
            "add",
            "--matcher",
            r#"a="b""#,
            "--until",
            "2030-01-01T00:00:00Z",
        ],
        &[
            "maintenance",
            "add",
            "--until",
            "2030-01-01T00:00:00Z",
            "--reason",
            "r",
        ],
    ] {
        assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
    }
    let err = parse(&[
        "maintenance",
        "add",
        "--service",
        "s",
        "--until",
        "friday",
        "--reason",
        "r",
    ])
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("RFC 3339") && err.to_string().contains("--until"),
        "{err}"
    );
}

#[test]
fn alert_lists_filter_by_known_statuses() {
    let cli = parse(&[
        "alert",
        "list",
        "--status",
        "firing",
        "--integration",
        "2",
        "--limit",
        "10",
    ])
    .unwrap();
    let Command::Alert(AlertCommand::List(a)) = cli.command else {
        panic!()
    };
    assert_eq!(a.status.as_deref(), Some("firing"));
    assert_eq!((a.integration, a.limit), (Some(2), Some(10)));
    assert!(parse(&["alert", "list", "--status", "silenced"]).is_err());
    assert!(parse(&["alert", "list", "--limit", "0"]).is_err());
}

#[test]
fn assign_needs_someone() {
    assert!(parse(&["incident", "assign", "INC-1"]).is_err());
    assert!(parse(&["incident", "assign", "INC-1", "--lead", "x"]).is_ok());
    assert!(parse(&["incident", "assign", "INC-1", "--owner", "x"]).is_ok());
    assert!(parse(&["incident", "assign", "INC-1", "--owner", "x", "--lead", "y"]).is_ok());
}

#[test]
fn assign_says_either_owner_or_lead_will_do() {
    let err = parse(&["incident", "assign", "INC-1"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("--owner") && err.contains("--lead"), "{err}");
    let help = {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        let assign = cmd
            .find_subcommand_mut("incident")
            .and_then(|c| c.find_subcommand_mut("assign"))
            .unwrap();
        assign.render_usage().to_string()
    };
    assert!(help.contains("--lead"), "{help}");
}
