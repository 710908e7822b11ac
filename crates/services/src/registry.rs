//! Service items in the database: every loaded version of each guide, the
//! one on offer (published), and withdrawal. The items shipped in
//! `data/services/` are loaded and published on start; administrators load
//! revisions as new versions, which stay drafts until published.

use crate::guide::{Guide, GuideError};
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_org::OrgError;
use egov_store::{query, run, Db, Reference, StoreError, Tx};
use rust_embed::RustEmbed;
use serde::Serialize;
use std::collections::HashMap;

/// The guides shipped in `data/services/`.
#[derive(RustEmbed)]
#[folder = "../../data/services"]
#[include = "*.toml"]
struct Shipped;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Guide(#[from] GuideError),
    #[error("department {0} does not exist")]
    UnknownDepartment(String),
    #[error("version {version} of item {code} is already loaded with other content; give the revision a new version")]
    VersionTaken { code: String, version: u32 },
    #[error("item {code} is at version {latest}; a revision needs a higher version")]
    VersionBehind { code: String, latest: u32 },
    #[error("no service item {0}")]
    Unknown(String),
    #[error("stored guide {0} no longer parses")]
    Corrupt(String, #[source] GuideError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        RegistryError::Store(e.into())
    }
}

egov_store::text_enum! {
    /// Where an item stands.
    pub enum ItemStatus {
        /// Loaded, never published.
        Draft = "draft",
        Published = "published",
        Withdrawn = "withdrawn",
    }
}

/// An item as offered: its published guide (or, for a draft, the newest).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceItem {
    pub department_id: i64,
    pub status: ItemStatus,
    /// A newer version waits to be published.
    pub draft_version: Option<u32>,
    pub updated_at: Timestamp,
    pub guide: Guide,
}

/// Whether [`load`] stored a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    New,
    Unchanged,
}

async fn department_id(db: &Db, code: &str) -> Result<i64, RegistryError> {
    match egov_org::department(db, code).await {
        Ok(d) => Ok(d.id),
        Err(OrgError::DepartmentNotFound(c)) => Err(RegistryError::UnknownDepartment(c)),
        Err(OrgError::Store(e)) => Err(e.into()),
        Err(other) => Err(RegistryError::UnknownDepartment(other.to_string())),
    }
}

/// Loads a guide's text as a new version (a draft until published).
/// Loading the same text again changes nothing.
pub async fn load(db: &Db, ctx: &Context, text: &str) -> Result<(Guide, Loaded), RegistryError> {
    let guide = Guide::parse(text)?;
    let dept = department_id(db, &guide.department).await?;
    for c in &guide.co_departments {
        department_id(db, c).await?;
    }
    let (ctx, text) = (ctx.clone(), text.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let existing: Option<String> = tx
                .fetch_optional_scalar(
                    query("SELECT source FROM service_item_versions WHERE code = $1 AND version = $2")
                        .bind(&guide.code)
                        .bind(guide.version as i32),
                )
                .await?;
            match existing {
                Some(s) if s == text => return Ok((guide, Loaded::Unchanged)),
                Some(_) => {
                    return Err(RegistryError::VersionTaken {
                        code: guide.code,
                        version: guide.version,
                    })
                }
                None => {}
            }
            let latest: Option<i32> = tx
                .fetch_optional_scalar(
                    query("SELECT latest_version FROM service_items WHERE code = $1").bind(&guide.code),
                )
                .await?;
            let now = time::now();
            match latest {
                Some(l) if l as u32 > guide.version => {
                    return Err(RegistryError::VersionBehind {
                        code: guide.code,
                        latest: l as u32,
                    })
                }
                Some(_) => tx
                    .execute(
                        query(
                            "UPDATE service_items SET latest_version = $1, updated_at = $2 WHERE code = $3",
                        )
                        .bind(guide.version as i32)
                        .bind(now)
                        .bind(&guide.code),
                    )
                    .await
                    .map(|_| ())?,
                None => tx
                    .execute(
                        query(
                            "INSERT INTO service_items (code, department_id, latest_version, updated_at) \
                     VALUES ($1, $2, $3, $4)",
                        )
                        .bind(&guide.code)
                        .bind(dept)
                        .bind(guide.version as i32)
                        .bind(now),
                    )
                    .await
                    .map(|_| ())?,
            }
            tx.execute(
                query(
                    "INSERT INTO service_item_versions (code, version, name, source, loaded_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&guide.code)
                .bind(guide.version as i32)
                .bind(&guide.name)
                .bind(&text)
                .bind(now),
            )
            .await
            .map(|_| ())?;
            audit(tx, &ctx, "service.load", &guide, dept).await?;
            egov_store::reference::changed::<Catalog>(tx).await?;
            Ok((guide, Loaded::New))
        })
    })
    .await
}

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    guide: &Guide,
    department_id: i64,
) -> Result<(), StoreError> {
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "service_item",
            object_id: &format!("{}@{}", guide.code, guide.version),
            detail: serde_json::json!({ "name": guide.name, "department_id": department_id }),
        },
    )
    .await?;
    Ok(())
}

