//! The `export` job: builds an export's zip on the server's disk, streaming
//! records page by page (cursor pages) into it, so memory stays flat
//! whatever the export's size.
//!
//! The zip holds, per record type, `<type>.json` (the records as the API
//! shows them) and `<type>.csv` (one row per record, one column per
//! attribute; lists and objects as JSON text); flexible assets per type
//! under `flexible_assets/`; documents as HTML under `documents/`; each
//! attachment's file under `attachments/<Type>-<id>/`; and a `README.txt`.
//! Password values are in it only when the requester could read them, each
//! reveal written to the activity log as any other. With a `zip-password`
//! every entry is encrypted with AES-256 (WinZip AES, which 7-Zip and most
//! archive tools open).

use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use zip::write::{FileOptions, SimpleFileOptions};
use zip::{AesMode, CompressionMethod, ZipWriter};

use crate::engine::{Caller, Engine};
use crate::error::{Error, Result};
use crate::http::AppState;
use crate::jobs::{Job, JobError, Queue, Registry};
use crate::jsonapi::document::resource_object;
use crate::query::{FilterParam, Query};
use crate::resources::exports::{password_place, EXPORT_KIND};
use crate::resources::flexible_asset_types::FLEXIBLE_ASSET_TYPES;
use crate::resources::{Resource, Scoping, ALL};
use crate::store::{Actor, ExportTask, Scope};

/// The clean-up of exports older than their retention.
pub const EXPORTS_PRUNE_KIND: &str = "prune_exports";

/// Records read per page.
const PAGE: u32 = 1000;

/// Registers the export job and the clean-up of exports older than
/// `retention`; files go under `dir`.
pub fn register(
    registry: &mut Registry,
    queue: &Queue,
    state: Arc<AppState>,
    dir: PathBuf,
    retention: Duration,
) {
    let builder = Arc::new(Builder { state, dir });
    let runner = builder.clone();
    registry.register(EXPORT_KIND, move |job| {
        let runner = runner.clone();
        async move { runner.run(job).await }
    });
    let store = queue.store().clone();
    let files = builder.state.engine.files().clone();
    let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX / 2);
    registry.register(EXPORTS_PRUNE_KIND, move |_job| {
        let store = store.clone();
        let files = files.clone();
        async move {
            let before = crate::clock::now_millis().saturating_sub(retention);
            let removed = store.delete_old_exports(before, files.as_ref()).await?;
            tracing::info!(removed, "removed exports past their retention");
            Ok::<(), JobError>(())
        }
    });
    registry.every(
        EXPORTS_PRUNE_KIND,
        crate::jobs::PRUNE_EVERY,
        serde_json::json!({}),
    );
}

struct Builder {
    state: Arc<AppState>,
    dir: PathBuf,
}

impl Builder {
    async fn run(&self, job: Job) -> std::result::Result<(), JobError> {
        let engine = &self.state.engine;
        let store = engine.store();
        let (Some(scope), Some(id)) =
            (job.scope, job.payload.get("export").and_then(Value::as_i64))
        else {
            return Err(JobError::fail(anyhow::anyhow!("no export in the payload")));
        };
        // Deleted meanwhile, or already built: nothing to do.
        let Some(task) = store.export_task(scope, id).await? else {
            return Ok(());
        };
        if task.status == "done" {
            return Ok(());
        }
        store
            .set_export_status(scope, id, "running", None, None)
            .await?;
        match self.build(scope, id, &task).await {
            Ok((path, size)) => {
                store
                    .set_export_status(scope, id, "done", None, Some((&path, size)))
                    .await?;
                tracing::info!(export = id, bytes = size, "export built");
                Ok(())
            }
            Err(error) => {
                let last = job.attempt >= job.max_attempts;
                let status = if last { "failed" } else { "pending" };
                store
                    .set_export_status(scope, id, status, Some(&error.to_string()), None)
                    .await?;
                Err(JobError::Retry(anyhow::Error::new(error)))
            }
        }
    }

