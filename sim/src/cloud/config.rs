//! [`SimCloudConfig`]: the simulated clouds' knobs that a catalog does not carry (supply,
//! quotas, fault rates, the spot price process), with defaults and validation.
//!
//! Every field has a default, so an empty table is a valid configuration; unknown keys are
//! rejected. Names (regions, instance types) are the catalog's names; one configuration may
//! serve all three providers, because names rarely collide across clouds (where they do, the
//! override applies to every cloud that uses the name).
//!
//! Defaults and where they come from:
//!
//! | field | default | source |
//! |---|---|---|
//! | `supply.default_instances` | 64 per (region, type) | assumption: enough for a small lab run, small enough that a burst can exhaust it |
//! | `supply.jitter` | 0 | off: capacities are exactly as configured |
//! | `region_vcpu_quota` | none (unlimited) | — |
//! | `failure_rate_per_hour` | 1.6 × 10⁻⁴ | `cloud-products.md` §4.3: Llama 3's 3.8 × 10⁻³ failures per node-day, ÷ 24 h (node MTBF ≈ 260 days) |
//! | `delayed_probability` | 0 | no public rate; off unless a scenario sets it |
//! | `delay_s` | 86,400 | assumption: a delayed future reservation arrives a day late |
//! | `block_notice_s` | 600 | AWS sends its capacity-block expiry warning 40 min before the end, 10 min before termination starts at T−30 min |
//! | `spot.reversion` | 0.9 per step | assumption: shocks halve in about 6.6 steps |
//! | `spot.floor_of_on_demand` | 0.1 | AWS's "up to 90 % off" |
//! | `spot.cap_of_on_demand` | 1.0 | spot is never dearer than on-demand (AWS caps the spot price there) |
//! | `health` | none: a failure is reported at once | with `[platform.clouds.health] heartbeat_s, missed`, a failed instance goes silent and is detected after `missed` heartbeats (Slurm's `SlurmdTimeout` defaults to 300 s; EC2 status checks run every minute) |

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How many instances of each (region, type) a simulated cloud has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupplyConfig {
    /// Instances per (region, type) when no override names it. Default 64.
    pub default_instances: u32,
    /// Overrides by region name (every type in that region).
    pub by_region: BTreeMap<String, u32>,
    /// Overrides by instance type name (that type in every region).
    pub by_type: BTreeMap<String, u32>,
    /// Overrides for one pool, keyed `"region/type"`, e.g. `"us-east-1/p5.48xlarge"`. Wins
    /// over `by_type`, which wins over `by_region`.
    pub by_pool: BTreeMap<String, u32>,
    /// Relative spread of each pool's capacity: drawn once per pool, uniformly from
    /// `[(1 − jitter)·n, (1 + jitter)·n]` and rounded, from the stream `supply:<cloud>`, in
    /// offer order. 0 (the default) keeps capacities exact. From 0 to 1.
    pub jitter: f64,
}

impl Default for SupplyConfig {
    fn default() -> SupplyConfig {
        SupplyConfig {
            default_instances: 64,
            by_region: BTreeMap::new(),
            by_type: BTreeMap::new(),
            by_pool: BTreeMap::new(),
            jitter: 0.0,
        }
    }
}

impl SupplyConfig {
    /// The configured capacity of `instance_type` in `region`, before jitter.
    pub fn instances(&self, region: &str, instance_type: &str) -> u32 {
        if let Some(n) = self.by_pool.get(&format!("{region}/{instance_type}")) {
            return *n;
        }
        if let Some(n) = self.by_type.get(instance_type) {
            return *n;
        }
        self.by_region.get(region).copied().unwrap_or(self.default_instances)
    }
}

/// The spot price process (see `sim::cloud::spot`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpotConfig {
    /// AR(1) coefficient φ of the log-price deviation per reprice step, from 0 up to (not
    /// including) 1. Default 0.9.
    pub reversion: f64,
    /// Lowest spot price as a share of the on-demand price. Default 0.1.
    pub floor_of_on_demand: f64,
    /// Highest spot price as a share of the on-demand price. Default 1.0.
    pub cap_of_on_demand: f64,
}

