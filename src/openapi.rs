//! The OpenAPI 3.1 document of the API, generated from the resource
//! definitions (the same ones the router and the engine are built from), so
//! it cannot drift from the code: every route each definition gets, its
//! filters (with the comparison operators), sorts and includes, its
//! attributes with their types and write rules, the error document, and
//! both ways to authenticate. `GET /openapi.json` serves it and `mortar
//! openapi` prints it.

use serde_json::{json, Map, Value};

use crate::engine::compiled::Schema;
use crate::resources::{Access, ColumnType, Field, Resource, ALL};

/// The document.
pub fn document() -> Value {
    let schema = Schema::build(&[]);
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Errors".into(), errors_schema());
    for resource in ALL.iter().copied() {
        let ops = resource.ops;
        if !(ops.list || ops.show || ops.create || ops.update || ops.bulk_delete) {
            continue;
        }
        let sorts = schema.get(resource).sort_list();
        add_schemas(&mut schemas, resource);
        if ops.top_level {
            let collection = collection_item(resource, None, &sorts);
            if !collection.is_empty() {
                paths.insert(format!("/{}", resource.route), Value::Object(collection));
            }
            let member = member_item(resource, None);
            if !member.is_empty() {
                paths.insert(format!("/{}/{{id}}", resource.route), Value::Object(member));
            }
        }
        for parent in resource.parents() {
            let nested = format!(
                "/{}/{{parent_id}}/relationships/{}",
                parent.route, resource.route
            );
            let collection = collection_item(resource, Some(parent.route), &sorts);
            if !collection.is_empty() {
                paths.insert(nested.clone(), Value::Object(collection));
            }
            let member = member_item(resource, Some(parent.route));
            if !member.is_empty() {
                paths.insert(format!("{nested}/{{id}}"), Value::Object(member));
            }
        }
    }
    add_hand_routes(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Mortar API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "IT documentation for MSPs: the IT Glue REST API (JSON:API), \
                            with additions described in docs/API-CONVENTIONS.md.",
        },
        "servers": [{ "url": "/" }],
        "security": [{ "apiKey": [] }, { "oauth2": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": { "type": "apiKey", "in": "header", "name": "x-api-key" },
                "oauth2": {
                    "type": "oauth2",
                    "flows": { "clientCredentials": { "tokenUrl": "/oauth/token", "scopes": {} } },
                },
            },
            "schemas": schemas,
        },
    })
}

fn name_of(resource: &Resource) -> String {
    camel(resource.json_type)
}

/// `flexible-asset-types` → `FlexibleAssetTypes`.
fn camel(text: &str) -> String {
    text.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn dashed(name: &str) -> String {
    name.replace('_', "-")
}

/// The JSON type of a field's values (null allowed: most values may be unset).
fn value_schema(field: &Field) -> Value {
    let mut schema = match field.column_type {
        ColumnType::Int => json!({ "type": ["integer", "null"] }),
        ColumnType::IdString => json!({ "type": ["string", "integer", "null"] }),
        ColumnType::Text => json!({ "type": ["string", "null"] }),
        ColumnType::Bool => json!({ "type": ["boolean", "null"] }),
        ColumnType::Timestamp => json!({ "type": ["string", "null"], "format": "date-time" }),
        ColumnType::Date => json!({ "type": ["string", "null"], "format": "date" }),
        ColumnType::Json => json!({}),
    };
    if let Some(max) = field.max_len {
        schema["maxLength"] = json!(max);
    }
    if !field.one_of.is_empty() {
        let mut values: Vec<Value> = field.one_of.iter().map(|v| json!(v)).collect();
        values.push(Value::Null);
        schema["enum"] = Value::Array(values);
    }
    schema
}

fn add_schemas(schemas: &mut Map<String, Value>, resource: &Resource) {
    let name = name_of(resource);
    let mut shown = Map::new();
    let mut written = Map::new();
    let mut required = Vec::new();
    for field in resource.fields {
        let mut schema = value_schema(field);
        if field.secret {
            schema["description"] =
                json!("A secret: shown only to a caller with password access, and audited.");
        }
        if !field.write_only {
            shown.insert(dashed(field.name), schema.clone());
        }
        match field.access {
            Access::ReadOnly => {}
            Access::Writable {
                required: needed, ..
            }
            | Access::CreateOnly {
                required: needed, ..
            } => {
                if needed {
                    required.push(dashed(field.name));
                }
                written.insert(dashed(field.name), schema);
            }
        }
    }
    schemas.insert(
        format!("{name}Attributes"),
        json!({ "type": "object", "properties": shown }),
    );
    schemas.insert(
        format!("{name}Resource"),
        json!({
            "type": "object",
            "required": ["id", "type", "attributes"],
            "properties": {
                "id": { "type": "string" },
                "type": { "const": resource.json_type },
                "attributes": reference(&format!("{name}Attributes")),
                "relationships": { "type": "object" },
                "links": { "type": "object" },
            },
        }),
    );
    schemas.insert(
        format!("{name}Input"),
        json!({
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "oneOf": [
                        { "$ref": format!("#/components/schemas/{name}InputObject") },
                        { "type": "array", "items": reference(&format!("{name}InputObject")) },
                    ],
                },
            },
        }),
    );
    schemas.insert(
        format!("{name}InputObject"),
        json!({
            "type": "object",
            "properties": {
                "type": { "type": "string" },
                "id": { "type": ["string", "integer"] },
                "attributes": {
                    "type": "object",
                    "properties": written,
                    "description": format!("Required on create: {}.",
                        if required.is_empty() { "nothing".to_string() } else { required.join(", ") }),
                },
                "relationships": { "type": "object" },
            },
        }),
    );
}

