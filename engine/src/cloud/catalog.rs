//! The price catalog: what each provider sells, where, at what price and on what terms.
//!
//! A catalog is data (DESIGN §4): a bundled one lives in `scenarios/catalogs/`, and importers in
//! `sim::catalog` build others from the real price files in `shared/data/prices/`. Its parts:
//!
//! - [`ProviderTerms`] per cloud: billing granularity, boot delay, egress prices, spot notice
//!   and price process, the reservation products it sells ([`ProductTerms`]) and its
//!   billing-only discounts ([`Discount`]);
//! - [`Region`]s with a location (for latency), [`InstanceType`]s (vCPUs, memory, GPUs);
//! - [`Offer`]s: one per (cloud, region, instance type) with the on-demand price, the spot price
//!   and interruption band when spot is sold, and specific discounted prices when the source
//!   has them (AWS reserved instances).
//!
//! Capacity and billing are kept apart (`cloud-products.md` §1.3): reservation products
//! ([`ProductKind`]) guarantee slots; discounts ([`DiscountKind`]) change the price of usage and
//! never capacity.
//!
//! Deserialising a [`Catalog`] validates it (through [`CatalogFile`]): names are unique, every
//! offer names a known region and type of its own cloud, prices are finite and non-negative.
//! After that, regions, types and offers are addressed by dense typed indices
//! ([`RegionIx`], [`TypeIx`], [`OfferIx`]) in file order, so iteration order is fixed.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A cloud provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Amazon Web Services.
    Aws,
    /// Microsoft Azure.
    Azure,
    /// Google Cloud.
    Gcp,
}

impl Cloud {
    /// Every provider, in a fixed order.
    pub const ALL: [Cloud; 3] = [Cloud::Aws, Cloud::Azure, Cloud::Gcp];

    /// The lower-case name used in files and reports: `aws`, `azure`, `gcp`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Azure => "azure",
            Cloud::Gcp => "gcp",
        }
    }

    /// Parses `aws`, `azure` or `gcp` (any case).
    pub fn parse(name: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! catalog_index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            /// The index into the catalog's table of this kind.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

catalog_index!(
    /// A region of a [`Catalog`]: its position in [`Catalog::regions`].
    RegionIx
);
catalog_index!(
    /// An instance type of a [`Catalog`]: its position in [`Catalog::instance_types`].
    TypeIx
);
catalog_index!(
    /// An offer of a [`Catalog`]: its position in [`Catalog::offers`].
    OfferIx
);

/// Where a catalog's numbers come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogMeta {
    /// A short name, e.g. `bundled` or `gcp-2026-05-20`.
    pub name: String,
    /// The date the prices were read (ISO 8601 day), e.g. `2026-05-20`.
    pub prices_date: String,
    /// Where each number was read: URLs, repository paths, file names.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Anything a reader should know (simplifications, assumed values).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// How a provider bills running time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Billing {
    /// Usage is rounded up to a multiple of this many seconds (1 for per-second billing).
    pub granularity_s: u64,
    /// Every launch is billed for at least this many seconds (AWS and GCP: 60).
    pub minimum_s: u64,
}

/// Data transfer prices, USD per GB leaving a region.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Egress {
    /// Between zones or within one region.
    pub same_region_usd_per_gb: f64,
    /// To another region of the same provider.
    pub inter_region_usd_per_gb: f64,
    /// To another provider (internet egress).
    pub internet_usd_per_gb: f64,
}

/// AWS Spot Advisor's interruption-frequency bands: the share of instances of a type and
/// region interrupted over the trailing month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum InterruptionBand {
    /// Under 5% a month.
    #[serde(rename = "<5%")]
    Under5,
    /// 5–10% a month.
    #[serde(rename = "5-10%")]
    From5To10,
    /// 10–15% a month.
    #[serde(rename = "10-15%")]
    From10To15,
    /// 15–20% a month.
    #[serde(rename = "15-20%")]
    From15To20,
    /// Over 20% a month.
    #[serde(rename = ">20%")]
    Over20,
}

