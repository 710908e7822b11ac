//! Early warning as Chinese statistics offices publish it: an indicator
//! shows one of five lights (景气信号灯) by where its value falls among
//! four cut points, set by policy or drawn from its own history; the
//! weighted scores of several lights make the composite index (景气指数)
//! and its light. A change of light is what people are told about.

use crate::period::Period;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// How many periods a history rule may reach back before the periods it
/// skips, and how many years: far beyond any real rule, and small enough
/// that stepping a period back cannot leave the calendar.
pub const MAX_LOOKBACK: usize = 5000;
pub const MAX_YEARS: usize = 100;

/// A light's score times this makes the NBS scale: all blue 20, all green
/// 60, all red 100.
const SCORE_SCALE: f64 = 20.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Red,
    Yellow,
    Green,
    LightBlue,
    Blue,
}

type Text = &'static str;
type Row = (Light, Text, Text, Text, Text, u8);

/// Each light's word, colour and meaning in Chinese, meaning in English
/// and NBS score, in the order of the enum (from the hottest).
const LIGHTS: [Row; 5] = [
    (Light::Red, "red", "红", "过热", "overheated", 5),
    (Light::Yellow, "yellow", "黄", "偏热", "warm", 4),
    (Light::Green, "green", "绿", "正常", "normal", 3),
    (Light::LightBlue, "light_blue", "浅蓝", "偏冷", "cool", 2),
    (Light::Blue, "blue", "蓝", "过冷", "overcooled", 1),
];

impl Light {
    /// From the hottest.
    pub const ALL: [Light; 5] = [
        Light::Red,
        Light::Yellow,
        Light::Green,
        Light::LightBlue,
        Light::Blue,
    ];

    fn row(self) -> Row {
        LIGHTS[self as usize]
    }

    pub fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The light read the other way round, for an indicator where less is
    /// better (a countercyclical one in the NBS's panel): hot for cold.
    pub fn mirrored(self) -> Light {
        match self {
            Light::Red => Light::Blue,
            Light::Yellow => Light::LightBlue,
            Light::Green => Light::Green,
            Light::LightBlue => Light::Yellow,
            Light::Blue => Light::Red,
        }
    }

    pub fn parse(word: &str) -> Option<Light> {
        LIGHTS.iter().find(|row| row.1 == word).map(|row| row.0)
    }

    /// 红, 黄, 绿, 浅蓝, 蓝.
    pub fn colour_zh(self) -> &'static str {
        self.row().2
    }

    /// What the light means: 过热, 偏热, 正常, 偏冷, 过冷.
    pub fn name_zh(self) -> &'static str {
        self.row().3
    }

    pub fn name_en(self) -> &'static str {
        self.row().4
    }

    /// The points the NBS composite gives the light: red 5 down to blue 1.
    pub fn score(self) -> u8 {
        self.row().5
    }
}

/// An indicator's value for an area and period read against the bands of
/// its own history.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub bands: Bands,
    pub light: Light,
}

/// The indicator's light for the area and period: against `fixed` bands,
/// else bands from its history under `rule`. None when it has no value
/// there, or too little history for bands.
pub fn reading(
    cube: &crate::Cube,
    indicator: &crate::Indicator,
    area: &str,
    period: &Period,
    fixed: Option<&Bands>,
    rule: &HistoryRule,
) -> Result<Option<Reading>, WarningError> {
    let Some(value) = cube.indicator(indicator, area, period) else {
        return Ok(None);
    };
    Ok(
        bands(cube, indicator, area, period, fixed, rule)?.map(|bands| Reading {
            value,
            light: bands.light(value),
            bands,
        }),
    )
}

