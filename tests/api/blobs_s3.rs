//! Blobs in S3-compatible object storage (`--blob-store s3://…`), against a
//! local S3-compatible server (moto) that the test starts: an upload lands in
//! the bucket and downloads identically, a failed write leaves no object,
//! a delete removes it, exports go to the bucket and stream back, and a
//! second server over the same database and bucket reads what the first
//! wrote.
//!
//! Without moto (`pip install 'moto[server]'`) these tests say so and pass,
//! unless `CI` is set: there they fail.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::StreamExt as _;
use object_store::{ObjectStore as _, ObjectStoreExt as _};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, Backend, TestApp};

/// The local S3-compatible server, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Nothing to test against: a skip outside CI, a failure in it.
fn unavailable(reason: String) -> Option<Moto> {
    if std::env::var_os("CI").is_some() {
        panic!("the S3 tests need moto (pip install 'moto[server]'): {reason}");
    }
    eprintln!("skipped: the S3 tests need moto (pip install 'moto[server]'): {reason}");
    None
}

/// Starts moto on a free port and waits until it answers.
async fn moto() -> Option<Moto> {
    // The credentials every S3 client here signs with (moto takes any).
    std::env::set_var("AWS_ACCESS_KEY_ID", "mortar-test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "mortar-test-secret");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let child = Command::new(python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut moto = match child {
        Ok(child) => Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        },
        Err(error) => return unavailable(error.to_string()),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = reqwest::Client::new();
    loop {
        if let Ok(Some(status)) = moto.child.try_wait() {
            return unavailable(format!("moto exited with {status}"));
        }
        if client.get(&moto.endpoint).send().await.is_ok() {
            return Some(moto);
        }
        if Instant::now() > deadline {
            return unavailable("moto did not answer within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Moto {
    /// A new empty bucket; its name.
    async fn bucket(&self) -> String {
        let name = format!("mortar-{:016x}", rand::random::<u64>());
        let response = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        name
    }

    /// The `--blob-store` value for `bucket` under the prefix `blobs`.
    fn blob_store(&self, bucket: &str) -> mortar::files::BlobStoreConfig {
        format!(
            "s3://{bucket}/blobs?endpoint={}&region=us-east-1",
            self.endpoint
        )
        .parse()
        .unwrap()
    }

    /// A client of `bucket`, to look behind the server's back.
    fn client(&self, bucket: &str) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_endpoint(&self.endpoint)
            .with_region("us-east-1")
            .with_allow_http(true)
            .with_access_key_id("mortar-test")
            .with_secret_access_key("mortar-test-secret")
            .build()
            .unwrap()
    }

    /// Every object name in `bucket`, sorted.
    async fn objects(&self, bucket: &str) -> Vec<String> {
        let client = self.client(bucket);
        let mut names: Vec<String> = client
            .list(None)
            .map(|meta| meta.unwrap().location.to_string())
            .collect()
            .await;
        names.sort();
        names
    }

    /// The bytes of object `name` in `bucket`.
    async fn object(&self, bucket: &str, name: &str) -> Vec<u8> {
        let client = self.client(bucket);
        let path = object_store::path::Path::from(name);
        client
            .get(&path)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }
}

/// Whether `name` is an attachment blob under the prefix: `blobs/<account>/<hex>`.
fn is_blob(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() == 3
        && parts[0] == "blobs"
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[2].bytes().all(|b| b.is_ascii_hexdigit())
}

fn upload(content: &[u8], file_name: &str) -> Value {
    json!({"type": "attachments", "attributes": {"attachment": {
        "content": base64::engine::general_purpose::STANDARD.encode(content),
        "file_name": file_name}}})
}

/// A configuration in account A's first organization: (organization, id).
async fn configuration(app: &TestApp) -> (i64, i64) {
    let org = app.catalog_id("/organizations", "Acme IT").await;
    let kind = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let id = app
        .create(
            "/configurations",
            json!({"organization_id": org, "configuration_type_id": kind, "name": "file server"}),
        )
        .await;
    (org, id)
}

/// Every regular file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// GET `url` with the app's key: status and bytes.
async fn fetch(app: &TestApp, url: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(url)
        .header("x-api-key", &app.key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

async fn attachments_live_in_the_bucket_and_stay_in_step_with_the_rows(backend: Backend) {
    let Some(moto) = moto().await else {
        return;
    };
    let bucket = moto.bucket().await;
    let store = moto.blob_store(&bucket);
    let app = TestApp::spawn_with(backend, |args| args.blob_store = store).await;
    let (_, parent) = configuration(&app).await;
    let route = format!("/configurations/{parent}/relationships/attachments");

    // An upload lands in the bucket, not on disk, and downloads identically.
    let content: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let (status, body) = app
        .send(
            Method::POST,
            &route,
            json!({"data": upload(&content, "dump.bin")}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    let objects = moto.objects(&bucket).await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(is_blob(&objects[0]), "{objects:?}");
    assert_eq!(moto.object(&bucket, &objects[0]).await, content);
    assert!(files_under(&app.data_dir().join("attachments")).is_empty());
    let url = format!("{}/attachments/{id}/download", app.base);
    assert_eq!(fetch(&app, &url).await, (200, content.clone()));

    // A write that fails after its first blob was stored leaves no object.
    let (status, errors) = app
        .send(
            Method::POST,
            &route,
            json!({"data": [upload(b"good", "good.txt"), {"type": "attachments",
                "attributes": {"attachment": {"content": "%%%", "file_name": "bad.txt"}}}]}),
        )
        .await;
    assert_eq!(status, 422, "{errors}");
    assert_eq!(moto.objects(&bucket).await, objects);

    // A second server over the same database and bucket reads it.
    let (second, _guard) = app.second_server().await.unwrap();
    let (status, bytes) = fetch(&app, &format!("{second}/attachments/{id}/download")).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, content);

    // Deleting the attachment removes its object.
    let (status, body) = app
        .send(
            Method::DELETE,
            &route,
            json!({"data": [{"type": "attachments", "attributes": {"id": id}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(moto.objects(&bucket).await, Vec::<String>::new());
    assert_eq!(fetch(&app, &url).await.0, 404);
}

/// Polls export `id` until it is done; its attributes.
async fn export_done(app: &TestApp, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = app.get(&format!("/exports/{id}")).await;
        assert_eq!(status, 200, "{body}");
        let attributes = body["data"]["attributes"].clone();
        match attributes["status"].as_str().unwrap() {
            "done" => return attributes,
            "failed" => panic!("the export failed: {attributes}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "never done: {attributes}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn exports_go_to_the_bucket_and_stream_back(backend: Backend) {
    let Some(moto) = moto().await else {
        return;
    };
    let bucket = moto.bucket().await;
    let store = moto.blob_store(&bucket);
    let app = TestApp::spawn_with_workers(backend, |args| {
        args.blob_store = store;
        args.jobs.job_poll_ms = 25;
    })
    .await;
    let (org, parent) = configuration(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/configurations/{parent}/relationships/attachments"),
            json!({"data": upload(b"rack photo", "rack.txt")}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let (status, body) = app
        .send(
            Method::POST,
            "/exports",
            json!({"data": {"type": "exports", "attributes": {"organization-id": org}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    let url = export_done(&app, id).await["download-url"]
        .as_str()
        .unwrap()
        .to_string();

    // The zip is an object in the bucket, and nothing stays on disk.
    let exports: Vec<String> = moto
        .objects(&bucket)
        .await
        .into_iter()
        .filter(|name| !is_blob(name))
        .collect();
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert!(exports[0].starts_with("blobs/exports/"), "{exports:?}");
    assert!(files_under(&app.data_dir().join("exports")).is_empty());
    let object = moto.object(&bucket, &exports[0]).await;

    // The download streams it from the bucket, from either server.
    let (status, bytes) = fetch(&app, &url).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, object);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert!(archive.by_name("configurations.json").is_ok());
    let (second, _guard) = app.second_server().await.unwrap();
    let (status, bytes) = fetch(&app, &format!("{second}/exports/{id}/download")).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, object);

    // DELETE removes the object.
    let response = app
        .request(Method::DELETE, &format!("/exports/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let left = moto.objects(&bucket).await;
    assert!(left.iter().all(|name| is_blob(name)), "{left:?}");
    assert_eq!(fetch(&app, &url).await.0, 404);
}

crate::backend_tests!(
    attachments_live_in_the_bucket_and_stay_in_step_with_the_rows,
    exports_go_to_the_bucket_and_stream_back,
);
