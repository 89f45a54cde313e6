//! `users` and `groups`: the people of an account (seed sections "Users"
//! and "Groups"). Both are made from the command line; through the API a
//! user changes only their names and avatar, and groups are read-only.
//!
//! Special behaviour ([`UserHooks`]): `name` ("first last", the `name`
//! filter and sort) follows the names; an avatar is a base64 image
//! (PNG, JPEG, GIF or WebP, detected from its bytes, at most
//! [`MAX_AVATAR_BYTES`]) kept in the file store like attachments, served at
//! `/users/:id/avatar`; `{}` or null removes it.

use base64::Engine as _;
use serde_json::Value;

use super::{
    BoxFuture, ColumnType, Field, Filter, Hooks, Include, IncludeTarget, LinkTable, Ops,
    QueryPurpose, Resource, Sort, WriteContext,
};
use crate::clock::RangeEnd;
use crate::error::{Error, Result};
use crate::query::Query;
use crate::store::{full_name, Arg, Lock, Match};

/// The largest avatar accepted, in bytes (decoded).
pub const MAX_AVATAR_BYTES: usize = 1024 * 1024;

/// The image types an avatar may be.
const AVATAR_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// `users`.
pub static USERS: Resource = Resource {
    json_type: "users",
    route: "users",
    table: "users",
    guard: crate::roles::Guard::People,
    class: "User",
    fields: &[
        column!("first_name", Text),
        column!("last_name", Text),
        Field::computed("role_name", "t.role_name", ColumnType::Text),
        Field::computed("email", "t.email", ColumnType::Text),
        // The request form of `avatar` (an image or `{}`); responses show
        // the next field, its URL.
        Field::request_only("avatar", ColumnType::Json),
        Field::link(
            "avatar",
            "CASE WHEN t.avatar_path IS NULL THEN '' ELSE '/users/' || CAST(t.id AS TEXT) || '/avatar' END",
        ),
        Field::computed(
            "invitation_sent_at",
            "t.invitation_sent_at",
            ColumnType::Timestamp,
        ),
        Field::computed(
            "invitation_accepted_at",
            "t.invitation_accepted_at",
            ColumnType::Timestamp,
        ),
        Field::computed(
            "current_sign_in_at",
            "t.current_sign_in_at",
            ColumnType::Timestamp,
        ),
        Field::computed("current_sign_in_ip", "t.current_sign_in_ip", ColumnType::Text),
        Field::computed("last_sign_in_at", "t.last_sign_in_at", ColumnType::Timestamp),
        Field::computed("last_sign_in_ip", "t.last_sign_in_ip", ColumnType::Text),
        Field::computed("reputation", "t.reputation", ColumnType::Int),
        Field::computed("my_glue", "FALSE", ColumnType::Bool),
        Field::computed("my_glue_account_id", "CAST(NULL AS BIGINT)", ColumnType::Int),
        Field::created_at(),
        Field::updated_at(),
    ],
    filters: &[
        filter!("id", Int),
        filter!("name", Text),
        Filter::exact("email", "t.email_key", ColumnType::Text).normalized(lowercase),
        filter!("role_name", Text),
        Filter::unmatched("salesforce_id", None, &[]),
    ],
    sorts: &[
        Sort::on("name", "t.name"),
        Sort::on("email", "t.email"),
        Sort::on("reputation", "t.reputation"),
    ],
    ops: Ops {
        update: true,
        ..Ops::READ_ONLY
    },
    hooks: &UserHooks,
    ..Resource::BASE
};

/// Who is in which group.
const MEMBERS: LinkTable = LinkTable {
    table: "group_members",
    here: "group_id",
    there: "user_id",
};

/// The organizations given to groups, seen from the organizations.
pub const GROUP_ORGANIZATIONS: LinkTable = LinkTable {
    table: "group_organizations",
    here: "organization_id",
    there: "group_id",
};

