//! Stalled and surplus clients, on real sockets: a client that sends
//! nothing, half its headers, part of its body, or keeps an idle connection
//! is cut off in time; connections past the limit get a 503 at once; and
//! the server keeps answering everyone else.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp};

async fn app_with(backend: Backend, header: u64, body: u64, max: usize) -> TestApp {
    TestApp::spawn_with(backend, |args| {
        args.connections.header_timeout_secs = header;
        args.connections.body_timeout_secs = body;
        args.connections.max_connections = max;
    })
    .await
}

fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Everything the server sends until it closes, and how long that took
/// (at most `limit`, or the read is a test failure).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    assert!(
        read.is_ok(),
        "the server kept the connection open past {limit:?}"
    );
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

async fn stalled_clients_are_cut_off_in_time(backend: Backend) {
    let app = app_with(backend, 1, 1, 64).await;
    let limit = Duration::from_secs(5);

    // Nothing at all.
    let mut silent = TcpStream::connect(address(&app)).await.unwrap();
    // Half the headers.
    let mut halting = TcpStream::connect(address(&app)).await.unwrap();
    halting
        .write_all(b"GET /organizations HTTP/1.1\r\nHost: mortar\r\nx-api-key: ")
        .await
        .unwrap();
    // A whole request, then an idle kept-alive connection.
    let mut idle = TcpStream::connect(address(&app)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: mortar\r\n\r\n")
        .await
        .unwrap();
    // Headers, then part of the body.
    let mut slow = TcpStream::connect(address(&app)).await.unwrap();
    slow.write_all(
        format!(
            "POST /organizations HTTP/1.1\r\nHost: mortar\r\nx-api-key: {}\r\n\
             Content-Type: application/vnd.api+json\r\nContent-Length: 200\r\n\r\n{{\"data\": ",
            app.key
        )
        .as_bytes(),
    )
    .await
    .unwrap();

    let (sent, _) = read_until_closed(&mut silent, limit).await;
    assert!(
        sent.is_empty() || sent.starts_with("HTTP/1.1 408"),
        "{sent}"
    );
    let (sent, _) = read_until_closed(&mut halting, limit).await;
    assert!(
        sent.is_empty() || sent.starts_with("HTTP/1.1 408"),
        "{sent}"
    );
    let (sent, _) = read_until_closed(&mut idle, limit).await;
    assert!(
        sent.starts_with("HTTP/1.1 200"),
        "the request was answered: {sent}"
    );
    let (sent, _) = read_until_closed(&mut slow, limit).await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    let body: Value = serde_json::from_str(sent.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["errors"][0]["status"], "408");

    // Nothing was written, and everyone else is served.
    let (status, body) = app.get("/organizations").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["meta"]["total-count"], 1,
        "only the account's own organization"
    );
}

async fn connections_past_the_limit_get_a_503_at_once(backend: Backend) {
    let app = app_with(backend, 5, 5, 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(TcpStream::connect(address(&app)).await.unwrap());
    }
    // Let the server accept the two before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut surplus = TcpStream::connect(address(&app)).await.unwrap();
    let (sent, took) = read_until_closed(&mut surplus, Duration::from_secs(2)).await;
    assert!(sent.starts_with("HTTP/1.1 503"), "{sent}");
    assert!(sent.contains("Retry-After: 1"), "{sent}");
    assert!(
        took < Duration::from_secs(1),
        "answered at once, not after {took:?}"
    );
    drop(held);
    // Once the held connections go, requests are served again.
    let mut served = false;
    for _ in 0..50 {
        if app
            .client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "the server serves again once connections are free");
}

#[tokio::test]
async fn stalled_clients_are_cut_off_in_time_on_sqlite() {
    stalled_clients_are_cut_off_in_time(Backend::Sqlite).await;
}

#[tokio::test]
async fn connections_past_the_limit_get_a_503_at_once_on_sqlite() {
    connections_past_the_limit_get_a_503_at_once(Backend::Sqlite).await;
}
