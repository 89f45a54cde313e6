//! The API's conventions, shared by every route: auth, media types, errors,
//! paging, sorting, filtering, includes, request ids, rate limits and the
//! leniencies existing IT Glue scripts rely on.

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use mortar::resources::ALL;

use crate::helpers::{read, Backend, TestApp};
use crate::records::{with_query, Records, LIST_NEEDS};

/// The list routes the API had when they were kept by hand: the routes
/// derived from the definitions must still include every one.
const HAND_KEPT_LISTS: &[&str] = &[
    "/organizations",
    "/organization_types",
    "/organization_statuses",
    "/configuration_types",
    "/configuration_statuses",
    "/contact_types",
    "/password_categories",
    "/manufacturers",
    "/models",
    "/platforms",
    "/operating_systems",
    "/countries",
    "/regions",
    "/logs",
    "/configurations",
    "/contacts",
    "/locations",
    "/domains",
    "/documents",
    "/expirations",
    "/passwords",
    "/organizations/{organizations}/relationships/configurations",
    "/organizations/{organizations}/relationships/contacts",
    "/organizations/{organizations}/relationships/locations",
    "/organizations/{organizations}/relationships/domains",
    "/organizations/{organizations}/relationships/documents",
    "/organizations/{organizations}/relationships/expirations",
    "/organizations/{organizations}/relationships/passwords",
    "/manufacturers/{manufacturers}/relationships/models",
    "/countries/{countries}/relationships/regions",
];

/// Every list route the definitions give, a parent's id as `{parent route}`:
/// `/{route}` for each listable top-level type, and
/// `/{parent}/{id}/relationships/{route}` for each parent of a listable type.
fn list_routes() -> Vec<String> {
    let mut out = Vec::new();
    for resource in ALL.iter().filter(|r| r.ops.list) {
        if resource.ops.top_level && resource.ops.list_top_level {
            let mut route = format!("/{}", resource.route);
            for (_, filter, target) in LIST_NEEDS.iter().filter(|(r, ..)| *r == resource.route) {
                route = with_query(&route, &format!("filter[{filter}]={{{target}}}"));
            }
            out.push(route);
        }
        for parent in resource.parents() {
            let mut route = format!(
                "/{0}/{{{0}}}/relationships/{1}",
                parent.route, resource.route
            );
            for (_, filter, target) in LIST_NEEDS.iter().filter(|(r, ..)| *r == resource.route) {
                route = with_query(&route, &format!("filter[{filter}]={{{target}}}"));
            }
            out.push(route);
        }
    }
    out
}

/// Every list route, with its parent's id filled in by a record of account A
/// (the first of the parent's list, or one made for the purpose).
async fn lists(app: &TestApp) -> Vec<String> {
    let mut records = Records::new(app);
    let mut out = Vec::new();
    for route in list_routes() {
        let mut filled = route.clone();
        for parent in ALL
            .iter()
            .map(|r| r.route)
            .filter(|p| route.contains(&format!("{{{p}}}")))
        {
            let id = records
                .one(parent)
                .await
                .unwrap_or_else(|e| panic!("a {parent} record for {route}: {e}"));
            filled = filled.replace(&format!("{{{parent}}}"), &id.to_string());
        }
        out.push(filled);
    }
    out
}

#[test]
fn list_routes_come_from_the_definitions_and_lose_none_of_the_hand_kept_ones() {
    let derived = list_routes();
    for route in HAND_KEPT_LISTS {
        assert!(
            derived.iter().any(|d| d == route),
            "{route} is no longer derived from the definitions: {derived:?}"
        );
    }
    assert!(derived.len() >= HAND_KEPT_LISTS.len());
    let mut unique = derived.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), derived.len(), "{derived:?}");
}

fn is_error_document(body: &Value, status: u16) -> bool {
    body["errors"].as_array().is_some_and(|errors| {
        !errors.is_empty()
            && errors
                .iter()
                .all(|e| e["status"] == status.to_string().as_str())
    })
}

