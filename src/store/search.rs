//! The search index's table: one entry per searchable record, replaced or
//! removed in the transaction that writes the record.

use super::{Scope, Tx};
use crate::error::Result;

/// A record's text as the search index holds it.
#[derive(Debug, Clone)]
pub struct SearchEntry {
    /// The record's JSON:API type.
    pub resource_type: &'static str,
    /// The type's code in the index's keys (`Search::code`).
    pub type_code: i64,
    /// The record's id.
    pub record_id: i64,
    /// Its organization.
    pub organization_id: Option<i64>,
    /// What names it (ranked above the body).
    pub title: String,
    /// The rest of its non-secret text.
    pub body: String,
}

/// Bits of an entry's key below the type code: the record id's.
const RECORD_BITS: u32 = 38;
/// Bits of an entry's key below the account id: the type code's and the record id's.
const ACCOUNT_BITS: u32 = RECORD_BITS + 5;

/// The key of an entry: account, type code and record id in one integer
/// (`account << 43 | code << 38 | record`), so that SQLite's full-text
/// index, whose rowid it is, finds an account's matches by a range of its
/// own keys and tells their types without reading the entries. It holds
/// accounts below 2^20, codes below 32 and record ids below 2^38.
pub fn search_key(account_id: i64, type_code: i64, record_id: i64) -> Result<i64> {
    if !(0..1 << (63 - ACCOUNT_BITS)).contains(&account_id)
        || !(1..32).contains(&type_code)
        || !(0..1 << RECORD_BITS).contains(&record_id)
    {
        return Err(crate::error::Error::Internal(anyhow::anyhow!(
            "search entry out of the key's range: account {account_id}, type {type_code}, record {record_id}"
        )));
    }
    Ok(account_id << ACCOUNT_BITS | type_code << RECORD_BITS | record_id)
}

/// The keys of `account_id`'s entries, first and last.
fn account_keys(account_id: i64) -> (i64, i64) {
    let first = account_id << ACCOUNT_BITS;
    (first, first + (1 << ACCOUNT_BITS) - 1)
}

/// Applies the full-text index's changes waiting in `search_pending`, in
/// the order they were made, and empties it (SQLite, in the write group's
/// transaction, just before its `COMMIT`). FTS5 then writes one segment
/// for the whole group; fed a savepoint at a time, it wrote one per write.
pub(crate) fn index_pending(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    let pending: Vec<(Option<String>, i64, String, String)> = connection
        .prepare_cached("SELECT command, search_key, title, body FROM search_pending ORDER BY seq")?
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if pending.is_empty() {
        return Ok(());
    }
    let mut apply = connection.prepare_cached(
        "INSERT INTO search_index (search_index, rowid, title, body) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (command, key, title, body) in &pending {
        apply.execute(rusqlite::params![command, key, title, body])?;
    }
    connection
        .prepare_cached("DELETE FROM search_pending")?
        .execute([])?;
    Ok(())
}

