//! The API test suite: one binary, a real server per test, SQLite and PostgreSQL.

mod helpers;

mod attachments;
mod backup;
mod cascade;
mod catalog;
mod cli;
mod concurrency;
mod conditional;
mod configurations;
mod conformance;
mod contacts;
mod conventions;
mod demo;
mod documents;
mod domains;
mod engine;
mod flexible_asset_types;
mod flexible_assets;
mod health;
mod hostile;
mod idempotency;
mod indexes;
mod jobs;
mod locations;
mod logs;
mod operators;
mod organizations;
mod performance;
mod records;
mod reference;
mod related_items;
mod schema;
mod stalls;
mod tenancy;
mod vault;
