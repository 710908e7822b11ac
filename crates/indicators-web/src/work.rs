//! The use cases the API (and the pages to come) call: who may do what is
//! decided here, on the server, for every route.

use crate::areas;
use crate::errors::problem;
use crate::views::{
    DataPoint, ElementView, IndicatorData, IndicatorLights, IndicatorView, LightPoint,
};
use egov_identity::Permission;
use egov_indicators::store::{self, DataValue, ImportCount, StoredValue};
use egov_indicators::warning::{reading, HistoryRule};
use egov_indicators::{definition, rulebook, Period};
use egov_org::Directory;
use egov_store::Db;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// At most this many periods in one answer: twenty years of months.
pub const MAX_PERIODS: usize = 240;

pub(crate) async fn directory(db: &Db) -> Result<std::sync::Arc<Directory>, ApiError> {
    db.reference::<Directory>().await.map_err(ApiError::from)
}

pub async fn elements(state: &AppState, caller: &ApiCaller) -> Result<Vec<ElementView>, ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let elements = store::elements(&state.db).await.map_err(problem)?;
    Ok(elements.into_iter().map(ElementView::from).collect())
}

pub async fn define_element(
    state: &AppState,
    caller: &ApiCaller,
    view: &ElementView,
) -> Result<(), ApiError> {
    caller.require(Permission::ManageIndicators)?;
    let element = view.element().ok_or_else(|| {
        ApiError::validation(
            "汇总方式须为 sum、average 或 last",
            "aggregation is one of sum, average or last",
        )
    })?;
    store::define_element(&state.db, &caller.context, &element)
        .await
        .map_err(problem)
}

/// Every indicator the caller may read: civil servants all of them,
/// everyone else the public ones.
pub async fn indicators(
    state: &AppState,
    caller: &ApiCaller,
) -> Result<Vec<IndicatorView>, ApiError> {
    let public_only = caller.require(Permission::ReadIndicators).is_err();
    let list = definition::list(&state.db, public_only)
        .await
        .map_err(problem)?;
    Ok(list.into_iter().map(IndicatorView::from).collect())
}

/// Defines the indicator `code` or changes it; whether it was new.
pub async fn define_indicator(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
    view: &IndicatorView,
) -> Result<bool, ApiError> {
    caller.require(Permission::ManageIndicators)?;
    same_code(code, &view.code)?;
    definition::define(&state.db, &caller.context, &view.definition(code))
        .await
        .map_err(problem)
}

/// Refuses a body whose code differs from the one in the path.
pub(crate) fn same_code(path: &str, body: &str) -> Result<(), ApiError> {
    if path == body {
        return Ok(());
    }
    Err(ApiError::validation(
        "请求体中的代码与地址中的不一致",
        "the code in the body differs from the one in the path",
    ))
}

/// Refuses an area the organisation model does not know.
pub(crate) fn known_area(directory: &Directory, area: &str) -> Result<(), ApiError> {
    if areas::known(directory, area) {
        return Ok(());
    }
    Err(ApiError::validation(
        format!("没有这个地区或单位：“{area}”"),
        format!("unknown area {area:?}"),
    ))
}

fn not_found() -> ApiError {
    ApiError::not_found("没有这个指标", "no such indicator")
}

/// The periods `from..=to`, of one kind.
pub fn period_range(from: &str, to: &str) -> Result<Vec<Period>, ApiError> {
    let read = |p: &str| {
        Period::parse(p).map_err(|e| {
            ApiError::validation(
                format!("“{p}”不是报告期（如 202601、2026Q1、2026）"),
                e.to_string(),
            )
        })
    };
    let (from, to) = (read(from)?, read(to)?);
    if from.kind() != to.kind() || to.days().0 < from.days().0 {
        return Err(ApiError::validation(
            "起止报告期须为同一类型，且起不晚于止",
            "from and to are periods of one kind, from not after to",
        ));
    }
    let mut out = vec![from];
    while out.last() != Some(&to) {
        if out.len() == MAX_PERIODS {
            return Err(ApiError::validation(
                format!("一次最多查询 {MAX_PERIODS} 个报告期"),
                format!("at most {MAX_PERIODS} periods at once"),
            ));
        }
        out.push(from.shifted(out.len() as i32));
    }
    Ok(out)
}

