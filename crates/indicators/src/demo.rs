//! Demonstration series: ten years of months and quarters for the city and
//! its districts, generated from `data/indicators/demo-series.toml` (yearly
//! levels to the scale of published Beijing statistics, a seasonal shape,
//! district shares, shocks and a fixed noise), so that the lights, the
//! forecasts and the rankings have something real-looking to show. Every
//! name says it is a demonstration.

use crate::aggregate::Aggregation;
use crate::period::Period;
use crate::ranking::{Component, CompositeIndex, Normalisation};
use crate::store::{DataElement, DataValue};
use crate::IndicatorDefinition;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The series shipped with the platform.
pub const BUILTIN: &str = include_str!("../../../data/indicators/demo-series.toml");

/// What a demo start loads: the elements, an indicator per element (public),
/// and their values.
#[derive(Debug)]
pub struct DemoSeries {
    pub version: String,
    pub elements: Vec<DataElement>,
    pub indicators: Vec<IndicatorDefinition>,
    pub values: Vec<DataValue>,
    /// Composite indices over the indicators, public.
    pub indices: Vec<CompositeIndex>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo series file cannot be read: {0}")]
    Parse(String),
    #[error("series {code}: {problem}")]
    Series { code: String, problem: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: String,
    first_month: String,
    months: i32,
    seed: u64,
    weights: BTreeMap<String, BTreeMap<String, f64>>,
    series: Vec<SeriesSpec>,
    #[serde(default)]
    index: Vec<IndexSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexSpec {
    code: String,
    name: String,
    name_en: String,
    normalisation: String,
    components: Vec<ComponentSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentSpec {
    indicator: String,
    weight: f64,
    higher_is_better: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesSpec {
    code: String,
    name: String,
    name_en: String,
    unit: String,
    aggregation: String,
    frequency: String,
    districts: String,
    decimals: u8,
    levels: BTreeMap<String, f64>,
    /// `total`: the level is the year's sum; `mean`: its average.
    yearly: String,
    season: Vec<f64>,
    noise: f64,
    #[serde(default)]
    shocks: BTreeMap<String, f64>,
}

/// The city, whose districts the weights name.
const CITY: &str = "110000";

/// Reads the series file and generates every value.
pub fn generate(text: &str) -> Result<DemoSeries, DemoError> {
    let file: File = toml::from_str(text).map_err(|e| DemoError::Parse(e.to_string()))?;
    let first = Period::parse(&file.first_month).map_err(|e| DemoError::Parse(e.to_string()))?;
    let mut out = DemoSeries {
        version: file.version.clone(),
        elements: Vec::new(),
        indicators: Vec::new(),
        values: Vec::new(),
        indices: Vec::new(),
    };
    for spec in &file.series {
        let fail = |problem: &str| DemoError::Series {
            code: spec.code.clone(),
            problem: problem.to_owned(),
        };
        let aggregation =
            Aggregation::parse(&spec.aggregation).ok_or_else(|| fail("aggregation"))?;
        let periods =
            periods(first, file.months, &spec.frequency).ok_or_else(|| fail("frequency"))?;
        if spec.season.len() != per_year(&spec.frequency) {
            return Err(fail("the season has one factor per period of a year"));
        }
        let weights = match spec.districts.as_str() {
            "none" => None,
            name => Some(
                file.weights
                    .get(name)
                    .ok_or_else(|| fail("no such weights"))?,
            ),
        };
        // An indicator may not share its element's code.
        let element = format!("{}.value", spec.code);
        out.elements.push(DataElement {
            code: element.clone(),
            name: spec.name.clone(),
            name_en: Some(spec.name_en.clone()),
            unit: spec.unit.clone(),
            aggregation,
        });
        out.indicators.push(IndicatorDefinition {
            code: spec.code.clone(),
            name: spec.name.clone(),
            name_en: Some(spec.name_en.clone()),
            numerator: format!("#{{{element}}}"),
            denominator: "1".to_owned(),
            factor: 1.0,
            unit: spec.unit.clone(),
            decimals: spec.decimals,
            public: true,
            bands: None,
        });
        let total = spec.yearly == "total";
        let season_mean = spec.season.iter().sum::<f64>() / spec.season.len() as f64;
        for p in &periods {
            let level = level_at(&spec.levels, p, &spec.frequency).ok_or_else(|| fail("levels"))?;
            let index = season_index(p);
            let mut city = level * spec.season[index] / season_mean;
            if total {
                city /= spec.season.len() as f64;
            }
            city *= spec.shocks.get(&p.to_string()).copied().unwrap_or(1.0);
            let round = |v: f64| {
                let f = 10f64.powi(i32::from(spec.decimals));
                ((v * f).round() / f).to_string()
            };
            let mut push = |area: &str, v: f64| {
                out.values.push(DataValue {
                    element: element.clone(),
                    period: p.to_string(),
                    area: area.to_owned(),
                    category: String::new(),
                    value: round(v),
                });
            };
            let noisy =
                |area: &str, v: f64| v * (1.0 + spec.noise * noise(file.seed, &spec.code, area, p));
            match weights {
                // A sum is its districts': the city reports nothing itself.
                Some(w) if total => {
                    for (district, share) in w {
                        push(district, noisy(district, city * share));
                    }
                }
                Some(w) => {
                    push(CITY, noisy(CITY, city));
                    for (district, relative) in w {
                        push(district, noisy(district, city * relative));
                    }
                }
                None => push(CITY, noisy(CITY, city)),
            }
        }
    }
    for spec in &file.index {
        let normalisation =
            Normalisation::parse(&spec.normalisation).ok_or_else(|| DemoError::Series {
                code: spec.code.clone(),
                problem: "normalisation".to_owned(),
            })?;
        out.indices.push(CompositeIndex {
            code: spec.code.clone(),
            name: spec.name.clone(),
            name_en: Some(spec.name_en.clone()),
            normalisation,
            components: spec
                .components
                .iter()
                .map(|c| Component {
                    indicator: c.indicator.clone(),
                    weight: c.weight,
                    higher_is_better: c.higher_is_better,
                })
                .collect(),
            public: true,
        });
    }
    Ok(out)
}

fn per_year(frequency: &str) -> usize {
    if frequency == "quarterly" {
        4
    } else {
        12
    }
}

/// The series' periods: `months` months from `first`, or as many quarters
/// as those months make, ending with the last whole quarter among them.
fn periods(first: Period, months: i32, frequency: &str) -> Option<Vec<Period>> {
    match frequency {
        "monthly" => Some((0..months).map(|n| first.shifted(n)).collect()),
        "quarterly" => {
            let last_day = first.shifted(months - 1).days().1;
            let mut last = Period::quarter_of(last_day);
            if last.days().1 > last_day {
                last = last.shifted(-1);
            }
            Some((0..months / 3).rev().map(|n| last.shifted(-n)).collect())
        }
        _ => None,
    }
}

/// A period's place in its year: the month or quarter, from nought.
fn season_index(p: &Period) -> usize {
    match *p {
        Period::Month { month, .. } => month as usize - 1,
        Period::Quarter { quarter, .. } => quarter as usize - 1,
        _ => 0,
    }
}

/// The yearly level, drawn straight between the middles of the years so a
/// new year does not jump.
fn level_at(levels: &BTreeMap<String, f64>, p: &Period, frequency: &str) -> Option<f64> {
    let per = per_year(frequency) as f64;
    let at = f64::from(p.year()) + (season_index(p) as f64 + 0.5) / per;
    let year = p.year();
    let (a, b) = if at < f64::from(year) + 0.5 {
        (year - 1, year)
    } else {
        (year, year + 1)
    };
    let of = |y: i32| levels.get(&y.to_string()).copied();
    match (of(a), of(b)) {
        (Some(x), Some(y)) => {
            let t = at - (f64::from(a) + 0.5);
            Some(x + (y - x) * t)
        }
        (None, Some(_)) | (Some(_), None) => of(year),
        (None, None) => None,
    }
}

/// A fixed noise in about −1..1 for the series, area and period (the sum of
/// three uniform draws, nearly normal), the same on every start.
fn noise(seed: u64, code: &str, area: &str, p: &Period) -> f64 {
    let mut h = seed;
    for b in code
        .bytes()
        .chain(area.bytes())
        .chain(p.to_string().bytes())
    {
        h = splitmix(h ^ u64::from(b));
    }
    (0..3)
        .map(|_| {
            h = splitmix(h);
            (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .sum::<f64>()
        / 3.0
        * 1.7
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_series_cover_ten_years_for_the_city_and_its_districts() {
        let demo = generate(BUILTIN).unwrap();
        assert_eq!(demo.elements.len(), 6);
        assert_eq!(demo.indices.len(), 1);
        let known = |code: &str| demo.indicators.iter().any(|i| i.code == code);
        demo.indices[0].check(known).unwrap();
        assert!(demo
            .indicators
            .iter()
            .all(|i| i.public && i.name.contains("演示")));
        let of = |code: &str, area: &str| {
            demo.values
                .iter()
                .filter(|v| v.element == format!("{code}.value") && v.area == area)
                .count()
        };
        assert_eq!(of("demo.retail", "110108"), 120);
        assert_eq!(of("demo.retail", CITY), 0, "a sum is its districts'");
        assert_eq!(of("demo.pm25", CITY), 120);
        assert_eq!(of("demo.gdp", "110101"), 40);
        assert_eq!(of("demo.cpi", "110101"), 0);
        // A year's retail sales add up to about its level.
        let year: f64 = demo
            .values
            .iter()
            .filter(|v| v.element == "demo.retail.value" && v.period.starts_with("2019"))
            .map(|v| v.value.parse::<f64>().unwrap())
            .sum();
        assert!((year / 12270.0 - 1.0).abs() < 0.03, "{year}");
        // The same on every start.
        let again = generate(BUILTIN).unwrap();
        assert_eq!(demo.values, again.values);
    }
}
