//! The classes of problems (部件 and 事件), as a versioned data file
//! (`data/grid/classes.toml`): each sub-class with its code, its deadline
//! once dispatched, the department that handles it by default, the words
//! reports of it use and the questions an Open311 client asks about it.

use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// A component (部件: a fixture the city keeps) or an event (事件).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Component,
    Event,
}

impl Kind {
    /// The letter that begins its service codes.
    pub fn letter(self) -> char {
        match self {
            Kind::Component => 'c',
            Kind::Event => 'e',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Component => "部件",
            Kind::Event => "事件",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Kind::Component => "Components",
            Kind::Event => "Events",
        }
    }
}

/// How a deadline is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeadlineUnit {
    /// Working hours (inside office hours of working days).
    Hour,
    /// Working days.
    Workday,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub amount: u32,
    pub unit: DeadlineUnit,
}

impl Deadline {
    /// In working hours, a working day counting `hours_a_day`.
    pub fn working_hours(self, hours_a_day: u32) -> u32 {
        match self.unit {
            DeadlineUnit::Hour => self.amount,
            DeadlineUnit::Workday => self.amount * hours_a_day,
        }
    }
}

/// An Open311 attribute's datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }

    fn is_list(self) -> bool {
        matches!(self, Datatype::Singlevaluelist | Datatype::Multivaluelist)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub key: String,
    pub name: String,
}

/// A question a report of the sub-class answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub code: String,
    pub datatype: Datatype,
    #[serde(default)]
    pub required: bool,
    pub description: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub values: Vec<Choice>,
}

/// A sub-class: what a report is filed as.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubClass {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub deadline: Deadline,
    pub department: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, rename = "attribute")]
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Class {
    pub kind: Kind,
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(rename = "sub")]
    pub subs: Vec<SubClass>,
}

/// One version of the classification.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    pub version: String,
    pub source: String,
    /// How near an open case of the same sub-class must be for a new
    /// report to be offered it as a duplicate, in metres.
    #[serde(default = "default_duplicate_radius")]
    pub duplicate_radius_m: u32,
    /// How many days after a case is closed its reporter may say it was
    /// not fixed and send it back.
    #[serde(default = "default_reopen_days")]
    pub reopen_days: u32,
    #[serde(rename = "class")]
    pub classes: Vec<Class>,
}

fn default_duplicate_radius() -> u32 {
    250
}

fn default_reopen_days() -> u32 {
    7
}

/// A sub-class with the class it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Service<'a> {
    pub class: &'a Class,
    pub sub: &'a SubClass,
}

impl Service<'_> {
    /// The code an Open311 client names it by: `c0101`, `e0102`.
    pub fn code(&self) -> String {
        format!("{}{}", self.class.kind.letter(), self.sub.code)
    }
}

/// Why a classification file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClassesError {
    #[error("the classes file does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("{0}")]
    Invalid(String),
}

/// A value given for an attribute that it does not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeError {
    #[error("attribute '{0}' is required")]
    Missing(String),
    #[error("attribute '{0}' is not asked for by this service")]
    Unknown(String),
    #[error("attribute '{code}': '{value}' is not one of its values")]
    NotAChoice { code: String, value: String },
    #[error("attribute '{code}': {problem}")]
    Malformed { code: String, problem: String },
}

