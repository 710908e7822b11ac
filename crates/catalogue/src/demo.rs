//! The demonstration catalogue (`data/catalogue/demo/`): resources of the
//! city's departments, most of them open, each with its rows as a CSV file
//! loaded as its first version. The figures are illustrative.

use crate::cells::{check_table, csv_table, TableError};
use crate::hosted::{load as load_rows, LoadMode};
use crate::registry::{save, Catalogue, CatalogueError};
use crate::resource::NewResource;
use egov_kernel::Context;
use egov_store::Db;
use serde::Deserialize;

pub const RESOURCES: &str = include_str!("../../../data/catalogue/demo/resources.toml");

#[derive(rust_embed::RustEmbed)]
#[folder = "../../data/catalogue/demo/rows"]
struct Rows;

#[derive(Deserialize)]
struct Demo {
    #[serde(rename = "resource")]
    resources: Vec<NewResource>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("resources.toml: {0}")]
    File(#[from] toml::de::Error),
    #[error("{code}: {error}")]
    Rows { code: String, error: TableError },
    #[error("{0}: no rows file")]
    NoRows(String),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

/// The demonstration resources as written.
pub fn resources() -> Result<Vec<NewResource>, DemoError> {
    Ok(toml::from_str::<Demo>(RESOURCES)?.resources)
}

/// The rows file of resource `code`, as text rows.
pub fn rows_of(code: &str) -> Result<Vec<Vec<String>>, DemoError> {
    let file = Rows::get(&format!("{code}.csv")).ok_or_else(|| DemoError::NoRows(code.into()))?;
    csv_table(&file.data).map_err(|error| DemoError::Rows {
        code: code.into(),
        error,
    })
}

/// Registers the demonstration catalogue and loads its rows, unless the
/// catalogue holds something already; answers how many resources it added.
pub async fn load(db: &Db) -> Result<usize, DemoError> {
    if !Catalogue::get(db).await?.resources().is_empty() {
        return Ok(0);
    }
    let ctx = Context::system();
    let mut pending = resources()?;
    let mut registered = std::collections::HashSet::new();
    let mut n = 0;
    while !pending.is_empty() {
        // Related resources are registered before those naming them.
        let at = pending
            .iter()
            .position(|r| r.related.iter().all(|c| registered.contains(c)))
            .unwrap_or(0);
        let new = pending.remove(at);
        registered.insert(new.code.clone());
        let code = new.code.clone();
        let table = rows_of(&code)?;
        let (_, resource) = save(db, &ctx, new).await?;
        let records = check_table(&resource.items, &table).map_err(|error| DemoError::Rows {
            code: code.clone(),
            error,
        })?;
        load_rows(
            db,
            &ctx,
            &code,
            LoadMode::Replace,
            records,
            &format!("{code}.csv"),
            None,
        )
        .await?;
        n += 1;
    }
    Ok(n)
}
