//! "`firebreak oncall` answers the right person at a given time": a weekly
//! rotation handing off at 09:00 in Europe/Berlin, asked about at instants
//! on both sides of both daylight-saving changes of 2024, and under an
//! override.

use firebreak_testkit::assert_contains;
use firebreak_testkit::json::strs_at;
use serde_json::Value;

use crate::support::{Server, write_file};

/// Alice, Bob and Carol take weeks in turn from Monday 2024-03-18 09:00
/// Berlin time; Dave stands in on 2024-10-01 from 10:00 to 18:00 UTC.
const PRIMARY: &str = r#"{
    "time_zone": "Europe/Berlin",
    "layers": [{
        "name": "weekly",
        "rotation": {
            "name": "weekly",
            "participants": ["alice", "bob", "carol"],
            "shift": {"weeks": 1},
            "handoff": "2024-03-18T09:00:00",
            "time_zone": "Europe/Berlin"
        }
    }],
    "overrides": [
        {"user": "dave", "start": "2024-10-01T10:00:00Z", "end": "2024-10-01T18:00:00Z"}
    ]
}"#;

const SECONDARY: &str = r#"{
    "name": "secondary",
    "time_zone": "UTC",
    "layers": [{
        "name": "daily",
        "rotation": {
            "name": "daily",
            "participants": ["erin", "frank"],
            "shift": {"days": 1},
            "handoff": "2024-01-01T00:00:00",
            "time_zone": "UTC"
        }
    }]
}"#;

/// (asked at, on call, shift end, next, next from)
type Expected = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const EXPECTED: &[Expected] = &[
    // Before the first handoff nobody is on call.
    (
        "2024-03-01T00:00:00Z",
        None,
        None,
        "alice",
        "2024-03-18T08:00:00Z",
    ),
    // Week 1, in winter time: 09:00 CET is 08:00 UTC.
    (
        "2024-03-20T12:00:00Z",
        Some("alice"),
        Some("2024-03-25T08:00:00Z"),
        "bob",
        "2024-03-25T08:00:00Z",
    ),
    // Clocks went forward on 2024-03-31: Bob's week is 167 hours and ends
    // at 09:00 CEST, 07:00 UTC. Asked with an offset.
    (
        "2024-03-31T12:00:00+02:00",
        Some("bob"),
        Some("2024-04-01T07:00:00Z"),
        "carol",
        "2024-04-01T07:00:00Z",
    ),
    (
        "2024-04-01T06:59:59Z",
        Some("bob"),
        Some("2024-04-01T07:00:00Z"),
        "carol",
        "2024-04-01T07:00:00Z",
    ),
    // 09:30 CEST: Carol (counting 168 elapsed hours would still say Bob).
    (
        "2024-04-01T07:30:00Z",
        Some("carol"),
        Some("2024-04-08T07:00:00Z"),
        "alice",
        "2024-04-08T07:00:00Z",
    ),
    // Clocks went back on 2024-10-27: Bob's week (turn 31) is 169 hours and
    // ends at 09:00 CET, 08:00 UTC; at 07:30 UTC it is still his.
    (
        "2024-10-28T07:30:00Z",
        Some("bob"),
        Some("2024-10-28T08:00:00Z"),
        "carol",
        "2024-10-28T08:00:00Z",
    ),
    // The override wins over the rotation.
    (
        "2024-10-01T12:00:00Z",
        Some("dave"),
        Some("2024-10-01T18:00:00Z"),
        "bob",
        "2024-10-01T18:00:00Z",
    ),
];

