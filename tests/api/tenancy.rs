//! Tenancy: two accounts never see, change or delete each other's records.

use mortar::resources::{Access, ColumnType, Field, IncludeTarget, Resource, Scoping, ALL};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::records::{by_route, dashed, with_query, Made, Records};

/// Account-owned routes: (route, type, attributes to create one).
fn owned() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    vec![
        (
            "/organizations",
            "organizations",
            json!({"name": "Secret Client"}),
        ),
        (
            "/organization_types",
            "organization-types",
            json!({"name": "Secret Type"}),
        ),
        (
            "/organization_statuses",
            "organization-statuses",
            json!({"name": "Secret Status"}),
        ),
        (
            "/configuration_types",
            "configuration-types",
            json!({"name": "Secret CT"}),
        ),
        (
            "/configuration_statuses",
            "configuration-statuses",
            json!({"name": "Secret CS"}),
        ),
        (
            "/contact_types",
            "contact-types",
            json!({"name": "Secret Contact Type"}),
        ),
        (
            "/password_categories",
            "password-categories",
            json!({"name": "Secret Category"}),
        ),
        (
            "/manufacturers",
            "manufacturers",
            json!({"name": "Secret Maker"}),
        ),
        ("/models", "models", json!({"name": "Secret Model"})),
    ]
}

/// Checks that account B can neither see nor change nor delete record `id`
/// of `route`, whose attribute `key` holds `value`.
async fn assert_private(app: &TestApp, route: &str, kind: &str, id: i64, key: &str, value: &str) {
    let other = app.other_key.clone();
    let (status, body) = app
        .get_as(&other, &format!("{route}?page[size]=1000"))
        .await;
    assert_eq!(status, 200, "{route}: {body}");
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["id"] != id.to_string().as_str()),
        "{route} leaks into the other account's list"
    );
    let (_, body) = app
        .get_as(&other, &format!("{route}?filter[id]={id}"))
        .await;
    assert_eq!(body["meta"]["total-count"], 0, "{route}");
    assert_eq!(
        app.get_as(&other, &format!("{route}/{id}")).await.0,
        404,
        "{route}"
    );

    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            &format!("{route}/{id}"),
            json!({"data": {"type": kind, "attributes": {key: "Hijacked"}}}),
        )
        .await;
    assert_eq!(status, 404, "{route} single update");
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            route,
            json!({"data": [{"type": kind, "attributes": {"id": id, key: "Hijacked"}}]}),
        )
        .await;
    assert!(
        status == 404 || status == 405,
        "{route} bulk update: {status}"
    );
    let (status, _) = app
        .send_as(
            &other,
            Method::DELETE,
            route,
            json!({"data": [{"type": kind, "attributes": {"id": id}}]}),
        )
        .await;
    assert!(
        status == 404 || status == 405,
        "{route} bulk delete: {status}"
    );
    let (status, body) = app.get(&format!("{route}/{id}")).await;
    assert_eq!(status, 200, "{route}");
    assert_eq!(
        body["data"]["attributes"][key.replace('_', "-")],
        value,
        "{route} changed by another account"
    );
}

async fn another_account_cannot_see_change_or_delete_records(app: TestApp) {
    for (route, kind, attributes) in owned() {
        let id = app.create(route, attributes.clone()).await;
        let name = attributes["name"].as_str().unwrap();
        assert_private(&app, route, kind, id, "name", name).await;
    }
}

