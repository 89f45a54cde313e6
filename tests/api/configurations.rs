//! Configurations and their interfaces: top-level and nested routes, the
//! reference's filters, computed names, bulk forms, address checks and the
//! primary-interface sync.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, ids, names, TestApp};

/// Ids of the data `configuration` bodies refer to.
struct Setup {
    org: i64,
    server: i64,
}

async fn setup(app: &TestApp) -> Setup {
    Setup {
        org: app
            .create(
                "/organizations",
                json!({"name": "Happy Frog", "short-name": "frog"}),
            )
            .await,
        server: app
            .catalog_id("/configuration_types", "Managed Server")
            .await,
    }
}

async fn configuration(app: &TestApp, s: &Setup, attributes: Value) -> i64 {
    let mut attributes = attributes;
    attributes["organization-id"] = json!(s.org);
    if attributes.get("configuration-type-id").is_none() {
        attributes["configuration-type-id"] = json!(s.server);
    }
    app.create("/configurations", attributes).await
}

async fn interfaces_of(app: &TestApp, configuration: i64) -> Vec<Value> {
    let (status, body) = app
        .get(&format!(
            "/configurations/{configuration}/relationships/configuration_interfaces?sort=id"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

async fn show(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get(&format!("/configurations/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["attributes"].clone()
}

async fn create_returns_201_with_every_computed_name_filled(app: TestApp) {
    let s = setup(&app).await;
    let active = app.catalog_id("/configuration_statuses", "Active").await;
    let dell = app.catalog_id("/manufacturers", "Dell").await;
    let model = app
        .create(
            "/models",
            json!({"name": "PowerEdge R740", "manufacturer-id": dell}),
        )
        .await;
    let windows = app
        .catalog_id("/operating_systems", "Windows Server 2022")
        .await;
    let location = app
        .create(
            "/locations",
            json!({"name": "Head Office", "organization-id": s.org}),
        )
        .await;
    let contact = app
        .create(
            "/contacts",
            json!({"first-name": "Robert", "last-name": "Storts", "organization-id": s.org}),
        )
        .await;
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations", "attributes": {
                "organization-id": s.org, "name": "FROG-DC01", "configuration-type-id": s.server,
                "configuration-status-id": active, "manufacturer-id": dell, "model-id": model,
                "operating-system-id": windows, "location-id": location, "contact-id": contact,
                "hostname": "dc01.frog.local", "serial-number": "SN-1", "asset-tag": "AT-1",
                "warranty-expires-at": "2027-05-05", "installed-at": "2024-01-02T10:00:00Z",
                "purchased-at": "2023-12-24",
            }}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["type"], "configurations");
    let a = &body["data"]["attributes"];
    assert_eq!(a["name"], "FROG-DC01");
    assert_eq!(a["organization-id"], s.org);
    assert_eq!(a["organization-name"], "Happy Frog");
    assert_eq!(a["organization-short-name"], "frog");
    assert_eq!(a["configuration-type-name"], "Managed Server");
    assert_eq!(a["configuration-type-kind"], "server");
    assert_eq!(a["configuration-status-name"], "Active");
    assert_eq!(a["manufacturer-name"], "Dell");
    assert_eq!(a["model-name"], "PowerEdge R740");
    assert_eq!(a["operating-system-name"], "Windows Server 2022");
    assert_eq!(a["location-name"], "Head Office");
    assert_eq!(a["contact-id"], contact);
    assert_eq!(a["contact-name"], "Robert Storts");
    assert_eq!(a["warranty-expires-at"], "2027-05-05");
    assert_eq!(a["installed-at"], "2024-01-02");
    assert_eq!(a["purchased-at"], "2023-12-24");
    assert_eq!(a["archived"], false);
    assert_eq!(a["restricted"], false);
    assert_eq!(a["primary-ip"], Value::Null);
    assert_eq!(a["mitp-end-of-life-date"], Value::Null);

    // The same names on show and in lists.
    let id = id_of(&body);
    let shown = show(&app, id).await;
    assert_eq!(shown, *a);
    let (_, listed) = app.get(&format!("/configurations?filter[id]={id}")).await;
    assert_eq!(
        listed["data"][0]["attributes"]["contact-name"],
        "Robert Storts"
    );
    assert_eq!(
        listed["data"][0]["attributes"]["model-name"],
        "PowerEdge R740"
    );
    assert_eq!(
        listed["data"][0]["attributes"]["location-name"],
        "Head Office"
    );
}

async fn configuration_type_id_is_required(app: TestApp) {
    let s = setup(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations", "attributes": {
                "organization-id": s.org, "name": "No Type",
            }}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/configuration-type-id"
    );
    let (_, body) = app.get("/configurations").await;
    assert_eq!(body["meta"]["total-count"], 0);
}

async fn nested_create_takes_the_organization_from_the_url_and_arrays_create_many(app: TestApp) {
    let s = setup(&app).await;
    let route = format!("/organizations/{}/relationships/configurations", s.org);
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": {"type": "configurations", "attributes": {
                "name": "Single", "configuration-type-id": s.server,
            }}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["attributes"]["organization-id"], s.org);

    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [
                {"type": "configurations", "attributes": {"name": "Bulk A", "configuration-type-id": s.server}},
                {"type": "configurations", "attributes": {"name": "Bulk B", "configuration_type_id": s.server}},
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(names(&body), ["Bulk A", "Bulk B"]);
    let (_, body) = app.get(&format!("{route}?sort=name")).await;
    assert_eq!(body["meta"]["total-count"], 3);

    // One bad item: none is created.
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [
                {"type": "configurations", "attributes": {"name": "Bulk C", "configuration-type-id": s.server}},
                {"type": "configurations", "attributes": {"name": "Bulk D"}},
            ]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/1/attributes/configuration-type-id"
    );
    let (_, body) = app.get(&route).await;
    assert_eq!(body["meta"]["total-count"], 3);
}

