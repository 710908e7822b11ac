//! Per-test databases. SQLite always; PostgreSQL when `EGOV_TEST_DATABASE_URL`
//! names a server, where each test gets a database of its own, dropped after.

use crate::{DatabaseUrl, Db, PoolOptions};

pub const ENV: &str = "EGOV_TEST_DATABASE_URL";

/// A fresh, empty database location; removed when dropped.
pub struct TestLocation {
    pub url: DatabaseUrl,
    /// The data directory tests may hand to the server (files, locks).
    pub dir: tempfile::TempDir,
    pg_cleanup: Option<(String, String)>,
}

impl TestLocation {
    pub async fn new() -> TestLocation {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var(ENV).ok().filter(|v| !v.is_empty()) {
            None => TestLocation {
                url: DatabaseUrl::sqlite_in(dir.path()),
                dir,
                pg_cleanup: None,
            },
            Some(admin_url) => {
                let name = format!("egov_t_{}", uuid::Uuid::new_v4().simple());
                let admin = Db::connect(
                    &DatabaseUrl::parse(&admin_url).expect("EGOV_TEST_DATABASE_URL"),
                    &PoolOptions {
                        max_connections: 1,
                        ..PoolOptions::patient()
                    },
                )
                .await
                .expect("connect to EGOV_TEST_DATABASE_URL");
                let mut r = admin.reader().await.unwrap();
                crate::run!(r, |c| sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut *c)
                    .await
                    .map(|_| ()))
                .expect("create test database");
                drop(r);
                admin.close().await;
                let mut url = ::url::Url::parse(&admin_url).expect("URL");
                url.set_path(&name);
                TestLocation {
                    url: DatabaseUrl::parse(url.as_str()).unwrap(),
                    dir,
                    pg_cleanup: Some((admin_url, name)),
                }
            }
        }
    }

    /// The URL with its password, for handing to a server process under test.
    pub fn url_string(&self) -> String {
        self.url.expose()
    }
}

impl Drop for TestLocation {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_cleanup.take() {
            // Drop runs outside any runtime guarantee; use a thread of our own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(url) = DatabaseUrl::parse(&admin_url) {
                        if let Ok(db) = Db::connect(&url, &Default::default()).await {
                            if let Ok(mut r) = db.reader().await {
                                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                                let _ = crate::run!(r, |c| sqlx::query(&sql)
                                    .execute(&mut *c)
                                    .await
                                    .map(|_| ()));
                            }
                            db.close().await;
                        }
                    }
                });
            })
            .join();
        }
    }
}

/// A fresh, migrated database.
pub struct TestDb {
    pub db: Db,
    pub location: TestLocation,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let location = TestLocation::new().await;
        let db = Db::connect(&location.url, &PoolOptions::patient())
            .await
            .expect("connect test database");
        db.migrate().await.expect("migrate test database");
        TestDb { db, location }
    }
}
