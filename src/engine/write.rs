//! The write pipeline: create, update and delete in one transaction, with
//! each resource's checks, hooks, derived expirations, dependents and
//! activity entries. [`Writer`] is also what hooks reach other records
//! through ([`Nested`]), so a nested record gets exactly the same treatment.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::activity::{self, Action, Entry};
use super::compiled::{Compiled, Schema, Selection};
use super::input::{attribute_values, Item, Purpose};
use super::read::{fetch_in, CHUNK};
use super::{dependents, expirations, webhooks};
use crate::clock::now_millis;
use crate::error::{Error, Invalid, Result};
use crate::resources::{
    AfterWrite, BeforeDelete, BoxFuture, Change, Field, Nested, NewRecord, Parent, Reference,
    Resource, WriteContext, WriteEnv,
};
use crate::store::{
    Arg, ColumnType, Dialect, NewChange, Record, Scope, Tx, UniqueViolation, Values,
};

/// One write in progress: its transaction, the caller and the schema.
pub(crate) struct Writer<'e> {
    /// The write's transaction; the caller commits it.
    pub(crate) tx: Tx,
    scope: Scope,
    schema: &'e Schema,
    env: WriteEnv<'e>,
    /// The records this write has created, by table and id: they exist in
    /// the account without asking the database.
    created: HashSet<(&'static str, i64)>,
}

