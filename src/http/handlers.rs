//! The generic handlers: every resource's list, show, create, update, bulk
//! update, delete and bulk delete, on top-level and nested routes, driven by
//! its definition. No resource has handlers of its own.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::body::{read_document, read_json};
use super::conditional;
use super::AppState;
use crate::engine::input::data_items;
use crate::engine::{BulkDelete, BulkUpdate, Caller, Expected, Records};
use crate::error::{Error, Result};
use crate::jsonapi::document::{cursor_envelope, envelope, included, LinkBase, ResourceObject};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::MEDIA_TYPE;
use crate::query::FilterParam;
use crate::resources::{Parent, Resource};
use crate::store::{Actor, Authenticated};

/// What every handler needs from the request besides its body.
pub struct Ctx {
    state: Arc<AppState>,
    grant: Authenticated,
    query: Option<String>,
    path: String,
    host: Option<String>,
    actor: Actor,
    /// The `If-Match` header, when sent.
    if_match: Option<String>,
    /// The `If-None-Match` header, when sent.
    if_none_match: Option<String>,
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Ctx> {
        let grant = *parts.extensions.get::<Authenticated>().ok_or_else(|| {
            Error::Internal(anyhow::anyhow!("route served without authentication"))
        })?;
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let header = |name: header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(Ctx {
            state: state.clone(),
            grant,
            query: parts.uri.query().map(str::to_string),
            path: parts.uri.path().to_string(),
            host: header(header::HOST),
            if_match: header(header::IF_MATCH),
            if_none_match: header(header::IF_NONE_MATCH),
            actor: Actor {
                key_id: Some(grant.key_id),
                user_id: grant.user.map(|user| user.id),
                ip,
                user_agent: header(header::USER_AGENT).map(|mut ua| {
                    // At most 512 characters, cut at a character's boundary.
                    if let Some((end, _)) = ua.char_indices().nth(512) {
                        ua.truncate(end);
                    }
                    ua
                }),
            },
        })
    }
}

impl Ctx {
    pub(super) fn state(&self) -> &AppState {
        &self.state
    }

    pub(super) fn scope(&self) -> crate::store::Scope {
        self.grant.scope
    }

    /// The engine's view of the caller.
    pub(super) fn caller(&self) -> Caller {
        Caller {
            scope: self.grant.scope,
            actor: self.actor.clone(),
            password_access: self.grant.password_access,
            user: self.grant.user,
        }
    }

    pub(super) fn params(&self) -> Result<QueryParams> {
        QueryParams::parse(self.query.as_deref())
    }

    /// `scheme://host[:port]` that links use: the configured public URL, or
    /// the Host the client used.
    pub(super) fn origin(&self) -> String {
        match (&self.state.public_url, &self.host) {
            (Some(url), _) => url.trim_end_matches('/').to_string(),
            (None, Some(host)) => format!("http://{host}"),
            (None, None) => "http://localhost".to_string(),
        }
    }

    /// What `If-Match` asks of a write to one record.
    fn expected(&self) -> Option<Expected> {
        self.if_match.as_deref().map(conditional::expected)
    }

    /// Refuses `If-Match` where it cannot apply: on a route that writes
    /// more than one record.
    fn refuse_if_match(&self) -> Result<()> {
        match self.if_match {
            Some(_) => Err(Error::bad_request(
                "If-Match applies to the route of one record (PATCH or DELETE /type/id); \
                 send the request without it or to that record's route",
            )),
            None => Ok(()),
        }
    }

    pub(super) fn link_base(&self) -> LinkBase {
        LinkBase {
            origin: self.origin(),
            path: self.path.clone(),
        }
    }
}

