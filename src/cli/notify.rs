//! `egov outbox`: the emails and text messages on their way out.

use clap::Args;
use egov_notify::outbox::{self, Channel, Filter};
use egov_store::Db;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct OutboxArgs {
    /// `email` or `sms`; both when left out.
    #[arg(long)]
    channel: Option<String>,
    /// Only those to this address (an email address or a phone number).
    #[arg(long)]
    to: Option<String>,
    #[arg(long, default_value_t = 20)]
    limit: i64,
}

/// `egov outbox`: one line per message, newest first: when, channel, to,
/// where it stands, subject and text.
pub async fn outbox(db: &Db, public_url: &str, args: OutboxArgs) -> anyhow::Result<ExitCode> {
    let channel = match args.channel.as_deref() {
        None => None,
        Some(c) => Some(
            Channel::parse(c).ok_or_else(|| anyhow::anyhow!("no channel {c:?}: email or sms"))?,
        ),
    };
    let templates = egov_notify::templates::current(db).await?;
    let filter = Filter {
        channel,
        address: args.to.as_deref(),
        texts_only: false,
    };
    for m in outbox::list(db, &templates, public_url, filter, args.limit).await? {
        let standing = match (m.sent_at, m.failed_at) {
            (Some(_), _) => "sent".to_owned(),
            (None, Some(_)) => format!("given up after {} tries", m.attempts),
            (None, None) if m.attempts > 0 => format!("waiting, {} tries", m.attempts),
            (None, None) => "waiting".to_owned(),
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            m.created_at.format("%Y-%m-%d %H:%M:%S"),
            m.channel,
            m.address,
            standing,
            m.subject,
            m.body.replace('\n', " ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
