//! The catalogue's errors as problems, with their message in Chinese.

use axum::http::StatusCode;
use egov_catalogue::cells::{QueryError, TableError};
use egov_catalogue::{CatalogueError, ResourceError};
use egov_web_kit::problem::{ApiError, Localized, RowError};

fn resource_zh(e: &ResourceError) -> String {
    match e {
        ResourceError::Code(c) => {
            format!("资源代码须为提供方部门代码加“-”和五位顺序号（收到“{c}”）")
        }
        ResourceError::Class(c) => format!("未知的资源分类“{c}”"),
        ResourceError::Required(f) => format!("{f} 为必填项"),
        ResourceError::TooLong { field, limit } => format!("{field} 不得超过 {limit} 字"),
        ResourceError::ItemCount => "信息项须有 1 至 100 项".into(),
        ResourceError::ItemName(n) => {
            format!("信息项“{n}”的名称须以小写字母开头，仅含小写字母、数字和下划线")
        }
        ResourceError::ItemTwice(n) => format!("信息项“{n}”重复"),
        ResourceError::NoCondition => "有条件共享的资源须写明共享条件".into(),
        ResourceError::NoLegalBasis => "不予共享的资源须写明法律、行政法规或政策依据".into(),
        ResourceError::NoMethod => "共享的资源须写明共享方式（sharing_method）".into(),
        ResourceError::OpenNotShared => "只有无条件共享的资源可以向社会开放".into(),
        ResourceError::Keywords => "关键字最多 20 个".into(),
    }
}

/// A registry error as a problem.
pub fn catalogue(e: CatalogueError) -> ApiError {
    let en = e.to_string();
    match e {
        CatalogueError::Invalid(r) => ApiError::validation(resource_zh(&r), en),
        CatalogueError::UnknownDepartment(d) => {
            ApiError::validation(format!("没有代码为“{d}”的部门"), en)
        }
        CatalogueError::UnknownRelated(c) => {
            ApiError::validation(format!("关联资源“{c}”不在目录中"), en)
        }
        CatalogueError::ItemsChanged(n) => ApiError::new(StatusCode::CONFLICT, "items_hold_data")
            .with_detail(
                format!("信息项“{n}”已有数据，名称和类型不能修改（可以新增信息项）"),
                en,
            ),
        CatalogueError::NotFound(c) => ApiError::not_found(format!("目录中没有资源“{c}”"), en),
        CatalogueError::CodeTaken(c) => ApiError::new(StatusCode::CONFLICT, "code_taken")
            .with_detail(format!("资源代码“{c}”已经登记，请换一个顺序号"), en),
        CatalogueError::Store(s) => s.into(),
        other => ApiError::internal(other),
    }
}

/// What a cell of `kind` must be, in Chinese.
fn expected_zh(kind: egov_catalogue::ItemType) -> &'static str {
    use egov_catalogue::ItemType as T;
    match kind {
        T::String => "不超过 4000 字的文本",
        T::Integer => "整数",
        T::Decimal => "数值",
        T::Date => "日期（YYYY-MM-DD）",
        T::Datetime => "日期时间（YYYY-MM-DDTHH:MM:SS）",
        T::Boolean => "是或否（true/false）",
    }
}

fn table_zh(e: &TableError) -> String {
    match e {
        TableError::Empty => "文件没有表头行".into(),
        TableError::UnknownColumn(c) => format!("列“{c}”不是本资源的信息项"),
        TableError::ColumnTwice(c) => format!("列“{c}”重复"),
        TableError::MissingColumn(c) => format!("信息项“{c}”缺少对应的列"),
        TableError::Width { found, wanted, .. } => {
            format!("有 {found} 个单元格，表头有 {wanted} 列")
        }
        TableError::Cell { error, .. } => {
            format!("“{}”不是{}", error.value, expected_zh(error.kind))
        }
        TableError::UnknownField { field, .. } => format!("“{field}”不是本资源的信息项"),
        TableError::NotAnObject { .. } => "每行须是信息项取值的 JSON 对象".into(),
        TableError::TooManyRows => "一次最多装载 200000 行".into(),
        TableError::Csv(m) => format!("CSV 文件无法读取：{m}"),
        TableError::Sheet(m) => format!("Excel 文件无法读取：{m}"),
    }
}

/// A load refused: the row and column named where there is one.
pub fn table(e: TableError) -> ApiError {
    let zh = table_zh(&e);
    let en = e.to_string();
    let at = match &e {
        TableError::Cell { row, column, .. } => Some((*row, column.clone())),
        TableError::Width { row, .. } | TableError::NotAnObject { row } => {
            Some((*row, String::new()))
        }
        TableError::UnknownField { row, field } => Some((*row, field.clone())),
        _ => None,
    };
    match at {
        Some((row, column)) => {
            ApiError::rows_refused(vec![RowError::new(row, column, Localized::new(zh, en))])
        }
        None => ApiError::validation(zh, en),
    }
}

/// A query refused.
pub fn query(e: QueryError) -> ApiError {
    let en = e.to_string();
    let zh = match &e {
        QueryError::UnknownField(f) => format!("“{f}”不是可查询的信息项"),
        QueryError::Filter { field, error } => {
            format!(
                "对“{field}”的筛选值“{}”不是{}",
                error.value,
                expected_zh(error.kind)
            )
        }
        QueryError::FilterShape(f) => format!("对“{f}”的筛选须为一个值或值的列表"),
        QueryError::Sort(s) => format!("排序“{s}”应写作“信息项”或“信息项 asc|desc”"),
        QueryError::Limit => "每页最多 32000 行".into(),
        QueryError::Filters => "filters 须为 JSON 对象，如 {\"district\":\"东城区\"}".into(),
    };
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").with_detail(zh, en)
}

/// A sharing error as a problem.
pub fn sharing(e: egov_catalogue::sharing::SharingError) -> ApiError {
    use egov_catalogue::sharing::SharingError as E;
    let en = e.to_string();
    match e {
        E::NoResource(c) => ApiError::not_found(format!("目录中没有资源“{c}”"), en),
        E::NoRequest(n) => ApiError::not_found(format!("没有共享申请 {n}"), en),
        E::NotShared(_, basis) => ApiError::new(StatusCode::CONFLICT, "not_shared")
            .with_detail(format!("该资源不予共享，依据：{basis}"), en),
        E::OwnResource => ApiError::validation("本部门的资源无需申请", en),
        E::Purpose => ApiError::validation("请说明用途（不超过 2000 字）", en),
        E::Field(f) if f.is_empty() => ApiError::validation("请列出所需的信息项", en),
        E::Field(f) => ApiError::validation(format!("“{f}”不是该资源的信息项或超出申请范围"), en),
        E::Until => ApiError::validation("授权截止日期须在今天之后、三年以内", en),
        E::Answered => {
            ApiError::new(StatusCode::CONFLICT, "answered").with_detail("该申请已经答复", en)
        }
        E::NotProvider => ApiError::forbidden(),
        E::Reason => ApiError::validation("不同意共享须说明理由", en),
        E::NoDepartment(d) => ApiError::validation(format!("没有部门“{d}”"), en),
        E::NoClient(c) => {
            ApiError::validation(format!("没有可使用客户端凭证的单点登录客户端“{c}”"), en)
        }
        E::Case(c) => c.into(),
        E::Store(s) => s.into(),
        other => ApiError::internal(other),
    }
}
