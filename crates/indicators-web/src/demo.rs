//! The demonstration series on a demo start: the elements, a public
//! indicator for each, and ten years of values, loaded once (a start that
//! finds the first indicator defined loads nothing) as the system, through
//! the same checks and audit records as any report.

use crate::areas;
use egov_indicators::demo::{generate, BUILTIN};
use egov_indicators::{definition, rulebook, store, Area, IndicatorError};
use egov_kernel::Context;
use egov_store::Db;

/// Values a call to the store: one transaction each.
const BATCH: usize = 10_000;

/// Loads the built-in demonstration series unless they are there; how many
/// values were stored.
pub async fn load(db: &Db) -> Result<usize, DemoLoadError> {
    let demo = generate(BUILTIN)?;
    let Some(first) = demo.indicators.first() else {
        return Ok(0);
    };
    if definition::get(db, &first.code).await?.is_some() {
        return Ok(0);
    }
    let ctx = Context::system();
    for e in &demo.elements {
        store::define_element(db, &ctx, e).await?;
    }
    for i in &demo.indicators {
        definition::define(db, &ctx, i).await?;
    }
    for index in &demo.indices {
        rulebook::define_index(db, &ctx, index).await?;
    }
    let directory = db
        .reference::<egov_org::Directory>()
        .await
        .map_err(|e| DemoLoadError::Directory(e.to_string()))?;
    let mut stored = 0;
    for batch in demo.values.chunks(BATCH) {
        let count = store::import(
            db,
            &ctx,
            batch,
            &|a| {
                if areas::known(&directory, a) {
                    Area::Open
                } else {
                    Area::Unknown
                }
            },
            &|_, _| None,
        )
        .await?;
        stored += count.imported + count.updated;
    }
    Ok(stored)
}

#[derive(Debug, thiserror::Error)]
pub enum DemoLoadError {
    #[error(transparent)]
    Series(#[from] egov_indicators::demo::DemoError),
    #[error(transparent)]
    Store(#[from] IndicatorError),
    #[error("reading the organisation: {0}")]
    Directory(String),
}
