//! The areas values are reported for, from the organisation model: the
//! divisions (city, districts, streets) as a tree, and the departments. A
//! department's 统计员 reports for the department itself; a people's
//! government's for its division and the divisions below it that have no
//! government of their own (a district government for its streets).

use egov_identity::Reach;
use egov_indicators::{Area, Cube};
use egov_org::Directory;

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
pub(crate) fn responsible(directory: &Directory, code: &str) -> Option<i64> {
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
fn name_of(directory: &Directory, code: &str) -> (String, Option<String>) {
    if let Some(d) = directory.division(code) {
        return (d.name.clone(), d.name_en.clone());
    }
    match directory.by_code(code) {
        Some(d) => (d.name.clone(), d.name_en.clone()),
        None => (code.to_owned(), None),
    }
}

/// An area's name in the reader's language (Chinese where no English is kept).
pub fn label(directory: &Directory, code: &str, locale: egov_kernel::Locale) -> String {
    let (zh, en) = name_of(directory, code);
    egov_web_kit::page::localized(locale, &zh, en.as_deref())
}

/// The area and every division below it, however deep.
pub fn within(directory: &Directory, code: &str) -> std::collections::HashSet<String> {
    let mut all = std::collections::HashSet::from([code.to_owned()]);
    let mut next = vec![code.to_owned()];
    while let Some(at) = next.pop() {
        for child in children(directory, &at) {
            if all.insert(child.clone()) {
                next.push(child);
            }
        }
    }
    all
}

/// The departments seated in division `code`.
pub fn departments(directory: &Directory, code: &str) -> Vec<String> {
    let seated = egov_org::DepartmentFilter {
        division: Some(code.to_owned()),
        ..Default::default()
    };
    directory
        .departments(&seated)
        .map(|d| d.code.clone())
        .collect()
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
