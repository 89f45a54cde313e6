//! The source of an import: an IT Glue-compatible API read with its key,
//! at a steady pace under its rate limit, retrying what is transient.
//!
//! - Requests are spaced to at most `rate` a second (the hosted product
//!   allows 3,000 per 5 minutes, 10 a second).
//! - A 429 waits for its `Retry-After` (or a backoff); when a response says
//!   `X-RateLimit-Remaining: 0`, the next request waits for the window's
//!   reset (`X-RateLimit-Reset`, seconds or a Unix time).
//! - 5xx answers, timeouts and dropped connections are retried with an
//!   exponential backoff (0.5 s doubling, 8 attempts in all); other
//!   answers (401, 403, 404, 422) are final.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::Mutex;

/// Attempts of one request before the import gives up on it.
const ATTEMPTS: u32 = 8;

/// Records a page asks for (the reference's largest page).
pub const PAGE_SIZE: usize = 1000;

/// An IT Glue-compatible API, read with one key.
pub struct Source {
    http: reqwest::Client,
    base: String,
    key: String,
    interval: Duration,
    /// When the next request may leave.
    next: Mutex<Instant>,
    requests: AtomicU64,
    retries: AtomicU64,
}

/// A list read whole: its records and what was included with them.
#[derive(Debug, Default)]
pub struct Listed {
    /// `data` of every page.
    pub data: Vec<Value>,
    /// `included` of every page.
    pub included: Vec<Value>,
}

impl Source {
    /// A source at `base` (e.g. `https://api.itglue.com`), read with `key`
    /// at no more than `rate` requests a second.
    pub fn new(base: &str, key: &str, rate: f64) -> anyhow::Result<Source> {
        let base = base.trim_end_matches('/').to_string();
        anyhow::ensure!(
            base.starts_with("http://") || base.starts_with("https://"),
            "--from must be the source API's URL, e.g. https://api.itglue.com"
        );
        anyhow::ensure!(rate > 0.0, "--rate must be above 0 requests a second");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .context("making the HTTP client")?;
        Ok(Source {
            http,
            base,
            key: key.to_string(),
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(Instant::now()),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// The source's base URL, as the import map names it.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Requests sent so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests sent again after a transient failure.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Waits for this request's turn.
    async fn pace(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep(*next - now).await;
        }
        *next = Instant::now().max(*next) + self.interval;
    }

    /// Holds every request until `at`.
    async fn hold_until(&self, at: Instant) {
        let mut next = self.next.lock().await;
        *next = (*next).max(at);
    }

    /// GET `path` (with its query), retried as the module says.
    async fn send(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut backoff = Duration::from_millis(500);
        for attempt in 1..=ATTEMPTS {
            self.pace().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            if attempt > 1 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
            let sent = self
                .http
                .get(&url)
                .header("x-api-key", &self.key)
                .header("accept", "application/vnd.api+json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) if attempt < ATTEMPTS => {
                    tracing::warn!(%url, %error, "the source did not answer; trying again");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    continue;
                }
                Err(error) => return Err(error).context(format!("GET {url}")),
            };
            if let Some(reset) = exhausted_until(response.headers()) {
                self.hold_until(reset).await;
            }
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let transient = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT
                || status.is_server_error();
            if transient && attempt < ATTEMPTS {
                let wait = retry_after(response.headers()).unwrap_or(backoff);
                tracing::warn!(%url, %status, wait_ms = wait.as_millis() as u64, "the source asked to wait; trying again");
                self.hold_until(Instant::now() + wait).await;
                backoff *= 2;
                continue;
            }
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(300).collect();
            match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => bail!(
                    "the source refused the key ({status}) for GET {url}: {body}. \
                     Check --key (and that the key may read this)."
                ),
                _ => bail!("GET {url} answered {status}: {body}"),
            }
        }
        bail!("GET {url} failed {ATTEMPTS} times")
    }

    /// GET `path` as JSON.
    pub async fn json(&self, path: &str) -> anyhow::Result<Value> {
        let response = self.send(path).await?;
        response
            .json()
            .await
            .with_context(|| format!("reading the answer of GET {path}"))
    }

    /// GET `path` as bytes (a download).
    pub async fn bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let response = self.send(path).await?;
        Ok(response
            .bytes()
            .await
            .with_context(|| format!("downloading {path}"))?
            .to_vec())
    }

    /// Every page of the list at `path` (`query` without paging), pages of
    /// [`PAGE_SIZE`]; `progress` hears the records read so far and the
    /// total the source reports.
    pub async fn all(
        &self,
        path: &str,
        query: &str,
        mut progress: impl FnMut(usize, Option<u64>),
    ) -> anyhow::Result<Listed> {
        let mut listed = Listed::default();
        let join = if query.is_empty() { "" } else { "&" };
        for number in 1.. {
            let page = self
                .json(&format!(
                    "{path}?{query}{join}page[size]={PAGE_SIZE}&page[number]={number}"
                ))
                .await?;
            let data = page["data"].as_array().cloned().unwrap_or_default();
            let count = data.len();
            listed.data.extend(data);
            if let Some(included) = page["included"].as_array() {
                listed.included.extend(included.iter().cloned());
            }
            progress(listed.data.len(), page["meta"]["total-count"].as_u64());
            let next = page["links"]["next"]
                .as_str()
                .is_some_and(|n| !n.is_empty());
            let more_pages = page["meta"]["total-pages"]
                .as_u64()
                .map(|pages| (number as u64) < pages);
            if count < PAGE_SIZE && !next || more_pages == Some(false) || count == 0 {
                break;
            }
        }
        Ok(listed)
    }
}

/// `Retry-After` in seconds.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs_f64(seconds.clamp(0.0, 600.0)))
}

/// When the window of an exhausted rate limit resets (`X-RateLimit-Remaining:
/// 0` with `X-RateLimit-Reset` in seconds, or a Unix time).
fn exhausted_until(headers: &reqwest::header::HeaderMap) -> Option<Instant> {
    let remaining: i64 = headers
        .get("x-ratelimit-remaining")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if remaining > 0 {
        return None;
    }
    let reset: f64 = headers
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    let wait = if reset > 1_000_000_000.0 {
        reset - now
    } else {
        reset
    };
    Some(Instant::now() + Duration::from_secs_f64(wait.clamp(0.0, 600.0)))
}
