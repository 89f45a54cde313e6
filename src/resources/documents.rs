//! `documents` (seed sections "Documents" and "Copilot Smart Assist"). The
//! reference gives only PATCH; Mortar serves the whole resource (list, show,
//! create, delete, nested under organizations too), as MSPs expect.
//!
//! Content is HTML, cleaned of scripts and event handlers on write. Every
//! change of the name or content keeps the previous revision
//! (`include=recent_versions`); showing a document notes `last-viewed-at`
//! and counts the view (`view-count`, which Copilot Smart Assist's "most
//! used" list sorts by); `expires-on` feeds a "Document expiration".

use super::owned::{
    self, ARCHIVED, MY_GLUE, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL,
    RESTRICTED,
};
use super::{
    BoxFuture, Carries, ColumnType, Expiry, Field, Hooks, Include, IncludeTarget, NewRecord, Ops,
    Resource, Sort, WriteContext,
};
use crate::clock::now_millis;
use crate::error::Result;
use crate::store::{Arg, Cell, Scope, Store, Values};

const EXPIRY: &[Expiry] = &[Expiry {
    column: "expires_on",
    column_type: ColumnType::Date,
    description: "Document expiration",
}];

/// `documents`, also under `/organizations/:id/relationships/documents`.
pub static DOCUMENTS: Resource = Resource {
    json_type: "documents",
    route: "documents",
    table: "documents",
    class: "Document",
    search: Some(&super::Search {
        code: 6,
        title: &["name"],
        body: &["content"],
    }),
    organization_column: Some("organization_id"),
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        RESOURCE_URL,
        RESTRICTED,
        MY_GLUE,
        column!("name", Text).required(),
        column!("content", Text).long_text(),
        ARCHIVED,
        Field::column("public", "t.is_public", ColumnType::Bool)
            .stored_in("is_public")
            .not_null(),
        column!("is_uploaded", Bool).create_only().not_null(),
        column!("document_folder_id", Int).create_only(),
        // Mortar has no document folders yet: the folder path is empty.
        Field::computed("folder_name", "'[]'", ColumnType::Json),
        Field::computed("user_id", "CAST(NULL AS BIGINT)", ColumnType::Int),
        Field::computed("published_by", "CAST(NULL AS BIGINT)", ColumnType::Int),
        column!("published_at", Timestamp),
        Field::computed("support_office_online", "FALSE", ColumnType::Bool),
        Field::computed(
            "office_online_resource_url",
            "CAST(NULL AS TEXT)",
            ColumnType::Text,
        ),
        Field::computed("last_viewed_at", "t.last_viewed_at", ColumnType::Timestamp),
        // An addition to the reference: how often the document was shown
        // (Copilot Smart Assist's "most used" order).
        Field::computed("view_count", "t.view_count", ColumnType::Int),
        column!("expires_on", Date),
        Field::computed(
            "related_items_count",
            "(SELECT COUNT(*) FROM related_items ri WHERE ri.account_id = t.account_id \
             AND ri.resource_type = 'Document' AND ri.resource_id = t.id)",
            ColumnType::Int,
        ),
        Field::computed("updated_by", "t.updated_by", ColumnType::Int),
        Field::computed("updater_name", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::computed("updater_path", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::computed("revision", "t.revision", ColumnType::Int),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[ORGANIZATION_JOIN],
    filters: &[
        filter!("id", Int),
        filter!("name", Text),
        filter!("organization_id", Int),
        filter!("archived", Bool),
    ],
    sorts: &[
        Sort::on("expires_on", "t.expires_on"),
        Sort::on("last_viewed_at", "t.last_viewed_at"),
        Sort::on("view_count", "t.view_count"),
    ],
    includes: &[
        Include {
            name: "recent_versions",
            target: IncludeTarget::HasMany {
                resource: &DOCUMENT_VERSIONS,
                foreign_key: "document_id",
            },
            show_only: true,
        },
        owned::ATTACHMENTS,
        owned::PASSWORDS,
        owned::RELATED_ITEMS,
    ],
    under: &[owned::UNDER_ORGANIZATION],
    carries: Carries::EVERYTHING,
    expirations: EXPIRY,
    hooks: &DocumentHooks,
    ..Resource::BASE
};

/// Earlier revisions of a document (reached through `include=recent_versions`).
pub static DOCUMENT_VERSIONS: Resource = Resource {
    json_type: "recent-versions",
    route: "document_versions",
    table: "document_versions",
    class: "DocumentVersion",
    fields: &[
        Field::computed("document_id", "t.document_id", ColumnType::Int),
        Field::computed("revision", "t.revision", ColumnType::Int),
        Field::computed("name", "t.name", ColumnType::Text),
        Field::computed("content", "t.content", ColumnType::Text),
        Field::computed("api_key_id", "t.api_key_id", ColumnType::Int),
        Field::created_at(),
    ],
    ops: Ops::INCLUDED_ONLY,
    logged: false,
    ..Resource::BASE
};

/// HTML cleaning, revisions and views.
pub struct DocumentHooks;

/// `content` without scripts, event handlers or `javascript:` links.
pub fn sanitize_html(html: &str) -> String {
    ammonia::clean(html)
}

/// Completes a document's column values as written: `content`, when
/// written, cleaned by [`sanitize_html`], and `updated_by` the writer's API
/// key (`None` for the server's own writes). A new document starts at the
/// schema's revision 1; later revisions come from changes of name or content.
pub fn prepare(values: &mut Values, key_id: Option<i64>) {
    if let Some(Arg::Text(Some(html))) = values.get("content").cloned() {
        values.set("content", Arg::from(sanitize_html(&html)));
    }
    values.set("updated_by", Arg::from(key_id));
}

impl Hooks for DocumentHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            prepare(ctx.values, ctx.env.actor.key_id);
            let Some(id) = ctx.id else {
                return Ok(());
            };
            if ctx.values.get("content").is_none() && ctx.values.get("name").is_none() {
                return Ok(());
            }
            let Some(current) = ctx
                .nested
                .find(&DOCUMENTS, vec![("id", Arg::from(id))])
                .await?
                .pop()
            else {
                return Ok(());
            };
            let text = |name: &str| {
                DOCUMENTS
                    .cell(&current, name)
                    .and_then(Cell::as_str)
                    .map(str::to_string)
            };
            let (name, content) = (text("name"), text("content"));
            let changed = |column: &str, old: &Option<String>| match ctx.values.get(column) {
                Some(Arg::Text(new)) => new != old,
                _ => false,
            };
            if !changed("content", &content) && !changed("name", &name) {
                return Ok(());
            }
            let revision = DOCUMENTS
                .cell(&current, "revision")
                .and_then(Cell::as_i64)
                .unwrap_or(1);
            let mut version = Values::default();
            version.set("document_id", Arg::from(id));
            version.set("revision", Arg::from(revision));
            version.set("name", Arg::from(name));
            version.set("content", Arg::from(content));
            version.set("api_key_id", Arg::from(ctx.env.actor.key_id));
            ctx.nested
                .create(
                    &DOCUMENT_VERSIONS,
                    vec![NewRecord::new(ctx.pointer, version)],
                )
                .await?;
            ctx.values.set("revision", Arg::from(revision + 1));
            Ok(())
        })
    }

    fn shown<'a>(&'a self, store: &'a Store, scope: Scope, id: i64) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            store
                .note_view(scope, DOCUMENTS.table, id, now_millis())
                .await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed_from_content() {
        let clean = sanitize_html(
            "<p onclick=\"steal()\">Reboot <b>nightly</b></p><script>alert(1)</script>\
             <a href=\"javascript:alert(1)\">x</a>",
        );
        assert!(clean.contains("<b>nightly</b>"), "{clean}");
        assert!(!clean.contains("script"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(!clean.contains("javascript"), "{clean}");
    }
}
