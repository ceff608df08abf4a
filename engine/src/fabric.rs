//! The inter-shard fabric: what moving a job's input between regions costs in time and money.
//!
//! One [`Fabric`] answers for every pair of catalog regions; the router estimates with it and
//! the simulation charges with it, so a decision and its bill use the same model.
//!
//! - **Link.** Inside one shard, in one region, nothing moves and nothing is charged (a shard's
//!   fallback instances in another region are a region away: callers pass `same_shard` only
//!   for the same shard *and* region). Between shards of one region, between regions of one
//!   provider, and between providers, the data crosses a [`Link`] of that kind.
//! - **Price.** The *source* provider's egress price per GB for that kind of link, from the
//!   catalog (`[providers.egress]`: the list prices, with sources, of the provider terms).
//! - **Latency.** Round-trip time from the regions' locations (`scenarios/catalogs/regions.toml`):
//!   great-circle distance × `route_inflation` ÷ the speed of light in fibre, both ways, plus
//!   `same_region_rtt_ms`; a region without a location is `default_rtt_ms` from any other.
//! - **Bandwidth.** One figure per kind of link ([`FabricConfig`]).
//!
//! A transfer of `b` bytes takes `setup_rtts` round trips (connection set-up and the slow start
//! of one TCP flow) plus `8·b ÷ bandwidth`.
//!
//! Defaults and where they come from:
//!
//! | field | default | source |
//! |---|---|---|
//! | `fibre_km_per_ms` | 200 | light in silica fibre travels at about 2/3 of c (refractive index ≈ 1.47) |
//! | `route_inflation` | 1.5 | fibre routes between data centres run longer than the great circle; Singla et al., "The Internet at the Speed of Light" (HotNets 2014), measure paths 1.5–3× the geodesic; 1.5 fits the providers' private backbones |
//! | `same_region_rtt_ms` | 1 | cross-zone round trips inside a region are under 2 ms (AWS, GCP and Azure zone documentation) |
//! | `default_rtt_ms` | 100 | assumption for regions without a location: a transcontinental round trip |
//! | `setup_rtts` | 3 | TCP handshake plus two round trips of slow start |
//! | `same_region_gbps` | 10 | assumption: one flow inside a region, AWS's 10 Gbit/s single-flow limit in a placement group |
//! | `inter_region_gbps` | 5 | AWS EC2 network bandwidth documentation: a single flow outside a placement group, and traffic between regions for instances under 32 vCPUs, is limited to 5 Gbit/s |
//! | `inter_provider_gbps` | 1 | assumption: over the public internet between providers, one flow sustains about 1 Gbit/s |

use serde::{Deserialize, Serialize};

use crate::cloud::{Catalog, RegionIx};
use crate::money::Money;
use crate::time::SimDuration;

/// What lies between two shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// The same shard: nothing moves.
    Local,
    /// Another shard of the same region.
    SameRegion,
    /// Another region of the same provider.
    InterRegion,
    /// Another provider.
    InterProvider,
}

impl Link {
    /// The snake-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Link::Local => "local",
            Link::SameRegion => "same_region",
            Link::InterRegion => "inter_region",
            Link::InterProvider => "inter_provider",
        }
    }
}

/// The fabric's knobs (see the module docs for the defaults and their sources).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FabricConfig {
    /// Speed of light in fibre, km per millisecond.
    pub fibre_km_per_ms: f64,
    /// Fibre route length over the great-circle distance.
    pub route_inflation: f64,
    /// Round trip inside a region, ms (added to every inter-region round trip too).
    pub same_region_rtt_ms: f64,
    /// Round trip to or from a region without a location, ms.
    pub default_rtt_ms: f64,
    /// Round trips before data flows at full rate.
    pub setup_rtts: f64,
    /// Bandwidth of one transfer inside a region, Gbit/s.
    pub same_region_gbps: f64,
    /// Bandwidth of one transfer between regions of a provider, Gbit/s.
    pub inter_region_gbps: f64,
    /// Bandwidth of one transfer between providers, Gbit/s.
    pub inter_provider_gbps: f64,
}

