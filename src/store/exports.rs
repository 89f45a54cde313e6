//! What the export job reads and writes beside the records it exports: the
//! export's own row and the attachment files to put in the zip.

use super::{Arg, ColumnType, Scope, Store};
use crate::clock::now_millis;
use crate::error::Result;

/// An export as its job sees it.
#[derive(Debug, Clone)]
pub struct ExportTask {
    /// The organization exported, or `None` for the whole account.
    pub organization_id: Option<i64>,
    /// Whether the activity log goes in.
    pub include_logs: bool,
    /// Whether password values go in (the requester could read them).
    pub with_passwords: bool,
    /// The sealed zip password, when the zip is encrypted.
    pub sealed_password: Option<String>,
    /// The requesting key, for the activity log of reveals.
    pub api_key_id: Option<i64>,
    /// The requesting user.
    pub user_id: Option<i64>,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
}

/// One attachment's file, to copy into an export.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    /// The attachment's id.
    pub id: i64,
    /// The class of the record it hangs off (`Configuration`).
    pub resource_type: String,
    /// That record's id.
    pub resource_id: i64,
    /// The uploaded file name.
    pub file_name: String,
    /// Where the bytes are.
    pub blob_key: String,
}

impl Store {
    /// Export `id` of the account, if it exists.
    pub async fn export_task(&self, scope: Scope, id: i64) -> Result<Option<ExportTask>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT organization_id, include_logs, with_passwords, zip_password, api_key_id, \
             user_id, status FROM exports WHERE account_id = ",
        )
        .bind(scope.account_id())
        .push(" AND id = ")
        .bind(id);
        let kinds = [
            ColumnType::Int,
            ColumnType::Bool,
            ColumnType::Bool,
            ColumnType::Text,
            ColumnType::Int,
            ColumnType::Int,
            ColumnType::Text,
        ];
        Ok(self.fetch(&sql, &kinds).await?.first().map(|r| ExportTask {
            organization_id: r[0].as_i64(),
            include_logs: matches!(r[1], super::Cell::Bool(true)),
            with_passwords: matches!(r[2], super::Cell::Bool(true)),
            sealed_password: r[3].as_str().map(str::to_string),
            api_key_id: r[4].as_i64(),
            user_id: r[5].as_i64(),
            status: r[6].as_str().unwrap_or_default().to_string(),
        }))
    }

    /// Sets export `id`'s status (and its error, or its finished file); a
    /// finished or failed export forgets its zip password.
    pub async fn set_export_status(
        &self,
        scope: Scope,
        id: i64,
        status: &str,
        error: Option<&str>,
        file: Option<(&str, i64)>,
    ) -> Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE exports SET status = ")
            .bind(status)
            .push(", error = ")
            .bind(error.map(str::to_string))
            .push(", updated_at = ")
            .bind(now_millis());
        if let Some((path, size)) = file {
            sql.push(", file_path = ")
                .bind(path)
                .push(", file_size = ")
                .bind(size);
        }
        if status == "done" || status == "failed" {
            sql.push(", zip_password = ").bind(Arg::Text(None));
        }
        sql.push(" WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND id = ")
            .bind(id);
        self.execute(&sql).await?;
        Ok(())
    }

    /// The finished file of export `id` of the account, if there is one.
    pub async fn export_file(&self, scope: Scope, id: i64) -> Result<Option<String>> {
        let mut sql = self.sql();
        sql.push("SELECT file_path FROM exports WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND id = ")
            .bind(id)
            .push(" AND status = 'done'");
        Ok(self
            .fetch(&sql, &[ColumnType::Text])
            .await?
            .first()
            .and_then(|r| r[0].as_str().map(str::to_string)))
    }

    /// The attachments of the account (of one organization, when given),
    /// in id order.
    pub async fn attachment_files(
        &self,
        scope: Scope,
        organization: Option<i64>,
    ) -> Result<Vec<AttachmentFile>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT id, resource_type, resource_id, file_name, blob_key FROM attachments \
             WHERE account_id = ",
        )
        .bind(scope.account_id());
        if let Some(organization) = organization {
            sql.push(" AND organization_id = ").bind(organization);
        }
        sql.push(" ORDER BY id");
        let kinds = [
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Text,
        ];
        let text = |c: &super::Cell| c.as_str().unwrap_or_default().to_string();
        Ok(self
            .fetch(&sql, &kinds)
            .await?
            .into_iter()
            .map(|r| AttachmentFile {
                id: r[0].as_i64().unwrap_or_default(),
                resource_type: text(&r[1]),
                resource_id: r[2].as_i64().unwrap_or_default(),
                file_name: text(&r[3]),
                blob_key: text(&r[4]),
            })
            .collect())
    }

    /// Removes the exports created before `before` (ms) with their files
    /// (from `files`), in every account; how many went. Each row goes before
    /// its file, so no row is left pointing at a missing file.
    pub async fn delete_old_exports(
        &self,
        before: i64,
        files: &dyn crate::files::BlobStore,
    ) -> Result<u64> {
        let mut removed = 0;
        loop {
            let mut sql = self.sql();
            sql.push("SELECT id, file_path FROM exports WHERE created_at < ")
                .bind(before)
                .push(" ORDER BY id LIMIT 100");
            let rows = self
                .fetch(&sql, &[ColumnType::Int, ColumnType::Text])
                .await?;
            if rows.is_empty() {
                return Ok(removed);
            }
            let ids: Vec<i64> = rows.iter().filter_map(|row| row[0].as_i64()).collect();
            let mut sql = self.sql();
            sql.push("DELETE FROM exports WHERE id IN ")
                .bind_list(ids.iter().copied());
            removed += self.execute(&sql).await?;
            for path in rows.iter().filter_map(|row| row[1].as_str()) {
                if let Err(error) = files.remove_export(path).await {
                    tracing::warn!(%error, path, "could not remove an old export's file");
                }
            }
        }
    }
}
