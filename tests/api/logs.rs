//! The activity log: one entry per change, written with the change, read at `GET /logs`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn every_change_writes_one_log_entry(app: TestApp) {
    let id = app
        .create("/organizations", json!({"name": "Logged Co"}))
        .await;
    app.send(
        Method::PATCH,
        &format!("/organizations/{id}"),
        json!({"data": {"type": "organizations", "attributes": {"short-name": "lc"}}}),
    )
    .await;
    app.send(
        Method::DELETE,
        "/organizations",
        json!({"data": [{"type": "organizations", "attributes": {"id": id}}]}),
    )
    .await;
    let (status, body) = app.get("/logs?sort=created_at,id").await;
    assert_eq!(status, 200);
    let entries = body["data"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["attributes"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["create", "update", "delete"]);
    let first = &entries[0]["attributes"];
    assert_eq!(entries[0]["type"], "logs");
    assert_eq!(first["resource-type"], "Organization");
    assert_eq!(first["resource-name"], "Logged Co");
    assert_eq!(first["resource-id"], id);
    assert_eq!(first["organization-id"], id);
    assert_eq!(first["account-id"], app.account.id);
    assert_eq!(first["ip-address"], "127.0.0.1");
    for key in [
        "created-at",
        "level",
        "user-id",
        "user-agent",
        "ip-city",
        "ip-region",
        "ip-country",
    ] {
        assert!(first.get(key).is_some(), "{key}");
    }
}

/// The client's user agent is logged with its write: whole when short, its
/// first 512 characters when longer.
async fn the_user_agent_is_logged_and_a_long_one_cut_at_512_characters(app: TestApp) {
    for (agent, logged) in [
        (
            "PSGallery-ITGlueAPI/2.4".to_string(),
            "PSGallery-ITGlueAPI/2.4".to_string(),
        ),
        ("x".repeat(600), "x".repeat(512)),
    ] {
        let response = app
            .request(Method::POST, "/organizations")
            .header("content-type", "application/vnd.api+json")
            .header("user-agent", agent.as_str())
            .body(
                json!({"data": {"type": "organizations", "attributes": {"name": "Agent Co"}}})
                    .to_string(),
            )
            .send()
            .await
            .unwrap();
        let (status, body) = crate::helpers::read(response).await;
        assert_eq!(status, 201, "{body}");
        let id = crate::helpers::id_of(&body);
        let (_, body) = app.get(&format!("/logs?filter[resource_id]={id}")).await;
        assert_eq!(body["data"][0]["attributes"]["user-agent"], logged.as_str());
    }
}

async fn a_failed_write_logs_nothing(app: TestApp) {
    app.send(
        Method::POST,
        "/organizations",
        json!({"data": {"type": "organizations", "attributes": {"name": ""}}}),
    )
    .await;
    let (_, body) = app.get("/logs").await;
    assert_eq!(body["meta"]["total-count"], 0);
}

/// The pages a script reads from `first` (a path) following `links.next`
/// until there is none, each answered 200.
async fn follow_next(app: &TestApp, first: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(path) = next {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(pages.len() < 100, "the walk does not end");
        next = body["links"]["next"].as_str().map(|url| {
            url.strip_prefix(app.base.as_str())
                .expect("a link to this server")
                .to_string()
        });
        pages.push(body);
    }
    pages
}

async fn logs_serve_pages_one_to_five_and_filter_by_time(app: TestApp) {
    for i in 0..6 {
        app.create("/manufacturers", json!({"name": format!("Logged {i}")}))
            .await;
    }
    // A script that follows `links.next` from the first page reads the
    // five pages and stops there, every link one it can follow; a sixth
    // page asked for by number is refused, saying how to read further.
    let pages = follow_next(&app, "/logs?page[size]=1").await;
    assert_eq!(pages.len(), 5);
    for body in &pages {
        assert_eq!(body["data"].as_array().unwrap().len(), 1);
        assert_eq!(body["meta"]["total-count"], 6);
        assert_eq!(body["meta"]["total-pages"], 5);
    }
    let (status, body) = app.get("/logs?page[size]=1&page[number]=6").await;
    assert_eq!(status, 400, "{body}");
    let detail = body["errors"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("page[after]") && detail.contains("filter[created_at]"),
        "{detail}"
    );
    // Cursor pages read every entry.
    let pages = follow_next(&app, "/logs?page[size]=4&page[after]=").await;
    let read: usize = pages
        .iter()
        .map(|body| body["data"].as_array().unwrap().len())
        .sum();
    assert_eq!(read, 6);
    let (_, body) = app.get("/logs?filter[created_at]=*, 2001-01-01").await;
    assert_eq!(body["meta"]["total-count"], 0);
    let (_, body) = app
        .get("/logs?filter[created_at]=2001-01-01, *&sort=-created_at&page[size]=1000")
        .await;
    assert_eq!(body["meta"]["total-count"], 6);
    let (_, body) = app
        .get("/logs?filter[resource_type]=Manufacturer&filter[action]=create")
        .await;
    assert_eq!(body["meta"]["total-count"], 6);
}

/// Writes an activity entry `days_ago` days old straight into the store.
async fn backdated_entry(app: &TestApp, name: &str, days_ago: i64) {
    let created_at = mortar::clock::now_millis() - days_ago * 86_400_000;
    let mut sql = app.store.sql();
    sql.push(
        "INSERT INTO activity_log (account_id, action, resource_type, resource_name, created_at) VALUES (",
    )
    .bind(app.account.id)
    .push(", 'create', 'Manufacturer', ")
    .bind(name)
    .push(", ")
    .bind(created_at)
    .push(")");
    assert_eq!(app.store.execute(&sql).await.unwrap(), 1);
}

async fn logs_show_only_the_last_thirty_days_whatever_the_filter(app: TestApp) {
    backdated_entry(&app, "Recent enough", 29).await;
    backdated_entry(&app, "Too old", 31).await;
    backdated_entry(&app, "Ancient", 9000).await;
    for query in [
        "",
        "?filter[created_at]=2000-01-01, *",
        "?filter[created_at]=*, *",
        "?filter[created_at]=1990-01-01, 2100-01-01&sort=created_at&page[size]=1000",
    ] {
        let (status, body) = app.get(&format!("/logs{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        let names: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["attributes"]["resource-name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Recent enough"], "{query}");
        assert_eq!(body["meta"]["total-count"], 1, "{query}");
    }
}

crate::api_tests!(
    every_change_writes_one_log_entry,
    a_failed_write_logs_nothing,
    logs_serve_pages_one_to_five_and_filter_by_time,
    logs_show_only_the_last_thirty_days_whatever_the_filter,
    the_user_agent_is_logged_and_a_long_one_cut_at_512_characters,
);
