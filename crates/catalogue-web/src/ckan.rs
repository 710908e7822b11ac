//! CKAN's Action API over the open datasets, at `/api/3/action/NAME` and
//! `/api/action/NAME`, by GET (query parameters) or POST (a JSON body or a
//! form): `package_search`, `package_show`, `package_list`,
//! `organization_list`, `organization_show`, `resource_show`,
//! `datastore_search`, `status_show`. Answers in CKAN's envelope; errors
//! as CKAN's `__type`s (Not Found 404, Validation 409) so its clients raise
//! their own exceptions. Parameters a client adds that an action does not
//! read are ignored, as CKAN does. Only open resources exist here.

use crate::views::{self, organization, organization_name, package};
use crate::Rows;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_catalogue::cells::{RowQuery, MAX_PAGE};
use egov_catalogue::hosted::DataVersions;
use egov_catalogue::{Catalogue, Resource};
use egov_search::MAX_WINDOW;
use egov_web_kit::context::public_base;
use egov_web_kit::state::AppState;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What a call failed with, in CKAN's words.
enum Failure {
    NotFound(String),
    Validation(Map<String, Value>),
    BadRequest(String),
    Internal,
}

impl Failure {
    fn field(name: &str, message: impl Into<String>) -> Failure {
        let mut m = Map::new();
        m.insert(name.to_owned(), json!([message.into()]));
        Failure::Validation(m)
    }
}

type Outcome = Result<Value, Failure>;

fn envelope(base: &str, action: &str, outcome: Outcome) -> Response {
    let help = format!("{base}/api/3/action/help_show?name={action}");
    let (status, body) = match outcome {
        Ok(result) => (
            StatusCode::OK,
            json!({"help": help, "success": true, "result": result}),
        ),
        Err(Failure::NotFound(message)) => (
            StatusCode::NOT_FOUND,
            json!({"help": help, "success": false,
                   "error": {"__type": "Not Found Error", "message": message}}),
        ),
        Err(Failure::Validation(mut fields)) => {
            fields.insert("__type".into(), json!("Validation Error"));
            (
                StatusCode::CONFLICT,
                json!({"help": help, "success": false, "error": fields}),
            )
        }
        Err(Failure::BadRequest(message)) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
                json!({"help": help, "success": false,
                       "error": {"__type": "Bad request", "message": message}})
                .to_string(),
            )
                .into_response()
        }
        Err(Failure::Internal) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"help": help, "success": false,
                   "error": {"__type": "Internal Server Error", "message": "Internal Server Error"}}),
        ),
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// A call by GET: the query string's parameters, as text.
pub async fn get(
    State(state): State<AppState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let base = public_base(&state.settings, &headers);
    let params: Vec<(String, String)> = match serde_urlencoded::from_str(q.as_deref().unwrap_or(""))
    {
        Ok(p) => p,
        Err(e) => return envelope(&base, &action, Err(Failure::BadRequest(e.to_string()))),
    };
    let mut map = Map::new();
    for (k, v) in params {
        map.insert(k, Value::String(v));
    }
    let outcome = call(&state, &base, &action, map).await;
    envelope(&base, &action, outcome)
}

/// A call by POST: a JSON object, or a form.
pub async fn post(
    State(state): State<AppState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base = public_base(&state.settings, &headers);
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let map = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else if is_form {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
            Ok(p) => p.into_iter().map(|(k, v)| (k, Value::String(v))).collect(),
            Err(e) => return envelope(&base, &action, Err(Failure::BadRequest(e.to_string()))),
        }
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m,
            Ok(_) | Err(_) => {
                return envelope(
                    &base,
                    &action,
                    Err(Failure::BadRequest(
                        "Bad request - JSON Error: the body is not a JSON object".into(),
                    )),
                )
            }
        }
    };
    let outcome = call(&state, &base, &action, map).await;
    envelope(&base, &action, outcome)
}

