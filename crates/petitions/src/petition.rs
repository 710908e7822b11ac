//! A petition as it is registered: the agency it is brought to, how it came
//! (online, by letter, in person, by phone), its kind of matter, what it
//! says and asks, how many bring it, and who they are. Checked here before
//! anything is stored. An online petitioner is their real-name account; a
//! letter, a visit or a call is registered by staff with the name and a way
//! to reach the petitioner, so that the written notices reach them.

use crate::settings::Settings;
use egov_kernel::identifier::ResidentId;
use serde::{Deserialize, Serialize};

const MATTER_MIN: usize = 10;
const MATTER_MAX: usize = 5000;
const REQUEST_MIN: usize = 2;
const REQUEST_MAX: usize = 1000;
const NAME_MAX: usize = 40;
const ADDRESS_MAX: usize = 200;
const PETITIONERS_MAX: u32 = 10_000;

/// How a petition came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 网上信访: the petitioner, signed in.
    Online,
    /// 来信
    Letter,
    /// 来访
    Visit,
    /// 电话
    Phone,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Online,
        Channel::Letter,
        Channel::Visit,
        Channel::Phone,
    ];
    /// What staff register for a petitioner.
    pub const BY_STAFF: [Channel; 3] = [Channel::Letter, Channel::Visit, Channel::Phone];

    pub fn parse(s: &str) -> Option<Channel> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.word() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Letter => "letter",
            Channel::Visit => "visit",
            Channel::Phone => "phone",
        }
    }

    /// The word the case holds.
    pub fn word(self) -> &'static str {
        match self {
            Channel::Online => "网上信访",
            Channel::Letter => "来信",
            Channel::Visit => "来访",
            Channel::Phone => "电话",
        }
    }

    pub fn word_en(self) -> &'static str {
        match self {
            Channel::Online => "Online",
            Channel::Letter => "Letter",
            Channel::Visit => "Visit",
            Channel::Phone => "Phone",
        }
    }
}

/// Who brings the petition, as staff record them (an online petitioner's
/// come from their account).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Petitioner {
    #[serde(default)]
    pub name: String,
    /// 公民身份号码, when given: what tells a repeat petition best.
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

impl Petitioner {
    /// The petitioner as those who may not see them whole are shown them.
    pub fn masked(&self) -> Petitioner {
        use egov_kernel::identifier::{mask_person_name, mask_phone};
        Petitioner {
            name: mask_person_name(&self.name),
            id_number: self.id_number.as_deref().map(|id| {
                ResidentId::parse(id)
                    .map(|id| id.masked())
                    .unwrap_or_else(|_| "*".repeat(id.chars().count()))
            }),
            phone: self.phone.as_deref().map(mask_phone),
            address: self.address.as_ref().map(|_| "******".to_owned()),
        }
    }

    /// Who this is, for telling repeats: the ID number, else the phone,
    /// else the name (weakest: two people share a name).
    pub fn key(&self) -> String {
        match (&self.id_number, &self.phone) {
            (Some(id), _) => format!("id:{id}"),
            (None, Some(phone)) => format!("phone:{phone}"),
            (None, None) => format!("name:{}", self.name),
        }
    }
}

/// A petition as registered.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewPetition {
    /// The code of the agency it is brought to.
    pub department: String,
    /// `letter`, `visit` or `phone` (or their words) when staff register
    /// it; an online petition's is `online` whatever is sent.
    #[serde(default)]
    pub channel: String,
    pub category: String,
    /// What happened: the facts.
    pub matter: String,
    /// What the petitioner asks for.
    pub request: String,
    /// How many bring it together (联名, 集体访); one when not said.
    #[serde(default)]
    pub petitioners: Option<u32>,
    /// Who they are, when staff register it.
    #[serde(default)]
    pub petitioner: Petitioner,
}

/// A petition checked: what registration stores.
#[derive(Debug, Clone)]
pub struct Checked {
    pub department: String,
    pub channel: Channel,
    pub category: String,
    pub matter: String,
    pub request: String,
    pub petitioners: u32,
    pub petitioner: Petitioner,
}

/// Who registers the petition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrar {
    /// The petitioner, signed in: online.
    Petitioner { user_id: i64 },
    /// Staff of the agency, for a letter, a visit or a call.
    Staff { user_id: i64, department_id: i64 },
}

