//! Expirations derived from the dates a definition names
//! ([`Resource::expirations`]): rewritten in the same transaction as every
//! write to the record, deleted with it (see `dependents`).

use crate::clock::{now_millis, parse_range_bound, RangeEnd};
use crate::error::Result;
use crate::resources::expirations::EXPIRATIONS;
use crate::resources::{Expiry, Resource};
use crate::store::{Arg, Cell, ColumnType, Lock, Match, Scope, Tx, Values};

/// One expiration row a record's dates make.
#[derive(Debug, Clone, PartialEq)]
pub struct Expiring {
    /// The expiration's `description`, from the definition.
    pub description: &'static str,
    /// When it expires, in milliseconds since the epoch (midnight UTC for dates).
    pub at: i64,
}

/// The expirations a record's date cells make, one per source with a date.
pub fn expiring(sources: &'static [Expiry], cells: &[Cell]) -> Vec<Expiring> {
    sources
        .iter()
        .zip(cells)
        .filter_map(|(source, cell)| {
            let at = match cell {
                Cell::Int(ms) => Some(*ms),
                Cell::Text(text) => parse_range_bound(text, RangeEnd::Start),
                _ => None,
            }?;
            Some(Expiring {
                description: source.description,
                at,
            })
        })
        .collect()
}

/// The expiration rows record `id` of `resource` makes, as stored (without
/// the account): one per date source of [`Resource::expirations`] with a
/// date in `dates` (the sources' cells, in order), carrying the record's
/// organization and name (its title field) and `now` as creation and
/// update time.
pub fn expiration_rows(
    resource: &Resource,
    id: i64,
    organization_id: i64,
    name: Option<&str>,
    dates: &[Cell],
    now: i64,
) -> Vec<Values> {
    expiring(resource.expirations, dates)
        .into_iter()
        .map(|date| {
            Values(vec![
                ("organization_id", Arg::from(organization_id)),
                ("resource_type", Arg::from(resource.class)),
                ("resource_id", Arg::from(id)),
                ("resource_name", Arg::from(name.map(str::to_string))),
                ("description", Arg::from(date.description)),
                ("expiration_date", Arg::from(date.at)),
                ("created_at", Arg::from(now)),
                ("updated_at", Arg::from(now)),
            ])
        })
        .collect()
}

/// The columns of [`expiration_rows`], in order.
pub const EXPIRATION_COLUMNS: [&str; 8] = [
    "organization_id",
    "resource_type",
    "resource_id",
    "resource_name",
    "description",
    "expiration_date",
    "created_at",
    "updated_at",
];

/// Whether `values` give `resource` any of its expiry dates: a new record
/// without one has no expirations to write, nor any to remove.
pub(crate) fn dated(resource: &Resource, values: &Values) -> bool {
    resource.expirations.iter().any(|source| {
        values
            .get(source.column)
            .is_some_and(|value| !value.is_null())
    })
}

/// Whether writing `values` to a record of `resource` can change its
/// expirations, which derive from its organization, its title and its
/// dates alone (the columns [`refresh`] reads).
pub(crate) fn touched(resource: &Resource, values: &Values) -> bool {
    !resource.expirations.is_empty()
        && ["organization_id", title_column(resource)]
            .into_iter()
            .chain(resource.expirations.iter().map(|source| source.column))
            .any(|column| values.get(column).is_some())
}

/// The column holding the name an expiration carries.
fn title_column(resource: &Resource) -> &'static str {
    resource.title_column().unwrap_or("name")
}

