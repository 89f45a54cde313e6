//! Request documents checked against a definition: `data` items, their `type`,
//! ids and attributes, turned into column [`Values`]. Every problem is
//! collected, so a 422 lists them all at once.

use serde_json::{Map, Value};

use crate::error::{Error, Invalid, Result};
use crate::names::{normalize_name, parse_bool};
use crate::resources::{Access, Field, Resource};
use crate::store::ColumnType;
use crate::store::{Arg, Values};

/// Whether values are being checked for a create or an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Required fields must be present.
    Create,
    /// Only what is present changes.
    Update,
}

/// One `data` item of a request, with its position.
#[derive(Debug, Clone)]
pub struct Item {
    /// JSON pointer to the item: `/data` or `/data/3`.
    pub pointer: String,
    /// The item object (keys normalised).
    pub object: Map<String, Value>,
}

impl Item {
    /// The single item of a request (at `/data`): `object` is
    /// `{"type": ..., "attributes": {...}}` with normalised (underscored)
    /// member names, as the API's parser leaves them.
    pub fn new(object: Value) -> Item {
        Item {
            pointer: "/data".into(),
            object: match object {
                Value::Object(map) => map,
                _ => Map::new(),
            },
        }
    }

    /// Pointer to the item's attributes.
    pub fn attributes_pointer(&self) -> String {
        format!("{}/attributes", self.pointer)
    }

    /// The item's attributes object (empty if absent).
    pub fn attributes(&self) -> Map<String, Value> {
        match self.object.get("attributes") {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        }
    }

    /// Sets attribute `name` (the route's parent id on a nested route).
    pub fn set_attribute(&mut self, name: &str, value: Value) {
        let attributes = self
            .object
            .entry("attributes")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = attributes {
            map.insert(name.to_string(), value);
        }
    }

    /// The record id an item names: `attributes.id` (as the reference sends it) or a top-level `id`.
    pub fn id(&self) -> Result<i64> {
        let candidates = [
            (
                self.object.get("attributes").and_then(|a| a.get("id")),
                "/attributes/id",
            ),
            (self.object.get("id"), "/id"),
        ];
        for (value, suffix) in candidates {
            match value {
                None | Some(Value::Null) => continue,
                Some(value) => {
                    return parse_id(value).ok_or_else(|| {
                        Error::invalid(format!("{}{suffix}", self.pointer), "must be a record id")
                    })
                }
            }
        }
        Err(Error::invalid(
            format!("{}/attributes/id", self.pointer),
            "is required: name the record to change",
        ))
    }
}

/// An id given as a number or a string of digits.
pub fn parse_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().filter(|id| *id > 0),
        Value::String(s) => s.trim().parse::<i64>().ok().filter(|id| *id > 0),
        _ => None,
    }
}

