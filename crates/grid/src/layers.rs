//! The grid as the platform keeps it: its areas and the classes of
//! problems, in the database, and a copy of both on each node, indexed
//! (a reference set: an import or a new classes version is served by every
//! node within a second).

use crate::classes::{ClassesError, Classification, SHIPPED};
use crate::map::{geometry_json, Area, GridMap, Level, MapError};
use crate::routing::{RoutingRules, RulesError, SHIPPED_RULES};
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::reference::{self, Reference};
use egov_store::{query, run, Db, StoreError};
use std::sync::Arc;

/// The grid a node serves from.
#[derive(Debug)]
pub struct Grid {
    pub map: GridMap,
    pub classes: Arc<Classification>,
    /// The routing rules in force (the newest version loaded).
    pub routing: Arc<RoutingRules>,
}

/// What loading or changing the grid can fail with.
#[derive(Debug, thiserror::Error)]
pub enum LayersError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the grid's areas: {0}")]
    Map(#[from] MapError),
    #[error("the classes of problems: {0}")]
    Classes(#[from] ClassesError),
    #[error("the routing rules: {0}")]
    Rules(#[from] RulesError),
    #[error("version {0} is loaded already; give the file a new version")]
    VersionTaken(String),
}

impl Reference for Grid {
    const NAME: &'static str = "grid";
    type Error = LayersError;

    async fn load(db: &Db) -> Result<Self, LayersError> {
        let mut r = db.reader().await?;
        let rows: Vec<(String, String, String)> = run!(r, |c| sqlx::query_as(
            "SELECT code, name, geometry FROM grid_areas ORDER BY code"
        )
        .fetch_all(&mut *c)
        .await)
        .map_err(StoreError::from)?;
        let classes: Option<String> = run!(r, |c| sqlx::query_scalar(
            "SELECT source FROM grid_classifications ORDER BY id DESC LIMIT 1"
        )
        .fetch_optional(&mut *c)
        .await)
        .map_err(StoreError::from)?;
        let rules: Option<String> = run!(r, |c| sqlx::query_scalar(
            "SELECT source FROM grid_routing_rules ORDER BY id DESC LIMIT 1"
        )
        .fetch_optional(&mut *c)
        .await)
        .map_err(StoreError::from)?;
        drop(r);
        // Parsing ten thousand polygons and building the index is CPU work:
        // off the executor.
        tokio::task::spawn_blocking(move || {
            let areas = rows
                .into_iter()
                .map(|(code, name, geometry)| {
                    let level = Level::of_code(&code).ok_or_else(|| MapError::Feature {
                        index: 0,
                        problem: format!("stored code {code} is not a grid code"),
                    })?;
                    let value: serde_json::Value = serde_json::from_str(&geometry)
                        .map_err(|e| MapError::NotGeoJson(e.to_string()))?;
                    let shape = crate::map::geometry_from_json(&value)
                        .map_err(|problem| MapError::Feature { index: 0, problem })?;
                    Ok(Area {
                        code,
                        level,
                        name,
                        shape,
                    })
                })
                .collect::<Result<Vec<_>, MapError>>()?;
            let classes = Classification::parse(classes.as_deref().unwrap_or(SHIPPED))?;
            let routing = RoutingRules::parse(rules.as_deref().unwrap_or(SHIPPED_RULES))?;
            Ok(Grid {
                map: GridMap::new(areas)?,
                classes: Arc::new(classes),
                routing: Arc::new(routing),
            })
        })
        .await
        .expect("loading the grid does not panic")
    }
}

/// The grid this node serves.
pub async fn grid(db: &Db) -> Result<Arc<Grid>, LayersError> {
    db.reference::<Grid>().await
}

/// Stores areas (replacing those with the same codes), all or none: the
/// whole grid they make with what is stored must hold together (every
/// area's parent present). Returns how many were stored.
pub async fn import_areas(db: &Db, ctx: &Context, areas: Vec<Area>) -> Result<usize, LayersError> {
    let current = grid(db).await?;
    let mut all: std::collections::BTreeMap<String, Area> = Level::ALL
        .into_iter()
        .flat_map(|l| current.map.areas(l).cloned())
        .map(|a| (a.code.clone(), a))
        .collect();
    for a in &areas {
        all.insert(a.code.clone(), a.clone());
    }
    // Checks the whole: duplicates within the file, parents missing.
    let mut seen = std::collections::HashSet::new();
    for a in &areas {
        if !seen.insert(a.code.as_str()) {
            return Err(MapError::Duplicate(a.code.clone()).into());
        }
    }
    GridMap::new(all.into_values().collect())?;
    let rows: Vec<(String, String, String, String)> = areas
        .iter()
        .map(|a| {
            (
                a.code.clone(),
                a.level.as_str().to_owned(),
                a.name.clone(),
                geometry_json(&a.shape).to_string(),
            )
        })
        .collect();
    let count = rows.len();
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            for (code, level, name, geometry) in &rows {
                tx.execute(
                    query(
                        "INSERT INTO grid_areas (code, level, name, geometry) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (code) DO UPDATE SET level = excluded.level, name = excluded.name, \
                         geometry = excluded.geometry",
                    )
                    .bind(code)
                    .bind(level)
                    .bind(name)
                    .bind(geometry),
                )
                .await?;
            }
            reference::changed::<Grid>(tx).await?;
            let districts: std::collections::BTreeSet<&str> =
                rows.iter().map(|(code, ..)| &code[..6]).collect();
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "grid.areas_imported",
                    object_type: "grid",
                    object_id: "areas",
                    detail: serde_json::json!({"areas": rows.len(), "districts": districts}),
                },
            )
            .await?;
            Ok::<_, StoreError>(())
        })
    })
    .await?;
    Ok(count)
}

