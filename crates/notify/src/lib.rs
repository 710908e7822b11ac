//! Notifications. A change that needs a person tells them inside its own
//! transaction ([`post`]): a message in their in-site message centre
//! ([`inbox`]) and, where they asked for it, a row in the durable outbox
//! ([`outbox`]) that a background pass sends by email or text message
//! through the senders the operator configured ([`sender`]), retrying with
//! backoff. Sending never blocks or fails the change. The wording is data
//! ([`templates`]): a kind of notice per event, in Chinese and English,
//! that an administrator may change; a message keeps the event's values and
//! is worded when read, in the reader's language.

pub mod inbox;
mod note;
pub mod outbox;
pub mod sender;
pub mod templates;

pub use inbox::{post, post_all};
pub use note::{Note, Recipient};
pub use templates::{Rendered, Templates, Wording};

use egov_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("the {field} uses {{{name}}}, which this kind of notice does not have")]
    UnknownPlaceholder { field: &'static str, name: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}
