//! A department's seal: the image an administrator uploads, pressed on the
//! documents the department issues. The image is checked by the caller
//! (the document engine knows what it can draw); here it is stored,
//! replaced or removed, each change audited.

use crate::repo::{department, OrgError};
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{query, run, Db};

/// The seal of the department with `id`, if one was uploaded.
pub async fn seal(db: &Db, department_id: i64) -> Result<Option<Vec<u8>>, OrgError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT image FROM department_seals WHERE department_id = $1"
    )
    .bind(department_id)
    .fetch_optional(&mut *c)
    .await)?)
}

/// Sets (or, with `None`, removes) the seal of the department `code`.
pub async fn set_seal(
    db: &Db,
    ctx: &Context,
    code: &str,
    image: Option<Vec<u8>>,
) -> Result<(), OrgError> {
    let dept = department(db, code).await?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let (statement, action, bytes) = match image {
                Some(image) => {
                    let bytes = image.len();
                    (
                        query(
                            "INSERT INTO department_seals (department_id, image, uploaded_at) \
                             VALUES ($1, $2, $3) ON CONFLICT (department_id) DO UPDATE \
                             SET image = excluded.image, uploaded_at = excluded.uploaded_at",
                        )
                        .bind(dept.id)
                        .bind(image)
                        .bind(time::now()),
                        "department.seal_set",
                        bytes,
                    )
                }
                None => (
                    query("DELETE FROM department_seals WHERE department_id = $1").bind(dept.id),
                    "department.seal_removed",
                    0,
                ),
            };
            if tx.execute(statement).await? == 0 {
                // Removing a seal there is not changes nothing.
                return Ok(());
            }
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action,
                    object_type: "department",
                    object_id: &dept.code,
                    detail: serde_json::json!({ "bytes": bytes }),
                },
            )
            .await?;
            Ok::<_, OrgError>(())
        })
    })
    .await
}
