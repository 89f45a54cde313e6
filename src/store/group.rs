//! Group commit for SQLite's single writer.
//!
//! Every write transaction of the process runs on one connection, one after
//! another. With `synchronous=FULL` each `COMMIT` waits for the disk, so
//! committing each transaction by itself bounds writes per second by the
//! disk's flushes. Here the transactions that queue behind one another share
//! one database transaction instead: each runs inside a `SAVEPOINT` of its
//! own (so a failed one rolls back alone), and one `COMMIT` makes the whole
//! group durable at once. A transaction's [`GroupTx::commit`] returns only
//! after that `COMMIT`: nothing is acknowledged before it is on disk, and if
//! the `COMMIT` fails, every member of the group hears of it.
//!
//! The group is committed by the member that finds nobody queued behind it,
//! by the member that fills it ([`MAX_GROUP`]), or, when a member leaves
//! others queued, by a flush queued behind them — so a group never waits
//! for a writer that gave up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::error::{Error, Result};

/// The most transactions one `COMMIT` makes durable (a bound on how long
/// the first of them waits for its acknowledgement).
pub const MAX_GROUP: usize = 64;

/// The writer connection and the group open on it.
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    pool: SqlitePool,
    group: Arc<Mutex<Group>>,
    /// Writers waiting for their turn.
    waiting: Arc<AtomicUsize>,
    wait: Duration,
}

/// A group in progress.
#[derive(Debug, Default)]
struct Group {
    /// The connection, while a database transaction is open on it.
    connection: Option<PoolConnection<Sqlite>>,
    /// Members whose work is in the open transaction, each waiting to hear
    /// how the `COMMIT` went.
    members: Vec<oneshot::Sender<std::result::Result<(), String>>>,
    /// Whether a member's savepoint is open (it left without committing:
    /// its work is to be rolled back before anyone else's runs).
    savepoint_open: bool,
}

/// One write transaction: a member of the open group, holding the writer
/// until it commits or goes.
#[derive(Debug)]
pub(crate) struct GroupTx {
    guard: Option<OwnedMutexGuard<Group>>,
    writer: GroupWriter,
}

async fn run(connection: &mut SqliteConnection, statement: &str) -> sqlx::Result<()> {
    sqlx::query(statement).execute(connection).await.map(|_| ())
}

impl GroupWriter {
    /// A writer over `pool` (of one connection); a write waits at most
    /// `wait` for its turn.
    pub(crate) fn new(pool: SqlitePool, wait: Duration) -> GroupWriter {
        GroupWriter {
            pool,
            group: Arc::new(Mutex::new(Group::default())),
            waiting: Arc::new(AtomicUsize::new(0)),
            wait,
        }
    }

    /// The pool of the writer connection (for statements outside groups,
    /// which wait for the connection to be free).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for the writer's turn and opens a savepoint in the group (and
    /// the group's transaction, with `BEGIN IMMEDIATE`, if none is open).
    pub(crate) async fn begin(&self) -> Result<GroupTx> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let turn = tokio::time::timeout(self.wait, self.group.clone().lock_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let mut guard = turn.map_err(|_| Error::Unavailable { retry_after: 1 })?;
        settle(&mut guard).await;
        if guard.connection.is_none() {
            let mut connection = self.pool.acquire().await?;
            run(&mut connection, "BEGIN IMMEDIATE").await?;
            guard.connection = Some(connection);
        }
        let connection = guard.connection.as_mut().expect("opened above");
        if let Err(error) = run(connection, "SAVEPOINT member").await {
            finish(&mut guard).await;
            return Err(error.into());
        }
        guard.savepoint_open = true;
        Ok(GroupTx {
            guard: Some(guard),
            writer: self.clone(),
        })
    }

    /// Commits whatever group is open once the writers queued now have
    /// had their turn.
    fn flush_later(&self) {
        let group = self.group.clone();
        tokio::spawn(async move {
            let mut guard = group.lock_owned().await;
            settle(&mut guard).await;
            finish(&mut guard).await;
        });
    }
}

/// Rolls back the savepoint of a member that left without committing.
async fn settle(group: &mut Group) {
    if !group.savepoint_open {
        return;
    }
    group.savepoint_open = false;
    let rolled_back = match group.connection.as_mut() {
        Some(connection) => {
            let back = run(connection, "ROLLBACK TO member").await;
            match back {
                Ok(()) => run(connection, "RELEASE member").await,
                Err(error) => Err(error),
            }
        }
        None => Ok(()),
    };
    if let Err(error) = rolled_back {
        // The transaction cannot be trusted any more: the whole group fails.
        fail(group, &format!("rolling back a failed write: {error}")).await;
    }
}

/// Commits the open group and tells its members how it went; the
/// connection goes back to its pool.
async fn finish(group: &mut Group) {
    let Some(mut connection) = group.connection.take() else {
        return;
    };
    if group.members.is_empty() {
        // Only writes that failed: nothing to keep, nothing to write.
        let _ = run(&mut connection, "ROLLBACK").await;
        return;
    }
    let outcome = run(&mut connection, "COMMIT")
        .await
        .map_err(|error| error.to_string());
    if outcome.is_err() {
        let _ = run(&mut connection, "ROLLBACK").await;
    }
    for member in group.members.drain(..) {
        let _ = member.send(outcome.clone());
    }
}

/// Rolls the open group back and fails its members.
async fn fail(group: &mut Group, why: &str) {
    if let Some(mut connection) = group.connection.take() {
        let _ = run(&mut connection, "ROLLBACK").await;
    }
    for member in group.members.drain(..) {
        let _ = member.send(Err(why.to_string()));
    }
}

impl GroupTx {
    /// The writer connection, inside this member's savepoint.
    pub(crate) fn connection(&mut self) -> &mut SqliteConnection {
        self.guard
            .as_mut()
            .and_then(|guard| guard.connection.as_mut())
            .expect("a member holds the open group")
    }

    /// Keeps this member's work and returns once the group that holds it is
    /// committed (or fails with the group's error).
    pub(crate) async fn commit(mut self) -> Result<()> {
        let mut guard = self.guard.take().expect("a member holds the open group");
        let connection = guard
            .connection
            .as_mut()
            .expect("a member holds the open group");
        if let Err(error) = run(connection, "RELEASE member").await {
            guard.savepoint_open = true;
            settle(&mut guard).await;
            return Err(error.into());
        }
        guard.savepoint_open = false;
        let (told, outcome) = oneshot::channel();
        guard.members.push(told);
        if guard.members.len() >= MAX_GROUP || self.writer.waiting.load(Ordering::SeqCst) == 0 {
            finish(&mut guard).await;
        } else {
            drop(guard);
            self.writer.flush_later();
        }
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => Err(Error::Internal(anyhow::anyhow!(
                "the write was not committed: {why}"
            ))),
            Err(_) => Err(Error::Internal(anyhow::anyhow!(
                "the write's group ended without a commit"
            ))),
        }
    }
}

impl Drop for GroupTx {
    /// A member that goes without committing (an error, a refusal) is
    /// rolled back to its savepoint; the others' work stays, and the group
    /// is committed behind the writers queued now.
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else {
            return;
        };
        // The next member to begin rolls the savepoint back in any case;
        // without a runtime (at exit) that is all that can happen.
        drop(guard);
        if tokio::runtime::Handle::try_current().is_ok() {
            self.writer.flush_later();
        }
    }
}
