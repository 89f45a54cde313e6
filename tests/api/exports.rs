//! Exports: `POST /exports` answers at once, a background job builds the
//! zip, `GET /exports/:id` shows it done with a download URL that streams
//! the file; passwords only for a requester with password access; an
//! AES-encrypted zip that an independent tool (7-Zip) opens with the right
//! password only; DELETE removes the file.

use std::io::Read as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, Backend, TestApp};

/// A server whose job workers poll often.
async fn app(backend: Backend) -> TestApp {
    TestApp::spawn_with_workers(backend, |args| args.jobs.job_poll_ms = 25).await
}

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R', 1, 2, 3,
    4, 5, 6, 7, 8, 9,
];

/// Two organizations with records of several kinds; Frog's id.
async fn fill(app: &TestApp) -> (i64, i64) {
    let frog = app.create("/organizations", json!({"name": "Frog"})).await;
    let toad = app.create("/organizations", json!({"name": "Toad"})).await;
    let kind = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let mut server = 0;
    for (org, name) in [(frog, "frog-fw01"), (toad, "toad-fw01")] {
        let (status, body) = app
            .send(
                Method::POST,
                &format!("/organizations/{org}/relationships/configurations"),
                json!({"data": {"type": "configurations", "attributes": {
                    "name": name, "configuration-type-id": kind, "primary-ip": "10.0.0.1"}}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        if org == frog {
            server = id_of(&body);
        }
    }
    app.create(
        "/passwords",
        json!({"name": "Firewall admin", "organization-id": frog, "password": "s3cret-Value-77"}),
    )
    .await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/organizations/{frog}/relationships/documents"),
            json!({"data": {"type": "documents", "attributes": {
                "name": "Runbook: backups", "content": "<p>Restore from the NAS</p>"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/configurations/{server}/relationships/attachments"),
            json!({"data": {"type": "attachments", "attributes": {"attachment": {
                "content": base64::engine::general_purpose::STANDARD.encode(PNG),
                "file_name": "rack.png"}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (frog, server)
}

/// Requests an export with `key`; the response.
async fn request(app: &TestApp, key: &str, attributes: Value) -> (u16, Value) {
    app.send_as(
        key,
        Method::POST,
        "/exports",
        json!({"data": {"type": "exports", "attributes": attributes}}),
    )
    .await
}

/// Polls export `id` until it is done; its attributes.
async fn done(app: &TestApp, key: &str, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = app.get_as(key, &format!("/exports/{id}")).await;
        assert_eq!(status, 200, "{body}");
        let attributes = body["data"]["attributes"].clone();
        match attributes["status"].as_str().unwrap() {
            "done" => return attributes,
            "failed" => panic!("the export failed: {attributes}"),
            _ => assert!(attributes["download-url"].is_null(), "{attributes}"),
        }
        assert!(Instant::now() < deadline, "never done: {attributes}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The bytes behind a download URL.
async fn download(app: &TestApp, key: &str, url: &str) -> Vec<u8> {
    let response = app
        .client
        .get(url)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    response.bytes().await.unwrap().to_vec()
}

/// The entries of a zip, by name.
fn entries(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        out.insert(file.name().to_string(), content);
    }
    out
}

fn text(entries: &std::collections::BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(
        entries
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", entries.keys()))
            .clone(),
    )
    .unwrap()
}

async fn an_organizations_export_holds_its_records_files_and_passwords(backend: Backend) {
    let app = app(backend).await;
    let (frog, server) = fill(&app).await;
    let (status, body) = request(&app, &app.key, json!({"organization-id": frog})).await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    let a = &body["data"]["attributes"];
    assert_eq!(a["status"], "pending");
    assert!(a["download-url"].is_null());
    assert_eq!(a["organization-name"], "Frog");
    assert_eq!(a["export-all"], false);
    assert_eq!(a["encrypted-status"], false);
    assert_eq!(a["include-logs"], false);

    let finished = done(&app, &app.key, id).await;
    let url = finished["download-url"].as_str().unwrap().to_string();
    assert!(url.ends_with(&format!("/exports/{id}/download")), "{url}");
    let zip = entries(&download(&app, &app.key, &url).await);

    let configurations = text(&zip, "configurations.json");
    let parsed: Value = serde_json::from_str(&configurations).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 1, "{configurations}");
    assert_eq!(parsed[0]["attributes"]["name"], "frog-fw01");
    assert!(
        !configurations.contains("toad"),
        "another organization's records stay out"
    );
    let csv = text(&zip, "configurations.csv");
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("id,") && header.contains("primary-ip"),
        "{header}"
    );
    assert!(lines.next().unwrap().contains("frog-fw01"), "{csv}");
    assert!(text(&zip, "passwords.json").contains("s3cret-Value-77"));
    assert!(text(&zip, "passwords.csv").contains("s3cret-Value-77"));
    let document = zip
        .keys()
        .find(|name| name.starts_with("documents/") && name.ends_with(".html"))
        .unwrap_or_else(|| panic!("{:?}", zip.keys()))
        .clone();
    assert!(text(&zip, &document).contains("<p>Restore from the NAS</p>"));
    let attachment = zip
        .iter()
        .find(|(name, _)| name.starts_with(&format!("attachments/Configuration-{server}/")))
        .unwrap_or_else(|| panic!("{:?}", zip.keys()));
    assert!(attachment.0.ends_with("rack.png"));
    assert_eq!(attachment.1, PNG);
    assert!(text(&zip, "README.txt").contains("Password values: included"));
    assert!(!zip.contains_key("logs.json"), "logs only when asked for");

    // The request and the password reveals are in the activity log.
    let (_, logs) = app.get("/logs?filter[resource_type]=Export").await;
    assert_eq!(logs["data"][0]["attributes"]["action"], "create", "{logs}");
    let (_, shows) = app
        .get("/logs?filter[resource_type]=Password&filter[action]=show")
        .await;
    assert!(!shows["data"].as_array().unwrap().is_empty(), "{shows}");

    // Another account sees nothing of it.
    let (status, _) = app.get_as(&app.other_key, &format!("/exports/{id}")).await;
    assert_eq!(status, 404);
    let response = app
        .client
        .get(&url)
        .header("x-api-key", &app.other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // DELETE removes the export and its file.
    let response = app
        .request(Method::DELETE, &format!("/exports/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = app
        .client
        .get(&url)
        .header("x-api-key", &app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(app.get(&format!("/exports/{id}")).await.0, 404);
}

async fn without_password_access_an_account_export_holds_no_password_values(backend: Backend) {
    let app = app(backend).await;
    fill(&app).await;
    let (status, body) = request(&app, &app.plain_key, json!({"include-logs": true})).await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    assert_eq!(body["data"]["attributes"]["export-all"], true);
    let finished = done(&app, &app.plain_key, id).await;
    let zip = entries(
        &download(
            &app,
            &app.plain_key,
            finished["download-url"].as_str().unwrap(),
        )
        .await,
    );
    let passwords = text(&zip, "passwords.json");
    assert!(passwords.contains("Firewall admin"), "{passwords}");
    assert!(!passwords.contains("s3cret-Value-77"), "{passwords}");
    let configurations = text(&zip, "configurations.json");
    assert!(configurations.contains("toad-fw01") && configurations.contains("frog-fw01"));
    assert!(text(&zip, "logs.json").contains("\"create\""));
    assert!(
        zip.contains_key("organization-types.json") || zip.contains_key("organization_types.json")
    );
    assert!(text(&zip, "README.txt").contains("not included"));
}

async fn a_zip_password_encrypts_the_archive_for_7_zip(backend: Backend) {
    let app = app(backend).await;
    let (frog, _) = fill(&app).await;
    let (status, body) = request(
        &app,
        &app.key,
        json!({"organization-id": frog, "zip-password": "short"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/zip-password"
    );
    let (status, body) = request(&app, &app.key, json!({"organization-id": 999_999})).await;
    assert_eq!(status, 422, "{body}");

    let password = "correct horse battery";
    let (status, body) = request(
        &app,
        &app.key,
        json!({"organization-id": frog, "zip-password": password}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    assert_eq!(body["data"]["attributes"]["encrypted-status"], true);
    assert!(body["data"]["attributes"].get("zip-password").is_none());
    let finished = done(&app, &app.key, id).await;
    let bytes = download(&app, &app.key, finished["download-url"].as_str().unwrap()).await;
    assert!(
        !bytes.windows(15).any(|w| w == b"s3cret-Value-77"),
        "the values are not in the clear"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.zip");
    std::fs::write(&file, &bytes).unwrap();
    let seven_zip = |password: &str| {
        std::process::Command::new("7z")
            .arg("x")
            .arg(format!("-p{password}"))
            .arg(format!("-o{}", dir.path().join(password).display()))
            .arg("-y")
            .arg(&file)
            .output()
            .expect("7z is installed (Debian: p7zip-full)")
    };
    let wrong = seven_zip("not the password");
    assert!(!wrong.status.success(), "a wrong password opens nothing");
    let right = seven_zip(password);
    assert!(
        right.status.success(),
        "{}{}",
        String::from_utf8_lossy(&right.stdout),
        String::from_utf8_lossy(&right.stderr)
    );
    let passwords =
        std::fs::read_to_string(dir.path().join(password).join("passwords.json")).unwrap();
    assert!(passwords.contains("s3cret-Value-77"), "{passwords}");
}

async fn only_administrators_and_managers_export(backend: Backend) {
    let app = app(backend).await;
    let (_, key) = app
        .user_with_key("ed@example.com", mortar::roles::Role::Editor)
        .await;
    let (status, body) = request(&app, &key, json!({})).await;
    assert_eq!(status, 403, "{body}");
    let (_, list) = app.get("/exports").await;
    assert_eq!(list["data"], json!([]), "nothing was made");
}

crate::backend_tests!(
    an_organizations_export_holds_its_records_files_and_passwords,
    without_password_access_an_account_export_holds_no_password_values,
    a_zip_password_encrypts_the_archive_for_7_zip,
    only_administrators_and_managers_export,
);
