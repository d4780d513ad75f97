//! A mapping (first line, JSON) and a payload (the rest, JSON): validation,
//! `apply` and `explain` never panic, and `explain` agrees with `apply`.
#![no_main]

use firebreak_intake::generic::{self, Mapping};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (mapping, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    let Ok(mapping) = serde_json::from_slice::<Mapping>(mapping) else {
        return;
    };
    let _ = mapping.validate();
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return;
    };
    let applied = generic::apply(&mapping, &payload);
    let explained = generic::explain(&mapping, &payload);
    assert_eq!(applied.is_ok(), explained.alert.is_some());
    assert_eq!(explained.fields.len(), 6);
    if let Ok(alert) = applied {
        assert!(!alert.title.trim().is_empty());
        assert!(!alert.dedup_key.trim().is_empty());
    }
});
