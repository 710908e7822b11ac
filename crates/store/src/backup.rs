//! Online backup and offline restore.
//!
//! SQLite: `VACUUM INTO` writes a consistent, compacted copy from a read
//! transaction while the server keeps serving; the result is an ordinary
//! SQLite database file. PostgreSQL: `pg_dump` plain SQL (consistent through
//! its own snapshot), restored with `psql` into an emptied schema.

use crate::{DatabaseUrl, Db, StoreError};
use std::path::Path;
use tokio::process::Command;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

pub async fn backup(db: &Db, url: &DatabaseUrl, file: &Path) -> Result<(), StoreError> {
    if file.exists() {
        return Err(StoreError::Backup(format!(
            "{} already exists; choose a new file",
            file.display()
        )));
    }
    match (db, url) {
        (Db::Sqlite { .. }, _) => {
            let target = file
                .to_str()
                .ok_or_else(|| StoreError::Backup("backup path must be valid UTF-8".to_owned()))?;
            let mut r = db.reader().await?;
            crate::run!(r, |c| sqlx::query("VACUUM INTO $1")
                .bind(target)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected()))?;
            Ok(())
        }
        (Db::Postgres(_), DatabaseUrl::Postgres(_)) => {
            run_tool(
                Command::new("pg_dump")
                    .arg("--format=plain")
                    .arg("--no-owner")
                    .arg("--no-privileges")
                    .arg("--file")
                    .arg(file)
                    .arg("--dbname")
                    .arg(url.expose()),
                "pg_dump",
            )
            .await
        }
        _ => Err(StoreError::Backup("engine and URL disagree".to_owned())),
    }
}

/// Restores `file` into the database at `url`. The server must be stopped.
pub async fn restore(url: &DatabaseUrl, file: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: file.to_owned(),
        source,
    };
    let head = {
        use std::io::Read;
        let mut buf = [0u8; 16];
        let mut f = std::fs::File::open(file).map_err(io)?;
        let n = f.read(&mut buf).map_err(io)?;
        buf[..n].to_vec()
    };
    match url {
        DatabaseUrl::Sqlite(target) => {
            if head != SQLITE_MAGIC {
                return Err(StoreError::Backup(format!(
                    "{} is not a SQLite backup",
                    file.display()
                )));
            }
            // Check the copy before it replaces anything.
            let candidate =
                Db::connect(&DatabaseUrl::Sqlite(file.to_owned()), &Default::default()).await?;
            let mut r = candidate.reader().await?;
            let verdict: String = crate::run!(r, |c| sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut *c)
                .await)?;
            drop(r);
            candidate.close().await;
            if verdict != "ok" {
                return Err(StoreError::Backup(format!(
                    "{} fails its integrity check: {verdict}",
                    file.display()
                )));
            }
            let staging = target.with_extension("db.restoring");
            std::fs::copy(file, &staging).map_err(io)?;
            for suffix in ["-wal", "-shm"] {
                let mut side = target.clone().into_os_string();
                side.push(suffix);
                let _ = std::fs::remove_file(side);
            }
            std::fs::rename(&staging, target).map_err(|source| StoreError::Io {
                path: target.clone(),
                source,
            })?;
            Ok(())
        }
        DatabaseUrl::Postgres(_) => {
            if head == SQLITE_MAGIC {
                return Err(StoreError::Backup(
                    "this is a SQLite backup; restore it with a sqlite:// URL".to_owned(),
                ));
            }
            let db = Db::connect(url, &Default::default()).await?;
            let mut tx = db.begin().await?;
            crate::run!(tx, |c| {
                sqlx::query("DROP SCHEMA IF EXISTS public CASCADE")
                    .execute(&mut *c)
                    .await?;
                sqlx::query("CREATE SCHEMA public")
                    .execute(&mut *c)
                    .await
                    .map(|_| ())
            })?;
            tx.commit().await?;
            db.close().await;
            run_tool(
                Command::new("psql")
                    .arg("--quiet")
                    .arg("--no-psqlrc")
                    .arg("--single-transaction")
                    .arg("--set=ON_ERROR_STOP=1")
                    .arg("--file")
                    .arg(file)
                    .arg("--dbname")
                    .arg(url.expose()),
                "psql",
            )
            .await
        }
    }
}

async fn run_tool(cmd: &mut Command, name: &str) -> Result<(), StoreError> {
    let out = cmd.output().await.map_err(|e| {
        StoreError::Backup(format!(
            "cannot run {name} ({e}); install the PostgreSQL client tools"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(StoreError::Backup(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
