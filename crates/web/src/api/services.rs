//! Service items over HTTP: browsing the items on offer and reading one
//! item's guide (办事指南). Public: anyone may find a service.

use crate::api::{ApiJson, ApiPath, ApiQuery, TAG_SERVICES};
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use egov_services::registry::{self, Browse, ItemStatus, ServiceItem};
use egov_services::search::ServiceSearch;
use egov_services::{Guide, Material, RegistryError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// How the service registry's refusals read as problems.
pub fn registry_problem(e: RegistryError) -> ApiError {
    {
        match e {
            RegistryError::Unknown(code) => ApiError::not_found(
                format!("没有事项 {code}"),
                format!("no service item {code}"),
            ),
            RegistryError::Guide(g) => ApiError::validation(
                format!("办事指南无效：{g}"),
                format!("invalid service guide: {g}"),
            ),
            RegistryError::UnknownDepartment(d) => ApiError::validation(
                format!("部门 {d} 不存在"),
                format!("department {d} does not exist"),
            ),
            RegistryError::VersionTaken { code, version } => {
                ApiError::new(StatusCode::CONFLICT, "version_conflict").with_detail(
                    format!("事项 {code} 的版本 {version} 已以不同内容载入，请提高版本号"),
                    format!("version {version} of item {code} is already loaded with other content; raise the version"),
                )
            }
            RegistryError::VersionBehind { code, latest } => {
                ApiError::new(StatusCode::CONFLICT, "version_conflict").with_detail(
                    format!("事项 {code} 已是版本 {latest}，修订须使用更高的版本号"),
                    format!("item {code} is at version {latest}; a revision needs a higher version"),
                )
            }
            other => ApiError::internal(other),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ServiceSummary {
    #[schema(example = "110105SCJGJ0001")]
    pub code: String,
    pub version: u32,
    pub name: String,
    pub name_en: Option<String>,
    /// 事项类型, e.g. 行政许可.
    pub kind: String,
    pub department_code: String,
    pub department_name: String,
    /// 个人 and/or 法人.
    pub audiences: Vec<String>,
    pub life_events: Vec<String>,
    /// Handled jointly by several departments (并联审批).
    pub joint: bool,
    /// 法定办结时限, working days (0: on the spot).
    pub statutory_days: u32,
    /// 承诺办结时限, working days.
    pub promised_days: u32,
    /// 办理形式.
    pub online: String,
    /// 到现场次数.
    pub visits: u32,
}

impl ServiceSummary {
    pub fn new(g: &Guide, names: &HashMap<String, String>) -> Self {
        ServiceSummary {
            code: g.code.clone(),
            version: g.version,
            name: g.name.clone(),
            name_en: g.name_en.clone(),
            kind: g.kind.clone(),
            department_code: g.department.clone(),
            department_name: names.get(&g.department).cloned().unwrap_or_default(),
            audiences: g.audiences.clone(),
            life_events: g.life_events.clone(),
            joint: g.is_joint(),
            statutory_days: g.statutory_days,
            promised_days: g.promised_days,
            online: g.online.clone(),
            visits: g.visits,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MaterialView {
    pub name: String,
    pub required: bool,
    /// 容缺受理: may be supplied after acceptance.
    pub later: bool,
    pub form: String,
    pub note: String,
}

impl From<&Material> for MaterialView {
    fn from(m: &Material) -> Self {
        MaterialView {
            name: m.name.clone(),
            required: m.required,
            later: m.later,
            form: m.form.clone(),
            note: m.note.clone(),
        }
    }
}

/// The whole 办事指南 of an item on offer.
#[derive(Serialize, ToSchema)]
pub struct GuideView {
    #[serde(flatten)]
    pub summary: ServiceSummary,
    /// 联办机构: department codes and names.
    pub co_departments: Vec<DepartmentRef>,
    pub keywords: Vec<String>,
    pub legal_basis: Vec<String>,
    pub conditions: String,
    pub result: String,
    pub result_kind: String,
    pub fees: String,
    pub steps: Vec<String>,
    pub review_standard: String,
    pub scope: String,
    pub address: String,
    pub hours: String,
    pub consult: String,
    pub complain: String,
    pub materials: Vec<MaterialView>,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentRef {
    pub code: String,
    pub name: String,
}

impl GuideView {
    pub fn new(g: &Guide, names: &HashMap<String, String>) -> Self {
        GuideView {
            summary: ServiceSummary::new(g, names),
            co_departments: g
                .co_departments
                .iter()
                .map(|c| DepartmentRef {
                    code: c.clone(),
                    name: names.get(c).cloned().unwrap_or_default(),
                })
                .collect(),
            keywords: g.keywords.clone(),
            legal_basis: g.legal_basis.clone(),
            conditions: g.conditions.clone(),
            result: g.result.clone(),
            result_kind: g.result_kind.clone(),
            fees: g.fees.clone(),
            steps: g.steps.clone(),
            review_standard: g.review_standard.clone(),
            scope: g.scope.clone(),
            address: g.address.clone(),
            hours: g.hours.clone(),
            consult: g.consult.clone(),
            complain: g.complain.clone(),
            materials: g.materials.iter().map(MaterialView::from).collect(),
        }
    }
}

/// Department names by code, for the views.
pub async fn department_names(state: &AppState) -> Result<HashMap<String, String>, ApiError> {
    Ok(egov_org::departments(&state.db, &Default::default())
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect())
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// A department code, e.g. 110105-SCJGJ.
    pub department: Option<String>,
    /// 个人 or 法人.
    pub audience: Option<String>,
    /// A life event (主题), e.g. 开办企业.
    pub life_event: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<ServiceSummary>,
}

/// The items on offer matching the query, and the department names.
pub async fn offered(
    state: &AppState,
    q: &ServiceQuery,
) -> Result<(Vec<ServiceItem>, HashMap<String, String>), ApiError> {
    let blank = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    let department_id = match blank(&q.department) {
        Some(code) => match egov_org::department(&state.db, &code).await {
            Ok(d) => Some(d.id),
            Err(egov_org::OrgError::DepartmentNotFound(_)) => {
                return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query")
                    .with_detail(format!("没有部门 {code}"), format!("no department {code}")))
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let browse = Browse {
        department_id,
        audience: blank(&q.audience),
        life_event: blank(&q.life_event),
        all: false,
    };
    let items = registry::browse(&state.db, &browse)
        .await
        .map_err(registry_problem)?;
    Ok((items, department_names(state).await?))
}

/// Service items on offer, by department, audience (个人 / 法人) and life event.
#[utoipa::path(get, path = "/api/v1/services", tag = TAG_SERVICES, params(ServiceQuery),
    responses((status = 200, body = ServiceList),
              answers::BadRequest))]
pub async fn list_services(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ServiceQuery>,
) -> Result<ApiJson<ServiceList>, ApiError> {
    let (items, names) = offered(&state, &q).await?;
    Ok(ApiJson(ServiceList {
        items: items
            .iter()
            .map(|i| ServiceSummary::new(&i.guide, &names))
            .collect(),
    }))
}

/// An item on offer; drafts and withdrawn items are not found.
pub async fn offered_item(state: &AppState, code: &str) -> Result<ServiceItem, ApiError> {
    let item = registry::get(&state.db, code)
        .await
        .map_err(registry_problem)?;
    if item.status != ItemStatus::Published {
        return Err(registry_problem(RegistryError::Unknown(code.to_owned())));
    }
    Ok(item)
}

/// One item's guide (办事指南).
#[utoipa::path(get, path = "/api/v1/services/{code}", tag = TAG_SERVICES,
    params(("code" = String, Path, example = "110105SCJGJ0001")),
    responses((status = 200, body = GuideView),
              answers::NotFound))]
pub async fn get_service(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<GuideView>, ApiError> {
    let item = offered_item(&state, &code).await?;
    let names = department_names(&state).await?;
    Ok(ApiJson(GuideView::new(&item.guide, &names)))
}

/// How an application's refusals read as problems.
pub fn application_problem(e: egov_services::application::ApplicationError) -> ApiError {
    {
        use egov_services::application::ApplicationError as E;
        match e {
            E::NotFound => ApiError::not_found("没有这份申请", "no such application"),
            E::Filed => ApiError::new(StatusCode::CONFLICT, "case_closed")
                .with_detail("这份申请已提交", "the application was filed already"),
            E::NotOffered => ApiError::new(StatusCode::CONFLICT, "action_not_allowed").with_detail(
                "该事项已停止办理，不能提交申请",
                "the item is no longer offered",
            ),
            E::NotForYou(who) => ApiError::forbidden().with_detail(
                format!("此事项的服务对象是{who}，请使用相应的账号申请"),
                format!("this item serves {who}; apply with such an account"),
            ),
            E::AssuranceTooLow { required } => ApiError::forbidden().with_detail(
                match required {
                    2 => "此事项须先核验身份：请携带身份证到政务服务窗口办理实名核验后再申请".to_owned(),
                    _ => format!("此事项要求账户身份核验等级不低于 {required} 级"),
                },
                format!("this item needs an account verified to level {required} (in person at a service counter for level 2)"),
            ),
            E::Missing(list) => ApiError::validation(
                format!("还缺少以下材料：{}", list.join("、")),
                format!("materials missing: {}", list.join(", ")),
            ),
            E::Form(v) => egov_cases::CaseError::Fields(v).into(),
            E::NoSuchMaterial(_) => ApiError::validation("没有这项材料", "no such material"),
            E::NoteTooLong => ApiError::validation(
                "申请说明不超过 2000 字",
                "the note must be at most 2000 characters",
            ),
            E::Upload(egov_cases::attachments::AttachError::Upload(u)) => {
                crate::upload::upload_error(u)
            }
            E::Upload(egov_cases::attachments::AttachError::Case(c)) | E::Case(c) => c.into(),
            E::Upload(egov_cases::attachments::AttachError::Io(io)) => ApiError::internal(io),
            E::Registry(r) => registry_problem(r),
            E::Org(o) => ApiError::internal(o),
            E::Store(s) => ApiError::internal(s),
        }
    }
}

/// An item's place in its life: `draft`, `published` or `withdrawn`, and a
/// newer version waiting to be published.
#[derive(Serialize, ToSchema)]
pub struct ItemState {
    pub code: String,
    pub version: u32,
    pub status: String,
    pub draft_version: Option<u32>,
}

impl From<&egov_services::ServiceItem> for ItemState {
    fn from(i: &egov_services::ServiceItem) -> Self {
        ItemState {
            code: i.guide.code.clone(),
            version: i.guide.version,
            status: match i.status {
                ItemStatus::Draft => "draft",
                ItemStatus::Published => "published",
                ItemStatus::Withdrawn => "withdrawn",
            }
            .to_owned(),
            draft_version: i.draft_version,
        }
    }
}

/// May the caller manage the items of the department with `code`?
pub async fn require_manager(
    state: &AppState,
    caller: &crate::auth::ApiCaller,
    department_code: &str,
) -> Result<(), ApiError> {
    let department_id = match egov_org::department(&state.db, department_code).await {
        Ok(d) => Some(d.id),
        // Unknown: only those who manage every department get to hear so.
        Err(egov_org::OrgError::DepartmentNotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    caller.require(egov_identity::Permission::ManageServiceItems { department_id })
}

/// Load a guide (TOML, as in `data/services/`) as a new version; a draft
/// until published. Department administrators for their department,
/// system administrators, or a key with `reference:write`.
#[utoipa::path(post, path = "/api/v1/services", tag = TAG_SERVICES,
    request_body(content = String, content_type = "application/toml"),
    security(("api_key" = [])),
    responses((status = 201, body = ItemState),
              (status = 200, body = ItemState, description = "this exact version was already loaded"),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn load_service(
    State(state): State<AppState>,
    caller: crate::auth::ApiCaller,
    body: String,
) -> Result<(StatusCode, ApiJson<ItemState>), ApiError> {
    let (item, new) = load_guide(&state, &caller, &body).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ApiJson(ItemState::from(&item))))
}

/// Loads a guide's text for a caller who manages its department.
pub async fn load_guide(
    state: &AppState,
    caller: &crate::auth::ApiCaller,
    text: &str,
) -> Result<(egov_services::ServiceItem, bool), ApiError> {
    // Read the department first: whether the caller may load it at all.
    let guide = Guide::parse(text).map_err(RegistryError::from);
    match &guide {
        Ok(g) => require_manager(state, caller, &g.department).await?,
        Err(_) => caller.require(egov_identity::Permission::UseWorkbench)?,
    }
    let guide = guide.map_err(registry_problem)?;
    // A revision may not move an item out of a department the caller
    // does not manage.
    if let Ok(existing) = registry::get(&state.db, &guide.code).await {
        require_manager(state, caller, &existing.guide.department).await?;
    }
    let (g, loaded) = registry::load(&state.db, &caller.context, text)
        .await
        .map_err(registry_problem)?;
    let item = registry::get(&state.db, &g.code)
        .await
        .map_err(registry_problem)?;
    Ok((item, loaded == registry::Loaded::New))
}

/// What a manager does to an item.
pub async fn change_item(
    state: &AppState,
    caller: &crate::auth::ApiCaller,
    code: &str,
    publish: bool,
) -> Result<egov_services::ServiceItem, ApiError> {
    let item = match registry::get(&state.db, code).await {
        Ok(i) => i,
        Err(RegistryError::Unknown(_)) => {
            // Nobody learns from a refusal whether a code exists.
            caller.require(egov_identity::Permission::ManageServiceItems {
                department_id: None,
            })?;
            return Err(registry_problem(RegistryError::Unknown(code.to_owned())));
        }
        Err(e) => return Err(registry_problem(e)),
    };
    require_manager(state, caller, &item.guide.department).await?;
    if publish {
        registry::publish(&state.db, &caller.context, code)
            .await
            .map_err(registry_problem)?;
    } else {
        registry::withdraw(&state.db, &caller.context, code)
            .await
            .map_err(registry_problem)?;
    }
    registry::get(&state.db, code)
        .await
        .map_err(registry_problem)
}

/// Publish an item's newest version (offering a withdrawn item again).
#[utoipa::path(post, path = "/api/v1/services/{code}/publish", tag = TAG_SERVICES,
    params(("code" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = ItemState),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn publish_service(
    State(state): State<AppState>,
    caller: crate::auth::ApiCaller,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<ItemState>, ApiError> {
    let item = change_item(&state, &caller, &code, true).await?;
    Ok(ApiJson(ItemState::from(&item)))
}

/// Withdraw an item: no longer offered; filed applications go on.
#[utoipa::path(post, path = "/api/v1/services/{code}/withdraw", tag = TAG_SERVICES,
    params(("code" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = ItemState),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn withdraw_service(
    State(state): State<AppState>,
    caller: crate::auth::ApiCaller,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<ItemState>, ApiError> {
    let item = change_item(&state, &caller, &code, false).await?;
    Ok(ApiJson(ItemState::from(&item)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for, in Chinese or English; partial words match, and
    /// the synonym list widens it (营业执照 finds 个体工商户登记).
    #[param(example = "营业执照")]
    pub q: Option<String>,
    /// 个人 or 法人.
    pub audience: Option<String>,
    pub life_event: Option<String>,
    /// A department code.
    pub department: Option<String>,
    /// At most 100 (default 20).
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    /// All matching items, not just this page.
    pub total: usize,
    pub items: Vec<ServiceSummary>,
    /// Counts by audience, life event and department over all matches.
    pub facets: std::collections::BTreeMap<String, Vec<FacetCount>>,
}

/// Searches the items on offer: ranked, with facet counts.
pub async fn search_items(state: &AppState, q: &SearchQuery) -> Result<SearchResults, ApiError> {
    state
        .part::<ServiceSearch>()
        .catch_up(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let blank = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    let mut query = egov_search::Query::new(q.q.clone().unwrap_or_default())
        .kind(egov_services::search::KIND)
        .facet("audience")
        .facet("life_event")
        .facet("department")
        .page(
            q.offset.unwrap_or(0).min(5000),
            q.limit.unwrap_or(20).clamp(1, 100),
        );
    for (field, value) in [
        ("audience", blank(&q.audience)),
        ("life_event", blank(&q.life_event)),
        ("department", blank(&q.department)),
    ] {
        if let Some(v) = value {
            query = query.filter(field, v);
        }
    }
    let index = state.part::<ServiceSearch>().index().clone();
    let found = tokio::task::spawn_blocking(move || index.search(&query))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let names = department_names(state).await?;
    let mut items = Vec::with_capacity(found.hits.len());
    for hit in &found.hits {
        // The index may trail a withdrawal by a moment: skip what is gone.
        if let Ok(item) = offered_item(state, &hit.id).await {
            items.push(ServiceSummary::new(&item.guide, &names));
        }
    }
    Ok(SearchResults {
        total: found.total,
        items,
        facets: found
            .facets
            .into_iter()
            .map(|(field, counts)| {
                let counts = counts
                    .into_iter()
                    .map(|(value, count)| FacetCount { value, count })
                    .collect();
                (field, counts)
            })
            .collect(),
    })
}

/// Full-text search over the items on offer (Chinese word segmentation,
/// partial words, synonyms), ranked, with facet counts.
#[utoipa::path(get, path = "/api/v1/services/search", tag = TAG_SERVICES, params(SearchQuery),
    responses((status = 200, body = SearchResults),
              answers::BadRequest))]
pub async fn search_services(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<ApiJson<SearchResults>, ApiError> {
    Ok(ApiJson(search_items(&state, &q).await?))
}
