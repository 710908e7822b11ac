//! A catalogue entry (信息资源) as the 2017 cataloguing guide describes it:
//! class, name, code, provider, abstract, format, its 信息项 with their
//! data types, the sharing attributes (type, condition, method; a legal
//! basis for 不予共享), the open attribute, update cycle, date and related
//! resources. Checked here, without the database, before anything is
//! stored.

use crate::classes::Classes;
use chrono::NaiveDate;
use egov_kernel::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;

egov_store::text_enum! {
    /// 共享类型: sharing is the rule; 不予共享 needs a legal basis.
    pub enum Sharing {
        Unconditional = "unconditional",
        Conditional = "conditional",
        None = "none",
    }
}

egov_store::text_enum! {
    /// 共享方式: how a consumer gets the data.
    pub enum SharingMethod {
        Api = "api",
        Download = "download",
        File = "file",
    }
}

egov_store::text_enum! {
    /// 开放属性: whether the public gets it.
    pub enum OpenType {
        Open = "open",
        Conditional = "conditional",
        Closed = "closed",
    }
}

egov_store::text_enum! {
    /// 更新周期.
    pub enum UpdateCycle {
        Realtime = "realtime",
        Daily = "daily",
        Weekly = "weekly",
        Monthly = "monthly",
        Quarterly = "quarterly",
        Yearly = "yearly",
        Irregular = "irregular",
    }
}

egov_store::text_enum! {
    /// A 信息项's data type (the guide's 字符型, 数值型, 日期型, 日期时间型,
    /// 逻辑型; numbers as whole or decimal).
    pub enum ItemType {
        String = "string",
        Integer = "integer",
        Decimal = "decimal",
        Date = "date",
        Datetime = "datetime",
        Boolean = "boolean",
    }
}

/// Reads the stored words of the enums above from JSON and TOML.
macro_rules! deserialize_words {
    ($($name:ident),+) => {$(
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = String::deserialize(d)?;
                $name::parse(&word).ok_or_else(|| {
                    let known: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    serde::de::Error::custom(format!(
                        "unknown {} '{word}' (known: {})",
                        stringify!($name),
                        known.join(", ")
                    ))
                })
            }
        }
    )+};
}
deserialize_words!(Sharing, SharingMethod, OpenType, UpdateCycle, ItemType);

impl Sharing {
    pub fn label_zh(self) -> &'static str {
        match self {
            Sharing::Unconditional => "无条件共享",
            Sharing::Conditional => "有条件共享",
            Sharing::None => "不予共享",
        }
    }
}

impl OpenType {
    pub fn label_zh(self) -> &'static str {
        match self {
            OpenType::Open => "无条件开放",
            OpenType::Conditional => "有条件开放",
            OpenType::Closed => "不予开放",
        }
    }
}

impl UpdateCycle {
    pub fn label_zh(self) -> &'static str {
        match self {
            UpdateCycle::Realtime => "实时",
            UpdateCycle::Daily => "每日",
            UpdateCycle::Weekly => "每周",
            UpdateCycle::Monthly => "每月",
            UpdateCycle::Quarterly => "每季度",
            UpdateCycle::Yearly => "每年",
            UpdateCycle::Irregular => "不定期",
        }
    }

    /// DCAT's frequency (the EU vocabulary's names).
    pub fn eu_frequency(self) -> &'static str {
        match self {
            UpdateCycle::Realtime => "UPDATE_CONT",
            UpdateCycle::Daily => "DAILY",
            UpdateCycle::Weekly => "WEEKLY",
            UpdateCycle::Monthly => "MONTHLY",
            UpdateCycle::Quarterly => "QUARTERLY",
            UpdateCycle::Yearly => "ANNUAL",
            UpdateCycle::Irregular => "IRREG",
        }
    }
}

/// One 信息项: a column of the resource's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The column's identifier (lowercase letters, digits, `_`), the header
    /// of its column in a CSV or XLSX load.
    pub name: String,
    /// Its name in Chinese (also accepted as a header).
    pub title: String,
    #[serde(rename = "type")]
    pub kind: ItemType,
}

/// Limits that keep a resource a description, not a data dump.
pub const MAX_ITEMS: usize = 100;
pub const MAX_TEXT: usize = 2000;
pub const MAX_NAME: usize = 200;
pub const MAX_KEYWORDS: usize = 20;

/// A resource as a department registers or revises it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewResource {
    /// `<provider's department code>-<five digits>`, e.g. `110000-TJJ-00001`.
    pub code: String,
    /// The provider's department code.
    pub department: String,
    /// A class of the catalogue's scheme (three digits).
    pub class: String,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(rename = "abstract")]
    pub summary: String,
    #[serde(default)]
    pub abstract_en: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// 资源格式: 电子表格, 数据库, 接口, 文件, ...
    pub format: String,
    pub update_cycle: UpdateCycle,
    pub published: NaiveDate,
    pub sharing: Sharing,
    #[serde(default)]
    pub sharing_condition: Option<String>,
    #[serde(default)]
    pub sharing_method: Option<SharingMethod>,
    #[serde(default)]
    pub legal_basis: Option<String>,
    pub open: OpenType,
    #[serde(default)]
    pub related: Vec<String>,
    pub items: Vec<Item>,
}

