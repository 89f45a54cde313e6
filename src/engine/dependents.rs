//! Records that hang off another record by `resource_type` + `resource_id`
//! (embedded passwords, attachments, related items, expirations): they go
//! when it goes, and embedded passwords follow its renames. What hangs off
//! what comes from each definition's [`Carries`](crate::resources::Carries)
//! through the registry. Rows owned through a foreign key (interfaces of a
//! configuration, everything of an organization) cascade in the schema
//! instead; only their attachment files need collecting here.

use super::write::Writer;
use crate::error::Result;
use crate::resources::attachments::ATTACHMENTS;
use crate::resources::expirations::EXPIRATIONS;
use crate::resources::passwords::PASSWORDS;
use crate::resources::related_items::RELATED_ITEMS;
use crate::resources::{Carries, Nested, Resource};
use crate::store::{Arg, Cell, ColumnType, Lock, Match, Record, Scope, Tx, Values};

/// Largest id list bound into one statement.
const CHUNK: usize = 500;

/// Deletes what hangs off records `ids` of `resource`, in the write's
/// transaction; the files of attachments that go are released to the
/// write's journal, to be removed once it commits.
pub(crate) async fn delete(
    writer: &mut Writer<'_>,
    resource: &Resource,
    ids: &[i64],
) -> Result<()> {
    let scope = writer.scope();
    let class = Arg::from(resource.class);
    for chunk in ids.chunks(CHUNK) {
        let owned = Match::In(
            "resource_id",
            chunk.iter().map(|id| Arg::from(*id)).collect(),
        );
        let of_class = Match::Eq("resource_type", class.clone());
        if resource.organization_column == Some("id") {
            // Everything of an organization cascades in the schema; only the
            // attachment files need collecting before their rows go.
            let by_organization = Match::In(
                "organization_id",
                chunk.iter().map(|id| Arg::from(*id)).collect(),
            );
            release_files(writer, &[by_organization]).await?;
        }
        if resource.carries.passwords {
            let embedded: Vec<i64> = ids_of(
                writer.tx(),
                scope,
                PASSWORDS.table,
                &[of_class.clone(), owned.clone()],
            )
            .await?;
            if !embedded.is_empty() {
                Box::pin(delete(writer, &PASSWORDS, &embedded)).await?;
                writer
                    .tx()
                    .delete_search_entries(scope, PASSWORDS.json_type, &embedded)
                    .await?;
                for inner in embedded.chunks(CHUNK) {
                    writer
                        .tx()
                        .delete_rows(scope, PASSWORDS.table, &[Match::ids(inner)])
                        .await?;
                }
            }
        }
        if resource.carries.attachments {
            release_files(writer, &[of_class.clone(), owned.clone()]).await?;
            writer
                .tx()
                .delete_rows(scope, ATTACHMENTS.table, &[of_class.clone(), owned.clone()])
                .await?;
        }
        if !resource.expirations.is_empty() || resource.carries != Carries::NOTHING {
            writer
                .tx()
                .delete_rows(scope, EXPIRATIONS.table, &[of_class.clone(), owned.clone()])
                .await?;
        }
        if resource.carries.related_items || resource.carries.linkable {
            writer
                .tx()
                .delete_rows(
                    scope,
                    RELATED_ITEMS.table,
                    &[of_class.clone(), owned.clone()],
                )
                .await?;
            let pointed_at = Match::In(
                "destination_id",
                chunk.iter().map(|id| Arg::from(*id)).collect(),
            );
            writer
                .tx()
                .delete_rows(
                    scope,
                    RELATED_ITEMS.table,
                    &[Match::Eq("destination_type", class.clone()), pointed_at],
                )
                .await?;
        }
    }
    Ok(())
}

/// The ids of the account's rows of `table` that match.
async fn ids_of(tx: &mut Tx, scope: Scope, table: &str, matching: &[Match]) -> Result<Vec<i64>> {
    Ok(tx
        .select(
            scope,
            table,
            &[("id", ColumnType::Int)],
            matching,
            Lock::None,
        )
        .await?
        .iter()
        .filter_map(|r| r[0].as_i64())
        .collect())
}

/// Releases the files of the attachments that match to the write's journal.
pub(crate) async fn release_files(writer: &mut Writer<'_>, matching: &[Match]) -> Result<()> {
    let scope = writer.scope();
    let rows = writer
        .tx()
        .select(
            scope,
            ATTACHMENTS.table,
            &[("blob_key", ColumnType::Text)],
            matching,
            Lock::None,
        )
        .await?;
    let keys: Vec<String> = rows
        .into_iter()
        .filter_map(|row| row.into_iter().next())
        .filter_map(|cell| match cell {
            Cell::Text(key) => Some(key),
            _ => None,
        })
        .collect();
    writer.env().files.release(keys);
    Ok(())
}

/// Whether writing `values` to a record of `resource` can change its name
/// (its title field: a column written, or a name computed from others).
pub(crate) fn renames(resource: &Resource, values: &Values) -> bool {
    match resource.title_column() {
        Some(column) => values.get(column).is_some(),
        None => true,
    }
}

/// Keeps embedded passwords' `cached-resource-name` equal to their record's
/// name after `records` of `resource` were renamed ([`renames`]), in one
/// statement for all of them.
pub(crate) async fn renamed(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    records: &[&Record],
) -> Result<()> {
    if !resource.carries.passwords {
        return Ok(());
    }
    let names: Vec<Vec<Arg>> = records
        .iter()
        .filter_map(|record| {
            let name = resource
                .cell(record, resource.title_field)
                .and_then(Cell::as_str)?;
            Some(vec![Arg::from(record.id), Arg::from(name)])
        })
        .collect();
    tx.update_each(
        scope,
        PASSWORDS.table,
        &[("resource_id", ColumnType::Int)],
        &["cached_resource_name"],
        names,
        &[Match::Eq("resource_type", Arg::from(resource.class))],
    )
    .await?;
    Ok(())
}
