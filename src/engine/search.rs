//! Global full-text search: what a record puts in the search index (its
//! resource's [`Search`] fields, never a secret), and how a query's words
//! become a search the database's own full-text machinery answers.

use serde_json::Value;

use super::compiled::{Condition, Selection};
use super::{Caller, Engine, Records};
use crate::error::{Error, Result};
use crate::query::Query;
use crate::resources::{QueryPurpose, Resource, Search};
use crate::roles::Operation;
use crate::store::{
    normalise, terms_of, Arg, Cell, Record, Scope, SearchEntry, SearchFilter, SearchType,
};

/// The index entry for `record` of `def`, if records of its type are
/// searchable.
pub(crate) fn entry_for(def: &Resource, record: &Record) -> Option<SearchEntry> {
    let search: &Search = def.search?;
    let organization_id = match def.organization_column {
        Some("id") => Some(record.id),
        Some(column) => def.cell(record, column).and_then(Cell::as_i64),
        None => None,
    };
    Some(SearchEntry {
        resource_type: def.json_type,
        type_code: search.code,
        record_id: record.id,
        organization_id,
        title: normalise(&text_of(def, record, search.title)),
        body: normalise(&text_of(def, record, search.body)),
    })
}

/// The text of `fields` of `record`, space-separated.
fn text_of(def: &Resource, record: &Record, fields: &[&str]) -> String {
    let mut out = String::new();
    for name in fields {
        if def.field(name).is_some_and(|f| f.secret) {
            continue;
        }
        let Some(Cell::Text(text)) = def.cell(record, name) else {
            continue;
        };
        let trimmed = text.trim_start();
        if trimmed.starts_with('[') || trimmed.starts_with('{') {
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                push_leaves(&value, &mut out);
                continue;
            }
        }
        push_words(&strip_tags(text), &mut out);
    }
    out
}

/// The string leaves of a JSON value (contact emails and phones,
/// flexible asset traits), each as plain text.
fn push_leaves(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => push_words(&strip_tags(s), out),
        Value::Array(items) => items.iter().for_each(|v| push_leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| push_leaves(v, out)),
        // Numbers are ids (tag traits) as often as values: left out.
        Value::Number(_) | Value::Bool(_) | Value::Null => {}
    }
}

fn push_words(text: &str, out: &mut String) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(text);
}

/// `html` without its tags, entities for spaces and the common escapes
/// turned back into characters.
pub(crate) fn strip_tags(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The version of what the index holds; raising it rebuilds every entry
/// at the next start (when the searched fields or the text's form change).
const INDEX_VERSION: i64 = 1;

/// Records per statement and per transaction while the index is built.
const BUILD_BATCH: usize = 1000;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// A global search: the words, where to look, and which page.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The words as typed.
    pub query: String,
    /// Only this organization's records (the organization among them).
    pub organization_id: Option<i64>,
    /// Only these types (none: every searchable type).
    pub types: Vec<&'static Resource>,
    /// Results per page.
    pub size: u32,
    /// 1-based page.
    pub number: u32,
}

