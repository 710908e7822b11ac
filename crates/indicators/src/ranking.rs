//! Composite indices and rankings, as the UN e-government survey builds its
//! index: each component indicator normalised across the areas compared
//! (min–max to 0…1, or z-scores), turned round where less is better,
//! weighted (shares of one) and added; the areas ranked on the sum, with
//! the change of rank since the period before. An area missing a
//! component is not ranked, rather than ranked on part of the index.

use crate::weights::{self, WeightError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// (x − min) / (max − min): 0 for the lowest area, 1 for the highest.
    MinMax,
    /// (x − mean) / standard deviation across the areas.
    ZScore,
}

impl Normalisation {
    pub fn as_str(self) -> &'static str {
        match self {
            Normalisation::MinMax => "min_max",
            Normalisation::ZScore => "z_score",
        }
    }

    pub fn parse(word: &str) -> Option<Normalisation> {
        [Normalisation::MinMax, Normalisation::ZScore]
            .into_iter()
            .find(|n| n.as_str() == word)
    }
}

/// One indicator of an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub indicator: String,
    pub weight: f64,
    /// Whether more is better (on-time rate); false for less (complaints).
    pub higher_is_better: bool,
}

/// Which part of an index is wrong.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("an index's code is 1 to 50 letters, digits, '_', '-' or '.': {0:?}")]
    BadCode(String),
    #[error("an index needs a name")]
    NoName,
    #[error("an index has at least one component")]
    NoComponents,
    #[error("unknown indicator {0:?}")]
    UnknownIndicator(String),
    #[error("the indicator {0:?} is named twice")]
    Twice(String),
    #[error(transparent)]
    Weights(#[from] WeightError),
}

impl IndexError {
    /// The message in Chinese, for the pages and problem documents.
    pub fn zh(&self) -> String {
        match self {
            IndexError::BadCode(c) => {
                format!("指数代码须为 1 至 50 个字母、数字、“_”“-”或“.”：“{c}”")
            }
            IndexError::NoName => "请填写指数名称".to_owned(),
            IndexError::NoComponents => "指数至少包含一个指标".to_owned(),
            IndexError::UnknownIndicator(c) => format!("没有这个指标：“{c}”"),
            IndexError::Twice(c) => format!("指标“{c}”重复列出"),
            IndexError::Weights(w) => w.zh(),
        }
    }
}

/// A composite index as the statistics office defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeIndex {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub normalisation: Normalisation,
    pub components: Vec<Component>,
    /// Shown on the public page without signing in.
    pub public: bool,
}

impl CompositeIndex {
    /// Checks the index against the indicators `known` knows.
    pub fn check(&self, known: impl Fn(&str) -> bool) -> Result<(), IndexError> {
        if !crate::code::valid_code(&self.code) {
            return Err(IndexError::BadCode(self.code.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(IndexError::NoName);
        }
        if self.components.is_empty() {
            return Err(IndexError::NoComponents);
        }
        for (i, c) in self.components.iter().enumerate() {
            if !known(&c.indicator) {
                return Err(IndexError::UnknownIndicator(c.indicator.clone()));
            }
            if self.components[..i]
                .iter()
                .any(|o| o.indicator == c.indicator)
            {
                return Err(IndexError::Twice(c.indicator.clone()));
            }
        }
        weights::check(self.components.iter().map(|c| c.weight))?;
        Ok(())
    }

    /// The index for each area, from each component's value by area
    /// (`values[i]` for component `i`): the normalised components and
    /// their weighted sum, none for an area missing a component.
    pub fn scores(&self, areas: &[String], values: &[HashMap<String, f64>]) -> Vec<Score> {
        let normalised: Vec<HashMap<&str, f64>> = self
            .components
            .iter()
            .zip(values)
            .map(|(c, v)| normalise(self.normalisation, c.higher_is_better, areas, v))
            .collect();
        let mut scores: Vec<Score> = areas
            .iter()
            .map(|area| {
                let parts: Option<Vec<f64>> = normalised
                    .iter()
                    .map(|n| n.get(area.as_str()).copied())
                    .collect();
                let score = parts.as_ref().map(|p| {
                    p.iter()
                        .zip(&self.components)
                        .map(|(x, c)| x * c.weight)
                        .sum()
                });
                Score {
                    area: area.clone(),
                    parts: parts.unwrap_or_default(),
                    score,
                }
            })
            .collect();
        if self.normalisation == Normalisation::ZScore {
            // As the UN's index: the combined z-scores scaled to 0–1 across
            // the areas, so the published groups apply.
            let present = scores.iter().filter_map(|s| s.score);
            let min = present.clone().fold(f64::INFINITY, f64::min);
            let max = present.fold(f64::NEG_INFINITY, f64::max);
            for s in &mut scores {
                s.score = s.score.map(|x| {
                    if max > min {
                        (x - min) / (max - min)
                    } else {
                        0.5
                    }
                });
            }
        }
        scores
    }
}

/// The groups the UN publishes its e-government index in, by score on the
/// 0–1 scale: very high from 0.75, high from 0.50, middle from 0.25, low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    VeryHigh,
    High,
    Middle,
    Low,
}

impl Group {
    pub fn of(score: f64) -> Group {
        if score >= 0.75 {
            Group::VeryHigh
        } else if score >= 0.5 {
            Group::High
        } else if score >= 0.25 {
            Group::Middle
        } else {
            Group::Low
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Group::VeryHigh => "very_high",
            Group::High => "high",
            Group::Middle => "middle",
            Group::Low => "low",
        }
    }
}

/// An area's index: its normalised components (in the index's order) and
/// their weighted sum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub area: String,
    pub parts: Vec<f64>,
    pub score: Option<f64>,
}

