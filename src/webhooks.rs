//! Signed webhooks: subscription settings checked the same way for the API
//! and the CLI, signing secrets sealed by the vault, and the
//! `deliver_webhook` job that sends one outbox row.
//!
//! The engine writes the outbox (`engine::webhooks`) in the transaction of
//! each change; this module only sends. A delivery is a `POST` of the
//! stored body with `X-Mortar-Delivery`, `X-Mortar-Event`,
//! `X-Mortar-Timestamp` and `X-Mortar-Signature: t=<timestamp>,v1=<hex>`,
//! where `<hex>` is HMAC-SHA256 under the subscription's secret of
//! `<timestamp>.<body>` (docs/API-CONVENTIONS.md has the recipe). A 2xx
//! answer delivers it; anything else is retried with the job queue's
//! exponential backoff up to `--webhook-attempts`, and after
//! `--webhook-failure-limit` failed attempts in a row the subscription is
//! disabled with the reason shown on it.
//!
//! URLs must be `http` or `https`; unless `--webhook-allow-private` is
//! given, a URL whose host is (or resolves to) a loopback, private,
//! link-local or otherwise non-public address is refused when the
//! subscription is saved and again at each delivery, which connects to the
//! address it checked.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::Sha256;

use crate::clock::now_millis;
use crate::config::WebhookArgs;
use crate::engine::activity::{self, Action, Entry, NAME_LENGTH};
use crate::error::{Error, Invalid, Result};
use crate::http::AppState;
use crate::jobs::{Job, JobError, Queue, Registry};
use crate::store::{
    Actor, PendingDelivery, Scope, Store, Tx, Webhook, WebhookSettings, DELIVER_WEBHOOK_KIND,
};
use crate::vault::{Place, Vault};

/// The events a subscription may ask for.
pub const EVENTS: [&str; 4] = ["create", "update", "delete", "reveal"];

/// The `User-Agent` of deliveries.
const USER_AGENT: &str = concat!("Mortar-Webhooks/", env!("CARGO_PKG_VERSION"));

/// The longest URL accepted.
const URL_LENGTH: usize = 2000;

/// The signature of `body` sent at `timestamp` (Unix seconds) under
/// `secret`: lowercase hex HMAC-SHA256 of `<timestamp>.<body>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}

/// A new signing secret.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", data_encoding::HEXLOWER.encode(&bytes))
}

/// Where subscription `id`'s secret is sealed.
fn place(id: i64) -> Place<'static> {
    Place {
        table: "webhooks",
        row: id,
        column: "secret",
        version: 0,
    }
}

/// Whether `ip` is an address deliveries may go to without
/// `--webhook-allow-private`: a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || first == 0x0064) // NAT64 64:ff9b::/96 and 64:ff9b:1::/48
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// Checks a subscription URL as written: `http` or `https`, a host, no
/// credentials, and (unless `allow_private`) no host that is a non-public
/// address or `localhost`. Names are resolved and checked at delivery.
pub fn check_url(url: &str, allow_private: bool) -> std::result::Result<reqwest::Url, String> {
    if url.len() > URL_LENGTH {
        return Err(format!("is longer than {URL_LENGTH} characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials; deliveries are signed instead".into());
    }
    let refused = || {
        Err(
            "points at a loopback, private or otherwise non-public address; the server refuses \
             those unless started with --webhook-allow-private"
                .to_string(),
        )
    };
    let host = parsed.host_str().unwrap_or_default();
    if host.is_empty() {
        return Err("has no host".into());
    }
    if !allow_private {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if !is_public(ip) {
                return refused();
            }
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return refused();
        }
    }
    Ok(parsed)
}

/// Subscription settings as the API or the CLI gives them, before checks.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// `url`.
    pub url: Option<String>,
    /// `events`.
    pub events: Option<Vec<String>>,
    /// `resource-types` (`Some(None)`: every type).
    pub resource_types: Option<Option<Vec<String>>>,
    /// `organization-id` (`Some(None)`: every organization).
    pub organization_id: Option<Option<i64>>,
    /// `enabled`.
    pub enabled: Option<bool>,
}

