//! The engine driven directly, without HTTP: one resource of each family,
//! a password reveal with its audit entry, and the hooks the next families
//! need (a query guard, relationships always rendered, uniqueness within a
//! parent and unique errors that name their field), on test definitions
//! over the real schema.

use std::sync::Arc;

use mortar::engine::input::Item;
use mortar::engine::{BulkDelete, Caller, Engine, Records};
use mortar::error::Error;
use mortar::query::{FilterParam, Query};
use mortar::resources::{
    by_route, ColumnType, Field, Filter, Hooks, Include, IncludeTarget, Ops, QueryPurpose, Resource,
};
use mortar::store::{hash_key, Actor, Cell};
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The app's own engine (the one its routes call).
async fn engine_of(app: &TestApp, extra: &[&'static Resource]) -> Engine {
    let master = mortar::vault::load_master_key(&app.store, app.data_dir(), None)
        .await
        .expect("the app's master key");
    let files = mortar::files::FsBlobStore::open(app.data_dir().join("attachments"))
        .expect("the attachment directory");
    Engine::with_definitions(
        app.store.clone(),
        mortar::vault::Vault::new(master),
        Arc::new(files),
        extra,
    )
}

/// The caller a key acts as.
async fn caller(app: &TestApp, key: &str) -> Caller {
    let grant = app
        .store
        .authenticate(&hash_key(key))
        .await
        .unwrap()
        .expect("a valid key");
    Caller {
        scope: grant.scope,
        actor: Actor {
            key_id: Some(grant.key_id),
            user_id: grant.user.map(|u| u.id),
            ip: None,
            user_agent: Some("engine test".into()),
        },
        password_access: grant.password_access,
        user: grant.user,
    }
}

fn resource(route: &str) -> &'static Resource {
    by_route(route).unwrap_or_else(|| panic!("{route} is defined"))
}

/// A request item with these attributes.
fn item(attributes: Value) -> Item {
    let Value::Object(object) = json!({ "attributes": attributes }) else {
        unreachable!()
    };
    Item {
        pointer: "/data".into(),
        object,
    }
}

fn filtered(name: &str, value: impl Into<String>) -> Query {
    Query {
        filters: vec![FilterParam::matching(name, value)],
        ..Query::default()
    }
}

fn text<'a>(records: &'a Records, index: usize, field: &str) -> Option<&'a str> {
    records
        .resource
        .cell(&records.records[index], field)
        .and_then(Cell::as_str)
}