/// Rewrites the expirations of record `id` of `resource` from its current
/// row: one per date source with a date, none for those without.
pub(crate) async fn refresh(tx: &mut Tx, scope: Scope, resource: &Resource, id: i64) -> Result<()> {
    if resource.expirations.is_empty() {
        return Ok(());
    }
    let dates: Vec<(&str, ColumnType)> = resource
        .expirations
        .iter()
        .map(|s| (s.column, s.column_type))
        .collect();
    let Some(row) = owner_row(tx, scope, resource, id, &dates).await? else {
        return Ok(());
    };
    let rows = match row[0].as_i64() {
        Some(organization) => expiration_rows(
            resource,
            id,
            organization,
            row[1].as_str(),
            &row[2..],
            now_millis(),
        ),
        None => Vec::new(),
    };
    // The dates the record does not have (any more): one delete for all.
    let mut gone = Vec::new();
    for source in resource.expirations {
        let owner = vec![
            Match::Eq("resource_type", Arg::from(resource.class)),
            Match::Eq("resource_id", Arg::from(id)),
            Match::Eq("description", Arg::from(source.description)),
        ];
        let new = rows
            .iter()
            .find(|r| r.get("description") == Some(&Arg::from(source.description)));
        let Some(new) = new else {
            gone.push(Arg::from(source.description));
            continue;
        };
        // An existing row keeps its creation time.
        let mut changed = new.clone();
        for column in ["resource_type", "resource_id", "description", "created_at"] {
            changed.take(column);
        }
        if tx
            .update_rows(scope, EXPIRATIONS.table, &changed, &owner)
            .await?
            == 0
        {
            tx.insert(scope, EXPIRATIONS.table, new)
                .await?
                .map_err(|_| {
                    crate::error::Error::Internal(anyhow::anyhow!(
                        "an expiration row clashed with itself"
                    ))
                })?;
        }
    }
    if !gone.is_empty() {
        let owner = [
            Match::Eq("resource_type", Arg::from(resource.class)),
            Match::Eq("resource_id", Arg::from(id)),
            Match::In("description", gone),
        ];
        tx.delete_rows(scope, EXPIRATIONS.table, &owner).await?;
    }
    Ok(())
}

/// Replaces every expiration of record `id` of `resource` by `rows`
/// (description, instant in milliseconds): the dates a hook derives, such
/// as a flexible asset's Date traits flagged as expirations.
pub(crate) async fn replace(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    id: i64,
    rows: &[(String, i64)],
) -> Result<()> {
    let owner = [
        Match::Eq("resource_type", Arg::from(resource.class)),
        Match::Eq("resource_id", Arg::from(id)),
    ];
    tx.delete_rows(scope, EXPIRATIONS.table, &owner).await?;
    if rows.is_empty() {
        return Ok(());
    }
    let Some(row) = owner_row(tx, scope, resource, id, &[]).await? else {
        return Ok(());
    };
    let now = now_millis();
    for (description, at) in rows {
        let mut values = Values::default();
        values.set("organization_id", Arg::from(row[0].as_i64()));
        values.set("resource_type", Arg::from(resource.class));
        values.set("resource_id", Arg::from(id));
        values.set(
            "resource_name",
            Arg::from(row[1].as_str().map(str::to_string)),
        );
        values.set("description", Arg::from(description.clone()));
        values.set("expiration_date", Arg::from(*at));
        values.set("created_at", Arg::from(now));
        values.set("updated_at", Arg::from(now));
        tx.insert(scope, EXPIRATIONS.table, &values)
            .await?
            .map_err(|_| {
                crate::error::Error::Internal(anyhow::anyhow!(
                    "two expirations of one record share a description"
                ))
            })?;
    }
    Ok(())
}

/// The organization and title of record `id` of `resource`, then the
/// `extra` columns: what an expiration carries of its record.
async fn owner_row(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    id: i64,
    extra: &[(&str, ColumnType)],
) -> Result<Option<Vec<Cell>>> {
    let mut columns = vec![
        ("organization_id", ColumnType::Int),
        (title_column(resource), ColumnType::Text),
    ];
    columns.extend_from_slice(extra);
    Ok(tx
        .select(
            scope,
            resource.table,
            &columns,
            &[Match::id(id)],
            Lock::None,
        )
        .await?
        .pop())
}
