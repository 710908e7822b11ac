//! The hall's JSON API: thin handlers over [`crate::work`], each documented
//! with `utoipa::path`.

pub mod applications;
pub mod services;
