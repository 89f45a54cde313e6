//! Several servers on one database: with `--redis-url` a key gets its rate
//! limit in total across them, not per process.

use reqwest::Method;

use crate::helpers::{Backend, TestApp};

/// The Redis the tests use (`MORTAR_TEST_REDIS_URL`, default the local one).
fn redis_url() -> String {
    std::env::var("MORTAR_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Requests `/organizations` `n` times at `base`; how many were refused (429).
async fn refused(app: &TestApp, base: &str, n: usize) -> usize {
    let mut refused = 0;
    for _ in 0..n {
        let response = app
            .client
            .request(Method::GET, format!("{base}/organizations"))
            .header("x-api-key", &app.key)
            .send()
            .await
            .unwrap();
        refused += usize::from(response.status() == 429);
    }
    refused
}

async fn two_servers_share_a_keys_limit_through_redis(backend: Backend) {
    let prefix = format!(
        "mortar-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let app = TestApp::spawn_with(backend, |args| {
        args.rate_limit_requests = 4;
        args.redis_url = Some(redis_url());
        args.redis_prefix = prefix.clone();
    })
    .await;
    let (second, _guard) = app.second_server().await.unwrap();
    let first = app.base.clone();
    assert_eq!(refused(&app, &first, 3).await, 0);
    // The second server already counts the first's three.
    assert_eq!(refused(&app, &second, 3).await, 2, "4 in total, not 4 each");
    assert_eq!(refused(&app, &first, 1).await, 1);
}

async fn without_redis_each_server_counts_its_own(backend: Backend) {
    let app = TestApp::spawn_with(backend, |args| args.rate_limit_requests = 4).await;
    let (second, _guard) = app.second_server().await.unwrap();
    let first = app.base.clone();
    assert_eq!(refused(&app, &first, 3).await, 0);
    assert_eq!(refused(&app, &second, 3).await, 0);
}

crate::backend_tests!(
    two_servers_share_a_keys_limit_through_redis,
    without_redis_each_server_counts_its_own,
);
