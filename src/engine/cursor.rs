//! Cursor pages (`page[after]`): an opaque token naming where the last
//! page ended (the sort values of its last record and its id), so the next
//! page starts right after it through the sort's index whatever its depth,
//! and rows inserted or deleted meanwhile neither repeat nor skip a record.
//!
//! The token is URL-safe base64 of JSON: the sort it was made for, the
//! values and the id. It holds nothing the caller could not read, and a
//! token made for another sort is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::resources::{ColumnType, Sort};
use crate::store::{Arg, Cell};

/// The query parameter.
pub const PARAMETER: &str = "page[after]";

/// Where a page ends: the sort values of its last record, then its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// One value per sort key, typed as the key's column.
    pub values: Vec<Arg>,
    /// The last record's id (the final tie-break).
    pub id: i64,
}

/// The token of change feed position `id`.
pub fn encode_position(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("changes:{id}"))
}

/// The change feed position a token names (empty: the start); a 400
/// naming `page[after]` otherwise.
pub fn decode_position(token: &str) -> Result<i64> {
    if token.trim().is_empty() {
        return Ok(0);
    }
    URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("changes:")?.parse().ok())
        .ok_or_else(|| {
            Error::bad_parameter(
                PARAMETER,
                "is not a position of the change feed: use meta.next-cursor of an earlier answer",
            )
        })
}

/// How a cursor page continues.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorPage {
    /// The token of the next page, when one follows.
    pub next: Option<String>,
}

/// How a value of a column of type `kind` is read back from the database
/// (and so how a cursor carries it): integers, booleans or text.
pub fn stored_kind(kind: ColumnType) -> ColumnType {
    match kind {
        ColumnType::Bool => ColumnType::Bool,
        ColumnType::Int | ColumnType::IdString | ColumnType::Timestamp => ColumnType::Int,
        _ => ColumnType::Text,
    }
}

/// The sort as a cursor names it: `name,-created_at`.
fn signature(sorts: &[(Sort, bool)]) -> String {
    sorts
        .iter()
        .map(|(sort, descending)| {
            if *descending {
                format!("-{}", sort.name)
            } else {
                sort.name.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The token for a page ending at `id` with sort values `cells`.
pub fn encode(sorts: &[(Sort, bool)], cells: &[Cell], id: i64) -> String {
    let values: Vec<Value> = cells
        .iter()
        .map(|cell| match cell {
            Cell::Null => Value::Null,
            Cell::Int(v) => json!(v),
            Cell::Text(v) => json!(v),
            Cell::Bool(v) => json!(v),
        })
        .collect();
    let token = json!({ "s": signature(sorts), "v": values, "id": id });
    URL_SAFE_NO_PAD.encode(token.to_string())
}

/// The cursor a token names, for `sorts` whose columns are `kinds`; a 400
/// naming `page[after]` when it is not a token of this sort.
pub fn decode(token: &str, sorts: &[(Sort, bool)], kinds: &[ColumnType]) -> Result<Cursor> {
    let invalid = || {
        Error::bad_parameter(
            PARAMETER,
            "is not a cursor this list gave out: use the links.next of the previous page",
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| invalid())?;
    let token: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if token["s"].as_str() != Some(signature(sorts).as_str()) {
        return Err(Error::bad_parameter(
            PARAMETER,
            "was made for another sort: send the sort of the request that gave it out",
        ));
    }
    let id = token["id"].as_i64().ok_or_else(invalid)?;
    let given = token["v"].as_array().ok_or_else(invalid)?;
    if given.len() != kinds.len() {
        return Err(invalid());
    }
    let values = given
        .iter()
        .zip(kinds)
        .map(|(value, kind)| match (stored_kind(*kind), value) {
            (ColumnType::Bool, Value::Null) => Some(Arg::Bool(None)),
            (ColumnType::Bool, Value::Bool(b)) => Some(Arg::Bool(Some(*b))),
            (ColumnType::Int, Value::Null) => Some(Arg::Int(None)),
            (ColumnType::Int, v) => v.as_i64().map(|n| Arg::Int(Some(n))),
            (_, Value::Null) => Some(Arg::Text(None)),
            (_, Value::String(s)) => Some(Arg::Text(Some(s.clone()))),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(invalid)?;
    Ok(Cursor { values, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_for_its_sort_only() {
        let name = Sort::on("name", "t.name");
        let created = Sort::on("created_at", "t.created_at");
        let sorts = [(name, false), (created, true)];
        let kinds = [ColumnType::Text, ColumnType::Timestamp];
        let token = encode(&sorts, &[Cell::Text("Frog".into()), Cell::Null], 42);
        assert_eq!(
            decode(&token, &sorts, &kinds).unwrap(),
            Cursor {
                values: vec![Arg::Text(Some("Frog".into())), Arg::Int(None)],
                id: 42
            }
        );
        assert!(decode(&token, &sorts[..1], &kinds[..1]).is_err());
        assert!(decode("not a token", &sorts, &kinds).is_err());
        assert!(decode("", &sorts, &kinds).is_err());
    }
}
