use crate::oncall::test_support::*;
use crate::oncall::*;

/// Handoff instants across daylight-saving changes, written out in UTC.
/// Berlin: CET (+1) to CEST (+2) at 2024-03-31 02:00, back at 2024-10-27
/// 03:00. New York: EST (-5) to EDT (-4) at 2024-03-10 02:00, back at
/// 2024-11-03 02:00. Lord Howe: +10:30 to +11 at 2024-10-06 02:00 (a
/// half-hour gap), back at 2024-04-07 02:00.
#[test]
fn handoffs_across_daylight_saving_changes() {
    let rows: &[(&str, Tz, &str, ShiftLength, &[&str])] = &[
        (
            "Berlin daily 09:00, spring: the shift across the change is 23 h",
            BERLIN,
            "2024-03-29T09:00:00",
            Days(1),
            &[
                "2024-03-29T08:00:00Z",
                "2024-03-30T08:00:00Z",
                "2024-03-31T07:00:00Z",
                "2024-04-01T07:00:00Z",
            ],
        ),
        (
            "Berlin daily 09:00, autumn: the shift across the change is 25 h",
            BERLIN,
            "2024-10-26T09:00:00",
            Days(1),
            &[
                "2024-10-26T07:00:00Z",
                "2024-10-27T08:00:00Z",
                "2024-10-28T08:00:00Z",
            ],
        ),
        (
            "Berlin 12 h from 02:30, spring: 02:30 is in the gap, 03:00 CEST",
            BERLIN,
            "2024-03-30T02:30:00",
            Hours(12),
            &[
                "2024-03-30T01:30:00Z",
                "2024-03-30T13:30:00Z",
                "2024-03-31T01:00:00Z",
                "2024-03-31T12:30:00Z",
                "2024-04-01T00:30:00Z",
            ],
        ),
        (
            "Berlin 12 h from 02:30, autumn: 02:30 happens twice, the CEST one",
            BERLIN,
            "2024-10-26T02:30:00",
            Hours(12),
            &[
                "2024-10-26T00:30:00Z",
                "2024-10-26T12:30:00Z",
                "2024-10-27T00:30:00Z",
                "2024-10-27T13:30:00Z",
                "2024-10-28T01:30:00Z",
            ],
        ),
        (
            "Berlin weekly Monday 09:00, spring: 167 h",
            BERLIN,
            "2024-03-25T09:00:00",
            Weeks(1),
            &[
                "2024-03-25T08:00:00Z",
                "2024-04-01T07:00:00Z",
                "2024-04-08T07:00:00Z",
            ],
        ),
        (
            "Berlin weekly Monday 09:00, autumn: 169 h",
            BERLIN,
            "2024-10-21T09:00:00",
            Weeks(1),
            &["2024-10-21T07:00:00Z", "2024-10-28T08:00:00Z"],
        ),
        (
            "New York daily 09:00, spring",
            NEW_YORK,
            "2024-03-09T09:00:00",
            Days(1),
            &[
                "2024-03-09T14:00:00Z",
                "2024-03-10T13:00:00Z",
                "2024-03-11T13:00:00Z",
            ],
        ),
        (
            "New York daily 09:00, autumn",
            NEW_YORK,
            "2024-11-02T09:00:00",
            Days(1),
            &[
                "2024-11-02T13:00:00Z",
                "2024-11-03T14:00:00Z",
                "2024-11-04T14:00:00Z",
            ],
        ),
        (
            "New York 12 h from 02:30, spring: 02:30 is in the gap, 03:00 EDT",
            NEW_YORK,
            "2024-03-09T02:30:00",
            Hours(12),
            &[
                "2024-03-09T07:30:00Z",
                "2024-03-09T19:30:00Z",
                "2024-03-10T07:00:00Z",
                "2024-03-10T18:30:00Z",
                "2024-03-11T06:30:00Z",
            ],
        ),
        (
            "New York 12 h from 02:30, autumn: 02:30 happens once, in EST",
            NEW_YORK,
            "2024-11-02T02:30:00",
            Hours(12),
            &[
                "2024-11-02T06:30:00Z",
                "2024-11-02T18:30:00Z",
                "2024-11-03T07:30:00Z",
                "2024-11-03T19:30:00Z",
            ],
        ),
        (
            "New York 12 h from 01:30, autumn: 01:30 happens twice, the EDT one",
            NEW_YORK,
            "2024-11-02T01:30:00",
            Hours(12),
            &[
                "2024-11-02T05:30:00Z",
                "2024-11-02T17:30:00Z",
                "2024-11-03T05:30:00Z",
                "2024-11-03T18:30:00Z",
                "2024-11-04T06:30:00Z",
            ],
        ),
        (
            "New York weekly Friday 17:00, spring",
            NEW_YORK,
            "2024-03-08T17:00:00",
            Weeks(1),
            &["2024-03-08T22:00:00Z", "2024-03-15T21:00:00Z"],
        ),
        (
            "New York weekly Friday 17:00, autumn",
            NEW_YORK,
            "2024-11-01T17:00:00",
            Weeks(1),
            &["2024-11-01T21:00:00Z", "2024-11-08T22:00:00Z"],
        ),
        (
            "New York hourly, spring: 02:00 and 03:00 both place at 07:00Z",
            NEW_YORK,
            "2024-03-10T00:00:00",
            Hours(1),
            &[
                "2024-03-10T05:00:00Z",
                "2024-03-10T06:00:00Z",
                "2024-03-10T07:00:00Z",
                "2024-03-10T07:00:00Z",
                "2024-03-10T08:00:00Z",
            ],
        ),
        (
            "New York hourly, autumn: the 01:00 turn runs through both 01:00s",
            NEW_YORK,
            "2024-11-03T00:00:00",
            Hours(1),
            &[
                "2024-11-03T04:00:00Z",
                "2024-11-03T05:00:00Z",
                "2024-11-03T07:00:00Z",
                "2024-11-03T08:00:00Z",
            ],
        ),
        (
            "Lord Howe daily 02:15, spring: half-hour gap, 02:30 +11",
            LORD_HOWE,
            "2024-10-05T02:15:00",
            Days(1),
            &[
                "2024-10-04T15:45:00Z",
                "2024-10-05T15:30:00Z",
                "2024-10-06T15:15:00Z",
            ],
        ),
        (
            "Lord Howe daily 01:45, autumn: 01:45 happens twice, the +11 one",
            LORD_HOWE,
            "2024-04-06T01:45:00",
            Days(1),
            &[
                "2024-04-05T14:45:00Z",
                "2024-04-06T14:45:00Z",
                "2024-04-07T15:15:00Z",
            ],
        ),
    ];
    for (name, tz, handoff, shift, expected) in rows {
        let people = ["a", "b", "c", "d", "e", "f"];
        let r = rotation(*tz, handoff, *shift, &people);
        let expected: Vec<DateTime<Utc>> = expected.iter().map(|s| utc(s)).collect();
        let got: Vec<Option<DateTime<Utc>>> = (0..expected.len() as u64)
            .map(|k| r.handoff_instant(k))
            .collect();
        let want: Vec<Option<DateTime<Utc>>> = expected.iter().copied().map(Some).collect();
        assert_eq!(got, want, "{name}");

        assert_eq!(
            r.shift_at(expected[0] - NS),
            None,
            "{name}: before the first"
        );
        for (k, pair) in expected.windows(2).enumerate() {
            let (start, end) = (pair[0], pair[1]);
            let k = k as u64;
            if start == end {
                continue; // an empty turn: nobody holds it
            }
            let want = Some(RotationShift {
                user: people[k as usize].to_string(),
                turn: k,
                start,
                end,
            });
            assert_eq!(r.shift_at(start), want, "{name}: turn {k} at its start");
            assert_eq!(r.shift_at(end - NS), want, "{name}: turn {k} at its end");
        }
    }
}

