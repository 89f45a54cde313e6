//! Organizations: the reference's attributes, filters, sorts, bulk forms,
//! hierarchy, and the all-or-nothing rule for bulk writes.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{read, TestApp};

fn names(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attributes"]["name"].as_str().unwrap().to_string())
        .collect()
}

async fn organization_names(app: &TestApp) -> Vec<String> {
    let (_, body) = app.get("/organizations?sort=name&page[size]=1000").await;
    names(&body)
}

async fn a_new_account_has_its_owner_organization_and_defaults(app: TestApp) {
    let (status, body) = app.get("/organizations").await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["total-count"], 1);
    let owner = &body["data"][0]["attributes"];
    assert_eq!(owner["name"], "Acme IT");
    assert_eq!(owner["primary"], true);
    assert_eq!(owner["organization-type-name"], "Owner");
    assert_eq!(owner["organization-status-name"], "Active");
    for (route, name) in [
        ("/organization_types", "Customer"),
        ("/organization_types", "Vendor"),
        ("/organization_statuses", "Inactive"),
        ("/configuration_types", "Managed Server"),
        ("/configuration_statuses", "Active"),
        ("/contact_types", "Approver"),
        ("/password_categories", "Cloud"),
        ("/manufacturers", "Dell"),
    ] {
        app.catalog_id(route, name).await;
    }
}

async fn create_show_and_list_fill_computed_names(app: TestApp) {
    let customer = app.catalog_id("/organization_types", "Customer").await;
    let active = app.catalog_id("/organization_statuses", "Active").await;
    let notes = "n".repeat(300);
    let (status, body) = app
        .send(
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {
                "name": "Happy Frog", "short-name": "happy", "description": "Frogs",
                "organization-type-id": customer, "organization-status-id": active,
                "quick-notes": notes,
            }}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        body["data"]["attributes"]["organization-type-name"],
        "Customer"
    );

    let (_, shown) = app.get(&format!("/organizations/{id}")).await;
    assert_eq!(
        shown["data"]["attributes"]["quick-notes"]
            .as_str()
            .unwrap()
            .len(),
        300
    );
    assert_eq!(
        shown["data"]["attributes"]["organization-status-name"],
        "Active"
    );

    let (_, listed) = app.get("/organizations?filter[name]=Happy Frog").await;
    assert_eq!(
        listed["data"][0]["attributes"]["quick-notes"]
            .as_str()
            .unwrap()
            .len(),
        250
    );
    assert_eq!(
        listed["data"][0]["attributes"]["organization-type-name"],
        "Customer"
    );

    // Renaming the type shows in the organization at once (joined, not copied).
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/organization_types/{customer}"),
            json!({"data": {"type": "organization-types", "attributes": {"name": "Client"}}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, shown) = app.get(&format!("/organizations/{id}")).await;
    assert_eq!(
        shown["data"]["attributes"]["organization-type-name"],
        "Client"
    );
}

