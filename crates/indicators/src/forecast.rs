//! Forecasts of a series with its prediction intervals, beside a
//! seasonal-naive baseline and a backtest score, so a reader can see whether
//! the model earns its keep.
//!
//! The model is MSTL (seasonal and trend decomposition by Loess) with an
//! automatically chosen exponential smoothing model (ETS) for the trend and
//! remainder; a series too short for two whole seasons, or without a season
//! (yearly figures), gets the ETS model alone. The baseline repeats the same
//! period of the last season. The backtest holds out the last season (or
//! the horizon, if shorter), forecasts it from what came before and scores
//! both methods by MASE: the mean absolute error over the mean absolute
//! error of the seasonal-naive method within the training part (below 1
//! beats that in-sample naive forecast).

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use augurs_mstl::MSTLModel;

/// The interval levels every forecast carries.
pub const LEVELS: [f64; 2] = [0.8, 0.95];

/// The longest horizon asked for: three years of months.
pub const MAX_HORIZON: usize = 36;

/// How a forecast was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// MSTL decomposition, ETS on the deseasonalised series.
    MstlEts,
    /// ETS alone (no season, or too little history for one).
    Ets,
    /// The same period of the last season, repeated.
    SeasonalNaive,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::MstlEts => "mstl_ets",
            Method::Ets => "ets",
            Method::SeasonalNaive => "seasonal_naive",
        }
    }
}

/// Point forecasts with their intervals, one per period ahead.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub method: Method,
    pub point: Vec<f64>,
    /// Per level of [`LEVELS`]: (lower, upper) per period ahead.
    pub intervals: Vec<(f64, Vec<f64>, Vec<f64>)>,
}

/// Each method's score on the held-out last periods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtest {
    pub held_out: usize,
    pub mase: f64,
    pub baseline_mase: f64,
}

/// The model's forecast, the baseline's, and how both did on the past.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlook {
    pub model: Forecast,
    pub baseline: Forecast,
    /// None where the history is too short to hold a season out.
    pub backtest: Option<Backtest>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ForecastError {
    #[error("a forecast needs at least {needed} periods of history; there are {had}")]
    TooShort { needed: usize, had: usize },
    #[error("the horizon must be between 1 and {MAX_HORIZON} periods")]
    Horizon,
    #[error("the history holds a value that is not a finite number")]
    NotFinite,
    #[error("the model could not be fitted: {0}")]
    Model(String),
}

impl ForecastError {
    pub fn zh(&self) -> String {
        match self {
            ForecastError::TooShort { needed, had } => {
                format!("预测至少需要 {needed} 期历史数据，现有 {had} 期")
            }
            ForecastError::Horizon => format!("预测期数须在 1 到 {MAX_HORIZON} 之间"),
            ForecastError::NotFinite => "历史数据中有非有限数值".to_owned(),
            ForecastError::Model(_) => "模型无法拟合这组数据".to_owned(),
        }
    }
}

/// How many periods make a season: a year of months or quarters, a week of
/// days; none for years.
pub fn season_of(kind: crate::period::PeriodType) -> usize {
    use crate::period::PeriodType;
    match kind {
        PeriodType::Daily => 7,
        PeriodType::Monthly => 12,
        PeriodType::BiMonthly => 6,
        PeriodType::Quarterly => 4,
        PeriodType::Yearly => 1,
    }
}

/// The fewest periods a forecast is made from: the ETS search fits a
/// trend, which needs more than four periods beyond its four parameters.
pub const MIN_HISTORY: usize = 10;

/// Forecasts `horizon` periods after `history` (consecutive periods, oldest
/// first) whose season is `season` periods long (12 for months, 4 for
/// quarters, 1 for none).
pub fn outlook(history: &[f64], season: usize, horizon: usize) -> Result<Outlook, ForecastError> {
    if horizon == 0 || horizon > MAX_HORIZON {
        return Err(ForecastError::Horizon);
    }
    if history.len() < MIN_HISTORY {
        return Err(ForecastError::TooShort {
            needed: MIN_HISTORY,
            had: history.len(),
        });
    }
    if history.iter().any(|v| !v.is_finite()) {
        return Err(ForecastError::NotFinite);
    }
    let season = season.max(1);
    let model = modelled(history, season, horizon)?;
    let baseline = seasonal_naive(history, season, horizon);
    Ok(Outlook {
        model,
        baseline,
        backtest: backtest(history, season, horizon)?,
    })
}

