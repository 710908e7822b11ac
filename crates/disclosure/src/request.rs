//! A request for government information as the applicant makes it (Art. 29
//! of the 2019 rules): the agency asked, a description by which the
//! information can be found, who asks (a person, or an organisation of one
//! of the annual report's kinds) and how they want it. Checked here, before
//! anything is stored; the applicant's name, identity and contact are their
//! account's.

use serde::{Deserialize, Serialize};

/// A description shorter than this cannot name a document.
const INFORMATION_MIN: usize = 10;
const INFORMATION_MAX: usize = 2000;
const ORGANIZATION_MAX: usize = 100;
const ADDRESS_MAX: usize = 200;

/// Words that ask without naming anything: a description that is nothing
/// but these ("申请公开贵单位所有信息") names no information the agency could
/// look for, whatever its length.
const FILLER: &[&str] = &[
    "申请",
    "请求",
    "要求",
    "公开",
    "提供",
    "请",
    "贵单位",
    "贵机关",
    "贵局",
    "贵委",
    "你单位",
    "你们",
    "本单位",
    "的",
    "了",
    "所有",
    "全部",
    "一切",
    "相关",
    "政府",
    "信息",
    "文件",
    "资料",
    "材料",
];

/// A description must keep this many letters or characters once the filler
/// is taken out.
const NAMING_MIN: usize = 4;

/// Who asks, as the annual report's table counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// 自然人
    Person,
    /// 商业企业
    Business,
    /// 科研机构
    Research,
    /// 社会公益组织
    PublicInterest,
    /// 法律服务机构
    LegalService,
    /// 其他
    Other,
}

impl ApplicantKind {
    pub const ALL: [ApplicantKind; 6] = [
        ApplicantKind::Person,
        ApplicantKind::Business,
        ApplicantKind::Research,
        ApplicantKind::PublicInterest,
        ApplicantKind::LegalService,
        ApplicantKind::Other,
    ];

    pub fn parse(s: &str) -> Option<ApplicantKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicantKind::Person => "person",
            ApplicantKind::Business => "business",
            ApplicantKind::Research => "research",
            ApplicantKind::PublicInterest => "public_interest",
            ApplicantKind::LegalService => "legal_service",
            ApplicantKind::Other => "other",
        }
    }

    /// The word the case holds and the annual report's column is headed by.
    pub fn word(self) -> &'static str {
        match self {
            ApplicantKind::Person => "自然人",
            ApplicantKind::Business => "商业企业",
            ApplicantKind::Research => "科研机构",
            ApplicantKind::PublicInterest => "社会公益组织",
            ApplicantKind::LegalService => "法律服务机构",
            ApplicantKind::Other => "其他",
        }
    }

    pub fn from_word(word: &str) -> Option<ApplicantKind> {
        Self::ALL.into_iter().find(|k| k.word() == word)
    }

    /// The column of the annual report's table (0 自然人 … 5 其他).
    pub fn column(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(5)
    }
}

/// The form the information is wanted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Paper,
    Electronic,
}

/// How the applicant gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// On this platform, on the request's page.
    Online,
    Email,
    Post,
    /// Collected at the agency.
    Collect,
}

/// A request as submitted.
#[derive(Debug, Clone, Deserialize)]
pub struct NewRequest {
    /// The agency asked, by its department code.
    pub department: String,
    pub information: String,
    pub applicant_kind: String,
    #[serde(default)]
    pub organization: Option<String>,
    pub form: String,
    pub delivery: String,
    #[serde(default)]
    pub address: Option<String>,
}

/// Why a request was not taken; nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("name an agency to ask")]
    NoAgency,
    #[error("no agency with code {0}")]
    UnknownAgency(String),
    #[error("describe the information: its title, document number or what it is about, {INFORMATION_MIN} to {INFORMATION_MAX} characters")]
    Information,
    #[error(
        "the request names no information in particular: say which documents or facts you want"
    )]
    NothingIdentifiable,
    #[error("say who asks: a person or an organisation of one of the listed kinds")]
    ApplicantKind,
    #[error(
        "an organisation asks in its name: give the name (at most {ORGANIZATION_MAX} characters)"
    )]
    Organization,
    #[error("choose paper or electronic form")]
    Form,
    #[error("choose how to get the information")]
    Delivery,
    #[error("information sent by post needs a postal address (at most {ADDRESS_MAX} characters)")]
    Address,
}

impl RequestError {
    /// The form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            RequestError::NoAgency | RequestError::UnknownAgency(_) => "department",
            RequestError::Information | RequestError::NothingIdentifiable => "information",
            RequestError::ApplicantKind => "applicant_kind",
            RequestError::Organization => "organization",
            RequestError::Form => "form",
            RequestError::Delivery => "delivery",
            RequestError::Address => "address",
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            RequestError::NoAgency => "请选择受理机关".into(),
            RequestError::UnknownAgency(c) => format!("没有代码为 {c} 的机关"),
            RequestError::Information => format!(
                "请写明所需政府信息的名称、文号或便于查询的特征性描述（{INFORMATION_MIN} 至 {INFORMATION_MAX} 字）"
            ),
            RequestError::NothingIdentifiable => {
                "申请内容没有指向具体的政府信息，请写明需要哪些文件或事项".into()
            }
            RequestError::ApplicantKind => "请选择申请人类型".into(),
            RequestError::Organization => {
                format!("以单位名义申请的，请填写单位名称（不超过 {ORGANIZATION_MAX} 字）")
            }
            RequestError::Form => "请选择纸质或电子形式".into(),
            RequestError::Delivery => "请选择获取信息的方式".into(),
            RequestError::Address => {
                format!("选择邮寄的，请填写邮寄地址（不超过 {ADDRESS_MAX} 字）")
            }
        }
    }
}

