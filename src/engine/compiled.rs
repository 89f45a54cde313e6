//! Resource definitions compiled, once at start-up, into SQL fragments and
//! lookup tables; and request parameters checked against them.

use std::collections::HashMap;

use crate::clock::{parse_range_bound, RangeEnd};
use crate::error::{Error, Result};
use crate::names::parse_bool;
use crate::query::{split_list, FilterMode, Query};
use crate::resources::{
    ColumnType, Field, Filter, FilterHow, Include, Join, LinkTable, Parent, Resource, Scoping,
    Sort, ALL,
};
use crate::store::{Arg, Dialect, Sql, ACCOUNT_ORDERED, ORGANIZATION_COUNTED};

/// One resource, ready to serve.
#[derive(Debug)]
pub struct Compiled {
    /// The definition.
    pub def: &'static Resource,
    /// `t.id, <field exprs...>`.
    pub select: String,
    /// `<table> t <joins...>`.
    pub from: String,
    /// ` <joins...>` alone.
    joins: String,
    /// `select` for one record: each name a lookup join reads comes from a
    /// scalar subquery instead (see [`one_record_form`]).
    select_one: String,
    /// `from` for one record: the joins [`one_record_form`] kept.
    from_one: String,
    /// ` AND EXISTS (...)` for each inner join replaced in `select_one`:
    /// the row is read only when the record it joins exists, as the join
    /// had it.
    exists_one: String,
    /// Decoding kinds: id then every field.
    pub kinds: Vec<ColumnType>,
    filters: HashMap<&'static str, &'static Filter>,
    sorts: HashMap<&'static str, Sort>,
    /// The column type of each sort's expression, for cursor values.
    sort_kinds: HashMap<&'static str, ColumnType>,
    includes: HashMap<&'static str, &'static Include>,
    /// The includes whose relationships every response renders.
    pub always: Vec<&'static Include>,
}

/// All compiled resources, keyed by route segment.
#[derive(Debug)]
pub struct Schema {
    by_route: HashMap<&'static str, Compiled>,
}

impl Schema {
    /// Compiles every definition in [`ALL`], and `extra` ones.
    pub fn build(extra: &[&'static Resource]) -> Schema {
        Schema {
            by_route: ALL
                .iter()
                .chain(extra)
                .map(|r| (r.route, Compiled::new(r)))
                .collect(),
        }
    }

    /// The compiled resource served at route segment `route`.
    pub fn by_route(&self, route: &str) -> Option<&Compiled> {
        self.by_route.get(route)
    }

    /// The compiled form of `resource`.
    pub fn get(&self, resource: &Resource) -> &Compiled {
        self.by_route
            .get(resource.route)
            .expect("every resource in ALL is compiled at start-up")
    }
}

impl Compiled {
    fn new(def: &'static Resource) -> Compiled {
        let mut select = String::from("t.id");
        let mut kinds = vec![ColumnType::Int];
        for field in def.fields {
            select.push_str(", ");
            select.push_str(field.expr);
            kinds.push(field.column_type);
        }
        let mut joins = String::new();
        for join in def.joins {
            joins.push(' ');
            joins.push_str(join.sql);
        }
        let from = format!("{} t{joins}", def.table);
        let (select_one, from_one, exists_one) = one_record_form(def);
        // Every list sorts by id, and by name and the timestamps where the resource has them.
        let mut sorts: HashMap<&'static str, Sort> = HashMap::new();
        // Ids and the timestamps are never NULL (every table declares them
        // `NOT NULL`), nor is a name the API never lets be NULL.
        sorts.insert("id", Sort::on("id", "t.id").never_null());
        for (standard, always) in [("name", false), ("created_at", true), ("updated_at", true)] {
            if let Some(field) = def.field(standard) {
                if field.column.is_some() || field.expr.starts_with("t.") {
                    let sort = Sort::on(field.name, field.expr);
                    let never_null = always || field.never_null();
                    sorts.insert(
                        field.name,
                        if never_null { sort.never_null() } else { sort },
                    );
                }
            }
        }
        for sort in def.sorts {
            sorts.insert(sort.name, *sort);
        }
        // A sort's type is that of the field or filter reading the same expression.
        let sort_kinds = sorts
            .values()
            .filter_map(|sort| {
                let field = def.fields.iter().find(|f| f.expr == sort.expr);
                let kind = field.map(|f| f.column_type).or_else(|| {
                    def.filters
                        .iter()
                        .find(|f| f.expr == sort.expr)
                        .map(|f| f.column_type)
                });
                let kind = if sort.expr == "t.id" {
                    Some(ColumnType::Int)
                } else {
                    kind
                };
                kind.map(|kind| (sort.name, kind))
            })
            .collect();
        Compiled {
            def,
            select,
            from,
            joins,
            select_one,
            from_one,
            exists_one,
            kinds,
            filters: def.filters.iter().map(|f| (f.name, f)).collect(),
            sorts,
            sort_kinds,
            includes: def.includes.iter().map(|i| (i.name, i)).collect(),
            always: def
                .relationships
                .iter()
                .map(|name| {
                    def.includes
                        .iter()
                        .find(|i| i.name == *name)
                        .unwrap_or_else(|| panic!("{}: {name} is not an include", def.route))
                })
                .collect(),
        }
    }

