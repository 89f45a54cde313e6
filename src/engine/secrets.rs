//! The secrets policy, in one place: who may send a secret, who may see
//! one, and the audit entry every reveal writes before anything is sent.
//! Every face (the API, later pages, exports and jobs) reads through the
//! engine, so none can show a secret without passing here.

use super::activity::{self, Action, Entry};
use super::input::Item;
use super::Caller;
use crate::error::{Error, Result};
use crate::names::parse_bool;
use crate::query::Query;
use crate::resources::passwords::PASSWORDS;
use crate::resources::{Decorations, Resource, Secrets};
use crate::store::{Record, Store};

/// The Prometheus counter of records whose secrets were shown.
pub const REVEALS_METRIC: &str = "mortar_vault_reveals_total";

/// A caller without password access may not send secret attributes at all.
pub(crate) fn forbid_sending(caller: &Caller, resource: &Resource, items: &[Item]) -> Result<()> {
    if caller.password_access || !resource.has_secrets() {
        return Ok(());
    }
    let sends_secret = items.iter().any(|item| {
        let attributes = item.attributes();
        resource
            .fields
            .iter()
            .any(|f| f.secret && attributes.contains_key(f.name))
    });
    if sends_secret {
        return Err(Error::Forbidden(
            "this API key has no password access: it cannot send password or otp_secret values"
                .into(),
        ));
    }
    Ok(())
}

/// Which secrets of `resource` a read may show: only to a caller with
/// password access who asks for them (`show_password`, by default
/// `default_show`); a past version only to a caller with password access.
pub(crate) fn allowed(
    caller: &Caller,
    resource: &Resource,
    query: &Query,
    default_show: bool,
    version: Option<i64>,
) -> Result<Secrets> {
    if !resource.has_secrets() {
        return Ok(Secrets::Hidden);
    }
    let show = match query.show_password.as_deref() {
        None => default_show,
        Some(v) => parse_bool(v)
            .ok_or_else(|| Error::bad_parameter("show_password", "must be true or false"))?,
    };
    if version.is_some() && !caller.password_access {
        return Err(Error::Forbidden(
            "this API key has no password access: it cannot read password versions".into(),
        ));
    }
    Ok(match (show && caller.password_access, version) {
        (false, _) => Secrets::Hidden,
        (true, None) => Secrets::Current,
        (true, Some(version)) => Secrets::Version(version),
    })
}

/// Audits the reveals in `decorations` (one `show` entry per record whose
/// secrets they show) before they can be sent; a hook that revealed what
/// the policy did not allow is an internal error, and nothing is sent.
pub(crate) async fn audit(
    store: &Store,
    schema: &super::compiled::Schema,
    caller: &Caller,
    resource: &Resource,
    records: &[&Record],
    secrets: Secrets,
    decorations: &Decorations,
) -> Result<()> {
    if decorations.revealed.is_empty() {
        return Ok(());
    }
    if secrets == Secrets::Hidden {
        return Err(Error::Internal(anyhow::anyhow!(
            "{} revealed secrets the policy did not allow",
            resource.route
        )));
    }
    let revealed: std::collections::HashSet<i64> = decorations.revealed.iter().copied().collect();
    metrics::counter!(REVEALS_METRIC)
        .increment((revealed.len() + decorations.revealed_passwords.len()) as u64);
    let mut entries: Vec<Entry> = records
        .iter()
        .filter(|r| revealed.contains(&r.id))
        .map(|r| Entry::for_record(resource, r, Action::Show))
        .collect();
    entries.extend(decorations.revealed_passwords.iter().map(|p| Entry {
        action: Action::Show,
        resource_type: PASSWORDS.class,
        resource_id: Some(p.id),
        resource_name: Some(p.name.chars().take(activity::NAME_LENGTH).collect()),
        organization_id: p.organization_id,
    }));
    // The audit entries and the reveal events, in one transaction: of the
    // records shown, and of the embedded passwords their attributes show
    // (read only when a subscription may want them).
    let at = crate::clock::now_millis();
    let mut tx = store.begin().await?;
    activity::record(&mut tx, caller.scope, &caller.actor, &entries, at);
    let embedded = if decorations.revealed_passwords.is_empty()
        || tx.enabled_webhooks(caller.scope).await?.is_empty()
    {
        Vec::new()
    } else {
        let ids: Vec<i64> = decorations
            .revealed_passwords
            .iter()
            .map(|p| p.id)
            .collect();
        super::read::fetch_in(&mut tx, caller.scope, schema.get(&PASSWORDS), &ids).await?
    };
    let mut events: Vec<super::webhooks::Event<'_>> = records
        .iter()
        .filter(|r| revealed.contains(&r.id))
        .map(|record| super::webhooks::Event {
            event: Action::Show.webhook_event(),
            def: resource,
            record,
            organization_id: Entry::for_record(resource, record, Action::Show).organization_id,
        })
        .collect();
    events.extend(embedded.iter().map(|record| super::webhooks::Event {
        event: Action::Show.webhook_event(),
        def: &PASSWORDS,
        record,
        organization_id: Entry::for_record(&PASSWORDS, record, Action::Show).organization_id,
    }));
    super::webhooks::queue(&mut tx, caller.scope, &events, at).await?;
    tx.commit().await
}
