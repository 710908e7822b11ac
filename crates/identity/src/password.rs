//! Argon2id password hashing, always on the blocking pool: one hash costs
//! tens of milliseconds of CPU and would stall the async executor.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};

pub async fn hash_password(password: SecretString) -> String {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .expect("argon2 with default parameters cannot fail")
            .to_string()
    })
    .await
    .expect("hashing task panicked")
}

/// Checks a password against a stored PHC string. A malformed stored hash
/// counts as a mismatch.
pub async fn verify_password(password: SecretString, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .expect("verification task panicked")
}

/// A password nobody chose, for the first administrator: 20 characters
/// from an alphabet without look-alikes.
pub(crate) fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let h1 = hash_password(SecretString::from("correct horse")).await;
        let h2 = hash_password(SecretString::from("correct horse")).await;
        assert!(h1.starts_with("$argon2id$"));
        assert_ne!(h1, h2, "salted");
        assert!(verify_password(SecretString::from("correct horse"), h1.clone()).await);
        assert!(!verify_password(SecretString::from("wrong"), h1).await);
        assert!(!verify_password(SecretString::from("x"), "garbage".into()).await);
    }
}
