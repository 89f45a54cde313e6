//! The account's activity log: who did what to which record, newest
//! first, filtered by action, record type, organization, user and dates,
//! read through the engine as the API's `GET /logs` is.

use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::Value;

use super::{page, respond, Signed};
use crate::jsonapi::document::resource_object;
use crate::query::{FilterMode, FilterParam, Query};
use crate::resources::logs::LOGS;
use crate::resources::organizations::ORGANIZATIONS;
use crate::resources::{registry, Resource};

/// Entries on one page.
const PAGE_SIZE: u32 = 50;

/// The actions the log records, with their labels.
const ACTIONS: &[(&str, &str)] = &[
    ("create", "Created"),
    ("update", "Changed"),
    ("delete", "Deleted"),
    ("show", "Password revealed or copied"),
    ("issue_token", "Token issued"),
];

/// The record types a filter offers (their log class and label).
const TYPES: &[(&str, &str)] = &[
    ("Organization", "Organizations"),
    ("Configuration", "Configurations"),
    ("Contact", "Contacts"),
    ("Location", "Locations"),
    ("Domain", "Domains"),
    ("Document", "Documents"),
    ("Password", "Passwords"),
    ("FlexibleAsset", "Flexible assets"),
    ("Attachment", "Attachments"),
    ("User", "Users"),
];

/// The page's filters, as its form sends them.
#[derive(Default)]
struct Filters {
    action: String,
    resource_type: String,
    organization: String,
    user: String,
    from: String,
    to: String,
    page: u32,
}

