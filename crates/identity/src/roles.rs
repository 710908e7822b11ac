//! Roles a civil servant can hold. Citizens and enterprise accounts get their
//! standing from their kind, not from grants.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Handles cases assigned to a department (受理、审查、办理).
    Handler,
    /// Manages a department's staff accounts and roles.
    DepartmentAdmin,
    /// Dispatches city-management cases (派遣).
    Dispatcher,
    /// Electronic supervision (电子监察): a department, or the whole city when unscoped.
    Supervisor,
    /// Maintains a department's part of the information resource catalogue.
    CatalogueAdmin,
    /// Reports a unit's statistics (统计员); city-wide, the statistics
    /// office, which also defines the data elements and indicators.
    Statistician,
    /// Reads the audit log and verifies the chain.
    Auditor,
    /// Runs the platform.
    SystemAdmin,
}

/// Whether a role must, may or must not name a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Department,
    Optional,
    City,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Handler,
        Role::DepartmentAdmin,
        Role::Dispatcher,
        Role::Supervisor,
        Role::CatalogueAdmin,
        Role::Statistician,
        Role::Auditor,
        Role::SystemAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Handler => "handler",
            Role::DepartmentAdmin => "department_admin",
            Role::Dispatcher => "dispatcher",
            Role::Supervisor => "supervisor",
            Role::CatalogueAdmin => "catalogue_admin",
            Role::Statistician => "statistician",
            Role::Auditor => "auditor",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            Role::Handler | Role::DepartmentAdmin | Role::Dispatcher | Role::CatalogueAdmin => {
                Scope::Department
            }
            Role::Supervisor | Role::Statistician => Scope::Optional,
            Role::Auditor | Role::SystemAdmin => Scope::City,
        }
    }

    /// Whether a department administrator may hand this role out in its
    /// own department. Supervision, audit and platform administration are
    /// appointed by the system administrator: a department does not choose
    /// who oversees it.
    pub fn granted_by_department(self) -> bool {
        matches!(
            self,
            Role::Handler
                | Role::DepartmentAdmin
                | Role::Dispatcher
                | Role::CatalogueAdmin
                | Role::Statistician
        )
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Handler => "经办人",
            Role::DepartmentAdmin => "部门管理员",
            Role::Dispatcher => "派遣员",
            Role::Supervisor => "监察员",
            Role::CatalogueAdmin => "目录管理员",
            Role::Statistician => "统计员",
            Role::Auditor => "审计员",
            Role::SystemAdmin => "系统管理员",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role '{s}' (known: {})", known.join(", "))
            })
    }
}

/// A role held, with the department it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleGrant {
    pub role: Role,
    pub department_id: Option<i64>,
}
