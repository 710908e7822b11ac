//! Compact JWS: `base64url(header).base64url(claims).base64url(signature)`.

use crate::keys::{Alg, Key};
use data_encoding::BASE64URL_NOPAD;
use serde_json::{json, Value};

pub fn encode(key: &Key, claims: &Value) -> String {
    let header = json!({ "alg": key.alg.as_str(), "kid": key.kid, "typ": "JWT" });
    let signing_input = format!(
        "{}.{}",
        BASE64URL_NOPAD.encode(header.to_string().as_bytes()),
        BASE64URL_NOPAD.encode(claims.to_string().as_bytes())
    );
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", BASE64URL_NOPAD.encode(&signature))
}

/// Verifies a token signed by one of `keys` and returns its claims.
/// Expiry is the caller's business: an expired ID token is still a valid
/// `id_token_hint`.
pub fn verify(token: &str, keys: &[std::sync::Arc<Key>]) -> Option<Value> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&BASE64URL_NOPAD.decode(h.as_bytes()).ok()?).ok()?;
    let alg = Alg::parse(header["alg"].as_str()?)?;
    let kid = header["kid"].as_str()?;
    let key = keys.iter().find(|k| k.kid == kid && k.alg == alg)?;
    let signature = BASE64URL_NOPAD.decode(s.as_bytes()).ok()?;
    if !key.verify(format!("{h}.{c}").as_bytes(), &signature) {
        return None;
    }
    serde_json::from_slice(&BASE64URL_NOPAD.decode(c.as_bytes()).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trips_and_refuses_tampering() {
        for alg in [Alg::Rs256, Alg::Es256] {
            let key = Key::generate(alg).await;
            let token = encode(&key, &json!({ "sub": "42" }));
            let keys = vec![std::sync::Arc::new(key)];
            assert_eq!(verify(&token, &keys).unwrap()["sub"], "42");
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = BASE64URL_NOPAD.encode(br#"{"sub":"1"}"#);
            parts[1] = &forged;
            assert!(verify(&parts.join("."), &keys).is_none(), "{alg:?}");
            let other = vec![std::sync::Arc::new(Key::generate(alg).await)];
            assert!(verify(&token, &other).is_none(), "unknown key");
        }
    }
}
