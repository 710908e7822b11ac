//! Signing keys for ID tokens: RS256 (which OpenID certification requires)
//! and ES256. Keys rotate: a new key signs from the moment it is made; old
//! keys stay in the JWKS until retired, so tokens already issued still verify.

use crate::OidcError;
use data_encoding::BASE64URL_NOPAD;
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{query, run, Db, Reference};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "RS256" => Some(Alg::Rs256),
            "ES256" => Some(Alg::Es256),
            _ => None,
        }
    }
}

/// A signing key: its PKCS#8 PEM (what is stored, sealed) and the keys
/// the JWS library signs and verifies with.
pub struct Key {
    pub kid: String,
    pub alg: Alg,
    pem: String,
    pub(crate) encoding: jsonwebtoken::EncodingKey,
    pub(crate) decoding: jsonwebtoken::DecodingKey,
    /// The public half as a JWK (with kid, alg and use).
    pub jwk: serde_json::Value,
}

impl Key {
    /// Generates a key; RSA generation takes a while, so it runs on the blocking pool.
    pub async fn generate(alg: Alg) -> Key {
        tokio::task::spawn_blocking(move || {
            let mut rng = rand::rngs::OsRng;
            let kid = format!(
                "{}-{}",
                alg.as_str().to_lowercase(),
                time::now().format("%Y%m%d%H%M%S%6f")
            );
            let (pem, mut jwk) = match alg {
                Alg::Rs256 => {
                    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key generation");
                    let public = key.to_public_key();
                    let jwk = json!({
                        "kty": "RSA",
                        "n": BASE64URL_NOPAD.encode(&public.n().to_bytes_be()),
                        "e": BASE64URL_NOPAD.encode(&public.e().to_bytes_be()),
                    });
                    let pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, LineEnding::LF)
                        .expect("encode")
                        .to_string();
                    (pem, jwk)
                }
                Alg::Es256 => {
                    let key = p256::ecdsa::SigningKey::random(&mut rng);
                    let point = key.verifying_key().to_encoded_point(false);
                    let jwk = json!({
                        "kty": "EC",
                        "crv": "P-256",
                        "x": BASE64URL_NOPAD.encode(point.x().expect("uncompressed point")),
                        "y": BASE64URL_NOPAD.encode(point.y().expect("uncompressed point")),
                    });
                    let pem = key
                        .to_pkcs8_pem(LineEnding::LF)
                        .expect("encode")
                        .to_string();
                    (pem, jwk)
                }
            };
            jwk["kid"] = json!(kid);
            jwk["alg"] = json!(alg.as_str());
            jwk["use"] = json!("sig");
            Key::new(kid, alg, pem, jwk).expect("a key just made reads back")
        })
        .await
        .expect("key generation task")
    }

    fn new(kid: String, alg: Alg, pem: String, jwk: serde_json::Value) -> Result<Key, OidcError> {
        let part = |name: &str| {
            jwk[name]
                .as_str()
                .map(str::to_owned)
                .ok_or(OidcError::Internal("stored JWK lacks a part"))
        };
        let (encoding, decoding) = match alg {
            Alg::Rs256 => (
                jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
                    .map_err(|_| OidcError::Internal("stored RSA key does not parse"))?,
                jsonwebtoken::DecodingKey::from_rsa_components(&part("n")?, &part("e")?)
                    .map_err(|_| OidcError::Internal("stored RSA JWK does not parse"))?,
            ),
            Alg::Es256 => (
                jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes())
                    .map_err(|_| OidcError::Internal("stored EC key does not parse"))?,
                jsonwebtoken::DecodingKey::from_ec_components(&part("x")?, &part("y")?)
                    .map_err(|_| OidcError::Internal("stored EC JWK does not parse"))?,
            ),
        };
        Ok(Key {
            kid,
            alg,
            pem,
            encoding,
            decoding,
            jwk,
        })
    }

    fn private_pem(&self) -> &str {
        &self.pem
    }

    fn from_row(kid: String, alg: &str, pem: &str, jwk: &str) -> Result<Key, OidcError> {
        let alg = Alg::parse(alg).ok_or(OidcError::Internal("unknown key algorithm"))?;
        let jwk = serde_json::from_str(jwk).map_err(|_| OidcError::Internal("stored JWK"))?;
        Key::new(kid, alg, pem.to_owned(), jwk)
    }

    pub(crate) fn jws_alg(&self) -> jsonwebtoken::Algorithm {
        match self.alg {
            Alg::Rs256 => jsonwebtoken::Algorithm::RS256,
            Alg::Es256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

/// Every key not retired, newest first, parsed: parsing a PEM key costs
/// far more than a token, so each node parses them once a rotation.
pub struct LiveKeys(pub Vec<Arc<Key>>);

impl Reference for LiveKeys {
    const NAME: &'static str = "oidc.keys";
    type Error = OidcError;

    async fn load(db: &Db) -> Result<Self, OidcError> {
        let mut r = db.reader().await?;
        let rows: Vec<(String, String, String, String)> = run!(r, |c| sqlx::query_as(
            "SELECT kid, alg, private_pem, public_jwk FROM oidc_keys WHERE retired_at IS NULL \
             ORDER BY created_at DESC"
        )
        .fetch_all(&mut *c)
        .await)?;
        drop(r);
        let ring = egov_keyring::current().map_err(OidcError::Keyring)?;
        let keys = rows
            .into_iter()
            .map(|(kid, alg, sealed, jwk)| {
                let pem = ring
                    .open_text(&seal_label(&kid), &sealed)
                    .map_err(OidcError::Keyring)?;
                Ok(Arc::new(Key::from_row(kid, &alg, &pem, &jwk)?))
            })
            .collect::<Result<_, OidcError>>()?;
        Ok(LiveKeys(keys))
    }
}

/// Every key not retired, newest first.
pub async fn live_keys(db: &Db) -> Result<Arc<LiveKeys>, OidcError> {
    db.reference::<LiveKeys>().await
}

/// The key that signs new tokens of `alg`, made on first use.
pub async fn signing_key(db: &Db, alg: Alg) -> Result<Arc<Key>, OidcError> {
    if let Some(k) = newest(db, alg).await? {
        return Ok(k);
    }
    // One key per node at a time: a burst of first sign-ins would otherwise
    // each generate (RSA takes a CPU for a while) and store its own key.
    static MAKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _making = MAKING.lock().await;
    if let Some(k) = newest(db, alg).await? {
        return Ok(k);
    }
    let key = Key::generate(alg).await;
    store(db, &Context::system(), &key).await?;
    // Another node may have raced us; everyone signs with the newest.
    newest(db, alg)
        .await?
        .ok_or(OidcError::Internal("signing key vanished"))
}

async fn newest(db: &Db, alg: Alg) -> Result<Option<Arc<Key>>, OidcError> {
    Ok(live_keys(db)
        .await?
        .0
        .iter()
        .find(|k| k.alg == alg)
        .cloned())
}

/// What a signing key's private half is sealed under.
fn seal_label(kid: &str) -> String {
    format!("oidc-key:{kid}")
}

async fn store(db: &Db, ctx: &Context, key: &Key) -> Result<(), OidcError> {
    let sealed = egov_keyring::current()
        .map_err(OidcError::Keyring)?
        .seal_text(&seal_label(&key.kid), key.private_pem());
    let (ctx, kid, alg, jwk) = (ctx.clone(), key.kid.clone(), key.alg, key.jwk.to_string());
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "INSERT INTO oidc_keys (kid, alg, private_pem, public_jwk, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&kid)
                .bind(alg.as_str())
                .bind(&sealed)
                .bind(&jwk)
                .bind(time::now()),
            )
            .await?;
            egov_store::reference::changed::<LiveKeys>(tx).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "oidc.key_create",
                    object_type: "oidc_key",
                    object_id: &kid,
                    detail: json!({ "alg": alg.as_str() }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

/// Makes new signing keys for both algorithms. Older keys keep verifying
/// until `retire_before` retires them.
pub async fn rotate(db: &Db, ctx: &Context) -> Result<Vec<String>, OidcError> {
    let mut kids = Vec::new();
    for alg in [Alg::Rs256, Alg::Es256] {
        let key = Key::generate(alg).await;
        store(db, ctx, &key).await?;
        kids.push(key.kid);
    }
    Ok(kids)
}

/// Retires keys that are not the newest of their algorithm.
pub async fn retire_old(db: &Db, ctx: &Context) -> Result<u64, OidcError> {
    let keys = live_keys(db).await?;
    let mut seen = Vec::new();
    let mut old = Vec::new();
    for k in &keys.0 {
        if seen.contains(&k.alg) {
            old.push(k.kid.clone());
        } else {
            seen.push(k.alg);
        }
    }
    if old.is_empty() {
        return Ok(0);
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            for kid in &old {
                tx.execute(
                    query("UPDATE oidc_keys SET retired_at = $1 WHERE kid = $2")
                        .bind(time::now())
                        .bind(kid),
                )
                .await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "oidc.key_retire",
                        object_type: "oidc_key",
                        object_id: kid,
                        detail: json!({}),
                    },
                )
                .await?;
            }
            egov_store::reference::changed::<LiveKeys>(tx).await?;
            Ok(old.len() as u64)
        })
    })
    .await
}

