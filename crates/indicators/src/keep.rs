//! Definitions (indicators, rules, data sets, indices) written the one way:
//! an upsert on the code and its audit record, in one transaction.

use crate::error::IndicatorError;
use egov_audit::Event;
use egov_kernel::Context;
use egov_store::{query, Db};

/// A definition to keep: its table, its code, the statement that writes it
/// (an upsert on the code) and its audit record.
pub(crate) struct Kept {
    pub table: &'static str,
    pub code: String,
    pub upsert: egov_store::Statement<'static>,
    pub action: &'static str,
    pub object_type: &'static str,
    pub detail: serde_json::Value,
}

/// Writes a definition and its audit record in one transaction; whether it
/// was new.
pub(crate) async fn keep(db: &Db, ctx: &Context, k: Kept) -> Result<bool, IndicatorError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let existed: Option<i64> = tx
                .fetch_optional_scalar(
                    query(format!("SELECT id FROM {} WHERE code = $1", k.table))
                        .bind(k.code.clone()),
                )
                .await?;
            tx.execute(k.upsert).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: k.action,
                    object_type: k.object_type,
                    object_id: &k.code,
                    detail: k.detail,
                },
            )
            .await?;
            Ok::<_, IndicatorError>(existed.is_none())
        })
    })
    .await
}
