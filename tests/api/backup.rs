//! `mortar backup` and `mortar restore`, run as an operator runs them: a
//! backup taken while clients write, restored into a fresh place, served
//! again; damaged and foreign files refused before anything is written.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::RngCore as _;
use serde_json::{json, Value};

use crate::cli::Place;
use crate::helpers::Backend;

/// Emits `sqlite::NAME` and an ignored `postgres::NAME` for a test taking a `Backend`.
macro_rules! backup_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
                async fn $name() {
                    super::$name(crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

backup_tests!(
    a_backup_taken_under_write_load_restores_every_write_acknowledged_before_it,
    a_damaged_truncated_or_foreign_backup_is_refused_and_nothing_is_written,
);

/// A server of the binary over `place`, and what the tests send it.
struct Client {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Client {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", &self.key);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/vnd.api+json")
                .body(body.to_string());
        }
        crate::helpers::read(request.send().await.expect("request")).await
    }

    async fn create(&self, path: &str, kind: &str, attributes: Value) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            path,
            Some(json!({"data": {"type": kind, "attributes": attributes}})),
        )
        .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn download(&self, id: i64) -> (u16, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}/attachments/{id}/download", self.base))
            .header("x-api-key", &self.key)
            .send()
            .await
            .expect("download");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("bytes").to_vec())
    }
}

