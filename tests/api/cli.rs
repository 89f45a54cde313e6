//! The `mortar` binary as a new user runs it: first start, keys, shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mortar::resources::ColumnType;
use mortar::store::{Store, StoreConfig};

use crate::helpers::Backend;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_mortar");

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

/// `mortar clients create` prints the id and secret as its last two lines;
/// `list` shows the client without its secret; `revoke` takes its id.
#[test]
fn clients_are_made_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let created = mortar(
        dir.path(),
        &[
            "clients",
            "create",
            "--name",
            "PSA sync",
            "--password-access",
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let stdout = String::from_utf8_lossy(&created.stdout).to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    let [.., id_line, secret_line] = lines.as_slice() else {
        panic!("{stdout}");
    };
    let client_id = id_line.strip_prefix("client_id: ").expect(id_line);
    let secret = secret_line
        .strip_prefix("client_secret: ")
        .expect(secret_line);
    assert!(
        client_id.starts_with("mci_") && secret.starts_with("mcs_"),
        "{stdout}"
    );

    let listed = mortar(dir.path(), &["clients", "list"]);
    let listing = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        listing.contains(client_id) && listing.contains("PSA sync"),
        "{listing}"
    );
    assert!(!listing.contains(secret), "never the secret: {listing}");
    let keys = String::from_utf8_lossy(&mortar(dir.path(), &["keys", "list"]).stdout).to_string();
    assert!(keys.contains("OAuth client: PSA sync"), "{keys}");

    let revoked = mortar(dir.path(), &["clients", "revoke", "1"]);
    assert!(revoked.status.success(), "{revoked:?}");
    let again = mortar(dir.path(), &["clients", "revoke", "1"]);
    assert!(!again.status.success(), "revoking twice is an error");
    assert!(String::from_utf8_lossy(&again.stderr).contains("clients list"));
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
    let printed = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("mtr_");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    let key = printed.last().cloned().unwrap_or_default();
    assert!(key.starts_with("mtr_"), "a key on stdout: {printed:?}");
    // The first start also makes the Administrator user, with a one-time password.
    let at = printed
        .iter()
        .position(|l| l.contains("created the Administrator user admin@mortar.local"))
        .unwrap_or_else(|| panic!("{printed:?}"));
    let admin_password = &printed[at + 2];
    assert_eq!(admin_password.len(), 20, "{printed:?}");

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

    // The first key acts for the Administrator: the activity log names them.
    let get = |path: &str| {
        client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .header("x-api-key", &key)
            .send()
    };
    let users: serde_json::Value = get("/users").await.unwrap().json().await.unwrap();
    assert_eq!(
        users["data"][0]["attributes"]["email"],
        "admin@mortar.local"
    );
    assert_eq!(users["data"][0]["attributes"]["role-name"], "Administrator");
    let admin_id: i64 = users["data"][0]["id"].as_str().unwrap().parse().unwrap();
    let activity: serde_json::Value = get("/logs?filter[resource_type]=Password")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        activity["data"][0]["attributes"]["user-id"], admin_id,
        "{activity}"
    );

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

    // The first start made exactly one key, and the user's password is
    // stored only as its argon2id hash.
    let output = mortar(dir.path(), &["keys", "list"]);
    let keys = String::from_utf8_lossy(&output.stdout).lines().count();
    assert_eq!(keys, 2, "header and the one administrator key");
    let db = std::fs::read(dir.path().join("mortar.db")).unwrap();
    assert!(!db
        .windows(admin_password.len())
        .any(|w| w == admin_password.as_bytes()));
    assert!(
        !log.contains(admin_password.as_str()),
        "a password reached the log"
    );
}

/// `mortar` with `input` on its stdin.
fn mortar_with_stdin(
    data_dir: &std::path::Path,
    args: &[&str],
    input: &str,
) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("MORTAR_DATABASE_URL")
        .env_remove("MORTAR_MASTER_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mortar");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// Users, roles, passwords, groups and user keys from the command line.
