//! Signing in and out: email and password, the TOTP second factor and its
//! enrolment with a QR code, throttled per account and per address.

use std::sync::Arc;

use argon2::{PasswordHash, PasswordVerifier as _};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, PreEscaped};
use rand::RngCore as _;
use serde::Deserialize;

use super::session::{self, ClientAddress, NoSession};
use super::{bare_page, respond};
use crate::http::AppState;
use crate::roles::Role;
use crate::store::{email_key, WebSession, WebUser};
use crate::vault::{totp, Place};

/// The cookie that carries the sign-in form's CSRF token before there is a
/// session (a double-submit token).
const FORM_COOKIE: &str = "mortar_sign_in";

/// Failed sign-ins counted over this window (ms).
const THROTTLE_WINDOW_MS: i64 = 15 * 60_000;
/// Failed attempts for one account within the window before it is refused.
const FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed attempts from one address within the window before it is refused.
const FAILURES_PER_ADDRESS: i64 = 20;

/// `?ended=` of the sign-in page: why the last session ended.
#[derive(Deserialize)]
pub struct Ended {
    ended: Option<String>,
}

/// `GET /ui/sign_in`.
pub async fn form(Query(ended): Query<Ended>) -> Response {
    let note = match ended.ended.as_deref() {
        Some("expired") => Some("Your session expired. Sign in again."),
        Some("signed_out") => Some("You are signed out."),
        _ => None,
    };
    sign_in_page(StatusCode::OK, note, None, "")
}

fn sign_in_page(
    status: StatusCode,
    note: Option<&str>,
    error: Option<&str>,
    email: &str,
) -> Response {
    let token = session::new_token();
    let body = html! {
        form.card method="post" action="/ui/sign_in" {
            h2 { "Sign in" }
            @if let Some(note) = note { p.flash role="status" { (note) } }
            @if let Some(error) = error { p.error role="alert" #sign-in-error { (error) } }
            input type="hidden" name="csrf" value=(token);
            label for="email" { "Email" }
            input #email type="email" name="email" value=(email) required autocomplete="username" autofocus;
            label for="password" { "Password" }
            input #password type="password" name="password" required autocomplete="current-password";
            button type="submit" { "Sign in" }
            p.hint {
                "First start? The server printed the Administrator's email and password once; "
                "`mortar users reset-password --email EMAIL` makes a new one."
            }
        }
    };
    let mut response = respond(status, bare_page("Sign in", body));
    if let Ok(value) = format!("{FORM_COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict").parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    csrf: Option<String>,
}

/// The refusal when too many sign-ins failed, or `None`.
async fn throttled(state: &AppState, key: &str, ip: &str) -> crate::error::Result<Option<String>> {
    let now = crate::clock::now_millis();
    let ((by_account, first_account), (by_address, first_address)) = state
        .engine
        .store()
        .sign_in_failures(key, ip, now - THROTTLE_WINDOW_MS)
        .await?;
    let wait = |first: i64| ((first + THROTTLE_WINDOW_MS - now) / 60_000 + 1).max(1);
    Ok(if by_account >= FAILURES_PER_ACCOUNT {
        Some(format!(
            "Too many failed sign-ins for this account. Try again in {} minutes, \
             or ask an Administrator to reset the password.",
            wait(first_account)
        ))
    } else if by_address >= FAILURES_PER_ADDRESS {
        Some(format!(
            "Too many failed sign-ins from your address. Try again in {} minutes.",
            wait(first_address)
        ))
    } else {
        None
    })
}

/// The hash a sign-in with an unknown email is checked against (made once).
fn unknown_email_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crate::store::hash_password(&session::new_token()).unwrap_or_default())
}

/// Whether `user` must enrol a second factor before reaching a page.
fn must_enrol(state: &AppState, user: &WebUser) -> bool {
    user.totp_secret.is_none() && (user.role == Role::Administrator || state.web.require_totp)
}

