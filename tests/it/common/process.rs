//! Driving the real `egov` binary: CLI commands and a server on a real socket.

use egov_store::testing::TestLocation;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_egov");

/// Arguments that point a command at a test location.
pub fn location_args(loc: &TestLocation) -> Vec<String> {
    vec![
        "--data-dir".into(),
        loc.dir.path().display().to_string(),
        "--database-url".into(),
        loc.url_string(),
    ]
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `egov ARGS...` to completion.
pub async fn egov(args: &[String]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .env("EGOV_LOG", "warn")
        .env_remove("EGOV_DATABASE_URL")
        .output()
        .await
        .expect("run egov");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn args(loc: &TestLocation, rest: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    v.extend(location_args(loc));
    v
}

pub struct Server {
    pub child: Child,
    pub base: String,
    /// Everything the server printed on stdout before it was ready.
    pub banner: String,
}

impl Server {
    /// Starts `egov serve` on a free port and waits until it says it serves.
    pub async fn start(loc: &TestLocation) -> Server {
        Server::start_with_env(loc, &[]).await
    }

    /// As [`Server::start`], with extra `EGOV_*` settings in the
    /// environment (e.g. the supervision scan interval, the node name).
    pub async fn start_with_env(loc: &TestLocation, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .args(args(loc, &["serve", "--bind", "127.0.0.1:0"]))
            .env("EGOV_LOG", "warn")
            .env_remove("EGOV_DATABASE_URL")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn egov serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut banner = String::new();
        let base = loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("egov serve exited before serving");
            banner.push_str(&line);
            banner.push('\n');
            if let Some(rest) = line.strip_prefix("egov is serving ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server {
            child,
            base,
            banner,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGKILL: no shutdown hooks, no flushing beyond what was committed.
    pub async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    /// SIGTERM and wait for a graceful exit.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().unwrap() as i32;
        // SAFETY-free: send the signal through the kill command.
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .unwrap();
        self.child.wait().await.unwrap()
    }
}