async fn the_engine_serves_every_family_without_http(app: TestApp) {
    let engine = engine_of(&app, &[]).await;
    let owner = caller(&app, &app.key).await;
    let none = Query::default();

    // The account's catalogs.
    let types = resource("configuration_types");
    let created = engine
        .create(
            &owner,
            types,
            None,
            vec![item(json!({"name": "Engine Box"}))],
            &none,
        )
        .await
        .unwrap();
    let listed = engine
        .list(&owner, types, None, &filtered("name", "Engine Box"))
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.records[0].id, created.records[0].id);
    let type_id = created.records[0].id;

    // Global reference data.
    let countries = engine
        .list(&owner, resource("countries"), None, &filtered("iso", "NZ"))
        .await
        .unwrap();
    assert_eq!(text(&countries, 0, "name"), Some("New Zealand"));

    // Organization-owned records, with inline interfaces written through
    // the interfaces' own rules: the primary one gives its address.
    let organizations = resource("organizations");
    let organization = engine
        .create(
            &owner,
            organizations,
            None,
            vec![item(json!({"name": "Engine Co"}))],
            &none,
        )
        .await
        .unwrap()
        .records[0]
        .id;
    let configurations = resource("configurations");
    let mut device = item(json!({
        "organization_id": organization, "name": "edge-fw", "configuration_type_id": type_id
    }));
    device.object.insert(
        "relationships".into(),
        json!({"configuration_interfaces": {"data": [
            {"attributes": {"name": "wan", "ip_address": "203.0.113.9", "primary": true}},
            {"attributes": {"name": "lan", "ip_address": "10.0.0.1"}}
        ]}}),
    );
    let configuration = engine
        .create(&owner, configurations, None, vec![device], &none)
        .await
        .unwrap()
        .records[0]
        .id;
    let shown = engine
        .show(&owner, configurations, None, configuration, &none)
        .await
        .unwrap();
    assert_eq!(text(&shown, 0, "primary_ip"), Some("203.0.113.9"));
    let interfaces = resource("configuration_interfaces");
    let under = interfaces
        .parents()
        .iter()
        .find(|p| p.route == "configurations")
        .unwrap();
    let listed = engine
        .list(&owner, interfaces, Some((under, configuration)), &none)
        .await
        .unwrap();
    assert_eq!(listed.total, 2);

    // A polymorphic child: a related item under the configuration, shown
    // through the configuration's include with its destination's name.
    let related = resource("related_items");
    let from = related
        .parents()
        .iter()
        .find(|p| p.route == "configurations")
        .expect("related items hang under configurations");
    engine
        .create(
            &owner,
            related,
            Some((from, configuration)),
            vec![item(
                json!({"destination_type": "Organization", "destination_id": organization}),
            )],
            &none,
        )
        .await
        .unwrap();
    let with_related = engine
        .show(
            &owner,
            configurations,
            None,
            configuration,
            &Query {
                include: vec!["related_items".into()],
                ..Query::default()
            },
        )
        .await
        .unwrap();
    let (_, (_, link)) = with_related
        .related
        .included
        .iter()
        .next()
        .expect("the related item is included");
    let computed = &with_related.extra[&("related-items", link.id)];
    assert_eq!(computed["destination-name"], "Engine Co");

    // A delete takes what hangs off the record with it.
    engine
        .delete(
            &owner,
            related,
            Some((from, configuration)),
            BulkDelete::Ids(vec![("/data/0".into(), link.id)]),
            None,
        )
        .await
        .unwrap();
    let after = engine
        .show(
            &owner,
            configurations,
            None,
            configuration,
            &Query {
                include: vec!["related_items".into()],
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert!(after.related.included.is_empty());

    // Another account sees none of it.
    let stranger = caller(&app, &app.other_key).await;
    assert!(matches!(
        engine
            .show(&stranger, configurations, None, configuration, &none)
            .await,
        Err(Error::NotFound(_))
    ));
}

async fn a_reveal_through_the_engine_is_audited(app: TestApp) {
    let engine = engine_of(&app, &[]).await;
    let owner = caller(&app, &app.key).await;
    let plain = caller(&app, &app.plain_key).await;
    let none = Query::default();
    let organization = engine
        .create(
            &owner,
            resource("organizations"),
            None,
            vec![item(json!({"name": "Vaulted"}))],
            &none,
        )
        .await
        .unwrap()
        .records[0]
        .id;
    let passwords = resource("passwords");
    let id = engine
        .create(
            &owner,
            passwords,
            None,
            vec![item(json!({
                "organization_id": organization, "name": "Firewall admin", "password": "s3cret-engine"
            }))],
            &none,
        )
        .await
        .unwrap()
        .records[0]
        .id;
    let logs = resource("logs");
    let shows = |who: &'static str| {
        let mut query = filtered("resource_id", id.to_string());
        query.filters.push(FilterParam::matching("action", who));
        query
    };

    // Without password access: no secret, no audit entry, and no way to send one.
    let hidden = engine
        .show(&plain, passwords, None, id, &none)
        .await
        .unwrap();
    assert!(!hidden.extra.contains_key(&("passwords", id)));
    assert_eq!(
        engine
            .list(&owner, logs, None, &shows("show"))
            .await
            .unwrap()
            .total,
        0
    );
    let refused = engine
        .update(
            &plain,
            passwords,
            None,
            id,
            item(json!({"password": "stolen"})),
            &none,
            None,
        )
        .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");

    // With it: the secret, and one `show` entry naming the key.
    let shown = engine
        .show(&owner, passwords, None, id, &none)
        .await
        .unwrap();
    assert_eq!(shown.extra[&("passwords", id)]["password"], "s3cret-engine");
    let audit = engine
        .list(&owner, logs, None, &shows("show"))
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert_eq!(
        logs.cell(&audit.records[0], "api_key_id")
            .and_then(Cell::as_i64),
        Some(app.key_id)
    );
}

/// Lists of models through this definition need `filter[manufacturer_id]`.
struct NeedsManufacturer;

impl Hooks for NeedsManufacturer {
    fn check_query(&self, query: &Query, _purpose: QueryPurpose) -> mortar::error::Result<()> {
        if query.has_filter("manufacturer_id") {
            Ok(())
        } else {
            Err(Error::bad_parameter(
                "filter[manufacturer_id]",
                "is required: models are listed per manufacturer",
            ))
        }
    }
}