    /// The join clauses a set of sorts needs inside the page query.
    fn joins_for(&self, sorts: &[(Sort, bool)]) -> String {
        let mut out = String::new();
        for join in self.def.joins {
            if sorts.iter().any(|(s, _)| s.join == Some(join.alias)) {
                out.push(' ');
                out.push_str(join.sql);
            }
        }
        out
    }

    /// Checks `sort` against the definition; defaults to id ascending.
    pub fn sorts(&self, query: &Query) -> Result<Vec<(Sort, bool)>> {
        let mut out = Vec::new();
        for (name, descending) in &query.sort {
            let sort = self.sorts.get(name.as_str()).ok_or_else(|| {
                Error::bad_parameter(
                    "sort",
                    format!(
                        "{} cannot be sorted by {name}; allowed: {}",
                        self.def.route,
                        self.sort_names()
                    ),
                )
            })?;
            out.push((*sort, *descending));
        }
        Ok(out)
    }

    /// The column types of `sorts`' expressions (what their cursor values are).
    pub fn sort_kinds(&self, sorts: &[(Sort, bool)]) -> Vec<ColumnType> {
        sorts
            .iter()
            .map(|(sort, _)| {
                self.sort_kinds
                    .get(sort.name)
                    .copied()
                    .unwrap_or(ColumnType::Text)
            })
            .collect()
    }

    /// Every sort name this resource's lists accept, sorted.
    pub fn sort_list(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.sorts.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Every sort the resource accepts.
    pub fn all_sorts(&self) -> impl Iterator<Item = &Sort> {
        self.sorts.values()
    }

    fn sort_names(&self) -> String {
        let mut names: Vec<&str> = self.sorts.keys().copied().collect();
        names.sort_unstable();
        names.join(", ")
    }

    /// Checks `include` names; show routes accept the show-only ones too.
    pub fn includes(&self, query: &Query, show: bool) -> Result<Vec<&'static Include>> {
        query
            .include
            .iter()
            .map(|name| match self.includes.get(name.as_str()) {
                Some(include) if show || !include.show_only => Ok(*include),
                Some(_) => Err(Error::bad_parameter(
                    "include",
                    format!(
                        "{name} can be included on a single {} only",
                        self.def.json_type
                    ),
                )),
                None => Err(Error::bad_parameter(
                    "include",
                    format!("{name} is not an include of {}", self.def.route),
                )),
            })
            .collect()
    }

    /// Turns `filter[...]` parameters into conditions.
    pub fn conditions(&self, query: &Query) -> Result<Vec<Condition>> {
        let mut out = Vec::new();
        for param in &query.filters {
            let parameter = param.parameter();
            if let Some((name, operator)) = split_operator(param) {
                let filter = self.filters.get(name).ok_or_else(|| {
                    Error::bad_parameter(
                        &parameter,
                        format!("{name} is not a filter of {}", self.def.route),
                    )
                })?;
                out.push(operator_condition(
                    filter,
                    operator,
                    &param.value,
                    &parameter,
                )?);
                continue;
            }
            let filter = self.filters.get(param.name.as_str()).ok_or_else(|| {
                Error::bad_parameter(
                    &parameter,
                    format!("{} is not a filter of {}", param.name, self.def.route),
                )
            })?;
            let allowed = match param.mode {
                FilterMode::Match => true,
                FilterMode::Exclude => filter.exclude,
                FilterMode::Range => filter.range,
            };
            if !allowed {
                return Err(Error::bad_parameter(
                    &parameter,
                    format!("{} does not accept this filter form", self.def.route),
                ));
            }
            match filter.how {
                FilterHow::Unmatched { partner, one_of } => {
                    if let Some(partner) = partner {
                        if !query.filters.iter().any(|f| f.name == partner) {
                            return Err(Error::bad_parameter(
                                &parameter,
                                format!(
                                    "filter[{}] must be accompanied by filter[{partner}]",
                                    filter.name
                                ),
                            ));
                        }
                    }
                    for value in split_list(&param.value) {
                        if !one_of.is_empty() && !one_of.contains(&value) {
                            return Err(Error::bad_parameter(
                                &parameter,
                                format!("must be one of: {}", one_of.join(", ")),
                            ));
                        }
                    }
                    // Mortar holds no integration or group data, so nothing matches.
                    out.push(Condition::Never);
                }
                FilterHow::Linked(link) => {
                    let values = split_list(&param.value)
                        .map(|v| parse_filter_value(&parameter, v, ColumnType::Int))
                        .collect::<Result<Vec<_>>>()?;
                    if values.is_empty() {
                        return Err(Error::bad_parameter(&parameter, "needs a value"));
                    }
                    out.push(Condition::Linked { link, values });
                }
                FilterHow::DateRange => {
                    let (start, end) = parse_range(&parameter, &param.value, filter.column_type)?;
                    out.push(Condition::Between {
                        expr: filter.expr,
                        start,
                        end,
                    });
                }
                FilterHow::Exact => match param.mode {
                    FilterMode::Range => {
                        let (start, end) =
                            parse_range(&parameter, &param.value, filter.column_type)?;
                        out.push(Condition::Between {
                            expr: filter.expr,
                            start,
                            end,
                        });
                    }
                    mode => {
                        let values = split_list(&param.value)
                            .map(
                                |v| match filter.normalize.and_then(|normalize| normalize(v)) {
                                    Some(stored) => {
                                        parse_filter_value(&parameter, &stored, filter.column_type)
                                    }
                                    None => parse_filter_value(&parameter, v, filter.column_type),
                                },
                            )
                            .collect::<Result<Vec<_>>>()?;
                        if values.is_empty() {
                            return Err(Error::bad_parameter(&parameter, "needs a value"));
                        }
                        out.push(Condition::In {
                            expr: filter.expr,
                            values,
                            negate: mode == FilterMode::Exclude,
                        });
                    }
                },
            }
        }
        Ok(out)
    }

