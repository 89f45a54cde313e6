//! What a list costs: a page of 1000 configurations with every computed name
//! is one page query plus one count, and an include adds one statement for
//! the whole page, not one per row (counted by the store itself); a page of
//! flexible assets adds a fixed number for their traits. A write checks
//! every record it names in one statement, however many it names, and a new
//! configuration's primary interface costs only its own writes, and a bulk
//! rename one `UPDATE` per record and a fixed number of statements besides.
//! A page of a whole account's list is read in id order from an index.

use mortar::engine::compiled::{Page, Schema, Selection};
use mortar::engine::cursor::Cursor;
use mortar::query::Query;
use mortar::resources::ColumnType;
use mortar::store::{Arg, Dialect};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

const RECORDS: usize = 1000;
const BATCH: usize = 250;

/// Every record a configuration can name, all in one organization.
struct References {
    organization: i64,
    location: i64,
    contact: i64,
    manufacturer: i64,
    model: i64,
    system: i64,
    kind: i64,
    status: i64,
}

/// Makes an organization with a location and a contact, and a model, and
/// finds a manufacturer, an operating system, a type and a status; the key
/// cache is warm after it, so that no write measured next pays its lookup.
async fn references(app: &TestApp) -> References {
    let organization = app
        .create(
            "/organizations",
            json!({"name": "Bench Co", "short-name": "bench"}),
        )
        .await;
    let location = app
        .create(
            "/locations",
            json!({"organization-id": organization, "name": "Headquarters"}),
        )
        .await;
    let contact = app
        .create(
            "/contacts",
            json!({"organization-id": organization, "first-name": "Ada", "last-name": "Lovelace"}),
        )
        .await;
    let manufacturer = app.catalog_id("/manufacturers", "Dell").await;
    let model = app
        .create(
            "/models",
            json!({"manufacturer-id": manufacturer, "name": "OptiPlex 7010"}),
        )
        .await;
    let system = app.catalog_id("/operating_systems", "Windows 11").await;
    let kind = app
        .catalog_id("/configuration_types", "Managed Workstation")
        .await;
    let status = app.catalog_id("/configuration_statuses", "Active").await;
    app.get("/configuration_types?page[size]=1").await;
    References {
        organization,
        location,
        contact,
        manufacturer,
        model,
        system,
        kind,
        status,
    }
}

/// Makes 1000 configurations with every reference (and so every computed
/// name) set, through the nested bulk create route.
async fn thousand_configurations(app: &TestApp) -> i64 {
    let References {
        organization,
        location,
        contact,
        manufacturer,
        model,
        system,
        kind,
        status,
    } = references(app).await;
    for batch in 0..RECORDS / BATCH {
        let data: Vec<Value> = (0..BATCH)
            .map(|i| {
                let n = batch * BATCH + i;
                json!({"type": "configurations", "attributes": {
                    "name": format!("BENCH-WS-{n:04}"),
                    "hostname": format!("bench-ws-{n:04}"),
                    "primary-ip": format!("10.1.{}.{}", n / 250, n % 250 + 2),
                    "serial-number": format!("SN{n:06}"),
                    "configuration-type-id": kind,
                    "configuration-status-id": status,
                    "manufacturer-id": manufacturer,
                    "model-id": model,
                    "operating-system-id": system,
                    "location-id": location,
                    "contact-id": contact,
                }})
            })
            .collect();
        let (code, body) = app
            .send(
                Method::POST,
                &format!("/organizations/{organization}/relationships/configurations"),
                json!({ "data": data }),
            )
            .await;
        assert_eq!(code, 201, "{body}");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(BATCH));
    }
    organization
}

/// GETs `path` after warming the key cache; returns the body and the
/// statements the request cost.
async fn measured(app: &TestApp, path: &str) -> (Value, u64) {
    let (code, _) = app.get("/configuration_types?page[size]=1").await;
    assert_eq!(code, 200);
    let before = app.store.statements();
    let (code, body) = app.get(path).await;
    assert_eq!(code, 200, "{body}");
    (body, app.store.statements() - before)
}

