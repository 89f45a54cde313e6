//! Attachments: base64 and multipart uploads under a record, content types
//! from the bytes, downloads, renames, bulk deletes, files removed with
//! their records and organizations, and tenancy.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{read, TestApp};

/// The first bytes of a PNG image: enough for any signature check.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89,
];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn upload(content: &str, file_name: &str) -> Value {
    json!({"type": "attachments", "attributes": {"attachment": {"content": content, "file_name": file_name}}})
}

/// A configuration of account A, in its own organization.
async fn configuration(app: &TestApp) -> (i64, i64) {
    let org = app.catalog_id("/organizations", "Acme IT").await;
    let (status, types) = app.get("/configuration_types?page[size]=1").await;
    assert_eq!(status, 200, "{types}");
    let kind: i64 = types["data"][0]["id"].as_str().unwrap().parse().unwrap();
    let id = app
        .create(
            "/configurations",
            json!({"organization_id": org, "configuration_type_id": kind, "name": "file server"}),
        )
        .await;
    (org, id)
}

fn attachments_route(parent: i64) -> String {
    format!("/configurations/{parent}/relationships/attachments")
}

async fn attach(app: &TestApp, parent: i64, content: &[u8], file_name: &str) -> Value {
    let (status, body) = app
        .send(
            Method::POST,
            &attachments_route(parent),
            json!({"data": upload(&b64(content), file_name)}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

fn id_of(object: &Value) -> i64 {
    object["id"].as_str().unwrap().parse().unwrap()
}

/// Every file under the data directory's `attachments`.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.data_dir().join("attachments"), &mut out);
    out
}

async fn download(app: &TestApp, key: &str, url: &str) -> reqwest::Response {
    app.client
        .get(url)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
}

async fn included_attachments(app: &TestApp, parent: i64) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/configurations/{parent}?include=attachments"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["included"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "attachments")
        .cloned()
        .collect()
}

async fn a_base64_upload_shows_on_its_record_with_the_detected_type(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let created = attach(&app, parent, PNG, "notes.txt").await;
    let id = id_of(&created);
    assert_eq!(created["type"], "attachments");
    assert!(created["attributes"].get("attachment").is_none());

    let (_, body) = app
        .get(&format!("/configurations/{parent}?include=attachments"))
        .await;
    assert_eq!(
        body["data"]["relationships"]["attachments"]["data"],
        json!([{"type": "attachments", "id": id.to_string()}])
    );
    let included = included_attachments(&app, parent).await;
    assert_eq!(included.len(), 1);
    let a = &included[0]["attributes"];
    assert_eq!(a["name"], "notes.txt");
    assert_eq!(a["attachment-file-name"], "notes.txt");
    assert_eq!(
        a["attachment-content-type"], "image/png",
        "from the bytes, not the name"
    );
    assert_eq!(a["attachment-file-size"], PNG.len());
    assert_eq!(a["ext"], "txt");
    assert_eq!(a["viewable"], true);
    assert_eq!(a["resource-type"], "Configuration");
    assert_eq!(a["resource-id"], parent);
    assert!(a["created-at"].is_string());
    assert!(a.get("attachment").is_none(), "the upload is never echoed");
    assert!(a.get("blob-key").is_none());
    assert_eq!(
        a["download-url"],
        format!("{}/attachments/{id}/download", app.base)
    );

    // The URL follows the Host the client used.
    let response = app
        .request(
            Method::GET,
            &format!("/configurations/{parent}?include=attachments"),
        )
        .header("host", "docs.example.test")
        .send()
        .await
        .unwrap();
    let (_, body) = read(response).await;
    assert_eq!(
        body["included"][0]["attributes"]["download-url"],
        format!("http://docs.example.test/attachments/{id}/download")
    );

    // Lists include attachments too.
    let (status, list) = app
        .get(&format!(
            "/configurations?filter[id]={parent}&include=attachments"
        ))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["included"][0]["id"], id.to_string());
}

