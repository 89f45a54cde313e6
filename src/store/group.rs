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
//! The writer is a `rusqlite` connection that statements run on directly,
//! on the task that holds the writer's turn: a write transaction is a dozen
//! or more statements, and passing each to a worker thread and back (what
//! an async driver does) cost more than running it, while writes take
//! turns anyway. What may wait — `BEGIN IMMEDIATE` for another process's
//! write lock, `COMMIT` for the disk, `ANALYZE` — runs on the blocking
//! thread pool, so a task that must run for the wait to end never waits
//! behind it. Whether a transaction is open is asked of the connection
//! itself, and the members of a group are told by the thread that commits
//! it, so a caller that gives up half-way (a dropped future) leaves
//! nothing inconsistent.
//!
//! The group is committed by the member that finds nobody queued behind it,
//! by the member that fills it ([`MAX_GROUP`]), or, when a member leaves
//! others queued, by a flush queued behind them — so a group never waits
//! for a writer that gave up.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use super::checkpoint::Checkpointer;
use crate::error::{Error, Result};

/// The most transactions one `COMMIT` makes durable (a bound on how long
/// the first of them waits for its acknowledgement).
pub const MAX_GROUP: usize = 64;

/// The shared writer connection.
type Shared = Arc<std::sync::Mutex<Connection>>;

/// How a group's `COMMIT` went, as its members hear it.
type Outcome = std::result::Result<(), String>;

/// The writer connection and the group open on it.
#[derive(Clone)]
pub(crate) struct GroupWriter {
    group: Arc<Mutex<Group>>,
    /// Writers waiting for their turn.
    waiting: Arc<AtomicUsize>,
    /// Whether a flush is queued for the writer's turn: one is enough, as
    /// it commits every member before it.
    flush_queued: Arc<AtomicBool>,
    wait: Duration,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish()
    }
}

/// The writer connection and the group in progress on it.
struct Group {
    /// The connection (`None` once closed). Shared with the blocking
    /// threads that begin and commit; only the holder of the group uses it.
    connection: Option<Shared>,
    /// Members whose work is in the open transaction, each waiting to hear
    /// how the `COMMIT` went.
    members: Vec<oneshot::Sender<Outcome>>,
    /// Whether a member's savepoint is open (it left without committing:
    /// its work is to be rolled back before anyone else's runs).
    savepoint_open: bool,
    /// Copies what the commits add to the log into the database file.
    checkpointer: Arc<Checkpointer>,
}

/// One write transaction: a member of the open group, holding the writer
/// until it commits or goes.
pub(crate) struct GroupTx {
    guard: Option<OwnedMutexGuard<Group>>,
    writer: GroupWriter,
}