impl<'e> Writer<'e> {
    /// A writer over an open transaction.
    pub(crate) fn new(tx: Tx, scope: Scope, schema: &'e Schema, env: WriteEnv<'e>) -> Writer<'e> {
        Writer {
            tx,
            scope,
            schema,
            env,
            created: HashSet::new(),
        }
    }

    /// Creates records, each with a `create` activity entry; fails whole.
    pub(crate) async fn create_records(
        &mut self,
        def: &'static Resource,
        mut items: Vec<NewRecord>,
    ) -> Result<Vec<Record>> {
        let compiled = self.schema.get(def);
        let scope = self.scope;
        let env = self.env;
        let pairs: Vec<(String, Values)> = items
            .iter()
            .map(|i| (i.pointer.clone(), i.values.clone()))
            .collect();
        check_references(&mut self.tx, scope, def, &pairs, &self.created).await?;
        let now = now_millis();
        let mut ids = Vec::with_capacity(items.len());
        for item in &mut items {
            let mut deferred = Values::default();
            def.hooks
                .before_write(WriteContext {
                    nested: self,
                    scope,
                    id: None,
                    values: &mut item.values,
                    deferred: &mut deferred,
                    pointer: &item.pointer,
                    relationships: item.relationships.as_ref(),
                    env,
                })
                .await?;
            let mut row = item.values.clone();
            row.set("created_at", Arg::from(now));
            row.set("updated_at", Arg::from(now));
            let id = match self.tx.insert(scope, def.table, &row).await? {
                Ok(id) => id,
                Err(violation) => return Err(unique_violation(def, &item.pointer, &violation)),
            };
            ids.push(id);
            self.created.insert((def.table, id));
            def.hooks
                .after_write(AfterWrite {
                    nested: self,
                    scope,
                    id,
                    pointer: &item.pointer,
                    created: true,
                    values: &item.values,
                    relationships: item.relationships.as_ref(),
                    deferred: &deferred,
                    env,
                })
                .await?;
        }
        // A new record has no expirations yet: only its dates make some.
        let dated: Vec<i64> = items
            .iter()
            .zip(&ids)
            .filter(|(item, _)| expirations::dated(def, &item.values))
            .map(|(_, id)| *id)
            .collect();
        expirations::refresh(&mut self.tx, scope, def, &dated).await?;
        let records = fetch_in(&mut self.tx, scope, compiled, &ids).await?;
        self.log(def, Action::Create, &records, now).await?;
        Ok(records)
    }

    /// Fails with a 412 unless record `id` is as `expected`; its row stays
    /// locked (PostgreSQL) or the database's write lock held (SQLite) until
    /// the transaction ends, so nothing changes it in between.
    pub(crate) async fn expect(
        &mut self,
        def: &'static Resource,
        parent: Option<(&Parent, i64)>,
        id: i64,
        expected: &super::Expected,
    ) -> Result<()> {
        let compiled = self.schema.get(def);
        existing(
            &mut self.tx,
            self.scope,
            compiled,
            parent,
            &[(String::from("/"), id)],
        )
        .await?;
        let super::Expected::Versions(versions) = expected else {
            return Ok(());
        };
        let current = fetch_in(&mut self.tx, self.scope, compiled, &[id]).await?;
        let version = current.first().map(Record::fingerprint);
        if version.is_some_and(|v| versions.contains(&v)) {
            return Ok(());
        }
        Err(Error::PreconditionFailed(format!(
            "{} {id} has changed since the version If-Match names; read it again and reapply the change",
            def.json_type
        )))
    }

    /// Updates records, each with an `update` activity entry; every id must
    /// exist in the account (and under `parent`), or nothing changes.
    /// Rows are locked and written in id order, so overlapping bulk updates
    /// cannot deadlock.
    pub(crate) async fn update_records(
        &mut self,
        def: &'static Resource,
        parent: Option<(&Parent, i64)>,
        mut changes: Vec<Change>,
    ) -> Result<Vec<Record>> {
        let compiled = self.schema.get(def);
        let scope = self.scope;
        let env = self.env;
        let ids: Vec<(String, i64)> = changes.iter().map(|c| (c.pointer.clone(), c.id)).collect();
        existing(&mut self.tx, scope, compiled, parent, &ids).await?;
        let pairs: Vec<(String, Values)> = changes
            .iter()
            .map(|c| (c.pointer.clone(), c.values.clone()))
            .collect();
        check_references(&mut self.tx, scope, def, &pairs, &self.created).await?;
        changes.sort_by_key(|c| c.id);
        let now = now_millis();
        for change in &mut changes {
            let mut deferred = Values::default();
            def.hooks
                .before_write(WriteContext {
                    nested: self,
                    scope,
                    id: Some(change.id),
                    values: &mut change.values,
                    deferred: &mut deferred,
                    pointer: &change.pointer,
                    relationships: None,
                    env,
                })
                .await?;
            let mut row = change.values.clone();
            row.set("updated_at", Arg::from(now));
            if let Err(violation) = self
                .tx
                .update_unique(scope, def.table, change.id, &row)
                .await?
            {
                return Err(unique_violation(def, &change.pointer, &violation));
            }
            def.hooks
                .after_write(AfterWrite {
                    nested: self,
                    scope,
                    id: change.id,
                    pointer: &change.pointer,
                    created: false,
                    values: &change.values,
                    relationships: None,
                    deferred: &deferred,
                    env,
                })
                .await?;
        }
        let touched: BTreeSet<i64> = changes
            .iter()
            .filter(|c| expirations::touched(def, &c.values))
            .map(|c| c.id)
            .collect();
        let touched: Vec<i64> = touched.into_iter().collect();
        expirations::refresh(&mut self.tx, scope, def, &touched).await?;
        let unique: BTreeSet<i64> = changes.iter().map(|c| c.id).collect();
        let unique: Vec<i64> = unique.into_iter().collect();
        let records = fetch_in(&mut self.tx, scope, compiled, &unique).await?;
        let renaming: BTreeSet<i64> = changes
            .iter()
            .filter(|c| dependents::renames(def, &c.values))
            .map(|c| c.id)
            .collect();
        let renamed: Vec<&Record> = records
            .iter()
            .filter(|r| renaming.contains(&r.id))
            .collect();
        dependents::renamed(&mut self.tx, scope, def, &renamed).await?;
        self.log(def, Action::Update, &records, now).await?;
        Ok(records)
    }

    /// Deletes records with what hangs off them, each with a `delete`
    /// activity entry; returns them as they were. The files of deleted
    /// attachments go once the write commits.
    pub(crate) async fn delete_records(
        &mut self,
        def: &'static Resource,
        parent: Option<(&Parent, i64)>,
        ids: Vec<(String, i64)>,
    ) -> Result<Vec<Record>> {
        let compiled = self.schema.get(def);
        let scope = self.scope;
        let env = self.env;
        existing(&mut self.tx, scope, compiled, parent, &ids).await?;
        let unique: BTreeSet<i64> = ids.iter().map(|(_, id)| *id).collect();
        let unique: Vec<i64> = unique.into_iter().collect();
        def.hooks
            .before_delete(BeforeDelete {
                nested: self,
                scope,
                ids: &unique,
                env,
            })
            .await?;
        let records = fetch_in(&mut self.tx, scope, compiled, &unique).await?;
        for id in &unique {
            self.created.remove(&(def.table, *id));
        }
        dependents::delete(self, def, &unique).await?;
        for chunk in unique.chunks(CHUNK) {
            self.tx
                .delete_rows(scope, def.table, &[crate::store::Match::ids(chunk)])
                .await?;
        }
        self.log(def, Action::Delete, &records, now_millis())
            .await?;
        Ok(records)
    }

    /// The records of `def` whose columns equal `matching`, in id order.
    pub(crate) async fn find_records(
        &mut self,
        def: &'static Resource,
        matching: Vec<(&'static str, Arg)>,
    ) -> Result<Vec<Record>> {
        let compiled = self.schema.get(def);
        let mut sql = compiled.select_where(
            self.tx.sql(),
            &Selection {
                account: super::read::account_of(compiled, self.scope),
                ..Selection::default()
            },
        );
        for (column, value) in matching {
            sql.push(" AND t.").push(column).push(" = ").bind(value);
        }
        sql.push(" ORDER BY t.id");
        Ok(self
            .tx
            .fetch(&sql, &compiled.kinds)
            .await?
            .into_iter()
            .map(Record::from_row)
            .collect())
    }

    /// The write's caller, vault and files.
    pub(crate) fn env(&self) -> WriteEnv<'e> {
        self.env
    }

    /// The account written to.
    pub(crate) fn scope(&self) -> Scope {
        self.scope
    }

    /// Writes one activity entry per record, in the write's transaction
    /// (none for resources that are history of another, such as versions).
    async fn log(
        &mut self,
        def: &Resource,
        action: Action,
        records: &[Record],
        at: i64,
    ) -> Result<()> {
        self.index(def, action, records).await?;
        if !def.logged {
            return Ok(());
        }
        let entries: Vec<Entry> = records
            .iter()
            .map(|r| Entry::for_record(def, r, action))
            .collect();
        activity::record(&mut self.tx, self.scope, self.env.actor, &entries, at);
        if let Some(user_id) = self.env.actor.user_id {
            let counts = super::metrics::write_counts(def, records, action, user_id, at);
            if !counts.is_empty() {
                self.tx.add_metrics(self.scope, &counts).await?;
            }
        }
        // The change feed: the same writes, by JSON:API type.
        let changes: Vec<NewChange> = entries
            .iter()
            .filter_map(|entry| {
                Some(NewChange {
                    action: action.as_str(),
                    resource_type: def.json_type,
                    resource_id: entry.resource_id?,
                    organization_id: entry.organization_id,
                })
            })
            .collect();
        self.tx.record_changes(self.scope, &changes, at);
        // The webhook outbox: the same writes, to the subscriptions that want them.
        let events: Vec<webhooks::Event<'_>> = records
            .iter()
            .zip(&entries)
            .map(|(record, entry)| webhooks::Event {
                event: action.webhook_event(),
                def,
                record,
                organization_id: entry.organization_id,
            })
            .collect();
        webhooks::queue(&mut self.tx, self.scope, &events, at).await
    }
}

