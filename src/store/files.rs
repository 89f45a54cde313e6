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
    /// The avatar of user `id`, if they have one and are in the caller's account.
    pub async fn avatar_file(&self, scope: Scope, id: i64) -> Result<Option<StoredFile>> {
        let mut sql = self.sql();
        sql.push("SELECT avatar_path, avatar_content_type FROM users WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND id = ")
            .bind(id)
            .push(" AND avatar_path IS NOT NULL");
        let rows = self
            .fetch(&sql, &[ColumnType::Text, ColumnType::Text])
            .await?;
        Ok(rows.into_iter().next().and_then(|row| {
            let content_type = row[1].as_str()?.to_string();
            let extension = content_type.rsplit('/').next().unwrap_or("img").to_string();
            Some(StoredFile {
                blob_key: row[0].as_str()?.to_string(),
                file_name: format!("avatar-{id}.{extension}"),
                content_type,
            })
        }))
    }

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

/// Every blob key a row references: attachments' files and users'
/// avatars. The start-up sweep keeps these files; a backup copies them.
pub const REFERENCED_BLOBS: &str = "SELECT blob_key FROM attachments \
     UNION ALL SELECT avatar_path FROM users WHERE avatar_path IS NOT NULL ORDER BY 1";

/// Whether a row references the blob key bound to `placeholder` (`?1`, `$1`).
pub fn references_blob(placeholder: &str) -> String {
    format!(
        "SELECT EXISTS (SELECT 1 FROM attachments WHERE blob_key = {placeholder}) \
         OR EXISTS (SELECT 1 FROM users WHERE avatar_path = {placeholder})"
    )
}

impl Store {
    /// Every blob key a row references, in every account: the
    /// start-up sweep keeps these files and removes the rest. Housekeeping
    /// across accounts, so it takes no scope and returns no account data.
    pub async fn referenced_blobs(&self) -> Result<std::collections::HashSet<String>> {
        let mut sql = self.sql();
        sql.push(REFERENCED_BLOBS);
        Ok(self
            .fetch(&sql, &[ColumnType::Text])
            .await?
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .filter_map(|cell| cell.as_str().map(str::to_string))
            .collect())
    }

    /// What every export row records of its zip (`file_path`): the
    /// exports a sweep must keep.
    pub async fn referenced_exports(&self) -> Result<std::collections::HashSet<String>> {
        let mut sql = self.sql();
        sql.push("SELECT file_path FROM exports WHERE file_path IS NOT NULL");
        Ok(self
            .fetch(&sql, &[ColumnType::Text])
            .await?
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .filter_map(|cell| cell.as_str().map(str::to_string))
            .collect())
    }
}