/// The component's values normalised across the areas that have one.
fn normalise<'a>(
    how: Normalisation,
    higher_is_better: bool,
    areas: &'a [String],
    values: &HashMap<String, f64>,
) -> HashMap<&'a str, f64> {
    let present: Vec<(&str, f64)> = areas
        .iter()
        .filter_map(|a| values.get(a).map(|v| (a.as_str(), *v)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    if present.is_empty() {
        return HashMap::new();
    }
    let xs: Vec<f64> = present.iter().map(|(_, v)| *v).collect();
    let sign = if higher_is_better { 1.0 } else { -1.0 };
    let f: Box<dyn Fn(f64) -> f64> = match how {
        Normalisation::MinMax => {
            let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if max == min {
                // All alike: every area scores the middle.
                Box::new(|_| 0.5)
            } else if higher_is_better {
                Box::new(move |x| (x - min) / (max - min))
            } else {
                Box::new(move |x| (max - x) / (max - min))
            }
        }
        Normalisation::ZScore => {
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            if sd == 0.0 {
                Box::new(|_| 0.0)
            } else {
                Box::new(move |x| sign * (x - mean) / sd)
            }
        }
    };
    present.into_iter().map(|(a, v)| (a, f(v))).collect()
}

/// An area's place in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub area: String,
    pub score: f64,
    /// 1 for the highest; areas with equal scores share a rank (1, 2, 2, 4).
    pub rank: usize,
    /// The rank in the period before, if ranked then.
    pub previous_rank: Option<usize>,
    /// Places gained since then (negative: lost).
    pub change: Option<i64>,
}