impl Filters {
    fn parse(raw: Option<&str>) -> Filters {
        let mut filters = Filters {
            page: 1,
            ..Filters::default()
        };
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "action" => filters.action = v,
                "type" => filters.resource_type = v,
                "organization" => filters.organization = v,
                "user" => filters.user = v,
                "from" => filters.from = v,
                "to" => filters.to = v,
                "page" => filters.page = v.parse().unwrap_or(1).clamp(1, 5),
                _ => {}
            }
        }
        filters
    }

    /// The filters as the engine takes them (the API's `filter[...]`).
    fn query(&self) -> Query {
        let mut filters = Vec::new();
        for (name, value) in [
            ("action", &self.action),
            ("resource_type", &self.resource_type),
            ("organization_id", &self.organization),
            ("user_id", &self.user),
        ] {
            if !value.is_empty() {
                filters.push(FilterParam::matching(name, value.clone()));
            }
        }
        if !self.from.is_empty() || !self.to.is_empty() {
            let bound = |b: &str| {
                if b.is_empty() {
                    "*".to_string()
                } else {
                    b.to_string()
                }
            };
            filters.push(FilterParam {
                mode: FilterMode::Range,
                name: "created_at".into(),
                value: format!("{},{}", bound(&self.from), bound(&self.to)),
            });
        }
        Query {
            filters,
            sort: vec![("created_at".into(), true)],
            page_number: self.page,
            page_size: Some(PAGE_SIZE),
            ..Query::default()
        }
    }

    /// The page's address with these filters (the page number apart).
    fn base(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("action", &self.action),
            ("type", &self.resource_type),
            ("organization", &self.organization),
            ("user", &self.user),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        format!("/ui/activity?{}", s.finish())
    }

    fn any(&self) -> bool {
        [
            &self.action,
            &self.resource_type,
            &self.organization,
            &self.user,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

/// The interface's page of a log entry's record, when it has one.
fn record_link(class: &str, id: Option<i64>) -> Option<String> {
    let def: &Resource = registry::by_class(class)?;
    let id = id?;
    match def.route {
        "organizations" => Some(format!("/ui/organizations/{id}")),
        route => Some(format!("/ui/records/{route}/{id}")),
    }
}

/// `GET /ui/activity`.
pub async fn log(signed: Signed, RawQuery(raw): RawQuery) -> Response {
    let filters = Filters::parse(raw.as_deref());
    let caller = signed.caller();
    let listed = signed
        .state
        .engine
        .list(&caller, &LOGS, None, &filters.query())
        .await;
    let organizations = super::named_records(&signed, &ORGANIZATIONS, Vec::new()).await;
    let users: Vec<(String, String)> = signed
        .state
        .engine
        .store()
        .list_users(Some(signed.session.user.scope))
        .await
        .map(|users| {
            users
                .into_iter()
                .map(|u| (u.id.to_string(), u.name))
                .collect()
        })
        .unwrap_or_default();
    let name_in = |names: &[(String, String)], id: &Value| {
        let id = id.as_i64().map(|i| i.to_string()).unwrap_or_default();
        names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone())
    };
    let select = |name: &str, label: &str, current: &str, choices: &[(String, String)]| {
        html! {
            label { (label)
                select name=(name) {
                    option value="" { "Any" }
                    @for (value, text) in choices {
                        option value=(value) selected[value == current] { (text) }
                    }
                }
            }
        }
    };
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(v, t)| (v.to_string(), t.to_string()))
            .collect()
    };
    let body = html! {
        h1 { "Activity" }
        p.muted { "What was created, changed, deleted and revealed in this account in the last 30 days, newest first." }
        form.filters method="get" action="/ui/activity" {
            (select("action", "Action", &filters.action, &owned(ACTIONS)))
            (select("type", "Type", &filters.resource_type, &owned(TYPES)))
            (select("organization", "Organization", &filters.organization, &organizations))
            (select("user", "User", &filters.user, &users))
            label { "From" input type="date" name="from" value=(filters.from); }
            label { "To" input type="date" name="to" value=(filters.to); }
            button.secondary type="submit" { "Apply" }
            @if filters.any() { a href="/ui/activity" { "Clear" } }
        }
        @match &listed {
            Ok(listed) if listed.records.is_empty() => p.empty {
                @if filters.any() { "Nothing matches these filters. Clear them to see all activity." }
                @else { "No activity in the last 30 days." }
            },
            Ok(listed) => {
                table #activity {
                    thead { tr {
                        th scope="col" { "When" }
                        th scope="col" { "Who" }
                        th scope="col" { "Action" }
                        th scope="col" { "Type" }
                        th scope="col" { "Record" }
                        th scope="col" { "Organization" }
                        th scope="col" { "Address" }
                    } }
                    tbody {
                        @for record in &listed.records {
                            @let object = resource_object(&LOGS, record, true, None, None, "");
                            @let a = &object["attributes"];
                            @let class = a["resource-type"].as_str().unwrap_or("");
                            @let action = a["action"].as_str().unwrap_or("");
                            tr {
                                td { (super::pages::value("created-at", &a["created-at"])) }
                                td {
                                    @if let Some(user) = name_in(&users, &a["user-id"]) { (user) }
                                    @else if !a["api-key-id"].is_null() { "API key #" (a["api-key-id"].to_string()) }
                                    @else { span.muted { "—" } }
                                }
                                td { (ACTIONS.iter().find(|(v, _)| *v == action).map_or(action, |(_, t)| t)) }
                                td { (class) }
                                td {
                                    @let name = a["resource-name"].as_str().unwrap_or("(no name)");
                                    @match record_link(class, a["resource-id"].as_i64()).filter(|_| action != "delete") {
                                        Some(href) => a href=(href) { (name) },
                                        None => (name),
                                    }
                                }
                                td { (name_in(&organizations, &a["organization-id"]).unwrap_or_default()) }
                                td { (a["ip-address"].as_str().unwrap_or("")) }
                            }
                        }
                    }
                }
                (super::pages::pager(&filters.base(), filters.page, PAGE_SIZE, listed.total.min(u64::from(PAGE_SIZE) * 5)))
            },
            Err(e) => p.error role="alert" { (e.to_string()) },
        }
    };
    respond(
        StatusCode::OK,
        page(
            &signed,
            "Activity",
            &[
                ("Organizations".into(), Some("/ui/organizations".into())),
                ("Activity".into(), None),
            ],
            None,
            body,
        ),
    )
}