    /// Writes the zip of export `id`; its path and size.
    async fn build(&self, scope: Scope, id: i64, task: &ExportTask) -> Result<(String, i64)> {
        let engine = &self.state.engine;
        let password = match &task.sealed_password {
            Some(sealed) => {
                engine
                    .vault()
                    .ensure_data_key(engine.store(), scope)
                    .await?;
                Some(engine.vault().open(scope, &password_place(id), sealed)?)
            }
            None => None,
        };
        let folder = self.dir.join(scope.account_id().to_string());
        std::fs::create_dir_all(&folder).map_err(io_error)?;
        let path = folder.join(format!("{id}.zip"));
        let partial = folder.join(format!("{id}.zip.part"));
        let file = std::fs::File::create(&partial).map_err(io_error)?;
        let mut options: FileOptions<'_, ()> = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(true);
        if let Some(password) = &password {
            options = options.with_aes_encryption(AesMode::Aes256, password.as_str());
        }
        let caller = Caller {
            scope,
            actor: Actor {
                key_id: task.api_key_id,
                user_id: task.user_id,
                ip: None,
                user_agent: Some(format!("mortar export {id}")),
            },
            password_access: task.with_passwords,
            user: None,
        };
        let mut writer = ExportWriter {
            zip: ZipWriter::new(file),
            options,
            engine,
            caller,
            with_passwords: task.with_passwords,
            spool: tempfile::tempfile().map_err(io_error)?,
            documents: Vec::new(),
        };
        writer.write_all(task).await?;
        let mut file = writer.zip.finish().map_err(zip_error)?;
        file.flush().map_err(io_error)?;
        file.sync_all().map_err(io_error)?;
        let size = file.stream_position().map_err(io_error)?;
        std::fs::rename(&partial, &path).map_err(io_error)?;
        // Into the object store when one is configured (the local zip was
        // only where it was built); files stay where they are.
        let name = format!("exports/{}/{id}.zip", scope.account_id());
        let kept = engine
            .files()
            .keep_export(&path, &name)
            .await
            .map_err(io_error)?;
        Ok((kept, i64::try_from(size).unwrap_or(i64::MAX)))
    }
}

/// The zip being written and what it reads from.
struct ExportWriter<'a> {
    zip: ZipWriter<std::fs::File>,
    options: FileOptions<'a, ()>,
    engine: &'a Engine,
    caller: Caller,
    with_passwords: bool,
    /// Documents' HTML pages, written one after another into a temporary
    /// file while their records' entry is open.
    spool: std::fs::File,
    /// Each page in `spool`: its entry name, offset and length.
    documents: Vec<(String, u64, u64)>,
}

