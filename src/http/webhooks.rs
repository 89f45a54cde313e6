//! `/webhooks`: the account's webhook subscriptions, an addition beside the
//! reference. JSON:API documents of type `webhooks`; the signing `secret`
//! is in the create response only. Every statement is scoped by the
//! caller's account, so another account's subscription is a 404. They are
//! account settings in the role table, and every change is logged.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::body::read_json;
use super::handlers::{document, Ctx};
use crate::clock::format_millis;
use crate::error::{Error, Invalid, Result};
use crate::roles::{Guard, Operation};
use crate::store::Webhook;
use crate::webhooks::Draft;

const ATTRIBUTES: &str = "/data/attributes";

/// A subscription as a resource object.
fn object(webhook: &Webhook, origin: &str) -> Value {
    json!({
        "id": webhook.id.to_string(),
        "type": "webhooks",
        "attributes": {
            "url": webhook.url,
            "events": webhook.events,
            "resource-types": webhook.resource_types,
            "organization-id": webhook.organization_id.map(|o| o.to_string()),
            "enabled": webhook.enabled,
            "disabled-reason": webhook.disabled_reason,
            "failure-count": webhook.failure_count,
            "created-at": format_millis(webhook.created_at),
            "updated-at": format_millis(webhook.updated_at),
        },
        "links": { "self": format!("{origin}/webhooks/{}", webhook.id) },
    })
}

/// The subscription id in the path; anything else names none.
fn id_of(raw: &str) -> Result<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Error::NotFound(format!("{raw:?} is not a webhooks id")))
}

/// Refuses (403) what the acting user's role may not do with
/// subscriptions: they are account settings (the role table's row).
fn authorize(ctx: &Ctx, operation: Operation) -> Result<()> {
    ctx.caller()
        .authorize_guarded(Guard::Settings, "webhooks", operation)
}

async fn find(ctx: &Ctx, id: i64) -> Result<Webhook> {
    ctx.state()
        .engine
        .store()
        .webhook(ctx.scope(), id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no webhooks record with id {id}")))
}

/// `GET /webhooks`: every subscription of the account, oldest first.
pub(super) async fn list(ctx: Ctx) -> Result<Response> {
    authorize(&ctx, Operation::Read)?;
    let params = ctx.params()?;
    if let Some(filter) = params.query.filters.first() {
        return Err(Error::bad_parameter(
            filter.parameter(),
            "the webhooks list takes no filters",
        ));
    }
    let webhooks = ctx
        .state()
        .engine
        .store()
        .list_webhooks(Some(ctx.scope()))
        .await?;
    let origin = ctx.origin();
    let data: Vec<Value> = webhooks.iter().map(|w| object(w, &origin)).collect();
    Ok(document(
        StatusCode::OK,
        json!({
            "data": data,
            "meta": { "total-count": data.len() },
            "links": { "self": format!("{origin}/webhooks") },
        }),
    ))
}

/// `GET /webhooks/{id}`.
pub(super) async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    authorize(&ctx, Operation::Read)?;
    let webhook = find(&ctx, id_of(&id)?).await?;
    Ok(document(
        StatusCode::OK,
        json!({ "data": object(&webhook, &ctx.origin()) }),
    ))
}

/// `POST /webhooks`: a new subscription, with its secret shown this once.
pub(super) async fn create(ctx: Ctx, headers: HeaderMap, body: Body) -> Result<Response> {
    authorize(&ctx, Operation::Create)?;
    let body = read_json(&headers, body).await?;
    let draft = draft(body, None)?;
    let state = ctx.state();
    let store = state.engine.store();
    let settings = crate::webhooks::settle(
        store,
        ctx.scope(),
        draft,
        None,
        state.webhooks.webhook_allow_private,
        ATTRIBUTES,
    )
    .await?;
    let caller = ctx.caller();
    let (webhook, secret) = crate::webhooks::create(
        store,
        state.engine.vault(),
        ctx.scope(),
        &settings,
        Some(&caller.actor),
    )
    .await?;
    let mut data = object(&webhook, &ctx.origin());
    data["attributes"]["secret"] = Value::String(secret);
    let mut response = document(StatusCode::CREATED, json!({ "data": data }));
    if let Ok(location) = format!("{}/webhooks/{}", ctx.origin(), webhook.id).parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

/// `PATCH /webhooks/{id}`: changes the attributes sent; `enabled: true`
/// re-enables a disabled subscription and clears its failures.
pub(super) async fn update(
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&ctx, Operation::Edit)?;
    let id = id_of(&id)?;
    let body = read_json(&headers, body).await?;
    let current = find(&ctx, id).await?;
    let draft = draft(body, Some(id))?;
    let state = ctx.state();
    let store = state.engine.store();
    let settings = crate::webhooks::settle(
        store,
        ctx.scope(),
        draft,
        Some(&current),
        state.webhooks.webhook_allow_private,
        ATTRIBUTES,
    )
    .await?;
    let caller = ctx.caller();
    if !crate::webhooks::update(store, ctx.scope(), id, &settings, &caller.actor).await? {
        return Err(Error::NotFound(format!("no webhooks record with id {id}")));
    }
    let webhook = find(&ctx, id).await?;
    Ok(document(
        StatusCode::OK,
        json!({ "data": object(&webhook, &ctx.origin()) }),
    ))
}

