//! Deleting an organization deletes everything under it: no row of any
//! table is left pointing at it or at its records.

use mortar::resources::ColumnType;
use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

/// Tables holding an organization's records and what hangs off them.
const TABLES: &[&str] = &[
    "locations",
    "contacts",
    "configurations",
    "configuration_interfaces",
    "domains",
    "documents",
    "document_versions",
    "related_items",
    "attachments",
    "expirations",
    "passwords",
    "password_versions",
    "flexible_assets",
    "flexible_asset_versions",
];

async fn row_counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in TABLES {
        let mut sql = app.store.sql();
        sql.push("SELECT COUNT(*) FROM ").push(table);
        let rows = app
            .store
            .fetch(&sql, &[ColumnType::Int])
            .await
            .expect("count");
        out.push((*table, rows[0][0].as_i64().unwrap_or(-1)));
    }
    out
}

/// One of everything, in organization `org`; returns the configuration's id.
async fn populate(app: &TestApp, org: i64, tag: &str) -> (i64, i64) {
    let ct = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let location = app
        .create(
            "/locations",
            json!({"organization-id": org, "name": format!("HQ {tag}")}),
        )
        .await;
    let contact = app
        .create(
            "/contacts",
            json!({"organization-id": org, "first-name": tag, "location-id": location,
                   "contact-emails": [{"value": "it@example.com", "label-name": "Work"}]}),
        )
        .await;
    let server = app
        .create(
            "/configurations",
            json!({"organization-id": org, "name": format!("srv {tag}"), "configuration-type-id": ct,
                   "primary-ip": "10.1.1.1", "warranty-expires-at": "2029-01-01",
                   "location-id": location, "contact-id": contact}),
        )
        .await;
    let domain = app
        .create(
            "/domains",
            json!({"organization-id": org, "name": format!("{tag}.example"), "expires-on": "2028-01-01"}),
        )
        .await;
    let document = app
        .create(
            "/documents",
            json!({"organization-id": org, "name": format!("Runbook {tag}"), "content": "<p>1</p>", "expires-on": "2030-01-01"}),
        )
        .await;
    app.send(
        Method::PATCH,
        &format!("/documents/{document}"),
        json!({"data": {"type": "documents", "attributes": {"content": "<p>2</p>"}}}),
    )
    .await;
    let password = app
        .create(
            "/passwords",
            json!({"organization-id": org, "name": format!("Embedded {tag}"), "password": "p1",
                   "resource-type": "Configuration", "resource-id": server}),
        )
        .await;
    app.send(
        Method::PATCH,
        &format!("/passwords/{password}"),
        json!({"data": {"type": "passwords", "attributes": {"password": "p2"}}}),
    )
    .await;
    app.create(
        "/passwords",
        json!({"organization-id": org, "name": format!("General {tag}"), "password": "p"}),
    )
    .await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/configurations/{server}/relationships/related_items"),
            json!({"data": [
                {"type": "related_items", "attributes": {"destination_type": "Contact", "destination_id": contact}},
                {"type": "related_items", "attributes": {"destination_type": "Domain", "destination_id": domain}}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A flexible asset with a link, a sealed trait, a file and a date.
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": format!("Router {tag}"),
                "fields": [
                    {"order": 1, "name": "Name", "kind": "Text", "show-in-list": true, "use-for-title": true},
                    {"order": 2, "name": "Device", "kind": "Tag", "tag-type": "Configurations"},
                    {"order": 3, "name": "Admin", "kind": "Password"},
                    {"order": 4, "name": "Config", "kind": "Upload"},
                    {"order": 5, "name": "Support Ends", "kind": "Date", "expiration": true}
                ]}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let kind: i64 = body["data"]["id"].as_str().unwrap().parse().unwrap();
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/organizations/{org}/relationships/flexible_assets"),
            json!({"data": {"type": "flexible_assets", "attributes": {"flexible-asset-type-id": kind,
                "traits": {"name": format!("edge {tag}"), "device": server, "admin": "p",
                    "config": {"content": "aGk=", "file_name": "edge.cfg"}, "support-ends": "2031-01-01"}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let asset = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_assets/{asset}"),
            json!({"data": {"type": "flexible_assets", "attributes": {
                "traits": {"name": format!("edge {tag} 2"), "device": server, "admin": "p2",
                    "config": body["data"]["attributes"]["traits"]["config"].clone(),
                    "support-ends": "2031-01-01"}}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (server, contact)
}

async fn deleting_an_organization_leaves_nothing_behind(app: TestApp) {
    let keep = app
        .create("/organizations", json!({"name": "Keeper"}))
        .await;
    let doomed = app
        .create("/organizations", json!({"name": "Doomed"}))
        .await;
    let (kept_server, _) = populate(&app, keep, "keep").await;
    let before = row_counts(&app).await;
    let (_, doomed_contact) = populate(&app, doomed, "doomed").await;
    // A record of the kept organization links into the doomed one.
    let (status, _) = app
        .send(
            Method::POST,
            &format!("/configurations/{kept_server}/relationships/related_items"),
            json!({"data": {"type": "related_items", "attributes": {"destination_type": "Contact", "destination_id": doomed_contact}}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .send(
            Method::POST,
            &format!("/configurations/{kept_server}/relationships/related_items"),
            json!({"data": {"type": "related_items", "attributes": {"destination_type": "Organization", "destination_id": doomed}}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_ne!(row_counts(&app).await, before);

    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [{"type": "organizations", "attributes": {"id": doomed}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["attributes"]["name"], "Doomed");
    assert_eq!(
        row_counts(&app).await,
        before,
        "every row of the doomed organization is gone"
    );
    let (_, body) = app
        .get(&format!(
            "/configurations/{kept_server}?include=related_items"
        ))
        .await;
    assert_eq!(
        body["included"].as_array().unwrap().len(),
        3,
        "the kept links stay (the kept asset's tag among them): {body}"
    );
    let (_, body) = app.get("/expirations").await;
    assert_eq!(
        body["meta"]["total-count"], 4,
        "the kept organization's expirations stay"
    );
}

async fn deleting_a_configuration_takes_its_embedded_passwords(app: TestApp) {
    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let (server, _) = populate(&app, org, "frog").await;
    let (_, body) = app
        .get(&format!(
            "/configurations/{server}?include=passwords,configuration_interfaces"
        ))
        .await;
    assert_eq!(
        body["data"]["relationships"]["passwords"]["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        body["data"]["relationships"]["configuration-interfaces"]["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/organizations/{org}/relationships/configurations"),
            json!({"data": [{"type": "configurations", "attributes": {"id": server}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = app
        .get(&format!("/passwords?filter[organization_id]={org}"))
        .await;
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["attributes"]["name"].as_str().unwrap())
        .collect();
    // The asset's trait password is the asset's, not the configuration's.
    assert_eq!(names, vec!["General frog", "Admin"]);
    let (_, body) = app
        .get(&format!(
            "/expirations?filter[resource_id]={server}&filter[resource_type_name]=Configuration"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 0);
}

crate::api_tests!(
    deleting_an_organization_leaves_nothing_behind,
    deleting_a_configuration_takes_its_embedded_passwords,
);
