//! The engine's errors: one per layer, each with its message in English
//! and, for what people read, in Chinese.

use crate::expression::ExpressionError;
use egov_store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    #[error("an element's code is 1 to 50 letters, digits, '_', '-' or '.': {0:?}")]
    BadCode(String),
    #[error("an element needs a name")]
    NoName,
    #[error("the element {0} exists already")]
    Exists(String),
    #[error("{} rows are refused; nothing was stored", .0.len())]
    Rows(Vec<RowProblem>),
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    #[error(transparent)]
    Rule(#[from] crate::quality::RuleError),
    #[error(transparent)]
    DataSet(#[from] crate::dataset::DataSetError),
    #[error(transparent)]
    Index(#[from] crate::ranking::IndexError),
    /// Another batch stored a value of the same cell at the same moment.
    #[error("another report changed the same values at the same time; send it again")]
    Concurrent,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IndicatorError {
    fn from(e: sqlx::Error) -> Self {
        IndicatorError::Store(e.into())
    }
}

/// Why one row of a batch is refused: its place (from 1) and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub column: &'static str,
    pub message: String,
    /// The same in Chinese, for the reporting pages.
    pub message_zh: String,
}

/// Which part of a definition is wrong.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("an indicator's code is 1 to 50 letters, digits, '_', '-' or '.': {0:?}")]
    BadCode(String),
    #[error("an indicator needs a name")]
    NoName,
    #[error("numerator: {0}")]
    Numerator(ExpressionError),
    #[error("denominator: {0}")]
    Denominator(ExpressionError),
    #[error("the factor must be a number other than zero")]
    Factor,
    #[error("at most 6 decimals")]
    Decimals,
    #[error("warning bands: {0}")]
    Bands(crate::warning::WarningError),
}

impl DefinitionError {
    /// The message in Chinese, for the pages and problem documents.
    pub fn zh(&self) -> String {
        match self {
            DefinitionError::BadCode(c) => {
                format!("指标代码须为 1 至 50 个字母、数字、“_”“-”或“.”：“{c}”")
            }
            DefinitionError::NoName => "请填写指标名称".to_owned(),
            DefinitionError::Numerator(e) => format!("分子：{}", e.zh()),
            DefinitionError::Denominator(e) => format!("分母：{}", e.zh()),
            DefinitionError::Factor => "系数须为非零数值".to_owned(),
            DefinitionError::Decimals => "小数位数最多 6 位".to_owned(),
            DefinitionError::Bands(e) => format!("预警界限：{}", e.zh()),
        }
    }
}
