use crate::oncall::test_support::*;
use crate::oncall::*;
use chrono::{MappedLocalTime, TimeZone, Timelike};
use proptest::prelude::*;

#[test]
fn a_higher_layer_wins_and_a_lower_one_fills_in_before_it_starts() {
    let s = schedule(
        vec![
            layer(
                "primary",
                rotation(BERLIN, "2024-03-01T09:00:00", Days(1), &["ann", "bob"]),
            ),
            layer(
                "cover",
                rotation(BERLIN, "2024-03-04T18:00:00", Weeks(1), &["cy"]),
            ),
            // Invalid, so it never has anyone and never hides the others.
            layer(
                "broken",
                rotation(BERLIN, "2024-01-01T00:00:00", Days(1), &[]),
            ),
        ],
        vec![],
    );
    let rows = [
        ("2024-03-01T07:59:59Z", None),
        (
            "2024-03-02T12:00:00Z",
            Some((
                "bob",
                "primary",
                "2024-03-02T08:00:00Z",
                "2024-03-03T08:00:00Z",
            )),
        ),
        (
            "2024-03-04T12:00:00Z",
            Some((
                "bob",
                "primary",
                "2024-03-04T08:00:00Z",
                "2024-03-04T17:00:00Z",
            )),
        ),
        (
            "2024-03-06T00:00:00Z",
            Some((
                "cy",
                "cover",
                "2024-03-04T17:00:00Z",
                "2024-03-11T17:00:00Z",
            )),
        ),
    ];
    for (at, want) in rows {
        let want = want.map(|(user, layer, start, end)| OnCall {
            user: user.into(),
            source: Source::Layer(layer.into()),
            shift_start: utc(start),
            shift_end: utc(end),
        });
        assert_eq!(s.on_call_at(utc(at)), want, "at {at}");
    }
}

#[test]
fn overrides_win_and_the_later_created_one_wins_among_them() {
    let s = schedule(
        vec![
            layer(
                "primary",
                rotation(BERLIN, "2024-03-01T09:00:00", Days(1), &["ann", "bob"]),
            ),
            layer(
                "cover",
                rotation(BERLIN, "2024-03-10T09:00:00", Days(1), &["cy"]),
            ),
        ],
        vec![
            over("dee", "2024-03-02T10:00:00Z", "2024-03-02T14:00:00Z"),
            over("ann", "2024-03-02T12:00:00Z", "2024-03-02T13:00:00Z"),
            // Before any layer starts, and over the higher layer.
            over("eve", "2024-02-28T10:00:00Z", "2024-02-28T11:00:00Z"),
            over("eve", "2024-03-11T10:00:00Z", "2024-03-11T11:00:00Z"),
            // Ends before it starts: ignored.
            over("zed", "2024-03-02T09:00:00Z", "2024-03-02T08:00:00Z"),
        ],
    );
    let o = |user: &str, start: &str, end: &str| {
        Some(OnCall {
            user: user.into(),
            source: Source::Override,
            shift_start: utc(start),
            shift_end: utc(end),
        })
    };
    let l = |user: &str, layer: &str, start: &str, end: &str| {
        Some(OnCall {
            user: user.into(),
            source: Source::Layer(layer.into()),
            shift_start: utc(start),
            shift_end: utc(end),
        })
    };
    let rows = [
        (
            "2024-03-02T09:00:00Z",
            l(
                "bob",
                "primary",
                "2024-03-02T08:00:00Z",
                "2024-03-02T10:00:00Z",
            ),
        ),
        (
            "2024-03-02T11:00:00Z",
            o("dee", "2024-03-02T10:00:00Z", "2024-03-02T12:00:00Z"),
        ),
        (
            "2024-03-02T12:30:00Z",
            o("ann", "2024-03-02T12:00:00Z", "2024-03-02T13:00:00Z"),
        ),
        (
            "2024-03-02T13:30:00Z",
            o("dee", "2024-03-02T13:00:00Z", "2024-03-02T14:00:00Z"),
        ),
        (
            "2024-03-02T14:00:00Z",
            l(
                "bob",
                "primary",
                "2024-03-02T14:00:00Z",
                "2024-03-03T08:00:00Z",
            ),
        ),
        (
            "2024-02-28T10:30:00Z",
            o("eve", "2024-02-28T10:00:00Z", "2024-02-28T11:00:00Z"),
        ),
        ("2024-02-28T11:00:00Z", None),
        (
            "2024-03-11T10:59:59Z",
            o("eve", "2024-03-11T10:00:00Z", "2024-03-11T11:00:00Z"),
        ),
        (
            "2024-03-11T11:00:00Z",
            l(
                "cy",
                "cover",
                "2024-03-11T11:00:00Z",
                "2024-03-12T08:00:00Z",
            ),
        ),
    ];
    for (at, want) in rows {
        assert_eq!(s.on_call_at(utc(at)), want, "at {at}");
    }
}

