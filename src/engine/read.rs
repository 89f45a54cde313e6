//! Reads: a page of records with its count, one record, the ids a filter
//! picks, and the records `include` brings — one statement per include per
//! page, never one per row.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::compiled::{Compiled, Condition, Page, Schema, Selection};
use crate::error::Result;
use crate::resources::{Include, IncludeTarget, Parent, Resource, Scoping};
use crate::store::{Cell, ColumnType, Record, Scope, Store, Tx};

/// Largest id list bound into one statement: a whole page (at most 1000
/// records), so an include costs one statement per page, not per row.
pub(crate) const CHUNK: usize = 1000;

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// The page's records.
    pub records: Vec<Record>,
    /// How many records match in all (a cursor page: on this page).
    pub total: u64,
    /// A cursor page's continuation.
    pub cursor: Option<super::cursor::CursorPage>,
}

/// Records of a resource brought in by `include`, and which primary record points at which.
#[derive(Debug, Default)]
pub struct RecordSet {
    /// Included records by (JSON:API type, id), with their definition.
    pub included: BTreeMap<(&'static str, i64), (&'static Resource, Record)>,
    /// For each primary record id and include name: the related (type, id) pairs.
    pub links: HashMap<(i64, &'static str), Vec<(&'static str, i64)>>,
}

/// The account a statement over `compiled` is scoped to: none for global reference data.
pub(crate) fn account_of(compiled: &Compiled, scope: Scope) -> Option<i64> {
    match compiled.def.scoping {
        Scoping::Account => Some(scope.account_id()),
        Scoping::Global => None,
    }
}

/// One page of records matching `conditions`, and the total count.
pub(crate) async fn list(
    store: &Store,
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
    if page.cursor {
        let page_sql = compiled.page_sql(store.sql(), &selection, page, None);
        return cursor_page(store, compiled, page, &page_sql).await;
    }
    let (count_sql, kept) = compiled.count_sql(store.sql(), &selection);
    let (rows, total) = if kept {
        // The total is a lookup: read it first, so that a page nearer the
        // end is read from the end.
        let total = count_of(&store.fetch(&count_sql, &[ColumnType::Int]).await?);
        if page.start() >= total {
            (Vec::new(), total)
        } else {
            let page_sql = compiled.page_sql(store.sql(), &selection, page, Some(total));
            (store.fetch(&page_sql, &compiled.kinds).await?, total)
        }
    } else {
        let page_sql = compiled.page_sql(store.sql(), &selection, page, None);
        let (rows, count) = tokio::try_join!(
            store.fetch(&page_sql, &compiled.kinds),
            store.fetch(&count_sql, &[ColumnType::Int])
        )?;
        (rows, count_of(&count))
    };
    Ok(ListPage {
        records: rows.into_iter().map(Record::from_row).collect(),
        total,
        cursor: None,
    })
}

/// A cursor page: no count; the record past the page tells whether
/// another follows, and the last record's sort values make its cursor.
async fn cursor_page(
    store: &Store,
    compiled: &Compiled,
    page: &Page<'_>,
    page_sql: &crate::store::Sql,
) -> Result<ListPage> {
    let sort_kinds = compiled.sort_kinds(page.sorts);
    let mut kinds = compiled.kinds.clone();
    kinds.extend(sort_kinds.iter().copied().map(super::cursor::stored_kind));
    let mut rows = store.fetch(page_sql, &kinds).await?;
    let more = rows.len() > page.size as usize;
    rows.truncate(page.size as usize);
    let fields = compiled.kinds.len();
    let mut next = None;
    let mut records = Vec::with_capacity(rows.len());
    let last = rows.len().saturating_sub(1);
    for (i, mut row) in rows.into_iter().enumerate() {
        let sort_values = row.split_off(fields);
        let record = Record::from_row(row);
        if more && i == last {
            next = Some(super::cursor::encode(page.sorts, &sort_values, record.id));
        }
        records.push(record);
    }
    Ok(ListPage {
        total: records.len() as u64,
        records,
        cursor: Some(super::cursor::CursorPage { next }),
    })
}

