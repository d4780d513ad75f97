//! On-call schedules: who is on call at a given instant, and when.
//!
//! This module owns the schedule math: rotations that hand off at a wall-clock
//! time in their own zone, layers of rotations stacked over each other,
//! overrides on top of everything, the one timeline they make together, and
//! that timeline as an iCalendar feed. Like the rest of the crate it does no
//! IO and never reads the clock: every instant is a parameter.
//!
//! # Wall-clock time and daylight saving
//!
//! A rotation's handoffs are counted in the wall-clock time of its zone, not
//! in elapsed time: turn `k` hands off at the local time `handoff + k × shift`
//! (for hour-based shifts too), so a daily 09:00 rotation hands off at 09:00
//! local every day and the shift across a spring-forward change lasts 23 h,
//! the one across a fall-back change 25 h. That local time is then placed on
//! the timeline as *the first instant at which the zone's clock reads it or
//! later*, which means:
//!
//! - a local time that does not exist (it falls in the gap of a
//!   spring-forward change) hands off at the end of the gap, the first valid
//!   instant after it: 02:30 on 2024-03-31 in Europe/Berlin is placed at
//!   03:00 CEST (01:00 UTC), not at 03:30;
//! - a local time that happens twice (it falls in the overlap of a fall-back
//!   change) hands off at its earlier occurrence: 02:30 on 2024-10-27 in
//!   Europe/Berlin is 02:30 CEST (00:30 UTC), not 02:30 CET.
//!
//! This placement never goes backwards as the local time goes forwards, so
//! handoffs are always in order. Two handoffs can land on the same instant
//! (an hourly rotation whose 02:00 handoff falls in a one-hour gap, where
//! 02:00 and 03:00 both place at the end of the gap): that turn is empty and
//! its participant simply has no shift that time round; the order of the
//! rotation does not shift.

use chrono::{DateTime, MappedLocalTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The most shifts one call to a `shifts_between` function returns.
///
/// A range that holds more (a decade of hourly shifts, or a mistyped year)
/// is cut short: the list holds the first `MAX_SHIFTS` shifts from `from`,
/// and the caller can ask again from the end of the last one. This keeps a
/// request for a huge range from building a huge answer.
pub const MAX_SHIFTS: usize = 10_000;

/// The longest shift [`Rotation::validate`] accepts: a year of 366 days.
/// Anything longer is almost certainly a typo for a shorter unit.
pub const MAX_SHIFT_HOURS: u32 = 366 * 24;

/// How long each participant's turn lasts, in wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftLength {
    Hours(u32),
    Days(u32),
    Weeks(u32),
}

impl ShiftLength {
    /// The length in wall-clock hours. A wall-clock day is always 24 of them:
    /// the daylight-saving stretch happens when the result is placed in a
    /// zone, not here.
    pub fn hours(self) -> u64 {
        match self {
            ShiftLength::Hours(n) => u64::from(n),
            ShiftLength::Days(n) => u64::from(n) * 24,
            ShiftLength::Weeks(n) => u64::from(n) * 24 * 7,
        }
    }

    /// The wall-clock step between handoffs, in seconds; `None` for a zero
    /// length, which has no next handoff.
    fn step_seconds(self) -> Option<i64> {
        let hours = i64::try_from(self.hours()).ok()?;
        if hours == 0 {
            return None;
        }
        hours.checked_mul(3600)
    }
}

/// Participants taking turns, one shift each, in order, forever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub name: String,
    /// User names, in the order they take their turns; a name may appear
    /// more than once.
    pub participants: Vec<String>,
    pub shift: ShiftLength,
    /// The first handoff, as a wall-clock time in `time_zone`. Before it
    /// nobody from this rotation is on call. On the wire it is a string,
    /// `"2024-03-25T09:00:00"`; in TOML it must be quoted, as a bare TOML
    /// date-time does not deserialize into it.
    pub handoff: NaiveDateTime,
    /// The zone the handoff times are read in; serialized as its IANA name.
    pub time_zone: Tz,
}

/// One turn of a rotation: `user` is on call from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationShift {
    pub user: String,
    /// The turn's number: 0 is the turn that starts at the first handoff,
    /// and the participant is `participants[turn % participants.len()]`.
    pub turn: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A rotation placed in a schedule.
