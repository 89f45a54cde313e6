//! Flexible assets: traits checked field by field and stored whole, titles
//! from the title fields, Tag traits that link records, Date traits that
//! expire, versions of every change, and the list that needs its type.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

struct Setup {
    org: i64,
    type_id: i64,
    server: i64,
    contact: i64,
}

fn id_of(body: &Value) -> i64 {
    body["data"]["id"].as_str().unwrap().parse().unwrap()
}

fn pointer(body: &Value) -> &str {
    body["errors"][0]["source"]["pointer"]
        .as_str()
        .unwrap_or("")
}

async fn setup(app: &TestApp) -> Setup {
    let org = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let server_type = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let server = app
        .create(
            "/configurations",
            json!({"organization-id": org, "name": "mx1", "hostname": "mx1.happyfrog.test",
                "configuration-type-id": server_type}),
        )
        .await;
    let contact = app
        .create(
            "/contacts",
            json!({"organization-id": org, "first-name": "Rob", "last-name": "Storts"}),
        )
        .await;
    let field = |order: i64, name: &str, kind: &str, extra: Value| {
        let mut attributes = json!({"order": order, "name": name, "kind": kind});
        for (k, v) in extra.as_object().unwrap() {
            attributes[k] = v.clone();
        }
        json!({"type": "flexible_asset_fields", "attributes": attributes})
    };
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Email"},
                "relationships": {"flexible_asset_fields": {"data": [
                    field(1, "Domain Name", "Text", json!({"required": true, "use-for-title": true, "show-in-list": true})),
                    field(2, "Hosting", "Select", json!({"default-value": "Cloud\nOn-Premises", "use-for-title": true})),
                    field(3, "Seats", "Number", json!({"decimals": 0})),
                    field(4, "Spam Score", "Percent", json!({"decimals": 1})),
                    field(5, "Managed", "Checkbox", json!({})),
                    field(6, "Renewal", "Date", json!({"expiration": true})),
                    field(7, "Notes", "Textbox", json!({})),
                    field(8, "Servers", "Tag", json!({"tag-type": "Configurations"})),
                    field(9, "Admins", "Tag", json!({"tag-type": "Contacts"})),
                    field(10, "Details", "Header", json!({}))
                ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    Setup {
        org,
        type_id: id_of(&body),
        server,
        contact,
    }
}

async fn create_asset(app: &TestApp, s: &Setup, traits: Value) -> (u16, Value) {
    app.send(
        Method::POST,
        &format!("/organizations/{}/relationships/flexible_assets", s.org),
        json!({"data": {"type": "flexible_assets", "attributes": {
            "flexible-asset-type-id": s.type_id, "traits": traits}}}),
    )
    .await
}

async fn an_asset_keeps_checked_traits_and_what_they_make(app: TestApp) {
    let s = setup(&app).await;
    let (status, body) = create_asset(
        &app,
        &s,
        json!({"domain-name": "happyfrog.test", "hosting": "Cloud", "seats": 40,
            "spam-score": "2.5", "managed": true, "renewal": "2031-05-01",
            "notes": "<p onclick=\"x()\">MX records</p>",
            "servers": [s.server], "admins": s.contact}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["name"], "happyfrog.test Cloud");
    assert_eq!(attributes["flexible-asset-type-name"], "Email");
    let traits = &attributes["traits"];
    assert_eq!(traits["seats"], 40);
    assert_eq!(traits["spam-score"], 2.5);
    assert_eq!(traits["managed"], true);
    assert_eq!(traits["renewal"], "2031-05-01");
    assert_eq!(traits["notes"], "<p>MX records</p>");
    assert_eq!(traits["servers"]["type"], "Configurations");
    let server = &traits["servers"]["values"][0];
    assert_eq!(server["id"], s.server);
    assert_eq!(server["name"], "mx1");
    assert_eq!(server["hostname"], "mx1.happyfrog.test");
    assert_eq!(server["configuration-type-name"], "Managed Server");
    assert_eq!(server["organization-name"], "Happy Frog");
    assert_eq!(traits["admins"]["values"][0]["name"], "Rob Storts");

    // Tags keep related items; the dated field makes an expiration.
    let (_, shown) = app
        .get(&format!("/flexible_assets/{id}?include=related_items"))
        .await;
    let destinations: Vec<&str> = shown["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["attributes"]["destination-type"].as_str().unwrap())
        .collect();
    assert_eq!(destinations.len(), 2, "{shown}");
    assert!(destinations.contains(&"Configuration") && destinations.contains(&"Contact"));
    let (_, expirations) = app
        .get(&format!(
            "/expirations?filter[resource_id]={id}&filter[resource_type_name]=Flexible%20Asset"
        ))
        .await;
    assert_eq!(expirations["meta"]["total-count"], 1, "{expirations}");
    assert_eq!(
        expirations["data"][0]["attributes"]["description"],
        "Renewal"
    );

    // A PATCH with traits replaces them all: the tag, its link and the
    // expiration go; the previous set is kept as a version.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_assets/{id}"),
            json!({"data": {"type": "flexible_assets", "attributes": {
                "traits": {"domain-name": "frog.test", "hosting": null}}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["name"], "frog.test");
    assert_eq!(
        body["data"]["attributes"]["traits"],
        json!({"domain-name": "frog.test"})
    );
    let (_, shown) = app
        .get(&format!(
            "/flexible_assets/{id}?include=related_items,recent_versions"
        ))
        .await;
    let included = shown["included"].as_array().unwrap();
    assert!(
        included.iter().all(|i| i["type"] == "recent-versions"),
        "{shown}"
    );
    assert_eq!(included.len(), 1);
    assert_eq!(included[0]["attributes"]["name"], "happyfrog.test Cloud");
    let (_, expirations) = app
        .get(&format!("/expirations?filter[resource_id]={id}"))
        .await;
    assert_eq!(expirations["meta"]["total-count"], 0);

    // A PATCH without traits leaves them alone.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_assets/{id}"),
            json!({"data": {"type": "flexible_assets", "attributes": {"archived": true}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["attributes"]["traits"]["domain-name"],
        "frog.test"
    );

    // Deleting the asset takes its links and expirations with it.
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/flexible_assets/{id}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    let (_, body) = app
        .get(&format!(
            "/configurations/{}?include=related_items",
            s.server
        ))
        .await;
    assert_eq!(body["included"].as_array().map_or(0, Vec::len), 0, "{body}");
}

async fn bad_traits_are_refused_by_name_key(app: TestApp) {
    let s = setup(&app).await;
    // The account's vault key is made with its first asset (assets may keep
    // passwords); what follows must change nothing at all.
    let (status, body) = create_asset(&app, &s, json!({"domain-name": "first.test"})).await;
    assert_eq!(status, 201, "{body}");
    let before = app.database_fingerprint().await;
    for (traits, at) in [
        (
            json!({"domain-name": "a", "bogus": 1}),
            "/data/attributes/traits/bogus",
        ),
        (
            json!({"hosting": "Cloud"}),
            "/data/attributes/traits/domain-name",
        ),
        (
            json!({"domain-name": "a", "hosting": "Mars"}),
            "/data/attributes/traits/hosting",
        ),
        (
            json!({"domain-name": "a", "seats": 1.5}),
            "/data/attributes/traits/seats",
        ),
        (
            json!({"domain-name": "a", "spam-score": 1.25}),
            "/data/attributes/traits/spam-score",
        ),
        (
            json!({"domain-name": "a", "renewal": "May 1"}),
            "/data/attributes/traits/renewal",
        ),
        (
            json!({"domain-name": "a", "managed": "perhaps"}),
            "/data/attributes/traits/managed",
        ),
        (
            json!({"domain-name": "a", "servers": [999_999]}),
            "/data/attributes/traits/servers",
        ),
        (
            json!({"domain-name": "a", "servers": ["x"]}),
            "/data/attributes/traits/servers",
        ),
    ] {
        let (status, body) = create_asset(&app, &s, traits.clone()).await;
        assert_eq!(status, 422, "{traits}: {body}");
        assert_eq!(pointer(&body), at, "{traits}: {body}");
    }
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_assets",
            json!({"data": {"type": "flexible_assets", "attributes": {
                "organization-id": s.org, "flexible-asset-type-id": s.type_id}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/traits");
    assert_eq!(
        app.database_fingerprint().await,
        before,
        "nothing was written"
    );
}

/// A bulk delete by filter, with no body.
async fn delete(app: &TestApp, path: String) -> (u16, Value) {
    let response = app.request(Method::DELETE, &path).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json::<Value>().await.unwrap())
}

async fn lists_need_their_type_and_deletes_by_filter_their_organization(app: TestApp) {
    let s = setup(&app).await;
    for name in ["a.test", "b.test"] {
        let (status, body) = create_asset(&app, &s, json!({"domain-name": name})).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = app.get("/flexible_assets").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["parameter"],
        "filter[flexible_asset_type_id]"
    );
    let (status, body) = app
        .get(&format!(
            "/flexible_assets?filter[flexible-asset-type-id]={}&sort=-name",
            s.type_id
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["total-count"], 2);
    assert_eq!(
        body["data"][0]["attributes"]["traits"]["domain-name"],
        "b.test"
    );
    let (_, body) = app
        .get(&format!(
            "/flexible_assets?filter[flexible_asset_type_id]={}&filter[name]=a.test",
            s.type_id
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    // Another account lists nothing of it.
    let (_, body) = app
        .get_as(
            &app.other_key,
            &format!(
                "/flexible_assets?filter[flexible_asset_type_id]={}",
                s.type_id
            ),
        )
        .await;
    assert_eq!(body["meta"]["total-count"], 0);

    let (status, body) = delete(
        &app,
        format!(
            "/flexible_assets?filter[flexible_asset_type_id]={}",
            s.type_id
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["parameter"],
        "filter[organization_id]"
    );
    let (status, body) = delete(
        &app,
        format!(
            "/flexible_assets?filter[flexible_asset_type_id]={}&filter[organization_id]={}",
            s.type_id, s.org
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
}

async fn field_changes_reach_the_assets(app: TestApp) {
    let s = setup(&app).await;
    let (_, body) = create_asset(
        &app,
        &s,
        json!({"domain-name": "frog.test", "hosting": "Cloud", "seats": 3}),
    )
    .await;
    let asset = id_of(&body);
    let (_, fields) = app
        .get(&format!(
            "/flexible_asset_types/{}/relationships/flexible_asset_fields?sort=order",
            s.type_id
        ))
        .await;
    let field = |i: usize| fields["data"][i]["id"].as_str().unwrap().to_string();

    // A rename keeps the values under the new key.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_asset_fields/{}", field(2)),
            json!({"data": {"type": "flexible_asset_fields", "attributes": {"name": "Licensed Seats"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = app.get(&format!("/flexible_assets/{asset}")).await;
    assert_eq!(shown["data"]["attributes"]["traits"]["licensed-seats"], 3);

    // A field with values keeps its kind.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_asset_fields/{}", field(2)),
            json!({"data": {"type": "flexible_asset_fields", "attributes": {"kind": "Text"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/kind");

    // Deleting a title field drops its values and retitles the assets.
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/flexible_asset_fields/{}", field(1)),
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    let (_, shown) = app.get(&format!("/flexible_assets/{asset}")).await;
    assert_eq!(shown["data"]["attributes"]["name"], "frog.test");
    assert!(shown["data"]["attributes"]["traits"]
        .get("hosting")
        .is_none());
}

async fn password_and_upload_traits_keep_records_of_their_own(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Vault Frog"}))
        .await;
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Router",
                "fields": [
                    {"order": 1, "name": "Name", "kind": "Text", "required": true, "show-in-list": true, "use-for-title": true},
                    {"order": 2, "name": "Admin Password", "kind": "Password"},
                    {"order": 3, "name": "Config File", "kind": "Upload"}
                ]}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let kind = id_of(&body);
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/organizations/{org}/relationships/flexible_assets"),
            json!({"data": {"type": "flexible_assets", "attributes": {"flexible-asset-type-id": kind,
                "traits": {"name": "edge-1", "admin-password": "s3cret-trait",
                    "config-file": {"content": "aG9zdG5hbWUgZWRnZS0x", "file_name": "edge-1.cfg"}}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    let traits = &body["data"]["attributes"]["traits"];
    assert_eq!(traits["admin-password"]["name"], "Admin Password");
    assert!(
        traits["admin-password"].get("password").is_none(),
        "{traits}"
    );
    assert_eq!(traits["config-file"]["name"], "edge-1.cfg");
    let url = traits["config-file"]["download-url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://"), "{url}");

    // The file downloads; the password is an embedded password of the trait.
    let path = url.split_once("//").unwrap().1.split_once('/').unwrap().1;
    let response = app
        .request(Method::GET, &format!("/{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"hostname edge-1");
    let (_, passwords) = app
        .get(&format!(
            "/passwords?filter[resource_id]={id}&filter[resource_type]=flexible-asset-trait"
        ))
        .await;
    assert_eq!(passwords["meta"]["total-count"], 1, "{passwords}");
    assert_eq!(
        passwords["data"][0]["attributes"]["cached-resource-type-name"],
        "Router"
    );

    // Shown to a key with password access, audited; never to one without.
    let (_, shown) = app
        .get_as(&app.plain_key, &format!("/flexible_assets/{id}"))
        .await;
    assert!(shown["data"]["attributes"]["traits"]["admin-password"]
        .get("password")
        .is_none());
    let audit = format!(
        "/logs?filter[resource_id]={id}&filter[resource_type]=Flexible%20Asset&filter[action]=show"
    );
    let password_id = passwords["data"][0]["id"].as_str().unwrap();
    let password_audit = format!("/passwords/{password_id}/audit");
    let reveals = |body: &Value| {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["attributes"]["action"] == "show")
            .count()
    };
    assert_eq!(app.get(&audit).await.1["meta"]["total-count"], 0);
    assert_eq!(reveals(&app.get(&password_audit).await.1), 0);
    let (_, shown) = app.get(&format!("/flexible_assets/{id}")).await;
    assert_eq!(
        shown["data"]["attributes"]["traits"]["admin-password"]["password"],
        "s3cret-trait"
    );
    assert_eq!(app.get(&audit).await.1["meta"]["total-count"], 1);
    // The trait's own password lists the reveal in its audit trail, as a
    // password's reveal does.
    let (status, trail) = app.get(&password_audit).await;
    assert_eq!(status, 200, "{trail}");
    assert_eq!(reveals(&trail), 1, "{trail}");

    // Without password access: no new value (403), and what it leaves out stays.
    let (status, _) = app
        .send_as(
            &app.plain_key,
            Method::PATCH,
            &format!("/flexible_assets/{id}"),
            json!({"data": {"type": "flexible_assets", "attributes": {"traits": {
                "name": "edge-1", "admin-password": "stolen"}}}}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .send_as(
            &app.plain_key,
            Method::PATCH,
            &format!("/flexible_assets/{id}"),
            json!({"data": {"type": "flexible_assets", "attributes": {"traits": {
                "name": "edge-2", "config-file": traits["config-file"].clone()}}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = app.get(&format!("/flexible_assets/{id}")).await;
    let kept = &shown["data"]["attributes"]["traits"];
    assert_eq!(kept["admin-password"]["password"], "s3cret-trait");
    assert_eq!(kept["config-file"]["name"], "edge-1.cfg");

    // With access, traits left out go, with their password and file.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/flexible_assets/{id}"),
            json!({"data": {"type": "flexible_assets", "attributes": {"traits": {"name": "edge-2"}}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, passwords) = app
        .get(&format!(
            "/passwords?filter[resource_id]={id}&filter[resource_type]=flexible-asset-trait"
        ))
        .await;
    assert_eq!(passwords["meta"]["total-count"], 0);
    let response = app
        .request(Method::GET, &format!("/{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

crate::api_tests!(
    password_and_upload_traits_keep_records_of_their_own,
    an_asset_keeps_checked_traits_and_what_they_make,
    bad_traits_are_refused_by_name_key,
    lists_need_their_type_and_deletes_by_filter_their_organization,
    field_changes_reach_the_assets,
);
