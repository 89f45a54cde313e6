//! The pages of a signed-in user: organizations, an organization's
//! overview, its records of each type, a record, global search,
//! expirations, and a password's reveal (audited as the API's is). Every
//! read goes through the engine with the user's role.

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{attributes, engine_error, error_page, page, respond, Crumb, Signed};
use crate::engine::{Records, SearchRequest};
use crate::jsonapi::document::resource_object;
use crate::jsonapi::query::QueryParams;
use crate::query::{FilterMode, FilterParam, Query};
use crate::resources::expirations::EXPIRATIONS;
use crate::resources::logs::LOGS;
use crate::resources::organizations::ORGANIZATIONS;
use crate::resources::passwords::PASSWORDS;
use crate::resources::{by_route, Resource};
use crate::store::SEARCH_WINDOW;

/// The record types an organization's pages list, with their labels and
/// the columns their lists show (after the name).
const KINDS: &[(&str, &str, &[&str])] = &[
    (
        "configurations",
        "Configurations",
        &[
            "configuration-type-name",
            "hostname",
            "primary-ip",
            "configuration-status-name",
        ],
    ),
    (
        "contacts",
        "Contacts",
        &["title", "contact-type-name", "location-name"],
    ),
    ("locations", "Locations", &["city", "region-name", "phone"]),
    ("domains", "Domains", &["registrar-name", "expires-on"]),
    ("documents", "Documents", &["updated-at", "archived"]),
    (
        "passwords",
        "Passwords",
        &["username", "url", "password-category-name"],
    ),
    (
        "flexible_assets",
        "Flexible assets",
        &["flexible-asset-type-name", "updated-at"],
    ),
];

/// An attribute's value as text: dates and times in the reader's zone
/// (converted by the script; UTC without it), lists and objects as text.
pub(super) fn value(name: &str, value: &Value) -> Markup {
    match value {
        Value::Null => html! { span.muted { "—" } },
        Value::Bool(true) => html! { "Yes" },
        Value::Bool(false) => html! { "No" },
        Value::String(text) if name.ends_with("-at") && text.len() >= 19 => {
            html! { time datetime=(text) { (text.replace('T', " ").trim_end_matches('Z')) " UTC" } }
        }
        Value::String(text) => html! { (text) },
        Value::Number(n) => html! { (n.to_string()) },
        Value::Array(items) => html! {
            @for item in items {
                div { (item.get("value").or_else(|| item.get("name")).map_or_else(|| item.to_string(), |v| v.as_str().map_or_else(|| v.to_string(), str::to_string))) }
            }
        },
        Value::Object(_) => html! { code { (value.to_string()) } },
    }
}

/// The label of an attribute name (`primary-ip` -> `Primary ip`).
fn label(name: &str) -> String {
    let spaced = name.replace('-', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

fn name_of(attributes: &Map<String, Value>) -> String {
    attributes
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("(unnamed)")
        .to_string()
}

/// `n` with its thousands apart, as people read a count (`9,054`).
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn crumbs(items: &[(&str, Option<String>)]) -> Vec<Crumb> {
    items
        .iter()
        .map(|(label, link)| (label.to_string(), link.clone()))
        .collect()
}

/// `?done=` after an action: its flash message.
pub(super) fn flash_of(raw: Option<&str>) -> Option<&'static str> {
    let params = QueryParams::parse(raw).ok()?;
    match params.other("done")? {
        "enrolled" => Some("Two-factor sign-in is set up."),
        "created" => Some("Created."),
        "saved" => Some("Saved."),
        "deleted" => Some("Deleted."),
        "uploaded" => Some("Uploaded."),
        "archived" => Some("Archived."),
        "restored" => Some("Restored."),
        _ => None,
    }
}

pub(super) fn pager(base: &str, page: u32, size: u32, total: u64) -> Markup {
    let pages = total.div_ceil(u64::from(size.max(1))).max(1);
    let join = if base.contains('?') { '&' } else { '?' };
    html! {
        nav.pager aria-label="Pages" {
            @if page > 1 { a href=(format!("{base}{join}page={}", page - 1)) rel="prev" { "← Previous" } }
            span.muted { "Page " (page) " of " (pages) " · " (total) " in all" }
            @if u64::from(page) < pages { a href=(format!("{base}{join}page={}", page + 1)) rel="next" { "Next →" } }
        }
    }
}

/// The list page's own parameters (`q`, `page`), apart from the API's.
#[derive(Debug, Default)]
struct ListParams {
    q: String,
    page: u32,
    /// The API's parameters (`sort`, `filter[...]`), as the API takes them.
    api: QueryParams,
}

fn list_params(raw: Option<&str>) -> crate::error::Result<ListParams> {
    let mut own = ListParams {
        page: 1,
        ..ListParams::default()
    };
    let mut rest = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "q" => own.q = value.trim().to_string(),
            "page" => own.page = value.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
            "type" | "done" => {}
            _ => rest.push((key.to_string(), value.to_string())),
        }
    }
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(rest)
        .finish();
    own.api = QueryParams::parse(Some(&encoded))?;
    Ok(own)
}