/// The record `id`, if it exists in the account (and under `parent`).
pub(crate) async fn show(
    store: &Store,
    scope: Scope,
    compiled: &Compiled,
    id: i64,
    parent: Option<(&Parent, i64)>,
) -> Result<Option<Record>> {
    let mut sql = compiled.select_one_where(
        store.sql(),
        &Selection {
            account: account_of(compiled, scope),
            parent,
            conditions: &[],
        },
    );
    sql.push(" AND t.id = ").bind(id).by_key();
    Ok(store
        .fetch(&sql, &compiled.kinds)
        .await?
        .pop()
        .map(Record::from_row))
}

/// How many records match `conditions` in the account.
pub(crate) async fn count(
    store: &Store,
    scope: Scope,
    compiled: &Compiled,
    conditions: &[Condition],
) -> Result<u64> {
    let (sql, _) = compiled.count_sql(
        store.sql(),
        &Selection {
            account: account_of(compiled, scope),
            parent: None,
            conditions,
        },
    );
    Ok(count_of(&store.fetch(&sql, &[ColumnType::Int]).await?))
}

/// The number a count statement returned.
fn count_of(rows: &[Vec<Cell>]) -> u64 {
    rows.first()
        .and_then(|row| row[0].as_i64())
        .unwrap_or(0)
        .max(0) as u64
}

/// Whether the parent record `id` exists in the account.
pub(crate) async fn parent_exists(
    store: &Store,
    schema: &Schema,
    scope: Scope,
    parent: &Parent,
    id: i64,
) -> Result<bool> {
    let mut sql = store.sql();
    sql.push("SELECT id FROM ")
        .push(parent.table)
        .push(" WHERE id = ")
        .bind(id);
    let scoped = schema
        .by_route(parent.route)
        .is_none_or(|c| c.def.scoping == Scoping::Account);
    if scoped {
        sql.push(" AND account_id = ").bind(scope.account_id());
    }
    Ok(!store.fetch(&sql, &[ColumnType::Int]).await?.is_empty())
}

/// Ids of every record matching `conditions` (bulk writes by filter), in id order.
pub(crate) async fn matching_ids(
    store: &Store,
    scope: Scope,
    compiled: &Compiled,
    parent: Option<(&Parent, i64)>,
    conditions: &[Condition],
) -> Result<Vec<i64>> {
    let mut sql = store.sql();
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
    Ok(store
        .fetch(&sql, &[ColumnType::Int])
        .await?
        .into_iter()
        .filter_map(|r| r[0].as_i64())
        .collect())
}

/// Records of `compiled` whose `column` holds one of `values`, in id order
/// per chunk, through `store`.
pub(crate) async fn records_in(
    store: &Store,
    scope: Scope,
    compiled: &Compiled,
    column: &str,
    values: &[i64],
) -> Result<Vec<Record>> {
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(CHUNK) {
        let sql = compiled.rows_in_sql(store.sql(), account_of(compiled, scope), column, chunk);
        out.extend(
            store
                .fetch(&sql, &compiled.kinds)
                .await?
                .into_iter()
                .map(Record::from_row),
        );
    }
    Ok(out)
}

/// `fields` of the records of `compiled` with ids `ids`, in id order per
/// chunk (see [`Compiled::fields_in_sql`]).
pub(crate) async fn fields_in(
    store: &Store,
    scope: Scope,
    compiled: &Compiled,
    fields: &[&str],
    ids: &[i64],
) -> Result<Vec<Record>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let (sql, kinds) =
            compiled.fields_in_sql(store.sql(), account_of(compiled, scope), fields, chunk);
        out.extend(
            store
                .fetch(&sql, &kinds)
                .await?
                .into_iter()
                .map(Record::from_row),
        );
    }
    Ok(out)
}

/// Re-reads records inside a transaction, in id order.
pub(crate) async fn fetch_in(
    tx: &mut Tx,
    scope: Scope,
    compiled: &Compiled,
    ids: &[i64],
) -> Result<Vec<Record>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = compiled.rows_in_sql(tx.sql(), account_of(compiled, scope), "id", chunk);
        out.extend(
            tx.fetch(&sql, &compiled.kinds)
                .await?
                .into_iter()
                .map(Record::from_row),
        );
    }
    Ok(out)
}

