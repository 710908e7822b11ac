//! Argon2id password hashing on the blocking pool, through a gate that
//! bounds how many hashes run at once. One hash costs tens of milliseconds
//! of CPU and 19 MiB of memory: unbounded, a flood of sign-ins would take
//! the executor's threads and gigabytes of memory. A hash that cannot start
//! within a short wait is refused as [`Busy`] and the caller answers
//! "try again" (503 with `Retry-After`).
//!
//! The hashes also reuse their working memory: freed after each hash, glibc
//! kept it in the arena of whichever blocking thread had run it, and a
//! flood of sign-ins grew the process by hundreds of MiB that stayed.

use argon2::password_hash::{
    rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// The server had no room to check a password in time; nothing was checked.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many passwords are being checked; try again shortly")]
pub struct Busy;

/// How many hashes may run at once and how long one may wait for its turn.
#[derive(Debug, Clone)]
pub struct HashLimits {
    /// Hashes running at once; each holds 19 MiB while it runs.
    pub concurrent: usize,
    /// How long a hash waits for a free slot before it is refused.
    pub wait: Duration,
    /// Hashes allowed to wait at once; more are refused at once.
    pub queue: usize,
}

impl Default for HashLimits {
    /// One hash per core, a queue of 64 per core, two seconds' wait.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashLimits {
            concurrent: cores,
            wait: Duration::from_secs(2),
            queue: cores * 64,
        }
    }
}

/// The gate every hash passes; see [`HashLimits`].
pub struct HashGate {
    limits: HashLimits,
    slots: Semaphore,
    waiting: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
    /// Working memory of hashes that ended, for the next ones: never more
    /// buffers than hashes that ran at once.
    memory: Mutex<Vec<Vec<Block>>>,
}

static GATE: OnceLock<HashGate> = OnceLock::new();

/// Sets the limits before the first hash; later calls change nothing and
/// say so.
pub fn configure(limits: HashLimits) -> bool {
    GATE.set(HashGate::new(limits)).is_ok()
}

/// The process's gate.
pub fn gate() -> &'static HashGate {
    GATE.get_or_init(|| HashGate::new(HashLimits::default()))
}

impl HashGate {
    pub fn new(limits: HashLimits) -> HashGate {
        HashGate {
            slots: Semaphore::new(limits.concurrent.max(1)),
            limits,
            waiting: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            memory: Mutex::new(Vec::new()),
        }
    }

    pub fn limits(&self) -> &HashLimits {
        &self.limits
    }

    /// The most hashes that ever ran at once through this gate.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Runs `work` on the blocking pool once a slot is free. The slot is
    /// held until `work` ends, even if the caller stops waiting for it.
    pub async fn run<T: Send + 'static>(
        &'static self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.limits.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let slot = tokio::time::timeout(self.limits.wait, self.slots.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let slot = match slot {
            Ok(Ok(slot)) => slot,
            _ => return Err(Busy),
        };
        let running = self.running.fetch_add(1, Ordering::AcqRel) + 1;
        self.peak.fetch_max(running, Ordering::Relaxed);
        let task = tokio::task::spawn_blocking(move || {
            let out = work();
            self.running.fetch_sub(1, Ordering::AcqRel);
            drop(slot);
            out
        });
        Ok(task.await.expect("hashing task panicked"))
    }

    /// Takes a slot and keeps it until the guard is dropped, as a hash
    /// would: for tests of what callers do when the gate is full.
    pub async fn hold(&'static self) -> tokio::sync::SemaphorePermit<'static> {
        self.slots
            .acquire()
            .await
            .expect("the gate is never closed")
    }

    /// Runs `work` through the gate with Argon2 working memory for
    /// `params`, taken from hashes that ended (or made).
    async fn run_argon2<T: Send + 'static>(
        &'static self,
        params: Params,
        work: impl FnOnce(&Argon2<'_>, &mut [Block]) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        self.run(move || {
            let mut memory = self.memory.lock().expect("hash memory").pop();
            let memory = memory.get_or_insert_with(Vec::new);
            if memory.len() < params.block_count() {
                memory.resize(params.block_count(), Block::default());
            }
            let out = work(&Argon2::from(params), memory);
            // A hash made with larger parameters than today's does not
            // keep its memory.
            if memory.len() <= Params::default().block_count() {
                self.memory
                    .lock()
                    .expect("hash memory")
                    .push(std::mem::take(memory));
            }
            out
        })
        .await
    }
}

pub async fn hash_password(password: SecretString) -> Result<String, Busy> {
    let params = Params::default();
    gate()
        .run_argon2(params.clone(), move |argon2, memory| {
            let salt = SaltString::generate(&mut OsRng);
            let mut raw_salt = [0u8; Salt::MAX_LENGTH];
            let raw_salt = salt.decode_b64(&mut raw_salt).expect("a salt we made");
            let hash = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
                argon2
                    .hash_password_into_with_memory(
                        password.expose_secret().as_bytes(),
                        raw_salt,
                        out,
                        memory,
                    )
                    .map_err(Into::into)
            })
            .expect("argon2 with default parameters cannot fail");
            PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).expect("default parameters"),
                salt: Some(salt.as_salt()),
                hash: Some(hash),
            }
            .to_string()
        })
        .await
}

