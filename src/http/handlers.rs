//! The generic handlers: every resource's list, show, create, update, bulk
//! update, delete and bulk delete, on top-level and nested routes, driven by
//! its definition. No resource has handlers of its own.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::body::{read_document, read_json};
use super::AppState;
use crate::activity::{self, Action, Entry};
use crate::error::{Error, Invalid, Result};
use crate::files::Journal;
use crate::jsonapi::document::{envelope, included, resource_object, LinkBase};
use crate::jsonapi::parse_bool;
use crate::jsonapi::query::{FilterMode, FilterParam, QueryParams};
use crate::jsonapi::MEDIA_TYPE;
use crate::resources::input::{attribute_values, data_items, Item, Purpose};
use crate::resources::{Parent, Resource, Reveal, WriteEnv};
use crate::store::compiled::Page;
use crate::store::dependents::Removed;
use crate::store::{Actor, Authenticated, NewRecord, Record, RecordSet, Values};

/// What every handler needs from the request besides its body.
pub struct Ctx {
    state: Arc<AppState>,
    grant: Authenticated,
    query: Option<String>,
    path: String,
    host: Option<String>,
    actor: Actor,
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
            actor: Actor {
                key_id: Some(grant.key_id),
                ip,
                user_agent: header(header::USER_AGENT).map(|ua| ua.chars().take(512).collect()),
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

    /// A fresh blob journal for one write; [`settle`] ends it.
    fn journal(&self) -> Journal {
        Journal::new(self.state.files.clone())
    }

    fn env<'a>(&'a self, files: &'a Journal) -> WriteEnv<'a> {
        WriteEnv {
            actor: &self.actor,
            vault: &self.state.vault,
            files,
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

    fn link_base(&self) -> LinkBase {
        LinkBase {
            origin: self.origin(),
            path: self.path.clone(),
        }
    }
}

/// A JSON:API response.
pub(super) fn document(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
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

fn ids(params: &RawPathParams, resource: &Resource) -> Result<Ids> {
    let mut out = Ids {
        parent: None,
        id: None,
    };
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
    path: RawPathParams,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let ids = ids(&path, resource)?;
    let parent = parent.zip(ids.parent);
    let ops = resource.ops;
    match method {
        Method::GET | Method::HEAD if ops.list => list(ctx, resource, parent).await,
        Method::POST if ops.create => {
            let body = read_document(&headers, body, resource.takes_files()).await?;
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
    path: RawPathParams,
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

async fn ensure_parent(ctx: &Ctx, parent: Option<(&'static Parent, i64)>) -> Result<()> {
    if let Some((parent, id)) = parent {
        if !ctx
            .state
            .store
            .parent_exists(ctx.grant.scope, parent, id)
            .await?
        {
            return Err(Error::NotFound(format!(
                "{} {id} was not found",
                parent.route.trim_end_matches('s')
            )));
        }
    }
    Ok(())
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
    params.filters.push(FilterParam {
        mode: FilterMode::Match,
        name: "resource_type".into(),
        value: resource_type.into(),
    });
    params.filters.push(FilterParam {
        mode: FilterMode::Match,
        name: "resource_id".into(),
        value: id.to_string(),
    });
    if params.sort.is_empty() {
        params.sort.push(("created_at".into(), true));
    }
    list_with(ctx, &crate::resources::logs::LOGS, None, params).await
}

async fn list_with(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    params: QueryParams,
) -> Result<Response> {
    if let Some(max) = resource.max_page {
        if params.page_number > max {
            return Err(Error::bad_parameter(
                "page[number]",
                format!("must be between 1 and {max}; page further back with filter[created_at] and sort=created_at"),
            ));
        }
    }
    let compiled = ctx.state.catalog.get(resource);
    let conditions = compiled.conditions(&params)?;
    let sorts = compiled.sorts(&params)?;
    let includes = compiled.includes(&params, false)?;
    ensure_parent(&ctx, parent).await?;
    let store = &ctx.state.store;
    let page = store
        .list(
            ctx.grant.scope,
            compiled,
            parent,
            &conditions,
            &Page {
                sorts: &sorts,
                size: params.size(),
                number: params.page_number,
            },
        )
        .await?;
    let set = store
        .includes(
            ctx.grant.scope,
            &ctx.state.catalog,
            compiled,
            &page.records,
            &includes,
        )
        .await?;
    let revealed = reveal(&ctx, resource, &page.records, false, None).await?;
    let origin = ctx.origin();
    let data: Vec<Value> = page
        .records
        .iter()
        .map(|r| {
            object(
                resource,
                r,
                true,
                Some((&set, &includes)),
                &revealed,
                &origin,
            )
        })
        .collect();
    let (meta, links) = envelope(&ctx.link_base(), &params, page.total);
    let mut body = json!({ "data": data, "meta": meta, "links": links });
    if !includes.is_empty() {
        body["included"] = Value::Array(included(&set, &origin));
    }
    Ok(document(StatusCode::OK, body))
}

async fn show(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    id: i64,
) -> Result<Response> {
    let params = ctx.params()?;
    let compiled = ctx.state.catalog.get(resource);
    let includes = compiled.includes(&params, true)?;
    let version = match params.other("version_id") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| Error::bad_parameter("version_id", "must be a version id"))?,
        ),
    };
    let store = &ctx.state.store;
    resource.hooks.shown(store, ctx.grant.scope, id).await?;
    let record = store
        .show(ctx.grant.scope, compiled, id, parent)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{} {id} was not found", resource.json_type)))?;
    let records = [record];
    let set = store
        .includes(
            ctx.grant.scope,
            &ctx.state.catalog,
            compiled,
            &records,
            &includes,
        )
        .await?;
    let revealed = reveal(&ctx, resource, &records, true, version).await?;
    Ok(single(
        resource,
        StatusCode::OK,
        &records[0],
        &set,
        &includes,
        &revealed,
        &ctx.origin(),
    ))
}

/// Secret attributes revealed for some records, by record id.
type Revealed = HashMap<i64, Map<String, Value>>;

/// A resource object with any revealed secrets in its attributes.
fn object(
    resource: &Resource,
    record: &Record,
    in_list: bool,
    related: Option<(&RecordSet, &[&'static crate::resources::Include])>,
    revealed: &Revealed,
    origin: &str,
) -> Value {
    let mut object = resource_object(resource, record, in_list, related, origin);
    if let (Some(secrets), Some(Value::Object(attributes))) =
        (revealed.get(&record.id), object.get_mut("attributes"))
    {
        for (key, value) in secrets {
            attributes.insert(key.clone(), value.clone());
        }
    }
    object
}

/// A key without password access may not send secret attributes at all.
fn forbid_secrets(ctx: &Ctx, resource: &Resource, items: &[Item]) -> Result<()> {
    if ctx.grant.password_access || !resource.has_secrets() {
        return Ok(());
    }
    let sends_secret = items.iter().any(|item| {
        let attributes = item.attributes();
        resource
            .fields
            .iter()
            .any(|f| f.secret && attributes.contains_key(f.name))
    });
    if sends_secret {
        return Err(Error::Forbidden(
            "this API key has no password access: it cannot send password or otp_secret values"
                .into(),
        ));
    }
    Ok(())
}

/// Reveals the secrets of `records` when the key has password access and
/// `show_password` (default `default_show`) asks for them, auditing each
/// reveal before anything is sent.
async fn reveal(
    ctx: &Ctx,
    resource: &'static Resource,
    records: &[Record],
    default_show: bool,
    version: Option<i64>,
) -> Result<Revealed> {
    if !resource.has_secrets() || records.is_empty() {
        return Ok(Revealed::new());
    }
    let params = ctx.params()?;
    let show = match params.other("show_password") {
        None => default_show,
        Some(v) => parse_bool(v)
            .ok_or_else(|| Error::bad_parameter("show_password", "must be true or false"))?,
    };
    if version.is_some() && !ctx.grant.password_access {
        return Err(Error::Forbidden(
            "this API key has no password access: it cannot read password versions".into(),
        ));
    }
    if !show || !ctx.grant.password_access {
        return Ok(Revealed::new());
    }
    let revealed = resource
        .hooks
        .reveal(Reveal {
            store: &ctx.state.store,
            vault: &ctx.state.vault,
            scope: ctx.grant.scope,
            records,
            version,
        })
        .await?;
    let entries: Vec<Entry> = records
        .iter()
        .filter(|r| revealed.contains_key(&r.id))
        .map(|r| Entry::for_record(resource, r, Action::Show))
        .collect();
    activity::record_now(&ctx.state.store, ctx.grant.scope, &ctx.actor, &entries).await?;
    Ok(revealed)
}

fn single(
    resource: &Resource,
    status: StatusCode,
    record: &Record,
    set: &RecordSet,
    includes: &[&'static crate::resources::Include],
    revealed: &Revealed,
    origin: &str,
) -> Response {
    let mut body = json!({
        "data": object(resource, record, false, Some((set, includes)), revealed, origin)
    });
    if !includes.is_empty() {
        body["included"] = Value::Array(included(set, origin));
    }
    document(status, body)
}

fn many(
    resource: &Resource,
    status: StatusCode,
    records: &[Record],
    revealed: &Revealed,
    origin: &str,
) -> Response {
    let data: Vec<Value> = records
        .iter()
        .map(|r| object(resource, r, false, None, revealed, origin))
        .collect();
    document(status, json!({ "data": data }))
}

/// What a store write returns: its records, and the blobs its commit released.
trait Written {
    fn into_parts(self) -> (Vec<Record>, Vec<String>);
}

impl Written for Vec<Record> {
    fn into_parts(self) -> (Vec<Record>, Vec<String>) {
        (self, Vec::new())
    }
}

impl Written for (Vec<Record>, Removed) {
    fn into_parts(self) -> (Vec<Record>, Vec<String>) {
        (self.0, self.1.blobs)
    }
}

/// Ends every write: settles its blob journal by the outcome (a failed write
/// removes the blobs it stored; a committed one removes the blobs of the
/// attachments it deleted) and hands back the records.
async fn settle(journal: Journal, outcome: Result<impl Written>) -> Result<Vec<Record>> {
    match outcome {
        Ok(written) => {
            let (records, released) = written.into_parts();
            journal.release(released);
            journal.settle(true).await;
            Ok(records)
        }
        Err(error) => {
            journal.settle(false).await;
            Err(error)
        }
    }
}

fn require_body(body: Option<Value>) -> Result<Value> {
    body.ok_or_else(|| Error::bad_request("a JSON:API document with data is required"))
}

fn checked(problems: Vec<Invalid>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

async fn create(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    body: Option<Value>,
) -> Result<Response> {
    let body = require_body(body)?;
    let (mut items, is_array) = data_items(&body, resource, parent.is_some())?;
    forbid_secrets(&ctx, resource, &items)?;
    let mut problems = Vec::new();
    let mut prepared = Vec::with_capacity(items.len());
    for item in &mut items {
        if let Some((parent, parent_id)) = parent {
            // On a nested route the URL names the parent.
            let attributes = item
                .object
                .entry("attributes")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = attributes {
                map.insert(parent.field.to_string(), json!(parent_id));
                if let Some(kind) = parent.class {
                    map.insert("resource_type".to_string(), json!(kind));
                }
            }
        }
        let values = attribute_values(resource, item, Purpose::Create, &mut problems);
        prepared.push(NewRecord {
            pointer: item.attributes_pointer(),
            values,
            relationships: item.object.get("relationships").cloned(),
        });
    }
    checked(problems)?;
    ensure_parent(&ctx, parent).await?;
    let compiled = ctx.state.catalog.get(resource);
    let journal = ctx.journal();
    let outcome = ctx
        .state
        .store
        .create(ctx.grant.scope, compiled, ctx.env(&journal), prepared)
        .await;
    let records = settle(journal, outcome).await?;
    let revealed = reveal(&ctx, resource, &records, false, None).await?;
    if is_array {
        Ok(many(
            resource,
            StatusCode::CREATED,
            &records,
            &revealed,
            &ctx.origin(),
        ))
    } else {
        Ok(single(
            resource,
            StatusCode::CREATED,
            &records[0],
            &RecordSet::default(),
            &[],
            &revealed,
            &ctx.origin(),
        ))
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
    let (items, _) = data_items(&body, resource, false)?;
    forbid_secrets(&ctx, resource, &items)?;
    let item = &items[0];
    let mut problems = Vec::new();
    if let Some(given) = item.object.get("attributes").and_then(|a| a.get("id")) {
        if !given.is_null() && crate::resources::input::parse_id(given) != Some(id) {
            problems.push(Invalid::new(
                format!("{}/id", item.attributes_pointer()),
                "does not match the id in the URL",
            ));
        }
    }
    let values = attribute_values(resource, item, Purpose::Update, &mut problems);
    checked(problems)?;
    ensure_parent(&ctx, parent).await?;
    let compiled = ctx.state.catalog.get(resource);
    let journal = ctx.journal();
    let outcome = ctx
        .state
        .store
        .update(
            ctx.grant.scope,
            compiled,
            ctx.env(&journal),
            parent,
            vec![(item.attributes_pointer(), id, values)],
        )
        .await;
    let records = settle(journal, outcome).await?;
    let revealed = reveal(&ctx, resource, &records, false, None).await?;
    Ok(single(
        resource,
        StatusCode::OK,
        &records[0],
        &RecordSet::default(),
        &[],
        &revealed,
        &ctx.origin(),
    ))
}

async fn bulk_update(
    ctx: Ctx,
    resource: &'static Resource,
    body: Option<Value>,
) -> Result<Response> {
    let body = require_body(body)?;
    let params = ctx.params()?;
    let compiled = ctx.state.catalog.get(resource);
    let mut problems = Vec::new();
    let items: Vec<(String, i64, Values)> = if params.filters.is_empty() {
        if !body.get("data").is_some_and(Value::is_array) {
            return Err(Error::bad_request(
                "a bulk update takes a data array of records with ids, or filters and one data object",
            ));
        }
        let (items, _) = data_items(&body, resource, true)?;
        forbid_secrets(&ctx, resource, &items)?;
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            let values = attribute_values(resource, item, Purpose::Update, &mut problems);
            match item.id() {
                Ok(id) => out.push((item.attributes_pointer(), id, values)),
                Err(Error::Invalid(mut p)) => problems.append(&mut p),
                Err(other) => return Err(other),
            }
        }
        out
    } else {
        // With filters, `data` is one object applied to every match.
        let conditions = compiled.conditions(&params)?;
        let (items, is_array) = data_items(&body, resource, true)?;
        forbid_secrets(&ctx, resource, &items)?;
        if is_array {
            return Err(Error::invalid(
                "/data",
                "must be one object when filters pick the records",
            ));
        }
        let item: &Item = &items[0];
        let values = attribute_values(resource, item, Purpose::Update, &mut problems);
        checked(std::mem::take(&mut problems))?;
        let ids = ctx
            .state
            .store
            .matching_ids(ctx.grant.scope, compiled, None, &conditions)
            .await?;
        ids.into_iter()
            .map(|id| (item.attributes_pointer(), id, values.clone()))
            .collect()
    };
    checked(problems)?;
    if items.is_empty() {
        return Ok(many(
            resource,
            StatusCode::OK,
            &[],
            &Revealed::new(),
            &ctx.origin(),
        ));
    }
    let journal = ctx.journal();
    let outcome = ctx
        .state
        .store
        .update(ctx.grant.scope, compiled, ctx.env(&journal), None, items)
        .await;
    let records = settle(journal, outcome).await?;
    let revealed = reveal(&ctx, resource, &records, false, None).await?;
    Ok(many(
        resource,
        StatusCode::OK,
        &records,
        &revealed,
        &ctx.origin(),
    ))
}

async fn bulk_delete(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    body: Option<Value>,
) -> Result<Response> {
    let params = ctx.params()?;
    let compiled = ctx.state.catalog.get(resource);
    let has_data = body.as_ref().is_some_and(|b| b.get("data").is_some());
    ensure_parent(&ctx, parent).await?;
    let ids: Vec<(String, i64)> = match (has_data, params.filters.is_empty()) {
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
            checked(problems)?;
            ids
        }
        (false, false) => {
            let conditions = compiled.conditions(&params)?;
            ctx.state
                .store
                .matching_ids(ctx.grant.scope, compiled, parent, &conditions)
                .await?
                .into_iter()
                .map(|id| (String::from("filter"), id))
                .collect()
        }
    };
    if ids.is_empty() {
        return Ok(many(
            resource,
            StatusCode::OK,
            &[],
            &Revealed::new(),
            &ctx.origin(),
        ));
    }
    let journal = ctx.journal();
    let outcome = ctx
        .state
        .store
        .delete(ctx.grant.scope, compiled, ctx.env(&journal), parent, ids)
        .await;
    let records = settle(journal, outcome).await?;
    Ok(many(
        resource,
        StatusCode::OK,
        &records,
        &Revealed::new(),
        &ctx.origin(),
    ))
}

async fn delete_one(
    ctx: Ctx,
    resource: &'static Resource,
    parent: Option<(&'static Parent, i64)>,
    id: i64,
) -> Result<Response> {
    ensure_parent(&ctx, parent).await?;
    let compiled = ctx.state.catalog.get(resource);
    let journal = ctx.journal();
    let outcome = ctx
        .state
        .store
        .delete(
            ctx.grant.scope,
            compiled,
            ctx.env(&journal),
            parent,
            vec![(String::from("/"), id)],
        )
        .await;
    settle(journal, outcome).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