/// A request that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub department: String,
    pub information: String,
    pub applicant_kind: ApplicantKind,
    pub organization: Option<String>,
    pub form: Form,
    pub delivery: Delivery,
    pub address: Option<String>,
}

fn enum_of<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).ok()
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl NewRequest {
    /// The request checked field by field, the first fault named.
    pub fn check(&self) -> Result<Checked, RequestError> {
        let department = self.department.trim();
        if department.is_empty() {
            return Err(RequestError::NoAgency);
        }
        let information = self.information.trim();
        let length = information.chars().count();
        if !(INFORMATION_MIN..=INFORMATION_MAX).contains(&length) {
            return Err(RequestError::Information);
        }
        if !identifiable(information) {
            return Err(RequestError::NothingIdentifiable);
        }
        let applicant_kind =
            ApplicantKind::parse(self.applicant_kind.trim()).ok_or(RequestError::ApplicantKind)?;
        let organization = trimmed(&self.organization);
        match (&organization, applicant_kind) {
            (Some(o), _) if o.chars().count() > ORGANIZATION_MAX => {
                return Err(RequestError::Organization)
            }
            (None, kind) if kind != ApplicantKind::Person => {
                return Err(RequestError::Organization)
            }
            _ => {}
        }
        let form: Form = enum_of(&self.form).ok_or(RequestError::Form)?;
        let delivery: Delivery = enum_of(&self.delivery).ok_or(RequestError::Delivery)?;
        let address = trimmed(&self.address);
        match (&address, delivery) {
            (Some(a), _) if a.chars().count() > ADDRESS_MAX => return Err(RequestError::Address),
            (None, Delivery::Post) => return Err(RequestError::Address),
            _ => {}
        }
        Ok(Checked {
            department: department.to_owned(),
            information: information.to_owned(),
            applicant_kind,
            // A person asks in their own name.
            organization: organization.filter(|_| applicant_kind != ApplicantKind::Person),
            form,
            delivery,
            address,
        })
    }
}

/// Whether a description points at something: what is left of its words
/// (letters and characters, not punctuation) once the words that only ask
/// are taken out.
fn identifiable(text: &str) -> bool {
    let mut rest: String = text.chars().filter(|c| c.is_alphanumeric()).collect();
    for word in FILLER {
        rest = rest.replace(word, "");
    }
    rest.chars().count() >= NAMING_MIN
}

impl Form {
    pub fn word(self) -> &'static str {
        match self {
            Form::Paper => "纸质",
            Form::Electronic => "电子",
        }
    }
}

impl Delivery {
    pub fn word(self) -> &'static str {
        match self {
            Delivery::Online => "在线查看",
            Delivery::Email => "电子邮件",
            Delivery::Post => "邮寄",
            Delivery::Collect => "当面领取",
        }
    }
}

impl Checked {
    /// The case's title: the first words of the description.
    pub fn title(&self) -> String {
        let head: String = self.information.chars().take(30).collect();
        let more = self.information.chars().count() > 30;
        format!("政府信息公开申请：{head}{}", if more { "…" } else { "" })
    }

    /// The case's start fields, as the process's schema checks them: the
    /// choices in the words the case page shows (and the report counts).
    pub fn case_data(&self) -> serde_json::Value {
        // The agency is the case's owner; `form` is the page's own key on
        // a case (the hall's form), so the medium goes by its own name.
        let mut data = serde_json::json!({
            "information": self.information,
            "applicant_kind": self.applicant_kind.word(),
            "medium": self.form.word(),
            "delivery": self.delivery.word(),
        });
        if let Some(o) = &self.organization {
            data["organization"] = o.clone().into();
        }
        if let Some(a) = &self.address {
            data["address"] = a.clone().into();
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> NewRequest {
        NewRequest {
            department: "110000-GHZRZYW".into(),
            information: "2025年本市城市更新项目的立项批复文件及文号".into(),
            applicant_kind: "person".into(),
            organization: None,
            form: "electronic".into(),
            delivery: "online".into(),
            address: None,
        }
    }

    #[test]
    fn a_described_request_passes() {
        let c = request().check().expect("checked");
        assert_eq!(c.applicant_kind, ApplicantKind::Person);
        assert_eq!(c.delivery, Delivery::Online);
        assert!(c.title().starts_with("政府信息公开申请：2025年"));
    }

    #[test]
    fn a_request_for_everything_names_nothing() {
        for text in [
            "申请公开贵单位所有信息",
            "请提供全部政府信息。",
            "！！！！！！！！！！！！",
        ] {
            let mut r = request();
            r.information = text.into();
            let e = r.check().expect_err(text);
            assert!(
                matches!(
                    e,
                    RequestError::NothingIdentifiable | RequestError::Information
                ),
                "{text}: {e:?}"
            );
        }
    }

    #[test]
    fn an_organisation_names_itself_and_post_needs_an_address() {
        let mut r = request();
        r.applicant_kind = "legal_service".into();
        assert_eq!(r.check(), Err(RequestError::Organization));
        r.organization = Some("北京某律师事务所".into());
        r.delivery = "post".into();
        assert_eq!(r.check(), Err(RequestError::Address));
        r.address = Some("北京市东城区某街1号".into());
        let c = r.check().expect("checked");
        assert_eq!(c.applicant_kind.column(), 4);
        r.applicant_kind = "nobody".into();
        assert_eq!(r.check(), Err(RequestError::ApplicantKind));
    }

    #[test]
    fn the_case_data_is_what_the_process_checks() {
        let c = request().check().expect("checked");
        let data = c.case_data();
        assert_eq!(data["applicant_kind"], "自然人");
        assert_eq!(data["medium"], "电子");
        assert!(data.get("organization").is_none());
    }
}