async fn call(state: &AppState, base: &str, action: &str, p: Map<String, Value>) -> Outcome {
    let catalogue = Catalogue::get(&state.db).await.map_err(internal)?;
    let directory = egov_org::directory(&state.db).await.map_err(internal)?;
    let data = DataVersions::get(&state.db).await.map_err(internal)?;
    let params = Params(p);
    match action {
        "status_show" => Ok(json!({
            "ckan_version": "2.10.4",
            "site_title": "北京市政务数据开放",
            "site_description": "egov 开放数据",
            "site_url": base,
            "locale_default": "zh_Hans_CN",
            "extensions": ["datastore", "dcat"],
        })),
        "package_list" => {
            let limit = params.count("limit", usize::MAX, usize::MAX)?;
            let offset = params.count("offset", 0, usize::MAX)?;
            let names: Vec<String> = catalogue
                .open()
                .skip(offset)
                .take(limit)
                .map(Resource::slug)
                .collect();
            Ok(json!(names))
        }
        "package_show" => {
            let r = params.open_dataset(&catalogue, "id")?;
            Ok(package(base, &directory, &data, r))
        }
        "resource_show" => {
            let id = params.text("id")?;
            let (slug, suffix) = views::split_distribution(&id)
                .ok_or_else(|| Failure::NotFound("Resource was not found.".into()))?;
            let r = catalogue
                .by_slug(slug)
                .filter(|r| r.is_open())
                .ok_or_else(|| Failure::NotFound("Resource was not found.".into()))?;
            views::distributions(base, &data, r)
                .into_iter()
                .find(|d| d["id"] == views::distribution_id(r, suffix))
                .ok_or_else(|| Failure::NotFound("Resource was not found.".into()))
        }
        "organization_list" => {
            let all_fields = params.flag("all_fields")?;
            let counts = open_by_department(&catalogue);
            let mut orgs: Vec<(i64, usize)> = counts.into_iter().collect();
            orgs.sort_by_key(|(id, _)| directory.code_of(*id));
            let limit = params.count("limit", usize::MAX, usize::MAX)?;
            let offset = params.count("offset", 0, usize::MAX)?;
            let orgs = orgs.into_iter().skip(offset).take(limit);
            Ok(if all_fields {
                json!(orgs
                    .map(|(id, n)| organization(&directory, id, n))
                    .collect::<Vec<_>>())
            } else {
                json!(orgs
                    .map(|(id, _)| organization_name(&directory.code_of(id)))
                    .collect::<Vec<_>>())
            })
        }
        "organization_show" => {
            let id = params.text("id")?;
            let department = directory
                .by_code(&id.to_ascii_uppercase())
                .ok_or_else(|| Failure::NotFound("Organization was not found.".into()))?;
            let datasets: Vec<&Resource> = catalogue
                .open()
                .filter(|r| r.department_id == department.id)
                .collect();
            let mut org = organization(&directory, department.id, datasets.len());
            if params.flag("include_datasets")? {
                org["packages"] = json!(datasets
                    .iter()
                    .take(1000)
                    .map(|r| package(base, &directory, &data, r))
                    .collect::<Vec<_>>());
            }
            Ok(org)
        }
        "package_search" => package_search(base, &catalogue, &directory, &data, &params).await,
        "datastore_search" => datastore_search(state, &catalogue, &params).await,
        other => Err(Failure::BadRequest(format!(
            "Bad request - Action name not known: {other}"
        ))),
    }
}

fn internal(e: impl std::error::Error) -> Failure {
    tracing::error!(error = %e, "CKAN API call failed");
    Failure::Internal
}

fn open_by_department(catalogue: &Catalogue) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for r in catalogue.open() {
        *counts.entry(r.department_id).or_insert(0) += 1;
    }
    counts
}

/// An action's parameters, as sent (text by GET, JSON by POST).
struct Params(Map<String, Value>);

