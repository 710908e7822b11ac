//! The catalogue over the API: resources searched with their facets, one
//! resource, registering or revising one, its rows queried and its data
//! loaded. Civil servants read the catalogue; a department's catalogue
//! administrators (and reference-data keys) keep its resources and data.
//! Rows of a resource that is not open are its provider's: others get them
//! through a grant (the exchange), never here.

use crate::errors;
use crate::Rows;
use axum::extract::State;
use egov_catalogue::cells::{check_records, filters_from_text, QueryError, RowQuery};
use egov_catalogue::hosted::DataVersions;
use egov_catalogue::hosted::{self, LoadMode};
use egov_catalogue::registry::{self, Saved, FACETS};
use egov_catalogue::{Catalogue, NewResource, Resource};
use egov_identity::Permission;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub const TAG_CATALOGUE: &str = "catalogue";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words to search for (the shared Chinese search).
    pub q: Option<String>,
    /// A provider's department code.
    pub department: Option<String>,
    /// A class code.
    pub class: Option<String>,
    /// unconditional, conditional or none.
    pub sharing: Option<String>,
    /// open, conditional or closed.
    pub open: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// A page of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceList {
    pub total: usize,
    /// Each resource with its metadata (see `GET /api/v1/catalogue/resources/{code}`).
    #[schema(value_type = Vec<Object>)]
    pub resources: Vec<Shown>,
    /// Per facet field, its values and counts over every match.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

/// A resource with its hosted data's newest version and rows.
#[derive(Debug, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub resource: Resource,
    /// The newest load of its data (0: none yet).
    pub data_version: i64,
    /// Rows current in it.
    pub row_count: i64,
}

impl Shown {
    fn of(data: &DataVersions, resource: Resource) -> Shown {
        let hosted = data.of(resource.id);
        Shown {
            resource,
            data_version: hosted.version,
            row_count: hosted.rows,
        }
    }
}

/// Searches the catalogue: words, facets by department, class, sharing
/// and open type, paged. For civil servants.
#[utoipa::path(get, operation_id = "catalogue_list", path = "/api/v1/catalogue/resources", tag = TAG_CATALOGUE, params(ListParams),
    responses((status = 200, body = ResourceList),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<ApiJson<ResourceList>, ApiError> {
    caller.require(Permission::ReadCatalogue)?;
    let limit = p.limit.unwrap_or(20).min(egov_search::MAX_LIMIT);
    let offset = p.offset.unwrap_or(0);
    if offset + limit > egov_search::MAX_WINDOW {
        return Err(
            ApiError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_query").with_detail(
                format!("offset + limit 不得超过 {}", egov_search::MAX_WINDOW),
                format!("offset + limit may be at most {}", egov_search::MAX_WINDOW),
            ),
        );
    }
    let mut query = egov_search::Query::new(p.q.clone().unwrap_or_default()).page(offset, limit);
    for (field, value) in [
        ("department", &p.department),
        ("class", &p.class),
        ("sharing", &p.sharing),
        ("open", &p.open),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            query = query.filter(field, v);
        }
    }
    for f in FACETS {
        query = query.facet(f);
    }
    let catalogue = Catalogue::get(&state.db).await.map_err(errors::catalogue)?;
    let results = catalogue.search(query).await.map_err(errors::catalogue)?;
    let data = DataVersions::get(&state.db)
        .await
        .map_err(errors::catalogue)?;
    Ok(ApiJson(ResourceList {
        total: results.total,
        resources: results
            .hits
            .iter()
            .filter_map(|h| catalogue.by_code(&h.id).cloned())
            .map(|r| Shown::of(&data, r))
            .collect(),
        facets: results.facets,
    }))
}

fn resource_of<'c>(catalogue: &'c Catalogue, code: &str) -> Result<&'c Resource, ApiError> {
    catalogue.by_code(code).ok_or_else(|| {
        ApiError::not_found(
            format!("目录中没有资源“{code}”"),
            format!("no resource '{code}'"),
        )
    })
}

/// One resource with its metadata: class, provider, abstract, 信息项,
/// sharing and open attributes, update cycle, dates, the newest version of
/// its data and its row count.
#[utoipa::path(get, operation_id = "catalogue_show", path = "/api/v1/catalogue/resources/{code}", tag = TAG_CATALOGUE,
    params(("code" = String, Path, description = "The resource's code, e.g. 110000-TJJ-00001")),
    responses((status = 200, body = Object),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<Shown>, ApiError> {
    caller.require(Permission::ReadCatalogue)?;
    let catalogue = Catalogue::get(&state.db).await.map_err(errors::catalogue)?;
    let data = DataVersions::get(&state.db)
        .await
        .map_err(errors::catalogue)?;
    Ok(ApiJson(Shown::of(
        &data,
        resource_of(&catalogue, &code)?.clone(),
    )))
}

/// Whether the caller keeps department `code`'s resources.
fn require_keeper(
    caller: &ApiCaller,
    directory: &egov_org::Directory,
    department: &str,
) -> Result<(), ApiError> {
    let id = directory.by_code(department).map(|d| d.id);
    caller.require(Permission::ManageCatalogue { department_id: id })
}

/// The outcome of registering.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// registered or revised.
    pub outcome: String,
    #[schema(value_type = Object)]
    pub resource: Resource,
}

