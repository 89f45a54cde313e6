//! Records of any resource, made from its definition: the required fields
//! get values of their column type, references get ids of records made (or
//! found) first. The two tables below say what a definition cannot (the
//! extra attributes some hooks need, and how to get a record of a type no
//! client creates); a type neither covers is an error naming the type, so
//! tests that loop over `mortar::resources::ALL` fail rather than skip it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use mortar::resources::{Access, ColumnType, Parent, Resource, ALL};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::helpers::TestApp;

/// Attributes beyond the required ones that a type's hooks need on create.
/// A string `"@route"` stands for the id of a record of `route`.
const EXTRA: &[(&str, &str)] = &[
    (
        "attachments",
        r#"{"attachment": {"content": "aGVsbG8gd29ybGQ=", "file_name": "hello.txt"}}"#,
    ),
    // The definition's `password` is a secret, never required; the hooks require it.
    (
        "passwords",
        r#"{"password": "correct horse battery staple"}"#,
    ),
    (
        "related_items",
        r#"{"destination_type": "Organization", "destination_id": "@organizations"}"#,
    ),
    // A type is made with its fields: one text field that shows in lists.
    (
        "flexible_asset_types",
        r#"{"fields": [{"order": 1000, "name": "Name", "kind": "Text", "show-in-list": true}]}"#,
    ),
    // Traits keyed by the made type's one field.
    ("flexible_assets", r#"{"traits": {"name": "made"}}"#),
];

/// Lists that need a filter (their query guard): (route, filter, the route
/// whose record's id the filter takes).
pub const LIST_NEEDS: &[(&str, &str, &str)] = &[(
    "flexible_assets",
    "flexible_asset_type_id",
    "flexible_asset_types",
)];

/// `path` with `query` added to its query string.
pub fn with_query(path: &str, query: &str) -> String {
    if path.contains('?') {
        format!("{path}&{query}")
    } else {
        format!("{path}?{query}")
    }
}

/// Types no client creates: (route, route whose create makes one as a side
/// effect, that create's extra attributes, the filter of `route` that finds
/// the record by the id of the one created).
const MADE_BY: &[(&str, &str, &str, &str)] = &[
    (
        "expirations",
        "domains",
        r#"{"expires_on": "2031-05-17"}"#,
        "resource_id",
    ),
    ("logs", "organizations", "{}", "resource_id"),
];

/// A record made (or found) for a test.
#[derive(Debug, Clone)]
pub struct Made {
    pub id: i64,
    /// The collection it was created under (`/organizations`, or the nested
    /// route for types that have no top-level routes).
    pub collection: String,
    /// Its attributes as account A sees them.
    pub attributes: Value,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Makes records of account A through the API, remembering one per route to
/// serve as the target of later references.
pub struct Records<'a> {
    app: &'a TestApp,
    one: HashMap<&'static str, i64>,
    serial: usize,
}

/// The resource whose rows live in `table`.
pub fn by_table(table: &str) -> Option<&'static Resource> {
    ALL.iter().copied().find(|r| r.table == table)
}

/// The resource served at `route`.
pub fn by_route(route: &str) -> &'static Resource {
    mortar::resources::by_route(route).unwrap_or_else(|| panic!("no resource at /{route}"))
}

/// The underscored name dashed, as responses name attributes.
pub fn dashed(name: &str) -> String {
    name.replace('_', "-")
}

fn required(access: Access) -> bool {
    matches!(
        access,
        Access::Writable { required: true, .. } | Access::CreateOnly { required: true, .. }
    )
}

