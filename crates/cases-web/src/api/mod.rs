//! The case engine's JSON API: thin handlers over [`crate::work`], each
//! documented with `utoipa::path`.

pub mod cases;
pub mod supervision;