async fn update_changes_only_what_is_sent(app: TestApp) {
    let id = app
        .create(
            "/organizations",
            json!({"name": "Kraken", "alert": "Call first", "short-name": "kr"}),
        )
        .await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{id}"),
            json!({"data": {"type": "organizations", "attributes": {"alert": null, "description": "Sea"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["alert"], Value::Null);
    assert_eq!(attributes["description"], "Sea");
    assert_eq!(attributes["short-name"], "kr");
    assert_eq!(attributes["name"], "Kraken");

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{id}"),
            json!({"data": {"type": "organizations", "attributes": {"id": id + 1, "name": "Other"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{id}"),
            json!({"data": {"type": "organizations", "attributes": {"name": ""}}}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{id}"),
            json!({"data": {"type": "organizations", "attributes": {"organization-type-id": 999999}}}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{id}"),
            json!({"data": {"type": "organizations", "attributes": {"name": "X"}, "relationships": {}}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        app.get(&format!("/organizations/{id}")).await.1["data"]["attributes"]["name"],
        "Kraken"
    );
}

async fn bulk_update_by_data_is_all_or_nothing(app: TestApp) {
    let a = app.create("/organizations", json!({"name": "Alpha"})).await;
    let b = app.create("/organizations", json!({"name": "Bravo"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/organizations",
            json!({"data": [
                {"type": "organizations", "attributes": {"id": a, "short-name": "al"}},
                {"type": "organizations", "attributes": {"id": b.to_string(), "short-name": "br"}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);

    let (status, body) = app
        .send(
            Method::PATCH,
            "/organizations",
            json!({"data": [
                {"type": "organizations", "attributes": {"id": a, "short-name": "changed"}},
                {"type": "organizations", "attributes": {"id": b, "name": ""}},
            ]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/1/attributes/name"
    );
    let (status, body) = app
        .send(
            Method::PATCH,
            "/organizations",
            json!({"data": [
                {"type": "organizations", "attributes": {"id": a, "short-name": "changed"}},
                {"type": "organizations", "attributes": {"id": 987654, "short-name": "x"}},
            ]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("987654"));
    let (_, shown) = app.get(&format!("/organizations/{a}")).await;
    assert_eq!(shown["data"]["attributes"]["short-name"], "al");
}

async fn bulk_update_by_filter_applies_one_object_to_every_match(app: TestApp) {
    let vendor = app.catalog_id("/organization_types", "Vendor").await;
    for name in ["V1", "V2", "V3"] {
        app.create(
            "/organizations",
            json!({"name": name, "organization-type-id": vendor}),
        )
        .await;
    }
    app.create("/organizations", json!({"name": "Not a vendor"}))
        .await;
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations?filter[organization_type_id]={vendor}"),
            json!({"data": {"type": "organizations", "attributes": {"alert": "Vendor"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    let (_, listed) = app.get("/organizations?filter[name]=Not a vendor").await;
    assert_eq!(listed["data"][0]["attributes"]["alert"], Value::Null);

    let (status, _) = app
        .send(
            Method::PATCH,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"alert": "all"}}}),
        )
        .await;
    assert_eq!(
        status, 400,
        "a hash without filters must not touch every record"
    );
}

async fn bulk_delete_by_data_or_filter_returns_deleted_records(app: TestApp) {
    let a = app
        .create("/organizations", json!({"name": "Delete A"}))
        .await;
    let b = app
        .create("/organizations", json!({"name": "Delete B"}))
        .await;
    app.create("/organizations", json!({"name": "Keep"})).await;
    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [{"type": "organizations", "attributes": {"id": a}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), vec!["Delete A"]);
    let response = app
        .request(Method::DELETE, "/organizations?filter[name]=Delete B")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), vec!["Delete B"]);
    assert_eq!(app.get(&format!("/organizations/{b}")).await.0, 404);
    assert_eq!(organization_names(&app).await, vec!["Acme IT", "Keep"]);

    let keep = app.catalog_id("/organizations", "Keep").await;
    let (status, _) = app
        .send(
            Method::DELETE,
            "/organizations?filter[name]=Keep",
            json!({"data": [{"type": "organizations", "attributes": {"id": keep}}]}),
        )
        .await;
    assert_eq!(status, 400, "data and filter together");
    let (status, _) = read(
        app.request(Method::DELETE, "/organizations")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "neither data nor filter");

    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [
                {"type": "organizations", "attributes": {"id": keep}},
                {"type": "organizations", "attributes": {"id": 424242}},
            ]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(organization_names(&app).await, vec!["Acme IT", "Keep"]);
}

async fn the_primary_organization_cannot_be_deleted(app: TestApp) {
    let other = app.create("/organizations", json!({"name": "Other"})).await;
    let owner = app.catalog_id("/organizations", "Acme IT").await;
    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [
                {"type": "organizations", "attributes": {"id": other}},
                {"type": "organizations", "attributes": {"id": owner}},
            ]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(organization_names(&app).await, vec!["Acme IT", "Other"]);
}

async fn parents_keep_ancestor_ids_and_refuse_cycles(app: TestApp) {
    let root = app.create("/organizations", json!({"name": "Root"})).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Child", "parent-id": root.to_string()}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let child: i64 = body["data"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(body["data"]["attributes"]["parent-id"], root.to_string());
    assert_eq!(
        body["data"]["attributes"]["ancestor-ids"],
        format!("[{root}]")
    );
    let grandchild = app
        .create(
            "/organizations",
            json!({"name": "Grandchild", "parent_id": child}),
        )
        .await;
    let (_, shown) = app.get(&format!("/organizations/{grandchild}")).await;
    assert_eq!(
        shown["data"]["attributes"]["ancestor-ids"],
        format!("[{root},{child}]")
    );

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{root}"),
            json!({"data": {"type": "organizations", "attributes": {"parent-id": grandchild}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/parent-id"
    );

    // Moving the child to the top re-roots its descendants.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{child}"),
            json!({"data": {"type": "organizations", "attributes": {"parent-id": null}}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, shown) = app.get(&format!("/organizations/{grandchild}")).await;
    assert_eq!(
        shown["data"]["attributes"]["ancestor-ids"],
        format!("[{child}]")
    );
}

async fn filters_match_exclude_and_range(app: TestApp) {
    let vendor = app.catalog_id("/organization_types", "Vendor").await;
    let a = app
        .create(
            "/organizations",
            json!({"name": "Ant", "organization-type-id": vendor}),
        )
        .await;
    let b = app.create("/organizations", json!({"name": "Bee"})).await;
    app.create("/organizations", json!({"name": "Cat"})).await;

    let (_, body) = app
        .get(&format!("/organizations?filter[id]={a},{b}&sort=name"))
        .await;
    assert_eq!(names(&body), vec!["Ant", "Bee"]);
    let (_, body) = app
        .get("/organizations?filter[exclude][name]=Ant,Cat&sort=name")
        .await;
    assert_eq!(names(&body), vec!["Acme IT", "Bee"]);
    let (_, body) = app
        .get(&format!(
            "/organizations?filter[exclude][organization_type_id]={vendor}&sort=name"
        ))
        .await;
    assert_eq!(names(&body), vec!["Acme IT", "Bee", "Cat"]);
    let (_, body) = app
        .get("/organizations?filter[range][my_glue_account_id]=2, *")
        .await;
    assert_eq!(body["meta"]["total-count"], 0);
    let (status, _) = app.get("/organizations?filter[range][name]=a,b").await;
    assert_eq!(
        status, 400,
        "range is only for the fields the reference names"
    );
    let (status, _) = app.get("/organizations?filter[psa_id]=5").await;
    assert_eq!(status, 400, "psa_id needs psa_integration_type");
    let (status, body) = app
        .get("/organizations?filter[psa_id]=5&filter[psa_integration_type]=autotask")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["total-count"], 0);
    let (status, _) = app
        .get("/organizations?filter[psa_integration_type]=nonsense")
        .await;
    assert_eq!(status, 400);
    let (_, body) = app
        .get("/organizations?sort=-organization_type_name,name")
        .await;
    assert_eq!(
        names(&body)[0],
        "Ant",
        "Vendor sorts after Owner and the nulls"
    );
}

async fn created_and_updated_at_filter_by_date_range(app: TestApp) {
    app.create("/organizations", json!({"name": "Today"})).await;
    let today = chrono_today();
    let (status, body) = app
        .get(&format!("/organizations?filter[created_at]={today}, *"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["total-count"], 2);
    let (_, body) = app
        .get("/organizations?filter[created_at]=*, 2001-01-01")
        .await;
    assert_eq!(body["meta"]["total-count"], 0);
    let (_, body) = app
        .get(&format!(
            "/organizations?filter[updated_at]={today},{today}"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 2);
    let (status, _) = app.get("/organizations?filter[created_at]=yesterday").await;
    assert_eq!(status, 400);
}

fn chrono_today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

crate::api_tests!(
    a_new_account_has_its_owner_organization_and_defaults,
    create_show_and_list_fill_computed_names,
    update_changes_only_what_is_sent,
    bulk_update_by_data_is_all_or_nothing,
    bulk_update_by_filter_applies_one_object_to_every_match,
    bulk_delete_by_data_or_filter_returns_deleted_records,
    the_primary_organization_cannot_be_deleted,
    parents_keep_ancestor_ids_and_refuse_cycles,
    filters_match_exclude_and_range,
    created_and_updated_at_filter_by_date_range,
);