/// Offers the newest loaded version of `code` (and offers a withdrawn item
/// again).
pub async fn publish(db: &Db, ctx: &Context, code: &str) -> Result<Guide, RegistryError> {
    let (ctx, code) = (ctx.clone(), code.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let source: Option<String> = tx
                .fetch_optional_scalar(
                    query(
                        "SELECT v.source FROM service_items i JOIN service_item_versions v \
                 ON v.code = i.code AND v.version = i.latest_version WHERE i.code = $1",
                    )
                    .bind(&code),
                )
                .await?;
            let source = source.ok_or_else(|| RegistryError::Unknown(code.clone()))?;
            let guide = Guide::parse(&source).map_err(|e| RegistryError::Corrupt(code.clone(), e))?;
            // On the transaction's own connection: no second connection is taken
            // while the writer is held.
            let dept: Option<i64> = tx
                .fetch_optional_scalar(
                    query("SELECT id FROM departments WHERE code = $1").bind(&guide.department),
                )
                .await?;
            let dept = dept.ok_or_else(|| RegistryError::UnknownDepartment(guide.department.clone()))?;
            tx.execute(
                query(
                    "UPDATE service_items SET published_version = latest_version, withdrawn_at = NULL, \
                 department_id = $1, updated_at = $2 WHERE code = $3",
                )
                .bind(dept)
                .bind(time::now())
                .bind(&code),
            )
            .await
            .map(|_| ())?;
            audit(tx, &ctx, "service.publish", &guide, dept).await?;
            egov_store::reference::changed::<Catalog>(tx).await?;
            Ok(guide)
        })
    })
    .await
}

/// Stops offering an item. Applications already filed go on under the
/// version they were filed under.
pub async fn withdraw(db: &Db, ctx: &Context, code: &str) -> Result<(), RegistryError> {
    let item = get(db, code).await?;
    let (ctx, code) = (ctx.clone(), code.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "UPDATE service_items SET withdrawn_at = $1, updated_at = $1 WHERE code = $2",
                )
                .bind(time::now())
                .bind(&code),
            )
            .await
            .map(|_| ())?;
            audit(
                tx,
                &ctx,
                "service.withdraw",
                &item.guide,
                item.department_id,
            )
            .await?;
            egov_store::reference::changed::<Catalog>(tx).await?;
            Ok(())
        })
    })
    .await
}