/// Registers a resource, or revises it when its code is registered. The
/// code is the provider's department code, `-` and five digits; a
/// conditional resource states its condition, one not shared its legal
/// basis; only a resource shared unconditionally may be open. Once data is
/// loaded, its 信息项 keep their names and types (new ones may be added).
/// The provider's catalogue administrators only.
#[utoipa::path(post, operation_id = "catalogue_register", path = "/api/v1/catalogue/resources", tag = TAG_CATALOGUE,
    request_body(content = Object, content_type = "application/json",
        description = "code, department, class, name, name_en, abstract, abstract_en, keywords, format, update_cycle, published (YYYY-MM-DD), sharing, sharing_condition, sharing_method, legal_basis, open, related, items [{name, title, type}]"),
    responses((status = 200, body = Registered),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn register(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(new): ApiJson<NewResource>,
) -> Result<ApiJson<Registered>, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    require_keeper(&caller, &directory, new.department.trim())?;
    let (saved, resource) = registry::save(&state.db, &caller.context, new)
        .await
        .map_err(errors::catalogue)?;
    Ok(ApiJson(Registered {
        outcome: match saved {
            Saved::Registered => "registered".into(),
            Saved::Revised => "revised".into(),
        },
        resource,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowParams {
    /// A JSON object of 信息项 and the value (or list of values) each must equal.
    pub filters: Option<String>,
    /// Text any text cell contains.
    pub q: Option<String>,
    /// 信息项 to return, comma-separated (all when left out).
    pub fields: Option<String>,
    /// `item` or `item desc`, comma-separated.
    pub sort: Option<String>,
    /// At most 32,000; 100 when left out.
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// Reads a query's parameters into a row query (filters as JSON).
pub(crate) fn row_query(p: RowParams) -> Result<RowQuery, QueryError> {
    Ok(RowQuery {
        filters: filters_from_text(p.filters.as_deref())?,
        q: p.q,
        fields: p
            .fields
            .iter()
            .flat_map(|f| f.split(','))
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect(),
        sort: p.sort,
        limit: p.limit.unwrap_or(100),
        offset: p.offset.unwrap_or(0),
    })
}

/// A page of rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowPage {
    pub total: usize,
    pub version: i64,
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Map<String, Value>>,
}

/// The current rows of a resource, filtered, projected and paged. Open
/// resources for any civil servant; others for their provider's catalogue
/// administrators (consumers use a grant through the exchange).
#[utoipa::path(get, operation_id = "catalogue_rows", path = "/api/v1/catalogue/resources/{code}/rows", tag = TAG_CATALOGUE,
    params(("code" = String, Path, description = "The resource's code"), RowParams),
    responses((status = 200, body = RowPage),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn rows(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(p): ApiQuery<RowParams>,
) -> Result<ApiJson<RowPage>, ApiError> {
    caller.require(Permission::ReadCatalogue)?;
    let catalogue = Catalogue::get(&state.db).await.map_err(errors::catalogue)?;
    let r = resource_of(&catalogue, &code)?;
    if !r.is_open() {
        caller.require(Permission::ManageCatalogue {
            department_id: Some(r.department_id),
        })?;
    }
    let query = row_query(p).map_err(errors::query)?;
    let checked = query.check(r, None).map_err(errors::query)?;
    let (version, rows) = state
        .part::<Rows>()
        .0
        .current(&state.db, r)
        .await
        .map_err(errors::catalogue)?;
    let page = checked.run(rows.iter());
    Ok(ApiJson(RowPage {
        total: page.total,
        version,
        records: page.records,
    }))
}

/// Rows to load.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBody {
    /// `append` (the default) adds the rows; `replace` makes them the whole table.
    pub mode: Option<String>,
    /// Each row an object of 信息项 values.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Value>,
}

/// A load stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoadOutcome {
    /// The version this load made.
    pub version: i64,
    /// Rows current after it.
    pub rows: i64,
}

/// Loads rows into a resource's data as its next version: appended, or
/// replacing the table. Every row is checked against the 信息项 types
/// first; one bad row refuses the load (422 `rows_refused`, row and column
/// named) and nothing is stored. The provider's catalogue administrators.
#[utoipa::path(post, operation_id = "catalogue_load", path = "/api/v1/catalogue/resources/{code}/rows", tag = TAG_CATALOGUE,
    params(("code" = String, Path, description = "The resource's code")),
    request_body = LoadBody,
    responses((status = 200, body = LoadOutcome),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::PayloadTooLarge,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn load(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<LoadBody>,
) -> Result<ApiJson<LoadOutcome>, ApiError> {
    caller.require(Permission::ReadCatalogue)?;
    let catalogue = Catalogue::get(&state.db).await.map_err(errors::catalogue)?;
    let r = resource_of(&catalogue, &code)?;
    caller.require(Permission::ManageCatalogue {
        department_id: Some(r.department_id),
    })?;
    let mode = LoadMode::parse(body.mode.as_deref().unwrap_or("append")).ok_or_else(|| {
        ApiError::validation(
            "mode 只能是 append 或 replace",
            "mode must be append or replace",
        )
    })?;
    let records = check_records(&r.items, &body.rows).map_err(errors::table)?;
    let by = match &caller.principal {
        egov_identity::Principal::User(u) => Some(u.user_id),
        _ => None,
    };
    let loaded = hosted::load(
        &state.db,
        &caller.context,
        &r.code,
        mode,
        records,
        "api",
        by,
    )
    .await
    .map_err(errors::catalogue)?;
    Ok(ApiJson(LoadOutcome {
        version: loaded.version,
        rows: loaded.rows,
    }))
}
