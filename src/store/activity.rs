//! The activity log's rows a transaction writes when it commits: every
//! entry its writes logged, in one statement per account rather than one
//! per write (a configuration and its primary interface are one `INSERT`).

use super::{Arg, Inserting, Scope, Tx};
use crate::error::Result;

/// The columns of an activity row, in the order [`Tx::record_activity`]
/// takes its values (the account's id comes from its scope).
pub const ACTIVITY_COLUMNS: [&str; 10] = [
    "api_key_id",
    "user_id",
    "organization_id",
    "action",
    "resource_type",
    "resource_id",
    "resource_name",
    "ip_address",
    "user_agent",
    "created_at",
];

impl Tx {
    /// Adds activity `rows` of `scope` (values of [`ACTIVITY_COLUMNS`]) to
    /// those this transaction writes when it commits ([`Tx::commit`]).
    pub fn record_activity(&mut self, scope: Scope, rows: Vec<Vec<Arg>>) {
        self.activity.add(scope, rows);
    }

    /// Writes the activity rows recorded so far, account by account.
    pub(super) async fn write_activity(&mut self) -> Result<()> {
        for (account, rows) in self.activity.take() {
            self.insert_rows(
                Some(Scope::new(account)),
                "activity_log",
                &ACTIVITY_COLUMNS,
                rows,
                Inserting::Quietly,
            )
            .await?;
        }
        Ok(())
    }
}
