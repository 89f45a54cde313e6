//! The web interface in a real browser (headless Chromium driven through
//! ChromeDriver): first sign-in with TOTP enrolment, browsing an
//! organization to a configuration, search finding a record made seconds
//! earlier, a password revealed and audited, stored hostile HTML that does
//! not run, sign-out and the second factor at the next sign-in; then a
//! Read-only user without the Reveal control whose forged POST is refused,
//! a form without its CSRF token refused, and an idle session ended.
//!
//! Without chromedriver (`apt-get install chromium chromium-driver`) these
//! tests say so and pass, unless `CI` is set: there they fail. With
//! `MORTAR_SCREENSHOTS=DIR`, each step's page is saved there as a PNG.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// A chromedriver process, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver on a free port; `None` (a skip) when it is missing
/// outside CI.
async fn driver() -> Option<Driver> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(error) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the browser tests need chromedriver (apt-get install chromium chromium-driver): {error}"
            );
            eprintln!("skipped: the browser tests need chromedriver: {error}");
            return None;
        }
    };
    let driver = Driver { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(driver)
}

/// A headless Chromium session.
async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ];
    if std::env::var("MORTAR_SCREENSHOT_WIDTH").as_deref() == Ok("phone") {
        args.pop();
        args.push("--window-size=412,900");
    }
    let mut options = json!({ "args": args });
    if let Ok(binary) = std::env::var("CHROMIUM") {
        options["binary"] = json!(binary);
    } else if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    capabilities.insert("goog:chromeOptions".into(), options);
    // ChromeDriver is on loopback: plain HTTP, no TLS stack.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// Saves the page as `DIR/<name>.png` when `MORTAR_SCREENSHOTS=DIR`.