/// An indicator the caller may read, worked out over its cube for the
/// wanted areas and periods.
pub(crate) struct Worked {
    pub defined: egov_indicators::IndicatorDefinition,
    pub indicator: egov_indicators::Indicator,
    pub cube: egov_indicators::Cube,
    /// Each wanted area with its name in the request's language.
    pub areas: Vec<(String, String)>,
    pub periods: Vec<Period>,
}

/// Loads the indicator `code` for the query. One that is not public is for
/// civil servants only; to anyone else it is not found, so codes cannot be
/// probed.
pub(crate) async fn worked(
    state: &AppState,
    caller: &ApiCaller,
    locale: egov_kernel::Locale,
    code: &str,
    query: &crate::views::DataQuery,
) -> Result<Worked, ApiError> {
    let periods = period_range(&query.from, &query.to)?;
    let mut w = loaded(
        state,
        caller,
        locale,
        code,
        query.area.as_deref(),
        query.children,
        query.category.as_deref().unwrap_or(""),
    )
    .await?;
    w.periods = periods;
    Ok(w)
}

/// The indicator `code` with its cube of the `category` (`""` the
/// totals), for the area (the city by default) and, with `children`, the
/// divisions directly below it; no periods yet.
pub(crate) async fn loaded(
    state: &AppState,
    caller: &ApiCaller,
    locale: egov_kernel::Locale,
    code: &str,
    area: Option<&str>,
    children: bool,
    category: &str,
) -> Result<Worked, ApiError> {
    let defined = definition::get(&state.db, code)
        .await
        .map_err(problem)?
        .ok_or_else(not_found)?;
    if !defined.public && caller.require(Permission::ReadIndicators).is_err() {
        return Err(not_found());
    }
    let directory = directory(&state.db).await?;
    let area = area.unwrap_or("110000").to_owned();
    known_area(&directory, &area)?;
    let mut wanted = vec![area.clone()];
    if children {
        wanted.extend(areas::children(&directory, &area));
    }
    // Checked against the elements when it was defined; the formulas are
    // read here, and the elements they name loaded with their values.
    let indicator = defined.checked(|_| true).map_err(ApiError::internal)?;
    let refs: Vec<&str> = indicator.elements().into_iter().collect();
    let mut cube = store::cube_of(&state.db, &refs, category.trim())
        .await
        .map_err(problem)?;
    areas::hang_tree(&directory, &mut cube);
    let areas = wanted
        .into_iter()
        .map(|a| {
            let name = areas::label(&directory, &a, locale);
            (a, name)
        })
        .collect();
    Ok(Worked {
        defined,
        indicator,
        cube,
        areas,
        periods: Vec::new(),
    })
}

/// The indicator for the area (and its sub-areas) over the periods, with
/// growth.
pub async fn indicator_data(
    state: &AppState,
    caller: &ApiCaller,
    locale: egov_kernel::Locale,
    code: &str,
    query: &crate::views::DataQuery,
) -> Result<IndicatorData, ApiError> {
    let w = worked(state, caller, locale, code, query).await?;
    let data = data_points(&w);
    Ok(IndicatorData {
        indicator: w.defined.into(),
        data,
    })
}

/// Each wanted area's value and growth in each period, area by area.
pub(crate) fn data_points(w: &Worked) -> Vec<DataPoint> {
    let mut data = Vec::with_capacity(w.areas.len() * w.periods.len());
    for (area, area_name) in &w.areas {
        for p in &w.periods {
            let growth = w.cube.indicator_growth(&w.indicator, area, p);
            data.push(DataPoint {
                area: area.clone(),
                area_name: area_name.clone(),
                period: p.to_string(),
                value: w.cube.indicator(&w.indicator, area, p),
                year_on_year: growth.year_on_year,
                period_on_period: growth.period_on_period,
                year_to_date: growth.year_to_date,
            });
        }
    }
    data
}

/// The indicator's warning lights for the area (and its sub-areas) over
/// the periods, each against bands from its own history.
pub async fn indicator_lights(
    state: &AppState,
    caller: &ApiCaller,
    locale: egov_kernel::Locale,
    code: &str,
    query: &crate::views::DataQuery,
) -> Result<IndicatorLights, ApiError> {
    let w = worked(state, caller, locale, code, query).await?;
    let lights = light_points(&w)?;
    Ok(IndicatorLights {
        indicator: w.defined.into(),
        lights,
    })
}