/// `POST /ui/sign_in`.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = session::cookie(&headers, FORM_COOKIE);
    if form.csrf.is_none() || form.csrf != expected {
        return sign_in_page(
            StatusCode::FORBIDDEN,
            None,
            Some("This form was out of date. Sign in again."),
            &form.email,
        );
    }
    let key = email_key(&form.email);
    let store = state.engine.store();
    match throttled(&state, &key, &ip).await {
        Ok(Some(refusal)) => {
            return sign_in_page(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                Some(&refusal),
                &form.email,
            )
        }
        Ok(None) => {}
        Err(error) => return NoSession::Failed(error).into_response(),
    }
    let users = match store.web_users_by_email(&key).await {
        Ok(users) => users,
        Err(error) => return NoSession::Failed(error).into_response(),
    };
    let password = form.password.clone();
    // argon2 is slow by design: off the async threads.
    let matched = tokio::task::spawn_blocking(move || {
        let argon = argon2::Argon2::default();
        if users.is_empty() {
            // As slow as a wrong password, so timing does not tell which
            // emails have users.
            if let Ok(hash) = PasswordHash::new(unknown_email_hash()) {
                let _ = argon.verify_password(password.as_bytes(), &hash);
            }
        }
        let mut found = None;
        for user in users {
            let good = user
                .password_hash
                .as_deref()
                .and_then(|h| PasswordHash::new(h).ok())
                .is_some_and(|hash| argon.verify_password(password.as_bytes(), &hash).is_ok());
            if good && !user.disabled && found.is_none() {
                found = Some(user);
            }
        }
        found
    })
    .await
    .ok()
    .flatten();
    let now = crate::clock::now_millis();
    let Some(user) = matched else {
        if let Err(error) = store.record_sign_in_failure(&key, &ip, now).await {
            return NoSession::Failed(error).into_response();
        }
        tracing::info!(ip = %ip, "a web sign-in failed");
        return sign_in_page(
            StatusCode::UNAUTHORIZED,
            None,
            Some("The email or the password is not right."),
            &form.email,
        );
    };
    let token = session::new_token();
    let done = user.totp_secret.is_none() && !must_enrol(&state, &user);
    let started = async {
        store
            .clear_sign_in_failures(&key, now - THROTTLE_WINDOW_MS)
            .await?;
        let idle = i64::try_from(state.web.idle_minutes * 60_000).unwrap_or(i64::MAX);
        let max = i64::try_from(state.web.max_hours * 3_600_000).unwrap_or(i64::MAX);
        store
            .delete_expired_web_sessions(now - max, now - idle)
            .await?;
        store
            .create_web_session(&user, &token, &session::new_token(), done, now)
            .await?;
        store.note_sign_in(user.id, &ip, now).await
    }
    .await;
    if let Err(error) = started {
        return NoSession::Failed(error).into_response();
    }
    tracing::info!(user = user.id, "signed in to the web interface");
    let next = if done {
        "/ui/organizations"
    } else if user.totp_secret.is_some() {
        "/ui/second_factor"
    } else {
        "/ui/enrol"
    };
    let mut response = Redirect::to(next).into_response();
    if let Ok(value) = session::set_cookie(&state, &token).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The code form.
#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    csrf: Option<String>,
}

/// Whether `code` is `secret`'s code now, a step ago or a step ahead (a
/// phone's clock may be off by that much).
fn code_matches(secret: &[u8], code: &str) -> bool {
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    let now = u64::try_from(crate::clock::now_millis() / 1000).unwrap_or(0);
    [now.saturating_sub(totp::STEP), now, now + totp::STEP]
        .iter()
        .any(|at| totp::code(secret, *at).0 == code)
}

fn code_page(
    session: &WebSession,
    action: &str,
    title: &str,
    intro: Markup,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let body = html! {
        form.card method="post" action=(action) {
            h2 { (title) }
            (intro)
            @if let Some(error) = error { p.error role="alert" { (error) } }
            input type="hidden" name="csrf" value=(session.csrf_token);
            label for="code" { "Six-digit code from your authenticator app" }
            input #code name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required autofocus;
            button type="submit" { "Continue" }
        }
        form method="post" action="/ui/sign_out" {
            input type="hidden" name="csrf" value=(session.csrf_token);
            button.link type="submit" { "Cancel and sign out" }
        }
    };
    respond(status, bare_page(title, body))
}

