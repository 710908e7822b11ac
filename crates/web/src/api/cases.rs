//! Cases over HTTP: opening one, the queues, a case with its timeline and
//! the actions the caller may take, acting on it (with the version last
//! seen), comments, attachments, ratings; process definitions.

use crate::api::{ApiJson, ApiPath, ApiQuery, TAG_CASES};
use crate::auth::ApiCaller;
use crate::casework::{actings, sees_internal, visible_case};
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_cases::attachments::{self, AttachError, Upload};
use egov_cases::{Acting, Case, Location, NewCase, ProcessDefinition};
use egov_identity::{Permission, Principal, UserKind};
use egov_kernel::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct CaseSummary {
    #[schema(example = "20260000042")]
    pub number: String,
    pub title: String,
    pub process_id: String,
    pub process_name: String,
    pub state: String,
    pub state_name: String,
    /// The owning department.
    pub department_id: i64,
    /// The department handling it now.
    pub handling_department_id: i64,
    /// The current step's deadline; absent while the clock stands or once closed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// The deadline runs into a year whose holiday notice is not loaded yet.
    pub due_provisional: bool,
    /// The clock stands (补正, hearings).
    pub paused: bool,
    /// Electronic supervision: `none`, `warning`, `yellow` or `red`.
    pub alert: String,
    pub overdue: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
}