/// The areas with a score, ranked highest first, with the change since the
/// `before` ranking of the period before.
pub fn rank(scores: &[Score], before: &[Score]) -> Vec<Place> {
    let ranked = |scores: &[Score]| -> Vec<(String, f64, usize)> {
        let mut s: Vec<(String, f64)> = scores
            .iter()
            .filter_map(|s| s.score.map(|v| (s.area.clone(), v)))
            .collect();
        s.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut out: Vec<(String, f64, usize)> = Vec::with_capacity(s.len());
        for (i, (area, v)) in s.into_iter().enumerate() {
            let rank = match out.last() {
                Some((_, last, r)) if (*last - v).abs() <= 1e-12 => *r,
                _ => i + 1,
            };
            out.push((area, v, rank));
        }
        out
    };
    let earlier: HashMap<String, usize> =
        ranked(before).into_iter().map(|(a, _, r)| (a, r)).collect();
    ranked(scores)
        .into_iter()
        .map(|(area, score, rank)| {
            let previous_rank = earlier.get(&area).copied();
            Place {
                change: previous_rank.map(|p| p as i64 - rank as i64),
                area,
                score,
                rank,
                previous_rank,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(normalisation: Normalisation) -> CompositeIndex {
        CompositeIndex {
            code: "egov".into(),
            name: "政务服务指数".into(),
            name_en: None,
            normalisation,
            components: vec![
                Component {
                    indicator: "on_time".into(),
                    weight: 0.6,
                    higher_is_better: true,
                },
                Component {
                    indicator: "complaints".into(),
                    weight: 0.4,
                    higher_is_better: false,
                },
            ],
            public: true,
        }
    }

    fn values(pairs: &[(&str, f64)]) -> HashMap<String, f64> {
        pairs.iter().map(|(a, v)| ((*a).to_owned(), *v)).collect()
    }

    fn areas() -> Vec<String> {
        ["a", "b", "c", "d"].map(String::from).to_vec()
    }

    #[test]
    fn min_max_turns_less_is_better_round_and_weights_the_parts() {
        let on_time = values(&[("a", 90.0), ("b", 80.0), ("c", 100.0), ("d", 95.0)]);
        let complaints = values(&[("a", 10.0), ("b", 30.0), ("c", 20.0)]);
        let scores = index(Normalisation::MinMax).scores(&areas(), &[on_time, complaints]);
        let by = |a: &str| scores.iter().find(|s| s.area == a).unwrap().clone();
        // a: on time (90-80)/20 = 0.5, complaints (30-10)/20 = 1 → 0.6·0.5 + 0.4·1.
        assert_eq!(by("a").parts, vec![0.5, 1.0]);
        assert!((by("a").score.unwrap() - 0.7).abs() < 1e-12);
        assert!((by("c").score.unwrap() - 0.8).abs() < 1e-12);
        assert_eq!(by("b").score, Some(0.0));
        // d has no complaints figure: not ranked on part of the index.
        assert_eq!(by("d").score, None);
        let places = rank(&scores, &[]);
        assert_eq!(
            places
                .iter()
                .map(|p| (p.area.as_str(), p.rank))
                .collect::<Vec<_>>(),
            vec![("c", 1), ("a", 2), ("b", 3)]
        );
        assert_eq!(places[0].change, None);
    }

    #[test]
    fn z_scores_are_scaled_to_one_as_the_un_index_is_and_ties_share_a_rank() {
        let on_time = values(&[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 2.0)]);
        let complaints = values(&[("a", 5.0), ("b", 5.0), ("c", 5.0), ("d", 5.0)]);
        let scores = index(Normalisation::ZScore).scores(&areas(), &[on_time, complaints]);
        // The combined z-scores scaled to 0–1, as the UN's index is: the
        // best area 1, the worst 0, the rest in their places between.
        let by = |a: &str| scores.iter().find(|s| s.area == a).unwrap().score.unwrap();
        assert_eq!((by("a"), by("c")), (0.0, 1.0));
        assert!((by("b") - 0.5).abs() < 1e-12 && (by("d") - 0.5).abs() < 1e-12);
        assert_eq!(Group::of(by("c")), Group::VeryHigh);
        assert_eq!(Group::of(0.5), Group::High);
        assert_eq!(Group::of(0.2499), Group::Low);
        let before = vec![
            Score {
                area: "a".into(),
                parts: vec![],
                score: Some(3.0),
            },
            Score {
                area: "b".into(),
                parts: vec![],
                score: Some(2.0),
            },
            Score {
                area: "c".into(),
                parts: vec![],
                score: Some(1.0),
            },
        ];
        let places = rank(&scores, &before);
        let told: Vec<_> = places
            .iter()
            .map(|p| (p.area.as_str(), p.rank, p.previous_rank, p.change))
            .collect();
        assert_eq!(
            told,
            vec![
                ("c", 1, Some(3), Some(2)),
                ("b", 2, Some(2), Some(0)),
                ("d", 2, None, None),
                ("a", 4, Some(1), Some(-3)),
            ]
        );
    }

    #[test]
    fn an_index_is_checked_whole() {
        let known = |c: &str| c == "on_time" || c == "complaints";
        assert!(index(Normalisation::MinMax).check(known).is_ok());
        let mut i = index(Normalisation::MinMax);
        i.components[1].weight = 0.3;
        assert!(matches!(
            i.check(known),
            Err(IndexError::Weights(WeightError::Sum { .. }))
        ));
        let mut i = index(Normalisation::MinMax);
        i.components[1].indicator = "on_time".into();
        assert!(matches!(i.check(known), Err(IndexError::Twice(_))));
        let mut i = index(Normalisation::MinMax);
        i.components[0].indicator = "gdp".into();
        assert!(matches!(
            i.check(known),
            Err(IndexError::UnknownIndicator(_))
        ));
        assert_eq!(Normalisation::parse("z_score"), Some(Normalisation::ZScore));
    }
}