async fn missing_key_is_401_and_unknown_key_is_403(app: TestApp) {
    let response = app
        .client
        .get(format!("{}/organizations", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.api+json"
    );
    let (status, body) = read(response).await;
    assert_eq!(status, 401);
    assert!(is_error_document(&body, 401), "{body}");

    let (status, body) = app.get_as("mtr_not_a_real_key", "/organizations").await;
    assert_eq!(status, 403);
    assert!(is_error_document(&body, 403), "{body}");
}

async fn a_revoked_key_is_refused_within_five_seconds(app: TestApp) {
    let key = app
        .store
        .create_key(&app.account, "short-lived", false, None)
        .await
        .unwrap();
    assert_eq!(
        app.get_as(&key.secret, "/regions?page[size]=1").await.0,
        200
    );
    assert!(app.store.revoke_key(key.id).await.unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, _) = app.get_as(&key.secret, "/regions?page[size]=1").await;
        if status == 403 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "revoked key still accepted after 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

async fn any_valid_key_can_list_regions_and_organizations(app: TestApp) {
    for key in [&app.key, &app.plain_key, &app.other_key] {
        assert_eq!(app.get_as(key, "/regions").await.0, 200);
        assert_eq!(app.get_as(key, "/organizations").await.0, 200);
    }
}

async fn bodies_need_a_json_media_type(app: TestApp) {
    let body =
        json!({"data": {"type": "manufacturers", "attributes": {"name": "Juniper"}}}).to_string();
    let response = app
        .request(Method::POST, "/manufacturers")
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let (status, errors) = read(response).await;
    assert_eq!(status, 415);
    assert!(is_error_document(&errors, 415));
    assert_eq!(
        app.get("/manufacturers?filter[name]=Juniper").await.1["meta"]["total-count"],
        0
    );

    for (i, media_type) in [
        "application/vnd.api+json; charset=utf-8",
        "application/json",
        "Application/JSON",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({"data": {"type": "manufacturers", "attributes": {"name": format!("Maker {i}")}}});
        let response = app
            .request(Method::POST, "/manufacturers")
            .header("content-type", *media_type)
            .header("accept", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{media_type}");
    }
}

async fn content_type_and_accept_on_reads_are_ignored(app: TestApp) {
    for accept in ["application/json", "*/*", "text/html"] {
        let response = app
            .request(Method::GET, "/organizations")
            .header("content-type", "text/plain")
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{accept}");
    }
}

async fn oversized_bodies_get_413(app: TestApp) {
    let big = "x".repeat(10 * 1024 * 1024 + 10);
    let body = json!({"data": {"type": "manufacturers", "attributes": {"name": big}}});
    let (status, errors) = app.send(Method::POST, "/manufacturers", body).await;
    assert_eq!(status, 413);
    assert!(is_error_document(&errors, 413), "{errors}");
}

async fn malformed_json_gets_400(app: TestApp) {
    let response = app
        .request(Method::POST, "/manufacturers")
        .header("content-type", "application/vnd.api+json")
        .body("{\"data\": {")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 400);
    assert!(is_error_document(&body, 400));
}

async fn validation_failures_list_every_problem_with_pointers(app: TestApp) {
    let (status, body) = app
        .send(
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {
                "organization-type-id": "not-a-number",
                "short-name": "x".repeat(300),
            }}}),
        )
        .await;
    assert_eq!(status, 422);
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"]["pointer"].as_str().unwrap())
        .collect();
    assert!(pointers.contains(&"/data/attributes/name"), "{body}");
    assert!(
        pointers.contains(&"/data/attributes/organization-type-id"),
        "{body}"
    );
    assert!(pointers.contains(&"/data/attributes/short-name"), "{body}");
    assert_eq!(app.get("/organizations").await.1["meta"]["total-count"], 1);

    let (status, body) = app
        .send(
            Method::POST,
            "/organizations",
            json!({"data": {"type": "contacts", "attributes": {"name": "X"}}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/type");
}

async fn unknown_routes_are_404_and_wrong_methods_405(app: TestApp) {
    let (status, body) = app.get("/no_such_things").await;
    assert_eq!(status, 404);
    assert!(is_error_document(&body, 404));
    let (status, body) = app.send(Method::PUT, "/organizations", json!({})).await;
    assert_eq!(status, 405);
    assert!(is_error_document(&body, 405));
    let (status, body) = app
        .send(Method::POST, "/countries", json!({"data": {}}))
        .await;
    assert_eq!(status, 405, "{body}");
    let (status, _) = app.get("/organizations/abc").await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/organizations/999999").await;
    assert_eq!(status, 404);
}

async fn responses_use_the_reference_wire_shapes(app: TestApp) {
    let id = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let response = app
        .request(Method::GET, &format!("/organizations/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.api+json"
    );
    let (_, body) = read(response).await;
    let data = &body["data"];
    assert_eq!(data["id"], id.to_string());
    assert_eq!(data["type"], "organizations");
    assert!(data.get("relationships").is_none());
    let attributes = data["attributes"].as_object().unwrap();
    for name in [
        "name",
        "alert",
        "description",
        "organization-type-id",
        "organization-type-name",
        "organization-status-id",
        "organization-status-name",
        "primary",
        "logo",
        "quick-notes",
        "short-name",
        "parent-id",
        "ancestor-ids",
        "created-at",
        "updated-at",
        "my-glue-account-id",
    ] {
        assert!(attributes.contains_key(name), "missing {name}: {body}");
    }
    assert_eq!(attributes["alert"], Value::Null);
    assert_eq!(attributes["logo"], "");
    assert_eq!(attributes["primary"], false);
    let created = attributes["created-at"].as_str().unwrap();
    assert_eq!(created.len(), 24, "{created}");
    assert!(
        created.ends_with('Z') && created.as_bytes()[19] == b'.',
        "{created}"
    );
}

async fn lists_page_with_meta_and_absolute_links(app: TestApp) {
    for i in 0..7 {
        app.create("/manufacturers", json!({"name": format!("Vendor {i:02}")}))
            .await;
    }
    // 10 default manufacturers + 7.
    let (status, body) = app
        .get("/manufacturers?page[size]=5&page[number]=2&sort=name")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    let meta = &body["meta"];
    assert_eq!(meta["current-page"], 2);
    assert_eq!(meta["next-page"], 3);
    assert_eq!(meta["prev-page"], 1);
    assert_eq!(meta["total-pages"], 4);
    assert_eq!(meta["total-count"], 17);
    assert_eq!(meta["has-next-page"], true);
    assert!(meta["filters"].is_object());
    let links = &body["links"];
    let next = links["next"].as_str().unwrap();
    assert!(next.starts_with(&app.base), "{next}");
    assert!(
        next.contains("page%5Bnumber%5D=3") && next.contains("sort=name"),
        "{next}"
    );
    for key in ["self", "first", "prev", "last"] {
        assert!(links[key].as_str().unwrap().starts_with("http://"), "{key}");
    }

    // Following next links walks every record exactly once.
    let mut seen = Vec::new();
    let mut url = format!("{}/manufacturers?page[size]=5&sort=-name", app.base);
    loop {
        let response = app
            .client
            .get(&url)
            .header("x-api-key", &app.key)
            .send()
            .await
            .unwrap();
        let (_, page) = read(response).await;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["attributes"]["name"].clone()),
        );
        match page["links"].get("next") {
            Some(next) => url = next.as_str().unwrap().to_string(),
            None => {
                assert_eq!(page["meta"]["next-page"], Value::Null);
                assert_eq!(page["meta"]["has-next-page"], false);
                break;
            }
        }
    }
    assert_eq!(seen.len(), 17);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.as_str().cmp(&a.as_str()));
    assert_eq!(seen, sorted);

    let (status, body) = app.get("/manufacturers?page[number]=99").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]));

    let (status, body) = app.get("/manufacturers?page[size]=1001").await;
    assert_eq!(status, 400);
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("1000"));
    assert_eq!(app.get("/manufacturers?page[size]=1000").await.0, 200);
}