/// `GET /ui/second_factor`.
pub async fn second_factor_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Response {
    let session = match session::current(&state, &headers).await {
        Ok(session) => session,
        Err(no) => return no.into_response(),
    };
    if session.second_factor_done {
        return Redirect::to("/ui/organizations").into_response();
    }
    if session.user.totp_secret.is_none() {
        return Redirect::to("/ui/enrol").into_response();
    }
    code_page(
        &session,
        "/ui/second_factor",
        "Two-factor check",
        html! { p { "Signed in as " strong { (session.user.email) } "." } },
        None,
        StatusCode::OK,
    )
}

/// Where a TOTP secret of `user` is sealed: `column` of their row.
fn place<'a>(user: &WebUser, column: &'a str) -> Place<'a> {
    Place {
        table: "users",
        row: user.id,
        column,
        version: 0,
    }
}

/// `secret` sealed for `column` of `user`'s row.
async fn seal_secret(
    state: &AppState,
    user: &WebUser,
    column: &str,
    secret: &str,
) -> crate::error::Result<String> {
    let vault = state.engine.vault();
    vault
        .ensure_data_key(state.engine.store(), user.scope)
        .await?;
    vault.seal(user.scope, &place(user, column), secret)
}

/// The TOTP secret sealed in `column` of `user`'s row, opened.
async fn open_secret(
    state: &AppState,
    user: &WebUser,
    column: &str,
    sealed: &str,
) -> crate::error::Result<Vec<u8>> {
    let vault = state.engine.vault();
    vault
        .ensure_data_key(state.engine.store(), user.scope)
        .await?;
    let text = vault.open(user.scope, &place(user, column), sealed)?;
    totp::decode_secret(&text).ok_or_else(|| {
        crate::error::Error::Internal(anyhow::anyhow!(
            "user {}'s TOTP secret is not base32",
            user.id
        ))
    })
}