impl Default for FabricConfig {
    fn default() -> FabricConfig {
        FabricConfig {
            fibre_km_per_ms: 200.0,
            route_inflation: 1.5,
            same_region_rtt_ms: 1.0,
            default_rtt_ms: 100.0,
            setup_rtts: 3.0,
            same_region_gbps: 10.0,
            inter_region_gbps: 5.0,
            inter_provider_gbps: 1.0,
        }
    }
}

/// A fabric setting out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("fabric field {field}: expected {expected}, found {found}")]
pub struct FabricError {
    /// The field.
    pub field: &'static str,
    /// What it must be.
    pub expected: &'static str,
    /// What it was.
    pub found: f64,
}

impl FabricConfig {
    /// Checks every value's range.
    pub fn validate(&self) -> Result<(), FabricError> {
        let positive = [
            ("fibre_km_per_ms", self.fibre_km_per_ms),
            ("same_region_gbps", self.same_region_gbps),
            ("inter_region_gbps", self.inter_region_gbps),
            ("inter_provider_gbps", self.inter_provider_gbps),
        ];
        for (field, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(FabricError { field, expected: "a finite number above 0", found: v });
            }
        }
        let at_least = [
            ("route_inflation", self.route_inflation, 1.0),
            ("same_region_rtt_ms", self.same_region_rtt_ms, 0.0),
            ("default_rtt_ms", self.default_rtt_ms, 0.0),
            ("setup_rtts", self.setup_rtts, 0.0),
        ];
        for (field, v, low) in at_least {
            if !(v.is_finite() && v >= low) {
                let expected = if low > 0.0 {
                    "a finite number of 1 or more"
                } else {
                    "a finite number of 0 or more"
                };
                return Err(FabricError { field, expected, found: v });
            }
        }
        Ok(())
    }
}

/// One movement of data and what it costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// What it crosses.
    pub link: Link,
    /// How long until the last byte has arrived.
    pub duration: SimDuration,
    /// The egress charge, at the source provider's list price.
    pub cost: Money,
}

/// See the module docs.
#[derive(Clone, Debug)]
pub struct Fabric {
    config: FabricConfig,
}

impl Fabric {
    /// A fabric with `config` (validated).
    pub fn new(config: FabricConfig) -> Result<Fabric, FabricError> {
        config.validate()?;
        Ok(Fabric { config })
    }

    /// Its knobs.
    pub fn config(&self) -> &FabricConfig {
        &self.config
    }

    /// The link between a shard in `from` and another shard in `to` (`same_shard`: the very
    /// same shard).
    pub fn link(catalog: &Catalog, from: RegionIx, to: RegionIx, same_shard: bool) -> Link {
        if same_shard {
            Link::Local
        } else if from == to {
            Link::SameRegion
        } else if catalog.region(from).cloud == catalog.region(to).cloud {
            Link::InterRegion
        } else {
            Link::InterProvider
        }
    }

    /// Round-trip time between two regions, milliseconds.
    pub fn rtt_ms(&self, catalog: &Catalog, from: RegionIx, to: RegionIx) -> f64 {
        let c = &self.config;
        if from == to {
            return c.same_region_rtt_ms;
        }
        match (catalog.region(from).location, catalog.region(to).location) {
            (Some(a), Some(b)) => {
                c.same_region_rtt_ms
                    + 2.0 * a.distance_km(b) * c.route_inflation / c.fibre_km_per_ms
            }
            _ => c.default_rtt_ms,
        }
    }

    /// Moving `bytes` from a shard in `from` to a shard in `to` (`same_shard`: nothing moves).
    pub fn transfer(
        &self,
        catalog: &Catalog,
        from: RegionIx,
        to: RegionIx,
        same_shard: bool,
        bytes: u64,
    ) -> Transfer {
        let link = Fabric::link(catalog, from, to, same_shard);
        let c = &self.config;
        let gbps = match link {
            Link::Local => {
                return Transfer { link, duration: SimDuration::ZERO, cost: Money::ZERO };
            }
            Link::SameRegion => c.same_region_gbps,
            Link::InterRegion => c.inter_region_gbps,
            Link::InterProvider => c.inter_provider_gbps,
        };
        let secs = c.setup_rtts * self.rtt_ms(catalog, from, to) / 1000.0
            + bytes as f64 * 8.0 / (gbps * 1e9);
        let duration = SimDuration::from_secs_f64(secs).unwrap_or(SimDuration(u64::MAX));
        Transfer { link, duration, cost: egress_cost(catalog, from, link, bytes) }
    }
}

