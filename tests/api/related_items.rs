//! Related items: directional links created under their source record and
//! read through `include=related_items` on its show route.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

struct Records {
    org: i64,
    server: i64,
    contact: i64,
    location: i64,
}

async fn records(app: &TestApp) -> Records {
    let org = app.catalog_id("/organizations", "Acme IT").await;
    let ct = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let server = app
        .create(
            "/configurations",
            json!({"organization-id": org, "name": "dc01", "configuration-type-id": ct}),
        )
        .await;
    let contact = app
        .create(
            "/contacts",
            json!({"organization-id": org, "first-name": "Rob", "last-name": "Storts"}),
        )
        .await;
    let location = app
        .create("/locations", json!({"organization-id": org, "name": "HQ"}))
        .await;
    Records {
        org,
        server,
        contact,
        location,
    }
}

fn link(destination_type: &str, destination_id: Value) -> Value {
    json!({"type": "related_items", "attributes": {"destination_type": destination_type, "destination_id": destination_id, "notes": "Admin"}})
}

async fn links_are_created_under_their_source_and_included_on_show(app: TestApp) {
    let r = records(&app).await;
    let route = format!("/configurations/{}/relationships/related_items", r.server);
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": link("Contact", json!(r.contact.to_string()))}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let created = &body["data"];
    assert_eq!(created["type"], "related-items");
    assert_eq!(created["attributes"]["resource-type"], "Configuration");
    assert_eq!(created["attributes"]["resource-id"], r.server);
    assert_eq!(created["attributes"]["destination-id"], r.contact);
    assert_eq!(created["attributes"]["destination-name"], "Rob Storts");
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [link("Location", json!(r.location)), link("Organization", json!(r.org))]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);

    let (status, body) = app
        .get(&format!(
            "/configurations/{}?include=related_items",
            r.server
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let links = body["data"]["relationships"]["related-items"]["data"]
        .as_array()
        .unwrap();
    assert_eq!(links.len(), 3);
    let names: Vec<&str> = body["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["attributes"]["destination-name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Rob Storts", "HQ", "Acme IT"]);
    // Links are directional, and the destination shows the link made to
    // it, its attributes saying which way it points.
    let (_, body) = app
        .get(&format!("/contacts/{}?include=related_items", r.contact))
        .await;
    let links = body["data"]["relationships"]["related-items"]["data"]
        .as_array()
        .unwrap();
    assert_eq!(links.len(), 1, "{body}");
    let inbound = &body["included"][0]["attributes"];
    assert_eq!(inbound["resource-type"], "Configuration");
    assert_eq!(inbound["resource-id"], r.server);
    assert_eq!(inbound["destination-type"], "Contact");
    assert_eq!(inbound["destination-id"], r.contact);
    let (status, _) = app.get("/configurations?include=related_items").await;
    assert_eq!(status, 400, "related items are a show-only include");
}

async fn only_notes_change_and_deletes_are_bulk(app: TestApp) {
    let r = records(&app).await;
    let route = format!("/contacts/{}/relationships/related_items", r.contact);
    let (_, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [link("Configuration", json!(r.server)), link("Location", json!(r.location))]}),
        )
        .await;
    let first: i64 = body["data"][0]["id"].as_str().unwrap().parse().unwrap();
    let second: i64 = body["data"][1]["id"].as_str().unwrap().parse().unwrap();
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("{route}/{first}"),
            json!({"data": {"type": "related_items", "attributes": {"notes": "Rob's laptop", "destination_id": r.location}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["notes"], "Rob's laptop");
    assert_eq!(
        body["data"]["attributes"]["destination-id"], r.server,
        "only notes change"
    );
    // Under another source the link is not found.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!(
                "/configurations/{}/relationships/related_items/{first}",
                r.server
            ),
            json!({"data": {"type": "related_items", "attributes": {"notes": "x"}}}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .send(
            Method::DELETE,
            &route,
            json!({"data": [{"type": "related_items", "attributes": {"id": first}}, {"type": "related_items", "attributes": {"id": 999_999}}]}),
        )
        .await;
    assert_eq!(status, 404, "one unknown id deletes nothing: {body}");
    let (status, body) = app
        .send(
            Method::DELETE,
            &route,
            json!({"data": [{"type": "related_items", "attributes": {"id": first}}, {"type": "related_items", "attributes": {"id": second}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (_, body) = app
        .get(&format!("/contacts/{}?include=related_items", r.contact))
        .await;
    assert_eq!(
        body["data"]["relationships"]["related-items"]["data"],
        json!([])
    );
}

async fn destinations_must_exist_in_the_account(app: TestApp) {
    let r = records(&app).await;
    let route = format!("/configurations/{}/relationships/related_items", r.server);
    let foreign_org = {
        let (_, body) = app.get_as(&app.other_key.clone(), "/organizations").await;
        body["data"][0]["id"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    for (kind, id) in [
        ("Organization", foreign_org),
        ("Contact", 999_999),
        ("Ticket", 1),
        ("Spaceship", 1),
    ] {
        let (status, body) = app
            .send(Method::POST, &route, json!({"data": link(kind, json!(id))}))
            .await;
        assert_eq!(status, 422, "{kind} {id}: {body}");
        assert!(
            body["errors"][0]["source"]["pointer"]
                .as_str()
                .unwrap()
                .starts_with("/data/attributes/destination"),
            "{body}"
        );
    }
    let (status, _) = app
        .send(
            Method::POST,
            &route,
            json!({"data": link("Configuration", json!(r.server))}),
        )
        .await;
    assert_eq!(status, 422, "a record is not related to itself");
    let (status, _) = app
        .send(
            Method::POST,
            &route,
            json!({"data": link("Contact", json!(r.contact))}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": link("Contact", json!(r.contact))}),
        )
        .await;
    assert_eq!(status, 422, "a duplicate link: {body}");
    // A bulk create with one bad item creates nothing.
    let (status, _) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [link("Location", json!(r.location)), link("Contact", json!(424_242))]}),
        )
        .await;
    assert_eq!(status, 422);
    let (_, body) = app
        .get(&format!(
            "/configurations/{}?include=related_items",
            r.server
        ))
        .await;
    assert_eq!(
        body["data"]["relationships"]["related-items"]["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Sources of unknown types, or of another account, are not found.
    let (status, _) = app
        .send(
            Method::POST,
            "/tickets/1/relationships/related_items",
            json!({"data": link("Contact", json!(r.contact))}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &app.other_key.clone(),
            Method::POST,
            &route,
            json!({"data": link("Contact", json!(r.contact))}),
        )
        .await;
    assert_eq!(status, 404);
}

async fn links_go_with_either_end(app: TestApp) {
    let r = records(&app).await;
    app.send(
        Method::POST,
        &format!("/configurations/{}/relationships/related_items", r.server),
        json!({"data": [link("Contact", json!(r.contact)), link("Location", json!(r.location))]}),
    )
    .await;
    // Deleting the destination contact removes the link to it.
    let (status, _) = app
        .send(
            Method::DELETE,
            "/contacts",
            json!({"data": [{"type": "contacts", "attributes": {"id": r.contact}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = app
        .get(&format!(
            "/configurations/{}?include=related_items",
            r.server
        ))
        .await;
    let included = body["included"].as_array().unwrap();
    assert_eq!(included.len(), 1);
    assert_eq!(included[0]["attributes"]["destination-type"], "Location");
    // Deleting the source removes the rest.
    app.send(
        Method::DELETE,
        &format!("/configurations?filter[id]={}", r.server),
        json!({}),
    )
    .await;
    let (_, body) = app
        .send(
            Method::POST,
            &format!("/locations/{}/relationships/related_items", r.location),
            json!({"data": link("Organization", json!(r.org))}),
        )
        .await;
    assert_eq!(body["data"]["attributes"]["destination-name"], "Acme IT");
    let (_, body) = app
        .get(&format!("/locations/{}?include=related_items", r.location))
        .await;
    assert_eq!(body["included"].as_array().unwrap().len(), 1, "{body}");
}

crate::api_tests!(
    links_are_created_under_their_source_and_included_on_show,
    only_notes_change_and_deletes_are_bulk,
    destinations_must_exist_in_the_account,
    links_go_with_either_end,
);