/// Lists whose records have neither a name nor a creation time, and whose
/// sorts the reference enumerates without them (user metrics: `id`,
/// `created`, `viewed`, `edited`, `deleted`, `date`).
const NO_NAME_OR_CREATED_AT: &[&str] = &["/user_metrics"];

async fn every_list_sorts_by_name_and_created_at_both_ways(app: TestApp) {
    for list in lists(&app).await {
        let sorts: &[&str] = if NO_NAME_OR_CREATED_AT.contains(&list.as_str()) {
            &["id", "-id", "date", "-created"]
        } else {
            &["name", "-name", "created-at", "-created_at", "id", "-id"]
        };
        for sort in sorts {
            let (status, body) = app
                .get(&with_query(&list, &format!("sort={sort}&page[size]=3")))
                .await;
            assert_eq!(status, 200, "{list} sort={sort}: {body}");
        }
        let (status, body) = app.get(&with_query(&list, "sort=no_such_field")).await;
        assert_eq!(status, 400, "{list}");
        assert_eq!(body["errors"][0]["source"]["parameter"], "sort");
        let (status, _) = app
            .get(&with_query(&list, "filter[no_such_filter]=1"))
            .await;
        assert_eq!(status, 400, "{list}");
        let (status, _) = app.get(&with_query(&list, "include=no_such_include")).await;
        assert_eq!(status, 400, "{list}");
        let (status, _) = app.get(&with_query(&list, "page[size]=1001")).await;
        assert_eq!(status, 400, "{list}");
    }
}

