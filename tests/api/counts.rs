//! A list's `total-count` follows every write to the records it counts:
//! creates, moves between organizations, deletes one at a time and in
//! bulk, a refused bulk write, and an organization's cascade. The lists of
//! a whole account or of some of its organizations read the counts the
//! store keeps per organization; these totals are what a user sees of
//! them, and they must match the records.

use mortar::resources::ColumnType;
use mortar::store::{Dialect, ORGANIZATION_COUNTED, REFERENCE_COUNTED};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The attributes of a new record of a counted route in `org`.
fn new_record(configuration_type: i64, route: &str, org: i64, n: usize) -> Value {
    match route {
        "configurations" => json!({"organization-id": org, "name": format!("srv-{n}"),
                                   "configuration-type-id": configuration_type}),
        "contacts" => json!({"organization-id": org, "first-name": format!("Ann {n}")}),
        "locations" => json!({"organization-id": org, "name": format!("Site {n}")}),
        "passwords" => json!({"organization-id": org, "name": format!("Admin {n}"),
                              "password": "s3cret"}),
        "domains" => json!({"organization-id": org, "name": format!("client{n}.example")}),
        "documents" => json!({"organization-id": org, "name": format!("Runbook {n}")}),
        other => panic!("no attributes for {other}"),
    }
}

/// `meta.total-count` of the list at `path`.
async fn total(app: &TestApp, key: &str, path: &str) -> i64 {
    let (status, body) = app.get_as(key, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body["meta"]["total-count"]
        .as_i64()
        .unwrap_or_else(|| panic!("{path} has no total-count: {body}"))
}

/// The totals an engineer sees of every counted route, with `in_a` and
/// `in_b` records of each in organizations `a` and `b`: the account's,
/// each organization's (filtered and nested), and both together.
fn expected(a: i64, b: i64, in_a: [i64; 6], in_b: [i64; 6]) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for (i, route) in ORGANIZATION_COUNTED.iter().enumerate() {
        out.push((format!("/{route}"), in_a[i] + in_b[i]));
        out.push((format!("/{route}?filter[organization_id]={a}"), in_a[i]));
        out.push((format!("/{route}?filter[organization_id]={b}"), in_b[i]));
        out.push((
            format!("/{route}?filter[organization_id]={a},{b}"),
            in_a[i] + in_b[i],
        ));
        out.push((format!("/organizations/{a}/relationships/{route}"), in_a[i]));
    }
    out
}

/// The totals the lists of `expected` answer with.
async fn totals(app: &TestApp, expected: &[(String, i64)]) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for (path, _) in expected {
        out.push((path.clone(), total(app, &app.key, path).await));
    }
    out
}

/// The kept counts equal the records, counted afresh, before and after
/// they are folded: on PostgreSQL a write adds rows of changes, which a
/// fold makes one row per organization (or none, for none left).
async fn kept_counts_match_the_records(app: &TestApp) {
    sums_match_the_records(app).await;
    app.store.fold_counts().await.expect("fold the kept counts");
    sums_match_the_records(app).await;
    if app.store.dialect() == Dialect::Postgres {
        let mut sql = app.store.sql();
        sql.push(
            "SELECT table_name, CAST(COUNT(*) AS BIGINT) FROM organization_counts \
             GROUP BY table_name, account_id, organization_id \
             HAVING COUNT(*) > 1 OR SUM(records) = 0",
        );
        let left = app
            .store
            .fetch(&sql, &[ColumnType::Text, ColumnType::Int])
            .await
            .expect("rows left after a fold");
        assert!(left.is_empty(), "a fold left {left:?}");
    }
}

/// Each organization's kept count (the sum of its rows) equals its records.
async fn sums_match_the_records(app: &TestApp) {
    for table in ORGANIZATION_COUNTED {
        let mut sql = app.store.sql();
        sql.push(&format!(
            "SELECT account_id, organization_id, COUNT(*) FROM {table} \
             GROUP BY 1, 2 ORDER BY 1, 2"
        ));
        let kinds = [ColumnType::Int, ColumnType::Int, ColumnType::Int];
        let recounted = app.store.fetch(&sql, &kinds).await.expect("recount");
        let mut sql = app.store.sql();
        sql.push(
            "SELECT account_id, organization_id, CAST(SUM(records) AS BIGINT) \
             FROM organization_counts WHERE table_name = ",
        )
        .bind(*table)
        .push(" GROUP BY 1, 2 HAVING SUM(records) <> 0 ORDER BY 1, 2");
        let kept = app.store.fetch(&sql, &kinds).await.expect("kept counts");
        assert_eq!(kept, recounted, "the kept counts of {table}");
    }
}

