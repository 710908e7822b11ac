//! A made-up dispatch history for demonstrations and tests, since a new
//! platform has none: short reports in the words citizens and patrollers use,
//! with the departments a command centre would have sent them to.
//!
//! Each report is composed from a sub-class of the shipped classes (its
//! keywords, or its name), a place in 东城区 or 西城区, a phrasing and, for
//! some, a remark that is no help ("麻烦尽快处理"). Most go to the sub-class's
//! default department. Some carry an aside that points elsewhere ("有人占道经营"
//! in a report of illegal parking): the shipped routing rules decide those
//! they cover, and otherwise the dispatcher mostly follows the aside. A few
//! are sent somewhere else for reasons the text does not show, as real
//! dispatchers do. Same `n` and seed, same history (within one version of
//! `rand`).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::classifier::Example;
use super::rules::{RoutingRules, SHIPPED as SHIPPED_RULES};
use crate::classes::{Classification, Kind, Service, SHIPPED as SHIPPED_CLASSES};

/// Places, each with the street (街道) it lies in.
const PLACES: &[(&str, &str)] = &[
    ("王府井大街", "110101001"),
    ("南池子大街", "110101001"),
    ("景山前街", "110101002"),
    ("南锣鼓巷", "110101003"),
    ("交道口南大街", "110101003"),
    ("安定门内大街", "110101004"),
    ("簋街", "110101005"),
    ("东四北大街", "110101006"),
    ("朝阳门内大街", "110101007"),
    ("建国门内大街", "110101008"),
    ("前门大街", "110101011"),
    ("天坛东路", "110101016"),
    ("西单北大街", "110102001"),
    ("新街口南大街", "110102002"),
    ("月坛北街", "110102003"),
    ("展览路", "110102004"),
    ("德胜门内大街", "110102005"),
    ("金融大街", "110102006"),
    ("什刹海前海", "110102007"),
    ("烟袋斜街", "110102007"),
    ("大栅栏西街", "110102008"),
    ("陶然亭路", "110102011"),
    ("广安门内大街", "110102012"),
    ("牛街", "110102013"),
];

/// Where along the street.
const SPOTS: &[&str] = &[
    "",
    "路口",
    "胡同口",
    "小区门口",
    "地铁站出口",
    "公交站旁",
    "菜市场旁边",
    "学校门口",
    "便利店门前",
    "居民楼下",
    "十字路口东南角",
    "公园北门",
];

/// Remarks that say nothing about who should handle the problem.
const REMARKS: &[&str] = &[
    "麻烦尽快处理",
    "已经好几天了",
    "影响居民出行",
    "希望有关部门管一管",
    "多次反映仍未解决",
    "晚上尤其明显",
    "附近老人孩子多",
    "请派人来看看",
    "已拍照",
    "存在安全隐患",
];

/// An aside that points to another department than the sub-class's.
struct Aside {
    text: &'static str,
    /// Service-code prefixes it may appear under.
    under: &'static [&'static str],
    /// Where a dispatcher tends to send it when no rule decides.
    habit: &'static str,
}