async fn sorting_orders_records(app: TestApp) {
    let (_, body) = app.get("/countries?sort=iso&page[size]=1000").await;
    let codes: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attributes"]["iso"].as_str().unwrap())
        .collect();
    assert!(codes.len() > 240);
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "not ascending");
    let (_, body) = app.get("/countries?sort=-iso&page[size]=1").await;
    assert_eq!(body["data"][0]["attributes"]["iso"], "ZW");
    let (_, body) = app
        .get("/manufacturers?sort=-created_at,name&page[size]=2")
        .await;
    assert_eq!(
        body["data"][0]["attributes"]["name"], "Apple",
        "same created-at: name breaks the tie"
    );
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let response = app
        .request(Method::GET, "/organizations")
        .header("x-request-id", "script-run-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "script-run-42");

    let response = app
        .request(Method::GET, "/organizations/0")
        .header("x-request-id", "not safe; <script>")
        .send()
        .await
        .unwrap();
    let made = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(made, "not safe; <script>");
    assert!(!made.is_empty() && made.len() <= 32);
    let (status, body) = read(response).await;
    assert_eq!(status, 404);
    assert_eq!(body["meta"]["request-id"], made.as_str());

    let longest = "a".repeat(32);
    let response = app
        .request(Method::GET, "/organizations")
        .header("x-request-id", &longest)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], longest.as_str());
    let too_long = "b".repeat(33);
    let response = app
        .request(Method::GET, "/organizations/0")
        .header("x-request-id", &too_long)
        .send()
        .await
        .unwrap();
    let made = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(made, too_long);
    assert!(!made.is_empty() && made.len() <= 32, "{made}");
    let (status, body) = read(response).await;
    assert_eq!(status, 404);
    assert_eq!(body["meta"]["request-id"], made.as_str());

    let response = app
        .client
        .get(format!("{}/organizations", app.base))
        .header("x-request-id", "unauthenticated-7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-request-id"],
        "unauthenticated-7",
        "even a 401 carries one"
    );
    let (status, body) = read(response).await;
    assert_eq!(status, 401);
    assert_eq!(body["meta"]["request-id"], "unauthenticated-7");
}

