//! The data a department hosts for a resource: each load, a whole new
//! table or rows appended, is a version (one transaction with its audit
//! record; nothing is loaded when a row breaks the items' types), and the
//! current rows are read from a copy each node keeps per resource and
//! version. Each resource's current version is a reference set of its own
//! ([`DataVersions`]), so a load does not make every node read and index
//! the catalogue again.

use crate::cells::Record;
use crate::registry::{Catalogue, CatalogueError};
use crate::resource::Resource;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::reference::{self, Reference};
use egov_store::{query, run, values, Db, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

egov_store::text_enum! {
    /// What a load does with the rows before it.
    pub enum LoadMode {
        /// The load is the whole table from now on.
        Replace = "replace",
        /// The load's rows are added to the current ones.
        Append = "append",
    }
}

/// A version of a resource's data.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Load {
    pub version: i64,
    pub mode: LoadMode,
    /// Rows this load brought.
    pub rows: i64,
    /// The file's name, or `api`.
    pub source: String,
    pub loaded_at: Timestamp,
}

/// A load stored: its version and the rows current after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub version: i64,
    pub rows: i64,
}

/// A resource's hosted data as it stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataState {
    /// The newest load (0: none yet).
    pub version: i64,
    /// Rows current after it.
    pub rows: i64,
    /// When it was loaded.
    pub loaded_at: Option<Timestamp>,
}

/// Every resource's [`DataState`], as every node serves it.
pub struct DataVersions(HashMap<i64, DataState>);

impl Reference for DataVersions {
    const NAME: &'static str = "catalogue_data";
    type Error = CatalogueError;

    async fn load(db: &Db) -> Result<Self, CatalogueError> {
        let mut r = db.reader().await?;
        let rows: Vec<(i64, i64, i64, Option<Timestamp>)> = run!(r, |c| sqlx::query_as(
            "SELECT r.id, r.data_version, r.row_count, l.loaded_at FROM catalogue_resources r \
             LEFT JOIN catalogue_loads l ON l.resource_id = r.id AND l.version = r.data_version \
             WHERE r.data_version > 0"
        )
        .fetch_all(&mut *c)
        .await)?;
        Ok(DataVersions(
            rows.into_iter()
                .map(|(id, version, rows, loaded_at)| {
                    (
                        id,
                        DataState {
                            version,
                            rows,
                            loaded_at,
                        },
                    )
                })
                .collect(),
        ))
    }
}

impl DataState {
    /// When a resource described by metadata changed at `metadata` last
    /// changed, its data included.
    pub fn modified(self, metadata: Timestamp) -> Timestamp {
        self.loaded_at.map_or(metadata, |l| l.max(metadata))
    }
}

impl DataVersions {
    pub async fn get(db: &Db) -> Result<Arc<DataVersions>, CatalogueError> {
        db.reference::<DataVersions>().await
    }

    /// Resource `id`'s data (the default: none loaded).
    pub fn of(&self, id: i64) -> DataState {
        self.0.get(&id).copied().unwrap_or_default()
    }
}

/// Rows inserted per statement: well inside both engines' parameter limits.
const BATCH: usize = 1000;

