//! The dispatch classifier as the platform keeps it: the past decisions it
//! learns from, the trained models with their held-out accuracy, and the
//! newest model on every node.
//!
//! Past decisions are of two kinds: history brought in from before the
//! platform (`grid_routing_history`; the demonstration loads a made-up
//! one) and every dispatch of a grid case since (its `dispatch` event,
//! whoever took it and through whichever page). A dispatch that went
//! elsewhere than the rules sent the report is an override: it counts twice
//! in the next training, so that the dispatchers' corrections weigh.

use std::sync::Arc;

use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::reference::{self, Reference};
use egov_store::{query, run, Db, StoreError};

use super::classifier::{Accuracy, Classifier, Example, ModelError, Suggestion};
use super::history::{demo_history, split};
use crate::classes::Classification;
use egov_kernel::code::DepartmentCode;

/// The share of past decisions held out of training to measure accuracy on
/// (the last of every five, so that the held-out part spans the history).
pub const HELD_OUT_SHARE: f64 = 0.2;
/// The demonstration's made-up history: how many decisions, from which seed.
pub const DEMO_HISTORY: usize = 5000;
pub const DEMO_SEED: u64 = 2026;

/// What storing or training can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored dispatch classifier: {0}")]
    Model(#[from] ModelError),
    #[error("no past dispatch decisions to learn from")]
    NothingToLearn,
}

/// A trained classifier and what is known of it.
#[derive(Debug)]
pub struct RoutingModel {
    pub id: i64,
    pub trained_at: Timestamp,
    /// Past decisions it learnt from (each override once).
    pub examples: i64,
    /// Of them, dispatches that went elsewhere than the rules sent them.
    pub overrides: i64,
    /// Its accuracy on the held-out part of the decisions, measured by a
    /// model trained on the rest.
    pub accuracy: Accuracy,
    pub classifier: Classifier,
}

/// The newest trained classifier, if any has been.
#[derive(Debug)]
pub struct Routing(pub Option<RoutingModel>);

#[derive(sqlx::FromRow)]
struct ModelRow {
    id: i64,
    trained_at: Timestamp,
    examples: i64,
    overrides: i64,
    held_out: i64,
    held_out_correct: i64,
    model: String,
}

impl Reference for Routing {
    const NAME: &'static str = "grid_routing";
    type Error = RoutingError;

    async fn load(db: &Db) -> Result<Self, RoutingError> {
        let mut r = db.reader().await?;
        let row: Option<ModelRow> = run!(r, |c| sqlx::query_as(
            "SELECT id, trained_at, examples, overrides, held_out, held_out_correct, model \
             FROM grid_routing_models ORDER BY id DESC LIMIT 1"
        )
        .fetch_optional(&mut *c)
        .await)
        .map_err(StoreError::from)?;
        drop(r);
        let Some(row) = row else {
            return Ok(Routing(None));
        };
        // Reading tens of thousands of weights is CPU work: off the executor.
        tokio::task::spawn_blocking(move || {
            let classifier = Classifier::from_bytes(row.model.as_bytes())?;
            Ok(Routing(Some(RoutingModel {
                id: row.id,
                trained_at: row.trained_at,
                examples: row.examples,
                overrides: row.overrides,
                accuracy: Accuracy {
                    correct: row.held_out_correct as usize,
                    total: row.held_out as usize,
                },
                classifier,
            })))
        })
        .await
        .expect("reading a classifier does not panic")
    }
}

/// The classifier this node suggests with.
pub async fn routing(db: &Db) -> Result<Arc<Routing>, RoutingError> {
    db.reference::<Routing>().await
}

impl Routing {
    /// The department the newest model suggests for a report, if there is a
    /// model and it knows something of the report.
    pub fn suggest(&self, service_code: &str, description: &str) -> Option<Suggestion> {
        self.0
            .as_ref()
            .and_then(|m| m.classifier.predict(service_code, description))
    }
}

/// A past decision, and whether it overrode the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub example: Example,
    pub overrode: bool,
}

/// A past decision as a city brings it in (a line of its old system's
/// export), checked: a service the classes have, a description, and a
/// department abbreviation (`CGZFJ`). The problem in Chinese if not.
pub fn checked_decision(
    classes: &Classification,
    service_code: &str,
    description: &str,
    department: &str,
) -> Result<Example, String> {
    let (service_code, description, department) =
        (service_code.trim(), description.trim(), department.trim());
    if classes.service(service_code).is_none() {
        return Err(format!("没有问题类别 {service_code:?}"));
    }
    if description.is_empty() {
        return Err("问题描述为空".into());
    }
    if DepartmentCode::parse(&format!("110000-{department}")).is_err() {
        return Err(format!(
            "部门 {department:?} 不是部门简称（2 至 16 位大写字母或数字，如 CGZFJ）"
        ));
    }
    Ok(Example {
        text: description.to_owned(),
        service_code: service_code.to_owned(),
        department: department.to_owned(),
    })
}

