//! `organizations`: the account's client companies (seed section "Organizations").
//!
//! Special behaviour ([`OrganizationHooks`]): a parent must be in the same
//! account and form no cycle; `ancestor-ids` is kept for the record and its
//! descendants; the account's primary (owner) organization cannot be deleted.

use super::{
    AfterWrite, BeforeDelete, BoxFuture, Carries, ColumnType, Field, Filter, Hooks, Join, Ops,
    Resource, Sort, WriteContext,
};
use crate::error::{Error, Result};
use crate::store::{Arg, Lock, Match, Scope, Tx, Values};

/// PSA integrations the reference's `filter[psa_integration_type]` names.
pub const PSA_INTEGRATION_TYPES: &[&str] = &[
    "manage",
    "autotask",
    "tigerpaw",
    "kaseya-bms",
    "pulseway-psa",
    "vorex",
];

/// `organizations`.
pub static ORGANIZATIONS: Resource = Resource {
    json_type: "organizations",
    route: "organizations",
    table: "organizations",
    class: "Organization",
    search: Some(&super::Search {
        code: 1,
        title: &["name", "short_name"],
        body: &["description", "quick_notes", "alert"],
    }),
    organization_column: Some("id"),
    fields: &[
        column!("name", Text).required(),
        column!("alert", Text).long_text(),
        column!("description", Text).long_text(),
        column!("organization_type_id", Int).references("organization_types"),
        Field::computed("organization_type_name", "ot.name", ColumnType::Text),
        column!("organization_status_id", Int).references("organization_statuses"),
        Field::computed("organization_status_name", "os.name", ColumnType::Text),
        Field::computed("primary", "t.primary_org", ColumnType::Bool),
        Field::computed("logo", "''", ColumnType::Text),
        column!("quick_notes", Text).long_text().list_len(250),
        column!("short_name", Text),
        column!("parent_id", IdString).references("organizations"),
        Field::computed("ancestor_ids", "t.ancestor_ids", ColumnType::Text),
        Field::created_at(),
        Field::updated_at(),
        Field::computed(
            "my_glue_account_id",
            "t.my_glue_account_id",
            ColumnType::Int,
        ),
    ],
    joins: &[
        Join {
            alias: "ot",
            sql: "LEFT JOIN organization_types ot ON ot.id = t.organization_type_id",
        },
        Join {
            alias: "os",
            sql: "LEFT JOIN organization_statuses os ON os.id = t.organization_status_id",
        },
    ],
    filters: &[
        filter!("id", Int).with_exclude(),
        filter!("name", Text).with_exclude(),
        filter!("organization_type_id", Int).with_exclude(),
        filter!("organization_status_id", Int).with_exclude(),
        Filter::date_range("created_at", "t.created_at"),
        Filter::date_range("updated_at", "t.updated_at"),
        filter!("my_glue_account_id", Int).with_range(),
        Filter::exact("primary", "t.primary_org", ColumnType::Bool),
        filter!("parent_id", Int),
        filter!("short_name", Text),
        super::owned::PSA_ID,
        super::owned::PSA_INTEGRATION_TYPE,
        Filter::linked("group_id", super::users::GROUP_ORGANIZATIONS),
    ],
    sorts: &[
        Sort::joined("organization_status_name", "os.name", "os"),
        Sort::joined("organization_type_name", "ot.name", "ot"),
        Sort::on("short_name", "t.short_name"),
        Sort::on("my_glue_account_id", "t.my_glue_account_id"),
    ],
    ops: Ops {
        delete: false,
        ..Ops::ALL
    },
    carries: Carries {
        linkable: true,
        ..Carries::NOTHING
    },
    hooks: &OrganizationHooks,
    ..Resource::BASE
};

/// Parent checks, ancestor bookkeeping and the undeletable owner organization.
pub struct OrganizationHooks;