impl ExportWriter<'_> {
    async fn write_all(&mut self, task: &ExportTask) -> Result<()> {
        let organization = task.organization_id;
        for resource in ALL.iter().copied() {
            if !exported(resource, organization.is_some(), task.include_logs) {
                continue;
            }
            if resource.table == "flexible_assets" {
                self.flexible_assets(organization).await?;
                continue;
            }
            let filters = organization_filter(resource, organization);
            self.records(resource, filters, resource.route).await?;
        }
        for (name, offset, length) in std::mem::take(&mut self.documents) {
            self.spool
                .seek(std::io::SeekFrom::Start(offset))
                .map_err(io_error)?;
            self.zip.start_file(name, self.options).map_err(zip_error)?;
            std::io::copy(&mut (&mut self.spool).take(length), &mut self.zip).map_err(io_error)?;
        }
        for attachment in self
            .engine
            .store()
            .attachment_files(self.caller.scope, organization)
            .await?
        {
            let bytes = self
                .engine
                .files()
                .get(&attachment.blob_key)
                .await
                .map_err(io_error)?
                .unwrap_or_default();
            let name = format!(
                "attachments/{}-{}/{}-{}",
                attachment.resource_type,
                attachment.resource_id,
                attachment.id,
                safe_name(&attachment.file_name)
            );
            self.zip.start_file(name, self.options).map_err(zip_error)?;
            self.zip.write_all(&bytes).map_err(io_error)?;
        }
        let readme = format!(
            "Mortar export of {} made {}.\n\nPer record type: <type>.json (the records as the API shows them) and\n<type>.csv (one row per record). Flexible assets: flexible_assets/<type>.\nDocuments: documents/<id>-<name>.html. Attachments: attachments/<Type>-<id>/.\nPassword values: {}.\n",
            match organization {
                Some(id) => format!("organization {id}"),
                None => "the whole account".to_string(),
            },
            crate::clock::format_millis(crate::clock::now_millis()),
            if self.with_passwords {
                "included"
            } else {
                "not included (the requester had no password access)"
            },
        );
        self.zip
            .start_file("README.txt", self.options)
            .map_err(zip_error)?;
        self.zip.write_all(readme.as_bytes()).map_err(io_error)?;
        Ok(())
    }

    /// Each flexible asset type's assets, as `flexible_assets/<id>-<name>`.
    async fn flexible_assets(&mut self, organization: Option<i64>) -> Result<()> {
        let mut types = Vec::new();
        let query = self.query(Vec::new());
        pages(
            self.engine,
            &self.caller,
            query,
            &FLEXIBLE_ASSET_TYPES,
            |object| {
                let id = object["id"].as_str().and_then(|id| id.parse::<i64>().ok());
                let name = object["attributes"]["name"].as_str().unwrap_or_default();
                if let Some(id) = id {
                    types.push((id, name.to_string()));
                }
            },
        )
        .await?;
        let assets = crate::resources::by_route("flexible_assets").expect("flexible assets");
        for (type_id, name) in types {
            let mut filters = organization_filter(assets, organization);
            filters.push(FilterParam::matching(
                "flexible_asset_type_id",
                type_id.to_string(),
            ));
            let entry = format!("flexible_assets/{type_id}-{}", safe_name(&name));
            self.records(assets, filters, &entry).await?;
        }
        Ok(())
    }

    /// `<entry>.json` and `<entry>.csv` of the records of `resource` that
    /// `filters` pick, read a page at a time.
    async fn records(
        &mut self,
        resource: &'static Resource,
        filters: Vec<FilterParam>,
        entry: &str,
    ) -> Result<()> {
        self.zip
            .start_file(format!("{entry}.json"), self.options)
            .map_err(zip_error)?;
        self.zip.write_all(b"[").map_err(io_error)?;
        let mut csv = csv::Writer::from_writer(tempfile::tempfile().map_err(io_error)?);
        let mut header: Option<Vec<String>> = None;
        let mut first = true;
        let mut failure: Option<Error> = None;
        let query = self.query(filters);
        let (engine, caller) = (self.engine, self.caller.clone());
        let zip = &mut self.zip;
        let spool = &mut self.spool;
        let documents = &mut self.documents;
        pages(engine, &caller, query, resource, |object| {
            if failure.is_some() {
                return;
            }
            let result = (|| -> Result<()> {
                if !first {
                    zip.write_all(b",\n").map_err(io_error)?;
                }
                first = false;
                serde_json::to_writer(&mut *zip, &object).map_err(|e| Error::Internal(e.into()))?;
                let attributes = object["attributes"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                let columns = header.get_or_insert_with(|| {
                    std::iter::once("id".to_string())
                        .chain(attributes.keys().cloned())
                        .collect()
                });
                let row: Vec<String> = columns
                    .iter()
                    .map(|column| {
                        if column == "id" {
                            object["id"].as_str().unwrap_or_default().to_string()
                        } else {
                            cell(attributes.get(column))
                        }
                    })
                    .collect();
                csv.write_record(&row).map_err(csv_error)?;
                if resource.table == "documents" {
                    documents.push(spool_document(spool, &object)?);
                }
                Ok(())
            })();
            if let Err(error) = result {
                failure = Some(error);
            }
        })
        .await?;
        if let Some(error) = failure {
            return Err(error);
        }
        self.zip.write_all(b"]\n").map_err(io_error)?;
        let mut file = csv.into_inner().map_err(|e| io_error(e.into_error()))?;
        self.zip
            .start_file(format!("{entry}.csv"), self.options)
            .map_err(zip_error)?;
        if let Some(columns) = &header {
            let mut head = csv::Writer::from_writer(Vec::new());
            head.write_record(columns).map_err(csv_error)?;
            let head = head.into_inner().map_err(|e| io_error(e.into_error()))?;
            self.zip.write_all(&head).map_err(io_error)?;
        }
        file.rewind().map_err(io_error)?;
        std::io::copy(&mut file, &mut self.zip).map_err(io_error)?;
        Ok(())
    }

    fn query(&self, filters: Vec<FilterParam>) -> Query {
        Query {
            page_size: Some(PAGE),
            page_after: Some(String::new()),
            filters,
            show_password: Some(if self.with_passwords { "true" } else { "false" }.into()),
            ..Query::default()
        }
    }
}