/// Stores past decisions brought in from elsewhere (`source` says whence:
/// `demo`, or a file's name), all or none, with an audit record. Returns
/// how many.
pub async fn import_history(
    db: &Db,
    ctx: &Context,
    source: &str,
    examples: Vec<Example>,
) -> Result<usize, RoutingError> {
    let (ctx, source) = (ctx.clone(), source.to_owned());
    let n = examples.len();
    db.write(move |tx| {
        Box::pin(async move {
            for e in &examples {
                tx.execute(
                    query(
                        "INSERT INTO grid_routing_history (source, service_code, description, department) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&source)
                    .bind(&e.service_code)
                    .bind(&e.text)
                    .bind(&e.department),
                )
                .await?;
            }
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "grid.routing_history_imported",
                    object_type: "grid",
                    object_id: "routing",
                    detail: serde_json::json!({"source": source, "decisions": examples.len()}),
                },
            )
            .await?;
            Ok::<_, StoreError>(())
        })
    })
    .await?;
    Ok(n)
}

/// The most past decisions a training reads: the newest, so that a city's
/// current practice is what is learnt, and training stays a few seconds of
/// one core however long the platform has run.
pub const MAX_DECISIONS: i64 = 200_000;

/// The past decisions to learn from, oldest first: the history brought in,
/// then the dispatches of grid cases as they were taken; at most `limit`,
/// the newest. Also the id of the newest dispatch event read (0 if none).
pub async fn decisions(db: &Db, limit: i64) -> Result<(Vec<Decision>, i64), RoutingError> {
    let mut r = db.reader().await?;
    let mut dispatched: Vec<(i64, String, String, String, Option<String>)> =
        run!(r, |c| sqlx::query_as(
            "SELECT e.id, r.service_code, r.description, e.fields, r.routed_to \
             FROM case_events e JOIN grid_reports r ON r.case_id = e.case_id \
             WHERE e.action = 'dispatch' ORDER BY e.id DESC LIMIT $1"
        )
        .bind(limit)
        .fetch_all(&mut *c)
        .await)
        .map_err(StoreError::from)?;
    dispatched.reverse();
    let room = limit - dispatched.len() as i64;
    let mut history: Vec<(String, String, String)> = run!(r, |c| sqlx::query_as(
        "SELECT service_code, description, department FROM grid_routing_history \
         ORDER BY id DESC LIMIT $1"
    )
    .bind(room)
    .fetch_all(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    history.reverse();
    let newest = dispatched.last().map_or(0, |d| d.0);
    let mut out: Vec<Decision> = history
        .into_iter()
        .map(|(service_code, text, department)| Decision {
            example: Example {
                text,
                service_code,
                department,
            },
            overrode: false,
        })
        .collect();
    for (_, service_code, text, fields, routed_to) in dispatched {
        let fields: serde_json::Value = serde_json::from_str(&fields).unwrap_or_default();
        let Some(code) = fields["department"].as_str() else {
            continue;
        };
        // The classifier learns abbreviations (城管执法局 in any district):
        // what kind of department, not which district's.
        let Some((_, abbreviation)) = code.split_once('-') else {
            continue;
        };
        out.push(Decision {
            overrode: routed_to.as_deref().is_some_and(|r| r != code),
            example: Example {
                text,
                service_code,
                department: abbreviation.to_owned(),
            },
        });
    }
    Ok((out, newest))
}

/// What one training made.
#[derive(Debug, Clone, Copy)]
pub struct Trained {
    pub id: i64,
    pub examples: usize,
    pub overrides: usize,
    pub accuracy: Accuracy,
}

/// Measures and trains on `decisions`: a model trained on all but the
/// held-out share is measured on that share; the model kept is trained on
/// everything. Overrides count twice in training (never in measuring).
/// CPU work, for a blocking thread.
pub fn fit(decisions: &[Decision]) -> (Classifier, Accuracy) {
    let training = |part: &[Decision]| -> Vec<Example> {
        part.iter()
            .flat_map(|d| {
                let times = if d.overrode { 2 } else { 1 };
                std::iter::repeat_n(d.example.clone(), times)
            })
            .collect()
    };
    let (learn, held_out) = split(decisions.to_vec(), HELD_OUT_SHARE);
    let measuring = Classifier::train(&training(&learn));
    let held_out: Vec<Example> = held_out.into_iter().map(|d| d.example).collect();
    let accuracy = measuring.evaluate(&held_out);
    (Classifier::train(&training(decisions)), accuracy)
}

/// Trains a classifier on every past decision and makes it the one every
/// node suggests with.
pub async fn train(db: &Db, ctx: &Context) -> Result<Trained, RoutingError> {
    let (decisions, newest_dispatch) = decisions(db, MAX_DECISIONS).await?;
    if decisions.is_empty() {
        return Err(RoutingError::NothingToLearn);
    }
    let examples = decisions.len();
    let overrides = decisions.iter().filter(|d| d.overrode).count();
    let (model, accuracy) = tokio::task::spawn_blocking(move || {
        let (classifier, accuracy) = fit(&decisions);
        (
            String::from_utf8(classifier.to_bytes()).expect("JSON is UTF-8"),
            accuracy,
        )
    })
    .await
    .expect("training does not panic");
    let ctx = ctx.clone();
    let id = db
        .write(move |tx| {
            Box::pin(async move {
                let id: i64 = tx
                    .fetch_scalar(
                        query(
                            "INSERT INTO grid_routing_models \
                             (trained_at, examples, overrides, held_out, held_out_correct, model, \
                              newest_dispatch) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        )
                        .bind(time::now())
                        .bind(examples as i64)
                        .bind(overrides as i64)
                        .bind(accuracy.total as i64)
                        .bind(accuracy.correct as i64)
                        .bind(&model)
                        .bind(newest_dispatch),
                    )
                    .await?;
                reference::changed::<Routing>(tx).await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "grid.routing_trained",
                        object_type: "grid",
                        object_id: "routing",
                        detail: serde_json::json!({
                            "model": id,
                            "examples": examples,
                            "overrides": overrides,
                            "held_out": accuracy.total,
                            "held_out_correct": accuracy.correct,
                        }),
                    },
                )
                .await?;
                Ok::<_, StoreError>(id)
            })
        })
        .await?;
    Ok(Trained {
        id,
        examples,
        overrides,
        accuracy,
    })
}

/// Trains again when reports were dispatched since the newest model was
/// trained (or there is none yet and there are decisions to learn from);
/// `None` when nothing changed. History brought in is trained on by
/// `train`, which its import is followed by. Cheap when nothing changed:
/// it reads only the case events newer than the last one learnt from.
pub async fn retrain_if_new(db: &Db, ctx: &Context) -> Result<Option<Trained>, RoutingError> {
    let mut r = db.reader().await?;
    let newest: Option<i64> = run!(r, |c| sqlx::query_scalar(
        "SELECT newest_dispatch FROM grid_routing_models ORDER BY id DESC LIMIT 1"
    )
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    let since = newest.unwrap_or(0);
    let dispatched: Option<i64> = run!(r, |c| sqlx::query_scalar(
        "SELECT e.id FROM case_events e JOIN grid_reports r ON r.case_id = e.case_id \
         WHERE e.id > $1 AND e.action = 'dispatch' LIMIT 1"
    )
    .bind(since)
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    let history: Option<i64> = match newest {
        Some(_) => None,
        None => run!(r, |c| sqlx::query_scalar(
            "SELECT id FROM grid_routing_history LIMIT 1"
        )
        .fetch_optional(&mut *c)
        .await)
        .map_err(StoreError::from)?,
    };
    drop(r);
    if dispatched.is_none() && history.is_none() {
        return Ok(None);
    }
    train(db, ctx).await.map(Some)
}

/// The demonstration's past decisions and a classifier trained on them,
/// unless there is any history already. Returns the training, if one ran.
pub async fn seed_demo(db: &Db) -> Result<Option<Trained>, RoutingError> {
    let mut r = db.reader().await?;
    let any: Option<i64> = run!(r, |c| sqlx::query_scalar(
        "SELECT id FROM grid_routing_history LIMIT 1"
    )
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    drop(r);
    if any.is_some() {
        return Ok(None);
    }
    let history = tokio::task::spawn_blocking(|| demo_history(DEMO_HISTORY, DEMO_SEED))
        .await
        .expect("making the history does not panic");
    let ctx = Context::system();
    import_history(db, &ctx, "demo", history).await?;
    train(db, &ctx).await.map(Some)
}

/// Where the rules send a report and what the classifier suggests: found
/// when the report is decided on and stored with it.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct CaseRouting {
    /// The department's code (`110101-CGZFJ`).
    pub routed_to: Option<String>,
    /// The rule that decided; `None` with a department: the sub-class's default.
    pub routing_rule: Option<String>,
    /// A department abbreviation (`CGZFJ`).
    pub suggested: Option<String>,
    pub suggested_confidence: Option<f64>,
}

/// The routing of the report a case was opened from; `None` for a case
/// not opened from a report.
pub async fn of_case(db: &Db, case_id: i64) -> Result<Option<CaseRouting>, RoutingError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT routed_to, routing_rule, suggested, suggested_confidence \
         FROM grid_reports WHERE case_id = $1"
    )
    .bind(case_id)
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?)
}
