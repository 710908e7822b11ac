//! A body of [`Db::write`](crate::Db::write) as SQLite's writer thread
//! runs it: polled once, its deferred work after it, kept for the group's
//! `COMMIT` or rolled back, and its caller told once the group is settled.

use super::thread::{Member, Outcome, WriterThread};
use super::{BoxFuture, Tx};
use crate::caches::Caches;
use crate::StoreError;
use std::future::Future;
use std::sync::Arc;

/// Runs `body` on SQLite's writer thread; answers once its group's
/// `COMMIT` is on disk. A caller that stops waiting leaves its body to run
/// and commit as queued.
pub(crate) async fn on_writer<T, E, F>(
    thread: &WriterThread,
    caches: Arc<Caches>,
    body: F,
) -> Result<T, E>
where
    F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (reply, answer) = tokio::sync::oneshot::channel();
    thread.submit(Box::new(move |tx| on_the_thread(tx, body, caches, reply)))?;
    answer
        .await
        .unwrap_or(Err(E::from(StoreError::Query(sqlx::Error::WorkerCrashed))))
}

/// Runs a body on the writer thread: polled once (it may wait on nothing
/// but its transaction), then its deferred work; kept for the group's
/// `COMMIT` if it ended well, told how it ended once the group is settled.
fn on_the_thread<T, E, F>(
    tx: Result<&mut Tx, std::sync::Arc<rusqlite::Error>>,
    body: F,
    caches: Arc<Caches>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
) -> Member
where
    F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let tx = match tx {
        Ok(tx) => tx,
        Err(cause) => return answered(reply, Err(E::from(StoreError::Commit(cause)))),
    };
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let value = match poll_once(body(tx)) {
            Some(Ok(value)) => value,
            Some(Err(e)) => return Err(e),
            None => return Err(E::from(StoreError::WaitedOutsideTheTransaction)),
        };
        for work in tx.take_deferred() {
            match poll_once(work(tx)) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(E::from(e)),
                None => return Err(E::from(StoreError::WaitedOutsideTheTransaction)),
            }
        }
        Ok(value)
    }));
    let changed = std::mem::take(&mut tx.changed);
    match ran {
        Ok(Ok(value)) => Member {
            kept: true,
            settle: Box::new(move |outcome: Outcome| {
                if outcome.is_ok() {
                    caches.committed(&changed);
                }
                let answer = outcome
                    .map(|()| value)
                    .map_err(|e| E::from(StoreError::Commit(e)));
                let _ = reply.send(answer);
            }),
        },
        Ok(Err(e)) => answered(reply, Err(e)),
        Err(_) => answered(reply, Err(E::from(StoreError::BodyPanicked))),
    }
}

/// A body that ended badly: rolled back, and told so once its group is
/// settled (what it saw of the group's work is on disk by then).
fn answered<T: Send + 'static, E: Send + 'static>(
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
    answer: Result<T, E>,
) -> Member {
    Member {
        kept: false,
        settle: Box::new(move |_| {
            let _ = reply.send(answer);
        }),
    }
}

/// Polls a future once, with a waker that does nothing: on the writer
/// thread nothing would ever wake it.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => Some(out),
        std::task::Poll::Pending => None,
    }
}
