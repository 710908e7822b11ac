//! Process definitions by version, kept in the database. A version once
//! loaded never changes (running cases depend on it); a revision is a new
//! version. The shipped definitions are loaded on start; an administrator
//! loads new ones with `egov process load` or the admin API.

use crate::definition::{DefinitionError, ProcessDefinition};
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, Reference, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A process definition shipped with the platform: its file name in
/// `data/processes/` and its text, embedded in the binary. Each system
/// ships its own and has them seeded ([`seed`]); the engine ships only what
/// it runs itself.
pub type Shipped = (&'static str, &'static str);

/// The engine's own: the follow-up a bad rating opens.
pub const ENGINE_PROCESSES: &[Shipped] = &[(
    "rating-followup.toml",
    include_str!("../../../data/processes/rating-followup.toml"),
)];

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    #[error("version {version} of process '{id}' is already loaded with other content; give the revision a new version")]
    VersionTaken { id: String, version: u32 },
    #[error("no process '{0}'")]
    Unknown(String),
    #[error("stored definition {0} no longer parses")]
    Corrupt(String, #[source] DefinitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        RegistryError::Store(e.into())
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProcessSummary {
    pub id: String,
    pub version: i32,
    pub name: String,
    pub loaded_at: Timestamp,
}

/// Loads a definition's text as a new version. Loading the same text again
/// changes nothing and answers `false`.
pub async fn load(
    db: &Db,
    ctx: &Context,
    text: &str,
) -> Result<(ProcessDefinition, bool), RegistryError> {
    let def = ProcessDefinition::parse(text)?;
    let (ctx, text) = (ctx.clone(), text.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let existing: Option<String> = tx
                .fetch_optional_scalar(
                    query("SELECT source FROM process_definitions WHERE id = $1 AND version = $2")
                        .bind(&def.id)
                        .bind(def.version as i32),
                )
                .await?;
            match existing {
                Some(s) if s == text => return Ok((def, false)),
                Some(_) => {
                    return Err(RegistryError::VersionTaken {
                        id: def.id,
                        version: def.version,
                    })
                }
                None => {}
            }
            tx.execute(
                query(
                    "INSERT INTO process_definitions (id, version, name, source, loaded_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&def.id)
                .bind(def.version as i32)
                .bind(&def.name)
                .bind(&text)
                .bind(time::now()),
            )
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "process.load",
                    object_type: "process",
                    object_id: &format!("{}@{}", def.id, def.version),
                    detail: serde_json::json!({ "name": def.name }),
                },
            )
            .await?;
            egov_store::reference::changed::<Newest>(tx).await?;
            Ok((def, true))
        })
    })
    .await
}

/// Loads the engine's own definitions that are not loaded yet.
pub async fn seed_builtin(db: &Db) -> Result<(), RegistryError> {
    seed(db, ENGINE_PROCESSES).await
}

/// Loads the shipped definitions that are not loaded yet.
pub async fn seed(db: &Db, shipped: &[Shipped]) -> Result<(), RegistryError> {
    for (file, text) in shipped {
        match load(db, &Context::system(), text).await {
            Ok(_) => {}
            // An administrator loaded this version from another text: theirs stands.
            Err(RegistryError::VersionTaken { id, version }) => {
                tracing::warn!(
                    file,
                    id,
                    version,
                    "shipped definition differs from the loaded one; keeping the loaded one"
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The newest version of every process.
pub async fn list(db: &Db) -> Result<Vec<ProcessSummary>, RegistryError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT p.id, p.version, p.name, p.loaded_at FROM process_definitions p \
         WHERE p.version = (SELECT MAX(q.version) FROM process_definitions q WHERE q.id = p.id) \
         ORDER BY p.id"
    )
    .fetch_all(&mut *c)
    .await)?)
}

type Cache = HashMap<(String, u32), Arc<ProcessDefinition>>;

/// The newest version of each process, what new cases start under: read on
/// every case started, changed when a definition is loaded.
struct Newest(HashMap<String, u32>);

impl Reference for Newest {
    const NAME: &'static str = "process_definitions";
    type Error = StoreError;

    async fn load(db: &Db) -> Result<Self, StoreError> {
        let mut r = db.reader().await?;
        let rows: Vec<(String, i32)> = run!(r, |c| sqlx::query_as(
            "SELECT id, MAX(version) FROM process_definitions GROUP BY id"
        )
        .fetch_all(&mut *c)
        .await)?;
        Ok(Newest(
            rows.into_iter()
                .map(|(id, version)| (id, version as u32))
                .collect(),
        ))
    }
}

/// Parsed definitions, cached per node. A version never changes once
/// loaded, so the cache needs no invalidation.
#[derive(Clone, Default)]
pub struct Processes {
    cache: Arc<RwLock<Cache>>,
}

impl Processes {
    pub async fn get(
        &self,
        db: &Db,
        id: &str,
        version: u32,
    ) -> Result<Arc<ProcessDefinition>, RegistryError> {
        if let Some(d) = self
            .cache
            .read()
            .expect("cache lock")
            .get(&(id.to_owned(), version))
        {
            return Ok(d.clone());
        }
        let mut r = db.reader().await?;
        let source: Option<String> = run!(r, |c| sqlx::query_scalar(
            "SELECT source FROM process_definitions WHERE id = $1 AND version = $2"
        )
        .bind(id)
        .bind(version as i32)
        .fetch_optional(&mut *c)
        .await)?;
        let source = source.ok_or_else(|| RegistryError::Unknown(format!("{id}@{version}")))?;
        let def = Arc::new(
            ProcessDefinition::parse(&source)
                .map_err(|e| RegistryError::Corrupt(format!("{id}@{version}"), e))?,
        );
        self.cache
            .write()
            .expect("cache lock")
            .insert((id.to_owned(), version), def.clone());
        Ok(def)
    }

    /// The newest version of a process: what new cases start under.
    pub async fn latest(&self, db: &Db, id: &str) -> Result<Arc<ProcessDefinition>, RegistryError> {
        let newest = db.reference::<Newest>().await?;
        let version = *newest
            .0
            .get(id)
            .ok_or_else(|| RegistryError::Unknown(id.to_owned()))?;
        self.get(db, id, version).await
    }

    /// The definition a case runs under.
    pub async fn of(
        &self,
        db: &Db,
        case: &crate::Case,
    ) -> Result<Arc<ProcessDefinition>, RegistryError> {
        self.get(db, &case.process_id, case.process_version as u32)
            .await
    }
}
