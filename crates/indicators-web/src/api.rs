//! The indicators over HTTP: thin handlers over [`crate::work`].

use crate::views::{
    AreaQuery, CheckQuery, CompositeLights, CompositeView, DataQuery, DataSetView, ElementView,
    ForecastQuery, ImportCountView, ImportSummary, IndicatorData, IndicatorForecast,
    IndicatorLights, IndicatorView, OutlierQuery, OutlierView, RankingQuery, RankingView,
    ReportingQuery, RuleView, SubscriptionQuery, UnitReportingView, ValueQuery, ViolationView,
};
use crate::{forecasting, quality, ranking, reporting, watch, work};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_indicators::dhis2;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery, TAG_INDICATORS};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::context::Lang;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;

/// Every data element. Civil servants and statistics systems.
#[utoipa::path(get, path = "/api/v1/indicators/elements", tag = TAG_INDICATORS,
    responses((status = 200, body = Vec<ElementView>),
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn list_elements(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Vec<ElementView>>, ApiError> {
    Ok(ApiJson(work::elements(&state, &caller).await?))
}

/// Define a data element. The statistics office (a city-wide 统计员) and
/// system administrators.
#[utoipa::path(post, path = "/api/v1/indicators/elements", tag = TAG_INDICATORS,
    request_body = ElementView,
    responses((status = 201, body = ElementView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn define_element(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(view): ApiJson<ElementView>,
) -> Result<(StatusCode, ApiJson<ElementView>), ApiError> {
    work::define_element(&state, &caller, &view).await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// Every indicator the caller may read: all for civil servants, the
/// public ones for everyone else.
#[utoipa::path(get, path = "/api/v1/indicators", tag = TAG_INDICATORS,
    responses((status = 200, body = Vec<IndicatorView>)))]
pub async fn list_indicators(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Vec<IndicatorView>>, ApiError> {
    Ok(ApiJson(work::indicators(&state, &caller).await?))
}

/// Define the indicator `code`, or change it (201 when new). Its formulas
/// are checked: known elements only, never itself.
#[utoipa::path(put, path = "/api/v1/indicators/{code}", tag = TAG_INDICATORS,
    params(("code" = String, Path)),
    request_body = IndicatorView,
    responses((status = 200, body = IndicatorView),
              (status = 201, body = IndicatorView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Unprocessable))]
pub async fn define_indicator(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiJson(view): ApiJson<IndicatorView>,
) -> Result<(StatusCode, ApiJson<IndicatorView>), ApiError> {
    let new = work::define_indicator(&state, &caller, &code, &view).await?;
    Ok((created_or_changed(new), ApiJson(view)))
}

/// The indicator for an area (and the divisions below it) over a run of
/// periods, with 同比, 环比 and 累计同比. An area's value not reported is
/// made of its sub-areas' as far as they report; a quarter or a year of
/// its months. Public indicators are open to everyone.
#[utoipa::path(get, path = "/api/v1/indicators/{code}/data", tag = TAG_INDICATORS,
    params(("code" = String, Path), DataQuery),
    responses((status = 200, body = IndicatorData),
              answers::BadRequest,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn indicator_data(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<DataQuery>,
) -> Result<ApiJson<IndicatorData>, ApiError> {
    Ok(ApiJson(
        work::indicator_data(&state, &caller, locale, &code, &query).await?,
    ))
}

/// The indicator's warning lights (红 过热, 黄 偏热, 绿 正常, 浅蓝 偏冷,
/// 蓝 过冷) for an area (and the divisions below it) over a run of
/// periods: each value against the indicator's fixed bands where it has
/// them, else against bands from its own history, mean ± 1 and ± 2
/// standard deviations over the twelve periods before the last one and the
/// same periods (with their neighbours) of the five years before, so a rise
/// that has just begun does not hide itself.
#[utoipa::path(get, path = "/api/v1/indicators/{code}/lights", tag = TAG_INDICATORS,
    params(("code" = String, Path), DataQuery),
    responses((status = 200, body = IndicatorLights),
              answers::BadRequest,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn indicator_lights(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<DataQuery>,
) -> Result<ApiJson<IndicatorLights>, ApiError> {
    Ok(ApiJson(
        work::indicator_lights(&state, &caller, locale, &code, &query).await?,
    ))
}

/// The indicator forecast for an area (and the divisions below it) from its
/// history in the range: the unbroken run of periods with a value ending at
/// the last one. The model is MSTL (a seasonal decomposition, a year of
/// months or quarters) with exponential smoothing chosen automatically for
/// the rest, or exponential smoothing alone for yearly figures and under
/// two seasons of history; beside it the seasonal-naive forecast (the same
/// period a season earlier) and both methods' MASE on the last season held
/// out. Each point carries 80% and 95% prediction intervals and the light it
/// would show. An area with too little history gets a note, not a forecast.
#[utoipa::path(get, path = "/api/v1/indicators/{code}/forecast", tag = TAG_INDICATORS,
    params(("code" = String, Path), ForecastQuery),
    responses((status = 200, body = IndicatorForecast),
              answers::BadRequest,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn indicator_forecast(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<ForecastQuery>,
) -> Result<ApiJson<IndicatorForecast>, ApiError> {
    Ok(ApiJson(
        forecasting::indicator_forecast(&state, &caller, locale, &code, &query).await?,
    ))
}

/// Report values as a DHIS2 dataValueSet, in JSON (`{"dataValues": [...]}`,
/// with the set's `period` and `orgUnit` for values that name none) or CSV
/// (DHIS2's columns, with or without the header), or an Excel workbook
/// whose first sheet has those columns (or 指标项代码, 报告期, 填报单位代码,
/// 分类, 数值). Every row is checked
/// first; one bad row refuses the batch (422 `rows_refused`, each row and
/// column named) and nothing is stored. A unit's 统计员 reports for it
/// (a district government's for the district and its streets), the
/// statistics office and keys with `indicators:write` for any.
#[utoipa::path(post, path = "/api/v1/indicators/dataValueSets", tag = TAG_INDICATORS,
    request_body(content = String, content_type = "application/json",
        description = "A dataValueSet in JSON, as `text/csv`, or as an Excel workbook"),
    responses((status = 200, body = ImportSummary),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn import_values(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<ApiJson<ImportSummary>, ApiError> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let unreadable = |e: dhis2::Dhis2Error| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request")
            .with_detail(format!("无法读取数据：{e}"), e.to_string())
    };
    let text = || {
        std::str::from_utf8(&body).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_request")
                .with_detail("数据须为 UTF-8 文本", "the body is not UTF-8 text")
        })
    };
    let rows = if kind.starts_with("application/json") {
        dhis2::read_json(text()?).map_err(unreadable)?
    } else if kind.starts_with("text/csv") {
        dhis2::read_csv(text()?).map_err(unreadable)?
    } else if kind.starts_with(work::XLSX) {
        work::values_from_sheet(body.to_vec()).await?.1
    } else {
        return Err(
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                .with_detail(
                    "请以 application/json、text/csv 或 Excel 工作簿（.xlsx）提交",
                    "send application/json, text/csv or an Excel workbook (.xlsx)",
                ),
        );
    };
    let count = work::import(&state, &caller, &rows).await?;
    Ok(ApiJson(ImportSummary {
        status: "SUCCESS".to_owned(),
        import_count: ImportCountView {
            imported: count.imported,
            updated: count.updated,
            ignored: count.ignored,
            deleted: 0,
        },
    }))
}

/// The current values of a data element in an area, as a DHIS2
/// dataValueSet in JSON or (`format=csv` or `Accept: text/csv`) CSV.
#[utoipa::path(get, path = "/api/v1/indicators/dataValueSets", tag = TAG_INDICATORS,
    params(ValueQuery),
    responses((status = 200, description = "A dataValueSet",
                content(("application/json"), ("text/csv"))),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::Unprocessable))]
pub async fn export_values(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ValueQuery>,
) -> Result<Response, ApiError> {
    let values = work::export(
        &state,
        &caller,
        &q.data_element,
        &q.org_unit,
        q.period.as_deref(),
    )
    .await?;
    let accepts_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    if q.format.as_deref() == Some("csv") || accepts_csv {
        let csv = dhis2::write_csv(&values);
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response());
    }
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        dhis2::write_json(&values),
    )
        .into_response())
}