async fn lists_default_to_fifty_a_page(app: TestApp) {
    let (status, body) = app.get("/countries").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 50);
    let total = body["meta"]["total-count"].as_u64().unwrap();
    assert!(total > 50);
    assert_eq!(body["meta"]["total-pages"], total.div_ceil(50));
    assert_eq!(body["meta"]["next-page"], 2);
}

async fn next_links_carry_the_filters_and_sorts_of_the_request(app: TestApp) {
    for i in 0..3 {
        app.create("/organizations", json!({"name": format!("Linked {i}")}))
            .await;
    }
    let (status, body) = app
        .get("/organizations?filter[name]=Linked 0,Linked 1,Linked 2&filter[exclude][name]=Linked 1&sort=-name&page[size]=1")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["total-count"], 2);
    assert_eq!(body["data"][0]["attributes"]["name"], "Linked 2");
    let next = body["links"]["next"].as_str().unwrap().to_string();
    for part in [
        "filter",
        "exclude",
        "Linked",
        "sort=-name",
        "page%5Bsize%5D=1",
    ] {
        assert!(next.contains(part), "{part} missing from {next}");
    }
    let response = app
        .client
        .get(&next)
        .header("x-api-key", &app.key)
        .send()
        .await
        .unwrap();
    let (status, page) = read(response).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["meta"]["total-count"], 2, "the filters came along");
    assert_eq!(page["meta"]["current-page"], 2);
    assert_eq!(
        page["data"][0]["attributes"]["name"], "Linked 0",
        "the sort came along"
    );
    assert!(page["links"].get("next").is_none());
}

async fn a_delete_with_a_stray_content_type_and_no_body_asks_for_data_or_a_filter(app: TestApp) {
    let response = app
        .request(Method::DELETE, "/organizations")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("needs a data array of ids or at least one filter"),
        "{body}"
    );
    assert!(
        app.get("/organizations").await.1["meta"]["total-count"]
            .as_u64()
            .unwrap()
            > 0
    );
}

async fn a_body_without_a_content_type_gets_415(app: TestApp) {
    let response = app
        .request(Method::POST, "/manufacturers")
        .body(
            json!({"data": {"type": "manufacturers", "attributes": {"name": "Untyped"}}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("content-type").is_some());
    let (status, body) = read(response).await;
    assert_eq!(status, 415, "{body}");
    assert!(is_error_document(&body, 415), "{body}");
    assert_eq!(
        app.get("/manufacturers?filter[name]=Untyped").await.1["meta"]["total-count"],
        0
    );
}

async fn a_chunked_body_over_ten_megabytes_gets_413(app: TestApp) {
    let address = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /manufacturers HTTP/1.1\r\nHost: {address}\r\nx-api-key: {}\r\n\
         Content-Type: application/vnd.api+json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        app.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let opening = r#"{"data": {"type": "manufacturers", "attributes": {"name": ""#;
    stream
        .write_all(format!("{:x}\r\n{opening}\r\n", opening.len()).as_bytes())
        .await
        .unwrap();
    // 11 chunks of 1 MiB: the server may answer before it has read them all.
    let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, "x".repeat(1 << 20));
    for _ in 0..11 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let closing = r#""}}}"#;
    let _ = stream
        .write_all(format!("{:x}\r\n{closing}\r\n0\r\n\r\n", closing.len()).as_bytes())
        .await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"errors\""), "{response}");
}