/// A JSON:API response of `body`, serialised straight into its bytes.
pub(super) fn document(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, to_body(&body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

/// The path parameters of a route: the parent id (nested routes) and the record id (member routes).
struct Ids {
    parent: Option<i64>,
    id: Option<i64>,
}

fn ids(
    params: &std::result::Result<RawPathParams, RawPathParamsRejection>,
    resource: &Resource,
) -> Result<Ids> {
    let mut out = Ids {
        parent: None,
        id: None,
    };
    // A segment that is not UTF-8 names no record, as any other bad id.
    let params = params
        .as_ref()
        .map_err(|_| Error::NotFound(format!("the path names no {} record", resource.json_type)))?;
    for (key, value) in params {
        let parsed = value
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                Error::NotFound(format!("{value:?} is not a {} id", resource.json_type))
            })?;
        match key {
            "parent_id" => out.parent = Some(parsed),
            _ => out.id = Some(parsed),
        }
    }
    Ok(out)
}

/// Serves `/{resource}` and `/{parent}/:parent_id/relationships/{resource}`.
pub async fn collection(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<&'static Parent>,
    method: Method,
    path: std::result::Result<RawPathParams, RawPathParamsRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let ids = ids(&path, resource)?;
    let parent = parent.zip(ids.parent);
    let ops = resource.ops;
    match method {
        Method::GET | Method::HEAD if ops.list && (ops.list_top_level || parent.is_some()) => {
            list(ctx, resource, parent).await
        }
        Method::POST if ops.create => {
            let body = read_document(&headers, body, resource.takes_files).await?;
            create(ctx, resource, parent, body).await
        }
        Method::PATCH if ops.bulk_update && parent.is_none() => {
            let body = read_json(&headers, body).await?;
            bulk_update(ctx, resource, body).await
        }
        Method::PATCH if ops.bulk_update => Err(Error::bad_request(
            "bulk updates go to the top-level route, not a nested one",
        )),
        Method::DELETE if ops.bulk_delete => {
            let body = read_json(&headers, body).await?;
            bulk_delete(ctx, resource, parent, body).await
        }
        _ => Err(Error::MethodNotAllowed),
    }
}

/// Serves `/{resource}/:id` and its nested form.
pub async fn member(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<&'static Parent>,
    method: Method,
    path: std::result::Result<RawPathParams, RawPathParamsRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let ids = ids(&path, resource)?;
    let parent = parent.zip(ids.parent);
    let id = ids
        .id
        .ok_or_else(|| Error::NotFound("no record id".into()))?;
    let ops = resource.ops;
    match method {
        Method::GET | Method::HEAD if ops.show => show(ctx, resource, parent, id).await,
        Method::PATCH if ops.update => {
            let body = read_json(&headers, body).await?;
            update(ctx, resource, parent, id, body).await
        }
        // The reference's nested `DELETE .../:id` is described as deleting
        // many: with a `data` array it is the bulk delete within the parent.
        Method::DELETE if parent.is_some() && (ops.delete || ops.bulk_delete) => {
            match read_json(&headers, body).await? {
                Some(body) if body.get("data").is_some() => {
                    bulk_delete(ctx, resource, parent, Some(body)).await
                }
                _ => delete_one(ctx, resource, parent, id).await,
            }
        }
        Method::DELETE if ops.delete => delete_one(ctx, resource, None, id).await,
        _ => Err(Error::MethodNotAllowed),
    }
}

async fn list(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
) -> Result<Response> {
    let params = ctx.params()?;
    list_with(ctx, resource, parent, params).await
}

/// The activity log entries of one record (newest first unless sorted otherwise).
pub(super) async fn list_logs(ctx: Ctx, resource_type: &str, id: i64) -> Result<Response> {
    let mut params = ctx.params()?;
    let query = &mut params.query;
    query
        .filters
        .push(FilterParam::matching("resource_type", resource_type));
    query
        .filters
        .push(FilterParam::matching("resource_id", id.to_string()));
    if query.sort.is_empty() {
        query.sort.push(("created_at".into(), true));
    }
    list_with(ctx, &crate::resources::logs::LOGS, None, params).await
}

async fn list_with(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    params: QueryParams,
) -> Result<Response> {
    let listed = ctx
        .state
        .engine
        .list(&ctx.caller(), resource, parent, &params.query)
        .await?;
    let origin = ctx.origin();
    Ok(document(
        StatusCode::OK,
        list_body(&ctx, &params, &listed, &origin),
    ))
}

