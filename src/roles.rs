//! The roles of users, as the hosted product names them, and what each may
//! do. The engine asks [`Role::permits`] before every read and write of a
//! caller that acts for a user (a signed-in user, or an API key tied to one);
//! `docs/PEOPLE.md` is the same table for people.
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
//! models); requesting and deleting exports counts as one. Each resource
//! definition says which row guards it (`Resource::guard`). Only an Administrator changes other users (and manages users,
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

/// Which row of the role table guards the writes to a record type; each
/// resource definition names its own (`Resource::guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Documentation: organizations, configurations, passwords, ...
    Documentation,
    /// Account settings: templates, lists and exports (see the module docs).
    Settings,
    /// The people of the account: only an Administrator changes them.
    People,
}

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

    /// Whether the role may `operation` records that `guard` guards.
    pub fn permits(self, operation: Operation, guard: Guard) -> bool {
        match (operation, guard) {
            (Operation::Read, _) => true,
            (_, Guard::Settings) => self.manages_settings(),
            (_, Guard::People) => self == Role::Administrator,
            (Operation::Create | Operation::Edit, Guard::Documentation) => {
                !matches!(self, Role::Lite | Role::ReadOnly)
            }
            (Operation::Delete, Guard::Documentation) => {
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
        use Guard::*;
        use Operation::*;
        for role in Role::ALL {
            assert!(role.permits(Read, Documentation));
            assert!(role.permits(Read, Settings));
        }
        assert!(Role::Creator.permits(Create, Documentation));
        assert!(Role::Creator.permits(Edit, Documentation));
        assert!(!Role::Creator.permits(Delete, Documentation));
        assert!(Role::Editor.permits(Delete, Documentation));
        assert!(!Role::Editor.permits(Create, Settings));
        assert!(Role::Manager.permits(Delete, Settings));
        assert!(!Role::Manager.permits(Edit, People));
        assert!(Role::Administrator.permits(Edit, People));
        assert!(!Role::Lite.permits(Edit, Documentation));
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
