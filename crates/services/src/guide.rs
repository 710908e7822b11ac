//! A service item's guide (办事指南) as its file states it, checked at
//! load: the fields of 政务服务标准化管理办法 Art. 6, each from its list
//! where the law gives one.

use egov_cases::{FieldSchema, SchemaError};
use serde::{Deserialize, Serialize};

/// 事项类型.
pub const KINDS: &[&str] = &[
    "行政许可",
    "行政确认",
    "行政给付",
    "行政裁决",
    "行政奖励",
    "行政备案",
    "其他行政权力",
    "公共服务",
];

/// 服务对象: natural persons and legal persons.
pub const AUDIENCES: &[&str] = &["个人", "法人"];

/// 主题: the life events a citizen or an enterprise browses by.
pub const LIFE_EVENTS: &[&str] = &[
    "出生",
    "入学",
    "就业",
    "结婚",
    "生育",
    "住房",
    "社会保障",
    "医疗",
    "退休",
    "身后事",
    "出行",
    "开办企业",
    "经营许可",
    "建设项目",
    "纳税",
    "注销企业",
];

const ONLINE: &[&str] = &["全程网办", "网上申请、窗口领取", COUNTER_ONLY];
/// How far an item is handled online: not at all, only at a counter.
const COUNTER_ONLY: &str = "窗口办理";
const RESULT_KINDS: &[&str] = &["证照", "批文", "其他"];

pub type Audience = String;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub name: String,
    /// False: needed only in the cases the note names.
    pub required: bool,
    /// 容缺受理: may be supplied after acceptance, before the decision.
    pub later: bool,
    /// 材料形式与份数.
    pub form: String,
    #[serde(default)]
    pub note: String,
    /// The name, form and note in English, for readers who chose it (the
    /// Chinese is authoritative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

/// A guide's text in English, for readers who chose it; any part left out
/// is shown in Chinese. The Chinese text is authoritative.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideEnglish {
    pub conditions: Option<String>,
    pub result: Option<String>,
    pub fees: Option<String>,
    pub online: Option<String>,
    #[serde(default)]
    pub steps: Vec<String>,
    pub review_standard: Option<String>,
    pub scope: Option<String>,
    pub address: Option<String>,
    pub hours: Option<String>,
    pub consult: Option<String>,
    pub complain: Option<String>,
    #[serde(default)]
    pub legal_basis: Vec<String>,
}

/// One version of an item's guide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    pub code: String,
    pub version: u32,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: String,
    /// 实施主体: a department code.
    pub department: String,
    /// 联办机构: department codes; any makes it a joint (并联) item.
    #[serde(default)]
    pub co_departments: Vec<String>,
    pub audiences: Vec<Audience>,
    pub life_events: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub legal_basis: Vec<String>,
    pub conditions: String,
    /// 法定办结时限 in working days; 0 is 即办.
    pub statutory_days: u32,
    pub promised_days: u32,
    pub result: String,
    pub result_kind: String,
    pub fees: String,
    pub online: String,
    /// 到现场次数.
    pub visits: u32,
    pub steps: Vec<String>,
    pub review_standard: String,
    pub scope: String,
    pub address: String,
    pub hours: String,
    pub consult: String,
    pub complain: String,
    #[serde(rename = "material")]
    pub materials: Vec<Material>,
    /// 申请表: the fields the applicant fills online, in the case engine's
    /// schema subset (an object of named fields). None: the materials say it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Value>,
    /// The assurance level an applicant's account must have (1 phone
    /// confirmed, the default; 2 identity verified in person; 3 by a
    /// digital certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance_level: Option<u8>,
    /// The guide in English (`[en]`), where it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<GuideEnglish>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuideError {
    #[error("not a valid guide: {0}")]
    Parse(String),
    #[error("fields: {0}")]
    Fields(#[from] SchemaError),
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

fn bad(field: &'static str, message: impl Into<String>) -> GuideError {
    GuideError::Field {
        field,
        message: message.into(),
    }
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<(), GuideError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(bad(
            field,
            format!("'{value}' is not one of {}", allowed.join(", ")),
        ))
    }
}

