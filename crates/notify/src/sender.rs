//! How messages leave: per channel, the sender the operator configured.
//! Email goes by SMTP; text messages by a POST to the operator's SMS
//! gateway; in development either may be written to a file instead, one
//! JSON line per message. A channel with no sender keeps its messages in
//! the outbox.

use crate::note::Channel;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// One message on its way.
#[derive(Debug)]
pub struct Outgoing<'a> {
    pub channel: Channel,
    pub to: &'a str,
    /// Empty for a text message.
    pub subject: &'a str,
    pub body: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("writing the message file {path}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the SMS gateway answered {0}")]
    Gateway(reqwest::StatusCode),
    #[error("the SMS gateway could not be reached")]
    Http(#[from] reqwest::Error),
    #[error("the address {0:?} is not an email address")]
    Address(String),
    #[error("the email could not be built")]
    Build(#[from] lettre::error::Error),
    #[error("the mail server refused or could not be reached")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the SMTP URL is not usable")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error("the sender address {0:?} is not an email address")]
    From(String),
}

/// A configured way out for one channel.
pub enum Sender {
    /// Appends each message to a file as a JSON line.
    File(PathBuf),
    /// POSTs `{"phone": ..., "text": ...}` to the SMS gateway; any 2xx is
    /// taken as accepted.
    SmsGateway { http: reqwest::Client, url: String },
    /// Sends by SMTP from `from`.
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sender::File(path) => write!(f, "file {}", path.display()),
            Sender::SmsGateway { url, .. } => write!(f, "SMS gateway {url}"),
            Sender::Smtp { from, .. } => write!(f, "SMTP from {from}"),
        }
    }
}

impl Sender {
    /// An SMTP sender from a URL such as
    /// `smtps://user:password@mail.example.gov.cn` or
    /// `smtp://mail.internal:587?tls=required` (`smtp://` alone: no TLS,
    /// for a relay on the same host).
    pub fn smtp(url: &SecretString, from: &str) -> Result<Sender, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(ConfigError::SmtpUrl)?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|_| ConfigError::From(from.to_owned()))?;
        Ok(Sender::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    pub async fn send(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        match self {
            Sender::File(path) => append_line(path, m).await,
            Sender::SmsGateway { http, url } => {
                let res = http
                    .post(url)
                    .json(&serde_json::json!({ "phone": m.to, "text": m.body }))
                    .send()
                    .await?;
                match res.status().is_success() {
                    true => Ok(()),
                    false => Err(SendError::Gateway(res.status())),
                }
            }
            Sender::Smtp { transport, from } => {
                let to: Mailbox =
                    m.to.parse()
                        .map_err(|_| SendError::Address(m.to.to_owned()))?;
                let email = lettre::Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(m.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(m.body.to_owned())?;
                transport.send(email).await?;
                Ok(())
            }
        }
    }
}

async fn append_line(path: &PathBuf, m: &Outgoing<'_>) -> Result<(), SendError> {
    let line = serde_json::json!({
        "at": egov_kernel::time::canonical(&egov_kernel::time::now()),
        "channel": m.channel.as_str(),
        "to": m.to,
        "subject": m.subject,
        "body": m.body,
    });
    let io = |source| SendError::File {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(io)?;
    file.write_all(format!("{line}\n").as_bytes())
        .await
        .map_err(io)?;
    file.sync_data().await.map_err(io)
}

/// The sender of each channel; `None` keeps that channel's messages queued.
#[derive(Debug, Default)]
pub struct Senders {
    pub email: Option<Sender>,
    pub sms: Option<Sender>,
}

impl Senders {
    pub fn for_channel(&self, channel: Channel) -> Option<&Sender> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
        }
    }
}
