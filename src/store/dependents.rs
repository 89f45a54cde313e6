//! Records that hang off another record by `resource_type` + `resource_id`
//! (embedded passwords, attachments, related items, expirations): they go
//! when it goes, and embedded passwords follow its renames. Rows owned
//! through a foreign key (interfaces of a configuration, everything of an
//! organization) cascade in the schema instead. Also where an attachment's
//! file is kept, for the download route.

use super::{Cell, Record, Scope, Store, Tx};
use crate::error::Result;
use crate::resources::passwords::EMBEDDABLE;
use crate::resources::{ColumnType, Resource};

/// Largest id list bound into one statement.
const CHUNK: usize = 500;

/// What a delete leaves to do once its transaction has committed.
#[derive(Debug, Default)]
pub struct Removed {
    /// Blob keys of the attachments deleted (with the records, or as the records).
    pub blobs: Vec<String>,
}

/// Deletes what belongs to records `ids` of the class-style type `kind`
/// (`Configuration`, `Organization`, ...), in the caller's transaction.
pub async fn delete(tx: &mut Tx, scope: Scope, kind: &str, ids: &[i64]) -> Result<Removed> {
    let mut removed = Removed::default();
    let account = scope.account_id();
    for chunk in ids.chunks(CHUNK) {
        if kind == "Attachment" {
            // Attachments deleted themselves release their own blobs.
            let mut sql = tx.sql();
            sql.push("SELECT blob_key FROM attachments WHERE account_id = ")
                .bind(account)
                .push(" AND id IN ")
                .bind_list(chunk.iter().copied());
            collect_blobs(tx, &sql, &mut removed).await?;
            continue;
        }
        if kind == "Organization" {
            // Everything of an organization cascades in the schema; only the
            // attachment blobs need collecting before their rows go.
            let mut sql = tx.sql();
            sql.push("SELECT blob_key FROM attachments WHERE account_id = ")
                .bind(account)
                .push(" AND organization_id IN ")
                .bind_list(chunk.iter().copied());
            collect_blobs(tx, &sql, &mut removed).await?;
        } else if kind != "Password" {
            let mut sql = tx.sql();
            sql.push("SELECT id FROM passwords WHERE account_id = ")
                .bind(account)
                .push(" AND resource_type = ")
                .bind(kind)
                .push(" AND resource_id IN ")
                .bind_list(chunk.iter().copied());
            let embedded: Vec<i64> = tx
                .fetch(&sql, &[ColumnType::Int])
                .await?
                .iter()
                .filter_map(|r| r[0].as_i64())
                .collect();
            if !embedded.is_empty() {
                let nested = Box::pin(delete(tx, scope, "Password", &embedded)).await?;
                removed.blobs.extend(nested.blobs);
                for inner in embedded.chunks(CHUNK) {
                    let mut sql = tx.sql();
                    sql.push("DELETE FROM passwords WHERE account_id = ")
                        .bind(account)
                        .push(" AND id IN ")
                        .bind_list(inner.iter().copied());
                    tx.execute(&sql).await?;
                }
            }
        }
        let mut sql = tx.sql();
        sql.push("SELECT blob_key FROM attachments WHERE account_id = ")
            .bind(account)
            .push(" AND resource_type = ")
            .bind(kind)
            .push(" AND resource_id IN ")
            .bind_list(chunk.iter().copied());
        collect_blobs(tx, &sql, &mut removed).await?;
        for table in ["attachments", "expirations"] {
            let mut sql = tx.sql();
            sql.push("DELETE FROM ")
                .push(table)
                .push(" WHERE account_id = ")
                .bind(account)
                .push(" AND resource_type = ")
                .bind(kind)
                .push(" AND resource_id IN ")
                .bind_list(chunk.iter().copied());
            tx.execute(&sql).await?;
        }
        let mut sql = tx.sql();
        sql.push("DELETE FROM related_items WHERE account_id = ")
            .bind(account)
            .push(" AND ((resource_type = ")
            .bind(kind)
            .push(" AND resource_id IN ")
            .bind_list(chunk.iter().copied())
            .push(") OR (destination_type = ")
            .bind(kind)
            .push(" AND destination_id IN ")
            .bind_list(chunk.iter().copied())
            .push("))");
        tx.execute(&sql).await?;
    }
    Ok(removed)
}

async fn collect_blobs(tx: &mut Tx, sql: &super::Sql, removed: &mut Removed) -> Result<()> {
    for row in tx.fetch(sql, &[ColumnType::Text]).await? {
        if let Some(key) = row[0].as_str() {
            removed.blobs.push(key.to_string());
        }
    }
    Ok(())
}

/// Where an attachment's bytes are and how to serve them.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The blob's key.
    pub blob_key: String,
    /// The original file name.
    pub file_name: String,
    /// The content type detected at upload.
    pub content_type: String,
}

impl Store {
    /// The file of attachment `id`, if it exists in the caller's account.
    pub async fn attachment_file(&self, scope: Scope, id: i64) -> Result<Option<StoredFile>> {
        let mut sql = self.sql();
        sql.push("SELECT blob_key, file_name, content_type FROM attachments WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND id = ")
            .bind(id);
        let rows = self
            .fetch(
                &sql,
                &[ColumnType::Text, ColumnType::Text, ColumnType::Text],
            )
            .await?;
        Ok(rows.into_iter().next().and_then(|row| {
            let text = |i: usize| row.get(i).and_then(|c| c.as_str()).map(str::to_string);
            Some(StoredFile {
                blob_key: text(0)?,
                file_name: text(1)?,
                content_type: text(2)?,
            })
        }))
    }
}

impl Store {
    /// Every blob key an attachment row references, in every account: the
    /// start-up sweep keeps these files and removes the rest. Housekeeping
    /// across accounts, so it takes no scope and returns no account data.
    pub async fn referenced_blobs(&self) -> Result<std::collections::HashSet<String>> {
        let mut sql = self.sql();
        sql.push("SELECT blob_key FROM attachments");
        Ok(self
            .fetch(&sql, &[ColumnType::Text])
            .await?
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .filter_map(|cell| cell.as_str().map(str::to_string))
            .collect())
    }
}

/// Keeps embedded passwords' `cached-resource-name` equal to their record's
/// name after `records` of `resource` were updated.
pub async fn renamed(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    records: &[Record],
) -> Result<()> {
    let Some((kind, _)) = EMBEDDABLE
        .iter()
        .find(|(_, route)| *route == resource.route)
    else {
        return Ok(());
    };
    for record in records {
        let Some(name) = record
            .get(resource, resource.title_field)
            .and_then(Cell::as_str)
        else {
            continue;
        };
        let mut sql = tx.sql();
        sql.push("UPDATE passwords SET cached_resource_name = ")
            .bind(name)
            .push(" WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND resource_type = ")
            .bind(*kind)
            .push(" AND resource_id = ")
            .bind(record.id)
            .push(" AND (cached_resource_name IS NULL OR cached_resource_name <> ")
            .bind(name)
            .push(")");
        tx.execute(&sql).await?;
    }
    Ok(())
}
