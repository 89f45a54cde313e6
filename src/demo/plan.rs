//! What the generator hands the loader: each record as an API client would
//! send it (catalog ids resolved, references inside an organization as
//! indexes). Everything the API derives on write (names, primary email,
//! formatted phones, primary interfaces, cleaned content, expirations) is
//! left to the functions the hooks use, which the loader calls.

use std::collections::HashMap;

/// The account's catalog rows and the global reference rows, by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Organization types by name.
    pub organization_types: HashMap<String, i64>,
    /// Organization statuses by name.
    pub organization_statuses: HashMap<String, i64>,
    /// Configuration types by name.
    pub configuration_types: HashMap<String, i64>,
    /// Configuration statuses by name.
    pub configuration_statuses: HashMap<String, i64>,
    /// Contact types by name.
    pub contact_types: HashMap<String, i64>,
    /// Countries by ISO code.
    pub countries: HashMap<String, i64>,
    /// Regions by (country ISO code, region ISO code).
    pub regions: HashMap<(String, String), i64>,
    /// Operating systems by name.
    pub operating_systems: HashMap<String, i64>,
}

/// A manufacturer and the models the sample data uses.
#[derive(Debug, Clone)]
pub struct ManufacturerPlan {
    /// Manufacturer name.
    pub name: String,
    /// Model names.
    pub models: Vec<String>,
}

/// One top-level organization and everything it owns.
#[derive(Debug, Clone, Default)]
pub struct OrganizationPlan {
    /// Name.
    pub name: String,
    /// Short name.
    pub short_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Quick notes.
    pub quick_notes: Option<String>,
    /// Alert.
    pub alert: Option<String>,
    /// Organization type.
    pub organization_type_id: Option<i64>,
    /// Organization status.
    pub organization_status_id: Option<i64>,
    /// Sites.
    pub locations: Vec<LocationPlan>,
    /// People.
    pub contacts: Vec<ContactPlan>,
    /// Devices.
    pub configurations: Vec<ConfigurationPlan>,
    /// Domains.
    pub domains: Vec<DomainPlan>,
    /// Documents.
    pub documents: Vec<DocumentPlan>,
    /// Related items from configurations.
    pub related_items: Vec<RelatedPlan>,
    /// Flexible assets of the sample types.
    pub flexible_assets: Vec<AssetPlan>,
}

/// A location.
#[derive(Debug, Clone, Default)]
pub struct LocationPlan {
    /// Name.
    pub name: String,
    /// Whether it is the organization's primary location (one per organization).
    pub primary: bool,
    /// Street address.
    pub address_1: Option<String>,
    /// Second address line.
    pub address_2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Region (reference row).
    pub region_id: Option<i64>,
    /// Country (reference row).
    pub country_id: Option<i64>,
    /// Phone number as written.
    pub phone: Option<String>,
}

/// A contact.
#[derive(Debug, Clone, Default)]
pub struct ContactPlan {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Job title.
    pub title: Option<String>,
    /// Contact type.
    pub contact_type_id: Option<i64>,
    /// Index into the organization's locations.
    pub location: Option<usize>,
    /// Important flag.
    pub important: bool,
    /// `contact-emails` as a client sends it (JSON).
    pub emails_json: String,
    /// `contact-phones` as a client sends it (JSON).
    pub phones_json: String,
}

/// A configuration and its interfaces; its own addresses come from its
/// primary interface.
#[derive(Debug, Clone, Default)]
pub struct ConfigurationPlan {
    /// Name.
    pub name: String,
    /// Hostname.
    pub hostname: Option<String>,
    /// Default gateway.
    pub default_gateway: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Asset tag.
    pub asset_tag: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Warranty end, `YYYY-MM-DD`.
    pub warranty_expires_at: Option<String>,
    /// Installation date, `YYYY-MM-DD`.
    pub installed_at: Option<String>,
    /// Purchase date, `YYYY-MM-DD`.
    pub purchased_at: Option<String>,
    /// Configuration type.
    pub configuration_type_id: Option<i64>,
    /// Configuration status.
    pub configuration_status_id: Option<i64>,
    /// Manufacturer.
    pub manufacturer_id: Option<i64>,
    /// Model.
    pub model_id: Option<i64>,
    /// Operating system (reference row).
    pub operating_system_id: Option<i64>,
    /// Index into the organization's locations.
    pub location: Option<usize>,
    /// Index into the organization's contacts.
    pub contact: Option<usize>,
    /// Interfaces, as sent inline with the configuration.
    pub interfaces: Vec<InterfacePlan>,
}

/// A configuration interface.
#[derive(Debug, Clone, Default)]
pub struct InterfacePlan {
    /// Name.
    pub name: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// MAC address.
    pub mac_address: Option<String>,
    /// Marked primary.
    pub primary: bool,
}

/// A domain.
#[derive(Debug, Clone, Default)]
pub struct DomainPlan {
    /// Name.
    pub name: String,
    /// Registrar.
    pub registrar_name: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Expiry (epoch ms).
    pub expires_on: Option<i64>,
}

/// A document.
#[derive(Debug, Clone, Default)]
pub struct DocumentPlan {
    /// Name.
    pub name: String,
    /// HTML content, as written.
    pub content: String,
}

/// The destination of a related item from a configuration.
#[derive(Debug, Clone, Copy)]
pub enum RelatedTarget {
    /// Index into the organization's contacts.
    Contact(usize),
    /// Index into the organization's locations.
    Location(usize),
}

/// A related item from a configuration.
#[derive(Debug, Clone)]
pub struct RelatedPlan {
    /// Index into the organization's configurations.
    pub configuration: usize,
    /// What it points to.
    pub target: RelatedTarget,
    /// Notes.
    pub notes: Option<String>,
}

/// A flexible asset of one of the sample types, its traits as a client
/// sends them except for links, which name records of the organization by
/// index until the loader knows their ids.
#[derive(Debug, Clone)]
pub struct AssetPlan {
    /// The sample type's name.
    pub type_name: &'static str,
    /// Trait values by `name-key`.
    pub traits: Vec<(&'static str, TraitPlan)>,
}

/// One trait value of a planned asset.
#[derive(Debug, Clone)]
pub enum TraitPlan {
    /// A value sent as it is (text, number, date, checkbox, password,
    /// upload).
    Value(serde_json::Value),
    /// Indexes into the organization's configurations.
    Configurations(Vec<usize>),
    /// Indexes into the organization's contacts.
    Contacts(Vec<usize>),
    /// Indexes into the organization's locations.
    Locations(Vec<usize>),
}