/// Why a petition was not registered; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PetitionError {
    #[error("no agency '{0}'")]
    UnknownAgency(String),
    #[error("staff register petitions that came by letter, in person or by phone")]
    Channel,
    #[error("no kind of matter '{0}'")]
    Category(String),
    #[error("the matter must be {MATTER_MIN} to {MATTER_MAX} characters")]
    Matter,
    #[error("the request must be {REQUEST_MIN} to {REQUEST_MAX} characters")]
    Request,
    #[error("the petitioner's name is missing or longer than {NAME_MAX} characters")]
    Name,
    #[error("'{0}' is not a resident ID number")]
    IdNumber(String),
    #[error("'{0}' is not a phone number")]
    Phone(String),
    #[error("a phone number or an address is needed to send the petitioner the notices")]
    ContactMissing,
    #[error("the address must be at most {ADDRESS_MAX} characters")]
    Address,
    #[error("the number of petitioners must be 1 to {PETITIONERS_MAX}")]
    Petitioners,
    #[error("the account has no verified name to petition under")]
    NoRealName,
    #[error("the same matter was closed by a re-review (复核) in petition {0} and is not accepted again")]
    ClosedByRecheck(String),
}

impl PetitionError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            PetitionError::UnknownAgency(a) => format!("没有“{a}”这个机关"),
            PetitionError::Channel => "工作人员登记的信访事项应为来信、来访或电话".into(),
            PetitionError::Category(c) => format!("没有“{c}”这类问题"),
            PetitionError::Matter => {
                format!("信访事项应为 {MATTER_MIN} 至 {MATTER_MAX} 个字，写明事实经过")
            }
            PetitionError::Request => {
                format!("信访诉求应为 {REQUEST_MIN} 至 {REQUEST_MAX} 个字")
            }
            PetitionError::Name => format!("请填写信访人姓名（不超过 {NAME_MAX} 个字）"),
            PetitionError::IdNumber(n) => format!("“{n}”不是有效的公民身份号码"),
            PetitionError::Phone(p) => format!("“{p}”不是有效的电话号码"),
            PetitionError::ContactMissing => {
                "请留下信访人的电话或通讯地址，以便送达告知书和处理意见".into()
            }
            PetitionError::Address => format!("通讯地址不超过 {ADDRESS_MAX} 个字"),
            PetitionError::Petitioners => {
                format!("信访人数应为 1 至 {PETITIONERS_MAX} 人")
            }
            PetitionError::NoRealName => "请先完成实名认证再提出网上信访".into(),
            PetitionError::ClosedByRecheck(n) => {
                format!("同一信访事项已于信访件 {n} 复核终结，依据《信访工作条例》不再受理")
            }
        }
    }
}

fn optional(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A phone number as a caller gives it: a mobile or a landline, digits
/// with an area code's hyphen.
fn phone(raw: &str) -> Result<String, PetitionError> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let shaped = s.chars().all(|c| c.is_ascii_digit() || c == '-') && (7..=15).contains(&digits);
    match shaped {
        true => Ok(s),
        false => Err(PetitionError::Phone(raw.trim().to_owned())),
    }
}

impl NewPetition {
    /// Checks the petition as `registrar` brings it. `account` is the
    /// online petitioner's (their real name, ID and phone).
    pub fn check(
        self,
        settings: &Settings,
        registrar: Registrar,
        account: Option<Petitioner>,
    ) -> Result<Checked, PetitionError> {
        let channel = match registrar {
            Registrar::Petitioner { .. } => Channel::Online,
            Registrar::Staff { .. } => Channel::parse(self.channel.trim())
                .filter(|c| Channel::BY_STAFF.contains(c))
                .ok_or(PetitionError::Channel)?,
        };
        let category = self.category.trim().to_owned();
        if settings.category(&category).is_none() {
            return Err(PetitionError::Category(category));
        }
        let matter = self.matter.trim().to_owned();
        if !(MATTER_MIN..=MATTER_MAX).contains(&matter.chars().count()) {
            return Err(PetitionError::Matter);
        }
        let request = self.request.trim().to_owned();
        if !(REQUEST_MIN..=REQUEST_MAX).contains(&request.chars().count()) {
            return Err(PetitionError::Request);
        }
        let petitioners = self.petitioners.unwrap_or(1);
        if !(1..=PETITIONERS_MAX).contains(&petitioners) {
            return Err(PetitionError::Petitioners);
        }
        let petitioner = match account {
            Some(own) => own,
            None => check_petitioner(self.petitioner)?,
        };
        Ok(Checked {
            department: self.department.trim().to_owned(),
            channel,
            category,
            matter,
            request,
            petitioners,
            petitioner,
        })
    }
}

fn check_petitioner(p: Petitioner) -> Result<Petitioner, PetitionError> {
    let name = p.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(PetitionError::Name);
    }
    let id_number = optional(p.id_number.as_deref())
        .map(|raw| {
            ResidentId::parse(&raw)
                .map(|id| id.as_str().to_owned())
                .map_err(|_| PetitionError::IdNumber(raw))
        })
        .transpose()?;
    let phone = optional(p.phone.as_deref())
        .map(|p| phone(&p))
        .transpose()?;
    let address = optional(p.address.as_deref());
    if address
        .as_ref()
        .is_some_and(|a| a.chars().count() > ADDRESS_MAX)
    {
        return Err(PetitionError::Address);
    }
    if phone.is_none() && address.is_none() {
        return Err(PetitionError::ContactMissing);
    }
    Ok(Petitioner {
        name,
        id_number,
        phone,
        address,
    })
}

