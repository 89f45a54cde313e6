//! Behaviour hooks: what a resource does beyond what its definition says.
//!
//! Every method has a no-op default, so a resource implements only what is
//! special about it. Hooks run inside the write's transaction.

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;
use crate::store::{Scope, Tx, Values};

/// A boxed future, so hooks stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One record about to be written.
pub struct WriteContext<'a> {
    /// The write's transaction.
    pub tx: &'a mut Tx,
    /// The caller's account.
    pub scope: Scope,
    /// The record's id; `None` on create.
    pub id: Option<i64>,
    /// The column values about to be written; a hook may change or add to them.
    pub values: &'a mut Values,
    /// JSON pointer to the record's attributes in the request, for 422s.
    pub pointer: &'a str,
}

/// Special behaviour of a resource type.
pub trait Hooks: Sync {
    /// Checks and completes a record before it is inserted or updated.
    fn before_write<'a>(&'a self, _ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Runs after a record was inserted or updated, in the same transaction.
    fn after_write<'a>(
        &'a self,
        _tx: &'a mut Tx,
        _scope: Scope,
        _id: i64,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Refuses a delete (422) or prepares it, before any row goes.
    fn before_delete<'a>(
        &'a self,
        _tx: &'a mut Tx,
        _scope: Scope,
        _ids: &'a [i64],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// The hooks of a resource with no special behaviour.
pub struct NoHooks;

impl Hooks for NoHooks {}
