//! The engine's own description of a read: which page, sorted how, filtered
//! how, with which includes, and the secrets options. The JSON:API layer
//! builds it from a query string; other faces build it directly.

/// The default page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page size a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// How a filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterMode {
    /// Equal to any of the comma-separated values.
    Match,
    /// Equal to none of the values.
    Exclude,
    /// Between two bounds, `*` for an open end.
    Range,
}

/// One filter, its name underscored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterParam {
    /// Match, exclude or range.
    pub mode: FilterMode,
    /// The underscored filter name.
    pub name: String,
    /// The value as given (a comma list for match and exclude, two bounds for range).
    pub value: String,
}

impl FilterParam {
    /// A match filter.
    pub fn matching(name: &str, value: impl Into<String>) -> FilterParam {
        FilterParam {
            mode: FilterMode::Match,
            name: name.to_string(),
            value: value.into(),
        }
    }

    /// How the request named this filter: `filter[x]`, `filter[exclude][x]`, `filter[range][x]`.
    pub fn parameter(&self) -> String {
        match self.mode {
            FilterMode::Match => format!("filter[{}]", self.name),
            FilterMode::Exclude => format!("filter[exclude][{}]", self.name),
            FilterMode::Range => format!("filter[range][{}]", self.name),
        }
    }
}

/// A read request.
#[derive(Debug, Clone)]
pub struct Query {
    /// 1-based page number.
    pub page_number: u32,
    /// Records per page, when asked for.
    pub page_size: Option<u32>,
    /// `page[after]` as given: a cursor page (empty: the first).
    pub page_after: Option<String>,
    /// Sort fields: underscored name and whether descending.
    pub sort: Vec<(String, bool)>,
    /// Include names, underscored.
    pub include: Vec<String>,
    /// Filters.
    pub filters: Vec<FilterParam>,
    /// `show_password` as given: whether secrets are wanted (checked only
    /// where a resource has secrets).
    pub show_password: Option<String>,
    /// `version_id` as given: a past version of a secret (show only).
    pub version_id: Option<String>,
}

impl Default for Query {
    fn default() -> Query {
        Query {
            page_number: 1,
            page_size: None,
            page_after: None,
            sort: Vec::new(),
            include: Vec::new(),
            filters: Vec::new(),
            show_password: None,
            version_id: None,
        }
    }
}

impl Query {
    /// The effective page size.
    pub fn size(&self) -> u32 {
        self.page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// Whether a filter called `name` is given, in any form.
    pub fn has_filter(&self, name: &str) -> bool {
        self.filters.iter().any(|f| f.name == name)
    }
}

/// Splits a comma list, trimming blanks and dropping empty items.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}
