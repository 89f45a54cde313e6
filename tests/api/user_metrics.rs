//! `GET /user_metrics` and users' `reputation`: writes counted in their own
//! transaction, views counted in memory and added within seconds, per user,
//! organization, resource type and UTC day.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use mortar::roles::Role;

use crate::helpers::{id_of, TestApp};

/// Today (UTC) as the metrics name days.
fn today() -> String {
    mortar::clock::format_millis(mortar::clock::now_millis())[..10].to_string()
}

/// The metric rows of `user`, as (resource type, organization, created,
/// viewed, edited, deleted), sorted.
async fn rows_of(app: &TestApp, user: i64) -> Vec<(String, Value, i64, i64, i64, i64)> {
    let (status, body) = app
        .get(&format!("/user_metrics?filter[user_id]={user}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let mut rows: Vec<_> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let a = &row["attributes"];
            assert_eq!(row["type"], "user-metrics");
            assert_eq!(a["user-id"], user);
            assert_eq!(a["date"], today());
            let n = |name: &str| a[name].as_i64().unwrap();
            (
                a["resource-type"].as_str().unwrap().to_string(),
                a["organization-id"].clone(),
                n("created"),
                n("viewed"),
                n("edited"),
                n("deleted"),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

async fn writes_and_views_count_per_user_organization_type_and_day(app: TestApp) {
    let (ann, key) = app.user_with_key("ann@example.com", Role::Editor).await;
    let (bo, bo_key) = app.user_with_key("bo@example.com", Role::Editor).await;
    let create = |key: String, route: String, attributes: Value| {
        let app = &app;
        async move {
            let kind = route.rsplit('/').next().unwrap().replace('_', "-");
            let (status, body) = app
                .send_as(
                    &key,
                    Method::POST,
                    &route,
                    json!({"data": {"type": kind, "attributes": attributes}}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            id_of(&body)
        }
    };
    let org = create(
        key.clone(),
        "/organizations".into(),
        json!({"name": "Frog"}),
    )
    .await;
    let under = format!("/organizations/{org}/relationships/configurations");
    let kind = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let server = create(
        key.clone(),
        under.clone(),
        json!({"name": "srv1", "configuration-type-id": kind}),
    )
    .await;
    let doomed = create(
        key.clone(),
        under.clone(),
        json!({"name": "srv2", "configuration-type-id": kind}),
    )
    .await;
    for name in ["srv1a", "srv1b"] {
        let (status, body) = app
            .send_as(
                &key,
                Method::PATCH,
                &format!("/configurations/{server}"),
                json!({"data": {"type": "configurations", "attributes": {"name": name}}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = app
        .send_as(
            &key,
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": doomed}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Three shows count as views; a list does not.
    for _ in 0..3 {
        let (status, _) = app.get_as(&key, &format!("/configurations/{server}")).await;
        assert_eq!(status, 200);
    }
    let (status, _) = app.get_as(&key, "/configurations").await;
    assert_eq!(status, 200);
    // Bo only looks once; a key that acts for no user counts for nobody.
    let (status, _) = app.get_as(&bo_key, &format!("/organizations/{org}")).await;
    assert_eq!(status, 200);
    app.get(&format!("/configurations/{server}")).await;

    // Views arrive within a flush interval (a second in tests).
    let deadline = Instant::now() + Duration::from_secs(20);
    let expected = vec![
        ("Configuration".to_string(), json!(org), 2, 3, 2, 1),
        ("Organization".to_string(), json!(org), 1, 0, 0, 0),
    ];
    loop {
        let rows = rows_of(&app, ann).await;
        if rows == expected {
            break;
        }
        assert!(Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    loop {
        let rows = rows_of(&app, bo).await;
        if rows == vec![("Organization".to_string(), json!(org), 0, 1, 0, 0)] {
            break;
        }
        assert!(Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Reputation: 10 per create, 5 per edit, 1 per view; sortable.
    let (_, body) = app.get(&format!("/users/{ann}")).await;
    assert_eq!(body["data"]["attributes"]["reputation"], 3 * 10 + 2 * 5 + 3);
    let (_, body) = app.get("/users?sort=-reputation").await;
    let order: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [ann.to_string(), bo.to_string()]);

    // Sorts and filters of the reference.
    let (status, body) = app
        .get(&format!(
            "/user_metrics?filter[organization_id]={org}&filter[resource_type]=Configuration&sort=-viewed"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    let (_, body) = app.get("/user_metrics?sort=-created").await;
    assert_eq!(body["data"][0]["attributes"]["created"], 2);
    let (_, body) = app.get_as(&app.other_key, "/user_metrics").await;
    assert_eq!(body["data"], json!([]), "another account sees none");
}

async fn date_ranges_span_at_most_a_week(app: TestApp) {
    let (_, key) = app.user_with_key("ann@example.com", Role::Creator).await;
    let (status, body) = app
        .send_as(
            &key,
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Frog"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let day = today();
    let (status, body) = app
        .get(&format!("/user_metrics?filter[date]={day},{day}"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    let (status, body) = app
        .get("/user_metrics?filter[date]=2020-01-01,2020-01-07")
        .await;
    assert_eq!(status, 200, "seven days are allowed: {body}");
    assert_eq!(body["data"], json!([]));

    for (range, says) in [
        ("2020-01-01,2020-01-08", "spans 8 days"),
        ("2020-01-01,*", "open ends are not allowed"),
        ("yesterday,today", "must be two dates"),
    ] {
        let (status, body) = app
            .get(&format!("/user_metrics?filter[date]={range}"))
            .await;
        assert_eq!(status, 400, "{range}: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["source"]["parameter"], "filter[date]", "{body}");
        assert!(error["detail"].as_str().unwrap().contains(says), "{body}");
    }
    let (status, body) = app.get("/user_metrics?filter[date__gte]=2020-01-01").await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app.get("/user_metrics/1").await;
    assert!(status == 404 || status == 405, "{status}");
}

crate::api_tests!(
    writes_and_views_count_per_user_organization_type_and_day,
    date_ranges_span_at_most_a_week,
);
