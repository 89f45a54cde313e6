//! The generic operations every resource shares: list, show, create, update
//! and delete, each write in one transaction with its activity entries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::compiled::{Compiled, Condition, Page, Selection};
use super::dependents::Removed;
use super::{Arg, Cell, Scope, Store, Tx, Values};
use crate::activity::{self, Action, Entry};
use crate::clock::now_millis;
use crate::error::{Error, Invalid, Result};
use crate::resources::{
    AfterWrite, ColumnType, Include, IncludeTarget, Parent, Resource, Scoping, WriteContext,
    WriteEnv,
};

/// Who is acting, for the activity log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The API key used.
    pub key_id: Option<i64>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
}

/// One record: its id and a cell per field of its definition.
#[derive(Debug, Clone)]
pub struct Record {
    /// Id.
    pub id: i64,
    /// One value per `Resource::fields` entry, in order.
    pub cells: Vec<Cell>,
}

impl Record {
    fn from_row(mut row: Vec<Cell>) -> Record {
        let id = row[0].as_i64().unwrap_or_default();
        row.remove(0);
        Record { id, cells: row }
    }

    /// The value of field `name` of `resource`.
    pub fn get<'a>(&'a self, resource: &Resource, name: &str) -> Option<&'a Cell> {
        let index = resource.fields.iter().position(|f| f.name == name)?;
        self.cells.get(index)
    }
}

/// A record to create: where it is in the request, its column values, and
/// any `relationships` it carries (which hooks may act on).
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// JSON pointer to the item's attributes.
    pub pointer: String,
    /// Column values.
    pub values: Values,
    /// The item's `relationships` object, if sent.
    pub relationships: Option<serde_json::Value>,
}

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// The page's records.
    pub records: Vec<Record>,
    /// How many records match in all.
    pub total: u64,
}

/// Records of a resource brought in by `include`, and which primary record points at which.
#[derive(Debug, Default)]
pub struct RecordSet {
    /// Included records by (JSON:API type, id), with their definition.
    pub included: BTreeMap<(&'static str, i64), (&'static Resource, Record)>,
    /// For each primary record id and include name: the related (type, id) pairs.
    pub links: HashMap<(i64, &'static str), Vec<(&'static str, i64)>>,
}

/// Largest id list bound into one statement: a whole page (at most 1000
/// records), so an include costs one statement per page, not per row.
const CHUNK: usize = 1000;

fn account_of(compiled: &Compiled, scope: Scope) -> Option<i64> {
    match compiled.def.scoping {
        Scoping::Account => Some(scope.account_id()),
        Scoping::Global => None,
    }
}

impl Store {
    /// One page of records matching `conditions`, and the total count.
    pub async fn list(
        &self,
        scope: Scope,
        compiled: &Compiled,
        parent: Option<(&Parent, i64)>,
        conditions: &[Condition],
        page: &Page<'_>,
    ) -> Result<ListPage> {
        let selection = Selection {
            account: account_of(compiled, scope),
            parent,
            conditions,
        };
        let page_sql = compiled.page_sql(self.sql(), &selection, page);
        let count_sql = compiled.count_sql(self.sql(), &selection);
        let (rows, count) = tokio::try_join!(
            self.fetch(&page_sql, &compiled.kinds),
            self.fetch(&count_sql, &[ColumnType::Int])
        )?;
        Ok(ListPage {
            records: rows.into_iter().map(Record::from_row).collect(),
            total: count[0][0].as_i64().unwrap_or(0) as u64,
        })
    }

