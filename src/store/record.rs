//! What the store hands back and who acts: a decoded record and the actor
//! an activity entry names.

use super::Cell;

/// Who is acting, for the activity log and `updated-by`.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The API key used.
    pub key_id: Option<i64>,
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
}
