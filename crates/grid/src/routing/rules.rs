//! Routing rules (派遣规则) as a versioned data file
//! (`data/grid/routing.toml`): ordered, first match wins, each rule naming
//! the department a report goes to instead of its sub-class's default.

use egov_kernel::code::DepartmentCode;
use serde::Deserialize;

use crate::classes::Classification;
use crate::map::Level;

/// The rules shipped with the platform.
pub const SHIPPED: &str = include_str!("../../../../data/grid/routing.toml");

/// One rule: every condition it gives must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What the rule is for, shown beside the department it chose.
    pub name: String,
    /// A service-code prefix: a kind letter, a class (`e05`) or a sub-class.
    pub service: Option<String>,
    /// A grid code prefix: the area and everything inside it.
    pub area: Option<String>,
    /// The rule holds if the description contains any of these (compared in
    /// lower case); none means the description does not matter.
    pub words: Vec<String>,
    /// The department's abbreviation (`CGZFJ`), taken in the report's district.
    pub department: String,
}

impl Rule {
    /// Whether the rule holds for a report; `description` must already be in
    /// lower case (`route` lowers it once for all rules).
    fn matches(&self, service_code: &str, area_code: &str, description: &str) -> bool {
        self.service
            .as_deref()
            .is_none_or(|prefix| service_code.starts_with(prefix))
            && self
                .area
                .as_deref()
                .is_none_or(|prefix| area_code.starts_with(prefix))
            && (self.words.is_empty() || self.words.iter().any(|w| description.contains(w)))
    }
}

/// One version of the rules, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRules {
    pub version: String,
    rules: Vec<Rule>,
}

/// Why a rules file was refused. Rules are numbered from 1 in file order.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("the routing rules file does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the routing rules file has no version")]
    NoVersion,
    #[error("rule {number}: {problem}")]
    Rule { number: usize, problem: String },
}

/// Where a report goes, and the rule that sent it there, if one did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination<'a> {
    pub department: DepartmentCode,
    /// `None`: the sub-class's default department.
    pub rule: Option<&'a Rule>,
}

/// The file as written; each rule is read on its own so that an error can
/// name it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: String,
    #[serde(default, rename = "rule")]
    rules: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    name: String,
    service: Option<String>,
    area: Option<String>,
    #[serde(default)]
    words: Vec<String>,
    department: String,
}

impl RoutingRules {
    /// Reads and checks a rules file: each rule with a name, at least one
    /// condition (a rule matching every report would hide the classes'
    /// defaults), prefixes of whole codes, no empty word and a department
    /// abbreviation of the right shape.
    pub fn parse(text: &str) -> Result<RoutingRules, RulesError> {
        let file: RulesFile = toml::from_str(text)?;
        if file.version.trim().is_empty() {
            return Err(RulesError::NoVersion);
        }
        let rules = file
            .rules
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let problem = |problem: String| RulesError::Rule {
                    number: index + 1,
                    problem,
                };
                let entry: RuleEntry = value
                    .try_into()
                    .map_err(|e: toml::de::Error| problem(e.message().trim_end().to_owned()))?;
                checked(entry).map_err(problem)
            })
            .collect::<Result<_, _>>()?;
        Ok(RoutingRules {
            version: file.version,
            rules,
        })
    }

    /// Refuses rules that can never hold under `classes`: a service prefix
    /// no sub-class in force starts with (a mistyped code would otherwise
    /// route nothing, silently).
    pub fn check_classes(&self, classes: &Classification) -> Result<(), RulesError> {
        for (index, rule) in self.rules.iter().enumerate() {
            let Some(prefix) = &rule.service else {
                continue;
            };
            if !classes
                .services()
                .any(|s| s.code().starts_with(prefix.as_str()))
            {
                return Err(RulesError::Rule {
                    number: index + 1,
                    problem: format!(
                        "{}: service '{prefix}' names no class in classes version {}",
                        rule.name, classes.version
                    ),
                });
            }
        }
        Ok(())
    }

    /// The rules in the order they are tried.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The first rule that holds for a report of `service_code` in the area
    /// `cell_code` (usually a cell) describing it as `description`.
    pub fn route(&self, service_code: &str, cell_code: &str, description: &str) -> Option<&Rule> {
        let description = description.to_lowercase();
        self.rules
            .iter()
            .find(|r| r.matches(service_code, cell_code, &description))
    }

    /// The department a report goes to: the first matching rule's, else its
    /// sub-class's default, in the district of `cell_code`. `None` for a
    /// service the classification does not have or a code that is not an
    /// area's.
    pub fn destination<'a>(
        &'a self,
        classes: &Classification,
        service_code: &str,
        cell_code: &str,
        description: &str,
    ) -> Option<Destination<'a>> {
        Level::of_code(cell_code)?;
        let district = &cell_code[..Level::District.code_len()];
        let rule = self.route(service_code, cell_code, description);
        let abbreviation = match rule {
            Some(rule) => rule.department.clone(),
            None => classes.service(service_code)?.sub.department.clone(),
        };
        let department = DepartmentCode::parse(&format!("{district}-{abbreviation}")).ok()?;
        Some(Destination { department, rule })
    }
}

