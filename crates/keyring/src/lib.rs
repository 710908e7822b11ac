//! The server's keys: kept in a file outside the database (the data folder,
//! or wherever `server_key_file` points), never in it, so that write access
//! to the database is not enough to forge the audit trail or read secrets.
//!
//! Each key is a 32-byte seed. It signs audit checkpoints with Ed25519 and,
//! through HKDF-SHA-256, seals secrets at rest (TOTP secrets, ID-token
//! signing keys) with XChaCha20-Poly1305, each bound to the row it belongs
//! to. Keys are rotated by adding one: the newest signs and seals, older
//! ones keep verifying and opening until what they sealed is sealed again.
//!
//! The keyring in use is the process's ([`install`], [`current`]).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Sealed values begin with this, then the key id and the sealed bytes.
const SEALED: &str = "sealed:v1:";

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("server key file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("server key file {path}, line {line}: {why}")]
    Malformed {
        path: PathBuf,
        line: usize,
        why: &'static str,
    },
    #[error("server key file {0} holds no key")]
    Empty(PathBuf),
    #[error("no server key is installed in this process")]
    NotInstalled,
    #[error("a secret is sealed with server key {0}, which this keyring lacks")]
    UnknownKey(String),
    #[error("a sealed secret does not open (damaged, or moved to another row)")]
    Unsealable,
}

/// One server key.
pub struct ServerKey {
    /// The first 16 hex characters of the SHA-256 of the public key.
    pub id: String,
    pub created_at: String,
    seed: [u8; 32],
    signing: SigningKey,
}

impl ServerKey {
    fn from_seed(seed: [u8; 32], created_at: String) -> ServerKey {
        let signing = SigningKey::from_bytes(&seed);
        let id = hex::encode(Sha256::digest(signing.verifying_key().as_bytes()))[..16].to_owned();
        ServerKey {
            id,
            created_at,
            seed,
            signing,
        }
    }

    fn generate() -> ServerKey {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        ServerKey::from_seed(seed, now)
    }

    fn sealer(&self) -> XChaCha20Poly1305 {
        let hk = hkdf::Hkdf::<Sha256>::new(None, &self.seed);
        let mut key = [0u8; 32];
        hk.expand(b"egov secret sealing v1", &mut key)
            .expect("32 bytes is a valid HKDF length");
        XChaCha20Poly1305::new(&key.into())
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            id: self.id.clone(),
            created_at: self.created_at.clone(),
            ed25519: BASE64.encode(self.signing.verifying_key().as_bytes()),
        }
    }
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({})", self.id)
    }
}

/// A key's public half, as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub id: String,
    pub created_at: String,
    /// The Ed25519 public key, base64.
    pub ed25519: String,
}

/// A signature by one of the keyring's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub key_id: String,
    /// The Ed25519 signature, base64.
    pub signature: String,
}

/// The server's keys, oldest first.
#[derive(Debug)]
pub struct Keyring {
    keys: Vec<ServerKey>,
    path: Option<PathBuf>,
}

const HEADER: &str = "# egov server keys. Keep this file secret and back it up apart from the \
                      database backups:\n# without it, secrets sealed in the database cannot be \
                      read. One key a line:\n# <key id> <created> <seed, base64>\n";

impl Keyring {
    /// A keyring of one new key that lives only in memory (tests).
    pub fn ephemeral() -> Keyring {
        Keyring {
            keys: vec![ServerKey::generate()],
            path: None,
        }
    }

    /// Reads the keyring at `path`, or makes one with a new key there
    /// (readable by the owner only). Says whether it made it.
    pub fn load_or_create(path: &Path) -> Result<(Keyring, bool), KeyringError> {
        if path.exists() {
            return Ok((Keyring::load(path)?, false));
        }
        let ring = Keyring {
            keys: vec![ServerKey::generate()],
            path: Some(path.to_owned()),
        };
        // Two processes starting at once on one folder: the first file
        // made stands, and the other reads it.
        if ring.write_new()? {
            Ok((ring, true))
        } else {
            Ok((Keyring::load(path)?, false))
        }
    }

