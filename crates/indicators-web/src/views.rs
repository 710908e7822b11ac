//! What goes in and out of the indicators' API, documented for OpenAPI.

use egov_indicators::{
    Aggregation, Component, CompositeIndex, DataElement, DataSet, Frequency, IndicatorDefinition,
    Normalisation, Operator, ValidationRule,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A data element: what a value counts and how its values add up.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ElementView {
    /// Letters, digits, `_`, `-` and `.`; formulas name it as `#{code}`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub unit: String,
    /// `sum` (a flow: cases received), `average` (a level: a price index)
    /// or `last` (a stock: registered population at the period's end).
    #[schema(example = "sum")]
    pub aggregation: String,
}

impl From<DataElement> for ElementView {
    fn from(e: DataElement) -> Self {
        ElementView {
            code: e.code,
            name: e.name,
            name_en: e.name_en,
            unit: e.unit,
            aggregation: e.aggregation.as_str().to_owned(),
        }
    }
}

impl ElementView {
    /// The element it describes; none for an aggregation it does not know.
    pub fn element(&self) -> Option<DataElement> {
        Some(DataElement {
            code: self.code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            unit: self.unit.clone(),
            aggregation: Aggregation::parse(&self.aggregation)?,
        })
    }
}

/// An indicator: numerator / denominator × factor over data elements.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorView {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    /// A formula over `#{element}` codes with numbers, `+ - * /` and brackets.
    #[schema(example = "#{closed_on_time}")]
    pub numerator: String,
    /// `1` for a plain sum or level.
    #[schema(example = "#{closed}")]
    pub denominator: String,
    /// 100 for a per cent.
    pub factor: f64,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub decimals: u8,
    /// Shown to everyone, signed in or not.
    #[serde(default)]
    pub public: bool,
    /// Fixed warning bands: four cut points from cold to hot (偏冷 below the
    /// second, 过冷 below the first; 偏热 above the third, 过热 above the
    /// fourth). Absent: bands from the indicator's own history.
    #[serde(default)]
    pub bands: Option<[f64; 4]>,
}

impl From<IndicatorDefinition> for IndicatorView {
    fn from(d: IndicatorDefinition) -> Self {
        IndicatorView {
            code: d.code,
            name: d.name,
            name_en: d.name_en,
            numerator: d.numerator,
            denominator: d.denominator,
            factor: d.factor,
            unit: d.unit,
            decimals: d.decimals,
            public: d.public,
            bands: d.bands,
        }
    }
}

