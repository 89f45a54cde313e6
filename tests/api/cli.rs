//! The `mortar` binary as a new user runs it: first start, keys, shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mortar");

fn mortar(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("MORTAR_DATABASE_URL")
        .env_remove("MORTAR_MASTER_KEY")
        .output()
        .expect("run mortar")
}

fn last_line(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn keys_are_created_listed_and_revoked_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let created = mortar(
        dir.path(),
        &[
            "keys",
            "create",
            "--name",
            "sync script",
            "--account",
            "Contoso",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let key = last_line(&created);
    assert!(key.starts_with("mtr_") && key.len() > 40, "{key}");
    assert!(dir.path().join("mortar.db").exists());

    let listed = mortar(dir.path(), &["keys", "list"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("sync script") && text.contains("Contoso"),
        "{text}"
    );
    assert!(!text.contains(&key), "the list never shows a key");

    let db = std::fs::read(dir.path().join("mortar.db")).unwrap();
    assert!(
        !db.windows(key.len()).any(|w| w == key.as_bytes()),
        "keys are stored hashed"
    );

    let id = text
        .lines()
        .find(|l| l.contains("sync script"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let revoked = mortar(dir.path(), &["keys", "revoke", &id]);
    assert!(revoked.status.success());
    let again = mortar(dir.path(), &["keys", "revoke", &id]);
    assert!(!again.status.success(), "revoking twice is an error");
}

#[tokio::test]
async fn first_start_prints_a_working_key_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::NamedTempFile::new().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("MORTAR_DATABASE_URL")
        .env_remove("MORTAR_MASTER_KEY")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(logs.reopen().unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let key = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("mtr_"))
    })
    .await
    .unwrap()
    .expect("a key on stdout");

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/organizations");
    let deadline = Instant::now() + Duration::from_secs(20);
    let response = loop {
        match client.get(&url).header("x-api-key", &key).send().await {
            Ok(response) => break response,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("server never answered: {e}"),
        }
    };
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["data"][0]["attributes"]["primary"], true);
    let organization = body["data"][0]["id"].as_str().unwrap().to_string();

    // A secret written and read back never reaches the log, even at debug level.
    let secret = "Unl0gged-Secret-4417";
    let created = client
        .post(format!(
            "http://127.0.0.1:{port}/passwords?show_password=true"
        ))
        .header("x-api-key", &key)
        .header("content-type", "application/vnd.api+json")
        .body(
            serde_json::json!({"data": {"type": "passwords", "attributes": {
                "organization-id": organization, "name": "Core switch", "password": secret
            }}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["data"]["attributes"]["password"], secret);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    let log = std::fs::read_to_string(logs.path()).unwrap();
    assert!(log.contains("listening"), "the log was captured: {log}");
    assert!(!log.contains(secret), "a secret reached the log");
    assert!(!log.contains(&key), "an API key reached the log");

    // The vault's master key rotates offline, replacing the key file.
    let old_key = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
    let rotated = mortar(dir.path(), &["vault", "rotate-master-key"]);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert_ne!(
        std::fs::read_to_string(dir.path().join("master.key")).unwrap(),
        old_key
    );

    // A second start prints no new key.
    let output = mortar(dir.path(), &["keys", "list"]);
    let keys = String::from_utf8_lossy(&output.stdout).lines().count();
    assert_eq!(keys, 2, "header and the one administrator key");
}

#[test]
fn an_env_key_rotation_leaves_the_new_key_in_a_private_file_and_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let created = mortar(dir.path(), &["keys", "create", "--name", "admin"]);
    assert!(created.status.success());
    let old_key = mortar::vault::MasterKey::generate().to_base64();
    let rotate = || {
        Command::new(BIN)
            .args(["vault", "rotate-master-key", "--data-dir"])
            .arg(dir.path())
            .env_remove("MORTAR_DATABASE_URL")
            .env("MORTAR_MASTER_KEY", old_key.as_str())
            .output()
            .expect("run mortar")
    };
    let rotated = rotate();
    let stdout = String::from_utf8_lossy(&rotated.stdout).to_string();
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let next_file = dir.path().join(mortar::vault::NEXT_KEY_FILE);
    let new_key = std::fs::read_to_string(&next_file).unwrap();
    let new_key = new_key.trim();
    assert!(
        stdout.contains(&next_file.display().to_string()),
        "{stdout}"
    );
    assert!(stdout.contains("MORTAR_MASTER_KEY"), "{stdout}");
    assert!(!stdout.contains(new_key), "the new key is never printed");
    assert!(!dir.path().join(mortar::vault::KEY_FILE).exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&next_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Rotating again with the old key is refused and names the file.
    let again = rotate();
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains(mortar::vault::NEXT_KEY_FILE), "{stderr}");
    assert!(!stderr.contains(new_key) && !stderr.contains(old_key.as_str()));
    assert!(next_file.exists());
}
