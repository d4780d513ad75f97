//! The SQLite and PostgreSQL migration trees must build the same schema:
//! the store's SQL is written once for both.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use firebreak_store::Backend;

use crate::harness::{Db, Fresh};

/// table → column → NOT NULL.
type Columns = BTreeMap<String, BTreeMap<String, bool>>;

/// The columns that `rows` (of `table_name`, `column_name`, …) describe;
/// `not_null` reads a row's flag.
fn columns(rows: Vec<AnyRow>, not_null: impl Fn(&AnyRow) -> bool) -> Columns {
    let mut out = Columns::new();
    for row in rows {
        let table: String = row.get("table_name");
        let column: String = row.get("column_name");
        out.entry(table).or_default().insert(column, not_null(&row));
    }
    out
}

async fn sqlite_columns(db: &Db) -> Columns {
    let rows = db
        .rows(
            "SELECT m.name AS table_name, p.name AS column_name, p.\"notnull\" AS not_null, p.pk AS pk \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .await;
    // SQLite does not flag primary-key columns NOT NULL; PostgreSQL does.
    columns(rows, |row| {
        row.get::<i64, _>("not_null") != 0 || row.get::<i64, _>("pk") != 0
    })
}

async fn postgres_columns(db: &Db) -> Columns {
    let rows = db
        .rows(
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
             c.is_nullable::text AS is_nullable FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
             AND c.table_name <> '_sqlx_migrations'",
        )
        .await;
    columns(rows, |row| row.get::<String, _>("is_nullable") == "NO")
}

/// The applied migrations, as (version, description).
async fn migrations(db: &Db) -> Vec<(i64, String)> {
    let rows = db
        .rows(
            "SELECT version, description FROM _sqlx_migrations WHERE success = true ORDER BY version",
        )
        .await;
    rows.iter()
        .map(|r| (r.get("version"), r.get("description")))
        .collect()
}

fn names(columns: &Columns) -> BTreeMap<&str, Vec<&str>> {
    columns
        .iter()
        .map(|(t, cols)| (t.as_str(), cols.keys().map(String::as_str).collect()))
        .collect()
}

async fn fresh_sqlite() -> Fresh {
    Fresh::new(Backend::Sqlite)
        .await
        .expect("SQLite is always available")
}

#[tokio::test]
async fn both_migration_trees_define_the_same_tables_and_columns() {
    let sqlite = fresh_sqlite().await;
    let sqlite_cols = sqlite_columns(&sqlite.db).await;
    let sqlite_migrations = migrations(&sqlite.db).await;
    sqlite.teardown().await;

    // The reading itself works: the core tables are there, sqlx's is not.
    for table in ["users", "incidents", "reports", "audit_log", "audit_head"] {
        assert!(
            sqlite_cols.contains_key(table),
            "{table} missing: {sqlite_cols:?}"
        );
    }
    assert!(!sqlite_cols.contains_key("_sqlx_migrations"));
    assert_eq!(
        sqlite_cols["audit_log"].keys().collect::<Vec<_>>(),
        [
            "action",
            "actor",
            "at",
            "details",
            "hash",
            "prev_hash",
            "seq",
            "target"
        ]
    );
    assert!(!sqlite_migrations.is_empty());

    let Some(pg) = Fresh::new(Backend::Postgres).await else {
        return;
    };
    let pg_cols = postgres_columns(&pg.db).await;
    let pg_migrations = migrations(&pg.db).await;
    pg.teardown().await;

    let (sqlite_names, pg_names) = (names(&sqlite_cols), names(&pg_cols));
    let only_sqlite: Vec<_> = sqlite_names
        .keys()
        .filter(|t| !pg_names.contains_key(*t))
        .collect();
    let only_pg: Vec<_> = pg_names
        .keys()
        .filter(|t| !sqlite_names.contains_key(*t))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "tables only on SQLite: {only_sqlite:?}; only on PostgreSQL: {only_pg:?}"
    );
    for (table, cols) in &sqlite_names {
        assert_eq!(
            cols, &pg_names[table],
            "columns of `{table}` (left: SQLite, right: PostgreSQL)"
        );
    }
    assert_eq!(
        sqlite_migrations, pg_migrations,
        "both trees must have the same migrations (left: SQLite, right: PostgreSQL)"
    );
}

#[tokio::test]
async fn both_migration_trees_agree_on_not_null() {
    let sqlite = fresh_sqlite().await;
    let sqlite_cols = sqlite_columns(&sqlite.db).await;
    sqlite.teardown().await;
    assert!(sqlite_cols["users"]["name"]);
    assert!(!sqlite_cols["users"]["email"]);
    assert!(sqlite_cols["users"]["id"], "primary keys count as NOT NULL");

    let Some(pg) = Fresh::new(Backend::Postgres).await else {
        return;
    };
    let pg_cols = postgres_columns(&pg.db).await;
    pg.teardown().await;

    let mut differ = Vec::new();
    for (table, cols) in &sqlite_cols {
        for (col, not_null) in cols {
            if let Some(pg_not_null) = pg_cols.get(table).and_then(|c| c.get(col))
                && pg_not_null != not_null
            {
                differ.push(format!(
                    "{table}.{col}: NOT NULL on SQLite {not_null}, on PostgreSQL {pg_not_null}"
                ));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "nullability differs:\n{}",
        differ.join("\n")
    );
}
