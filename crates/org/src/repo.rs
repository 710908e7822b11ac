use crate::directory::Directory;
use crate::model::{Department, DepartmentFilter, Division, DivisionLevel, NewDepartment};
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{query, Db, StoreError, Tx};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("no division with code {0}")]
    DivisionNotFound(String),
    #[error("no department with code {0}")]
    DepartmentNotFound(String),
    #[error("a department with code {0} already exists")]
    DepartmentExists(String),
    #[error("parent department {0} does not exist")]
    UnknownParent(String),
    #[error("division {0} does not exist")]
    UnknownDivision(String),
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for OrgError {
    fn from(e: sqlx::Error) -> Self {
        OrgError::Store(e.into())
    }
}

#[derive(Debug, Default, Clone)]
pub struct DivisionFilter {
    pub parent: Option<String>,
    pub level: Option<DivisionLevel>,
}

pub async fn divisions(db: &Db, filter: &DivisionFilter) -> Result<Vec<Division>, OrgError> {
    let directory = db.reference::<Directory>().await?;
    let level = filter.level.map(DivisionLevel::as_str);
    Ok(directory
        .divisions
        .iter()
        .filter(|d| filter.parent.is_none() || d.parent_code == filter.parent)
        .filter(|d| level.is_none_or(|l| d.level == l))
        .cloned()
        .collect())
}

pub async fn division(db: &Db, code: &str) -> Result<Division, OrgError> {
    let directory = db.reference::<Directory>().await?;
    directory
        .divisions
        .iter()
        .find(|d| d.code == code)
        .cloned()
        .ok_or_else(|| OrgError::DivisionNotFound(code.to_owned()))
}

pub async fn departments(db: &Db, filter: &DepartmentFilter) -> Result<Vec<Department>, OrgError> {
    let directory = directory(db).await?;
    Ok(directory.departments(filter).cloned().collect())
}

/// This node's copy of the organisation, for reads that borrow from it
/// instead of copying what they answer.
pub async fn directory(db: &Db) -> Result<Arc<Directory>, OrgError> {
    Ok(db.reference::<Directory>().await?)
}

pub async fn department(db: &Db, code: &str) -> Result<Department, OrgError> {
    let directory = db.reference::<Directory>().await?;
    directory
        .departments
        .iter()
        .find(|d| d.code == code)
        .cloned()
        .ok_or_else(|| OrgError::DepartmentNotFound(code.to_owned()))
}

/// Creates a department and its audit record in one transaction.
pub async fn create_department(
    db: &Db,
    ctx: &Context,
    new: &NewDepartment,
) -> Result<Department, OrgError> {
    if new.name.trim().is_empty() || new.name.chars().count() > 100 {
        return Err(OrgError::Invalid("name must be 1-100 characters"));
    }
    if new.code.division() != new.division.as_str() {
        return Err(OrgError::Invalid(
            "the code must start with the department's division code",
        ));
    }
    let (ctx, new) = (ctx.clone(), new.clone());
    db.write(move |tx| Box::pin(async move { insert_department(tx, &ctx, &new).await }))
        .await
}

async fn insert_department(
    tx: &mut Tx,
    ctx: &Context,
    new: &NewDepartment,
) -> Result<Department, OrgError> {
    let division_known: Option<String> = tx
        .fetch_optional_scalar(
            query("SELECT code FROM divisions WHERE code = $1").bind(new.division.as_str()),
        )
        .await?;
    if division_known.is_none() {
        return Err(OrgError::UnknownDivision(new.division.to_string()));
    }
    let parent_id: Option<i64> = match &new.parent {
        None => None,
        Some(p) => Some(
            tx.fetch_optional_scalar(
                query("SELECT id FROM departments WHERE code = $1").bind(p.as_str()),
            )
            .await?
            .ok_or_else(|| OrgError::UnknownParent(p.to_string()))?,
        ),
    };
    let insert = query(
        "INSERT INTO departments (code, name, short_name, name_en, kind, division_code, \
         parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         RETURNING id",
    )
    .bind(new.code.as_str())
    .bind(new.name.trim())
    .bind(new.short_name.as_deref())
    .bind(new.name_en.as_deref())
    .bind(new.kind.as_str())
    .bind(new.division.as_str())
    .bind(parent_id)
    .bind(time::now());
    let id: i64 = match tx.fetch_scalar(insert).await {
        Err(e) if e.is_unique_violation() => {
            return Err(OrgError::DepartmentExists(new.code.to_string()))
        }
        other => other?,
    };
    egov_store::reference::changed::<Directory>(tx).await?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "department.create",
            object_type: "department",
            object_id: new.code.as_str(),
            detail: serde_json::json!({
                "id": id,
                "name": new.name.trim(),
                "kind": new.kind.as_str(),
                "division": new.division.as_str(),
                "parent": new.parent.as_ref().map(|p| p.as_str()),
            }),
        },
    )
    .await?;
    Ok(Department {
        id,
        code: new.code.to_string(),
        name: new.name.trim().to_owned(),
        short_name: new.short_name.clone(),
        name_en: new.name_en.clone(),
        kind: new.kind.as_str().to_owned(),
        division_code: new.division.to_string(),
        parent_code: new.parent.as_ref().map(|p| p.to_string()),
    })
}

/// How many divisions and departments exist, for dashboards.
pub async fn counts(db: &Db) -> Result<(i64, i64), OrgError> {
    let directory = db.reference::<Directory>().await?;
    Ok((
        directory.divisions.len() as i64,
        directory.departments.len() as i64,
    ))
}