fn id_in(data: &Value) -> Result<i64, String> {
    data["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| format!("no string id in {data}"))
}

impl<'a> Records<'a> {
    pub fn new(app: &'a TestApp) -> Records<'a> {
        Records {
            app,
            one: HashMap::new(),
            serial: 0,
        }
    }

    /// An id of some record of account A at `route`: one made earlier, the
    /// first of its list, or a new one.
    pub fn one<'s>(&'s mut self, route: &'static str) -> Boxed<'s, Result<i64, String>> {
        Box::pin(async move {
            if let Some(id) = self.one.get(route) {
                return Ok(*id);
            }
            let resource = by_route(route);
            let mut id = None;
            if resource.ops.list && resource.ops.top_level && resource.ops.list_top_level {
                let list = self.list_path(resource).await?;
                let (status, body) = self.app.get(&with_query(&list, "page[size]=1")).await;
                if status != 200 {
                    return Err(format!("GET /{route}: {status} {body}"));
                }
                if body["data"][0].is_object() {
                    id = Some(id_in(&body["data"][0])?);
                }
            }
            let id = match id {
                Some(id) => id,
                None => self.make(resource).await?.id,
            };
            self.one.insert(route, id);
            Ok(id)
        })
    }

    /// The top-level list of `resource`, with the filters it needs (see
    /// [`LIST_NEEDS`]) set to records made (or found) for them.
    pub async fn list_path(&mut self, resource: &'static Resource) -> Result<String, String> {
        self.with_needed_filters(resource, &format!("/{}", resource.route))
            .await
    }

    /// `list` (a list route of `resource`) with the filters it needs.
    pub async fn with_needed_filters(
        &mut self,
        resource: &'static Resource,
        list: &str,
    ) -> Result<String, String> {
        let mut path = list.to_string();
        for (_, filter, target) in LIST_NEEDS.iter().filter(|(r, ..)| *r == resource.route) {
            let id = self.one(by_route(target).route).await?;
            path = with_query(&path, &format!("filter[{filter}]={id}"));
        }
        Ok(path)
    }

    /// Where `made` is listed: its top-level list (with what that needs), or
    /// under its parent when the type lists only there.
    pub async fn listed_at(
        &mut self,
        resource: &'static Resource,
        made: &Made,
    ) -> Result<String, String> {
        if resource.ops.top_level && resource.ops.list_top_level {
            return self.list_path(resource).await;
        }
        let parent = resource
            .parents()
            .first()
            .ok_or_else(|| format!("{} lists under no parent", resource.route))?;
        let parent_id = made.attributes[dashed(parent.field)]
            .as_i64()
            .ok_or_else(|| format!("{} has no {}", resource.route, parent.field))?;
        Ok(format!(
            "/{}/{parent_id}/relationships/{}",
            parent.route, resource.route
        ))
    }

    /// A value for required field `name` of `resource`.
    async fn value_for(
        &mut self,
        resource: &'static Resource,
        field: &mortar::resources::Field,
    ) -> Result<Value, String> {
        if let Some(target) = field.references {
            let target = by_table(target.table).ok_or_else(|| {
                format!("{} references unknown table {}", field.name, target.table)
            })?;
            let id = self.one(target.route).await?;
            return Ok(match field.column_type {
                ColumnType::IdString => json!(id.to_string()),
                _ => json!(id),
            });
        }
        if let Some(first) = field.one_of.first() {
            return Ok(json!(first));
        }
        self.serial += 1;
        Ok(match field.column_type {
            ColumnType::Int => json!(self.serial),
            ColumnType::IdString => json!(self.serial.to_string()),
            ColumnType::Bool => json!(false),
            ColumnType::Date => json!("2031-05-17"),
            ColumnType::Timestamp => json!("2031-05-17T08:00:00Z"),
            ColumnType::Json => json!([]),
            ColumnType::Text => {
                let mut text =
                    format!("made-{}-{}.example", resource.route, self.serial).replace('_', "-");
                if let Some(max) = field.max_len {
                    text.truncate(max);
                }
                json!(text)
            }
        })
    }

    /// Replaces `"@route"` strings with ids of records of `route`.
    async fn resolve(&mut self, extra: &str) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        let parsed: Map<String, Value> = serde_json::from_str(extra).expect("extra attributes");
        for (name, value) in parsed {
            let value = match value.as_str().and_then(|s| s.strip_prefix('@')) {
                Some(route) => json!(self.one(by_route(route).route).await?),
                None => value,
            };
            out.insert(name, value);
        }
        Ok(out)
    }

    /// A new record of `resource` in account A: created through its routes
    /// when clients may create it, made through [`MADE_BY`] otherwise.
    pub fn make<'s>(&'s mut self, resource: &'static Resource) -> Boxed<'s, Result<Made, String>> {
        Box::pin(async move {
            if !resource.ops.create {
                return self.made_by(resource).await;
            }
            let mut attributes = Map::new();
            for field in resource.fields.iter().filter(|f| required(f.access)) {
                let value = self.value_for(resource, field).await?;
                attributes.insert(field.name.to_string(), value);
            }
            if let Some((_, extra)) = EXTRA.iter().find(|(route, _)| *route == resource.route) {
                attributes.extend(self.resolve(extra).await?);
            }
            let collection = if resource.ops.top_level {
                format!("/{}", resource.route)
            } else {
                let parent: &Parent = resource.parents().first().ok_or_else(|| {
                    format!(
                        "{} has neither top-level routes nor parents",
                        resource.route
                    )
                })?;
                let parent_id = self.one(by_route(parent.route).route).await?;
                format!(
                    "/{}/{parent_id}/relationships/{}",
                    parent.route, resource.route
                )
            };
            let (status, body) = self
                .app
                .send(
                    Method::POST,
                    &collection,
                    json!({"data": {"type": resource.json_type, "attributes": attributes}}),
                )
                .await;
            if status != 201 {
                return Err(format!(
                    "POST {collection} with {} gave {status}: {body}",
                    Value::Object(attributes)
                ));
            }
            let data = &body["data"];
            Ok(Made {
                id: id_in(data)?,
                collection,
                attributes: data["attributes"].clone(),
            })
        })
    }

    /// A user or group, which only the command line makes (through the
    /// store, as `mortar users create` and `mortar groups create` do), or a
    /// user metric, which a user's write makes.
    async fn made_by_command_line(&mut self, route: &str) -> Result<Option<Made>, String> {
        if route == "user_metrics" {
            return self.user_metric().await.map(Some);
        }
        self.serial += 1;
        let serial = self.serial;
        let store = &self.app.store;
        let account = &self.app.account;
        let id = match route {
            "users" => new_user(store, account, serial).await,
            "groups" => {
                store
                    .create_group(account, &format!("Group {serial}"), &[])
                    .await
            }
            _ => return Ok(None),
        }
        .map_err(|e| format!("making a {route} record: {e}"))?;
        let collection = format!("/{route}");
        let (status, body) = self.app.get(&format!("{collection}/{id}")).await;
        if status != 200 {
            return Err(format!("GET {collection}/{id}: {status} {body}"));
        }
        Ok(Some(Made {
            id,
            collection,
            attributes: body["data"]["attributes"].clone(),
        }))
    }

    /// A metric row: a new user creates an organization through a key of theirs.
    async fn user_metric(&mut self) -> Result<Made, String> {
        self.serial += 1;
        let user = new_user(&self.app.store, &self.app.account, self.serial)
            .await
            .map_err(|e| e.to_string())?;
        let key = self
            .app
            .store
            .create_key(&self.app.account, "metrics", false, Some(user))
            .await
            .map_err(|e| e.to_string())?
            .secret;
        let (status, body) = self
            .app
            .send_as(
                &key,
                Method::POST,
                "/organizations",
                json!({"data": {"type": "organizations", "attributes": {"name": format!("Metric {user}")}}}),
            )
            .await;
        if status != 201 {
            return Err(format!("a user's create gave {status}: {body}"));
        }
        let collection = "/user_metrics".to_string();
        let (status, body) = self
            .app
            .get(&format!("{collection}?filter[user_id]={user}"))
            .await;
        if status != 200 || !body["data"][0].is_object() {
            return Err(format!("no metric of user {user}: {status} {body}"));
        }
        Ok(Made {
            id: id_in(&body["data"][0])?,
            collection,
            attributes: body["data"][0]["attributes"].clone(),
        })
    }

    async fn made_by(&mut self, resource: &'static Resource) -> Result<Made, String> {
        if let Some(made) = self.made_by_command_line(resource.route).await? {
            return Ok(made);
        }
        let Some((_, via, extra, filter)) =
            MADE_BY.iter().find(|(route, ..)| *route == resource.route)
        else {
            return Err(format!(
                "clients cannot create {} and MADE_BY does not say how one comes about",
                resource.route
            ));
        };
        let via = by_route(via);
        let mut attributes = Map::new();
        for field in via.fields.iter().filter(|f| required(f.access)) {
            let value = self.value_for(via, field).await?;
            attributes.insert(field.name.to_string(), value);
        }
        attributes.extend(self.resolve(extra).await?);
        let cause = self
            .app
            .create(&format!("/{}", via.route), Value::Object(attributes))
            .await;
        let collection = format!("/{}", resource.route);
        let (status, body) = self
            .app
            .get(&format!("{collection}?filter[{filter}]={cause}"))
            .await;
        if status != 200 || !body["data"][0].is_object() {
            return Err(format!(
                "no {} record after creating {} {cause}: {status} {body}",
                resource.route, via.route
            ));
        }
        Ok(Made {
            id: id_in(&body["data"][0])?,
            collection,
            attributes: body["data"][0]["attributes"].clone(),
        })
    }
}

/// A new Editor of `account`, as `mortar users create` makes one.
async fn new_user(
    store: &mortar::store::Store,
    account: &mortar::store::AccountSummary,
    serial: usize,
) -> anyhow::Result<i64> {
    let email = format!("person{serial}@example.com");
    let user = mortar::store::NewUser {
        email: &email,
        first_name: "Pat",
        last_name: "Person",
        role: mortar::roles::Role::Editor,
    };
    Ok(store.create_user(account, &user, None).await?.id)
}