/// The bytes of a response document (serialising JSON into memory cannot fail).
fn to_body(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// A response document: `data` (one object or a list), and the members a
/// list or an include adds, serialised without building a [`Value`] tree.
#[derive(Serialize)]
pub(super) struct Document<'a, D> {
    /// The primary data.
    pub(super) data: D,
    /// A list's page arithmetic (and what else a route adds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) meta: Option<Value>,
    /// A list's page links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) links: Option<Value>,
    /// The records an include brought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) included: Option<Vec<ResourceObject<'a>>>,
}

/// `{"data": [...], "meta": ..., "links": ...}` (with `included` when asked
/// for) of a listed page.
pub(super) fn list_body<'a>(
    ctx: &Ctx,
    params: &QueryParams,
    listed: &'a Records,
    origin: &'a str,
) -> Document<'a, Vec<ResourceObject<'a>>> {
    let data = listed
        .records
        .iter()
        .map(|r| object(listed, r, true, origin))
        .collect();
    let (meta, links) = match &listed.cursor {
        Some(cursor) => cursor_envelope(&ctx.link_base(), params, cursor),
        None => envelope(
            &ctx.link_base(),
            params,
            listed.total,
            listed.resource.max_page,
        ),
    };
    Document {
        data,
        meta: Some(meta),
        links: Some(links),
        included: listed
            .requested
            .then(|| included(&listed.related, &listed.extra, origin)),
    }
}

async fn show(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    id: i64,
) -> Result<Response> {
    let params = ctx.params()?;
    let shown = ctx
        .state
        .engine
        .show(&ctx.caller(), resource, parent, id, &params.query)
        .await?;
    Ok(single_tagged(
        StatusCode::OK,
        &shown,
        &ctx.origin(),
        ctx.if_none_match.as_deref(),
    ))
}

/// A resource object with its computed attributes (revealed secrets among them).
pub(super) fn object<'a>(
    records: &'a Records,
    record: &'a crate::store::Record,
    in_list: bool,
    origin: &'a str,
) -> ResourceObject<'a> {
    ResourceObject {
        def: records.resource,
        record,
        in_list,
        related: Some((&records.related, records.includes.as_slice())),
        extra: records.extra.get(&(records.resource.json_type, record.id)),
        origin,
    }
}

/// `{"data": object}` (with `included` when asked for).
fn single(status: StatusCode, records: &Records, origin: &str) -> Response {
    document(status, single_body(records, origin))
}

/// `{"data": object}` (with `included` when asked for), with the `ETag`
/// of the record and this representation; a 304 when `if_none_match`
/// names it.
fn single_tagged(
    status: StatusCode,
    records: &Records,
    origin: &str,
    if_none_match: Option<&str>,
) -> Response {
    let body = to_body(&single_body(records, origin));
    let etag = conditional::etag(&records.records[0], &body);
    if if_none_match.is_some_and(|header| conditional::none_match(header, &etag)) {
        return conditional::not_modified(&etag);
    }
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn single_body<'a>(records: &'a Records, origin: &'a str) -> Document<'a, ResourceObject<'a>> {
    Document {
        data: object(records, &records.records[0], false, origin),
        meta: None,
        links: None,
        included: records
            .requested
            .then(|| included(&records.related, &records.extra, origin)),
    }
}

/// `{"data": [objects]}`.
pub(super) fn many(status: StatusCode, records: &Records, origin: &str) -> Response {
    let data: Vec<ResourceObject> = records
        .records
        .iter()
        .map(|r| object(records, r, false, origin))
        .collect();
    document(
        status,
        Document {
            data,
            meta: None,
            links: None,
            included: None,
        },
    )
}

fn require_body(body: Option<Value>) -> Result<Value> {
    body.ok_or_else(|| Error::bad_request("a JSON:API document with data is required"))
}

