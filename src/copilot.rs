//! Copilot Smart Assist (seed section "Copilot Smart Assist"): the
//! document clean-up categories as conditions over the documents
//! definition, so the engine lists, counts, archives and deletes them like
//! any other selection — with the roles, the activity log, webhooks and
//! metrics of every write.
//!
//! The reference names the categories but not their rules; Mortar's are:
//! - `stale`: viewed before, but not in the last `filter[days]` days (90);
//! - `not_viewed`: never viewed;
//! - `expired`: `expires-on` before today (UTC);
//! - `duplicates`: another document of the same organization, in the same
//!   archived state, has the same name (ignoring case and surrounding spaces);
//! - no type: the most used — documents viewed at least once, most views first.
//!
//! Archived documents are left out unless `filter[archived]` asks for them:
//! the clean-up is of the documents people still see.

use crate::clock::format_millis;
use crate::engine::Condition;
use crate::error::{Error, Result};
use crate::query::Query;
use crate::store::Arg;

/// `filter[days]` when not given: what "stale" means.
pub const DEFAULT_STALE_DAYS: i64 = 90;

/// The longest `filter[days]` accepted (100 years).
const MAX_STALE_DAYS: i64 = 36_500;

/// The categories `filter[type]` accepts, as the API spells them.
pub const CATEGORY_NAMES: &[&str] = &["stale", "not_viewed", "expired", "duplicates"];

/// One clean-up category (or the most-used list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// No `filter[type]`: documents viewed at least once, most views first.
    MostUsed,
    /// Viewed before, but not in the last `days` days.
    Stale {
        /// The days without a view.
        days: i64,
    },
    /// Never viewed.
    NotViewed,
    /// Past `expires-on`.
    Expired,
    /// Sharing a normalised name with another document of the organization.
    Duplicates,
}

impl Category {
    /// Takes `filter[type]` and `filter[days]` out of `query` (they are not
    /// filters of documents) and says which category they name. Also
    /// leaves archived documents out unless the query filters on
    /// `archived` itself.
    pub fn take_from(query: &mut Query) -> Result<Category> {
        let mut kind = None;
        let mut days = None;
        let mut rest = Vec::with_capacity(query.filters.len());
        for filter in std::mem::take(&mut query.filters) {
            match filter.name.as_str() {
                "type" => kind = Some(filter),
                "days" => days = Some(filter),
                _ => rest.push(filter),
            }
        }
        query.filters = rest;
        if !query.filters.iter().any(|f| f.name == "archived") {
            query
                .filters
                .push(crate::query::FilterParam::matching("archived", "false"));
        }
        let category = match kind.as_ref().map(|f| f.value.trim()) {
            None | Some("") => Category::MostUsed,
            Some("stale") => Category::Stale {
                days: DEFAULT_STALE_DAYS,
            },
            Some("not_viewed") | Some("not-viewed") => Category::NotViewed,
            Some("expired") => Category::Expired,
            Some("duplicates") => Category::Duplicates,
            Some(other) => {
                return Err(Error::bad_parameter(
                    "filter[type]",
                    format!(
                        "{other:?} is not a category; use one of: {} (or none for the most used)",
                        CATEGORY_NAMES.join(", ")
                    ),
                ))
            }
        };
        match (category, days) {
            (_, None) => Ok(category),
            (Category::Stale { .. }, Some(days)) => {
                let value = days.value.trim();
                match value.parse::<i64>() {
                    Ok(days) if (1..=MAX_STALE_DAYS).contains(&days) => {
                        Ok(Category::Stale { days })
                    }
                    _ => Err(Error::bad_parameter(
                        "filter[days]",
                        format!(
                            "{value:?} is not a whole number of days from 1 to {MAX_STALE_DAYS}"
                        ),
                    )),
                }
            }
            (_, Some(_)) => Err(Error::bad_parameter(
                "filter[days]",
                "applies to filter[type]=stale only",
            )),
        }
    }

