//! Behaviour hooks: what a resource does beyond what its definition says.
//!
//! Every method has a no-op default, so a resource implements only what is
//! special about it. Write hooks run inside the write's transaction.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value};

use crate::error::Result;
use crate::files::Journal;
use crate::store::{Actor, Record, Scope, Store, Tx, Values};
use crate::vault::Vault;

/// A boxed future, so hooks stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who writes, with what keys, and where files go.
#[derive(Clone, Copy)]
pub struct WriteEnv<'a> {
    /// The caller, for the activity log and `updated-by`.
    pub actor: &'a Actor,
    /// The vault, for resources with secret fields.
    pub vault: &'a Vault,
    /// The request's blob journal: hooks store files through it, so that a
    /// failed write leaves none behind.
    pub files: &'a Journal,
}

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
    /// Values a hook sets aside for [`Hooks::after_write`], once the id is known.
    pub deferred: &'a mut Values,
    /// JSON pointer to the record's attributes in the request, for 422s.
    pub pointer: &'a str,
    /// The item's `relationships` (creates only; updates refuse them).
    pub relationships: Option<&'a Value>,
    /// Caller, vault and files.
    pub env: WriteEnv<'a>,
}

/// One record just written.
pub struct AfterWrite<'a> {
    /// The write's transaction.
    pub tx: &'a mut Tx,
    /// The caller's account.
    pub scope: Scope,
    /// The record's id.
    pub id: i64,
    /// Whether the record was created (rather than updated).
    pub created: bool,
    /// What [`Hooks::before_write`] set aside.
    pub deferred: &'a Values,
    /// Caller, vault and files.
    pub env: WriteEnv<'a>,
}

/// A request to reveal the secret attributes of some records.
pub struct Reveal<'a> {
    /// The database.
    pub store: &'a Store,
    /// The vault.
    pub vault: &'a Vault,
    /// The caller's account.
    pub scope: Scope,
    /// The records whose secrets are shown.
    pub records: &'a [Record],
    /// A past version to show instead of the current secret (show routes).
    pub version: Option<i64>,
}

/// Special behaviour of a resource type.
pub trait Hooks: Sync {
    /// Checks and completes a record before it is inserted or updated.
    fn before_write<'a>(&'a self, _ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Runs after a record was inserted or updated, in the same transaction.
    fn after_write<'a>(&'a self, _ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
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

    /// Runs when record `id` is about to be shown on its own (documents note
    /// when they were last viewed).
    fn shown<'a>(
        &'a self,
        _store: &'a Store,
        _scope: Scope,
        _id: i64,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// The secret attributes of each record, by record id (resources with
    /// secret fields). The caller has checked the key's access and audits
    /// each reveal before anything is sent.
    fn reveal<'a>(
        &'a self,
        _request: Reveal<'a>,
    ) -> BoxFuture<'a, Result<HashMap<i64, Map<String, Value>>>> {
        Box::pin(async { Ok(HashMap::new()) })
    }
}

/// The hooks of a resource with no special behaviour.
pub struct NoHooks;

impl Hooks for NoHooks {}