///
/// Restrictions (a layer that only covers, say, weekdays 09:00–17:00) are
/// not supported yet: a layer covers every instant from its rotation's first
/// handoff on. Until they are, a layer over another one hides it completely
/// once it has started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    pub rotation: Rotation,
}

/// Someone standing in for whoever the layers put on call, in
/// `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub user: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Layers of rotations with overrides on top.
///
/// Where several layers have someone on call, the one with the highest
/// index wins; where no layer has, nobody is on call. An override wins over
/// every layer inside its window, and where overrides overlap the one later
/// in `overrides` (the one created later) wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub name: String,
    /// The zone the schedule is shown in. The math does not use it: each
    /// rotation hands off in its own zone.
    pub time_zone: Tz,
    /// Index 0 is the lowest layer.
    pub layers: Vec<Layer>,
    #[serde(default)]
    pub overrides: Vec<Override>,
}

/// Where someone's time on call comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The layer of this name.
    Layer(String),
    Override,
}

/// Who is on call at an instant, and the stretch of their shift around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCall {
    pub user: String,
    pub source: Source,
    /// The stretch of this one shift (one rotation turn, or one override)
    /// in which it is the one that counts: a turn cut into by an override
    /// or by a higher layer starting ends where that begins. Back-to-back
    /// turns of the same user are not joined here; see
    /// [`Schedule::shifts_between`] for that.
    pub shift_start: DateTime<Utc>,
    pub shift_end: DateTime<Utc>,
}

/// A stretch of a schedule's final timeline: `user` is on call from `start`
/// to `end` because of `source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub user: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub source: Source,
}

/// Why a schedule or rotation is refused. `field` is the path of the
/// offending field, as in the configuration (`layers[1].rotation.shift`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("`{field}` must not be empty")]
    Empty { field: String },
    #[error("`{field}` must be at least 1")]
    ZeroShift { field: String },
    #[error("`{field}` must be at most {max_hours} hours (a year)")]
    ShiftTooLong { field: String, max_hours: u32 },
    #[error("`{field}`: {handoff} cannot be placed in {time_zone}")]
    Unplaceable {
        field: String,
        handoff: NaiveDateTime,
        time_zone: Tz,
    },
    #[error("`{field}`: the layer name `{name}` is used twice")]
    DuplicateLayer { field: String, name: String },
    #[error("`{field}` must be after the override's start")]
    EmptyOverride { field: String },
}

impl ScheduleError {
    /// The same error with `prefix.` in front of its field path.
    fn within(self, prefix: &str) -> ScheduleError {
        let at = |field: String| format!("{prefix}.{field}");
        match self {
            ScheduleError::Empty { field } => ScheduleError::Empty { field: at(field) },
            ScheduleError::ZeroShift { field } => ScheduleError::ZeroShift { field: at(field) },
            ScheduleError::ShiftTooLong { field, max_hours } => ScheduleError::ShiftTooLong {
                field: at(field),
                max_hours,
            },
            ScheduleError::Unplaceable {
                field,
                handoff,
                time_zone,
            } => ScheduleError::Unplaceable {
                field: at(field),
                handoff,
                time_zone,
            },
            ScheduleError::DuplicateLayer { field, name } => ScheduleError::DuplicateLayer {
                field: at(field),
                name,
            },
            ScheduleError::EmptyOverride { field } => {
                ScheduleError::EmptyOverride { field: at(field) }
            }
        }
    }
}

fn non_empty(value: &str, field: impl Into<String>) -> Result<(), ScheduleError> {
    if value.trim().is_empty() {
        return Err(ScheduleError::Empty {
            field: field.into(),
        });
    }
    Ok(())
}

/// One turn as the math sees it: its number and where it starts and ends.
/// `end` is `None` when the next handoff lies past the end of time that
/// chrono can represent.
#[derive(Debug, Clone, Copy)]
struct Turn {
    k: i64,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
}

