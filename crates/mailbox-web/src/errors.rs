//! The mailboxes' errors as problems, with their message in Chinese.

use axum::http::StatusCode;
use egov_mailbox::publishing::PublishError;
use egov_mailbox::writing::WritingError;
use egov_web_kit::problem::ApiError;

/// Why a letter was not written or confirmed.
pub fn writing(e: WritingError) -> ApiError {
    let en = e.to_string();
    match e {
        WritingError::Letter(l) => ApiError::validation(l.message_zh(), en),
        WritingError::NoTicket => ApiError::not_found("没有等待验证的来信，或已验证过", en),
        WritingError::Expired => ApiError::new(StatusCode::GONE, "code_expired")
            .with_detail("验证码已失效，请重新写信", en),
        WritingError::WrongCode(left) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "wrong_code")
                .with_detail(format!("验证码不正确，还可以再试 {left} 次"), en)
        }
        WritingError::Case(c) => c.into(),
        WritingError::Store(s) => s.into(),
        WritingError::Org(o) => ApiError::internal(o),
        WritingError::Calendar(c) => ApiError::internal(c),
        WritingError::Process(p) => p.into(),
        WritingError::TooManyCodes(n) => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_codes").with_detail(
                format!("这个手机号码一小时内已发送 {n} 次验证码，请稍后再试"),
                en,
            )
        }
        WritingError::NotAnswered => ApiError::new(StatusCode::CONFLICT, "not_answered")
            .with_detail("来信尚未答复，答复后才能评价", en),
    }
}

/// Why a letter was not published.
pub fn publishing(e: PublishError) -> ApiError {
    let en = e.to_string();
    match e {
        PublishError::NoLetter(n) => ApiError::not_found(format!("没有来信“{n}”"), en),
        PublishError::NotAnswered => ApiError::new(StatusCode::CONFLICT, "not_answered")
            .with_detail("来信尚未答复，答复后才能公开", en),
        PublishError::NoConsent => ApiError::new(StatusCode::CONFLICT, "no_consent")
            .with_detail("来信人未同意公开，不能公开", en),
        PublishError::Published => {
            ApiError::new(StatusCode::CONFLICT, "published").with_detail("来信已经公开", en)
        }
        PublishError::NotPublished => {
            ApiError::new(StatusCode::CONFLICT, "not_published").with_detail("来信没有公开", en)
        }
        PublishError::NoReason => ApiError::validation("请写明撤下公开的理由", en),
        PublishError::Empty(what) => ApiError::validation(
            format!(
                "{}不能为空",
                match what {
                    "subject" => "标题",
                    "letter" => "来信内容",
                    _ => "答复内容",
                }
            ),
            en,
        ),
        PublishError::PersonalData(kinds) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "personal_data").with_detail(
                format!(
                    "公开的文字中仍有个人信息（{}），请删去或替换后再公开",
                    kinds
                        .iter()
                        .map(|k| k.label_zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
                en,
            )
        }
        PublishError::TooLong(what, most) => ApiError::validation(
            format!(
                "{}不得超过 {most} 字",
                match what {
                    "subject" => "标题",
                    "letter" => "来信内容",
                    _ => "答复内容",
                }
            ),
            en,
        ),
        PublishError::Account(a) => ApiError::internal(a),
        PublishError::Case(c) => c.into(),
        PublishError::Store(s) => s.into(),
    }
}
