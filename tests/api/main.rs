//! The API test suite: one binary, a real server per test, SQLite and PostgreSQL.

mod helpers;

mod catalog;
mod cli;
mod conventions;
mod demo;
mod logs;
mod organizations;
mod performance;
mod reference;
mod schema;
mod tenancy;
mod vault;
