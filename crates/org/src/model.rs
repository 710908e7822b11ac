use egov_kernel::code::{DepartmentCode, DivisionCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    City,
    District,
    Street,
}

impl DivisionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            DivisionLevel::City => "city",
            DivisionLevel::District => "district",
            DivisionLevel::Street => "street",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "city" => DivisionLevel::City,
            "district" => DivisionLevel::District,
            "street" => DivisionLevel::Street,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub level: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    /// A people's government (市政府, 区政府).
    Government,
    /// A municipal commission, bureau or office (委办局).
    Municipal,
    /// A district-level department.
    District,
}

impl DepartmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Government => "government",
            DepartmentKind::Municipal => "municipal",
            DepartmentKind::District => "district",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Department {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub name_en: Option<String>,
    pub kind: String,
    pub division_code: String,
    pub parent_code: Option<String>,
}

impl Department {
    /// Its name in `locale` (the Chinese one where no English one is kept).
    pub fn name_in(&self, locale: egov_kernel::Locale) -> &str {
        match (locale, &self.name_en) {
            (egov_kernel::Locale::En, Some(en)) if !en.is_empty() => en,
            _ => &self.name,
        }
    }
}

/// A department as submitted for creation, already validated at the boundary.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDepartment {
    pub code: DepartmentCode,
    pub name: String,
    pub short_name: Option<String>,
    pub name_en: Option<String>,
    pub kind: DepartmentKind,
    pub division: DivisionCode,
    pub parent: Option<DepartmentCode>,
}

#[derive(Debug, Default, Clone)]
pub struct DepartmentFilter {
    pub division: Option<String>,
    pub parent: Option<String>,
    pub kind: Option<String>,
}
