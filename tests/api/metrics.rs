//! `GET /metrics`: Prometheus metrics without a key. The exporter is one
//! per process and tests run side by side, so counters are checked as
//! growing by at least what a test did.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// The metrics page.
async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    response.text().await.unwrap()
}

/// The sum of the samples of `name` whose labels include every one of `labels`.
fn value(page: &str, name: &str, labels: &[&str]) -> f64 {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.split(['{', ' '])
                .next()
                .is_some_and(|metric| metric == name)
        })
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn requests_reveals_and_gauges_are_counted(app: TestApp) {
    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let password = app
        .create(
            "/passwords",
            json!({"name": "fw", "organization-id": org, "password": "s3cret"}),
        )
        .await;
    let before = scrape(&app).await;
    let shown = [
        "method=\"GET\"",
        "route=\"/organizations/{id}\"",
        "status=\"200\"",
    ];
    let refused = ["route=\"/organizations\"", "status=\"403\""];
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/organizations/{org}")).await.0, 200);
    }
    assert_eq!(app.get_as("mtr_not_a_key", "/organizations").await.0, 403);
    let (status, body) = app.get(&format!("/passwords/{password}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["password"], "s3cret");

    let after = scrape(&app).await;
    let grew =
        |name: &str, labels: &[&str]| value(&after, name, labels) - value(&before, name, labels);
    assert!(grew("mortar_http_requests_total", &shown) >= 3.0, "{after}");
    assert!(
        grew("mortar_http_requests_total", &refused) >= 1.0,
        "{after}"
    );
    assert!(
        grew("mortar_http_request_duration_seconds_count", &shown[..2]) >= 3.0,
        "{after}"
    );
    assert!(grew("mortar_vault_reveals_total", &[]) >= 1.0, "{after}");
    for gauge in [
        "# TYPE mortar_http_request_duration_seconds histogram",
        "mortar_db_pool_connections{state=\"idle\"}",
        "mortar_db_pool_connections{state=\"in_use\"}",
        "mortar_job_queue_depth",
    ] {
        assert!(after.contains(gauge), "{gauge}: {after}");
    }
    // Secrets never reach the page.
    assert!(!after.contains("s3cret"));
}

async fn rate_limit_refusals_are_counted(backend: Backend) {
    let app = TestApp::spawn_with(backend, |args| args.rate_limit_requests = 2).await;
    let before = value(&scrape(&app).await, "mortar_rate_limited_total", &[]);
    let mut refused = 0;
    for _ in 0..4 {
        let response = app
            .request(Method::GET, "/organizations")
            .send()
            .await
            .unwrap();
        refused += usize::from(response.status() == 429);
    }
    assert_eq!(refused, 2);
    let after = value(&scrape(&app).await, "mortar_rate_limited_total", &[]);
    assert!(after - before >= 2.0, "{before} -> {after}");
}

crate::api_tests!(requests_reveals_and_gauges_are_counted);

mod limits {
    use super::*;
    crate::backend_tests!(rate_limit_refusals_are_counted);
}
