//! The ceiling for password sign-ins: how many Argon2id password checks
//! this machine does per second with the parameters egov signs in with
//! (`Argon2::default()`: Argon2id v19, 19 MiB, t=2, p=1), on 1 thread and on
//! as many threads as there are CPUs.
//!
//! `cargo run --release -p egov-identity --example argon2_rate -- [SECONDS] [THREADS,...]`
//!
//! Defaults: 3 seconds per measurement; thread counts 1 and the number of
//! CPUs. Each thread verifies the same password against a PHC string made
//! once at start, as a sign-in does (`egov_identity` verifies with
//! `Argon2::default()` on tokio's blocking pool; a hash costs the same as a
//! verification). One line per thread count, for `bench/run.sh` to read:
//!
//! `argon2id m=19456 t=2 p=1 threads=1 checks=150 seconds=3.01 per_second=49.8`

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, Params, PasswordVerifier};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &[u8] = b"Chang-Cheng-Wan-Li-9";

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args
        .next()
        .map(|s| s.parse().expect("SECONDS is a number"))
        .unwrap_or(3.0);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: Vec<usize> = match args.next() {
        Some(list) => list
            .split(',')
            .map(|t| t.trim().parse().expect("THREADS is a comma-separated list"))
            .collect(),
        None if cpus > 1 => vec![1, cpus],
        None => vec![1],
    };

    let salt = SaltString::generate(&mut OsRng);
    let phc = Argon2::default()
        .hash_password(PASSWORD, &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string();
    let p = Params::default();
    eprintln!("argon2_rate: {cpus} CPUs; {phc}");

    for &n in &threads {
        let (checks, elapsed) = measure(&phc, n, Duration::from_secs_f64(seconds));
        println!(
            "argon2id m={} t={} p={} threads={n} checks={checks} seconds={:.2} per_second={:.1}",
            p.m_cost(),
            p.t_cost(),
            p.p_cost(),
            elapsed.as_secs_f64(),
            checks as f64 / elapsed.as_secs_f64()
        );
    }
}

/// Runs `threads` threads verifying for about `length`; returns the number
/// of completed checks and the time until the last thread finished.
fn measure(phc: &str, threads: usize, length: Duration) -> (u64, Duration) {
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let ready = std::sync::Barrier::new(threads + 1);
    let start = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let parsed = PasswordHash::new(phc).expect("our own PHC string parses");
                let argon2 = Argon2::default();
                // One untimed check first, so the allocator has handed out
                // and the kernel mapped the 19 MiB before the clock starts.
                argon2
                    .verify_password(PASSWORD, &parsed)
                    .expect("warm-up check");
                ready.wait();
                while !stop.load(Ordering::Relaxed) {
                    argon2
                        .verify_password(PASSWORD, &parsed)
                        .expect("the password matches");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        ready.wait();
        let start = Instant::now();
        std::thread::sleep(length);
        stop.store(true, Ordering::Relaxed);
        start
    });
    // Checks finished after `stop` count too, so the time runs until every
    // thread has returned.
    (done.load(Ordering::Relaxed), start.elapsed())
}