#[test]
fn shifts_between_merges_and_clips() {
    let s = schedule(
        vec![layer(
            "primary",
            rotation(
                Tz::UTC,
                "2024-03-01T08:00:00",
                Days(1),
                &["ann", "ann", "bob"],
            ),
        )],
        vec![
            over("bob", "2024-03-02T08:00:00Z", "2024-03-02T20:00:00Z"),
            over("ann", "2024-03-03T08:00:00Z", "2024-03-03T12:00:00Z"),
            over("cy", "2024-03-05T09:00:00Z", "2024-03-05T10:00:00Z"),
            over("cy", "2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z"),
        ],
    );
    let got: Vec<(String, String, String, Source)> = s
        .shifts_between(utc("2024-02-29T00:00:00Z"), utc("2024-03-05T12:00:00Z"))
        .into_iter()
        .map(|s| {
            (
                s.user,
                s.start.format("%d %H:%M").to_string(),
                s.end.format("%d %H:%M").to_string(),
                s.source,
            )
        })
        .collect();
    let primary = || Source::Layer("primary".into());
    let want = [
        // Nobody before the first handoff; bob's override cuts ann's run.
        ("ann", "01 08:00", "02 08:00", primary()),
        ("bob", "02 08:00", "02 20:00", Source::Override),
        ("ann", "02 20:00", "03 08:00", primary()),
        // Same user, other source: not merged.
        ("ann", "03 08:00", "03 12:00", Source::Override),
        ("bob", "03 12:00", "04 08:00", primary()),
        // ann's turns of the 4th and 5th are one shift.
        ("ann", "04 08:00", "05 09:00", primary()),
        // Two back-to-back overrides of one user are one shift.
        ("cy", "05 09:00", "05 11:00", Source::Override),
        ("ann", "05 11:00", "05 12:00", primary()),
    ];
    let want: Vec<(String, String, String, Source)> = want
        .into_iter()
        .map(|(u, a, b, src)| (u.into(), a.into(), b.into(), src))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn huge_ranges_are_capped_and_the_ends_of_time_do_not_panic() {
    let hourly = rotation(Tz::UTC, "2024-01-01T00:00:00", Hours(1), &["ann", "bob"]);
    let s = schedule(vec![layer("primary", hourly.clone())], vec![]);
    let (from, to) = (utc("2024-01-01T00:00:00Z"), utc("2026-01-01T00:00:00Z"));
    let shifts = s.shifts_between(from, to);
    assert_eq!(shifts.len(), MAX_SHIFTS);
    assert!(shifts.windows(2).all(|w| w[0].end == w[1].start));
    assert_eq!(
        shifts.last().map(|s| s.end),
        Some(from + TimeDelta::hours(MAX_SHIFTS as i64))
    );
    assert_eq!(hourly.shifts_between(from, to).len(), MAX_SHIFTS);

    let weekly = rotation(NEW_YORK, "2024-01-01T09:00:00", Weeks(1), &["ann", "bob"]);
    let s = schedule(vec![layer("primary", weekly)], vec![]);
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    assert_eq!(s.shifts_between(min, max).len(), MAX_SHIFTS);
    assert_eq!(s.on_call_at(min), None);
    assert!(s.on_call_at(max).is_some());

    // A shift so long its second handoff is past the end of time.
    let endless = rotation(BERLIN, "2024-01-01T09:00:00", Weeks(u32::MAX), &["ann"]);
    assert_eq!(endless.shift_at(max).map(|s| s.end), Some(max));
    assert_eq!(endless.shifts_between(min, max).len(), 1);

    // A first handoff that cannot be placed: nobody, and no panic.
    let mut unplaceable = rotation(NEW_YORK, "2024-01-01T09:00:00", Days(1), &["ann"]);
    unplaceable.handoff = NaiveDateTime::MAX;
    assert_eq!(unplaceable.shift_at(max), None);
    assert!(matches!(
        unplaceable.validate(),
        Err(ScheduleError::Unplaceable { .. })
    ));
}

#[test]
fn validation_names_the_field() {
    let good = || {
        schedule(
            vec![layer(
                "primary",
                rotation(BERLIN, "2024-03-01T09:00:00", Days(1), &["ann", "bob"]),
            )],
            vec![over("cy", "2024-03-02T10:00:00Z", "2024-03-02T14:00:00Z")],
        )
    };
    assert_eq!(good().validate(), Ok(()));
    type Change = fn(&mut Schedule);
    let rows: [(Change, &str); 9] = [
        (|s| s.name.clear(), "`name` must not be empty"),
        (
            |s| s.layers[0].name = " ".into(),
            "`layers[0].name` must not be empty",
        ),
        (
            |s| s.layers.push(s.layers[0].clone()),
            "`layers[1].name`: the layer name `primary` is used twice",
        ),
        (
            |s| s.layers[0].rotation.participants.clear(),
            "`layers[0].rotation.participants` must not be empty",
        ),
        (
            |s| s.layers[0].rotation.participants[1].clear(),
            "`layers[0].rotation.participants[1]` must not be empty",
        ),
        (
            |s| s.layers[0].rotation.shift = Hours(0),
            "`layers[0].rotation.shift` must be at least 1",
        ),
        (
            |s| s.layers[0].rotation.shift = Weeks(53),
            "`layers[0].rotation.shift` must be at most 8784 hours (a year)",
        ),
        (
            |s| s.overrides[0].end = s.overrides[0].start,
            "`overrides[0].end` must be after the override's start",
        ),
        (
            |s| s.overrides[0].user.clear(),
            "`overrides[0].user` must not be empty",
        ),
    ];
    for (change, want) in rows {
        let mut s = good();
        change(&mut s);
        assert_eq!(s.validate().map_err(|e| e.to_string()), Err(want.into()));
        // Invalid or not, the math answers without panicking.
        let _ = s.shifts_between(utc("2024-02-01T00:00:00Z"), utc("2024-04-01T00:00:00Z"));
    }
    let days = Days(366);
    assert_eq!(days.hours(), u64::from(MAX_SHIFT_HOURS));
}

#[test]
fn config_types_read_zones_by_iana_name() {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, MapAccessDeserializer, MapDeserializer};
    let tz = Tz::deserialize(IntoDeserializer::<Error>::into_deserializer(
        "America/New_York",
    ));
    assert_eq!(tz, Ok(NEW_YORK));
    assert_eq!(NEW_YORK.name(), "America/New_York");
    let bad = Tz::deserialize(IntoDeserializer::<Error>::into_deserializer("Mars/Olympus"));
    assert!(bad.is_err());
    let shift = ShiftLength::deserialize(MapAccessDeserializer::new(
        MapDeserializer::<_, Error>::new([("days", 2u32)].into_iter()),
    ));
    assert_eq!(shift, Ok(Days(2)));
}

