//! The generator: seed, catalogs and sizes in, organization plans out.
//!
//! Everything comes from the seed (the same seed and sizes give the same
//! names, addresses, serials and links; dates are relative to today).
//! Records are planned as a client would send them; what the API derives
//! on write is left to the loader.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::plan::{
    Catalog, ConfigurationPlan, ContactPlan, DocumentPlan, DomainPlan, InterfacePlan, LocationPlan,
    ManufacturerPlan, OrganizationPlan, RelatedPlan, RelatedTarget,
};
use super::{flexible, DemoOptions};

/// A kind of device: its configuration type and the hardware it comes as.
struct DeviceKind {
    configuration_type: &'static str,
    /// Name tag (`ACME-WS-0001`).
    tag: &'static str,
    /// Relative frequency.
    weight: u32,
    hardware: &'static [Hardware],
    /// Primary interface name.
    interface: &'static str,
    /// A second interface, and how often (percent).
    second: Option<(&'static str, u32)>,
    /// Years of warranty from purchase (none for virtual machines).
    warranty_years: Option<i64>,
    /// Whether it is someone's device (gets a contact).
    personal: bool,
    notes: &'static [&'static str],
}

/// A model: manufacturer, model, serial format, MAC prefix, operating systems.
struct Hardware {
    manufacturer: &'static str,
    model: &'static str,
    serial_prefix: &'static str,
    serial_len: usize,
    oui: &'static str,
    systems: &'static [&'static str],
}

const fn hw(
    manufacturer: &'static str,
    model: &'static str,
    serial_prefix: &'static str,
    serial_len: usize,
    oui: &'static str,
    systems: &'static [&'static str],
) -> Hardware {
    Hardware {
        manufacturer,
        model,
        serial_prefix,
        serial_len,
        oui,
        systems,
    }
}

const WINDOWS_DESKTOP: &[&str] = &[
    "Windows 11 23H2",
    "Windows 11 24H2",
    "Windows 11 24H2",
    "Windows 10 22H2",
];
const MAC_DESKTOP: &[&str] = &["macOS 14 Sonoma", "macOS 15 Sequoia"];
const SERVER_OS: &[&str] = &[
    "Windows Server 2022",
    "Windows Server 2022",
    "Windows Server 2019",
    "Windows Server 2025",
    "VMware ESXi 8.0",
];
const VM_OS: &[&str] = &[
    "Windows Server 2022",
    "Windows Server 2019",
    "Ubuntu 24.04 LTS",
    "Ubuntu 22.04 LTS",
    "Debian 12 Bookworm",
    "Rocky Linux 9",
];

