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
//!
//! # Rooms
//!
//! This file holds the schedule's types and their validation; `rotation`
//! holds one rotation's turn math and the placing of wall-clock times on the
//! timeline, `schedule` stacks layers and overrides into one timeline, and
//! `calendar` writes a person's shifts as iCalendar. Each keeps its tests
//! beside it; `test_support` has the builders they share.

mod calendar;
mod rotation;
mod schedule;
#[cfg(test)]
mod test_support;

pub use calendar::ics_for_user;

use chrono::{DateTime, NaiveDateTime, Utc};
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