/// The public JWK set.
pub async fn jwks(db: &Db) -> Result<serde_json::Value, OidcError> {
    // Make sure both algorithms are present before anyone asks to verify.
    signing_key(db, Alg::Rs256).await?;
    signing_key(db, Alg::Es256).await?;
    let keys: Vec<_> = live_keys(db)
        .await?
        .0
        .iter()
        .map(|k| k.jwk.clone())
        .collect();
    Ok(json!({ "keys": keys }))
}

/// Seals the private keys that older releases stored in the clear, and
/// those sealed with a server key that is no longer the newest. Returns
/// how many were sealed again.
pub async fn reseal_keys(db: &Db) -> Result<u64, OidcError> {
    let ring = egov_keyring::current().map_err(OidcError::Keyring)?;
    let mut r = db.reader().await?;
    let rows: Vec<(String, String)> = run!(r, |c| sqlx::query_as(
        "SELECT kid, private_pem FROM oidc_keys"
    )
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let mut changed = 0u64;
    for (kid, stored) in rows.into_iter().filter(|(_, s)| !ring.is_current(s)) {
        let label = seal_label(&kid);
        let pem = ring
            .open_text(&label, &stored)
            .map_err(OidcError::Keyring)?;
        let sealed = ring.seal_text(&label, &pem);
        db.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    query("UPDATE oidc_keys SET private_pem = $1 WHERE kid = $2")
                        .bind(&sealed)
                        .bind(&kid),
                )
                .await
            })
        })
        .await?;
        changed += 1;
    }
    Ok(changed)
}
