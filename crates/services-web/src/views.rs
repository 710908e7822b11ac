//! What goes in and out of the service hall's use cases, shaped for JSON
//! (documented in the OpenAPI document) and read by the pages alike.

use egov_kernel::time::Timestamp;
use egov_services::application::ApplicationStatus;
use egov_services::{Guide, GuideEnglish, Material};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Department names by code: the Chinese and, where kept, the English.
pub type DepartmentNames = HashMap<String, (String, Option<String>)>;

#[derive(Serialize, ToSchema)]
pub struct ServiceSummary {
    #[schema(example = "110105SCJGJ0001")]
    pub code: String,
    pub version: u32,
    pub name: String,
    pub name_en: Option<String>,
    /// 事项类型, e.g. 行政许可.
    pub kind: String,
    pub department_code: String,
    pub department_name: String,
    pub department_name_en: Option<String>,
    /// 个人 and/or 法人.
    pub audiences: Vec<String>,
    pub life_events: Vec<String>,
    /// Handled jointly by several departments (并联审批).
    pub joint: bool,
    /// 法定办结时限, working days (0: on the spot).
    pub statutory_days: u32,
    /// 承诺办结时限, working days.
    pub promised_days: u32,
    /// 办理形式.
    pub online: String,
    /// 到现场次数.
    pub visits: u32,
}

impl ServiceSummary {
    /// The item's name in `locale` (the Chinese one where no English one is kept).
    pub fn name_in(&self, locale: egov_kernel::Locale) -> &str {
        egov_web_kit::page::localized_ref(locale, &self.name, self.name_en.as_deref())
    }
}