fn checked(entry: RuleEntry) -> Result<Rule, String> {
    let RuleEntry {
        name,
        service,
        area,
        words,
        department,
    } = entry;
    if name.trim().is_empty() {
        return Err("no name".into());
    }
    let at = |problem: &str| format!("{name}: {problem}");
    if service.is_none() && area.is_none() && words.is_empty() {
        return Err(at("no service, area or words: it would match every report"));
    }
    if let Some(prefix) = &service {
        let mut chars = prefix.chars();
        let kind_ok = matches!(chars.next(), Some('c' | 'e'));
        let digits = chars.as_str();
        if !kind_ok
            || !matches!(digits.len(), 0 | 2 | 4)
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(at(&format!(
                "service '{prefix}' is not a kind letter (c, e), a class (e05) or a sub-class (e0501)"
            )));
        }
    }
    if let Some(prefix) = &area {
        if Level::of_code(prefix).is_none() {
            return Err(at(&format!(
                "area '{prefix}' is not a district, street, community or cell code (6, 9, 11 or 15 digits)"
            )));
        }
    }
    let words: Vec<String> = words.iter().map(|w| w.trim().to_lowercase()).collect();
    if words.iter().any(String::is_empty) {
        return Err(at("an empty word"));
    }
    if DepartmentCode::parse(&format!("110000-{department}")).is_err() {
        return Err(at(&format!(
            "department '{department}' is not an abbreviation (2-16 uppercase letters or digits)"
        )));
    }
    Ok(Rule {
        name,
        service,
        area,
        words,
        department,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
version = "test"

[[rule]]
name = "street order in one street"
service = "e05"
area = "110102007"
words = ["噪音"]
department = "GAJ"

[[rule]]
name = "noise"
service = "e05"
words = ["噪音", "Noise"]
department = "STHJJ"

[[rule]]
name = "a whole district's component reports"
service = "c"
area = "110101"
department = "CGW"
"#;

    fn rules() -> RoutingRules {
        RoutingRules::parse(RULES).unwrap()
    }

    fn routed(service: &str, cell: &str, description: &str) -> Option<String> {
        rules()
            .route(service, cell, description)
            .map(|r| r.name.clone())
    }

    #[test]
    fn the_first_matching_rule_wins() {
        // Both of the first two rules hold inside 110102007; the first decides.
        assert_eq!(
            routed("e0512", "110102007010003", "夜里烧烤噪音大").as_deref(),
            Some("street order in one street")
        );
        assert_eq!(
            routed("e0512", "110102006010003", "夜里烧烤噪音大").as_deref(),
            Some("noise")
        );
    }

    #[test]
    fn a_service_prefix_is_a_kind_a_class_or_a_sub_class() {
        assert!(routed("e0501", "110101001010001", "噪音").is_some());
        assert!(routed("e0512", "110101001010001", "噪音").is_some());
        // Another class of the same kind, and a code that merely shares digits.
        assert!(routed("e0301", "110101001010001", "噪音").is_none());
        assert!(routed("c0501", "110105001010001", "噪音").is_none());
        // The kind letter alone covers every component.
        assert!(routed("c0101", "110101001010001", "").is_some());
        assert!(routed("c0603", "110101001010001", "").is_some());
    }

    #[test]
    fn an_area_prefix_covers_the_area_and_what_is_inside_it() {
        assert!(routed("c0101", "110101", "").is_some());
        assert!(routed("c0101", "110101001", "").is_some());
        assert!(routed("c0101", "11010100101", "").is_some());
        assert!(routed("c0101", "110101001010001", "").is_some());
        assert!(routed("c0101", "110102001010001", "").is_none());
    }

    #[test]
    fn any_word_holds_and_case_does_not_matter() {
        assert_eq!(
            routed("e0510", "110105001010001", "NOISE at night").as_deref(),
            Some("noise")
        );
        assert!(routed("e0510", "110105001010001", "油烟很大").is_none());
    }

    #[test]
    fn the_destination_falls_back_to_the_sub_class_default_in_the_district() {
        let classes = Classification::parse(crate::classes::SHIPPED).unwrap();
        let rules = rules();
        let noise = rules
            .destination(&classes, "e0510", "110102001010001", "噪音")
            .unwrap();
        assert_eq!(noise.department.as_str(), "110102-STHJJ");
        assert_eq!(noise.rule.unwrap().name, "noise");
        let default = rules
            .destination(&classes, "e0504", "110102001010001", "门口有车")
            .unwrap();
        assert_eq!(default.department.as_str(), "110102-GAJ");
        assert!(default.rule.is_none());
        assert!(rules
            .destination(&classes, "e9999", "110102001010001", "")
            .is_none());
        assert!(rules.destination(&classes, "e0504", "1101", "").is_none());
    }

    #[test]
    fn a_bad_rule_is_named_by_its_number() {
        let cases = [
            (
                RULES.replacen("department = \"STHJJ\"", "", 1),
                2,
                "department",
            ),
            (
                RULES.replacen("service = \"c\"", "service = \"c5\"", 1),
                3,
                "c5",
            ),
            (
                RULES.replacen("area = \"110101\"", "area = \"1101\"", 1),
                3,
                "1101",
            ),
            (
                RULES.replacen("words = [\"噪音\"]", "word = [\"噪音\"]", 1),
                1,
                "word",
            ),
            (
                RULES.replacen("department = \"GAJ\"", "department = \"gaj\"", 1),
                1,
                "gaj",
            ),
            (
                RULES.replacen("words = [\"噪音\", \"Noise\"]", "words = [\" \"]", 1),
                2,
                "empty word",
            ),
            (
                format!("{RULES}\n[[rule]]\nname = \"everything\"\ndepartment = \"CGW\"\n"),
                4,
                "every report",
            ),
        ];
        for (text, number, mentions) in cases {
            let err = RoutingRules::parse(&text).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(err, RulesError::Rule { number: n, .. } if n == number),
                "{message}"
            );
            assert!(
                message.starts_with(&format!("rule {number}: ")),
                "{message}"
            );
            assert!(message.contains(mentions), "{message}");
        }
    }

    #[test]
    fn the_shipped_rules_load_and_name_known_departments() {
        let rules = RoutingRules::parse(SHIPPED).unwrap();
        assert_eq!(rules.version, "2026-12");
        assert!(rules.rules().len() >= 8);
        let classes = Classification::parse(crate::classes::SHIPPED).unwrap();
        // The grid covers 东城区 and 西城区: each rule's department must exist in both.
        let departments = egov_org::reference::DEMO_DEPARTMENTS;
        for rule in rules.rules() {
            for district in ["110101", "110102"] {
                let code = format!("code = \"{district}-{}\"", rule.department);
                assert!(departments.contains(&code), "{rule:?} in {district}");
            }
            if let Some(prefix) = &rule.service {
                assert!(
                    classes.services().any(|s| s.code().starts_with(prefix)),
                    "{rule:?} names no service"
                );
            }
        }
        let stall = rules
            .route("e0504", "110101006010001", "路口有人占道经营")
            .unwrap();
        assert_eq!(stall.department, "CGZFJ");
        let night_works = |cell| {
            rules
                .route("e0301", cell, "工地凌晨还在施工")
                .map(|r| r.department.as_str())
        };
        assert_eq!(night_works("110101006010001"), Some("CGZFJ"));
        assert_eq!(night_works("110102006010001"), None);
    }
}
