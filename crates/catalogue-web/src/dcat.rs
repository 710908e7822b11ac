//! The open catalogue as DCAT-AP 3 (`/catalog.jsonld`, `/catalog.ttl`):
//! the catalogue, its publisher, every open dataset with its publisher,
//! keywords, dates, frequency and distributions, and the CKAN API as a
//! data service; free text tagged `zh` and `en`. One graph of statements
//! is built and written in either syntax, so the two always agree.

use crate::views::{self, FORMATS, LICENSE_URL};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use egov_catalogue::hosted::DataVersions;
use egov_catalogue::{Catalogue, Resource};
use egov_org::Directory;
use egov_web_kit::context::public_base;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

const PREFIXES: [(&str, &str); 5] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
];

/// The department that publishes the catalogue (the city's data bureau).
const PUBLISHER: &str = "110000-ZWFWJ";

/// An object of a statement.
enum Object {
    Iri(String),
    /// Text in a language.
    Text(String, &'static str),
    /// A literal of an XSD type (`date`, `dateTime`, `string`).
    Typed(String, &'static str),
}

/// Statements grouped by subject, each subject with its type.
/// A subject's type and its statements.
type Node = (&'static str, Vec<(&'static str, Object)>);

#[derive(Default)]
struct Graph {
    nodes: BTreeMap<String, Node>,
    order: Vec<String>,
}

impl Graph {
    fn node(&mut self, id: &str, kind: &'static str) {
        if !self.nodes.contains_key(id) {
            self.nodes.insert(id.to_owned(), (kind, Vec::new()));
            self.order.push(id.to_owned());
        }
    }

    fn add(&mut self, id: &str, predicate: &'static str, object: Object) {
        self.nodes
            .get_mut(id)
            .expect("a node is made before its statements")
            .1
            .push((predicate, object));
    }

