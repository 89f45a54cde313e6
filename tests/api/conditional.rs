//! Conditional requests, an addition beside the reference: every show
//! carries an `ETag`; `If-None-Match` answers 304 while the record and its
//! representation stand; `If-Match` on a PATCH or DELETE of one record
//! answers 412 and changes nothing once someone else changed it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{read, TestApp};

/// GET `path` with optional request headers: status, `ETag` and body.
async fn get_tagged(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, String, Value) {
    let mut request = app.request(Method::GET, path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let (status, body) = read(response).await;
    (status, etag, body)
}

/// A write with `If-Match: if_match`: status, `ETag` and body.
async fn write_if(
    app: &TestApp,
    method: Method,
    path: &str,
    if_match: &str,
    body: Option<Value>,
) -> (u16, String, Value) {
    let mut request = app.request(method, path).header("if-match", if_match);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/vnd.api+json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("request");
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let (status, body) = read(response).await;
    (status, etag, body)
}

fn rename(kind: &str, id: i64, name: &str) -> Value {
    json!({"data": {"type": kind, "id": id.to_string(), "attributes": {"name": name}}})
}

/// The version half of a tag.
fn version(etag: &str) -> &str {
    etag.trim_matches('"').split('-').next().unwrap()
}

async fn a_show_carries_an_etag_and_if_none_match_answers_304(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let path = format!("/organizations/{org}");
    let (status, etag, body) = get_tagged(&app, &path, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "a strong, quoted tag: {etag:?}"
    );

    // Unchanged: 304 with no body, the same tag; weak and listed forms too.
    for header in [etag.clone(), format!("\"other\", W/{etag}"), "*".into()] {
        let (status, again, body) = get_tagged(&app, &path, &[("if-none-match", &header)]).await;
        assert_eq!(status, 304, "{header}");
        assert_eq!(again, etag);
        assert_eq!(body, Value::Null);
    }

    // Changed: the old tag no longer matches, and the new one has a new version.
    let (status, _) = app
        .send(
            Method::PATCH,
            &path,
            rename("organizations", org, "Sad Frog"),
        )
        .await;
    assert_eq!(status, 200);
    let (status, changed, body) = get_tagged(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["name"], "Sad Frog");
    assert_ne!(version(&changed), version(&etag));

    // A record with joined attributes: renaming its organization changes
    // what it shows, so its tag changes too.
    let kind = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let server = app
        .create(
            "/configurations",
            json!({"name": "fw01", "organization-id": org, "configuration-type-id": kind}),
        )
        .await;
    let (_, before, _) = get_tagged(&app, &format!("/configurations/{server}"), &[]).await;

    // Another representation of the same row: another tag, the same version.
    let with_passwords = format!("/configurations/{server}?include=passwords");
    let (status, included, body) = get_tagged(&app, &with_passwords, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(included, before);
    assert_eq!(version(&included), version(&before));
    let (status, _, _) = get_tagged(&app, &with_passwords, &[("if-none-match", &before)]).await;
    assert_eq!(
        status, 200,
        "a tag of another representation is not a match"
    );

    app.send(
        Method::PATCH,
        &path,
        rename("organizations", org, "Glad Frog"),
    )
    .await;
    let (status, after, body) = get_tagged(
        &app,
        &format!("/configurations/{server}"),
        &[("if-none-match", &before)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["organization-name"], "Glad Frog");
    assert_ne!(after, before);
}

async fn if_match_stops_a_lost_update(app: TestApp) {
    let org = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let path = format!("/organizations/{org}");
    // Two engineers open the record.
    let (_, first, _) = get_tagged(&app, &path, &[]).await;
    let (_, second, _) = get_tagged(&app, &path, &[]).await;

    // The first saves; the answer carries the new tag.
    let (status, saved, body) = write_if(
        &app,
        Method::PATCH,
        &path,
        &first,
        Some(rename("organizations", org, "First's name")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(version(&saved), version(&first));

    // The second's save is refused and changes nothing.
    let (status, _, body) = write_if(
        &app,
        Method::PATCH,
        &path,
        &second,
        Some(rename("organizations", org, "Second's name")),
    )
    .await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(body["errors"][0]["code"], "precondition_failed");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("read it again"),
        "{body}"
    );
    let (_, now, body) = get_tagged(&app, &path, &[]).await;
    assert_eq!(body["data"]["attributes"]["name"], "First's name");
    assert_eq!(version(&now), version(&saved), "the PATCH's tag is current");

    // A weak tag never matches a write; a list matches by any member.
    let weak = format!("W/{now}");
    let (status, _, _) = write_if(
        &app,
        Method::PATCH,
        &path,
        &weak,
        Some(rename("organizations", org, "Weak")),
    )
    .await;
    assert_eq!(status, 412);
    let (status, _, _) = write_if(
        &app,
        Method::PATCH,
        &path,
        &format!("{first}, {now}"),
        Some(rename("organizations", org, "Second's name")),
    )
    .await;
    assert_eq!(status, 200);

    // If-Match belongs to one record's route: a bulk write with it is a 400.
    let (status, _, body) = write_if(
        &app,
        Method::PATCH,
        "/organizations",
        &now,
        Some(json!({"data": [rename("organizations", org, "Bulk")["data"].clone()]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("If-Match"));

    // DELETE: a stale tag keeps the record; `*` deletes what exists.
    let password = app
        .create(
            "/passwords",
            json!({"name": "Router admin", "organization-id": org, "password": "hunter2"}),
        )
        .await;
    let path = format!("/passwords/{password}");
    let (_, stale, _) = get_tagged(&app, &path, &[]).await;
    let (status, _) = app
        .send(
            Method::PATCH,
            &path,
            rename("passwords", password, "Firewall admin"),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, body) = write_if(&app, Method::DELETE, &path, &stale, None).await;
    assert_eq!(status, 412, "{body}");
    let (status, current, body) = get_tagged(&app, &path, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["name"], "Firewall admin");
    let (status, _, _) = write_if(&app, Method::DELETE, &path, &current, None).await;
    assert_eq!(status, 204);
    let (status, _, _) = write_if(&app, Method::DELETE, &path, "*", None).await;
    assert_eq!(status, 404);
}

crate::api_tests!(
    a_show_carries_an_etag_and_if_none_match_answers_304,
    if_match_stops_a_lost_update,
);
