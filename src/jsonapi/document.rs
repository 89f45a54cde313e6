//! Response documents: resource objects, `included`, and the list envelope
//! (`meta` and absolute `links`) the reference shows.

use std::fmt::{self, Write as _};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value};

use super::query::QueryParams;
use crate::clock::format_millis;
use crate::engine::cursor::CursorPage;
use crate::engine::{Extra, RecordSet};
use crate::query::FilterMode;
use crate::resources::{ColumnType, Field, Include, IncludeTarget, Resource};
use crate::store::{Cell, Record};

/// A name as responses spell it (`organization-type-id`), written
/// straight into the output without a `String` of its own.
struct Dashed<'a>(&'a str);

impl fmt::Display for Dashed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.split('_').enumerate() {
            if i > 0 {
                f.write_char('-')?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

impl Serialize for Dashed<'_> {
    /// A name of up to 64 bytes (every field's) is dashed on the stack and
    /// written as one string; a longer one piece by piece.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; 64];
        let Some(dashed) = buffer.get_mut(..self.0.len()) else {
            return serializer.collect_str(self);
        };
        dashed.copy_from_slice(self.0.as_bytes());
        for byte in dashed.iter_mut() {
            if *byte == b'_' {
                *byte = b'-';
            }
        }
        // `_` and `-` are both ASCII, so the bytes are still UTF-8.
        let dashed = std::str::from_utf8(dashed).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(dashed)
    }
}

/// One attribute value as the wire spells it; link fields (server paths)
/// become absolute URLs under `origin`.
struct Attribute<'a> {
    field: &'a Field,
    cell: &'a Cell,
    in_list: bool,
    origin: &'a str,
}

impl Serialize for Attribute<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let field = self.field;
        match (field.column_type, self.cell) {
            (_, Cell::Null) => serializer.serialize_unit(),
            (ColumnType::Text, Cell::Text(path)) if field.link && !path.is_empty() => {
                serializer.collect_str(&format_args!("{}{path}", self.origin))
            }
            (ColumnType::IdString, Cell::Int(v)) => serializer.collect_str(v),
            (ColumnType::Timestamp, Cell::Int(v)) => serializer.serialize_str(&format_millis(*v)),
            (ColumnType::Bool, Cell::Int(v)) => serializer.serialize_bool(*v != 0),
            (ColumnType::Json, Cell::Text(s)) => serde_json::from_str::<Value>(s)
                .unwrap_or(Value::Null)
                .serialize(serializer),
            (_, Cell::Text(s)) => match field.list_len {
                Some(max) if self.in_list => match s.char_indices().nth(max) {
                    Some((cut, _)) => serializer.serialize_str(&s[..cut]),
                    None => serializer.serialize_str(s),
                },
                _ => serializer.serialize_str(s),
            },
            (_, Cell::Int(v)) => serializer.serialize_i64(*v),
            (_, Cell::Bool(v)) => serializer.serialize_bool(*v),
        }
    }
}

/// A resource object: string id, type, every attribute (null when unset),
/// and `relationships` when an include asked for them. It serialises
/// straight into the response body; [`resource_object`] makes it a
/// [`Value`] for callers that change it.
pub struct ResourceObject<'a> {
    /// The record's definition.
    pub def: &'a Resource,
    /// The record.
    pub record: &'a Record,
    /// Whether it is rendered in a list (long texts are cut to their list length).
    pub in_list: bool,
    /// The included records and links, and the includes rendered as relationships.
    pub related: Option<(&'a RecordSet, &'a [&'static Include])>,
    /// Computed attributes (revealed secrets among them), replacing fields of the same name.
    pub extra: Option<&'a Map<String, Value>>,
    /// `scheme://host[:port]`, as in [`LinkBase`], that prefixes link attributes.
    pub origin: &'a str,
}

impl Serialize for ResourceObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_map(None)?;
        object.serialize_entry("id", &IdString(self.record.id))?;
        object.serialize_entry("type", self.def.json_type)?;
        object.serialize_entry("attributes", &Attributes(self))?;
        if let Some((set, includes)) = self.related.filter(|(_, i)| !i.is_empty()) {
            object.serialize_entry(
                "relationships",
                &Relationships {
                    set,
                    includes,
                    id: self.record.id,
                },
            )?;
        }
        object.end()
    }
}

/// An id as the wire spells it: a string.
struct IdString(i64);