/// A reference to check the module against, written the slow and
/// obvious way: every layer's handoffs are stepped one by one from the
/// first, a time in a gap is moved a minute at a time until the clock
/// shows it, and the winner is looked up by scanning.
struct Reference {
    layers: Vec<ReferenceLayer>,
    overrides: Vec<Override>,
}

struct ReferenceLayer {
    name: String,
    people: Vec<String>,
    /// Every handoff from the first to one past the range checked.
    handoffs: Vec<DateTime<Utc>>,
}

impl Reference {
    fn new(s: &Schedule, until: DateTime<Utc>) -> Reference {
        let layers = s
            .layers
            .iter()
            .map(|l| {
                let r = &l.rotation;
                let step = match r.shift {
                    Hours(n) => TimeDelta::hours(n.into()),
                    Days(n) => TimeDelta::days(n.into()),
                    Weeks(n) => TimeDelta::weeks(n.into()),
                };
                let mut handoffs = Vec::new();
                let mut wall = r.handoff;
                loop {
                    let h = reference_place(r.time_zone, wall);
                    handoffs.push(h);
                    if h > until {
                        break;
                    }
                    wall += step;
                }
                ReferenceLayer {
                    name: l.name.clone(),
                    people: r.participants.clone(),
                    handoffs,
                }
            })
            .collect();
        Reference {
            layers,
            overrides: s.overrides.clone(),
        }
    }