impl Checked {
    /// The case's title: the request, cut to fit a list.
    pub fn title(&self) -> String {
        let cut: String = self.request.chars().take(40).collect();
        match self.request.chars().count() > 40 {
            true => format!("{cut}…"),
            false => cut,
        }
    }

    /// What the case holds (the petitioner is kept apart, for those who
    /// may see them).
    pub fn case_data(&self) -> serde_json::Value {
        serde_json::json!({
            "channel": self.channel.word(),
            "category": self.category,
            "matter": self.matter,
            "request": self.request,
            "petitioners": self.petitioners,
        })
    }

    /// The text two petitions are compared by.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.matter, self.request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> NewPetition {
        NewPetition {
            department: "SZJW".into(),
            channel: "来信".into(),
            category: "住房保障".into(),
            matter: "小区地下室长期积水，多次反映物业未处理。".into(),
            request: "尽快排水并修复防水层".into(),
            petitioners: None,
            petitioner: Petitioner {
                name: "张三".into(),
                id_number: Some("11010519491231002x".into()),
                phone: None,
                address: Some("北京市朝阳区某街1号".into()),
            },
        }
    }

    fn staff() -> Registrar {
        Registrar::Staff {
            user_id: 1,
            department_id: 1,
        }
    }

    #[test]
    fn a_letter_is_checked_and_its_petitioner_kept_whole() {
        let checked = letter().check(Settings::shipped(), staff(), None).unwrap();
        assert_eq!(checked.channel, Channel::Letter);
        assert_eq!(checked.petitioners, 1);
        assert_eq!(
            checked.petitioner.id_number.as_deref(),
            Some("11010519491231002X")
        );
        assert_eq!(checked.petitioner.key(), "id:11010519491231002X");
        assert_eq!(
            checked.petitioner.masked().id_number.as_deref(),
            Some("110105********002X")
        );
        assert_eq!(checked.case_data()["channel"], "来信");
        assert!(checked.case_data().get("petitioner").is_none());
    }

    #[test]
    fn bad_petitions_are_refused() {
        let s = Settings::shipped();
        type Spoil = Box<dyn Fn(&mut NewPetition)>;
        let cases: Vec<(Spoil, PetitionError)> = vec![
            (
                Box::new(|p| p.channel = "网上信访".into()),
                PetitionError::Channel,
            ),
            (
                Box::new(|p| p.category = "闲聊".into()),
                PetitionError::Category("闲聊".into()),
            ),
            (
                Box::new(|p| p.matter = "太短".into()),
                PetitionError::Matter,
            ),
            (Box::new(|p| p.request = " ".into()), PetitionError::Request),
            (
                Box::new(|p| p.petitioner.name = "".into()),
                PetitionError::Name,
            ),
            (
                Box::new(|p| p.petitioner.id_number = Some("110105194912310021".into())),
                PetitionError::IdNumber("110105194912310021".into()),
            ),
            (
                Box::new(|p| p.petitioner.address = None),
                PetitionError::ContactMissing,
            ),
            (
                Box::new(|p| {
                    p.petitioner.address = None;
                    p.petitioner.phone = Some("call me".into());
                }),
                PetitionError::Phone("call me".into()),
            ),
            (
                Box::new(|p| p.petitioners = Some(0)),
                PetitionError::Petitioners,
            ),
        ];
        for (spoil, want) in cases {
            let mut p = letter();
            spoil(&mut p);
            assert_eq!(p.check(s, staff(), None).unwrap_err(), want);
        }
    }

    #[test]
    fn an_online_petition_is_online_and_its_petitioner_the_account() {
        let own = Petitioner {
            name: "李四".into(),
            id_number: None,
            phone: Some("13800138000".into()),
            address: None,
        };
        let mut p = letter();
        p.channel = "来访".into();
        p.petitioner = Petitioner::default();
        let checked = p
            .check(
                Settings::shipped(),
                Registrar::Petitioner { user_id: 7 },
                Some(own.clone()),
            )
            .unwrap();
        assert_eq!(checked.channel, Channel::Online);
        assert_eq!(checked.petitioner, own);
        assert_eq!(checked.petitioner.key(), "phone:13800138000");
    }

    #[test]
    fn landlines_pass_and_words_do_not() {
        assert_eq!(phone("010-6512 3456").unwrap(), "010-65123456");
        assert!(phone("12345").is_err());
    }
}