impl Serialize for IdString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// The `attributes` member of a resource object.
struct Attributes<'a>(&'a ResourceObject<'a>);

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let object = self.0;
        let mut map = serializer.serialize_map(None)?;
        // A computed attribute replaces a field of the same name.
        let replaced = |name: &str| {
            object.extra.is_some_and(|extra| {
                extra.keys().any(|key| {
                    key.bytes()
                        .map(|b| if b == b'-' { b'_' } else { b })
                        .eq(name.bytes())
                })
            })
        };
        for (field, cell) in object.def.fields.iter().zip(&object.record.cells) {
            // Secrets appear only when revealed, added by the caller.
            if field.secret || field.write_only || replaced(field.name) {
                continue;
            }
            let value = Attribute {
                field,
                cell,
                in_list: object.in_list,
                origin: object.origin,
            };
            map.serialize_entry(&Dashed(field.name), &value)?;
        }
        for (key, value) in object.extra.into_iter().flatten() {
            if has_download_url(value) {
                let mut value = value.clone();
                absolute_links(&mut value, object.origin);
                map.serialize_entry(key, &value)?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// The `relationships` member: for each include, the identifiers of the
/// records it links (one or null for a belongs-to, a list otherwise).
struct Relationships<'a> {
    set: &'a RecordSet,
    includes: &'a [&'static Include],
    id: i64,
}

impl Serialize for Relationships<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.includes.len()))?;
        for include in self.includes {
            let links = self
                .set
                .links
                .get(&(self.id, include.name))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let identifier =
                |(kind, id): &(&'static str, i64)| json!({"type": kind, "id": id.to_string()});
            let data = match include.target {
                IncludeTarget::BelongsTo { .. } => {
                    links.first().map(identifier).unwrap_or(Value::Null)
                }
                _ => Value::Array(links.iter().map(identifier).collect()),
            };
            map.serialize_entry(&Dashed(include.name), &json!({ "data": data }))?;
        }
        map.end()
    }
}

/// A resource object as a [`Value`], for callers that change it before
/// it is sent (see [`ResourceObject`]).
pub fn resource_object(
    def: &Resource,
    record: &Record,
    in_list: bool,
    related: Option<(&RecordSet, &[&'static Include])>,
    extra: Option<&Map<String, Value>>,
    origin: &str,
) -> Value {
    serde_json::to_value(ResourceObject {
        def,
        record,
        in_list,
        related,
        extra,
        origin,
    })
    .unwrap_or(Value::Null)
}

/// Whether a computed attribute names a file by server path somewhere
/// within it (see [`absolute_links`]).
fn has_download_url(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(key, member)| key == "download-url" || has_download_url(member)),
        Value::Array(items) => items.iter().any(has_download_url),
        _ => false,
    }
}

/// Computed attributes name files by server path (`download-url`:
/// `/attachments/1/download`, in a flexible asset's Upload trait); links
/// are absolute under `origin`, as link fields are.
fn absolute_links(value: &mut Value, origin: &str) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                match member {
                    Value::String(path) if key == "download-url" && path.starts_with('/') => {
                        *path = format!("{origin}{path}");
                    }
                    other => absolute_links(other, origin),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| absolute_links(v, origin)),
        _ => {}
    }
}

/// The `included` array of a document (`origin` as for [`ResourceObject`]).
pub fn included<'a>(
    set: &'a RecordSet,
    extra: &'a Extra,
    origin: &'a str,
) -> Vec<ResourceObject<'a>> {
    set.included
        .values()
        .map(|(def, record)| ResourceObject {
            def,
            record,
            in_list: false,
            related: None,
            extra: extra.get(&(def.json_type, record.id)),
            origin,
        })
        .collect()
}

/// Where links point: the configured public URL, or the host the client used.
#[derive(Debug, Clone)]
pub struct LinkBase {
    /// `scheme://host[:port]`, no trailing slash.
    pub origin: String,
    /// The request path.
    pub path: String,
}

/// Page arithmetic and the `meta` + `links` of a list. A list that serves
/// at most `max_page` numbered pages (logs: 5) counts and links only those,
/// so that a script following `links.next` or counting up to `total-pages`
/// stops at the last page it can read; `total-count` still counts every
/// record.
pub fn envelope(
    base: &LinkBase,
    params: &QueryParams,
    total: u64,
    max_page: Option<u32>,
) -> (Value, Value) {
    let size = u64::from(params.query.size());
    let page = u64::from(params.query.page_number);
    let every_page = total.div_ceil(size);
    let total_pages = max_page.map_or(every_page, |max| every_page.min(u64::from(max)));
    let next = (page < total_pages).then_some(page + 1);
    let prev = (page > 1).then(|| (page - 1).min(total_pages.max(1)));
    let mut filters = Map::new();
    for f in &params.query.filters {
        let key = match f.mode {
            FilterMode::Match => f.name.clone(),
            FilterMode::Exclude => format!("exclude[{}]", f.name),
            FilterMode::Range => format!("range[{}]", f.name),
        };
        filters.insert(key, Value::String(f.value.clone()));
    }
    let meta = json!({
        "current-page": page,
        "next-page": next,
        "prev-page": prev,
        "total-pages": total_pages,
        "total-count": total,
        "filters": filters,
        "has-next-page": next.is_some(),
    });
    let link = |n: u64| Value::String(page_link(base, params, n, size));
    let mut links = Map::new();
    links.insert("self".into(), link(page));
    links.insert("first".into(), link(1));
    links.insert("prev".into(), prev.map_or(Value::Null, link));
    if let Some(n) = next {
        links.insert("next".into(), link(n));
    }
    links.insert("last".into(), link(total_pages.max(1)));
    (meta, Value::Object(links))
}

