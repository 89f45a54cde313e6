//! Cursor pages (`page[after]`), an addition beside the reference's
//! `page[number]`: every list walks by cursor, in the order of its sort
//! with the id breaking ties (NULLs first), without a record skipped or
//! repeated while others are inserted and deleted meanwhile.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ids, read, urlencode, TestApp};

/// Follows `links.next` from `first` (a path) to the end; the ids of each page.
async fn walk(app: &TestApp, first: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut url = format!("{}{first}", app.base);
    loop {
        let response = app
            .client
            .get(&url)
            .header("x-api-key", &app.key)
            .send()
            .await
            .unwrap();
        let (status, body) = read(response).await;
        assert_eq!(status, 200, "{url}: {body}");
        pages.push(ids(&body));
        assert!(pages.len() < 100, "the walk does not end");
        match body["links"]["next"].as_str() {
            Some(next) => {
                assert_eq!(body["meta"]["has-more"], true, "{body}");
                url = next.to_string();
            }
            None => {
                assert_eq!(body["meta"]["has-more"], false, "{body}");
                return pages;
            }
        }
    }
}

/// The ids of one numbered page holding every record, in the list's order.
async fn all_in_order(app: &TestApp, route: &str, query: &str) -> Vec<i64> {
    let (status, body) = app.get(&format!("{route}?page[size]=1000&{query}")).await;
    assert_eq!(status, 200, "{body}");
    ids(&body)
}

async fn cursor_pages_follow_every_sort_with_ties_and_nulls(app: TestApp) {
    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let kind = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    // Names repeat (ties) and serial numbers are often missing (NULLs).
    for i in 0..23 {
        let mut attributes = json!({
            "name": format!("host-{}", i % 5),
            "organization-id": org,
            "configuration-type-id": kind,
        });
        if i % 3 == 0 {
            attributes["serial-number"] = json!(format!("SN{:02}", i % 7));
        }
        app.create("/configurations", attributes).await;
    }
    for sort in [
        "",
        "sort=name",
        "sort=-name",
        "sort=serial_number",
        "sort=-serial_number",
        "sort=-serial_number,name",
        "sort=serial_number,-name",
        "sort=-created_at",
        "sort=-id",
        "sort=-updated_at,name",
        "sort=created_at,-serial_number",
        "sort=organization_name,-id",
    ] {
        let expected = all_in_order(&app, "/configurations", sort).await;
        assert_eq!(expected.len(), 23, "{sort}");
        let pages = walk(
            &app,
            &format!("/configurations?page[after]=&page[size]=4&{sort}"),
        )
        .await;
        assert_eq!(pages.len(), 6, "{sort}: {pages:?}");
        assert!(pages.iter().take(5).all(|p| p.len() == 4), "{sort}");
        let walked: Vec<i64> = pages.concat();
        assert_eq!(walked, expected, "{sort}");
    }

    // Filters and the sort travel in the next link.
    let (_, first) = app
        .get(&format!(
            "/configurations?page[after]=&page[size]=2&sort=-name&filter[organization_id]={org}"
        ))
        .await;
    let next = first["links"]["next"].as_str().unwrap();
    assert!(next.contains("sort=-name"), "{next}");
    assert!(
        next.contains(&format!("filter%5Borganization_id%5D={org}")),
        "{next}"
    );
    assert_eq!(first["meta"]["page-size"], 2);
    assert!(
        first["meta"].get("total-count").is_none(),
        "no count on a cursor page"
    );
}

async fn a_cursor_walk_survives_inserts_and_deletes(app: TestApp) {
    let mut created = Vec::new();
    for i in 0..10 {
        created.push(
            app.create("/organizations", json!({"name": format!("Org {i:02}")}))
                .await,
        );
    }
    let (status, body) = app
        .get("/organizations?page[after]=&page[size]=5&sort=name")
        .await;
    assert_eq!(status, 200, "{body}");
    let first_page = ids(&body);
    let next = body["links"]["next"].as_str().unwrap().to_string();

    // Meanwhile: one record before the cursor and one after are added; one
    // already seen and one not yet seen are deleted.
    let before = app
        .create("/organizations", json!({"name": "Org 00a"}))
        .await;
    let after = app
        .create("/organizations", json!({"name": "Org 08a"}))
        .await;
    let seen = first_page[1];
    let unseen = created[7];
    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [
                {"type": "organizations", "id": seen.to_string()},
                {"type": "organizations", "id": unseen.to_string()}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let rest: Vec<i64> = walk(&app, next.trim_start_matches(&app.base))
        .await
        .concat();
    let mut all = first_page.clone();
    all.extend(&rest);
    let mut unique = all.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "no record twice: {all:?}");
    assert!(rest.contains(&after), "a record added ahead is reached");
    assert!(!rest.contains(&before), "a record added behind is not");
    assert!(!rest.contains(&unseen), "a deleted record is not");
    for id in &created[5..] {
        if *id != unseen {
            assert!(all.contains(id), "{id} skipped: {all:?}");
        }
    }
}

async fn bad_cursors_are_400s_naming_page_after(app: TestApp) {
    app.create("/organizations", json!({"name": "Frog"})).await;
    let (_, body) = app
        .get("/organizations?page[after]=&page[size]=1&sort=name")
        .await;
    let token = body["meta"]["next-cursor"].as_str().unwrap().to_string();
    for (query, word) in [
        ("page[after]=nonsense".to_string(), "cursor"),
        (
            format!("page[after]={}&sort=-name", urlencode(&token)),
            "sort",
        ),
        (
            format!("page[after]={}&page[number]=2", urlencode(&token)),
            "not both",
        ),
    ] {
        let (status, body) = app.get(&format!("/organizations?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(
            body["errors"][0]["source"]["parameter"], "page[after]",
            "{body}"
        );
        let detail = body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(word), "{query}: {detail}");
    }
    let (status, body) = app
        .get(&format!(
            "/organizations?page[after]={}&sort=name&page[size]=1",
            urlencode(&token)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
}

crate::api_tests!(
    cursor_pages_follow_every_sort_with_ties_and_nulls,
    a_cursor_walk_survives_inserts_and_deletes,
    bad_cursors_are_400s_naming_page_after,
);
