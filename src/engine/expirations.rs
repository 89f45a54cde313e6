//! Expirations derived from the dates a definition names
//! ([`Resource::expirations`]): rewritten in the same transaction as every
//! write to the record, deleted with it (see `dependents`).

use std::collections::{BTreeMap, HashSet};

use crate::clock::{now_millis, parse_range_bound, RangeEnd};
use crate::error::Result;
use crate::resources::expirations::EXPIRATIONS;
use crate::resources::{Expiry, Resource};
use crate::store::{Arg, Cell, ColumnType, Inserting, Lock, Match, Scope, Tx, Values};

/// Largest number of records whose expirations one pass rewrites (their
/// ids are bound into its statements).
const CHUNK: usize = 1000;

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
            expiration_row(
                resource,
                id,
                Some(organization_id),
                name,
                date.description,
                date.at,
                now,
            )
        })
        .collect()
}

/// One expiration row of record `id` of `resource`, in the order of
/// [`EXPIRATION_COLUMNS`].
fn expiration_row(
    resource: &Resource,
    id: i64,
    organization_id: Option<i64>,
    name: Option<&str>,
    description: &str,
    at: i64,
    now: i64,
) -> Values {
    Values(vec![
        ("organization_id", Arg::from(organization_id)),
        ("resource_type", Arg::from(resource.class)),
        ("resource_id", Arg::from(id)),
        ("resource_name", Arg::from(name.map(str::to_string))),
        ("description", Arg::from(description)),
        ("expiration_date", Arg::from(at)),
        ("created_at", Arg::from(now)),
        ("updated_at", Arg::from(now)),
    ])
}

/// Inserts expiration `rows` (made by [`expiration_row`]) in as few
/// statements as the dialect allows.
async fn insert_expirations(tx: &mut Tx, scope: Scope, rows: Vec<Values>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = rows
        .into_iter()
        .map(|row| row.0.into_iter().map(|(_, value)| value).collect())
        .collect();
    tx.insert_rows(
        Some(scope),
        EXPIRATIONS.table,
        &EXPIRATION_COLUMNS,
        rows,
        Inserting::Quietly,
    )
    .await?;
    Ok(())
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

/// Rewrites the expirations of records `ids` of `resource` from their
/// current rows: one per date source with a date, none for those without.
/// An expiration that stays keeps its id and creation time. However many
/// the records, it costs a read of them, one `UPDATE` of the expirations
/// that stay, one `INSERT` of the new ones and a `DELETE` per set of
/// sources that lost their dates (per thousand records).
pub(crate) async fn refresh(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    ids: &[i64],
) -> Result<()> {
    if resource.expirations.is_empty() {
        return Ok(());
    }
    let dates: Vec<(&str, ColumnType)> = resource
        .expirations
        .iter()
        .map(|s| (s.column, s.column_type))
        .collect();
    for chunk in ids.chunks(CHUNK) {
        let now = now_millis();
        let mut wanted = Vec::new();
        // The records whose sources lost their dates, by those sources.
        let mut gone: BTreeMap<Vec<&'static str>, Vec<Arg>> = BTreeMap::new();
        for row in owner_rows(tx, scope, resource, chunk, &dates).await? {
            let Some(id) = row[0].as_i64() else { continue };
            let organization = row[1].as_i64();
            let dated = match organization {
                Some(_) => expiring(resource.expirations, &row[3..]),
                None => Vec::new(),
            };
            let lost: Vec<&'static str> = resource
                .expirations
                .iter()
                .map(|source| source.description)
                .filter(|description| !dated.iter().any(|d| d.description == *description))
                .collect();
            if !lost.is_empty() {
                gone.entry(lost).or_default().push(Arg::from(id));
            }
            let name = row[2].as_str().map(str::to_string);
            wanted.extend(dated.into_iter().map(|date| Wanted {
                id,
                organization,
                name: name.clone(),
                date,
            }));
        }
        let kept = update_kept(tx, scope, resource, &wanted, now).await?;
        let new: Vec<Values> = wanted
            .iter()
            .filter(|w| !kept.contains(&(w.id, w.date.description.to_string())))
            .map(|w| {
                let (description, at) = (w.date.description, w.date.at);
                expiration_row(
                    resource,
                    w.id,
                    w.organization,
                    w.name.as_deref(),
                    description,
                    at,
                    now,
                )
            })
            .collect();
        insert_expirations(tx, scope, new).await?;
        for (descriptions, records) in gone {
            let owners = [
                Match::Eq("resource_type", Arg::from(resource.class)),
                Match::In("resource_id", records),
                Match::In(
                    "description",
                    descriptions.into_iter().map(Arg::from).collect(),
                ),
            ];
            tx.delete_rows(scope, EXPIRATIONS.table, &owners).await?;
        }
    }
    Ok(())
}

/// An expiration a record's dates make, before it is written.
struct Wanted {
    /// The record's id.
    id: i64,
    /// Its organization.
    organization: Option<i64>,
    /// Its name (title).
    name: Option<String>,
    /// The date and its description.
    date: Expiring,
}

/// Updates, in one statement, those of the `wanted` expirations that exist
/// (to their record's organization and name, their date, and `now`); the
/// record id and description of each it updated.
async fn update_kept(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    wanted: &[Wanted],
    now: i64,
) -> Result<HashSet<(i64, String)>> {
    if wanted.is_empty() {
        return Ok(HashSet::new());
    }
    let values = wanted
        .iter()
        .map(|w| {
            vec![
                Arg::from(w.id),
                Arg::from(w.date.description),
                Arg::from(w.organization),
                Arg::from(w.name.clone()),
                Arg::from(w.date.at),
                Arg::from(now),
            ]
        })
        .collect();
    let updated = tx
        .update_each(
            scope,
            EXPIRATIONS.table,
            &[
                ("resource_id", ColumnType::Int),
                ("description", ColumnType::Text),
            ],
            &[
                "organization_id",
                "resource_name",
                "expiration_date",
                "updated_at",
            ],
            values,
            &[Match::Eq("resource_type", Arg::from(resource.class))],
        )
        .await?;
    Ok(updated
        .into_iter()
        .filter_map(|key| Some((key.first()?.as_i64()?, key.get(1)?.as_str()?.to_string())))
        .collect())
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
    let Some(row) = owner_rows(tx, scope, resource, &[id], &[]).await?.pop() else {
        return Ok(());
    };
    let now = now_millis();
    let new = rows
        .iter()
        .map(|(description, at)| {
            expiration_row(
                resource,
                id,
                row[1].as_i64(),
                row[2].as_str(),
                description,
                *at,
                now,
            )
        })
        .collect();
    insert_expirations(tx, scope, new).await
}

/// The id, organization and title of records `ids` of `resource`, then the
/// `extra` columns: what the expirations of each carry of it.
async fn owner_rows(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    ids: &[i64],
    extra: &[(&str, ColumnType)],
) -> Result<Vec<Vec<Cell>>> {
    let mut columns = vec![
        ("id", ColumnType::Int),
        ("organization_id", ColumnType::Int),
        (title_column(resource), ColumnType::Text),
    ];
    columns.extend_from_slice(extra);
    tx.select(
        scope,
        resource.table,
        &columns,
        &[Match::ids(ids)],
        Lock::None,
    )
    .await
}