/// `meta` and `links` of a cursor page (`page[after]`): whether another
/// page follows, and its link carrying the cursor, the filters and the sort.
/// There is no count: a cursor page costs the same at any depth.
pub fn cursor_envelope(base: &LinkBase, params: &QueryParams, page: &CursorPage) -> (Value, Value) {
    let size = u64::from(params.query.size());
    let after = params.query.page_after.clone().unwrap_or_default();
    let meta = json!({
        "has-more": page.next.is_some(),
        "page-size": size,
        "next-cursor": page.next,
    });
    let link = |cursor: &str| {
        Value::String(link_with(
            base,
            params,
            &[("page[after]", cursor), ("page[size]", &size.to_string())],
        ))
    };
    let mut links = Map::new();
    links.insert("self".into(), link(&after));
    links.insert("first".into(), link(""));
    if let Some(next) = &page.next {
        links.insert("next".into(), link(next));
    }
    (meta, Value::Object(links))
}

/// The request's URL with `page[number]` (and `page[size]`) set; every other
/// parameter is carried over as sent, brackets percent-encoded.
fn page_link(base: &LinkBase, params: &QueryParams, number: u64, size: u64) -> String {
    link_with(
        base,
        params,
        &[
            ("page[number]", &number.to_string()),
            ("page[size]", &size.to_string()),
        ],
    )
}

/// The request's URL with the page parameters `page` set (and any other
/// page parameter dropped); every other parameter is carried over as sent.
pub fn link_with(base: &LinkBase, params: &QueryParams, page: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in page {
        query.append_pair(key, value);
    }
    for (key, value) in &params.pairs {
        let canonical = key.replace('-', "_").to_ascii_lowercase();
        if canonical.starts_with("page[") {
            continue;
        }
        query.append_pair(key, value);
    }
    format!("{}{}?{}", base.origin, base.path, query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> LinkBase {
        LinkBase {
            origin: "http://example.test".into(),
            path: "/organizations".into(),
        }
    }

    #[test]
    fn names_are_dashed_short_or_long() {
        let long = "a_name_longer_than_the_sixty_four_bytes_kept_on_the_stack_for_dashing";
        assert!(long.len() > 64);
        assert_eq!(
            serde_json::to_string(&Dashed("organization_type_id")).unwrap(),
            r#""organization-type-id""#
        );
        assert_eq!(
            serde_json::to_string(&Dashed(long)).unwrap(),
            format!("\"{}\"", long.replace('_', "-"))
        );
        assert_eq!(serde_json::to_string(&Dashed("")).unwrap(), r#""""#);
    }

    #[test]
    fn last_page_has_no_next_link() {
        let params = QueryParams::parse(Some("page[number]=3&page[size]=10&sort=name")).unwrap();
        let (meta, links) = envelope(&base(), &params, 25, None);
        assert_eq!(meta["total-pages"], 3);
        assert_eq!(meta["next-page"], Value::Null);
        assert_eq!(meta["has-next-page"], false);
        assert!(links.get("next").is_none());
        assert_eq!(
            links["prev"],
            "http://example.test/organizations?page%5Bnumber%5D=2&page%5Bsize%5D=10&sort=name"
        );
    }

    #[test]
    fn a_list_of_five_pages_at_most_links_no_further() {
        let params = QueryParams::parse(Some("page[number]=5&page[size]=10")).unwrap();
        let (meta, links) = envelope(&base(), &params, 2_000, Some(5));
        assert_eq!(meta["total-pages"], 5);
        assert_eq!(meta["total-count"], 2_000);
        assert_eq!(meta["next-page"], Value::Null);
        assert_eq!(meta["has-next-page"], false);
        assert!(links.get("next").is_none());
        assert_eq!(
            links["last"],
            "http://example.test/organizations?page%5Bnumber%5D=5&page%5Bsize%5D=10"
        );
        let params = QueryParams::parse(Some("page[number]=4&page[size]=10")).unwrap();
        let (meta, _) = envelope(&base(), &params, 2_000, Some(5));
        assert_eq!(meta["next-page"], 5);
    }

    #[test]
    fn first_page_links_forward_with_every_parameter() {
        let params = QueryParams::parse(Some("filter[name]=a+b&page[size]=10")).unwrap();
        let (meta, links) = envelope(&base(), &params, 25, None);
        assert_eq!(meta["prev-page"], Value::Null);
        assert_eq!(meta["next-page"], 2);
        assert_eq!(
            links["next"],
            "http://example.test/organizations?page%5Bnumber%5D=2&page%5Bsize%5D=10&filter%5Bname%5D=a+b"
        );
        assert_eq!(
            links["last"],
            "http://example.test/organizations?page%5Bnumber%5D=3&page%5Bsize%5D=10&filter%5Bname%5D=a+b"
        );
    }
}
