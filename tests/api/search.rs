//! Global search (`GET /search`): records of every searchable type found by
//! their names and non-secret text, best first, kept current by every write,
//! within the caller's account only.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{urlencode, TestApp};

/// The (type, id) pairs of a search's results, in order.
async fn search(app: &TestApp, query: &str) -> Vec<(String, i64)> {
    let (status, body) = app
        .get(&format!("/search?query={}", urlencode(query)))
        .await;
    assert_eq!(status, 200, "{body}");
    hits(&body)
}

fn hits(body: &Value) -> Vec<(String, i64)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["type"].as_str().unwrap().to_string(),
                o["id"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

fn has(found: &[(String, i64)], kind: &str, id: i64) -> bool {
    found.iter().any(|(k, i)| k == kind && *i == id)
}

struct Client {
    org: i64,
    firewall: i64,
    contact: i64,
    location: i64,
    domain: i64,
    document: i64,
    password: i64,
    asset: i64,
}

async fn client(app: &TestApp) -> Client {
    let org = app
        .create(
            "/organizations",
            json!({"name": "Northwind Traders", "quick-notes": "Closed on Fridays"}),
        )
        .await;
    let firewall_type = app.catalog_id("/configuration_types", "Firewall").await;
    let firewall = app
        .create(
            "/configurations",
            json!({"organization-id": org, "configuration-type-id": firewall_type, "name": "FW01 edge", "hostname": "fw01.northwind.test",
                "primary-ip": "10.20.30.40", "mac-address": "00:1A:2B:3C:4D:5E",
                "serial-number": "SN-77-QX"}),
        )
        .await;
    let contact = app
        .create(
            "/contacts",
            json!({"organization-id": org, "first-name": "Alice", "last-name": "Marlowe",
                "contact-emails": [{"value": "alice.marlowe@northwind.test", "label-name": "Work"}]}),
        )
        .await;
    let location = app
        .create(
            "/locations",
            json!({"organization-id": org, "name": "Head office", "city": "Tilburg"}),
        )
        .await;
    let domain = app
        .create(
            "/domains",
            json!({"organization-id": org, "name": "northwind-traders.test"}),
        )
        .await;
    let document = app
        .create(
            "/documents",
            json!({"organization-id": org, "name": "Backup runbook",
                "content": "<p class=\"zanzibar\">Rotate the <b>tapes</b> every Tuesday</p>"}),
        )
        .await;
    let password = app
        .create(
            "/passwords",
            json!({"organization-id": org, "name": "Edge admin", "username": "netadmin",
                "password": "zebracorn-secret-99", "url": "https://fw01.northwind.test"}),
        )
        .await;
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Wireless"},
            "relationships": {"flexible_asset_fields": {"data": [
                {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "SSID",
                    "kind": "Text", "required": true, "use-for-title": true, "show-in-list": true}},
                {"type": "flexible_asset_fields", "attributes": {"order": 2, "name": "Notes",
                    "kind": "Textbox"}}
            ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let type_id = body["data"]["id"].as_str().unwrap().parse::<i64>().unwrap();
    let asset = app
        .create(
            "/flexible_assets",
            json!({"organization-id": org, "flexible-asset-type-id": type_id,
                "traits": {"ssid": "NW-Guest", "notes": "Captive portal by Quokkanet"}}),
        )
        .await;
    Client {
        org,
        firewall,
        contact,
        location,
        domain,
        document,
        password,
        asset,
    }
}

async fn every_type_is_found_by_its_text_and_no_secret_is(app: TestApp) {
    let c = client(&app).await;
    // Names, hostnames, addresses and serials of configurations.
    assert_eq!(
        search(&app, "fw01").await[0],
        ("configurations".into(), c.firewall)
    );
    assert!(has(
        &search(&app, "10.20.30.40").await,
        "configurations",
        c.firewall
    ));
    assert!(
        has(&search(&app, "10.20.3").await, "configurations", c.firewall),
        "an address prefix"
    );
    assert!(has(
        &search(&app, "00:1a:2b:3c").await,
        "configurations",
        c.firewall
    ));
    assert!(has(
        &search(&app, "sn-77-qx").await,
        "configurations",
        c.firewall
    ));
    let found = search(&app, "northw").await;
    assert!(has(&found, "organizations", c.org), "{found:?}");
    // A record named by the words ranks above one that only mentions them
    // (the password's URL holds fw01 too).
    assert_eq!(search(&app, "fw01").await.len(), 2);
    assert!(has(&search(&app, "fridays").await, "organizations", c.org));
    // Contacts by name and email, locations, domains.
    assert!(has(
        &search(&app, "alice marl").await,
        "contacts",
        c.contact
    ));
    assert!(has(
        &search(&app, "alice.marlowe@northwind").await,
        "contacts",
        c.contact
    ));
    assert!(has(&search(&app, "tilburg").await, "locations", c.location));
    assert!(has(
        &search(&app, "northwind-traders.test").await,
        "domains",
        c.domain
    ));
    // A document by its text, not its markup.
    assert!(has(
        &search(&app, "tapes tuesday").await,
        "documents",
        c.document
    ));
    assert!(
        search(&app, "zanzibar").await.is_empty(),
        "markup is not text"
    );
    // Passwords by name, username and URL; never by the secret.
    assert!(has(
        &search(&app, "netadmin").await,
        "passwords",
        c.password
    ));
    assert!(
        search(&app, "zebracorn").await.is_empty(),
        "a secret is never indexed"
    );
    // Flexible assets by their traits.
    assert!(has(
        &search(&app, "quokkanet").await,
        "flexible-assets",
        c.asset
    ));
    assert!(has(
        &search(&app, "nw-guest").await,
        "flexible-assets",
        c.asset
    ));
    // Every word must match.
    assert!(search(&app, "fw01 tuesday").await.is_empty());

    // The results render as their lists do: no password value.
    let (status, body) = app.get("/search?query=edge").await;
    assert_eq!(status, 200, "{body}");
    let password = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "passwords")
        .expect("the password is found by its name");
    assert_eq!(password["attributes"]["username"], "netadmin");
    assert!(
        password["attributes"].get("password").is_none(),
        "{password}"
    );
    assert_eq!(
        body["meta"]["type-counts"]["passwords"], 1,
        "{}",
        body["meta"]
    );
    assert_eq!(body["meta"]["type-counts"]["configurations"], 1);
    assert_eq!(body["meta"]["total-count"], 2);
    assert_eq!(body["meta"]["query"], "edge");
}

async fn filters_and_pages_narrow_the_results(app: TestApp) {
    let c = client(&app).await;
    let other = app
        .create(
            "/organizations",
            json!({"name": "Contoso Northwind Branch"}),
        )
        .await;
    let (_, body) = app
        .get("/search?query=northwind&filter[type]=organizations")
        .await;
    let mut found: Vec<i64> = hits(&body).into_iter().map(|(_, id)| id).collect();
    found.sort_unstable();
    assert_eq!(found, vec![c.org, other]);
    assert!(hits(&body).iter().all(|(k, _)| k == "organizations"));

    let (_, body) = app
        .get(&format!(
            "/search?query=northwind&filter[organization_id]={other}"
        ))
        .await;
    assert_eq!(hits(&body), vec![("organizations".to_string(), other)]);

    let (_, body) = app
        .get("/search?query=northwind&filter[type]=configurations,passwords")
        .await;
    let found = hits(&body);
    assert!(has(&found, "configurations", c.firewall) && has(&found, "passwords", c.password));
    assert_eq!(found.len(), 2, "{found:?}");

    let (_, first) = app
        .get("/search?query=northwind&filter[type]=organizations&page[size]=1")
        .await;
    let (_, second) = app
        .get("/search?query=northwind&filter[type]=organizations&page[size]=1&page[number]=2")
        .await;
    assert_eq!(first["meta"]["total-count"], 2);
    assert_eq!(first["meta"]["next-page"], 2);
    assert_eq!(hits(&first).len(), 1);
    assert_eq!(hits(&second).len(), 1);
    assert_ne!(hits(&first), hits(&second));
    let (_, past) = app
        .get("/search?query=northwind&filter[type]=organizations&page[size]=1&page[number]=9")
        .await;
    assert_eq!(hits(&past), vec![]);
    assert_eq!(
        past["meta"]["total-count"], 2,
        "counted past the last page too"
    );
    assert_eq!(past["meta"]["type-counts"]["organizations"], 2);
    let _ = (c.location, c.domain, c.document, c.asset, c.contact);
}

async fn writes_keep_the_index_current(app: TestApp) {
    let c = client(&app).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{}", c.firewall),
            json!({"data": {"type": "configurations", "attributes": {"name": "Perimeter gateway"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(has(
        &search(&app, "perimeter").await,
        "configurations",
        c.firewall
    ));
    assert!(
        search(&app, "edge")
            .await
            .iter()
            .all(|(k, _)| k != "configurations"),
        "the old name is gone"
    );

    // An embedded password goes with its configuration.
    let embedded = app
        .create(
            "/passwords",
            json!({"organization-id": c.org, "name": "Gateway console", "password": "x",
                "resource-type": "Configuration", "resource-id": c.firewall}),
        )
        .await;
    assert!(has(&search(&app, "console").await, "passwords", embedded));
    let (status, body) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": c.firewall}}]}),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    assert!(search(&app, "perimeter").await.is_empty());
    assert!(
        search(&app, "console").await.is_empty(),
        "the embedded password went too"
    );

    // An organization's delete takes everything it holds out of search.
    assert!(!search(&app, "tapes").await.is_empty());
    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [{"type": "organizations", "attributes": {"id": c.org}}]}),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    for word in ["northwind", "tapes", "netadmin", "quokkanet", "tilburg"] {
        assert!(search(&app, word).await.is_empty(), "{word} is still found");
    }
}

async fn search_stays_in_the_callers_account(app: TestApp) {
    let c = client(&app).await;
    let (status, body) = app.get_as(&app.other_key, "/search?query=northwind").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(hits(&body), vec![], "another account finds nothing of ours");
    let (status, body) = app
        .send_as(
            &app.other_key,
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Northwind Rival"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let rival: i64 = body["data"]["id"].as_str().unwrap().parse().unwrap();
    let (_, body) = app.get_as(&app.other_key, "/search?query=northwind").await;
    assert_eq!(hits(&body), vec![("organizations".to_string(), rival)]);
    assert!(!has(
        &search(&app, "northwind").await,
        "organizations",
        rival
    ));
    // An organization filter naming another account's organization finds nothing.
    let (_, body) = app
        .get_as(
            &app.other_key,
            &format!("/search?query=northwind&filter[organization_id]={}", c.org),
        )
        .await;
    assert_eq!(hits(&body), vec![]);
}

async fn bad_searches_are_400s_that_name_the_parameter(app: TestApp) {
    let before = app.database_fingerprint().await;
    for (path, parameter) in [
        ("/search", "query"),
        ("/search?query=", "query"),
        ("/search?query=%2D%2D%20%21", "query"),
        ("/search?query=a%00b", "query"),
        ("/search?query=fw&filter[name]=x", "filter[name]"),
        ("/search?query=fw&filter[type]=users", "filter[type]"),
        (
            "/search?query=fw&filter[organization_id]=abc",
            "filter[organization_id]",
        ),
        ("/search?query=fw&sort=name", "sort"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(
            body["errors"][0]["source"]["parameter"], parameter,
            "{path}: {body}"
        );
    }
    let long = "a".repeat(201);
    let (status, _) = app.get(&format!("/search?query={long}")).await;
    assert_eq!(status, 400);
    // Operators of either store's query language are plain words here.
    for query in ["\"", "fw01 OR", "NOT fw", "a:*", "x & y | !z", "(", "*"] {
        let (status, body) = app
            .get(&format!("/search?query={}", urlencode(query)))
            .await;
        assert!(status == 200 || status == 400, "{query}: {status} {body}");
    }
    assert_eq!(
        before,
        app.database_fingerprint().await,
        "nothing was written"
    );
}

async fn records_written_before_the_index_are_indexed_at_start_up(app: TestApp) {
    let c = client(&app).await;
    // As a database made before search: no entries, no built version.
    for table in ["search_entries", "search_index_state"] {
        let mut sql = app.store.sql();
        sql.push(&format!("DELETE FROM {table}"));
        app.store.execute(&sql).await.unwrap();
    }
    assert!(search(&app, "fw01").await.is_empty());
    let (base, _guard) = app.second_server().await.unwrap();
    let body: Value = app
        .client
        .get(format!("{base}/search?query=fw01"))
        .header("x-api-key", &app.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        hits(&body)[0],
        ("configurations".to_string(), c.firewall),
        "{body}"
    );
    assert!(has(
        &search(&app, "quokkanet").await,
        "flexible-assets",
        c.asset
    ));
}

/// Writers at once (so their writes share commits): every record is found
/// by its current name and by nothing it no longer holds, renamed and
/// deleted ones included, and a word's count is exact.
async fn concurrent_writes_keep_the_index_exact(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Concurrent Co"}))
        .await;
    let kind = app.catalog_id("/configuration_types", "Firewall").await;
    let app = std::sync::Arc::new(app);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut kept = Vec::new();
                for i in 0..6 {
                    let id = app
                        .create(
                            "/configurations",
                            json!({"organization-id": org, "configuration-type-id": kind,
                                "name": format!("zebrafleet w{w}n{i} draftname")}),
                        )
                        .await;
                    match i % 3 {
                        0 => {
                            let (status, body) = app
                                .send(
                                    Method::PATCH,
                                    &format!("/configurations/{id}"),
                                    json!({"data": {"type": "configurations",
                                        "attributes": {"name": format!("zebrafleet w{w}n{i} finalname")}}}),
                                )
                                .await;
                            assert_eq!(status, 200, "{body}");
                            kept.push((id, format!("w{w}n{i}"), "finalname"));
                        }
                        1 => {
                            let (status, body) = app
                                .send(
                                    Method::DELETE,
                                    "/configurations",
                                    json!({"data": [{"type": "configurations", "attributes": {"id": id}}]}),
                                )
                                .await;
                            assert!(status < 300, "{status} {body}");
                        }
                        _ => kept.push((id, format!("w{w}n{i}"), "draftname")),
                    }
                }
                kept
            })
        })
        .collect();
    let mut kept = Vec::new();
    for writer in writers {
        kept.extend(writer.await.unwrap());
    }
    assert_eq!(kept.len(), 32);
    for (id, tag, name) in &kept {
        let found = search(&app, &format!("{tag} {name}")).await;
        assert_eq!(
            found,
            vec![("configurations".to_string(), *id)],
            "{tag} {name}"
        );
    }
    let (status, body) = app.get("/search?query=zebrafleet").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["total-count"], 32, "{}", body["meta"]);
    let (_, body) = app.get("/search?query=finalname").await;
    assert_eq!(body["meta"]["total-count"], 16, "{}", body["meta"]);
    let (_, body) = app.get("/search?query=draftname").await;
    assert_eq!(
        body["meta"]["total-count"], 16,
        "renamed records are not found by their old names: {}",
        body["meta"]
    );
}

/// A word in more records than a search reads: the record it names still
/// comes first, and the counts say they are the least there are.
async fn a_common_word_still_finds_the_record_it_names(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Harbour Freight"}))
        .await;
    let server = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let route = format!("/organizations/{org}/relationships/configurations");
    let many = 1010;
    for batch in (0..many).collect::<Vec<_>>().chunks(202) {
        let data: Vec<Value> = batch
            .iter()
            .map(|i| {
                json!({"type": "configurations", "attributes": {
                    "name": format!("HF-{i:04}"), "configuration-type-id": server,
                    "notes": "Replicates to the quasar array nightly"}})
            })
            .collect();
        let (status, body) = app
            .send(Method::POST, &route, json!({ "data": data }))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let named = app
        .create(
            "/configurations",
            json!({"organization-id": org, "configuration-type-id": server, "name": "Quasar array"}),
        )
        .await;

    let (status, body) = app.get("/search?query=quasar&page[size]=5").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        hits(&body)[0],
        ("configurations".to_string(), named),
        "the record whose name holds the word comes first: {body}"
    );
    assert_eq!(hits(&body).len(), 5);
    // The first window + 1 matches read, and the named one beside them
    // unless it is among them: SQLite reads in key order, where the named
    // one is last; PostgreSQL in table order, where a row may take the
    // room an earlier one left.
    let window = mortar::store::SEARCH_WINDOW;
    assert_eq!(body["meta"]["counts-exact"], false, "{}", body["meta"]);
    let total = body["meta"]["total-count"].as_i64().unwrap();
    match app.store.dialect() {
        mortar::store::Dialect::Sqlite => assert_eq!(total, window + 2),
        mortar::store::Dialect::Postgres => assert!(
            (window + 1..=window + 2).contains(&total),
            "{}",
            body["meta"]
        ),
    }
    assert_eq!(body["meta"]["type-counts"]["configurations"], total);
    // Past the last page: the same counts, on their own.
    let (_, past) = app
        .get("/search?query=quasar&page[size]=1000&page[number]=99")
        .await;
    assert_eq!(hits(&past), vec![]);
    assert_eq!(past["meta"]["total-count"], body["meta"]["total-count"]);
    assert_eq!(past["meta"]["counts-exact"], body["meta"]["counts-exact"]);

    // A word in fewer records is counted exactly on both stores.
    let (_, body) = app.get("/search?query=harbour").await;
    assert_eq!(body["meta"]["counts-exact"], true, "{}", body["meta"]);
    assert_eq!(body["meta"]["total-count"], 1);
}

crate::api_tests!(
    every_type_is_found_by_its_text_and_no_secret_is,
    filters_and_pages_narrow_the_results,
    writes_keep_the_index_current,
    search_stays_in_the_callers_account,
    bad_searches_are_400s_that_name_the_parameter,
    records_written_before_the_index_are_indexed_at_start_up,
    a_common_word_still_finds_the_record_it_names,
    concurrent_writes_keep_the_index_exact,
);