/// `DELETE /webhooks/{id}`: the subscription and its undelivered events go.
pub(super) async fn delete(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    authorize(&ctx, Operation::Delete)?;
    let id = id_of(&id)?;
    let webhook = find(&ctx, id).await?;
    let store = ctx.state().engine.store();
    let caller = ctx.caller();
    if !crate::webhooks::delete(store, ctx.scope(), &webhook, &caller.actor).await? {
        return Err(Error::NotFound(format!("no webhooks record with id {id}")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The request document's settings; every shape problem in one 422.
fn draft(body: Option<Value>, id: Option<i64>) -> Result<Draft> {
    let Some(body) = body else {
        return Err(Error::Invalid(vec![Invalid::new(
            "/data",
            "a JSON:API document with data is required",
        )]));
    };
    let Some(data) = body.get("data").and_then(Value::as_object) else {
        return Err(Error::Invalid(vec![Invalid::new(
            "/data",
            "data must be an object with type webhooks and attributes",
        )]));
    };
    let mut problems = Vec::new();
    match data.get("type").and_then(Value::as_str) {
        Some("webhooks") | None => {}
        Some(other) => problems.push(Invalid::new(
            "/data/type",
            format!("type must be webhooks, not {other:?}"),
        )),
    }
    if let (Some(id), Some(sent)) = (id, data.get("id")) {
        let same = match sent {
            Value::String(s) => s == &id.to_string(),
            Value::Number(n) => n.as_i64() == Some(id),
            _ => false,
        };
        if !same {
            problems.push(Invalid::new(
                "/data/id",
                format!("id must be {id}, the id in the path"),
            ));
        }
    }
    let empty = Map::new();
    let attributes = match data.get("attributes") {
        None => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(Error::Invalid(vec![Invalid::new(
                ATTRIBUTES,
                "attributes must be an object",
            )]))
        }
    };
    let at = |name: &str| format!("{ATTRIBUTES}/{name}");
    let mut draft = Draft::default();
    for (key, value) in attributes {
        match key.as_str() {
            "url" => match value {
                Value::String(url) => draft.url = Some(url.trim().to_string()),
                _ => problems.push(Invalid::new(at("url"), "url must be a string")),
            },
            "events" => match strings(value) {
                Some(list) => draft.events = Some(list),
                None => problems.push(Invalid::new(
                    at("events"),
                    "events must be an array of strings (or a comma list)",
                )),
            },
            "resource_types" => match value {
                Value::Null => draft.resource_types = Some(None),
                other => match strings(other) {
                    Some(list) => draft.resource_types = Some(Some(list)),
                    None => problems.push(Invalid::new(
                        at("resource-types"),
                        "resource-types must be an array of JSON:API types, or null",
                    )),
                },
            },
            "organization_id" => match value {
                Value::Null => draft.organization_id = Some(None),
                Value::Number(n) if n.as_i64().is_some_and(|v| v > 0) => {
                    draft.organization_id = Some(n.as_i64())
                }
                Value::String(s) if s.parse::<i64>().is_ok_and(|v| v > 0) => {
                    draft.organization_id = Some(s.parse().ok())
                }
                _ => problems.push(Invalid::new(
                    at("organization-id"),
                    "organization-id must be an organization id, or null",
                )),
            },
            "enabled" => match value {
                Value::Bool(b) => draft.enabled = Some(*b),
                _ => problems.push(Invalid::new(at("enabled"), "enabled must be a boolean")),
            },
            "secret" | "disabled_reason" | "failure_count" | "created_at" | "updated_at" => {
                problems.push(Invalid::new(
                    at(&key.replace('_', "-")),
                    format!("{} is set by the server", key.replace('_', "-")),
                ))
            }
            other => problems.push(Invalid::new(
                at(&other.replace('_', "-")),
                format!("webhooks have no attribute {:?}", other.replace('_', "-")),
            )),
        }
    }
    if problems.is_empty() {
        Ok(draft)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// An array of strings, or a comma list in one string.
fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(|s| s.trim().to_string()))
            .collect(),
        Value::String(list) => Some(
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
        _ => None,
    }
}