async fn list_totals_follow_creates_moves_deletes_and_cascades(app: TestApp) {
    let server_type = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let a = app.create("/organizations", json!({"name": "Alpha"})).await;
    let b = app.create("/organizations", json!({"name": "Bravo"})).await;
    // Another account's organization, with records of every route.
    let rival = app
        .create_as(
            &app.other_key,
            "/organizations",
            json!({"name": "Rival client"}),
        )
        .await;
    let rival_type = app
        .catalog_id_as(&app.other_key, "/configuration_types", "Managed Server")
        .await;
    for route in ORGANIZATION_COUNTED {
        let attributes = new_record(rival_type, route, rival, 0);
        app.create_as(&app.other_key, &format!("/{route}"), attributes)
            .await;
    }

    let none = expected(a, b, [0; 6], [0; 6]);
    assert_eq!(totals(&app, &none).await, none);
    // Three of each in Alpha, two in Bravo.
    let mut made: Vec<Vec<i64>> = Vec::new();
    for route in ORGANIZATION_COUNTED {
        let mut ids = Vec::new();
        for (n, org) in [a, a, a, b, b].into_iter().enumerate() {
            let attributes = new_record(server_type, route, org, n);
            ids.push(app.create(&format!("/{route}"), attributes).await);
        }
        made.push(ids);
    }
    let made_all = expected(a, b, [3; 6], [2; 6]);
    assert_eq!(totals(&app, &made_all).await, made_all);
    // The other account's organization counts nothing here, and its own
    // lists count only its records.
    assert_eq!(
        total(
            &app,
            &app.key,
            &format!("/configurations?filter[organization_id]={rival}")
        )
        .await,
        0
    );
    assert_eq!(total(&app, &app.other_key, "/configurations").await, 1);
    kept_counts_match_the_records(&app).await;

    // A configuration moves from Alpha to Bravo.
    let moved = made[0][0];
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{moved}"),
            json!({"data": {"type": "configurations", "attributes": {"organization-id": b}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A contact is deleted; two locations go in one bulk delete.
    let (status, body) = app
        .send(
            Method::DELETE,
            "/contacts",
            json!({"data": [{"type": "contacts", "attributes": {"id": made[1][0]}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send(
            Method::DELETE,
            "/locations",
            json!({"data": [{"type": "locations", "attributes": {"id": made[2][1]}},
                            {"type": "locations", "attributes": {"id": made[2][3]}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after_writes = expected(a, b, [2, 2, 2, 3, 3, 3], [3, 2, 1, 2, 2, 2]);
    assert_eq!(totals(&app, &after_writes).await, after_writes);

    // A bulk delete naming a record that does not exist deletes nothing.
    let (status, body) = app
        .send(
            Method::DELETE,
            "/domains",
            json!({"data": [{"type": "domains", "attributes": {"id": made[4][0]}},
                            {"type": "domains", "attributes": {"id": 999_999_999}}]}),
        )
        .await;
    assert!(status >= 400, "{status}: {body}");
    // A bulk create with one bad record creates none.
    let (status, body) = app
        .send(
            Method::POST,
            "/documents",
            json!({"data": [
                {"type": "documents", "attributes": {"organization-id": a, "name": "Good"}},
                {"type": "documents", "attributes": {"organization-id": a}}
            ]}),
        )
        .await;
    assert!(status >= 400, "{status}: {body}");
    assert_eq!(totals(&app, &after_writes).await, after_writes);
    kept_counts_match_the_records(&app).await;

    // Bravo goes, and everything in it.
    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [{"type": "organizations", "attributes": {"id": b}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.get(&format!("/organizations/{b}")).await;
    assert_eq!(status, 404);
    for (i, route) in ORGANIZATION_COUNTED.iter().enumerate() {
        let in_a = [2, 2, 2, 3, 3, 3][i];
        assert_eq!(total(&app, &app.key, &format!("/{route}")).await, in_a);
        assert_eq!(
            total(
                &app,
                &app.key,
                &format!("/{route}?filter[organization_id]={b}")
            )
            .await,
            0
        );
    }
    assert_eq!(total(&app, &app.other_key, "/configurations").await, 1);
    kept_counts_match_the_records(&app).await;
}

/// A numbered page nearer the end of a list than its start (which the
/// store reads from the end when it keeps the list's count) holds the same
/// records as the same slice of the whole list, in every sort order: ties
/// and empty values included.
async fn every_numbered_page_is_its_slice_of_the_whole_list(app: TestApp) {
    let server = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let workstation = app.catalog_id("/configuration_types", "Laptop").await;
    let org = app.create("/organizations", json!({"name": "Pager"})).await;
    let other = app.create("/organizations", json!({"name": "Other"})).await;
    for n in 0..9 {
        let kind = if n % 3 == 0 { server } else { workstation };
        // Some without a host name (NULL sorts first ascending), some alike.
        let hostname = match n % 4 {
            0 => Value::Null,
            1 => json!("alpha"),
            _ => json!(format!("host-{}", 9 - n)),
        };
        app.create(
            "/configurations",
            json!({"organization-id": org, "name": format!("cfg {n}"),
                   "configuration-type-id": kind, "hostname": hostname}),
        )
        .await;
        app.create(
            "/configurations",
            json!({"organization-id": other, "name": format!("else {n}"),
                   "configuration-type-id": kind}),
        )
        .await;
    }
    let lists = [
        format!("/configurations?filter[organization_id]={org}"),
        format!("/organizations/{org}/relationships/configurations"),
        "/configurations?filter[archived]=false".to_string(),
        "/configurations".to_string(),
    ];
    for list in &lists {
        for sort in [
            "id",
            "-id",
            "hostname",
            "-hostname",
            "configuration_type_name",
            "-configuration_type_name",
        ] {
            let join = if list.contains('?') { '&' } else { '?' };
            let whole = format!("{list}{join}sort={sort}&page[size]=100");
            let (status, body) = app.get(&whole).await;
            assert_eq!(status, 200, "{whole}: {body}");
            let all = crate::helpers::ids(&body);
            for size in [2usize, 4, 5] {
                for number in 1..=all.len().div_ceil(size) + 1 {
                    let path =
                        format!("{list}{join}sort={sort}&page[size]={size}&page[number]={number}");
                    let (status, body) = app.get(&path).await;
                    assert_eq!(status, 200, "{path}: {body}");
                    let start = ((number - 1) * size).min(all.len());
                    let end = (start + size).min(all.len());
                    assert_eq!(
                        crate::helpers::ids(&body),
                        all[start..end].to_vec(),
                        "{path}"
                    );
                    assert_eq!(body["meta"]["total-count"], all.len(), "{path}");
                }
            }
        }
    }
}

/// The `configurations-count` of each configuration type in `types` and
/// the `passwords-count` of each password category in `categories`, as
/// their list and their show answer them (they must agree).
async fn reference_totals(app: &TestApp, types: &[i64], categories: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    for (route, attribute, ids) in [
        ("configuration_types", "configurations-count", types),
        ("password_categories", "passwords-count", categories),
    ] {
        let path = format!("/{route}?page[size]=1000");
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        for id in ids {
            let listed = body["data"]
                .as_array()
                .expect("data")
                .iter()
                .find(|record| record["id"].as_str().and_then(|s| s.parse().ok()) == Some(*id))
                .unwrap_or_else(|| panic!("{route}/{id} is not listed: {body}"));
            let listed = &listed["attributes"][attribute];
            let (status, shown) = app.get(&format!("/{route}/{id}")).await;
            assert_eq!(status, 200, "{shown}");
            assert_eq!(
                &shown["data"]["attributes"][attribute], listed,
                "{route}/{id}"
            );
            out.push(listed.as_i64().unwrap_or_else(|| panic!("{path}: {body}")));
        }
    }
    out
}

/// Each reference's kept count (the sum of its rows in `reference_counts`)
/// equals the records naming it, counted afresh, before and after a fold.
async fn reference_counts_match_the_records(app: &TestApp) {
    for _ in 0..2 {
        for counted in REFERENCE_COUNTED {
            let (table, column) = counted.split_once('.').expect("table.column");
            let mut sql = app.store.sql();
            sql.push(&format!(
                "SELECT {column}, COUNT(*) FROM {table} WHERE {column} IS NOT NULL \
                 GROUP BY 1 ORDER BY 1"
            ));
            let kinds = [ColumnType::Int, ColumnType::Int];
            let recounted = app.store.fetch(&sql, &kinds).await.expect("recount");
            let mut sql = app.store.sql();
            sql.push(
                "SELECT reference_id, CAST(SUM(records) AS BIGINT) FROM reference_counts \
                 WHERE counted = ",
            )
            .bind(*counted)
            .push(" GROUP BY 1 HAVING SUM(records) <> 0 ORDER BY 1");
            let kept = app.store.fetch(&sql, &kinds).await.expect("kept counts");
            assert_eq!(kept, recounted, "the kept counts of {counted}");
        }
        app.store.fold_counts().await.expect("fold the kept counts");
    }
    if app.store.dialect() == Dialect::Postgres {
        let mut sql = app.store.sql();
        sql.push(
            "SELECT counted, CAST(COUNT(*) AS BIGINT) FROM reference_counts \
             GROUP BY counted, reference_id HAVING COUNT(*) > 1 OR SUM(records) = 0",
        );
        let left = app
            .store
            .fetch(&sql, &[ColumnType::Text, ColumnType::Int])
            .await
            .expect("rows left after a fold");
        assert!(left.is_empty(), "a fold left {left:?}");
    }
}

/// A configuration type's `configurations-count` and a password category's
/// `passwords-count` follow every write that names them: creates one at a
/// time and in bulk, a change of type one at a time and in bulk, deletes,
/// and refused writes; another account's records never count.
async fn reference_counts_follow_every_write_naming_the_reference(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Counted"}))
        .await;
    let mut types = Vec::new();
    let mut categories = Vec::new();
    for name in ["Counted firewall", "Counted switch"] {
        types.push(
            app.create("/configuration_types", json!({"name": name}))
                .await,
        );
        categories.push(
            app.create("/password_categories", json!({"name": name}))
                .await,
        );
    }
    let (firewall, switch) = (types[0], types[1]);
    assert_eq!(
        reference_totals(&app, &types, &categories).await,
        [0, 0, 0, 0]
    );

    let configuration = |n: usize, kind: i64| {
        json!({"type": "configurations", "attributes": {"organization-id": org,
               "name": format!("edge-{n}"), "configuration-type-id": kind}})
    };
    let mut configurations = Vec::new();
    for (n, kind) in [firewall, firewall, switch].into_iter().enumerate() {
        configurations.push(
            app.create(
                "/configurations",
                configuration(n, kind)["attributes"].clone(),
            )
            .await,
        );
    }
    // Two more in one bulk create (the organization's route); one naming
    // no type is refused with the rest of its request.
    let bulk = format!("/organizations/{org}/relationships/configurations");
    let mut untyped = configuration(9, firewall);
    untyped["attributes"]
        .as_object_mut()
        .expect("attributes")
        .remove("configuration-type-id");
    let (status, body) = app
        .send(
            Method::POST,
            &bulk,
            json!({"data": [configuration(8, firewall), untyped]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .send(
            Method::POST,
            &bulk,
            json!({"data": [configuration(3, firewall), configuration(4, switch)]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    configurations.extend(crate::helpers::ids(&body));
    for (n, category) in [categories[0], categories[1], categories[1]]
        .into_iter()
        .enumerate()
    {
        app.create(
            "/passwords",
            json!({"organization-id": org, "name": format!("admin-{n}"), "password": "s3cret",
                   "password-category-id": category}),
        )
        .await;
    }
    // Another account's records name their own references only.
    let rival = app
        .create_as(&app.other_key, "/organizations", json!({"name": "Rival"}))
        .await;
    let rival_type = app
        .create_as(
            &app.other_key,
            "/configuration_types",
            json!({"name": "Counted firewall"}),
        )
        .await;
    app.create_as(
        &app.other_key,
        "/configurations",
        json!({"organization-id": rival, "name": "fw", "configuration-type-id": rival_type}),
    )
    .await;
    assert_eq!(
        reference_totals(&app, &types, &categories).await,
        [3, 2, 1, 2]
    );
    reference_counts_match_the_records(&app).await;

    // One configuration changes type, one is deleted, two change type in
    // one bulk update, and one refused update names no type.
    let patch = |id: i64, kind: Value| json!({"type": "configurations", "attributes": {"id": id, "configuration-type-id": kind}});
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{}", configurations[0]),
            json!({"data": patch(configurations[0], json!(switch))}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": configurations[2]}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send(
            Method::PATCH,
            "/configurations",
            json!({"data": [patch(configurations[3], json!(switch)),
                            patch(configurations[4], json!(firewall))]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/configurations/{}", configurations[1]),
            json!({"data": patch(configurations[1], Value::Null)}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // A bulk update naming a configuration that does not exist changes
    // nothing.
    let (status, body) = app
        .send(
            Method::PATCH,
            "/configurations",
            json!({"data": [patch(configurations[3], json!(firewall)),
                            patch(999_999_999, json!(firewall))]}),
        )
        .await;
    assert!((400..500).contains(&status), "{status}: {body}");
    // firewall: 1 and 4; switch: 0 and 3.
    assert_eq!(
        reference_totals(&app, &types, &categories).await,
        [2, 2, 1, 2]
    );
    reference_counts_match_the_records(&app).await;

    // The switch type's configurations go in one bulk delete; the
    // firewall type's count stands.
    let (status, body) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": configurations[0]}},
                            {"type": "configurations", "attributes": {"id": configurations[3]}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        reference_totals(&app, &types, &categories).await,
        [2, 0, 1, 2]
    );
    reference_counts_match_the_records(&app).await;
}

crate::api_tests!(
    list_totals_follow_creates_moves_deletes_and_cascades,
    every_numbered_page_is_its_slice_of_the_whole_list,
    reference_counts_follow_every_write_naming_the_reference,
);
