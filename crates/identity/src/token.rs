//! Random bearer secrets. Only their SHA-256 is stored: they carry 256 bits
//! of entropy, so a slow hash would add cost without adding safety.

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
