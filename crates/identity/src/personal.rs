//! Personal data (ID and phone numbers) is shown masked unless the viewer's
//! role needs it, and every unmasked view leaves an audit record.

use crate::policy::{allows, Permission, Principal};
use crate::{IdentityError, UserRecord};
use egov_audit::Event;
use egov_kernel::identifier::ResidentId;
use egov_kernel::Context;
use egov_store::Db;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PersonalView {
    pub resident_id: Option<String>,
    pub phone: Option<String>,
    /// False only in an audited, unmasked view.
    pub masked: bool,
}

fn mask_id(s: &str) -> String {
    ResidentId::parse(s)
        .map(|id| id.masked())
        .unwrap_or_else(|_| "*".repeat(s.chars().count()))
}

pub use egov_kernel::identifier::mask_phone;

/// The masked view, fit for anyone allowed to see the record at all.
pub fn masked(record: &UserRecord) -> PersonalView {
    PersonalView {
        resident_id: record.resident_id.as_deref().map(mask_id),
        phone: record.phone.as_deref().map(mask_phone),
        masked: true,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RevealError {
    #[error("your role may not see personal data unmasked")]
    Forbidden,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// The unmasked view, for roles that need it; writes the audit record
/// before returning anything.
pub async fn reveal(
    db: &Db,
    ctx: &Context,
    viewer: &Principal,
    record: &UserRecord,
) -> Result<PersonalView, RevealError> {
    if !allows(viewer, Permission::RevealPersonalData) {
        return Err(RevealError::Forbidden);
    }
    Ok(unmasked(db, ctx, record, serde_json::json!({})).await?)
}

/// The unmasked view of an applicant for the staff working on their case
/// (`case`, its number), whose access the case engine has decided; audited
/// with the case it was for, before anything is returned.
pub async fn reveal_for_case(
    db: &Db,
    ctx: &Context,
    record: &UserRecord,
    case: &str,
) -> Result<PersonalView, IdentityError> {
    unmasked(db, ctx, record, serde_json::json!({ "case": case })).await
}

async fn unmasked(
    db: &Db,
    ctx: &Context,
    record: &UserRecord,
    why: serde_json::Value,
) -> Result<PersonalView, IdentityError> {
    let fields: Vec<&'static str> = [
        record.resident_id.as_ref().map(|_| "resident_id"),
        record.phone.as_ref().map(|_| "phone"),
    ]
    .into_iter()
    .flatten()
    .collect();
    egov_audit::record(
        db,
        ctx,
        Event {
            action: "person.view_unmasked",
            object_type: "user",
            object_id: &record.id.to_string(),
            detail: serde_json::json!({ "fields": fields, "for": why }),
        },
    )
    .await?;
    Ok(PersonalView {
        resident_id: record.resident_id.clone(),
        phone: record.phone.clone(),
        masked: false,
    })
}