/// `GET /ui/organizations`: searchable, filterable by type and status, paged.
pub async fn organizations(signed: Signed, RawQuery(raw): RawQuery) -> Response {
    let params = match list_params(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return engine_error(&signed, e),
    };
    let engine = &signed.state.engine;
    let caller = signed.caller();
    let size = 50;
    let mut query = params.api.query.clone();
    query.page_size = Some(size);
    query.page_number = params.page;
    if query.sort.is_empty() {
        query.sort.push(("name".into(), false));
    }
    let listed = if params.q.is_empty() {
        engine.list(&caller, &ORGANIZATIONS, None, &query).await
    } else {
        engine
            .search(
                &caller,
                &SearchRequest {
                    query: params.q.clone(),
                    organization_id: None,
                    types: vec![&ORGANIZATIONS],
                    size,
                    number: params.page,
                },
            )
            .await
            .map(|found| {
                let total = found.total();
                let mut group = found
                    .groups
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| empty(&ORGANIZATIONS));
                group.total = total;
                group
            })
    };
    let listed = match listed {
        Ok(listed) => listed,
        Err(e) => return engine_error(&signed, e),
    };
    let filters = catalog_options(&signed, &params.api.query).await;
    let base = {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if !params.q.is_empty() {
            s.append_pair("q", &params.q);
        }
        for (k, v) in &params.api.pairs {
            s.append_pair(k, v);
        }
        format!("/ui/organizations?{}", s.finish())
    };
    let body = html! {
        h1 { "Organizations" }
        form.filters method="get" action="/ui/organizations" {
            label { "Name" input type="search" name="q" value=(params.q) placeholder="Filter by name"; }
            (filters)
            button.secondary type="submit" { "Apply" }
            @if !params.q.is_empty() || !params.api.pairs.is_empty() { a href="/ui/organizations" { "Clear" } }
        }
        @if listed.records.is_empty() {
            p.empty {
                @if params.q.is_empty() && params.api.pairs.is_empty() {
                    "No organizations yet. Create one through the API (POST /organizations) or load sample data with `mortar demo`."
                } @else {
                    "No organization matches. Clear the filters to see them all."
                }
            }
        } @else {
            table {
                thead { tr {
                    th scope="col" { a href="/ui/organizations?sort=name" { "Name" } }
                    th scope="col" { "Short name" }
                    th scope="col" { "Type" }
                    th scope="col" { "Status" }
                    th scope="col" { a href="/ui/organizations?sort=-updated_at" { "Updated" } }
                } }
                tbody {
                    @for record in &listed.records {
                        @let a = attributes(&listed, record, true);
                        tr {
                            td { a href=(format!("/ui/organizations/{}", record.id)) { (name_of(&a)) } }
                            td { (value("short-name", a.get("short-name").unwrap_or(&Value::Null))) }
                            td { (value("organization-type-name", a.get("organization-type-name").unwrap_or(&Value::Null))) }
                            td { (value("organization-status-name", a.get("organization-status-name").unwrap_or(&Value::Null))) }
                            td { (value("updated-at", a.get("updated-at").unwrap_or(&Value::Null))) }
                        }
                    }
                }
            }
            (pager(&base, params.page, size, listed.total))
        }
    };
    respond(
        StatusCode::OK,
        page(
            &signed,
            "Organizations",
            &[],
            flash_of(raw.as_deref()),
            body,
        ),
    )
}

/// Records of `def` that are none (a search without matches).
fn empty(def: &'static Resource) -> Records {
    Records {
        resource: def,
        records: Vec::new(),
        total: 0,
        includes: Vec::new(),
        requested: false,
        related: Default::default(),
        extra: Default::default(),
        cursor: None,
    }
}

/// The type and status selects of the organizations list.
async fn catalog_options(signed: &Signed, query: &Query) -> Markup {
    let mut selects = Vec::new();
    for (route, filter, title) in [
        ("organization_types", "organization_type_id", "Type"),
        ("organization_statuses", "organization_status_id", "Status"),
    ] {
        let Some(def) = by_route(route) else { continue };
        let chosen = query
            .filters
            .iter()
            .find(|f| f.name == filter)
            .map(|f| f.value.clone())
            .unwrap_or_default();
        let options = super::named_records(signed, def, Vec::new()).await;
        selects.push((filter, title, chosen, options));
    }
    html! {
        @for (filter, title, chosen, options) in selects {
            label { (title)
                select name=(format!("filter[{filter}]")) {
                    option value="" { "Any" }
                    @for (id, name) in options {
                        option value=(id) selected[*id == chosen] { (name) }
                    }
                }
            }
        }
    }
}

