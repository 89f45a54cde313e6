//! The connections PostgreSQL statements run on: a pool (`deadpool`) of the
//! driver's connections that hands one out and takes it back without a
//! round trip of its own.
//!
//! The driver's own pool (`sqlx` 0.8) sends a `Sync` and waits for the
//! answer every time it takes a connection back, so each statement outside
//! a transaction cost two round trips, and the database's and the server's
//! CPU for both; it has no option to stop. Here a connection goes back as
//! it is when its work ended normally. One whose statement was cut short
//! (its request went away mid-statement) or whose transaction was left open
//! (a write that failed) is settled away from the request first: rolled
//! back and waited on until the database is ready for it. One that failed
//! other than with a database error (the socket closed, the protocol broke)
//! is dropped. A connection idle for [`IDLE_CHECK`] is checked before it is
//! handed out again, so connections the database dropped during a quiet
//! spell are replaced before a request meets them.

use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

use super::sql::{self, Sql};
use super::{Cell, ColumnType};
use crate::error::{Error, Result};

/// How long a connection may have sat idle before it is checked on its way
/// out of the pool (one round trip).
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// How long a statement waits for a connection to come free, and a new
/// connection for the database to accept it, before the request is
/// answered 503.
const WAIT: Duration = Duration::from_secs(10);

/// A driver connection, whether it is settled (no statement of its was cut
/// short since it last answered) and whether it may be inside a
/// transaction (from the moment its `BEGIN` is sent until its `COMMIT` is
/// answered).
pub(crate) struct Session {
    connection: PgConnection,
    settled: bool,
    in_transaction: bool,
}

/// Opens and checks the pool's connections.
pub(crate) struct Manager {
    options: PgConnectOptions,
}

impl managed::Manager for Manager {
    type Type = Session;
    type Error = sqlx::Error;

    async fn create(&self) -> std::result::Result<Session, sqlx::Error> {
        Ok(Session {
            connection: PgConnection::connect_with(&self.options).await?,
            settled: true,
            in_transaction: false,
        })
    }

    async fn recycle(
        &self,
        session: &mut Session,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        // A lease settles what it leaves before its connection comes back;
        // one that could not (no runtime to do it on) is not used again.
        if session.in_transaction {
            return Err(RecycleError::message("left inside a transaction"));
        }
        if !session.settled || metrics.last_used() >= IDLE_CHECK {
            session
                .connection
                .ping()
                .await
                .map_err(RecycleError::Backend)?;
            session.settled = true;
        }
        Ok(())
    }
}

/// The pool of PostgreSQL connections statements and transactions run on.
#[derive(Clone)]
pub(crate) struct Connections {
    pool: managed::Pool<Manager>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl Connections {
    /// A pool of up to `max` connections opened with `options` (none is
    /// opened until a statement needs one).
    pub(crate) fn new(options: PgConnectOptions, max: u32) -> anyhow::Result<Connections> {
        let pool = managed::Pool::builder(Manager { options })
            .max_size(max.max(1) as usize)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .recycle_timeout(Some(WAIT))
            .build()?;
        Ok(Connections { pool })
    }

    /// A connection of the pool, for one statement or one transaction.
    pub(crate) async fn get(&self) -> Result<Lease> {
        match self.pool.get().await {
            Ok(object) => Ok(Lease {
                object: Some(object),
                broken: false,
            }),
            Err(PoolError::Backend(error)) => Err(error.into()),
            Err(error) => {
                tracing::warn!(%error, "no PostgreSQL connection came free");
                Err(Error::Unavailable { retry_after: 1 })
            }
        }
    }

    /// The pool's size and how many of its connections are idle.
    pub(crate) fn status(&self) -> (u32, usize) {
        let status = self.pool.status();
        (status.size as u32, status.available)
    }

    /// Closes the pool: idle connections close now, the others as their
    /// work ends.
    pub(crate) fn close(&self) {
        self.pool.close();
    }
}

/// A connection taken from [`Connections`]; it goes back when dropped.
pub(crate) struct Lease {
    object: Option<Object<Manager>>,
    /// A statement failed other than with a database error: the
    /// connection is not used again.
    broken: bool,
}

impl Lease {
    fn session(&mut self) -> &mut Session {
        self.object
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }

    /// Runs a query and decodes every row by `kinds`.
    pub(crate) async fn fetch(
        &mut self,
        sql: &Sql,
        kinds: &[ColumnType],
    ) -> std::result::Result<Vec<Vec<Cell>>, sqlx::Error> {
        let session = self.session();
        session.settled = false;
        let result = sql::fetch_postgres(&mut session.connection, sql, kinds).await;
        self.answered(result)
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) async fn execute(&mut self, sql: &Sql) -> std::result::Result<u64, sqlx::Error> {
        let session = self.session();
        session.settled = false;
        let result = sql::execute_postgres(&mut session.connection, sql).await;
        self.answered(result)
    }

    /// Starts a transaction (`BEGIN`); dropping the lease before
    /// [`Lease::commit`] rolls it back.
    pub(crate) async fn begin(&mut self) -> std::result::Result<(), sqlx::Error> {
        let session = self.session();
        session.settled = false;
        session.in_transaction = true;
        let result = session.connection.execute("BEGIN").await.map(|_| ());
        self.answered(result)
    }

    /// Commits the transaction [`Lease::begin`] started. Once `COMMIT` is
    /// answered, even with an error, the transaction is over.
    pub(crate) async fn commit(&mut self) -> std::result::Result<(), sqlx::Error> {
        let session = self.session();
        session.settled = false;
        let result = session.connection.execute("COMMIT").await.map(|_| ());
        if matches!(result, Ok(_) | Err(sqlx::Error::Database(_))) {
            session.in_transaction = false;
        }
        self.answered(result)
    }

    /// Notes how a statement ended: answered (its result or a database
    /// error), or with the connection in doubt.
    fn answered<T>(
        &mut self,
        result: std::result::Result<T, sqlx::Error>,
    ) -> std::result::Result<T, sqlx::Error> {
        match &result {
            Ok(_) | Err(sqlx::Error::Database(_)) => self.session().settled = true,
            Err(_) => self.broken = true,
        }
        result
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(mut object) = self.object.take() else {
            return;
        };
        if self.broken {
            drop(Object::take(object));
            return;
        }
        if object.settled && !object.in_transaction {
            return;
        }
        // A transaction left open holds its locks until a ROLLBACK reaches
        // the database: send it now, away from the request. Either way,
        // wait for the connection to be ready before it serves another.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            drop(Object::take(object));
            return;
        };
        runtime.spawn(async move {
            let settling = if object.in_transaction {
                object.connection.execute("ROLLBACK").await.map(|_| ())
            } else {
                object.connection.ping().await
            };
            match settling {
                Ok(()) => {
                    object.settled = true;
                    object.in_transaction = false;
                }
                Err(error) => {
                    tracing::debug!(%error, "a PostgreSQL connection did not settle");
                    drop(Object::take(object));
                }
            }
        });
    }
}
