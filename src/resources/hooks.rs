//! Behaviour hooks: what a resource does beyond what its definition says.
//!
//! Every method has a no-op default, so a resource implements only what is
//! special about it. Write hooks run inside the write's transaction and
//! reach other records only through [`Nested`], which the engine provides:
//! a record a hook creates, changes or deletes goes through that resource's
//! own checks, hooks, sealing, file journal and activity entries.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value};

use super::Resource;
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
    /// Whether the caller may send secrets: the engine refuses secret
    /// fields itself, and a hook that seals a secret nested in a value (a
    /// flexible asset's Password trait) refuses it by this.
    pub password_access: bool,
    /// The vault, for resources with secret fields.
    pub vault: &'a Vault,
    /// The write's blob journal: hooks store files through it, so that a
    /// failed write leaves none behind, and release the files of records
    /// they delete, so that they go once the write commits.
    pub files: &'a Journal,
}

/// A record to create: where it is in the request, its column values, and
/// any `relationships` it carries (which hooks may act on).
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// JSON pointer to the item's attributes, for 422s.
    pub pointer: String,
    /// Column values.
    pub values: Values,
    /// The item's `relationships` object, if sent.
    pub relationships: Option<Value>,
}

impl NewRecord {
    /// A record made by the server itself (no request position, no relationships).
    pub fn new(pointer: impl Into<String>, values: Values) -> NewRecord {
        NewRecord {
            pointer: pointer.into(),
            values,
            relationships: None,
        }
    }
}

/// A change to one record: where it is in the request, its id and the
/// column values that change.
#[derive(Debug, Clone)]
pub struct Change {
    /// JSON pointer to the item's attributes, for 422s.
    pub pointer: String,
    /// The record's id.
    pub id: i64,
    /// The column values that change.
    pub values: Values,
}

/// Writes and reads of other records inside the current write's
/// transaction, through the engine's own pipeline.
pub trait Nested: Send {
    /// The write's transaction, for the named store functions
    /// ([`Tx::select`], [`Tx::update_rows`], ...) a hook still needs.
    fn tx(&mut self) -> &mut Tx;

    /// Creates records of `resource`, with its checks, hooks, sealing and
    /// activity entries.
    fn create<'a>(
        &'a mut self,
        resource: &'static Resource,
        items: Vec<NewRecord>,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Changes records of `resource`, likewise.
    fn update<'a>(
        &'a mut self,
        resource: &'static Resource,
        changes: Vec<Change>,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Deletes records of `resource` with what hangs off them, likewise.
    fn delete<'a>(
        &'a mut self,
        resource: &'static Resource,
        ids: Vec<i64>,
    ) -> BoxFuture<'a, Result<()>>;

    /// Creates records of `resource` from JSON:API items (`{"attributes":
    /// {...}}`, each with its pointer in the request), checked against the
    /// resource's own definition like a request to its route: every
    /// problem of every item in one 422.
    fn create_items<'a>(
        &'a mut self,
        resource: &'static Resource,
        items: Vec<(String, Map<String, Value>)>,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Replaces the expirations of record `id` of `resource` by `rows`
    /// (description, instant in milliseconds) when its hooks derive them
    /// (rather than the definition's fixed date columns).
    fn set_expirations<'a>(
        &'a mut self,
        resource: &'static Resource,
        id: i64,
        rows: Vec<(String, i64)>,
    ) -> BoxFuture<'a, Result<()>>;

    /// The records of `resource` in the account whose columns equal the
    /// given values, in id order (fields as the definition reads them).
    fn find<'a>(
        &'a mut self,
        resource: &'static Resource,
        matching: Vec<(&'static str, crate::store::Arg)>,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Whether record `id` of `resource` was created earlier in this write
    /// (and is still there).
    fn created_in_this_write(&self, resource: &'static Resource, id: i64) -> bool;
}

/// One record about to be written.
pub struct WriteContext<'a> {
    /// Other records, and the transaction, of this write.
    pub nested: &'a mut dyn Nested,
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
    /// Other records, and the transaction, of this write.
    pub nested: &'a mut dyn Nested,
    /// The caller's account.
    pub scope: Scope,
    /// The record's id.
    pub id: i64,
    /// JSON pointer to the record's attributes in the request, for 422s.
    pub pointer: &'a str,
    /// Whether the record was created (rather than updated).
    pub created: bool,
    /// The column values written.
    pub values: &'a Values,
    /// The item's `relationships` (creates only).
    pub relationships: Option<&'a Value>,
    /// What [`Hooks::before_write`] set aside.
    pub deferred: &'a Values,
    /// Caller, vault and files.
    pub env: WriteEnv<'a>,
}

