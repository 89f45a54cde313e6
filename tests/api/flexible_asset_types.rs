//! Flexible asset types and their fields: created together, all or
//! nothing; fields unique by name and order within their type, with the
//! rules the server forces; every field route of the reference.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The reference's example: a type with its fields in `relationships`.
fn email_type(name: &str) -> Value {
    json!({"data": {"type": "flexible_asset_types",
    "attributes": {"name": name, "description": "Mail systems", "icon": "envelope", "show-in-menu": true},
    "relationships": {"flexible-asset-fields": {"data": [
        {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "Email Servers", "kind": "Text", "required": true, "show-in-list": true, "use-for-title": true}},
        {"type": "flexible_asset_fields", "attributes": {"order": 2, "name": "Webmail URL", "kind": "Text", "show-in-list": false}},
        {"type": "flexible_asset_fields", "attributes": {"order": 3, "name": "Section", "kind": "Header", "required": true}},
        {"type": "flexible_asset_fields", "attributes": {"order": 4, "name": "Hosting", "kind": "Select", "default-value": "Cloud\nOn-Premises", "use-for-title": true}},
        {"type": "flexible_asset_fields", "attributes": {"order": 5, "name": "Servers", "kind": "Tag", "tag-type": "Configurations", "use-for-title": true}}
    ]}}}})
}

fn pointer(body: &Value) -> &str {
    body["errors"][0]["source"]["pointer"]
        .as_str()
        .unwrap_or("")
}

async fn create_type(app: &TestApp, name: &str) -> (i64, Value) {
    let (status, body) = app
        .send(Method::POST, "/flexible_asset_types", email_type(name))
        .await;
    assert_eq!(status, 201, "{body}");
    (body["data"]["id"].as_str().unwrap().parse().unwrap(), body)
}

