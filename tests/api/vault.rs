//! The password vault: sealed secrets, per-key password access, audited
//! reveals, versions, OTP codes, master key handling and the generator.

use mortar::resources::ColumnType;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{read, TestApp};

async fn owner_org(app: &TestApp) -> i64 {
    app.catalog_id("/organizations", "Acme IT").await
}

async fn create_password(app: &TestApp, attributes: Value) -> (i64, Value) {
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": attributes}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().parse().unwrap();
    (id, body)
}

fn unique_secret(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("Sekr3t-{tag}-{nanos}")
}

async fn logs_for(app: &TestApp, id: i64) -> Vec<String> {
    let (status, body) = app
        .get(&format!("/passwords/{id}/audit?sort=created_at,id"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["attributes"]["action"].as_str().unwrap().to_string())
        .collect()
}

async fn show_reveals_the_password_and_audits_it(app: TestApp) {
    let org = owner_org(&app).await;
    let secret = unique_secret("show");
    let (id, created) = create_password(
        &app,
        json!({"organization-id": org, "name": "Domain admin", "username": "administrator", "password": secret}),
    )
    .await;
    let attributes = created["data"]["attributes"].as_object().unwrap();
    assert!(
        !attributes.contains_key("password"),
        "create defaults to show_password=false"
    );
    assert_eq!(attributes["organization-name"], "Acme IT");
    assert_eq!(attributes["username"], "administrator");
    assert!(
        attributes["updated-by"].is_i64(),
        "updated-by records the key"
    );

    let (status, body) = app.get(&format!("/passwords/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["password"], secret.as_str());
    let (_, body) = app
        .get(&format!("/passwords/{id}?show_password=false"))
        .await;
    assert!(body["data"]["attributes"].get("password").is_none());
    let (_, body) = app
        .get(&format!("/passwords/{id}?show_password=False"))
        .await;
    assert!(body["data"]["attributes"].get("password").is_none());
    let (status, _) = app
        .get(&format!("/passwords/{id}?show_password=perhaps"))
        .await;
    assert_eq!(status, 400);

    assert_eq!(logs_for(&app, id).await, vec!["create", "show"]);
    let (_, logs) = app
        .get("/logs?filter[resource_type]=Password&filter[action]=show")
        .await;
    assert_eq!(logs["meta"]["total-count"], 1);
    assert_eq!(
        logs["data"][0]["attributes"]["resource-name"],
        "Domain admin"
    );

    // Create and update reveal only when asked.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/passwords/{id}?show_password=true"),
            json!({"data": {"type": "passwords", "attributes": {"notes": "rotated quarterly"}}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["password"], secret.as_str());
    assert_eq!(
        logs_for(&app, id).await,
        vec!["create", "show", "update", "show"]
    );
}

async fn keys_without_password_access_never_see_or_send_secrets(app: TestApp) {
    let org = owner_org(&app).await;
    let secret = unique_secret("noaccess");
    let (id, _) = create_password(
        &app,
        json!({"organization_id": org, "name": "Router", "password": secret}),
    )
    .await;
    let plain = app.plain_key.clone();

    let (status, body) = app.get_as(&plain, &format!("/passwords/{id}")).await;
    assert_eq!(status, 200);
    let attributes = body["data"]["attributes"].as_object().unwrap();
    assert_eq!(attributes["name"], "Router");
    for secret_attribute in ["password", "otp-secret", "otp-code"] {
        assert!(
            !attributes.contains_key(secret_attribute),
            "{secret_attribute}"
        );
    }
    let (_, body) = app.get_as(&plain, "/passwords?show_password=true").await;
    assert!(!body.to_string().contains(&secret));
    let (status, _) = app
        .get_as(&plain, &format!("/passwords/{id}?version_id=1"))
        .await;
    assert_eq!(status, 403);

    let (status, body) = app
        .send_as(
            &plain,
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "X", "password": "p"}}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = app
        .send_as(
            &plain,
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"otpSecret": "JBSWY3DPEHPK3PXP"}}}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .send_as(
            &plain,
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"username": "admin2"}}}),
        )
        .await;
    assert_eq!(
        status, 200,
        "everything else about the record works: {body}"
    );
    assert_eq!(body["data"]["attributes"]["username"], "admin2");
    let (_, body) = app.get(&format!("/passwords/{id}")).await;
    assert_eq!(body["data"]["attributes"]["password"], secret.as_str());
    assert_eq!(
        logs_for(&app, id).await,
        vec!["create", "update", "show"],
        "no reveal by the plain key"
    );
}