impl IndicatorView {
    pub fn definition(&self, code: &str) -> IndicatorDefinition {
        IndicatorDefinition {
            code: code.to_owned(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            numerator: self.numerator.clone(),
            denominator: self.denominator.clone(),
            factor: self.factor,
            unit: self.unit.clone(),
            decimals: self.decimals,
            public: self.public,
            bands: self.bands,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataQuery {
    /// The area (a division or department code); the city by default.
    pub area: Option<String>,
    /// Also each division directly below the area (the districts of the city).
    #[serde(default)]
    pub children: bool,
    /// The first period (DHIS2 identifier: `202401`, `2024Q1`, `2024`).
    pub from: String,
    /// The last period, of the same kind as `from` (at most 240 periods).
    pub to: String,
    /// One option of a disaggregation (`female`, an age group, an industry
    /// code): the indicator over the values reported for it; the totals by
    /// default.
    pub category: Option<String>,
}

/// An indicator's value for one area and period, with its growth in per cent.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataPoint {
    pub area: String,
    pub area_name: String,
    /// DHIS2 identifier.
    pub period: String,
    pub value: Option<f64>,
    /// 同比.
    pub year_on_year: Option<f64>,
    /// 环比.
    pub period_on_period: Option<f64>,
    /// 累计同比.
    pub year_to_date: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorData {
    pub indicator: IndicatorView,
    /// Area by area, each in period order.
    pub data: Vec<DataPoint>,
}

/// DHIS2's import count.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportCountView {
    pub imported: usize,
    pub updated: usize,
    pub ignored: usize,
    pub deleted: usize,
}

/// DHIS2's import summary: every value stored, or (as a 422 problem with
/// `rows`) none.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// `SUCCESS`.
    pub status: String,
    pub import_count: ImportCountView,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ValueQuery {
    /// The data element's code.
    pub data_element: String,
    /// The area (a division or department code).
    pub org_unit: String,
    /// Only this period.
    pub period: Option<String>,
    /// `csv` for DHIS2's CSV (also chosen by `Accept: text/csv`).
    pub format: Option<String>,
}

/// An indicator's warning light for one area and period: its value against
/// bands from its own history (mean ± 1 and ± 2 standard deviations over
/// the twelve periods before the last one and the same periods of the five
/// years before), as the statistics bureau's five lights.
#[derive(Debug, Serialize, ToSchema)]
pub struct LightPoint {
    pub area: String,
    pub area_name: String,
    pub period: String,
    pub value: Option<f64>,
    /// `red` (过热), `yellow` (偏热), `green` (正常), `light_blue` (偏冷) or
    /// `blue` (过冷); none without a value or enough history.
    pub light: Option<String>,
    /// The four cut points, cold to hot.
    pub bands: Option<[f64; 4]>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorLights {
    pub indicator: IndicatorView,
    /// Area by area, each in period order.
    pub lights: Vec<LightPoint>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// The area (a division or department code); the city by default.
    pub area: Option<String>,
    /// Also each division directly below the area (the districts of the city).
    #[serde(default)]
    pub children: bool,
    /// The first period of history to learn from (`201701`, `2017Q1`, `2017`).
    pub from: String,
    /// The last period of history, of the same kind as `from`.
    pub to: String,
    /// How many periods ahead, 1 to 36; 12 by default.
    pub horizon: Option<usize>,
    /// One option of a disaggregation; the totals by default.
    pub category: Option<String>,
}

/// A forecast for one period ahead with its 80% and 95% prediction
/// intervals, and the light it would show.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastPoint {
    pub period: String,
    pub value: f64,
    pub lower_80: f64,
    pub upper_80: f64,
    pub lower_95: f64,
    pub upper_95: f64,
    /// The warning light of the point forecast against the period's bands
    /// (fixed, or from the history before it); none without enough history.
    pub light: Option<String>,
}

/// Each method's mean absolute scaled error on the last season held out
/// (below 1 beats the seasonal-naive forecast within the training part).
#[derive(Debug, Serialize, ToSchema)]
pub struct BacktestView {
    pub held_out: usize,
    pub mase: f64,
    pub baseline_mase: f64,
}

/// One area's forecast: the model's, the seasonal-naive baseline's, and how
/// both did on the past.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaForecast {
    pub area: String,
    pub area_name: String,
    /// The history learnt from: the unbroken run of periods with a value
    /// that ends at the last one with a value in the range.
    pub history_from: Option<String>,
    pub history_to: Option<String>,
    pub history_length: usize,
    /// `mstl_ets` (seasonal decomposition, exponential smoothing of the
    /// rest) or `ets` (exponential smoothing alone: no season, or under two
    /// seasons of history); none when no forecast could be made.
    pub method: Option<String>,
    pub points: Vec<ForecastPoint>,
    /// The same period of the last season, repeated.
    pub baseline: Vec<ForecastPoint>,
    pub backtest: Option<BacktestView>,
    /// Why there is no forecast, in the reader's language.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorForecast {
    pub indicator: IndicatorView,
    pub forecasts: Vec<AreaForecast>,
}

/// A validation rule: `left operator right`, each side a formula over
/// `#{element}` codes; `#{code@prev}` is the element in the period before
/// within the year (nought in its first period).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleView {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    #[schema(example = "#{retail_cum@prev} + #{retail}")]
    pub left: String,
    /// `==`, `!=`, `<`, `<=`, `>` or `>=`.
    #[schema(example = "==")]
    pub operator: String,
    #[schema(example = "#{retail_cum}")]
    pub right: String,
    /// How far the sides may miss each other and still hold.
    #[serde(default)]
    pub tolerance: f64,
}

impl From<ValidationRule> for RuleView {
    fn from(r: ValidationRule) -> Self {
        RuleView {
            code: r.code,
            name: r.name,
            name_en: r.name_en,
            left: r.left,
            operator: r.operator.as_str().to_owned(),
            right: r.right,
            tolerance: r.tolerance,
        }
    }
}

impl RuleView {
    /// The rule it describes; none for an operator it does not know.
    pub fn rule(&self, code: &str) -> Option<ValidationRule> {
        Some(ValidationRule {
            code: code.to_owned(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            left: self.left.clone(),
            operator: Operator::parse(&self.operator)?,
            right: self.right.clone(),
            tolerance: self.tolerance,
        })
    }
}

/// Which reports to check.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// The area and every division below it; all areas by default.
    pub area: Option<String>,
    /// The first period; periods of any kind lying within `from..to` are checked.
    pub from: String,
    /// The last period, of the same kind as `from`.
    pub to: String,
}

/// Where a rule does not hold: the two sides as reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationView {
    pub rule: String,
    pub rule_name: String,
    pub area: String,
    pub area_name: String,
    pub period: String,
    pub left: f64,
    pub operator: String,
    pub right: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutlierQuery {
    /// The element whose series are looked at, one per area.
    pub element: String,
    /// The area and every division below it; all areas by default.
    pub area: Option<String>,
    pub from: String,
    pub to: String,
    /// `robust` (the modified z-score on the median absolute deviation, by
    /// default) or `z_score`.
    pub method: Option<String>,
    /// Beyond this score either way: 3.5 for `robust`, 3 for `z_score` by default.
    pub threshold: Option<f64>,
}

/// A value far from the rest of its area's series.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutlierView {
    pub area: String,
    pub area_name: String,
    pub period: String,
    pub value: f64,
    pub score: f64,
}

