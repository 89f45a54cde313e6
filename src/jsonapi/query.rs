//! Query-string parsing: `page[...]`, `sort`, `include`, `filter[...]`.
//!
//! This module knows the shape of the parameters, not any resource: it turns
//! the raw query into [`QueryParams`], and the store compiles those against a
//! resource definition (where unknown names become 400s).

use crate::error::{Error, Result};
use crate::names::normalize_name;
use crate::query::{split_list, FilterMode, FilterParam, Query, MAX_PAGE_SIZE};

/// A parsed query string.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    /// Every parameter as sent (decoded, repeats removed), in order; links rebuild from these.
    pub pairs: Vec<(String, String)>,
    /// What the engine reads: page, sort, include, filters and the secrets options.
    pub query: Query,
    /// Other parameters (normalised name, value).
    pub other: Vec<(String, String)>,
}

impl QueryParams {
    /// Parses a raw query string (without the `?`).
    pub fn parse(raw: Option<&str>) -> Result<QueryParams> {
        let mut params = QueryParams::default();
        let mut seen: Vec<(String, String)> = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let key = key.trim().to_string();
            if key.is_empty() {
                continue;
            }
            let value = value.to_string();
            let canonical = canonical_key(&key);
            if let Some((_, earlier)) = seen.iter().find(|(k, _)| *k == canonical) {
                if *earlier == value {
                    continue;
                }
                return Err(Error::bad_parameter(
                    key,
                    "the parameter is repeated with different values",
                ));
            }
            seen.push((canonical.clone(), value.clone()));
            params.pairs.push((key.clone(), value.clone()));
            params.absorb(&key, &canonical, value)?;
        }
        if params.query.page_after.is_some() && params.query.page_number != 1 {
            return Err(Error::bad_parameter(
                "page[after]",
                "pages by cursor or by number, not both: drop page[number]",
            ));
        }
        params.query.show_password = params.other("show_password").map(str::to_string);
        params.query.version_id = params.other("version_id").map(str::to_string);
        Ok(params)
    }

    fn absorb(&mut self, key: &str, canonical: &str, value: String) -> Result<()> {
        let segments = bracket_segments(canonical)
            .ok_or_else(|| Error::bad_parameter(key, "malformed bracketed parameter name"))?;
        match segments.as_slice() {
            [page, number] if page == "page" && number == "number" => {
                self.query.page_number = parse_positive(key, &value)?;
            }
            [page, size] if page == "page" && size == "size" => {
                let size = parse_positive(key, &value)?;
                if size > MAX_PAGE_SIZE {
                    return Err(Error::bad_parameter(
                        key,
                        format!("page[size] must be at most {MAX_PAGE_SIZE}"),
                    ));
                }
                self.query.page_size = Some(size);
            }
            [page, after] if page == "page" && after == "after" => {
                self.query.page_after = Some(value);
            }
            [page, ..] if page == "page" => {
                return Err(Error::bad_parameter(
                    key,
                    "only page[number], page[size] and page[after] are supported",
                ))
            }
            [sort] if sort == "sort" => {
                self.query.sort = split_list(&value)
                    .map(|field| match field.strip_prefix('-') {
                        Some(rest) => (normalize_name(rest), true),
                        None => (normalize_name(field.trim_start_matches('+')), false),
                    })
                    .collect();
            }
            [include] if include == "include" => {
                self.query.include = split_list(&value).map(normalize_name).collect();
            }
            [filter, name] if filter == "filter" => self.query.filters.push(FilterParam {
                mode: FilterMode::Match,
                name: name.clone(),
                value,
            }),
            [filter, mode, name]
                if filter == "filter" && (mode == "exclude" || mode == "range") =>
            {
                self.query.filters.push(FilterParam {
                    mode: if mode == "exclude" {
                        FilterMode::Exclude
                    } else {
                        FilterMode::Range
                    },
                    name: name.clone(),
                    value,
                })
            }
            [filter, ..] if filter == "filter" => {
                return Err(Error::bad_parameter(key, "unknown filter form"))
            }
            _ => self.other.push((canonical.to_string(), value)),
        }
        Ok(())
    }

    /// The value of a non-JSON:API parameter such as `show_password`.
    pub fn other(&self, name: &str) -> Option<&str> {
        self.other
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_positive(key: &str, value: &str) -> Result<u32> {
    match value.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(Error::bad_parameter(
            key,
            "must be a whole number of at least 1",
        )),
    }
}

