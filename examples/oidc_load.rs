//! Load generator for egov's OpenID Connect token endpoint, for what wrk
//! cannot do: refresh tokens rotate, so every refresh grant must present the
//! token the previous one returned.
//!
//! ```sh
//! cargo run --release --example oidc_load -- refresh \
//!     --base http://127.0.0.1:8080 --client-id ID --client-secret SECRET \
//!     --username NAME --password PASSWORD [--connections 64] [--duration 10s]
//! cargo run --release --example oidc_load -- client-credentials \
//!     --base http://127.0.0.1:8080 --client-id ID --client-secret SECRET
//! ```
//!
//! `refresh` signs the citizen in once (`POST /login`), then opens one chain
//! per connection: an authorization code (`GET /oidc/authorize`, scope
//! `openid`) exchanged for a first refresh token, before the clock starts.
//! With `--refresh-tokens FILE` the chains start instead from the tokens in
//! FILE, one per line (a provider that has no sign-in pages to drive, such as
//! the oidc-provider peer, seeds them itself), and a chain whose grant fails
//! ends there.
//! Each chain then loops on `grant_type=refresh_token`, always with the
//! token its last answer returned, so no token is ever presented twice. A
//! failed grant counts as an error (in the warm-up too) and the chain starts
//! again from a new code (not counted as a request). `client-credentials`
//! loops on `grant_type=client_credentials` with the given scope.
//!
//! The chains run `--warmup` untimed, then `--duration` timed; requests that
//! start inside the timed window and finish before its end are counted. The
//! last line is for scripts:
//!
//! `mode=refresh connections=64 seconds=10.00 requests=9000 errors=0 rps=900.0 p50=..ms p90=..ms p99=..ms reseeded=0`
//!
//! Everything is plain HTTP/1.1 with keep-alive; each chain holds a
//! connection of a shared pool.

#[path = "../tests/it/common/html.rs"]
mod html;

use clap::{Parser, ValueEnum};
use reqwest::header;
use reqwest::redirect::Policy;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    Refresh,
    ClientCredentials,
}

#[derive(Parser, Debug)]
#[command(about = "Token-endpoint load: rotating refresh chains or client-credentials grants")]
struct Args {
    mode: Mode,
    /// egov's base URL, e.g. http://127.0.0.1:8080
    #[arg(long)]
    base: String,
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    client_secret: String,
    /// A redirect URI registered for the client (refresh mode).
    #[arg(long, default_value = "http://127.0.0.1:9/cb")]
    redirect_uri: String,
    /// A citizen without a second factor (refresh mode).
    #[arg(long)]
    username: Option<String>,
    #[arg(long)]
    password: Option<String>,
    /// First refresh tokens, one per line, instead of signing in (refresh mode).
    #[arg(long)]
    refresh_tokens: Option<std::path::PathBuf>,
    /// Concurrent chains (refresh) or concurrent loops (client-credentials).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Timed length: 10s, 500ms, 1m, or plain seconds.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Untimed run before the timed one (0 to skip).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// Runtime worker threads of this load generator.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Scope asked for by client-credentials grants.
    #[arg(long, default_value = "api")]
    scope: String,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = number.parse().map_err(|_| format!("not a duration: {s}"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("not a duration: {s} (use ms, s or m)")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Target {
    http: reqwest::Client,
    base: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    scope: String,
    /// The citizen's `egov_session` cookie (refresh mode).
    session: Option<String>,
}

impl Target {
    fn token_request(&self) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/oidc/token", self.base))
            .basic_auth(&self.client_id, Some(&self.client_secret))
    }

    /// A new chain: an authorization code for the signed-in citizen,
    /// exchanged for a first refresh token.
    async fn first_refresh_token(&self) -> Result<String, Error> {
        let session = self.session.as_deref().ok_or("no session")?;
        let mut url = url::Url::parse(&format!("{}/oidc/authorize", self.base))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid")
            .append_pair("state", "bench")
            .append_pair("code_challenge", &pkce_challenge())
            .append_pair("code_challenge_method", "S256");
        let cookie = format!("egov_session={session}");
        let mut res = self
            .http
            .get(url)
            .header(header::COOKIE, &cookie)
            .send()
            .await?;
        if res.status() == reqwest::StatusCode::OK {
            // The consent page, the first time: allow, as its form does.
            let page = res.text().await?;
            let mut answer = html::hidden_fields(&page);
            answer.push(("egov_consent".into(), "approve".into()));
            res = self
                .http
                .post(format!("{}/oidc/authorize", self.base))
                .header(header::COOKIE, &cookie)
                .form(&answer)
                .send()
                .await?;
        }
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("authorize answered {} without a Location", res.status()))?;
        let location = url::Url::parse(location)?;
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| format!("authorize sent no code: {location}"))?;
        let body: serde_json::Value = self
            .token_request()
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("code_verifier", PKCE_VERIFIER),
            ])
            .send()
            .await?
            .json()
            .await?;
        body["refresh_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("code exchange gave no refresh token: {body}").into())
    }

    /// One refresh grant; returns the next refresh token.
    async fn refresh(&self, token: &str) -> Result<String, Error> {
        let res = self
            .token_request()
            .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
            .send()
            .await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        match body["refresh_token"].as_str() {
            Some(next) if status.is_success() && body["access_token"].is_string() => {
                Ok(next.to_owned())
            }
            _ => Err(format!("refresh grant answered {status}: {body}").into()),
        }
    }

    async fn client_credentials(&self) -> Result<(), Error> {
        let res = self
            .token_request()
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", self.scope.as_str()),
            ])
            .send()
            .await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        if status.is_success() && body["access_token"].is_string() {
            Ok(())
        } else {
            Err(format!("client-credentials grant answered {status}: {body}").into())
        }
    }
}

