//! The exchange (共享交换): a consuming department's machine client asks
//! for rows of a resource. Every call is checked against the grants (deny
//! by default; a grant's fields are all that come back), and logged in the
//! audit chain, hash-linked and verified by `egov audit verify`, with the
//! consumer, provider, resource, query, rows returned and the SHA-512
//! digests of the request and of the answer, before the answer leaves. The
//! answer carries the request's digest and the server key's signature over
//! both digests, which the consumer checks against the published keys.

use crate::cells::{QueryError, RowQuery};
use crate::hosted::RowCache;
use crate::registry::{Catalogue, CatalogueError};
use crate::sharing::{today, Sharing, SharingError};
use egov_audit::Event;
use egov_kernel::Context;
use egov_store::{Db, StoreError};
use sha2::{Digest, Sha512};

/// Why a call was refused (and logged as refused).
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("this client is not bound to a department for the exchange")]
    NotBound,
    #[error("no resource '{0}'")]
    NoResource(String),
    #[error("the department holds no live grant for '{0}'")]
    NoGrant(String),
    #[error("'{0}' is not among the granted 信息项")]
    NotGranted(String),
    #[error(transparent)]
    Query(QueryError),
    #[error(transparent)]
    Sharing(#[from] SharingError),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("the server key is not available")]
    Keyring(#[from] egov_keyring::KeyringError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A call as received.
#[derive(Debug, Clone)]
pub struct Call {
    pub client_id: String,
    pub token_id: String,
    pub resource: String,
    /// The query, or why it did not read.
    pub query: Result<RowQuery, QueryError>,
    /// The request as digested: method, path and query string.
    pub request_line: String,
}

/// An answer, logged and signed.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The JSON body.
    pub body: Vec<u8>,
    pub request_hash: String,
    pub response_hash: String,
    /// The key that signed, and the signature (Ed25519, base64) over
    /// `request_hash` + `\n` + `response_hash`.
    pub key_id: String,
    pub signature: String,
    pub rows: usize,
}

/// SHA-512 in hex.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

/// What the signature covers.
pub fn signed_text(request_hash: &str, response_hash: &str) -> String {
    format!("{request_hash}\n{response_hash}")
}

/// Answers a call, or refuses it; either way the log has it before the
/// caller hears.
pub async fn call(
    db: &Db,
    rows: &RowCache,
    ctx: &Context,
    call: Call,
) -> Result<Answer, ExchangeError> {
    let request_hash =
        digest(format!("{}\nclient:{}", call.request_line, call.client_id).as_bytes());
    let outcome = answer(db, rows, &call, &request_hash).await;
    let (action, detail) = match &outcome {
        Ok((a, consumer, provider)) => (
            "exchange.query",
            serde_json::json!({
                "client": call.client_id, "token": call.token_id,
                "consumer": consumer, "provider": provider,
                "query": call.request_line, "rows": a.rows,
                "request_hash": a.request_hash, "response_hash": a.response_hash,
                "key": a.key_id,
            }),
        ),
        Err(e) => (
            "exchange.refused",
            serde_json::json!({
                "client": call.client_id, "token": call.token_id,
                "query": call.request_line, "request_hash": request_hash,
                "reason": e.to_string(),
            }),
        ),
    };
    egov_audit::record(
        db,
        ctx,
        Event {
            action,
            object_type: "catalogue_resource",
            object_id: &call.resource,
            detail,
        },
    )
    .await?;
    outcome.map(|(a, _, _)| a)
}

async fn answer(
    db: &Db,
    cache: &RowCache,
    call: &Call,
    request_hash: &str,
) -> Result<(Answer, String, String), ExchangeError> {
    let sharing = Sharing::get(db).await?;
    let consumer = sharing
        .department_of(&call.client_id)
        .ok_or(ExchangeError::NotBound)?;
    let catalogue = Catalogue::get(db).await?;
    let resource = catalogue
        .by_code(&call.resource)
        .ok_or_else(|| ExchangeError::NoResource(call.resource.clone()))?;
    let allowed = if resource.department_id == consumer {
        None
    } else {
        Some(
            sharing
                .granted_fields(consumer, resource.id, today())
                .ok_or_else(|| ExchangeError::NoGrant(resource.code.clone()))?,
        )
    };
    let query = call.query.clone().map_err(ExchangeError::Query)?;
    let checked = query
        .check(resource, allowed.as_deref())
        .map_err(|e| match e {
            QueryError::UnknownField(f) if resource.item(&f).is_some() => {
                ExchangeError::NotGranted(f)
            }
            e => ExchangeError::Query(e),
        })?;
    let (version, rows) = cache.current(db, resource).await?;
    let page = checked.run(rows.iter());
    let fields: Vec<&str> = checked.fields.iter().map(|i| i.name.as_str()).collect();
    let body = serde_json::to_vec(&serde_json::json!({
        "resource": resource.code,
        "version": version,
        "total": page.total,
        "fields": fields,
        "records": page.records,
    }))
    .expect("an answer serialises");
    let response_hash = digest(&body);
    let signed =
        egov_keyring::current()?.sign(signed_text(request_hash, &response_hash).as_bytes());
    let directory = egov_org::directory(db).await.map_err(SharingError::from)?;
    Ok((
        Answer {
            rows: page.records.len(),
            body,
            request_hash: request_hash.to_owned(),
            response_hash,
            key_id: signed.key_id,
            signature: signed.signature,
        },
        directory.code_of(consumer),
        resource.department.clone(),
    ))
}

/// Calls answered for one consumer of one resource.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UsageRow {
    pub resource: String,
    pub provider: String,
    pub consumer: String,
    pub calls: u64,
    pub rows: u64,
}

