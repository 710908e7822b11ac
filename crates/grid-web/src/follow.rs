//! The follow page a report's link opens for anyone holding it, signed in
//! or not: where the report has got to; while it waits to be filed, a way
//! for its reporter (signed in) to withdraw it; once the case is closed, a
//! way to say it was not fixed and to rate how it was handled. A caller to
//! 12345 or a user of an Open311 app has no account here: holding the link
//! (its token, a 128-bit secret) is what shows they reported it. The forms
//! carry a double-submit token, so they work without a session.

use crate::pages::localized;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use egov_cases::rating::GRADES;
use egov_grid::filing::{self, Decider, Decision, FilingError};
use egov_grid::layers::grid;
use egov_grid::reopen::{self, By, ReopenError};
use egov_grid::satisfaction::{self, SatisfactionError};
use egov_identity::SessionUser;
use egov_kernel::{Actor, Locale};
use egov_web_kit::auth::{page_caller, MaybeUser};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::cookies::{form_token_matches, with_form_cookie};
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "grid_follow.html")]
struct FollowPage {
    chrome: Chrome,
    token: String,
    followed: egov_grid::requests::Followed,
    service_name: String,
    received: String,
    updated: String,
    link: String,
    thumbs: Vec<(String, String)>,
    /// Just followed (from a report page's offer of a case nearby).
    followed_now: bool,
    /// Just sent back as not fixed: the new case's follow page.
    reopened_now: bool,
    rated_now: bool,
    withdrawn_now: bool,
    /// Waiting to be filed, and the one signed in reported it.
    may_withdraw: bool,
    /// The days left to say it was not fixed, while that may be said.
    may_reopen: Option<u32>,
    /// The rating given, by its grade's name.
    rating: Option<String>,
    /// Closed and not yet rated.
    may_rate: bool,
    grades: Vec<(i16, String)>,
    /// Why the last form was refused, with the form it belongs to.
    said: Said,
    /// The double-submit token the page's forms carry.
    form_csrf: String,
}

/// A refusal, shown beside the form that was sent.
#[derive(Default)]
pub struct Said {
    pub reopen: Option<String>,
    pub rate: Option<String>,
    pub withdraw: Option<String>,
    /// What was typed in the refused form, shown again.
    pub typed: String,
}

#[derive(Deserialize)]
pub struct FollowQuery {
    followed: Option<String>,
    reopened: Option<String>,
    rated: Option<String>,
    withdrawn: Option<String>,
}

/// `GET /grid/follow/{token}`: where a report has got to, for whoever
/// holds its link (nothing about the reporter is shown).
pub async fn follow(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<FollowQuery>,
) -> Result<Response, ApiError> {
    let shown = Shown {
        followed: q.followed.is_some(),
        reopened: q.reopened.is_some(),
        rated: q.rated.is_some(),
        withdrawn: q.withdrawn.is_some(),
    };
    follow_page(
        &state,
        locale,
        user,
        &headers,
        &token,
        shown,
        Said::default(),
    )
    .await
}

/// What the page confirms, having just been done.
#[derive(Default)]
struct Shown {
    followed: bool,
    reopened: bool,
    rated: bool,
    withdrawn: bool,
}

async fn follow_page(
    state: &AppState,
    locale: Locale,
    user: Option<SessionUser>,
    headers: &HeaderMap,
    token: &str,
    shown: Shown,
    said: Said,
) -> Result<Response, ApiError> {
    let g = grid(&state.db).await.map_err(ApiError::internal)?;
    let Some(followed) = egov_grid::requests::followed(
        &state.db,
        &state.processes,
        &state.calendar,
        &g.classes,
        token,
    )
    .await
    .map_err(ApiError::internal)?
    else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let service_name = g.classes.service(&followed.service_code).map_or_else(
        || followed.service_code.clone(),
        |s| localized(locale, &s.sub.name, &s.sub.name_en),
    );
    let closed = followed
        .request
        .as_ref()
        .is_some_and(|r| r.status == egov_grid::requests::Status::Closed);
    let case = match closed {
        true => satisfaction::case_of_link(&state.db, token)
            .await
            .map_err(ApiError::internal)?,
        false => None,
    };
    let (mut may_reopen, mut rating) = (None, None);
    if let Some(case) = &case {
        if let Ok(()) = reopen::open_to_reopen(&state.db, case)
            .await
            .map_err(ApiError::internal)?
        {
            may_reopen = Some(g.classes.reopen_days);
        }
        rating = egov_cases::rating::of(&state.db, case.id)
            .await
            .map_err(ApiError::internal)?
            .map(|r| grade_name(locale, r.grade));
    }
    let waiting = followed
        .request
        .as_ref()
        .is_some_and(|r| r.case_number.is_none());
    let may_withdraw = waiting
        && user
            .as_ref()
            .is_some_and(|u| !u.view_only && followed.reported_by == Some(u.user_id));
    let base = crate::open311::base_url(state, headers);
    let chrome = Chrome::new(locale, user, format!("/grid/follow/{token}"));
    let form_csrf = egov_identity::random_secret();
    let page = FollowPage {
        received: chrome.beijing(&followed.received_at),
        updated: followed
            .request
            .as_ref()
            .map(|r| chrome.beijing(&r.updated))
            .unwrap_or_default(),
        link: format!("{base}/grid/follow/{token}"),
        thumbs: followed
            .photos
            .iter()
            .map(|(full, thumb)| (crate::photos::path(full), crate::photos::path(thumb)))
            .collect(),
        chrome,
        token: token.to_owned(),
        service_name,
        followed,
        followed_now: shown.followed,
        reopened_now: shown.reopened,
        rated_now: shown.rated,
        withdrawn_now: shown.withdrawn,
        may_withdraw,
        may_reopen,
        may_rate: case.is_some() && rating.is_none(),
        rating,
        grades: grades(locale),
        said,
        form_csrf: form_csrf.clone(),
    };
    let status = match (&page.said.reopen, &page.said.rate, &page.said.withdraw) {
        (None, None, None) => StatusCode::OK,
        _ => StatusCode::BAD_REQUEST,
    };
    Ok(with_form_cookie(
        state.settings.secure_cookies,
        &form_csrf,
        render(status, &page),
    ))
}

