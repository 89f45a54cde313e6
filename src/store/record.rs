//! What the store hands back and who acts: a decoded record and the actor
//! an activity entry names.

use super::Cell;

/// Who is acting, for the activity log and `updated-by`.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The API key used.
    pub key_id: Option<i64>,
    /// The user acting (a signed-in user, or the user a key acts for).
    pub user_id: Option<i64>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
}

/// One record: its id and a cell per selected field, in the order selected.
#[derive(Debug, Clone)]
pub struct Record {
    /// Id.
    pub id: i64,
    /// One value per selected field, in order.
    pub cells: Vec<Cell>,
}

impl Record {
    /// A record from a row whose first cell is the id.
    pub fn from_row(mut row: Vec<Cell>) -> Record {
        let id = row[0].as_i64().unwrap_or_default();
        row.remove(0);
        Record { id, cells: row }
    }

    /// The version of the stored row: 16 hex digits of a SHA-256 over every
    /// cell, so any change to what the record holds gives a new one. The
    /// first half of a show's `ETag`, and what `If-Match` is checked against.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(self.id.to_le_bytes());
        for cell in &self.cells {
            match cell {
                Cell::Null => hasher.update([0]),
                Cell::Int(v) => {
                    hasher.update([1]);
                    hasher.update(v.to_le_bytes());
                }
                Cell::Text(v) => {
                    hasher.update([2]);
                    hasher.update((v.len() as u64).to_le_bytes());
                    hasher.update(v.as_bytes());
                }
                Cell::Bool(v) => hasher.update([3, u8::from(*v)]),
            }
        }
        data_encoding::HEXLOWER.encode(&hasher.finalize()[..8])
    }
}