/// `POST /ui/second_factor`.
pub async fn second_factor_submit(
    State(state): State<Arc<AppState>>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let session = match session::current(&state, &headers).await {
        Ok(session) => session,
        Err(no) => return no.into_response(),
    };
    if let Err(message) = session::check_csrf(&session, form.csrf.as_deref()) {
        return super::error_page(None, StatusCode::FORBIDDEN, message);
    }
    let Some(sealed) = session.user.totp_secret.clone() else {
        return Redirect::to("/ui/enrol").into_response();
    };
    let key = email_key(&session.user.email);
    let store = state.engine.store();
    let intro = html! { p { "Signed in as " strong { (session.user.email) } "." } };
    match throttled(&state, &key, &ip).await {
        Ok(Some(refusal)) => {
            return code_page(
                &session,
                "/ui/second_factor",
                "Two-factor check",
                intro,
                Some(&refusal),
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
        Ok(None) => {}
        Err(error) => return NoSession::Failed(error).into_response(),
    }
    let secret = match open_secret(&state, &session.user, "totp_secret", &sealed).await {
        Ok(secret) => secret,
        Err(error) => return NoSession::Failed(error).into_response(),
    };
    if !code_matches(&secret, &form.code) {
        let _ = store
            .record_sign_in_failure(&key, &ip, crate::clock::now_millis())
            .await;
        return code_page(
            &session,
            "/ui/second_factor",
            "Two-factor check",
            intro,
            Some("That code is not right. Codes change every 30 seconds; enter the one shown now."),
            StatusCode::UNAUTHORIZED,
        );
    }
    if let Err(error) = store.complete_second_factor(session.id).await {
        return NoSession::Failed(error).into_response();
    }
    Redirect::to("/ui/organizations").into_response()
}

/// `GET /ui/enrol`: a new secret, shown as a QR code and as text, kept
/// pending until a code from it is entered.
pub async fn enrol_form(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let session = match session::current(&state, &headers).await {
        Ok(session) => session,
        Err(no) => return no.into_response(),
    };
    if session.user.totp_secret.is_some() {
        return Redirect::to(if session.second_factor_done {
            "/ui/organizations"
        } else {
            "/ui/second_factor"
        })
        .into_response();
    }
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = data_encoding::BASE32_NOPAD.encode(&bytes);
    let user = &session.user;
    let store = state.engine.store();
    let sealed = seal_secret(&state, user, "totp_pending_secret", &secret).await;
    let stored = match sealed {
        Ok(sealed) => store.set_pending_totp(user.id, &sealed).await,
        Err(error) => Err(error),
    };
    if let Err(error) = stored {
        return NoSession::Failed(error).into_response();
    }
    enrol_page(&session, &secret, None, StatusCode::OK)
}

fn enrol_page(
    session: &WebSession,
    secret: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let label = format!("Mortar:{}", session.user.email);
    let uri = format!(
        "otpauth://totp/{}?secret={secret}&issuer=Mortar&algorithm=SHA1&digits=6&period=30",
        form_urlencoded::byte_serialize(label.as_bytes()).collect::<String>()
    );
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    let spaced: String = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let required = session.user.role == Role::Administrator;
    let intro = html! {
        p {
            @if required { "Administrators sign in with a second factor. " }
            "Scan this code with an authenticator app (1Password, Google Authenticator, Authy, …), "
            "then enter the six-digit code it shows."
        }
        figure.qr aria-label="QR code of the authenticator secret" { (PreEscaped(qr)) }
        p { "Or type the secret: " code #totp-secret data-secret=(secret) { (spaced) } }
    };
    code_page(
        session,
        "/ui/enrol",
        "Set up two-factor sign-in",
        intro,
        error,
        status,
    )
}

/// `POST /ui/enrol`: a code from the pending secret makes it the user's.
pub async fn enrol_submit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let session = match session::current(&state, &headers).await {
        Ok(session) => session,
        Err(no) => return no.into_response(),
    };
    if let Err(message) = session::check_csrf(&session, form.csrf.as_deref()) {
        return super::error_page(None, StatusCode::FORBIDDEN, message);
    }
    let user = &session.user;
    let Some(pending) = user.totp_pending_secret.clone() else {
        return Redirect::to("/ui/enrol").into_response();
    };
    let store = state.engine.store();
    let secret = match open_secret(&state, user, "totp_pending_secret", &pending).await {
        Ok(secret) => secret,
        Err(error) => return NoSession::Failed(error).into_response(),
    };
    let text = data_encoding::BASE32_NOPAD.encode(&secret);
    if !code_matches(&secret, &form.code) {
        return enrol_page(
            &session,
            &text,
            Some("That code is not right. Check the phone's clock, and enter the code shown now."),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let enabled = async {
        let sealed = seal_secret(&state, user, "totp_secret", &text).await?;
        store
            .enable_totp(user.id, &sealed, crate::clock::now_millis())
            .await?;
        store.complete_second_factor(session.id).await
    }
    .await;
    if let Err(error) = enabled {
        return NoSession::Failed(error).into_response();
    }
    tracing::info!(user = user.id, "enrolled a second factor");
    Redirect::to("/ui/organizations?done=enrolled").into_response()
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /ui/sign_out`.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let session = match session::current(&state, &headers).await {
        Ok(session) => session,
        Err(no) => return no.into_response(),
    };
    if let Err(message) = session::check_csrf(&session, form.csrf.as_deref()) {
        return super::error_page(None, StatusCode::FORBIDDEN, message);
    }
    if let Err(error) = state.engine.store().delete_web_session(session.id).await {
        return NoSession::Failed(error).into_response();
    }
    let mut response = Redirect::to("/ui/sign_in?ended=signed_out").into_response();
    if let Ok(value) = session::clear_cookie().parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