/// Each wanted area's light in each period: its fixed bands, else its own
/// history's.
pub(crate) fn light_points(w: &Worked) -> Result<Vec<LightPoint>, ApiError> {
    let rule = HistoryRule::default();
    let fixed = w.defined.fixed_bands();
    let mut lights = Vec::with_capacity(w.areas.len() * w.periods.len());
    for (area, area_name) in &w.areas {
        for p in &w.periods {
            let read = reading(&w.cube, &w.indicator, area, p, fixed.as_ref(), &rule)
                .map_err(ApiError::internal)?;
            lights.push(LightPoint {
                area: area.clone(),
                area_name: area_name.clone(),
                period: p.to_string(),
                value: w.cube.indicator(&w.indicator, area, p),
                light: read.as_ref().map(|r| r.light.as_str().to_owned()),
                bands: read.map(|r| r.bands.cuts()),
            });
        }
    }
    Ok(lights)
}

/// Stores a batch of values the caller reports, all or nothing: each
/// row's area must be one the caller reports for, and its period open to
/// reports under every data set holding its element.
pub async fn import(
    state: &AppState,
    caller: &ApiCaller,
    rows: &[DataValue],
) -> Result<ImportCount, ApiError> {
    let reach = egov_identity::report_reach(&caller.principal);
    if !reach.any() {
        // Nobody's 统计员: refused as the policy words it (401 or 403).
        caller.require(Permission::ReportIndicators {
            department_id: None,
        })?;
    }
    let directory = directory(&state.db).await?;
    let sets = rulebook::data_sets(&state.db).await.map_err(problem)?;
    let today = egov_kernel::time::beijing_today();
    store::import(
        &state.db,
        &caller.context,
        rows,
        &|a| areas::answer(&directory, &reach, a),
        &|element, period| {
            sets.iter()
                .find_map(|s| s.closed_for(element, period, today))
        },
    )
    .await
    .map_err(problem)
}

/// The current values of an element in an area (one period, or all).
pub async fn export(
    state: &AppState,
    caller: &ApiCaller,
    element: &str,
    area: &str,
    period: Option<&str>,
) -> Result<Vec<StoredValue>, ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let period = match period {
        Some(p) => Some(period_range(p, p)?.remove(0)),
        None => None,
    };
    let mut values = store::current(&state.db, element, area)
        .await
        .map_err(problem)?;
    if let Some(p) = period {
        values.retain(|v| v.period == p);
    }
    Ok(values)
}

/// The content type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The most bytes an uploaded workbook may have: as much as a JSON or CSV
/// body.
pub const MAX_SHEET: usize = 1024 * 1024;

/// Values from the first sheet of an Excel workbook in DHIS2's CSV
/// columns (or their Chinese names), read off the executor. Returns
/// whether the sheet had a header row, and the values.
pub async fn values_from_sheet(bytes: Vec<u8>) -> Result<(bool, Vec<DataValue>), ApiError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(not_a_workbook("the file is not an Excel workbook (.xlsx)"));
    }
    let rows = tokio::task::spawn_blocking(move || egov_documents::sheet::read(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| not_a_workbook(&e.to_string()))?;
    egov_indicators::dhis2::read_rows(rows).map_err(|e| {
        ApiError::new(axum::http::StatusCode::BAD_REQUEST, "bad_request")
            .with_detail(format!("无法读取表格：{e}"), e.to_string())
    })
}

fn not_a_workbook(en: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::BAD_REQUEST, "bad_request")
        .with_detail("文件不是可读取的 Excel 工作簿（.xlsx）", en.to_owned())
}

/// A table as an Excel workbook, written off the executor, ready to send.
pub async fn workbook(
    name: &str,
    file: &str,
    header: Vec<String>,
    rows: Vec<Vec<egov_documents::sheet::Cell>>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let name = name.to_owned();
    let bytes = tokio::task::spawn_blocking(move || {
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        egov_documents::sheet::write(&name, &header, &rows)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"{file}.xlsx\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, XLSX.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