const KINDS: &[DeviceKind] = &[
    DeviceKind {
        configuration_type: "Managed Workstation",
        tag: "WS",
        weight: 40,
        hardware: &[
            hw("Dell", "OptiPlex 7010", "", 7, "F8:BC:12", WINDOWS_DESKTOP),
            hw("Dell", "OptiPlex 7090", "", 7, "B0:7B:25", WINDOWS_DESKTOP),
            hw(
                "HP",
                "EliteDesk 800 G9",
                "4CE",
                7,
                "9C:7B:EF",
                WINDOWS_DESKTOP,
            ),
            hw(
                "Lenovo",
                "ThinkCentre M70q Gen 4",
                "MJ",
                6,
                "6C:4B:90",
                WINDOWS_DESKTOP,
            ),
            hw(
                "Apple",
                "iMac 24-inch (M3)",
                "",
                10,
                "A4:83:E7",
                MAC_DESKTOP,
            ),
        ],
        interface: "Ethernet",
        second: None,
        warranty_years: Some(3),
        personal: true,
        notes: &[],
    },
    DeviceKind {
        configuration_type: "Laptop",
        tag: "LT",
        weight: 25,
        hardware: &[
            hw("Dell", "Latitude 5440", "", 7, "D4:81:D7", WINDOWS_DESKTOP),
            hw(
                "HP",
                "EliteBook 840 G10",
                "5CG",
                7,
                "3C:52:82",
                WINDOWS_DESKTOP,
            ),
            hw(
                "Lenovo",
                "ThinkPad T14 Gen 4",
                "PF",
                6,
                "8C:16:45",
                WINDOWS_DESKTOP,
            ),
            hw(
                "Lenovo",
                "ThinkPad X1 Carbon Gen 11",
                "PF",
                6,
                "38:F3:AB",
                WINDOWS_DESKTOP,
            ),
            hw(
                "Apple",
                "MacBook Pro 14-inch (M3)",
                "",
                10,
                "F0:18:98",
                MAC_DESKTOP,
            ),
        ],
        interface: "Wi-Fi",
        second: Some(("Ethernet (dock)", 30)),
        warranty_years: Some(3),
        personal: true,
        notes: &[],
    },
    DeviceKind {
        configuration_type: "Managed Server",
        tag: "SRV",
        weight: 4,
        hardware: &[
            hw("Dell", "PowerEdge R750", "", 7, "B0:26:28", SERVER_OS),
            hw("Dell", "PowerEdge T550", "", 7, "D0:8E:79", SERVER_OS),
            hw("HP", "ProLiant DL380 Gen11", "CZ", 8, "94:40:C9", SERVER_OS),
            hw(
                "Lenovo",
                "ThinkSystem SR650 V3",
                "J",
                7,
                "7C:D3:0A",
                SERVER_OS,
            ),
        ],
        interface: "NIC1",
        second: Some(("Management (iDRAC/iLO)", 80)),
        warranty_years: Some(5),
        personal: false,
        notes: &[
            "Role: domain controller, DNS, DHCP.",
            "Role: file server; shares mapped by group policy.",
            "Role: SQL Server for the line-of-business application.",
            "Role: Hyper-V host for the application VMs.",
            "Role: backup repository; 30 days of restore points.",
        ],
    },
    DeviceKind {
        configuration_type: "Virtual Machine",
        tag: "VM",
        weight: 7,
        hardware: &[
            hw(
                "VMware",
                "VMware Virtual Platform",
                "VMware-42 ",
                16,
                "00:50:56",
                VM_OS,
            ),
            hw("Microsoft", "Virtual Machine", "", 12, "00:15:5D", VM_OS),
        ],
        interface: "Ethernet0",
        second: None,
        warranty_years: None,
        personal: false,
        notes: &[
            "Application server; vendor supports remotely.",
            "Remote Desktop Session Host.",
            "Print server.",
            "Monitoring collector.",
        ],
    },
    DeviceKind {
        configuration_type: "Switch",
        tag: "SW",
        weight: 5,
        hardware: &[
            hw(
                "Cisco",
                "Catalyst 9200L-24P-4G",
                "FOC",
                8,
                "70:B3:17",
                &["Cisco IOS XE 17"],
            ),
            hw(
                "Ubiquiti",
                "UniFi Switch Pro 24 PoE",
                "",
                12,
                "24:5A:4C",
                &["UniFi OS 4"],
            ),
            hw(
                "Meraki",
                "MS120-24P",
                "Q2HP-",
                9,
                "E0:55:3D",
                &["Cisco Meraki MS"],
            ),
            hw(
                "HP",
                "Aruba 2930F 24G",
                "CN",
                8,
                "88:3A:30",
                &["ArubaOS-Switch 16"],
            ),
        ],
        interface: "Vlan1",
        second: None,
        warranty_years: Some(5),
        personal: false,
        notes: &[],
    },
    DeviceKind {
        configuration_type: "Router",
        tag: "RTR",
        weight: 1,
        hardware: &[
            hw(
                "Cisco",
                "ISR 1111-8P",
                "FGL",
                8,
                "00:A3:8E",
                &["Cisco IOS XE 17"],
            ),
            hw(
                "Ubiquiti",
                "EdgeRouter 4",
                "",
                12,
                "74:83:C2",
                &["EdgeOS 2"],
            ),
        ],
        interface: "GigabitEthernet0/0/1",
        second: None,
        warranty_years: Some(3),
        personal: false,
        notes: &[],
    },
    DeviceKind {
        configuration_type: "Firewall",
        tag: "FW",
        weight: 1,
        hardware: &[
            hw(
                "Fortinet",
                "FortiGate 60F",
                "FGT60FTK",
                8,
                "04:D5:90",
                &["FortiOS 7.2", "FortiOS 7.4"],
            ),
            hw(
                "Fortinet",
                "FortiGate 100F",
                "FG100FTK",
                8,
                "E8:1C:BA",
                &["FortiOS 7.4"],
            ),
            hw(
                "Meraki",
                "MX68",
                "Q2KY-",
                9,
                "AC:17:C8",
                &["Cisco Meraki MX"],
            ),
        ],
        interface: "internal",
        second: Some(("wan1", 100)),
        warranty_years: Some(3),
        personal: false,
        notes: &["Licensed for UTM; renew with the warranty."],
    },
    DeviceKind {
        configuration_type: "Wireless Access Point",
        tag: "AP",
        weight: 6,
        hardware: &[
            hw(
                "Ubiquiti",
                "UniFi U6 Pro",
                "",
                12,
                "E4:38:83",
                &["UniFi OS 4"],
            ),
            hw(
                "Meraki",
                "MR46",
                "Q3AC-",
                9,
                "0C:8D:DB",
                &["Cisco Meraki MR"],
            ),
            hw(
                "Cisco",
                "Catalyst 9120AXI",
                "FJC",
                8,
                "F4:DB:E6",
                &["Cisco IOS XE 17"],
            ),
        ],
        interface: "eth0",
        second: None,
        warranty_years: Some(3),
        personal: false,
        notes: &[],
    },
    DeviceKind {
        configuration_type: "Printer",
        tag: "PRN",
        weight: 5,
        hardware: &[
            hw(
                "HP",
                "LaserJet Pro M404dn",
                "PHB",
                7,
                "A0:8C:FD",
                &["HP FutureSmart 5"],
            ),
            hw(
                "HP",
                "Color LaserJet Enterprise M555dn",
                "JPB",
                7,
                "EC:8E:B5",
                &["HP FutureSmart 6"],
            ),
            hw(
                "Brother",
                "HL-L6200DW",
                "U6",
                8,
                "30:05:5C",
                &["Brother Printer Firmware"],
            ),
        ],
        interface: "Ethernet",
        second: None,
        warranty_years: Some(1),
        personal: false,
        notes: &[],
    },
    DeviceKind {
        configuration_type: "UPS",
        tag: "UPS",
        weight: 2,
        hardware: &[
            hw(
                "APC",
                "Smart-UPS 1500 (SMT1500RM2U)",
                "AS",
                10,
                "00:C0:B7",
                &[],
            ),
            hw("Eaton", "5PX 1500", "G", 9, "00:20:85", &[]),
        ],
        interface: "Network Management Card",
        second: None,
        warranty_years: Some(3),
        personal: false,
        notes: &["Batteries due for replacement every 4 years."],
    },
    DeviceKind {
        configuration_type: "NAS",
        tag: "NAS",
        weight: 1,
        hardware: &[
            hw(
                "Synology",
                "DS923+",
                "2260",
                8,
                "90:09:D0",
                &["Synology DSM 7"],
            ),
            hw(
                "Synology",
                "RS1221+",
                "2140",
                8,
                "00:11:32",
                &["Synology DSM 7"],
            ),
        ],
        interface: "LAN 1",
        second: Some(("LAN 2", 50)),
        warranty_years: Some(3),
        personal: false,
        notes: &["Hyper Backup to the cloud nightly at 01:00."],
    },
    DeviceKind {
        configuration_type: "Mobile Device",
        tag: "MOB",
        weight: 3,
        hardware: &[
            hw(
                "Apple",
                "iPhone 15",
                "",
                10,
                "BC:D0:74",
                &["iOS 17", "iOS 18"],
            ),
            hw(
                "Samsung",
                "Galaxy S24",
                "R5C",
                8,
                "5C:E8:EB",
                &["Android 14", "Android 15"],
            ),
        ],
        interface: "Wi-Fi",
        second: None,
        warranty_years: Some(1),
        personal: true,
        notes: &[],
    },
];

