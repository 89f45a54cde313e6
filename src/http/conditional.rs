//! Conditional requests: the `ETag` of a shown record, `If-None-Match`
//! (304) on a show, and `If-Match` (412) on a write of one record.
//!
//! An ETag is `"<version>-<representation>"`: the record's stored row
//! version ([`Record::fingerprint`]) and a digest of the body sent. A show
//! answers 304 when the whole tag matches (the same row rendered the same
//! way, includes and revealed values alike); a write checks only the
//! version half, inside its transaction, so a tag from any show of the
//! record (with or without includes) guards it against lost updates.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use crate::engine::Expected;
use crate::store::Record;

/// The strong ETag of `record` shown as `body`.
pub(super) fn etag(record: &Record, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!(
        "\"{}-{}\"",
        record.fingerprint(),
        data_encoding::HEXLOWER.encode(&digest[..8])
    )
}

/// The entity tags of an `If-Match` or `If-None-Match` header: `*`, or a
/// comma-separated list of quoted tags, each maybe weak (`W/"..."`).
fn tags(header: &str) -> impl Iterator<Item = (bool, &str)> {
    header.split(',').filter_map(|tag| {
        let tag = tag.trim();
        let (weak, tag) = match tag.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, tag),
        };
        let tag = tag.strip_prefix('"')?.strip_suffix('"')?;
        Some((weak, tag))
    })
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2).
pub(super) fn none_match(header: &str, etag: &str) -> bool {
    if header.trim() == "*" {
        return true;
    }
    let current = etag.trim_matches('"');
    tags(header).any(|(_, tag)| tag == current)
}

/// What `If-Match` expects of the record written (strong comparison,
/// RFC 9110 §13.1.1: a weak tag never matches). A tag is compared by its
/// version half, so any show's tag of the current row matches.
pub(crate) fn expected(header: &str) -> Expected {
    if header.trim() == "*" {
        return Expected::Exists;
    }
    Expected::Versions(
        tags(header)
            .filter(|(weak, _)| !weak)
            .map(|(_, tag)| tag.split('-').next().unwrap_or_default().to_string())
            .collect(),
    )
}

/// A 304 carrying `etag`.
pub(super) fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let etag = "\"ab-cd\"";
        assert!(none_match("\"ab-cd\"", etag));
        assert!(none_match("\"x\", W/\"ab-cd\"", etag));
        assert!(none_match("*", etag));
        assert!(!none_match("\"ab-ce\"", etag));
        assert!(!none_match("ab-cd", etag));
    }

    #[test]
    fn if_match_compares_versions_strongly() {
        assert_eq!(expected(" * "), Expected::Exists);
        assert_eq!(
            expected("\"v1-r1\", W/\"v2-r2\", \"v3\""),
            Expected::Versions(vec!["v1".into(), "v3".into()])
        );
        assert_eq!(expected("garbage"), Expected::Versions(vec![]));
    }
}
