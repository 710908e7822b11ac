//! Forecasts of an indicator, area by area: the model's and the
//! seasonal-naive baseline's, each point lit against the bands its period
//! would be read against, with the backtest beside them.

use crate::views::{
    AreaForecast, BacktestView, DataQuery, ForecastPoint, ForecastQuery, IndicatorForecast,
};
use crate::work::{worked, Worked};
use egov_indicators::forecast::{outlook, season_of, Forecast, ForecastError, Outlook};
use egov_indicators::warning::{bands, Bands, HistoryRule, Light};
use egov_indicators::{Cube, Indicator, Period};
use egov_kernel::Locale;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// The indicator forecast for the area (and its sub-areas) from its
/// history within the range.
pub async fn indicator_forecast(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    code: &str,
    query: &ForecastQuery,
) -> Result<IndicatorForecast, ApiError> {
    let horizon = query.horizon.unwrap_or(12);
    if horizon == 0 || horizon > egov_indicators::forecast::MAX_HORIZON {
        let e = ForecastError::Horizon;
        return Err(ApiError::validation(e.zh(), e.to_string()));
    }
    let range = DataQuery {
        area: query.area.clone(),
        children: query.children,
        from: query.from.clone(),
        to: query.to.clone(),
        category: query.category.clone(),
    };
    let w = worked(state, caller, locale, code, &range).await?;
    // Fitting is CPU work of a few milliseconds an area: off the executor.
    let (w, forecasts) = tokio::task::spawn_blocking(move || {
        let forecasts: Vec<AreaForecast> = w
            .areas
            .iter()
            .map(|(area, name)| area_forecast(&w, area, name, horizon, locale))
            .collect();
        (w, forecasts)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(IndicatorForecast {
        indicator: w.defined.into(),
        forecasts,
    })
}

/// The unbroken run of periods with a value ending at the range's last
/// period with one.
fn history(w: &Worked, area: &str) -> Vec<(Period, f64)> {
    unbroken(&w.cube, &w.indicator, area, &w.periods)
}

/// Months as the statistics bureau reports many series: where a year's
/// January has no value but its combined January–February has, the two
/// months are that one period (`202601B`).
fn as_reported(cube: &Cube, indicator: &Indicator, area: &str, periods: &[Period]) -> Vec<Period> {
    let mut out: Vec<Period> = Vec::with_capacity(periods.len());
    for p in periods {
        match *p {
            Period::Month { year, month: 1 } if cube.indicator(indicator, area, p).is_none() => {
                let combined = Period::BiMonth { year, first: 1 };
                if cube.indicator(indicator, area, &combined).is_some() {
                    out.push(combined);
                } else {
                    out.push(*p);
                }
            }
            Period::Month { year, month: 2 }
                if out.last() == Some(&Period::BiMonth { year, first: 1 }) => {}
            _ => out.push(*p),
        }
    }
    out
}

/// Whether a run of months reports January and February together.
fn combined(run: &[(Period, f64)]) -> bool {
    run.iter().any(|(p, _)| matches!(p, Period::BiMonth { .. }))
}

/// How many periods make a season of the run: eleven for months reported
/// with January and February together.
fn season(run: &[(Period, f64)], last: Period) -> usize {
    if combined(run) {
        11
    } else {
        season_of(last.kind())
    }
}

/// The period after `p` in a run that does (`combined`) or does not report
/// January and February together.
fn after(p: Period, combined: bool) -> Period {
    match p {
        Period::Month { year, month: 12 } if combined => Period::BiMonth {
            year: year + 1,
            first: 1,
        },
        Period::BiMonth { year, first: 1 } if combined => Period::Month { year, month: 3 },
        p => p.shifted(1),
    }
}

/// The unbroken run of `periods` (months as reported) with a value of the
/// indicator for the area, ending at the last one with a value.
fn unbroken(
    cube: &Cube,
    indicator: &Indicator,
    area: &str,
    periods: &[Period],
) -> Vec<(Period, f64)> {
    let periods = &as_reported(cube, indicator, area, periods)[..];
    let values: Vec<Option<f64>> = periods
        .iter()
        .map(|p| cube.indicator(indicator, area, p))
        .collect();
    let Some(end) = values.iter().rposition(Option::is_some) else {
        return Vec::new();
    };
    let start = values[..end]
        .iter()
        .rposition(Option::is_none)
        .map_or(0, |gap| gap + 1);
    (start..=end)
        .filter_map(|i| Some((periods[i], values[i]?)))
        .collect()
}

/// The forecast of the period after `last` from the ten years up to it,
/// with the light it would show; None without enough history or bands.
pub(crate) fn next_light(
    cube: &Cube,
    indicator: &Indicator,
    area: &str,
    last: Period,
    fixed: Option<&Bands>,
    rule: &HistoryRule,
) -> Option<(Period, f64, Light)> {
    let periods: Vec<Period> = (0..(season_of(last.kind()) * 10).max(10) as i32)
        .rev()
        .map(|k| last.shifted(-k))
        .collect();
    let run = unbroken(cube, indicator, area, &periods);
    let values: Vec<f64> = run.iter().map(|(_, v)| *v).collect();
    let o = outlook(&values, season(&run, last), 1).ok()?;
    let next = after(last, combined(&run));
    let value = *o.model.point.first()?;
    let cuts = bands(cube, indicator, area, &next, fixed, rule).ok()??;
    Some((next, value, cuts.light(value)))
}

pub(crate) fn area_forecast(
    w: &Worked,
    area: &str,
    area_name: &str,
    horizon: usize,
    locale: Locale,
) -> AreaForecast {
    let series = history(w, area);
    let mut out = AreaForecast {
        area: area.to_owned(),
        area_name: area_name.to_owned(),
        history_from: series.first().map(|(p, _)| p.to_string()),
        history_to: series.last().map(|(p, _)| p.to_string()),
        history_length: series.len(),
        method: None,
        points: Vec::new(),
        baseline: Vec::new(),
        backtest: None,
        note: None,
    };
    let Some((last, _)) = series.last().copied() else {
        out.note = Some(say(locale, "范围内没有数据", "no values in the range"));
        return out;
    };
    let values: Vec<f64> = series.iter().map(|(_, v)| *v).collect();
    match outlook(&values, season(&series, last), horizon) {
        Ok(o) => fill(&mut out, w, area, last, combined(&series), &o),
        Err(e) => out.note = Some(say(locale, &e.zh(), &e.to_string())),
    }
    out
}

fn say(locale: Locale, zh: &str, en: &str) -> String {
    egov_web_kit::page::localized(locale, zh, Some(en))
}

fn fill(out: &mut AreaForecast, w: &Worked, area: &str, last: Period, combined: bool, o: &Outlook) {
    let rule = HistoryRule::default();
    let fixed = w.defined.fixed_bands();
    let ahead: Vec<Period> =
        std::iter::successors(Some(after(last, combined)), |p| Some(after(*p, combined)))
            .take(o.model.point.len())
            .collect();
    // A history rule that cannot be read lights nothing; the lights API
    // says why.
    let cuts: Vec<_> = ahead
        .iter()
        .map(|p| {
            bands(&w.cube, &w.indicator, area, p, fixed.as_ref(), &rule)
                .ok()
                .flatten()
        })
        .collect();
    let points = |f: &Forecast| -> Vec<ForecastPoint> {
        let (_, lo80, hi80) = &f.intervals[0];
        let (_, lo95, hi95) = &f.intervals[1];
        ahead
            .iter()
            .enumerate()
            .map(|(i, p)| ForecastPoint {
                period: p.to_string(),
                value: f.point[i],
                lower_80: lo80[i],
                upper_80: hi80[i],
                lower_95: lo95[i],
                upper_95: hi95[i],
                light: cuts[i].map(|b| b.light(f.point[i]).as_str().to_owned()),
            })
            .collect()
    };
    out.method = Some(o.model.method.as_str().to_owned());
    out.points = points(&o.model);
    out.baseline = points(&o.baseline);
    out.backtest = o.backtest.map(|b| BacktestView {
        held_out: b.held_out,
        mase: b.mase,
        baseline_mase: b.baseline_mase,
    });
}