fn errors_schema() -> Value {
    json!({
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["status", "code", "title", "detail"],
                    "properties": {
                        "status": { "type": "string" },
                        "code": { "type": "string", "description": "Stable machine code (docs/API-CONVENTIONS.md, Errors)." },
                        "title": { "type": "string" },
                        "detail": { "type": "string" },
                        "source": {
                            "type": "object",
                            "properties": {
                                "pointer": { "type": "string" },
                                "parameter": { "type": "string" },
                            },
                        },
                    },
                },
            },
            "meta": { "type": "object" },
        },
    })
}

const MEDIA_TYPE: &str = crate::jsonapi::MEDIA_TYPE;

fn body(schema: Value) -> Value {
    json!({ "content": { MEDIA_TYPE: { "schema": schema } } })
}

fn responses(success: &str, description: &str, schema: Option<Value>) -> Value {
    let mut ok = json!({ "description": description });
    if let Some(schema) = schema {
        ok["content"] = json!({ MEDIA_TYPE: { "schema": schema } });
    }
    json!({
        success: ok,
        "default": { "description": "A JSON:API error document.", "content": { MEDIA_TYPE: { "schema": reference("Errors") } } },
    })
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn path_id(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } })
}

fn include_parameter(resource: &Resource, show: bool) -> Option<Value> {
    let names: Vec<&str> = resource
        .includes
        .iter()
        .filter(|i| show || !i.show_only)
        .map(|i| i.name)
        .collect();
    (!names.is_empty()).then(|| {
        query(
            "include",
            &format!("Comma list of: {}.", names.join(", ")),
            json!({ "type": "string" }),
        )
    })
}

fn list_parameters(resource: &Resource, sorts: &[&str]) -> Vec<Value> {
    let mut out = vec![
        query(
            "page[number]",
            "1-based page number.",
            json!({ "type": "integer", "minimum": 1 }),
        ),
        query(
            "page[size]",
            "Records per page (default 50).",
            json!({ "type": "integer", "minimum": 1, "maximum": 1000 }),
        ),
        query(
            "page[after]",
            "Cursor page: empty for the first, then meta.next-cursor.",
            json!({ "type": "string" }),
        ),
        query(
            "sort",
            &format!(
                "Comma list of these, each optionally prefixed with '-' (descending): {}.",
                sorts.join(", ")
            ),
            json!({ "type": "string" }),
        ),
    ];
    out.extend(include_parameter(resource, false));
    for filter in resource.filters {
        out.push(query(
            &format!("filter[{}]", filter.name),
            "Equal to any value of a comma list.",
            json!({ "type": "string" }),
        ));
        out.push(query(
            &format!("filter[exclude][{}]", filter.name),
            "Not equal to any value of a comma list.",
            json!({ "type": "string" }),
        ));
        for op in ["eq", "neq", "lt", "lte", "gt", "gte", "in", "nin"] {
            out.push(query(
                &format!("filter[{}__{op}]", filter.name),
                "A comparison (docs/API-CONVENTIONS.md, Filter operators).",
                json!({ "type": "string" }),
            ));
        }
    }
    if resource.has_secrets() {
        out.push(query(
            "show_password",
            "Whether to show secrets (password access needed).",
            json!({ "type": "boolean" }),
        ));
    }
    out
}

