//! The account's people: its users (their role, whether they may sign in,
//! their second factor) and groups (their members). Administrators add
//! users, change roles, disable and enable users, make groups and change
//! their members, each through the engine, which checks the role table
//! and logs the change; Managers see the page without its controls.

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::{engine_error, error_page, page, respond, Signed};
use crate::roles::{Guard, Operation, Role};
use crate::store::NewUser;

/// What the page shows besides the lists: a user just made (with their
/// one-time password), or the problems of a form that was refused.
#[derive(Default)]
struct Outcome {
    created: Option<(String, String)>,
    problems: Vec<String>,
}

/// `GET /ui/settings/people`.
pub async fn overview(signed: Signed, RawQuery(raw): RawQuery) -> Response {
    let flash = super::pages::flash_of(raw.as_deref());
    render(&signed, Outcome::default(), flash, StatusCode::OK).await
}

async fn render(
    signed: &Signed,
    outcome: Outcome,
    flash: Option<&str>,
    status: StatusCode,
) -> Response {
    if let Err(e) =
        signed
            .caller()
            .authorize_guarded(Guard::Settings, "account settings", Operation::Edit)
    {
        return engine_error(signed, e);
    }
    let store = signed.state.engine.store();
    let scope = signed.session.user.scope;
    let users = match store.list_users(Some(scope)).await {
        Ok(users) => users,
        Err(e) => return engine_error(signed, crate::error::Error::Internal(e)),
    };
    let groups = match store.account_groups(scope).await {
        Ok(groups) => groups,
        Err(e) => return engine_error(signed, e),
    };
    let administrator = signed.session.user.role == Role::Administrator;
    let me = signed.session.user.id;
    let csrf = &signed.session.csrf_token;
    let name_of = |id: i64| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("user {id}"), |u| u.name.clone())
    };
    let body = html! {
        h1 { "Users and groups" }
        @if let Some((email, password)) = &outcome.created {
            section.card role="status" {
                h2 { "User added" }
                p { (email) " signs in with this one-time password, shown only now: "
                    span.secret #new-password { (password) } " "
                    button.secondary type="button" data-copy="new-password" { "Copy" } }
                p.muted { "Give it to them by a safe channel. It is not shown again; if it is lost, add a new one with `mortar users reset-password`." }
            }
        }
        @if !outcome.problems.is_empty() {
            div.error role="alert" { p { "Nothing was changed:" } ul { @for p in &outcome.problems { li { (p) } } } }
        }
        h2 { "Users" }
        table #users {
            thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "State" } @if administrator { th { "" } } } }
            tbody {
                @for user in &users {
                    tr {
                        td { (user.name) }
                        td { (user.email) }
                        td {
                            @if administrator && user.id != me {
                                form.inline method="post" action=(format!("/ui/settings/users/{}/role", user.id)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    label.visually-hidden for=(format!("role-{}", user.id)) { "Role of " (user.name) }
                                    select #(format!("role-{}", user.id)) name="role" {
                                        @for role in Role::ALL {
                                            option value=(role.name()) selected[role.name() == user.role] { (role.name()) }
                                        }
                                    }
                                    " " button.secondary type="submit" { "Save role" }
                                }
                            } @else {
                                (user.role)
                            }
                        }
                        td { @if user.disabled_at.is_some() { "Disabled" } @else { "Active" } }
                        @if administrator {
                            td {
                                @if user.id != me {
                                    form.inline method="post" action=(format!("/ui/settings/users/{}/disable", user.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        @if user.disabled_at.is_some() {
                                            input type="hidden" name="disabled" value="false";
                                            button.secondary type="submit" { "Enable" }
                                        } @else {
                                            input type="hidden" name="disabled" value="true";
                                            button.danger type="submit" { "Disable" }
                                        }
                                    }
                                } @else {
                                    span.muted { "You" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if administrator {
            h3 { "Add a user" }
            form.filters method="post" action="/ui/settings/users" {
                input type="hidden" name="csrf" value=(csrf);
                label { "Email" input type="email" name="email" required autocomplete="off"; }
                label { "First name" input name="first_name" required; }
                label { "Last name" input name="last_name" required; }
                label { "Role"
                    select name="role" {
                        @for role in Role::ALL {
                            option value=(role.name()) selected[role == Role::ReadOnly] { (role.name()) }
                        }
                    }
                }
                button type="submit" { "Add user" }
            }
        } @else {
            p.hint { "An Administrator adds users and changes their roles." }
        }
        h2 { "Groups" }
        @if groups.is_empty() {
            p.empty { "No groups yet." @if administrator { " Make one below, then add its members." } }
        }
        @for (group, name, members) in &groups {
            section.card aria-label=(format!("Group {name}")) {
                h3 { (name) }
                @if members.is_empty() {
                    p.muted { "No members." }
                } @else {
                    ul.members {
                        @for member in members {
                            li {
                                (name_of(*member))
                                @if administrator {
                                    " "
                                    form.inline method="post" action=(format!("/ui/settings/groups/{group}/members")) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="user" value=(member);
                                        input type="hidden" name="member" value="false";
                                        button.link type="submit" { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
                @if administrator {
                    form.filters method="post" action=(format!("/ui/settings/groups/{group}/members")) {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="member" value="true";
                        label { "Add member"
                            select name="user" {
                                @for user in users.iter().filter(|u| !members.contains(&u.id)) {
                                    option value=(user.id) { (user.name) " (" (user.email) ")" }
                                }
                            }
                        }
                        button.secondary type="submit" { "Add" }
                    }
                }
            }
        }
        @if administrator {
            form.filters method="post" action="/ui/settings/groups" {
                input type="hidden" name="csrf" value=(csrf);
                label { "New group" input name="name" required placeholder="e.g. Network team"; }
                button type="submit" { "Create group" }
            }
            p.hint { "Organizations are given to groups with `mortar groups add --organization`." }
        }
    };
    respond(
        status,
        page(
            signed,
            "Users and groups",
            &[
                ("Settings".into(), Some("/ui/settings".into())),
                ("Users and groups".into(), None),
            ],
            flash,
            body,
        ),
    )
}

/// After a change: the page again, or the refusal with what was wrong.
async fn after(signed: &Signed, done: crate::error::Result<()>) -> Response {
    match done {
        Ok(()) => Redirect::to("/ui/settings/people?done=saved").into_response(),
        Err(crate::error::Error::Invalid(problems)) => {
            let outcome = Outcome {
                problems: problems
                    .into_iter()
                    .map(|p| {
                        format!(
                            "{} {}",
                            p.pointer.trim_start_matches('/').replace('-', " "),
                            p.detail
                        )
                    })
                    .collect(),
                ..Outcome::default()
            };
            render(signed, outcome, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => engine_error(signed, e),
    }
}

fn no_such(signed: &Signed) -> Response {
    error_page(
        Some(signed),
        StatusCode::NOT_FOUND,
        "There is no such user or group.",
    )
}

/// The role a form names, or its problem.
fn role_of(text: &str) -> crate::error::Result<Role> {
    text.parse::<Role>()
        .map_err(|_| crate::error::Error::invalid("/role", "must be one of the roles listed"))
}

/// The add-user form.
#[derive(Deserialize)]
pub struct UserForm {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    role: String,
}

/// `POST /ui/settings/users`: a new user with a one-time password, shown once.
pub async fn create_user(signed: Signed, Form(form): Form<UserForm>) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    let role = match role_of(&form.role) {
        Ok(role) => role,
        Err(e) => return after(&signed, Err(e)).await,
    };
    let new = NewUser {
        email: form.email.trim(),
        first_name: form.first_name.trim(),
        last_name: form.last_name.trim(),
        role,
    };
    match signed
        .state
        .engine
        .create_user(&signed.caller(), &new)
        .await
    {
        Ok(created) => {
            let outcome = Outcome {
                created: Some((
                    new.email.to_string(),
                    created.generated_password.unwrap_or_default(),
                )),
                ..Outcome::default()
            };
            render(&signed, outcome, None, StatusCode::OK).await
        }
        Err(e) => after(&signed, Err(e)).await,
    }
}

/// The role form.
#[derive(Deserialize)]
pub struct RoleForm {
    csrf: Option<String>,
    #[serde(default)]
    role: String,
}

/// `POST /ui/settings/users/:id/role`.
pub async fn set_role(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return no_such(&signed);
    };
    let role = match role_of(&form.role) {
        Ok(role) => role,
        Err(e) => return after(&signed, Err(e)).await,
    };
    let done = signed
        .state
        .engine
        .set_user_role(&signed.caller(), id, role)
        .await;
    after(&signed, done).await
}

/// The disable form.
#[derive(Deserialize)]
pub struct DisableForm {
    csrf: Option<String>,
    #[serde(default)]
    disabled: String,
}

/// `POST /ui/settings/users/:id/disable`.
pub async fn set_disabled(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DisableForm>,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return no_such(&signed);
    };
    let done = signed
        .state
        .engine
        .set_user_disabled(&signed.caller(), id, form.disabled == "true")
        .await;
    after(&signed, done).await
}

/// The new-group form.
#[derive(Deserialize)]
pub struct GroupForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
}

/// `POST /ui/settings/groups`.
pub async fn create_group(signed: Signed, Form(form): Form<GroupForm>) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    let done = signed
        .state
        .engine
        .create_group(&signed.caller(), &form.name)
        .await;
    after(&signed, done.map(|_| ())).await
}

/// The membership form.
#[derive(Deserialize)]
pub struct MemberForm {
    csrf: Option<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    member: String,
}

/// `POST /ui/settings/groups/:id/members`: adds or takes out a member.
pub async fn set_member(
    signed: Signed,
    Path(group): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    let (Ok(group), Ok(user)) = (group.parse::<i64>(), form.user.parse::<i64>()) else {
        return no_such(&signed);
    };
    let done = signed
        .state
        .engine
        .set_group_member(&signed.caller(), group, user, form.member == "true")
        .await;
    match done {
        Ok(true) => after(&signed, Ok(())).await,
        Ok(false) => error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "Nothing changed: that user or group is not in this account, or the membership was already so.",
        ),
        Err(e) => after(&signed, Err(e)).await,
    }
}