/// The five grades, best first, in the page's language.
pub(crate) fn grades(locale: Locale) -> Vec<(i16, String)> {
    GRADES
        .iter()
        .map(|(g, zh, en)| (*g, localized(locale, zh, en)))
        .collect()
}

/// A grade's name in the page's language.
pub(crate) fn grade_name(locale: Locale, grade: i16) -> String {
    GRADES
        .iter()
        .find(|(g, ..)| *g == grade)
        .map(|(_, zh, en)| localized(locale, zh, en))
        .unwrap_or_default()
}

fn pick(locale: Locale, zh: String, en: String) -> String {
    match locale {
        Locale::Zh => zh,
        Locale::En => en,
    }
}

/// The case behind a link, once the form's double-submit token matches;
/// else the page to answer with.
async fn link_case(
    state: &AppState,
    locale: Locale,
    headers: &HeaderMap,
    token: &str,
    csrf: &str,
) -> Result<Result<egov_cases::Case, Response>, ApiError> {
    if !form_token_matches(headers, state.settings.secure_cookies, csrf) {
        return Ok(Err(error_page(locale, StatusCode::FORBIDDEN)));
    }
    let case = satisfaction::case_of_link(&state.db, token)
        .await
        .map_err(ApiError::internal)?;
    Ok(case.ok_or_else(|| error_page(locale, StatusCode::NOT_FOUND)))
}

fn context(user: Option<&SessionUser>, origin: Origin) -> egov_kernel::Context {
    match user {
        Some(u) => page_caller(u, origin).context,
        None => origin.context(Actor::Anonymous),
    }
}