#[test]
fn people_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let create = |email: &str, role: &str| {
        mortar(
            dir.path(),
            &[
                "users",
                "create",
                "--email",
                email,
                "--first-name",
                "Ann",
                "--last-name",
                "Lee",
                "--role",
                role,
            ],
        )
    };
    let made = create("Ann@Example.com", "editor");
    assert!(made.status.success(), "{}", stderr_of(&made));
    let password = last_line(&made);
    assert_eq!(password.len(), 20, "{}", stdout_of(&made));
    assert!(stdout_of(&made).contains("shown once"));

    let again = create("ann@EXAMPLE.com", "lite");
    assert!(!again.status.success());
    assert!(
        stderr_of(&again).contains("already has a user with email"),
        "{}",
        stderr_of(&again)
    );
    let bad_role = create("bo@example.com", "owner");
    assert!(!bad_role.status.success());
    assert!(
        stderr_of(&bad_role).contains("read-only"),
        "{}",
        stderr_of(&bad_role)
    );
    let bad_email = create("not-an-email", "editor");
    assert!(
        stderr_of(&bad_email).contains("is not an email address"),
        "{}",
        stderr_of(&bad_email)
    );

    let args = [
        "users",
        "create",
        "--email",
        "bo@example.com",
        "--first-name",
        "Bo",
        "--last-name",
        "Zed",
        "--role",
        "read-only",
        "--password-stdin",
    ];
    let short = mortar_with_stdin(dir.path(), &args, "short\n");
    assert!(
        stderr_of(&short).contains("at least 12 characters"),
        "{}",
        stderr_of(&short)
    );
    let chosen = "a long chosen passphrase";
    let made = mortar_with_stdin(dir.path(), &args, &format!("{chosen}\n"));
    assert!(made.status.success(), "{}", stderr_of(&made));
    assert!(!stdout_of(&made).contains(chosen));

    let listed = stdout_of(&mortar(dir.path(), &["users", "list"]));
    let row = |email: &str| {
        listed
            .lines()
            .find(|l| l.contains(email))
            .unwrap_or_else(|| panic!("{listed}"))
            .to_string()
    };
    assert!(row("Ann@Example.com").contains("Editor"), "{listed}");
    assert!(row("bo@example.com").contains("Read-only"), "{listed}");

    let ok = |args: &[&str]| {
        let output = mortar(dir.path(), args);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
        stdout_of(&output)
    };
    assert!(ok(&[
        "users",
        "set-role",
        "--email",
        "bo@example.com",
        "--role",
        "manager"
    ])
    .contains("is now Manager"));
    assert!(ok(&["users", "disable", "--email", "ANN@example.com"]).contains("Disabled"));
    let listed = stdout_of(&mortar(dir.path(), &["users", "list"]));
    assert!(listed.contains("Manager"), "{listed}");
    let ann = listed
        .lines()
        .find(|l| l.contains("Ann@Example.com"))
        .unwrap();
    assert!(!ann.trim_end().ends_with('-'), "disabled shows when: {ann}");
    let reset = ok(&["users", "reset-password", "--email", "bo@example.com"]);
    let new_password = reset.lines().last().unwrap();
    assert_eq!(new_password.len(), 20, "{reset}");
    let missing = mortar(
        dir.path(),
        &[
            "users",
            "set-role",
            "--email",
            "cy@example.com",
            "--role",
            "lite",
        ],
    );
    assert!(
        stderr_of(&missing).contains("no user with email cy@example.com"),
        "{}",
        stderr_of(&missing)
    );

    let key = ok(&[
        "keys",
        "create",
        "--name",
        "Bo's script",
        "--user",
        "bo@example.com",
    ]);
    assert!(key.contains("acting for bo@example.com"), "{key}");

    assert!(ok(&[
        "groups",
        "create",
        "--name",
        "Techs",
        "--user",
        "bo@example.com"
    ])
    .contains("with 1 member"));
    assert!(ok(&[
        "groups",
        "add",
        "--name",
        "Techs",
        "--user",
        "ann@example.com",
        "--organization",
        "1"
    ])
    .contains("Added 2"));
    let groups = ok(&["groups", "list"]);
    let techs = groups.lines().find(|l| l.contains("Techs")).unwrap();
    assert!(techs.trim_end().ends_with(" 2"), "{groups}");
    assert!(ok(&[
        "groups",
        "remove",
        "--name",
        "Techs",
        "--user",
        "bo@example.com"
    ])
    .contains("Removed 1"));
    let nobody = mortar(dir.path(), &["groups", "add", "--name", "Techs"]);
    assert!(stderr_of(&nobody).contains("--user EMAIL or --organization ID"));
    let no_org = mortar(
        dir.path(),
        &["groups", "add", "--name", "Techs", "--organization", "999"],
    );
    assert!(
        stderr_of(&no_org).contains("no organization 999"),
        "{}",
        stderr_of(&no_org)
    );

    let db = std::fs::read(dir.path().join("mortar.db")).unwrap();
    for secret in [password.as_str(), chosen, new_password] {
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "stored hashed"
        );
    }
}

#[tokio::test]
async fn demo_fills_the_first_account_with_sample_data() {
    let dir = tempfile::tempdir().unwrap();
    let output = mortar(
        dir.path(),
        &[
            "demo",
            "--organizations",
            "2",
            "--configurations-per-organization",
            "5",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("Done in ") && summary.contains(" 2 organizations"),
        "{summary}"
    );
    assert!(summary.contains(" 10 configurations"), "{summary}");
    assert!(!stdout.contains("mtr_"), "no key is made or shown");

    let store = mortar::store::Store::open(&mortar::store::StoreConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        max_connections: 1,
    })
    .await
    .unwrap();
    let count = |table: &str| {
        let mut sql = store.sql();
        sql.push("SELECT COUNT(*) FROM ").push(table);
        sql
    };
    let kinds = [mortar::resources::ColumnType::Int];
    let mut counts = Vec::new();
    for table in [
        "accounts",
        "organizations",
        "configurations",
        "configuration_interfaces",
        "expirations",
        "flexible_assets",
        "activity_log WHERE user_agent IS NULL OR user_agent <> 'mortar demo'",
    ] {
        let rows = store.fetch(&count(table), &kinds).await.unwrap();
        counts.push((table, rows[0][0].as_i64().unwrap()));
    }
    store.close().await;
    let get = |table: &str| counts.iter().find(|(t, _)| *t == table).unwrap().1;
    assert_eq!(
        get("accounts"),
        1,
        "the default account was made and filled"
    );
    assert_eq!(get("organizations"), 3, "the owner and two clients");
    assert_eq!(get("configurations"), 10);
    assert!(get("configuration_interfaces") >= 10);
    assert!(get("expirations") > 0);
    assert!(get("flexible_assets") >= 2 * 4, "the sample assets");
    assert_eq!(
        get("activity_log WHERE user_agent IS NULL OR user_agent <> 'mortar demo'"),
        0,
        "only the flexible assets, written through the engine, are logged"
    );
}

