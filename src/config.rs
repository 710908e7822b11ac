//! Typed, layered configuration: defaults < egov.toml < EGOV_* environment
//! < command-line flags. Secrets (the database URL may hold a password) are
//! typed as secrets and never logged.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct Settings {
    /// Address to serve on.
    pub bind: SocketAddr,
    /// Where SQLite and uploaded files live.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; SQLite under `data_dir` when unset.
    #[serde(serialize_with = "skip_secret")]
    pub database_url: Option<SecretString>,
    /// Load the demo organisation and data on first start.
    pub demo: bool,
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `egov=debug,sqlx=warn`.
    pub log: String,
    pub request_timeout_secs: u64,
    pub max_body_bytes: usize,
    pub max_connections: u32,
    /// How long a request waits for a database connection before it is
    /// answered 503 (the database is out of reach), in milliseconds.
    pub db_acquire_timeout_ms: u64,
    /// The address users reach the site at; `https://` marks cookies Secure.
    pub public_url: Option<String>,
    /// Largest accepted attachment, in bytes.
    pub max_upload_bytes: usize,
    /// Seconds between electronic-supervision scans; 0 turns the scheduler
    /// off on this node (another node, or `egov supervision scan`, runs it).
    pub supervision_scan_secs: u64,
    /// Cases one scan transaction claims (on PostgreSQL four claim at
    /// once on each node).
    pub supervision_scan_batch: i64,
    /// Working days a department has to answer a supervision order (督办).
    pub order_answer_workdays: u32,
    /// This node's name in supervision records (default: the host name and
    /// process id).
    pub node_name: Option<String>,
    /// Where this node keeps its search index; in memory when unset. Each
    /// node needs its own: it is rebuilt from the database on start.
    pub search_dir: Option<PathBuf>,
    /// Password hashes run at once (each holds 19 MiB while it runs);
    /// default: one per core.
    pub hash_concurrency: Option<usize>,
    /// How long a sign-in waits for a free hashing slot before it is
    /// answered 503, in milliseconds.
    pub hash_wait_ms: u64,
    /// A bearer token that opens `/metrics` to a scraper on another host.
    #[serde(serialize_with = "skip_secret")]
    pub metrics_token: Option<SecretString>,
    /// Serve `/metrics` on this address of its own (for example a private
    /// interface) instead of on the main one.
    pub metrics_bind: Option<SocketAddr>,
    /// The server's keys (they sign the audit chain's checkpoints and seal
    /// secrets in the database): a file outside the database, made on
    /// first start. Default: `server-keys` in the data directory. Nodes
    /// sharing one PostgreSQL database need the same file.
    pub server_key_file: Option<PathBuf>,
    /// Seconds between signed checkpoints of the audit chain; 0 turns them
    /// off on this node.
    pub audit_checkpoint_secs: u64,
    /// Where this node keeps the newest checkpoint it signed, outside the
    /// database. Default: `audit-anchor.jsonl` in the data directory.
    pub audit_anchor_file: Option<PathBuf>,
    /// A session unused this long ends, and with it the single sign-on
    /// tokens issued in it (minutes).
    pub session_idle_minutes: u32,
    /// Seconds between passes that tell relying parties of ended sessions
    /// (OpenID Connect Back-Channel Logout); 0 turns it off on this node.
    pub backchannel_logout_secs: u64,
    /// Self-registrations allowed from one source address per hour.
    pub registrations_per_hour: u32,
    /// The SMS gateway: each text message is POSTed here as
    /// `{"phone": ..., "text": ...}`. Without one, messages wait in the
    /// outbox (`egov sms outbox`) and a demo shows them on the page.
    pub sms_gateway_url: Option<String>,
    /// The mail server that sends email notices, as a URL such as
    /// `smtps://user:password@mail.example.gov.cn` or
    /// `smtp://relay.internal:587?tls=required`.
    #[serde(serialize_with = "skip_secret")]
    pub smtp_url: Option<SecretString>,
    /// The sender of email notices.
    pub email_from: String,
    /// Where email and text messages go when their channel has no sender
    /// configured: one JSON line each. Default, with `demo` on:
    /// `outbox.jsonl` in the data directory; with `demo` off they wait in
    /// the outbox (`egov outbox`) unless this is set.
    pub outbox_file: Option<PathBuf>,
}

fn skip_secret<S: serde::Serializer>(_: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_none()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("egov-data"),
            database_url: None,
            demo: true,
            log_format: LogFormat::Pretty,
            log: "info".to_owned(),
            request_timeout_secs: 30,
            max_body_bytes: 1024 * 1024,
            max_connections: 16,
            db_acquire_timeout_ms: 1000,
            public_url: None,
            max_upload_bytes: 10 * 1024 * 1024,
            supervision_scan_secs: 60,
            supervision_scan_batch: 500,
            order_answer_workdays: 3,
            node_name: None,
            search_dir: None,
            hash_concurrency: None,
            hash_wait_ms: 2000,
            metrics_token: None,
            metrics_bind: None,
            server_key_file: None,
            audit_checkpoint_secs: 10,
            audit_anchor_file: None,
            session_idle_minutes: 30,
            backchannel_logout_secs: 5,
            registrations_per_hour: 10,
            sms_gateway_url: None,
            smtp_url: None,
            email_from: "北京市电子政务平台 <noreply@egov.localhost>".to_owned(),
            outbox_file: None,
        }
    }
}

/// Values given on the command line; `None` leaves the layer below in force.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
}

