//! Copilot Smart Assist: the clean-up categories of documents with their
//! counters, and archiving and deleting many documents by id or by
//! category, at account and organization scope, all or nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{ids, names, TestApp};

const ROUTE: &str = "/copilot_smart_assist/documents";

async fn document(app: &TestApp, org: i64, attributes: Value) -> i64 {
    let mut attributes = attributes;
    attributes["organization-id"] = json!(org);
    app.create("/documents", attributes).await
}

async fn view(app: &TestApp, id: i64, times: usize) {
    for _ in 0..times {
        let (status, body) = app.get(&format!("/documents/{id}")).await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Moves a document's last view `days` back in time (what waiting would do).
async fn last_viewed_days_ago(app: &TestApp, id: i64, days: i64) {
    let at = mortar::clock::now_millis() - days * 86_400_000;
    let mut sql = app.store.sql();
    sql.push("UPDATE documents SET last_viewed_at = ")
        .bind(at)
        .push(" WHERE id = ")
        .bind(id);
    app.store.execute(&sql).await.unwrap();
}

/// The documents of every category, in two organizations.
struct Library {
    acme: i64,
    frog: i64,
    popular: i64,
    stale: i64,
    never: i64,
    expired: i64,
    duplicate: i64,
    duplicate_twin: i64,
    frog_runbook: i64,
    archived: i64,
}

async fn library(app: &TestApp) -> Library {
    let acme = app.catalog_id("/organizations", "Acme IT").await;
    let frog = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let popular = document(app, acme, json!({"name": "Firewall runbook"})).await;
    let stale = document(app, acme, json!({"name": "Old printer notes"})).await;
    let never = document(app, acme, json!({"name": "Unread policy"})).await;
    let expired = document(
        app,
        acme,
        json!({"name": "Insurance 2020", "expires-on": "2020-06-30"}),
    )
    .await;
    let duplicate = document(app, acme, json!({"name": "Backup Runbook"})).await;
    let duplicate_twin = document(app, acme, json!({"name": "  backup runbook "})).await;
    // The same name in another organization is not a duplicate.
    let frog_runbook = document(app, frog, json!({"name": "Backup runbook"})).await;
    let archived = document(app, acme, json!({"name": "Retired", "archived": true})).await;
    view(app, popular, 3).await;
    view(app, stale, 1).await;
    last_viewed_days_ago(app, stale, 100).await;
    Library {
        acme,
        frog,
        popular,
        stale,
        never,
        expired,
        duplicate,
        duplicate_twin,
        frog_runbook,
        archived,
    }
}

fn counters(body: &Value) -> (i64, i64, i64, i64) {
    let meta = &body["meta"];
    (
        meta["stale"].as_i64().unwrap(),
        meta["not_viewed"].as_i64().unwrap(),
        meta["expired"].as_i64().unwrap(),
        meta["duplicates"].as_i64().unwrap(),
    )
}

async fn each_category_lists_its_documents_with_every_counter(app: TestApp) {
    let lib = library(&app).await;

    let (status, body) = app.get(ROUTE).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ids(&body),
        vec![lib.popular, lib.stale],
        "with no type: the viewed documents, most views first"
    );
    assert_eq!(body["data"][0]["type"], "documents");
    assert_eq!(body["data"][0]["attributes"]["view-count"], 3);
    assert_eq!(body["data"][0]["relationships"], json!({}));
    assert_eq!(body["meta"]["total-count"], 2);
    // Never viewed: the expired one, the two duplicates, Frog's runbook
    // and the unread policy; archived documents are left out.
    assert_eq!(counters(&body), (1, 5, 1, 2), "{}", body["meta"]);

    let (_, body) = app.get(&format!("{ROUTE}?filter[type]=stale")).await;
    assert_eq!(ids(&body), vec![lib.stale]);
    assert_eq!(
        body["meta"]["filters"],
        json!({"type": "stale"}),
        "meta echoes the filters as sent"
    );
    let (_, body) = app
        .get(&format!("{ROUTE}?filter[type]=stale&filter[days]=200"))
        .await;
    assert_eq!(ids(&body), Vec::<i64>::new(), "viewed within 200 days");
    assert_eq!(counters(&body).0, 0, "the stale counter follows the days");

    let (_, body) = app.get(&format!("{ROUTE}?filter[type]=not_viewed")).await;
    assert_eq!(
        ids(&body),
        vec![
            lib.never,
            lib.expired,
            lib.duplicate,
            lib.duplicate_twin,
            lib.frog_runbook
        ],
        "oldest first"
    );
    let (_, body) = app.get(&format!("{ROUTE}?filter[type]=expired")).await;
    assert_eq!(ids(&body), vec![lib.expired]);
    let (_, body) = app.get(&format!("{ROUTE}?filter[type]=duplicates")).await;
    let mut found = ids(&body);
    found.sort_unstable();
    assert_eq!(found, vec![lib.duplicate, lib.duplicate_twin]);

    let (_, body) = app
        .get(&format!(
            "{ROUTE}?filter[type]=not_viewed&filter[organization_id]={}",
            lib.frog
        ))
        .await;
    assert_eq!(names(&body), vec!["Backup runbook"]);
    assert_eq!(
        counters(&body),
        (0, 1, 0, 0),
        "the counters count the organization's documents"
    );
    let (_, body) = app
        .get(&format!(
            "{ROUTE}?filter[type]=not_viewed&filter[archived]=true"
        ))
        .await;
    assert_eq!(ids(&body), vec![lib.archived], "archived when asked for");

    let (_, body) = app
        .get(&format!(
            "{ROUTE}?filter[type]=not_viewed&page[size]=2&page[number]=2"
        ))
        .await;
    assert_eq!(ids(&body), vec![lib.duplicate, lib.duplicate_twin]);
    assert_eq!(body["meta"]["total-count"], 5);
    assert_eq!(body["meta"]["total-pages"], 3);
    assert!(
        body["links"]["next"]
            .as_str()
            .unwrap()
            .contains("filter%5Btype%5D=not_viewed"),
        "the next page stays in the category: {}",
        body["links"]
    );

    for (query, parameter) in [
        ("filter[type]=forgotten", "filter[type]"),
        ("filter[type]=stale&filter[days]=0", "filter[days]"),
        ("filter[type]=expired&filter[days]=5", "filter[days]"),
        ("filter[colour]=red", "filter[colour]"),
    ] {
        let (status, body) = app.get(&format!("{ROUTE}?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(
            body["errors"][0]["source"]["parameter"], parameter,
            "{query}"
        );
    }

    let (status, body) = app.get_as(&app.other_key.clone(), ROUTE).await;
    assert_eq!(status, 200);
    assert_eq!(
        counters(&body),
        (0, 0, 0, 0),
        "another account sees none of it"
    );
    assert_eq!(body["data"], json!([]));
    let _ = lib.acme;
}

/// Whether document `id` is archived, read from a list (a show would
/// count as a view and change its category).
async fn archived_of(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get(&format!("/documents?filter[id]={id}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"][0]["attributes"]["archived"].clone()
}

async fn archiving_by_id_or_category_is_all_or_nothing(app: TestApp) {
    let lib = library(&app).await;
    let item = |id: i64| json!({"type": "documents", "attributes": {"id": id, "archived": true}});

    // One unknown id, or an id of another organization on the organization
    // route: nothing changes.
    let (status, body) = app
        .send(
            Method::PATCH,
            ROUTE,
            json!({"data": [item(lib.never), item(999_999)]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{}/copilot_smart_assist/documents", lib.acme),
            json!({"data": [item(lib.never), item(lib.frog_runbook)]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&lib.frog_runbook.to_string()),
        "{body}"
    );
    let (status, body) = app
        .send(
            Method::PATCH,
            ROUTE,
            json!({"data": [{"type": "documents", "attributes": {"id": lib.never, "archived": true, "name": "Renamed"}}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/0/attributes/name"
    );
    assert_eq!(archived_of(&app, lib.never).await, false);

    let (status, body) = app
        .send(
            Method::PATCH,
            ROUTE,
            json!({"data": [item(lib.never), item(lib.expired)]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), vec![lib.never, lib.expired]);
    assert_eq!(body["data"][0]["attributes"]["archived"], true);
    assert_eq!(archived_of(&app, lib.expired).await, true);

    // By category at organization scope, without a body: archives Frog's
    // never-viewed documents only.
    let response = app
        .request(
            Method::PATCH,
            &format!(
                "/organizations/{}/copilot_smart_assist/documents?filter[type]=not_viewed",
                lib.frog
            ),
        )
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), vec![lib.frog_runbook]);
    assert_eq!(archived_of(&app, lib.duplicate).await, false);

    // Restoring by category with a data object.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("{ROUTE}?filter[type]=not_viewed&filter[archived]=true"),
            json!({"data": {"type": "documents", "attributes": {"archived": false}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut restored = ids(&body);
    restored.sort_unstable();
    let mut expected = vec![lib.never, lib.expired, lib.frog_runbook, lib.archived];
    expected.sort_unstable();
    assert_eq!(restored, expected);

    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("{ROUTE}?filter[organization_id]={}", lib.acme),
            json!({"data": {"type": "documents", "attributes": {"archived": true}}}),
        )
        .await;
    assert_eq!(status, 400, "the most-used list is not a selection: {body}");
    assert_eq!(body["errors"][0]["source"]["parameter"], "filter[type]");

    // Each archive is in the activity log, as an update of the document.
    let (_, body) = app
        .get(&format!(
            "/logs?filter[resource_type]=Document&filter[resource_id]={}",
            lib.expired
        ))
        .await;
    let actions: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["attributes"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "update").count(),
        2,
        "{actions:?}"
    );

    let (_, reader) = app
        .user_with_key("reader@example.com", mortar::roles::Role::ReadOnly)
        .await;
    let (status, body) = app
        .send_as(
            &reader,
            Method::PATCH,
            ROUTE,
            json!({"data": [item(lib.duplicate)]}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = app.get_as(&reader, ROUTE).await;
    assert_eq!(status, 200, "a Read-only user may look");
    assert_eq!(archived_of(&app, lib.duplicate).await, false);

    let (status, body) = app
        .send_as(
            &app.other_key.clone(),
            Method::PATCH,
            ROUTE,
            json!({"data": [item(lib.duplicate)]}),
        )
        .await;
    assert_eq!(status, 404, "another account's key: {body}");
    assert_eq!(archived_of(&app, lib.duplicate).await, false);
}

async fn deleting_by_id_or_category_returns_what_went(app: TestApp) {
    let lib = library(&app).await;

    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("{ROUTE}?filter[type]=expired"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), vec!["Insurance 2020"]);
    let (status, _) = app.get(&format!("/documents/{}", lib.expired)).await;
    assert_eq!(status, 404);

    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("{ROUTE}?filter[type]=duplicates"),
            json!({"data": [{"type": "documents", "attributes": {"id": lib.never}}]}),
        )
        .await;
    assert_eq!(status, 400, "data and a filter together: {body}");

    let response = app.request(Method::DELETE, ROUTE).send().await.unwrap();
    let (status, body) = crate::helpers::read(response).await;
    assert_eq!(status, 400, "nothing named: {body}");

    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/organizations/{}/copilot_smart_assist/documents", lib.frog),
            json!({"data": [
                {"type": "documents", "attributes": {"id": lib.frog_runbook}},
                {"type": "documents", "attributes": {"id": lib.never}}
            ]}),
        )
        .await;
    assert_eq!(status, 404, "Acme's document is not Frog's: {body}");
    let (status, _) = app.get(&format!("/documents/{}", lib.frog_runbook)).await;
    assert_eq!(status, 200, "nothing was deleted");

    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/organizations/{}/copilot_smart_assist/documents", lib.acme),
            json!({"data": [
                {"type": "documents", "attributes": {"id": lib.duplicate}},
                {"type": "documents", "attributes": {"id": lib.never}}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut deleted = ids(&body);
    deleted.sort_unstable();
    assert_eq!(deleted, vec![lib.never, lib.duplicate]);
    let (_, body) = app.get(&format!("{ROUTE}?filter[type]=duplicates")).await;
    assert_eq!(
        ids(&body),
        Vec::<i64>::new(),
        "one of a pair left is no duplicate"
    );
    // Left never viewed: the twin (Frog's runbook was shown above).
    assert_eq!(counters(&body), (1, 1, 0, 0), "{}", body["meta"]);

    let (_, body) = app
        .get(&format!(
            "/logs?filter[resource_type]=Document&filter[resource_id]={}",
            lib.duplicate
        ))
        .await;
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["attributes"]["action"] == "delete"),
        "the delete is in the activity log: {body}"
    );
    let _ = (lib.popular, lib.stale, lib.duplicate_twin, lib.archived);
}

crate::api_tests!(
    each_category_lists_its_documents_with_every_counter,
    archiving_by_id_or_category_is_all_or_nothing,
    deleting_by_id_or_category_returns_what_went,
);
