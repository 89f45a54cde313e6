//! Tenancy: two accounts never see, change or delete each other's records.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

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

crate::api_tests!(
    another_account_cannot_see_change_or_delete_records,
    another_account_cannot_reach_configurations_contacts_or_locations,
    filtered_bulk_writes_stay_in_the_callers_account,
    references_to_another_accounts_records_are_refused,
    logs_are_per_account,
);