/// The manufacturers and models the device kinds name.
pub(super) fn manufacturer_plans() -> Vec<ManufacturerPlan> {
    let mut out: Vec<ManufacturerPlan> = Vec::new();
    for kind in KINDS {
        for h in kind.hardware {
            match out.iter_mut().find(|p| p.name == h.manufacturer) {
                Some(plan) => {
                    if !plan.models.iter().any(|m| m == h.model) {
                        plan.models.push(h.model.to_string());
                    }
                }
                None => out.push(ManufacturerPlan {
                    name: h.manufacturer.to_string(),
                    models: vec![h.model.to_string()],
                }),
            }
        }
    }
    out
}

/// A city to put a site in: region ISO, city, postal code, phone prefix
/// (with country code) and streets.
struct City {
    region: &'static str,
    city: &'static str,
    postal_code: &'static str,
    phone: &'static str,
}

/// A country the sample clients are in.
struct Country {
    iso: &'static str,
    weight: u32,
    tld: &'static str,
    streets: &'static [&'static str],
    /// Whether the house number follows the street name.
    number_after: bool,
    cities: &'static [City],
}

const fn city(
    region: &'static str,
    city: &'static str,
    postal_code: &'static str,
    phone: &'static str,
) -> City {
    City {
        region,
        city,
        postal_code,
        phone,
    }
}

const COUNTRIES: &[Country] = &[
    Country {
        iso: "US",
        weight: 45,
        tld: "com",
        streets: &[
            "Market Street",
            "Main Street",
            "Oak Avenue",
            "Commerce Drive",
            "Lakeview Boulevard",
            "Industrial Parkway",
            "Maple Street",
            "Park Avenue",
        ],
        number_after: false,
        cities: &[
            city("CA", "San Francisco", "94105", "+1415555"),
            city("CA", "San Diego", "92101", "+1619555"),
            city("NY", "New York", "10001", "+1212555"),
            city("TX", "Austin", "78701", "+1512555"),
            city("TX", "Dallas", "75201", "+1214555"),
            city("IL", "Chicago", "60601", "+1312555"),
            city("WA", "Seattle", "98101", "+1206555"),
            city("MA", "Boston", "02108", "+1617555"),
            city("CO", "Denver", "80202", "+1303555"),
            city("GA", "Atlanta", "30303", "+1404555"),
            city("FL", "Miami", "33131", "+1305555"),
        ],
    },
    Country {
        iso: "CA",
        weight: 12,
        tld: "ca",
        streets: &[
            "King Street West",
            "Bay Street",
            "Granville Street",
            "Rue Sainte-Catherine",
            "Queen Street East",
            "Stephen Avenue",
        ],
        number_after: false,
        cities: &[
            city("ON", "Toronto", "M5V 2T6", "+1416555"),
            city("ON", "Ottawa", "K1P 1J1", "+1613555"),
            city("BC", "Vancouver", "V6B 1A1", "+1604555"),
            city("QC", "Montréal", "H2Y 1C6", "+1514555"),
            city("AB", "Calgary", "T2P 1J9", "+1403555"),
        ],
    },
    Country {
        iso: "GB",
        weight: 15,
        tld: "co.uk",
        streets: &[
            "High Street",
            "Station Road",
            "Church Lane",
            "Victoria Road",
            "Mill Lane",
            "King Street",
        ],
        number_after: false,
        cities: &[
            city("ENG", "London", "EC1A 1BB", "+442079460"),
            city("ENG", "Manchester", "M1 1AE", "+441614960"),
            city("ENG", "Bristol", "BS1 4DJ", "+441174960"),
            city("SCT", "Edinburgh", "EH1 1YZ", "+441314960"),
            city("SCT", "Glasgow", "G1 1XQ", "+441414960"),
        ],
    },
    Country {
        iso: "DE",
        weight: 10,
        tld: "de",
        streets: &[
            "Hauptstraße",
            "Bahnhofstraße",
            "Industriestraße",
            "Lindenallee",
            "Schillerstraße",
            "Gartenweg",
        ],
        number_after: true,
        cities: &[
            city("BY", "München", "80331", "+4989"),
            city("BE", "Berlin", "10115", "+4930"),
            city("HH", "Hamburg", "20095", "+4940"),
            city("HE", "Frankfurt am Main", "60311", "+4969"),
        ],
    },
    Country {
        iso: "FR",
        weight: 8,
        tld: "fr",
        streets: &[
            "rue de la République",
            "avenue des Champs",
            "boulevard Voltaire",
            "rue du Commerce",
            "quai de la Loire",
        ],
        number_after: false,
        cities: &[
            city("75", "Paris", "75008", "+331"),
            city("69", "Lyon", "69002", "+334"),
            city("13", "Marseille", "13001", "+334"),
        ],
    },
    Country {
        iso: "AU",
        weight: 10,
        tld: "com.au",
        streets: &[
            "George Street",
            "Collins Street",
            "Queen Street",
            "Hay Street",
            "Pitt Street",
        ],
        number_after: false,
        cities: &[
            city("NSW", "Sydney", "2000", "+612"),
            city("VIC", "Melbourne", "3000", "+613"),
            city("QLD", "Brisbane", "4000", "+617"),
            city("WA", "Perth", "6000", "+618"),
        ],
    },
];