/// Checks `draft` (over `current`, for an update) and gives the settings
/// to store, or every problem as a 422 at `pointer`'s attributes.
pub async fn settle(
    store: &Store,
    scope: Scope,
    draft: Draft,
    current: Option<&Webhook>,
    allow_private: bool,
    pointer: &str,
) -> Result<WebhookSettings> {
    let mut problems = Vec::new();
    let at = |name: &str| format!("{pointer}/{name}");
    let url = match (draft.url, current) {
        (Some(url), _) => match check_url(&url, allow_private) {
            Ok(_) => url,
            Err(why) => {
                problems.push(Invalid::new(at("url"), format!("url {why}")));
                url
            }
        },
        (None, Some(current)) => current.url.clone(),
        (None, None) => {
            problems.push(Invalid::new(at("url"), "url is required"));
            String::new()
        }
    };
    let mut events = match (draft.events, current) {
        (Some(events), _) => events,
        (None, Some(current)) => current.events.clone(),
        (None, None) => EVENTS.iter().map(|e| e.to_string()).collect(),
    };
    if events.is_empty() {
        problems.push(Invalid::new(
            at("events"),
            "events must name at least one of create, update, delete, reveal",
        ));
    } else if let Some(bad) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        problems.push(Invalid::new(
            at("events"),
            format!("events: {bad:?} is not one of create, update, delete, reveal"),
        ));
    }
    events.sort_by_key(|e| EVENTS.iter().position(|k| k == e));
    events.dedup();
    let resource_types = match (draft.resource_types, current) {
        (Some(types), _) => types,
        (None, Some(current)) => current.resource_types.clone(),
        (None, None) => None,
    };
    if let Some(types) = &resource_types {
        let known: Vec<&str> = crate::resources::ALL
            .iter()
            .filter(|r| r.logged)
            .map(|r| r.json_type)
            .collect();
        if types.is_empty() {
            problems.push(Invalid::new(
                at("resource-types"),
                "resource-types must name at least one type, or be null for every type",
            ));
        } else if let Some(bad) = types.iter().find(|t| !known.contains(&t.as_str())) {
            problems.push(Invalid::new(
                at("resource-types"),
                format!(
                    "resource-types: {bad:?} is not a type that has events; one of {}",
                    known.join(", ")
                ),
            ));
        }
    }
    let organization_id = match (draft.organization_id, current) {
        (Some(org), _) => org,
        (None, Some(current)) => current.organization_id,
        (None, None) => None,
    };
    if let Some(org) = organization_id {
        if !store.organization_exists(scope, org).await? {
            problems.push(Invalid::new(
                at("organization-id"),
                format!("organization-id: there is no organization {org}"),
            ));
        }
    }
    let enabled = draft.enabled.or(current.map(|c| c.enabled)).unwrap_or(true);
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(WebhookSettings {
        url,
        events,
        resource_types,
        organization_id,
        enabled,
    })
}

