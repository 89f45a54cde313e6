//! Input an operator's tools or an attacker send on purpose: NUL characters,
//! path segments that are not UTF-8, and overlapping bulk writes. Each gets
//! a precise JSON:API answer and changes nothing it should not, on both stores.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

fn pointer(body: &Value) -> &str {
    body["errors"][0]["source"]["pointer"]
        .as_str()
        .unwrap_or("")
}

async fn nul_characters_are_refused_with_the_field_or_parameter_named(app: TestApp) {
    let before = app.database_fingerprint().await;
    let (status, body) = app
        .send(
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Null\u{0}Co"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/name");

    let (status, body) = app
        .send(
            Method::POST,
            "/contacts",
            json!({"data": {"type": "contacts", "attributes": {
                "organization-id": app.catalog_id("/organizations", "Acme IT").await,
                "first-name": "Nul",
                "contact-emails": [{"value": "a\u{0}@example.com", "label-name": "Work"}]
            }}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/contact-emails");
    assert_eq!(
        app.database_fingerprint().await,
        before,
        "nothing was written"
    );

    let id = app
        .create("/organizations", json!({"name": "Clean Co"}))
        .await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{id}"),
            json!({"data": {"type": "organizations", "attributes": {"quick-notes": "\u{0}"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/quick-notes");

    let (status, body) = app.get("/organizations?filter[name]=Clean%00Co").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["source"]["parameter"], "filter[name]");
}

async fn path_ids_that_are_not_utf8_get_the_json_404(app: TestApp) {
    for path in [
        "/organizations/%FF",
        "/organizations/%FF/relationships/configurations",
        "/passwords/%FF/audit",
        "/attachments/%C3%28/download",
    ] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.api+json",
            "{path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["status"], "404", "{path}");
    }
}

async fn overlapping_bulk_updates_all_succeed(app: TestApp) {
    let a = app
        .create("/organizations", json!({"name": "Overlap A"}))
        .await;
    let b = app
        .create("/organizations", json!({"name": "Overlap B"}))
        .await;
    let run = |first: i64, second: i64, tag: &'static str| {
        let client = app.client.clone();
        let url = format!("{}/organizations", app.base);
        let key = app.key.clone();
        tokio::spawn(async move {
            let mut failures = Vec::new();
            for round in 0..40 {
                let body = json!({"data": [
                    {"type": "organizations", "attributes": {"id": first, "quick-notes": format!("{tag} {round}")}},
                    {"type": "organizations", "attributes": {"id": second, "quick-notes": format!("{tag} {round}")}},
                ]});
                let response = client
                    .patch(&url)
                    .header("x-api-key", &key)
                    .header("content-type", "application/vnd.api+json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                if response.status() != 200 {
                    failures.push(response.text().await.unwrap_or_default());
                }
            }
            failures
        })
    };
    let (one, two) = tokio::join!(run(a, b, "forward"), run(b, a, "backward"));
    let failures: Vec<String> = one.unwrap().into_iter().chain(two.unwrap()).collect();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        failures.first()
    );
}

async fn long_values_within_their_limits_are_kept_on_both_stores(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Long Co"}))
        .await;
    let kind = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let device = app
        .create(
            "/configurations",
            json!({"organization-id": org, "name": "long", "configuration-type-id": kind}),
        )
        .await;
    // Notes of any length on a related item (its title in the activity log).
    let notes = "n".repeat(5000);
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/configurations/{device}/relationships/related_items"),
            json!({"data": {"type": "related_items", "attributes": {
                "destination_type": "Organization", "destination_id": org, "notes": notes}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"]["attributes"]["notes"].as_str().unwrap().len(),
        5000
    );
    let (_, logs) = app.get("/logs?filter[resource_type]=RelatedItem").await;
    let logged = logs["data"][0]["attributes"]["resource-name"]
        .as_str()
        .unwrap();
    assert_eq!(logged.chars().count(), 255);

    // A URL of 2,048 CJK characters (6 kB), found again by an exact filter.
    let url = format!("https://example.test/{}", "\u{7db2}".repeat(2048 - 21));
    assert_eq!(url.chars().count(), 2048);
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {
                "organization-id": org, "name": "Portal", "password": "p", "url": url}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let response = app
        .request(Method::GET, "/passwords")
        .query(&[("filter[url]", url.as_str()), ("sort", "url")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["meta"]["total-count"], 1, "{body}");

    // One character more is refused by both stores alike.
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {
                "organization-id": org, "name": "Portal", "password": "p", "url": format!("{url}x")}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(pointer(&body), "/data/attributes/url");
}

crate::api_tests!(
    long_values_within_their_limits_are_kept_on_both_stores,
    nul_characters_are_refused_with_the_field_or_parameter_named,
    path_ids_that_are_not_utf8_get_the_json_404,
    overlapping_bulk_updates_all_succeed,
);
