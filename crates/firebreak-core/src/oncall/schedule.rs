//! Schedules: layers of rotations stacked over each other, overrides on
//! top, and the one timeline they make together.

use chrono::{DateTime, Utc};

use crate::oncall::rotation::*;
use crate::oncall::*;

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

#[cfg(test)]
mod tests;