/// The longest `filter[date]` range of the user metrics, in days.
pub const METRICS_MAX_DAYS: i64 = 7;

/// `user_metrics`: per user, organization, resource type and UTC day, the
/// records created, viewed, edited and deleted (see `engine::metrics`).
pub static USER_METRICS: Resource = Resource {
    json_type: "user-metrics",
    route: "user_metrics",
    table: "user_metrics",
    class: "UserMetric",
    title_field: "resource_type",
    fields: &[
        Field::computed("user_id", "t.user_id", ColumnType::Int),
        Field::computed(
            "organization_id",
            "NULLIF(t.organization_id, 0)",
            ColumnType::Int,
        ),
        Field::computed("resource_type", "t.resource_type", ColumnType::Text),
        Field::computed("created", "t.created", ColumnType::Int),
        Field::computed("viewed", "t.viewed", ColumnType::Int),
        Field::computed("edited", "t.edited", ColumnType::Int),
        Field::computed("deleted", "t.deleted", ColumnType::Int),
        Field::computed("date", "t.date", ColumnType::Date),
    ],
    filters: &[
        filter!("user_id", Int),
        filter!("organization_id", Int),
        filter!("resource_type", Text),
        Filter::day_range("date", "t.date"),
    ],
    sorts: &[
        Sort::on("created", "t.created"),
        Sort::on("viewed", "t.viewed"),
        Sort::on("edited", "t.edited"),
        Sort::on("deleted", "t.deleted"),
        Sort::on("date", "t.date"),
    ],
    ops: Ops {
        show: false,
        ..Ops::READ_ONLY
    },
    logged: false,
    hooks: &UserMetricHooks,
    ..Resource::BASE
};

/// Holds `filter[date]` to a closed range of at most [`METRICS_MAX_DAYS`].
pub struct UserMetricHooks;