async fn a_page_of_a_thousand_configurations_costs_two_statements(app: TestApp) {
    thousand_configurations(&app).await;

    let (body, statements) = measured(&app, "/configurations?page[size]=1000").await;
    let data = body["data"].as_array().expect("a data array");
    assert_eq!(data.len(), RECORDS);
    assert_eq!(body["meta"]["total-count"], RECORDS);
    for record in data {
        let a = &record["attributes"];
        for name in [
            "organization-name",
            "location-name",
            "contact-name",
            "manufacturer-name",
            "model-name",
            "operating-system-name",
            "configuration-type-name",
            "configuration-status-name",
        ] {
            assert!(
                a[name].as_str().is_some_and(|s| !s.is_empty()),
                "{name} of {record}"
            );
        }
    }
    assert_eq!(data[0]["attributes"]["contact-name"], "Ada Lovelace");
    assert_eq!(data[0]["attributes"]["model-name"], "OptiPlex 7010");
    assert_eq!(statements, 2, "page query and count");

    let (body, statements) = measured(
        &app,
        "/configurations?page[size]=1000&include=configuration_interfaces",
    )
    .await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(RECORDS));
    let included = body["included"].as_array().expect("included");
    assert_eq!(included.len(), RECORDS, "one primary interface each");
    assert!(included
        .iter()
        .all(|i| i["type"] == "configuration-interfaces"));
    assert_eq!(statements, 3, "page query, count and one for the include");
}

/// A page of 1000 flexible assets whose Tag traits link configurations and
/// contacts: the page query, the count, one statement for the type's
/// fields and one per tagged type, whatever the page's size.
async fn a_page_of_a_thousand_flexible_assets_costs_a_fixed_number_of_statements(app: TestApp) {
    let organization = thousand_configurations(&app).await;
    let (_, configurations) = app.get("/configurations?page[size]=2").await;
    let device: i64 = configurations["data"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (_, contacts) = app.get("/contacts?filter[first_name]=Ada").await;
    let contact: i64 = contacts["data"][0]["id"].as_str().unwrap().parse().unwrap();
    let (code, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Backup",
                "fields": [
                    {"order": 1, "name": "Job", "kind": "Text", "show-in-list": true, "use-for-title": true},
                    {"order": 2, "name": "Device", "kind": "Tag", "tag-type": "Configurations"},
                    {"order": 3, "name": "Owner", "kind": "Tag", "tag-type": "Contacts"},
                    {"order": 4, "name": "Retention", "kind": "Number"}
                ]}}}),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let kind: i64 = body["data"]["id"].as_str().unwrap().parse().unwrap();
    for batch in 0..RECORDS / BATCH {
        let data: Vec<Value> = (0..BATCH)
            .map(|i| {
                json!({"type": "flexible_assets", "attributes": {
                    "flexible-asset-type-id": kind,
                    "traits": {"job": format!("nightly-{}", batch * BATCH + i),
                        "device": device, "owner": [contact], "retention": 30}}})
            })
            .collect();
        let (code, body) = app
            .send(
                Method::POST,
                &format!("/organizations/{organization}/relationships/flexible_assets"),
                json!({ "data": data }),
            )
            .await;
        assert_eq!(code, 201, "{body}");
    }
    let (body, statements) = measured(
        &app,
        &format!("/flexible_assets?filter[flexible_asset_type_id]={kind}&page[size]=1000"),
    )
    .await;
    let data = body["data"].as_array().expect("a data array");
    assert_eq!(data.len(), RECORDS);
    for asset in data {
        let traits = &asset["attributes"]["traits"];
        assert_eq!(traits["device"]["values"][0]["id"], device, "{asset}");
        assert_eq!(traits["owner"]["values"][0]["name"], "Ada Lovelace");
    }
    assert_eq!(
        statements, 5,
        "page query, count, the fields, and one per tagged type"
    );
}

/// Sends `document` to `path`; returns the status, the body and the
/// statements the request cost.
async fn measured_send(
    app: &TestApp,
    method: Method,
    path: &str,
    document: Value,
) -> (u16, Value, u64) {
    let before = app.store.statements();
    let (code, body) = app.send(method, path, document).await;
    (code, body, app.store.statements() - before)
}

/// A write of one configuration's `attributes` to `path`, as
/// [`measured_send`].
async fn measured_write(
    app: &TestApp,
    method: Method,
    path: &str,
    attributes: Value,
) -> (u16, Value, u64) {
    let document = json!({"data": {"type": "configurations", "attributes": attributes}});
    measured_send(app, method, path, document).await
}

/// A POST of one configuration, as [`measured_write`].
async fn measured_post(app: &TestApp, attributes: Value) -> (u16, Value, u64) {
    measured_write(app, Method::POST, "/configurations", attributes).await
}

