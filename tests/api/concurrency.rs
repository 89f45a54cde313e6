//! Concurrent writers: 64 clients mixing every kind of write (creates,
//! updates of one hot record, nested creates, bulk updates, bulk deletes,
//! sealed passwords, and document views that stamp `last_viewed_at`) for a
//! bounded time. Every request must succeed (writes wait their turn rather
//! than fail for a lock), and the rows left must be exactly the
//! acknowledged creates minus the acknowledged deletes.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{read, Backend, TestApp};

/// Concurrent client tasks.
const CLIENTS: usize = 64;
/// How long the clients keep writing (each writes every kind once first,
/// however long that takes on a slow or busy machine).
const RUN_FOR: Duration = Duration::from_secs(3);
/// The kinds of write a client takes in turn.
const KINDS: usize = 7;
/// Upper bound on each client's requests, whatever the machine's speed.
const MAX_ROUNDS: usize = 200;

/// What one client saw.
#[derive(Default)]
struct Tally {
    requests: usize,
    organizations_created: i64,
    organizations_deleted: i64,
    configurations_created: i64,
    passwords_created: i64,
    /// `METHOD path -> status: body` of each failed request.
    failures: Vec<String>,
}

/// The records every client writes to.
#[derive(Clone)]
struct Shared {
    base: String,
    key: String,
    client: reqwest::Client,
    hot: i64,
    configuration_type: i64,
    document: i64,
}

impl Shared {
    /// Sends one request; `Some(body)` on success, otherwise records a failure.
    async fn call(
        &self,
        tally: &mut Tally,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        tally.requests += 1;
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .header("x-api-key", &self.key);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/vnd.api+json")
                .body(body.to_string());
        }
        let (status, body) = match request.send().await {
            Ok(response) => read(response).await,
            Err(e) => {
                tally.failures.push(format!("{method} {path} -> {e}"));
                return None;
            }
        };
        if (200..300).contains(&status) {
            Some(body)
        } else {
            tally
                .failures
                .push(format!("{method} {path} -> {status}: {body}"));
            None
        }
    }
}

fn id_in(body: &Value) -> i64 {
    body["data"]["id"]
        .as_str()
        .expect("string id")
        .parse()
        .expect("numeric id")
}

/// One client: cycles through the kinds of write until the deadline.
async fn client(shared: Shared, n: usize, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    // Organizations this client made and has not deleted yet.
    let mut own: Vec<i64> = Vec::new();
    for round in 0..MAX_ROUNDS {
        if round >= KINDS && Instant::now() >= deadline {
            break;
        }
        let tag = format!("c{n}-r{round}");
        match (n + round) % KINDS {
            0 => {
                let body = json!({"data": {"type": "organizations", "attributes": {
                    "name": format!("Org {tag}"),
                }}});
                if let Some(body) = shared
                    .call(&mut tally, Method::POST, "/organizations", Some(body))
                    .await
                {
                    tally.organizations_created += 1;
                    own.push(id_in(&body));
                }
            }
            1 => {
                let body = json!({"data": {"type": "organizations", "attributes": {
                    "description": format!("patched by {tag}"),
                }}});
                let path = format!("/organizations/{}", shared.hot);
                shared
                    .call(&mut tally, Method::PATCH, &path, Some(body))
                    .await;
            }
            2 => {
                let body = json!({"data": {"type": "configurations", "attributes": {
                    "name": format!("CFG-{tag}"),
                    "configuration-type-id": shared.configuration_type,
                }}});
                let path = format!("/organizations/{}/relationships/configurations", shared.hot);
                if shared
                    .call(&mut tally, Method::POST, &path, Some(body))
                    .await
                    .is_some()
                {
                    tally.configurations_created += 1;
                }
            }
            3 => {
                // Ascending ids, so two bulk updates never lock in opposite orders.
                let mut data = vec![json!({"type": "organizations", "attributes": {
                    "id": shared.hot, "short-name": format!("b{n}"),
                }})];
                if let Some(&mine) = own.last() {
                    data.push(json!({"type": "organizations", "attributes": {
                        "id": mine, "description": format!("bulk {tag}"),
                    }}));
                }
                shared
                    .call(
                        &mut tally,
                        Method::PATCH,
                        "/organizations",
                        Some(json!({"data": data})),
                    )
                    .await;
            }
            4 => {
                if let Some(mine) = own.pop() {
                    let body = json!({"data": [
                        {"type": "organizations", "attributes": {"id": mine}},
                    ]});
                    if shared
                        .call(&mut tally, Method::DELETE, "/organizations", Some(body))
                        .await
                        .is_some()
                    {
                        tally.organizations_deleted += 1;
                    } else {
                        own.push(mine);
                    }
                }
            }
            5 => {
                let body = json!({"data": {"type": "passwords", "attributes": {
                    "organization-id": shared.hot,
                    "name": format!("Password {tag}"),
                    "password": format!("Sekr3t-{tag}"),
                }}});
                if shared
                    .call(&mut tally, Method::POST, "/passwords", Some(body))
                    .await
                    .is_some()
                {
                    tally.passwords_created += 1;
                }
            }
            _ => {
                // A document view writes `last_viewed_at` outside any transaction.
                let path = format!("/documents/{}", shared.document);
                shared.call(&mut tally, Method::GET, &path, None).await;
            }
        }
    }
    tally
}