impl ServiceSummary {
    pub fn new(g: &Guide, names: &DepartmentNames) -> Self {
        let (department_name, department_name_en) =
            names.get(&g.department).cloned().unwrap_or_default();
        ServiceSummary {
            code: g.code.clone(),
            version: g.version,
            name: g.name.clone(),
            name_en: g.name_en.clone(),
            kind: g.kind.clone(),
            department_code: g.department.clone(),
            department_name,
            department_name_en,
            audiences: g.audiences.clone(),
            life_events: g.life_events.clone(),
            joint: g.is_joint(),
            statutory_days: g.statutory_days,
            promised_days: g.promised_days,
            online: g.online.clone(),
            visits: g.visits,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MaterialView {
    pub name: String,
    pub required: bool,
    /// 容缺受理: may be supplied after acceptance.
    pub later: bool,
    pub form: String,
    pub note: String,
    /// The name, form and note in English where the guide gives them.
    pub name_en: Option<String>,
    pub form_en: Option<String>,
    pub note_en: Option<String>,
}

impl From<&Material> for MaterialView {
    fn from(m: &Material) -> Self {
        MaterialView {
            name: m.name.clone(),
            required: m.required,
            later: m.later,
            form: m.form.clone(),
            note: m.note.clone(),
            name_en: m.name_en.clone(),
            form_en: m.form_en.clone(),
            note_en: m.note_en.clone(),
        }
    }
}

/// A guide's text in English, for readers who chose it; what it leaves out
/// stays Chinese. The Chinese text is authoritative.
#[derive(Serialize, ToSchema, Default)]
pub struct GuideEnglishView {
    pub conditions: Option<String>,
    pub result: Option<String>,
    pub fees: Option<String>,
    pub steps: Vec<String>,
    pub review_standard: Option<String>,
    pub scope: Option<String>,
    pub address: Option<String>,
    pub hours: Option<String>,
    pub consult: Option<String>,
    pub complain: Option<String>,
    pub legal_basis: Vec<String>,
}

impl From<&GuideEnglish> for GuideEnglishView {
    fn from(e: &GuideEnglish) -> Self {
        GuideEnglishView {
            conditions: e.conditions.clone(),
            result: e.result.clone(),
            fees: e.fees.clone(),
            steps: e.steps.clone(),
            review_standard: e.review_standard.clone(),
            scope: e.scope.clone(),
            address: e.address.clone(),
            hours: e.hours.clone(),
            consult: e.consult.clone(),
            complain: e.complain.clone(),
            legal_basis: e.legal_basis.clone(),
        }
    }
}

/// The whole 办事指南 of an item on offer.
#[derive(Serialize, ToSchema)]
pub struct GuideView {
    #[serde(flatten)]
    pub summary: ServiceSummary,
    /// 联办机构: department codes and names.
    pub co_departments: Vec<DepartmentRef>,
    pub keywords: Vec<String>,
    pub legal_basis: Vec<String>,
    pub conditions: String,
    pub result: String,
    pub result_kind: String,
    pub fees: String,
    pub steps: Vec<String>,
    pub review_standard: String,
    pub scope: String,
    pub address: String,
    pub hours: String,
    pub consult: String,
    pub complain: String,
    pub materials: Vec<MaterialView>,
    /// The guide in English, where it is written.
    pub en: Option<GuideEnglishView>,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentRef {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
}

/// A guide with no English written.
static NO_ENGLISH: GuideEnglishView = GuideEnglishView {
    conditions: None,
    result: None,
    fees: None,
    steps: Vec::new(),
    review_standard: None,
    scope: None,
    address: None,
    hours: None,
    consult: None,
    complain: None,
    legal_basis: Vec::new(),
};

impl GuideView {
    /// What is written in English (nothing, where the guide has none).
    pub fn english(&self) -> &GuideEnglishView {
        self.en.as_ref().unwrap_or(&NO_ENGLISH)
    }

    /// Step `i` in English, if written.
    pub fn step_en(&self, i: usize) -> Option<&str> {
        self.english().steps.get(i).map(String::as_str)
    }

    /// Legal basis `i` in English, if written.
    pub fn basis_en(&self, i: usize) -> Option<&str> {
        self.english().legal_basis.get(i).map(String::as_str)
    }

    pub fn new(g: &Guide, names: &DepartmentNames) -> Self {
        GuideView {
            summary: ServiceSummary::new(g, names),
            co_departments: g
                .co_departments
                .iter()
                .map(|c| {
                    let (name, name_en) = names.get(c).cloned().unwrap_or_default();
                    DepartmentRef {
                        code: c.clone(),
                        name,
                        name_en,
                    }
                })
                .collect(),
            keywords: g.keywords.clone(),
            legal_basis: g.legal_basis.clone(),
            conditions: g.conditions.clone(),
            result: g.result.clone(),
            result_kind: g.result_kind.clone(),
            fees: g.fees.clone(),
            steps: g.steps.clone(),
            review_standard: g.review_standard.clone(),
            scope: g.scope.clone(),
            address: g.address.clone(),
            hours: g.hours.clone(),
            consult: g.consult.clone(),
            complain: g.complain.clone(),
            materials: g.materials.iter().map(MaterialView::from).collect(),
            en: g.en.as_ref().map(GuideEnglishView::from),
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// A department code, e.g. 110105-SCJGJ.
    pub department: Option<String>,
    /// 个人 or 法人.
    pub audience: Option<String>,
    /// A life event (主题), e.g. 开办企业.
    pub life_event: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<ServiceSummary>,
}

/// An item's place in its life: `draft`, `published` or `withdrawn`, and a
/// newer version waiting to be published.
#[derive(Serialize, ToSchema)]
pub struct ItemState {
    pub code: String,
    pub version: u32,
    pub status: String,
    pub draft_version: Option<u32>,
}

impl From<&egov_services::ServiceItem> for ItemState {
    fn from(i: &egov_services::ServiceItem) -> Self {
        ItemState {
            code: i.guide.code.clone(),
            version: i.guide.version,
            status: i.status.as_str().to_owned(),
            draft_version: i.draft_version,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for, in Chinese or English; partial words match, and
    /// the synonym list widens it (营业执照 finds 个体工商户登记).
    #[param(example = "营业执照")]
    pub q: Option<String>,
    /// 个人 or 法人.
    pub audience: Option<String>,
    pub life_event: Option<String>,
    /// A department code.
    pub department: Option<String>,
    /// At most 100 (default 20).
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    /// All matching items, not just this page.
    pub total: usize,
    pub items: Vec<ServiceSummary>,
    /// Counts by audience, life event and department over all matches.
    pub facets: std::collections::BTreeMap<String, Vec<FacetCount>>,
    /// No item has every word searched for: these have some of them, those
    /// with the most first.
    pub partial: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationFileView {
    pub id: i64,
    /// The guide's material this file is (its index) and its name.
    pub material: i32,
    pub material_name: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

/// A draft or filed application.
#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    pub item_code: String,
    /// The guide version it was begun under.
    pub item_version: i32,
    /// `draft` or `filed`.
    #[schema(value_type = String)]
    pub status: ApplicationStatus,
    /// What was typed into the item's form (its guide's `fields`).
    #[schema(value_type = Object)]
    pub form: Value,
    pub note: String,
    pub files: Vec<ApplicationFileView>,
    /// The materials the guide requires now that no file answers yet.
    pub missing: Vec<String>,
    /// The case it opened, once filed.
    pub case_number: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    /// The item's form as a JSON object; it may be incomplete until filing.
    #[schema(value_type = Object)]
    pub form: Value,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    /// A key of the client's (16 to 128 characters) that makes filing
    /// idempotent: the same key files once and answers the same case.
    pub key: String,
}