/// MSTL with ETS where there are two whole seasons and a period more; ETS
/// alone otherwise.
fn modelled(history: &[f64], season: usize, horizon: usize) -> Result<Forecast, ForecastError> {
    let fail = |e: &dyn std::fmt::Display| ForecastError::Model(e.to_string());
    let mut intervals = Vec::with_capacity(LEVELS.len());
    let mut point = Vec::new();
    let method;
    if season > 1 && history.len() > 2 * season {
        method = Method::MstlEts;
        let trend = AutoETS::non_seasonal().into_trend_model();
        let fitted = MSTLModel::new(vec![season], trend)
            .fit(history)
            .map_err(|e| fail(&e))?;
        for level in LEVELS {
            let f = fitted.predict(horizon, level).map_err(|e| fail(&e))?;
            point = f.point;
            let i = f.intervals.ok_or_else(|| fail(&"no intervals"))?;
            intervals.push((level, i.lower, i.upper));
        }
    } else {
        method = Method::Ets;
        let fitted = AutoETS::non_seasonal().fit(history).map_err(|e| fail(&e))?;
        for level in LEVELS {
            let f = fitted.predict(horizon, level).map_err(|e| fail(&e))?;
            point = f.point;
            let i = f.intervals.ok_or_else(|| fail(&"no intervals"))?;
            intervals.push((level, i.lower, i.upper));
        }
    }
    if point.iter().any(|v| !v.is_finite()) {
        return Err(fail(&"a forecast that is not a finite number"));
    }
    Ok(Forecast {
        method,
        point,
        intervals,
    })
}

/// The value of the same period in the last season, with intervals from
/// the spread of the season-on-season changes, widening by season ahead
/// (Hyndman and Athanasopoulos, *Forecasting: Principles and Practice*,
/// 5.5: σ·√(k+1), k the whole seasons before the period).
pub fn seasonal_naive(history: &[f64], season: usize, horizon: usize) -> Forecast {
    let m = season.max(1).min(history.len());
    let last = &history[history.len() - m..];
    let point: Vec<f64> = (0..horizon).map(|h| last[h % m]).collect();
    let changes: Vec<f64> = history.windows(m + 1).map(|w| w[m] - w[0]).collect();
    let sigma = if changes.is_empty() {
        0.0
    } else {
        (changes.iter().map(|e| e * e).sum::<f64>() / changes.len() as f64).sqrt()
    };
    let intervals = LEVELS
        .iter()
        .map(|&level| {
            let z = normal_quantile(level);
            let width = |h: usize| z * sigma * (((h / m) + 1) as f64).sqrt();
            let lower = (0..horizon).map(|h| point[h] - width(h)).collect();
            let upper = (0..horizon).map(|h| point[h] + width(h)).collect();
            (level, lower, upper)
        })
        .collect();
    Forecast {
        method: Method::SeasonalNaive,
        point,
        intervals,
    }
}

/// The two-sided normal quantile for the levels used here.
fn normal_quantile(level: f64) -> f64 {
    if (level - 0.95).abs() < 1e-9 {
        1.959_963_984_540_054
    } else {
        1.281_551_565_544_600_5
    }
}

/// Holds out the last season (at most the horizon) and scores both methods
/// on it; None where what is left would not fill one season and the
/// model's minimum.
fn backtest(
    history: &[f64],
    season: usize,
    horizon: usize,
) -> Result<Option<Backtest>, ForecastError> {
    let held_out = season.min(horizon).max(1);
    let train_len = history.len().saturating_sub(held_out);
    if train_len < MIN_HISTORY.max(season + 1) {
        return Ok(None);
    }
    let (train, test) = history.split_at(train_len);
    let Some(scale) = naive_scale(train, season) else {
        return Ok(None);
    };
    let model = modelled(train, season, held_out)?;
    let baseline = seasonal_naive(train, season, held_out);
    Ok(Some(Backtest {
        held_out,
        mase: mean_absolute_error(test, &model.point) / scale,
        baseline_mase: mean_absolute_error(test, &baseline.point) / scale,
    }))
}