/// The PKCE verifier every chain uses (egov asks PKCE of its clients).
const PKCE_VERIFIER: &str = "oidc-load-pkce-verifier-0123456789-abcdefghijklmn";

fn pkce_challenge() -> String {
    use sha2::Digest;
    data_encoding::BASE64URL_NOPAD.encode(&sha2::Sha256::digest(PKCE_VERIFIER.as_bytes()))
}

/// Signs the citizen in and returns the session cookie's value. The form
/// check is a double submit: the cookie and the field only have to match.
async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    pass: &str,
) -> Result<String, Error> {
    let res = http
        .post(format!("{base}/login"))
        .header(header::COOKIE, "egov_form=oidc-load")
        .form(&[
            ("username", user),
            ("password", pass),
            ("csrf", "oidc-load"),
        ])
        .send()
        .await?;
    let status = res.status();
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("egov_session="))
        .and_then(|c| c.split(';').next())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("sign-in answered {status} without a session cookie").into())
}

#[derive(Default)]
struct Tally {
    /// Latencies of the counted requests, in microseconds.
    latencies: Vec<u32>,
    errors: u64,
    reseeded: u64,
    first_error: Option<String>,
}

/// One loop of grants until `end`. A refresh chain starts from `seed`, the
/// token it was given before the clock started, and after a failed grant
/// from a new code.
async fn chain(
    target: Arc<Target>,
    mode: Mode,
    seed: Option<String>,
    measure_from: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut token = seed;
    let note = |tally: &mut Tally, e: Error| {
        tally.errors += 1;
        tally.first_error.get_or_insert_with(|| e.to_string());
    };
    while Instant::now() < end {
        if mode == Mode::Refresh && token.is_none() {
            match target.first_refresh_token().await {
                Ok(t) => token = Some(t),
                // Without a session there is no new code to start from.
                Err(e) if target.session.is_none() => {
                    note(&mut tally, e);
                    break;
                }
                Err(e) => {
                    note(&mut tally, e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        let started = Instant::now();
        let outcome = match mode {
            Mode::Refresh => {
                let current = token.take().expect("a token");
                target
                    .refresh(&current)
                    .await
                    .map(|next| token = Some(next))
            }
            Mode::ClientCredentials => target.client_credentials().await,
        };
        let finished = Instant::now();
        match outcome {
            Ok(()) if started >= measure_from && finished <= end => tally
                .latencies
                .push((finished - started).as_micros().min(u32::MAX as u128) as u32),
            Ok(()) => {}
            // Every failure counts, in the warm-up too.
            Err(e) => {
                note(&mut tally, e);
                if mode == Mode::Refresh {
                    tally.reseeded += 1;
                }
            }
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> String {
    if sorted.is_empty() {
        return "-".into();
    }
    let i = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len()) - 1;
    let us = sorted[i] as f64;
    if us >= 1000.0 {
        format!("{:.2}ms", us / 1000.0)
    } else {
        format!("{us:.0}us")
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    let base = args.base.trim_end_matches('/').to_owned();
    let given: Option<Vec<String>> = match &args.refresh_tokens {
        Some(path) => Some(
            std::fs::read_to_string(path)?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        None => None,
    };
    let session = match args.mode {
        Mode::Refresh if given.is_some() => None,
        Mode::Refresh => {
            let user = args.username.as_deref().ok_or("refresh needs --username")?;
            let pass = args.password.as_deref().ok_or("refresh needs --password")?;
            Some(sign_in(&http, &base, user, pass).await?)
        }
        Mode::ClientCredentials => None,
    };
    let target = Arc::new(Target {
        http,
        base,
        client_id: args.client_id,
        client_secret: args.client_secret,
        redirect_uri: args.redirect_uri,
        scope: args.scope,
        session,
    });

    // Every chain gets its first token before the clock starts.
    let mut seeds = Vec::with_capacity(args.connections);
    if let (Mode::Refresh, Some(given)) = (args.mode, given) {
        if given.len() < args.connections {
            return Err(format!(
                "{} refresh tokens given for {} connections",
                given.len(),
                args.connections
            )
            .into());
        }
        seeds = given;
    } else if args.mode == Mode::Refresh {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..args.connections {
            let t = target.clone();
            set.spawn(async move { t.first_refresh_token().await });
        }
        while let Some(r) = set.join_next().await {
            seeds.push(r??);
        }
        eprintln!(
            "oidc_load: {} chains, each with its own refresh token",
            seeds.len()
        );
    }

    let start = Instant::now();
    let measure_from = start + args.warmup;
    let end = measure_from + args.duration;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..args.connections {
        let t = target.clone();
        let seed = seeds.get(i).cloned();
        let mode = args.mode;
        set.spawn(chain(t, mode, seed, measure_from, end));
    }
    let mut all = Tally::default();
    while let Some(r) = set.join_next().await {
        let t = r?;
        all.latencies.extend(t.latencies);
        all.errors += t.errors;
        all.reseeded += t.reseeded;
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
    }
    all.latencies.sort_unstable();
    let seconds = args.duration.as_secs_f64();
    let requests = all.latencies.len();
    let mode = match args.mode {
        Mode::Refresh => "refresh",
        Mode::ClientCredentials => "client-credentials",
    };
    if let Some(e) = &all.first_error {
        eprintln!("oidc_load: first error: {e}");
    }
    println!(
        "{mode}: {requests} requests in {seconds:.2}s over {} connections ({} untimed warm-up), {} errors",
        args.connections,
        format_args!("{:.1}s", args.warmup.as_secs_f64()),
        all.errors
    );
    println!(
        "mode={mode} connections={} seconds={seconds:.2} requests={requests} errors={} rps={:.1} p50={} p90={} p99={} reseeded={}",
        args.connections,
        all.errors,
        requests as f64 / seconds,
        percentile(&all.latencies, 50.0),
        percentile(&all.latencies, 90.0),
        percentile(&all.latencies, 99.0),
        all.reseeded
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oidc_load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