/// A data set (报表制度): which elements which units report, how often and by when.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSetView {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    /// `monthly`, `monthly_jan_feb` (January and February together as
    /// `202601B`), `quarterly` or `yearly`.
    #[schema(example = "monthly_jan_feb")]
    pub frequency: String,
    /// Element codes, in the order of the form.
    pub elements: Vec<String>,
    /// The reporting units: division or department codes.
    pub units: Vec<String>,
    /// Days after the period's end by which a report is on time.
    pub due_days: u32,
    /// Days after the period's end after which the period takes no more
    /// reports; none for never.
    #[serde(default)]
    pub close_days: Option<u32>,
}

impl From<DataSet> for DataSetView {
    fn from(d: DataSet) -> Self {
        DataSetView {
            code: d.code,
            name: d.name,
            name_en: d.name_en,
            frequency: d.frequency.as_str().to_owned(),
            elements: d.elements,
            units: d.units,
            due_days: d.due_days,
            close_days: d.close_days,
        }
    }
}

impl DataSetView {
    /// The data set it describes; none for a frequency it does not know.
    pub fn data_set(&self, code: &str) -> Option<DataSet> {
        Some(DataSet {
            code: code.to_owned(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            frequency: Frequency::parse(&self.frequency)?,
            elements: self.elements.clone(),
            units: self.units.clone(),
            due_days: self.due_days,
            close_days: self.close_days,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportingQuery {
    /// The first period; the data set's periods lying within `from..to` count.
    pub from: String,
    /// The last period, of the same kind as `from`.
    pub to: String,
}

/// One unit's reporting of a data set: the periods due so far, how many it
/// reported and how many by the due day.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitReportingView {
    pub unit: String,
    pub unit_name: String,
    pub expected: usize,
    pub reported: usize,
    pub on_time: usize,
    /// Reported over expected, per cent; none when nothing was due yet.
    pub completeness: Option<f64>,
    /// On time over expected, per cent.
    pub timeliness: Option<f64>,
    /// The periods due and not reported.
    pub missing: Vec<String>,
}

/// A component of a composite index.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentView {
    /// An indicator's code.
    pub indicator: String,
    /// A share: the weights of an index sum to one.
    pub weight: f64,
    /// False where less is better (complaints per 10,000 people).
    #[serde(default = "more_is_better")]
    pub higher_is_better: bool,
}

fn more_is_better() -> bool {
    true
}

/// A composite index: indicators normalised across the areas compared,
/// weighted and added, as the UN e-government index is built.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompositeView {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    /// `min_max` (0 to 1 across the areas) or `z_score`.
    #[schema(example = "min_max")]
    pub normalisation: String,
    pub components: Vec<ComponentView>,
    #[serde(default)]
    pub public: bool,
}

impl From<CompositeIndex> for CompositeView {
    fn from(i: CompositeIndex) -> Self {
        CompositeView {
            code: i.code,
            name: i.name,
            name_en: i.name_en,
            normalisation: i.normalisation.as_str().to_owned(),
            components: i
                .components
                .into_iter()
                .map(|c| ComponentView {
                    indicator: c.indicator,
                    weight: c.weight,
                    higher_is_better: c.higher_is_better,
                })
                .collect(),
            public: i.public,
        }
    }
}

impl CompositeView {
    /// The index it describes; none for a normalisation it does not know.
    pub fn index(&self, code: &str) -> Option<CompositeIndex> {
        Some(CompositeIndex {
            code: code.to_owned(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            normalisation: Normalisation::parse(&self.normalisation)?,
            components: self
                .components
                .iter()
                .map(|c| Component {
                    indicator: c.indicator.clone(),
                    weight: c.weight,
                    higher_is_better: c.higher_is_better,
                })
                .collect(),
            public: self.public,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// The areas ranked are the divisions directly below this one; the
    /// city (its sixteen districts) by default.
    pub area: Option<String>,
    /// `divisions` (the default) ranks the divisions below `area`;
    /// `departments` ranks the departments seated in it (the city's
    /// bureaus for 110000), for indices over departments' figures such as
    /// the assessment of sharing.
    pub units: Option<String>,
    /// The period ranked; the change is against the period before it.
    pub period: String,
    /// `json` (the default) or `xlsx`.
    pub format: Option<String>,
}

/// A component of an area's index: the indicator's value and its
/// normalised value.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartView {
    pub indicator: String,
    pub value: Option<f64>,
    pub normalised: Option<f64>,
}

/// An area's place.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceView {
    pub area: String,
    pub area_name: String,
    pub score: f64,
    /// The UN e-government index's published group of the score:
    /// `very_high` (from 0.75), `high` (from 0.50), `middle` (from 0.25) or
    /// `low`.
    pub group: String,
    /// 1 for the highest; equal scores share a rank.
    pub rank: usize,
    pub previous_rank: Option<usize>,
    /// Places gained since the period before (negative: lost).
    pub change: Option<i64>,
    pub parts: Vec<PartView>,
}

/// The composite warning signal of an area in a period, as the statistics
/// bureau builds it from its panel: 20 × the weighted sum of the
/// components' light scores (red 5 to blue 1; a component where less is
/// better read the other way round), lit red above 83.33, yellow above
/// 73.33, green from 46.67, light blue from 36.67, blue below.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompositeLightPoint {
    pub area: String,
    pub area_name: String,
    pub period: String,
    /// None while a component has no light.
    pub score: Option<f64>,
    pub light: Option<String>,
    /// Each component's light as it counts (mirrored where less is better),
    /// in the index's order.
    pub signals: Vec<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompositeLights {
    pub index: CompositeView,
    /// Area by area, each in period order.
    pub lights: Vec<CompositeLightPoint>,
}

/// The areas ranked on an index for a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankingView {
    pub index: CompositeView,
    pub period: String,
    pub previous_period: String,
    pub places: Vec<PlaceView>,
    /// Areas not ranked for want of a component's value.
    pub unranked: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// A division or department code.
    pub area: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// A division or department code.
    pub area: String,
    /// Also open a follow-up case (预警跟进) for the unit responsible for
    /// the area when the light turns red or blue.
    #[serde(default)]
    pub open_case: bool,
}
