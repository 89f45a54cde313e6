//! Checkpoints of SQLite's write-ahead log, beside the writer.
//!
//! A commit appends pages to the write-ahead log; a checkpoint copies them
//! into the database file. Left to SQLite, the commit that takes the log
//! past 1,000 pages runs the checkpoint itself, on the writer connection,
//! while every other write waits: with a group of forty configurations
//! (twenty indexes each) that was nearly every commit, and half of the
//! writer's time. Here the writer never checkpoints
//! (`wal_autocheckpoint = 0`); a thread of its own, on a connection of its
//! own, runs a passive checkpoint after commits, at most every
//! [`PAUSE`]. A passive checkpoint takes no lock the writer or the readers
//! wait for, and copies what no reader still needs.
//!
//! The log starts again from its beginning only once all of it has been
//! copied, which never happens while commits keep adding to it. So when
//! the log has grown past [`CATCH_UP_FRAMES`], the writer copies what the
//! last pass left, right after its next commit (the members already told):
//! a short checkpoint, as the pass copied the rest.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The least time between two checkpoints: commits in between are copied
/// together.
const PAUSE: Duration = Duration::from_millis(100);

/// The log's length (pages) past which the writer catches up, so the log
/// starts again from its beginning (16 MiB of 4 KiB pages).
const CATCH_UP_FRAMES: i64 = 4096;

/// What the checkpointing thread is asked to do.
#[derive(Default)]
struct Requests {
    /// Commits happened since the last checkpoint began.
    committed: bool,
    /// The store is closing: the thread ends.
    stop: bool,
}

type Signal = Arc<(Mutex<Requests>, Condvar)>;

/// The thread that checkpoints the log of one database file.
pub(crate) struct Checkpointer {
    signal: Signal,
    /// Whether the log has grown past [`CATCH_UP_FRAMES`].
    catch_up: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer").finish_non_exhaustive()
    }
}

fn lock(signal: &Signal) -> std::sync::MutexGuard<'_, Requests> {
    signal
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Checkpointer {
    /// Starts the thread, which checkpoints on `connection` (a read-write
    /// connection of its own to the database file).
    pub(crate) fn start(connection: rusqlite::Connection) -> std::io::Result<Checkpointer> {
        let signal: Signal = Arc::default();
        let catch_up = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn({
                let signal = signal.clone();
                let catch_up = catch_up.clone();
                move || run(&connection, &signal, &catch_up)
            })?;
        Ok(Checkpointer {
            signal,
            catch_up,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Tells the thread that a commit added to the log; when the log has
    /// grown too long, first copies what the last pass left on `writer`
    /// (which has just committed and holds the writer's turn).
    pub(crate) fn committed(&self, writer: &rusqlite::Connection) {
        if self.catch_up.swap(false, Ordering::SeqCst) {
            if let Err(error) = checkpoint(writer) {
                tracing::warn!(%error, "could not checkpoint the write-ahead log");
            }
        }
        lock(&self.signal).committed = true;
        self.signal.1.notify_one();
    }

    /// Ends the thread (after the checkpoint it is running, if any) and
    /// closes its connection.
    pub(crate) fn stop(&self) {
        lock(&self.signal).stop = true;
        self.signal.1.notify_one();
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a passive checkpoint; the log's length in pages.
fn checkpoint(connection: &rusqlite::Connection) -> rusqlite::Result<i64> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
}

/// The thread: waits for commits, checkpoints, pauses.
fn run(connection: &rusqlite::Connection, signal: &Signal, catch_up: &AtomicBool) {
    loop {
        {
            let mut requests = lock(signal);
            while !requests.committed && !requests.stop {
                requests = signal
                    .1
                    .wait(requests)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if requests.stop {
                return;
            }
            requests.committed = false;
        }
        match checkpoint(connection) {
            Ok(frames) if frames > CATCH_UP_FRAMES => catch_up.store(true, Ordering::SeqCst),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not checkpoint the write-ahead log"),
        }
        // The pause, unless the store closes.
        let requests = lock(signal);
        let _ = signal
            .1
            .wait_timeout_while(requests, PAUSE, |requests| !requests.stop);
    }
}