async fn lists_reveal_only_on_request_and_audit_each_record(app: TestApp) {
    let org = owner_org(&app).await;
    let secrets: Vec<String> = (0..3).map(|i| unique_secret(&format!("list{i}"))).collect();
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/organizations/{org}/relationships/passwords"),
            json!({"data": secrets.iter().enumerate().map(|(i, s)| json!({
                "type": "passwords", "attributes": {"name": format!("Entry {i}"), "password": s}
            })).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);

    let (_, body) = app.get("/passwords").await;
    assert_eq!(body["meta"]["total-count"], 3);
    assert!(secrets
        .iter()
        .all(|s| !body.to_string().contains(s.as_str())));
    let (_, logs) = app.get("/logs?filter[action]=show").await;
    assert_eq!(logs["meta"]["total-count"], 0);

    let (_, body) = app.get("/passwords?show_password=true&sort=name").await;
    let shown: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attributes"]["password"].as_str().unwrap())
        .collect();
    assert_eq!(
        shown,
        secrets.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let (_, logs) = app.get("/logs?filter[action]=show").await;
    assert_eq!(
        logs["meta"]["total-count"], 3,
        "one audit entry per revealed record"
    );
    let (_, body) = app
        .get(&format!(
            "/organizations/{org}/relationships/passwords?show_password=1&page[size]=1"
        ))
        .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    let (_, logs) = app.get("/logs?filter[action]=show").await;
    assert_eq!(logs["meta"]["total-count"], 4);
}

async fn no_plaintext_secret_reaches_the_database(app: TestApp) {
    let org = owner_org(&app).await;
    let secret = unique_secret("at-rest");
    let otp = "JBSWY3DPEHPK3PXPJBSWY3DP";
    let (id, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Firewall", "password": secret, "otp_secret": otp}),
    )
    .await;
    let newer = unique_secret("at-rest-2");
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"password": newer}}}),
        )
        .await;
    assert_eq!(status, 200);
    // An error about another field must not echo the secret either.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"password": "x-leak-check", "otp-secret": "not base32!"}}}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(!body.to_string().contains("x-leak-check"));

    let haystack: Vec<u8> = match app.postgres_schema() {
        None => {
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(app.data_dir()).unwrap() {
                let path = entry.unwrap().path();
                if path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("mortar.db")
                {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
            assert!(!bytes.is_empty());
            bytes
        }
        Some((url, schema)) => {
            let output = std::process::Command::new("pg_dump")
                .args(["--dbname", url, "--schema", schema, "--data-only"])
                .output()
                .expect("pg_dump runs");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(
                String::from_utf8_lossy(&output.stdout).contains("Firewall"),
                "the dump has the data"
            );
            output.stdout
        }
    };
    for needle in [secret.as_str(), newer.as_str(), otp] {
        assert!(
            !haystack
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "{needle} found in the database"
        );
    }
}

async fn secrets_moved_or_tampered_in_the_database_do_not_open(app: TestApp) {
    let org = owner_org(&app).await;
    let (a, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "A", "password": unique_secret("a")}),
    )
    .await;
    let (b, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "B", "password": unique_secret("b")}),
    )
    .await;
    // Copy A's sealed value into B: bound to A's id, it must not open as B.
    let mut sql = app.store.sql();
    sql.push(
        "UPDATE passwords SET password_sealed = (SELECT password_sealed FROM passwords WHERE id = ",
    )
    .bind(a)
    .push("), secret_version = (SELECT secret_version FROM passwords WHERE id = ")
    .bind(a)
    .push(") WHERE id = ")
    .bind(b);
    app.store.execute(&sql).await.unwrap();
    let (status, body) = app.get(&format!("/passwords/{b}")).await;
    assert_eq!(status, 500, "{body}");
    assert!(!body.to_string().contains("Sekr3t"));
    // Flip one character of A's ciphertext.
    let mut sql = app.store.sql();
    sql.push("SELECT password_sealed FROM passwords WHERE id = ")
        .bind(a);
    let sealed = app.store.fetch(&sql, &[ColumnType::Text]).await.unwrap()[0][0]
        .as_str()
        .unwrap()
        .to_string();
    let mut chars: Vec<char> = sealed.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    let mut sql = app.store.sql();
    sql.push("UPDATE passwords SET password_sealed = ")
        .bind(chars.into_iter().collect::<String>())
        .push(" WHERE id = ")
        .bind(a);
    app.store.execute(&sql).await.unwrap();
    let (status, _) = app.get(&format!("/passwords/{a}")).await;
    assert_eq!(status, 500);
    let (status, _) = app
        .get(&format!("/passwords/{a}?show_password=false"))
        .await;
    assert_eq!(status, 200, "the record itself still reads");
}

