//! The roles of users, as the hosted product names them, and what each may
//! do. The engine asks [`Role::permits`] before every read and write of a
//! caller that acts for a user (a signed-in user, or an API key tied to one);
//! `docs/ROLES.md` is the same table for people.
//!
//! | Role          | Read | Create | Edit | Delete | Passwords | Account settings |
//! |---------------|------|--------|------|--------|-----------|------------------|
//! | Administrator | yes  | yes    | yes  | yes    | yes       | yes              |
//! | Manager       | yes  | yes    | yes  | yes    | yes       | yes              |
//! | Editor        | yes  | yes    | yes  | yes    | yes       | no               |
//! | Creator       | yes  | yes    | yes  | no     | yes       | no               |
//! | Lite          | yes  | no     | no   | no     | yes       | no               |
//! | Read-only     | yes  | no     | no   | no     | no        | no               |
//!
//! Account settings are the account's templates and lists: flexible asset
//! types and their fields, and the catalog types (organization, configuration
//! and contact types and statuses, password categories, manufacturers,
//! models); requesting and deleting exports counts as one. Only an Administrator changes other users (and manages users,
//! groups and keys from the command line, which needs no role).

use std::fmt;
use std::str::FromStr;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Role {
    /// Everything, including users and account settings.
    Administrator,
    /// Everything on documentation, including account settings.
    Manager,
    /// Reads, creates, edits and deletes documentation.
    Editor,
    /// Reads, creates and edits documentation; deletes nothing.
    Creator,
    /// Reads documentation, passwords included; changes nothing.
    Lite,
    /// Reads documentation without password values; changes nothing.
    #[value(name = "read-only", alias = "readonly")]
    ReadOnly,
}

/// What a caller asks to do with records of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// List or show.
    Read,
    /// Create.
    Create,
    /// Update.
    Edit,
    /// Delete.
    Delete,
}

impl Operation {
    /// The verb, for error messages.
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Create => "create",
            Operation::Edit => "edit",
            Operation::Delete => "delete",
        }
    }
}

/// The record types that are account settings (see the module docs).
const ACCOUNT_SETTINGS: &[&str] = &[
    "exports",
    "flexible_asset_types",
    "flexible_asset_fields",
    "organization_types",
    "organization_statuses",
    "configuration_types",
    "configuration_statuses",
    "contact_types",
    "password_categories",
    "manufacturers",
    "models",
];

impl Role {
    /// Every role, most rights first.
    pub const ALL: [Role; 6] = [
        Role::Administrator,
        Role::Manager,
        Role::Editor,
        Role::Creator,
        Role::Lite,
        Role::ReadOnly,
    ];

    /// The name the API shows (`role-name`) and stores.
    pub fn name(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Manager => "Manager",
            Role::Editor => "Editor",
            Role::Creator => "Creator",
            Role::Lite => "Lite",
            Role::ReadOnly => "Read-only",
        }
    }

    /// Whether the role may see and send password values.
    pub fn sees_passwords(self) -> bool {
        self != Role::ReadOnly
    }

    /// Whether the role may change account settings.
    pub fn manages_settings(self) -> bool {
        matches!(self, Role::Administrator | Role::Manager)
    }

    /// Whether the role may `operation` records stored in `table`.
    pub fn permits(self, operation: Operation, table: &str) -> bool {
        match operation {
            Operation::Read => true,
            _ if ACCOUNT_SETTINGS.contains(&table) => self.manages_settings(),
            _ if table == "users" => self == Role::Administrator,
            Operation::Create | Operation::Edit => !matches!(self, Role::Lite | Role::ReadOnly),
            Operation::Delete => {
                matches!(self, Role::Administrator | Role::Manager | Role::Editor)
            }
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;

    /// A role by its name, in any case, with or without the dash.
    fn from_str(text: &str) -> Result<Role, String> {
        let wanted: String = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        Role::ALL
            .into_iter()
            .find(|role| {
                role.name()
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
                    == wanted
            })
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                format!("no role {text:?}; roles are {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds() {
        use Operation::*;
        for role in Role::ALL {
            assert!(role.permits(Read, "configurations"));
            assert!(role.permits(Read, "flexible_asset_types"));
        }
        assert!(Role::Creator.permits(Create, "configurations"));
        assert!(Role::Creator.permits(Edit, "configurations"));
        assert!(!Role::Creator.permits(Delete, "configurations"));
        assert!(Role::Editor.permits(Delete, "configurations"));
        assert!(!Role::Editor.permits(Create, "flexible_asset_types"));
        assert!(Role::Manager.permits(Delete, "flexible_asset_types"));
        assert!(!Role::Lite.permits(Edit, "passwords"));
        assert!(Role::Lite.sees_passwords());
        assert!(!Role::ReadOnly.sees_passwords());
    }

    #[test]
    fn names_parse_loosely() {
        assert_eq!("read-only".parse::<Role>(), Ok(Role::ReadOnly));
        assert_eq!("Read-only".parse::<Role>(), Ok(Role::ReadOnly));
        assert_eq!("ADMINISTRATOR".parse::<Role>(), Ok(Role::Administrator));
        assert!("owner".parse::<Role>().unwrap_err().contains("Lite"));
    }
}