fn filled(field: &'static str, value: &str, max: usize) -> Result<(), GuideError> {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        return Err(bad(field, format!("must be 1 to {max} characters")));
    }
    Ok(())
}

impl Guide {
    /// Whether the item can be applied for online (it is not handled at a
    /// service counter only).
    pub fn applied_for_online(&self) -> bool {
        self.online != COUNTER_ONLY
    }

    /// How well an applicant's identity must be established to apply (1
    /// unless the guide asks for more).
    pub fn assurance_needed(&self) -> u8 {
        self.assurance_level.unwrap_or(1)
    }

    /// Whether applicants of `audience` (个人 or 法人) may apply.
    pub fn serves(&self, audience: &str) -> bool {
        self.audiences.iter().any(|a| a == audience)
    }

    pub fn parse(text: &str) -> Result<Guide, GuideError> {
        let g: Guide = toml::from_str(text).map_err(|e| GuideError::Parse(e.to_string()))?;
        g.check()?;
        Ok(g)
    }

    /// The application form's schema; an item without one has an empty form.
    pub fn form_schema(&self) -> FieldSchema {
        let schema = self
            .fields
            .clone()
            .unwrap_or_else(|| serde_json::json!({ "type": "object", "properties": {} }));
        // Checked when the guide was parsed.
        FieldSchema::new(schema).expect("a parsed guide's form is valid")
    }

    /// Whether this item is handled jointly (并联审批).
    pub fn is_joint(&self) -> bool {
        !self.co_departments.is_empty()
    }