impl Hooks for UserMetricHooks {
    fn check_query(&self, query: &Query, _purpose: QueryPurpose) -> Result<()> {
        for filter in &query.filters {
            if filter.name.starts_with("date__") {
                return Err(Error::bad_parameter(
                    format!("filter[{}]", filter.name),
                    format!(
                        "user metrics take dates as filter[date]=start,end (at most {METRICS_MAX_DAYS} days)"
                    ),
                ));
            }
            if filter.name != "date" {
                continue;
            }
            let parameter = "filter[date]";
            let day = |v: &str| {
                crate::clock::is_date(v.trim())
                    .then(|| crate::clock::parse_range_bound(v.trim(), RangeEnd::Start))
                    .flatten()
            };
            let bounds = filter.value.split_once(',').map(|(a, b)| (day(a), day(b)));
            let Some((Some(start), Some(end))) = bounds else {
                return Err(Error::bad_parameter(
                    parameter,
                    format!(
                        "must be two dates, start,end (YYYY-MM-DD), at most {METRICS_MAX_DAYS} days apart; open ends are not allowed"
                    ),
                ));
            };
            let days = (end - start) / 86_400_000 + 1;
            if days > METRICS_MAX_DAYS {
                return Err(Error::bad_parameter(
                    parameter,
                    format!(
                        "spans {days} days; a date range of user metrics may span at most {METRICS_MAX_DAYS} days"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `groups`.
pub static GROUPS: Resource = Resource {
    json_type: "groups",
    route: "groups",
    table: "groups",
    class: "Group",
    fields: &[
        Field::computed("name", "t.name", ColumnType::Text),
        Field::created_at(),
        Field::updated_at(),
    ],
    filters: &[filter!("id", Int), filter!("name", Text)],
    sorts: &[Sort::on("name", "t.name")],
    includes: &[Include {
        name: "users",
        target: IncludeTarget::Linked {
            resource: &USERS,
            link: MEMBERS,
        },
        show_only: false,
    }],
    ops: Ops::READ_ONLY,
    ..Resource::BASE
};

fn lowercase(text: &str) -> Option<String> {
    Some(text.trim().to_lowercase())
}

/// Keeps `name` with the names and stores or removes the avatar.
pub struct UserHooks;

impl Hooks for UserHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Some(id) = ctx.id else {
                return Err(Error::Forbidden(
                    "users are made with `mortar users create`, not through the API".into(),
                ));
            };
            let current = ctx
                .nested
                .tx()
                .select(
                    ctx.scope,
                    USERS.table,
                    &[
                        ("first_name", ColumnType::Text),
                        ("last_name", ColumnType::Text),
                        ("avatar_path", ColumnType::Text),
                    ],
                    &[Match::id(id)],
                    Lock::ForUpdate,
                )
                .await?;
            let Some(row) = current.first() else {
                return Ok(());
            };
            let name_of = |column: &str, index: usize| match ctx.values.get(column) {
                Some(Arg::Text(given)) => given.clone(),
                _ => row[index].as_str().map(str::to_string),
            };
            let (first, last) = (name_of("first_name", 0), name_of("last_name", 1));
            ctx.values.set(
                "name",
                Arg::from(full_name(first.as_deref(), last.as_deref())),
            );
            let Some(given) = ctx.values.take("avatar") else {
                return Ok(());
            };
            let old = row[2].as_str().map(str::to_string);
            let pointer = format!("{}/avatar", ctx.pointer);
            match avatar(&pointer, given)? {
                None => {
                    ctx.values.set("avatar_path", Arg::Text(None));
                    ctx.values.set("avatar_content_type", Arg::Text(None));
                }
                Some((bytes, content_type)) => {
                    let key = ctx.env.files.put(ctx.scope.account_id(), bytes).await?;
                    ctx.values.set("avatar_path", Arg::from(key));
                    ctx.values
                        .set("avatar_content_type", Arg::from(content_type));
                }
            }
            ctx.env.files.release(old);
            Ok(())
        })
    }
}

/// Reads an avatar request value: `None` to remove it (`{}` or null), or
/// the image's bytes and detected type.
fn avatar(pointer: &str, given: Arg) -> Result<Option<(Vec<u8>, &'static str)>> {
    let object = match given {
        Arg::Text(None) => return Ok(None),
        Arg::Text(Some(json)) => match serde_json::from_str::<Value>(&json) {
            Ok(Value::Object(object)) => object,
            _ => return Err(Error::invalid(
                pointer,
                "must be an object with content (base64) and file_name, or {} to remove the avatar",
            )),
        },
        _ => return Err(Error::invalid(pointer, "must be an object")),
    };
    if object.is_empty() {
        return Ok(None);
    }
    let content_pointer = format!("{pointer}/content");
    let Some(Value::String(text)) = object.get("content") else {
        return Err(Error::invalid(
            content_pointer,
            "is required: the image as strict base64",
        ));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| {
            Error::invalid(
                &content_pointer,
                "is not strict base64 (RFC 4648 alphabet with padding, no line breaks)",
            )
        })?;
    if bytes.len() > MAX_AVATAR_BYTES {
        return Err(Error::invalid(
            content_pointer,
            format!(
                "is too large ({} bytes; an avatar may have at most {MAX_AVATAR_BYTES})",
                bytes.len()
            ),
        ));
    }
    let detected = super::attachments::content_type(&bytes);
    let Some(kind) = AVATAR_TYPES.iter().find(|t| **t == detected) else {
        return Err(Error::invalid(
            content_pointer,
            format!("is {detected}, not an image: an avatar is a PNG, JPEG, GIF or WebP file"),
        ));
    };
    if !matches!(object.get("file_name"), Some(Value::String(name)) if !name.trim().is_empty()) {
        return Err(Error::invalid(
            format!("{pointer}/file_name"),
            "is required: the image's file name",
        ));
    }
    Ok(Some((bytes, kind)))
}
