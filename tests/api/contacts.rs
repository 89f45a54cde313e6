//! Contacts: typed email and phone lists, the full name, the reference's
//! filters and sorts, `include=location`, and bulk writes.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, ids, names, TestApp};

async fn organization(app: &TestApp) -> i64 {
    app.create("/organizations", json!({"name": "Happy Frog"}))
        .await
}

async fn contact(app: &TestApp, org: i64, attributes: Value) -> i64 {
    let mut attributes = attributes;
    attributes["organization-id"] = json!(org);
    app.create("/contacts", attributes).await
}

async fn show(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get(&format!("/contacts/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["attributes"].clone()
}

async fn create_keeps_emails_phones_and_the_full_name(app: TestApp) {
    let org = organization(&app).await;
    let approver = app.catalog_id("/contact_types", "Approver").await;
    let (status, body) = app
        .send(
            Method::POST,
            "/contacts",
            json!({"data": {"type": "contacts", "attributes": {
                "organization-id": org, "first-name": "Robert", "last-name": "Storts",
                "title": "CTO", "contact-type-id": approver, "important": true,
                "contact-emails": [
                    {"value": "rob@happyfrog.com", "label-name": "Work", "primary": true},
                    {"value": "rob@home.example", "label-name": "Home"},
                ],
                "contact_phones": [
                    {"value": "(415) 555-2156", "label_name": "Work", "extension": "x 12"},
                    {"value": "+44 20 7946 0958", "label_name": "Cell", "label_type": "mobile", "primary": true},
                ],
            }}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(a["name"], "Robert Storts");
    assert_eq!(a["organization-name"], "Happy Frog");
    assert_eq!(a["contact-type-name"], "Approver");
    assert_eq!(a["important"], true);
    assert_eq!(
        a["contact-emails"],
        json!([
            {"value": "rob@happyfrog.com", "label-name": "Work", "primary": true},
            {"value": "rob@home.example", "label-name": "Home", "primary": false},
        ])
    );
    let phones = a["contact-phones"].as_array().unwrap();
    assert_eq!(phones.len(), 2);
    assert_eq!(phones[0]["value"], "4155552156");
    assert_eq!(phones[0]["extension"], "12");
    assert_eq!(phones[0]["formatted-value"], "(415) 555-2156");
    assert_eq!(phones[0]["label-name"], "Work");
    assert_eq!(phones[0]["label-type"], "phone");
    assert_eq!(phones[0]["primary"], false);
    assert_eq!(phones[1]["value"], "+442079460958");
    assert_eq!(phones[1]["label-type"], "mobile");
    assert_eq!(phones[1]["primary"], true);
    let id = id_of(&body);
    assert_eq!(show(&app, id).await, *a);
}

async fn the_first_entry_is_primary_when_none_is(app: TestApp) {
    let org = organization(&app).await;
    let id = contact(
        &app,
        org,
        json!({"first-name": "Ann", "contact-emails": [
            {"value": "ann@one.example", "label-name": "Work"},
            {"value": "ann@two.example", "label-name": "Home"},
        ], "contact-phones": [{"value": "555 0100", "label-name": "Work"}]}),
    )
    .await;
    let a = show(&app, id).await;
    assert_eq!(a["contact-emails"][0]["primary"], true);
    assert_eq!(a["contact-emails"][1]["primary"], false);
    assert_eq!(a["contact-phones"][0]["primary"], true);
    let (_, body) = app
        .get("/contacts?filter[primary_email]=ann@one.example")
        .await;
    assert_eq!(ids(&body), [id]);
    let (_, body) = app
        .get("/contacts?filter[primary_email]=ann@two.example")
        .await;
    assert_eq!(body["meta"]["total-count"], 0);

    // Two marked primary: the first one keeps it.
    let id = contact(
        &app,
        org,
        json!({"first-name": "Bo", "contact-emails": [
            {"value": "bo@one.example", "label-name": "Work", "primary": true},
            {"value": "bo@two.example", "label-name": "Home", "primary": true},
        ]}),
    )
    .await;
    let a = show(&app, id).await;
    assert_eq!(a["contact-emails"][0]["primary"], true);
    assert_eq!(a["contact-emails"][1]["primary"], false);
}

async fn invalid_entries_are_422_with_a_pointer_to_the_entry(app: TestApp) {
    let org = organization(&app).await;
    for (attributes, pointer) in [
        (
            json!({"contact-emails": [
                {"value": "ok@frog.example", "label-name": "Work"},
                {"value": "not-an-email", "label-name": "Home"},
            ]}),
            "/data/attributes/contact-emails/1/value",
        ),
        (
            json!({"contact-emails": [{"value": "a@frog.example"}]}),
            "/data/attributes/contact-emails/0/label-name",
        ),
        (
            json!({"contact-phones": [{"label-name": "Work"}]}),
            "/data/attributes/contact-phones/0/value",
        ),
        (
            json!({"contact-phones": [{"value": "call me", "label-name": "Work"}]}),
            "/data/attributes/contact-phones/0/value",
        ),
    ] {
        let mut attributes = attributes;
        attributes["organization-id"] = json!(org);
        attributes["first-name"] = json!("Bad");
        let (status, body) = app
            .send(
                Method::POST,
                "/contacts",
                json!({"data": {"type": "contacts", "attributes": attributes}}),
            )
            .await;
        assert_eq!(status, 422, "{attributes}: {body}");
        assert_eq!(body["errors"][0]["source"]["pointer"], pointer, "{body}");
    }
    let (_, body) = app.get("/contacts").await;
    assert_eq!(body["meta"]["total-count"], 0);

    let id = contact(
        &app,
        org,
        json!({"first-name": "Good", "contact-emails": [{"value": "g@frog.example", "label-name": "Work"}]}),
    )
    .await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/contacts/{id}"),
            json!({"data": {"type": "contacts", "attributes": {
                "contact-emails": [{"value": "g@", "label-name": "Work"}]}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/contact-emails/0/value"
    );
    assert_eq!(
        show(&app, id).await["contact-emails"][0]["value"],
        "g@frog.example"
    );
}

async fn patch_replaces_lists_when_sent_and_keeps_them_when_absent(app: TestApp) {
    let org = organization(&app).await;
    let id = contact(
        &app,
        org,
        json!({"first-name": "Robert", "last-name": "Storts",
               "contact-emails": [
                   {"value": "rob@one.example", "label-name": "Work"},
                   {"value": "rob@two.example", "label-name": "Home"}],
               "contact-phones": [{"value": "4155552156", "label-name": "Work"}]}),
    )
    .await;
    // Absent: unchanged; the name follows the first and last names.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/contacts/{id}"),
            json!({"data": {"type": "contacts", "attributes": {"first-name": "Bob"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(a["name"], "Bob Storts");
    assert_eq!(a["last-name"], "Storts");
    assert_eq!(a["contact-emails"].as_array().unwrap().len(), 2);
    assert_eq!(a["contact-phones"].as_array().unwrap().len(), 1);
    let (_, body) = app.get("/contacts?sort=name").await;
    assert_eq!(names(&body), ["Bob Storts"]);

    // Sent: the whole list is replaced, and the primary email filter follows.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/contacts/{id}"),
            json!({"data": {"type": "contacts", "attributes": {
                "contact-emails": [{"value": "bob@new.example", "label-name": "Work"}],
                "contact-phones": [],
                "last-name": null,
            }}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(
        a["contact-emails"],
        json!([{"value": "bob@new.example", "label-name": "Work", "primary": true}])
    );
    assert_eq!(a["contact-phones"], json!([]));
    assert_eq!(a["name"], "Bob");
    let (_, body) = app
        .get("/contacts?filter[primary_email]=rob@one.example")
        .await;
    assert_eq!(body["meta"]["total-count"], 0);
    let (_, body) = app
        .get("/contacts?filter[primary-email]=bob@new.example")
        .await;
    assert_eq!(ids(&body), [id]);

    // An empty list leaves no primary email.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/contacts/{id}"),
            json!({"data": {"type": "contacts", "attributes": {"contact-emails": []}}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = app
        .get("/contacts?filter[primary_email]=bob@new.example")
        .await;
    assert_eq!(body["meta"]["total-count"], 0);
}

async fn filters_narrow_the_list(app: TestApp) {
    let org = organization(&app).await;
    let other_org = app.create("/organizations", json!({"name": "Other"})).await;
    let approver = app.catalog_id("/contact_types", "Approver").await;
    let a = contact(
        &app,
        org,
        json!({"first-name": "Ann", "last-name": "Lee", "title": "CEO",
               "contact-type-id": approver, "important": true}),
    )
    .await;
    let b = contact(
        &app,
        org,
        json!({"first-name": "Bo", "last-name": "Lee", "title": "CFO"}),
    )
    .await;
    let c = contact(
        &app,
        other_org,
        json!({"first-name": "Ann", "last-name": "Ng"}),
    )
    .await;
    for (filter, expected) in [
        (format!("id]={a},{c}"), vec![a, c]),
        ("first_name]=Ann".to_string(), vec![a, c]),
        ("last-name]=Lee".to_string(), vec![a, b]),
        ("title]=CFO".to_string(), vec![b]),
        (format!("contact_type_id]={approver}"), vec![a]),
        ("important]=true".to_string(), vec![a]),
        ("important]=false".to_string(), vec![b, c]),
        (format!("organization_id]={other_org}"), vec![c]),
    ] {
        let (status, body) = app.get(&format!("/contacts?filter[{filter}&sort=id")).await;
        assert_eq!(status, 200, "filter[{filter}: {body}");
        assert_eq!(ids(&body), expected, "filter[{filter}");
    }
    let (_, body) = app
        .get(&format!(
            "/organizations/{org}/relationships/contacts?filter[first_name]=Ann"
        ))
        .await;
    assert_eq!(ids(&body), [a]);
    let (status, _) = app.get("/contacts?filter[psa_id]=1").await;
    assert_eq!(status, 400);
    let (status, body) = app
        .get("/contacts?filter[psa_id]=1&filter[psa_integration_type]=manage")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["total-count"], 0);
}

async fn sorts_by_first_last_and_full_name(app: TestApp) {
    let org = organization(&app).await;
    contact(&app, org, json!({"first-name": "Cy", "last-name": "Adams"})).await;
    contact(&app, org, json!({"first-name": "Al", "last-name": "Young"})).await;
    contact(&app, org, json!({"first-name": "Bea", "last-name": "Moss"})).await;
    for (sort, expected) in [
        ("first_name", ["Al Young", "Bea Moss", "Cy Adams"]),
        ("-first-name", ["Cy Adams", "Bea Moss", "Al Young"]),
        ("last_name", ["Cy Adams", "Bea Moss", "Al Young"]),
        ("-last_name", ["Al Young", "Bea Moss", "Cy Adams"]),
        ("name", ["Al Young", "Bea Moss", "Cy Adams"]),
        ("-name", ["Cy Adams", "Bea Moss", "Al Young"]),
        ("-id", ["Bea Moss", "Al Young", "Cy Adams"]),
    ] {
        let (status, body) = app.get(&format!("/contacts?sort={sort}")).await;
        assert_eq!(status, 200, "{sort}: {body}");
        assert_eq!(names(&body), expected, "sort={sort}");
    }
}

async fn include_location_brings_the_contacts_location(app: TestApp) {
    let org = organization(&app).await;
    let location = app
        .create(
            "/locations",
            json!({"name": "Head Office", "organization-id": org, "city": "Springfield"}),
        )
        .await;
    let id = contact(
        &app,
        org,
        json!({"first-name": "Ann", "location-id": location}),
    )
    .await;
    contact(&app, org, json!({"first-name": "Nowhere"})).await;
    assert_eq!(show(&app, id).await["location-name"], "Head Office");
    let (status, body) = app.get(&format!("/contacts/{id}?include=location")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["relationships"]["location"]["data"]["id"],
        location.to_string()
    );
    assert_eq!(body["included"][0]["type"], "locations");
    assert_eq!(body["included"][0]["attributes"]["city"], "Springfield");
    let (status, body) = app.get("/contacts?include=location&sort=id").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["included"].as_array().unwrap().len(), 1);
    assert_eq!(
        body["data"][1]["relationships"]["location"]["data"],
        Value::Null
    );
}

async fn bulk_update_and_delete_are_all_or_nothing(app: TestApp) {
    let org = organization(&app).await;
    let a = contact(&app, org, json!({"first-name": "Ann", "last-name": "Lee"})).await;
    let b = contact(&app, org, json!({"first-name": "Bo", "last-name": "Lee"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/contacts",
            json!({"data": [
                {"type": "contacts", "attributes": {"id": a, "last-name": "Ng"}},
                {"type": "contacts", "attributes": {"id": b, "contact-emails": [{"value": "bo@lee.example", "label-name": "Work"}]}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(show(&app, a).await["name"], "Ann Ng");
    assert_eq!(
        show(&app, b).await["contact-emails"][0]["value"],
        "bo@lee.example"
    );

    let (status, _) = app
        .send(
            Method::PATCH,
            "/contacts",
            json!({"data": [
                {"type": "contacts", "attributes": {"id": a, "title": "Boss"}},
                {"type": "contacts", "attributes": {"id": 999999, "title": "Ghost"}},
            ]}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(show(&app, a).await["title"], Value::Null);

    // A single DELETE does not exist; bulk by data and by filter do.
    let (status, _) = app
        .send(Method::DELETE, &format!("/contacts/{a}"), json!({}))
        .await;
    assert_eq!(status, 405);
    let (status, body) = app
        .send(
            Method::DELETE,
            "/contacts",
            json!({"data": [{"type": "contacts", "attributes": {"id": a}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), ["Ann Ng"]);
    let c = contact(&app, org, json!({"first-name": "Cy", "important": true})).await;
    let (status, body) = app
        .send(Method::DELETE, "/contacts?filter[last_name]=Lee", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [b]);
    let (_, body) = app.get("/contacts").await;
    assert_eq!(ids(&body), [c]);
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/organizations/{org}/relationships/contacts?filter[important]=true"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [c]);
}

async fn nested_create_and_another_accounts_references(app: TestApp) {
    let org = organization(&app).await;
    let route = format!("/organizations/{org}/relationships/contacts");
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [
                {"type": "contacts", "attributes": {"first-name": "Ann"}},
                {"type": "contacts", "attributes": {"first-name": "Bo", "contact-emails": [{"value": "bo@frog.example", "label-name": "Work"}]}},
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(names(&body), ["Ann", "Bo"]);
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["attributes"]["organization-id"] == org));

    let (status, body) = app
        .send_as(
            &app.other_key,
            Method::POST,
            "/contacts",
            json!({"data": {"type": "contacts", "attributes": {"organization-id": org, "first-name": "Spy"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/organization-id"
    );
    assert_eq!(
        app.send_as(
            &app.other_key,
            Method::POST,
            &route,
            json!({"data": {"type": "contacts", "attributes": {"first-name": "Spy"}}}),
        )
        .await
        .0,
        404
    );
    let (_, body) = app.get("/contacts").await;
    assert_eq!(body["meta"]["total-count"], 2);
}

async fn emails_and_phones_beside_attributes_are_kept(app: TestApp) {
    let org = organization(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/contacts",
            json!({"data": {"type": "contacts",
                "attributes": {"organization-id": org, "first-name": "Ann"},
                "contact_emails": [{"value": "ann@frog.example", "label_name": "Work"}],
                "contact-phones": [{"value": "415-555-0100", "label-name": "Cell"}]}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(a["contact-emails"][0]["value"], "ann@frog.example");
    assert_eq!(a["contact-phones"][0]["formatted-value"], "(415) 555-0100");
    let id = id_of(&body);
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/contacts/{id}"),
            json!({"data": {"type": "contacts", "attributes": {},
                "contact_emails": [{"value": "ann@new.example", "label_name": "Home"}]}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = app
        .get("/contacts?filter[primary_email]=ann@new.example")
        .await;
    assert_eq!(ids(&body), [id]);
}

crate::api_tests!(
    emails_and_phones_beside_attributes_are_kept,
    create_keeps_emails_phones_and_the_full_name,
    the_first_entry_is_primary_when_none_is,
    invalid_entries_are_422_with_a_pointer_to_the_entry,
    patch_replaces_lists_when_sent_and_keeps_them_when_absent,
    filters_narrow_the_list,
    sorts_by_first_last_and_full_name,
    include_location_brings_the_contacts_location,
    bulk_update_and_delete_are_all_or_nothing,
    nested_create_and_another_accounts_references,
);