/// Loads what `includes` name for `records`, one query per include.
pub(crate) async fn includes(
    store: &Store,
    scope: Scope,
    schema: &Schema,
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
                    owner_class: None,
                };
                children(store, scope, schema, records, link, &mut set).await?;
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
                        owner_class: Some((type_column, compiled.def.class)),
                    };
                    children(store, scope, schema, records, link, &mut set).await?;
                }
            }
            IncludeTarget::Linked { resource, link } => {
                let target = schema.get(resource);
                let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
                for r in records {
                    set.links.entry((r.id, include.name)).or_default();
                }
                let mut wanted = BTreeSet::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut sql = store.sql();
                    sql.push("SELECT ")
                        .push(link.here)
                        .push(", ")
                        .push(link.there)
                        .push(" FROM ")
                        .push(link.table)
                        .push(" WHERE account_id = ")
                        .bind(scope.account_id())
                        .push(" AND ")
                        .push(link.here)
                        .push(" IN ")
                        .bind_list(chunk.iter().copied())
                        .push(" ORDER BY ")
                        .push(link.there);
                    for row in store
                        .fetch(&sql, &[ColumnType::Int, ColumnType::Int])
                        .await?
                    {
                        if let (Some(owner), Some(other)) = (row[0].as_i64(), row[1].as_i64()) {
                            set.links
                                .entry((owner, include.name))
                                .or_default()
                                .push((resource.json_type, other));
                            wanted.insert(other);
                        }
                    }
                }
                let wanted: Vec<i64> = wanted.into_iter().collect();
                for record in records_in(store, scope, target, "id", &wanted).await? {
                    set.included
                        .insert((resource.json_type, record.id), (resource, record));
                }
            }
            IncludeTarget::BelongsTo { resource, field } => {
                let target = schema.get(resource);
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
                for record in records_in(store, scope, target, "id", &wanted).await? {
                    set.included
                        .insert((resource.json_type, record.id), (resource, record));
                }
            }
        }
    }
    Ok(set)
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
    owner_class: Option<(&'static str, &'static str)>,
}

/// Loads the records of `resource` whose `foreign_key` names one of
/// `records` (and, for polymorphic children, whose type column holds the
/// owner's class-style name) into `set`, linked under include `name`: one
/// statement per chunk of owners, never one per record.
async fn children(
    store: &Store,
    scope: Scope,
    schema: &Schema,
    records: &[Record],
    link: Children,
    set: &mut RecordSet,
) -> Result<()> {
    let Children {
        name,
        resource,
        foreign_key,
        owner_class,
    } = link;
    let target = schema.get(resource);
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
        let mut sql = target.select_where(
            store.sql(),
            &Selection {
                account: account_of(target, scope),
                ..Selection::default()
            },
        );
        if let Some((column, class)) = owner_class {
            sql.push(" AND t.").push(column).push(" = ").bind(class);
        }
        sql.push(" AND t.")
            .push(foreign_key)
            .push(" IN ")
            .bind_list(chunk.iter().copied());
        sql.push(" ORDER BY t.id");
        for row in store.fetch(&sql, &target.kinds).await? {
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

/// Reads of other records for decorate hooks.
pub(crate) struct Lookup<'a> {
    pub(crate) store: &'a Store,
    pub(crate) schema: &'a Schema,
    pub(crate) scope: Scope,
}

impl crate::resources::Lookup for Lookup<'_> {
    fn records<'a>(
        &'a self,
        resource: &'static Resource,
        column: &'static str,
        values: &'a [i64],
    ) -> crate::resources::BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(records_in(
            self.store,
            self.scope,
            self.schema.get(resource),
            column,
            values,
        ))
    }

    fn fields<'a>(
        &'a self,
        resource: &'static Resource,
        fields: &'a [&'static str],
        ids: &'a [i64],
    ) -> crate::resources::BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(fields_in(
            self.store,
            self.scope,
            self.schema.get(resource),
            fields,
            ids,
        ))
    }
}
