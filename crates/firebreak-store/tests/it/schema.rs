//! The SQLite and PostgreSQL migration trees must build the same schema:
//! the store's SQL is written once for both.

use std::collections::BTreeMap;

use sqlx::{Connection, Row};

use firebreak_store::Backend;

use crate::harness::{Db, Fresh};

/// table → column → NOT NULL.
type Columns = BTreeMap<String, BTreeMap<String, bool>>;

async fn sqlite_columns(db: &Db) -> Columns {
    let mut conn = db.raw().await;
    let rows = sqlx::query(
        "SELECT m.name AS table_name, p.name AS column_name, p.\"notnull\" AS not_null, p.pk AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read the SQLite schema");
    conn.close().await.ok();
    let mut out = Columns::new();
    for row in rows {
        let table: String = row.get("table_name");
        let column: String = row.get("column_name");
        // SQLite does not flag primary-key columns NOT NULL; PostgreSQL does.
        let not_null = row.get::<i64, _>("not_null") != 0 || row.get::<i64, _>("pk") != 0;
        out.entry(table).or_default().insert(column, not_null);
    }
    out
}

async fn postgres_columns(db: &Db) -> Columns {
    let mut conn = db.raw().await;
    let rows = sqlx::query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
         c.is_nullable::text AS is_nullable FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read the PostgreSQL schema");
    conn.close().await.ok();
    let mut out = Columns::new();
    for row in rows {
        let table: String = row.get("table_name");
        let column: String = row.get("column_name");
        let nullable: String = row.get("is_nullable");
        out.entry(table)
            .or_default()
            .insert(column, nullable == "NO");
    }
    out
}

/// The applied migrations, as (version, description).
async fn migrations(db: &Db) -> Vec<(i64, String)> {
    let mut conn = db.raw().await;
    let rows = sqlx::query(
        "SELECT version, description FROM _sqlx_migrations WHERE success = true ORDER BY version",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read the applied migrations");
    conn.close().await.ok();
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

#[tokio::test]
async fn both_migration_trees_define_the_same_tables_and_columns() {
    let sqlite = Fresh::new(Backend::Sqlite)
        .await
        .expect("SQLite is always available");
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
    let sqlite = Fresh::new(Backend::Sqlite)
        .await
        .expect("SQLite is always available");
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
