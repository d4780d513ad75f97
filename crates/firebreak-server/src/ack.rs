//! Signed acknowledgment links: `/ack/<ack key>.<user id>.<expiry>.<signature>`.
//!
//! The signature is HMAC-SHA256 under a server-wide secret kept in the
//! database (so every instance sharing the database accepts the same
//! links), over the chain's random ack key and the expiry. A link works
//! until it expires, and acknowledges once: a chain already acknowledged
//! stays as it is.

use chrono::{DateTime, Duration, Utc};
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use firebreak_store::{Store, StoreError, secrets};

/// How long a link in a page works.
pub const LINK_LIFETIME_HOURS: i64 = 24;

const SECRET_KEY: &str = "ack_link_secret";

pub async fn secret(store: &Store) -> Result<String, StoreError> {
    store
        .setting_or_init(SECRET_KEY, secrets::random_secret)
        .await
}

fn mac(secret: &str, payload: &str) -> String {
    match <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(payload.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// A link token for `ack_key`, sent to user `user_id` (0: unknown), valid
/// until `now + LINK_LIFETIME_HOURS`.
pub fn token(secret: &str, ack_key: &str, user_id: i64, now: DateTime<Utc>) -> String {
    let expires = (now + Duration::hours(LINK_LIFETIME_HOURS)).timestamp();
    let payload = format!("{ack_key}.{user_id}.{expires}");
    format!("{payload}.{}", mac(secret, &payload))
}

/// Why a link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this acknowledgment link is not valid")]
    Invalid,
    #[error("this acknowledgment link has expired")]
    Expired,
}

/// The ack key and user id a token carries, if its signature holds and it
/// has not expired.
pub fn verify(secret: &str, token: &str, now: DateTime<Utc>) -> Result<(String, i64), LinkError> {
    let mut parts = token.rsplitn(4, '.');
    let (Some(sig), Some(expires), Some(user), Some(key)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Invalid);
    };
    let expected = mac(secret, &format!("{key}.{user}.{expires}"));
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(sig.as_bytes())) {
        return Err(LinkError::Invalid);
    }
    let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
    if now.timestamp() > expires {
        return Err(LinkError::Expired);
    }
    let user: i64 = user.parse().map_err(|_| LinkError::Invalid)?;
    Ok((key.to_owned(), user))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn links_verify_expire_and_refuse_tampering() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let t = token("s3cret", "chainkey", 7, now);
        assert_eq!(verify("s3cret", &t, now), Ok(("chainkey".to_owned(), 7)));
        let other_user = t.replacen(".7.", ".8.", 1);
        assert_eq!(verify("s3cret", &other_user, now), Err(LinkError::Invalid));
        assert_eq!(verify("other", &t, now), Err(LinkError::Invalid));
        assert_eq!(
            verify("s3cret", &t, now + Duration::hours(25)),
            Err(LinkError::Expired)
        );
        let tampered = t.replacen("chainkey", "chainkez", 1);
        assert_eq!(verify("s3cret", &tampered, now), Err(LinkError::Invalid));
        assert_eq!(verify("s3cret", "garbage", now), Err(LinkError::Invalid));
    }
}