/// Records about to be deleted.
pub struct BeforeDelete<'a> {
    /// Other records, and the transaction, of this write.
    pub nested: &'a mut dyn Nested,
    /// The caller's account.
    pub scope: Scope,
    /// The records' ids.
    pub ids: &'a [i64],
    /// Caller, vault and files.
    pub env: WriteEnv<'a>,
}

/// Which secrets a read may show; the engine decides, from the caller's
/// rights and request, before any hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// None: secret attributes stay out of the response.
    Hidden,
    /// The current values.
    Current,
    /// The values of a past version (show routes).
    Version(i64),
}

/// Records about to be rendered.
pub struct Decorate<'a> {
    /// The database.
    pub store: &'a Store,
    /// The vault.
    pub vault: &'a Vault,
    /// The caller's account.
    pub scope: Scope,
    /// The records.
    pub records: &'a [&'a Record],
    /// Which secrets may be shown.
    pub secrets: Secrets,
    /// Reads of other records, for names looked up across tables.
    pub lookup: &'a dyn Lookup,
}

/// Reads of other records for [`Hooks::decorate`], one statement per call.
pub trait Lookup: Sync {
    /// Records of `resource` in the account whose `column` holds one of
    /// `values`, in id order (fields as the definition reads them).
    fn records<'a>(
        &'a self,
        resource: &'static Resource,
        column: &'static str,
        values: &'a [i64],
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Only `fields` of the records of `resource` in the account with ids
    /// `ids`, in id order: each record's cells are those fields' values, in
    /// the order asked, read without the joins of the other fields (a
    /// tagged or linked record's name, not the whole record).
    fn fields<'a>(
        &'a self,
        resource: &'static Resource,
        fields: &'a [&'static str],
        ids: &'a [i64],
    ) -> BoxFuture<'a, Result<Vec<Record>>>;
}

/// Attributes a hook adds to rendered records.
#[derive(Debug, Default)]
pub struct Decorations {
    /// Extra attributes by record id, under their wire (dashed) names.
    pub attributes: HashMap<i64, Map<String, Value>>,
    /// The records whose secrets these attributes show; the engine audits
    /// each before anything is sent.
    pub revealed: Vec<i64>,
    /// Embedded passwords whose values these attributes show (a flexible
    /// asset's Password traits): each is audited as a reveal of that
    /// password too, so its own audit trail lists it.
    pub revealed_passwords: Vec<RevealedPassword>,
}

/// An embedded password a decoration revealed, as its audit entry names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealedPassword {
    /// The password's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The organization of the record it belongs to.
    pub organization_id: Option<i64>,
}

/// What a query's filters are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryPurpose {
    /// A list.
    List,
    /// Picking the records a bulk update changes.
    BulkUpdate,
    /// Picking the records a bulk delete removes.
    BulkDelete,
    /// Reading the records a global search found, by id.
    Search,
}

/// Special behaviour of a resource type.
pub trait Hooks: Sync {
    /// Checks a query before it runs: a list, or the filters that pick the
    /// records of a bulk update or delete (a list that requires a filter
    /// answers a 400 naming it).
    fn check_query(&self, _query: &crate::query::Query, _purpose: QueryPurpose) -> Result<()> {
        Ok(())
    }

    /// Checks and completes a record before it is inserted or updated.
    fn before_write<'a>(&'a self, _ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Runs after a record was inserted or updated, in the same transaction.
    fn after_write<'a>(&'a self, _ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Refuses a delete (422) or prepares it, before any row goes.
    fn before_delete<'a>(&'a self, _ctx: BeforeDelete<'a>) -> BoxFuture<'a, Result<()>> {
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

    /// Attributes computed for records about to be rendered, beyond their
    /// fields: revealed secrets, names looked up across tables.
    fn decorate<'a>(&'a self, _ctx: Decorate<'a>) -> BoxFuture<'a, Result<Decorations>> {
        Box::pin(async { Ok(Decorations::default()) })
    }
}

/// The hooks of a resource with no special behaviour.
pub struct NoHooks;

impl Hooks for NoHooks {}
