//! A small, strict subset of JSON Schema for action fields: `type` (object,
//! string, integer, number, boolean, array), `properties`, `required`,
//! `additionalProperties: false` (the default here), `enum`,
//! `minLength`/`maxLength`, `minimum`/`maximum`, `items`,
//! `minItems`/`maxItems`, `title`, `description`. Anything else is refused
//! at load, so a definition never silently relies on an unchecked keyword.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("schema at {path}: {message}")]
    Invalid { path: String, message: String },
}

/// One failed check of submitted data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// A JSON Pointer to the offending value, e.g. `/missing/0`.
    pub path: String,
    pub rule: Rule,
}

/// The check a value failed, so that each language can word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Type(String),
    OneOf(String),
    MinLength(u64),
    MaxLength(u64),
    Minimum(String),
    Maximum(String),
    MinItems(u64),
    MaxItems(u64),
    Required,
    UnknownField,
    NoFields,
    /// Another department than the one handling the case, that exists.
    OtherDepartment,
}

impl Violation {
    pub fn new(path: impl Into<String>, rule: Rule) -> Self {
        let path = path.into();
        Violation {
            path: if path.is_empty() { "/".into() } else { path },
            rule,
        }
    }

    /// The field the violation is about: the first segment of the path.
    pub fn field(&self) -> &str {
        self.path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
    }

    pub fn message(&self) -> String {
        match &self.rule {
            Rule::Type(t) => format!("must be of type {t}"),
            Rule::OneOf(list) => format!("must be one of {list}"),
            Rule::MinLength(n) => format!("must be at least {n} characters"),
            Rule::MaxLength(n) => format!("must be at most {n} characters"),
            Rule::Minimum(n) => format!("must be at least {n}"),
            Rule::Maximum(n) => format!("must be at most {n}"),
            Rule::MinItems(n) => format!("needs at least {n} items"),
            Rule::MaxItems(n) => format!("takes at most {n} items"),
            Rule::Required => "is required".into(),
            Rule::UnknownField => "is not a known field".into(),
            Rule::NoFields => "this action takes no fields".into(),
            Rule::OtherDepartment => "must name another existing department".into(),
        }
    }

