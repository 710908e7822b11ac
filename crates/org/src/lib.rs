//! The organisation model: GB/T 2260 administrative divisions (city,
//! districts, streets) and the departments that serve them, in a hierarchy.

mod directory;
mod model;
pub mod reference;
mod repo;
mod seals;

pub use directory::Directory;
pub use model::{
    Department, DepartmentFilter, DepartmentKind, Division, DivisionLevel, NewDepartment,
};
pub use reference::{load_demo, load_departments, load_divisions, LoadReport, ReferenceError};
pub use repo::{
    counts, create_department, department, departments, directory, division, divisions,
    DivisionFilter, OrgError,
};
pub use seals::{seal, set_seal};
