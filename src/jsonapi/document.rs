//! Response documents: resource objects, `included`, and the list envelope
//! (`meta` and absolute `links`) the reference shows.

use serde_json::{json, Map, Value};

use super::query::QueryParams;
use crate::clock::format_millis;
use crate::engine::cursor::CursorPage;
use crate::engine::{Extra, RecordSet};
use crate::names::dashed;
use crate::query::FilterMode;
use crate::resources::{ColumnType, Field, Include, IncludeTarget, Resource};
use crate::store::{Cell, Record};

/// One attribute value as the wire spells it; link fields (server paths)
/// become absolute URLs under `origin`.
fn render(field: &Field, cell: &Cell, in_list: bool, origin: &str) -> Value {
    match (field.column_type, cell) {
        (_, Cell::Null) => Value::Null,
        (ColumnType::Text, Cell::Text(path)) if field.link && path.is_empty() => {
            Value::String(String::new())
        }
        (ColumnType::Text, Cell::Text(path)) if field.link => {
            Value::String(format!("{origin}{path}"))
        }
        (ColumnType::IdString, Cell::Int(v)) => Value::String(v.to_string()),
        (ColumnType::Timestamp, Cell::Int(v)) => Value::String(format_millis(*v)),
        (ColumnType::Int, Cell::Int(v)) => json!(v),
        (ColumnType::Bool, Cell::Bool(v)) => json!(v),
        (ColumnType::Bool, Cell::Int(v)) => json!(*v != 0),
        (ColumnType::Json, Cell::Text(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        (_, Cell::Text(s)) => match field.list_len {
            Some(max) if in_list && s.chars().count() > max => {
                Value::String(s.chars().take(max).collect())
            }
            _ => Value::String(s.clone()),
        },
        (_, Cell::Int(v)) => json!(v),
        (_, Cell::Bool(v)) => json!(v),
    }
}

/// A resource object: string id, type, every attribute (null when unset),
/// and `relationships` when an include asked for them. `origin`
/// (`scheme://host[:port]`, as in [`LinkBase`]) prefixes link attributes.
pub fn resource_object(
    def: &Resource,
    record: &Record,
    in_list: bool,
    related: Option<(&RecordSet, &[&'static Include])>,
    extra: Option<&Map<String, Value>>,
    origin: &str,
) -> Value {
    let mut attributes = Map::with_capacity(def.fields.len());
    for (field, cell) in def.fields.iter().zip(&record.cells) {
        // Secrets appear only when revealed, added by the caller.
        if !field.secret && !field.write_only {
            attributes.insert(dashed(field.name), render(field, cell, in_list, origin));
        }
    }
    if let Some(extra) = extra {
        for (key, value) in extra {
            let mut value = value.clone();
            absolute_links(&mut value, origin);
            attributes.insert(key.clone(), value);
        }
    }
    let mut object = Map::new();
    object.insert("id".into(), Value::String(record.id.to_string()));
    object.insert("type".into(), Value::String(def.json_type.to_string()));
    object.insert("attributes".into(), Value::Object(attributes));
    if let Some((set, includes)) = related {
        if !includes.is_empty() {
            let mut relationships = Map::new();
            for include in includes {
                let links = set
                    .links
                    .get(&(record.id, include.name))
                    .cloned()
                    .unwrap_or_default();
                let identifiers: Vec<Value> = links
                    .iter()
                    .map(|(kind, id)| json!({"type": kind, "id": id.to_string()}))
                    .collect();
                let data = match include.target {
                    IncludeTarget::BelongsTo { .. } => {
                        identifiers.into_iter().next().unwrap_or(Value::Null)
                    }
                    _ => Value::Array(identifiers),
                };
                relationships.insert(dashed(include.name), json!({ "data": data }));
            }
            object.insert("relationships".into(), Value::Object(relationships));
        }
    }
    Value::Object(object)
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

/// The `included` array of a document (`origin` as for [`resource_object`]).
pub fn included(set: &RecordSet, extra: &Extra, origin: &str) -> Vec<Value> {
    set.included
        .values()
        .map(|(def, record)| {
            let computed = extra.get(&(def.json_type, record.id));
            resource_object(def, record, false, None, computed, origin)
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

/// Page arithmetic and the `meta` + `links` of a list.
pub fn envelope(base: &LinkBase, params: &QueryParams, total: u64) -> (Value, Value) {
    let size = u64::from(params.query.size());
    let page = u64::from(params.query.page_number);
    let total_pages = total.div_ceil(size);
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
    fn last_page_has_no_next_link() {
        let params = QueryParams::parse(Some("page[number]=3&page[size]=10&sort=name")).unwrap();
        let (meta, links) = envelope(&base(), &params, 25);
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
    fn first_page_links_forward_with_every_parameter() {
        let params = QueryParams::parse(Some("filter[name]=a+b&page[size]=10")).unwrap();
        let (meta, links) = envelope(&base(), &params, 25);
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