impl Default for SpotConfig {
    fn default() -> SpotConfig {
        SpotConfig { reversion: 0.9, floor_of_on_demand: 0.1, cap_of_on_demand: 1.0 }
    }
}

/// The simulated clouds' configuration (see the module docs for the defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimCloudConfig {
    /// Capacity per (region, type).
    pub supply: SupplyConfig,
    /// vCPU quota per region name: running instances' vCPUs may not exceed it. Regions not
    /// named have no quota.
    pub region_vcpu_quota: BTreeMap<String, u64>,
    /// Probability per hour that a running instance fails (`Terminated{Failure}`), drawn as an
    /// exponential time to failure per instance from the stream `failure:<cloud>`.
    pub failure_rate_per_hour: f64,
    /// Probability that a future reservation is not delivered at its start and goes
    /// `delayed` (its minimum commitment is then waived), from the stream `supply:<cloud>`.
    pub delayed_probability: f64,
    /// How long a delayed reservation waits before it becomes active, seconds.
    pub delay_s: u64,
    /// Seconds between a capacity block's expiry notice and the termination of its
    /// instances.
    pub block_notice_s: u64,
    /// The spot price process.
    pub spot: SpotConfig,
    /// Regions whose control plane goes down for a while (`[[platform.clouds.outages]]`).
    pub outages: Vec<Outage>,
    /// Pools that run out of on-demand and spot capacity for a while
    /// (`[[platform.clouds.stockouts]]`).
    pub stockouts: Vec<Stockout>,
    /// Regions whose spot capacity is taken back for a while (`[[platform.clouds.spot_storms]]`).
    pub spot_storms: Vec<SpotStorm>,
    /// Heartbeat health checks (`[platform.clouds.health]`). Without them an instance failure
    /// is reported the moment it happens; with them a failed instance goes silent, its jobs
    /// stop, it stays billed, and it is declared failed (and terminated) only when its
    /// heartbeats have been missed.
    pub health: Option<HealthChecks>,
}

/// Heartbeats: every instance beats every `heartbeat_s` from its launch; an instance whose
/// last `missed` beats did not arrive is declared failed, terminated, and reported
/// `Terminated{Failure}` then. A failure at `f` is detected at
/// `launch + ⌊(f − launch) / heartbeat_s⌋ · heartbeat_s + missed · heartbeat_s`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthChecks {
    /// Seconds between heartbeats (the agents of AWS Batch and Slurm's `SlurmdTimeout`
    /// checks run every 30–300 s).
    pub heartbeat_s: u64,
    /// Heartbeats missed before the instance is declared failed.
    pub missed: u32,
}

/// A period `[start_h, start_h + hours)` counted in hours from the run's start.
fn covers(start_h: f64, hours: f64, at_h: f64) -> bool {
    start_h <= at_h && at_h < start_h + hours
}

/// A region's control plane down from `start_h` hours after the run's start for `hours`:
/// launches and reservations there are refused (`control_plane_outage`); running instances
/// carry on and are billed as before (AWS us-east-1, 7 Dec 2021: 7-8 hours of API impairment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// The region's name (`us-east-1`, `eastus`, `us-central1`).
    pub region: String,
    /// Hours after the run's start when it begins.
    pub start_h: f64,
    /// How long it lasts, hours.
    pub hours: f64,
}

impl Outage {
    /// Whether it is on `at_h` hours after the run's start.
    pub fn covers(&self, at_h: f64) -> bool {
        covers(self.start_h, self.hours, at_h)
    }
}

/// An on-demand stock-out: from `start_h` hours after the run's start for `hours`, launches of
/// `instance_type` in `region` (every type when it is not given) are refused
/// (`insufficient_capacity`), on demand and spot alike; running instances and reservations
/// already made are not affected. Real stock-outs are per zone and type and last hours
/// (`cloud-products.md` §4.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stockout {
    /// The region's name.
    pub region: String,
    /// The instance type's name; every type of the region when absent.
    #[serde(default)]
    pub instance_type: Option<String>,
    /// Hours after the run's start when it begins.
    pub start_h: f64,
    /// How long it lasts, hours.
    pub hours: f64,
}

