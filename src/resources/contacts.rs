//! `contacts` (seed section "Contacts"): people at a client, with typed
//! email addresses and phone numbers.
//!
//! `contact-emails` and `contact-phones` are arrays of typed entries kept as
//! JSON; a write that sends one replaces the whole list. At most one entry of
//! each is primary (the first, when none is marked), and the primary email is
//! kept in its own column for `filter[primary_email]`. `name` is kept as
//! "first last" for sorting and for the names other records show.

use serde_json::{json, Map, Value};

use super::owned::{
    self, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL, RESTRICTED,
};
use super::{
    BoxFuture, Carries, ColumnType, Field, Hooks, Include, IncludeTarget, Join, Ops, Resource,
    Sort, WriteContext,
};
use crate::error::{Error, Invalid, Result};
use crate::names::parse_bool;
use crate::store::{Arg, Cell, Record, Values};

/// `contacts`, also under `/organizations/:id/relationships/contacts`.
pub static CONTACTS: Resource = Resource {
    json_type: "contacts",
    route: "contacts",
    table: "contacts",
    class: "Contact",
    search: Some(&super::Search {
        code: 3,
        title: &["name"],
        body: &["title", "contact_emails", "contact_phones", "notes"],
    }),
    organization_column: Some("organization_id"),
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        RESOURCE_URL,
        Field::computed("name", "t.name", ColumnType::Text),
        column!("first_name", Text),
        column!("last_name", Text),
        column!("title", Text),
        column!("contact_type_id", Int).references("contact_types"),
        Field::computed("contact_type_name", "ct.name", ColumnType::Text),
        column!("location_id", Int).references("locations"),
        Field::computed("location_name", "l.name", ColumnType::Text),
        column!("important", Bool).not_null(),
        column!("notes", Text).long_text(),
        RESTRICTED,
        column!("contact_emails", Json).not_null(),
        column!("contact_phones", Json).not_null(),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[
        ORGANIZATION_JOIN,
        Join {
            alias: "ct",
            sql: "LEFT JOIN contact_types ct ON ct.id = t.contact_type_id",
        },
        Join {
            alias: "l",
            sql: "LEFT JOIN locations l ON l.id = t.location_id",
        },
    ],
    filters: &[
        filter!("id", Int),
        filter!("first_name", Text),
        filter!("last_name", Text),
        filter!("title", Text),
        filter!("contact_type_id", Int),
        filter!("important", Bool),
        filter!("primary_email", Text),
        filter!("organization_id", Int),
        owned::PSA_ID,
        owned::PSA_INTEGRATION_TYPE,
    ],
    sorts: &[
        Sort::on("first_name", "t.first_name"),
        Sort::on("last_name", "t.last_name"),
    ],
    includes: &[
        owned::unmodelled("adapters_resources", false),
        Include {
            name: "location",
            target: IncludeTarget::BelongsTo {
                resource: &super::locations::LOCATIONS,
                field: "location_id",
            },
            show_only: false,
        },
        owned::PASSWORDS,
        owned::ATTACHMENTS,
        owned::unmodelled("tickets", false),
        owned::unmodelled("distinct_remote_contacts", false),
        owned::unmodelled("resource_fields", false),
        owned::unmodelled("user_resource_accesses", false),
        owned::unmodelled("group_resource_accesses", false),
        owned::unmodelled("recent_versions", true),
        owned::RELATED_ITEMS,
        owned::unmodelled("authorized_users", true),
    ],
    under: &[owned::UNDER_ORGANIZATION],
    ops: Ops {
        delete: false,
        ..Ops::ALL
    },
    carries: Carries::EVERYTHING,
    hooks: &ContactHooks,
    ..Resource::BASE
};

/// Email and phone lists, the primary email column and the full name.
pub struct ContactHooks;

/// Whether `value` looks like a deliverable address: one `@`, a local part,
/// a dotted domain, no spaces.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && value.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Strips a phone number or extension of separators, keeping a leading `+`.
pub fn strip_phone(value: &str) -> String {
    let trimmed = value.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if trimmed.starts_with('+') {
        format!("+{digits}")
    } else {
        digits
    }
}

/// `(415) 555-2156` for North American numbers; other numbers as stored.
pub fn format_phone(digits: &str) -> String {
    let national = digits
        .strip_prefix("+1")
        .or_else(|| digits.strip_prefix('1').filter(|d| d.len() == 10))
        .unwrap_or(digits);
    if national.len() == 10 && national.chars().all(|c| c.is_ascii_digit()) {
        format!(
            "({}) {}-{}",
            &national[..3],
            &national[3..6],
            &national[6..]
        )
    } else {
        digits.to_string()
    }
}

