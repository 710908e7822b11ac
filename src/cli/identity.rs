//! The identity system's commands: staff accounts, API keys, single
//! sign-on clients and keys, and the text-message outbox.

use clap::Subcommand;
use egov_kernel::Context;
use egov_store::Db;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SmsCommand {
    /// The newest messages (sent or waiting), newest first.
    Outbox {
        /// Only those to this number.
        #[arg(long)]
        phone: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum OidcClientCommand {
    /// Register a client; prints its id and secret (the secret only this once).
    Create {
        #[arg(long)]
        name: String,
        /// A redirect URI (repeatable); matched exactly.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the client may send users after logout (repeatable).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// ID token signing algorithm: RS256 (default) or ES256.
        #[arg(long, default_value = "RS256")]
        alg: String,
        /// A public client (an app on a phone, a page in a browser): no
        /// secret; PKCE required.
        #[arg(long)]
        public: bool,
        /// Do not require PKCE of this confidential client.
        #[arg(long)]
        no_pkce: bool,
        /// Where to send logout tokens when a user's session ends
        /// (OpenID Connect Back-Channel Logout).
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
    },
    /// Every registered client.
    List,
    /// A new secret for a client, printed once; the old one stops working.
    RotateSecret { client_id: String },
    /// Remove a client and revoke every token it holds.
    Delete { client_id: String },
}

#[derive(Subcommand, Debug)]
pub enum OidcKeyCommand {
    /// Make new signing keys; the old ones keep verifying until retired.
    Rotate,
    /// Retire every key but the newest of each algorithm.
    Retire,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Disable an account: it can no longer sign in; its sessions and the
    /// single sign-on tokens issued in them end.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        username: String,
    },
    /// A civil servant leaves: disable the account, revoke every role and
    /// end every session, in one step.
    Offboard {
        #[arg(long)]
        username: String,
    },
    /// Record how well a holder's identity is established: 2 verified in
    /// person at a counter, 3 by a digital certificate.
    Verify {
        #[arg(long)]
        username: String,
        #[arg(long)]
        level: i32,
    },
    /// Create a staff account; prints a one-time password to change at first sign-in.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// The department's code, e.g. 110105-SCJGJ.
        #[arg(long)]
        department: Option<String>,
        /// A role (repeatable): handler, department_admin, dispatcher, supervisor,
        /// catalogue_admin, statistician, auditor, system_admin. Department roles apply to --department.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Grant a role that may be either (supervisor, statistician) for every department,
        /// not only --department.
        #[arg(long)]
        city_wide: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create an API key and print it (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// A scope the key holds (repeatable): org:write, audit:read, reference:write,
        /// indicators:write, open311:write
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// The key stops working after this many days.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Every key: id, prefix, name, scopes, state.
    List,
    /// Revoke a key at once.
    Revoke { id: i64 },
}

async fn user_state_command(db: &Db, command: UserCommand) -> anyhow::Result<ExitCode> {
    let username = match &command {
        UserCommand::Disable { username }
        | UserCommand::Enable { username }
        | UserCommand::Offboard { username }
        | UserCommand::Verify { username, .. } => username.clone(),
        UserCommand::Create { .. } => unreachable!("handled elsewhere"),
    };
    let user = egov_identity::list_users(db, &Default::default())
        .await?
        .into_iter()
        .find(|u| u.username == username)
        .ok_or_else(|| anyhow::anyhow!("no account named {username}"))?;
    let ctx = Context::system();
    match command {
        UserCommand::Disable { .. } => {
            egov_identity::set_disabled(db, &ctx, user.id, true).await?;
            println!("{username} disabled; its sessions and single sign-on tokens ended");
        }
        UserCommand::Enable { .. } => {
            egov_identity::set_disabled(db, &ctx, user.id, false).await?;
            println!("{username} enabled");
        }
        UserCommand::Offboard { .. } => {
            egov_identity::offboard(db, &ctx, egov_identity::Grantor::Operator, user.id).await?;
            println!("{username} offboarded: disabled, roles revoked, sessions ended");
        }
        UserCommand::Verify { level, .. } => {
            egov_identity::set_assurance(db, &ctx, user.id, level).await?;
            println!("{username}: assurance level {level}");
        }
        UserCommand::Create { .. } => unreachable!("handled elsewhere"),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Accounts: staff created, disabled, enabled, offboarded, verified.
    #[command(subcommand)]
    User(UserCommand),
    /// API keys for other systems and scripts.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Single sign-on clients (relying parties).
    #[command(subcommand, name = "oidc-client")]
    OidcClient(OidcClientCommand),
    /// The keys that sign ID tokens.
    #[command(subcommand, name = "oidc-key")]
    OidcKey(OidcKeyCommand),
}

/// `egov admin user|api-key|oidc-client|oidc-key ...`
pub async fn admin(db: &Db, command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::User(UserCommand::Create {
            username,
            display_name,
            department,
            roles,
            city_wide,
        }) => {
            let department_id = match &department {
                Some(code) => Some(egov_org::department(db, code).await?.id),
                None => None,
            };
            let grants = roles
                .iter()
                .map(|r| {
                    let role = r
                        .parse::<egov_identity::Role>()
                        .map_err(anyhow::Error::msg)?;
                    let scoped = match role.scope() {
                        egov_identity::roles::Scope::City => false,
                        egov_identity::roles::Scope::Optional => !city_wide,
                        egov_identity::roles::Scope::Department => true,
                    };
                    Ok(egov_identity::RoleGrant {
                        role,
                        department_id: if scoped { department_id } else { None },
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let password = egov_identity::random_secret()[..20].to_owned();
            let id = egov_identity::create_staff(
                db,
                &Context::system(),
                egov_identity::Grantor::Operator,
                egov_identity::NewStaff {
                    username: username.clone(),
                    display_name,
                    department_id,
                    roles: grants,
                    password: password.clone().into(),
                    must_change_password: true,
                },
            )
            .await?;
            println!("user {username} created (id {id})");
            println!("one-time password: {password}");
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ApiKey(ApiKeyCommand::Create {
            name,
            scopes,
            expires_in_days,
        }) => {
            let scopes = scopes
                .iter()
                .map(|s| s.parse::<egov_identity::Scope>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let expires = expires_in_days
                .map(|d| egov_kernel::time::now() + chrono::Duration::days(i64::from(d)));
            let issued =
                egov_identity::create_api_key(db, &Context::system(), &name, &scopes, expires)
                    .await?;
            eprintln!("API key {} created; it is shown only this once:", issued.id);
            println!("{}", issued.key);
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ApiKey(ApiKeyCommand::List) => {
            for k in egov_identity::list_api_keys(db).await? {
                let state = match (&k.revoked_at, &k.expires_at) {
                    (Some(_), _) => "revoked".to_owned(),
                    (None, Some(t)) if !k.live() => format!("expired {}", t.format("%Y-%m-%d")),
                    (None, Some(t)) => format!("live until {}", t.format("%Y-%m-%d")),
                    (None, None) => "live".to_owned(),
                };
                println!("{}\t{}\t{}\t{}\t{state}", k.id, k.prefix, k.name, k.scopes);
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ApiKey(ApiKeyCommand::Revoke { id }) => {
            let done = egov_identity::revoke_api_key(db, &Context::system(), id).await;
            match done {
                Ok(()) => println!("API key {id} revoked"),
                Err(egov_identity::IdentityError::NotFound) => {
                    anyhow::bail!("no live API key {id}")
                }
                Err(e) => return Err(e.into()),
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::User(
            command @ (UserCommand::Disable { .. }
            | UserCommand::Enable { .. }
            | UserCommand::Offboard { .. }
            | UserCommand::Verify { .. }),
        ) => user_state_command(db, command).await,
        AdminCommand::OidcClient(OidcClientCommand::Create {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            alg,
            public,
            no_pkce,
            backchannel_logout_uri,
        }) => {
            let alg = egov_oidc::keys::Alg::parse(&alg)
                .ok_or_else(|| anyhow::anyhow!("unknown algorithm '{alg}' (RS256 or ES256)"))?;
            let (client, secret) = egov_oidc::create_client(
                db,
                &Context::system(),
                egov_oidc::NewClient {
                    name,
                    redirect_uris,
                    post_logout_redirect_uris,
                    id_token_alg: alg,
                    public,
                    require_pkce: !no_pkce,
                    backchannel_logout_uri,
                },
            )
            .await?;
            println!("client_id: {}", client.client_id);
            if !client.public {
                println!("client_secret: {secret}");
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::OidcClient(command) => {
            let ctx = Context::system();
            let done: anyhow::Result<()> = async {
                match command {
                    OidcClientCommand::Create { .. } => unreachable!("handled above"),
                    OidcClientCommand::List => {
                        for c in egov_oidc::client::list_clients(db).await? {
                            println!(
                                "{}\t{}\t{}\t{}{}",
                                c.client_id,
                                c.name,
                                if c.public { "public" } else { "confidential" },
                                if c.pkce_required() { "pkce" } else { "-" },
                                c.backchannel_logout_uri
                                    .map(|u| format!("\tbackchannel {u}"))
                                    .unwrap_or_default()
                            );
                        }
                    }
                    OidcClientCommand::RotateSecret { client_id } => {
                        let secret = egov_oidc::rotate_secret(db, &ctx, &client_id).await?;
                        println!("client_secret: {secret}");
                    }
                    OidcClientCommand::Delete { client_id } => {
                        egov_oidc::delete_client(db, &ctx, &client_id).await?;
                        println!("client {client_id} deleted; its tokens are revoked");
                    }
                }
                Ok(())
            }
            .await;
            done.map(|()| ExitCode::SUCCESS)
        }
        AdminCommand::OidcKey(command) => {
            match command {
                OidcKeyCommand::Rotate => {
                    for kid in egov_oidc::keys::rotate(db, &Context::system()).await? {
                        println!("new signing key {kid}");
                    }
                }
                OidcKeyCommand::Retire => {
                    let n = egov_oidc::keys::retire_old(db, &Context::system()).await?;
                    println!("{n} keys retired");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `egov sms outbox`
pub async fn sms(db: &Db, command: SmsCommand) -> anyhow::Result<ExitCode> {
    let SmsCommand::Outbox { phone, limit } = command;
    for m in egov_identity::sms::outbox(db, phone.as_deref(), limit).await? {
        println!(
            "{}\t{}\t{}\t{}",
            m.created_at.format("%Y-%m-%d %H:%M:%S"),
            m.phone,
            if m.sent_at.is_some() {
                "sent"
            } else {
                "waiting"
            },
            m.body
        );
    }
    Ok(ExitCode::SUCCESS)
}