async fn another_account_cannot_reach_configurations_contacts_or_locations(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Secret Client"}))
        .await;
    let server = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let configuration = app
        .create(
            "/configurations",
            json!({"name": "Secret Box", "organization-id": org, "configuration-type-id": server}),
        )
        .await;
    let interface = app
        .create(
            "/configuration_interfaces",
            json!({"name": "Secret NIC", "configuration-id": configuration}),
        )
        .await;
    let contact = app
        .create(
            "/contacts",
            json!({"first-name": "Secret", "organization-id": org}),
        )
        .await;
    let location = app
        .create(
            "/locations",
            json!({"name": "Secret Site", "organization-id": org}),
        )
        .await;
    for (route, kind, id, key, value) in [
        (
            "/configurations",
            "configurations",
            configuration,
            "name",
            "Secret Box",
        ),
        (
            "/configuration_interfaces",
            "configuration-interfaces",
            interface,
            "name",
            "Secret NIC",
        ),
        ("/contacts", "contacts", contact, "first_name", "Secret"),
        ("/locations", "locations", location, "name", "Secret Site"),
    ] {
        assert_private(&app, route, kind, id, key, value).await;
    }
    // Nor reach them under their parents.
    for path in [
        format!("/organizations/{org}/relationships/configurations"),
        format!("/organizations/{org}/relationships/contacts"),
        format!("/organizations/{org}/relationships/locations"),
        format!("/configurations/{configuration}/relationships/configuration_interfaces"),
    ] {
        assert_eq!(app.get_as(&app.other_key, &path).await.0, 404, "{path}");
    }
    let (status, _) = app
        .send_as(
            &app.other_key,
            Method::DELETE,
            &format!("/organizations/{org}/relationships/locations/{location}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.get(&format!("/locations/{location}")).await.0, 200);
}

async fn filtered_bulk_writes_stay_in_the_callers_account(app: TestApp) {
    app.create("/organizations", json!({"name": "Shared Name"}))
        .await;
    let (status, body) = app
        .send_as(
            &app.other_key,
            Method::PATCH,
            "/organizations?filter[name]=Shared Name",
            json!({"data": {"type": "organizations", "attributes": {"alert": "pwned"}}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 0);
    let (status, body) = app
        .send_as(
            &app.other_key,
            Method::DELETE,
            "/organizations?filter[name]=Shared Name",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 0);
    let (_, body) = app.get("/organizations?filter[name]=Shared Name").await;
    assert_eq!(body["meta"]["total-count"], 1);
    assert_eq!(
        body["data"][0]["attributes"]["alert"],
        serde_json::Value::Null
    );
}

async fn references_to_another_accounts_records_are_refused(app: TestApp) {
    let vendor = app.catalog_id("/organization_types", "Vendor").await;
    let (status, body) = app
        .send_as(
            &app.other_key,
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Sneaky", "organization-type-id": vendor}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/organization-type-id"
    );

    let dell = app.catalog_id("/manufacturers", "Dell").await;
    let (status, _) = app
        .get_as(
            &app.other_key,
            &format!("/manufacturers/{dell}/relationships/models"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &app.other_key,
            Method::POST,
            &format!("/manufacturers/{dell}/relationships/models"),
            json!({"data": {"type": "models", "attributes": {"name": "Planted"}}}),
        )
        .await;
    assert_eq!(status, 404);
    let parent = app.catalog_id("/organizations", "Acme IT").await;
    let (status, _) = app
        .send_as(
            &app.other_key,
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Child", "parent-id": parent}}}),
        )
        .await;
    assert_eq!(status, 422);
}

async fn logs_are_per_account(app: TestApp) {
    app.create("/organizations", json!({"name": "Private"}))
        .await;
    let (_, body) = app.get_as(&app.other_key, "/logs").await;
    assert_eq!(body["meta"]["total-count"], 0);
    let (_, body) = app.get("/logs").await;
    assert_eq!(body["meta"]["total-count"], 1);
}

/// The field account B tries to overwrite: the first writable text field
/// that takes any value.
fn hijackable(resource: &Resource) -> Option<&'static Field> {
    resource.fields.iter().find(|f| {
        matches!(f.access, Access::Writable { .. })
            && f.column_type == ColumnType::Text
            && f.one_of.is_empty()
            && !f.secret
            && !f.write_only
    })
}

/// The routes of one record: its top-level member route (when the type has
/// one) and its member route under each parent it has.
fn member_routes(resource: &Resource, made: &Made) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    if resource.ops.top_level {
        out.push((format!("/{}/{}", resource.route, made.id), false));
    }
    for parent in resource.parents() {
        if let Some(parent_id) = parent_of(parent, made) {
            out.push((
                format!(
                    "/{}/{parent_id}/relationships/{}/{}",
                    parent.route, resource.route, made.id
                ),
                true,
            ));
        }
    }
    out
}

/// The id of `made`'s record of `parent`, when it has one.
fn parent_of(parent: &mortar::resources::Parent, made: &Made) -> Option<i64> {
    let attributes = &made.attributes;
    match parent.class {
        Some(class) if attributes["resource-type"] != class => None,
        Some(_) => attributes["resource-id"].as_i64(),
        None => attributes[dashed(parent.field)]
            .as_i64()
            .or_else(|| attributes[dashed(parent.field)].as_str()?.parse().ok()),
    }
}

/// Account A's current view of record `made` of `resource`: its show, its
/// entry in the list, or the record as its parent includes it.
async fn as_a_sees_it(app: &TestApp, resource: &'static Resource, made: &Made) -> Value {
    if resource.ops.show {
        let (path, _) = member_routes(resource, made)
            .into_iter()
            .next()
            .expect("a member route");
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{path} for its own account: {body}");
        return body["data"].clone();
    }
    if resource.ops.list && resource.ops.top_level && resource.ops.list_top_level {
        let path = format!("/{}?page[size]=1000", resource.route);
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{path} for its own account: {body}");
        let found = body["data"]
            .as_array()
            .and_then(|all| all.iter().find(|d| d["id"] == made.id.to_string().as_str()));
        return found.cloned().unwrap_or(Value::Null);
    }
    for parent in resource.parents() {
        let Some(parent_id) = parent_of(parent, made) else {
            continue;
        };
        let include = by_route(parent.route).includes.iter().find(|i| {
            matches!(i.target, IncludeTarget::Polymorphic { resource: r, .. } if std::ptr::eq(r, resource))
        });
        let Some(include) = include else { continue };
        let path = format!("/{}/{parent_id}?include={}", parent.route, include.name);
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let found = body["included"].as_array().and_then(|all| {
            all.iter().find(|d| {
                d["type"] == resource.json_type && d["id"] == made.id.to_string().as_str()
            })
        });
        return found.cloned().unwrap_or(Value::Null);
    }
    panic!(
        "account A has no way to read a {} record (no show route, no include on a parent)",
        resource.route
    )
}

async fn no_account_reaches_another_accounts_records_of_any_type(app: TestApp) {
    let other = app.other_key.clone();
    let mut records = Records::new(&app);
    let mut checked = Vec::new();
    for resource in ALL.iter().copied() {
        let ops = resource.ops;
        if resource.scoping != Scoping::Account
            || !(ops.list || ops.show || ops.update || ops.delete || ops.bulk_delete)
        {
            continue;
        }
        let route = resource.route;
        let made = records.make(resource).await.unwrap_or_else(|e| {
            panic!(
                "cannot make a {route} record from its definition ({e}); \
                 say what it needs in EXTRA or MADE_BY in tests/api/records.rs"
            )
        });
        let before = as_a_sees_it(&app, resource, &made).await;
        assert!(
            before.is_object(),
            "account A cannot see its {route} {}",
            made.id
        );
        let id = made.id.to_string();

        if ops.list && ops.top_level && ops.list_top_level {
            let list = with_query(
                &records.list_path(resource).await.unwrap(),
                "page[size]=1000",
            );
            let listed = |body: &Value| {
                body["data"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{list}: {body}"))
                    .iter()
                    .any(|d| d["id"] == id.as_str())
            };
            let (status, body) = app.get(&list).await;
            assert!(status == 200 && listed(&body), "{list} for A: {body}");
            let (status, body) = app.get_as(&other, &list).await;
            assert_eq!(status, 200, "{list} for B: {body}");
            assert!(!listed(&body), "{route} {id} is in account B's list");
        }
        if ops.list {
            for parent in resource.parents() {
                if let Some(parent_id) = parent_of(parent, &made) {
                    let nested = format!("/{}/{parent_id}/relationships/{route}", parent.route);
                    let list = records
                        .with_needed_filters(resource, &nested)
                        .await
                        .unwrap();
                    assert_eq!(app.get_as(&other, &list).await.0, 404, "{list} for B");
                }
            }
        }
        let field = hijackable(resource);
        for (path, nested) in member_routes(resource, &made) {
            if ops.show {
                let (status, body) = app.get_as(&other, &path).await;
                assert_eq!(status, 404, "GET {path} for B: {body}");
            }
            if ops.update {
                let attributes = match field {
                    Some(f) => json!({ f.name: "Hijacked" }),
                    None => json!({}),
                };
                let (status, body) = app
                    .send_as(
                        &other,
                        Method::PATCH,
                        &path,
                        json!({"data": {"type": resource.json_type, "attributes": attributes}}),
                    )
                    .await;
                assert_eq!(status, 404, "PATCH {path} for B: {body}");
            }
            if ops.delete || (nested && ops.bulk_delete) {
                let response = app
                    .request_as(&other, Method::DELETE, &path)
                    .send()
                    .await
                    .expect("request");
                let (status, body) = crate::helpers::read(response).await;
                assert_eq!(status, 404, "DELETE {path} for B: {body}");
            }
        }

        let after = as_a_sees_it(&app, resource, &made).await;
        assert!(
            after.is_object(),
            "{route} {id} is gone after account B's requests"
        );
        if let Some(field) = field {
            let name = dashed(field.name);
            assert_eq!(
                after["attributes"][&name], before["attributes"][&name],
                "{route} {id} changed by account B"
            );
        }
        checked.push(route);
    }
    // Everything the hand-kept tables above cover is covered here too.
    for (route, ..) in owned() {
        assert!(
            checked.contains(&route.trim_start_matches('/')),
            "{route}: {checked:?}"
        );
    }
    for route in [
        "configurations",
        "configuration_interfaces",
        "contacts",
        "locations",
    ] {
        assert!(checked.contains(&route), "{route}: {checked:?}");
    }
}

crate::api_tests!(
    another_account_cannot_see_change_or_delete_records,
    another_account_cannot_reach_configurations_contacts_or_locations,
    filtered_bulk_writes_stay_in_the_callers_account,
    references_to_another_accounts_records_are_refused,
    logs_are_per_account,
    no_account_reaches_another_accounts_records_of_any_type,
);