    pub fn message_zh(&self) -> String {
        match &self.rule {
            Rule::Type(t) => format!(
                "格式不对，应为{}",
                match t.as_str() {
                    "integer" => "整数",
                    "number" => "数字",
                    "string" => "文字",
                    "boolean" => "是或否",
                    "array" => "列表",
                    _ => "对象",
                }
            ),
            Rule::OneOf(list) => format!("须为以下之一：{list}"),
            Rule::MinLength(1) | Rule::Required => "为必填项".into(),
            Rule::MinLength(n) => format!("至少 {n} 个字"),
            Rule::MaxLength(n) => format!("不能超过 {n} 个字"),
            Rule::Minimum(n) => format!("不能小于 {n}"),
            Rule::Maximum(n) => format!("不能大于 {n}"),
            Rule::MinItems(n) => format!("至少填写 {n} 项"),
            Rule::MaxItems(n) => format!("最多 {n} 项"),
            Rule::UnknownField => "不是此操作的字段".into(),
            Rule::NoFields => "此操作不需要填写内容".into(),
            Rule::OtherDepartment => "须为另一个存在的部门".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema(Value);

const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "items",
    "minItems",
    "maxItems",
    "title",
    // The title and the choices' labels for readers of English (the
    // stored values stay as `enum` has them).
    "title_en",
    "enum_en",
    "description",
];

impl FieldSchema {
    pub fn new(schema: Value) -> Result<Self, SchemaError> {
        check(&schema, "")?;
        Ok(FieldSchema(schema))
    }

    /// Every violation in `data` (empty when valid).
    pub fn validate(&self, data: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        validate(&self.0, data, "", &mut out);
        out
    }

    pub fn as_json(&self) -> &Value {
        &self.0
    }
}

fn invalid(path: &str, message: impl Into<String>) -> SchemaError {
    SchemaError::Invalid {
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
        message: message.into(),
    }
}

fn check(s: &Value, path: &str) -> Result<(), SchemaError> {
    let obj = s
        .as_object()
        .ok_or_else(|| invalid(path, "a schema must be a table"))?;
    for k in obj.keys() {
        if !KEYWORDS.contains(&k.as_str()) {
            return Err(invalid(path, format!("unsupported keyword '{k}'")));
        }
    }
    let ty = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(path, "'type' is required"))?;
    match ty {
        "object" => {
            let props = obj
                .get("properties")
                .map(|p| {
                    p.as_object()
                        .ok_or_else(|| invalid(path, "'properties' must be a table"))
                })
                .transpose()?;
            for (name, sub) in props.into_iter().flatten() {
                check(sub, &format!("{path}/{name}"))?;
            }
            if let Some(req) = obj.get("required") {
                let names = req
                    .as_array()
                    .ok_or_else(|| invalid(path, "'required' must be a list"))?;
                for n in names {
                    let n = n
                        .as_str()
                        .ok_or_else(|| invalid(path, "'required' lists names"))?;
                    if !props.is_some_and(|p| p.contains_key(n)) {
                        return Err(invalid(path, format!("required field '{n}' has no schema")));
                    }
                }
            }
            if obj
                .get("additionalProperties")
                .is_some_and(|v| v != &Value::Bool(false))
            {
                return Err(invalid(
                    path,
                    "only 'additionalProperties = false' is supported",
                ));
            }
        }
        "array" => check(
            obj.get("items")
                .ok_or_else(|| invalid(path, "an array needs 'items'"))?,
            &format!("{path}/items"),
        )?,
        "string" | "integer" | "number" | "boolean" => {}
        other => return Err(invalid(path, format!("unknown type '{other}'"))),
    }
    for k in ["minLength", "maxLength", "minItems", "maxItems"] {
        if obj.get(k).is_some_and(|v| v.as_u64().is_none()) {
            return Err(invalid(path, format!("'{k}' must be a whole number")));
        }
    }
    for k in ["minimum", "maximum"] {
        if obj.get(k).is_some_and(|v| !v.is_number()) {
            return Err(invalid(path, format!("'{k}' must be a number")));
        }
    }
    if obj.get("enum").is_some_and(|v| !v.is_array()) {
        return Err(invalid(path, "'enum' must be a list"));
    }
    if let Some(labels) = obj.get("enum_en") {
        let choices = obj.get("enum").and_then(Value::as_array).map(Vec::len);
        let labels = labels
            .as_array()
            .filter(|l| l.iter().all(Value::is_string))
            .map(Vec::len);
        if labels.is_none() || labels != choices {
            return Err(invalid(
                path,
                "'enum_en' must be a list of labels, one for each value of 'enum'",
            ));
        }
    }
    Ok(())
}

fn push(out: &mut Vec<Violation>, path: &str, rule: Rule) {
    out.push(Violation::new(path, rule));
}

fn validate(s: &Value, v: &Value, path: &str, out: &mut Vec<Violation>) {
    let obj: &Map<String, Value> = s.as_object().expect("checked at load");
    let ty = obj["type"].as_str().expect("checked at load");
    let type_ok = match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => false,
    };
    if !type_ok {
        push(out, path, Rule::Type(ty.to_owned()));
        return;
    }
    if let Some(allowed) = obj.get("enum").and_then(Value::as_array) {
        if !allowed.contains(v) {
            push(
                out,
                path,
                Rule::OneOf(Value::Array(allowed.clone()).to_string()),
            );
        }
    }
    let len = |k: &str| obj.get(k).and_then(Value::as_u64);
    match v {
        Value::String(text) => {
            let n = text.chars().count() as u64;
            if len("minLength").is_some_and(|m| n < m) {
                push(out, path, Rule::MinLength(len("minLength").unwrap()));
            }
            if len("maxLength").is_some_and(|m| n > m) {
                push(out, path, Rule::MaxLength(len("maxLength").unwrap()));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_default();
            if obj
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x < m)
            {
                push(out, path, Rule::Minimum(obj["minimum"].to_string()));
            }
            if obj
                .get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x > m)
            {
                push(out, path, Rule::Maximum(obj["maximum"].to_string()));
            }
        }
        Value::Array(items) => {
            let n = items.len() as u64;
            if len("minItems").is_some_and(|m| n < m) {
                push(out, path, Rule::MinItems(len("minItems").unwrap()));
            }
            if len("maxItems").is_some_and(|m| n > m) {
                push(out, path, Rule::MaxItems(len("maxItems").unwrap()));
            }
            for (i, item) in items.iter().enumerate() {
                validate(&obj["items"], item, &format!("{path}/{i}"), out);
            }
        }
        Value::Object(fields) => {
            let props = obj.get("properties").and_then(Value::as_object);
            for req in obj
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = req.as_str().expect("checked at load");
                if !fields.contains_key(name) {
                    push(out, &format!("{path}/{name}"), Rule::Required);
                }
            }
            for (name, value) in fields {
                match props.and_then(|p| p.get(name)) {
                    Some(sub) => validate(sub, value, &format!("{path}/{name}"), out),
                    None => push(out, &format!("{path}/{name}"), Rule::UnknownField),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn english_labels_must_match_the_choices_one_for_one() {
        let good = json!({"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["个人经营", "家庭经营"], "enum_en": ["Individual", "Family"],
                     "title": "组成形式", "title_en": "Form of business"}}});
        assert!(FieldSchema::new(good).is_ok());
        let short = json!({"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["个人经营", "家庭经营"], "enum_en": ["Individual"]}}});
        assert!(FieldSchema::new(short).is_err());
    }

    fn opinion() -> FieldSchema {
        FieldSchema::new(json!({
            "type": "object",
            "required": ["opinion"],
            "properties": {
                "opinion": {"type": "string", "minLength": 1, "maxLength": 10},
                "missing": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "days": {"type": "integer", "minimum": 1, "maximum": 30},
                "kind": {"type": "string", "enum": ["a", "b"]}
            }
        }))
        .unwrap()
    }

    #[test]
    fn valid_data_passes() {
        assert!(opinion()
            .validate(&json!({"opinion": "同意", "missing": ["身份证"], "days": 5, "kind": "a"}))
            .is_empty());
    }

    #[test]
    fn each_violation_is_reported_with_its_path() {
        let v = opinion().validate(&json!({"missing": [], "days": 31, "kind": "c", "extra": 1}));
        let paths: Vec<&str> = v.iter().map(|x| x.path.as_str()).collect();
        // In the schema's order, then what it does not know.
        assert_eq!(
            paths,
            vec!["/opinion", "/missing", "/days", "/kind", "/extra"]
        );
        let v = opinion().validate(&json!({"opinion": "这段意见写得实在是太长了一些"}));
        assert_eq!(v[0].path, "/opinion");
        let whole = &opinion().validate(&json!("text"))[0];
        assert_eq!(whole.rule, Rule::Type("object".into()));
        assert!(whole.message().contains("object"));
        assert_eq!(whole.message_zh(), "格式不对，应为对象");
    }

    #[test]
    fn schemas_with_unsupported_keywords_are_refused() {
        for bad in [
            json!({"type": "object", "patternProperties": {}}),
            json!({"type": "string", "pattern": "^a"}),
            json!({"type": "object", "required": ["x"]}),
            json!({"type": "date"}),
            json!({"type": "array"}),
            json!({"properties": {}}),
            json!({"type": "object", "additionalProperties": true}),
        ] {
            assert!(FieldSchema::new(bad.clone()).is_err(), "{bad}");
        }
    }
}
