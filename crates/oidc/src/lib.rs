//! The OpenID Connect provider behind single sign-on for the city's other
//! government systems: authorization code flow with PKCE, refresh tokens
//! with rotation, client credentials for machines, RS256 and ES256 ID
//! tokens from rotating keys. HTTP lives in `egov-web`; this crate holds the
//! rules and the state.

pub mod backchannel;
pub mod client;
pub mod consent;
pub mod flow;
pub mod jwt;
pub mod keys;

pub use client::{
    authenticate_client, create_client, delete_client, find_client, rotate_secret, Client,
    NewClient,
};
pub use flow::{
    client_credentials, exchange_code, issue_code, machine_token, refresh, userinfo,
    AuthorizationGrant, MachineToken, TokenResponse, ACCESS_TOKEN_TTL,
};

use egov_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// An OAuth 2.0 error answered to the client with its standard code.
    #[error("{error}: {description}")]
    Protocol {
        error: &'static str,
        description: String,
    },
    #[error("internal: {0}")]
    Internal(&'static str),
    #[error(transparent)]
    Keyring(egov_keyring::KeyringError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OidcError {
    pub fn protocol(error: &'static str, description: impl Into<String>) -> Self {
        OidcError::Protocol {
            error,
            description: description.into(),
        }
    }
}

impl From<sqlx::Error> for OidcError {
    fn from(e: sqlx::Error) -> Self {
        OidcError::Store(e.into())
    }
}

impl From<egov_identity::IdentityError> for OidcError {
    fn from(e: egov_identity::IdentityError) -> Self {
        match e {
            egov_identity::IdentityError::Store(s) => OidcError::Store(s),
            egov_identity::IdentityError::Keyring(k) => OidcError::Keyring(k),
            _ => OidcError::Internal("identity lookup failed"),
        }
    }
}

/// SHA-256, hex: how codes, tokens and secrets are stored.
pub(crate) fn digest(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
