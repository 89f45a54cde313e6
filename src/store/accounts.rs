//! Accounts and API keys.
//!
//! A key is shown once, when it is made; the database keeps only its SHA-256
//! digest (keys are 192 random bits, so a fast digest is as strong as a slow
//! one) and a short prefix to tell keys apart in `mortar keys list`.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::ColumnType;
use super::{Scope, Store};
use crate::clock::now_millis;
use crate::error::Result;
use crate::roles::Role;

/// A freshly made key: the only moment its secret exists outside the caller.
#[derive(Debug)]
pub struct NewKey {
    /// The key's id (for `mortar keys revoke`).
    pub id: i64,
    /// The account it acts for.
    pub account_id: i64,
    /// That account's name.
    pub account_name: String,
    /// The key itself. Never stored.
    pub secret: String,
}

/// A stored key, as `mortar keys list` shows it.
#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    /// Id.
    pub id: i64,
    /// Account name.
    pub account_name: String,
    /// Human name of the key.
    pub name: String,
    /// First characters of the key.
    pub prefix: String,
    /// Whether the key may read and write password values.
    pub password_access: bool,
    /// Creation time (ms).
    pub created_at: i64,
    /// Revocation time (ms), if revoked.
    pub revoked_at: Option<i64>,
}

/// An account, by id and name.
#[derive(Debug, Clone)]
pub struct AccountSummary {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
}

impl AccountSummary {
    /// The scope of this account's data.
    pub fn scope(&self) -> super::Scope {
        super::Scope::new(self.id)
    }
}

/// What a valid key grants.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    /// The key's id (recorded in the activity log).
    pub key_id: i64,
    /// The account the key acts for.
    pub scope: Scope,
    /// Whether the caller may read and write password values: the key's
    /// own rule, and its user's role when it acts for one.
    pub password_access: bool,
    /// The user the key acts for, if it is tied to one.
    pub user: Option<UserGrant>,
}

/// The user a key acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserGrant {
    /// The user's id (recorded in the activity log).
    pub id: i64,
    /// The user's role, which bounds what the key may do.
    pub role: Role,
}

/// The columns [`grant_from_row`] reads, over `api_keys k LEFT JOIN users u`.
pub(super) const GRANT_COLUMNS: &str = "k.id, k.account_id, k.password_access, u.id, u.role_name";

/// The join and condition every authentication adds: the key's user, who
/// must not be disabled.
pub(super) const GRANT_JOIN: &str = " LEFT JOIN users u ON u.id = k.user_id ";

/// Refuses keys whose user is disabled.
pub(super) const GRANT_USABLE: &str = " AND (k.user_id IS NULL OR u.disabled_at IS NULL)";

/// The kinds of [`GRANT_COLUMNS`].
pub(super) const GRANT_KINDS: [ColumnType; 5] = [
    ColumnType::Int,
    ColumnType::Int,
    ColumnType::Bool,
    ColumnType::Int,
    ColumnType::Text,
];

/// The grant a row of [`GRANT_COLUMNS`] describes.
pub(super) fn grant_from_row(row: &[super::Cell]) -> Authenticated {
    let user = match (row[3].as_i64(), row[4].as_str()) {
        (Some(id), Some(role)) => Some(UserGrant {
            id,
            role: role.parse().unwrap_or(Role::ReadOnly),
        }),
        _ => None,
    };
    let key_password_access = matches!(row[2], super::Cell::Bool(true));
    Authenticated {
        key_id: row[0].as_i64().unwrap_or_default(),
        scope: Scope::new(row[1].as_i64().unwrap_or_default()),
        password_access: key_password_access && user.is_none_or(|u| u.role.sees_passwords()),
        user,
    }
}