async fn snap(browser: &Client, name: &str) {
    if let Ok(dir) = std::env::var("MORTAR_SCREENSHOTS") {
        let png = browser.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser.find(Locator::Css(css)).await.expect(css);
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Marks the current document, so [`until_next_page`] sees it replaced.
async fn mark_page(browser: &Client) {
    browser
        .execute("window.__mortarOld = true;", vec![])
        .await
        .unwrap();
}

/// Waits until the marked document is replaced by the next one (a form's
/// answer or a link's page, redirects followed) and has loaded.
async fn until_next_page(browser: &Client) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let state = browser
            .execute(
                "return (window.__mortarOld ? 'old' : document.readyState);",
                vec![],
            )
            .await;
        if matches!(state, Ok(ref v) if v == "complete") {
            return;
        }
        assert!(Instant::now() < deadline, "the next page never came");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Clicks what `css` finds and waits for the page it leads to.
async fn click(browser: &Client, css: &str) {
    mark_page(browser).await;
    let Ok(target) = browser.find(Locator::Css(css)).await else {
        panic!("{css} is not on the page: {}", text(browser).await);
    };
    target.click().await.unwrap();
    until_next_page(browser).await;
}

/// Follows the link with `text` and waits for its page.
async fn click_link(browser: &Client, text: &str) {
    mark_page(browser).await;
    browser
        .find(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("link {text:?}: {e}"))
        .click()
        .await
        .unwrap();
    until_next_page(browser).await;
}

async fn path(browser: &Client) -> String {
    let url = browser.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

async fn text(browser: &Client) -> String {
    browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The browser's session cookie.
async fn session_cookie(browser: &Client) -> String {
    browser
        .get_named_cookie("mortar_session")
        .await
        .unwrap()
        .value()
        .to_string()
}

/// GET `url` outside the browser with its session (a download).
async fn get_signed(browser: &Client, url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header(
            "cookie",
            format!("mortar_session={}", session_cookie(browser).await),
        )
        .send()
        .await
        .unwrap()
}

/// The session's CSRF token, from the page's first form.
async fn csrf_token(browser: &Client) -> String {
    browser
        .find(Locator::Css("input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap()
}

/// POSTs `form` to `url` outside the browser with its session (a forged
/// form); redirects are not followed.
async fn post_with_session(
    browser: &Client,
    url: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(url)
        .header(
            "cookie",
            format!("mortar_session={}", session_cookie(browser).await),
        )
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The current code of a base32 TOTP secret.
fn totp_now(secret: &str) -> String {
    let secret = mortar::vault::totp::decode_secret(secret).expect("a base32 secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    mortar::vault::totp::code(&secret, now).0
}

/// A user of account A with a known password.
async fn user(app: &TestApp, email: &str, role: mortar::roles::Role) -> i64 {
    app.store
        .create_user(
            &app.account,
            &mortar::store::NewUser {
                email,
                first_name: "Dana",
                last_name: "Okafor",
                role,
            },
            Some(PASSWORD),
        )
        .await
        .expect("a user")
        .id
}

const PASSWORD: &str = "correct horse battery";

/// A 1 x 1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

async fn sign_in(browser: &Client, base: &str, email: &str) {
    browser.goto(&format!("{base}/ui/sign_in")).await.unwrap();
    fill(browser, "#email", email).await;
    fill(browser, "#password", PASSWORD).await;
    click(browser, "form.card button[type=submit]").await;
    let error = browser.find(Locator::Css(".error")).await;
    if let Ok(error) = error {
        panic!("sign-in refused: {}", error.text().await.unwrap());
    }
}

async fn an_administrator_signs_in_browses_searches_and_reveals(backend: Backend) {
    let Some(driver) = driver().await else {
        return;
    };
    // With job workers, so an export is built.
    let app = TestApp::spawn_with_workers(backend, |args| args.jobs.job_poll_ms = 25).await;
    let base = app.base.clone();
    let admin = user(&app, "dana@msp.test", mortar::roles::Role::Administrator).await;
    let browser = browser(&driver).await;

    // A browser at / is led to sign in.
    browser.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(path(&browser).await, "/ui/sign_in");
    snap(&browser, "01-sign-in").await;

    // A wrong password is refused with a message; the right one leads an
    // Administrator to enrol a second factor.
    browser.goto(&format!("{base}/ui/sign_in")).await.unwrap();
    fill(&browser, "#email", "dana@msp.test").await;
    fill(&browser, "#password", "not the password").await;
    click(&browser, "form.card button[type=submit]").await;
    assert!(text(&browser)
        .await
        .contains("The email or the password is not right."));
    sign_in(&browser, &base, "dana@msp.test").await;
    assert_eq!(path(&browser).await, "/ui/enrol");
    snap(&browser, "02-enrol").await;
    let secret = browser
        .find(Locator::Css("#totp-secret"))
        .await
        .unwrap()
        .attr("data-secret")
        .await
        .unwrap()
        .expect("the secret is shown as text too");
    assert!(
        browser.find(Locator::Css("figure.qr svg")).await.is_ok(),
        "a QR code"
    );
    fill(&browser, "#code", "000000").await;
    click(&browser, "form.card button[type=submit]").await;
    assert!(text(&browser).await.contains("That code is not right."));
    fill(&browser, "#code", &totp_now(&secret)).await;
    click(&browser, "form.card button[type=submit]").await;
    assert_eq!(path(&browser).await, "/ui/organizations?done=enrolled");
    assert!(text(&browser)
        .await
        .contains("Two-factor sign-in is set up."));

    // Records made through the API appear at once.
    let org = app
        .create(
            "/organizations",
            json!({"name": "Northwind Traders", "alert": "Call before any change"}),
        )
        .await;
    let firewall_type = app.catalog_id("/configuration_types", "Firewall").await;
    let firewall = app
        .create(
            "/configurations",
            json!({"organization-id": org, "configuration-type-id": firewall_type,
                "name": "fw01-northwind", "hostname": "fw01.northwind.test", "primary-ip": "10.20.30.1"}),
        )
        .await;
    let password = app
        .create(
            "/passwords",
            json!({"organization-id": org, "name": "Firewall admin", "username": "netadmin",
                "password": "tangerine-rocket-42"}),
        )
        .await;
    let hostile = app
        .create(
            "/documents",
            json!({"organization-id": org, "name": "Hostile runbook",
                "content": "<p>Runbook text</p><img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"}),
        )
        .await;

    // Organization -> its configurations -> the configuration.
    browser
        .goto(&format!("{base}/ui/organizations"))
        .await
        .unwrap();
    snap(&browser, "03-organizations").await;
    click_link(&browser, "Northwind Traders").await;
    assert_eq!(path(&browser).await, format!("/ui/organizations/{org}"));
    let page = text(&browser).await;
    assert!(page.contains("Call before any change"), "the alert banner");
    snap(&browser, "04-organization").await;
    click(
        &browser,
        &format!("a[href='/ui/organizations/{org}/configurations']"),
    )
    .await;
    snap(&browser, "05-configurations").await;
    click_link(&browser, "fw01-northwind").await;
    assert_eq!(
        path(&browser).await,
        format!("/ui/records/configurations/{firewall}")
    );
    assert!(text(&browser).await.contains("fw01.northwind.test"));
    snap(&browser, "06-configuration").await;

    // Files attached through the page: a text file downloads byte for
    // byte, an image is previewed inline.
    let files = tempfile::tempdir().unwrap();
    let text_file = files.path().join("runbook.txt");
    std::fs::write(
        &text_file,
        b"restart the VPN service, then check the tunnel\n",
    )
    .unwrap();
    let image_file = files.path().join("rack.png");
    std::fs::write(&image_file, PNG).unwrap();
    for file in [&text_file, &image_file] {
        browser
            .find(Locator::Css("#upload-file"))
            .await
            .unwrap()
            .send_keys(file.to_str().unwrap())
            .await
            .unwrap();
        click(&browser, "form.upload button[type=submit]").await;
        assert!(text(&browser).await.contains("Uploaded."));
    }
    snap(&browser, "06e-attachments").await;
    // The preview's width once it has loaded (or failed to): the page can
    // answer before the image has arrived.
    let loaded = browser
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             const img = document.querySelector('img.preview'); \
             if (!img) { done(-1); } \
             else if (img.complete) { done(img.naturalWidth); } \
             else { img.addEventListener('load', () => done(img.naturalWidth)); \
                    img.addEventListener('error', () => done(0)); }",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(loaded, json!(1), "the image preview loads");
    let href = browser
        .find(Locator::LinkText("runbook.txt"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let downloaded = get_signed(&browser, &format!("{base}{href}")).await;
    assert_eq!(downloaded.status(), 200);
    assert!(downloaded.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(
        downloaded.bytes().await.unwrap().as_ref(),
        b"restart the VPN service, then check the tunnel\n"
    );

    // A configuration made through its form: a missing name is shown
    // beside its field and nothing is saved; then it is created.
    click_link(&browser, "Configurations").await;
    click_link(&browser, "New configuration").await;
    snap(&browser, "06b-new-configuration").await;
    browser
        .find(Locator::Css("#field-configuration_type_id"))
        .await
        .unwrap()
        .select_by_label("Firewall")
        .await
        .unwrap();
    fill(&browser, "#field-hostname", "edge2.northwind.test").await;
    click(&browser, "form.record-form button[type=submit]").await;
    let error = browser
        .find(Locator::Css("#field-name-error"))
        .await
        .expect("the problem is shown beside the name")
        .text()
        .await
        .unwrap();
    assert!(error.contains("required"), "{error}");
    snap(&browser, "06c-form-error").await;
    let (_, listed) = app
        .get(&format!("/configurations?filter[organization_id]={org}"))
        .await;
    assert_eq!(listed["meta"]["total-count"], 1, "nothing was saved");
    fill(&browser, "#field-name", "edge-router-2").await;
    click(&browser, "form.record-form button[type=submit]").await;
    assert!(
        path(&browser)
            .await
            .starts_with("/ui/records/configurations/"),
        "{}",
        text(&browser).await
    );
    let page = text(&browser).await;
    assert!(
        page.contains("Created.") && page.contains("edge2.northwind.test"),
        "{page}"
    );
    let (_, listed) = app
        .get(&format!(
            "/configurations?filter[organization_id]={org}&filter[name]=edge-router-2"
        ))
        .await;
    assert_eq!(listed["meta"]["total-count"], 1, "{listed}");
    assert_eq!(
        listed["data"][0]["attributes"]["configuration-type-name"],
        "Firewall"
    );
    // Edited through its form.
    click_link(&browser, "Edit").await;
    fill(&browser, "#field-hostname", "edge2b.northwind.test").await;
    click(&browser, "form.record-form button[type=submit]").await;
    let page = text(&browser).await;
    assert!(
        page.contains("Saved.") && page.contains("edge2b.northwind.test"),
        "{page}"
    );
    assert_eq!(
        app.get(&format!(
            "/configurations/{}",
            listed["data"][0]["id"].as_str().unwrap()
        ))
        .await
        .1["data"]["attributes"]["hostname"],
        "edge2b.northwind.test"
    );

    // A flexible asset through the form its type's fields make: a missing
    // required trait is shown beside its field; a Select, a Tag and a
    // Checkbox are kept as the API keeps them.
    let (status, body) = app
        .send(
            Method::POST,
            "/flexible_asset_types",
            json!({"data": {"type": "flexible_asset_types", "attributes": {"name": "Wireless"},
                "relationships": {"flexible_asset_fields": {"data": [
                    {"type": "flexible_asset_fields", "attributes": {"order": 1, "name": "SSID", "kind": "Text",
                        "required": true, "use-for-title": true, "show-in-list": true}},
                    {"type": "flexible_asset_fields", "attributes": {"order": 2, "name": "Band", "kind": "Select",
                        "default-value": "2.4 GHz\n5 GHz"}},
                    {"type": "flexible_asset_fields", "attributes": {"order": 3, "name": "Access points", "kind": "Tag",
                        "tag-type": "Configurations"}},
                    {"type": "flexible_asset_fields", "attributes": {"order": 4, "name": "Guest", "kind": "Checkbox"}}
                ]}}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    browser
        .goto(&format!("{base}/ui/organizations/{org}/flexible_assets"))
        .await
        .unwrap();
    click_link(&browser, "New Wireless").await;
    click(&browser, "form.record-form button[type=submit]").await;
    let error = browser
        .find(Locator::Css("#trait-ssid-error"))
        .await
        .expect("the problem is shown beside the SSID")
        .text()
        .await
        .unwrap();
    assert!(error.contains("SSID"), "{error}");
    fill(&browser, "#trait-ssid", "NW-Corp").await;
    browser
        .find(Locator::Css("#trait-band"))
        .await
        .unwrap()
        .select_by_label("5 GHz")
        .await
        .unwrap();
    // The Tag picker's box narrows its choices to those it names.
    fill(
        &browser,
        "input[data-filter-for=trait-access-points]",
        "edge",
    )
    .await;
    let shown = browser
        .execute(
            "return Array.from(document.querySelectorAll('#trait-access-points option'))\
               .filter(o => !o.hidden).map(o => o.textContent);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!(["edge-router-2"]));
    fill(&browser, "input[data-filter-for=trait-access-points]", "").await;
    browser
        .find(Locator::Css("#trait-access-points"))
        .await
        .unwrap()
        .select_by_label("fw01-northwind")
        .await
        .unwrap();
    browser
        .find(Locator::Css("#trait-guest"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&browser, "form.record-form button[type=submit]").await;
    let page = text(&browser).await;
    assert!(
        page.contains("Created.") && page.contains("NW-Corp"),
        "{page}"
    );
    snap(&browser, "06d-flexible-asset").await;
    let asset: i64 = path(&browser)
        .await
        .trim_start_matches("/ui/records/flexible_assets/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, shown) = app.get(&format!("/flexible_assets/{asset}")).await;
    let traits = &shown["data"]["attributes"]["traits"];
    assert_eq!(traits["ssid"], "NW-Corp", "{traits}");
    assert_eq!(traits["band"], "5 GHz");
    assert_eq!(traits["guest"], true);
    assert_eq!(
        traits["access-points"]["values"][0]["id"]
            .to_string()
            .trim_matches('"'),
        firewall.to_string(),
        "{traits}"
    );

    // "/" focuses the search box; a record made seconds ago is found.
    let body = browser.find(Locator::Css("body")).await.unwrap();
    body.send_keys("/").await.unwrap();
    let focused = browser
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("q"));
    let fresh = app
        .create(
            "/configurations",
            json!({"organization-id": org, "configuration-type-id": firewall_type, "name": "kestrel-switch-9"}),
        )
        .await;
    mark_page(&browser).await;
    browser
        .find(Locator::Css("#q"))
        .await
        .unwrap()
        .send_keys("kestrel\u{E007}")
        .await
        .unwrap();
    until_next_page(&browser).await;
    assert!(path(&browser).await.starts_with("/ui/search?q=kestrel"));
    click_link(&browser, "kestrel-switch-9").await;
    assert_eq!(
        path(&browser).await,
        format!("/ui/records/configurations/{fresh}")
    );

    // Related items show in both directions; an embedded password on its record.
    let (status, body) = app
        .send(
            Method::POST,
            &format!("/configurations/{firewall}/relationships/related_items"),
            json!({"data": {"type": "related_items", "attributes": {
                "destination_type": "Configuration", "destination_id": fresh, "notes": "uplink"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.create(
        "/passwords",
        json!({"organization-id": org, "name": "Switch console", "password": "x",
            "resource-type": "Configuration", "resource-id": fresh}),
    )
    .await;
    browser.refresh().await.unwrap();
    let page = text(&browser).await;
    assert!(
        page.contains("Switch console"),
        "the embedded password: {page}"
    );
    assert!(
        page.contains("uplink"),
        "the link that names this record: {page}"
    );
    browser
        .goto(&format!("{base}/ui/records/configurations/{firewall}"))
        .await
        .unwrap();
    click_link(&browser, "kestrel-switch-9").await;
    assert_eq!(
        path(&browser).await,
        format!("/ui/records/configurations/{fresh}")
    );

    // A password is masked until revealed; the reveal is audited.
    browser
        .goto(&format!("{base}/ui/records/passwords/{password}"))
        .await
        .unwrap();
    assert!(!text(&browser).await.contains("tangerine-rocket-42"));
    click(&browser, "form[action$='/reveal'] button").await;
    assert!(text(&browser).await.contains("tangerine-rocket-42"));
    snap(&browser, "07-password-revealed").await;
    let (status, audit) = app.get(&format!("/passwords/{password}/audit")).await;
    assert_eq!(status, 200, "{audit}");
    assert!(
        audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| { entry["attributes"]["user-id"] == json!(admin) }),
        "the reveal is in the activity log as the user's: {audit}"
    );

    // After a change, the earlier value is listed and revealed on demand,
    // audited like the current one.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/passwords/{password}"),
            json!({"data": {"type": "passwords", "attributes": {"password": "marmalade-comet-7"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    browser
        .goto(&format!("{base}/ui/records/passwords/{password}"))
        .await
        .unwrap();
    assert!(text(&browser).await.contains("Earlier versions"));
    click(
        &browser,
        "form[action$='/reveal'] input[name=version] ~ button",
    )
    .await;
    let page = text(&browser).await;
    assert!(
        page.contains("tangerine-rocket-42") && page.contains("an earlier value"),
        "{page}"
    );
    assert!(!page.contains("marmalade-comet-7"));
    let (_, audit) = app.get(&format!("/passwords/{password}/audit")).await;
    let reveals = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["attributes"]["user-id"] == json!(admin))
        .count();
    assert!(reveals >= 2, "both reveals are audited: {audit}");

    // Stored hostile HTML is shown sanitised and never runs.
    browser
        .goto(&format!("{base}/ui/records/documents/{hostile}"))
        .await
        .unwrap();
    assert!(text(&browser).await.contains("Runbook text"));
    let title = browser
        .execute("return document.title", vec![])
        .await
        .unwrap();
    assert_ne!(title, json!("pwned"), "the stored script did not run");
    assert!(!browser.source().await.unwrap().contains("onerror"));

    // Archived and restored from its page.
    click(&browser, "form[action$='/archive'] button").await;
    assert!(text(&browser).await.contains("Archived."));
    let (_, shown) = app.get(&format!("/documents/{hostile}")).await;
    assert_eq!(shown["data"]["attributes"]["archived"], true);
    click(&browser, "form[action$='/archive'] button").await;
    assert!(text(&browser).await.contains("Restored."));
    let (_, shown) = app.get(&format!("/documents/{hostile}")).await;
    assert_eq!(shown["data"]["attributes"]["archived"], false);

    // Account settings: a key made with password access is shown once and
    // works with the API, then is revoked; an export is requested, built
    // and downloaded.
    click_link(&browser, "Settings").await;
    fill(&browser, "input[name=name]", "RMM sync").await;
    browser
        .find(Locator::Css("input[name=password_access]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&browser, "form[action='/ui/settings/keys'] button").await;
    let new_key = browser
        .find(Locator::Css("#new-key"))
        .await
        .expect("the new key is shown")
        .text()
        .await
        .unwrap();
    snap(&browser, "09-settings").await;
    let (status, shown) = app
        .get_as(&new_key, &format!("/passwords/{password}"))
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["data"]["attributes"]["password"], "marmalade-comet-7");
    browser.goto(&format!("{base}/ui/settings")).await.unwrap();
    assert!(!text(&browser).await.contains(&new_key), "shown only once");
    mark_page(&browser).await;
    browser
        .find(Locator::XPath("//tr[td[text()='RMM sync']]//button"))
        .await
        .expect("the new key's Revoke")
        .click()
        .await
        .unwrap();
    until_next_page(&browser).await;
    let revoked_at = Instant::now();
    loop {
        let (status, _) = app.get_as(&new_key, "/organizations").await;
        if status == 403 {
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(6),
            "the key still works"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser
        .find(Locator::Css("select[name=organization_id]"))
        .await
        .unwrap()
        .select_by_label("Northwind Traders")
        .await
        .unwrap();
    click(&browser, "form[action='/ui/settings/exports'] button").await;
    let requested = Instant::now();
    let href = loop {
        if let Ok(link) = browser.find(Locator::LinkText("Download")).await {
            break link.attr("href").await.unwrap().unwrap();
        }
        assert!(
            requested.elapsed() < Duration::from_secs(30),
            "the export never finished"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        browser.refresh().await.unwrap();
    };
    let zip = get_signed(&browser, &format!("{base}{href}")).await;
    assert_eq!(zip.status(), 200);
    assert!(zip.bytes().await.unwrap().starts_with(b"PK"), "a zip");

    // Sign out; pages then lead to sign-in; the next sign-in asks for the code.
    click(&browser, "header form[action='/ui/sign_out'] button").await;
    assert_eq!(path(&browser).await, "/ui/sign_in?ended=signed_out");
    browser
        .goto(&format!("{base}/ui/organizations"))
        .await
        .unwrap();
    assert_eq!(path(&browser).await, "/ui/sign_in");
    sign_in(&browser, &base, "dana@msp.test").await;
    assert_eq!(path(&browser).await, "/ui/second_factor");
    browser
        .goto(&format!("{base}/ui/organizations"))
        .await
        .unwrap();
    assert_eq!(
        path(&browser).await,
        "/ui/second_factor",
        "no page before the code"
    );
    fill(&browser, "#code", &totp_now(&secret)).await;
    click(&browser, "form.card button[type=submit]").await;
    assert_eq!(path(&browser).await, "/ui/organizations");
    browser.close().await.unwrap();
}

async fn roles_csrf_and_expiry_are_enforced_on_the_server(backend: Backend) {
    let Some(driver) = driver().await else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let base = app.base.clone();
    user(&app, "rory@msp.test", mortar::roles::Role::ReadOnly).await;
    let org = app
        .create("/organizations", json!({"name": "Contoso"}))
        .await;
    let password = app
        .create(
            "/passwords",
            json!({"organization-id": org, "name": "Wi-Fi", "password": "plum-kettle-7"}),
        )
        .await;
    let browser = browser(&driver).await;

    // A Read-only user needs no second factor and sees no Reveal control.
    sign_in(&browser, &base, "rory@msp.test").await;
    assert_eq!(path(&browser).await, "/ui/organizations");
    browser
        .goto(&format!("{base}/ui/records/passwords/{password}"))
        .await
        .unwrap();
    assert!(browser
        .find(Locator::Css("form[action$='/reveal']"))
        .await
        .is_err());
    assert!(text(&browser)
        .await
        .contains("Your role does not show password values."));
    assert!(
        browser.find(Locator::LinkText("Edit")).await.is_err(),
        "no edit control"
    );
    snap(&browser, "08-read-only-password").await;
    browser
        .goto(&format!("{base}/ui/organizations/{org}/passwords"))
        .await
        .unwrap();
    assert!(browser
        .find(Locator::LinkText("New password"))
        .await
        .is_err());
    assert!(browser.find(Locator::LinkText("Settings")).await.is_err());
    browser.goto(&format!("{base}/ui/settings")).await.unwrap();
    assert!(
        text(&browser).await.contains("may not"),
        "account settings are refused"
    );

    // A forged reveal with the session's own cookie and token is refused
    // (403) and reveals nothing; a form without the token is refused too.
    let csrf = csrf_token(&browser).await;
    let forged = post_with_session(
        &browser,
        &format!("{base}/ui/passwords/{password}/reveal"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert!(!forged.text().await.unwrap().contains("plum-kettle-7"));
    let forged = post_with_session(
        &browser,
        &format!("{base}/ui/organizations/{org}/passwords/new"),
        &[
            ("csrf", csrf.as_str()),
            ("name", "Forged"),
            ("password", "x"),
        ],
    )
    .await;
    assert_eq!(forged.status(), 403, "a forged create");
    let (_, listed) = app.get("/passwords?filter[name]=Forged").await;
    assert_eq!(listed["meta"]["total-count"], 0, "nothing was created");
    let tokenless =
        post_with_session(&browser, &format!("{base}/ui/sign_out"), &[("other", "x")]).await;
    assert_eq!(tokenless.status(), 403, "a form without its CSRF token");
    let (status, audit) = app.get(&format!("/passwords/{password}/audit")).await;
    assert_eq!(status, 200);
    assert!(
        audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["attributes"]["action"] != "show"),
        "nothing was revealed: {audit}"
    );
    let (status, _) = app
        .send(Method::GET, "/organizations", serde_json::Value::Null)
        .await;
    assert_eq!(status, 200);

    // An idle session ends: the next page leads to sign-in and says why.
    let mut sql = app.store.sql();
    sql.push("UPDATE web_sessions SET last_seen_at = last_seen_at - ")
        .bind(2 * 3_600_000_i64);
    app.store.execute(&sql).await.unwrap();
    browser
        .goto(&format!("{base}/ui/organizations"))
        .await
        .unwrap();
    assert_eq!(path(&browser).await, "/ui/sign_in?ended=expired");
    assert!(text(&browser).await.contains("Your session expired."));
    browser.close().await.unwrap();
}

/// A session made through one server is good on another over the same
/// database (as behind a load balancer), and a sign-out through the second
/// ends it on the first.
async fn a_session_works_on_every_server(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "lee@msp.test", mortar::roles::Role::Editor).await;
    let (second, _guard) = app.second_server().await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{}/ui/sign_in", app.base))
        .send()
        .await
        .unwrap();
    let form_cookie = form
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = form.text().await.unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let signed = http
        .post(format!("{}/ui/sign_in", app.base))
        .header("cookie", &form_cookie)
        .form(&[
            ("email", "lee@msp.test"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], "/ui/organizations");
    let session = signed.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let on_second = http
        .get(format!("{second}/ui/organizations"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(on_second.status(), 200);
    let page = on_second.text().await.unwrap();
    assert!(
        page.contains("Dana Okafor"),
        "signed in on the second server too"
    );
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let out = http
        .post(format!("{second}/ui/sign_out"))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let on_first = http
        .get(format!("{}/ui/organizations", app.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(on_first.status(), 303, "signed out everywhere");
    assert_eq!(on_first.headers()["location"], "/ui/sign_in");
}

/// Signs in a new Administrator through their TOTP enrolment.
async fn enrolled(browser: &Client, base: &str, email: &str) {
    sign_in(browser, base, email).await;
    assert_eq!(path(browser).await, "/ui/enrol");
    let secret = browser
        .find(Locator::Css("#totp-secret"))
        .await
        .unwrap()
        .attr("data-secret")
        .await
        .unwrap()
        .unwrap();
    fill(browser, "#code", &totp_now(&secret)).await;
    click(browser, "form.card button[type=submit]").await;
    assert_eq!(path(browser).await, "/ui/organizations?done=enrolled");
}

/// The id at the end of the browser's path (`/ui/records/<kind>/<id>`).
async fn id_in_path(browser: &Client) -> i64 {
    let path = path(browser).await;
    path.split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no id in {path}"))
}

async fn select(browser: &Client, css: &str, label: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("{css} has no {label:?}: {e}"));
}

async fn an_administrator_manages_people_asset_types_uploads_and_copies(backend: Backend) {
    let Some(driver) = driver().await else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let base = app.base.clone();
    let admin = user(&app, "ada@msp.test", mortar::roles::Role::Administrator).await;
    let browser = browser(&driver).await;
    enrolled(&browser, &base, "ada@msp.test").await;

    // Users: one added with a one-time password that signs in, given
    // another role, disabled, then enabled; the Administrator's own role
    // has no control, and a forged change of it is refused.
    click_link(&browser, "Settings").await;
    click_link(&browser, "Users and groups").await;
    fill(&browser, "input[name=email]", "sam@msp.test").await;
    fill(&browser, "input[name=first_name]", "Sam").await;
    fill(&browser, "input[name=last_name]", "Reyes").await;
    select(
        &browser,
        "form[action='/ui/settings/users'] select[name=role]",
        "Editor",
    )
    .await;
    click(&browser, "form[action='/ui/settings/users'] button").await;
    let one_time = browser
        .find(Locator::Css("#new-password"))
        .await
        .expect("the one-time password is shown")
        .text()
        .await
        .unwrap();
    snap(&browser, "10-user-added").await;
    let (_, users) = app.get("/users?filter[email]=sam@msp.test").await;
    assert_eq!(
        users["data"][0]["attributes"]["role-name"], "Editor",
        "{users}"
    );
    let sam: i64 = users["data"][0]["id"].as_str().unwrap().parse().unwrap();
    // The same email again is refused, beside nothing half-made.
    browser
        .goto(&format!("{base}/ui/settings/people"))
        .await
        .unwrap();
    fill(&browser, "input[name=email]", "SAM@msp.test").await;
    fill(&browser, "input[name=first_name]", "Sam").await;
    fill(&browser, "input[name=last_name]", "Again").await;
    click(&browser, "form[action='/ui/settings/users'] button").await;
    assert!(text(&browser).await.contains("already the email of a user"));
    let (_, users) = app.get("/users").await;
    assert_eq!(users["meta"]["total-count"], 2, "{users}");

    select(&browser, &format!("#role-{sam}"), "Read-only").await;
    click(
        &browser,
        &format!("form[action='/ui/settings/users/{sam}/role'] button"),
    )
    .await;
    assert!(text(&browser).await.contains("Saved."));
    let (_, shown) = app.get(&format!("/users/{sam}")).await;
    assert_eq!(shown["data"]["attributes"]["role-name"], "Read-only");
    assert!(
        browser
            .find(Locator::Css(&format!("#role-{admin}")))
            .await
            .is_err(),
        "no control over one's own role"
    );
    let csrf = csrf_token(&browser).await;
    let forged = post_with_session(
        &browser,
        &format!("{base}/ui/settings/users/{admin}/role"),
        &[("csrf", csrf.as_str()), ("role", "Lite")],
    )
    .await;
    assert_eq!(forged.status(), 403, "one's own role is not changed");
    click(
        &browser,
        &format!("form[action='/ui/settings/users/{sam}/disable'] button"),
    )
    .await;
    let row = browser
        .find(Locator::XPath("//tr[td[text()='sam@msp.test']]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("Disabled"), "{row}");
    let second = self::browser(&driver).await;
    second.goto(&format!("{base}/ui/sign_in")).await.unwrap();
    fill(&second, "#email", "sam@msp.test").await;
    fill(&second, "#password", &one_time).await;
    click(&second, "form.card button[type=submit]").await;
    assert_eq!(
        path(&second).await,
        "/ui/sign_in",
        "a disabled user does not sign in"
    );
    click(
        &browser,
        &format!("form[action='/ui/settings/users/{sam}/disable'] button"),
    )
    .await;
    fill(&second, "#email", "sam@msp.test").await;
    fill(&second, "#password", &one_time).await;
    click(&second, "form.card button[type=submit]").await;
    assert_eq!(
        path(&second).await,
        "/ui/organizations",
        "enabled again, the one-time password signs in"
    );
    second.close().await.unwrap();

    // Groups: made, a member added and taken out.
    fill(
        &browser,
        "form[action='/ui/settings/groups'] input[name=name]",
        "Network team",
    )
    .await;
    click(&browser, "form[action='/ui/settings/groups'] button").await;
    select(
        &browser,
        "form[action$='/members'] select[name=user]",
        "Sam Reyes (sam@msp.test)",
    )
    .await;
    click(
        &browser,
        "form[action$='/members'] input[value=true] ~ button",
    )
    .await;
    let (_, groups) = app.get("/groups?include=users").await;
    assert_eq!(
        groups["data"][0]["attributes"]["name"], "Network team",
        "{groups}"
    );
    assert_eq!(
        groups["data"][0]["relationships"]["users"]["data"][0]["id"],
        json!(sam.to_string()),
        "{groups}"
    );
    snap(&browser, "11-users-and-groups").await;
    click(
        &browser,
        "form[action$='/members'] input[value=false] ~ button",
    )
    .await;
    let (_, groups) = app.get("/groups?include=users").await;
    assert_eq!(
        groups["data"][0]["relationships"]["users"]["data"],
        json!([]),
        "{groups}"
    );

    // A flexible asset type made in the interface, its fields added (a
    // field without a name is refused beside the name), changed and deleted.
    browser
        .goto(&format!("{base}/ui/settings/asset_types"))
        .await
        .unwrap();
    click_link(&browser, "New type").await;
    fill(&browser, "#field-name", "Backup job").await;
    fill(&browser, "#field-first_field_name", "Job name").await;
    click(&browser, "form.record-form button[type=submit]").await;
    assert!(
        text(&browser).await.contains("Created."),
        "{}",
        text(&browser).await
    );
    let asset_type = id_in_path(&browser).await;
    click_link(&browser, "Add field").await;
    select(&browser, "#field-kind", "Upload").await;
    click(&browser, "form.record-form button[type=submit]").await;
    let error = browser
        .find(Locator::Css("#field-name-error"))
        .await
        .expect("the problem is shown beside the name")
        .text()
        .await
        .unwrap();
    assert!(error.contains("Name"), "{error}");
    fill(&browser, "#field-name", "Config file").await;
    click(&browser, "form.record-form button[type=submit]").await;
    click_link(&browser, "Add field").await;
    fill(&browser, "#field-name", "Schedule").await;
    select(&browser, "#field-kind", "Select").await;
    fill(&browser, "#field-default_value", "Nightly\nWeekly").await;
    click(&browser, "form.record-form button[type=submit]").await;
    click_link(&browser, "Add field").await;
    fill(&browser, "#field-name", "Scratch").await;
    click(&browser, "form.record-form button[type=submit]").await;
    snap(&browser, "12-asset-type").await;
    // Renamed, then the scratch field deleted.
    let scratch = browser
        .find(Locator::XPath(
            "//tr[td[starts-with(., 'Scratch')]]//a[text()='Edit']",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    browser.goto(&format!("{base}{scratch}")).await.unwrap();
    fill(&browser, "#field-name", "Retention").await;
    click(&browser, "form.record-form button[type=submit]").await;
    assert!(text(&browser).await.contains("Retention"));
    mark_page(&browser).await;
    browser
        .find(Locator::XPath(
            "//tr[td[starts-with(., 'Retention')]]//button",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until_next_page(&browser).await;
    let (_, fields) = app
        .get(&format!(
            "/flexible_asset_types/{asset_type}/relationships/flexible_asset_fields"
        ))
        .await;
    let names: Vec<&str> = fields["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["attributes"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Job name", "Config file", "Schedule"], "{fields}");

    // An asset of the type with a file in its Upload field: the file
    // downloads byte for byte, and a later edit without a new file keeps it.
    let org = app
        .create("/organizations", json!({"name": "Fabrikam"}))
        .await;
    browser
        .goto(&format!("{base}/ui/organizations/{org}/flexible_assets"))
        .await
        .unwrap();
    click_link(&browser, "New Backup job").await;
    fill(&browser, "#trait-job-name", "Nightly SQL").await;
    select(&browser, "#trait-schedule", "Nightly").await;
    let files = tempfile::tempdir().unwrap();
    let config = files.path().join("backup.conf");
    std::fs::write(&config, b"target = s3://backups/sql\nkeep = 30\n").unwrap();
    browser
        .find(Locator::Css("#trait-config-file"))
        .await
        .unwrap()
        .send_keys(config.to_str().unwrap())
        .await
        .unwrap();
    click(&browser, "form.record-form button[type=submit]").await;
    assert!(
        text(&browser).await.contains("Created."),
        "{}",
        text(&browser).await
    );
    let asset = id_in_path(&browser).await;
    let href = browser
        .find(Locator::LinkText("backup.conf"))
        .await
        .expect("the uploaded file on the asset's page")
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let downloaded = get_signed(&browser, &format!("{base}{href}")).await;
    assert_eq!(downloaded.status(), 200);
    assert_eq!(
        downloaded.bytes().await.unwrap().as_ref(),
        b"target = s3://backups/sql\nkeep = 30\n"
    );
    let (_, shown) = app.get(&format!("/flexible_assets/{asset}")).await;
    let file = shown["data"]["attributes"]["traits"]["config-file"]["id"].clone();
    assert!(!file.is_null(), "{shown}");
    click_link(&browser, "Edit").await;
    assert!(text(&browser).await.contains("Now: backup.conf"));
    fill(&browser, "#trait-job-name", "Nightly SQL (all)").await;
    click(&browser, "form.record-form button[type=submit]").await;
    let (_, shown) = app.get(&format!("/flexible_assets/{asset}")).await;
    let traits = &shown["data"]["attributes"]["traits"];
    assert_eq!(traits["job-name"], "Nightly SQL (all)", "{traits}");
    assert_eq!(
        traits["config-file"]["id"], file,
        "the file is kept: {traits}"
    );

    // Copy without a reveal: the value goes to the clipboard through an
    // audited read, which the activity page then lists under the user.
    let password = app
        .create(
            "/passwords",
            json!({"organization-id": org, "name": "Backup console", "password": "saffron-otter-19"}),
        )
        .await;
    browser
        .goto(&format!("{base}/ui/records/passwords/{password}"))
        .await
        .unwrap();
    assert!(!text(&browser).await.contains("saffron-otter-19"));
    browser
        .find(Locator::Css("form[data-copy-password] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let clicked = Instant::now();
    let status = loop {
        let status = browser
            .find(Locator::Css("[data-copy-status]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !status.is_empty() {
            break status;
        }
        assert!(
            clicked.elapsed() < Duration::from_secs(10),
            "Copy never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.starts_with("Copied"), "{status}");
    assert!(
        !text(&browser).await.contains("saffron-otter-19"),
        "a copy does not show the value"
    );
    let (_, audit) = app.get(&format!("/passwords/{password}/audit")).await;
    assert!(
        audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["attributes"]["user-id"] == json!(admin)
                && e["attributes"]["action"] == "show"),
        "the copy is audited as the user's reveal: {audit}"
    );
    click_link(&browser, "Activity").await;
    select(
        &browser,
        "select[name=action]",
        "Password revealed or copied",
    )
    .await;
    select(&browser, "select[name=user]", "Dana Okafor").await;
    click(&browser, "form.filters button").await;
    let rows = browser
        .find(Locator::Css("#activity tbody"))
        .await
        .expect("the activity table")
        .text()
        .await
        .unwrap();
    assert!(
        rows.contains("Backup console") && rows.contains("Dana Okafor"),
        "{rows}"
    );
    assert!(!rows.contains("Nightly SQL"), "only reveals: {rows}");
    snap(&browser, "13-activity").await;
    select(&browser, "select[name=action]", "Deleted").await;
    select(&browser, "select[name=type]", "Passwords").await;
    click(&browser, "form.filters button").await;
    assert!(text(&browser)
        .await
        .contains("Nothing matches these filters."));
    // The people changes are in the log too.
    browser
        .goto(&format!("{base}/ui/activity?type=User&action=update"))
        .await
        .unwrap();
    assert!(text(&browser).await.contains("Sam Reyes"));
    browser.close().await.unwrap();
}

crate::backend_tests!(
    an_administrator_signs_in_browses_searches_and_reveals,
    roles_csrf_and_expiry_are_enforced_on_the_server,
    a_session_works_on_every_server,
    an_administrator_manages_people_asset_types_uploads_and_copies,
);