/// Every record of `resource` that `query` picks, as resource objects
/// (with the secrets the caller may see), handed to `each` a page at a time.
async fn pages(
    engine: &Engine,
    caller: &Caller,
    mut query: Query,
    resource: &'static Resource,
    mut each: impl FnMut(Value),
) -> Result<()> {
    loop {
        let page = engine.list(caller, resource, None, &query).await?;
        for record in &page.records {
            each(resource_object(
                resource,
                record,
                false,
                None,
                page.extra.get(&(resource.json_type, record.id)),
                "",
            ));
        }
        match page.cursor.and_then(|c| c.next) {
            Some(next) => query.page_after = Some(next),
            None => return Ok(()),
        }
    }
}

/// Appends a document's HTML page to `spool`; its entry name, offset and
/// length (it goes into the zip once the entry being written is done).
fn spool_document(spool: &mut std::fs::File, object: &Value) -> Result<(String, u64, u64)> {
    let attributes = &object["attributes"];
    let name = attributes["name"].as_str().unwrap_or_default();
    let content = attributes["content"].as_str().unwrap_or_default();
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n<h1>{}</h1>\n{content}\n</body></html>\n",
        escape(name),
        escape(name)
    );
    let offset = spool.seek(std::io::SeekFrom::End(0)).map_err(io_error)?;
    spool.write_all(html.as_bytes()).map_err(io_error)?;
    let entry = format!(
        "documents/{}-{}.html",
        object["id"].as_str().unwrap_or_default(),
        safe_name(name)
    );
    Ok((entry, offset, html.len() as u64))
}

/// Whether an export has a file per `resource`: the account's records that
/// a list serves, of one organization when the export is of one (then only
/// the types that belong to organizations); the activity log only when
/// asked for; never exports themselves nor the user metrics.
fn exported(resource: &Resource, of_organization: bool, include_logs: bool) -> bool {
    if resource.scoping != Scoping::Account || !resource.ops.list || !resource.ops.list_top_level {
        return resource.table == "flexible_assets";
    }
    match resource.table {
        "exports" | "user_metrics" => false,
        "activity_log" => include_logs,
        _ if of_organization => resource.organization_column.is_some(),
        _ => true,
    }
}

/// The filter that keeps `resource`'s records to `organization`.
fn organization_filter(resource: &Resource, organization: Option<i64>) -> Vec<FilterParam> {
    let Some(organization) = organization else {
        return Vec::new();
    };
    let name = match resource.organization_column {
        Some("id") => "id",
        _ => "organization_id",
    };
    vec![FilterParam::matching(name, organization.to_string())]
}

/// A CSV cell: text as is, nothing for null, other values as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// A name safe as one path segment of a zip entry.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .take(100)
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    if trimmed.is_empty() {
        "unnamed".into()
    } else {
        trimmed.to_string()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn io_error(error: std::io::Error) -> Error {
    Error::Internal(anyhow::Error::new(error).context("writing an export"))
}

fn zip_error(error: zip::result::ZipError) -> Error {
    Error::Internal(anyhow::Error::new(error).context("writing an export's zip"))
}

fn csv_error(error: csv::Error) -> Error {
    Error::Internal(anyhow::Error::new(error).context("writing an export's CSV"))
}
