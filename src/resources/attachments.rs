//! `attachments` (seed section "Attachments"): files attached to a record,
//! posted to `/:resource_type/:resource_id/relationships/attachments` (one or
//! many, base64 JSON or multipart), renamed and bulk deleted there, and read
//! through `include=attachments` on the record. The bytes live in the blob
//! store; `download-url` points at Mortar's authenticated download route.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::owned::organization_of;
use super::{
    BeforeDelete, BoxFuture, ColumnType, Field, Hooks, Ops, Owners, Resource, WriteContext,
};
use crate::error::{Error, Invalid, Result};
use crate::store::{Arg, Cell, Lock, Match};

/// Longest accepted file name, in characters.
const MAX_FILE_NAME: usize = 255;

/// `attachments`, routed only under the records they belong to.
pub static ATTACHMENTS: Resource = Resource {
    json_type: "attachments",
    route: "attachments",
    table: "attachments",
    class: "Attachment",
    organization_column: Some("organization_id"),
    fields: &[
        Field::computed("organization_id", "t.organization_id", ColumnType::Int),
        column!("resource_id", Int).create_only(),
        column!("resource_type", Text).create_only(),
        column!("name", Text).not_null(),
        Field::computed("attachment_file_name", "t.file_name", ColumnType::Text),
        Field::computed(
            "attachment_content_type",
            "t.content_type",
            ColumnType::Text,
        ),
        Field::computed("attachment_file_size", "t.file_size", ColumnType::Int),
        Field::computed("ext", "t.ext", ColumnType::Text),
        Field::computed(
            "viewable",
            "(t.content_type LIKE 'text/%' OR t.content_type LIKE 'image/%')",
            ColumnType::Bool,
        ),
        Field::link(
            "download_url",
            "'/attachments/' || CAST(t.id AS TEXT) || '/download'",
        ),
        Field::created_at(),
        Field::updated_at(),
        Field::write_only("attachment", ColumnType::Json),
    ],
    owners: Owners::CarryingAttachments,
    takes_files: true,
    ops: Ops::UNDER_RECORD,
    hooks: &AttachmentHooks,
    ..Resource::BASE
};

/// Turns an upload into a stored blob and its columns (create), and keeps
/// renames to the name alone (update).
pub struct AttachmentHooks;

impl Hooks for AttachmentHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match ctx.id {
                Some(_) => check_rename(&ctx),
                None => attach(ctx).await,
            }
        })
    }

    /// Deleted attachments release their files, removed once the delete commits.
    fn before_delete<'a>(&'a self, ctx: BeforeDelete<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let rows = ctx
                .nested
                .tx()
                .select(
                    ctx.scope,
                    ATTACHMENTS.table,
                    &[("blob_key", ColumnType::Text)],
                    &[Match::ids(ctx.ids)],
                    Lock::None,
                )
                .await?;
            ctx.env.files.release(rows.into_iter().filter_map(
                |row| match row.into_iter().next() {
                    Some(Cell::Text(key)) => Some(key),
                    _ => None,
                },
            ));
            Ok(())
        })
    }
}

/// A rename must name the attachment anew: `name` is required on PATCH.
fn check_rename(ctx: &WriteContext<'_>) -> Result<()> {
    let pointer = format!("{}/name", ctx.pointer);
    match ctx.values.get("name") {
        Some(Arg::Text(Some(name))) if !name.trim().is_empty() => Ok(()),
        Some(_) => Err(Error::invalid(pointer, "can't be blank")),
        None => Err(Error::invalid(
            pointer,
            "is required: only the name of an attachment can be changed",
        )),
    }
}

/// A checked upload: the file's bytes and its (path-free) name.
struct Upload {
    bytes: Vec<u8>,
    file_name: String,
}

/// Reads `{"content": "<strict base64>", "file_name": "x.png"}`; every problem is reported.
fn upload(pointer: &str, given: Option<Arg>) -> Result<Upload> {
    let pointer = format!("{pointer}/attachment");
    let object = match given {
        Some(Arg::Text(Some(json))) => match serde_json::from_str::<Value>(&json) {
            Ok(Value::Object(object)) => object,
            _ => {
                return Err(Error::invalid(
                    pointer,
                    "must be an object with content and file_name",
                ))
            }
        },
        _ => {
            return Err(Error::invalid(
                pointer,
                "is required: an object with content (strict base64) and file_name, or a multipart file",
            ))
        }
    };
    let mut problems = Vec::new();
    let bytes = content(&pointer, &object, &mut problems);
    let file_name = file_name(&pointer, &object, &mut problems);
    match (bytes, file_name) {
        (Some(bytes), Some(file_name)) if problems.is_empty() => Ok(Upload { bytes, file_name }),
        _ => Err(Error::Invalid(problems)),
    }
}

fn content(
    pointer: &str,
    object: &Map<String, Value>,
    problems: &mut Vec<Invalid>,
) -> Option<Vec<u8>> {
    let pointer = format!("{pointer}/content");
    let text = match object.get("content") {
        Some(Value::String(text)) if !text.is_empty() => text,
        Some(Value::String(_)) => {
            problems.push(Invalid::new(
                pointer,
                "is empty: attach a file with content",
            ));
            return None;
        }
        Some(Value::Null) | None => {
            problems.push(Invalid::new(
                pointer,
                "is required: the file as strict base64",
            ));
            return None;
        }
        Some(_) => {
            problems.push(Invalid::new(pointer, "must be a strict base64 string"));
            return None;
        }
    };
    match base64::engine::general_purpose::STANDARD.decode(text) {
        Ok(bytes) if !bytes.is_empty() => Some(bytes),
        Ok(_) => {
            problems.push(Invalid::new(
                pointer,
                "is empty: attach a file with content",
            ));
            None
        }
        Err(_) => {
            problems.push(Invalid::new(
                pointer,
                "is not strict base64 (RFC 4648 alphabet with padding, no line breaks)",
            ));
            None
        }
    }
}