    /// The record `id`, if it exists in the account (and under `parent`).
    pub async fn show(
        &self,
        scope: Scope,
        compiled: &Compiled,
        id: i64,
        parent: Option<(&Parent, i64)>,
    ) -> Result<Option<Record>> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(&compiled.select)
            .push(" FROM ")
            .push(&compiled.from);
        compiled.push_where(
            &mut sql,
            &Selection {
                account: account_of(compiled, scope),
                parent,
                conditions: &[],
            },
        );
        sql.push(" AND t.id = ").bind(id);
        Ok(self
            .fetch(&sql, &compiled.kinds)
            .await?
            .pop()
            .map(Record::from_row))
    }

    /// Whether the parent record `id` exists in the account.
    pub async fn parent_exists(&self, scope: Scope, parent: &Parent, id: i64) -> Result<bool> {
        let mut sql = self.sql();
        sql.push("SELECT id FROM ")
            .push(parent.table)
            .push(" WHERE id = ")
            .bind(id);
        if crate::resources::by_route(parent.route).is_some_and(|r| r.scoping == Scoping::Account) {
            sql.push(" AND account_id = ").bind(scope.account_id());
        }
        Ok(!self.fetch(&sql, &[ColumnType::Int]).await?.is_empty())
    }

    /// Ids of every record matching `conditions` (bulk writes by filter).
    pub async fn matching_ids(
        &self,
        scope: Scope,
        compiled: &Compiled,
        parent: Option<(&Parent, i64)>,
        conditions: &[Condition],
    ) -> Result<Vec<i64>> {
        let mut sql = self.sql();
        sql.push("SELECT t.id FROM ")
            .push(compiled.def.table)
            .push(" t");
        compiled.push_where(
            &mut sql,
            &Selection {
                account: account_of(compiled, scope),
                parent,
                conditions,
            },
        );
        sql.push(" ORDER BY t.id");
        Ok(self
            .fetch(&sql, &[ColumnType::Int])
            .await?
            .into_iter()
            .filter_map(|r| r[0].as_i64())
            .collect())
    }

    /// Creates records, all or none, each with a `create` activity entry.
    pub async fn create(
        &self,
        scope: Scope,
        compiled: &Compiled,
        env: WriteEnv<'_>,
        mut items: Vec<NewRecord>,
    ) -> Result<Vec<Record>> {
        let def = compiled.def;
        if def.has_secrets() {
            env.vault.ensure_data_key(self, scope).await?;
        }
        let mut tx = self.begin().await?;
        let pairs: Vec<(String, Values)> = items
            .iter()
            .map(|i| (i.pointer.clone(), i.values.clone()))
            .collect();
        check_references(&mut tx, scope, def, &pairs).await?;
        let now = now_millis();
        let mut ids = Vec::with_capacity(items.len());
        for item in &mut items {
            let mut deferred = Values::default();
            def.hooks
                .before_write(WriteContext {
                    tx: &mut tx,
                    scope,
                    id: None,
                    values: &mut item.values,
                    deferred: &mut deferred,
                    pointer: &item.pointer,
                    relationships: item.relationships.as_ref(),
                    env,
                })
                .await?;
            let (pointer, values) = (&item.pointer, &item.values);
            let mut sql = tx.sql();
            sql.push("INSERT INTO ")
                .push(def.table)
                .push(" (account_id");
            for (column, _) in &values.0 {
                sql.push(", ").push(column);
            }
            sql.push(", created_at, updated_at) VALUES (")
                .bind(scope.account_id());
            for (_, value) in &values.0 {
                sql.push(", ").bind(value.clone());
            }
            sql.push(", ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(") RETURNING id");
            let id = match tx.insert_returning_id(&sql).await? {
                Some(id) => id,
                None => return Err(unique_violation(def, pointer)),
            };
            ids.push(id);
            def.hooks
                .after_write(AfterWrite {
                    tx: &mut tx,
                    scope,
                    id,
                    created: true,
                    deferred: &deferred,
                    env,
                })
                .await?;
        }
        let records = fetch_in(&mut tx, compiled, Some(scope.account_id()), &ids).await?;
        log(
            &mut tx,
            scope,
            def,
            env.actor,
            Action::Create,
            &records,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(records)
    }

    /// Updates records, all or none, each with an `update` activity entry.
    /// Every id must exist in the account (and under `parent`), or nothing changes.
    pub async fn update(
        &self,
        scope: Scope,
        compiled: &Compiled,
        env: WriteEnv<'_>,
        parent: Option<(&Parent, i64)>,
        mut items: Vec<(String, i64, Values)>,
    ) -> Result<Vec<Record>> {
        let def = compiled.def;
        if def.has_secrets() {
            env.vault.ensure_data_key(self, scope).await?;
        }
        let mut tx = self.begin().await?;
        let ids: Vec<i64> = items.iter().map(|(_, id, _)| *id).collect();
        existing(
            &mut tx,
            scope,
            compiled,
            parent,
            &items
                .iter()
                .map(|(p, id, _)| (p.clone(), *id))
                .collect::<Vec<_>>(),
        )
        .await?;
        let as_create: Vec<(String, Values)> = items
            .iter()
            .map(|(p, _, v)| (p.clone(), v.clone()))
            .collect();
        check_references(&mut tx, scope, def, &as_create).await?;
        let now = now_millis();
        for (pointer, id, values) in &mut items {
            let mut deferred = Values::default();
            def.hooks
                .before_write(WriteContext {
                    tx: &mut tx,
                    scope,
                    id: Some(*id),
                    values,
                    deferred: &mut deferred,
                    pointer,
                    relationships: None,
                    env,
                })
                .await?;
            let mut sql = tx.sql();
            sql.push("UPDATE ").push(def.table).push(" SET ");
            for (column, value) in &values.0 {
                sql.push(column).push(" = ").bind(value.clone()).push(", ");
            }
            sql.push("updated_at = ").bind(now);
            sql.push(" WHERE account_id = ").bind(scope.account_id());
            sql.push(" AND id = ").bind(*id);
            if !tx.execute_unique(&sql).await? {
                return Err(unique_violation(def, pointer));
            }
            def.hooks
                .after_write(AfterWrite {
                    tx: &mut tx,
                    scope,
                    id: *id,
                    created: false,
                    deferred: &deferred,
                    env,
                })
                .await?;
        }
        let mut unique_ids = ids.clone();
        unique_ids.sort_unstable();
        unique_ids.dedup();
        let records = fetch_in(&mut tx, compiled, Some(scope.account_id()), &unique_ids).await?;
        super::dependents::renamed(&mut tx, scope, def, &records).await?;
        log(
            &mut tx,
            scope,
            def,
            env.actor,
            Action::Update,
            &records,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(records)
    }

    /// Deletes records, all or none, with what hangs off them; returns them as
    /// they were, and the blobs to remove once the delete has committed.
    pub async fn delete(
        &self,
        scope: Scope,
        compiled: &Compiled,
        env: WriteEnv<'_>,
        parent: Option<(&Parent, i64)>,
        ids: Vec<(String, i64)>,
    ) -> Result<(Vec<Record>, Removed)> {
        let def = compiled.def;
        let mut tx = self.begin().await?;
        existing(&mut tx, scope, compiled, parent, &ids).await?;
        let mut unique_ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
        unique_ids.sort_unstable();
        unique_ids.dedup();
        def.hooks.before_delete(&mut tx, scope, &unique_ids).await?;
        let records = fetch_in(&mut tx, compiled, Some(scope.account_id()), &unique_ids).await?;
        let removed = super::dependents::delete(&mut tx, scope, def.class, &unique_ids).await?;
        for chunk in unique_ids.chunks(CHUNK) {
            let mut sql = tx.sql();
            sql.push("DELETE FROM ").push(def.table);
            sql.push(" WHERE account_id = ").bind(scope.account_id());
            sql.push(" AND id IN ").bind_list(chunk.iter().copied());
            tx.execute(&sql).await?;
        }
        log(
            &mut tx,
            scope,
            def,
            env.actor,
            Action::Delete,
            &records,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok((records, removed))
    }

    /// Loads what `includes` name for `records`, one query per include.
    pub async fn includes(
        &self,
        scope: Scope,
        catalog: &super::compiled::Catalog,
        compiled: &Compiled,
        records: &[Record],
        includes: &[&'static Include],
    ) -> Result<RecordSet> {
        let mut set = RecordSet::default();
        if records.is_empty() {
            return Ok(set);
        }
        for include in includes {
            match include.target {
                IncludeTarget::Unmodelled => {
                    for r in records {
                        set.links.insert((r.id, include.name), Vec::new());
                    }
                }
                IncludeTarget::HasMany {
                    resource,
                    foreign_key,
                } => {
                    let link = Children {
                        name: include.name,
                        resource,
                        foreign_key,
                        owner_kind: None,
                    };
                    self.children(scope, catalog, records, link, &mut set)
                        .await?;
                }
                IncludeTarget::Polymorphic { resource, inbound } => {
                    let mut ends = vec![("resource_type", "resource_id")];
                    if inbound {
                        ends.push(("destination_type", "destination_id"));
                    }
                    for (type_column, id_column) in ends {
                        let link = Children {
                            name: include.name,
                            resource,
                            foreign_key: id_column,
                            owner_kind: Some((type_column, compiled.def.class)),
                        };
                        self.children(scope, catalog, records, link, &mut set)
                            .await?;
                    }
                }
                IncludeTarget::BelongsTo { resource, field } => {
                    let target = catalog.get(resource);
                    let index = compiled
                        .def
                        .fields
                        .iter()
                        .position(|f| f.name == field)
                        .expect("a belongs-to include names a field of its resource");
                    let wanted: BTreeSet<i64> = records
                        .iter()
                        .filter_map(|r| r.cells[index].as_i64())
                        .collect();
                    for r in records {
                        let link = r.cells[index].as_i64().map(|id| (resource.json_type, id));
                        set.links
                            .insert((r.id, include.name), link.into_iter().collect());
                    }
                    let wanted: Vec<i64> = wanted.into_iter().collect();
                    for chunk in wanted.chunks(CHUNK) {
                        let sql = target.by_ids_sql(self.sql(), account_of(target, scope), chunk);
                        for row in self.fetch(&sql, &target.kinds).await? {
                            let record = Record::from_row(row);
                            set.included
                                .insert((resource.json_type, record.id), (resource, record));
                        }
                    }
                }
            }
        }
        Ok(set)
    }

    /// Loads the records of `resource` whose `foreign_key` names one of
    /// `records` (and, for polymorphic children, whose type column holds the
    /// owner's class-style name) into `set`, linked under include `name`: one
    /// statement per chunk of owners, never one per record.
    async fn children(
        &self,
        scope: Scope,
        catalog: &super::compiled::Catalog,
        records: &[Record],
        link: Children,
        set: &mut RecordSet,
    ) -> Result<()> {
        let Children {
            name,
            resource,
            foreign_key,
            owner_kind,
        } = link;
        let target = catalog.get(resource);
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let fk_index = resource
            .fields
            .iter()
            .position(|f| f.name == foreign_key)
            .expect("a has-many include names a field of its target");
        for r in records {
            set.links.entry((r.id, name)).or_default();
        }
        for chunk in ids.chunks(CHUNK) {
            let mut sql = self.sql();
            sql.push("SELECT ")
                .push(&target.select)
                .push(" FROM ")
                .push(&target.from);
            target.push_where(
                &mut sql,
                &Selection {
                    account: account_of(target, scope),
                    ..Selection::default()
                },
            );
            if let Some((column, kind)) = owner_kind {
                sql.push(" AND t.").push(column).push(" = ").bind(kind);
            }
            sql.push(" AND t.")
                .push(foreign_key)
                .push(" IN ")
                .bind_list(chunk.iter().copied());
            sql.push(" ORDER BY t.id");
            for row in self.fetch(&sql, &target.kinds).await? {
                let record = Record::from_row(row);
                if let Some(owner) = record.cells[fk_index].as_i64() {
                    set.links
                        .entry((owner, name))
                        .or_default()
                        .push((resource.json_type, record.id));
                }
                set.included
                    .insert((resource.json_type, record.id), (resource, record));
            }
        }
        Ok(())
    }
}

/// Which child records an include brings, and how they point at their owner.
struct Children {
    /// The include's name.
    name: &'static str,
    /// The child resource.
    resource: &'static Resource,
    /// The child's column holding the owner's id.
    foreign_key: &'static str,
    /// For polymorphic children: the column holding the owner's class-style
    /// name, and that name.
    owner_kind: Option<(&'static str, &'static str)>,
}

/// Re-reads records inside the transaction, in id order.
async fn fetch_in(
    tx: &mut Tx,
    compiled: &Compiled,
    account: Option<i64>,
    ids: &[i64],
) -> Result<Vec<Record>> {
    let mut out = Vec::with_capacity(ids.len());
    let account = match compiled.def.scoping {
        Scoping::Account => account,
        Scoping::Global => None,
    };
    for chunk in ids.chunks(CHUNK) {
        let sql = compiled.by_ids_sql(tx.sql(), account, chunk);
        out.extend(
            tx.fetch(&sql, &compiled.kinds)
                .await?
                .into_iter()
                .map(Record::from_row),
        );
    }
    Ok(out)
}

/// Fails with a 404 naming the first id that is not in the account (or not under `parent`).
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
                account: Some(scope.account_id()),
                parent,
                conditions: &[],
            },
        );
        sql.push(" AND t.id IN ").bind_list(chunk.iter().copied());
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
async fn check_references(
    tx: &mut Tx,
    scope: Scope,
    def: &Resource,
    items: &[(String, Values)],
) -> Result<()> {
    let mut problems = Vec::new();
    for field in def.fields.iter().filter(|f| f.references.is_some()) {
        let reference = field.references.expect("filtered on references");
        let Some(column) = field.column else { continue };
        let wanted: BTreeSet<i64> = items
            .iter()
            .filter_map(|(_, v)| v.get(column).and_then(Arg::as_i64))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let wanted: Vec<i64> = wanted.into_iter().collect();
        let mut found = BTreeSet::new();
        for chunk in wanted.chunks(CHUNK) {
            let mut sql = tx.sql();
            sql.push("SELECT id FROM ")
                .push(reference.table)
                .push(" WHERE id IN ");
            sql.bind_list(chunk.iter().copied());
            if reference.scoped {
                sql.push(" AND account_id = ").bind(scope.account_id());
            }
            for row in tx.fetch(&sql, &[ColumnType::Int]).await? {
                if let Some(id) = row[0].as_i64() {
                    found.insert(id);
                }
            }
        }
        for (pointer, values) in items {
            if let Some(id) = values.get(column).and_then(Arg::as_i64) {
                if !found.contains(&id) {
                    problems.push(Invalid::new(
                        format!("{pointer}/{}", crate::jsonapi::dashed(field.name)),
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

fn unique_violation(def: &Resource, pointer: &str) -> Error {
    let field = def
        .fields
        .iter()
        .find(|f| f.unique)
        .map_or("name", |f| f.name);
    Error::invalid(
        format!("{pointer}/{}", crate::jsonapi::dashed(field)),
        "has already been taken",
    )
}

/// Writes one activity entry per record, in the caller's transaction.
async fn log(
    tx: &mut Tx,
    scope: Scope,
    def: &Resource,
    actor: &Actor,
    action: Action,
    records: &[Record],
    at: i64,
) -> Result<()> {
    let entries: Vec<Entry> = records
        .iter()
        .map(|r| Entry::for_record(def, r, action))
        .collect();
    activity::record(tx, scope, actor, &entries, at).await
}
