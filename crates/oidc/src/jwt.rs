//! Compact JWS through the `jsonwebtoken` library: ID tokens (`typ: JWT`),
//! logout tokens (`typ: logout+jwt`) and machines' access tokens
//! (`typ: at+jwt`) signed with the provider's keys, and tokens of ours
//! verified by `kid`.

use crate::keys::Key;
use serde_json::Value;

/// What a token is, for its `typ` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typ {
    IdToken,
    /// OpenID Connect Back-Channel Logout 1.0, section 2.4.
    Logout,
    /// RFC 9068, section 2.1.
    AccessToken,
}

impl Typ {
    fn header(self) -> &'static str {
        match self {
            Typ::IdToken => "JWT",
            Typ::Logout => "logout+jwt",
            Typ::AccessToken => "at+jwt",
        }
    }
}

pub fn encode(key: &Key, typ: Typ, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(key.jws_alg());
    header.kid = Some(key.kid.clone());
    header.typ = Some(typ.header().to_owned());
    jsonwebtoken::encode(&header, claims, &key.encoding).expect("signing in memory cannot fail")
}

/// Verifies a token of kind `typ` signed by one of `keys` and returns its
/// claims: a token of another kind is refused, so that an ID token cannot
/// pass for an access token.
pub fn verify_typed(token: &str, typ: Typ, keys: &[std::sync::Arc<Key>]) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if header.typ.as_deref() != Some(typ.header()) {
        return None;
    }
    verify(token, keys)
}

/// Verifies a token signed by one of `keys` and returns its claims.
/// Expiry is the caller's business: an expired ID token is still a valid
/// `id_token_hint`.
pub fn verify(token: &str, keys: &[std::sync::Arc<Key>]) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let kid = header.kid?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid && k.jws_alg() == header.alg)?;
    let mut validation = jsonwebtoken::Validation::new(key.jws_alg());
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
        .ok()
        .map(|t| t.claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Alg;
    use data_encoding::BASE64URL_NOPAD;
    use serde_json::json;

    #[tokio::test]
    async fn round_trips_and_refuses_tampering() {
        for alg in [Alg::Rs256, Alg::Es256] {
            let key = Key::generate(alg).await;
            let token = encode(&key, Typ::IdToken, &json!({ "sub": "42" }));
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

    #[tokio::test]
    async fn logout_tokens_say_what_they_are() {
        let key = Key::generate(Alg::Es256).await;
        let token = encode(&key, Typ::Logout, &json!({ "sid": "s" }));
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    }

    #[tokio::test]
    async fn a_token_of_another_kind_is_refused() {
        let key = Key::generate(Alg::Es256).await;
        let id_token = encode(&key, Typ::IdToken, &json!({ "sub": "s" }));
        let access = encode(&key, Typ::AccessToken, &json!({ "sub": "s" }));
        let keys = vec![std::sync::Arc::new(key)];
        assert!(verify_typed(&id_token, Typ::AccessToken, &keys).is_none());
        assert_eq!(
            verify_typed(&access, Typ::AccessToken, &keys).unwrap()["sub"],
            "s"
        );
    }
}