impl Classification {
    /// Reads and checks a classes file: codes of the right shape, unique
    /// within their kind, each sub-class's code beginning with its class's,
    /// a deadline above zero, list attributes with values.
    pub fn parse(text: &str) -> Result<Classification, ClassesError> {
        let c: Classification = toml::from_str(text)?;
        c.check().map_err(ClassesError::Invalid)?;
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        let two_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let mut seen = HashSet::new();
        for class in &self.classes {
            if !two_digits(&class.code, 2) {
                return Err(format!("class code '{}' is not two digits", class.code));
            }
            if !seen.insert((class.kind, class.code.clone())) {
                return Err(format!(
                    "class {} {} is given twice",
                    class.kind.name(),
                    class.code
                ));
            }
            for sub in &class.subs {
                if !two_digits(&sub.code, 4) || !sub.code.starts_with(&class.code) {
                    return Err(format!(
                        "sub-class code '{}' must be four digits beginning with its class's {}",
                        sub.code, class.code
                    ));
                }
                if !seen.insert((class.kind, sub.code.clone())) {
                    return Err(format!("sub-class {} is given twice", sub.code));
                }
                if sub.deadline.amount == 0 {
                    return Err(format!("sub-class {}: a deadline of zero", sub.code));
                }
                if sub.department.trim().is_empty() {
                    return Err(format!("sub-class {}: no department", sub.code));
                }
                let mut codes = HashSet::new();
                for a in &sub.attributes {
                    if !codes.insert(&a.code) {
                        return Err(format!(
                            "sub-class {}: attribute {} twice",
                            sub.code, a.code
                        ));
                    }
                    if a.datatype.is_list() == a.values.is_empty() {
                        return Err(format!(
                            "sub-class {}: attribute {} must have values exactly when it is a list",
                            sub.code, a.code
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Every sub-class, in the file's order.
    pub fn services(&self) -> impl Iterator<Item = Service<'_>> {
        self.classes
            .iter()
            .flat_map(|class| class.subs.iter().map(move |sub| Service { class, sub }))
    }

    /// The sub-class a service code names.
    pub fn service(&self, code: &str) -> Option<Service<'_>> {
        let mut chars = code.chars();
        let kind = match chars.next()? {
            'c' => Kind::Component,
            'e' => Kind::Event,
            _ => return None,
        };
        let sub = chars.as_str();
        self.classes
            .iter()
            .filter(|c| c.kind == kind && sub.starts_with(&c.code))
            .find_map(|class| {
                class
                    .subs
                    .iter()
                    .find(|s| s.code == sub)
                    .map(|sub| Service { class, sub })
            })
    }
}

/// The answers a report gives (`attribute[code]`; a multi-value list
/// repeats its code), checked against the sub-class's questions.
pub fn check_attributes(
    sub: &SubClass,
    given: &BTreeMap<String, Vec<String>>,
) -> Result<BTreeMap<String, serde_json::Value>, AttributeError> {
    use serde_json::Value;
    for code in given.keys() {
        if !sub.attributes.iter().any(|a| &a.code == code) {
            return Err(AttributeError::Unknown(code.clone()));
        }
    }
    let mut out = BTreeMap::new();
    for a in &sub.attributes {
        let values: Vec<&str> = given
            .get(&a.code)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if a.required {
                return Err(AttributeError::Missing(a.code.clone()));
            }
            continue;
        }
        let malformed = |problem: &str| AttributeError::Malformed {
            code: a.code.clone(),
            problem: problem.to_owned(),
        };
        if a.datatype != Datatype::Multivaluelist && values.len() > 1 {
            return Err(malformed("takes one value"));
        }
        let first = values[0];
        let value = match a.datatype {
            Datatype::String | Datatype::Text => {
                let limit = if a.datatype == Datatype::String {
                    200
                } else {
                    4000
                };
                if first.chars().count() > limit {
                    return Err(malformed(&format!("longer than {limit} characters")));
                }
                Value::String(first.to_owned())
            }
            Datatype::Number => {
                let n: f64 = first.parse().map_err(|_| malformed("not a number"))?;
                if !n.is_finite() {
                    return Err(malformed("not a number"));
                }
                serde_json::Number::from_f64(n)
                    .map(Value::Number)
                    .ok_or_else(|| malformed("not a number"))?
            }
            Datatype::Datetime => {
                chrono::DateTime::parse_from_rfc3339(first)
                    .map_err(|_| malformed("not an ISO 8601 date and time with a zone"))?;
                Value::String(first.to_owned())
            }
            Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                for v in &values {
                    if !a.values.iter().any(|c| c.key == *v) {
                        return Err(AttributeError::NotAChoice {
                            code: a.code.clone(),
                            value: (*v).to_owned(),
                        });
                    }
                }
                if a.datatype == Datatype::Singlevaluelist {
                    Value::String(first.to_owned())
                } else {
                    Value::Array(
                        values
                            .iter()
                            .map(|v| Value::String((*v).to_owned()))
                            .collect(),
                    )
                }
            }
        };
        out.insert(a.code.clone(), value);
    }
    Ok(out)
}

/// The classification shipped with the platform.
pub const SHIPPED: &str = include_str!("../../../data/grid/classes.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Classification {
        Classification::parse(SHIPPED).unwrap()
    }

    #[test]
    fn the_shipped_classes_load() {
        let c = shipped();
        assert!(c.services().count() >= 30);
        let rubbish = c.service("e0102").unwrap();
        assert_eq!(rubbish.sub.name, "暴露垃圾");
        assert_eq!(rubbish.sub.deadline.working_hours(8), 4);
        assert_eq!(rubbish.code(), "e0102");
        assert_eq!(c.service("c0102").unwrap().sub.name, "污水井盖");
        assert!(c.service("x0102").is_none() && c.service("e9999").is_none());
    }

    #[test]
    fn a_sub_class_outside_its_class_is_refused() {
        let bad = SHIPPED.replacen(
            "code = \"0102\"\nname = \"污水井盖\"",
            "code = \"0902\"\nname = \"污水井盖\"",
            1,
        );
        let err = Classification::parse(&bad).unwrap_err();
        assert!(err.to_string().contains("0902"), "{err}");
    }

    #[test]
    fn attributes_are_checked() {
        let c = shipped();
        let cover = c.service("c0101").unwrap().sub;
        let given = |k: &str, v: &[&str]| {
            BTreeMap::from([(k.to_owned(), v.iter().map(|s| s.to_string()).collect())])
        };
        assert_eq!(
            check_attributes(cover, &BTreeMap::new()),
            Err(AttributeError::Missing("cover_state".into()))
        );
        assert!(matches!(
            check_attributes(cover, &given("cover_state", &["gone"])),
            Err(AttributeError::NotAChoice { .. })
        ));
        assert!(matches!(
            check_attributes(cover, &given("colour", &["red"])),
            Err(AttributeError::Unknown(_))
        ));
        let ok = check_attributes(cover, &given("cover_state", &["missing"])).unwrap();
        assert_eq!(ok["cover_state"], "missing");
        let other = c.service("e0601").unwrap().sub;
        assert!(matches!(
            check_attributes(other, &given("when_seen", &["yesterday"])),
            Err(AttributeError::Malformed { .. })
        ));
        assert!(
            check_attributes(other, &given("when_seen", &["2026-12-05T08:00:00+08:00"])).is_ok()
        );
    }
}
