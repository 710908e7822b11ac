//! Identity and access. This first cut holds what the platform foundation
//! needs: staff accounts with Argon2id passwords, the first administrator,
//! server-side sessions with CSRF tokens, and scoped API keys for machines.

mod api_key;
mod password;
pub mod policy;
mod session;
mod token;
mod user;

pub use api_key::{authenticate_api_key, create_api_key, ApiKey, IssuedApiKey, Scope};
pub use password::{hash_password, verify_password};
pub use policy::{allows, Permission, Principal};
pub use session::{end_session, find_session, sign_in, SessionUser, SignInError, SESSION_TTL};
pub use token::random_secret;
pub use user::{
    change_password, count_users, create_user, ensure_first_admin, FirstAdmin, NewUser,
};

use egov_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("user name {0} is taken")]
    UsernameTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::Store(e.into())
    }
}