impl InterruptionBand {
    /// The band's monthly interruption probability used in simulation: the band's midpoint,
    /// and 25% for the open-ended top band (an assumption; the advisor gives no upper bound).
    pub const fn monthly_rate(self) -> f64 {
        match self {
            InterruptionBand::Under5 => 0.025,
            InterruptionBand::From5To10 => 0.075,
            InterruptionBand::From10To15 => 0.125,
            InterruptionBand::From15To20 => 0.175,
            InterruptionBand::Over20 => 0.25,
        }
    }

    /// The hourly hazard `λ` with `1 − exp(−λ·730) = monthly_rate` (730 hours a month), so
    /// that an instance kept for a month is interrupted with the band's probability.
    pub fn hourly_hazard(self) -> f64 {
        -(1.0 - self.monthly_rate()).ln() / 730.0
    }

    /// The Spot Advisor's band index `r` (0 = `<5%` … 4 = `>20%`).
    pub fn from_advisor_index(r: u64) -> Option<InterruptionBand> {
        Some(match r {
            0 => InterruptionBand::Under5,
            1 => InterruptionBand::From5To10,
            2 => InterruptionBand::From10To15,
            3 => InterruptionBand::From15To20,
            4 => InterruptionBand::Over20,
            _ => return None,
        })
    }
}

/// A provider's spot market rules.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotTerms {
    /// Warning before an interruption: 120 s on AWS, 30 s on GCP and Azure.
    pub notice_s: u64,
    /// The band assumed for offers whose source gives none (GCP and Azure publish no bands).
    pub default_band: InterruptionBand,
    /// Relative standard deviation of each price step of the spot price process.
    pub price_volatility: f64,
    /// Seconds between spot price changes.
    pub reprice_interval_s: u64,
}

/// A capacity product: something that reserves slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// On-demand capacity reservation (AWS ODCR, GCP and Azure on-demand reservations): starts
    /// now, on-demand price whether used or not, cancellable any time.
    CapacityReservation,
    /// Future-dated reservation (AWS FDCR, GCP future reservation, Azure future reservation):
    /// requested ahead with a lead time, assessed (may be `unsupported`), minimum commitment.
    FutureReservation,
    /// Capacity block (AWS Capacity Blocks for ML, GCP calendar mode, Azure block): a fixed
    /// duration grid, paid up front, not cancellable, terminated before its end.
    CapacityBlock,
}

impl ProductKind {
    /// The snake-case name used in files and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProductKind::CapacityReservation => "capacity_reservation",
            ProductKind::FutureReservation => "future_reservation",
            ProductKind::CapacityBlock => "capacity_block",
        }
    }
}

/// When a reservation may be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cancellation {
    /// Any time; charges stop at cancellation.
    Anytime,
    /// Only before it starts (GCP future reservations before `lock_time`); after that the
    /// whole commitment is owed.
    BeforeStart,
    /// Never: the whole reservation is owed from the moment it is bought.
    Never,
}

/// What a reservation product costs per instance-hour.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ReservationPrice {
    /// The offer's on-demand price, used or not.
    OnDemand,
    /// A fixed multiple of the on-demand price (a capacity block's dynamic price, drawn at the
    /// multiple's value in the simulator).
    OnDemandMultiple(f64),
}

/// What happens to instances when a reservation ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum EndBehaviour {
    /// The reserved slots go; instances keep running, billed on demand, until released.
    Release,
    /// Instances are terminated this many seconds before the end (AWS Capacity Blocks: 1,800).
    TerminateBefore {
        /// Seconds before the end at which termination starts.
        secs: u64,
    },
}

