//! Users and groups, as the command line and the first start manage them
//! (the API reads users and groups through their resource definitions and
//! changes only names and avatars).
//!
//! Passwords are stored as argon2id PHC strings; a password made by the
//! server is shown once and never stored in clear.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use rand::Rng;

use super::{AccountSummary, Arg, Cell, ColumnType, Scope, Store, Tx};
use crate::clock::now_millis;
use crate::error::Result;
use crate::roles::Role;

/// A user as `mortar users list` shows it.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// Id.
    pub id: i64,
    /// The account's name.
    pub account_name: String,
    /// Email address, as given.
    pub email: String,
    /// "first last".
    pub name: String,
    /// Role.
    pub role: String,
    /// When the user was disabled (ms), if they were.
    pub disabled_at: Option<i64>,
    /// Creation time (ms).
    pub created_at: i64,
}

/// A new user's details.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Email address (unique per account, in any case).
    pub email: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// Role.
    pub role: Role,
}

/// A made user: its id, and the sign-in password when the server chose it.
#[derive(Debug)]
pub struct CreatedUser {
    /// Id.
    pub id: i64,
    /// The one-time password made for the user, shown once.
    pub generated_password: Option<String>,
}

/// The stored, comparable form of an email address.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks an email address's shape: one `@` with text on both sides, a dot
/// in the domain, no spaces.
pub fn check_email(email: &str) -> anyhow::Result<()> {
    let email = email.trim();
    let well_formed = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    anyhow::ensure!(
        well_formed,
        "{email:?} is not an email address (expected name@example.com)"
    );
    Ok(())
}

/// A password for a first sign-in: 20 characters from an alphabet without
/// look-alikes (about 110 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The argon2id hash of `password`, as a PHC string.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        password.chars().count() >= 12,
        "a password needs at least 12 characters"
    );
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("could not hash the password: {e}"))
}