    /// Appends ` WHERE ...` for the account (unless global), the parent, the
    /// resource's window and the filter conditions.
    pub fn push_where(&self, sql: &mut Sql, selection: &Selection<'_>) {
        sql.push(" WHERE 1=1");
        if let (Scoping::Account, Some(account)) = (self.def.scoping, selection.account) {
            sql.push(" AND t.account_id = ").bind(account);
        }
        if let Some((parent, id)) = selection.parent {
            sql.push(" AND t.").push(parent.field).push(" = ").bind(id);
            if let Some(kind) = parent.class {
                sql.push(" AND t.resource_type = ").bind(kind);
            }
        }
        if let Some(days) = self.def.window_days {
            let since = crate::clock::now_millis() - days * 86_400_000;
            sql.push(" AND t.created_at >= ").bind(since);
        }
        for condition in selection.conditions {
            condition.push(sql);
        }
    }

    /// The page query: ids first through an index (with only the joins the sort
    /// needs), then every computed column joined for that page alone.
    ///
    /// A cursor page also selects each sort value after the fields, for the
    /// next cursor, and one record more than the page. Descending from a
    /// value on a key that can be NULL, SQLite reads the values after the
    /// cursor and the NULLs after them as two ranges ([`nulls_apart`]).
    ///
    /// With the `total` known beforehand (a kept count), a numbered page
    /// nearer the end than the start is read from the end: the same records
    /// in the opposite order, skipping `total - end` instead of `start`
    /// (an offset walks the index one entry at a time), then put back in
    /// order by the outer query.
    pub fn page_sql(
        &self,
        mut sql: Sql,
        selection: &Selection<'_>,
        page: &Page<'_>,
        total: Option<u64>,
    ) -> Sql {
        let dialect = sql.dialect();
        let start = page.start();
        let from_end = match total {
            Some(total) if !page.cursor && start < total => {
                let end = (start + u64::from(page.size)).min(total);
                (total - end < start).then_some((end - start, total - end))
            }
            _ => None,
        };
        sql.push("SELECT ").push(&self.select);
        if page.cursor {
            for i in 0..page.sorts.len() {
                sql.push(&format!(", page_keys.s{i}"));
            }
        }
        sql.push(" FROM (");
        // The page's size is in the text (`Sql::limit`), for PostgreSQL's
        // plan of the joins; the offset is bound. A cursor page reads one
        // record more than the page, to tell whether another follows.
        let cursor_rows = u64::from(page.size) + 1;
        let nulls_read_apart = page
            .after
            .and_then(|cursor| nulls_apart(page.sorts, cursor).map(|first| (cursor, first)));
        if let Some((cursor, first)) = nulls_read_apart {
            // The values after the cursor, then the NULLs, which come last.
            // No one range of the key's index holds both (as one condition,
            // SQLite read every record after the cursor and sorted them for
            // each page), so each is read as a range of its own, a page at
            // most, and the two (two pages at most) are put in order.
            sql.push("SELECT * FROM (");
            self.push_page_keys(&mut sql, selection, page.sorts, false, |sql| {
                push_after(sql, page.sorts, cursor, true);
            });
            sql.limit(cursor_rows)
                .push(") page_values UNION ALL SELECT * FROM (");
            // The NULLs in the order of their index, the key ascending:
            // the same records in the same order (the key is NULL
            // throughout), but PostgreSQL's planner sees that the index
            // holds them so, where the key descending would have it sort
            // them all.
            let nulls_order: Vec<(Sort, bool)> = std::iter::once((*first, false))
                .chain(page.sorts[1..].iter().copied())
                .collect();
            self.push_page_keys(&mut sql, selection, &nulls_order, false, |sql| {
                sql.push(" AND ").push(first.expr).push(" IS NULL");
            });
            sql.limit(cursor_rows).push(") page_nulls ORDER BY ");
            for (i, (sort, descending)) in page.sorts.iter().enumerate() {
                sql.push(&format!("s{i}"))
                    .push(direction(dialect, sort.expr, *descending));
            }
            sql.push("id ASC").limit(cursor_rows);
        } else {
            self.push_page_keys(&mut sql, selection, page.sorts, from_end.is_some(), |sql| {
                if let Some(cursor) = page.after {
                    push_after(sql, page.sorts, cursor, false);
                }
            });
            if page.cursor {
                sql.limit(cursor_rows);
            } else if let Some((limit, offset)) = from_end {
                sql.limit(limit).push(" OFFSET ").bind(offset as i64);
            } else {
                sql.limit(u64::from(page.size))
                    .push(" OFFSET ")
                    .bind(start as i64);
            }
        }
        sql.push(") page_keys JOIN ")
            .push(self.def.table)
            .push(" t ON t.id = page_keys.id");
        sql.push(&self.joins).push(" ORDER BY ");
        for (i, (sort, descending)) in page.sorts.iter().enumerate() {
            sql.push(&format!("page_keys.s{i}"))
                .push(direction(dialect, sort.expr, *descending));
        }
        sql.push("page_keys.id ASC");
        sql
    }

