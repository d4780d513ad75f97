//! The tamper-evident audit log: every change appends an entry whose SHA-256
//! covers its own fields and the previous entry's hash.
//!
//! Appends happen inside the transaction of the change they record, and lock
//! the one `audit_head` row first, so on PostgreSQL concurrent changes append
//! one after another instead of forking the chain. Verification recomputes
//! every hash, checks that sequence numbers have no gaps, and compares the
//! last entry with the head, so an edited, deleted or truncated entry is found
//! and named.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

use firebreak_api::{AuditEntry, AuditVerification};

use crate::{Actor, Backend, Result, Store, Tx, ms};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of one entry: SHA-256 over a JSON array of its fields and the
/// previous hash. JSON gives an unambiguous encoding of the strings.
pub fn entry_hash(
    seq: i64,
    at_ms: i64,
    actor: &str,
    action: &str,
    target: &str,
    details: &str,
    prev_hash: &str,
) -> String {
    let canonical = serde_json::json!([seq, at_ms, actor, action, target, details, prev_hash]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

impl Store {
    /// Appends an entry in `tx`. Called by every write of the store.
    pub(crate) async fn audit(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: &str,
        target: &str,
        details: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let head_sql = format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{}",
            self.for_update()
        );
        let head = sqlx::query(sqlx::AssertSqlSafe(head_sql))
            .fetch_one(&mut **tx)
            .await?;
        let prev_seq: i64 = head.try_get("seq")?;
        let prev_hash: String = head.try_get("hash")?;
        let seq = prev_seq + 1;
        let at = ms(now);
        let details = details.to_string();
        let hash = entry_hash(seq, at, &actor.name, action, target, &details, &prev_hash);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(at)
        .bind(&actor.name)
        .bind(action)
        .bind(target)
        .bind(&details)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The end of most writes: appends their audit entry in `tx` and
    /// commits.
    pub(crate) async fn commit_audited(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: &str,
        target: &str,
        details: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.audit(&mut tx, actor, action, target, details, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an action that changes nothing else (a sign-in, an export) in
    /// its own transaction.
    pub async fn record(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        details: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.begin().await?;
        self.commit_audited(tx, actor, action, target, details, now)
            .await
    }

    /// The newest `limit` entries, newest first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = self
            .rows_with(
                "SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log \
             ORDER BY seq DESC LIMIT $1",
                limit,
            )
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Walks the whole chain and reports the first entry that does not hold.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        // One snapshot for the whole walk and the head: otherwise an entry
        // appended between reading the log and reading the head looks like
        // a removed one.
        let mut tx = match self.backend {
            Backend::Sqlite => self.read.begin().await?,
            Backend::Postgres => {
                self.read
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        };
        let mut expected_prev = GENESIS.to_owned();
        let mut expected_seq = 1i64;
        let mut entries = 0i64;
        let mut last_seq = 0i64;
        // Pages keep memory flat on long logs.
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log \
                 WHERE seq >= $1 ORDER BY seq LIMIT 1000",
            )
            .bind(expected_seq)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                let at: i64 = row.try_get("at")?;
                let actor: String = row.try_get("actor")?;
                let action: String = row.try_get("action")?;
                let target: String = row.try_get("target")?;
                let details: String = row.try_get("details")?;
                let prev_hash: String = row.try_get("prev_hash")?;
                let hash: String = row.try_get("hash")?;
                let fail = |seq: i64, problem: String| AuditVerification {
                    ok: false,
                    entries,
                    first_bad_seq: Some(seq),
                    problem: Some(problem),
                };
                if seq != expected_seq {
                    return Ok(fail(
                        expected_seq,
                        format!("entry {expected_seq} is missing"),
                    ));
                }
                if prev_hash != expected_prev {
                    return Ok(fail(
                        seq,
                        format!("entry {seq} does not link to entry {}", seq - 1),
                    ));
                }
                let recomputed =
                    entry_hash(seq, at, &actor, &action, &target, &details, &prev_hash);
                if recomputed != hash {
                    return Ok(fail(
                        seq,
                        format!("entry {seq} was changed: its hash does not match its contents"),
                    ));
                }
                entries += 1;
                last_seq = seq;
                expected_prev = hash;
                expected_seq = seq + 1;
            }
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        tx.rollback().await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: String = head.try_get("hash")?;
        if head_seq != last_seq || head_hash != expected_prev {
            let (first_bad_seq, problem) = if head_seq > last_seq {
                (
                    Some(last_seq + 1),
                    format!(
                        "the log ends at entry {last_seq} but its head records entry {head_seq}: entries were removed"
                    ),
                )
            } else if head_seq < last_seq {
                (
                    Some(head_seq + 1),
                    format!(
                        "the log goes on to entry {last_seq} but its head records entry {head_seq}: entries were added outside the store"
                    ),
                )
            } else if last_seq == 0 {
                (
                    None,
                    "the log is empty but its head records a hash: the head was changed".to_owned(),
                )
            } else {
                (
                    Some(last_seq),
                    format!(
                        "entry {last_seq} was changed: its hash is not the one the head of the log records"
                    ),
                )
            };
            return Ok(AuditVerification {
                ok: false,
                // The entries that hold: those before the first bad one.
                entries: first_bad_seq.map_or(entries, |seq| seq - 1),
                first_bad_seq,
                problem: Some(problem),
            });
        }
        Ok(AuditVerification {
            ok: true,
            entries,
            first_bad_seq: None,
            problem: None,
        })
    }
}

impl Store {
    /// The head of the log: the last entry's sequence number and hash
    /// (0 and [`GENESIS`] while the log is empty).
    pub async fn audit_head(&self) -> Result<(i64, String)> {
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.read)
            .await?;
        Ok((head.try_get("seq")?, head.try_get("hash")?))
    }

    /// Verifies the chain, then that it still holds the entry a checkpoint
    /// recorded (`seq`, `hash`): a log shorter than the checkpoint was
    /// truncated, even when its head was fixed up to match; a different
    /// hash at `seq` means the log was rewritten from there on.
    pub async fn verify_audit_against(&self, seq: i64, hash: &str) -> Result<AuditVerification> {
        let v = self.verify_audit().await?;
        if !v.ok {
            return Ok(v);
        }
        let fail = |first_bad_seq: i64, entries: i64, problem: String| AuditVerification {
            ok: false,
            entries,
            first_bad_seq: Some(first_bad_seq),
            problem: Some(problem),
        };
        if seq == 0 {
            return Ok(v);
        }
        let row = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else {
            let last = v.entries;
            return Ok(fail(
                last + 1,
                last,
                format!(
                    "the log ends at entry {last} but the checkpoint records entry {seq}: entries were removed (the log was truncated)"
                ),
            ));
        };
        let stored: String = row.try_get("hash")?;
        if stored != hash {
            return Ok(fail(
                seq,
                seq - 1,
                format!(
                    "entry {seq} differs from the checkpoint: the log was rewritten at or before entry {seq}"
                ),
            ));
        }
        Ok(v)
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    let details: String = row.try_get("details")?;
    let details = serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details));
    from_row! { row, AuditEntry { seq, at, actor, action, target, details = details, prev_hash,
    hash } }
}