    fn check(&self) -> Result<(), GuideError> {
        let code_ok = (6..=32).contains(&self.code.len())
            && self
                .code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !code_ok {
            return Err(bad("code", "6 to 32 of A–Z, 0–9 and '-'"));
        }
        if self.version == 0 {
            return Err(bad("version", "versions start at 1"));
        }
        filled("name", &self.name, 200)?;
        one_of("kind", &self.kind, KINDS)?;
        one_of("online", &self.online, ONLINE)?;
        one_of("result_kind", &self.result_kind, RESULT_KINDS)?;
        if self.audiences.is_empty() {
            return Err(bad("audiences", "name 个人, 法人 or both"));
        }
        for a in &self.audiences {
            one_of("audiences", a, AUDIENCES)?;
        }
        for e in &self.life_events {
            one_of("life_events", e, LIFE_EVENTS)?;
        }
        if self.legal_basis.is_empty() {
            return Err(bad("legal_basis", "an item needs its legal basis"));
        }
        if self.promised_days > self.statutory_days {
            return Err(bad(
                "promised_days",
                "the promised time limit cannot exceed the statutory one",
            ));
        }
        if self.co_departments.contains(&self.department) {
            return Err(bad(
                "co_departments",
                "the implementing department is not its own co-handler",
            ));
        }
        for (field, value) in [
            ("conditions", &self.conditions),
            ("result", &self.result),
            ("fees", &self.fees),
            ("address", &self.address),
            ("consult", &self.consult),
            ("complain", &self.complain),
        ] {
            filled(field, value, 4000)?;
        }
        if self.steps.is_empty() {
            return Err(bad("steps", "name the steps of the process"));
        }
        if self.materials.is_empty() {
            return Err(bad("material", "list the materials an applicant brings"));
        }
        for m in &self.materials {
            filled("material.name", &m.name, 200)?;
        }
        if let Some(en) = &self.en {
            // A translation says the same things: step for step, basis for basis.
            if !en.steps.is_empty() && en.steps.len() != self.steps.len() {
                return Err(bad("en.steps", "give one English step for each step"));
            }
            if !en.legal_basis.is_empty() && en.legal_basis.len() != self.legal_basis.len() {
                return Err(bad(
                    "en.legal_basis",
                    "give one English entry for each legal basis",
                ));
            }
        }
        if let Some(fields) = &self.fields {
            if fields.get("type").and_then(serde_json::Value::as_str) != Some("object") {
                return Err(bad("fields", "the form is an object of named fields"));
            }
            FieldSchema::new(fields.clone())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: &str = r#"
code = "110105SCJGJ0001"
version = 1
name = "食品经营许可（新办）"
kind = "行政许可"
department = "110105-SCJGJ"
audiences = ["法人"]
life_events = ["经营许可"]
keywords = ["餐饮"]
legal_basis = ["《中华人民共和国食品安全法》第三十五条"]
conditions = "有与经营的食品品种、数量相适应的经营场所"
statutory_days = 20
promised_days = 10
result = "食品经营许可证"
result_kind = "证照"
fees = "不收费"
online = "全程网办"
visits = 0
steps = ["申请", "受理", "审查", "决定"]
review_standard = "按《食品经营许可审查通则》审查"
scope = "本区办理"
address = "朝阳区政务服务中心"
hours = "周一至周五 9:00–17:00"
consult = "12345"
complain = "12345"

[[material]]
name = "食品经营许可申请书"
required = true
later = false
form = "原件1份"
"#;

    const FIELDS: &str = r#"
[fields]
type = "object"
required = ["shop_name"]
[fields.properties.shop_name]
type = "string"
title = "店铺名称"
"maxLength" = 100
"#;

    #[test]
    fn the_form_is_checked_at_load_and_validates_what_is_typed() {
        let g = Guide::parse(&format!("{ITEM}{FIELDS}")).unwrap();
        let schema = g.form_schema();
        assert!(schema
            .validate(&serde_json::json!({ "shop_name": "小王餐馆" }))
            .is_empty());
        assert_eq!(schema.validate(&serde_json::json!({})).len(), 1);
        // No form: nothing to fill, and nothing may be sent.
        let plain = Guide::parse(ITEM).unwrap();
        assert!(plain
            .form_schema()
            .validate(&serde_json::json!({}))
            .is_empty());
        assert!(!plain
            .form_schema()
            .validate(&serde_json::json!({ "x": 1 }))
            .is_empty());
        for bad in [
            FIELDS.replace("type = \"object\"", "type = \"string\""),
            FIELDS.replace("\"maxLength\" = 100", "pattern = \"x\""),
            FIELDS.replace("required = [\"shop_name\"]", "required = [\"owner\"]"),
        ] {
            assert!(
                matches!(
                    Guide::parse(&format!("{ITEM}{bad}")),
                    Err(GuideError::Fields(_) | GuideError::Field { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_complete_guide_loads() {
        let g = Guide::parse(ITEM).unwrap();
        assert_eq!(g.materials.len(), 1);
        assert!(!g.is_joint());
    }

    #[test]
    fn guides_outside_the_lists_or_the_law_are_refused() {
        for (from, to, field) in [
            ("kind = \"行政许可\"", "kind = \"许可\"", "kind"),
            (
                "audiences = [\"法人\"]",
                "audiences = [\"企业\"]",
                "audiences",
            ),
            ("promised_days = 10", "promised_days = 30", "promised_days"),
            ("code = \"110105SCJGJ0001\"", "code = \"a b\"", "code"),
            ("version = 1", "version = 0", "version"),
            (
                "legal_basis = [\"《中华人民共和国食品安全法》第三十五条\"]",
                "legal_basis = []",
                "legal_basis",
            ),
            ("online = \"全程网办\"", "online = \"网办\"", "online"),
        ] {
            let text = ITEM.replace(from, to);
            match Guide::parse(&text) {
                Err(GuideError::Field { field: f, .. }) => assert_eq!(f, field, "{to}"),
                other => panic!("{to}: {other:?}"),
            }
        }
        assert!(matches!(
            Guide::parse(&format!("{ITEM}\nunknown = 1")),
            Err(GuideError::Parse(_))
        ));
    }
}