async fn dashed_include_names_work_on_a_password(app: TestApp) {
    let organization = app.catalog_id("/organizations", "Acme IT").await;
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {
                "organization-id": organization, "name": "Versioned", "password": "first"
            }}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"password": "second"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for include in ["recent-versions", "recent_versions"] {
        let (status, body) = app.get(&format!("/passwords/{id}?include={include}")).await;
        assert_eq!(status, 200, "{include}: {body}");
        let included = body["included"].as_array().unwrap();
        assert!(!included.is_empty(), "{include}: {body}");
        assert!(
            included
                .iter()
                .all(|v| v["attributes"]["password-id"].as_i64() == id.parse().ok()),
            "{include}: {body}"
        );
        assert!(
            body["data"]["relationships"]["recent-versions"].is_object(),
            "{body}"
        );
    }
}

async fn trailing_slashes_bare_question_marks_and_api_prefix_route_the_same(app: TestApp) {
    let id = app
        .create("/organizations", json!({"name": "Slash Co"}))
        .await;
    for path in [
        "/organizations/".to_string(),
        "/organizations?".to_string(),
        "/api/organizations".to_string(),
        format!("/organizations/{id}/"),
        format!("/organizations/{id}?"),
        "/organization-types/".to_string(),
    ] {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
}

async fn the_key_header_is_case_insensitive_on_the_wire(app: TestApp) {
    let address = app.base.trim_start_matches("http://").to_string();
    for header in ["X-API-KEY", "X-Api-Key", "x-api-key"] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let request = format!(
            "GET /organizations HTTP/1.1\r\nHost: {address}\r\n{header}: {}\r\nConnection: close\r\n\r\n",
            app.key
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{header}: {response}");
    }
}

async fn dashed_and_underscored_names_are_one(app: TestApp) {
    let customer = app.catalog_id("/organization_types", "Customer").await;
    // Underscored type and attribute names, string ids, echoed computed and unknown attributes.
    let (status, body) = app
        .send(
            Method::POST,
            "/organizations",
            json!({
                "data": {"type": "organizations", "id": "", "attributes": {
                    "name": "Underscore Ltd",
                    "organization_type_id": customer.to_string(),
                    "organization-type-name": "ignored",
                    "created-at": "1999-01-01T00:00:00.000Z",
                    "not_a_field": 1,
                    "shortName": "under"
                }},
                "meta": {"echo": true},
                "links": {"self": "http://elsewhere"}
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["organization-type-id"], customer);
    assert_eq!(attributes["organization-type-name"], "Customer");
    assert_eq!(attributes["short-name"], "under");
    assert_ne!(attributes["created-at"], "1999-01-01T00:00:00.000Z");

    let (status, body) = app
        .send(
            Method::POST,
            "/configuration_types",
            json!({"data": {"type": "configuration_types", "attributes": {"name": "Kiosk"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["type"], "configuration-types");

    for query in [
        format!("filter[organization-type-id]={customer}"),
        format!("filter[organization_type_id]={customer}"),
        format!("filter%5Borganization_type_id%5D={customer}"),
    ] {
        let (status, body) = app
            .get(&format!("/organizations?{query}&sort=created-at"))
            .await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(body["meta"]["total-count"], 1, "{query}");
    }
    let (status, _) = app.get("/organizations?sort=-organization-type-name").await;
    assert_eq!(status, 200);
    let (status, _) = app.get("/manufacturers?include=Models").await;
    assert_eq!(status, 200);
}

async fn query_strings_tolerate_what_scripts_send(app: TestApp) {
    app.create("/manufacturers", json!({"name": "Big Vendor"}))
        .await;
    let (status, body) = app
        .get("/manufacturers?filter[name]=Big+Vendor&&sort=name&sort=name")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["total-count"], 1);
    let (status, body) = app
        .get("/manufacturers?filter%5Bname%5D=Big%20Vendor")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["total-count"], 1);
    let (status, _) = app.get("/manufacturers?sort=name&sort=-name").await;
    assert_eq!(status, 400);
    for flag in ["true", "True", "1"] {
        let (status, body) = app
            .get(&format!("/organizations?filter[primary]={flag}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["meta"]["total-count"], 1, "{flag}");
    }
    for flag in ["false", "False", "0"] {
        let (_, body) = app
            .get(&format!("/organizations?filter[primary]={flag}"))
            .await;
        assert_eq!(body["meta"]["total-count"], 0, "{flag}");
    }
    let (status, _) = app.get("/organizations?filter[primary]=maybe").await;
    assert_eq!(status, 400);
}

async fn authentication_and_rate_limits_write_nothing_to_the_database(app: TestApp) {
    use mortar::http::auth::KEY_CACHE_TTL;
    let before = app.database_fingerprint().await;
    let keys = [
        app.key.as_str(),
        app.plain_key.as_str(),
        app.other_key.as_str(),
        "mtr_unknown_key",
    ];
    let started = std::time::Instant::now();
    for i in 0..30 {
        let (status, body) = app
            .get_as(keys[i % keys.len()], "/regions?page[size]=1")
            .await;
        assert_eq!(status, if i % 4 == 3 { 403 } else { 200 }, "{body}");
        // Spread over more than a key cache lifetime, so keys are looked up again.
        tokio::time::sleep(KEY_CACHE_TTL / 25).await;
    }
    assert!(started.elapsed() > KEY_CACHE_TTL);
    assert_eq!(
        app.database_fingerprint().await,
        before,
        "authenticated reads changed the database"
    );
}

/// Rate limiting lives in memory, not in the store, so one backend proves it.
#[tokio::test]
async fn rate_limits_are_per_key_with_headers() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.rate_limit_requests = 3;
        args.rate_limit_window_secs = 60;
    })
    .await;
    // Windows start on the minute: begin well inside one, so the three
    // requests share it and its reset is still ahead when each answers.
    let into_minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if into_minute > 45 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - into_minute)).await;
    }
    for expected_remaining in [2, 1, 0] {
        let response = app
            .request(Method::GET, "/regions?page[size]=1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["x-ratelimit-limit"], "3");
        assert_eq!(
            headers["x-ratelimit-remaining"],
            expected_remaining.to_string().as_str()
        );
        let reset: u64 = headers["x-ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(reset > now && reset <= now + 60);
    }
    let response = app
        .request(Method::GET, "/regions?page[size]=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let (_, body) = read(response).await;
    assert!(is_error_document(&body, 429));
    // Another key has its own budget.
    assert_eq!(
        app.get_as(&app.other_key, "/regions?page[size]=1").await.0,
        200
    );
}

/// Every error object carries a stable machine `code` beside its status, so
/// an integration branches on the code, not on the wording of `detail`.
async fn errors_carry_a_stable_machine_code(app: TestApp) {
    let code = |body: &Value| {
        let errors = body["errors"].as_array().expect("an error document");
        let codes: Vec<&str> = errors.iter().filter_map(|e| e["code"].as_str()).collect();
        assert_eq!(codes.len(), errors.len(), "every error has a code: {body}");
        codes[0].to_string()
    };
    let unauthenticated = app
        .client
        .get(format!("{}/organizations", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(
        code(&unauthenticated.json().await.unwrap()),
        "missing_credentials"
    );
    let (status, body) = app.get_as("mtr_unknown", "/organizations").await;
    assert_eq!((status, code(&body).as_str()), (403, "invalid_credentials"));
    let (status, body) = app.get("/organizations/999999").await;
    assert_eq!((status, code(&body).as_str()), (404, "not_found"));
    let (status, body) = app.send(Method::PUT, "/organizations", json!({})).await;
    assert_eq!((status, code(&body).as_str()), (405, "method_not_allowed"));
    let (status, body) = app.get("/organizations?filter[no_such_field]=1").await;
    assert_eq!((status, code(&body).as_str()), (400, "invalid_parameter"));
    let (status, body) = app
        .send(
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {}}}),
        )
        .await;
    assert_eq!((status, code(&body).as_str()), (422, "validation_error"));
    let (status, body) = app
        .send_as(
            &app.plain_key,
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"name": "x", "password": "y"}}}),
        )
        .await;
    assert_eq!((status, code(&body).as_str()), (403, "forbidden"));
}

