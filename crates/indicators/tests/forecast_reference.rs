//! The engine's forecasts against an independent implementation
//! (statsforecast), on the fixed series in `fixtures/forecast/series.json`
//! made by `fixtures/forecast/reference.py`.

use egov_indicators::forecast::{outlook, seasonal_naive, Method};
use serde_json::Value;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The largest gap between two runs of forecasts, relative to the spread of
/// the history (its standard deviation), so that series of any scale are
/// held to the same standard.
fn worst_gap(ours: &[f64], theirs: &[f64], history: &[f64]) -> f64 {
    let n = history.len() as f64;
    let mean = history.iter().sum::<f64>() / n;
    let sd = (history.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs() / sd)
        .fold(0.0, f64::max)
}

fn cases() -> Vec<Value> {
    let text = include_str!("fixtures/forecast/series.json");
    let all: Value = serde_json::from_str(text).unwrap();
    all["cases"].as_array().unwrap().clone()
}

#[test]
fn forecasts_agree_with_the_reference_implementation() {
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let history = numbers(&case["history"]);
        let season = case["season"].as_u64().unwrap() as usize;
        let horizon = case["horizon"].as_u64().unwrap() as usize;
        let ours = outlook(&history, season, horizon).unwrap();
        let method = match case["method"].as_str().unwrap() {
            "mstl_ets" => Method::MstlEts,
            _ => Method::Ets,
        };
        assert_eq!(ours.model.method, method, "{name}");
        // ETS alone is the same algorithm to rounding; MSTL decomposes in
        // single precision and smooths its season by its own Loess, so the
        // two may part by a fiftieth of the series' spread.
        let allowed = match method {
            Method::MstlEts => 0.02,
            _ => 1e-3,
        };
        let theirs = &case["model"];
        let gap = worst_gap(&ours.model.point, &numbers(&theirs["point"]), &history);
        assert!(gap < allowed, "{name}: point forecasts {gap} sd apart");
        for (i, (level, lower, upper)) in ours.model.intervals.iter().enumerate() {
            let reference = &theirs["intervals"][i];
            assert_eq!(reference["level"].as_f64().unwrap(), *level);
            let lo = worst_gap(lower, &numbers(&reference["lower"]), &history);
            let hi = worst_gap(upper, &numbers(&reference["upper"]), &history);
            assert!(
                lo.max(hi) < allowed,
                "{name}: {level} intervals {lo} / {hi} sd apart"
            );
        }
    }
}

#[test]
fn the_seasonal_naive_baseline_agrees_with_the_reference_implementation() {
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let history = numbers(&case["history"]);
        let season = case["season"].as_u64().unwrap() as usize;
        let horizon = case["horizon"].as_u64().unwrap() as usize;
        let ours = seasonal_naive(&history, season, horizon);
        let theirs = &case["seasonal_naive"];
        let gap = worst_gap(&ours.point, &numbers(&theirs["point"]), &history);
        assert!(gap < 1e-9, "{name}: {gap}");
        for (i, (_, lower, upper)) in ours.intervals.iter().enumerate() {
            let reference = &theirs["intervals"][i];
            let lo = worst_gap(lower, &numbers(&reference["lower"]), &history);
            let hi = worst_gap(upper, &numbers(&reference["upper"]), &history);
            assert!(
                lo.max(hi) < 1e-9,
                "{name}: naive intervals {lo} / {hi} sd apart"
            );
        }
    }
}