/// Why a resource was refused; nothing was stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResourceError {
    #[error("the code must be the provider's department code, '-' and five digits (got '{0}')")]
    Code(String),
    #[error("unknown class '{0}'")]
    Class(String),
    #[error("{0} is required")]
    Required(&'static str),
    #[error("{field} is longer than {limit} characters")]
    TooLong { field: &'static str, limit: usize },
    #[error("a resource has between 1 and {MAX_ITEMS} 信息项")]
    ItemCount,
    #[error("信息项 '{0}': a name is lowercase letters, digits and '_', starting with a letter")]
    ItemName(String),
    #[error("信息项 '{0}' appears twice")]
    ItemTwice(String),
    #[error("a conditional resource states its condition")]
    NoCondition,
    #[error("a resource that is not shared states its legal basis (不予共享需有法律依据)")]
    NoLegalBasis,
    #[error("a shared resource states how it is shared (sharing_method)")]
    NoMethod,
    #[error("only a resource shared unconditionally may be opened to the public")]
    OpenNotShared,
    #[error("at most {MAX_KEYWORDS} keywords")]
    Keywords,
}

fn text(
    field: &'static str,
    v: &str,
    limit: usize,
    required: bool,
) -> Result<String, ResourceError> {
    let v = v.trim();
    if v.is_empty() && required {
        return Err(ResourceError::Required(field));
    }
    if v.chars().count() > limit {
        return Err(ResourceError::TooLong { field, limit });
    }
    Ok(v.to_owned())
}

fn optional(
    field: &'static str,
    v: &Option<String>,
    limit: usize,
) -> Result<Option<String>, ResourceError> {
    let v = text(field, v.as_deref().unwrap_or(""), limit, false)?;
    Ok(Some(v).filter(|s| !s.is_empty()))
}

/// Whether `name` may name a 信息项 (and a column, a filter, a field).
pub fn is_item_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 64
}

/// Whether `code` is a resource code of department `department`.
pub fn is_code_of(code: &str, department: &str) -> bool {
    code.strip_prefix(department)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()))
}

impl NewResource {
    /// Checks the resource on its own (the provider's existence and the
    /// related codes are the registry's to check), trimming its text.
    pub fn check(mut self, classes: &Classes) -> Result<NewResource, ResourceError> {
        self.department = self.department.trim().to_owned();
        self.code = self.code.trim().to_owned();
        if !is_code_of(&self.code, &self.department) {
            return Err(ResourceError::Code(self.code));
        }
        if classes.class(self.class.trim()).is_none() {
            return Err(ResourceError::Class(self.class));
        }
        self.class = self.class.trim().to_owned();
        self.name = text("name", &self.name, MAX_NAME, true)?;
        self.name_en = optional("name_en", &self.name_en, MAX_NAME)?;
        self.summary = text("abstract", &self.summary, MAX_TEXT, true)?;
        self.abstract_en = optional("abstract_en", &self.abstract_en, MAX_TEXT)?;
        self.format = text("format", &self.format, 50, true)?;
        if self.keywords.len() > MAX_KEYWORDS {
            return Err(ResourceError::Keywords);
        }
        self.keywords = self
            .keywords
            .iter()
            .map(|k| text("keywords", k, 50, false))
            .filter(|k| !matches!(k, Ok(k) if k.is_empty()))
            .collect::<Result<_, _>>()?;
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(ResourceError::ItemCount);
        }
        let mut names = HashSet::new();
        for item in &mut self.items {
            item.name = item.name.trim().to_owned();
            if !is_item_name(&item.name) {
                return Err(ResourceError::ItemName(item.name.clone()));
            }
            if !names.insert(item.name.clone()) {
                return Err(ResourceError::ItemTwice(item.name.clone()));
            }
            item.title = text("items.title", &item.title, MAX_NAME, true)?;
        }
        self.sharing_condition = optional("sharing_condition", &self.sharing_condition, MAX_TEXT)?;
        self.legal_basis = optional("legal_basis", &self.legal_basis, MAX_TEXT)?;
        match self.sharing {
            Sharing::Conditional if self.sharing_condition.is_none() => {
                return Err(ResourceError::NoCondition)
            }
            Sharing::None if self.legal_basis.is_none() => return Err(ResourceError::NoLegalBasis),
            Sharing::None => self.sharing_method = None,
            _ if self.sharing_method.is_none() => return Err(ResourceError::NoMethod),
            _ => {}
        }
        if self.open != OpenType::Closed && self.sharing != Sharing::Unconditional {
            return Err(ResourceError::OpenNotShared);
        }
        self.related = self
            .related
            .iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty() && *r != self.code)
            .collect();
        self.related.sort();
        self.related.dedup();
        Ok(self)
    }
}

