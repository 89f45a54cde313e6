//! Copilot Smart Assist's routes: `GET /copilot_smart_assist/documents`
//! (a category's documents with every category's counter in `meta`), and
//! `PATCH` (archive) and `DELETE` of many documents at account scope or
//! under `/organizations/:organization_id/copilot_smart_assist/documents`,
//! by `data` ids or by `filter[type]`, all or nothing. The categories are
//! [`crate::copilot`]'s; every read and write goes through the engine.

use axum::body::Body;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::RawPathParams;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::body::read_json;
use super::handlers::{document, list_body, many, Ctx};
use crate::copilot::{counted, Category};
use crate::engine::input::{data_items, Item};
use crate::engine::{BulkDelete, BulkUpdate, Condition};
use crate::error::{Error, Invalid, Result};
use crate::query::{FilterParam, Query};
use crate::resources::documents::DOCUMENTS;
use crate::store::Arg;

type PathParams = std::result::Result<RawPathParams, RawPathParamsRejection>;

/// `GET /copilot_smart_assist/documents`.
pub(super) async fn list(ctx: Ctx) -> Result<Response> {
    // `params` stays as sent (meta echoes its filters, links rebuild
    // from it); the engine gets the documents' own filters and sort.
    let params = ctx.params()?;
    let mut query = params.query.clone();
    let category = Category::take_from(&mut query)?;
    if query.sort.is_empty() {
        let (name, descending) = category.default_sort();
        query.sort.push((name.to_string(), descending));
    }
    let now = crate::clock::now_millis();
    let engine = &ctx.state().engine;
    let caller = ctx.caller();
    let listed = engine
        .list_narrowed(&caller, &DOCUMENTS, None, &query, &category.conditions(now))
        .await?;
    // The counters count the scope the filters give (organization,
    // archived), not the page.
    let mut scope = query;
    scope.sort.clear();
    let mut counters = serde_json::Map::new();
    for (name, counted) in counted(category) {
        let count = engine
            .count(&caller, &DOCUMENTS, &scope, &counted.conditions(now))
            .await?;
        counters.insert(name.to_string(), json!(count));
    }
    let origin = ctx.origin();
    let mut body = serde_json::to_value(list_body(&ctx, &params, &listed, &origin))
        .map_err(anyhow::Error::new)?;
    // The reference renders these documents with `relationships: {}`.
    if let Some(data) = body.get_mut("data").and_then(Value::as_array_mut) {
        for object in data.iter_mut().filter_map(Value::as_object_mut) {
            object.entry("relationships").or_insert_with(|| json!({}));
        }
    }
    if let Some(meta) = body.get_mut("meta").and_then(Value::as_object_mut) {
        meta.extend(counters);
    }
    Ok(document(StatusCode::OK, body))
}

/// `PATCH` of both scopes: archives (or, with `archived: false`, restores)
/// the documents `data` names, or those of `filter[type]`.
pub(super) async fn archive(
    ctx: Ctx,
    path: PathParams,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let organization = organization_of(&path)?;
    let body = read_json(&headers, body).await?;
    let mut params = ctx.params()?;
    let target = match selection(&mut params.query, organization)? {
        Some(narrowing) => {
            let item = match body {
                None => Item::new(json!({ "type": "documents", "attributes": { "archived": true } })),
                Some(body) => match data_items(&body, &DOCUMENTS, true)? {
                    (mut items, _) if items.len() == 1 => items.remove(0),
                    _ => {
                        return Err(Error::invalid(
                            "/data",
                            "must be one object ({\"archived\": true}) when filter[type] picks the documents",
                        ))
                    }
                },
            };
            only_archived(std::slice::from_ref(&item), false)?;
            BulkUpdate::Matching {
                query: Box::new(params.query.clone()),
                narrowing,
                item,
            }
        }
        None => {
            let body = body.ok_or_else(|| {
                Error::bad_request(
                    "name the documents in a data array of {type, attributes: {id, archived}}, \
                     or pick them with filter[type]",
                )
            })?;
            let (items, _) = data_items(&body, &DOCUMENTS, true)?;
            only_archived(&items, true)?;
            let ids = item_ids(&items)?;
            in_organization(&ctx, organization, &ids).await?;
            BulkUpdate::Each(items)
        }
    };
    let updated = ctx
        .state()
        .engine
        .bulk_update(&ctx.caller(), &DOCUMENTS, target, &Query::default())
        .await?;
    Ok(many(StatusCode::OK, &updated, &ctx.origin()))
}

