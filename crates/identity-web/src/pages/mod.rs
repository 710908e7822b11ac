//! The identity system's pages; the page shell is the kit's.

pub mod account;
pub mod admin_clients;
pub mod admin_keys;
pub mod admin_users;
pub mod enterprise;
pub mod notifications;
pub mod register;
pub mod reset;
pub mod tokens;

pub use egov_web_kit::page::{
    encode_component, error_page, message_page, render, safe_next, user_context, Chrome,
};
