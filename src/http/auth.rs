//! Authentication by `x-api-key` or an OAuth2 bearer token, and per-key
//! rate limiting.
//!
//! Neither costs a database write per request: key and token lookups are
//! cached for up to [`KEY_CACHE_TTL`] (so a revoked key or client is refused
//! within that time; a token never past its expiry), and rate-limit
//! counters live in memory, one fixed window per key (a client's tokens
//! count against the key it acts through).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::error::Error;
use crate::store::{hash_key, Authenticated, Store};

/// How long a key lookup (found or not) is trusted.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(4);

/// Entries kept before the cache is emptied (it only bounds memory under a flood of bad keys).
const KEY_CACHE_MAX: usize = 10_000;

/// Cached lookups by credential digest: the grant (or none) and until when
/// it may be trusted.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (Option<Authenticated>, Instant)>>,
}

/// What a request authenticates with.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// An API key (`x-api-key`).
    Key(&'a str),
    /// An OAuth2 access token (`Authorization: Bearer`).
    Token(&'a str),
}

impl KeyCache {
    /// The grant of `credential`, from the cache or the store.
    pub async fn lookup(
        &self,
        store: &Store,
        credential: Credential<'_>,
    ) -> Result<Option<Authenticated>, Error> {
        let digest = match credential {
            Credential::Key(secret) => hash_key(secret),
            Credential::Token(token) => format!("token:{}", hash_key(token)),
        };
        let now = Instant::now();
        if let Some((grant, until)) = self.lock().get(&digest) {
            if now < *until {
                return Ok(*grant);
            }
        }
        let mut until = now + KEY_CACHE_TTL;
        let grant = match credential {
            Credential::Key(_) => store.authenticate(&digest).await?,
            Credential::Token(token) => match store.authenticate_token(&hash_key(token)).await? {
                Some((grant, expires_at)) => {
                    let left = expires_at.saturating_sub(crate::clock::now_millis());
                    until = until.min(now + Duration::from_millis(left.unsigned_abs()));
                    Some(grant)
                }
                None => None,
            },
        };
        let mut entries = self.lock();
        if entries.len() >= KEY_CACHE_MAX {
            entries.clear();
        }
        entries.insert(digest, (grant, until));
        Ok(grant)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<Authenticated>, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Fixed-window request counters per key: in this process, or in Redis
/// when several servers share the limits.
pub struct RateLimiter {
    limit: u64,
    window_secs: u64,
    windows: Mutex<HashMap<i64, (u64, u64)>>,
    shared: Option<SharedCounters>,
}

/// Counters in Redis: one key per API key and window, expiring with it.
struct SharedCounters {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

/// The state of a key's window after counting one request.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests left in this window.
    pub remaining: u64,
    /// When the window ends (UTC epoch seconds).
    pub reset: u64,
    /// Whether this request is over the limit.
    pub exceeded: bool,
}

impl RateLimiter {
    /// `limit` requests per `window_secs` seconds, per key.
    pub fn new(limit: u64, window_secs: u64) -> RateLimiter {
        RateLimiter {
            limit,
            window_secs: window_secs.max(1),
            windows: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Keeps the counters in the Redis at `url`, under `prefix`, so that
    /// every server using it counts each key's requests together.
    pub async fn shared(mut self, url: &str, prefix: &str) -> anyhow::Result<RateLimiter> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("the Redis URL {url:?} is not valid: {e}"))?;
        let connection = redis::aio::ConnectionManager::new(client)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to Redis at {url}: {e}"))?;
        self.shared = Some(SharedCounters {
            connection,
            prefix: prefix.to_string(),
        });
        Ok(self)
    }

    /// Counts one request by `key_id` at `now` (epoch seconds). With Redis,
    /// the count is the key's across every server; if Redis cannot be
    /// reached the request is counted in this process (and a warning
    /// logged), so an outage of Redis never stops the API.
    pub async fn hit(&self, key_id: i64, now: u64) -> Quota {
        let start = now - now % self.window_secs;
        let count = match &self.shared {
            Some(shared) => match shared.increment(key_id, start, self.window_secs).await {
                Ok(count) => count,
                Err(error) => {
                    tracing::warn!(%error, "Redis did not count a request; counting it here");
                    self.count_here(key_id, start)
                }
            },
            None => self.count_here(key_id, start),
        };
        Quota {
            limit: self.limit,
            remaining: self.limit.saturating_sub(count),
            reset: start + self.window_secs,
            exceeded: count > self.limit,
        }
    }

    /// Counts one request in this process's window of `key_id`; the count.
    fn count_here(&self, key_id: i64, start: u64) -> u64 {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let entry = windows.entry(key_id).or_insert((start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

impl SharedCounters {
    /// `INCR` of the window's counter (made to expire with the window, in
    /// the same round trip); the count.
    async fn increment(
        &self,
        key_id: i64,
        start: u64,
        window_secs: u64,
    ) -> redis::RedisResult<u64> {
        let key = format!("{}:rate:{key_id}:{start}", self.prefix);
        let mut connection = self.connection.clone();
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(&key, 1u64)
            .expire(&key, i64::try_from(window_secs + 1).unwrap_or(i64::MAX))
            .ignore()
            .query_async(&mut connection)
            .await?;
        Ok(count)
    }
}

fn epoch_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Middleware: authenticates, counts the request against the key's window,
/// and stamps the `X-RateLimit-*` headers.
pub async fn middleware(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
        .filter(|t| !t.is_empty());
    let secret = match request.headers().get("x-api-key").map(|v| v.to_str()) {
        Some(Ok(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    };
    let credential = match (&secret, &bearer) {
        (Some(secret), _) => Credential::Key(secret),
        (None, Some(token)) => Credential::Token(token),
        (None, None) => return Error::MissingKey.into_response(),
    };
    let grant = match state.keys.lookup(state.engine.store(), credential).await {
        Ok(Some(grant)) => grant,
        Ok(None) => return Error::InvalidKey.into_response(),
        Err(e) => return e.into_response(),
    };
    let now = epoch_seconds();
    let quota = state.limiter.hit(grant.key_id, now).await;
    let mut response = if quota.exceeded {
        metrics::counter!(super::metrics::RATE_LIMITED).increment(1);
        Error::RateLimited {
            retry_after: quota.reset.saturating_sub(now).max(1),
        }
        .into_response()
    } else {
        request.extensions_mut().insert(grant);
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(quota.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(quota.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(quota.reset));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn windows_count_per_key_and_reset() {
        let limiter = RateLimiter::new(2, 60);
        assert!(!limiter.hit(1, 120).await.exceeded);
        let second = limiter.hit(1, 130).await;
        assert_eq!(second.remaining, 0);
        assert_eq!(second.reset, 180);
        assert!(limiter.hit(1, 140).await.exceeded);
        assert!(
            !limiter.hit(2, 140).await.exceeded,
            "another key has its own window"
        );
        assert!(
            !limiter.hit(1, 180).await.exceeded,
            "a new window starts afresh"
        );
    }
}
