//! `exports`: a zip of one organization's records, or of the whole
//! account's (seed section "Exports"). POST answers at once with the export
//! `pending`; the `export` job (see `crate::exports`) builds the file and
//! the export shows `running`, then `done` with its `download-url`, or
//! `failed` with its `error`. `status` and `error` are declared extensions.
//!
//! Special behaviour ([`ExportHooks`]): the organization must be in the
//! account; a `zip-password` is sealed by the vault until the job used it;
//! the export remembers whether its requester may read passwords (only
//! then does the file hold their values); the job is queued in the same
//! transaction as the export; deleting an export removes its file.

use super::{
    AfterWrite, BeforeDelete, BoxFuture, ColumnType, Field, Hooks, Ops, Resource, Sort,
    WriteContext,
};
use crate::error::{Error, Result};
use crate::store::{Arg, Lock, Match, Values};
use crate::vault::Place;

/// The job kind that builds an export.
pub const EXPORT_KIND: &str = "export";

/// Shortest accepted zip password.
const MIN_ZIP_PASSWORD: usize = 8;

/// `exports`.
pub static EXPORTS: Resource = Resource {
    json_type: "exports",
    route: "exports",
    table: "exports",
    guard: crate::roles::Guard::Settings,
    class: "Export",
    title_field: "organization_name",
    fields: &[
        column!("organization_id", Int)
            .references("organizations")
            .create_only(),
        Field::computed("organization_name", "t.organization_name", ColumnType::Text),
        column!("include_logs", Bool).create_only().not_null(),
        Field::computed("export_all", "t.organization_id IS NULL", ColumnType::Bool),
        Field::computed("encrypted_status", "t.encrypted", ColumnType::Bool),
        Field::computed("status", "t.status", ColumnType::Text),
        Field::computed("error", "t.error", ColumnType::Text),
        Field::link(
            "download_url",
            "CASE WHEN t.status = 'done' THEN '/exports/' || CAST(t.id AS TEXT) || '/download' END",
        ),
        Field::write_only("zip_password", ColumnType::Text),
        Field::created_at(),
        Field::updated_at(),
    ],
    filters: &[filter!("id", Int)],
    sorts: &[Sort::on("name", "t.organization_name")],
    ops: Ops {
        list: true,
        show: true,
        create: true,
        update: false,
        bulk_update: false,
        bulk_delete: false,
        delete: true,
        top_level: true,
        list_top_level: true,
    },
    // The zip password is sealed by the account's data key.
    nested_secrets: true,
    hooks: &ExportHooks,
    ..Resource::BASE
};

/// Where the zip password of export `id` is sealed.
pub fn password_place(id: i64) -> Place<'static> {
    Place {
        table: "exports",
        row: id,
        column: "zip_password",
        version: 0,
    }
}

/// Checks and completes an export; queues its job; removes deleted files.
pub struct ExportHooks;

impl Hooks for ExportHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let pointer = format!("{}/zip-password", ctx.pointer);
            match ctx.values.take("zip_password") {
                Some(Arg::Text(Some(password))) => {
                    if password.chars().count() < MIN_ZIP_PASSWORD {
                        return Err(Error::invalid(
                            pointer,
                            format!("is too short (at least {MIN_ZIP_PASSWORD} characters)"),
                        ));
                    }
                    ctx.deferred.set("zip_password", Arg::from(password));
                    ctx.values.set("encrypted", Arg::from(true));
                }
                Some(Arg::Text(None)) | None => {}
                Some(_) => return Err(Error::invalid(pointer, "must be a string")),
            }
            if let Some(organization) = ctx.values.get("organization_id").and_then(Arg::as_i64) {
                let rows = ctx
                    .nested
                    .tx()
                    .select(
                        ctx.scope,
                        "organizations",
                        &[("name", ColumnType::Text)],
                        &[Match::id(organization)],
                        Lock::None,
                    )
                    .await?;
                let name = rows.first().and_then(|r| r[0].as_str()).map(str::to_string);
                ctx.values.set("organization_name", Arg::from(name));
            }
            if ctx.values.get("include_logs").is_none() {
                ctx.values.set("include_logs", Arg::from(false));
            }
            ctx.values.set("status", Arg::from("pending"));
            ctx.values
                .set("with_passwords", Arg::from(ctx.env.password_access));
            ctx.values
                .set("api_key_id", Arg::from(ctx.env.actor.key_id));
            ctx.values.set("user_id", Arg::from(ctx.env.actor.user_id));
            Ok(())
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if !ctx.created {
                return Ok(());
            }
            if let Some(Arg::Text(Some(password))) = ctx.deferred.get("zip_password") {
                let sealed = ctx
                    .env
                    .vault
                    .seal(ctx.scope, &password_place(ctx.id), password)?;
                let mut values = Values::default();
                values.set("zip_password", Arg::from(sealed));
                ctx.nested
                    .tx()
                    .update_rows(ctx.scope, EXPORTS.table, &values, &[Match::id(ctx.id)])
                    .await?;
            }
            let job = crate::jobs::NewJob::new(EXPORT_KIND, serde_json::json!({"export": ctx.id}))
                .for_account(ctx.scope)
                .max_attempts(3)
                .into_enqueue();
            ctx.nested.tx().insert_job(&job).await?;
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
                    EXPORTS.table,
                    &[("file_path", ColumnType::Text)],
                    &[Match::ids(ctx.ids)],
                    Lock::ForUpdate,
                )
                .await?;
            // Removed once the delete commits: a failed delete keeps its file.
            ctx.env.files.release_exports(
                rows.iter()
                    .filter_map(|r| r[0].as_str())
                    .map(str::to_string),
            );
            Ok(())
        })
    }
}
