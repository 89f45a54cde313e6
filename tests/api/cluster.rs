//! Three `mortar serve` processes on one PostgreSQL database, one blob
//! store and one Redis, requests spread round-robin, as behind a load
//! balancer: a key's limit holds in total, a file written through one is
//! read through another, a revoked key fails everywhere, a job runs once;
//! then one is killed (-9) mid-load and the writes the clients retry on the
//! others lose nothing and duplicate nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{Place, Server};
use crate::helpers::{read, Backend};

/// A key's limit in these servers (per window, in total across them).
const LIMIT: usize = 300;

/// What the clients share: where the servers are and the account's key.
struct Cluster {
    place: Place,
    /// The data directories of servers with disks of their own.
    _disks: Vec<tempfile::TempDir>,
    addresses: Vec<String>,
    key: String,
    client: reqwest::Client,
}

impl Cluster {
    /// Three servers over one new database, with `blob_env` choosing the
    /// blob store; with `own_disks`, each server but the first has a data
    /// directory of its own (and the master key given by the environment),
    /// as servers on separate machines sharing a bucket do.
    async fn start(blob_env: &[(&str, &str)], own_disks: bool) -> (Cluster, Vec<Server>) {
        let place = Place::new(Backend::Postgres).await;
        let prefix = format!(
            "mortar-cluster-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let limit = LIMIT.to_string();
        let mut env: Vec<(&str, &str)> = vec![
            ("MORTAR_REDIS_URL", "redis://127.0.0.1:6379"),
            ("MORTAR_REDIS_PREFIX", &prefix),
            ("MORTAR_RATE_LIMIT_REQUESTS", &limit),
            ("MORTAR_JOB_POLL_MS", "50"),
        ];
        env.extend_from_slice(blob_env);
        let mut first = place.serve(&env);
        let key = first.first_key();
        let mut servers = vec![first];
        let mut disks = Vec::new();
        // The others start on the migrated database, as a scaled-out deployment does.
        if own_disks {
            let master_key = std::fs::read_to_string(place.data_dir().join("master.key")).unwrap();
            for _ in 0..2 {
                let disk = tempfile::tempdir().unwrap();
                let mut env = env.clone();
                env.push(("MORTAR_MASTER_KEY", master_key.trim()));
                servers.push(place.serve_in(disk.path(), &env));
                disks.push(disk);
            }
        } else {
            servers.push(place.serve(&env));
            servers.push(place.serve(&env));
        }
        let addresses = servers.iter_mut().map(Server::address).collect();
        let cluster = Cluster {
            place,
            _disks: disks,
            addresses,
            key,
            client: reqwest::Client::new(),
        };
        (cluster, servers)
    }

    fn url(&self, server: usize, path: &str) -> String {
        format!("http://{}{path}", self.addresses[server])
    }

    async fn get(&self, server: usize, key: &str, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(server, path))
            .header("x-api-key", key)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    async fn post(&self, server: usize, key: &str, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(server, path))
            .header("x-api-key", key)
            .header("content-type", "application/vnd.api+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// A new key of the account, made by the command line beside the servers.
    fn new_key(&self, name: &str) -> String {
        self.place.create_key(name, &[])
    }
}

async fn limits_files_revocation_and_jobs_hold_across_three_servers(cluster: &Cluster) {
    // The limit is the key's in total: LIMIT requests spread over three
    // servers pass, the next is refused wherever it goes.
    let limited = cluster.new_key("limited");
    let mut refused = 0;
    for i in 0..LIMIT {
        let (status, _) = cluster.get(i % 3, &limited, "/countries/1").await;
        refused += usize::from(status == 429);
    }
    assert_eq!(refused, 0, "{LIMIT} requests in all are within the limit");
    for server in 0..3 {
        let (status, _) = cluster.get(server, &limited, "/countries/1").await;
        assert_eq!(status, 429, "server {server}: over the limit in total");
    }

    // A file written through one server is read through the others.
    let key = &cluster.key;
    let (status, body) = cluster
        .post(
            0,
            key,
            "/organizations",
            json!({"data": {"type": "organizations", "attributes": {"name": "Shared Files Co"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let org = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = cluster
        .post(
            0,
            key,
            "/documents",
            json!({"data": {"type": "documents", "attributes": {
                "name": "Backup runbook", "organization-id": org.parse::<i64>().unwrap()}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let document = body["data"]["id"].as_str().unwrap().to_string();
    let content = "runbook: restart the backup agent nightly\n".repeat(50);
    let (status, body) = cluster
        .post(
            0,
            key,
            &format!("/documents/{document}/relationships/attachments"),
            json!({"data": {"type": "attachments", "attributes": {"attachment": {
                "content": base64_encode(content.as_bytes()), "file_name": "runbook.txt"}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let attachment = body["data"]["id"].as_str().unwrap().to_string();
    for server in 1..3 {
        let response = cluster
            .client
            .get(cluster.url(server, &format!("/attachments/{attachment}/download")))
            .header("x-api-key", key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "server {server}");
        assert_eq!(response.bytes().await.unwrap(), content.as_bytes());
    }

    // A revoked key fails on every server within five seconds, even where
    // it was just used (and cached).
    let revoked = cluster.new_key("to-revoke");
    for server in 0..3 {
        let (status, _) = cluster.get(server, &revoked, "/organizations").await;
        assert_eq!(status, 200);
    }
    let store = cluster.place.store().await;
    let mut sql = store.sql();
    sql.push("SELECT id FROM api_keys WHERE name = ")
        .bind("to-revoke");
    let id = store
        .fetch(&sql, &[mortar::store::ColumnType::Int])
        .await
        .unwrap()[0][0]
        .as_i64()
        .unwrap();
    let output = cluster
        .place
        .command(&["keys", "revoke", &id.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let revoked_at = Instant::now();
    for server in 0..3 {
        loop {
            let (status, _) = cluster.get(server, &revoked, "/organizations").await;
            if status == 403 {
                break;
            }
            assert!(
                revoked_at.elapsed() < Duration::from_secs(5),
                "server {server} still takes the revoked key"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // A job runs once: an export requested through one server is built by
    // one of the three worker pools, in one attempt.
    let (status, body) = cluster
        .post(
            1,
            key,
            "/exports",
            json!({"data": {"type": "exports", "attributes": {"organization-id": org.parse::<i64>().unwrap()}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let export = body["data"]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = cluster.get(2, key, &format!("/exports/{export}")).await;
        if body["data"]["attributes"]["status"] == "done" {
            break;
        }
        assert!(Instant::now() < deadline, "export never finished: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut sql = store.sql();
    sql.push("SELECT attempts FROM jobs WHERE kind = 'export'");
    let attempts = store
        .fetch(&sql, &[mortar::store::ColumnType::Int])
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1, "one job");
    assert_eq!(attempts[0][0].as_i64(), Some(1), "run once");
    store.close().await;
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What a client behind a load balancer does with one create: sends it with
/// an `Idempotency-Key` to the next server, moves on when a server does not
/// answer, and — when a key is left claimed by a server that died mid-write
/// (409) — checks whether the record exists before sending it again under
/// a new key. Returns once the record is known to exist, with how many
/// times a server did not answer.
async fn create_until_acknowledged(cluster: &Cluster, mut next: usize, name: &str) -> usize {
    let mut unanswered = 0;
    let mut idempotency = format!("{name}-1");
    for attempt in 2.. {
        assert!(attempt < 200, "{name}: never acknowledged");
        let server = next % 3;
        next += 1;
        let sent = cluster
            .client
            .post(cluster.url(server, "/organizations"))
            .header("x-api-key", &cluster.key)
            .header("content-type", "application/vnd.api+json")
            .header("idempotency-key", &idempotency)
            .timeout(Duration::from_secs(10))
            .body(
                json!({"data": {"type": "organizations", "attributes": {"name": name}}})
                    .to_string(),
            )
            .send()
            .await;
        let Ok(response) = sent else {
            unanswered += 1;
            continue; // That server is gone: the next one.
        };
        match response.status().as_u16() {
            201 => return unanswered,
            409 => {
                let (status, body) = cluster
                    .get(
                        next % 3,
                        &cluster.key,
                        &format!("/organizations?filter[name]={name}"),
                    )
                    .await;
                if status == 200 && body["meta"]["total-count"] == 1 {
                    return unanswered;
                }
                if status == 200 {
                    idempotency = format!("{name}-{attempt}");
                }
            }
            503 => tokio::time::sleep(Duration::from_millis(50)).await,
            other => panic!("{name}: {other} {:?}", response.text().await),
        }
    }
    unreachable!("the attempts are bounded above")
}

async fn a_server_killed_mid_load_loses_and_duplicates_nothing(
    cluster: Arc<Cluster>,
    victim: &Server,
) {
    const CLIENTS: usize = 4;
    const CREATES: usize = 40;
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let unanswered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let cluster = cluster.clone();
        let (acknowledged, unanswered) = (acknowledged.clone(), unanswered.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..CREATES {
                let name = format!("Load-{client}-{i}");
                let missed = create_until_acknowledged(&cluster, client + i, &name).await;
                unanswered.fetch_add(missed, Ordering::SeqCst);
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    // A quarter of the way in, one server dies without a chance to finish anything.
    while acknowledged.load(Ordering::SeqCst) < CLIENTS * CREATES / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    victim.signal("KILL");
    let at_kill = acknowledged.load(Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    assert!(
        at_kill < CLIENTS * CREATES * 3 / 4,
        "most of the load came after the kill ({at_kill} before)"
    );
    assert!(
        unanswered.load(Ordering::SeqCst) > 0,
        "the clients met the dead server and moved on"
    );
    let mut names = Vec::new();
    for page in 1.. {
        let (status, body) = cluster
            .get(
                2,
                &cluster.key,
                &format!("/organizations?page[size]=100&page[number]={page}&sort=name"),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let data = body["data"].as_array().unwrap().clone();
        names.extend(
            data.iter()
                .filter_map(|o| o["attributes"]["name"].as_str().map(str::to_string))
                .filter(|n| n.starts_with("Load-")),
        );
        if data.len() < 100 {
            break;
        }
    }
    let mut expected: Vec<String> = (0..CLIENTS)
        .flat_map(|c| (0..CREATES).map(move |i| format!("Load-{c}-{i}")))
        .collect();
    expected.sort();
    names.sort();
    assert_eq!(
        names.len(),
        CLIENTS * CREATES,
        "one record per create, no more"
    );
    assert_eq!(names, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
async fn three_servers_on_one_database_act_as_one() {
    let (cluster, mut servers) = Cluster::start(&[], false).await;
    limits_files_revocation_and_jobs_hold_across_three_servers(&cluster).await;
    let cluster = Arc::new(cluster);
    a_server_killed_mid_load_loses_and_duplicates_nothing(cluster, &servers[1]).await;
    servers[0].stop();
    servers[2].stop();
}

/// The same, with nothing shared but the database, Redis and an S3 bucket:
/// each server has its own data directory, so files written through one
/// and exports built by one are read through the others from the bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
async fn three_servers_with_disks_of_their_own_share_a_bucket() {
    let Some(moto) = crate::blobs_s3::moto().await else {
        return;
    };
    let bucket = moto.bucket().await;
    let blob_store = format!(
        "s3://{bucket}/cluster?endpoint={}&region=us-east-1",
        moto.endpoint
    );
    let (cluster, mut servers) =
        Cluster::start(&[("MORTAR_BLOB_STORE", blob_store.as_str())], true).await;
    limits_files_revocation_and_jobs_hold_across_three_servers(&cluster).await;
    let objects = moto.objects(&bucket).await;
    assert!(
        objects.iter().any(|o| o.starts_with("cluster/exports/"))
            && objects.iter().any(|o| !o.starts_with("cluster/exports/")),
        "the attachment and the export are in the bucket: {objects:?}"
    );
    let cluster = Arc::new(cluster);
    a_server_killed_mid_load_loses_and_duplicates_nothing(cluster, &servers[1]).await;
    servers[0].stop();
    servers[2].stop();
}