fn utc(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[test]
fn oncall_answers_the_right_person_across_daylight_saving() {
    let server = Server::start();
    let admin = server.as_admin();
    // A schedule names users who exist: one who does not is refused,
    // naming the participant's field.
    let err = admin
        .run_with_stdin(&["schedule", "put", "primary", "--file", "-"], PRIMARY)
        .fails(1);
    assert!(
        err.contains("layers[0].rotation.participants[0]")
            && err.contains("`alice` does not exist"),
        "{err}"
    );
    for user in ["alice", "bob", "carol", "dave", "erin", "frank"] {
        server.add_user(user, "responder");
    }

    // The file may leave the name to the command line; `-` is stdin.
    let out = admin.put_stdin("schedule", "primary", PRIMARY);
    assert_contains(&out, "schedule primary saved");
    let files = tempfile::tempdir().unwrap();
    let secondary = write_file(files.path(), "secondary.json", SECONDARY);
    admin
        .run(&["schedule", "put", "secondary", "--file", &secondary])
        .ok();
    let list = admin.run(&["schedule", "list"]).ok();
    assert!(
        list.contains("primary") && list.contains("Europe/Berlin") && list.contains("secondary"),
        "{list}"
    );

    for (at, user, end, next, next_from) in EXPECTED {
        let answer = admin
            .run(&["oncall", "--schedule", "primary", "--at", at, "--json"])
            .json();
        let answers = answer.as_array().unwrap();
        assert_eq!(answers.len(), 1, "{answer:#}");
        let a = &answers[0];
        assert_eq!(a["schedule"], "primary");
        assert_eq!(a["at"], utc(at), "at {at}: {a:#}");
        assert_eq!(a["user"].as_str(), *user, "at {at}: {a:#}");
        assert_eq!(a["shift_end"].as_str(), *end, "at {at}: {a:#}");
        assert_eq!(a["next_user"], *next, "at {at}: {a:#}");
        assert_eq!(a["next_start"], *next_from, "at {at}: {a:#}");
    }

    // The text says who, until when and who is next, in the schedule's zone.
    let oncall_at = |at: &str| {
        admin
            .run(&["oncall", "--schedule", "primary", "--at", at])
            .ok()
    };
    let text = oncall_at("2024-03-31T12:00:00+02:00");
    for want in [
        "schedule primary at 2024-03-31 12:00 CEST (10:00Z)",
        "on call:    bob",
        "shift ends: 2024-04-01 09:00 CEST (07:00Z)",
        "next:       carol from 2024-04-01 09:00 CEST (07:00Z)",
    ] {
        assert!(text.contains(want), "`{want}` missing from:\n{text}");
    }
    let text = oncall_at("2024-03-01T00:00:00Z");
    assert_contains(&text, "on call:    nobody");

    // Without --schedule: every schedule.
    let all = admin
        .run(&["oncall", "--at", "2024-03-20T12:00:00Z", "--json"])
        .json();
    let by_schedule: Vec<(&str, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["schedule"].as_str().unwrap(),
                a["user"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert!(by_schedule.contains(&("primary", "alice")), "{all:#}");
    // 2024-03-20 is turn 79 of the daily rotation: odd, so Frank's.
    assert!(by_schedule.contains(&("secondary", "frank")), "{all:#}");

    // The timeline across the spring change.
    let shifts_args = [
        "schedule",
        "shifts",
        "primary",
        "--from",
        "2024-03-24T00:00:00Z",
        "--to",
        "2024-04-09T00:00:00Z",
    ];
    let shifts = admin.run(&[&shifts_args[..], &["--json"]].concat()).json();
    let shifts = strs_at(&shifts, ["user", "start", "end"]);
    assert_eq!(shifts.len(), 4, "{shifts:?}");
    assert_eq!(
        shifts[1],
        ["bob", "2024-03-25T08:00:00Z", "2024-04-01T07:00:00Z"]
    );
    assert_eq!(
        shifts[2],
        ["carol", "2024-04-01T07:00:00Z", "2024-04-08T07:00:00Z"]
    );
    assert_eq!((shifts[0][0], shifts[3][0]), ("alice", "alice"));
    let table = admin.run(&shifts_args).ok();
    assert_contains(
        &table,
        "2024-04-01 09:00 CEST (07:00Z)  2024-04-08 09:00 CEST (07:00Z)  carol",
    );

    let ics = admin
        .run(&["schedule", "calendar", "primary", "alice"])
        .ok();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");

    // Bad input: a usage error is 2, a refusal 1, each saying what is wrong.
    let err = admin
        .run(&["oncall", "--schedule", "primary", "--at", "next monday"])
        .fails(2);
    assert_contains(&err, "RFC 3339");
    let err = admin.run(&["oncall", "--schedule", "nope"]).fails(1);
    assert_contains(&err, "nope");
    let bad_zone = PRIMARY.replacen("Europe/Berlin", "Mars/Olympus_Mons", 1);
    let err = admin
        .run_with_stdin(&["schedule", "put", "primary", "--file", "-"], &bad_zone)
        .fails(1);
    assert_contains(&err, "time_zone");
    let renamed = SECONDARY.replace("\"secondary\"", "\"other\"");
    let err = admin
        .run_with_stdin(&["schedule", "put", "secondary", "--file", "-"], &renamed)
        .fails(1);
    assert_contains(&err, "other");
    let not_json = write_file(files.path(), "broken.json", "{\"time_zone\": ");
    let err = admin
        .run(&["schedule", "put", "primary", "--file", &not_json])
        .fails(1);
    assert!(
        err.contains("broken.json") && err.contains("not valid JSON"),
        "{err}"
    );
    let err = admin
        .run(&[
            "schedule",
            "put",
            "primary",
            "--file",
            "/nonexistent/s.json",
        ])
        .fails(1);
    assert_contains(&err, "cannot read /nonexistent/s.json");

    // A refused change leaves the schedule as it was.
    let after = admin
        .run(&[
            "oncall",
            "--schedule",
            "primary",
            "--at",
            "2024-04-01T07:30:00Z",
            "--json",
        ])
        .json();
    assert_eq!(after[0]["user"], Value::from("carol"));
}
