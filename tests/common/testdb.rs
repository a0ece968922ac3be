//! A fresh database for one test: a SQLite file in a temporary folder, or
//! a new database on the PostgreSQL server named by
//! TIPDESK_TEST_POSTGRES_URL. Dropped with the test.

#![allow(dead_code)]

use tipdesk::config::DatabaseUrl;

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database for one test, removed again when dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    _dir: tempfile::TempDir,
    pg_name: Option<(String, String)>,
}

impl TestDb {
    pub fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: DatabaseUrl::Sqlite(dir.path().join("tipdesk.db")),
                _dir: dir,
                pg_name: None,
            },
            Backend::Postgres => {
                let admin = std::env::var("TIPDESK_TEST_POSTGRES_URL")
                    .expect("TIPDESK_TEST_POSTGRES_URL must name a PostgreSQL server");
                let name = format!("tipdesk_t_{}", hex::encode(rand::random::<[u8; 6]>()));
                create_pg_database(&admin, &name);
                let url = replace_db_name(&admin, &name);
                Self {
                    url: DatabaseUrl::Postgres(url),
                    _dir: dir,
                    pg_name: Some((admin, name)),
                }
            }
        }
    }

    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => u.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_name {
            drop_pg_database(admin, name);
        }
    }
}

#[cfg(feature = "postgres")]
fn create_pg_database(admin: &str, name: &str) {
    use diesel::connection::SimpleConnection;
    let mut conn = tipdesk::db::pg_establish(admin).expect("connect to PostgreSQL");
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
}

#[cfg(feature = "postgres")]
fn drop_pg_database(admin: &str, name: &str) {
    use diesel::connection::SimpleConnection;
    if let Ok(mut conn) = tipdesk::db::pg_establish(admin) {
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

#[cfg(not(feature = "postgres"))]
fn create_pg_database(_: &str, _: &str) {
    panic!("this build has no PostgreSQL support (feature `postgres`)");
}

#[cfg(not(feature = "postgres"))]
fn drop_pg_database(_: &str, _: &str) {}

fn replace_db_name(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TIPDESK_TEST_POSTGRES_URL is a URL");
    parsed.set_path(name);
    parsed.to_string()
}