/// The id is the resource object's own member and never among its
/// attributes: clients that build objects from `id` plus every attribute
/// (the Python `itglue` client) break on a second `id`.
async fn no_resource_carries_its_id_among_its_attributes(app: TestApp) {
    let mut records = Records::new(&app);
    for resource in ALL
        .iter()
        .filter(|r| r.ops.show && r.ops.top_level && r.ops.list_top_level)
    {
        let id = records
            .one(resource.route)
            .await
            .unwrap_or_else(|e| panic!("a {} record: {e}", resource.route));
        let (status, body) = app.get(&format!("/{}/{id}", resource.route)).await;
        assert_eq!(status, 200, "{} {id}: {body}", resource.route);
        assert_eq!(body["data"]["id"], id.to_string());
        assert!(
            body["data"]["attributes"].get("id").is_none(),
            "{}: {body}",
            resource.route
        );
    }
}

crate::api_tests!(
    errors_carry_a_stable_machine_code,
    no_resource_carries_its_id_among_its_attributes,
    missing_key_is_401_and_unknown_key_is_403,
    a_revoked_key_is_refused_within_five_seconds,
    any_valid_key_can_list_regions_and_organizations,
    bodies_need_a_json_media_type,
    content_type_and_accept_on_reads_are_ignored,
    oversized_bodies_get_413,
    malformed_json_gets_400,
    validation_failures_list_every_problem_with_pointers,
    unknown_routes_are_404_and_wrong_methods_405,
    responses_use_the_reference_wire_shapes,
    lists_page_with_meta_and_absolute_links,
    every_list_sorts_by_name_and_created_at_both_ways,
    sorting_orders_records,
    request_ids_are_echoed_or_made,
    trailing_slashes_bare_question_marks_and_api_prefix_route_the_same,
    the_key_header_is_case_insensitive_on_the_wire,
    dashed_and_underscored_names_are_one,
    query_strings_tolerate_what_scripts_send,
    authentication_and_rate_limits_write_nothing_to_the_database,
    lists_default_to_fifty_a_page,
    next_links_carry_the_filters_and_sorts_of_the_request,
    a_delete_with_a_stray_content_type_and_no_body_asks_for_data_or_a_filter,
    a_body_without_a_content_type_gets_415,
    a_chunked_body_over_ten_megabytes_gets_413,
    dashed_include_names_work_on_a_password,
);

#[tokio::test]
async fn links_use_the_configured_public_url() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.public_url = Some("https://docs.example.com/".into());
    })
    .await;
    let (_, body) = app.get("/regions?page[size]=2").await;
    let next = body["links"]["next"].as_str().unwrap();
    assert!(
        next.starts_with("https://docs.example.com/regions?"),
        "{next}"
    );
}

/// `GET /openapi.json` needs no key and describes every list route the
/// router serves, with the resource's filters and sorts.
#[tokio::test]
async fn the_openapi_document_describes_the_routes_served() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() > 40, "{}", paths.len());
    // Every GET collection path it names answers with a list.
    for (path, item) in paths {
        if path.contains('{') || item.get("get").is_none() || path.starts_with("/openapi") {
            continue;
        }
        let (status, body) = app.get(path).await;
        // Flexible assets need their type, a search its words.
        let needs_parameters = ["/flexible_assets", "/search"].contains(&path.as_str());
        assert!(
            status == 200 || (status == 400 && needs_parameters),
            "{path}: {status} {body}"
        );
    }
    let list = &doc["paths"]["/configurations"]["get"]["parameters"];
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for expected in [
        "filter[organization_id]",
        "filter[name__gte]",
        "page[after]",
        "sort",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
}