    /// Writes the keyring to its path unless a file is there already
    /// (written whole elsewhere, then linked into place). Says whether it did.
    fn write_new(&self) -> Result<bool, KeyringError> {
        let path = self.path.as_ref().expect("a keyring with a file");
        let io = |source| KeyringError::Io {
            path: path.clone(),
            source,
        };
        let mut nonce = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let staged = path.with_extension(format!("new-{}", hex::encode(nonce)));
        self.write_to(&staged)?;
        let linked = std::fs::hard_link(&staged, path);
        let _ = std::fs::remove_file(&staged);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io(e)),
        }
    }

    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        let io = |source| KeyringError::Io {
            path: path.to_owned(),
            source,
        };
        let text = std::fs::read_to_string(path).map_err(io)?;
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why| KeyringError::Malformed {
                path: path.to_owned(),
                line: i + 1,
                why,
            };
            let mut parts = line.split_whitespace();
            let (Some(id), Some(created), Some(seed), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("expected: <key id> <created> <seed>"));
            };
            let seed: [u8; 32] = BASE64
                .decode(seed.as_bytes())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("the seed is not 32 bytes of base64"))?;
            let key = ServerKey::from_seed(seed, created.to_owned());
            if key.id != id {
                return Err(bad("the key id does not match the seed"));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty(path.to_owned()));
        }
        Ok(Keyring {
            keys,
            path: Some(path.to_owned()),
        })
    }

    /// Adds a new key, which signs and seals from now on, and saves the
    /// keyring. Older keys stay to verify and open what they made.
    pub fn rotate(&mut self) -> Result<&ServerKey, KeyringError> {
        self.keys.push(ServerKey::generate());
        if self.path.is_some() {
            self.write()?;
        }
        Ok(self.newest())
    }

    fn write(&self) -> Result<(), KeyringError> {
        let path = self.path.as_ref().expect("a keyring with a file");
        let mut nonce = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let partial = path.with_extension(format!("partial-{}", hex::encode(nonce)));
        self.write_to(&partial)?;
        std::fs::rename(&partial, path).map_err(|source| KeyringError::Io {
            path: path.clone(),
            source,
        })
    }

    /// Writes the keys to `to` (readable by the owner only), synced.
    fn write_to(&self, to: &Path) -> Result<(), KeyringError> {
        let io = |source| KeyringError::Io {
            path: to.to_owned(),
            source,
        };
        if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut f = {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            o.open(to).map_err(io)?
        };
        let mut text = HEADER.to_owned();
        for k in &self.keys {
            text.push_str(&format!(
                "{} {} {}\n",
                k.id,
                k.created_at,
                BASE64.encode(&k.seed)
            ));
        }
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(())
    }

    pub fn newest(&self) -> &ServerKey {
        self.keys.last().expect("a keyring holds a key")
    }

    pub fn key(&self, id: &str) -> Option<&ServerKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.keys.iter().map(ServerKey::public).collect()
    }

    /// Signs `message` with the newest key.
    pub fn sign(&self, message: &[u8]) -> Signed {
        let key = self.newest();
        Signed {
            key_id: key.id.clone(),
            signature: BASE64.encode(&key.signing.sign(message).to_bytes()),
        }
    }

    /// Whether `signed` is a signature of `message` by a key of this ring.
    pub fn verify(&self, message: &[u8], signed: &Signed) -> bool {
        let Some(key) = self.key(&signed.key_id) else {
            return false;
        };
        let Some(sig) = BASE64
            .decode(signed.signature.as_bytes())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        let public: VerifyingKey = key.signing.verifying_key();
        public.verify(message, &Signature::from_bytes(&sig)).is_ok()
    }

    /// Seals `secret` with the newest key, bound to `label` (what it is and
    /// whose, e.g. `totp:42`): it opens only under the same label.
    pub fn seal(&self, label: &str, secret: &[u8]) -> String {
        let key = self.newest();
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = key
            .sealer()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: label.as_bytes(),
                },
            )
            .expect("sealing in memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{SEALED}{}:{}", key.id, BASE64.encode(&bytes))
    }

    /// Opens a value made by [`seal`](Keyring::seal) under `label`.
    pub fn open(&self, label: &str, stored: &str) -> Result<Vec<u8>, KeyringError> {
        let rest = stored
            .strip_prefix(SEALED)
            .ok_or(KeyringError::Unsealable)?;
        let (id, body) = rest.split_once(':').ok_or(KeyringError::Unsealable)?;
        let key = self
            .key(id)
            .ok_or_else(|| KeyringError::UnknownKey(id.to_owned()))?;
        let bytes = BASE64
            .decode(body.as_bytes())
            .map_err(|_| KeyringError::Unsealable)?;
        if bytes.len() < 24 {
            return Err(KeyringError::Unsealable);
        }
        let (nonce, sealed) = bytes.split_at(24);
        key.sealer()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| KeyringError::Unsealable)
    }

    /// Whether `stored` is sealed with the newest key already (else it
    /// wants sealing again after a rotation, or sealing at all).
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(SEALED)
            .and_then(|r| r.split_once(':'))
            .is_some_and(|(id, _)| id == self.newest().id)
    }
}