fn id_of(body: &Value) -> i64 {
    body["data"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {body}"))
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// A write the server acknowledged, and what reading it back must show.
#[derive(Debug, Clone)]
enum Written {
    Organization { id: i64, name: String },
    Configuration { id: i64, name: String },
    Password { id: i64, secret: String },
    Attachment { id: i64, bytes: Vec<u8> },
}

/// An organization and a configuration type to hang the load's records on.
async fn groundwork(client: &Client) -> (i64, i64, i64) {
    let (status, body) = client
        .create(
            "/organizations",
            "organizations",
            json!({"name": "Groundwork"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let org = id_of(&body);
    let (status, body) = client
        .create(
            "/configuration_types",
            "configuration-types",
            json!({"name": "Server"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let kind = id_of(&body);
    let (status, body) = client
        .create(
            "/configurations",
            "configurations",
            json!({"organization-id": org, "configuration-type-id": kind, "name": "files01"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (org, kind, id_of(&body))
}

/// One write of each kind in turn, `n` picking the kind, names and bytes.
async fn write_one(client: &Client, worker: usize, n: usize, ground: (i64, i64, i64)) -> Written {
    let (org, kind, configuration) = ground;
    let tag = format!("w{worker}-{n}");
    let created = |(status, body): (u16, Value)| {
        assert_eq!(status, 201, "{body}");
        id_of(&body)
    };
    match n % 4 {
        0 => {
            let name = format!("Org {tag}");
            let answer = client
                .create("/organizations", "organizations", json!({ "name": name }))
                .await;
            Written::Organization {
                id: created(answer),
                name,
            }
        }
        1 => {
            let name = format!("host-{tag}");
            let answer = client
                .create(
                    "/configurations",
                    "configurations",
                    json!({"organization-id": org, "configuration-type-id": kind, "name": name}),
                )
                .await;
            Written::Configuration {
                id: created(answer),
                name,
            }
        }
        2 => {
            let secret = format!("secret {tag} horse battery");
            let answer = client
                .create(
                    "/passwords",
                    "passwords",
                    json!({"organization-id": org, "name": format!("Admin {tag}"), "username": "admin", "password": secret}),
                )
                .await;
            Written::Password {
                id: created(answer),
                secret,
            }
        }
        _ => {
            let bytes = random_bytes(2_000 + (n * 97) % 30_000);
            let content = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let answer = client
                .send(
                    reqwest::Method::POST,
                    &format!("/configurations/{configuration}/relationships/attachments"),
                    Some(json!({"data": {"type": "attachments", "attributes": {"attachment": {"content": content, "file_name": format!("{tag}.bin")}}}})),
                )
                .await;
            Written::Attachment {
                id: created(answer),
                bytes,
            }
        }
    }
}

/// Checks that the server at `client` holds `write` as it was acknowledged.
async fn assert_holds(client: &Client, write: &Written) {
    match write {
        Written::Organization { id, name } => {
            let (status, body) = client.get(&format!("/organizations/{id}")).await;
            assert_eq!(status, 200, "organization {id}: {body}");
            assert_eq!(body["data"]["attributes"]["name"], name.as_str());
        }
        Written::Configuration { id, name } => {
            let (status, body) = client.get(&format!("/configurations/{id}")).await;
            assert_eq!(status, 200, "configuration {id}: {body}");
            assert_eq!(body["data"]["attributes"]["name"], name.as_str());
        }
        Written::Password { id, secret } => {
            let (status, body) = client.get(&format!("/passwords/{id}")).await;
            assert_eq!(status, 200, "password {id}: {body}");
            assert_eq!(
                body["data"]["attributes"]["password"],
                secret.as_str(),
                "password {id} is revealed as it was stored"
            );
        }
        Written::Attachment { id, bytes } => {
            let (status, body) = client.download(*id).await;
            assert_eq!(status, 200, "attachment {id}");
            assert!(body == *bytes, "attachment {id} downloads its exact bytes");
        }
    }
}

/// Runs `mortar ARGS` for `place` to its end, off the async threads.
async fn run(place: &Place, args: &[&str]) -> std::process::Output {
    run_in(place.command(args)).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// Four clients write organizations, configurations, passwords and
/// attachments at once; `mortar backup` runs in the middle of it. Every
/// write acknowledged before the backup started is found, byte for byte and
/// secret for secret, on a server started over the restored copy (given the
/// master key the usual way: `master.key` in its data directory), and the
/// master key is nowhere in the backup file.
async fn a_backup_taken_under_write_load_restores_every_write_acknowledged_before_it(
    backend: Backend,
) {
    let place = Place::new(backend).await;
    let mut server = place.serve(&[]);
    let client = Arc::new(Client {
        key: server.first_key(),
        base: format!("http://{}", server.address()),
        http: reqwest::Client::new(),
    });
    let ground = groundwork(&client).await;

    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let client = client.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut n = worker;
            while !stop.load(Ordering::Relaxed) {
                let write = write_one(&client, worker, n, ground).await;
                acknowledged.push((Instant::now(), write));
                n += 1;
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let archive = place.data_dir().parent().unwrap().join(format!(
        "backup-{}.tar.zst",
        place.data_dir().file_name().unwrap().to_string_lossy()
    ));
    let _remove = Removal(archive.clone());
    let archive_arg = archive.to_str().unwrap().to_string();
    let backup_started = Instant::now();
    let output = run(&place, &["backup", "--to", &archive_arg]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut before = Vec::new();
    let mut after = 0;
    for worker in workers {
        for (acknowledged_at, write) in worker.await.expect("a writer") {
            if acknowledged_at < backup_started {
                before.push(write);
            } else {
                after += 1;
            }
        }
    }
    assert!(output.status.success(), "backup: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("Backup written to"), "{stdout}");
    assert!(
        stdout.contains("master key is NOT in the backup"),
        "{stdout}"
    );
    assert!(
        after > 0,
        "writes went on while the backup ran ({} before it)",
        before.len()
    );
    for kind in ["Organization", "Configuration", "Password", "Attachment"] {
        assert!(
            before
                .iter()
                .any(|w| format!("{w:?}").starts_with(&format!("{kind} "))),
            "at least one {kind} was acknowledged before the backup"
        );
    }
    let master_key = std::fs::read_to_string(place.data_dir().join("master.key")).unwrap();
    let contents = zstd::decode_all(std::fs::File::open(&archive).unwrap()).unwrap();
    assert!(
        !contents
            .windows(master_key.trim().len())
            .any(|w| w == master_key.trim().as_bytes()),
        "the master key is not inside the backup"
    );
    server.stop();

    let restored = Place::new(backend).await;
    let output = run(&restored, &["restore", "--from", &archive_arg]).await;
    assert!(output.status.success(), "restore: {}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("master key is not in the backup"),
        "{}",
        text(&output.stdout)
    );
    std::fs::copy(
        place.data_dir().join("master.key"),
        restored.data_dir().join("master.key"),
    )
    .unwrap();
    let mut server = restored.serve(&[]);
    let client = Client {
        key: client.key.clone(),
        base: format!("http://{}", server.address()),
        http: reqwest::Client::new(),
    };
    for write in &before {
        assert_holds(&client, write).await;
    }
    server.stop();
}

/// A file removed when the test ends.
struct Removal(std::path::PathBuf);

impl Drop for Removal {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Everything in `dir` (empty when it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A backup with bytes flipped in its middle, cut short, or a file that is
/// no backup at all is refused with a message that says what is wrong and
/// what to do, and nothing is written: no target directory, no leftovers
/// beside it, no table in the target database. A good backup then restores;
/// a second restore over it is refused until `--force`.
async fn a_damaged_truncated_or_foreign_backup_is_refused_and_nothing_is_written(backend: Backend) {
    let place = Place::new(backend).await;
    let mut server = place.serve(&[]);
    let client = Client {
        key: server.first_key(),
        base: format!("http://{}", server.address()),
        http: reqwest::Client::new(),
    };
    let ground = groundwork(&client).await;
    let mut written = Vec::new();
    for n in 0..12 {
        written.push(write_one(&client, 0, n, ground).await);
    }
    let archive = place.data_dir().parent().unwrap().join(format!(
        "backup-{}.tar.zst",
        place.data_dir().file_name().unwrap().to_string_lossy()
    ));
    let _remove = Removal(archive.clone());
    let output = run(&place, &["backup", "--to", archive.to_str().unwrap()]).await;
    assert!(output.status.success(), "backup: {}", text(&output.stderr));
    server.stop();
    let good = std::fs::read(&archive).unwrap();

    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    for byte in &mut flipped[middle..middle + 16] {
        *byte ^= 0xff;
    }
    let mut plain_tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_cksum();
    plain_tar
        .append_data(&mut header, "notes.txt", &b"hello"[..])
        .unwrap();
    let foreign_zstd = zstd::encode_all(&plain_tar.into_inner().unwrap()[..], 3).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("flipped", flipped, "is damaged or incomplete"),
        (
            "truncated",
            good[..good.len() * 3 / 5].to_vec(),
            "is damaged or incomplete",
        ),
        (
            "tail cut",
            good[..good.len() - 40].to_vec(),
            "is damaged or incomplete",
        ),
        (
            "text",
            b"name,notes\nfrog,1\n".to_vec(),
            "is not a Mortar backup",
        ),
        ("other tar", foreign_zstd, "is not a Mortar backup"),
    ];

    let restored = Place::new(backend).await;
    let target = restored.data_dir().join("restored");
    for (case, bytes, expected) in cases {
        let file = restored.data_dir().parent().unwrap().join(format!(
            "{case}-{}.tar.zst",
            restored.data_dir().file_name().unwrap().to_string_lossy()
        ));
        let _remove = Removal(file.clone());
        std::fs::write(&file, bytes).unwrap();
        let output = run_in(restore_into(&restored, &file, &target, false)).await;
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{case}: refused");
        assert!(stderr.contains(expected), "{case}: {stderr}");
        assert!(
            stderr.contains("Use another copy") || stderr.contains("Check the path"),
            "{case} says what to do: {stderr}"
        );
        assert_eq!(
            entries(restored.data_dir()),
            Vec::<String>::new(),
            "{case}: nothing written beside the target"
        );
        if let Some((_, _, url)) = &restored.postgres {
            assert_eq!(
                mortar::store::backup::postgres_tables(url).await.unwrap(),
                Vec::<String>::new(),
                "{case}: nothing written to the database"
            );
        }
    }

    let output = run_in(restore_into(&restored, &archive, &target, false)).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = run_in(restore_into(&restored, &archive, &target, false)).await;
    assert!(!output.status.success(), "a second restore over the first");
    assert!(
        text(&output.stderr).contains("is not empty") && text(&output.stderr).contains("--force"),
        "{}",
        text(&output.stderr)
    );
    let output = run_in(restore_into(&restored, &archive, &target, true)).await;
    assert!(output.status.success(), "{}", text(&output.stderr));

    std::fs::copy(
        place.data_dir().join("master.key"),
        target.join("master.key"),
    )
    .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mortar"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&target)
        .env_remove("MORTAR_MASTER_KEY")
        .env_remove("MORTAR_DATABASE_URL")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some((_, _, url)) = &restored.postgres {
        command.arg("--database-url").arg(url);
    }
    let mut server = crate::cli::Server::spawn(command);
    let client = Client {
        key: client.key.clone(),
        base: format!("http://{}", server.address()),
        http: reqwest::Client::new(),
    };
    for write in &written {
        assert_holds(&client, write).await;
    }
    server.stop();
}

/// `mortar restore --from FILE --data-dir TARGET [--database-url PLACE'S DB] [--force]`.
fn restore_into(place: &Place, file: &Path, target: &Path, force: bool) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mortar"));
    command
        .args(["restore", "--from"])
        .arg(file)
        .arg("--data-dir")
        .arg(target)
        .env_remove("MORTAR_DATA_DIR")
        .env_remove("MORTAR_DATABASE_URL");
    if let Some((_, _, url)) = &place.postgres {
        command.arg("--database-url").arg(url);
    }
    if force {
        command.arg("--force");
    }
    command
}

/// Runs `command` to its end, off the async threads.
async fn run_in(mut command: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().expect("run mortar"))
        .await
        .expect("the command's thread")
}
