//! The engine: the definition-driven core every face calls. It lists,
//! shows, creates, updates, deletes and reveals records of any resource
//! type for a [`Caller`] (an account scope, an actor and its rights), with
//! its own [`Query`] and request items, and knows nothing of HTTP. Writes
//! run in one transaction through [`write::Writer`], which hooks also reach
//! nested records through; the secrets policy and its audit live in
//! [`secrets`].

pub mod activity;
pub mod compiled;
pub mod cursor;
mod dependents;
pub mod expirations;
mod fixed;
pub mod input;
pub mod metrics;
mod people;
mod read;
pub mod search;
mod secrets;
mod webhooks;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::error::{Error, Invalid, Result};
use crate::files::{BlobStore, Journal};
use crate::query::Query;
use crate::resources::{
    Change, Decorate, Decorations, Include, NewRecord, Parent, QueryPurpose, Resource, Secrets,
    WriteEnv,
};
use crate::roles::{Guard, Operation};
use crate::store::{Actor, Origin, Record, Scope, Store, UserGrant};
use crate::vault::Vault;
pub use compiled::Condition;
use compiled::{Page, Schema};
use input::{attribute_values, Item, Purpose};
pub use read::RecordSet;
pub use search::{SearchRequest, SearchResults};
use write::Writer;

/// How many times a write the database could not take is tried in all.
const WRITE_ATTEMPTS: u32 = 4;

/// Who calls the engine: the account, who acts, and what they may do.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account acted in.
    pub scope: Scope,
    /// Who acts, for the activity log.
    pub actor: Actor,
    /// Whether the caller may send and see secrets.
    pub password_access: bool,
    /// The user acting, whose role bounds what the caller may do; `None`
    /// for a key that acts for no user (its own rule alone applies).
    pub user: Option<UserGrant>,
}

impl Caller {
    /// Refuses (403) what the acting user's role does not allow:
    /// `operation` on records of `resource`, here records `ids`. Users may
    /// always edit their own profile.
    pub fn authorize(&self, resource: &Resource, operation: Operation, ids: &[i64]) -> Result<()> {
        let Some(user) = self.user else {
            return Ok(());
        };
        let own_profile =
            resource.table == "users" && operation == Operation::Edit && ids == [user.id];
        if own_profile {
            return Ok(());
        }
        self.authorize_guarded(resource.guard, resource.json_type, operation)
    }

    /// Refuses (403) `operation` on records that `guard`'s row of the role
    /// table covers (`what` names them in the refusal), for the routes
    /// that are not made from a definition (webhook subscriptions).
    pub fn authorize_guarded(&self, guard: Guard, what: &str, operation: Operation) -> Result<()> {
        match self.user {
            Some(user) if !user.role.permits(operation, guard) => Err(Error::Forbidden(format!(
                "the {} role may not {} {what}; an Administrator can change your role with `mortar users set-role`",
                user.role,
                operation.verb(),
            ))),
            _ => Ok(()),
        }
    }
}

/// What a write of one record expects of it beforehand (`If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Only that it exists (`*`).
    Exists,
    /// That its current version ([`Record::fingerprint`]) is one of these.
    Versions(Vec<String>),
}

