//! The API test suite: one binary, a real server per test, SQLite and PostgreSQL.

mod helpers;

mod attachments;
mod cascade;
mod catalog;
mod cli;
mod concurrency;
mod configurations;
mod contacts;
mod conventions;
mod demo;
mod documents;
mod domains;
mod indexes;
mod locations;
mod logs;
mod organizations;
mod performance;
mod reference;
mod related_items;
mod schema;
mod tenancy;
mod vault;
