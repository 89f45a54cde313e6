//! Users, groups and roles: `GET /users` with the reference's filters and
//! sorts, `PATCH /users/:id` (names and avatar only), read-only groups with
//! their members, organizations' `filter[group_id]`, and what each role
//! may do through a key that acts for a user.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

use mortar::roles::Role;
use mortar::store::{AccountSummary, NewUser};

use crate::helpers::{ids, TestApp};

/// The smallest PNG: one transparent pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// Makes a user of `account`; their id.
async fn user(app: &TestApp, account: &AccountSummary, email: &str, name: &str, role: Role) -> i64 {
    let (first, last) = name.split_once(' ').unwrap();
    let user = NewUser {
        email,
        first_name: first,
        last_name: last,
        role,
    };
    app.store
        .create_user(account, &user, Some("correct horse battery"))
        .await
        .unwrap()
        .id
}

fn emails(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["attributes"]["email"].as_str().unwrap().to_string())
        .collect()
}

async fn users_are_listed_filtered_and_sorted_as_the_reference_says(app: TestApp) {
    let account = app.account.clone();
    let ann = user(
        &app,
        &account,
        "Ann.Lee@example.com",
        "Ann Lee",
        Role::Editor,
    )
    .await;
    user(&app, &account, "bo@example.com", "Bo Zed", Role::Lite).await;
    user(&app, &account, "cy@example.com", "Cy Abe", Role::ReadOnly).await;
    let (other, _) = app.store.ensure_account(Some("Rival IT")).await.unwrap();
    user(
        &app,
        &other,
        "spy@rival.example",
        "Spy Vee",
        Role::Administrator,
    )
    .await;

    let (status, body) = app.get("/users?sort=name").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        emails(&body),
        ["Ann.Lee@example.com", "bo@example.com", "cy@example.com"],
        "another account's users never show"
    );
    let first = &body["data"][0];
    assert_eq!(first["type"], "users");
    assert_eq!(first["id"], ann.to_string());
    let a = &first["attributes"];
    assert_eq!(a["first-name"], "Ann");
    assert_eq!(a["last-name"], "Lee");
    assert_eq!(a["role-name"], "Editor");
    assert_eq!(a["avatar"], "", "no avatar is an empty string");
    assert_eq!(a["reputation"], 0);
    assert_eq!(a["my-glue"], false);
    assert!(a["invitation-sent-at"].is_string(), "{a}");
    for absent in [
        "current-sign-in-at",
        "current-sign-in-ip",
        "last-sign-in-at",
    ] {
        assert!(a[absent].is_null(), "{absent}: {a}");
    }
    assert!(a.get("password-hash").is_none() && a.get("email-key").is_none());

    let (_, body) = app.get("/users?sort=-email").await;
    assert_eq!(
        emails(&body),
        ["cy@example.com", "bo@example.com", "Ann.Lee@example.com"]
    );
    // `name` is "first last"; email matches in any case.
    let (_, body) = app.get("/users?filter[name]=Bo%20Zed").await;
    assert_eq!(emails(&body), ["bo@example.com"]);
    let (_, body) = app.get("/users?filter[email]=ANN.LEE@EXAMPLE.COM").await;
    assert_eq!(ids(&body), [ann]);
    let (_, body) = app.get("/users?filter[role_name]=Read-only").await;
    assert_eq!(emails(&body), ["cy@example.com"]);
    let (_, body) = app.get("/users?filter[salesforce_id]=42").await;
    assert_eq!(ids(&body), Vec::<i64>::new());
    let (status, body) = app.get("/users?sort=role_name").await;
    assert_eq!(status, 400, "{body}");

    // Users are made from the command line, never through the API.
    let (status, _) = app
        .send(
            Method::POST,
            "/users",
            json!({"data": {"type": "users", "attributes": {"email": "new@example.com"}}}),
        )
        .await;
    assert!(status == 404 || status == 405, "{status}");
    let (status, _) = app
        .send(Method::DELETE, &format!("/users/{ann}"), json!({}))
        .await;
    assert!(status == 404 || status == 405, "{status}");
    let (status, _) = app.get_as(&app.other_key, &format!("/users/{ann}")).await;
    assert_eq!(status, 404, "another account's user is not found");
}

