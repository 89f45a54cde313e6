//! What the web interface keeps: signed-in sessions (by the hash of their
//! cookie's token, so a copy of the database signs nobody in), failed
//! sign-ins for throttling, and users' second factor (sealed by the vault).

use std::str::FromStr as _;

use sha2::Digest as _;

use super::{Cell, ColumnType, Scope, Store};
use crate::error::Result;
use crate::roles::Role;

/// A user who may sign in: who they are and what their second factor is.
#[derive(Debug, Clone)]
pub struct WebUser {
    /// The user's id.
    pub id: i64,
    /// Their account.
    pub scope: Scope,
    /// Their email, as entered.
    pub email: String,
    /// Their full name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The argon2id hash of their password (none: no password set).
    pub password_hash: Option<String>,
    /// The sealed TOTP secret, once enrolled.
    pub totp_secret: Option<String>,
    /// The sealed TOTP secret shown for enrolment, not confirmed yet.
    pub totp_pending_secret: Option<String>,
    /// Whether the user is disabled.
    pub disabled: bool,
}

/// A signed-in session, as its cookie finds it.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The session's row id.
    pub id: i64,
    /// The signed-in user.
    pub user: WebUser,
    /// The token every form of the session carries.
    pub csrf_token: String,
    /// Whether the second factor was given (or is not needed).
    pub second_factor_done: bool,
    /// When the session began (ms).
    pub created_at: i64,
    /// When it was last used (ms).
    pub last_seen_at: i64,
}

/// The SHA-256 of a session token, as stored.
pub fn token_hash(token: &str) -> String {
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(token.as_bytes()))
}

const USER_COLUMNS: &str = "u.id, u.account_id, u.email, u.name, u.role_name, u.password_hash, \
                            u.totp_secret, u.totp_pending_secret, u.disabled_at";
const USER_KINDS: [ColumnType; 9] = [
    ColumnType::Int,
    ColumnType::Int,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Int,
];

fn text(cell: &Cell) -> Option<String> {
    cell.as_str().map(str::to_string)
}

fn user_from(row: &[Cell]) -> WebUser {
    WebUser {
        id: row[0].as_i64().unwrap_or(0),
        scope: Scope::new(row[1].as_i64().unwrap_or(0)),
        email: text(&row[2]).unwrap_or_default(),
        name: text(&row[3]).unwrap_or_default(),
        role: text(&row[4])
            .and_then(|r| Role::from_str(&r).ok())
            .unwrap_or(Role::ReadOnly),
        password_hash: text(&row[5]),
        totp_secret: text(&row[6]),
        totp_pending_secret: text(&row[7]),
        disabled: !matches!(row[8], Cell::Null),
    }
}