impl Params {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn text(&self, name: &str) -> Result<String, Failure> {
        match self.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(Failure::field(name, "Missing value")),
        }
    }

    fn optional_text(&self, name: &str) -> Option<String> {
        self.text(name).ok()
    }

    fn count(&self, name: &str, default: usize, max: usize) -> Result<usize, Failure> {
        let n = match self.get(name) {
            None => return Ok(default),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(default),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(Value::Number(n)) => n.as_i64(),
            Some(_) => None,
        };
        match n {
            Some(n) if n < 0 => Err(Failure::field(name, "Must be a natural number")),
            Some(n) if n as u64 > max as u64 => Err(Failure::field(
                name,
                format!("Must be less than or equal to {max}"),
            )),
            Some(n) => Ok(n as usize),
            None => Err(Failure::field(name, "Invalid integer")),
        }
    }

    fn flag(&self, name: &str) -> Result<bool, Failure> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" | "" => Ok(false),
                _ => Err(Failure::field(name, "Value must be one of: true, false")),
            },
            Some(_) => Err(Failure::field(name, "Value must be one of: true, false")),
        }
    }

    /// A parameter that is a list: a JSON list, a JSON list in text, or
    /// comma-separated text.
    fn list(&self, name: &str) -> Result<Vec<String>, Failure> {
        let words = |v: &Vec<Value>| -> Result<Vec<String>, Failure> {
            v.iter()
                .map(|x| match x {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(Failure::field(name, "Must be a list of strings")),
                })
                .collect()
        };
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(v)) => words(v),
            Some(Value::String(s)) if s.trim_start().starts_with('[') => {
                match serde_json::from_str::<Value>(s) {
                    Ok(Value::Array(v)) => words(&v),
                    _ => Err(Failure::field(name, "Cannot parse JSON list")),
                }
            }
            Some(Value::String(s)) => Ok(s
                .split(',')
                .map(|w| w.trim().to_owned())
                .filter(|w| !w.is_empty())
                .collect()),
            Some(_) => Err(Failure::field(name, "Must be a list of strings")),
        }
    }

    fn open_dataset<'c>(
        &self,
        catalogue: &'c Catalogue,
        name: &str,
    ) -> Result<&'c Resource, Failure> {
        let id = self.text(name)?;
        catalogue
            .by_slug(&id)
            .filter(|r| r.is_open())
            .ok_or_else(|| Failure::NotFound("Not found".into()))
    }
}

/// CKAN's facet fields and the catalogue's.
fn facet_field(ckan: &str) -> Option<&'static str> {
    match ckan {
        "organization" => Some("department"),
        "groups" => Some("class"),
        _ => None,
    }
}

/// `fq` as CKAN clients write it: `field:value` terms (quoted values allowed),
/// joined by spaces or `AND`.
fn filter_query(fq: &str) -> Result<Vec<(&'static str, String)>, Failure> {
    let mut out = Vec::new();
    let mut rest = fq.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("AND ") {
            rest = r.trim_start();
            continue;
        }
        let (field, after) = rest
            .split_once(':')
            .ok_or_else(|| Failure::field("fq", format!("Cannot read '{rest}': field:value")))?;
        let field = field.trim().trim_start_matches('+');
        let (value, after) = if let Some(q) = after.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or_else(|| Failure::field("fq", "Unterminated quoted value"))?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        let ours = match field {
            "organization" | "owner_org" => "department",
            "groups" => "class",
            "name" | "id" => "name",
            other => {
                return Err(Failure::field(
                    "fq",
                    format!("Filtering by '{other}' is not supported (organization, groups, name)"),
                ))
            }
        };
        let value = if ours == "department" {
            value.to_ascii_uppercase()
        } else {
            value.to_owned()
        };
        out.push((ours, value));
        rest = after.trim_start();
    }
    Ok(out)
}