async fn a_patch_changes_names_and_the_avatar_and_nothing_else(app: TestApp) {
    let account = app.account.clone();
    let id = user(&app, &account, "ann@example.com", "Ann Lee", Role::Editor).await;
    let path = format!("/users/{id}");
    let patch = |attributes: Value| json!({"data": {"type": "users", "attributes": attributes}});

    let (status, body) = app
        .send(
            Method::PATCH,
            &path,
            patch(json!({"first-name": "Anne", "email": "evil@example.com",
                         "role-name": "Administrator", "reputation": 1000})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let a = &body["data"]["attributes"];
    assert_eq!(a["first-name"], "Anne");
    assert_eq!(a["last-name"], "Lee");
    assert_eq!(a["email"], "ann@example.com", "email is not writable");
    assert_eq!(a["role-name"], "Editor", "the role is not writable");
    assert_eq!(a["reputation"], 0);
    let (_, body) = app.get("/users?filter[name]=Anne%20Lee").await;
    assert_eq!(ids(&body), [id], "the name filter follows the names");

    // An avatar: a base64 image, its type from the bytes.
    let content = base64::engine::general_purpose::STANDARD.encode(PNG);
    let (status, body) = app
        .send(
            Method::PATCH,
            &path,
            patch(json!({"avatar": {"content": content, "file_name": "me.png"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let url = body["data"]["attributes"]["avatar"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.ends_with(&format!("/users/{id}/avatar")), "{url}");
    let response = app
        .request(Method::GET, &format!("/users/{id}/avatar"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);
    let (status, _) = app
        .get_as(&app.other_key, &format!("/users/{id}/avatar"))
        .await;
    assert_eq!(status, 404, "another account cannot fetch it");

    // Not an image, not base64, too large: 422 naming the content; nothing changes.
    let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7\n1 0 obj\n");
    let big = base64::engine::general_purpose::STANDARD.encode(
        PNG.iter()
            .copied()
            .chain(std::iter::repeat_n(0u8, 1024 * 1024))
            .collect::<Vec<u8>>(),
    );
    for (content, says) in [
        (json!(pdf), "application/pdf, not an image"),
        (json!("not base64!"), "not strict base64"),
        (json!(big), "too large"),
    ] {
        let (status, body) = app
            .send(
                Method::PATCH,
                &path,
                patch(json!({"last-name": "Changed", "avatar": {"content": content, "file_name": "x.png"}})),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let error = &body["errors"][0];
        assert_eq!(
            error["source"]["pointer"],
            "/data/attributes/avatar/content"
        );
        assert!(error["detail"].as_str().unwrap().contains(says), "{error}");
    }
    let (_, body) = app.get(&path).await;
    assert_eq!(body["data"]["attributes"]["last-name"], "Lee");
    assert_eq!(body["data"]["attributes"]["avatar"], url.as_str());

    // `{}` removes it.
    let (status, body) = app
        .send(Method::PATCH, &path, patch(json!({"avatar": {}})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["avatar"], "");
    let (status, _) = app.get(&format!("/users/{id}/avatar")).await;
    assert_eq!(status, 404);
}

async fn groups_are_read_only_with_their_members_and_organizations(app: TestApp) {
    let account = app.account.clone();
    let ann = user(&app, &account, "ann@example.com", "Ann Lee", Role::Editor).await;
    let bo = user(&app, &account, "bo@example.com", "Bo Zed", Role::Lite).await;
    let techs = app
        .store
        .create_group(&account, "Technicians", &[ann, bo])
        .await
        .unwrap();
    let empty = app
        .store
        .create_group(&account, "Empty", &[])
        .await
        .unwrap();
    let (other, _) = app.store.ensure_account(Some("Rival IT")).await.unwrap();
    app.store
        .create_group(&other, "Technicians", &[])
        .await
        .unwrap();
    let client = app.create("/organizations", json!({"name": "Frog"})).await;
    app.create("/organizations", json!({"name": "Toad"})).await;
    assert!(app
        .store
        .set_group_organization(&account, techs, client, true)
        .await
        .unwrap());

    let (status, body) = app.get("/groups?sort=name").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [empty, techs], "only the account's groups");
    let (_, body) = app
        .get("/groups?filter[name]=Technicians&include=users")
        .await;
    assert_eq!(ids(&body), [techs]);
    let members: Vec<&str> = body["data"][0]["relationships"]["users"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(members, [ann.to_string(), bo.to_string()]);
    let included: Vec<&str> = body["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["attributes"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(included, ["ann@example.com", "bo@example.com"]);
    let (status, body) = app.get(&format!("/groups/{empty}?include=users")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["relationships"]["users"]["data"], json!([]));

    let (status, _) = app
        .send(
            Method::POST,
            "/groups",
            json!({"data": {"type": "groups", "attributes": {"name": "New"}}}),
        )
        .await;
    assert!(status == 404 || status == 405, "{status}");

    let (status, body) = app
        .get(&format!("/organizations?filter[group_id]={techs}"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [client]);
    let (_, body) = app
        .get(&format!("/organizations?filter[group_id]={empty}"))
        .await;
    assert_eq!(ids(&body), Vec::<i64>::new());
    let (status, _) = app.get("/organizations?filter[group_id]=x").await;
    assert_eq!(status, 400);
}

/// Creates an organization with `key`; the status.
async fn try_create_organization(app: &TestApp, key: &str, name: &str) -> (u16, Value) {
    app.send_as(
        key,
        Method::POST,
        "/organizations",
        json!({"data": {"type": "organizations", "attributes": {"name": name}}}),
    )
    .await
}

async fn each_role_may_do_what_its_row_of_the_table_says(app: TestApp) {
    let account = app.account.clone();
    let mut keys = std::collections::HashMap::new();
    let mut users = std::collections::HashMap::new();
    for role in Role::ALL {
        let email = format!("{}@example.com", role.name().to_lowercase());
        let id = user(&app, &account, &email, "Some One", role).await;
        users.insert(role, id);
        keys.insert(role, app.key_for_user(id).await);
    }
    let org = app.create("/organizations", json!({"name": "Frog"})).await;
    let password = app
        .create(
            "/passwords",
            json!({"name": "Router", "organization-id": org, "password": "s3cret!"}),
        )
        .await;

    for role in Role::ALL {
        let key = &keys[&role];
        // Everyone reads.
        let (status, body) = app.get_as(key, &format!("/organizations/{org}")).await;
        assert_eq!(status, 200, "{role}: {body}");
        // Passwords: every role but Read-only sees the value.
        let (status, body) = app.get_as(key, &format!("/passwords/{password}")).await;
        assert_eq!(status, 200, "{role}: {body}");
        let shown = body["data"]["attributes"]["password"] == "s3cret!";
        assert_eq!(shown, role != Role::ReadOnly, "{role}: {body}");

        // Create and edit documentation.
        let (status, body) = try_create_organization(&app, key, &format!("By {role}")).await;
        let writes = !matches!(role, Role::Lite | Role::ReadOnly);
        assert_eq!(status, if writes { 201 } else { 403 }, "{role}: {body}");
        if !writes {
            assert_eq!(body["errors"][0]["code"], "forbidden", "{body}");
            assert!(
                body["errors"][0]["detail"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("the {role} role may not create organizations")),
                "{body}"
            );
        }
        // Delete documentation.
        let doomed = app
            .create("/organizations", json!({"name": format!("Doomed {role}")}))
            .await;
        let (status, body) = app
            .send_as(
                key,
                Method::DELETE,
                "/organizations",
                json!({"data": [{"type": "organizations", "attributes": {"id": doomed}}]}),
            )
            .await;
        let deletes = matches!(role, Role::Administrator | Role::Manager | Role::Editor);
        assert_eq!(status, if deletes { 200 } else { 403 }, "{role}: {body}");
        let (status, _) = app.get(&format!("/organizations/{doomed}")).await;
        assert_eq!(status, if deletes { 404 } else { 200 }, "{role}");

        // Account settings: Administrators and Managers only.
        let (status, body) = app
            .send_as(
                key,
                Method::POST,
                "/contact_types",
                json!({"data": {"type": "contact-types", "attributes": {"name": format!("Type {role}")}}}),
            )
            .await;
        let settings = matches!(role, Role::Administrator | Role::Manager);
        assert_eq!(status, if settings { 201 } else { 403 }, "{role}: {body}");

        // Users edit their own profile; only an Administrator edits others'.
        let own = users[&role];
        let other = users[&Role::Lite];
        for (target, allowed) in [
            (own, true),
            (other, role == Role::Administrator || own == other),
        ] {
            let (status, body) = app
                .send_as(
                    key,
                    Method::PATCH,
                    &format!("/users/{target}"),
                    json!({"data": {"type": "users", "attributes": {"last-name": format!("By {role}")}}}),
                )
                .await;
            assert_eq!(
                status,
                if allowed { 200 } else { 403 },
                "{role} on {target}: {body}"
            );
        }
    }

    // A forbidden write changed nothing.
    let (_, body) = app.get("/organizations?filter[name]=By%20Lite").await;
    assert_eq!(ids(&body), Vec::<i64>::new());

    // The activity log names the user who acted through their key.
    let (_, body) = app
        .get("/logs?filter[resource_type]=Organization&filter[action]=create")
        .await;
    let editor = users[&Role::Editor];
    assert!(
        body["data"].as_array().unwrap().iter().any(|entry| {
            entry["attributes"]["user-id"] == editor
                && entry["attributes"]["resource-name"] == "By Editor"
        }),
        "{body}"
    );
}

async fn a_disabled_users_keys_are_refused_and_a_role_change_applies(app: TestApp) {
    let account = app.account.clone();
    let id = user(&app, &account, "ann@example.com", "Ann Lee", Role::ReadOnly).await;
    // Keys not yet used, so no cached grant hides the change.
    let first = app.key_for_user(id).await;
    let second = app.key_for_user(id).await;
    let (status, _) = try_create_organization(&app, &first, "Before").await;
    assert_eq!(status, 403);
    app.store
        .set_user_role(account.scope(), id, Role::Creator)
        .await
        .unwrap();
    let (status, body) = try_create_organization(&app, &second, "After").await;
    assert_eq!(status, 201, "{body}");
    let third = app.key_for_user(id).await;
    app.store
        .set_user_disabled(account.scope(), id, true)
        .await
        .unwrap();
    let (status, body) = app.get_as(&third, "/organizations").await;
    assert_eq!(status, 403, "{body}");
}

crate::api_tests!(
    users_are_listed_filtered_and_sorted_as_the_reference_says,
    a_patch_changes_names_and_the_avatar_and_nothing_else,
    groups_are_read_only_with_their_members_and_organizations,
    each_role_may_do_what_its_row_of_the_table_says,
    a_disabled_users_keys_are_refused_and_a_role_change_applies,
);
