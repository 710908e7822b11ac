//! Identity and access: citizens, enterprises and their operators, civil
//! servants with roles; Argon2id passwords under a policy; TOTP second
//! factor; progressive lockout; server-side sessions with CSRF tokens;
//! scoped API keys; and the one policy that decides every permission.

mod account;
mod api_key;
pub mod confirmation;
pub mod contacts;
pub mod mfa;
pub mod notice;
pub mod password;
pub mod password_policy;
pub mod password_reset;
pub mod personal;
pub mod personal_token;
pub mod policy;
pub mod reauth;
pub mod roles;
mod session;
pub mod sms;
pub mod throttle;
mod token;
pub mod totp;

pub use account::{
    add_operator, applicant_names, change_password, count_users, create_staff, ensure_first_admin,
    get_user, grant_role, list_users, offboard, register_citizen, register_enterprise, revoke_role,
    roles_of, set_assurance, set_disabled, set_operator_disabled, set_operator_view_only,
    validate_username, CitizenRegistration, EnterpriseRegistration, FirstAdmin, Grantor,
    NewOperator, NewStaff, UserFilter, UserKind, UserRecord,
};
pub use api_key::{
    authenticate_api_key, create_api_key, list_api_keys, revoke_api_key, ApiKey, ApiKeyInfo,
    IssuedApiKey, Scope,
};
pub use password::{hash_password, verify_password, Busy};
pub use password_policy::{PasswordPolicy, PasswordProblem};
pub use policy::{allows, report_reach, supervision_reach, Permission, Principal, Reach};
pub use roles::{Role, RoleGrant};
pub use session::{
    complete_second_factor, configure_sessions, end_all_sessions, end_session,
    end_session_by_handle, find_session, idle_cutoff, list_sessions, sign_in, SecondFactorError,
    SessionInfo, SessionLimits, SessionUser, Setup, SignIn, SignInError, SESSION_TTL,
};
pub use token::{digest as secret_digest, random_secret};

use egov_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A field failed validation; messages in both languages.
    #[error("{field}: {en}")]
    Invalid {
        field: &'static str,
        zh: String,
        en: String,
    },
    #[error("password refused: {0}")]
    WeakPassword(#[from] PasswordProblem),
    #[error("user name {0} is taken")]
    UsernameTaken(String),
    #[error("this resident ID number is already registered")]
    ResidentIdTaken,
    #[error("this enterprise is already registered")]
    EnterpriseTaken,
    #[error("the current password is wrong")]
    WrongPassword,
    /// Too many wrong passwords (or codes): locked until then.
    #[error("too many failed attempts; locked until {0}")]
    Locked(egov_kernel::time::Timestamp),
    #[error(transparent)]
    Busy(#[from] Busy),
    /// A secret sealed in the database does not open with the server keys.
    #[error(transparent)]
    Keyring(#[from] egov_keyring::KeyringError),
    #[error("no such account")]
    NotFound,
    /// The acting administrator's reach does not cover this change.
    #[error("outside the administrator's reach")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::Store(e.into())
    }
}
