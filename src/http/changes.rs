//! `GET /changes`: the account's change feed, an addition beside the
//! reference for delta sync. Each entry names a record created, updated or
//! deleted (type, id, time, organization); `page[after]` continues from
//! `meta.next-cursor`, which every answer carries, so a follower stores it
//! and polls.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::handlers::{document, Ctx};
use crate::clock::format_millis;
use crate::error::{Error, Result};
use crate::jsonapi::document::link_with;

/// The feed's handler.
pub(super) async fn list(ctx: Ctx) -> Result<Response> {
    let params = ctx.params()?;
    if let Some(filter) = params.query.filters.first() {
        return Err(Error::bad_parameter(
            filter.parameter(),
            "the change feed takes no filters; it lists every change of the account",
        ));
    }
    if !params.query.sort.is_empty() {
        return Err(Error::bad_parameter(
            "sort",
            "the change feed is always in commit order",
        ));
    }
    if params.query.page_number != 1 {
        return Err(Error::bad_parameter(
            "page[number]",
            "the change feed pages by page[after] only",
        ));
    }
    let size = params.query.size();
    let after = params.query.page_after.clone().unwrap_or_default();
    let page = ctx
        .state()
        .engine
        .changes(&ctx.caller(), &after, size)
        .await?;
    let data: Vec<Value> = page
        .changes
        .iter()
        .map(|change| {
            json!({
                "id": change.id.to_string(),
                "type": "changes",
                "attributes": {
                    "action": change.action,
                    "resource-type": change.resource_type,
                    "resource-id": change.resource_id,
                    "organization-id": change.organization_id,
                    "created-at": format_millis(change.created_at),
                }
            })
        })
        .collect();
    let base = ctx.link_base();
    let link = |cursor: &str| {
        link_with(
            &base,
            &params,
            &[("page[after]", cursor), ("page[size]", &size.to_string())],
        )
    };
    let mut links = json!({ "self": link(&after) });
    if page.has_more {
        links["next"] = json!(link(&page.next));
    }
    Ok(document(
        StatusCode::OK,
        json!({
            "data": data,
            "meta": {
                "has-more": page.has_more,
                "next-cursor": page.next,
                "page-size": size,
            },
            "links": links,
        }),
    ))
}