async fn fields_of(app: &TestApp, type_id: i64) -> Vec<Value> {
    let (status, body) = app
        .get(&format!(
            "/flexible_asset_types/{type_id}/relationships/flexible_asset_fields?sort=order"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

async fn a_type_is_created_with_its_fields(app: TestApp) {
    let (id, body) = create_type(&app, "Email").await;
    let data = &body["data"];
    assert_eq!(data["type"], "flexible-asset-types");
    assert_eq!(data["attributes"]["icon"], "envelope");
    assert_eq!(data["attributes"]["enabled"], true);
    let linked = data["relationships"]["flexible-asset-fields"]["data"]
        .as_array()
        .unwrap();
    assert_eq!(linked.len(), 5, "{body}");
    assert_eq!(linked[0]["type"], "flexible-asset-fields");

    // Relationships always show; `included` only when asked for.
    let (_, listed) = app.get("/flexible_asset_types?filter[name]=Email").await;
    assert_eq!(
        listed["data"][0]["relationships"]["flexible-asset-fields"]["data"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(listed.get("included").is_none());
    let (_, shown) = app
        .get(&format!(
            "/flexible_asset_types/{id}?include=flexible_asset_fields"
        ))
        .await;
    let included = shown["included"].as_array().unwrap();
    assert_eq!(included.len(), 5);

    let fields = fields_of(&app, id).await;
    let attrs = |i: usize| &fields[i]["attributes"];
    assert_eq!(attrs(0)["name-key"], "email-servers");
    assert_eq!(attrs(1)["name-key"], "webmail-url");
    assert_eq!(attrs(0)["flexible-asset-type-id"], id);
    assert_eq!(
        fields[0]["relationships"]["flexible-asset-type"]["data"]["id"],
        id.to_string()
    );
    // What the server forces: no required header, no title from a tag.
    assert_eq!(attrs(2)["required"], false);
    assert_eq!(attrs(4)["use-for-title"], false);
    assert_eq!(attrs(3)["use-for-title"], true);

    // The param table's form: fields in attributes.
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "LAN",
                "fields": [{"order": 1, "name": "Subnet", "kind": "Text", "show-in-list": true}]}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"]["relationships"]["flexible-asset-fields"]["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn a_bad_type_or_field_creates_nothing(app: TestApp) {
    let before = app.database_fingerprint().await;
    for (body, at) in [
        (
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Empty"}}}),
            "/data/attributes/fields",
        ),
        (
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Unlisted",
                "fields": [{"order": 1, "name": "A", "kind": "Text"}]}}}),
            "/data/attributes/fields",
        ),
        (
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Bad kind"},
                "relationships": {"flexible_asset_fields": {"data": [
                    {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "A", "kind": "Text", "show-in-list": true}},
                    {"type": "flexible_asset_fields", "attributes": {"order": 2, "name": "B", "kind": "Sparkles"}}]}}}}),
            "/data/relationships/flexible_asset_fields/data/1/attributes/kind",
        ),
        (
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Twice"},
                "relationships": {"flexible_asset_fields": {"data": [
                    {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "A", "kind": "Text", "show-in-list": true}},
                    {"type": "flexible_asset_fields", "attributes": {"order": 2, "name": "A", "kind": "Text"}}]}}}}),
            "/data/relationships/flexible_asset_fields/data/1/attributes/name",
        ),
        (
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "No options"},
                "relationships": {"flexible_asset_fields": {"data": [
                    {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "Pick", "kind": "Select", "show-in-list": true}}]}}}}),
            "/data/relationships/flexible_asset_fields/data/0/attributes/default-value",
        ),
        (
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "No tag type"},
                "relationships": {"flexible_asset_fields": {"data": [
                    {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "Links", "kind": "Tag", "show-in-list": true}}]}}}}),
            "/data/relationships/flexible_asset_fields/data/0/attributes/tag-type",
        ),
    ] {
        let (status, response) = app.send(Method::POST, "/flexible_asset_types", body).await;
        assert_eq!(status, 422, "{response}");
        assert_eq!(pointer(&response), at, "{response}");
    }
    assert_eq!(app.database_fingerprint().await, before);

    // A PATCH carrying relationships is refused.
    let (id, _) = create_type(&app, "Email").await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_asset_types/{id}"),
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Mail"},
                "relationships": {"flexible_asset_fields": {"data": []}}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // So is one carrying fields: they change through their own routes.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_asset_types/{id}"),
            json!({"data": {"type": "flexible_asset_types", "attributes": {"fields": []}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/fields");
}

async fn every_field_route_serves_the_type_s_fields(app: TestApp) {
    let (id, created) = create_type(&app, "Email").await;
    let updated_at = created["data"]["attributes"]["updated-at"].clone();
    let nested = format!("/flexible_asset_types/{id}/relationships/flexible_asset_fields");

    // Nested bulk create; a clash of order names the attribute.
    let (status, body) = app
        .send(
            Method::POST,
            &nested,
            json!({"data": [
                {"type": "flexible_asset_fields", "attributes": {"order": 6, "name": "Licences", "kind": "Number", "decimals": 0}},
                {"type": "flexible_asset_fields", "attributes": {"order": 7, "name": "Renewal", "kind": "Date", "expiration": true}}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let renewal: i64 = body["data"][1]["id"].as_str().unwrap().parse().unwrap();
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_fields",
            json!({"data": {"type": "flexible_asset_fields", "attributes": {
                "flexible-asset-type-id": id, "order": 6, "name": "Other", "kind": "Text"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/order");
    assert_eq!(fields_of(&app, id).await.len(), 7);

    // Show, top-level and under the type; another type's path is a 404.
    let (status, body) = app.get(&format!("/flexible_asset_fields/{renewal}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["expiration"], true);
    assert_eq!(app.get(&format!("{nested}/{renewal}")).await.0, 200);
    let (other, _) = create_type(&app, "Backup").await;
    assert_eq!(
        app.get(&format!(
            "/flexible_asset_types/{other}/relationships/flexible_asset_fields/{renewal}"
        ))
        .await
        .0,
        404
    );
    // Fields are listed under their type only.
    assert_eq!(app.get("/flexible_asset_fields").await.0, 405);

    // Update: a rename keeps the field and its key follows the name; the
    // type's updated-at moves.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_asset_fields/{renewal}"),
            json!({"data": {"type": "flexible_asset_fields", "attributes": {"name": "Renewal Date"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["name-key"], "renewal-date");
    let (_, shown) = app.get(&format!("/flexible_asset_types/{id}")).await;
    assert_ne!(shown["data"]["attributes"]["updated-at"], updated_at);

    // Bulk update, top-level; the last listed field cannot stop listing.
    let fields = fields_of(&app, id).await;
    let listed: Vec<&Value> = fields
        .iter()
        .filter(|f| f["attributes"]["show-in-list"] == true)
        .collect();
    assert_eq!(listed.len(), 1);
    let (status, body) = app
        .send(
            Method::PATCH,
            "/flexible_asset_fields",
            json!({"data": [{"type": "flexible_asset_fields", "attributes": {
                "id": listed[0]["id"], "show-in-list": false}}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .send(
            Method::PATCH,
            "/flexible_asset_fields",
            json!({"data": [
                {"type": "flexible_asset_fields", "attributes": {"id": renewal, "hint": "When the licence renews"}},
                {"type": "flexible_asset_fields", "attributes": {"id": fields[1]["id"], "show-in-list": true}}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);

    // Delete, top-level and under the type: 204; the last listed field stays.
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/flexible_asset_fields/{renewal}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    let webmail = fields[1]["id"].as_str().unwrap();
    let response = app
        .request(Method::DELETE, &format!("{nested}/{webmail}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let first = fields[0]["id"].as_str().unwrap();
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/flexible_asset_fields/{first}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields_of(&app, id).await.len(), 5);

    // Another account reaches none of it.
    assert_eq!(
        app.get_as(&app.other_key, &format!("/flexible_asset_types/{id}"))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_as(&app.other_key, &format!("/flexible_asset_fields/{first}"))
            .await
            .0,
        404
    );
    assert_eq!(app.get_as(&app.other_key, &nested).await.0, 404);
}

crate::api_tests!(
    a_type_is_created_with_its_fields,
    a_bad_type_or_field_creates_nothing,
    every_field_route_serves_the_type_s_fields,
);