async fn an_array_sent_to_the_top_level_route_is_400(app: TestApp) {
    let s = setup(&app).await;
    let (status, _) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {
                "organization-id": s.org, "name": "A", "configuration-type-id": s.server,
            }}]}),
        )
        .await;
    assert_eq!(status, 400);
    let (_, body) = app.get("/configurations").await;
    assert_eq!(body["meta"]["total-count"], 0);
}

async fn nested_show_and_list_are_scoped_to_the_organization(app: TestApp) {
    let s = setup(&app).await;
    let mine = configuration(&app, &s, json!({"name": "Mine"})).await;
    let other_org = app
        .create("/organizations", json!({"name": "Other Org"}))
        .await;
    let theirs = app
        .create(
            "/configurations",
            json!({"name": "Theirs", "organization-id": other_org, "configuration-type-id": s.server}),
        )
        .await;
    let route = format!("/organizations/{}/relationships/configurations", s.org);
    let (status, body) = app.get(&format!("{route}/{mine}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["name"], "Mine");
    assert_eq!(app.get(&format!("{route}/{theirs}")).await.0, 404);
    assert_eq!(app.get(&format!("/configurations/{theirs}")).await.0, 200);
    let (_, body) = app.get(&route).await;
    assert_eq!(ids(&body), [mine]);
    let (_, body) = app.get("/configurations").await;
    assert_eq!(body["meta"]["total-count"], 2);
    assert_eq!(
        app.get("/organizations/999999/relationships/configurations")
            .await
            .0,
        404
    );
    // Updating through the wrong organization is a 404 and changes nothing.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("{route}/{theirs}"),
            json!({"data": {"type": "configurations", "attributes": {"name": "Moved"}}}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(show(&app, theirs).await["name"], "Theirs");
}

async fn every_reference_filter_narrows_the_list(app: TestApp) {
    let s = setup(&app).await;
    let switch = app.catalog_id("/configuration_types", "Switch").await;
    let active = app.catalog_id("/configuration_statuses", "Active").await;
    let contact = app
        .create(
            "/contacts",
            json!({"first-name": "Ann", "organization-id": s.org}),
        )
        .await;
    let other_org = app.create("/organizations", json!({"name": "Other"})).await;
    let a = configuration(
        &app,
        &s,
        json!({"name": "Alpha", "serial-number": "SN-A", "asset-tag": "AT-A",
               "mac-address": "aa:bb:cc:dd:ee:01", "configuration-status-id": active,
               "contact-id": contact}),
    )
    .await;
    let b = configuration(
        &app,
        &s,
        json!({"name": "Bravo", "configuration-type-id": switch, "archived": true,
               "serial-number": "SN-B", "asset-tag": "AT-B"}),
    )
    .await;
    let c = app
        .create(
            "/configurations",
            json!({"name": "Charlie", "organization-id": other_org, "configuration-type-id": s.server}),
        )
        .await;
    for (filter, expected) in [
        (format!("id]={a},{c}"), vec![a, c]),
        ("name]=Bravo".to_string(), vec![b]),
        (format!("organization_id]={}", s.org), vec![a, b]),
        (format!("organization-id]={other_org}"), vec![c]),
        (format!("configuration_type_id]={switch}"), vec![b]),
        (format!("configuration_type_id]={}", s.server), vec![a, c]),
        (format!("configuration_status_id]={active}"), vec![a]),
        (format!("contact_id]={contact}"), vec![a]),
        ("serial_number]=SN-B".to_string(), vec![b]),
        ("asset_tag]=AT-A".to_string(), vec![a]),
        ("mac_address]=AA:BB:CC:DD:EE:01".to_string(), vec![a]),
        ("archived]=true".to_string(), vec![b]),
        ("archived]=false".to_string(), vec![a, c]),
    ] {
        let (status, body) = app
            .get(&format!("/configurations?filter[{filter}&sort=id"))
            .await;
        assert_eq!(status, 200, "filter[{filter}: {body}");
        assert_eq!(ids(&body), expected, "filter[{filter}");
        assert_eq!(
            body["meta"]["total-count"],
            expected.len(),
            "filter[{filter}"
        );
    }
}

async fn integration_filters_are_checked_and_match_nothing(app: TestApp) {
    let s = setup(&app).await;
    configuration(&app, &s, json!({"name": "Alpha"})).await;
    for query in [
        "filter[psa_id]=12&filter[psa_integration_type]=manage",
        "filter[rmm_id]=12&filter[rmm_integration_type]=ninja-rmm",
        "filter[rmm_integration_type]=syncro",
    ] {
        let (status, body) = app.get(&format!("/configurations?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(body["meta"]["total-count"], 0, "{query}");
    }
    for query in [
        "filter[rmm_id]=12",
        "filter[psa_id]=12",
        "filter[rmm_integration_type]=no-such-rmm",
    ] {
        let (status, body) = app.get(&format!("/configurations?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (_, body) = app.get("/configurations").await;
    assert_eq!(body["meta"]["total-count"], 1);
}

async fn lists_sort_by_name_and_by_joined_names(app: TestApp) {
    let s = setup(&app).await;
    let switch = app.catalog_id("/configuration_types", "Switch").await;
    let printer = app.catalog_id("/configuration_types", "Printer").await;
    configuration(
        &app,
        &s,
        json!({"name": "b-sw", "configuration-type-id": switch, "hostname": "zeta"}),
    )
    .await;
    configuration(
        &app,
        &s,
        json!({"name": "c-pr", "configuration-type-id": printer, "hostname": "alpha"}),
    )
    .await;
    configuration(&app, &s, json!({"name": "a-srv", "hostname": "mid"})).await;
    for (sort, expected) in [
        ("name", ["a-srv", "b-sw", "c-pr"]),
        ("-name", ["c-pr", "b-sw", "a-srv"]),
        ("configuration_type_name", ["a-srv", "c-pr", "b-sw"]),
        ("-configuration-type-name", ["b-sw", "c-pr", "a-srv"]),
        ("hostname", ["c-pr", "a-srv", "b-sw"]),
        ("-created_at", ["a-srv", "c-pr", "b-sw"]),
        ("id", ["b-sw", "c-pr", "a-srv"]),
    ] {
        let (status, body) = app.get(&format!("/configurations?sort={sort}")).await;
        assert_eq!(status, 200, "{sort}: {body}");
        assert_eq!(names(&body), expected, "sort={sort}");
    }
    assert_eq!(app.get("/configurations?sort=no_such").await.0, 400);
}

async fn update_is_partial_and_refuses_relationships(app: TestApp) {
    let s = setup(&app).await;
    let id = configuration(
        &app,
        &s,
        json!({"name": "Keep", "hostname": "h1", "serial-number": "SN", "notes": "n"}),
    )
    .await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{id}"),
            json!({"data": {"type": "configurations", "attributes": {
                "hostname": "h2", "notes": null, "warranty-expires-at": "2030-01-31",
            }}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(a["hostname"], "h2");
    assert_eq!(a["notes"], Value::Null);
    assert_eq!(a["name"], "Keep");
    assert_eq!(a["serial-number"], "SN");
    assert_eq!(a["warranty-expires-at"], "2030-01-31");
    assert_eq!(a["configuration-type-name"], "Managed Server");

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{id}"),
            json!({"data": {"type": "configurations", "attributes": {"name": "Changed"},
                "relationships": {"configuration_interfaces": {"data": []}}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(show(&app, id).await["name"], "Keep");

    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{id}"),
            json!({"data": {"type": "configurations", "attributes": {"configuration-type-id": null}}}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{id}"),
            json!({"data": {"type": "configurations", "attributes": {"installed-at": "yesterday"}}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        app.send(
            Method::PATCH,
            "/configurations/999999",
            json!({"data": {"type": "configurations", "attributes": {"name": "x"}}}),
        )
        .await
        .0,
        404
    );
}

async fn bulk_update_changes_every_named_record(app: TestApp) {
    let s = setup(&app).await;
    let a = configuration(&app, &s, json!({"name": "A"})).await;
    let b = configuration(&app, &s, json!({"name": "B"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/configurations",
            json!({"data": [
                {"type": "configurations", "attributes": {"id": a, "asset-tag": "TAG-A"}},
                {"type": "configurations", "attributes": {"id": b.to_string(), "archived": true}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(show(&app, a).await["asset-tag"], "TAG-A");
    assert_eq!(show(&app, b).await["archived"], true);
    assert_eq!(show(&app, b).await["name"], "B");

    // Filters and one object: applied to every match.
    let (status, body) = app
        .send(
            Method::PATCH,
            "/configurations?filter[archived]=true",
            json!({"data": {"type": "configurations", "attributes": {"notes": "retired"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [b]);
    assert_eq!(show(&app, b).await["notes"], "retired");
    assert_eq!(show(&app, a).await["notes"], Value::Null);

    // Not on a nested route.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{}/relationships/configurations", s.org),
            json!({"data": [{"type": "configurations", "attributes": {"id": a, "name": "N"}}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(show(&app, a).await["name"], "A");
}

async fn bulk_update_with_one_unknown_id_changes_nothing(app: TestApp) {
    let s = setup(&app).await;
    let a = configuration(&app, &s, json!({"name": "A"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/configurations",
            json!({"data": [
                {"type": "configurations", "attributes": {"id": a, "name": "Renamed"}},
                {"type": "configurations", "attributes": {"id": 999999, "name": "Ghost"}},
            ]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(show(&app, a).await["name"], "A");

    let (status, body) = app
        .send(
            Method::PATCH,
            "/configurations",
            json!({"data": [
                {"type": "configurations", "attributes": {"id": a, "name": "Renamed"}},
                {"type": "configurations", "attributes": {"id": a, "primary-ip": "not-an-ip"}},
            ]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/1/attributes/primary-ip"
    );
    assert_eq!(show(&app, a).await["name"], "A");
}

async fn delete_is_bulk_only_by_data_or_filter(app: TestApp) {
    let s = setup(&app).await;
    let a = configuration(&app, &s, json!({"name": "A"})).await;
    let b = configuration(&app, &s, json!({"name": "B", "archived": true})).await;
    let c = configuration(&app, &s, json!({"name": "C"})).await;
    let (status, _) = app
        .send(Method::DELETE, &format!("/configurations/{a}"), json!({}))
        .await;
    assert_eq!(status, 405);
    let response = app
        .request(Method::DELETE, &format!("/configurations/{a}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);

    // Neither data nor filter: refused, nothing goes.
    let (status, _) = app.send(Method::DELETE, "/configurations", json!({})).await;
    assert_eq!(status, 400);

    let (status, body) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": a}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), ["A"]);
    assert_eq!(app.get(&format!("/configurations/{a}")).await.0, 404);

    let (status, body) = app
        .send(
            Method::DELETE,
            "/configurations?filter[archived]=true",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [b]);
    let (_, body) = app.get("/configurations").await;
    assert_eq!(ids(&body), [c]);

    // One unknown id: nothing goes.
    let (status, _) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [
                {"type": "configurations", "attributes": {"id": c}},
                {"type": "configurations", "attributes": {"id": 999999}},
            ]}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.get(&format!("/configurations/{c}")).await.0, 200);
}

async fn nested_bulk_delete_stays_in_the_organization(app: TestApp) {
    let s = setup(&app).await;
    let mine = configuration(&app, &s, json!({"name": "Same"})).await;
    let other_org = app.create("/organizations", json!({"name": "Other"})).await;
    let theirs = app
        .create(
            "/configurations",
            json!({"name": "Same", "organization-id": other_org, "configuration-type-id": s.server}),
        )
        .await;
    let route = format!("/organizations/{}/relationships/configurations", s.org);
    // An id of another organization: 404, nothing goes.
    let (status, _) = app
        .send(
            Method::DELETE,
            &route,
            json!({"data": [
                {"type": "configurations", "attributes": {"id": mine}},
                {"type": "configurations", "attributes": {"id": theirs}},
            ]}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.get(&format!("/configurations/{mine}")).await.0, 200);

    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("{route}?filter[name]=Same"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [mine]);
    assert_eq!(app.get(&format!("/configurations/{theirs}")).await.0, 200);

    let again = configuration(&app, &s, json!({"name": "Again"})).await;
    let (status, body) = app
        .send(
            Method::DELETE,
            &route,
            json!({"data": [{"type": "configurations", "attributes": {"id": again}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [again]);
    let (_, body) = app.get("/configurations").await;
    assert_eq!(ids(&body), [theirs]);
}

async fn references_to_another_accounts_records_are_422(app: TestApp) {
    let s = setup(&app).await;
    let their_type = app
        .get_as(&app.other_key, "/configuration_types?filter[name]=Switch")
        .await
        .1["data"][0]["id"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let (status, body) = app
        .send_as(
            &app.other_key,
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations", "attributes": {
                "organization-id": s.org, "name": "Sneaky", "configuration-type-id": their_type,
            }}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/organization-id"
    );
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations", "attributes": {
                "organization-id": s.org, "name": "Mixed", "configuration-type-id": their_type,
            }}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/configuration-type-id"
    );
    let id = configuration(&app, &s, json!({"name": "Mine"})).await;
    let their_org = app
        .send_as(
            &app.other_key,
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Theirs"}}}),
        )
        .await
        .1;
    let their_org = id_of(&their_org);
    for attributes in [
        json!({"organization-id": their_org}),
        json!({"configuration-type-id": their_type}),
    ] {
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/configurations/{id}"),
                json!({"data": {"type": "configurations", "attributes": attributes}}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
    }
    assert_eq!(show(&app, id).await["organization-id"], s.org);
    assert_eq!(
        app.send_as(
            &app.other_key,
            Method::POST,
            &format!("/organizations/{}/relationships/configurations", s.org),
            json!({"data": {"type": "configurations", "attributes": {"name": "x", "configuration-type-id": their_type}}}),
        )
        .await
        .0,
        404
    );
}

async fn invalid_addresses_are_422_with_pointers(app: TestApp) {
    let s = setup(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations", "attributes": {
                "organization-id": s.org, "name": "Bad", "configuration-type-id": s.server,
                "primary-ip": "10.0.0.300", "mac-address": "C4:7A:92:14:3D",
            }}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"]["pointer"].as_str().unwrap())
        .collect();
    assert!(
        pointers.contains(&"/data/attributes/primary-ip"),
        "{pointers:?}"
    );
    assert!(
        pointers.contains(&"/data/attributes/mac-address"),
        "{pointers:?}"
    );
    let (_, body) = app.get("/configurations").await;
    assert_eq!(body["meta"]["total-count"], 0);

    let id = configuration(&app, &s, json!({"name": "Good", "primary-ip": "10.0.0.5"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{id}"),
            json!({"data": {"type": "configurations", "attributes": {"primary-ip": "fe80::zz"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/primary-ip"
    );
    assert_eq!(show(&app, id).await["primary-ip"], "10.0.0.5");
}

async fn mac_notations_are_normalised(app: TestApp) {
    let s = setup(&app).await;
    for (given, ip) in [
        ("c4-7a-92-14-3d-78", "10.0.0.1"),
        ("c47a.9214.3d79", "2001:DB8::1"),
        ("c47a92143d7a", " 192.168.1.10 "),
    ] {
        let (status, body) = app
            .send(
                Method::POST,
                "/configurations",
                json!({"data": {"type": "configurations", "attributes": {
                    "organization-id": s.org, "name": given, "configuration-type-id": s.server,
                    "mac-address": given, "primary-ip": ip,
                }}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let mac = body["data"]["attributes"]["mac-address"].as_str().unwrap();
        assert!(mac.starts_with("C4:7A:92:14:3D:7"), "{given} -> {mac}");
        assert_eq!(mac.len(), 17);
    }
    let (_, body) = app.get("/configurations?filter[name]=c47a.9214.3d79").await;
    assert_eq!(body["data"][0]["attributes"]["primary-ip"], "2001:db8::1");
    assert_eq!(
        body["data"][0]["attributes"]["mac-address"],
        "C4:7A:92:14:3D:79"
    );
    let (_, body) = app.get("/configurations?filter[name]=c47a92143d7a").await;
    assert_eq!(body["data"][0]["attributes"]["primary-ip"], "192.168.1.10");

    // The filter finds a MAC address in any of the notations it was stored from.
    for notation in ["c4-7a-92-14-3d-79", "C47A.9214.3D79", "c4:7a:92:14:3d:79"] {
        let (status, body) = app
            .get(&format!("/configurations?filter[mac_address]={notation}"))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(names(&body), ["c47a.9214.3d79"], "{notation}");
    }
    let (_, body) = app
        .get("/configurations?filter[mac_address]=C4:7A:92:14:3D:78,c47a92143d7a&sort=id")
        .await;
    assert_eq!(body["meta"]["total-count"], 2);
}

/// A configuration made with a warranty date and an inline primary
/// interface: the interface gives it its addresses (an update of the
/// configuration inside its own create), and it still has exactly one
/// warranty expiration, which follows the date.
async fn an_inline_primary_interface_and_a_warranty_make_one_expiration(app: TestApp) {
    let s = setup(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations",
                "attributes": {"organization-id": s.org, "name": "Edge", "configuration-type-id": s.server,
                    "warranty-expires-at": "2027-01-31"},
                "relationships": {"configuration_interfaces": {"data": [
                    {"type": "configuration_interfaces", "attributes": {"name": "wan", "ip_address": "203.0.113.9", "primary": true}},
                ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    assert_eq!(body["data"]["attributes"]["primary-ip"], "203.0.113.9");
    let expirations =
        format!("/expirations?filter[resource_id]={id}&filter[resource_type_name]=Configuration");
    let (_, body) = app.get(&expirations).await;
    assert_eq!(body["meta"]["total-count"], 1, "{body}");
    assert_eq!(
        body["data"][0]["attributes"]["expiration-date"],
        "2027-01-31T00:00:00.000Z"
    );

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{id}"),
            json!({"data": {"type": "configurations", "attributes": {"warranty-expires-at": "2028-02-29"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = app.get(&expirations).await;
    assert_eq!(body["meta"]["total-count"], 1, "{body}");
    assert_eq!(
        body["data"][0]["attributes"]["expiration-date"],
        "2028-02-29T00:00:00.000Z"
    );
}

async fn include_configuration_interfaces_lists_them(app: TestApp) {
    let s = setup(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations",
                "attributes": {"organization-id": s.org, "name": "Router", "configuration-type-id": s.server},
                "relationships": {"configuration_interfaces": {"data": [
                    {"type": "configuration_interfaces", "attributes": {"name": "wan", "ip_address": "203.0.113.7", "primary": true}},
                    {"type": "configuration_interfaces", "attributes": {"name": "lan", "ip_address": "192.168.0.1"}},
                ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    let (status, body) = app
        .get(&format!(
            "/configurations/{id}?include=configuration_interfaces"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let related = body["data"]["relationships"]["configuration-interfaces"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no relationship: {body}"));
    assert_eq!(related.len(), 2);
    let included = body["included"].as_array().unwrap();
    assert_eq!(included.len(), 2);
    assert!(included
        .iter()
        .all(|i| i["type"] == "configuration-interfaces"));
    let mut names: Vec<&str> = included
        .iter()
        .map(|i| i["attributes"]["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["lan", "wan"]);

    let (status, body) = app
        .get("/configurations?include=configuration_interfaces")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["included"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/configurations?include=recent_versions").await.0,
        400
    );
}

// ---- Interfaces -----------------------------------------------------------

async fn inline_interfaces_are_created_with_the_configuration(app: TestApp) {
    let s = setup(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/organizations/{}/relationships/configurations", s.org),
            json!({"data": {"type": "configurations",
                "attributes": {"name": "FW", "configuration-type-id": s.server},
                "relationships": {"configuration-interfaces": {"data": [
                    {"type": "configuration-interfaces", "attributes": {"name": "eth0", "ip-address": "10.1.1.1", "mac-address": "00-11-22-33-44-55", "notes": "uplink"}},
                    {"type": "configuration-interfaces", "attributes": {"name": "eth1", "ip-address": "10.1.2.1", "primary": true}},
                ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    // The primary interface's address becomes the configuration's.
    assert_eq!(show(&app, id).await["primary-ip"], "10.1.2.1");
    let interfaces = interfaces_of(&app, id).await;
    assert_eq!(interfaces.len(), 2);
    let a = &interfaces[0]["attributes"];
    assert_eq!(a["name"], "eth0");
    assert_eq!(a["mac-address"], "00:11:22:33:44:55");
    assert_eq!(a["notes"], "uplink");
    assert_eq!(a["primary"], false);
    assert_eq!(a["configuration-id"], id);
    assert_eq!(interfaces[1]["attributes"]["primary"], true);

    // A bad inline interface: 422 naming it, and no configuration.
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations",
                "attributes": {"organization-id": s.org, "name": "Bad", "configuration-type-id": s.server},
                "relationships": {"configuration_interfaces": {"data": [
                    {"type": "configuration_interfaces", "attributes": {"ip_address": "10.1.1.1"}},
                    {"type": "configuration_interfaces", "attributes": {"mac_address": "zz:11:22:33:44:55"}},
                ]}}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/relationships/configuration_interfaces/data/1/attributes/mac-address"
    );
    let (_, body) = app.get("/configurations?filter[name]=Bad").await;
    assert_eq!(body["meta"]["total-count"], 0);

    // Several marked primary: the last one is, as when created one by one.
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations",
                "attributes": {"organization-id": s.org, "name": "Twin", "configuration-type-id": s.server},
                "relationships": {"configuration_interfaces": {"data": [
                    {"type": "configuration_interfaces", "attributes": {"ip_address": "10.9.0.1", "primary": true}},
                    {"type": "configuration_interfaces", "attributes": {"ip_address": "10.9.0.2", "primary": true}},
                ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let twin = id_of(&body);
    assert_eq!(show(&app, twin).await["primary-ip"], "10.9.0.2");
    let primaries: Vec<bool> = interfaces_of(&app, twin)
        .await
        .iter()
        .map(|i| i["attributes"]["primary"].as_bool().unwrap())
        .collect();
    assert_eq!(primaries, vec![false, true]);

    // Addresses written to the configuration win over its inline primary
    // interface's, and reach that interface; the others keep theirs.
    let (status, body) = app
        .send(
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations",
                "attributes": {"organization-id": s.org, "name": "Written", "configuration-type-id": s.server,
                    "primary-ip": "10.20.0.1", "mac-address": "0a:00:00:00:00:01"},
                "relationships": {"configuration_interfaces": {"data": [
                    {"type": "configuration_interfaces", "attributes": {"name": "wan", "ip_address": "10.20.0.9", "primary": true}},
                    {"type": "configuration_interfaces", "attributes": {"name": "lan", "ip_address": "10.20.1.1"}},
                ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["attributes"]["primary-ip"], "10.20.0.1");
    let written = id_of(&body);
    let addresses: Vec<(Value, Value, Value)> = interfaces_of(&app, written)
        .await
        .iter()
        .map(|i| {
            let a = &i["attributes"];
            (
                a["name"].clone(),
                a["ip-address"].clone(),
                a["primary"].clone(),
            )
        })
        .collect();
    assert_eq!(
        addresses,
        [
            (json!("wan"), json!("10.20.0.1"), json!(true)),
            (json!("lan"), json!("10.20.1.1"), json!(false)),
        ]
    );
    assert_eq!(
        interfaces_of(&app, written).await[0]["attributes"]["mac-address"],
        "0A:00:00:00:00:01"
    );
}

async fn an_interface_cannot_move_to_another_configuration(app: TestApp) {
    let s = setup(&app).await;
    let first = configuration(&app, &s, json!({"name": "First", "primary-ip": "10.0.0.1"})).await;
    let second = configuration(&app, &s, json!({"name": "Second"})).await;
    let interface = interfaces_of(&app, first).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configuration_interfaces/{interface}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"configuration_id": second}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/configuration-id"
    );
    assert_eq!(interfaces_of(&app, first).await.len(), 1);
    // Naming its own configuration is fine.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/configuration_interfaces/{interface}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"configuration_id": first, "name": "wan"}}}),
        )
        .await;
    assert_eq!(status, 200);
}

async fn interfaces_nested_list_show_create_and_bulk_create(app: TestApp) {
    let s = setup(&app).await;
    let config = configuration(&app, &s, json!({"name": "Host"})).await;
    let other = configuration(&app, &s, json!({"name": "Other"})).await;
    let route = format!("/configurations/{config}/relationships/configuration_interfaces");
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": {"type": "configuration_interfaces", "attributes": {"name": "nic0", "ip_address": "10.0.0.2"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let first = id_of(&body);
    let a = &body["data"]["attributes"];
    assert!(
        a.get("id").is_none(),
        "the id is the object's own member: {body}"
    );
    assert_eq!(a["configuration-id"], config);
    assert_eq!(body["data"]["type"], "configuration-interfaces");

    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [
                {"type": "configuration-interfaces", "attributes": {"name": "nic1", "ip-address": "10.0.0.3"}},
                {"type": "configuration-interfaces", "attributes": {"name": "nic2", "ip-address": "fd00::3"}},
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);

    let (status, body) = app.get(&route).await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["total-count"], 3);
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["id"].is_string() && d["attributes"].get("id").is_none()));
    for spelling in ["fd00::3", "FD00:0:0::3"] {
        let (_, body) = app
            .get(&format!("{route}?filter[ip_address]={spelling}"))
            .await;
        assert_eq!(body["meta"]["total-count"], 1, "{spelling}");
    }

    let (status, body) = app.get(&format!("{route}/{first}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["name"], "nic0");
    let (status, body) = app.get(&format!("/configuration_interfaces/{first}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["id"], first.to_string());
    assert!(body["data"]["attributes"].get("id").is_none(), "{body}");
    // Under another configuration it is not found.
    assert_eq!(
        app.get(&format!(
            "/configurations/{other}/relationships/configuration_interfaces/{first}"
        ))
        .await
        .0,
        404
    );
    assert_eq!(
        app.get("/configurations/999999/relationships/configuration_interfaces")
            .await
            .0,
        404
    );
    // No delete of any kind.
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/configuration_interfaces/{first}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 405);
    assert_eq!(interfaces_of(&app, config).await.len(), 3);
}

async fn interfaces_top_level_create_update_and_bulk_update(app: TestApp) {
    let s = setup(&app).await;
    let config = configuration(&app, &s, json!({"name": "Host"})).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/configuration_interfaces",
            json!({"data": {"type": "configuration_interfaces", "attributes": {"name": "a"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/configuration-id"
    );
    let a = app
        .create(
            "/configuration_interfaces",
            json!({"configuration_id": config, "name": "a", "ip-address": "10.0.0.10"}),
        )
        .await;
    let b = app
        .create(
            "/configuration_interfaces",
            json!({"configuration-id": config, "name": "b"}),
        )
        .await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configuration_interfaces/{a}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"notes": "rack 4"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["notes"], "rack 4");
    assert_eq!(body["data"]["attributes"]["ip-address"], "10.0.0.10");

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{config}/relationships/configuration_interfaces/{b}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"name": "b2"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["name"], "b2");

    let (status, body) = app
        .send(
            Method::PATCH,
            "/configuration_interfaces",
            json!({"data": [
                {"type": "configuration_interfaces", "attributes": {"id": a, "name": "A"}},
                {"type": "configuration_interfaces", "attributes": {"id": b, "name": "B"}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<Value> = interfaces_of(&app, config)
        .await
        .iter()
        .map(|i| i["attributes"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("A"), json!("B")]);

    let (status, _) = app
        .send(
            Method::PATCH,
            "/configuration_interfaces",
            json!({"data": [
                {"type": "configuration_interfaces", "attributes": {"id": a, "name": "AA"}},
                {"type": "configuration_interfaces", "attributes": {"id": b, "ip-address": "1.2.3"}},
            ]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        interfaces_of(&app, config).await[0]["attributes"]["name"],
        "A"
    );
}

async fn invalid_interface_addresses_are_422(app: TestApp) {
    let s = setup(&app).await;
    let config = configuration(&app, &s, json!({"name": "Host"})).await;
    let route = format!("/configurations/{config}/relationships/configuration_interfaces");
    for (attributes, pointer) in [
        (
            json!({"ip-address": "2001:db8::g"}),
            "/data/attributes/ip-address",
        ),
        (
            json!({"ip-address": "256.1.1.1"}),
            "/data/attributes/ip-address",
        ),
        (
            json!({"mac-address": "00:11:22:33:44"}),
            "/data/attributes/mac-address",
        ),
        (
            json!({"mac-address": "not a mac"}),
            "/data/attributes/mac-address",
        ),
    ] {
        let (status, body) = app
            .send(
                Method::POST,
                &route,
                json!({"data": {"type": "configuration_interfaces", "attributes": attributes}}),
            )
            .await;
        assert_eq!(status, 422, "{attributes}: {body}");
        assert_eq!(body["errors"][0]["source"]["pointer"], pointer);
    }
    assert!(interfaces_of(&app, config).await.is_empty());
    let id = app
        .create(
            "/configuration_interfaces",
            json!({"configuration_id": config, "ip_address": "10.9.9.9"}),
        )
        .await;
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/configuration_interfaces/{id}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"ip_address": "10.9.9"}}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        interfaces_of(&app, config).await[0]["attributes"]["ip-address"],
        "10.9.9.9"
    );
}

async fn a_primary_interface_clears_the_others_and_sets_the_configuration_addresses(app: TestApp) {
    let s = setup(&app).await;
    let config = configuration(&app, &s, json!({"name": "Host"})).await;
    let route = format!("/configurations/{config}/relationships/configuration_interfaces");
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [
                {"type": "configuration_interfaces", "attributes": {"name": "one", "ip_address": "10.0.0.1", "mac_address": "00:00:00:00:00:01", "primary": true}},
                {"type": "configuration_interfaces", "attributes": {"name": "two", "ip_address": "10.0.0.2", "mac_address": "00:00:00:00:00:02"}},
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let two = ids(&body)[1];
    let shown = show(&app, config).await;
    assert_eq!(shown["primary-ip"], "10.0.0.1");
    assert_eq!(shown["mac-address"], "00:00:00:00:00:01");

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configuration_interfaces/{two}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"primary": true}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let primaries: Vec<(Value, Value)> = interfaces_of(&app, config)
        .await
        .iter()
        .map(|i| {
            (
                i["attributes"]["name"].clone(),
                i["attributes"]["primary"].clone(),
            )
        })
        .collect();
    assert_eq!(
        primaries,
        [(json!("one"), json!(false)), (json!("two"), json!(true))]
    );
    let shown = show(&app, config).await;
    assert_eq!(shown["primary-ip"], "10.0.0.2");
    assert_eq!(shown["mac-address"], "00:00:00:00:00:02");

    // Changing the primary interface's address moves the configuration's too.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/configuration_interfaces/{two}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"ip_address": "10.0.0.22"}}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(show(&app, config).await["primary-ip"], "10.0.0.22");
}

async fn configuration_addresses_update_its_primary_interface(app: TestApp) {
    let s = setup(&app).await;
    // No interface yet: setting the address creates a primary one.
    let config = configuration(&app, &s, json!({"name": "Host"})).await;
    assert!(interfaces_of(&app, config).await.is_empty());
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{config}"),
            json!({"data": {"type": "configurations", "attributes": {"primary-ip": "172.16.0.4", "mac-address": "aa-bb-cc-dd-ee-ff"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let interfaces = interfaces_of(&app, config).await;
    assert_eq!(interfaces.len(), 1);
    assert_eq!(interfaces[0]["attributes"]["primary"], true);
    assert_eq!(interfaces[0]["attributes"]["ip-address"], "172.16.0.4");
    assert_eq!(
        interfaces[0]["attributes"]["mac-address"],
        "AA:BB:CC:DD:EE:FF"
    );

    // With one: it follows.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{config}"),
            json!({"data": {"type": "configurations", "attributes": {"primary-ip": "172.16.0.5"}}}),
        )
        .await;
    assert_eq!(status, 200);
    let interfaces = interfaces_of(&app, config).await;
    assert_eq!(interfaces.len(), 1);
    assert_eq!(interfaces[0]["attributes"]["ip-address"], "172.16.0.5");
    assert_eq!(
        interfaces[0]["attributes"]["mac-address"],
        "AA:BB:CC:DD:EE:FF"
    );

    // On create, a primary-ip makes the primary interface at once.
    let created = configuration(
        &app,
        &s,
        json!({"name": "New", "primary-ip": "10.10.10.10"}),
    )
    .await;
    let interfaces = interfaces_of(&app, created).await;
    assert_eq!(interfaces.len(), 1);
    assert_eq!(interfaces[0]["attributes"]["ip-address"], "10.10.10.10");
    assert_eq!(interfaces[0]["attributes"]["primary"], true);
    // Both addresses, in a notation the store normalises, reach it as stored.
    let both = configuration(
        &app,
        &s,
        json!({"name": "Both", "primary-ip": "10.10.10.20", "mac-address": "aa-bb-cc-dd-ee-01"}),
    )
    .await;
    let interfaces = interfaces_of(&app, both).await;
    assert_eq!(interfaces.len(), 1);
    assert_eq!(interfaces[0]["attributes"]["ip-address"], "10.10.10.20");
    assert_eq!(
        interfaces[0]["attributes"]["mac-address"],
        "AA:BB:CC:DD:EE:01"
    );

    // Non-primary interfaces are left alone.
    app.create(
        "/configuration_interfaces",
        json!({"configuration_id": created, "name": "spare", "ip_address": "10.10.10.11"}),
    )
    .await;
    let (status, _) = app
        .send(
            Method::PATCH,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": created, "primary-ip": "10.10.10.12"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let ips: Vec<Value> = interfaces_of(&app, created)
        .await
        .iter()
        .map(|i| i["attributes"]["ip-address"].clone())
        .collect();
    assert_eq!(ips, [json!("10.10.10.12"), json!("10.10.10.11")]);
}

async fn interfaces_go_with_their_configuration(app: TestApp) {
    let s = setup(&app).await;
    let config = configuration(&app, &s, json!({"name": "Host", "primary-ip": "10.0.0.1"})).await;
    let interface = interfaces_of(&app, config).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": config}}]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.get(&format!("/configuration_interfaces/{interface}"))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get(&format!(
            "/configurations/{config}/relationships/configuration_interfaces"
        ))
        .await
        .0,
        404
    );
}

async fn another_account_cannot_reach_interfaces(app: TestApp) {
    let s = setup(&app).await;
    let config = configuration(&app, &s, json!({"name": "Host", "primary-ip": "10.0.0.1"})).await;
    let interface = interfaces_of(&app, config).await[0]["id"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let other = app.other_key.clone();
    assert_eq!(
        app.get_as(&other, &format!("/configuration_interfaces/{interface}"))
            .await
            .0,
        404
    );
    let (status, body) = app
        .send_as(
            &other,
            Method::POST,
            "/configuration_interfaces",
            json!({"data": {"type": "configuration_interfaces", "attributes": {"configuration_id": config, "name": "planted"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            &format!("/configuration_interfaces/{interface}"),
            json!({"data": {"type": "configuration_interfaces", "attributes": {"ip_address": "6.6.6.6"}}}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(show(&app, config).await["primary-ip"], "10.0.0.1");
    assert_eq!(interfaces_of(&app, config).await.len(), 1);
}

crate::api_tests!(
    create_returns_201_with_every_computed_name_filled,
    an_inline_primary_interface_and_a_warranty_make_one_expiration,
    configuration_type_id_is_required,
    nested_create_takes_the_organization_from_the_url_and_arrays_create_many,
    an_array_sent_to_the_top_level_route_is_400,
    nested_show_and_list_are_scoped_to_the_organization,
    every_reference_filter_narrows_the_list,
    integration_filters_are_checked_and_match_nothing,
    lists_sort_by_name_and_by_joined_names,
    update_is_partial_and_refuses_relationships,
    bulk_update_changes_every_named_record,
    bulk_update_with_one_unknown_id_changes_nothing,
    delete_is_bulk_only_by_data_or_filter,
    nested_bulk_delete_stays_in_the_organization,
    references_to_another_accounts_records_are_422,
    invalid_addresses_are_422_with_pointers,
    mac_notations_are_normalised,
    include_configuration_interfaces_lists_them,
    inline_interfaces_are_created_with_the_configuration,
    an_interface_cannot_move_to_another_configuration,
    interfaces_nested_list_show_create_and_bulk_create,
    interfaces_top_level_create_update_and_bulk_update,
    invalid_interface_addresses_are_422,
    a_primary_interface_clears_the_others_and_sets_the_configuration_addresses,
    configuration_addresses_update_its_primary_interface,
    interfaces_go_with_their_configuration,
    another_account_cannot_reach_interfaces,
);