/// The bands a value of the indicator for the area and period would be
/// read against, whether or not it has one yet (a forecast's period):
/// `fixed`, else from the history `rule` names. None with too little
/// history.
pub fn bands(
    cube: &crate::Cube,
    indicator: &crate::Indicator,
    area: &str,
    period: &Period,
    fixed: Option<&Bands>,
    rule: &HistoryRule,
) -> Result<Option<Bands>, WarningError> {
    if let Some(bands) = fixed {
        return Ok(Some(*bands));
    }
    let history: Vec<(Period, f64)> = rule
        .baseline(period)?
        .into_iter()
        .filter_map(|b| Some((b, cube.indicator(indicator, area, &b)?)))
        .collect();
    Ok(Bands::from_history(&history, period, rule).ok())
}

/// Whether a light is news: any change, and any first light.
pub fn changed(previous: Option<Light>, now: Light) -> bool {
    previous != Some(now)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WarningError {
    #[error("cut points must be finite with lower_cold < lower_normal <= upper_normal < upper_hot; got {}, {}, {}, {}", .cuts[0], .cuts[1], .cuts[2], .cuts[3])]
    Bands { cuts: [f64; 4] },
    #[error(
        "the multipliers must be finite with 0 <= inner_k < outer_k; got {inner_k} and {outer_k}"
    )]
    Multipliers { inner_k: f64, outer_k: f64 },
    #[error("a history rule looks back at most {MAX_LOOKBACK} periods and {MAX_YEARS} years")]
    TooFarBack,
    #[error("too little history: {have} values in the baseline, {need} needed")]
    TooLittleHistory { have: usize, need: usize },
    #[error(transparent)]
    Weights(#[from] crate::weights::WeightError),
}

impl WarningError {
    /// The message in Chinese, for the pages and problem documents.
    pub fn zh(&self) -> String {
        match self {
            WarningError::Bands { cuts: [a, b, c, d] } => format!(
                "预警界限须为有限数，且 过冷界 < 偏冷界 ≤ 偏热界 < 过热界；现为 {a}、{b}、{c}、{d}"
            ),
            WarningError::Multipliers { inner_k, outer_k } => format!(
                "标准差倍数须为有限数，且 0 ≤ 内界倍数 < 外界倍数；现为 {inner_k} 和 {outer_k}"
            ),
            WarningError::TooFarBack => {
                format!("历史基期最多回溯 {MAX_LOOKBACK} 期、{MAX_YEARS} 年")
            }
            WarningError::TooLittleHistory { have, need } => {
                format!("历史数据不足：基期只有 {have} 个值，至少需要 {need} 个")
            }
            WarningError::Weights(w) => w.zh(),
        }
    }
}

/// Four cut points, from cold to hot, between blue | light blue | green |
/// yellow | red. A value on a cut point takes the band nearer green.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bands {
    lower_cold: f64,
    lower_normal: f64,
    upper_normal: f64,
    upper_hot: f64,
}

impl Bands {
    /// Cut points set by policy. The normal band may be a single value;
    /// the warm and cool bands may not vanish.
    pub fn fixed(
        lower_cold: f64,
        lower_normal: f64,
        upper_normal: f64,
        upper_hot: f64,
    ) -> Result<Bands, WarningError> {
        let cuts = [lower_cold, lower_normal, upper_normal, upper_hot];
        let ascending =
            lower_cold < lower_normal && lower_normal <= upper_normal && upper_normal < upper_hot;
        if !ascending || !cuts.iter().all(|c| c.is_finite()) {
            return Err(WarningError::Bands { cuts });
        }
        Ok(Bands {
            lower_cold,
            lower_normal,
            upper_normal,
            upper_hot,
        })
    }