impl Writer<'_> {
    /// Keeps the search index current with `records` of `def`, just
    /// written: their entries replaced or, on a delete, removed (with all
    /// of an organization's, whose delete takes what it holds).
    async fn index(&mut self, def: &Resource, action: Action, records: &[Record]) -> Result<()> {
        if def.search.is_none() {
            return Ok(());
        }
        match action {
            Action::Create | Action::Update => {
                let entries: Vec<_> = records
                    .iter()
                    .filter_map(|r| super::search::entry_for(def, r))
                    .collect();
                self.tx.put_search_entries(self.scope, &entries).await
            }
            Action::Delete => {
                for record in records {
                    self.tx
                        .delete_search_entry(self.scope, def.json_type, record.id)
                        .await?;
                    if def.organization_column == Some("id") {
                        self.tx
                            .delete_organization_search_entries(self.scope, record.id)
                            .await?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl Nested for Writer<'_> {
    fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    fn create<'a>(
        &'a mut self,
        resource: &'static Resource,
        items: Vec<NewRecord>,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(self.create_records(resource, items))
    }

    fn update<'a>(
        &'a mut self,
        resource: &'static Resource,
        changes: Vec<Change>,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(self.update_records(resource, None, changes))
    }

    fn delete<'a>(
        &'a mut self,
        resource: &'static Resource,
        ids: Vec<i64>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let ids = ids.into_iter().map(|id| (String::from("/"), id)).collect();
            self.delete_records(resource, None, ids).await.map(|_| ())
        })
    }

    fn create_items<'a>(
        &'a mut self,
        resource: &'static Resource,
        items: Vec<(String, Map<String, Value>)>,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(async move {
            let mut problems = Vec::new();
            let mut prepared = Vec::with_capacity(items.len());
            for (pointer, object) in items {
                let item = Item { pointer, object };
                let values = attribute_values(resource, &item, Purpose::Create, &mut problems);
                prepared.push(NewRecord {
                    pointer: item.attributes_pointer(),
                    values,
                    relationships: item.object.get("relationships").cloned(),
                });
            }
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            self.create_records(resource, prepared).await
        })
    }

    fn set_expirations<'a>(
        &'a mut self,
        resource: &'static Resource,
        id: i64,
        rows: Vec<(String, i64)>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let scope = self.scope;
            expirations::replace(&mut self.tx, scope, resource, id, &rows).await
        })
    }

    fn find<'a>(
        &'a mut self,
        resource: &'static Resource,
        matching: Vec<(&'static str, Arg)>,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(self.find_records(resource, matching))
    }

    fn created_in_this_write(&self, resource: &'static Resource, id: i64) -> bool {
        self.created.contains(&(resource.table, id))
    }
}

