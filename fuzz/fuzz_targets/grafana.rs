//! Any bytes: lenient parsing never panics, a parsed notification has at
//! least one alert, and signature checking takes any header values.
#![no_main]

use firebreak_intake::grafana;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(webhook) = grafana::parse(data) {
        assert!(!webhook.alerts.is_empty());
        let alerts = grafana::to_alerts(&webhook);
        assert_eq!(alerts.len(), webhook.alerts.len());
    }
    // The first bytes stand in for the header values; a random signature
    // must not verify.
    let split = data.len().min(16);
    let header = String::from_utf8_lossy(&data[..split]);
    assert!(!grafana::verify_signature(
        b"secret",
        Some(&header),
        &data[split..],
        &header
    ));
});
