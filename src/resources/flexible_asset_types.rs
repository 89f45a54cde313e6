//! `flexible-asset-types` and `flexible-asset-fields` (seed sections
//! "Flexible Asset Types" and "Flexible Asset Fields"): the schemas MSPs
//! define for the records they document most, and their fields.
//!
//! A type is created together with its fields, in one request and one
//! transaction: the fields go through their own rules ([`FieldHooks`]) by
//! the engine's nested writes. A field's `name`, `order` and `name-key` (the
//! slug of its name, the key its values go by) are unique within its type;
//! at least one field of a type shows in lists; the server forces what the
//! reference says it forces (`required` off for headers, `use-for-title`
//! off for kinds that cannot title an asset). Every field change touches its
//! type's `updated-at`.

use serde_json::{json, Map, Value};

use super::flexible_assets;
use super::{
    AfterWrite, BeforeDelete, BoxFuture, Change, ColumnType, Field, Hooks, Include, IncludeTarget,
    Nested, Ops, Parent, Resource, WriteContext,
};
use crate::error::{Error, Invalid, Result};
use crate::store::{Arg, Cell, Values};

/// The kinds a field may be.
pub const KINDS: &[&str] = &[
    "Checkbox", "Date", "Header", "Number", "Select", "Text", "Textbox", "Upload", "Tag",
    "Percent", "Password",
];

/// Kinds whose values cannot make an asset's title (`use-for-title` is forced off).
const UNTITLED_KINDS: &[&str] = &[
    "Checkbox", "Header", "Number", "Password", "Percent", "Tag", "Textbox", "Upload",
];

/// What a Tag field may link to (besides `FlexibleAssetType: <id>`).
pub const TAG_TYPES: &[&str] = &[
    "Configurations",
    "Contacts",
    "Documents",
    "Domains",
    "Locations",
    "Organizations",
    "Passwords",
];

/// `flexible-asset-types`: list, show, create (with fields) and update.
pub static FLEXIBLE_ASSET_TYPES: Resource = Resource {
    json_type: "flexible-asset-types",
    route: "flexible_asset_types",
    table: "flexible_asset_types",
    guard: crate::roles::Guard::Settings,
    class: "FlexibleAssetType",
    fields: &[
        column!("name", Text).required(),
        column!("description", Text).long_text(),
        column!("icon", Text),
        column!("show_in_menu", Bool).not_null(),
        column!("enabled", Bool).not_null(),
        Field::created_at(),
        Field::updated_at(),
        // Fields sent inline as `attributes.fields`; taken out by the hooks.
        Field::request_only("fields", ColumnType::Json),
    ],
    filters: &[
        filter!("id", Int),
        filter!("name", Text),
        filter!("icon", Text),
        filter!("enabled", Bool),
    ],
    includes: &[Include {
        name: "flexible_asset_fields",
        target: IncludeTarget::HasMany {
            resource: &FLEXIBLE_ASSET_FIELDS,
            foreign_key: "flexible_asset_type_id",
        },
        show_only: false,
    }],
    relationships: &["flexible_asset_fields"],
    ops: Ops::EDITABLE,
    hooks: &TypeHooks,
    ..Resource::BASE
};

/// `flexible-asset-fields`, listed under their type only.
pub static FLEXIBLE_ASSET_FIELDS: Resource = Resource {
    json_type: "flexible-asset-fields",
    route: "flexible_asset_fields",
    table: "flexible_asset_fields",
    guard: crate::roles::Guard::Settings,
    class: "FlexibleAssetField",
    fields: &[
        column!("flexible_asset_type_id", Int)
            .required()
            .references("flexible_asset_types"),
        column!("name", Text)
            .required()
            .unique_within("flexible_asset_type_id"),
        Field::column("order", "t.position", ColumnType::Int)
            .stored_in("position")
            .required()
            .unique_within("flexible_asset_type_id"),
        column!("kind", Text).required().one_of(KINDS),
        column!("hint", Text).long_text(),
        column!("decimals", Int),
        column!("default_value", Text).long_text(),
        column!("tag_type", Text),
        column!("required", Bool).not_null(),
        column!("use_for_title", Bool).not_null(),
        column!("expiration", Bool).not_null(),
        column!("show_in_list", Bool).not_null(),
        Field::computed("name_key", "t.name_key", ColumnType::Text),
        Field::created_at(),
        Field::updated_at(),
    ],
    filters: &[filter!("id", Int)],
    sorts: &[super::Sort::on("order", "t.position")],
    includes: &[Include {
        name: "flexible_asset_type",
        target: IncludeTarget::BelongsTo {
            resource: &FLEXIBLE_ASSET_TYPES,
            field: "flexible_asset_type_id",
        },
        show_only: false,
    }],
    relationships: &["flexible_asset_type"],
    under: &[Parent::new(
        "flexible_asset_types",
        "flexible_asset_types",
        "flexible_asset_type_id",
    )],
    ops: Ops {
        bulk_delete: false,
        list_top_level: false,
        ..Ops::ALL
    },
    hooks: &FieldHooks,
    ..Resource::BASE
};

