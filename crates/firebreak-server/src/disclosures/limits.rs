//! The public disclosure pages' limits: posts per client address in fixed
//! one-hour windows (the form's two budgets and status-link replies), and
//! the safe name of a downloaded file.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use firebreak_core::disclosure::DisclosurePolicy;

/// Replies one address may post per hour through status links.
pub const REPLIES_PER_HOUR: u32 = 30;
/// The rate limit's window.
pub const WINDOW: Duration = Duration::hours(1);
const MAX_KEYS: usize = 50_000;
type Windows = HashMap<(IpAddr, &'static str), (DateTime<Utc>, u32)>;

/// Posts per client address and purpose in fixed one-hour windows, in
/// memory (per server). The lock is held only to count, never across an
/// await.
#[derive(Debug, Default)]
pub struct Limiter {
    entries: Mutex<Windows>,
}

impl Limiter {
    /// Counts a post; `Err(seconds to wait)` past `limit` in the window.
    pub fn hit(
        &self,
        addr: Option<IpAddr>,
        purpose: &'static str,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<(), i64> {
        let Some(addr) = addr else { return Ok(()) };
        let mut map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_KEYS {
            map.retain(|_, (start, _)| now - *start < WINDOW);
        }
        let e = map.entry((addr, purpose)).or_insert((now, 0));
        if now - e.0 >= WINDOW {
            *e = (now, 0);
        }
        if e.1 >= limit {
            return Err((e.0 + WINDOW - now).num_seconds().max(1));
        }
        e.1 += 1;
        Ok(())
    }

    /// `Err(seconds to wait)` when `purpose` is at `limit` in the window,
    /// without counting anything.
    pub fn check(
        &self,
        addr: Option<IpAddr>,
        purpose: &'static str,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<(), i64> {
        let Some(addr) = addr else { return Ok(()) };
        let map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(&(addr, purpose)) {
            Some((start, n)) if now - *start < WINDOW && *n >= limit => {
                Err((*start + WINDOW - now).num_seconds().max(1))
            }
            _ => Ok(()),
        }
    }
}

/// Posts of the form one address may make per hour, refused ones included
/// (a researcher correcting a typo is not locked out after a few tries,
/// but nobody may post without end): this many times the policy's
/// accepted reports, at least 30.
pub fn posts_per_hour(policy: &DisclosurePolicy) -> u32 {
    policy.form_per_hour.saturating_mul(6).max(30)
}

/// A download's name: the uploaded name without any path, limited to
/// letters, digits, `.`, `-` and `_` (others become `_`), at most 100
/// characters; `file-<id>` when nothing is left.
pub fn safe_filename(name: Option<&str>, id: i64) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.chars().all(|c| c == '_' || c == '.') {
        format!("file-{id}")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn download_names_lose_paths_and_odd_characters() {
        use super::safe_filename;
        assert_eq!(safe_filename(Some("poc.txt"), 1), "poc.txt");
        assert_eq!(safe_filename(Some("../../etc/passwd"), 2), "passwd");
        assert_eq!(safe_filename(Some("C:\\temp\\a b\".html"), 3), "a_b_.html");
        assert_eq!(safe_filename(Some(".."), 4), "file-4");
        assert_eq!(safe_filename(None, 5), "file-5");
        assert_eq!(safe_filename(Some(".hidden"), 6), "hidden");
    }

    use super::*;

    #[test]
    fn limiter_counts_per_address_and_window() {
        let l = Limiter::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
        for _ in 0..3 {
            assert!(l.hit(Some(a), "report", 3, t).is_ok());
        }
        assert!(l.hit(Some(a), "report", 3, t).is_err());
        assert!(l.hit(Some(b), "report", 3, t).is_ok());
        assert!(l.hit(Some(a), "reply", 3, t).is_ok());
        assert!(l.hit(Some(a), "report", 3, t + WINDOW).is_ok());
    }
}