#[test]
fn shift_lengths_across_the_changes() {
    let hours = |r: &Rotation, k: u64| {
        (r.handoff_instant(k + 1).unwrap() - r.handoff_instant(k).unwrap()).num_hours()
    };
    let spring = rotation(BERLIN, "2024-03-30T09:00:00", Days(1), &["a", "b"]);
    assert_eq!(hours(&spring, 0), 23);
    assert_eq!(hours(&spring, 1), 24);
    let autumn = rotation(BERLIN, "2024-10-26T09:00:00", Days(1), &["a", "b"]);
    assert_eq!(hours(&autumn, 0), 25);
    let twelve = rotation(NEW_YORK, "2024-03-09T14:30:00", Hours(12), &["a", "b"]);
    assert_eq!(hours(&twelve, 0), 11, "14:30 EST to the end of the gap");
    assert_eq!(hours(&twelve, 1), 11, "03:00 EDT to 14:30 EDT");
}

#[test]
fn an_hourly_turn_in_the_gap_is_empty_and_the_order_holds() {
    let r = rotation(
        NEW_YORK,
        "2024-03-10T00:00:00",
        Hours(1),
        &["a", "b", "c", "d", "e"],
    );
    let at_gap = r.shift_at(utc("2024-03-10T07:00:00Z")).unwrap();
    assert_eq!((at_gap.user.as_str(), at_gap.turn), ("d", 3));
    let users: Vec<(String, u64)> = r
        .shifts_between(utc("2024-03-10T05:00:00Z"), utc("2024-03-10T09:00:00Z"))
        .into_iter()
        .map(|s| (s.user, s.turn))
        .collect();
    let want = [("a", 0), ("b", 1), ("d", 3), ("e", 4)];
    assert_eq!(
        users,
        want.map(|(u, k)| (u.to_string(), k)).to_vec(),
        "c's turn is empty"
    );
}

#[test]
fn rotation_shifts_are_clipped_to_the_range() {
    let r = rotation(BERLIN, "2024-03-29T09:00:00", Days(1), &["a", "b"]);
    let got = r.shifts_between(utc("2024-03-28T00:00:00Z"), utc("2024-03-31T00:00:00Z"));
    let want = vec![
        RotationShift {
            user: "a".into(),
            turn: 0,
            start: utc("2024-03-29T08:00:00Z"),
            end: utc("2024-03-30T08:00:00Z"),
        },
        RotationShift {
            user: "b".into(),
            turn: 1,
            start: utc("2024-03-30T08:00:00Z"),
            end: utc("2024-03-31T00:00:00Z"),
        },
    ];
    assert_eq!(got, want);
    assert_eq!(
        r.shifts_between(utc("2024-03-31T00:00:00Z"), utc("2024-03-30T00:00:00Z")),
        vec![],
        "an empty range"
    );
}
