//! The account's people as its Administrators change them in the web
//! interface: users made, given a role, disabled or enabled; groups made
//! and their members changed. The role table's People guard decides who
//! may; every change is confined to the caller's account by the store and
//! written to the activity log with it.

use super::activity::{self, Action, Entry};
use super::{Caller, Engine};
use crate::error::{Error, Result};
use crate::roles::{Guard, Operation, Role};
use crate::store::{check_email, AccountSummary, CreatedUser, NewUser};

impl Engine {
    /// Gives user `user` the role `role`. An Administrator does not change
    /// their own role (another Administrator does), so an account is never
    /// left without one by accident.
    pub async fn set_user_role(&self, caller: &Caller, user: i64, role: Role) -> Result<()> {
        self.change_user(caller, user, UserChange::Role(role)).await
    }

    /// Disables user `user` (they cannot sign in; their keys and sessions
    /// are refused) or, with `disabled = false`, enables them again.
    pub async fn set_user_disabled(
        &self,
        caller: &Caller,
        user: i64,
        disabled: bool,
    ) -> Result<()> {
        self.change_user(caller, user, UserChange::Disabled(disabled))
            .await
    }

    async fn change_user(&self, caller: &Caller, user: i64, change: UserChange) -> Result<()> {
        caller.authorize_guarded(Guard::People, "users", Operation::Edit)?;
        if caller.actor.user_id == Some(user) {
            let what = match change {
                UserChange::Role(_) => "change your own role",
                UserChange::Disabled(true) => "disable yourself",
                UserChange::Disabled(false) => "enable yourself",
            };
            return Err(Error::Forbidden(format!(
                "you cannot {what}; another Administrator can"
            )));
        }
        let mut tx = self.store.begin().await?;
        let changed = match change {
            UserChange::Role(role) => tx.set_user_role(caller.scope, user, role).await?,
            UserChange::Disabled(disabled) => {
                tx.set_user_disabled(caller.scope, user, disabled).await?
            }
        };
        let Some(name) = changed else {
            return Err(Error::NotFound(format!("this account has no user {user}")));
        };
        let entry = people_entry(Action::Update, "User", user, name);
        activity::record(&mut tx, caller.scope, &caller.actor, &[entry], now());
        tx.commit().await
    }

    /// Makes a user of the caller's account with a one-time sign-in
    /// password, returned to be shown once.
    pub async fn create_user(&self, caller: &Caller, new: &NewUser<'_>) -> Result<CreatedUser> {
        caller.authorize_guarded(Guard::People, "users", Operation::Create)?;
        let mut problems = Vec::new();
        if let Err(e) = check_email(new.email) {
            problems.push(crate::error::Invalid::new("/email", e.to_string()));
        }
        for (pointer, value) in [
            ("/first-name", new.first_name),
            ("/last-name", new.last_name),
        ] {
            if value.trim().is_empty() {
                problems.push(crate::error::Invalid::new(pointer, "can't be blank"));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let account = account_of(caller);
        if self.store.user_id(&account, new.email).await.is_ok() {
            return Err(Error::invalid(
                "/email",
                "is already the email of a user of this account",
            ));
        }
        let created = self
            .store
            .create_user(&account, new, None)
            .await
            .map_err(|e| Error::invalid("/email", e.to_string()))?;
        let name = crate::store::full_name(Some(new.first_name), Some(new.last_name));
        let entry = people_entry(Action::Create, "User", created.id, name);
        activity::record_now(&self.store, caller.scope, &caller.actor, &[entry]).await?;
        Ok(created)
    }

    /// Makes group `name` of the caller's account; its id.
    pub async fn create_group(&self, caller: &Caller, name: &str) -> Result<i64> {
        caller.authorize_guarded(Guard::People, "groups", Operation::Create)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("/name", "can't be blank"));
        }
        let mut tx = self.store.begin().await?;
        let Some(id) = tx.create_group(caller.scope, name).await? else {
            return Err(Error::invalid("/name", "is already the name of a group"));
        };
        let entry = people_entry(Action::Create, "Group", id, name.to_string());
        activity::record(&mut tx, caller.scope, &caller.actor, &[entry], now());
        tx.commit().await?;
        Ok(id)
    }

    /// Adds user `user` to group `group` (or with `member = false` takes
    /// them out); whether anything changed.
    pub async fn set_group_member(
        &self,
        caller: &Caller,
        group: i64,
        user: i64,
        member: bool,
    ) -> Result<bool> {
        caller.authorize_guarded(Guard::People, "groups", Operation::Edit)?;
        let mut tx = self.store.begin().await?;
        let changed = tx
            .set_group_member(caller.scope, group, user, member)
            .await?;
        if changed {
            let what = if member { "added" } else { "taken out" };
            let entry = people_entry(
                Action::Update,
                "Group",
                group,
                format!("user {user} {what}"),
            );
            activity::record(&mut tx, caller.scope, &caller.actor, &[entry], now());
        }
        tx.commit().await?;
        Ok(changed)
    }
}

/// A change of one user.
#[derive(Clone, Copy)]
enum UserChange {
    Role(Role),
    Disabled(bool),
}

/// The caller's account, as the store's people functions take it.
fn account_of(caller: &Caller) -> AccountSummary {
    AccountSummary {
        id: caller.scope.account_id(),
        name: String::new(),
    }
}

fn now() -> i64 {
    crate::clock::now_millis()
}

fn people_entry(action: Action, class: &'static str, id: i64, name: String) -> Entry {
    Entry {
        action,
        resource_type: class,
        resource_id: Some(id),
        resource_name: Some(name),
        organization_id: None,
    }
}