fn file_name(
    pointer: &str,
    object: &Map<String, Value>,
    problems: &mut Vec<Invalid>,
) -> Option<String> {
    let pointer = format!("{pointer}/file_name");
    let Some(Value::String(given)) = object.get("file_name") else {
        problems.push(Invalid::new(pointer, "is required: the file's name"));
        return None;
    };
    // Browsers and scripts may send a path; only its last part names the file.
    let name = given.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        problems.push(Invalid::new(pointer, "must be a file name"));
        None
    } else if name.chars().count() > MAX_FILE_NAME {
        problems.push(Invalid::new(
            pointer,
            format!("is too long (at most {MAX_FILE_NAME} characters)"),
        ));
        None
    } else {
        Some(name.to_string())
    }
}

/// The content type of `bytes`, from the bytes alone (never the file name):
/// a known signature, else `text/plain` for UTF-8, else `application/octet-stream`.
pub fn content_type(bytes: &[u8]) -> &'static str {
    match infer::get(bytes) {
        Some(kind) => kind.mime_type(),
        None if std::str::from_utf8(bytes).is_ok() => "text/plain",
        None => "application/octet-stream",
    }
}

/// The lower-case extension of `file_name`, if it has one.
fn extension(file_name: &str) -> Option<String> {
    Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty())
        .map(str::to_ascii_lowercase)
}

/// Checks the upload, stores its bytes and fills the stored columns.
async fn attach(ctx: WriteContext<'_>) -> Result<()> {
    let upload = upload(ctx.pointer, ctx.values.take("attachment"))?;
    let parent_type = match ctx.values.get("resource_type") {
        Some(Arg::Text(Some(kind))) => kind.clone(),
        _ => String::new(),
    };
    let Some(parent_id) = ctx.values.get("resource_id").and_then(Arg::as_i64) else {
        return Err(Error::invalid(
            ctx.pointer,
            "attachments are created under their record: /:resource_type/:resource_id/relationships/attachments",
        ));
    };
    let organization = organization_of(ctx.nested, &parent_type, parent_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{parent_type} {parent_id} was not found")))?;
    let named = matches!(ctx.values.get("name"), Some(Arg::Text(Some(n))) if !n.trim().is_empty());
    if !named {
        ctx.values.set("name", Arg::from(upload.file_name.clone()));
    }
    let Upload { bytes, file_name } = upload;
    let size = i64::try_from(bytes.len())
        .map_err(|_| Error::Internal(anyhow::anyhow!("a file size beyond i64")))?;
    let sha256 = data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes));
    let detected = content_type(&bytes);
    let key = ctx.env.files.put(ctx.scope.account_id(), bytes).await?;
    let values = ctx.values;
    values.set("organization_id", Arg::from(organization));
    values.set("ext", Arg::from(extension(&file_name)));
    values.set("file_name", Arg::from(file_name));
    values.set("content_type", Arg::from(detected));
    values.set("file_size", Arg::from(size));
    values.set("sha256", Arg::from(sha256));
    values.set("blob_key", Arg::from(key));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];

    #[test]
    fn content_types_come_from_the_bytes() {
        assert_eq!(content_type(PNG), "image/png");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(
            content_type("plain text, caf\u{e9}".as_bytes()),
            "text/plain"
        );
        assert_eq!(
            content_type(&[0xff, 0xfe, 0x00, 0x81]),
            "application/octet-stream"
        );
    }

    #[test]
    fn uploads_need_strict_base64_and_a_file_name() {
        let arg = |v: Value| Some(Arg::from(v.to_string()));
        let ok = upload(
            "/data/attributes",
            arg(serde_json::json!({"content": "aGk=", "file_name": "C:\\docs\\Hi.TXT"})),
        )
        .unwrap();
        assert_eq!(
            (ok.bytes.as_slice(), ok.file_name.as_str()),
            (&b"hi"[..], "Hi.TXT")
        );
        assert_eq!(extension("Hi.TXT").as_deref(), Some("txt"));
        assert_eq!(extension("README"), None);
        for (bad, pointer) in [
            (
                serde_json::json!({"content": "aGk", "file_name": "a"}),
                "/data/attributes/attachment/content",
            ),
            (
                serde_json::json!({"content": "aG\nk=", "file_name": "a"}),
                "/data/attributes/attachment/content",
            ),
            (
                serde_json::json!({"file_name": "a"}),
                "/data/attributes/attachment/content",
            ),
            (
                serde_json::json!({"content": "aGk="}),
                "/data/attributes/attachment/file_name",
            ),
        ] {
            match upload("/data/attributes", arg(bad)) {
                Err(Error::Invalid(problems)) => assert_eq!(problems[0].pointer, pointer),
                _ => panic!("expected a 422 at {pointer}"),
            }
        }
        assert!(upload("/data/attributes", None).is_err());
    }
}