async fn create(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    body: Option<Value>,
) -> Result<Response> {
    ctx.refuse_if_match()?;
    let body = require_body(body)?;
    let params = ctx.params()?;
    let (items, is_array) = data_items(&body, resource, parent.is_some())?;
    let created = ctx
        .state
        .engine
        .create(&ctx.caller(), resource, parent, items, &params.query)
        .await?;
    if is_array {
        Ok(many(StatusCode::CREATED, &created, &ctx.origin()))
    } else {
        Ok(single(StatusCode::CREATED, &created, &ctx.origin()))
    }
}

async fn update(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    id: i64,
    body: Option<Value>,
) -> Result<Response> {
    let body = require_body(body)?;
    let params = ctx.params()?;
    let (mut items, _) = data_items(&body, resource, false)?;
    let item = items.remove(0);
    let expected = ctx.expected();
    let updated = ctx
        .state
        .engine
        .update(
            &ctx.caller(),
            resource,
            parent,
            id,
            item,
            &params.query,
            expected.as_ref(),
        )
        .await?;
    Ok(single_tagged(StatusCode::OK, &updated, &ctx.origin(), None))
}

async fn bulk_update(
    ctx: Ctx,
    resource: &'static Resource,
    body: Option<Value>,
) -> Result<Response> {
    ctx.refuse_if_match()?;
    let body = require_body(body)?;
    let params = ctx.params()?;
    let target = if params.query.filters.is_empty() {
        if !body.get("data").is_some_and(Value::is_array) {
            return Err(Error::bad_request(
                "a bulk update takes a data array of records with ids, or filters and one data object",
            ));
        }
        BulkUpdate::Each(data_items(&body, resource, true)?.0)
    } else {
        // With filters, `data` is one object applied to every match.
        let (mut items, is_array) = data_items(&body, resource, true)?;
        if is_array {
            return Err(Error::invalid(
                "/data",
                "must be one object when filters pick the records",
            ));
        }
        BulkUpdate::Matching {
            query: Box::new(params.query.clone()),
            narrowing: Vec::new(),
            item: items.remove(0),
        }
    };
    let updated = ctx
        .state
        .engine
        .bulk_update(&ctx.caller(), resource, target, &params.query)
        .await?;
    Ok(many(StatusCode::OK, &updated, &ctx.origin()))
}

async fn bulk_delete(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    body: Option<Value>,
) -> Result<Response> {
    ctx.refuse_if_match()?;
    let params = ctx.params()?;
    let has_data = body.as_ref().is_some_and(|b| b.get("data").is_some());
    let target = match (has_data, params.query.filters.is_empty()) {
        (true, false) => {
            return Err(Error::bad_request(
                "a bulk delete takes either data or filters, not both",
            ))
        }
        (false, true) => {
            return Err(Error::bad_request(
                "a bulk delete needs a data array of ids or at least one filter",
            ))
        }
        (true, true) => {
            let body = body.expect("has_data implies a body");
            let (items, _) = data_items(&body, resource, true)?;
            let mut problems = Vec::new();
            let mut ids = Vec::with_capacity(items.len());
            for item in &items {
                match item.id() {
                    Ok(id) => ids.push((item.pointer.clone(), id)),
                    Err(Error::Invalid(mut p)) => problems.append(&mut p),
                    Err(other) => return Err(other),
                }
            }
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            BulkDelete::Ids(ids)
        }
        (false, false) => BulkDelete::Matching {
            query: params.query,
            narrowing: Vec::new(),
        },
    };
    let deleted = ctx
        .state
        .engine
        .delete(&ctx.caller(), resource, parent, target, None)
        .await?;
    Ok(many(StatusCode::OK, &deleted, &ctx.origin()))
}

async fn delete_one(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    id: i64,
) -> Result<Response> {
    ctx.state
        .engine
        .delete(
            &ctx.caller(),
            resource,
            parent,
            BulkDelete::Ids(vec![(String::from("/"), id)]),
            ctx.expected().as_ref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