    fn on_call_at(&self, t: DateTime<Utc>) -> Option<(String, Source)> {
        if let Some(o) = self
            .overrides
            .iter()
            .rev()
            .find(|o| o.start <= t && t < o.end)
        {
            return Some((o.user.clone(), Source::Override));
        }
        for l in self.layers.iter().rev() {
            if l.handoffs[0] > t {
                continue;
            }
            let mut k = 0;
            while l.handoffs[k + 1] <= t {
                k += 1;
            }
            let user = l.people[k % l.people.len()].clone();
            return Some((user, Source::Layer(l.name.clone())));
        }
        None
    }

    /// The turns of layer `i` overlapping `[from, to)`, clipped, empty ones left out.
    fn turns(&self, i: usize, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<RotationShift> {
        let l = &self.layers[i];
        l.handoffs
            .windows(2)
            .enumerate()
            .map(|(k, w)| RotationShift {
                user: l.people[k % l.people.len()].clone(),
                turn: k as u64,
                start: w[0].max(from),
                end: w[1].min(to),
            })
            .filter(|s| s.start < s.end)
            .collect()
    }

    fn boundaries(&self) -> Vec<DateTime<Utc>> {
        let mut out: Vec<DateTime<Utc>> = self
            .layers
            .iter()
            .flat_map(|l| l.handoffs.iter().copied())
            .chain(self.overrides.iter().flat_map(|o| [o.start, o.end]))
            .collect();
        out.sort();
        out
    }
}

fn reference_place(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let mut w = wall.with_second(0).unwrap().with_nanosecond(0).unwrap();
    if w < wall {
        w += TimeDelta::minutes(1);
    }
    for _ in 0..24 * 60 {
        match tz.from_local_datetime(&w) {
            MappedLocalTime::Single(t) => return t.with_timezone(&Utc),
            MappedLocalTime::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
            MappedLocalTime::None => w += TimeDelta::minutes(1),
        }
    }
    unreachable!("{wall} is in a gap over a day long in {tz}")
}

const ZONES: [Tz; 5] = [BERLIN, NEW_YORK, Tz::UTC, Tz::Asia__Kolkata, LORD_HOWE];
const USERS: [&str; 4] = ["ann", "bob", "cy", "dee"];
/// Window starts a few weeks before the spring and autumn changes of
/// the zones above, so that most cases cross one.
const BASES: [&str; 4] = [
    "2024-02-20T00:00:00",
    "2024-09-20T00:00:00",
    "2025-02-20T00:00:00",
    "2025-09-20T00:00:00",
];
const WINDOW_DAYS: i64 = 100;
const WINDOW_SECONDS: i64 = WINDOW_DAYS * 24 * 3600;

fn shift_length() -> impl Strategy<Value = ShiftLength> {
    prop_oneof![
        (1u32..=36).prop_map(Hours),
        (1u32..=8).prop_map(Days),
        (1u32..=3).prop_map(Weeks),
    ]
}

fn random_rotation(base: NaiveDateTime) -> impl Strategy<Value = Rotation> {
    (
        prop::collection::vec(prop::sample::select(USERS.to_vec()), 1..=4),
        shift_length(),
        // Quarter hours, so that handoffs land on the change times.
        0i64..40 * 24 * 4,
        prop::sample::select(ZONES.to_vec()),
    )
        .prop_map(move |(people, shift, quarters, time_zone)| Rotation {
            name: "rotation".into(),
            participants: people.into_iter().map(str::to_owned).collect(),
            shift,
            handoff: base + TimeDelta::minutes(15 * quarters),
            time_zone,
        })
}

fn random_schedule() -> impl Strategy<Value = (NaiveDateTime, Schedule)> {
    prop::sample::select(BASES.to_vec()).prop_flat_map(|base| {
        let base = wall(base);
        let layers = prop::collection::vec(random_rotation(base), 1..=3);
        let overrides = prop::collection::vec(
            (
                prop::sample::select(USERS.to_vec()),
                0i64..WINDOW_DAYS * 24 * 60,
                1i64..10 * 24 * 60,
            ),
            0..=4,
        );
        (layers, overrides).prop_map(move |(rotations, overrides)| {
            let start = base.and_utc() - TimeDelta::days(1);
            let schedule = Schedule {
                name: "Random".into(),
                time_zone: Tz::UTC,
                layers: rotations
                    .into_iter()
                    .enumerate()
                    .map(|(i, rotation)| Layer {
                        name: format!("L{i}"),
                        rotation,
                    })
                    .collect(),
                overrides: overrides
                    .into_iter()
                    .map(|(user, at, minutes)| Override {
                        user: user.into(),
                        start: start + TimeDelta::minutes(at),
                        end: start + TimeDelta::minutes(at + minutes),
                    })
                    .collect(),
            };
            (base, schedule)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn the_timeline_matches_the_reference(
        (base, s) in random_schedule(),
        samples in prop::collection::vec(0..WINDOW_SECONDS, 48),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 32),
        range in (0..WINDOW_SECONDS, 1..WINDOW_SECONDS),
    ) {
        prop_assert_eq!(s.validate(), Ok(()));
        let start = base.and_utc() - TimeDelta::days(1);
        let end = start + TimeDelta::seconds(WINDOW_SECONDS);
        let reference = Reference::new(&s, end + TimeDelta::days(30));

        // Random instants, and instants on and just before boundaries.
        let mut instants: Vec<DateTime<Utc>> =
            samples.iter().map(|x| start + TimeDelta::seconds(*x)).collect();
        let boundaries: Vec<DateTime<Utc>> = reference
            .boundaries()
            .into_iter()
            .filter(|b| *b > start && *b < end)
            .collect();
        if !boundaries.is_empty() {
            for pick in &picks {
                let b = boundaries[pick.index(boundaries.len())];
                instants.extend([b, b - NS]);
            }
        }

        // (a) on_call_at agrees with the reference everywhere sampled.
        for t in &instants {
            let got = s.on_call_at(*t);
            let want = reference.on_call_at(*t);
            prop_assert_eq!(
                got.as_ref().map(|o| (o.user.clone(), o.source.clone())),
                want,
                "at {}", t
            );
            if let Some(o) = &got {
                prop_assert!(o.shift_start <= *t && *t < o.shift_end, "{:?} at {}", o, t);
                let again = s.on_call_at(o.shift_start).map(|a| (a.user, a.source));
                prop_assert_eq!(again, Some((o.user.clone(), o.source.clone())));
            }
        }

        // (b) shifts_between tiles the range where someone is on call.
        let from = start + TimeDelta::seconds(range.0.min(range.1));
        let to = start + TimeDelta::seconds(range.0.max(range.1));
        let shifts = s.shifts_between(from, to);
        prop_assert!(shifts.len() < MAX_SHIFTS);
        let mut cursor = from;
        for (i, shift) in shifts.iter().enumerate() {
            prop_assert!(from <= shift.start && shift.start < shift.end && shift.end <= to);
            prop_assert!(cursor <= shift.start, "overlap at {}", shift.start);
            if cursor < shift.start {
                prop_assert_eq!(s.on_call_at(cursor), None, "gap start {}", cursor);
                prop_assert_eq!(s.on_call_at(shift.start - NS), None);
            }
            if i > 0 && shifts[i - 1].end == shift.start {
                prop_assert!(
                    (&shifts[i - 1].user, &shifts[i - 1].source) != (&shift.user, &shift.source),
                    "unmerged at {}", shift.start
                );
            }
            let who = Some((shift.user.clone(), shift.source.clone()));
            for t in [shift.start, shift.end - NS] {
                prop_assert_eq!(s.on_call_at(t).map(|o| (o.user, o.source)), who.clone());
            }
            cursor = shift.end;
        }
        if cursor < to {
            prop_assert_eq!(s.on_call_at(cursor), None, "gap start {}", cursor);
            prop_assert_eq!(s.on_call_at(to - NS), None);
        }
        for t in instants.iter().filter(|t| from <= **t && **t < to) {
            let covering = shifts
                .iter()
                .find(|x| x.start <= *t && *t < x.end)
                .map(|x| (x.user.clone(), x.source.clone()));
            prop_assert_eq!(covering, reference.on_call_at(*t), "at {}", t);
        }

        // Each rotation on its own agrees with the reference's stepping.
        for (i, l) in s.layers.iter().enumerate() {
            prop_assert_eq!(l.rotation.shifts_between(from, to), reference.turns(i, from, to));
        }

        // (c) inside an override's window, an override holds.
        for o in &s.overrides {
            for t in [o.start, o.start + (o.end - o.start) / 2, o.end - NS] {
                // The last-created override covering `t`: `o` or a later one.
                let last = s.overrides.iter().rev().find(|x| x.start <= t && t < x.end);
                prop_assert!(last.is_some());
                let got = s.on_call_at(t);
                prop_assert_eq!(
                    got.map(|g| (g.user, g.source)),
                    last.map(|x| (x.user.clone(), Source::Override))
                );
            }
        }
    }
}
