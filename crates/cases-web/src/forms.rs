//! Forms drawn from a process definition's field schema (a case's start
//! form, each action's form) and the posted values turned back into the
//! JSON the engine checks. The engine stays the judge: a value that does
//! not parse is passed on as text, so its type error is reported with the
//! others.

use egov_cases::Violation;
use egov_kernel::Locale;
use egov_org::{Department, Directory};
use egov_web_kit::i18n::lookup;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Posted form fields carry this prefix, apart from the page's own
/// (`csrf`, `action`, `version`).
pub const PREFIX: &str = "f_";

/// One input of a drawn form.
pub struct FormField {
    /// The input's name (with [`PREFIX`]).
    pub input: String,
    pub label: String,
    /// `line`, `text`, `integer`, `number`, `check`, `choice`, `list`,
    /// `department` (a department's code) or `department_id` (its row id, in
    /// definitions before version 3).
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<String>,
    /// What each option reads as (its English label from `enum_en`, in English).
    pub option_labels: Vec<String>,
    /// What was posted, when the form is shown again.
    pub value: String,
    pub error: Option<String>,
}

impl FormField {
    pub fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }

    /// Each option's value and what it reads as.
    pub fn choices(&self) -> impl Iterator<Item = (&String, &String)> {
        self.options.iter().zip(&self.option_labels)
    }

    pub fn is_value(&self, option: &str) -> bool {
        self.value == option
    }

    /// The input's element id, unique on a page with several forms.
    pub fn id(&self, form: &str) -> String {
        format!("{form}-{}", self.input)
    }
}

/// A department a form offers in a select.
pub struct DepartmentOption {
    pub id: i64,
    pub code: String,
    pub name: String,
}

impl DepartmentOption {
    /// Every department in `dir`, named in `locale`, in code order.
    pub fn all(dir: &Directory, locale: Locale) -> Vec<DepartmentOption> {
        dir.departments(&Default::default())
            .map(|d| DepartmentOption::of(d, locale))
            .collect()
    }

    pub fn of(d: &Department, locale: Locale) -> DepartmentOption {
        DepartmentOption {
            id: d.id,
            code: d.code.clone(),
            name: d.name_in(locale).to_owned(),
        }
    }

    /// What selecting it posts for field `f`: the code, or for a field of
    /// an older definition the row id.
    pub fn value_for(&self, f: &FormField) -> String {
        match f.kind {
            "department_id" => self.id.to_string(),
            _ => self.code.clone(),
        }
    }
}

/// The label of field `name`: the schema's `title`, else the catalogue's
/// `field.<name>`, else the name itself. Titles in definitions are written
/// in Chinese, so in English the catalogue's wording comes first.
/// A schema's own `title_en` comes first in English.
pub fn label(locale: Locale, name: &str, schema: &Value) -> String {
    let title = schema.get("title").and_then(Value::as_str);
    let catalogue = lookup(locale, &format!("field.{name}"));
    let chosen = match locale {
        Locale::En => schema
            .get("title_en")
            .and_then(Value::as_str)
            .or(catalogue)
            .or(title),
        Locale::Zh => title.or(catalogue),
    };
    chosen.map_or_else(|| name.to_owned(), str::to_owned)
}

fn properties(schema: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn required(schema: Option<&Value>, name: &str) -> bool {
    schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|x| x == name))
}

/// The inputs for `schema`, filled with `posted` and marked with `errors`.
pub fn draw(
    locale: Locale,
    schema: Option<&Value>,
    posted: &HashMap<String, String>,
    errors: &[Violation],
) -> Vec<FormField> {
    properties(schema)
        .map(|(name, s)| {
            let ty = s.get("type").and_then(Value::as_str).unwrap_or("string");
            let options: Vec<String> = s
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let english = s
                .get("enum_en")
                .and_then(Value::as_array)
                .filter(|_| locale == Locale::En);
            let option_labels = options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    english
                        .and_then(|e| e.get(i))
                        .and_then(Value::as_str)
                        .map_or_else(|| o.clone(), str::to_owned)
                })
                .collect();
            let long = s
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_none_or(|m| m > 100);
            let kind = match ty {
                _ if !options.is_empty() => "choice",
                "string" if name == "department" => "department",
                "integer" if name == "department_id" => "department_id",
                "integer" => "integer",
                "number" => "number",
                "boolean" => "check",
                "array" => "list",
                _ if long => "text",
                _ => "line",
            };
            let input = format!("{PREFIX}{name}");
            let error = errors
                .iter()
                .find(|v| v.field() == name)
                .map(|v| match locale {
                    Locale::Zh => v.message_zh(),
                    Locale::En => v.message(),
                });
            FormField {
                value: posted.get(&input).cloned().unwrap_or_default(),
                label: label(locale, name, s),
                required: required(schema, name),
                input,
                kind,
                options,
                option_labels,
                error,
            }
        })
        .collect()
}