/// The terms of one reservation product of one provider (`cloud-products.md` §1.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductTerms {
    /// Which product.
    pub kind: ProductKind,
    /// The provider's name for it, for reports (e.g. `ODCR`, `Capacity Blocks for ML`).
    pub name: String,
    /// Earliest start, seconds after the request.
    pub min_lead_s: u64,
    /// Latest start, seconds after the request.
    pub max_lead_s: u64,
    /// Seconds from request to the provider's answer (`scheduled` or `unsupported`).
    pub assessment_s: u64,
    /// Probability that a request that fits supply is still answered `unsupported`
    /// (assessment risk); supply shortfalls are refused regardless.
    pub unsupported_probability: f64,
    /// Shortest commitment, seconds.
    pub min_duration_s: u64,
    /// Allowed durations in hours; empty means any duration of at least `min_duration_s`.
    #[serde(default)]
    pub duration_grid_h: Vec<u64>,
    /// Most instances in one request.
    pub max_count: u32,
    /// Fewest vCPUs in one request (AWS future-dated reservations: 32).
    #[serde(default)]
    pub min_vcpus: u32,
    /// When it may be cancelled.
    pub cancellation: Cancellation,
    /// Price per instance-hour.
    pub price: ReservationPrice,
    /// Paid in full when bought (capacity blocks) rather than hourly.
    pub upfront: bool,
    /// What happens at the end.
    pub end: EndBehaviour,
    /// Sold only for GPU instance types.
    #[serde(default)]
    pub gpu_only: bool,
}

impl ProductTerms {
    /// Whether `duration_s` is a duration this product sells.
    pub fn allows_duration(&self, duration_s: u64) -> bool {
        duration_s >= self.min_duration_s
            && (self.duration_grid_h.is_empty()
                || self.duration_grid_h.iter().any(|h| h.checked_mul(3600) == Some(duration_s)))
    }
}

/// A billing-only discount family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    /// AWS Savings Plans, Azure savings plan for compute.
    SavingsPlan,
    /// AWS Reserved Instances (regional), Azure Reserved VM Instances.
    ReservedInstance,
    /// GCP committed use discounts.
    CommittedUse,
}

impl DiscountKind {
    /// The snake-case name used in files and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            DiscountKind::SavingsPlan => "savings_plan",
            DiscountKind::ReservedInstance => "reserved_instance",
            DiscountKind::CommittedUse => "committed_use",
        }
    }
}

/// A billing-only discount: a commitment to pay for some instances of one offer for a term,
/// at a reduced rate, whether they run or not. It covers that many running instances of the
/// offer and never reserves capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    /// The name offers use for specific prices, e.g. `ri-1y-standard-no-upfront`.
    pub name: String,
    /// Which family.
    pub kind: DiscountKind,
    /// Term in days (365 or 1,095).
    pub term_days: u32,
    /// Share off the on-demand price for offers without a specific price.
    pub fraction_off: f64,
}

/// Everything a catalog says about one provider besides its offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderTerms {
    /// Which provider.
    pub cloud: Cloud,
    /// How running time is billed.
    pub billing: Billing,
    /// Seconds from launch to a usable instance.
    pub boot_delay_s: u64,
    /// Data transfer prices.
    pub egress: Egress,
    /// Spot rules.
    pub spot: SpotTerms,
    /// Reservation products sold.
    #[serde(default)]
    pub products: Vec<ProductTerms>,
    /// Billing-only discounts sold.
    #[serde(default)]
    pub discounts: Vec<Discount>,
}

impl ProviderTerms {
    /// The terms of product `kind`, if this provider sells it.
    pub fn product(&self, kind: ProductKind) -> Option<&ProductTerms> {
        self.products.iter().find(|p| p.kind == kind)
    }
}

/// A point on Earth, degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lon: f64,
}

impl GeoPoint {
    /// Great-circle distance in km (haversine, Earth radius 6,371 km).
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().asin()
    }
}

