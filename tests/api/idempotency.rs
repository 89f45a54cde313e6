//! `Idempotency-Key`, an addition beside the reference: a retried write
//! with the same key and request answers the first response again without
//! doing the work twice (also through another server on the same database),
//! another request with the key is a 422, concurrent duplicates run once,
//! and kept responses are sealed at rest.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{read, TestApp};
use mortar::resources::ColumnType;

struct Answer {
    status: u16,
    replayed: bool,
    etag: Option<String>,
    body: Value,
}

/// A write through `base` with `key` (API) and `Idempotency-Key: idem`.
async fn send(
    app: &TestApp,
    base: &str,
    key: &str,
    method: Method,
    path: &str,
    idem: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{base}{path}"))
        .header("x-api-key", key)
        .header("idempotency-key", idem);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/vnd.api+json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("request");
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, body) = read(response).await;
    Answer {
        status,
        replayed,
        etag,
        body,
    }
}

fn organization(name: &str) -> Value {
    json!({"data": {"type": "organizations", "attributes": {"name": name}}})
}

/// POST /organizations named `name` through `base` with `key` and `Idempotency-Key: idem`.
async fn create_organization(
    app: &TestApp,
    base: &str,
    key: &str,
    idem: &str,
    name: &str,
) -> Answer {
    send(
        app,
        base,
        key,
        Method::POST,
        "/organizations",
        idem,
        Some(organization(name)),
    )
    .await
}

async fn count_named(app: &TestApp, name: &str) -> usize {
    let (status, body) = app
        .get(&format!(
            "/organizations?filter[name]={}",
            crate::helpers::urlencode(name)
        ))
        .await;
    assert_eq!(status, 200);
    body["data"].as_array().unwrap().len()
}

