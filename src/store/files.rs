//! Where attachment files are: the download route's lookup and the
//! start-up sweep's list of referenced blobs.

use super::{ColumnType, Scope, Store};
use crate::error::Result;

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