/// The full name as the API's `name` filter and sort see it.
pub fn full_name(first: Option<&str>, last: Option<&str>) -> String {
    [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Store {
    /// Makes a user of `account`; with no `password` one is made and
    /// returned, to be shown once.
    pub async fn create_user(
        &self,
        account: &AccountSummary,
        user: &NewUser<'_>,
        password: Option<&str>,
    ) -> anyhow::Result<CreatedUser> {
        check_email(user.email)?;
        let generated_password = password.is_none().then(generate_password);
        let hash = hash_password(password.or(generated_password.as_deref()).unwrap_or(""))?;
        let now = now_millis();
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push(
            "INSERT INTO users (account_id, email, email_key, first_name, last_name, name, \
             role_name, password_hash, invitation_sent_at, created_at, updated_at) VALUES (",
        )
        .bind(account.id)
        .push(", ")
        .bind(user.email.trim())
        .push(", ")
        .bind(email_key(user.email))
        .push(", ")
        .bind(user.first_name.trim())
        .push(", ")
        .bind(user.last_name.trim())
        .push(", ")
        .bind(full_name(Some(user.first_name), Some(user.last_name)))
        .push(", ")
        .bind(user.role.name())
        .push(", ")
        .bind(hash)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
        let id = tx.insert_returning_id(&sql).await?.map_err(|_| {
            anyhow::anyhow!(
                "account {:?} already has a user with email {}; `mortar users list` shows them",
                account.name,
                user.email.trim()
            )
        })?;
        tx.commit().await?;
        Ok(CreatedUser {
            id,
            generated_password,
        })
    }

    /// The id of the user of `account` with `email` (in any case).
    pub async fn user_id(&self, account: &AccountSummary, email: &str) -> anyhow::Result<i64> {
        let mut sql = self.sql();
        sql.push("SELECT id FROM users WHERE account_id = ")
            .bind(account.id)
            .push(" AND email_key = ")
            .bind(email_key(email));
        self.fetch(&sql, &[ColumnType::Int])
            .await?
            .first()
            .and_then(|r| r[0].as_i64())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "account {:?} has no user with email {}; `mortar users list` shows them",
                    account.name,
                    email.trim()
                )
            })
    }

    /// How many users `account` has.
    pub async fn user_count(&self, account: &AccountSummary) -> anyhow::Result<i64> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) FROM users WHERE account_id = ")
            .bind(account.id);
        Ok(self.fetch(&sql, &[ColumnType::Int]).await?[0][0]
            .as_i64()
            .unwrap_or(0))
    }

    /// The users of `scope`'s account, or with `None` of every account,
    /// by account and email.
    pub async fn list_users(&self, scope: Option<Scope>) -> anyhow::Result<Vec<UserRecord>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT u.id, a.name, u.email, u.name, u.role_name, u.disabled_at, u.created_at \
             FROM users u JOIN accounts a ON a.id = u.account_id",
        );
        if let Some(scope) = scope {
            sql.push(" WHERE u.account_id = ").bind(scope.account_id());
        }
        sql.push(" ORDER BY a.id, u.email_key");
        let kinds = [
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Int,
            ColumnType::Int,
        ];
        let text = |c: &Cell| c.as_str().unwrap_or_default().to_string();
        Ok(self
            .fetch(&sql, &kinds)
            .await?
            .into_iter()
            .map(|r| UserRecord {
                id: r[0].as_i64().unwrap_or_default(),
                account_name: text(&r[1]),
                email: text(&r[2]),
                name: text(&r[3]),
                role: text(&r[4]),
                disabled_at: r[5].as_i64(),
                created_at: r[6].as_i64().unwrap_or_default(),
            })
            .collect())
    }

    /// Sets user `id`'s columns to `values` (name, value) and bumps `updated_at`.
    async fn update_user(&self, id: i64, set: &[(&str, super::Arg)]) -> anyhow::Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE users SET updated_at = ")
            .bind(now_millis());
        for (column, value) in set {
            sql.push(", ").push(column).push(" = ").bind(value.clone());
        }
        sql.push(" WHERE id = ").bind(id);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Gives user `id` of `scope`'s account the role `role`; whether the
    /// account has that user.
    pub async fn set_user_role(&self, scope: Scope, id: i64, role: Role) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let found = tx.set_user_role(scope, id, role).await?;
        tx.commit().await?;
        Ok(found.is_some())
    }

    /// Disables user `id` of `scope`'s account (or enables them again): a
    /// disabled user cannot sign in, and the keys tied to them are
    /// refused. Whether the account has that user.
    pub async fn set_user_disabled(
        &self,
        scope: Scope,
        id: i64,
        disabled: bool,
    ) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let found = tx.set_user_disabled(scope, id, disabled).await?;
        tx.commit().await?;
        Ok(found.is_some())
    }

    /// Sets user `id`'s password; with none, makes one and returns it.
    pub async fn reset_user_password(
        &self,
        id: i64,
        password: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        let generated = password.is_none().then(generate_password);
        let hash = hash_password(password.or(generated.as_deref()).unwrap_or(""))?;
        self.update_user(id, &[("password_hash", hash.into())])
            .await?;
        Ok(generated)
    }

    /// Makes group `name` of `account` with its first `members`.
    pub async fn create_group(
        &self,
        account: &AccountSummary,
        name: &str,
        members: &[i64],
    ) -> anyhow::Result<i64> {
        anyhow::ensure!(!name.trim().is_empty(), "a group needs a name");
        let scope = account.scope();
        let mut tx = self.begin().await?;
        let id = tx.create_group(scope, name).await?.ok_or_else(|| {
            anyhow::anyhow!(
                "account {:?} already has a group {:?}",
                account.name,
                name.trim()
            )
        })?;
        for user in members {
            tx.set_group_member(scope, id, *user, true).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The id of group `name` of `account`.
    pub async fn group_id(&self, account: &AccountSummary, name: &str) -> anyhow::Result<i64> {
        let mut sql = self.sql();
        sql.push("SELECT id FROM groups WHERE account_id = ")
            .bind(account.id)
            .push(" AND name = ")
            .bind(name.trim());
        self.fetch(&sql, &[ColumnType::Int])
            .await?
            .first()
            .and_then(|r| r[0].as_i64())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "account {:?} has no group {:?}; `mortar groups list` shows them",
                    account.name,
                    name.trim()
                )
            })
    }

    /// Adds (or with `member = false` removes) user `user` to group
    /// `group`; whether anything changed.
    pub async fn set_group_member(
        &self,
        account: &AccountSummary,
        group: i64,
        user: i64,
        member: bool,
    ) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let changed = tx
            .set_group_member(account.scope(), group, user, member)
            .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Gives (or with `given = false` takes away) organization
    /// `organization` to group `group`; whether anything changed.
    pub async fn set_group_organization(
        &self,
        account: &AccountSummary,
        group: i64,
        organization: i64,
        given: bool,
    ) -> anyhow::Result<bool> {
        let mut sql = self.sql();
        if given {
            sql.push(
                "INSERT INTO group_organizations (account_id, group_id, organization_id) \
                 SELECT account_id, ",
            )
            .bind(group)
            .push(", id FROM organizations WHERE account_id = ")
            .bind(account.id)
            .push(" AND id = ")
            .bind(organization)
            .push(" ON CONFLICT DO NOTHING");
        } else {
            sql.push("DELETE FROM group_organizations WHERE group_id = ")
                .bind(group)
                .push(" AND organization_id = ")
                .bind(organization);
        }
        Ok(self.execute(&sql).await? > 0)
    }

    /// The groups of `scope`'s account by name, each with its members' ids.
    pub async fn account_groups(&self, scope: Scope) -> Result<Vec<(i64, String, Vec<i64>)>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT g.id, g.name, m.user_id FROM groups g \
             LEFT JOIN group_members m ON m.group_id = g.id WHERE g.account_id = ",
        )
        .bind(scope.account_id())
        .push(" ORDER BY g.name, g.id, m.user_id");
        let rows = self
            .fetch(&sql, &[ColumnType::Int, ColumnType::Text, ColumnType::Int])
            .await?;
        let mut groups: Vec<(i64, String, Vec<i64>)> = Vec::new();
        for row in rows {
            let id = row[0].as_i64().unwrap_or_default();
            if groups.last().map(|g| g.0) != Some(id) {
                groups.push((
                    id,
                    row[1].as_str().unwrap_or_default().to_string(),
                    Vec::new(),
                ));
            }
            if let (Some(group), Some(user)) = (groups.last_mut(), row[2].as_i64()) {
                group.2.push(user);
            }
        }
        Ok(groups)
    }

    /// Every group of every account with its member count, by account and name.
    pub async fn list_groups(&self) -> anyhow::Result<Vec<(i64, String, String, i64)>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT g.id, a.name, g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) \
             FROM groups g JOIN accounts a ON a.id = g.account_id ORDER BY a.id, g.name",
        );
        let kinds = [
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Int,
        ];
        Ok(self
            .fetch(&sql, &kinds)
            .await?
            .into_iter()
            .map(|r| {
                (
                    r[0].as_i64().unwrap_or_default(),
                    r[1].as_str().unwrap_or_default().to_string(),
                    r[2].as_str().unwrap_or_default().to_string(),
                    r[3].as_i64().unwrap_or_default(),
                )
            })
            .collect())
    }
}

