//! The caller's message centre over HTTP.

use axum::extract::State;
use axum::http::StatusCode;
use egov_kernel::Locale;
use egov_notify::inbox;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery, TAG_NOTIFICATIONS};
use egov_web_kit::auth::{require_user, ApiCaller};
use egov_web_kit::context::Lang;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A message as its reader sees it, worded in the request's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// The kind of notice (`correction_requested`, `task_assigned`, ...).
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// The page it is about, a path on this platform.
    pub link: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: egov_kernel::time::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<egov_kernel::time::Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// How many of the caller's messages are unread, in all.
    pub unread: i64,
    /// Newest first.
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Only unread messages.
    #[serde(default)]
    pub unread: bool,
    /// Messages older than this one (its id), for the next page.
    pub before: Option<i64>,
    /// At most this many (1-100, default 30).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many messages were unread and are read now.
    pub marked: u64,
}

pub(crate) async fn page_of(
    state: &AppState,
    user_id: i64,
    locale: Locale,
    unread_only: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<MessageList, ApiError> {
    let templates = egov_notify::templates::current(&state.db).await?;
    let messages = inbox::list(
        &state.db,
        &templates,
        user_id,
        locale,
        unread_only,
        before,
        limit,
    )
    .await?
    .into_iter()
    .map(|m| MessageView {
        id: m.id,
        kind: m.kind,
        subject: m.subject,
        body: m.body,
        link: m.link,
        created_at: m.created_at,
        read_at: m.read_at,
    })
    .collect();
    let unread = inbox::unread_count(&state.db, user_id).await?;
    Ok(MessageList { unread, messages })
}

/// The caller's messages, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/messages", tag = TAG_NOTIFICATIONS, params(MessageQuery),
    responses((status = 200, body = MessageList),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn list_messages(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> Result<ApiJson<MessageList>, ApiError> {
    let user = require_user(&caller)?;
    let limit = q.limit.unwrap_or(30).clamp(1, 100);
    let list = page_of(&state, user.user_id, locale, q.unread, q.before, limit).await?;
    Ok(ApiJson(list))
}

/// Mark one of the caller's messages read (reading it again changes nothing).
#[utoipa::path(post, path = "/api/v1/messages/{id}/read", tag = TAG_NOTIFICATIONS,
    params(("id" = i64, Path)),
    responses((status = 204),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn read_message(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let user = require_user(&caller)?;
    inbox::mark_read(&state.db, &caller.context, user.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark every message of the caller's read.
#[utoipa::path(post, path = "/api/v1/messages/read-all", tag = TAG_NOTIFICATIONS,
    responses((status = 200, body = MarkedRead),
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn read_all(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<MarkedRead>, ApiError> {
    let user = require_user(&caller)?;
    let marked = inbox::mark_all_read(&state.db, &caller.context, user.user_id).await?;
    Ok(ApiJson(MarkedRead { marked }))
}