/// The `data` of a request document: one object, or an array when `many` is allowed.
pub fn data_items(body: &Value, resource: &Resource, many: bool) -> Result<(Vec<Item>, bool)> {
    let data = body
        .get("data")
        .ok_or_else(|| Error::invalid("/data", "is required"))?;
    let (values, is_array): (Vec<&Value>, bool) = match data {
        Value::Array(items) if many => (items.iter().collect(), true),
        Value::Array(_) => {
            return Err(Error::bad_request(
                "this route takes one object in data; send arrays to the nested route",
            ))
        }
        Value::Object(_) => (vec![data], false),
        _ => {
            return Err(Error::invalid(
                "/data",
                "must be an object or an array of objects",
            ))
        }
    };
    if is_array && values.is_empty() {
        return Err(Error::invalid("/data", "must not be empty"));
    }
    let mut problems = Vec::new();
    let mut items = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        let pointer = if is_array {
            format!("/data/{i}")
        } else {
            "/data".to_string()
        };
        let Value::Object(object) = value else {
            problems.push(Invalid::new(pointer, "must be an object"));
            continue;
        };
        if let Some(kind) = object.get("type") {
            match kind.as_str().map(normalize_name) {
                Some(t) if t == resource.route => {}
                _ => problems.push(Invalid::new(
                    format!("{pointer}/type"),
                    format!("must be {}", resource.json_type),
                )),
            }
        }
        let mut object = object.clone();
        hoist_json_attributes(resource, &mut object);
        items.push(Item { pointer, object });
    }
    if problems.is_empty() {
        Ok((items, is_array))
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Moves JSON attributes sent beside `attributes` into it: the reference's
/// parameter tables place contact emails and phones at `data[contact_emails]`
/// while its examples put them inside `attributes`; both are accepted.
fn hoist_json_attributes(resource: &Resource, object: &mut Map<String, Value>) {
    for field in resource
        .fields
        .iter()
        .filter(|f| f.column_type == ColumnType::Json)
    {
        let Some(value) = object.remove(field.name) else {
            continue;
        };
        let attributes = object
            .entry("attributes")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = attributes {
            map.entry(field.name.to_string()).or_insert(value);
        }
    }
}

/// Checks an item's attributes and turns them into column values.
///
/// Read-only, computed and unknown attributes are ignored, as clients echo
/// them back. Problems are appended to `problems`.
pub fn attribute_values(
    resource: &Resource,
    item: &Item,
    purpose: Purpose,
    problems: &mut Vec<Invalid>,
) -> Values {
    let base = item.attributes_pointer();
    let mut values = Values::default();
    let attributes = match item.object.get("attributes") {
        Some(Value::Object(map)) => map.clone(),
        None if purpose == Purpose::Create && resource.fields.iter().all(|f| !is_required(f)) => {
            Map::new()
        }
        _ => {
            problems.push(Invalid::new(base, "must be an object of attributes"));
            return values;
        }
    };
    if purpose == Purpose::Update && item.object.contains_key("relationships") {
        problems.push(Invalid::new(
            format!("{}/relationships", item.pointer),
            "relationships cannot be changed with PATCH",
        ));
    }
    for field in resource.fields {
        let Some(column) = field.column else { continue };
        let writable = !matches!(
            (field.access, purpose),
            (Access::ReadOnly, _) | (Access::CreateOnly { .. }, Purpose::Update)
        );
        if !writable {
            continue;
        }
        let pointer = format!("{base}/{}", crate::names::dashed(field.name));
        match attributes.get(field.name) {
            None => {
                if purpose == Purpose::Create && is_required(field) {
                    problems.push(Invalid::new(pointer, "is required"));
                }
            }
            Some(value) => match convert(field, value) {
                Ok(arg) => values.set(column, arg),
                Err(detail) => problems.push(Invalid::new(pointer, detail)),
            },
        }
    }
    values
}

fn is_required(field: &Field) -> bool {
    matches!(
        field.access,
        Access::Writable { required: true, .. } | Access::CreateOnly { required: true, .. }
    )
}

fn nullable(field: &Field) -> bool {
    match field.access {
        Access::Writable { nullable, .. } | Access::CreateOnly { nullable, .. } => nullable,
        Access::ReadOnly => false,
    }
}

fn null_of(kind: ColumnType) -> Arg {
    match kind {
        ColumnType::Int | ColumnType::IdString | ColumnType::Timestamp => Arg::Int(None),
        ColumnType::Text | ColumnType::Date | ColumnType::Json => Arg::Text(None),
        ColumnType::Bool => Arg::Bool(None),
    }
}

/// One attribute value checked against its field.
fn convert(field: &Field, value: &Value) -> std::result::Result<Arg, String> {
    let blank = matches!(value, Value::Null)
        || (matches!(value, Value::String(s) if s.trim().is_empty())
            && !matches!(field.column_type, ColumnType::Text));
    if blank {
        return if nullable(field) {
            Ok(null_of(field.column_type))
        } else if is_required(field) {
            Err("can't be blank".into())
        } else {
            Err("can't be null".into())
        };
    }
    if contains_nul(value) {
        return Err("must not contain NUL characters".into());
    }
    match field.column_type {
        ColumnType::Text => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err("must be a string".into()),
            };
            if is_required(field) && text.trim().is_empty() {
                return Err("can't be blank".into());
            }
            if let Some(max) = field.max_len {
                if text.chars().count() > max {
                    return Err(format!("is too long (at most {max} characters)"));
                }
            }
            if !field.one_of.is_empty() && !field.one_of.contains(&text.as_str()) {
                return Err(format!("must be one of: {}", field.one_of.join(", ")));
            }
            Ok(Arg::from(text))
        }
        ColumnType::Int | ColumnType::IdString => {
            let parsed = match value {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match parsed {
                Some(n) if field.references.is_none() || n > 0 => Ok(Arg::from(n)),
                _ => Err("must be a whole number".into()),
            }
        }
        ColumnType::Bool => {
            let parsed = match value {
                Value::Bool(b) => Some(*b),
                Value::String(s) => parse_bool(s),
                Value::Number(n) => n.as_i64().and_then(|n| parse_bool(&n.to_string())),
                _ => None,
            };
            parsed
                .map(Arg::from)
                .ok_or_else(|| "must be true or false".into())
        }
        ColumnType::Date => {
            let text = value.as_str().unwrap_or_default().trim();
            let date = text.get(..10).unwrap_or(text);
            let rest_ok = text.len() == 10 || crate::clock::parse_timestamp(text).is_some();
            if crate::clock::is_date(date) && rest_ok {
                Ok(Arg::from(date))
            } else {
                Err("must be a date (YYYY-MM-DD)".into())
            }
        }
        ColumnType::Json => match value {
            Value::Array(_) | Value::Object(_) => Ok(Arg::from(value.to_string())),
            _ => Err("must be an array or an object".into()),
        },
        ColumnType::Timestamp => value
            .as_str()
            .and_then(|s| crate::clock::parse_range_bound(s.trim(), crate::clock::RangeEnd::Start))
            .map(Arg::from)
            .ok_or_else(|| "must be an RFC3339 time".into()),
    }
}