/// The exchange's use over a period, from its log.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Usage {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Per resource and consumer.
    pub answered: Vec<UsageRow>,
    /// Calls answered per providing department.
    pub by_provider: std::collections::BTreeMap<String, u64>,
    /// Calls answered per consuming department.
    pub by_consumer: std::collections::BTreeMap<String, u64>,
    /// Calls refused per resource.
    pub refused: std::collections::BTreeMap<String, u64>,
}

/// The exchange's use from `from` to `to` (Beijing days, both counted).
pub async fn usage(
    db: &Db,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Usage, ExchangeError> {
    use egov_store::run;
    let start =
        (from.and_hms_opt(0, 0, 0).expect("midnight") - chrono::Duration::hours(8)).and_utc();
    let end = (to.and_hms_opt(0, 0, 0).expect("midnight") + chrono::Duration::hours(16)).and_utc();
    let mut r = db.reader().await?;
    let records: Vec<(String, String, String)> = run!(r, |c| sqlx::query_as(
        "SELECT action, object_id, detail FROM audit_log \
         WHERE action IN ('exchange.query', 'exchange.refused') AND at >= $1 AND at < $2"
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    let mut usage = Usage {
        from,
        to,
        ..Default::default()
    };
    let mut answered: std::collections::BTreeMap<(String, String), UsageRow> = Default::default();
    for (action, resource, detail) in records {
        let d: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
        if action == "exchange.refused" {
            *usage.refused.entry(resource).or_default() += 1;
            continue;
        }
        let text = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
        let row = answered
            .entry((resource.clone(), text("consumer")))
            .or_insert_with(|| UsageRow {
                resource,
                provider: text("provider"),
                consumer: text("consumer"),
                ..Default::default()
            });
        row.calls += 1;
        row.rows += d["rows"].as_u64().unwrap_or(0);
        *usage.by_provider.entry(text("provider")).or_default() += 1;
        *usage.by_consumer.entry(text("consumer")).or_default() += 1;
    }
    usage.answered = answered.into_values().collect();
    Ok(usage)
}