/// The key with every bracketed and bare name normalised: `filter[organization-id]`
/// becomes `filter[organization_id]`.
fn canonical_key(key: &str) -> String {
    match bracket_segments(key) {
        Some(segments) => {
            let mut out = normalize_name(&segments[0]);
            for s in &segments[1..] {
                out.push('[');
                out.push_str(&normalize_name(s));
                out.push(']');
            }
            out
        }
        None => key.to_string(),
    }
}

/// `filter[range][x]` -> `["filter", "range", "x"]`; `None` if brackets do not pair up.
fn bracket_segments(key: &str) -> Option<Vec<String>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => return Some(vec![key.to_string()]),
    };
    let mut segments = vec![head.to_string()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        segments.push(inner[..close].to_string());
        rest = &inner[close + 1..];
    }
    Some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pages_sorts_includes_and_filters() {
        let q = QueryParams::parse(Some(
            "page%5Bnumber%5D=2&page[size]=10&sort=-created-at,name&include=a,b&filter[organization-id]=1,2&filter[exclude][name]=x&filter[range][my_glue_account_id]=2,+*&show_password=true",
        ))
        .unwrap();
        assert_eq!(q.query.page_number, 2);
        assert_eq!(q.query.page_size, Some(10));
        assert_eq!(
            q.query.sort,
            vec![("created_at".into(), true), ("name".into(), false)]
        );
        assert_eq!(q.query.include, vec!["a", "b"]);
        assert_eq!(q.query.filters[0].name, "organization_id");
        assert_eq!(q.query.filters[1].mode, FilterMode::Exclude);
        assert_eq!(q.query.filters[2].mode, FilterMode::Range);
        assert_eq!(q.query.filters[2].value, "2, *");
        assert_eq!(q.other("show_password"), Some("true"));
    }

    #[test]
    fn identical_repeats_pass_and_conflicting_repeats_fail() {
        assert!(QueryParams::parse(Some("sort=name&sort=name&&")).is_ok());
        assert!(QueryParams::parse(Some("sort=name&sort=id")).is_err());
        assert!(
            QueryParams::parse(Some("filter[organization-id]=1&filter[organization_id]=2"))
                .is_err()
        );
    }

    #[test]
    fn page_bounds_are_enforced() {
        assert!(QueryParams::parse(Some("page[size]=1001")).is_err());
        assert!(QueryParams::parse(Some("page[size]=1000")).is_ok());
        assert!(QueryParams::parse(Some("page[number]=0")).is_err());
        assert!(QueryParams::parse(Some("page[number]=abc")).is_err());
    }

    /// Query strings built from the vocabulary scripts use, mangled.
    fn query_strings() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("page[number]".to_string()),
            Just("page[size]".to_string()),
            Just("sort".to_string()),
            Just("include".to_string()),
            Just("show_password".to_string()),
            "filter\\[[a-z_\\-\\[\\]]{0,12}\\]{0,2}".prop_map(String::from),
            "[a-zA-Z%\\[\\]_\\-]{0,10}".prop_map(String::from),
        ];
        let value = "[ -~]{0,12}";
        proptest::collection::vec((key, value), 0..6).prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        })
    }

    proptest::proptest! {
        #[test]
        fn any_query_string_parses_or_is_a_client_error(raw in proptest::prelude::any::<String>()) {
            if let Err(error) = QueryParams::parse(Some(&raw)) {
                proptest::prop_assert!(error.status().is_client_error(), "{error:?}");
            }
        }

        #[test]
        fn scripted_query_strings_parse_or_are_client_errors(raw in query_strings()) {
            match QueryParams::parse(Some(&raw)) {
                Ok(params) => {
                    proptest::prop_assert!(params.query.page_number >= 1);
                    proptest::prop_assert!(params.query.size() <= MAX_PAGE_SIZE);
                }
                Err(error) => proptest::prop_assert!(error.status().is_client_error(), "{error:?}"),
            }
        }
    }
}