impl Stockout {
    /// Whether it refuses a launch of `instance_type` in `region` at `at_h`.
    pub fn refuses(&self, region: &str, instance_type: &str, at_h: f64) -> bool {
        self.region == region
            && self.instance_type.as_deref().is_none_or(|t| t == instance_type)
            && covers(self.start_h, self.hours, at_h)
    }
}

/// A spot storm: at `start_h` hours after the run's start, each running spot instance in
/// `region` gets its interruption notice with probability `reclaim` (drawn from the stream
/// `storm:<cloud>`, in instance order), and for `hours` no spot launch there succeeds
/// (`insufficient_capacity`). Spot reclaims come in waves when on-demand demand surges
/// (`cloud-products.md` §4.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotStorm {
    /// The region's name.
    pub region: String,
    /// Hours after the run's start when it begins.
    pub start_h: f64,
    /// How long spot capacity stays gone, hours.
    pub hours: f64,
    /// Share of the running spot instances reclaimed at the start, from 0 to 1.
    #[serde(default = "all")]
    pub reclaim: f64,
}

fn all() -> f64 {
    1.0
}

impl SpotStorm {
    /// Whether spot capacity in `region` is gone at `at_h`.
    pub fn refuses(&self, region: &str, at_h: f64) -> bool {
        self.region == region && covers(self.start_h, self.hours, at_h)
    }
}

impl Default for SimCloudConfig {
    fn default() -> SimCloudConfig {
        SimCloudConfig {
            supply: SupplyConfig::default(),
            region_vcpu_quota: BTreeMap::new(),
            failure_rate_per_hour: 1.6e-4,
            delayed_probability: 0.0,
            delay_s: 86_400,
            block_notice_s: 600,
            spot: SpotConfig::default(),
            outages: Vec::new(),
            stockouts: Vec::new(),
            spot_storms: Vec::new(),
            health: None,
        }
    }
}

/// A configuration value out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("cloud config field {field}: expected {expected}, found {found}")]
pub struct ConfigError {
    /// The field, e.g. `spot.reversion`.
    pub field: &'static str,
    /// What it must be.
    pub expected: &'static str,
    /// What it was.
    pub found: String,
}

fn check(
    ok: bool,
    field: &'static str,
    expected: &'static str,
    found: f64,
) -> Result<(), ConfigError> {
    if ok { Ok(()) } else { Err(ConfigError { field, expected, found: found.to_string() }) }
}

impl SimCloudConfig {
    /// Checks that every region and instance type the faults name exists in `catalog` (a
    /// misspelt region would otherwise never match, and the fault silently never happen).
    pub fn validate_names(&self, catalog: &engine::cloud::Catalog) -> Result<(), ConfigError> {
        let region_known = |name: &str| catalog.regions().iter().any(|r| r.name == name);
        let regions = (self.outages.iter().map(|o| ("outages.region", &o.region)))
            .chain(self.stockouts.iter().map(|o| ("stockouts.region", &o.region)))
            .chain(self.spot_storms.iter().map(|o| ("spot_storms.region", &o.region)));
        for (field, name) in regions {
            if !region_known(name) {
                return Err(ConfigError {
                    field,
                    expected: "a region of the catalog (see `shardcast catalog show`)",
                    found: name.clone(),
                });
            }
        }
        for s in &self.stockouts {
            if let Some(t) = &s.instance_type
                && !catalog.instance_types().iter().any(|x| &x.name == t)
            {
                return Err(ConfigError {
                    field: "stockouts.instance_type",
                    expected: "an instance type of the catalog",
                    found: t.clone(),
                });
            }
        }
        Ok(())
    }