async fn total(app: &TestApp, path: &str) -> i64 {
    let (status, body) = app.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body["meta"]["total-count"]
        .as_i64()
        .unwrap_or_else(|| panic!("no total-count at {path}: {body}"))
}

async fn sixty_four_concurrent_writers_of_every_kind_all_succeed(app: TestApp) {
    let hot = app
        .create("/organizations", json!({"name": "Hot Org"}))
        .await;
    let document = app
        .create(
            "/documents",
            json!({"organization-id": hot, "name": "Runbook", "content": "<p>x</p>"}),
        )
        .await;
    let shared = Shared {
        base: app.base.clone(),
        key: app.key.clone(),
        client: reqwest::Client::new(),
        hot,
        configuration_type: app
            .catalog_id("/configuration_types", "Managed Server")
            .await,
        document,
    };
    let organizations_before = total(&app, "/organizations?page[size]=1").await;

    let deadline = Instant::now() + RUN_FOR;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(client(shared.clone(), n, deadline)))
        .collect();
    let mut all = Tally::default();
    for handle in clients {
        let tally = handle.await.expect("client task");
        all.requests += tally.requests;
        all.organizations_created += tally.organizations_created;
        all.organizations_deleted += tally.organizations_deleted;
        all.configurations_created += tally.configurations_created;
        all.passwords_created += tally.passwords_created;
        all.failures.extend(tally.failures);
    }

    assert!(
        all.failures.is_empty(),
        "{} of {} requests failed; the first:\n{}",
        all.failures.len(),
        all.requests,
        all.failures[..all.failures.len().min(5)].join("\n")
    );
    assert_eq!(
        total(&app, "/organizations?page[size]=1").await,
        organizations_before + all.organizations_created - all.organizations_deleted,
        "organizations: {} created, {} deleted",
        all.organizations_created,
        all.organizations_deleted
    );
    assert_eq!(
        total(
            &app,
            &format!("/organizations/{hot}/relationships/configurations?page[size]=1")
        )
        .await,
        all.configurations_created
    );
    assert_eq!(
        total(&app, "/passwords?page[size]=1").await,
        all.passwords_created
    );
}

