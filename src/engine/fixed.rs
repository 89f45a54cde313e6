//! The rows of global reference data (platforms, operating systems,
//! countries, regions), kept in memory once read.
//!
//! Those tables are seeded when the store opens and no request writes them
//! (their resources are read-only and belong to no account), so a row read
//! once stays true for as long as the process runs. A show of one of them
//! answers from memory after its first read: no statement, no read
//! transaction, on either store. Only rows that exist are kept, so the
//! memory is bounded by the tables' size (a few thousand rows).

use std::collections::HashMap;
use std::sync::RwLock;

use crate::resources::{Ops, Resource, Scoping};
use crate::store::Record;

/// Reference rows already read, by resource (its route) and id.
#[derive(Debug, Default)]
pub(crate) struct FixedRows {
    rows: RwLock<HashMap<(&'static str, i64), Record>>,
}

impl FixedRows {
    /// Whether `resource`'s rows never change while the process runs: global
    /// and offering no write.
    pub(crate) fn holds(resource: &Resource) -> bool {
        let Ops {
            create,
            update,
            bulk_update,
            bulk_delete,
            delete,
            ..
        } = resource.ops;
        resource.scoping == Scoping::Global
            && !(create || update || bulk_update || bulk_delete || delete)
    }

    /// The row `id` of `resource`, if it has been read before.
    pub(crate) fn get(&self, resource: &Resource, id: i64) -> Option<Record> {
        self.rows
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(resource.route, id))
            .cloned()
    }

    /// Keeps `record`, just read as one of `resource`'s rows.
    pub(crate) fn keep(&self, resource: &Resource, record: &Record) {
        self.rows
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((resource.route, record.id), record.clone());
    }
}