const NAME_WORDS: &[&str] = &[
    "Harbor",
    "Summit",
    "Bluewater",
    "Cedar",
    "Ironwood",
    "Northwind",
    "Riverside",
    "Granite",
    "Silverline",
    "Oakridge",
    "Brightpath",
    "Lakeshore",
    "Redwood",
    "Meridian",
    "Pinecrest",
    "Westfield",
    "Evergreen",
    "Copperleaf",
    "Highland",
    "Stonebridge",
    "Clearwater",
    "Sterling",
    "Maplewood",
    "Falcon",
    "Beacon",
    "Crescent",
    "Foxglove",
    "Kingsley",
    "Larkspur",
    "Marlow",
    "Juniper",
    "Hawthorne",
    "Ashford",
    "Bayview",
    "Canyon",
    "Driftwood",
    "Elmstead",
    "Fairmont",
    "Glenview",
    "Horizon",
];

const INDUSTRIES: &[(&str, &str)] = &[
    ("Dental Group", "A family dental practice"),
    ("Logistics", "A freight forwarding and warehousing company"),
    ("Law", "A law firm specialising in commercial property"),
    ("Architects", "An architecture and interior design studio"),
    (
        "Veterinary Clinic",
        "A veterinary practice with an emergency service",
    ),
    ("Manufacturing", "A precision parts manufacturer"),
    ("Accounting", "An accounting and payroll bureau"),
    ("Realty", "A residential and commercial real-estate agency"),
    ("Medical Centre", "A primary-care medical practice"),
    (
        "Engineering",
        "A civil and structural engineering consultancy",
    ),
    ("Insurance Brokers", "An independent insurance brokerage"),
    ("Construction", "A general contractor for commercial builds"),
    ("Financial Advisors", "A wealth management firm"),
    ("Hotel Group", "A group of boutique hotels"),
    ("Foods", "A wholesale food distributor"),
    ("Credit Union", "A member-owned credit union"),
    ("Marketing", "A digital marketing agency"),
    ("Academy", "An independent school"),
    ("Pharmacy", "A chain of community pharmacies"),
    ("Auto Group", "A multi-brand car dealership"),
    ("Printing", "A commercial print and signage shop"),
    ("Property Management", "A property management company"),
    ("Physiotherapy", "A physiotherapy and sports injury clinic"),
    ("Brewing Co.", "A craft brewery with a taproom"),
    (
        "Nonprofit Services",
        "A charity supporting families in need",
    ),
];

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Sophie",
    "Mark",
    "Emma",
    "Paul",
    "Olivia",
    "Steven",
    "Chloe",
    "Andrew",
    "Amelia",
    "Lukas",
    "Hannah",
    "Louis",
    "Camille",
    "Noah",
    "Isla",
    "Liam",
    "Grace",
    "Ethan",
    "Zoe",
    "Priya",
    "Arjun",
    "Wei",
    "Mei",
    "Mateo",
    "Lucía",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Müller",
    "Schmidt",
    "Dubois",
    "Lefebvre",
    "O'Brien",
    "MacDonald",
    "Nguyen",
    "Patel",
    "Chen",
    "Kowalski",
    "Rossi",
    "Novak",
    "Silva",
    "Tremblay",
];

/// Contact types of the first contacts, then of everyone else.
const LEAD_CONTACTS: &[(&str, &str)] = &[
    ("Primary Contact", "Office Manager"),
    ("Billing", "Finance Director"),
    ("Technical Contact", "IT Coordinator"),
    ("Decision Maker", "Managing Director"),
];
const STAFF_TITLES: &[&str] = &[
    "Receptionist",
    "Accounts Assistant",
    "Project Manager",
    "Sales Executive",
    "Operations Lead",
    "Analyst",
    "Administrator",
    "Team Lead",
    "Coordinator",
    "Consultant",
    "Designer",
    "Customer Service Representative",
];

const REGISTRARS: &[&str] = &[
    "GoDaddy",
    "Namecheap",
    "Cloudflare Registrar",
    "Network Solutions",
    "Gandi",
    "Tucows",
    "IONOS",
    "Squarespace Domains",
];