async fn package_search(
    base: &str,
    catalogue: &Catalogue,
    directory: &egov_org::Directory,
    data: &DataVersions,
    params: &Params,
) -> Outcome {
    let q = params.optional_text("q").unwrap_or_default();
    let q = if q == "*:*" { String::new() } else { q };
    let rows = params.count("rows", 10, 1000)?;
    let start = params.count("start", 0, usize::MAX)?;
    let filters = filter_query(&params.optional_text("fq").unwrap_or_default())?;
    let facet_fields = params.list("facet.field")?;
    let sort = params
        .optional_text("sort")
        .unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let order = Order::parse(&sort)?;
    let (names, facets): (Vec<Term>, Vec<Term>) = filters
        .into_iter()
        .map(|(f, v)| (f.to_owned(), v))
        .partition(|(f, _)| f == "name");
    // The matching open datasets, best first: the catalogue in memory when
    // there are no words to rank by; the shared search when there are,
    // which pages and counts facets itself when ordered by score, and
    // gives its first thousand for any other order.
    let ranked = !q.trim().is_empty();
    let (mut found, total, index_facets): (Vec<&Resource>, usize, Option<egov_search::Results>) =
        if !ranked {
            let all: Vec<&Resource> = catalogue
                .open()
                .filter(|r| {
                    facets.iter().all(|(f, v)| {
                        (if f == "department" {
                            &r.department
                        } else {
                            &r.class
                        }) == v
                    })
                })
                .collect();
            let n = all.len();
            (all, n, None)
        } else {
            let by_score = matches!(order, Order::Score) && names.is_empty();
            if by_score && start + rows > MAX_WINDOW {
                return Err(Failure::field(
                    "start",
                    format!("start + rows must be at most {MAX_WINDOW}"),
                ));
            }
            let (offset, limit) = if by_score {
                (start, rows)
            } else {
                (0, egov_search::MAX_LIMIT)
            };
            let mut query = egov_search::Query::new(q.clone())
                .filter("open", "open")
                .page(offset, limit)
                .facet("department")
                .facet("class");
            for (f, v) in &facets {
                query = query.filter(f.clone(), v.clone());
            }
            let results = catalogue.search(query).await.map_err(internal)?;
            let hits: Vec<&Resource> = results
                .hits
                .iter()
                .filter_map(|h| catalogue.by_code(&h.id))
                .collect();
            if by_score {
                (hits, results.total, Some(results))
            } else {
                let n = hits.len();
                (hits, n, None)
            }
        };
    if !names.is_empty() {
        found.retain(|r| names.iter().any(|(_, v)| r.slug() == *v));
    }
    let total = if names.is_empty() { total } else { found.len() };
    order.apply(&mut found, ranked);
    let mut search_facets = Map::new();
    let mut facet_counts = Map::new();
    for f in &facet_fields {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        match (facet_field(f), &index_facets) {
            (Some(ours), Some(results)) => {
                for (v, n) in results.facets.get(ours).into_iter().flatten() {
                    let v = if ours == "department" {
                        organization_name(v)
                    } else {
                        v.clone()
                    };
                    counts.insert(v, *n as usize);
                }
            }
            (Some(ours), None) => {
                for r in &found {
                    let v = if ours == "department" {
                        organization_name(&r.department)
                    } else {
                        r.class.clone()
                    };
                    *counts.entry(v).or_insert(0) += 1;
                }
            }
            (None, _) => {}
        }
        let mut items: Vec<(String, usize)> = counts.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let display = |name: &str| -> String {
            match facet_field(f) {
                Some("department") => directory
                    .by_code(&name.to_ascii_uppercase())
                    .map(|d| d.name.clone())
                    .unwrap_or_else(|| name.to_owned()),
                Some(_) => egov_catalogue::classes::Classes::shipped()
                    .class(name)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| name.to_owned()),
                None => name.to_owned(),
            }
        };
        facet_counts.insert(
            f.clone(),
            json!(items
                .iter()
                .map(|(n, c)| (n.clone(), json!(c)))
                .collect::<Map<_, _>>()),
        );
        search_facets.insert(
            f.clone(),
            json!({"title": f, "items": items.iter().map(|(n, c)| json!({
                "name": n, "display_name": display(n), "count": c,
            })).collect::<Vec<_>>()}),
        );
    }
    let paged_by_index = index_facets.is_some();
    let results: Vec<Value> = found
        .into_iter()
        .skip(if paged_by_index { 0 } else { start })
        .take(rows)
        .map(|r| package(base, directory, data, r))
        .collect();
    Ok(json!({
        "count": total,
        "results": results,
        "facets": facet_counts,
        "search_facets": search_facets,
        "sort": sort,
    }))
}

