//! Documents: the whole resource (list, show, create, update, delete, nested
//! under organizations), sanitised HTML, revisions, view times and expiry.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

async fn owner_org(app: &TestApp) -> i64 {
    app.catalog_id("/organizations", "Acme IT").await
}

async fn create_document(app: &TestApp, org: i64, attributes: serde_json::Value) -> i64 {
    let mut attributes = attributes;
    attributes["organization-id"] = json!(org);
    app.create("/documents", attributes).await
}

async fn documents_are_served_whole_and_nested(app: TestApp) {
    let org = owner_org(&app).await;
    let other_org = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let id = create_document(
        &app,
        org,
        json!({"name": "Backup runbook", "content": "<p>Run <b>nightly</b></p>", "is-uploaded": false}),
    )
    .await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/organizations/{other_org}/relationships/documents"),
            json!({"data": [
                {"type": "documents", "attributes": {"name": "Onboarding"}},
                {"type": "documents", "attributes": {"name": "Offboarding", "public": true}}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][1]["attributes"]["public"], true);
    assert_eq!(body["data"][0]["attributes"]["organization-id"], other_org);

    let (status, body) = app.get(&format!("/documents/{id}")).await;
    assert_eq!(status, 200, "{body}");
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["organization-name"], "Acme IT");
    assert_eq!(attributes["content"], "<p>Run <b>nightly</b></p>");
    assert_eq!(attributes["folder-name"], json!([]));
    assert_eq!(attributes["archived"], false);
    assert!(
        attributes["last-viewed-at"].is_string(),
        "a show notes the view"
    );
    assert_eq!(attributes["related-items-count"], 0);

    let (_, body) = app
        .get(&format!(
            "/organizations/{other_org}/relationships/documents?sort=-name"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 2);
    assert_eq!(body["data"][0]["attributes"]["name"], "Onboarding");
    let (status, _) = app
        .get(&format!(
            "/organizations/{other_org}/relationships/documents/{id}"
        ))
        .await;
    assert_eq!(
        status, 404,
        "a document of another organization is not under this one"
    );

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/documents/{id}"),
            json!({"data": {"type": "documents", "attributes": {"archived": true, "restricted": true}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["archived"], true);
    assert_eq!(body["data"]["attributes"]["name"], "Backup runbook");
    let (_, body) = app.get("/documents?filter[archived]=true").await;
    assert_eq!(body["meta"]["total-count"], 1);

    let response = app
        .request(Method::DELETE, &format!("/documents/{id}"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(app.get(&format!("/documents/{id}")).await.0, 404);
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/documents?filter[organization_id]={other_org}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
}

async fn document_html_is_cleaned_of_scripts(app: TestApp) {
    let org = owner_org(&app).await;
    let id = create_document(
        &app,
        org,
        json!({"name": "Evil", "content": "<p onmouseover=\"steal()\">Hi</p><script>alert(document.cookie)</script><a href=\"javascript:alert(1)\">x</a>"}),
    )
    .await;
    let (_, body) = app.get(&format!("/documents/{id}")).await;
    let content = body["data"]["attributes"]["content"].as_str().unwrap();
    assert!(content.contains("<p>Hi</p>"), "{content}");
    for banned in ["script", "onmouseover", "javascript:", "cookie"] {
        assert!(!content.contains(banned), "{banned} survived: {content}");
    }
    let (_, body) = app
        .send(
            Method::PATCH,
            &format!("/documents/{id}"),
            json!({"data": {"type": "documents", "attributes": {"content": "<img src=x onerror=alert(1)>"}}}),
        )
        .await;
    let content = body["data"]["attributes"]["content"].as_str().unwrap();
    assert!(!content.contains("onerror"), "{content}");
}

async fn every_content_change_keeps_a_revision(app: TestApp) {
    let org = owner_org(&app).await;
    let id = create_document(
        &app,
        org,
        json!({"name": "Firewall", "content": "<p>v1</p>"}),
    )
    .await;
    for content in ["<p>v2</p>", "<p>v3</p>"] {
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/documents/{id}"),
                json!({"data": {"type": "documents", "attributes": {"content": content}}}),
            )
            .await;
        assert_eq!(status, 200);
    }
    // A change that leaves the content alone keeps no revision.
    app.send(
        Method::PATCH,
        &format!("/documents/{id}"),
        json!({"data": {"type": "documents", "attributes": {"archived": true}}}),
    )
    .await;
    let (status, body) = app
        .get(&format!("/documents/{id}?include=recent_versions"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["revision"], 3);
    assert_eq!(body["data"]["attributes"]["content"], "<p>v3</p>");
    let versions = body["included"].as_array().unwrap();
    let contents: Vec<&str> = versions
        .iter()
        .map(|v| v["attributes"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, vec!["<p>v1</p>", "<p>v2</p>"]);
    assert_eq!(
        body["data"]["relationships"]["recent-versions"]["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (status, _) = app.get("/documents?include=recent_versions").await;
    assert_eq!(status, 400, "revisions are a show-only include");
}

async fn showing_a_document_notes_when_it_was_viewed(app: TestApp) {
    let org = owner_org(&app).await;
    let id = create_document(&app, org, json!({"name": "Wiki"})).await;
    let (_, body) = app.get("/documents").await;
    assert_eq!(body["data"][0]["attributes"]["last-viewed-at"], json!(null));
    let (_, shown) = app.get(&format!("/documents/{id}")).await;
    let viewed = shown["data"]["attributes"]["last-viewed-at"].clone();
    assert!(viewed.is_string());
    let (_, body) = app.get("/documents").await;
    assert_eq!(body["data"][0]["attributes"]["last-viewed-at"], viewed);
}

async fn document_expiry_feeds_expirations(app: TestApp) {
    let org = owner_org(&app).await;
    let id = create_document(
        &app,
        org,
        json!({"name": "Insurance", "expires-on": "2030-04-01"}),
    )
    .await;
    let (_, body) = app
        .get(&format!(
            "/expirations?filter[resource_id]={id}&filter[resource_type_name]=Document"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 1, "{body}");
    let expiration = &body["data"][0]["attributes"];
    assert_eq!(expiration["expiration-date"], "2030-04-01T00:00:00.000Z");
    assert_eq!(expiration["description"], "Document expiration");
    assert_eq!(expiration["resource-name"], "Insurance");
    app.send(
        Method::PATCH,
        &format!("/documents/{id}"),
        json!({"data": {"type": "documents", "attributes": {"expires-on": null}}}),
    )
    .await;
    let (_, body) = app
        .get(&format!("/expirations?filter[resource_id]={id}"))
        .await;
    assert_eq!(
        body["meta"]["total-count"], 0,
        "clearing the date removes the expiration"
    );
}

crate::api_tests!(
    documents_are_served_whole_and_nested,
    document_html_is_cleaned_of_scripts,
    every_content_change_keeps_a_revision,
    showing_a_document_notes_when_it_was_viewed,
    document_expiry_feeds_expirations,
);