    fn texts(&mut self, id: &str, predicate: &'static str, zh: &str, en: Option<&str>) {
        self.add(id, predicate, Object::Text(zh.to_owned(), "zh"));
        if let Some(en) = en.filter(|e| !e.is_empty()) {
            self.add(id, predicate, Object::Text(en.to_owned(), "en"));
        }
    }
}

/// An IRI made safe to write in either syntax: characters that may not
/// stand in one are percent-encoded (the base comes from the Host header).
fn iri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || ":/?#[]@!$&'()*+,;=-._~%".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn agent(graph: &mut Graph, base: &str, directory: &Directory, code: &str) -> String {
    let id = iri(&format!(
        "{base}/open-data/organization/{}",
        views::organization_name(code)
    ));
    if !graph.nodes.contains_key(&id) {
        graph.node(&id, "foaf:Agent");
        let d = directory.by_code(code);
        let zh = d.map(|d| d.name.clone()).unwrap_or_else(|| code.to_owned());
        let en = d.and_then(|d| d.name_en.clone());
        graph.texts(&id, "foaf:name", &zh, en.as_deref());
    }
    id
}

fn dataset(
    graph: &mut Graph,
    base: &str,
    directory: &Directory,
    data: &DataVersions,
    r: &Resource,
) -> String {
    let id = iri(&views::page_url(base, r));
    let publisher = agent(graph, base, directory, &r.department);
    graph.node(&id, "dcat:Dataset");
    graph.texts(&id, "dct:title", &r.name, r.name_en.as_deref());
    graph.texts(&id, "dct:description", &r.summary, r.abstract_en.as_deref());
    graph.add(
        &id,
        "dct:identifier",
        Object::Typed(r.code.clone(), "string"),
    );
    for k in &r.keywords {
        graph.add(&id, "dcat:keyword", Object::Text(k.clone(), "zh"));
    }
    graph.add(&id, "dct:publisher", Object::Iri(publisher));
    graph.add(
        &id,
        "dct:issued",
        Object::Typed(r.published.to_string(), "date"),
    );
    graph.add(
        &id,
        "dct:modified",
        Object::Typed(
            data.of(r.id)
                .modified(r.updated_at)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            "dateTime",
        ),
    );
    graph.add(
        &id,
        "dct:accrualPeriodicity",
        Object::Iri(format!(
            "http://publications.europa.eu/resource/authority/frequency/{}",
            r.update_cycle.eu_frequency()
        )),
    );
    graph.add(&id, "dcat:landingPage", Object::Iri(id.clone()));
    for (format, mimetype, suffix) in FORMATS {
        let d = format!("{id}#{suffix}");
        graph.add(&id, "dcat:distribution", Object::Iri(d.clone()));
        graph.node(&d, "dcat:Distribution");
        graph.texts(&d, "dct:title", &format!("{}（{format}）", r.name), None);
        graph.add(&d, "dcat:accessURL", Object::Iri(id.clone()));
        graph.add(
            &d,
            "dcat:downloadURL",
            Object::Iri(iri(&views::download_url(base, r, suffix))),
        );
        graph.add(
            &d,
            "dct:format",
            Object::Iri(format!(
                "http://publications.europa.eu/resource/authority/file-type/{format}"
            )),
        );
        graph.add(
            &d,
            "dcat:mediaType",
            Object::Iri(format!(
                "http://www.iana.org/assignments/media-types/{mimetype}"
            )),
        );
        graph.add(&d, "dct:license", Object::Iri(LICENSE_URL.to_owned()));
    }
    id
}

/// The catalogue's graph.
fn graph(base: &str, directory: &Directory, catalogue: &Catalogue, data: &DataVersions) -> Graph {
    let base = iri(base);
    let mut g = Graph::default();
    let catalog = format!("{base}/catalog");
    g.node(&catalog, "dcat:Catalog");
    g.texts(
        &catalog,
        "dct:title",
        "北京市政务数据开放目录",
        Some("Beijing open government data catalogue"),
    );
    g.texts(
        &catalog,
        "dct:description",
        "北京市各部门向社会开放的政务数据资源，可检索、下载，并通过 CKAN 接口调用。",
        Some("Open government data of Beijing's departments: searchable, downloadable, and served through the CKAN API."),
    );
    let publisher = agent(&mut g, &base, directory, PUBLISHER);
    g.add(&catalog, "dct:publisher", Object::Iri(publisher));
    g.add(
        &catalog,
        "foaf:homepage",
        Object::Iri(format!("{base}/open-data")),
    );
    let service = format!("{base}/api/3/action");
    g.add(&catalog, "dcat:service", Object::Iri(service.clone()));
    let datasets: Vec<String> = catalogue
        .open()
        .map(|r| dataset(&mut g, &base, directory, data, r))
        .collect();
    g.node(&service, "dcat:DataService");
    g.texts(
        &service,
        "dct:title",
        "开放数据接口（CKAN Action API）",
        Some("Open data API (CKAN Action API)"),
    );
    g.add(&service, "dcat:endpointURL", Object::Iri(service.clone()));
    for d in &datasets {
        g.add(&catalog, "dcat:dataset", Object::Iri(d.clone()));
        g.add(&service, "dcat:servesDataset", Object::Iri(d.clone()));
    }
    g
}

fn turtle_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn to_turtle(g: &Graph) -> String {
    let mut out = String::new();
    for (p, ns) in PREFIXES {
        let _ = writeln!(out, "@prefix {p}: <{ns}> .");
    }
    for id in &g.order {
        let (kind, statements) = &g.nodes[id];
        let _ = write!(out, "\n<{id}> a {kind}");
        for (predicate, object) in statements {
            let o = match object {
                Object::Iri(i) => format!("<{i}>"),
                Object::Text(t, lang) => format!("{}@{lang}", turtle_text(t)),
                Object::Typed(t, ty) => format!("{}^^xsd:{ty}", turtle_text(t)),
            };
            let _ = write!(out, " ;\n    {predicate} {o}");
        }
        out.push_str(" .\n");
    }
    out
}

fn to_jsonld(g: &Graph) -> Value {
    let context: Map<String, Value> = PREFIXES
        .iter()
        .map(|(p, ns)| (p.to_string(), json!(ns)))
        .collect();
    let nodes: Vec<Value> = g
        .order
        .iter()
        .map(|id| {
            let (kind, statements) = &g.nodes[id];
            let mut node = Map::new();
            node.insert("@id".into(), json!(id));
            node.insert("@type".into(), json!(kind));
            for (predicate, object) in statements {
                let v = match object {
                    Object::Iri(i) => json!({"@id": i}),
                    Object::Text(t, lang) => json!({"@value": t, "@language": lang}),
                    Object::Typed(t, ty) => json!({"@value": t, "@type": format!("xsd:{ty}")}),
                };
                let list = node
                    .entry(predicate.to_string())
                    .or_insert_with(|| json!([]));
                list.as_array_mut().expect("a list").push(v);
            }
            Value::Object(node)
        })
        .collect();
    json!({"@context": context, "@graph": nodes})
}

async fn built(state: &AppState, headers: &HeaderMap) -> Result<Graph, ApiError> {
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let directory = egov_org::directory(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let data = DataVersions::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    Ok(graph(
        &public_base(&state.settings, headers),
        &directory,
        &catalogue,
        &data,
    ))
}

/// The open catalogue in JSON-LD.
pub async fn jsonld(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let g = built(&state, &headers).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/ld+json")],
        to_jsonld(&g).to_string(),
    )
        .into_response())
}

/// The open catalogue in Turtle.
pub async fn turtle(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let g = built(&state, &headers).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/turtle; charset=utf-8")],
        to_turtle(&g),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_iris_are_written_safely() {
        assert_eq!(turtle_text("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(iri("http://h x/<a>"), "http://h%20x/%3Ca%3E");
        let mut g = Graph::default();
        g.node("http://x/c", "dcat:Catalog");
        g.texts("http://x/c", "dct:title", "目录", Some("Catalogue"));
        let ttl = to_turtle(&g);
        assert!(ttl.contains("<http://x/c> a dcat:Catalog ;\n    dct:title \"目录\"@zh ;\n    dct:title \"Catalogue\"@en .\n"), "{ttl}");
        let ld = to_jsonld(&g);
        assert_eq!(ld["@graph"][0]["dct:title"][1]["@language"], "en");
    }
}