async fn downloads_return_the_exact_bytes_as_a_named_file(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let text = "Quarterly report: café ☕\n".as_bytes();
    let created = attach(&app, parent, text, "rapport d'été.txt").await;
    let url = created["attributes"]["download-url"]
        .as_str()
        .unwrap()
        .to_string();
    let response = download(&app, &app.key, &url).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"rapport d'_t_.txt\"; filename*=UTF-8''rapport%20d%27%C3%A9t%C3%A9.txt"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), text);

    let png = attach(&app, parent, PNG, "diagram.png").await;
    let response = download(
        &app,
        &app.key,
        png["attributes"]["download-url"].as_str().unwrap(),
    )
    .await;
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);

    // Downloads need a key.
    let response = app.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        app.get("/attachments/999999/download").await.0,
        404,
        "unknown ids are 404"
    );
}

fn multipart_body(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(file_name) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

async fn multipart_uploads_work_like_the_reference_curl_example(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let boundary = "mortar-test-boundary";
    let body = multipart_body(
        boundary,
        &[
            ("data[type]", None, b"attachments"),
            ("data[attributes][attachment]", Some("test.png"), PNG),
        ],
    );
    let response = app
        .request(Method::POST, &format!("/api{}", attachments_route(parent)))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, created) = read(response).await;
    assert_eq!(status, 201, "{created}");
    let a = &created["data"]["attributes"];
    assert_eq!(a["name"], "test.png");
    assert_eq!(a["attachment-content-type"], "image/png");
    assert_eq!(a["attachment-file-size"], PNG.len());
    let response = download(&app, &app.key, a["download-url"].as_str().unwrap()).await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);

    // An optional name part names it.
    let body = multipart_body(
        boundary,
        &[
            ("data[attributes][name]", None, b"Rack photo"),
            ("data[attributes][attachment]", Some("IMG_0001.PNG"), PNG),
        ],
    );
    let response = app
        .request(Method::POST, &attachments_route(parent))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, created) = read(response).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["attributes"]["name"], "Rack photo");
    assert_eq!(created["data"]["attributes"]["ext"], "png");

    // A multipart body without a file is a 422 like its JSON twin.
    let body = multipart_body(boundary, &[("data[attributes][name]", None, b"nothing")]);
    let response = app
        .request(Method::POST, &attachments_route(parent))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, errors) = read(response).await;
    assert_eq!(status, 422, "{errors}");
    assert_eq!(
        errors["errors"][0]["source"]["pointer"],
        "/data/attributes/attachment"
    );

    // Other media types are still 415, and multipart elsewhere too.
    let response = app
        .request(Method::POST, &attachments_route(parent))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let response = app
        .request(Method::POST, "/manufacturers")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(multipart_body(
            boundary,
            &[("data[attributes][name]", None, b"Contoso")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);

    // The 10 MB limit counts the file.
    let big = vec![b'x'; 10 * 1024 * 1024];
    let response = app
        .request(Method::POST, &attachments_route(parent))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(multipart_body(
            boundary,
            &[("data[attributes][attachment]", Some("big.bin"), &big)],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(included_attachments(&app, parent).await.len(), 2);
    assert_eq!(stored_files(&app).len(), 2);
}

async fn bad_uploads_are_422_and_leave_nothing_behind(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let route = attachments_route(parent);
    let cases = [
        (
            json!({"data": upload("not base64!!", "a.txt")}),
            "/data/attributes/attachment/content",
        ),
        (
            json!({"data": upload("aGVsbG8\n", "a.txt")}),
            "/data/attributes/attachment/content",
        ),
        (
            json!({"data": {"type": "attachments", "attributes": {"attachment": {"file_name": "a.txt"}}}}),
            "/data/attributes/attachment/content",
        ),
        (
            json!({"data": {"type": "attachments", "attributes": {"attachment": {"content": "aGVsbG8="}}}}),
            "/data/attributes/attachment/file_name",
        ),
        (
            json!({"data": {"type": "attachments", "attributes": {"name": "x"}}}),
            "/data/attributes/attachment",
        ),
        // The first item is good and its file is written before the second
        // fails: the failed write removes it again.
        (
            json!({"data": [upload(&b64(PNG), "good.png"), upload("%%%", "bad.png")]}),
            "/data/1/attributes/attachment/content",
        ),
    ];
    for (body, pointer) in cases {
        let (status, errors) = app.send(Method::POST, &route, body).await;
        assert_eq!(status, 422, "{errors}");
        assert_eq!(
            errors["errors"][0]["source"]["pointer"], pointer,
            "{errors}"
        );
    }
    assert!(included_attachments(&app, parent).await.is_empty());
    assert_eq!(stored_files(&app), Vec::<std::path::PathBuf>::new());
}

async fn arrays_create_many_and_bulk_delete_removes_rows_and_files(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let route = attachments_route(parent);
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [
                upload(&b64(b"first"), "one.txt"),
                upload(&b64(PNG), "two.png"),
                upload(&b64(b"third"), "three.log"),
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let created = body["data"].as_array().unwrap();
    assert_eq!(created.len(), 3);
    let names: Vec<&str> = created
        .iter()
        .map(|o| o["attributes"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["one.txt", "two.png", "three.log"]);
    assert_eq!(stored_files(&app).len(), 3);
    let ids: Vec<i64> = created.iter().map(id_of).collect();

    // Ids of another record's attachments are 404 here, and nothing goes.
    let (_, other_parent) = configuration(&app).await;
    let (status, _) = app
        .send(
            Method::DELETE,
            &attachments_route(other_parent),
            json!({"data": [{"type": "attachments", "attributes": {"id": ids[0]}}]}),
        )
        .await;
    assert_eq!(status, 404);

    let (status, body) = app
        .send(
            Method::DELETE,
            &route,
            json!({"data": [
                {"type": "attachments", "attributes": {"id": ids[0]}},
                {"type": "attachments", "attributes": {"id": ids[2].to_string()}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let deleted: Vec<i64> = body["data"].as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(deleted, [ids[0], ids[2]]);
    assert_eq!(body["data"][0]["attributes"]["name"], "one.txt");
    let left = included_attachments(&app, parent).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], ids[1].to_string());
    assert_eq!(stored_files(&app).len(), 1);
    let (status, _) = app.get(&format!("/attachments/{}/download", ids[0])).await;
    assert_eq!(status, 404);
}

async fn only_the_name_can_be_changed(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let created = attach(&app, parent, b"hello", "hello.txt").await;
    let id = id_of(&created);
    let member = format!("{}/{id}", attachments_route(parent));
    let (status, body) = app
        .send(
            Method::PATCH,
            &member,
            json!({"data": {"type": "attachments", "attributes": {
                "name": "Greeting", "attachment-file-name": "other.txt",
                "attachment": {"content": b64(PNG), "file_name": "x.png"}
            }}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(a["name"], "Greeting");
    assert_eq!(a["attachment-file-name"], "hello.txt");
    assert_eq!(a["attachment-content-type"], "text/plain");
    assert_eq!(a["attachment-file-size"], 5);
    assert_eq!(stored_files(&app).len(), 1);

    for (attributes, detail) in [
        (json!({}), "is required"),
        (json!({"name": "  "}), "can't be blank"),
        (json!({"name": null}), "can't be null"),
    ] {
        let (status, errors) = app
            .send(
                Method::PATCH,
                &member,
                json!({"data": {"type": "attachments", "attributes": attributes}}),
            )
            .await;
        assert_eq!(status, 422, "{errors}");
        assert_eq!(
            errors["errors"][0]["source"]["pointer"],
            "/data/attributes/name"
        );
        assert!(
            errors["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .contains(detail),
            "{errors}"
        );
    }
    // Under another record it is not found.
    let (_, other_parent) = configuration(&app).await;
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("{}/{id}", attachments_route(other_parent)),
            json!({"data": {"type": "attachments", "attributes": {"name": "x"}}}),
        )
        .await;
    assert_eq!(status, 404);
    let included = included_attachments(&app, parent).await;
    assert_eq!(included[0]["attributes"]["name"], "Greeting");
}

async fn deleting_the_record_removes_its_attachments_and_files(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let (_, kept) = configuration(&app).await;
    let gone = attach(&app, parent, PNG, "a.png").await;
    attach(&app, parent, b"b", "b.txt").await;
    attach(&app, kept, b"c", "c.txt").await;
    assert_eq!(stored_files(&app).len(), 3);

    let (status, body) = app
        .send(
            Method::DELETE,
            "/configurations",
            json!({"data": [{"type": "configurations", "attributes": {"id": parent}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stored_files(&app).len(), 1);
    let (status, _) = app
        .get(&format!("/attachments/{}/download", id_of(&gone)))
        .await;
    assert_eq!(status, 404);
    assert_eq!(included_attachments(&app, kept).await.len(), 1);
}

async fn deleting_an_organization_removes_its_records_attachments_and_files(app: TestApp) {
    let (_, kept) = configuration(&app).await;
    attach(&app, kept, b"kept", "kept.txt").await;
    let (status, types) = app.get("/configuration_types?page[size]=1").await;
    assert_eq!(status, 200);
    let kind: i64 = types["data"][0]["id"].as_str().unwrap().parse().unwrap();
    let mut attached = Vec::new();
    for name in ["Globex", "Initech"] {
        let org = app.create("/organizations", json!({"name": name})).await;
        let config = app
            .create(
                "/configurations",
                json!({"organization_id": org, "configuration_type_id": kind, "name": "nas"}),
            )
            .await;
        let created = attach(&app, config, PNG, "nas.png").await;
        assert_eq!(created["attributes"]["organization-id"], org);
        attached.push((org, created));
    }
    let contact = app
        .create(
            "/contacts",
            json!({"organization_id": attached[0].0, "first_name": "Ada"}),
        )
        .await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/contacts/{contact}/relationships/attachments"),
            json!({"data": upload(&b64(b"vcard"), "ada.vcf")}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(stored_files(&app).len(), 4);

    // By filter ...
    let response = app
        .request(Method::DELETE, "/organizations?filter[name]=Globex")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(stored_files(&app).len(), 2);
    // ... and by data.
    let (status, body) = app
        .send(
            Method::DELETE,
            "/organizations",
            json!({"data": [{"type": "organizations", "attributes": {"id": attached[1].0}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stored_files(&app).len(), 1);
    for (_, created) in &attached {
        let (status, _) = app
            .get(&format!("/attachments/{}/download", id_of(created)))
            .await;
        assert_eq!(status, 404);
    }
    assert_eq!(included_attachments(&app, kept).await.len(), 1);
}

async fn other_accounts_cannot_reach_attachments(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let created = attach(&app, parent, b"secret plan", "plan.txt").await;
    let id = id_of(&created);
    let url = created["attributes"]["download-url"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app.other_key.clone();
    let route = attachments_route(parent);

    assert_eq!(download(&app, &other, &url).await.status(), 404);
    let (status, _) = app
        .get_as(
            &other,
            &format!("/configurations/{parent}?include=attachments"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::POST,
            &route,
            json!({"data": upload(&b64(b"x"), "x.txt")}),
        )
        .await;
    assert_eq!(status, 404, "another account's record is no parent");
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            &format!("{route}/{id}"),
            json!({"data": {"type": "attachments", "attributes": {"name": "mine"}}}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::DELETE,
            &route,
            json!({"data": [{"type": "attachments", "attributes": {"id": id}}]}),
        )
        .await;
    assert_eq!(status, 404);

    // Not even through a record of its own.
    let (status, types) = app
        .get_as(&other, "/configuration_types?page[size]=1")
        .await;
    assert_eq!(status, 200);
    let kind: i64 = types["data"][0]["id"].as_str().unwrap().parse().unwrap();
    let (_, orgs) = app.get_as(&other, "/organizations").await;
    let org: i64 = orgs["data"][0]["id"].as_str().unwrap().parse().unwrap();
    let (status, body) = app
        .send_as(
            &other,
            Method::POST,
            "/configurations",
            json!({"data": {"type": "configurations", "attributes": {"organization_id": org, "configuration_type_id": kind, "name": "theirs"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let theirs = id_of(&body["data"]);
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            &format!("{}/{id}", attachments_route(theirs)),
            json!({"data": {"type": "attachments", "attributes": {"name": "mine"}}}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::DELETE,
            &attachments_route(theirs),
            json!({"data": [{"type": "attachments", "attributes": {"id": id}}]}),
        )
        .await;
    assert_eq!(status, 404);

    let included = included_attachments(&app, parent).await;
    assert_eq!(included.len(), 1);
    assert_eq!(included[0]["attributes"]["name"], "plan.txt");
    let response = download(&app, &app.key, &url).await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"secret plan");
}

async fn unknown_parent_types_and_records_are_404(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let body = json!({"data": upload(&b64(b"x"), "x.txt")});
    for route in [
        "/tickets/1/relationships/attachments".to_string(),
        "/folders/1/relationships/attachments".to_string(),
        "/configurations/999999/relationships/attachments".to_string(),
        "/configurations/abc/relationships/attachments".to_string(),
        format!("/contacts/{parent}/relationships/attachments"),
    ] {
        let (status, errors) = app.send(Method::POST, &route, body.clone()).await;
        assert_eq!(status, 404, "{route}: {errors}");
    }
    // Attachments have no routes of their own besides the download.
    assert_eq!(app.get("/attachments").await.0, 404);
    assert_eq!(stored_files(&app).len(), 0);
}

async fn a_restart_sweeps_old_files_no_record_references(app: TestApp) {
    let (_, parent) = configuration(&app).await;
    let kept = attach(&app, parent, b"rack diagram", "rack.txt").await;
    let [stored] = stored_files(&app).try_into().expect("one stored file");
    let account_dir = stored.parent().expect("account directory").to_path_buf();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    let write = |name: &str, old: bool| {
        let path = account_dir.join(name);
        std::fs::write(&path, b"left by a crash").unwrap();
        if old {
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(two_hours_ago).unwrap();
        }
        path
    };
    let orphan = write("0123456789abcdef0123456789abcdef", true);
    let half_written = write(".fedcba9876543210fedcba9876543210.tmp", true);
    let in_flight = write("00112233445566778899aabbccddeeff", false);
    // The referenced file is old too: age alone never removes a blob.
    std::fs::File::options()
        .write(true)
        .open(&stored)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();

    let (base, _guard) = app.second_server().await.expect("a restart");
    assert!(!orphan.exists(), "an old unreferenced blob is swept");
    assert!(!half_written.exists(), "an old temporary file is swept");
    assert!(
        in_flight.exists(),
        "a recent file may belong to a write in flight"
    );
    assert!(stored.exists());
    let url = kept["attributes"]["download-url"]
        .as_str()
        .unwrap()
        .replace(&app.base, &base);
    let response = download(&app, &app.key, &url).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"rack diagram");
}

crate::api_tests!(
    a_restart_sweeps_old_files_no_record_references,
    a_base64_upload_shows_on_its_record_with_the_detected_type,
    downloads_return_the_exact_bytes_as_a_named_file,
    multipart_uploads_work_like_the_reference_curl_example,
    bad_uploads_are_422_and_leave_nothing_behind,
    arrays_create_many_and_bulk_delete_removes_rows_and_files,
    only_the_name_can_be_changed,
    deleting_the_record_removes_its_attachments_and_files,
    deleting_an_organization_removes_its_records_attachments_and_files,
    other_accounts_cannot_reach_attachments,
    unknown_parent_types_and_records_are_404,
);
