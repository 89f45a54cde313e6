//! `mortar import` end to end: a `mortar serve` filled by `mortar demo`
//! (plus passwords, an embedded password and attachments) is the source;
//! a fresh data directory (SQLite or PostgreSQL) is the target. Compared
//! through both APIs afterwards: every attribute but ids and timestamps,
//! every relationship (by the names of what it links), every password
//! value and every attachment byte. Then: a second run that changes
//! nothing, and an import killed half-way through a source that answers
//! 429 and 500 at random, run again to the same result.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::cli::Place;
use crate::helpers::Backend;

/// GET/POST against an API with a key.
async fn api(base: &str, key: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    let mut request = reqwest::Client::new()
        .request(method.clone(), format!("{base}{path}"))
        .header("x-api-key", key);
    if !body.is_null() {
        request = request
            .header("content-type", "application/vnd.api+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn get(base: &str, key: &str, path: &str) -> Value {
    api(base, key, reqwest::Method::GET, path, Value::Null).await
}

/// Every page of a list.
async fn all(base: &str, key: &str, path: &str) -> (Vec<Value>, Vec<Value>) {
    let join = if path.contains('?') { '&' } else { '?' };
    let (mut data, mut included) = (Vec::new(), Vec::new());
    for number in 1.. {
        let page = get(
            base,
            key,
            &format!("{path}{join}page[size]=1000&page[number]={number}"),
        )
        .await;
        let rows = page["data"].as_array().cloned().unwrap_or_default();
        included.extend(page["included"].as_array().cloned().unwrap_or_default());
        let count = rows.len();
        data.extend(rows);
        if count < 1000 {
            break;
        }
    }
    (data, included)
}

/// A value with what differs between two installations taken out: ids,
/// timestamps, addresses made of ids, and a one-time code of the moment.
fn comparable(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !(k.as_str() == "id"
                        || k.ends_with("-id")
                        || k.ends_with("-ids")
                        || k.ends_with("-at")
                        || k.as_str() == "resource-url"
                        || k.as_str() == "download-url"
                        || k.as_str() == "destination-url"
                        || k.as_str() == "otp-code"
                        || k.as_str() == "view-count"
                        || k.as_str() == "updated-by"
                        || k.as_str() == "avatar")
                })
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(comparable).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// Everything an MSP would check after moving: per type, each record as
/// comparable text, sorted; related items and attachment bytes by the
/// names of their records.
async fn everything(base: &str, key: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |kind: &str, value: Value| {
        out.entry(kind.to_string())
            .or_default()
            .push(value.to_string());
    };
    let mut named = Vec::new();
    for (route, query) in [
        ("organizations", ""),
        ("locations", ""),
        ("contacts", ""),
        ("configurations", "include=configuration_interfaces"),
        ("domains", ""),
        ("documents", ""),
        ("passwords", "show_password=true"),
        ("flexible_asset_types", "include=flexible_asset_fields"),
    ] {
        let (data, included) = all(base, key, &format!("/{route}?{query}")).await;
        for record in data {
            let mut value = comparable(&record["attributes"]);
            let mut linked: Vec<Value> = Vec::new();
            for (_, relation) in record["relationships"].as_object().into_iter().flatten() {
                for link in relation["data"].as_array().into_iter().flatten() {
                    if let Some(item) = included
                        .iter()
                        .find(|i| i["type"] == link["type"] && i["id"] == link["id"])
                    {
                        linked.push(comparable(&item["attributes"]));
                    }
                }
            }
            linked.sort_by_key(|v| v.to_string());
            value["linked"] = Value::Array(linked);
            add(route, value);
            named.push((route, record["id"].as_str().unwrap().to_string()));
        }
    }
    let (types, _) = all(base, key, "/flexible_asset_types").await;
    for asset_type in types {
        let id = asset_type["id"].as_str().unwrap();
        let (assets, _) = all(
            base,
            key,
            &format!("/flexible_assets?filter[flexible_asset_type_id]={id}&show_password=true"),
        )
        .await;
        for asset in assets {
            add("flexible_assets", comparable(&asset["attributes"]));
            named.push(("flexible_assets", asset["id"].as_str().unwrap().to_string()));
            for (_, value) in asset["attributes"]["traits"]
                .as_object()
                .into_iter()
                .flatten()
            {
                if let Some(url) = value["download-url"].as_str() {
                    let bytes = bytes_of(base, key, url).await;
                    add("files", json!([value["name"], hex(&bytes)]));
                }
            }
        }
    }
    // Related items and attachments, named by their records.
    for (route, id) in named {
        if matches!(route, "flexible_asset_types") {
            continue;
        }
        let def = mortar::resources::by_route(route).unwrap();
        let class = def.class;
        let includes: Vec<&str> = def
            .includes
            .iter()
            .map(|i| i.name)
            .filter(|name| matches!(*name, "related_items" | "attachments"))
            .collect();
        if includes.is_empty() {
            continue;
        }
        let shown = get(
            base,
            key,
            &format!("/{route}/{id}?include={}", includes.join(",")),
        )
        .await;
        let name = shown["data"]["attributes"]["name"].clone();
        for item in shown["included"].as_array().into_iter().flatten() {
            let a = &item["attributes"];
            match item["type"].as_str() {
                Some("related-items")
                    if a["resource-id"].to_string().trim_matches('"') == id
                        && a["resource-type"].as_str() == Some(class) =>
                {
                    add("related_items", json!([route, name, comparable(a)]));
                }
                Some("attachments") => {
                    let bytes = bytes_of(base, key, a["download-url"].as_str().unwrap()).await;
                    add("attachments", json!([route, name, a["name"], hex(&bytes)]));
                }
                _ => {}
            }
        }
    }
    for records in out.values_mut() {
        records.sort();
    }
    out
}

async fn bytes_of(base: &str, key: &str, url: &str) -> Vec<u8> {
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        format!("{base}{url}")
    };
    let response = reqwest::Client::new()
        .get(url)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.bytes().await.unwrap().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Asserts two installations hold the same records, type by type.
fn assert_same(source: &BTreeMap<String, Vec<String>>, target: &BTreeMap<String, Vec<String>>) {
    for (kind, records) in source {
        let here = target.get(kind).cloned().unwrap_or_default();
        assert_eq!(
            records.len(),
            here.len(),
            "{kind}: {} at the source, {} imported",
            records.len(),
            here.len()
        );
        for (a, b) in records.iter().zip(&here) {
            assert_eq!(a, b, "{kind} differs");
        }
    }
    assert_eq!(
        source.keys().collect::<Vec<_>>(),
        target.keys().collect::<Vec<_>>()
    );
}

/// A source: a served demo account with passwords (one embedded) and
/// attachments added through its API. Its URL, a key with password
/// access, and what keeps it running.
async fn source() -> (String, String, Place, crate::cli::Server) {
    let place = Place::new(Backend::Sqlite).await;
    place.run(&[
        "demo",
        "--organizations",
        "2",
        "--configurations-per-organization",
        "4",
    ]);
    let key = place.create_key("importer", &["--password-access"]);
    let mut server = place.serve(&[]);
    let base = format!("http://{}", server.address());
    let (organizations, _) = all(&base, &key, "/organizations").await;
    let organization = organizations.last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (configurations, _) = all(
        &base,
        &key,
        &format!("/configurations?filter[organization_id]={organization}"),
    )
    .await;
    let configuration = configurations[0]["id"].as_str().unwrap().to_string();
    let (documents, _) = all(&base, &key, "/documents").await;
    let post = |path: String, body: Value| {
        let (base, key) = (base.clone(), key.clone());
        async move { api(&base, &key, reqwest::Method::POST, &path, body).await }
    };
    post(
        "/passwords".into(),
        json!({"data": {"type": "passwords", "attributes": {"organization-id": organization,
            "name": "Domain admin", "username": "administrator", "password": "lantern-fig-204",
            "url": "https://dc01.example.test", "notes": "rotate quarterly"}}}),
    )
    .await;
    post(
        "/passwords".into(),
        json!({"data": {"type": "passwords", "attributes": {"organization-id": organization,
            "name": "iLO", "username": "admin", "password": "copper-moth-88",
            "resource-type": "Configuration", "resource-id": configuration}}}),
    )
    .await;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    post(
        format!("/configurations/{configuration}/relationships/attachments"),
        json!({"data": {"type": "attachments", "attributes": {"attachment": {
            "content": b64(b"interface ge-0/0/0 { unit 0; }\n"), "file_name": "juniper.conf"}}}}),
    )
    .await;
    if let Some(document) = documents.first() {
        let id = document["id"].as_str().unwrap();
        post(
            format!("/documents/{id}/relationships/attachments"),
            json!({"data": {"type": "attachments", "attributes": {"attachment": {
                "content": b64(&[0u8, 1, 2, 3, 254, 255]), "file_name": "blob.bin"}}}}),
        )
        .await;
    }
    // An asset with a file in its Upload trait (the LAN type's switch
    // configuration), its required fields filled.
    let lan = get(
        &base,
        &key,
        "/flexible_asset_types?filter[name]=LAN&include=flexible_asset_fields",
    )
    .await;
    let lan_id = lan["data"][0]["id"]
        .as_str()
        .expect("the demo's LAN type")
        .to_string();
    let mut traits = serde_json::Map::new();
    for field in lan["included"].as_array().into_iter().flatten() {
        let a = &field["attributes"];
        let key_name = a["name-key"].as_str().unwrap().to_string();
        let value = match a["kind"].as_str().unwrap() {
            "Upload" => {
                json!({"content": b64(b"hostname core-sw1\nvlan 10 name users\n"), "file_name": "core-sw1.cfg"})
            }
            _ if a["required"] != json!(true) => continue,
            "Number" | "Percent" => json!(1),
            "Date" => json!("2026-01-01"),
            "Checkbox" => json!(true),
            "Select" => json!(a["default-value"]
                .as_str()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")),
            _ => json!("Core LAN"),
        };
        traits.insert(key_name, value);
    }
    post(
        "/flexible_assets".into(),
        json!({"data": {"type": "flexible-assets", "attributes": {"organization-id": organization,
            "flexible-asset-type-id": lan_id, "traits": traits}}}),
    )
    .await;
    (base, key, place, server)
}

/// The target's API: a server over its place, with a key that sees passwords.
fn target_api(place: &Place) -> (String, String, crate::cli::Server) {
    let key = place.create_key("check", &["--password-access"]);
    let mut server = place.serve(&[]);
    let base = format!("http://{}", server.address());
    (base, key, server)
}

async fn the_whole_account_comes_along_and_a_second_run_changes_nothing(backend: Backend) {
    let (base, key, _source_place, _source_server) = source().await;
    let target = Place::new(backend).await;
    let output = target
        .command(&["import", "--from", &base, "--key", &key, "--rate", "1000"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("requests to the source"), "{report}");
    let again = target
        .command(&["import", "--from", &base, "--key", &key, "--rate", "1000"])
        .output()
        .unwrap();
    let second = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(again.status.success(), "{second}");
    for line in second
        .lines()
        .filter(|l| l.starts_with("configurations ") || l.starts_with("passwords "))
    {
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns[2], "0", "nothing made again: {line}");
        assert_eq!(columns[3], "0", "nothing changed: {line}");
    }
    let (target_base, target_key, _target_server) = target_api(&target);
    let expected = everything(&base, &key).await;
    assert!(expected["passwords"].len() >= 2 && expected["attachments"].len() >= 2);
    assert!(!expected["related_items"].is_empty() && !expected["flexible_assets"].is_empty());
    assert!(
        expected.get("files").is_some_and(|f| !f.is_empty()),
        "an Upload trait's file is compared too"
    );
    assert_same(&expected, &everything(&target_base, &target_key).await);
}

/// Forwards to `upstream`, answering 429 (with `Retry-After: 0`) or 500
/// instead to some requests, picked at random (seeded).
async fn flaky_proxy(upstream: String) -> (String, Arc<AtomicU64>) {
    let refused = Arc::new(AtomicU64::new(0));
    let counter = refused.clone();
    let rng = Arc::new(std::sync::Mutex::new(rand::rngs::StdRng::seed_from_u64(7)));
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (upstream, http, rng, counter) =
            (upstream.clone(), http.clone(), rng.clone(), counter.clone());
        async move {
            use axum::response::IntoResponse as _;
            let roll: f64 = rng.lock().unwrap().gen();
            if roll < 0.15 {
                counter.fetch_add(1, Ordering::Relaxed);
                return (
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "0")],
                    "slow down",
                )
                    .into_response();
            }
            if roll < 0.2 {
                counter.fetch_add(1, Ordering::Relaxed);
                return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response();
            }
            let path = request
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let key = request.headers().get("x-api-key").cloned();
            let mut forwarded = http.get(format!("{upstream}{path}"));
            if let Some(key) = key {
                forwarded = forwarded.header("x-api-key", key);
            }
            let answer = forwarded.send().await.unwrap();
            let status = axum::http::StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let content_type = answer
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let body = answer.bytes().await.unwrap();
            (status, [("content-type", content_type)], body).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), refused)
}

