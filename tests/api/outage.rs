//! PostgreSQL going away under a running server and coming back: requests
//! in the outage get a 503 JSON:API error with `Retry-After` within the
//! pool's wait (never a hang, never a crash), and the server recovers by
//! itself; a connection the database dropped while it sat idle in the pool
//! is replaced before a request uses it; a failed write or a request given
//! up mid-statement leaves no transaction open. The server reaches the database through a TCP proxy the test
//! cuts and restores, so the shared PostgreSQL of the other tests stays up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::cli::{Place, Server, BIN};
use crate::helpers::{Backend, TestApp};

/// A TCP proxy to PostgreSQL that can be cut: its connections dropped and
/// new ones refused.
struct Proxy {
    address: String,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (accepting, registry) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !accepting.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                registry.lock().unwrap().push(link);
            }
        });
        Proxy { address, up, links }
    }

    /// Drops every connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
async fn requests_during_a_database_outage_get_503_and_the_server_recovers() {
    let place = Place::new(Backend::Postgres).await;
    let key = place.create_key("outage", &[]);
    let (_, _, url) = place.postgres.clone().unwrap();
    let (scheme_and_user, rest) = url.split_once('@').unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host.to_string()).await;
    let proxied = format!("{scheme_and_user}@{}/{path}", proxy.address);

    let mut command = std::process::Command::new(BIN);
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &proxied,
        ])
        .arg("--data-dir")
        .arg(place.data_dir())
        .env_remove("MORTAR_DATABASE_URL")
        .env_remove("MORTAR_MASTER_KEY")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut server = Server::spawn(command);
    let address = server.address();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let list = || {
        client
            .get(format!("http://{address}/organizations"))
            .header("x-api-key", &key)
            .send()
    };
    assert_eq!(list().await.unwrap().status(), 200);

    proxy.cut();
    for _ in 0..2 {
        let started = Instant::now();
        let response = list().await.expect("an answer, not a hang");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "answered within the pool's wait: {:?}",
            started.elapsed()
        );
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["status"], "503", "{body}");
    }
    // Readiness says so too.
    let ready = client
        .get(format!("http://{address}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = list().await.unwrap().status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "the server never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.stop();
}

/// A pooled connection is checked before use only once it has sat idle for
/// a while (checking each one every time costs a round trip per statement):
/// connections the database dropped during a quiet spell are found out and
/// replaced, and the first request after it is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
async fn connections_dropped_while_idle_are_replaced_before_a_request_uses_them() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (url, schema) = app.postgres_schema().expect("a PostgreSQL app");
    for _ in 0..3 {
        let (status, body) = app.get("/organizations").await;
        assert_eq!(status, 200, "{body}");
    }
    let mut admin: sqlx::PgConnection = sqlx::Connection::connect(url).await.unwrap();
    let dropped: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(schema)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(
        dropped >= 1,
        "the app's connections were dropped: {dropped}"
    );

    tokio::time::sleep(Duration::from_secs(6)).await;
    for _ in 0..3 {
        let (status, body) = app.get("/organizations").await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Sessions of the app's connections that sit inside a transaction.
async fn sessions_in_a_transaction(admin: &mut sqlx::PgConnection, schema: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
    )
    .bind(schema)
    .fetch_one(admin)
    .await
    .unwrap()
}

/// Waits up to 5 s for no session of the app to be inside a transaction;
/// fails naming `whose` transaction was left open otherwise.
async fn settled(admin: &mut sqlx::PgConnection, schema: &str, whose: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while sessions_in_a_transaction(admin, schema).await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        sessions_in_a_transaction(admin, schema).await,
        0,
        "{whose} transaction was left open"
    );
}

/// A pooled connection goes back to the pool without a round trip when its
/// work ended normally; one whose write failed part-way, or whose client
/// gave up mid-statement, is rolled back at once, not when a later request
/// happens to take it: no session is left inside a transaction holding its
/// locks, the failed writes leave nothing, and every request after them is
/// answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
async fn failed_and_abandoned_requests_leave_no_transaction_open() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (url, schema) = app.postgres_schema().expect("a PostgreSQL app");
    let mut admin: sqlx::PgConnection = sqlx::Connection::connect(url).await.unwrap();
    let (status, body) = app
        .send(
            reqwest::Method::POST,
            "/flexible_asset_types",
            serde_json::json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Circuit"},
                "relationships": {"flexible_asset_fields": {"data": [
                    {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "Name", "kind": "Text", "show-in-list": true}}]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let kind = body["data"]["id"].as_str().expect("id").to_string();
    let fields = format!("/flexible_asset_types/{kind}/relationships/flexible_asset_fields");

    // Several connections open, so that the next request could be handed
    // another one than a failed write's.
    let lists: Vec<_> = (0..4).map(|_| app.get("/organizations")).collect();
    for (status, body) in futures::future::join_all(lists).await {
        assert_eq!(status, 200, "{body}");
    }
    // Each write inserts its first field, then fails on the second, whose
    // name the type already has.
    for round in 0..6 {
        let (status, body) = app
            .send(
                reqwest::Method::POST,
                &fields,
                serde_json::json!({"data": [
                    {"type": "flexible_asset_fields", "attributes": {"order": 10 + round, "name": format!("Extra {round}"), "kind": "Text"}},
                    {"type": "flexible_asset_fields", "attributes": {"order": 100 + round, "name": "Name", "kind": "Text"}}]}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
    }
    // With nothing else running, no later request flushes what they left.
    settled(&mut admin, schema, "a failed write's").await;
    // Clients that give up before the answer, many of them mid-statement.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(3))
        .build()
        .unwrap();
    for _ in 0..40 {
        let _ = impatient
            .get(format!("{}/configuration_types?page[size]=1000", app.base))
            .header("x-api-key", &app.key)
            .send()
            .await;
    }

    settled(&mut admin, schema, "a given-up request's").await;
    // The fields the failed writes inserted are gone, and a new one by the
    // same name goes in without waiting on them.
    let (status, body) = app
        .send(
            reqwest::Method::POST,
            &fields,
            serde_json::json!({"data": {"type": "flexible_asset_fields",
                "attributes": {"order": 2, "name": "Extra 0", "kind": "Text"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    for _ in 0..10 {
        let (status, body) = app.get(&fields).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["meta"]["total-count"], 2, "{body}");
    }
}
