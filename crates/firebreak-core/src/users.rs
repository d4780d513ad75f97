//! What makes a user's name and e-mail address acceptable, for every way a
//! user is made (API, web page, local `user add`). The password rule is
//! [`crate::password::check_password`].

/// The rule for user (and service) names, as the messages that refuse a
/// name state it.
pub const NAME_RULE: &str = "1–64 of letters, digits and . _ - @";

/// Whether `name` is fit to be a user name: what the CLI and URLs can
/// carry ([`NAME_RULE`]).
pub fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        // `.` and `..` would be path segments in every URL that names them.
        && !name.chars().all(|c| c == '.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// An e-mail address that is not one; it holds the address, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an email address")]
pub struct NotAnEmail(pub String);

/// A user's optional e-mail address, trimmed: blank is none. An address
/// needs an `@`, no whitespace and at most 254 bytes.
pub fn email(raw: Option<&str>) -> Result<Option<&str>, NotAnEmail> {
    match raw.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if !e.contains('@') || e.len() > 254 || e.chars().any(char::is_whitespace) => {
            Err(NotAnEmail(e.to_owned()))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn user_names_are_short_and_plain() {
        for good in ["alice", "a.b_c-d@e", "A1", &"x".repeat(64)] {
            assert!(valid_user_name(good), "{good}");
        }
        for bad in ["", "a b", "ä", "a/b", ".", "..", "...", &"x".repeat(65)] {
            assert!(!valid_user_name(bad), "{bad}");
        }
    }

    #[test]
    fn emails_are_trimmed_and_checked() {
        assert_eq!(email(None), Ok(None));
        assert_eq!(email(Some("  ")), Ok(None));
        assert_eq!(email(Some(" a@b ")), Ok(Some("a@b")));
        let err = email(Some(" ab ")).unwrap_err();
        assert_eq!(err.to_string(), "`ab` is not an email address");
        assert!(email(Some("a @b")).is_err());
        assert!(email(Some(&format!("a@{}", "b".repeat(253)))).is_err());
    }
}
