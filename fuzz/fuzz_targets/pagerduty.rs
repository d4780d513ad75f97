//! Any bytes, as both an alert event and a change event: Ok, or a non-empty
//! list of errors; accepted triggers always carry a payload.
#![no_main]

use firebreak_intake::pagerduty::{self, EventAction};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match pagerduty::parse_event(data) {
        Ok(event) => {
            assert_eq!(
                event.payload.is_some(),
                event.event_action == EventAction::Trigger
            );
            let alert = pagerduty::to_alert(&event, "generated");
            assert!(!alert.dedup_key.is_empty());
        }
        Err(errors) => assert!(!errors.is_empty()),
    }
    if let Err(errors) = pagerduty::parse_change_event(data) {
        assert!(!errors.is_empty());
    }
});
