//! The mayor's mailbox (市长信箱) and the departments' mailboxes: the
//! plan's 网上政民互动 (item 十三). A letter (`letter.rs`) is written by
//! someone signed in or by a writer who confirms their phone with a texted
//! code (`writing.rs`), and answered as a case on the case engine: taken in
//! or handed to the department whose matter it is, answered within the
//! process's time, rated by its writer. Where the writer agreed, the answer
//! is published with the letter, stripped of personal data by a checked step
//! (`redact.rs`, `publishing.rs`); the public reads published letters and
//! each department's answer rate and timeliness (`reading.rs`, and in the shared
//! search, `search.rs`). The mailboxes themselves are data (`settings.rs`).

pub mod demo;
pub mod following;
pub mod letter;
pub mod publishing;
pub mod reading;
pub mod redact;
pub mod search;
pub mod settings;
pub mod writing;

/// The process letters are answered under.
pub const PROCESS: &str = "mailbox_letter";

/// The process, seeded with the case engine.
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[(
    "mailbox-letter.toml",
    include_str!("../../../data/processes/mailbox-letter.toml"),
)];

pub use letter::{Category, Contact, LetterError, Mailbox, NewLetter, Writer};
pub use settings::Settings;
