//! The hall's pages: thin handlers over [`crate::work`] drawn with the web
//! kit's page shell.

pub mod admin_search;
pub mod admin_services;
pub mod apply;
pub mod certificates;
pub mod department;
pub mod filed_online;
pub mod results;
pub mod services;

pub use filed_online::FiledOnline;