/// The JSON object `schema` describes, from posted text. Empty inputs are
/// left out, so "required" is reported for them.
pub fn read(schema: Option<&Value>, posted: &HashMap<String, String>) -> Value {
    let mut out = Map::new();
    for (name, s) in properties(schema) {
        let raw = posted
            .get(&format!("{PREFIX}{name}"))
            .map(|v| v.trim())
            .unwrap_or_default();
        let ty = s.get("type").and_then(Value::as_str).unwrap_or("string");
        let value = match ty {
            "boolean" => Value::Bool(matches!(raw, "on" | "true")),
            _ if raw.is_empty() => continue,
            "integer" => raw
                .parse::<i64>()
                .map_or_else(|_| Value::String(raw.into()), Value::from),
            // A whole number stays one (520, not 520.0).
            "number" => raw
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| {
                    raw.parse::<f64>()
                        .ok()
                        .and_then(|x| serde_json::Number::from_f64(x).map(Value::Number))
                })
                .unwrap_or_else(|| Value::String(raw.into())),
            "array" => Value::Array(
                raw.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.into()))
                    .collect(),
            ),
            _ => Value::String(raw.into()),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// The posted text that [`read`] would turn into `data`: a saved form
/// shown again for editing.
pub fn posted(data: &Value) -> HashMap<String, String> {
    let Some(obj) = data.as_object() else {
        return HashMap::new();
    };
    obj.iter()
        .map(|(name, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(true) => "on".into(),
                Value::Bool(false) => String::new(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => other.to_string(),
            };
            (format!("{PREFIX}{name}"), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "required": ["missing", "department_id"], "properties": {
            "missing": {"type": "array", "items": {"type": "string"}},
            "department_id": {"type": "integer"},
            "urgent": {"type": "boolean"},
            "note": {"type": "string", "maxLength": 50},
            "reason": {"type": "string"},
            "level": {"type": "string", "enum": ["a", "b"]}
        }})
    }

    fn posted(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{PREFIX}{k}"), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_whole_number_stays_whole() {
        let s = json!({"type": "object", "properties": {"price": {"type": "number"}}});
        let read_price = |text: &str| read(Some(&s), &posted(&[("price", text)]))["price"].clone();
        assert_eq!(read_price("520").to_string(), "520");
        assert_eq!(read_price("520.5"), json!(520.5));
        assert_eq!(read_price("很多"), json!("很多"));
    }

    #[test]
    fn saved_json_is_posted_text_again() {
        let s = schema();
        let form = posted(&[
            ("reason", "太吵"),
            ("department_id", "3"),
            ("urgent", "on"),
            ("missing", "身份证\n户口簿"),
        ]);
        let data = read(Some(&s), &form);
        assert_eq!(super::posted(&data), form);
        assert_eq!(read(Some(&s), &super::posted(&data)), data);
    }

    #[test]
    fn posted_text_becomes_typed_json() {
        let s = schema();
        let v = read(
            Some(&s),
            &posted(&[
                ("missing", "营业执照复印件\n\n  法定代表人身份证 \n"),
                ("department_id", "12"),
                ("urgent", "on"),
                ("note", "  "),
                ("reason", "因为"),
            ]),
        );
        assert_eq!(
            v,
            json!({"missing": ["营业执照复印件", "法定代表人身份证"], "department_id": 12,
                   "urgent": true, "reason": "因为"})
        );
        // Text that is not a number goes on as text, for the engine to refuse.
        let v = read(Some(&s), &posted(&[("department_id", "十二")]));
        assert_eq!(v["department_id"], json!("十二"));
        assert_eq!(v["urgent"], json!(false));
    }

    #[test]
    fn inputs_follow_the_schema_and_carry_errors_in_the_viewer_language() {
        let s = schema();
        let errors = [Violation::new("/missing", egov_cases::Rule::Required)];
        let f = draw(Locale::Zh, Some(&s), &posted(&[("note", "旧值")]), &errors);
        let kinds: Vec<(&str, &str, bool)> = f
            .iter()
            .map(|f| (f.input.as_str(), f.kind, f.required))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("f_missing", "list", true),
                ("f_department_id", "department_id", true),
                ("f_urgent", "check", false),
                ("f_note", "line", false),
                ("f_reason", "text", false),
                ("f_level", "choice", false),
            ]
        );
        assert_eq!(f[0].error.as_deref(), Some("为必填项"));
        assert_eq!(f[3].value, "旧值");
        assert_eq!(f[5].options, vec!["a", "b"]);
        let en = draw(Locale::En, Some(&s), &HashMap::new(), &errors);
        assert_eq!(en[0].error.as_deref(), Some("is required"));
    }
}
