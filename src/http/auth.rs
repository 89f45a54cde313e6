//! Authentication by `x-api-key` and per-key rate limiting.
//!
//! Neither costs a database write per request: key lookups are cached for up
//! to [`KEY_CACHE_TTL`] (so a revoked key is refused within that time), and
//! rate-limit counters live in memory, one fixed window per key.

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

/// Cached key lookups by key digest.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (Option<Authenticated>, Instant)>>,
}

impl KeyCache {
    /// The grant of `secret`, from the cache or the store.
    pub async fn lookup(
        &self,
        store: &Store,
        secret: &str,
    ) -> Result<Option<Authenticated>, Error> {
        let digest = hash_key(secret);
        let now = Instant::now();
        if let Some((grant, at)) = self.lock().get(&digest) {
            if now.duration_since(*at) < KEY_CACHE_TTL {
                return Ok(*grant);
            }
        }
        let grant = store.authenticate(&digest).await?;
        let mut entries = self.lock();
        if entries.len() >= KEY_CACHE_MAX {
            entries.clear();
        }
        entries.insert(digest, (grant, now));
        Ok(grant)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<Authenticated>, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Fixed-window request counters per key.
pub struct RateLimiter {
    limit: u64,
    window_secs: u64,
    windows: Mutex<HashMap<i64, (u64, u64)>>,
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
        }
    }

    /// Counts one request by `key_id` at `now` (epoch seconds).
    pub fn hit(&self, key_id: i64, now: u64) -> Quota {
        let start = now - now % self.window_secs;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let entry = windows.entry(key_id).or_insert((start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        entry.1 += 1;
        Quota {
            limit: self.limit,
            remaining: self.limit.saturating_sub(entry.1),
            reset: start + self.window_secs,
            exceeded: entry.1 > self.limit,
        }
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
    let secret = match request.headers().get("x-api-key").map(|v| v.to_str()) {
        None => return Error::MissingKey.into_response(),
        Some(Ok(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(_) => return Error::MissingKey.into_response(),
    };
    let grant = match state.keys.lookup(state.engine.store(), &secret).await {
        Ok(Some(grant)) => grant,
        Ok(None) => return Error::InvalidKey.into_response(),
        Err(e) => return e.into_response(),
    };
    let now = epoch_seconds();
    let quota = state.limiter.hit(grant.key_id, now);
    let mut response = if quota.exceeded {
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

    #[test]
    fn windows_count_per_key_and_reset() {
        let limiter = RateLimiter::new(2, 60);
        assert!(!limiter.hit(1, 120).exceeded);
        let second = limiter.hit(1, 130);
        assert_eq!(second.remaining, 0);
        assert_eq!(second.reset, 180);
        assert!(limiter.hit(1, 140).exceeded);
        assert!(
            !limiter.hit(2, 140).exceeded,
            "another key has its own window"
        );
        assert!(!limiter.hit(1, 180).exceeded, "a new window starts afresh");
    }
}
