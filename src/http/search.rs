//! `GET /search`: global full-text search over the account's records of
//! every searchable type, answered as a JSON:API list of mixed types, best
//! first, with the number of matches per type in `meta` (and whether those
//! count every match).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::handlers::{document, object, Ctx, Document};
use crate::engine::search::searchable;
use crate::engine::SearchRequest;
use crate::error::{Error, Result};
use crate::jsonapi::document::{envelope, ResourceObject};
use crate::query::{split_list, FilterMode};
use crate::resources::Resource;

/// `GET /search?query=...[&filter[organization_id]=ID][&filter[type]=T,...]`.
pub(super) async fn search(ctx: Ctx) -> Result<Response> {
    let params = ctx.params()?;
    let query = params
        .other("query")
        .ok_or_else(|| {
            Error::bad_parameter(
                "query",
                "is required: the words to search for, e.g. ?query=fw01",
            )
        })?
        .to_string();
    if !params.query.sort.is_empty() {
        return Err(Error::bad_parameter(
            "sort",
            "search results come best first and take no sort",
        ));
    }
    if !params.query.include.is_empty() {
        return Err(Error::bad_parameter(
            "include",
            "search results take no include",
        ));
    }
    if params.query.page_after.is_some() {
        return Err(Error::bad_parameter(
            "page[after]",
            "search results page by page[number]",
        ));
    }
    let mut organization_id = None;
    let mut types = Vec::new();
    for filter in &params.query.filters {
        let parameter = format!("filter[{}]", filter.name);
        if filter.mode != FilterMode::Match {
            return Err(Error::bad_parameter(
                parameter,
                "search takes filter[organization_id] and filter[type] only",
            ));
        }
        match filter.name.as_str() {
            "organization_id" => {
                organization_id = Some(
                    filter
                        .value
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|id| *id > 0)
                        .ok_or_else(|| {
                            Error::bad_parameter(parameter, "must be one organization id")
                        })?,
                );
            }
            "type" => {
                for name in split_list(&filter.value) {
                    types.push(searchable_type(name).ok_or_else(|| {
                        Error::bad_parameter(
                            parameter.clone(),
                            format!(
                                "{name:?} is not a searchable type; use {}",
                                searchable()
                                    .map(|d| d.json_type)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?);
                }
            }
            _ => {
                return Err(Error::bad_parameter(
                    parameter,
                    "is not a search filter; search takes filter[organization_id] and filter[type]",
                ))
            }
        }
    }
    let found = ctx
        .state()
        .engine
        .search(
            &ctx.caller(),
            &SearchRequest {
                query: query.clone(),
                organization_id,
                types,
                size: params.query.size(),
                number: params.query.page_number,
            },
        )
        .await?;
    let origin = ctx.origin();
    let data: Vec<ResourceObject> = found
        .order
        .iter()
        .filter_map(|(kind, id)| {
            let group = found
                .groups
                .iter()
                .find(|g| g.resource.json_type == *kind)?;
            let record = group.records.iter().find(|r| r.id == *id)?;
            Some(object(group, record, true, &origin))
        })
        .collect();
    let (mut meta, links) = envelope(&ctx.link_base(), &params, found.total(), None);
    let counts: Map<String, Value> = found
        .counts
        .iter()
        .map(|(kind, n)| (kind.to_string(), json!(n)))
        .collect();
    if let Some(meta) = meta.as_object_mut() {
        meta.insert("query".into(), Value::String(query));
        meta.insert("type-counts".into(), Value::Object(counts));
        meta.insert("counts-exact".into(), Value::Bool(found.counts_exact));
    }
    Ok(document(
        StatusCode::OK,
        Document {
            data,
            meta: Some(meta),
            links: Some(links),
            included: None,
        },
    ))
}

/// The searchable type `name` names (`flexible_assets` or `flexible-assets`).
fn searchable_type(name: &str) -> Option<&'static Resource> {
    let name = name.trim().replace('_', "-");
    searchable().find(|def| def.json_type == name)
}