    /// Checks every value's range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let prob = |p: f64| (0.0..=1.0).contains(&p);
        if let Some(h) = &self.health {
            check(
                h.heartbeat_s > 0,
                "health.heartbeat_s",
                "seconds above 0",
                h.heartbeat_s as f64,
            )?;
            check(h.missed > 0, "health.missed", "at least 1", f64::from(h.missed))?;
        }
        check(
            prob(self.supply.jitter),
            "supply.jitter",
            "a number from 0 to 1",
            self.supply.jitter,
        )?;
        let periods = (self.outages.iter().map(|o| ("outages", o.start_h, o.hours)))
            .chain(self.stockouts.iter().map(|o| ("stockouts", o.start_h, o.hours)))
            .chain(self.spot_storms.iter().map(|o| ("spot_storms", o.start_h, o.hours)));
        for (table, start_h, hours) in periods {
            if !(start_h.is_finite() && start_h >= 0.0) {
                return Err(ConfigError {
                    field: table,
                    expected: "start_h: a finite number of hours, 0 or more",
                    found: start_h.to_string(),
                });
            }
            if !(hours.is_finite() && hours > 0.0) {
                return Err(ConfigError {
                    field: table,
                    expected: "hours: a finite number of hours above 0",
                    found: hours.to_string(),
                });
            }
        }
        for storm in &self.spot_storms {
            check(
                prob(storm.reclaim),
                "spot_storms.reclaim",
                "a number from 0 to 1",
                storm.reclaim,
            )?;
        }
        check(
            self.failure_rate_per_hour.is_finite() && self.failure_rate_per_hour >= 0.0,
            "failure_rate_per_hour",
            "a finite rate of at least 0",
            self.failure_rate_per_hour,
        )?;
        check(
            prob(self.delayed_probability),
            "delayed_probability",
            "a number from 0 to 1",
            self.delayed_probability,
        )?;
        check(
            (0.0..1.0).contains(&self.spot.reversion),
            "spot.reversion",
            "a number from 0 up to (not including) 1",
            self.spot.reversion,
        )?;
        check(
            self.spot.floor_of_on_demand.is_finite() && self.spot.floor_of_on_demand >= 0.0,
            "spot.floor_of_on_demand",
            "a finite share of at least 0",
            self.spot.floor_of_on_demand,
        )?;
        check(
            self.spot.cap_of_on_demand.is_finite()
                && self.spot.cap_of_on_demand >= self.spot.floor_of_on_demand,
            "spot.cap_of_on_demand",
            "a finite share of at least spot.floor_of_on_demand",
            self.spot.cap_of_on_demand,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_an_empty_table_and_unknown_keys_are_refused() {
        let config: SimCloudConfig = toml::from_str("").expect("empty is valid");
        assert_eq!(config, SimCloudConfig::default());
        config.validate().expect("defaults are valid");
        // 3.8e-3 failures per node-day / 24 h = 1.58e-4 per hour, rounded to 1.6e-4.
        assert!((config.failure_rate_per_hour - 3.8e-3 / 24.0).abs() < 0.03e-4);
        assert!(toml::from_str::<SimCloudConfig>("supply = { defualt_instances = 3 }").is_err());
        assert!(toml::from_str::<SimCloudConfig>("failure_rate = 0.1").is_err());
    }

    #[test]
    fn overrides_pick_the_most_specific() {
        let config: SimCloudConfig = toml::from_str(
            r#"
            [supply]
            default_instances = 10
            by_region = { "us-east-1" = 20 }
            by_type = { "p5.48xlarge" = 2 }
            by_pool = { "us-east-1/p5.48xlarge" = 1 }
            "#,
        )
        .expect("valid");
        assert_eq!(config.supply.instances("us-east-1", "p5.48xlarge"), 1);
        assert_eq!(config.supply.instances("us-west-2", "p5.48xlarge"), 2);
        assert_eq!(config.supply.instances("us-east-1", "c5.xlarge"), 20);
        assert_eq!(config.supply.instances("us-west-2", "c5.xlarge"), 10);
    }

    #[test]
    fn out_of_range_values_name_the_field() {
        let config = SimCloudConfig {
            spot: SpotConfig { reversion: 1.0, ..SpotConfig::default() },
            ..SimCloudConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().field, "spot.reversion");
        let config = SimCloudConfig { delayed_probability: 1.5, ..SimCloudConfig::default() };
        assert_eq!(config.validate().unwrap_err().field, "delayed_probability");
    }
}