impl CaseSummary {
    pub fn new(case: &Case, def: &ProcessDefinition) -> Self {
        CaseSummary {
            number: case.number.clone(),
            title: case.title.clone(),
            process_id: case.process_id.clone(),
            process_name: def.name.clone(),
            state: case.state.clone(),
            state_name: def
                .state(&case.state)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            department_id: case.department_id,
            handling_department_id: case.handling_department(),
            due_at: case.due_at,
            due_provisional: case.due_provisional,
            paused: case.paused_at.is_some(),
            alert: case.alert_level.kind().to_owned(),
            overdue: case.overdue,
            version: case.version,
            created_at: case.created_at,
            closed_at: case.closed_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ActionOption {
    pub id: String,
    pub name: String,
    /// The fields it takes, as JSON Schema.
    #[schema(value_type = Object)]
    pub fields: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEvent {
    pub seq: i32,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    #[schema(value_type = Object)]
    pub fields: Value,
}

#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub author: String,
    pub body: String,
    /// Staff only.
    pub internal: bool,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub internal: bool,
    pub author: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Where to download it.
    pub href: String,
}

#[derive(Serialize, ToSchema)]
pub struct BranchView {
    pub department_id: i64,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub case_number: String,
    pub department_id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: Timestamp,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub answer_due_at: Timestamp,
    /// `open` or `answered`.
    pub status: String,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
}

impl From<egov_cases::orders::Order> for OrderView {
    fn from(o: egov_cases::orders::Order) -> Self {
        OrderView {
            id: o.id,
            case_number: o.case_number,
            department_id: o.department_id,
            issued_at: o.issued_at,
            body: o.body,
            answer_due_at: o.answer_due_at,
            status: o.status,
            answer: o.answer,
            answered_at: o.answered_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RatingView {
    /// 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
    pub grade: i16,
    pub comment: String,
    #[schema(value_type = String, format = DateTime)]
    pub rated_at: Timestamp,
    /// The follow-up a bad rating opened.
    pub followup_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LocationView {
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub applicant_id: Option<i64>,
    pub co_departments: Vec<i64>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub location: Option<LocationView>,
    pub extended: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub warn_at: Option<Timestamp>,
    /// When a red card follows if the case is still open.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub red_at: Option<Timestamp>,
    /// The parallel branches of the current step or, after it, of the
    /// last parallel step: each department's answer.
    pub branches: Vec<BranchView>,
    /// What the caller may do now.
    pub actions: Vec<ActionOption>,
    pub timeline: Vec<TimelineEvent>,
    pub comments: Vec<CommentView>,
    pub attachments: Vec<AttachmentView>,
    pub orders: Vec<OrderView>,
    pub rating: Option<RatingView>,
    /// The case this one follows up.
    pub parent_number: Option<String>,
}

/// Everything about a case the principal may see.
pub async fn detail(
    state: &AppState,
    principal: &Principal,
    case: &Case,
    def: &ProcessDefinition,
) -> Result<CaseDetail, ApiError> {
    let db = &state.db;
    let internal = sees_internal(principal);
    let pending = egov_cases::branches(db, case.id, &case.state).await?;
    let mut actions: Vec<ActionOption> = Vec::new();
    if let Principal::User(u) = principal {
        for acting in actings(u) {
            for a in egov_cases::actions_open_to(def, case, &pending, acting) {
                if actions.iter().all(|x| x.id != a.id) {
                    actions.push(ActionOption {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        fields: a.fields.clone(),
                    });
                }
            }
        }
    }
    let timeline = egov_cases::timeline(db, case.id)
        .await?
        .into_iter()
        .map(|e| TimelineEvent {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            fields: serde_json::from_str(&e.fields).unwrap_or(Value::Null),
        })
        .collect();
    let comments = egov_cases::comments::list(db, case.id, internal)
        .await?
        .into_iter()
        .map(|c| CommentView {
            id: c.id,
            author: c.author,
            body: c.body,
            internal: c.internal,
            at: c.at,
        })
        .collect();
    let attachments = attachments::list(db, case.id, internal)
        .await?
        .into_iter()
        .map(|a| attachment_view(&case.number, a))
        .collect();
    let orders = match internal {
        true => egov_cases::orders::for_case(db, case.id)
            .await?
            .into_iter()
            .map(OrderView::from)
            .collect(),
        false => Vec::new(),
    };
    let rating = match egov_cases::rating::of(db, case.id).await? {
        Some(r) => Some(RatingView {
            grade: r.grade,
            comment: r.comment,
            rated_at: r.rated_at,
            followup_number: match r.followup_case_id {
                Some(id) if internal => Some(egov_cases::get(db, id).await?.number),
                _ => None,
            },
        }),
        None => None,
    };
    let parent_number = match case.parent_id {
        Some(id) => Some(egov_cases::get(db, id).await?.number),
        None => None,
    };
    let branches = egov_cases::branches_on_record(db, case)
        .await?
        .into_iter()
        .map(|b| BranchView {
            department_id: b.department_id,
            status: b.status,
            answered_at: b.answered_at,
        })
        .collect();
    Ok(CaseDetail {
        summary: CaseSummary::new(case, def),
        applicant_id: case.applicant_id,
        co_departments: case.co_departments.clone(),
        data: case.data.clone(),
        location: case.location.as_ref().map(|l| LocationView {
            lat: l.lat,
            lon: l.lon,
            address: l.address.clone(),
        }),
        extended: case.extended,
        warn_at: case.warn_at,
        red_at: case.red_at,
        branches,
        actions,
        timeline,
        comments,
        attachments,
        orders,
        rating,
        parent_number,
    })
}

fn attachment_view(number: &str, a: attachments::Attachment) -> AttachmentView {
    AttachmentView {
        href: format!("/api/v1/cases/{number}/attachments/{}", a.id),
        id: a.id,
        name: a.name,
        media_type: a.media_type,
        size: a.size,
        sha256: a.sha256,
        internal: a.internal,
        author: a.author,
        at: a.at,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseInput {
    /// A process id, e.g. `administrative_license`; its newest version is used.
    #[schema(example = "city_grid_case")]
    pub process: String,
    /// The receiving department.
    pub department_id: i64,
    #[schema(example = "东直门内大街 井盖缺失")]
    pub title: String,
    /// The case's form, checked against the process's `start_fields`.
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    /// Co-handling departments of parallel steps.
    #[serde(default)]
    pub co_departments: Vec<i64>,
    pub location: Option<LocationInput>,
}

pub(crate) fn require_user(caller: &ApiCaller) -> Result<&egov_identity::SessionUser, ApiError> {
    match &caller.principal {
        Principal::User(u) if u.pending_setup().is_none() => Ok(u),
        Principal::Anonymous => Err(ApiError::unauthorized()),
        _ => Err(ApiError::forbidden()),
    }
}

/// Open a case. Citizens and enterprises open their own; staff register
/// one for their department when the process allows it.
#[utoipa::path(post, path = "/api/v1/cases", tag = TAG_CASES, request_body = NewCaseInput,
    responses((status = 201, body = CaseDetail),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn open_case(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewCaseInput>,
) -> Result<(StatusCode, ApiJson<CaseDetail>), ApiError> {
    let (case, def) = open(&state, &caller, input).await?;
    let detail = detail(&state, &caller.principal, &case, &def).await?;
    Ok((StatusCode::CREATED, ApiJson(detail)))
}

/// Opens a case as whichever of the caller's roles the process lets open it.
pub async fn open(
    state: &AppState,
    caller: &ApiCaller,
    input: NewCaseInput,
) -> Result<(Case, std::sync::Arc<ProcessDefinition>), ApiError> {
    let user = require_user(caller)?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::validation(
            "标题须为 1 至 200 字",
            "the title must be 1 to 200 characters",
        ));
    }
    let location = match input.location {
        Some(l) => Some(
            Location::new(l.lat, l.lon, l.address)
                .map_err(|e| ApiError::validation("位置坐标超出范围", e))?,
        ),
        None => None,
    };
    let def = state.processes.latest(&state.db, &input.process).await?;
    // Applicants act for themselves; staff in the receiving department.
    let acting = actings(user).into_iter().find(|a| match a {
        Acting::Applicant { .. } => def.start_by.contains(&a.actor()),
        Acting::Handler { department_id } | Acting::Dispatcher { department_id } => {
            *department_id == input.department_id && def.start_by.contains(&a.actor())
        }
        Acting::Supervisor { .. } | Acting::Platform => false,
    });
    let Some(acting) = acting else {
        return Err(ApiError::forbidden().with_detail(
            "您不能在此部门发起此类案件",
            "you may not open a case of this process in this department",
        ));
    };
    let mut new = NewCase::new(&def, input.department_id, title);
    new.applicant_id = (user.kind != UserKind::Staff).then_some(user.user_id);
    new.co_departments = input.co_departments;
    new.data = input.data.unwrap_or_else(|| serde_json::json!({}));
    new.location = location;
    let case = egov_cases::start(
        &state.db,
        &caller.context,
        &*state.calendar().await?,
        acting,
        new,
    )
    .await?;
    Ok((case, def))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Staff: `tasks` (what you may act on now, the default) or `department`
    /// (every open case of your department). Applicants always get their own.
    pub queue: Option<String>,
    /// Include closed cases.
    pub closed: Option<bool>,
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseSummary>,
}

/// The caller's queue: my tasks, my department's cases, or my applications.
#[utoipa::path(get, path = "/api/v1/cases", tag = TAG_CASES, params(QueueQuery),
    responses((status = 200, body = CaseList),
              answers::BadRequest,
              answers::Unauthorized))]
pub async fn list_cases(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<ApiJson<CaseList>, ApiError> {
    let user = require_user(&caller)?;
    let queue = match q.queue.as_deref() {
        None | Some("tasks") => Queue::Tasks,
        Some("department") => Queue::Department,
        Some(_) => {
            return Err(
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").with_detail(
                    "queue 须为 tasks 或 department",
                    "queue must be tasks or department",
                ),
            )
        }
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = queue_of(&state, user, queue, q.closed.unwrap_or(false), limit).await?;
    Ok(ApiJson(CaseList {
        cases: rows.iter().map(|(c, d)| CaseSummary::new(c, d)).collect(),
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Tasks,
    Department,
}

/// A user's cases: an applicant's own; a civil servant's department queue,
/// or only the cases they may act on now.
pub async fn queue_of(
    state: &AppState,
    user: &egov_identity::SessionUser,
    queue: Queue,
    closed: bool,
    limit: i64,
) -> Result<Vec<(Case, std::sync::Arc<ProcessDefinition>)>, ApiError> {
    let db = &state.db;
    let cases = match user.kind {
        UserKind::Citizen | UserKind::Enterprise => {
            egov_cases::case::for_applicant(db, user.user_id, limit).await?
        }
        UserKind::Staff => {
            let mut departments: Vec<i64> = user.department_id.into_iter().collect();
            departments.extend(user.roles.iter().filter_map(|g| g.department_id));
            departments.sort_unstable();
            departments.dedup();
            egov_cases::case::for_departments(db, &departments, closed, limit).await?
        }
    };
    let acting = actings(user);
    let mut out = Vec::with_capacity(cases.len());
    for case in cases {
        let def = state.processes.of(db, &case).await?;
        if queue == Queue::Tasks && user.kind == UserKind::Staff {
            let pending = egov_cases::branches(db, case.id, &case.state).await?;
            let mine = acting
                .iter()
                .any(|a| !egov_cases::actions_open_to(&def, &case, &pending, *a).is_empty());
            if !mine {
                continue;
            }
        }
        out.push((case, def));
    }
    Ok(out)
}

/// A case with its timeline, comments, files, and the actions the caller may take.
#[utoipa::path(get, path = "/api/v1/cases/{number}", tag = TAG_CASES,
    params(("number" = String, Path, example = "20260000042")),
    responses((status = 200, body = CaseDetail),
              answers::Unauthorized,
              answers::NotFound))]
pub async fn get_case(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
) -> Result<ApiJson<CaseDetail>, ApiError> {
    let (case, def) = visible_case(&state, &caller.principal, &number).await?;
    Ok(ApiJson(
        detail(&state, &caller.principal, &case, &def).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    #[schema(example = "accept")]
    pub action: String,
    /// The case version you last saw; a stale one gets 409 `version_conflict`.
    pub version: i64,
    #[schema(value_type = Object)]
    pub fields: Option<Value>,
}

/// Take an action. One of two people acting at once wins; the other gets
/// 409 `version_conflict` and nothing changes.
#[utoipa::path(post, path = "/api/v1/cases/{number}/actions", tag = TAG_CASES,
    params(("number" = String, Path)), request_body = ActionInput,
    responses((status = 200, body = CaseDetail),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn act(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<ActionInput>,
) -> Result<ApiJson<CaseDetail>, ApiError> {
    let case = take_action(&state, &caller, &number, &input).await?;
    let def = state.processes.of(&state.db, &case).await?;
    Ok(ApiJson(
        detail(&state, &caller.principal, &case, &def).await?,
    ))
}

/// Acts as whichever of the caller's roles may take the action.
pub async fn take_action(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
    input: &ActionInput,
) -> Result<Case, ApiError> {
    let user = require_user(caller)?;
    let (case, def) = visible_case(state, &caller.principal, number).await?;
    let pending = egov_cases::branches(&state.db, case.id, &case.state).await?;
    let mine = actings(user);
    let acting = mine
        .iter()
        .copied()
        .find(|a| egov_cases::may_act(&def, &case, &pending, *a, &input.action))
        .or(mine.first().copied())
        .ok_or_else(ApiError::forbidden)?;
    let cal = state.calendar().await?;
    Ok(egov_cases::act(
        &state.db,
        &caller.context,
        &cal,
        &def,
        case.id,
        input.version,
        acting,
        &input.action,
        input
            .fields
            .clone()
            .unwrap_or_else(|| serde_json::json!({})),
    )
    .await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
    /// Staff only: hide the comment from the applicant.
    #[serde(default)]
    pub internal: bool,
}

/// Add a comment: staff internal or visible, the applicant visible.
#[utoipa::path(post, path = "/api/v1/cases/{number}/comments", tag = TAG_CASES,
    params(("number" = String, Path)), request_body = CommentInput,
    responses((status = 201, body = CommentView),
              answers::Unauthorized,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<(StatusCode, ApiJson<CommentView>), ApiError> {
    let user = require_user(&caller)?;
    let (case, _) = visible_case(&state, &caller.principal, &number).await?;
    let internal = input.internal && sees_internal(&caller.principal);
    let c = egov_cases::comments::add(
        &state.db,
        &caller.context,
        &case,
        Some(user.user_id),
        &input.body,
        internal,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(CommentView {
            id: c.id,
            author: c.author,
            body: c.body,
            internal: c.internal,
            at: c.at,
        }),
    ))
}

/// Upload a file (multipart field `file`; optional field `internal=true`
/// for staff). PDF, PNG or JPEG, checked by content; at most the
/// configured size.
#[utoipa::path(post, path = "/api/v1/cases/{number}/attachments", tag = TAG_CASES,
    params(("number" = String, Path)),
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView),
              answers::Unauthorized,
              answers::NotFound,
              answers::PayloadTooLarge,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn upload(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    multipart: Multipart,
) -> Result<(StatusCode, ApiJson<AttachmentView>), ApiError> {
    let a = attach_from(&state, &caller, &number, multipart, None).await?;
    Ok((StatusCode::CREATED, ApiJson(attachment_view(&number, a))))
}

/// Reads a multipart upload and attaches it to the case. A page's form
/// carries its CSRF token as a `csrf` field (`form_csrf` is the session's);
/// nothing is stored unless it matches.
pub async fn attach_from(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
    multipart: Multipart,
    form_csrf: Option<&str>,
) -> Result<attachments::Attachment, ApiError> {
    let user = require_user(caller)?;
    let (case, _) = visible_case(state, &caller.principal, number).await?;
    if !case.is_open() {
        return Err(egov_cases::CaseError::Closed.into());
    }
    let max = state.settings.max_upload_bytes;
    let posted = crate::upload::read(multipart, max, &["internal", "csrf"]).await?;
    if form_csrf.is_some_and(|t| t != posted.field("csrf")) {
        return Err(ApiError::forbidden());
    }
    let internal = posted.field("internal") == "true";
    let (name, bytes) = posted.file;
    let upload = Upload {
        case_id: case.id,
        case_number: &case.number,
        name: &name,
        bytes,
        internal: internal && sees_internal(&caller.principal),
        uploaded_by: Some(user.user_id),
    };
    attachments::attach(&state.db, &caller.context, &state.files, upload, max)
        .await
        .map_err(|e| match e {
            AttachError::Upload(u) => crate::upload::upload_error(u),
            AttachError::Io(io) => ApiError::internal(io),
            AttachError::Case(c) => c.into(),
        })
}

/// Download an attachment the caller may see.
#[utoipa::path(get, path = "/api/v1/cases/{number}/attachments/{id}", tag = TAG_CASES,
    params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              answers::Unauthorized,
              answers::NotFound))]
pub async fn download(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((number, id)): ApiPath<(String, i64)>,
) -> Result<Response, ApiError> {
    let (case, _) = visible_case(&state, &caller.principal, &number).await?;
    let not_found = || ApiError::not_found("没有这个附件", "no such attachment");
    let a = match attachments::get(&state.db, id).await {
        Ok(a) if a.case_id == case.id && (!a.internal || sees_internal(&caller.principal)) => a,
        Ok(_) | Err(egov_cases::CaseError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let bytes = state.files.read(&a).await.map_err(ApiError::internal)?;
    let disposition = format!(
        "attachment; filename=\"file\"; filename*=UTF-8''{}",
        url::form_urlencoded::byte_serialize(a.name.as_bytes()).collect::<String>()
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.media_type).map_err(ApiError::internal)?,
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    /// 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
    #[schema(minimum = 1, maximum = 5)]
    pub grade: i16,
    /// Required for grades 1 and 2.
    #[serde(default)]
    pub comment: String,
}

/// The applicant rates a finished case (好差评), once. A bad rating opens a
/// follow-up case for the department.
#[utoipa::path(post, path = "/api/v1/cases/{number}/rating", tag = TAG_CASES,
    params(("number" = String, Path)), request_body = RatingInput,
    responses((status = 201, body = RatingView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn rate(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<RatingInput>,
) -> Result<(StatusCode, ApiJson<RatingView>), ApiError> {
    let r = rate_case(&state, &caller, &number, input.grade, &input.comment).await?;
    Ok((StatusCode::CREATED, ApiJson(r)))
}

pub async fn rate_case(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
    grade: i16,
    comment: &str,
) -> Result<RatingView, ApiError> {
    let user = require_user(caller)?;
    let (case, _) = visible_case(state, &caller.principal, number).await?;
    let cal = state.calendar().await?;
    let (r, _followup) = egov_cases::rating::rate(
        &state.db,
        &caller.context,
        &cal,
        &state.processes,
        case.id,
        user.user_id,
        grade,
        comment,
    )
    .await?;
    Ok(RatingView {
        grade: r.grade,
        comment: r.comment,
        rated_at: r.rated_at,
        followup_number: None,
    })
}

#[derive(Serialize, ToSchema)]
pub struct ProcessView {
    pub id: String,
    pub version: i32,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub loaded_at: Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct ProcessList {
    pub processes: Vec<ProcessView>,
}

/// The newest version of every process definition.
#[utoipa::path(get, path = "/api/v1/processes", tag = TAG_CASES,
    responses((status = 200, body = ProcessList)))]
pub async fn list_processes(
    State(state): State<AppState>,
) -> Result<ApiJson<ProcessList>, ApiError> {
    let processes = egov_cases::registry::list(&state.db)
        .await?
        .into_iter()
        .map(|p| ProcessView {
            id: p.id,
            version: p.version,
            name: p.name,
            loaded_at: p.loaded_at,
        })
        .collect();
    Ok(ApiJson(ProcessList { processes }))
}

/// Load a process definition (TOML, as in `data/processes/`) as a new
/// version; running cases keep theirs. System administrators, or a key
/// with `reference:write`.
#[utoipa::path(post, path = "/api/v1/processes", tag = TAG_CASES,
    request_body(content = String, content_type = "application/toml"),
    security(("api_key" = [])),
    responses((status = 201, body = ProcessView),
              (status = 200, body = ProcessView, description = "this exact version was already loaded"),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn load_process(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Result<(StatusCode, ApiJson<ProcessView>), ApiError> {
    caller.require(Permission::ManageReferenceData)?;
    let (def, new) = egov_cases::registry::load(&state.db, &caller.context, &body).await?;
    Ok((
        if new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        ApiJson(ProcessView {
            id: def.id,
            version: def.version as i32,
            name: def.name,
            loaded_at: egov_kernel::time::now(),
        }),
    ))
}