async fn a_killed_import_through_a_flaky_source_continues_to_the_same_result(backend: Backend) {
    let (base, key, _source_place, _source_server) = source().await;
    let (flaky, refused) = flaky_proxy(base.clone()).await;
    let target = Place::new(backend).await;
    // Slow enough to be stopped half-way; killed as a power cut would.
    let mut first = target
        .command(&["import", "--from", &flaky, "--key", &key, "--rate", "25"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        first.try_wait().unwrap().is_none(),
        "the import should still be running"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    let started = Instant::now();
    let output = target
        .command(&["import", "--from", &flaky, "--key", &key, "--rate", "1000"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(120));
    assert!(
        refused.load(Ordering::Relaxed) > 0,
        "the proxy refused some requests"
    );
    let retried: u64 = report
        .lines()
        .find(|l| l.contains("requests to the source"))
        .and_then(|l| l.split('(').nth(1))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(retried > 0, "the refused requests were retried: {report}");
    let (target_base, target_key, _target_server) = target_api(&target);
    assert_same(
        &everything(&base, &key).await,
        &everything(&target_base, &target_key).await,
    );
}

crate::backend_tests!(
    the_whole_account_comes_along_and_a_second_run_changes_nothing,
    a_killed_import_through_a_flaky_source_continues_to_the_same_result,
);
