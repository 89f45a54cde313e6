//! The idempotency keys' table: claim a key for a request, keep the first
//! response, release it when the request failed on our side, and remove
//! expired keys. What a key means over HTTP is `crate::http::idempotency`.

use super::{Cell, ColumnType, Scope, Store};
use crate::error::Result;

/// How long a key's first response is kept and replayed.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, when there was one.
    pub content_type: Option<String>,
    /// `ETag`, when there was one.
    pub etag: Option<String>,
    /// The body (empty for a 204).
    pub body: String,
}

/// What a claim of a key found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is new (or expired): the request runs, and its response is
    /// kept with [`Store::keep_idempotent_response`].
    Fresh,
    /// The same request ran already: here is its response.
    Replay(StoredResponse),
    /// The key was used with another request.
    Mismatch,
    /// The same request is running now, since the given time (ms).
    Running {
        /// When it started.
        since: i64,
    },
}

impl Store {
    /// Claims `key` in `scope` for a request with `fingerprint` at `now`
    /// (ms), in one write transaction so that two concurrent requests with
    /// one key cannot both run.
    pub async fn claim_idempotency_key(
        &self,
        scope: Scope,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> Result<Claim> {
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, created_at) \
             VALUES (",
        )
        .bind(scope.account_id())
        .push(", ")
        .bind(key)
        .push(", ")
        .bind(fingerprint)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (account_id, idempotency_key) DO NOTHING");
        if tx.execute(&sql).await? == 1 {
            tx.commit().await?;
            return Ok(Claim::Fresh);
        }
        let mut sql = tx.sql();
        sql.push(
            "SELECT fingerprint, status, content_type, etag, body, created_at \
             FROM idempotency_keys WHERE account_id = ",
        )
        .bind(scope.account_id())
        .push(" AND idempotency_key = ")
        .bind(key);
        if tx.dialect() == super::Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        let kinds = [
            ColumnType::Text,
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Int,
        ];
        let row = tx.fetch(&sql, &kinds).await?.pop().unwrap_or_default();
        let created_at = row.get(5).and_then(Cell::as_i64).unwrap_or_default();
        if created_at < now - IDEMPOTENCY_TTL_MS {
            // Expired: the key starts again for this request.
            let mut sql = tx.sql();
            sql.push("UPDATE idempotency_keys SET fingerprint = ")
                .bind(fingerprint)
                .push(
                    ", status = NULL, content_type = NULL, etag = NULL, body = NULL, created_at = ",
                )
                .bind(now)
                .push(" WHERE account_id = ")
                .bind(scope.account_id())
                .push(" AND idempotency_key = ")
                .bind(key);
            tx.execute(&sql).await?;
            tx.commit().await?;
            return Ok(Claim::Fresh);
        }
        tx.commit().await?;
        let text = |i: usize| row.get(i).and_then(Cell::as_str).map(str::to_string);
        if text(0).as_deref() != Some(fingerprint) {
            return Ok(Claim::Mismatch);
        }
        Ok(match row.get(1).and_then(Cell::as_i64) {
            None => Claim::Running { since: created_at },
            Some(status) => Claim::Replay(StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                content_type: text(2),
                etag: text(3),
                body: text(4).unwrap_or_default(),
            }),
        })
    }

    /// Keeps `response` as the answer of the request that claimed `key`.
    pub async fn keep_idempotent_response(
        &self,
        scope: Scope,
        key: &str,
        response: &StoredResponse,
    ) -> Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE idempotency_keys SET status = ")
            .bind(i64::from(response.status))
            .push(", content_type = ")
            .bind(response.content_type.clone())
            .push(", etag = ")
            .bind(response.etag.clone())
            .push(", body = ")
            .bind(response.body.as_str())
            .push(" WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND idempotency_key = ")
            .bind(key);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Frees `key` after its request failed in a way a retry may not (a
    /// 5xx, a rate limit): the next request with it runs afresh.
    pub async fn release_idempotency_key(&self, scope: Scope, key: &str) -> Result<()> {
        let mut sql = self.sql();
        sql.push("DELETE FROM idempotency_keys WHERE account_id = ")
            .bind(scope.account_id())
            .push(" AND idempotency_key = ")
            .bind(key)
            .push(" AND status IS NULL");
        self.execute(&sql).await?;
        Ok(())
    }
}