// ---------------------------------------------------------------------------
// The binary over both stores: a data directory and, on PostgreSQL, a fresh
// database of its own; a `mortar serve` child that reports its address.

/// A data directory, plus a fresh PostgreSQL database when testing that store.
pub(crate) struct Place {
    dir: tempfile::TempDir,
    /// The admin URL, the database's name and its URL.
    pub(crate) postgres: Option<(String, String, String)>,
}

impl Place {
    pub(crate) async fn new(backend: Backend) -> Place {
        let dir = tempfile::tempdir().unwrap();
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin_url = std::env::var("MORTAR_TEST_DATABASE_URL").expect(
                    "MORTAR_TEST_DATABASE_URL must name a PostgreSQL database for the postgres tests",
                );
                let name = format!(
                    "mortar_cli_{}_{}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_nanos()
                );
                let admin = Store::open_admin_postgres(&admin_url).await.unwrap();
                let mut sql = admin.sql();
                sql.push(&format!("CREATE DATABASE {name}"));
                admin.execute(&sql).await.unwrap();
                admin.close().await;
                let (base, query) = match admin_url.split_once('?') {
                    Some((base, query)) => (base, format!("?{query}")),
                    None => (admin_url.as_str(), String::new()),
                };
                let (server, _) = base.rsplit_once('/').unwrap();
                let url = format!("{server}/{name}{query}");
                Some((admin_url, name, url))
            }
        };
        Place { dir, postgres }
    }

    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// `mortar ARGS --data-dir DIR [--database-url URL]`, with no stray configuration.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        self.command_in(self.data_dir(), args)
    }

    /// [`Place::command`] with another data directory over the same
    /// database: a server on a machine of its own.
    pub(crate) fn command_in(&self, data_dir: &std::path::Path, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("MORTAR_DATABASE_URL")
            .env_remove("MORTAR_MASTER_KEY")
            .env_remove("MORTAR_LISTEN")
            .env_remove("MORTAR_DATA_DIR")
            .env_remove("MORTAR_PUBLIC_URL")
            .env_remove("MORTAR_RATE_LIMIT_REQUESTS")
            .env_remove("MORTAR_RATE_LIMIT_WINDOW_SECS");
        if let Some((_, _, url)) = &self.postgres {
            command.arg("--database-url").arg(url);
        }
        command
    }

    /// Runs a command to its end; fails the test unless it succeeds.
    pub(crate) fn run(&self, args: &[&str]) -> std::process::Output {
        let output = self.command(args).output().expect("run mortar");
        assert!(
            output.status.success(),
            "mortar {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// `mortar keys create --name NAME EXTRA...`; returns the printed key.
    pub(crate) fn create_key(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["keys", "create", "--name", name];
        args.extend_from_slice(extra);
        let key = last_line(&self.run(&args));
        assert!(key.starts_with("mtr_"), "{key}");
        key
    }

    /// The store the binary wrote, opened from the test.
    pub(crate) async fn store(&self) -> Store {
        Store::open(&StoreConfig {
            data_dir: self.data_dir().to_path_buf(),
            database_url: self.postgres.as_ref().map(|(_, _, url)| url.clone()),
            max_connections: 1,
        })
        .await
        .unwrap()
    }

    /// `mortar serve` on a port of its own.
    pub(crate) fn serve(&self, env: &[(&str, &str)]) -> Server {
        self.serve_in(self.data_dir(), env)
    }

    /// `mortar serve` over this place's database with its own data directory.
    pub(crate) fn serve_in(&self, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
        let mut command = self.command_in(data_dir, &["serve", "--listen", "127.0.0.1:0"]);
        command
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Server::spawn(command)
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some((admin_url, name, _)) = self.postgres.take() {
            let cleanup = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    if let Ok(admin) = Store::open_admin_postgres(&admin_url).await {
                        let mut sql = admin.sql();
                        sql.push(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                        let _ = admin.execute(&sql).await;
                        admin.close().await;
                    }
                });
            });
            let _ = cleanup.join();
        }
    }
}

/// A running `mortar serve`; killed if the test ends without stopping it.
pub(crate) struct Server {
    child: Option<std::process::Child>,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    /// Every line read so far, stdout and stderr, for failure messages.
    seen: Vec<String>,
}

/// How long a start or a stop may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

