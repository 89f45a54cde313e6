//! Webhook events into the outbox, in the transaction of the change (or,
//! for a reveal, of its audit entry): one delivery per event and matching
//! subscription, its body rendered now, as the record is at the event, so
//! the sender needs neither the vault nor the record.
//!
//! A write of an account with no subscription costs one indexed lookup.
//! Bodies carry the record's JSON:API representation without its secrets:
//! secret and write-only fields are never rendered, and a `password`
//! attribute is dropped whatever its field.

use rand::RngCore as _;
use serde_json::{json, Value};

use crate::clock::format_millis;
use crate::error::Result;
use crate::resources::Resource;
use crate::store::{NewDelivery, Record, Scope, Tx};

/// One event about one record.
pub(crate) struct Event<'a> {
    /// `create`, `update`, `delete` or `reveal`.
    pub event: &'static str,
    /// The record's definition.
    pub def: &'a Resource,
    /// The record (as it was, for a delete).
    pub record: &'a Record,
    /// Its organization.
    pub organization_id: Option<i64>,
}

/// A new delivery id: a random (version 4) UUID.
fn delivery_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = data_encoding::HEXLOWER.encode(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The record's JSON:API resource object, without secrets.
fn representation(def: &Resource, record: &Record) -> Value {
    let mut object = crate::jsonapi::document::resource_object(def, record, false, None, None, "");
    if let Some(attributes) = object.get_mut("attributes").and_then(Value::as_object_mut) {
        attributes.remove("password");
        attributes.remove("otp-secret");
    }
    object
}

/// Writes a delivery for each of `events` and each subscription of
/// `scope` that wants it, in `tx`, at `at` (ms).
pub(crate) async fn queue(tx: &mut Tx, scope: Scope, events: &[Event<'_>], at: i64) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let subscriptions = tx.enabled_webhooks(scope).await?;
    if subscriptions.is_empty() {
        return Ok(());
    }
    let mut deliveries = Vec::new();
    for event in events {
        let wanting: Vec<i64> = subscriptions
            .iter()
            .filter(|s| s.wants(event.event, event.def.json_type, event.organization_id))
            .map(|s| s.id)
            .collect();
        if wanting.is_empty() {
            continue;
        }
        let data = representation(event.def, event.record);
        for webhook_id in wanting {
            let id = delivery_id();
            let body = json!({
                "id": id,
                "event": event.event,
                "occurred-at": format_millis(at),
                "webhook-id": webhook_id.to_string(),
                "resource-type": event.def.json_type,
                "resource-id": event.record.id.to_string(),
                "organization-id": event.organization_id.map(|o| o.to_string()),
                "data": data,
            });
            deliveries.push(NewDelivery {
                webhook_id,
                delivery_id: id,
                event: event.event,
                body: body.to_string(),
            });
        }
    }
    tx.queue_webhook_deliveries(scope, &deliveries, at).await
}