/// Hex digits and upper-case letters without the look-alikes serials avoid.
const SERIAL_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Turns seed, catalogs and sizes into organization plans.
pub(super) struct Generator<'a> {
    catalog: &'a Catalog,
    models: &'a HashMap<(String, String), (i64, i64)>,
    options: DemoOptions,
    /// Company names in a seeded order.
    names: Vec<(usize, usize)>,
    /// Configuration type names by id.
    configuration_types: HashMap<i64, &'a str>,
    today: NaiveDate,
}

impl<'a> Generator<'a> {
    pub(super) fn new(
        catalog: &'a Catalog,
        models: &'a HashMap<(String, String), (i64, i64)>,
        options: DemoOptions,
    ) -> anyhow::Result<Generator<'a>> {
        for kind in KINDS {
            anyhow::ensure!(
                catalog
                    .configuration_types
                    .contains_key(kind.configuration_type),
                "the account has no configuration type {:?}; add it (or pick another account)",
                kind.configuration_type
            );
        }
        let mut names: Vec<(usize, usize)> = (0..NAME_WORDS.len())
            .flat_map(|w| (0..INDUSTRIES.len()).map(move |i| (w, i)))
            .collect();
        names.shuffle(&mut StdRng::seed_from_u64(options.seed));
        Ok(Generator {
            catalog,
            models,
            options,
            names,
            configuration_types: catalog
                .configuration_types
                .iter()
                .map(|(name, id)| (*id, name.as_str()))
                .collect(),
            today: Utc::now().date_naive(),
        })
    }

    fn rng(&self, index: u32) -> StdRng {
        StdRng::seed_from_u64(
            self.options
                .seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(u64::from(index) + 1),
        )
    }

    fn date(&self, days_from_today: i64) -> NaiveDate {
        self.today + Duration::days(days_from_today)
    }

    /// Everything of organization number `index`.
    pub(super) fn organization(&self, index: u32) -> OrganizationPlan {
        let mut rng = self.rng(index);
        let (word, industry) = self.names[index as usize % self.names.len()];
        let round = index as usize / self.names.len();
        let (industry_name, industry_description) = INDUSTRIES[industry];
        let mut name = format!("{} {industry_name}", NAME_WORDS[word]);
        if round > 0 {
            name = format!("{name} {}", round + 1);
        }
        let slug: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let code: String = name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase();
        let code = if code.len() < 3 {
            slug.chars()
                .take(3)
                .collect::<String>()
                .to_ascii_uppercase()
        } else {
            code
        };
        let country = pick_weighted(&mut rng, COUNTRIES, |c| c.weight);
        let domain = format!("{slug}.{}", country.tld);

        let type_name = match rng.gen_range(0..100) {
            0..=84 => "Customer",
            85..=92 => "Prospect",
            93..=96 => "Vendor",
            _ => "Partner",
        };
        let status_name = if rng.gen_range(0..100) < 92 {
            "Active"
        } else {
            "Inactive"
        };
        let staff = (self.options.configurations_per_organization / 2).max(3);

        let locations = self.locations(&mut rng, country);
        let contacts = self.contacts(&mut rng, country, &domain, locations.len());
        let configurations = self.configurations(&mut rng, index, &code, &locations, &contacts);
        let related_items = related(&configurations);
        let domains = self.domains(&mut rng, &slug, country);
        let documents = documents(&mut rng, &name, &code, &domain, &configurations);
        let mut plan = OrganizationPlan {
            short_name: Some(code.to_ascii_lowercase()),
            description: Some(format!(
                "{industry_description} with about {staff} staff across {} site{}.",
                locations.len(),
                if locations.len() == 1 { "" } else { "s" }
            )),
            quick_notes: Some(
                [
                    "After-hours support: call the on-call line, then email the primary contact.",
                    "Patch window: Tuesdays 22:00 to 02:00 local time.",
                    "Site visits must be booked a day ahead with reception.",
                    "Backups verified monthly; restore test report goes to the finance director.",
                ][rng.gen_range(0..4)]
                .to_string(),
            ),
            alert: (rng.gen_range(0..100) < 10)
                .then(|| "Priority client: escalate P1 tickets to the account manager.".into()),
            organization_type_id: self.catalog.organization_types.get(type_name).copied(),
            organization_status_id: self.catalog.organization_statuses.get(status_name).copied(),
            name,
            locations,
            contacts,
            configurations,
            domains,
            documents,
            related_items,
            flexible_assets: Vec::new(),
        };
        // Their own stream, so adding assets changes nothing else a seed makes.
        let mut rng = StdRng::seed_from_u64(rng.gen::<u64>() ^ 0xF1E7_A55E_7000_0000);
        let context = flexible::Context {
            plan: &plan,
            kinds: plan
                .configurations
                .iter()
                .map(|c| {
                    c.configuration_type_id
                        .and_then(|id| self.configuration_types.get(&id).copied())
                        .unwrap_or_default()
                })
                .collect(),
            code: &code,
            today: self.today,
        };
        plan.flexible_assets = flexible::assets(&mut rng, &context);
        plan
    }

    fn locations(&self, rng: &mut StdRng, country: &Country) -> Vec<LocationPlan> {
        let count = rng.gen_range(1..=3).min(country.cities.len());
        let mut cities: Vec<&City> = country.cities.iter().collect();
        cities.shuffle(rng);
        cities
            .into_iter()
            .take(count)
            .enumerate()
            .map(|(i, c)| {
                let street = country.streets[rng.gen_range(0..country.streets.len())];
                let number = rng.gen_range(1..400);
                let address = if country.number_after {
                    format!("{street} {number}")
                } else {
                    format!("{number} {street}")
                };
                let phone = phone(rng, c.phone);
                LocationPlan {
                    name: match i {
                        0 => "Headquarters".to_string(),
                        1 => format!("{} Office", c.city),
                        _ => format!("{} Warehouse", c.city),
                    },
                    primary: i == 0,
                    address_1: Some(address),
                    address_2: (rng.gen_range(0..100) < 30)
                        .then(|| format!("Suite {}", rng.gen_range(100..900))),
                    city: Some(c.city.to_string()),
                    postal_code: Some(c.postal_code.to_string()),
                    region_id: self
                        .catalog
                        .regions
                        .get(&(country.iso.to_string(), c.region.to_string()))
                        .copied(),
                    country_id: self.catalog.countries.get(country.iso).copied(),
                    phone: Some(phone),
                }
            })
            .collect()
    }

    fn contacts(
        &self,
        rng: &mut StdRng,
        country: &Country,
        domain: &str,
        locations: usize,
    ) -> Vec<ContactPlan> {
        let count = (self.options.configurations_per_organization as usize / 8).clamp(3, 150);
        let prefix = country.cities[0].phone;
        let mut used = std::collections::HashSet::new();
        (0..count)
            .map(|i| {
                let (first, last) = loop {
                    let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
                    let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
                    if used.insert((first, last)) || used.len() > 2000 {
                        break (first, last);
                    }
                };
                let (type_name, title) = match LEAD_CONTACTS.get(i) {
                    Some((t, title)) => (*t, title.to_string()),
                    None => (
                        "Employee",
                        STAFF_TITLES[rng.gen_range(0..STAFF_TITLES.len())].to_string(),
                    ),
                };
                let local: String = format!("{first}.{last}")
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect::<String>()
                    .to_ascii_lowercase();
                let email = format!("{local}@{domain}");
                let emails = json!([{"value": email, "label_name": "Work", "primary": true}]);
                let work = phone(rng, prefix);
                let extension =
                    (rng.gen_range(0..100) < 40).then(|| rng.gen_range(100..999).to_string());
                let mut phones = vec![json!({
                    "value": work,
                    "extension": extension,
                    "label_name": "Work",
                    "label_type": "phone",
                    "primary": true,
                })];
                if rng.gen_range(0..100) < 60 {
                    let mobile = phone(rng, prefix);
                    phones.push(json!({
                        "value": mobile,
                        "label_name": "Mobile",
                        "label_type": "mobile",
                    }));
                }
                ContactPlan {
                    first_name: first.to_string(),
                    last_name: last.to_string(),
                    title: Some(title),
                    contact_type_id: self.catalog.contact_types.get(type_name).copied(),
                    location: Some(if i < LEAD_CONTACTS.len() {
                        0
                    } else {
                        rng.gen_range(0..locations)
                    }),
                    important: i < 2,
                    emails_json: emails.to_string(),
                    phones_json: serde_json::Value::Array(phones).to_string(),
                }
            })
            .collect()
    }

    fn configurations(
        &self,
        rng: &mut StdRng,
        index: u32,
        code: &str,
        locations: &[LocationPlan],
        contacts: &[ContactPlan],
    ) -> Vec<ConfigurationPlan> {
        let count = self.options.configurations_per_organization as usize;
        let second_octet = 10 + (index % 240);
        let mut per_tag: HashMap<&str, u32> = HashMap::new();
        let mut out = Vec::with_capacity(count);
        for n in 0..count {
            let kind = pick_weighted(rng, KINDS, |k| k.weight);
            let hardware = &kind.hardware[rng.gen_range(0..kind.hardware.len())];
            let number = {
                let counter = per_tag.entry(kind.tag).or_insert(0);
                *counter += 1;
                *counter
            };
            let name = format!("{code}-{}-{number:04}", kind.tag);
            // One /24 per 240 devices: 10.<org>.<subnet>.<10-249>, gateway .1.
            let subnet = (n / 240) % 256;
            let host = n % 240 + 10;
            let ip = format!("10.{second_octet}.{subnet}.{host}");
            let gateway = format!("10.{second_octet}.{subnet}.1");
            let mac = mac(rng, hardware.oui);
            let (manufacturer_id, model_id) = self
                .models
                .get(&(
                    hardware.manufacturer.to_string(),
                    hardware.model.to_string(),
                ))
                .map_or((None, None), |(m, md)| (Some(*m), Some(*md)));
            let system = (!hardware.systems.is_empty())
                .then(|| hardware.systems[rng.gen_range(0..hardware.systems.len())])
                .and_then(|s| self.catalog.operating_systems.get(s).copied());
            let status = match rng.gen_range(0..100) {
                0..=89 => "Active",
                90..=93 => "In Stock",
                94..=96 => "Inactive",
                _ => "Decommissioned",
            };
            let (purchased, installed, warranty) = match kind.warranty_years {
                Some(years) => {
                    let purchased = self.date(-rng.gen_range(20..(years * 365 + 400)));
                    let installed = purchased + Duration::days(rng.gen_range(2..21));
                    let warranty = purchased + Duration::days(years * 365);
                    (Some(purchased), Some(installed), Some(warranty))
                }
                None => (None, Some(self.date(-rng.gen_range(10..1500))), None),
            };
            let mut interfaces = vec![InterfacePlan {
                name: Some(kind.interface.to_string()),
                ip_address: Some(ip),
                mac_address: Some(mac),
                primary: true,
            }];
            if let Some((second, percent)) = kind.second {
                if rng.gen_range(0..100) < percent {
                    interfaces.push(InterfacePlan {
                        name: Some(second.to_string()),
                        ip_address: Some(format!(
                            "172.{}.{}.{}",
                            16 + index % 16,
                            (n / 240) % 256,
                            n % 240 + 10
                        )),
                        mac_address: Some(self::mac(rng, hardware.oui)),
                        primary: false,
                    });
                }
            }
            let virtual_machine = kind.warranty_years.is_none();
            out.push(ConfigurationPlan {
                hostname: Some(if kind.personal || kind.tag == "SRV" || virtual_machine {
                    name.clone()
                } else {
                    name.to_ascii_lowercase()
                }),
                default_gateway: Some(gateway),
                serial_number: Some(serial(rng, hardware)),
                asset_tag: (!virtual_machine).then(|| format!("AT-{code}-{:05}", n + 1)),
                notes: (!kind.notes.is_empty())
                    .then(|| kind.notes[rng.gen_range(0..kind.notes.len())].to_string()),
                warranty_expires_at: warranty.map(|d| d.format("%Y-%m-%d").to_string()),
                installed_at: installed.map(|d| d.format("%Y-%m-%d").to_string()),
                purchased_at: purchased.map(|d| d.format("%Y-%m-%d").to_string()),
                configuration_type_id: self
                    .catalog
                    .configuration_types
                    .get(kind.configuration_type)
                    .copied(),
                configuration_status_id: self.catalog.configuration_statuses.get(status).copied(),
                manufacturer_id,
                model_id,
                operating_system_id: system,
                location: Some(if rng.gen_range(0..100) < 70 {
                    0
                } else {
                    rng.gen_range(0..locations.len())
                }),
                contact: (kind.personal && !contacts.is_empty())
                    .then(|| rng.gen_range(0..contacts.len())),
                interfaces,
                name,
            });
        }
        out
    }

    fn domains(&self, rng: &mut StdRng, slug: &str, country: &Country) -> Vec<DomainPlan> {
        let mut names = vec![format!("{slug}.{}", country.tld)];
        if country.tld != "com" {
            names.push(format!("{slug}.com"));
        }
        if rng.gen_range(0..100) < 40 {
            names.push(format!("{slug}.net"));
        }
        names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let expires = self.date(rng.gen_range(-15..700));
                DomainPlan {
                    name,
                    registrar_name: Some(REGISTRARS[rng.gen_range(0..REGISTRARS.len())].into()),
                    notes: Some(if i == 0 {
                        "Primary domain: website and email. Auto-renew on; DNS at Cloudflare."
                            .to_string()
                    } else {
                        "Defensive registration; redirects to the primary domain.".to_string()
                    }),
                    expires_on: crate::clock::parse_range_bound(
                        &expires.format("%Y-%m-%d").to_string(),
                        crate::clock::RangeEnd::Start,
                    ),
                }
            })
            .collect()
    }
}

