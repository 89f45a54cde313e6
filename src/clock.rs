//! Time: the stored form (milliseconds since the Unix epoch, UTC) and the
//! wire forms (RFC3339 with milliseconds, `YYYY-MM-DD` dates).

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};

/// Now, in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2016-09-14T17:02:44.000Z`.
pub fn format_millis(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Which end of a range a bound closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeEnd {
    /// Lower bound: a bare date means its first millisecond.
    Start,
    /// Upper bound: a bare date means its last millisecond.
    End,
}

/// Parses a range bound given as a date (`2024-01-31`) or an RFC3339 time.
pub fn parse_range_bound(value: &str, end: RangeEnd) -> Option<i64> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let time = match end {
            RangeEnd::Start => NaiveTime::MIN,
            RangeEnd::End => NaiveTime::from_hms_milli_opt(23, 59, 59, 999)?,
        };
        return Some(date.and_time(time).and_utc().timestamp_millis());
    }
    parse_timestamp(value)
}

/// Parses an RFC3339 timestamp (also `YYYY-MM-DDTHH:MM:SS` taken as UTC).
pub fn parse_timestamp(value: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// Parses the compact UTC form `20161130T162512Z` (to the second).
pub fn parse_compact_timestamp(value: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// Whether `value` is a real `YYYY-MM-DD` calendar date.
pub fn is_date(value: &str) -> bool {
    value.len() == 10 && NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(format_millis(1_473_872_564_000), "2016-09-14T17:02:44.000Z");
    }

    #[test]
    fn date_bounds_cover_whole_days() {
        let start = parse_range_bound("2024-01-31", RangeEnd::Start).unwrap();
        let end = parse_range_bound("2024-01-31", RangeEnd::End).unwrap();
        assert_eq!(end - start, 86_400_000 - 1);
        assert_eq!(
            parse_range_bound("2024-01-31T00:00:00Z", RangeEnd::End),
            Some(start)
        );
        assert!(parse_range_bound("yesterday", RangeEnd::Start).is_none());
    }

    #[test]
    fn dates_must_be_real() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-2-1"));
    }
}