/// Every validation rule. Civil servants and statistics systems.
#[utoipa::path(get, path = "/api/v1/indicators/validationRules", tag = TAG_INDICATORS,
    responses((status = 200, body = Vec<RuleView>),
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn list_rules(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Vec<RuleView>>, ApiError> {
    Ok(ApiJson(quality::rules(&state, &caller).await?))
}

/// Define the validation rule `code`, or change it (201 when new): both
/// sides are checked (known elements only, at least one named). The
/// statistics office and system administrators.
#[utoipa::path(put, path = "/api/v1/indicators/validationRules/{code}", tag = TAG_INDICATORS,
    params(("code" = String, Path)),
    request_body = RuleView,
    responses((status = 200, body = RuleView),
              (status = 201, body = RuleView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Unprocessable))]
pub async fn define_rule(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiJson(view): ApiJson<RuleView>,
) -> Result<(StatusCode, ApiJson<RuleView>), ApiError> {
    let new = quality::define_rule(&state, &caller, &code, &view).await?;
    Ok((created_or_changed(new), ApiJson(view)))
}

/// Where the validation rules do not hold: every unit (within `area`) and
/// period (within `from..to`) whose reported figures break a rule, with
/// both sides. A unit missing a figure a rule needs is not judged.
#[utoipa::path(get, path = "/api/v1/indicators/violations", tag = TAG_INDICATORS,
    params(CheckQuery),
    responses((status = 200, body = Vec<ViolationView>),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Unprocessable))]
