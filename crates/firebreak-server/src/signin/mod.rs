//! Sign-in protection: a throttle per client address and per account with
//! exponential backoff, and password hashing on a bounded blocking pool.
//!
//! The throttle lives in memory, per server instance: several instances
//! behind a load balancer each count on their own (an attacker gets at most
//! the instance count times the allowance), and a restart forgets. That is
//! the documented trade-off for needing no shared store. Behind a reverse
//! proxy every client has the proxy's address, so the per-address limit is
//! generous and the per-account limit is the one that bites.
//!
//! The sign-in and sign-out pages are in [`web`].

pub mod web;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::Semaphore;

use firebreak_store::secrets;

/// Failures an account may have before each further one locks it for a
/// while.
pub const ACCOUNT_FREE_FAILURES: u32 = 5;
/// Failures one client address may have (across accounts) before backoff.
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// The first lock; each further failure doubles it.
pub const FIRST_LOCK: Duration = Duration::seconds(30);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::minutes(15);
/// A key with no failure for this long is forgotten.
const FORGET_AFTER: Duration = Duration::hours(1);
/// Keys kept at most; when full, the stalest are dropped first.
const MAX_KEYS: usize = 50_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    Account(String),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// Counts failed sign-ins and says when an address or account must wait.
#[derive(Debug, Default)]
pub struct Throttle {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl Throttle {
    /// `Err(wait)` while the address or the account is locked.
    pub fn check(
        &self,
        addr: Option<IpAddr>,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StdDuration> {
        let entries = self.lock();
        let wait = keys(addr, account)
            .iter()
            .filter_map(|k| entries.get(k))
            .filter_map(|e| e.locked_until)
            .filter(|until| *until > now)
            .max();
        match wait {
            Some(until) => Err((until - now)
                .to_std()
                .unwrap_or(StdDuration::from_secs(1))
                .max(StdDuration::from_secs(1))),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt against the address and the account.
    pub fn failed(&self, addr: Option<IpAddr>, account: &str, now: DateTime<Utc>) {
        let mut entries = self.lock();
        if entries.len() >= MAX_KEYS {
            prune(&mut entries, now);
        }
        for key in keys(addr, account) {
            let free = match key {
                Key::Address(_) => ADDRESS_FREE_FAILURES,
                Key::Account(_) => ACCOUNT_FREE_FAILURES,
            };
            let entry = entries.entry(key).or_insert(Entry {
                failures: 0,
                last_failure: now,
                locked_until: None,
            });
            if now - entry.last_failure > FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            if entry.failures >= free {
                entry.locked_until = Some(now + lock_for(entry.failures - free));
            }
        }
    }

    /// A successful sign-in clears the account's count (not the address's:
    /// one good password must not reset a spray over many accounts).
    pub fn succeeded(&self, account: &str) {
        self.lock()
            .remove(&Key::Account(account.to_ascii_lowercase()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn keys(addr: Option<IpAddr>, account: &str) -> Vec<Key> {
    let mut keys = vec![Key::Account(account.to_ascii_lowercase())];
    if let Some(addr) = addr {
        keys.push(Key::Address(addr));
    }
    keys
}

/// The lock after `extra` failures beyond the free ones: 30 s, 1 min,
/// 2 min, … up to 15 min.
fn lock_for(extra: u32) -> Duration {
    let secs = FIRST_LOCK
        .num_seconds()
        .saturating_mul(1_i64 << extra.min(20));
    Duration::seconds(secs).min(MAX_LOCK)
}

fn prune(entries: &mut HashMap<Key, Entry>, now: DateTime<Utc>) {
    entries.retain(|_, e| {
        now - e.last_failure <= FORGET_AFTER || e.locked_until.is_some_and(|u| u > now)
    });
    if entries.len() >= MAX_KEYS {
        let mut ages: Vec<(DateTime<Utc>, Key)> = entries
            .iter()
            .map(|(k, e)| (e.last_failure, k.clone()))
            .collect();
        ages.sort_by_key(|(t, _)| *t);
        for (_, k) in ages.into_iter().take(MAX_KEYS / 10) {
            entries.remove(&k);
        }
    }
}

/// Password hashes computed at once (argon2id takes a core and ~19 MiB
/// each); more wait for a slot, on the blocking pool, never on a request
/// thread.
const HASH_SLOTS: usize = 2;

/// How long a sign-in waits for a hashing slot before it is told to retry.
pub const HASH_WAIT: StdDuration = StdDuration::from_secs(10);

static HASHING: Semaphore = Semaphore::const_new(HASH_SLOTS);

/// The hashing pool is saturated: try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again in a few seconds")]
pub struct Busy;

async fn on_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let permit = tokio::time::timeout(HASH_WAIT, HASHING.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let result = tokio::task::spawn_blocking(work).await.map_err(|_| Busy);
    drop(permit);
    result
}

/// A hash never matched, checked when the user does not exist so that the
/// answer takes as long as a real check (user names cannot be probed).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$zPhKL4IZ0YB3H/k+0ZB5Yb0cXcx7lGZ1k4o9Y1ZWQ0c";

/// Checks `password` against `hash` (or against a dummy hash when `None`,
/// returning false) on the bounded pool.
pub async fn verify_password(password: &str, hash: Option<&str>) -> Result<bool, Busy> {
    let password = password.to_owned();
    let (hash, real) = match hash {
        Some(h) => (h.to_owned(), true),
        None => (DUMMY_HASH.to_owned(), false),
    };
    on_pool(move || secrets::verify_password(&password, &hash) && real).await
}

/// Hashes a new password (argon2id) on the bounded pool.
pub async fn hash_password(password: &str) -> Result<String, PasswordError> {
    let password = password.to_owned();
    on_pool(move || secrets::hash_password(&password))
        .await
        .map_err(|_| PasswordError::Busy)?
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Why a password could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the server is busy hashing passwords; try again in a few seconds")]
    Busy,
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

/// The client's address as the TCP connection shows it (a reverse proxy's
/// address when behind one; forwarded headers are not trusted). `None` when
/// the router runs without connection info.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests;
