//! The activity log: one entry per change (and, with the vault, per reveal),
//! written in the caller's transaction so the log never disagrees with the data.
//! `GET /logs` reads it through the `logs` resource definition.

use crate::error::Result;
use crate::resources::Resource;
use crate::store::{Actor, Arg, Cell, Record, Scope, Store, Tx};

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Created.
    Create,
    /// Updated.
    Update,
    /// Deleted.
    Delete,
    /// A secret was shown.
    Show,
    /// An OAuth2 client was given an access token.
    IssueToken,
}

impl Action {
    /// The action as the log spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Show => "show",
            Action::IssueToken => "issue_token",
        }
    }

    /// The action as a webhook event names it (a shown secret is a `reveal`).
    pub fn webhook_event(self) -> &'static str {
        match self {
            Action::Show => "reveal",
            other => other.as_str(),
        }
    }
}

/// One entry about one record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What happened.
    pub action: Action,
    /// Class-style type name, e.g. `Organization`.
    pub resource_type: &'static str,
    /// The record's id.
    pub resource_id: Option<i64>,
    /// The record's name at the time.
    pub resource_name: Option<String>,
    /// The organization the record belongs to.
    pub organization_id: Option<i64>,
}

impl Entry {
    /// The entry for `action` on `record` of `resource`.
    pub fn for_record(resource: &Resource, record: &Record, action: Action) -> Entry {
        Entry {
            action,
            resource_type: resource.class,
            resource_id: Some(record.id),
            resource_name: resource
                .cell(record, resource.title_field)
                .and_then(Cell::as_str)
                .map(|name| name.chars().take(NAME_LENGTH).collect()),
            organization_id: match resource.organization_column {
                Some("id") => Some(record.id),
                Some(column) => resource.cell(record, column).and_then(Cell::as_i64),
                None => None,
            },
        }
    }
}

/// Longest record name an entry keeps, in characters: names are indexed,
/// and a title can be long text (a related item's notes).
pub const NAME_LENGTH: usize = 255;

/// Logs `entries` in `tx`, attributed to `actor`, at time `at` (ms), as rows
/// of [`crate::store::ACTIVITY_COLUMNS`]: they are written when it commits,
/// with the rest of its entries.
pub fn record(tx: &mut Tx, scope: Scope, actor: &Actor, entries: &[Entry], at: i64) {
    let rows = entries
        .iter()
        .map(|entry| {
            vec![
                Arg::from(actor.key_id),
                Arg::from(actor.user_id),
                Arg::from(entry.organization_id),
                Arg::from(entry.action.as_str()),
                Arg::from(entry.resource_type),
                Arg::from(entry.resource_id),
                Arg::from(entry.resource_name.clone()),
                Arg::from(actor.ip.clone()),
                Arg::from(actor.user_agent.clone()),
                Arg::from(at),
            ]
        })
        .collect();
    tx.record_activity(scope, rows);
}

/// Writes `entries` in a transaction of their own (reveals, which change no data).
pub async fn record_now(
    store: &Store,
    scope: Scope,
    actor: &Actor,
    entries: &[Entry],
) -> Result<()> {
    let mut tx = store.begin().await?;
    record(&mut tx, scope, actor, entries, crate::clock::now_millis());
    tx.commit().await
}