/// The suffix of a nested route's operation ids: `UnderOrganizations`.
fn under(parent: Option<&str>) -> String {
    parent.map_or(String::new(), |route| format!("Under{}", camel(route)))
}

fn collection_item(
    resource: &Resource,
    parent: Option<&str>,
    sorts: &[&str],
) -> Map<String, Value> {
    let nested = parent.is_some();
    let suffix = under(parent);
    let name = name_of(resource);
    let ops = resource.ops;
    let mut item = Map::new();
    if nested {
        item.insert("parameters".into(), json!([path_id("parent_id")]));
    }
    let tag = json!([resource.json_type]);
    if ops.list && (ops.list_top_level || nested) {
        let list = json!({
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": { "type": "array", "items": reference(&format!("{name}Resource")) },
                "included": { "type": "array" },
                "meta": { "type": "object" },
                "links": { "type": "object" },
            },
        });
        item.insert(
            "get".into(),
            json!({
                "operationId": format!("list{name}{}", suffix),
                "tags": tag,
                "parameters": list_parameters(resource, sorts),
                "responses": responses("200", "A page of records.", Some(list)),
            }),
        );
    }
    let many = json!({
        "type": "object",
        "properties": {
            "data": {
                "oneOf": [
                    reference(&format!("{name}Resource")),
                    { "type": "array", "items": reference(&format!("{name}Resource")) },
                ],
            },
            "included": { "type": "array" },
        },
    });
    if ops.create {
        item.insert(
            "post".into(),
            json!({
                "operationId": format!("create{name}{}", suffix),
                "tags": tag,
                "requestBody": body(reference(&format!("{name}Input"))),
                "responses": responses("201", "The created record(s).", Some(many.clone())),
            }),
        );
    }
    if ops.bulk_update && !nested {
        item.insert(
            "patch".into(),
            json!({
                "operationId": format!("bulkUpdate{name}"),
                "tags": tag,
                "requestBody": body(reference(&format!("{name}Input"))),
                "responses": responses("200", "The updated records.", Some(many.clone())),
            }),
        );
    }
    if ops.bulk_delete {
        item.insert("delete".into(), json!({
            "operationId": format!("bulkDelete{name}{}", suffix),
            "tags": tag,
            "requestBody": { "required": false, "content": { MEDIA_TYPE: { "schema": { "type": "object" } } } },
            "responses": responses("200", "The deleted records, as they were.", Some(many)),
        }));
    }
    item
}

fn member_item(resource: &Resource, parent: Option<&str>) -> Map<String, Value> {
    let nested = parent.is_some();
    let suffix = under(parent);
    let name = name_of(resource);
    let ops = resource.ops;
    let mut item = Map::new();
    let mut parameters = Vec::new();
    if nested {
        parameters.push(path_id("parent_id"));
    }
    parameters.push(path_id("id"));
    let tag = json!([resource.json_type]);
    let single = json!({
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": reference(&format!("{name}Resource")),
            "included": { "type": "array" },
        },
    });
    if ops.show {
        let mut query_parameters: Vec<Value> =
            include_parameter(resource, true).into_iter().collect();
        if resource.has_secrets() {
            query_parameters.push(query(
                "show_password",
                "Whether to show secrets (password access needed).",
                json!({ "type": "boolean" }),
            ));
            query_parameters.push(query(
                "version_id",
                "A past version's secret.",
                json!({ "type": "integer" }),
            ));
        }
        item.insert(
            "get".into(),
            json!({
                "operationId": format!("show{name}{}", suffix),
                "tags": tag,
                "parameters": query_parameters,
                "responses": responses("200", "The record, with an ETag.", Some(single.clone())),
            }),
        );
    }
    if ops.update {
        item.insert(
            "patch".into(),
            json!({
                "operationId": format!("update{name}{}", suffix),
                "tags": tag,
                "requestBody": body(reference(&format!("{name}Input"))),
                "responses": responses("200", "The updated record.", Some(single)),
            }),
        );
    }
    if ops.delete || (nested && ops.bulk_delete) {
        item.insert(
            "delete".into(),
            json!({
                "operationId": format!("delete{name}{}", suffix),
                "tags": tag,
                "responses": responses("204", "Deleted.", None),
            }),
        );
    }
    if !item.is_empty() {
        item.insert("parameters".into(), Value::Array(parameters));
    }
    item
}