/// Fails with a 404 naming the first id that is not in the account (or not
/// under `parent`). On PostgreSQL the rows are locked in id order, so two
/// overlapping bulk writes queue instead of deadlocking.
async fn existing(
    tx: &mut Tx,
    scope: Scope,
    compiled: &Compiled,
    parent: Option<(&Parent, i64)>,
    ids: &[(String, i64)],
) -> Result<()> {
    let mut found = BTreeSet::new();
    let unique: BTreeSet<i64> = ids.iter().map(|(_, id)| *id).collect();
    let unique: Vec<i64> = unique.into_iter().collect();
    for chunk in unique.chunks(CHUNK) {
        let mut sql = tx.sql();
        sql.push("SELECT t.id FROM ")
            .push(compiled.def.table)
            .push(" t");
        compiled.push_where(
            &mut sql,
            &Selection {
                account: super::read::account_of(compiled, scope),
                parent,
                conditions: &[],
            },
        );
        sql.push(" AND t.id IN ").bind_list(chunk.iter().copied());
        sql.push(" ORDER BY t.id");
        if tx.dialect() == Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        for row in tx.fetch(&sql, &[ColumnType::Int]).await? {
            if let Some(id) = row[0].as_i64() {
                found.insert(id);
            }
        }
    }
    match ids.iter().find(|(_, id)| !found.contains(id)) {
        None => Ok(()),
        Some((pointer, id)) => Err(Error::NotFound(format!(
            "{} {id} (at {pointer}) was not found; nothing was changed",
            compiled.def.json_type
        ))),
    }
}

