//! Rotations: whose turn it is, and when each turn hands off in wall-clock
//! time across daylight-saving changes.

use chrono::{DateTime, MappedLocalTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::oncall::*;

/// One turn as the math sees it: its number and where it starts and ends.
/// `end` is `None` when the next handoff lies past the end of time that
/// chrono can represent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Turn {
    pub(super) k: i64,
    pub(super) start: DateTime<Utc>,
    pub(super) end: Option<DateTime<Utc>>,
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

    pub(super) fn handoff_k(&self, k: i64) -> Option<DateTime<Utc>> {
        if self.participants.is_empty() || k < 0 {
            return None;
        }
        let seconds = self.shift.step_seconds()?.checked_mul(k)?;
        let wall = self
            .handoff
            .checked_add_signed(TimeDelta::try_seconds(seconds)?)?;
        place(self.time_zone, wall)
    }

    pub(super) fn participant(&self, k: i64) -> Option<&String> {
        let n = i64::try_from(self.participants.len()).ok()?;
        let i = usize::try_from(k.checked_rem_euclid(n)?).ok()?;
        self.participants.get(i)
    }

    /// The turn in progress at `at`: the last handoff at or before it.
    pub(super) fn turn_at(&self, at: DateTime<Utc>) -> Option<Turn> {
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

#[cfg(test)]
mod tests;
