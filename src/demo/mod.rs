//! `mortar demo`: realistic sample data for a new installation or a benchmark.
//!
//! The generator ([`generate`]) turns a seed and sizes into plans, records
//! as a client would send them; the loader ([`load`]) completes each with
//! the same functions the API's hooks call and writes it in bulk, one
//! organization per transaction, with no activity-log entries. Flexible
//! assets ([`flexible`]) are written through the engine instead, one
//! create per organization, as a client's requests would be.

mod flexible;
mod generate;
mod load;
pub mod plan;

use std::time::Instant;

use anyhow::Context as _;

use crate::engine::Engine;
use crate::store::{AccountSummary, Scope};

/// How much sample data to make.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Organizations to add.
    pub organizations: u32,
    /// Configurations per organization.
    pub configurations_per_organization: u32,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
}

/// How many rows were written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    /// Organizations.
    pub organizations: u64,
    /// Locations.
    pub locations: u64,
    /// Contacts.
    pub contacts: u64,
    /// Configurations.
    pub configurations: u64,
    /// Configuration interfaces.
    pub interfaces: u64,
    /// Domains.
    pub domains: u64,
    /// Documents.
    pub documents: u64,
    /// Related items.
    pub related_items: u64,
    /// Expirations (without those of flexible assets).
    pub expirations: u64,
    /// Flexible assets.
    pub flexible_assets: u64,
}

impl std::ops::AddAssign for DemoCounts {
    fn add_assign(&mut self, o: DemoCounts) {
        self.organizations += o.organizations;
        self.locations += o.locations;
        self.contacts += o.contacts;
        self.configurations += o.configurations;
        self.interfaces += o.interfaces;
        self.domains += o.domains;
        self.documents += o.documents;
        self.related_items += o.related_items;
        self.expirations += o.expirations;
        self.flexible_assets += o.flexible_assets;
    }
}

/// Fills `account` with sample data, printing progress and a final summary
/// line (counts and elapsed seconds) to stdout.
pub async fn load(
    engine: &Engine,
    account: &AccountSummary,
    options: DemoOptions,
) -> anyhow::Result<DemoCounts> {
    let started = Instant::now();
    let store = engine.store();
    let scope = Scope::new(account.id);
    let caller = flexible::caller(scope);
    let types = flexible::ensure_types(engine, &caller)
        .await
        .context("adding the sample flexible asset types")?;
    let catalog = load::catalog(store, scope)
        .await
        .context("reading the account's catalogs and the reference data")?;
    let models = load::manufacturers(store, scope, &generate::manufacturer_plans())
        .await
        .context("adding manufacturers and models")?;
    let generator = generate::Generator::new(&catalog, &models, options)?;
    println!(
        "Loading sample data into account {:?}: {} organizations x {} configurations",
        account.name, options.organizations, options.configurations_per_organization
    );
    let mut total = DemoCounts::default();
    let every = (options.organizations / 20).max(1);
    for index in 0..options.organizations {
        let mut plan = generator.organization(index);
        let name = plan.name.clone();
        let assets = std::mem::take(&mut plan.flexible_assets);
        let (mut counts, ids) = load::organization(store, scope, plan)
            .await
            .with_context(|| format!("writing sample organization {name:?}"))?;
        counts.flexible_assets = flexible::write(engine, &caller, &types, &ids, assets)
            .await
            .with_context(|| format!("writing the flexible assets of {name:?}"))?;
        total += counts;
        if (index + 1) % every == 0 || index + 1 == options.organizations {
            println!(
                "[{:>width$}/{}] {name}: {} configurations, {} interfaces, {} flexible assets ({:.1} s so far)",
                index + 1,
                options.organizations,
                counts.configurations,
                counts.interfaces,
                counts.flexible_assets,
                started.elapsed().as_secs_f64(),
                width = options.organizations.to_string().len(),
            );
        }
    }
    // The bulk load wrote rows without the engine: index them for search,
    // after refreshing the planner's statistics, without which SQLite reads
    // each batch of a thousand records through the account's index (a scan
    // of the whole account per batch) instead of by primary key.
    store
        .optimize()
        .await
        .context("refreshing the planner's statistics for the new rows")?;
    let indexing = Instant::now();
    let indexed = engine
        .index_account(scope)
        .await
        .context("indexing the sample records for search")?;
    println!(
        "Indexed {indexed} records for search in {:.1} s",
        indexing.elapsed().as_secs_f64()
    );
    store
        .optimize()
        .await
        .context("refreshing the planner's statistics for the new rows")?;
    println!(
        "Done in {:.1} s: {} organizations, {} locations, {} contacts, {} configurations, \
         {} interfaces, {} domains, {} documents, {} related items, {} expirations, \
         {} flexible assets.",
        started.elapsed().as_secs_f64(),
        total.organizations,
        total.locations,
        total.contacts,
        total.configurations,
        total.interfaces,
        total.domains,
        total.documents,
        total.related_items,
        total.expirations,
        total.flexible_assets,
    );
    Ok(total)
}