const ASIDES: &[Aside] = &[
    Aside {
        text: "还有人占道经营",
        under: &["e01", "e05", "c02"],
        habit: "CGZFJ",
    },
    Aside {
        text: "流动摊贩在此摆摊",
        under: &["e01", "e05", "c03"],
        habit: "CGZFJ",
    },
    Aside {
        text: "门口经常有车违停",
        under: &["e05", "c02", "c06", "e04"],
        habit: "GAJ",
    },
    Aside {
        text: "车辆堵塞消防通道",
        under: &["e05", "c01", "e01"],
        habit: "GAJ",
    },
    Aside {
        text: "店里卖过期食品",
        under: &["e05"],
        habit: "SCJGJ",
    },
    Aside {
        text: "疑似无证餐饮",
        under: &["e05", "e01"],
        habit: "SCJGJ",
    },
    Aside {
        text: "半夜噪音很大",
        under: &["e05", "e03", "e06"],
        habit: "STHJJ",
    },
    Aside {
        text: "酒吧音响声音太大",
        under: &["e05", "e06"],
        habit: "GAJ",
    },
    Aside {
        text: "凌晨还在施工",
        under: &["e03"],
        habit: "CGZFJ",
    },
    Aside {
        text: "渣土车遗撒严重",
        under: &["e01", "e03"],
        habit: "CGZFJ",
    },
    Aside {
        text: "井盖被盗",
        under: &["c01"],
        habit: "GAJ",
    },
    Aside {
        text: "贴满办证小广告",
        under: &["e02", "c02", "c03"],
        habit: "GAJ",
    },
    Aside {
        text: "招牌摇晃随时坠落",
        under: &["c03", "e02"],
        habit: "CGW",
    },
    Aside {
        text: "工地裸土未苫盖",
        under: &["e03"],
        habit: "STHJJ",
    },
    Aside {
        text: "餐馆油烟直排",
        under: &["e05", "e01", "c03"],
        habit: "STHJJ",
    },
];

/// The departments a dispatcher chooses among.
const DEPARTMENTS: &[&str] = &["CGW", "CGZFJ", "GAJ", "STHJJ", "SCJGJ"];

/// The share of reports with an aside, where one fits the sub-class.
const ASIDE_SHARE: f64 = 0.18;
/// How often a dispatcher follows an aside no rule covers.
const HABIT_SHARE: f64 = 0.7;
/// How often a report is sent somewhere for reasons the text does not show.
const UNEXPLAINED_SHARE: f64 = 0.02;
/// How often a report ends with a remark.
const REMARK_SHARE: f64 = 0.4;

/// `n` past dispatch decisions, the same for the same `n` and `seed`.
pub fn demo_history(n: usize, seed: u64) -> Vec<Example> {
    let classes =
        Classification::parse(SHIPPED_CLASSES).expect("the shipped classes are checked by tests");
    let rules =
        RoutingRules::parse(SHIPPED_RULES).expect("the shipped routing rules are checked by tests");
    // Events are reported about twice as often as broken fixtures.
    let services: Vec<(Service<'_>, u32)> = classes
        .services()
        .map(|s| (s, if s.class.kind == Kind::Event { 2 } else { 1 }))
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let (service, _) = services
                .choose_weighted(&mut rng, |(_, weight)| *weight)
                .expect("the shipped classes have sub-classes");
            report(&mut rng, &rules, *service)
        })
        .collect()
}

/// One made-up report of `service` and where it was sent.
fn report(rng: &mut StdRng, rules: &RoutingRules, service: Service<'_>) -> Example {
    let code = service.code();
    let (place, street) = *PLACES.choose(rng).expect("places");
    let spot = SPOTS.choose(rng).expect("spots");
    let at = format!("{place}{spot}");
    let cell = format!(
        "{street}{:02}{:04}",
        rng.gen_range(1..=12),
        rng.gen_range(1..=400)
    );

    let problem = problem(rng, service);
    let mut text = match rng.gen_range(0..6) {
        0 => format!("{at}{problem}"),
        1 => format!("市民来电反映{at}{problem}"),
        2 => format!("巡查发现：{at}{problem}"),
        3 => format!("{problem}，位置在{at}"),
        4 => format!("{at}有{}的问题，{problem}", service.sub.name),
        _ => format!("网格员上报：{at}，{problem}"),
    };
    let fitting: Vec<&Aside> = ASIDES
        .iter()
        .filter(|a| a.under.iter().any(|prefix| code.starts_with(prefix)))
        .collect();
    let aside = if rng.gen_bool(ASIDE_SHARE) {
        fitting.choose(rng).copied()
    } else {
        None
    };
    if let Some(aside) = aside {
        text.push('，');
        text.push_str(aside.text);
    }
    if rng.gen_bool(REMARK_SHARE) {
        text.push('，');
        text.push_str(REMARKS.choose(rng).expect("remarks"));
    }

    let mut department = match (rules.route(&code, &cell, &text), aside) {
        (Some(rule), _) => rule.department.clone(),
        (None, Some(aside)) if rng.gen_bool(HABIT_SHARE) => aside.habit.to_owned(),
        _ => service.sub.department.clone(),
    };
    if rng.gen_bool(UNEXPLAINED_SHARE) {
        let others: Vec<&str> = DEPARTMENTS
            .iter()
            .copied()
            .filter(|d| *d != department)
            .collect();
        department = (*others.choose(rng).expect("departments")).to_owned();
    }
    Example {
        text,
        service_code: code,
        department,
    }
}

