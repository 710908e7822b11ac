//! Divisions and departments.

use crate::api::{ApiJson, ApiPath, ApiQuery, TAG_ORG};
use crate::auth::ApiCaller;
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_identity::Permission;
use egov_kernel::code::{DepartmentCode, DivisionCode};
use egov_org::{DepartmentFilter, DepartmentKind, DivisionFilter, DivisionLevel, NewDepartment};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An administrative division (GB/T 2260, with statistical street codes).
#[derive(Serialize, ToSchema)]
pub struct Division {
    #[schema(example = "110105")]
    pub code: String,
    #[schema(example = "朝阳区")]
    pub name: String,
    pub name_en: Option<String>,
    /// `city`, `district` or `street`.
    pub level: String,
    pub parent: Option<String>,
}

impl From<egov_org::Division> for Division {
    fn from(d: egov_org::Division) -> Self {
        Division {
            code: d.code,
            name: d.name,
            name_en: d.name_en,
            level: d.level,
            parent: d.parent_code,
        }
    }
}

// Borrowed from where it is kept: the list is written straight from this
// node's copy of the organisation, nothing copied.
#[derive(Serialize, ToSchema)]
pub struct Department<'a> {
    #[schema(example = "110105-SCJGJ")]
    pub code: &'a str,
    #[schema(example = "北京市朝阳区市场监督管理局")]
    pub name: &'a str,
    pub short_name: Option<&'a str>,
    pub name_en: Option<&'a str>,
    /// `government`, `municipal` or `district`.
    pub kind: &'a str,
    pub division: &'a str,
    pub parent: Option<&'a str>,
}

impl<'a> From<&'a egov_org::Department> for Department<'a> {
    fn from(d: &'a egov_org::Department) -> Self {
        Department {
            code: &d.code,
            name: &d.name,
            short_name: d.short_name.as_deref(),
            name_en: d.name_en.as_deref(),
            kind: &d.kind,
            division: &d.division_code,
            parent: d.parent_code.as_deref(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DivisionQuery {
    /// Only the children of this division.
    pub parent: Option<String>,
    /// Only this level: `city`, `district` or `street`.
    pub level: Option<String>,
}

/// List divisions.
#[utoipa::path(get, path = "/api/v1/divisions", tag = TAG_ORG, params(DivisionQuery),
    responses((status = 200, body = Vec<Division>),
              answers::BadRequest))]
pub async fn list_divisions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DivisionQuery>,
) -> Result<ApiJson<Vec<Division>>, ApiError> {
    let level = match q.level.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(DivisionLevel::parse(l).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").with_detail(
                "level 须为 city、district 或 street",
                "level must be city, district or street",
            )
        })?),
    };
    let filter = DivisionFilter {
        parent: q.parent.filter(|p| !p.is_empty()),
        level,
    };
    let rows = egov_org::divisions(&state.db, &filter).await?;
    Ok(ApiJson(rows.into_iter().map(Division::from).collect()))
}

/// One division.
#[utoipa::path(get, path = "/api/v1/divisions/{code}", tag = TAG_ORG,
    params(("code" = String, Path, description = "Division code", example = "110105")),
    responses((status = 200, body = Division),
              answers::NotFound))]
pub async fn get_division(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<Division>, ApiError> {
    Ok(ApiJson(egov_org::division(&state.db, &code).await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepartmentQuery {
    /// Only departments of this division, e.g. `110105`.
    pub division: Option<String>,
    /// Only the direct children of this department.
    pub parent: Option<String>,
    /// Only this kind: `government`, `municipal` or `district`.
    pub kind: Option<String>,
}

/// List departments.
#[utoipa::path(get, path = "/api/v1/departments", tag = TAG_ORG, params(DepartmentQuery),
    responses((status = 200, body = Vec<Department<'_>>)))]
pub async fn list_departments(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DepartmentQuery>,
) -> Result<Response, ApiError> {
    let nonempty = |s: Option<String>| s.filter(|v| !v.is_empty());
    let filter = DepartmentFilter {
        division: nonempty(q.division),
        parent: nonempty(q.parent),
        kind: nonempty(q.kind),
    };
    let directory = egov_org::directory(&state.db).await?;
    let rows: Vec<Department<'_>> = directory
        .departments(&filter)
        .map(Department::from)
        .collect();
    // About 200 bytes a department.
    Ok(crate::api::json_response(&rows, 256 * rows.len() + 2))
}

/// One department.
#[utoipa::path(get, path = "/api/v1/departments/{code}", tag = TAG_ORG,
    params(("code" = String, Path, description = "Department code", example = "110105-SCJGJ")),
    responses((status = 200, body = Department<'_>),
              answers::NotFound))]
pub async fn get_department(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    let department = egov_org::department(&state.db, &code).await?;
    Ok(ApiJson(Department::from(&department)).into_response())
}

/// A department to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartment {
    /// Division code, a dash, 2-16 uppercase letters or digits.
    #[schema(example = "110105-KJXXHJ")]
    pub code: String,
    #[schema(example = "北京市朝阳区科技和信息化局")]
    pub name: String,
    pub short_name: Option<String>,
    pub name_en: Option<String>,
    #[schema(value_type = String, example = "district")]
    pub kind: DepartmentKind,
    #[schema(example = "110105")]
    pub division: String,
    #[schema(example = "110105-GOV")]
    pub parent: Option<String>,
}

/// Create a department. Needs the `org:write` scope (or an administrator's session).
#[utoipa::path(post, path = "/api/v1/departments", tag = TAG_ORG,
    request_body = CreateDepartment,
    security(("api_key" = [])),
    responses((status = 201, body = Department<'_>, headers(("location" = String))),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn create_department(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<CreateDepartment>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Permission::ManageOrg)?;
    let code = DepartmentCode::parse(&body.code).map_err(|_| {
        ApiError::validation(
            "部门代码格式应为“区划代码-大写字母或数字”，如 110105-SCJGJ",
            "code must be a division code, a dash and 2-16 uppercase letters or digits, e.g. 110105-SCJGJ",
        )
    })?;
    let division = DivisionCode::parse(&body.division).map_err(|_| {
        ApiError::validation(
            "行政区划代码须为 6、9 或 12 位数字",
            "division must be 6, 9 or 12 digits",
        )
    })?;
    let parent = match body.parent.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(DepartmentCode::parse(p).map_err(|_| {
            ApiError::validation("上级部门代码格式错误", "parent is not a department code")
        })?),
    };
    let new = NewDepartment {
        code,
        name: body.name,
        short_name: body.short_name.filter(|s| !s.trim().is_empty()),
        name_en: body.name_en.filter(|s| !s.trim().is_empty()),
        kind: body.kind,
        division,
        parent,
    };
    let created = egov_org::create_department(&state.db, &caller.context, &new).await?;
    let location = format!("/api/v1/departments/{}", created.code);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        ApiJson(Department::from(&created)),
    )
        .into_response())
}
