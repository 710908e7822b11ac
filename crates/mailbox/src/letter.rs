//! A letter as written: to which mailbox, what kind, its subject and body,
//! whether it may be published with its answer, and how to reach its
//! writer. Checked here before anything is stored.

use crate::settings::Settings;
use egov_kernel::identifier::MobileNumber;
use serde::{Deserialize, Serialize};

/// A subject shorter than this names no matter.
const SUBJECT_MIN: usize = 4;
const SUBJECT_MAX: usize = 60;
/// A body shorter than this says nothing a department could answer.
const BODY_MIN: usize = 10;
const BODY_MAX: usize = 5000;
const NAME_MAX: usize = 30;
const ADDRESS_MAX: usize = 200;

/// The mayor's mailbox, in words.
pub const MAYOR_MAILBOX: &str = "市长信箱";

/// The mailbox a letter is written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mailbox {
    /// 市长信箱, kept by the office the settings name.
    Mayor,
    /// A department's own mailbox, by the department's code.
    Department(String),
}

impl Mailbox {
    /// `mayor`, or a department's code.
    pub fn parse(s: &str) -> Mailbox {
        match s.trim() {
            "mayor" => Mailbox::Mayor,
            code => Mailbox::Department(code.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Mailbox::Mayor => "mayor",
            Mailbox::Department(code) => code,
        }
    }

    /// The department that receives its letters.
    pub fn keeper<'a>(&'a self, settings: &'a Settings) -> &'a str {
        match self {
            Mailbox::Mayor => &settings.mayor_office,
            Mailbox::Department(code) => code,
        }
    }
}

/// The kind of letter, one of the settings' codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category(String);

impl Category {
    /// A category as stored with a letter (checked when it was written).
    pub(crate) fn stored(code: &str) -> Category {
        Category(code.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How to reach the writer. Kept with the letter, shown to staff masked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Contact {
    /// The contact as staff see it: every part masked.
    pub fn masked(&self) -> Contact {
        use egov_kernel::identifier::{mask_email, mask_person_name, mask_phone};
        Contact {
            name: mask_person_name(&self.name),
            phone: self.phone.as_deref().map(mask_phone),
            email: self.email.as_deref().map(mask_email),
            address: self.address.as_ref().map(|_| "******".to_owned()),
        }
    }
}

/// Who writes: someone signed in, or a writer who confirms their phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    SignedIn { user_id: i64 },
    Guest,
}

/// A letter as the writer sent it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewLetter {
    /// `mayor`, or the code of the department written to.
    pub mailbox: String,
    pub category: String,
    pub subject: String,
    pub body: String,
    /// The writer agrees that the letter and its answer be published
    /// (without personal data).
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub contact: Contact,
}

/// A letter checked: what the writing stores.
#[derive(Debug, Clone)]
pub struct Checked {
    pub mailbox: Mailbox,
    pub category: Category,
    pub subject: String,
    pub body: String,
    pub consent: bool,
    pub contact: Contact,
    /// The guest's phone, parsed: where the code goes.
    pub phone: Option<MobileNumber>,
}

/// Why a letter was not taken; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    #[error("no mailbox '{0}'")]
    NoMailbox(String),
    #[error("no kind of letter '{0}'")]
    NoCategory(String),
    #[error("the subject must be {SUBJECT_MIN} to {SUBJECT_MAX} characters")]
    Subject,
    #[error("the letter must be {BODY_MIN} to {BODY_MAX} characters")]
    Body,
    #[error("a writer who is not signed in gives their name and mobile number")]
    ContactMissing,
    #[error("the name must be at most {NAME_MAX} characters")]
    Name,
    #[error("'{0}' is not a mobile number")]
    Phone(String),
    #[error("'{0}' is not an e-mail address")]
    Email(String),
    #[error("the address must be at most {ADDRESS_MAX} characters")]
    Address,
}

impl LetterError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            LetterError::NoMailbox(m) => format!("没有“{m}”这个信箱"),
            LetterError::NoCategory(c) => format!("没有“{c}”这类来信"),
            LetterError::Subject => {
                format!("标题应为 {SUBJECT_MIN} 至 {SUBJECT_MAX} 个字，写明所反映的事项")
            }
            LetterError::Body => format!("来信内容应为 {BODY_MIN} 至 {BODY_MAX} 个字"),
            LetterError::ContactMissing => {
                "未登录的来信人须留下姓名和手机号码，以便核实和答复".into()
            }
            LetterError::Name => format!("姓名不超过 {NAME_MAX} 个字"),
            LetterError::Phone(p) => format!("“{p}”不是有效的手机号码"),
            LetterError::Email(e) => format!("“{e}”不是有效的电子邮箱"),
            LetterError::Address => format!("地址不超过 {ADDRESS_MAX} 个字"),
        }
    }
}

