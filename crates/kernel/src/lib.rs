//! The platform's shared vocabulary. Nothing here knows about HTTP or SQL.

pub mod actor;
pub mod code;
pub mod error;
pub mod identifier;
pub mod locale;
pub mod time;

pub use actor::{Actor, Context};
pub use locale::Locale;