/// The in-sample mean absolute error of the seasonal-naive method: MASE's
/// denominator. None for a series that never changes (nothing to scale by).
fn naive_scale(train: &[f64], season: usize) -> Option<f64> {
    let m = season.max(1);
    let errors: Vec<f64> = train.windows(m + 1).map(|w| (w[m] - w[0]).abs()).collect();
    let scale = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
    (scale > 0.0).then_some(scale)
}

fn mean_absolute_error(actual: &[f64], predicted: &[f64]) -> f64 {
    actual
        .iter()
        .zip(predicted)
        .map(|(a, p)| (a - p).abs())
        .sum::<f64>()
        / actual.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seasonal(n: usize) -> Vec<f64> {
        (0..n)
            .map(|t| {
                let t = t as f64;
                100.0 + 0.5 * t + 10.0 * (2.0 * std::f64::consts::PI * t / 12.0).sin()
            })
            .collect()
    }

    #[test]
    fn the_seasonal_naive_repeats_the_last_season_and_widens_by_season() {
        let history = seasonal(36);
        let f = seasonal_naive(&history, 12, 24);
        assert_eq!(f.point[0], history[24]);
        assert_eq!(f.point[13], history[25]);
        let (_, lower, upper) = &f.intervals[1];
        let first = upper[0] - lower[0];
        let second_year = upper[12] - lower[12];
        assert!((second_year / first - 2f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn a_seasonal_series_is_forecast_with_its_season_and_beats_the_naive_method() {
        let history = seasonal(120);
        let o = outlook(&history, 12, 12).unwrap();
        assert_eq!(o.model.method, Method::MstlEts);
        assert_eq!(o.model.point.len(), 12);
        // The trend goes on: a year ahead is about six higher than the
        // same month of the last year.
        let ahead = o.model.point[11] - history[119];
        assert!((ahead - 6.0).abs() < 1.5, "{ahead}");
        let b = o.backtest.unwrap();
        assert!(b.mase < b.baseline_mase, "{b:?}");
        for (level, lower, upper) in &o.model.intervals {
            assert!(
                lower.iter().zip(&o.model.point).all(|(l, p)| l <= p),
                "{level}"
            );
            assert!(
                upper.iter().zip(&o.model.point).all(|(u, p)| u >= p),
                "{level}"
            );
        }
        // The 95% interval holds the 80% one.
        let (w80, w95) = (
            o.model.intervals[0].2[0] - o.model.intervals[0].1[0],
            o.model.intervals[1].2[0] - o.model.intervals[1].1[0],
        );
        assert!(w95 > w80);
    }

    #[test]
    fn a_short_series_gets_ets_alone_and_no_backtest_when_nothing_can_be_held_out() {
        let history: Vec<f64> = (10..20).map(f64::from).collect();
        let o = outlook(&history, 12, 3).unwrap();
        assert_eq!(o.model.method, Method::Ets);
        assert!(o.backtest.is_none());
        assert!((o.model.point[0] - 20.0).abs() < 0.5, "{:?}", o.model.point);
    }

    #[test]
    fn too_little_history_or_a_bad_horizon_is_refused() {
        assert_eq!(
            outlook(&[1.0, 2.0], 12, 3),
            Err(ForecastError::TooShort { needed: 10, had: 2 })
        );
        assert_eq!(outlook(&seasonal(24), 12, 0), Err(ForecastError::Horizon));
        assert_eq!(outlook(&seasonal(24), 12, 37), Err(ForecastError::Horizon));
        let mut bad = seasonal(24);
        bad[3] = f64::NAN;
        assert_eq!(outlook(&bad, 12, 3), Err(ForecastError::NotFinite));
    }
}
