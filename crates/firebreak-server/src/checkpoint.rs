//! Signed checkpoints of the audit log, the anchor that makes truncation
//! visible.
//!
//! The hash chain proves that no entry was changed or removed *behind* the
//! head; someone who can write the database can still delete the newest
//! entries and set `audit_head` back to match. A checkpoint is the head
//! (`seq`, `hash`) at one moment, with an HMAC-SHA256 under a key that lives
//! outside the database (the audit key file). Kept somewhere else, it says
//! how long the log was and what its entry `seq` hashed to; `firebreak audit
//! verify --checkpoint` fails when the log is shorter or differs. The MAC
//! means a checkpoint cannot be made up to fit a truncated log without the
//! key file.
//!
//! Text form: `fbcp1.<seq>.<hash>.<mac>`, all ASCII, one word.

use std::io::Write;
use std::path::Path;

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The prefix and version of the text form.
pub const PREFIX: &str = "fbcp1";

/// The audit key file's name in the data directory.
pub const KEY_FILE: &str = "audit.key";

/// Why a key file or a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("the audit key file {path} cannot be read: {source}")]
    ReadKey {
        path: String,
        source: std::io::Error,
    },
    #[error("the audit key file {path} cannot be created: {source}")]
    WriteKey {
        path: String,
        source: std::io::Error,
    },
    #[error("the audit key file {0} does not hold a key (64 hex digits)")]
    BadKey(String),
    #[error("the audit key file {0} does not exist: checkpoints are signed with it")]
    NoKey(String),
    #[error("this is not a checkpoint: expected `{PREFIX}.<seq>.<hash>.<signature>`")]
    Malformed,
    #[error(
        "the checkpoint's signature does not hold: it was altered, or made with another audit key file"
    )]
    BadSignature,
}

/// An audit key: 32 random bytes.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey([redacted])")
    }
}

impl AuditKey {
    pub fn random() -> AuditKey {
        AuditKey(rand::random())
    }

    fn parse(text: &str) -> Option<AuditKey> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(AuditKey(bytes.try_into().ok()?))
    }

    fn mac(&self, payload: &str) -> String {
        match <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) {
            Ok(mut m) => {
                m.update(b"firebreak audit checkpoint\n");
                m.update(payload.as_bytes());
                hex::encode(m.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }
}

/// Reads the key file at `path`.
pub fn load_key(path: &Path) -> Result<AuditKey, CheckpointError> {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CheckpointError::NoKey(shown));
        }
        Err(source) => {
            return Err(CheckpointError::ReadKey {
                path: shown,
                source,
            });
        }
    };
    AuditKey::parse(&text).ok_or(CheckpointError::BadKey(shown))
}

/// Reads the key file at `path`, creating it (readable by its owner only,
/// 0600) with a new random key when it does not exist. Returns the key and
/// whether it was created.
pub fn ensure_key(path: &Path) -> Result<(AuditKey, bool), CheckpointError> {
    match load_key(path) {
        Ok(k) => return Ok((k, false)),
        Err(CheckpointError::NoKey(_)) => {}
        Err(e) => return Err(e),
    }
    let key = AuditKey::random();
    let shown = path.display().to_string();
    let write_err = |source| CheckpointError::WriteKey {
        path: shown.clone(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    let mut options = std::fs::OpenOptions::new();
    // `create_new`: two servers starting at once do not overwrite each
    // other's key; the loser reads the winner's.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(format!("{}\n", hex::encode(key.0)).as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(write_err)?;
            Ok((key, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            load_key(path).map(|k| (k, false))
        }
        Err(e) => Err(write_err(e)),
    }
}

/// The checkpoint text of head (`seq`, `hash`).
pub fn sign(key: &AuditKey, seq: i64, hash: &str) -> String {
    let payload = format!("{PREFIX}.{seq}.{hash}");
    format!("{payload}.{}", key.mac(&payload))
}

/// The head a checkpoint records, if its signature holds under `key`.
pub fn verify(key: &AuditKey, text: &str) -> Result<(i64, String), CheckpointError> {
    let text = text.trim();
    let mut parts = text.split('.');
    let (Some(prefix), Some(seq), Some(hash), Some(sig), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(CheckpointError::Malformed);
    };
    let seq: i64 = seq.parse().map_err(|_| CheckpointError::Malformed)?;
    if prefix != PREFIX
        || seq < 0
        || hash.len() != 64
        || !hash.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(CheckpointError::Malformed);
    }
    let expected = key.mac(&format!("{PREFIX}.{seq}.{hash}"));
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(sig.as_bytes())) {
        return Err(CheckpointError::BadSignature);
    }
    Ok((seq, hash.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn checkpoints_verify_only_under_their_key_and_unaltered() {
        let key = AuditKey::random();
        let hash = "ab".repeat(32);
        let cp = sign(&key, 42, &hash);
        assert_eq!(verify(&key, &cp).unwrap(), (42, hash.clone()));
        assert_eq!(verify(&key, &format!(" {cp}\n")).unwrap().0, 42);
        let other = AuditKey::random();
        assert!(matches!(
            verify(&other, &cp),
            Err(CheckpointError::BadSignature)
        ));
        let shorter = cp.replacen(".42.", ".41.", 1);
        assert!(matches!(
            verify(&key, &shorter),
            Err(CheckpointError::BadSignature)
        ));
        assert!(matches!(
            verify(&key, "garbage"),
            Err(CheckpointError::Malformed)
        ));
    }

    #[test]
    fn the_key_file_is_created_once_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(KEY_FILE);
        assert!(matches!(load_key(&path), Err(CheckpointError::NoKey(_))));
        let (k1, created) = ensure_key(&path).unwrap();
        assert!(created);
        let (k2, created) = ensure_key(&path).unwrap();
        assert!(!created);
        assert_eq!(k1.0, k2.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