fn text(entry: &Map<String, Value>, key: &str) -> Option<String> {
    match entry.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(entry: &Map<String, Value>, key: &str) -> bool {
    match entry.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => parse_bool(s).unwrap_or(false),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// Checks a list sent as `contact-emails` or `contact-phones` and renders it
/// as stored: dashed keys, one primary.
fn typed_list(
    value: Option<&Arg>,
    pointer: &str,
    phones: bool,
    problems: &mut Vec<Invalid>,
) -> Option<Vec<Value>> {
    let Arg::Text(Some(json)) = value? else {
        return None;
    };
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(json) else {
        problems.push(Invalid::new(pointer, "must be an array of entries"));
        return None;
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("{pointer}/{i}");
        let Value::Object(entry) = entry else {
            problems.push(Invalid::new(at, "must be an object"));
            continue;
        };
        let value = text(entry, "value");
        let label = text(entry, "label_name");
        if label.is_none() {
            problems.push(Invalid::new(format!("{at}/label-name"), "is required"));
        }
        let primary = flag(entry, "primary");
        match (value, phones) {
            (None, _) => problems.push(Invalid::new(format!("{at}/value"), "is required")),
            (Some(email), false) => {
                if is_email(&email) {
                    out.push(json!({"value": email, "label-name": label, "primary": primary}));
                } else {
                    problems.push(Invalid::new(
                        format!("{at}/value"),
                        format!("{email:?} is not a valid email address"),
                    ));
                }
            }
            (Some(number), true) => {
                let digits = strip_phone(&number);
                if digits.trim_start_matches('+').is_empty() {
                    problems.push(Invalid::new(
                        format!("{at}/value"),
                        format!("{number:?} has no digits"),
                    ));
                    continue;
                }
                let extension = text(entry, "extension")
                    .map(|e| strip_phone(&e))
                    .filter(|e| !e.is_empty());
                let label_type = text(entry, "label_type").unwrap_or_else(|| "phone".into());
                out.push(json!({
                    "value": digits,
                    "extension": extension,
                    "label-name": label,
                    "label-type": label_type,
                    "primary": primary,
                    "formatted-value": format_phone(&digits),
                }));
            }
        }
    }
    let first_primary = out
        .iter()
        .position(|e| e["primary"] == json!(true))
        .unwrap_or(0);
    for (i, entry) in out.iter_mut().enumerate() {
        entry["primary"] = json!(i == first_primary);
    }
    Some(out)
}

/// A contact's `name`: "first last", trimmed.
pub fn full_name(first: Option<&str>, last: Option<&str>) -> String {
    format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default())
        .trim()
        .to_string()
}

/// Completes a contact's column values as they are stored: checks
/// `contact_emails` and `contact_phones` when given and renders them (dashed
/// keys, one primary entry, phones as digits with a formatted twin), keeps
/// the primary email in `primary_email`, and sets `name` from `first_name`
/// and `last_name` when the contact is new (`id` is `None`) or either is
/// written, taking a half that is not written from `stored`, the current
/// record. Every problem is reported against `pointer`.
pub fn complete(
    values: &mut Values,
    pointer: &str,
    id: Option<i64>,
    stored: Option<&Record>,
) -> Result<()> {
    let mut problems = Vec::new();
    let emails = typed_list(
        values.get("contact_emails"),
        &format!("{pointer}/contact-emails"),
        false,
        &mut problems,
    );
    let phones = typed_list(
        values.get("contact_phones"),
        &format!("{pointer}/contact-phones"),
        true,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    if let Some(emails) = emails {
        let primary = emails
            .iter()
            .find(|e| e["primary"] == json!(true))
            .and_then(|e| e["value"].as_str())
            .map(str::to_string);
        values.set(
            "contact_emails",
            Arg::from(Value::Array(emails).to_string()),
        );
        values.set("primary_email", Arg::from(primary));
    }
    if let Some(phones) = phones {
        values.set(
            "contact_phones",
            Arg::from(Value::Array(phones).to_string()),
        );
    }
    let (first, last) = (
        given_name(values, "first_name"),
        given_name(values, "last_name"),
    );
    if id.is_none() || first.is_some() || last.is_some() {
        let stored = |name: &str| {
            stored
                .and_then(|c| CONTACTS.cell(c, name))
                .and_then(Cell::as_str)
                .map(str::to_string)
        };
        let first = first.unwrap_or_else(|| stored("first_name"));
        let last = last.unwrap_or_else(|| stored("last_name"));
        values.set(
            "name",
            Arg::from(full_name(first.as_deref(), last.as_deref())),
        );
    }
    Ok(())
}

/// The value written to a name column, if it is written.
fn given_name(values: &Values, column: &str) -> Option<Option<String>> {
    match values.get(column) {
        Some(Arg::Text(value)) => Some(value.clone()),
        _ => None,
    }
}

impl Hooks for ContactHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            // An update that writes one half of the name takes the other
            // from the stored record.
            let halves = [
                given_name(ctx.values, "first_name"),
                given_name(ctx.values, "last_name"),
            ];
            let stored = match ctx.id {
                Some(id) if halves.iter().filter(|h| h.is_some()).count() == 1 => ctx
                    .nested
                    .find(&CONTACTS, vec![("id", Arg::from(id))])
                    .await?
                    .pop(),
                _ => None,
            };
            complete(ctx.values, ctx.pointer, ctx.id, stored.as_ref())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(is_email("rob@happyfrog.com"));
        assert!(!is_email("rob@localhost"));
        assert!(!is_email("rob happy@frog.com"));
        assert!(!is_email("@frog.com"));
        assert!(!is_email("rob@@frog.com"));
    }

    #[test]
    fn phones_are_stripped_and_formatted() {
        assert_eq!(strip_phone("(415) 555-2156"), "4155552156");
        assert_eq!(format_phone("4155552156"), "(415) 555-2156");
        assert_eq!(format_phone("+14155552156"), "(415) 555-2156");
        assert_eq!(strip_phone("+44 20 7946 0958"), "+442079460958");
        assert_eq!(format_phone("+442079460958"), "+442079460958");
    }
}
