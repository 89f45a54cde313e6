//! `logs`: the account's activity log, read-only (seed section "Logs").
//! The last 30 days only, pages 1 to 5; older entries are reached with
//! `filter[created_at]` and a `created_at` sort, as the reference says.

use super::{ColumnType, Field, Filter, Ops, Resource, Sort};

/// `logs`.
pub static LOGS: Resource = Resource {
    json_type: "logs",
    route: "logs",
    table: "activity_log",
    class: "Log",
    title_field: "resource_name",
    fields: &[
        Field::created_at(),
        Field::computed("level", "t.level", ColumnType::Int),
        Field::computed("account_id", "t.account_id", ColumnType::Int),
        Field::computed("user_id", "t.user_id", ColumnType::Int),
        Field::computed("api_key_id", "t.api_key_id", ColumnType::Int),
        Field::computed("organization_id", "t.organization_id", ColumnType::Int),
        Field::computed("action", "t.action", ColumnType::Text),
        Field::computed("resource_type", "t.resource_type", ColumnType::Text),
        Field::computed("resource_id", "t.resource_id", ColumnType::Int),
        Field::computed("resource_name", "t.resource_name", ColumnType::Text),
        Field::computed("ip_address", "t.ip_address", ColumnType::Text),
        Field::computed("ip_city", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::computed("ip_region", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::computed("ip_country", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::computed("user_agent", "t.user_agent", ColumnType::Text),
    ],
    filters: &[
        Filter::date_range("created_at", "t.created_at"),
        filter!("resource_type", Text),
        filter!("resource_id", Int),
        filter!("action", Text),
        filter!("organization_id", Int),
        // Mortar's own: whose activity (the web interface's activity page).
        filter!("user_id", Int),
    ],
    sorts: &[
        Sort::on("created_at", "t.created_at").never_null(),
        Sort::on("name", "t.resource_name"),
    ],
    ops: Ops {
        show: false,
        ..Ops::READ_ONLY
    },
    window_days: Some(30),
    max_page: Some(5),
    ..Resource::BASE
};
