//! Any text as a matcher: parsing never panics, and a parsed matcher's
//! canonical form parses back to the same matcher.
#![no_main]

use firebreak_intake::rules::{self, Matcher};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(matcher) = text.parse::<Matcher>() {
        let again: Matcher = matcher
            .to_string()
            .parse()
            .unwrap_or_else(|err| panic!("{matcher} did not parse back: {err}"));
        assert_eq!(again, matcher);
    }
    let _ = rules::parse_matchers(text);
});
