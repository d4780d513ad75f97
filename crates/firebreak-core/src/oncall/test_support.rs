//! Builders shared by the on-call tests.

pub(crate) use crate::oncall::*;
pub(crate) use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
pub(crate) use chrono_tz::Tz;

pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) fn wall(s: &str) -> NaiveDateTime {
    s.parse().unwrap()
}

pub(crate) fn rotation(tz: Tz, handoff: &str, shift: ShiftLength, people: &[&str]) -> Rotation {
    Rotation {
        name: "rotation".into(),
        participants: people.iter().map(|p| p.to_string()).collect(),
        shift,
        handoff: wall(handoff),
        time_zone: tz,
    }
}

pub(crate) fn layer(name: &str, rotation: Rotation) -> Layer {
    Layer {
        name: name.into(),
        rotation,
    }
}

pub(crate) fn schedule(layers: Vec<Layer>, overrides: Vec<Override>) -> Schedule {
    Schedule {
        name: "Platform".into(),
        time_zone: Tz::Europe__Berlin,
        layers,
        overrides,
    }
}

pub(crate) fn over(user: &str, start: &str, end: &str) -> Override {
    Override {
        user: user.into(),
        start: utc(start),
        end: utc(end),
    }
}

pub(crate) const NS: TimeDelta = TimeDelta::nanoseconds(1);

pub(crate) use ShiftLength::{Days, Hours, Weeks};
pub(crate) use Tz::Europe__Berlin as BERLIN;
pub(crate) use Tz::{America__New_York as NEW_YORK, Australia__Lord_Howe as LORD_HOWE};