    /// `SELECT t.id, <sort> AS s0, ... FROM <table> t ... WHERE ...`, then
    /// what `after` adds to the conditions, ordered by the sorts and the id
    /// (`reversed`: each the other way), without a limit.
    fn push_page_keys(
        &self,
        sql: &mut Sql,
        selection: &Selection<'_>,
        sorts: &[(Sort, bool)],
        reversed: bool,
        after: impl FnOnce(&mut Sql),
    ) {
        let dialect = sql.dialect();
        sql.push("SELECT t.id");
        for (i, (sort, _)) in sorts.iter().enumerate() {
            sql.push(", ").push(sort.expr).push(&format!(" AS s{i}"));
        }
        sql.push(" FROM ").push(self.def.table).push(" t");
        if self.in_account_order(dialect, selection, sorts) {
            sql.push(" INDEXED BY ")
                .push(self.def.table)
                .push("_account");
        }
        sql.push(&self.joins_for(sorts));
        self.push_where(sql, selection);
        after(sql);
        sql.push(" ORDER BY ");
        for (sort, descending) in sorts {
            sql.push(sort.expr)
                .push(direction(dialect, sort.expr, *descending != reversed));
        }
        sql.push(if reversed { "t.id DESC" } else { "t.id ASC" });
    }

    /// Whether SQLite reads a page through the table's index on its account
    /// (`store::ACCOUNT_ORDERED`): a whole account's list in id order, the
    /// default. Its planner would take another index led by `account_id`
    /// and sort the whole account for each page (11 ms for a page of 50 of
    /// 100,000 configurations, against 0.01 ms through the index).
    /// PostgreSQL picks that index itself.
    fn in_account_order(
        &self,
        dialect: Dialect,
        selection: &Selection<'_>,
        sorts: &[(Sort, bool)],
    ) -> bool {
        dialect == Dialect::Sqlite
            && self.def.scoping == Scoping::Account
            && self.def.window_days.is_none()
            && ACCOUNT_ORDERED.contains(&self.def.table)
            && selection.account.is_some()
            && selection.parent.is_none()
            && selection.conditions.is_empty()
            && sorts.iter().all(|(sort, _)| sort.expr == "t.id")
    }

    /// `SELECT COUNT(*)` over the same selection, and whether it is a kept
    /// count instead: where the selection is a whole account or some of its
    /// organizations and the table's records are counted per organization,
    /// the sum of those counts (`organization_counts`, kept by triggers: one
    /// row per organization on SQLite, a few rows of changes on PostgreSQL),
    /// which costs the same however many records there are.
    pub fn count_sql(&self, mut sql: Sql, selection: &Selection<'_>) -> (Sql, bool) {
        if let Some((account, organizations)) = self.kept_count_key(selection) {
            // PostgreSQL sums BIGINTs as NUMERIC.
            sql.push(
                "SELECT CAST(COALESCE(SUM(records), 0) AS BIGINT) FROM organization_counts \
                 WHERE table_name = ",
            )
            .bind(self.def.table)
            .push(" AND account_id = ")
            .bind(account);
            if let Some(organizations) = organizations {
                // One organization's count is one row by its key on
                // SQLite; an account's, several organizations', or one on
                // PostgreSQL, a short range.
                if organizations.len() == 1 {
                    sql.by_key();
                }
                sql.push(" AND organization_id IN ")
                    .bind_list(organizations);
            }
            return (sql, true);
        }
        sql.push("SELECT COUNT(*) FROM ")
            .push(self.def.table)
            .push(" t");
        self.push_where(&mut sql, selection);
        (sql, false)
    }

    /// Where `organization_counts` answers the count of a selection: the
    /// account and, unless the selection is the whole account, the
    /// organizations it is exactly (a nested route under one, or
    /// `filter[organization_id]`). Any other condition counts the records
    /// themselves.
    fn kept_count_key(&self, selection: &Selection<'_>) -> Option<(i64, Option<Vec<Arg>>)> {
        let counted = self.def.scoping == Scoping::Account
            && self.def.window_days.is_none()
            && ORGANIZATION_COUNTED.contains(&self.def.table);
        if !counted {
            return None;
        }
        let account = selection.account?;
        let column = self.def.organization_column?;
        let is_organization = |expr: &str| expr.strip_prefix("t.") == Some(column);
        match (selection.parent, selection.conditions) {
            (None, []) => Some((account, None)),
            (Some((parent, id)), []) if parent.field == column && parent.class.is_none() => {
                Some((account, Some(vec![Arg::from(id)])))
            }
            (
                None,
                [Condition::In {
                    expr,
                    values,
                    negate: false,
                }],
            ) if is_organization(expr) => Some((account, Some(values.clone()))),
            _ => None,
        }
    }

    /// `SELECT <every field> FROM <table and joins> WHERE <selection>`, to
    /// which a caller adds its own ` AND ...` conditions.
    pub fn select_where(&self, mut sql: Sql, selection: &Selection<'_>) -> Sql {
        sql.push("SELECT ")
            .push(&self.select)
            .push(" FROM ")
            .push(&self.from);
        self.push_where(&mut sql, selection);
        sql
    }