/// A type's inline fields, created with it.
pub struct TypeHooks;

/// A field's rules, and its type's `updated-at`.
pub struct FieldHooks;

/// The slug of a field name: lower case, runs of anything but letters and
/// digits as one `-` ("Email Servers" -> `email-servers`).
pub fn name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            key.push(c);
        } else if !key.ends_with('-') && !key.is_empty() {
            key.push('-');
        }
    }
    key.trim_end_matches('-').to_string()
}

/// The inline fields of a new type: `relationships.flexible_asset_fields.data[]`
/// (as the reference's example sends them) or `attributes.fields`, each
/// with its pointer and the type's id added.
fn inline_fields(
    relationships: Option<&Value>,
    attributes_fields: Option<&Arg>,
    item_pointer: &str,
) -> Result<Vec<(String, Map<String, Value>)>> {
    let (base, list) = match (
        relationships.and_then(|r| r.get("flexible_asset_fields")),
        attributes_fields,
    ) {
        (Some(relationship), _) => (
            format!("{item_pointer}/relationships/flexible_asset_fields/data"),
            relationship.get("data").cloned().unwrap_or(Value::Null),
        ),
        (None, Some(Arg::Text(Some(json)))) => (
            format!("{item_pointer}/attributes/fields"),
            serde_json::from_str(json).unwrap_or(Value::Null),
        ),
        _ => (format!("{item_pointer}/attributes/fields"), Value::Null),
    };
    let items = match list {
        Value::Array(items) if !items.is_empty() => items,
        Value::Array(_) | Value::Null => {
            return Err(Error::invalid(
                base,
                "a flexible asset type needs at least one field",
            ))
        }
        _ => return Err(Error::invalid(base, "must be an array of fields")),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let attributes = match item.get("attributes").cloned().unwrap_or(item) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let mut object = Map::new();
        object.insert("attributes".into(), Value::Object(attributes));
        out.push((format!("{base}/{i}"), object));
    }
    Ok(out)
}

/// Whether a field item asks to show in lists.
fn shows_in_list(item: &Map<String, Value>) -> bool {
    matches!(
        item.get("attributes").and_then(|a| a.get("show_in_list")),
        Some(Value::Bool(true))
    ) || matches!(
        item.get("attributes")
            .and_then(|a| a.get("show_in_list"))
            .and_then(Value::as_str),
        Some("true" | "True" | "1")
    )
}

/// Touches type `id`'s `updated-at` (its fields changed).
async fn touch_type(nested: &mut dyn Nested, id: i64, pointer: &str) -> Result<()> {
    nested
        .update(
            &FLEXIBLE_ASSET_TYPES,
            vec![Change {
                pointer: pointer.to_string(),
                id,
                values: Values::default(),
            }],
        )
        .await?;
    Ok(())
}

/// Fails unless type `id` keeps at least one field that shows in lists.
async fn keeps_a_listed_field(nested: &mut dyn Nested, id: i64, pointer: &str) -> Result<()> {
    let listed = nested
        .find(
            &FLEXIBLE_ASSET_FIELDS,
            vec![
                ("flexible_asset_type_id", Arg::from(id)),
                ("show_in_list", Arg::from(true)),
            ],
        )
        .await?;
    if listed.is_empty() {
        return Err(Error::invalid(
            pointer,
            "at least one field of a flexible asset type must show in lists",
        ));
    }
    Ok(())
}