impl Tx {
    /// Writes `entries`, replacing those of the same records: one
    /// statement per 200 entries.
    pub async fn put_search_entries(
        &mut self,
        scope: Scope,
        entries: &[SearchEntry],
    ) -> Result<()> {
        for chunk in entries.chunks(200) {
            let mut sql = self.sql();
            sql.push(
                "INSERT INTO search_entries (search_key, account_id, resource_type, record_id, \
                 organization_id, title, body) VALUES ",
            );
            for (i, entry) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let key = search_key(scope.account_id(), entry.type_code, entry.record_id)?;
                sql.push("(")
                    .bind(key)
                    .push(", ")
                    .bind(scope.account_id())
                    .push(", ")
                    .bind(entry.resource_type)
                    .push(", ")
                    .bind(entry.record_id)
                    .push(", ")
                    .bind(entry.organization_id)
                    .push(", ")
                    .bind(entry.title.as_str())
                    .push(", ")
                    .bind(entry.body.as_str())
                    .push(")");
            }
            sql.push(
                " ON CONFLICT (search_key) DO UPDATE SET \
                 organization_id = excluded.organization_id, title = excluded.title, \
                 body = excluded.body",
            );
            self.execute(&sql).await?;
        }
        Ok(())
    }

    /// Removes the entry of record `record_id` of `resource_type`, if any.
    pub async fn delete_search_entry(
        &mut self,
        scope: Scope,
        resource_type: &str,
        record_id: i64,
    ) -> Result<()> {
        self.delete_search_entries(scope, resource_type, &[record_id])
            .await
    }

    /// Removes the entries of records `ids` of `resource_type`.
    pub async fn delete_search_entries(
        &mut self,
        scope: Scope,
        resource_type: &str,
        ids: &[i64],
    ) -> Result<()> {
        for chunk in ids.chunks(500) {
            let mut sql = self.sql();
            sql.push("DELETE FROM search_entries WHERE account_id = ")
                .bind(scope.account_id())
                .push(" AND resource_type = ")
                .bind(resource_type)
                .push(" AND record_id IN ")
                .bind_list(chunk.iter().copied());
            self.execute(&sql).await?;
        }
        Ok(())
    }

    /// Removes every entry of organization `organization_id` (its delete
    /// cascades to what it holds).
    pub async fn delete_organization_search_entries(
        &mut self,
        scope: Scope,
        organization_id: i64,
    ) -> Result<()> {
        let mut sql = self.sql();
        sql.push("DELETE FROM search_entries WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND organization_id = ")
            .bind(organization_id);
        self.execute(&sql).await?;
        Ok(())
    }
}

/// What a search asks the index for: the words (already split into
/// phrases of normalised terms by [`terms_of`]), and where to look.
#[derive(Debug, Clone)]
pub struct SearchFilter<'a> {
    /// Each query word as its normalised terms (`10.0.0.5` is `10 0 0 5`);
    /// a record matches when it holds every word, the last term of each
    /// as a prefix.
    pub words: &'a [Vec<String>],
    /// Only this organization's records (and the organization itself).
    pub organization_id: Option<i64>,
    /// Only these types (none: every searchable type).
    pub types: &'a [SearchType],
    /// The types whose matches are counted (every searchable type, or
    /// `types`).
    pub counted: &'a [SearchType],
}

/// A searchable type as the index knows it.
#[derive(Debug, Clone, Copy)]
pub struct SearchType {
    /// Its JSON:API type.
    pub json_type: &'static str,
    /// Its code in the index's keys.
    pub code: i64,
}

/// One page of matches, best first, with the number per type.
#[derive(Debug, Default)]
pub struct SearchHits {
    /// (JSON:API type, record id), best first.
    pub hits: Vec<(String, i64)>,
    /// Matches per JSON:API type over the whole search (not the page);
    /// when not [`SearchHits::exact`], over the matches read.
    pub counts: Vec<(String, u64)>,
    /// Whether `counts` count every match: false when the words are in
    /// more records than a search reads ([`SEARCH_WINDOW`] + 1 besides
    /// those whose title holds them).
    pub exact: bool,
}

/// The most matches a search counts and ranks besides those whose title
/// holds the words (it reads one more, to know whether there are more): a
/// word found in more records than this is not what narrows a search, and
/// ranking each match is what a search costs.
pub const SEARCH_WINDOW: i64 = 1000;

