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

use crate::cli::Place;
use crate::helpers::{id_of, Backend, TestApp};

/// The local S3-compatible server, stopped when dropped.
pub(crate) struct Moto {
    child: Child,
    pub(crate) endpoint: String,
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
pub(crate) async fn moto() -> Option<Moto> {
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
    pub(crate) async fn bucket(&self) -> String {
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
    pub(crate) async fn objects(&self, bucket: &str) -> Vec<String> {
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

/// Export zips no export row records (one uploaded just before its job
/// failed) are swept from the bucket by the start-up rule; recorded ones,
/// blobs and objects that are not Mortar's stay.
async fn orphaned_export_objects_are_swept(backend: Backend) {
    let Some(moto) = moto().await else {
        return;
    };
    let _ = backend;
    let bucket = moto.bucket().await;
    let client = moto.client(&bucket);
    for name in [
        "blobs/exports/1/7.zip",
        "blobs/exports/1/8.zip",
        "blobs/1/0a1b2c",
        "blobs/notes.txt",
    ] {
        client
            .put(
                &object_store::path::Path::from(name),
                b"zip".to_vec().into(),
            )
            .await
            .unwrap();
    }
    let mortar::files::BlobStoreConfig::S3 {
        bucket: name,
        prefix,
        endpoint,
        region,
    } = moto.blob_store(&bucket)
    else {
        unreachable!()
    };
    let store =
        mortar::files::S3BlobStore::open(&name, &prefix, endpoint.as_deref(), region.as_deref())
            .unwrap();
    let blobs = ["1/0a1b2c".to_string()].into_iter().collect();
    let exports = ["s3:exports/1/7.zip".to_string()].into_iter().collect();
    // Nothing younger than the grace period goes.
    let swept = store
        .sweep(&blobs, &exports, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(swept, 0);
    let swept = store.sweep(&blobs, &exports, Duration::ZERO).await.unwrap();
    assert_eq!(swept, 1);
    assert_eq!(
        moto.objects(&bucket).await,
        vec!["blobs/1/0a1b2c", "blobs/exports/1/7.zip", "blobs/notes.txt"]
    );
}

/// `mortar demo`, `mortar backup` and `mortar restore` with the bucket: the
/// demo's uploads land in it, a backup reads them from it (and refuses,
/// naming the object, when one the database references is gone), and a
/// restore puts them into a new bucket that a server over the restored
/// directory serves byte for byte.
async fn demo_backup_and_restore_work_with_the_bucket(backend: Backend) {
    let Some(moto) = moto().await else {
        return;
    };
    let bucket = moto.bucket().await;
    let blob_store = |bucket: &str| {
        format!(
            "s3://{bucket}/blobs?endpoint={}&region=us-east-1",
            moto.endpoint
        )
    };
    let place = Place::new(backend).await;
    let output = place
        .command(&[
            "demo",
            "--organizations",
            "2",
            "--configurations-per-organization",
            "20",
            "--blob-store",
            &blob_store(&bucket),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let objects = moto.objects(&bucket).await;
    assert!(objects.iter().any(|name| is_blob(name)), "{objects:?}");
    assert!(files_under(&place.data_dir().join("attachments")).is_empty());
    let key = place.create_key("backup", &["--password-access"]);

    let store = place.store().await;
    let mut sql = store.sql();
    sql.push("SELECT id FROM attachments ORDER BY id");
    let attachments: Vec<i64> = store
        .fetch(&sql, &[mortar::store::ColumnType::Int])
        .await
        .unwrap()
        .into_iter()
        .map(|row| row[0].as_i64().unwrap())
        .collect();
    store.close().await;
    assert!(
        !attachments.is_empty(),
        "the demo keeps uploads as attachments"
    );
    let download = |base: &str, id: i64| {
        let (base, key) = (base.to_string(), key.clone());
        async move {
            let response = reqwest::Client::new()
                .get(format!("{base}/attachments/{id}/download"))
                .header("x-api-key", key)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap().to_vec()
        }
    };
    let mut server = place.serve(&[("MORTAR_BLOB_STORE", &blob_store(&bucket))]);
    let base = format!("http://{}", server.address());
    let mut originals = Vec::new();
    for id in &attachments {
        originals.push(download(&base, *id).await);
    }

    let archive = place.data_dir().join("backup.tar.zst");
    let archive_arg = archive.to_str().unwrap();
    let output = place
        .command(&[
            "backup",
            "--to",
            archive_arg,
            "--blob-store",
            &blob_store(&bucket),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{} attachments", attachments.len())),
        "{stdout}"
    );
    server.stop();

    // A backup of a bucket that lost a referenced object names it.
    let lost = objects.iter().find(|name| is_blob(name)).unwrap();
    let saved = moto.object(&bucket, lost).await;
    let client = moto.client(&bucket);
    let path = object_store::path::Path::from(lost.as_str());
    client.delete(&path).await.unwrap();
    let refused = place.data_dir().join("refused.tar.zst");
    let output = place
        .command(&[
            "backup",
            "--to",
            refused.to_str().unwrap(),
            "--blob-store",
            &blob_store(&bucket),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("missing from the bucket")
            && stderr.contains(lost.trim_start_matches("blobs/")),
        "{stderr}"
    );
    assert!(!refused.exists());
    client.put(&path, saved.into()).await.unwrap();

    // Restored into a new directory and a new bucket.
    let restored = Place::new(backend).await;
    let second_bucket = moto.bucket().await;
    let output = restored
        .command(&[
            "restore",
            "--from",
            archive_arg,
            "--blob-store",
            &blob_store(&second_bucket),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(files_under(&restored.data_dir().join("attachments")).is_empty());
    let restored_objects = moto.objects(&second_bucket).await;
    assert_eq!(
        restored_objects.iter().filter(|name| is_blob(name)).count(),
        attachments.len(),
        "{restored_objects:?}"
    );
    std::fs::copy(
        place.data_dir().join("master.key"),
        restored.data_dir().join("master.key"),
    )
    .unwrap();
    let mut server = restored.serve(&[("MORTAR_BLOB_STORE", &blob_store(&second_bucket))]);
    let base = format!("http://{}", server.address());
    for (id, original) in attachments.iter().zip(&originals) {
        assert_eq!(&download(&base, *id).await, original, "attachment {id}");
    }
    server.stop();
}

crate::backend_tests!(
    attachments_live_in_the_bucket_and_stay_in_step_with_the_rows,
    exports_go_to_the_bucket_and_stream_back,
    orphaned_export_objects_are_swept,
    demo_backup_and_restore_work_with_the_bucket,
);
