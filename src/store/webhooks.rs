//! Webhook subscriptions and their outbox. Subscriptions are read and
//! written per account (every statement filters on `account_id`); the
//! outbox rows and their delivery jobs are written in the transaction of
//! the change they report ([`Tx::queue_webhook_deliveries`]), so a
//! committed change always has its deliveries and a rolled-back one none.

use super::{Arg, Cell, ColumnType, Scope, Store, Tx};
use crate::clock::now_millis;
use crate::error::Result;

/// The job kind that sends one delivery.
pub const DELIVER_WEBHOOK_KIND: &str = "deliver_webhook";

/// The most attempts a delivery job is written with; the delivery handler
/// stops earlier, at the server's configured attempts.
pub const WEBHOOK_JOB_ATTEMPTS: i64 = 25;

/// A subscription as the API and the CLI show it (never its secret).
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Row id.
    pub id: i64,
    /// Its account.
    pub account_id: i64,
    /// Where deliveries go.
    pub url: String,
    /// The events it wants: `create`, `update`, `delete`, `reveal`.
    pub events: Vec<String>,
    /// The JSON:API types it is limited to (`None`: every type).
    pub resource_types: Option<Vec<String>>,
    /// The organization it is limited to, if any.
    pub organization_id: Option<i64>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Why the server disabled it, if it did.
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row.
    pub failure_count: i64,
    /// Made (ms).
    pub created_at: i64,
    /// Last changed (ms).
    pub updated_at: i64,
}

impl Webhook {
    /// Whether an `event` on a record of `resource_type` in
    /// `organization_id` is one this subscription wants.
    pub fn wants(&self, event: &str, resource_type: &str, organization_id: Option<i64>) -> bool {
        self.enabled
            && self.events.iter().any(|e| e == event)
            && self
                .resource_types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t == resource_type))
            && self
                .organization_id
                .is_none_or(|org| organization_id == Some(org))
    }
}

/// A subscription's settings, to create one or (all of them) to update one.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// Where deliveries go.
    pub url: String,
    /// The events it wants.
    pub events: Vec<String>,
    /// The JSON:API types it is limited to.
    pub resource_types: Option<Vec<String>>,
    /// The organization it is limited to.
    pub organization_id: Option<i64>,
    /// Whether deliveries are made.
    pub enabled: bool,
}

/// A delivery about to be written to the outbox.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// The subscription it goes to.
    pub webhook_id: i64,
    /// Its public id (the `X-Mortar-Delivery` header and the body's `id`).
    pub delivery_id: String,
    /// `create`, `update`, `delete` or `reveal`.
    pub event: &'static str,
    /// The JSON body sent, exactly.
    pub body: String,
}

/// One delivery with what sending it takes.
#[derive(Debug, Clone)]
pub struct PendingDelivery {
    /// Outbox row id.
    pub id: i64,
    /// Its account.
    pub scope: Scope,
    /// The subscription.
    pub webhook_id: i64,
    /// Public id.
    pub delivery_id: String,
    /// The event.
    pub event: String,
    /// The body.
    pub body: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// The subscription's URL.
    pub url: String,
    /// The subscription's sealed secret.
    pub sealed_secret: String,
    /// Whether the subscription is enabled.
    pub enabled: bool,
}

const COLUMNS: &str = "id, account_id, url, events, resource_types, organization_id, enabled, \
                       disabled_reason, failure_count, created_at, updated_at";

const KINDS: [ColumnType; 11] = [
    ColumnType::Int,
    ColumnType::Int,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Int,
    ColumnType::Bool,
    ColumnType::Text,
    ColumnType::Int,
    ColumnType::Int,
    ColumnType::Int,
];