/// The egress charge for `bytes` leaving region `from` over `link`, at its provider's list
/// price, rounded once to the micro-dollar (as the simulated providers book it).
pub fn egress_cost(catalog: &Catalog, from: RegionIx, link: Link, bytes: u64) -> Money {
    let Some(terms) = catalog.provider(catalog.region(from).cloud) else { return Money::ZERO };
    let e = terms.egress;
    let usd_per_gb = match link {
        Link::Local => return Money::ZERO,
        Link::SameRegion => e.same_region_usd_per_gb,
        Link::InterRegion => e.inter_region_usd_per_gb,
        Link::InterProvider => e.internet_usd_per_gb,
    };
    Money::from_usd(usd_per_gb * bytes_to_gb(bytes)).unwrap_or(Money::ZERO)
}

/// Bytes in the providers' billing unit (GB = 10⁹ bytes).
pub fn bytes_to_gb(bytes: u64) -> f64 {
    bytes as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::cloud::test_catalog::{region, two_clouds};
    #[test]
    fn links_prices_and_times_by_hand() {
        let catalog = two_clouds();
        let fabric = Fabric::new(FabricConfig::default()).expect("defaults are valid");
        let east = region(&catalog, Cloud::Aws, "us-east-1");
        let west = region(&catalog, Cloud::Aws, "us-west-2");
        let gcp = region(&catalog, Cloud::Gcp, "us-central1");
        let gb = 1_000_000_000;
        let local = fabric.transfer(&catalog, east, east, true, 10 * gb);
        assert_eq!(
            (local.link, local.duration, local.cost),
            (Link::Local, SimDuration::ZERO, Money::ZERO)
        );
        // Same region, 10 GB at 10 Gbit/s = 8 s, plus 3 round trips of 1 ms; $0.01/GB.
        let same = fabric.transfer(&catalog, east, east, false, 10 * gb);
        assert_eq!(same.link, Link::SameRegion);
        assert_eq!(same.duration, SimDuration(8_003_000));
        assert_eq!(same.cost, Money::from_usd(0.10).unwrap());
        // To another AWS region: $0.02/GB; 10 GB at 5 Gbit/s = 16 s plus 3 round trips.
        let inter = fabric.transfer(&catalog, east, west, false, 10 * gb);
        assert_eq!(inter.link, Link::InterRegion);
        assert_eq!(inter.cost, Money::from_usd(0.20).unwrap());
        let rtt = fabric.rtt_ms(&catalog, east, west);
        let d = catalog
            .region(east)
            .location
            .unwrap()
            .distance_km(catalog.region(west).location.unwrap());
        assert!((rtt - (1.0 + 2.0 * d * 1.5 / 200.0)).abs() < 1e-9, "{rtt}");
        assert!((50.0..80.0).contains(&rtt), "Virginia–Oregon is 60–70 ms in practice: {rtt}");
        let secs = inter.duration.as_secs_f64();
        assert!((secs - (16.0 + 3.0 * rtt / 1000.0)).abs() < 1e-6, "{secs}");
        // To GCP: internet egress, $0.09/GB, at 1 Gbit/s: 80 s.
        let out = fabric.transfer(&catalog, east, gcp, false, 10 * gb);
        assert_eq!(out.link, Link::InterProvider);
        assert_eq!(out.cost, Money::from_usd(0.90).unwrap());
        assert!(out.duration > SimDuration::from_secs(80));
    }

    #[test]
    fn out_of_range_settings_name_the_field() {
        let bad = FabricConfig { inter_region_gbps: 0.0, ..FabricConfig::default() };
        assert_eq!(Fabric::new(bad).unwrap_err().field, "inter_region_gbps");
        let bad = FabricConfig { route_inflation: 0.5, ..FabricConfig::default() };
        assert_eq!(Fabric::new(bad).unwrap_err().field, "route_inflation");
    }
}