fn optional(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl NewLetter {
    /// Checks the letter of `writer` against `settings` (whether the
    /// mailbox's department exists is the writing's to check).
    pub fn check(self, settings: &Settings, writer: Writer) -> Result<Checked, LetterError> {
        let mailbox = Mailbox::parse(&self.mailbox);
        if mailbox.as_str().is_empty() {
            return Err(LetterError::NoMailbox(String::new()));
        }
        let category = self.category.trim();
        if settings.category(category).is_none() {
            return Err(LetterError::NoCategory(category.to_owned()));
        }
        let subject = self.subject.trim().to_owned();
        if !(SUBJECT_MIN..=SUBJECT_MAX).contains(&subject.chars().count()) {
            return Err(LetterError::Subject);
        }
        let body = self.body.trim().to_owned();
        if !(BODY_MIN..=BODY_MAX).contains(&body.chars().count()) {
            return Err(LetterError::Body);
        }
        let name = self.contact.name.trim().to_owned();
        if name.chars().count() > NAME_MAX {
            return Err(LetterError::Name);
        }
        let phone = match optional(self.contact.phone) {
            Some(p) => Some(MobileNumber::parse(&p).map_err(|_| LetterError::Phone(p))?),
            None => None,
        };
        let email = match optional(self.contact.email) {
            Some(e) => Some(egov_identity::contacts::parse_email(&e).ok_or(LetterError::Email(e))?),
            None => None,
        };
        let address = optional(self.contact.address);
        if address
            .as_ref()
            .is_some_and(|a| a.chars().count() > ADDRESS_MAX)
        {
            return Err(LetterError::Address);
        }
        if writer == Writer::Guest && (name.is_empty() || phone.is_none()) {
            return Err(LetterError::ContactMissing);
        }
        Ok(Checked {
            mailbox,
            category: Category(category.to_owned()),
            subject,
            body,
            consent: self.consent,
            contact: Contact {
                name,
                phone: phone.as_ref().map(|p| p.as_str().to_owned()),
                email,
                address,
            },
            phone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> NewLetter {
        NewLetter {
            mailbox: "mayor".into(),
            category: "suggestion".into(),
            subject: "建议增加公交线路".into(),
            body: "回龙观到中关村的公交线路早高峰太挤，建议增开大站快车。".into(),
            consent: true,
            contact: Contact {
                name: "王小明".into(),
                phone: Some("13800138000".into()),
                ..Contact::default()
            },
        }
    }

    #[test]
    fn a_guest_gives_name_and_mobile() {
        let s = Settings::shipped();
        assert!(letter().check(s, Writer::Guest).is_ok());
        let mut l = letter();
        l.contact.phone = None;
        assert_eq!(
            l.clone().check(s, Writer::Guest).unwrap_err(),
            LetterError::ContactMissing
        );
        assert!(l.check(s, Writer::SignedIn { user_id: 1 }).is_ok());
    }

    #[test]
    fn bad_input_is_named() {
        let s = Settings::shipped();
        let mut l = letter();
        l.subject = "路".into();
        assert_eq!(l.check(s, Writer::Guest).unwrap_err(), LetterError::Subject);
        let mut l = letter();
        l.category = "petition".into();
        assert!(matches!(
            l.check(s, Writer::Guest),
            Err(LetterError::NoCategory(_))
        ));
        let mut l = letter();
        l.contact.phone = Some("12345".into());
        assert!(matches!(
            l.check(s, Writer::Guest),
            Err(LetterError::Phone(_))
        ));
        let mut l = letter();
        l.contact.email = Some("not-an-address".into());
        assert!(matches!(
            l.check(s, Writer::Guest),
            Err(LetterError::Email(_))
        ));
        let mut l = letter();
        l.body = "太挤".into();
        assert_eq!(l.check(s, Writer::Guest).unwrap_err(), LetterError::Body);
    }

    #[test]
    fn staff_see_the_contact_masked() {
        let c = letter().contact.masked();
        assert_eq!(c.phone.as_deref(), Some("138****8000"));
        assert_ne!(c.name, "王小明");
    }
}
