//! The areas values are reported for, from the organisation model: the
//! divisions (city, districts, streets) as a tree, and the departments. A
//! department's 统计员 reports for the department itself; a people's
//! government's for its division and the divisions below it that have no
//! government of their own (a district government for its streets).

use egov_identity::{allows, Permission, Principal, Role};
use egov_indicators::{Area, Cube};
use egov_org::Directory;

/// The departments whose units a caller may report for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Everywhere,
    Departments(Vec<i64>),
}

impl Reach {
    pub fn of(principal: &Principal) -> Reach {
        let everywhere = Permission::ReportIndicators {
            department_id: None,
        };
        if allows(principal, everywhere) {
            return Reach::Everywhere;
        }
        let Principal::User(u) = principal else {
            return Reach::Departments(Vec::new());
        };
        let mut departments: Vec<i64> = u
            .roles
            .iter()
            .filter(|g| g.role == Role::Statistician)
            .filter_map(|g| g.department_id)
            .filter(|&d| {
                allows(
                    principal,
                    Permission::ReportIndicators {
                        department_id: Some(d),
                    },
                )
            })
            .collect();
        departments.sort_unstable();
        departments.dedup();
        Reach::Departments(departments)
    }

    /// Whether the caller may report for some unit at all.
    pub fn any(&self) -> bool {
        match self {
            Reach::Everywhere => true,
            Reach::Departments(d) => !d.is_empty(),
        }
    }

    fn covers(&self, department_id: Option<i64>) -> bool {
        match (self, department_id) {
            (Reach::Everywhere, _) => true,
            (Reach::Departments(d), Some(id)) => d.contains(&id),
            (Reach::Departments(_), None) => false,
        }
    }
}

/// Whether `code` is an area, and whether `reach` may report for it.
pub fn answer(directory: &Directory, reach: &Reach, code: &str) -> Area {
    if !known(directory, code) {
        return Area::Unknown;
    }
    if reach.covers(responsible(directory, code)) {
        Area::Open
    } else {
        Area::NotYours
    }
}

pub fn known(directory: &Directory, code: &str) -> bool {
    directory.division(code).is_some() || directory.by_code(code).is_some()
}

/// The department that reports for the area: the department itself, or
/// the people's government of the division or of the nearest division
/// above it that has one.
fn responsible(directory: &Directory, code: &str) -> Option<i64> {
    if let Some(d) = directory.by_code(code) {
        return Some(d.id);
    }
    let mut division = directory.division(code);
    while let Some(d) = division {
        let filter = egov_org::DepartmentFilter {
            division: Some(d.code.clone()),
            kind: Some("government".to_owned()),
            ..Default::default()
        };
        if let Some(government) = directory.departments(&filter).next() {
            return Some(government.id);
        }
        division = d.parent_code.as_deref().and_then(|p| directory.division(p));
    }
    None
}

/// The divisions' tree, so a city's value is made of its districts' where
/// it is not reported itself.
pub fn hang_tree(directory: &Directory, cube: &mut Cube) {
    for d in directory.divisions() {
        if let Some(parent) = &d.parent_code {
            cube.add_area(parent, &d.code);
        }
    }
}

/// An area's name in Chinese and, where kept, in English.
pub fn name_of(directory: &Directory, code: &str) -> (String, Option<String>) {
    if let Some(d) = directory.division(code) {
        return (d.name.clone(), d.name_en.clone());
    }
    match directory.by_code(code) {
        Some(d) => (d.name.clone(), d.name_en.clone()),
        None => (code.to_owned(), None),
    }
}

/// The divisions directly below `code`.
pub fn children(directory: &Directory, code: &str) -> Vec<String> {
    directory
        .divisions()
        .iter()
        .filter(|d| d.parent_code.as_deref() == Some(code))
        .map(|d| d.code.clone())
        .collect()
}