static GUARDED_MODELS: Resource = Resource {
    json_type: "guarded-models",
    route: "guarded_models",
    table: "models",
    class: "GuardedModel",
    fields: &[
        Field::column("manufacturer_id", "t.manufacturer_id", ColumnType::Int),
        Field::column("name", "t.name", ColumnType::Text),
    ],
    filters: &[Filter::exact(
        "manufacturer_id",
        "t.manufacturer_id",
        ColumnType::Int,
    )],
    hooks: &NeedsManufacturer,
    ..Resource::BASE
};

static MANUFACTURERS_WITH_MODELS: Resource = Resource {
    json_type: "manufacturers",
    route: "manufacturers_with_models",
    table: "manufacturers",
    class: "ManufacturerWithModels",
    fields: &[Field::column("name", "t.name", ColumnType::Text)],
    includes: &[Include {
        name: "models",
        target: IncludeTarget::HasMany {
            resource: &GUARDED_MODELS,
            foreign_key: "manufacturer_id",
        },
        show_only: false,
    }],
    relationships: &["models"],
    ..Resource::BASE
};

/// Document revisions written directly: `name` is unique in the account
/// (no constraint backs it here), `revision` within its document (the
/// schema's `document_versions_unique`).
static REVISIONS: Resource = Resource {
    json_type: "revisions",
    route: "revisions",
    table: "document_versions",
    class: "Revision",
    fields: &[
        Field::column("name", "t.name", ColumnType::Text).unique(),
        Field::column("document_id", "t.document_id", ColumnType::Int).references("documents"),
        Field::column("revision", "t.revision", ColumnType::Int).unique_within("document_id"),
    ],
    ops: Ops::ALL,
    logged: false,
    ..Resource::BASE
};

async fn hooks_guard_queries_render_relationships_and_name_unique_fields(app: TestApp) {
    let engine = engine_of(
        &app,
        &[&GUARDED_MODELS, &MANUFACTURERS_WITH_MODELS, &REVISIONS],
    )
    .await;
    let owner = caller(&app, &app.key).await;
    let none = Query::default();

    // A list guard answers a 400 naming the filter it needs.
    match engine.list(&owner, &GUARDED_MODELS, None, &none).await {
        Err(Error::BadRequest { parameter, .. }) => {
            assert_eq!(parameter.as_deref(), Some("filter[manufacturer_id]"))
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    let maker = engine
        .create(
            &owner,
            &MANUFACTURERS_WITH_MODELS,
            None,
            vec![item(json!({"name": "Engine Works"}))],
            &none,
        )
        .await
        .unwrap()
        .records[0]
        .id;
    let model = engine
        .create(
            &owner,
            &GUARDED_MODELS,
            None,
            vec![item(json!({"manufacturer_id": maker, "name": "EW-1"}))],
            &none,
        )
        .await
        .unwrap()
        .records[0]
        .id;
    let listed = engine
        .list(
            &owner,
            &GUARDED_MODELS,
            None,
            &filtered("manufacturer_id", maker.to_string()),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);

    // Relationships the type always renders, without being asked; nothing
    // is included unless asked for.
    let shown = engine
        .show(&owner, &MANUFACTURERS_WITH_MODELS, None, maker, &none)
        .await
        .unwrap();
    assert!(!shown.requested);
    assert_eq!(
        shown.related.links[&(maker, "models")],
        vec![("guarded-models", model)]
    );
    assert!(shown.related.included.is_empty());
    let document = mortar::jsonapi::document::resource_object(
        shown.resource,
        &shown.records[0],
        false,
        Some((&shown.related, shown.includes.as_slice())),
        None,
        "http://localhost",
    );
    assert_eq!(
        document["relationships"]["models"]["data"][0]["id"],
        model.to_string()
    );

    // Uniqueness within a parent, and the 422 names the field whose
    // constraint broke, not the first unique one.
    let organization = app
        .create("/organizations", json!({"name": "Revised"}))
        .await;
    let doc = app
        .create(
            "/documents",
            json!({"organization-id": organization, "name": "Runbook", "content": "<p>v1</p>"}),
        )
        .await;
    let revision = |name: &str| item(json!({"name": name, "document_id": doc, "revision": 7}));
    engine
        .create(&owner, &REVISIONS, None, vec![revision("first")], &none)
        .await
        .unwrap();
    match engine
        .create(&owner, &REVISIONS, None, vec![revision("second")], &none)
        .await
    {
        Err(Error::Invalid(problems)) => {
            assert_eq!(problems[0].pointer, "/data/attributes/revision")
        }
        other => panic!("expected a 422 at revision, got {other:?}"),
    }
}

crate::api_tests!(
    the_engine_serves_every_family_without_http,
    a_reveal_through_the_engine_is_audited,
    hooks_guard_queries_render_relationships_and_name_unique_fields,
);
