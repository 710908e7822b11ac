//! Who is acting, and from where. Every state change carries a [`Context`]
//! so the audit record can say who did it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in person, by user id.
    User(i64),
    /// A machine client holding an API key, by key id.
    ApiKey(i64),
    /// A machine client of the OAuth client credentials grant, by client id.
    Client(String),
    /// The platform itself: migrations, demo data, schedulers, the CLI.
    System,
    /// Nobody signed in.
    Anonymous,
}

impl Actor {
    /// The stable text form stored in the audit log, e.g. `user:7`.
    pub fn audit_label(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::ApiKey(id) => format!("api_key:{id}"),
            Actor::Client(id) => format!("client:{id}"),
            Actor::System => "system".to_owned(),
            Actor::Anonymous => "anonymous".to_owned(),
        }
    }
}

/// The request-scoped facts a domain operation needs for its audit record.
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: Actor,
    /// Client address as the server saw it, if the change came over the network.
    pub source: Option<String>,
    /// The request id echoed in `x-request-id`, to join logs and audit records.
    pub request_id: Option<String>,
}

impl Context {
    pub fn system() -> Self {
        Context {
            actor: Actor::System,
            source: None,
            request_id: None,
        }
    }

    /// A change made by `actor` with no request behind it (a test, a job).
    pub fn of(actor: Actor) -> Self {
        Context {
            actor,
            source: None,
            request_id: None,
        }
    }
}
