//! The secrets a letter's writer holds (the confirmation ticket, the follow
//! link): random 256-bit values, of which only the SHA-256 is stored.

use sha2::{Digest, Sha256};

/// What is stored of `secret`.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