/// The changes of people an Administrator makes in the web interface (and
/// the command line through the [`Store`] methods of the same names), each
/// confined to one account.
impl Tx {
    /// Sets columns of user `id` of `scope`'s account; the user's name, or
    /// `None` when the account has no such user.
    async fn update_account_user(
        &mut self,
        scope: Scope,
        id: i64,
        set: &[(&str, Arg)],
    ) -> Result<Option<String>> {
        let mut sql = self.sql();
        sql.push("UPDATE users SET updated_at = ")
            .bind(now_millis());
        for (column, value) in set {
            sql.push(", ").push(column).push(" = ").bind(value.clone());
        }
        sql.push(" WHERE id = ")
            .bind(id)
            .push(" AND account_id = ")
            .bind(scope.account_id())
            .push(" RETURNING name");
        Ok(self
            .fetch(&sql, &[ColumnType::Text])
            .await?
            .first()
            .and_then(|row| row[0].as_str().map(str::to_string)))
    }

    /// Gives user `id` of `scope`'s account the role `role`; their name, or
    /// `None` when the account has no such user.
    pub async fn set_user_role(
        &mut self,
        scope: Scope,
        id: i64,
        role: Role,
    ) -> Result<Option<String>> {
        self.update_account_user(scope, id, &[("role_name", role.name().into())])
            .await
    }