/// Makes a subscription of `scope` with a new secret, sealed; the
/// subscription and the secret, shown this once. With an `actor` (the
/// API), the creation is in the activity log, in the same transaction.
pub async fn create(
    store: &Store,
    vault: &Vault,
    scope: Scope,
    settings: &WebhookSettings,
    actor: Option<&Actor>,
) -> Result<(Webhook, String)> {
    let secret = new_secret();
    vault.ensure_data_key(store, scope).await?;
    let mut tx = store.begin().await?;
    let id = tx
        .create_webhook(scope, settings, |id| vault.seal(scope, &place(id), &secret))
        .await?;
    let subscription = (settings.url.as_str(), settings.organization_id);
    logged(&mut tx, scope, actor, Action::Create, id, subscription);
    tx.commit().await?;
    let webhook = store
        .webhook(scope, id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a new webhook vanished")))?;
    Ok((webhook, secret))
}

/// Replaces subscription `id`'s settings, logged for `actor`; `false`
/// when `scope` has no such subscription.
pub async fn update(
    store: &Store,
    scope: Scope,
    id: i64,
    settings: &WebhookSettings,
    actor: &Actor,
) -> Result<bool> {
    let mut tx = store.begin().await?;
    if !tx.update_webhook(scope, id, settings).await? {
        return Ok(false);
    }
    let subscription = (settings.url.as_str(), settings.organization_id);
    logged(
        &mut tx,
        scope,
        Some(actor),
        Action::Update,
        id,
        subscription,
    );
    tx.commit().await?;
    Ok(true)
}

/// Deletes subscription `webhook` with its outbox rows, logged for `actor`;
/// `false` when it is gone already.
pub async fn delete(store: &Store, scope: Scope, webhook: &Webhook, actor: &Actor) -> Result<bool> {
    let mut tx = store.begin().await?;
    if !tx.delete_webhook(Some(scope), webhook.id).await? {
        return Ok(false);
    }
    let subscription = (webhook.url.as_str(), webhook.organization_id);
    logged(
        &mut tx,
        scope,
        Some(actor),
        Action::Delete,
        webhook.id,
        subscription,
    );
    tx.commit().await?;
    Ok(true)
}

/// The activity log entry of a change to subscription `id`, named by its
/// URL, of its organization (if it has one), when an `actor` made it.
fn logged(
    tx: &mut Tx,
    scope: Scope,
    actor: Option<&Actor>,
    action: Action,
    id: i64,
    (url, organization_id): (&str, Option<i64>),
) {
    let Some(actor) = actor else {
        return;
    };
    let entry = Entry {
        action,
        resource_type: "Webhook",
        resource_id: Some(id),
        resource_name: Some(url.chars().take(NAME_LENGTH).collect()),
        organization_id,
    };
    activity::record(tx, scope, actor, &[entry], now_millis());
}

/// Registers the `deliver_webhook` job and the clean-up of finished
/// deliveries past `--webhook-retention-days`.
pub fn register(
    registry: &mut Registry,
    queue: &Queue,
    state: Arc<AppState>,
    args: WebhookArgs,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.webhook_timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()?;
    let sender = Arc::new(Sender {
        state,
        args,
        client,
    });
    registry.register(DELIVER_WEBHOOK_KIND, move |job| {
        let sender = sender.clone();
        async move { sender.run(job).await }
    });
    crate::jobs::register_webhook_deliveries_prune(
        registry,
        queue,
        Duration::from_secs(args.webhook_retention_days.saturating_mul(24 * 60 * 60)),
    );
    Ok(())
}

struct Sender {
    state: Arc<AppState>,
    args: WebhookArgs,
    client: reqwest::Client,
}

impl Sender {
    async fn run(&self, job: Job) -> std::result::Result<(), JobError> {
        let store = self.state.engine.store();
        let Some(id) = job.payload.get("delivery").and_then(|v| v.as_i64()) else {
            return Err(JobError::fail(anyhow::anyhow!(
                "no delivery in the payload"
            )));
        };
        // Gone with its subscription, or already delivered: nothing to do.
        // A delivery given up is sent again when its job is retried.
        let Some(delivery) = store.pending_delivery(id).await? else {
            return Ok(());
        };
        if delivery.state == "delivered" || job.scope != Some(delivery.scope) {
            return Ok(());
        }
        if !delivery.enabled {
            let why = "the subscription is disabled";
            store
                .record_delivery_attempt(&delivery, Some(why), Some("failed"))
                .await?;
            return Err(JobError::fail(anyhow::anyhow!(why)));
        }
        let error = match self.send(&delivery).await {
            Ok(()) => {
                store
                    .record_delivery_attempt(&delivery, None, Some("delivered"))
                    .await?;
                return Ok(());
            }
            Err(error) => error,
        };
        store
            .record_delivery_attempt(&delivery, Some(&error), None)
            .await?;
        let limit = self.args.webhook_failure_limit;
        let reason =
            format!("disabled after {limit} failed delivery attempts in a row; the last: {error}");
        let disabled = store
            .disable_failing_webhook(delivery.scope, delivery.webhook_id, limit, &reason)
            .await?;
        if disabled {
            tracing::warn!(
                webhook = delivery.webhook_id,
                account = delivery.scope.account_id(),
                "{reason}"
            );
        }
        if disabled || job.attempt >= self.args.webhook_attempts {
            store.finish_delivery(&delivery, "failed").await?;
            Err(JobError::fail(anyhow::anyhow!(
                "gave up after attempt {}: {error}",
                job.attempt
            )))
        } else {
            Err(JobError::Retry(anyhow::anyhow!(error)))
        }
    }

    /// One attempt: `Err` says why it failed.
    async fn send(&self, delivery: &PendingDelivery) -> std::result::Result<(), String> {
        let url = check_url(&delivery.url, self.args.webhook_allow_private)?;
        let host = url.host_str().unwrap_or_default().to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("{host} does not resolve ({e})"))?
            .collect();
        let allowed: Vec<SocketAddr> = addresses
            .into_iter()
            .filter(|a| self.args.webhook_allow_private || is_public(a.ip()))
            .collect();
        if allowed.is_empty() {
            return Err(format!(
                "{host} resolves only to non-public addresses, refused without \
                 --webhook-allow-private"
            ));
        }
        let secret = self.secret(delivery).await.map_err(|e| e.to_string())?;
        let timestamp = crate::clock::now_millis() / 1000;
        let signed = signature(&secret, timestamp, &delivery.body);
        // Connect to the addresses checked, whatever the name resolves to next.
        let client = if host.parse::<IpAddr>().is_err() && !host.starts_with('[') {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(self.args.webhook_timeout_secs))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(USER_AGENT)
                .resolve_to_addrs(&host, &allowed)
                .build()
                .map_err(|e| e.to_string())?
        } else {
            self.client.clone()
        };
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-mortar-delivery", &delivery.delivery_id)
            .header("x-mortar-event", &delivery.event)
            .header("x-mortar-timestamp", timestamp.to_string())
            .header("x-mortar-signature", format!("t={timestamp},v1={signed}"))
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| format!("the request failed: {}", without_url(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered HTTP {}", status.as_u16()))
        }
    }

    async fn secret(&self, delivery: &PendingDelivery) -> Result<String> {
        let vault = self.state.engine.vault();
        vault
            .ensure_data_key(self.state.engine.store(), delivery.scope)
            .await?;
        Ok(vault
            .open(
                delivery.scope,
                &place(delivery.webhook_id),
                &delivery.sealed_secret,
            )?
            .to_string())
    }
}

/// A request error without the URL (which the subscription shows anyway).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(&format!(" ({url})"), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Python: hmac.new(b"whsec_test", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature("whsec_test", 1_700_000_000, "{}"),
            "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://localhost:8080/",
            "http://100.64.0.1/",
        ] {
            assert!(check_url(url, false).is_err(), "{url}");
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        for url in ["ftp://example.com/", "http://user:pw@example.com/", "nope"] {
            assert!(check_url(url, true).is_err(), "{url}");
        }
        assert!(check_url("https://hooks.example.com/mortar", false).is_ok());
        assert!(check_url("http://93.184.216.34:8080/", false).is_ok());
    }
}
