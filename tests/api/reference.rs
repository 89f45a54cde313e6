//! Global reference data: platforms, operating systems, countries, regions.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

async fn every_iso_country_is_there(app: TestApp) {
    let (status, body) = app.get("/countries?page[size]=1000").await;
    assert_eq!(status, 200);
    assert!(
        body["meta"]["total-count"].as_u64().unwrap() >= 249,
        "{}",
        body["meta"]
    );
    let (_, body) = app.get("/countries?filter[iso]=CA").await;
    assert_eq!(body["data"][0]["attributes"]["name"], "Canada");
    assert_eq!(body["data"][0]["type"], "countries");
}

async fn regions_cover_the_main_markets_and_nest_under_countries(app: TestApp) {
    for (country, minimum, example) in [
        ("US", 50, "California"),
        ("CA", 13, "Alberta"),
        ("GB", 4, "Scotland"),
        ("AU", 8, "Queensland"),
        ("DE", 16, "Bayern"),
        ("FR", 13, "Bretagne"),
    ] {
        let (_, countries) = app.get(&format!("/countries?filter[iso]={country}")).await;
        let id = countries["data"][0]["id"].as_str().unwrap().to_string();
        let (status, body) = app
            .get(&format!(
                "/countries/{id}/relationships/regions?page[size]=1000"
            ))
            .await;
        assert_eq!(status, 200);
        let regions = body["data"].as_array().unwrap();
        assert!(regions.len() >= minimum, "{country}: {}", regions.len());
        assert!(
            regions
                .iter()
                .all(|r| r["attributes"]["country-id"] == id.parse::<i64>().unwrap()),
            "{country}"
        );
        assert!(
            regions.iter().any(|r| r["attributes"]["name"] == example),
            "{country} lacks {example}"
        );
        let region = regions[0]["id"].as_str().unwrap();
        assert_eq!(
            app.get(&format!("/countries/{id}/relationships/regions/{region}"))
                .await
                .0,
            200
        );
    }
    let (_, body) = app.get("/regions?filter[iso]=AB&include=country").await;
    let alberta = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["attributes"]["name"] == "Alberta")
        .unwrap();
    assert_eq!(alberta["attributes"]["country-name"], "Canada");
    assert_eq!(body["included"][0]["type"], "countries");
}

async fn platforms_and_operating_systems_are_real(app: TestApp) {
    let (_, body) = app.get("/platforms?page[size]=1000").await;
    assert!(body["meta"]["total-count"].as_u64().unwrap() >= 5);
    let (_, body) = app.get("/operating_systems?filter[name]=Windows 11").await;
    assert_eq!(body["meta"]["total-count"], 1, "{body}");
    let windows = &body["data"][0]["attributes"];
    assert!(windows["platform-name"]
        .as_str()
        .unwrap()
        .starts_with("Windows"));
    let (_, body) = app.get("/operating_systems?page[size]=1000").await;
    assert!(
        body["meta"]["total-count"].as_u64().unwrap() >= 100,
        "{}",
        body["meta"]
    );
}

async fn reference_data_is_read_only(app: TestApp) {
    for route in ["/countries", "/regions", "/platforms", "/operating_systems"] {
        let (status, _) = app
            .send(
                Method::POST,
                route,
                json!({"data": {"attributes": {"name": "New"}}}),
            )
            .await;
        assert_eq!(status, 405, "{route}");
    }
    let (_, body) = app.get("/countries?filter[iso]=US").await;
    let id = body["data"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/countries/{id}"),
            json!({"data": {"attributes": {"name": "X"}}}),
        )
        .await;
    assert_eq!(status, 405);
}

async fn operating_systems_span_servers_desktops_phones_and_network_gear(app: TestApp) {
    for (name, platform) in [
        ("Windows Server 2016", "Windows Server"),
        ("Windows Server 2019", "Windows Server"),
        ("Windows Server 2022", "Windows Server"),
        ("Windows Server 2025", "Windows Server"),
        ("macOS 14 Sonoma", "macOS"),
        ("macOS 15 Sequoia", "macOS"),
        ("Ubuntu 24.04 LTS", "Linux"),
        ("Debian 12 Bookworm", "Linux"),
        ("Red Hat Enterprise Linux 9", "Linux"),
        ("iOS 18", "iOS"),
        ("Android 15", "Android"),
        ("Cisco IOS XE 17", "Cisco"),
        ("Junos OS 23", "Juniper"),
        ("FortiOS 7.4", "Fortinet"),
    ] {
        let (status, body) = app
            .get(&format!(
                "/operating_systems?filter[name]={}",
                crate::helpers::urlencode(name)
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["meta"]["total-count"], 1, "{name}: {body}");
        assert_eq!(
            body["data"][0]["attributes"]["platform-name"], platform,
            "{name}"
        );
    }
}

/// Reference rows never change while the server runs, so a show of one is
/// read from the database once and answered from memory after that: the
/// same body and `ETag`, no statement. What the show adds to the row (an
/// include) is still read, and an id that does not exist is still a 404.
async fn a_reference_row_is_read_from_the_database_once(app: TestApp) {
    let canada = app.catalog_id("/countries", "Canada").await;
    let path = format!("/countries/{canada}");
    let show = |path: String| {
        let app = &app;
        async move {
            let before = app.store.statements();
            let response = app.request(Method::GET, &path).send().await.unwrap();
            let status = response.status().as_u16();
            let etag = response.headers()["etag"].to_str().unwrap().to_string();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, etag, body, app.store.statements() - before)
        }
    };
    let (status, first_etag, first, first_statements) = show(path.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data"]["attributes"]["iso"], "CA");
    assert_eq!(first["data"]["attributes"]["name"], "Canada");
    assert_eq!(first_statements, 1, "the first show reads the row");
    let (status, etag, again, statements) = show(path.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(again, first);
    assert_eq!(etag, first_etag);
    assert_eq!(statements, 0, "the second show is answered from memory");

    let (status, body) = app.get(&format!("{path}?include=regions")).await;
    assert_eq!(status, 200, "{body}");
    let regions = body["included"].as_array().expect("included regions");
    assert!(
        regions.iter().any(|r| r["attributes"]["name"] == "Ontario"),
        "{body}"
    );

    let debian = app
        .catalog_id("/operating_systems", "Debian 12 Bookworm")
        .await;
    for _ in 0..2 {
        let (status, body) = app.get(&format!("/operating_systems/{debian}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["attributes"]["platform-name"], "Linux");
    }

    for _ in 0..2 {
        let (status, body) = app.get("/countries/999999").await;
        assert_eq!(status, 404, "{body}");
    }
}

crate::api_tests!(
    a_reference_row_is_read_from_the_database_once,
    every_iso_country_is_there,
    operating_systems_span_servers_desktops_phones_and_network_gear,
    regions_cover_the_main_markets_and_nest_under_countries,
    platforms_and_operating_systems_are_real,
    reference_data_is_read_only,
);
