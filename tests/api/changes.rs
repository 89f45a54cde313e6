//! `GET /changes`, the change feed (an addition beside the reference): the
//! account's creates, updates and deletes in commit order, read on from a
//! stored position, never skipping a change written by concurrent
//! transactions, and never another account's.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{urlencode, TestApp};

/// One read of the feed after `cursor` with `key`: the entries and the next cursor.
async fn read_feed(
    app: &TestApp,
    key: &str,
    cursor: &str,
    size: u32,
) -> (Vec<Value>, String, bool) {
    let (status, body) = app
        .get_as(
            key,
            &format!(
                "/changes?page[after]={}&page[size]={size}",
                urlencode(cursor)
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let next = body["meta"]["next-cursor"].as_str().unwrap().to_string();
    let more = body["meta"]["has-more"].as_bool().unwrap();
    assert_eq!(body["links"]["next"].is_string(), more, "{body}");
    (body["data"].as_array().unwrap().clone(), next, more)
}

/// Reads on from `cursor`, `size` at a time, until `count` entries that
/// `wanted` keeps came (writes of the test's setup may come first).
async fn follow(
    app: &TestApp,
    cursor: &str,
    count: usize,
    size: u32,
    wanted: impl Fn(&Value) -> bool,
) -> (Vec<Value>, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut cursor = cursor.to_string();
    let mut entries = Vec::new();
    while entries.len() < count {
        let (page, next, _) = read_feed(app, &app.key, &cursor, size).await;
        assert!(page.len() <= size as usize);
        if page.is_empty() {
            assert!(std::time::Instant::now() < deadline, "{entries:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        entries.extend(page.into_iter().filter(|e| wanted(e)));
        cursor = next;
    }
    (entries, cursor)
}

fn summary(entry: &Value) -> (String, String, i64) {
    let a = &entry["attributes"];
    (
        a["action"].as_str().unwrap().to_string(),
        a["resource-type"].as_str().unwrap().to_string(),
        a["resource-id"].as_i64().unwrap(),
    )
}

async fn the_feed_lists_every_write_in_order_from_a_position(app: TestApp) {
    let (_, start, more) = read_feed(&app, &app.key, "", 100).await;
    assert!(!more);
    // Writes before the position taken now are behind it.
    let (_, origin, _) = read_feed(&app, &app.key, &start, 100).await;

    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let kind = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let server = app
        .create(
            "/configurations",
            json!({"name": "fw01", "organization-id": org, "configuration-type-id": kind}),
        )
        .await;
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{server}"),
            json!({"data": {"type": "configurations", "attributes": {"name": "fw02"}}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "id": server.to_string()}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Two at a time until all four came through, then nothing more, and
    // the same position again.
    let ours = |e: &Value| {
        let (_, kind, id) = summary(e);
        (kind == "organizations" && id == org) || (kind == "configurations" && id == server)
    };
    let (entries, cursor) = follow(&app, &origin, 4, 2, ours).await;
    let summaries: Vec<_> = entries.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            ("create".into(), "organizations".into(), org),
            ("create".into(), "configurations".into(), server),
            ("update".into(), "configurations".into(), server),
            ("delete".into(), "configurations".into(), server),
        ]
    );
    assert_eq!(
        entries[3]["attributes"]["organization-id"], org,
        "a delete keeps its organization"
    );
    assert!(entries[3]["attributes"]["created-at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let (none, same, more) = read_feed(&app, &app.key, &cursor, 2).await;
    assert!(none.is_empty() && !more);
    assert_eq!(same, cursor, "an empty read keeps the position");

    // Another account's feed holds none of it.
    let (theirs, _, _) = read_feed(&app, &app.other_key, "", 100).await;
    assert!(
        theirs
            .iter()
            .all(|e| summary(e).2 != org && summary(e).2 != server),
        "{theirs:?}"
    );

    // Bad positions and parameters are 400s naming them.
    for (query, parameter) in [
        ("page[after]=nonsense", "page[after]"),
        ("filter[name]=x", "filter[name]"),
        ("sort=id", "sort"),
    ] {
        let (status, body) = app.get(&format!("/changes?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["errors"][0]["source"]["parameter"], parameter);
    }
}

async fn a_follower_misses_nothing_while_writers_commit_concurrently(app: TestApp) {
    let (_, mut cursor, _) = read_feed(&app, &app.key, "", 1000).await;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let client = app.client.clone();
            let url = format!("{}/organizations", app.base);
            let key = app.key.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..12 {
                    let body = json!({"data": {"type": "organizations",
                        "attributes": {"name": format!("Writer {w} org {i}")}}});
                    let response = client
                        .post(&url)
                        .header("x-api-key", &key)
                        .header("content-type", "application/vnd.api+json")
                        .body(body.to_string())
                        .send()
                        .await
                        .unwrap();
                    let (status, body) = crate::helpers::read(response).await;
                    assert_eq!(status, 201, "{body}");
                    ids.push(crate::helpers::id_of(&body));
                }
                ids
            })
        })
        .collect();
    // Follow while they write, a few entries at a time, then until every
    // write has come through.
    let mut seen = Vec::new();
    let mut written = BTreeSet::new();
    let mut writers = Some(writers);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (entries, next, _) = read_feed(&app, &app.key, &cursor, 5).await;
        seen.extend(entries.iter().map(|e| summary(e).2));
        cursor = next;
        if writers
            .as_ref()
            .is_some_and(|w| w.iter().all(|w| w.is_finished()))
        {
            for writer in writers.take().unwrap() {
                written.extend(writer.await.unwrap());
            }
        }
        let followed: BTreeSet<i64> = seen.iter().copied().collect();
        assert_eq!(followed.len(), seen.len(), "no change twice: {seen:?}");
        if writers.is_none() && followed == written {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "followed {followed:?}, written {written:?}"
        );
        if entries.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

crate::api_tests!(
    the_feed_lists_every_write_in_order_from_a_position,
    a_follower_misses_nothing_while_writers_commit_concurrently,
);