fn forward(reader: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

impl Server {
    pub(crate) fn spawn(mut command: Command) -> Server {
        let mut child = command.spawn().expect("start mortar serve");
        let stdout = forward(child.stdout.take().unwrap());
        let stderr = forward(child.stderr.take().unwrap());
        Server {
            child: Some(child),
            stdout,
            stderr,
            seen: Vec::new(),
        }
    }

    /// The key a first start prints.
    pub(crate) fn first_key(&mut self) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.starts_with("mtr_") => return line,
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no key on stdout: {:?}", self.drain()),
            }
        }
    }

    /// Waits for the "listening" log line and returns the address it names.
    pub(crate) fn address(&mut self) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    let address = line
                        .contains("listening")
                        .then(|| line.find("127.0.0.1:"))
                        .flatten()
                        .map(|at| {
                            line[at..]
                                .chars()
                                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':'))
                                .collect::<String>()
                        });
                    self.seen.push(line);
                    if let Some(address) = address {
                        return address;
                    }
                }
                Err(_) => panic!("the server never listened: {:?}", self.drain()),
            }
        }
    }

    /// Sends signal `name` (`TERM`, `KILL`, ...) to the process.
    pub(crate) fn signal(&self, name: &str) {
        let id = self.child.as_ref().unwrap().id().to_string();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &id])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// Waits (bounded) for the process to end; returns its status and
    /// everything it wrote that the test has not read yet.
    fn wait(&mut self) -> (std::process::ExitStatus, Vec<String>) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the server did not stop: {:?}", self.drain());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.drain())
    }

    /// Stops with SIGTERM and expects a clean exit; returns what it printed.
    pub(crate) fn stop(&mut self) -> Vec<String> {
        self.signal("TERM");
        let (status, lines) = self.wait();
        assert!(status.success(), "clean exit: {status:?} {lines:?}");
        lines
    }

    /// The lines written and not read yet (both streams; the process has ended or ends now).
    fn drain(&mut self) -> Vec<String> {
        let mut lines = std::mem::take(&mut self.seen);
        if let Some(child) = self.child.as_mut() {
            if child.try_wait().ok().flatten().is_none() {
                lines.extend(self.stdout.try_iter());
                lines.extend(self.stderr.try_iter());
                return lines;
            }
        }
        lines.extend(self.stdout.iter());
        lines.extend(self.stderr.iter());
        lines
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// GET `path` with `key`; status and JSON body.
async fn get(address: &str, key: &str, path: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(format!("http://{address}{path}"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    crate::helpers::read(response).await
}

/// POST a JSON:API document to `path` with `key`; status and JSON body.
async fn post(
    address: &str,
    key: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{address}{path}"))
        .header("x-api-key", key)
        .header("content-type", "application/vnd.api+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    crate::helpers::read(response).await
}

/// Emits `sqlite_NAME` and an ignored `postgres_NAME` for a binary test taking a `Backend`.
macro_rules! binary_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
                async fn $name() {
                    super::$name(crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Starts a create on a raw connection, signals the server while the body
/// is half sent, then sends the rest: the request still succeeds, the process
/// exits 0 and the record is in the database afterwards.
async fn an_in_flight_create_survives(backend: Backend, signal: &str) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let place = Place::new(backend).await;
    let mut server = place.serve(&[]);
    let key = server.first_key();
    let address = server.address();
    let name = format!("Signalled {signal}");
    let body = serde_json::json!({"data": {"type": "organizations", "attributes": {"name": name}}})
        .to_string();
    let (head, tail) = body.split_at(body.len() / 2);

    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // `Expect: 100-continue` makes the server say when the handler starts
    // reading the body: from then on the request is in flight.
    let request = format!(
        "POST /organizations HTTP/1.1\r\nHost: {address}\r\nx-api-key: {key}\r\n\
         Content-Type: application/vnd.api+json\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut interim = Vec::new();
    while !interim.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(
            stream.read(&mut byte).await.unwrap(),
            1,
            "connection closed"
        );
        interim.push(byte[0]);
    }
    let interim = String::from_utf8_lossy(&interim);
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();

    server.signal(signal);
    // The signal has been handled once the server stops accepting connections.
    let deadline = Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(&address).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting after SIG{signal}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let (status, lines) = server.wait();
    assert!(
        status.success(),
        "exit after SIG{signal}: {status:?} {lines:?}"
    );

    let store = place.store().await;
    let mut sql = store.sql();
    sql.push("SELECT COUNT(*) FROM organizations WHERE name = ")
        .bind(name.as_str());
    let rows = store.fetch(&sql, &[ColumnType::Int]).await.unwrap();
    assert_eq!(
        rows[0][0].as_i64(),
        Some(1),
        "the acknowledged create is stored"
    );
    store.close().await;
}

async fn sigterm_lets_an_in_flight_create_finish_and_keeps_it(backend: Backend) {
    an_in_flight_create_survives(backend, "TERM").await;
}

async fn sigint_lets_an_in_flight_create_finish_and_keeps_it(backend: Backend) {
    an_in_flight_create_survives(backend, "INT").await;
}

/// The ids of the organizations `key` sees (its account's).
async fn organization_ids(address: &str, key: &str) -> Vec<String> {
    let (status, body) = get(address, key, "/organizations?sort=id").await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// Keys made by `keys create` while a server runs are accepted at once, act
/// for the account `--account` picks or makes (the first one by default),
/// and read password values only with `--password-access`. A second start
/// prints no new key and keeps the old ones.
async fn keys_created_beside_a_running_server_pick_their_account_and_access(backend: Backend) {
    let place = Place::new(backend).await;
    let mut server = place.serve(&[]);
    let admin = server.first_key();
    let address = server.address();
    let admin_organizations = organization_ids(&address, &admin).await;
    assert_eq!(admin_organizations.len(), 1, "the owner organization");

    let default = place.create_key("default account", &[]);
    let vault = place.create_key(
        "contoso vault",
        &["--account", "Contoso", "--password-access"],
    );
    let plain = place.create_key("contoso plain", &["--account", "Contoso"]);

    assert_eq!(
        organization_ids(&address, &default).await,
        admin_organizations
    );
    let contoso_organizations = organization_ids(&address, &vault).await;
    assert_eq!(
        contoso_organizations.len(),
        1,
        "a new account's owner organization"
    );
    assert_ne!(contoso_organizations, admin_organizations);
    assert_eq!(
        organization_ids(&address, &plain).await,
        contoso_organizations
    );
    let store = place.store().await;
    let mut sql = store.sql();
    sql.push("SELECT name FROM accounts ORDER BY id");
    let accounts: Vec<String> = store
        .fetch(&sql, &[ColumnType::Text])
        .await
        .unwrap()
        .iter()
        .map(|row| row[0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts, ["Default", "Contoso"]);
    store.close().await;

    let secret = "Vault-Key-Reads-This-91";
    let (status, body) = post(
        &address,
        &vault,
        "/passwords",
        serde_json::json!({"data": {"type": "passwords", "attributes": {
            "organization-id": contoso_organizations[0], "name": "Edge firewall", "password": secret
        }}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let password = format!(
        "/passwords/{}?show_password=true",
        body["data"]["id"].as_str().unwrap()
    );
    let (status, body) = get(&address, &vault, &password).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["password"], secret);
    let (status, body) = get(&address, &plain, &password).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["name"], "Edge firewall");
    assert!(
        body["data"]["attributes"].get("password").is_none(),
        "no password access, no value: {body}"
    );
    server.stop();

    let mut again = place.serve(&[]);
    let address = again.address();
    assert_eq!(
        organization_ids(&address, &admin).await,
        admin_organizations
    );
    let printed = again.stop();
    assert!(
        !printed
            .iter()
            .any(|l| l.contains("mtr_") || l.contains("First start")),
        "a second start printed a key: {printed:?}"
    );
}

/// Once secrets exist, a start without the master key fails with a clear
/// message and makes no new key; the same key given in `MORTAR_MASTER_KEY`
/// opens the vault.
async fn a_missing_master_key_stops_the_start_until_the_key_is_given(backend: Backend) {
    let place = Place::new(backend).await;
    let mut server = place.serve(&[]);
    let admin = server.first_key();
    let address = server.address();
    let owner = organization_ids(&address, &admin).await.remove(0);
    let secret = "Sealed-Before-The-Key-Went-7";
    let (status, body) = post(
        &address,
        &admin,
        "/passwords",
        serde_json::json!({"data": {"type": "passwords", "attributes": {
            "organization-id": owner, "name": "Core switch", "password": secret
        }}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let password = format!(
        "/passwords/{}?show_password=true",
        body["data"]["id"].as_str().unwrap()
    );
    server.stop();

    let key_file = place.data_dir().join("master.key");
    let master_key = std::fs::read_to_string(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let mut refused = place.serve(&[]);
    let (status, lines) = refused.wait();
    assert!(
        !status.success(),
        "started without its master key: {lines:?}"
    );
    let said = lines.join("\n");
    assert!(
        said.contains("master.key")
            && said.contains("does not exist")
            && said.contains("MORTAR_MASTER_KEY"),
        "{said}"
    );
    assert!(!key_file.exists(), "a new master key was made");

    let mut server = place.serve(&[("MORTAR_MASTER_KEY", master_key.trim())]);
    let address = server.address();
    let (status, body) = get(&address, &admin, &password).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["password"], secret);
    server.stop();
    assert!(
        !key_file.exists(),
        "the key from the environment is not written out"
    );
}

/// Views are counted in memory and added every `--metrics-flush-secs`; a
/// clean stop adds those not yet written, so only a crash loses any.
async fn views_counted_in_memory_are_kept_at_a_clean_stop(backend: Backend) {
    let place = Place::new(backend).await;
    place.run(&[
        "users",
        "create",
        "--email",
        "ann@example.com",
        "--first-name",
        "Ann",
        "--last-name",
        "Lee",
        "--role",
        "editor",
    ]);
    let key = place.create_key("ann's", &["--user", "ann@example.com"]);
    let mut server = place.serve(&[("MORTAR_METRICS_FLUSH_SECS", "3600")]);
    let address = server.address();
    let client = reqwest::Client::new();
    let organizations: serde_json::Value = client
        .get(format!("http://{address}/organizations"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = organizations["data"][0]["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let shown = client
            .get(format!("http://{address}/organizations/{id}"))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(shown.status(), 200);
    }
    let store = place.store().await;
    let viewed = |store: Store| async move {
        let mut sql = store.sql();
        sql.push("SELECT CAST(COALESCE(SUM(viewed), 0) AS BIGINT) FROM user_metrics");
        let n = store.fetch(&sql, &[ColumnType::Int]).await.unwrap()[0][0]
            .as_i64()
            .unwrap();
        (store, n)
    };
    let (store, before) = viewed(store).await;
    assert_eq!(before, 0, "not written within the hour's interval");
    server.signal("TERM");
    let (status, lines) = server.wait();
    assert!(status.success(), "{lines:?}");
    let (store, after) = viewed(store).await;
    assert_eq!(after, 2, "written at the stop");
    store.close().await;
}

binary_tests!(
    views_counted_in_memory_are_kept_at_a_clean_stop,
    sigterm_lets_an_in_flight_create_finish_and_keeps_it,
    sigint_lets_an_in_flight_create_finish_and_keeps_it,
    keys_created_beside_a_running_server_pick_their_account_and_access,
    a_missing_master_key_stops_the_start_until_the_key_is_given,
);

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

#[test]
fn a_start_that_cannot_reach_its_database_names_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = mortar(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/mortar",
        ],
    );
    assert!(!output.status.success());
    assert!(started.elapsed() < Duration::from_secs(15));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:1"),
        "{stderr}"
    );

    // A data directory that is a file: the message names it.
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let output = mortar(&file, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
}

// ---------------------------------------------------------------------------
// The job queue inside `mortar serve`: its built-in clean-up of finished jobs
// deletes in batches, so over enough old rows it runs long enough to be
// killed or stopped mid-run.

mod jobs {
    use super::*;
    use mortar::jobs::{JobRecord, JobState, NewJob, Queue, PRUNE_KIND};

    /// Old finished jobs the clean-up has to remove.
    const OLD_JOBS: i64 = 150_000;

    /// Adds [`OLD_JOBS`] jobs that finished long ago.
    async fn add_old_finished_jobs(store: &Store) {
        let mut sql = store.sql();
        let columns = "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, \
                       created_at, updated_at, finished_at) ";
        let values = "SELECT 'old', '{}', 'done', 1, 1, 0, 0, 0, 1000 ";
        match store.dialect() {
            mortar::store::Dialect::Sqlite => sql.push(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {OLD_JOBS}) \
                 {columns}{values}FROM n"
            )),
            mortar::store::Dialect::Postgres => sql.push(&format!(
                "{columns}{values}FROM generate_series(1, {OLD_JOBS})"
            )),
        };
        store.execute(&sql).await.unwrap();
    }

    async fn old_jobs_left(store: &Store) -> i64 {
        let mut sql = store.sql();
        sql.push("SELECT COUNT(*) FROM jobs WHERE kind = 'old'");
        store.fetch(&sql, &[ColumnType::Int]).await.unwrap()[0][0]
            .as_i64()
            .unwrap()
    }

    /// The clean-up jobs, oldest first.
    async fn prunes(store: &Store) -> Vec<JobRecord> {
        let mut jobs = Queue::new(store.clone())
            .list(None, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == PRUNE_KIND)
            .collect::<Vec<_>>();
        jobs.reverse();
        jobs
    }

    /// Waits (bounded) until the first clean-up job is running.
    async fn running_prune(store: &Store, server: &mut Server) -> JobRecord {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(job) = prunes(store).await.into_iter().next() {
                if job.state == JobState::Running {
                    return job;
                }
                assert_eq!(job.state, JobState::Queued, "finished too soon: {job:?}");
            }
            assert!(
                Instant::now() < deadline,
                "the clean-up never started: {:?}",
                server.drain()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A transaction holding the write lock on the jobs table (the whole
    /// database on SQLite) until it commits. The clean-up pauses between
    /// batches, so SQLite's busy handler gets its turn while it runs.
    async fn freeze_jobs(store: &Store) -> mortar::store::Tx {
        let mut tx = store.begin().await.unwrap();
        if store.dialect() == mortar::store::Dialect::Postgres {
            let mut sql = tx.sql();
            sql.push("LOCK TABLE jobs IN EXCLUSIVE MODE");
            tx.execute(&sql).await.unwrap();
        }
        tx
    }

    /// Waits (bounded) until job `id` is done.
    async fn done(store: &Store, id: i64) -> JobRecord {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let job = store.job(id).await.unwrap().unwrap();
            if job.state == JobState::Done {
                return job;
            }
            assert!(Instant::now() < deadline, "never done: {job:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// kill -9 of the server running a job: the job stays `running` under
    /// the dead server's lease until it expires, then the next server claims
    /// it again (a second attempt) and finishes it.
    async fn a_job_whose_server_was_killed_runs_again_once_its_lease_expires(backend: Backend) {
        let place = Place::new(backend).await;
        place.create_key("setup", &[]);
        let store = place.store().await;
        add_old_finished_jobs(&store).await;

        let lease = [("MORTAR_JOB_LEASE_SECS", "2")];
        let mut server = place.serve(&lease);
        let job = running_prune(&store, &mut server).await;
        // Holding the jobs table's write lock stops the clean-up at its next
        // batch, so a busy machine cannot let it finish before the kill.
        let freeze = freeze_jobs(&store).await;
        server.signal("KILL");
        let (status, _) = server.wait();
        assert!(!status.success());
        freeze.commit().await.unwrap();
        let orphan = store.job(job.id).await.unwrap().unwrap();
        assert_eq!(orphan.state, JobState::Running, "{orphan:?}");
        assert!(orphan.lease.is_some());
        let left = old_jobs_left(&store).await;
        assert!(left > 0, "killed mid-run: {left} old jobs left");

        let mut next = place.serve(&lease);
        next.address();
        let finished = done(&store, job.id).await;
        assert_eq!(finished.attempts, 2, "{finished:?}");
        assert_ne!(finished.lease, orphan.lease);
        assert_eq!(old_jobs_left(&store).await, 0);
        // Its schedule goes on: one more clean-up is queued an hour later
        // (enqueued just after the finished one is marked done).
        let deadline = Instant::now() + PATIENCE;
        let queued = loop {
            let after = prunes(&store).await;
            let queued: Vec<JobRecord> = after
                .into_iter()
                .filter(|j| j.state == JobState::Queued)
                .collect();
            assert!(queued.len() <= 1, "{queued:?}");
            if queued.len() == 1 || Instant::now() > deadline {
                break queued;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(queued.len(), 1, "the next clean-up was never queued");
        assert!(queued[0].run_after > mortar::clock::now_millis() + 50 * 60 * 1000);
        next.stop();
        store.close().await;
    }

    /// SIGTERM with no grace period: the running job is handed back (queued,
    /// its attempt not counted), the server exits 0, and the next start
    /// runs it at once.
    async fn sigterm_hands_back_a_running_job_and_the_next_start_finishes_it(backend: Backend) {
        let place = Place::new(backend).await;
        place.create_key("setup", &[]);
        let store = place.store().await;
        add_old_finished_jobs(&store).await;

        let mut server = place.serve(&[("MORTAR_JOB_SHUTDOWN_GRACE_SECS", "0")]);
        let job = running_prune(&store, &mut server).await;
        let freeze = freeze_jobs(&store).await;
        let address = server.address();
        server.signal("TERM");
        // The signal has been handled once the server stops accepting connections.
        let deadline = Instant::now() + PATIENCE;
        while tokio::net::TcpStream::connect(&address).await.is_ok() {
            assert!(Instant::now() < deadline, "still accepting after SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        freeze.commit().await.unwrap();
        let (status, lines) = server.wait();
        assert!(status.success(), "{status:?} {lines:?}");
        assert!(lines.iter().any(|l| l.contains("handed back")), "{lines:?}");
        let back = store.job(job.id).await.unwrap().unwrap();
        assert_eq!(back.state, JobState::Queued, "{back:?} {lines:?}");
        assert_eq!(back.attempts, 0);
        assert_eq!(back.lease, None);
        assert!(old_jobs_left(&store).await > 0);

        let mut next = place.serve(&[]);
        next.address();
        let finished = done(&store, job.id).await;
        assert_eq!(finished.attempts, 1);
        assert_eq!(old_jobs_left(&store).await, 0);
        next.stop();
        store.close().await;
    }

    /// `mortar jobs list` shows a failed job and its error, `mortar jobs
    /// retry` queues it again, and refuses what it cannot retry.
    async fn jobs_list_shows_failures_and_jobs_retry_queues_them_again(backend: Backend) {
        let place = Place::new(backend).await;
        place.create_key("setup", &[]);
        let store = place.store().await;
        // A kind this server has no handler for (say, from a newer version).
        let id = Queue::new(store.clone())
            .enqueue(NewJob::new(
                "reindex",
                serde_json::json!({"organization": 7}),
            ))
            .await
            .unwrap()
            .unwrap();
        let mut server = place.serve(&[]);
        server.address();
        let deadline = Instant::now() + PATIENCE;
        while store.job(id).await.unwrap().unwrap().state != JobState::Failed {
            assert!(Instant::now() < deadline, "{:?}", server.drain());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.stop();

        let listed =
            String::from_utf8_lossy(&place.run(&["jobs", "list", "--state", "failed"]).stdout)
                .to_string();
        let row = listed
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{listed}"));
        assert!(
            row.contains("reindex") && row.contains("failed") && row.contains("1/5"),
            "{row}"
        );
        assert!(
            row.contains(r#"no handler for job kind "reindex""#),
            "{row}"
        );
        let others =
            String::from_utf8_lossy(&place.run(&["jobs", "list", "--state", "queued"]).stdout)
                .to_string();
        assert!(
            !others.lines().any(|l| l.starts_with(&format!("{id} "))),
            "{others}"
        );

        let retried = place.run(&["jobs", "retry", &id.to_string()]);
        assert!(
            String::from_utf8_lossy(&retried.stdout).contains(&format!("Job {id} is queued again")),
            "{retried:?}"
        );
        let job = store.job(id).await.unwrap().unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Queued, 0));

        let again = place
            .command(&["jobs", "retry", &id.to_string()])
            .output()
            .unwrap();
        assert!(!again.status.success());
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("is queued, not failed"),
            "{again:?}"
        );
        let missing = place
            .command(&["jobs", "retry", "999999"])
            .output()
            .unwrap();
        assert!(!missing.status.success());
        assert!(
            String::from_utf8_lossy(&missing.stderr).contains("no job with id 999999"),
            "{missing:?}"
        );
        let bad = place
            .command(&["jobs", "list", "--state", "stuck"])
            .output()
            .unwrap();
        assert!(!bad.status.success());
        assert!(
            String::from_utf8_lossy(&bad.stderr)
                .contains("possible values: queued, running, done, failed"),
            "{bad:?}"
        );
        store.close().await;
    }

    /// Counts the rows of `table` matching `condition`.
    async fn count(store: &Store, table: &str, condition: &str) -> i64 {
        let mut sql = store.sql();
        sql.push(&format!("SELECT COUNT(*) FROM {table} WHERE {condition}"));
        store.fetch(&sql, &[ColumnType::Int]).await.unwrap()[0][0]
            .as_i64()
            .unwrap()
    }

    /// The start-up clean-ups remove expired idempotency keys, changes past
    /// their retention, access tokens a day past their expiry and webhook
    /// deliveries finished past their retention, and keep the live ones.
    async fn the_clean_ups_remove_expired_keys_changes_and_tokens(backend: Backend) {
        let place = Place::new(backend).await;
        place.create_key("setup", &[]);
        let store = place.store().await;
        let now = mortar::clock::now_millis();
        let hour = 60 * 60 * 1000;
        let expired = now - 25 * hour;
        let live = now + hour;
        let statements = [
            "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, status, \
             created_at) SELECT id, 'old', 'f', 201, 1000 FROM accounts"
                .to_string(),
            format!(
                "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, status, \
                 created_at) SELECT id, 'live', 'f', 201, {now} FROM accounts"
            ),
            "INSERT INTO changes (account_id, action, resource_type, resource_id, created_at) \
             SELECT id, 'create', 'organizations', 1, 1000 FROM accounts"
                .to_string(),
            format!(
                "INSERT INTO changes (account_id, action, resource_type, resource_id, created_at) \
                 SELECT id, 'create', 'organizations', 2, {now} FROM accounts"
            ),
            format!(
                "INSERT INTO oauth_clients (account_id, client_id, secret_hash, name, api_key_id, \
                 created_at) SELECT account_id, 'client', 'h', 'c', id, {now} FROM api_keys"
            ),
            format!(
                "INSERT INTO oauth_tokens (token_hash, client_id, expires_at, created_at) \
                 SELECT 'old', id, {expired}, 1000 FROM oauth_clients"
            ),
            format!(
                "INSERT INTO oauth_tokens (token_hash, client_id, expires_at, created_at) \
                 SELECT 'live', id, {live}, {now} FROM oauth_clients"
            ),
            format!(
                "INSERT INTO webhooks (account_id, url, events, secret, enabled, failure_count, \
                 created_at, updated_at) SELECT id, 'https://hooks.example.com/', 'create', '', \
                 TRUE, 0, {now}, {now} FROM accounts"
            ),
            "INSERT INTO webhook_deliveries (account_id, webhook_id, delivery_id, event, body, \
             state, created_at, finished_at) SELECT account_id, id, 'old', 'create', '{}', \
             'delivered', 1000, 1000 FROM webhooks"
                .to_string(),
            format!(
                "INSERT INTO webhook_deliveries (account_id, webhook_id, delivery_id, event, body, \
                 state, created_at, finished_at) SELECT account_id, id, 'live', 'create', '{{}}', \
                 'delivered', {now}, {now} FROM webhooks"
            ),
        ];
        for statement in statements {
            let mut sql = store.sql();
            sql.push(&statement);
            store.execute(&sql).await.unwrap();
        }

        let mut server = place.serve(&[]);
        server.address();
        let expired_rows = [
            ("idempotency_keys", "idempotency_key = 'old'"),
            ("changes", "resource_id = 1"),
            ("oauth_tokens", "token_hash = 'old'"),
            ("webhook_deliveries", "delivery_id = 'old'"),
        ];
        let deadline = Instant::now() + PATIENCE;
        for (table, old) in expired_rows {
            while count(&store, table, old).await > 0 {
                assert!(Instant::now() < deadline, "{table}: {:?}", server.drain());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        assert_eq!(
            count(&store, "idempotency_keys", "idempotency_key = 'live'").await,
            1
        );
        assert_eq!(count(&store, "changes", "resource_id = 2").await, 1);
        assert_eq!(
            count(&store, "oauth_tokens", "token_hash = 'live'").await,
            1
        );
        assert_eq!(
            count(&store, "webhook_deliveries", "delivery_id = 'live'").await,
            1
        );
        server.stop();
        store.close().await;
    }

    binary_tests!(
        the_clean_ups_remove_expired_keys_changes_and_tokens,
        a_job_whose_server_was_killed_runs_again_once_its_lease_expires,
        sigterm_hands_back_a_running_job_and_the_next_start_finishes_it,
        jobs_list_shows_failures_and_jobs_retry_queues_them_again,
    );
}