/// `DELETE` of both scopes: deletes the documents `data` names, or those
/// of `filter[type]`, and answers them as they were.
pub(super) async fn delete(
    ctx: Ctx,
    path: PathParams,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let organization = organization_of(&path)?;
    let body = read_json(&headers, body).await?;
    let mut params = ctx.params()?;
    let target = match selection(&mut params.query, organization)? {
        Some(narrowing) => {
            if body.as_ref().is_some_and(|b| b.get("data").is_some()) {
                return Err(Error::bad_request(
                    "a delete takes either data or filter[type], not both",
                ));
            }
            BulkDelete::Matching {
                query: params.query.clone(),
                narrowing,
            }
        }
        None => {
            let body = body.ok_or_else(|| {
                Error::bad_request(
                    "name the documents in a data array of {type, attributes: {id}}, \
                     or pick them with filter[type]",
                )
            })?;
            let (items, _) = data_items(&body, &DOCUMENTS, true)?;
            let ids = item_ids(&items)?;
            in_organization(&ctx, organization, &ids).await?;
            BulkDelete::Ids(
                items
                    .iter()
                    .zip(ids)
                    .map(|(item, id)| (item.pointer.clone(), id))
                    .collect(),
            )
        }
    };
    let deleted = ctx
        .state()
        .engine
        .delete(&ctx.caller(), &DOCUMENTS, None, target, None)
        .await?;
    Ok(many(StatusCode::OK, &deleted, &ctx.origin()))
}

/// The organization of the organization-scoped route (none at account scope).
fn organization_of(path: &PathParams) -> Result<Option<i64>> {
    let params = path
        .as_ref()
        .map_err(|_| Error::NotFound("the path names no organization".into()))?;
    match params.iter().next() {
        None => Ok(None),
        Some((_, value)) => value
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| Error::NotFound(format!("{value:?} is not an organizations id"))),
    }
}

/// A write by `filter[type]`: the documents' own filters left in the
/// query (with the route's organization) and the category's conditions;
/// `None` when the request names its documents in `data` instead. The
/// most-used list cannot be written by category.
fn selection(query: &mut Query, organization: Option<i64>) -> Result<Option<Vec<Condition>>> {
    if query.filters.is_empty() {
        return Ok(None);
    }
    if let Some(organization) = organization {
        query.filters.retain(|f| f.name != "organization_id");
        query.filters.push(FilterParam::matching(
            "organization_id",
            organization.to_string(),
        ));
    }
    let category = Category::take_from(query)?;
    if !category.selects_for_writes() {
        return Err(Error::bad_parameter(
            "filter[type]",
            "is required to pick documents by category (stale, not_viewed, expired or duplicates)",
        ));
    }
    Ok(Some(category.conditions(crate::clock::now_millis())))
}

/// Refuses attributes other than `archived` (and `id` when the items name
/// their records `by_id`, which then need `archived` too): this route
/// archives, it edits nothing else.
fn only_archived(items: &[Item], by_id: bool) -> Result<()> {
    let mut problems = Vec::new();
    for item in items {
        let pointer = item.attributes_pointer();
        let attributes = item.object.get("attributes").and_then(Value::as_object);
        let mut has_archived = false;
        for (name, value) in attributes.into_iter().flatten() {
            match name.as_str() {
                "archived" if value.is_boolean() => has_archived = true,
                "archived" => problems.push(Invalid::new(
                    format!("{pointer}/archived"),
                    "must be true or false",
                )),
                "id" if by_id => {}
                other => problems.push(Invalid::new(
                    format!("{pointer}/{other}"),
                    "cannot change here: this route archives documents; PATCH /documents/:id edits them",
                )),
            }
        }
        if !has_archived && by_id {
            problems.push(Invalid::new(format!("{pointer}/archived"), "is required"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// The ids `items` name, or the problems of those that name none.
fn item_ids(items: &[Item]) -> Result<Vec<i64>> {
    let mut problems = Vec::new();
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        match item.id() {
            Ok(id) => ids.push(id),
            Err(Error::Invalid(mut p)) => problems.append(&mut p),
            Err(other) => return Err(other),
        }
    }
    if problems.is_empty() {
        Ok(ids)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// On the organization-scoped route, a 404 for ids of documents that are
/// not the organization's (the write then changes nothing).
async fn in_organization(ctx: &Ctx, organization: Option<i64>, ids: &[i64]) -> Result<()> {
    let Some(organization) = organization else {
        return Ok(());
    };
    let engine = &ctx.state().engine;
    let caller = ctx.caller();
    let found = engine
        .matching_ids(
            &caller,
            &DOCUMENTS,
            &[
                Condition::In {
                    expr: "t.organization_id",
                    values: vec![Arg::from(organization)],
                    negate: false,
                },
                Condition::In {
                    expr: "t.id",
                    values: ids.iter().map(|id| Arg::from(*id)).collect(),
                    negate: false,
                },
            ],
        )
        .await?;
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !found.contains(id))
        .map(i64::to_string)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "documents {} were not found in organization {organization}",
            missing.join(", ")
        )))
    }
}
