//! The case use cases: opening a case, the queues, a case as its viewer
//! may see it, acting, commenting, attaching and rating. The API and the
//! pages both call these; neither calls the other.

use super::visible_case;
use crate::views::*;
use axum::extract::Multipart;
use axum::http::StatusCode;
use egov_cases::access::{actings, sees_internal};
use egov_cases::attachments::{self, AttachError, Upload};
use egov_cases::corrections;
use egov_cases::{Acting, Case, CaseError, Location, NewCase, ProcessDefinition, Refusal};
use egov_identity::{Principal, SessionUser, UserKind};
use egov_web_kit::auth::require_user;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde_json::Value;
use std::sync::Arc;

/// Everything about a case the principal may see.
pub async fn detail(
    state: &AppState,
    principal: &Principal,
    case: &Case,
    def: &ProcessDefinition,
) -> Result<CaseDetail, ApiError> {
    let db = &state.db;
    let dir = egov_org::directory(db).await?;
    let internal = sees_internal(principal);
    let pending = egov_cases::branches(db, case.id, &case.state).await?;
    let timeline: Vec<TimelineEvent> = egov_cases::timeline(db, case.id)
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
    // Not offered: an action taken once already, or past its time (the
    // calendar is read only for a process with such times).
    let calendar = match def.actions().any(|a| a.within.is_some()) {
        true => Some(state.calendar.get(db).await.map_err(ApiError::internal)?),
        false => None,
    };
    let until = |a: &egov_cases::definition::Action| {
        calendar
            .as_ref()
            .and_then(|c| egov_cases::plan::time_ends(a, case, c))
    };
    let now = egov_kernel::time::now();
    let mut actions: Vec<ActionOption> = Vec::new();
    if let Principal::User(u) = principal {
        for acting in actings(u) {
            for a in egov_cases::actions_open_to(def, case, &pending, acting) {
                let taken = a.once && timeline.iter().any(|e| e.action == a.id);
                let until = until(a);
                let offered = !taken && until.is_none_or(|by| now <= by);
                if offered && actions.iter().all(|x| x.id != a.id) {
                    actions.push(ActionOption {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        fields: a.fields.clone(),
                        until,
                    });
                }
            }
        }
    }
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
            .map(|o| OrderView::new(o, &dir))
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
            department: dir.code_of(b.department_id),
            status: b.status,
            answered_at: b.answered_at,
        })
        .collect();
    Ok(CaseDetail {
        summary: CaseSummary::new(case, def, &dir),
        applicant_id: case.applicant_id,
        co_departments: case
            .co_departments
            .iter()
            .map(|&id| dir.code_of(id))
            .collect(),
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

pub fn attachment_view(number: &str, a: attachments::Attachment) -> AttachmentView {
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
        answers: a.answers_item,
    }
}

/// Opens a case as whichever of the caller's roles the process lets open it.
pub async fn open(
    state: &AppState,
    caller: &ApiCaller,
    input: NewCaseInput,
) -> Result<(Case, Arc<ProcessDefinition>), ApiError> {
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
    let dir = egov_org::directory(&state.db).await?;
    let id_of = |code: &str| {
        dir.by_code(code)
            .map(|d| d.id)
            .ok_or(CaseError::from(Refusal::NoSuchDepartment))
    };
    let target = id_of(&input.department)?;
    let co_departments = input
        .co_departments
        .iter()
        .map(|c| id_of(c))
        .collect::<Result<Vec<_>, _>>()?;
    if user.view_only {
        return Err(view_only());
    }
    // Applicants act for themselves; staff in the receiving department.
    let acting = actings(user).into_iter().find(|a| match a {
        Acting::Applicant { .. } => def.start_by.contains(&a.actor()),
        Acting::Handler { department_id } | Acting::Dispatcher { department_id } => {
            department_id == &target && def.start_by.contains(&a.actor())
        }
        Acting::Supervisor { .. } | Acting::Platform => false,
    });
    let Some(acting) = acting else {
        return Err(ApiError::forbidden().with_detail(
            "您不能在此部门发起此类案件",
            "you may not open a case of this process in this department",
        ));
    };
    let mut new = NewCase::new(&def, target, title);
    new.applicant_id = (user.kind != UserKind::Staff).then_some(user.user_id);
    new.enterprise_id = user.enterprise_id;
    new.co_departments = co_departments;
    new.data = input.data.unwrap_or_else(|| serde_json::json!({}));
    // The English title is the opening system's to give (a service item's
    // name), not a caller's.
    if let Some(data) = new.data.as_object_mut() {
        data.remove("title_en");
    }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Tasks,
    Department,
}

/// A user's cases: an applicant's own; a civil servant's department queue,
/// or only the cases they may act on now.
pub async fn queue_of(
    state: &AppState,
    user: &SessionUser,
    queue: Queue,
    closed: bool,
    limit: i64,
) -> Result<Vec<(Case, Arc<ProcessDefinition>)>, ApiError> {
    let db = &state.db;
    let cases = match user.kind {
        UserKind::Citizen | UserKind::Enterprise => {
            egov_cases::case::for_applicant(db, user.user_id, user.enterprise_id, limit).await?
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

/// Whether `user` may take `action` on `case` now, in any of their roles:
/// a page checks this before it judges the action's fields or asks for
/// confirmation, so those who may not act hear only that.
pub async fn may_take(
    state: &AppState,
    user: &SessionUser,
    case: &Case,
    def: &ProcessDefinition,
    action: &str,
) -> Result<bool, ApiError> {
    let pending = egov_cases::branches(&state.db, case.id, &case.state).await?;
    Ok(actings(user)
        .into_iter()
        .any(|a| egov_cases::may_act(def, case, &pending, a, action)))
}

/// Acts as whichever of the caller's roles may take the action.
pub async fn take_action(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
    input: &ActionInput,
) -> Result<Case, ApiError> {
    let user = acting_user(caller)?;
    let (case, def) = visible_case(state, &caller.principal, number).await?;
    let pending = egov_cases::branches(&state.db, case.id, &case.state).await?;
    let mine = actings(user);
    let acting = mine
        .iter()
        .copied()
        .find(|a| egov_cases::may_act(&def, &case, &pending, *a, &input.action))
        .or(mine.first().copied())
        .ok_or_else(ApiError::forbidden)?;
    // A request for corrections goes back only with every point answered.
    if egov_cases::may_act(&def, &case, &pending, acting, &input.action)
        && corrections::hands_back(&def, &case, &input.action)
    {
        if let Some(request) = corrections::open_request(&state.db, &def, &case).await? {
            let open = request.unanswered();
            if !open.is_empty() {
                return Err(
                    ApiError::new(StatusCode::CONFLICT, "corrections_unanswered").with_detail(
                        format!("还有未补正的材料，请逐项上传后再提交：{}", open.join("、")),
                        format!(
                            "some corrections are not answered yet; upload a file for each: {}",
                            open.join(", ")
                        ),
                    ),
                );
            }
        }
    }
    // A decision that needs the materials accepted to follow later (容缺)
    // waits for them, unless it records the condition it is taken on.
    let needs_materials = def.action(&input.action).is_some_and(|a| a.needs_materials);
    let condition = input
        .fields
        .as_ref()
        .and_then(|f| f["condition"].as_str())
        .is_some_and(|c| !c.trim().is_empty());
    if needs_materials && !condition {
        let owed = corrections::owed(&state.db, &case).await?;
        let missing = corrections::not_arrived(&owed);
        if !missing.is_empty() {
            return Err(ApiError::new(StatusCode::CONFLICT, "materials_outstanding")
                .with_detail(
                    format!(
                        "容缺受理的材料尚未补齐：{}。请待材料到齐后决定，或在“附条件准予”中写明条件",
                        missing.join("、")
                    ),
                    format!(
                        "materials accepted to follow later have not arrived: {}; wait for them, \
                         or record the condition of the grant",
                        missing.join(", ")
                    ),
                ));
        }
    }
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

/// The signed-in person taking a step on a case (an action, a comment, a
/// file, a rating): refused to a view-only operator, who only sees.
fn acting_user(caller: &ApiCaller) -> Result<&egov_identity::SessionUser, ApiError> {
    let user = require_user(caller)?;
    if user.view_only {
        return Err(view_only());
    }
    Ok(user)
}

/// The refusal of a view-only operator's attempt to act for the enterprise.
pub fn view_only() -> ApiError {
    ApiError::forbidden().with_detail(
        "您的经办人账户仅可查看，不能代表企业申请或办理；请联系企业法定代表人",
        "your operator account may only view the enterprise's business; ask its legal representative",
    )
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
    let user = acting_user(caller)?;
    let (case, def) = visible_case(state, &caller.principal, number).await?;
    if !case.is_open() {
        return Err(egov_cases::CaseError::Closed.into());
    }
    let max = state.settings.max_upload_bytes;
    let posted =
        egov_web_kit::upload::read(multipart, max, &["internal", "csrf", "answers"]).await?;
    if form_csrf.is_some_and(|t| t != posted.field("csrf")) {
        return Err(ApiError::forbidden());
    }
    let internal = posted.field("internal") == "true";
    // A point of the open request for corrections, answered by its applicant.
    let answers = match posted.field("answers").trim() {
        "" => None,
        item => {
            let request = corrections::open_request(&state.db, &def, &case).await?;
            let asked = request.is_some_and(|r| r.items.iter().any(|i| i == item));
            let owed = corrections::owed(&state.db, &case).await?;
            let owes = owed.iter().any(|o| o.name == item);
            let applicant = case.applied_by(user.user_id, user.acting_enterprise());
            match asked || owes {
                true if applicant => Some(item.to_owned()),
                _ => {
                    return Err(ApiError::validation(
                        format!("“{item}”不是本案待补正的材料"),
                        format!("\"{item}\" is not a correction this case waits for"),
                    ))
                }
            }
        }
    };
    let (name, bytes) = posted.file;
    let upload = Upload {
        case_id: case.id,
        case_number: &case.number,
        name: &name,
        bytes,
        internal: internal && sees_internal(&caller.principal) && answers.is_none(),
        uploaded_by: Some(user.user_id),
        answers,
    };
    attachments::attach(&state.db, &caller.context, &state.files, upload, max)
        .await
        .map_err(|e| match e {
            AttachError::Upload(u) => egov_web_kit::upload::upload_error(u),
            AttachError::Io(io) => ApiError::internal(io),
            AttachError::Case(c) => c.into(),
        })
}

pub async fn rate_case(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
    grade: i16,
    comment: &str,
) -> Result<RatingView, ApiError> {
    let user = acting_user(caller)?;
    let (case, _) = visible_case(state, &caller.principal, number).await?;
    let cal = state.calendar().await?;
    let (r, _followup) = egov_cases::rating::rate(
        &state.db,
        &caller.context,
        &cal,
        &state.processes,
        case.id,
        egov_cases::rating::Rater::Applicant {
            user_id: user.user_id,
            enterprise_id: user.acting_enterprise(),
        },
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

/// Adds a comment: staff's may be internal (hidden from the applicant).
pub async fn add_comment(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
    body: &str,
    internal: bool,
) -> Result<CommentView, ApiError> {
    let user = acting_user(caller)?;
    let (case, _) = visible_case(state, &caller.principal, number).await?;
    let internal = internal && sees_internal(&caller.principal);
    let c = egov_cases::comments::add(
        &state.db,
        &caller.context,
        &case,
        Some(user.user_id),
        body,
        internal,
    )
    .await?;
    Ok(CommentView {
        id: c.id,
        author: c.author,
        body: c.body,
        internal: c.internal,
        at: c.at,
    })
}
