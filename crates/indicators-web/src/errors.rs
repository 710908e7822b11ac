//! The indicators engine's errors as problems.

use axum::http::StatusCode;
use egov_indicators::IndicatorError;
use egov_web_kit::problem::{ApiError, Localized, RowError};

pub fn problem(e: IndicatorError) -> ApiError {
    match e {
        IndicatorError::BadCode(c) => ApiError::validation(
            format!("指标项代码须为 1 至 50 个字母、数字、“_”“-”或“.”：“{c}”"),
            format!("an element's code is 1 to 50 letters, digits, '_', '-' or '.': {c:?}"),
        ),
        IndicatorError::NoName => {
            ApiError::validation("请填写指标项名称", "an element needs a name")
        }
        IndicatorError::Exists(c) => ApiError::new(StatusCode::CONFLICT, "already_exists")
            .with_detail(
                format!("指标项 {c} 已存在"),
                format!("the element {c} exists already"),
            ),
        IndicatorError::Rows(rows) => ApiError::rows_refused(
            rows.into_iter()
                .map(|r| RowError::new(r.row, r.column, Localized::new(r.message_zh, r.message)))
                .collect(),
        ),
        IndicatorError::Definition(d) => ApiError::validation(d.zh(), d.to_string()),
        IndicatorError::Rule(r) => ApiError::validation(r.zh(), r.to_string()),
        IndicatorError::DataSet(d) => ApiError::validation(d.zh(), d.to_string()),
        IndicatorError::Index(i) => ApiError::validation(i.zh(), i.to_string()),
        IndicatorError::Concurrent => ApiError::new(StatusCode::CONFLICT, "version_conflict")
            .with_detail(
                "其他报送同时修改了相同的数据，请重新提交",
                "another report changed the same values at the same time; send it again",
            ),
        IndicatorError::Store(s) => s.into(),
    }
}