    /// [`Compiled::select_where`] for reading one record (a show): the
    /// same columns, with the names of its lookup joins read by subquery.
    /// PostgreSQL plans a join of small tables as hash joins, hashing each
    /// table on every run for the one row; a subquery is one index lookup.
    pub fn select_one_where(&self, mut sql: Sql, selection: &Selection<'_>) -> Sql {
        sql.push("SELECT ")
            .push(&self.select_one)
            .push(" FROM ")
            .push(&self.from_one);
        self.push_where(&mut sql, selection);
        sql.push(&self.exists_one);
        sql
    }

    /// `SELECT t.id, <fields> FROM <table and the joins those fields read>
    /// WHERE <account> AND t.id IN (ids) ORDER BY t.id`, with the column
    /// types to decode its rows by: a few fields of records without the
    /// joins of the rest. A name that is not a field reads as null.
    pub fn fields_in_sql(
        &self,
        mut sql: Sql,
        account: Option<i64>,
        fields: &[&str],
        ids: &[i64],
    ) -> (Sql, Vec<ColumnType>) {
        let chosen: Vec<Option<&Field>> = fields.iter().map(|name| self.def.field(name)).collect();
        let mut kinds = vec![ColumnType::Int];
        sql.push("SELECT t.id");
        for field in &chosen {
            sql.push(", ").push(field.map_or("NULL", |f| f.expr));
            kinds.push(field.map_or(ColumnType::Text, |f| f.column_type));
        }
        sql.push(" FROM ").push(self.def.table).push(" t");
        for join in self.def.joins {
            let alias = format!("{}.", join.alias);
            if chosen.iter().flatten().any(|f| f.expr.contains(&alias)) {
                sql.push(" ").push(join.sql);
            }
        }
        self.push_where(
            &mut sql,
            &Selection {
                account,
                ..Selection::default()
            },
        );
        sql.push(" AND t.id IN ").bind_list(ids.iter().copied());
        sql.push(" ORDER BY t.id");
        (sql, kinds)
    }

    /// `SELECT <every field> ... WHERE <account> AND t.<column> IN (values)
    /// ORDER BY t.id`: records by id, or by any indexed column.
    pub fn rows_in_sql(&self, sql: Sql, account: Option<i64>, column: &str, values: &[i64]) -> Sql {
        let mut sql = self.select_where(
            sql,
            &Selection {
                account,
                ..Selection::default()
            },
        );
        sql.push(" AND t.")
            .push(column)
            .push(" IN ")
            .bind_list(values.iter().copied());
        sql.push(" ORDER BY t.id");
        sql
    }
}

/// A join that only looks up a referenced row's columns by its id:
/// `[LEFT ]JOIN <table> <alias> ON <alias>.id = t.<column>`.
struct Lookup {
    table: &'static str,
    alias: &'static str,
    column: &'static str,
    /// An inner join: no row when the referenced one is missing.
    inner: bool,
}

/// `join` as a [`Lookup`], if it is one.
fn lookup(join: &Join) -> Option<Lookup> {
    let (inner, sql) = match join.sql.strip_prefix("LEFT ") {
        Some(rest) => (false, rest),
        None => (true, join.sql),
    };
    let words: Vec<&'static str> = sql.split_whitespace().collect();
    match words.as_slice() {
        ["JOIN", table, alias, "ON", key, "=", column]
            if *alias == join.alias && key.strip_prefix(alias) == Some(".id") =>
        {
            Some(Lookup {
                table,
                alias,
                column: column.strip_prefix("t.")?,
                inner,
            })
        }
        _ => None,
    }
}

/// Whether `expr` names a column of `alias` (`alias.` not preceded by a
/// character of a longer name).
fn reads_alias(expr: &str, alias: &str) -> bool {
    let dotted = format!("{alias}.");
    expr.match_indices(&dotted).any(|(at, _)| {
        !expr[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The select list, `FROM` clause and existence conditions of `def` for
/// one record: a lookup join whose alias only bare `alias.column` fields
/// read (and no other join) becomes one scalar subquery per such field,
/// and an inner one also an `EXISTS` condition; every other join stays.
fn one_record_form(def: &Resource) -> (String, String, String) {
    let replaceable: Vec<Lookup> = def
        .joins
        .iter()
        .filter_map(lookup)
        .filter(|lookup| {
            let alias = lookup.alias;
            let bare = |expr: &str| {
                expr.strip_prefix(alias)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|c| c.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            };
            def.fields
                .iter()
                .all(|f| !reads_alias(f.expr, alias) || bare(f.expr))
                && def
                    .joins
                    .iter()
                    .filter(|j| j.alias != alias)
                    .all(|j| !reads_alias(j.sql, alias))
        })
        .collect();
    let by_id = |lookup: &Lookup| {
        format!(
            "FROM {table} {alias} WHERE {alias}.id = t.{column}",
            table = lookup.table,
            alias = lookup.alias,
            column = lookup.column
        )
    };
    let mut select = String::from("t.id");
    for field in def.fields {
        select.push_str(", ");
        match replaceable
            .iter()
            .find(|lookup| reads_alias(field.expr, lookup.alias))
        {
            Some(lookup) => {
                select.push_str(&format!("(SELECT {} {})", field.expr, by_id(lookup)));
            }
            None => select.push_str(field.expr),
        }
    }
    let mut from = format!("{} t", def.table);
    for join in def.joins {
        if !replaceable.iter().any(|lookup| lookup.alias == join.alias) {
            from.push(' ');
            from.push_str(join.sql);
        }
    }
    let exists = replaceable
        .iter()
        .filter(|lookup| lookup.inner)
        .map(|lookup| format!(" AND EXISTS (SELECT 1 {})", by_id(lookup)))
        .collect();
    (select, from, exists)
}

/// Which rows a statement reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection<'a> {
    /// The caller's account (ignored for global reference data).
    pub account: Option<i64>,
    /// On a nested route: the parent and its id.
    pub parent: Option<(&'a Parent, i64)>,
    /// Compiled `filter[...]` conditions.
    pub conditions: &'a [Condition],
}

/// One page of a sorted list.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// Sort keys, each with whether it is descending; the id breaks ties.
    pub sorts: &'a [(Sort, bool)],
    /// Records per page.
    pub size: u32,
    /// 1-based page number (numbered pages).
    pub number: u32,
    /// Whether this is a cursor page (`page[after]`).
    pub cursor: bool,
    /// Where the previous cursor page ended, unless this is the first.
    pub after: Option<&'a super::cursor::Cursor>,
}

impl Page<'_> {
    /// How many records come before a numbered page.
    pub fn start(&self) -> u64 {
        u64::from(self.number.max(1) - 1) * u64::from(self.size)
    }
}

/// The ordering of a sort key in SQL: NULL sorts as the smallest value on
/// both backends (SQLite's rule); PostgreSQL's indexes on sorted columns
/// order NULLs first to match. An id is never NULL, and its indexes (the
/// primary key, the account's) order it plainly: said with a `NULLS`
/// clause, the order would not match them read backwards, and a page by
/// `-id` would sort the whole account.
fn direction(dialect: Dialect, expr: &str, descending: bool) -> &'static str {
    match (dialect, descending) {
        (Dialect::Postgres, false) if expr != "t.id" => " ASC NULLS FIRST, ",
        (Dialect::Postgres, true) if expr != "t.id" => " DESC NULLS LAST, ",
        (_, false) => " ASC, ",
        (_, true) => " DESC, ",
    }
}

/// The first sort, when the records after `cursor` are its values below the
/// cursor's and then its NULLs (which sort last in a descending order), and
/// those are read as two ranges of its index: a descending first key that
/// can be NULL, from a value.
///
/// The key's index ends in the id (SQLite's every index ends in the rowid;
/// PostgreSQL's since migration 0032), so the key's NULLs are read in id
/// order: with no sort after the key, that is the page's order and only a
/// page of them is read (with one, they are sorted, as every record after
/// the cursor was by the one condition before).
fn nulls_apart<'s>(sorts: &'s [(Sort, bool)], cursor: &super::cursor::Cursor) -> Option<&'s Sort> {
    match (sorts.first(), cursor.values.first()) {
        (Some((first, true)), Some(value)) if !first.never_null && !is_null(value) => Some(first),
        _ => None,
    }
}