/// The stored form of `ancestor_ids` (root first, parent last): `[1,6]`,
/// or `[]` for a top-level organization.
pub fn render_ids(ids: &[i64]) -> String {
    let inner: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", inner.join(","))
}

fn parse_ids(text: &str) -> Vec<i64> {
    text.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The ancestor chain of organization `id` (root first), or `None` if it is not in the account.
async fn ancestors(tx: &mut Tx, scope: Scope, id: i64) -> Result<Option<Vec<i64>>> {
    let rows = tx
        .select(
            scope,
            ORGANIZATIONS.table,
            &[("ancestor_ids", ColumnType::Text)],
            &[Match::id(id)],
            Lock::None,
        )
        .await?;
    Ok(rows
        .first()
        .map(|r| parse_ids(r[0].as_str().unwrap_or("[]"))))
}

impl Hooks for OrganizationHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Some(parent) = ctx.values.get("parent_id").cloned() else {
                return Ok(());
            };
            let chain = match parent.as_i64() {
                None => Vec::new(),
                Some(parent_id) => {
                    let pointer = format!("{}/parent-id", ctx.pointer);
                    let mut chain = ancestors(ctx.nested.tx(), ctx.scope, parent_id)
                        .await?
                        .ok_or_else(|| {
                            Error::invalid(
                                &pointer,
                                "does not name an organization in this account",
                            )
                        })?;
                    chain.push(parent_id);
                    if let Some(id) = ctx.id {
                        if chain.contains(&id) {
                            return Err(Error::invalid(
                                pointer,
                                "an organization cannot be its own ancestor",
                            ));
                        }
                    }
                    chain
                }
            };
            ctx.values
                .set("ancestor_ids", Arg::from(render_ids(&chain)));
            Ok(())
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (tx, scope, id) = (ctx.nested.tx(), ctx.scope, ctx.id);
            // Descendants carry this organization's chain inside theirs; rewrite it.
            let Some(own) = ancestors(tx, scope, id).await? else {
                return Ok(());
            };
            let rows = tx
                .select(
                    scope,
                    ORGANIZATIONS.table,
                    &[("id", ColumnType::Int), ("ancestor_ids", ColumnType::Text)],
                    &[Match::Like("ancestor_ids", format!("%{id}%"))],
                    Lock::None,
                )
                .await?;
            for row in rows {
                let (Some(child), Some(text)) = (row[0].as_i64(), row[1].as_str()) else {
                    continue;
                };
                let chain = parse_ids(text);
                let Some(at) = chain.iter().position(|a| *a == id) else {
                    continue;
                };
                let mut updated = own.clone();
                updated.extend_from_slice(&chain[at..]);
                if updated != chain {
                    let mut values = Values::default();
                    values.set("ancestor_ids", Arg::from(render_ids(&updated)));
                    tx.update_rows(scope, ORGANIZATIONS.table, &values, &[Match::id(child)])
                        .await?;
                }
            }
            Ok(())
        })
    }

    fn before_delete<'a>(&'a self, ctx: BeforeDelete<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let rows = ctx
                .nested
                .tx()
                .select(
                    ctx.scope,
                    ORGANIZATIONS.table,
                    &[("id", ColumnType::Int)],
                    &[
                        Match::ids(ctx.ids),
                        Match::Eq("primary_org", Arg::from(true)),
                    ],
                    Lock::None,
                )
                .await?;
            if let Some(row) = rows.first() {
                return Err(Error::invalid(
                    "/data",
                    format!(
                        "organization {} is the account's own (primary) organization and cannot be deleted; nothing was deleted",
                        row[0].as_i64().unwrap_or_default()
                    ),
                ));
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestor_ids_round_trip() {
        assert_eq!(render_ids(&[1, 6]), "[1,6]");
        assert_eq!(render_ids(&[]), "[]");
        assert_eq!(parse_ids("[1,6]"), vec![1, 6]);
        assert_eq!(parse_ids("[]"), Vec::<i64>::new());
    }
}
