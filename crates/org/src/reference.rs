//! Loading the reference files under `data/org/`: divisions (GB/T 2260 and
//! statistical street codes) and departments. Files are versioned; loading
//! the same version twice changes nothing, and a newer version upserts.

use crate::directory::Directory;
use egov_audit::Event;
use egov_kernel::code::{DepartmentCode, DivisionCode};
use egov_kernel::{time, Context};
use egov_store::{query, Db, StoreError, Tx};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

pub const DEMO_DIVISIONS: &str = include_str!("../../../data/org/divisions.json");
pub const DEMO_DEPARTMENTS: &str = include_str!("../../../data/org/departments.toml");

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("the file is not valid: {0}")]
    Parse(String),
    #[error("row {row}: {message}")]
    Row { row: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReferenceError {
    fn from(e: sqlx::Error) -> Self {
        ReferenceError::Store(e.into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub name: &'static str,
    pub version: String,
    /// Rows written; 0 when this version was already loaded.
    pub rows: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DivisionFile {
    version: String,
    #[allow(dead_code)]
    source: String,
    divisions: Vec<DivisionRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DivisionRow {
    code: DivisionCode,
    name: String,
    name_en: Option<String>,
    level: crate::DivisionLevel,
    parent: Option<DivisionCode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartmentFile {
    version: String,
    #[allow(dead_code)]
    source: String,
    department: Vec<DepartmentRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartmentRow {
    code: DepartmentCode,
    name: String,
    short_name: Option<String>,
    name_en: Option<String>,
    kind: crate::DepartmentKind,
    division: DivisionCode,
    parent: Option<DepartmentCode>,
}

const DIVISIONS: &str = "org.divisions";
const DEPARTMENTS: &str = "org.departments";

/// Loads the demo organisation (Beijing) shipped in the binary.
pub async fn load_demo(db: &Db, ctx: &Context) -> Result<Vec<LoadReport>, ReferenceError> {
    Ok(vec![
        load_divisions(db, ctx, DEMO_DIVISIONS).await?,
        load_departments(db, ctx, DEMO_DEPARTMENTS).await?,
    ])
}

pub async fn load_divisions(
    db: &Db,
    ctx: &Context,
    json: &str,
) -> Result<LoadReport, ReferenceError> {
    let file: DivisionFile =
        serde_json::from_str(json).map_err(|e| ReferenceError::Parse(e.to_string()))?;
    // Parents must come first so the foreign key holds row by row.
    let mut seen = HashSet::new();
    for row in &file.divisions {
        if let Some(p) = &row.parent {
            if !seen.contains(p.as_str()) {
                return Err(row_err(row.code.as_str(), "parent is not listed before it"));
            }
        }
        if !seen.insert(row.code.as_str()) {
            return Err(row_err(row.code.as_str(), "duplicate code"));
        }
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            if already_loaded(tx, DIVISIONS, &file.version).await? {
                return Ok(report(DIVISIONS, file.version, 0));
            }
            for row in &file.divisions {
                tx.execute(
                    query(
                        "INSERT INTO divisions (code, name, name_en, level, parent_code) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET \
                         name = excluded.name, name_en = excluded.name_en, \
                         level = excluded.level, parent_code = excluded.parent_code",
                    )
                    .bind(row.code.as_str())
                    .bind(&row.name)
                    .bind(row.name_en.as_deref())
                    .bind(row.level.as_str())
                    .bind(row.parent.as_ref().map(|p| p.as_str())),
                )
                .await?;
            }
            finish(tx, &ctx, DIVISIONS, file.version, file.divisions.len()).await
        })
    })
    .await
}

pub async fn load_departments(
    db: &Db,
    ctx: &Context,
    toml_text: &str,
) -> Result<LoadReport, ReferenceError> {
    let file: DepartmentFile =
        toml::from_str(toml_text).map_err(|e| ReferenceError::Parse(e.to_string()))?;
    let mut seen = HashSet::new();
    for row in &file.department {
        if row.code.division() != row.division.as_str() {
            return Err(row_err(
                row.code.as_str(),
                "code does not start with its division",
            ));
        }
        if let Some(p) = &row.parent {
            if !seen.contains(p.as_str()) {
                return Err(row_err(row.code.as_str(), "parent is not listed before it"));
            }
        }
        if !seen.insert(row.code.as_str()) {
            return Err(row_err(row.code.as_str(), "duplicate code"));
        }
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            if already_loaded(tx, DEPARTMENTS, &file.version).await? {
                return Ok(report(DEPARTMENTS, file.version, 0));
            }
            let now = time::now();
            let mut ids: HashMap<&str, i64> = HashMap::new();
            for row in &file.department {
                let parent_id = row.parent.as_ref().map(|p| ids[p.as_str()]);
                let known: Option<String> = tx
                    .fetch_optional_scalar(
                        query("SELECT code FROM divisions WHERE code = $1")
                            .bind(row.division.as_str()),
                    )
                    .await?;
                if known.is_none() {
                    return Err(row_err(row.code.as_str(), "unknown division"));
                }
                let id: i64 = tx
                    .fetch_scalar(
                        query(
                            "INSERT INTO departments (code, name, short_name, name_en, kind, \
                             division_code, parent_id, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                             short_name = excluded.short_name, name_en = excluded.name_en, \
                             kind = excluded.kind, division_code = excluded.division_code, \
                             parent_id = excluded.parent_id, updated_at = excluded.updated_at \
                             RETURNING id",
                        )
                        .bind(row.code.as_str())
                        .bind(&row.name)
                        .bind(row.short_name.as_deref())
                        .bind(row.name_en.as_deref())
                        .bind(row.kind.as_str())
                        .bind(row.division.as_str())
                        .bind(parent_id)
                        .bind(now),
                    )
                    .await?;
                ids.insert(row.code.as_str(), id);
            }
            let rows = file.department.len();
            finish(tx, &ctx, DEPARTMENTS, file.version, rows).await
        })
    })
    .await
}

fn row_err(row: &str, message: &str) -> ReferenceError {
    ReferenceError::Row {
        row: row.to_owned(),
        message: message.to_owned(),
    }
}

fn report(name: &'static str, version: String, rows: usize) -> LoadReport {
    LoadReport {
        name,
        version,
        rows,
    }
}

async fn already_loaded(tx: &mut Tx, name: &str, version: &str) -> Result<bool, StoreError> {
    let current: Option<String> = tx
        .fetch_optional_scalar(
            query("SELECT version FROM data_versions WHERE name = $1").bind(name),
        )
        .await?;
    Ok(current.as_deref() == Some(version))
}

/// Records the version loaded, with its audit record, and tells every node
/// to load the organisation again.
async fn finish(
    tx: &mut Tx,
    ctx: &Context,
    name: &'static str,
    version: String,
    rows: usize,
) -> Result<LoadReport, ReferenceError> {
    tx.execute(
        query(
            "INSERT INTO data_versions (name, version, loaded_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET version = excluded.version, \
             loaded_at = excluded.loaded_at",
        )
        .bind(name)
        .bind(&version)
        .bind(time::now()),
    )
    .await?;
    egov_store::reference::changed::<Directory>(tx).await?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "reference_data.load",
            object_type: "reference_data",
            object_id: name,
            detail: serde_json::json!({ "version": &version, "rows": rows }),
        },
    )
    .await?;
    tracing::info!(name, version, rows, "reference data loaded");
    Ok(report(name, version, rows))
}