/// Every tenth configuration is linked to its user (or, without one, its site).
fn related(configurations: &[ConfigurationPlan]) -> Vec<RelatedPlan> {
    configurations
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 == 0)
        .filter_map(|(i, c)| {
            let (target, notes) = match (c.contact, c.location) {
                (Some(contact), _) => (RelatedTarget::Contact(contact), "Assigned user"),
                (None, Some(location)) => (RelatedTarget::Location(location), "Installed at"),
                (None, None) => return None,
            };
            Some(RelatedPlan {
                configuration: i,
                target,
                notes: Some(notes.to_string()),
            })
        })
        .collect()
}

fn documents(
    rng: &mut StdRng,
    name: &str,
    code: &str,
    domain: &str,
    configurations: &[ConfigurationPlan],
) -> Vec<DocumentPlan> {
    let gateway = configurations
        .first()
        .and_then(|c| c.default_gateway.clone())
        .unwrap_or_else(|| "10.0.0.1".into());
    let servers: Vec<&str> = configurations
        .iter()
        .filter(|c| c.name.contains("-SRV") || c.name.contains("-VM"))
        .take(5)
        .map(|c| c.name.as_str())
        .collect();
    let server_list = if servers.is_empty() {
        "<li>No on-premises servers: everything runs in Microsoft 365.</li>".to_string()
    } else {
        servers
            .iter()
            .map(|s| format!("<li>{s}</li>"))
            .collect::<String>()
    };
    let all = [
        (
            "Network Overview",
            format!(
                "<h2>Network overview for {name}</h2><p>The LAN uses <code>{gateway}</code> as its gateway; \
                 DHCP hands out addresses from .100 to .240 on every subnet.</p>\
                 <table><thead><tr><th>VLAN</th><th>Purpose</th></tr></thead><tbody>\
                 <tr><td>1</td><td>Staff</td></tr><tr><td>20</td><td>Voice</td></tr>\
                 <tr><td>30</td><td>Guest Wi-Fi (isolated)</td></tr></tbody></table>"
            ),
        ),
        (
            "Backup Procedure",
            format!(
                "<h2>Backups</h2><p>Servers are backed up nightly at 01:00 and copied off-site.</p>\
                 <ul>{server_list}</ul><p>Monthly: restore one file and one whole machine, and record the result.</p>"
            ),
        ),
        (
            "New Employee Onboarding",
            format!(
                "<h2>Onboarding checklist</h2><ol><li>Create the account as first.last@{domain}.</li>\
                 <li>Add to the staff security group and the shared mailbox.</li>\
                 <li>Assign a {code} laptop and enrol it in device management.</li>\
                 <li>Enrol multi-factor authentication before first sign-in.</li></ol>"
            ),
        ),
        (
            "Wi-Fi Access",
            "<h2>Wireless networks</h2><p><strong>Staff</strong>: WPA3-Enterprise, signs in with the \
             work account.</p><p><strong>Guest</strong>: password rotated monthly and printed at reception.</p>"
                .to_string(),
        ),
        (
            "Disaster Recovery Plan",
            "<h2>Disaster recovery</h2><p>Recovery point objective: 24 hours. Recovery time objective: \
             8 hours for email and files, 2 business days for everything else.</p>\
             <p>Call the primary contact first, then the managing director.</p>"
                .to_string(),
        ),
        (
            "Printer Setup",
            "<h2>Printers</h2><p>Printers are deployed by group policy from the print server. \
             Scan-to-email uses the relay on port 587.</p>"
                .to_string(),
        ),
    ];
    let count = rng.gen_range(3..=all.len());
    all.into_iter()
        .take(count)
        .map(|(title, html)| DocumentPlan {
            name: title.to_string(),
            content: html,
        })
        .collect()
}