/// Loads a new version of the classes of problems; reports filed from now
/// on are filed under it. Refused if the file does not check or its
/// version is loaded already.
pub async fn load_classes(db: &Db, ctx: &Context, text: &str) -> Result<String, LayersError> {
    let version = Classification::parse(text)?.version;
    load_version(db, ctx, Versioned::Classes, version, text).await
}

/// Loads a new version of the routing rules; reports opened from now on
/// are routed by it. Refused if the file does not check (against the
/// classes in force too) or its version is loaded already.
pub async fn load_routing_rules(db: &Db, ctx: &Context, text: &str) -> Result<String, LayersError> {
    let rules = RoutingRules::parse(text)?;
    rules.check_classes(&grid(db).await?.classes)?;
    load_version(db, ctx, Versioned::RoutingRules, rules.version, text).await
}

/// The grid's data files an administrator loads in versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versioned {
    Classes,
    RoutingRules,
}

impl Versioned {
    /// The file shipped with egov, in force until a version is loaded.
    pub fn shipped(self) -> &'static str {
        match self {
            Versioned::Classes => SHIPPED,
            Versioned::RoutingRules => SHIPPED_RULES,
        }
    }

    fn table(self) -> &'static str {
        match self {
            Versioned::Classes => "grid_classifications",
            Versioned::RoutingRules => "grid_routing_rules",
        }
    }

    fn audit(self) -> (&'static str, &'static str) {
        match self {
            Versioned::Classes => ("grid.classes_loaded", "classes"),
            Versioned::RoutingRules => ("grid.routing_rules_loaded", "routing_rules"),
        }
    }
}

/// One loaded version of a data file.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Loaded {
    pub version: String,
    pub loaded_at: Timestamp,
}

/// The versions of a data file loaded so far, the one in force first.
pub async fn versions(db: &Db, what: Versioned) -> Result<Vec<Loaded>, LayersError> {
    let sql = format!(
        "SELECT version, loaded_at FROM {} ORDER BY id DESC",
        what.table()
    );
    let mut r = db.reader().await?;
    let loaded =
        run!(r, |c| sqlx::query_as(&sql).fetch_all(&mut *c).await).map_err(StoreError::from)?;
    Ok(loaded)
}

/// The data file in force as it was loaded, or the shipped one if no
/// version was loaded yet.
pub async fn in_force(db: &Db, what: Versioned) -> Result<String, LayersError> {
    let sql = format!(
        "SELECT source FROM {} ORDER BY id DESC LIMIT 1",
        what.table()
    );
    let mut r = db.reader().await?;
    let source: Option<String> = run!(r, |c| sqlx::query_scalar(&sql)
        .fetch_optional(&mut *c)
        .await)
    .map_err(StoreError::from)?;
    Ok(source.unwrap_or_else(|| what.shipped().to_owned()))
}

/// Stores a checked file under its version, with its audit record.
async fn load_version(
    db: &Db,
    ctx: &Context,
    what: Versioned,
    version: String,
    text: &str,
) -> Result<String, LayersError> {
    let (text, ctx, v) = (text.to_owned(), ctx.clone(), version.clone());
    let table = what.table();
    let (action, object_id) = what.audit();
    let stored = db
        .write(move |tx| {
            Box::pin(async move {
                let taken: Option<i64> = tx
                    .fetch_optional_scalar(
                        query(format!("SELECT id FROM {table} WHERE version = $1")).bind(&v),
                    )
                    .await?;
                if taken.is_some() {
                    return Ok(false);
                }
                tx.execute(
                    query(format!(
                        "INSERT INTO {table} (version, source, loaded_at) VALUES ($1, $2, $3)"
                    ))
                    .bind(&v)
                    .bind(&text)
                    .bind(time::now()),
                )
                .await?;
                reference::changed::<Grid>(tx).await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action,
                        object_type: "grid",
                        object_id,
                        detail: serde_json::json!({"version": v}),
                    },
                )
                .await?;
                Ok::<_, StoreError>(true)
            })
        })
        .await?;
    if stored {
        Ok(version)
    } else {
        Err(LayersError::VersionTaken(version))
    }
}

/// Loads the shipped classes if none are stored (a fresh database).
pub async fn seed_classes(db: &Db) -> Result<(), LayersError> {
    let mut r = db.reader().await?;
    let any: Option<i64> = run!(r, |c| sqlx::query_scalar(
        "SELECT id FROM grid_classifications LIMIT 1"
    )
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    drop(r);
    if any.is_some() {
        return Ok(());
    }
    match load_classes(db, &Context::system(), SHIPPED).await {
        Ok(_) | Err(LayersError::VersionTaken(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