impl Rotation {
    /// Checks the rotation can be used: a name, at least one participant,
    /// no blank participant, a shift of at least one unit and at most
    /// [`MAX_SHIFT_HOURS`], and a first handoff that exists on the timeline.
    ///
    /// The math never panics on a rotation that fails this; it just puts
    /// nobody on call from it (no participants, zero length) or computes
    /// with what it was given (a shift over a year long).
    pub fn validate(&self) -> Result<(), ScheduleError> {
        non_empty(&self.name, "name")?;
        if self.participants.is_empty() {
            return Err(ScheduleError::Empty {
                field: "participants".into(),
            });
        }
        for (i, user) in self.participants.iter().enumerate() {
            non_empty(user, format!("participants[{i}]"))?;
        }
        let hours = self.shift.hours();
        if hours == 0 {
            return Err(ScheduleError::ZeroShift {
                field: "shift".into(),
            });
        }
        if hours > u64::from(MAX_SHIFT_HOURS) {
            return Err(ScheduleError::ShiftTooLong {
                field: "shift".into(),
                max_hours: MAX_SHIFT_HOURS,
            });
        }
        if place(self.time_zone, self.handoff).is_none() {
            return Err(ScheduleError::Unplaceable {
                field: "handoff".into(),
                handoff: self.handoff,
                time_zone: self.time_zone,
            });
        }
        Ok(())
    }

    /// The instant of handoff number `turn` (0 is the first handoff), or
    /// `None` if the rotation is invalid or the instant is past what chrono
    /// can represent.
    pub fn handoff_instant(&self, turn: u64) -> Option<DateTime<Utc>> {
        self.handoff_k(i64::try_from(turn).ok()?)
    }

    /// The first instant anyone from this rotation is on call.
    pub fn first_handoff(&self) -> Option<DateTime<Utc>> {
        self.handoff_k(0)
    }

    fn handoff_k(&self, k: i64) -> Option<DateTime<Utc>> {
        if self.participants.is_empty() || k < 0 {
            return None;
        }
        let seconds = self.shift.step_seconds()?.checked_mul(k)?;
        let wall = self
            .handoff
            .checked_add_signed(TimeDelta::try_seconds(seconds)?)?;
        place(self.time_zone, wall)
    }

    fn participant(&self, k: i64) -> Option<&String> {
        let n = i64::try_from(self.participants.len()).ok()?;
        let i = usize::try_from(k.checked_rem_euclid(n)?).ok()?;
        self.participants.get(i)
    }

