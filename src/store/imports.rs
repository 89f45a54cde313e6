//! What `mortar import` brought in: for each source record, the record it
//! became here and the source's `updated-at` when it was written. Written
//! in the transaction of the record's own write, so an import stopped at
//! any point (Ctrl-C, kill -9) continues without making a record twice.

use std::collections::HashMap;

use super::{ColumnType, Scope, Store, Tx};
use crate::error::Result;

/// A source record, as the import map keys it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The source's base URL.
    pub source: String,
    /// The source's JSON:API type of the record (e.g. `configurations`).
    pub resource_type: String,
    /// The record's id at the source.
    pub source_id: String,
    /// Its `updated-at` at the source.
    pub updated_at: Option<String>,
}

impl Tx {
    /// Notes that `origin` became record `target` of `scope`'s account.
    pub async fn record_origin(
        &mut self,
        scope: Scope,
        origin: &Origin,
        target: i64,
    ) -> Result<()> {
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO import_map (account_id, source, resource_type, source_id, target_id, \
             source_updated_at) VALUES (",
        )
        .bind(scope.account_id())
        .push(", ")
        .bind(origin.source.as_str())
        .push(", ")
        .bind(origin.resource_type.as_str())
        .push(", ")
        .bind(origin.source_id.as_str())
        .push(", ")
        .bind(target)
        .push(", ")
        .bind(origin.updated_at.clone())
        .push(
            ") ON CONFLICT (account_id, source, resource_type, source_id) DO UPDATE SET \
             target_id = excluded.target_id, source_updated_at = excluded.source_updated_at",
        );
        self.execute(&sql).await?;
        Ok(())
    }
}

impl Store {
    /// The records of `resource_type` imported from `source` into `scope`'s
    /// account: source id to (record id, source `updated-at`).
    pub async fn origins(
        &self,
        scope: Scope,
        source: &str,
        resource_type: &str,
    ) -> Result<HashMap<String, (i64, Option<String>)>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT source_id, target_id, source_updated_at FROM import_map WHERE account_id = ",
        )
        .bind(scope.account_id())
        .push(" AND source = ")
        .bind(source)
        .push(" AND resource_type = ")
        .bind(resource_type);
        let rows = self
            .fetch(&sql, &[ColumnType::Text, ColumnType::Int, ColumnType::Text])
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let source_id = row[0].as_str()?.to_string();
                let target = row[1].as_i64()?;
                Some((source_id, (target, row[2].as_str().map(str::to_string))))
            })
            .collect())
    }
}
