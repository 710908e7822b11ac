//! Random bearer secrets. Only their SHA-256 is stored: they carry 256 bits
//! of entropy, so a slow hash would add cost without adding safety. And the
//! scopes a personal access token may carry (sessions name them too).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random secret, hex-encoded (64 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What a personal token may do with its holder's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TokenScope {
    /// Read the holder's applications, cases, files and results.
    #[serde(rename = "applications:read")]
    Read,
    /// Apply, file, answer, withdraw, comment and rate as the holder.
    #[serde(rename = "applications:write")]
    Write,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [TokenScope::Read, TokenScope::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "applications:read",
            TokenScope::Write => "applications:write",
        }
    }
}

impl std::fmt::Display for TokenScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TokenScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TokenScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("unknown scope '{s}'"))
    }
}