async fn a_write_checks_every_record_it_names_in_one_statement(app: TestApp) {
    let References {
        organization,
        location,
        contact,
        manufacturer,
        model,
        system,
        kind,
        status,
    } = references(&app).await;

    let (code, body, two) = measured_post(
        &app,
        json!({"organization-id": organization, "configuration-type-id": kind, "name": "TWO"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let every = json!({
        "organization-id": organization, "configuration-type-id": kind,
        "configuration-status-id": status, "manufacturer-id": manufacturer,
        "model-id": model, "operating-system-id": system,
        "location-id": location, "contact-id": contact, "name": "EIGHT",
    });
    let (code, body, eight) = measured_post(&app, every.clone()).await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["data"]["attributes"]["model-name"], "OptiPlex 7010");
    assert_eq!(
        eight, two,
        "eight references are checked in the statement that checks two"
    );

    // Each broken reference is still named, in the order of the fields,
    // and nothing is written.
    let mut broken = every;
    broken["name"] = json!("BROKEN");
    broken["configuration-status-id"] = json!(999_999);
    broken["contact-id"] = json!(999_998);
    let (code, body, _) = measured_post(&app, broken).await;
    assert_eq!(code, 422, "{body}");
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["source"]["pointer"].as_str())
        .collect();
    assert_eq!(
        pointers,
        [
            "/data/attributes/configuration-status-id",
            "/data/attributes/contact-id"
        ],
        "{body}"
    );
    let (_, body) = app.get("/configurations?filter[name]=BROKEN").await;
    assert_eq!(body["meta"]["total-count"], 0);
}

async fn a_new_configuration_and_its_primary_interface_cost_only_their_own_writes(app: TestApp) {
    let References {
        organization, kind, ..
    } = references(&app).await;

    let (code, body, bare) = measured_post(
        &app,
        json!({"organization-id": organization, "configuration-type-id": kind, "name": "BARE"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    // PostgreSQL also takes the change feed's ordering lock.
    let budget = match app.store.dialect() {
        Dialect::Sqlite => 7,
        Dialect::Postgres => 8,
    };
    assert_eq!(
        bare, budget,
        "the reference check, the insert, the read-back, the search entry, the webhook \
         lookup, the activity entry and the change feed; no dates, so no expirations"
    );

    let (code, body, addressed) = measured_post(
        &app,
        json!({"organization-id": organization, "configuration-type-id": kind, "name": "ADDRESSED",
            "primary-ip": "10.0.0.1", "mac-address": "0a-00-00-00-00-01"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        addressed - bare,
        2,
        "the interface's insert and its read-back: its configuration is known \
         to exist and has no other interface to clear, and its activity entry \
         is written with the configuration's"
    );
    let id = body["data"]["id"].as_str().expect("id");
    let (_, body) = app
        .get(&format!(
            "/configurations/{id}/relationships/configuration_interfaces"
        ))
        .await;
    let interface = &body["data"][0]["attributes"];
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(interface["primary"], true);
    assert_eq!(interface["ip-address"], "10.0.0.1");
    assert_eq!(interface["mac-address"], "0A:00:00:00:00:01");

    // A change that leaves the addresses alone does not look at them, nor
    // at the interfaces; one that leaves the name, the organization and
    // the dates alone rewrites neither the expirations nor the names its
    // embedded passwords keep.
    let path = format!("/configurations/{id}");
    let patch = |attributes: Value| async {
        let (code, body, statements) = measured_write(&app, Method::PATCH, &path, attributes).await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["data"]["attributes"]["primary-ip"], "10.0.0.1");
        statements
    };
    let renamed = patch(json!({"name": "RENAMED"})).await;
    assert_eq!(
        renamed,
        budget + 3,
        "the row's lookup, the UPDATE, the expirations' read and DELETE, the \
         passwords' name, the read-back, search, webhooks, activity and feed"
    );
    let noted = patch(json!({"notes": "Rack 4"})).await;
    assert_eq!(
        noted,
        renamed - 3,
        "no expirations' read or DELETE, no passwords' name"
    );
}

/// Bulk PATCHes `changes` (each an id and attributes) to the
/// configurations; returns the statements it cost.
async fn measured_bulk_patch(app: &TestApp, changes: Vec<(i64, Value)>) -> u64 {
    let data: Vec<Value> = changes
        .into_iter()
        .map(|(id, mut attributes)| {
            attributes["id"] = json!(id);
            json!({"type": "configurations", "attributes": attributes})
        })
        .collect();
    let (code, body, statements) = measured_send(
        app,
        Method::PATCH,
        "/configurations",
        json!({ "data": data }),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    statements
}

/// The expirations of configuration `id`, by description: id, name,
/// date and creation time.
async fn expirations_of(app: &TestApp, id: i64) -> Vec<(String, Value, Value, Value, Value)> {
    let (code, body) = app
        .get(&format!(
            "/expirations?filter[resource_id]={id}&filter[resource_type_name]=Configuration"
        ))
        .await;
    assert_eq!(code, 200, "{body}");
    let mut expirations: Vec<_> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| {
            let a = &e["attributes"];
            (
                a["description"].as_str().expect("description").to_string(),
                e["id"].clone(),
                a["resource-name"].clone(),
                a["expiration-date"].clone(),
                a["created-at"].clone(),
            )
        })
        .collect();
    expirations.sort_by(|a, b| a.0.cmp(&b.0));
    expirations
}

async fn a_bulk_rename_costs_one_update_per_record_and_a_fixed_number_besides(app: TestApp) {
    let References {
        organization, kind, ..
    } = references(&app).await;
    let mut ids = Vec::new();
    for n in 0..30 {
        let id = app
            .create(
                "/configurations",
                json!({"organization-id": organization, "configuration-type-id": kind,
                    "name": format!("WS-{n:02}"), "warranty-expires-at": "2027-03-01",
                    "mitp-end-of-life-date": "2029-12-31"}),
            )
            .await;
        app.create(
            "/passwords",
            json!({"organization-id": organization, "name": format!("WS-{n:02} admin"),
                "password": "p", "resource-type": "Configuration", "resource-id": id}),
        )
        .await;
        ids.push(id);
    }
    let before = expirations_of(&app, ids[0]).await;
    assert_eq!(before.len(), 2, "{before:?}");

    let rename = |ids: &[i64], round: &str| {
        ids.iter()
            .map(|id| (*id, json!({"name": format!("{round}-{id}")})))
            .collect::<Vec<_>>()
    };
    let five = measured_bulk_patch(&app, rename(&ids[..5], "A")).await;
    let twenty_five = measured_bulk_patch(&app, rename(&ids[5..], "B")).await;
    assert_eq!(
        twenty_five - five,
        20,
        "twenty more records cost their twenty UPDATEs, and the expirations \
         and the passwords' names one set of statements for all"
    );

    // Each expiration carries its record's new name, and keeps its id,
    // date and creation time.
    let after = expirations_of(&app, ids[0]).await;
    assert_eq!(after.len(), 2, "{after:?}");
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            (&old.0, &old.1, &old.3, &old.4),
            (&new.0, &new.1, &new.3, &new.4)
        );
        assert_eq!(new.2, format!("A-{}", ids[0]));
    }
    let (_, body) = app
        .get(&format!(
            "/passwords?filter[cached_resource_name]=B-{}",
            ids[29]
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 1, "{body}");
    assert_eq!(body["data"][0]["attributes"]["name"], "WS-29 admin");

    // In one request, one record loses a date, one gains one and moves
    // another, and one is renamed.
    measured_bulk_patch(
        &app,
        vec![
            (ids[1], json!({"mitp-end-of-life-date": null})),
            (
                ids[2],
                json!({"mitp-device-expiration-date": "2028-06-30",
                "warranty-expires-at": "2027-09-01"}),
            ),
            (ids[3], json!({"name": "C"})),
        ],
    )
    .await;
    let lost = expirations_of(&app, ids[1]).await;
    assert_eq!(
        lost.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["Warranty expiration"]
    );
    let gained = expirations_of(&app, ids[2]).await;
    let dates: Vec<(&str, &Value)> = gained.iter().map(|e| (e.0.as_str(), &e.3)).collect();
    assert_eq!(
        dates,
        [
            ("Device expiration", &json!("2028-06-30T00:00:00.000Z")),
            ("End of life", &json!("2029-12-31T00:00:00.000Z")),
            ("Warranty expiration", &json!("2027-09-01T00:00:00.000Z")),
        ]
    );
    let renamed = expirations_of(&app, ids[3]).await;
    assert!(renamed.iter().all(|e| e.2 == "C"), "{renamed:?}");
}

/// A page of a whole account's list in its default order (by id) is read
/// from an index in that order, not found by reading every record of the
/// account: SQLite through the table's index on its account (its planner
/// would take another index on `account_id` and sort the whole account);
/// PostgreSQL plans for the page's 50 records (it planned a bound `LIMIT`
/// as a tenth of the account, and at 100,000 configurations hash-joined
/// every one of them for a page of 50).
async fn a_whole_accounts_page_is_read_in_id_order_from_an_index(app: TestApp) {
    thousand_configurations_with_statistics(&app).await;
    let plan = plan_of_page(&app, &[], None).await;
    match app.store.dialect() {
        Dialect::Sqlite => assert!(
            plan.contains("COVERING INDEX configurations_account (account_id=?)"),
            "{plan}"
        ),
        // The plan is made once for any values: it must know the page's
        // size, where for a bound one it guessed a tenth of the account.
        Dialect::Postgres => assert!(
            plan.lines()
                .any(|line| line.contains("Limit  (") && line.contains(" rows=50 ")),
            "{plan}"
        ),
    }
    // And it is the second 50 in id order.
    let (code, body) = app
        .get("/configurations?page[size]=50&page[number]=2")
        .await;
    assert_eq!(code, 200, "{body}");
    let ids = ids_of(&body);
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids.len(), 50);
    assert_eq!(ids, sorted);
    let (_, first) = app.get("/configurations?page[size]=50").await;
    let last_of_first: i64 = first["data"][49]["id"].as_str().unwrap().parse().unwrap();
    assert!(last_of_first < ids[0], "{last_of_first} then {}", ids[0]);
}

/// A page of a whole account's list sorted by id, name or a timestamp,
/// either way, is read from the sort's index in its order: no step sorts
/// the account's records. (PostgreSQL's indexes order NULLs last unless
/// told, and the API orders them first: its plans sorted the whole account
/// for `-id`, the timestamps and some names, a page of 100,000
/// configurations at a time. And until migration 0032 they did not end in
/// the id: a page sorted by a key many records share, NULL included,
/// sorted all those records.)
async fn a_whole_accounts_page_in_any_standard_order_is_read_from_an_index(app: TestApp) {
    thousand_configurations_with_statistics(&app).await;
    for (sort, descending) in [
        ("id", true),
        ("name", false),
        ("name", true),
        ("created_at", false),
        ("created_at", true),
        ("updated_at", true),
        // A key NULL in every record here: a page of NULLs, in id order.
        ("warranty_expires_at", false),
    ] {
        if sort == "warranty_expires_at" && app.store.dialect() == Dialect::Sqlite {
            // SQLite's planner sorts these 1,000 rows rather than read the
            // index (its cost model, at this size); on 100,000 with every
            // warranty NULL it reads the index, as its index ends in the
            // rowid. The case is PostgreSQL's, whose index ends in the id
            // since migration 0032.
            continue;
        }
        let plan = plan_of_page(&app, &[(sort, descending)], None).await;
        let sorted_whole = match app.store.dialect() {
            // The id subquery's steps are those its first line (the
            // co-routine or the materialized view) is the parent of.
            Dialect::Sqlite => {
                let subquery = plan
                    .lines()
                    .find(|line| {
                        line.ends_with("CO-ROUTINE page_keys")
                            || line.ends_with("MATERIALIZE page_keys")
                    })
                    .and_then(|line| line.split(' ').next())
                    .unwrap_or_else(|| panic!("no id subquery in:\n{plan}"))
                    .to_string();
                plan.lines().any(|line| {
                    let mut cells = line.splitn(3, ' ');
                    cells.next();
                    cells.next() == Some(subquery.as_str())
                        && line.ends_with("USE TEMP B-TREE FOR ORDER BY")
                })
            }
            // A full sort's estimate is what it sorts; the page's own
            // records are sorted again by the outer query (50 of them). An
            // ascending order is its index's own (which ends in the id), so
            // it needs no incremental sort either: one would sort each run
            // of equal keys, all the NULLs at once.
            Dialect::Postgres => plan.lines().any(|line| {
                let step = line.trim_start().trim_start_matches("->  ");
                if !descending && step.starts_with("Incremental Sort") {
                    return true;
                }
                let full_sort = step.starts_with("Sort  (");
                let rows: u64 = line
                    .split(" rows=")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                full_sort && rows > 51
            }),
        };
        let order = format!("{}{sort}", if descending { "-" } else { "" });
        assert!(!sorted_whole, "sort={order} sorts the account:\n{plan}");
        // And the page is in that order, with NULLs first (none here).
        let (code, body) = app
            .get(&format!(
                "/configurations?sort={order}&page[size]=50&page[number]=2"
            ))
            .await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(50), "{order}");
    }
    let (_, body) = app
        .get("/configurations?sort=-id&page[size]=50&page[number]=2")
        .await;
    let ids = ids_of(&body);
    let mut descending = ids.clone();
    descending.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, descending);
    let (_, first) = app.get("/configurations?sort=-id&page[size]=1").await;
    assert!(ids_of(&first)[0] > ids[0]);
}

/// A cursor page by id, a timestamp, a name or a key that can be NULL,
/// either way, reads the sort's index from the cursor on: the records
/// before the cursor are not read and filtered out one by one (a page of
/// 1,000 by `-id` near the end of 100,000 configurations took 15 ms on
/// SQLite and 67 on PostgreSQL). Descending from a value of a key that can
/// be NULL, the NULLs after the values are read as a page of their own, in
/// id order from the key's index (which ends in the id on PostgreSQL too
/// since migration 0032).
async fn a_cursor_page_by_id_a_timestamp_or_a_name_reads_from_the_cursor_on(app: TestApp) {
    thousand_configurations_with_statistics(&app).await;
    for (sort, descending) in [
        ("id", true),
        ("updated_at", true),
        ("created_at", true),
        ("updated_at", false),
        ("name", true),
        ("serial_number", true),
    ] {
        let order = format!("{}{sort}", if descending { "-" } else { "" });
        let kind = if matches!(sort, "name" | "serial_number") {
            ColumnType::Text
        } else {
            ColumnType::Int
        };
        // The 900th record in that order, where a cursor page would start.
        let mut sql = app.store.sql();
        sql.push(&format!(
            "SELECT {sort}, id FROM configurations ORDER BY {sort} {}, id LIMIT 1 OFFSET 899",
            if descending { "DESC" } else { "ASC" }
        ));
        let rows = app
            .store
            .fetch(&sql, &[kind, ColumnType::Int])
            .await
            .expect("the 900th record");
        let value = match kind {
            ColumnType::Text => Arg::Text(rows[0][0].as_str().map(str::to_string)),
            _ => Arg::Int(rows[0][0].as_i64()),
        };
        let cursor = Cursor {
            values: vec![value],
            id: rows[0][1].as_i64().expect("an id"),
        };
        let plan = plan_of_page(&app, &[(sort, descending)], Some(&cursor)).await;
        let bounded = match app.store.dialect() {
            // `SEARCH t USING COVERING INDEX configurations_account
            // (account_id=? AND rowid<?)`, and not as one range of several
            // (`MULTI-INDEX OR`), whose records are all read, then sorted.
            Dialect::Sqlite => {
                plan.lines().any(|line| {
                    line.contains("SEARCH t ") && (line.contains("<?)") || line.contains(">?)"))
                }) && !plan.contains("MULTI-INDEX OR")
            }
            // A range of the key's index from the cursor: `key <= $1` (the
            // branches of ties filtered after), or `ROW(key, id) > ROW(...)`
            // where the index ends in the id and the order is one way.
            Dialect::Postgres => plan.lines().any(|line| {
                line.contains("Index Cond:")
                    && [" <= ", " >= ", ") > ROW(", ") < ROW("]
                        .iter()
                        .any(|bound| line.contains(bound))
            }),
        };
        assert!(
            bounded,
            "sort={order} after the 900th is not read from the cursor on:\n{plan}"
        );
        if sort == "serial_number" {
            // The NULLs: a page of the key's index, from its NULLs (none
            // here), in id order with no sort below the page's limit.
            let lines: Vec<&str> = plan.lines().collect();
            let nulls = match app.store.dialect() {
                // `SEARCH t USING COVERING INDEX configurations_serial_number
                // (account_id=? AND serial_number=?)`
                Dialect::Sqlite => lines.iter().any(|line| {
                    line.contains("SEARCH t ")
                        && line.contains(
                            "configurations_serial_number (account_id=? AND serial_number=?)",
                        )
                }),
                // `Limit`, `Index Only Scan using configurations_serial_number`,
                // `Index Cond: ((account_id = ...) AND (serial_number IS NULL))`
                Dialect::Postgres => (2..lines.len()).any(|i| {
                    lines[i].contains("Index Cond:")
                        && lines[i].contains("(serial_number IS NULL)")
                        && lines[i - 1].contains("using configurations_serial_number")
                        && lines[i - 2].contains("Limit")
                }),
            };
            assert!(
                nulls,
                "sort={order} does not read its NULLs by the index:\n{plan}"
            );
        }
    }
}

/// [`thousand_configurations`], then the planner's statistics, as a
/// server's hourly refresh leaves them.
async fn thousand_configurations_with_statistics(app: &TestApp) {
    thousand_configurations(app).await;
    app.store
        .optimize()
        .await
        .expect("the planner's statistics");
}

/// The plan of the page of 50 of the account's configurations in `sorts`'
/// order (the second numbered one, or the cursor page after `after`), a
/// line per step (SQLite's: id, parent and detail).
async fn plan_of_page(app: &TestApp, sorts: &[(&str, bool)], after: Option<&Cursor>) -> String {
    plan_of_route_page(app, "configurations", sorts, after).await
}

/// The plan of the second page of 50 of the whole account's list at
/// `route`, sorted by `sorts`, or of the page after the cursor `after`.
async fn plan_of_route_page(
    app: &TestApp,
    route: &str,
    sorts: &[(&str, bool)],
    after: Option<&Cursor>,
) -> String {
    let schema = Schema::build(&[]);
    let compiled = schema.by_route(route).expect("a route");
    let query = Query {
        sort: sorts
            .iter()
            .map(|(name, descending)| (name.to_string(), *descending))
            .collect(),
        ..Query::default()
    };
    let sorts = compiled.sorts(&query).expect("sortable");
    let selection = Selection {
        account: Some(app.account.id),
        ..Selection::default()
    };
    let page = Page {
        sorts: &sorts,
        size: 50,
        number: 2,
        cursor: after.is_some(),
        after,
    };
    let page_sql = compiled.page_sql(app.store.sql(), &selection, &page, None);
    let mut sql = app.store.sql();
    let kinds = match app.store.dialect() {
        Dialect::Sqlite => {
            sql.push("EXPLAIN QUERY PLAN ");
            vec![
                ColumnType::Int,
                ColumnType::Int,
                ColumnType::Int,
                ColumnType::Text,
            ]
        }
        Dialect::Postgres => {
            sql.push("EXPLAIN ");
            vec![ColumnType::Text]
        }
    };
    sql.push(&page_sql.text);
    sql.args = page_sql.args.clone();
    let rows = app
        .store
        .fetch(&sql, &kinds)
        .await
        .expect("the page's plan");
    rows.iter()
        .map(|row| match app.store.dialect() {
            Dialect::Sqlite => format!(
                "{} {} {}",
                row[0].as_i64().unwrap_or_default(),
                row[1].as_i64().unwrap_or_default(),
                row[3].as_str().unwrap_or_default()
            ),
            Dialect::Postgres => row[0].as_str().unwrap_or_default().to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A page of configuration types or password categories reads each one's
/// `configurations-count` or `passwords-count` from the counts the store
/// keeps, not by counting the records that name it: a list of types
/// counted every configuration of the account.
async fn a_page_of_types_reads_their_kept_counts(app: TestApp) {
    thousand_configurations_with_statistics(&app).await;
    for (route, counted) in [
        ("configuration_types", "configurations"),
        ("password_categories", "passwords"),
    ] {
        let plan = plan_of_route_page(&app, route, &[], None).await;
        // SQLite's plan names the count by its key, PostgreSQL's by its index.
        assert!(
            plan.contains("(counted=? AND reference_id=?)")
                || plan.contains("reference_counts_key"),
            "{route}: {plan}"
        );
        assert!(
            !plan.contains(&format!("on {counted} ")) && !plan.contains(&format!("{counted}_")),
            "{route} reads {counted}: {plan}"
        );
    }
}

/// The ids of a list response's records, in its order.
fn ids_of(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|record| record["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

crate::api_tests!(
    a_whole_accounts_page_is_read_in_id_order_from_an_index,
    a_whole_accounts_page_in_any_standard_order_is_read_from_an_index,
    a_cursor_page_by_id_a_timestamp_or_a_name_reads_from_the_cursor_on,
    a_page_of_a_thousand_configurations_costs_two_statements,
    a_bulk_rename_costs_one_update_per_record_and_a_fixed_number_besides,
    a_write_checks_every_record_it_names_in_one_statement,
    a_new_configuration_and_its_primary_interface_cost_only_their_own_writes,
    a_page_of_a_thousand_flexible_assets_costs_a_fixed_number_of_statements,
    a_page_of_types_reads_their_kept_counts,
);

/// SQLite picks indexes by the statistics the store refreshes when it opens
/// (and a running server hourly): with them, a page's related records are
/// found by primary key rather than by reading the whole account through an
/// `account_id` index, which is what it guesses without them.
#[tokio::test]
async fn sqlite_finds_records_by_id_through_the_primary_key_after_a_restart() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    thousand_configurations(&app).await;
    let plan = |store: mortar::store::Store| async move {
        let ids: Vec<String> = (1..=200).map(|i| (i * 3).to_string()).collect();
        let mut sql = store.sql();
        sql.push(&format!(
            "EXPLAIN QUERY PLAN SELECT t.id FROM configurations t \
             WHERE t.account_id = {} AND t.id IN ({}) ORDER BY t.id",
            app.account.id,
            ids.join(", ")
        ));
        let rows = store
            .fetch(
                &sql,
                &[
                    mortar::resources::ColumnType::Int,
                    mortar::resources::ColumnType::Int,
                    mortar::resources::ColumnType::Int,
                    mortar::resources::ColumnType::Text,
                ],
            )
            .await
            .expect("a query plan");
        rows.iter()
            .filter_map(|row| row[3].as_str().map(str::to_string))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let before = plan(app.store.clone()).await;
    assert!(
        !before.contains("PRIMARY KEY"),
        "without statistics SQLite reads through an account index: {before}"
    );
    // A restart opens the store again.
    let reopened = mortar::store::Store::open(&app.args().store.store_config(2))
        .await
        .expect("the store opens again");
    let after = plan(reopened.clone()).await;
    reopened.close().await;
    assert!(
        after.contains("USING INTEGER PRIMARY KEY"),
        "with statistics: {after}"
    );
}

/// A database made by an earlier version gets the planner's statistics of
/// the indexes its migrations add when the store opens it: without them
/// SQLite guesses a new index is selective, and read a whole account's
/// list sorted by name through the new index on the account alone.
#[tokio::test]
async fn sqlite_knows_the_indexes_a_migration_adds_once_it_has_run() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    thousand_configurations(&app).await;
    // The database as the version before 0029 left it.
    for table in mortar::store::ACCOUNT_ORDERED {
        let mut sql = app.store.sql();
        sql.push(&format!("DROP INDEX {table}_account"));
        app.store.execute(&sql).await.expect("drop the index");
    }
    // And without what the versions after it added (0031's kept counts).
    for statement in [
        "DROP TRIGGER configurations_type_count_ai",
        "DROP TRIGGER configurations_type_count_ad",
        "DROP TRIGGER configurations_type_count_au",
        "DROP TRIGGER passwords_category_count_ai",
        "DROP TRIGGER passwords_category_count_ad",
        "DROP TRIGGER passwords_category_count_au",
        "DROP TABLE reference_counts",
    ] {
        let mut sql = app.store.sql();
        sql.push(statement);
        app.store.execute(&sql).await.expect(statement);
    }
    let mut sql = app.store.sql();
    sql.push("DELETE FROM _sqlx_migrations WHERE version >= 29");
    app.store
        .execute(&sql)
        .await
        .expect("forget the migrations");
    let statistics = |store: mortar::store::Store| async move {
        let mut sql = store.sql();
        sql.push("SELECT stat FROM sqlite_stat1 WHERE idx = 'configurations_account'");
        store
            .fetch(&sql, &[ColumnType::Text])
            .await
            .expect("the statistics")
    };
    assert!(statistics(app.store.clone()).await.is_empty());
    // A restart of the new version migrates it.
    let reopened = mortar::store::Store::open(&app.args().store.store_config(2))
        .await
        .expect("the store opens and migrates");
    let known = statistics(reopened.clone()).await;
    reopened.close().await;
    assert_eq!(known.len(), 1, "{known:?}");
    assert!(
        known[0][0]
            .as_str()
            .is_some_and(|stat| stat.starts_with("1000")),
        "{known:?}"
    );
}
