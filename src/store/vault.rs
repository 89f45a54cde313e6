//! The vault's tables: the master key's fingerprint and the accounts' wrapped
//! data keys. Only wrapped (encrypted) keys pass through here.

use super::ColumnType;
use super::{Arg, Scope, Store};
use crate::clock::now_millis;
use crate::error::Result;

impl Store {
    /// The fingerprint of the master key the data keys are wrapped under, if recorded.
    pub async fn vault_fingerprint(&self) -> anyhow::Result<Option<String>> {
        let mut sql = self.sql();
        sql.push("SELECT master_fingerprint FROM vault_meta WHERE id = 1");
        Ok(self
            .fetch(&sql, &[ColumnType::Text])
            .await?
            .pop()
            .and_then(|r| r[0].as_str().map(str::to_string)))
    }

    /// Records the master key's fingerprint.
    pub async fn set_vault_fingerprint(&self, fingerprint: &str) -> anyhow::Result<()> {
        let mut sql = self.sql();
        sql.push("INSERT INTO vault_meta (id, master_fingerprint, updated_at) VALUES (1, ")
            .bind(fingerprint)
            .push(", ")
            .bind(now_millis())
            .push(") ON CONFLICT (id) DO UPDATE SET master_fingerprint = excluded.master_fingerprint, updated_at = excluded.updated_at");
        self.execute(&sql).await?;
        Ok(())
    }

    /// How many accounts have a data key (and so may hold secrets).
    pub async fn vault_key_count(&self) -> anyhow::Result<i64> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) FROM vault_keys");
        Ok(self.fetch(&sql, &[ColumnType::Int]).await?[0][0]
            .as_i64()
            .unwrap_or(0))
    }

    /// The account's wrapped data key, if it has one.
    pub async fn wrapped_data_key(&self, scope: Scope) -> Result<Option<String>> {
        let mut sql = self.sql();
        sql.push("SELECT wrapped_key FROM vault_keys WHERE account_id = ")
            .bind(scope.account_id());
        Ok(self
            .fetch(&sql, &[ColumnType::Text])
            .await?
            .pop()
            .and_then(|r| r[0].as_str().map(str::to_string)))
    }

    /// Stores a wrapped data key unless the account has one already, and only
    /// while `fingerprint` is still the recorded master key (a server that
    /// missed a rotation must not wrap new keys under the old master key).
    pub async fn insert_wrapped_data_key(
        &self,
        scope: Scope,
        wrapped: &str,
        fingerprint: &str,
    ) -> Result<()> {
        let now = now_millis();
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO vault_keys (account_id, wrapped_key, created_at, updated_at) SELECT ",
        )
        .bind(scope.account_id())
        .push(", ")
        .bind(wrapped)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(" WHERE EXISTS (SELECT 1 FROM vault_meta WHERE id = 1 AND master_fingerprint = ")
        .bind(fingerprint)
        .push(") ON CONFLICT (account_id) DO NOTHING");
        self.execute(&sql).await?;
        Ok(())
    }

    /// Replaces every wrapped data key by `rewrap(account, wrapped)` and
    /// records the new master key's fingerprint, in one transaction.
    pub async fn rewrap_data_keys(
        &self,
        fingerprint: &str,
        rewrap: impl Fn(i64, &str) -> anyhow::Result<String>,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push("UPDATE vault_meta SET updated_at = ")
            .bind(now_millis())
            .push(" WHERE id = 1");
        // Taking the write lock first keeps new data keys out while we work.
        tx.execute(&sql).await?;
        let mut sql = tx.sql();
        sql.push("SELECT account_id, wrapped_key FROM vault_keys ORDER BY account_id");
        let rows = tx.fetch(&sql, &[ColumnType::Int, ColumnType::Text]).await?;
        for row in rows {
            let (Some(account), Some(wrapped)) = (row[0].as_i64(), row[1].as_str()) else {
                continue;
            };
            let mut sql = tx.sql();
            sql.push("UPDATE vault_keys SET wrapped_key = ")
                .bind(rewrap(account, wrapped)?)
                .push(", updated_at = ")
                .bind(now_millis())
                .push(" WHERE account_id = ")
                .bind(account);
            tx.execute(&sql).await?;
        }
        let mut sql = tx.sql();
        sql.push("UPDATE vault_meta SET master_fingerprint = ")
            .bind(Arg::from(fingerprint))
            .push(" WHERE id = 1");
        tx.execute(&sql).await?;
        tx.commit().await?;
        Ok(())
    }
}
