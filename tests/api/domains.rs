//! Domains (the reference's list routes plus Mortar's create, show, update
//! and delete) and the expirations derived from records' dates.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

async fn owner_org(app: &TestApp) -> i64 {
    app.catalog_id("/organizations", "Acme IT").await
}

async fn domains_list_nested_and_expire(app: TestApp) {
    let org = owner_org(&app).await;
    let frog = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let id = app
        .create(
            "/domains",
            json!({"organization-id": org, "name": "acme.example", "registrar-name": "Gandi", "expires-on": "2027-02-07"}),
        )
        .await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/organizations/{frog}/relationships/domains"),
            json!({"data": {"type": "domains", "attributes": {"name": "happyfrog.example", "expires_on": "2026-12-31T12:00:00Z"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"]["attributes"]["expires-on"],
        "2026-12-31T12:00:00.000Z"
    );

    let (_, body) = app
        .get(&format!("/organizations/{org}/relationships/domains"))
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    let domain = &body["data"][0]["attributes"];
    assert_eq!(domain["name"], "acme.example");
    assert_eq!(domain["organization-name"], "Acme IT");
    assert_eq!(domain["registrar-name"], "Gandi");
    assert_eq!(domain["expires-on"], "2027-02-07T00:00:00.000Z");
    let (_, body) = app
        .get(&format!("/domains?filter[organization_id]={frog}"))
        .await;
    assert_eq!(body["data"][0]["attributes"]["name"], "happyfrog.example");
    let (_, body) = app.get("/domains?sort=-expires_on").await;
    assert_eq!(body["data"][0]["attributes"]["name"], "acme.example");

    let (_, body) = app.get("/expirations?sort=expiration_date").await;
    assert_eq!(body["meta"]["total-count"], 2, "{body}");
    let first = &body["data"][0]["attributes"];
    assert_eq!(first["resource-type"], "Domain");
    assert_eq!(first["resource-name"], "happyfrog.example");
    assert_eq!(first["description"], "Domain expiration");
    assert_eq!(first["organization-name"], "Happy Frog");

    // Renaming and re-dating the domain moves its expiration along.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/domains/{id}"),
            json!({"data": {"type": "domains", "attributes": {"name": "acme.test", "expires-on": "2028-01-01"}}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = app
        .get(&format!(
            "/expirations?filter[resource_id]={id}&filter[resource_type_name]=Domain"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    assert_eq!(body["data"][0]["attributes"]["resource-name"], "acme.test");
    assert_eq!(
        body["data"][0]["attributes"]["expiration-date"],
        "2028-01-01T00:00:00.000Z"
    );

    let (status, body) = app
        .send(
            Method::DELETE,
            "/domains",
            json!({"data": [{"type": "domains", "attributes": {"id": id}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = app
        .get(&format!("/expirations?filter[resource_id]={id}"))
        .await;
    assert_eq!(
        body["meta"]["total-count"], 0,
        "the expiration goes with its domain"
    );
}

async fn expirations_filter_sort_and_stay_read_only(app: TestApp) {
    let org = owner_org(&app).await;
    let ct = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let server = app
        .create(
            "/configurations",
            json!({"organization-id": org, "name": "dc01", "configuration-type-id": ct,
                   "warranty-expires-at": "2026-03-01", "mitp-end-of-life-date": "2031-06-30"}),
        )
        .await;
    app.create(
        "/domains",
        json!({"organization-id": org, "name": "acme.example", "expires-on": "2027-02-07"}),
    )
    .await;
    let (_, body) = app.get("/expirations?sort=-expiration_date").await;
    assert_eq!(body["meta"]["total-count"], 3, "{body}");
    let descriptions: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["attributes"]["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        descriptions,
        vec!["End of life", "Domain expiration", "Warranty expiration"]
    );
    let (_, body) = app
        .get("/expirations?filter[range][expiration_date]=2027-01-01, *")
        .await;
    assert_eq!(body["meta"]["total-count"], 2);
    let (_, body) = app
        .get("/expirations?filter[range][expiration_date]=*, 2026-12-31")
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    assert_eq!(body["data"][0]["attributes"]["resource-id"], server);
    let (_, body) = app
        .get("/expirations?filter[resource_type_name]=Configuration")
        .await;
    assert_eq!(body["meta"]["total-count"], 2);
    let (_, body) = app.get("/expirations?filter[resource_name]=dc01").await;
    assert_eq!(body["meta"]["total-count"], 2);
    let (_, body) = app
        .get("/expirations?filter[description]=Warranty expiration")
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    let id = body["data"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .get(&format!(
            "/organizations/{org}/relationships/expirations/{id}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["resource-type"], "Configuration");
    let (status, _) = app
        .get("/expirations?filter[expiration_date]=someday")
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .send(
            Method::POST,
            "/expirations",
            json!({"data": {"type": "expirations", "attributes": {"description": "x"}}}),
        )
        .await;
    assert_eq!(status, 405, "expirations change only through their records");
    let (_, body) = app.get_as(&app.other_key.clone(), "/expirations").await;
    assert_eq!(body["meta"]["total-count"], 0, "another account sees none");
}

crate::api_tests!(
    domains_list_nested_and_expire,
    expirations_filter_sort_and_stay_read_only,
);
