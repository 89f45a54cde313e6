//! `TestApp`: a real server over a real, fresh database, on a random port.
//!
//! SQLite tests get a temporary directory; PostgreSQL tests get a new schema
//! in the database named by `MORTAR_TEST_DATABASE_URL`, dropped afterwards.

use std::net::SocketAddr;

use mortar::config::{ServeArgs, StoreArgs};
use mortar::store::{AccountSummary, Store};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::net::TcpListener;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and the keys to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub client: reqwest::Client,
    /// Key of account A (with password access).
    pub key: String,
    /// Key of account A without password access.
    pub plain_key: String,
    /// Key of account B, a different tenant.
    pub other_key: String,
    /// The id of `key` (as `updated-by` and log entries' `api-key-id` name it).
    pub key_id: i64,
    /// The id of `plain_key`.
    pub plain_key_id: i64,
    /// The id of `other_key`.
    pub other_key_id: i64,
    pub account: AccountSummary,
    pub store: Store,
    /// Keeps the SQLite files until the app is dropped.
    _data_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    schema: Option<(String, String)>,
    /// The job workers, when started (they stop with the test's runtime).
    _workers: Option<mortar::jobs::Workers>,
    /// The settings the server was started with.
    args: ServeArgs,
}

fn default_args(data_dir: &std::path::Path) -> ServeArgs {
    ServeArgs {
        listen: "127.0.0.1:0".parse().expect("valid address"),
        store: StoreArgs {
            data_dir: data_dir.to_path_buf(),
            database_url: None,
        },
        rate_limit_requests: 3000,
        rate_limit_window_secs: 300,
        redis_url: None,
        redis_prefix: "mortar".into(),
        public_url: None,
        master_key: None,
        blob_store: mortar::files::BlobStoreConfig::File,
        token_lifetime_secs: 3600,
        admin_email: "admin@mortar.local".into(),
        metrics_flush_secs: 1,
        connections: mortar::config::ConnectionArgs::default(),
        web: mortar::config::WebArgs::default(),
        jobs: mortar::config::JobArgs::default(),
        webhooks: mortar::config::WebhookArgs::default(),
    }
}