    /// Cut points from the indicator's own past: the mean of the baseline
    /// (see [`HistoryRule::baseline`]) ± `inner_k` and ± `outer_k` sample
    /// standard deviations. A baseline that never varied gives four equal
    /// cut points: its value is green, anything above red, below blue.
    /// Values that are not finite count as missing; of two values of one
    /// period the later counts.
    pub fn from_history(
        history: &[(Period, f64)],
        at: &Period,
        rule: &HistoryRule,
    ) -> Result<Bands, WarningError> {
        let periods = rule.baseline(at)?;
        let values: HashMap<Period, f64> = history
            .iter()
            .filter(|(_, v)| v.is_finite())
            .copied()
            .collect();
        let baseline: Vec<f64> = periods
            .iter()
            .filter_map(|p| values.get(p).copied())
            .collect();
        // A standard deviation needs two values whatever the rule says.
        let (have, need) = (baseline.len(), rule.min_points.max(2));
        let (mean, sd) = mean_and_sd(&baseline)
            .filter(|_| have >= need)
            .ok_or(WarningError::TooLittleHistory { have, need })?;
        Ok(Bands {
            lower_cold: mean - rule.outer_k * sd,
            lower_normal: mean - rule.inner_k * sd,
            upper_normal: mean + rule.inner_k * sd,
            upper_hot: mean + rule.outer_k * sd,
        })
    }

    /// The light of `value`. A value that is not a number shows green: it
    /// is no evidence of heat or cold (the engine gives no value rather
    /// than NaN, so this only guards).
    pub fn light(&self, value: f64) -> Light {
        if value.is_nan() {
            Light::Green
        } else if value > self.upper_hot {
            Light::Red
        } else if value > self.upper_normal {
            Light::Yellow
        } else if value >= self.lower_normal {
            Light::Green
        } else if value >= self.lower_cold {
            Light::LightBlue
        } else {
            Light::Blue
        }
    }

    /// The cut points from cold to hot: blue | light blue, light blue |
    /// green, green | yellow, yellow | red.
    pub fn cuts(&self) -> [f64; 4] {
        [
            self.lower_cold,
            self.lower_normal,
            self.upper_normal,
            self.upper_hot,
        ]
    }
}

/// The mean and sample standard deviation; none under two values.
fn mean_and_sd(values: &[f64]) -> Option<(f64, f64)> {
    let [origin, _, ..] = *values else {
        return None;
    };
    let n = values.len() as f64;
    // Measured from the first value, a constant series keeps its exact
    // value and zero spread: rounding cannot turn its own value blue.
    let mean = origin + values.iter().map(|v| v - origin).sum::<f64>() / n;
    let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    Some((mean, (squares / (n - 1.0)).sqrt()))
}

/// Which past periods make an indicator's normal, after DHIS2's and the
/// CDC's historical method.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HistoryRule {
    /// How many periods just before are the recent baseline...
    pub recent: usize,
    /// ...after leaving out this many just before, so that an outbreak
    /// that began lately does not widen its own band.
    pub skip_latest: usize,
    /// How many past years add their same period and its two neighbours.
    pub same_period_years: usize,
    /// The normal band is the mean ± this many standard deviations...
    pub inner_k: f64,
    /// ...and beyond this many it is red or blue.
    pub outer_k: f64,
    /// Fewer baseline values than this give no bands.
    pub min_points: usize,
}

impl Default for HistoryRule {
    fn default() -> Self {
        HistoryRule {
            recent: 12,
            skip_latest: 1,
            same_period_years: 5,
            inner_k: 1.0,
            outer_k: 2.0,
            min_points: 8,
        }
    }
}

impl HistoryRule {
    /// The baseline periods for `at`, oldest first, each once: the
    /// `recent` periods before it after skipping `skip_latest`, and the
    /// same period with the one before and after in each of the
    /// `same_period_years` previous years. Neither `at` nor a skipped
    /// period is ever part of it, even when a past year's neighbour would
    /// reach them (yearly periods).
    pub fn baseline(&self, at: &Period) -> Result<Vec<Period>, WarningError> {
        let ks_fine = self.inner_k.is_finite()
            && self.outer_k.is_finite()
            && 0.0 <= self.inner_k
            && self.inner_k < self.outer_k;
        if !ks_fine {
            return Err(WarningError::Multipliers {
                inner_k: self.inner_k,
                outer_k: self.outer_k,
            });
        }
        let reach = self.recent.saturating_add(self.skip_latest);
        if reach > MAX_LOOKBACK || self.same_period_years > MAX_YEARS {
            return Err(WarningError::TooFarBack);
        }
        // Both fit: MAX_LOOKBACK is far below i32::MAX.
        let (reach, skip) = (reach as i32, self.skip_latest as i32);
        let mut periods: BTreeSet<Period> = (skip + 1..=reach).map(|n| at.shifted(-n)).collect();
        let mut year = *at;
        for _ in 0..self.same_period_years {
            year = year.a_year_earlier();
            periods.extend([year.previous(), year, year.shifted(1)]);
        }
        let cutoff = at.shifted(-skip).days().0;
        Ok(periods
            .into_iter()
            .filter(|p| p.days().0 < cutoff)
            .collect())
    }
}