/// A field and the value it must have.
type Term = (String, String);

/// The orders `package_search` knows.
enum Order {
    Score,
    Name(bool),
    Title(bool),
    Modified(bool),
}

impl Order {
    fn parse(sort: &str) -> Result<Order, Failure> {
        let first = sort.split(',').next().unwrap_or("").trim();
        let mut words = first.split_whitespace();
        let field = words.next().unwrap_or("score");
        let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(Failure::field("sort", "Invalid sort direction")),
        };
        Ok(match field {
            "score" | "rank" => Order::Score,
            "name" => Order::Name(desc),
            "title_string" | "title" => Order::Title(desc),
            "metadata_modified" | "metadata_created" => Order::Modified(desc),
            other => {
                return Err(Failure::field(
                    "sort",
                    format!(
                        "Cannot sort by '{other}' (score, name, title_string, metadata_modified)"
                    ),
                ))
            }
        })
    }

    /// Orders the datasets found (search order is the score's).
    fn apply(&self, found: &mut [&Resource], ranked: bool) {
        match self {
            Order::Score if ranked => {}
            Order::Score => found.sort_by_key(|r| std::cmp::Reverse(r.updated_at)),
            Order::Name(desc) => {
                found.sort_by(|a, b| a.code.cmp(&b.code));
                if *desc {
                    found.reverse()
                }
            }
            Order::Title(desc) => {
                found.sort_by(|a, b| a.name.cmp(&b.name));
                if *desc {
                    found.reverse()
                }
            }
            Order::Modified(desc) => {
                found.sort_by_key(|r| r.updated_at);
                if *desc {
                    found.reverse()
                }
            }
        }
    }
}

/// A JSON object given as JSON or as JSON in text.
fn object_param(params: &Params, name: &str) -> Result<BTreeMap<String, Value>, Failure> {
    match params.get(name) {
        None => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => Ok(m.clone().into_iter().collect()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(BTreeMap::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(m.into_iter().collect()),
            _ => Err(Failure::field(name, "Cannot parse JSON object")),
        },
        Some(_) => Err(Failure::field(name, "Must be a JSON object")),
    }
}

async fn datastore_search(state: &AppState, catalogue: &Catalogue, params: &Params) -> Outcome {
    let id = params.text("resource_id")?;
    let slug = views::split_distribution(&id).map_or(id.as_str(), |(slug, _)| slug);
    let r = catalogue
        .by_slug(slug)
        .filter(|r| r.is_open())
        .ok_or_else(|| Failure::NotFound(format!("Resource \"{id}\" was not found.")))?;
    let query = RowQuery {
        filters: object_param(params, "filters")?,
        q: params.optional_text("q"),
        fields: params.list("fields")?,
        sort: params.optional_text("sort"),
        limit: params.count("limit", 100, MAX_PAGE)?,
        offset: params.count("offset", 0, usize::MAX)?,
    };
    let checked = query.check(r, None).map_err(|e| {
        let field = match e {
            egov_catalogue::cells::QueryError::Sort(_) => "sort",
            egov_catalogue::cells::QueryError::Limit => "limit",
            _ => "filters",
        };
        Failure::field(field, e.to_string())
    })?;
    let (_, rows) = state
        .part::<Rows>()
        .0
        .current(&state.db, r)
        .await
        .map_err(internal)?;
    let page = checked.run(rows.iter());
    let fields: Vec<Value> = checked
        .fields
        .iter()
        .map(|i| json!({"id": i.name, "type": views::datastore_type(i.kind), "info": {"label": i.title}}))
        .collect();
    let next_offset = query.offset + query.limit;
    Ok(json!({
        "resource_id": id,
        "fields": fields,
        "records": page.records,
        "total": page.total,
        "total_was_estimated": false,
        "limit": query.limit,
        "offset": query.offset,
        "_links": {
            "start": format!("/api/3/action/datastore_search?resource_id={id}&limit={}", query.limit),
            "next": format!("/api/3/action/datastore_search?resource_id={id}&limit={}&offset={next_offset}", query.limit),
        },
    }))
}
