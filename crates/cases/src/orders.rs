//! Supervision orders (督办): a supervisor orders the department handling a
//! case to act and answer by a date; the department answers once.

use crate::case::get;
use crate::clock::{local, utc};
use crate::error::{CaseError, Refusal};
use egov_audit::Event;
use egov_calendar::WorkCalendar;
use egov_identity::roles::Role;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db};
use serde::Serialize;

egov_store::text_enum! {
    /// Where an order stands: waiting for the department's answer, or
    /// answered.
    pub enum OrderStatus {
        Open = "open",
        Answered = "answered",
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Order {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub department_id: i64,
    pub issued_by: i64,
    pub issued_at: Timestamp,
    pub body: String,
    pub answer_due_at: Timestamp,
    pub status: OrderStatus,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<Timestamp>,
}

const ORDER_COLUMNS: &str = "SELECT o.id, o.case_id, c.number AS case_number, o.department_id, \
     o.issued_by, o.issued_at, o.body, o.answer_due_at, o.status, o.answer, o.answered_by, \
     o.answered_at FROM supervision_orders o JOIN cases c ON c.id = o.case_id";

fn text(body: &str, too_long: Refusal) -> Result<String, CaseError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 4000 {
        return Err(too_long.into());
    }
    Ok(body.to_owned())
}

/// Orders the department handling an open case to act, answering within
/// `answer_workdays` working days.
pub async fn issue(
    db: &Db,
    ctx: &Context,
    cal: &WorkCalendar,
    case_id: i64,
    issued_by: i64,
    body: &str,
    answer_workdays: u32,
) -> Result<Order, CaseError> {
    let body = text(body, Refusal::OrderLength)?;
    let case = get(db, case_id).await?;
    if !case.is_open() {
        return Err(CaseError::Closed);
    }
    let now = time::now();
    let answer_due_at = utc(cal
        .add_workdays(local(now).date(), answer_workdays.max(1))
        .at);
    let department = case.handling_department();
    let (ctx, case_id, number, text) = (ctx.clone(), case.id, case.number.clone(), body.clone());
    let note = egov_notify::Note {
        kind: "supervision_order".to_owned(),
        params: serde_json::json!({
            "number": case.number, "title": case.title_param(), "order": body,
            "answer_due": local(answer_due_at).format("%Y-%m-%d").to_string(),
        }),
        link: format!("/cases/{}", case.number),
    };
    let id: i64 = db
        .write(move |tx| {
            Box::pin(async move {
                let id: i64 = tx
                    .fetch_scalar(
                        query(
                            "INSERT INTO supervision_orders (case_id, department_id, issued_by, \
                             issued_at, body, answer_due_at, status) \
                             VALUES ($1, $2, $3, $4, $5, $6, 'open') RETURNING id",
                        )
                        .bind(case_id)
                        .bind(department)
                        .bind(issued_by)
                        .bind(now)
                        .bind(&text)
                        .bind(answer_due_at),
                    )
                    .await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "supervision.order",
                        object_type: "case",
                        object_id: &number,
                        detail: serde_json::json!({ "order": id, "department_id": department }),
                    },
                )
                .await?;
                let handlers =
                    egov_identity::contacts::holding(tx, &[(department, Role::Handler)]).await?;
                egov_notify::post(tx, &handlers, &note).await?;
                Ok::<_, CaseError>(id)
            })
        })
        .await?;
    Ok(Order {
        id,
        case_id: case.id,
        case_number: case.number,
        department_id: department,
        issued_by,
        issued_at: now,
        body,
        answer_due_at,
        status: OrderStatus::Open,
        answer: None,
        answered_by: None,
        answered_at: None,
    })
}

pub async fn order(db: &Db, id: i64) -> Result<Order, CaseError> {
    let mut r = db.reader().await?;
    let sql = format!("{ORDER_COLUMNS} WHERE o.id = $1");
    let o: Option<Order> = run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    o.ok_or(CaseError::NotFound)
}

/// The ordered department answers, once.
pub async fn answer(
    db: &Db,
    ctx: &Context,
    id: i64,
    department_id: i64,
    user_id: i64,
    answer: &str,
) -> Result<Order, CaseError> {
    let answer = text(answer, Refusal::AnswerLength)?;
    let o = order(db, id).await?;
    if o.department_id != department_id {
        return Err(CaseError::NotYours("answer".into()));
    }
    let now = time::now();
    let (ctx, number, text) = (ctx.clone(), o.case_number.clone(), answer.clone());
    let (case_id, issued_by) = (o.case_id, o.issued_by);
    db.write(move |tx| {
        Box::pin(async move {
            let updated = tx
                .execute(
                    query(
                        "UPDATE supervision_orders SET status = 'answered', answer = $1, \
                         answered_by = $2, answered_at = $3 WHERE id = $4 AND status = 'open'",
                    )
                    .bind(&text)
                    .bind(user_id)
                    .bind(now)
                    .bind(id),
                )
                .await?;
            if updated == 0 {
                return Err(CaseError::from(Refusal::OrderAnswered));
            }
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "supervision.order_answered",
                    object_type: "case",
                    object_id: &number,
                    detail: serde_json::json!({ "order": id }),
                },
            )
            .await?;
            let (title, data): (String, String) = tx
                .fetch_one(query("SELECT title, data FROM cases WHERE id = $1").bind(case_id))
                .await?;
            let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
            let title = crate::case::title_param(&title, data["title_en"].as_str());
            let issuer = egov_identity::contacts::account(tx, issued_by).await?;
            let note = egov_notify::Note {
                kind: "order_answered".to_owned(),
                params: serde_json::json!({ "number": number, "title": title, "answer": text }),
                link: format!("/cases/{number}"),
            };
            egov_notify::post(tx, &issuer, &note).await?;
            Ok(())
        })
    })
    .await?;
    Ok(Order {
        status: OrderStatus::Answered,
        answer: Some(answer),
        answered_by: Some(user_id),
        answered_at: Some(now),
        ..o
    })
}

/// How many open orders each of `case_ids` has (cases with none left out).
pub async fn open_counts(
    db: &Db,
    case_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, CaseError> {
    if case_ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT case_id, count(*) FROM supervision_orders \
         WHERE status = 'open' AND case_id IN ({}) GROUP BY case_id",
        egov_store::in_list(1, case_ids.len())
    );
    let mut r = db.reader().await?;
    let rows: Vec<(i64, i64)> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for id in case_ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut *c).await
    })?;
    Ok(rows.into_iter().collect())
}

/// The orders on a case, open ones first.
pub async fn for_case(db: &Db, case_id: i64) -> Result<Vec<Order>, CaseError> {
    let mut r = db.reader().await?;
    let sql =
        format!("{ORDER_COLUMNS} WHERE o.case_id = $1 ORDER BY o.status DESC, o.answer_due_at");
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(case_id)
        .fetch_all(&mut *c)
        .await)?)
}