    /// The conditions that pick this category's documents, as of `now` (ms).
    pub fn conditions(self, now: i64) -> Vec<Condition> {
        match self {
            Category::MostUsed => vec![Condition::Compare {
                expr: "t.view_count",
                operator: ">",
                value: Arg::from(0i64),
            }],
            Category::Stale { days } => vec![Condition::Compare {
                expr: "t.last_viewed_at",
                operator: "<",
                value: Arg::from(now - days * 86_400_000),
            }],
            Category::NotViewed => vec![Condition::Sql("t.last_viewed_at IS NULL")],
            Category::Expired => {
                let mut today = format_millis(now);
                today.truncate(10);
                vec![Condition::Compare {
                    expr: "t.expires_on",
                    operator: "<",
                    value: Arg::from(today),
                }]
            }
            Category::Duplicates => vec![Condition::Sql(
                "EXISTS (SELECT 1 FROM documents d WHERE d.account_id = t.account_id \
                 AND d.organization_id = t.organization_id AND d.id <> t.id \
                 AND d.archived = t.archived \
                 AND LOWER(TRIM(d.name)) = LOWER(TRIM(t.name)))",
            )],
        }
    }

    /// The order of the category's list when the query sorts nothing: the
    /// most views first, the longest unseen first, the oldest first, the
    /// longest expired first, duplicates side by side.
    pub fn default_sort(self) -> (&'static str, bool) {
        match self {
            Category::MostUsed => ("view_count", true),
            Category::Stale { .. } => ("last_viewed_at", false),
            Category::NotViewed => ("created_at", false),
            Category::Expired => ("expires_on", false),
            Category::Duplicates => ("name", false),
        }
    }

    /// Whether bulk writes may select by this category (the most-used list
    /// is for reading: archiving or deleting "the most used" is refused).
    pub fn selects_for_writes(self) -> bool {
        self != Category::MostUsed
    }
}

/// The counters `meta` carries beside every list: each category's count
/// in the same scope, with `filter[days]` of the request when it asked for
/// stale documents.
pub fn counted(category: Category) -> [(&'static str, Category); 4] {
    let days = match category {
        Category::Stale { days } => days,
        _ => DEFAULT_STALE_DAYS,
    };
    [
        ("stale", Category::Stale { days }),
        ("not_viewed", Category::NotViewed),
        ("expired", Category::Expired),
        ("duplicates", Category::Duplicates),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::FilterParam;

    fn query(filters: &[(&str, &str)]) -> Query {
        Query {
            filters: filters
                .iter()
                .map(|(name, value)| FilterParam::matching(name, *value))
                .collect(),
            ..Query::default()
        }
    }

    #[test]
    fn categories_are_read_and_removed_from_the_filters() {
        let mut q = query(&[("type", "stale"), ("days", "30"), ("organization_id", "4")]);
        assert_eq!(
            Category::take_from(&mut q).unwrap(),
            Category::Stale { days: 30 }
        );
        let names: Vec<&str> = q.filters.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["organization_id", "archived"]);
        assert_eq!(
            Category::take_from(&mut query(&[])).unwrap(),
            Category::MostUsed
        );
    }

    #[test]
    fn unknown_categories_and_misplaced_days_name_their_parameter() {
        for (filters, parameter) in [
            (vec![("type", "old")], "filter[type]"),
            (vec![("type", "stale"), ("days", "0")], "filter[days]"),
            (vec![("type", "expired"), ("days", "3")], "filter[days]"),
        ] {
            match Category::take_from(&mut query(&filters)) {
                Err(Error::BadRequest {
                    parameter: Some(p), ..
                }) => assert_eq!(p, parameter),
                other => panic!("{filters:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_archived_filter_of_the_request_is_kept() {
        let mut q = query(&[("archived", "true")]);
        Category::take_from(&mut q).unwrap();
        assert_eq!(q.filters.len(), 1);
        assert_eq!(q.filters[0].value, "true");
    }
}
