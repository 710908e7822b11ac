//! Government information disclosure (政府信息公开), the plan's items (五)
//! and (十八). On request (依申请公开): a signed-in applicant files a
//! request (`request.rs`, `filing.rs`) that the agency answers as a case of
//! the disclosure process under the 2019 rules' clocks, with one correction
//! notice, third-party consultation that stops the clock and an answer of
//! one of the kinds the rules name, each an action with what it must say
//! (`data/processes/disclosure-request.toml`); a request not clarified in
//! time counts as given up (`sweep.rs`); the annual report's table of
//! requests for any year (`report.rs`, its rows as data). Of its own accord
//! (主动公开): documents a department publishes and may withdraw, the
//! history kept (`documents.rs`), in the shared search (`search.rs`).

pub mod demo;
pub mod documents;
pub mod filing;
pub mod report;
pub mod request;
pub mod search;
pub mod sweep;

/// The process requests are answered under.
pub const PROCESS: &str = "disclosure_request";

/// The process, seeded with the case engine.
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[(
    "disclosure-request.toml",
    include_str!("../../../data/processes/disclosure-request.toml"),
)];
