//! Any bytes as a raw message: parsing never panics, attachment hashes are
//! hex SHA-256, and the subject classifier takes any subject.
#![no_main]

use firebreak_intake::email;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = email::parse_email(data) {
        for attachment in &message.attachments {
            assert_eq!(attachment.sha256.len(), 64);
        }
        if let Some(subject) = &message.subject {
            let _ = email::is_responsible_disclosure(subject);
        }
    }
    let _ = email::is_responsible_disclosure(&String::from_utf8_lossy(data));
});
