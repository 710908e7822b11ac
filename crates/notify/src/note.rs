//! What a notice is made of: someone to tell and how to reach them, what
//! happened, and the channels a message leaves by.

use egov_kernel::Locale;

/// Someone to tell, and where beside the message centre: the addresses are
/// given only for the channels they asked for and have confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: i64,
    /// The language of their email and text messages.
    pub locale: Locale,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What happened: a kind of notice (a template), its values (text, or an
/// object of text by language tag) and the page it is about.
#[derive(Debug, Clone)]
pub struct Note {
    pub kind: String,
    pub params: serde_json::Value,
    /// A path on this platform (`/cases/2026000001`).
    pub link: String,
}

egov_store::text_enum! {
    /// How a message leaves the platform.
    pub enum Channel {
        Email = "email",
        Sms = "sms",
    }
}