/// The routes not made from definitions.
fn add_hand_routes(paths: &mut Map<String, Value>) {
    let any_json = json!({ "type": "object" });
    paths.insert(
        "/passwords/generate".into(),
        json!({ "post": {
            "operationId": "generatePassword", "tags": ["passwords"],
            "requestBody": { "required": false, "content": { MEDIA_TYPE: { "schema": any_json } } },
            "responses": responses("200", "A generated password.", Some(any_json.clone())),
        }}),
    );
    paths.insert("/passwords/{id}/audit".into(), json!({ "get": {
        "operationId": "passwordAudit", "tags": ["passwords"],
        "parameters": [path_id("id")],
        "responses": responses("200", "Who created, changed or revealed the password.", Some(any_json.clone())),
    }}));
    paths.insert("/attachments/{id}/download".into(), json!({ "get": {
        "operationId": "downloadAttachment", "tags": ["attachments"],
        "parameters": [path_id("id")],
        "responses": {
            "200": { "description": "The attachment's bytes.", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
            "default": { "description": "A JSON:API error document.", "content": { MEDIA_TYPE: { "schema": reference("Errors") } } },
        },
    }}));
    paths.insert("/exports/{id}/download".into(), json!({ "get": {
        "operationId": "downloadExport", "tags": ["exports"],
        "parameters": [path_id("id")],
        "responses": {
            "200": { "description": "The export's zip, once its status is done.", "content": { "application/zip": { "schema": { "type": "string", "format": "binary" } } } },
            "default": { "description": "A JSON:API error document.", "content": { MEDIA_TYPE: { "schema": reference("Errors") } } },
        },
    }}));
    paths.insert("/users/{id}/avatar".into(), json!({ "get": {
        "operationId": "userAvatar", "tags": ["users"],
        "parameters": [path_id("id")],
        "responses": {
            "200": { "description": "The user's avatar image (PNG, JPEG, GIF or WebP).", "content": { "image/*": { "schema": { "type": "string", "format": "binary" } } } },
            "default": { "description": "A JSON:API error document.", "content": { MEDIA_TYPE: { "schema": reference("Errors") } } },
        },
    }}));
    paths.insert("/changes".into(), json!({ "get": {
        "operationId": "listChanges", "tags": ["changes"],
        "parameters": [
            query("page[after]", "A position: meta.next-cursor of an earlier answer (empty: the oldest).", json!({ "type": "string" })),
            query("page[size]", "Changes per page.", json!({ "type": "integer", "minimum": 1, "maximum": 1000 })),
        ],
        "responses": responses("200", "Changes in commit order.", Some(any_json.clone())),
    }}));
    paths.insert("/search".into(), json!({ "get": {
        "operationId": "search", "tags": ["search"],
        "parameters": [
            { "name": "query", "in": "query", "required": true, "description": "The words to search for: a record matches when it holds every word, the last part of each as a prefix.", "schema": { "type": "string", "minLength": 1, "maxLength": crate::engine::search::MAX_QUERY_CHARS } },
            query("filter[organization_id]", "Only this organization's records (and the organization).", json!({ "type": "integer", "minimum": 1 })),
            query("filter[type]", "Only these types, comma-separated.", json!({ "type": "string" })),
            query("page[number]", "1-based page.", json!({ "type": "integer", "minimum": 1 })),
            query("page[size]", "Results per page.", json!({ "type": "integer", "minimum": 1, "maximum": 1000 })),
        ],
        "responses": responses("200", "Matching records of every searchable type, best first; meta.type-counts counts them per type, and meta.counts-exact says whether those count every match (false when the words are in more than 1,001 records: a search then counts and ranks the first 1,001 and those whose title holds the words).", Some(any_json.clone())),
    }}));
    add_webhook_routes(paths);
    add_copilot_routes(paths);
    paths.insert("/oauth/token".into(), json!({ "post": {
        "operationId": "issueToken", "tags": ["oauth"], "security": [],
        "requestBody": { "required": true, "content": { "application/x-www-form-urlencoded": { "schema": {
            "type": "object",
            "required": ["grant_type"],
            "properties": {
                "grant_type": { "const": "client_credentials" },
                "client_id": { "type": "string" },
                "client_secret": { "type": "string" },
                "duration": { "type": "integer", "minimum": 1 },
            },
        } } } },
        "responses": {
            "200": { "description": "An access token.", "content": { "application/json": { "schema": {
                "type": "object",
                "required": ["access_token", "token_type", "expires_in"],
                "properties": {
                    "access_token": { "type": "string" },
                    "token_type": { "const": "Bearer" },
                    "expires_in": { "type": "integer" },
                },
            } } } },
            "default": { "description": "An RFC 6749 error.", "content": { "application/json": { "schema": {
                "type": "object", "required": ["error"],
                "properties": { "error": { "type": "string" }, "error_description": { "type": "string" } },
            } } } },
        },
    }}));
    for (path, id, description) in [
        ("/healthz", "live", "The process is up."),
        ("/readyz", "ready", "The database answers (503 when not)."),
        ("/openapi.json", "openapi", "This document."),
    ] {
        paths.insert(path.into(), json!({ "get": {
            "operationId": id, "tags": ["operations"], "security": [],
            "responses": { "200": { "description": description }, "503": { "description": "Not ready." } },
        }}));
    }
}

/// Copilot Smart Assist: the clean-up categories of documents, and
/// archiving or deleting many of them at account or organization scope.
fn add_copilot_routes(paths: &mut Map<String, Value>) {
    let any_json = json!({ "type": "object" });
    let category = query(
        "filter[type]",
        "stale, not_viewed, expired or duplicates; none lists the most used.",
        json!({ "type": "string", "enum": crate::copilot::CATEGORY_NAMES }),
    );
    let days = query(
        "filter[days]",
        "With filter[type]=stale: days without a view (default 90).",
        json!({ "type": "integer", "minimum": 1, "maximum": 36500 }),
    );
    let organization = query(
        "filter[organization_id]",
        "Only this organization's documents.",
        json!({ "type": "integer", "minimum": 1 }),
    );
    let body = json!({ "required": false, "content": { MEDIA_TYPE: { "schema": {
        "type": "object",
        "properties": { "data": {
            "type": "array",
            "items": { "type": "object", "properties": {
                "type": { "const": "documents" },
                "attributes": { "type": "object", "properties": {
                    "id": { "type": "integer", "minimum": 1 },
                    "archived": { "type": "boolean" },
                } },
            } },
        } },
    } } } });
    let write = |verb: &str, scope: &str, description: &str, with_org: bool| {
        let mut parameters = vec![category.clone(), days.clone()];
        if with_org {
            parameters.push(path_id("organization_id"));
        } else {
            parameters.push(organization.clone());
        }
        json!({
            "operationId": format!("{verb}CopilotDocuments{scope}"), "tags": ["copilot_smart_assist"],
            "parameters": parameters,
            "requestBody": body.clone(),
            "responses": responses("200", description, Some(any_json.clone())),
        })
    };
    paths.insert("/copilot_smart_assist/documents".into(), json!({
        "get": {
            "operationId": "listCopilotDocuments", "tags": ["copilot_smart_assist"],
            "parameters": [
                category.clone(), days.clone(), organization.clone(),
                query("page[number]", "Page number.", json!({ "type": "integer", "minimum": 1 })),
                query("page[size]", "Documents per page.", json!({ "type": "integer", "minimum": 1, "maximum": 1000 })),
            ],
            "responses": responses("200", "The category's documents; meta counts every category.", Some(any_json.clone())),
        },
        "patch": write("archive", "", "The documents archived (or restored).", false),
        "delete": write("delete", "", "The documents deleted, as they were.", false),
    }));
    paths.insert("/organizations/{organization_id}/copilot_smart_assist/documents".into(), json!({
        "patch": write("archive", "InOrganization", "The documents archived (or restored).", true),
        "delete": write("delete", "InOrganization", "The documents deleted, as they were.", true),
    }));
}

/// `/webhooks` and `/webhooks/{id}`: the account's webhook subscriptions.
fn add_webhook_routes(paths: &mut Map<String, Value>) {
    let events = json!({
        "type": "array",
        "items": { "enum": crate::webhooks::EVENTS },
        "minItems": 1,
    });
    let types = json!({
        "type": ["array", "null"],
        "items": { "type": "string" },
        "minItems": 1,
        "description": "JSON:API types whose events are sent; null: every type.",
    });
    let organization = json!({
        "type": ["string", "integer", "null"],
        "description": "Only events of records of this organization; null: every organization.",
    });
    let resource = |secret: bool| {
        let mut attributes = json!({
            "type": "object",
            "properties": {
                "url": { "type": "string" },
                "events": events,
                "resource-types": types,
                "organization-id": { "type": ["string", "null"] },
                "enabled": { "type": "boolean" },
                "disabled-reason": { "type": ["string", "null"] },
                "failure-count": { "type": "integer" },
                "created-at": { "type": "string" },
                "updated-at": { "type": "string" },
            },
        });
        if secret {
            attributes["properties"]["secret"] = json!({
                "type": "string",
                "description": "The signing secret, shown in this response only.",
            });
        }
        json!({
            "type": "object",
            "required": ["id", "type", "attributes"],
            "properties": {
                "id": { "type": "string" },
                "type": { "const": "webhooks" },
                "attributes": attributes,
                "links": { "type": "object" },
            },
        })
    };
    let single = |secret: bool| json!({ "type": "object", "required": ["data"], "properties": { "data": resource(secret) } });
    let input = |required: bool| {
        let mut attributes = json!({
            "type": "object",
            "properties": {
                "url": { "type": "string", "description": "An http or https URL." },
                "events": events,
                "resource-types": types,
                "organization-id": organization,
                "enabled": { "type": "boolean" },
            },
        });
        if required {
            attributes["required"] = json!(["url"]);
        }
        json!({
            "type": "object",
            "required": ["data"],
            "properties": { "data": {
                "type": "object",
                "required": ["type", "attributes"],
                "properties": {
                    "type": { "const": "webhooks" },
                    "id": { "type": ["string", "integer"] },
                    "attributes": attributes,
                },
            } },
        })
    };
    paths.insert("/webhooks".into(), json!({
        "get": {
            "operationId": "listWebhooks", "tags": ["webhooks"],
            "responses": responses("200", "The account's subscriptions.", Some(json!({
                "type": "object",
                "required": ["data"],
                "properties": { "data": { "type": "array", "items": resource(false) } },
            }))),
        },
        "post": {
            "operationId": "createWebhook", "tags": ["webhooks"],
            "requestBody": { "required": true, "content": { MEDIA_TYPE: { "schema": input(true) } } },
            "responses": responses("201", "The subscription, with its signing secret (shown once).", Some(single(true))),
        },
    }));
    paths.insert("/webhooks/{id}".into(), json!({
        "parameters": [path_id("id")],
        "get": {
            "operationId": "showWebhook", "tags": ["webhooks"],
            "responses": responses("200", "The subscription.", Some(single(false))),
        },
        "patch": {
            "operationId": "updateWebhook", "tags": ["webhooks"],
            "requestBody": { "required": true, "content": { MEDIA_TYPE: { "schema": input(false) } } },
            "responses": responses("200", "The updated subscription (enabled: true clears its failures).", Some(single(false))),
        },
        "delete": {
            "operationId": "deleteWebhook", "tags": ["webhooks"],
            "responses": responses("204", "Deleted, with its undelivered events.", None),
        },
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_unique_id_and_every_reference_resolves() {
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut ids = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                let id = operation["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_string()), "{path} {method}: {id} twice");
            }
        }
        let text = doc.to_string();
        for reference in text.split("#/components/schemas/").skip(1) {
            let name: String = reference.chars().take_while(|c| *c != '"').collect();
            assert!(schemas.contains_key(&name), "{name} is not defined");
        }
        assert!(doc["paths"]["/configurations/{id}"]["patch"].is_object());
        assert!(doc["paths"]["/webhooks"]["post"].is_object());
        assert!(doc["paths"]["/webhooks/{id}"]["delete"].is_object());
        assert!(
            doc["paths"]["/organizations/{parent_id}/relationships/configurations"]["get"]
                .is_object()
        );
    }
}