/// A region of a provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Its provider.
    pub cloud: Cloud,
    /// The provider's name, e.g. `us-east-1`, `europe-west4`, `westeurope`.
    pub name: String,
    /// Where it is; `None` when the source does not say (latency then uses a default).
    #[serde(default)]
    pub location: Option<GeoPoint>,
}

/// An instance (VM) type of a provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceType {
    /// Its provider.
    pub cloud: Cloud,
    /// The provider's name, e.g. `c5.4xlarge`, `n2-standard-16`, `Standard_D16s_v5`.
    pub name: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// Whole GPUs (0 for CPU types).
    #[serde(default)]
    pub gpus: u32,
    /// GPU model, e.g. `A100`, `V100`, `T4`; `None` for CPU types.
    #[serde(default)]
    pub gpu_kind: Option<String>,
}

/// Spot price and interruption risk of an offer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotOffer {
    /// Mean (or snapshot) spot price, USD per instance-hour: the level the price process
    /// reverts to.
    pub usd_per_hour: f64,
    /// Interruption band; `None` uses the provider's [`SpotTerms::default_band`].
    #[serde(default)]
    pub band: Option<InterruptionBand>,
}

/// One instance type in one region, with its prices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// Its provider.
    pub cloud: Cloud,
    /// Region name (of the same provider).
    pub region: String,
    /// Instance type name (of the same provider).
    pub instance_type: String,
    /// On-demand price, USD per instance-hour.
    pub on_demand_usd_per_hour: f64,
    /// Spot price and band, when spot is sold here.
    #[serde(default)]
    pub spot: Option<SpotOffer>,
    /// Specific discounted prices, USD per instance-hour, by [`Discount::name`] (AWS reserved
    /// instance prices); other discounts apply their `fraction_off`.
    #[serde(default)]
    pub discounted_usd_per_hour: BTreeMap<String, f64>,
}

/// A catalog as written in a file: the serialised form of [`Catalog`], unvalidated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Provenance.
    pub meta: CatalogMeta,
    /// Provider terms, one per provider with offers.
    #[serde(default)]
    pub providers: Vec<ProviderTerms>,
    /// Regions.
    #[serde(default)]
    pub regions: Vec<Region>,
    /// Instance types.
    #[serde(default)]
    pub instance_types: Vec<InstanceType>,
    /// Offers.
    #[serde(default)]
    pub offers: Vec<Offer>,
}

/// Why a catalog is invalid: the offending field and what was expected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CatalogError {
    /// A field holds a value out of range.
    #[error("catalog field {field}: expected {expected}, found {found}")]
    InvalidField {
        /// Path of the field, e.g. `offers[12].on_demand_usd_per_hour`.
        field: String,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        found: String,
    },
    /// Two entries share a key.
    #[error("catalog: duplicate {what} {key}")]
    Duplicate {
        /// `region`, `instance type`, `offer` or `provider`.
        what: &'static str,
        /// The repeated key.
        key: String,
    },
    /// A reference to something the catalog does not define.
    #[error("catalog field {field}: unknown {what} {name:?}; define it in {table} first")]
    UnknownReference {
        /// Path of the field.
        field: String,
        /// `region`, `instance type` or `provider`.
        what: &'static str,
        /// The name referred to.
        name: String,
        /// The table it should be in.
        table: &'static str,
    },
}

/// A validated catalog (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CatalogFile", into = "CatalogFile")]
pub struct Catalog {
    file: CatalogFile,
    regions: BTreeMap<(Cloud, String), RegionIx>,
    types: BTreeMap<(Cloud, String), TypeIx>,
    offers: BTreeMap<(RegionIx, TypeIx), OfferIx>,
    offer_keys: Vec<(RegionIx, TypeIx)>,
}

impl TryFrom<CatalogFile> for Catalog {
    type Error = CatalogError;

    fn try_from(file: CatalogFile) -> Result<Catalog, CatalogError> {
        Catalog::new(file)
    }
}