pub async fn violations(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<CheckQuery>,
) -> Result<ApiJson<Vec<ViolationView>>, ApiError> {
    Ok(ApiJson(
        quality::violations(&state, &caller, locale, &query).await?,
    ))
}

/// The values of an element far from the rest of their area's series
/// (one series per area and kind of period), by the robust modified
/// z-score or the plain z-score.
#[utoipa::path(get, path = "/api/v1/indicators/outliers", tag = TAG_INDICATORS,
    params(OutlierQuery),
    responses((status = 200, body = Vec<OutlierView>),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn outliers(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<OutlierQuery>,
) -> Result<ApiJson<Vec<OutlierView>>, ApiError> {
    Ok(ApiJson(
        quality::outliers_of(&state, &caller, locale, &query).await?,
    ))
}

/// Every data set (报表制度). Civil servants and statistics systems.
#[utoipa::path(get, path = "/api/v1/indicators/dataSets", tag = TAG_INDICATORS,
    responses((status = 200, body = Vec<DataSetView>),
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn list_data_sets(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Vec<DataSetView>>, ApiError> {
    Ok(ApiJson(reporting::data_sets(&state, &caller).await?))
}

/// Define the data set `code`, or change it (201 when new): its elements
/// and units must exist, and a period may not close before its reports are
/// due. A period past its closing day refuses reports of the set's
/// elements. The statistics office and system administrators.
#[utoipa::path(put, path = "/api/v1/indicators/dataSets/{code}", tag = TAG_INDICATORS,
    params(("code" = String, Path)),
    request_body = DataSetView,
    responses((status = 200, body = DataSetView),
              (status = 201, body = DataSetView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Unprocessable))]
pub async fn define_data_set(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiJson(view): ApiJson<DataSetView>,
) -> Result<(StatusCode, ApiJson<DataSetView>), ApiError> {
    let new = reporting::define_data_set(&state, &caller, &code, &view).await?;
    Ok((created_or_changed(new), ApiJson(view)))
}

/// Each reporting unit's completeness and timeliness of the data set over
/// the periods within `from..to` that are due: reported (any of its
/// elements given) over expected, and reported by the due day over
/// expected, with the periods missing.
#[utoipa::path(get, path = "/api/v1/indicators/dataSets/{code}/reporting", tag = TAG_INDICATORS,
    params(("code" = String, Path), ReportingQuery),
    responses((status = 200, body = Vec<UnitReportingView>),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn data_set_reporting(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReportingQuery>,
) -> Result<ApiJson<Vec<UnitReportingView>>, ApiError> {
    Ok(ApiJson(
        reporting::unit_reporting(&state, &caller, locale, &code, &query).await?,
    ))
}

/// Every composite index the caller may read: all for civil servants, the
/// public ones for everyone else.
#[utoipa::path(get, path = "/api/v1/indicators/composites", tag = TAG_INDICATORS,
    responses((status = 200, body = Vec<CompositeView>)))]
pub async fn list_composites(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Vec<CompositeView>>, ApiError> {
    Ok(ApiJson(ranking::indices(&state, &caller).await?))
}

/// Define the composite index `code`, or change it (201 when new): its
/// components name defined indicators, each once, with weights that are
/// shares summing to one. The statistics office and system administrators.
#[utoipa::path(put, path = "/api/v1/indicators/composites/{code}", tag = TAG_INDICATORS,
    params(("code" = String, Path)),
    request_body = CompositeView,
    responses((status = 200, body = CompositeView),
              (status = 201, body = CompositeView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Unprocessable))]
pub async fn define_composite(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiJson(view): ApiJson<CompositeView>,
) -> Result<(StatusCode, ApiJson<CompositeView>), ApiError> {
    let new = ranking::define_index(&state, &caller, &code, &view).await?;
    Ok((created_or_changed(new), ApiJson(view)))
}

/// The divisions directly below `area` (the sixteen districts by default)
/// ranked on the index for `period`: each component's value and its
/// normalised value, the weighted sum, the rank (equal scores share one)
/// and the change since the period before. An area missing a component is
/// listed as unranked. Public indices are open to everyone. `format=xlsx`
/// gives the ranking as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/indicators/composites/{code}/ranking", tag = TAG_INDICATORS,
    params(("code" = String, Path), RankingQuery),
    responses((status = 200, description = "The ranking",
                content((RankingView = "application/json"),
                        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              answers::BadRequest,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn composite_ranking(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<RankingQuery>,
) -> Result<Response, ApiError> {
    let view = ranking::ranking(&state, &caller, locale, &code, &query).await?;
    match query.format.as_deref() {
        None | Some("json") => Ok(ApiJson(view).into_response()),
        Some("xlsx") => ranking::workbook(&view, locale).await,
        Some(_) => Err(ApiError::validation(
            "格式须为 json 或 xlsx",
            "format is json or xlsx",
        )),
    }
}

/// The index's composite warning signal (景气信号) for an area (and the
/// divisions below it) over a run of periods, as the statistics bureau
/// builds it: each component's light (against its fixed bands or its own
/// history; read the other way round where less is better) scored red 5 to
/// blue 1, weighted as the index weighs it, times 20, and lit on the
/// bureau's bands (83.33, 73.33, 46.67, 36.67). A period where a component
/// has no light has no signal. Public indices are open to everyone.
#[utoipa::path(get, path = "/api/v1/indicators/composites/{code}/lights", tag = TAG_INDICATORS,
    params(("code" = String, Path), DataQuery),
    responses((status = 200, body = CompositeLights),
              answers::BadRequest,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn composite_lights(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<DataQuery>,
) -> Result<ApiJson<CompositeLights>, ApiError> {
    Ok(ApiJson(
        ranking::composite_lights(&state, &caller, locale, &code, &query).await?,
    ))
}

/// Be told when the indicator's warning light for `area` changes (a
/// message, and email or text as the person chose): checked hourly against
/// the latest month or quarter with a value; and when the forecast of the
/// next period leaves the green band. With `open_case`, a red or blue light
/// also opens a follow-up case for the unit responsible for the area.
/// Civil servants.
#[utoipa::path(put, path = "/api/v1/indicators/{code}/subscription", tag = TAG_INDICATORS,
    params(("code" = String, Path), SubscriptionQuery),
    responses((status = 204, description = "Subscribed"),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn subscribe(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<StatusCode, ApiError> {
    watch::subscribe(&state, &caller, &code, &q.area, true, q.open_case).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop being told of the indicator's light for `area`.
#[utoipa::path(delete, path = "/api/v1/indicators/{code}/subscription", tag = TAG_INDICATORS,
    params(("code" = String, Path), AreaQuery),
    responses((status = 204, description = "Unsubscribed"),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> Result<StatusCode, ApiError> {
    watch::subscribe(&state, &caller, &code, &q.area, false, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 201 for a definition that is new, 200 for one changed.
fn created_or_changed(new: bool) -> StatusCode {
    if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}
