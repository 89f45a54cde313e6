//! OAuth2 client credentials (RFC 6749 §4.4), an addition beside API keys:
//! a client's id and secret become a bearer token that works wherever
//! `x-api-key` does, with the client's account and password access, until
//! it expires or the client is revoked; errors in RFC 6749's shape.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{read, Backend, TestApp};
use mortar::resources::ColumnType;

/// POST /oauth/token with `form` (and HTTP Basic when given): status, the
/// response headers and JSON body.
async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .client
        .post(format!("{}/oauth/token", app.base))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let headers = response.headers().clone();
    let (status, body) = read(response).await;
    (status, headers, body)
}

async fn bearer_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    read(response).await
}

async fn client_credentials_give_a_bearer_token_that_works_like_a_key(app: TestApp) {
    let client = app
        .store
        .create_client(&app.account, "PSA sync", true)
        .await
        .unwrap();
    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let password = app
        .create(
            "/passwords",
            json!({"name": "Router", "organization-id": org, "password": "hunter2"}),
        )
        .await;

    let (status, headers, body) = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", &client.secret),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(headers["cache-control"], "no-store");
    let token = body["access_token"].as_str().unwrap().to_string();

    // The token reads the client's account, passwords included.
    let (status, body) = bearer_get(&app, &token, &format!("/organizations/{org}")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = bearer_get(&app, &token, &format!("/passwords/{password}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["password"], "hunter2");
    // ... and no other account's records.
    let (status, body) = app
        .send_as(
            &app.other_key.clone(),
            reqwest::Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Toad"}}}),
        )
        .await;
    assert_eq!(status, 201);
    let theirs = crate::helpers::id_of(&body);
    let (status, _) = bearer_get(&app, &token, &format!("/organizations/{theirs}")).await;
    assert_eq!(status, 404);

    // HTTP Basic works too; a shorter life may be asked for.
    let (status, _, body) = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("duration", "60")],
        Some((&client.client_id, &client.secret)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 60);

    // Each issue is in the activity log, by the client's key.
    let mut sql = app.store.sql();
    sql.push("SELECT COUNT(*) FROM activity_log WHERE action = 'issue_token'");
    let rows = app.store.fetch(&sql, &[ColumnType::Int]).await.unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(2));

    // RFC 6749 errors.
    for (form, basic, status, error) in [
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", client.client_id.as_str()),
                ("client_secret", "wrong"),
            ],
            None,
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "mci_nobody"),
                ("client_secret", "x"),
            ],
            None,
            401,
            "invalid_client",
        ),
        (
            vec![("grant_type", "client_credentials")],
            None,
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", client.client_id.as_str()),
                ("client_secret", client.secret.as_str()),
            ],
            None,
            400,
            "unsupported_grant_type",
        ),
        (
            vec![
                ("client_id", client.client_id.as_str()),
                ("client_secret", client.secret.as_str()),
            ],
            None,
            400,
            "invalid_request",
        ),
        (
            vec![("grant_type", "client_credentials"), ("duration", "0")],
            Some((client.client_id.as_str(), client.secret.as_str())),
            400,
            "invalid_request",
        ),
        (
            vec![("grant_type", "client_credentials"), ("duration", "3601")],
            Some((client.client_id.as_str(), client.secret.as_str())),
            400,
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", client.client_id.as_str()),
            ],
            Some((client.client_id.as_str(), client.secret.as_str())),
            400,
            "invalid_request",
        ),
    ] {
        let (got, headers, body) = token_request(&app, &form, basic).await;
        assert_eq!(got, status, "{form:?}: {body}");
        assert_eq!(body["error"], error, "{form:?}: {body}");
        assert!(body["error_description"].is_string());
        if status == 401 {
            assert!(headers.contains_key("www-authenticate"));
        }
    }

    // A made-up bearer token is refused like an unknown key.
    let (status, body) = bearer_get(&app, "mat_madeup", "/organizations").await;
    assert_eq!(status, 403, "{body}");
}

async fn tokens_expire_and_die_with_their_client(app: TestApp) {
    let client = app
        .store
        .create_client(&app.account, "Indexer", false)
        .await
        .unwrap();
    let issue = |duration: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            let (status, _, body) = token_request(
                app,
                &[("grant_type", "client_credentials"), ("duration", duration)],
                Some((&client.client_id, &client.secret)),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["access_token"].as_str().unwrap().to_string()
        }
    };
    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let password = app
        .create(
            "/passwords",
            json!({"name": "Router", "organization-id": org, "password": "hunter2"}),
        )
        .await;

    // Without password access the token reads no password values.
    let token = issue("3600").await;
    let (status, body) = bearer_get(&app, &token, &format!("/passwords/{password}")).await;
    assert_eq!(status, 200);
    assert!(
        body["data"]["attributes"]
            .get("password")
            .is_none_or(Value::is_null),
        "{body}"
    );

    // A one-second token works, then not.
    let short = issue("1").await;
    let (status, _) = bearer_get(&app, &short, "/organizations").await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, _) = bearer_get(&app, &short, "/organizations").await;
    assert_eq!(status, 403, "an expired token is refused");

    // Revoking the client stops its tokens within five seconds, and new ones.
    app.store.revoke_client(client.id).await.unwrap();
    let revoked = Instant::now();
    loop {
        let (status, _) = bearer_get(&app, &token, "/organizations").await;
        if status == 403 {
            break;
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(5),
            "still served after revocation"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _, body) = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&client.client_id, &client.secret)),
    )
    .await;
    assert_eq!(status, 401, "{body}");
}

/// Token requests count against the client's rate limit, failures too.
#[tokio::test]
async fn token_requests_are_rate_limited_per_client() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| args.rate_limit_requests = 3).await;
    let client = app
        .store
        .create_client(&app.account, "Busy", false)
        .await
        .unwrap();
    for secret in ["wrong", client.secret.as_str(), "wrong"] {
        let (status, _, _) = token_request(
            &app,
            &[("grant_type", "client_credentials")],
            Some((&client.client_id, secret)),
        )
        .await;
        assert_ne!(status, 429);
    }
    let (status, headers, body) = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&client.client_id, &client.secret)),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "slow_down");
    assert!(headers.contains_key("retry-after"));
}

crate::api_tests!(
    client_credentials_give_a_bearer_token_that_works_like_a_key,
    tokens_expire_and_die_with_their_client,
);
