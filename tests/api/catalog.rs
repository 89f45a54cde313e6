//! The account's catalogs: types, statuses, categories, manufacturers, models.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

const CATALOGS: &[(&str, &str)] = &[
    ("/organization_types", "organization-types"),
    ("/organization_statuses", "organization-statuses"),
    ("/configuration_types", "configuration-types"),
    ("/configuration_statuses", "configuration-statuses"),
    ("/contact_types", "contact-types"),
    ("/password_categories", "password-categories"),
    ("/manufacturers", "manufacturers"),
];

async fn every_catalog_creates_shows_updates_and_filters_by_name(app: TestApp) {
    for (route, kind) in CATALOGS {
        let (status, body) = app
            .send(
                Method::POST,
                route,
                json!({"data": {"type": kind, "attributes": {"name": "Zeta"}}}),
            )
            .await;
        assert_eq!(status, 201, "{route}: {body}");
        assert_eq!(body["data"]["type"], *kind);
        let id = body["data"]["id"].as_str().unwrap().to_string();
        let (status, body) = app.get(&format!("{route}/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["attributes"]["name"], "Zeta");
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("{route}/{id}"),
                json!({"data": {"type": kind, "attributes": {"name": "Zeta 2"}}}),
            )
            .await;
        assert_eq!(status, 200, "{route}: {body}");
        assert_eq!(body["data"]["attributes"]["name"], "Zeta 2");
        let (_, body) = app.get(&format!("{route}?filter[name]=Zeta 2")).await;
        assert_eq!(body["meta"]["total-count"], 1, "{route}");
        // Names are unique per account.
        let (status, body) = app
            .send(
                Method::POST,
                route,
                json!({"data": {"type": kind, "attributes": {"name": "Zeta 2"}}}),
            )
            .await;
        assert_eq!(status, 422, "{route}: {body}");
        assert_eq!(
            body["errors"][0]["source"]["pointer"],
            "/data/attributes/name"
        );
        let (status, _) = app
            .send(
                Method::POST,
                route,
                json!({"data": {"type": kind, "attributes": {}}}),
            )
            .await;
        assert_eq!(status, 422, "{route}: name is required");
    }
}

async fn password_categories_count_passwords(app: TestApp) {
    let (_, body) = app.get("/password_categories?filter[name]=Cloud").await;
    assert_eq!(body["data"][0]["attributes"]["passwords-count"], 0);
}

async fn configuration_types_carry_a_kind_and_count_configurations(app: TestApp) {
    let (_, body) = app
        .get("/configuration_types?filter[name]=Managed Server")
        .await;
    assert_eq!(body["data"][0]["attributes"]["kind"], "server");
    assert_eq!(body["data"][0]["attributes"]["configurations-count"], 0);
    let ct = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let org = app.catalog_id("/organizations", "Acme IT").await;
    for name in ["dc01", "dc02"] {
        app.create(
            "/configurations",
            json!({"organization-id": org, "name": name, "configuration-type-id": ct}),
        )
        .await;
    }
    let (_, body) = app.get(&format!("/configuration_types/{ct}")).await;
    assert_eq!(body["data"]["attributes"]["configurations-count"], 2);
}

async fn models_nest_under_manufacturers_with_bulk_create(app: TestApp) {
    let dell = app.catalog_id("/manufacturers", "Dell").await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/manufacturers/{dell}/relationships/models"),
            json!({"data": [
                {"type": "models", "attributes": {"name": "Latitude E7470"}},
                {"type": "models", "attributes": {"name": "OptiPlex 7090"}},
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let created = body["data"].as_array().unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["attributes"]["manufacturer-id"], dell);
    assert_eq!(created[0]["attributes"]["manufacturer-name"], "Dell");

    let (status, body) = app
        .get(&format!(
            "/manufacturers/{dell}/relationships/models?sort=-name"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["total-count"], 2);
    assert_eq!(body["data"][0]["attributes"]["name"], "OptiPlex 7090");

    // A model of another manufacturer is not found under Dell.
    let hp = app.catalog_id("/manufacturers", "HP").await;
    let elite = app
        .create(
            "/models",
            json!({"name": "EliteBook", "manufacturer-id": hp}),
        )
        .await;
    assert_eq!(
        app.get(&format!(
            "/manufacturers/{dell}/relationships/models/{elite}"
        ))
        .await
        .0,
        404
    );
    assert_eq!(
        app.get(&format!("/manufacturers/{hp}/relationships/models/{elite}"))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get("/manufacturers/999999/relationships/models")
            .await
            .0,
        404
    );

    // One bad item in a bulk create: nothing is created.
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/manufacturers/{dell}/relationships/models"),
            json!({"data": [
                {"type": "models", "attributes": {"name": "Precision 5570"}},
                {"type": "models", "attributes": {"name": ""}},
            ]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/1/attributes/name"
    );
    let (_, body) = app.get("/models?filter[name]=Precision 5570").await;
    assert_eq!(body["meta"]["total-count"], 0);

    // Arrays go to the nested route only.
    let (status, _) = app
        .send(
            Method::POST,
            "/models",
            json!({"data": [{"type": "models", "attributes": {"name": "X"}}]}),
        )
        .await;
    assert_eq!(status, 400);

    // include=models on manufacturers.
    let (status, body) = app
        .get(&format!("/manufacturers/{dell}?include=models"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["relationships"]["models"]["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(body["included"].as_array().unwrap().len(), 2);
    assert_eq!(body["included"][0]["type"], "models");
}

async fn models_bulk_update_moves_them(app: TestApp) {
    let dell = app.catalog_id("/manufacturers", "Dell").await;
    let hp = app.catalog_id("/manufacturers", "HP").await;
    let a = app
        .create("/models", json!({"name": "A", "manufacturer_id": dell}))
        .await;
    let b = app.create("/models", json!({"name": "B"})).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/models",
            json!({"data": [
                {"type": "models", "attributes": {"id": a, "manufacturer-id": hp}},
                {"type": "models", "attributes": {"id": b, "manufacturer-id": hp}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = app
        .get(&format!(
            "/models?filter[manufacturer_id]={hp}&sort=manufacturer_id,name"
        ))
        .await;
    assert_eq!(body["meta"]["total-count"], 2);
    assert_eq!(body["data"][0]["attributes"]["manufacturer-name"], "HP");
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/manufacturers/{hp}/relationships/models"),
            json!({"data": [{"type": "models", "attributes": {"id": a, "name": "nested"}}]}),
        )
        .await;
    assert_eq!(status, 400, "bulk updates are top-level only");
}

crate::api_tests!(
    every_catalog_creates_shows_updates_and_filters_by_name,
    password_categories_count_passwords,
    configuration_types_carry_a_kind_and_count_configurations,
    models_nest_under_manufacturers_with_bulk_create,
    models_bulk_update_moves_them,
);