/// `GET /ui/organizations/:id`: the alert, quick notes, counts per record
/// type, expirations of the next 90 days and recent activity.
pub async fn organization(signed: Signed, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such organization.",
        );
    };
    let engine = &signed.state.engine;
    let caller = signed.caller();
    let shown = match engine
        .show(&caller, &ORGANIZATIONS, None, id, &Query::default())
        .await
    {
        Ok(shown) => shown,
        Err(e) => return engine_error(&signed, e),
    };
    let a = attributes(&shown, &shown.records[0], false);
    let name = name_of(&a);
    let in_org = |extra: Vec<FilterParam>| {
        let mut filters = vec![FilterParam::matching("organization_id", id.to_string())];
        filters.extend(extra);
        Query {
            filters,
            ..Query::default()
        }
    };
    let mut counts = Vec::new();
    for (route, title, _) in KINDS {
        let Some(def) = by_route(route) else { continue };
        let count = engine.count(&caller, def, &in_org(Vec::new()), &[]).await;
        counts.push((*route, *title, count.unwrap_or(0)));
    }
    let today = chrono::Utc::now().date_naive();
    let horizon = today + chrono::Duration::days(90);
    let mut expiring_query = in_org(vec![FilterParam {
        mode: FilterMode::Range,
        name: "expiration_date".into(),
        value: format!("{today},{horizon}"),
    }]);
    expiring_query.sort = vec![("expiration_date".into(), false)];
    expiring_query.page_size = Some(20);
    let expiring = engine
        .list(&caller, &EXPIRATIONS, None, &expiring_query)
        .await;
    let mut activity_query = in_org(Vec::new());
    activity_query.sort = vec![("created_at".into(), true)];
    activity_query.page_size = Some(10);
    let activity = engine.list(&caller, &LOGS, None, &activity_query).await;
    let body = html! {
        h1 { (name) }
        @if let Some(alert) = a.get("alert").and_then(Value::as_str).filter(|t| !t.trim().is_empty()) {
            p.alert role="alert" { (alert) }
        }
        @if let Some(notes) = a.get("quick-notes").and_then(Value::as_str).filter(|t| !t.trim().is_empty()) {
            section.card aria-label="Quick notes" { h2 { "Quick notes" } p { (notes) } }
        }
        ul.counts {
            @for (route, title, count) in &counts {
                li { a href=(format!("/ui/organizations/{id}/{route}")) { strong { (count) } (title) } }
            }
        }
        div.grid {
            section.card {
                h2 { "Expiring in the next 90 days" }
                (expirations_table(&expiring))
            }
            section.card {
                h2 { "Recent activity" }
                (activity_list(&activity))
            }
        }
        h2 { "Details" }
        (attribute_list(&a))
    };
    respond(
        StatusCode::OK,
        page(
            &signed,
            &name,
            &crumbs(&[
                ("Organizations", Some("/ui/organizations".into())),
                (&name, None),
            ]),
            None,
            body,
        ),
    )
}

fn expirations_table(listed: &crate::error::Result<Records>) -> Markup {
    match listed {
        Ok(listed) if !listed.records.is_empty() => html! {
            table {
                thead { tr { th { "Date" } th { "What" } th { "Kind" } } }
                tbody {
                    @for record in &listed.records {
                        @let a = attributes(listed, record, true);
                        tr {
                            td { (value("expiration-date", a.get("expiration-date").unwrap_or(&Value::Null))) }
                            td { (value("resource-name", a.get("resource-name").unwrap_or(&Value::Null))) }
                            td { (value("resource-type-name", a.get("resource-type-name").unwrap_or(&Value::Null))) }
                        }
                    }
                }
            }
        },
        Ok(_) => html! { p.muted { "Nothing expires in this window." } },
        Err(e) => html! { p.error { (e.to_string()) } },
    }
}

fn activity_list(listed: &crate::error::Result<Records>) -> Markup {
    match listed {
        Ok(listed) if !listed.records.is_empty() => html! {
            ul {
                @for record in &listed.records {
                    @let a = attributes(listed, record, true);
                    li {
                        (value("created-at", a.get("created-at").unwrap_or(&Value::Null))) " · "
                        (a.get("action").and_then(Value::as_str).unwrap_or("")) " "
                        (a.get("resource-type").and_then(Value::as_str).unwrap_or("")) " "
                        strong { (a.get("resource-name").and_then(Value::as_str).unwrap_or("")) }
                    }
                }
            }
        },
        Ok(_) => html! { p.muted { "No activity in the last 30 days." } },
        Err(e) => html! { p.error { (e.to_string()) } },
    }
}