fn pick_weighted<'t, T>(rng: &mut StdRng, items: &'t [T], weight: impl Fn(&T) -> u32) -> &'t T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut at = rng.gen_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if at < w {
            return item;
        }
        at -= w;
    }
    &items[items.len() - 1]
}

/// A phone number in the fictional ranges (555-01xx, Ofcom drama numbers,
/// ...): `prefix` (with country code) and random digits, written as digits
/// with a leading `+`.
fn phone(rng: &mut StdRng, prefix: &str) -> String {
    let national_len = if prefix.starts_with("+1") {
        12
    } else if prefix.starts_with("+44") {
        13
    } else {
        prefix.len() + 8
    };
    let mut out = prefix.to_string();
    if prefix.starts_with("+1") {
        out.push_str("01");
    }
    while out.len() < national_len {
        out.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    out
}

/// A MAC address under `oui`, upper case with colons (the normal form).
fn mac(rng: &mut StdRng, oui: &str) -> String {
    let [a, b, c]: [u8; 3] = rng.gen();
    format!("{oui}:{a:02X}:{b:02X}:{c:02X}")
}

fn serial(rng: &mut StdRng, hardware: &Hardware) -> String {
    let mut out = hardware.serial_prefix.to_string();
    for _ in 0..hardware.serial_len {
        out.push(char::from(
            SERIAL_CHARS[rng.gen_range(0..SERIAL_CHARS.len())],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::configurations::{normalize_ip, normalize_mac};
    use crate::resources::contacts::complete;
    use crate::store::{Arg, Values};

    fn catalog() -> Catalog {
        let mut catalog = Catalog::default();
        for kind in KINDS {
            catalog
                .configuration_types
                .insert(kind.configuration_type.to_string(), 1);
        }
        catalog
    }

    #[test]
    fn the_same_seed_makes_the_same_organization() {
        let catalog = catalog();
        let models = HashMap::new();
        let options = DemoOptions {
            organizations: 3,
            configurations_per_organization: 40,
            seed: 7,
        };
        let a = Generator::new(&catalog, &models, options).unwrap();
        let b = Generator::new(&catalog, &models, options).unwrap();
        let (x, y) = (a.organization(1), b.organization(1));
        assert_eq!(x.name, y.name);
        assert_eq!(x.configurations.len(), 40);
        assert_eq!(
            x.configurations[5].serial_number,
            y.configurations[5].serial_number
        );
        assert_ne!(a.organization(0).name, x.name);
    }

    #[test]
    fn devices_have_one_primary_interface_with_normal_addresses() {
        let catalog = catalog();
        let models = HashMap::new();
        let options = DemoOptions {
            organizations: 1,
            configurations_per_organization: 600,
            seed: 1,
        };
        let plan = Generator::new(&catalog, &models, options)
            .unwrap()
            .organization(0);
        for c in &plan.configurations {
            let primary: Vec<_> = c.interfaces.iter().filter(|i| i.primary).collect();
            assert_eq!(primary.len(), 1);
            for interface in &c.interfaces {
                let ip = interface.ip_address.as_deref().unwrap();
                assert_eq!(normalize_ip(ip).as_deref(), Some(ip));
                let mac = interface.mac_address.as_deref().unwrap();
                assert_eq!(normalize_mac(mac).as_deref(), Some(mac));
            }
        }
        let names: std::collections::HashSet<_> =
            plan.configurations.iter().map(|c| &c.name).collect();
        assert_eq!(names.len(), 600, "names are unique within an organization");
        for contact in &plan.contacts {
            let mut values = Values(vec![
                ("first_name", Arg::from(contact.first_name.clone())),
                ("last_name", Arg::from(contact.last_name.clone())),
                ("contact_emails", Arg::from(contact.emails_json.clone())),
                ("contact_phones", Arg::from(contact.phones_json.clone())),
            ]);
            complete(&mut values, "/data/attributes", None, None).expect("a valid contact");
            assert!(matches!(
                values.get("primary_email"),
                Some(Arg::Text(Some(_)))
            ));
        }
    }
}