impl Hooks for TypeHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let fields = ctx.values.take("fields");
            if ctx.id.is_some() && fields.is_some() {
                return Err(Error::invalid(
                    format!("{}/fields", ctx.pointer),
                    "a type's fields change through the flexible asset field routes \
                     (/flexible_asset_types/:id/relationships/flexible_asset_fields)",
                ));
            }
            if ctx.id.is_none() {
                let item_pointer = ctx.pointer.trim_end_matches("/attributes");
                let inline = inline_fields(ctx.relationships, fields.as_ref(), item_pointer)?;
                if !inline.iter().any(|(_, item)| shows_in_list(item)) {
                    return Err(Error::invalid(
                        format!("{}/fields", ctx.pointer),
                        "at least one field must have show-in-list set to true",
                    ));
                }
                ctx.deferred.set(
                    "fields",
                    Arg::from(
                        Value::Array(
                            inline
                                .into_iter()
                                .map(|(pointer, item)| json!({"pointer": pointer, "item": item}))
                                .collect(),
                        )
                        .to_string(),
                    ),
                );
            }
            Ok(())
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Some(Arg::Text(Some(json))) = ctx.deferred.get("fields") else {
                return Ok(());
            };
            let inline: Vec<Value> = serde_json::from_str(json).unwrap_or_default();
            let items = inline
                .into_iter()
                .filter_map(|entry| {
                    let pointer = entry.get("pointer")?.as_str()?.to_string();
                    let Value::Object(mut item) = entry.get("item")?.clone() else {
                        return None;
                    };
                    if let Some(Value::Object(attributes)) = item.get_mut("attributes") {
                        attributes.insert("flexible_asset_type_id".into(), json!(ctx.id));
                    }
                    Some((pointer, item))
                })
                .collect();
            ctx.nested
                .create_items(&FLEXIBLE_ASSET_FIELDS, items)
                .await?;
            Ok(())
        })
    }
}

/// A field's values merged over its stored ones (partial updates).
struct FieldState {
    kind: String,
}

fn text(values: &Values, column: &str) -> Option<Option<String>> {
    match values.get(column) {
        Some(Arg::Text(value)) => Some(value.clone()),
        _ => None,
    }
}