    /// The turn in progress at `at`: the last handoff at or before it.
    fn turn_at(&self, at: DateTime<Utc>) -> Option<Turn> {
        let step = self.shift.step_seconds()?;
        let first = self.handoff_k(0)?;
        if at < first {
            return None;
        }
        let is_past = |k: i64| self.handoff_k(k).is_some_and(|h| h <= at);
        // Guess the turn from the local clock, then correct the guess: the
        // clock can be off by the size of a daylight-saving change, and
        // handoffs never go backwards, so a galloping search from the guess
        // finds the last handoff at or before `at` in a few steps.
        let guess = local_time(self.time_zone, at)
            .map(|wall| ((wall - self.handoff).num_seconds() / step).max(0))
            .unwrap_or(0);
        // Invariant from here: handoff `lo` is at or before `at` and handoff
        // `hi` is after it (or past the end of time).
        let (mut lo, mut hi);
        if is_past(guess) {
            lo = guess;
            let mut jump: i64 = 1;
            loop {
                let next = lo.saturating_add(jump);
                if next == lo || !is_past(next) {
                    hi = next;
                    break;
                }
                lo = next;
                jump = jump.saturating_mul(2);
            }
        } else {
            hi = guess;
            let mut jump: i64 = 1;
            loop {
                let next = hi.saturating_sub(jump).max(0);
                if is_past(next) {
                    lo = next;
                    break;
                }
                hi = next;
                jump = jump.saturating_mul(2);
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if is_past(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(Turn {
            k: lo,
            start: self.handoff_k(lo)?,
            end: lo.checked_add(1).and_then(|k| self.handoff_k(k)),
        })
    }

    fn rotation_shift(&self, turn: Turn) -> Option<RotationShift> {
        Some(RotationShift {
            user: self.participant(turn.k)?.clone(),
            turn: u64::try_from(turn.k).ok()?,
            start: turn.start,
            end: turn.end.unwrap_or(DateTime::<Utc>::MAX_UTC),
        })
    }

    /// The turn in progress at `at`, whole (not clipped to anything).
    /// `None` before the first handoff and for an invalid rotation.
    pub fn shift_at(&self, at: DateTime<Utc>) -> Option<RotationShift> {
        self.rotation_shift(self.turn_at(at)?)
    }

    /// The turns that overlap `[from, to)`, in order, each clipped to
    /// `[from, to)`. Empty turns (see the module docs) are left out, and so
    /// is everything after the first [`MAX_SHIFTS`] turns.
    pub fn shifts_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<RotationShift> {
        let mut out = Vec::new();
        if from >= to {
            return out;
        }
        let Some(first) = self.first_handoff() else {
            return out;
        };
        let mut k = match self.turn_at(from) {
            Some(turn) => turn.k,
            None if first < to => 0,
            None => return out,
        };
        // Empty turns only come from turns shorter than a gap in the clock,
        // so twice the cap bounds the walk without cutting real answers.
        for _ in 0..2 * MAX_SHIFTS {
            if out.len() == MAX_SHIFTS {
                break;
            }
            let Some(start) = self.handoff_k(k) else {
                break;
            };
            if start >= to {
                break;
            }
            let end = k.checked_add(1).and_then(|next| self.handoff_k(next));
            let (clip_start, clip_end) = (start.max(from), end.map_or(to, |e| e.min(to)));
            if clip_start < clip_end {
                let turn = Turn {
                    k,
                    start: clip_start,
                    end: Some(clip_end),
                };
                if let Some(shift) = self.rotation_shift(turn) {
                    out.push(shift);
                }
            }
            match (end, k.checked_add(1)) {
                (Some(_), Some(next)) => k = next,
                _ => break,
            }
        }
        out
    }
}

/// The first instant at which `tz`'s clock reads `wall` or later: the
/// instant itself when `wall` happens once, its earlier occurrence when it
/// happens twice, and the end of the gap when it does not happen at all.
fn place(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&wall) {
        MappedLocalTime::Single(t) => Some(t.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        MappedLocalTime::None => end_of_gap(tz, wall),
    }
}

/// The instant a gap in `tz`'s clock containing `wall` ends, found by
/// bisecting whole seconds: zone transitions fall on whole seconds, and
/// every zone's offset (local mean time included) is within ±26 hours of
/// UTC, so 26 hours either side of `wall` read as UTC brackets the gap.
fn end_of_gap(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let reads_at_least = |s: i64| {
        DateTime::from_timestamp(s, 0)
            .and_then(|t| local_time(tz, t))
            .is_some_and(|local| local >= wall)
    };
    let center = wall.and_utc().timestamp();
    let mut lo = center.checked_sub(26 * 3600)?;
    let mut hi = center.checked_add(26 * 3600 + 1)?;
    if reads_at_least(lo) || !reads_at_least(hi) {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reads_at_least(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

/// What `tz`'s clock reads at `at`; `None` only at the ends of time.
fn local_time(tz: Tz, at: DateTime<Utc>) -> Option<NaiveDateTime> {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    at.naive_utc().checked_add_offset(offset)
}

/// What holds an instant in the final timeline.
#[derive(Debug, Clone, Copy)]
enum Winner {
    Override(usize),
    Layer(usize, Turn),
}

/// A stretch of the final timeline held by one thing, with its bounds.
struct Piece<'a> {
    user: &'a str,
    source: Source,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Schedule {
    /// Checks the schedule can be used: a name, named layers with distinct
    /// names, valid rotations, and overrides with a user and an end after
    /// their start. The first problem found is returned.
    ///
    /// The math never panics on a schedule that fails this: an override
    /// that ends at or before its start is ignored, and an invalid rotation
    /// puts nobody on call (see [`Rotation::validate`]).
    pub fn validate(&self) -> Result<(), ScheduleError> {
        non_empty(&self.name, "name")?;
        for (i, layer) in self.layers.iter().enumerate() {
            non_empty(&layer.name, format!("layers[{i}].name"))?;
            if self.layers.iter().take(i).any(|l| l.name == layer.name) {
                return Err(ScheduleError::DuplicateLayer {
                    field: format!("layers[{i}].name"),
                    name: layer.name.clone(),
                });
            }
            layer
                .rotation
                .validate()
                .map_err(|e| e.within(&format!("layers[{i}].rotation")))?;
        }
        for (i, o) in self.overrides.iter().enumerate() {
            non_empty(&o.user, format!("overrides[{i}].user"))?;
            if o.end <= o.start {
                return Err(ScheduleError::EmptyOverride {
                    field: format!("overrides[{i}].end"),
                });
            }
        }
        Ok(())
    }

    /// Who is on call at `at`, or `None` if nobody is.
    pub fn on_call_at(&self, at: DateTime<Utc>) -> Option<OnCall> {
        let piece = self.piece_at(at, false)?;
        Some(OnCall {
            user: piece.user.to_owned(),
            source: piece.source,
            shift_start: piece.start,
            shift_end: piece.end,
        })
    }

    /// The final timeline in `[from, to)`: layers and overrides merged, in
    /// order, with no overlaps. Back-to-back stretches of the same user from
    /// the same source are joined into one shift; where nobody is on call
    /// there is a gap. Shifts are clipped to `[from, to)`, and at most
    /// [`MAX_SHIFTS`] are returned (the first ones).
    pub fn shifts_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Shift> {
        let mut out: Vec<Shift> = Vec::new();
        let mut t = from;
        // Every step either ends a shift or crosses an override boundary or
        // a layer's start, so this bounds the walk without cutting answers
        // short; it is here so that no input can make it spin.
        let steps = 4 * MAX_SHIFTS + 2 * self.overrides.len() + self.layers.len();
        for _ in 0..steps {
            if t >= to {
                break;
            }
            let Some(piece) = self.piece_at(t, true) else {
                match self.next_coverage_after(t) {
                    Some(next) => {
                        t = next;
                        continue;
                    }
                    None => break,
                }
            };
            let end = piece.end.min(to);
            if end <= t {
                // A piece always contains `t`; this is only a guard.
                break;
            }
            match out.last_mut() {
                Some(last)
                    if last.end == t && last.user == piece.user && last.source == piece.source =>
                {
                    last.end = end;
                }
                _ => {
                    if out.len() == MAX_SHIFTS {
                        break;
                    }
                    out.push(Shift {
                        user: piece.user.to_owned(),
                        start: t,
                        end,
                        source: piece.source,
                    });
                }
            }
            t = end;
        }
        out
    }

    /// The overrides that count: those with an end after their start.
    fn live_overrides(&self) -> impl Iterator<Item = (usize, &Override)> {
        self.overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.start < o.end)
    }

    fn winner_at(&self, at: DateTime<Utc>) -> Option<Winner> {
        let covering = self
            .live_overrides()
            .filter(|(_, o)| o.start <= at && at < o.end)
            .map(|(i, _)| i)
            .last();
        if let Some(i) = covering {
            return Some(Winner::Override(i));
        }
        self.layers
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, layer)| Some(Winner::Layer(i, layer.rotation.turn_at(at)?)))
    }

    /// The stretch of the final timeline around `at` held by what holds
    /// `at`. With `whole_runs`, a layer's stretch runs on through later
    /// turns of the same participant (so a walk over the timeline takes one
    /// step per change of person, not one per turn).
    fn piece_at(&self, at: DateTime<Utc>, whole_runs: bool) -> Option<Piece<'_>> {
        match self.winner_at(at)? {
            Winner::Override(i) => {
                let o = self.overrides.get(i)?;
                // Overrides created later cut this one: it holds from the
                // last such window that ended by `at` to the next that starts.
                let start = self
                    .live_overrides()
                    .filter(|(j, l)| *j > i && l.end <= at)
                    .map(|(_, l)| l.end)
                    .fold(o.start, DateTime::max);
                let end = self
                    .live_overrides()
                    .filter(|(j, l)| *j > i && l.start > at)
                    .map(|(_, l)| l.start)
                    .fold(o.end, DateTime::min);
                Some(Piece {
                    user: &o.user,
                    source: Source::Override,
                    start,
                    end,
                })
            }
            Winner::Layer(i, turn) => {
                let layer = self.layers.get(i)?;
                let rotation = &layer.rotation;
                let user = rotation.participant(turn.k)?;
                let mut end = turn.end;
                if whole_runs {
                    end = run_end(rotation, turn, user);
                }
                // Any override cuts a layer; a higher layer takes over for
                // good at its first handoff (layers have no restrictions).
                let start = self
                    .live_overrides()
                    .filter(|(_, o)| o.end <= at)
                    .map(|(_, o)| o.end)
                    .fold(turn.start, DateTime::max);
                let cuts = self
                    .live_overrides()
                    .filter(|(_, o)| o.start > at)
                    .map(|(_, o)| o.start)
                    .chain(
                        self.layers
                            .iter()
                            .skip(i + 1)
                            .filter_map(|l| l.rotation.first_handoff()),
                    );
                let end = cuts.fold(end.unwrap_or(DateTime::<Utc>::MAX_UTC), DateTime::min);
                Some(Piece {
                    user,
                    source: Source::Layer(layer.name.clone()),
                    start,
                    end,
                })
            }
        }
    }

    /// The first instant after `at` (where nobody is on call) at which
    /// someone might be: an override starting or a layer's first handoff.
    fn next_coverage_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.live_overrides()
            .map(|(_, o)| o.start)
            .chain(
                self.layers
                    .iter()
                    .filter_map(|l| l.rotation.first_handoff()),
            )
            .filter(|t| *t > at)
            .min()
    }
}

/// Where the run of back-to-back turns of `user` that includes `turn` ends:
/// the handoff to the next turn of someone else, `None` if there is none
/// (every participant is `user`) or it is past the end of time.
fn run_end(rotation: &Rotation, turn: Turn, user: &str) -> Option<DateTime<Utc>> {
    let n = i64::try_from(rotation.participants.len()).ok()?;
    (1..=n)
        .map(|j| turn.k.checked_add(j))
        .take_while(Option::is_some)
        .flatten()
        .find(|k| rotation.participant(*k).is_some_and(|p| p != user))
        .and_then(|k| rotation.handoff_k(k))
}

/// `user`'s shifts in `schedule` between `from` and `to` as an RFC 5545
/// iCalendar document, one event per shift of [`Schedule::shifts_between`].
///
/// Each event's UID is derived from the schedule's name, the user and the
/// shift's start, so fetching the same window again gives the same UIDs and
/// calendar clients update events rather than duplicating them. A shift cut
/// by `from` starts at `from`, so its UID depends on the window: feeds should
/// use a window whose start moves rarely (the start of the day, say).
/// `now` is the DTSTAMP of every event.
pub fn ics_for_user(
    schedule: &Schedule,
    user: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let summary = format!("On call: {}", schedule.name);
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(&mut out, "PRODID:-//Firebreak//On-call//EN");
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, "METHOD:PUBLISH");
    for shift in schedule
        .shifts_between(from, to)
        .into_iter()
        .filter(|s| s.user == user)
    {
        let uid = format!(
            "{}-{:016x}@firebreak",
            ics_time(shift.start),
            uid_hash(&schedule.name, user, shift.start)
        );
        let description = match &shift.source {
            Source::Layer(name) => format!("Layer: {name}"),
            Source::Override => "Override".to_owned(),
        };
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{uid}"));
        push_line(&mut out, &format!("DTSTAMP:{}", ics_time(now)));
        push_line(&mut out, &format!("DTSTART:{}", ics_time(shift.start)));
        push_line(&mut out, &format!("DTEND:{}", ics_time(shift.end)));
        push_line(&mut out, &format!("SUMMARY:{}", ics_text(&summary)));
        push_line(&mut out, &format!("DESCRIPTION:{}", ics_text(&description)));
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// A UTC date-time in the RFC 5545 form `YYYYMMDDTHHMMSSZ`.
fn ics_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value escaped as RFC 5545 §3.3.11 asks; other control characters,
/// which TEXT may not hold, are dropped.
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded so no line exceeds 75 octets (RFC 5545
/// §3.1): a fold is CRLF and a space, never inside a UTF-8 character.
fn push_line(out: &mut String, line: &str) {
    let mut octets = 0;
    for c in line.chars() {
        if octets + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            octets = 1;
        }
        out.push(c);
        octets += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// FNV-1a over the length-prefixed parts, so ("ab", "c") and ("a", "bc")
/// differ. Spelled out here because the UID must not change between
/// releases, which std's hasher does not promise.
fn uid_hash(schedule: &str, user: &str, start: DateTime<Utc>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for part in [schedule.as_bytes(), user.as_bytes()] {
        feed(&(part.len() as u64).to_le_bytes());
        feed(part);
    }
    feed(&start.timestamp().to_le_bytes());
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn wall(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    fn rotation(tz: Tz, handoff: &str, shift: ShiftLength, people: &[&str]) -> Rotation {
        Rotation {
            name: "rotation".into(),
            participants: people.iter().map(|p| p.to_string()).collect(),
            shift,
            handoff: wall(handoff),
            time_zone: tz,
        }
    }

    fn layer(name: &str, rotation: Rotation) -> Layer {
        Layer {
            name: name.into(),
            rotation,
        }
    }

    fn schedule(layers: Vec<Layer>, overrides: Vec<Override>) -> Schedule {
        Schedule {
            name: "Platform".into(),
            time_zone: Tz::Europe__Berlin,
            layers,
            overrides,
        }
    }

    fn over(user: &str, start: &str, end: &str) -> Override {
        Override {
            user: user.into(),
            start: utc(start),
            end: utc(end),
        }
    }

    const NS: TimeDelta = TimeDelta::nanoseconds(1);

    use ShiftLength::{Days, Hours, Weeks};
    use Tz::Europe__Berlin as BERLIN;
    use Tz::{America__New_York as NEW_YORK, Australia__Lord_Howe as LORD_HOWE};

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

    #[test]
    fn ics_export() {
        let s = Schedule {
            name: "Storage, networking; and the long-named platform on-call rotation (EMEA)".into(),
            ..schedule(
                vec![layer(
                    "primary",
                    rotation(BERLIN, "2024-03-29T09:00:00", Days(1), &["ann", "bob"]),
                )],
                vec![over("ann", "2024-03-30T12:00:00Z", "2024-03-30T13:00:00Z")],
            )
        };
        let now = utc("2024-03-28T16:20:05Z");
        let ics = ics_for_user(
            &s,
            "ann",
            utc("2024-03-29T00:00:00Z"),
            utc("2024-04-01T00:00:00Z"),
            now,
        );
        assert!(ics.ends_with("\r\n"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is over 75 octets");
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        expect_test::expect![[r#"
            BEGIN:VCALENDAR
            VERSION:2.0
            PRODID:-//Firebreak//On-call//EN
            CALSCALE:GREGORIAN
            METHOD:PUBLISH
            BEGIN:VEVENT
            UID:20240329T080000Z-51ecc7ad2c0cb2cc@firebreak
            DTSTAMP:20240328T162005Z
            DTSTART:20240329T080000Z
            DTEND:20240330T080000Z
            SUMMARY:On call: Storage\, networking\; and the long-named platform on-call
              rotation (EMEA)
            DESCRIPTION:Layer: primary
            END:VEVENT
            BEGIN:VEVENT
            UID:20240330T120000Z-5c5ad664e70831bc@firebreak
            DTSTAMP:20240328T162005Z
            DTSTART:20240330T120000Z
            DTEND:20240330T130000Z
            SUMMARY:On call: Storage\, networking\; and the long-named platform on-call
              rotation (EMEA)
            DESCRIPTION:Override
            END:VEVENT
            BEGIN:VEVENT
            UID:20240331T070000Z-168616f1de618143@firebreak
            DTSTAMP:20240328T162005Z
            DTSTART:20240331T070000Z
            DTEND:20240401T000000Z
            SUMMARY:On call: Storage\, networking\; and the long-named platform on-call
              rotation (EMEA)
            DESCRIPTION:Layer: primary
            END:VEVENT
            END:VCALENDAR
        "#]]
        .assert_eq(&ics.replace("\r\n", "\n"));
        let again = ics_for_user(
            &s,
            "ann",
            utc("2024-03-29T00:00:00Z"),
            utc("2024-04-01T00:00:00Z"),
            utc("2024-03-29T00:00:00Z"),
        );
        let uids = |ics: &str| -> Vec<String> {
            ics.lines()
                .filter(|l| l.starts_with("UID:"))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(uids(&ics), uids(&again), "UIDs do not depend on `now`");
    }

    #[test]
    fn ics_text_is_escaped_and_folded_on_character_boundaries() {
        assert_eq!(ics_text("a,b;c\\d\ne\u{7}"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        push_line(&mut out, &format!("SUMMARY:{}", "é".repeat(40)));
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines.len(), 3, "two lines and the final CRLF");
        assert_eq!(lines[0].len(), 74, "74 octets: a 2-octet é would make 76");
        assert_eq!(lines[1].len(), 1 + 2 * 7, "a space and the remaining 7 é");
        assert_eq!(lines[2], "");
        assert_ne!(
            uid_hash("ab", "c", utc("2024-01-01T00:00:00Z")),
            uid_hash("a", "bc", utc("2024-01-01T00:00:00Z"))
        );
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
}
