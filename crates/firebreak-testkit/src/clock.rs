//! A clock that tests move by hand, for timers (escalation timeouts,
//! schedule hand-overs, link expiry) without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use firebreak_server::Clock;

/// A [`Clock`] that says what it was last set to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Arc<ManualClock> {
        Arc::new(ManualClock(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