impl TestApp {
    /// A server with default settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// A server whose settings `configure` adjusts.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        TestApp::start(backend, configure, false).await
    }

    /// A server whose settings `configure` adjusts, running its job
    /// workers (webhook deliveries, clean-ups) as `mortar serve` does.
    pub async fn spawn_with_workers(
        backend: Backend,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> TestApp {
        TestApp::start(backend, configure, true).await
    }

    async fn start(
        backend: Backend,
        configure: impl FnOnce(&mut ServeArgs),
        workers: bool,
    ) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            mortar::init_tracing();
        }
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let mut args = default_args(data_dir.path());
        configure(&mut args);
        let args_kept = args.clone();
        let (store, schema) = match backend {
            Backend::Sqlite => (
                Store::open(&args.store.store_config(4))
                    .await
                    .expect("open SQLite"),
                None,
            ),
            Backend::Postgres => {
                let url = std::env::var("MORTAR_TEST_DATABASE_URL").expect(
                    "MORTAR_TEST_DATABASE_URL must name a PostgreSQL database for the postgres tests",
                );
                let schema = format!("test_{}", random_suffix());
                let admin = Store::open_admin_postgres(&url)
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute(&{
                        let mut sql = admin.sql();
                        sql.push(&format!("CREATE SCHEMA {schema}"));
                        sql
                    })
                    .await
                    .expect("create schema");
                admin.close().await;
                let store = Store::open_postgres_schema(&url, &schema)
                    .await
                    .expect("open PostgreSQL schema");
                (store, Some((url, schema)))
            }
        };
        let (account, _) = store
            .ensure_account(Some("Acme IT"))
            .await
            .expect("account A");
        let (other_account, _) = store
            .ensure_account(Some("Rival IT"))
            .await
            .expect("account B");
        let created = store
            .create_key(&account, "test", true, None)
            .await
            .expect("key");
        let (key, key_id) = (created.secret, created.id);
        let created = store
            .create_key(&account, "plain", false, None)
            .await
            .expect("key");
        let (plain_key, plain_key_id) = (created.secret, created.id);
        let created = store
            .create_key(&other_account, "other", true, None)
            .await
            .expect("key");
        let (other_key, other_key_id) = (created.secret, created.id);

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("address");
        let state = mortar::build_state(store.clone(), &args)
            .await
            .expect("vault opens");
        let workers = if workers {
            mortar::start_workers(&state, &args)
                .await
                .expect("workers start")
        } else {
            None
        };
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            mortar::serve(listener, state, async move {
                let _ = signal.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            base: format!("http://{address}"),
            client: reqwest::Client::new(),
            key,
            plain_key,
            other_key,
            key_id,
            plain_key_id,
            other_key_id,
            account,
            store,
            _data_dir: data_dir,
            shutdown: Some(shutdown),
            server: Some(server),
            schema,
            _workers: workers,
            args: args_kept,
        }
    }

    /// The data directory (SQLite files, master key).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    /// On PostgreSQL: the database URL and this test's schema.
    pub fn postgres_schema(&self) -> Option<(&str, &str)> {
        self.schema.as_ref().map(|(u, s)| (u.as_str(), s.as_str()))
    }

    /// The settings this app's server started with, for another server over
    /// its data directory.
    pub fn args(&self) -> ServeArgs {
        self.args.clone()
    }

    /// A second server over the same database and data directory (a restart
    /// as far as the vault is concerned). Stops when the guard drops.
    pub async fn second_server(&self) -> anyhow::Result<(String, ServerGuard)> {
        let state = mortar::build_state(self.store.clone(), &self.args()).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = mortar::serve(listener, state, async move {
                let _ = signal.await;
            })
            .await;
        });
        Ok((format!("http://{address}"), ServerGuard(Some(shutdown))))
    }

    /// A digest of everything the database holds, to prove that requests
    /// wrote nothing. SQLite: every row of every table, read on a
    /// connection of its own (not the files' bytes: a checkpoint copies
    /// pages from the log into the database file at any time). PostgreSQL:
    /// each table's row count and newest row version (`xmin`), which any
    /// insert, update or delete changes.
    pub async fn database_fingerprint(&self) -> String {
        use sha2::Digest as _;
        let mut digest = sha2::Sha256::new();
        match self.schema {
            None => {
                let connection = rusqlite::Connection::open_with_flags(
                    self.data_dir().join("mortar.db"),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .expect("open the database");
                let tables: Vec<String> = connection
                    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
                    .and_then(|mut statement| {
                        statement
                            .query_map([], |row| row.get(0))?
                            .collect::<rusqlite::Result<_>>()
                    })
                    .expect("list tables");
                assert!(tables.len() > 10, "the schema's tables: {}", tables.len());
                for table in tables {
                    let mut statement = connection
                        .prepare(&format!("SELECT * FROM \"{table}\""))
                        .expect("read a table");
                    let columns = statement.column_count();
                    let mut rows: Vec<String> = statement
                        .query_map([], |row| {
                            (0..columns)
                                .map(|i| row.get_ref(i).map(|value| format!("{value:?}")))
                                .collect::<rusqlite::Result<Vec<_>>>()
                                .map(|values| values.join("|"))
                        })
                        .and_then(|rows| rows.collect())
                        .expect("read a table's rows");
                    rows.sort();
                    digest.update(format!("{table}:{};", rows.join("\n")));
                }
            }
            Some(_) => {
                let mut sql = self.store.sql();
                sql.push(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                     ORDER BY table_name",
                );
                let tables = self
                    .store
                    .fetch(&sql, &[mortar::resources::ColumnType::Text])
                    .await
                    .expect("list tables");
                assert!(tables.len() > 10, "the schema's tables: {}", tables.len());
                for table in tables {
                    let table = table[0].as_str().expect("table name").to_string();
                    let mut sql = self.store.sql();
                    sql.push(&format!(
                        "SELECT COUNT(*)::text || '/' || COALESCE(MAX(xmin::text::bigint), 0)::text \
                         FROM \"{table}\""
                    ));
                    let row = self
                        .store
                        .fetch(&sql, &[mortar::resources::ColumnType::Text])
                        .await
                        .expect("table versions");
                    digest.update(format!("{table}={};", row[0][0].as_str().unwrap_or("")));
                }
            }
        }
        data_encoding::HEXLOWER.encode(&digest.finalize())
    }

    /// A request with account A's key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_as(&self.key, method, path)
    }

    /// A request with `key`.
    pub fn request_as(&self, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .header("x-api-key", key)
    }

    /// GET with account A's key; returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        read(
            self.request(Method::GET, path)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// GET with `key`.
    pub async fn get_as(&self, key: &str, path: &str) -> (u16, Value) {
        read(
            self.request_as(key, Method::GET, path)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// A JSON:API write with account A's key.
    pub async fn send(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        self.send_as(&self.key.clone(), method, path, body).await
    }

    /// A JSON:API write with `key`.
    pub async fn send_as(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let response = self
            .request_as(key, method, path)
            .header("content-type", "application/vnd.api+json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        read(response).await
    }

    /// Creates a record through the API and returns its id.
    pub async fn create(&self, route: &str, attributes: Value) -> i64 {
        self.create_as(&self.key, route, attributes).await
    }

    /// Creates a record with `key` and returns its id.
    pub async fn create_as(&self, key: &str, route: &str, attributes: Value) -> i64 {
        let kind = route.trim_start_matches('/').replace('_', "-");
        let (status, body) = self
            .send_as(
                key,
                Method::POST,
                route,
                serde_json::json!({"data": {"type": kind, "attributes": attributes}}),
            )
            .await;
        assert_eq!(status, 201, "creating at {route}: {body}");
        body["data"]["id"]
            .as_str()
            .expect("string id")
            .parse()
            .expect("numeric id")
    }

    /// A key of account A, with password access, that acts for user `user_id`.
    pub async fn key_for_user(&self, user_id: i64) -> String {
        self.store
            .create_key(&self.account, "user key", true, Some(user_id))
            .await
            .expect("key")
            .secret
    }

    /// A user of account A ("Ann Lee", `email`, `role`) and a key that acts for them.
    pub async fn user_with_key(&self, email: &str, role: mortar::roles::Role) -> (i64, String) {
        let user = mortar::store::NewUser {
            email,
            first_name: "Ann",
            last_name: "Lee",
            role,
        };
        let id = self
            .store
            .create_user(&self.account, &user, None)
            .await
            .expect("user")
            .id;
        (id, self.key_for_user(id).await)
    }

    /// An id of a catalog row of account A, by table and name.
    pub async fn catalog_id(&self, route: &str, name: &str) -> i64 {
        self.catalog_id_as(&self.key, route, name).await
    }

    /// An id of a catalog row of the account of `key`, by table and name.
    pub async fn catalog_id_as(&self, key: &str, route: &str, name: &str) -> i64 {
        let (status, body) = self
            .get_as(key, &format!("{route}?filter[name]={}", urlencode(name)))
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {route}: {body}"))
            .parse()
            .expect("numeric id")
    }
}

/// Stops a second server when dropped.
pub struct ServerGuard(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Some(shutdown) = self.0.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The id of the record in a single-record document.
pub fn id_of(body: &Value) -> i64 {
    body["data"]["id"].as_str().unwrap().parse().unwrap()
}

/// The ids of the records in a list document, in order.
pub fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array: {body}"))
        .iter()
        .map(|d| d["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// The `name` attributes of the records in a list document, in order.
pub fn names(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array: {body}"))
        .iter()
        .map(|d| d["attributes"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Status and JSON body (Null when empty).
pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}, body is not JSON ({e}): {text}"))
    };
    (status, body)
}

fn random_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{}_{}", std::process::id(), nanos)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        if let Some((url, schema)) = self.schema.take() {
            // Drop runs outside async context guarantees: clean up on a thread of its own.
            let handle = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    if let Ok(admin) = Store::open_admin_postgres(&url).await {
                        let mut sql = admin.sql();
                        sql.push(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                        let _ = admin.execute(&sql).await;
                        admin.close().await;
                    }
                });
            });
            let _ = handle.join();
        }
    }
}

/// Emits each listed test twice: `sqlite::name` and `postgres::name`.
/// The PostgreSQL variants are ignored unless `--include-ignored` is given
/// (scripts/test does that whenever PostgreSQL is there), and they fail
/// rather than pass when `MORTAR_TEST_DATABASE_URL` is missing.
#[macro_export]
macro_rules! api_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
                async fn $name() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await
                }
            )*
        }
    };
}

/// Like [`api_tests!`], for tests that take the [`Backend`] and start their
/// own server (one with job workers, say), on a multi-threaded runtime.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}