    /// Disables (or enables) user `id` of `scope`'s account; their name,
    /// or `None` when the account has no such user.
    pub async fn set_user_disabled(
        &mut self,
        scope: Scope,
        id: i64,
        disabled: bool,
    ) -> Result<Option<String>> {
        let at = disabled.then(now_millis);
        self.update_account_user(scope, id, &[("disabled_at", at.into())])
            .await
    }

    /// Makes group `name` of `scope`'s account; its id, or `None` when the
    /// account has a group of that name.
    pub async fn create_group(&mut self, scope: Scope, name: &str) -> Result<Option<i64>> {
        let now = now_millis();
        let mut sql = self.sql();
        sql.push("INSERT INTO groups (account_id, name, created_at, updated_at) VALUES (")
            .bind(scope.account_id())
            .push(", ")
            .bind(name.trim())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(") RETURNING id");
        Ok(self.insert_returning_id(&sql).await?.ok())
    }

    /// Adds (or with `member = false` removes) user `user` to group
    /// `group`, both of `scope`'s account; whether anything changed.
    pub async fn set_group_member(
        &mut self,
        scope: Scope,
        group: i64,
        user: i64,
        member: bool,
    ) -> Result<bool> {
        let account = scope.account_id();
        let mut sql = self.sql();
        if member {
            sql.push(
                "INSERT INTO group_members (account_id, group_id, user_id) \
                 SELECT g.account_id, g.id, u.id FROM groups g \
                 JOIN users u ON u.account_id = g.account_id WHERE g.account_id = ",
            )
            .bind(account)
            .push(" AND g.id = ")
            .bind(group)
            .push(" AND u.id = ")
            .bind(user)
            .push(" ON CONFLICT DO NOTHING");
        } else {
            sql.push("DELETE FROM group_members WHERE account_id = ")
                .bind(account)
                .push(" AND group_id = ")
                .bind(group)
                .push(" AND user_id = ")
                .bind(user);
        }
        let changed = self.execute(&sql).await? > 0;
        if changed {
            let mut touch = self.sql();
            touch
                .push("UPDATE groups SET updated_at = ")
                .bind(now_millis())
                .push(" WHERE id = ")
                .bind(group);
            self.execute(&touch).await?;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_compared_without_case() {
        assert!(check_email("Ann@Example.com").is_ok());
        assert!(check_email("ann@localhost").is_err());
        assert!(check_email("ann example.com").is_err());
        assert!(check_email("@example.com").is_err());
        assert_eq!(email_key(" Ann@Example.COM "), "ann@example.com");
    }

    #[test]
    fn full_names_skip_what_is_missing() {
        assert_eq!(full_name(Some("Ann"), Some("Lee")), "Ann Lee");
        assert_eq!(full_name(Some("Ann"), None), "Ann");
        assert_eq!(full_name(None, Some(" Lee ")), "Lee");
    }

    #[test]
    fn made_passwords_are_long_and_hash_as_argon2id() {
        let password = generate_password();
        assert_eq!(password.len(), 20);
        let hash = hash_password(&password).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(hash_password("short").is_err());
    }
}