fn list_of(cell: &Cell) -> Option<Vec<String>> {
    cell.as_str().map(|text| {
        text.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

fn webhook_from(row: &[Cell]) -> Webhook {
    Webhook {
        id: row[0].as_i64().unwrap_or_default(),
        account_id: row[1].as_i64().unwrap_or_default(),
        url: row[2].as_str().unwrap_or_default().to_string(),
        events: list_of(&row[3]).unwrap_or_default(),
        resource_types: list_of(&row[4]),
        organization_id: row[5].as_i64(),
        enabled: matches!(row[6], Cell::Bool(true) | Cell::Int(1)),
        disabled_reason: row[7].as_str().map(str::to_string),
        failure_count: row[8].as_i64().unwrap_or_default(),
        created_at: row[9].as_i64().unwrap_or_default(),
        updated_at: row[10].as_i64().unwrap_or_default(),
    }
}

fn joined(list: &[String]) -> String {
    list.join(",")
}

impl Tx {
    /// The enabled subscriptions of `scope` (one indexed lookup per
    /// transaction, which writes of one account only; none is the common
    /// case).
    pub async fn enabled_webhooks(&mut self, scope: Scope) -> Result<Vec<Webhook>> {
        if let Some(known) = &self.webhooks {
            return Ok(known.clone());
        }
        let mut sql = self.sql();
        sql.push(&format!(
            "SELECT {COLUMNS} FROM webhooks WHERE account_id = "
        ))
        .bind(scope.account_id())
        .push(" AND enabled = ")
        .bind(true)
        .push(" ORDER BY id");
        let rows = self.fetch(&sql, &KINDS).await?;
        let webhooks: Vec<Webhook> = rows.iter().map(|r| webhook_from(r)).collect();
        self.webhooks = Some(webhooks.clone());
        Ok(webhooks)
    }

    /// Makes a subscription of `scope` in this transaction; `seal(id)`
    /// seals its secret for the row it is stored in. Its id.
    pub async fn create_webhook(
        &mut self,
        scope: Scope,
        settings: &WebhookSettings,
        seal: impl FnOnce(i64) -> Result<String>,
    ) -> Result<i64> {
        self.webhooks = None;
        let now = now_millis();
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO webhooks (account_id, url, events, resource_types, organization_id, \
             secret, enabled, failure_count, created_at, updated_at) VALUES (",
        )
        .bind(scope.account_id())
        .push(", ")
        .bind(settings.url.as_str())
        .push(", ")
        .bind(joined(&settings.events))
        .push(", ")
        .bind(settings.resource_types.as_deref().map(joined))
        .push(", ")
        .bind(settings.organization_id)
        .push(", '', ")
        .bind(settings.enabled)
        .push(", 0, ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
        let id = self
            .insert_returning_id(&sql)
            .await?
            .map_err(|_| crate::error::Error::Internal(anyhow::anyhow!("a webhook id repeated")))?;
        let sealed = seal(id)?;
        let mut sql = self.sql();
        sql.push("UPDATE webhooks SET secret = ")
            .bind(sealed)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND account_id = ")
            .bind(scope.account_id());
        self.execute(&sql).await?;
        Ok(id)
    }

    /// Replaces subscription `id`'s settings; enabling it clears its
    /// failures and the reason it was disabled. `false` when `scope` has
    /// no such subscription.
    pub async fn update_webhook(
        &mut self,
        scope: Scope,
        id: i64,
        settings: &WebhookSettings,
    ) -> Result<bool> {
        self.webhooks = None;
        let mut sql = self.sql();
        sql.push("UPDATE webhooks SET url = ")
            .bind(settings.url.as_str())
            .push(", events = ")
            .bind(joined(&settings.events))
            .push(", resource_types = ")
            .bind(settings.resource_types.as_deref().map(joined))
            .push(", organization_id = ")
            .bind(settings.organization_id)
            .push(", enabled = ")
            .bind(settings.enabled)
            .push(", updated_at = ")
            .bind(now_millis());
        if settings.enabled {
            sql.push(", failure_count = 0, disabled_reason = NULL");
        }
        sql.push(" WHERE id = ")
            .bind(id)
            .push(" AND account_id = ")
            .bind(scope.account_id());
        Ok(self.execute(&sql).await? > 0)
    }

    /// Deletes subscription `id` of `scope` (`None`: of any account, for
    /// the CLI) with its outbox rows; `false` when there is none.
    pub async fn delete_webhook(&mut self, scope: Option<Scope>, id: i64) -> Result<bool> {
        self.webhooks = None;
        let mut sql = self.sql();
        sql.push("DELETE FROM webhooks WHERE id = ").bind(id);
        if let Some(scope) = scope {
            sql.push(" AND account_id = ").bind(scope.account_id());
        }
        Ok(self.execute(&sql).await? > 0)
    }

    /// Writes `deliveries` of `scope` to the outbox at `at` (ms), each with
    /// the job that sends it, in this transaction.
    pub async fn queue_webhook_deliveries(
        &mut self,
        scope: Scope,
        deliveries: &[NewDelivery],
        at: i64,
    ) -> Result<()> {
        for delivery in deliveries {
            let mut sql = self.sql();
            sql.push(
                "INSERT INTO webhook_deliveries (account_id, webhook_id, delivery_id, event, \
                 body, state, attempts, created_at) VALUES (",
            )
            .bind(scope.account_id())
            .push(", ")
            .bind(delivery.webhook_id)
            .push(", ")
            .bind(delivery.delivery_id.as_str())
            .push(", ")
            .bind(delivery.event)
            .push(", ")
            .bind(delivery.body.as_str())
            .push(", 'pending', 0, ")
            .bind(at)
            .push(") RETURNING id");
            let id = self.insert_returning_id(&sql).await?.map_err(|_| {
                crate::error::Error::Internal(anyhow::anyhow!("a delivery id repeated"))
            })?;
            self.insert_job(&super::EnqueueJob {
                kind: DELIVER_WEBHOOK_KIND.to_string(),
                payload: serde_json::json!({ "delivery": id }).to_string(),
                scope: Some(scope),
                unique_key: Some(format!("webhook-delivery:{}", delivery.delivery_id)),
                max_attempts: WEBHOOK_JOB_ATTEMPTS,
                run_after: at,
            })
            .await?;
        }
        Ok(())
    }
}

impl Store {
    /// The subscriptions of `scope`, oldest first (`None`: of every account,
    /// for the CLI).
    pub async fn list_webhooks(&self, scope: Option<Scope>) -> Result<Vec<Webhook>> {
        let mut sql = self.sql();
        sql.push(&format!("SELECT {COLUMNS} FROM webhooks"));
        if let Some(scope) = scope {
            sql.push(" WHERE account_id = ").bind(scope.account_id());
        }
        sql.push(" ORDER BY id");
        let rows = self.fetch(&sql, &KINDS).await?;
        Ok(rows.iter().map(|r| webhook_from(r)).collect())
    }

    /// Subscription `id` of `scope`.
    pub async fn webhook(&self, scope: Scope, id: i64) -> Result<Option<Webhook>> {
        let mut sql = self.sql();
        sql.push(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = "))
            .bind(id)
            .push(" AND account_id = ")
            .bind(scope.account_id());
        let rows = self.fetch(&sql, &KINDS).await?;
        Ok(rows.first().map(|r| webhook_from(r)))
    }

    /// Whether organization `id` is one of `scope`'s.
    pub async fn organization_exists(&self, scope: Scope, id: i64) -> Result<bool> {
        let mut sql = self.sql();
        sql.push("SELECT id FROM organizations WHERE id = ")
            .bind(id)
            .push(" AND account_id = ")
            .bind(scope.account_id());
        Ok(!self.fetch(&sql, &[ColumnType::Int]).await?.is_empty())
    }

    /// Outbox row `id` with its subscription, if both still exist.
    pub async fn pending_delivery(&self, id: i64) -> Result<Option<PendingDelivery>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT d.id, d.account_id, d.webhook_id, d.delivery_id, d.event, d.body, d.state, \
             w.url, w.secret, w.enabled FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id AND w.account_id = d.account_id \
             WHERE d.id = ",
        )
        .bind(id);
        let kinds = [
            ColumnType::Int,
            ColumnType::Int,
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Bool,
        ];
        let rows = self.fetch(&sql, &kinds).await?;
        Ok(rows.first().map(|r| {
            let text = |i: usize| r[i].as_str().unwrap_or_default().to_string();
            PendingDelivery {
                id: r[0].as_i64().unwrap_or_default(),
                scope: Scope::new(r[1].as_i64().unwrap_or_default()),
                webhook_id: r[2].as_i64().unwrap_or_default(),
                delivery_id: text(3),
                event: text(4),
                body: text(5),
                state: text(6),
                url: text(7),
                sealed_secret: text(8),
                enabled: matches!(r[9], Cell::Bool(true) | Cell::Int(1)),
            }
        }))
    }

    /// Records an attempt at outbox row `id`: `error` when it failed;
    /// `finished` (`delivered` or `failed`) ends it.
    pub async fn record_delivery_attempt(
        &self,
        delivery: &PendingDelivery,
        error: Option<&str>,
        finished: Option<&str>,
    ) -> Result<()> {
        let now = now_millis();
        let mut sql = self.sql();
        sql.push("UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ")
            .bind(error.map(str::to_string));
        if let Some(state) = finished {
            sql.push(", state = ")
                .bind(state)
                .push(", finished_at = ")
                .bind(now);
        }
        sql.push(" WHERE id = ")
            .bind(delivery.id)
            .push(" AND account_id = ")
            .bind(delivery.scope.account_id());
        self.execute(&sql).await?;
        let mut sql = self.sql();
        match error {
            None => {
                sql.push("UPDATE webhooks SET failure_count = 0");
            }
            Some(_) => {
                sql.push("UPDATE webhooks SET failure_count = failure_count + 1");
            }
        }
        sql.push(" WHERE id = ")
            .bind(delivery.webhook_id)
            .push(" AND account_id = ")
            .bind(delivery.scope.account_id());
        self.execute(&sql).await?;
        Ok(())
    }

    /// Ends outbox row `delivery` in `state` (`delivered` or `failed`).
    pub async fn finish_delivery(&self, delivery: &PendingDelivery, state: &str) -> Result<()> {
        let mut sql = self.sql();
        sql.push("UPDATE webhook_deliveries SET state = ")
            .bind(state)
            .push(", finished_at = ")
            .bind(now_millis())
            .push(" WHERE id = ")
            .bind(delivery.id)
            .push(" AND account_id = ")
            .bind(delivery.scope.account_id());
        self.execute(&sql).await?;
        Ok(())
    }

    /// Disables subscription `id` of `scope` with `reason` when it has
    /// failed `limit` times in a row; whether it is now disabled.
    pub async fn disable_failing_webhook(
        &self,
        scope: Scope,
        id: i64,
        limit: i64,
        reason: &str,
    ) -> Result<bool> {
        let mut sql = self.sql();
        sql.push("UPDATE webhooks SET enabled = ")
            .bind(false)
            .push(", disabled_reason = ")
            .bind(reason)
            .push(", updated_at = ")
            .bind(now_millis())
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND account_id = ")
            .bind(scope.account_id())
            .push(" AND enabled = ")
            .bind(true)
            .push(" AND failure_count >= ")
            .bind(Arg::from(limit));
        Ok(self.execute(&sql).await? > 0)
    }
}
