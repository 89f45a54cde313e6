//! Sample data (`mortar demo`) is served by the normal API exactly as if the
//! API had written it, and the API's own writes keep working on it.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{urlencode, TestApp};

/// An engine on the test server's store, vault and files, as `mortar
/// demo` builds one beside a server.
async fn engine_of(app: &TestApp) -> mortar::engine::Engine {
    mortar::engine::Engine::new(
        app.store.clone(),
        mortar::open_vault(&app.store, app.data_dir(), None)
            .await
            .expect("the server's vault"),
        std::sync::Arc::new(mortar::open_files(app.data_dir()).expect("the server's files")),
    )
}

async fn sample_data_is_served_as_the_api_writes_it(app: TestApp) {
    let (_, logs) = app.get("/logs").await;
    let options = mortar::demo::DemoOptions {
        organizations: 3,
        configurations_per_organization: 20,
        seed: 11,
    };
    let engine = engine_of(&app).await;
    let counts = mortar::demo::load(&engine, &app.account, options)
        .await
        .expect("demo data loads");
    assert_eq!(counts.organizations, 3);
    assert_eq!(counts.configurations, 60);
    assert!(counts.interfaces >= 60);

    let (_, body) = app.get("/organizations").await;
    assert_eq!(
        body["meta"]["total-count"], 4,
        "the owner and three clients"
    );
    let client = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["attributes"]["primary"] == false)
        .unwrap()
        .clone();
    assert!(client["attributes"]["organization-type-name"].is_string());
    assert!(client["attributes"]["short-name"].is_string());

    let (_, body) = app.get("/configurations?page[size]=100").await;
    assert_eq!(body["meta"]["total-count"], 60);
    let configurations = body["data"].as_array().unwrap();
    // The bulk-loaded records are indexed for search.
    let sample = &configurations[17];
    let (_, found) = app
        .get(&format!(
            "/search?query={}&filter[type]=configurations",
            crate::helpers::urlencode(sample["attributes"]["name"].as_str().unwrap())
        ))
        .await;
    assert_eq!(found["data"][0]["id"], sample["id"], "{found}");
    for c in configurations {
        let a = &c["attributes"];
        for name in [
            "organization-name",
            "configuration-type-name",
            "configuration-status-name",
            "manufacturer-name",
            "model-name",
            "location-name",
            "primary-ip",
            "mac-address",
            "serial-number",
            "hostname",
        ] {
            assert!(a[name].is_string(), "{name} of {c}");
        }
    }
    let with_warranty = configurations
        .iter()
        .filter(|c| c["attributes"]["warranty-expires-at"].is_string())
        .count();
    assert!(with_warranty > 0);
    assert!(configurations
        .iter()
        .any(|c| c["attributes"]["contact-name"].is_string()));
    assert!(configurations
        .iter()
        .any(|c| c["attributes"]["operating-system-name"].is_string()));

    // Every configuration has one primary interface, whose addresses are its own.
    let (_, body) = app
        .get("/configurations?page[size]=100&include=configuration_interfaces")
        .await;
    let interfaces = body["included"].as_array().unwrap();
    for c in body["data"].as_array().unwrap() {
        let primary: Vec<_> = interfaces
            .iter()
            .filter(|i| {
                i["attributes"]["configuration-id"].as_i64()
                    == c["id"].as_str().and_then(|id| id.parse().ok())
                    && i["attributes"]["primary"] == true
            })
            .collect();
        assert_eq!(primary.len(), 1, "{c}");
        assert_eq!(
            primary[0]["attributes"]["ip-address"],
            c["attributes"]["primary-ip"]
        );
        assert_eq!(
            primary[0]["attributes"]["mac-address"],
            c["attributes"]["mac-address"]
        );
    }

    // The first configuration: its primary interface mirrors it, and it has a related item.
    let first = &configurations[0];
    let id = first["id"].as_str().unwrap();
    let (code, body) = app
        .get(&format!(
            "/configurations/{id}?include=configuration_interfaces,related_items"
        ))
        .await;
    assert_eq!(code, 200, "{body}");
    let included = body["included"].as_array().unwrap();
    let primary = included
        .iter()
        .find(|i| i["type"] == "configuration-interfaces" && i["attributes"]["primary"] == true)
        .expect("a primary interface");
    assert_eq!(
        primary["attributes"]["ip-address"],
        first["attributes"]["primary-ip"]
    );
    assert_eq!(
        primary["attributes"]["mac-address"],
        first["attributes"]["mac-address"]
    );
    let related = included
        .iter()
        .find(|i| i["type"] == "related-items")
        .expect("a related item");
    assert_eq!(related["attributes"]["resource-type"], "Configuration");
    assert!(
        related["attributes"]["destination-name"].is_string(),
        "{related}"
    );

    // Warranty expirations: one per dated configuration, at midnight UTC.
    let (_, body) = app
        .get("/expirations?filter[description]=Warranty%20expiration&page[size]=100")
        .await;
    assert_eq!(body["meta"]["total-count"], with_warranty);
    let dated = configurations
        .iter()
        .find(|c| c["attributes"]["warranty-expires-at"].is_string())
        .unwrap();
    let dated_id = dated["id"].as_str().unwrap();
    let (_, body) = app
        .get(&format!(
            "/expirations?filter[resource_id]={dated_id}&filter[resource_type_name]=Configuration"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    assert_eq!(
        body["data"][0]["attributes"]["expiration-date"],
        format!(
            "{}T00:00:00.000Z",
            dated["attributes"]["warranty-expires-at"].as_str().unwrap()
        )
    );
    assert_eq!(
        body["data"][0]["attributes"]["resource-type"],
        "Configuration"
    );

    // The API's own writes carry on from the sample rows: the expiration moves, not doubles.
    let (code, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{dated_id}"),
            json!({"data": {"type": "configurations", "attributes": {"warranty-expires-at": "2031-03-04"}}}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (_, body) = app
        .get(&format!(
            "/expirations?filter[resource_id]={dated_id}&filter[resource_type_name]=Configuration"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    assert_eq!(
        body["data"][0]["attributes"]["expiration-date"],
        "2031-03-04T00:00:00.000Z"
    );

    // Contacts: typed emails and phones, the primary email filterable.
    let (_, body) = app.get("/contacts").await;
    let contact = &body["data"][0]["attributes"];
    let email = contact["contact-emails"][0]["value"].as_str().unwrap();
    assert_eq!(contact["contact-emails"][0]["primary"], true);
    assert_eq!(contact["contact-emails"][0]["label-name"], "Work");
    assert!(contact["contact-phones"][0]["formatted-value"].is_string());
    assert_eq!(
        contact["name"].as_str().unwrap(),
        format!(
            "{} {}",
            contact["first-name"].as_str().unwrap(),
            contact["last-name"].as_str().unwrap()
        )
    );
    let (_, body) = app
        .get(&format!(
            "/contacts?filter[primary_email]={}",
            urlencode(email)
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 1);

    // Locations in real regions of real countries.
    let (_, body) = app.get("/locations").await;
    for l in body["data"].as_array().unwrap() {
        assert!(l["attributes"]["region-name"].is_string(), "{l}");
        assert!(l["attributes"]["country-name"].is_string(), "{l}");
    }

    // Domains and their expirations; documents at revision 1.
    let (_, domains) = app.get("/domains").await;
    assert!(domains["data"][0]["attributes"]["registrar-name"].is_string());
    let (_, body) = app
        .get("/expirations?filter[description]=Domain%20expiration")
        .await;
    assert_eq!(body["meta"]["total-count"], domains["meta"]["total-count"]);
    let (_, body) = app.get("/documents").await;
    assert_eq!(body["data"][0]["attributes"]["revision"], 1);
    assert!(body["data"][0]["attributes"]["content"]
        .as_str()
        .unwrap()
        .starts_with("<h2>"));

    // The bulk-loaded rows write no activity; flexible assets and their
    // types, written through the engine, are logged as made by the demo.
    let (_, after) = app.get("/logs?page[size]=1000").await;
    let demo_entries: Vec<&serde_json::Value> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["attributes"]["user-agent"] == "mortar demo")
        .collect();
    let created = |class: &str| {
        demo_entries
            .iter()
            .filter(|e| e["attributes"]["resource-type"] == class)
            .filter(|e| e["attributes"]["action"] == "create")
            .count() as u64
    };
    assert_eq!(created("Flexible Asset"), counts.flexible_assets);
    assert_eq!(created("FlexibleAssetType"), 8);
    let demo_entries = demo_entries.len();
    assert_eq!(
        after["meta"]["total-count"].as_i64().unwrap(),
        logs["meta"]["total-count"].as_i64().unwrap() + 1 + demo_entries as i64,
        "besides the demo's assets, only the PATCH above was logged"
    );
}

async fn sample_flexible_assets_use_every_kind_of_trait(app: TestApp) {
    let engine = engine_of(&app).await;
    let options = mortar::demo::DemoOptions {
        organizations: 2,
        configurations_per_organization: 60,
        seed: 5,
    };
    let counts = mortar::demo::load(&engine, &app.account, options)
        .await
        .expect("demo data loads");
    assert!(counts.flexible_assets >= 2 * 6, "{counts:?}");

    // The sample types cover every field kind; a second run reuses them.
    let (_, types) = app
        .get("/flexible_asset_types?include=flexible_asset_fields&page[size]=50")
        .await;
    let names: Vec<&str> = types["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["attributes"]["name"].as_str().unwrap())
        .collect();
    for name in [
        "Active Directory",
        "Backup",
        "Email",
        "LAN",
        "Wireless",
        "Licensing",
        "Vendor",
        "Printer",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let mut kinds: Vec<&str> = types["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["attributes"]["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "Checkbox", "Date", "Header", "Number", "Password", "Percent", "Select", "Tag", "Text",
            "Textbox", "Upload"
        ]
    );
    let again = mortar::demo::load(
        &engine,
        &app.account,
        mortar::demo::DemoOptions {
            organizations: 1,
            ..options
        },
    )
    .await
    .expect("a second run loads");
    assert!(again.flexible_assets > 0);
    let (_, after) = app.get("/flexible_asset_types").await;
    assert_eq!(after["meta"]["total-count"], types["meta"]["total-count"]);

    let type_id = |name: &str| {
        types["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["attributes"]["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // LAN assets: titled by their network, tagging a site and devices, with
    // the running configuration uploaded.
    let (_, lans) = app
        .get(&format!(
            "/flexible_assets?filter[flexible_asset_type_id]={}",
            type_id("LAN")
        ))
        .await;
    let lan = lans["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["attributes"]["traits"]["switch-configuration"].is_object())
        .expect("a LAN with a running configuration");
    let traits = &lan["attributes"]["traits"];
    assert!(lan["attributes"]["name"]
        .as_str()
        .unwrap()
        .ends_with(" LAN"));
    assert_eq!(traits["site"]["type"], "Locations");
    assert!(traits["network-devices"]["values"][0]["name"].is_string());
    let url = traits["switch-configuration"]["download-url"]
        .as_str()
        .expect("a download URL");
    let download = app
        .client
        .get(url)
        .header("x-api-key", &app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert!(download
        .text()
        .await
        .unwrap()
        .contains("running configuration"));

    // Printers tag their device; their admin password is sealed, shown on
    // request to a key with password access.
    let (_, printers) = app
        .get(&format!(
            "/flexible_assets?filter[flexible_asset_type_id]={}&page[size]=100",
            type_id("Printer")
        ))
        .await;
    let printer = &printers["data"][0];
    let device = &printer["attributes"]["traits"]["device"]["values"][0];
    assert_eq!(device["name"], printer["attributes"]["name"]);
    let id = printer["id"].as_str().unwrap();
    let (_, shown) = app
        .get(&format!("/flexible_assets/{id}?show_password=true"))
        .await;
    let password = shown["data"]["attributes"]["traits"]["admin-password"]["password"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(password.chars().count(), 20, "{shown}");

    // Licences and vendor contracts feed the expirations.
    let (_, body) = app
        .get("/expirations?filter[resource_type_name]=Flexible%20Asset&page[size]=1")
        .await;
    assert!(
        body["meta"]["total-count"].as_u64().unwrap() >= 2 * 5,
        "{body}"
    );
}

/// A show reads a record's names by subquery where a list joins them
/// (`Compiled::select_one_where`): on the demo's records of every resource
/// with joins, each show has the attributes its list entry has, set and
/// unset names alike.
async fn every_show_reads_what_its_list_reads(app: TestApp) {
    let options = mortar::demo::DemoOptions {
        organizations: 2,
        configurations_per_organization: 8,
        seed: 5,
    };
    let engine = engine_of(&app).await;
    mortar::demo::load(&engine, &app.account, options)
        .await
        .expect("demo data loads");
    let mut compared = 0;
    for resource in mortar::resources::ALL
        .iter()
        .filter(|r| !r.joins.is_empty() && r.ops.list && r.ops.show)
    {
        // Flexible assets are listed one type at a time.
        let lists = if resource.route == "flexible_assets" {
            let (_, types) = app.get("/flexible_asset_types").await;
            crate::helpers::ids(&types)
                .iter()
                .map(|t| format!("/flexible_assets?filter[flexible_asset_type_id]={t}"))
                .collect()
        } else {
            vec![format!("/{}?page[size]=100", resource.route)]
        };
        for path in lists {
            let (status, list) = app.get(&path).await;
            if status == 404 {
                // Served only under a parent.
                continue;
            }
            assert_eq!(status, 200, "{path}: {list}");
            for entry in list["data"].as_array().unwrap() {
                let id = entry["id"].as_str().unwrap();
                // Without the secrets a show reveals and a list does not.
                let (status, shown) = app
                    .get(&format!("/{}/{id}?show_password=false", resource.route))
                    .await;
                assert_eq!(status, 200, "{} {id}: {shown}", resource.route);
                let listed = entry["attributes"].as_object().unwrap();
                // A document's show is a view: it counts it and moves
                // `last-viewed-at`.
                let viewed = ["last-viewed-at", "view-count"];
                for (name, value) in listed.iter().filter(|(n, _)| !viewed.contains(&n.as_str())) {
                    assert_eq!(
                        &shown["data"]["attributes"][name], value,
                        "{} {id}: {name}",
                        resource.route
                    );
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "only {compared} records compared");
}

crate::api_tests!(
    sample_data_is_served_as_the_api_writes_it,
    sample_flexible_assets_use_every_kind_of_trait,
    every_show_reads_what_its_list_reads,
);