/// Writes that fail part-way (after inserting) run beside writes that
/// succeed, as one group commit on SQLite: each failed write leaves nothing
/// of its own, and every acknowledged write is kept.
async fn writes_that_fail_midway_beside_others_leave_nothing_and_take_nothing(app: TestApp) {
    const PAIRS: usize = 16;
    let org = app
        .create("/organizations", json!({"name": "Group Org"}))
        .await;
    let mut types = Vec::new();
    for n in 0..PAIRS {
        let (status, body) = app
            .send(
                Method::POST,
                "/flexible_asset_types",
                json!({"data": {"type": "flexible_asset_types", "attributes": {"name": format!("Kind {n}")},
                    "relationships": {"flexible_asset_fields": {"data": [
                        {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "Name", "kind": "Text", "show-in-list": true}}]}}}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        types.push(id_in(&body));
    }
    let shared = Shared {
        base: app.base.clone(),
        key: app.key.clone(),
        client: reqwest::Client::new(),
        hot: org,
        configuration_type: 0,
        document: 0,
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut tasks = Vec::new();
    for (n, type_id) in types.iter().copied().enumerate() {
        // One client adds fields whose second repeats a name (a 422 after
        // the first is inserted); its partner creates configurations.
        let failing = shared.clone();
        tasks.push(tokio::spawn(async move {
            let mut refused = 0;
            for round in 0..MAX_ROUNDS {
                if Instant::now() >= deadline {
                    break;
                }
                let response = failing
                    .client
                    .post(format!(
                        "{}/flexible_asset_types/{type_id}/relationships/flexible_asset_fields",
                        failing.base
                    ))
                    .header("x-api-key", &failing.key)
                    .header("content-type", "application/vnd.api+json")
                    .body(
                        json!({"data": [
                            {"type": "flexible_asset_fields", "attributes": {"order": 10 + round, "name": format!("Extra {round}"), "kind": "Text"}},
                            {"type": "flexible_asset_fields", "attributes": {"order": 500 + round, "name": "Name", "kind": "Text"}}
                        ]})
                        .to_string(),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 422, "{:?}", response.text().await);
                refused += 1;
            }
            (refused, 0)
        }));
        let writing = shared.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut created = 0;
            for round in 0..MAX_ROUNDS {
                if Instant::now() >= deadline {
                    break;
                }
                let body = json!({"data": {"type": "organizations", "attributes": {
                    "name": format!("Kept {n}-{round}"),
                }}});
                if writing
                    .call(&mut tally, Method::POST, "/organizations", Some(body))
                    .await
                    .is_some()
                {
                    created += 1;
                }
            }
            assert!(tally.failures.is_empty(), "{:?}", tally.failures);
            (0, created)
        }));
    }
    let (mut refused, mut created) = (0, 0);
    for task in tasks {
        let (r, c) = task.await.unwrap();
        refused += r;
        created += c;
    }
    assert!(
        refused > 0 && created > 0,
        "{refused} refused, {created} created"
    );
    for type_id in types {
        let (_, body) = app
            .get(&format!(
                "/flexible_asset_types/{type_id}/relationships/flexible_asset_fields"
            ))
            .await;
        assert_eq!(
            body["meta"]["total-count"], 1,
            "type {type_id} kept no field of a refused write: {body}"
        );
    }
    let mut kept = 0;
    for page in 1.. {
        let (status, body) = app
            .get(&format!(
                "/organizations?page[size]=1000&page[number]={page}"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        let data = body["data"].as_array().unwrap();
        kept += data
            .iter()
            .filter(|o| {
                o["attributes"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Kept "))
            })
            .count();
        if data.len() < 1000 {
            break;
        }
    }
    assert_eq!(kept, created, "every acknowledged create is kept");
}

/// The rate limit is per key; this test sends thousands of requests with one.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |args| args.rate_limit_requests = 1_000_000).await
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sixty_four_concurrent_writers_of_every_kind_all_succeed() {
        super::sixty_four_concurrent_writers_of_every_kind_all_succeed(
            super::spawn(super::Backend::Sqlite).await,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_that_fail_midway_beside_others_leave_nothing_and_take_nothing() {
        super::writes_that_fail_midway_beside_others_leave_nothing_and_take_nothing(
            super::spawn(super::Backend::Sqlite).await,
        )
        .await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
    async fn sixty_four_concurrent_writers_of_every_kind_all_succeed() {
        super::sixty_four_concurrent_writers_of_every_kind_all_succeed(
            super::spawn(super::Backend::Postgres).await,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
    async fn writes_that_fail_midway_beside_others_leave_nothing_and_take_nothing() {
        super::writes_that_fail_midway_beside_others_leave_nothing_and_take_nothing(
            super::spawn(super::Backend::Postgres).await,
        )
        .await
    }
}