/// Every attribute but ids (the names beside them say more).
fn attribute_list(a: &Map<String, Value>) -> Markup {
    html! {
        dl.attrs {
            @for (name, v) in a.iter().filter(|(name, _)| !name.ends_with("-id")) {
                dt { (label(name)) }
                dd { (value(name, v)) }
            }
        }
    }
}

/// `GET /ui/organizations/:id/:kind`: the organization's records of one
/// type, with the API's sorts and filters (`?sort=-updated_at`,
/// `?filter[archived]=true`) and paging.
pub async fn records(
    signed: Signed,
    Path((id, kind)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (Ok(id), Some((route, title, columns))) = (
        id.parse::<i64>(),
        KINDS.iter().find(|(route, _, _)| *route == kind),
    ) else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such page.",
        );
    };
    let Some(def) = by_route(route) else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such page.",
        );
    };
    let params = match list_params(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return engine_error(&signed, e),
    };
    let engine = &signed.state.engine;
    let caller = signed.caller();
    let organization = match engine
        .show(&caller, &ORGANIZATIONS, None, id, &Query::default())
        .await
    {
        Ok(shown) => name_of(&attributes(&shown, &shown.records[0], false)),
        Err(e) => return engine_error(&signed, e),
    };
    let size = 50;
    let mut query = params.api.query.clone();
    query.filters.retain(|f| f.name != "organization_id");
    query
        .filters
        .push(FilterParam::matching("organization_id", id.to_string()));
    query.page_size = Some(size);
    query.page_number = params.page;
    if query.sort.is_empty() {
        query.sort.push(("name".into(), false));
    }
    // Flexible assets are listed one type at a time, as in the API.
    let mut types = Vec::new();
    if def.route == "flexible_assets" {
        if let Some(types_def) = by_route("flexible_asset_types") {
            types = super::named_records(&signed, types_def, Vec::new()).await;
        }
        if !query.has_filter("flexible_asset_type_id") {
            if let Some((first, _)) = types.first() {
                query.filters.push(FilterParam::matching(
                    "flexible_asset_type_id",
                    first.clone(),
                ));
            }
        }
    }
    let listed = if def.route == "flexible_assets" && types.is_empty() {
        Ok(empty(def))
    } else {
        engine.list(&caller, def, None, &query).await
    };
    let listed = match listed {
        Ok(listed) => listed,
        Err(e) => return engine_error(&signed, e),
    };
    let here = format!("/ui/organizations/{id}/{route}");
    let base = {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &params.api.pairs {
            s.append_pair(k, v);
        }
        format!("{here}?{}", s.finish())
    };
    let creatable = super::forms::can(&signed, def, crate::roles::Operation::Create);
    let body = html! {
        h1 { (title) " of " (organization) }
        @if creatable {
            @if def.route == "flexible_assets" {
                @if let Some(chosen) = query.filters.iter().find(|f| f.name == "flexible_asset_type_id") {
                    p { a.button href=(format!("{here}/new?type={}", chosen.value)) {
                        "New " (types.iter().find(|(t, _)| *t == chosen.value).map_or("flexible asset", |(_, n)| n.as_str()))
                    } }
                }
            } @else {
                p { a.button href=(format!("{here}/new")) { "New " (title.trim_end_matches('s').to_lowercase()) } }
            }
        }
        @if !types.is_empty() {
            nav aria-label="Flexible asset types" {
                @for (type_id, type_name) in &types {
                    a href=(format!("{here}?filter[flexible_asset_type_id]={type_id}")) { (type_name) } " "
                }
            }
        }
        form.filters method="get" action=(here) {
            label { "Sort"
                select name="sort" {
                    option value="name" { "Name" }
                    option value="-updated_at" selected[query.sort.first().is_some_and(|(s, d)| s == "updated_at" && *d)] { "Recently updated" }
                    option value="created_at" selected[query.sort.first().is_some_and(|(s, d)| s == "created_at" && !*d)] { "Oldest first" }
                }
            }
            @if def.route == "flexible_assets" {
                @if let Some(chosen) = query.filters.iter().find(|f| f.name == "flexible_asset_type_id") {
                    input type="hidden" name="filter[flexible_asset_type_id]" value=(chosen.value);
                }
            }
            button.secondary type="submit" { "Apply" }
        }
        @if listed.records.is_empty() {
            p.empty { "No " (title.to_lowercase()) " here yet. Add them through the API; they show here at once." }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    @for column in *columns { th scope="col" { (label(column)) } }
                } }
                tbody {
                    @for record in &listed.records {
                        @let a = attributes(&listed, record, true);
                        tr {
                            td { a href=(format!("/ui/records/{route}/{}", record.id)) { (name_of(&a)) } }
                            @for column in *columns { td { (value(column, a.get(*column).unwrap_or(&Value::Null))) } }
                        }
                    }
                }
            }
            (pager(&base, params.page, size, listed.total))
        }
    };
    respond(
        StatusCode::OK,
        page(
            &signed,
            title,
            &crumbs(&[
                ("Organizations", Some("/ui/organizations".into())),
                (&organization, Some(format!("/ui/organizations/{id}"))),
                (title, None),
            ]),
            flash_of(raw.as_deref()),
            body,
        ),
    )
}