#[derive(Deserialize)]
pub struct ReopenForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /grid/follow/{token}/reopen`: the reporter says the closed case
/// was not fixed; a new case goes back to the department that handled it.
/// Signed in as its reporter, the new case is theirs; otherwise the link
/// is the word of whoever holds it.
pub async fn reopen_by_link(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ReopenForm>,
) -> Result<Response, ApiError> {
    let case = match link_case(&state, locale, &headers, &token, &form.csrf).await? {
        Ok(case) => case,
        Err(page) => return Ok(page),
    };
    let by = match &user {
        Some(u)
            if reopen::is_reporter(&state.db, &case, u.user_id)
                .await
                .map_err(ApiError::internal)? =>
        {
            By::Account(u.user_id)
        }
        _ => By::Link(&token),
    };
    let ctx = context(user.as_ref(), origin);
    let result = reopen::reopen(
        &state.db,
        &ctx,
        &state.processes,
        &case.number,
        by,
        &form.reason,
    )
    .await;
    let said = match result {
        Ok((_, token)) => {
            return Ok(Redirect::to(&format!("/grid/follow/{token}?reopened=1")).into_response())
        }
        Err(ReopenError::NotFound(_)) => return Ok(error_page(locale, StatusCode::NOT_FOUND)),
        Err(ReopenError::NotReporter) => return Ok(error_page(locale, StatusCode::FORBIDDEN)),
        Err(ReopenError::Reason) => pick(
            locale,
            format!("请说明哪里还没有解决（不超过 {} 字）", reopen::REASON_LIMIT),
            ReopenError::Reason.to_string(),
        ),
        Err(ReopenError::TooLate(days)) => pick(
            locale,
            format!("已超过结案后 {days} 天的反映期限"),
            ReopenError::TooLate(days).to_string(),
        ),
        Err(ReopenError::Again) => pick(
            locale,
            "此案件已反映过未解决，请关注新案件的办理".into(),
            ReopenError::Again.to_string(),
        ),
        Err(ReopenError::NotClosedFixed) => pick(
            locale,
            "只有已结案的案件才能反映未解决".into(),
            ReopenError::NotClosedFixed.to_string(),
        ),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let said = Said {
        reopen: Some(said),
        typed: form.reason,
        ..Said::default()
    };
    follow_page(
        &state,
        locale,
        user,
        &headers,
        &token,
        Shown::default(),
        said,
    )
    .await
}

/// The longest reason given for withdrawing (the grid process's own limit).
const WITHDRAW_REASON_LIMIT: usize = 500;

/// `POST /grid/follow/{token}/withdraw`: the reporter, signed in, withdraws
/// the report while it waits to be filed; its case opens as withdrawn.
pub async fn withdraw_by_link(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ReopenForm>,
) -> Result<Response, ApiError> {
    if !form_token_matches(&headers, state.settings.secure_cookies, &form.csrf) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let Some(user) = user.filter(|u| !u.view_only) else {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    };
    let Some(found) = egov_grid::requests::by_token(&state.db, &token)
        .await
        .map_err(ApiError::internal)?
    else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let reason = form.reason.trim();
    let refused = if reason.is_empty() || reason.chars().count() > WITHDRAW_REASON_LIMIT {
        pick(
            locale,
            format!("请说明撤回的理由（不超过 {WITHDRAW_REASON_LIMIT} 字）"),
            format!("Say why you withdraw it (at most {WITHDRAW_REASON_LIMIT} characters)"),
        )
    } else {
        let ctx = page_caller(&user, origin).context;
        match filing::decide(
            &state.db,
            &ctx,
            &state.processes,
            found.report,
            Decider::Reporter {
                user_id: user.user_id,
            },
            Decision::Withdraw {
                reason: reason.to_owned(),
            },
        )
        .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/grid/follow/{token}?withdrawn=1")).into_response()
                )
            }
            Err(FilingError::NotReporter) => return Ok(error_page(locale, StatusCode::FORBIDDEN)),
            Err(FilingError::Decided) => pick(
                locale,
                "指挥中心已处理此报告，不能再撤回".into(),
                "The command centre has dealt with it; it can no longer be withdrawn".into(),
            ),
            Err(e) => return Err(ApiError::internal(e)),
        }
    };
    let said = Said {
        withdraw: Some(refused),
        typed: form.reason,
        ..Said::default()
    };
    follow_page(
        &state,
        locale,
        Some(user),
        &headers,
        &token,
        Shown::default(),
        said,
    )
    .await
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    grade: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /grid/follow/{token}/rate`: the reporter rates how the closed
/// case was handled (once); a bad grade opens a follow-up for the
/// department.
pub async fn rate_by_link(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<RateForm>,
) -> Result<Response, ApiError> {
    if let Err(page) = link_case(&state, locale, &headers, &token, &form.csrf).await? {
        return Ok(page);
    }
    let ctx = context(user.as_ref(), origin);
    let result = match form.grade.trim().parse::<i16>() {
        Ok(grade) => {
            satisfaction::rate_by_link(
                &state.db,
                &ctx,
                &state.processes,
                &token,
                grade,
                &form.comment,
            )
            .await
        }
        Err(_) => Err(SatisfactionError::Case(egov_cases::Refusal::Grade.into())),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/grid/follow/{token}?rated=1")).into_response()),
        Err(e) => match rating_refusal(locale, &e) {
            Some(message) => {
                let said = Said {
                    rate: Some(message),
                    typed: form.comment,
                    ..Said::default()
                };
                follow_page(
                    &state,
                    locale,
                    user,
                    &headers,
                    &token,
                    Shown::default(),
                    said,
                )
                .await
            }
            None if matches!(e, SatisfactionError::NotFound) => {
                Ok(error_page(locale, StatusCode::NOT_FOUND))
            }
            None => Err(ApiError::internal(e)),
        },
    }
}

/// What a refused rating tells the person rating, if it is theirs to fix.
pub(crate) fn rating_refusal(locale: Locale, e: &SatisfactionError) -> Option<String> {
    use egov_cases::{CaseError, Refusal};
    let SatisfactionError::Case(CaseError::Refused(refusal)) = e else {
        return None;
    };
    let (zh, en) = match refusal {
        Refusal::Grade => ("请选择满意程度", "Choose how satisfied you are"),
        Refusal::BadRatingReason => (
            "选择不满意时，请说明原因",
            "Say why, when you are not satisfied",
        ),
        Refusal::RatingCommentLength => ("评价不能超过 2000 字", "At most 2,000 characters"),
        Refusal::Rated => ("此案件已评价过", "It has been rated already"),
        Refusal::NotEnded => ("办理结束后才能评价", "It can be rated once it is closed"),
        _ => return None,
    };
    Some(pick(locale, zh.to_owned(), en.to_owned()))
}
