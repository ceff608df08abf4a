//! Errors of the simulated clouds that the engine's [`ProviderError`] does not cover: building
//! a provider, and charging egress.
//!
//! [`ProviderError`]: engine::cloud::ProviderError

use engine::cloud::{Cloud, RegionIx};

use super::config::ConfigError;

/// A simulated provider could not be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SimCloudError {
    /// The catalog has no `[[providers]]` entry for the cloud.
    #[error("catalog has no terms for provider {0}; add it to [[providers]]")]
    UnknownCloud(Cloud),
    /// The configuration is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// An egress charge was malformed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EgressError {
    /// The region index is not in the catalog.
    #[error("{cloud}: unknown region index {region:?}")]
    UnknownRegion {
        /// The provider asked.
        cloud: Cloud,
        /// The region.
        region: RegionIx,
    },
    /// Data can only leave a region of the provider charged.
    #[error("{cloud}: egress from region {region:?}, which belongs to {owner}")]
    NotThisCloud {
        /// The provider asked.
        cloud: Cloud,
        /// The region.
        region: RegionIx,
        /// Its provider.
        owner: Cloud,
    },
    /// The amount is negative or not finite.
    #[error("{cloud}: egress of {gb} GB; expected a finite amount of at least 0")]
    InvalidAmount {
        /// The provider asked.
        cloud: Cloud,
        /// The amount given.
        gb: f64,
    },
}