impl From<Catalog> for CatalogFile {
    fn from(catalog: Catalog) -> CatalogFile {
        catalog.file
    }
}

fn check(
    ok: bool,
    field: impl FnOnce() -> String,
    expected: &'static str,
    found: impl fmt::Debug,
) -> Result<(), CatalogError> {
    if ok {
        Ok(())
    } else {
        Err(CatalogError::InvalidField { field: field(), expected, found: format!("{found:?}") })
    }
}

fn check_price(field: impl FnOnce() -> String, usd: f64) -> Result<(), CatalogError> {
    check(usd.is_finite() && usd >= 0.0, field, "a finite price of at least 0", usd)
}

fn check_fraction(field: impl FnOnce() -> String, p: f64) -> Result<(), CatalogError> {
    check((0.0..=1.0).contains(&p), field, "a number from 0 to 1", p)
}

impl Catalog {
    /// Validates `file` and indexes it.
    pub fn new(file: CatalogFile) -> Result<Catalog, CatalogError> {
        let mut providers = BTreeMap::new();
        for (i, p) in file.providers.iter().enumerate() {
            if providers.insert(p.cloud, i).is_some() {
                return Err(CatalogError::Duplicate { what: "provider", key: p.cloud.to_string() });
            }
            check(
                p.billing.granularity_s >= 1,
                || format!("providers[{i}].billing.granularity_s"),
                "at least 1 second",
                p.billing.granularity_s,
            )?;
            for (name, usd) in [
                ("same_region_usd_per_gb", p.egress.same_region_usd_per_gb),
                ("inter_region_usd_per_gb", p.egress.inter_region_usd_per_gb),
                ("internet_usd_per_gb", p.egress.internet_usd_per_gb),
            ] {
                check_price(|| format!("providers[{i}].egress.{name}"), usd)?;
            }
            check(
                p.spot.price_volatility.is_finite() && p.spot.price_volatility >= 0.0,
                || format!("providers[{i}].spot.price_volatility"),
                "a finite number of at least 0",
                p.spot.price_volatility,
            )?;
            check(
                p.spot.reprice_interval_s >= 1,
                || format!("providers[{i}].spot.reprice_interval_s"),
                "at least 1 second",
                p.spot.reprice_interval_s,
            )?;
            let mut kinds = BTreeMap::new();
            for (j, t) in p.products.iter().enumerate() {
                let field = |name: &str| format!("providers[{i}].products[{j}].{name}");
                if kinds.insert(t.kind, j).is_some() {
                    return Err(CatalogError::Duplicate {
                        what: "product",
                        key: format!("{} {}", p.cloud, t.kind.as_str()),
                    });
                }
                check(
                    t.min_lead_s <= t.max_lead_s,
                    || field("max_lead_s"),
                    "at least min_lead_s",
                    t.max_lead_s,
                )?;
                check_fraction(|| field("unsupported_probability"), t.unsupported_probability)?;
                check(t.max_count >= 1, || field("max_count"), "at least 1", t.max_count)?;
                if let ReservationPrice::OnDemandMultiple(m) = t.price {
                    check(
                        m.is_finite() && m > 0.0,
                        || field("price.on_demand_multiple"),
                        "a finite multiple above 0",
                        m,
                    )?;
                }
            }
            for (j, d) in p.discounts.iter().enumerate() {
                check(
                    d.fraction_off.is_finite() && (0.0..1.0).contains(&d.fraction_off),
                    || format!("providers[{i}].discounts[{j}].fraction_off"),
                    "a share from 0 up to (not including) 1",
                    d.fraction_off,
                )?;
                check(
                    d.term_days >= 1,
                    || format!("providers[{i}].discounts[{j}].term_days"),
                    "at least 1 day",
                    d.term_days,
                )?;
            }
        }
        let mut regions = BTreeMap::new();
        for (i, r) in file.regions.iter().enumerate() {
            if !providers.contains_key(&r.cloud) {
                return Err(CatalogError::UnknownReference {
                    field: format!("regions[{i}].cloud"),
                    what: "provider",
                    name: r.cloud.to_string(),
                    table: "[[providers]]",
                });
            }
            if let Some(loc) = r.location {
                check(
                    (-90.0..=90.0).contains(&loc.lat) && (-180.0..=180.0).contains(&loc.lon),
                    || format!("regions[{i}].location"),
                    "latitude in [-90, 90] and longitude in [-180, 180]",
                    loc,
                )?;
            }
            if regions.insert((r.cloud, r.name.clone()), RegionIx(i as u32)).is_some() {
                return Err(CatalogError::Duplicate {
                    what: "region",
                    key: format!("{} {}", r.cloud, r.name),
                });
            }
        }
        let mut types = BTreeMap::new();
        for (i, t) in file.instance_types.iter().enumerate() {
            check(t.vcpus >= 1, || format!("instance_types[{i}].vcpus"), "at least 1", t.vcpus)?;
            check(
                (t.gpus == 0) == t.gpu_kind.is_none(),
                || format!("instance_types[{i}].gpu_kind"),
                "a GPU kind exactly when gpus > 0",
                &t.gpu_kind,
            )?;
            if types.insert((t.cloud, t.name.clone()), TypeIx(i as u32)).is_some() {
                return Err(CatalogError::Duplicate {
                    what: "instance type",
                    key: format!("{} {}", t.cloud, t.name),
                });
            }
        }
        let mut offers = BTreeMap::new();
        let mut offer_keys = Vec::with_capacity(file.offers.len());
        for (i, o) in file.offers.iter().enumerate() {
            let Some(&r) = regions.get(&(o.cloud, o.region.clone())) else {
                return Err(CatalogError::UnknownReference {
                    field: format!("offers[{i}].region"),
                    what: "region",
                    name: format!("{} {}", o.cloud, o.region),
                    table: "[[regions]]",
                });
            };
            let Some(&t) = types.get(&(o.cloud, o.instance_type.clone())) else {
                return Err(CatalogError::UnknownReference {
                    field: format!("offers[{i}].instance_type"),
                    what: "instance type",
                    name: format!("{} {}", o.cloud, o.instance_type),
                    table: "[[instance_types]]",
                });
            };
            check_price(
                || format!("offers[{i}].on_demand_usd_per_hour"),
                o.on_demand_usd_per_hour,
            )?;
            if let Some(spot) = o.spot {
                check_price(|| format!("offers[{i}].spot.usd_per_hour"), spot.usd_per_hour)?;
            }
            for (name, usd) in &o.discounted_usd_per_hour {
                check_price(|| format!("offers[{i}].discounted_usd_per_hour.{name}"), *usd)?;
            }
            if offers.insert((r, t), OfferIx(i as u32)).is_some() {
                return Err(CatalogError::Duplicate {
                    what: "offer",
                    key: format!("{} {} {}", o.cloud, o.region, o.instance_type),
                });
            }
            offer_keys.push((r, t));
        }
        Ok(Catalog { file, regions, types, offers, offer_keys })
    }