/// The SHA-256 digest of a key, hex encoded, as stored.
pub fn hash_key(secret: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

/// Catalog rows every new account starts with.
const DEFAULTS: &[(&str, &[&str])] = &[
    (
        "organization_types",
        &[
            "Owner", "Customer", "Vendor", "Partner", "Prospect", "Internal",
        ],
    ),
    ("organization_statuses", &["Active", "Inactive"]),
    (
        "configuration_statuses",
        &["Active", "Inactive", "In Stock", "Decommissioned"],
    ),
    (
        "contact_types",
        &[
            "Approver",
            "Billing",
            "Champion",
            "Decision Maker",
            "Employee",
            "Primary Contact",
            "Technical Contact",
            "Vendor Contact",
        ],
    ),
    (
        "password_categories",
        &[
            "Application",
            "Cloud",
            "Database",
            "Domain Admin",
            "Email",
            "Network Device",
            "Server",
            "Vendor Portal",
            "Website",
            "Wireless",
        ],
    ),
    (
        "manufacturers",
        &[
            "Apple",
            "Cisco",
            "Dell",
            "Fortinet",
            "HP",
            "Lenovo",
            "Meraki",
            "Microsoft",
            "Synology",
            "Ubiquiti",
        ],
    ),
];

/// Configuration types with the kind projected into configurations.
const CONFIGURATION_TYPES: &[(&str, &str)] = &[
    ("Managed Server", "server"),
    ("Managed Workstation", "workstation"),
    ("Laptop", "workstation"),
    ("Virtual Machine", "server"),
    ("Switch", "switch"),
    ("Router", "router"),
    ("Firewall", "firewall"),
    ("Wireless Access Point", "access_point"),
    ("Printer", "printer"),
    ("UPS", "ups"),
    ("NAS", "storage"),
    ("Mobile Device", "mobile"),
];

impl Store {
    /// The account named `name` (made with its defaults if missing), or with
    /// `None` the first account (made as "Default" if there is none).
    /// Returns the account and whether it was made now.
    pub async fn ensure_account(
        &self,
        name: Option<&str>,
    ) -> anyhow::Result<(AccountSummary, bool)> {
        let mut sql = self.sql();
        sql.push("SELECT id, name FROM accounts");
        match name {
            Some(n) => {
                sql.push(" WHERE name = ").bind(n);
            }
            None => {
                sql.push(" ORDER BY id LIMIT 1");
            }
        }
        if let Some(row) = self
            .fetch(&sql, &[ColumnType::Int, ColumnType::Text])
            .await?
            .pop()
        {
            return Ok((
                AccountSummary {
                    id: row[0].as_i64().unwrap_or_default(),
                    name: row[1].as_str().unwrap_or_default().to_string(),
                },
                false,
            ));
        }
        let name = name.unwrap_or("Default");
        Ok((self.create_account(name).await?, true))
    }

    /// Makes an account with its default catalog and its owner organization.
    pub async fn create_account(&self, name: &str) -> anyhow::Result<AccountSummary> {
        let now = now_millis();
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push("INSERT INTO accounts (name, created_at, updated_at) VALUES (")
            .bind(name)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(") RETURNING id");
        let id = tx
            .insert_returning_id(&sql)
            .await?
            .map_err(|_| anyhow::anyhow!("an account named {name:?} already exists"))?;
        for (table, names) in DEFAULTS {
            let mut sql = tx.sql();
            sql.push("INSERT INTO ")
                .push(table)
                .push(" (account_id, name, created_at, updated_at) VALUES ");
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(id)
                    .push(", ")
                    .bind(*n)
                    .push(", ")
                    .bind(now);
                sql.push(", ").bind(now).push(")");
            }
            tx.execute(&sql).await?;
        }
        let mut sql = tx.sql();
        sql.push("INSERT INTO configuration_types (account_id, name, kind, created_at, updated_at) VALUES ");
        for (i, (n, kind)) in CONFIGURATION_TYPES.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(id)
                .push(", ")
                .bind(*n)
                .push(", ")
                .bind(*kind);
            sql.push(", ").bind(now).push(", ").bind(now).push(")");
        }
        tx.execute(&sql).await?;
        let mut sql = tx.sql();
        sql.push(
            "INSERT INTO organizations (account_id, name, organization_type_id, organization_status_id, \
             primary_org, created_at, updated_at) VALUES (",
        )
        .bind(id)
        .push(", ")
        .bind(name)
        .push(", (SELECT id FROM organization_types WHERE account_id = ")
        .bind(id)
        .push(" AND name = 'Owner'), (SELECT id FROM organization_statuses WHERE account_id = ")
        .bind(id)
        .push(" AND name = 'Active'), TRUE, ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
        tx.execute(&sql).await?;
        tx.commit().await?;
        Ok(AccountSummary {
            id,
            name: name.to_string(),
        })
    }

    /// Makes a key for `account_id`; the returned secret is shown once.
    pub async fn create_key(
        &self,
        account: &AccountSummary,
        name: &str,
        password_access: bool,
        user_id: Option<i64>,
    ) -> anyhow::Result<NewKey> {
        let mut bytes = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("mtr_{}", data_encoding::HEXLOWER.encode(&bytes));
        let mut tx = self.begin().await?;
        let id = tx
            .insert_api_key(
                account.id,
                name,
                &secret,
                &secret[..12],
                password_access,
                user_id,
            )
            .await?;
        tx.commit().await?;
        Ok(NewKey {
            id,
            account_id: account.id,
            account_name: account.name.clone(),
            secret,
        })
    }

    /// Every key of every account, oldest first.
    pub async fn list_keys(&self) -> anyhow::Result<Vec<ApiKeyRecord>> {
        Ok(self.keys(None).await?)
    }

    /// The keys of `scope`'s account, oldest first.
    pub async fn account_keys(&self, scope: Scope) -> Result<Vec<ApiKeyRecord>> {
        self.keys(Some(scope)).await
    }

    /// The keys of `scope`'s account, or of every account.
    async fn keys(&self, scope: Option<Scope>) -> Result<Vec<ApiKeyRecord>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT k.id, a.name, k.name, k.key_prefix, k.password_access, k.created_at, k.revoked_at \
             FROM api_keys k JOIN accounts a ON a.id = k.account_id",
        );
        if let Some(scope) = scope {
            sql.push(" WHERE k.account_id = ").bind(scope.account_id());
        }
        sql.push(" ORDER BY k.id");
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
            .map(|r| ApiKeyRecord {
                id: r[0].as_i64().unwrap_or_default(),
                account_name: r[1].as_str().unwrap_or_default().to_string(),
                name: r[2].as_str().unwrap_or_default().to_string(),
                prefix: r[3].as_str().unwrap_or_default().to_string(),
                password_access: matches!(r[4], super::Cell::Bool(true)),
                created_at: r[5].as_i64().unwrap_or_default(),
                revoked_at: r[6].as_i64(),
            })
            .collect())
    }

    /// Revokes key `id` of `scope`'s account; `false` if the account has no
    /// such active key.
    pub async fn revoke_account_key(&self, scope: Scope, id: i64) -> Result<bool> {
        let mut sql = self.sql();
        sql.push("UPDATE api_keys SET revoked_at = ")
            .bind(now_millis())
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND account_id = ")
            .bind(scope.account_id())
            .push(" AND revoked_at IS NULL");
        Ok(self.execute(&sql).await? == 1)
    }

    /// Revokes key `id`; `false` if there is no such active key.
    pub async fn revoke_key(&self, id: i64) -> anyhow::Result<bool> {
        let mut sql = self.sql();
        sql.push("UPDATE api_keys SET revoked_at = ")
            .bind(now_millis())
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND revoked_at IS NULL");
        Ok(self.execute(&sql).await? == 1)
    }

    /// How many keys exist, revoked or not.
    pub async fn key_count(&self) -> anyhow::Result<i64> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) FROM api_keys");
        Ok(self.fetch(&sql, &[ColumnType::Int]).await?[0][0]
            .as_i64()
            .unwrap_or(0))
    }

    /// The grant of the active key whose digest is `key_hash`, if any.
    pub async fn authenticate(&self, key_hash: &str) -> Result<Option<Authenticated>> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(GRANT_COLUMNS)
            .push(" FROM api_keys k")
            .push(GRANT_JOIN)
            .push("WHERE k.key_hash = ")
            .bind(key_hash)
            .push(" AND k.revoked_at IS NULL")
            .push(GRANT_USABLE);
        let rows = self.fetch(&sql, &GRANT_KINDS).await?;
        Ok(rows.first().map(|r| grant_from_row(r)))
    }
}

impl super::Tx {
    /// Inserts a key of `account_id` whose secret is `secret` (stored as its
    /// digest, `prefix` shown in listings); its id.
    pub(crate) async fn insert_api_key(
        &mut self,
        account_id: i64,
        name: &str,
        secret: &str,
        prefix: &str,
        password_access: bool,
        user_id: Option<i64>,
    ) -> anyhow::Result<i64> {
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO api_keys (account_id, name, key_hash, key_prefix, password_access, \
             user_id, created_at) VALUES (",
        )
        .bind(account_id)
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(hash_key(secret))
        .push(", ")
        .bind(prefix)
        .push(", ")
        .bind(password_access)
        .push(", ")
        .bind(user_id)
        .push(", ")
        .bind(now_millis())
        .push(") RETURNING id");
        self.insert_returning_id(&sql)
            .await?
            .map_err(|_| anyhow::anyhow!("key collision; try again"))
    }
}