/// Loads `records` (checked against the resource's items by the caller,
/// `cells::check_table` or `check_records`) as the next version of
/// resource `code`'s data.
pub async fn load(
    db: &Db,
    ctx: &Context,
    code: &str,
    mode: LoadMode,
    records: Vec<Record>,
    source: &str,
    by: Option<i64>,
) -> Result<Loaded, CatalogueError> {
    let catalogue = Catalogue::get(db).await?;
    let resource = catalogue
        .by_code(code)
        .ok_or_else(|| CatalogueError::NotFound(code.to_owned()))?;
    let (id, code) = (resource.id, resource.code.clone());
    let ctx = ctx.clone();
    let source: String = source.chars().take(200).collect();
    let data: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).expect("records serialise"))
        .collect();
    let loaded = db
        .write(move |tx| {
            Box::pin(async move {
                let n = data.len() as i64;
                // The resource's row first: concurrent loads of one
                // resource wait here for each other.
                let (version, rows): (i64, i64) = tx
                    .fetch_one(
                        query(
                            "UPDATE catalogue_resources SET data_version = data_version + 1, \
                             row_count = CASE WHEN $2 THEN $3 ELSE row_count + $3 END \
                             WHERE id = $1 RETURNING data_version, row_count",
                        )
                        .bind(id)
                        .bind(mode == LoadMode::Replace)
                        .bind(n),
                    )
                    .await?;
                if mode == LoadMode::Replace {
                    tx.execute(
                        query(
                            "UPDATE catalogue_rows SET removed_in = $2 \
                             WHERE resource_id = $1 AND removed_in IS NULL",
                        )
                        .bind(id)
                        .bind(version),
                    )
                    .await?;
                }
                let last: i64 = tx
                    .fetch_scalar(
                        query(
                            "SELECT COALESCE(MAX(row_no), 0) FROM catalogue_rows \
                             WHERE resource_id = $1",
                        )
                        .bind(id),
                    )
                    .await?;
                for (b, chunk) in data.chunks(BATCH).enumerate() {
                    let sql = format!(
                        "INSERT INTO catalogue_rows (resource_id, row_no, added_in, data) VALUES {}",
                        values(chunk.len(), 4)
                    );
                    let mut q = query(sql);
                    for (i, row) in chunk.iter().enumerate() {
                        let row_no = last + (b * BATCH + i) as i64 + 1;
                        q = q.bind(id).bind(row_no).bind(version).bind(row.as_str());
                    }
                    tx.execute(q).await?;
                }
                tx.execute(
                    query(
                        "INSERT INTO catalogue_loads (resource_id, version, mode, rows, source, \
                         loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(version)
                    .bind(mode)
                    .bind(n)
                    .bind(&source)
                    .bind(by)
                    .bind(time::now()),
                )
                .await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "catalogue.data_loaded",
                        object_type: "catalogue_resource",
                        object_id: &code,
                        detail: serde_json::json!({
                            "version": version, "mode": mode, "rows": n, "source": source,
                        }),
                    },
                )
                .await?;
                reference::changed::<DataVersions>(tx).await?;
                Ok::<_, StoreError>(Loaded { version, rows })
            })
        })
        .await?;
    Ok(loaded)
}

/// The loads of a resource's data, newest first.
pub async fn loads(db: &Db, resource: &Resource) -> Result<Vec<Load>, CatalogueError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT version, mode, rows, source, loaded_at FROM catalogue_loads \
         WHERE resource_id = $1 ORDER BY version DESC"
    )
    .bind(resource.id)
    .fetch_all(&mut *c)
    .await)?)
}

/// The rows of `resource` as of `version` (its current ones for its newest).
pub async fn rows_at(
    db: &Db,
    resource: &Resource,
    version: i64,
) -> Result<Vec<Record>, CatalogueError> {
    let mut r = db.reader().await?;
    let texts: Vec<(String,)> = run!(r, |c| sqlx::query_as(
        "SELECT data FROM catalogue_rows WHERE resource_id = $1 AND added_in <= $2 \
         AND (removed_in IS NULL OR removed_in > $2) ORDER BY row_no"
    )
    .bind(resource.id)
    .bind(version)
    .fetch_all(&mut *c)
    .await)?;
    texts
        .into_iter()
        .map(|(t,)| {
            serde_json::from_str(&t).map_err(|e| CatalogueError::Corrupt(format!("a row: {e}")))
        })
        .collect()
}

/// Resources whose rows a node keeps at most.
const KEPT: usize = 512;

/// Each resource's current rows as this node last read them, by version:
/// a query reads the copy of the version [`DataVersions`] names, so a load
/// anywhere is seen as soon as that is.
#[derive(Default)]
pub struct RowCache {
    kept: Mutex<HashMap<i64, Kept>>,
}

/// A resource's rows as of one version.
type Kept = (i64, Arc<Vec<Record>>);

impl RowCache {
    /// The current rows of `resource`, and the version they are.
    pub async fn current(
        &self,
        db: &Db,
        resource: &Resource,
    ) -> Result<(i64, Arc<Vec<Record>>), CatalogueError> {
        let version = DataVersions::get(db).await?.of(resource.id).version;
        if let Some((v, rows)) = self.kept.lock().expect("not poisoned").get(&resource.id) {
            if *v == version {
                return Ok((version, rows.clone()));
            }
        }
        let rows = Arc::new(rows_at(db, resource, version).await?);
        let mut kept = self.kept.lock().expect("not poisoned");
        if kept.len() >= KEPT {
            kept.clear();
        }
        kept.insert(resource.id, (version, rows.clone()));
        Ok((version, rows))
    }
}