    /// Provenance.
    pub fn meta(&self) -> &CatalogMeta {
        &self.file.meta
    }

    /// The terms of `cloud`, if the catalog has it.
    pub fn provider(&self, cloud: Cloud) -> Option<&ProviderTerms> {
        self.file.providers.iter().find(|p| p.cloud == cloud)
    }

    /// Every provider's terms, in file order.
    pub fn providers(&self) -> &[ProviderTerms] {
        &self.file.providers
    }

    /// Every region, indexed by [`RegionIx`].
    pub fn regions(&self) -> &[Region] {
        &self.file.regions
    }

    /// Every instance type, indexed by [`TypeIx`].
    pub fn instance_types(&self) -> &[InstanceType] {
        &self.file.instance_types
    }

    /// Every offer, indexed by [`OfferIx`].
    pub fn offers(&self) -> &[Offer] {
        &self.file.offers
    }

    /// Region `ix`.
    pub fn region(&self, ix: RegionIx) -> &Region {
        &self.file.regions[ix.index()]
    }

    /// Instance type `ix`.
    pub fn instance_type(&self, ix: TypeIx) -> &InstanceType {
        &self.file.instance_types[ix.index()]
    }

    /// Offer `ix`.
    pub fn offer(&self, ix: OfferIx) -> &Offer {
        &self.file.offers[ix.index()]
    }

