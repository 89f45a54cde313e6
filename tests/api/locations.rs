//! Locations: country and region from the reference data, formatted phone
//! numbers, one primary location per organization, filters and deletes.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, ids, names, TestApp};

async fn country(app: &TestApp, iso: &str) -> i64 {
    let (status, body) = app.get(&format!("/countries?filter[iso]={iso}")).await;
    assert_eq!(status, 200, "{body}");
    id_of(&json!({"data": body["data"][0]}))
}

async fn region(app: &TestApp, country: i64, name: &str) -> i64 {
    let (status, body) = app
        .get(&format!(
            "/regions?filter[country_id]={country}&filter[name]={}",
            crate::helpers::urlencode(name)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    id_of(&json!({"data": body["data"][0]}))
}

async fn organization(app: &TestApp, name: &str) -> i64 {
    app.create("/organizations", json!({"name": name})).await
}

async fn location(app: &TestApp, org: i64, attributes: Value) -> i64 {
    let mut attributes = attributes;
    attributes["organization-id"] = json!(org);
    app.create("/locations", attributes).await
}

async fn show(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get(&format!("/locations/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["attributes"].clone()
}

async fn create_fills_country_region_and_formatted_phone(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let us = country(&app, "US").await;
    let california = region(&app, us, "California").await;
    let (status, body) = app
        .send(
            Method::POST,
            "/locations",
            json!({"data": {"type": "locations", "attributes": {
                "organization_id": org, "name": "HQ", "address_1": "1 Market St",
                "address-2": "Suite 5", "City": "San Francisco", "postal-code": "94105",
                "country-id": us, "region-id": california,
                "phone": "415.213.2000", "fax": "(415) 213-2001",
            }}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(a["organization-name"], "Happy Frog");
    assert_eq!(a["address-1"], "1 Market St");
    assert_eq!(a["address-2"], "Suite 5");
    assert_eq!(a["city"], "San Francisco");
    assert_eq!(a["country-name"], "United States");
    assert_eq!(a["region-name"], "California");
    assert_eq!(a["phone"], "4152132000");
    assert_eq!(a["formatted-phone"], "(415) 213-2000");
    assert_eq!(a["fax"], "4152132001");
    assert_eq!(a["formatted-fax"], "(415) 213-2001");
    assert_eq!(a["primary"], false);
    let id = id_of(&body);
    assert_eq!(show(&app, id).await, *a);

    // Clearing the phone clears its formatted twin.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/locations/{id}"),
            json!({"data": {"type": "locations", "attributes": {"phone": null}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["formatted-phone"], Value::Null);
    assert_eq!(body["data"]["attributes"]["fax"], "4152132001");
}

async fn a_region_must_belong_to_the_country(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let us = country(&app, "US").await;
    let ca = country(&app, "CA").await;
    let ontario = region(&app, ca, "Ontario").await;
    let (status, body) = app
        .send(
            Method::POST,
            "/locations",
            json!({"data": {"type": "locations", "attributes": {
                "organization-id": org, "name": "Wrong", "country-id": us, "region-id": ontario,
            }}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/region-id"
    );
    let (_, body) = app.get("/locations").await;
    assert_eq!(body["meta"]["total-count"], 0);

    // A region alone fills its country.
    let id = location(&app, org, json!({"name": "Toronto", "region-id": ontario})).await;
    let a = show(&app, id).await;
    assert_eq!(a["country-id"], ca);
    assert_eq!(a["country-name"], "Canada");
    assert_eq!(a["region-name"], "Ontario");

    // An update of the country alone is checked against the stored region.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/locations/{id}"),
            json!({"data": {"type": "locations", "attributes": {"country-id": us}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(show(&app, id).await["country-id"], ca);

    // An update of the region alone moves the location to the region's country.
    let california = region(&app, us, "California").await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/locations/{id}"),
            json!({"data": {"type": "locations", "attributes": {"region-id": california}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["country-name"], "United States");
    assert_eq!(body["data"]["attributes"]["region-name"], "California");
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/locations/{id}"),
            json!({"data": {"type": "locations", "attributes": {"region-id": ontario, "country-id": us}}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(show(&app, id).await["region-name"], "California");

    let (status, body) = app
        .send(
            Method::POST,
            "/locations",
            json!({"data": {"type": "locations", "attributes": {
                "organization-id": org, "name": "Nowhere", "region-id": 99999999,
            }}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/region-id"
    );
}

async fn one_primary_location_per_organization(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let other_org = organization(&app, "Other").await;
    let first = location(&app, org, json!({"name": "First", "primary": true})).await;
    let elsewhere = location(
        &app,
        other_org,
        json!({"name": "Elsewhere", "primary": true}),
    )
    .await;
    let second = location(&app, org, json!({"name": "Second", "primary": true})).await;
    assert_eq!(show(&app, first).await["primary"], false);
    assert_eq!(show(&app, second).await["primary"], true);
    assert_eq!(show(&app, elsewhere).await["primary"], true);

    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/locations/{first}"),
            json!({"data": {"type": "locations", "attributes": {"primary": true}}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(show(&app, first).await["primary"], true);
    assert_eq!(show(&app, second).await["primary"], false);
    assert_eq!(show(&app, elsewhere).await["primary"], true);

    let (_, body) = app
        .get(&format!(
            "/organizations/{org}/relationships/locations?sort=-primary"
        ))
        .await;
    assert_eq!(names(&body), ["First", "Second"]);
    let (_, body) = app
        .get(&format!(
            "/organizations/{org}/relationships/locations?sort=primary"
        ))
        .await;
    assert_eq!(names(&body), ["Second", "First"]);
}

async fn filters_narrow_the_list(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let other_org = organization(&app, "Other").await;
    let us = country(&app, "US").await;
    let ca = country(&app, "CA").await;
    let california = region(&app, us, "California").await;
    let a = location(
        &app,
        org,
        json!({"name": "SF", "city": "San Francisco", "region-id": california}),
    )
    .await;
    let b = location(
        &app,
        org,
        json!({"name": "Toronto", "city": "Toronto", "country-id": ca}),
    )
    .await;
    let c = location(
        &app,
        other_org,
        json!({"name": "LA", "city": "Los Angeles", "region-id": california}),
    )
    .await;
    for (filter, expected) in [
        (format!("id]={a},{b}"), vec![a, b]),
        ("name]=Toronto".to_string(), vec![b]),
        ("city]=Los Angeles".to_string(), vec![c]),
        (format!("region_id]={california}"), vec![a, c]),
        (format!("country_id]={us}"), vec![a, c]),
        (format!("country-id]={ca}"), vec![b]),
        (format!("organization_id]={org}"), vec![a, b]),
    ] {
        let (status, body) = app
            .get(&format!("/locations?filter[{filter}&sort=id"))
            .await;
        assert_eq!(status, 200, "filter[{filter}: {body}");
        assert_eq!(ids(&body), expected, "filter[{filter}");
    }
    let (_, body) = app
        .get(&format!(
            "/organizations/{other_org}/relationships/locations?filter[region_id]={california}"
        ))
        .await;
    assert_eq!(ids(&body), [c]);
    let (status, _) = app.get("/locations?filter[psa_id]=3").await;
    assert_eq!(status, 400);
}

async fn nested_create_show_and_update_are_scoped(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let other_org = organization(&app, "Other").await;
    let route = format!("/organizations/{org}/relationships/locations");
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": {"type": "locations", "attributes": {"name": "Nested"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["attributes"]["organization-id"], org);
    let nested = id_of(&body);
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [
                {"type": "locations", "attributes": {"name": "Bulk 1"}},
                {"type": "locations", "attributes": {"name": "Bulk 2", "phone": "4155550000"}},
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(names(&body), ["Bulk 1", "Bulk 2"]);
    assert_eq!(
        body["data"][1]["attributes"]["formatted-phone"],
        "(415) 555-0000"
    );
    let (status, _) = app
        .send(
            Method::POST,
            "/locations",
            json!({"data": [{"type": "locations", "attributes": {"name": "Top", "organization-id": org}}]}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = app
        .send(
            Method::POST,
            "/locations",
            json!({"data": {"type": "locations", "attributes": {"name": "No Org"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/organization-id"
    );

    let elsewhere = location(&app, other_org, json!({"name": "Elsewhere"})).await;
    assert_eq!(app.get(&format!("{route}/{nested}")).await.0, 200);
    assert_eq!(app.get(&format!("{route}/{elsewhere}")).await.0, 404);
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("{route}/{elsewhere}"),
            json!({"data": {"type": "locations", "attributes": {"name": "Hijacked"}}}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(show(&app, elsewhere).await["name"], "Elsewhere");
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("{route}/{nested}"),
            json!({"data": {"type": "locations", "attributes": {"notes": "Reception on 2"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["notes"], "Reception on 2");
    assert_eq!(body["data"]["attributes"]["name"], "Nested");
}

async fn nested_delete_with_an_id_deletes_that_location(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let other_org = organization(&app, "Other").await;
    let a = location(&app, org, json!({"name": "A"})).await;
    let b = location(&app, org, json!({"name": "B"})).await;
    let c = location(&app, org, json!({"name": "C"})).await;
    let elsewhere = location(&app, other_org, json!({"name": "Elsewhere"})).await;
    let route = format!("/organizations/{org}/relationships/locations");

    let response = app
        .request(Method::DELETE, &format!("{route}/{a}"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(app.get(&format!("/locations/{a}")).await.0, 404);
    assert_eq!(app.get(&format!("/locations/{b}")).await.0, 200);

    // Another organization's location under this one: 404, kept.
    let response = app
        .request(Method::DELETE, &format!("{route}/{elsewhere}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(app.get(&format!("/locations/{elsewhere}")).await.0, 200);

    // With a data body it is the bulk delete within the organization.
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("{route}/{b}"),
            json!({"data": [
                {"type": "locations", "attributes": {"id": b}},
                {"type": "locations", "attributes": {"id": c}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [b, c]);
    let (_, body) = app.get("/locations").await;
    assert_eq!(ids(&body), [elsewhere]);
    // No top-level single delete.
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/locations/{elsewhere}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 405);
    assert_eq!(app.get(&format!("/locations/{elsewhere}")).await.0, 200);
}

async fn bulk_delete_by_filter_and_bulk_update(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let a = location(&app, org, json!({"name": "A", "city": "Paris"})).await;
    let b = location(&app, org, json!({"name": "B", "city": "Paris"})).await;
    let c = location(&app, org, json!({"name": "C", "city": "Lyon"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/locations",
            json!({"data": [
                {"type": "locations", "attributes": {"id": a, "postal-code": "75001"}},
                {"type": "locations", "attributes": {"id": c, "phone": "+33 4 72 00 00 00"}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(show(&app, a).await["postal-code"], "75001");
    assert_eq!(show(&app, c).await["phone"], "+33472000000");
    assert_eq!(show(&app, c).await["formatted-phone"], "+33472000000");

    let (status, _) = app
        .send(
            Method::PATCH,
            "/locations",
            json!({"data": [
                {"type": "locations", "attributes": {"id": a, "name": "Renamed"}},
                {"type": "locations", "attributes": {"id": b, "name": null}},
            ]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(show(&app, a).await["name"], "A");

    let (status, body) = app
        .send(Method::DELETE, "/locations?filter[city]=Paris", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [a, b]);
    let (_, body) = app.get("/locations").await;
    assert_eq!(ids(&body), [c]);
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/organizations/{org}/relationships/locations?filter[city]=Lyon"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [c]);
}

async fn deleting_a_location_unlinks_its_contacts_and_configurations(app: TestApp) {
    let org = organization(&app, "Happy Frog").await;
    let place = location(&app, org, json!({"name": "Closing"})).await;
    let contact = app
        .create(
            "/contacts",
            json!({"organization-id": org, "first-name": "Ann", "location-id": place}),
        )
        .await;
    let server = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let config = app
        .create(
            "/configurations",
            json!({"organization-id": org, "name": "Box", "configuration-type-id": server, "location-id": place}),
        )
        .await;
    let (status, _) = app
        .send(
            Method::DELETE,
            "/locations",
            json!({"data": [{"type": "locations", "attributes": {"id": place}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = app.get(&format!("/contacts/{contact}")).await;
    assert_eq!(body["data"]["attributes"]["location-id"], Value::Null);
    assert_eq!(body["data"]["attributes"]["location-name"], Value::Null);
    let (_, body) = app.get(&format!("/configurations/{config}")).await;
    assert_eq!(body["data"]["attributes"]["location-id"], Value::Null);
}

crate::api_tests!(
    create_fills_country_region_and_formatted_phone,
    a_region_must_belong_to_the_country,
    one_primary_location_per_organization,
    filters_narrow_the_list,
    nested_create_show_and_update_are_scoped,
    nested_delete_with_an_id_deletes_that_location,
    bulk_delete_by_filter_and_bulk_update,
    deleting_a_location_unlinks_its_contacts_and_configurations,
);
