//! Any bytes: `parse` answers Ok or an error naming a field, and whatever
//! parses normalizes, with one alert per alert and a 16-digit key each.
#![no_main]

use firebreak_intake::alertmanager;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match alertmanager::parse(data) {
        Ok(webhook) => {
            let alerts = alertmanager::to_alerts(&webhook);
            assert_eq!(alerts.len(), webhook.alerts.len());
            for alert in &alerts {
                assert_eq!(alert.dedup_key.len(), 16);
                assert!(!alert.labels.is_empty());
            }
        }
        Err(err) => {
            if let Some(path) = err.path() {
                assert!(!path.is_empty());
            }
        }
    }
});