/// Appends ` AND (...)`: records after `cursor` in the order of `sorts`
/// then id, NULL being the smallest value (as the ORDER BY has it); with
/// `nulls_apart` ([`nulls_apart`]), only those with a value of the first key.
fn push_after(
    sql: &mut Sql,
    sorts: &[(Sort, bool)],
    cursor: &super::cursor::Cursor,
    nulls_apart: bool,
) {
    if sorts.iter().all(|(_, descending)| !descending) && !cursor.values.iter().any(is_null) {
        // Ascending from non-NULL values: a row value, which both databases
        // turn into one range scan of the sort's index. (A NULL key later in
        // a row compares as unknown and drops the row, as NULL sorts first.)
        sql.push(" AND (");
        for (sort, _) in sorts {
            sql.push(sort.expr).push(", ");
        }
        sql.push("t.id) > (");
        for value in &cursor.values {
            sql.bind(value.clone()).push(", ");
        }
        sql.bind(cursor.id).push(")");
        return;
    }
    if let (Some((first, descending)), Some(value)) = (sorts.first(), cursor.values.first()) {
        // Every record after the cursor is on one side of its first value:
        // said once outside the branches, it bounds the index read, which
        // the branches alone leave to a filter over every record before the
        // cursor (a page of 1,000 by `-id` near the end of 100,000: 15 ms on
        // SQLite and 67 on PostgreSQL). NULL sorts first, so ascending from
        // a value never meets one, descending from NULL meets nothing else,
        // and descending from a value meets the NULLs last, unless the key
        // is never NULL or they are read apart (no bound otherwise).
        match (is_null(value), descending) {
            (false, false) => {
                sql.push(" AND ")
                    .push(first.expr)
                    .push(" >= ")
                    .bind(value.clone());
            }
            (false, true) if first.never_null || nulls_apart => {
                sql.push(" AND ")
                    .push(first.expr)
                    .push(" <= ")
                    .bind(value.clone());
            }
            (true, true) => {
                sql.push(" AND ").push(first.expr).push(" IS NULL");
            }
            _ => {}
        }
    }
    sql.push(" AND (");
    // Each branch: the keys before `i` equal, key `i` beyond; the last
    // branch: every key equal and a greater id.
    for (i, ((sort, descending), value)) in sorts.iter().zip(&cursor.values).enumerate() {
        push_equal_keys(sql, &sorts[..i], &cursor.values[..i]);
        match (is_null(value), descending) {
            (true, false) => sql.push(sort.expr).push(" IS NOT NULL"),
            (true, true) => sql.push("1=0"),
            (false, false) => sql.push(sort.expr).push(" > ").bind(value.clone()),
            (false, true) => sql
                .push("(")
                .push(sort.expr)
                .push(" < ")
                .bind(value.clone())
                .push(" OR ")
                .push(sort.expr)
                .push(" IS NULL)"),
        };
        sql.push(") OR ");
    }
    push_equal_keys(sql, sorts, &cursor.values);
    sql.push("t.id > ").bind(cursor.id).push("))");
}