/// Whether a string anywhere in `value` holds a NUL character, which
/// PostgreSQL cannot store in text and no client means to send.
fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text_field(required: bool) -> Field {
        let f = Field::column("name", "t.name", ColumnType::Text);
        if required {
            f.required()
        } else {
            f
        }
    }

    #[test]
    fn values_are_checked_by_kind() {
        let int = Field::column("organization_type_id", "t.x", ColumnType::Int).references("x");
        assert_eq!(convert(&int, &json!("12")), Ok(Arg::from(12)));
        assert_eq!(convert(&int, &json!(12)), Ok(Arg::from(12)));
        assert!(convert(&int, &json!("abc")).is_err());
        assert_eq!(convert(&int, &json!(null)), Ok(Arg::Int(None)));
        let date = Field::column("warranty_expires_at", "t.x", ColumnType::Date);
        assert_eq!(
            convert(&date, &json!("2018-05-05")),
            Ok(Arg::from("2018-05-05"))
        );
        assert!(convert(&date, &json!("2018-13-05")).is_err());
        let flag = Field::column("archived", "t.x", ColumnType::Bool);
        assert_eq!(convert(&flag, &json!("True")), Ok(Arg::from(true)));
        assert!(convert(&flag, &json!("maybe")).is_err());
    }

    #[test]
    fn required_text_rejects_blank_and_long_values() {
        let name = text_field(true);
        assert!(convert(&name, &json!("")).is_err());
        assert!(convert(&name, &json!(null)).is_err());
        assert!(convert(&name, &json!("x".repeat(256))).is_err());
        assert!(convert(&text_field(false), &json!(null)).is_ok());
    }

    /// Arbitrary JSON, as hostile clients send it.
    fn json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "\\PC{0,16}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::hash_map("[a-z_\\-]{1,12}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_body_gives_values_or_precise_problems_for_every_resource(
            attributes in json(),
            array in proptest::prelude::any::<bool>(),
        ) {
            let item = json!({"type": "x", "attributes": attributes});
            let body = if array { json!({"data": [item]}) } else { json!({"data": item}) };
            for resource in crate::resources::ALL {
                match data_items(&body, resource, true) {
                    Ok((items, _)) => {
                        for item in &items {
                            for purpose in [Purpose::Create, Purpose::Update] {
                                let mut problems = Vec::new();
                                attribute_values(resource, item, purpose, &mut problems);
                                for problem in &problems {
                                    proptest::prop_assert!(problem.pointer.starts_with("/data"));
                                }
                            }
                        }
                    }
                    Err(error) => proptest::prop_assert!(error.status().is_client_error()),
                }
            }
        }
    }
}
