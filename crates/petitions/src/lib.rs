//! Petitions (信访), the plan's item (十三): one system for every agency's
//! petitions, from every channel. A petition is registered by the
//! petitioner online or by staff for a letter, a visit or a call
//! (`petition.rs`, `registration.rs`), compared with those before it on the
//! same kind of matter and linked to them (`matter.rs`: a repeat by the same
//! person, a joint petition by others), and refused if the same person's
//! matter was closed by 复核. It is then a case of the petition process
//! under the 信访工作条例's calendar-day clocks — accept or refuse in 15, handle
//! in 60 with one extension of 30, 复查 and 复核 each asked within 30 and
//! decided within 30 — sent on to another agency as the same record
//! (`data/processes/petition.toml`). Who brought it is kept apart from the
//! case, for the staff handling it, supervisors and the petitioner, every
//! view audited (`record.rs`); the five written notices are PDFs from
//! templates an administrator edits (`notices.rs`).

pub mod matter;
pub mod notices;
pub mod petition;
pub mod record;
pub mod registration;
pub mod settings;
pub mod sweep;

/// The process petitions are handled under.
pub const PROCESS: &str = "petition";

/// The state of a petition closed by 复核: its matter is not accepted again.
pub const CLOSED_BY_RECHECK: &str = "rechecked";

/// The process, seeded with the case engine.
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[(
    "petition.toml",
    include_str!("../../../data/processes/petition.toml"),
)];
