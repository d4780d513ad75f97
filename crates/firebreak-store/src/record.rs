//! The shape most writes share: change a row, append the audit entry that
//! names it, read the row back, commit. A table whose rows are read back
//! after a write implements [`Record`]; [`Store::commit_record`] is that
//! ending, and [`record_in`] and [`Store::records`] its reads.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Actor, Result, Store, StoreError, Tx};

/// A kind of stored record: how to select it and how errors and the audit
/// log name it.
pub(crate) trait Record: Sized {
    /// Its table, whose `name` column [`name_free`] checks.
    const TABLE: &'static str;
    /// Its `SELECT`, to which a `WHERE` clause may be appended.
    const SELECT: &'static str;
    /// Its id column in [`Record::SELECT`].
    const ID: &'static str = "id";
    /// Its name in error messages (`routing rule 3`).
    const NOUN: &'static str;
    /// The prefix of its audit target (`<prefix>:<id>`); its noun unless
    /// the log names it otherwise.
    const TARGET: &'static str = Self::NOUN;

    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self>;

    /// Its audit target; `<TARGET>:<id>` unless the log names it otherwise.
    fn audit_target(&self, id: i64) -> String {
        format!("{}:{id}", Self::TARGET)
    }
}

/// One record by id, in the transaction; `NotFound` names it.
pub(crate) async fn record_in<R: Record>(tx: &mut Tx, id: i64) -> Result<R> {
    let sql = format!("{} WHERE {} = $1", R::SELECT, R::ID);
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("{} {id}", R::NOUN)))?;
    R::from_row(&row)
}

/// `Conflict` when the table of `R` has a row named `name` other than
/// `except`.
pub(crate) async fn name_free<R: Record>(
    tx: &mut Tx,
    name: &str,
    except: Option<i64>,
) -> Result<()> {
    let sql = format!("SELECT id FROM {} WHERE name = $1", R::TABLE);
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(row) if Some(row.try_get::<i64, _>("id")?) != except => Err(StoreError::Conflict(
            format!("{} `{name}` already exists", R::NOUN),
        )),
        _ => Ok(()),
    }
}

/// The id a `RETURNING id` row holds.
pub(crate) fn returned_id(row: &sqlx::any::AnyRow) -> Result<i64> {
    Ok(row.try_get("id")?)
}

/// `NotFound` naming record `id` when an `UPDATE … WHERE id` changed no row.
pub(crate) fn updated<R: Record>(done: &sqlx::any::AnyQueryResult, id: i64) -> Result<()> {
    match done.rows_affected() {
        0 => Err(StoreError::NotFound(format!("{} {id}", R::NOUN))),
        _ => Ok(()),
    }
}

impl Store {
    /// Records of `R` after `clause` (`WHERE …`, `ORDER BY …`), with `$1`
    /// bound to `arg` when given, from the read pool.
    pub(crate) async fn records<R, A>(&self, clause: &str, arg: Option<A>) -> Result<Vec<R>>
    where
        R: Record,
        A: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
    {
        let sql = format!("{} {clause}", R::SELECT);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(arg) = arg {
            q = q.bind(arg);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter().map(R::from_row).collect()
    }

    /// The first record of `R` after `clause`, as [`Store::records`].
    pub(crate) async fn first_record<R, A>(&self, clause: &str, arg: A) -> Result<Option<R>>
    where
        R: Record,
        A: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
    {
        Ok(self.records(clause, Some(arg)).await?.into_iter().next())
    }

    /// The end of a write to record `id`: reads it back, appends the audit
    /// entry `action` naming it and commits.
    pub(crate) async fn commit_record<R: Record>(
        &self,
        mut tx: Tx,
        id: i64,
        action: &str,
        details: serde_json::Value,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<R> {
        let record: R = record_in(&mut tx, id).await?;
        let target = record.audit_target(id);
        self.audit(&mut tx, actor, action, &target, details, now)
            .await?;
        tx.commit().await?;
        Ok(record)
    }
}