fn lock(connection: &std::sync::Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` on the connection on the blocking thread pool.
async fn blocking<T: Send + 'static>(
    connection: Shared,
    work: impl FnOnce(&Connection) -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(move || work(&lock(&connection)))
        .await
        .map_err(|e| Error::Internal(anyhow::Error::new(e)))
}

impl Group {
    /// Runs `statement` (no parameters) on the writer, here.
    fn run(&self, statement: &str) -> rusqlite::Result<()> {
        match &self.connection {
            Some(connection) => lock(connection).execute_batch(statement),
            None => Err(rusqlite::Error::InvalidQuery),
        }
    }

    fn connection(&self) -> Result<Shared> {
        self.connection
            .clone()
            .ok_or(Error::Unavailable { retry_after: 1 })
    }
}

impl GroupWriter {
    /// A writer on `connection` (opened with the store's settings, which
    /// leave checkpoints to `checkpointer`); a write waits at most `wait`
    /// for its turn.
    pub(crate) fn new(
        connection: Connection,
        checkpointer: Checkpointer,
        wait: Duration,
    ) -> GroupWriter {
        GroupWriter {
            group: Arc::new(Mutex::new(Group {
                connection: Some(Arc::new(std::sync::Mutex::new(connection))),
                members: Vec::new(),
                savepoint_open: false,
                checkpointer: Arc::new(checkpointer),
            })),
            waiting: Arc::new(AtomicUsize::new(0)),
            flush_queued: Arc::new(AtomicBool::new(false)),
            wait,
        }
    }

    /// Waits for the writer's turn and opens a savepoint in the group (and
    /// the group's transaction, with `BEGIN IMMEDIATE`, if none is open).
    pub(crate) async fn begin(&self) -> Result<GroupTx> {
        let turn = {
            let _waiting = Waiting::new(&self.waiting);
            tokio::time::timeout(self.wait, self.group.clone().lock_owned()).await
        };
        // From here on, a drop (an error, a caller that gives up) flushes.
        let mut tx = GroupTx {
            guard: Some(turn.map_err(|_| Error::Unavailable { retry_after: 1 })?),
            writer: self.clone(),
        };
        let group = tx.guard.as_mut().expect("just taken");
        settle(group).await;
        let connection = group.connection()?;
        if lock(&connection).is_autocommit() {
            blocking(connection, |c| {
                if c.is_autocommit() {
                    c.execute_batch("BEGIN IMMEDIATE")
                } else {
                    Ok(())
                }
            })
            .await??;
        }
        let group = tx.guard.as_mut().expect("held");
        group.run("SAVEPOINT member")?;
        group.savepoint_open = true;
        Ok(tx)
    }

    /// Runs `work` on the writer connection outside any group (once the
    /// open group is committed), on the blocking pool: an `ANALYZE`.
    pub(crate) async fn alone<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let mut group = self.group.lock().await;
        settle(&mut group).await;
        finish(&mut group).await;
        Ok(blocking(group.connection()?, work).await??)
    }

    /// Commits what is open, stops the checkpoints and closes the
    /// connection (the last one to close checkpoints the write-ahead log).
    pub(crate) async fn close(&self) {
        let mut group = self.group.lock().await;
        settle(&mut group).await;
        finish(&mut group).await;
        if let Some(connection) = group.connection.take() {
            let checkpointer = group.checkpointer.clone();
            let _ = tokio::task::spawn_blocking(move || {
                checkpointer.stop();
                if let Ok(connection) = Arc::try_unwrap(connection) {
                    let connection = connection
                        .into_inner()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    let _ = connection.close();
                }
            })
            .await;
        }
    }

    /// Commits whatever group is open once the writers queued now have
    /// had their turn (unless a flush is queued already: it comes after
    /// them too).
    fn flush_later(&self) {
        if self.flush_queued.swap(true, Ordering::SeqCst) {
            return;
        }
        let group = self.group.clone();
        let queued = self.flush_queued.clone();
        tokio::spawn(async move {
            let mut group = group.lock_owned().await;
            // Members that commit from here on need a flush of their own.
            queued.store(false, Ordering::SeqCst);
            settle(&mut group).await;
            finish(&mut group).await;
        });
    }
}

/// Counts a writer as waiting for its turn for as long as it lives, so a
/// writer that gives up while it waits (a dropped request) is not counted
/// on: a group is committed at once when nobody is waiting.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Rolls back the savepoint of a member that left without committing.
async fn settle(group: &mut Group) {
    if !group.savepoint_open {
        return;
    }
    group.savepoint_open = false;
    let rolled_back = group
        .run("ROLLBACK TO member")
        .and_then(|()| group.run("RELEASE member"));
    if let Err(error) = rolled_back {
        // The transaction cannot be trusted any more: the whole group fails.
        fail(group, &format!("rolling back a failed write: {error}")).await;
    }
}

/// Ends the open transaction: commits it when it holds members' work (on
/// the blocking pool: the `COMMIT` waits for the disk), after the search
/// index's changes the members left pending, rolls it back when it holds
/// none. The thread that commits tells the members, so they hear
/// even if this caller goes.
async fn finish(group: &mut Group) {
    let Some(connection) = group.connection.clone() else {
        return;
    };
    if group.members.is_empty() && lock(&connection).is_autocommit() {
        // Nothing open: the group was committed already.
        return;
    }
    let members = std::mem::take(&mut group.members);
    let checkpointer = group.checkpointer.clone();
    let done = blocking(connection, move |c| {
        if c.is_autocommit() {
            // The transaction ended without a COMMIT of ours: whether the
            // members' work is on disk is unknown, so none is acknowledged.
            tell(
                members,
                Err("the transaction ended before its commit".into()),
            );
            return;
        }
        if members.is_empty() {
            // Only writes that failed: nothing to keep, nothing to write.
            let _ = c.execute_batch("ROLLBACK");
            return;
        }
        let outcome = super::search::index_pending(c)
            .and_then(|()| c.execute_batch("COMMIT"))
            .map_err(|e| e.to_string());
        if outcome.is_err() && !c.is_autocommit() {
            let _ = c.execute_batch("ROLLBACK");
        }
        let committed = outcome.is_ok();
        tell(members, outcome);
        if committed {
            checkpointer.committed(c);
        }
    })
    .await;
    if let Err(error) = done {
        tracing::error!(%error, "a write group could not be finished");
    }
}

fn tell(members: Vec<oneshot::Sender<Outcome>>, outcome: Outcome) {
    for member in members {
        let _ = member.send(outcome.clone());
    }
}

/// Rolls the open group back and fails its members.
async fn fail(group: &mut Group, why: &str) {
    let members = std::mem::take(&mut group.members);
    let why = why.to_string();
    if let Some(connection) = group.connection.clone() {
        let _ = blocking(connection, move |c| {
            if !c.is_autocommit() {
                let _ = c.execute_batch("ROLLBACK");
            }
            tell(members, Err(why));
        })
        .await;
    } else {
        tell(members, Err(why));
    }
}

impl GroupTx {
    /// Runs `work` on the writer connection, inside this member's savepoint.
    pub(crate) fn with_connection<T>(&mut self, work: impl FnOnce(&Connection) -> T) -> T {
        let connection = self
            .guard
            .as_ref()
            .and_then(|group| group.connection.clone())
            .expect("a member holds the open group");
        let connection = lock(&connection);
        work(&connection)
    }

    /// Keeps this member's work and returns once the group that holds it is
    /// committed (or fails with the group's error).
    pub(crate) async fn commit(mut self) -> Result<()> {
        let mut group = self.guard.take().expect("a member holds the open group");
        if let Err(error) = group.run("RELEASE member") {
            settle(&mut group).await;
            self.writer.flush_after(group);
            return Err(error.into());
        }
        group.savepoint_open = false;
        let (told, outcome) = oneshot::channel();
        group.members.push(told);
        if group.members.len() >= MAX_GROUP || self.writer.waiting.load(Ordering::SeqCst) == 0 {
            finish(&mut group).await;
        } else {
            self.writer.flush_after(group);
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

impl GroupWriter {
    /// Lets the writers queued now have their turn, then commits the group.
    fn flush_after(&self, group: OwnedMutexGuard<Group>) {
        drop(group);
        if tokio::runtime::Handle::try_current().is_ok() {
            self.flush_later();
        }
    }
}

impl Drop for GroupTx {
    /// A member that goes without committing (an error, a refusal, a
    /// caller that gave up) is rolled back to its savepoint; the others'
    /// work stays, and the group is committed behind the writers queued
    /// now. (The next member to begin rolls the savepoint back in any case.)
    fn drop(&mut self) {
        if let Some(group) = self.guard.take() {
            self.writer.flush_after(group);
        }
    }
}
