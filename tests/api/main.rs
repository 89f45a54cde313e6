//! The API test suite: one binary, a real server per test, SQLite and PostgreSQL.

mod helpers;

mod catalog;
mod cli;
mod configurations;
mod contacts;
mod conventions;
mod locations;
mod logs;
mod organizations;
mod reference;
mod schema;
mod tenancy;
mod vault;
