//! Backup and restore: one file holding the database and the file store,
//! with a manifest of digests.
//!
//! The file is a tar archive: `manifest.json` first, then the database
//! (`database/egov.sqlite`, a consistent copy written by `VACUUM INTO` while
//! the server keeps serving; or `database/egov.sql`, `pg_dump` plain SQL
//! through its own snapshot), then every stored file under `files/`, named
//! by its SHA-256 as in the file store. The manifest lists each entry with
//! its size and SHA-256.
//!
//! Restore unpacks into a staging folder and checks every digest, the
//! manifest's completeness and (SQLite) the database's integrity before it
//! replaces anything; then files go into the file store (content-addressed:
//! nothing there is overwritten) and the database is replaced.

use crate::db::Pools;
use crate::{DatabaseUrl, Db, PoolOptions, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tokio::process::Command;

const FORMAT: &str = "egov-backup";
const FORMAT_VERSION: u32 = 1;
const SQLITE_ENTRY: &str = "database/egov.sqlite";
const POSTGRES_ENTRY: &str = "database/egov.sql";
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What a backup holds, written first in the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub created_at: String,
    /// `sqlite` or `postgres`: a backup restores into the same engine.
    pub engine: String,
    pub egov_version: String,
    pub database: Entry,
    pub files: Vec<Entry>,
    /// The server keys that sealed secrets in this database (key ids), kept
    /// out of the backup: the target needs them in its key ring.
    #[serde(default)]
    pub server_keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What a restore put in place.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    /// Files added to the file store (the rest were there already).
    pub files_added: usize,
}

fn backup_err(msg: impl Into<String>) -> StoreError {
    StoreError::Backup(msg.into())
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes a backup of `db` and the file store in `files_dir` to `file`.
/// `server_keys` are the key ids the database's sealed secrets need.
pub async fn backup(
    db: &Db,
    url: &DatabaseUrl,
    files_dir: &Path,
    server_keys: Vec<String>,
    file: &Path,
) -> Result<Manifest, StoreError> {
    if file.exists() {
        return Err(backup_err(format!(
            "{} already exists; choose a new file",
            file.display()
        )));
    }
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = tempfile::tempdir_in(parent).map_err(io_at(parent))?;
    // Files referenced now are all in the snapshot taken next, and each was
    // stored before the transaction that refers to it committed.
    let referenced = referenced_files(db).await?;
    let (entry_name, dump) = match (&db.pools, url) {
        (Pools::Sqlite { .. }, _) => {
            let dump = staging.path().join("egov.sqlite");
            let target = dump
                .to_str()
                .ok_or_else(|| backup_err("backup path must be valid UTF-8"))?
                .to_owned();
            let mut r = db.reader().await?;
            crate::run!(r, |c| sqlx::query("VACUUM INTO $1")
                .bind(&target)
                .execute(&mut *c)
                .await
                .map(|_| ()))?;
            (SQLITE_ENTRY, dump)
        }
        (Pools::Postgres(_), DatabaseUrl::Postgres(_)) => {
            let dump = staging.path().join("egov.sql");
            run_tool(
                Command::new("pg_dump")
                    .arg("--format=plain")
                    .arg("--no-owner")
                    .arg("--no-privileges")
                    .arg("--file")
                    .arg(&dump)
                    .arg("--dbname")
                    .arg(url.expose()),
                "pg_dump",
            )
            .await?;
            (POSTGRES_ENTRY, dump)
        }
        _ => return Err(backup_err("engine and URL disagree")),
    };
    let engine = match db.engine() {
        crate::Engine::Sqlite => "sqlite",
        crate::Engine::Postgres => "postgres",
    };
    let files_dir = files_dir.to_owned();
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || {
        let database = Entry {
            path: entry_name.to_owned(),
            bytes: std::fs::metadata(&dump).map_err(io_at(&dump))?.len(),
            sha256: digest_file(&dump)?,
        };
        let files = stored_files(&files_dir)?;
        let missing: Vec<&String> = referenced
            .iter()
            .filter(|d| !files.iter().any(|f| &f.sha256 == *d))
            .collect();
        if !missing.is_empty() {
            return Err(backup_err(format!(
                "the file store in {} lacks {} files the database refers to (first: {})",
                files_dir.display(),
                missing.len(),
                missing[0]
            )));
        }
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            engine: engine.to_owned(),
            egov_version: env!("CARGO_PKG_VERSION").to_owned(),
            database,
            files,
            server_keys,
        };
        write_archive(&file, &manifest, &dump, &files_dir)?;
        Ok(manifest)
    })
    .await
    .map_err(|e| backup_err(format!("backup task failed: {e}")))?
}