/// What is wrong, in a sub-class's words: one or two of its keywords, or
/// its name when it has none.
fn problem(rng: &mut StdRng, service: Service<'_>) -> String {
    let keywords: Vec<&str> = service.sub.keywords.iter().map(String::as_str).collect();
    let name = service.sub.name.as_str();
    let picked: Vec<&str> = keywords.choose_multiple(rng, 2).copied().collect();
    match picked.as_slice() {
        [] => format!("{name}情况需要处理"),
        [only] => format!("{only}问题"),
        [first, second, ..] => match rng.gen_range(0..4) {
            0 => format!("{first}{second}"),
            1 => format!("{first}，{second}"),
            2 => format!("{name}{first}"),
            _ => format!("{first}严重"),
        },
    }
}

/// Splits examples into those to train on and those held out to measure
/// with, `held_out_share` of them (0 to 1), spread evenly through the list
/// so that a history in time order is held out from all of its stretch.
/// Deterministic: no shuffling.
pub fn split<T>(examples: Vec<T>, held_out_share: f64) -> (Vec<T>, Vec<T>) {
    let share = if held_out_share.is_nan() {
        0.0
    } else {
        held_out_share.clamp(0.0, 1.0)
    };
    // Example i is held out when the running quota i × share passes a whole
    // number, so that exactly round-down(n × share) are.
    let mut train = Vec::with_capacity(examples.len());
    let mut test = Vec::new();
    for (i, example) in examples.into_iter().enumerate() {
        let before = (i as f64 * share).floor();
        let after = ((i + 1) as f64 * share).floor();
        if after > before {
            test.push(example);
        } else {
            train.push(example);
        }
    }
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_history() {
        assert_eq!(demo_history(300, 1), demo_history(300, 1));
        assert_ne!(demo_history(300, 1), demo_history(300, 2));
        assert_eq!(demo_history(0, 1), Vec::new());
    }

    #[test]
    fn reports_are_of_known_services_and_mostly_go_to_the_default() {
        let classes = Classification::parse(SHIPPED_CLASSES).unwrap();
        let history = demo_history(3000, 11);
        let mut elsewhere = 0;
        for e in &history {
            let service = classes.service(&e.service_code).unwrap();
            assert!(!e.text.is_empty());
            assert!(DEPARTMENTS.contains(&e.department.as_str()), "{e:?}");
            if e.department != service.sub.department {
                elsewhere += 1;
            }
        }
        let share = elsewhere as f64 / history.len() as f64;
        assert!((0.08..=0.2).contains(&share), "{share}");
    }

    #[test]
    fn a_split_holds_out_the_share_asked_for_evenly() {
        let history = demo_history(103, 5);
        let (train, test) = split(history.clone(), 0.2);
        assert_eq!((train.len(), test.len()), (83, 20));
        assert_eq!(test[0], history[4]);
        assert_eq!(test[1], history[9]);
        assert_eq!(split(history.clone(), 0.2), (train, test));
        assert_eq!(split(history.clone(), 0.0).1.len(), 0);
        assert_eq!(split(history.clone(), 1.0).0.len(), 0);
        assert_eq!(split(history, f64::NAN).1.len(), 0);
    }
}
