//! Sessions of the web interface: the cookie, the session it finds in the
//! database, its expiry (idle and absolute), and the CSRF check of forms.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore as _;

use crate::engine::Caller;
use crate::http::AppState;
use crate::store::{Actor, UserGrant, WebSession};

/// The session cookie's name.
pub const COOKIE: &str = "mortar_session";

/// A use of a session less than this long after the last one does not
/// write its time again (ms).
const TOUCH_EVERY_MS: i64 = 30_000;

/// A signed-in user with a finished sign-in (second factor included), as
/// every page of the interface takes them.
pub struct Signed {
    /// Their session.
    pub session: WebSession,
    /// The server's state.
    pub state: Arc<AppState>,
    /// The address the request came from.
    pub ip: Option<String>,
    /// The browser's User-Agent.
    pub user_agent: Option<String>,
}

impl Signed {
    /// The engine's view of the user: their account, their role, and
    /// password values only for roles that see them.
    pub fn caller(&self) -> Caller {
        let user = &self.session.user;
        Caller {
            scope: user.scope,
            actor: Actor {
                key_id: None,
                user_id: Some(user.id),
                ip: self.ip.clone(),
                user_agent: self.user_agent.clone(),
            },
            password_access: user.role.sees_passwords(),
            user: Some(UserGrant {
                id: user.id,
                role: user.role,
            }),
        }
    }

    /// The refusal (403) of a form without the session's CSRF token, or
    /// `None` when it carries it.
    pub fn refuse_without_csrf(&self, sent: Option<&str>) -> Option<Response> {
        check_csrf(&self.session, sent)
            .err()
            .map(|message| super::error_page(Some(self), StatusCode::FORBIDDEN, message))
    }
}

/// Refuses a form whose `csrf` field is not the session's token.
pub fn check_csrf(session: &WebSession, sent: Option<&str>) -> Result<(), &'static str> {
    match sent {
        Some(token) if subtle_compare(token.as_bytes(), session.csrf_token.as_bytes()) => Ok(()),
        _ => Err(
            "This form was refused: its security token is missing or out of date. \
                  Reload the page and send it again.",
        ),
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn subtle_compare(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token (a session's cookie or its CSRF token): 32 bytes, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

/// The value of cookie `name` the request carries.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_string())
}

/// The `Set-Cookie` value that keeps `token` for the browser's session:
/// `HttpOnly`, `SameSite=Lax`, and `Secure` when the interface is served
/// over https (a public URL that says so).
pub fn set_cookie(state: &AppState, token: &str) -> String {
    let secure = state
        .public_url
        .as_deref()
        .is_some_and(|url| url.starts_with("https://"));
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Why a request has no usable session.
pub enum NoSession {
    /// No cookie, an unknown or expired session: sign in.
    SignIn(Option<&'static str>),
    /// Signed in with the password; the second factor is next.
    SecondFactor,
    /// The store failed.
    Failed(crate::error::Error),
}

impl IntoResponse for NoSession {
    fn into_response(self) -> Response {
        match self {
            NoSession::SignIn(None) => Redirect::to("/ui/sign_in").into_response(),
            NoSession::SignIn(Some(reason)) => {
                Redirect::to(&format!("/ui/sign_in?ended={reason}")).into_response()
            }
            NoSession::SecondFactor => Redirect::to("/ui/second_factor").into_response(),
            NoSession::Failed(error) => {
                tracing::error!(error = %error, "reading a web session failed");
                super::error_page(
                    None,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The server cannot read sessions right now; try again in a moment.",
                )
            }
        }
    }
}

/// The session of the request's cookie, whatever stage its sign-in is at,
/// once its idle and absolute limits are checked (an expired one is
/// deleted).
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<WebSession, NoSession> {
    let token = cookie(headers, COOKIE).ok_or(NoSession::SignIn(None))?;
    let store = state.engine.store();
    let session = store
        .web_session(&token)
        .await
        .map_err(NoSession::Failed)?
        .ok_or(NoSession::SignIn(None))?;
    let now = crate::clock::now_millis();
    let idle = i64::try_from(state.web.idle_minutes * 60_000).unwrap_or(i64::MAX);
    let max = i64::try_from(state.web.max_hours * 3_600_000).unwrap_or(i64::MAX);
    if now - session.last_seen_at > idle || now - session.created_at > max {
        store
            .delete_web_session(session.id)
            .await
            .map_err(NoSession::Failed)?;
        return Err(NoSession::SignIn(Some("expired")));
    }
    if now - session.last_seen_at > TOUCH_EVERY_MS {
        store
            .touch_web_session(session.id, now)
            .await
            .map_err(NoSession::Failed)?;
    }
    Ok(session)
}

/// The address a request came from (`unknown` when the server was not
/// told it).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<ClientAddress, std::convert::Infallible> {
        Ok(ClientAddress(
            client_ip(parts).unwrap_or_else(|| "unknown".into()),
        ))
    }
}

/// The address a request came from.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = NoSession;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Signed, NoSession> {
        let session = current(state, &parts.headers).await?;
        if !session.second_factor_done {
            return Err(NoSession::SecondFactor);
        }
        Ok(Signed {
            session,
            state: state.clone(),
            ip: client_ip(parts),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
        })
    }
}