/// `(k0 = v0 AND k1 IS NULL AND ... AND ` (the opening of one branch).
fn push_equal_keys(sql: &mut Sql, sorts: &[(Sort, bool)], values: &[Arg]) {
    sql.push("(");
    for ((sort, _), value) in sorts.iter().zip(values) {
        if is_null(value) {
            sql.push(sort.expr).push(" IS NULL AND ");
        } else {
            sql.push(sort.expr)
                .push(" = ")
                .bind(value.clone())
                .push(" AND ");
        }
    }
}

fn is_null(value: &Arg) -> bool {
    matches!(value, Arg::Int(None) | Arg::Text(None) | Arg::Bool(None))
}

/// A compiled filter condition.
#[derive(Debug, Clone)]
pub enum Condition {
    /// `expr IN (...)` or `NOT IN`.
    In {
        /// Compared expression.
        expr: &'static str,
        /// Accepted values.
        values: Vec<Arg>,
        /// `NOT IN` (and NULLs pass).
        negate: bool,
    },
    /// `expr >= start AND expr <= end`, either end open.
    Between {
        /// Compared expression.
        expr: &'static str,
        /// Lower bound, inclusive.
        start: Option<Arg>,
        /// Upper bound, inclusive.
        end: Option<Arg>,
    },
    /// `expr <op> value` for `<`, `<=`, `>` or `>=`.
    Compare {
        /// Compared expression.
        expr: &'static str,
        /// The SQL operator.
        operator: &'static str,
        /// The value compared with.
        value: Arg,
    },
    /// `t.id` linked through a link table to any of `values`.
    Linked {
        /// The pairs.
        link: LinkTable,
        /// The ids at the other end.
        values: Vec<Arg>,
    },
    /// A fixed condition over `t`, without parameters (a face's own
    /// category, such as Copilot Smart Assist's "never viewed").
    Sql(&'static str),
    /// Matches nothing.
    Never,
}

impl Condition {
    fn push(&self, sql: &mut Sql) {
        match self {
            Condition::In {
                expr,
                values,
                negate: false,
            } => {
                sql.push(" AND ")
                    .push(expr)
                    .push(" IN ")
                    .bind_list(values.iter().cloned());
            }
            Condition::In {
                expr,
                values,
                negate: true,
            } => {
                sql.push(" AND (")
                    .push(expr)
                    .push(" IS NULL OR ")
                    .push(expr);
                sql.push(" NOT IN ")
                    .bind_list(values.iter().cloned())
                    .push(")");
            }
            Condition::Linked { link, values } => {
                sql.push(" AND t.id IN (SELECT ")
                    .push(link.here)
                    .push(" FROM ")
                    .push(link.table)
                    .push(" WHERE ")
                    .push(link.there)
                    .push(" IN ")
                    .bind_list(values.iter().cloned())
                    .push(")");
            }
            Condition::Between { expr, start, end } => {
                if let Some(start) = start {
                    sql.push(" AND ")
                        .push(expr)
                        .push(" >= ")
                        .bind(start.clone());
                }
                if let Some(end) = end {
                    sql.push(" AND ").push(expr).push(" <= ").bind(end.clone());
                }
            }
            Condition::Compare {
                expr,
                operator,
                value,
            } => {
                sql.push(" AND ")
                    .push(expr)
                    .push(" ")
                    .push(operator)
                    .push(" ")
                    .bind(value.clone());
            }
            Condition::Sql(condition) => {
                sql.push(" AND (").push(condition).push(")");
            }
            Condition::Never => {
                sql.push(" AND 1=0");
            }
        }
    }
}

/// Parses one filter value of `kind`.
fn parse_filter_value(parameter: &str, value: &str, kind: ColumnType) -> Result<Arg> {
    if value.contains('\0') {
        return Err(Error::bad_parameter(
            parameter,
            "must not contain NUL characters",
        ));
    }
    match kind {
        ColumnType::Int | ColumnType::IdString => {
            value.parse::<i64>().map(Arg::from).map_err(|_| {
                Error::bad_parameter(parameter, format!("{value:?} is not a whole number"))
            })
        }
        ColumnType::Bool => parse_bool(value).map(Arg::from).ok_or_else(|| {
            Error::bad_parameter(parameter, format!("{value:?} is not true or false"))
        }),
        ColumnType::Timestamp => parse_range_bound(value, RangeEnd::Start)
            .map(Arg::from)
            .ok_or_else(|| {
                Error::bad_parameter(parameter, format!("{value:?} is not a date or time"))
            }),
        ColumnType::Text | ColumnType::Date | ColumnType::Json => Ok(Arg::from(value)),
    }
}

/// The comparison operators of `filter[<name>__<op>]` (an addition to the
/// reference's forms).
const OPERATORS: &[&str] = &["eq", "neq", "lt", "lte", "gt", "gte", "in", "nin"];

/// `(name, operator)` of a `filter[<name>__<op>]` parameter, if it is one.
fn split_operator(param: &crate::query::FilterParam) -> Option<(&str, &str)> {
    if param.mode != FilterMode::Match {
        return None;
    }
    param
        .name
        .rsplit_once("__")
        .filter(|(name, _)| !name.is_empty())
}

/// The condition of `filter[<name>__<op>]=value`: `eq`/`neq` one value,
/// `in`/`nin` a comma list, and `lt`/`lte`/`gt`/`gte` on the fields that
/// order (numbers, dates and timestamps; a date against a timestamp is its
/// whole day).
fn operator_condition(
    filter: &Filter,
    operator: &str,
    value: &str,
    parameter: &str,
) -> Result<Condition> {
    if !OPERATORS.contains(&operator) {
        return Err(Error::bad_parameter(
            parameter,
            format!(
                "{operator} is not a filter operator; use one of: {}",
                OPERATORS.join(", ")
            ),
        ));
    }
    let refuse = || {
        Error::bad_parameter(
            parameter,
            format!(
                "the {} filter does not take the {operator} operator",
                filter.name
            ),
        )
    };
    let (kind, exact) = match filter.how {
        FilterHow::Exact => (filter.column_type, true),
        FilterHow::DateRange => (filter.column_type, false),
        FilterHow::Unmatched { .. } | FilterHow::Linked(_) => return Err(refuse()),
    };
    let one = |v: &str, end: RangeEnd| -> Result<Arg> {
        let v = v.trim();
        if v.is_empty() {
            return Err(Error::bad_parameter(parameter, "needs a value"));
        }
        let v = match filter.normalize.and_then(|normalize| normalize(v)) {
            Some(stored) => stored,
            None => v.to_string(),
        };
        match kind {
            ColumnType::Timestamp => parse_range_bound(&v, end)
                .or_else(|| crate::clock::parse_compact_timestamp(&v))
                .map(Arg::from)
                .ok_or_else(|| {
                    Error::bad_parameter(
                        parameter,
                        format!("{v:?} is not a date or an RFC3339 time"),
                    )
                }),
            _ => parse_filter_value(parameter, &v, kind),
        }
    };
    let orders = matches!(
        kind,
        ColumnType::Int | ColumnType::IdString | ColumnType::Timestamp | ColumnType::Date
    );
    Ok(match operator {
        "eq" | "neq" | "in" | "nin" if exact => {
            let values = if operator == "eq" || operator == "neq" {
                vec![one(value, RangeEnd::Start)?]
            } else {
                split_list(value)
                    .map(|v| one(v, RangeEnd::Start))
                    .collect::<Result<Vec<_>>>()?
            };
            if values.is_empty() {
                return Err(Error::bad_parameter(parameter, "needs a value"));
            }
            Condition::In {
                expr: filter.expr,
                values,
                negate: operator == "neq" || operator == "nin",
            }
        }
        "lt" | "lte" | "gt" | "gte" if orders => Condition::Compare {
            expr: filter.expr,
            operator: match operator {
                "lt" => "<",
                "lte" => "<=",
                "gt" => ">",
                _ => ">=",
            },
            // A day against a timestamp: before its start, or past its end.
            value: one(
                value,
                if operator == "lte" || operator == "gt" {
                    RangeEnd::End
                } else {
                    RangeEnd::Start
                },
            )?,
        },
        _ => return Err(refuse()),
    })
}

/// Parses `a, b` with `*` for an open end.
fn parse_range(
    parameter: &str,
    value: &str,
    kind: ColumnType,
) -> Result<(Option<Arg>, Option<Arg>)> {
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    let [start, end] = parts.as_slice() else {
        return Err(Error::bad_parameter(
            parameter,
            "must be two comma-separated values, with * for an open end",
        ));
    };
    let bound = |v: &str, which: RangeEnd| -> Result<Option<Arg>> {
        if v == "*" || v.is_empty() {
            return Ok(None);
        }
        match kind {
            ColumnType::Timestamp => parse_range_bound(v, which)
                .map(|ms| Some(Arg::from(ms)))
                .ok_or_else(|| {
                    Error::bad_parameter(parameter, format!("{v:?} is not a date or time"))
                }),
            _ => parse_filter_value(parameter, v, kind).map(Some),
        }
    };
    let range = (bound(start, RangeEnd::Start)?, bound(end, RangeEnd::End)?);
    if range.0.is_none() && range.1.is_none() && (*start != "*" || *end != "*") {
        return Err(Error::bad_parameter(parameter, "the range is empty"));
    }
    Ok(range)
}

#[cfg(test)]
mod sort_kind_tests {
    use super::*;

    /// A cursor binds each sort value with its column's type, so every sort
    /// must have one (PostgreSQL refuses text compared with a number).
    #[test]
    fn every_sort_has_a_column_type() {
        let schema = Schema::build(&[]);
        for compiled in schema.by_route.values() {
            for name in compiled.sorts.keys() {
                assert!(
                    compiled.sort_kinds.contains_key(name),
                    "{}: sort {name} has no field or filter on its expression",
                    compiled.def.route
                );
            }
        }
    }
}