async fn versions_keep_every_previous_secret(app: TestApp) {
    let org = owner_org(&app).await;
    let (id, created) = create_password(
        &app,
        json!({"organization-id": org, "name": "VPN", "password": "first-secret"}),
    )
    .await;
    let first_changed = created["data"]["attributes"]["password-updated-at"].clone();
    assert!(first_changed.is_string());
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (_, renamed) = app
        .send(
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"name": "VPN gateway"}}}),
        )
        .await;
    assert_eq!(
        renamed["data"]["attributes"]["password-updated-at"], first_changed,
        "only a new secret moves it"
    );
    for next in ["second-secret", "third-secret"] {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/passwords/{id}"),
                json!({"data": {"type": "passwords", "attributes": {"password": next}}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_ne!(
            body["data"]["attributes"]["password-updated-at"],
            first_changed
        );
        assert!(body["data"]["attributes"]["updated-by"].is_i64());
    }
    let (status, body) = app
        .get(&format!("/passwords/{id}?include=recent_versions"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["password"], "third-secret");
    let versions = body["included"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions.iter().all(|v| v["type"] == "recent-versions"));
    assert!(
        !body["included"].to_string().contains("secret\""),
        "versions carry no values"
    );
    assert_eq!(
        body["data"]["relationships"]["recent-versions"]["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let mut olds = Vec::new();
    for version in versions {
        let version_id = version["id"].as_str().unwrap();
        let (status, body) = app
            .get(&format!("/passwords/{id}?version_id={version_id}"))
            .await;
        assert_eq!(status, 200);
        olds.push(
            body["data"]["attributes"]["password"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    olds.sort();
    assert_eq!(olds, vec!["first-secret", "second-secret"]);
    assert_eq!(
        app.get(&format!("/passwords/{id}?version_id=999999"))
            .await
            .0,
        404
    );
    let (status, _) = app.get("/passwords?include=recent_versions").await;
    assert_eq!(status, 400, "recent_versions is a show include");
}

async fn otp_secrets_give_current_codes(app: TestApp) {
    let org = owner_org(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "M365", "password": "p", "otp-secret": "ab cd"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/otp-secret"
    );
    let seed = b"12345678901234567890";
    let secret = data_encoding::BASE32_NOPAD.encode(seed);
    let (id, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "M365", "password": "p", "otpSecret": secret}),
    )
    .await;
    let (_, body) = app.get(&format!("/passwords/{id}")).await;
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["otp-secret"], secret.as_str());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = attributes["otp-code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    let candidates = [
        mortar::vault::totp::code(seed, now).0,
        mortar::vault::totp::code(seed, now - 30).0,
    ];
    assert!(
        candidates.iter().any(|c| c == code),
        "{code} not in {candidates:?}"
    );
    let remaining = attributes["otp-remaining-seconds"].as_u64().unwrap();
    assert!((1..=30).contains(&remaining));
}

async fn passwords_filter_sort_and_count_in_categories(app: TestApp) {
    let org = owner_org(&app).await;
    let cloud = app.catalog_id("/password_categories", "Cloud").await;
    create_password(&app, json!({"organization-id": org, "name": "AWS", "password": "p", "password-category-id": cloud, "url": "https://aws.example", "username": "b"})).await;
    create_password(&app, json!({"organization-id": org, "name": "Azure", "password": "p", "password_category_id": cloud, "username": "a", "archived": true})).await;
    let (id, body) = create_password(
        &app,
        json!({"organization-id": org, "name": "Printer", "password": "p"}),
    )
    .await;
    assert_eq!(body["data"]["attributes"]["archived"], false);
    let (_, body) = app.get(&format!("/password_categories/{cloud}")).await;
    assert_eq!(body["data"]["attributes"]["passwords-count"], 2);
    let (_, body) = app
        .get(&format!(
            "/passwords?filter[password_category_id]={cloud}&sort=-username"
        ))
        .await;
    assert_eq!(body["data"][0]["attributes"]["name"], "AWS");
    assert_eq!(
        body["data"][0]["attributes"]["password-category-name"],
        "Cloud"
    );
    let (_, body) = app.get("/passwords?filter[url]=https://aws.example").await;
    assert_eq!(body["meta"]["total-count"], 1);
    let (_, body) = app.get("/passwords?filter[archived]=true").await;
    assert_eq!(body["data"][0]["attributes"]["name"], "Azure");
    let (_, body) = app.get("/passwords?sort=url,name").await;
    assert_eq!(body["meta"]["total-count"], 3);

    // A category named in relationships is found or made.
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "Bank", "password": "p"},
                "relationships": {"password_category": {"data": {"type": "password_categories", "attributes": {"name": "Finance", "account_id": 1}}}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"]["attributes"]["password-category-name"],
        "Finance"
    );

    // Deletes: single (204), nested with a data array, bulk by filter.
    let (status, _) = read(
        app.request(Method::DELETE, &format!("/passwords/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 204);
    let (_, body) = app.get("/passwords?filter[name]=Bank").await;
    let bank = body["data"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/organizations/{org}/relationships/passwords/{bank}"),
            json!({"data": [{"type": "passwords", "attributes": {"id": bank}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/passwords?filter[password_category_id]={cloud}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(
        body.to_string().find("\"password\"").is_none(),
        "deleted records carry no secrets"
    );
    let (_, body) = app.get("/passwords").await;
    assert_eq!(body["meta"]["total-count"], 0);
}

async fn embedded_passwords_need_both_resource_fields(app: TestApp) {
    let org = owner_org(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "E", "password": "p", "resource-type": "Configuration"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "E", "password": "p", "resource-id": 1, "resource-type": "Spaceship"}}}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "E"}}}),
        )
        .await;
    assert_eq!(status, 422, "password is required on create");
}

async fn embedded_passwords_follow_their_record(app: TestApp) {
    let org = owner_org(&app).await;
    let frog = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let ct = app
        .catalog_id("/configuration_types", "Managed Server")
        .await;
    let server = app
        .create(
            "/configurations",
            json!({"organization-id": org, "name": "fw01", "configuration-type-id": ct}),
        )
        .await;
    let (id, body) = create_password(
        &app,
        json!({"organization-id": org, "name": "fw01 admin", "password": "p",
               "resource-type": "Configuration", "resource-id": server.to_string()}),
    )
    .await;
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["resource-id"], server);
    assert_eq!(attributes["resource-type"], "Configuration");
    assert_eq!(attributes["cached-resource-type-name"], "Configuration");
    assert_eq!(attributes["cached-resource-name"], "fw01");
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": frog, "name": "x", "password": "p", "resource-type": "Configuration", "resource-id": server}}}),
        )
        .await;
    assert_eq!(
        status, 422,
        "the record must be in the password's organization: {body}"
    );
    assert_eq!(
        body["errors"][0]["source"]["pointer"],
        "/data/attributes/resource-id"
    );

    let (_, body) = app
        .get(&format!("/configurations/{server}?include=passwords"))
        .await;
    assert_eq!(
        body["data"]["relationships"]["passwords"]["data"][0]["id"],
        id.to_string()
    );
    let included = &body["included"][0]["attributes"];
    assert_eq!(included["name"], "fw01 admin");
    assert!(
        included.get("password").is_none(),
        "includes carry no secrets"
    );

    // Renaming the record renames the cached name, and filters follow.
    app.send(
        Method::PATCH,
        &format!("/configurations/{server}"),
        json!({"data": {"type": "configurations", "attributes": {"name": "fw01-edge"}}}),
    )
    .await;
    let (_, body) = app
        .get("/passwords?filter[cached_resource_name]=fw01-edge")
        .await;
    assert_eq!(body["meta"]["total-count"], 1);
    assert_eq!(body["data"][0]["id"], id.to_string());

    // Contacts, locations, domains and documents hold passwords too.
    let contact = app
        .create(
            "/contacts",
            json!({"organization-id": org, "first-name": "Rob", "last-name": "Storts"}),
        )
        .await;
    let (_, body) = create_password(
        &app,
        json!({"organization-id": org, "name": "VPN", "password": "p", "resource-type": "Contact", "resource-id": contact}),
    )
    .await;
    assert_eq!(
        body["data"]["attributes"]["cached-resource-name"],
        "Rob Storts"
    );
}

async fn other_accounts_cannot_reach_passwords(app: TestApp) {
    let org = owner_org(&app).await;
    let secret = unique_secret("tenant");
    let (id, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Mine", "password": secret}),
    )
    .await;
    let other = app.other_key.clone();
    assert_eq!(app.get_as(&other, &format!("/passwords/{id}")).await.0, 404);
    assert_eq!(
        app.get_as(&other, &format!("/passwords/{id}/audit"))
            .await
            .0,
        404
    );
    let (_, body) = app.get_as(&other, "/passwords?show_password=true").await;
    assert_eq!(body["meta"]["total-count"], 0);
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"password": "owned"}}}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = read(
        app.request_as(&other, Method::DELETE, &format!("/passwords/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(&other, Method::POST, "/passwords", json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "Plant", "password": "p"}}}))
        .await;
    assert_eq!(status, 422, "another account's organization");
    let (_, body) = app.get(&format!("/passwords/{id}")).await;
    assert_eq!(body["data"]["attributes"]["password"], secret.as_str());
}

async fn the_generator_draws_passwords_to_order(app: TestApp) {
    let (status, body) = app
        .send(Method::POST, "/passwords/generate", json!({"data": {"type": "generated-passwords", "attributes": {"length": 32, "symbols": false}}}))
        .await;
    assert_eq!(status, 200, "{body}");
    let password = body["data"]["attributes"]["password"].as_str().unwrap();
    assert_eq!(password.len(), 32);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    let (status, body) = read(
        app.request(
            Method::POST,
            "/passwords/generate?generated_password_type=pronounceable&length=12",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["attributes"]["password"]
            .as_str()
            .unwrap()
            .len(),
        12
    );
    let (status, _) = read(
        app.request(Method::POST, "/passwords/generate?length=3")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
}

async fn a_missing_or_wrong_master_key_refuses_to_start(app: TestApp) {
    let org = owner_org(&app).await;
    create_password(
        &app,
        json!({"organization-id": org, "name": "Kept", "password": "p"}),
    )
    .await;
    let key_file = app.data_dir().join(mortar::vault::KEY_FILE);
    let original = std::fs::read_to_string(&key_file).unwrap();

    let mut args = app.args();
    args.master_key = Some(
        mortar::vault::MasterKey::generate()
            .to_base64()
            .parse()
            .unwrap(),
    );
    let error = mortar::build_state(app.store.clone(), &args)
        .await
        .err()
        .expect("wrong key refused");
    assert!(error.to_string().contains("not the one"), "{error:#}");

    std::fs::remove_file(&key_file).unwrap();
    let error = mortar::build_state(app.store.clone(), &app.args())
        .await
        .err()
        .expect("missing key refused");
    assert!(format!("{error:#}").contains("does not exist"), "{error:#}");
    assert!(!key_file.exists(), "no new key is made silently");

    std::fs::write(&key_file, &original).unwrap();
    assert!(mortar::build_state(app.store.clone(), &app.args())
        .await
        .is_ok());
}

async fn rotation_rewraps_every_key_and_retires_the_old_one(app: TestApp) {
    let org = owner_org(&app).await;
    let (mine, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Before", "password": "kept-through-rotation"}),
    )
    .await;
    let other_org = {
        let (_, body) = app.get_as(&app.other_key, "/organizations").await;
        body["data"][0]["id"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    let (status, body) = app
        .send_as(&app.other_key, Method::POST, "/passwords", json!({"data": {"type": "passwords", "attributes": {"organization-id": other_org, "name": "Theirs", "password": "theirs-too"}}}))
        .await;
    assert_eq!(status, 201, "{body}");
    let theirs: i64 = body["data"]["id"].as_str().unwrap().parse().unwrap();
    let key_file = app.data_dir().join(mortar::vault::KEY_FILE);
    let old_key = std::fs::read_to_string(&key_file).unwrap();

    let rotated = mortar::vault::rotate_master_key(&app.store, app.data_dir(), None)
        .await
        .unwrap();
    assert!(rotated.pending_env_key.is_none());
    let fingerprint = rotated.fingerprint;
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(old_key, new_key);
    assert_eq!(
        mortar::vault::MasterKey::from_base64(&new_key)
            .unwrap()
            .fingerprint(),
        fingerprint
    );

    // A server started now (with the new key file) reads every password of every account.
    let (mortar_base, _server) = app.second_server().await.expect("starts with the new key");
    let get = |key: String, id: i64| {
        let client = app.client.clone();
        let url = format!("{mortar_base}/passwords/{id}");
        async move {
            read(
                client
                    .get(url)
                    .header("x-api-key", key)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (status, body) = get(app.key.clone(), mine).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["attributes"]["password"],
        "kept-through-rotation"
    );
    let (_, body) = get(app.other_key.clone(), theirs).await;
    assert_eq!(body["data"]["attributes"]["password"], "theirs-too");

    // The old key opens nothing: a server given it refuses to start.
    let mut args = app.args();
    args.master_key = Some(old_key.trim().parse().unwrap());
    let error = mortar::build_state(app.store.clone(), &args)
        .await
        .err()
        .expect("old key refused");
    assert!(error.to_string().contains("not the one"), "{error:#}");
}

async fn an_interrupted_rotation_leaves_the_vault_readable(app: TestApp) {
    let org = owner_org(&app).await;
    let (id, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Survivor", "password": "still-here"}),
    )
    .await;
    let key_file = app.data_dir().join(mortar::vault::KEY_FILE);
    let next_file = app.data_dir().join(mortar::vault::NEXT_KEY_FILE);
    let old_key = std::fs::read_to_string(&key_file).unwrap();

    // Interrupted before the database switched: a stray next key is discarded.
    std::fs::write(
        &next_file,
        mortar::vault::MasterKey::generate().to_base64().as_bytes(),
    )
    .unwrap();
    let (base, server) = app.second_server().await.expect("old key still opens");
    let (_, body) = read(
        app.client
            .get(format!("{base}/passwords/{id}"))
            .header("x-api-key", &app.key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["data"]["attributes"]["password"], "still-here");
    assert!(!next_file.exists());
    drop(server);

    // Interrupted after the database switched but before the file was renamed.
    mortar::vault::rotate_master_key(&app.store, app.data_dir(), None)
        .await
        .unwrap();
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    std::fs::write(&next_file, &new_key).unwrap();
    std::fs::write(&key_file, &old_key).unwrap();
    let (base, _server) = app
        .second_server()
        .await
        .expect("the next key is picked up");
    let (_, body) = read(
        app.client
            .get(format!("{base}/passwords/{id}"))
            .header("x-api-key", &app.key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["data"]["attributes"]["password"], "still-here");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), new_key);
}

/// A server over `app`'s database with `args`; it stops when the sender drops.
async fn server_with(
    app: &TestApp,
    args: &mortar::config::ServeArgs,
) -> anyhow::Result<(String, tokio::sync::oneshot::Sender<()>)> {
    let state = mortar::build_state(app.store.clone(), args).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, signal) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = mortar::serve(listener, state, async move {
            let _ = signal.await;
        })
        .await;
    });
    Ok((format!("http://{address}"), stop))
}

/// Password `id`'s value as read through the server at `base`.
async fn password_at(app: &TestApp, base: &str, id: i64) -> Value {
    let (status, body) = read(
        app.client
            .get(format!("{base}/passwords/{id}"))
            .header("x-api-key", &app.key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["attributes"]["password"].clone()
}

async fn an_interrupted_env_key_rotation_leaves_the_vault_readable(app: TestApp) {
    use mortar::vault::{MasterKey, KEY_FILE, NEXT_KEY_FILE};
    let org = owner_org(&app).await;
    let (id, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Env survivor", "password": "env-still-here"}),
    )
    .await;
    // Move the key into MORTAR_MASTER_KEY: none is left in the data directory.
    let key_file = app.data_dir().join(KEY_FILE);
    let next_file = app.data_dir().join(NEXT_KEY_FILE);
    let old_key = std::fs::read_to_string(&key_file)
        .unwrap()
        .trim()
        .to_string();
    std::fs::remove_file(&key_file).unwrap();
    let env = |key: &str| {
        let mut args = app.args();
        args.master_key = Some(key.parse().unwrap());
        args
    };
    let old_fingerprint = MasterKey::from_base64(&old_key).unwrap().fingerprint();

    // Interrupted before the commit: the old key opens, the unused next key goes.
    std::fs::write(&next_file, MasterKey::generate().to_base64().as_bytes()).unwrap();
    let (base, stop) = server_with(&app, &env(&old_key))
        .await
        .expect("the old key still opens");
    assert_eq!(password_at(&app, &base, id).await, "env-still-here");
    assert!(
        !next_file.exists(),
        "a next key that never committed is discarded"
    );
    drop(stop);

    // The new key reaches the disk before the transaction commits: hold the
    // vault's write lock so the rotation stops just before its commit.
    let mut lock = app.store.begin().await.unwrap();
    let mut sql = lock.sql();
    sql.push("UPDATE vault_meta SET updated_at = updated_at WHERE id = 1");
    lock.execute(&sql).await.unwrap();
    let rotation = tokio::spawn({
        let (store, dir, key) = (
            app.store.clone(),
            app.data_dir().to_path_buf(),
            old_key.clone(),
        );
        async move { mortar::vault::rotate_master_key(&store, &dir, Some(&key)).await }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !next_file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the new key must be on disk before the rotation commits"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(!rotation.is_finished(), "the rotation waits for the lock");
    let pending = MasterKey::read_file(&next_file).unwrap();
    assert_ne!(pending.fingerprint(), old_fingerprint);
    assert_eq!(
        app.store.vault_fingerprint().await.unwrap().as_deref(),
        Some(old_fingerprint.as_str()),
        "not committed yet: the old key is still the one"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&next_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    lock.commit().await.unwrap();
    let rotated = rotation.await.unwrap().unwrap();
    assert_eq!(rotated.fingerprint, pending.fingerprint());
    assert_eq!(
        rotated.pending_env_key.as_deref(),
        Some(next_file.as_path())
    );
    assert_eq!(
        app.store.vault_fingerprint().await.unwrap(),
        Some(pending.fingerprint())
    );
    assert!(
        !key_file.exists(),
        "an env key rotation writes no master.key"
    );

    // Interrupted after the commit, before the operator saw any output: the
    // file is the only copy of the key, and the old key is refused, naming it.
    drop(rotated);
    let new_key = std::fs::read_to_string(&next_file)
        .unwrap()
        .trim()
        .to_string();
    let error = mortar::build_state(app.store.clone(), &env(&old_key))
        .await
        .err()
        .expect("the old key no longer opens the vault");
    let message = format!("{error:#}");
    assert!(
        message.contains(NEXT_KEY_FILE) && message.contains("MORTAR_MASTER_KEY"),
        "{message}"
    );
    assert!(!message.contains(&new_key) && !message.contains(&old_key));
    assert!(next_file.exists(), "a refused start keeps the new key");
    let error = mortar::build_state(app.store.clone(), &app.args())
        .await
        .err()
        .expect("no key file either");
    assert!(format!("{error:#}").contains("does not exist"), "{error:#}");

    // The operator sets MORTAR_MASTER_KEY to the file's contents: the server
    // starts, reads everything, and removes the file.
    let (base, _stop) = server_with(&app, &env(&new_key))
        .await
        .expect("the new key opens");
    assert_eq!(password_at(&app, &base, id).await, "env-still-here");
    assert!(
        !next_file.exists(),
        "the copy on disk is removed once installed"
    );
    assert!(!key_file.exists());
    let error = mortar::build_state(app.store.clone(), &env(&old_key))
        .await
        .err()
        .expect("the old key stays retired");
    assert!(error.to_string().contains("not the one"), "{error:#}");
}

/// The `recent-versions` kept for password `id`.
async fn version_count(app: &TestApp, id: i64) -> usize {
    let (status, body) = app
        .get(&format!(
            "/passwords/{id}?include=recent_versions&show_password=false"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["included"].as_array().map_or(0, Vec::len)
}

async fn patch_password(app: &TestApp, id: i64, attributes: Value) -> Value {
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": attributes}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn resending_the_same_secret_keeps_no_version_and_keeps_password_updated_at(app: TestApp) {
    let org = owner_org(&app).await;
    let otp = "JBSWY3DPEHPK3PXPJBSWY3DP";
    let (id, created) = create_password(
        &app,
        json!({"organization-id": org, "name": "Switch", "password": "same-secret", "otp-secret": otp}),
    )
    .await;
    let changed_at = created["data"]["attributes"]["password-updated-at"].clone();
    assert!(changed_at.is_string());

    // Each unchanged re-send, alone or together, on the single and the bulk route.
    for attributes in [
        json!({"password": "same-secret"}),
        json!({"otp-secret": otp}),
        json!({"password": "same-secret", "otp_secret": otp, "notes": "checked"}),
    ] {
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        let body = patch_password(&app, id, attributes).await;
        assert_eq!(
            body["data"]["attributes"]["password-updated-at"], changed_at,
            "an unchanged secret does not move password-updated-at"
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    let (status, body) = app
        .send(
            Method::PATCH,
            "/passwords",
            json!({"data": [{"type": "passwords", "attributes": {"id": id, "password": "same-secret"}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"][0]["attributes"]["password-updated-at"],
        changed_at
    );
    assert_eq!(version_count(&app, id).await, 0, "no version for a re-send");

    // A new OTP secret beside the same password keeps a version, but the
    // password did not change.
    let body = patch_password(
        &app,
        id,
        json!({"password": "same-secret", "otp-secret": "KRSXG5CTMVRXEZLUKRSXG5CT"}),
    )
    .await;
    assert_eq!(
        body["data"]["attributes"]["password-updated-at"],
        changed_at
    );
    assert_eq!(version_count(&app, id).await, 1);
    // Clearing the OTP secret is a change; clearing it again is not.
    patch_password(&app, id, json!({"otp-secret": null})).await;
    patch_password(&app, id, json!({"otp-secret": null})).await;
    assert_eq!(version_count(&app, id).await, 2);

    let body = patch_password(&app, id, json!({"password": "other-secret"})).await;
    assert_ne!(
        body["data"]["attributes"]["password-updated-at"],
        changed_at
    );
    assert_eq!(version_count(&app, id).await, 3);
    let (_, body) = app.get(&format!("/passwords/{id}")).await;
    assert_eq!(body["data"]["attributes"]["password"], "other-secret");
    assert!(body["data"]["attributes"]["otp-secret"].is_null());
}

async fn password_named(app: &TestApp, id: i64) -> (String, String) {
    let (status, body) = app.get(&format!("/passwords/{id}")).await;
    assert_eq!(status, 200, "{body}");
    let attributes = &body["data"]["attributes"];
    (
        attributes["name"].as_str().unwrap().to_string(),
        attributes["password"].as_str().unwrap().to_string(),
    )
}

async fn nested_and_bulk_password_routes_serve_the_owner(app: TestApp) {
    let org = owner_org(&app).await;
    let frog = app
        .create("/organizations", json!({"name": "Happy Frog"}))
        .await;
    let nested = format!("/organizations/{org}/relationships/passwords");
    let (a, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "A", "password": "secret-a"}),
    )
    .await;
    let (b, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "B", "password": "secret-b"}),
    )
    .await;

    // Nested show reveals like show, and only under the record's organization.
    let (status, body) = app.get(&format!("{nested}/{a}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["password"], "secret-a");
    assert_eq!(logs_for(&app, a).await, vec!["create", "show"]);
    let (status, _) = app
        .get(&format!(
            "/organizations/{frog}/relationships/passwords/{a}"
        ))
        .await;
    assert_eq!(status, 404, "not under another organization");

    // Nested update.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("{nested}/{a}"),
            json!({"data": {"type": "passwords", "attributes": {"name": "A2", "password": "secret-a2"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["name"], "A2");
    assert!(body["data"]["attributes"].get("password").is_none());
    assert_eq!(
        password_named(&app, a).await,
        ("A2".into(), "secret-a2".into())
    );
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/organizations/{frog}/relationships/passwords/{a}"),
            json!({"data": {"type": "passwords", "attributes": {"name": "moved"}}}),
        )
        .await;
    assert_eq!(status, 404);

    // Bulk update: an array of records with ids.
    let (status, body) = app
        .send(
            Method::PATCH,
            "/passwords",
            json!({"data": [
                {"type": "passwords", "attributes": {"id": a, "name": "A3"}},
                {"type": "passwords", "id": b.to_string(), "attributes": {"password": "secret-b2"}}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(
        !body.to_string().contains("secret-b2"),
        "no reveal by default"
    );
    assert_eq!(
        password_named(&app, a).await,
        ("A3".into(), "secret-a2".into())
    );
    assert_eq!(
        password_named(&app, b).await,
        ("B".into(), "secret-b2".into())
    );
    // A key without password access sending a password: 403, nothing changes.
    let (status, body) = app
        .send_as(
            &app.plain_key,
            Method::PATCH,
            "/passwords",
            json!({"data": [
                {"type": "passwords", "attributes": {"id": a, "name": "plain"}},
                {"type": "passwords", "attributes": {"id": b, "password": "plain-secret"}}
            ]}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    // One unknown id: nothing changes.
    let (status, body) = app
        .send(
            Method::PATCH,
            "/passwords",
            json!({"data": [
                {"type": "passwords", "attributes": {"id": a, "name": "partial"}},
                {"type": "passwords", "attributes": {"id": 999_999, "name": "ghost"}}
            ]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        password_named(&app, a).await,
        ("A3".into(), "secret-a2".into())
    );
    assert_eq!(
        password_named(&app, b).await,
        ("B".into(), "secret-b2".into())
    );

    // An array to the top-level create is refused (bulk create is nested).
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords",
            json!({"data": [{"type": "passwords", "attributes": {"organization-id": org, "name": "X", "password": "p"}}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // Top-level bulk delete by data, then a nested delete without a body.
    let (c, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "C", "password": "secret-c"}),
    )
    .await;
    let (status, body) = app
        .send(
            Method::DELETE,
            "/passwords",
            json!({"data": [{"type": "passwords", "attributes": {"id": a}}, {"type": "passwords", "id": b.to_string()}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut deleted: Vec<String> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    deleted.sort();
    let mut expected = vec![a.to_string(), b.to_string()];
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(
        !body.to_string().contains("secret-"),
        "no secrets in deletes"
    );
    let (status, body) = read(
        app.request(Method::DELETE, &format!("{nested}/{c}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(body.is_null());
    let (_, body) = app.get("/passwords").await;
    assert_eq!(body["meta"]["total-count"], 0);
}

async fn nested_and_bulk_password_routes_hide_records_of_other_accounts(app: TestApp) {
    let org = owner_org(&app).await;
    let nested = format!("/organizations/{org}/relationships/passwords");
    let (id, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Mine", "password": "mine-only"}),
    )
    .await;
    let other = app.other_key.clone();
    assert_eq!(app.get_as(&other, &format!("{nested}/{id}")).await.0, 404);
    assert_eq!(app.get_as(&other, &nested).await.0, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            &format!("{nested}/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"name": "theirs", "password": "owned"}}}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::PATCH,
            "/passwords",
            json!({"data": [{"type": "passwords", "attributes": {"id": id, "password": "owned"}}]}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::DELETE,
            "/passwords",
            json!({"data": [{"type": "passwords", "attributes": {"id": id}}]}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::DELETE,
            &format!("{nested}/{id}"),
            json!({"data": [{"type": "passwords", "attributes": {"id": id}}]}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = read(
        app.request_as(&other, Method::DELETE, &format!("{nested}/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_as(
            &other,
            Method::POST,
            &nested,
            json!({"data": [{"type": "passwords", "attributes": {"name": "Plant", "password": "p"}}]}),
        )
        .await;
    assert_eq!(status, 404);

    assert_eq!(
        password_named(&app, id).await,
        ("Mine".into(), "mine-only".into())
    );
    assert_eq!(
        logs_for(&app, id).await,
        vec!["create", "show"],
        "nothing the other account tried touched the record"
    );
}

fn id_of(body: &Value) -> i64 {
    body["data"]["id"].as_str().unwrap().parse().unwrap()
}

/// The `show` entries of password `id`'s audit trail.
async fn show_entries(app: &TestApp, id: i64) -> usize {
    logs_for(app, id)
        .await
        .iter()
        .filter(|a| *a == "show")
        .count()
}

async fn every_reveal_is_audited_and_keys_without_access_see_no_otp(app: TestApp) {
    let org = owner_org(&app).await;
    let otp = "JBSWY3DPEHPK3PXPJBSWY3DP";
    // Create with show_password=true reveals, and audits that.
    let (status, body) = app
        .send(
            Method::POST,
            "/passwords?show_password=true",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": org, "name": "Tenant admin", "password": "created-shown", "otp-secret": otp}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    assert_eq!(body["data"]["attributes"]["password"], "created-shown");
    assert_eq!(body["data"]["attributes"]["otp-secret"], otp);
    assert_eq!(logs_for(&app, id).await, vec!["create", "show"]);

    // An update without show_password returns no secret and audits no reveal.
    let body = patch_password(&app, id, json!({"password": "updated-hidden"})).await;
    let attributes = body["data"]["attributes"].as_object().unwrap();
    for hidden in [
        "password",
        "otp-secret",
        "otp-code",
        "otp-remaining-seconds",
    ] {
        assert!(!attributes.contains_key(hidden), "{hidden}");
    }
    assert!(!body.to_string().contains("updated-hidden"));
    assert_eq!(logs_for(&app, id).await, vec!["create", "show", "update"]);

    // A version reveal is a reveal.
    let (_, body) = app
        .get(&format!(
            "/passwords/{id}?include=recent_versions&show_password=false"
        ))
        .await;
    let version = body["included"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(show_entries(&app, id).await, 1);
    let (status, body) = app
        .get(&format!("/passwords/{id}?version_id={version}"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["password"], "created-shown");
    assert_eq!(
        logs_for(&app, id).await,
        vec!["create", "show", "update", "show"]
    );

    // The owner sees the OTP; a key without password access sees none of it,
    // on show or in a list that asks for secrets.
    let (_, body) = app.get(&format!("/passwords/{id}")).await;
    assert_eq!(body["data"]["attributes"]["otp-secret"], otp);
    assert!(body["data"]["attributes"]["otp-code"].is_string());
    let shows = show_entries(&app, id).await;
    let plain = app.plain_key.clone();
    for route in [
        format!("/passwords/{id}"),
        format!("/passwords/{id}?show_password=true"),
        "/passwords?show_password=true".to_string(),
        format!("/organizations/{org}/relationships/passwords/{id}"),
    ] {
        let (status, body) = app.get_as(&plain, &route).await;
        assert_eq!(status, 200, "{route}: {body}");
        let text = body.to_string();
        for hidden in [
            "\"password\"",
            "otp-secret",
            "otp-code",
            "otp-remaining-seconds",
            otp,
            "updated-hidden",
        ] {
            assert!(!text.contains(hidden), "{route} shows {hidden}");
        }
    }
    assert_eq!(
        show_entries(&app, id).await,
        shows,
        "nothing was revealed, so nothing is audited"
    );

    // The 403 is a JSON:API error that says what is wrong.
    let (status, body) = app
        .send_as(
            &plain,
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"password": "plain-try"}}}),
        )
        .await;
    assert_eq!(status, 403);
    let error = &body["errors"][0];
    assert_eq!(error["status"], "403");
    assert_eq!(error["title"], "Forbidden");
    let detail = error["detail"].as_str().unwrap();
    assert!(
        detail.contains("no password access") && detail.contains("password"),
        "{detail}"
    );
    assert!(!body.to_string().contains("plain-try"));
    let (status, body) = app
        .get_as(&plain, &format!("/passwords/{id}?version_id={version}"))
        .await;
    assert_eq!(status, 403);
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("no password access"));
}

async fn updated_by_and_the_audit_name_the_acting_key(app: TestApp) {
    let org = owner_org(&app).await;
    let (id, body) = create_password(
        &app,
        json!({"organization-id": org, "name": "Hypervisor", "password": "p"}),
    )
    .await;
    assert_eq!(body["data"]["attributes"]["updated-by"], app.key_id);
    let (status, body) = app
        .send_as(
            &app.plain_key,
            Method::PATCH,
            &format!("/passwords/{id}"),
            json!({"data": {"type": "passwords", "attributes": {"username": "root"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["updated-by"], app.plain_key_id);
    let (_, body) = app.get(&format!("/passwords/{id}")).await;
    assert_eq!(
        body["data"]["attributes"]["updated-by"], app.plain_key_id,
        "a read does not change who last wrote"
    );
    patch_password(&app, id, json!({"password": "p2"})).await;
    let (_, body) = app
        .get(&format!("/passwords/{id}?include=recent_versions"))
        .await;
    assert_eq!(body["data"]["attributes"]["updated-by"], app.key_id);
    assert_eq!(
        body["included"][0]["attributes"]["api-key-id"], app.key_id,
        "the version records the key that replaced it"
    );

    let (status, body) = app
        .get(&format!("/passwords/{id}/audit?sort=created_at,id"))
        .await;
    assert_eq!(status, 200, "{body}");
    let who: Vec<(String, i64)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["attributes"]["action"].as_str().unwrap().to_string(),
                e["attributes"]["api-key-id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![
            ("create".to_string(), app.key_id),
            ("update".to_string(), app.plain_key_id),
            ("show".to_string(), app.key_id),
            ("update".to_string(), app.key_id),
            ("show".to_string(), app.key_id),
        ]
    );
    let (_, logs) = app
        .get("/logs?filter[resource_type]=Password&filter[action]=update&sort=created_at,id")
        .await;
    assert_eq!(
        logs["data"][0]["attributes"]["api-key-id"],
        app.plain_key_id
    );

    // Account B's writes name B's key.
    let (_, orgs) = app.get_as(&app.other_key, "/organizations").await;
    let other_org = orgs["data"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .send_as(
            &app.other_key,
            Method::POST,
            "/passwords",
            json!({"data": {"type": "passwords", "attributes": {"organization-id": other_org, "name": "Theirs", "password": "p"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["attributes"]["updated-by"], app.other_key_id);
}

async fn password_includes_and_show_password_spellings(app: TestApp) {
    let org = owner_org(&app).await;
    let cloud = app.catalog_id("/password_categories", "Cloud").await;
    let (id, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Portal", "password": "portal-secret", "password-category-id": cloud}),
    )
    .await;
    let (neighbour, _) = create_password(
        &app,
        json!({"organization-id": org, "name": "Neighbour", "password": "n"}),
    )
    .await;
    let content = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(b"runbook")
    };
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/passwords/{id}/relationships/attachments"),
            json!({"data": {"type": "attachments", "attributes": {"attachment": {"content": content, "file_name": "runbook.txt"}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let attachment = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/passwords/{id}/relationships/related_items"),
            json!({"data": {"type": "related_items", "attributes": {"destination_type": "Password", "destination_id": neighbour}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let related = body["data"]["id"].as_str().unwrap().to_string();

    let (status, body) = app
        .get(&format!(
            "/passwords/{id}?include=password_category,attachments,related_items"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let relationships = &body["data"]["relationships"];
    assert_eq!(
        relationships["password-category"]["data"],
        json!({"type": "password-categories", "id": cloud.to_string()})
    );
    assert_eq!(
        relationships["attachments"]["data"][0]["id"],
        attachment.as_str()
    );
    assert_eq!(
        relationships["related-items"]["data"][0]["id"],
        related.as_str()
    );
    let included = body["included"].as_array().unwrap();
    let category = included
        .iter()
        .find(|r| r["type"] == "password-categories")
        .expect("the category is included");
    assert_eq!(category["id"], cloud.to_string());
    assert_eq!(category["attributes"]["name"], "Cloud");
    assert!(included.iter().any(|r| r["type"] == "attachments"));
    assert!(included.iter().any(|r| r["type"] == "related-items"));
    assert!(
        !body["included"].to_string().contains("portal-secret"),
        "included records carry no secret"
    );
    let (status, body) = app
        .get("/passwords?include=password_category&sort=name")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["included"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["type"] == "password-categories" && r["attributes"]["name"] == "Cloud"));

    // What Mortar does not model is accepted and empty.
    let unmodelled = [
        "network_glue_networks",
        "rotatable_password",
        "updater",
        "user_resource_accesses",
        "group_resource_accesses",
        "authorized_users",
    ];
    let (status, body) = app
        .get(&format!("/passwords/{id}?include={}", unmodelled.join(",")))
        .await;
    assert_eq!(status, 200, "{body}");
    for name in unmodelled {
        let dashed = name.replace('_', "-");
        assert_eq!(
            body["data"]["relationships"][&dashed]["data"],
            json!([]),
            "{name}"
        );
    }
    let (status, _) = app
        .get("/passwords?include=network_glue_networks,updater")
        .await;
    assert_eq!(status, 200);

    // show_password spellings: True and 1 reveal, 0 and False do not.
    let (_, body) = app.get("/passwords?show_password=True&sort=name").await;
    assert_eq!(body["data"][1]["attributes"]["password"], "portal-secret");
    for hidden in ["0", "False", "false"] {
        let (status, body) = app
            .get(&format!("/passwords/{id}?show_password={hidden}"))
            .await;
        assert_eq!(status, 200);
        assert!(
            body["data"]["attributes"].get("password").is_none(),
            "show_password={hidden}"
        );
    }
    let (_, body) = app.get(&format!("/passwords/{id}?show_password=1")).await;
    assert_eq!(body["data"]["attributes"]["password"], "portal-secret");
}

crate::api_tests!(
    show_reveals_the_password_and_audits_it,
    keys_without_password_access_never_see_or_send_secrets,
    lists_reveal_only_on_request_and_audit_each_record,
    no_plaintext_secret_reaches_the_database,
    secrets_moved_or_tampered_in_the_database_do_not_open,
    versions_keep_every_previous_secret,
    otp_secrets_give_current_codes,
    passwords_filter_sort_and_count_in_categories,
    embedded_passwords_need_both_resource_fields,
    embedded_passwords_follow_their_record,
    other_accounts_cannot_reach_passwords,
    the_generator_draws_passwords_to_order,
    a_missing_or_wrong_master_key_refuses_to_start,
    rotation_rewraps_every_key_and_retires_the_old_one,
    an_interrupted_rotation_leaves_the_vault_readable,
    an_interrupted_env_key_rotation_leaves_the_vault_readable,
    resending_the_same_secret_keeps_no_version_and_keeps_password_updated_at,
    nested_and_bulk_password_routes_serve_the_owner,
    nested_and_bulk_password_routes_hide_records_of_other_accounts,
    every_reveal_is_audited_and_keys_without_access_see_no_otp,
    updated_by_and_the_audit_name_the_acting_key,
    password_includes_and_show_password_spellings,
);
