//! Signed webhooks (an addition beside the reference): subscriptions per
//! account at `/webhooks`, events written to an outbox in the write's own
//! transaction and delivered by the job workers to a receiver the test
//! runs on 127.0.0.1 (allowed by `--webhook-allow-private`), signed with
//! the recipe docs/API-CONVENTIONS.md gives, retried, and disabled after
//! repeated failure.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac as _};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{id_of, Backend, TestApp};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// (event, resource type, resource id).
    fn event(&self) -> (String, String, String) {
        let body = self.json();
        (
            body["event"].as_str().unwrap().to_string(),
            body["resource-type"].as_str().unwrap().to_string(),
            body["resource-id"].as_str().unwrap().to_string(),
        )
    }
}

/// A local receiver: records every request, answers the queued statuses
/// first and 200 after.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    always: Arc<Mutex<Option<u16>>>,
}

impl Receiver {
    /// Starts one; its URL.
    async fn start(&self) -> String {
        let state = self.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                state
                    .received
                    .lock()
                    .unwrap()
                    .push(Received { headers, body });
                let queued = state.answers.lock().unwrap().pop_front();
                let code = queued.or(*state.always.lock().unwrap()).unwrap_or(200);
                StatusCode::from_u16(code).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{address}/hook")
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `count` requests came (or fails after 30 s),
    /// then a little longer, so that one too many would show.
    async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.all().len() < count {
            assert!(
                Instant::now() < deadline,
                "{} of {count} deliveries came: {:?}",
                self.all().len(),
                self.all()
                    .iter()
                    .map(|r| r.body.clone())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        self.all()
    }
}

/// Quick workers, deliveries to 127.0.0.1 allowed.
fn quick(args: &mut mortar::config::ServeArgs) {
    args.jobs.job_poll_ms = 25;
    args.jobs.job_retry_base_secs = 1;
    args.jobs.job_retry_cap_secs = 2;
    args.webhooks.webhook_allow_private = true;
    args.webhooks.webhook_attempts = 3;
    args.webhooks.webhook_failure_limit = 10;
}

async fn app(backend: Backend) -> TestApp {
    TestApp::spawn_with_workers(backend, quick).await
}

/// Subscribes with `attributes`; the id and the secret.
async fn subscribe(app: &TestApp, key: &str, attributes: Value) -> (i64, String) {
    let (status, body) = app
        .send_as(
            key,
            Method::POST,
            "/webhooks",
            json!({"data": {"type": "webhooks", "attributes": attributes}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let secret = body["data"]["attributes"]["secret"]
        .as_str()
        .expect("the secret, once")
        .to_string();
    (id_of(&body), secret)
}

/// Checks a delivery as the documented recipe does: HMAC-SHA256 under the
/// secret of `<t>.<body>` equals `v1`, `t` is the timestamp header and
/// recent, and the delivery id is the body's.
fn verify(received: &Received, secret: &str) {
    let header = received.header("x-mortar-signature");
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_string()),
            Some(("v1", value)) => v1 = Some(value.to_string()),
            _ => {}
        }
    }
    let (t, v1) = (t.expect("t="), v1.expect("v1="));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    assert_eq!(
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()),
        v1,
        "{header}"
    );
    assert_eq!(received.header("x-mortar-timestamp"), t);
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "timestamp {t} is {age} s old");
    let body = received.json();
    assert_eq!(
        received.header("x-mortar-delivery"),
        body["id"].as_str().unwrap()
    );
    assert_eq!(
        received.header("x-mortar-event"),
        body["event"].as_str().unwrap()
    );
    assert_eq!(received.header("content-type"), "application/json");
}