impl Hooks for FieldHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let pointer = ctx.pointer;
            let current = match ctx.id {
                Some(id) => ctx
                    .nested
                    .find(&FLEXIBLE_ASSET_FIELDS, vec![("id", Arg::from(id))])
                    .await?
                    .pop(),
                None => None,
            };
            let stored = |name: &str| {
                current.as_ref().and_then(|record| {
                    FLEXIBLE_ASSET_FIELDS
                        .cell(record, name)
                        .and_then(Cell::as_str)
                        .map(str::to_string)
                })
            };
            let state = FieldState {
                kind: text(ctx.values, "kind")
                    .flatten()
                    .or_else(|| stored("kind"))
                    .unwrap_or_default(),
            };
            let mut problems = Vec::new();
            if let (Some(id), Some(old), Some(Some(new))) =
                (ctx.id, stored("kind"), text(ctx.values, "kind"))
            {
                let type_id = current.as_ref().and_then(|c| {
                    FLEXIBLE_ASSET_FIELDS
                        .cell(c, "flexible_asset_type_id")
                        .and_then(Cell::as_i64)
                });
                if old != new
                    && flexible_assets::field_has_values(
                        ctx.nested,
                        type_id.unwrap_or_default(),
                        id,
                    )
                    .await?
                {
                    problems.push(Invalid::new(
                        format!("{pointer}/kind"),
                        "cannot change: assets hold values of this field",
                    ));
                }
            }
            if let Some(Some(name)) = text(ctx.values, "name") {
                let key = name_key(&name);
                if key.is_empty() {
                    problems.push(Invalid::new(
                        format!("{pointer}/name"),
                        "must contain a letter or a digit",
                    ));
                }
                ctx.values.set("name_key", Arg::from(key));
            }
            let default_value =
                text(ctx.values, "default_value").unwrap_or_else(|| stored("default_value"));
            match state.kind.as_str() {
                "Select" => {
                    let options = default_value
                        .as_deref()
                        .map(|v| v.lines().filter(|l| !l.trim().is_empty()).count())
                        .unwrap_or(0);
                    if options == 0 {
                        problems.push(Invalid::new(
                            format!("{pointer}/default-value"),
                            "is required for a Select field: its options, one per line",
                        ));
                    }
                }
                "Tag" => {
                    let tag_type =
                        text(ctx.values, "tag_type").unwrap_or_else(|| stored("tag_type"));
                    match tag_type.as_deref() {
                        Some(t) if TAG_TYPES.contains(&t) || asset_type_tag(t).is_some() => {}
                        Some(t) => problems.push(Invalid::new(
                            format!("{pointer}/tag-type"),
                            format!(
                                "{t:?} is not a tag type: one of {}, or \"FlexibleAssetType: <id>\"",
                                TAG_TYPES.join(", ")
                            ),
                        )),
                        None => problems.push(Invalid::new(
                            format!("{pointer}/tag-type"),
                            "is required for a Tag field",
                        )),
                    }
                }
                _ => {}
            }
            if let Some(Some(t)) = text(ctx.values, "tag_type") {
                if let Some(type_id) = asset_type_tag(&t) {
                    let found = ctx
                        .nested
                        .find(&FLEXIBLE_ASSET_TYPES, vec![("id", Arg::from(type_id))])
                        .await?;
                    if found.is_empty() {
                        problems.push(Invalid::new(
                            format!("{pointer}/tag-type"),
                            format!("flexible asset type {type_id} does not exist in this account"),
                        ));
                    }
                }
            }
            if state.kind != "Tag" && ctx.values.get("kind").is_some() {
                ctx.values.set("tag_type", Arg::Text(None));
            }
            if let Some(Arg::Int(Some(decimals))) = ctx.values.get("decimals") {
                if *decimals < 0 {
                    problems.push(Invalid::new(
                        format!("{pointer}/decimals"),
                        "must not be negative",
                    ));
                }
            }
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            // What the reference says the server sets, whatever was sent.
            if state.kind == "Header" {
                ctx.values.set("required", Arg::from(false));
            }
            if UNTITLED_KINDS.contains(&state.kind.as_str()) {
                ctx.values.set("use_for_title", Arg::from(false));
            }
            if !matches!(state.kind.as_str(), "Number" | "Percent")
                && ctx.values.get("kind").is_some()
            {
                ctx.values.set("decimals", Arg::from(0));
            }
            if state.kind != "Date" && ctx.values.get("kind").is_some() {
                ctx.values.set("expiration", Arg::from(false));
            }
            Ok(())
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Some(field) = ctx
                .nested
                .find(&FLEXIBLE_ASSET_FIELDS, vec![("id", Arg::from(ctx.id))])
                .await?
                .pop()
            else {
                return Ok(());
            };
            let Some(type_id) = FLEXIBLE_ASSET_FIELDS
                .cell(&field, "flexible_asset_type_id")
                .and_then(Cell::as_i64)
            else {
                return Ok(());
            };
            if !ctx.created {
                let pointer = format!("{}/show-in-list", ctx.pointer);
                keeps_a_listed_field(ctx.nested, type_id, &pointer).await?;
            }
            touch_type(ctx.nested, type_id, ctx.pointer).await
        })
    }

    fn before_delete<'a>(&'a self, ctx: BeforeDelete<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut types = Vec::new();
            for id in ctx.ids {
                let field = ctx
                    .nested
                    .find(&FLEXIBLE_ASSET_FIELDS, vec![("id", Arg::from(*id))])
                    .await?
                    .pop();
                if let Some(type_id) = field.as_ref().and_then(|f| {
                    FLEXIBLE_ASSET_FIELDS
                        .cell(f, "flexible_asset_type_id")
                        .and_then(Cell::as_i64)
                }) {
                    flexible_assets::drop_field(ctx.nested, ctx.scope, type_id, *id, "/data")
                        .await?;
                    if !types.contains(&type_id) {
                        types.push(type_id);
                    }
                }
            }
            for type_id in types {
                let remaining_listed = ctx
                    .nested
                    .find(
                        &FLEXIBLE_ASSET_FIELDS,
                        vec![
                            ("flexible_asset_type_id", Arg::from(type_id)),
                            ("show_in_list", Arg::from(true)),
                        ],
                    )
                    .await?
                    .into_iter()
                    .filter(|f| !ctx.ids.contains(&f.id))
                    .count();
                if remaining_listed == 0 {
                    return Err(Error::invalid(
                        "/data",
                        "at least one field of a flexible asset type must show in lists; \
                         nothing was deleted",
                    ));
                }
                touch_type(ctx.nested, type_id, "/data").await?;
            }
            Ok(())
        })
    }
}

/// The id in a `FlexibleAssetType: <id>` tag type.
fn asset_type_tag(tag_type: &str) -> Option<i64> {
    tag_type
        .strip_prefix("FlexibleAssetType:")
        .and_then(|id| id.trim().parse().ok())
        .filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_are_slugs_of_names() {
        assert_eq!(name_key("Email Servers"), "email-servers");
        assert_eq!(name_key("Webmail URL"), "webmail-url");
        assert_eq!(name_key("  Wi-Fi  / SSID "), "wi-fi-ssid");
        assert_eq!(name_key("???"), "");
    }

    #[test]
    fn tag_types_name_types_by_id() {
        assert_eq!(asset_type_tag("FlexibleAssetType: 33"), Some(33));
        assert_eq!(asset_type_tag("FlexibleAssetType:x"), None);
        assert_eq!(asset_type_tag("Contacts"), None);
    }
}