/// A resource as registered.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    #[serde(skip)]
    pub department_id: i64,
    /// The provider's department code.
    pub department: String,
    pub class: String,
    pub name: String,
    pub name_en: Option<String>,
    #[serde(rename = "abstract")]
    pub summary: String,
    pub abstract_en: Option<String>,
    pub keywords: Vec<String>,
    pub format: String,
    pub update_cycle: UpdateCycle,
    pub published: NaiveDate,
    pub sharing: Sharing,
    pub sharing_condition: Option<String>,
    pub sharing_method: Option<SharingMethod>,
    pub legal_basis: Option<String>,
    pub open: OpenType,
    pub related: Vec<String>,
    pub items: Vec<Item>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Resource {
    /// The 信息项 named `name`.
    pub fn item(&self, name: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.name == name)
    }

    /// Resource `r` (checked) as stored with row `id`, by department
    /// `department_id`.
    pub fn stored(
        r: NewResource,
        id: i64,
        department_id: i64,
        created_at: Timestamp,
        updated_at: Timestamp,
    ) -> Resource {
        Resource {
            id,
            code: r.code,
            department_id,
            department: r.department,
            class: r.class,
            name: r.name,
            name_en: r.name_en,
            summary: r.summary,
            abstract_en: r.abstract_en,
            keywords: r.keywords,
            format: r.format,
            update_cycle: r.update_cycle,
            published: r.published,
            sharing: r.sharing,
            sharing_condition: r.sharing_condition,
            sharing_method: r.sharing_method,
            legal_basis: r.legal_basis,
            open: r.open,
            related: r.related,
            items: r.items,
            created_at,
            updated_at,
        }
    }

    /// Published to the public, without sign-in.
    pub fn is_open(&self) -> bool {
        self.open == OpenType::Open
    }

    /// Its name in CKAN and in URLs: the code in lower case.
    pub fn slug(&self) -> String {
        self.code.to_ascii_lowercase()
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A registered resource for the unit tests.
    pub(crate) fn resource() -> Resource {
        let r = super::tests::sample()
            .check(Classes::shipped())
            .expect("the sample is good");
        Resource::stored(r, 1, 1, egov_kernel::time::now(), egov_kernel::time::now())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> NewResource {
        NewResource {
            code: "110000-TJJ-00001".into(),
            department: "110000-TJJ".into(),
            class: "101".into(),
            name: " 各区常住人口 ".into(),
            name_en: Some("Resident population by district".into()),
            summary: "各区年末常住人口".into(),
            abstract_en: None,
            keywords: vec!["人口".into(), " ".into()],
            format: "电子表格".into(),
            update_cycle: UpdateCycle::Yearly,
            published: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            sharing: Sharing::Unconditional,
            sharing_condition: None,
            sharing_method: Some(SharingMethod::Api),
            legal_basis: None,
            open: OpenType::Open,
            related: vec![],
            items: vec![
                Item {
                    name: "district".into(),
                    title: "区".into(),
                    kind: ItemType::String,
                },
                Item {
                    name: "population".into(),
                    title: "常住人口（万人）".into(),
                    kind: ItemType::Decimal,
                },
            ],
        }
    }

    #[test]
    fn a_good_resource_is_trimmed() {
        let r = sample().check(Classes::shipped()).unwrap();
        assert_eq!(r.name, "各区常住人口");
        assert_eq!(r.keywords, ["人口"]);
    }

    #[test]
    fn the_guides_rules_are_kept() {
        let c = Classes::shipped();
        let mut r = sample();
        r.code = "110000-FGW-00001".into();
        assert!(matches!(r.check(c), Err(ResourceError::Code(_))));
        let mut r = sample();
        r.sharing = Sharing::None;
        r.open = OpenType::Closed;
        assert_eq!(r.check(c).unwrap_err(), ResourceError::NoLegalBasis);
        let mut r = sample();
        r.sharing = Sharing::Conditional;
        r.open = OpenType::Closed;
        assert_eq!(r.check(c).unwrap_err(), ResourceError::NoCondition);
        let mut r = sample();
        r.sharing = Sharing::Conditional;
        r.sharing_condition = Some("仅用于资格核查".into());
        assert_eq!(r.check(c).unwrap_err(), ResourceError::OpenNotShared);
        let mut r = sample();
        r.items[1].name = "District".into();
        assert!(matches!(r.check(c), Err(ResourceError::ItemName(_))));
        let mut r = sample();
        r.items[1].name = "district".into();
        assert!(matches!(r.check(c), Err(ResourceError::ItemTwice(_))));
        let mut r = sample();
        r.class = "1".into();
        assert!(matches!(r.check(c), Err(ResourceError::Class(_))));
        let mut r = sample();
        r.sharing = Sharing::None;
        r.open = OpenType::Closed;
        r.legal_basis = Some("《中华人民共和国个人信息保护法》第十三条".into());
        assert_eq!(r.check(c).unwrap().sharing_method, None);
    }
}