async fn webhook(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get(&format!("/webhooks/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["attributes"].clone()
}

async fn each_write_and_reveal_delivers_one_signed_event(backend: Backend) {
    let app = app(backend).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let (hook, secret) = subscribe(&app, &app.key.clone(), json!({"url": url})).await;
    let shown = webhook(&app, hook).await;
    assert_eq!(shown["url"], url.as_str());
    assert_eq!(
        shown["events"],
        json!(["create", "update", "delete", "reveal"])
    );
    assert_eq!(shown["resource-types"], Value::Null);
    assert_eq!(shown["enabled"], true);
    assert!(shown.get("secret").is_none(), "{shown}");

    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{org}"),
            json!({"data": {"type": "organizations", "attributes": {"description": "Pond"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2);

    let value = "hunter2-never-sent";
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords?show_password=false",
            json!({"data": {"type": "passwords", "attributes": {
                "organization-id": org, "name": "Router", "password": value}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let password = id_of(&body);
    let (status, body) = app.get(&format!("/passwords/{password}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["password"], value);
    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [{"type": "organizations", "attributes": {"id": org}}]}),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");

    // The organization's delete takes its password with it: both report.
    let received = receiver.wait_for(5).await;
    let org = org.to_string();
    let password = password.to_string();
    let events: Vec<(String, String, String)> = received.iter().map(Received::event).collect();
    let expected = [
        ("create", "organizations", &org),
        ("update", "organizations", &org),
        ("create", "passwords", &password),
        ("reveal", "passwords", &password),
        ("delete", "organizations", &org),
    ];
    for (event, kind, id) in expected {
        let count = events
            .iter()
            .filter(|(e, k, i)| e == event && k == kind && i == id)
            .count();
        assert_eq!(count, 1, "one {event} of {kind} {id} in {events:?}");
    }
    assert!(
        events.iter().all(
            |(e, k, _)| expected.iter().any(|(ee, kk, _)| ee == e && kk == k)
                || (e == "delete" && k == "passwords")
        ),
        "{events:?}"
    );
    let mut ids = std::collections::BTreeSet::new();
    for delivery in &received {
        verify(delivery, &secret);
        assert!(!delivery.body.contains(value), "{}", delivery.body);
        assert!(!delivery.body.contains(&secret));
        let body = delivery.json();
        assert!(ids.insert(body["id"].as_str().unwrap().to_string()));
        assert_eq!(body["webhook-id"], hook.to_string());
        assert_eq!(body["data"]["type"], body["resource-type"]);
        assert_eq!(body["data"]["id"], body["resource-id"]);
        assert!(body["data"]["attributes"].get("password").is_none());
    }
    let update = received
        .iter()
        .map(Received::json)
        .find(|b| b["event"] == "update")
        .unwrap();
    assert_eq!(update["data"]["attributes"]["description"], "Pond");
    assert_eq!(update["data"]["attributes"]["name"], "Frog");
    assert_eq!(update["organization-id"], org.as_str());
    let delete = received
        .iter()
        .map(Received::json)
        .find(|b| b["event"] == "delete" && b["resource-type"] == "organizations")
        .unwrap();
    assert_eq!(delete["data"]["attributes"]["name"], "Frog", "{delete}");
}

async fn filtered_subscriptions_get_only_matching_events(backend: Backend) {
    let app = app(backend).await;
    let a = app.create("/organizations", json!({"name": "A"})).await;
    let b = app.create("/organizations", json!({"name": "B"})).await;
    let creates = Receiver::default();
    let creates_url = creates.start().await;
    let of_b = Receiver::default();
    // By name: the delivery resolves it and connects to the address checked.
    let of_b_url = of_b.start().await.replace("127.0.0.1", "localhost");
    let key = app.key.clone();
    let (_, creates_secret) = subscribe(
        &app,
        &key,
        json!({"url": creates_url, "events": ["create"], "resource-types": ["organizations"]}),
    )
    .await;
    let (_, of_b_secret) = subscribe(
        &app,
        &key,
        json!({"url": of_b_url, "events": "create,update", "organization-id": b.to_string()}),
    )
    .await;

    let contact = |org: i64, name: &str| json!({"organization-id": org, "first-name": name, "last-name": "Doe"});
    app.create("/contacts", contact(a, "Ann")).await;
    let in_b = app.create("/contacts", contact(b, "Bob")).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{b}"),
            json!({"data": {"type": "organizations", "attributes": {"description": "Bee"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let c = app.create("/organizations", json!({"name": "C"})).await;

    let got = creates.wait_for(1).await;
    assert_eq!(
        got.iter().map(Received::event).collect::<Vec<_>>(),
        [("create".into(), "organizations".into(), c.to_string())]
    );
    verify(&got[0], &creates_secret);
    let got = of_b.wait_for(2).await;
    let mut events: Vec<_> = got.iter().map(Received::event).collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("create".into(), "contacts".into(), in_b.to_string()),
            ("update".into(), "organizations".into(), b.to_string()),
        ]
    );
    for delivery in &got {
        verify(delivery, &of_b_secret);
    }
}

async fn a_write_that_fails_sends_nothing(backend: Backend) {
    let app = app(backend).await;
    let a = app.create("/organizations", json!({"name": "A"})).await;
    let b = app.create("/organizations", json!({"name": "B"})).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    subscribe(&app, &app.key.clone(), json!({"url": url})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/organizations",
            json!({"data": [
                {"type": "organizations", "attributes": {"id": a, "name": "Renamed"}},
                {"type": "organizations", "attributes": {"id": b, "name": ""}},
            ]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let marker = app
        .create("/organizations", json!({"name": "Marker"}))
        .await;
    let got = receiver.wait_for(1).await;
    assert_eq!(
        got.iter().map(Received::event).collect::<Vec<_>>(),
        [("create".into(), "organizations".into(), marker.to_string())]
    );
}

async fn a_failing_receiver_is_retried_with_the_same_delivery(backend: Backend) {
    let app = app(backend).await;
    let receiver = Receiver::default();
    receiver.answers.lock().unwrap().extend([500, 503]);
    let url = receiver.start().await;
    let (hook, secret) = subscribe(&app, &app.key.clone(), json!({"url": url})).await;
    let org = app.create("/organizations", json!({"name": "Retry"})).await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got.len(), 3, "two failures and one success");
    let first = got[0].header("x-mortar-delivery");
    for delivery in &got {
        verify(delivery, &secret);
        assert_eq!(delivery.header("x-mortar-delivery"), first);
        assert_eq!(delivery.body, got[0].body);
        assert_eq!(delivery.json()["resource-id"], org.to_string());
    }
    let shown = webhook(&app, hook).await;
    assert_eq!(shown["enabled"], true, "{shown}");
    assert_eq!(shown["failure-count"], 0, "{shown}");
    assert_eq!(shown["disabled-reason"], Value::Null, "{shown}");
}

async fn repeated_failure_disables_the_subscription(backend: Backend) {
    let app = TestApp::spawn_with_workers(backend, |args| {
        quick(args);
        args.webhooks.webhook_failure_limit = 2;
    })
    .await;
    let receiver = Receiver::default();
    *receiver.always.lock().unwrap() = Some(500);
    let url = receiver.start().await;
    let (hook, _) = subscribe(&app, &app.key.clone(), json!({"url": url})).await;
    app.create("/organizations", json!({"name": "Doomed"}))
        .await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2, "disabled after the second failure");
    let shown = webhook(&app, hook).await;
    assert_eq!(shown["enabled"], false, "{shown}");
    assert_eq!(shown["failure-count"], 2, "{shown}");
    let reason = shown["disabled-reason"].as_str().expect("a reason");
    assert!(reason.contains("HTTP 500"), "{reason}");
    // A disabled subscription gets nothing more.
    app.create("/organizations", json!({"name": "Later"})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.all().len(), 2);

    // Enabling it again clears the failures, and deliveries resume.
    *receiver.always.lock().unwrap() = None;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/webhooks/{hook}"),
            json!({"data": {"type": "webhooks", "attributes": {"enabled": true}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["failure-count"], 0);
    assert_eq!(body["data"]["attributes"]["disabled-reason"], Value::Null);
    let again = app.create("/organizations", json!({"name": "Again"})).await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].json()["resource-id"], again.to_string());
}

async fn private_urls_and_bad_settings_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refuse = |attributes: Value, pointer: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app
                .send(
                    Method::POST,
                    "/webhooks",
                    json!({"data": {"type": "webhooks", "attributes": attributes}}),
                )
                .await;
            assert_eq!(status, 422, "{body}");
            let pointers: Vec<&str> = body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["source"]["pointer"].as_str().unwrap())
                .collect();
            assert!(pointers.contains(&pointer), "{pointer} in {body}");
        }
    };
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        refuse(json!({"url": url}), "/data/attributes/url").await;
    }
    refuse(json!({}), "/data/attributes/url").await;
    let fine = "https://hooks.example.com/mortar";
    refuse(
        json!({"url": fine, "events": ["create", "explode"]}),
        "/data/attributes/events",
    )
    .await;
    refuse(
        json!({"url": fine, "events": []}),
        "/data/attributes/events",
    )
    .await;
    refuse(
        json!({"url": fine, "resource-types": ["dragons"]}),
        "/data/attributes/resource-types",
    )
    .await;
    refuse(
        json!({"url": fine, "organization-id": 999999}),
        "/data/attributes/organization-id",
    )
    .await;
    refuse(
        json!({"url": fine, "secret": "mine"}),
        "/data/attributes/secret",
    )
    .await;
    let (status, body) = app.get("/webhooks").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]), "nothing was made");

    // A public URL is accepted; updating it to a private one is refused.
    let (hook, _) = subscribe(&app, &app.key.clone(), json!({"url": fine})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/webhooks/{hook}"),
            json!({"data": {"type": "webhooks", "attributes": {"url": "http://127.0.0.1/"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/url"
    );
    assert_eq!(webhook(&app, hook).await["url"], fine);
}

async fn subscriptions_and_events_stay_in_their_account(backend: Backend) {
    let app = app(backend).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let (hook, _) = subscribe(&app, &app.key.clone(), json!({"url": url})).await;
    let other = app.other_key.clone();
    let (status, body) = app.get_as(&other, &format!("/webhooks/{hook}")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.get_as(&other, "/webhooks").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]));
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            &format!("/webhooks/{hook}"),
            json!({"data": {"type": "webhooks", "attributes": {"enabled": false}}}),
        )
        .await;
    assert_eq!(status, 404);
    let response = app
        .request_as(&other, Method::DELETE, &format!("/webhooks/{hook}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(webhook(&app, hook).await["enabled"], true);

    // Account B's writes never reach account A's subscription.
    let (status, body) = app
        .send_as(
            &other,
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Rival"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mine = app.create("/organizations", json!({"name": "Mine"})).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(
        got.iter().map(Received::event).collect::<Vec<_>>(),
        [("create".into(), "organizations".into(), mine.to_string())]
    );

    // Deleting it stops deliveries.
    let response = app
        .request(Method::DELETE, &format!("/webhooks/{hook}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let (status, _) = app.get(&format!("/webhooks/{hook}")).await;
    assert_eq!(status, 404);
    app.create("/organizations", json!({"name": "After"})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.all().len(), 1);
}

/// A flexible asset's Password trait is an embedded password: creating the
/// asset reports both records, showing it reports a reveal of each, and no
/// body ever holds the value.
async fn password_traits_are_revealed_without_their_value(backend: Backend) {
    let app = app(backend).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let (_, secret) = subscribe(&app, &app.key.clone(), json!({"url": url})).await;
    let org = app
        .create("/organizations", json!({"name": "Vault Frog"}))
        .await;
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Router",
                "fields": [
                    {"order": 1, "name": "Name", "kind": "Text", "required": true, "show-in-list": true, "use-for-title": true},
                    {"order": 2, "name": "Admin Password", "kind": "Password"}
                ]}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let kind = id_of(&body);
    let value = "s3cret-trait-never-sent";
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_assets?show_password=false",
            json!({"data": {"type": "flexible_assets", "attributes": {
                "organization-id": org, "flexible-asset-type-id": kind,
                "traits": {"name": "edge-1", "admin-password": value}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let asset = id_of(&body).to_string();
    let (status, body) = app.get(&format!("/flexible_assets/{asset}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains(value), "shown to the key: {body}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let reveals = |all: &[Received]| {
        all.iter()
            .map(Received::event)
            .filter(|(e, _, _)| e == "reveal")
            .map(|(_, kind, id)| (kind, id))
            .collect::<Vec<_>>()
    };
    while reveals(&receiver.all()).len() < 2 {
        assert!(Instant::now() < deadline, "{:?}", reveals(&receiver.all()));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let all = receiver.all();
    let revealed = reveals(&all);
    assert!(
        revealed.contains(&("flexible-assets".into(), asset.clone())),
        "{revealed:?}"
    );
    assert!(
        revealed.iter().any(|(kind, _)| kind == "passwords"),
        "{revealed:?}"
    );
    let created: Vec<_> = all
        .iter()
        .map(Received::event)
        .filter(|(e, _, _)| e == "create")
        .map(|(_, kind, _)| kind)
        .collect();
    assert!(created.contains(&"passwords".to_string()), "{created:?}");
    for delivery in &all {
        verify(delivery, &secret);
        assert!(!delivery.body.contains(value), "{}", delivery.body);
    }
}

/// Events written while no worker runs (a server that stopped, or
/// crashed, right after the commit) are delivered once workers start.
async fn events_outlive_a_stop_before_delivery(backend: Backend) {
    let app = TestApp::spawn_with(backend, quick).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let (_, secret) = subscribe(&app, &app.key.clone(), json!({"url": url})).await;
    let org = app.create("/organizations", json!({"name": "Kept"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.all().is_empty(), "no worker runs yet");

    let mut args = app.args();
    quick(&mut args);
    let state = mortar::build_state(app.store.clone(), &args).await.unwrap();
    let _workers = mortar::start_workers(&state, &args).await.unwrap();
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    verify(&got[0], &secret);
    assert_eq!(
        got[0].event(),
        ("create".into(), "organizations".into(), org.to_string())
    );
}

/// Runs `mortar` on `data_dir`.
fn mortar(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mortar"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("MORTAR_DATABASE_URL")
        .env_remove("MORTAR_MASTER_KEY")
        .env_remove("MORTAR_WEBHOOK_ALLOW_PRIVATE")
        .output()
        .expect("run mortar")
}

/// `mortar webhooks create` beside a running server prints the id and the
/// secret as its last two lines, and deliveries verify with that secret;
/// `list` never shows it; `delete` takes the id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_makes_lists_and_deletes_subscriptions() {
    let app = TestApp::spawn_with_workers(Backend::Sqlite, quick).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let dir = app.data_dir().to_path_buf();
    let create = |extra: &[&str]| {
        let mut args = vec![
            "webhooks",
            "create",
            "--url",
            url.as_str(),
            "--events",
            "create,update",
            "--type",
            "organizations",
            "--account",
            "Acme IT",
        ];
        args.extend_from_slice(extra);
        mortar(&dir, &args)
    };
    let refused = create(&[]);
    assert!(!refused.status.success(), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--webhook-allow-private"),
        "{refused:?}"
    );
    let created = create(&["--webhook-allow-private"]);
    assert!(created.status.success(), "{created:?}");
    let stdout = String::from_utf8_lossy(&created.stdout).to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    let [.., id_line, secret_line] = lines.as_slice() else {
        panic!("{stdout}");
    };
    let id = id_line.strip_prefix("webhook_id: ").expect(id_line);
    let secret = secret_line.strip_prefix("secret: ").expect(secret_line);
    assert!(secret.starts_with("whsec_"), "{stdout}");

    let shown = webhook(&app, id.parse().unwrap()).await;
    assert_eq!(shown["events"], json!(["create", "update"]));
    assert_eq!(shown["resource-types"], json!(["organizations"]));
    let org = app.create("/organizations", json!({"name": "Cli"})).await;
    let got = receiver.wait_for(1).await;
    verify(&got[0], secret);
    assert_eq!(got[0].json()["resource-id"], org.to_string());

    let listed = mortar(&dir, &["webhooks", "list"]);
    let listing = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        listing.contains(&url) && listing.contains("create,update"),
        "{listing}"
    );
    assert!(!listing.contains(secret), "never the secret: {listing}");
    let deleted = mortar(&dir, &["webhooks", "delete", id]);
    assert!(deleted.status.success(), "{deleted:?}");
    let again = mortar(&dir, &["webhooks", "delete", id]);
    assert!(!again.status.success(), "deleting twice is an error");
    let (status, _) = app.get(&format!("/webhooks/{id}")).await;
    assert_eq!(status, 404);
}

/// Subscriptions are account settings: any role reads them, only
/// Administrators and Managers change them, and each change is logged.
async fn subscriptions_follow_the_role_table_and_are_logged(backend: Backend) {
    let app = app(backend).await;
    let (_, editor) = app
        .user_with_key("ed@example.com", mortar::roles::Role::Editor)
        .await;
    let (manager_id, manager) = app
        .user_with_key("mo@example.com", mortar::roles::Role::Manager)
        .await;
    let attributes = json!({"url": "http://127.0.0.1:9/hook", "events": ["create"]});
    let (status, body) = app
        .send_as(
            &editor,
            Method::POST,
            "/webhooks",
            json!({"data": {"type": "webhooks", "attributes": attributes}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app.get("/webhooks").await;
    assert_eq!(
        (status, body["data"].clone()),
        (200, json!([])),
        "nothing made"
    );

    let (id, _) = subscribe(&app, &manager, attributes).await;
    let (status, body) = app.get_as(&editor, &format!("/webhooks/{id}")).await;
    assert_eq!(status, 200, "an Editor may read settings: {body}");
    let change =
        json!({"data": {"type": "webhooks", "attributes": {"events": ["create", "delete"]}}});
    let (status, _) = app
        .send_as(
            &editor,
            Method::PATCH,
            &format!("/webhooks/{id}"),
            change.clone(),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .send_as(
            &editor,
            Method::DELETE,
            &format!("/webhooks/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(webhook(&app, id).await["events"], json!(["create"]));

    let (status, body) = app
        .send_as(&manager, Method::PATCH, &format!("/webhooks/{id}"), change)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .send_as(
            &manager,
            Method::DELETE,
            &format!("/webhooks/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);

    let (_, body) = app
        .get("/logs?filter[resource_type]=Webhook&sort=created_at,id")
        .await;
    let entries: Vec<(String, i64, String, i64)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let a = &e["attributes"];
            (
                a["action"].as_str().unwrap().to_string(),
                a["resource-id"].as_i64().unwrap(),
                a["resource-name"].as_str().unwrap().to_string(),
                a["user-id"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    let url = "http://127.0.0.1:9/hook".to_string();
    assert_eq!(
        entries,
        vec![
            ("create".to_string(), id, url.clone(), manager_id),
            ("update".to_string(), id, url.clone(), manager_id),
            ("delete".to_string(), id, url, manager_id),
        ],
        "{body}"
    );
}

crate::backend_tests!(
    subscriptions_follow_the_role_table_and_are_logged,
    each_write_and_reveal_delivers_one_signed_event,
    filtered_subscriptions_get_only_matching_events,
    a_write_that_fails_sends_nothing,
    a_failing_receiver_is_retried_with_the_same_delivery,
    repeated_failure_disables_the_subscription,
    private_urls_and_bad_settings_are_refused,
    subscriptions_and_events_stay_in_their_account,
    events_outlive_a_stop_before_delivery,
    password_traits_are_revealed_without_their_value,
);
