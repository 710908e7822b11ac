//! What goes in and out of the case engine's use cases, shaped for JSON
//! (documented in the OpenAPI document) and read by the pages alike.

use chrono::NaiveDate;
use egov_cases::orders::OrderStatus;
use egov_cases::{BranchStatus, Case, ProcessDefinition};
use egov_kernel::time::Timestamp;
use egov_org::Directory;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct CaseSummary {
    #[schema(example = "20260000042")]
    pub number: String,
    pub title: String,
    /// The title in English, where the case's system keeps one.
    pub title_en: Option<String>,
    pub process_id: String,
    pub process_name: String,
    pub state: String,
    pub state_name: String,
    /// The owning department's code.
    #[schema(example = "110105-SCJGJ")]
    pub department: String,
    /// The code of the department handling it now.
    pub handling_department: String,
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
    pub fn new(case: &Case, def: &ProcessDefinition, dir: &Directory) -> Self {
        CaseSummary {
            number: case.number.clone(),
            title: case.title.clone(),
            title_en: case.title_en().map(str::to_owned),
            process_id: case.process_id.clone(),
            process_name: def.name.clone(),
            state: case.state.clone(),
            state_name: def
                .state(&case.state)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            department: dir.code_of(case.department_id),
            handling_department: dir.code_of(case.handling_department()),
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
    /// The moment after which it may no longer be taken, if it has one
    /// (a clarification asked of the applicant).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<Timestamp>,
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
    /// The point of a request for corrections (补正) it answers, if the
    /// applicant uploaded it for one (the multipart field `answers`).
    pub answers: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BranchView {
    /// The department's code.
    pub department: String,
    /// `pending`, `approved` or `refused`.
    #[schema(value_type = String)]
    pub status: BranchStatus,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub case_number: String,
    /// The code of the department ordered.
    pub department: String,
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: Timestamp,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub answer_due_at: Timestamp,
    /// `open` or `answered`.
    #[schema(value_type = String)]
    pub status: OrderStatus,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
}

impl OrderView {
    pub fn new(o: egov_cases::orders::Order, dir: &Directory) -> Self {
        OrderView {
            id: o.id,
            case_number: o.case_number,
            department: dir.code_of(o.department_id),
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
    /// The codes of the co-handling departments.
    pub co_departments: Vec<String>,
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
    /// The receiving department's code (as `GET /api/v1/departments` lists them).
    #[schema(example = "110105-SCJGJ")]
    pub department: String,
    #[schema(example = "东直门内大街 井盖缺失")]
    pub title: String,
    /// The case's form, checked against the process's `start_fields`.
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    /// The codes of the co-handling departments of parallel steps.
    #[serde(default)]
    pub co_departments: Vec<String>,
    pub location: Option<LocationInput>,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
    /// Staff only: hide the comment from the applicant.
    #[serde(default)]
    pub internal: bool,
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

#[derive(Serialize, ToSchema)]
pub struct BoardLineView {
    /// The department's code.
    pub department: String,
    pub department_name: String,
    pub department_name_en: Option<String>,
    pub open: i64,
    pub warnings: i64,
    pub yellow_cards: i64,
    pub red_cards: i64,
    pub open_orders: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BoardView {
    pub lines: Vec<BoardLineView>,
    /// Open cases under warning or card, the worst first.
    pub cases: Vec<CaseSummary>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// What the department must do.
    pub body: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub answer: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// First day, Beijing time (default: 30 days ago); at most ten years
    /// before `to`.
    #[param(format = Date, example = "2026-11-01")]
    pub from: Option<String>,
    /// Last day, inclusive (default: today); not before `from`.
    #[param(format = Date, example = "2026-11-30")]
    pub to: Option<String>,
    /// One department, by code.
    pub department: Option<String>,
    pub process: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MetricsLineView {
    /// The department's code.
    pub department: String,
    pub department_name: String,
    pub department_name_en: Option<String>,
    pub process_id: String,
    /// `handling`: the cases it handles; `co_handling`: the joint cases
    /// another department leads in which it decided its part (the figures
    /// are those cases').
    #[schema(value_type = String)]
    pub role: egov_cases::metrics::Role,
    pub received: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    /// 按期办结率: closed on time ÷ closed.
    pub on_time_rate: Option<f64>,
    pub overdue: u64,
    /// Handling time of the closed cases in working hours, clock stops left out.
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub ratings: u64,
    /// Share of ratings of 基本满意 or better.
    pub satisfaction: Option<f64>,
    pub mean_grade: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct MetricsView {
    #[schema(value_type = String)]
    pub from: NaiveDate,
    #[schema(value_type = String)]
    pub to: NaiveDate,
    pub lines: Vec<MetricsLineView>,
}
