//! Conformance: every resource the definitions list, read through its list
//! and show routes, keeps the envelope rules — string ids, the definition's
//! JSON:API type, dashed attribute names, every attribute of the definition
//! present with a value of its column type, `*-id` values as integers, and
//! lists with their paging `meta` and absolute `links`.

use mortar::resources::{ColumnType, Field, Resource, Scoping, ALL};
use serde_json::Value;

use crate::helpers::TestApp;
use crate::records::{dashed, with_query, Made, Records};

/// Whether `value` is a legal rendering of a `field`, and what was expected if not.
fn renders_as(field: &Field, value: &Value) -> Result<(), &'static str> {
    if value.is_null() {
        return Ok(());
    }
    let ok = match field.column_type {
        ColumnType::Int => value.as_i64().is_some(),
        ColumnType::IdString => value.as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
        ColumnType::Text => value.is_string(),
        ColumnType::Bool => value.is_boolean(),
        ColumnType::Timestamp => value
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        ColumnType::Date => value
            .as_str()
            .is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
        ColumnType::Json => value.is_array() || value.is_object(),
    };
    if ok {
        return Ok(());
    }
    Err(match field.column_type {
        ColumnType::Int => "an integer or null",
        ColumnType::IdString => "a string holding an integer, or null",
        ColumnType::Text => "a string or null",
        ColumnType::Bool => "a boolean or null",
        ColumnType::Timestamp => "an RFC 3339 timestamp or null",
        ColumnType::Date => "a YYYY-MM-DD date or null",
        ColumnType::Json => "an array, an object or null",
    })
}

/// Checks one resource object of `resource` against its definition.
fn check_object(resource: &Resource, object: &Value, at: &str) {
    let id = object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{at}: the id is not a string: {object}"));
    assert!(
        id.parse::<i64>().is_ok_and(|id| id > 0),
        "{at}: the id {id:?} is not a positive integer"
    );
    assert_eq!(object["type"], resource.json_type, "{at}: {object}");
    let attributes = object["attributes"]
        .as_object()
        .unwrap_or_else(|| panic!("{at}: no attributes object: {object}"));
    for (name, value) in attributes {
        assert!(
            !name.contains('_') && name.to_lowercase() == *name,
            "{at}: attribute {name:?} is not a dashed name"
        );
        let field = resource.fields.iter().find(|f| dashed(f.name) == *name);
        let id_string = field.is_some_and(|f| f.column_type == ColumnType::IdString);
        if name.ends_with("-id") && !id_string {
            assert!(
                value.is_null() || value.as_i64().is_some(),
                "{at}: {name} is {value}, not an integer or null"
            );
        }
    }
    for field in resource.fields {
        let name = dashed(field.name);
        if field.write_only {
            // Unless a rendered field of the same name shows the
            // attribute's response form (a user's avatar URL).
            let rendered = resource
                .fields
                .iter()
                .any(|f| f.name == field.name && !f.write_only);
            assert!(
                rendered || !attributes.contains_key(&name),
                "{at}: write-only {name} is shown"
            );
            continue;
        }
        if field.secret {
            continue;
        }
        let value = attributes
            .get(&name)
            .unwrap_or_else(|| panic!("{at}: attribute {name} is missing: {object}"));
        if let Err(expected) = renders_as(field, value) {
            panic!("{at}: {name} is {value}, not {expected}");
        }
    }
}

/// Records a list page asks for: every account-owned list fits on one page,
/// the largest reference list (regions) takes several.
const PAGE_SIZE: u64 = 1000;

/// Checks the first page of a list document.
fn check_list(app: &TestApp, resource: &Resource, body: &Value, at: &str) -> Vec<i64> {
    let data = body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{at}: no data array: {body}"));
    assert!(!data.is_empty(), "{at}: empty list");
    for (i, object) in data.iter().enumerate() {
        check_object(resource, object, &format!("{at} data[{i}]"));
    }
    let meta = &body["meta"];
    let total = meta["total-count"]
        .as_u64()
        .unwrap_or_else(|| panic!("{at}: no total-count: {meta}"));
    let pages = total.div_ceil(PAGE_SIZE);
    assert_eq!(data.len() as u64, total.min(PAGE_SIZE), "{at}: {meta}");
    assert_eq!(meta["current-page"], 1, "{at}: {meta}");
    assert_eq!(meta["total-pages"], pages, "{at}: {meta}");
    assert_eq!(meta["prev-page"], Value::Null, "{at}: {meta}");
    assert_eq!(
        meta["next-page"],
        if pages > 1 {
            Value::from(2)
        } else {
            Value::Null
        },
        "{at}: {meta}"
    );
    assert!(meta["filters"].is_object(), "{at}: {meta}");
    let links = &body["links"];
    let mut keys = vec!["self", "first", "last"];
    if pages > 1 {
        keys.push("next");
    } else {
        assert!(links.get("next").is_none(), "{at}: a next link: {links}");
    }
    for key in keys {
        let link = links[key]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: no {key} link: {links}"));
        assert!(link.starts_with(&app.base), "{at}: {key} link {link}");
    }
    // As the reference: a null prev link on the first page.
    assert_eq!(links["prev"], Value::Null, "{at}: {links}");
    data.iter()
        .map(|d| d["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

async fn every_resource_keeps_the_envelope_rules(app: TestApp) {
    let mut records = Records::new(&app);
    let mut checked = Vec::new();
    for resource in ALL.iter().copied() {
        if !(resource.ops.list || resource.ops.show) {
            continue;
        }
        let route = resource.route;
        let made: Made = match resource.scoping {
            Scoping::Global => {
                let id = records
                    .one(route)
                    .await
                    .unwrap_or_else(|e| panic!("a {route} record: {e}"));
                Made {
                    id,
                    collection: format!("/{route}"),
                    attributes: Value::Null,
                }
            }
            Scoping::Account => records.make(resource).await.unwrap_or_else(|e| {
                panic!(
                    "cannot make a {route} record from its definition ({e}); \
                     say what it needs in EXTRA or MADE_BY in tests/api/records.rs"
                )
            }),
        };
        if resource.ops.list {
            let list = match resource.scoping {
                Scoping::Global => made.collection.clone(),
                Scoping::Account => records
                    .listed_at(resource, &made)
                    .await
                    .unwrap_or_else(|e| panic!("where {route} lists: {e}")),
            };
            let at = format!("GET {list}");
            let (status, body) = app
                .get(&with_query(&list, &format!("page[size]={PAGE_SIZE}")))
                .await;
            assert_eq!(status, 200, "{at}: {body}");
            let ids = check_list(&app, resource, &body, &at);
            assert!(ids.contains(&made.id), "{at}: {} is not listed", made.id);
        }
        if resource.ops.show {
            let member = format!("{}/{}", made.collection, made.id);
            let at = format!("GET {member}");
            let (status, body) = app.get(&member).await;
            assert_eq!(status, 200, "{at}: {body}");
            assert!(body["data"].is_object(), "{at}: {body}");
            assert_eq!(body["data"]["id"], made.id.to_string(), "{at}");
            check_object(resource, &body["data"], &at);
        }
        checked.push(route);
    }
    // The hand-written suites' core types are among those walked.
    for route in [
        "organizations",
        "configurations",
        "passwords",
        "logs",
        "countries",
    ] {
        assert!(
            checked.contains(&route),
            "{route} was not walked: {checked:?}"
        );
    }
}

crate::api_tests!(every_resource_keeps_the_envelope_rules);