/// Loads and publishes the shipped items not loaded yet. An item an
/// administrator revised or withdrew keeps what they did.
pub async fn seed_builtin(db: &Db) -> Result<usize, RegistryError> {
    let ctx = Context::system();
    let mut published = 0;
    for file in Shipped::iter() {
        let Some(f) = Shipped::get(&file) else {
            continue;
        };
        let text = String::from_utf8_lossy(&f.data);
        match load(db, &ctx, &text).await {
            Ok((g, Loaded::New)) => {
                publish(db, &ctx, &g.code).await?;
                published += 1;
            }
            Ok((_, Loaded::Unchanged)) => {}
            Err(e @ (RegistryError::VersionTaken { .. } | RegistryError::VersionBehind { .. })) => {
                tracing::warn!(file = %file, error = %e, "shipped item differs from the loaded one; keeping the loaded one");
            }
            // Without the demo organisation the shipped items have no department.
            Err(e @ RegistryError::UnknownDepartment(_)) => {
                tracing::warn!(file = %file, error = %e, "shipped item skipped");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(published)
}

#[derive(sqlx::FromRow)]
struct Row {
    department_id: i64,
    latest_version: i32,
    published_version: Option<i32>,
    withdrawn_at: Option<Timestamp>,
    updated_at: Timestamp,
    source: String,
    code: String,
}

impl Row {
    fn status(&self) -> ItemStatus {
        match (self.published_version, self.withdrawn_at) {
            (None, _) => ItemStatus::Draft,
            (Some(_), Some(_)) => ItemStatus::Withdrawn,
            (Some(_), None) => ItemStatus::Published,
        }
    }

    fn listed(self) -> Listed {
        let status = self.status();
        let item = Guide::parse(&self.source).map(|guide| ServiceItem {
            department_id: self.department_id,
            status,
            draft_version: (self
                .published_version
                .is_some_and(|p| p < self.latest_version))
            .then_some(self.latest_version as u32),
            updated_at: self.updated_at,
            guide,
        });
        Listed {
            code: self.code,
            department_id: self.department_id,
            status,
            item,
        }
    }
}

/// An item in the catalogue; a stored guide that no longer parses is kept
/// as its error, so that the item alone fails.
struct Listed {
    code: String,
    department_id: i64,
    status: ItemStatus,
    item: Result<ServiceItem, GuideError>,
}

impl Listed {
    fn item(&self) -> Result<ServiceItem, RegistryError> {
        self.item
            .clone()
            .map_err(|e| RegistryError::Corrupt(self.code.clone(), e))
    }
}

/// The guide on offer is the published version; an item never published
/// shows its newest.
const ITEM_COLUMNS: &str =
    "SELECT i.code, i.department_id, i.latest_version, i.published_version, \
     i.withdrawn_at, i.updated_at, v.source FROM service_items i JOIN service_item_versions v \
     ON v.code = i.code AND v.version = COALESCE(i.published_version, i.latest_version)";

/// Every item as offered, each guide parsed once per change of the
/// catalogue: the hall reads items on nearly every page and filing, and
/// administrators load, publish and withdraw a few times a week.
struct Catalog {
    /// In browsing order: by department, then name.
    items: Vec<Listed>,
    by_code: HashMap<String, usize>,
}

impl Reference for Catalog {
    const NAME: &'static str = "service_items";
    type Error = RegistryError;

    async fn load(db: &Db) -> Result<Self, RegistryError> {
        let mut r = db.reader().await?;
        let sql = format!("{ITEM_COLUMNS} ORDER BY i.department_id, v.name, i.code");
        let rows: Vec<Row> = run!(r, |c| sqlx::query_as(&sql).fetch_all(&mut *c).await)?;
        drop(r);
        let items: Vec<Listed> = rows.into_iter().map(Row::listed).collect();
        let by_code = items
            .iter()
            .enumerate()
            .map(|(i, listed)| (listed.code.clone(), i))
            .collect();
        Ok(Catalog { items, by_code })
    }
}

/// An item in any status.
pub async fn get(db: &Db, code: &str) -> Result<ServiceItem, RegistryError> {
    let catalog = db.reference::<Catalog>().await?;
    match catalog.by_code.get(code) {
        Some(&i) => catalog.items[i].item(),
        None => Err(RegistryError::Unknown(code.to_owned())),
    }
}

/// One version of a guide, as an application filed under it sees it.
pub async fn version(db: &Db, code: &str, version: u32) -> Result<Guide, RegistryError> {
    // Nearly always the version on offer; versions never change once loaded.
    if let Ok(item) = get(db, code).await {
        if item.guide.version == version {
            return Ok(item.guide);
        }
    }
    let mut r = db.reader().await?;
    let source: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT source FROM service_item_versions WHERE code = $1 AND version = $2"
    )
    .bind(code)
    .bind(version as i32)
    .fetch_optional(&mut *c)
    .await)?;
    let source = source.ok_or_else(|| RegistryError::Unknown(format!("{code}@{version}")))?;
    Guide::parse(&source).map_err(|e| RegistryError::Corrupt(code.to_owned(), e))
}

/// What a visitor browses by; empty means any.
#[derive(Debug, Clone, Default)]
pub struct Browse {
    pub department_id: Option<i64>,
    pub audience: Option<String>,
    pub life_event: Option<String>,
    /// Include drafts and withdrawn items (administrators).
    pub all: bool,
}

/// Items on offer matching `b`, by department and name.
pub async fn browse(db: &Db, b: &Browse) -> Result<Vec<ServiceItem>, RegistryError> {
    let catalog = db.reference::<Catalog>().await?;
    let mut out = Vec::new();
    let listed = catalog.items.iter().filter(|l| {
        b.department_id.is_none_or(|d| d == l.department_id)
            && (b.all || l.status == ItemStatus::Published)
    });
    for l in listed {
        let item = l.item()?;
        let g = &item.guide;
        if b.audience
            .as_ref()
            .is_some_and(|a| !g.audiences.contains(a))
            || b.life_event
                .as_ref()
                .is_some_and(|e| !g.life_events.contains(e))
        {
            continue;
        }
        out.push(item);
    }
    Ok(out)
}