/// The SHA-256 of every stored file the database refers to.
async fn referenced_files(db: &Db) -> Result<Vec<String>, StoreError> {
    let mut r = db.reader().await?;
    let rows: Vec<String> = crate::run!(r, |c| sqlx::query_scalar(
        "SELECT sha256 FROM case_attachments UNION SELECT sha256 FROM application_files \
         UNION SELECT sha256 FROM grid_photos UNION SELECT thumb_sha256 FROM grid_photos"
    )
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows)
}

/// Every file in the store: `xx/<sha256>`, checked against its name when
/// it is written into the archive.
fn stored_files(files_dir: &Path) -> Result<Vec<Entry>, StoreError> {
    let mut out = Vec::new();
    let Ok(shards) = std::fs::read_dir(files_dir) else {
        return Ok(out); // no file stored yet
    };
    for shard in shards {
        let shard = shard.map_err(io_at(files_dir))?;
        if !shard.file_type().map_err(io_at(files_dir))?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(shard.path()).map_err(io_at(&shard.path()))? {
            let f = f.map_err(io_at(&shard.path()))?;
            let name = f.file_name().to_string_lossy().into_owned();
            if !is_digest(&name) || !f.file_type().map_err(io_at(&f.path()))?.is_file() {
                continue; // a temporary file of an upload in progress
            }
            out.push(Entry {
                path: format!("files/{}/{}", &name[..2], name),
                bytes: f.metadata().map_err(io_at(&f.path()))?.len(),
                sha256: name,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn is_digest(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn digest_file(path: &Path) -> Result<String, StoreError> {
    let mut f = std::fs::File::open(path).map_err(io_at(path))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut f, &mut hasher).map_err(io_at(path))?;
    Ok(hex::encode(hasher.finalize()))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

fn append(
    tar: &mut tar::Builder<std::io::BufWriter<std::fs::File>>,
    entry: &Entry,
    from: &Path,
) -> Result<(), StoreError> {
    let f = std::fs::File::open(from).map_err(io_at(from))?;
    let mut header = tar::Header::new_gnu();
    header.set_size(entry.bytes);
    header.set_mode(0o600);
    header.set_cksum();
    let mut reading = Hashing {
        inner: f.take(entry.bytes),
        hasher: Sha256::new(),
    };
    tar.append_data(&mut header, &entry.path, &mut reading)
        .map_err(io_at(from))?;
    let got = hex::encode(reading.hasher.finalize());
    if got != entry.sha256 {
        return Err(backup_err(format!(
            "{} changed or is damaged while it was backed up (SHA-256 {got}, expected {})",
            from.display(),
            entry.sha256
        )));
    }
    Ok(())
}

fn write_archive(
    file: &Path,
    manifest: &Manifest,
    dump: &Path,
    files_dir: &Path,
) -> Result<(), StoreError> {
    let partial = file.with_extension("partial");
    let out = std::fs::File::create(&partial).map_err(io_at(&partial))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(out));
    let json = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, "manifest.json", json.as_slice())
        .map_err(io_at(&partial))?;
    append(&mut tar, &manifest.database, dump)?;
    for entry in &manifest.files {
        let from = files_dir.join(&entry.sha256[..2]).join(&entry.sha256);
        append(&mut tar, entry, &from)?;
    }
    let mut out = tar
        .into_inner()
        .map_err(io_at(&partial))?
        .into_inner()
        .map_err(|e| backup_err(format!("writing {}: {e}", partial.display())))?;
    out.flush().map_err(io_at(&partial))?;
    out.sync_all().map_err(io_at(&partial))?;
    // Only a whole backup takes the name asked for.
    std::fs::rename(&partial, file).map_err(io_at(file))?;
    Ok(())
}

/// Reads the manifest of a backup without unpacking it.
pub fn read_manifest(file: &Path) -> Result<Manifest, StoreError> {
    let f = std::fs::File::open(file).map_err(io_at(file))?;
    let mut archive = tar::Archive::new(f);
    let mut entries = archive.entries().map_err(|_| not_a_backup(file))?;
    let first = entries
        .next()
        .ok_or_else(|| not_a_backup(file))?
        .map_err(|_| not_a_backup(file))?;
    if first.path().ok().as_deref() != Some(Path::new("manifest.json")) {
        return Err(not_a_backup(file));
    }
    let manifest: Manifest = serde_json::from_reader(first.take(16 << 20)).map_err(|e| {
        backup_err(format!(
            "{}: the manifest does not read: {e}",
            file.display()
        ))
    })?;
    if manifest.format != FORMAT {
        return Err(not_a_backup(file));
    }
    if manifest.version != FORMAT_VERSION {
        return Err(backup_err(format!(
            "{} is backup format version {}; this egov reads version {FORMAT_VERSION}",
            file.display(),
            manifest.version
        )));
    }
    Ok(manifest)
}

fn not_a_backup(file: &Path) -> StoreError {
    backup_err(format!("{} is not an egov backup", file.display()))
}

/// Unpacks `file` into `staging`, checking every entry against the
/// manifest. Returns the manifest once every listed entry is there, whole.
fn unpack_checked(file: &Path, staging: &Path) -> Result<Manifest, StoreError> {
    let manifest = read_manifest(file)?;
    let mut expected: std::collections::HashMap<&str, &Entry> = manifest
        .files
        .iter()
        .chain(std::iter::once(&manifest.database))
        .map(|e| (e.path.as_str(), e))
        .collect();
    let f = std::fs::File::open(file).map_err(io_at(file))?;
    let mut archive = tar::Archive::new(f);
    for (i, entry) in archive
        .entries()
        .map_err(|_| not_a_backup(file))?
        .enumerate()
    {
        let entry = entry.map_err(|e| backup_err(format!("{}: {e}", file.display())))?;
        if i == 0 {
            continue; // the manifest
        }
        let path = entry
            .path()
            .map_err(|_| not_a_backup(file))?
            .to_string_lossy()
            .into_owned();
        let Some(want) = expected.remove(path.as_str()) else {
            return Err(backup_err(format!(
                "{}: {path} is not in the manifest",
                file.display()
            )));
        };
        // Manifest paths are ours (`database/...`, `files/xx/<digest>`):
        // nothing is written outside the staging folder.
        if !(path == SQLITE_ENTRY
            || path == POSTGRES_ENTRY
            || (path.starts_with("files/") && is_digest(&want.sha256)))
        {
            return Err(backup_err(format!(
                "{}: unexpected entry {path}",
                file.display()
            )));
        }
        let to = staging.join(&path);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(io_at(dir))?;
        }
        let mut out = std::fs::File::create(&to).map_err(io_at(&to))?;
        let mut reading = Hashing {
            inner: entry,
            hasher: Sha256::new(),
        };
        let n = std::io::copy(&mut reading, &mut out).map_err(io_at(&to))?;
        let got = hex::encode(reading.hasher.finalize());
        if got != want.sha256 || n != want.bytes {
            return Err(backup_err(format!(
                "{}: {path} is damaged (SHA-256 {got} of {n} bytes; the manifest says {} of {})",
                file.display(),
                want.sha256,
                want.bytes
            )));
        }
        out.sync_all().map_err(io_at(&to))?;
    }
    if let Some(missing) = expected.keys().next() {
        return Err(backup_err(format!(
            "{}: {} entries of the manifest are missing (first: {missing})",
            file.display(),
            expected.len()
        )));
    }
    Ok(manifest)
}

/// Restores `file` into the database at `url` and the file store in
/// `files_dir`. The server must be stopped. Nothing is replaced unless
/// the whole backup checks out.
pub async fn restore(
    url: &DatabaseUrl,
    files_dir: &Path,
    file: &Path,
) -> Result<Restored, StoreError> {
    let parent = match url {
        DatabaseUrl::Sqlite(p) => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned(),
        DatabaseUrl::Postgres(_) => files_dir
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned(),
    };
    std::fs::create_dir_all(&parent).map_err(io_at(&parent))?;
    let staging = tempfile::tempdir_in(&parent).map_err(io_at(&parent))?;
    let (source, stage) = (file.to_owned(), staging.path().to_owned());
    let manifest = tokio::task::spawn_blocking(move || unpack_checked(&source, &stage))
        .await
        .map_err(|e| backup_err(format!("restore task failed: {e}")))??;
    let staged_db = staging.path().join(&manifest.database.path);
    match (url, manifest.engine.as_str()) {
        (DatabaseUrl::Sqlite(_), "sqlite") => check_sqlite(&staged_db).await?,
        (DatabaseUrl::Postgres(_), "postgres") => {}
        (_, engine) => {
            return Err(backup_err(format!(
                "this is a backup of a {engine} database; restore it with a {engine} URL"
            )))
        }
    }
    // Checked: now replace. Files first (adding never breaks the current
    // database), then the database.
    let files_added = place_files(staging.path(), files_dir, &manifest)?;
    match url {
        DatabaseUrl::Sqlite(target) => {
            for suffix in ["-wal", "-shm"] {
                let mut side = target.clone().into_os_string();
                side.push(suffix);
                let _ = std::fs::remove_file(side);
            }
            std::fs::rename(&staged_db, target).map_err(io_at(target))?;
        }
        DatabaseUrl::Postgres(_) => restore_postgres(url, &staged_db).await?,
    }
    Ok(Restored {
        manifest,
        files_added,
    })
}

async fn check_sqlite(staged: &Path) -> Result<(), StoreError> {
    let mut head = [0u8; 16];
    let n = std::fs::File::open(staged)
        .and_then(|mut f| f.read(&mut head))
        .map_err(io_at(staged))?;
    if &head[..n] != SQLITE_MAGIC {
        return Err(backup_err("the backup's database is not a SQLite database"));
    }
    let candidate = Db::connect(
        &DatabaseUrl::Sqlite(staged.to_owned()),
        &PoolOptions::patient(),
    )
    .await?;
    let mut r = candidate.reader().await?;
    let verdict: String = crate::run!(r, |c| sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *c)
        .await)?;
    drop(r);
    candidate.close().await;
    for suffix in ["-wal", "-shm"] {
        let mut side = staged.to_owned().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    if verdict != "ok" {
        return Err(backup_err(format!(
            "the backup's database fails its integrity check: {verdict}"
        )));
    }
    Ok(())
}

fn place_files(staging: &Path, files_dir: &Path, manifest: &Manifest) -> Result<usize, StoreError> {
    let mut added = 0;
    for entry in &manifest.files {
        let to: PathBuf = files_dir.join(&entry.sha256[..2]).join(&entry.sha256);
        if to.exists() {
            continue; // the same bytes, by name
        }
        let dir = to.parent().expect("a shard folder");
        std::fs::create_dir_all(dir).map_err(io_at(dir))?;
        let from = staging.join(&entry.path);
        if std::fs::rename(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(io_at(&to))?;
        }
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_at(dir))?;
        added += 1;
    }
    Ok(added)
}

async fn restore_postgres(url: &DatabaseUrl, sql: &Path) -> Result<(), StoreError> {
    let db = Db::connect(url, &PoolOptions::patient()).await?;
    db.write(|tx| {
        Box::pin(async move {
            tx.execute(crate::query("DROP SCHEMA IF EXISTS public CASCADE"))
                .await?;
            tx.execute(crate::query("CREATE SCHEMA public")).await
        })
    })
    .await?;
    db.close().await;
    run_tool(
        Command::new("psql")
            .arg("--quiet")
            .arg("--no-psqlrc")
            .arg("--single-transaction")
            .arg("--set=ON_ERROR_STOP=1")
            .arg("--file")
            .arg(sql)
            .arg("--dbname")
            .arg(url.expose()),
        "psql",
    )
    .await
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
