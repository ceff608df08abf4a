//! The simulated clouds: one [`SimProvider`] per provider behind the engine's
//! [`Provider`](engine::cloud::Provider) port, with finite seeded supply, spot prices and
//! interruptions, the reservation products, billing-only discounts, faults and a ledger
//! (DESIGN §5, `shared/reference/cloud-products.md` §1 and §4).
//!
//! One concern per file:
//!
//! - [`config`]: [`SimCloudConfig`], the knobs a catalog does not carry (supply, quotas,
//!   failure and delay rates, the spot process), with documented defaults;
//! - `supply`: slot accounting per pool (region × type): open-ended, spot, reservation holds;
//! - `spot`: the seeded mean-reverting spot price process;
//! - [`ledger`]: [`Charge`]s in micro-dollars, billing granularity and minimum;
//! - [`provider`]: [`SimProvider`], the event-driven provider itself;
//! - [`error`]: construction and egress errors.

pub mod config;
pub mod error;
pub mod ledger;
pub mod provider;
mod spot;
mod supply;

pub use config::{
    ConfigError, HealthChecks, Outage, SimCloudConfig, SpotConfig, SpotStorm, Stockout,
    SupplyConfig,
};
pub use error::{EgressError, SimCloudError};
pub use ledger::{Charge, ChargeKind, Ledger};
pub use provider::SimProvider;
pub use spot::SpotMarket;

#[cfg(test)]
mod tests;