/// `GET /ui/records/:kind/:id`: every attribute, a document's content
/// (sanitised), a password masked with its Reveal button, and the record's
/// own activity.
pub async fn record(
    signed: Signed,
    Path((kind, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    show_record(&signed, &kind, &id, None, flash_of(raw.as_deref())).await
}

async fn show_record(
    signed: &Signed,
    kind: &str,
    id: &str,
    revealed: Option<Records>,
    flash: Option<&str>,
) -> Response {
    let (Ok(id), Some(def)) = (
        id.parse::<i64>(),
        by_route(kind).filter(|def| KINDS.iter().any(|(r, _, _)| *r == def.route)),
    ) else {
        return error_page(
            Some(signed),
            StatusCode::NOT_FOUND,
            "There is no such record.",
        );
    };
    let engine = &signed.state.engine;
    let caller = signed.caller();
    let shown = match revealed {
        Some(shown) => shown,
        None => match engine
            .show(
                &caller,
                def,
                None,
                id,
                &Query {
                    // The value is shown only after "Reveal", which is audited.
                    show_password: Some("false".into()),
                    include: versions_of(def),
                    ..Query::default()
                },
            )
            .await
        {
            Ok(shown) => shown,
            Err(e) => return engine_error(signed, e),
        },
    };
    let mut a = attributes(&shown, &shown.records[0], false);
    let name = name_of(&a);
    let organization_id = a.get("organization-id").and_then(Value::as_i64);
    let organization_name = a
        .get("organization-name")
        .and_then(Value::as_str)
        .unwrap_or("Organization")
        .to_string();
    let content = (def.route == "documents")
        .then(|| a.remove("content"))
        .flatten()
        .and_then(|v| v.as_str().map(str::to_string));
    let password = a.remove("password");
    let traits = (def.route == "flexible_assets")
        .then(|| a.remove("traits"))
        .flatten()
        .and_then(|v| v.as_object().cloned());
    let otp = a.remove("otp-code");
    let activity = engine
        .list(
            &caller,
            &LOGS,
            None,
            &Query {
                filters: vec![
                    FilterParam::matching("resource_type", def.class),
                    FilterParam::matching("resource_id", id.to_string()),
                ],
                sort: vec![("created_at".into(), true)],
                page_size: Some(20),
                ..Query::default()
            },
        )
        .await;
    let attachments = super::attachments::section(signed, def, id).await;
    let related = related_section(signed, def, id).await;
    let title = KINDS
        .iter()
        .find(|(r, _, _)| *r == def.route)
        .map_or("Records", |(_, t, _)| t);
    let body = html! {
        h1 { (name) }
        (super::forms::record_controls(signed, def, id, a.get("archived").and_then(Value::as_bool)))
        @if a.get("archived") == Some(&Value::Bool(true)) {
            p.alert { "Archived: hidden from lists unless asked for with filter[archived]=true." }
        }
        @if def.route == "passwords" {
            section.card aria-label="Password" {
                h2 { "Password" }
                @match &password {
                    Some(Value::String(secret)) => {
                        p { span.secret #password-value { (secret) } " " (copy_form(signed, id)) }
                        @if let Some(Value::String(code)) = &otp {
                            p { "One-time code: " span.secret #otp-code { (code) } " "
                                span.muted data-otp-remaining=(30 - (chrono::Utc::now().timestamp() % 30)) { "" } }
                        }
                        p.muted { "This reveal is recorded in the activity log." }
                    }
                    _ => {
                        p { span.secret aria-label="hidden password" { "••••••••••" } }
                        @if signed.session.user.role.sees_passwords() {
                            div.actions {
                                form method="post" action=(format!("/ui/passwords/{id}/reveal")) {
                                    input type="hidden" name="csrf" value=(signed.session.csrf_token);
                                    button type="submit" { "Reveal" }
                                }
                                (copy_form(signed, id))
                            }
                            p.muted { "Revealing or copying is recorded in the activity log, as an API reveal is." }
                        } @else {
                            p.muted { "Your role does not show password values." }
                        }
                    }
                }
            }
        }
        @if let Some(html_content) = &content {
            h2 { "Content" }
            // Sanitised: no script, no event handler attributes, no style.
            div.doc { (PreEscaped(ammonia::clean(html_content))) }
        }
        @if def.route == "passwords" {
            (versions_section(signed, &shown, id))
        }
        @if let Some(traits) = &traits {
            h2 { "Traits" }
            (super::flexible::traits_list(traits))
        }
        (related)
        (attachments)
        h2 { "Details" }
        (attribute_list(&a))
        h2 { "Activity" }
        (activity_list(&activity))
    };
    let mut trail = vec![("Organizations", Some("/ui/organizations".to_string()))];
    let org_link = organization_id.map(|o| format!("/ui/organizations/{o}"));
    let list_link = organization_id.map(|o| format!("/ui/organizations/{o}/{}", def.route));
    if org_link.is_some() {
        trail.push((organization_name.as_str(), org_link));
        trail.push((title, list_link));
    }
    trail.push((name.as_str(), None));
    respond(
        StatusCode::OK,
        page(signed, &name, &crumbs(&trail), flash, body),
    )
}

/// The page of the record of class `class` (`Configuration`) and `id`, if
/// the interface has pages of that type.
fn record_link(class: &str, id: i64) -> Option<String> {
    let def = crate::resources::registry::by_class(class)?;
    KINDS
        .iter()
        .any(|(route, _, _)| *route == def.route)
        .then(|| format!("/ui/records/{}/{id}", def.route))
}

/// A record's embedded passwords and its related items in both
/// directions: those it names and those that name it.
async fn related_section(signed: &Signed, def: &'static Resource, id: i64) -> Markup {
    use crate::engine::Condition;
    use crate::resources::related_items::RELATED_ITEMS;
    let engine = &signed.state.engine;
    let caller = signed.caller();
    let all = Query {
        page_size: Some(200),
        ..Query::default()
    };
    let embedded = if def.route == "passwords" {
        None
    } else {
        engine
            .list(
                &caller,
                &PASSWORDS,
                None,
                &Query {
                    filters: vec![
                        FilterParam::matching("resource_type", def.class),
                        FilterParam::matching("resource_id", id.to_string()),
                    ],
                    ..all.clone()
                },
            )
            .await
            .ok()
    };
    let outgoing = match RELATED_ITEMS
        .parents()
        .iter()
        .find(|p| p.route == def.route)
    {
        Some(parent) => engine
            .list(&caller, &RELATED_ITEMS, Some((parent, id)), &all)
            .await
            .ok(),
        None => None,
    };
    let incoming = engine
        .list_narrowed(
            &caller,
            &RELATED_ITEMS,
            None,
            &all,
            &[
                Condition::In {
                    expr: "t.destination_type",
                    values: vec![crate::store::Arg::from(def.class)],
                    negate: false,
                },
                Condition::In {
                    expr: "t.destination_id",
                    values: vec![crate::store::Arg::from(id)],
                    negate: false,
                },
            ],
        )
        .await
        .ok();
    html! {
        @if let Some(embedded) = &embedded {
            @if !embedded.records.is_empty() {
                h2 { "Passwords" }
                ul {
                    @for record in &embedded.records {
                        @let a = attributes(embedded, record, true);
                        li { a href=(format!("/ui/records/passwords/{}", record.id)) { (name_of(&a)) }
                            @if let Some(user) = a.get("username").and_then(Value::as_str) { span.muted { " · " (user) } } }
                    }
                }
            }
        }
        @let links = outgoing.as_ref().map_or(0, |l| l.records.len())
            + incoming.as_ref().map_or(0, |l| l.records.len());
        @if links > 0 {
            h2 { "Related items" }
            ul {
                @if let Some(outgoing) = &outgoing {
                    @for record in &outgoing.records {
                        @let a = attributes(outgoing, record, true);
                        @let kind = a.get("destination-type").and_then(Value::as_str).unwrap_or("");
                        @let target = a.get("destination-id").and_then(Value::as_i64).unwrap_or(0);
                        @let label = a.get("destination-name").and_then(Value::as_str).map_or_else(|| format!("{kind} {target}"), str::to_string);
                        li {
                            "→ " (kind) ": "
                            @match record_link(kind, target) { Some(href) => a href=(href) { (label) }, None => span { (label) } }
                            @if let Some(notes) = a.get("notes").and_then(Value::as_str) { span.muted { " · " (notes) } }
                        }
                    }
                }
                @if let Some(incoming) = &incoming {
                    @for record in &incoming.records {
                        @let a = attributes(incoming, record, true);
                        @let kind = a.get("resource-type").and_then(Value::as_str).unwrap_or("");
                        @let source = a.get("resource-id").and_then(Value::as_i64).unwrap_or(0);
                        li {
                            "← " (kind) ": "
                            @match record_link(kind, source) { Some(href) => a href=(href) { (kind) " " (source) }, None => span { (kind) " " (source) } }
                            @if let Some(notes) = a.get("notes").and_then(Value::as_str) { span.muted { " · " (notes) } }
                        }
                    }
                }
            }
        }
    }
}

/// The reveal form: the CSRF token and, for an earlier value, its version.
#[derive(Deserialize)]
pub struct RevealForm {
    csrf: Option<String>,
    version: Option<String>,
}

/// A password's Copy button: the script copies the value to the clipboard
/// through an audited read (without the script, the form shows it).
fn copy_form(signed: &Signed, id: i64) -> Markup {
    html! {
        form.inline method="post" action=(format!("/ui/passwords/{id}/copy")) data-copy-password {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            button.secondary type="submit" { "Copy" }
            " " span.muted role="status" data-copy-status {}
        }
    }
}

/// The include that brings a password's earlier versions (none for other types).
fn versions_of(def: &Resource) -> Vec<String> {
    if def.route == "passwords" {
        vec!["recent_versions".into()]
    } else {
        Vec::new()
    }
}

/// A password's earlier versions (newest first), each with a Reveal of its
/// value, audited as the current one's is.
fn versions_section(signed: &Signed, shown: &Records, id: i64) -> Markup {
    let mut versions: Vec<Map<String, Value>> = shown
        .related
        .included
        .values()
        .filter(|(def, _)| def.json_type == "recent-versions")
        .map(|(def, record)| {
            resource_object(def, record, true, None, None, "")["attributes"]
                .as_object()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    versions.sort_by_key(|a| std::cmp::Reverse(a.get("version").and_then(Value::as_i64)));
    html! {
        h2 { "Earlier versions" }
        @if versions.is_empty() {
            p.muted { "The password has not been changed since it was made." }
        } @else {
            table {
                thead { tr { th { "Version" } th { "Replaced" } th { "By API key" } th { "" } } }
                tbody {
                    @for a in &versions {
                        @let version = a.get("version").and_then(Value::as_i64).unwrap_or(0);
                        tr {
                            td { (version) }
                            td { (value("created-at", a.get("created-at").unwrap_or(&Value::Null))) }
                            td { (value("api-key-id", a.get("api-key-id").unwrap_or(&Value::Null))) }
                            td {
                                @if signed.session.user.role.sees_passwords() {
                                    form method="post" action=(format!("/ui/passwords/{id}/reveal")) {
                                        input type="hidden" name="csrf" value=(signed.session.csrf_token);
                                        input type="hidden" name="version" value=(version);
                                        button.secondary type="submit" { "Reveal version " (version) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /ui/passwords/:id/reveal`: the page again, with the value shown,
/// audited as an API reveal is.
pub async fn reveal(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<RevealForm>,
) -> Response {
    let shown = match reveal_value(&signed, &id, &form).await {
        Ok(shown) => shown,
        Err(refused) => return refused,
    };
    let flash = form
        .version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(|v| format!("Showing version {v}, an earlier value. This reveal is recorded in the activity log."));
    show_record(&signed, "passwords", &id, Some(shown), flash.as_deref()).await
}

/// The header the interface's script sends when it copies a password: the
/// answer is then the value alone, for the clipboard.
const COPY_HEADER: &str = "x-mortar-copy";

/// `POST /ui/passwords/:id/copy`: a password for the clipboard, audited
/// as an API reveal is. The script asks for the value alone; without the
/// script the page shows the value to copy by hand.
pub async fn copy(
    signed: Signed,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    Form(form): Form<RevealForm>,
) -> Response {
    let shown = match reveal_value(&signed, &id, &form).await {
        Ok(shown) => shown,
        Err(refused) => return refused,
    };
    if headers.contains_key(COPY_HEADER) {
        let a = attributes(&shown, &shown.records[0], false);
        let value = a.get("password").and_then(Value::as_str).unwrap_or("");
        return axum::response::IntoResponse::into_response((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; charset=utf-8",
                ),
                (axum::http::header::CACHE_CONTROL, "no-store"),
            ],
            value.to_string(),
        ));
    }
    show_record(
        &signed,
        "passwords",
        &id,
        Some(shown),
        Some("Copy the password below. This copy is recorded in the activity log."),
    )
    .await
}

/// A password with its value (an earlier version's when the form names
/// one), read through the engine, which audits it; or the refusal page.
async fn reveal_value(signed: &Signed, id: &str, form: &RevealForm) -> Result<Records, Response> {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return Err(refused);
    }
    let Ok(number) = id.parse::<i64>() else {
        return Err(error_page(
            Some(signed),
            StatusCode::NOT_FOUND,
            "There is no such password.",
        ));
    };
    let caller = signed.caller();
    if !caller.password_access {
        return Err(error_page(
            Some(signed),
            StatusCode::FORBIDDEN,
            "Your role does not show password values; an Administrator can change your role.",
        ));
    }
    signed
        .state
        .engine
        .show(
            &caller,
            &PASSWORDS,
            None,
            number,
            &Query {
                show_password: Some("true".into()),
                version_id: form.version.clone().filter(|v| !v.trim().is_empty()),
                include: vec!["recent_versions".into()],
                ..Query::default()
            },
        )
        .await
        .map_err(|e| engine_error(signed, e))
}

/// `GET /ui/search?q=`: every type's matches, grouped by type, best first.
pub async fn search(signed: Signed, RawQuery(raw): RawQuery) -> Response {
    let q = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let body = if q.is_empty() {
        html! {
            h1 { "Search" }
            p.empty { "Type in the search box above (press / to reach it): names, hostnames, IP and MAC addresses, serials, emails, document text, password usernames and URLs." }
        }
    } else {
        let found = signed
            .state
            .engine
            .search(
                &signed.caller(),
                &SearchRequest {
                    query: q.clone(),
                    organization_id: None,
                    types: Vec::new(),
                    size: 100,
                    number: 1,
                },
            )
            .await;
        match found {
            Err(crate::error::Error::BadRequest { detail, .. }) => html! {
                h1 { "Search" }
                p.error { "The search " (detail) "." }
            },
            Err(e) => return engine_error(&signed, e),
            Ok(found) => html! {
                h1 { "Results for “" (q) "”" }
                @if found.order.is_empty() {
                    p.empty { "Nothing matches. Check the spelling, or type the start of a name." }
                }
                @if !found.counts_exact {
                    p.muted { "More than " (grouped(SEARCH_WINDOW)) " records hold these words. Shown are the best of those whose name holds them and of the first " (grouped(SEARCH_WINDOW)) " others: add a word to narrow the search." }
                }
                @for group in &found.groups {
                    @let count = found.counts.iter().find(|(t, _)| *t == group.resource.json_type).map_or(0, |(_, n)| *n);
                    @let title = KINDS.iter().find(|(r, _, _)| *r == group.resource.route).map_or(group.resource.route, |(_, t, _)| *t);
                    section.group {
                        h2 { (if group.resource.route == "organizations" { "Organizations" } else { title }) " " span.count { "(" (grouped(count as i64)) @if !found.counts_exact { "+" } ")" } }
                        ul {
                            @for (kind, id) in found.order.iter().filter(|(k, _)| *k == group.resource.json_type) {
                                @if let Some(record) = group.records.iter().find(|r| r.id == *id) {
                                    @let a = attributes(group, record, true);
                                    @let link = if group.resource.route == "organizations" { format!("/ui/organizations/{id}") } else { format!("/ui/records/{}/{id}", group.resource.route) };
                                    li {
                                        a href=(link) data-type=(kind) { (name_of(&a)) }
                                        @if let Some(org) = a.get("organization-name").and_then(Value::as_str) { span.muted { " · " (org) } }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        }
    };
    respond(
        StatusCode::OK,
        page(
            &signed,
            "Search",
            &crumbs(&[
                ("Organizations", Some("/ui/organizations".into())),
                ("Search", None),
            ]),
            None,
            body,
        ),
    )
}

/// `GET /ui/expirations?window=30|60|90|overdue`: across organizations.
pub async fn expirations(signed: Signed, RawQuery(raw): RawQuery) -> Response {
    let window = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "window")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| "30".into());
    let today = chrono::Utc::now().date_naive();
    let range = match window.as_str() {
        "overdue" => format!("*,{}", today - chrono::Duration::days(1)),
        "60" => format!("{today},{}", today + chrono::Duration::days(60)),
        "90" => format!("{today},{}", today + chrono::Duration::days(90)),
        _ => format!("{today},{}", today + chrono::Duration::days(30)),
    };
    let listed = signed
        .state
        .engine
        .list(
            &signed.caller(),
            &EXPIRATIONS,
            None,
            &Query {
                filters: vec![FilterParam {
                    mode: FilterMode::Range,
                    name: "expiration_date".into(),
                    value: range,
                }],
                sort: vec![("expiration_date".into(), window != "overdue")],
                page_size: Some(200),
                ..Query::default()
            },
        )
        .await;
    let body = html! {
        h1 { "Expirations" }
        nav aria-label="Windows" {
            @for (key, text) in [("30", "Next 30 days"), ("60", "Next 60 days"), ("90", "Next 90 days"), ("overdue", "Overdue")] {
                @if key == window { strong { (text) } " " } @else { a href=(format!("/ui/expirations?window={key}")) { (text) } " " }
            }
        }
        (expirations_table(&listed))
    };
    respond(
        StatusCode::OK,
        page(
            &signed,
            "Expirations",
            &crumbs(&[
                ("Organizations", Some("/ui/organizations".into())),
                ("Expirations", None),
            ]),
            None,
            body,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_read_with_their_thousands_apart() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(9054), "9,054");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(grouped(-12345), "-12,345");
    }
}