/// Checks a password against a stored PHC string. A malformed stored hash
/// counts as a mismatch.
pub async fn verify_password(password: SecretString, phc: String) -> Result<bool, Busy> {
    let Some(params) = PasswordHash::new(&phc)
        .ok()
        .and_then(|parsed| Params::try_from(&parsed).ok())
    else {
        return Ok(false);
    };
    gate()
        .run_argon2(params, move |_, memory| {
            matches(password.expose_secret().as_bytes(), &phc, memory).unwrap_or(false)
        })
        .await
}

/// Whether `password` hashes to the stored PHC string, with its algorithm,
/// version and parameters; `None` when the string is not an Argon2 hash.
fn matches(password: &[u8], phc: &str, memory: &mut [Block]) -> Option<bool> {
    let parsed = PasswordHash::new(phc).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).ok()?;
    let (salt, expected) = (parsed.salt?, parsed.hash?);
    let mut raw_salt = [0u8; Salt::MAX_LENGTH];
    let raw_salt = salt.decode_b64(&mut raw_salt).ok()?;
    let computed = Output::init_with(expected.len(), |out| {
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password, raw_salt, out, memory)
            .map_err(Into::into)
    })
    .ok()?;
    // Output's equality is constant-time.
    Some(computed == expected)
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
        let h1 = hash_password(SecretString::from("correct horse"))
            .await
            .unwrap();
        let h2 = hash_password(SecretString::from("correct horse"))
            .await
            .unwrap();
        assert!(h1.starts_with("$argon2id$"));
        assert_ne!(h1, h2, "salted");
        assert!(
            verify_password(SecretString::from("correct horse"), h1.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password(SecretString::from("wrong"), h1)
            .await
            .unwrap());
        assert!(!verify_password(SecretString::from("x"), "garbage".into())
            .await
            .unwrap());
    }

    /// Hashes stored by earlier releases (the crate's own hasher, or other
    /// parameters) still verify, and ours verify with the crate's verifier.
    #[tokio::test]
    async fn hashes_are_standard_phc_strings_whatever_their_parameters() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let light = Params::new(8 * 1024, 1, 1, None).unwrap();
        for argon2 in [
            Argon2::default(),
            Argon2::new(Algorithm::Argon2id, Version::V0x13, light),
            Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::default()),
        ] {
            let stored = argon2.hash_password(b"old secret", &salt).unwrap();
            assert!(
                verify_password(SecretString::from("old secret"), stored.to_string())
                    .await
                    .unwrap(),
                "{stored}"
            );
            assert!(
                !verify_password(SecretString::from("old secreT"), stored.to_string())
                    .await
                    .unwrap()
            );
        }
        let ours = hash_password(SecretString::from("new secret"))
            .await
            .unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"new secret", &parsed)
            .is_ok());
        assert_eq!(parsed.params.get_decimal("m"), Some(19 * 1024));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn working_memory_is_kept_for_no_more_hashes_than_run_at_once() {
        let gate = leaked(HashLimits {
            concurrent: 2,
            wait: Duration::from_secs(60),
            queue: 100,
        });
        let mut burst = tokio::task::JoinSet::new();
        for _ in 0..8 {
            burst.spawn(gate.run_argon2(Params::default(), |_, memory| memory.len()));
        }
        while let Some(blocks) = burst.join_next().await {
            assert_eq!(blocks.unwrap().unwrap(), Params::default().block_count());
        }
        let kept = gate.memory.lock().unwrap().len();
        assert!((1..=2).contains(&kept), "{kept} buffers kept");
    }

    fn leaked(limits: HashLimits) -> &'static HashGate {
        Box::leak(Box::new(HashGate::new(limits)))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_than_the_limit_run_at_once() {
        let gate = leaked(HashLimits {
            concurrent: 2,
            wait: Duration::from_secs(60),
            queue: 100,
        });
        // Work that goes on only in pairs: both slots are taken at once,
        // and a gate that let more through would show a higher peak.
        let pairs = std::sync::Arc::new(std::sync::Barrier::new(2));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let pairs = pairs.clone();
            tasks.push(tokio::spawn(gate.run(move || {
                pairs.wait();
            })));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(gate.peak(), 2);
    }

    #[tokio::test]
    async fn a_full_gate_refuses_after_its_wait_and_past_its_queue() {
        let gate = leaked(HashLimits {
            concurrent: 1,
            wait: Duration::from_millis(20),
            queue: 1,
        });
        let held = gate.hold().await;
        assert!(
            matches!(gate.run(|| ()).await, Err(Busy)),
            "waited, refused"
        );
        drop(held);
        assert!(gate.run(|| ()).await.is_ok(), "free again");
        let zero_queue = leaked(HashLimits {
            concurrent: 1,
            wait: Duration::from_secs(60),
            queue: 0,
        });
        assert!(
            matches!(zero_queue.run(|| ()).await, Err(Busy)),
            "no room to wait"
        );
    }
}
