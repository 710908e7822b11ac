//! Departments in the admin console: the tree by division, and a form to add
//! one (system administrators).

use super::{render, Chrome};
use crate::auth::{CheckedForm, FormRefused, PageUser, ADMIN_CONSOLE};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::code::{DepartmentCode, DivisionCode};
use egov_kernel::{Actor, Locale};
use egov_org::{
    Department, DepartmentFilter, DepartmentKind, Division, DivisionFilter, NewDepartment, OrgError,
};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin_departments.html")]
struct DepartmentsPage {
    chrome: Chrome,
    divisions: Vec<Division>,
    selected: String,
    departments: Vec<Department>,
    error: Option<String>,
    created: Option<String>,
}

#[derive(Deserialize)]
pub struct Filter {
    division: Option<String>,
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    division: Option<String>,
    status: StatusCode,
    error: Option<String>,
    created: Option<String>,
) -> Result<Response, ApiError> {
    let mut divisions = Vec::new();
    for level in [
        egov_org::DivisionLevel::City,
        egov_org::DivisionLevel::District,
    ] {
        divisions.extend(
            egov_org::divisions(
                &state.db,
                &DivisionFilter {
                    parent: None,
                    level: Some(level),
                },
            )
            .await?,
        );
    }
    let selected = division
        .filter(|d| divisions.iter().any(|x| &x.code == d))
        .unwrap_or_else(|| "110000".to_owned());
    let departments = egov_org::departments(
        &state.db,
        &DepartmentFilter {
            division: Some(selected.clone()),
            ..Default::default()
        },
    )
    .await?;
    Ok(render(
        status,
        &DepartmentsPage {
            chrome: Chrome::new(locale, Some(user), "/admin/departments"),
            divisions,
            selected,
            departments,
            error,
            created,
        },
    ))
}

fn may(user: &SessionUser) -> bool {
    allows(&Principal::User(user.clone()), Permission::ManageOrg)
}

pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Query(f): Query<Filter>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    page(&state, locale, user, f.division, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    code: String,
    name: String,
    #[serde(default)]
    short_name: String,
    kind: String,
    division: String,
    #[serde(default)]
    parent: String,
}

pub async fn create(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    form: Result<CheckedForm<CreateForm>, FormRefused>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            let msg = translate(locale, "register.error.incomplete").to_owned();
            return page(
                &state,
                locale,
                user,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await;
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let division = form.division.clone();
    let refuse = |user, msg: String| {
        page(
            &state,
            locale,
            user,
            Some(division.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg),
            None,
        )
    };
    let zh = locale == Locale::Zh;
    let Ok(code) = DepartmentCode::parse(form.code.trim()) else {
        return refuse(
            user,
            if zh {
                "部门代码格式应为“区划代码-大写字母或数字”，如 110105-SCJGJ".into()
            } else {
                "code must look like 110105-SCJGJ".into()
            },
        )
        .await;
    };
    let Ok(div) = DivisionCode::parse(&form.division) else {
        return refuse(
            user,
            if zh {
                "行政区划代码不正确".into()
            } else {
                "invalid division".into()
            },
        )
        .await;
    };
    let kind = match form.kind.as_str() {
        "government" => DepartmentKind::Government,
        "municipal" => DepartmentKind::Municipal,
        _ => DepartmentKind::District,
    };
    let parent = match form.parent.trim() {
        "" => None,
        p => match DepartmentCode::parse(p) {
            Ok(c) => Some(c),
            Err(_) => {
                return refuse(
                    user,
                    if zh {
                        "上级部门代码格式错误".into()
                    } else {
                        "parent is not a department code".into()
                    },
                )
                .await
            }
        },
    };
    let new = NewDepartment {
        code,
        name: form.name,
        short_name: Some(form.short_name).filter(|s| !s.trim().is_empty()),
        name_en: None,
        kind,
        division: div,
        parent,
    };
    let ctx = origin.context(Actor::User(user.user_id));
    match egov_org::create_department(&state.db, &ctx, &new).await {
        Ok(d) => {
            page(
                &state,
                locale,
                user,
                Some(d.division_code.clone()),
                StatusCode::CREATED,
                None,
                Some(d.name),
            )
            .await
        }
        Err(OrgError::Store(e)) => Err(ApiError::internal(e)),
        Err(e) => {
            // The API's bilingual messages, reused.
            let api: ApiError = e.into();
            let msg = api
                .detail
                .map(|d| d.get(locale).to_owned())
                .unwrap_or_default();
            refuse(user, msg).await
        }
    }
}