impl Settings {
    /// This node's name in supervision records and on its PostgreSQL
    /// connections: `node_name`, or the host name and process id.
    pub fn node(&self) -> String {
        self.node_name.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "egov".into());
            format!("{host}:{}", std::process::id())
        })
    }

    pub fn load(config_file: &Path, overrides: Overrides) -> Result<Settings, Box<figment::Error>> {
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(config_file))
            .merge(Env::prefixed("EGOV_").only(&[
                "bind",
                "data_dir",
                "database_url",
                "demo",
                "log_format",
                "log",
                "request_timeout_secs",
                "max_body_bytes",
                "max_connections",
                "db_acquire_timeout_ms",
                "public_url",
                "max_upload_bytes",
                "supervision_scan_secs",
                "supervision_scan_batch",
                "order_answer_workdays",
                "node_name",
                "search_dir",
                "hash_concurrency",
                "hash_wait_ms",
                "metrics_token",
                "metrics_bind",
                "server_key_file",
                "audit_checkpoint_secs",
                "audit_anchor_file",
                "session_idle_minutes",
                "backchannel_logout_secs",
                "registrations_per_hour",
                "sms_gateway_url",
                "smtp_url",
                "email_from",
                "outbox_file",
            ]))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    pub fn database_url(&self) -> Result<egov_store::DatabaseUrl, egov_store::StoreError> {
        match &self.database_url {
            Some(url) if !url.expose_secret().is_empty() => {
                egov_store::DatabaseUrl::parse(url.expose_secret())
            }
            _ => Ok(egov_store::DatabaseUrl::sqlite_in(&self.data_dir)),
        }
    }

    pub fn server_key_file(&self) -> PathBuf {
        self.server_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("server-keys"))
    }

    pub fn audit_anchor_file(&self) -> PathBuf {
        self.audit_anchor_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-anchor.jsonl"))
    }

    /// The SMS gateway's address, when one is configured.
    pub fn sms_gateway(&self) -> Option<&str> {
        self.sms_gateway_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
    }

    /// The file that takes the messages of channels with no sender, if any.
    pub fn outbox_file(&self) -> Option<PathBuf> {
        self.outbox_file
            .clone()
            .or_else(|| self.demo.then(|| self.data_dir.join("outbox.jsonl")))
    }

    /// How each channel's messages leave: SMTP and the SMS gateway where
    /// configured, else the outbox file, else nothing (they wait).
    pub fn senders(
        &self,
    ) -> Result<egov_notify::sender::Senders, egov_notify::sender::ConfigError> {
        use egov_notify::sender::Sender;
        let file = || self.outbox_file().map(Sender::File);
        let email = match self
            .smtp_url
            .as_ref()
            .filter(|u| !u.expose_secret().trim().is_empty())
        {
            Some(url) => Some(Sender::smtp(url, &self.email_from)?),
            None => file(),
        };
        let sms = match self.sms_gateway() {
            Some(url) => Some(Sender::SmsGateway {
                http: egov_oidc::backchannel::client(),
                url: url.to_owned(),
            }),
            None => file(),
        };
        Ok(egov_notify::sender::Senders { email, sms })
    }

    /// The address links in emails start with.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    /// Where attachment files are kept.
    pub fn files_dir(&self) -> PathBuf {
        self.data_dir.join("files")
    }

    /// The bound on concurrent password hashes.
    pub fn hash_limits(&self) -> egov_identity::password::HashLimits {
        let default = egov_identity::password::HashLimits::default();
        let concurrent = self.hash_concurrency.unwrap_or(default.concurrent).max(1);
        egov_identity::password::HashLimits {
            concurrent,
            wait: std::time::Duration::from_millis(self.hash_wait_ms),
            queue: concurrent * 64,
        }
    }

    pub fn web(&self) -> egov_web::WebSettings {
        egov_web::WebSettings {
            secure_cookies: self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
            max_body_bytes: self.max_body_bytes,
            public_url: self
                .public_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_owned()),
            files_dir: self.files_dir(),
            max_upload_bytes: self.max_upload_bytes,
            order_answer_workdays: self.order_answer_workdays,
            metrics: egov_web::MetricsAccess {
                token: self
                    .metrics_token
                    .clone()
                    .filter(|t| !t.expose_secret().is_empty()),
                loopback: true,
                own_listener: self.metrics_bind.is_some(),
            },
            audit_anchor: Some(self.audit_anchor_file()),
            registrations_per_hour: self.registrations_per_hour,
            show_sms_in_page: self.demo && self.sms_gateway().is_none(),
            show_email_in_page: self.demo
                && self
                    .smtp_url
                    .as_ref()
                    .is_none_or(|u| u.expose_secret().trim().is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail signature
    fn layers_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "egov.toml",
                "bind = \"127.0.0.1:9000\"\nlog = \"debug\"\ndemo = false",
            )?;
            jail.set_env("EGOV_LOG", "warn");
            let s = Settings::load(
                Path::new("egov.toml"),
                Overrides {
                    demo: Some(true),
                    ..Default::default()
                },
            )
            .map_err(|e| *e)?;
            assert_eq!(s.bind.port(), 9000, "file over default");
            assert_eq!(s.log, "warn", "environment over file");
            assert!(s.demo, "flag over file");
            assert_eq!(s.max_body_bytes, 1024 * 1024, "default kept");
            Ok(())
        });
    }

    #[test]
    fn database_url_defaults_to_sqlite_in_data_dir() {
        let s = Settings::default();
        assert!(matches!(
            s.database_url().unwrap(),
            egov_store::DatabaseUrl::Sqlite(p) if p == Path::new("egov-data/egov.db")
        ));
    }
}
