//! Open311 answers in either format the spec defines: JSON, and XML with
//! a root element per resource and an element per list item.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The format a resource was asked for, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `services.json` → (`services`, JSON); no or another extension is
    /// not an Open311 resource.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        let (name, ext) = file.rsplit_once('.')?;
        let format = match ext {
            "json" => Format::Json,
            "xml" => Format::Xml,
            _ => return None,
        };
        Some((name, format))
    }
}

/// The element each item of a list under this key is written as.
fn item_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "errors" => "error",
        _ => "item",
    }
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

fn element(name: &str, value: &Value, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => escape(s, out),
        Value::Array(items) => {
            let item = item_name(name);
            for v in items {
                element(item, v, out);
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                element(k, v, out);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `value` as an XML document whose root element is `root`.
pub fn to_xml(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    element(root, value, &mut out);
    out
}

/// An answer in the asked format: `root` names the XML document's root.
pub fn answer(status: StatusCode, format: Format, root: &str, value: &Value) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            value.to_string(),
        )
            .into_response(),
        Format::Xml => (
            status,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            to_xml(root, value),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_name_their_items() {
        let v = json!([{"service_code": "e0102", "keywords": null, "metadata": false}]);
        assert_eq!(
            to_xml("services", &v),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>e0102</service_code>\
             <keywords></keywords><metadata>false</metadata></service></services>"
        );
    }

    #[test]
    fn text_is_escaped() {
        let v = json!([{"description": "<b>\"&'\u{1}</b>"}]);
        assert!(to_xml("service_requests", &v)
            .contains("<description>&lt;b&gt;&quot;&amp;&apos;&lt;/b&gt;</description>"));
    }

    #[test]
    fn extensions_choose_the_format() {
        assert_eq!(
            Format::split("services.xml"),
            Some(("services", Format::Xml))
        );
        assert_eq!(Format::split("e0102.json"), Some(("e0102", Format::Json)));
        assert_eq!(Format::split("services"), None);
        assert_eq!(Format::split("services.html"), None);
    }
}
