//! Health and readiness, for load balancers: no key, JSON:API bodies.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::TestApp;

async fn health_and_readiness_answer_without_a_key(app: TestApp) {
    for (path, status) in [("/healthz", "live"), ("/readyz", "ready")] {
        let response = app
            .client
            .request(Method::GET, format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.api+json"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["meta"]["status"], status, "{path}");
    }
    // Everything else still needs a key.
    let response = app
        .client
        .get(format!("{}/organizations", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

crate::api_tests!(health_and_readiness_answer_without_a_key);
