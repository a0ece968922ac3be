//! `src/db/schema.rs` against what the migrations build: a fresh database
//! is migrated on each engine and every table, column, type and NULL-ness
//! it ends up with must be the one `schema.rs` declares, and the reverse.
//! (lemmy runs `diesel print-schema` in CI for the same purpose; reading
//! the catalogue here needs no extra tool and covers both engines.)

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::helpers::*;

const SCHEMA_RS: &str = include_str!("../../src/db/schema.rs");

/// Tables the migrations make that diesel does not query through
/// `schema.rs`: diesel's own bookkeeping, the folding rules' version (raw
/// SQL in `db::search_text`), and SQLite's text search index (an FTS5
/// virtual table, its shadow tables and its progress mark, raw SQL in
/// `triage::search`).
const NOT_IN_SCHEMA: &[&str] = &[
    "__diesel_schema_migrations",
    "search_folding",
    "sqlite_sequence",
    "tips_search",
    "tips_search_config",
    "tips_search_content",
    "tips_search_data",
    "tips_search_docsize",
    "tips_search_idx",
    "tips_search_progress",
];

/// One column as the database describes it.
#[derive(Debug, QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    not_null: i64,
}

/// (type, nullable) per column per table.
type Tables = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// The `diesel::table!` declarations of `schema.rs`: each column's SQL
/// type (`BigInt`, `Text`, ...) and whether it is `Nullable<...>`.
fn declared() -> Tables {
    let mut tables = Tables::new();
    let mut current: Option<String> = None;
    for line in SCHEMA_RS.lines().map(str::trim) {
        if line == "}" {
            current = None;
            continue;
        }
        if let Some(rest) = line.strip_suffix('{') {
            let rest = rest.trim();
            if let Some((name, _pk)) = rest.split_once('(') {
                current = Some(name.trim().to_owned());
                tables.entry(name.trim().to_owned()).or_default();
            }
            continue;
        }
        let (Some(table), Some((column, ty))) = (&current, line.split_once(" -> ")) else {
            continue;
        };
        let ty = ty.trim_end_matches(',');
        let (ty, nullable) = match ty.strip_prefix("Nullable<") {
            Some(inner) => (inner.trim_end_matches('>'), true),
            None => (ty, false),
        };
        tables
            .get_mut(table)
            .expect("table seen")
            .insert(column.trim().to_owned(), (ty.to_owned(), nullable));
    }
    tables
}

/// What the migrated database holds, with each engine's type names mapped
/// to diesel's.
fn migrated(app: &TestApp, backend: Backend) -> Tables {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                    CAST(p.\"notnull\" OR p.pk > 0 AS BIGINT) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    data_type::text AS data_type, \
                    CAST(CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS INT8) AS not_null \
             FROM information_schema.columns WHERE table_schema = 'public'"
        }
    };
    let columns: Vec<Column> = app
        .pool
        .with(|c| {
            Ok::<_, tipdesk::db::DbError>(tipdesk::db_run!(c, |c| diesel::sql_query(sql).load(c))?)
        })
        .expect("read the catalogue");
    let mut tables = Tables::new();
    for col in columns {
        if NOT_IN_SCHEMA.contains(&col.table_name.as_str()) {
            continue;
        }
        let ty = diesel_type(backend, &col.data_type).unwrap_or_else(|| {
            panic!(
                "{}.{}: the migrations give it type `{}`, which schema.rs cannot declare portably",
                col.table_name, col.column_name, col.data_type
            )
        });
        tables
            .entry(col.table_name)
            .or_default()
            .insert(col.column_name, (ty.to_owned(), col.not_null == 0));
    }
    tables
}

/// The diesel SQL type a column of `data_type` is declared with. SQLite's
/// `INTEGER PRIMARY KEY` is its 64-bit rowid, so it may be a `BigInt`; that
/// case is left to the comparison (see [`same_type`]).
fn diesel_type(backend: Backend, data_type: &str) -> Option<&'static str> {
    let t = data_type.to_ascii_lowercase();
    Some(match (backend, t.as_str()) {
        (_, "bigint") => "BigInt",
        (_, "integer") => "Integer",
        (_, "text") => "Text",
        (_, "boolean") => "Bool",
        // Bytes: BLOB on SQLite, BYTEA on PostgreSQL (attachments' chunks).
        (Backend::Sqlite, "blob") => "Binary",
        (Backend::Postgres, "bytea") => "Binary",
        (Backend::Sqlite, "timestamp") => "Timestamp",
        (Backend::Postgres, "timestamp without time zone") => "Timestamp",
        _ => return None,
    })
}

fn same_type(backend: Backend, declared: &str, migrated: &str) -> bool {
    declared == migrated
        || (backend == Backend::Sqlite && declared == "BigInt" && migrated == "Integer")
}

async fn schema_rs_matches_the_migrations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let declared = declared();
    let migrated = migrated(&app, backend);
    assert!(declared.len() >= 15, "schema.rs was read: {declared:?}");

    let mut drift = Vec::new();
    let names: BTreeSet<&String> = declared.keys().chain(migrated.keys()).collect();
    for table in names {
        let (Some(want), Some(have)) = (declared.get(table), migrated.get(table)) else {
            drift.push(match declared.contains_key(table) {
                true => format!("table {table} is in schema.rs but no migration creates it"),
                false => format!("table {table} is created by a migration but not in schema.rs"),
            });
            continue;
        };
        let columns: BTreeSet<&String> = want.keys().chain(have.keys()).collect();
        for column in columns {
            match (want.get(column), have.get(column)) {
                (Some(_), None) => drift.push(format!(
                    "{table}.{column} is in schema.rs but not in the database"
                )),
                (None, Some(_)) => drift.push(format!(
                    "{table}.{column} is in the database but not in schema.rs"
                )),
                (Some((wt, wn)), Some((ht, hn))) => {
                    if !same_type(backend, wt, ht) {
                        drift.push(format!(
                            "{table}.{column}: schema.rs says {wt}, the database {ht}"
                        ));
                    }
                    if wn != hn {
                        let says = |n: &bool| if *n { "nullable" } else { "NOT NULL" };
                        drift.push(format!(
                            "{table}.{column}: schema.rs says {}, the database {}",
                            says(wn),
                            says(hn)
                        ));
                    }
                }
                (None, None) => {}
            }
        }
    }
    assert!(
        drift.is_empty(),
        "src/db/schema.rs has drifted from the {backend:?} migrations:\n  {}",
        drift.join("\n  ")
    );
}

crate::both_backends!(schema_rs_matches_the_migrations);