/// Checks that every `*_id` value names a record of its table in the account.
///
/// One statement asks every referenced table at once (a `UNION ALL` of one
/// select per table, each row tagged with its field's place), so a write
/// naming six references costs one round trip, not six. A bulk request
/// with more ids than one statement should bind is asked in several.
/// Records `created` earlier in the same write (a configuration's primary
/// interface naming its new configuration) are not asked about.
async fn check_references(
    tx: &mut Tx,
    scope: Scope,
    def: &Resource,
    items: &[(String, Values)],
    created: &HashSet<(&'static str, i64)>,
) -> Result<()> {
    let fields: Vec<(&Field, &str, Reference)> = def
        .fields
        .iter()
        .filter_map(|f| Some((f, f.column?, f.references?)))
        .collect();
    // Each referencing field's distinct ids, cut into chunks of at most CHUNK.
    let wanted: Vec<Vec<i64>> = fields
        .iter()
        .map(|(_, column, reference)| {
            let ids: BTreeSet<i64> = items
                .iter()
                .filter_map(|(_, v)| v.get(column).and_then(Arg::as_i64))
                .filter(|id| !created.contains(&(reference.table, *id)))
                .collect();
            ids.into_iter().collect()
        })
        .collect();
    let parts: Vec<(usize, &[i64])> = wanted
        .iter()
        .enumerate()
        .flat_map(|(place, ids)| ids.chunks(CHUNK).map(move |chunk| (place, chunk)))
        .collect();
    let mut found: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); fields.len()];
    let mut pending = parts.as_slice();
    while !pending.is_empty() {
        // As many parts as fit in one statement's CHUNK ids (at least one).
        let mut ids = 0;
        let taken = pending
            .iter()
            .take_while(|(_, chunk)| {
                ids += chunk.len();
                ids <= CHUNK
            })
            .count()
            .max(1);
        let (statement, rest) = pending.split_at(taken);
        pending = rest;
        let mut sql = tx.sql();
        for (n, &(place, chunk)) in statement.iter().enumerate() {
            let reference = fields[place].2;
            if n > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push(&format!("SELECT CAST({place} AS BIGINT), id FROM "))
                .push(reference.table)
                .push(" WHERE id IN ");
            sql.bind_list(chunk.iter().copied());
            if reference.scoped {
                sql.push(" AND account_id = ").bind(scope.account_id());
            }
        }
        for row in tx.fetch(&sql, &[ColumnType::Int, ColumnType::Int]).await? {
            if let (Some(place), Some(id)) = (row[0].as_i64(), row[1].as_i64()) {
                if let Some(set) = usize::try_from(place).ok().and_then(|p| found.get_mut(p)) {
                    set.insert(id);
                }
            }
        }
    }
    let mut problems = Vec::new();
    for ((field, column, reference), found) in fields.iter().zip(&found) {
        for (pointer, values) in items {
            if let Some(id) = values.get(column).and_then(Arg::as_i64) {
                if !found.contains(&id) && !created.contains(&(reference.table, id)) {
                    problems.push(Invalid::new(
                        format!("{pointer}/{}", crate::names::dashed(field.name)),
                        format!(
                            "{id} does not name a record of {} in this account",
                            reference.table
                        ),
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// The 422 for a broken unique constraint, at the field whose constraint it
/// was: the unique field whose column the constraint covers, else the
/// first unique field.
fn unique_violation(def: &Resource, pointer: &str, violation: &UniqueViolation) -> Error {
    let covered = def.fields.iter().find(|f| {
        f.unique.is_some()
            && f.column
                .is_some_and(|c| violation.columns.iter().any(|v| v == c))
    });
    let field = covered
        .or_else(|| def.fields.iter().find(|f| f.unique.is_some()))
        .map_or("name", |f| f.name);
    Error::invalid(
        format!("{pointer}/{}", crate::names::dashed(field)),
        "has already been taken",
    )
}