impl Store {
    /// Every user (of any account) with the email whose key is `email_key`.
    pub async fn web_users_by_email(&self, email_key: &str) -> Result<Vec<WebUser>> {
        let mut sql = self.sql();
        sql.push(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.email_key = "
        ))
        .bind(email_key)
        .push(" ORDER BY u.id");
        Ok(self
            .fetch(&sql, &USER_KINDS)
            .await?
            .iter()
            .map(|row| user_from(row))
            .collect())
    }

    /// Records a failed sign-in for `email_key` from `ip`.
    pub async fn record_sign_in_failure(&self, email_key: &str, ip: &str, at: i64) -> Result<()> {
        let mut sql = self.sql();
        sql.push("INSERT INTO sign_in_failures (email_key, ip, at) VALUES (")
            .bind(email_key)
            .push(", ")
            .bind(ip)
            .push(", ")
            .bind(at)
            .push(")");
        self.execute(&sql).await?;
        Ok(())
    }

    /// Failed sign-ins since `since` (ms) for `email_key` and from `ip`,
    /// and when the oldest of each counted happened.
    pub async fn sign_in_failures(
        &self,
        email_key: &str,
        ip: &str,
        since: i64,
    ) -> Result<((i64, i64), (i64, i64))> {
        let mut counts = Vec::new();
        for (column, value) in [("email_key", email_key), ("ip", ip)] {
            let mut sql = self.sql();
            sql.push("SELECT COUNT(*), COALESCE(MIN(at), 0) FROM sign_in_failures WHERE ")
                .push(column)
                .push(" = ")
                .bind(value)
                .push(" AND at >= ")
                .bind(since);
            let rows = self
                .fetch(&sql, &[ColumnType::Int, ColumnType::Int])
                .await?;
            let row = rows.first();
            counts.push((
                row.and_then(|r| r[0].as_i64()).unwrap_or(0),
                row.and_then(|r| r[1].as_i64()).unwrap_or(0),
            ));
        }
        Ok((counts[0], counts[1]))
    }

    /// Forgets the failed sign-ins of `email_key` (after a good one), and
    /// every failure older than `before`.
    pub async fn clear_sign_in_failures(&self, email_key: &str, before: i64) -> Result<()> {
        let mut sql = self.sql();
        sql.push("DELETE FROM sign_in_failures WHERE email_key = ")
            .bind(email_key)
            .push(" OR at < ")
            .bind(before);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Starts a session of `user` under `token`; its CSRF token is
    /// `csrf_token`.
    pub async fn create_web_session(
        &self,
        user: &WebUser,
        token: &str,
        csrf_token: &str,
        second_factor_done: bool,
        at: i64,
    ) -> Result<()> {
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO web_sessions (token_hash, account_id, user_id, csrf_token, \
             second_factor_done, created_at, last_seen_at) VALUES (",
        )
        .bind(token_hash(token))
        .push(", ")
        .bind(user.scope.account_id())
        .push(", ")
        .bind(user.id)
        .push(", ")
        .bind(csrf_token)
        .push(", ")
        .bind(second_factor_done)
        .push(", ")
        .bind(at)
        .push(", ")
        .bind(at)
        .push(")");
        self.execute(&sql).await?;
        Ok(())
    }

    /// The session whose cookie holds `token`, with its user, if it exists
    /// and its user is not disabled.
    pub async fn web_session(&self, token: &str) -> Result<Option<WebSession>> {
        let mut sql = self.sql();
        sql.push(&format!(
            "SELECT {USER_COLUMNS}, s.id, s.csrf_token, s.second_factor_done, s.created_at, \
             s.last_seen_at FROM web_sessions s JOIN users u ON u.id = s.user_id \
             AND u.account_id = s.account_id WHERE s.token_hash = "
        ))
        .bind(token_hash(token));
        let mut kinds = USER_KINDS.to_vec();
        kinds.extend([
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Bool,
            ColumnType::Int,
            ColumnType::Int,
        ]);
        let Some(row) = self.fetch(&sql, &kinds).await?.pop() else {
            return Ok(None);
        };
        let user = user_from(&row);
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(WebSession {
            user,
            id: row[9].as_i64().unwrap_or(0),
            csrf_token: text(&row[10]).unwrap_or_default(),
            second_factor_done: matches!(row[11], Cell::Bool(true)),
            created_at: row[12].as_i64().unwrap_or(0),
            last_seen_at: row[13].as_i64().unwrap_or(0),
        }))
    }

    /// Notes that session `id` was used at `at`.
    pub async fn touch_web_session(&self, id: i64, at: i64) -> Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE web_sessions SET last_seen_at = ")
            .bind(at)
            .push(" WHERE id = ")
            .bind(id);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Marks session `id`'s second factor as given.
    pub async fn complete_second_factor(&self, id: i64) -> Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE web_sessions SET second_factor_done = ")
            .bind(true)
            .push(" WHERE id = ")
            .bind(id);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Ends session `id`.
    pub async fn delete_web_session(&self, id: i64) -> Result<()> {
        let mut sql = self.sql();
        sql.push("DELETE FROM web_sessions WHERE id = ").bind(id);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Ends every session begun before `created_before` or idle since
    /// before `seen_before` (ms).
    pub async fn delete_expired_web_sessions(
        &self,
        created_before: i64,
        seen_before: i64,
    ) -> Result<u64> {
        let mut sql = self.sql();
        sql.push("DELETE FROM web_sessions WHERE created_at < ")
            .bind(created_before)
            .push(" OR last_seen_at < ")
            .bind(seen_before);
        self.execute(&sql).await
    }

    /// Keeps `sealed` as user `id`'s TOTP secret awaiting confirmation.
    pub async fn set_pending_totp(&self, id: i64, sealed: &str) -> Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE users SET totp_pending_secret = ")
            .bind(sealed)
            .push(" WHERE id = ")
            .bind(id);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Makes user `id`'s pending TOTP secret (sealed again as `sealed`) the
    /// one asked at sign-in.
    pub async fn enable_totp(&self, id: i64, sealed: &str, at: i64) -> Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE users SET totp_secret = ")
            .bind(sealed)
            .push(", totp_pending_secret = NULL, totp_enabled_at = ")
            .bind(at)
            .push(" WHERE id = ")
            .bind(id);
        self.execute(&sql).await?;
        Ok(())
    }

    /// Notes user `id`'s sign-in from `ip` at `at` (`current-sign-in-at`
    /// moves to `last-sign-in-at`).
    pub async fn note_sign_in(&self, id: i64, ip: &str, at: i64) -> Result<()> {
        let mut sql = self.sql();
        sql.push(
            "UPDATE users SET last_sign_in_at = current_sign_in_at, \
             last_sign_in_ip = current_sign_in_ip, current_sign_in_at = ",
        )
        .bind(at)
        .push(", current_sign_in_ip = ")
        .bind(ip)
        .push(" WHERE id = ")
        .bind(id);
        self.execute(&sql).await?;
        Ok(())
    }
}
