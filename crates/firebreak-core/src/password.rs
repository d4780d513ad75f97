//! The one password rule, for every way a password is set (API, web page,
//! CLI, local admin commands): at least 12 characters, at most 1,024
//! bytes, not one character repeated, not a simple run (`abcdefghijkl`,
//! `123456789012`) and not one of the common passwords below.

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Common passwords long enough to pass the length rule, from public lists
/// of leaked passwords; compared without regard to case.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "123123123123",
    "123412341234",
    "121212121212",
    "987654321987",
    "098765432109",
    "147258369147",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwertyuiop1234",
    "qwertyuiopasdf",
    "qwerty123456",
    "qwertyqwerty",
    "qwerty12345678",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u8i",
    "qazwsxedcrfv",
    "zaq12wsxcde3",
    "zaq1zaq1zaq1",
    "1234qwerasdf",
    "asdfghjkl123",
    "asdfasdfasdf",
    "zxcvbnm12345",
    "abc123abc123",
    "abcd1234abcd",
    "passwordpassword",
    "password1234",
    "password12345",
    "password123456",
    "password123!",
    "password1234!",
    "passw0rd1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "mypassword123",
    "mypassword1234",
    "newpassword123",
    "changeme1234",
    "changeme123456",
    "changemenow!",
    "welcome12345",
    "welcome123456",
    "welcome@1234",
    "letmein12345",
    "letmeinletmein",
    "iloveyou1234",
    "iloveyou12345",
    "trustno1trustno1",
    "administrator",
    "administrator1",
    "administrator123",
    "admin1234567",
    "admin12345678",
    "adminadminadmin",
    "masterkey123",
    "secret123456",
    "football1234",
    "baseball1234",
    "superman1234",
    "batman123456",
    "princess1234",
    "sunshine1234",
    "monkey123456",
    "dragon123456",
    "starwars1234",
    "whatever1234",
    "michael12345",
    "jennifer1234",
    "computer1234",
    "internet1234",
    "samsung12345",
    "liverpool123",
    "chelsea12345",
    "correcthorsebatterystaple",
    "firebreak123",
    "firebreak1234",
    "incident1234",
];

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password has at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("a password of one character repeated is too easy to guess")]
    OneCharacter,
    #[error("a run of consecutive characters is too easy to guess")]
    Run,
    #[error("this is a common password: choose another")]
    Common,
}

/// Checks a new password against the rule.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(PasswordError::OneCharacter);
    }
    if is_run(password) {
        return Err(PasswordError::Run);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// Each character one after (or one before) the previous: `abcdefghijkl`,
/// `123456789012` (`9` is followed by `0` on a keyboard), `zyxwvutsrqpo`.
fn is_run(password: &str) -> bool {
    let next = |a: char, b: char, step: i32| {
        let (a, b) = (u32::from(a), u32::from(b));
        let digit_wrap = |x: u32, y: u32| x == u32::from('9') && y == u32::from('0');
        match step {
            1 => b == a + 1 || digit_wrap(a, b),
            _ => a == b + 1 || digit_wrap(b, a),
        }
    };
    let chars: Vec<char> = password.to_lowercase().chars().collect();
    [1, -1].into_iter().any(|step| {
        chars
            .windows(2)
            .all(|w| matches!(w, [a, b] if next(*a, *b, step)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        assert_eq!(check_password("short"), Err(PasswordError::TooShort));
        assert_eq!(
            check_password(&"x".repeat(1025)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_password("aaaaaaaaaaaa"),
            Err(PasswordError::OneCharacter)
        );
        assert_eq!(
            check_password("€€€€€€€€€€€€"),
            Err(PasswordError::OneCharacter)
        );
        assert_eq!(check_password("123456789012"), Err(PasswordError::Run));
        assert_eq!(check_password("abcdefghijklmn"), Err(PasswordError::Run));
        assert_eq!(check_password("ZYXWVUTSRQPO"), Err(PasswordError::Run));
        assert_eq!(check_password("Password1234"), Err(PasswordError::Common));
        assert_eq!(check_password("QWERTY123456"), Err(PasswordError::Common));
    }

    #[test]
    fn reasonable_passwords_pass() {
        for p in [
            "a long enough password",
            "correct horse battery staple",
            "Tr0ub4dor&3-extended",
            "aaaaaaaaaaab",
        ] {
            assert_eq!(check_password(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn every_listed_password_is_long_enough_to_matter_and_lower_case() {
        for p in COMMON {
            assert!(p.chars().count() >= MIN_PASSWORD_CHARS, "{p}");
            assert_eq!(p.to_lowercase(), *p);
        }
    }
}
