//! Every division and department, served from memory: they are read on
//! nearly every page and change a few times a year (see
//! [`egov_store::reference`]).

use crate::model::{Department, DepartmentFilter, Division};
use egov_store::{run, Db, Reference, StoreError};
use std::collections::HashMap;

/// The city's own division (北京市), whose municipal agencies serve it all.
pub const CITY_DIVISION: &str = "110000";

/// The organisation as this node last loaded it, each list in code order.
pub struct Directory {
    pub(crate) divisions: Vec<Division>,
    pub(crate) departments: Vec<Department>,
    /// Each department's place in `departments`, by row id.
    by_id: HashMap<i64, usize>,
}

const DIVISION_COLUMNS: &str = "SELECT code, name, name_en, level, parent_code FROM divisions";

const DEPARTMENT_COLUMNS: &str = "SELECT d.id, d.code, d.name, d.short_name, \
     d.name_en, d.kind, d.division_code, p.code AS parent_code \
     FROM departments d LEFT JOIN departments p ON p.id = d.parent_id";

impl Directory {
    /// The department with row id `id`.
    pub fn department(&self, id: i64) -> Option<&Department> {
        self.by_id.get(&id).map(|&i| &self.departments[i])
    }

    /// Every division, in code order.
    pub fn divisions(&self) -> &[Division] {
        &self.divisions
    }

    /// The division with code `code`.
    pub fn division(&self, code: &str) -> Option<&Division> {
        self.divisions
            .binary_search_by(|d| d.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.divisions[i])
    }

    /// The city's own agencies (市级部门): those a person writes to,
    /// petitions or asks for information, in code order.
    pub fn municipal_agencies(&self) -> impl Iterator<Item = &Department> + '_ {
        self.departments
            .iter()
            .filter(|d| d.division_code == CITY_DIVISION && d.kind == "municipal")
    }

    /// The department with public code `code`.
    pub fn by_code(&self, code: &str) -> Option<&Department> {
        self.departments
            .binary_search_by(|d| d.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.departments[i])
    }

    /// The public code of department `id`: what the API names it by. Empty
    /// for an id this node does not know (a department made a moment ago on
    /// another node).
    pub fn code_of(&self, id: i64) -> String {
        self.department(id)
            .map(|d| d.code.clone())
            .unwrap_or_default()
    }

    /// The name of department `id`, empty for an id this node does not know.
    pub fn name_of(&self, id: i64) -> String {
        self.department(id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    }

    /// The department's English name, where one is kept.
    pub fn name_en_of(&self, id: i64) -> Option<String> {
        self.department(id).and_then(|d| d.name_en.clone())
    }

    /// The departments `filter` lets through, in code order.
    pub fn departments<'a>(
        &'a self,
        filter: &'a DepartmentFilter,
    ) -> impl Iterator<Item = &'a Department> + 'a {
        let wanted = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        self.departments
            .iter()
            .filter(move |d| wanted(&filter.division, Some(&d.division_code)))
            .filter(move |d| wanted(&filter.parent, d.parent_code.as_deref()))
            .filter(move |d| wanted(&filter.kind, Some(&d.kind)))
    }
}

impl Reference for Directory {
    const NAME: &'static str = "org";
    type Error = StoreError;

    async fn load(db: &Db) -> Result<Self, StoreError> {
        let mut r = db.reader().await?;
        let divisions_sql = format!("{DIVISION_COLUMNS} ORDER BY code");
        let divisions = run!(r, |c| sqlx::query_as(&divisions_sql)
            .fetch_all(&mut *c)
            .await)?;
        let departments_sql = format!("{DEPARTMENT_COLUMNS} ORDER BY d.code");
        let departments = run!(r, |c| sqlx::query_as(&departments_sql)
            .fetch_all(&mut *c)
            .await)?;
        let mut departments: Vec<Department> = departments;
        // Byte order, whatever the database's collation: `by_code` searches it.
        departments.sort_by(|a, b| a.code.cmp(&b.code));
        let by_id = departments
            .iter()
            .enumerate()
            .map(|(i, d): (usize, &Department)| (d.id, i))
            .collect();
        Ok(Directory {
            divisions,
            departments,
            by_id,
        })
    }
}
