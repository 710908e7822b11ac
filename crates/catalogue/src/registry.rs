//! The catalogue as registered: departments register and revise their
//! resources (one transaction each, with its audit record), and every
//! node serves the whole catalogue from memory, with the resources in the
//! shared Chinese search (facets by department, class, sharing and open
//! type), loaded again when any node changes it.

use crate::classes::Classes;
use crate::resource::{Item, NewResource, Resource, ResourceError};
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_search::{Document, SearchError, SearchIndex};
use egov_store::reference::{self, Reference};
use egov_store::{query, run, Db, Statement, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// The documents' kind in the search index.
pub const KIND: &str = "resource";

/// The facet fields the catalogue is browsed by.
pub const FACETS: [&str; 4] = ["department", "class", "sharing", "open"];

/// What registering or reading the catalogue can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error(transparent)]
    Invalid(#[from] ResourceError),
    #[error("no department '{0}'")]
    UnknownDepartment(String),
    #[error("related resource '{0}' is not in the catalogue")]
    UnknownRelated(String),
    #[error("no resource '{0}'")]
    NotFound(String),
    #[error("resource code '{0}' is registered already")]
    CodeTaken(String),
    #[error("信息项 '{0}' holds loaded data: its name and type stay (new 信息项 may be added)")]
    ItemsChanged(String),
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    #[error("indexing the catalogue")]
    Search(#[from] SearchError),
    #[error("the indexing task stopped")]
    Join(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CatalogueError {
    fn from(e: sqlx::Error) -> Self {
        CatalogueError::Store(e.into())
    }
}

const COLUMNS: &str = "SELECT r.id, r.code, r.department_id, d.code AS department, r.class_code, \
     r.name, r.name_en, r.abstract, r.abstract_en, r.keywords, r.format, r.update_cycle, \
     r.published_on, r.sharing, r.sharing_condition, r.sharing_method, r.legal_basis, r.open, \
     r.related, r.items, r.created_at, r.updated_at \
     FROM catalogue_resources r JOIN departments d ON d.id = r.department_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    code: String,
    department_id: i64,
    department: String,
    class_code: String,
    name: String,
    name_en: Option<String>,
    #[sqlx(rename = "abstract")]
    summary: String,
    abstract_en: Option<String>,
    keywords: String,
    format: String,
    update_cycle: crate::resource::UpdateCycle,
    published_on: chrono::NaiveDate,
    sharing: crate::resource::Sharing,
    sharing_condition: Option<String>,
    sharing_method: Option<crate::resource::SharingMethod>,
    legal_basis: Option<String>,
    open: crate::resource::OpenType,
    related: String,
    items: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, CatalogueError> {
    serde_json::from_str(text)
        .map_err(|e| CatalogueError::Corrupt(format!("a resource's {what}: {e}")))
}

impl Row {
    fn resource(self) -> Result<Resource, CatalogueError> {
        Ok(Resource {
            id: self.id,
            code: self.code,
            department_id: self.department_id,
            department: self.department,
            class: self.class_code,
            name: self.name,
            name_en: self.name_en,
            summary: self.summary,
            abstract_en: self.abstract_en,
            keywords: json(&self.keywords, "keywords")?,
            format: self.format,
            update_cycle: self.update_cycle,
            published: self.published_on,
            sharing: self.sharing,
            sharing_condition: self.sharing_condition,
            sharing_method: self.sharing_method,
            legal_basis: self.legal_basis,
            open: self.open,
            related: json(&self.related, "related")?,
            items: json(&self.items, "items")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The whole catalogue, as this node serves it.
pub struct Catalogue {
    /// By code (so by department code, then number): CKAN's browse by
    /// name finds them in order already.
    resources: Vec<Resource>,
    by_code: HashMap<String, usize>,
    index: Arc<SearchIndex>,
}

/// A resource as a search document.
fn document(r: &Resource, department_name: &str) -> Document {
    let mut body = vec![
        department_name.to_owned(),
        r.summary.clone(),
        r.format.clone(),
    ];
    body.extend(r.items.iter().map(|i| i.title.clone()));
    body.extend(r.name_en.iter().cloned());
    body.extend(r.abstract_en.iter().cloned());
    if let Some(c) = Classes::shipped().class(&r.class) {
        body.push(c.name.clone());
    }
    Document {
        id: r.code.clone(),
        kind: KIND.to_owned(),
        title: r.name.clone(),
        keywords: r.keywords.clone(),
        body: body.join("\n"),
        facets: vec![
            ("department".to_owned(), r.department.clone()),
            ("class".to_owned(), r.class.clone()),
            ("sharing".to_owned(), r.sharing.as_str().to_owned()),
            ("open".to_owned(), r.open.as_str().to_owned()),
        ],
    }
}

impl Reference for Catalogue {
    const NAME: &'static str = "catalogue_resources";
    type Error = CatalogueError;

    async fn load(db: &Db) -> Result<Self, CatalogueError> {
        let mut r = db.reader().await?;
        let rows: Vec<Row> = run!(r, |c| sqlx::query_as(COLUMNS).fetch_all(&mut *c).await)?;
        drop(r);
        let mut resources = rows
            .into_iter()
            .map(Row::resource)
            .collect::<Result<Vec<_>, _>>()?;
        // By bytes, as CKAN's clients compare names (not a database collation).
        resources.sort_unstable_by(|a, b| a.code.cmp(&b.code));
        let directory = egov_org::directory(db).await?;
        let docs: Vec<Document> = resources
            .iter()
            .map(|r| document(r, &directory.name_of(r.department_id)))
            .collect();
        let index = tokio::task::spawn_blocking(move || -> Result<SearchIndex, SearchError> {
            let index = SearchIndex::in_memory()?;
            index.rebuild(docs)?;
            Ok(index)
        })
        .await??;
        let by_code = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        Ok(Catalogue {
            resources,
            by_code,
            index: Arc::new(index),
        })
    }
}

impl Catalogue {
    /// The catalogue this node serves (read again when it changed).
    pub async fn get(db: &Db) -> Result<Arc<Catalogue>, CatalogueError> {
        db.reference::<Catalogue>().await
    }

    /// Every resource, by department then code.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn by_code(&self, code: &str) -> Option<&Resource> {
        self.by_code.get(code).map(|&i| &self.resources[i])
    }

    /// A resource by its code in any case (CKAN names are lower case).
    pub fn by_slug(&self, slug: &str) -> Option<&Resource> {
        self.by_code(&slug.to_ascii_uppercase())
            .or_else(|| self.by_code(slug))
    }

    /// The resources open to the public.
    pub fn open(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(|r| r.is_open())
    }

    /// Searches the catalogue (off the executor); hits are resource codes.
    pub async fn search(
        &self,
        q: egov_search::Query,
    ) -> Result<egov_search::Results, CatalogueError> {
        let index = self.index.clone();
        Ok(tokio::task::spawn_blocking(move || index.search(&q.kind(KIND))).await??)
    }
}

/// Whether the revised items keep every item that holds loaded data.
fn keeps_loaded_items(old: &[Item], new: &[Item]) -> Result<(), CatalogueError> {
    for item in old {
        if !new
            .iter()
            .any(|n| n.name == item.name && n.kind == item.kind)
        {
            return Err(CatalogueError::ItemsChanged(item.name.clone()));
        }
    }
    Ok(())
}

/// Whether a resource was new or revised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Registered,
    Revised,
}

/// Registers resource `new`, or revises it if its code is registered:
/// checked, one transaction with its audit record; every node reloads the
/// catalogue. Who may is the caller's to decide (the provider's catalogue
/// administrators). A registration that meets the same code registered
/// meanwhile is refused ([`CatalogueError::CodeTaken`]), never turned into a
/// revision of what the other wrote.
pub async fn save(
    db: &Db,
    ctx: &Context,
    new: NewResource,
) -> Result<(Saved, Resource), CatalogueError> {
    let new = new.check(Classes::shipped())?;
    let directory = egov_org::directory(db).await?;
    let department = directory
        .by_code(&new.department)
        .ok_or_else(|| CatalogueError::UnknownDepartment(new.department.clone()))?
        .id;
    let catalogue = Catalogue::get(db).await?;
    if let Some(r) = new.related.iter().find(|r| catalogue.by_code(r).is_none()) {
        return Err(CatalogueError::UnknownRelated(r.clone()));
    }
    let existing = catalogue.by_code(&new.code).cloned();
    let saved = if existing.is_some() {
        Saved::Revised
    } else {
        Saved::Registered
    };
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let now = time::now();
            if let Some(old) = &existing {
                // Read here, where no load can come between.
                let loaded: i64 = tx
                    .fetch_scalar(
                        query("SELECT data_version FROM catalogue_resources WHERE id = $1")
                            .bind(old.id),
                    )
                    .await?;
                if loaded > 0 {
                    keeps_loaded_items(&old.items, &new.items)?;
                }
            }
            let columns = Columns {
                department,
                keywords: serde_json::to_string(&new.keywords).expect("strings serialise"),
                related: serde_json::to_string(&new.related).expect("strings serialise"),
                items: serde_json::to_string(&new.items).expect("items serialise"),
                now,
            };
            let stored: Option<(i64, Timestamp)> = match &existing {
                None => {
                    tx.fetch_optional(columns.bind(&new, query(REGISTER)))
                        .await?
                }
                Some(old) => {
                    tx.fetch_optional(columns.bind(&new, query(REVISE)).bind(old.id))
                        .await?
                }
            };
            let (id, created_at) = stored.ok_or_else(|| match saved {
                Saved::Registered => CatalogueError::CodeTaken(new.code.clone()),
                Saved::Revised => CatalogueError::NotFound(new.code.clone()),
            })?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: match saved {
                        Saved::Registered => "catalogue.registered",
                        Saved::Revised => "catalogue.revised",
                    },
                    object_type: "catalogue_resource",
                    object_id: &new.code,
                    detail: serde_json::json!({
                        "name": new.name, "sharing": new.sharing, "open": new.open,
                    }),
                },
            )
            .await?;
            reference::changed::<Catalogue>(tx).await?;
            // As the catalogue will read it back, without waiting for that.
            Ok::<_, CatalogueError>((
                saved,
                Resource::stored(new, id, department, created_at, now),
            ))
        })
    })
    .await
}