/// A page of search results, best first.
#[derive(Debug)]
pub struct SearchResults {
    /// The matches of each type on the page, as their lists render them.
    pub groups: Vec<Records>,
    /// The page's matches best first, as (JSON:API type, id): the order
    /// to render `groups`' records in.
    pub order: Vec<(&'static str, i64)>,
    /// Matches per JSON:API type over the whole search; when not
    /// `counts_exact`, over the matches the search read (so each is the
    /// least there are).
    pub counts: Vec<(&'static str, u64)>,
    /// Whether `counts` count every match: false when the words are in
    /// more records than a search reads ([`crate::store::SEARCH_WINDOW`] + 1
    /// besides those whose title holds them).
    pub counts_exact: bool,
}

impl SearchResults {
    /// How many records match in all.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

/// Every resource type global search covers.
pub fn searchable() -> impl Iterator<Item = &'static Resource> {
    crate::resources::ALL
        .iter()
        .copied()
        .filter(|def| def.search.is_some())
}

/// How the search index knows records of `def`, if they are searchable.
fn search_type(def: &'static Resource) -> Option<SearchType> {
    Some(SearchType {
        json_type: def.json_type,
        code: def.search?.code,
    })
}

impl Engine {
    /// The records of the caller's account that hold every word of
    /// `request.query` (the last term of each word as a prefix), best
    /// first; each type read with one statement, as its list renders it,
    /// so a password's value is never among them.
    pub async fn search(&self, caller: &Caller, request: &SearchRequest) -> Result<SearchResults> {
        if request.query.contains('\0') {
            return Err(Error::bad_parameter(
                "query",
                "must not contain a NUL character",
            ));
        }
        if request.query.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::bad_parameter(
                "query",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let words = terms_of(&request.query);
        if words.is_empty() {
            return Err(Error::bad_parameter(
                "query",
                "must hold at least one letter or digit: the words to search for",
            ));
        }
        for def in &request.types {
            caller.authorize(def, Operation::Read, &[])?;
        }
        let types: Vec<SearchType> = request
            .types
            .iter()
            .filter_map(|d| search_type(d))
            .collect();
        let counted: Vec<SearchType> = if types.is_empty() {
            searchable().filter_map(search_type).collect()
        } else {
            types.clone()
        };
        let hits = self
            .store
            .search(
                caller.scope,
                &SearchFilter {
                    words: &words,
                    organization_id: request.organization_id,
                    types: &types,
                    counted: &counted,
                },
                request.size,
                request.number,
            )
            .await?;
        let mut groups = Vec::new();
        let mut order = Vec::with_capacity(hits.hits.len());
        for def in searchable() {
            let ids: Vec<i64> = hits
                .hits
                .iter()
                .filter(|(kind, _)| kind == def.json_type)
                .map(|(_, id)| *id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let query = Query {
                page_size: Some(ids.len() as u32),
                ..Query::default()
            };
            let listed = self
                .list_for(
                    caller,
                    def,
                    None,
                    &query,
                    &[Condition::In {
                        expr: "t.id",
                        values: ids.iter().map(|id| Arg::from(*id)).collect(),
                        negate: false,
                    }],
                    QueryPurpose::Search,
                )
                .await?;
            groups.push(listed);
        }
        for (kind, id) in &hits.hits {
            // An entry whose record went by a path that keeps no index
            // (none is known) is left out rather than shown empty.
            if let Some(group) = groups
                .iter()
                .find(|g| g.resource.json_type == kind && g.records.iter().any(|r| r.id == *id))
            {
                order.push((group.resource.json_type, *id));
            }
        }
        let counts = searchable()
            .filter_map(|def| {
                hits.counts
                    .iter()
                    .find(|(kind, _)| kind == def.json_type)
                    .map(|(_, n)| (def.json_type, *n))
            })
            .collect();
        Ok(SearchResults {
            groups,
            order,
            counts,
            counts_exact: hits.exact,
        })
    }

    /// Builds the search index's entries for every record, when the index
    /// is behind [`INDEX_VERSION`] (a database made before search, or
    /// after a change of what is indexed); how many entries it wrote.
    pub async fn build_search_index(&self) -> Result<u64> {
        if self.store.search_index_version().await? >= INDEX_VERSION {
            return Ok(0);
        }
        let mut written = 0u64;
        for account in self.store.account_ids().await? {
            written += self.index_account(Scope::new(account)).await?;
        }
        self.store.set_search_index_version(INDEX_VERSION).await?;
        Ok(written)
    }

    /// Writes the search index's entries of every searchable record of
    /// `scope`'s account, replacing those it has, a thousand records per
    /// transaction (for rows written without the engine, as the demo's
    /// bulk load writes them); how many entries it wrote.
    pub async fn index_account(&self, scope: Scope) -> Result<u64> {
        let mut written = 0u64;
        for def in searchable() {
            let compiled = self.schema.get(def);
            let mut after = 0i64;
            loop {
                let mut sql = compiled.select_where(
                    self.store.sql(),
                    &Selection {
                        account: Some(scope.account_id()),
                        ..Selection::default()
                    },
                );
                sql.push(" AND t.id > ")
                    .bind(after)
                    .push(" ORDER BY t.id LIMIT ")
                    .bind(BUILD_BATCH as i64);
                let records: Vec<Record> = self
                    .store
                    .fetch(&sql, &compiled.kinds)
                    .await?
                    .into_iter()
                    .map(Record::from_row)
                    .collect();
                let Some(last) = records.last() else {
                    break;
                };
                after = last.id;
                let entries: Vec<SearchEntry> =
                    records.iter().filter_map(|r| entry_for(def, r)).collect();
                let mut tx = self.store.begin().await?;
                tx.put_search_entries(scope, &entries).await?;
                tx.commit().await?;
                written += entries.len() as u64;
                if records.len() < BUILD_BATCH {
                    break;
                }
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_searchable_type_has_a_code_of_its_own() {
        let codes: std::collections::BTreeSet<i64> = searchable()
            .filter_map(search_type)
            .map(|t| t.code)
            .collect();
        assert_eq!(codes.len(), searchable().count());
        assert!(codes.iter().all(|code| (1..32).contains(code)));
    }

    #[test]
    fn tags_go_and_text_stays() {
        assert_eq!(
            strip_tags("<p>Hello&nbsp;<b>world</b></p>")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["Hello", "world"]
        );
    }
}
