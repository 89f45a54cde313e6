//! OAuth2 clients and their access tokens: make, list and revoke clients,
//! check a client's secret, keep an issued token, and find the grant of a
//! token. Secrets and tokens are random, shown once and stored as SHA-256
//! digests, as API keys are.

use rand::RngCore as _;

use super::{hash_key, AccountSummary, Authenticated, ColumnType, Scope, Store};
use crate::clock::now_millis;
use crate::error::Result;

/// A client just made: its id and secret, shown once.
#[derive(Debug, Clone)]
pub struct NewClient {
    /// The client's row id (what `mortar clients revoke` takes).
    pub id: i64,
    /// The public client id.
    pub client_id: String,
    /// The client secret.
    pub secret: String,
}

/// A client as `mortar clients list` shows it.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    /// Row id.
    pub id: i64,
    /// The account's name.
    pub account_name: String,
    /// The client's name.
    pub name: String,
    /// The public client id.
    pub client_id: String,
    /// Whether its tokens may read and write password values.
    pub password_access: bool,
    /// Made (ms).
    pub created_at: i64,
    /// Revoked (ms), if it is.
    pub revoked_at: Option<i64>,
}

/// A client found by its id and secret: the row id and the key it acts as.
#[derive(Debug, Clone, Copy)]
pub struct ClientGrant {
    /// Row id.
    pub id: i64,
    /// The key its tokens act as (its rate limit counts issuance too).
    pub key_id: i64,
    /// Its account.
    pub scope: Scope,
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", data_encoding::HEXLOWER.encode(&bytes))
}

impl Store {
    /// Makes a client of `account`, with the key it acts through.
    pub async fn create_client(
        &self,
        account: &AccountSummary,
        name: &str,
        password_access: bool,
    ) -> anyhow::Result<NewClient> {
        let client_id = random_token("mci_");
        let secret = random_token("mcs_");
        let now = now_millis();
        let mut tx = self.begin().await?;
        // The key it acts through: a secret nobody holds.
        let key_id = tx
            .insert_api_key(
                account.id,
                &format!("OAuth client: {name}"),
                &random_token("unused_"),
                &client_id[..12],
                password_access,
                None,
            )
            .await?;
        let mut sql = tx.sql();
        sql.push(
            "INSERT INTO oauth_clients (account_id, client_id, secret_hash, name, api_key_id, created_at) VALUES (",
        )
        .bind(account.id)
        .push(", ")
        .bind(client_id.as_str())
        .push(", ")
        .bind(hash_key(&secret))
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(key_id)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
        let id = tx
            .insert_returning_id(&sql)
            .await?
            .map_err(|_| anyhow::anyhow!("client id collision; try again"))?;
        tx.commit().await?;
        Ok(NewClient {
            id,
            client_id,
            secret,
        })
    }

    /// Every client of every account, oldest first.
    pub async fn list_clients(&self) -> anyhow::Result<Vec<ClientRecord>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT c.id, a.name, c.name, c.client_id, k.password_access, c.created_at, \
             COALESCE(c.revoked_at, k.revoked_at) \
             FROM oauth_clients c JOIN accounts a ON a.id = c.account_id \
             JOIN api_keys k ON k.id = c.api_key_id ORDER BY c.id",
        );
        let kinds = [
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Bool,
            ColumnType::Int,
            ColumnType::Int,
        ];
        Ok(self
            .fetch(&sql, &kinds)
            .await?
            .into_iter()
            .map(|r| ClientRecord {
                id: r[0].as_i64().unwrap_or_default(),
                account_name: r[1].as_str().unwrap_or_default().to_string(),
                name: r[2].as_str().unwrap_or_default().to_string(),
                client_id: r[3].as_str().unwrap_or_default().to_string(),
                password_access: matches!(r[4], super::Cell::Bool(true)),
                created_at: r[5].as_i64().unwrap_or_default(),
                revoked_at: r[6].as_i64(),
            })
            .collect())
    }

    /// Revokes client `id` and the key it acts through; `false` if there is
    /// no such active client. Its tokens stop working with it.
    pub async fn revoke_client(&self, id: i64) -> anyhow::Result<bool> {
        let now = now_millis();
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push("UPDATE oauth_clients SET revoked_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND revoked_at IS NULL");
        let changed = tx.execute(&sql).await? == 1;
        let mut sql = tx.sql();
        sql.push("UPDATE api_keys SET revoked_at = ")
            .bind(now)
            .push(" WHERE revoked_at IS NULL AND id = (SELECT api_key_id FROM oauth_clients WHERE id = ")
            .bind(id)
            .push(")");
        tx.execute(&sql).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// The active client whose public id is `client_id`, with the digest
    /// of its secret, to check a token request against.
    pub async fn find_client(&self, client_id: &str) -> Result<Option<(ClientGrant, String)>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT c.id, c.api_key_id, c.account_id, c.secret_hash FROM oauth_clients c \
             JOIN api_keys k ON k.id = c.api_key_id \
             WHERE c.revoked_at IS NULL AND k.revoked_at IS NULL AND c.client_id = ",
        )
        .bind(client_id);
        let kinds = [
            ColumnType::Int,
            ColumnType::Int,
            ColumnType::Int,
            ColumnType::Text,
        ];
        Ok(self.fetch(&sql, &kinds).await?.first().map(|r| {
            (
                ClientGrant {
                    id: r[0].as_i64().unwrap_or_default(),
                    key_id: r[1].as_i64().unwrap_or_default(),
                    scope: Scope::new(r[2].as_i64().unwrap_or_default()),
                },
                r[3].as_str().unwrap_or_default().to_string(),
            )
        }))
    }

    /// Keeps a new access token of `client` (a row id) valid until
    /// `expires_at` (ms); returns the token, shown once.
    pub async fn issue_token(&self, client: i64, expires_at: i64) -> Result<String> {
        let token = random_token("mat_");
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO oauth_tokens (token_hash, client_id, expires_at, created_at) VALUES (",
        )
        .bind(hash_key(&token))
        .push(", ")
        .bind(client)
        .push(", ")
        .bind(expires_at)
        .push(", ")
        .bind(now_millis())
        .push(")");
        self.execute(&sql).await?;
        Ok(token)
    }

    /// The grant of the unexpired token whose digest is `token_hash` (of an
    /// active client and key), with its expiry (ms).
    pub async fn authenticate_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Authenticated, i64)>> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(super::accounts::GRANT_COLUMNS)
            .push(
                ", t.expires_at FROM oauth_tokens t JOIN oauth_clients c ON c.id = t.client_id \
                 JOIN api_keys k ON k.id = c.api_key_id",
            )
            .push(super::accounts::GRANT_JOIN)
            .push("WHERE c.revoked_at IS NULL AND k.revoked_at IS NULL AND t.token_hash = ")
            .bind(token_hash)
            .push(" AND t.expires_at > ")
            .bind(now_millis())
            .push(super::accounts::GRANT_USABLE);
        let mut kinds = super::accounts::GRANT_KINDS.to_vec();
        kinds.push(ColumnType::Int);
        Ok(self.fetch(&sql, &kinds).await?.first().map(|r| {
            (
                super::accounts::grant_from_row(r),
                r[5].as_i64().unwrap_or_default(),
            )
        }))
    }
}