    /// The region and instance type of offer `ix`.
    pub fn offer_key(&self, ix: OfferIx) -> (RegionIx, TypeIx) {
        self.offer_keys[ix.index()]
    }

    /// The region `name` of `cloud`.
    pub fn find_region(&self, cloud: Cloud, name: &str) -> Option<RegionIx> {
        self.regions.get(&(cloud, name.to_owned())).copied()
    }

    /// The instance type `name` of `cloud`.
    pub fn find_type(&self, cloud: Cloud, name: &str) -> Option<TypeIx> {
        self.types.get(&(cloud, name.to_owned())).copied()
    }

    /// The offer of `instance_type` in `region`.
    pub fn find_offer(&self, region: RegionIx, instance_type: TypeIx) -> Option<OfferIx> {
        self.offers.get(&(region, instance_type)).copied()
    }

    /// Offer ids in file order.
    pub fn offer_ids(&self) -> impl Iterator<Item = OfferIx> + '_ {
        (0..self.file.offers.len() as u32).map(OfferIx)
    }

    /// The price of discount `name` on offer `ix`, USD per instance-hour: the offer's specific
    /// price, else the on-demand price less the discount's `fraction_off`; `None` when the
    /// provider sells no such discount.
    pub fn discounted_price(&self, ix: OfferIx, name: &str) -> Option<f64> {
        let offer = self.offer(ix);
        if let Some(usd) = offer.discounted_usd_per_hour.get(name) {
            return Some(*usd);
        }
        let discount = self.provider(offer.cloud)?.discounts.iter().find(|d| d.name == name)?;
        Some(offer.on_demand_usd_per_hour * (1.0 - discount.fraction_off))
    }

    /// The serialisable form.
    pub fn file(&self) -> &CatalogFile {
        &self.file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tiny() -> CatalogFile {
        CatalogFile {
            meta: CatalogMeta {
                name: "tiny".into(),
                prices_date: "2026-05-20".into(),
                ..Default::default()
            },
            providers: vec![ProviderTerms {
                cloud: Cloud::Aws,
                billing: Billing { granularity_s: 1, minimum_s: 60 },
                boot_delay_s: 60,
                egress: Egress {
                    same_region_usd_per_gb: 0.01,
                    inter_region_usd_per_gb: 0.02,
                    internet_usd_per_gb: 0.09,
                },
                spot: SpotTerms {
                    notice_s: 120,
                    default_band: InterruptionBand::From5To10,
                    price_volatility: 0.05,
                    reprice_interval_s: 3600,
                },
                products: vec![],
                discounts: vec![Discount {
                    name: "sp-1y".into(),
                    kind: DiscountKind::SavingsPlan,
                    term_days: 365,
                    fraction_off: 0.25,
                }],
            }],
            regions: vec![Region {
                cloud: Cloud::Aws,
                name: "us-east-1".into(),
                location: Some(GeoPoint { lat: 38.9, lon: -77.4 }),
            }],
            instance_types: vec![InstanceType {
                cloud: Cloud::Aws,
                name: "c5.xlarge".into(),
                vcpus: 4,
                memory_mib: 8192,
                gpus: 0,
                gpu_kind: None,
            }],
            offers: vec![Offer {
                cloud: Cloud::Aws,
                region: "us-east-1".into(),
                instance_type: "c5.xlarge".into(),
                on_demand_usd_per_hour: 0.17,
                spot: Some(SpotOffer { usd_per_hour: 0.07, band: None }),
                discounted_usd_per_hour: BTreeMap::from([("ri-1y".into(), 0.107)]),
            }],
        }
    }

    #[test]
    fn a_valid_catalog_is_indexed_and_round_trips() {
        let catalog = Catalog::new(tiny()).expect("valid");
        let r = catalog.find_region(Cloud::Aws, "us-east-1").expect("region");
        let t = catalog.find_type(Cloud::Aws, "c5.xlarge").expect("type");
        let o = catalog.find_offer(r, t).expect("offer");
        assert_eq!(catalog.offer_key(o), (r, t));
        // Specific price wins; otherwise 0.17 × (1 − 0.25) = 0.1275.
        assert_eq!(catalog.discounted_price(o, "ri-1y"), Some(0.107));
        assert!((catalog.discounted_price(o, "sp-1y").unwrap() - 0.1275).abs() < 1e-12);
        assert_eq!(catalog.discounted_price(o, "none"), None);
        let json = serde_json::to_string(&catalog).expect("serialises");
        let back: Catalog = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, catalog);
    }

    #[test]
    fn bad_references_and_prices_name_the_field() {
        let mut file = tiny();
        file.offers[0].region = "mars-1".into();
        let err = Catalog::new(file).unwrap_err().to_string();
        assert!(err.contains("offers[0].region") && err.contains("mars-1"), "{err}");

        let mut file = tiny();
        file.offers[0].on_demand_usd_per_hour = -1.0;
        let err = Catalog::new(file).unwrap_err().to_string();
        assert!(err.contains("offers[0].on_demand_usd_per_hour"), "{err}");

        let mut file = tiny();
        file.instance_types[0].gpus = 1;
        let err = Catalog::new(file).unwrap_err().to_string();
        assert!(err.contains("instance_types[0].gpu_kind"), "{err}");

        let mut file = tiny();
        file.regions.push(file.regions[0].clone());
        assert!(matches!(Catalog::new(file), Err(CatalogError::Duplicate { .. })));
    }

    #[test]
    fn bands_convert_to_hazards() {
        // 5–10% band: midpoint 7.5% a month; λ = −ln(0.925)/730 = 1.0679e-4 per hour.
        let h = InterruptionBand::From5To10.hourly_hazard();
        assert!((h - 1.0679e-4).abs() < 1e-8, "{h}");
        assert_eq!(InterruptionBand::from_advisor_index(4), Some(InterruptionBand::Over20));
        assert_eq!(InterruptionBand::from_advisor_index(5), None);
    }

    #[test]
    fn durations_follow_the_grid() {
        let block = ProductTerms {
            kind: ProductKind::CapacityBlock,
            name: "Capacity Blocks for ML".into(),
            min_lead_s: 1800,
            max_lead_s: 56 * 86_400,
            assessment_s: 0,
            unsupported_probability: 0.0,
            min_duration_s: 86_400,
            duration_grid_h: vec![24, 48, 168],
            max_count: 64,
            min_vcpus: 0,
            cancellation: Cancellation::Never,
            price: ReservationPrice::OnDemandMultiple(0.6),
            upfront: true,
            end: EndBehaviour::TerminateBefore { secs: 1800 },
            gpu_only: true,
        };
        assert!(block.allows_duration(48 * 3600));
        assert!(!block.allows_duration(72 * 3600));
        assert!(!block.allows_duration(12 * 3600));
    }

    #[test]
    fn distances_are_great_circle() {
        // One degree of latitude is 6371 × π/180 = 111.19 km.
        let d = GeoPoint { lat: 0.0, lon: 0.0 }.distance_km(GeoPoint { lat: 1.0, lon: 0.0 });
        assert!((d - 111.19).abs() < 0.01, "{d}");
    }
}