/// One indicator's part in the composite index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub weight: f64,
    pub light: Light,
}

/// The composite index (20 to 100) and its light.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Composite {
    pub score: f64,
    pub light: Light,
}

/// Where the composite index changes light; kept as data so that an
/// office may set its own. The default is the NBS's: above 83.33 red,
/// above 73.33 yellow, from 46.67 green, from 36.67 light blue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CompositeBands(pub Bands);

impl Default for CompositeBands {
    fn default() -> Self {
        CompositeBands(Bands {
            lower_cold: 36.67,
            lower_normal: 46.67,
            upper_normal: 73.33,
            upper_hot: 83.33,
        })
    }
}

/// The composite index with the NBS's bands.
pub fn composite(signals: &[Signal]) -> Result<Composite, WarningError> {
    composite_with(signals, &CompositeBands::default())
}

/// 20 × the weighted sum of the lights' scores, and the light of that.
/// Each weight is a share: 0 or more, together 1.
pub fn composite_with(
    signals: &[Signal],
    bands: &CompositeBands,
) -> Result<Composite, WarningError> {
    crate::weights::check(signals.iter().map(|s| s.weight))?;
    let points: f64 = signals
        .iter()
        .map(|s| s.weight * f64::from(s.light.score()))
        .sum();
    let score = SCORE_SCALE * points;
    Ok(Composite {
        score,
        light: bands.0.light(score),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::WeightError;
    use Light::*;

    #[test]
    fn a_mirrored_light_reads_the_other_way_and_twice_is_itself() {
        assert_eq!(Red.mirrored(), Blue);
        assert_eq!(LightBlue.mirrored(), Yellow);
        assert_eq!(Green.mirrored(), Green);
        for l in Light::ALL {
            assert_eq!(l.mirrored().mirrored(), l);
            assert_eq!(l.score() + l.mirrored().score(), 6);
        }
    }

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    /// "202601:10 202602:12" as history.
    fn series(text: &str) -> Vec<(Period, f64)> {
        let pair = |w: &str| w.split_once(':').map(|(q, v)| (p(q), v.parse().unwrap()));
        text.split_whitespace().filter_map(pair).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn signals(parts: &[(f64, Light)]) -> Vec<Signal> {
        parts
            .iter()
            .map(|&(weight, light)| Signal { weight, light })
            .collect()
    }

    #[test]
    fn lights_read_back_and_score_as_the_nbs_does() {
        for l in Light::ALL {
            assert_eq!(Light::parse(l.as_str()), Some(l));
        }
        assert_eq!(Light::parse("LightBlue"), None);
        assert_eq!(LightBlue.as_str(), "light_blue");
        assert_eq!(Light::ALL.map(Light::score), [5, 4, 3, 2, 1]);
        assert_eq!((Red.colour_zh(), Red.name_zh()), ("红", "过热"));
        assert_eq!(
            (LightBlue.colour_zh(), LightBlue.name_zh()),
            ("浅蓝", "偏冷")
        );
        assert_eq!((Yellow.name_en(), Blue.name_en()), ("warm", "overcooled"));
        assert!(changed(None, Green) && changed(Some(Green), Yellow));
        assert!(!changed(Some(Yellow), Yellow));
    }

    #[test]
    fn fixed_bands_put_values_on_a_cut_point_nearer_green() {
        let b = Bands::fixed(-5.0, -2.0, 2.0, 5.0).unwrap();
        let values = [6.0, 5.0, 3.0, 2.0, -2.0, -3.0, -5.0, -5.1];
        let lights = [
            Red, Yellow, Yellow, Green, Green, LightBlue, LightBlue, Blue,
        ];
        assert_eq!(values.map(|v| b.light(v)), lights);
        // A normal band of a single value is allowed.
        assert_eq!(
            Bands::fixed(1.0, 2.0, 2.0, 3.0).map(|b| b.light(2.0)),
            Ok(Green)
        );
    }

    #[test]
    fn bands_out_of_order_or_not_finite_are_refused() {
        let bad = [
            [1.0, 1.0, 2.0, 3.0],
            [1.0, 2.0, 3.0, 3.0],
            [f64::NAN, 2.0, 3.0, 4.0],
            [f64::NEG_INFINITY, 2.0, 3.0, 4.0],
        ];
        for [a, b, c, d] in bad {
            let refused = Bands::fixed(a, b, c, d);
            assert!(
                matches!(refused, Err(WarningError::Bands { .. })),
                "{a} {b} {c} {d}"
            );
        }
        let e = Bands::fixed(3.0, 2.0, 1.0, 0.0).unwrap_err();
        assert!(e.to_string().contains("3, 2, 1, 0"), "{e}");
        assert!(e.zh().contains("3、2、1、0"));
    }

    /// At June 2026 the baseline is February–April 2026 (May skipped) and
    /// May–July 2025: 100, 101, 99, 97, 103, 100, of mean 100 and sample
    /// standard deviation exactly 2 (squares 0+1+1+9+9+0 = 20, over 5).
    /// May and June 2026 are an outbreak; the 500s lie outside: too early,
    /// not a neighbour, a year too far back. Not in order.
    fn outbreak() -> (Vec<(Period, f64)>, HistoryRule) {
        let history = series(
            "202606:150 202605:160 202604:99 202603:101 202602:100 202601:500 \
             202508:500 202507:100 202506:103 202505:97 202406:500",
        );
        let mut rule = HistoryRule::default();
        (rule.recent, rule.same_period_years, rule.min_points) = (3, 1, 5);
        (history, rule)
    }

    #[test]
    fn history_bands_are_the_baseline_mean_and_standard_deviation() {
        let (history, rule) = outbreak();
        let at = p("202606");
        let base = ["202505", "202506", "202507", "202602", "202603", "202604"];
        assert_eq!(rule.baseline(&at), Ok(base.map(p).to_vec()));
        let b = Bands::from_history(&history, &at, &rule).unwrap();
        let cuts = b.cuts();
        let expected = [96.0, 98.0, 102.0, 104.0];
        assert!((0..4).all(|i| close(cuts[i], expected[i])), "{cuts:?}");
        assert_eq!(
            [150.0, 103.0, 97.0].map(|v| b.light(v)),
            [Red, Yellow, LightBlue]
        );
    }

    #[test]
    fn skipping_the_latest_keeps_an_outbreak_from_hiding_itself() {
        let (history, rule) = outbreak();
        let at = p("202606");
        let mut no_skip = rule;
        no_skip.skip_latest = 0;
        // May's 160 in the baseline: mean 110, sd √604 ≈ 24.6, so 150 is only yellow.
        let widened = Bands::from_history(&history, &at, &no_skip).unwrap();
        assert!(close(widened.cuts()[1] + widened.cuts()[2], 220.0));
        assert_eq!(widened.light(150.0), Yellow);
        let skipped = Bands::from_history(&history, &at, &rule).unwrap();
        assert_eq!(skipped.light(150.0), Red);
    }

    #[test]
    fn the_default_rule_counts_each_period_once_and_never_the_skipped_ones() {
        let base = HistoryRule::default().baseline(&p("202606")).unwrap();
        // May 2025–April 2026 hold last year's May–July; four more years of three.
        assert_eq!(base.len(), 12 + 4 * 3);
        assert_eq!((base[0], base[23]), (p("202105"), p("202604")));
        // A year's neighbours would be the skipped year and the year itself.
        let mut yearly = HistoryRule::default();
        (yearly.recent, yearly.same_period_years) = (2, 2);
        assert_eq!(yearly.baseline(&p("2026")), Ok(vec![p("2023"), p("2024")]));
    }

    #[test]
    fn too_little_history_or_a_bad_rule_gives_no_bands() {
        let history = series("202601:1 202602:1 202603:1 202604:1 202605:1");
        let rule = HistoryRule::default();
        let e = Bands::from_history(&history, &p("202607"), &rule).unwrap_err();
        assert_eq!(e, WarningError::TooLittleHistory { have: 5, need: 8 });
        assert_eq!(e.zh(), "历史数据不足：基期只有 5 个值，至少需要 8 个");
        let mut any = rule;
        any.min_points = 0;
        let one = Bands::from_history(&history[..1], &p("202603"), &any);
        assert_eq!(
            one,
            Err(WarningError::TooLittleHistory { have: 1, need: 2 })
        );
        let mut crossed = rule;
        (crossed.inner_k, crossed.outer_k) = (2.0, 1.0);
        let e = Bands::from_history(&history, &p("202607"), &crossed);
        assert!(matches!(e, Err(WarningError::Multipliers { .. })));
        let mut far = rule;
        far.recent = usize::MAX;
        assert_eq!(far.baseline(&p("202607")), Err(WarningError::TooFarBack));
    }

    #[test]
    fn a_history_that_never_varied_is_green_only_at_its_value() {
        let history: Vec<_> = (1..=10).map(|m| (p(&format!("2025{m:02}")), 0.1)).collect();
        let b = Bands::from_history(&history, &p("202512"), &HistoryRule::default()).unwrap();
        assert_eq!(
            [0.1, 0.1000001, 0.0999999].map(|v| b.light(v)),
            [Green, Red, Blue]
        );
    }

    #[test]
    fn the_composite_index_weighs_the_scores_on_the_nbs_scale() {
        // 20 × (0.5·5 + 0.3·3 + 0.2·1) = 72: green, though one part is red.
        let mixed = composite(&signals(&[(0.5, Red), (0.3, Green), (0.2, Blue)])).unwrap();
        assert!(
            close(mixed.score, 72.0) && mixed.light == Green,
            "{mixed:?}"
        );
        // 20 × (5 + 5 + 4 + 3) / 4 = 85.
        let hot = composite(&signals(&[
            (0.25, Red),
            (0.25, Red),
            (0.25, Yellow),
            (0.25, Green),
        ]));
        assert_eq!(hot.map(|c| (c.score, c.light)), Ok((85.0, Red)));
        for (light, score) in [(Red, 100.0), (Green, 60.0), (Blue, 20.0)] {
            let all = composite(&signals(&[(0.5, light), (0.5, light)])).unwrap();
            assert!(close(all.score, score) && all.light == light);
        }
        let nbs = CompositeBands::default().0;
        let on_cuts = [83.33, 73.33, 46.67, 36.67].map(|s| nbs.light(s));
        assert_eq!(on_cuts, [Yellow, Green, Green, LightBlue]);
        let strict = CompositeBands(Bands::fixed(50.0, 55.0, 65.0, 70.0).unwrap());
        let yellow = composite_with(&signals(&[(1.0, Yellow)]), &strict);
        assert_eq!(yellow.map(|c| c.light), Ok(Red));
    }

    #[test]
    fn weights_must_be_shares_that_sum_to_one() {
        let short = composite(&signals(&[(0.5, Red), (0.4, Green)])).unwrap_err();
        assert!(matches!(
            short,
            WarningError::Weights(WeightError::Sum { .. })
        ));
        assert!(short.zh().contains("0.9"), "{short}");
        assert!(composite(&signals(&[(0.1, Red); 10])).is_ok());
    }
}
