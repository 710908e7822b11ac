//! Who reported a case's problem, for the staff who call them back (回访):
//! shown masked, and whole only on a deliberate request that leaves an
//! audit record first. Never shown publicly.

use crate::intake::{Channel, Reporter};
use egov_audit::Event;
use egov_kernel::identifier::{mask_email, mask_person_name, mask_phone};
use egov_kernel::Context;
use egov_store::{run, Db, StoreError};

impl Reporter {
    /// What the reporter said about themselves, masked.
    pub fn masked(&self) -> Reporter {
        Reporter {
            email: self.email.as_deref().map(mask_email),
            phone: self.phone.as_deref().map(mask_phone),
            first_name: self.first_name.as_deref().map(mask_person_name),
            last_name: self.last_name.as_deref().map(mask_person_name),
            // Identifiers of a device or an account say nothing to a caller.
            device_id: None,
            account_id: None,
        }
    }

    /// Whether there is a way to reach them (a phone or an e-mail address).
    pub fn reachable(&self) -> bool {
        self.phone.is_some() || self.email.is_some()
    }
}

/// How a case's report came in, and from whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportContact {
    pub channel: Channel,
    pub reporter: Reporter,
}

/// The contact of the report case `case_id` was opened from, unmasked: for
/// callers that mask it or have audited the view. `None` for a case not
/// opened from a report.
async fn stored(db: &Db, case_id: i64) -> Result<Option<ReportContact>, StoreError> {
    let mut r = db.reader().await?;
    let row: Option<(Channel, String)> = run!(r, |c| sqlx::query_as(
        "SELECT channel, reporter FROM grid_reports WHERE case_id = $1"
    )
    .bind(case_id)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(row.map(|(channel, reporter)| ReportContact {
        channel,
        reporter: serde_json::from_str(&reporter).unwrap_or_default(),
    }))
}

/// The contact, masked: fit for any civil servant working on the case.
pub async fn masked(db: &Db, case_id: i64) -> Result<Option<ReportContact>, StoreError> {
    Ok(stored(db, case_id).await?.map(|c| ReportContact {
        reporter: c.reporter.masked(),
        channel: c.channel,
    }))
}

/// The contact, whole, for a civil servant whose role needs it (the caller
/// has checked that); the audit record naming the case is written before
/// anything is returned.
pub async fn reveal(
    db: &Db,
    ctx: &Context,
    case_id: i64,
    case_number: &str,
) -> Result<Option<ReportContact>, StoreError> {
    let Some(contact) = stored(db, case_id).await? else {
        return Ok(None);
    };
    let (ctx, number) = (ctx.clone(), case_number.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "grid.reporter_revealed",
                    object_type: "case",
                    object_id: &number,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            Ok::<_, StoreError>(())
        })
    })
    .await?;
    Ok(Some(contact))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_reporter_keeps_enough_to_recognise_and_no_identifiers() {
        let r = Reporter {
            email: Some("wang.fang@example.com".into()),
            phone: Some("13912345678".into()),
            first_name: Some("芳".into()),
            last_name: Some("王".into()),
            device_id: Some("device-1".into()),
            account_id: Some("acct-9".into()),
        };
        let m = r.masked();
        assert_eq!(m.phone.as_deref(), Some("139****5678"));
        assert_eq!(m.email.as_deref(), Some("w***@example.com"));
        assert_eq!(m.last_name.as_deref(), Some("王"));
        assert_eq!((m.device_id, m.account_id), (None, None));
        assert!(r.reachable());
        assert!(!Reporter::default().reachable());
    }
}