/// `text` as the index keeps it and a query word is matched: lower case,
/// every character that is neither a letter nor a digit a space, so both
/// stores split an IP address, a MAC address or an email into the same
/// terms.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A query's words, each as its normalised terms; words without a letter
/// or a digit are left out.
pub fn terms_of(query: &str) -> Vec<Vec<String>> {
    query
        .split_whitespace()
        .map(|word| {
            normalise(word)
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|terms| !terms.is_empty())
        .collect()
}

impl super::Store {
    /// A page of `size` matches of `filter` in the account (page `number`,
    /// 1-based), best first: SQLite ranks by FTS5's bm25 with the title
    /// weighing ten times the body, PostgreSQL by `ts_rank` with the title
    /// weighted `A`.
    pub async fn search(
        &self,
        scope: Scope,
        filter: &SearchFilter<'_>,
        size: u32,
        number: u32,
    ) -> Result<SearchHits> {
        if filter.words.is_empty() {
            return Ok(SearchHits {
                exact: true,
                ..SearchHits::default()
            });
        }
        let offset = i64::from(size) * i64::from(number.saturating_sub(1));
        match self.dialect() {
            super::Dialect::Sqlite => self.search_sqlite(scope, filter, size, offset).await,
            super::Dialect::Postgres => self.search_postgres(scope, filter, size, offset).await,
        }
    }

    /// SQLite: the full-text index alone answers, its rowids being the
    /// entries' keys ([`search_key`]): the account is a range of them and
    /// the type a part of each, so only an organization filter reads the
    /// entries themselves. Ranking a match (bm25) reads its column sizes,
    /// so, as on PostgreSQL, a search reads at most [`SEARCH_WINDOW`] + 1
    /// matches (`broad`, in key order) and the matches whose title holds
    /// the words beside them (`titled`, ranked by their title alone).
    async fn search_sqlite(
        &self,
        scope: Scope,
        filter: &SearchFilter<'_>,
        size: u32,
        offset: i64,
    ) -> Result<SearchHits> {
        use super::ColumnType;
        let expression = filter
            .words
            .iter()
            .map(|terms| format!("\"{}\"*", terms.join(" ")))
            .collect::<Vec<_>>()
            .join(" ");
        let in_title = format!("title : ({expression})");
        let (first, last) = account_keys(scope.account_id());
        let matches = |sql: &mut super::Sql, expression: &str| {
            sql.push(
                "SELECT search_index.rowid AS k, bm25(search_index, 10.0, 1.0) AS rank \
                 FROM search_index",
            );
            if filter.organization_id.is_some() {
                sql.push(" JOIN search_entries e ON e.search_key = search_index.rowid");
            }
            sql.push(" WHERE search_index MATCH ")
                .bind(expression)
                .push(" AND search_index.rowid BETWEEN ")
                .bind(first)
                .push(" AND ")
                .bind(last);
            if let Some(organization) = filter.organization_id {
                sql.push(" AND e.organization_id = ").bind(organization);
            }
            if !filter.types.is_empty() {
                sql.push(&format!(
                    " AND ((search_index.rowid >> {RECORD_BITS}) & 31) IN "
                ))
                .bind_list(filter.types.iter().map(|t| t.code));
            }
        };
        // The window `m`: its rows, whether each came from `broad`.
        let window = |sql: &mut super::Sql| {
            sql.push("WITH broad AS MATERIALIZED (");
            matches(sql, &expression);
            sql.push(&format!(" LIMIT {}), titled AS (", SEARCH_WINDOW + 1));
            matches(sql, &in_title);
            // Only when `broad` is not every match (SQLite checks a term
            // that reads no table before it runs the query).
            sql.push(&format!(
                " AND (SELECT COUNT(*) FROM broad) > {SEARCH_WINDOW} \
                 AND search_index.rowid NOT IN (SELECT k FROM broad) LIMIT {SEARCH_WINDOW}), \
                 m AS (SELECT k, rank, 1 AS broad FROM broad \
                 UNION ALL SELECT k, rank, 0 FROM titled) "
            ));
        };
        let mut page = self.sql();
        window(&mut page);
        page.push("SELECT k FROM m ORDER BY rank, k LIMIT ")
            .bind(i64::from(size))
            .push(" OFFSET ")
            .bind(offset);
        let mut counted = self.sql();
        window(&mut counted);
        counted.push(&format!(
            "SELECT (k >> {RECORD_BITS}) & 31, COUNT(*), SUM(broad) FROM m GROUP BY 1"
        ));
        let (rows, counts) = tokio::try_join!(
            self.fetch(&page, &[ColumnType::Int]),
            self.fetch(
                &counted,
                &[ColumnType::Int, ColumnType::Int, ColumnType::Int]
            ),
        )?;
        let type_of = |code: i64| {
            filter
                .counted
                .iter()
                .find(|t| t.code == code)
                .map(|t| t.json_type.to_string())
        };
        let hits = rows
            .iter()
            .filter_map(|row| {
                let key = row[0].as_i64()?;
                let kind = type_of((key >> RECORD_BITS) & 31)?;
                Some((kind, key & ((1 << RECORD_BITS) - 1)))
            })
            .collect();
        let broad: i64 = counts.iter().filter_map(|row| row[2].as_i64()).sum();
        let counts = counts
            .iter()
            .filter_map(|row| {
                let kind = type_of(row[0].as_i64()?)?;
                Some((kind, row[1].as_i64().unwrap_or(0) as u64))
            })
            .collect();
        Ok(SearchHits {
            hits,
            counts,
            exact: broad <= SEARCH_WINDOW,
        })
    }

    /// PostgreSQL: the matches are found by the GIN index, but counting
    /// or ranking one needs its row: a word in 9,054 of 125,000 entries
    /// visits 5,198 table pages (16 ms of a 22 ms statement). So a search
    /// reads at most [`SEARCH_WINDOW`] + 1 matches in the index's order
    /// (`broad`), and every entry whose title alone holds the words
    /// (`titled`, from a GIN index of the titles, at most
    /// [`SEARCH_WINDOW`]), so the records a common word names are never
    /// left out. When `broad` finds more than [`SEARCH_WINDOW`], the
    /// counts are of what was read ([`SearchHits::exact`] is false).
    ///
    /// The page carries the counts, so the window is read once. The
    /// query's words are parsed once per statement, in a subquery:
    /// sessions keep one plan per statement (`plan_cache_mode`), and in a
    /// plan made for any words `to_tsquery('simple', $n)` written inline is
    /// parsed again for every match it is tested against and ranked on.
    async fn search_postgres(
        &self,
        scope: Scope,
        filter: &SearchFilter<'_>,
        size: u32,
        offset: i64,
    ) -> Result<SearchHits> {
        use super::ColumnType;
        let expression = filter
            .words
            .iter()
            .map(|terms| format!("({}:*)", terms.join(" <-> ")))
            .collect::<Vec<_>>()
            .join(" & ");
        let words = |sql: &mut super::Sql| {
            sql.push("(SELECT to_tsquery('simple', ")
                .bind(expression.as_str())
                .push("))");
        };
        let ranked = |sql: &mut super::Sql| {
            sql.push("SELECT e.search_key, e.resource_type, e.record_id, ts_rank('{0, 0, 0.1, 1.0}', e.document, ");
            words(sql);
            sql.push(") AS rank");
        };
        let narrowed = |sql: &mut super::Sql| {
            sql.push(" AND e.account_id = ").bind(scope.account_id());
            if let Some(organization) = filter.organization_id {
                sql.push(" AND e.organization_id = ").bind(organization);
            }
            if !filter.types.is_empty() {
                sql.push(" AND e.resource_type IN ")
                    .bind_list(filter.types.iter().map(|t| t.json_type));
            }
        };
        // The window `m`: its rows, whether each came from `broad`.
        let window = |sql: &mut super::Sql| {
            sql.push("WITH broad AS MATERIALIZED (");
            ranked(sql);
            sql.push(" FROM search_entries e WHERE e.document @@ ");
            words(sql);
            narrowed(sql);
            // The window's bounds are written, not bound: a plan made for
            // any LIMIT expects to stop at a tenth of the rows, and chose to
            // read the whole table for a word in six records.
            sql.push(&format!(" LIMIT {}", SEARCH_WINDOW + 1));
            sql.push("), titled AS (");
            ranked(sql);
            // Only when `broad` is not every match (checked once, before
            // the titles are searched: a phrase's titles are rechecked row
            // by row).
            sql.push(&format!(
                " FROM search_entries e WHERE (SELECT COUNT(*) FROM broad) > {SEARCH_WINDOW} \
                 AND to_tsvector('simple', e.title) @@ "
            ));
            words(sql);
            narrowed(sql);
            sql.push(&format!(
                " AND e.search_key NOT IN (SELECT search_key FROM broad) LIMIT {SEARCH_WINDOW}"
            ));
            sql.push(
                "), m AS (SELECT resource_type, record_id, rank, TRUE AS broad FROM broad \
                 UNION ALL SELECT resource_type, record_id, rank, FALSE FROM titled) ",
            );
        };
        let mut page = self.sql();
        window(&mut page);
        page.push("SELECT m.resource_type, m.record_id, COUNT(*) FILTER (WHERE m.broad) OVER ()");
        for kind in filter.counted {
            page.push(", COUNT(*) FILTER (WHERE m.resource_type = ")
                .bind(kind.json_type)
                .push(") OVER ()");
        }
        page.push(" FROM m ORDER BY m.rank DESC, m.record_id LIMIT ")
            .bind(i64::from(size))
            .push(" OFFSET ")
            .bind(offset);
        let mut kinds = vec![ColumnType::Text, ColumnType::Int, ColumnType::Int];
        kinds.extend(filter.counted.iter().map(|_| ColumnType::Int));
        let rows = self.fetch(&page, &kinds).await?;
        let count = |cell: &super::Cell| cell.as_i64().unwrap_or(0).max(0) as u64;
        let (counts, broad) = match rows.first() {
            Some(row) => (
                filter
                    .counted
                    .iter()
                    .zip(&row[3..])
                    .map(|(kind, n)| (kind.json_type.to_string(), count(n)))
                    .filter(|(_, n)| *n > 0)
                    .collect(),
                count(&row[2]),
            ),
            // A page past the last: the counts on their own.
            None => {
                let mut counted = self.sql();
                window(&mut counted);
                counted.push(
                    "SELECT m.resource_type, COUNT(*), COUNT(*) FILTER (WHERE m.broad) \
                     FROM m GROUP BY m.resource_type",
                );
                let rows = self
                    .fetch(
                        &counted,
                        &[ColumnType::Text, ColumnType::Int, ColumnType::Int],
                    )
                    .await?;
                let broad = rows.iter().map(|row| count(&row[2])).sum();
                let counts = rows
                    .iter()
                    .map(|row| {
                        (
                            row[0].as_str().unwrap_or_default().to_string(),
                            count(&row[1]),
                        )
                    })
                    .collect();
                (counts, broad)
            }
        };
        let hits = rows
            .iter()
            .map(|row| {
                (
                    row[0].as_str().unwrap_or_default().to_string(),
                    row[1].as_i64().unwrap_or(0),
                )
            })
            .collect();
        Ok(SearchHits {
            hits,
            counts,
            exact: broad <= SEARCH_WINDOW as u64,
        })
    }

    /// The version of the search index the database holds (0: never built).
    pub async fn search_index_version(&self) -> Result<i64> {
        let mut sql = self.sql();
        sql.push("SELECT COALESCE(MAX(version), 0) FROM search_index_state");
        let rows = self.fetch(&sql, &[super::ColumnType::Int]).await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(|c| c.as_i64())
            .unwrap_or(0))
    }

    /// Records that the search index is built at `version`.
    pub async fn set_search_index_version(&self, version: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push("DELETE FROM search_index_state");
        tx.execute(&sql).await?;
        let mut sql = tx.sql();
        sql.push("INSERT INTO search_index_state (version) VALUES (")
            .bind(version)
            .push(")");
        tx.execute(&sql).await?;
        tx.commit().await
    }

    /// The ids of every account.
    pub async fn account_ids(&self) -> Result<Vec<i64>> {
        let mut sql = self.sql();
        sql.push("SELECT id FROM accounts ORDER BY id");
        Ok(self
            .fetch(&sql, &[super::ColumnType::Int])
            .await?
            .into_iter()
            .filter_map(|r| r.first().and_then(|c| c.as_i64()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_alike_on_both_stores() {
        assert_eq!(
            normalise("Host 10.0.0.5, MAC 00:1A:2B"),
            "host 10 0 0 5 mac 00 1a 2b"
        );
        assert_eq!(
            terms_of("  alice@Example.com  -- fw01 "),
            vec![vec!["alice", "example", "com"], vec!["fw01"]]
        );
    }
}
