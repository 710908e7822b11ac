//! The demonstration documents (`data/disclosure/demo.toml`), published
//! through the same checked step as any other, one withdrawn with its
//! reason.

use crate::documents::{self, DocumentError, NewDocument};
use egov_kernel::Context;
use egov_store::{run, Db};
use serde::Deserialize;

const DEMO: &str = include_str!("../../../data/disclosure/demo.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    document: Vec<DemoDocument>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDocument {
    department: String,
    title: String,
    doc_number: Option<String>,
    issued_on: String,
    category: String,
    body: String,
    /// Withdrawn after publication, with this reason.
    withdrawn: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demonstration documents do not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("no department '{0}'")]
    Department(String),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
}

impl From<egov_store::StoreError> for DemoError {
    fn from(e: egov_store::StoreError) -> Self {
        DemoError::Document(e.into())
    }
}

/// Publishes the demonstration documents, unless documents are published
/// already; answers how many it published.
pub async fn load(db: &Db) -> Result<usize, DemoError> {
    let mut r = db.reader().await?;
    let held: i64 = run!(r, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM disclosure_documents"
    )
    .fetch_one(&mut *c)
    .await)
    .map_err(egov_store::StoreError::from)?;
    drop(r);
    if held > 0 {
        return Ok(0);
    }
    let demo: Demo = toml::from_str(DEMO)?;
    let ctx = Context::system();
    let directory = egov_org::directory(db).await?;
    for d in &demo.document {
        let department = directory
            .by_code(&d.department)
            .ok_or_else(|| DemoError::Department(d.department.clone()))?
            .id;
        let new = NewDocument {
            title: d.title.clone(),
            doc_number: d.doc_number.clone(),
            issued_on: d.issued_on.clone(),
            category: d.category.clone(),
            body: d.body.clone(),
        };
        let id = documents::publish(db, &ctx, department, None, new).await?;
        if let Some(reason) = &d.withdrawn {
            documents::withdraw(db, &ctx, (department, None), id, reason).await?;
        }
    }
    Ok(demo.document.len())
}