/// Whether a stored value is sealed (older releases stored some in the clear).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED)
}

impl Keyring {
    /// A stored text secret: opened when sealed; as it is when an older
    /// release stored it in the clear (until [`Keyring::is_current`] says
    /// it wants sealing, and it is).
    pub fn open_text(&self, label: &str, stored: &str) -> Result<String, KeyringError> {
        if !is_sealed(stored) {
            return Ok(stored.to_owned());
        }
        String::from_utf8(self.open(label, stored)?).map_err(|_| KeyringError::Unsealable)
    }

    /// Seals a text secret (see [`Keyring::seal`]).
    pub fn seal_text(&self, label: &str, secret: &str) -> String {
        self.seal(label, secret.as_bytes())
    }
}

static CURRENT: RwLock<Option<Arc<Keyring>>> = RwLock::new(None);

/// Makes `ring` the process's keyring.
pub fn install(ring: Keyring) -> Arc<Keyring> {
    let ring = Arc::new(ring);
    *CURRENT.write().expect("keyring lock") = Some(ring.clone());
    ring
}

/// Installs an in-memory keyring unless one is installed (tests).
pub fn install_ephemeral() -> Arc<Keyring> {
    let mut current = CURRENT.write().expect("keyring lock");
    current
        .get_or_insert_with(|| Arc::new(Keyring::ephemeral()))
        .clone()
}

/// The process's keyring.
pub fn current() -> Result<Arc<Keyring>, KeyringError> {
    CURRENT
        .read()
        .expect("keyring lock")
        .clone()
        .ok_or(KeyringError::NotInstalled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_under_their_label_only() {
        let ring = Keyring::ephemeral();
        let sealed = ring.seal("totp:1", b"JBSWY3DPEHPK3PXP");
        assert!(is_sealed(&sealed) && !sealed.contains("JBSWY3DP"));
        assert_eq!(ring.open("totp:1", &sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(matches!(
            ring.open("totp:2", &sealed),
            Err(KeyringError::Unsealable)
        ));
        let other = Keyring::ephemeral();
        assert!(matches!(
            other.open("totp:1", &sealed),
            Err(KeyringError::UnknownKey(_))
        ));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open("totp:1", &tampered).is_err());
    }

    #[test]
    fn signatures_verify_with_the_signing_key_only() {
        let ring = Keyring::ephemeral();
        let signed = ring.sign(b"checkpoint 7");
        assert!(ring.verify(b"checkpoint 7", &signed));
        assert!(!ring.verify(b"checkpoint 8", &signed));
        assert!(!Keyring::ephemeral().verify(b"checkpoint 7", &signed));
    }

    #[test]
    fn a_rotated_ring_reads_back_and_keeps_opening_old_seals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server-keys");
        let (mut ring, created) = Keyring::load_or_create(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by the owner only");
        }
        let old = ring.seal("k", b"secret");
        let old_sig = ring.sign(b"m");
        let first = ring.newest().id.clone();
        ring.rotate().unwrap();
        assert_ne!(ring.newest().id, first);
        let (again, created) = Keyring::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.ids(), ring.ids());
        assert_eq!(again.open("k", &old).unwrap(), b"secret");
        assert!(again.verify(b"m", &old_sig));
        assert!(!again.is_current(&old));
        assert!(again.is_current(&again.seal("k", b"secret")));
    }
}