async fn a_retried_write_is_done_once_and_answers_the_same(app: TestApp) {
    let base = app.base.clone();
    let first = create_organization(&app, &base, &app.key, "create-frog-1", "Happy Frog").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(!first.replayed);

    // The retry: same answer, marked as a replay, one record.
    let again = create_organization(&app, &base, &app.key, "create-frog-1", "Happy Frog").await;
    assert_eq!(again.status, 201);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(count_named(&app, "Happy Frog").await, 1);

    // Through another server on the same database (a restart, or another
    // instance behind the load balancer): still a replay.
    let (other, _guard) = app.second_server().await.unwrap();
    let elsewhere =
        create_organization(&app, &other, &app.key, "create-frog-1", "Happy Frog").await;
    assert_eq!(elsewhere.status, 201);
    assert!(elsewhere.replayed);
    assert_eq!(elsewhere.body["data"]["id"], first.body["data"]["id"]);
    assert_eq!(count_named(&app, "Happy Frog").await, 1);

    // The key with another body (or another API key) is a 422 and does nothing.
    let other_body = create_organization(&app, &base, &app.key, "create-frog-1", "Sad Frog").await;
    assert_eq!(other_body.status, 422, "{}", other_body.body);
    assert_eq!(other_body.body["errors"][0]["code"], "validation_error");
    assert!(other_body.body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("Idempotency-Key"));
    let other_key =
        create_organization(&app, &base, &app.plain_key, "create-frog-1", "Happy Frog").await;
    assert_eq!(other_key.status, 422);
    assert_eq!(count_named(&app, "Sad Frog").await, 0);
    assert_eq!(count_named(&app, "Happy Frog").await, 1);

    // Keys are per account: another tenant's same key is its own.
    let tenant =
        create_organization(&app, &base, &app.other_key, "create-frog-1", "Happy Frog").await;
    assert_eq!(tenant.status, 201, "{}", tenant.body);
    assert!(!tenant.replayed);
    assert_ne!(tenant.body["data"]["id"], first.body["data"]["id"]);

    // A refusal is kept too: the retry of a 422 is the same 422.
    let bad = json!({"data": {"type": "organizations", "attributes": {"name": ""}}});
    let refused = send(
        &app,
        &base,
        &app.key,
        Method::POST,
        "/organizations",
        "bad-1",
        Some(bad.clone()),
    )
    .await;
    assert_eq!(refused.status, 422);
    let again = send(
        &app,
        &base,
        &app.key,
        Method::POST,
        "/organizations",
        "bad-1",
        Some(bad),
    )
    .await;
    assert_eq!(again.status, 422);
    assert!(again.replayed);
    assert_eq!(again.body["errors"], refused.body["errors"]);

    // PATCH answers with its ETag again; DELETE answers 204 again, not 404.
    let id: i64 = first.body["data"]["id"].as_str().unwrap().parse().unwrap();
    let rename = json!({"data": {"type": "organizations", "id": id.to_string(), "attributes": {"name": "Glad Frog"}}});
    let path = format!("/organizations/{id}");
    let patched = send(
        &app,
        &base,
        &app.key,
        Method::PATCH,
        &path,
        "rename-1",
        Some(rename.clone()),
    )
    .await;
    assert_eq!(patched.status, 200);
    assert!(patched.etag.is_some());
    let repatched = send(
        &app,
        &base,
        &app.key,
        Method::PATCH,
        &path,
        "rename-1",
        Some(rename),
    )
    .await;
    assert!(repatched.replayed);
    assert_eq!(repatched.etag, patched.etag);
    let password = app
        .create(
            "/passwords",
            json!({"name": "Router admin", "organization-id": id, "password": "hunter2"}),
        )
        .await;
    let path = format!("/passwords/{password}");
    let deleted = send(
        &app,
        &base,
        &app.key,
        Method::DELETE,
        &path,
        "delete-1",
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    let redeleted = send(
        &app,
        &base,
        &app.key,
        Method::DELETE,
        &path,
        "delete-1",
        None,
    )
    .await;
    assert_eq!(redeleted.status, 204);
    assert!(redeleted.replayed);
    let plain = send(
        &app,
        &base,
        &app.key,
        Method::DELETE,
        &path,
        "delete-2",
        None,
    )
    .await;
    assert_eq!(plain.status, 404, "a new key runs the request again");
}

async fn concurrent_duplicates_run_once(app: TestApp) {
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = format!("{}/organizations", app.base);
        let key = app.key.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .header("x-api-key", key)
                .header("idempotency-key", "race-1")
                .header("content-type", "application/vnd.api+json")
                .body(organization("Racing Frog").to_string())
                .send()
                .await
                .unwrap();
            read(response).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => created += 1,
            409 => assert_eq!(body["errors"][0]["code"], "conflict", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert!(created >= 1);
    assert_eq!(count_named(&app, "Racing Frog").await, 1);
}

async fn kept_responses_are_sealed_and_keys_expire(app: TestApp) {
    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let body = json!({"data": {"type": "passwords", "attributes": {
        "name": "Core switch", "organization-id": org, "password": "s3cret-Vault-Value"}}});
    let base = app.base.clone();
    let path = "/passwords?show_password=true";
    let first = send(
        &app,
        &base,
        &app.key,
        Method::POST,
        path,
        "pw-1",
        Some(body.clone()),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        first.body["data"]["attributes"]["password"],
        "s3cret-Vault-Value"
    );
    let again = send(
        &app,
        &base,
        &app.key,
        Method::POST,
        path,
        "pw-1",
        Some(body.clone()),
    )
    .await;
    assert!(again.replayed);
    assert_eq!(again.body, first.body);

    // Nothing kept holds the password in the clear.
    let mut sql = app.store.sql();
    sql.push("SELECT body FROM idempotency_keys");
    let rows = app.store.fetch(&sql, &[ColumnType::Text]).await.unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let kept = row[0].as_str().unwrap();
        assert!(!kept.contains("s3cret"), "{kept}");
        assert!(!kept.contains("Core switch"), "{kept}");
    }

    // A key past its 24 hours runs the request again.
    let mut sql = app.store.sql();
    sql.push("UPDATE idempotency_keys SET created_at = created_at - ")
        .bind(25 * 60 * 60 * 1000_i64);
    app.store.execute(&sql).await.unwrap();
    let later = send(
        &app,
        &base,
        &app.key,
        Method::POST,
        path,
        "pw-1",
        Some(body),
    )
    .await;
    assert_eq!(later.status, 201);
    assert!(!later.replayed);
    assert_ne!(later.body["data"]["id"], first.body["data"]["id"]);

    // A key that is not 1 to 255 visible characters is a 400.
    let long = "k".repeat(256);
    for bad in [long.as_str(), "two words"] {
        let answer = create_organization(&app, &base, &app.key, bad, "Bad key").await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
    }
    assert_eq!(count_named(&app, "Bad key").await, 0);
}

crate::api_tests!(
    a_retried_write_is_done_once_and_answers_the_same,
    concurrent_duplicates_run_once,
    kept_responses_are_sealed_and_keys_expire,
);