/// A parent record a route names: the parent relation and the parent's id.
pub type ParentId = (&'static Parent, i64);

/// Attributes computed beyond the fields, by (JSON:API type, record id).
pub type Extra = HashMap<(&'static str, i64), Map<String, Value>>;

/// Records read or written, with what rendering them needs.
#[derive(Debug)]
pub struct Records {
    /// Their resource.
    pub resource: &'static Resource,
    /// The records, in order.
    pub records: Vec<Record>,
    /// How many match in all (lists; otherwise the number of records).
    pub total: u64,
    /// The relationships rendered: the includes asked for and those the
    /// type always renders.
    pub includes: Vec<&'static Include>,
    /// Whether includes were asked for (the document then has `included`).
    pub requested: bool,
    /// The included records and links.
    pub related: RecordSet,
    /// Computed attributes (revealed secrets among them), primary and included.
    pub extra: Extra,
    /// A cursor page's continuation (lists asked with `page[after]`).
    pub cursor: Option<cursor::CursorPage>,
}

/// A page of the change feed.
#[derive(Debug)]
pub struct ChangesPage {
    /// The changes, in commit order.
    pub changes: Vec<crate::store::ChangeRow>,
    /// Whether more follow already.
    pub has_more: bool,
    /// The position after the last change (or the one read from): where
    /// the next read starts.
    pub next: String,
}

/// Which records a bulk update changes.
#[derive(Debug)]
pub enum BulkUpdate {
    /// Each item names its record.
    Each(Vec<Item>),
    /// One item's attributes applied to every record the query's filters
    /// and the narrowing conditions pick (a face's own selection, such as a
    /// Copilot Smart Assist category; usually none).
    Matching {
        /// The filters.
        query: Box<Query>,
        /// Conditions beyond the filters.
        narrowing: Vec<Condition>,
        /// The attributes to set.
        item: Item,
    },
}

/// Which records a bulk delete removes.
#[derive(Debug)]
pub enum BulkDelete {
    /// By id, each with its position in the request.
    Ids(Vec<(String, i64)>),
    /// Every record the query's filters and the narrowing conditions pick.
    Matching {
        /// The filters.
        query: Query,
        /// Conditions beyond the filters.
        narrowing: Vec<Condition>,
    },
}

/// The definition-driven core over one store, vault and file store.
pub struct Engine {
    store: Store,
    vault: Vault,
    files: Arc<dyn BlobStore>,
    schema: Schema,
    views: metrics::ViewCounter,
    fixed: fixed::FixedRows,
}

impl Engine {
    /// An engine serving every built-in resource type over `store`,
    /// sealing with `vault`, keeping files in `files`.
    pub fn new(store: Store, vault: Vault, files: Arc<dyn BlobStore>) -> Engine {
        Engine::with_definitions(store, vault, files, &[])
    }

    /// An engine serving `extra` definitions beside the built-in ones (over
    /// tables the schema has): how a test exercises machinery no built-in
    /// type uses yet.
    pub fn with_definitions(
        store: Store,
        vault: Vault,
        files: Arc<dyn BlobStore>,
        extra: &[&'static Resource],
    ) -> Engine {
        Engine {
            store,
            vault,
            files,
            schema: Schema::build(extra),
            views: metrics::ViewCounter::default(),
            fixed: fixed::FixedRows::default(),
        }
    }

    /// Adds the views counted since the last call to the user metrics (the
    /// server calls this every few seconds and when it stops); how many
    /// metric rows it touched.
    pub async fn flush_views(&self) -> Result<usize> {
        self.views.flush(&self.store).await
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The vault.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The file store.
    pub fn files(&self) -> &Arc<dyn BlobStore> {
        &self.files
    }

    /// One page of `resource`'s records (under `parent`), filtered, sorted
    /// and with includes as `query` asks; secrets only if asked for and
    /// allowed, each reveal audited.
    pub async fn list(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        query: &Query,
    ) -> Result<Records> {
        self.list_narrowed(caller, resource, parent, query, &[])
            .await
    }

    /// [`Engine::list`] of only the records that also meet `narrowing`
    /// (conditions a face adds beyond the query's filters).
    pub async fn list_narrowed(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        query: &Query,
        narrowing: &[Condition],
    ) -> Result<Records> {
        self.list_for(
            caller,
            resource,
            parent,
            query,
            narrowing,
            QueryPurpose::List,
        )
        .await
    }

    /// [`Engine::list_narrowed`] for `purpose` (a list, or the records a
    /// search found), which decides the filters the type requires.
    async fn list_for(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        query: &Query,
        narrowing: &[Condition],
        purpose: QueryPurpose,
    ) -> Result<Records> {
        caller.authorize(resource, Operation::Read, &[])?;
        if let Some(max) = resource.max_page {
            if query.page_number > max {
                return Err(Error::bad_parameter(
                    "page[number]",
                    format!(
                        "must be between 1 and {max}; read further with cursor pages \
                         (page[after]=) or with filter[created_at] and sort=created_at"
                    ),
                ));
            }
        }
        resource.hooks.check_query(query, purpose)?;
        let compiled = self.schema.get(resource);
        let mut conditions = compiled.conditions(query)?;
        conditions.extend_from_slice(narrowing);
        let sorts = compiled.sorts(query)?;
        let includes = compiled.includes(query, false)?;
        let after = match query.page_after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(token) => Some(cursor::decode(token, &sorts, &compiled.sort_kinds(&sorts))?),
        };
        self.ensure_parent(caller, parent).await?;
        let page = read::list(
            &self.store,
            caller.scope,
            compiled,
            parent,
            &conditions,
            &Page {
                sorts: &sorts,
                size: query.size(),
                number: query.page_number,
                cursor: query.page_after.is_some(),
                after: after.as_ref(),
            },
        )
        .await?;
        let secrets = secrets::allowed(caller, resource, query, false, None)?;
        let mut records = self
            .finish_read(
                caller,
                resource,
                page.records,
                page.total,
                includes,
                secrets,
            )
            .await?;
        records.cursor = page.cursor;
        Ok(records)
    }

    /// Record `id` of `resource` (under `parent`), with includes; its
    /// secrets shown to a caller with password access unless
    /// `show_password=false`, or a past version's with `version_id`.
    pub async fn show(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        id: i64,
        query: &Query,
    ) -> Result<Records> {
        caller.authorize(resource, Operation::Read, &[id])?;
        let compiled = self.schema.get(resource);
        let includes = compiled.includes(query, true)?;
        let version = match query.version_id.as_deref() {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| Error::bad_parameter("version_id", "must be a version id"))?,
            ),
        };
        resource.hooks.shown(&self.store, caller.scope, id).await?;
        let fixed = parent.is_none() && fixed::FixedRows::holds(resource);
        let known = if fixed {
            self.fixed.get(resource, id)
        } else {
            None
        };
        let record = match known {
            Some(record) => record,
            None => {
                let record = read::show(&self.store, caller.scope, compiled, id, parent)
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound(format!("{} {id} was not found", resource.json_type))
                    })?;
                if fixed {
                    self.fixed.keep(resource, &record);
                }
                record
            }
        };
        let secrets = secrets::allowed(caller, resource, query, true, version)?;
        if let Some(user) = caller.user {
            let now = crate::clock::now_millis();
            if let Some(key) = metrics::metric_key(resource, &record, user.id, now) {
                self.views.count(caller.scope, key);
            }
        }
        self.finish_read(caller, resource, vec![record], 1, includes, secrets)
            .await
    }

    /// How many records of `resource` meet the query's filters and
    /// `narrowing` (the counters a face shows beside a list).
    pub async fn count(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        query: &Query,
        narrowing: &[Condition],
    ) -> Result<u64> {
        caller.authorize(resource, Operation::Read, &[])?;
        let compiled = self.schema.get(resource);
        let mut conditions = compiled.conditions(query)?;
        conditions.extend_from_slice(narrowing);
        read::count(&self.store, caller.scope, compiled, &conditions).await
    }

    /// The ids of `resource`'s records that meet `conditions`, in id order.
    pub async fn matching_ids(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        conditions: &[Condition],
    ) -> Result<Vec<i64>> {
        caller.authorize(resource, Operation::Read, &[])?;
        let compiled = self.schema.get(resource);
        read::matching_ids(&self.store, caller.scope, compiled, None, conditions).await
    }

    /// Up to `size` changes of the caller's account after position `after`
    /// (a token of [`cursor::encode_position`]; empty for the start), in
    /// commit order, with the position to read on from.
    pub async fn changes(&self, caller: &Caller, after: &str, size: u32) -> Result<ChangesPage> {
        let from = cursor::decode_position(after)?;
        let mut changes = self
            .store
            .changes_after(caller.scope, from, i64::from(size) + 1)
            .await?;
        let has_more = changes.len() > size as usize;
        changes.truncate(size as usize);
        let next = changes.last().map_or(from, |last| last.id);
        Ok(ChangesPage {
            changes,
            has_more,
            next: cursor::encode_position(next),
        })
    }

    /// Whether record `id` of `resource` exists in the caller's account.
    pub async fn exists(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        id: i64,
    ) -> Result<bool> {
        let compiled = self.schema.get(resource);
        Ok(read::show(&self.store, caller.scope, compiled, id, None)
            .await?
            .is_some())
    }

    /// The secrets of `records` that `secrets` allows, audited: the one way
    /// any face reveals a secret.
    pub async fn reveal(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        records: &[Record],
        secrets: Secrets,
    ) -> Result<Decorations> {
        let secrets = if caller.password_access {
            secrets
        } else {
            Secrets::Hidden
        };
        let records: Vec<&Record> = records.iter().collect();
        self.decorate(caller, resource, &records, secrets).await
    }

    /// Creates records of `resource` from request items, all or none (under
    /// `parent`, whose id the items then carry). `query` says whether the
    /// response shows the secrets written (`show_password`).
    pub async fn create(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        items: Vec<Item>,
        query: &Query,
    ) -> Result<Records> {
        self.create_from(caller, resource, parent, items, query, None)
            .await
    }

    /// [`Engine::create`] of one record that `mortar import` brings from
    /// `origin`: the import map notes it in the same transaction, so a
    /// stopped import never makes it twice. Its id.
    pub async fn create_imported(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        item: Item,
        origin: &Origin,
    ) -> Result<i64> {
        let records = self
            .create_from(
                caller,
                resource,
                parent,
                vec![item],
                &Query::default(),
                Some(origin),
            )
            .await?;
        Ok(records.records.first().map_or(0, |r| r.id))
    }

    async fn create_from(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        mut items: Vec<Item>,
        query: &Query,
        origin: Option<&Origin>,
    ) -> Result<Records> {
        caller.authorize(resource, Operation::Create, &[])?;
        secrets::forbid_sending(caller, resource, &items)?;
        let mut problems = Vec::new();
        let mut prepared = Vec::with_capacity(items.len());
        for item in &mut items {
            if let Some((parent, parent_id)) = parent {
                item.set_attribute(parent.field, json!(parent_id));
                if let Some(class) = parent.class {
                    item.set_attribute("resource_type", json!(class));
                }
            }
            let values = attribute_values(resource, item, Purpose::Create, &mut problems);
            prepared.push(NewRecord {
                pointer: item.attributes_pointer(),
                values,
                relationships: item.object.get("relationships").cloned(),
            });
        }
        checked(problems)?;
        self.ensure_parent(caller, parent).await?;
        let records = self
            .write(caller, resource, |writer| {
                let prepared = prepared.clone();
                let origin = origin.cloned();
                Box::pin(async move {
                    let records = writer.create_records(resource, prepared).await?;
                    if let (Some(origin), Some(record)) = (&origin, records.first()) {
                        let scope = writer.scope();
                        writer.tx.record_origin(scope, origin, record.id).await?;
                    }
                    Ok(records)
                })
            })
            .await?;
        self.written(caller, resource, records, query).await
    }

    /// Changes record `id` of `resource` (under `parent`) by one request
    /// item, if it is as `expected` (412 and no change otherwise); `query`
    /// as for [`Engine::create`].
    #[allow(clippy::too_many_arguments)]
    pub async fn update(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        id: i64,
        item: Item,
        query: &Query,
        expected: Option<&Expected>,
    ) -> Result<Records> {
        self.update_from(caller, resource, parent, id, item, query, expected, None)
            .await
    }

    /// [`Engine::update`] of record `id` with what `mortar import` read
    /// from `origin` again: the import map notes the source's new
    /// `updated-at` in the same transaction.
    pub async fn update_imported(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        id: i64,
        item: Item,
        origin: &Origin,
    ) -> Result<()> {
        let query = Query::default();
        self.update_from(caller, resource, None, id, item, &query, None, Some(origin))
            .await
            .map(|_| ())
    }

    #[allow(clippy::too_many_arguments)]
    async fn update_from(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        id: i64,
        item: Item,
        query: &Query,
        expected: Option<&Expected>,
        origin: Option<&Origin>,
    ) -> Result<Records> {
        caller.authorize(resource, Operation::Edit, &[id])?;
        secrets::forbid_sending(caller, resource, std::slice::from_ref(&item))?;
        let mut problems = Vec::new();
        if let Some(given) = item.object.get("attributes").and_then(|a| a.get("id")) {
            if !given.is_null() && input::parse_id(given) != Some(id) {
                problems.push(Invalid::new(
                    format!("{}/id", item.attributes_pointer()),
                    "does not match the id in the URL",
                ));
            }
        }
        let values = attribute_values(resource, &item, Purpose::Update, &mut problems);
        checked(problems)?;
        self.ensure_parent(caller, parent).await?;
        let change = Change {
            pointer: item.attributes_pointer(),
            id,
            values,
        };
        let records = self
            .write(caller, resource, |writer| {
                let change = change.clone();
                let expected = expected.cloned();
                let origin = origin.cloned();
                Box::pin(async move {
                    if let Some(expected) = &expected {
                        writer.expect(resource, parent, id, expected).await?;
                    }
                    let records = writer
                        .update_records(resource, parent, vec![change])
                        .await?;
                    if let Some(origin) = &origin {
                        let scope = writer.scope();
                        writer.tx.record_origin(scope, origin, id).await?;
                    }
                    Ok(records)
                })
            })
            .await?;
        self.written(caller, resource, records, query).await
    }

    /// Changes many records of `resource`, all or none; `query` as for
    /// [`Engine::create`].
    pub async fn bulk_update(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        target: BulkUpdate,
        query: &Query,
    ) -> Result<Records> {
        caller.authorize(resource, Operation::Edit, &[])?;
        let mut problems = Vec::new();
        let changes: Vec<Change> = match target {
            BulkUpdate::Each(items) => {
                secrets::forbid_sending(caller, resource, &items)?;
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    let values = attribute_values(resource, item, Purpose::Update, &mut problems);
                    match item.id() {
                        Ok(id) => out.push(Change {
                            pointer: item.attributes_pointer(),
                            id,
                            values,
                        }),
                        Err(Error::Invalid(mut p)) => problems.append(&mut p),
                        Err(other) => return Err(other),
                    }
                }
                out
            }
            BulkUpdate::Matching {
                query: filter,
                narrowing,
                item,
            } => {
                resource
                    .hooks
                    .check_query(&filter, QueryPurpose::BulkUpdate)?;
                let compiled = self.schema.get(resource);
                let mut conditions = compiled.conditions(&filter)?;
                conditions.extend(narrowing);
                secrets::forbid_sending(caller, resource, std::slice::from_ref(&item))?;
                let values = attribute_values(resource, &item, Purpose::Update, &mut problems);
                checked(std::mem::take(&mut problems))?;
                read::matching_ids(&self.store, caller.scope, compiled, None, &conditions)
                    .await?
                    .into_iter()
                    .map(|id| Change {
                        pointer: item.attributes_pointer(),
                        id,
                        values: values.clone(),
                    })
                    .collect()
            }
        };
        checked(problems)?;
        if changes.is_empty() {
            return Ok(self.plain(resource, Vec::new()));
        }
        let records = self
            .write(caller, resource, |writer| {
                Box::pin(writer.update_records(resource, None, changes.clone()))
            })
            .await?;
        self.written(caller, resource, records, query).await
    }

    /// Deletes records of `resource` (under `parent`) with what hangs off
    /// them, all or none, each as `expected` when given (412 and no change
    /// otherwise); returns them as they were.
    pub async fn delete(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        parent: Option<ParentId>,
        target: BulkDelete,
        expected: Option<&Expected>,
    ) -> Result<Records> {
        caller.authorize(resource, Operation::Delete, &[])?;
        self.ensure_parent(caller, parent).await?;
        let ids = match target {
            BulkDelete::Ids(ids) => ids,
            BulkDelete::Matching { query, narrowing } => {
                resource
                    .hooks
                    .check_query(&query, QueryPurpose::BulkDelete)?;
                let compiled = self.schema.get(resource);
                let mut conditions = compiled.conditions(&query)?;
                conditions.extend(narrowing);
                read::matching_ids(&self.store, caller.scope, compiled, parent, &conditions)
                    .await?
                    .into_iter()
                    .map(|id| (String::from("filter"), id))
                    .collect()
            }
        };
        if ids.is_empty() {
            return Ok(self.plain(resource, Vec::new()));
        }
        let records = self
            .write(caller, resource, |writer| {
                let ids = ids.clone();
                let expected = expected.cloned();
                Box::pin(async move {
                    if let Some(expected) = &expected {
                        for (_, id) in &ids {
                            writer.expect(resource, parent, *id, expected).await?;
                        }
                    }
                    writer.delete_records(resource, parent, ids).await
                })
            })
            .await?;
        // The records as they were, with their computed attributes (never
        // their secrets).
        let total = records.len() as u64;
        self.finish_read(
            caller,
            resource,
            records,
            total,
            Vec::new(),
            Secrets::Hidden,
        )
        .await
    }

    /// Runs `work` in one write transaction with a fresh file journal:
    /// committed, the files of deleted attachments go; failed, the files
    /// the write stored go and nothing else changes. A write the database
    /// could not take (a deadlock, a serialization failure) is tried again
    /// from the start, [`WRITE_ATTEMPTS`] times in all, then answered 503.
    async fn write<T>(
        &self,
        caller: &Caller,
        resource: &Resource,
        work: impl for<'w, 'e> Fn(&'w mut Writer<'e>) -> crate::resources::BoxFuture<'w, Result<T>>,
    ) -> Result<T> {
        if resource.has_secrets() {
            self.vault
                .ensure_data_key(&self.store, caller.scope)
                .await?;
        }
        let mut attempt: u32 = 1;
        loop {
            let journal = Journal::new(self.files.clone());
            let env = WriteEnv {
                actor: &caller.actor,
                password_access: caller.password_access,
                vault: &self.vault,
                files: &journal,
            };
            let outcome = async {
                let tx = self.store.begin().await?;
                let mut writer = Writer::new(tx, caller.scope, &self.schema, env);
                let result = work(&mut writer).await?;
                writer.tx.commit().await?;
                Ok(result)
            }
            .await;
            journal.settle(outcome.is_ok()).await;
            match outcome {
                Err(Error::Unavailable { .. }) if attempt < WRITE_ATTEMPTS => {
                    let pause = std::time::Duration::from_millis(10 * u64::from(attempt));
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Fails with a 404 when the route's parent is not in the account.
    async fn ensure_parent(&self, caller: &Caller, parent: Option<ParentId>) -> Result<()> {
        if let Some((parent, id)) = parent {
            if !read::parent_exists(&self.store, &self.schema, caller.scope, parent, id).await? {
                return Err(Error::NotFound(format!(
                    "{} {id} was not found",
                    parent.route.trim_end_matches('s')
                )));
            }
        }
        Ok(())
    }

    /// Records just written, with their computed attributes: their secrets
    /// only when asked for (`show_password=true`) and allowed, audited.
    async fn written(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        records: Vec<Record>,
        query: &Query,
    ) -> Result<Records> {
        let secrets = secrets::allowed(caller, resource, query, false, None)?;
        let total = records.len() as u64;
        self.finish_read(caller, resource, records, total, Vec::new(), secrets)
            .await
    }

    /// Records with nothing computed or included.
    fn plain(&self, resource: &'static Resource, records: Vec<Record>) -> Records {
        Records {
            resource,
            total: records.len() as u64,
            records,
            includes: Vec::new(),
            requested: false,
            related: RecordSet::default(),
            extra: Extra::new(),
            cursor: None,
        }
    }

    /// Loads the includes asked for, the relationships the type always
    /// renders, and the computed attributes of records read.
    async fn finish_read(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        records: Vec<Record>,
        total: u64,
        mut includes: Vec<&'static Include>,
        secrets: Secrets,
    ) -> Result<Records> {
        let compiled = self.schema.get(resource);
        let read = |includes: Vec<&'static Include>| {
            let records = &records;
            async move {
                read::includes(
                    &self.store,
                    caller.scope,
                    &self.schema,
                    compiled,
                    records,
                    &includes,
                )
                .await
            }
        };
        let requested = !includes.is_empty();
        let always: Vec<&'static Include> = compiled
            .always
            .iter()
            .copied()
            .filter(|a| !includes.iter().any(|i| i.name == a.name))
            .collect();
        let mut related = read(includes.clone()).await?;
        if !always.is_empty() {
            // Linked, not included: only asked-for includes fill `included`.
            related.links.extend(read(always.clone()).await?.links);
            includes.extend(always);
        }
        let mut extra = Extra::new();
        let primary: Vec<&Record> = records.iter().collect();
        let decorations = self.decorate(caller, resource, &primary, secrets).await?;
        add_extra(&mut extra, resource, decorations);
        let mut by_resource: HashMap<&'static str, (&'static Resource, Vec<&Record>)> =
            HashMap::new();
        for (included, record) in related.included.values() {
            by_resource
                .entry(included.route)
                .or_insert_with(|| (included, Vec::new()))
                .1
                .push(record);
        }
        for (included, group) in by_resource.into_values() {
            let decorations = self
                .decorate(caller, included, &group, Secrets::Hidden)
                .await?;
            add_extra(&mut extra, included, decorations);
        }
        Ok(Records {
            resource,
            records,
            total,
            includes,
            requested,
            related,
            extra,
            cursor: None,
        })
    }

    /// Runs `resource`'s decorate hook and audits what it revealed.
    async fn decorate(
        &self,
        caller: &Caller,
        resource: &'static Resource,
        records: &[&Record],
        secrets: Secrets,
    ) -> Result<Decorations> {
        if records.is_empty() {
            return Ok(Decorations::default());
        }
        let lookup = read::Lookup {
            store: &self.store,
            schema: &self.schema,
            scope: caller.scope,
        };
        let decorations = resource
            .hooks
            .decorate(Decorate {
                store: &self.store,
                vault: &self.vault,
                scope: caller.scope,
                records,
                secrets,
                lookup: &lookup,
            })
            .await?;
        secrets::audit(
            &self.store,
            &self.schema,
            caller,
            resource,
            records,
            secrets,
            &decorations,
        )
        .await?;
        Ok(decorations)
    }
}

fn add_extra(extra: &mut Extra, resource: &'static Resource, decorations: Decorations) {
    for (id, attributes) in decorations.attributes {
        extra.insert((resource.json_type, id), attributes);
    }
}

fn checked(problems: Vec<Invalid>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}