/// A resource's columns in the order [`REGISTER`] and [`REVISE`] bind them.
const REGISTER: &str = "INSERT INTO catalogue_resources (code, department_id, class_code, name, \
     name_en, abstract, abstract_en, keywords, format, update_cycle, published_on, sharing, \
     sharing_condition, sharing_method, legal_basis, open, related, items, created_at, \
     updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     $19, $19) \
     ON CONFLICT (code) DO NOTHING RETURNING id, created_at";

/// The same binds as [`REGISTER`] and the resource's id as `$20`; the code
/// and department stay.
const REVISE: &str = "UPDATE catalogue_resources SET class_code = $3, name = $4, name_en = $5, \
     abstract = $6, abstract_en = $7, keywords = $8, format = $9, update_cycle = $10, \
     published_on = $11, sharing = $12, sharing_condition = $13, sharing_method = $14, \
     legal_basis = $15, open = $16, related = $17, items = $18, updated_at = $19 \
     WHERE id = $20 AND code = $1 AND department_id = $2 RETURNING id, created_at";

/// What a resource's row stores beyond its own fields.
struct Columns {
    department: i64,
    keywords: String,
    related: String,
    items: String,
    now: Timestamp,
}

impl Columns {
    fn bind<'q>(&'q self, new: &'q NewResource, statement: Statement<'q>) -> Statement<'q> {
        statement
            .bind(&new.code)
            .bind(self.department)
            .bind(&new.class)
            .bind(&new.name)
            .bind(&new.name_en)
            .bind(&new.summary)
            .bind(&new.abstract_en)
            .bind(&self.keywords)
            .bind(&new.format)
            .bind(new.update_cycle)
            .bind(new.published)
            .bind(new.sharing)
            .bind(&new.sharing_condition)
            .bind(new.sharing_method)
            .bind(&new.legal_basis)
            .bind(new.open)
            .bind(&self.related)
            .bind(&self.items)
            .bind(self.now)
    }
}
