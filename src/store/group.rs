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
//! turns anyway. The `COMMIT`, which waits for the disk, runs on the
//! blocking thread pool.
//!
//! The group is committed by the member that finds nobody queued behind it,
//! by the member that fills it ([`MAX_GROUP`]), or, when a member leaves
//! others queued, by a flush queued behind them — so a group never waits
//! for a writer that gave up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::error::{Error, Result};

/// The most transactions one `COMMIT` makes durable (a bound on how long
/// the first of them waits for its acknowledgement).
pub const MAX_GROUP: usize = 64;

/// The writer connection and the group open on it.
#[derive(Clone)]
pub(crate) struct GroupWriter {
    group: Arc<Mutex<Group>>,
    /// Writers waiting for their turn.
    waiting: Arc<AtomicUsize>,
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
    /// thread that runs a `COMMIT`; only the holder of the group uses it.
    connection: Option<Arc<std::sync::Mutex<Connection>>>,
    /// Whether a database transaction is open.
    open: bool,
    /// Members whose work is in the open transaction, each waiting to hear
    /// how the `COMMIT` went.
    members: Vec<oneshot::Sender<std::result::Result<(), String>>>,
    /// Whether a member's savepoint is open (it left without committing:
    /// its work is to be rolled back before anyone else's runs).
    savepoint_open: bool,
}

/// One write transaction: a member of the open group, holding the writer
/// until it commits or goes.
pub(crate) struct GroupTx {
    guard: Option<OwnedMutexGuard<Group>>,
    writer: GroupWriter,
}

impl Group {
    /// Runs `statement` (no parameters) on the writer.
    fn run(&self, statement: &str) -> rusqlite::Result<()> {
        match &self.connection {
            Some(connection) => lock(connection).execute_batch(statement),
            None => Err(rusqlite::Error::InvalidQuery),
        }
    }
}

fn lock(connection: &std::sync::Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl GroupWriter {
    /// A writer on `connection` (opened with the store's settings); a write
    /// waits at most `wait` for its turn.
    pub(crate) fn new(connection: Connection, wait: Duration) -> GroupWriter {
        GroupWriter {
            group: Arc::new(Mutex::new(Group {
                connection: Some(Arc::new(std::sync::Mutex::new(connection))),
                open: false,
                members: Vec::new(),
                savepoint_open: false,
            })),
            waiting: Arc::new(AtomicUsize::new(0)),
            wait,
        }
    }

    /// Waits for the writer's turn and opens a savepoint in the group (and
    /// the group's transaction, with `BEGIN IMMEDIATE`, if none is open).
    pub(crate) async fn begin(&self) -> Result<GroupTx> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let turn = tokio::time::timeout(self.wait, self.group.clone().lock_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let mut guard = turn.map_err(|_| Error::Unavailable { retry_after: 1 })?;
        settle(&mut guard).await;
        if !guard.open {
            // Waits for another connection's write lock (another process,
            // a command beside the server) up to the busy timeout: on the
            // blocking pool, as the holder may need this thread to finish.
            let connection = guard
                .connection
                .clone()
                .ok_or(Error::Unavailable { retry_after: 1 })?;
            tokio::task::spawn_blocking(move || lock(&connection).execute_batch("BEGIN IMMEDIATE"))
                .await
                .map_err(|e| Error::Internal(anyhow::Error::new(e)))??;
            guard.open = true;
        }
        if let Err(error) = guard.run("SAVEPOINT member") {
            finish(&mut guard).await;
            return Err(error.into());
        }
        guard.savepoint_open = true;
        Ok(GroupTx {
            guard: Some(guard),
            writer: self.clone(),
        })
    }

    /// Runs `work` on the writer connection outside any group (once the
    /// open group is committed), such as an `ANALYZE`.
    pub(crate) async fn alone<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut guard = self.group.lock().await;
        settle(&mut guard).await;
        finish(&mut guard).await;
        match guard.connection.clone() {
            Some(connection) => Ok(work(&lock(&connection))?),
            None => Err(Error::Unavailable { retry_after: 1 }),
        }
    }

    /// Commits what is open and closes the connection (the last one to
    /// close checkpoints the write-ahead log).
    pub(crate) async fn close(&self) {
        let mut guard = self.group.lock().await;
        settle(&mut guard).await;
        finish(&mut guard).await;
        if let Some(connection) = guard.connection.take() {
            if let Ok(connection) = Arc::try_unwrap(connection) {
                let connection = connection
                    .into_inner()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let _ = connection.close();
            }
        }
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
    let rolled_back = group
        .run("ROLLBACK TO member")
        .and_then(|()| group.run("RELEASE member"));
    if let Err(error) = rolled_back {
        // The transaction cannot be trusted any more: the whole group fails.
        fail(group, &format!("rolling back a failed write: {error}"));
    }
}

/// Commits the open group (on the blocking thread pool: the `COMMIT`
/// waits for the disk) and tells its members how it went.
async fn finish(group: &mut Group) {
    if !group.open {
        return;
    }
    group.open = false;
    if group.members.is_empty() {
        // Only writes that failed: nothing to keep, nothing to write.
        let _ = group.run("ROLLBACK");
        return;
    }
    let Some(connection) = group.connection.clone() else {
        return;
    };
    let committed = tokio::task::spawn_blocking(move || {
        let connection = lock(&connection);
        let outcome = connection.execute_batch("COMMIT");
        if outcome.is_err() {
            let _ = connection.execute_batch("ROLLBACK");
        }
        outcome.map_err(|error| error.to_string())
    })
    .await;
    let outcome = committed.unwrap_or_else(|error| Err(error.to_string()));
    for member in group.members.drain(..) {
        let _ = member.send(outcome.clone());
    }
}

/// Rolls the open group back and fails its members.
fn fail(group: &mut Group, why: &str) {
    if group.open {
        let _ = group.run("ROLLBACK");
        group.open = false;
    }
    for member in group.members.drain(..) {
        let _ = member.send(Err(why.to_string()));
    }
}

impl GroupTx {
    /// Runs `work` on the writer connection, inside this member's savepoint.
    pub(crate) fn with_connection<T>(&mut self, work: impl FnOnce(&Connection) -> T) -> T {
        let connection = self
            .guard
            .as_ref()
            .and_then(|guard| guard.connection.clone())
            .expect("a member holds the open group");
        let connection = lock(&connection);
        work(&connection)
    }

    /// Keeps this member's work and returns once the group that holds it is
    /// committed (or fails with the group's error).
    pub(crate) async fn commit(mut self) -> Result<()> {
        let mut guard = self.guard.take().expect("a member holds the open group");
        if let Err(error) = guard.run("RELEASE member") {
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
